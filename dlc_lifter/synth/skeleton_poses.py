"""2D tracking of a synthetic mouse under a known skeleton's keypoint names.

:func:`skeleton_poses` answers "what would a file of this lab's skeleton look like": a
generated mouse seen by a top-view camera, each keypoint of the skeleton placed at its
catalogue landmark (1 px tracking noise), the arena's corners and centre where the skeleton
tracks them. Tests and ``benchmarks/skeletons.py`` lift such files to check that every
skeleton lifts with default options.
"""

from __future__ import annotations

import numpy as np

from dlc_lifter.camera import Camera
from dlc_lifter.mouse.behaviour import generate_sequence
from dlc_lifter.mouse.catalogue import CATALOGUE
from dlc_lifter.mouse.skeletons import KnownSkeleton
from dlc_lifter.poses import PoseMetadata, Poses

__all__ = ["skeleton_poses"]

_ARENA_XY = {"top_left": (0.0, 1.0), "top_right": (1.0, 1.0), "bottom_left": (0.0, 0.0),
             "bottom_right": (1.0, 0.0), "centre": (0.5, 0.5)}


def skeleton_poses(skeleton: KnownSkeleton, *, n_frames: int = 90, seed: int = 0,
                   arena_mm: float = 420.0, camera_height_mm: float = 700.0,
                   focal_px: float = 600.0) -> tuple[Poses, Camera]:
    """Synthetic 2D poses with ``skeleton``'s names, and the camera that saw them.

    Parameters
    ----------
    skeleton
        The skeleton; keypoints it maps to ``None`` are left out.
    n_frames
        Frames (30 fps).
    seed
        Seed of the mouse's behaviour and of the tracking noise.
    arena_mm
        Side of the square arena (mm).
    camera_height_mm, focal_px
        The straight-down camera over the arena's centre (under it, looking up, for a
        skeleton whose ``view`` is ``below``).

    Returns
    -------
    poses, camera
        ``(n_frames, 1, K, 2)`` pixels (likelihood 0.95), keypoints in the skeleton's
        order then its arena landmarks; the camera (world frame: floor ``z = 0``).
    """
    rng = np.random.default_rng(seed)
    seq = generate_sequence(n_frames, rng=rng, arena_mm=(arena_mm, arena_mm))
    size = (int(round(arena_mm * focal_px / camera_height_mm)) + 80,) * 2
    cam = Camera.top_view(camera_height_mm, focal_px, size,
                          centre_xy=(arena_mm / 2, arena_mm / 2))
    if skeleton.view == "below":  # through a glass floor, from under the arena's centre
        cam = cam.mirrored_below(size[0] / 2)
    names = [k for k, v in skeleton.keypoints.items() if v is not None]
    world = seq.landmarks[:, [CATALOGUE.index(skeleton.keypoints[k]) for k in names]]
    arena = [(k, v) for k, v in skeleton.arena.items()]
    if arena:
        corners = np.array([[_ARENA_XY[v][0] * arena_mm, _ARENA_XY[v][1] * arena_mm, 0.0]
                            for _, v in arena])
        world = np.concatenate([world, np.broadcast_to(corners, (n_frames, *corners.shape))], 1)
    uv = cam.project(world.reshape(-1, 3)).reshape(n_frames, -1, 2)
    uv = uv + rng.normal(0.0, 1.0, uv.shape)
    conf = np.full(uv.shape[:2], 0.95)
    meta = PoseMetadata(source=f"synthetic {skeleton.name}", scorer="synthetic", fps=30.0,
                        image_size=size)
    poses = Poses(coords=uv[:, None], confidence=conf[:, None],
                  keypoints=names + [k for k, _ in arena], meta=meta)
    return poses, cam
