"""DeepLabCut-Live integration: ``LiftProcessor``, a ``dlclive.Processor`` that lifts live.

``LiftProcessor`` is a ``dlclive.Processor`` subclass for DeepLabCut-Live (and the
DLC-Live GUI, which lists the ``Processor`` subclasses of a module, or calls its
:func:`get_available_processors`, and reads ``PROCESSOR_NAME`` /
``PROCESSOR_DESCRIPTION`` / ``PROCESSOR_PARAMS``). It is built on first access, so
importing this module does not import ``dlclive``; :func:`processor_class` builds it
explicitly. To use it from the DLC-Live GUI, put a file in its processor folder holding
``from dlc_lifter.integrations.dlclive import get_available_processors``.

The processor's settings are a :class:`LiftProcessorOptions`; the DLC-Live GUI passes
them as keyword arguments (``PROCESSOR_PARAMS``), Python callers may pass the options
object. Each pose is lifted by a :class:`~dlc_lifter.lift.live.LiveLifter` (with
``depth=True``, from the camera frame too: pass it through ``get_pose``, e.g.
``dlc_live.get_pose(frame, frame_time=t, image=frame)``, since DLC-Live does not hand
the frame to processors), and its features computed by
:class:`~dlc_lifter.analysis.live_features.LiveFeatures`.

(A little over 600 lines because each setting is described twice, for the GUI in
``PROCESSOR_PARAMS`` and for Python in :class:`LiftProcessorOptions`; one role.)
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dlc_lifter.analysis.features import DEFAULT_WINDOW
from dlc_lifter.analysis.live_features import LiveFeatures
from dlc_lifter.camera import Camera
from dlc_lifter.errors import DLCLifterError
from dlc_lifter.io.calibration import load_anipose
from dlc_lifter.io.live_npz import write_live_npz
from dlc_lifter.lift.keypoints import resolve_keypoint_map
from dlc_lifter.lift.live import (
    IMAGE_COLORS,
    LiveLifter,
    LiveResult,
    animal_in_frame,
    animal_rows,
    causal_lifter,
    live_keypoint_plan,
)
from dlc_lifter.lift.options import (
    check_pcutoff,
    check_view,
    parse_arena_size,
    parse_floor_scale,
)

__all__ = [
    "PROCESSOR_DESCRIPTION",
    "PROCESSOR_NAME",
    "PROCESSOR_PARAMS",
    "LiftProcessor",  # noqa: F822 - built on first access (module __getattr__)
    "LiftProcessorOptions",
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
        "type": "str", "default": None,
        "description": "Arena side (mm), or WIDTHxHEIGHT of a rectangular arena (e.g. "
                       "600x400): with its four corners tracked they give the camera."},
    "floor_scale": {
        "type": "str", "default": None,
        "description": "The floor's scale, as a pixel-to-length calibration gives it: mm per "
                       "pixel (0.3125) or with units (32 px/cm): the camera's scale, not the "
                       "animal's size."},
    "walls": {
        "type": "bool", "default": True,
        "description": "With the arena's four corners tracked: raise points whose camera ray "
                       "meets the floor beyond the walls to where it comes inside the arena."},
    "view": {
        "type": "str", "default": "auto",
        "description": "Where the camera films from without a calibration: auto (above, "
                       "unless the warm-up frames show the animal's sides mirrored), above, "
                       "or below (through a glass floor)."},
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


# ============================================================================ options
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
    try:
        if isinstance(size, str):
            size = [int(float(v)) for v in size.replace("x", ",").split(",") if v.strip()]
        w, h = (int(v) for v in size)
    except (TypeError, ValueError):
        raise DLCLifterError(f"image_size must be WIDTHxHEIGHT in px (640x480) or (640, 480); "
                             f"got {size!r}.") from None
    if w <= 0 or h <= 0:
        raise DLCLifterError(f"image_size must be (width, height) > 0; got {size}.")
    return w, h



def _none_if_empty(value: Any) -> Any:
    return None if value is None or (isinstance(value, str) and value == "") else value


def _number(name: str, value: Any, kind: type) -> Any:
    """``value`` as a ``kind`` (``None`` stays); a setting that is not a number is one
    error naming it (a GUI's text field: ``"450 mm"``)."""
    if value is None:
        return None
    try:
        return kind(float(value)) if kind is int else kind(value)
    except (TypeError, ValueError):
        raise DLCLifterError(f"LiftProcessor setting {name} must be a number; got "
                             f"{value!r}.") from None


_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


def _as_bool(name: str, value: Any) -> bool:
    """A yes/no setting, also as the text a GUI or config file gives (``"False"`` is no);
    unset (``None`` or ``""``) is the setting's default."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return bool(_BOOL_DEFAULTS[name])
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise DLCLifterError(f"{name} must be true or false; got {value!r}.")
    return bool(value)


@dataclass(frozen=True)
class LiftProcessorOptions:
    """The DLC-Live processor's settings (``PROCESSOR_PARAMS``, plus a ``Camera``).

    Values come as the DLC-Live GUI gives them (strings allowed where noted) and are
    normalised on construction: ``keypoint_names`` to a tuple, ``image_size`` to
    ``(width, height)``, empty strings to ``None``, numbers to ``float``/``int``.

    Attributes
    ----------
    keypoint_names
        Bodypart names of the DLC model, in the order of the pose rows (a sequence or a
        comma-separated string); required.
    calibration
        Anipose calibration TOML: output in its world frame.
    camera
        A :class:`~dlc_lifter.camera.Camera` to use as is, or the camera's name in the
        calibration.
    camera_height_mm, focal_px
        Camera height above the floor (mm) and focal length (px), without a calibration.
    image_size
        ``(width, height)`` of the camera frames in px (or ``"640x480"``); required
        without a calibration.
    arena_size_mm
        Arena side (mm), for the camera estimate without height and focal length.
    floor_scale
        The floor's scale (mm per pixel, or a text with units such as ``"32 px/cm"``;
        :class:`~dlc_lifter.lift.CameraSpec`'s ``floor_scale``): the camera's scale when
        neither a calibration, height and focal length nor corners with ``arena_size_mm``
        give it.
    walls
        With the arena's four corners tracked, no point of the animal inside a wall
        (:class:`~dlc_lifter.lift.live.LiveLifter`'s ``walls``).
    view
        Where the camera films from without a calibration: ``auto``, ``above`` or
        ``below`` (as :class:`~dlc_lifter.lift.CameraSpec`; ``auto`` votes on the
        warm-up frames).
    model_path
        Lifter weights (``None``: the shipped model).
    features
        Compute live 3D features (:class:`~dlc_lifter.analysis.live_features.LiveFeatures`).
    fps, window
        Frame rate (speeds) and frames of the rolling standard deviations.
    pcutoff
        Keypoints below this likelihood are imputed.
    warmup_frames
        Frames collected to estimate the camera when neither a calibration nor height,
        focal length and image size are given.
    keypoint_map
        YAML file or mapping ``your_name: catalogue_name`` for unusual names.
    overwrite
        Let ``save()`` replace existing files.
    depth, depth_weights, fused_weights
        Read depth cues from the camera frame (weights: default the shipped ones).
    px_per_mm
        Image scale of the animal for the depth crops (``None``: estimated).
    image_color
        Channel order of colour frames, ``bgr`` (OpenCV cameras, DLC-Live) or ``rgb``.

    Raises
    ------
    DLCLifterError
        Without ``keypoint_names``, for a bad ``image_size`` or ``image_color``.
    """

    keypoint_names: Sequence[str] | str | None = None
    calibration: str | Path | None = None
    camera: str | Camera | None = None
    camera_height_mm: float | None = None
    focal_px: float | None = None
    image_size: Sequence[int] | str | None = None
    arena_size_mm: float | tuple[float, float] | str | None = None
    floor_scale: float | str | None = None
    walls: bool = True
    view: str = "auto"
    model_path: str | Path | None = None
    features: bool = True
    fps: float = 30.0
    window: int = DEFAULT_WINDOW
    pcutoff: float = 0.6
    warmup_frames: int = 30
    keypoint_map: str | Path | Mapping[str, str | None] | None = None
    overwrite: bool = False
    depth: bool = False
    depth_weights: str | Path | None = None
    fused_weights: str | Path | None = None
    px_per_mm: float | None = None
    image_color: str = "bgr"

    def __post_init__(self) -> None:
        def opt_float(name: str) -> float | None:  # a blank field: not set
            return _number(name, _none_if_empty(getattr(self, name)), float)

        def number(name: str, kind: type = float) -> Any:  # a blank field: the default
            value = _none_if_empty(getattr(self, name))
            default = _DEFAULTS[name]
            return _number(name, default if value is None else value, kind)

        calibration = _none_if_empty(self.calibration)
        camera = self.camera if isinstance(self.camera, Camera) else (
            self.camera if isinstance(self.camera, str) and self.camera else None)
        weights = (_none_if_empty(self.depth_weights), _none_if_empty(self.fused_weights))
        values = {
            "keypoint_names": tuple(_parse_names(self.keypoint_names)),
            "calibration": None if calibration is None else str(calibration),
            "camera": camera,
            "camera_height_mm": opt_float("camera_height_mm"),
            "focal_px": opt_float("focal_px"),
            "image_size": _parse_size(self.image_size),
            "arena_size_mm": parse_arena_size(self.arena_size_mm),
            "floor_scale": parse_floor_scale(_none_if_empty(self.floor_scale)),
            "walls": _as_bool("walls", self.walls),
            "features": _as_bool("features", self.features), "fps": number("fps"),
            "window": number("window", int), "pcutoff": check_pcutoff(self.pcutoff),
            "warmup_frames": max(1, number("warmup_frames", int)),
            "overwrite": _as_bool("overwrite", self.overwrite),
            "depth": _as_bool("depth", self.depth),
            "depth_weights": None if weights[0] is None else str(weights[0]),
            "fused_weights": None if weights[1] is None else str(weights[1]),
            "px_per_mm": opt_float("px_per_mm"),
        }
        view = _none_if_empty(self.view) or "auto"
        check_view(view)
        values["view"] = view
        if self.image_color not in IMAGE_COLORS:
            raise DLCLifterError(f"image_color must be 'rgb' or 'bgr'; got "
                                 f"{self.image_color!r}.")
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @property
    def camera_name(self) -> str | None:
        """The camera's name in the calibration (``None`` for a given ``Camera``)."""
        return self.camera if isinstance(self.camera, str) else None


_OPTION_NAMES = frozenset(f.name for f in dataclasses.fields(LiftProcessorOptions))
_DEFAULTS = {f.name: f.default for f in dataclasses.fields(LiftProcessorOptions)}
_BOOL_DEFAULTS = {f.name: f.default for f in dataclasses.fields(LiftProcessorOptions)
                  if f.type in ("bool", bool)}


# ============================================================================ processor
class _LiftProcessorImpl:
    """The DLC-Live processor's behaviour; :data:`LiftProcessor` adds the dlclive base."""

    PROCESSOR_NAME = PROCESSOR_NAME
    PROCESSOR_DESCRIPTION = PROCESSOR_DESCRIPTION
    PROCESSOR_PARAMS = PROCESSOR_PARAMS

    def __init__(self, options: LiftProcessorOptions | None = None, **params: Any) -> None:
        own = {k: params.pop(k) for k in list(params) if k in _OPTION_NAMES}
        if params:  # dlclive's Processor takes anything and keeps nothing: a typo is lost
            from difflib import get_close_matches

            hints = [f"{k} (did you mean {m[0]}?)" if (m := get_close_matches(
                k, sorted(_OPTION_NAMES), n=1)) else k for k in sorted(params)]
            raise DLCLifterError(f"LiftProcessor has no setting {', '.join(hints)}; its "
                                 f"settings are {', '.join(sorted(_OPTION_NAMES))}.")
        super().__init__()
        if options is None:
            options = LiftProcessorOptions(**own)
        elif own:
            raise DLCLifterError(f"LiftProcessor takes options= or the keyword settings "
                                 f"({', '.join(sorted(own))}), not both.")
        self.options = options
        """The settings (:class:`LiftProcessorOptions`)."""
        self.keypoint_names = list(options.keypoint_names)
        self.keypoint_map = resolve_keypoint_map(options.keypoint_map)
        # the rows whose tracking says the animal is in (not an empty arena's corners)
        self._animal_rows = animal_rows(self.keypoint_names, live_keypoint_plan(
            self.keypoint_names, self.keypoint_map, check=False))
        self.lifter = causal_lifter(options.model_path, options.pcutoff)
        if options.depth:  # fail at set-up, not in the live loop, when the weights are missing
            from dlc_lifter.lift.depth_path import load_depth_models

            load_depth_models(options.depth_weights, options.fused_weights)
        self.camera_source = "given" if isinstance(options.camera, Camera) else None
        self._calibrated = self._read_calibration()
        self.camera_details: dict[str, Any] = {}
        self.camera_frame = "world"  # a given camera's frame; else the resolved one's
        self.live: LiveLifter | None = None
        """The live lifter, once the camera is known."""
        self.live_features: LiveFeatures | None = None
        """The live features over :attr:`live` (with ``features``)."""
        self._pending: list[tuple[np.ndarray, float | None, np.ndarray | None]] = []
        # the times of the frames before the animal first shows (an empty arena): no pose
        # kept, no camera estimate tried on them; NaN rows once the camera is known
        self._before_animal: list[float | None] = []
        self._warmup_warned = False
        self._clear_session()
        self._set_up_camera()
        if self.live is None:  # started once the camera is known, in the live loop: the
            # frame that starts it (after warmup_frames) need not pay torch's first call too
            w, h = self.options.image_size or (640, 480)
            self.lifter.warm_up(Camera.top_view(height_mm=450.0, focal_px=float(w),
                                                image_size=(w, h)))

    def _clear_session(self) -> None:
        """No frame collected, lifted or skipped yet."""
        self._poses3d: list[np.ndarray] = []
        self._likelihood: list[np.ndarray] = []
        self._imputed: list[np.ndarray] = []
        self._tails: list[np.ndarray] = []
        self._times: list[float] = []
        self._features: list[tuple[int, dict[str, float]]] = []
        self._latency: list[float] = []
        self._depth_used: list[bool] = []
        self.skipped: dict[str, int] = {}
        """``{why: frames}`` of the frames not lifted (each reason logged once)."""
        self._written: set[Path] = set()  # files this recording's saves wrote
        self.last_result: LiveResult | None = None
        """The :class:`~dlc_lifter.lift.live.LiveResult` of the newest frame lifted."""

    def reset(self) -> None:
        """Start a new recording: the frames collected are forgotten (:meth:`save` them
        first) and the live lift's past with them (the causal networks' window, the
        session's measures, the features' history), as a new processor's would be; the
        camera stays (an estimated one too: the same rig)."""
        self._clear_session()
        if self.live_features is not None:
            self.live_features.reset()
        elif self.live is not None:
            self.live.reset()
        if self.live is None:  # still waiting for the frames that place the camera
            self._pending, self._before_animal = [], []

    # ------------------------------------------------------------------ camera
    def _set_up_camera(self) -> None:
        """Start now when the camera is known or computable; otherwise wait for poses."""
        o = self.options
        if isinstance(o.camera, Camera):
            self._start(o.camera)
        elif o.calibration is None and o.image_size is None:
            raise DLCLifterError(
                "LiftProcessor needs image_size=(width, height) of the camera frames in px "
                "when there is no calibration (the principal point sits at the image centre "
                "and the focal length is relative to the width).")
        elif o.calibration is not None and (self._lens_only_calibration()
                                            or self._calibration_below_floor()):
            return  # the camera is placed (or told above or below) by the warm-up frames
        elif o.calibration is not None or (
                o.camera_height_mm is not None and o.focal_px is not None):
            self._resolve(np.zeros((0, len(self.keypoint_names), 3)), o.image_size or (0, 0))

    def _read_calibration(self) -> Camera | None:
        """The calibration's camera, read once for the lens check and the camera's
        resolution; ``None`` without one, or where it cannot be read (left to the camera's
        resolution to refuse)."""
        o = self.options
        if o.calibration is None or isinstance(o.camera, Camera):
            return None
        try:
            return load_anipose(o.calibration, o.camera_name)
        except DLCLifterError:
            return None

    def _lens_only_calibration(self) -> bool:
        """Whether the calibration gives the lens only (its world frame is not the floor's:
        an intrinsics-only file, DeepLabCut 3D's pickles, one camera at the world's origin;
        :meth:`~dlc_lifter.camera.Camera.floor_problem`) and nothing given places the
        camera without poses (a height, a floor scale): then, as without a calibration,
        the warm-up frames place it (logged). A calibration that cannot be read is left to
        the camera's resolution to refuse."""
        o = self.options
        if (o.camera_height_mm is not None or o.floor_scale is not None
                or self._calibrated is None):
            return False
        problem = self._calibrated.floor_problem()
        if problem:
            logger.info("LiftProcessor: the calibration %s gives the lens only (%s): the "
                        "camera is placed from the first %d frames, as without a "
                        "calibration (camera_height_mm places it straight down at once).",
                        o.calibration, problem, o.warmup_frames)
        return bool(problem)

    def _calibration_below_floor(self) -> bool:
        """Whether the calibration puts the camera below its floor (and ``view`` is not
        ``below``): a camera under a glass floor, or one above it in a world whose ``z``
        points down (a checkerboard's frame on the floor). The warm-up frames tell which
        (the animal's sides mirrored there: the world is turned over, as offline,
        :func:`~dlc_lifter.lift.camera_choice.lift_camera`), so they start the lift;
        ``view`` above or below says which at once."""
        o = self.options
        cam = self._calibrated
        if o.view != "auto" or cam is None or cam.floor_problem() or not cam.below_floor:
            return False
        logger.info("LiftProcessor: the calibration %s puts the camera below the floor: the "
                    "first %d frames tell a camera under a glass floor from a world whose z "
                    "points down (view=above or below starts at once).", o.calibration,
                    o.warmup_frames)
        return True

    def _start(self, camera: Camera, view_angle_deg: float | None = None) -> None:
        """The live lifter on ``camera``, with the networks an offline lift from keypoints
        would use (:meth:`~dlc_lifter.lift.lifter.Lifter.for_camera`: from 15 deg off the
        vertical mixed with, from 25 deg replaced by, the networks for oblique views; from
        25 deg without depth, as the offline depth path). With depth the fused lifter lifts
        unmixed, and the keypoints' stream that lifts where the session's depth is judged
        off is the one without depth, as the offline depth path's keypoints-only lift."""
        o = self.options
        self.camera = camera
        share = self.lifter.oblique_share(camera, view_angle_deg)
        oblique = share >= 1.0
        depth = o.depth and not oblique
        if share > 0.0:
            how = ("lifting with the networks for oblique views" if oblique else
                   f"points {100 * share:.0f} % from the networks for oblique views")
            if o.depth:
                how += (", keypoints only" if oblique else
                        " where lifted from the keypoints only (while the depth network's "
                        "readings are judged off; with depth the fused lifter lifts)")
            logger.info("LiftProcessor: the camera sees the animal %.0f deg off the vertical: "
                        "%s.", view_angle_deg, how)
        self.live = LiveLifter(camera, self.keypoint_names,
                               self.lifter.for_camera(camera, view_angle_deg),
                               pcutoff=self.lifter.pcutoff, keypoint_map=self.keypoint_map,
                               depth=depth, depth_weights=o.depth_weights,
                               fused_weights=o.fused_weights, px_per_mm=o.px_per_mm,
                               image_color=o.image_color,
                               walls=o.walls and not self._corners_set_aside())
        self.live_features = (LiveFeatures(self.live, fps=o.fps, window=o.window)
                              if o.features else None)
        logger.info("LiftProcessor: camera %r (%s).", camera, self.camera_source)

    def _corners_set_aside(self) -> bool:
        """Whether the camera found the tracked corners are not the arena's (a maze's arm
        ends): then they bound nothing, as in an offline lift."""
        ignored = self.camera_details.get("arena_corners_ignored")
        if ignored:
            logger.info("LiftProcessor: the points named as the arena's corners are not its "
                        "corners (%s): no walls.", ignored)
        return bool(ignored)

    def _resolve(self, poses: np.ndarray, size: tuple[int, int]) -> None:
        """The camera as an offline lift of the frames seen so far would choose it
        (:func:`~dlc_lifter.lift.camera_choice.lift_camera`), and the live lifter on it."""
        from dlc_lifter.lift.camera_choice import lift_camera
        from dlc_lifter.poses import PoseMetadata, Poses

        o = self.options
        seen = Poses(coords=poses[:, None, :, :2], confidence=poses[:, None, :, 2],
                     keypoints=self.keypoint_names,
                     meta=PoseMetadata(source="LiftProcessor",
                                       image_size=None if size == (0, 0) else size))
        choice = lift_camera(seen, lifter=self.lifter, keypoint_map=self.keypoint_map,
                             calibration=o.calibration, camera=o.camera_name,
                             camera_height_mm=o.camera_height_mm, focal_px=o.focal_px,
                             arena_size_mm=o.arena_size_mm, image_size=size, view=o.view,
                             floor_mm_per_px=o.floor_scale, calibrated=self._calibrated)
        self.camera_source = choice.source
        self.camera_details = dict(choice.details)
        self.camera_frame = choice.frame
        view = self.camera_details.get("view", {}).get("angle_deg")
        if view is None:  # a calibration, no poses yet: the view at the image's centre
            view = math.degrees(choice.camera.tilt_rad)
        self._start(choice.camera, view)

    def _try_warmup(self) -> None:
        poses = np.stack([p for p, _, _ in self._pending])
        try:
            self._resolve(poses, self.options.image_size or (0, 0))
        except DLCLifterError as exc:  # said once; every warmup_frames more are tried
            (logger.debug if self._warmup_warned else logger.warning)(
                "LiftProcessor: cannot estimate the camera from %d frames yet (%s); "
                "collecting more (said once).", len(poses), exc)
            self._warmup_warned = True
            return
        for t in self._before_animal:  # an empty arena: no pose, as offline
            self._lift_nothing(t)
        self._before_animal = []
        pending, self._pending = self._pending, []
        for pose, t, image in pending:  # catch up: lift the frames collected so far
            self._lift(pose, t, image)

    def _lift_nothing(self, frame_time: float | None) -> None:
        """A frame with no animal in it, before the camera was known: a row of NaN."""
        assert self.live is not None
        k = len(self.live.keypoints_out)
        self._poses3d.append(np.full((k, 3), np.nan))
        self._imputed.append(np.zeros(k, bool))
        self._tails.append(np.zeros(k, bool))
        self._likelihood.append(np.zeros(k))
        self._times.append(np.nan if frame_time is None else float(frame_time))
        self._latency.append(np.nan)
        self._depth_used.append(False)

    # ------------------------------------------------------------------ frames
    def _lift(self, pose: np.ndarray, frame_time: float | None,
              image: np.ndarray | None = None) -> None:
        assert self.live is not None
        res = (self.live_features or self.live).step(pose, image)
        self._poses3d.append(res.pose_3d)
        self._imputed.append(res.imputed)
        self._tails.append(res.tails_withheld)
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
            try:
                p = np.asarray(pose, dtype=np.float64)
            except (TypeError, ValueError):
                raise DLCLifterError(f"LiftProcessor got a pose that is not numbers "
                                     f"({type(pose).__name__}); it lifts DLC-Live's (K, 3) "
                                     "array of x, y, likelihood.") from None
            if p.ndim == 3 and p.shape[0] == 1:
                p = p[0]
            if p.shape != (len(self.keypoint_names), 3):
                raise DLCLifterError(
                    f"LiftProcessor got a pose of shape {p.shape}; it lifts one animal with "
                    f"{len(self.keypoint_names)} keypoints ({', '.join(self.keypoint_names)})"
                    ", shape (K, 3).")
            ft = kwargs.get("frame_time")
            image = kwargs.get("image") if self.options.depth else None
            if self.live is None and not self._pending and not animal_in_frame(
                    p[:, :2], p[:, 2], self._animal_rows, self.lifter.pcutoff):
                if not self._before_animal:
                    logger.info("LiftProcessor: waiting for the animal (no keypoint of it at "
                                "the likelihood cutoff yet) to estimate the camera from it.")
                self._before_animal.append(ft)
            elif self.live is None:
                self._pending.append((p.copy(), ft, None if image is None
                                      else np.array(image, copy=True)))
                n = self.options.warmup_frames
                if len(self._pending) >= n and len(self._pending) % n == 0:
                    self._try_warmup()
            else:
                self._lift(p, ft, image)
        except DLCLifterError as exc:  # never break the live loop; say each reason once
            why = str(exc)
            if why not in self.skipped:
                logger.error("%s%s (frames not lifted for this reason are "
                             "counted in .skipped and said at save()).",
                             "" if why.startswith("LiftProcessor") else "LiftProcessor: ", why)
            self.skipped[why] = self.skipped.get(why, 0) + 1
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

        lf = self.live_features
        stream = lf.feature_stream if lf is not None else None
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
            source=None, source_format="lifted", scorer="dlc_lifter_live",
            fps=self.options.fps,
            image_size=self.camera.image_size,
            frame=self.camera_frame,
            units="mm",
            extra={"camera": self.camera.as_dict(), "camera_source": self.camera_source,
                   "camera_estimate": self.camera_details, "model": self.lifter.describe(),
                   "imputed": imputed[:, None], "frame_time": np.asarray(self._times),
                   "depth_used": np.asarray(self._depth_used, dtype=bool),
                   "depth": self._depth_info(),
                   "catalogue_names": list(self.live.catalogue_names),
                   "source_keypoints": list(self.keypoint_names)})
        poses = Poses(coords=coords[:, None], confidence=conf[:, None],
                      keypoints=self.live.keypoints_out, meta=meta)
        meta.extra["tails_withheld"] = self._tails_withheld(poses)
        return poses

    def _tails_withheld(self, poses: Any) -> dict[str, dict[str, int]]:
        """The curled tail points the causal networks did not see, as the offline lift
        records them: ``{individual: {keypoint: frames}}`` (empty where none)."""
        from dlc_lifter.lift.poses import tails_withheld_counts
        if not self._tails:
            return {}
        return tails_withheld_counts(np.stack(self._tails)[:, None], poses.individuals,
                                     poses.keypoints)

    def _depth_info(self) -> dict[str, Any]:
        """The session's depth record, as the offline lift's ``meta.extra["depth"]``:
        ``used`` (and, where the depth network's snout readings gave it up, ``reason`` and
        ``from_frame``), ``snout_reading``, the weights, the image scale and the frames
        lifted with cues (:attr:`~dlc_lifter.lift.live.LiveLifter.depth_judgement`)."""
        judgement = None if self.live is None else self.live.depth_judgement
        info: dict[str, Any] = {"used": False}  # not asked, or a camera the depth cannot use
        if judgement is not None:
            assert self.live is not None
            info.update(judgement)
            info.update(depth_weights=self.live.depth_model.info.get("path"),
                        fused_weights=self.live.fused_model.info.get("path"),
                        fused_sha256=self.live.fused_model.info.get("sha256"),
                        px_per_mm=self.live.px_per_mm,
                        frames_with_cues=int(np.sum(self._depth_used)))
        return info

    def save(self, file: str | Path = "") -> int:
        """Write the collected 3D poses (and features); return 1 on success, 0 otherwise.

        ``.npz``: arrays ``pose_3d (T, K, 3)``, ``likelihood``, ``imputed``,
        ``tails_withheld`` (curled tail points the networks did not see), ``frame_time``,
        ``keypoints``, ``latency_s``, ``depth_used``, ``features`` (``(F, C)``) with
        ``feature_columns`` and ``feature_frames``, ``camera`` and ``depth`` (JSON; the
        depth record of :meth:`to_poses`'s ``meta.extra["depth"]``). Otherwise
        (``.h5`` / ``.csv``) DeepLabCut's 3D layout (:func:`dlc_lifter.io.write_dlc_3d`,
        its meta recording ``tails_withheld`` per keypoint as the offline lift does) plus
        ``<stem>_features.csv`` when features are on.
        """
        for why, n in self.skipped.items():
            logger.warning("LiftProcessor: %d frame%s not lifted: %s", n, "" if n == 1 else "s",
                           why)
        waiting = len(self._pending) + len(self._before_animal)
        if self.live is None and waiting:
            logger.warning("LiftProcessor: %d frames not lifted: the camera was never "
                           "estimated (%d of them tracked the animal; it takes %d); give "
                           "camera_height_mm or a calibration.", waiting, len(self._pending),
                           self.options.warmup_frames)
        if not file:
            logger.error("LiftProcessor.save: no file name given.")
            return 0
        path = Path(file)
        try:
            poses = self.to_poses()
            feats = self.features_table()
            if path.suffix.lower() == ".npz":
                self._save_npz(path, poses, feats)
                written = [path]
            else:
                from dlc_lifter.analysis.features import write_features
                from dlc_lifter.io import meta_pickle_path, write_dlc_3d

                if path.suffix.lower() not in (".h5", ".csv"):
                    path = path.with_suffix(".h5")
                written = [path, meta_pickle_path(path)]
                replace = self.options.overwrite or (not path.exists()
                                                     and self._own(written[1:]))
                write_dlc_3d(poses, path, overwrite=replace,
                             meta={"camera_source": self.camera_source,
                                   "camera_estimate": self.camera_details,
                                   "tails_withheld": poses.meta.extra["tails_withheld"],
                                   "live": True})
                if self.options.features and len(feats):
                    table = path.with_name(f"{path.stem}_features.csv")
                    write_features(feats, table,
                                   overwrite=self.options.overwrite or self._own([table]))
                    written.append(table)
        except (DLCLifterError, OSError, ValueError) as exc:
            logger.error("LiftProcessor.save(%s) failed: %s", file, exc)
            return 0
        self._written.update(p.resolve() for p in written)
        logger.info("LiftProcessor: saved %d frames of 3D poses to %s", self.n_frames, path)
        return 1

    def _own(self, paths: Sequence[Path]) -> bool:
        """Whether each of ``paths`` that exists was written by this recording's own saves:
        ``out.h5`` then ``out.csv`` share ``out_meta.pickle`` and ``out_features.csv``, which
        the second save brings up to date (the file asked for is never written over without
        ``overwrite``)."""
        return all(p.resolve() in self._written for p in paths if p.exists())

    def _save_npz(self, path: Path, poses: Any, feats: Any) -> None:
        cols = [c for c in feats.columns if c != "frame"]
        arrays = dict(
            pose_3d=poses.coords[:, 0], likelihood=poses.confidence[:, 0],
            imputed=np.stack(self._imputed), frame_time=np.asarray(self._times),
            tails_withheld=np.stack(self._tails).astype(bool),
            keypoints=np.asarray(poses.keypoints, dtype=str),
            latency_s=np.asarray(self._latency),
            depth_used=np.asarray(self._depth_used, dtype=bool),
            features=feats[cols].to_numpy(dtype=np.float64).reshape(len(feats), len(cols)),
            feature_columns=np.asarray(cols, dtype=str),
            feature_frames=feats["frame"].to_numpy(dtype=np.int64))
        records = {"camera": {"camera": self.camera.as_dict(), "source": self.camera_source,
                              "details": self.camera_details},
                   "depth": poses.meta.extra["depth"]}
        write_live_npz(path, arrays, records, overwrite=self.options.overwrite)


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
length) from the first ``warmup_frames`` poses, which are lifted once it is known. A
calibration that gives the lens only (DeepLabCut 3D's pickles, an intrinsics-only file)
is placed the same way, with its lens, unless ``camera_height_mm`` is given.
Without a calibration, ``image_size`` is required.
With ``depth=True``, pass the camera frame through DLC-Live, ``get_pose(frame,
image=frame)``: it is cropped around the mouse, the depth network reads cues from it and
the fused lifter lifts the pose (frames without an image: no cues, keypoints only).
Settings: a ``LiftProcessorOptions`` (``LiftProcessor(options)``), or its fields as
keyword arguments, as the DLC-Live GUI passes ``PROCESSOR_PARAMS``
(``LiftProcessor(keypoint_names=[...], camera_height_mm=600, ...)``); a keyword that is
no setting is refused, naming the nearest (``dlclive.Processor`` keeps none). A blank
text setting (a GUI's empty field) is the setting left out.
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
