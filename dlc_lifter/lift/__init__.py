"""Lifting 2D pose files to 3D: :func:`lift_file`, the :class:`Lifter` API, batches.

Importing this package is light: :mod:`dlc_lifter.lift.core` (and torch) load on first
use of :func:`lift_file` (:mod:`dlc_lifter.lift.pipeline`), :class:`Lifter` or the other
names below (the option dataclasses of :mod:`dlc_lifter.lift.options` are light), so
that ``dlc_lifter.lift.batch`` stays quick to import in worker processes.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "CameraChoice",
    "CameraSpec",
    "FrameCountError",
    "KeypointMappingError",
    "LiftOptions",
    "LiftResult",
    "LiftStream",
    "Lifter",
    "OutputSpec",
    "catalogue_arrays",
    "default_model_path",
    "lift_file",
    "lift_poses",
    "resolve_camera",
    "resolve_keypoint_map",
]

if TYPE_CHECKING:  # pragma: no cover
    from dlc_lifter.errors import FrameCountError, KeypointMappingError
    from dlc_lifter.lift.core import (
        CameraChoice,
        Lifter,
        LiftResult,
        LiftStream,
        catalogue_arrays,
        default_model_path,
        lift_poses,
        resolve_camera,
        resolve_keypoint_map,
    )
    from dlc_lifter.lift.options import CameraSpec, LiftOptions, OutputSpec
    from dlc_lifter.lift.pipeline import lift_file

#: Where each public name lives (imported on first use: torch loads with the core).
_HOME = {name: "dlc_lifter.lift.core" for name in __all__}
_HOME.update({"lift_file": "dlc_lifter.lift.pipeline", "FrameCountError": "dlc_lifter.errors",
              "KeypointMappingError": "dlc_lifter.errors"})
_HOME.update(dict.fromkeys(("CameraSpec", "LiftOptions", "OutputSpec"), "dlc_lifter.lift.options"))


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module(_HOME[name]), name)
    raise AttributeError(f"module 'dlc_lifter.lift' has no attribute '{name}'")
