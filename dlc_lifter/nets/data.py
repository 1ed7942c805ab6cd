"""Synthetic training and test samples: 3D mouse sequences seen by random top-view cameras.

A :class:`SyntheticClip` is one synthetic mouse sequence (exact 3D landmarks, world mm)
seen by a random top-view camera (:func:`dlc_lifter.camera.random_top_view`: height
250-2000 mm, tilt up to 15 deg, any roll), tracked with one keypoint set (the openfield
4-set, the SuperAnimal 27-set, the whole catalogue, a common DLC / SLEAP set
(:data:`COMMON_SETS`), a random superset of the openfield set or a random subset: see
:func:`random_keypoint_set`) and with 2D errors
like those of real DeepLabCut / SLEAP output (:class:`TrackingNoise`): temporally
correlated Gaussian jitter of a few pixels, heavier-tailed jitter, jumps to a wrong place
with low-ish likelihood, left/right swaps, missing points and gaps, points leaving the
image. :func:`clip_arrays` turns a clip into network features and targets.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.signal import lfilter

from dlc_lifter.camera import Camera, random_top_view
from dlc_lifter.mouse.catalogue import CATALOGUE, KEYPOINT_SETS
from dlc_lifter.nets.lifter import (
    MIRROR,
    N_KEYPOINTS,
    SCALE_MM,
    floor_points,
    frame_features,
    world_to_body,
)

__all__ = [
    "DEFAULT_SET_WEIGHTS",
    "COMMON_SETS",
    "SyntheticClip",
    "TrackingNoise",
    "clip_arrays",
    "generate_mouse_sequences",
    "make_clips",
    "place_ear_labels",
    "place_neck_labels",
    "place_shoulder_labels",
    "steep_head",
    "population_stats",
    "random_keypoint_set",
    "set_keypoints",
    "simulate_tracking",
]

logger = logging.getLogger(__name__)

#: How often each keypoint set is drawn for a training clip.
DEFAULT_SET_WEIGHTS: dict[str, float] = {
    "openfield": 0.3, "superanimal_topviewmouse": 0.35, "all": 0.1, "random": 0.25,
}

#: Keypoint sets real DeepLabCut / SLEAP users commonly track (besides
#: :data:`~dlc_lifter.mouse.catalogue.KEYPOINT_SETS`), in catalogue names (what the
#: alias table maps the usual labels to: snout -> nose, bodycenter -> mouse_center,
#: tailmid -> tail3, trunk -> mouse_center, tti -> tail_base, ...).
COMMON_SETS: dict[str, tuple[str, ...]] = {
    # snout, ears, neck, bodycenter, tailbase, tailmid, tailend (DLC example projects)
    "dlc_8": ("nose", "left_ear", "right_ear", "neck", "mouse_center", "tail_base", "tail3",
              "tail_end"),
    "nose_ears_neck_tail_base": ("nose", "left_ear", "right_ear", "neck", "tail_base"),
    "openfield_tail_end": ("nose", "left_ear", "right_ear", "tail_base", "tail_end"),
    "nose_ears_center_tail_base": ("nose", "left_ear", "right_ear", "mouse_center",
                                   "tail_base"),
    "dlc_6": ("nose", "left_ear", "right_ear", "mouse_center", "tail_base", "tail_end"),
    # SLEAP / MARS top-view skeletons
    "sleap_topview": ("nose", "left_ear", "right_ear", "neck", "left_midside",
                      "right_midside", "tail_base", "tail_end"),
    "sleap_paws": ("nose", "left_ear", "right_ear", "neck", "mouse_center", "tail_base",
                   "tail_end", "left_forepaw", "right_forepaw", "left_hindpaw",
                   "right_hindpaw"),
    "head_spine_tail": ("nose", "head_midpoint", "neck", "mouse_center", "tail_base", "tail1",
                        "tail3", "tail_end"),
    "nose_center_tail_base": ("nose", "mouse_center", "tail_base"),
    "nose_neck_center_tail": ("nose", "neck", "mouse_center", "tail_base", "tail_end"),
}

_INDEX = {n: i for i, n in enumerate(CATALOGUE)}
_OPENFIELD = np.array([_INDEX[k] for k in KEYPOINT_SETS["openfield"]])
_LIMB = np.array([any(s in n for s in ("elbow", "wrist", "paw", "knee", "ankle"))
                  for n in CATALOGUE])
#: How likely each keypoint joins a random superset of the openfield set: the ones users
#: add most (neck, body centre, tail end...) often, limbs rarely.
_SUPERSET_W = np.where(_LIMB, 0.4, 1.0) * np.array(
    [3.0 if n in ("neck", "mouse_center", "tail_end", "tail3", "head_midpoint", "left_midside",
                  "right_midside", "tail1") else 1.0 for n in CATALOGUE])


def set_keypoints(name: str) -> tuple[str, ...]:
    """Catalogue names of a named keypoint set (:data:`KEYPOINT_SETS` or
    :data:`COMMON_SETS`)."""
    if name in KEYPOINT_SETS:
        return tuple(KEYPOINT_SETS[name])
    if name in COMMON_SETS:
        return COMMON_SETS[name]
    raise KeyError(f"Unknown keypoint set '{name}'; known: "
                   f"{', '.join([*KEYPOINT_SETS, *COMMON_SETS])}.")
_PAIRS = [(i, int(j)) for i, j in enumerate(MIRROR) if j > i]  # left/right pairs
_NOISY = np.array([1.5 if (n.startswith("tail") and n not in ("tail_base", "tail1"))
                   or any(s in n for s in ("elbow", "wrist", "paw", "knee", "ankle")) else 1.0
                   for n in CATALOGUE])


#: A head points steeply down where its snout is more than this many times as far below
#: the ears' midpoint as it is ahead of it, seen from above (55 deg). How often real and
#: synthetic mice hold it so: ``docs/results.md``, "Real mice: where labs put the ears, and
#: six more draws of the per-frame recipe, screened and dropped".
STEEP_HEAD_RATIO = 1.43


@dataclass(frozen=True)
class TrackingNoise:
    """2D tracking errors like those of DeepLabCut / SLEAP predictions.

    Attributes
    ----------
    sigma_px
        Range of the per-clip Gaussian jitter (px, drawn log-uniformly); tail and limb
        points get 1.5 times more.
    correlation
        Frame-to-frame correlation of the jitter (AR(1) coefficient).
    heavy_prob, heavy_scale
        Fraction of points with extra Student-t (3 dof) jitter, and its scale (x sigma).
    jump_prob, jump_px
        Per point and frame probability that a wrong detection (lasting 1-4 frames)
        starts, and its distance range (px); likelihood 0.02-0.7.
    swap_prob
        Per left/right pair and frame probability that a swap (1-8 frames) starts.
    miss_prob
        Range of the per-clip rate of randomly missing points.
    gap_prob
        Per keypoint and clip probability of a 5-60 frame gap.
    steep_snout_miss
        Probability that the snout is missing in a frame where the head points steeply
        down (the snout more than :data:`STEEP_HEAD_RATIO` times as far below the ears'
        midpoint as it is ahead of it, seen from above), as labellers and trackers lose a
        snout the head hides; 0 (the default): missing points fall at random, whatever
        the posture.
    """

    sigma_px: tuple[float, float] = (0.5, 3.0)
    correlation: float = 0.6
    heavy_prob: float = 0.04
    heavy_scale: float = 3.0
    jump_prob: float = 0.003
    jump_px: tuple[float, float] = (8.0, 50.0)
    swap_prob: float = 0.002
    miss_prob: tuple[float, float] = (0.0, 0.06)
    gap_prob: float = 0.05
    steep_snout_miss: float = 0.0

    @classmethod
    def clean(cls) -> TrackingNoise:
        """No errors at all (geometry checks)."""
        return cls(sigma_px=(0.0, 0.0), heavy_prob=0.0, jump_prob=0.0, swap_prob=0.0,
                   miss_prob=(0.0, 0.0), gap_prob=0.0)


@dataclass
class SyntheticClip:
    """One synthetic sequence, its camera and its simulated 2D tracking.

    Attributes
    ----------
    world
        ``(T, K, 3)`` exact landmarks (world mm), catalogue order.
    uv
        ``(T, K, 2)`` tracked pixels, NaN where not tracked / not in the set.
    conf
        ``(T, K)`` likelihoods, NaN where not tracked.
    camera
        The camera.
    keypoint_set
        Name of the tracked set (a :data:`KEYPOINT_SETS` or :data:`COMMON_SETS` name, or
        the kind of random set: ``random``, ``independent``, ``superset``, ``common``).
    behaviour
        ``(T,)`` behaviour index per frame (-1 if unknown).
    outlier
        ``(T, K)`` bool: a jump or swap was injected.
    """

    world: np.ndarray
    uv: np.ndarray
    conf: np.ndarray
    camera: Camera
    keypoint_set: str
    behaviour: np.ndarray
    outlier: np.ndarray = field(default_factory=lambda: np.zeros((0, N_KEYPOINTS), bool))
    fps: float = 30.0


# --------------------------------------------------------------------------- sequences
def generate_mouse_sequences(n_sequences: int, n_frames: int, *, seed: int,
                             **kwargs: Any) -> list[Any]:
    """Synthetic mouse sequences from :mod:`dlc_lifter.mouse.behaviour`.

    Returns
    -------
    list of MouseSequence
        Each with ``landmarks (T, K, 3)`` world mm and ``behaviour (T,)``.
    """
    from dlc_lifter.mouse.behaviour import generate_sequences

    return list(generate_sequences(n_sequences, n_frames, seed=seed, **kwargs))


def place_ear_labels(sequences: Sequence[Any], up_to_mm: float, *, seed: int,
                     forward_mm: tuple[float, float] = (0.0, 0.0)) -> list[Any]:
    """Sequences whose ear landmarks sit where labellers put them: up to ``up_to_mm`` above
    the ear base, and ``forward_mm`` along the head.

    The catalogue's ears are the ear bases; labellers mark the base, the middle of the
    pinna or higher. Each sequence gets one offset drawn uniformly from ``[0, up_to_mm]``,
    along the skull's up axis in every frame, so a network trained on them reads an ear
    label anywhere in that range. Labs also place the ears at different distances from the
    snout (``docs/results.md``, "Real mice: where labs put the ears, and six more draws of
    the per-frame recipe, screened and dropped"): with ``forward_mm = (lo, hi)`` each
    sequence's ears also move by one draw from ``[lo, hi]`` along the skull's forward axis
    (> 0: towards the snout, a shorter head). ``up_to_mm <= 0`` and ``forward_mm = (0, 0)``
    return the sequences as they are.

    Parameters
    ----------
    sequences
        :class:`~dlc_lifter.mouse.behaviour.MouseSequence` objects (their pose and shape
        give the skull's orientation).
    up_to_mm
        Largest offset (mm) above the base.
    seed
        Seed of the offsets.
    forward_mm
        Range (mm) of the shift along the head (0, 0: none).

    Returns
    -------
    list
        New sequences (``landmarks`` replaced; the pose no longer reproduces them exactly).
    """
    lo, hi = _span(forward_mm, "forward_mm")
    moves = []
    if up_to_mm > 0:  # along the skull's up axis
        moves.append((2, np.random.default_rng([seed, 13]), 0.0, float(up_to_mm)))
    if (lo, hi) != (0.0, 0.0):  # along its forward axis
        moves.append((0, np.random.default_rng([seed, 14]), lo, hi))
    return _move_labels(sequences, ("left_ear", "right_ear"), "skull", moves,
                        "place_ear_labels")


def place_shoulder_labels(sequences: Sequence[Any], forward_mm: tuple[float, float], *,
                          seed: int) -> list[Any]:
    """Sequences whose shoulder landmarks sit where labellers put them along the trunk.

    The catalogue's shoulders are the shoulder joints; real labellers put them further
    forward along the trunk, in flat and in rearing frames alike, where the elbows and
    forepaws sit where the synthetic ones do. With ``forward_mm = (lo, hi)`` each
    sequence's shoulders move by one draw from ``[lo, hi]`` along the front of the trunk
    (the first thoracic bone's forward axis: forward when flat, up in a rear).
    ``(0, 0)`` returns the sequences as they are. The shipped weights do not use it: the
    networks trained without it read the real, forward shoulder labels as a higher front,
    which is what holds the real rears up, and with it real mice read worse
    (``docs/results.md``, "Real mice: where real labellers put the forelimb joints;
    forepaws held low in rears and shoulder labels moved forward, screened and dropped").

    Parameters
    ----------
    sequences
        :class:`~dlc_lifter.mouse.behaviour.MouseSequence` objects.
    forward_mm
        Range (mm) of the shift along the trunk (> 0: towards the head).
    seed
        Seed of the offsets.

    Returns
    -------
    list
        New sequences (``landmarks`` replaced).
    """
    lo, hi = _span(forward_mm, "forward_mm")
    moves = [(0, np.random.default_rng([seed, 15]), lo, hi)] if (lo, hi) != (0.0, 0.0) else []
    return _move_labels(sequences, ("left_shoulder", "right_shoulder"), "thoracic1", moves,
                        "place_shoulder_labels")


def place_neck_labels(sequences: Sequence[Any], back_mm: tuple[float, float], *,
                      seed: int) -> list[Any]:
    """Sequences whose neck landmark sits where DANNCE's labellers put ``SpineF``.

    The catalogue's neck is the dorsal neck just behind the skull; DANNCE's labellers put
    ``SpineF`` further back along the trunk, which in a rear is lower. With
    ``back_mm = (lo, hi)`` each sequence's neck moves by one draw from ``[lo, hi]`` back
    along the front of the trunk (the first thoracic bone's forward axis, negated: backward
    when flat, down in a rear). ``(0, 0)`` returns the sequences as they are. The shipped
    weights do not use it: it read every labelled real mouse's rears worse
    (``docs/results.md``, "Real files from four more sources: a nose raised in most frames
    warned about, keypoint-MoSeq's back end, Git LFS pointers; the neck label moved back,
    screened").

    Parameters
    ----------
    sequences
        The training sequences (their pose and shape give the trunk's axis).
    back_mm
        Range (mm) of the shift (> 0: towards the tail).
    seed
        Seed of the per-sequence draws.

    Returns
    -------
    list
        The sequences with the neck moved (the rest of ``landmarks`` as it was).
    """
    lo, hi = _span(back_mm, "back_mm")
    moves = [(0, np.random.default_rng([seed, 16]), -hi, -lo)] if (lo, hi) != (0.0, 0.0) else []
    return _move_labels(sequences, ("neck",), "thoracic1", moves, "place_neck_labels")


def _span(span: tuple[float, float], name: str) -> tuple[float, float]:
    lo, hi = (float(v) for v in span)
    if lo > hi:
        raise ValueError(f"{name} must be (lo, hi) with lo <= hi; got {span}.")
    return lo, hi


def _move_labels(sequences: Sequence[Any], names: Sequence[str], bone: str,
                 moves: Sequence[tuple[int, np.random.Generator, float, float]],
                 caller: str) -> list[Any]:
    """Each sequence's landmarks ``names`` moved along axes of the rig's bone ``bone``:
    per ``(axis, rng, lo, hi)`` of ``moves``, one draw from ``[lo, hi]`` mm per sequence
    along that bone axis in every frame. No moves: the sequences as they are."""
    if not moves:
        return list(sequences)
    from dataclasses import replace

    from dlc_lifter.mouse.rig import get_rig

    idx = [_INDEX[n] for n in names]
    out = []
    for seq in sequences:
        if not hasattr(seq, "pose"):
            raise ValueError(f"{caller} needs MouseSequence objects (pose and shape).")
        rig = get_rig(seq.shape)
        b = rig.bone_names.index(bone)
        rot, _ = rig.forward_kinematics(seq.pose, b + 1)
        lm = np.array(seq.landmarks, dtype=np.float64)
        for axis, rng, lo, hi in moves:
            lm[:, idx] += rng.uniform(lo, hi) * rot[:, b, :, axis][:, None, :]
        out.append(replace(seq, landmarks=lm))
    return out


def behaviour_names() -> tuple[str, ...]:
    """Names of the synthetic behaviours (``BEHAVIOURS``), empty if unavailable."""
    try:
        from dlc_lifter.mouse.behaviour import BEHAVIOURS
    except ImportError:  # pragma: no cover - generator not installed
        return ()
    return tuple(str(b) for b in BEHAVIOURS)


def _arena_centre(seq: Any) -> np.ndarray | None:
    arena = getattr(seq, "arena_mm", None)
    return None if arena is None else np.asarray(arena, dtype=np.float64)[:2] / 2


def _landmarks(seq: Any) -> tuple[np.ndarray, np.ndarray, float]:
    if isinstance(seq, np.ndarray):
        lm, beh, fps = seq, np.full(len(seq), -1), 30.0
    else:
        lm = np.asarray(seq.landmarks, dtype=np.float64)
        beh = np.asarray(getattr(seq, "behaviour", np.full(len(lm), -1)), dtype=np.int64)
        fps = float(getattr(seq, "fps", 30.0) or 30.0)
    if lm.ndim != 3 or lm.shape[1:] != (N_KEYPOINTS, 3):
        raise ValueError(f"Sequence landmarks must be (T, {N_KEYPOINTS}, 3); got {lm.shape}.")
    return lm, beh, fps


def population_stats(sequences: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Median height per keypoint and median horizontal distance per keypoint pair.

    Returns
    -------
    median_height : numpy.ndarray
        ``(K,)`` mm.
    pair_length : numpy.ndarray
        ``(K, K)`` mm (symmetric, 0 on the diagonal).
    """
    lms = np.concatenate([_landmarks(s)[0] for s in sequences], 0)
    if len(lms) > 20000:  # a fixed subsample keeps it fast and deterministic
        lms = lms[np.linspace(0, len(lms) - 1, 20000).astype(int)]
    med_h = np.nanmedian(lms[..., 2], axis=0)
    xy = lms[..., :2]
    d = np.linalg.norm(xy[:, :, None] - xy[:, None], axis=-1)
    return med_h, np.nanmedian(d, axis=0)


# --------------------------------------------------------------------------- tracking
def random_keypoint_set(rng: np.random.Generator,
                        weights: Mapping[str, float] | None = None) -> tuple[str, np.ndarray]:
    """Draw a keypoint set: ``(name, (K,) bool mask)``.

    Names: a :data:`KEYPOINT_SETS` name; ``random`` (each keypoint kept with one
    probability drawn per set, at least two keypoints); ``superset`` (the openfield
    4-set plus ``n`` other keypoints, ``P(n) ~ 1 / n``, the commonly added ones more
    often, limbs less); ``common``
    (one of :data:`COMMON_SETS`, uniformly); ``independent`` (every keypoint with its own
    probability drawn per set, at least two keypoints).
    """
    w = dict(DEFAULT_SET_WEIGHTS if weights is None else weights)
    names = list(w)
    p = np.array([w[n] for n in names], dtype=np.float64)
    name = names[int(rng.choice(len(names), p=p / p.sum()))]
    mask = np.zeros(N_KEYPOINTS, bool)
    if name == "random":
        keep = rng.uniform(0.1, 0.9)
        mask = rng.uniform(size=N_KEYPOINTS) < keep
        if mask.sum() < 2:
            mask[rng.choice(N_KEYPOINTS, 2, replace=False)] = True
    elif name == "independent":
        keep = rng.uniform(0.0, 1.0, size=N_KEYPOINTS) ** rng.uniform(0.5, 2.0)
        mask = rng.uniform(size=N_KEYPOINTS) < keep
        if mask.sum() < 2:
            mask[rng.choice(N_KEYPOINTS, 2, replace=False)] = True
    elif name == "superset":
        # 1..all other keypoints, small supersets the most likely (P(n) ~ 1 / n)
        others = np.setdiff1d(np.arange(N_KEYPOINTS), _OPENFIELD)
        p_n = 1.0 / np.arange(1, len(others) + 1)
        n = 1 + int(rng.choice(len(others), p=p_n / p_n.sum()))
        w_k = _SUPERSET_W[others]
        mask[others[rng.choice(len(others), n, replace=False, p=w_k / w_k.sum())]] = True
        mask[_OPENFIELD] = True
    elif name == "common":
        sets = list(COMMON_SETS)
        mask[[_INDEX[k] for k in COMMON_SETS[sets[int(rng.integers(len(sets)))]]]] = True
    else:
        mask[[_INDEX[k] for k in set_keypoints(name)]] = True
    return name, mask


def _events(rng: np.random.Generator, shape: tuple[int, int], prob: float,
            max_len: int) -> np.ndarray:
    """Bool ``shape`` (T, N) with events starting at rate ``prob`` lasting 1..max_len."""
    t, n = shape
    out = np.zeros(shape, bool)
    starts = np.argwhere(rng.uniform(size=shape) < prob)
    lengths = rng.integers(1, max_len + 1, size=len(starts))
    for (s, j), ln in zip(starts, lengths, strict=True):
        out[s: s + ln, j] = True
    return out


def steep_head(world: np.ndarray) -> np.ndarray:
    """``(T,)`` bool: frames of ``world`` ``(T, K, 3)`` (catalogue order, z up) whose head
    points steeply down (:data:`STEEP_HEAD_RATIO`)."""
    nose = world[:, _INDEX["nose"]]
    mid = world[:, [_INDEX["left_ear"], _INDEX["right_ear"]]].mean(axis=1)
    ahead = np.linalg.norm(nose[:, :2] - mid[:, :2], axis=-1)
    return (mid[:, 2] - nose[:, 2]) > STEEP_HEAD_RATIO * ahead


def simulate_tracking(
    world: np.ndarray,
    camera: Camera,
    rng: np.random.Generator,
    keypoint_mask: np.ndarray | None = None,
    noise: TrackingNoise | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Project 3D landmarks and add realistic 2D tracking errors.

    Parameters
    ----------
    world
        ``(T, K, 3)`` world mm.
    camera
        The camera.
    rng
        Random generator.
    keypoint_mask
        ``(K,)`` bool, keypoints tracked at all (default: all).
    noise
        Error model (default :class:`TrackingNoise`).

    Returns
    -------
    uv : numpy.ndarray
        ``(T, K, 2)`` pixels, NaN where missing.
    conf : numpy.ndarray
        ``(T, K)`` likelihoods, NaN where missing.
    outlier : numpy.ndarray
        ``(T, K)`` bool, where a jump or a swap was injected.
    """
    noise = noise or TrackingNoise()
    world = np.asarray(world, dtype=np.float64)
    t, k = world.shape[:2]
    mask = np.ones(k, bool) if keypoint_mask is None else np.asarray(keypoint_mask, bool)
    uv = camera.project(world)
    lo, hi = noise.sigma_px
    sigma = math.exp(rng.uniform(math.log(lo), math.log(hi))) if hi > 0 else 0.0
    conf = 1.0 - 0.25 * rng.beta(1.0, 6.0, size=(t, k))
    if sigma > 0:
        white = rng.normal(size=(t, k, 2))
        a = noise.correlation
        jitter = lfilter([math.sqrt(1 - a * a)], [1.0, -a], white, axis=0)
        uv = uv + sigma * _NOISY[None, :, None] * jitter
    if noise.heavy_prob > 0:
        heavy = rng.uniform(size=(t, k)) < noise.heavy_prob
        st = rng.standard_t(3, size=(t, k, 2)) * max(sigma, 0.5) * noise.heavy_scale
        uv = uv + np.where(heavy[..., None], st, 0.0)
        conf = np.where(heavy, conf * rng.uniform(0.5, 1.0, size=(t, k)), conf)
    outlier = np.zeros((t, k), bool)
    if noise.swap_prob > 0 and _PAIRS:
        pairs = np.array(_PAIRS)
        sw = _events(rng, (t, len(pairs)), noise.swap_prob, 8)
        for j, (a_i, b_i) in enumerate(pairs):
            rows = sw[:, j]
            if rows.any():
                uv[rows, a_i], uv[rows, b_i] = uv[rows, b_i].copy(), uv[rows, a_i].copy()
                conf[rows, a_i] *= rng.uniform(0.4, 1.0, size=rows.sum())
                conf[rows, b_i] *= rng.uniform(0.4, 1.0, size=rows.sum())
                outlier[rows, a_i] = outlier[rows, b_i] = True
    if noise.jump_prob > 0:
        jump = _events(rng, (t, k), noise.jump_prob, 4)
        n = int(jump.sum())
        if n:
            ang = rng.uniform(0, 2 * math.pi, n)
            dist = rng.uniform(*noise.jump_px, n)
            uv[jump] += np.stack([np.cos(ang), np.sin(ang)], -1) * dist[:, None]
            conf[jump] = rng.uniform(0.02, 0.7, n)
            outlier |= jump
    missing = np.broadcast_to(~mask, (t, k)).copy()
    rate = rng.uniform(*noise.miss_prob) if noise.miss_prob[1] > 0 else 0.0
    if rate > 0:
        missing |= rng.uniform(size=(t, k)) < rate
    if noise.gap_prob > 0:
        for j in np.flatnonzero(rng.uniform(size=k) < noise.gap_prob):
            ln = int(rng.integers(5, 61))
            s = int(rng.integers(0, max(1, t - ln)))
            missing[s: s + ln, j] = True
    if noise.steep_snout_miss > 0:
        missing[:, _INDEX["nose"]] |= steep_head(world) & (
            rng.uniform(size=t) < noise.steep_snout_miss)
    w, h = camera.image_size
    outside = ~((uv[..., 0] >= 0) & (uv[..., 0] <= w - 1) & (uv[..., 1] >= 0)
                & (uv[..., 1] <= h - 1))
    behind = camera.to_camera(world)[..., 2] <= 0
    missing |= outside | behind | ~np.isfinite(uv).all(-1)
    uv[missing] = np.nan
    conf = np.where(missing, np.nan, np.clip(conf, 0.0, 1.0))
    return uv, conf, outlier & ~missing


def _centre(world: np.ndarray, mid: np.ndarray | None = None) -> np.ndarray:
    """Shift the arena centre (default: the middle of the roaming region) to the origin."""
    if mid is None:
        xy = world[..., :2].reshape(-1, 2)
        mid = (np.nanmin(xy, 0) + np.nanmax(xy, 0)) / 2
    out = world.copy()
    out[..., :2] -= mid
    return out


def make_clips(
    sequences: Sequence[Any],
    *,
    rng: np.random.Generator,
    views: int = 1,
    noise: TrackingNoise | None = None,
    set_weights: Mapping[str, float] | None = None,
    keypoint_set: str | None = None,
    arena_mm: float = 500.0,
    camera_kwargs: Mapping[str, Any] | None = None,
    view: str = "above",
) -> list[SyntheticClip]:
    """See each sequence with ``views`` random cameras, sets and tracking errors.

    Parameters
    ----------
    sequences
        ``MouseSequence`` objects (``landmarks``, ``behaviour``, ``fps``) or
        ``(T, K, 3)`` arrays.
    rng
        Random generator.
    views
        Clips per sequence.
    noise
        Tracking error model.
    set_weights
        Keypoint-set probabilities (see :data:`DEFAULT_SET_WEIGHTS`).
    keypoint_set
        Use this set for every clip instead (a :data:`KEYPOINT_SETS` or
        :data:`COMMON_SETS` name).
    arena_mm
        Arena size the cameras frame.
    camera_kwargs
        Passed on to :func:`~dlc_lifter.camera.random_top_view`.
    view
        ``"above"``: the cameras look down at the floor; ``"below"``: each is that camera's
        reflection under a glass floor, looking up (:meth:`~dlc_lifter.camera.Camera.
        mirrored_below` about the image's middle column), as B-SOiD's and LUPE's rigs film.
        Both draw the same random numbers.
    """
    if view not in ("above", "below"):
        raise ValueError(f"view must be 'above' or 'below'; got {view!r}")
    clips = []
    for seq in sequences:
        lm, beh, fps = _landmarks(seq)
        world = _centre(lm, _arena_centre(seq))
        for _ in range(views):
            cam = random_top_view(rng, arena_mm=arena_mm, **dict(camera_kwargs or {}))
            if view == "below":
                cam = cam.mirrored_below((cam.image_size[0] - 1) / 2)
            if keypoint_set is None:
                name, mask = random_keypoint_set(rng, set_weights)
            else:
                name = keypoint_set
                mask = np.zeros(N_KEYPOINTS, bool)
                mask[[_INDEX[k] for k in set_keypoints(keypoint_set)]] = True
            uv, conf, outlier = simulate_tracking(world, cam, rng, mask, noise)
            clips.append(SyntheticClip(world=world, uv=uv, conf=conf, camera=cam,
                                       keypoint_set=name, behaviour=beh, outlier=outlier,
                                       fps=fps))
    return clips


def clip_arrays(clip: SyntheticClip, *, pcutoff: float = 0.6, n_extra: int = 0,
                imputed_weight: float = 0.5, raised_weight: float = 2.0,
                raised_mm: float = 45.0, per_frame: bool = False
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Network features, targets and loss weights of one clip.

    Parameters
    ----------
    clip
        The clip.
    pcutoff
        Likelihood cutoff (below: untracked, imputed).
    n_extra
        Extra channels of the features (zero here).
    imputed_weight
        Weight of the imputed (untracked) keypoints' outputs: per output channel, or with
        ``per_frame`` the total share of a frame's imputed outputs.
    raised_weight, raised_mm
        Frames where any landmark is above ``raised_mm`` (rearing, rare) weigh
        ``1 + raised_weight``.
    per_frame
        Normalise the weights per frame: the heights of the tracked keypoints of a frame
        weigh 1 in total and its imputed outputs ``imputed_weight`` in total, so a frame of
        the 4-keypoint openfield set counts as much as one of the 27-keypoint SuperAnimal
        set (without it, every output channel weighs the same and frames with few tracked
        keypoints are dominated by the imputed outputs).

    Returns
    -------
    features : numpy.ndarray
        ``(T, in_features)`` float32.
    targets : numpy.ndarray
        ``(T, 3K)`` float32: heights / 100 mm, then body-frame ``x, y`` / 100 mm.
    weights : numpy.ndarray
        ``(T, 3K)`` float32 loss weights: heights of tracked points, heights and body-frame
        positions of imputed points (see ``per_frame``); 0 in frames with nothing tracked.
    """
    floor = floor_points(clip.uv, clip.camera)
    c = np.nan_to_num(clip.conf, nan=0.0)
    obs = np.isfinite(floor).all(-1) & (c >= pcutoff)
    feats, geo = frame_features(floor, c, obs, clip.camera.centre, n_extra=n_extra)
    body = world_to_body(clip.world[..., :2], geo)
    t = len(feats)
    targets = np.concatenate([clip.world[..., 2] / SCALE_MM,
                              np.nan_to_num(body.reshape(t, -1)) / SCALE_MM], -1)
    if per_frame:
        n_obs = obs.sum(1, keepdims=True)
        n_imp = (~obs).sum(1, keepdims=True)
        tracked_w = 1.0 / np.maximum(n_obs, 1)
        imp_w = imputed_weight / (3.0 * np.maximum(n_imp, 1))
        hw = np.where(obs, tracked_w, imp_w)
        xyw = np.repeat(np.where(obs, 0.0, imp_w), 2, axis=1)
    else:
        hw = np.where(obs, 1.0, imputed_weight)
        xyw = np.repeat(np.where(obs, 0.0, imputed_weight), 2, axis=1)
    frame_w = 1.0 + raised_weight * (np.nanmax(clip.world[..., 2], axis=1) > raised_mm)
    weights = np.concatenate([hw, xyw], -1) * (geo.valid * frame_w)[:, None]
    return feats, targets.astype(np.float32), weights.astype(np.float32)
