"""Crops around the animal: where they sit in the image, and their pixels.

A :class:`Crop` is axis-aligned, centred on the middle of the tracked body keypoints, and
its side covers :data:`CROP_MM` mm at the animal's scale (pixels per mm estimated from
keypoint pairs and the population pair lengths, :func:`px_per_mm_from_keypoints`),
resampled to :data:`CROP_SIZE` pixels (:func:`crop_images`). The depth network
(:mod:`dlc_lifter.nets.depth`) sees grey crops (:func:`to_gray`); training, offline,
live lifting and the benchmarks place and sample crops with these functions only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numba
import numpy as np

from dlc_lifter.camera import Camera
from dlc_lifter.mouse.catalogue import CATALOGUE

__all__ = [
    "BODY_KEYPOINTS",
    "CROP_MM",
    "CROP_SIZE",
    "Crop",
    "camera_px_per_mm",
    "crop_from_keypoints",
    "crop_images",
    "px_per_mm_from_keypoints",
    "to_gray",
]

#: Crop side in pixels (network input).
CROP_SIZE = 128
#: Crop side in mm at the animal's scale.
CROP_MM = 160.0

#: Catalogue keypoints that place the crop (body and head; not the tail beyond its base).
BODY_KEYPOINTS = np.array([not (n.startswith("tail") and n != "tail_base") for n in CATALOGUE])


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
                             min_mm: float = 25.0, camera: Camera | None = None) -> float:
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
    camera
        When given, its scale near the floor (:func:`camera_px_per_mm`) is returned where
        no pair is ever tracked.

    Returns
    -------
    float
        Pixels per mm; NaN when no pair is ever tracked (and no ``camera``).
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
    ppm = float(np.median(ratios)) if ratios else math.nan
    if camera is not None and not np.isfinite(ppm):
        return camera_px_per_mm(camera)
    return ppm


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


def camera_px_per_mm(camera: Camera) -> float:
    """The camera's image scale (pixels per mm) 20 mm above the floor, at the image centre.

    The fallback scale when the animal's own keypoints give none
    (:func:`px_per_mm_from_keypoints` returned NaN).

    Parameters
    ----------
    camera
        The camera (a height above the floor below 70 mm counts as 70 mm).

    Returns
    -------
    float
        ``fx / max(H - 20 mm, 50 mm)`` pixels per mm.
    """
    return camera.fx / max(camera.height_mm - 20.0, 50.0)


def to_gray(rgb: np.ndarray, weights: Sequence[float] = (0.299, 0.587, 0.114)) -> np.ndarray:
    """``(..., 3)`` RGB -> ``(...)`` float32 grey in [0, 255]."""
    return np.asarray(rgb, dtype=np.float32) @ np.asarray(weights, dtype=np.float32)

