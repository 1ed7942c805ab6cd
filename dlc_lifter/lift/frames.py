"""Which pose rows form a video: runs of consecutive frames, and the motion between rows.

The temporal networks see a window of consecutive frames; rows that are not consecutive
(labelled images, frames sampled from a recording) are lifted run by run, and frames
alone with the per-frame network. :func:`frame_runs` splits the rows by their frame
numbers; :func:`motion_between_rows` tells frames sampled from a recording from a video
even when their numbers are consecutive.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "MAX_CONTINUOUS_JUMP",
    "MAX_CONTINUOUS_SPEED",
    "describe_runs",
    "frame_runs",
    "motion_between_rows",
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


#: Median motion between consecutive rows (body sizes) above which rows are not a video...
MAX_CONTINUOUS_JUMP = 0.1
#: ... when also faster than this (body sizes per second; real sessions: about 1).
MAX_CONTINUOUS_SPEED = 4.0


def motion_between_rows(uv_cat: np.ndarray, conf_cat: np.ndarray, pcutoff: float) -> float:
    """Median motion of the tracked keypoints from one row to the next, in body lengths.

    Parameters
    ----------
    uv_cat, conf_cat
        ``(T, N, K, 2)`` pixels and ``(T, N, K)`` likelihoods, catalogue order.
    pcutoff
        Keypoints below this likelihood are not used.

    Returns
    -------
    float
        Median over rows (and individuals) of the median keypoint displacement, divided
        by the median 2D size of the body (the diagonal of its keypoints' bounding box);
        0 when it cannot be measured. A filmed animal moves a small fraction of its size
        from one frame to the next; frames sampled from a recording (labelled frames)
        jump by a large fraction of it.
    """
    ok = np.isfinite(uv_cat).all(-1) & (np.nan_to_num(conf_cat) >= pcutoff)
    uv = np.where(ok[..., None], uv_cat, np.nan)
    if uv.shape[0] < 3:
        return 0.0
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        step = np.nanmedian(np.linalg.norm(np.diff(uv, axis=0), axis=-1), axis=-1)
        lo, hi = np.nanmin(uv, axis=2), np.nanmax(uv, axis=2)
        spread = np.nanmedian(np.linalg.norm(hi - lo, axis=-1))
        jump = np.nanmedian(step)
    if not (np.isfinite(jump) and np.isfinite(spread) and spread > 0):
        return 0.0
    return float(jump / spread)


def describe_runs(runs: list[tuple[int, int]], mode: str) -> dict[str, Any]:
    """How a lift used the networks, for ``meta.extra["lift_mode"]``.

    Parameters
    ----------
    runs
        Row ranges ``[a, b)`` lifted together (:func:`frame_runs`).
    mode
        The network mode asked for runs of consecutive frames.

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
        summary = f"frames not consecutive: each of the {n} frames lifted alone (frame network)"
    else:
        summary = (f"{len(runs)} runs of consecutive frames, each lifted alone ({mode} "
                   f"network); {alone} frames alone with the frame network")
    return {"requested": mode, "runs": len(runs), "frames_alone": alone, "summary": summary}
