"""JABS pose files (Kumar lab, JAX): ``<video>_pose_est_v<N>.h5``, versions 2-7.

Layout (JABS's "Multi-Mouse Pose Estimation Format"): ``poseest/points`` holds ``(y, x)``
pixels as 16-bit integers, ``(frames, 12, 2)`` for one mouse (version 2) or ``(frames,
slots, 12, 2)``; ``poseest/confidence`` is 0 where a keypoint was not predicted. Version 3
names tracklets in ``poseest/instance_track_id`` (the first ``poseest/instance_count``
slots of a frame are valid); version 4 and later name long-term identities in
``poseest/instance_embed_id`` (0: no pose; ``1 .. n``: the ``n`` identities of
``poseest/instance_id_center``; above ``n``: a pose given no identity). The twelve
keypoints are always, in order, ``NOSE ... TIP_TAIL`` (:data:`JABS_KEYPOINTS`). Version 5
and later may hold the arena's four corners (``static_objects/corners``, ``(x, y)``, in no
order) and ``poseest`` may carry ``cm_per_pixel``.

:func:`read_jabs` reads the mice as individuals named after their identity (version 3:
tracklets packed into as few lanes as there are mice at once), adds the arena's corners as
four landmarks named by where they are in the image (``top_left_corner`` ...), and records
``cm_per_pixel`` as the floor's scale, ``meta.extra["floor_mm_per_px"]``: with the
corners, the lift measures the arena's size from them, so the camera comes from the
corners with no flags.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from dlc_lifter.errors import PoseFileError
from dlc_lifter.io._common import find_video, h5_layout
from dlc_lifter.poses import PoseMetadata, Poses

if TYPE_CHECKING:
    import h5py

__all__ = ["JABS_KEYPOINTS", "is_jabs_h5", "read_jabs"]

logger = logging.getLogger("dlc_lifter.io")

#: JABS's twelve keypoints, in the order of its ``poseest/points``.
JABS_KEYPOINTS = ("NOSE", "LEFT_EAR", "RIGHT_EAR", "BASE_NECK", "LEFT_FRONT_PAW",
                  "RIGHT_FRONT_PAW", "CENTER_SPINE", "LEFT_REAR_PAW", "RIGHT_REAR_PAW",
                  "BASE_TAIL", "MID_TAIL", "TIP_TAIL")
#: Names of the arena corners added as landmarks, clockwise from the image's top left.
CORNER_NAMES = ("top_left_corner", "top_right_corner", "bottom_right_corner",
                "bottom_left_corner")


def is_jabs_h5(path: str | Path | h5py.File) -> bool:
    """Whether an HDF5 file is a JABS pose file (a ``poseest/points`` dataset).

    ``path`` may be a file already open (it is read, not closed).
    """
    import h5py

    def layout(fh: h5py.File) -> bool:
        return "poseest" in fh and isinstance(fh["poseest"].get("points"), h5py.Dataset)

    return h5_layout(path, layout)


def read_jabs(path: str | Path) -> Poses:
    """Read a JABS pose file (see the module docstring).

    Parameters
    ----------
    path
        ``<video>_pose_est_v<N>.h5``.

    Returns
    -------
    Poses
        Pixels ``(x, y)``, NaN where JABS predicted no keypoint; ``meta.extra`` holds
        ``jabs_version``, ``cm_per_pixel`` (and its source) and ``floor_mm_per_px`` when
        present.

    Raises
    ------
    PoseFileError
        When the file's datasets do not have JABS's shapes.
    """
    import h5py

    p = Path(path)
    with h5py.File(p, "r") as fh:
        grp = fh["poseest"]
        points = np.asarray(grp["points"][:], dtype=np.float64)
        if "confidence" not in grp:
            raise PoseFileError(f"{p}: a JABS pose file without poseest/confidence; "
                                "re-export it with JABS's pose pipeline.")
        conf = np.asarray(grp["confidence"][:], dtype=np.float64)
        version = int(np.atleast_1d(grp.attrs["version"])[0]) if "version" in grp.attrs \
            else 2
        if points.ndim == 3:  # version 2: one mouse
            points, conf = points[:, None], conf[:, None]
        if points.ndim != 4 or points.shape[2:] != (len(JABS_KEYPOINTS), 2) \
                or conf.shape != points.shape[:3]:
            raise PoseFileError(
                f"{p}: poseest/points {points.shape} and poseest/confidence {conf.shape} are "
                f"not JABS's (frames, [mice,] {len(JABS_KEYPOINTS)}, 2) layout.")
        # long-term identities where the file has them (some files written by the version 4+
        # pipeline still say version 3), else tracklets
        if "instance_embed_id" in grp and "instance_id_center" in grp:
            ids = np.asarray(grp["instance_embed_id"][:], dtype=np.int64)
            n_ids = int(grp["instance_id_center"].shape[0])
            lanes, names = _by_identity(ids, n_ids, p)
        elif points.shape[1] > 1 and "instance_track_id" in grp:
            count = (np.asarray(grp["instance_count"][:], dtype=np.int64)
                     if "instance_count" in grp else np.full(len(points), points.shape[1]))
            valid = np.arange(points.shape[1])[None, :] < count[:, None]
            lanes, names = _packed_tracklets(
                np.asarray(grp["instance_track_id"][:], dtype=np.int64), valid)
        else:
            lanes = np.tile(np.arange(points.shape[1]), (len(points), 1))
            names = ["mouse"] if points.shape[1] == 1 else [
                f"mouse{i + 1}" for i in range(points.shape[1])]
        cm_per_px = float(grp.attrs["cm_per_pixel"]) if "cm_per_pixel" in grp.attrs else None
        source = grp.attrs.get("cm_per_pixel_source")
        corners = (np.asarray(fh["static_objects/corners"][:], dtype=np.float64)
                   if "static_objects/corners" in fh else None)
    t, k = len(points), len(JABS_KEYPOINTS)
    xy = np.full((t, len(names), k, 2), np.nan)
    cf = np.full((t, len(names), k), np.nan)
    rows, slots = np.nonzero(lanes >= 0)
    lane = lanes[rows, slots]
    xy[rows, lane] = points[rows, slots][..., ::-1]  # JABS stores (y, x)
    cf[rows, lane] = conf[rows, slots]
    absent = ~(cf > 0)
    xy[absent] = np.nan
    cf[absent] = np.nan
    keypoints = list(JABS_KEYPOINTS)
    extra: dict[str, object] = {"jabs_version": version}
    if cm_per_px is not None:
        extra["cm_per_pixel"] = cm_per_px
        if cm_per_px > 0:
            extra["floor_mm_per_px"] = 10.0 * cm_per_px
        extra["cm_per_pixel_source"] = (source.decode() if isinstance(source, bytes)
                                        else source)
    if corners is not None and corners.shape == (4, 2):
        ordered = _clockwise(corners)
        xy = np.concatenate([xy, np.broadcast_to(ordered, (t, len(names), 4, 2))], axis=2)
        cf = np.concatenate([cf, np.ones((t, len(names), 4))], axis=2)
        keypoints += list(CORNER_NAMES)
    video = None
    stem = p.stem.split("_pose_est_v")[0]
    found = find_video(stem, [p.parent])
    if found is not None:
        video = str(found)
    meta = PoseMetadata(source=str(p), source_format="jabs", scorer="jabs", video=video,
                        extra=extra)
    return Poses(coords=xy, confidence=cf, keypoints=keypoints, individuals=names,
                 frame_indices=np.arange(t), meta=meta)


def _by_identity(ids: np.ndarray, n_ids: int, path: Path) -> tuple[np.ndarray, list[str]]:
    """Lane of each ``(frame, slot)`` (-1: none) by long-term identity ``1 .. n_ids``."""
    lanes = np.where((ids >= 1) & (ids <= n_ids), ids - 1, -1)
    unassigned = int((ids > n_ids).sum())
    if unassigned:
        logger.warning("%s: %d poses were given no long-term identity by JABS; they are "
                       "not lifted.", path, unassigned)
    return lanes, [f"mouse{i + 1}" for i in range(n_ids)]


def _packed_tracklets(track: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Version 3: each tracklet (an id over a run of frames) into the first lane free for
    its whole run, so there are as many lanes as mice at once."""
    lanes = np.full(track.shape, -1, dtype=np.int64)
    ends: list[int] = []  # last frame of each lane
    runs = []
    for tid in np.unique(track[valid]):
        rows, slots = np.nonzero(valid & (track == tid))
        runs.append((int(rows.min()), int(rows.max()), rows, slots))
    for start, stop, rows, slots in sorted(runs, key=lambda r: r[0]):
        lane = next((i for i, end in enumerate(ends) if end < start), None)
        if lane is None:
            lane = len(ends)
            ends.append(stop)
        else:
            ends[lane] = stop
        lanes[rows, slots] = lane
    return lanes, [f"mouse{i + 1}" for i in range(max(len(ends), 1))]


def _clockwise(corners: np.ndarray) -> np.ndarray:
    """Four ``(x, y)`` corners ordered top left, top right, bottom right, bottom left
    (image ``y`` down)."""
    centre = corners.mean(0)
    angle = np.arctan2(corners[:, 1] - centre[1], corners[:, 0] - centre[0])
    ordered = corners[np.argsort(angle)]  # from the left, through the top (y down)
    start = int(np.argmin(ordered.sum(1)))  # top left: smallest x + y
    return np.roll(ordered, -start, axis=0)
