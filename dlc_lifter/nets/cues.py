"""Depth cues at the keypoints: crop -> depth network -> per-keypoint cue channels.

One implementation of the step, shared by training (:mod:`dlc_lifter.nets.fusion_train`),
offline lifting (:mod:`dlc_lifter.lift.depth_path`), live lifting and the benchmarks:
:class:`CueExtractor` places each frame's crop from the 2D keypoints
(:func:`~dlc_lifter.nets.crops.crop_from_keypoints`), runs the depth network
(:class:`~dlc_lifter.nets.depth.DepthModel`) on the grey crops and reads the cues at every
keypoint (:func:`sample_cues`); :func:`extract_cues` does the three for a run of frames.

Cue channels
------------
For every keypoint of every frame, :data:`N_CUES` channels (in this order,
:data:`CUE_NAMES`):

``height``
    Predicted height at the keypoint's pixel (bilinear) / 100 mm.
``patch_median``, ``patch_max``
    Median and maximum predicted height over a ``(2r+1)^2`` crop-pixel patch around it /
    100 mm (robust to a keypoint that sits on the mouse's outline, where the pixel itself
    may show the floor).
``slope``
    Magnitude of the predicted height gradient there (mm per mm, clipped to 3): steep
    where the body drops to the floor, or a rearing mouse's flank.
``mask``
    Predicted probability that the pixel shows the mouse.
``body_top``, ``body_area``
    Per frame (the same for every keypoint): the 95th percentile of the predicted height
    over the predicted mouse pixels / 100 mm (high when rearing) and the mouse's top-view
    area / 1000 mm^2 (small when rearing or curled up).
``landmark``
    The depth network's landmark height at the keypoint (bilinear) / 100 mm: the height of
    the skeleton landmark a tracker would place there (see :mod:`dlc_lifter.nets.depth`
    for why the surface under a keypoint is a biased reading of it). 0 for a depth
    network without that output.
``available``
    1 where the cues were read, 0 where there is no depth (no crop, keypoint untracked
    or below the likelihood cutoff, outside the crop, no video).

These are the fused lifter's ``n_extra`` channels
(:func:`dlc_lifter.nets.lifter.frame_features`, :mod:`dlc_lifter.nets.fusion`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dlc_lifter.camera import Camera
from dlc_lifter.nets.crops import (
    Crop,
    crop_from_keypoints,
    crop_images,
    px_per_mm_from_keypoints,
    to_gray,
)
from dlc_lifter.nets.depth import DepthModel
from dlc_lifter.nets.lifter import SCALE_MM

__all__ = [
    "CUE_NAMES",
    "GRAY_WEIGHTS",
    "HEIGHT_CUES",
    "N_CUES",
    "CueExtractor",
    "FrameCues",
    "FrameDepth",
    "extract_cues",
    "observed_keypoints",
    "sample_cues",
]

#: Cue channels per keypoint, in order.
CUE_NAMES: tuple[str, ...] = ("height", "patch_median", "patch_max", "slope", "mask",
                               "body_top", "body_area", "landmark", "available")
#: Cue channels that are heights (units of 100 mm).
HEIGHT_CUES: tuple[int, ...] = (0, 1, 2, 7)
#: Number of cue channels (the fused lifter's ``n_extra``).
N_CUES = len(CUE_NAMES)
#: Largest slope cue.
MAX_SLOPE = 3.0
#: Grey conversion weights of colour frames by channel order (``rgb``: video decoded by
#: :func:`dlc_lifter.io.open_video`; ``bgr``: OpenCV cameras).
GRAY_WEIGHTS: dict[str, tuple[float, float, float]] = {"rgb": (0.299, 0.587, 0.114),
                                                       "bgr": (0.114, 0.587, 0.299)}


@dataclass
class FrameDepth:
    """Depth-network output for a run of frames (one individual).

    Attributes
    ----------
    crops
        ``(T,)`` the crop of each frame (``None`` where nothing was tracked).
    height
        ``(T, S, S)`` float32 predicted height (mm); zeros where no crop.
    mask
        ``(T, S, S)`` float32 predicted mouse probability; zeros where no crop.
    landmark
        ``(T, S, S)`` float32 predicted landmark height (mm), or ``None`` when the
        depth network has no landmark output.
    """

    crops: list[Crop | None]
    height: np.ndarray
    mask: np.ndarray
    landmark: np.ndarray | None = None


@dataclass
class FrameCues:
    """Depth cues of a run of frames (one individual), with the depth maps they come from.

    Attributes
    ----------
    cues
        ``(T, K, N_CUES)`` float32 (all zero where unavailable).
    depth
        The crops and the depth network's output per frame.
    px_per_mm
        Image scale (pixels per mm) the crops were sized with.
    """

    cues: np.ndarray
    depth: FrameDepth
    px_per_mm: float


def observed_keypoints(uv: np.ndarray, conf: np.ndarray | None, pcutoff: float) -> np.ndarray:
    """Keypoints whose cues are read: tracked, and at least ``pcutoff`` likely.

    Parameters
    ----------
    uv
        ``(..., K, 2)`` pixels (NaN where missing).
    conf
        ``(..., K)`` likelihoods (NaN counts as 0; ``None``: every finite keypoint).
    pcutoff
        Likelihood cutoff.

    Returns
    -------
    numpy.ndarray
        ``(..., K)`` bool.
    """
    ok = np.isfinite(uv).all(-1)
    if conf is None:
        return ok
    return ok & (np.nan_to_num(conf) >= pcutoff)


@dataclass(frozen=True)
class CueExtractor:
    """Video frame + 2D keypoints -> per-keypoint depth cues, with one depth network.

    The stages are separate methods so that a caller can batch crops across frames and
    individuals (:mod:`dlc_lifter.lift.depth_path`) or take one frame at a time (live):
    :meth:`crop` places a frame's crop, :meth:`gray` samples it, :meth:`depth` runs the
    network on a batch of crops and :meth:`read` reads the cues. :meth:`frame` and
    :meth:`frames` chain them for one frame or a run of frames.

    Attributes
    ----------
    depth_model
        The depth network (its crop side in mm and pixels size the crops).
    pcutoff
        Likelihood below which a keypoint neither places the crop nor gets cues.
    gray_weights
        Weights of the colour channels in the grey crop (:data:`GRAY_WEIGHTS`).

    Examples
    --------
    >>> ex = CueExtractor(DepthModel.load(path))                     # doctest: +SKIP
    >>> cues = ex.frame(image, uv, conf, px_per_mm)                  # doctest: +SKIP
    >>> cues.shape                                                   # doctest: +SKIP
    (39, 9)
    """

    depth_model: DepthModel
    pcutoff: float = 0.6
    gray_weights: tuple[float, float, float] = GRAY_WEIGHTS["rgb"]

    def crop(self, uv: np.ndarray, conf: np.ndarray | None, px_per_mm: float) -> Crop | None:
        """The crop of one frame of one animal.

        Parameters
        ----------
        uv
            ``(K, 2)`` pixels in catalogue order (NaN where missing).
        conf
            ``(K,)`` likelihoods (``None``: every finite keypoint counts).
        px_per_mm
            Image scale of the animal (pixels per mm).

        Returns
        -------
        Crop or None
            ``None`` when no body keypoint is tracked or the scale is unknown.
        """
        dm = self.depth_model
        return crop_from_keypoints(uv, conf, px_per_mm, pcutoff=self.pcutoff,
                                   crop_mm=dm.crop_mm, size=dm.crop_size)

    def gray(self, image: np.ndarray, crop: Crop) -> np.ndarray:
        """The grey crop of an ``(H, W, 3)`` colour or ``(H, W[, 1])`` grey image.

        Returns
        -------
        numpy.ndarray
            ``(S, S)`` float32 in the image's value range.
        """
        patch = crop_images(image, [crop])[0]
        if patch.ndim == 3 and patch.shape[2] == 3:
            return to_gray(patch, self.gray_weights)
        return patch.astype(np.float32).reshape(patch.shape[:2])

    def depth(self, gray: np.ndarray, *, batch: int = 64
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Height (mm), mouse probability and landmark height (mm) of ``(N, S, S)`` grey
        crops, each ``(N, S, S)`` float32 (landmark zeros for a network without it)."""
        return self.depth_model.predict(gray, batch=batch, landmarks=True)

    def read(self, height: np.ndarray, mask: np.ndarray, landmark: np.ndarray | None,
             crops: Sequence[Crop | None], uv: np.ndarray, conf: np.ndarray | None
             ) -> np.ndarray:
        """Cues ``(N, K, N_CUES)`` of ``N`` crops' depth maps at keypoints ``(N, K, 2)``
        with likelihoods ``(N, K)`` (:func:`sample_cues` of the observed keypoints)."""
        return sample_cues(height, mask, crops, uv,
                           observed=observed_keypoints(uv, conf, self.pcutoff),
                           landmark=landmark)

    def frame(self, image: np.ndarray, uv: np.ndarray, conf: np.ndarray | None,
              px_per_mm: float) -> np.ndarray | None:
        """Cues of one frame of one animal.

        Parameters
        ----------
        image
            ``(H, W, 3)`` colour (channel order of :attr:`gray_weights`) or ``(H, W)`` grey.
        uv, conf
            ``(K, 2)`` pixels and ``(K,)`` likelihoods in catalogue order.
        px_per_mm
            Image scale of the animal.

        Returns
        -------
        numpy.ndarray or None
            ``(K, N_CUES)`` float32; ``None`` when no crop can be placed.
        """
        crop = self.crop(uv, conf, px_per_mm)
        if crop is None:
            return None
        h, m, lm = self.depth(self.gray(image, crop)[None], batch=1)
        c = None if conf is None else np.asarray(conf)[None]
        return self.read(h, m, lm, [crop], np.asarray(uv)[None], c)[0]

    def frames(self, frames: np.ndarray | Sequence[np.ndarray], uv: np.ndarray,
               conf: np.ndarray | None, px_per_mm: float, *, batch: int = 64) -> FrameCues:
        """Cues of a run of frames of one animal.

        Parameters
        ----------
        frames
            ``(T, H, W, 3)`` frames (or a sequence of ``T`` images).
        uv
            ``(T, K, 2)`` keypoints in catalogue order (NaN where missing).
        conf
            ``(T, K)`` likelihoods (``None``: every finite keypoint counts).
        px_per_mm
            Image scale of the animal.
        batch
            Crops per forward pass of the depth network.

        Returns
        -------
        FrameCues
        """
        uv = np.asarray(uv, dtype=np.float64)
        t = len(uv)
        s = self.depth_model.crop_size
        crops: list[Crop | None] = []
        gray = np.zeros((t, s, s), np.float32)
        ok = np.zeros(t, bool)
        for i in range(t):
            c = self.crop(uv[i], None if conf is None else conf[i], px_per_mm)
            crops.append(c)
            if c is not None:
                gray[i] = self.gray(frames[i], c)
                ok[i] = True
        height = np.zeros((t, s, s), np.float32)
        mask = np.zeros((t, s, s), np.float32)
        landmark = np.zeros((t, s, s), np.float32) if self.depth_model.has_landmarks else None
        if ok.any():
            h, m, lm = self.depth(gray[ok], batch=batch)
            height[ok], mask[ok] = h, m
            if landmark is not None:
                landmark[ok] = lm
        cues = self.read(height, mask, landmark, crops, uv, conf)
        fd = FrameDepth(crops=crops, height=height, mask=mask, landmark=landmark)
        return FrameCues(cues=cues, depth=fd, px_per_mm=float(px_per_mm))


def extract_cues(frames: np.ndarray | Sequence[np.ndarray], uv: np.ndarray,
                 conf: np.ndarray | None, depth_model: DepthModel, *,
                 px_per_mm: float | None = None, pair_length_mm: np.ndarray | None = None,
                 camera: Camera | None = None, pcutoff: float = 0.6, batch: int = 64,
                 gray_weights: tuple[float, float, float] = GRAY_WEIGHTS["rgb"]
                 ) -> FrameCues:
    """Depth cues of every keypoint of a run of frames of one animal.

    Parameters
    ----------
    frames
        ``(T, H, W, 3)`` frames (or a sequence of ``T`` images).
    uv
        ``(T, K, 2)`` keypoints in catalogue order (pixels, NaN where missing).
    conf
        ``(T, K)`` likelihoods.
    depth_model
        The depth network.
    px_per_mm
        Image scale of the animal (pixels per mm). ``None``: estimated from the keypoints
        (:func:`~dlc_lifter.nets.crops.px_per_mm_from_keypoints` with ``pair_length_mm``),
        or, when too few keypoint pairs are tracked, the scale of ``camera``.
    pair_length_mm
        ``(K, K)`` population pair lengths (a lifter's ``pair_length_mm``); needed when
        ``px_per_mm`` is ``None``.
    camera
        The camera, for the fallback scale (``None``: no cues when the keypoints give no
        scale).
    pcutoff
        Likelihood below which a keypoint neither places the crop nor gets cues.
    batch
        Crops per forward pass of the depth network.
    gray_weights
        Weights of the colour channels in the grey crop.

    Returns
    -------
    FrameCues
        ``cues`` ``(T, K, N_CUES)`` float32, the depth maps and the scale used.

    Raises
    ------
    ValueError
        When neither ``px_per_mm`` nor ``pair_length_mm`` is given.

    Examples
    --------
    >>> fc = extract_cues(clip.rgb, uv, conf, depth_model,               # doctest: +SKIP
    ...                   pair_length_mm=lifter.model.pair_length_mm, camera=clip.camera)
    >>> fc.cues.shape                                                     # doctest: +SKIP
    (48, 39, 9)
    """
    if px_per_mm is None:
        if pair_length_mm is None:
            raise ValueError("extract_cues needs px_per_mm= or pair_length_mm= (the lifter's "
                             "pair_length_mm) to size the crops.")
        px_per_mm = px_per_mm_from_keypoints(uv, conf, pair_length_mm, pcutoff=pcutoff,
                                             camera=camera)
    extractor = CueExtractor(depth_model, pcutoff=pcutoff, gray_weights=gray_weights)
    return extractor.frames(frames, uv, conf, px_per_mm, batch=batch)


def sample_cues(height: np.ndarray, mask: np.ndarray, crops: Sequence[Crop | None],
                uv: np.ndarray, *, observed: np.ndarray | None = None,
                patch_radius: int = 2, landmark: np.ndarray | None = None) -> np.ndarray:
    """Depth cues at each keypoint (see the module docstring for the channels).

    Parameters
    ----------
    height, mask
        ``(T, S, S)`` predicted height (mm) and mouse probability per crop.
    crops
        ``(T,)`` crops (``None``: no cues in that frame).
    uv
        ``(T, K, 2)`` image pixels of the keypoints (NaN where missing).
    observed
        ``(T, K)`` bool, keypoints to read (default: every finite one).
    patch_radius
        Half-size of the median patch (crop pixels).
    landmark
        ``(T, S, S)`` predicted landmark heights (mm); ``None``: that channel is 0.

    Returns
    -------
    numpy.ndarray
        ``(T, K, N_CUES)`` float32; all zero where unavailable.
    """
    uv = np.asarray(uv, dtype=np.float64)
    t, k = uv.shape[:2]
    out = np.zeros((t, k, N_CUES), np.float32)
    has = np.array([c is not None for c in crops], bool)
    if not has.any():
        return out
    s = height.shape[-1]
    centre = np.array([c.centre if c is not None else (0.0, 0.0) for c in crops])
    scale = np.array([c.scale if c is not None else 1.0 for c in crops])
    mmpp = np.array([c.mm_per_px if c is not None else 1.0 for c in crops])
    half = (s - 1) / 2
    xy = (uv - centre[:, None]) / scale[:, None, None] + half
    ok = has[:, None] & np.isfinite(xy).all(-1)
    if observed is not None:
        ok &= np.asarray(observed, bool)
    xy = np.where(ok[..., None], xy, half)
    ok &= (xy[..., 0] >= 0) & (xy[..., 0] <= s - 1) & (xy[..., 1] >= 0) & (xy[..., 1] <= s - 1)
    x, y = np.clip(xy[..., 0], 0, s - 1), np.clip(xy[..., 1], 0, s - 1)
    x0 = np.clip(np.floor(x).astype(np.int64), 0, s - 2)
    y0 = np.clip(np.floor(y).astype(np.int64), 0, s - 2)
    fx, fy = x - x0, y - y0
    ti = np.broadcast_to(np.arange(t)[:, None], (t, k))

    def bilinear(a: np.ndarray) -> np.ndarray:
        return ((1 - fx) * (1 - fy) * a[ti, y0, x0] + fx * (1 - fy) * a[ti, y0, x0 + 1]
                + (1 - fx) * fy * a[ti, y0 + 1, x0] + fx * fy * a[ti, y0 + 1, x0 + 1])

    h = bilinear(height)
    m = bilinear(mask)
    lm = bilinear(landmark) if landmark is not None else np.zeros_like(h)
    xi, yi = np.rint(x).astype(np.int64), np.rint(y).astype(np.int64)
    r = int(patch_radius)
    offs = np.arange(-r, r + 1)
    px = np.clip(xi[..., None, None] + offs[None, :], 0, s - 1)
    py = np.clip(yi[..., None, None] + offs[:, None], 0, s - 1)
    patch = height[ti[..., None, None], py, px].reshape(t, k, -1)
    med = np.median(patch, axis=-1)
    pmax = patch.max(axis=-1)
    top = np.zeros(t)
    area = np.zeros(t)
    for i in np.flatnonzero(has):
        body = mask[i] > 0.5
        if body.any():
            top[i] = np.percentile(height[i][body], 95)
            area[i] = body.sum() * mmpp[i] ** 2 / 1000.0
    d = 2
    gx = (height[ti, yi, np.clip(xi + d, 0, s - 1)] - height[ti, yi, np.clip(xi - d, 0, s - 1)])
    gy = (height[ti, np.clip(yi + d, 0, s - 1), xi] - height[ti, np.clip(yi - d, 0, s - 1), xi])
    slope = np.hypot(gx, gy) / (2 * d * mmpp[:, None])
    cues = np.stack([h / SCALE_MM, med / SCALE_MM, pmax / SCALE_MM, np.clip(slope, 0, MAX_SLOPE),
                     m, np.broadcast_to(top[:, None] / SCALE_MM, h.shape),
                     np.broadcast_to(area[:, None], h.shape), lm / SCALE_MM, np.ones_like(h)], -1)
    out[ok] = cues[ok]
    return out

