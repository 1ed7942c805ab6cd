"""The options of a lift, as three frozen dataclasses passed whole from front end to pipeline.

:class:`CameraSpec` says what is known about the camera and the recording,
:class:`LiftOptions` how to lift, :class:`OutputSpec` what to write where. The ``lift``
verbs of the CLI build them from their flags, :func:`~dlc_lifter.lift.pipeline.lift_file`
and the batches (:mod:`dlc_lifter.lift.batch`) take them, and the outputs' metadata records
them (:func:`as_record`).
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dlc_lifter.errors import DLCLifterError

__all__ = ["FLOOR_SCALE_RANGE_MM_PER_PX", "MODES", "OPTION_FLAGS", "VIEWS", "CameraSpec",
           "KeypointMapFile", "LiftOptions", "OutputSpec", "as_record", "check_mode",
           "check_pcutoff", "check_view", "parse_arena_size", "parse_floor_scale",
           "parse_image_size", "source_kind"]

#: The ``dlc-lifter`` flags that set the fields of :class:`CameraSpec`, :class:`LiftOptions`
#: and :class:`OutputSpec` taking a value, by field name: what a message naming a command
#: line writes, and what the CLI writes for a field a library message names.
OPTION_FLAGS = {
    "calibration": "--calibration", "camera_name": "--camera",
    "camera_height_mm": "--camera-height-mm", "focal_px": "--focal-px",
    "arena_size_mm": "--arena-size-mm", "fps": "--fps", "image_size": "--image-size",
    "view": "--view", "floor_scale": "--floor-scale", "pcutoff": "--pcutoff",
    "keypoint_map": "--keypoint-map", "model": "--model", "mode": "--mode",
    "destfolder": "--destfolder", "formats": "--format", "nwb_metadata": "--nwb-metadata",
}

#: Where a camera films the animal from (``CameraSpec.view``, ``lift_poses(view=)``).
VIEWS = ("auto", "above", "below")
#: The networks a lift may use (``LiftOptions.mode``, ``lift_poses(mode=)``).
MODES = ("temporal", "causal", "frame")


def source_kind(source: str) -> str:
    """How a lift's camera was found, from the ``source`` of its
    :class:`~dlc_lifter.lift.camera_estimate.CameraChoice`: the first part (``calibration``,
    ``height+focal``, ``arena-size``, ``arena-corners``, ``floor-scale`` or
    ``body-length-estimate``),
    without what follows it (``..., filmed from below``)."""
    return source.split(",")[0].strip()


def check_view(view: str) -> None:
    """Raise :class:`~dlc_lifter.errors.DLCLifterError` unless ``view`` is one of :data:`VIEWS`."""
    if view not in VIEWS:
        raise DLCLifterError(f"view must be auto, above or below; got {view!r}.")


def check_mode(mode: str | None) -> None:
    """Raise :class:`~dlc_lifter.errors.DLCLifterError` unless ``mode`` is ``None`` or one of
    :data:`MODES`."""
    if mode is not None and mode not in MODES:
        raise DLCLifterError(f"mode must be temporal, causal or frame; got {mode!r}.")


def check_pcutoff(pcutoff: float | str) -> float:
    """``pcutoff`` as a float; :class:`~dlc_lifter.errors.DLCLifterError` unless it is a
    likelihood (0 to 1): a cutoff of 60 would leave every point untracked."""
    try:
        value = float(pcutoff)
    except (TypeError, ValueError):
        value = math.nan
    if not 0.0 <= value <= 1.0:
        raise DLCLifterError(f"pcutoff must be a likelihood from 0 to 1 (DeepLabCut's and "
                             f"SLEAP's scores); got {pcutoff!r}.")
    return value


@dataclass(frozen=True)
class CameraSpec:
    """What is known about the camera and the recording (all optional).

    With ``calibration`` the output is in its world frame; with ``arena_size_mm`` and the
    arena's four corners tracked, in the arena frame; otherwise in the camera-floor
    frame, from ``camera_height_mm`` and ``focal_px`` or ``arena_size_mm`` when given, and
    estimated from the poses otherwise (see :func:`~dlc_lifter.lift.resolve_camera`).

    Attributes
    ----------
    calibration
        Anipose calibration TOML (world frame: z up, floor at z = 0, mm).
    camera_name
        The camera's name in ``calibration``; needed when it holds several cameras.
    camera_height_mm
        Height of the camera above the floor (mm).
    focal_px
        Focal length (pixels).
    arena_size_mm
        Side length of a square arena (mm), or ``(width, height)`` of a rectangular one
        (width along the image's top side, from the top-left to the top-right corner).
        Its tracked corners give the camera; else its size in the image gives the scale.
    floor_scale
        The floor's scale in the image, as a lab's pixel-to-length calibration gives it:
        mm per pixel (``0.3125``), or a text with its units (``"32 px/cm"``,
        ``"3.2 px/mm"``, ``"0.3125 mm/px"``, ``"0.03125 cm/px"``); stored as mm per pixel
        (:func:`parse_floor_scale`). It sets the camera's scale instead of the animal's
        size or the arena's spread (tracked arena corners: with it, they give the
        arena's size); the file's own (a JABS ``cm_per_pixel``) otherwise.
    fps
        Frames per second of the recording, when the pose file does not say (or says
        wrong); default the file's, else the video's.
    image_size
        ``(width, height)`` of the video's frames in pixels, for a pose file lifted without
        its video that does not record them (a DLC ``.h5`` without its ``_meta.pickle``):
        the camera's principal point is taken at its centre. Without it the size is
        assumed from the spread of the keypoints, which puts the principal point at their
        centre. A video given to the lift wins.
    view
        Where the camera films from when no calibration says: ``auto`` (default: from
        above, unless the animal's left keypoints lie on its right in nearly every frame,
        then from below), ``above`` or ``below`` (through a glass floor). A calibration's
        camera is above or below the floor by its own position.
    """

    calibration: str | Path | None = None
    camera_name: str | None = None
    camera_height_mm: float | None = None
    focal_px: float | None = None
    arena_size_mm: float | tuple[float, float] | None = None
    fps: float | None = None
    image_size: tuple[int, int] | None = None
    view: str = "auto"
    floor_scale: float | str | None = None

    def __post_init__(self) -> None:
        if self.camera_name is not None and self.calibration is None:
            raise DLCLifterError(f"The camera {self.camera_name!r} (camera_name=) is one of a "
                                 "calibration file's; give the calibration too (calibration=).")
        object.__setattr__(self, "image_size", parse_image_size(self.image_size))
        object.__setattr__(self, "floor_scale", parse_floor_scale(self.floor_scale))
        check_view(self.view)
        for name in ("fps", "camera_height_mm", "focal_px"):  # before a batch's first file
            v = getattr(self, name)
            if v is not None and not (isinstance(v, numbers.Real) and not isinstance(v, bool)
                                      and math.isfinite(v) and v > 0):
                raise DLCLifterError(f"{name}= must be a positive number; got {v!r}.")
        # kept as read (420.0, (600.0, 400.0)): "420x420" and np.float32(420) are the lift
        # of 420.0, which a batch's rerun compares with the one recorded
        object.__setattr__(self, "arena_size_mm", parse_arena_size(self.arena_size_mm))


@dataclass(frozen=True)
class LiftOptions:
    """How to lift: network, likelihood cutoff, depth, keypoint mapping.

    Attributes
    ----------
    mode
        ``temporal`` (default), ``causal`` or ``frame`` network.
    pcutoff
        Keypoints below this likelihood are imputed instead of lifted along their ray.
        ``None`` (default): the DeepLabCut project's ``pcutoff`` where
        :func:`~dlc_lifter.lift.lift_videos` lifts a project, else
        :data:`~dlc_lifter.io.DEFAULT_PCUTOFF` (0.6); the value used is recorded in the
        meta pickle's ``lift_options``.
    depth
        Depth cues from the video's frames (depth network + fused lifter). ``None``:
        whenever a readable video is given and no custom ``model``; ``False``: keypoints
        only; ``True``: as ``None``, also with a custom ``model`` (then the fallback).
    impute_all
        Also output the catalogue keypoints the file does not track (flagged imputed).
    keypoint_map
        YAML file or dict mapping the file's keypoint names onto the catalogue
        (``None`` drops a name). A file is read when the options are made, and held as
        read (a :class:`KeypointMapFile`, which the records name by its file).
    strict
        Raise for keypoint names that map to nothing instead of dropping them.
    model
        Lifter weights (default: the shipped model).
    adapt
        Adapt each animal's lift to its own head over the whole file (opt-in; see
        :mod:`dlc_lifter.lift.adapt`): the distances between its head keypoints are
        measured from the session and held in every frame.
    walls
        Where the file tracks the arena's four corners (without them, where the arena's
        size is given: the outline of the tail base's track), raise points whose camera ray
        meets the floor beyond the walls to where the ray comes inside the arena
        (:mod:`dlc_lifter.lift.walls`; default on).
    """

    mode: str = "temporal"
    pcutoff: float | None = None
    depth: bool | None = None
    impute_all: bool = True
    keypoint_map: str | Path | Mapping[str, str | None] | None = None
    strict: bool = False
    model: str | Path | None = None
    adapt: bool = False
    walls: bool = True

    def __post_init__(self) -> None:
        if self.mode is None:  # lift_poses' "the lifter's own"; a lift's options name one
            raise DLCLifterError("mode must be temporal, causal or frame; got None.")
        check_mode(self.mode)
        _check_flags(self, ("impute_all", "strict", "walls"), maybe=("depth",))
        if isinstance(self.adapt, (str, numbers.Number)) and not isinstance(self.adapt, bool):
            raise DLCLifterError(f"adapt= must be True, False or AdaptOptions; got "
                                 f"{self.adapt!r}.")
        if self.pcutoff is not None:
            check_pcutoff(self.pcutoff)
        if isinstance(self.keypoint_map, (str, Path)):  # read once, here: a batch's every
            # file would fail on it, and the lifts take the map as read
            object.__setattr__(self, "keypoint_map", KeypointMapFile.read(self.keypoint_map))


class KeypointMapFile(Mapping[str, "str | None"]):
    """A keypoint map as read from its YAML file, which it remembers (``path``).

    :class:`LiftOptions` holds a ``keypoint_map`` given as a file as one of these: the file
    is read once, when the options are made, the lifts take the names as read, and the
    records (:func:`as_record`) name the file as it was given. Equal where the file and
    the names are.
    """

    def __init__(self, path: str | Path, names: Mapping[str, str | None]) -> None:
        self.path = path
        """The file, as given."""
        self._names = dict(names)

    @classmethod
    def read(cls, path: str | Path) -> KeypointMapFile:
        """Read ``path`` (:func:`~dlc_lifter.lift.keypoints.resolve_keypoint_map`).

        Raises
        ------
        DLCLifterError
            When the file is missing or is not a flat ``user_name: catalogue_name`` map.
        """
        from dlc_lifter.lift.keypoints import resolve_keypoint_map  # numpy: not at start-up

        return cls(path, resolve_keypoint_map(path))

    def __getitem__(self, name: str) -> str | None:
        return self._names[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, KeypointMapFile):
            return NotImplemented
        return str(self.path) == str(other.path) and self._names == other._names

    def __hash__(self) -> int:
        return hash(str(self.path))

    def __repr__(self) -> str:
        return f"KeypointMapFile({str(self.path)!r})"


@dataclass(frozen=True)
class OutputSpec:
    """What to write, and where.

    Attributes
    ----------
    destfolder
        Output folder (default: beside each input).
    formats
        Output formats, any of ``dlc``, ``csv``, ``nwb``, ``slp``, ``points3d`` (see
        :mod:`dlc_lifter.lift.outputs`), as names or one comma-separated string. ``None``:
        the caller's default (``dlc``; ``slp`` and ``dlc`` for SLEAP batches).
    save_as_csv
        Also write a ``.csv`` (adds ``csv`` to the formats).
    nwb
        Also write an NWB file (adds ``nwb`` to the formats).
    overwrite
        Replace outputs that exist. Without it :func:`~dlc_lifter.lift.lift_file` refuses
        to replace one, and a batch skips it (so an interrupted batch resumes).
    redo_out_of_date
        For batches (:func:`~dlc_lifter.lift.lift_files`, :func:`~dlc_lifter.lift.lift_videos`,
        :func:`~dlc_lifter.lift.lift_sleap`): lift again
        the outputs that exist but are out of date (their input changed since, lifted with
        other options or other weights, by another dlc-lifter version, without the video
        that opens now, without a format that cannot be added), and skip the others, as
        after an upgrade. :func:`~dlc_lifter.lift.lift_file` refuses an output that
        exists unless ``overwrite``.
    nwb_metadata
        The NWB outputs' session and subject (the recording's start time, the animal's id,
        the lab...): a YAML/JSON file or a mapping, with per-recording fields under
        ``recordings`` (:func:`~dlc_lifter.io.nwb.read_nwb_metadata`). Without it an NWB
        output's start time and subject id are filled in, and the lift warns.
    """

    destfolder: str | Path | None = None
    formats: tuple[str, ...] | None = None
    save_as_csv: bool = False
    nwb: bool = False
    overwrite: bool = False
    nwb_metadata: str | Path | Mapping[str, Any] | None = None
    redo_out_of_date: bool = False

    def __post_init__(self) -> None:
        _check_flags(self, ("save_as_csv", "nwb", "overwrite", "redo_out_of_date"))
        formats = self.formats
        if formats is not None:
            names = formats.split(",") if isinstance(formats, str) else list(formats)
            object.__setattr__(self, "formats",
                               tuple(n.strip().lower() for n in names if n.strip()))

    def requested_formats(self, default: Sequence[str] = ("dlc",)) -> list[str]:
        """The format names asked for: ``formats`` (else ``default``), then csv and nwb."""
        names = list(default if self.formats is None else self.formats)
        return [*names, *(["csv"] if self.save_as_csv else []), *(["nwb"] if self.nwb else [])]


def _check_flags(spec: Any, names: Sequence[str], maybe: Sequence[str] = ()) -> None:
    """Each of ``names`` (and of ``maybe``, or ``None``) a bool, numpy's taken as one: a
    string from a form or a YAML file (``overwrite="no"``) is truthy and would do the
    opposite of what it says.

    Raises
    ------
    DLCLifterError
        Naming the option and the value given.
    """
    for name in (*names, *maybe):
        v = getattr(spec, name)
        if v is None and name in maybe:
            continue
        if getattr(getattr(v, "dtype", None), "kind", None) == "b" and not getattr(
                v, "shape", ()):  # numpy's bool
            object.__setattr__(spec, name, bool(v))
        elif not isinstance(v, bool):
            raise DLCLifterError(f"{name}= must be True or False"
                                 f"{' (or None)' if name in maybe else ''}; got {v!r}.")


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (Path, KeypointMapFile)):  # a map read from its file: the file
        return str(value.path if isinstance(value, KeypointMapFile) else value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return repr(value)


def as_record(spec: CameraSpec | LiftOptions | OutputSpec) -> dict[str, Any]:
    """``dataclasses.asdict(spec)`` with plain values (paths as strings) for metadata."""
    return {k: _plain(v) for k, v in dataclasses.asdict(spec).items()}


def parse_arena_size(value: str | float | Sequence[float] | None
                     ) -> float | tuple[float, float] | None:
    """An arena size as given: a square's side (``420``) or a rectangle's width and height
    (``(600, 400)`` or the text ``600x400``), in mm, checked.

    Returns the side (a square, also ``(420, 420)``), the pair, or ``None`` for ``None`` or
    an empty string (``--arena-size-mm``, ``CameraSpec.arena_size_mm``, the DLC-Live
    setting).

    Raises
    ------
    DLCLifterError
        When it is not one or two positive numbers.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    vals = _numbers(value)
    if len(vals) not in (1, 2) or not all(math.isfinite(v) and v > 0 for v in vals):
        raise DLCLifterError(f"The arena size (arena_size_mm) must be one or two positive "
                             f"numbers of mm: the side of a square arena (420) or WIDTHxHEIGHT "
                             f"of a rectangular one (600x400; (600, 400) in Python); got "
                             f"{value!r}.")
    if len(vals) == 1 or vals[0] == vals[1]:
        return vals[0]
    return vals[0], vals[1]


def parse_image_size(value: str | Sequence[float] | None) -> tuple[int, int] | None:
    """An image size as given: ``(1024, 576)`` or the text ``1024x576`` (width x height, px),
    checked (``--image-size``, ``CameraSpec.image_size``).

    Returns ``(width, height)``, or ``None`` for ``None`` or an empty string.

    Raises
    ------
    DLCLifterError
        When it is not two positive whole numbers.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    vals = _numbers(value)
    if len(vals) != 2 or not all(math.isfinite(v) and v >= 1 and v == int(v) for v in vals):
        raise DLCLifterError(f"The image size (--image-size, image_size) is WIDTHxHEIGHT of the "
                             f"video's frames in pixels (1024x576; (1024, 576) in Python); "
                             f"got {value!r}.")
    return int(vals[0]), int(vals[1])


#: Units a floor scale may be given in, and the factor to mm per pixel of the number given.
_SCALE_UNITS = {"mm/px": 1.0, "cm/px": 10.0, "m/px": 1000.0,
                "px/mm": -1.0, "px/cm": -10.0, "px/m": -1000.0}
_SCALE_TEXT = re.compile(r"^\s*([0-9.eE+-]+)\s*(?:([a-z]+)\s*(?:/|per)\s*([a-z]+))?\s*$")
_UNIT_ALIASES = {"pixel": "px", "pixels": "px", "pix": "px", "millimetre": "mm",
                 "millimeter": "mm", "centimetre": "cm", "centimeter": "cm"}
#: Floor scales (mm per pixel) beyond which a mouse video is not filmed: a mouse would be
#: under 4 px or over 8000 px long. Outside, the number was most likely given in other units.
FLOOR_SCALE_RANGE_MM_PER_PX = (0.01, 20.0)


def parse_floor_scale(value: str | float | None) -> float | None:
    """A floor scale as given (``--floor-scale``, ``CameraSpec.floor_scale``), in mm per
    pixel: a number is mm per pixel; a text may name its units, ``"32 px/cm"``,
    ``"3.2 px/mm"``, ``"0.3125 mm/px"``, ``"0.03125 cm/px"`` (``per`` for ``/``, ``pixels``
    for ``px``).

    Returns mm per pixel, or ``None`` for ``None`` or an empty string.

    Raises
    ------
    DLCLifterError
        When it is not a positive number with known units, or gives a scale no mouse video
        has (:data:`FLOOR_SCALE_RANGE_MM_PER_PX`: most likely a number in other units).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    usage = ("The floor scale (--floor-scale, floor_scale) is mm per pixel (0.3125) or a "
             "number with its units (32 px/cm, 3.2 px/mm, 0.3125 mm/px)")
    if isinstance(value, str):
        m = _SCALE_TEXT.match(value.strip().lower())
        num, top, bottom = (m.group(1), m.group(2), m.group(3)) if m else (None, None, None)
        top, bottom = _UNIT_ALIASES.get(top or "", top), _UNIT_ALIASES.get(bottom or "", bottom)
        unit = f"{top}/{bottom}" if top else "mm/px"
        try:
            number = float(num) if num is not None else math.nan
        except ValueError:
            number = math.nan
        if unit not in _SCALE_UNITS:
            raise DLCLifterError(f"{usage}; got {value!r}.")
    else:
        number, unit = float(value), "mm/px"
    if not (math.isfinite(number) and number > 0):
        raise DLCLifterError(f"{usage}; got {value!r}.")
    factor = _SCALE_UNITS[unit]
    scale = number * factor if factor > 0 else -factor / number
    lo, hi = FLOOR_SCALE_RANGE_MM_PER_PX
    if not lo <= scale <= hi:
        raise DLCLifterError(
            f"{usage}; {value!r} is {scale:.4g} mm per pixel, which would make a mouse "
            f"{85 / scale:.3g} px long. Was it given in other units (e.g. "
            f"'{value} px/cm' or '{value} px/mm')?")
    return scale


def _numbers(value: str | float | Sequence[float]) -> list[float]:
    """The numbers of ``600x400`` (or ``600*400``), ``420`` or ``(600, 400)``; ``[]`` when
    some part is not a number."""
    if isinstance(value, str):
        parts: list[Any] = value.lower().replace("*", "x").split("x")
    else:
        parts = [value] if isinstance(value, numbers.Real) or not hasattr(
            value, "__iter__") else list(value)  # numpy's scalars are numbers.Real
    try:
        return [float(p) for p in parts]
    except (TypeError, ValueError):
        return []
