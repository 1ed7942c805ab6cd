"""The camera of a recording: from a calibration, given numbers, or estimated.

Camera resolution (:func:`resolve_camera`), in order of preference:

1. ``calibration`` (anipose TOML, ``camera`` picks one of several): the world frame of
   the calibration (z up, floor at z = 0, mm); tilted cameras are handled exactly. A
   calibration whose world frame cannot be the floor's (the camera at the origin, as
   one-camera files put it, or not facing the floor:
   :meth:`~dlc_lifter.camera.Camera.floor_problem`) gives its intrinsics only; the camera
   is then placed by the rules below with the calibration's focal length (warned).
2. ``camera_height_mm`` with ``focal_px``: a straight-down camera; output in the
   *camera-floor* frame (origin on the floor below the camera, x along u, y along -v).
3. ``arena_size_mm`` (a side, or ``(width, height)`` of a rectangle, width along the
   image's top side) with all four arena corners tracked (``arena_px``): the corners are
   the floor's rectangle, so their homography gives the camera's pose, tilted or not, with
   square pixels (:func:`corner_camera`); the output is in the *arena* frame (origin at
   the arena's centre on the floor, ``x`` towards its right side in the image, ``y``
   towards its top side, ``z`` up). The focal length is ``focal_px``, else the one
   that puts the camera ``camera_height_mm`` above the floor, else the one the corners'
   perspective gives when the camera is tilted enough to show it
   (:data:`CORNER_FOCAL_MIN_TILT_DEG`), else a typical lens's. Corners that no
   square-pixel camera draws (residual above :func:`corner_tolerance_px`) fall through
   to the next rule.
4. ``arena_size_mm`` otherwise: the arena's side in pixels is the mean side of the quadrilateral
   of its tracked corners (``arena_px``; a square arena that is wider than tall in the
   image means non-square pixels, and the camera gets that aspect ratio; corners that
   would need pixels further from square than :data:`MAX_PIXEL_ASPECT` are not the
   arena's, and are not used: :func:`corners_unlike_arena`), else it is
   measured from the spread of the tail base over the session (0.5-99.5 percentile of
   ``u`` and of ``v``, the larger of the two; mice in open-field sessions reach the walls;
   every tracked keypoint's spread where the tail base is not tracked), giving mm per pixel
   on the floor (a floor scale given, ``floor_mm_per_px``, is taken instead of the
   spread). A spread that would make the animal outside :data:`SPREAD_LENGTH_RANGE` of a
   real mouse's length is not the arena's: the arena's size is not used (warned, and
   recorded under ``arena_size_ignored``) and rule 6 gives the camera. With
   ``camera_height_mm`` that gives the focal length; with ``focal_px`` the height; with
   neither, the focal length of a typical lens is assumed (:data:`DEFAULT_HFOV_DEG`
   horizontal field of view, warned).
5. ``floor_mm_per_px`` (a lab's pixel-to-length calibration of the floor, or the file's
   own): the scale is given, so the camera is ``focal * floor_mm_per_px`` above the floor
   (the focal length given, else from ``camera_height_mm``, else a typical lens's,
   warned: the perspective, not the sizes, depends on it).
6. Nothing: the scale is estimated from the animal (the median 2D length between tracked
   keypoints, e.g. nose to tail base, against a real mouse's: the synthetic population's
   median length seen from above times :data:`REAL_LENGTH_FACTOR`); the focal length, when
   not given, from :data:`DEFAULT_HFOV_DEG`. A warning is logged and the estimate goes into
   the output metadata.

Without a calibration, the pixels' aspect ratio (``fy / fx``) comes from a square arena's
tracked corners, else from the animal's median length heading up versus across the image
(:func:`pixel_aspect_from_animal`; applied when clearly not square).

Without a calibration, absolute heights scale with the assumed camera height, so give
the measured camera height (or a calibration) when heights matter.

:func:`resolve_image_size` gives the image size the estimates assume.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from dlc_lifter.camera import (
    Camera,
    floor_homography,
    focal_from_floor_homography,
)
from dlc_lifter.errors import CalibrationError, CameraEstimateError, DLCLifterError
from dlc_lifter.io.calibration import load_anipose
from dlc_lifter.io.config import DEFAULT_PCUTOFF, NO_DETECTION_LIKELIHOOD
from dlc_lifter.lift.options import parse_arena_size
from dlc_lifter.mouse.catalogue import CATALOGUE
from dlc_lifter.poses import Poses

if TYPE_CHECKING:  # pragma: no cover
    from dlc_lifter.lift.lifter import Lifter

__all__ = [
    "IMAGE_SIZE_GUESSED",
    "ANIMAL_ASPECT_FRAMES",
    "ANIMAL_ASPECT_PAIR",
    "ANIMAL_ASPECT_TOLERANCE",
    "ANIMAL_SLANT",
    "ANIMAL_SLANT_FRAMES",
    "BODY_PAIR_FEW_FRAMES",
    "BODY_PAIR_FRAMES",
    "DEFAULT_HFOV_DEG",
    "REAL_LENGTH_FACTOR",
    "SPREAD_LENGTH_RANGE",
    "SQUARE_PIXEL_TOLERANCE",
    "CORNER_FOCAL_MIN_TILT_DEG",
    "CameraChoice",
    "MAX_FOV_DEG",
    "check_focal_px",
    "arena_sides_mm",
    "body_length_pair",
    "corner_camera",
    "corner_tolerance_px",
    "corners_unlike_arena",
    "MAX_PIXEL_ASPECT",
    "pixel_aspect_from_animal",
    "adults_for_scale",
    "resolve_camera",
    "image_size_and_source",
    "resolve_image_size",
    "unsure_body_message",
]

logger = logging.getLogger(__name__)

#: Horizontal field of view assumed when no focal length is known (a typical lab lens).
DEFAULT_HFOV_DEG = 60.0
#: A real mouse's length between keypoints, seen from above over a session, as a fraction
#: of the synthetic population's median (the lifter's ``pair_length_mm``), for the camera
#: estimated from the animal. The synthetic population spans real adult sizes (nose to
#: tail base 70-105 mm) but real mice in free behaviour are held shorter (measured in
#: ``docs/results.md``, "Real mice: a real mouse's length places the camera"). A round
#: value at the upper end of the real mice measured, so a mouse as long as the
#: population's median is read 10 % small.
REAL_LENGTH_FACTOR = 0.9


@dataclass
class CameraChoice:
    """The camera a lift used and where it came from.

    Attributes
    ----------
    camera
        The camera.
    frame
        Output frame: ``world`` (calibration), ``arena`` (tracked arena corners) or
        ``camera-floor``.
    source
        ``calibration``, ``height+focal``, ``arena-size``, ``body-length-estimate``...
    details
        Numbers behind an estimate (for the output metadata).
    """

    camera: Camera
    frame: str
    source: str
    details: dict[str, Any] = field(default_factory=dict)


#: Tracked positions of the tail base that measure the arena from its spread alone.
SPREAD_MIN_TAIL_BASE = 100
#: With the arena's size measured from the animal's spread (no corners tracked), the animal
#: must come out between these multiples of a real mouse's length (the body-length prior,
#: :data:`REAL_LENGTH_FACTOR`) for the spread to be taken as the arena's. Real mice lifted
#: with their arena's size come out near it (``benchmarks/real.py``); half or twice a
#: mouse's length is no mouse: the animal did not go from wall to wall (a short clip, a
#: mouse resting in a corner) or the size is in other units, and the camera is estimated
#: from the animal instead (warned).
SPREAD_LENGTH_RANGE = (0.5, 2.0)


def _arena_span_px(uv: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, str]:
    """Spread of the tracked points along ``u`` and ``v`` (0.5-99.5 percentile; NaN for
    fewer than 10 points) and which points gave it.

    ``uv`` and ``ok`` are catalogue arrays (``(..., K, 2)``, ``(..., K)``). Where the tail
    base is tracked in :data:`SPREAD_MIN_TAIL_BASE` frames, its spread alone: raised points
    (a nose, the ears) seen against a wall lie beyond the wall's floor line in the image,
    so every keypoint's spread overstates the arena, while the tail base's, low and kept
    about half a body's width from the walls, comes close to it (measured on real open
    fields in ``docs/results.md``, "Real mice: the arena from where the animal went, for
    files without its corners").
    """
    tail = CATALOGUE.index("tail_base")
    if int(ok[..., tail].sum()) >= SPREAD_MIN_TAIL_BASE:
        pts, used = uv[..., tail, :][ok[..., tail]], "tail base"
    else:
        pts, used = uv[ok], "tracked keypoints"
    if len(pts) < 10:
        return np.full(2, math.nan), used
    return np.percentile(pts, 99.5, axis=0) - np.percentile(pts, 0.5, axis=0), used


def arena_sides_mm(arena_size_mm: float | Sequence[float] | str | None
                   ) -> tuple[float, float] | None:
    """``(width, height)`` of the arena in mm from a square's side or a rectangle's sides.

    ``width`` runs along the image's top side (top-left to top-right corner), ``height``
    along its left side; checked by :func:`~dlc_lifter.lift.options.parse_arena_size`.
    """
    size = parse_arena_size(arena_size_mm)
    if size is None:
        return None
    return (size, size) if isinstance(size, float) else size


#: Widest horizontal field of view (deg) a focal length given in pixels may make across the
#: frames: a pinhole camera (straight lines straight, the only lens the focal length alone
#: describes) sees far less wide; an 8 mm lens's focal length typed in mm, not pixels, sees
#: 177 deg across 640 px.
MAX_FOV_DEG = 160.0


def check_focal_px(focal_px: float, width: int) -> None:
    """Refuse a focal length (pixels) that makes a wider field of view across frames
    ``width`` pixels wide than :data:`MAX_FOV_DEG`: a focal length given in mm, not pixels.

    Raises
    ------
    DLCLifterError
        Naming ``focal_px``, the field of view it makes and what one in pixels is.
    """
    if width <= 1:
        return
    fov = math.degrees(2 * math.atan((width - 1) / 2 / focal_px))
    if fov > MAX_FOV_DEG:
        raise DLCLifterError(
            f"focal_px {focal_px:g} makes a {fov:.0f} deg field of view across the {width} px "
            "wide frames; no camera the lift models sees that wide. The focal length is in "
            "pixels: the lens's focal length in mm divided by the sensor's pixel size in mm "
            "(an 8 mm lens on 3.45 um pixels: 2319 px; lab cameras are mostly 500 to 3000 "
            "px). Was it given in mm? Give it in pixels, or leave focal_px out to estimate it.")


def _typical_focal_px(width: int) -> float:
    """Focal length (px) of a :data:`DEFAULT_HFOV_DEG` lens on images this wide."""
    return (width - 1) / 2 / math.tan(math.radians(DEFAULT_HFOV_DEG) / 2)


def _arena_text(sides: tuple[float, float]) -> str:
    return (f"{sides[0]:.0f} mm square" if sides[0] == sides[1]
            else f"{sides[0]:.0f} x {sides[1]:.0f} mm")


def _corner_sides_px(arena_px: Mapping[str, Sequence[float]] | None) -> tuple[float, float]:
    """Mean horizontal and vertical sides of the tracked arena corners' quadrilateral (px).

    NaN for a direction with no side whose two corners are both tracked.
    """
    corners = arena_px or {}

    def mean_side(pairs: tuple[tuple[str, str], ...]) -> float:
        sides = [math.dist(corners[a], corners[b]) for a, b in pairs
                 if a in corners and b in corners]
        return float(np.mean(sides)) if sides else math.nan

    return (mean_side((("top_left", "top_right"), ("bottom_left", "bottom_right"))),
            mean_side((("top_left", "bottom_left"), ("top_right", "bottom_right"))))


def arena_size_from_scale(arena_px: Mapping[str, Sequence[float]] | None,
                          mm_per_px: float) -> tuple[float, float] | None:
    """The arena's ``(width, height)`` in mm from its tracked corners and the floor's scale.

    A file may record its floor scale (JABS's ``cm_per_pixel``, as
    ``meta.extra["floor_mm_per_px"]``); with the corners' quadrilateral that is the arena's
    size, so its camera comes from the corners as with ``arena_size_mm``. None without a
    side in each direction or a positive scale.
    """
    w, h = _corner_sides_px(arena_px)
    if not (mm_per_px > 0 and math.isfinite(w) and math.isfinite(h)):
        return None
    return round(w * mm_per_px, 1), round(h * mm_per_px, 1)


#: The most non-square pixels (``fy / fx`` or its inverse) that tracked corners may imply:
#: anamorphic video formats stay within 1.33 (HDV's 1440 x 1080 for 16:9); corners implying
#: more are not the corners of the arena given.
MAX_PIXEL_ASPECT = 1.5


def corners_unlike_arena(sides_px: tuple[float, float], arena: tuple[float, float]) -> str:
    """Why tracked corners cannot be the given arena's (empty when they can be).

    Corners that no square-pixel camera draws (:func:`corner_camera`) are read as a
    straight-down camera with non-square pixels; where those pixels would be further from
    square than :data:`MAX_PIXEL_ASPECT`, the corners outline something else.

    Parameters
    ----------
    sides_px
        Mean horizontal and vertical sides of the corners' quadrilateral (px; NaN where not
        tracked).
    arena
        The arena's ``(width, height)`` (mm).
    """
    side_u, side_v = sides_px
    if not np.isfinite([side_u, side_v]).all() or min(side_u, side_v) <= 0:
        return ""
    aspect = (side_v / arena[1]) / (side_u / arena[0])
    if 1 / MAX_PIXEL_ASPECT <= aspect <= MAX_PIXEL_ASPECT:
        return ""
    return (f"they span {side_u:.0f} x {side_v:.0f} px, which would need pixels "
            f"{max(aspect, 1 / aspect):.1f} times {'taller' if aspect > 1 else 'wider'} "
            f"than {'wide' if aspect > 1 else 'tall'}")


#: Pixel aspect ratios this close to 1 are taken as square pixels (from arena corners)...
SQUARE_PIXEL_TOLERANCE = 0.03
#: ... and from the animal, whose length per heading is a noisier measure.
ANIMAL_ASPECT_TOLERANCE = 0.1
#: Frames the animal must spend heading along each image axis to measure the aspect.
ANIMAL_ASPECT_FRAMES = 300
#: The only pair the aspect is taken from: through a head label (SLEAP's ``head``) two
#: trackers of one video read aspects far apart, while nose to tail base comes near what
#: a real open field's tracked corners give.
ANIMAL_ASPECT_PAIR = "nose-tail_base"
#: The animal's length heading one way over the other below this (0.7: 30 % shorter
#: heading up the image than across it, or across than up) is further from square than a
#: video's pixels come (a 4:3 video stretched to 16:9: 0.75): the floor is filmed at a
#: slant (a tilted camera, a chamber filmed from the front), and the lift is warned ...
ANIMAL_SLANT = 0.7
#: ... where the animal heads each way in this many frames: enough for a chamber filmed
#: from the front and above to show its slant, while a few curled frames do not.
ANIMAL_SLANT_FRAMES = 150


def pixel_aspect_from_animal(uv_cat: np.ndarray, ok: np.ndarray, pair_mm: np.ndarray,
                             median_h: np.ndarray, min_frames: int = ANIMAL_ASPECT_FRAMES
                             ) -> tuple[float, dict[str, Any]] | None:
    """``fy / fx`` of the video's pixels from the animal's 2D length per heading.

    An animal is as long heading across the image as heading up it; if its median 2D
    length (nose to tail base, or the longest well-tracked pair) within 25 degrees of the
    ``v`` axis differs from that within 25 degrees of the ``u`` axis, the pixels are not
    square. Pitching and curling are the same in both directions over a session, so
    they do not bias the ratio, only blur it towards 1.

    Parameters
    ----------
    uv_cat, ok
        ``(N, K, 2)`` pixels and ``(N, K)`` well-tracked flags, catalogue order.
    pair_mm, median_h
        The lifter's population pair lengths and median heights (to choose the pair).
    min_frames
        Frames heading along each axis needed to measure.

    Returns
    -------
    (aspect, details) or None
        ``None`` when fewer than ``min_frames`` frames head along either axis.
    """
    try:
        _, _, pair = _body_scale(uv_cat, ok, pair_mm, median_h)
    except DLCLifterError:
        return None
    i, j = (CATALOGUE.index(n) for n in pair.split("-"))
    both = ok[:, i] & ok[:, j]
    d = uv_cat[both, i] - uv_cat[both, j]
    length = np.linalg.norm(d, axis=-1)
    angle = np.degrees(np.arctan2(np.abs(d[:, 1]), np.abs(d[:, 0])))
    across, up = length[angle < 25], length[angle > 65]
    if min(len(across), len(up)) < min_frames:
        return None
    aspect = float(np.median(up) / np.median(across))
    return aspect, {"pair": pair, "frames_across": len(across), "frames_up": len(up),
                    "aspect": aspect}


#: Frames the body-length pair must be tracked together in for the animal's size to set
#: the camera's scale ...
BODY_PAIR_FRAMES = 10
#: ... or, where no pair is tracked that often (a DLC labelled-data folder often holds 5 to
#: 20 images), this many: the median of so few lengths moves with one rearing or curled
#: frame, and the estimate says so in its warning.
BODY_PAIR_FEW_FRAMES = 3


def body_length_pair(ok: np.ndarray, pair_mm: np.ndarray) -> str:
    """The catalogue pair the body-length prior measures, ``"nose-tail_base"`` where both
    are tracked together in :data:`BODY_PAIR_FRAMES` frames or more, else the longest
    well-tracked body pair (population length over 25 mm, no tail point beyond the base);
    where no pair is tracked together that often, the same choice among pairs tracked
    together in :data:`BODY_PAIR_FEW_FRAMES` frames.

    Parameters
    ----------
    ok
        ``(N, K)`` well-tracked flags, catalogue order.
    pair_mm
        ``(K, K)`` the population's median horizontal distances.

    Raises
    ------
    DLCLifterError
        When no such pair is tracked together in :data:`BODY_PAIR_FEW_FRAMES` frames.
    """
    nose, tail = CATALOGUE.index("nose"), CATALOGUE.index("tail_base")
    present = np.flatnonzero(ok.any(0))
    for frames in (BODY_PAIR_FRAMES, BODY_PAIR_FEW_FRAMES):
        if (ok[:, nose] & ok[:, tail]).sum() >= frames:
            return "nose-tail_base"
        cand = [(i, j) for a, i in enumerate(present) for j in present[a + 1:]
                if np.isfinite(pair_mm[i, j]) and pair_mm[i, j] > 25
                and (ok[:, i] & ok[:, j]).sum() >= frames
                and not (CATALOGUE[i].startswith("tail") and CATALOGUE[i] != "tail_base")
                and not (CATALOGUE[j].startswith("tail") and CATALOGUE[j] != "tail_base")]
        if cand:
            i, j = max(cand, key=lambda p: pair_mm[p])
            return f"{CATALOGUE[i]}-{CATALOGUE[j]}"
    raise CameraEstimateError(
        "Cannot estimate the camera from the animal: no two of its body's keypoints that lie "
        "25 mm or more apart on a mouse (e.g. nose and tail base; not the tail beyond its "
        f"base) are tracked together in at least {BODY_PAIR_FEW_FRAMES} frames. Give "
        "camera_height_mm with focal_px, or arena_size_mm, or a calibration.")


def unsure_body_message(source: str, uv_cat: np.ndarray, conf_cat: np.ndarray,
                        pcutoff: float, pair_mm: np.ndarray) -> str | None:
    """Why :func:`body_length_pair` found no pair where the tracker placed the body but was
    unsure of it: the pair it would measure, in how many frames its two keypoints reach
    ``pcutoff`` together and their median likelihoods; ``None`` where the keypoints are
    not there at all (the error's own message says it then).

    ``uv_cat`` ``(..., K, 2)`` and ``conf_cat`` ``(..., K)`` are in catalogue order.
    """
    uv = np.asarray(uv_cat, dtype=np.float64).reshape(-1, len(CATALOGUE), 2)
    conf = np.nan_to_num(np.asarray(conf_cat, dtype=np.float64).reshape(-1, len(CATALOGUE)))
    placed = np.isfinite(uv).all(-1)
    try:
        pair = body_length_pair(placed, pair_mm)
    except CameraEstimateError:
        return None
    i, j = (CATALOGUE.index(n) for n in pair.split("-"))
    both = placed[:, i] & placed[:, j]
    sure = both & (conf[:, i] >= pcutoff) & (conf[:, j] >= pcutoff)
    med = [float(np.median(conf[placed[:, k], k])) for k in (i, j)]
    advice = ("to lift it as it is, lower the likelihood cutoff (pcutoff=...) or give the "
              "camera (camera_height_mm with focal_px, arena_size_mm or a calibration)"
              if max(med) >= NO_DETECTION_LIKELIHOOD else
              "likelihoods this low are no detections, so a lower cutoff would lift noise")
    return (f"{source}: the tracker is unsure of the animal: its {CATALOGUE[i]} and "
            f"{CATALOGUE[j]} reach a likelihood of {pcutoff:g} together in {int(sure.sum())} "
            f"of {int(both.sum())} frames (median likelihood {med[0]:.2f} and {med[1]:.2f}), "
            "too few to measure its length, which sets the camera when none is given. Check "
            f"the tracking (a network trained longer or on more labelled frames); {advice}.")


def _body_scale(uv_cat: np.ndarray, ok: np.ndarray, pair_mm: np.ndarray,
                median_h: np.ndarray) -> tuple[float, float, str]:
    """``(population length mm, median 2D length px, pair)`` of the pair the body-length
    prior uses (:func:`body_length_pair`)."""
    pair = body_length_pair(ok, pair_mm)
    i, j = (CATALOGUE.index(n) for n in pair.split("-"))
    both = ok[:, i] & ok[:, j]
    px = float(np.median(np.linalg.norm(uv_cat[both, i] - uv_cat[both, j], axis=-1)))
    return float(pair_mm[i, j]), px, pair


#: Individuals whose median nose-to-tail-base length in pixels is below this share of the
#: largest's are young or other animals: they do not set the scale an adult's length gives.
SMALL_ANIMAL_SHARE = 0.67


def adults_for_scale(uv_cat: np.ndarray, ok: np.ndarray, individuals: Sequence[str],
                     pair_mm: np.ndarray, median_h: np.ndarray, source: str | None = None
                     ) -> np.ndarray:
    """Which individuals' lengths measure the camera when it comes from the animal's size.

    The scale prior is an adult mouse's length; a file that also tracks much smaller
    animals (a dam and her pups) would pool their lengths and read the adult as a giant.
    Individuals whose median 2D length of the body-length pair (nose to tail base, else
    the pair :func:`resolve_camera` measures; over 10 or more frames) is at least
    :data:`SMALL_ANIMAL_SHARE` of the largest's are kept, the rest left out with a
    warning; all are kept where the lengths are not measured.

    Parameters
    ----------
    uv_cat, ok
        ``(T, N, K, 2)`` pixels and ``(T, N, K)`` well-tracked flags, catalogue order.
    individuals
        The ``N`` individuals' names (for the warning).
    pair_mm, median_h
        The lifter's population pair lengths and median heights (to choose the pair).
    source
        The file, for the warning.

    Returns
    -------
    numpy.ndarray
        ``(N,)`` bool.
    """
    keep = np.ones(uv_cat.shape[1], bool)
    if uv_cat.shape[1] < 2:
        return keep
    try:
        _, _, pair = _body_scale(uv_cat.reshape(-1, *uv_cat.shape[2:]),
                                 ok.reshape(-1, ok.shape[-1]), pair_mm, median_h)
    except DLCLifterError:
        return keep
    a, b = (CATALOGUE.index(n) for n in pair.split("-"))
    both = ok[:, :, a] & ok[:, :, b]
    length = np.linalg.norm(uv_cat[:, :, a] - uv_cat[:, :, b], axis=-1)
    med = np.array([float(np.median(length[both[:, i], i])) if both[:, i].sum() >= 10
                    else np.nan for i in range(len(keep))])
    if np.isfinite(med).sum() < 2:
        return keep
    keep = ~(med < SMALL_ANIMAL_SHARE * np.nanmax(med))
    if not keep.all():
        logger.warning(
            "%s: the animals differ in size (median %s %s px): the camera's scale is taken "
            "from the adult-sized %s only; give --camera-height-mm and --focal-px, "
            "--arena-size-mm or a calibration for the others' metric size.",
            source or "the poses", pair, ", ".join(f"{n} {m:.0f}" for n, m in zip(
                individuals, med, strict=True) if np.isfinite(m)),
            ", ".join(str(n) for n, k, m in zip(individuals, keep, med, strict=True)
                      if k and np.isfinite(m)))
    return keep


def resolve_camera(
    uv_cat: np.ndarray,
    conf_cat: np.ndarray,
    image_size: tuple[int, int],
    *,
    calibration: str | Path | None = None,
    camera: str | None = None,
    camera_height_mm: float | None = None,
    focal_px: float | None = None,
    arena_size_mm: float | Sequence[float] | None = None,
    lifter: Lifter | None = None,
    pcutoff: float = 0.6,
    arena_px: Mapping[str, Sequence[float]] | None = None,
    below: bool = False,
    floor_mm_per_px: float | None = None,
    file_label: str = "",
    pixel_aspect: float | None = None,
    calibrated: Camera | None = None,
) -> CameraChoice:
    """Choose the camera of a recording (see the module docstring for the order).

    Parameters
    ----------
    uv_cat, conf_cat
        ``(N, K, 2)`` and ``(N, K)`` tracked pixels and likelihoods in catalogue order
        (all frames of all individuals; used for the arena and body-length estimates).
    image_size
        ``(width, height)`` of the video.
    calibration, camera
        Anipose calibration TOML and the camera's name in it.
    camera_height_mm, focal_px, arena_size_mm
        Known camera height, focal length, arena side (or ``(width, height)`` of a
        rectangular arena, width along the image's top side; :func:`arena_sides_mm`).
    lifter
        The lifter whose population statistics give the body-length prior.
    pcutoff
        Likelihood cutoff for the estimates.
    arena_px
        Tracked arena landmarks (``{"top_left": [u, v], ...}``, pixels): with
        ``arena_size_mm``, the corners' quadrilateral (mean side) gives the arena's size
        in the image instead of the spread of the keypoints.
    below
        The image is the mirror image of a view from below the floor (the camera returned
        is the one above that the caller puts under the floor): where the animal's length
        sets the camera, its keypoints are that much farther from the camera than the
        floor, not nearer.
    floor_mm_per_px
        The floor's scale (mm per pixel along ``u``), known: it sets the camera's scale
        where no calibration, height with focal length, or camera from arena corners
        does (instead of the arena's spread or the animal's size).
    file_label
        The file, for the messages.
    pixel_aspect
        ``fy / fx`` of the pixels, known (estimated from the arena or the animal when
        ``None``).
    calibrated
        ``calibration``'s camera where the caller has read it already
        (:func:`~dlc_lifter.io.calibration.load_anipose`; ``calibration`` still names the file in
        the messages); read here when ``None``.

    Returns
    -------
    CameraChoice
    """
    if calibration is not None:
        if calibrated is None:
            calibrated = load_anipose(calibration, camera)
        cam = _fit_calibration(calibrated, image_size, calibration, file_label)
        problem = cam.floor_problem()
        if problem:
            return _intrinsics_camera(
                cam, problem, calibration, uv_cat, conf_cat, camera_height_mm=camera_height_mm,
                focal_px=focal_px, arena_size_mm=arena_size_mm, lifter=lifter, pcutoff=pcutoff,
                arena_px=arena_px, below=below, floor_mm_per_px=floor_mm_per_px,
                file_label=file_label)
        given = [n for n, v in (("camera_height_mm", camera_height_mm),
                                ("focal_px", focal_px)) if v is not None]
        if given:
            logger.warning("%s%s given beside the calibration %s: not used. Its camera '%s' "
                           "places the camera (%.0f mm from the floor, focal %.0f px).",
                           _lead(file_label), " and ".join(given), calibration, cam.name,
                           abs(cam.height_mm), cam.fx)
        details = {"file": str(calibration), "camera": cam.name}
        if given:
            details["ignored"] = given
        return CameraChoice(cam, "world", "calibration", details)
    for name, v in (("camera_height_mm", camera_height_mm), ("focal_px", focal_px)):
        if v is not None and not (np.isfinite(v) and v > 0):
            raise DLCLifterError(f"{name} must be a positive number; got {v}.")
    arena = arena_sides_mm(arena_size_mm)
    w, h = image_size
    if focal_px is not None:
        check_focal_px(float(focal_px), w)
    hfov_f = _typical_focal_px(w)
    if arena is not None and not (camera_height_mm is not None and focal_px is not None):
        choice = corner_camera(arena_px, arena, (w, h),
                               camera_height_mm=camera_height_mm, focal_px=focal_px,
                               file_label=file_label)
        if choice is not None:
            return choice
    ok = np.isfinite(uv_cat).all(-1) & (np.nan_to_num(conf_cat) >= pcutoff)
    sides = _corner_sides_px(arena_px)
    unlike = "" if arena is None else corners_unlike_arena(sides, arena)
    if unlike:
        logger.warning("%sThe points tracked as the arena's corners are not the corners of "
                       "the %s arena given: %s (a maze's arm ends, or another object's "
                       "corners?). They are not used: the arena is measured from the "
                       "animal's spread, and they bound nothing. Give the size of what they "
                       "outline (arena_size_mm=WIDTHxHEIGHT), or map them to nothing in a "
                       "keypoint map.",
                       _lead(file_label), _arena_text(arena), unlike)
        sides = (math.nan, math.nan)
    if pixel_aspect is None:
        aspect, details = _pixel_aspect(uv_cat, ok, sides, arena, lifter, file_label)
    else:
        aspect, details = float(pixel_aspect), {}
    if unlike:
        details["arena_corners_ignored"] = unlike
    uv_sq = uv_cat * np.array([1.0, 1.0 / aspect])  # lengths in u-pixel units
    if camera_height_mm is not None and focal_px is not None:
        height, focal, source = float(camera_height_mm), float(focal_px), "height+focal"
    elif arena is not None and (np.isfinite(sides).all() or floor_mm_per_px is None):
        height, focal = _arena_camera(uv_sq, ok, sides, arena, aspect,
                                      (w, h), camera_height_mm, focal_px, hfov_f, details,
                                      file_label)
        source = "arena-size"
        unlike_animal = ("" if lifter is None
                         else _spread_unlike_animal(uv_sq, ok, lifter, details))
        if unlike_animal:
            height, focal = _body_camera(uv_sq, ok, lifter, camera_height_mm, focal_px,
                                         hfov_f, details, below,
                                         why=unlike_animal,
                                         file_label=file_label,
                                         intrinsics=pixel_aspect is not None)
            source = "body-length-estimate"
    elif floor_mm_per_px is not None:
        if not (math.isfinite(floor_mm_per_px) and floor_mm_per_px > 0):
            raise DLCLifterError(f"floor_mm_per_px must be a positive number; got "
                                 f"{floor_mm_per_px}.")
        details.update(mm_per_px=float(floor_mm_per_px))
        if arena is not None:  # the size given; the scale, not the spread, measures it
            details.update(arena_size_mm=arena[0] if arena[0] == arena[1] else list(arena),
                           arena_measured_from="floor scale")
        logger.info("Floor scale %.4g mm/px given: the camera's scale is not estimated.",
                    floor_mm_per_px)
        height, focal = _camera_at_scale(float(floor_mm_per_px), camera_height_mm, focal_px,
                                         hfov_f)
        source = "floor-scale"
    else:
        if lifter is None:
            raise DLCLifterError("No camera information and no model to estimate it from.")
        height, focal = _body_camera(uv_sq, ok, lifter, camera_height_mm, focal_px, hfov_f,
                                     details, below, file_label=file_label,
                                     intrinsics=pixel_aspect is not None)
        source = "body-length-estimate"
        if np.isfinite(sides).all():
            logger.warning("%sThe file tracks the arena's corners (%.0f x %.0f px): give the "
                           "arena's size (arena_size_mm) to use them as the scale.",
                           _lead(file_label), *sides)
    details.update(height_mm=height, focal_px=focal)
    cam = Camera.top_view(height, focal, (w, h), name="estimated" if source != "height+focal"
                          else "top_view", pixel_aspect=aspect)
    if source == "arena-size" and not below and np.isfinite(sides).all():
        in_arena = _in_arena_frame(cam, arena_px)
        if in_arena is not None:
            details["arena_frame_from"] = "the tracked corners' floor points"
            logger.info("Output in the arena frame: origin at the centre of the tracked "
                        "corners' floor points, x towards the arena's right side, z up.")
            return CameraChoice(in_arena, "arena", source, details)
    return CameraChoice(cam, "camera-floor", source, details)


#: Widths' and heights' ratios further apart than this (relative) are another aspect ratio.
ASPECT_TOLERANCE = 0.01


def _fit_calibration(cam: Camera, image_size: tuple[int, int],
                     calibration: str | Path, file_label: str = "") -> Camera:
    """The calibration's camera for the poses' frames of ``image_size`` (``(0, 0)``:
    unknown, the calibration's own): scaled where it was made at another resolution of the
    same aspect ratio (:meth:`~dlc_lifter.camera.Camera.scaled_to`, logged); another aspect
    ratio (a crop, a rotated video) raises :class:`~dlc_lifter.errors.CalibrationError`.
    A calibration that records no image size (``(0, 0)``: DeepLabCut 3D's intrinsics
    pickle, a DANNCE camera) is taken to be of the frames' size, which must then be known."""
    size = (int(image_size[0]), int(image_size[1]))
    if tuple(cam.image_size) == (0, 0):
        if size == (0, 0):
            raise CalibrationError(
                f"Calibration {calibration} (camera '{cam.name}') does not record the image "
                "size it was made at, and the poses' frames' size is unknown (no video, none in "
                "the pose file): give the video, or the frames' size (--image-size "
                "WIDTHxHEIGHT, image_size=), the size the camera was calibrated at.")
        logger.info("Calibration %s (camera '%s') records no image size: taken to be made at "
                    "the frames' %dx%d.", calibration, cam.name, *size)
        return replace(cam, image_size=size)
    if size == (0, 0):
        logger.info("%sthe frames' size is unknown (no video read, none in the pose file): "
                    "taken as calibration %s's %dx%d; if the tracked video was resized after "
                    "calibrating, give its size (--image-size WIDTHxHEIGHT, image_size=).",
                    _lead(file_label), calibration, *cam.image_size)
        return cam
    if size == tuple(cam.image_size):
        return cam
    w, h = cam.image_size
    sx, sy = size[0] / w, size[1] / h
    if abs(sx / sy - 1.0) > ASPECT_TOLERANCE:
        raise CalibrationError(
            f"Calibration {calibration} (camera '{cam.name}') is for {w}x{h} images, and the "
            f"poses' frames are {size[0]}x{size[1]} (the video's, the pose file's or the size "
            "given): another aspect ratio (a cropped or rotated video?), so its lens cannot be "
            "scaled to them. Give the calibration of the frames that were tracked, or their "
            "true size (--image-size WIDTHxHEIGHT, image_size=) if this one is wrong.")
    logger.warning(
        "%sCalibration %s (camera '%s') is for %dx%d images and the poses' frames are %dx%d "
        "(the video's, the pose file's or the size given): its focal length and principal "
        "point are scaled by %.4g to them (the same view resized; distortion unchanged). If "
        "the frames are a crop of the calibrated view instead, give its calibration.",
        _lead(file_label), calibration, cam.name, w, h, *size, sx)
    return cam.scaled_to(size)


def _intrinsics_camera(cam: Camera, problem: str, calibration: str | Path,
                       uv_cat: np.ndarray, conf_cat: np.ndarray, *,
                       camera_height_mm: float | None, focal_px: float | None,
                       **estimate: Any) -> CameraChoice:
    """The camera of a calibration whose world frame is not the floor's (``problem``,
    :meth:`~dlc_lifter.camera.Camera.floor_problem`): its intrinsics (``K``, distortion,
    image size) placed as without a calibration (``camera_height_mm``, the arena, the floor
    scale or the animal's size; ``estimate``: :func:`resolve_camera`'s other arguments).

    The pixels are undistorted into a square-pixel pinhole camera of the calibration's
    focal length ``fx`` with its principal point at the image's centre, where every
    estimate assumes it; the camera found there keeps its pose and takes the calibration's
    intrinsics, so each pixel's ray is the calibrated lens's."""
    w, h = cam.image_size
    centre = np.array([(w - 1) / 2, (h - 1) / 2])
    f = cam.fx

    def ideal(uv: Any) -> np.ndarray:
        return cam.normalise(np.asarray(uv, dtype=np.float64)) * f + centre

    arena_px = estimate.pop("arena_px", None)
    if arena_px:
        arena_px = {k: ideal(v).tolist() for k, v in arena_px.items()}
    how = ("straight down at the height given" if camera_height_mm is not None else
           "as without a calibration (by the arena, the floor scale or the animal's size)")
    lead = _lead(str(estimate.get("file_label") or ""))
    logger.warning(
        "%sCalibration %s: camera '%s' cannot give the floor: %s. Its intrinsics (focal %.0f "
        "px, principal point %.0f, %.0f, %s, %dx%d) are used, the camera placed %s. For "
        "a tilted camera or an exact floor, give a calibration whose world frame is the "
        "floor's (z up, the floor at z = 0, mm); for the height, camera_height_mm.",
        lead, calibration, cam.name, problem, f, cam.cx, cam.cy,
        "distortion " + " ".join(f"{v:.3g}" for v in cam.dist) if cam.has_distortion
        else "no distortion", w, h, how)
    if focal_px is not None and not math.isclose(float(focal_px), f, rel_tol=1e-6):
        logger.warning("%sfocal_px %.0f given beside the calibration %s: not used; its focal "
                       "length (%.0f px) is.", lead, focal_px, calibration, f)
    choice = resolve_camera(ideal(uv_cat), conf_cat, (w, h), camera_height_mm=camera_height_mm,
                            focal_px=f, pixel_aspect=1.0, arena_px=arena_px, **estimate)
    placed = replace(cam, R=choice.camera.R, t=choice.camera.t)
    details = {"file": str(calibration), "camera": cam.name,
               "intrinsics_only": problem, **choice.details}
    return CameraChoice(placed, choice.frame, f"{choice.source}, calibration intrinsics",
                        details)


def _in_arena_frame(cam: Camera, arena_px: Mapping[str, Sequence[float]] | None
                    ) -> Camera | None:
    """A straight-down camera re-expressed in the arena frame of its tracked corners: the
    corners' floor points through ``cam`` give the arena's centre (their mean, the origin)
    and its ``x`` axis (from the left corners towards the right ones); ``y`` towards its
    top side. The pixels of every floor point are unchanged (a rigid move of the world).
    ``None`` where the corners run the wrong way round (a view from below)."""
    corners = dict(arena_px or {})
    names = list(_CORNER_XY)[:4]
    if not all(n in corners for n in names):
        return None
    uv = np.array([corners[n] for n in names], dtype=np.float64)
    floor = cam.points_at_height(uv, 0.0)[:, :2]
    tl, tr, br, bl = floor
    x_dir = (tr - tl) + (br - bl)
    y_dir = (tl - bl) + (tr - br)
    if x_dir[0] * y_dir[1] - x_dir[1] * y_dir[0] <= 0:  # y left of x: seen from above
        return None
    phi = math.atan2(x_dir[1], x_dir[0])
    centre = floor.mean(axis=0)
    rot = np.array([[math.cos(phi), math.sin(phi)], [-math.sin(phi), math.cos(phi)]])
    below = rot @ (cam.centre[:2] - centre)  # the camera's floor point, in the arena frame
    probe = np.array([[0.0, 0.0, 0.0], [100.0, 0.0, 0.0], [0.0, 100.0, 0.0]])
    probe_arena = np.c_[(probe[:, :2] - centre) @ rot.T, probe[:, 2]]
    for roll in (phi, -phi):  # the sign that keeps every floor point's pixel
        moved = Camera.top_view(cam.height_mm, cam.fx, cam.image_size,
                                centre_xy=(float(below[0]), float(below[1])),
                                principal_point=(cam.cx, cam.cy), roll_rad=roll,
                                name=cam.name, pixel_aspect=cam.fy / cam.fx)
        if np.allclose(moved.project(probe_arena), cam.project(probe), atol=1e-6):
            return moved
    return None


#: The corners' perspective gives the focal length only from a camera tilted this much;
#: a camera closer to straight down shows too little of it, and the corners' tracking
#: noise moves the focal length a lot.
CORNER_FOCAL_MIN_TILT_DEG = 12.0
#: Field of view (deg) a focal length from the corners must give to be believed.
_CORNER_HFOV_RANGE = (20.0, 140.0)
#: Floor coordinates of the arena landmarks as fractions of the side (x right, y top).
_CORNER_XY = {"top_left": (-0.5, 0.5), "top_right": (0.5, 0.5), "bottom_right": (0.5, -0.5),
              "bottom_left": (-0.5, -0.5), "centre": (0.0, 0.0)}


def _lead(file_label: str) -> str:
    """``"<file>: "`` to open a message about a file's camera; nothing where none is named."""
    return f"{file_label}: " if file_label else ""


def corner_tolerance_px(side_px: float) -> float:
    """Largest corner reprojection error (px) of a camera fitted to an arena this size."""
    return max(3.0, 0.015 * side_px)


def corner_camera(arena_px: Mapping[str, Sequence[float]] | None,
                  arena_size_mm: float | Sequence[float], image_size: tuple[int, int], *,
                  camera_height_mm: float | None = None,
                  focal_px: float | None = None, file_label: str = "") -> CameraChoice | None:
    """The camera from a square or rectangular arena's four tracked corners, tilted or not.

    Parameters
    ----------
    arena_px
        Tracked arena landmarks in pixels (``top_left``, ``top_right``, ``bottom_right``,
        ``bottom_left``; ``centre`` is used too when tracked).
    arena_size_mm
        The arena's side, or ``(width, height)`` of a rectangle (:func:`arena_sides_mm`).
    image_size
        ``(width, height)``; the principal point is the image centre.
    camera_height_mm, focal_px
        Known values (the focal length is then not estimated).

    Returns
    -------
    CameraChoice or None
        In the ``arena`` frame; ``None`` when a corner is missing or no square-pixel camera
        draws the corners within :func:`corner_tolerance_px` (non-square pixels, corners
        tracked elsewhere than on the floor, another arena shape).
    """
    corners = dict(arena_px or {})
    names = [n for n in _CORNER_XY if n in corners]
    if not all(n in corners for n in list(_CORNER_XY)[:4]):
        return None
    arena = arena_sides_mm(arena_size_mm)
    if arena is None:
        raise DLCLifterError("corner_camera needs the arena's size (arena_size_mm).")
    xy = np.array([_CORNER_XY[n] for n in names]) * arena
    uv = np.array([corners[n] for n in names], dtype=np.float64)
    w, h = image_size
    side_px = float(np.mean(_corner_sides_px(corners)))
    tol = corner_tolerance_px(side_px)
    hom = floor_homography(xy, uv)
    pp = ((w - 1) / 2, (h - 1) / 2)

    def fit(f: float) -> tuple[Camera, float] | None:
        try:
            cam = Camera.from_floor_homography(hom, f, (w, h), name="estimated")
        except ValueError:
            return None
        err = float(np.max(np.linalg.norm(cam.project(np.c_[xy, np.zeros(len(xy))]) - uv,
                                          axis=-1)))
        return cam, err

    hfov_f = _typical_focal_px(w)
    assumed = fit(hfov_f)
    if assumed is None:
        logger.warning("%sThe arena's tracked corners run the wrong way round for a camera "
                       "above the floor (top_left, top_right, bottom_right, bottom_left should "
                       "go clockwise in the image): are two of them swapped? Measuring the "
                       "arena from its sides instead.", _lead(file_label))
        return None
    if focal_px is not None:
        found, focal_from = fit(float(focal_px)), "given"
    elif camera_height_mm is not None:
        found, focal_from = _fit_height(fit, float(camera_height_mm), hfov_f), "camera height"
    else:
        found, focal_from = None, ""
        f_h = focal_from_floor_homography(hom, pp)
        hfov = 2 * math.degrees(math.atan((w - 1) / 2 / f_h)) if np.isfinite(f_h) else 0.0
        if _CORNER_HFOV_RANGE[0] <= hfov <= _CORNER_HFOV_RANGE[1]:
            cand = fit(f_h)
            if (cand is not None and cand[1] <= tol
                    and math.degrees(cand[0].tilt_rad) >= CORNER_FOCAL_MIN_TILT_DEG):
                found, focal_from = cand, "the corners' perspective"
        if found is None:
            found, focal_from = assumed, f"assumed {DEFAULT_HFOV_DEG:.0f} deg field of view"
    if found is None or found[1] > tol:
        if found is not None:
            logger.info("The arena's corners do not fit a square-pixel camera (%.1f px off; "
                        "tolerance %.1f px); measuring the arena from its sides instead.",
                        found[1], tol)
        return None
    cam, err = found
    tilt = math.degrees(cam.tilt_rad)
    details = {"arena_size_mm": arena[0] if arena[0] == arena[1] else list(arena),
               "arena_measured_from": "tracked arena corners",
               "corner_residual_px": err, "focal_from": focal_from, "tilt_deg": tilt,
               "height_mm": cam.height_mm, "focal_px": cam.fx}
    logger.info("Camera from the arena's %d tracked corners (%s): %.0f mm above "
                "the floor, tilted %.1f deg, focal %.0f px (%s); corners reproduced within "
                "%.1f px. Output in the arena frame (origin at its centre, z up).",
                len(names), _arena_text(arena), cam.height_mm, tilt, cam.fx, focal_from, err)
    if focal_from.startswith("assumed"):
        logger.warning("%sNo camera height or focal length, and the camera is too close to "
                       "straight down for the corners to give one: assuming a %.0f deg "
                       "horizontal field of view, so the camera is %.0f mm above the floor. "
                       "Heights scale with this; give camera_height_mm or focal_px.",
                       _lead(file_label), DEFAULT_HFOV_DEG, cam.height_mm)
    return CameraChoice(cam, "arena", "arena-corners", details)


def _fit_height(fit: Any, height_mm: float, f0: float) -> tuple[Camera, float] | None:
    """The fit whose camera is ``height_mm`` above the floor.

    The height grows with the focal length up to a point (past it, the corners stop
    fitting), so the first crossing on a log grid is refined by bisection.
    """
    grid = np.geomspace(f0 / 50, f0 * 50, 121)
    below = None
    for f in grid:
        got = fit(float(f))
        if got is None:
            continue
        if got[0].height_mm >= height_mm:
            if below is None:
                return None
            lo, hi = math.log(below), math.log(float(f))
            for _ in range(50):
                mid = (lo + hi) / 2
                got = fit(math.exp(mid))
                if got is None:
                    return None
                lo, hi = (mid, hi) if got[0].height_mm < height_mm else (lo, mid)
            return fit(math.exp((lo + hi) / 2))
        below = float(f)
    return None


def _pixel_aspect(uv_cat: np.ndarray, ok: np.ndarray, sides: tuple[float, float],
                  arena: tuple[float, float] | None, lifter: Lifter | None,
                  file_label: str = "") -> tuple[float, dict[str, Any]]:
    """``fy / fx`` of the video's pixels: from the arena's corners, else the animal."""
    side_u, side_v = sides
    if arena is not None and np.isfinite([side_u, side_v]).all():
        aspect = (side_v / arena[1]) / (side_u / arena[0])  # px per mm, down over across
        if abs(aspect - 1.0) <= SQUARE_PIXEL_TOLERANCE:
            return 1.0, {}
        logger.warning("%sThe arena's corners span %.0f x %.0f px, and no square-pixel camera "
                       "with a usual lens draws them: lifting as a camera looking straight "
                       "down whose pixels are not square (fy/fx %.2f). If the camera is "
                       "tilted instead, give its calibration (calibration=).",
                       _lead(file_label), side_u, side_v, aspect)
        return aspect, {"pixel_aspect": aspect, "pixel_aspect_from": "arena corners"}
    found = None if lifter is None else pixel_aspect_from_animal(
        uv_cat, ok, lifter.model.pair_length_mm, lifter.model.median_height_mm,
        min_frames=min(ANIMAL_SLANT_FRAMES, ANIMAL_ASPECT_FRAMES))
    if found is None:
        return 1.0, {}
    aspect, info = found
    looks = (f"{_lead(file_label)}The animal looks {100 * abs(aspect - 1):.0f}% "
             f"{'shorter' if aspect < 1 else 'longer'} heading up the image than across it "
             f"(median {info['pair']} length over {info['frames_up']} and "
             f"{info['frames_across']} frames)")
    details: dict[str, Any] = {}
    square = (min(info["frames_up"], info["frames_across"]) < ANIMAL_ASPECT_FRAMES
              or abs(aspect - 1.0) <= ANIMAL_ASPECT_TOLERANCE)
    taken = not square and info["pair"] == ANIMAL_ASPECT_PAIR
    if min(aspect, 1.0 / aspect) < ANIMAL_SLANT:  # one warning for one measure
        slant = float(np.degrees(np.arccos(min(aspect, 1.0 / aspect))))
        details["slant"] = {"deg": slant, **info}
        lifted = (f"lifted as a camera looking straight down with fy/fx {aspect:.2f}, "
                  "the nearest a view from above comes, but " if taken else "")
        logger.warning("%s: further from square than a video's pixels come, so the "
                       "camera films the floor at a slant (about %.0f deg from looking straight "
                       "down, if it is a tilt), not from above. dlc-lifter lifts views from "
                       "above (a tilt up to about 20 deg with the calibration): %sthe heights "
                       "and lengths of this lift are not to be trusted. Give the camera's "
                       "calibration (calibration=), or film from above.", looks, slant, lifted)
    if square:
        return 1.0, details
    if not taken:
        logger.info("%s; not taken as the pixels' aspect: measured through %s, not the nose "
                    "and tail base (a head label's place moves with the head: two trackers "
                    "of one video read 0.80 and 1.10 through head and tail base).", looks,
                    info["pair"])
        return 1.0, details | {"pixel_aspect_not_taken": info}
    if "slant" not in details:
        logger.warning("%s: this video's pixels are not square, or the camera is tilted "
                       "about the image's horizontal axis; lifting as a camera looking "
                       "straight down with fy/fx %.2f. Tracked arena corners with "
                       "arena_size_mm, or the camera's calibration where it is tilted, "
                       "measure it better.", looks, aspect)
    return aspect, details | {"pixel_aspect": aspect, "pixel_aspect_from": info}


def _arena_camera(uv_sq: np.ndarray, ok: np.ndarray, sides: tuple[float, float],
                  arena: tuple[float, float], aspect: float, size: tuple[int, int],
                  camera_height_mm: float | None, focal_px: float | None, hfov_f: float,
                  details: dict[str, Any], file_label: str = "") -> tuple[float, float]:
    """``(height, focal)`` from the arena's size in the image (corners, else the spread).

    ``arena_span_px`` in ``details`` is the arena's width in (``u``) pixels.
    """
    side_u, side_v = sides
    width, height_mm = arena
    if np.isfinite([side_u, side_v]).all():
        span = float(np.mean([side_u, side_v / aspect * width / height_mm]))
        measured_from = "tracked arena corners"
    else:
        (span_u, span_v), used = _arena_span_px(uv_sq, ok)
        # the animal may not reach every wall: the axis it spreads furthest along decides
        span = float(max(span_u, span_v * width / height_mm))
        measured_from = f"spread of the {used}"
    if not np.isfinite(span) or span <= 0:
        raise DLCLifterError("Too few tracked points to measure the arena in the image; "
                             "give camera_height_mm and focal_px.")
    mm_per_px = width / span
    details.update(arena_size_mm=width if width == height_mm else [width, height_mm],
                   arena_span_px=span, mm_per_px=mm_per_px, arena_measured_from=measured_from)
    logger.info("Arena of %s measured as %.0f px across from the %s (%.3f mm/px).",
                _arena_text(arena), span, measured_from, mm_per_px)
    w, h = size
    if measured_from.startswith("spread") and span < 0.3 * min(w, h):
        logger.warning("%sThe tracked keypoints span only %.0f px of the %dx%d image: the "
                       "animal may not have explored the arena, so the arena-size scale "
                       "may be wrong.", _lead(file_label), span, w, h)
    return _camera_at_scale(mm_per_px, camera_height_mm, focal_px, hfov_f)


def _camera_at_scale(mm_per_px: float, camera_height_mm: float | None,
                     focal_px: float | None, hfov_f: float) -> tuple[float, float]:
    """``(height, focal)`` of a straight-down camera whose floor scale is ``mm_per_px``
    (``height = focal * mm_per_px``): the height or focal length given, else a typical
    lens's (:data:`DEFAULT_HFOV_DEG`, logged).

    With the floor's scale known, the camera's height sets only the perspective: a real
    mouse lifted through cameras of very different heights keeps its heights and length
    nearly the same (``docs/results.md``, "Real mice: the floor's scale as a lab measures
    it")."""
    if camera_height_mm is not None:
        return float(camera_height_mm), float(camera_height_mm) / mm_per_px
    if focal_px is not None:
        return float(focal_px) * mm_per_px, float(focal_px)
    logger.info("No camera height or focal length: assuming a %.0f deg horizontal field of "
                "view (focal %.0f px), so the camera is %.0f mm above the floor. With the "
                "floor's scale known this sets only the perspective (heights move by a few "
                "mm); give camera_height_mm for the exact one.", DEFAULT_HFOV_DEG, hfov_f,
                hfov_f * mm_per_px)
    return hfov_f * mm_per_px, hfov_f


def _spread_unlike_animal(uv_sq: np.ndarray, ok: np.ndarray, lifter: Lifter,
                          details: dict[str, Any]) -> str:
    """Why the arena's size measured from the animal's spread is not taken (the animal
    would be outside :data:`SPREAD_LENGTH_RANGE` of a real mouse's length), or ``""``.

    Where it is not, the arena's entries of ``details`` move under
    ``arena_size_ignored`` (so nothing downstream takes walls from the track)."""
    if not str(details.get("arena_measured_from", "")).startswith("spread"):
        return ""
    model = lifter.model
    try:
        population_mm, length_px, pair = _body_scale(uv_sq, ok, model.pair_length_mm,
                                                     model.median_height_mm)
    except (DLCLifterError, ValueError):
        return ""
    prior_mm = REAL_LENGTH_FACTOR * population_mm
    length_mm = length_px * float(details["mm_per_px"])
    ratio = length_mm / prior_mm
    lo, hi = SPREAD_LENGTH_RANGE
    if not np.isfinite(ratio) or lo <= ratio <= hi:
        return ""
    keys = ("arena_size_mm", "arena_span_px", "mm_per_px", "arena_measured_from")
    ignored = {k: details.pop(k) for k in keys if k in details}
    why = (f"with the arena measured as {ignored['arena_span_px']:.0f} px across from the "
           f"{str(ignored['arena_measured_from']).removeprefix('spread of the ')}'s spread, "
           f"the animal would be {length_mm:.0f} mm long ({pair}), {ratio:.3g} times a real "
           f"mouse's {prior_mm:.0f} mm, so it did not go from wall to wall (a short clip, a "
           "resting animal?) or the size is in other units")
    details["arena_size_ignored"] = {**ignored, "animal_length_mm": length_mm,
                                     "reason": why}
    return why


def _body_camera(uv_sq: np.ndarray, ok: np.ndarray, lifter: Lifter,
                 camera_height_mm: float | None, focal_px: float | None, hfov_f: float,
                 details: dict[str, Any], below: bool = False, *, why: str = "",
                 file_label: str = "", intrinsics: bool = False) -> tuple[float, float]:
    """``(height, focal)`` from the animal's median 2D length against a real mouse's
    (the population's times :data:`REAL_LENGTH_FACTOR`); ``below``: filmed from under the
    floor, the keypoints ``mean_h`` farther from the camera than the floor; ``why``: the
    arena's size was given but not taken (:func:`_spread_unlike_animal`); ``file_label``:
    the file, for the warnings; ``intrinsics``: the focal length is a calibration's."""
    model = lifter.model
    population_mm, length_px, pair = _body_scale(uv_sq, ok, model.pair_length_mm,
                                                 model.median_height_mm)
    length_mm = REAL_LENGTH_FACTOR * population_mm
    i, j = (CATALOGUE.index(n) for n in pair.split("-"))
    frames = int((ok[:, i] & ok[:, j]).sum())
    mean_h = float((model.median_height_mm[i] + model.median_height_mm[j]) / 2)
    details.update(body_pair=pair, population_length_mm=population_mm,
                   real_length_factor=REAL_LENGTH_FACTOR, prior_length_mm=length_mm,
                   median_length_px=length_px, mean_height_mm=mean_h, body_pair_frames=frames)
    # pinhole: length_px = focal * length_mm / (H - mean_h) from above, (H + mean_h) below
    depth_h = -mean_h if below else mean_h
    if camera_height_mm is not None:
        height = float(camera_height_mm)
        focal = length_px * (height - depth_h) / length_mm
    else:
        focal = float(focal_px) if focal_px is not None else hfov_f
        height = focal * length_mm / length_px + depth_h
    if camera_height_mm is not None:
        what, note = "the focal length", "camera height given"
        alone = "The camera's height given without its focal length (focal_px)"
    elif intrinsics:
        what, note = "the camera's height", "the calibration's focal length"
        alone = "No camera height or arena size beside the calibration's intrinsics"
    elif focal_px is not None:
        what, note = "the camera's height", "focal given"
        alone = "The focal length given without the camera's height (camera_height_mm)"
    else:
        what, note = "the camera", f"assumed {DEFAULT_HFOV_DEG:.0f} deg field of view"
        alone = "No calibration, camera height or arena size"
    opening = (alone if not why else
               f"The arena's size given is not used ({why}). Give the camera's height and "
               "focal length, the floor's scale (floor_scale) or track the arena's corners. "
               "Instead")
    logger.warning(
        "%s%s: estimated %s from the "
        "animal's size (median %s length %.1f px, taken as a real mouse's %.1f mm: %.2f x "
        "the synthetic population's %.1f mm; %s): %.0f mm above the floor, focal %.0f px. "
        "Mice differ by about 15 %% in length, so the scale and the heights may be that far "
        "off; give camera_height_mm and focal_px, arena_size_mm or a calibration for metric "
        "accuracy.", _lead(file_label), opening, what, pair, length_px, length_mm,
        REAL_LENGTH_FACTOR, population_mm, note, height, focal)
    if frames < BODY_PAIR_FRAMES:
        logger.warning(
            "%s: the animal's length was measured on only %d frames (%s tracked together): "
            "one rearing, curled or stretched frame among them moves the scale and every "
            "height further than the 15 %% above. Lift a longer recording, or give the "
            "camera (camera_height_mm with focal_px, arena_size_mm or a calibration); for "
            "labelled images of one camera, the camera found from its videos.",
            file_label or "the poses", frames, pair)
    return height, focal


#: A frame size guessed from the keypoints spans the points the tracker is sure of
#: (likelihood at least :data:`~dlc_lifter.io.DEFAULT_PCUTOFF`) and its unsure points up to
#: this many times their extent: a tracker's unsure points lie in the frame too (a real
#: open field's arena corners, tracked unsure, reach well past its sure points), except a
#: multi-animal file's extrapolated ones (a juvenile's hip tracked far outside the frame
#: with a likelihood near 0; ``docs/results.md``, "Real files from ten more sources, lifted
#: as their users would; the neck on the head's line, screened").
GUESS_BEYOND_SURE = 1.5


def resolve_image_size(poses: Poses, video_size: tuple[int, int] | None,
                       calibration: str | Path | None,
                       given: tuple[int, int] | None = None) -> tuple[int, int]:
    """``(width, height)`` of the images the estimates assume.

    The video's when one is given, else ``given`` (``CameraSpec.image_size``; but the pose
    file's where the tracked points lie outside the size given and inside the file's), else
    the pose file's, else the calibration's (returned as ``(0, 0)``: the calibration knows),
    else the smallest image holding every tracked point (warned: the principal point then
    sits at the keypoints' centre, which moves the camera's nadir and so the heights).
    :func:`image_size_and_source` also says which.
    """
    return image_size_and_source(poses, video_size, calibration, given)[0]


#: ``meta.extra["image_size_from"]`` of a lift whose frame size was guessed from the keypoints
#: (no video, metadata, calibration or size given): the outputs do not record it as the
#: video's frame size.
IMAGE_SIZE_GUESSED = "guessed from the keypoints"


def image_size_and_source(poses: Poses, video_size: tuple[int, int] | None,
                          calibration: str | Path | None,
                          given: tuple[int, int] | None = None
                          ) -> tuple[tuple[int, int], str]:
    """:func:`resolve_image_size`'s size and where it came from: ``"video"``,
    ``"given"``, ``"file"`` (the pose file's metadata), ``"calibration"`` or
    ``"keypoints"`` (guessed from the tracked points)."""
    source = poses.meta.source
    if video_size is not None:
        if given is not None and tuple(given) != tuple(video_size):
            logger.warning("%s: the image size given (%dx%d) is not the video's (%dx%d); "
                           "using the video's.", source, *given, *video_size)
        return (int(video_size[0]), int(video_size[1])), "video"
    file_size = poses.meta.image_size
    if given is not None:
        if file_size is not None and tuple(file_size) != tuple(given):
            if _points_outside(poses, given) and not _points_outside(poses, file_size):
                logger.warning("%s: its tracked points lie outside the %dx%d image given but "
                               "inside the %dx%d frames the file records: lifting with the "
                               "file's. Check --image-size WIDTHxHEIGHT.", source, *given,
                               *file_size)
                return (int(file_size[0]), int(file_size[1])), "file"
            logger.warning("%s records %dx%d frames; using the image size given (%dx%d).",
                           source, *file_size, *given)
        _check_points_inside(poses, given)
        return (int(given[0]), int(given[1])), "given"
    if file_size is not None:
        return (int(file_size[0]), int(file_size[1])), "file"
    if calibration is not None:
        return (0, 0), "calibration"  # the calibration knows
    xy = _tracked_xy(poses)
    if not len(xy):
        raise DLCLifterError(f"{source}: no tracked points to lift.")
    sure = _tracked_xy(poses, DEFAULT_PCUTOFF)
    if not len(sure):
        raise DLCLifterError(
            f"{source}: no point has a likelihood of {DEFAULT_PCUTOFF} or more (the tracker "
            f"was unsure of all {len(xy)}), so the frames' size cannot be read from the "
            "points, and there is little to lift. Check the tracking; to lift anyway, give "
            "the frames' size (--image-size WIDTHxHEIGHT or the video) and --pcutoff.")
    # unsure points far beyond the sure ones' extent lie outside the frame
    top = sure.max(axis=0)
    xy = xy[(xy <= np.maximum(GUESS_BEYOND_SURE * top, top)).all(-1)]
    size = (int(math.ceil(xy[:, 0].max())) + 1, int(math.ceil(xy[:, 1].max())) + 1)
    if min(size) < MIN_GUESSED_SIZE:
        raise DLCLifterError(
            f"{source}: its points reach only {size[0]}x{size[1]} px from the image's corner, "
            "too small for a video's frames (are they pixels?). Give the frames' size "
            "(--image-size WIDTHxHEIGHT or the video).")
    logger.warning("%s: image size unknown (no video, no metadata); assuming %dx%d from the "
                   "keypoints, with the principal point at its centre. Pass the video, or "
                   "the frames' size with --image-size WIDTHxHEIGHT (image_size=).",
                   source, *size)
    return size, "keypoints"


#: A frame size guessed from the points smaller than this (px, either side) is not taken.
MIN_GUESSED_SIZE = 32


def _tracked_xy(poses: Poses, cutoff: float | None = None) -> np.ndarray:
    """``(N, 2)`` pixels of every tracked point of the file (of a likelihood at least
    ``cutoff``, where given)."""
    xy = poses.coords.reshape(-1, 2)
    ok = np.isfinite(xy).all(-1)
    if cutoff is not None:
        ok &= np.nan_to_num(np.asarray(poses.confidence, float).reshape(-1), nan=0.0) >= cutoff
    return xy[ok]


def _points_outside(poses: Poses, size: Sequence[int]) -> int:
    """How many points the tracker is sure of (likelihood at least
    :data:`~dlc_lifter.io.DEFAULT_PCUTOFF`) fall well (2 % of the image) outside an image of
    ``size``: unsure points lie outside real frames (a tracker's extrapolations)."""
    xy = _tracked_xy(poses, DEFAULT_PCUTOFF)
    if not len(xy):
        return 0
    margin = 0.02 * max(size)
    return int(((xy[:, 0] < -margin) | (xy[:, 0] > size[0] - 1 + margin)
                | (xy[:, 1] < -margin) | (xy[:, 1] > size[1] - 1 + margin)).sum())


def _check_points_inside(poses: Poses, size: tuple[int, int]) -> None:
    """Warn when tracked points fall well outside an image of the given size."""
    n_out = _points_outside(poses, size)
    if n_out:
        xy = _tracked_xy(poses, DEFAULT_PCUTOFF)
        logger.warning("%s: %d tracked point(s) lie outside the %dx%d image given (up to "
                       "%.0f, %.0f px): is --image-size WIDTHxHEIGHT the right way round?",
                       poses.meta.source, n_out, size[0], size[1],
                       float(xy[:, 0].max()), float(xy[:, 1].max()))
