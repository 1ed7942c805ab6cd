"""How the camera sees the animal, against the views the lifter is made and measured for.

The networks read each keypoint's height along its camera ray (:mod:`dlc_lifter.nets.lifter`),
so what decides how well a file lifts is the *view angle*, between the ray to the animal and
the vertical (0 deg: straight above; 90 deg: a side view), and the camera's height, not
the camera's tilt as such. The training cameras
(:func:`~dlc_lifter.camera.random_top_view`) hang :data:`~dlc_lifter.camera.TOP_VIEW_HEIGHTS_MM`
above the floor over the arena's centre, and see the animal at a median 15 deg (95 % of
views within 39 deg). Real mice lift about as well up to 20 deg and worse the more
oblique the view from 25 deg; the networks for oblique views lose less there (measured in
``docs/results.md``, "Real mice: how oblique a view lifts, measured, warned about, and
networks for oblique views" and "Real mice: the networks for oblique views learn the real
postures too, shipped"; ``benchmarks/real.py``'s "beyond the grid" rows print them). The
real-mouse targets are measured up to 20 deg (``benchmarks/real.py``'s grid).
:func:`animal_view` measures a file's view angles through the camera the lift uses
(calibrated, given or estimated; the output's metadata keeps them as
``camera_estimate["view"]``) and :func:`warn_view_range` says in the log when the median
view angle passes 25 deg or the camera's height lies outside :data:`HEIGHT_RANGE_MM`.
From :data:`OBLIQUE_FROM_DEG` (25 deg) a weights file's companion for oblique views lifts
the file (``lifter_oblique.pt`` beside ``lifter.pt``); from :data:`OBLIQUE_BLEND_FROM_DEG`
(15 deg) up to there, a lift from keypoints (offline or live) mixes both networks, the
companion's share rising with the file's median view angle (:func:`oblique_share`,
:meth:`~dlc_lifter.lift.lifter.Lifter.for_camera`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from dlc_lifter.camera import TOP_VIEW_HEIGHTS_MM, Camera
from dlc_lifter.lift.options import source_kind

__all__ = [
    "HEIGHT_RANGE_MM",
    "MEASURED_VIEW_DEG",
    "OBLIQUE_BLEND_FROM_DEG",
    "OBLIQUE_FROM_DEG",
    "SIDE_VIEW_DEG",
    "WARN_VIEW_DEG",
    "AnimalView",
    "animal_view",
    "oblique_share",
    "view_angles",
    "warn_view_range",
]

logger = logging.getLogger(__name__)

#: View angle up to which the real-mouse targets are measured (``benchmarks/real.py``'s grid).
MEASURED_VIEW_DEG = 20.0
#: Median view angle from which a lift uses the networks for oblique views alone (a weights
#: file's ``_oblique`` companion, :meth:`~dlc_lifter.lift.lifter.Lifter.for_camera`): where
#: they lift most held-out synthetic files better than the top-view networks, in every
#: 2.5 deg bin above, with the default (temporal) networks (``docs/results.md``, "Real
#: mice: how oblique a view lifts, measured, warned about, and networks for oblique views").
OBLIQUE_FROM_DEG = 25.0
#: Median view angle from which the oblique networks lift held-out synthetic files better
#: on average. Between it and :data:`OBLIQUE_FROM_DEG` neither wins most files, and a lift
#: from keypoints averages both (:func:`oblique_share`).
OBLIQUE_BLEND_FROM_DEG = 15.0
#: Median view angle from which the log warns: real mice lift worse there than straight
#: above (``docs/results.md``, the same section as :data:`OBLIQUE_FROM_DEG`).
WARN_VIEW_DEG = 25.0
#: Median view angle from which the file is nearer a side view than a top view.
SIDE_VIEW_DEG = 55.0
#: Camera heights lifted without a warning: the training cameras' range, widened to where
#: real mice still lift about as well (measured in ``docs/results.md``, "Real mice: how
#: oblique a view lifts, measured, warned about, and networks for oblique views").
HEIGHT_RANGE_MM = (200.0, 3000.0)
#: Rows the view is measured on (evenly spaced over the file).
_MAX_ROWS = 5000
#: Camera sources whose view is assumed (straight down, a usual lens), not measured.
_ASSUMED_SOURCES = frozenset({"body-length-estimate", "arena-size", "floor-scale"})


@dataclass(frozen=True)
class AnimalView:
    """How a camera sees the animal over a file.

    Attributes
    ----------
    angle_deg
        Median view angle (deg from straight down, or straight up for a camera below the
        floor) of the ray to the mean floor point of each frame's tracked keypoints.
    angle_p95_deg
        Its 95th percentile.
    height_mm
        The camera's distance from the floor plane.
    frames
        Rows measured (frames with a tracked keypoint, up to 5000 of them).
    below
        The camera is under the floor, looking up.
    """

    angle_deg: float
    angle_p95_deg: float
    height_mm: float
    frames: int
    below: bool = False

    def as_dict(self) -> dict[str, Any]:
        """For the output's metadata."""
        return {"angle_deg": round(self.angle_deg, 2),
                "angle_p95_deg": round(self.angle_p95_deg, 2),
                "height_mm": round(self.height_mm, 1), "frames": self.frames,
                "measured_up_to_deg": MEASURED_VIEW_DEG}


def view_angles(camera: Camera, uv: np.ndarray, tracked: np.ndarray) -> np.ndarray:
    """Per row, the angle (deg) off the vertical of ``camera``'s ray to the mean floor point
    of the tracked keypoints (NaN where none is tracked or no ray meets the floor).

    Parameters
    ----------
    camera
        The camera the lift uses.
    uv
        ``(..., K, 2)`` pixels (rows of frames, or frames x individuals).
    tracked
        ``(..., K)`` bool: keypoints to use (above the likelihood cutoff).

    Returns
    -------
    numpy.ndarray
        ``uv.shape[:-2]``.
    """
    from dlc_lifter.nets.lifter import floor_points  # torch: not on importing this module

    shape, k = uv.shape[:-2], uv.shape[-2]
    pts = np.asarray(uv, dtype=np.float64).reshape(-1, k, 2)
    ok = np.asarray(tracked, bool).reshape(-1, k) & np.isfinite(pts).all(-1)
    floor = floor_points(np.where(ok[..., None], pts, np.nan), camera)
    hit = np.isfinite(floor).all(-1)
    n = hit.sum(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = np.where(hit[..., None], floor, 0.0).sum(1) / n[:, None]
    cam = camera.centre
    angle = np.degrees(np.arctan2(np.linalg.norm(centre - cam[:2], axis=-1), abs(cam[2])))
    return np.where(n > 0, angle, np.nan).reshape(shape)


def animal_view(camera: Camera, uv: np.ndarray, tracked: np.ndarray) -> AnimalView | None:
    """How ``camera`` sees the tracked keypoints over a file (:func:`view_angles` of up to
    5000 evenly spaced rows; arguments as there).

    Returns
    -------
    AnimalView or None
        ``None`` when no row has a tracked keypoint whose ray meets the floor.
    """
    k = uv.shape[-2]
    uv = np.asarray(uv, dtype=np.float64).reshape(-1, k, 2)
    ok = np.asarray(tracked, bool).reshape(-1, k) & np.isfinite(uv).all(-1)
    rows = np.flatnonzero(ok.any(-1))
    if len(rows) > _MAX_ROWS:
        rows = rows[np.linspace(0, len(rows) - 1, _MAX_ROWS).round().astype(int)]
    angle = view_angles(camera, uv[rows], ok[rows]) if len(rows) else np.empty(0)
    angle = angle[np.isfinite(angle)]
    if not len(angle):
        return None
    return AnimalView(angle_deg=float(np.median(angle)),
                      angle_p95_deg=float(np.percentile(angle, 95)),
                      height_mm=abs(float(camera.centre[2])), frames=len(angle),
                      below=camera.below_floor)


def oblique_share(view_angle_deg: float | None) -> float:
    """Share of the oblique networks' points in a lift from keypoints seen at this median
    view angle: 0 up to :data:`OBLIQUE_BLEND_FROM_DEG`, rising linearly to 1 at
    :data:`OBLIQUE_FROM_DEG` (None: 0)."""
    if view_angle_deg is None:
        return 0.0
    ramp = (view_angle_deg - OBLIQUE_BLEND_FROM_DEG) / (OBLIQUE_FROM_DEG - OBLIQUE_BLEND_FROM_DEG)
    return float(min(max(ramp, 0.0), 1.0))


def warn_view_range(view: AnimalView | None, source: str, camera_source: str,
                    oblique_networks: bool = False) -> None:
    """Log a warning where ``view`` lies beyond what the lifter is measured for.

    ``camera_source`` is the :class:`~dlc_lifter.lift.camera_estimate.CameraChoice`'s
    ``source``: a camera estimated from the animal's size or the arena's size is assumed
    straight down with a usual lens, so its angles and height are assumptions, and the
    advice says so. ``oblique_networks``: the lift has networks for oblique views (the
    shipped weights do), whose real-mouse figures the warning then gives.
    """
    if view is None:
        return
    assumed = source_kind(camera_source) in _ASSUMED_SOURCES
    remedy = ("if this is a top view, give the camera's height and focal length or its "
              "calibration" if assumed else "film from closer to straight above for 3D")
    if view.angle_deg > WARN_VIEW_DEG:
        side = view.angle_deg >= SIDE_VIEW_DEG
        kind = ("nearer a side view than a top view: its 3D is not reliable" if side
                else "so its heights are rougher")
        how = ("lifted with the networks for oblique views (real mice at 30 deg: 6-8 mm, "
               "40 deg: 7-9, 50 deg: 10-12, 60 deg: 16-20)" if oblique_networks else
               "more oblique views lift worse (real mice at 25 deg: 9 mm, 30 deg: 11, 45 "
               "deg: 17, 60 deg: 43)")
        logger.warning(
            "%s: the camera (%s) sees the animal %.0f deg off the vertical (median over "
            "frames; 95 %% within %.0f). The lifter is made for views from above (or below a "
            "glass floor) and measured on real mice seen up to %.0f deg off the vertical "
            "(6.5-6.9 mm, 8 through the worst camera); %s, %s; %s.",
            source, camera_source, view.angle_deg, view.angle_p95_deg, MEASURED_VIEW_DEG,
            how, kind, remedy)
    lo, hi = HEIGHT_RANGE_MM
    if not lo <= view.height_mm <= hi:
        advice = ("A camera estimated this close usually means a close-up, a side view or a "
                  f"head-fixed set-up, not a top view of a freely moving mouse; {remedy}."
                  if assumed and view.height_mm < lo else "Heights may be less accurate.")
        logger.warning(
            "%s: the camera (%s) is %.0f mm from the floor; the lifter is trained on cameras "
            "%.0f-%.0f mm up and lifts real mice about as well from %.0f to %.0f mm. %s",
            source, camera_source, view.height_mm, *TOP_VIEW_HEIGHTS_MM, lo, hi, advice)
