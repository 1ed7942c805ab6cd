"""Which side the camera sees the animal from: left and right keypoints as seen from above.

Seen from above, an animal's left side is to the left of its nose-to-tail axis: on the
floor (world ``z`` up), ``cross(forward, left - right)`` points up. Seen from below (a
camera under a transparent floor, as in B-SOiD's and LUPE's rigs) or in a mirrored video,
every left keypoint lands on the right and the cross product points down in nearly every
frame. With no calibration, :func:`~dlc_lifter.lift.lift_poses` lifts such a file as filmed
from below (``view="auto"``); where the camera is given above the floor (a calibration, or
``view="above"``), a file whose sides are mirrored is warned about, naming the file and
what to do. (Trackers that swap a pair now and then, or labellers who name sides by the
image rather than the animal, leave the vote near even.)

From above or below, the left and right keypoints of a pair lie on either side of that
axis; from the side (a beam, a treadmill or a corridor filmed side on) both lie on the same
side of it, below the back (paws) or above it (ears), in nearly every frame.
:func:`warn_if_side_view` counts those frames in the image itself (a camera's floor would
bend a side view's rays) and, from :data:`SIDE_ON_SHARE` of them, says once, naming the
file, that it looks filmed from the side and its heights will not be meaningful; the lift
goes on (``meta.extra["side_view"]``)."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np

from dlc_lifter.camera import Camera
from dlc_lifter.mouse.catalogue import CATALOGUE
from dlc_lifter.nets.lifter import AP_COORD, MIRROR, floor_points

__all__ = ["MIN_FRAMES", "SIDE_ON_SHARE", "Handedness", "measure_handedness", "warn_if_mirrored",
           "warn_if_side_view"]

logger = logging.getLogger(__name__)

#: Left keypoints whose side the body holds: head, trunk and paws (paws cross under the
#: body now and then, but hold their side in most frames; a view from below, as B-SOiD's,
#: may track nothing else with a side).
_SIDE_PAIRS: tuple[tuple[int, int], ...] = tuple(
    (i, int(MIRROR[i])) for i, n in enumerate(CATALOGUE)
    if n in ("left_eye", "left_ear", "left_ear_tip", "left_shoulder", "left_midside",
             "left_hip", "left_forepaw", "left_hindpaw"))
#: Left keypoints of the pairs that tell a side view: not the body's middle (shoulders,
#: flanks), which a bent body carries off its nose-to-tail line, both of a pair on its
#: outer side, as seen from above.
_SIDE_ON_LEFT = frozenset(i for i, _ in _SIDE_PAIRS
                          if CATALOGUE[i] not in ("left_shoulder", "left_midside"))
#: Keypoints ahead of the body's middle (head, neck) and behind it (rear trunk, tail base).
_FRONT = np.flatnonzero(AP_COORD >= 0.55)
_BACK = np.flatnonzero((AP_COORD <= -0.15) & (AP_COORD >= -0.6))
#: Shortest axis and side separation (mm on the floor) for a frame to vote.
_MIN_MM = 3.0
#: Share of voting frames seen mirrored above which the file is warned about.
MIRRORED_SHARE = 0.8
#: Fewest voting frames for a verdict.
MIN_FRAMES = 10
#: Share of the frames with a left/right pair off the body's axis in which both keypoints
#: of the pair lie on one side of it, from which a file looks filmed from the side: real
#: top and bottom views lie far below it and a corridor's side view far above; a freely
#: moving mouse filmed side on, heading to and from the camera too, lies between and is
#: not told (measured in ``docs/formats.md``, "Keypoint names", its "Side views"
#: paragraph).
SIDE_ON_SHARE = 0.7
#: A keypoint this share of the axis' length or more from the axis' line lies on one side
#: of it (nearer, on the line: no side).
_OFF_AXIS = 0.05
#: Most frames looked at (evenly spaced over a longer file: the vote needs no more, and
#: the check stays a few ms on a lift of 100 000 frames).
MAX_FRAMES = 5000


@dataclass(frozen=True)
class Handedness:
    """How a file's left and right keypoints lie as seen from the camera.

    Attributes
    ----------
    frames
        Frames (over every individual; at most :data:`MAX_FRAMES` looked at, evenly
        spaced) with a nose-to-tail axis and a left/right pair.
    mirrored
        How many of them have the left side to the right of the axis as seen from above.
    sided
        Frames with a nose-to-tail axis and a left/right pair (eyes, ears, hips or paws)
        both off its line (at least 5 % of the axis' length).
    side_on
        How many of them have more pairs with both keypoints on one side of the axis than
        on either side: a side view's frames.
    """

    frames: int
    mirrored: int
    sided: int = 0
    side_on: int = 0

    @property
    def share(self) -> float:
        """Share of the voting frames seen mirrored (NaN with none)."""
        return self.mirrored / self.frames if self.frames else float("nan")

    @property
    def side_on_share(self) -> float:
        """Share of the ``sided`` frames seen side on (NaN with none)."""
        return self.side_on / self.sided if self.sided else float("nan")

    @property
    def looks_side_on(self) -> bool:
        """Enough frames with a pair off the axis, and most of them side on."""
        return self.sided >= MIN_FRAMES and self.side_on_share >= SIDE_ON_SHARE

    @property
    def looks_mirrored(self) -> bool:
        """Enough frames, and nearly all of them mirrored."""
        return self.frames >= MIN_FRAMES and self.share >= MIRRORED_SHARE


def measure_handedness(uv_cat: np.ndarray, ok: np.ndarray, camera: Camera | None = None
                       ) -> Handedness:
    """Count the frames whose left keypoints lie to the right of the body as seen from above.

    Parameters
    ----------
    uv_cat
        ``(..., K, 2)`` pixels in catalogue order (any leading shape: frames, individuals).
    ok
        ``(..., K)`` bool: the keypoints tracked above the likelihood cutoff.
    camera
        The camera the pixels are from (the floor is ``z = 0``, world ``z`` up); None: a
        camera straight above the floor (image ``v`` pointing down), for a file whose
        camera is not known yet.

    Returns
    -------
    Handedness
    """
    uv = np.asarray(uv_cat, dtype=np.float64).reshape(-1, len(CATALOGUE), 2)
    good = np.asarray(ok, bool).reshape(-1, len(CATALOGUE))
    if len(uv) > MAX_FRAMES:
        rows = np.linspace(0, len(uv) - 1, MAX_FRAMES).round().astype(np.int64)
        uv, good = uv[rows], good[rows]
    good = good & np.isfinite(uv).all(-1)
    if not good[:, [p[0] for p in _SIDE_PAIRS]].any():
        return Handedness(0, 0)
    floor = (floor_points(uv, camera) if camera is not None
             else np.stack([uv[..., 0], -uv[..., 1]], -1))
    floor = np.where(good[..., None], floor, np.nan)
    with warnings.catch_warnings():  # frames with no front or back point: NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        front = np.nanmean(floor[:, _FRONT], axis=1)
        back = np.nanmean(floor[:, _BACK], axis=1)
    axis = front - back
    length = np.linalg.norm(axis, axis=-1)
    votes, together, apart = np.zeros(len(uv)), np.zeros(len(uv)), np.zeros(len(uv))
    for left, right in _SIDE_PAIRS:
        side = floor[:, left] - floor[:, right]
        cross = axis[:, 0] * side[:, 1] - axis[:, 1] * side[:, 0]
        usable = (np.isfinite(cross) & (np.linalg.norm(side, axis=-1) > _MIN_MM)
                  & (length > _MIN_MM))
        votes += np.where(usable, np.sign(cross), 0.0)
        off_l, off_r = (_off_axis(floor[:, k], back, axis, length) for k in (left, right))
        off = ((np.abs(off_l) >= _OFF_AXIS) & (np.abs(off_r) >= _OFF_AXIS)
               & (length > _MIN_MM) & (left in _SIDE_ON_LEFT))
        together += off & (np.sign(off_l) == np.sign(off_r))
        apart += off & (np.sign(off_l) != np.sign(off_r))
    voting, sided = votes != 0, together + apart > 0
    return Handedness(int(voting.sum()), int((votes[voting] < 0).sum()), int(sided.sum()),
                      int((together > apart).sum()))


def _off_axis(points: np.ndarray, back: np.ndarray, axis: np.ndarray, length: np.ndarray
              ) -> np.ndarray:
    """``(F,)`` signed distance of ``points`` (``(F, 2)``) from the line through ``back``
    along ``axis``, in shares of the axis' ``length`` (positive: to its left; NaN where
    either is missing)."""
    rel = points - back
    with np.errstate(invalid="ignore", divide="ignore"):
        return (axis[:, 0] * rel[:, 1] - axis[:, 1] * rel[:, 0]) / (length * length)


def warn_if_mirrored(uv_cat: np.ndarray, ok: np.ndarray, camera: Camera, source: str,
                     *, view_told: bool = False) -> Handedness:
    """:func:`measure_handedness`, with one warning naming ``source`` where it is mirrored
    (``view_told``: the camera is below the floor because ``view="below"`` said so, not a
    calibration)."""
    hand = measure_handedness(uv_cat, ok, camera)
    if hand.looks_mirrored and camera.below_floor and view_told:
        logger.warning(
            "%s: lifted as filmed from below (view=below), but in %d of %d frames looked at "
            "the animal's left keypoints lie on its right as seen from below: the file looks "
            "filmed from above. Lift it with view=auto (or above), so the heights are right; "
            "or, if it was filmed from below, left and right are named the other way round "
            "(swap them in a keypoint map).", source, hand.mirrored, hand.frames)
    elif hand.looks_mirrored and camera.below_floor:
        logger.warning(
            "%s: the camera is below the floor (z < 0 in its world) and in %d of %d frames "
            "looked at the animal's left keypoints lie on its right in that world: the "
            "calibration's z axis points down, it seems, with the camera above the floor. "
            "dlc-lifter's world has z up and the floor at z = 0: give a calibration in that "
            "frame, or lift with view=above, which turns its world over. (A camera truly "
            "under a glass floor sees the sides the right way round there.)", source,
            hand.mirrored, hand.frames)
    elif hand.looks_mirrored:
        logger.warning(
            "%s: in %d of %d frames looked at the animal's left keypoints lie on its right "
            "as seen from above: the video is mirrored, or filmed from below (through the floor), "
            "or left and right are named the other way round; the camera is above the floor "
            "here, so the heights are not right. Filmed from below: lift with view=below, "
            "or a calibration of the camera below. A mirrored video, or "
            "names the other way round: swap left and right in a keypoint map "
            "(--keypoint-map: each left name mapped to the catalogue's right one).",
            source, hand.mirrored, hand.frames)
    return hand


def warn_if_side_view(uv_cat: np.ndarray, ok: np.ndarray, source: str) -> Handedness:
    """:func:`measure_handedness` in the image (no camera), with one warning naming
    ``source`` where the file looks filmed from the side (:attr:`Handedness.looks_side_on`)."""
    hand = measure_handedness(uv_cat, ok)
    if hand.looks_side_on:
        logger.warning(
            "%s: looks filmed from the side: in %d of %d frames looked at the animal's left "
            "and right keypoints (ears, eyes, paws...) lie on the same side of its "
            "nose-to-tail line, as a side view shows them (both below or above the back); "
            "seen from above or below they lie on either side. dlc-lifter lifts mice filmed "
            "from above (or below a glass floor): the file is lifted, but its heights will "
            "not be meaningful. If it was filmed from above, its left and right names point at "
            "keypoints of one side: check them (a keypoint map renames).", source,
            hand.side_on, hand.sided)
    return hand
