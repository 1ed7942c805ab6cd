"""dlc-lifter: metric 3D mouse poses from the 2D DeepLabCut / SLEAP tracking you already have."""

from __future__ import annotations

from dlc_lifter.errors import DLCLifterError, OutputExistsError, PoseFileError, VideoError
from dlc_lifter.poses import PoseMetadata, Poses

__version__ = "0.1.0"

__all__ = [
    "DLCLifterError",
    "OutputExistsError",
    "PoseFileError",
    "PoseMetadata",
    "Poses",
    "VideoError",
    "__version__",
]
