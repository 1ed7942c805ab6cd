"""Train the lifting networks on synthetic mice, and evaluate them on held-out ones.

:func:`train` generates synthetic sequences (:mod:`dlc_lifter.mouse.behaviour`), sees
each with random cameras, keypoint sets and tracking errors (:mod:`dlc_lifter.nets.data`)
and trains the ``temporal``, ``causal`` and ``frame`` networks for a fixed number of
steps (deterministic for a seed; ``max_minutes`` only caps the time and is logged when it
cuts training short). :func:`evaluate` measures MPJPE, PA-MPJPE and height error on a
held-out set with a new seed (new shapes, cameras and noise), per keypoint and per
behaviour, against two baselines: every keypoint at its population-median height on its
ray, and every keypoint on the floor. :func:`train_lifter_weights` trains, evaluates and
writes the weights with their JSON sidecar (``dlc-lifter train``); with ``extend`` the
networks trained join an existing model's as more ensemble members (:func:`extend_model`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dlc_lifter._progress import progress_bar
from dlc_lifter._version import software_record
from dlc_lifter.errors import DLCLifterError
from dlc_lifter.mouse.catalogue import CATALOGUE
from dlc_lifter.nets.data import (
    SyntheticClip,
    TrackingNoise,
    behaviour_names,
    clip_arrays,
    generate_mouse_sequences,
    make_clips,
    place_ear_labels,
    place_neck_labels,
    place_shoulder_labels,
    population_stats,
    set_keypoints,
)
from dlc_lifter.nets.lifter import (
    FIT_WEIGHT,
    MODES,
    N_GLOBAL,
    N_KEYPOINTS,
    PER_KEYPOINT,
    SCALE_MM,
    LifterNet,
    LiftingModel,
    ensemble_net,
    floor_points,
    network_shape,
    points_on_rays,
)
from dlc_lifter.nets.schedule import one_cycle
from dlc_lifter.nets.windows import PackedSequences

__all__ = ["EvalReport", "TrainConfig", "evaluate", "extend_model", "format_report", "train",
           "train_ensemble_weights", "train_lifter_weights"]

logger = logging.getLogger(__name__)

#: Behaviours counted as rearing.
REARING = ("rear", "rear_wall")
#: Keypoint-set mix of the training clips (see
#: :func:`~dlc_lifter.nets.data.random_keypoint_set`): the sparse openfield 4-set (the
#: hardest to lift) often, and every other subset common too: random supersets of the
#: openfield set, the common DLC / SLEAP sets (:data:`~dlc_lifter.nets.data.COMMON_SETS`)
#: and random subsets with one or independent per-keypoint keep-probabilities, so that
#: tracking more keypoints never makes the lifting worse.
TRAIN_SET_WEIGHTS: dict[str, float] = {
    "openfield": 0.34, "superanimal_topviewmouse": 0.1, "all": 0.03, "common": 0.18,
    "superset": 0.23, "random": 0.06, "independent": 0.06,
}


@dataclass
class TrainConfig:
    """Settings of :func:`train` (all recorded in the weights' metadata).

    Attributes
    ----------
    seed
        Seed of the sequences, cameras, noise, initialisation and batches.
    n_sequences, n_frames
        Synthetic training sequences and their length.
    views
        Random camera / keypoint-set / noise draws per sequence.
    steps
        Optimiser steps of the temporal (symmetric window) network.
    causal_steps, frame_steps
        Optimiser steps of the causal and per-frame networks (None: ``steps``).
    frame_sequences, frame_channels
        The per-frame network's own number of training sequences (drawn with the same
        seed, the sequences of the other networks left as they are) and width (None: as
        ``n_sequences`` and ``channels``). It has no temporal context to learn, so it
        can take more sequences and width at little cost: it lifts labelled frames and
        files with gaps, where real labels are read without motion.
    batch, chunk
        Windows per batch and output frames per window.
    channels, kernels
        Network width and kernel sizes of the temporal and causal networks
        (``(3, 3, 3, 3)``: receptive field 81 frames).
    lr, weight_decay, dropout
        Optimiser settings (AdamW, one-cycle schedule).
    modes
        Networks to train.
    n_extra
        Extra per-keypoint input channels (0: keypoints only).
    set_weights
        How often each keypoint set is drawn for a training clip (``None``:
        :data:`~dlc_lifter.nets.data.DEFAULT_SET_WEIGHTS`).
    imputed_weight, raised_weight, per_frame
        Loss weighting (:func:`~dlc_lifter.nets.data.clip_arrays`): share of the imputed
        outputs, extra weight of rearing frames, per-frame normalisation.
    pcutoff
        Likelihood below which a keypoint is treated as untracked.
    ear_label_mm
        Ear labels placed up to this far above the ear base, one draw per sequence
        (:func:`~dlc_lifter.nets.data.place_ear_labels`; 0: at the base).
    ear_forward_mm
        Range (mm) of the ear labels' shift along the head, one draw per sequence (> 0:
        towards the snout; :func:`~dlc_lifter.nets.data.place_ear_labels`; ``(0, 0)``: none).
    shoulder_forward_mm
        Range (mm) of the shoulder labels' shift along the trunk, one draw per sequence (> 0:
        towards the head; :func:`~dlc_lifter.nets.data.place_shoulder_labels`; ``(0, 0)``:
        none). The shipped weights do not use it (``docs/results.md``, "Real mice: where
        real labellers put the forelimb joints; forepaws held low in rears and shoulder
        labels moved forward, screened and dropped").
    neck_back_mm
        Range (mm) of the neck label's shift back along the trunk, one draw per sequence (> 0:
        towards the tail, as DANNCE's ``SpineF``; :func:`~dlc_lifter.nets.data.place_neck_labels`;
        ``(0, 0)``: none). The shipped weights do not use it: real rears read worse
        (``docs/results.md``, "Real files from four more sources: a nose raised in most
        frames warned about, keypoint-MoSeq's back end, Git LFS pointers; the neck label
        moved back, screened").
    steep_snout_miss
        Probability that the training snout is missing where the head points steeply down
        (:class:`~dlc_lifter.nets.data.TrackingNoise`; 0: missing points at random only).
    miss_prob
        Range of the per-clip rate at which training points go missing at random, every
        keypoint alike (:class:`~dlc_lifter.nets.data.TrackingNoise`'s ``miss_prob``;
        default ``(0, 0.06)``, its own). Larger rates teach the networks to lift the points
        a file has when a tracker or a labeller left out many others (SLEAP's missing
        nodes, DLC points below ``pcutoff``, sparse 3D labels). The shipped weights keep
        the default: larger rates read real mice with every label worse and those without
        them hardly better (``docs/results.md``, "Real mice: missing labels; training with
        more of them, and with whole forelimbs untracked, screened").
    nose_down_share
        Share of the training sequences' walk, turn and sniff behaviours that take the real
        mouse's nose-down exploring posture (``nose_down_share`` of
        :func:`~dlc_lifter.mouse.behaviour.generate_sequence`: front raised, head steep,
        trunk short; 0: none, the generator's own postures). The held-out evaluation keeps
        the generator's default.
    head_up_share, low_rear_share
        Share of the training sequences' sniff bouts in the real mouse's raised-head posture
        and of their free rears low and hunched (``head_up_share`` and ``low_rear_share`` of
        :func:`~dlc_lifter.mouse.behaviour.generate_sequence`; 0: none). The held-out
        evaluation keeps the generator's default.
    tail_curl_share
        Share of the training sequences' behaviours whose tail lies curled sideways
        (``tail_curl_share`` of :func:`~dlc_lifter.mouse.behaviour.generate_sequence`;
        0: none, the generator's own tails). The held-out evaluation keeps the generator's
        default.
    high_hips_share
        Share of the training sequences' rears standing with the hips raised and the trunk
        shorter (``high_hips_share`` of :func:`~dlc_lifter.mouse.behaviour.generate_sequence`;
        0: none). The shipped weights do not use it (``docs/results.md``, "Real mice: the
        rears' raised hips and the raised head, screened"). The held-out evaluation keeps
        the generator's default.
    elbow_out
        Largest outward swing of the training sequences' elbows, one draw per sequence from
        0 to it (``elbow_out`` of :func:`~dlc_lifter.mouse.behaviour.generate_sequence`, as
        real mice hold their elbows out; 0: none, the generator's own elbows). The shipped
        weights do not use it (``docs/results.md``, "Real mice: which inputs read the real
        rears low; the elbows held out, screened"). The held-out evaluation keeps the
        generator's default.
    low_paws_share
        Share of the training sequences' rears holding the forepaws low against the chest,
        the elbows beside it (``low_paws_share`` of
        :func:`~dlc_lifter.mouse.behaviour.generate_sequence`, as real rears do; 0: none,
        the generator's own paws). The shipped weights do not use it (``docs/results.md``,
        "Real mice: where real labellers put the forelimb joints; forepaws held low in
        rears and shoulder labels moved forward, screened and dropped"). The held-out
        evaluation keeps the generator's default.
    image_span
        Range of how many arena widths the shorter side of a training camera's image spans
        at the floor (drawn uniformly; ``arena_fraction`` of
        :func:`~dlc_lifter.camera.random_top_view`; None: its default, 0.5-1.1, where an
        85 mm mouse is at least about 77 px long in the image, 1st percentile).
        ``(0.5, 2.0)`` takes it down to about 40 px, as in a large arena filmed at low
        resolution; the shipped weights keep the default (``docs/results.md``, "Real mice:
        what the worst camera's error is made of; small mice in the image, nose-down
        sniffing and labeller offsets, screened"). Held-out evaluation keeps the cameras'
        default.
    view_deg
        ``(lo, hi)``: every training camera sees the arena's centre from ``lo``-``hi``
        degrees off the vertical, tilted towards it (``view_deg`` of
        :func:`~dlc_lifter.camera.random_top_view`): networks for oblique views, which a
        lift uses where the camera sees the animal that obliquely
        (``lifter_oblique.pt``). None: the usual top views. The held-out evaluation uses
        the same cameras.
    frame_view_deg
        ``view_deg`` for the per-frame network's training sequences only (None: as
        ``view_deg``); the held-out evaluation keeps ``view_deg``'s cameras. The shipped
        weights do not use it: it read one real mouse better and another worse
        (``docs/results.md``, "Real mice: which set-ups lift worse; five lift-time screens
        and one training screen, dropped").
    view
        ``"above"`` (cameras look down at the floor) or ``"below"`` (each training camera
        is the reflection of one above under a glass floor, looking up: the networks of
        ``lifter_below.pt``, which lift files filmed from below). The held-out evaluation
        uses cameras on the same side.
    loose_dropout
        Probability that a training window loses some of its tracked tail and limb
        keypoints (those that barely weigh in the body frame fit, so dropping their input
        channels leaves the canonicalisation as it is): each is dropped with probability
        1/2, its outputs left out of the loss. Teaches the networks that a keypoint more
        or less (a tail end tracked with the openfield set, ...) changes nothing else.
    limb_dropout
        Probability that a training window loses every point of its forelimbs (elbows,
        wrists, forepaws), and on its own draw every point of its hind limbs
        (:data:`LIMB_GROUPS`), input and loss alike; 0 (the default): only ``loose_dropout``'s
        scattered drops. A real flat mouse whose forelimbs are untracked reads as raised;
        this did not mend it and read real rears worse, so the shipped weights do not use
        it (``docs/results.md``, "Real mice: missing labels; training with more of them,
        and with whole forelimbs untracked, screened").
    max_minutes
        Stop training early after this many minutes (not deterministic when it bites).
    threads
        ``torch.set_num_threads`` (None: leave as is).
    """

    seed: int = 0
    n_sequences: int = 400
    n_frames: int = 300
    views: int = 2
    steps: int = 3000
    causal_steps: int | None = None
    frame_steps: int | None = None
    frame_sequences: int | None = None
    frame_channels: int | None = None
    batch: int = 16
    chunk: int = 64
    channels: int = 128
    kernels: tuple[int, ...] = (3, 3, 3, 3)
    lr: float = 2e-3
    weight_decay: float = 1e-4
    dropout: float = 0.05
    modes: tuple[str, ...] = MODES
    n_extra: int = 0
    set_weights: dict[str, float] | None = field(default_factory=lambda: dict(TRAIN_SET_WEIGHTS))
    imputed_weight: float = 0.3
    raised_weight: float = 0.5
    per_frame: bool = True
    pcutoff: float = 0.6
    loose_dropout: float = 0.5
    limb_dropout: float = 0.0
    ear_label_mm: float = 0.0
    ear_forward_mm: tuple[float, float] = (0.0, 0.0)
    shoulder_forward_mm: tuple[float, float] = (0.0, 0.0)
    neck_back_mm: tuple[float, float] = (0.0, 0.0)
    steep_snout_miss: float = 0.0
    miss_prob: tuple[float, float] = TrackingNoise.miss_prob
    nose_down_share: float = 0.0
    head_up_share: float = 0.0
    low_rear_share: float = 0.0
    tail_curl_share: float = 0.0
    high_hips_share: float = 0.0
    elbow_out: float = 0.0
    low_paws_share: float = 0.0
    image_span: tuple[float, float] | None = None
    view_deg: tuple[float, float] | None = None
    frame_view_deg: tuple[float, float] | None = None
    view: str = "above"
    max_minutes: float | None = None
    threads: int | None = None

    def steps_of(self, mode: str) -> int:
        """Optimiser steps of one network mode."""
        n = {"causal": self.causal_steps, "frame": self.frame_steps}.get(mode)
        return int(self.steps if n is None else n)


def _init_head(net: LifterNet, y: torch.Tensor, w: torch.Tensor,
               median_height_mm: np.ndarray | None) -> None:
    """Start the outputs at the population: heights at their median, body-frame positions
    at their (loss-weighted) mean, so the network learns offsets from them."""
    wsum = w.sum(0)
    mean = (w * y).sum(0) / wsum.clamp_min(1e-12)
    mean = torch.where(wsum > 0, mean, torch.zeros_like(mean))
    k = net.n_keypoints
    if median_height_mm is not None:
        mean[:k] = torch.from_numpy(np.nan_to_num(np.asarray(median_height_mm)) / SCALE_MM)
    with torch.no_grad():
        net.head.bias.copy_(mean.to(net.head.bias.dtype))


#: The limbs' keypoints that :attr:`TrainConfig.limb_dropout` drops together, one group
#: each: the forelimbs (elbows, wrists, forepaws) and the hind limbs (knees, ankles, paws).
LIMB_GROUPS = (("left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_forepaw",
                "right_forepaw"),
               ("left_knee", "right_knee", "left_ankle", "right_ankle", "left_hindpaw",
                "right_hindpaw"))


def _limb_columns(loose: np.ndarray) -> list[np.ndarray]:
    """Per group of :data:`LIMB_GROUPS`, which of the ``loose`` catalogue indices (the
    keypoints that may be dropped: the tail and limbs) are its points (bool masks)."""
    return [np.isin(loose, [CATALOGUE.index(n) for n in group]) for group in LIMB_GROUPS]


def _limb_drop(rng: np.random.Generator, batch: int, groups: Sequence[np.ndarray], p: float
              ) -> np.ndarray:
    """``(batch, len(loose))`` bool: each window loses every point of a limb group with
    probability ``p``, each group drawn on its own.

    Parameters
    ----------
    rng
        Random generator (two draws of ``batch`` uniforms per call).
    batch
        Training windows.
    groups
        :func:`_limb_columns` of the loose keypoints.
    p
        Probability per window and group.
    """
    out = np.zeros((batch, len(groups[0])), bool)
    for cols in groups:
        out[np.ix_(rng.uniform(size=batch) < p, cols)] = True
    return out


def _train_net(net: LifterNet, clips: Sequence[SyntheticClip], cfg: TrainConfig,
               rng: np.random.Generator, deadline: float | None, label: str,
               progress: bool, steps: int | None = None,
               median_height_mm: np.ndarray | None = None) -> list[float]:
    rf = net.receptive_field
    n_steps = int(cfg.steps if steps is None else steps)
    packed = PackedSequences.pack(
        (clip_arrays(clip, pcutoff=cfg.pcutoff, n_extra=cfg.n_extra,
                     imputed_weight=cfg.imputed_weight, raised_weight=cfg.raised_weight,
                     per_frame=cfg.per_frame) for clip in clips), net)
    _init_head(net, packed.y, packed.w, median_height_mm)
    lengths = packed.lengths
    chunk = cfg.chunk if rf > 1 else 1
    batch = cfg.batch if rf > 1 else cfg.batch * cfg.chunk
    ok = lengths >= chunk
    clip_ids = np.flatnonzero(ok)
    probs = lengths[ok] / lengths[ok].sum()
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = one_cycle(opt, cfg.lr, n_steps, 0.1)
    k_n = net.n_keypoints
    per = PER_KEYPOINT + cfg.n_extra
    loose = np.flatnonzero(FIT_WEIGHT <= 0.3)  # tail (but its base) and limb keypoints
    limbs_of_loose = _limb_columns(loose)
    in_mask = torch.ones(batch, packed.x.shape[1], 1)
    out_mask = torch.ones(batch, packed.y.shape[1], 1)
    net.train()
    losses: list[float] = []
    bar = progress_bar(range(n_steps), desc=f"training {label}", disable=not progress, leave=False)
    for step in bar:
        ci = clip_ids[rng.choice(len(clip_ids), size=batch, p=probs)]
        s = (rng.uniform(size=batch) * (lengths[ci] - chunk + 1)).astype(np.int64)
        xb, yb, wb = packed.windows(ci, s, chunk)  # (B, C, chunk + rf - 1), (B, 3K, chunk)
        drop = None
        if cfg.loose_dropout > 0 and len(loose):
            drop = ((rng.uniform(size=(batch, 1)) < cfg.loose_dropout)
                    & (rng.uniform(size=(batch, len(loose))) < 0.5))
        if cfg.limb_dropout > 0:
            limbs = _limb_drop(rng, batch, limbs_of_loose, cfg.limb_dropout)
            drop = limbs if drop is None else drop | limbs
        if drop is not None:
            rows, kps = np.nonzero(drop)
            in_mask.fill_(1.0)
            out_mask.fill_(1.0)
            cols = (loose[kps] * per)[:, None] + np.arange(per)
            in_mask[np.repeat(rows, per), cols.ravel(), 0] = 0.0
            out_cols = np.stack([loose[kps], k_n + 2 * loose[kps], k_n + 2 * loose[kps] + 1], 1)
            out_mask[np.repeat(rows, 3), out_cols.ravel(), 0] = 0.0
            xb = xb * in_mask
            wb = wb * out_mask
        pred = net(xb)
        err = torch.nn.functional.smooth_l1_loss(pred, yb, reduction="none", beta=0.02)
        loss = (err * wb).sum() / wb.sum().clamp_min(1.0)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        sched.step()
        losses.append(float(loss.detach()))
        if progress and step % 50 == 0:
            bar.set_postfix(loss=f"{np.mean(losses[-50:]):.4f}")
        if deadline is not None and time.monotonic() > deadline:
            logger.warning("Time limit reached: %s stopped after %d of %d steps (the result "
                           "is then not reproducible).", label, step + 1, n_steps)
            break
    net.eval()
    return losses


def train(
    config: TrainConfig | None = None,
    *,
    sequences: Sequence[Any] | None = None,
    progress: bool = True,
    generator: Callable[..., list[Any]] | None = None,
) -> tuple[LiftingModel, dict[str, Any]]:
    """Train the lifting networks on synthetic mice.

    Parameters
    ----------
    config
        Settings (:class:`TrainConfig`).
    sequences
        Training sequences to use instead of generating ``config.n_sequences``.
    progress
        Show tqdm progress bars.
    generator
        ``generator(n_sequences, n_frames, seed=...)`` making the sequences
        (default :func:`~dlc_lifter.nets.data.generate_mouse_sequences`).

    Returns
    -------
    model : LiftingModel
    history : dict
        ``loss`` per mode (list per step), ``seconds``, ``steps_done``.

    Raises
    ------
    DLCLifterError
        When the sequences to generate are shorter than the temporal networks' training
        window (``n_frames`` below ``chunk``).
    """
    cfg = config or TrainConfig()
    if (sequences is None and any(m != "frame" for m in cfg.modes)
            and cfg.n_frames < cfg.chunk):  # else no clip to train on, and a numpy error
        raise DLCLifterError(
            f"n_frames={cfg.n_frames} is shorter than the temporal networks' training window "
            f"(chunk, {cfg.chunk} frames): give sequences of at least {cfg.chunk} frames "
            "(n_frames=...).")
    if cfg.threads is not None:
        torch.set_num_threads(int(cfg.threads))
    t0 = time.monotonic()
    deadline = None if cfg.max_minutes is None else t0 + 60 * cfg.max_minutes
    torch.manual_seed(cfg.seed)
    gen = generator or generate_mouse_sequences
    n_frame = cfg.frame_sequences or cfg.n_sequences
    if "frame" in cfg.modes and cfg.frame_view_deg is not None and n_frame == cfg.n_sequences:
        _check_ranges(cfg)
        sequences = _generated(cfg, n_frame, gen, sequences)  # once, for both clip sets
    clips, med_h, pair_len = _training_clips(cfg, cfg.n_sequences, gen, sequences)
    logger.info("%d training clips (%d frames) ready after %.0f s", len(clips),
                sum(len(c.world) for c in clips), time.monotonic() - t0)
    nets: dict[str, LifterNet] = {}
    history: dict[str, Any] = {"loss": {}, "steps_done": {}}
    for mode in cfg.modes:
        mode_clips, mode_med_h = clips, med_h
        if mode == "frame":
            frame_cfg = (cfg if cfg.frame_view_deg is None
                         else replace(cfg, view_deg=tuple(cfg.frame_view_deg)))
            if n_frame != cfg.n_sequences or frame_cfg is not cfg:
                logger.info("The per-frame network's own sequences:")
                mode_clips, mode_med_h, _ = _training_clips(
                    frame_cfg, n_frame, gen, sequences if n_frame == cfg.n_sequences else None)
        torch.manual_seed(cfg.seed + MODES.index(mode))
        shape = _net_shape(cfg, mode)
        net = LifterNet(shape["in_features"], N_KEYPOINTS, channels=shape["channels"],
                        kernels=shape["kernels"], causal=shape["causal"], dropout=cfg.dropout)
        losses = _train_net(net, mode_clips, cfg,
                            np.random.default_rng([cfg.seed, MODES.index(mode)]),
                            deadline, mode, progress, steps=cfg.steps_of(mode),
                            median_height_mm=mode_med_h)
        history["loss"][mode] = losses
        history["steps_done"][mode] = len(losses)
        logger.info("%s network: loss %.4f -> %.4f over %d steps", mode,
                    float(np.mean(losses[:20])), float(np.mean(losses[-50:])), len(losses))
        nets[mode] = net
    history["seconds"] = time.monotonic() - t0
    info = {"config": {k: list(v) if isinstance(v, tuple) else v
                       for k, v in asdict(cfg).items()},
            "train_seconds": round(history["seconds"], 1),
            "steps_done": history["steps_done"], "torch": str(torch.__version__),
            # a seed gives the same weights with the same thread count: the count used
            "threads_used": int(torch.get_num_threads())}
    model = LiftingModel(nets=nets, n_extra=cfg.n_extra, median_height_mm=med_h,
                         pair_length_mm=pair_len, info=info)
    return model, history


def _net_shape(cfg: TrainConfig, mode: str) -> dict[str, Any]:
    """The shape of the network ``cfg`` trains for ``mode`` (:meth:`LifterNet.config` but
    for ``members``)."""
    return {"in_features": N_KEYPOINTS * (PER_KEYPOINT + cfg.n_extra) + N_GLOBAL,
            "n_keypoints": N_KEYPOINTS,
            "channels": (cfg.frame_channels or cfg.channels) if mode == "frame" else cfg.channels,
            "kernels": [1] if mode == "frame" else [int(k) for k in cfg.kernels],
            "causal": mode == "causal"}


def _training_clips(cfg: TrainConfig, n_sequences: int, generator: Callable[..., Any],
                    sequences: Sequence[Any] | None = None
                    ) -> tuple[list[SyntheticClip], np.ndarray, np.ndarray]:
    """Training clips of ``n_sequences`` sequences drawn with ``cfg.seed`` (or of the given
    ``sequences``), their median keypoint heights and pair lengths (:func:`population_stats`).

    The clips' draws start from a fresh ``default_rng(cfg.seed)``, so the per-frame
    network's own, larger set (``cfg.frame_sequences``) is drawn exactly as a run with
    ``n_sequences`` of that size draws it.
    """
    _check_ranges(cfg)
    sequences = _generated(cfg, n_sequences, generator, sequences)
    sequences = place_ear_labels(sequences, cfg.ear_label_mm, seed=cfg.seed,
                                 forward_mm=cfg.ear_forward_mm)
    sequences = place_shoulder_labels(sequences, cfg.shoulder_forward_mm, seed=cfg.seed)
    sequences = place_neck_labels(sequences, cfg.neck_back_mm, seed=cfg.seed)
    med_h, pair_len = population_stats(sequences)
    clips = make_clips(sequences, rng=np.random.default_rng(cfg.seed), views=cfg.views,
                       set_weights=cfg.set_weights, view=cfg.view,
                       camera_kwargs=camera_kwargs(cfg),
                       noise=TrackingNoise(steep_snout_miss=cfg.steep_snout_miss,
                                          miss_prob=cfg.miss_prob))
    return clips, med_h, pair_len


def _check_ranges(cfg: TrainConfig) -> None:
    span = cfg.image_span
    if span is not None and not 0 < span[0] <= span[1]:
        raise ValueError(f"TrainConfig.image_span must be (lo, hi) with 0 < lo <= hi; got "
                         f"{span}.")
    lo, hi = cfg.miss_prob
    if not 0 <= lo <= hi < 1:
        raise ValueError(f"TrainConfig.miss_prob must be (lo, hi) with 0 <= lo <= hi < 1; got "
                         f"{cfg.miss_prob}.")
    if not 0 <= cfg.limb_dropout <= 1:
        raise ValueError(f"TrainConfig.limb_dropout must be a probability in [0, 1]; got "
                         f"{cfg.limb_dropout}.")


#: :class:`TrainConfig` fields passed on to the sequence generator as they are (its posture
#: shares and the elbows' swing, :func:`~dlc_lifter.mouse.behaviour.generate_sequence`).
POSTURE_SHARES = ("nose_down_share", "head_up_share", "low_rear_share", "tail_curl_share",
                  "high_hips_share", "elbow_out", "low_paws_share")


def _generated(cfg: TrainConfig, n_sequences: int, generator: Callable[..., Any],
               sequences: Sequence[Any] | None) -> Sequence[Any]:
    """The given sequences, or ``n_sequences`` drawn with ``cfg.seed``."""
    if sequences is not None:
        return sequences
    logger.info("Generating %d synthetic sequences of %d frames (seed %d)",
                n_sequences, cfg.n_frames, cfg.seed)
    # postures only where asked for, so that any generator without them still works
    shares = {k: getattr(cfg, k) for k in POSTURE_SHARES if getattr(cfg, k) > 0}
    return generator(n_sequences, cfg.n_frames, seed=cfg.seed, **shares)


def camera_kwargs(cfg: TrainConfig) -> dict[str, Any] | None:
    """The training cameras' :func:`~dlc_lifter.camera.random_top_view` arguments of a
    config; None: its defaults."""
    kw: dict[str, Any] = {}
    if cfg.image_span is not None:
        kw["arena_fraction"] = tuple(cfg.image_span)
    if cfg.view_deg is not None:
        kw["view_deg"] = tuple(cfg.view_deg)
    return kw or None


# --------------------------------------------------------------------------- evaluation
@dataclass
class EvalReport:
    """Held-out errors (mm), by keypoint set.

    Attributes
    ----------
    sets
        ``{set name: {"model": {...}, "median_height": {...}, "floor": {...}}}``; each
        method dict has ``mpjpe``, ``pa_mpjpe``, ``height`` (tracked keypoints),
        ``mpjpe_rearing``, ``imputed`` (catalogue keypoints not tracked),
        ``per_keypoint`` and ``per_behaviour``.
    modes
        ``{mode: {set: mpjpe}}`` for every network mode.
    n_frames
        Frames evaluated per set.
    """

    sets: dict[str, dict[str, Any]] = field(default_factory=dict)
    modes: dict[str, dict[str, float]] = field(default_factory=dict)
    n_frames: int = 0
    seed: int = 0


def _procrustes_error(a: np.ndarray, b: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Per-frame mean error after a similarity alignment of ``a`` onto ``b``."""
    out = np.full(len(a), np.nan)
    for t in range(len(a)):
        m = ok[t]
        if m.sum() < 3:
            continue
        x, y = a[t, m], b[t, m]
        mx, my = x.mean(0), y.mean(0)
        x0, y0 = x - mx, y - my
        nx = np.sqrt((x0 ** 2).sum())
        if nx < 1e-9:
            continue
        u, s, vt = np.linalg.svd(x0.T @ y0)
        d = np.sign(np.linalg.det(u @ vt))
        dm = np.diag([1.0, 1.0, d])
        r = u @ dm @ vt
        scale = (s * np.diag(dm)).sum() / nx ** 2
        out[t] = np.linalg.norm(scale * x0 @ r - y0, axis=-1).mean()
    return out


def _summary(pred: np.ndarray, truth: np.ndarray, tracked: np.ndarray, imputed: np.ndarray,
             behaviour: np.ndarray, names: Sequence[str], beh_names: Sequence[str],
             pa_stride: int = 5) -> dict[str, Any]:
    err = np.linalg.norm(pred - truth, axis=-1)
    herr = np.abs(pred[..., 2] - truth[..., 2])
    tr = tracked & np.isfinite(err)
    rear_ids = [i for i, b in enumerate(beh_names) if b in REARING]
    rear = np.isin(behaviour, rear_ids)
    sel = np.arange(0, len(pred), pa_stride)
    pa = _procrustes_error(pred[sel], truth[sel], tr[sel])
    imp = imputed & np.isfinite(err)
    res: dict[str, Any] = {
        "mpjpe": float(err[tr].mean()) if tr.any() else math.nan,
        "pa_mpjpe": float(np.nanmean(pa)) if np.isfinite(pa).any() else math.nan,
        "height": float(herr[tr].mean()) if tr.any() else math.nan,
        "mpjpe_rearing": float(err[tr & rear[:, None]].mean())
        if (tr & rear[:, None]).any() else math.nan,
        "imputed": float(err[imp].mean()) if imp.any() else math.nan,
        "per_keypoint": {n: float(err[:, k][tr[:, k]].mean())
                         for k, n in enumerate(names) if tr[:, k].any()},
        "per_behaviour": {b: float(err[tr & (behaviour == i)[:, None]].mean())
                          for i, b in enumerate(beh_names)
                          if (tr & (behaviour == i)[:, None]).any()},
    }
    return res


def evaluate(
    model: LiftingModel,
    *,
    n_sequences: int = 40,
    n_frames: int = 300,
    seed: int = 1000,
    sets: Sequence[str] = ("superanimal_topviewmouse", "openfield"),
    mode: str = "temporal",
    all_modes: bool = True,
    sequences: Sequence[Any] | None = None,
    generator: Callable[..., list[Any]] | None = None,
    progress: bool = True,
    view: str = "above",
    view_deg: tuple[float, float] | None = None,
) -> EvalReport:
    """Errors on held-out synthetic mice (new seed: new shapes, cameras, 2D noise).

    Parameters
    ----------
    model
        The model.
    n_sequences, n_frames, seed
        The held-out set (use a seed the model was not trained with).
    sets
        Keypoint sets to evaluate (tracked as that set, with realistic errors).
    mode
        Network mode of the detailed tables.
    all_modes
        Also report MPJPE of every other mode the model has.
    sequences
        Use these sequences instead of generating them.
    generator
        As in :func:`train`.
    progress
        Show progress bars.
    view
        Cameras above the floor or below it (as :func:`~dlc_lifter.nets.data.make_clips`).
    view_deg
        Oblique cameras (as :attr:`TrainConfig.view_deg`); None: the usual top views.

    Returns
    -------
    EvalReport
    """
    if sequences is None:
        gen = generator or generate_mouse_sequences
        sequences = gen(n_sequences, n_frames, seed=seed)
    beh_names = behaviour_names()
    report = EvalReport(seed=seed)
    modes = [mode] + ([m for m in MODES if m in model.nets and m != mode] if all_modes else [])
    for s_i, set_name in enumerate(sets):
        rng = np.random.default_rng([seed, 7, s_i])
        clips = make_clips(sequences, rng=rng, keypoint_set=set_name, noise=TrackingNoise(),
                           view=view, camera_kwargs=None if view_deg is None
                           else {"view_deg": tuple(view_deg)})
        idx = [CATALOGUE.index(k) for k in set_keypoints(set_name)]
        collected: dict[str, list[np.ndarray]] = {}
        for clip in progress_bar(clips, desc=f"evaluating {set_name}", disable=not progress,
                         leave=False):
            for m in modes:
                pts, imputed, _ = model.predict(clip.uv, clip.conf, clip.camera, mode=m)
                collected.setdefault(f"pred_{m}", []).append(pts)
                if m == mode:
                    collected.setdefault("imputed", []).append(imputed)
            floor = floor_points(clip.uv, clip.camera)
            c = clip.camera.centre
            med = np.broadcast_to(model.median_height_mm, floor.shape[:2])
            collected.setdefault("pred_median", []).append(points_on_rays(floor, c, med))
            collected.setdefault("pred_floor", []).append(
                points_on_rays(floor, c, np.zeros(floor.shape[:2])))
            collected.setdefault("truth", []).append(clip.world)
            collected.setdefault("beh", []).append(np.asarray(clip.behaviour))
        cat = {k: np.concatenate(v) for k, v in collected.items()}
        truth, beh = cat["truth"], cat["beh"]
        imputed = cat["imputed"]
        tracked = ~imputed & np.isfinite(cat[f"pred_{mode}"]).all(-1)
        tracked_set = np.zeros_like(tracked)
        tracked_set[:, idx] = tracked[:, idx]
        names = list(CATALOGUE)
        out = {}
        for label, key in (("model", f"pred_{mode}"), ("median_height", "pred_median"),
                           ("floor", "pred_floor")):
            res = _summary(cat[key], truth, tracked_set, imputed if label == "model"
                           else np.zeros_like(imputed), beh, names, beh_names)
            out[label] = res
        out["model"]["tracked_fraction"] = float(tracked[:, idx].mean())
        report.sets[set_name] = out
        report.n_frames = int(len(truth))
        for m in modes:
            pe = np.linalg.norm(cat[f"pred_{m}"] - truth, axis=-1)
            ok = tracked_set & np.isfinite(pe)
            report.modes.setdefault(m, {})[set_name] = float(pe[ok].mean())
    return report


def format_report(report: EvalReport) -> str:
    """The evaluation as printable tables."""
    lines = [f"Held-out synthetic evaluation (seed {report.seed}, {report.n_frames} frames "
             "per set); errors in mm over tracked keypoints of the set:"]
    head = (f"{'set':<26}{'method':<15}{'MPJPE':>8}{'PA-MPJPE':>10}{'height':>8}"
            f"{'rearing':>9}{'imputed':>9}")
    lines += [head, "-" * len(head)]
    for set_name, methods in report.sets.items():
        for label, res in methods.items():
            lines.append(f"{set_name:<26}{label:<15}{res['mpjpe']:>8.2f}{res['pa_mpjpe']:>10.2f}"
                         f"{res['height']:>8.2f}{res['mpjpe_rearing']:>9.2f}"
                         f"{res['imputed']:>9.2f}")
    if report.modes:
        lines += ["", "MPJPE by network mode:"]
        for m, per in report.modes.items():
            lines.append(f"  {m:<10}" + "  ".join(f"{s}: {v:.2f}" for s, v in per.items()))
    for set_name, methods in report.sets.items():
        res = methods["model"]
        lines += ["", f"{set_name}: MPJPE per behaviour (model / median-height baseline):"]
        base = methods["median_height"]["per_behaviour"]
        for b, v in res["per_behaviour"].items():
            lines.append(f"  {b:<12}{v:>8.2f}{base.get(b, math.nan):>10.2f}")
        lines += [f"{set_name}: MPJPE per keypoint:"]
        lines += [f"  {k:<16}{v:>8.2f}" for k, v in res["per_keypoint"].items()]
    return "\n".join(lines)


# --------------------------------------------------------------------------- weights
def train_lifter_weights(config: TrainConfig, out: str | Path, *, eval_sequences: int = 24,
                         command: str | None = None, progress: bool = True,
                         extend: str | Path | None = None, replace_modes: bool = False
                         ) -> tuple[LiftingModel, EvalReport | None]:
    """Train the lifter, evaluate it on held-out sequences, write weights and JSON sidecar.

    The sidecar (:func:`dlc_lifter.io.weights.write_sidecar`) records ``command``, the
    configuration, the training time, the steps done per mode, the held-out errors and
    the weights' hash; the weights' metadata hold the command and held-out errors too.

    Parameters
    ----------
    config
        Settings (:class:`TrainConfig`).
    out
        The weights file (``.pt``); the sidecar goes beside it (``.json``).
    eval_sequences
        Held-out sequences of ``config.n_frames`` frames evaluated after training (seed
        ``config.seed + 100000``); 0 skips the evaluation.
    command
        The command line that ran this (filled in by ``dlc-lifter train``), recorded in
        the sidecar; ``None`` when called from Python.
    progress
        Show progress bars.
    extend
        An existing model's weights: the networks trained here (``config.modes``) join its
        networks of the same modes as more ensemble members, and the file written is that
        model so extended (:func:`extend_model`; the sidecar's ``base`` names it), with the
        base's companions for views below the floor and oblique views copied beside it
        where there are any (the sidecar's ``companions``; an existing file is kept).
        ``None``: the trained model alone, without companions.
    replace_modes
        With ``extend``: the networks trained take the place of its networks of the same
        modes instead of joining them (a new recipe for one stage, the others kept).

    Returns
    -------
    model : LiftingModel
        The trained lifter, as saved.
    report : EvalReport or None
        The held-out evaluation (``None`` when ``eval_sequences`` is 0).

    Examples
    --------
    >>> model, report = train_lifter_weights(TrainConfig(seed=0), "lifter.pt",  # doctest: +SKIP
    ...                                      command="dlc-lifter train --out lifter.pt")
    >>> print(format_report(report))  # doctest: +SKIP
    """
    t0 = time.monotonic()
    _check_extend(config, extend, replace_modes)
    model, history = train(config, progress=progress)
    model.info["command"] = command
    sidecar: dict[str, Any] = {"command": command, "config": model.info["config"],
                               "train_seconds": model.info["train_seconds"],
                               "steps_done": history["steps_done"],
                               "threads_used": model.info["threads_used"]}
    model = _extended(model, extend, sidecar, replace_modes)
    report = _evaluate_and_save(model, out, sidecar, eval_sequences=eval_sequences,
                                n_frames=config.n_frames, seed=config.seed + 100_000,
                                progress=progress, t0=t0, extend=extend)
    return model, report


def _evaluate_and_save(model: LiftingModel, out: str | Path, sidecar: dict[str, Any], *,
                       eval_sequences: int, n_frames: int, seed: int, progress: bool,
                       t0: float, extend: str | Path | None = None) -> EvalReport | None:
    """Evaluate on held-out sequences (``seed``; an extended model on its base's, so that the
    two sidecars compare), then write the weights and the sidecar; an extended model gets
    its base's companions beside it (:func:`~dlc_lifter.io.weights.copy_companions`, never
    replacing a file; the sidecar's ``companions`` lists them)."""
    from dlc_lifter.io.weights import copy_companions, file_hash, write_sidecar

    report = None
    seed = (model.info.get("base") or {}).get("held_out_seed") or seed
    if eval_sequences > 0:
        config = model.info.get("config", {})
        report = evaluate(model, n_sequences=eval_sequences, n_frames=n_frames,
                          seed=seed, progress=progress, view=config.get("view", "above"),
                          view_deg=config.get("view_deg"))
        summary = {s: {k: v for k, v in m["model"].items() if not isinstance(v, dict)}
                   for s, m in report.sets.items()}
        baselines = {s: {b: m[b]["mpjpe"] for b in ("median_height", "floor")}
                     for s, m in report.sets.items()}
        model.info["held_out"] = {"seed": report.seed, "model": summary,
                                  "baselines_mpjpe": baselines, "modes": report.modes}
        sidecar["held_out"] = model.info["held_out"]
    path = model.save(out)
    if extend is not None:
        sidecar["companions"] = copy_companions(extend, path)
    sidecar["sha256"] = file_hash(path)
    sidecar["software"] = software_record()  # the code commit the command ran at
    sidecar["total_seconds"] = round(time.monotonic() - t0, 1)
    write_sidecar(path, sidecar)
    return report


def train_ensemble_weights(config: TrainConfig, seeds: Sequence[int], out: str | Path, *,
                           eval_sequences: int = 24, command: str | None = None,
                           workdir: str | Path | None = None, progress: bool = True,
                           extend: str | Path | None = None, replace_modes: bool = False
                           ) -> tuple[LiftingModel, EvalReport | None]:
    """Train ``config`` once per seed and save the members' mean as one model.

    Each member is exactly what :func:`train_lifter_weights` trains with
    ``replace(config, seed=s)``; :meth:`LiftingModel.ensemble` averages them (a tracked
    keypoint's height is the members' mean on its ray). The held-out evaluation uses the
    seed of the first member (``seeds[0] + 100000``), as a single model of that seed would.

    Parameters
    ----------
    config
        The members' settings; ``config.seed`` is ignored (``seeds`` replace it).
    seeds
        One member per seed, in this order (at least two, no repeats).
    out
        The weights file (``.pt``); the sidecar goes beside it (``.json``).
    eval_sequences
        Held-out sequences evaluated after combining (0: skip).
    command
        The command line that ran this, recorded in the sidecar.
    workdir
        A folder for the members' own weights (``seed<N>.pt`` with sidecars). A member
        already there with the same settings is reused, so an interrupted run resumes;
        ``None``: a temporary folder, removed afterwards.
    progress
        Show progress bars.
    extend
        An existing model's weights that the members' networks join as more ensemble
        members (as :func:`train_lifter_weights`'s ``extend``).
    replace_modes
        With ``extend``: the members' networks replace its networks of the same modes.

    Returns
    -------
    model : LiftingModel
        The ensemble, as saved.
    report : EvalReport or None
        Its held-out evaluation.

    Examples
    --------
    >>> model, report = train_ensemble_weights(  # doctest: +SKIP
    ...     TrainConfig(), [0, 1, 2], "lifter.pt", workdir="members")
    """
    seeds = [int(s) for s in seeds]
    if len(seeds) < 2 or len(set(seeds)) != len(seeds):
        raise DLCLifterError(f"An ensemble needs two or more different seeds (--seeds 0,1,2); "
                             f"got {seeds}. For a single network give one seed (--seed).")
    t0 = time.monotonic()
    _check_extend(config, extend, replace_modes)
    with contextlib.ExitStack() as stack:
        folder = (Path(workdir) if workdir is not None else
                  Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dlc_lifter_"))))
        folder.mkdir(parents=True, exist_ok=True)
        members = []
        for s in seeds:
            cfg = replace(config, seed=s)
            members.append(_member(cfg, folder / f"seed{s}.pt", command, progress))
        model = LiftingModel.ensemble(members)
    model.info.update(command=command, seeds=seeds,
                      config={**members[0].info["config"], "seed": None, "seeds": seeds},
                      train_seconds=round(sum(m.info["train_seconds"] for m in members), 1))
    sidecar: dict[str, Any] = {
        "command": command, "config": model.info["config"],
        "train_seconds": model.info["train_seconds"],
        "members": [{"seed": s, "train_seconds": m.info["train_seconds"],
                     "steps_done": m.info["steps_done"],
                     "threads_used": m.info.get("threads_used")}
                    for s, m in zip(seeds, members, strict=True)]}
    model = _extended(model, extend, sidecar, replace_modes)
    report = _evaluate_and_save(model, out, sidecar, eval_sequences=eval_sequences,
                                n_frames=config.n_frames, seed=seeds[0] + 100_000,
                                progress=progress, t0=t0, extend=extend)
    return model, report


def extend_model(base: LiftingModel, added: LiftingModel, *, replace_modes: bool = False
                 ) -> LiftingModel:
    """``base`` with ``added``'s networks as more members of its ensembles (or in place of
    its networks of those modes).

    Each mode of ``added`` joins ``base``'s network of that mode
    (:func:`~dlc_lifter.nets.lifter.ensemble_net`: the mean over every single network, so
    three members of each give six equal shares); ``base``'s other modes, population
    statistics (which place the camera from the animal's size) and mirror averaging are
    kept as they are. What a model of more draws of one recipe is for: on real mice two
    ensembles of three seeds differ by as much as a recipe change (docs/results.md), and
    their mean is nearer the recipe's own.

    Parameters
    ----------
    base
        The model extended.
    added
        Networks of some of ``base``'s modes, each of the same shape as ``base``'s of that
        mode (width, kernels, input channels; any number of members).
    replace_modes
        ``added``'s networks replace ``base``'s of the same modes (any shape, the same
        extra input channels) instead of joining them.

    Returns
    -------
    LiftingModel
        A new model (``base`` and ``added`` are left as they are); its ``info`` is
        ``added``'s, with ``members`` per mode.

    Raises
    ------
    DLCLifterError
        When ``added`` has a mode ``base`` lacks, or a network of another shape.
    """
    nets = dict(base.nets)
    for mode, net in added.nets.items():
        if mode not in base.nets:
            raise DLCLifterError(f"The model extended has no {mode} network (it has "
                                 f"{', '.join(sorted(base.nets))}); train only those modes "
                                 "(--modes).")
        if added.n_extra != base.n_extra or (
                not replace_modes and network_shape(net) != network_shape(base.nets[mode])):
            raise DLCLifterError(f"The {mode} network trained here differs in shape from the "
                                 f"extended model's ({network_shape(net)} against "
                                 f"{network_shape(base.nets[mode])}); train it with the base's "
                                 "recipe (its command is in its .json sidecar).")
        nets[mode] = net if replace_modes else ensemble_net([base.nets[mode], net])
    info = {**added.info, "members": {m: n.members for m, n in nets.items()}}
    return LiftingModel(nets=nets, n_extra=base.n_extra,
                        median_height_mm=base.median_height_mm.copy(),
                        pair_length_mm=base.pair_length_mm.copy(), info=info,
                        keypoints=base.keypoints, symmetric=base.symmetric)


def _check_extend(config: TrainConfig, extend: str | Path | None,
                  replace_modes: bool = False) -> None:
    """Before training: the model in ``extend`` has a network of every mode ``config``
    trains, of the shape it trains unless it is replaced (else :func:`extend_model` would
    refuse them after the training)."""
    if extend is None:
        if replace_modes:
            raise DLCLifterError("--replace swaps networks of the lifter given with --extend; "
                                 "give --extend too, or leave --replace out.")
        return
    base = LiftingModel.load(extend)
    for mode in config.modes:
        net = base.nets.get(mode)
        have = None if net is None else network_shape(net)
        want = _net_shape(config, mode)
        # a replaced network may take another shape, but not other inputs (extend_model
        # refuses other extra channels): said here, before any training
        if have is None or (have["in_features"] != want["in_features"] if replace_modes
                            else have != want):
            raise DLCLifterError(
                f"--extend {extend}: its {mode} network is {have or 'missing'}, this recipe "
                f"trains {want}; give the flags of its own command (in its .json sidecar), or "
                "only the modes it has (--modes).")


def _extended(model: LiftingModel, extend: str | Path | None, sidecar: dict[str, Any],
              replace_modes: bool = False) -> LiftingModel:
    """``model`` joined to the model in ``extend``, or in place of its networks of the same
    modes (recorded as ``base`` in the sidecar and the info), or ``model`` itself."""
    if extend is None:
        return model
    base = LiftingModel.load(extend)
    joined = extend_model(base, model, replace_modes=replace_modes)
    record = {"path": str(extend), "sha256": base.info.get("sha256"),
              "replaced": sorted(model.nets) if replace_modes else [],
              "command": base.info.get("command"), "members": joined.info["members"],
              "held_out_seed": (base.info.get("held_out") or {}).get("seed")}
    joined.info["base"] = sidecar["base"] = record
    how = (f"Replaced the {', '.join(record['replaced'])} networks of" if replace_modes
           else "Extended")
    logger.info("%s %s: networks per mode now %s", how, extend, record["members"])
    return joined


def _with_new_defaults(done: dict[str, Any] | None, wanted: dict[str, Any]
                       ) -> dict[str, Any] | None:
    """A member's stored config with the fields added to :class:`TrainConfig` since it was
    trained filled in, where ``wanted`` asks for their default (a new option's default
    draws nothing, so the member is what it would be trained as now)."""
    if not isinstance(done, dict):
        return done
    defaults = json.loads(json.dumps(asdict(TrainConfig())))
    added = {k: v for k, v in wanted.items() if k not in done and v == defaults.get(k)}
    return {**added, **done}


def _member(cfg: TrainConfig, path: Path, command: str | None, progress: bool) -> LiftingModel:
    """One ensemble member: reused from ``path`` when trained there with ``cfg``, else trained."""
    from dlc_lifter.io.weights import read_sidecar

    wanted = json.loads(json.dumps(asdict(cfg)))  # as the sidecar stores it
    if path.is_file():
        try:
            done = _with_new_defaults(read_sidecar(path).get("config"), wanted)
        except Exception:  # noqa: BLE001 - an unreadable sidecar means: train again
            done = None
        if done == wanted:
            logger.info("Ensemble member seed %d: reusing %s", cfg.seed, path)
            return LiftingModel.load(path)
        differ = (sorted(k for k in wanted if done.get(k) != wanted[k])
                  if isinstance(done, dict) else ["its record unreadable"])
        logger.warning("Ensemble member seed %d: %s was trained with other settings (%s); "
                       "training it again, replacing it (give another --workdir to keep "
                       "it).", cfg.seed, path, ", ".join(differ))
    logger.info("Ensemble member seed %d: training", cfg.seed)
    model, _ = train_lifter_weights(cfg, path, eval_sequences=0, command=command,
                                    progress=progress)
    return model
