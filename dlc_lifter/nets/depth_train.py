"""Training the depth network: targets, training crops, loss, optimisation, shipped recipe.

:func:`train_depth` trains a :class:`~dlc_lifter.nets.depth.DepthNet` on crops of rendered
frames: frames of :func:`dlc_lifter.synth.synthesize` (:func:`load_training_crops`; the
camera ``Z`` depth is converted to height with the frame's camera), plus rendered
rearing-heavy sequences cropped exactly as at inference (:func:`clip_training_crops`: noisy
tracked keypoints, image scale estimated from them), with heavy appearance augmentation
(:func:`~dlc_lifter.nets.augment.augment_batch`). Rearing crops are over-sampled
(``rear_weight``) and the loss weighs high mouse surfaces more (``top_weight``): without
both the network regresses a rearing mouse's head towards the common, low body heights.
The landmark-height target is :func:`landmark_map`.

The crop's scale is jittered in training (``scale_jitter``) because at inference it comes
from the animal's own keypoints (:func:`~dlc_lifter.nets.crops.px_per_mm_from_keypoints`),
whose ratio to the camera's true floor scale varies with mouse size, posture and keypoint
set; a narrower jitter would not match what the network sees on video.

:func:`train_depth_weights` runs the whole recipe of shipped weights (:class:`DepthRecipe`:
data, seeds, settings) and writes the weights with a JSON sidecar (``dlc-lifter train depth``).

One module although long: it has one role, training the depth network, and its
sections (targets, training crops, loss and optimisation, shipped recipe) are each step of
that one recipe.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812

from dlc_lifter.camera import Camera
from dlc_lifter.nets.augment import augment_batch
from dlc_lifter.nets.clips import RenderedClip, render_clips
from dlc_lifter.nets.crops import (
    CROP_MM,
    CROP_SIZE,
    Crop,
    camera_px_per_mm,
    crop_from_keypoints,
    crop_images,
    px_per_mm_from_keypoints,
)
from dlc_lifter.nets.data import TrackingNoise, random_keypoint_set, simulate_tracking
from dlc_lifter.nets.depth import (
    HEIGHT_UNIT_MM,
    DepthModel,
    DepthNet,
    height_from_depth,
    normalise_crops,
)
from dlc_lifter.nets.lifter import LiftingModel
from dlc_lifter.nets.schedule import one_cycle

__all__ = [
    "DEPTH_MIX",
    "DepthRecipe",
    "DepthTrainConfig",
    "clip_training_crops",
    "depth_loss",
    "landmark_map",
    "load_training_crops",
    "seen_from_above",
    "train_depth",
    "train_depth_weights",
]

logger = logging.getLogger(__name__)

#: Radius (crop pixels) of the disk around each landmark's pixel that carries its height in
#: the landmark-height target (covers typical 2D tracking error).
LANDMARK_RADIUS_PX = 3
#: A landmark counts as seen from above when the surface at its pixel is at most this much
#: above it (landmarks sit inside the body, under its surface).
LANDMARK_HIDDEN_MM = 10.0
#: Behaviours of the depth network's extra training clips: rearing (the network's weak
#: spot), grooming (an upright, curled posture it otherwise reads too low) and the low,
#: compact postures they must not be confused with.
DEPTH_MIX: tuple[str, ...] = ("rear", "rear_wall", "groom", "sniff", "crouch")


# --------------------------------------------------------------------------- targets
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
            ppm = camera_px_per_mm(cam) * rng.uniform(*scale_jitter)
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



def clip_training_crops(clips: Sequence[RenderedClip], rng: np.random.Generator, *,
                        pair_length_mm: np.ndarray, crop_mm: float,
                        size: int, set_weights: Mapping[str, float] | None = None,
                        noise: TrackingNoise | None = None,
                        pcutoff: float = 0.6) -> dict[str, np.ndarray]:
    """Depth-network training crops of rendered clips, placed exactly as at inference.

    Each clip is tracked with simulated 2D errors (a random keypoint set), its image scale
    is estimated from those keypoints (:func:`~dlc_lifter.nets.crops.px_per_mm_from_keypoints`,
    the camera's when too few pairs) and each frame's crop is placed from its noisy
    keypoints (:func:`~dlc_lifter.nets.crops.crop_from_keypoints`): the crops show the
    animal at the scales and offsets the network meets at inference
    (:class:`~dlc_lifter.nets.cues.CueExtractor`).

    Returns
    -------
    dict
        As :func:`load_training_crops`.
    """
    out: dict[str, list[np.ndarray]] = {"rgb": [], "height": [], "mask": [], "landmark": [],
                                        "behaviour": []}
    for clip in clips:
        _, kmask = random_keypoint_set(rng, set_weights)
        uv, conf, _ = simulate_tracking(clip.world, clip.camera, rng, kmask, noise)
        uv_true = clip.camera.project(clip.world.reshape(-1, 3)).reshape(uv.shape)
        ppm = px_per_mm_from_keypoints(uv, conf, pair_length_mm, pcutoff=pcutoff,
                                       camera=clip.camera)
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
    from dlc_lifter._progress import progress_bar

    cfg = config or DepthTrainConfig()
    if cfg.threads is not None:
        torch.set_num_threads(int(cfg.threads))
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng([cfg.seed, 17])
    use_lm = cfg.landmark_weight > 0 and "landmark" in crops
    net = DepthNet(cfg.width, 3 if use_lm else 2)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = one_cycle(opt, cfg.lr, cfg.steps, 0.1)
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
    for step in progress_bar(range(cfg.steps), desc="training depth", disable=not progress):
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


# --------------------------------------------------------------------------- shipped recipe
def _shipped_depth_config() -> DepthTrainConfig:
    return DepthTrainConfig(steps=6500, width=24, rear_weight=4.0, top_weight=1.0,
                            landmark_weight=1.0, threads=2)


@dataclass(frozen=True)
class DepthRecipe:
    """Everything that makes depth-network weights: training data, seeds and settings.

    The defaults are the recipe of the shipped ``depth_net.pt``.

    Attributes
    ----------
    synth_frames, synth_seed
        Frames of the rendered dataset (:func:`dlc_lifter.synth.synthesize`) and its seed.
    crop_seed
        Seed of the crops' scale and position jitter (:func:`load_training_crops`).
    clips, clip_frames, clip_stride, clip_seed, clip_behaviours
        Extra rendered sequences (:func:`~dlc_lifter.nets.clips.render_clips`): how many,
        frames rendered per sequence (every ``clip_stride``-th), their seed and the
        behaviours they are drawn from. 0 clips: none.
    tracking_seed
        Seed of the simulated tracking that places those sequences' crops
        (:func:`clip_training_crops`).
    train
        Optimisation (:class:`DepthTrainConfig`; its ``seed`` seeds the initialisation,
        batches and augmentation).
    """

    synth_frames: int = 6144
    synth_seed: int = 11
    crop_seed: int = 5
    clips: int = 288
    clip_frames: int = 12
    clip_stride: int = 4
    clip_seed: int = 9100
    clip_behaviours: tuple[str, ...] = DEPTH_MIX
    tracking_seed: int = 7
    train: DepthTrainConfig = field(default_factory=_shipped_depth_config)


def depth_training_crops(recipe: DepthRecipe, workdir: str | Path, *,
                         pair_length_mm: np.ndarray, workers: int = 2,
                         progress: bool = False) -> tuple[dict[str, np.ndarray], int]:
    """The training crops of ``recipe``: the rendered dataset's, then the extra clips'.

    Parameters
    ----------
    recipe
        The recipe.
    workdir
        Folder for the rendered dataset (``depth_train_<synth_frames>``; reused when
        already complete).
    pair_length_mm
        ``(K, K)`` population pair lengths (the keypoints-only lifter's) that size the
        extra clips' crops.
    workers
        Processes rendering the dataset.
    progress
        Show progress bars.

    Returns
    -------
    crops : dict
        As :func:`load_training_crops`.
    n_synth : int
        How many of them come from the rendered dataset (the first ones).
    """
    from dlc_lifter.synth import synthesize

    index = synthesize(Path(workdir) / f"depth_train_{recipe.synth_frames}",
                       recipe.synth_frames, seed=recipe.synth_seed, workers=workers,
                       progress=progress)
    crops = load_training_crops(index, rng=np.random.default_rng(recipe.crop_seed))
    n_synth = len(crops["rgb"])
    if recipe.clips:
        clips = render_clips(recipe.clips, recipe.clip_frames, seed=recipe.clip_seed,
                             behaviours=recipe.clip_behaviours, frame_stride=recipe.clip_stride)
        extra = clip_training_crops(clips, np.random.default_rng(recipe.tracking_seed),
                                    pair_length_mm=pair_length_mm, crop_mm=CROP_MM,
                                    size=CROP_SIZE)
        del clips
        crops = {k: np.concatenate([crops[k], extra[k]]) for k in crops}
    return crops, n_synth


def train_depth_weights(recipe: DepthRecipe, out: str | Path, *, base: LiftingModel,
                        workdir: str | Path, command: str | None = None, workers: int = 2,
                        progress: bool = False) -> DepthModel:
    """Train a depth network from a recipe; write its weights and their JSON sidecar.

    Deterministic for a recipe (with ``recipe.train.max_minutes`` unset): the same recipe
    and code give the same weights.

    Parameters
    ----------
    recipe
        Data, seeds and settings (:class:`DepthRecipe`; the default is the shipped recipe).
    out
        The weights file (``.pt``); the sidecar goes beside it (``.json``).
    base
        The keypoints-only lifter whose population pair lengths size the extra clips'
        crops (the shipped one for the shipped weights).
    workdir
        Folder for the rendered dataset.
    command
        The command line that ran this (filled in by ``dlc-lifter train depth``), recorded
        in the sidecar; ``None`` when called from Python.
    workers
        Processes rendering the dataset (does not change the result).
    progress
        Show progress bars.

    Returns
    -------
    DepthModel
        The trained network, as saved.

    Examples
    --------
    >>> from dlc_lifter.nets.lifter import LiftingModel                  # doctest: +SKIP
    >>> train_depth_weights(DepthRecipe(), "depth_net.pt",               # doctest: +SKIP
    ...                     base=LiftingModel.load("lifter.pt"), workdir="/tmp/depth")
    """
    from dlc_lifter._version import __version__
    from dlc_lifter.io.weights import file_hash, write_sidecar

    t0 = time.perf_counter()
    crops, n_synth = depth_training_crops(recipe, workdir, pair_length_mm=base.pair_length_mm,
                                          workers=workers, progress=progress)
    logger.info("depth training data: %d synthetic + %d clip crops (%.0f s)", n_synth,
                len(crops["rgb"]) - n_synth, time.perf_counter() - t0)
    model, history = train_depth(crops, recipe.train, progress=progress)
    base_info = {k: base.info.get(k) for k in ("path", "sha256", "command")}
    model.info.update(command=command, recipe=asdict(recipe), base=base_info,
                      n_synth_crops=n_synth, code_version=__version__,
                      total_seconds=round(time.perf_counter() - t0, 1))
    path = model.save(out)
    write_sidecar(path, {
        "kind": "depth", "command": command, "code_version": __version__,
        "seed": recipe.train.seed, "recipe": asdict(recipe), "config": asdict(recipe.train),
        "base": base_info, "n_crops": model.info["n_crops"], "n_synth_crops": n_synth,
        "steps_done": history["steps_done"], "train_seconds": model.info["train_seconds"],
        "total_seconds": model.info["total_seconds"], "torch": model.info["torch"],
        "sha256": file_hash(path)})
    logger.info("Depth network written to %s", path)
    return model
