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

Features (:func:`frame_features`)
---------------------------------
Floor points are canonicalised per frame into a *body frame*: translated to an anchor (a
weighted mean of the tracked floor points) and rotated so that the fitted
anterior-posterior axis of the tracked points points along ``+x`` (``y`` left, ``z`` up).
Per keypoint, in catalogue order: body-frame floor position / 100 mm (2), the parallax
cue (floor offset from the nadir, rotated into the body frame, divided by ``H``) (2),
likelihood (1), a tracked mask (1), then ``n_extra`` optional channels (e.g. depth cues
from the video; zero when absent). Per frame: the nadir in the body frame / ``H`` (2) and
``log(H / 500 mm)`` (1).

Outputs
-------
Per catalogue keypoint: height / 100 mm, and body-frame ``x, y`` / 100 mm. The body-frame
position is used only for keypoints that were not tracked (imputed, flagged as such);
tracked keypoints always take the exact ray geometry.

Networks (:class:`LifterNet`) are VideoPose3D-style dilated temporal convolutions:
``temporal`` (symmetric window), ``causal`` (past frames only, for live use) and
``frame`` (kernel size 1: isolated frames). :class:`LiftingModel` bundles the three with
the population statistics and saves them as one ``.pt`` file.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch import nn

from dlc_lifter.camera import Camera
from dlc_lifter.errors import DLCLifterError
from dlc_lifter.mouse.catalogue import CATALOGUE

__all__ = [
    "AP_COORD",
    "FORMAT_VERSION",
    "MODES",
    "N_GLOBAL",
    "N_KEYPOINTS",
    "PER_KEYPOINT",
    "FrameGeometry",
    "LifterNet",
    "LiftingModel",
    "ModelLoadError",
    "body_to_world",
    "floor_points",
    "frame_features",
    "points_on_rays",
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
#: Frames per chunk of feature computation in :meth:`LiftingModel.predict`.
_CHUNK = 4096
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


class ModelLoadError(DLCLifterError):
    """Weights are missing, corrupt or made for another keypoint catalogue."""


# --------------------------------------------------------------------------- geometry
def floor_points(uv: np.ndarray, camera: Camera) -> np.ndarray:
    """Where each pixel's ray meets the floor: world ``(..., 2)`` mm (NaN stays NaN).

    Uses the floor homography of the (undistorted) camera; rays that do not reach the
    floor in front of the camera give NaN.
    """
    uv = np.asarray(uv, dtype=np.float64)
    if camera.has_distortion:
        xy = camera.normalise(uv)
    else:
        xy = (uv - [camera.cx, camera.cy]) / [camera.fx, camera.fy]
    # camera-frame direction d = (x, y, 1); world direction R^T d; s = -C_z / (R^T d)_z
    r = camera.R
    c = camera.centre
    x, y = xy[..., 0], xy[..., 1]
    dz = r[0, 2] * x + r[1, 2] * y + r[2, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        s = -c[2] / dz
    s = np.where(s > 0, s, np.nan)
    dx = r[0, 0] * x + r[1, 0] * y + r[2, 0]
    dy = r[0, 1] * x + r[1, 1] * y + r[2, 1]
    return np.stack([c[0] + s * dx, c[1] + s * dy], axis=-1)


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


def _fill_heading(angle: np.ndarray, ok: np.ndarray, start: float | None) -> np.ndarray:
    """Forward-fill undefined headings (then backward-fill the leading gap)."""
    t = len(angle)
    idx = np.where(ok, np.arange(t), -1)
    idx = np.maximum.accumulate(idx) if t else idx
    out = np.where(idx >= 0, angle[np.clip(idx, 0, None)], np.nan)
    lead = idx < 0
    if lead.any():
        if start is not None:
            out[lead] = start
        elif ok.any():
            out[lead] = angle[int(np.argmax(ok))]
        else:
            out[lead] = 0.0
    return out


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
    floor = np.asarray(floor, dtype=np.float64)
    t, k = floor.shape[:2]
    obs_all = np.asarray(observed, dtype=bool) & np.isfinite(floor).all(-1)
    cols = np.flatnonzero(obs_all.any(0))  # work on the keypoints tracked at all
    obs = obs_all[:, cols]
    c = np.asarray(centre, dtype=np.float64)
    px = np.where(obs, floor[:, cols, 0], 0.0)
    py = np.where(obs, floor[:, cols, 1], 0.0)
    w = obs * FIT_WEIGHT[cols]
    wsum = w.sum(1)
    valid = wsum > 0
    safe = np.where(valid, wsum, 1.0)
    ax = (w * px).sum(1) / safe
    ay = (w * py).sum(1) / safe
    ap = AP_COORD[cols]
    a_mean = (w * ap).sum(1) / safe
    da = (ap[None, :] - a_mean[:, None]) * w
    rx = np.where(obs, px - ax[:, None], 0.0)
    ry = np.where(obs, py - ay[:, None], 0.0)
    vx, vy = (da * rx).sum(1), (da * ry).sum(1)
    spread = (da * (ap[None, :] - a_mean[:, None])).sum(1) / safe
    ok = valid & (np.hypot(vx, vy) > 1e-6) & (spread > 1e-3)
    angle = _fill_heading(np.arctan2(vy, vx), ok, start_heading)
    cos, sin = np.cos(angle), np.sin(angle)
    ax, ay = np.where(valid, ax, 0.0), np.where(valid, ay, 0.0)
    h = c[2]
    cosc, sinc = cos[:, None], sin[:, None]
    qx, qy = px - c[0], py - c[1]
    per = np.zeros((t, k, PER_KEYPOINT + n_extra), dtype=np.float32)
    sub = np.empty((t, len(cols), PER_KEYPOINT + n_extra), dtype=np.float64)
    sub[..., 0] = (cosc * rx + sinc * ry) / SCALE_MM
    sub[..., 1] = (-sinc * rx + cosc * ry) / SCALE_MM
    sub[..., 2] = (cosc * qx + sinc * qy) / h
    sub[..., 3] = (-sinc * qx + cosc * qy) / h
    sub[..., 4] = np.nan_to_num(np.asarray(conf, dtype=np.float64)[:, cols])
    sub[..., 5] = 1.0
    if n_extra:
        if extra is not None:
            sub[..., PER_KEYPOINT:] = np.nan_to_num(np.asarray(extra, dtype=np.float64)[:, cols])
        else:
            sub[..., PER_KEYPOINT:] = 0.0
    sub *= obs[..., None]
    per[:, cols] = sub
    nx, ny = c[0] - ax, c[1] - ay
    glob = np.stack([(cos * nx + sin * ny) / h, (-sin * nx + cos * ny) / h,
                     np.full(t, math.log(h / REF_HEIGHT_MM))], -1)
    glob = np.where(valid[:, None], glob, 0.0).astype(np.float32)
    feats = np.concatenate([per.reshape(t, -1), glob], -1)
    rot = np.empty((t, 2, 2))
    rot[:, 0, 0], rot[:, 0, 1], rot[:, 1, 0], rot[:, 1, 1] = cos, sin, -sin, cos
    floor_obs = np.full((t, k, 2), np.nan)
    floor_obs[:, cols] = np.where(obs[..., None], floor[:, cols], np.nan)
    anchor = np.where(valid[:, None], np.stack([ax, ay], -1), np.nan)
    geo = FrameGeometry(floor=floor_obs, observed=obs_all, anchor=anchor, rot=rot, centre=c,
                        valid=valid)
    return feats, geo


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
    """

    def __init__(self, in_features: int, n_keypoints: int = N_KEYPOINTS, *, channels: int = 128,
                 kernels: Sequence[int] = (3, 3, 3), causal: bool = False,
                 dropout: float = 0.1) -> None:
        super().__init__()
        self.in_features = int(in_features)
        self.n_keypoints = int(n_keypoints)
        self.kernels = tuple(int(k) for k in kernels)
        self.causal = bool(causal)
        self.receptive_field = receptive_field(self.kernels)
        self.expand = nn.Conv1d(in_features, channels, self.kernels[0], bias=False)
        self.expand_bn = nn.BatchNorm1d(channels, momentum=0.1)
        self.layers = nn.ModuleList()
        self.pads: list[int] = []
        dil = self.kernels[0]
        for k in self.kernels[1:]:
            self.pads.append((k - 1) * dil)
            self.layers.append(nn.ModuleList([
                nn.Conv1d(channels, channels, k, dilation=dil, bias=False),
                nn.BatchNorm1d(channels, momentum=0.1),
                nn.Conv1d(channels, channels, 1, bias=False),
                nn.BatchNorm1d(channels, momentum=0.1),
            ]))
            dil *= k
        self.drop = nn.Dropout(dropout)
        self.act = nn.ReLU(inplace=True)
        self.head = nn.Conv1d(channels, 3 * n_keypoints, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, in_features, T)`` -> ``(B, 3K, T - receptive_field + 1)``."""
        x = self.drop(self.act(self.expand_bn(self.expand(x))))
        for pad, (conv, bn, conv1, bn1) in zip(self.pads, self.layers, strict=True):
            res = x[:, :, pad:] if self.causal else x[:, :, pad // 2: x.shape[2] - pad // 2]
            x = self.drop(self.act(bn(conv(x))))
            x = res + self.drop(self.act(bn1(conv1(x))))
        return self.head(x)

    def config(self) -> dict[str, Any]:
        """Constructor arguments (for saving)."""
        return {"in_features": self.in_features, "n_keypoints": self.n_keypoints,
                "channels": self.expand.out_channels, "kernels": list(self.kernels),
                "causal": self.causal}


# --------------------------------------------------------------------------- bundle
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
    """

    nets: dict[str, LifterNet]
    n_extra: int = 0
    median_height_mm: np.ndarray = field(default_factory=lambda: np.zeros(N_KEYPOINTS))
    pair_length_mm: np.ndarray = field(
        default_factory=lambda: np.full((N_KEYPOINTS, N_KEYPOINTS), np.nan))
    info: dict[str, Any] = field(default_factory=dict)
    keypoints: tuple[str, ...] = CATALOGUE

    def __post_init__(self) -> None:
        for net in self.nets.values():
            net.eval()

    @property
    def in_features(self) -> int:
        """Input channels per frame."""
        return N_KEYPOINTS * (PER_KEYPOINT + self.n_extra) + N_GLOBAL

    def net(self, mode: str) -> LifterNet:
        """The network of one mode (falls back: causal -> frame, temporal -> causal)."""
        for m in {"temporal": ("temporal", "causal", "frame"), "causal": ("causal", "frame"),
                  "frame": ("frame",)}.get(mode, ()):
            if m in self.nets:
                return self.nets[m]
        raise ValueError(f"Mode '{mode}' is not in this model (has {sorted(self.nets)}); "
                         f"modes: {', '.join(MODES)}.")

    # ------------------------------------------------------------------ inference
    @torch.no_grad()
    def run(self, features: np.ndarray, mode: str = "temporal", *,
            chunk: int = 65536) -> np.ndarray:
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
        rf = net.receptive_field
        x = torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32))
        t = x.shape[0]
        if t == 0:
            return np.zeros((0, 3 * N_KEYPOINTS), np.float32)
        left = rf - 1 if net.causal else (rf - 1) // 2
        right = rf - 1 - left
        xp = torch.cat([x[:1].expand(left, -1), x, x[-1:].expand(right, -1)], 0)
        outs = []
        for s in range(0, t, chunk):
            e = min(t, s + chunk)
            seg = xp[s: e + rf - 1].T.unsqueeze(0)
            outs.append(net(seg)[0].T)
        return torch.cat(outs, 0).numpy()

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
        k = N_KEYPOINTS
        out = np.asarray(out)
        hmax = max_height_fraction * geo.centre[2]
        heights = np.clip(out[:, :k].astype(np.float64) * SCALE_MM, 0.0, hmax)
        body = out[:, k:].reshape(-1, k, 2).astype(np.float64) * SCALE_MM
        pts = np.empty(heights.shape + (3,))
        pts[..., :2] = body_to_world(body, geo)
        pts[..., 2] = heights
        cols = np.flatnonzero(geo.observed.any(0))
        if len(cols):
            sub = geo.observed[:, cols]
            on_ray = points_on_rays(geo.floor[:, cols], geo.centre, heights[:, cols])
            pts[:, cols] = np.where(sub[..., None], on_ray, pts[:, cols])
        pts[~geo.valid] = np.nan
        heights[~geo.valid] = np.nan
        return pts, heights

    def predict(self, uv: np.ndarray, conf: np.ndarray, camera: Camera, *,
                mode: str = "temporal", pcutoff: float = 0.6,
                extra: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
        points : numpy.ndarray
            ``(T, K, 3)`` world mm.
        imputed : numpy.ndarray
            ``(T, K)`` bool, True where a point was not tracked (or below ``pcutoff``).
        heights : numpy.ndarray
            ``(T, K)`` predicted heights (mm).
        """
        uv = np.asarray(uv, dtype=np.float64)
        c_all = np.nan_to_num(np.asarray(conf, dtype=np.float64), nan=0.0)
        present_all = np.isfinite(uv).all(-1) & (c_all >= pcutoff)
        cols = np.flatnonzero(present_all.any(0))
        t = len(uv)
        feats = np.empty((t, self.in_features), np.float32)
        geos: list[tuple[int, int, FrameGeometry]] = []
        heading: float | None = None
        for s in range(0, t, _CHUNK):  # chunks keep the temporaries in cache
            e = min(t, s + _CHUNK)
            floor = np.full((e - s, N_KEYPOINTS, 2), np.nan)
            floor[:, cols] = floor_points(uv[s:e, cols], camera)
            obs = present_all[s:e] & np.isfinite(floor).all(-1)
            feats[s:e], geo = frame_features(
                floor, c_all[s:e], obs, camera.centre, n_extra=self.n_extra,
                extra=None if extra is None else extra[s:e], start_heading=heading)
            heading = float(math.atan2(geo.rot[-1, 0, 1], geo.rot[-1, 0, 0]))
            geos.append((s, e, geo))
        out = self.run(feats, mode)
        pts = np.empty((t, N_KEYPOINTS, 3))
        heights = np.empty((t, N_KEYPOINTS))
        imputed = np.empty((t, N_KEYPOINTS), bool)
        for s, e, geo in geos:
            pts[s:e], heights[s:e] = self.decode(out[s:e], geo)
            imputed[s:e] = ~geo.observed & geo.valid[:, None]
        return pts, imputed, heights

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
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        buf = io.BytesIO()
        torch.save(self.state(), buf)
        from dlc_lifter._atomic import atomic_output

        with atomic_output(out, overwrite=True) as tmp:
            Path(tmp).write_bytes(buf.getvalue())
        return out

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
        if not p.is_file():
            raise ModelLoadError(f"Model file {p} does not exist; give a file written by "
                                 "'dlc-lifter train' or leave --model out for the shipped one.")
        try:
            state = torch.load(p, map_location="cpu", weights_only=True)
        except Exception as exc:  # noqa: BLE001 - any unpickling failure
            raise ModelLoadError(f"Model file {p} could not be read ({exc}); give a file "
                                 "written by 'dlc-lifter train'.") from None
        if not isinstance(state, dict) or "nets" not in state:
            raise ModelLoadError(f"{p} is not a dlc-lifter model; give a file written by "
                                 "'dlc-lifter train'.")
        model = cls.from_state(state, str(p))
        model.info.setdefault("path", str(p))
        model.info["sha256"] = file_hash(p)
        return model


def file_hash(path: str | Path) -> str:
    """SHA-256 of a file (first 16 hex digits)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
