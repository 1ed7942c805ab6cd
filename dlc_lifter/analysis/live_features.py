"""Live behavioural features: :class:`StreamingFeatures`, and :class:`LiveFeatures`, which
adds them to live lifting.

:class:`StreamingFeatures` turns 3D poses into behavioural features frame by frame, from
ring buffers, with the values and column names of
:func:`~dlc_lifter.analysis.features.compute_features`:

``head_speed_mm_s``, ``tail_base_speed_mm_s``
    Speed of the head (nose, else ``head_midpoint``, else the midpoint of the ears) and
    of the tail base (falling back to ``mid_backend3``, ``mid_backend2``).
``height_<kp>_mm``
    Height above the floor of every output keypoint.
``body_pitch_rad``
    Elevation of the body axis (tail base -> ``mid_back``...) above the horizontal.
``bend_ratio``, ``bend_ratio_3d``
    Spine polyline length over the nose - tail-base distance (horizontal and 3D).
``<feature>_std<window>_<unit>``
    Population standard deviation over the last ``window`` frames of the speeds,
    heights, pitch and horizontal bend ratio.

These are a subset of the table :func:`compute_features` writes (no body-centred
coordinates, spine angles or turning; no social columns, since a live lifter follows one
animal), and its two annotations are left out on purpose:
``rearing`` counts a frame only once its bout has lasted 0.2 s, so live it would be known
up to 0.2 s late or would differ from the table's (threshold ``height_<head>_mm`` against
:data:`~dlc_lifter.analysis.rearing.REARING_MM` for an immediate, unfiltered flag); and
whether the nose was imputed is in the lift's own result
(``LiveResult.imputed``), not in the 3D pose these
features are computed from.

Velocities in :func:`compute_features` are central differences, which need the next
frame. ``delay=0`` (default) gives the features of the newest frame, exactly what
:func:`compute_features` gives for the last row of the recording so far (a backward
difference for the newest speed); ``delay=1`` gives the features of the previous frame,
exactly the rows :func:`compute_features` gives for the whole recording.

:class:`LiveFeatures` wraps a :class:`~dlc_lifter.lift.live.LiveLifter`: each step lifts
the 2D pose and feeds its 3D pose to a :class:`StreamingFeatures`.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections import deque
from collections.abc import Mapping, Sequence

import numpy as np

from dlc_lifter.analysis.features import (
    _AXIS,
    _EAR_MID,
    _EPS,
    _HEAD,
    _MIDLINE,
    _ORIGIN,
    DEFAULT_WINDOW,
    feature_names,
)
from dlc_lifter.errors import DLCLifterError
from dlc_lifter.lift.live import LiveLifter, LiveResult

__all__ = ["LiveFeatures", "StreamingFeatures"]


class _Point:
    """How to read one named point (a keypoint, or the midpoint of the ears) from a pose."""

    def __init__(self, name: str, names: Mapping[str, int]) -> None:
        self.name = name
        self.idx = ([names["left_ear"], names["right_ear"]] if name == _EAR_MID
                    else [names[name]])

    def __call__(self, xyz: np.ndarray) -> np.ndarray:
        if len(self.idx) == 2:
            return (xyz[self.idx[0]] + xyz[self.idx[1]]) / 2
        return xyz[self.idx[0]]


def _has(name: str, names: Mapping[str, int]) -> bool:
    if name == _EAR_MID:
        return "left_ear" in names and "right_ear" in names
    return name in names


def _first(points: Sequence[_Point], xyz: np.ndarray) -> np.ndarray:
    """The first candidate tracked (all coordinates finite) in this frame, else NaN."""
    for p in points:
        v = p(xyz)
        if np.isfinite(v).all():
            return v
    return np.full(xyz.shape[-1], np.nan)


def _spine_length(points: Sequence[np.ndarray]) -> float:
    """Length of the polyline through the tracked points (as the batch features do)."""
    prev = points[0]
    length = 0.0
    for p in points[1:]:
        if np.isfinite(p).all():
            length = length + float(np.linalg.norm(p - prev))
            prev = p
    return length


class StreamingFeatures:
    """Per-frame 3D features from ring buffers, consistent with ``compute_features``.

    Parameters
    ----------
    keypoints
        Names of the 3D keypoints fed to :meth:`update` (any names
        :func:`~dlc_lifter.mouse.map_keypoints` knows, e.g. ``snout``, ``tailbase``).
    fps
        Frame rate: frame ``n`` is at ``n / fps`` seconds unless :meth:`update` is
        given a time.
    window
        Frames of the rolling standard deviations (at least 2).
    delay
        ``0``: features of the newest frame (the last row of ``compute_features`` of
        the recording so far). ``1``: features of the previous frame (the rows of
        ``compute_features`` of the whole recording); :meth:`flush` then gives the last
        frame's.
    keypoint_map
        ``{user name: catalogue name}`` overrides.
    unit
        Length unit of the poses (column suffix), ``mm`` for lifted poses.
    """

    def __init__(self, keypoints: Sequence[str], *, fps: float = 30.0,
                 window: int = DEFAULT_WINDOW, delay: int = 0,
                 keypoint_map: Mapping[str, str] | None = None, unit: str = "mm") -> None:
        if int(window) != window or window < 2:
            raise DLCLifterError(f"window must be an integer of at least 2 frames; got "
                                 f"{window}.")
        if delay not in (0, 1):
            raise DLCLifterError(f"delay must be 0 or 1 frames; got {delay}.")
        if not (np.isfinite(fps) and fps > 0):
            raise DLCLifterError(f"fps must be a positive number; got {fps}.")
        self.keypoints = [str(k) for k in keypoints]
        self.fps = float(fps)
        self.window = int(window)
        self.delay = int(delay)
        names = feature_names(self.keypoints, keypoint_map, "live poses")
        self._names = names
        w, u = self.window, unit
        self._origin = [_Point(n, names) for n in _ORIGIN if _has(n, names)]
        self._axis = [_Point(n, names) for n in _AXIS if _has(n, names)]
        self._head = [_Point(n, names) for n in _HEAD if _has(n, names)]
        midline = [n for n in _MIDLINE if _has(n, names)]
        if _EAR_MID in midline and "head_midpoint" in midline:
            midline.remove(_EAR_MID)
        self._midline = ([_Point(n, names) for n in midline]
                         if len(midline) >= 3 and midline[0] == "nose"
                         and midline[-1] == "tail_base" else [])
        # instantaneous columns: heights, pitch, bend ratios; which ones are rolled
        self._height_idx = np.array(list(names.values()), dtype=np.int64)
        inst = [f"height_{n}_{u}" for n in names]
        rolled = [f"height_{n}_std{w}_{u}" for n in names]
        self._has_pitch = bool(self._origin and self._axis)
        if self._has_pitch:
            inst.append("body_pitch_rad")
            rolled.append(f"body_pitch_std{w}_rad")
        if self._midline:
            inst += ["bend_ratio", "bend_ratio_3d"]
            rolled.append(f"bend_ratio_std{w}")
        self._inst_cols = inst
        self._rolled_cols = rolled
        self._n_rolled = len(rolled)  # the first n_rolled instantaneous columns roll
        # speeds: (label, candidates)
        self._speed_pts = [(lab, pts) for lab, pts in (("head", self._head),
                                                       ("tail_base", self._origin)) if pts]
        self._speed_cols = [f"{lab}_speed_{u}_s" for lab, _ in self._speed_pts]
        self._speed_std_cols = [f"{lab}_speed_std{w}_{u}_s" for lab, _ in self._speed_pts]
        self.columns: list[str] = (self._speed_cols + self._speed_std_cols + inst + rolled)
        """Names of the feature columns, in the order of every result."""
        self.reset()

    def reset(self) -> None:
        """Forget the past (start of a new recording)."""
        self._n = 0
        self._t: deque[float] = deque(maxlen=3)
        self._pts: deque[np.ndarray] = deque(maxlen=3)  # (n_speed, 3) per frame
        self._inst: deque[np.ndarray] = deque(maxlen=self.window + 1)
        self._final_speed: deque[np.ndarray] = deque(maxlen=self.window)
        self._dt0: float | None = None  # first time step
        self._uniform = True  # all time steps so far equal (numpy.gradient's scalar case)

    @property
    def n_frames(self) -> int:
        """Frames seen since the last :meth:`reset`."""
        return self._n

    # ------------------------------------------------------------------ per frame
    def _instantaneous(self, xyz: np.ndarray) -> np.ndarray:
        out = [xyz[self._height_idx, 2]]
        if self._has_pitch:
            d = _first(self._axis, xyz) - _first(self._origin, xyz)
            out.append(np.array([math.atan2(d[2], math.hypot(d[0], d[1]))
                                 if np.isfinite(d).all() else np.nan]))
        if self._midline:
            pts = [p(xyz) for p in self._midline]
            flat = [p[:2] for p in pts]
            ratios = []
            for poly in (flat, pts):
                chord = float(np.linalg.norm(poly[0] - poly[-1]))
                ratios.append(_spine_length(poly) / chord if chord > _EPS else np.nan)
            out.append(np.array(ratios))
        return np.concatenate(out).astype(np.float64)

    @staticmethod
    def _speed(v: np.ndarray) -> np.ndarray:
        return np.linalg.norm(v, axis=-1)

    def _std(self, rows: Sequence[np.ndarray], n: int) -> np.ndarray:
        if len(rows) < self.window:
            return np.full(n, np.nan)
        return np.std(np.asarray(rows[-self.window:]), axis=0)

    def update(self, xyz: np.ndarray, time_s: float | None = None) -> dict[str, float]:
        """Add one frame's 3D pose; return the features (see ``delay``).

        Parameters
        ----------
        xyz
            ``(K, 3)`` mm in the order of ``keypoints``, NaN where missing.
        time_s
            Time of the frame; default ``frame number / fps``.

        Returns
        -------
        dict
            ``{column: value}`` for every name in :attr:`columns` (NaN where not
            defined yet); empty for the first frame when ``delay=1``.
        """
        xyz = np.asarray(xyz, dtype=np.float64).reshape(len(self.keypoints), -1)
        t = self._n / self.fps if time_s is None else float(time_s)
        self._t.append(t)
        if len(self._t) >= 2:
            dt = self._t[-1] - self._t[-2]
            if self._dt0 is None:
                self._dt0 = dt
            elif dt != self._dt0:
                self._uniform = False
        self._pts.append(np.array([_first(pts, xyz) for _, pts in self._speed_pts])
                         .reshape(len(self._speed_pts), -1))
        self._inst.append(self._instantaneous(xyz))
        self._n += 1
        if self._n >= 2:  # the speed of the previous frame is now final
            self._final_speed.append(self._speed(self._settled_velocity()))
        if self.delay == 0:
            return self._now()
        if self._n < 2:
            return {}
        return self._settled()

    def flush(self) -> dict[str, float]:
        """Features of the newest frame (with ``delay=1``, the last frame's row)."""
        return self._now() if self._n else {}

    def _settled_velocity(self) -> np.ndarray:
        """Velocity of the previous frame, as ``numpy.gradient`` gives it (central
        differences; the first frame's is a forward difference)."""
        p, t = self._pts, self._t
        if self._n == 2:
            return (p[-1] - p[-2]) / (t[-1] - t[-2])
        dx1, dx2 = t[-2] - t[-3], t[-1] - t[-2]
        if self._uniform:  # numpy's equal-spacing formula ignores the middle frame
            return (p[-1] - p[-3]) / (2.0 * dx1)
        a = -dx2 / (dx1 * (dx1 + dx2))
        b = (dx2 - dx1) / (dx1 * dx2)
        c = dx1 / (dx2 * (dx1 + dx2))
        return a * p[-3] + b * p[-2] + c * p[-1]

    def _row(self, speed: np.ndarray, speed_std: np.ndarray, inst: np.ndarray,
             inst_std: np.ndarray) -> dict[str, float]:
        values = np.concatenate([speed, speed_std, inst, inst_std])
        return dict(zip(self.columns, values.tolist(), strict=True))

    def _now(self) -> dict[str, float]:
        n_sp = len(self._speed_pts)
        if self._n >= 2:
            speed = self._speed((self._pts[-1] - self._pts[-2]) / (self._t[-1] - self._t[-2]))
        else:
            speed = np.full(n_sp, np.nan)
        past = list(self._final_speed)[-(self.window - 1):]
        speed_std = self._std(past + [speed], n_sp)
        inst_std = self._std(list(self._inst), len(self._inst_cols))[: self._n_rolled]
        return self._row(speed, speed_std, self._inst[-1], inst_std)

    def _settled(self) -> dict[str, float]:
        n_sp = len(self._speed_pts)
        speed_std = self._std(list(self._final_speed), n_sp)
        inst_rows = list(self._inst)[:-1]
        inst_std = self._std(inst_rows, len(self._inst_cols))[: self._n_rolled]
        return self._row(self._final_speed[-1], speed_std, inst_rows[-1], inst_std)


class LiveFeatures:
    """Live lifting with live features: a :class:`~dlc_lifter.lift.live.LiveLifter`'s 3D
    poses fed to :class:`StreamingFeatures`.

    Parameters
    ----------
    live_lifter
        The :class:`~dlc_lifter.lift.live.LiveLifter` that lifts each frame (keypoints
        only or with depth).
    fps, window, delay
        Frame rate, rolling window and delay of the features (see
        :class:`StreamingFeatures`).

    Examples
    --------
    >>> import numpy as np
    >>> from dlc_lifter.camera import Camera
    >>> from dlc_lifter.lift import LiveLifter
    >>> camera = Camera.top_view(600.0, 700.0, (640, 480))
    >>> names = ["snout", "leftear", "rightear", "tailbase"]
    >>> live = LiveFeatures(LiveLifter(camera, names), fps=30.0)
    >>> pose_2d = np.array([[320, 200, 0.9], [310, 215, 0.9], [330, 215, 0.9],
    ...                     [320, 280, 0.9]])  # x, y, likelihood per keypoint
    >>> result = live.step(pose_2d)
    >>> result.pose_3d.shape, "body_pitch_rad" in result.features
    ((39, 3), True)
    """

    def __init__(self, live_lifter: LiveLifter, *, fps: float = 30.0,
                 window: int = DEFAULT_WINDOW, delay: int = 0) -> None:
        self.live_lifter = live_lifter
        mapped = live_lifter.keypoint_plan.mapped
        cmap = {k: mapped.get(k, k) for k in live_lifter.keypoints_out}
        self.feature_stream = StreamingFeatures(live_lifter.keypoints_out, fps=fps,
                                                window=window, delay=delay, keypoint_map=cmap)
        """The features of the lifted poses."""

    @property
    def columns(self) -> list[str]:
        """Names of the feature columns, in the order of every result's ``features``."""
        return self.feature_stream.columns

    def reset(self) -> None:
        """Forget the past (start of a new recording)."""
        self.live_lifter.reset()
        self.feature_stream.reset()

    def step(self, pose_2d: np.ndarray, image: np.ndarray | None = None, *,
             time_s: float | None = None) -> LiveResult:
        """Lift one frame and compute its features.

        Parameters
        ----------
        pose_2d, image
            As :meth:`LiveLifter.step <dlc_lifter.lift.live.LiveLifter.step>`.
        time_s
            Time of the frame for the features; default ``frame / fps``.

        Returns
        -------
        LiveResult
            The lift of the frame with ``features`` (``{column: value}``, empty for the
            first frame with ``delay=1``) and ``features_frame`` (``frame - delay``);
            ``latency_s`` counts the features too.
        """
        t0 = time.perf_counter()
        res = self.live_lifter.step(pose_2d, image)
        feats = self.feature_stream.update(res.pose_3d, time_s)
        return dataclasses.replace(
            res, features=feats,
            features_frame=res.frame - self.feature_stream.delay if feats else None,
            latency_s=time.perf_counter() - t0)
