"""Poses-only synthetic data: 3D landmarks and their 2D projections, no images.

Lifting networks (2D keypoints -> 3D) need hundreds of thousands of samples but no
pixels. :func:`sample_pose_batch` draws mouse sequences from the behaviour model, places
a random top-view camera per group of frames (:func:`dlc_lifter.camera.random_top_view`,
heights 0.25-2 m, tilt 0-15 degrees, any roll, common video sizes) and projects every
catalogue landmark; a keypoint is ``visible`` when it projects inside the image
(occlusion needs a rendered body and is not modelled here).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from dlc_lifter.camera import Camera, random_top_view
from dlc_lifter.mouse.catalogue import CATALOGUE

__all__ = ["POSES_ONLY_ARRAYS", "sample_pose_batch"]

logger = logging.getLogger(__name__)

#: Arrays of a poses-only shard: name -> (dtype, per-frame shape, description).
POSES_ONLY_ARRAYS: dict[str, tuple[str, str, str]] = {
    "keypoints_2d": ("float32", "(K, 2)", "pixels (u, v), catalogue order"),
    "visible": ("bool", "(K,)", "projects inside the image"),
    "in_image": ("bool", "(K,)", "projects inside the image"),
    "keypoints_cam": ("float32", "(K, 3)", "camera frame, mm"),
    "keypoints_world": ("float32", "(K, 3)", "world frame (z up, floor z=0), mm"),
    "K": ("float64", "(3, 3)", "intrinsics"),
    "R": ("float64", "(3, 3)", "world -> camera rotation"),
    "t": ("float64", "(3,)", "world -> camera translation, mm"),
    "image_size": ("int32", "(2,)", "(width, height) px"),
    "shape": ("float32", "(S,)", "MouseShape multipliers"),
    "behaviour": ("int16", "()", "index into BEHAVIOURS"),
    "sequence": ("int32", "()", "sequence id within the shard"),
}


def sample_pose_batch(
    rng: np.random.Generator,
    n_frames: int,
    *,
    frames_per_camera: int = 4,
    sequence_frames: int = 512,
    stride: int = 1,
    views_per_pose: int = 2,
    image_size: tuple[int, int] | None = None,
) -> dict[str, np.ndarray]:
    """Draw ``n_frames`` poses-only samples.

    Parameters
    ----------
    rng
        The only source of randomness.
    n_frames
        Samples to draw.
    frames_per_camera
        Consecutive samples sharing one random camera.
    sequence_frames
        Frames per generated behaviour sequence (one mouse shape each).
    stride
        Keep every ``stride``-th frame of a sequence (decorrelates samples).
    views_per_pose
        Each generated 3D pose is used this many times: as generated, and turned by a
        random angle about the vertical through its ``mouse_center`` (a physically
        identical pose with another heading), each seen by a different camera. Sequence
        generation is the bottleneck, so 2 nearly doubles samples per second.
    image_size
        Fixed ``(width, height)``; common video sizes at random when ``None``.

    Returns
    -------
    dict
        Arrays named as in :data:`POSES_ONLY_ARRAYS`, first axis ``n_frames``.
    """
    from dlc_lifter.mouse.behaviour import generate_sequence

    views = max(1, int(views_per_pose))
    n_poses = -(-n_frames // views)
    per_seq = max(1, sequence_frames // max(stride, 1))
    world: list[np.ndarray] = []
    beh: list[np.ndarray] = []
    shapes: list[np.ndarray] = []
    seq_ids: list[np.ndarray] = []
    arenas: list[np.ndarray] = []
    got, s = 0, 0
    while got < n_poses:
        take = min(per_seq, n_poses - got)
        side = float(rng.uniform(350.0, 700.0))
        seq = generate_sequence(take * stride, rng=rng, arena_mm=(side, side))
        lms = np.asarray(seq.landmarks)[::stride][:take]
        world.append(lms)
        beh.append(np.asarray(seq.behaviour)[::stride][:take])
        shp = _shape_vector(seq.shape)
        shapes.append(np.repeat(shp[None], len(lms), axis=0))
        seq_ids.append(np.full(len(lms), s, dtype=np.int32))
        arenas.append(np.full(len(lms), side))
        got += len(lms)
        s += 1
    centre = CATALOGUE.index("mouse_center")
    base = np.concatenate(world)
    copies = [base]
    for _ in range(views - 1):
        ang = rng.uniform(0.0, 2.0 * np.pi, len(base))
        c, s_ = np.cos(ang)[:, None], np.sin(ang)[:, None]
        pivot = base[:, centre:centre + 1, :2]
        rel = base[..., :2] - pivot
        turned = base.copy()
        turned[..., 0] = (c * rel[..., 0] - s_ * rel[..., 1]) + pivot[..., 0]
        turned[..., 1] = (s_ * rel[..., 0] + c * rel[..., 1]) + pivot[..., 1]
        copies.append(turned)
    w = np.concatenate(copies)[:n_frames]
    arena_of = np.tile(np.concatenate(arenas), views)[:n_frames]
    beh = [np.tile(np.concatenate(beh), views)]
    shapes = [np.tile(np.concatenate(shapes), (views, 1))]
    seq_ids = [np.tile(np.concatenate(seq_ids), views)]
    n_cams = -(-n_frames // frames_per_camera)
    cam_of = np.arange(n_frames) // frames_per_camera
    ks, rs, ts, sizes = [], [], [], []
    for c in range(n_cams):
        # Camera over the arena the frames were made in (origin at a corner).
        first = int(np.flatnonzero(cam_of == c)[0])
        side = arena_of[first]
        cam = random_top_view(rng, image_size=image_size, arena_mm=side)
        cam = Camera(K=cam.K, R=cam.R, t=cam.t - cam.R @ np.array([side / 2, side / 2, 0.0]),
                     image_size=cam.image_size)
        ks.append(cam.K)
        rs.append(cam.R)
        ts.append(cam.t)
        sizes.append(cam.image_size)
    k = np.asarray(ks)[cam_of]
    r = np.asarray(rs)[cam_of]
    t = np.asarray(ts)[cam_of]
    size = np.asarray(sizes, dtype=np.int32)[cam_of]
    cam_pts = np.einsum("nij,nkj->nki", r, w) + t[:, None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        xy = cam_pts[..., :2] / cam_pts[..., 2:3]
    uv = np.einsum("nij,nkj->nki", k[:, :2, :2], xy) + k[:, None, :2, 2]
    in_image = ((cam_pts[..., 2] > 0) & (uv[..., 0] >= -0.5)
                & (uv[..., 0] < size[:, None, 0] - 0.5) & (uv[..., 1] >= -0.5)
                & (uv[..., 1] < size[:, None, 1] - 0.5))
    return {
        "keypoints_2d": uv.astype(np.float32),
        "visible": in_image,
        "in_image": in_image.copy(),
        "keypoints_cam": cam_pts.astype(np.float32),
        "keypoints_world": w.astype(np.float32),
        "K": k,
        "R": r,
        "t": t,
        "image_size": size,
        "shape": np.concatenate(shapes)[:n_frames].astype(np.float32),
        "behaviour": np.concatenate(beh)[:n_frames].astype(np.int16),
        "sequence": np.concatenate(seq_ids)[:n_frames],
    }


def _shape_vector(shape: Any) -> np.ndarray:
    if hasattr(shape, "as_array"):
        return np.asarray(shape.as_array(), dtype=np.float64)
    return np.asarray(shape, dtype=np.float64).reshape(-1)
