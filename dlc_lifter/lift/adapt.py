"""Session adaptation: make the lifted head the same rigid head in every frame of a session.

The lifting networks learned a head from the synthetic mouse; real labellers place the snout
and ears where their lab does (ear base, centre or tip; the tip of the snout or the top of
the nose), so a real head's keypoints can be further apart (or closer) than the synthetic
head's, and the networks answer with the wrong pitch. Over a whole session the animal's own
2D says how far apart they are: the skull is rigid, so the distance between two head
keypoints is the same in every frame, and when the head is level it shows whole in the
image. :func:`adapt_session` measures each head distance from the session (a high
percentile of its horizontal extent in the lifted 3D, never less than the lifted median)
and then moves the tracked head keypoints along their own camera rays (so the 2D is
reproduced exactly) until those distances hold in every frame, staying as close to the
network's heights as they allow and, between consecutive video frames, changing smoothly
(one least-squares fit over the session: Gauss-Newton, in chunks of :data:`CHUNK_FRAMES`).

Nothing is learned from the user's data beyond those few distances, and no network weight
changes: it is opt-in (``LiftOptions(adapt=True)``, ``dlc-lifter lift --adapt``) and the
output records what it measured and changed (``meta.extra["adapt"]``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

from dlc_lifter.mouse.catalogue import LANDMARKS

__all__ = ["CHUNK_FRAMES", "RIGID_HEAD", "AdaptOptions", "SessionAdaptation", "adapt_session"]

#: Frames fitted together (bounds the memory of long sessions: about 100 MB a chunk; the
#: smoothness is not carried across a chunk's edge).
CHUNK_FRAMES = 50_000

#: Head extents longer than their median by more than this many robust standard
#: deviations (1.4826 x the median absolute deviation, at least 1 mm) are mistracking, not
#: the head: they neither measure its length nor are held to it.
OUTLIER_SD = 4.0

#: Catalogue keypoints fixed to the skull (the pinna tips move, so they are left out).
RIGID_HEAD: tuple[str, ...] = tuple(
    lm.name for lm in LANDMARKS if lm.region == "head" and "ear_tip" not in lm.name)


@dataclass(frozen=True)
class AdaptOptions:
    """How the session adaptation measures and enforces the head's distances.

    Attributes
    ----------
    percentile
        Percentile of a head distance's horizontal extent over the session taken as its
        length (the head is level in some frames; a high percentile is robust to a few
        mistracked ones).
    min_frames
        Frames in which both keypoints of a pair must be tracked for the pair to be used.
    height_sd_mm
        How far (standard deviation, mm) a keypoint may move from the network's height.
    length_sd_mm
        How closely (standard deviation, mm) the head distances are held, before the
        tracking noise measured on each (added in quadrature).
    iterations
        Gauss-Newton iterations.
    smooth_mm_per_s
        How fast (standard deviation, mm per second) a keypoint's correction may change
        between consecutive video frames (1 mm per frame at 30 fps); 0 fits every frame
        alone.
    """

    percentile: float = 90.0
    min_frames: int = 20
    height_sd_mm: float = 10.0
    length_sd_mm: float = 2.0
    iterations: int = 10
    smooth_mm_per_s: float = 30.0


@dataclass
class SessionAdaptation:
    """What :func:`adapt_session` measured and changed for one animal.

    Attributes
    ----------
    points
        ``(T, K, 3)`` adapted 3D (mm), the input's frame and keypoints.
    lengths_mm
        Each head pair used (``"a-b"``) and the length it was held to.
    mean_shift_mm
        Mean absolute height change of the moved keypoints.
    reason
        Why nothing was changed (``None`` when adapted).
    """

    points: np.ndarray
    lengths_mm: dict[str, float]
    mean_shift_mm: float
    reason: str | None = None

    def record(self) -> dict[str, Any]:
        """A JSON-ready summary for the output's metadata."""
        return {"adapted": self.reason is None, "reason": self.reason,
                "head_lengths_mm": {k: round(v, 2) for k, v in self.lengths_mm.items()},
                "mean_height_shift_mm": round(self.mean_shift_mm, 3)}


def adapt_session(points: np.ndarray, tracked: np.ndarray, names: list[str] | tuple[str, ...],
                  camera_centre: np.ndarray, *, continuous: np.ndarray | None = None,
                  fps: float | None = None, options: AdaptOptions | None = None
                  ) -> SessionAdaptation:
    """Adapt one animal's lifted session to its own head (see the module docstring).

    Parameters
    ----------
    points
        ``(T, K, 3)`` lifted 3D (mm; world frame, z up, floor z = 0), NaN where missing.
    tracked
        ``(T, K)`` bool: the keypoint was tracked (its point lies on its ray); only these
        move.
    names
        Catalogue name of each of the ``K`` keypoints.
    camera_centre
        ``(3,)`` the camera's centre in the same frame (the rays start there).
    continuous
        ``(T,)`` bool: row ``t`` is the video frame right after row ``t - 1``. Where a
        session has such frames, the tracking noise of each distance is measured from its
        frame-to-frame changes and taken off the percentile (noise widens the spread of
        distances, so their upper percentile overstates the length); labelled frames
        (``None``, all ``False``) are taken as noise-free. Between such frames the
        corrections are also kept smooth (``AdaptOptions.smooth_mm_per_s``).
    fps
        Frame rate of the session (for the smoothness; ``None``: 30).
    options
        :class:`AdaptOptions` (default settings when ``None``).

    Returns
    -------
    SessionAdaptation
        The adapted points (a copy) and what was measured.
    """
    opt = options or AdaptOptions()
    pts = np.array(points, dtype=float, copy=True)
    ok = np.asarray(tracked, bool) & np.isfinite(pts).all(-1)
    cont = (np.zeros(len(pts), bool) if continuous is None
            else np.asarray(continuous, bool))
    head = [k for k, n in enumerate(names) if n in RIGID_HEAD]
    pairs, lengths = [], {}
    for a_i, a in enumerate(head):
        for b in head[a_i + 1:]:
            both = ok[:, a] & ok[:, b]
            if both.sum() < opt.min_frames:
                continue
            d = pts[both, a] - pts[both, b]
            horiz = np.linalg.norm(d[:, :2], axis=-1)
            inlier = _inliers(horiz)
            upper, noise = _upper_length(horiz, inlier, np.flatnonzero(both), cont, opt)
            length = max(upper, float(np.median(np.linalg.norm(d[inlier], axis=-1))))
            held = np.zeros(len(pts), bool)  # frames where the pair is the head, not a mistrack
            held[np.flatnonzero(both)[inlier]] = True
            pairs.append((a, b, length, math.hypot(opt.length_sd_mm, noise), held))
            lengths[f"{names[a]}-{names[b]}"] = length
    if not pairs:
        reason = (f"fewer than {opt.min_frames} frames track two of the head's keypoints "
                  f"({', '.join(RIGID_HEAD)})")
        return SessionAdaptation(pts, {}, 0.0, reason)
    moved = sorted({k for a, b, *_ in pairs for k in (a, b)})
    smooth_sd = opt.smooth_mm_per_s / (fps if fps and fps > 0 else 30.0)
    centre = np.asarray(camera_centre, float)
    new = pts[:, moved].copy()
    for s in range(0, len(pts), CHUNK_FRAMES):
        e = s + CHUNK_FRAMES
        fit_pairs = [(moved.index(a), moved.index(b), ln, sd, held[s:e])
                     for a, b, ln, sd, held in pairs]
        new[s:e] = _fit_heights(pts[s:e, moved], ok[s:e, moved], centre, fit_pairs,
                                cont[s:e], smooth_sd, opt)
    shift = np.abs(new[..., 2] - pts[:, moved, 2])[ok[:, moved]]
    pts[:, moved] = np.where(ok[:, moved, None], new, pts[:, moved])
    return SessionAdaptation(pts, lengths, float(shift.mean()) if shift.size else 0.0)


def _inliers(horiz: np.ndarray) -> np.ndarray:
    """Extents no more than ``OUTLIER_SD`` robust standard deviations (1.4826 x the median
    absolute deviation, at least 1 mm) above their median; longer ones are mistracking.
    Short ones are kept: a head pitched steeply shows short from above."""
    med = float(np.median(horiz))
    spread = max(1.4826 * float(np.median(np.abs(horiz - med))), 1.0)
    return horiz - med <= OUTLIER_SD * spread


def _upper_length(horiz: np.ndarray, inlier: np.ndarray, rows: np.ndarray,
                  continuous: np.ndarray, opt: AdaptOptions) -> tuple[float, float]:
    """The pair's length from its horizontal extents and the tracking noise on it (mm).

    The length is the ``percentile`` of the ``inlier`` extents (the others are a swapped
    or lost keypoint), less what the noise adds to that percentile; the noise (one frame's
    standard deviation) is measured from frame-to-frame changes where consecutive frames
    exist, and is 0 otherwise.
    """
    value = float(np.percentile(horiz[inlier], opt.percentile))
    step = np.diff(horiz)[(np.diff(rows) == 1) & continuous[rows[1:]]]
    noise = 0.0
    if step.size >= opt.min_frames:
        # robust SD of one frame's noise from frame-to-frame changes (difference of two)
        noise = 1.4826 * float(np.median(np.abs(step - np.median(step)))) / math.sqrt(2)
        value -= NormalDist().inv_cdf(opt.percentile / 100.0) * noise
    return value, noise


def _fit_heights(p0: np.ndarray, ok: np.ndarray, centre: np.ndarray,
                 pairs: list[tuple[int, int, float, float, np.ndarray]], continuous: np.ndarray,
                 smooth_sd: float, opt: AdaptOptions) -> np.ndarray:
    """Points on their rays whose pair distances fit ``pairs``, heights near ``p0``'s.

    ``pairs`` holds ``(a, b, length, sd, held)``, ``held`` the ``(T,)`` frames where the
    pair is held to its length. Minimises ``sum ((h - h0) / height_sd)^2 +
    sum ((|P_a - P_b| - length) / sd)^2`` over the heights ``h`` of the tracked points,
    plus, between consecutive frames (``continuous``), ``sum ((c_t - c_{t-1}) /
    smooth_sd)^2`` on the corrections ``c = h - h0``, so noisy 2D does not make the
    correction jitter. Gauss-Newton on every frame at once: the normal equations are banded
    (each frame's keypoints, and the same keypoint in the next frame), solved by
    :func:`scipy.linalg.solve_banded`. Untracked points and pairs drop out.
    """
    from scipy.linalg import solve_banded

    t, m = ok.shape
    p0 = np.where(ok[..., None], p0, 0.0)
    dz = p0[..., 2] - centre[2]
    safe = ok & (np.abs(dz) > 1e-6)
    # d P / d h: the ray's direction scaled to a unit rise (points move along their rays)
    u = np.where(safe[..., None], (p0 - centre) / np.where(safe, dz, 1.0)[..., None], 0.0)
    h0 = p0[..., 2].copy()
    h = h0.copy()
    w_h = 1.0 / opt.height_sd_mm
    # smoothness links (t - 1, k) -> (t, k) where both are tracked in consecutive frames
    link = np.zeros((t, m), bool)
    link[1:] = safe[1:] & safe[:-1] & np.asarray(continuous, bool)[1:, None]
    w_s = 1.0 / smooth_sd**2 if smooth_sd > 0 else 0.0
    rows = np.arange(t)[:, None] * m + np.arange(m)[None, :]
    for _ in range(opt.iterations):
        p = p0 + (h - h0)[..., None] * u
        jac = np.zeros((t, len(pairs), m))
        r = np.zeros((t, len(pairs)))
        for q, (a, b, length, sd, held) in enumerate(pairs):
            use = safe[:, a] & safe[:, b] & held
            d = p[:, a] - p[:, b]
            dist = np.maximum(np.linalg.norm(d, axis=-1), 1e-6)
            r[:, q] = np.where(use, (dist - length) / sd, 0.0)
            jac[:, q, a] = np.where(use, np.sum(d * u[:, a], -1) / dist / sd, 0.0)
            jac[:, q, b] = np.where(use, -np.sum(d * u[:, b], -1) / dist / sd, 0.0)
        c = h - h0
        # normal equations: per-frame blocks (prior + pairs), then the smoothness links
        blocks = np.einsum("tqi,tqj->tij", jac, jac)
        blocks[:, np.arange(m), np.arange(m)] += np.where(safe, w_h**2, 1.0)
        grad = np.einsum("tqi,tq->ti", jac, r) + np.where(safe, w_h**2 * c, 0.0)
        diff = np.where(link, c - np.roll(c, 1, axis=0), 0.0)
        grad += w_s * diff
        grad[:-1] -= w_s * diff[1:]
        n_links = link.astype(float)
        n_links[:-1] += link[1:]
        blocks[:, np.arange(m), np.arange(m)] += w_s * n_links
        band = np.zeros((2 * m + 1, t * m))
        for k1 in range(m):
            for k2 in range(m):
                band[m + k1 - k2, rows[:, k2]] = blocks[:, k1, k2]
        # coupling of (t, k) with (t - 1, k): m rows below and above the diagonal
        band[2 * m, rows[:-1].ravel()] = -w_s * link[1:].ravel()
        band[0, rows[1:].ravel()] = -w_s * link[1:].ravel()
        step = solve_banded((m, m), band, -grad.ravel()).reshape(t, m)
        h = np.where(safe, np.maximum(h + step, 0.0), h0)
    return p0 + (h - h0)[..., None] * u
