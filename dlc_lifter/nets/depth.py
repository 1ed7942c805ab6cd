"""Per-pixel height of the mouse from a top-view crop: crop geometry, network, training.

What is predicted
-----------------
For a square crop around the mouse (placed from its 2D keypoints, :func:`crop_from_keypoints`)
the network predicts, for every crop pixel, the **height above the floor** (world ``z``, mm)
of the surface seen there, plus the probability that the pixel shows the mouse. Height, not
camera depth, because for a top view it is camera-invariant: the same rearing mouse is
60 mm tall whether the camera hangs 300 mm or 2 m above it, while its camera depth changes
with the rig. Height is also exactly what the lifter decodes (a point on a keypoint's ray at
height ``h``), and a camera depth follows from it when the camera is known
(:func:`depth_from_height`).

Crops
-----
A :class:`Crop` is axis-aligned, centred on the middle of the tracked body keypoints, and
its side covers :data:`CROP_MM` mm at the animal's scale (pixels per mm estimated from
keypoint pairs and the population pair lengths, :func:`px_per_mm_from_keypoints`), resampled
to :data:`CROP_SIZE` pixels. The input is a grey crop normalised per crop (zero mean, unit
variance), so exposure, contrast and coat colour matter less.

Network
-------
:class:`DepthNet` is a small U-Net (stride-4 stem, two stride-2 stages; the shipped one
is 24 wide, ~0.32 M parameters, ~59 M multiply-adds per 128 x 128 crop) with three output
channels: height (softplus, mm / :data:`HEIGHT_UNIT_MM`), mask logits and *landmark
height* (softplus, same unit). :class:`DepthModel` bundles it with its configuration and
saves it as one small ``.pt`` file (2-output weights of earlier versions still load).

Why a landmark-height output: a top-view pixel shows the body's surface, but a tracker's
keypoint names a skeleton landmark, and at the extremities where keypoints sit (nose tip,
ears, tail base) the surface under a slightly misplaced keypoint is often the floor or
the flank. On held-out renders (openfield keypoints) the true surface height at the true
keypoint pixel was 8 mm below the landmark on average (13 mm when rearing), 11 mm at the
tracked pixel. So the network also learns, at every pixel within a few pixels of a
landmark seen from above (:func:`landmark_map`), that landmark's own height; read at a
tracked keypoint it is a less biased height cue (``benchmarks/depth.py`` prints both
cues' errors).

Training (:func:`train_depth`) uses rendered frames of :func:`dlc_lifter.synth.synthesize`
(the camera ``Z`` depth is converted to height with the frame's camera), plus rendered
rearing-heavy sequences cropped exactly as at inference
(:func:`dlc_lifter.nets.fusion.clip_training_crops`: noisy tracked keypoints, image scale
estimated from them), and heavy appearance augmentation (:func:`augment_batch`): random
grey conversion, coat re-colouring, floor textures and illumination gradients, vignetting,
gamma / contrast, blur, sensor noise, JPEG, lens distortion, rotations and flips. Rearing
crops are over-sampled (``rear_weight``) and the loss weighs high mouse surfaces more
(``top_weight``): without both the network regresses a rearing mouse's head towards the
common, low body heights.

The crop's scale is jittered in training (``scale_jitter``) because at inference it comes
from the animal's own keypoints (:func:`px_per_mm_from_keypoints`), whose ratio to the
camera's true floor scale spreads by about +-15 % over rendered clips (mouse size, posture,
keypoint set); a narrower jitter would not match what the network sees on video.
"""

from __future__ import annotations

import io
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numba
import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from dlc_lifter.camera import Camera
from dlc_lifter.mouse.catalogue import CATALOGUE

__all__ = [
    "BODY_KEYPOINTS",
    "CROP_MM",
    "CROP_SIZE",
    "Crop",
    "DepthModel",
    "DepthNet",
    "DepthTrainConfig",
    "augment_batch",
    "crop_from_keypoints",
    "crop_images",
    "depth_from_height",
    "height_from_depth",
    "landmark_map",
    "load_training_crops",
    "normalise_crops",
    "px_per_mm_from_keypoints",
    "seen_from_above",
    "to_gray",
    "train_depth",
]

logger = logging.getLogger(__name__)

#: Crop side in pixels (network input).
CROP_SIZE = 128
#: Crop side in mm at the animal's scale.
CROP_MM = 160.0
#: mm per network height unit.
HEIGHT_UNIT_MM = 40.0
#: Version of the saved depth-weights layout.
FORMAT_VERSION = 1
#: Radius (crop pixels) of the disk around each landmark's pixel that carries its height in
#: the landmark-height target (covers typical 2D tracking error).
LANDMARK_RADIUS_PX = 3
#: A landmark counts as seen from above when the surface at its pixel is at most this much
#: above it (landmarks sit inside the body, under its surface).
LANDMARK_HIDDEN_MM = 10.0

#: Catalogue keypoints that place the crop (body and head; not the tail beyond its base).
BODY_KEYPOINTS = np.array([not (n.startswith("tail") and n != "tail_base") for n in CATALOGUE])


# --------------------------------------------------------------------------- geometry
@dataclass(frozen=True)
class Crop:
    """An axis-aligned square crop of an image, resampled to ``size x size`` pixels.

    Attributes
    ----------
    centre
        ``(u, v)`` image pixel at the crop's centre.
    side_px
        Side of the crop in image pixels.
    size
        Side of the resampled crop (network pixels).
    mm_per_px
        Millimetres per crop pixel at the animal's scale (for slopes).
    """

    centre: tuple[float, float]
    side_px: float
    size: int = CROP_SIZE
    mm_per_px: float = CROP_MM / CROP_SIZE

    @property
    def scale(self) -> float:
        """Image pixels per crop pixel."""
        return self.side_px / self.size

    def affine(self) -> np.ndarray:
        """``2 x 3`` image -> crop affine matrix (OpenCV's ``warpAffine`` convention)."""
        s = self.scale
        half = (self.size - 1) / 2
        return np.array([[1 / s, 0.0, half - self.centre[0] / s],
                         [0.0, 1 / s, half - self.centre[1] / s]])

    def to_crop(self, uv: np.ndarray) -> np.ndarray:
        """Image pixels ``(..., 2)`` -> crop pixels ``(..., 2)``."""
        uv = np.asarray(uv, dtype=np.float64)
        half = (self.size - 1) / 2
        return (uv - np.asarray(self.centre)) / self.scale + half

    def to_image(self, xy: np.ndarray) -> np.ndarray:
        """Crop pixels ``(..., 2)`` -> image pixels ``(..., 2)``."""
        xy = np.asarray(xy, dtype=np.float64)
        half = (self.size - 1) / 2
        return (xy - half) * self.scale + np.asarray(self.centre)


def px_per_mm_from_keypoints(uv: np.ndarray, conf: np.ndarray | None,
                             pair_length_mm: np.ndarray, *, pcutoff: float = 0.6,
                             min_mm: float = 25.0) -> float:
    """Image scale of the animal (pixels per mm) from tracked keypoint pairs.

    The median over frames of ``pixel distance / population horizontal distance`` of every
    tracked pair of body keypoints at least ``min_mm`` apart in the population (the lifter's
    ``pair_length_mm``); robust to posture because it pools pairs and frames.

    Parameters
    ----------
    uv
        ``(T, K, 2)`` pixels in catalogue order (NaN where not tracked).
    conf
        ``(T, K)`` likelihoods (``None``: all tracked points count).
    pair_length_mm
        ``(K, K)`` population median horizontal distances (mm).
    pcutoff
        Likelihood below which a keypoint is ignored.
    min_mm
        Shortest population distance of a pair used.

    Returns
    -------
    float
        Pixels per mm; NaN when no pair is ever tracked.
    """
    uv = np.asarray(uv, dtype=np.float64)
    ok = np.isfinite(uv).all(-1)
    if conf is not None:
        ok &= np.nan_to_num(np.asarray(conf, dtype=np.float64)) >= pcutoff
    ok &= BODY_KEYPOINTS[None, :]
    if len(uv) > 600:  # a fixed subsample keeps it fast and deterministic
        sel = np.linspace(0, len(uv) - 1, 600).astype(int)
        uv, ok = uv[sel], ok[sel]
    plen = np.asarray(pair_length_mm, dtype=np.float64)
    good_pair = np.isfinite(plen) & (plen >= min_mm)
    ratios = []
    for i, j in zip(*np.nonzero(np.triu(good_pair, 1)), strict=True):
        both = ok[:, i] & ok[:, j]
        if both.sum() >= 3:
            d = np.linalg.norm(uv[both, i] - uv[both, j], axis=-1)
            ratios.append(np.median(d) / plen[i, j])
    return float(np.median(ratios)) if ratios else math.nan


def crop_from_keypoints(uv: np.ndarray, conf: np.ndarray | None, px_per_mm: float, *,
                        pcutoff: float = 0.6, crop_mm: float = CROP_MM,
                        size: int = CROP_SIZE) -> Crop | None:
    """The crop of one frame: centred on the tracked body keypoints' bounding box.

    Parameters
    ----------
    uv
        ``(K, 2)`` pixels in catalogue order.
    conf
        ``(K,)`` likelihoods (``None``: every finite point counts).
    px_per_mm
        Image scale of the animal (:func:`px_per_mm_from_keypoints`).
    pcutoff
        Likelihood below which a keypoint is ignored.
    crop_mm, size
        Crop side in mm and in network pixels.

    Returns
    -------
    Crop or None
        ``None`` when no body keypoint is tracked or the scale is unknown.
    """
    uv = np.asarray(uv, dtype=np.float64)
    ok = np.isfinite(uv).all(-1) & BODY_KEYPOINTS
    if conf is not None:
        ok &= np.nan_to_num(np.asarray(conf, dtype=np.float64)) >= pcutoff
    if not ok.any() or not (np.isfinite(px_per_mm) and px_per_mm > 0):
        return None
    pts = uv[ok]
    centre = (pts.min(0) + pts.max(0)) / 2
    return Crop(centre=(float(centre[0]), float(centre[1])), side_px=float(crop_mm * px_per_mm),
                size=int(size), mm_per_px=float(crop_mm / size))


def crop_images(image: np.ndarray, crops: Sequence[Crop], *,
                interpolation: str = "linear") -> np.ndarray:
    """Resample ``image`` into each crop (border replicated).

    Parameters
    ----------
    image
        ``(H, W)`` or ``(H, W, C)`` array.
    crops
        The crops (all of the same ``size``).
    interpolation
        ``linear`` (images, height maps) or ``nearest`` (masks, labels).

    Returns
    -------
    numpy.ndarray
        ``(N, size, size[, C])``, the image's dtype.
    """
    src = image.view(np.uint8) if image.dtype == np.bool_ else image
    out = [_resample_crop(src, c, interpolation == "linear") for c in crops]
    arr = np.stack(out) if out else np.zeros((0,) + src.shape[:0], src.dtype)
    return arr.view(np.bool_) if image.dtype == np.bool_ else arr


def _resample_crop(src: np.ndarray, crop: Crop, linear: bool) -> np.ndarray:
    """One crop, sampled in float64 with edge pixels repeated outside the image.

    Our own sampler rather than ``cv2.warpAffine``, whose sampling changed in OpenCV 5:
    the same video gives the same crops, and so the same 3D, whatever OpenCV is installed.
    The crop is axis-aligned, so rows and columns are sampled separately.
    """
    h, w = src.shape[:2]
    grid = (np.arange(crop.size) - (crop.size - 1) / 2) * crop.scale
    u, v = grid + crop.centre[0], grid + crop.centre[1]
    if not linear:
        cols = np.clip(np.floor(u + 0.5), 0, w - 1).astype(np.intp)
        rows = np.clip(np.floor(v + 0.5), 0, h - 1).astype(np.intp)
        return src[np.ix_(rows, cols)]
    img = src.reshape(h, w, -1)
    out = _bilinear(img, np.clip(u, 0, w - 1), np.clip(v, 0, h - 1))
    out = out.reshape((crop.size, crop.size) + src.shape[2:])
    if np.issubdtype(src.dtype, np.integer):
        info = np.iinfo(src.dtype)
        return np.clip(np.rint(out), info.min, info.max).astype(src.dtype)
    return out.astype(src.dtype)


@numba.njit(cache=True, nogil=True)
def _bilinear(img: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:  # pragma: no cover
    h, w, nc = img.shape
    out = np.empty((v.size, u.size, nc))
    for i in range(v.size):
        r0 = int(math.floor(v[i]))
        r1 = min(r0 + 1, h - 1)
        fv = v[i] - r0
        for j in range(u.size):
            c0 = int(math.floor(u[j]))
            c1 = min(c0 + 1, w - 1)
            fu = u[j] - c0
            for k in range(nc):
                top = img[r0, c0, k] * (1.0 - fu) + img[r0, c1, k] * fu
                bottom = img[r1, c0, k] * (1.0 - fu) + img[r1, c1, k] * fu
                out[i, j, k] = top * (1.0 - fv) + bottom * fv
    return out


def seen_from_above(uv: np.ndarray, z_mm: np.ndarray, height: np.ndarray, *,
                    tolerance_mm: float = LANDMARK_HIDDEN_MM) -> np.ndarray:
    """Landmarks not hidden under another part of the body, seen from the camera.

    Parameters
    ----------
    uv
        ``(K, 2)`` image pixels of the landmarks (NaN: skipped).
    z_mm
        ``(K,)`` their heights (mm).
    height
        ``(H, W)`` height (mm) of the surface each image pixel shows.
    tolerance_mm
        How far the surface may be above a landmark that still counts as seen.

    Returns
    -------
    numpy.ndarray
        ``(K,)`` bool: inside the image and no surface more than ``tolerance_mm`` above.
    """
    uv = np.asarray(uv, dtype=np.float64)
    h_img, w_img = height.shape[:2]
    ok = np.isfinite(uv).all(-1)
    u = np.rint(np.where(ok, uv[:, 0], -1)).astype(np.int64)
    v = np.rint(np.where(ok, uv[:, 1], -1)).astype(np.int64)
    ok &= (u >= 0) & (u < w_img) & (v >= 0) & (v < h_img)
    surf = np.where(ok, height[np.clip(v, 0, h_img - 1), np.clip(u, 0, w_img - 1)], np.inf)
    return ok & (surf <= np.asarray(z_mm, dtype=np.float64) + tolerance_mm)


def landmark_map(crop: Crop, uv: np.ndarray, z_mm: np.ndarray, *,
                 surface: np.ndarray | None = None,
                 radius: int = LANDMARK_RADIUS_PX) -> np.ndarray:
    """Target of the depth network's landmark-height output for one crop.

    A top-view pixel shows the body's surface, not the skeleton landmark a 2D tracker
    places there: at a nose tip or an ear the surface under a (noisy) keypoint is often
    the floor, and a landmark inside the body lies under its surface. So besides the
    surface height the network learns the landmark's own height, from disks of
    ``radius`` pixels around each landmark's crop pixel (higher landmarks painted last).

    Parameters
    ----------
    crop
        The crop.
    uv
        ``(K, 2)`` image pixels of the landmarks to paint (NaN: skipped).
    z_mm
        ``(K,)`` their heights (mm).
    surface
        ``(H, W)`` height (mm) of the surface each image pixel shows: when given, only
        landmarks :func:`seen_from_above` are painted.
    radius
        Disk radius in crop pixels.

    Returns
    -------
    numpy.ndarray
        ``(S, S)`` float16 landmark height (mm), NaN where no landmark is near.
    """
    s = crop.size
    out = np.full((s, s), np.nan, np.float32)
    uv = np.asarray(uv, dtype=np.float64).reshape(-1, 2)
    if surface is not None:
        uv = np.where(seen_from_above(uv, z_mm, surface)[:, None], uv, np.nan)
    xy = crop.to_crop(uv)
    z = np.asarray(z_mm, dtype=np.float64).reshape(-1)
    yy, xx = np.mgrid[0:s, 0:s]
    for k in np.argsort(np.where(np.isfinite(z), z, -np.inf)):
        if not (np.isfinite(xy[k]).all() and np.isfinite(z[k])):
            continue
        x, y = xy[k]
        if not (-radius <= x <= s - 1 + radius and -radius <= y <= s - 1 + radius):
            continue
        out[(xx - x) ** 2 + (yy - y) ** 2 <= radius * radius] = z[k]
    return out.astype(np.float16)


def to_gray(rgb: np.ndarray, weights: Sequence[float] = (0.299, 0.587, 0.114)) -> np.ndarray:
    """``(..., 3)`` RGB -> ``(...)`` float32 grey in [0, 255]."""
    return np.asarray(rgb, dtype=np.float32) @ np.asarray(weights, dtype=np.float32)


def normalise_crops(gray: np.ndarray) -> np.ndarray:
    """Per-crop zero mean, unit variance ``(N, S, S)`` float32 (network input)."""
    g = np.asarray(gray, dtype=np.float32)
    mean = g.mean(axis=(-2, -1), keepdims=True)
    std = g.std(axis=(-2, -1), keepdims=True)
    return (g - mean) / (std + 4.0)


def height_from_depth(depth: np.ndarray, camera: Camera) -> np.ndarray:
    """World height (mm) of every pixel's surface from its camera ``Z`` (mm).

    Parameters
    ----------
    depth
        ``(H, W)`` camera ``Z`` per pixel (undistorted pinhole camera).
    camera
        The camera.

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` float32 height above the floor.
    """
    h, w = depth.shape
    kinv = np.linalg.inv(camera.K)
    vv, uu = np.mgrid[0:h, 0:w].astype(np.float64)
    x = kinv[0, 0] * uu + kinv[0, 1] * vv + kinv[0, 2]
    y = kinv[1, 0] * uu + kinv[1, 1] * vv + kinv[1, 2]
    z = np.asarray(depth, dtype=np.float64)
    r, t = camera.R, camera.t
    out = r[0, 2] * (z * x - t[0]) + r[1, 2] * (z * y - t[1]) + r[2, 2] * (z - t[2])
    return out.astype(np.float32)


def depth_from_height(height: np.ndarray, uv: np.ndarray, camera: Camera) -> np.ndarray:
    """Camera ``Z`` (mm) of the points at ``height`` on the rays of pixels ``uv``.

    Parameters
    ----------
    height
        ``(...)`` heights (mm).
    uv
        ``(..., 2)`` pixels.
    camera
        The camera (undistorted pinhole).

    Returns
    -------
    numpy.ndarray
        ``(...)`` camera ``Z`` (mm).
    """
    uv = np.asarray(uv, dtype=np.float64)
    xn = (uv[..., 0] - camera.cx) / camera.fx
    yn = (uv[..., 1] - camera.cy) / camera.fy
    r = camera.R
    dz = r[0, 2] * xn + r[1, 2] * yn + r[2, 2]  # world z of the ray direction (camera z = 1)
    return (np.asarray(height, dtype=np.float64) - camera.centre[2]) / dz


# --------------------------------------------------------------------------- network
def _conv(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True))


class DepthNet(nn.Module):
    """A small U-Net: grey crop -> height (mm / :data:`HEIGHT_UNIT_MM`) and mask logits.

    A 4 x 4 stride-4 stem (space-to-depth) brings a 128-pixel crop to a 32 x 32 grid, two
    stride-2 stages go down to 8 x 8 (receptive field: the whole crop), a light decoder
    with skip connections comes back to 32 x 32, and the two output maps are upsampled
    bilinearly to the crop size: heights are smooth, so a 4-pixel output grid loses little
    and keeps the network fast on a CPU (~26 M multiply-adds per crop at width 16, ~59 M
    at 24).

    Parameters
    ----------
    width
        Channels at the 32 x 32 level (then 2 and 4 times that).
    n_out
        Output maps: 2 (height, mask) or 3 (also the landmark height: the height of the
        skeleton landmark whose keypoint lies at a pixel, :func:`landmark_map`).
    """

    def __init__(self, width: int = 16, n_out: int = 3) -> None:
        super().__init__()
        w = int(width)
        if int(n_out) not in (2, 3):
            raise ValueError(f"n_out must be 2 or 3, not {n_out}.")
        self.width = w
        self.n_out = int(n_out)
        self.stem = nn.Sequential(nn.Conv2d(1, w, 4, 4, bias=False), nn.BatchNorm2d(w),
                                  nn.ReLU(inplace=True), _conv(w, w))
        self.e2 = nn.Sequential(_conv(w, 2 * w, 2), _conv(2 * w, 2 * w))
        self.e3 = nn.Sequential(_conv(2 * w, 4 * w, 2), _conv(4 * w, 4 * w),
                                _conv(4 * w, 4 * w))
        self.d2 = _conv(6 * w, 2 * w)
        self.d1 = _conv(3 * w, w)
        self.head = nn.Conv2d(w, self.n_out, 3, padding=1)

    @staticmethod
    def _up(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, size=like.shape[-2:], mode="bilinear", align_corners=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 1, S, S)`` -> ``(B, n_out, S, S)``: raw height (before softplus), mask
        logit and raw landmark height (before softplus)."""
        e1 = self.stem(x)
        e2 = self.e2(e1)
        e3 = self.e3(e2)
        d2 = self.d2(torch.cat([self._up(e3, e2), e2], 1))
        d1 = self.d1(torch.cat([self._up(d2, e1), e1], 1))
        return F.interpolate(self.head(d1), size=x.shape[-2:], mode="bilinear",
                             align_corners=False)


@dataclass
class DepthModel:
    """A trained :class:`DepthNet` with its crop settings, saved as one ``.pt`` file.

    Attributes
    ----------
    net
        The network.
    crop_mm, crop_size
        Crop side in mm and in pixels the network was trained with.
    info
        Free metadata (training configuration, held-out errors...).
    """

    net: DepthNet
    crop_mm: float = CROP_MM
    crop_size: int = CROP_SIZE
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.net.eval()

    @property
    def has_landmarks(self) -> bool:
        """Whether the network also predicts landmark heights (:func:`landmark_map`)."""
        return self.net.n_out >= 3

    @torch.no_grad()
    def predict(self, gray: np.ndarray, *, batch: int = 64, landmarks: bool = False
                ) -> tuple[np.ndarray, ...]:
        """Height and mask probability (and landmark height) of grey crops.

        Parameters
        ----------
        gray
            ``(N, S, S)`` grey crops in [0, 255] (:func:`to_gray` of :func:`crop_images`).
        batch
            Crops per forward pass.
        landmarks
            Also return the landmark-height map (zeros when the network has none,
            :attr:`has_landmarks`).

        Returns
        -------
        height : numpy.ndarray
            ``(N, S, S)`` float32 height above the floor (mm).
        mask : numpy.ndarray
            ``(N, S, S)`` float32 probability of showing the mouse.
        landmark : numpy.ndarray
            Only with ``landmarks=True``: ``(N, S, S)`` float32 predicted height (mm) of
            the landmark whose keypoint would be tracked at each pixel.
        """
        x = normalise_crops(gray)
        hs, ms, ls = [], [], []
        for s in range(0, len(x), batch):
            out = self.net(torch.from_numpy(np.ascontiguousarray(x[s: s + batch]))[:, None])
            hs.append((F.softplus(out[:, 0]) * HEIGHT_UNIT_MM).numpy())
            ms.append(torch.sigmoid(out[:, 1]).numpy())
            if landmarks:
                ls.append((F.softplus(out[:, 2]) * HEIGHT_UNIT_MM).numpy() if self.has_landmarks
                          else np.zeros_like(hs[-1]))
        if not hs:
            z = np.zeros((0,) + x.shape[1:], np.float32)
            return (z, z.copy(), z.copy()) if landmarks else (z, z.copy())
        if landmarks:
            return np.concatenate(hs), np.concatenate(ms), np.concatenate(ls)
        return np.concatenate(hs), np.concatenate(ms)

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """Write the model (``.pt``) atomically; returns the path."""
        from dlc_lifter._atomic import atomic_output

        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        state = {"format_version": FORMAT_VERSION, "kind": "dlc-lifter-depth",
                 "width": self.net.width, "n_out": self.net.n_out,
                 "crop_mm": float(self.crop_mm),
                 "crop_size": int(self.crop_size), "info": self.info,
                 "state": {k: v.detach().clone() for k, v in self.net.state_dict().items()}}
        buf = io.BytesIO()
        torch.save(state, buf)
        with atomic_output(out, overwrite=True) as tmp:
            Path(tmp).write_bytes(buf.getvalue())
        return out

    @classmethod
    def load(cls, path: str | Path) -> DepthModel:
        """Read a model written by :meth:`save`.

        Raises
        ------
        ModelLoadError
            When the file is missing or not dlc-lifter depth weights.
        """
        from dlc_lifter.nets.lifter import ModelLoadError

        p = Path(path)
        if not p.is_file():
            raise ModelLoadError(f"Depth weights {p} do not exist; train them with "
                                 "dlc_lifter.nets.depth.train_depth or reinstall dlc-lifter.")
        try:
            state = torch.load(p, map_location="cpu", weights_only=True)
        except Exception as exc:  # noqa: BLE001 - any unpickling failure
            raise ModelLoadError(f"Depth weights {p} could not be read ({exc}).") from None
        if not isinstance(state, dict) or state.get("kind") != "dlc-lifter-depth":
            raise ModelLoadError(f"{p} is not a dlc-lifter depth model.")
        if int(state.get("format_version", -1)) != FORMAT_VERSION:
            raise ModelLoadError(f"{p} has depth format {state.get('format_version')}; this "
                                 f"dlc-lifter reads {FORMAT_VERSION}. Retrain it.")
        net = DepthNet(int(state["width"]), int(state.get("n_out", 2)))
        net.load_state_dict(state["state"])
        info = dict(state.get("info", {}))
        info["path"] = str(p)
        return cls(net=net, crop_mm=float(state["crop_mm"]), crop_size=int(state["crop_size"]),
                   info=info)


# --------------------------------------------------------------------------- training data
def load_training_crops(index_path: str | Path, *, rng: np.random.Generator,
                        max_frames: int | None = None, crop_mm: float = CROP_MM,
                        size: int = CROP_SIZE, scale_jitter: tuple[float, float] = (0.85, 1.2),
                        shift_jitter: float = 0.08) -> dict[str, np.ndarray]:
    """Crops of a rendered dataset (:func:`dlc_lifter.synth.synthesize`) and their targets.

    The crop of each frame is placed as at inference (:func:`crop_from_keypoints` on the
    in-image keypoints) with the scale of the camera (``f / (H - 20 mm)``), jittered in
    scale and position.

    Parameters
    ----------
    index_path
        The dataset's ``index.json`` (or its folder).
    rng
        Draws the jitter.
    max_frames
        Use at most this many frames (the first ones).
    crop_mm, size
        Crop settings.
    scale_jitter
        Range of the crop-scale multiplier.
    shift_jitter
        Centre shift (fraction of the crop side, uniform in each direction).

    Returns
    -------
    dict
        ``rgb (N, S, S, 3)`` uint8, ``height (N, S, S)`` float16 mm, ``mask (N, S, S)``
        bool, ``landmark (N, S, S)`` float16 mm (:func:`landmark_map` of the landmarks
        seen from above), ``behaviour (N,)``.
    """
    from dlc_lifter.synth import load_dataset

    ds = load_dataset(index_path)
    out: dict[str, list[np.ndarray]] = {"rgb": [], "height": [], "mask": [], "landmark": [],
                                        "behaviour": []}
    n = 0
    for shard in ds.iter_shards(["rgb", "depth", "mask", "keypoints_2d", "in_image", "K", "R",
                                 "t", "image_size", "behaviour", "keypoints_world"]):
        for i in range(len(shard["rgb"])):
            if max_frames is not None and n >= max_frames:
                break
            cam = Camera(K=shard["K"][i], R=shard["R"][i], t=shard["t"][i],
                         image_size=tuple(int(v) for v in shard["image_size"][i]))
            uv = np.where(shard["in_image"][i][:, None], shard["keypoints_2d"][i], np.nan)
            ppm = cam.fx / max(cam.height_mm - 20.0, 50.0) * rng.uniform(*scale_jitter)
            crop = crop_from_keypoints(uv, None, ppm, crop_mm=crop_mm, size=size)
            if crop is None:
                continue
            shift = rng.uniform(-shift_jitter, shift_jitter, 2) * crop.side_px
            crop = Crop((crop.centre[0] + shift[0], crop.centre[1] + shift[1]), crop.side_px,
                        size, crop.mm_per_px)
            height = height_from_depth(shard["depth"][i], cam)
            out["rgb"].append(crop_images(shard["rgb"][i], [crop])[0])
            out["height"].append(crop_images(height, [crop], interpolation="nearest")[0]
                                 .astype(np.float16))
            out["mask"].append(crop_images(shard["mask"][i], [crop], interpolation="nearest")[0])
            out["landmark"].append(landmark_map(crop, shard["keypoints_2d"][i],
                                                shard["keypoints_world"][i][:, 2],
                                                surface=height))
            out["behaviour"].append(np.asarray(shard["behaviour"][i]))
            n += 1
    logger.info("%d training crops from %s", n, ds.root)
    return {k: np.stack(v) for k, v in out.items()}


# --------------------------------------------------------------------------- augmentation
def _smooth_field(rng: np.random.Generator, size: int, cells: int) -> np.ndarray:
    import cv2

    coarse = rng.standard_normal((cells, cells)).astype(np.float32)
    f = cv2.resize(coarse, (size, size), interpolation=cv2.INTER_CUBIC)
    return f / (np.abs(f).max() + 1e-6)


def _lens_maps(rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Remap grids of a random radial (barrel / pincushion) distortion about a random centre."""
    k1 = rng.uniform(-0.25, 0.25)
    c = (size - 1) / 2 + rng.uniform(-0.5, 0.5, 2) * size
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    dx, dy = (xx - c[0]) / size, (yy - c[1]) / size
    f = 1.0 + k1 * (dx * dx + dy * dy)
    return (c[0] + dx * f * size).astype(np.float32), (c[1] + dy * f * size).astype(np.float32)


def augment_batch(rgb: np.ndarray, height: np.ndarray, mask: np.ndarray,
                  rng: np.random.Generator, *, strength: float = 1.0,
                  landmark: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """Heavy appearance (and mild geometric) augmentation of training crops.

    Per crop: random grey conversion weights (colour, grey and IR-like sensors), coat
    re-colouring (the mouse's pixels get a new brightness and contrast: black, agouti,
    white coats), floor textures on the background, smooth illumination gradients and
    vignetting, gamma / contrast / brightness, Gaussian blur, sensor noise, JPEG
    compression, lens distortion (image and targets), rotations by 90 degrees and flips.

    Parameters
    ----------
    rgb
        ``(B, S, S, 3)`` uint8 crops.
    height, mask
        ``(B, S, S)`` targets.
    rng
        The only randomness.
    strength
        0 gives plain grey conversion (no augmentation), 1 the full set.
    landmark
        Optional ``(B, S, S)`` landmark-height targets (NaN where none), transformed like
        ``height``.

    Returns
    -------
    gray : numpy.ndarray
        ``(B, S, S)`` float32 in [0, 255].
    height, mask : numpy.ndarray
        Targets, transformed like the image.
    landmark : numpy.ndarray
        Only when ``landmark`` is given: transformed like the image.
    """
    import cv2

    b, s = rgb.shape[:2]
    gray = np.empty((b, s, s), np.float32)
    hs = np.asarray(height, dtype=np.float32).copy()
    ms = np.asarray(mask, dtype=bool).copy()
    ls = (np.asarray(landmark, dtype=np.float32).copy() if landmark is not None
          else np.zeros((b, 1, 1), np.float32))
    for i in range(b):
        if strength <= 0:
            gray[i] = to_gray(rgb[i])
            continue
        w = rng.dirichlet((2.0, 2.0, 2.0)) if rng.uniform() < 0.6 else (0.299, 0.587, 0.114)
        g = to_gray(rgb[i], w) / 255.0
        m = ms[i].astype(np.float32)
        if rng.uniform() < 0.5:  # coat re-colouring
            soft = cv2.GaussianBlur(m, (0, 0), 0.8)
            mean = float((g * m).sum() / max(m.sum(), 1.0))
            target = rng.uniform(0.02, 0.9)
            coat = np.clip((g - mean) * rng.uniform(0.5, 2.0) + target, 0, 1)
            g = soft * coat + (1 - soft) * g
        if rng.uniform() < 0.5:  # floor texture on the background
            tex = _smooth_field(rng, s, int(rng.integers(4, 40)))
            if rng.uniform() < 0.4:
                tex = np.sign(tex) * (np.abs(tex) > rng.uniform(0.2, 0.7))
            amp = rng.uniform(0.03, 0.3)
            g = g + (1 - m) * amp * tex
        if rng.uniform() < 0.5:  # illumination gradient / vignetting
            yy, xx = np.mgrid[0:s, 0:s].astype(np.float32) / s - 0.5
            a = rng.uniform(-0.5, 0.5, 2)
            r2 = (xx - rng.uniform(-1, 1)) ** 2 + (yy - rng.uniform(-1, 1)) ** 2
            g = g * (1 + a[0] * xx + a[1] * yy) * (1 - rng.uniform(0, 0.4) * r2)
        if rng.uniform() < 0.15:  # a few bright specks (reflections, bedding)
            for _ in range(int(rng.integers(1, 6))):
                c = rng.integers(0, s, 2)
                cv2.circle(g, (int(c[0]), int(c[1])), int(rng.integers(1, 4)),
                           float(rng.uniform(0, 1)), -1)
        g = np.clip(g, 0, 1)
        g = np.power(g, rng.uniform(0.6, 1.6))
        g = (g - 0.5) * rng.uniform(0.5, 1.5) + 0.5 + rng.uniform(-0.2, 0.2)
        if rng.uniform() < 0.6:
            g = cv2.GaussianBlur(g, (0, 0), rng.uniform(0.3, 2.0))
        if rng.uniform() < 0.7:
            g = g + rng.normal(0, rng.uniform(0.0, 0.06), g.shape).astype(np.float32)
        g = np.clip(g * 255 + 0.5, 0, 255).astype(np.uint8)
        if rng.uniform() < 0.5:  # JPEG
            ok, enc = cv2.imencode(".jpg", g, [cv2.IMWRITE_JPEG_QUALITY,
                                               int(rng.integers(15, 90))])
            if ok:
                g = cv2.imdecode(enc, cv2.IMREAD_GRAYSCALE)
        gi = g.astype(np.float32)
        hi, mi, li = hs[i], ms[i], ls[i]
        if rng.uniform() < 0.3:  # lens distortion
            mx, my = _lens_maps(rng, s)
            gi = cv2.remap(gi, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            hi = cv2.remap(hi, mx, my, cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE)
            mi = cv2.remap(mi.astype(np.uint8), mx, my, cv2.INTER_NEAREST,
                           borderMode=cv2.BORDER_REPLICATE).astype(bool)
            if landmark is not None:
                li = cv2.remap(li, mx, my, cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT,
                               borderValue=float("nan"))
        k = int(rng.integers(4))
        gi, hi, mi, li = np.rot90(gi, k), np.rot90(hi, k), np.rot90(mi, k), np.rot90(li, k)
        if rng.uniform() < 0.5:
            gi, hi, mi, li = gi[:, ::-1], hi[:, ::-1], mi[:, ::-1], li[:, ::-1]
        gray[i], hs[i], ms[i] = gi, hi, mi
        if landmark is not None:
            ls[i] = li
    if landmark is not None:
        return gray, hs, ms, ls
    return gray, hs, ms


# --------------------------------------------------------------------------- training
@dataclass
class DepthTrainConfig:
    """Settings of :func:`train_depth` (recorded in the weights' metadata).

    Attributes
    ----------
    seed
        Seed of initialisation, batches and augmentation.
    steps, batch, lr, weight_decay
        Optimisation (AdamW, one-cycle schedule).
    width
        Network width.
    floor_weight
        Loss weight of non-mouse pixels' heights (mouse pixels: 1).
    mask_weight
        Weight of the mask loss.
    rear_weight
        Sampling weight of crops of rearing mice (others: 1); rearing is rarer than its
        importance for 3D.
    top_weight
        Extra loss weight of mouse pixels per :data:`HEIGHT_UNIT_MM` of true height (a
        pixel at height ``h`` weighs ``1 + top_weight * h / HEIGHT_UNIT_MM``): the high
        surfaces of a rearing mouse (head, shoulders), few pixels but what tells a rear
        from a crouch, are not traded for the many low back and flank pixels.
    landmark_weight
        Weight of the landmark-height loss (L1 at the painted pixels of
        :func:`landmark_map`, in :data:`HEIGHT_UNIT_MM`); 0 trains a 2-output network.
    augment
        Strength of :func:`augment_batch` (1: the full appearance augmentation; 0: plain
        grey renders, the ablation that measures what the augmentation buys on real
        video, ``benchmarks/depth.py --sim2real``).
    threads
        ``torch.set_num_threads`` (``None``: leave as is).
    max_minutes
        Stop early after this many minutes (logged; then not reproducible).
    """

    seed: int = 0
    steps: int = 2500
    batch: int = 24
    lr: float = 3e-3
    weight_decay: float = 1e-4
    width: int = 16
    floor_weight: float = 0.2
    mask_weight: float = 0.5
    rear_weight: float = 3.0
    top_weight: float = 0.0
    landmark_weight: float = 1.0
    augment: float = 1.0
    threads: int | None = None
    max_minutes: float | None = None


def depth_loss(out: torch.Tensor, height: torch.Tensor, mask: torch.Tensor, *,
               floor_weight: float = 0.2, mask_weight: float = 0.5,
               top_weight: float = 0.0, landmark: torch.Tensor | None = None,
               landmark_weight: float = 1.0) -> torch.Tensor:
    """L1 height loss (mouse pixels ``1 + top_weight * h / HEIGHT_UNIT_MM``, other pixels
    ``floor_weight``) plus mask BCE, plus the landmark-height L1.

    Parameters
    ----------
    out
        ``(B, 2 or 3, S, S)`` network output.
    height
        ``(B, S, S)`` true heights (mm).
    mask
        ``(B, S, S)`` true mouse mask (bool or float).
    landmark
        ``(B, S, S)`` landmark-height targets (mm, NaN where none), used when ``out`` has
        a third channel.
    landmark_weight
        Its weight.
    """
    m = mask.float()
    pred = F.softplus(out[:, 0]) * HEIGHT_UNIT_MM
    top = 1.0 + top_weight * height.clamp_min(0.0) / HEIGHT_UNIT_MM
    w = m * top + floor_weight * (1 - m)
    l_h = ((pred - height).abs() / HEIGHT_UNIT_MM * w).sum() / w.sum().clamp_min(1.0)
    l_m = F.binary_cross_entropy_with_logits(out[:, 1], m)
    loss = l_h + mask_weight * l_m
    if landmark is not None and out.shape[1] > 2 and landmark_weight > 0:
        has = torch.isfinite(landmark)
        if bool(has.any()):
            pred_l = F.softplus(out[:, 2][has]) * HEIGHT_UNIT_MM
            loss = loss + landmark_weight * ((pred_l - landmark[has]).abs()
                                             / HEIGHT_UNIT_MM).mean()
    return loss


def train_depth(crops: dict[str, np.ndarray], config: DepthTrainConfig | None = None, *,
                progress: bool = False) -> tuple[DepthModel, dict[str, Any]]:
    """Train a :class:`DepthNet` on rendered crops with heavy augmentation.

    Parameters
    ----------
    crops
        From :func:`load_training_crops`: ``rgb``, ``height``, ``mask`` (and ``landmark``:
        then the network also learns landmark heights, unless ``landmark_weight`` is 0).
    config
        Settings.
    progress
        Show a tqdm bar.

    Returns
    -------
    model : DepthModel
    history : dict
        ``loss`` per step, ``seconds``, ``steps_done``.
    """
    from tqdm.auto import tqdm

    cfg = config or DepthTrainConfig()
    if cfg.threads is not None:
        torch.set_num_threads(int(cfg.threads))
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng([cfg.seed, 17])
    use_lm = cfg.landmark_weight > 0 and "landmark" in crops
    net = DepthNet(cfg.width, 3 if use_lm else 2)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=cfg.steps,
                                                pct_start=0.1)
    n = len(crops["rgb"])
    from dlc_lifter.mouse.behaviour import BEHAVIOURS

    rear = np.isin(np.asarray(crops.get("behaviour", np.full(n, -1))),
                   [BEHAVIOURS.index("rear"), BEHAVIOURS.index("rear_wall")])
    p = np.where(rear, cfg.rear_weight, 1.0)
    p = p / p.sum()
    logger.info("%d crops, %.0f%% rearing (sampling weight %.1f)", n, 100 * rear.mean(),
                cfg.rear_weight)
    t0 = time.monotonic()
    deadline = None if cfg.max_minutes is None else t0 + 60 * cfg.max_minutes
    losses: list[float] = []
    net.train()
    for step in tqdm(range(cfg.steps), desc="training depth", disable=not progress):
        idx = rng.choice(n, size=cfg.batch, p=p)
        aug = augment_batch(crops["rgb"][idx], crops["height"][idx], crops["mask"][idx], rng,
                            strength=cfg.augment,
                            landmark=crops["landmark"][idx] if use_lm else None)
        x = torch.from_numpy(normalise_crops(aug[0]))[:, None]
        out = net(x)
        loss = depth_loss(out, torch.from_numpy(np.ascontiguousarray(aug[1])),
                          torch.from_numpy(np.ascontiguousarray(aug[2])),
                          floor_weight=cfg.floor_weight, mask_weight=cfg.mask_weight,
                          top_weight=cfg.top_weight,
                          landmark=(torch.from_numpy(np.ascontiguousarray(aug[3]))
                                    if use_lm else None),
                          landmark_weight=cfg.landmark_weight)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 2.0)
        opt.step()
        sched.step()
        losses.append(float(loss.detach()))
        if step % 250 == 0:
            logger.info("depth step %d/%d loss %.4f (%.0f s)", step, cfg.steps,
                        float(np.mean(losses[-50:])), time.monotonic() - t0)
        if deadline is not None and time.monotonic() > deadline:
            logger.warning("Time limit reached: depth training stopped after %d of %d steps.",
                           step + 1, cfg.steps)
            break
    net.eval()
    seconds = time.monotonic() - t0
    info = {"config": asdict(cfg), "train_seconds": round(seconds, 1), "n_crops": int(n),
            "steps_done": len(losses), "torch": str(torch.__version__)}
    return DepthModel(net=net, info=info), {"loss": losses, "seconds": seconds,
                                            "steps_done": len(losses)}
