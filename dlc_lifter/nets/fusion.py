"""Depth cues at the keypoints, and the lifter that fuses them with the 2D keypoints.

Cues (:func:`sample_cues`)
--------------------------
For every keypoint of every frame, read from the depth network's output
(:class:`~dlc_lifter.nets.depth.DepthModel`) on the frame's crop, :data:`N_CUES` channels
(in this order, :data:`CUE_NAMES`):

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
    or outside the crop, no video).

These are the lifter's ``n_extra`` channels (:func:`dlc_lifter.nets.lifter.frame_features`).

Fused lifter (:func:`train_fused`)
----------------------------------
A :class:`~dlc_lifter.nets.lifter.LiftingModel` with ``n_extra = N_CUES``, initialised
from a keypoints-only model (its weights copied, zero weights on the cue channels, so it
starts exactly as the keypoints-only model, :func:`expand_model`), then fine-tuned on
rendered sequences (:func:`render_clips`: one camera per sequence, the fast renderer of
:mod:`dlc_lifter.synth`) seen with realistic 2D tracking errors
(:func:`dlc_lifter.nets.data.simulate_tracking`) and cues from the depth network's
predictions on crops placed from the *noisy* keypoints, exactly as at inference. Cues are
dropped (``available = 0``) for a fraction of clips and frames, so the fused model also
degrades gracefully where depth is missing.

Rendered sequences are few next to the keypoints-only model's training sequences, and
fine-tuning on them alone moves the lifter away from what it learned there: on held-out
renders, fine-tuning the first layer with every cue withheld made the 4-keypoint lift worse
(7.8 -> 8.3 mm), and drawing a third of the clips from a rearing-heavy mix, with rearing
windows over-sampled 4x, traded walking accuracy for rearing accuracy (openfield 7.8 ->
9.4 mm overall). The shipped recipe (``benchmarks/depth.py --train``) therefore renders
sequences of the natural behaviour mix, plus one in six from a grooming mix (the depth
network under-reads the upright, curled grooming mouse, and the fused lifter must learn how
far to trust it there), samples windows uniformly, fine-tunes every weight with an L2 pull
towards the keypoints-only model (``base_l2``, L2-SP) and an L2 penalty on the cue weights
(``cue_l2``), and mixes in cue-free anchor sequences (the keypoints-only model's kind of
training data). Which rendered windows a single fine-tune happens to fit moves its result
by as much as the cues give: on a validation seed (555000, 32 sequences, not the
benchmark's; 4 openfield keypoints, keypoints-only 7.77 mm), four training seeds on the
same 384 rendered clips gave 7.27-7.58 mm, and 10.2-13.8 mm on its crouching bouts
(keypoints-only 9.9 mm). So the shipped recipe renders twice as many clips (768 drawn,
640 used) and averages the weights of four fine-tunes (``soup``, a model soup: one
model's inference cost). On that seed the four gave 7.16-7.45 mm (crouching 8.4-9.6 mm)
and their average 7.21 mm (rearing frames 5.46 vs 6.06 mm; rearing-rich clips 8.34 vs
8.54 mm; grooming clips 11.9 vs 14.2 mm; 27 SuperAnimal keypoints 5.49 vs 5.83 mm);
averaging their outputs instead gave the same (7.23 mm), and twice the steps did not help
(7.24-7.30 mm). The held-out figures are ``benchmarks/depth.py``'s (see the README).

How much the cues themselves can give, measured on a validation seed (555000, 32
sequences; 4 openfield keypoints, keypoints-only 7.77 mm): with *perfect* height cues (the
true landmark heights +- 2 mm) this fine-tuned lifter reached only 7.05 mm, while a
separate late-fusion head correcting the keypoints-only lifter's heights from the cues
reached 3.96 mm: fine-tuned under the pull towards the keypoints-only weights, the network
uses its cue channels little. With the depth network's real cues such a late head
(per-keypoint temporal convolution over the lifter's height, the cues and their
differences) helped grooming clips (14.2 -> 9-11 mm) but was 0-0.15 mm better over all
frames and worse on rearing-rich clips (8.5 -> 8.5-10.6 mm): the depth network reads
some rears 20-35 mm too low (small mice in the image, high cameras) and nothing in the
cues tells those failures apart. The fine-tuned lifter was the more robust of the two and
is what ships. One fine-tune on 384 clips with the current depth network gave 7.57 mm on
that seed, and 7.58 mm with the ``landmark`` channel withheld in training: most of its
gain is fine-tuning on renders, less the cues. Read at the tracked keypoints there, the
landmark cue is further from the true heights than the keypoints-only lifter's own
estimate on most behaviours (on rearing frames 14-31 mm low at the nose and ears, where
the lifter is within 4-6 mm), and where the lifter is worst (crouching, grooming: 11 mm
mean height error) the cue is wrong the same way (errors correlated 0.5-0.9): a better
depth network, not a different fusion, is what would let the cues add more.

PyMouse Lifter's approach, depth read at each 2D keypoint and the point put on its ray at
that depth, is :func:`ray_baseline`.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import torch

from dlc_lifter.camera import Camera
from dlc_lifter.mouse.catalogue import CATALOGUE, KEYPOINT_SETS
from dlc_lifter.nets.data import (
    SyntheticClip,
    TrackingNoise,
    clip_arrays,
    random_keypoint_set,
    simulate_tracking,
)
from dlc_lifter.nets.depth import (
    Crop,
    DepthModel,
    crop_from_keypoints,
    crop_images,
    height_from_depth,
    landmark_map,
    px_per_mm_from_keypoints,
    to_gray,
)
from dlc_lifter.nets.lifter import (
    MODES,
    N_GLOBAL,
    N_KEYPOINTS,
    PER_KEYPOINT,
    SCALE_MM,
    LifterNet,
    LiftingModel,
    floor_points,
    frame_features,
    points_on_rays,
)

__all__ = [
    "CUE_NAMES",
    "N_CUES",
    "ClipView",
    "FusedTrainConfig",
    "FrameDepth",
    "HEIGHT_CUES",
    "RenderedClip",
    "clip_training_crops",
    "clip_views",
    "expand_model",
    "fused_arrays",
    "predict_depth",
    "ray_baseline",
    "render_clips",
    "sample_cues",
    "train_fused",
]

logger = logging.getLogger(__name__)

#: Cue channels per keypoint, in order.
CUE_NAMES: tuple[str, ...] = ("height", "patch_median", "patch_max", "slope", "mask",
                               "body_top", "body_area", "landmark", "available")
#: Cue channels that are heights (units of 100 mm).
HEIGHT_CUES: tuple[int, ...] = (0, 1, 2, 7)
#: Number of cue channels (the fused lifter's ``n_extra``).
N_CUES = len(CUE_NAMES)
#: Largest slope cue.
MAX_SLOPE = 3.0


# --------------------------------------------------------------------------- cues
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


def predict_depth(frames: np.ndarray | Sequence[np.ndarray], uv: np.ndarray,
                  conf: np.ndarray | None, px_per_mm: float, model: DepthModel, *,
                  pcutoff: float = 0.6, batch: int = 64) -> FrameDepth:
    """Crop each frame around the animal and run the depth network.

    Parameters
    ----------
    frames
        ``(T, H, W, 3)`` RGB frames (or a sequence of them).
    uv
        ``(T, K, 2)`` keypoints in catalogue order (NaN where missing).
    conf
        ``(T, K)`` likelihoods.
    px_per_mm
        Image scale of the animal (:func:`~dlc_lifter.nets.depth.px_per_mm_from_keypoints`).
    model
        The depth network.
    pcutoff
        Likelihood below which a keypoint does not place the crop.
    batch
        Crops per forward pass.

    Returns
    -------
    FrameDepth
    """
    t = len(uv)
    s = model.crop_size
    crops: list[Crop | None] = []
    gray = np.zeros((t, s, s), np.float32)
    ok = np.zeros(t, bool)
    for i in range(t):
        c = crop_from_keypoints(uv[i], None if conf is None else conf[i], px_per_mm,
                                pcutoff=pcutoff, crop_mm=model.crop_mm, size=s)
        crops.append(c)
        if c is not None:
            gray[i] = to_gray(crop_images(frames[i], [c])[0])
            ok[i] = True
    height = np.zeros((t, s, s), np.float32)
    mask = np.zeros((t, s, s), np.float32)
    landmark = np.zeros((t, s, s), np.float32) if model.has_landmarks else None
    if ok.any():
        h, m, lm = model.predict(gray[ok], batch=batch, landmarks=True)
        height[ok], mask[ok] = h, m
        if landmark is not None:
            landmark[ok] = lm
    return FrameDepth(crops=crops, height=height, mask=mask, landmark=landmark)


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


def ray_baseline(uv: np.ndarray, cues: np.ndarray, camera: Camera) -> np.ndarray:
    """PyMouse Lifter's method: each keypoint on its ray at the depth read at its pixel.

    Parameters
    ----------
    uv
        ``(T, K, 2)`` pixels.
    cues
        ``(T, K, N_CUES)`` from :func:`sample_cues` (the ``height`` channel is used; 0
        where unavailable).
    camera
        The camera.

    Returns
    -------
    numpy.ndarray
        ``(T, K, 3)`` world mm (NaN where the keypoint is missing).
    """
    floor = floor_points(uv, camera)
    return points_on_rays(floor, camera.centre, cues[..., 0].astype(np.float64) * SCALE_MM)


# --------------------------------------------------------------------------- rendered data
@dataclass
class RenderedClip:
    """A rendered behaviour sequence seen by one fixed top-view camera.

    Attributes
    ----------
    rgb
        ``(T, H, W, 3)`` uint8 frames.
    height
        ``(T, H, W)`` float16 true height (mm) of each pixel's surface.
    depth
        ``(T, H, W)`` float32 true camera ``Z`` (mm).
    mask
        ``(T, H, W)`` bool mouse pixels.
    world
        ``(T, K, 3)`` true landmarks (world mm, catalogue order).
    camera
        The camera.
    behaviour
        ``(T,)`` behaviour index.
    coat
        Coat name of the scene.
    """

    rgb: np.ndarray
    height: np.ndarray
    depth: np.ndarray
    mask: np.ndarray
    world: np.ndarray
    camera: Camera
    behaviour: np.ndarray
    coat: str = ""


def render_clips(n_clips: int, n_frames: int, *, seed: int,
                 resolution: tuple[int, int] = (320, 320),
                 arena_range_mm: tuple[float, float] = (380.0, 700.0),
                 behaviours: Sequence[str] | None = None,
                 frame_stride: int = 1) -> list[RenderedClip]:
    """Render behaviour sequences, each with its own mouse, arena, scene and fixed camera.

    Parameters
    ----------
    n_clips, n_frames
        Number of sequences and frames per sequence (30 fps).
    seed
        Seed; clip ``i`` draws everything from ``SeedSequence(seed).spawn(n_clips)[i]``.
    resolution
        ``(width, height)`` of the frames.
    arena_range_mm
        Side of the square arena, drawn uniformly; the camera frames the whole arena.
    behaviours
        Behaviours the sequences are drawn from (default: all; e.g. a rearing-heavy mix
        for depth training).
    frame_stride
        Render every ``frame_stride``-th frame of a ``n_frames * frame_stride`` frame
        sequence (decorrelated frames for depth training; 1 for the lifter's sequences).

    Returns
    -------
    list of RenderedClip
    """
    from dlc_lifter.mouse.behaviour import generate_sequence
    from dlc_lifter.mouse.rig import get_rig
    from dlc_lifter.synth import make_renderer, make_sample, sample_scene

    clips = []
    for child in np.random.SeedSequence(seed).spawn(n_clips):
        rng = np.random.default_rng(child)
        side = float(rng.uniform(*arena_range_mm))
        stride = max(int(frame_stride), 1)
        seq = generate_sequence(n_frames * stride, rng=rng, arena_mm=(side, side),
                                behaviours=behaviours)
        rows = np.arange(0, n_frames * stride, stride)
        rig = get_rig(seq.shape)
        renderer = make_renderer(rig, "fast")
        scene = sample_scene(rng, image_size=resolution, target_xy=(side / 2, side / 2),
                             span_range_mm=(1.05 * side, 1.3 * side),
                             arena_xy=(0.0, 0.0, side, side))
        rgb, hgt, dep, msk, world = [], [], [], [], []
        for f in rows:
            s = make_sample(rig, np.asarray(seq.pose)[f], scene, renderer, rng)
            rgb.append(s.rgb)
            dep.append(s.depth)
            hgt.append(height_from_depth(s.depth, s.camera).astype(np.float16))
            msk.append(s.mask)
            world.append(s.keypoints_world)
        clips.append(RenderedClip(rgb=np.stack(rgb), height=np.stack(hgt), depth=np.stack(dep),
                                  mask=np.stack(msk), world=np.stack(world),
                                  camera=scene.camera,
                                  behaviour=np.asarray(seq.behaviour)[rows],
                                  coat=scene.coat))
    return clips


def clip_training_crops(clips: Sequence[RenderedClip], rng: np.random.Generator, *,
                        pair_length_mm: np.ndarray, crop_mm: float,
                        size: int, set_weights: Mapping[str, float] | None = None,
                        noise: TrackingNoise | None = None,
                        pcutoff: float = 0.6) -> dict[str, np.ndarray]:
    """Depth-network training crops of rendered clips, placed exactly as at inference.

    Each clip is tracked with simulated 2D errors (a random keypoint set), its image scale
    is estimated from those keypoints (:func:`~dlc_lifter.nets.depth.px_per_mm_from_keypoints`,
    the camera's when too few pairs) and each frame's crop is placed from its noisy
    keypoints (:func:`~dlc_lifter.nets.depth.crop_from_keypoints`): the crops show the
    animal at the scales and offsets the network meets in :func:`predict_depth`.

    Returns
    -------
    dict
        As :func:`~dlc_lifter.nets.depth.load_training_crops`.
    """
    out: dict[str, list[np.ndarray]] = {"rgb": [], "height": [], "mask": [], "landmark": [],
                                        "behaviour": []}
    for clip in clips:
        _, kmask = random_keypoint_set(rng, set_weights)
        uv, conf, _ = simulate_tracking(clip.world, clip.camera, rng, kmask, noise)
        uv_true = clip.camera.project(clip.world.reshape(-1, 3)).reshape(uv.shape)
        ppm = px_per_mm_from_keypoints(uv, conf, pair_length_mm, pcutoff=pcutoff)
        if not np.isfinite(ppm):
            ppm = clip.camera.fx / max(clip.camera.height_mm - 20.0, 50.0)
        for t in range(len(uv)):
            c = crop_from_keypoints(uv[t], conf[t], ppm, pcutoff=pcutoff, crop_mm=crop_mm,
                                    size=size)
            if c is None:
                continue
            out["rgb"].append(crop_images(clip.rgb[t], [c])[0])
            out["height"].append(crop_images(clip.height[t].astype(np.float32), [c],
                                             interpolation="nearest")[0].astype(np.float16))
            out["mask"].append(crop_images(clip.mask[t], [c], interpolation="nearest")[0])
            out["landmark"].append(landmark_map(c, uv_true[t], clip.world[t, :, 2],
                                                surface=clip.height[t].astype(np.float32)))
            out["behaviour"].append(np.asarray(clip.behaviour[t]))
    if not out["rgb"]:
        return {"rgb": np.zeros((0, size, size, 3), np.uint8),
                "height": np.zeros((0, size, size), np.float16),
                "mask": np.zeros((0, size, size), bool),
                "landmark": np.zeros((0, size, size), np.float16),
                "behaviour": np.zeros(0, np.int64)}
    return {k: np.stack(v) for k, v in out.items()}


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
    estimated from them (:func:`~dlc_lifter.nets.depth.px_per_mm_from_keypoints`).

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
        ppm = px_per_mm_from_keypoints(uv, conf, pair_length_mm, pcutoff=pcutoff)
        if not np.isfinite(ppm):  # too few keypoints for a scale: the camera's
            ppm = clip.camera.fx / max(clip.camera.height_mm - 20.0, 50.0)
        fd = predict_depth(clip.rgb, uv, conf, ppm, depth_model, pcutoff=pcutoff)
        obs = np.isfinite(uv).all(-1) & (np.nan_to_num(conf) >= pcutoff)
        cues = sample_cues(fd.height, fd.mask, fd.crops, uv, observed=obs, landmark=fd.landmark)
        out.append(ClipView(world=clip.world, uv=uv, conf=conf, cues=cues, camera=clip.camera,
                            behaviour=clip.behaviour, keypoint_set=name,
                            depth=fd if keep_depth else None))
    return out


# --------------------------------------------------------------------------- fused model
def expand_model(base: LiftingModel, n_extra: int = N_CUES) -> LiftingModel:
    """A copy of a keypoints-only model with ``n_extra`` zero-weighted cue channels.

    The copy computes exactly what ``base`` computes whatever the cues, until trained.

    Parameters
    ----------
    base
        A :class:`~dlc_lifter.nets.lifter.LiftingModel` with ``n_extra == 0``.
    n_extra
        Cue channels to add.

    Returns
    -------
    LiftingModel
    """
    if base.n_extra != 0:
        raise ValueError(f"The base model already has {base.n_extra} extra channels.")
    k = N_KEYPOINTS
    old_idx = np.arange(k * PER_KEYPOINT + N_GLOBAL)
    kp, ch = np.divmod(old_idx[: k * PER_KEYPOINT], PER_KEYPOINT)
    new_idx = np.concatenate([kp * (PER_KEYPOINT + n_extra) + ch,
                              k * (PER_KEYPOINT + n_extra) + np.arange(N_GLOBAL)])
    nets = {}
    for mode, net in base.nets.items():
        cfg = net.config()
        new = LifterNet(k * (PER_KEYPOINT + n_extra) + N_GLOBAL, cfg["n_keypoints"],
                        channels=cfg["channels"], kernels=cfg["kernels"], causal=cfg["causal"])
        state = {n: v.clone() for n, v in net.state_dict().items()}
        w_old = state["expand.weight"]
        w_new = torch.zeros(w_old.shape[0], new.in_features, w_old.shape[2], dtype=w_old.dtype)
        w_new[:, torch.from_numpy(new_idx)] = w_old
        state["expand.weight"] = w_new
        new.load_state_dict(state)
        new.eval()
        nets[mode] = new
    info = {"base": {k2: base.info.get(k2) for k2 in ("path", "sha256", "command")}}
    return LiftingModel(nets=nets, n_extra=n_extra, median_height_mm=base.median_height_mm.copy(),
                        pair_length_mm=base.pair_length_mm.copy(), info=info)


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
        rendered windows a run happens to fit, see the module docstring). ``steps`` is per
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
        from dlc_lifter.nets.data import generate_mouse_sequences, make_clips

        seqs = generate_mouse_sequences(cfg.anchor_sequences, cfg.anchor_frames,
                                        seed=cfg.seed + 5000)
        for c in make_clips(seqs, rng=np.random.default_rng([cfg.seed, 31])):
            views.append(ClipView(world=c.world, uv=c.uv, conf=c.conf,
                                  cues=np.zeros(c.uv.shape[:2] + (N_CUES,), np.float32),
                                  camera=c.camera, behaviour=np.asarray(c.behaviour),
                                  keypoint_set=c.keypoint_set))
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
    losses_by_mode: dict[str, list[float]] = {}
    for mode in cfg.modes:
        if mode not in model.nets:
            continue
        net = model.nets[mode]
        rf = net.receptive_field
        left = rf - 1 if net.causal else (rf - 1) // 2
        right = rf - 1 - left
        chunk = cfg.chunk if rf > 1 else 1
        batch = cfg.batch if rf > 1 else cfg.batch * cfg.chunk
        xs, ys, ws, starts, lengths, wts = [], [], [], [], [], []
        off = 0
        for f, y, w, rear in data:
            fp = np.concatenate([np.repeat(f[:1], left, 0), f, np.repeat(f[-1:], right, 0)])
            xs.append(fp)
            ys.append(y)
            ws.append(w)
            starts.append(off)
            lengths.append(len(f))
            wts.append(len(f) * (1.0 + (cfg.rear_weight - 1.0) * float(rear.mean())))
            off += len(fp)
        x = torch.from_numpy(np.concatenate(xs))
        y_t = torch.from_numpy(np.concatenate(ys))
        w_t = torch.from_numpy(np.concatenate(ws))
        starts_a, lengths_a = np.array(starts), np.array(lengths)
        ystarts = np.concatenate([[0], np.cumsum(lengths_a)[:-1]])
        p = np.array(wts) / np.sum(wts)
        win, out_win = np.arange(chunk + rf - 1), np.arange(chunk)
        mrng = np.random.default_rng([cfg.seed, MODES.index(mode)])
        torch.manual_seed(cfg.seed + MODES.index(mode))
        params, handles = _trainable(net, cfg.scope)
        cue_cols = _cue_columns(net)
        ref = [prm.detach().clone() for prm in params] if cfg.base_l2 > 0 else []
        opt = torch.optim.AdamW(params, lr=cfg.lr,
                                weight_decay=0.0 if cfg.scope == "cues" else cfg.weight_decay)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=cfg.steps,
                                                    pct_start=0.15)
        net.eval()  # batch-norm statistics and dropout stay as in the base model
        losses = []
        for _ in range(cfg.steps):
            ci = mrng.choice(len(p), size=batch, p=p)
            s = (mrng.uniform(size=batch) * (lengths_a[ci] - chunk + 1)).astype(np.int64)
            xi = torch.from_numpy(starts_a[ci][:, None] + s[:, None] + win)
            yi = torch.from_numpy(ystarts[ci][:, None] + s[:, None] + out_win)
            pred = net(x[xi].transpose(1, 2))
            yb, wb = y_t[yi].transpose(1, 2), w_t[yi].transpose(1, 2)
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
        losses_by_mode[mode] = losses
        logger.info("fused %s: loss %.4f -> %.4f over %d steps", mode,
                    float(np.mean(losses[:20])), float(np.mean(losses[-50:])), len(losses))
    model.info.update({"fused": True, "cues": list(CUE_NAMES), "n_views": len(views),
                       "n_frames": int(sum(len(v.uv) for v in views)),
                       "train_seconds": round(time.monotonic() - t0, 1)})
    return model, losses_by_mode
