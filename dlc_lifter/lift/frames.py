"""Which pose rows form a video: runs of consecutive frames, and the motion between rows.

The temporal networks see a window of consecutive frames; rows that are not consecutive
(labelled images, frames sampled from a recording) are lifted run by run, and frames
alone with the per-frame network. :func:`frame_runs` splits the rows by their frame
numbers; :func:`row_motion` tells frames sampled from a recording from a video even when
their numbers are consecutive.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "MAX_CONTINUOUS_JUMP",
    "MAX_CONTINUOUS_SPEED",
    "MAX_SMOOTH_ROUGHNESS",
    "RowMotion",
    "describe_runs",
    "frame_runs",
    "frames_out_of_order",
    "repeated_frames",
    "row_motion",
]


def frame_runs(frame_indices: Sequence[int] | np.ndarray, *, labelled: bool = False
               ) -> list[tuple[int, int]]:
    """Rows ``[a, b)`` of consecutive frame indices (each row alone when ``labelled``).

    Parameters
    ----------
    frame_indices
        ``(T,)`` frame numbers of the pose rows.
    labelled
        The rows are labelled images (DLC ``CollectedData``), never a video.

    Returns
    -------
    list of (int, int)
        Row ranges, in order, covering every row once.

    Examples
    --------
    >>> frame_runs([0, 1, 2, 7, 9, 10])
    [(0, 3), (3, 4), (4, 6)]
    """
    fi = np.asarray(frame_indices, dtype=np.int64)
    if labelled:
        return [(r, r + 1) for r in range(len(fi))]
    cuts = [0, *(np.flatnonzero(np.diff(fi) != 1) + 1).tolist(), len(fi)]
    return [(a, b) for a, b in zip(cuts[:-1], cuts[1:], strict=True) if b > a]


def repeated_frames(frame_indices: Sequence[int] | np.ndarray) -> str | None:
    """What repeats in a file's frame numbers (two analyses of one video joined, rows
    pasted twice), or ``None`` where each frame number is one row's.

    Examples
    --------
    >>> repeated_frames([0, 1, 2, 1, 2, 3])
    '2 frame numbers are rows twice or more (1..2)'
    >>> repeated_frames([0, 1, 2]) is None
    True
    """
    fi = np.asarray(frame_indices, dtype=np.int64)
    values, counts = np.unique(fi, return_counts=True)
    again = values[counts > 1]
    if not len(again):
        return None
    return (f"{len(again)} frame number{'s are rows' if len(again) > 1 else ' is a row'} "
            f"twice or more ({again[0]}{f'..{again[-1]}' if len(again) > 1 else ''})")


def frames_out_of_order(frame_indices: Sequence[int] | np.ndarray) -> str | None:
    """Where a file's frame numbers go back (rows sorted by something else, chunks of a
    video joined out of order), or ``None`` where they never do. Frame numbers that repeat
    are :func:`repeated_frames`' to say.

    Examples
    --------
    >>> frames_out_of_order([3, 4, 5, 0, 1, 2])
    'the frame number goes back 1 time (first at row 3: frame 5, then 0)'
    >>> frames_out_of_order([0, 1, 5, 6]) is None
    True
    """
    fi = np.asarray(frame_indices, dtype=np.int64)
    back = np.flatnonzero(np.diff(fi) < 0)
    if not len(back) or len(np.unique(fi)) < len(fi):
        return None
    r = int(back[0]) + 1
    return (f"the frame number goes back {len(back)} time{'s' if len(back) > 1 else ''} "
            f"(first at row {r}: frame {fi[r - 1]}, then {fi[r]})")


#: Median motion between consecutive rows (body sizes) above which rows are not a video...
MAX_CONTINUOUS_JUMP = 0.1
#: ... when also faster than this (body sizes per second; real sessions move far slower) ...
MAX_CONTINUOUS_SPEED = 4.0
#: ... and rougher than this (:attr:`RowMotion.roughness`): real videos, also every 8th
#: frame of one, lie below it, and frames drawn at random from them or labelled frames
#: above (measured in ``docs/results.md``, "Real mice filmed from below: networks trained
#: below the floor").
MAX_SMOOTH_ROUGHNESS = 1.0


@dataclass(frozen=True)
class RowMotion:
    """How the tracked keypoints move from one row to the next.

    Attributes
    ----------
    jump
        Median over rows (and individuals) of the median keypoint displacement, divided by
        the median 2D size of the body (the diagonal of its keypoints' bounding box); 0 when
        it cannot be measured. A filmed animal moves a small fraction of its size from one
        frame to the next; frames sampled from a recording (labelled frames) jump by a large
        fraction of it.
    roughness
        Median change of that displacement from one row to the next (the second
        difference) over the median displacement; 0 when it cannot be measured. A filmed
        animal's motion goes on from frame to frame (below 1, even running); rows drawn
        from a recording move each in its own direction (above 1).
    """

    jump: float
    roughness: float


def row_motion(uv_cat: np.ndarray, conf_cat: np.ndarray, pcutoff: float) -> RowMotion:
    """The motion between consecutive rows (:class:`RowMotion`).

    Parameters
    ----------
    uv_cat, conf_cat
        ``(T, N, K, 2)`` pixels and ``(T, N, K)`` likelihoods, catalogue order.
    pcutoff
        Keypoints below this likelihood are not used.

    Returns
    -------
    RowMotion
    """
    ok = np.isfinite(uv_cat).all(-1) & (np.nan_to_num(conf_cat) >= pcutoff)
    uv = np.where(ok[..., None], uv_cat, np.nan)
    if uv.shape[0] < 3:
        return RowMotion(0.0, 0.0)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        step = np.nanmedian(np.linalg.norm(np.diff(uv, axis=0), axis=-1), axis=-1)
        turn = np.nanmedian(np.linalg.norm(uv[2:] - 2.0 * uv[1:-1] + uv[:-2], axis=-1),
                            axis=-1)
        lo, hi = np.nanmin(uv, axis=2), np.nanmax(uv, axis=2)
        spread = np.nanmedian(np.linalg.norm(hi - lo, axis=-1))
        jump = np.nanmedian(step)
        change = np.nanmedian(turn)
    if not (np.isfinite(jump) and np.isfinite(spread) and spread > 0):
        return RowMotion(0.0, 0.0)
    rough = change / jump if np.isfinite(change) and jump > 0 else 0.0
    return RowMotion(float(jump / spread), float(rough))


def describe_runs(runs: list[tuple[int, int]], mode: str, *, labelled: bool = False,
                  images: str = "labelled images") -> dict[str, Any]:
    """How a lift used the networks, for ``meta.extra["lift_mode"]``.

    Parameters
    ----------
    runs
        Row ranges ``[a, b)`` lifted together (:func:`frame_runs`).
    mode
        The network mode asked for runs of consecutive frames.
    labelled
        The rows are images (each lifted alone whatever their frame numbers).
    images
        What those images are, for the summary: ``"labelled images"``, or
        ``"images"`` for a tracker's predictions on a folder of images.

    Returns
    -------
    dict
        ``requested`` (``mode``), ``runs`` (count), ``frames_alone`` (rows lifted with
        the frame network) and a one-line ``summary``.
    """
    alone = sum(b - a == 1 for a, b in runs)
    n = sum(b - a for a, b in runs)
    if len(runs) == 1 and alone == 0:
        summary = f"{mode} network over {n} consecutive frames"
    elif alone == n:
        why = images if labelled else "frames not consecutive"
        summary = f"{why}: each of the {n} frames lifted alone (frame network)"
    else:
        summary = (f"{len(runs)} runs of consecutive frames, each lifted alone ({mode} "
                   f"network); {alone} frames alone with the frame network")
    return {"requested": mode, "runs": len(runs), "frames_alone": alone, "summary": summary}
