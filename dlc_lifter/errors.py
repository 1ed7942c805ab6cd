"""Errors raised for bad user input; each message names the file and what to do."""

from __future__ import annotations

__all__ = ["DLCLifterError", "PoseFileError", "OutputExistsError", "VideoError"]


class DLCLifterError(Exception):
    """Base class of every error dlc-lifter raises for bad input."""


class PoseFileError(DLCLifterError, ValueError):
    """A pose file is missing, unreadable, or not in a format dlc-lifter understands."""


class OutputExistsError(DLCLifterError, FileExistsError):
    """An output file exists and overwriting was not asked for."""


class VideoError(DLCLifterError, OSError):
    """A video is missing or cannot be decoded."""
