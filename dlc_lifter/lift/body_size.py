"""How big the animal is on the floor through the chosen camera, against the synthetic mice.

The networks learned mice of the synthetic population (:mod:`dlc_lifter.mouse.anatomy`):
over a session of 300 frames (10 s), the median of a synthetic mouse's nose-to-tail-base
distance seen from above lies, for 95 % of synthetic sessions, within
:data:`TRAINED_LENGTH_SHARE` of the population's median (``python benchmarks/body_size.py``
measures it again, with the real sets, whose mice fall inside; ``docs/results.md``, "Real
mice: how big the animal comes out, measured and warned about").

Where the camera's scale does not come from the animal itself (a calibration, a height and
focal length, the arena's size or corners), the animal's own size is evidence about the lift:
:func:`animal_sizes` measures each individual's median length of the body-length pair (nose
to tail base, else the longest well-tracked body pair) on the floor, each keypoint taken at
the population's median height on its camera ray, and :func:`warn_animal_size` says in the
log when it lies outside what the networks learned. Outside that range the camera's scale
may be wrong (a calibration in cm or m, or in another frame than the floor's, as anipose's
are until aligned; a wrong focal length or arena size: a power of ten is named where it
would give a mouse's size), the keypoints may sit elsewhere than the
landmarks they were mapped to, or the animal is young or not an adult mouse; another lab's
mice measuring well below the range lifted worse than each keypoint's median height
(``benchmarks/real.py`` section E; ``docs/results.md``, "Real mice: how big the animal
comes out, measured and warned about"). The output's metadata keeps
the measure as ``camera_estimate["animal_size"]``; DLC-Live measures it once after its first
frames (:class:`~dlc_lifter.lift.live.LiveLifter`'s ``size_frames``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from dlc_lifter.camera import Camera
from dlc_lifter.errors import DLCLifterError
from dlc_lifter.lift.camera_estimate import body_length_pair
from dlc_lifter.lift.options import source_kind
from dlc_lifter.mouse.catalogue import CATALOGUE

__all__ = ["TRAINED_LENGTH_SHARE", "AnimalSize", "animal_sizes", "scale_is_independent",
           "warn_animal_size"]

logger = logging.getLogger(__name__)

#: The middle 95 % of synthetic sessions' median nose-to-tail-base length seen from above
#: (2.5th and 97.5th percentiles; 300-frame sessions), as shares of the population's median
#: (62-101 mm against 83 mm; ``benchmarks/body_size.py``).
TRAINED_LENGTH_SHARE = (0.74, 1.21)

#: Camera sources whose scale is the animal's own length: its size then says nothing.
_SCALE_FROM_ANIMAL = frozenset({"body-length-estimate"})

_MIN_FRAMES = 10


@dataclass(frozen=True)
class AnimalSize:
    """One individual's median length on the floor against the synthetic population's.

    Attributes
    ----------
    individual
        The individual's name.
    pair
        The catalogue pair measured (``"nose-tail_base"``, else the longest body pair).
    length_mm
        Median horizontal distance over the frames where both are tracked, each keypoint
        at the population's median height on its ray.
    population_mm
        The synthetic population's median of the same distance.
    frames
        Frames measured.
    """

    individual: str
    pair: str
    length_mm: float
    population_mm: float
    frames: int

    @property
    def share(self) -> float:
        """``length_mm`` over ``population_mm``."""
        return self.length_mm / self.population_mm

    @property
    def in_range(self) -> bool:
        """Whether the share lies within :data:`TRAINED_LENGTH_SHARE`."""
        lo, hi = TRAINED_LENGTH_SHARE
        return lo <= self.share <= hi

    @property
    def pair_words(self) -> str:
        """The pair in words (``"nose to tail base"``)."""
        return self.pair.replace("-", " to ").replace("_", " ")

    def as_dict(self) -> dict[str, Any]:
        """Plain values for the output's metadata (``in_range``: the lift's own verdict, on
        the unrounded share)."""
        return {**asdict(self), "length_mm": round(self.length_mm, 1),
                "population_mm": round(self.population_mm, 1),
                "share": round(self.share, 3), "trained_share": list(TRAINED_LENGTH_SHARE),
                "in_range": self.in_range, "pair_words": self.pair_words}


def animal_sizes(camera: Camera, uv_cat: np.ndarray, tracked: np.ndarray,
                 individuals: Sequence[str], pair_length_mm: np.ndarray,
                 median_height_mm: np.ndarray) -> list[AnimalSize]:
    """Each individual's size on the floor through ``camera`` (see the module docstring).

    Parameters
    ----------
    camera
        The camera the lift uses.
    uv_cat, tracked
        ``(T, N, K, 2)`` pixels and ``(T, N, K)`` well-tracked flags, catalogue order.
    individuals
        The ``N`` individuals' names.
    pair_length_mm, median_height_mm
        The lifter's population pair lengths and median heights.

    Returns
    -------
    list of AnimalSize
        One per individual with a pair tracked together in at least 10 frames.
    """
    out = []
    for i, name in enumerate(individuals):
        uv, ok = uv_cat[:, i], tracked[:, i] & np.isfinite(uv_cat[:, i]).all(-1)
        try:
            pair = body_length_pair(ok, pair_length_mm)
        except DLCLifterError:
            continue
        a, b = (CATALOGUE.index(n) for n in pair.split("-"))
        both = ok[:, a] & ok[:, b]
        if both.sum() < _MIN_FRAMES:
            continue
        pa = camera.points_at_height(uv[both, a], median_height_mm[a])
        pb = camera.points_at_height(uv[both, b], median_height_mm[b])
        length = np.linalg.norm(pa[:, :2] - pb[:, :2], axis=-1)
        length = length[np.isfinite(length)]
        if len(length) < _MIN_FRAMES:
            continue
        out.append(AnimalSize(str(name), pair, float(np.median(length)),
                              float(pair_length_mm[a, b]), len(length)))
    return out


def scale_is_independent(camera_source: str) -> bool:
    """Whether a camera of this :class:`~dlc_lifter.lift.camera_estimate.CameraChoice`
    ``source`` has a scale of its own (not the animal's length)."""
    return source_kind(camera_source) not in _SCALE_FROM_ANIMAL


def _power_of_ten(share: float) -> int | None:
    """The power of ten (1 to 3, either way) that brings a share far outside the trained
    range (under 0.3 or over 3) nearest 1, where it lands within 0.5-2 (a scale given in
    other units: the heights do not scale with it, so the share is only roughly a power of
    ten off)."""
    if 0.3 <= share <= 3.0:
        return None
    exp = -round(math.log10(share))
    if exp == 0 or abs(exp) > 3 or not 0.5 <= share * 10.0 ** exp <= 2.0:
        return None
    return exp


def _what_scales(camera_source: str) -> str:
    """What to check for a camera of this source when the animal's size is off."""
    kind = source_kind(camera_source)
    frame = ("its world frame must be the floor's (z up, the floor at z = 0; an anipose "
             "calibration is in the board's or a camera's frame until aligned to the floor), "
             "in mm")
    if kind == "calibration":
        return f"the calibration: {frame}"
    if kind == "height+focal":
        return "the camera height (mm) and the focal length (px) given"
    if kind.startswith("arena"):
        return "the arena's size given (mm)"
    if kind == "floor-scale":
        return "the floor scale given (mm per pixel, or its units: '32 px/cm')"
    if kind in _SCALE_FROM_ANIMAL:
        return ("the camera, estimated from the other animals' length: give "
                "--camera-height-mm and --focal-px, --arena-size-mm or a calibration")
    return f"the camera given (a calibration: {frame})"


def warn_animal_size(sizes: Sequence[AnimalSize], source: str, camera_source: str,
                     n_individuals: int = 1, *, scaled_by: str | None = None) -> None:
    """Log a warning for the individuals whose size lies outside what the networks learned:
    one per reason, naming every individual it concerns (a mother's seven pups: one).

    ``camera_source`` names where the camera's scale came from (the
    :class:`~dlc_lifter.lift.camera_estimate.CameraChoice`'s ``source``; the animals'
    own length where several were lifted and the estimate kept the adult-sized ones); with
    one individual in the file it is called "the animal". ``scaled_by``: the camera
    source whose input set the scale where it differs (``"floor-scale"``: the arena's
    corners gave the camera, the floor scale given their size).
    """
    lo, hi = TRAINED_LENGTH_SHARE
    given = _what_scales(scaled_by or camera_source)
    kind = source_kind(camera_source)
    groups: dict[str, list[AnimalSize]] = {}  # one warning per reason
    for size in sizes:
        if not size.in_range:
            groups.setdefault(_why_off(size.share, given), []).append(size)
    for why, group in groups.items():
        if len(group) == 1:
            (size,) = group
            logger.warning(
                "%s: %s measures %.0f mm from %s seen from above (median over %d frames "
                "through the camera: %s), %.0f %% of the synthetic mice's %.0f mm, where "
                "95 %% of synthetic sessions lie within %.0f-%.0f %%. %s", source,
                "the animal" if n_individuals == 1 else size.individual,
                size.length_mm, size.pair_words, size.frames, kind, 100 * size.share,
                size.population_mm, 100 * lo, 100 * hi, why)
            continue
        logger.warning(
            "%s: %d animals measure outside the synthetic mice's lengths seen from above "
            "(95 %% of synthetic sessions lie within %.0f-%.0f %% of them; median over the "
            "frames through the camera: %s): %s. %s", source, len(group), 100 * lo,
            100 * hi, kind, "; ".join(
                f"{s.individual} {s.length_mm:.0f} mm from {s.pair_words} "
                f"({100 * s.share:.0f} % of {s.population_mm:.0f} mm)" for s in group), why)


def _why_off(share: float, given: str) -> str:
    """What an animal of this length share (outside the trained range) may mean."""
    lo, _ = TRAINED_LENGTH_SHARE
    exp = _power_of_ten(share)
    if exp is not None:
        return (f"Check {given}: {10.0 ** exp:g} times the length is a mouse's, as if the "
                "scale were in other units. The 3D is not usable as it is.")
    if share < lo:
        return (f"The scale may be off (check {given}), the keypoints may sit elsewhere "
                "than the landmarks they were mapped to, or the animal is young or small: "
                "heights may be off (another lab's mice measuring 51-72 % lifted worse "
                "than each keypoint's median height).")
    return (f"The scale may be off (check {given}), or the animal is larger than the "
            "mice the lifter learned: heights may be off.")
