"""Training the fused lifter: rendered views with cues, fine-tuning, shipped recipe.

:func:`train_fused` fine-tunes a fused lifter (:mod:`dlc_lifter.nets.fusion`) from a
keypoints-only one on rendered sequences (:func:`~dlc_lifter.nets.clips.render_clips`)
seen with realistic 2D tracking errors (:func:`~dlc_lifter.nets.data.simulate_tracking`)
and cues from the depth network on crops placed from the *noisy* keypoints, exactly as at
inference (:func:`clip_views`, :func:`~dlc_lifter.nets.cues.extract_cues`). Cues are
dropped (``available = 0``) for a fraction of clips and frames, so the fused model also
degrades gracefully where depth is missing.

Rendered sequences are few next to the keypoints-only model's training sequences, so the
shipped recipe (:class:`FusedRecipe`) renders sequences of the natural behaviour mix plus
some from a grooming mix (:data:`GROOM_MIX`: the depth network under-reads the upright,
curled grooming mouse, and the fused lifter must learn how far to trust it there), samples
windows uniformly, fine-tunes every weight with an L2 pull towards the keypoints-only
model (``base_l2``, L2-SP) and an L2 penalty on the cue weights (``cue_l2``), mixes in
cue-free anchor sequences (the keypoints-only model's kind of training data) and averages
the weights of several fine-tunes (``soup``). Why, with the figures behind each choice:
``docs/results.md``.

:func:`train_fused_weights` runs the whole recipe and writes the weights with a JSON
sidecar (``dlc-lifter train fused``).

One module although long: it has one role, training the fused lifter, and its sections
(views with cues, fine-tuning, shipped recipe) are each step of that one recipe.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dlc_lifter.camera import Camera
from dlc_lifter.mouse.catalogue import CATALOGUE, KEYPOINT_SETS
from dlc_lifter.nets.clips import RenderedClip, render_clips
from dlc_lifter.nets.cues import CUE_NAMES, HEIGHT_CUES, N_CUES, FrameDepth, extract_cues
from dlc_lifter.nets.data import (
    SyntheticClip,
    TrackingNoise,
    clip_arrays,
    random_keypoint_set,
    simulate_tracking,
)
from dlc_lifter.nets.depth import DepthModel
from dlc_lifter.nets.fusion import expand_model
from dlc_lifter.nets.lifter import (
    MODES,
    N_GLOBAL,
    PER_KEYPOINT,
    LifterNet,
    LiftingModel,
    floor_points,
    frame_features,
)
from dlc_lifter.nets.schedule import one_cycle
from dlc_lifter.nets.windows import PackedSequences

__all__ = [
    "GROOM_MIX",
    "REAR_MIX",
    "ClipView",
    "FusedRecipe",
    "FusedTrainConfig",
    "clip_views",
    "fused_arrays",
    "train_fused",
    "train_fused_weights",
]

logger = logging.getLogger(__name__)

#: Behaviours of a rearing-rich mix: rearing and the low, compact postures it must not be
#: confused with.
REAR_MIX: tuple[str, ...] = ("rear", "rear_wall", "sniff", "crouch")
#: Behaviours of every few fused-lifter training clips: grooming bouts (where the depth
#: network under-reads the upright, curled mouse and the fused lifter must learn how far to
#: trust it) between walking and sniffing.
GROOM_MIX: tuple[str, ...] = ("groom", "walk", "sniff")


@dataclass
class ClipView:
    """One rendered clip as a tracker would see it, with depth cues.

    Attributes
    ----------
    world
        ``(T, K, 3)`` true landmarks.
    uv, conf
        ``(T, K, 2)`` / ``(T, K)`` simulated tracking (catalogue order, NaN where missing).
    cues
        ``(T, K, N_CUES)`` depth cues at the tracked keypoints.
    camera
        The camera.
    behaviour
        ``(T,)`` behaviour index.
    keypoint_set
        Name of the tracked set.
    depth
        Optional :class:`FrameDepth` (kept for evaluation and figures).
    """

    world: np.ndarray
    uv: np.ndarray
    conf: np.ndarray
    cues: np.ndarray
    camera: Camera
    behaviour: np.ndarray
    keypoint_set: str
    depth: FrameDepth | None = None


def clip_views(clip: RenderedClip, depth_model: DepthModel, rng: np.random.Generator, *,
               pair_length_mm: np.ndarray, views: int = 1, keypoint_set: str | None = None,
               set_weights: Mapping[str, float] | None = None,
               noise: TrackingNoise | None = None, pcutoff: float = 0.6,
               keep_depth: bool = False) -> list[ClipView]:
    """Simulate tracking of a rendered clip and read depth cues as at inference.

    The crop of each frame is placed from the *noisy* tracked keypoints, at the image scale
    estimated from them (:func:`~dlc_lifter.nets.crops.px_per_mm_from_keypoints`; the
    camera's when too few keypoint pairs are tracked), as
    :func:`~dlc_lifter.nets.cues.extract_cues` does.

    Parameters
    ----------
    clip
        The rendered clip.
    depth_model
        The depth network.
    rng
        Draws keypoint sets and tracking errors.
    pair_length_mm
        Population pair lengths (the lifter's ``pair_length_mm``) for the image scale.
    views
        Independent tracking simulations.
    keypoint_set
        Use this :data:`~dlc_lifter.mouse.catalogue.KEYPOINT_SETS` set (default: random).
    set_weights
        Keypoint-set probabilities when drawing.
    noise
        Tracking error model.
    pcutoff
        Likelihood cutoff.
    keep_depth
        Keep the depth maps in the views.

    Returns
    -------
    list of ClipView
    """
    out = []
    for _ in range(views):
        if keypoint_set is None:
            name, kmask = random_keypoint_set(rng, set_weights)
        else:
            name = keypoint_set
            kmask = np.isin(np.array(CATALOGUE), KEYPOINT_SETS[keypoint_set])
        uv, conf, _ = simulate_tracking(clip.world, clip.camera, rng, kmask, noise)
        fc = extract_cues(clip.rgb, uv, conf, depth_model, pair_length_mm=pair_length_mm,
                          camera=clip.camera, pcutoff=pcutoff)
        out.append(ClipView(world=clip.world, uv=uv, conf=conf, cues=fc.cues,
                            camera=clip.camera, behaviour=clip.behaviour, keypoint_set=name,
                            depth=fc.depth if keep_depth else None))
    return out


def fused_arrays(view: ClipView, *, pcutoff: float = 0.6, n_extra: int = N_CUES,
                 drop: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fused network features, targets and loss weights of one view.

    Parameters
    ----------
    view
        A :class:`ClipView`.
    pcutoff
        Likelihood cutoff.
    n_extra
        Cue channels.
    drop
        ``(T,)`` bool, frames whose cues are dropped (as if there were no video).

    Returns
    -------
    features, targets, weights : numpy.ndarray
        As :func:`dlc_lifter.nets.data.clip_arrays`, the features with the cue channels.
    """
    clip = SyntheticClip(world=view.world, uv=view.uv, conf=view.conf, camera=view.camera,
                         keypoint_set=view.keypoint_set, behaviour=view.behaviour)
    _, targets, weights = clip_arrays(clip, pcutoff=pcutoff)
    floor = floor_points(view.uv, view.camera)
    c = np.nan_to_num(view.conf, nan=0.0)
    obs = np.isfinite(floor).all(-1) & (c >= pcutoff)
    cues = view.cues if drop is None else np.where(drop[:, None, None], 0.0, view.cues)
    feats, _ = frame_features(floor, c, obs, view.camera.centre, extra=cues, n_extra=n_extra)
    return feats, targets, weights


@dataclass
class FusedTrainConfig:
    """Settings of :func:`train_fused` (recorded in the weights' metadata).

    Attributes
    ----------
    seed
        Seed of batches and cue dropout.
    steps, batch, chunk, lr, weight_decay
        Optimisation per network mode (AdamW, one-cycle schedule, windows of ``chunk``
        output frames).
    clip_drop, frame_drop
        Probability of dropping the cues of a whole view / of a frame.
    rear_weight
        Extra sampling weight of windows with rearing.
    modes
        Network modes to fine-tune (the others are copied from the base unchanged).
    scope
        What is trained: ``cues`` (only the first layer's weights on the cue channels:
        the keypoint pathway stays exactly the base model's, so the fused model cannot
        forget what the keypoints-only model learned from far more sequences than are
        rendered), ``first`` (the whole first layer) or ``all`` (every weight). Batch-norm
        statistics stay frozen and dropout off, so training starts from the base model's
        exact outputs.
    cue_l2
        L2 penalty on the first layer's cue weights (a prior towards the keypoints-only
        model where the cues do not clearly help).
    base_l2
        L2 penalty on the distance of the trained keypoint (non-cue) weights from the
        base model's (L2-SP): rendered sequences are far fewer than the base model's
        training sequences, and fine-tuning the keypoint pathway on them alone, even with
        no cues at all, makes the 4-keypoint lifting worse on held-out renders.
    cue_jitter
        Per-view log-normal scale error applied to the height cues (depth networks are
        not perfectly calibrated on real video).
    anchor_sequences, anchor_frames
        Also train on this many generated (not rendered) sequences without cues
        (``available = 0``), seen like the keypoints-only model's training data: keeps
        the fused model as good as the base where there is no depth, and anchors the
        shared weights when ``scope`` is not ``cues``.
    soup
        Fine-tune this many models (seeds ``seed``, ``seed + 1``, ...: each its own batch
        order, cue dropout, cue jitter and anchor sequences) and average their weights, a
        "model soup" (Wortsman et al., ICML 2022). All start from the same base model and
        stay near it under ``base_l2``, so their average is itself a good model; it keeps
        the one model's inference cost and removes much of the spread between runs (which
        rendered windows a run happens to fit, ``docs/results.md``). ``steps`` is per
        member, so training takes ``soup`` times as long.
    threads
        ``torch.set_num_threads``.
    """

    seed: int = 0
    steps: int = 800
    batch: int = 32
    chunk: int = 32
    lr: float = 1e-3
    weight_decay: float = 1e-4
    clip_drop: float = 0.1
    frame_drop: float = 0.05
    rear_weight: float = 2.0
    modes: tuple[str, ...] = MODES
    scope: str = "cues"
    cue_l2: float = 1e-4
    base_l2: float = 0.0
    cue_jitter: float = 0.1
    anchor_sequences: int = 0
    anchor_frames: int = 300
    soup: int = 1
    threads: int | None = None


def _cue_columns(net: LifterNet) -> torch.Tensor:
    """``(in_features,)`` bool: the first layer's input channels that are cues."""
    k = net.n_keypoints
    per = (net.in_features - N_GLOBAL) // k
    cols = torch.zeros(net.in_features, dtype=torch.bool)
    for kp in range(k):
        cols[kp * per + PER_KEYPOINT: (kp + 1) * per] = True
    return cols


def _trainable(net: LifterNet, scope: str) -> tuple[list[torch.nn.Parameter], list[Any]]:
    """Parameters to optimise for ``scope`` (others get ``requires_grad = False``) and the
    gradient hooks to remove afterwards."""
    if scope not in ("cues", "first", "all"):
        raise ValueError(f"scope must be 'cues', 'first' or 'all', not {scope!r}.")
    if scope == "all":
        return list(net.parameters()), []
    for prm in net.parameters():
        prm.requires_grad_(False)
    w = net.expand.weight
    w.requires_grad_(True)
    handles = []
    if scope == "cues":  # zero gradient (and, with no weight decay, no change) elsewhere
        keep = _cue_columns(net)[None, :, None].to(w.dtype)
        handles.append(w.register_hook(lambda g: g * keep))
    return [w], handles


def train_fused(base: LiftingModel, views: Sequence[ClipView],
                config: FusedTrainConfig | None = None) -> tuple[LiftingModel, dict[str, Any]]:
    """Fine-tune a fused lifter (keypoints + depth cues) from a keypoints-only one.

    Parameters
    ----------
    base
        The keypoints-only model (``n_extra == 0``).
    views
        Training views (:func:`clip_views` of :func:`render_clips`).
    config
        Settings.

    Returns
    -------
    model : LiftingModel
        With ``n_extra = N_CUES``: with ``config.soup > 1``, the weight average of that
        many fine-tuned models.
    history : dict
        ``loss`` per mode (per step, the mean over the soup's members), ``members`` (each
        member's ``loss``), ``seconds``.
    """
    cfg = config or FusedTrainConfig()
    if cfg.soup < 1:
        raise ValueError(f"soup must be >= 1, not {cfg.soup}.")
    if cfg.threads is not None:
        torch.set_num_threads(int(cfg.threads))
    t0 = time.monotonic()
    views = list(views)
    members = []
    for j in range(cfg.soup):
        if cfg.soup > 1:
            logger.info("fused soup member %d of %d (seed %d)", j + 1, cfg.soup, cfg.seed + j)
        members.append(_fine_tune(base, views, replace(cfg, seed=cfg.seed + j)))
    model = members[0][0]
    if cfg.soup > 1:
        for mode in cfg.modes:
            if mode not in model.nets:
                continue
            states = [m.nets[mode].state_dict() for m, _ in members]
            model.nets[mode].load_state_dict(
                {name: (torch.stack([s[name] for s in states]).mean(0)
                        if t.dtype.is_floating_point else t)
                 for name, t in states[0].items()})
            model.nets[mode].eval()
    history: dict[str, Any] = {
        "loss": {mode: np.mean([h[mode] for _, h in members], axis=0).tolist()
                 for mode in members[0][1]},
        "members": [h for _, h in members],
        "seconds": time.monotonic() - t0}
    model.info.update({"config": {k: list(v) if isinstance(v, tuple) else v
                                  for k, v in asdict(cfg).items()},
                       "train_seconds": round(history["seconds"], 1)})
    return model, history


def _fine_tune(base: LiftingModel, views: list[ClipView],
               cfg: FusedTrainConfig) -> tuple[LiftingModel, dict[str, list[float]]]:
    """One fine-tuned fused model of :func:`train_fused` (seed ``cfg.seed``) and its loss
    per mode and step."""
    from dlc_lifter.mouse.behaviour import BEHAVIOURS
    from dlc_lifter.nets.train import REARING

    t0 = time.monotonic()
    rng = np.random.default_rng([cfg.seed, 29])
    model = expand_model(base, N_CUES)
    rear_ids = [BEHAVIOURS.index(b) for b in REARING]
    views = list(views)
    if cfg.anchor_sequences:
        views.extend(_anchor_views(cfg))
    data = _fused_training_data(views, cfg, rng, rear_ids)
    losses_by_mode: dict[str, list[float]] = {}
    for mode in cfg.modes:
        if mode not in model.nets:
            continue
        losses = _fine_tune_mode(model.nets[mode], mode, data, cfg)
        losses_by_mode[mode] = losses
        logger.info("fused %s: loss %.4f -> %.4f over %d steps", mode,
                    float(np.mean(losses[:20])), float(np.mean(losses[-50:])), len(losses))
    model.info.update({"fused": True, "cues": list(CUE_NAMES), "n_views": len(views),
                       "n_frames": int(sum(len(v.uv) for v in views)),
                       "train_seconds": round(time.monotonic() - t0, 1)})
    return model, losses_by_mode


def _anchor_views(cfg: FusedTrainConfig) -> list[ClipView]:
    """Cue-free views of keypoints-only training sequences (all cues zero)."""
    from dlc_lifter.nets.data import generate_mouse_sequences, make_clips

    seqs = generate_mouse_sequences(cfg.anchor_sequences, cfg.anchor_frames,
                                    seed=cfg.seed + 5000)
    return [ClipView(world=c.world, uv=c.uv, conf=c.conf,
                     cues=np.zeros(c.uv.shape[:2] + (N_CUES,), np.float32),
                     camera=c.camera, behaviour=np.asarray(c.behaviour),
                     keypoint_set=c.keypoint_set)
            for c in make_clips(seqs, rng=np.random.default_rng([cfg.seed, 31]))]


_FusedClip = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _fused_training_data(views: list[ClipView], cfg: FusedTrainConfig,
                         rng: np.random.Generator, rear_ids: list[int]) -> list[_FusedClip]:
    """Per view: features with cues dropped and jittered, targets, weights, rearing frames."""
    data = []
    for v in views:
        drop = (np.full(len(v.uv), rng.uniform() < cfg.clip_drop)
                | (rng.uniform(size=len(v.uv)) < cfg.frame_drop))
        if cfg.cue_jitter > 0:
            gain = np.ones(N_CUES, np.float32)
            gain[list(HEIGHT_CUES) + [5]] = math.exp(rng.normal(0.0, cfg.cue_jitter))
            v = ClipView(world=v.world, uv=v.uv, conf=v.conf, cues=v.cues * gain,
                         camera=v.camera, behaviour=v.behaviour, keypoint_set=v.keypoint_set)
        f, y, w = fused_arrays(v, drop=drop)
        data.append((f, y, w, np.isin(v.behaviour, rear_ids)))
    return data


def _fine_tune_mode(net: LifterNet, mode: str, data: list[_FusedClip],
                    cfg: FusedTrainConfig) -> list[float]:
    """Fine-tune one mode's net in place on windows of ``data``; the loss per step."""
    rf = net.receptive_field
    chunk = cfg.chunk if rf > 1 else 1
    batch = cfg.batch if rf > 1 else cfg.batch * cfg.chunk
    packed = PackedSequences.pack(((f, y, w) for f, y, w, _ in data), net)
    wts = [len(f) * (1.0 + (cfg.rear_weight - 1.0) * float(rear.mean()))
           for f, _, _, rear in data]
    lengths_a = packed.lengths
    p = np.array(wts) / np.sum(wts)
    mrng = np.random.default_rng([cfg.seed, MODES.index(mode)])
    torch.manual_seed(cfg.seed + MODES.index(mode))
    params, handles = _trainable(net, cfg.scope)
    cue_cols = _cue_columns(net)
    ref = [prm.detach().clone() for prm in params] if cfg.base_l2 > 0 else []
    opt = torch.optim.AdamW(params, lr=cfg.lr,
                            weight_decay=0.0 if cfg.scope == "cues" else cfg.weight_decay)
    sched = one_cycle(opt, cfg.lr, cfg.steps, 0.15)
    net.eval()  # batch-norm statistics and dropout stay as in the base model
    losses = []
    for _ in range(cfg.steps):
        ci = mrng.choice(len(p), size=batch, p=p)
        s = (mrng.uniform(size=batch) * (lengths_a[ci] - chunk + 1)).astype(np.int64)
        xb, yb, wb = packed.windows(ci, s, chunk)
        pred = net(xb)
        loss = _fused_loss(net, pred, yb, wb, params, ref, cue_cols, cfg)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        losses.append(float(loss.detach()))
    for handle in handles:
        handle.remove()
    for prm in net.parameters():
        prm.requires_grad_(True)
    net.eval()
    return losses


def _fused_loss(net: LifterNet, pred: torch.Tensor, yb: torch.Tensor, wb: torch.Tensor,
                params: list[torch.nn.Parameter], ref: list[torch.Tensor], cue_cols: torch.Tensor,
                cfg: FusedTrainConfig) -> torch.Tensor:
    """Weighted smooth-L1 error plus the cue-weight (L2) and base-model (L2-SP) pulls."""
    err = torch.nn.functional.smooth_l1_loss(pred, yb, reduction="none", beta=0.02)
    loss = (err * wb).sum() / wb.sum().clamp_min(1.0)
    if cfg.cue_l2 > 0:
        loss = loss + cfg.cue_l2 * (net.expand.weight[:, cue_cols] ** 2).sum()
    if cfg.base_l2 > 0:
        for prm, r in zip(params, ref, strict=True):
            d = prm - r
            if prm is net.expand.weight:
                d = d[:, ~cue_cols]
            loss = loss + cfg.base_l2 * (d ** 2).sum()
    return loss


# --------------------------------------------------------------------------- shipped recipe
def _shipped_fused_config() -> FusedTrainConfig:
    return FusedTrainConfig(steps=800, lr=1e-3, scope="all", anchor_sequences=64,
                            rear_weight=1.0, cue_l2=1e-2, cue_jitter=0.1, base_l2=1.0, soup=4,
                            threads=1)


@dataclass(frozen=True)
class FusedRecipe:
    """Everything that makes fused-lifter weights: rendered views, seeds and settings.

    The defaults are the recipe of the shipped ``depth_fused_lifter.pt``. Clip ``i`` (``0
    <= i < clips``) is rendered by ``render_clips(1, frames, seed=render_seed + i,
    behaviours=...)`` (:meth:`behaviours_of`) and tracked ``views`` times with
    ``default_rng([tracking_seed, i])``, so the views do not depend on which process
    renders which clip.

    Attributes
    ----------
    clips, frames, views
        Rendered sequences drawn, frames per sequence, tracking simulations per sequence.
    render_seed, tracking_seed
        Seeds of the rendering and of the simulated tracking.
    rear_every
        Every ``rear_every``-th clip draws from :data:`REAR_MIX` (0: none).
    groom_every, groom_keep
        Every ``groom_every``-th clip (not taken by ``rear_every``) draws from
        :data:`GROOM_MIX`, and only every ``groom_keep``-th of those is used (0: none).
    train
        Fine-tuning settings (:class:`FusedTrainConfig`; seeds ``train.seed`` to
        ``train.seed + train.soup - 1``).
    """

    clips: int = 768
    frames: int = 48
    views: int = 2
    render_seed: int = 1000
    tracking_seed: int = 23
    rear_every: int = 0
    groom_every: int = 3
    groom_keep: int = 2
    train: FusedTrainConfig = field(default_factory=_shipped_fused_config)

    def behaviours_of(self, i: int) -> tuple[str, ...] | None | bool:
        """Behaviours of clip ``i``: a mix, ``None`` (every behaviour) or ``False`` (the
        clip is not used)."""
        if self.rear_every and i % self.rear_every == 0:
            return REAR_MIX
        if self.groom_every and i % self.groom_every == 0:
            keep = (i // self.groom_every) % max(self.groom_keep, 1) == 0
            return GROOM_MIX if keep else False
        return None


_WORKER: dict[str, Any] = {}


def _init_view_worker(depth_model: DepthModel, pair_length_mm: np.ndarray) -> None:
    """Per-process state of :func:`_recipe_views` (one torch thread: processes in parallel)."""
    torch.set_num_threads(1)
    _WORKER.update(depth_model=depth_model, pair_length_mm=pair_length_mm)


def _recipe_views(recipe: FusedRecipe, i: int) -> list[ClipView]:
    """The training views of clip ``i`` of ``recipe`` (see :class:`FusedRecipe`)."""
    mix = recipe.behaviours_of(i)
    behaviours = None if mix is None or mix is False else mix
    clip = render_clips(1, recipe.frames, seed=recipe.render_seed + i, behaviours=behaviours)[0]
    return clip_views(clip, _WORKER["depth_model"],
                      np.random.default_rng([recipe.tracking_seed, i]),
                      pair_length_mm=_WORKER["pair_length_mm"], views=recipe.views)


def fused_training_views(recipe: FusedRecipe, depth_model: DepthModel,
                         pair_length_mm: np.ndarray, *, workers: int = 2) -> list[ClipView]:
    """The training views of ``recipe``, in clip order.

    Parameters
    ----------
    recipe
        The recipe.
    depth_model
        The depth network that reads the cues.
    pair_length_mm
        ``(K, K)`` population pair lengths (the base lifter's) for the crops' scale.
    workers
        Processes rendering clips (0 or 1: in this process; the result is the same).

    Returns
    -------
    list of ClipView
    """
    ids = [i for i in range(recipe.clips) if recipe.behaviours_of(i) is not False]
    if workers <= 1:
        threads = torch.get_num_threads()
        try:
            _init_view_worker(depth_model, pair_length_mm)
            return [v for i in ids for v in _recipe_views(recipe, i)]
        finally:
            torch.set_num_threads(threads)
            _WORKER.clear()
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers, initializer=_init_view_worker,
                             initargs=(depth_model, pair_length_mm)) as pool:
        futs = [pool.submit(_recipe_views, recipe, i) for i in ids]
        return [v for f in futs for v in f.result()]


def train_fused_weights(recipe: FusedRecipe, out: str | Path, *, base: LiftingModel,
                        depth_model: DepthModel, command: str | None = None,
                        workers: int = 2) -> LiftingModel:
    """Train a fused lifter from a recipe; write its weights and their JSON sidecar.

    Deterministic for a recipe, a base lifter and a depth network: the same inputs and
    code give the same weights.

    Parameters
    ----------
    recipe
        Rendered views, seeds and settings (:class:`FusedRecipe`; the default is the
        shipped recipe).
    out
        The weights file (``.pt``); the sidecar goes beside it (``.json``).
    base
        The keypoints-only lifter it starts from (the shipped ``lifter.pt`` for the
        shipped weights).
    depth_model
        The depth network that reads the training cues (the shipped ``depth_net.pt``).
    command
        The command line that ran this (filled in by ``dlc-lifter train fused``), recorded
        in the sidecar; ``None`` when called from Python.
    workers
        Processes rendering the training clips (does not change the result).

    Returns
    -------
    LiftingModel
        The fused lifter, as saved.

    Examples
    --------
    >>> from dlc_lifter.nets.depth import DepthModel                     # doctest: +SKIP
    >>> train_fused_weights(FusedRecipe(), "depth_fused_lifter.pt",      # doctest: +SKIP
    ...                     base=LiftingModel.load("lifter.pt"),
    ...                     depth_model=DepthModel.load("depth_net.pt"))
    """
    from dlc_lifter._version import __version__
    from dlc_lifter.io.weights import file_hash, write_sidecar

    t0 = time.perf_counter()
    views = fused_training_views(recipe, depth_model, base.pair_length_mm, workers=workers)
    logger.info("%d fused training views rendered in %.0f s", len(views),
                time.perf_counter() - t0)
    fused, _ = train_fused(base, views, recipe.train)
    depth_info = {"path": depth_model.info.get("path"),
                  "sha256": (file_hash(depth_model.info["path"])
                             if depth_model.info.get("path") else None),
                  "isolate_margin_mm": depth_model.isolate_margin_mm,
                  "rear_context_mm": depth_model.rear_context_mm}
    fused.info.update(command=command, recipe=asdict(recipe), depth_net=depth_info,
                      code_version=__version__,
                      total_seconds=round(time.perf_counter() - t0, 1))
    path = fused.save(out)
    cfg = recipe.train
    write_sidecar(path, {
        "kind": "fused", "command": command, "code_version": __version__, "seed": cfg.seed,
        "recipe": asdict(recipe), "config": fused.info["config"],
        "seeds": {"render": f"{recipe.render_seed}+i",
                  "tracking": f"[{recipe.tracking_seed}, i]",
                  "train": list(range(cfg.seed, cfg.seed + cfg.soup))},
        "base": fused.info.get("base"), "depth_net": depth_info,
        "n_views": fused.info["n_views"], "n_frames": fused.info["n_frames"],
        "train_seconds": fused.info["train_seconds"],
        "total_seconds": fused.info["total_seconds"], "torch": str(torch.__version__),
        "sha256": file_hash(path)})
    logger.info("Fused lifter written to %s", path)
    return fused
