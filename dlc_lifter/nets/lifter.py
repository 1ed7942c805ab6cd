"""The lifting network and the exact geometry around it.

Geometry
--------
Every 2D keypoint defines a ray from the camera centre ``C`` (height ``H`` above the
floor). The ray meets the floor at ``P0`` (its *floor point*). A point of the ray at
height ``h`` is ``P(h) = C + (P0 - C) * (H - h) / H``: a raised point appears displaced
outwards from the camera nadir by ``h / H`` of its floor offset, which is the parallax cue
the network reads. The network never regresses raw ``x, y, z``: for every keypoint that
was tracked it predicts the height ``h`` and the 3D point follows exactly on its ray, so
it reprojects onto the input 2D position. This holds for tilted and distorted cameras
alike because only the ray matters.

A camera *below* a glass floor (centre ``z = -H``) is handled by the same formula: the
ray continues through the floor, and a point at height ``h`` lies beyond its floor point,
displaced towards the camera's nadir by ``h / (H + h)`` of the point's offset from it.
The features give the networks a camera ``H`` above the floor whose nadir is the real one
mirrored through the animal (``2 A - C`` for the anchor ``A`` below, per frame): its
parallax points the same way as the real one, on the animal's far side. Networks trained
on cameras below (``TrainConfig.view``; the shipped ``lifter_below.pt``) learn the rest of
the geometry; networks trained above lift such features too, less well, above all on
rears, and better than the camera's plain mirror image above the floor would
(``benchmarks/real.py`` section D prints each; ``docs/results.md``, "Real mice filmed from
below: networks trained below the floor").

Features (:func:`frame_features`)
---------------------------------
Floor points are canonicalised per frame into a *body frame*: translated to an anchor (a
weighted mean of the tracked floor points) and rotated so that the fitted
anterior-posterior axis of the tracked points points along ``+x`` (``y`` left, ``z`` up).
Per keypoint, in catalogue order: body-frame floor position / 100 mm (2), the parallax
cue (floor offset from the nadir, rotated into the body frame, divided by ``H``) (2),
likelihood clipped to ``[0, 1]`` (1; JABS and SLEAP scores may exceed 1), a tracked mask
(1), then ``n_extra`` optional channels (e.g. depth cues from the video; zero when absent).
Per frame: the nadir in the body frame / ``H`` (2) and ``log(H / 500 mm)`` (1).

Outputs
-------
Per catalogue keypoint: height / 100 mm, and body-frame ``x, y`` / 100 mm. The body-frame
position is used only for keypoints that were not tracked (imputed, flagged as such);
tracked keypoints always take the exact ray geometry.

Networks (:class:`LifterNet`) are VideoPose3D-style dilated temporal convolutions:
``temporal`` (symmetric window), ``causal`` (past frames only, for live use) and
``frame`` (kernel size 1: isolated frames); the shipped ones see 81 frames (kernels
``(3, 3, 3, 3)``). :class:`LiftingModel` bundles the three with the population statistics
and saves them as one ``.pt`` file. The features are exactly symmetric left-right, so a
network's mirror image (:func:`mirror_net`: its weights with left and right swapped) is as
valid a lifter; the per-frame network lifts with the mean of both (:func:`symmetric_net`,
``LiftingModel.symmetric``).

Speed
-----
Floor points, features and decoding are compiled with numba (one pass over the frames,
written straight into the padded, channels-first network input); inference folds the
batch norms into the convolutions (:meth:`LifterNet.infer`), and streaming computes only
the frames the newest output depends on (:meth:`LifterNet.infer_last`).

One module although long: the features and their decoding are the network's input and
output encoding, versioned with the weights (``FORMAT_VERSION``) that
:class:`LiftingModel` saves; kept beside the network, a change to one cannot miss the
other.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numba
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from dlc_lifter.camera import Camera
from dlc_lifter.errors import ModelLoadError
from dlc_lifter.io.weights import file_hash, read_weights, write_weights
from dlc_lifter.mouse.catalogue import CATALOGUE, LANDMARKS

__all__ = [
    "AP_COORD",
    "FORMAT_VERSION",
    "MIRROR",
    "MODES",
    "N_GLOBAL",
    "N_KEYPOINTS",
    "PER_KEYPOINT",
    "TAIL_OFF_AXIS_COS",
    "TAIL_OFF_AXIS_FRAMES",
    "FrameGeometry",
    "LifterNet",
    "LiftingModel",
    "ModelLoadError",
    "Prediction",
    "body_to_world",
    "curled_for",
    "ensemble_net",
    "floor_points",
    "frame_features",
    "mirror_net",
    "network_shape",
    "points_on_rays",
    "symmetric_net",
    "tail_off_axis",
    "window_pads",
]

logger = logging.getLogger(__name__)

#: Version of the saved weights layout.
FORMAT_VERSION = 1
#: Model modes: symmetric temporal window, causal (live) window, isolated frames.
MODES: tuple[str, ...] = ("temporal", "causal", "frame")
Mode = Literal["temporal", "causal", "frame"]

N_KEYPOINTS = len(CATALOGUE)
#: Base channels per keypoint (before extra channels).
PER_KEYPOINT = 6
#: Per-frame global channels.
N_GLOBAL = 3
#: mm per network unit for positions and heights.
SCALE_MM = 100.0
#: Output frames per forward pass of the network in :meth:`LiftingModel.run`.
_NET_CHUNK = 65536
#: Camera height the log-height feature is relative to.
REF_HEIGHT_MM = 500.0

_AP = {  # anterior-posterior coordinate in a resting mouse (nose +1, tail base -0.6)
    "nose": 1.0, "left_eye": 0.85, "right_eye": 0.85, "left_ear": 0.7, "right_ear": 0.7,
    "left_ear_tip": 0.7, "right_ear_tip": 0.7, "head_midpoint": 0.75, "neck": 0.55,
    "left_shoulder": 0.4, "right_shoulder": 0.4, "mid_back": 0.35, "left_midside": 0.1,
    "right_midside": 0.1, "mouse_center": 0.0, "mid_backend": -0.15, "mid_backend2": -0.3,
    "mid_backend3": -0.45, "left_hip": -0.45, "right_hip": -0.45, "tail_base": -0.6,
    "tail1": -0.8, "tail2": -1.0, "tail3": -1.2, "tail4": -1.4, "tail5": -1.6,
    "tail_end": -1.8, "left_elbow": 0.35, "right_elbow": 0.35, "left_wrist": 0.45,
    "right_wrist": 0.45, "left_forepaw": 0.5, "right_forepaw": 0.5, "left_knee": -0.3,
    "right_knee": -0.3, "left_ankle": -0.45, "right_ankle": -0.45, "left_hindpaw": -0.4,
    "right_hindpaw": -0.4,
}


def _weight(name: str) -> float:
    if name.startswith("tail") and name != "tail_base":
        return 0.2 if name == "tail1" else 0.01  # the tail moves on its own
    if any(s in name for s in ("elbow", "wrist", "paw", "knee", "ankle")):
        return 0.3
    return 1.0


#: Anterior-posterior coordinate of each catalogue keypoint (heading fit).
AP_COORD = np.array([_AP[n] for n in CATALOGUE], dtype=np.float64)
#: Weight of each keypoint in the anchor and heading fit.
FIT_WEIGHT = np.array([_weight(n) for n in CATALOGUE], dtype=np.float64)
#: Catalogue index of each keypoint's mirror image (left <-> right; itself on the midline).
MIRROR = np.array([CATALOGUE.index(lm.mirror) for lm in LANDMARKS], dtype=np.int64)


# --------------------------------------------------------------------------- geometry
def _camera_arrays(camera: Camera) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(fx, fy, cx, cy)``, ``R``, centre and the 5 distortion coefficients, as float64.

    The numba kernels invert the pinhole model's distortion; for a fisheye lens they get
    an identity ``(1, 1, 0, 0)`` and no distortion, and its pixels must be given to them
    undistorted (:func:`_kernel_pixels`)."""
    intr = np.array([camera.fx, camera.fy, camera.cx, camera.cy], dtype=np.float64)
    dist = np.zeros(5)
    if camera.fisheye:
        intr = np.array([1.0, 1.0, 0.0, 0.0])
    else:
        d = np.asarray(camera.dist, dtype=np.float64).ravel()[:5]
        dist[: len(d)] = d
    return (intr, np.ascontiguousarray(camera.R, dtype=np.float64),
            np.asarray(camera.centre, dtype=np.float64), dist)


def _kernel_pixels(uv: np.ndarray, camera: Camera) -> np.ndarray:
    """``uv`` as the floor kernels take it with :func:`_camera_arrays`: a fisheye lens's
    normalised (undistorted) coordinates, other cameras' pixels as they are."""
    uv = np.asarray(uv, dtype=np.float64)
    return np.ascontiguousarray(camera.normalise(uv)) if camera.fisheye else uv


@numba.njit(cache=True, nogil=True)
def _nb_floor_point(u: float, v: float, intr: np.ndarray, r: np.ndarray, c: np.ndarray,
                    dist: np.ndarray, distorted: bool) -> tuple[float, float]:
    """One pixel's floor point (NaN, NaN when its ray misses the floor in front)."""
    x0 = (u - intr[2]) / intr[0]
    y0 = (v - intr[3]) / intr[1]
    x, y = x0, y0
    if distorted:  # fixed-point inversion, as Camera.normalise
        k1, k2, p1, p2, k3 = dist[0], dist[1], dist[2], dist[3], dist[4]
        for _ in range(8):
            r2 = x * x + y * y
            radial = 1 + k1 * r2 + k2 * r2 * r2 + k3 * r2 * r2 * r2
            dx = 2 * p1 * x * y + p2 * (r2 + 2 * x * x)
            dy = p1 * (r2 + 2 * y * y) + 2 * p2 * x * y
            x, y = (x0 - dx) / radial, (y0 - dy) / radial
    dz = r[0, 2] * x + r[1, 2] * y + r[2, 2]
    s = -c[2] / dz if dz != 0.0 else np.nan
    if not s > 0:  # also NaN
        return np.nan, np.nan
    return (c[0] + s * (r[0, 0] * x + r[1, 0] * y + r[2, 0]),
            c[1] + s * (r[0, 1] * x + r[1, 1] * y + r[2, 1]))


@numba.njit(cache=True, nogil=True)
def _nb_floor(uv: np.ndarray, intr: np.ndarray, r: np.ndarray, c: np.ndarray,
              dist: np.ndarray, distorted: bool, out: np.ndarray) -> None:
    """Floor points of ``uv (N, 2)`` into ``out (N, 2)``."""
    for i in range(uv.shape[0]):
        out[i, 0], out[i, 1] = _nb_floor_point(uv[i, 0], uv[i, 1], intr, r, c, dist,
                                               distorted)


def floor_points(uv: np.ndarray, camera: Camera) -> np.ndarray:
    """Where each pixel's ray meets the floor: world ``(..., 2)`` mm (NaN stays NaN).

    Uses the floor homography of the (undistorted) camera; rays that do not reach the
    floor in front of the camera give NaN.
    """
    uv = _kernel_pixels(uv, camera)
    intr, r, c, dist = _camera_arrays(camera)
    flat = np.ascontiguousarray(uv.reshape(-1, 2))
    out = np.empty_like(flat)
    _nb_floor(flat, intr, r, c, dist, bool(np.any(dist != 0)), out)
    return out.reshape(uv.shape)


def points_on_rays(floor: np.ndarray, centre: np.ndarray, heights: np.ndarray) -> np.ndarray:
    """Exact 3D points at ``heights`` on the rays through the floor points.

    Parameters
    ----------
    floor
        ``(..., 2)`` floor points of the rays (world mm).
    centre
        Camera centre ``(3,)`` (world mm, above the floor).
    heights
        ``(...)`` heights above the floor (mm), below the camera.

    Returns
    -------
    numpy.ndarray
        ``(..., 3)`` world points: ``C + (P0 - C) * (H - h) / H``.
    """
    c = np.asarray(centre, dtype=np.float64)
    h = np.asarray(heights, dtype=np.float64)
    f = (c[2] - h) / c[2]
    xy = c[:2] + (np.asarray(floor, dtype=np.float64) - c[:2]) * f[..., None]
    return np.concatenate([xy, h[..., None]], axis=-1)


#: For each tail keypoint, the cosine between the body's axis (nose, else head midpoint,
#: else neck, to the tail base) and the direction from the tail base to it, measured as
#: :func:`tail_off_axis` measures it, below which the networks' own training inputs place
#: it in 1 % of frames (the generator at its defaults and with the shipped recipe's
#: postures, 120 sequences of 300 frames, every keypoint, through the training cameras and
#: tracking errors of :func:`~dlc_lifter.nets.data.make_clips`). Real tails lie curled far
#: more often (``docs/results.md``, "Real mice: real tails curl whatever the mouse does");
#: the networks, never shown such a tail, read the short, curled mouse as a raised one.
TAIL_OFF_AXIS_COS: dict[str, float] = {
    "tail1": 0.46, "tail2": 0.45, "tail3": 0.35, "tail4": 0.27, "tail5": 0.20, "tail_end": 0.08,
}
_TAIL_COLS = np.array([CATALOGUE.index(n) for n in TAIL_OFF_AXIS_COS], dtype=np.int64)
_TAIL_COS = np.array(list(TAIL_OFF_AXIS_COS.values()))
_AXIS_FRONT = tuple(CATALOGUE.index(n) for n in ("nose", "head_midpoint", "neck"))
_TAIL_BASE = CATALOGUE.index("tail_base")
_TAIL_NEED = np.array([*_AXIS_FRONT, _TAIL_BASE, *_TAIL_COLS], dtype=np.int64)
#: Consecutive frames a tail point must lie curled before the temporal and causal
#: networks stop seeing it: a tail lying curled, not a one-frame mistrack of it (which
#: would cost a second network pass over the frames around it for little).
TAIL_OFF_AXIS_FRAMES = 3


def tail_off_axis(floor: np.ndarray, observed: np.ndarray, centre: np.ndarray | None = None,
                  heights: np.ndarray | None = None, frames: int = 1) -> np.ndarray:
    """Tracked tail keypoints lying further off the body's axis than the training mice's
    tails reach (:data:`TAIL_OFF_AXIS_COS`).

    The lift gives them to the networks as untracked (so a curled tail does not raise the
    body) and still places them on their own rays at the height the networks give them.

    Parameters
    ----------
    floor
        ``(T, K, 2)`` floor points in catalogue order (NaN where untracked).
    observed
        ``(T, K)`` bool, keypoints tracked.
    centre, heights
        The camera centre ``(3,)`` and the keypoints' heights, ``(K,)`` or ``(T, K)`` (mm;
        the lift gives those its networks put them at): the angles are then measured with
        every keypoint at that height on its ray, so parallax (a rearing nose's floor point
        lies far beyond it) does not bend the axis. None: on the floor points.
    frames
        A tail point counts only where it lies curled in this many consecutive frames
        (this one and those before it, so a live lift judges as an offline one).

    Returns
    -------
    numpy.ndarray
        ``(T, K)`` bool, True for the tail keypoints to withhold (False in frames without
        the tail base or a front keypoint).
    """
    observed = np.asarray(observed, bool)
    out = np.zeros(observed.shape, bool)
    if not observed[:, _TAIL_COLS].any():  # no tail beyond its base tracked
        return out
    # only the keypoints the check reads: nose, head midpoint, neck, tail base, the tail
    seen = np.ascontiguousarray(observed[:, _TAIL_NEED])
    xy = np.ascontiguousarray(np.asarray(floor, dtype=np.float64)[:, _TAIL_NEED])
    on_rays = centre is not None and heights is not None
    h = np.zeros((1, 1))
    c = np.zeros(3)
    if on_rays:
        h = np.asarray(heights, dtype=np.float64)
        h = np.ascontiguousarray(np.broadcast_to(h[..., _TAIL_NEED] if h.ndim == 1
                                                 else h[:, _TAIL_NEED], seen.shape))
        c = np.asarray(centre, dtype=np.float64)
    off = np.zeros((len(seen), len(_TAIL_COLS)), bool)
    _nb_tail_off(xy, seen, h, c, on_rays, _TAIL_COS, off)
    out[:, _TAIL_COLS] = curled_for(off, frames)
    return out


def curled_for(each: np.ndarray, frames: int) -> np.ndarray:
    """``(T, ...)`` flags true in a frame and the ``frames - 1`` frames before it (the
    first ``frames - 1`` frames: False). The rule of :func:`tail_off_axis`, offline over a
    whole file and live over a stream's last frames."""
    out = np.array(each, bool)
    for lag in range(1, frames):
        out[lag:] &= each[:-lag]
        out[:lag] = False
    return out


@numba.njit(cache=True, nogil=True)
def _nb_tail_off(xy: np.ndarray, seen: np.ndarray, h: np.ndarray, c: np.ndarray,
                 on_rays: bool, cos_min: np.ndarray, off: np.ndarray) -> None:
    """:func:`tail_off_axis`'s test per frame; columns nose, head midpoint, neck, tail
    base, then the tail keypoints (``off`` ``(T, n_tail)``)."""
    for t in range(xy.shape[0]):
        if not seen[t, 3]:
            continue
        front = -1
        for j in range(3):
            if seen[t, j]:
                front = j
                break
        if front < 0:
            continue
        px = np.empty(xy.shape[1])
        py = np.empty(xy.shape[1])
        for j in range(xy.shape[1]):
            f = (c[2] - h[t, j]) / c[2] if on_rays else 1.0
            px[j] = c[0] + (xy[t, j, 0] - c[0]) * f
            py[j] = c[1] + (xy[t, j, 1] - c[1]) * f
        ax = px[3] - px[front]
        ay = py[3] - py[front]
        a_len = math.sqrt(ax * ax + ay * ay)
        for i in range(off.shape[1]):
            if not seen[t, 4 + i]:
                continue
            tx = px[4 + i] - px[3]
            ty = py[4 + i] - py[3]
            t_len = math.sqrt(tx * tx + ty * ty)
            if a_len > 0.0 and t_len > 0.0:
                off[t, i] = (tx * ax + ty * ay) / (t_len * a_len) < cos_min[i]


def _windows_seeing(columns: np.ndarray, span: int, t: int) -> list[tuple[int, int]]:
    """Runs ``[a, b)`` of the ``t`` output frames whose window (padded feature columns
    ``f`` to ``f + span``) holds one of ``columns``."""
    hit = np.zeros(t + 1, np.int64)
    np.add.at(hit, np.clip(columns - span, 0, t), 1)
    np.add.at(hit, np.clip(columns + 1, 0, t), -1)
    seen = np.concatenate([[0], (np.cumsum(hit[:-1]) > 0).astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(seen))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _trained_straight(info: dict[str, Any]) -> bool:
    """Networks (or every member of a mix) trained without oblique views (``view_deg``)."""
    if isinstance(info.get("config"), dict):
        return info["config"].get("view_deg") is None
    members = info.get("members")
    if isinstance(members, list):
        return all(_trained_straight(m) for m in members if isinstance(m, dict))
    return True


@dataclass
class FrameGeometry:
    """Per-frame canonicalisation of one sequence, needed to map outputs back.

    Attributes
    ----------
    floor
        ``(T, K, 2)`` floor points of the tracked keypoints (NaN where untracked).
    observed
        ``(T, K)`` bool, keypoints given to the network.
    anchor
        ``(T, 2)`` body-frame origin on the floor (world mm; NaN where nothing tracked).
    rot
        ``(T, 2, 2)`` world -> body rotation (``body = rot @ (xy - anchor)``).
    centre
        Camera centre ``(3,)``.
    valid
        ``(T,)`` bool, frames with at least one tracked keypoint.
    """

    floor: np.ndarray
    observed: np.ndarray
    anchor: np.ndarray
    rot: np.ndarray
    centre: np.ndarray
    valid: np.ndarray


@numba.njit(cache=True, nogil=True)
def _nb_floor_obs(uv: np.ndarray, conf: np.ndarray, cols: np.ndarray, pcutoff: float,
                  intr: np.ndarray, r: np.ndarray, c: np.ndarray, dist: np.ndarray,
                  distorted: bool, floor: np.ndarray, obs: np.ndarray) -> None:
    """Floor points and tracked mask of the keypoints ``cols`` (others: NaN / False).

    ``uv (T, K, 2)``, ``conf (T, K)`` (NaN: 0); ``floor (T, K, 2)`` and ``obs (T, K)`` are
    written.
    """
    t_n = uv.shape[0]
    for t in range(t_n):
        for j in cols:
            u, v = uv[t, j, 0], uv[t, j, 1]
            cf = conf[t, j]
            if np.isfinite(u) and np.isfinite(v):
                fx, fy = _nb_floor_point(u, v, intr, r, c, dist, distorted)
            else:
                fx, fy = np.nan, np.nan
            floor[t, j, 0] = fx
            floor[t, j, 1] = fy
            obs[t, j] = (cf >= pcutoff) and np.isfinite(fx) and np.isfinite(fy)


@numba.njit(cache=True, nogil=True)
def _nb_features(floor: np.ndarray, conf: np.ndarray, obs: np.ndarray, cols: np.ndarray,
                 centre: np.ndarray, fit_w: np.ndarray, ap: np.ndarray, extra: np.ndarray,
                 has_extra: bool, n_extra: int, start_heading: float, has_start: bool,
                 feats: np.ndarray, anchor: np.ndarray, cs: np.ndarray,
                 valid: np.ndarray) -> None:
    """:func:`frame_features` for all frames in one pass (``feats`` pre-zeroed).

    Writes ``feats (T, F)`` (any memory layout), ``anchor (T, 2)`` (NaN where invalid),
    ``cs (T, 2)`` (cos, sin of the heading) and ``valid (T,)``.
    """
    t_n = floor.shape[0]
    angle = np.empty(t_n)
    ok = np.zeros(t_n, np.bool_)
    axs = np.zeros(t_n)
    ays = np.zeros(t_n)
    first_ok = _nb_body_axes(floor, obs, cols, fit_w, ap, valid, angle, ok, axs, ays)
    # headings: forward fill, the leading gap from start_heading or the first defined one
    if has_start:
        cur = start_heading
    elif first_ok >= 0:
        cur = angle[first_ok]
    else:
        cur = 0.0
    # a camera below the floor: its nadir mirrored through the animal (module docstring)
    below = centre[2] < 0.0
    hc = abs(centre[2])
    log_h = math.log(hc / REF_HEIGHT_MM)
    for t in range(t_n):
        if ok[t]:
            cur = angle[t]
        cos = math.cos(cur)
        sin = math.sin(cur)
        cs[t, 0] = cos
        cs[t, 1] = sin
        if not valid[t]:
            anchor[t, 0] = np.nan
            anchor[t, 1] = np.nan
            continue
        anchor[t, 0] = axs[t]
        anchor[t, 1] = ays[t]
        cx = 2.0 * axs[t] - centre[0] if below else centre[0]
        cy = 2.0 * ays[t] - centre[1] if below else centre[1]
        _nb_frame_features(t, floor, conf, obs, cols, cx, cy, hc, extra, has_extra,
                           n_extra, axs[t], ays[t], cos, sin, log_h, feats)


@numba.njit(cache=True, nogil=True)
def _nb_body_axes(floor: np.ndarray, obs: np.ndarray, cols: np.ndarray, fit_w: np.ndarray,
                  ap: np.ndarray, valid: np.ndarray, angle: np.ndarray, ok: np.ndarray,
                  axs: np.ndarray, ays: np.ndarray) -> int:
    """Per frame, the anchor ``(axs, ays)`` (weighted mean floor point) and the fitted
    anterior-posterior heading ``angle`` where defined (``ok``); writes ``valid``.

    Returns the first frame with a defined heading (-1 if none).
    """
    first_ok = -1
    for t in range(floor.shape[0]):
        wsum = 0.0
        sx = 0.0
        sy = 0.0
        sa = 0.0
        for j in cols:
            if obs[t, j]:
                w = fit_w[j]
                wsum += w
                sx += w * floor[t, j, 0]
                sy += w * floor[t, j, 1]
                sa += w * ap[j]
        valid[t] = wsum > 0
        angle[t] = 0.0
        if not wsum > 0:
            continue
        ax = sx / wsum
        ay = sy / wsum
        a_mean = sa / wsum
        axs[t] = ax
        ays[t] = ay
        vx = 0.0
        vy = 0.0
        spread = 0.0
        for j in cols:
            if obs[t, j]:
                da = (ap[j] - a_mean) * fit_w[j]
                vx += da * (floor[t, j, 0] - ax)
                vy += da * (floor[t, j, 1] - ay)
                spread += da * (ap[j] - a_mean)
        spread /= wsum
        if math.hypot(vx, vy) > 1e-6 and spread > 1e-3:
            ok[t] = True
            angle[t] = math.atan2(vy, vx)
            if first_ok < 0:
                first_ok = t
    return first_ok


@numba.njit(cache=True, nogil=True)
def _nb_frame_features(t: int, floor: np.ndarray, conf: np.ndarray, obs: np.ndarray,
                       cols: np.ndarray, cx: float, cy: float, hc: float, extra: np.ndarray,
                       has_extra: bool, n_extra: int, ax: float, ay: float, cos: float,
                       sin: float, log_h: float, feats: np.ndarray) -> None:
    """Row ``t`` of ``feats``: per-keypoint channels in the body frame, then the globals
    (the camera's nadir ``cx, cy`` and height ``hc``)."""
    per = 6 + n_extra
    k_n = floor.shape[1]
    for j in cols:
        if not obs[t, j]:
            continue
        px = floor[t, j, 0]
        py = floor[t, j, 1]
        rx = px - ax
        ry = py - ay
        qx = px - cx
        qy = py - cy
        b = j * per
        feats[t, b] = (cos * rx + sin * ry) / SCALE_MM
        feats[t, b + 1] = (-sin * rx + cos * ry) / SCALE_MM
        feats[t, b + 2] = (cos * qx + sin * qy) / hc
        feats[t, b + 3] = (-sin * qx + cos * qy) / hc
        cf = conf[t, j]
        feats[t, b + 4] = min(max(cf, 0.0), 1.0) if np.isfinite(cf) else 0.0
        feats[t, b + 5] = 1.0
        if has_extra:
            for e in range(n_extra):
                v = extra[t, j, e]
                feats[t, b + 6 + e] = v if np.isfinite(v) else 0.0
    g = k_n * per
    nx = cx - ax
    ny = cy - ay
    feats[t, g] = (cos * nx + sin * ny) / hc
    feats[t, g + 1] = (-sin * nx + cos * ny) / hc
    feats[t, g + 2] = log_h


@numba.njit(cache=True, nogil=True)
def _nb_decode(out: np.ndarray, floor: np.ndarray, obs: np.ndarray, anchor: np.ndarray,
               cs: np.ndarray, valid: np.ndarray, centre: np.ndarray, hmax: float,
               pts: np.ndarray, heights: np.ndarray) -> None:
    """:meth:`LiftingModel.decode` in one pass; ``out (T, 3K)`` in any memory layout."""
    t_n, k_n = heights.shape
    hc = centre[2]
    for t in range(t_n):
        if not valid[t]:
            for k in range(k_n):
                heights[t, k] = np.nan
                pts[t, k, 0] = np.nan
                pts[t, k, 1] = np.nan
                pts[t, k, 2] = np.nan
            continue
        cos = cs[t, 0]
        sin = cs[t, 1]
        for k in range(k_n):
            h = np.float64(out[t, k]) * SCALE_MM
            h = min(max(h, 0.0), hmax)
            heights[t, k] = h
            if obs[t, k]:
                f = (hc - h) / hc
                pts[t, k, 0] = centre[0] + (floor[t, k, 0] - centre[0]) * f
                pts[t, k, 1] = centre[1] + (floor[t, k, 1] - centre[1]) * f
            else:
                bx = np.float64(out[t, k_n + 2 * k]) * SCALE_MM
                by = np.float64(out[t, k_n + 2 * k + 1]) * SCALE_MM
                pts[t, k, 0] = cos * bx - sin * by + anchor[t, 0]
                pts[t, k, 1] = sin * bx + cos * by + anchor[t, 1]
            pts[t, k, 2] = h


def _geometry(floor: np.ndarray, obs: np.ndarray, cols: np.ndarray, anchor: np.ndarray,
              cs: np.ndarray, centre: np.ndarray, valid: np.ndarray) -> FrameGeometry:
    t, k = obs.shape
    rot = np.empty((t, 2, 2))
    rot[:, 0, 0], rot[:, 0, 1] = cs[:, 0], cs[:, 1]
    rot[:, 1, 0], rot[:, 1, 1] = -cs[:, 1], cs[:, 0]
    floor_obs = np.full((t, k, 2), np.nan)
    if len(cols):
        floor_obs[:, cols] = np.where(obs[:, cols, None], floor[:, cols], np.nan)
    return FrameGeometry(floor=floor_obs, observed=obs, anchor=anchor, rot=rot, centre=centre,
                         valid=valid)


def frame_features(
    floor: np.ndarray,
    conf: np.ndarray,
    observed: np.ndarray,
    centre: np.ndarray,
    *,
    extra: np.ndarray | None = None,
    n_extra: int = 0,
    start_heading: float | None = None,
) -> tuple[np.ndarray, FrameGeometry]:
    """Network input features of a sequence of frames.

    Parameters
    ----------
    floor
        ``(T, K, 2)`` floor points (world mm) in catalogue order.
    conf
        ``(T, K)`` likelihoods.
    observed
        ``(T, K)`` bool: keypoints given to the network (tracked, above the cutoff).
    centre
        Camera centre ``(3,)`` in the world frame.
    extra
        Optional ``(T, K, n_extra)`` extra per-keypoint channels (zero where absent).
    n_extra
        Number of extra channels the model expects.
    start_heading
        Heading to use for leading frames where it is undefined (streaming).

    Returns
    -------
    features : numpy.ndarray
        ``(T, K * (PER_KEYPOINT + n_extra) + N_GLOBAL)`` float32.
    geometry : FrameGeometry
    """
    floor = np.ascontiguousarray(floor, dtype=np.float64)
    t, k = floor.shape[:2]
    obs = np.asarray(observed, dtype=bool) & np.isfinite(floor).all(-1)
    cols = np.flatnonzero(obs.any(0)).astype(np.int64)  # the keypoints tracked at all
    c = np.asarray(centre, dtype=np.float64)
    feats = np.zeros((t, k * (PER_KEYPOINT + n_extra) + N_GLOBAL), np.float32)
    anchor = np.empty((t, 2))
    cs = np.empty((t, 2))
    valid = np.empty(t, bool)
    has_extra = bool(n_extra) and extra is not None
    ex = (np.asarray(extra, dtype=np.float64) if has_extra else np.zeros((1, 1, 1)))
    _nb_features(floor, np.asarray(conf, dtype=np.float64), obs, cols, c, FIT_WEIGHT,
                 AP_COORD, ex, has_extra, int(n_extra),
                 0.0 if start_heading is None else float(start_heading),
                 start_heading is not None, feats, anchor, cs, valid)
    return feats, _geometry(floor, obs, cols, anchor, cs, c, valid)


def body_to_world(body_xy: np.ndarray, geo: FrameGeometry) -> np.ndarray:
    """Body-frame ``(T, K, 2)`` mm -> world floor ``(T, K, 2)`` mm."""
    cos, sin = geo.rot[:, 0, 0][:, None], geo.rot[:, 0, 1][:, None]
    bx, by = body_xy[..., 0], body_xy[..., 1]
    return np.stack([cos * bx - sin * by + geo.anchor[:, None, 0],
                     sin * bx + cos * by + geo.anchor[:, None, 1]], -1)


def world_to_body(xy: np.ndarray, geo: FrameGeometry) -> np.ndarray:
    """World ``(T, K, 2)`` mm -> body frame ``(T, K, 2)`` mm."""
    cos, sin = geo.rot[:, 0, 0][:, None], geo.rot[:, 0, 1][:, None]
    dx, dy = xy[..., 0] - geo.anchor[:, None, 0], xy[..., 1] - geo.anchor[:, None, 1]
    return np.stack([cos * dx + sin * dy, -sin * dx + cos * dy], -1)


# --------------------------------------------------------------------------- network
def receptive_field(kernels: Sequence[int]) -> int:
    """Frames one output sees: ``1 + sum((k_i - 1) * prod(k_<i))``."""
    rf, dil = 1, 1
    for k in kernels:
        rf += (k - 1) * dil
        dil *= k
    return rf


class LifterNet(nn.Module):
    """Dilated temporal convolutions (VideoPose3D-style) from features to heights.

    Parameters
    ----------
    in_features
        Input channels per frame (see :func:`frame_features`).
    n_keypoints
        Keypoints predicted (catalogue size); the output has ``3 * n_keypoints``
        channels: heights, then body-frame ``x, y`` pairs.
    channels
        Hidden width.
    kernels
        Kernel size of each layer; dilations are the running products (``(3, 3, 3)``:
        receptive field 27). ``(1,)`` makes a per-frame network.
    causal
        Align each output with the last frame of its window (live use) instead of the
        centre.
    dropout
        Dropout probability in training.
    members
        Independent networks of this shape computed side by side (``channels`` each;
        grouped convolutions) whose outputs the head averages: an ensemble, built from
        separately trained networks by :func:`ensemble_net`. 1: a single network.
    """

    def __init__(self, in_features: int, n_keypoints: int = N_KEYPOINTS, *, channels: int = 128,
                 kernels: Sequence[int] = (3, 3, 3), causal: bool = False,
                 dropout: float = 0.1, members: int = 1) -> None:
        super().__init__()
        self.in_features = int(in_features)
        self.n_keypoints = int(n_keypoints)
        self.kernels = tuple(int(k) for k in kernels)
        self.causal = bool(causal)
        self.members = int(members)
        if self.members < 1:
            raise ValueError(f"members must be at least 1, got {members}.")
        self.receptive_field = receptive_field(self.kernels)
        self.channels = int(channels)
        wide, g = self.channels * self.members, self.members
        self.expand = nn.Conv1d(in_features, wide, self.kernels[0], bias=False)
        self.expand_bn = nn.BatchNorm1d(wide, momentum=0.1)
        self.layers = nn.ModuleList()
        self.pads: list[int] = []
        dil = self.kernels[0]
        for k in self.kernels[1:]:
            self.pads.append((k - 1) * dil)
            self.layers.append(nn.ModuleList([
                nn.Conv1d(wide, wide, k, dilation=dil, bias=False, groups=g),
                nn.BatchNorm1d(wide, momentum=0.1),
                nn.Conv1d(wide, wide, 1, bias=False, groups=g),
                nn.BatchNorm1d(wide, momentum=0.1),
            ]))
            dil *= k
        self.drop = nn.Dropout(dropout)
        self.act = nn.ReLU(inplace=True)
        self.head = nn.Conv1d(wide, 3 * n_keypoints, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, in_features, T)`` -> ``(B, 3K, T - receptive_field + 1)``."""
        x = self.drop(self.act(self.expand_bn(self.expand(x))))
        for pad, (conv, bn, conv1, bn1) in zip(self.pads, self.layers, strict=True):
            res = x[:, :, pad:] if self.causal else x[:, :, pad // 2: x.shape[2] - pad // 2]
            x = self.drop(self.act(bn(conv(x))))
            x = res + self.drop(self.act(bn1(conv1(x))))
        return self.head(x)

    def _folded(self) -> list[tuple[torch.Tensor, torch.Tensor, int]]:
        """Inference weights with the batch norms folded into the convolutions.

        ``[(weight, bias, dilation)]``: the expand convolution, then two per layer, then
        the head. Computed from the current parameters (cheap), so always up to date.
        """
        def fold(conv: nn.Conv1d, bn: nn.BatchNorm1d) -> tuple[torch.Tensor, torch.Tensor, int]:
            scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
            bias = bn.bias - bn.running_mean * scale
            if conv.bias is not None:
                bias = bias + conv.bias * scale
            return conv.weight * scale[:, None, None], bias, int(conv.dilation[0])

        out = [fold(self.expand, self.expand_bn)]
        for conv, bn, conv1, bn1 in self.layers:
            out += [fold(conv, bn), fold(conv1, bn1)]
        out.append((self.head.weight, self.head.bias, 1))
        return out

    @torch.inference_mode()
    def infer(self, x: torch.Tensor,
              folded: list[tuple[torch.Tensor, torch.Tensor, int]] | None = None
              ) -> torch.Tensor:
        """As :meth:`forward` in eval mode (batch norms folded, no dropout), faster."""
        if self.training:
            return self.forward(x)
        f = folded if folded is not None else self._folded()
        w, b, _ = f[0]
        x = torch.relu_(F.conv1d(x, w, b))
        for i, pad in enumerate(self.pads):
            res = x[:, :, pad:] if self.causal else x[:, :, pad // 2: x.shape[2] - pad // 2]
            w, b, dil = f[1 + 2 * i]
            x = torch.relu_(F.conv1d(x, w, b, dilation=dil, groups=self.members))
            w, b, _ = f[2 + 2 * i]
            x = torch.relu_(F.conv1d(x, w, b, groups=self.members)).add_(res)
        w, b, _ = f[-1]
        return F.conv1d(x, w, b)

    def last_plan(self) -> list[tuple[torch.Tensor, torch.Tensor | None]]:
        """Gather indices to compute only the last output of a causal window.

        For a window of ``receptive_field`` frames, the last output needs each layer at
        a few frames only (``1, 3, 9, 27`` for kernels ``(3, 3, 3, 3)``): per layer
        ``(taps, residual)`` index tensors into the previous layer's frames (``taps``
        ordered for a stride-``k`` convolution; ``residual`` None for the first layer).
        """
        if not self.causal and self.receptive_field > 1:
            raise ValueError("last_plan() is for causal or per-frame networks.")
        dils = [1]
        for k in self.kernels[:-1]:
            dils.append(dils[-1] * k)
        times = [np.array([self.receptive_field - 1])]  # frames needed at each layer's output
        for k, d in zip(reversed(self.kernels), reversed(dils), strict=True):
            t = times[0]
            times.insert(0, np.unique((t[:, None] - d * np.arange(k - 1, -1, -1)).ravel()))
        plan = []
        for i, (k, d) in enumerate(zip(self.kernels, dils, strict=True)):
            src, dst = times[i], times[i + 1]
            pos = {int(v): j for j, v in enumerate(src)}
            taps = [pos[int(t - d * j)] for t in dst for j in range(k - 1, -1, -1)]
            res = None if i == 0 else torch.tensor([pos[int(t)] for t in dst])
            plan.append((torch.tensor(taps), res))
        return plan

    @torch.inference_mode()
    def infer_last(self, window: torch.Tensor,
                   folded: list[tuple[torch.Tensor, torch.Tensor, int]],
                   plan: list[tuple[torch.Tensor, torch.Tensor | None]]) -> torch.Tensor:
        """The last output of a causal window ``(receptive_field, in_features)`` -> ``(3K,)``.

        Equal to ``forward(window.T[None])[0, :, -1]`` in eval mode, computing only the
        frames it depends on (see :meth:`last_plan`; ``folded`` from :meth:`_folded`).
        """
        (taps, _), (w, b, _) = plan[0], folded[0]
        k = self.kernels[0]
        x = torch.relu_(F.conv1d(window[taps].T.unsqueeze(0), w, b, stride=k))
        for i in range(len(self.pads)):
            taps, res = plan[i + 1]
            k = self.kernels[i + 1]
            w, b, _ = folded[1 + 2 * i]
            y = torch.relu_(F.conv1d(x[:, :, taps], w, b, stride=k, groups=self.members))
            w, b, _ = folded[2 + 2 * i]
            x = torch.relu_(F.conv1d(y, w, b, groups=self.members)).add_(x[:, :, res])
        w, b, _ = folded[-1]
        return F.conv1d(x, w, b)[0, :, -1]

    def config(self) -> dict[str, Any]:
        """Constructor arguments (for saving)."""
        return {"in_features": self.in_features, "n_keypoints": self.n_keypoints,
                "channels": self.channels, "kernels": list(self.kernels),
                "causal": self.causal, "members": self.members}


def network_shape(net: LifterNet) -> dict[str, Any]:
    """A network's :meth:`LifterNet.config` but for ``members``: networks of one shape
    average as one (:func:`ensemble_net`)."""
    return {k: v for k, v in net.config().items() if k != "members"}


def ensemble_net(nets: Sequence[LifterNet], weights: Sequence[float] | None = None
                 ) -> LifterNet:
    """One network that outputs the mean of several networks of the same shape, exactly.

    The members sit side by side as groups of a wider network (their batch norms kept);
    the head concatenates the members' heads, each scaled by its share of the members.
    Every inference path (:meth:`LifterNet.infer`, :meth:`LifterNet.infer_last`, so
    offline, live and the fused lifter's base) computes the average in one pass.

    Parameters
    ----------
    nets
        Networks with equal :meth:`LifterNet.config` but for ``members``: an ensemble
        among them counts as its members (the mean is over every single network).
    weights
        Each network's share of the output (normalised to sum to 1), for a weighted
        mean (two network sets mixed, :meth:`LiftingModel.ensemble`); default each
        network's share of the members.

    Returns
    -------
    LifterNet
        In eval mode.

    Raises
    ------
    ValueError
        When ``nets`` is empty or the shapes differ.
    """
    if not nets:
        raise ValueError("An ensemble needs at least one network.")
    cfg = network_shape(nets[0])
    for n in nets:
        if network_shape(n) != cfg:
            raise ValueError(f"Ensemble members differ in shape: {network_shape(n)} vs {cfg}.")
    m = sum(n.members for n in nets)
    cfg = dict(cfg, members=m)
    out = LifterNet(cfg.pop("in_features"), cfg.pop("n_keypoints"), **cfg)
    states = [n.state_dict() for n in nets]
    share = [n.members / m for n in nets] if weights is None else _shares(weights, len(nets))
    merged = {}
    for name in out.state_dict():
        parts = [s[name] for s in states]
        if name == "head.weight":
            merged[name] = torch.cat([p * w for p, w in zip(parts, share, strict=True)], dim=1)
        elif name == "head.bias":
            merged[name] = sum(p * w for p, w in zip(parts, share, strict=True))
        elif name.endswith("num_batches_tracked"):
            merged[name] = parts[0].clone()
        else:
            merged[name] = torch.cat(parts, dim=0)
    out.load_state_dict(merged)
    return out.eval()


def _shares(weights: Sequence[float], n: int) -> list[float]:
    """``weights`` normalised to sum to 1 (one per network, none negative)."""
    w = [float(x) for x in weights]
    if len(w) != n or min(w) < 0.0 or sum(w) <= 0.0:
        raise ValueError(f"Ensemble weights must be {n} non-negative numbers, not all 0; "
                         f"got {list(weights)}.")
    return [x / sum(w) for x in w]


def _mirror_channels(n_in: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Signed permutations of the features and outputs that mirror a frame left-right.

    The mirrored frame's features are ``x[..., src_in] * sign_in`` (left and right
    keypoints swapped, every body-frame ``y`` negated); outputs map back alike.
    """
    per = (n_in - N_GLOBAL) // N_KEYPOINTS
    src_in = np.arange(n_in)
    sign_in = np.ones(n_in, np.float32)
    for k in range(N_KEYPOINTS):
        src_in[k * per: (k + 1) * per] = MIRROR[k] * per + np.arange(per)
        sign_in[k * per + 1] = sign_in[k * per + 3] = -1.0  # body-frame y, parallax y
    sign_in[N_KEYPOINTS * per + 1] = -1.0  # the nadir's body-frame y
    k_n = N_KEYPOINTS
    src_out = np.concatenate([MIRROR, k_n + (2 * MIRROR[:, None] + np.arange(2)).ravel()])
    sign_out = np.ones(3 * k_n, np.float32)
    sign_out[k_n + 1::2] = -1.0
    return src_in, sign_in, src_out, sign_out


def mirror_net(net: LifterNet) -> LifterNet:
    """The network's mirror image: what ``net`` lifts from a frame mirrored left-right,
    mirrored back.

    A mouse is bilaterally symmetric and so is the geometry (:func:`frame_features` is
    exactly equivariant: mirror the floor points and the camera, swap left and right, and
    the features are the same signed permutation of the original ones), so the mirror
    image is as valid a lifter as ``net``, trained on the mirror image of its data. Only
    the input layer's columns and the head's rows move; extra channels (depth cues) are
    scalars and follow their keypoint.
    """
    if net.n_keypoints != N_KEYPOINTS or (net.in_features - N_GLOBAL) % N_KEYPOINTS:
        raise ValueError("mirror_net needs a network over the whole catalogue.")
    src_in, sign_in, src_out, sign_out = _mirror_channels(net.in_features)
    out = LifterNet(net.in_features, net.n_keypoints, channels=net.channels,
                    kernels=net.kernels, causal=net.causal, members=net.members)
    state = net.state_dict()  # load_state_dict copies: the source keeps its own tensors
    state["expand.weight"] = state["expand.weight"][:, src_in] * torch.from_numpy(
        sign_in)[None, :, None]
    sign = torch.from_numpy(sign_out)
    state["head.weight"] = state["head.weight"][src_out] * sign[:, None, None]
    state["head.bias"] = state["head.bias"][src_out] * sign
    out.load_state_dict(state)
    return out.eval()


def symmetric_net(net: LifterNet) -> LifterNet:
    """``net`` and its :func:`mirror_net` averaged: a lifter exactly symmetric left-right.

    On real mice a network and its mirror image err differently (they meet features the
    synthetic mouse never showed), so their mean is better than either, as with an
    ensemble of seeds, at twice the arithmetic (docs/results.md).
    """
    return ensemble_net([net, mirror_net(net)])


def window_pads(net: LifterNet) -> tuple[int, int]:
    """Frames replicated before and after a sequence for ``net``'s window."""
    rf = net.receptive_field
    left = rf - 1 if net.causal else (rf - 1) // 2
    return left, rf - 1 - left


def _pad_edges(xp: np.ndarray, left: int, t: int) -> None:
    """Replicate the first / last of ``t`` frames of ``xp (C, left + t + right)``."""
    if left:
        xp[:, :left] = xp[:, left: left + 1]
    if xp.shape[1] > left + t:
        xp[:, left + t:] = xp[:, left + t - 1: left + t]


# --------------------------------------------------------------------------- bundle
@dataclass(frozen=True)
class Prediction:
    """What :meth:`LiftingModel.predict_detailed` lifts of one animal.

    Attributes
    ----------
    points
        ``(T, K, 3)`` world mm, catalogue order.
    imputed
        ``(T, K)`` bool, True where a point was not tracked (or below ``pcutoff``).
    heights
        ``(T, K)`` predicted heights (mm).
    tails_withheld
        ``(T, K)`` bool, True for tracked tail points lying curled off the body's axis
        (:func:`tail_off_axis`) that the temporal or causal networks did not see; they are
        still placed on their own rays.
    """

    points: np.ndarray
    imputed: np.ndarray
    heights: np.ndarray
    tails_withheld: np.ndarray


@dataclass
class LiftingModel:
    """The three networks plus what inference needs, saved together as one file.

    Attributes
    ----------
    nets
        ``{"temporal": ..., "causal": ..., "frame": ...}`` (any subset).
    n_extra
        Extra per-keypoint channels the networks expect.
    median_height_mm
        ``(K,)`` population median height of each catalogue keypoint (baseline and
        fallback).
    pair_length_mm
        ``(K, K)`` population median horizontal distance between keypoints (camera scale
        estimate from the animal).
    info
        Free metadata: training command, seed, held-out errors...
    symmetric
        Modes whose network lifts as the mean of itself and its mirror image
        (:func:`symmetric_net`), at inference only: the saved networks are the trained
        ones. The per-frame network by default (labelled frames, files with gaps), where
        it costs little; the temporal and causal networks are left single, the batched
        video lift keeping its speed (docs/results.md).
    """

    nets: dict[str, LifterNet]
    n_extra: int = 0
    median_height_mm: np.ndarray = field(default_factory=lambda: np.zeros(N_KEYPOINTS))
    pair_length_mm: np.ndarray = field(
        default_factory=lambda: np.full((N_KEYPOINTS, N_KEYPOINTS), np.nan))
    info: dict[str, Any] = field(default_factory=dict)
    keypoints: tuple[str, ...] = CATALOGUE
    symmetric: tuple[str, ...] = ("frame",)
    _mirrored: dict[str, tuple[LifterNet, tuple[int, ...], LifterNet]] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for net in self.nets.values():
            net.eval()

    @property
    def in_features(self) -> int:
        """Input channels per frame."""
        return N_KEYPOINTS * (PER_KEYPOINT + self.n_extra) + N_GLOBAL

    def mode_for(self, mode: str) -> str:
        """The mode whose network :meth:`net` gives for ``mode`` (falls back: causal ->
        frame, temporal -> causal)."""
        for m in {"temporal": ("temporal", "causal", "frame"), "causal": ("causal", "frame"),
                  "frame": ("frame",)}.get(mode, ()):
            if m in self.nets:
                return m
        raise ValueError(f"Mode '{mode}' is not in this model (has {sorted(self.nets)}); "
                         f"modes: {', '.join(MODES)}.")

    def net(self, mode: str) -> LifterNet:
        """The network of one mode (falls back: causal -> frame, temporal -> causal)."""
        m = self.mode_for(mode)
        return self._symmetric(m) if m in self.symmetric else self.nets[m]

    def _symmetric(self, mode: str) -> LifterNet:
        """:func:`symmetric_net` of a mode's network, remade only when its weights change
        (a new network, or one trained further in place)."""
        net = self.nets[mode]
        versions = tuple(t._version for t in (*net.parameters(), *net.buffers()))
        cached = self._mirrored.get(mode)
        if cached is None or cached[0] is not net or cached[1] != versions:
            cached = (net, versions, symmetric_net(net))
            self._mirrored[mode] = cached
        return cached[2]

    # ------------------------------------------------------------------ inference
    def run(self, features: np.ndarray, mode: str = "temporal", *,
            chunk: int = _NET_CHUNK) -> np.ndarray:
        """Network outputs for a whole sequence, edges padded by replication.

        Parameters
        ----------
        features
            ``(T, in_features)`` float32.
        mode
            ``temporal``, ``causal`` or ``frame``.
        chunk
            Output frames per forward pass (bounds memory).

        Returns
        -------
        numpy.ndarray
            ``(T, 3K)`` float32 raw outputs (units of 100 mm).
        """
        net = self.net(mode)
        t = len(features)
        if t == 0:
            return np.zeros((0, 3 * N_KEYPOINTS), np.float32)
        left, right = window_pads(net)
        xp = np.empty((features.shape[1], left + t + right), np.float32)
        xp[:, left: left + t] = np.asarray(features, dtype=np.float32).T
        _pad_edges(xp, left, t)
        return self._run_padded(net, xp, t, chunk).T

    @staticmethod
    def _run_padded(net: LifterNet, xp: np.ndarray, t: int, chunk: int = _NET_CHUNK
                    ) -> np.ndarray:
        """Outputs ``(3K, T)`` of padded features ``(in_features, T + rf - 1)``."""
        rf = net.receptive_field
        x = torch.from_numpy(xp)
        out = np.empty((net.head.out_channels, t), np.float32)
        folded = net._folded() if not net.training else None
        with torch.inference_mode():
            for s in range(0, t, chunk):
                e = min(t, s + chunk)
                out[:, s:e] = net.infer(x[:, s: e + rf - 1].unsqueeze(0), folded)[0].numpy()
        return out

    def decode(self, out: np.ndarray, geo: FrameGeometry, *,
               max_height_fraction: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
        """Network outputs -> world 3D points and heights.

        Tracked keypoints lie exactly on their rays at the predicted height; untracked
        ones are placed at their predicted body-frame position and height.

        Returns
        -------
        points : numpy.ndarray
            ``(T, K, 3)`` world mm (NaN in frames with nothing tracked).
        heights : numpy.ndarray
            ``(T, K)`` predicted heights (mm).
        """
        out = np.asarray(out)
        t = out.shape[0]
        pts = np.empty((t, N_KEYPOINTS, 3))
        heights = np.empty((t, N_KEYPOINTS))
        cs = np.ascontiguousarray(geo.rot[:, 0, :])
        _nb_decode(out, np.asarray(geo.floor, dtype=np.float64), np.asarray(geo.observed, bool),
                   np.asarray(geo.anchor, dtype=np.float64), cs, np.asarray(geo.valid, bool),
                   np.asarray(geo.centre, dtype=np.float64),
                   float(max_height_fraction * abs(geo.centre[2])), pts, heights)
        return pts, heights

    def predict(self, uv: np.ndarray, conf: np.ndarray, camera: Camera, *,
                mode: str = "temporal", pcutoff: float = 0.6,
                extra: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Lift catalogue-ordered 2D keypoints of one animal: :meth:`predict_detailed`'s
        points, imputed flags and heights (see there for the parameters)."""
        p = self.predict_detailed(uv, conf, camera, mode=mode, pcutoff=pcutoff, extra=extra)
        return p.points, p.imputed, p.heights

    def predict_detailed(self, uv: np.ndarray, conf: np.ndarray, camera: Camera, *,
                         mode: str = "temporal", pcutoff: float = 0.6,
                         extra: np.ndarray | None = None) -> Prediction:
        """Lift catalogue-ordered 2D keypoints of one animal.

        Parameters
        ----------
        uv
            ``(T, K, 2)`` pixels in catalogue order, NaN where not tracked.
        conf
            ``(T, K)`` likelihoods (NaN where not tracked).
        camera
            The camera (world frame: z up, floor at z = 0, mm).
        mode
            ``temporal``, ``causal`` or ``frame``.
        pcutoff
            Keypoints below this likelihood are treated as untracked (imputed).
        extra
            Optional ``(T, K, n_extra)`` extra channels.

        Returns
        -------
        Prediction
            Points, imputed flags, heights and the tail points withheld from the
            networks (:func:`tail_off_axis`).
        """
        net = self.net(mode)
        uv = np.ascontiguousarray(uv, dtype=np.float64)
        conf = np.ascontiguousarray(conf, dtype=np.float64)
        t, k = uv.shape[:2]
        held = np.zeros((t, k), bool)
        if t == 0:
            return Prediction(np.zeros((0, k, 3)), held, np.zeros((0, k)), held)
        cols = np.flatnonzero(np.isfinite(uv).all(-1).any(0))  # keypoints tracked at all
        intr, r, c, dist = _camera_arrays(camera)
        floor = np.full((t, k, 2), np.nan)
        obs = np.zeros((t, k), bool)
        _nb_floor_obs(_kernel_pixels(uv, camera), conf, cols.astype(np.int64), float(pcutoff),
                      intr, r, c, dist, bool(np.any(dist != 0)), floor, obs)
        has_extra = bool(self.n_extra) and extra is not None
        ex = np.asarray(extra, dtype=np.float64) if has_extra else np.zeros((1, 1, 1))

        left, right = window_pads(net)
        hmax = 0.9 * abs(float(c[2]))  # the highest a point is lifted

        def features(seen: np.ndarray) -> tuple[np.ndarray, ...]:
            """Padded features of the keypoints ``seen``, and each frame's body frame."""
            cols = np.flatnonzero(seen.any(0)).astype(np.int64)
            xp = np.zeros((self.in_features, left + t + right), np.float32)
            anchor = np.empty((t, 2))
            cs = np.empty((t, 2))
            valid = np.empty(t, bool)
            _nb_features(floor, conf, seen, cols, c, FIT_WEIGHT, AP_COORD, ex, has_extra,
                         int(self.n_extra), 0.0, False, xp[:, left: left + t].T, anchor, cs,
                         valid)
            _pad_edges(xp, left, t)
            return xp, anchor, cs, valid

        def decode(out: np.ndarray, anchor: np.ndarray, cs: np.ndarray,
                   valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            """Every tracked keypoint on its ray (withheld ones too)."""
            pts = np.empty((t, N_KEYPOINTS, 3))
            heights = np.empty((t, N_KEYPOINTS))
            _nb_decode(out.T, floor, obs, anchor, cs, valid, c, hmax, pts, heights)
            return pts, heights

        xp, anchor, cs, valid = features(obs)
        out = self._run_padded(net, xp, t)
        if mode != "frame" and self.judges_tails and obs[:, _TAIL_COLS].any():
            # each point where the networks put it, so a rear's raised nose does not bend
            # the axis; the curled tail points are then withheld and the networks run
            # again over the frames whose window sees a changed input
            heights = np.empty((t, N_KEYPOINTS))  # as decode() gives them, the read ones
            heights[:, _TAIL_NEED] = np.clip(out[_TAIL_NEED].T * SCALE_MM, 0.0, hmax)
            held = tail_off_axis(floor, obs, c, heights, frames=TAIL_OFF_AXIS_FRAMES)
            if held.any():
                xp2, anchor, cs, valid = features(obs & ~held)
                for a, b in _windows_seeing(np.flatnonzero((xp2 != xp).any(0)),
                                            left + right, t):
                    out[:, a:b] = self._run_padded(net, xp2[:, a: b + left + right], b - a)
        pts, heights = decode(out, anchor, cs, valid)
        imputed = ~obs & valid[:, None]
        return Prediction(pts, imputed, heights, held)

    @property
    def judges_tails(self) -> bool:
        """Whether lifts withhold curled tails from these networks' temporal and causal
        modes (:func:`tail_off_axis`): networks trained for views from straight above or
        below, whose training tails :data:`TAIL_OFF_AXIS_COS` describes; not those trained
        for oblique views (nor a mix with them), which see tails at other angles. The
        per-frame networks always see the tail: withheld there, a real mouse's labelled
        rears lifted worse (``docs/results.md``, "Real mice: real tails curl whatever the
        mouse does")."""
        return _trained_straight(self.info)

    @property
    def members(self) -> int:
        """Networks averaged per mode (1: a single model; see :meth:`ensemble`)."""
        return max(n.members for n in self.nets.values())

    @staticmethod
    def why_not_ensemble(models: Sequence[LiftingModel]) -> str | None:
        """Why ``models`` cannot be averaged as one (:meth:`ensemble`), or ``None`` when
        they can: every model needs the same modes, extra channels and, per mode, a
        network of the same shape (width, kernels, inputs; any number of members)."""
        first = models[0]
        for m in models[1:]:
            if set(m.nets) != set(first.nets) or m.n_extra != first.n_extra:
                return ("Ensemble members must have the same modes and extra channels: "
                        f"{sorted(m.nets)} / {m.n_extra} vs {sorted(first.nets)} / "
                        f"{first.n_extra}.")
            for mode, net in m.nets.items():
                a, b = network_shape(net), network_shape(first.nets[mode])
                if a != b:
                    return f"Ensemble members' {mode} networks differ in shape: {a} vs {b}."
        return None

    @classmethod
    def ensemble(cls, models: Sequence[LiftingModel], weights: Sequence[float] | None = None
                 ) -> LiftingModel:
        """A model whose output is the mean of several models' outputs.

        Each mode's network is :func:`ensemble_net` of the members' networks, so a
        tracked keypoint's height is the members' mean height on its ray (and an
        untracked one the mean of their body-frame placements), in every inference path.
        Members are usually the same recipe trained with different seeds (``dlc-lifter
        train --seeds``): on real mice one seed's errors differ from another's by as much
        as a recipe change (docs/results.md), and their mean is better than each.

        Parameters
        ----------
        models
            Keypoints-only or fused models with the same modes, network shapes and extra
            channels.
        weights
            Each model's share of the output (normalised; default: by their members), a
            weighted mean: the lift of a view between two network sets' ranges mixes them
            (:meth:`~dlc_lifter.lift.lifter.Lifter.for_camera`). The outputs mix, so a
            tracked keypoint's height is the weighted mean of the models' heights on its
            ray, as if their points were mixed (heights are clipped to the floor after
            mixing).

        Returns
        -------
        LiftingModel
            ``info["members"]`` holds each member's ``info`` (and ``info["weights"]`` the
            shares given); the population statistics are the members' (weighted) means.

        Raises
        ------
        ValueError
            When ``models`` is empty or the members do not match.
        """
        if not models:
            raise ValueError("An ensemble needs at least one model.")
        why = cls.why_not_ensemble(models)
        if why is not None:
            raise ValueError(why)
        share = None if weights is None else _shares(weights, len(models))
        nets = {mode: ensemble_net([m.nets[mode] for m in models], share)
                for mode in models[0].nets}
        info: dict[str, Any] = {"members": [dict(m.info) for m in models]}
        if share is not None:
            info["weights"] = share
        w = np.ones(len(models)) if share is None else np.asarray(share)
        pairs = np.stack([m.pair_length_mm for m in models])
        known = np.isfinite(pairs)  # pairs no member measured stay NaN
        with np.errstate(invalid="ignore", divide="ignore"):
            pair = (np.where(known, pairs, 0.0) * w[:, None, None]).sum(0) / (
                known * w[:, None, None]).sum(0)
        return cls(nets=nets, n_extra=models[0].n_extra,
                   median_height_mm=np.average([m.median_height_mm for m in models], axis=0,
                                               weights=w),
                   pair_length_mm=pair, info=info)

    # ------------------------------------------------------------------ persistence
    def state(self) -> dict[str, Any]:
        """Everything needed to rebuild the model, as tensors and plain types."""
        return {
            "format_version": FORMAT_VERSION,
            "keypoints": list(self.keypoints),
            "n_extra": int(self.n_extra),
            "median_height_mm": torch.as_tensor(self.median_height_mm, dtype=torch.float64),
            "pair_length_mm": torch.as_tensor(self.pair_length_mm, dtype=torch.float64),
            "info": self.info,
            "nets": {m: {"config": n.config(),
                         "state": {k: v.detach().clone() for k, v in n.state_dict().items()}}
                     for m, n in self.nets.items()},
        }

    def save(self, path: str | Path) -> Path:
        """Write the model to ``path`` (``.pt``); returns the path."""
        return write_weights(self.state(), path)

    @classmethod
    def from_state(cls, state: dict[str, Any], source: str = "the model") -> LiftingModel:
        """Rebuild from :meth:`state`."""
        if int(state.get("format_version", -1)) != FORMAT_VERSION:
            raise ModelLoadError(f"{source} has weights format {state.get('format_version')}, "
                                 f"this dlc-lifter reads {FORMAT_VERSION}; retrain with "
                                 "'dlc-lifter train'.")
        if tuple(state["keypoints"]) != CATALOGUE:
            raise ModelLoadError(f"{source} was trained on another keypoint catalogue; "
                                 "retrain with 'dlc-lifter train'.")
        nets = {}
        for mode, entry in state["nets"].items():
            cfg = dict(entry["config"])
            net = LifterNet(cfg.pop("in_features"), cfg.pop("n_keypoints"), **cfg)
            net.load_state_dict(entry["state"])
            nets[mode] = net
        return cls(nets=nets, n_extra=int(state["n_extra"]),
                   median_height_mm=np.asarray(state["median_height_mm"], dtype=np.float64),
                   pair_length_mm=np.asarray(state["pair_length_mm"], dtype=np.float64),
                   info=dict(state.get("info", {})))

    @classmethod
    def load(cls, path: str | Path) -> LiftingModel:
        """Read a model written by :meth:`save`.

        Raises
        ------
        ModelLoadError
            When the file is missing, not a dlc-lifter model, or for another catalogue.
        """
        p = Path(path)
        state = read_weights(
            p, missing="Model file {path} does not exist; give a file written by 'dlc-lifter "
            "train' or leave --model out for the shipped one.",
            unreadable="Model file {path} could not be read ({error}); give a file written by "
            "'dlc-lifter train'.")
        if not isinstance(state, dict) or "nets" not in state:
            raise ModelLoadError(f"{p} is not a dlc-lifter model; give a file written by "
                                 "'dlc-lifter train'.")
        model = cls.from_state(state, str(p))
        model.info["path"] = str(p)  # the file read, whatever a saved copy recorded
        model.info["sha256"] = file_hash(p)
        return model
