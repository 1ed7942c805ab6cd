"""Errors raised for bad user input; each message names the file and what to do."""

from __future__ import annotations

__all__ = [
    "DLCLifterError",
    "FeatureMismatchError",
    "FrameCountError",
    "KeypointMappingError",
    "LabelFileError",
    "ModelFileError",
    "OutputExistsError",
    "OutputFormatError",
    "PoseFileError",
    "VideoError",
]


class DLCLifterError(Exception):
    """Base class of every error dlc-lifter raises for bad input."""


class PoseFileError(DLCLifterError, ValueError):
    """A pose file is missing, unreadable, or not in a format dlc-lifter understands."""


class OutputExistsError(DLCLifterError, FileExistsError):
    """An output file exists and overwriting was not asked for."""


class VideoError(DLCLifterError, OSError):
    """A video is missing or cannot be decoded."""


class KeypointMappingError(DLCLifterError, KeyError):
    """Too few keypoints of a pose file map onto the mouse catalogue to lift it."""

    def __str__(self) -> str:  # KeyError quotes its message otherwise
        return str(self.args[0])


class OutputFormatError(DLCLifterError):
    """Some output formats could not be written; the others were.

    Attributes
    ----------
    written
        ``{format: path}`` of the outputs written.
    failed
        ``{format: message}`` of those that failed.
    """

    def __init__(self, message: str, written: dict, failed: dict) -> None:
        super().__init__(message)
        self.written = written
        self.failed = failed


class FrameCountError(DLCLifterError, ValueError):
    """The video and the pose file have different frame counts."""


class LabelFileError(DLCLifterError, ValueError):
    """A behaviour label file is missing or not in a layout dlc-lifter reads."""


class ModelFileError(DLCLifterError, ValueError):
    """A behaviour model file is missing or is not a dlc-lifter model."""


class FeatureMismatchError(DLCLifterError, ValueError):
    """Features given to a model lack columns the model was trained on."""
