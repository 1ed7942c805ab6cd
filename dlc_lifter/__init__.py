"""dlc-lifter: metric 3D mouse poses from the 2D DeepLabCut / SLEAP tracking you already have."""

from __future__ import annotations

from dlc_lifter.errors import DLCLifterError, OutputExistsError, PoseFileError, VideoError
from dlc_lifter.poses import PoseMetadata, Poses

__version__ = "0.1.0"

from dlc_lifter.io import (  # noqa: E402 - io reads __version__
    lifted_output_path,
    read_dlc_config,
    read_poses,
    write_dlc_3d,
    write_nwb_3d,
)

__all__ = [
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
