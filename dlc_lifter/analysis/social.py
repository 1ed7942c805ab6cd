"""Social features: each animal's relation to its nearest other, in files of several animals.

:func:`social_columns` turns the landmark tracks of every individual (:class:`AnimalPoints`)
into per-frame columns about the nearest other animal;
:func:`~dlc_lifter.analysis.features.compute_features` adds them to its table, after each
animal's own columns, when the poses hold two individuals or more:

``social_partner``
    Name of the nearest other individual in that frame (body centre to body centre);
    empty where no other animal, or this one, has a body centre there. With two animals it
    is always the other one; with three or more it is chosen again in every frame, and
    every other social column of the row is about that partner.
``social_distance_<u>``
    Distance between the two body centres (3D for 3D poses; in the image plane, or the
    horizontal plane with ``planar``, for 2D).
``social_approach_speed_<u>_s``
    How fast that distance shrinks: minus its time derivative, central differences of the
    distance to the same partner (positive: closing in; negative: moving apart).
``social_facing_angle_rad``
    Angle in ``[0, pi]`` between this animal's body axis (horizontal, tail base -> front)
    and the horizontal direction from its body centre to the partner's: 0 facing straight
    at it, pi facing away.
``social_nose_to_nose_<u>``
    Distance between the two noses.
``social_nose_to_partner_tail_base_<u>``, ``social_partner_nose_to_tail_base_<u>``
    This animal's nose to the partner's tail base (anogenital investigation of the
    partner), and the partner's nose to this animal's tail base.
``social_nose_above_partner_back_<u>`` (3D)
    Height of this animal's nose above the partner's body centre on its back: above 0
    where the head is over the other animal (climbing, mounting).

Every value is NaN in a frame where the partner or this animal lacks the landmarks it needs.
The landmarks come with the features' per-frame fallbacks: the body centre is the mid-trunk
point (``mouse_center``, else ``mid_back``, else ``mid_backend``), else the midpoint of the
head and the tail base; the nose falls back to ``head_midpoint`` and then the midpoint of
the ears, the tail base to ``mid_backend3`` and ``mid_backend2``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["PARTNER_COLUMN", "AnimalPoints", "nearest_partner", "social_columns"]

#: The column naming each row's nearest other individual (a name, not a measurement).
PARTNER_COLUMN = "social_partner"


@dataclass(frozen=True)
class AnimalPoints:
    """Landmark tracks of every individual of a file, ``(frames, individuals, d)`` each
    (``d`` = 2 or 3, NaN where untracked), in one length unit, ``z`` up for 3D.

    Attributes
    ----------
    centre
        Body centre.
    nose, tail_base
        Nose and tail base; ``None`` where the poses have no such landmark.
    forward
        ``(frames, individuals, 2)`` unit vector of the horizontal body axis (tail base ->
        front); ``None`` where the poses give no body axis.
    """

    centre: np.ndarray
    nose: np.ndarray | None = None
    tail_base: np.ndarray | None = None
    forward: np.ndarray | None = None


def _distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``|a_i - b_j|`` for every pair, ``(frames, individuals, individuals)``."""
    return np.linalg.norm(a[:, :, None] - b[:, None, :], axis=-1)


def nearest_partner(centre: np.ndarray) -> np.ndarray:
    """Index of each individual's nearest other individual per frame.

    Parameters
    ----------
    centre
        ``(frames, individuals, d)`` body centres, NaN where untracked.

    Returns
    -------
    numpy.ndarray
        ``(frames, individuals)`` int: the other individual whose centre is closest, ``-1``
        where this one's centre or every other's is untracked in that frame.

    Examples
    --------
    >>> c = np.array([[[0.0, 0.0], [10.0, 0.0], [3.0, 0.0]]])
    >>> nearest_partner(c).tolist()
    [[2, 2, 0]]
    """
    d = _distance(centre, centre)
    n = centre.shape[1]
    d[:, np.arange(n), np.arange(n)] = np.nan
    d = np.where(np.isnan(d), np.inf, d)
    idx = d.argmin(axis=-1)
    return np.where(np.isfinite(d.min(axis=-1)), idx, -1)


def _at_partner(pairwise: np.ndarray, partner: np.ndarray) -> np.ndarray:
    """``pairwise[f, i, partner[f, i]]``, NaN where there is no partner."""
    got = np.take_along_axis(pairwise, np.maximum(partner, 0)[..., None], axis=2)[..., 0]
    return np.where(partner >= 0, got, np.nan)


def _of_partner(points: np.ndarray, partner: np.ndarray) -> np.ndarray:
    """Each row's partner's point, ``(frames, individuals, d)``, NaN without a partner."""
    got = np.take_along_axis(points, np.maximum(partner, 0)[..., None], axis=1)
    return np.where((partner >= 0)[..., None], got, np.nan)


def social_columns(points: AnimalPoints, t: np.ndarray, unit: str,
                   identity: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Per-frame columns about each individual's nearest other (see the module docstring).

    Parameters
    ----------
    points
        Landmark tracks of every individual (two or more), in ``unit``.
    t
        ``(frames,)`` time of each frame in seconds (NaN for separate images: no approach
        speed then).
    unit
        Length unit of the points (``mm``, ``px``): the suffix of the columns.
    identity
        ``(individuals,)`` bool: whether each individual is the same animal in every
        frame; default all. A pair with one that is not (an untracked instance's slot)
        gets no approach speed, as its distance over time may be to other animals; with
        two individuals it does, as they are then always the same two animals.

    Returns
    -------
    dict
        ``{column: (frames, individuals) array}``: the partner's index as
        :data:`PARTNER_COLUMN` (int, ``-1`` for none; the caller names it), then float
        columns. A column whose landmark the poses lack is left out; heights only for
        ``d = 3``.

    Examples
    --------
    >>> c = np.zeros((3, 2, 2))
    >>> c[:, 1, 0] = [100.0, 90.0, 80.0]  # the second animal walks towards the first
    >>> cols = social_columns(AnimalPoints(centre=c), np.arange(3) / 10.0, "px")
    >>> cols["social_distance_px"][:, 0].tolist(), cols["social_approach_speed_px_s"][1, 0]
    ([100.0, 90.0, 80.0], 100.0)
    """
    centre = points.centre
    partner = nearest_partner(centre)
    pair = _distance(centre, centre)
    cols: dict[str, np.ndarray] = {PARTNER_COLUMN: partner}
    cols[f"social_distance_{unit}"] = _at_partner(pair, partner)
    if len(t) >= 2 and np.isfinite(t).all():
        closing = -np.gradient(pair, t, axis=0)
    else:
        closing = np.full_like(pair, np.nan)
    if identity is not None and len(identity) > 2:
        lost = ~np.asarray(identity, dtype=bool)
        closing[:, lost, :] = np.nan
        closing[:, :, lost] = np.nan
    cols[f"social_approach_speed_{unit}_s"] = _at_partner(closing, partner)
    if points.forward is not None:
        to = _of_partner(centre, partner)[..., :2] - centre[..., :2]
        with np.errstate(invalid="ignore", divide="ignore"):
            cos = (np.einsum("fid,fid->fi", to, points.forward)
                   / np.linalg.norm(to, axis=-1))
        cols["social_facing_angle_rad"] = np.arccos(np.clip(cos, -1.0, 1.0))
    pairs: Sequence[tuple[str, np.ndarray | None, np.ndarray | None]] = (
        ("nose_to_nose", points.nose, points.nose),
        ("nose_to_partner_tail_base", points.nose, points.tail_base),
        ("partner_nose_to_tail_base", points.tail_base, points.nose))
    for name, own, other in pairs:
        if own is not None and other is not None:
            cols[f"social_{name}_{unit}"] = np.linalg.norm(
                own - _of_partner(other, partner), axis=-1)
    if points.nose is not None and centre.shape[-1] == 3:
        cols[f"social_nose_above_partner_back_{unit}"] = (
            points.nose[..., 2] - _of_partner(centre, partner)[..., 2])
    return cols
