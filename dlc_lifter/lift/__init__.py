"""Lifting 2D pose files to 3D: :func:`lift_file`, the :class:`Lifter` API, batches, live.

Modules, by role:

- :mod:`~dlc_lifter.lift.lifter`: :class:`Lifter` (a trained model) and :class:`LiftResult`;
- :mod:`~dlc_lifter.lift.stream`: :class:`LiftStream`, frame-by-frame causal lifting;
- :mod:`~dlc_lifter.lift.live`: :class:`LiveLifter`, live lifting of one pose at a time
  (optionally with depth cues from the camera frame);
- :mod:`~dlc_lifter.lift.keypoints`: keypoint names onto the catalogue;
- :mod:`~dlc_lifter.lift.camera_estimate`: :func:`resolve_camera`, the camera of a recording;
- :mod:`~dlc_lifter.lift.camera_choice`: :func:`lift_camera`, the camera a lift uses, from
  above the floor or below it;
- :mod:`~dlc_lifter.lift.frames`: which rows are runs of consecutive frames;
- :mod:`~dlc_lifter.lift.handedness`: :func:`measure_handedness`, whether the animal is
  seen from above (not from below, not mirrored);
- :mod:`~dlc_lifter.lift.adapt`: :func:`adapt_session`, the opt-in session adaptation to
  the animal's own head (``LiftOptions(adapt=True)``);
- :mod:`~dlc_lifter.lift.mistracks`: :func:`mistracked`, confident detections the body
  cannot reach, lifted as untracked;
- :mod:`~dlc_lifter.lift.walls`: :func:`raise_into_arena`, no point of the animal inside
  the tracked arena's walls (``LiftOptions(walls=True)``, the default);
- :mod:`~dlc_lifter.lift.poses`: :func:`lift_poses`, every individual of a
  :class:`~dlc_lifter.poses.Poses`;
- :mod:`~dlc_lifter.lift.options`: :class:`CameraSpec`, :class:`LiftOptions`,
  :class:`OutputSpec`, the options of a lift, passed whole;
- :mod:`~dlc_lifter.lift.depth_path`, :mod:`~dlc_lifter.lift.pipeline`,
  :mod:`~dlc_lifter.lift.outputs`, :mod:`~dlc_lifter.lift.batch`: depth cues from the
  video, :func:`lift_file`, output formats, many files.

Importing this package is light: the modules behind the names below (and torch) load on
first use, so that ``dlc_lifter.lift.batch`` stays quick to import in worker processes.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "AdaptOptions",
    "BatchReport",
    "CameraChoice",
    "CameraSpec",
    "FrameCountError",
    "Handedness",
    "KeypointMappingError",
    "LiftOptions",
    "LiftResult",
    "LiftStream",
    "Lifter",
    "LiveLifter",
    "LiveResult",
    "OutputSpec",
    "adapt_session",
    "below_model_path",
    "catalogue_arrays",
    "default_model_path",
    "lift_camera",
    "lift_file",
    "lift_files",
    "lift_poses",
    "lift_sleap",
    "lift_videos",
    "measure_handedness",
    "oblique_model_path",
    "resolve_camera",
    "resolve_keypoint_map",
]

if TYPE_CHECKING:  # pragma: no cover
    from dlc_lifter.errors import FrameCountError, KeypointMappingError
    from dlc_lifter.lift.adapt import AdaptOptions, adapt_session
    from dlc_lifter.lift.batch import BatchReport, lift_files, lift_sleap, lift_videos
    from dlc_lifter.lift.camera_choice import lift_camera
    from dlc_lifter.lift.camera_estimate import CameraChoice, resolve_camera
    from dlc_lifter.lift.handedness import Handedness, measure_handedness
    from dlc_lifter.lift.keypoints import catalogue_arrays, resolve_keypoint_map
    from dlc_lifter.lift.lifter import (
        Lifter,
        LiftResult,
        below_model_path,
        default_model_path,
        oblique_model_path,
    )
    from dlc_lifter.lift.live import LiveLifter, LiveResult
    from dlc_lifter.lift.options import CameraSpec, LiftOptions, OutputSpec
    from dlc_lifter.lift.pipeline import lift_file
    from dlc_lifter.lift.poses import lift_poses
    from dlc_lifter.lift.stream import LiftStream

#: Where each public name lives (its module is imported on first use).
_HOME = {
    "AdaptOptions": "dlc_lifter.lift.adapt",
    "adapt_session": "dlc_lifter.lift.adapt",
    "CameraChoice": "dlc_lifter.lift.camera_estimate",
    "FrameCountError": "dlc_lifter.errors",
    "Handedness": "dlc_lifter.lift.handedness",
    "measure_handedness": "dlc_lifter.lift.handedness",
    "KeypointMappingError": "dlc_lifter.errors",
    "LiftResult": "dlc_lifter.lift.lifter",
    "LiftStream": "dlc_lifter.lift.stream",
    "Lifter": "dlc_lifter.lift.lifter",
    "LiveLifter": "dlc_lifter.lift.live",
    "LiveResult": "dlc_lifter.lift.live",
    "below_model_path": "dlc_lifter.lift.lifter",
    "oblique_model_path": "dlc_lifter.lift.lifter",
    "catalogue_arrays": "dlc_lifter.lift.keypoints",
    "default_model_path": "dlc_lifter.lift.lifter",
    "lift_camera": "dlc_lifter.lift.camera_choice",
    "lift_file": "dlc_lifter.lift.pipeline",
    "lift_poses": "dlc_lifter.lift.poses",
    "resolve_camera": "dlc_lifter.lift.camera_estimate",
    "resolve_keypoint_map": "dlc_lifter.lift.keypoints",
}
_HOME.update(dict.fromkeys(("CameraSpec", "LiftOptions", "OutputSpec"), "dlc_lifter.lift.options"))
_HOME.update(dict.fromkeys(("BatchReport", "lift_files", "lift_sleap", "lift_videos"),
                           "dlc_lifter.lift.batch"))


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module(_HOME[name]), name)
    raise AttributeError(f"module 'dlc_lifter.lift' has no attribute '{name}'")
