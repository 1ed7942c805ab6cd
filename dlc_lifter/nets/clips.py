"""Rendered behaviour sequences, each seen by one fixed top-view camera.

:func:`render_clips` renders sequences of :mod:`dlc_lifter.mouse.behaviour` with the fast
renderer of :mod:`dlc_lifter.synth` (RGB, true height and camera depth per pixel, mouse
mask, true landmarks): the training data of the depth network's crops
(:func:`~dlc_lifter.nets.depth_train.clip_training_crops`) and of the fused lifter
(:func:`~dlc_lifter.nets.fusion_train.clip_views`), and the benchmarks' held-out sets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dlc_lifter.camera import Camera
from dlc_lifter.nets.depth import height_from_depth

__all__ = ["RenderedClip", "render_clips"]


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

