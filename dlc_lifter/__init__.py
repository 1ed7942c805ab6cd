"""dlc-lifter: metric 3D mouse poses from the 2D DeepLabCut / SLEAP tracking you already have."""

from __future__ import annotations

from dlc_lifter._version import __version__
from dlc_lifter.errors import DLCLifterError, OutputExistsError, PoseFileError, VideoError
from dlc_lifter.io import (
    lifted_output_path,
    read_dlc_config,
    read_poses,
    write_dlc_3d,
    write_nwb_3d,
)
from dlc_lifter.poses import PoseMetadata, Poses

_LAZY = {
    # heavy parts (torch, matplotlib, scikit-learn, numba) load on first use
    "lift_file": "dlc_lifter.lift",
    "CameraSpec": "dlc_lifter.lift.options",
    "LiftOptions": "dlc_lifter.lift.options",
    "OutputSpec": "dlc_lifter.lift.options",
    "Lifter": "dlc_lifter.lift",
    "lift_videos": "dlc_lifter.lift.batch",
    "lift_sleap": "dlc_lifter.lift.batch",
    "lift_files": "dlc_lifter.lift.batch",
    "compute_features": "dlc_lifter.analysis",
    "train_classifier": "dlc_lifter.analysis",
    "plot_lifted": "dlc_lifter.analysis",
    "LiveLifter": "dlc_lifter.lift",
    "synthesize": "dlc_lifter.synth",
    "load_dataset": "dlc_lifter.synth",
    "Camera": "dlc_lifter.camera",
    "load_anipose": "dlc_lifter.io.calibration",
    "generate_sequences": "dlc_lifter.mouse.behaviour",
    "MouseRig": "dlc_lifter.mouse.rig",
}


#: Subpackages imported on first use as attributes (``dlc_lifter.lift.LiveLifter`` in a
#: fresh interpreter, as the README writes it), whatever was touched before.
_SUBPACKAGES = frozenset({"analysis", "integrations", "lift", "mouse", "nets", "synth"})


def __getattr__(name: str) -> object:
    import importlib

    if name in _SUBPACKAGES:
        return importlib.import_module(f"dlc_lifter.{name}")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'dlc_lifter' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "Camera",
    "CameraSpec",
    "LiftOptions",
    "OutputSpec",
    "Lifter",
    "LiveLifter",
    "MouseRig",
    "compute_features",
    "generate_sequences",
    "lift_file",
    "lift_files",
    "lift_sleap",
    "lift_videos",
    "load_anipose",
    "load_dataset",
    "plot_lifted",
    "synthesize",
    "train_classifier",
    "DLCLifterError",
    "OutputExistsError",
    "PoseFileError",
    "PoseMetadata",
    "Poses",
    "VideoError",
    "__version__",
    "lifted_output_path",
    "read_dlc_config",
    "read_poses",
    "write_dlc_3d",
    "write_nwb_3d",
]
