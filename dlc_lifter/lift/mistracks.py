"""Detections the animal's body cannot hold: confident mistracks, lifted as untracked.

A tracker sometimes puts a keypoint on something else (another animal, an object, the
set-up's edge) with a high likelihood, and the ``pcutoff`` keeps it. The networks then
read a body hundreds of pixels long, and the rest of the animal comes out wrong with it,
the head lifted far above anything a mouse reaches (a real elevated-plus-maze file:
``docs/results.md``, "Real mice: confident mistracks lifted as untracked; corners that are
not the arena's").

:func:`mistracked` measures, per individual, each keypoint's distance from the median of
the frame's tracked keypoints, and over the session that distance's median (the
keypoint's usual reach from the body's middle, at least :data:`MIN_USUAL_SHARE` of the
body's radius). A detection farther than :data:`REACH_FACTOR` times its keypoint's usual
reach plus the body's own median radius
(the median over the frames of their tracked keypoints' median distance from the middle)
is one no posture gives: stretched, rearing or curled mice stay well inside (rears and
curls bring keypoints closer to the middle, a stretch lengthens the body by a third at
most). Such detections are lifted as untracked: the networks impute them from the rest,
their likelihood in the output is 0, the log says how many, and the metadata keeps the
count (``meta.extra["mistracked"]``). Frames tracking fewer than :data:`MIN_KEYPOINTS`
keypoints are not judged (their middle is not robust), nor keypoints tracked in fewer than
:data:`MIN_FRAMES` judged frames. Live lifting measures the reach (:class:`BodyReach`) on
its first frames and judges every frame after them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from dlc_lifter.mouse.catalogue import CATALOGUE

__all__ = ["MAX_BODY_LENGTHS", "MIN_FRAMES", "MIN_KEYPOINTS", "MIN_USUAL_SHARE", "REACH_FACTOR",
           "BodyReach", "body_length", "drop_mistracks", "mistracked"]

logger = logging.getLogger(__name__)

#: A detection farther from the body's middle than this many times its keypoint's usual
#: distance (plus the body's median radius) is a mistrack.
REACH_FACTOR = 3.0
#: Tracked keypoints a frame needs for its middle (their median) to judge them: the
#: median of three points is one of them in each coordinate, so one far detection cannot
#: move it. With four, a file tracking DLC's openfield four goes unjudged in every frame
#: that loses one of them, and a nose tracked on a fixed spot far from the animal lifts
#: points far up (``docs/results.md``, "Real mice: the floor's scale as a lab measures it").
MIN_KEYPOINTS = 3
#: A keypoint's usual distance is taken as at least this share of the body's radius. The
#: frame's middle is the median of the keypoints it tracks, so it moves as keypoints come
#: and go; a keypoint that is itself the middle in most frames (the neck of a file tracking
#: ``Nose, Neck, Butt`` and now and then the tail's tip) has a usual distance near 0 and
#: would be judged mistracked wherever a fourth point moved the middle off it (as in a real
#: four-point DeepLabCut project whose frames labelled with the tail's tip lost the neck).
MIN_USUAL_SHARE = 0.5
#: Judged frames a keypoint needs for its usual distance to be known.
MIN_FRAMES = 20
#: However usual, no detection lies farther from the body's middle than this many times
#: the animal's length (its median nose-to-tail-base distance in the image): a tail held
#: straight out behind a stretched mouse reaches about 1.9. A keypoint mistracked in most
#: frames makes its mistracked distance its usual one (as a real SuperAnimal tail end
#: found far beyond the tail base in most of a session's frames: ``docs/results.md``, "Real
#: files from ten more sources, lifted as their users would; the neck on the head's line,
#: screened").
MAX_BODY_LENGTHS = 2.5

_NOSE, _TAIL_BASE = CATALOGUE.index("nose"), CATALOGUE.index("tail_base")


@dataclass(frozen=True)
class BodyReach:
    """How far each keypoint of one animal usually lies from its body's middle.

    Attributes
    ----------
    usual
        ``(K,)`` median distance (px) of each keypoint from the median of its frame's
        tracked keypoints; NaN where tracked in fewer than :data:`MIN_FRAMES` frames. Judged
        as at least :data:`MIN_USUAL_SHARE` of ``radius``.
    radius
        The body's median radius (px): the median over the frames of their tracked
        keypoints' median distance from the middle.
    length
        The animal's median length (px, nose to tail base; NaN where unknown): no detection
        lies farther than :data:`MAX_BODY_LENGTHS` of it from the middle.
    """

    usual: np.ndarray
    radius: float
    length: float = float("nan")

    @classmethod
    def measure(cls, uv: np.ndarray, tracked: np.ndarray) -> BodyReach | None:
        """The reach over a session's frames (``None`` with fewer than
        :data:`MIN_FRAMES` frames tracking :data:`MIN_KEYPOINTS` keypoints).

        Parameters
        ----------
        uv
            ``(T, K, 2)`` pixels of one individual's keypoints (NaN where missing).
        tracked
            ``(T, K)`` bool: detections above the likelihood cutoff.
        """
        _, dist = _distances(uv, tracked)
        return cls._from_distances(dist, uv.shape[1], body_length(uv, tracked))

    @classmethod
    def _from_distances(cls, dist: np.ndarray, n_keypoints: int,
                        length: float = float("nan")) -> BodyReach | None:
        if len(dist) < MIN_FRAMES:
            return None
        usual = np.full(n_keypoints, np.nan)
        known = np.isfinite(dist).sum(axis=0) >= MIN_FRAMES
        usual[known] = _nanmedian(dist[:, known], axis=0)
        return cls(usual, float(np.median(_nanmedian(dist, axis=1))), length)

    def judge(self, uv: np.ndarray, tracked: np.ndarray) -> np.ndarray:
        """``(T, K)`` bool: tracked detections farther from their frame's middle than
        :data:`REACH_FACTOR` times their usual distance (at least :data:`MIN_USUAL_SHARE`
        of the body's radius) plus the body's radius (frames
        tracking fewer than :data:`MIN_KEYPOINTS` keypoints are not judged)."""
        judged, dist = _distances(uv, tracked)
        return self._judge_distances(judged, dist, np.shape(tracked))

    def _judge_distances(self, judged: np.ndarray, dist: np.ndarray,
                         shape: tuple[int, ...]) -> np.ndarray:
        out = np.zeros(shape, bool)
        with np.errstate(invalid="ignore"):
            usual = np.maximum(self.usual, MIN_USUAL_SHARE * self.radius)  # NaN stays NaN
            reach = np.fmin(REACH_FACTOR * usual + self.radius,
                            MAX_BODY_LENGTHS * self.length)  # NaN: the other
            out[judged] = dist > reach  # NaN: False
        return out


def body_length(uv: np.ndarray, tracked: np.ndarray) -> float:
    """The median nose-to-tail-base distance (px) of ``(T, len(CATALOGUE), 2)`` catalogue
    pixels over the frames tracking both (NaN in fewer than :data:`MIN_FRAMES`, or for
    arrays not in catalogue order)."""
    uv = np.asarray(uv, dtype=float)
    if uv.ndim != 3 or uv.shape[1] != len(CATALOGUE):
        return float("nan")
    both = (np.asarray(tracked, bool)[:, [_NOSE, _TAIL_BASE]].all(axis=1)
            & np.isfinite(uv[:, [_NOSE, _TAIL_BASE]]).all(axis=(1, 2)))
    if both.sum() < MIN_FRAMES:
        return float("nan")
    return float(np.median(np.linalg.norm(uv[both, _NOSE] - uv[both, _TAIL_BASE], axis=-1)))


def _nanmedian(a: np.ndarray, axis: int) -> np.ndarray:
    """``np.nanmedian`` along ``axis`` of a 2-D array (NaN where all are NaN), by sorting:
    many times faster than numpy's on long sessions."""
    srt = np.sort(a, axis=axis)  # NaN last
    n = np.isfinite(a).sum(axis=axis)
    lo = np.expand_dims(np.maximum(n - 1, 0) // 2, axis)
    hi = np.expand_dims(np.maximum(n, 1) // 2, axis)
    hi = np.minimum(hi, a.shape[axis] - 1)
    med = 0.5 * (np.take_along_axis(srt, lo, axis) + np.take_along_axis(srt, hi, axis))
    med = np.squeeze(med, axis)
    return np.where(n > 0, med, np.nan)


def _distances(uv: np.ndarray, tracked: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The judged frames ``(T,)`` (tracking at least :data:`MIN_KEYPOINTS` keypoints) and
    their ``(T', K)`` distances from the frame's middle (NaN where not tracked)."""
    uv = np.asarray(uv, dtype=float)
    tracked = np.asarray(tracked, bool) & np.isfinite(uv).all(-1)
    judged = tracked.sum(axis=1) >= MIN_KEYPOINTS
    pts = np.where(tracked[judged, :, None], uv[judged], np.nan)
    middle = np.stack([_nanmedian(pts[..., 0], 1), _nanmedian(pts[..., 1], 1)], axis=-1)
    return judged, np.linalg.norm(pts - middle[:, None], axis=-1)


def mistracked(uv: np.ndarray, tracked: np.ndarray) -> np.ndarray:
    """Detections farther from the rest of the animal than its body reaches, judged by the
    reach of the same frames (:class:`BodyReach`).

    Parameters
    ----------
    uv
        ``(T, K, 2)`` pixels of one individual's keypoints (NaN where missing).
    tracked
        ``(T, K)`` bool: detections above the likelihood cutoff.

    Returns
    -------
    numpy.ndarray
        ``(T, K)`` bool: tracked detections that no posture of this animal puts there.
    """
    tracked = np.asarray(tracked, bool)
    out = np.zeros(tracked.shape, bool)
    cols = np.flatnonzero(tracked.any(axis=0))  # keypoints never tracked play no part
    if len(cols) < MIN_KEYPOINTS:
        return out
    judged, dist = _distances(np.asarray(uv)[:, cols], tracked[:, cols])
    reach = BodyReach._from_distances(dist, len(cols), body_length(uv, tracked))
    if reach is not None:
        out[:, cols] = reach._judge_distances(judged, dist, (len(tracked), len(cols)))
    return out


def drop_mistracks(uv_cat: np.ndarray, c_cat: np.ndarray, pcutoff: float,
                   source: str | None = None, names: Mapping[str, str] | None = None
                   ) -> tuple[np.ndarray, dict[str, int]]:
    """Likelihoods with every individual's confident mistracks (:func:`mistracked`) set to
    0, and how many there were per catalogue keypoint.

    One step for every offline lift: :func:`~dlc_lifter.lift.lift_poses`, the camera it
    would choose (:func:`~dlc_lifter.lift.camera_choice.lift_camera`) and the depth path's
    crops judge the same detections.

    Parameters
    ----------
    uv_cat, c_cat
        ``(T, N, len(CATALOGUE), 2)`` pixels and ``(T, N, len(CATALOGUE))`` likelihoods
        in catalogue order (N individuals).
    pcutoff
        Likelihood cutoff: detections below it are untracked already.
    source
        The file, named in a warning when there are mistracks (``None``: not logged).
    names
        ``{catalogue name: the file's name}``: the warning names the file's keypoints.

    Returns
    -------
    c_cat : numpy.ndarray
        A copy with the mistracks' likelihoods 0.
    counts : dict
        ``{catalogue name: detections}``.
    """
    c_cat = np.array(c_cat, dtype=float, copy=True)
    tracked = np.nan_to_num(c_cat) >= pcutoff
    counts: dict[str, int] = {}
    frames = np.zeros(len(c_cat), bool)
    for i in range(c_cat.shape[1]):
        mis = mistracked(uv_cat[:, i], tracked[:, i])
        c_cat[:, i][mis] = 0.0
        frames |= mis.any(axis=1)
        for k in np.flatnonzero(mis.any(axis=0)):
            counts[CATALOGUE[k]] = counts.get(CATALOGUE[k], 0) + int(mis[:, k].sum())
    if counts and source is not None:
        logger.warning("%s: %d detections in %d frames lie farther from the rest of the animal "
                       "than its body reaches (%s); lifted as untracked: their 3D imputed, "
                       "flagged in the output's 'imputed' and 'likelihood' (0) records (the "
                       ".h5's datasets, the meta pickle). Check the tracking of those frames.",
                       source,
                       sum(counts.values()), int(frames.sum()),
                       ", ".join(f"{(names or {}).get(k, k)} {n}"
                                 for k, n in sorted(counts.items(), key=lambda kv: -kv[1])))
    return c_cat, counts
