"""Real-time lifting: a frame-by-frame API, streaming features and a DLC-Live processor.

:class:`LiveLifter` lifts one 2D pose at a time with the lifter's *causal* network (past
frames only), so its output for a frame equals the batch causal lift
(``Lifter.lift(..., mode="causal")``) of the recording up to that frame.
:class:`StreamingFeatures` turns the 3D poses into behavioural features frame by frame,
from ring buffers, with the values and column names of
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

Velocities in :func:`compute_features` are central differences, which need the next
frame. ``delay=0`` (default) gives the features of the newest frame, exactly what
:func:`compute_features` gives for the last row of the recording so far (a backward
difference for the newest speed); ``delay=1`` gives the features of the previous frame,
exactly the rows :func:`compute_features` gives for the whole recording.

``LiftProcessor`` is a ``dlclive.Processor`` subclass for DeepLabCut-Live (and the
DLC-Live GUI, which lists the ``Processor`` subclasses of a module, or calls its
:func:`get_available_processors`, and reads ``PROCESSOR_NAME`` /
``PROCESSOR_DESCRIPTION`` / ``PROCESSOR_PARAMS``). It is built on first access, so
importing this module does not import ``dlclive``; :func:`processor_class` builds it
explicitly. To use it from the DLC-Live GUI, put a file in its processor folder holding
``from dlc_lifter.analysis.live import get_available_processors``.

With depth (``LiveLifter(..., depth=True)``, processor ``depth=True``), each
:meth:`LiveLifter.step` given the camera frame crops the mouse from its 2D keypoints (the
crop geometry of the offline depth path, :mod:`dlc_lifter.lift.depth_path`), runs the
depth network on that one crop, samples the depth cues at the keypoints and runs the fused
lifter's causal network one step: the output equals the offline causal fused lift
(``lift_poses_with_depth(..., mode="causal")``) of the same frames at the same image
scale. Frames without an image, or whose crop cannot be placed, are lifted without cues
(the fused lifter with ``available = 0``, exactly what the offline path does for them).
DLC-Live does not hand the frame to processors: pass it through ``get_pose``, e.g.
``dlc_live.get_pose(frame, frame_time=t, image=frame)``.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from dlc_lifter.analysis.features import (
    _AXIS,
    _EAR_MID,
    _EPS,
    _HEAD,
    _MIDLINE,
    _ORIGIN,
    DEFAULT_WINDOW,
    _canonical,
)
from dlc_lifter.camera import Camera
from dlc_lifter.errors import DLCLifterError

if TYPE_CHECKING:  # pragma: no cover
    from dlc_lifter.lift.core import Lifter, LiftStream

__all__ = [
    "PROCESSOR_DESCRIPTION",
    "PROCESSOR_NAME",
    "PROCESSOR_PARAMS",
    "LiftProcessor",  # noqa: F822 - built on first access (module __getattr__)
    "LiveLifter",
    "LiveResult",
    "StreamingFeatures",
    "get_available_processors",
    "processor_class",
]

logger = logging.getLogger(__name__)

#: Name the DLC-Live GUI shows for :data:`LiftProcessor`.
PROCESSOR_NAME = "dlc-lifter 3D"
#: One line for the DLC-Live GUI.
PROCESSOR_DESCRIPTION = ("Lifts each 2D pose to metric 3D (mm) with dlc-lifter's causal "
                         "network and computes live 3D features (speed, heights, body "
                         "pitch, bend); with depth=True also reads depth cues from the "
                         "frame (get_pose(frame, image=frame)); returns the 2D pose "
                         "unchanged.")
#: Constructor parameters of :data:`LiftProcessor`, in the DLC-Live GUI's format.
PROCESSOR_PARAMS: dict[str, dict[str, Any]] = {
    "keypoint_names": {
        "type": "list", "default": None,
        "description": "Bodypart names of the DLC model, in the order of the pose rows "
                       "(a list or a comma-separated string); required."},
    "calibration": {
        "type": "str", "default": None,
        "description": "Anipose calibration TOML: output in its world frame (best)."},
    "camera": {
        "type": "str", "default": None,
        "description": "Camera name in the calibration (when it holds several)."},
    "camera_height_mm": {
        "type": "float", "default": None,
        "description": "Camera height above the floor (mm), without a calibration."},
    "focal_px": {
        "type": "float", "default": None,
        "description": "Focal length (px), without a calibration."},
    "image_size": {
        "type": "tuple", "default": None,
        "description": "(width, height) of the camera frames in px, e.g. 640x480; "
                       "required without a calibration."},
    "arena_size_mm": {
        "type": "float", "default": None,
        "description": "Arena side (mm), for the camera estimate without height+focal."},
    "model_path": {
        "type": "str", "default": None,
        "description": "dlc-lifter weights (.pt); default the shipped model."},
    "features": {
        "type": "bool", "default": True,
        "description": "Compute live 3D features (speed, heights, pitch, bend)."},
    "fps": {"type": "float", "default": 30.0, "description": "Frame rate for speeds."},
    "window": {"type": "int", "default": DEFAULT_WINDOW,
               "description": "Frames of the rolling standard deviations."},
    "pcutoff": {"type": "float", "default": 0.6,
                "description": "Keypoints below this likelihood are imputed."},
    "warmup_frames": {
        "type": "int", "default": 30,
        "description": "Frames collected to estimate the camera when neither a "
                       "calibration nor height+focal+image size is given."},
    "keypoint_map": {
        "type": "str", "default": None,
        "description": "YAML mapping 'your_name: catalogue_name' for unusual names."},
    "overwrite": {"type": "bool", "default": False,
                  "description": "Let save() replace existing files."},
    "depth": {
        "type": "bool", "default": False,
        "description": "Also read depth cues from the camera frame (passed to get_pose as "
                       "image=frame) with the depth network and lift with the fused lifter."},
    "depth_weights": {"type": "str", "default": None,
                      "description": "Depth-network weights (.pt); default the shipped ones."},
    "fused_weights": {"type": "str", "default": None,
                      "description": "Fused-lifter weights (.pt); default the shipped ones."},
    "px_per_mm": {
        "type": "float", "default": None,
        "description": "Image scale of the animal (px/mm) for the depth crops; default "
                       "estimated from the first scale_frames poses."},
    "image_color": {"type": "str", "default": "bgr",
                    "description": "Channel order of colour frames: bgr (OpenCV cameras, "
                                   "DLC-Live) or rgb."},
}

_SPEED_LABELS = ("head", "tail_base")


# ============================================================================ features
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
        names = _canonical(self.keypoints, keypoint_map, "live poses")
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


# ============================================================================ lifting
@dataclass
class LiveResult:
    """What one :meth:`LiveLifter.step` gives.

    Attributes
    ----------
    pose_3d
        ``(K_out, 3)`` mm in the camera's world frame, in the order of
        :attr:`LiveLifter.keypoints_out`; NaN when nothing was tracked.
    features
        ``{column: value}`` (see :class:`StreamingFeatures`); empty when features are
        off (or for the first frame with ``feature_delay=1``).
    frame
        Number of this frame (0 for the first step after construction or reset).
    features_frame
        Frame the features describe (``frame - feature_delay``), ``None`` if none.
    imputed
        ``(K_out,)`` bool: keypoint not tracked (or below ``pcutoff``), placed from the
        body instead of its camera ray.
    latency_s
        Wall time of the step (depth, lifting and features).
    depth_used
        Depth cues from the image were used for this frame (``depth=True``, an image
        given and the crop placed).
    """

    pose_3d: np.ndarray
    features: dict[str, float] = field(default_factory=dict)
    frame: int = 0
    features_frame: int | None = None
    imputed: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    latency_s: float = 0.0
    depth_used: bool = False


def _load_lifter(model: str | Path | Lifter | None, pcutoff: float) -> Lifter:
    from dlc_lifter.lift.core import Lifter

    if isinstance(model, Lifter):
        return Lifter(model.model, mode="causal", pcutoff=pcutoff)
    return Lifter.load(model, mode="causal", pcutoff=pcutoff)


#: Grey weights of RGB / BGR frames (those of the offline depth path).
_GRAY_WEIGHTS = {"rgb": (0.299, 0.587, 0.114), "bgr": (0.114, 0.587, 0.299)}


class LiveLifter:
    """Lift 2D poses to 3D one frame at a time (causal network), with live features.

    Parameters
    ----------
    camera
        The camera (:class:`~dlc_lifter.camera.Camera`); output is in its world frame.
        Build one with ``Camera.top_view(height_mm, focal_px, image_size)``, load an
        anipose calibration (:func:`~dlc_lifter.camera.load_anipose`) or estimate it from
        a recorded session (:func:`~dlc_lifter.lift.resolve_camera`).
    keypoint_names
        Names of the 2D keypoints, in the order of the rows of every pose.
    model
        Weights file, a loaded :class:`~dlc_lifter.lift.Lifter`, or ``None`` for the
        shipped model (the keypoints-only lifter).
    features
        Compute :class:`StreamingFeatures` on every step.
    fps, window, feature_delay
        Frame rate, rolling window and delay of the features (see
        :class:`StreamingFeatures`).
    pcutoff
        Keypoints below this likelihood are imputed instead of lifted on their ray.
    keypoint_map
        ``{user name: catalogue name or None}`` for names the catalogue does not know
        (``None`` drops a keypoint).
    impute_all
        Also output the catalogue keypoints that are not tracked (imputed), after the
        tracked ones, as :func:`~dlc_lifter.lift.lift_poses` does.
    depth
        Lift with depth cues read from the image given to :meth:`step` (depth network on a
        crop around the mouse, fused lifter); frames without an image or crop are lifted
        without cues. Needs torch, the depth network and the fused lifter.
    depth_weights, fused_weights
        Weights of the depth network and the fused lifter (default: shipped; see
        :func:`~dlc_lifter.lift.depth_path.load_depth_models`).
    px_per_mm
        Image scale of the animal (pixels per mm) that sizes the crops. Default: estimated
        from the tracked keypoints of the first ``scale_frames`` frames as the offline
        path does over a whole file
        (:func:`~dlc_lifter.nets.depth.px_per_mm_from_keypoints`), then fixed; until a
        keypoint pair has been seen, the camera's scale at the floor.
    scale_frames
        Frames the image scale is estimated from (when ``px_per_mm`` is not given).
    image_color
        Channel order of colour images: ``rgb`` (:func:`dlc_lifter.io.open_video`) or
        ``bgr`` (OpenCV cameras). Grey ``(H, W)`` images are accepted too.

    Raises
    ------
    KeypointMappingError
        When the keypoint names that map onto the catalogue do not span the body (names
        that map to nothing are dropped with a warning).
    ModelLoadError
        When the weights (with ``depth``: also the depth weights) cannot be loaded.
    """

    def __init__(
        self,
        camera: Camera,
        keypoint_names: Sequence[str],
        model: str | Path | Lifter | None = None,
        features: bool = True,
        *,
        fps: float = 30.0,
        window: int = DEFAULT_WINDOW,
        feature_delay: int = 0,
        pcutoff: float = 0.6,
        keypoint_map: Mapping[str, str | None] | None = None,
        impute_all: bool = True,
        depth: bool = False,
        depth_weights: str | Path | None = None,
        fused_weights: str | Path | None = None,
        px_per_mm: float | None = None,
        scale_frames: int = 30,
        image_color: str = "rgb",
    ) -> None:
        from dlc_lifter.mouse.catalogue import CATALOGUE, catalogue_index
        from dlc_lifter.mouse.keypoint_map import plan_keypoint_map

        if not isinstance(camera, Camera):
            raise DLCLifterError(f"camera must be a dlc_lifter Camera; got {type(camera)!r} "
                                 "(use Camera.top_view(...) or load_anipose(...)).")
        self.camera = camera
        self.keypoint_names = [str(k) for k in keypoint_names]
        self.lifter = _load_lifter(model, pcutoff)
        plan = plan_keypoint_map(self.keypoint_names, keypoint_map, source="keypoint_names")
        for line in plan.warnings:
            logger.warning(line)
        plan.require_liftable("keypoint_names")
        mapped = plan.mapped
        self.keypoint_plan = plan
        """How each keypoint name is used (:class:`~dlc_lifter.mouse.KeypointMap`)."""
        self._stream = self.lifter.stream(camera, self.keypoint_names, mapping=plan,
                                          mode="causal")
        tracked = [k for k in self.keypoint_names if k in mapped]
        cat_idx = catalogue_index([mapped[k] for k in tracked])
        extra = [i for i in range(len(CATALOGUE)) if i not in set(cat_idx)] if impute_all else []
        self._out_idx = np.array(list(cat_idx) + extra, dtype=np.int64)
        self.keypoints_out: list[str] = tracked + [CATALOGUE[i] for i in extra]
        """Names of the output keypoints: the tracked ones (user names), then the rest."""
        self.catalogue_names: list[str] = [CATALOGUE[i] for i in self._out_idx]
        """Catalogue name of every output keypoint."""
        self._user_rows = np.array([self.keypoint_names.index(k) for k in tracked],
                                   dtype=np.int64)
        self._cat_idx = np.array(cat_idx, dtype=np.int64)
        cmap = {k: mapped.get(k, k) for k in self.keypoints_out}
        self.feature_stream: StreamingFeatures | None = (
            StreamingFeatures(self.keypoints_out, fps=fps, window=window,
                              delay=feature_delay, keypoint_map=cmap) if features else None)
        self._frame = 0
        self._warned_image = False
        # ---- depth
        self.depth = bool(depth)
        if image_color not in _GRAY_WEIGHTS:
            raise DLCLifterError(f"image_color must be 'rgb' or 'bgr'; got {image_color!r}.")
        self.image_color = image_color
        self._gray_w = np.asarray(_GRAY_WEIGHTS[image_color], dtype=np.float32)
        if px_per_mm is not None and not (np.isfinite(px_per_mm) and px_per_mm > 0):
            raise DLCLifterError(f"px_per_mm must be a positive number; got {px_per_mm}.")
        self._ppm_given = None if px_per_mm is None else float(px_per_mm)
        self.scale_frames = max(1, int(scale_frames))
        self.depth_model: Any = None
        self.fused_model: Any = None
        self._fused: LiftStream | None = None
        if self.depth:
            from dlc_lifter.lift.core import Lifter
            from dlc_lifter.lift.depth_path import load_depth_models

            self.depth_model, self.fused_model = load_depth_models(depth_weights, fused_weights)
            try:
                self._fused = Lifter(self.fused_model, mode="causal",
                                     pcutoff=self.lifter.pcutoff).stream(
                    camera, self.keypoint_names, mapping=plan)
            except ValueError as exc:
                raise DLCLifterError(f"The fused lifter cannot run live: {exc}") from exc
        self._warned = {"no_image": False, "no_crop": False, "bad_image": False}
        self._reset_scale()

    @property
    def n_keypoints(self) -> int:
        """Number of 2D keypoints expected per pose."""
        return len(self.keypoint_names)

    @property
    def px_per_mm(self) -> float | None:
        """Image scale (px/mm) the depth crops use now (``None`` without depth)."""
        return self._ppm if self.depth else None

    def reset(self) -> None:
        """Forget the past (start of a new recording)."""
        self._stream.reset()
        if self._fused is not None:
            self._fused.reset()
        if self.feature_stream is not None:
            self.feature_stream.reset()
        self._frame = 0
        self._reset_scale()

    def _reset_scale(self) -> None:
        self._ppm: float | None = self._ppm_given
        self._ppm_fixed = self._ppm_given is not None
        self._scale_uv: list[np.ndarray] = []
        self._scale_c: list[np.ndarray] = []

    def _split(self, pose_2d: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        p = np.asarray(pose_2d, dtype=np.float64)
        if p.ndim == 3 and p.shape[0] == 1:
            p = p[0]
        if p.ndim != 2 or p.shape[0] != self.n_keypoints or p.shape[1] not in (2, 3):
            raise DLCLifterError(
                f"pose_2d must be ({self.n_keypoints}, 2|3) (x, y[, likelihood]) for the "
                f"{self.n_keypoints} keypoints {', '.join(self.keypoint_names)}; got "
                f"{p.shape}.")
        return p[:, :2], (p[:, 2] if p.shape[1] == 3 else None)

    # ------------------------------------------------------------------ depth
    def _catalogue(self, uv: np.ndarray, conf: np.ndarray | None
                   ) -> tuple[np.ndarray, np.ndarray]:
        """Catalogue-ordered ``(K, 2)`` pixels (NaN elsewhere) and ``(K,)`` likelihoods
        (0 elsewhere), as :class:`~dlc_lifter.lift.core.LiftStream` builds them."""
        from dlc_lifter.mouse.catalogue import CATALOGUE

        k = len(CATALOGUE)
        c = (np.where(np.isfinite(uv).all(-1), 1.0, 0.0) if conf is None
             else np.nan_to_num(np.asarray(conf, dtype=np.float64), nan=0.0))
        uv_cat = np.full((k, 2), np.nan)
        c_cat = np.zeros(k)
        uv_cat[self._cat_idx] = uv[self._user_rows]
        c_cat[self._cat_idx] = c[self._user_rows]
        return uv_cat, c_cat

    def _scale(self, uv_cat: np.ndarray, c_cat: np.ndarray) -> float:
        """The image scale: given, else estimated from the first ``scale_frames`` frames."""
        if self._ppm_fixed:
            assert self._ppm is not None
            return self._ppm
        from dlc_lifter.nets.depth import px_per_mm_from_keypoints

        self._scale_uv.append(uv_cat)
        self._scale_c.append(c_cat)
        ppm = px_per_mm_from_keypoints(np.stack(self._scale_uv), np.stack(self._scale_c),
                                       self.fused_model.pair_length_mm,
                                       pcutoff=self.lifter.pcutoff)
        if np.isfinite(ppm) and ppm > 0:
            self._ppm = float(ppm)
            if len(self._scale_uv) >= self.scale_frames:
                self._ppm_fixed = True
                self._scale_uv, self._scale_c = [], []
                logger.info("LiveLifter: image scale %.3f px/mm from the first %d frames.",
                            self._ppm, self.scale_frames)
        elif self._ppm is None:  # no keypoint pair yet: the camera's scale near the floor
            self._ppm = float(self.camera.fx / max(self.camera.height_mm - 20.0, 50.0))
        return self._ppm

    def _warn_once(self, key: str, msg: str, *args: Any) -> None:
        if not self._warned[key]:
            logger.warning(msg, *args)
            self._warned[key] = True

    def _cues(self, uv_cat: np.ndarray, c_cat: np.ndarray, image: np.ndarray | None
              ) -> np.ndarray | None:
        """Depth cues ``(K, N_CUES)`` of one frame, or ``None`` (no image, no crop)."""
        from dlc_lifter.nets.depth import crop_from_keypoints, crop_images
        from dlc_lifter.nets.fusion import sample_cues

        ppm = self._scale(uv_cat, c_cat)
        if image is None:
            self._warn_once("no_image", "LiveLifter: frame %d came without an image; frames "
                            "without one are lifted without depth cues (keypoints only). "
                            "Said once.", self._frame)
            return None
        img = np.asarray(image)
        if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] not in (1, 3)):
            self._warn_once("bad_image", "LiveLifter: images must be (H, W) or (H, W, 3); got "
                            "%s. Such frames are lifted without depth cues. Said once.",
                            img.shape)
            return None
        dm = self.depth_model
        crop = crop_from_keypoints(uv_cat, c_cat, ppm, pcutoff=self.lifter.pcutoff,
                                   crop_mm=dm.crop_mm, size=dm.crop_size)
        if crop is None:
            self._warn_once("no_crop", "LiveLifter: no body keypoint above the likelihood "
                            "cutoff in frame %d, so no crop for the depth network; such "
                            "frames are lifted without depth cues (keypoints only). Said "
                            "once.", self._frame)
            return None
        patch = crop_images(img, [crop])[0].astype(np.float32)
        gray = patch @ self._gray_w if patch.ndim == 3 and patch.shape[2] == 3 else (
            patch.reshape(patch.shape[:2]))
        h, m, lm = dm.predict(gray[None], batch=1, landmarks=True)
        obs = np.isfinite(uv_cat).all(-1) & (c_cat >= self.lifter.pcutoff)
        return sample_cues(h, m, [crop], uv_cat[None], observed=obs[None], landmark=lm)[0]

    # ------------------------------------------------------------------ step
    def step(self, pose_2d: np.ndarray, image: np.ndarray | None = None, *,
             time_s: float | None = None) -> LiveResult:
        """Lift one frame.

        Parameters
        ----------
        pose_2d
            ``(K, 2)`` pixels or ``(K, 3)`` with the likelihood (DLC-Live's pose), NaN
            where missing.
        image
            The camera frame, ``(H, W, 3)`` (see ``image_color``) or ``(H, W)``. Used with
            ``depth=True`` (depth cues); ignored otherwise.
        time_s
            Time of the frame for the features; default ``frame / fps``.

        Returns
        -------
        LiveResult
        """
        t0 = time.perf_counter()
        uv, conf = self._split(pose_2d)
        depth_used = False
        if self._fused is not None:
            uv_cat, c_cat = self._catalogue(uv, conf)
            cues = self._cues(uv_cat, c_cat, image)
            depth_used = cues is not None
            pts = self._fused.step_catalogue(uv_cat, c_cat, cues)
            imputed_cat = self._fused.imputed
        else:
            if image is not None and not self._warned_image:
                logger.info("LiveLifter: depth=False, so the image is not used (lifting from "
                            "keypoints only); pass depth=True to read depth cues from it.")
                self._warned_image = True
            pts = self._stream.step(uv, conf)
            imputed_cat = self._stream.imputed
        pose_3d = pts[self._out_idx]
        imputed = imputed_cat[self._out_idx].copy()
        feats: dict[str, float] = {}
        feats_frame: int | None = None
        if self.feature_stream is not None:
            feats = self.feature_stream.update(pose_3d, time_s)
            if feats:
                feats_frame = self._frame - self.feature_stream.delay
        res = LiveResult(pose_3d=pose_3d, features=feats, frame=self._frame,
                         features_frame=feats_frame, imputed=imputed,
                         latency_s=time.perf_counter() - t0, depth_used=depth_used)
        self._frame += 1
        return res

    def likelihood(self, pose_2d: np.ndarray) -> np.ndarray:
        """``(K_out,)`` likelihood of the output keypoints: the 2D one, 0 for imputed ones."""
        _, conf = self._split(pose_2d)
        out = np.zeros(len(self.keypoints_out))
        n = len(self._user_rows)
        c = np.ones(n) if conf is None else conf[self._user_rows]
        out[:n] = np.nan_to_num(c, nan=0.0)
        return out


# ============================================================================ processor
def _parse_names(names: Sequence[str] | str | None) -> list[str]:
    if names is None:
        raise DLCLifterError(
            "LiftProcessor needs keypoint_names: the DLC model's bodyparts in the order of "
            "the pose rows (e.g. keypoint_names=['snout', 'leftear', 'rightear', "
            "'tailbase']).")
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    return [str(n) for n in names]


def _parse_size(size: Sequence[int] | str | None) -> tuple[int, int] | None:
    if size is None or size == "":
        return None
    if isinstance(size, str):
        size = [int(float(v)) for v in size.replace("x", ",").split(",") if v.strip()]
    w, h = (int(v) for v in size)
    if w <= 0 or h <= 0:
        raise DLCLifterError(f"image_size must be (width, height) > 0; got {size}.")
    return w, h


class _LiftProcessorImpl:
    """The DLC-Live processor's behaviour; :data:`LiftProcessor` adds the dlclive base."""

    PROCESSOR_NAME = PROCESSOR_NAME
    PROCESSOR_DESCRIPTION = PROCESSOR_DESCRIPTION
    PROCESSOR_PARAMS = PROCESSOR_PARAMS

    def __init__(
        self,
        keypoint_names: Sequence[str] | str | None = None,
        calibration: str | Path | None = None,
        camera: str | Camera | None = None,
        camera_height_mm: float | None = None,
        focal_px: float | None = None,
        image_size: Sequence[int] | str | None = None,
        arena_size_mm: float | None = None,
        model_path: str | Path | None = None,
        features: bool = True,
        fps: float = 30.0,
        window: int = DEFAULT_WINDOW,
        pcutoff: float = 0.6,
        warmup_frames: int = 30,
        keypoint_map: str | Path | Mapping[str, str | None] | None = None,
        overwrite: bool = False,
        depth: bool = False,
        depth_weights: str | Path | None = None,
        fused_weights: str | Path | None = None,
        px_per_mm: float | None = None,
        image_color: str = "bgr",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        from dlc_lifter.mouse.catalogue import load_mapping

        self.keypoint_names = _parse_names(keypoint_names)
        self.calibration = None if calibration in (None, "") else str(calibration)
        self.camera_name = camera if isinstance(camera, str) and camera else None
        self.camera_height_mm = None if camera_height_mm is None else float(camera_height_mm)
        self.focal_px = None if focal_px is None else float(focal_px)
        self.image_size = _parse_size(image_size)
        self.arena_size_mm = None if arena_size_mm is None else float(arena_size_mm)
        self.features_on = bool(features)
        self.fps = float(fps)
        self.window = int(window)
        self.warmup_frames = max(1, int(warmup_frames))
        self.overwrite = bool(overwrite)
        if keypoint_map is None or isinstance(keypoint_map, Mapping):
            self.keypoint_map = keypoint_map
        else:
            self.keypoint_map = load_mapping(keypoint_map)
        self.lifter = _load_lifter(model_path, pcutoff)
        self.depth = bool(depth)
        self.depth_weights = None if depth_weights in (None, "") else str(depth_weights)
        self.fused_weights = None if fused_weights in (None, "") else str(fused_weights)
        self.px_per_mm = None if px_per_mm in (None, "") else float(px_per_mm)
        if image_color not in _GRAY_WEIGHTS:
            raise DLCLifterError(f"image_color must be 'rgb' or 'bgr'; got {image_color!r}.")
        self.image_color = image_color
        if self.depth:  # fail at set-up, not in the live loop, when the weights are missing
            from dlc_lifter.lift.depth_path import load_depth_models

            load_depth_models(self.depth_weights, self.fused_weights)
        self.camera_source = "given" if isinstance(camera, Camera) else None
        self.camera_details: dict[str, Any] = {}
        self.live: LiveLifter | None = None
        self._pending: list[tuple[np.ndarray, float | None, np.ndarray | None]] = []
        self._poses3d: list[np.ndarray] = []
        self._likelihood: list[np.ndarray] = []
        self._imputed: list[np.ndarray] = []
        self._times: list[float] = []
        self._features: list[tuple[int, dict[str, float]]] = []
        self._latency: list[float] = []
        self._depth_used: list[bool] = []
        self._error_logged = False
        self.last_result: LiveResult | None = None
        """The :class:`LiveResult` of the newest frame lifted."""
        if isinstance(camera, Camera):
            self._start(camera)
        elif self.calibration is None and self.image_size is None:
            raise DLCLifterError(
                "LiftProcessor needs image_size=(width, height) of the camera frames in px "
                "when there is no calibration (the principal point sits at the image centre "
                "and the focal length is relative to the width).")
        elif self.calibration is not None or (
                self.camera_height_mm is not None and self.focal_px is not None):
            self._resolve(np.zeros((0, len(self.keypoint_names), 3)), self.image_size or (0, 0))

    # ------------------------------------------------------------------ camera
    def _start(self, camera: Camera) -> None:
        self.camera = camera
        self.live = LiveLifter(camera, self.keypoint_names, self.lifter, self.features_on,
                               fps=self.fps, window=self.window,
                               pcutoff=self.lifter.pcutoff, keypoint_map=self.keypoint_map,
                               depth=self.depth, depth_weights=self.depth_weights,
                               fused_weights=self.fused_weights, px_per_mm=self.px_per_mm,
                               image_color=self.image_color)
        logger.info("LiftProcessor: camera %r (%s).", camera, self.camera_source)

    def _resolve(self, poses: np.ndarray, size: tuple[int, int]) -> None:
        from dlc_lifter.lift.core import resolve_camera
        from dlc_lifter.mouse.catalogue import CATALOGUE
        from dlc_lifter.mouse.keypoint_map import plan_keypoint_map

        plan = plan_keypoint_map(self.keypoint_names, self.keypoint_map)
        idx = self.lifter.catalogue_indices(self.keypoint_names, plan)
        n = poses.shape[0]
        uv_cat = np.full((n, len(CATALOGUE), 2), np.nan)
        c_cat = np.full((n, len(CATALOGUE)), np.nan)
        for j, i in enumerate(idx):
            if i is not None:
                uv_cat[:, i] = poses[:, j, :2]
                c_cat[:, i] = poses[:, j, 2]
        choice = resolve_camera(uv_cat, c_cat, size, calibration=self.calibration,
                                camera=self.camera_name,
                                camera_height_mm=self.camera_height_mm, focal_px=self.focal_px,
                                arena_size_mm=self.arena_size_mm, lifter=self.lifter,
                                pcutoff=self.lifter.pcutoff)
        self.camera_source = choice.source
        self.camera_details = dict(choice.details)
        self._start(choice.camera)

    def _try_warmup(self) -> None:
        poses = np.stack([p for p, _, _ in self._pending])
        try:
            self._resolve(poses, self.image_size or (0, 0))
        except DLCLifterError as exc:
            logger.warning("LiftProcessor: cannot estimate the camera from %d frames yet "
                           "(%s); collecting more.", len(poses), exc)
            return
        pending, self._pending = self._pending, []
        for pose, t, image in pending:  # catch up: lift the frames collected so far
            self._lift(pose, t, image)

    # ------------------------------------------------------------------ frames
    def _lift(self, pose: np.ndarray, frame_time: float | None,
              image: np.ndarray | None = None) -> None:
        assert self.live is not None
        res = self.live.step(pose, image)
        self._poses3d.append(res.pose_3d)
        self._imputed.append(res.imputed)
        self._likelihood.append(self.live.likelihood(pose))
        self._times.append(np.nan if frame_time is None else float(frame_time))
        self._latency.append(res.latency_s)
        self._depth_used.append(res.depth_used)
        if res.features_frame is not None:
            self._features.append((res.features_frame, res.features))
        self.last_result = res

    def process(self, pose: np.ndarray, **kwargs: Any) -> np.ndarray:
        """Lift DLC-Live's pose and store the 3D pose and features; return ``pose`` itself.

        Parameters
        ----------
        pose
            ``(K, 3)`` array of ``x, y, likelihood`` (DLC-Live's pose; ``(1, K, 3)`` is
            accepted too).
        **kwargs
            DLC-Live's extra arguments (those given to ``DLCLive.get_pose``):
            ``frame_time`` is stored when given; ``image``, the camera frame, is read for
            depth cues with ``depth=True`` (``dlc_live.get_pose(frame, image=frame)``).

        Returns
        -------
        numpy.ndarray
            The same ``pose`` object, unchanged.
        """
        try:
            p = np.asarray(pose, dtype=np.float64)
            if p.ndim == 3 and p.shape[0] == 1:
                p = p[0]
            if p.shape != (len(self.keypoint_names), 3):
                raise DLCLifterError(
                    f"LiftProcessor got a pose of shape {p.shape}; it lifts one animal with "
                    f"{len(self.keypoint_names)} keypoints ({', '.join(self.keypoint_names)})"
                    ", shape (K, 3).")
            ft = kwargs.get("frame_time")
            image = kwargs.get("image") if self.depth else None
            if self.live is None:
                self._pending.append((p.copy(), ft, None if image is None
                                      else np.array(image, copy=True)))
                if len(self._pending) >= self.warmup_frames and (
                        len(self._pending) % self.warmup_frames == 0):
                    self._try_warmup()
            else:
                self._lift(p, ft, image)
        except DLCLifterError as exc:  # never break the live loop; say it once
            if not self._error_logged:
                logger.error("LiftProcessor: %s", exc)
                self._error_logged = True
        return pose

    # ------------------------------------------------------------------ results
    @property
    def n_frames(self) -> int:
        """Frames lifted so far."""
        return len(self._poses3d)

    @property
    def poses_3d(self) -> np.ndarray:
        """``(T, K_out, 3)`` mm of every frame lifted so far."""
        k = len(self.live.keypoints_out) if self.live is not None else 0
        return np.stack(self._poses3d) if self._poses3d else np.zeros((0, k, 3))

    def features_table(self) -> Any:
        """The live features as a :class:`pandas.DataFrame` (``frame`` then columns)."""
        import pandas as pd

        stream = self.live.feature_stream if self.live is not None else None
        cols = stream.columns if stream is not None else []
        rows = [{"frame": f, **d} for f, d in self._features]
        return pd.DataFrame(rows, columns=["frame", *cols])

    def to_poses(self) -> Any:
        """The collected 3D poses as :class:`~dlc_lifter.poses.Poses` (for files)."""
        from dlc_lifter.poses import PoseMetadata, Poses

        if self.live is None or not self._poses3d:
            raise DLCLifterError("LiftProcessor has lifted no frames yet.")
        coords = self.poses_3d
        conf = np.stack(self._likelihood)
        imputed = np.stack(self._imputed)
        meta = PoseMetadata(
            source=None, source_format="lifted", scorer="dlc_lifter_live", fps=self.fps,
            image_size=self.camera.image_size,
            frame="world" if self.camera_source in ("calibration", "given") else "camera-floor",
            units="mm",
            extra={"camera": self.camera.as_dict(), "camera_source": self.camera_source,
                   "camera_estimate": self.camera_details, "model": self.lifter.describe(),
                   "imputed": imputed[:, None], "frame_time": np.asarray(self._times),
                   "depth_used": np.asarray(self._depth_used, dtype=bool),
                   "depth": self._depth_info(),
                   "catalogue_names": list(self.live.catalogue_names),
                   "source_keypoints": list(self.keypoint_names)})
        return Poses(coords=coords[:, None], confidence=conf[:, None],
                     keypoints=self.live.keypoints_out, meta=meta)

    def _depth_info(self) -> dict[str, Any]:
        info: dict[str, Any] = {"used": self.depth}
        if self.depth and self.live is not None:
            info.update(depth_weights=self.live.depth_model.info.get("path"),
                        fused_weights=self.live.fused_model.info.get("path"),
                        fused_sha256=self.live.fused_model.info.get("sha256"),
                        px_per_mm=self.live.px_per_mm,
                        frames_with_cues=int(np.sum(self._depth_used)))
        return info

    def save(self, file: str | Path = "") -> int:
        """Write the collected 3D poses (and features); return 1 on success, 0 otherwise.

        ``.npz``: arrays ``pose_3d (T, K, 3)``, ``likelihood``, ``imputed``,
        ``frame_time``, ``keypoints``, ``latency_s``, ``depth_used``, ``features`` (``(F, C)``) with
        ``feature_columns`` and ``feature_frames``, and ``camera`` (JSON). Otherwise
        (``.h5`` / ``.csv``) DeepLabCut's 3D layout (:func:`dlc_lifter.io.write_dlc_3d`)
        plus ``<stem>_features.csv`` when features are on.
        """
        if not file:
            logger.error("LiftProcessor.save: no file name given.")
            return 0
        path = Path(file)
        try:
            poses = self.to_poses()
            feats = self.features_table()
            if path.suffix.lower() == ".npz":
                self._save_npz(path, poses, feats)
            else:
                from dlc_lifter.analysis.features import write_features
                from dlc_lifter.io import write_dlc_3d

                if path.suffix.lower() not in (".h5", ".csv"):
                    path = path.with_suffix(".h5")
                write_dlc_3d(poses, path, overwrite=self.overwrite,
                             meta={"camera_source": self.camera_source,
                                   "camera_estimate": self.camera_details,
                                   "live": True})
                if self.features_on and len(feats):
                    write_features(feats, path.with_name(f"{path.stem}_features.csv"),
                                   overwrite=self.overwrite)
        except (DLCLifterError, OSError, ValueError) as exc:
            logger.error("LiftProcessor.save(%s) failed: %s", file, exc)
            return 0
        logger.info("LiftProcessor: saved %d frames of 3D poses to %s", self.n_frames, path)
        return 1

    def _save_npz(self, path: Path, poses: Any, feats: Any) -> None:
        from dlc_lifter._atomic import atomic_output

        cols = [c for c in feats.columns if c != "frame"]
        with atomic_output(path, overwrite=self.overwrite) as tmp, open(tmp, "wb") as fh:
            np.savez(
                fh, pose_3d=poses.coords[:, 0], likelihood=poses.confidence[:, 0],
                imputed=np.stack(self._imputed), frame_time=np.asarray(self._times),
                keypoints=np.asarray(poses.keypoints, dtype=str),
                latency_s=np.asarray(self._latency),
                depth_used=np.asarray(self._depth_used, dtype=bool),
                features=feats[cols].to_numpy(dtype=np.float64).reshape(len(feats), len(cols)),
                feature_columns=np.asarray(cols, dtype=str),
                feature_frames=feats["frame"].to_numpy(dtype=np.int64),
                camera=np.asarray(json.dumps({"camera": self.camera.as_dict(),
                                              "source": self.camera_source,
                                              "details": self.camera_details},
                                             default=float)))


# built classes (a dict, not a module-level class, so plugin scanners list it once)
_BUILT: dict[str, type] = {}


def processor_class() -> type:
    """Build (once) and return ``LiftProcessor``, the ``dlclive.Processor`` subclass.

    Raises
    ------
    DLCLifterError
        When ``dlclive`` (PyPI ``deeplabcut-live``) is not installed.
    """
    if "LiftProcessor" not in _BUILT:
        try:
            from dlclive import Processor
        except ImportError as exc:
            raise DLCLifterError(
                f"LiftProcessor needs DeepLabCut-Live ({exc}); run 'pip install "
                "deeplabcut-live', or use LiveLifter, which does not.") from None
        _BUILT["LiftProcessor"] = type("LiftProcessor", (_LiftProcessorImpl, Processor), {
            "__module__": __name__,
            "__qualname__": "LiftProcessor",
            "__doc__": _PROCESSOR_DOC,
        })
    return _BUILT["LiftProcessor"]


_PROCESSOR_DOC = """DeepLabCut-Live processor that lifts every pose to 3D with dlc-lifter.

``process(pose)`` lifts DLC-Live's ``(K, 3)`` pose (x, y, likelihood) with the causal
network, stores the 3D pose and live features, and returns ``pose`` unchanged;
``save(file)`` writes them (``.npz``, or DLC's 3D ``.h5``/``.csv`` layout) and returns 1
(0 on failure). Results so far: ``poses_3d``, ``features_table()``, ``last_result``.

The camera comes from, in order: ``camera`` (a Camera object), ``calibration`` (anipose
TOML, ``camera`` naming one of its cameras), ``camera_height_mm`` + ``focal_px``;
otherwise it is estimated like ``dlc-lifter lift`` does (arena size, or the animal's body
length) from the first ``warmup_frames`` poses, which are lifted once it is known.
Without a calibration, ``image_size`` is required.
With ``depth=True``, pass the camera frame through DLC-Live, ``get_pose(frame,
image=frame)``: it is cropped around the mouse, the depth network reads cues from it and
the fused lifter lifts the pose (frames without an image: no cues, keypoints only).
Parameters: see ``PROCESSOR_PARAMS``.
"""


def get_available_processors() -> dict[str, dict[str, Any]]:
    """The processors of this module, as the DLC-Live GUI's plugin loader expects them.

    Returns
    -------
    dict
        ``{"LiftProcessor": {"class", "name", "description", "params"}}``.
    """
    cls = processor_class()
    return {"LiftProcessor": {"class": cls, "name": PROCESSOR_NAME,
                              "description": PROCESSOR_DESCRIPTION,
                              "params": PROCESSOR_PARAMS}}


def __getattr__(name: str) -> Any:
    if name == "LiftProcessor":
        return processor_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | {"LiftProcessor"})
