"""Per-pixel height of the mouse from a top-view crop: the network and its weights.

What is predicted
-----------------
For a square crop around the mouse (placed from its 2D keypoints,
:func:`~dlc_lifter.nets.crops.crop_from_keypoints`) the network predicts, for every crop
pixel, the **height above the floor** (world ``z``, mm) of the surface seen there, plus the
probability that the pixel shows the mouse. Height, not camera depth, because for a top view
it is camera-invariant: the same rearing mouse is 60 mm tall whether the camera hangs 300 mm
or 2 m above it, while its camera depth changes with the rig. Height is also exactly what
the lifter decodes (a point on a keypoint's ray at height ``h``), and a camera depth follows
from it when the camera is known (:func:`depth_from_height`).

The input is a grey crop (:func:`~dlc_lifter.nets.crops.to_gray`) normalised per crop
(zero mean, unit variance, :func:`normalise_crops`), so exposure, contrast and coat colour
matter less.

The mouse alone
---------------
:meth:`DepthModel.predict` reads every crop twice. The first pass finds the mouse (its mask
output); everything further than :data:`ISOLATE_MARGIN_MM` from it is then set to the
crop's background level (:func:`isolate_mouse`) and the second pass reads the heights. The
scene around the animal (arena walls and their reflections, the frame's edge, cables,
objects) differs from rig to rig and from the rendered arenas, and it misleads: on the real
open-field video the shipped network read a flat mouse at a dark wall as a rearing one.
The margin keeps the fur's edge, the halo and the nearby shadow; only the blob of the first
pass's mask nearest the crop's centre (where the animal's keypoints put it) counts as the
mouse, so a reflection or another animal in the crop is removed too.

Network
-------
:class:`DepthNet` is a small U-Net (stride-4 stem, two stride-2 stages; the shipped one
is 24 wide, ~0.32 M parameters, ~59 M multiply-adds per 128 x 128 crop) with three output
channels: height (softplus, mm / :data:`HEIGHT_UNIT_MM`), mask logits and *landmark
height* (softplus, same unit). :class:`DepthModel` bundles it with its crop settings and
saves it as one small ``.pt`` file (2-output weights of earlier versions still load).

Why a landmark-height output: a top-view pixel shows the body's surface, but a tracker's
keypoint names a skeleton landmark, and at the extremities where keypoints sit (nose tip,
ears, tail base) the surface under a slightly misplaced keypoint is often the floor or
the flank, below the landmark. So the network also learns, at every pixel within a few
pixels of a landmark seen from above (:func:`~dlc_lifter.nets.depth_train.landmark_map`),
that landmark's own height; read at a tracked keypoint it is a less biased height cue
(``benchmarks/depth.py`` prints both cues' errors; ``docs/results.md``).

Training is in :mod:`dlc_lifter.nets.depth_train`, the augmentation in
:mod:`dlc_lifter.nets.augment`, the cues read from the output in :mod:`dlc_lifter.nets.cues`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from dlc_lifter.camera import Camera
from dlc_lifter.errors import ModelLoadError
from dlc_lifter.io.weights import file_hash, read_weights, write_weights
from dlc_lifter.nets.crops import CROP_MM, CROP_SIZE

__all__ = [
    "FORMAT_VERSION",
    "HEIGHT_UNIT_MM",
    "DepthModel",
    "DepthNet",
    "ISOLATE_MARGIN_MM",
    "REAR_CONTEXT_MM",
    "depth_from_height",
    "height_from_depth",
    "isolate_mouse",
    "mouse_height",
    "normalise_crops",
]

#: mm per network height unit.
HEIGHT_UNIT_MM = 40.0
#: Version of the saved depth-weights layout.
FORMAT_VERSION = 1
#: Context (mm at the animal's scale) kept around the mouse found by the first pass
#: (:func:`isolate_mouse`); ``DepthModel.isolate_margin_mm``.
ISOLATE_MARGIN_MM = 20.0
#: A crop whose mouse, read alone, stands this high (95th percentile of its pixels' heights,
#: mm; the rearing threshold of the benchmarks' true snout) is read with its surroundings:
#: a wall the animal rears against tells how high it reaches (``DepthModel.rear_context_mm``).
REAR_CONTEXT_MM = 60.0
#: Percentile of the mouse pixels' heights compared with ``rear_context_mm``.
_REAR_PERCENTILE = 95.0
#: Mouse probability above which a first-pass pixel counts as the mouse.
MOUSE_PROBABILITY = 0.5
#: Fewer mouse pixels than this: the first pass found no mouse; the crop is read as it is.
_MIN_MOUSE_PX = 20


def normalise_crops(gray: np.ndarray) -> np.ndarray:
    """Per-crop zero mean, unit variance ``(N, S, S)`` float32 (network input)."""
    g = np.asarray(gray, dtype=np.float32)
    mean = g.mean(axis=(-2, -1), keepdims=True)
    std = g.std(axis=(-2, -1), keepdims=True)
    return (g - mean) / (std + 4.0)


def isolate_mouse(gray: np.ndarray, mouse_prob: np.ndarray, margin_px: float, *,
                  threshold: float = MOUSE_PROBABILITY) -> np.ndarray:
    """Grey crops with everything beyond ``margin_px`` of the mouse set to the background.

    Parameters
    ----------
    gray
        ``(N, S, S)`` grey crops.
    mouse_prob
        ``(N, S, S)`` probability that each pixel shows the mouse (the network's first
        pass in :meth:`DepthModel.predict`). Only the connected blob nearest the crop's
        centre counts (the larger of equally near ones): a crop is centred on one animal,
        and other blobs are the scene (a reflection, a shadow, an object) or another
        animal.
    margin_px
        Pixels kept around the mouse (a disk of this radius).
    threshold
        Probability above which a pixel is the mouse.

    Returns
    -------
    numpy.ndarray
        ``(N, S, S)`` float32 copy; the removed pixels take the median of the removed
        pixels (the floor around the animal, mostly). A crop with no mouse found, or with
        nothing beyond the margin, is returned unchanged.
    """
    import cv2

    out = np.array(gray, dtype=np.float32, copy=True)
    r = max(int(round(float(margin_px))), 0)
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    for g, p in zip(out, np.asarray(mouse_prob), strict=True):
        mouse = (p > threshold).astype(np.uint8)
        if int(mouse.sum()) < _MIN_MOUSE_PX:
            continue
        n, labels, stats, _ = cv2.connectedComponentsWithStats(mouse, connectivity=8)
        if n > 2:  # one animal per crop: its blob; the rest is the scene
            mouse = (labels == _central_blob(labels, stats[:, cv2.CC_STAT_AREA])
                     ).astype(np.uint8)
        drop = cv2.dilate(mouse, disk) == 0  # a 1-pixel disk (margin 0) keeps the mask
        if not drop.any():
            continue
        g[drop] = np.median(g[drop])
    return out


def _central_blob(labels: np.ndarray, areas: np.ndarray) -> int:
    """Label of the blob nearest the crop's centre (the larger one of equally near blobs).

    Crops are centred on the animal's own keypoints, so its blob is the central one, even
    where another animal or a reflection makes a larger blob elsewhere in the crop.
    """
    ys, xs = np.nonzero(labels)
    cy, cx = (labels.shape[0] - 1) / 2, (labels.shape[1] - 1) / 2
    dist = np.full(len(areas), np.inf)
    np.minimum.at(dist, labels[ys, xs], np.floor(np.hypot(ys - cy, xs - cx)))
    return min(range(1, len(areas)), key=lambda i: (dist[i], -int(areas[i])))


def mouse_height(height: np.ndarray, mouse_prob: np.ndarray, *,
                 percentile: float = _REAR_PERCENTILE,
                 threshold: float = MOUSE_PROBABILITY) -> np.ndarray:
    """``(N,)`` how high each crop's mouse stands: a high percentile of its pixels' heights (mm).

    ``height`` and ``mouse_prob`` are ``(N, S, S)`` maps of :meth:`DepthModel.predict`;
    a crop with fewer than a handful of mouse pixels gives 0.
    """
    out = np.zeros(len(height), np.float32)
    for i, (h, p) in enumerate(zip(height, mouse_prob, strict=True)):
        mouse = p > threshold
        if int(mouse.sum()) >= _MIN_MOUSE_PX:
            out[i] = np.percentile(h[mouse], percentile)
    return out


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
        skeleton landmark whose keypoint lies at a pixel,
        :func:`~dlc_lifter.nets.depth_train.landmark_map`).
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
    isolate_margin_mm
        Context kept around the mouse when :meth:`predict` reads a crop the second time
        (:func:`isolate_mouse`); ``None`` reads each crop once, as it is.
    rear_context_mm
        Where the mouse read alone stands at least this high (the 95th percentile of its
        pixels' heights, mm), :meth:`predict` keeps the first reading, with the
        surroundings: the scene misleads the network on a flat mouse, but a wall the
        mouse rears against tells it how high the animal reaches. ``None``: always the
        second reading.
    """

    net: DepthNet
    crop_mm: float = CROP_MM
    crop_size: int = CROP_SIZE
    info: dict[str, Any] = field(default_factory=dict)
    isolate_margin_mm: float | None = ISOLATE_MARGIN_MM
    rear_context_mm: float | None = REAR_CONTEXT_MM

    def __post_init__(self) -> None:
        self.net.eval()

    @property
    def has_landmarks(self) -> bool:
        """Whether the network also predicts landmark heights
        (:func:`~dlc_lifter.nets.depth_train.landmark_map`)."""
        return self.net.n_out >= 3

    @torch.no_grad()
    def predict(self, gray: np.ndarray, *, batch: int = 64, landmarks: bool = False
                ) -> tuple[np.ndarray, ...]:
        """Height and mask probability (and landmark height) of grey crops.

        With :attr:`isolate_margin_mm` set (the default), each crop is read twice: the
        first pass finds the mouse, the second reads the crop with everything beyond the
        margin set to the background (:func:`isolate_mouse`); the second pass's maps are
        returned, except for crops where the mouse read alone rears
        (:attr:`rear_context_mm`): those keep the first pass's maps.

        Parameters
        ----------
        gray
            ``(N, S, S)`` grey crops in [0, 255] (:func:`~dlc_lifter.nets.crops.to_gray` of
            :func:`~dlc_lifter.nets.crops.crop_images`).
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
        gray = np.asarray(gray)
        if self.isolate_margin_mm is None or not len(gray):
            return self._read(gray, batch, landmarks=landmarks)
        first = self._read(gray, batch, landmarks=landmarks)
        alone = isolate_mouse(gray, first[1],
                              self.isolate_margin_mm * self.crop_size / self.crop_mm)
        second = self._read(alone, batch, landmarks=landmarks)
        if self.rear_context_mm is not None:
            rears = mouse_height(second[0], second[1]) >= self.rear_context_mm
            for kept, read in zip(second, first, strict=True):
                kept[rears] = read[rears]
        return second

    @torch.no_grad()
    def _read(self, gray: np.ndarray, batch: int, *, landmarks: bool
              ) -> tuple[np.ndarray, ...]:
        """One pass of the network: height, mask (and landmark) maps."""
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
        state = {"format_version": FORMAT_VERSION, "kind": "dlc-lifter-depth",
                 "width": self.net.width, "n_out": self.net.n_out,
                 "crop_mm": float(self.crop_mm),
                 "crop_size": int(self.crop_size), "info": self.info,
                 "state": {k: v.detach().clone() for k, v in self.net.state_dict().items()}}
        return write_weights(state, path)

    @classmethod
    def load(cls, path: str | Path) -> DepthModel:
        """Read a model written by :meth:`save`.

        Raises
        ------
        ModelLoadError
            When the file is missing or not dlc-lifter depth weights.
        """
        p = Path(path)
        state = read_weights(
            p, missing="Depth weights {path} do not exist; train them with "
            "dlc_lifter.nets.depth_train.train_depth_weights or reinstall dlc-lifter.",
            unreadable="Depth weights {path} could not be read ({error}).")
        if not isinstance(state, dict) or state.get("kind") != "dlc-lifter-depth":
            raise ModelLoadError(f"{p} is not a dlc-lifter depth model.")
        if int(state.get("format_version", -1)) != FORMAT_VERSION:
            raise ModelLoadError(f"{p} has depth format {state.get('format_version')}; this "
                                 f"dlc-lifter reads {FORMAT_VERSION}. Retrain it.")
        net = DepthNet(int(state["width"]), int(state.get("n_out", 2)))
        net.load_state_dict(state["state"])
        info = dict(state.get("info", {}))
        info["path"] = str(p)
        info["sha256"] = file_hash(p)
        return cls(net=net, crop_mm=float(state["crop_mm"]), crop_size=int(state["crop_size"]),
                   info=info)

