"""Frames where the lifted animal is far longer than itself: the 2D there is not its body.

A mouse's nose-to-tail-base length varies by about a third between a hunched and a
stretched posture, a rear included. A tracked nose and tail base whose 3D distance is
:data:`LONG_SHARE` times the animal's own median or more, and :data:`LONG_MM` or more,
belong to two things: another
animal's nose taken for this one's (identity swaps between mice close together, at full
likelihood), or a point on the wall. The mistrack rule (:mod:`dlc_lifter.lift.mistracks`)
judges each point by its usual distance from the body's middle and lets such frames pass
where the other animal is near. :func:`long_bodies` names them, per individual, in the log;
the lift is kept (the points reproject onto the 2D as tracked) and the output's
``meta.extra["long_bodies"]`` keeps the frames.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["LONG_MM", "LONG_SHARE", "MIN_FRAMES", "long_bodies"]

logger = logging.getLogger(__name__)

#: A nose-to-tail-base length this many times the animal's median ...
LONG_SHARE = 1.4
#: ... and this long (mm) is not one body: real mice measure 90-100 mm at their most
#: stretched (DANNCE's four labelled mice at most 96-98 mm), and a hunched mouse's median
#: (SUBTLE's nose to anus, 46-65 mm) is far below it.
LONG_MM = 110.0
#: Frames with both points tracked that the animal's median needs.
MIN_FRAMES = 30
_SHOWN = 8


def long_bodies(coords: np.ndarray, imputed: np.ndarray, names: Sequence[str],
                individuals: Sequence[str], frames: Sequence[int] | np.ndarray,
                source: str) -> dict[str, dict[str, Any]]:
    """Per individual, the frames whose lifted nose-to-tail-base length is
    :data:`LONG_SHARE` times its median and :data:`LONG_MM` or more; each individual with
    any is warned about.

    Parameters
    ----------
    coords
        ``(T, N, K, 3)`` lifted points (mm).
    imputed
        ``(T, N, K)`` points the file did not track (not counted).
    names
        The ``K`` catalogue names of the points.
    individuals
        The ``N`` individuals' names.
    frames
        The ``T`` rows' frame numbers.
    source
        The file, for the message.

    Returns
    -------
    dict
        ``{individual: {"median_mm", "frames" (frame numbers), "longest_mm"}}`` for the
        individuals with such frames.
    """
    names = list(names)
    if "nose" not in names or "tail_base" not in names:
        return {}
    n, t = names.index("nose"), names.index("tail_base")
    out: dict[str, dict[str, Any]] = {}
    for i, ind in enumerate(individuals):
        ok = ~np.asarray(imputed[:, i, n], bool) & ~np.asarray(imputed[:, i, t], bool)
        length = np.linalg.norm(coords[:, i, n] - coords[:, i, t], axis=-1)
        ok &= np.isfinite(length)
        if ok.sum() < MIN_FRAMES:
            continue
        median = float(np.median(length[ok]))
        rows = np.flatnonzero(ok & (length >= max(LONG_SHARE * median, LONG_MM)))
        if not len(rows):
            continue
        at = [int(f) for f in np.asarray(frames)[rows]]
        out[str(ind)] = {"median_mm": round(median, 1), "frames": at,
                         "longest_mm": round(float(length[rows].max()), 1)}
        shown = ", ".join(map(str, at[:_SHOWN])) + (", ..." if len(at) > _SHOWN else "")
        who = f" {ind}:" if len(individuals) > 1 else ""
        logger.warning(
            "%s:%s in %d frame%s (%s) the nose and the tail base lie %.0f mm or more "
            "apart (up to %.0f mm; usually %.0f): no mouse stretches so far, so one of "
            "them is likely another animal's point or a mistrack at full likelihood. Check "
            "the 2D there; the lift keeps them as tracked.", source, who, len(rows),
            "" if len(rows) == 1 else "s", shown, max(LONG_SHARE * median, LONG_MM),
            out[str(ind)]["longest_mm"], median)
    return out
