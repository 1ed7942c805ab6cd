"""Per-frame behavioural features from 2D or lifted 3D poses.

:func:`compute_features` turns a :class:`~dlc_lifter.poses.Poses` into a tidy table,
one row per frame and individual, whose column names end with their unit:

``frame``, ``individual``, ``time_s``
    Video frame number, individual name, time in seconds (``frame / fps``).
``aligned_<kp>_x_<u>``, ``aligned_<kp>_y_<u>`` [, ``aligned_<kp>_z_<u>``]
    Body-centred coordinates: the tail base (or, where missing, the lowest back point)
    moved to the origin and the body axis (tail base -> ``mid_back``, falling back along
    the spine to ``mouse_center``, ``neck``, ``mid_backend``, ``head_midpoint``, the
    midpoint of the ears, the nose) turned about the vertical onto ``+y``. ``+x`` is the
    mouse's right; ``z`` (3D) is the height above the origin point.
``segment_<a>_to_<b>_angle_rad`` and ``..._angvel_rad_s``, ``..._angacc_rad_s2``
    Horizontal direction of each spine segment (posterior ``a`` to anterior ``b``)
    relative to the body axis, positive towards the mouse's left; its angular
    velocity and acceleration.
``turn_rate_rad_s``, ``turn_acceleration_rad_s2``
    Angular velocity (positive = counter-clockwise seen from above) and acceleration of
    the body axis.
``bend_ratio`` [, ``bend_ratio_3d``]
    Length of the spine polyline (nose ... tail base through the midline points
    tracked) over the straight nose - tail-base distance, in the horizontal plane (and
    in 3D): 1 for a straight mouse, larger when bent.
``head_velocity_forward_<u>_s``, ``head_velocity_lateral_<u>_s`` [, ``..._vertical_...``],
``head_speed_<u>_s``, ``head_acceleration_<u>_s2`` and the same for ``tail_base``
    Velocity in the body frame (forward along the body axis, lateral towards the
    mouse's right, vertical up), speed and magnitude of the acceleration. The head is
    the nose, else ``head_midpoint``, else the midpoint of the ears.
``height_<kp>_mm`` (3D)
    Height of each keypoint above the floor (``z``).
``body_pitch_rad`` (3D)
    Elevation of the body axis above the horizontal (rearing -> towards pi/2).
``<feature>_std<window>_<unit>``
    Rolling (population) standard deviation over the last ``window`` frames (this
    frame included) of the speeds, heights, pitch and bend ratio; NaN for the first
    ``window - 1`` frames and wherever a frame of the window is missing.
``rearing`` (3D)
    1 in the frames of a rearing bout, else 0: the rule the heights figure shades
    (:mod:`dlc_lifter.analysis.rearing`: the head, i.e. the nose where it has a
    position, higher than 45 mm above the floor for at least 0.2 s), computed by the
    same function, so the figure's count of bouts can be reproduced from the table.
    For separate images (labelled data), the head above the line in that image.
``nose_imputed`` (3D)
    1 where the lift imputed the nose that the head height (and ``rearing``) was read
    from in that frame (the nose was not tracked there: its 3D position is the
    lifter's guess), 0 where it was tracked; empty (NaN) where the file carries no
    imputed flags (only the lift's ``.h5`` does) or the head height was not read from
    a nose.

``social_partner``, ``social_distance_<u>``, ``social_approach_speed_<u>_s``,
``social_facing_angle_rad``, ``social_nose_to_nose_<u>``,
``social_nose_to_partner_tail_base_<u>``, ``social_partner_nose_to_tail_base_<u>``
[, ``social_nose_above_partner_back_<u>`` (3D)] (two animals or more)
    Each animal's relation to its nearest other in that frame (body centre to body
    centre; with three or more animals the partner is chosen again in every frame):
    its name, the distance between the centres and how fast it shrinks, the angle
    between the body axis and the direction to the partner, nose to nose, nose to tail
    base both ways, and (3D) the nose's height above the partner's back; NaN where either
    animal lacks the landmark in that frame (:mod:`dlc_lifter.analysis.social`). A file of
    one animal has none of them; ``individual=`` keeps them, still about the others.

``rearing``, ``nose_imputed`` and ``social_partner`` are annotations of the table, not
classifier inputs: :func:`feature_columns` leaves them out (``rearing`` is a threshold of a
height the classifier already has; the imputed flag describes the lift, not the behaviour;
the partner is a name), so a model's inputs do not change.
:func:`write_features` also writes a JSON sidecar, ``<table stem>.json``, recording how
the table was made: the pose file (as every output records its input,
:func:`~dlc_lifter.io.provenance.source_record`), the package version, the frame rate and
where it came from (given, the file's, or assumed), the window, the likelihood cutoff of
2D input, the rearing rule, each column's unit and, per individual, the share of frames in
which the lift imputed each landmark (:func:`features_record`).

Derivatives are central differences in time (``frame / fps``, so skipped frames are
accounted for) of the unsmoothed coordinates: filter noisy 2D tracks first if
accelerations matter.

``<u>`` is ``mm`` for 3D poses and the poses' unit (``px``) for 2D. 2D input gives the
2D subset (no heights, no pitch, no vertical velocity, no 3D bend ratio);
``compute_features(poses3d, planar=True)`` computes that same subset from the ``x, y``
of 3D poses, so 2D and 3D features can be compared fairly. For 2D image coordinates
(``meta.frame == "image"``, ``y`` down) ``y`` is flipped first, so angles keep the
world frame's sense (see docs/CONVENTIONS.md).

Keypoints are matched to the catalogue (:func:`dlc_lifter.mouse.map_keypoints`), so
``snout``/``tailbase`` work like ``nose``/``tail_base``; features that need keypoints
the poses lack are left out, and said once in the log.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dlc_lifter._atomic import check_writable
from dlc_lifter._version import __version__, software_record
from dlc_lifter.analysis.rearing import (
    REARING_MIN_S,
    REARING_MM,
    head_keypoint,
    rearing_frames,
)
from dlc_lifter.analysis.social import PARTNER_COLUMN, AnimalPoints, social_columns
from dlc_lifter.errors import FeatureError
from dlc_lifter.io.features_table import features_format, require_parquet, write_features_table
from dlc_lifter.io.provenance import not_made_from, source_record
from dlc_lifter.io.records import read_record, write_record
from dlc_lifter.lift.destinations import Provenance
from dlc_lifter.lift.keypoints import (
    file_keypoint_plan,
    lifted_keypoint_map,
    object_individuals,
    split_animals,
)
from dlc_lifter.mouse.edges import canonical_names
from dlc_lifter.mouse.keypoint_map import plan_keypoint_map
from dlc_lifter.poses import Poses

__all__ = [
    "DEFAULT_FPS",
    "DEFAULT_WINDOW",
    "FEATURES_PROVENANCE",
    "FLAG_COLUMNS",
    "FeatureError",
    "ID_COLUMNS",
    "column_units",
    "compute_features",
    "feature_columns",
    "individual_poses",
    "features_output_path",
    "stale_features",
    "features_record",
    "features_sidecar_path",
    "require_parquet",
    "write_features",
]

logger = logging.getLogger(__name__)

#: Rolling window (frames) of the variability features: 15 frames = 0.5 s at 30 fps.
DEFAULT_WINDOW = 15
#: Frame rate assumed when neither the argument nor the poses give one.
DEFAULT_FPS = 30.0
#: Columns that identify a row rather than describe the pose.
ID_COLUMNS = ("frame", "individual", "time_s")
#: Per-frame annotations, not classifier inputs: the rearing bout and the imputed nose of 3D
#: tables, the nearest other animal's name in files of several.
FLAG_COLUMNS = ("rearing", "nose_imputed", PARTNER_COLUMN)

_EAR_MID = "ear_mid"  # virtual point: midpoint of both ears
#: Origin candidates, best first (per frame, the first one tracked is used).
_ORIGIN = ("tail_base", "mid_backend3", "mid_backend2")
#: Body-axis end candidates, best first.
_AXIS = ("mid_back", "mouse_center", "neck", "mid_backend", "head_midpoint", _EAR_MID, "nose")
#: Head point candidates, best first.
_HEAD = ("nose", "head_midpoint", _EAR_MID)
#: Body centre candidates, best first (else the midpoint of the head and the tail base).
_CENTRE = ("mouse_center", "mid_back", "mid_backend")
#: Midline points, anterior to posterior.
_MIDLINE = ("nose", "head_midpoint", _EAR_MID, "neck", "mid_back", "mouse_center",
            "mid_backend", "mid_backend2", "mid_backend3", "tail_base")
_EPS = 1e-9


# ----------------------------------------------------------------------------- helpers
def _safe_name(name: str) -> str:
    s = re.sub(r"[^0-9a-zA-Z]+", "_", name.strip()).strip("_").lower()
    return s or "kp"


def _canonical(keypoints: Sequence[str], canon: Mapping[str, str], skip: Collection[str],
               source: str | None, is_3d: bool) -> dict[str, list[int]]:
    """``{feature name: candidate keypoint indices}``: catalogue names (several where
    animals' names share a landmark: ``Nose_1``, ``Nose_2``), else a cleaned user name;
    ``skip`` (the arena's landmarks, objects that stay put) left out."""
    out: dict[str, list[int]] = {}
    unmapped = []
    for i, kp in enumerate(keypoints):
        if kp in skip:
            continue
        if kp in canon:
            out.setdefault(canon[kp], []).append(i)
        else:
            unmapped.append(kp)
            name = _safe_name(kp)
            while name in out:
                name += "_"
            out[name] = [i]
    if unmapped:
        logger.info("%s: keypoints %s are not in the mouse catalogue; they get body-centred "
                    "coordinates%s only.", source or "poses", ", ".join(unmapped),
                    " and heights" if is_3d else "")
    return out


def feature_names(keypoints: Sequence[str], keypoint_map: Mapping[str, str] | None,
                  source: str | None) -> dict[str, int]:
    """``{feature name: keypoint index}`` of one animal's keypoints (live features): as
    :func:`compute_features` names them, the first of names sharing a landmark."""
    plan = plan_keypoint_map(list(keypoints), keypoint_map, strict=False, source=source)
    return {n: idx[0] for n, idx in _canonical(keypoints, plan.mapped, plan.arena, source,
                                                True).items()}


def _names_of(candidates: Mapping[str, list[int]], xy: np.ndarray) -> dict[str, int]:
    """One keypoint per feature name for one individual (``xy``: ``(T, K, D)``): where
    several name one landmark, the one it tracks in most frames."""
    tracked = np.isfinite(xy).all(-1).sum(0)
    return {name: max(idx, key=lambda k: (tracked[k], -k)) for name, idx in candidates.items()}


def _time(poses: Poses, fps: float) -> np.ndarray:
    frames = np.asarray(poses.frame_indices, dtype=np.float64)
    if poses.n_frames > 1 and not np.all(np.diff(frames) > 0):
        logger.warning("%s: frame indices are not increasing; using row numbers for time.",
                       poses.meta.source or "poses")
        frames = np.arange(poses.n_frames, dtype=np.float64)
    return frames / fps


def _gradient(y: np.ndarray, t: np.ndarray) -> np.ndarray:
    """d y / d t along axis 0 (central differences; NaN spreads to neighbours)."""
    if len(t) < 2:
        return np.full_like(y, np.nan)
    return np.gradient(y, t, axis=0)


def _wrap(a: np.ndarray) -> np.ndarray:
    return (a + np.pi) % (2 * np.pi) - np.pi


def _angular_gradient(theta: np.ndarray, t: np.ndarray) -> np.ndarray:
    """d theta / d t of an angle, differences wrapped to (-pi, pi]: no unwrapping needed."""
    n = len(t)
    out = np.full_like(theta, np.nan)
    if n < 2:
        return out
    out[1:-1] = _wrap(theta[2:] - theta[:-2]) / (t[2:] - t[:-2])
    out[0] = _wrap(theta[1] - theta[0]) / (t[1] - t[0])
    out[-1] = _wrap(theta[-1] - theta[-2]) / (t[-1] - t[-2])
    return out


def _rolling_std(x: np.ndarray, window: int) -> np.ndarray:
    return pd.Series(x).rolling(window, min_periods=window).std(ddof=0).to_numpy()


def _resolve_fps(poses: Poses, fps: float | None) -> tuple[float, str]:
    """``(rate, where from)``: the rate given (``"given"``), else the file's (``"file"``),
    else :data:`DEFAULT_FPS` (``"assumed"``, warned)."""
    for f, where in ((fps, "given"), (poses.meta.fps, "file")):
        if f is not None and np.isfinite(f) and f > 0:
            return float(f), where
    logger.warning("%s: frame rate unknown; assuming %.0f fps for velocities (pass fps=).",
                   poses.meta.source or "poses", DEFAULT_FPS)
    return DEFAULT_FPS, "assumed"


class _Body:
    """Named points of one individual, ``(frames, d)`` each, with per-frame fallbacks; its
    head, tail base and body axis are worked out once, for its own columns and the social
    ones alike (read only: every consumer makes new arrays from them)."""

    def __init__(self, xyz: np.ndarray, names: dict[str, int]) -> None:
        self.xyz = xyz
        self.names = names
        self.d = xyz.shape[-1]

    def has(self, name: str) -> bool:
        if name == _EAR_MID:
            return "left_ear" in self.names and "right_ear" in self.names
        return name in self.names

    def point(self, name: str) -> np.ndarray:
        if name == _EAR_MID:
            return (self.point("left_ear") + self.point("right_ear")) / 2
        return self.xyz[:, self.names[name]]

    def available(self, candidates: Sequence[str]) -> list[str]:
        return [c for c in candidates if self.has(c)]

    def first(self, candidates: Sequence[str]) -> np.ndarray:
        """Per frame, the first candidate tracked in that frame (NaN if none); a new array."""
        out = np.full((self.xyz.shape[0], self.d), np.nan)
        for c in self.available(candidates):
            p = self.point(c)
            fill = np.isnan(out).any(-1) & ~np.isnan(p).any(-1)
            out[fill] = p[fill]
        return out

    @cached_property
    def head(self) -> np.ndarray:
        """The head point: :data:`_HEAD`'s first tracked in each frame."""
        return self.first(_HEAD)

    @cached_property
    def origin(self) -> np.ndarray:
        """The tail base (the body frame's origin): :data:`_ORIGIN`'s first tracked."""
        return self.first(_ORIGIN)

    @cached_property
    def tip(self) -> np.ndarray:
        """The body axis's forward point: :data:`_AXIS`'s first tracked."""
        return self.first(_AXIS)

    @cached_property
    def frame(self) -> tuple[np.ndarray, np.ndarray]:
        """:func:`_body_frame` of :attr:`origin` and :attr:`tip`: forward and heading."""
        return _body_frame(self.origin, self.tip)


def _body_frame(origin: np.ndarray, tip: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit forward ``(F, 2)`` (horizontal body axis) and heading angle ``(F,)``."""
    v = tip[:, :2] - origin[:, :2]
    norm = np.linalg.norm(v, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        fwd = np.where((norm > _EPS)[:, None], v / norm[:, None], np.nan)
    heading = np.arctan2(fwd[:, 1], fwd[:, 0])
    return fwd, heading


def _spine_length(points: list[np.ndarray]) -> np.ndarray:
    """Per-frame length of the polyline through the points tracked in each frame."""
    prev = points[0].copy()
    length = np.zeros(prev.shape[0])
    for p in points[1:]:
        ok = ~np.isnan(p).any(-1)
        with np.errstate(invalid="ignore"):
            seg = np.linalg.norm(p - prev, axis=-1)
        length = length + np.where(ok, seg, 0.0)
        prev = np.where(ok[:, None], p, prev)
    return length


# ----------------------------------------------------------------------------- features
def _individual_features(
    body: _Body,
    t: np.ndarray,
    unit: str,
    window: int,
    is_3d: bool,
    left_out: dict[str, str],
    rolling: bool = True,
) -> dict[str, np.ndarray]:
    """Feature columns of one individual; ``left_out`` collects skipped groups; the
    rolling variability NaN without ``rolling`` (rows that are not a video)."""
    xyz, names = body.xyz, body.names
    cols: dict[str, np.ndarray] = {}
    rolled: list[tuple[str, str, str]] = []  # (column, name, unit suffix)
    n = xyz.shape[0]

    origin_names = body.available(_ORIGIN)
    axis_names = body.available(_AXIS)
    origin, tip = body.origin, body.tip
    has_axis = bool(origin_names and axis_names)
    if has_axis:
        fwd, heading = body.frame
    else:
        fwd = np.full((n, 2), np.nan)
        heading = np.full(n, np.nan)
        left_out["body-centred coordinates, spine angles, turning, body-frame velocities, "
                 "pitch"] = ("a tail base (tail_base / mid_backend3 / mid_backend2) and a "
                             "point further forward on the body")
    right = np.stack([fwd[:, 1], -fwd[:, 0]], -1)

    if has_axis:
        _aligned_columns(cols, xyz, names, origin, origin_names[0], fwd, right, unit, is_3d)
    midline = body.available(_MIDLINE)
    if _EAR_MID in midline and "head_midpoint" in midline:
        midline.remove(_EAR_MID)
    if has_axis:
        _turning_columns(cols, left_out, body, midline, (origin_names[0], axis_names[0]),
                         fwd, right, heading, t)
    _bend_columns(cols, rolled, left_out, body, midline, is_3d)
    _motion_columns(cols, rolled, left_out, body, fwd, right, t, unit, is_3d)
    if is_3d:
        _height_columns(cols, rolled, xyz, names, origin, tip, has_axis, unit)

    # rolling variability
    for col, base, suffix in rolled:
        cols[f"{base}_std{window}{suffix}"] = (_rolling_std(cols[col], window) if rolling
                                               else np.full(n, np.nan))
    return cols


def _aligned_columns(
    cols: dict[str, np.ndarray], xyz: np.ndarray, names: dict[str, int], origin: np.ndarray,
    origin_name: str, fwd: np.ndarray, right: np.ndarray, unit: str, is_3d: bool,
) -> None:
    """Body-centred coordinates of every keypoint but the origin (all zeros)."""
    for name, k in names.items():
        if name == origin_name:
            continue
        rel = xyz[:, k] - origin
        cols[f"aligned_{name}_x_{unit}"] = np.einsum("fd,fd->f", rel[:, :2], right)
        cols[f"aligned_{name}_y_{unit}"] = np.einsum("fd,fd->f", rel[:, :2], fwd)
        if is_3d:
            cols[f"aligned_{name}_z_{unit}"] = rel[:, 2]


def _turning_columns(
    cols: dict[str, np.ndarray], left_out: dict[str, str], body: _Body, midline: list[str],
    axis_pair: tuple[str, str], fwd: np.ndarray, right: np.ndarray, heading: np.ndarray,
    t: np.ndarray,
) -> None:
    """Spine segment angles relative to the body axis, then the turning of the axis."""
    segments = [(a, b) for b, a in zip(midline, midline[1:], strict=False)]  # a behind b
    segments = [s for s in segments if s != axis_pair]
    if segments:
        for a, b in segments:
            seg = body.point(b)[:, :2] - body.point(a)[:, :2]
            along = np.einsum("fd,fd->f", seg, fwd)
            across = np.einsum("fd,fd->f", seg, right)
            ang = np.arctan2(-across, along) + 0.0  # positive: to the mouse's left; no -0
            base = f"segment_{a}_to_{b}"
            vel = _angular_gradient(ang, t)
            cols[f"{base}_angle_rad"] = ang
            cols[f"{base}_angvel_rad_s"] = vel
            cols[f"{base}_angacc_rad_s2"] = _gradient(vel, t)
    else:
        left_out["spine segment angles"] = "two spine points besides the body axis"
    turn = _angular_gradient(heading, t)
    cols["turn_rate_rad_s"] = turn
    cols["turn_acceleration_rad_s2"] = _gradient(turn, t)


def _bend_columns(
    cols: dict[str, np.ndarray], rolled: list[tuple[str, str, str]],
    left_out: dict[str, str], body: _Body, midline: list[str], is_3d: bool,
) -> None:
    if len(midline) >= 3 and midline[0] == "nose" and midline[-1] == "tail_base":
        pts = [body.point(m) for m in midline]
        with np.errstate(invalid="ignore", divide="ignore"):
            flat = [p[:, :2] for p in pts]
            chord = np.linalg.norm(flat[0] - flat[-1], axis=-1)
            ratio = _spine_length(flat) / chord
            ratio[~(chord > _EPS)] = np.nan
            cols["bend_ratio"] = ratio
            rolled.append(("bend_ratio", "bend_ratio", ""))
            if is_3d:
                chord3 = np.linalg.norm(pts[0] - pts[-1], axis=-1)
                ratio3 = _spine_length(pts) / chord3
                ratio3[~(chord3 > _EPS)] = np.nan
                cols["bend_ratio_3d"] = ratio3
    else:
        left_out["bend ratio"] = "nose, tail base and a midline point between them"


def _motion_columns(
    cols: dict[str, np.ndarray], rolled: list[tuple[str, str, str]],
    left_out: dict[str, str], body: _Body, fwd: np.ndarray, right: np.ndarray,
    t: np.ndarray, unit: str, is_3d: bool,
) -> None:
    """Head and tail-base velocity in the body frame, speed and acceleration."""
    for label, candidates in (("head", _HEAD), ("tail_base", _ORIGIN)):
        if not body.available(candidates):
            left_out[f"{label} velocity"] = " / ".join(
                "both ears" if c == _EAR_MID else c for c in candidates)
            continue
        p = body.head if label == "head" else body.origin
        v = _gradient(p, t)
        acc = _gradient(v, t)
        cols[f"{label}_velocity_forward_{unit}_s"] = np.einsum("fd,fd->f", v[:, :2], fwd)
        cols[f"{label}_velocity_lateral_{unit}_s"] = np.einsum("fd,fd->f", v[:, :2], right)
        if is_3d:
            cols[f"{label}_velocity_vertical_{unit}_s"] = v[:, 2]
        cols[f"{label}_speed_{unit}_s"] = np.linalg.norm(v, axis=-1)
        cols[f"{label}_acceleration_{unit}_s2"] = np.linalg.norm(acc, axis=-1)
        rolled.append((f"{label}_speed_{unit}_s", f"{label}_speed", f"_{unit}_s"))


def _height_columns(
    cols: dict[str, np.ndarray], rolled: list[tuple[str, str, str]], xyz: np.ndarray,
    names: dict[str, int], origin: np.ndarray, tip: np.ndarray, has_axis: bool, unit: str,
) -> None:
    """Heights of every keypoint and the pitch of the body axis (3D only)."""
    for name, k in names.items():
        col = f"height_{name}_{unit}"
        cols[col] = xyz[:, k, 2]
        rolled.append((col, f"height_{name}", f"_{unit}"))
    if has_axis:
        d = tip - origin
        with np.errstate(invalid="ignore"):
            cols["body_pitch_rad"] = np.arctan2(d[:, 2], np.linalg.norm(d[:, :2], axis=-1))
        rolled.append(("body_pitch_rad", "body_pitch", "_rad"))


def _social_features(
    bodies: Sequence[_Body], individuals: Sequence[Any], t: np.ndarray, unit: str,
    left_out: dict[str, str], slots: Collection[str] = (),
) -> dict[str, np.ndarray]:
    """The social columns of every individual, ``{column: (frames, individuals)}``
    (:mod:`dlc_lifter.analysis.social`), the partner as its name (``None`` for none), from
    each body's landmarks with this module's per-frame fallbacks; ``slots`` name the
    individuals with no identity over time (:func:`untracked_slots`)."""
    first = bodies[0]  # every individual has the same keypoints
    has_head, has_tail = bool(first.available(_HEAD)), bool(first.available(_ORIGIN))
    if not first.available(_CENTRE) and not (has_head and has_tail):
        left_out["social features"] = ("a body centre (mouse_center / mid_back / "
                                       "mid_backend), or a head and a tail base")
        return {}
    centre, nose, tail, forward = [], [], [], []
    for body in bodies:
        c = body.first(_CENTRE)
        gap = np.isnan(c).any(-1)
        c[gap] = ((body.head + body.origin) / 2)[gap]
        centre.append(c)
        nose.append(body.head)
        tail.append(body.origin)
        forward.append(body.frame[0])
    has_axis = has_tail and bool(first.available(_AXIS))
    if not has_head:
        left_out["the social nose columns"] = "a nose, head_midpoint or both ears"
    if not has_tail:
        left_out["the social tail-base columns"] = "a tail_base / mid_backend3 / mid_backend2"
    if not has_axis:
        left_out["social_facing_angle_rad"] = "a body axis: a tail base and a point ahead"
    points = AnimalPoints(centre=np.stack(centre, 1),
                          nose=np.stack(nose, 1) if has_head else None,
                          tail_base=np.stack(tail, 1) if has_tail else None,
                          forward=np.stack(forward, 1) if has_axis else None)
    cols = social_columns(points, t, unit,
                          identity=np.array([str(ind) not in slots for ind in individuals]))
    partner = cols[PARTNER_COLUMN]
    who = np.array([str(ind) for ind in individuals] + [None], dtype=object)
    cols[PARTNER_COLUMN] = who[partner]  # -1 (no partner) reads the appended None
    return cols


def compute_features(
    poses: Poses,
    *,
    window: int = DEFAULT_WINDOW,
    individual: str | int | None = None,
    fps: float | None = None,
    planar: bool = False,
    keypoint_map: Mapping[str, str] | None = None,
    pcutoff: float | None = None,
) -> pd.DataFrame:
    """Per-frame behavioural features of 2D or 3D poses (see the module docstring).

    Parameters
    ----------
    poses
        2D (pixels) or lifted 3D (mm, ``z`` up, floor at 0) poses.
    window
        Length, in frames, of the trailing rolling window of the variability
        (``*_std<window>*``) columns; they are NaN for the first ``window - 1`` frames.
        Default 15 (0.5 s at 30 fps).
    individual
        Compute only this individual (name or position); default: every individual. Its
        social columns are still about the other individuals.
    fps
        Frame rate for velocities; default ``poses.meta.fps``, else 30 with a warning.
    planar
        For 3D poses, compute only the features 2D poses give, from ``x, y`` (mm): the
        fair 2D counterpart of the 3D features.
    keypoint_map
        ``{user name: catalogue name}`` overrides for keypoint names; default: for a
        lifted file, the landmark the lift gave each column (its meta pickle's
        ``catalogue_names``, a keypoint map given to the lift included). 2D poses are
        read as the lift reads them: names that number or prefix two animals in one
        individual (SimBA's ``Nose_1``, ``Nose_2``) become two individuals, and the
        arena's landmarks (corners, centre) and the points that stay put while the
        animal moves (objects, a maze's parts) are left out.
    pcutoff
        2D poses: points of a lower likelihood are untracked (NaN), as the lift and
        DeepLabCut's own plots take them; default the DeepLabCut config's
        (``meta.extra["pcutoff"]``), else 0.6. Lifted 3D poses have their untracked
        points imputed or NaN already.

    Returns
    -------
    pandas.DataFrame
        One row per frame and individual: ``frame``, ``individual``, ``time_s``, then
        the feature columns (names end with their unit), float64; with two individuals
        or more, the social columns too (``social_partner``: a name, ``None`` for none).

    Raises
    ------
    FeatureError
        When ``window`` is below 2 or the individual does not exist.
    """
    if int(window) != window or window < 2:
        raise FeatureError(f"window must be an integer of at least 2 frames; got {window}.")
    window = int(window)
    source = poses.meta.source
    asked = {"window": window, "individual": individual, "fps": fps, "planar": bool(planar),
             "pcutoff": pcutoff,
             "keypoint_map": None if keypoint_map is None else dict(keypoint_map)}
    if keypoint_map is None:  # a lift's own record of its names' landmarks
        keypoint_map = lifted_keypoint_map(poses)
    # 2D as the lift reads it: points that stay put while the animal moves (objects, a
    # maze's parts) are not the animal's, and the lift leaves them out
    plan = file_keypoint_plan(poses, keypoint_map)
    skip = {**plan.arena, **dict.fromkeys(plan.objects, "still")}
    if not poses.is_3d:  # one table of two animals' names (SimBA's Nose_1, Nose_2): as lifted
        poses = _without_objects(split_animals(poses, plan), plan, individual, source)
    everyone = poses  # social features take every animal, whichever rows are asked for
    poses, imputed = individual_poses(poses, individual, source)
    rows = [list(map(str, everyone.individuals)).index(str(ind)) for ind in poses.individuals]
    slots = untracked_slots(everyone)
    if window > poses.n_frames and not poses.stills:
        logger.warning("%s: the window (%d frames) is longer than the recording (%d frames): "
                       "every variability column (*_std%d*) is NaN. Give a shorter --window.",
                       source or "poses", window, poses.n_frames, window)
    if poses.stills:  # labelled images: nothing changes over time between them
        logger.warning("%s: its rows are separate images (labelled data, or frames lifted "
                       "one by one as not consecutive), not a video: velocities, "
                       "accelerations, turning and the variability over a window (*_std*) "
                       "are left empty (NaN); time_s too.", source or "poses")
        rate = float(fps) if fps else (poses.meta.fps or np.nan)
        t = np.full(poses.n_frames, np.nan)
        fps_source = "given" if fps else ("file" if poses.meta.fps else None)
    else:
        rate, fps_source = _resolve_fps(poses, fps)
        t = _time(poses, rate)
    is_3d = poses.is_3d and not planar
    units = poses.meta.units if poses.meta.units in ("mm", "px", "cm", "m") else None
    unit = units or ("mm" if poses.is_3d else "px")
    coords = everyone.coords[..., : 3 if is_3d else 2].copy()
    cutoff = None if poses.is_3d else _drop_untracked(coords, everyone, pcutoff)
    if not poses.is_3d and poses.meta.frame == "image":
        coords[..., 1] *= -1  # image y points down; features use y up
    candidates = _canonical(poses.keypoints, plan.mapped, skip, source, is_3d)
    bodies = [_Body(coords[:, i], _names_of(candidates, coords[:, i]))
              for i in range(everyone.n_individuals)]

    left_out: dict[str, str] = {}
    frames = []
    alone = {i for i, ind in enumerate(poses.individuals) if str(ind) in slots}
    _warn_slots(poses, alone, source, pairs_kept=everyone.n_individuals == 2)
    flags = (_flag_columns(poses, imputed, None if poses.stills else rate, alone)
             if is_3d else None)
    social = (_social_features(bodies, everyone.individuals, t, unit, left_out, slots)
              if everyone.n_individuals > 1 else {})
    steps = []  # each row's fastest step from the row before: a jump, not halved
    for i, ind in enumerate(poses.individuals):
        r = rows[i]
        steps.append(_step_speed(bodies[r], np.full_like(t, np.nan) if i in alone else t))
        cols = _individual_features(bodies[r], np.full_like(t, np.nan) if i in alone else t,
                                    unit, window, is_3d, left_out,
                                    rolling=not poses.stills and i not in alone)
        cols.update({name: col[:, r] for name, col in social.items()})
        if flags is not None:
            cols.update({name: col[:, i] for name, col in flags.items()})
        head = pd.DataFrame({
            "frame": np.asarray(poses.frame_indices, dtype=np.int64),
            "individual": pd.Series([str(ind)] * poses.n_frames, dtype=object),
            "time_s": t,
        })
        body = pd.DataFrame({c: v for c, v in cols.items() if c != PARTNER_COLUMN},
                            index=head.index, dtype=np.float64)
        if PARTNER_COLUMN in cols:  # a name among the numbers, before the social columns
            at = list(cols).index(PARTNER_COLUMN)
            body.insert(at, PARTNER_COLUMN, pd.Series(cols[PARTNER_COLUMN], dtype=object))
        frames.append(pd.concat([head, body], axis=1))
    if left_out:
        logger.info("%s: left out %s.", source or "poses", "; ".join(
            f"{what} (needs {need})" for what, need in left_out.items()))
    if not is_3d:
        logger.debug("%s: %s input, so no heights, pitch or vertical velocity.",
                     source or "poses", "planar" if poses.is_3d else "2D")
    df = pd.concat(frames, axis=0, ignore_index=True)
    df.attrs.update({
        "window": window, "fps": rate, "fps_assumed": fps_source == "assumed",
        "fps_source": fps_source, "units": unit, "dims": 3 if is_3d else 2,
        "planar": bool(planar and poses.is_3d), "source": source, "pcutoff": cutoff,
        "rearing": ({"threshold_mm": REARING_MM, "min_duration_s": REARING_MIN_S}
                    if is_3d else None),
        "imputed": _imputed_shares(poses, imputed), "options": asked})
    _warn_jumps(df, unit, source, np.concatenate(steps) if steps else np.zeros(0))
    return df


#: A head or tail base faster than this (mm/s) is a jump in the tracking, not a mouse: mice
#: run at up to about 1 m/s in an arena.
JUMP_MM_S = 2000.0
#: The same in pixels: faster than this many of the animal's own nose-to-tail-base lengths
#: (its median, seen from above) per second, :data:`JUMP_MM_S` over a mouse about 80 mm long.
JUMP_BODY_LENGTHS_S = 25.0
_MM_PER = {"mm": 1.0, "cm": 10.0, "m": 1000.0}


def _without_objects(poses: Poses, plan: Any, asked: str | None, source: str | None) -> Poses:
    """A 2D file's individuals without those tracked by no keypoint of the mouse
    (:func:`~dlc_lifter.lift.keypoints.object_individuals`: a multi-animal DeepLabCut
    file's ``single``, the arena's corners, objects), left out as the lift leaves them out
    (unless asked for by name)."""
    out = [ind for ind in object_individuals(poses, plan) if ind != asked]
    if not out:
        return poses
    logger.info("%s: left out of the features, tracking none of the mouse's keypoints (not "
                "an animal: the arena, objects): %s.", source or "poses", ", ".join(out))
    return poses.select(individuals=[str(i) for i in poses.individuals if str(i) not in out])


def _step_speed(body: _Body, t: np.ndarray) -> np.ndarray:
    """Per frame, how fast the head or the tail base stepped from the frame before (the
    faster; NaN where not measured): a jump of one frame at its full speed, which the
    speed columns' central differences halve."""
    out = np.full(len(t), np.nan)
    dt = np.diff(t)
    for p in (body.head, body.origin):
        if not np.isfinite(p).any() or len(t) < 2:
            continue
        with np.errstate(invalid="ignore", divide="ignore"):
            v = np.linalg.norm(np.diff(p, axis=0), axis=-1) / dt
        out[1:] = np.fmax(out[1:], np.where(dt > 0, v, np.nan))
    return out


def _warn_jumps(df: pd.DataFrame, unit: str, source: str | None,
                steps: np.ndarray) -> None:
    """Say where the head or tail base moves faster than a mouse can (:data:`JUMP_MM_S`; in
    pixels, :data:`JUMP_BODY_LENGTHS_S` of the animal's own length), by the speed columns
    and each row's step from the row before (``steps``, :func:`_step_speed`): identity
    swaps between animals and mistracks make speeds that every velocity feature (and a
    classifier) then takes as movement."""
    cols = [c for c in (f"head_speed_{unit}_s", f"tail_base_speed_{unit}_s") if c in df]
    if not cols:
        return
    speed = np.nan_to_num(df[cols].to_numpy(dtype=float), nan=0.0).max(axis=1)
    if len(steps) == len(speed):
        speed = np.fmax(speed, np.nan_to_num(steps, nan=0.0))
    several = df["individual"].nunique() > 1
    for ind in pd.unique(df["individual"]):
        mine = (df["individual"] == ind).to_numpy()
        limit = _jump_limit(df[mine], unit)
        if limit is None:
            continue
        rows = mine & (speed > limit[0])
        if not rows.any():
            continue
        frames = df["frame"][rows].to_numpy()
        logger.warning(
            "%s%s: the head or tail base moves faster than %s, faster than a mouse runs, in "
            "%d frames (up to %s; frames %s%s): jumps in the tracking (identity swaps "
            "between animals, mistracks), which the speed and acceleration features take "
            "as movement. Check those frames.", source or "poses",
            f" ({ind})" if several else "", limit[1], int(rows.sum()),
            limit[2](float(speed[rows].max())),
            ", ".join(str(int(f)) for f in frames[:5]), ", ..." if len(frames) > 5 else "")


def _jump_limit(rows: pd.DataFrame, unit: str
                ) -> tuple[float, str, Callable[[float], str]] | None:
    """One animal's speed limit in the table's unit, how to say it, and how to say a speed;
    ``None`` where there is none to judge by (pixels without a nose and a tail base)."""
    if unit in _MM_PER:
        return (JUMP_MM_S / _MM_PER[unit], f"{JUMP_MM_S / 1000:g} m/s",
                lambda v: f"{v * _MM_PER[unit] / 1000:.1f} m/s")
    nose = [f"aligned_nose_{a}_{unit}" for a in "xy"]
    if not all(c in rows for c in nose):
        return None
    length = float(np.nanmedian(np.hypot(*(rows[c].to_numpy(dtype=float) for c in nose))))
    if not np.isfinite(length) or length <= 0:
        return None
    return (JUMP_BODY_LENGTHS_S * length,
            f"{JUMP_BODY_LENGTHS_S:g} of its lengths per second ({length:.0f} {unit} nose "
            "to tail base)", lambda v: f"{v / length:.0f} lengths per second")


def untracked_slots(poses: Poses) -> set[str]:
    """The individuals of ``poses`` that keep no identity from frame to frame.

    A SLEAP file's untracked instances, where a frame holds two or more, are read as slots
    ``untracked0, untracked1, ...`` (``meta.extra["untracked_individuals"]``) by their
    order in each frame, so a slot may hold another animal in the next frame; their lift
    records them (``meta.extra["lift_mode"]["untracked_alone"]``). A file's one untracked
    individual is its one animal, not a slot.

    Parameters
    ----------
    poses
        2D or lifted 3D poses.

    Returns
    -------
    set of str
        The slots' names; empty for tracked files.

    Examples
    --------
    >>> from dlc_lifter.poses import PoseMetadata, Poses
    >>> slots = ["untracked0", "untracked1"]
    >>> p = Poses(np.zeros((2, 2, 1, 2)), keypoints=["nose"], individuals=slots,
    ...           meta=PoseMetadata(extra={"untracked_individuals": slots}))
    >>> sorted(untracked_slots(p))
    ['untracked0', 'untracked1']
    """
    extra = poses.meta.extra
    listed = [str(n) for n in extra.get("untracked_individuals") or ()]
    mode = extra.get("lift_mode")
    lifted = mode.get("untracked_alone") if isinstance(mode, Mapping) else None
    return (set(listed) if len(listed) > 1 else set()) | {str(n) for n in lifted or ()}


def _warn_slots(poses: Poses, alone: Collection[int], source: str | None,
                pairs_kept: bool) -> None:
    """Say which rows are untracked slots, whose features over time are left empty
    (their social approach speed too, unless ``pairs_kept``: two animals in all)."""
    if alone and not poses.stills:
        logger.warning(
            "%s: %s are untracked instances (no track, so no identity: a slot may hold "
            "another animal in the next frame): their velocities, accelerations, turning"
            "%s and variability over a window (*_std*) are left empty (NaN), and rearing "
            "is read in each frame alone. Track the animals (SLEAP's tracker, or "
            "proofread tracks) for features over time.", source or "poses",
            ", ".join(str(poses.individuals[i]) for i in sorted(alone)),
            "" if pairs_kept else ", social approach speed")


def _drop_untracked(coords: np.ndarray, poses: Poses, pcutoff: float | None) -> float:
    """2D points below the likelihood cutoff set to NaN in place (said in the log); the
    cutoff used."""
    cut = float(pcutoff if pcutoff is not None else poses.meta.extra.get("pcutoff", 0.6))
    conf = np.asarray(poses.confidence, dtype=float)
    low = np.isfinite(coords).all(-1) & ~(np.nan_to_num(conf, nan=0.0) >= float(cut))
    if low.any():
        coords[low] = np.nan
        logger.info("%s: %d of %d points below the likelihood cutoff %.2f are untracked (NaN) "
                    "in the 2D features.", poses.meta.source or "poses", int(low.sum()),
                    int(np.isfinite(poses.coords[..., 0]).sum()), float(cut))
    return cut


def individual_poses(poses: Poses, individual: str | int | None, source: str | None = None
                     ) -> tuple[Poses, np.ndarray | None]:
    """The poses of ``individual`` (a name, a position, or a position written as digits on
    the command line; every individual where ``None``) and the lift's imputed flags of them
    (``None`` where the poses carry none).

    Raises
    ------
    FeatureError
        When there is no such individual.
    """
    if isinstance(individual, str) and individual not in map(str, poses.individuals) and (
            individual.isdigit()):
        individual = int(individual)  # a position, from the command line
    if individual is not None:
        poses = poses.select_individual(individual, lambda names: FeatureError(
            f"{source or 'poses'}: no individual {individual!r}; there are {names}."))
    return poses, _imputed_flags(poses)


def _imputed_flags(poses: Poses) -> np.ndarray | None:
    """The lift's imputed flags ``(frames, individuals, keypoints)`` (the ``/imputed`` of
    its ``.h5``, ``meta.extra["imputed"]``), ``None`` where the poses carry none."""
    imputed = poses.meta.extra.get("imputed")
    if not poses.is_3d or imputed is None or np.shape(imputed) != poses.confidence.shape:
        return None
    return np.asarray(imputed, dtype=bool)


def _flag_columns(poses: Poses, imputed: np.ndarray | None, fps: float | None,
                  alone: Collection[int] = ()) -> dict[str, np.ndarray]:
    """``rearing`` and ``nose_imputed``, ``(frames, individuals)`` float each: the heights
    figure's rule (:func:`~dlc_lifter.analysis.rearing.rearing_frames` of
    :func:`~dlc_lifter.analysis.rearing.head_keypoint`; each frame alone for the
    individuals in ``alone``), and whether the nose it read was imputed (NaN where
    unknown)."""
    height, index = head_keypoint(poses)
    rearing = np.stack([rearing_frames(height[:, i], None if i in alone else fps)
                        for i in range(poses.n_individuals)], axis=1).astype(np.float64)
    nose_imputed = np.full(height.shape, np.nan)
    if imputed is not None:
        canon = np.array([c == "nose" for c in canonical_names(poses.keypoints)] + [False])
        from_nose = canon[index]  # index -1 (no head) reads the appended False
        got = np.take_along_axis(imputed, np.maximum(index, 0)[..., None], axis=2)[..., 0]
        nose_imputed[from_nose] = got[from_nose]
    return {"rearing": rearing, "nose_imputed": nose_imputed}


def _imputed_shares(poses: Poses, imputed: np.ndarray | None
                    ) -> dict[str, dict[str, float]] | None:
    """Per individual, ``{keypoint: share of frames imputed}`` of the keypoints the lift
    imputed at least once; ``None`` without flags."""
    if imputed is None or not poses.n_frames:
        return None
    share = imputed.mean(axis=0)
    return {str(ind): {str(kp): round(float(share[i, k]), 4)
                       for k, kp in enumerate(poses.keypoints) if share[i, k] > 0}
            for i, ind in enumerate(poses.individuals)}


def feature_columns(df: pd.DataFrame) -> list[str]:
    """The feature columns of a :func:`compute_features` table: neither the identifying
    ones (:data:`ID_COLUMNS`) nor the annotations (:data:`FLAG_COLUMNS`)."""
    return [c for c in df.columns if c not in ID_COLUMNS and c not in FLAG_COLUMNS]


# ----------------------------------------------------------------------------- writing
def features_output_path(
    poses_path: str | Path, destfolder: str | Path | None = None, fmt: str = "csv"
) -> Path:
    """``<stem>_features.<csv|parquet>`` beside the pose file or in ``destfolder``."""
    p = Path(poses_path)
    folder = Path(destfolder) if destfolder is not None else p.parent
    return folder / f"{p.stem}_features.{features_format(fmt)}"


def features_sidecar_path(table_path: str | Path) -> Path:
    """``<table stem>.json`` beside a features table: its record (:func:`features_record`)."""
    p = Path(table_path)
    return p.with_name(f"{p.stem}.json")


#: Units of the columns that do not end with one.
_FIXED_UNITS = {
    "frame": "video frame number", "individual": "name", "time_s": "s",
    "rearing": "1 = in a rearing bout, 0 = not (rule: 'rearing')",
    "nose_imputed": "1 = the nose was imputed by the lift, 0 = tracked, empty = unknown",
    PARTNER_COLUMN: "name of the nearest other individual, empty = none",
}


def column_units(columns: Sequence[str], unit: str = "mm") -> dict[str, str | None]:
    """The unit of each column of a features table, read from its name's ending.

    Parameters
    ----------
    columns
        Column names of a :func:`compute_features` table.
    unit
        Its length unit (``df.attrs["units"]``: ``mm``, or ``px`` for 2D).

    Returns
    -------
    dict
        ``{column: unit}``: ``mm``, ``mm/s``, ``mm/s^2``, ``rad``, ``rad/s``, ``rad/s^2``,
        ``1`` (ratios), the flags' meaning; ``None`` for a name of no known ending.

    Examples
    --------
    >>> column_units(["head_speed_mm_s", "turn_rate_rad_s", "bend_ratio_std15"])
    {'head_speed_mm_s': 'mm/s', 'turn_rate_rad_s': 'rad/s', 'bend_ratio_std15': '1'}
    """
    out: dict[str, str | None] = {}
    endings = [(f"_{u}_s2", f"{u}/s^2") for u in (unit, "rad")] + [
        (f"_{u}_s", f"{u}/s") for u in (unit, "rad")] + [(f"_{u}", u) for u in (unit, "rad")]
    for col in columns:
        if col in _FIXED_UNITS:
            out[col] = _FIXED_UNITS[col]
        elif re.fullmatch(r"bend_ratio(_3d)?(_std\d+)?", col):
            out[col] = "1"
        else:
            out[col] = next((u for end, u in endings if col.endswith(end)), None)
    return out


def _plain(value: Any) -> Any:
    """``value`` as JSON takes it: numpy numbers as Python's, NaN as ``None``."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.generic,)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def features_record(df: pd.DataFrame, source: str | Path | None = None) -> dict[str, Any]:
    """How a :func:`compute_features` table was made: the content of its JSON sidecar.

    Parameters
    ----------
    df
        Table from :func:`compute_features` (its ``attrs`` hold the record).
    source
        The pose file it was computed from (default ``df.attrs["source"]``).

    Returns
    -------
    dict
        ``source`` (the path as given) and ``source_file`` (the file as every output
        records its input, :func:`~dlc_lifter.io.provenance.source_record`; ``None``
        where ``source`` is not a file), ``dlc_lifter_version``,
        ``created`` (UTC), ``dims`` (2 or 3), ``planar``, ``length_unit``, ``fps`` and
        ``fps_source`` (``"given"``: the ``fps`` argument, ``--fps``; ``"file"``: the pose
        file's; ``"assumed"``: unknown, 30 taken; ``None`` for separate images),
        ``window`` (frames), ``pcutoff`` (2D input; ``None`` for 3D), ``rearing`` (the
        rule of the ``rearing`` column: ``threshold_mm``, ``min_duration_s``, ``head``;
        ``None`` without heights), ``imputed`` (per individual, ``{keypoint: share of
        frames the lift imputed it}``; ``None`` where the file carries no flags),
        ``individuals``, ``columns`` (``{column: unit}``, :func:`column_units`) and
        ``options``: the arguments :func:`compute_features` was given (``window``,
        ``individual``, ``fps``, ``planar``, ``pcutoff``, ``keypoint_map``; ``None``: its
        default), which :func:`stale_features` compares with a rerun's.
    """
    a = df.attrs
    src = source if source is not None else a.get("source")
    rule = a.get("rearing")
    if rule is not None:
        rule = {**rule, "head": "the nose where it has a position, else head_midpoint, else "
                "the highest of the eyes and ears; the same rule as the heights figure"}
    return _plain({
        "source": None if src is None else str(src),
        "source_file": None if src is None or not Path(src).is_file() else source_record(src),
        "dlc_lifter_version": __version__,
        "software": software_record(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "dims": a.get("dims"),
        "planar": a.get("planar"),
        "length_unit": a.get("units"),
        "fps": a.get("fps"),
        "fps_source": a.get("fps_source"),
        "window": a.get("window"),
        "pcutoff": a.get("pcutoff"),
        "rearing": rule,
        "imputed": a.get("imputed"),
        "individuals": [str(i) for i in pd.unique(df["individual"])] if "individual" in df
        else None,
        "columns": column_units(list(df.columns), a.get("units") or "mm"),
        "options": a.get("options"),
    })


def _is_features_record(path: Path) -> bool:
    """Whether ``path`` is a features sidecar this package wrote (one an interrupted run
    left without its table may be replaced; any other file of that name is the user's)."""
    return read_record(path) is not None


def _recorded_source(table: Path) -> dict[str, Any] | None:
    """The pose file a features table's sidecar names (:func:`_source_of`), or ``None``."""
    record = read_record(features_sidecar_path(table))
    return None if record is None else _source_of(record)


def _source_of(record: Mapping[str, Any]) -> dict[str, Any] | None:
    """The pose file a features sidecar records, as
    :func:`~dlc_lifter.io.provenance.made_from` compares it; ``None`` where it records none.

    A sidecar written before features recorded ``source_file`` holds the path as given
    (``source``, taken from the working folder as it was then) and the sha256 of the whole
    file (``source_sha256``): its table is compared by that, the file read whole, rather
    than made again, so a rerun over a dataset's older tables skips those up to date
    (``overwrite=True`` makes them again, with the current record).
    """
    rec = record.get("source_file")
    if isinstance(rec, dict) and rec.get("path"):
        return rec
    if record.get("source") and record.get("source_sha256"):
        return {"path": str(Path(record["source"]).absolute()),
                "sha256": record["source_sha256"]}
    return None


#: What a features table records of its pose file, to find it again in a destination
#: folder (:func:`~dlc_lifter.lift.destinations.settle_output`).
FEATURES_PROVENANCE = Provenance(recorded=_recorded_source)


def stale_features(table: str | Path, source: str | Path,
                   options: Mapping[str, Any] | None = None) -> str | None:
    """Why an existing features table is not ``source``'s features as asked for now;
    ``None`` where it is (a batch rerun skips it).

    Parameters
    ----------
    table
        An existing features table (:func:`features_output_path`).
    source
        The pose file it is to be computed from.
    options
        The :func:`compute_features` keyword arguments asked for now (``window``,
        ``individual``, ``fps``, ``planar``, ``pcutoff``, ``keypoint_map``); one left out
        is not compared.

    Returns
    -------
    str or None
        ``None`` where the table's sidecar (:func:`features_sidecar_path`) records
        ``source`` (or a file of its name and content: moved, copied) as it is now
        (:func:`~dlc_lifter.io.provenance.made_from`; an older sidecar by the sha256 of
        the whole file, :func:`_source_of`) and the same options: each the same
        as asked then, or giving the value the table was made with (``fps=30`` for a
        table made at the file's 30 fps); ``planar`` not for 2D poses, ``pcutoff`` only
        for them. Else what differs, as a clause naming every option that does
        (``"made with window=15, fps=25 (asked for now: window=5, fps=the file's)"``). A
        record written before it recorded the options asked for is compared by the values
        it records, where an option is given now.
    """
    side = features_sidecar_path(table)
    record = read_record(side)
    if record is None:
        return f"and no features record {side.name} beside it says what it was made from"
    made = _source_of(record)
    if made is None:
        return f"and its record {side.name} does not record the file it was made from"
    try:
        here = source_record(source)
    except OSError:
        return f"and {source} cannot be read to compare it with the file it was made from"
    if "sha256" in made:
        logger.info("%s: its record predates the current one; compared with %s by the "
                    "checksum of the whole file (overwrite=True records it anew).",
                    table, source)
    changed = not_made_from(made, here, source)
    if changed:
        return changed
    differ = _options_differ(record, dict(options or {}))
    if not differ:
        return None
    return (f"made with {', '.join(f'{n}={_said(n, old)}' for n, old, _ in differ)} (asked "
            f"for now: {', '.join(f'{n}={_said(n, new)}' for n, _, new in differ)})")


def _options_differ(record: Mapping[str, Any], now: Mapping[str, Any]
                    ) -> list[tuple[str, Any, Any]]:
    """``(name, then, now)`` of each option ``now`` gives that a features record says the
    table was made otherwise with (:func:`stale_features`)."""
    asked = record.get("options") if isinstance(record.get("options"), dict) else {}
    from_2d = record.get("dims") != 3 and not record.get("planar")
    individuals = record.get("individuals") or []
    made = {"window": record.get("window"), "planar": record.get("planar"),
            "fps": record.get("fps"), "pcutoff": record.get("pcutoff"),
            "individual": individuals[0] if len(individuals) == 1 else None}
    out = []
    for name, value in now.items():
        if (name == "planar" and from_2d) or (name == "pcutoff" and not from_2d):
            continue  # 2D poses' features are the same whatever planar says; 3D's pcutoff
        value = _plain(dict(value) if isinstance(value, Mapping) else value)
        if value is not None and name in made and _same_option(made[name], value):
            continue  # the value the table was made with, asked for or resolved then
        if name in asked:
            if not _same_option(asked[name], value):
                out.append((name, asked[name] if asked[name] is not None
                            or name not in made else made[name], value))
        elif value is not None and name in made:  # an older record: its values alone
            out.append((name, made[name], value))
    return out


def _same_option(a: Any, b: Any) -> bool:
    """Recorded and asked option values alike (numbers by value, names as text)."""
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(
            a, bool) and not isinstance(b, bool):
        return float(a) == float(b)
    if isinstance(a, (str, int)) and isinstance(b, (str, int)) and not isinstance(
            a, bool) and not isinstance(b, bool):
        return str(a) == str(b)
    return a == b


def _said(name: str, value: Any) -> str:
    """An option's value in a message: the default in words, a map by its size."""
    if value is None:
        return {"individual": "every individual", "fps": "the file's",
                "keypoint_map": "the lift's names"}.get(name, "the default")
    if isinstance(value, Mapping):
        return f"a map of {len(value)} names"
    return f"{value:g}" if isinstance(value, float) else str(value)


def write_features(
    df: pd.DataFrame,
    path: str | Path,
    fmt: str | None = None,
    *,
    overwrite: bool = False,
    source: str | Path | None = None,
    sidecar: bool = True,
) -> Path:
    """Write a features table atomically as csv or parquet, with its JSON sidecar.

    The files are written in :mod:`dlc_lifter.io` (:mod:`dlc_lifter.io.records`,
    :func:`dlc_lifter.io.features_table.write_features_table`).

    Parameters
    ----------
    df
        Table from :func:`compute_features`.
    path
        Output file.
    fmt
        ``csv`` or ``parquet``; default from the suffix of ``path`` (csv if neither).
    overwrite
        Replace an existing output.
    source
        The pose file the features come from (default ``df.attrs['source']``); writing
        over it is refused whatever ``overwrite`` says.
    sidecar
        Also write ``<stem>.json`` beside the table (:func:`features_sidecar_path`):
        :func:`features_record`, how the table was made. It is written first, so a
        table is never without its record; one left by an interrupted run (no table
        beside it) is replaced, any other file of that name only with ``overwrite``.

    Returns
    -------
    Path
        The table written.

    Raises
    ------
    FeatureError
        For an unknown format, when ``path`` is the input file, or when parquet is asked
        for without pyarrow installed.
    dlc_lifter.errors.OutputExistsError
        When ``path`` exists and ``overwrite`` is false.
    """
    p = Path(path)
    if fmt is None:
        fmt = "parquet" if p.suffix.lower() in (".parquet", ".pq") else "csv"
    fmt = features_format(fmt)
    src = source if source is not None else df.attrs.get("source")
    if src is not None and Path(src).exists() and p.exists() and (
            Path(src).resolve() == p.resolve()):
        raise FeatureError(f"Refusing to write features over the input file {p}; choose "
                           "another output name or folder.")
    if fmt == "parquet":
        require_parquet()
    check_writable(p, overwrite=overwrite)
    if sidecar:
        side = features_sidecar_path(p)
        write_record(features_record(df, src), side, overwrite=overwrite or (
            not p.exists() and _is_features_record(side)))
    write_features_table(df, p, fmt, overwrite=overwrite)
    logger.info("Wrote %d rows of features to %s", len(df), p)
    return p
