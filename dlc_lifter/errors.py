"""Errors raised for bad user input; each message names the file and what to do."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = [
    "CalibrationError",
    "CameraEstimateError",
    "ConfigError",
    "DLCLifterError",
    "DestinationError",
    "FeatureError",
    "FeatureMismatchError",
    "FrameCountError",
    "KeypointMappingError",
    "LabelFileError",
    "ModelFileError",
    "ModelLoadError",
    "MouseSpecError",
    "OutputBusyError",
    "OutputExistsError",
    "OutputFormatError",
    "OutputNotWritableError",
    "PoseFileError",
    "SynthDatasetError",
    "UnknownKeypointError",
    "VideoError",
]


class DLCLifterError(Exception):
    """Base class of every error dlc-lifter raises for bad input."""


class CameraEstimateError(DLCLifterError):
    """No camera given, and the file does not show enough of the animal to estimate one."""


class PoseFileError(DLCLifterError, ValueError):
    """A pose file is missing, unreadable, or not in a format dlc-lifter understands."""


class OutputExistsError(DLCLifterError, FileExistsError):
    """An output file exists and overwriting was not asked for."""


class OutputBusyError(DLCLifterError):
    """Another run is writing this output now (it holds the output's claim)."""


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


class CalibrationError(DLCLifterError):
    """A calibration file is missing, unreadable or lacks the camera asked for."""


class ModelLoadError(DLCLifterError):
    """Weights are missing, corrupt or made for another keypoint catalogue."""


class MouseSpecError(DLCLifterError, ValueError):
    """The mouse anatomy YAML is missing or malformed."""


class OutputNotWritableError(DLCLifterError, PermissionError):
    """The folder an output goes to cannot be written."""


class DestinationError(OutputNotWritableError):
    """An output folder does not exist and cannot be made, or cannot be written to."""


class ConfigError(DLCLifterError, ValueError):
    """A DeepLabCut config file is missing or unreadable."""


class SynthDatasetError(DLCLifterError, ValueError):
    """A synthetic dataset folder is missing, corrupt, or was made with other settings."""


class FeatureError(DLCLifterError, ValueError):
    """Features cannot be computed from the given poses or written where asked."""


class UnknownKeypointError(DLCLifterError, KeyError):
    """User keypoint names that map to no catalogue landmark.

    Attributes
    ----------
    names
        Every such name.
    suggestions
        ``{name: closest catalogue names}`` (given by the raiser:
        :func:`dlc_lifter.mouse.catalogue.unknown_keypoints` fills them in).
    mapped_from
        ``{name: the user keypoint a keypoint map maps to it}`` where the names are a map's
        targets (the right side of ``snout: noze``), not the user's keypoints.
    still
        Names whose points stay in place while the animal moves (objects or parts of the
        set-up): said so, without closest catalogue names.
    """

    def __init__(self, names: str | Sequence[str], source: str | None = None,
                 suggestions: Mapping[str, Sequence[str]] | None = None,
                 mapped_from: Mapping[str, str] | None = None,
                 still: Sequence[str] = ()) -> None:
        names = [names] if isinstance(names, str) else list(names)
        self.names = names
        self.suggestions = {n: [] if n in still else list((suggestions or {}).get(n, ()))
                            for n in names}
        self.mapped_from = dict(mapped_from or {})
        where = f" in {source}" if source else ""
        if self.mapped_from:
            super().__init__(self._target_message(source))
            return
        listed = "; ".join(
            f"'{n}'" + (" (stays in place while the animal moves: an object or part of the "
                        "set-up)" if n in still else f" (closest: {', '.join(c)})" if c else "")
            for n, c in self.suggestions.items())
        noun = "Keypoint" if len(names) == 1 else "Keypoints"
        verb = "does" if len(names) == 1 else "do"
        like = (f"'{names[0]}: null' to drop it, or 'name: nose' for a body part"
                if names[0] in still else
                f"'{names[0]}: nose', or '{names[0]}: null' to drop it")
        msg = (
            f"{noun} {listed}{where} {verb} not map to the dlc-lifter mouse catalogue. "
            f"Give a mapping file (keypoint_map, a YAML file with lines like {like}); "
            "'dlc-lifter catalogue' lists all names.")
        super().__init__(msg)

    def _target_message(self, source: str | None) -> str:
        """The message for a keypoint map whose targets are not catalogue landmarks."""
        listed = "; ".join(
            f"'{self.mapped_from.get(n, '?')}: {n}'"
            + (f" (did you mean {', '.join(c)}?)" if c else "")
            for n, c in self.suggestions.items())
        first = self.names[0]
        user = self.mapped_from.get(first, first)
        closest = self.suggestions[first]
        fix = f" (e.g. '{user}: {closest[0]}')" if closest else ""
        which = ("The keypoint map" if not source or "keypoint map" in source
                 else f"The keypoint map {source}")
        return (f"{which} maps to names that are not landmarks of the dlc-lifter mouse "
                f"catalogue: {listed}. Correct the catalogue name on the right{fix}, or write "
                f"'{user}: null' to drop that keypoint; 'dlc-lifter catalogue' lists the "
                "catalogue's names.")

    @property
    def name(self) -> str:
        """The first unmapped name."""
        return self.names[0]

    def __str__(self) -> str:  # KeyError quotes its message otherwise
        return str(self.args[0])
