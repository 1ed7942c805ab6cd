"""The rearing rule: the head's height above the floor, and the bouts it spends above a line.

One implementation for everything that counts rears: the heights figure
(:func:`~dlc_lifter.analysis.plots.plot_heights`) shades the bouts, the 3D video labels
their frames, and the features table (:func:`~dlc_lifter.analysis.features.compute_features`)
has a per-frame ``rearing`` column, so the figure's count can be reproduced from the
table.

A frame is rearing when it belongs to a run of at least :data:`REARING_MIN_S` seconds in
which the head is higher than :data:`REARING_MM` above the floor. The head is the nose
where it has a position, else the top of the head (``head_midpoint``), else the highest
of the eyes and ears (:func:`head_keypoint`).
"""

from __future__ import annotations

import math

import numpy as np

from dlc_lifter.mouse.edges import canonical_names
from dlc_lifter.poses import Poses

__all__ = [
    "REARING_MIN_S",
    "REARING_MM",
    "head_height",
    "head_keypoint",
    "rearing_bouts",
    "rearing_frames",
]

#: Head (nose) height above the floor, in mm, above which a mouse counts as rearing.
REARING_MM = 45.0
#: Shortest rearing bout, in seconds.
REARING_MIN_S = 0.2

#: The head's landmarks, best first: the nose, the top of the head, then the highest of all.
_HEAD_TIERS = (("nose",), ("head_midpoint",),
               ("nose", "head_midpoint", "left_eye", "right_eye", "left_ear", "right_ear"))


def head_keypoint(poses: Poses) -> tuple[np.ndarray, np.ndarray]:
    """The head's height above the floor and the keypoint it is read from.

    Parameters
    ----------
    poses
        3D poses (mm, ``z`` up, floor at 0), any keypoint names the catalogue maps
        (``snout``, ``Nose``...).

    Returns
    -------
    height : numpy.ndarray
        ``(frames, individuals)`` mm: the nose's height where the nose has a position,
        else the top of the head's, else the highest of the eyes and ears; NaN where
        none has one.
    keypoint : numpy.ndarray
        ``(frames, individuals)`` int: the index (in ``poses.keypoints``) of the keypoint
        the height is read from, ``-1`` where none.
    """
    canon = canonical_names(poses.keypoints)
    z = np.asarray(poses.coords, dtype=float)[..., 2]
    height = np.full(z.shape[:2], np.nan)
    index = np.full(z.shape[:2], -1, dtype=np.int64)
    for names in _HEAD_TIERS:
        sel = np.array([i for i, c in enumerate(canon) if c in names], dtype=np.int64)
        if not len(sel):
            continue
        zs = z[:, :, sel]
        placed = np.isfinite(zs).any(axis=2)
        best = np.argmax(np.where(np.isfinite(zs), zs, -np.inf), axis=2)
        fill = np.isnan(height) & placed
        height[fill] = np.take_along_axis(zs, best[..., None], axis=2)[..., 0][fill]
        index[fill] = sel[best][fill]
    return height, index


def head_height(poses: Poses) -> np.ndarray:
    """Height of the head above the floor, ``(frames, individuals)`` mm.

    The nose's height where it has a position (tracked, or imputed by the lift: the
    features' ``nose_imputed`` says which), else the top of the head, else the highest of
    the eyes and ears (:func:`head_keypoint`).
    """
    return head_keypoint(poses)[0]


def rearing_bouts(
    height: np.ndarray,
    fps: float,
    *,
    threshold_mm: float = REARING_MM,
    min_duration_s: float = REARING_MIN_S,
) -> list[tuple[int, int]]:
    """Rearing bouts: runs of frames with head height above a threshold.

    Parameters
    ----------
    height
        ``(frames,)`` head height in mm (NaN counts as not rearing).
    fps
        Frame rate.
    threshold_mm, min_duration_s
        A bout is at least ``min_duration_s`` long with height above ``threshold_mm``.

    Returns
    -------
    list of (int, int)
        ``(start, stop)`` row indices, ``stop`` exclusive.
    """
    above = np.nan_to_num(np.asarray(height, dtype=float), nan=-np.inf) > threshold_mm
    edges = np.diff(np.concatenate([[0], above.astype(np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    min_len = max(1, math.ceil(min_duration_s * fps - 1e-9))
    return [(int(a), int(b)) for a, b in zip(starts, stops, strict=True) if b - a >= min_len]


def rearing_frames(
    height: np.ndarray,
    fps: float | None,
    *,
    threshold_mm: float = REARING_MM,
    min_duration_s: float = REARING_MIN_S,
) -> np.ndarray:
    """Per-row rearing flag: the rows of :func:`rearing_bouts`.

    Parameters
    ----------
    height
        ``(frames,)`` head height in mm (NaN counts as not rearing).
    fps
        Frame rate; ``None`` for rows that are separate images (labelled data), where a
        bout has no duration: each image is rearing when its head is above the line.
    threshold_mm, min_duration_s
        As for :func:`rearing_bouts`.

    Returns
    -------
    numpy.ndarray
        ``(frames,)`` bool.

    Examples
    --------
    >>> import numpy as np
    >>> h = np.r_[np.full(5, 10.0), np.full(10, 60.0), np.full(3, 10.0), np.full(2, 60.0)]
    >>> rearing_frames(h, 30.0).nonzero()[0].tolist()  # 10 rows = 0.33 s; 2 rows too short
    [5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
    """
    h = np.asarray(height, dtype=float)
    if fps is None:
        return np.nan_to_num(h, nan=-np.inf) > threshold_mm
    out = np.zeros(h.shape[0], dtype=bool)
    for a, b in rearing_bouts(h, fps, threshold_mm=threshold_mm,
                              min_duration_s=min_duration_s):
        out[a:b] = True
    return out
