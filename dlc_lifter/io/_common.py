"""Helpers shared by the readers and writers of :mod:`dlc_lifter.io`."""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path, PurePath, PureWindowsPath
from typing import TYPE_CHECKING

import numpy as np

from dlc_lifter.errors import PoseFileError
from dlc_lifter.poses import Poses

if TYPE_CHECKING:
    import h5py

logger = logging.getLogger("dlc_lifter.io")

def sha256_file(path: str | Path) -> str:
    """The sha256 of a whole file (hex), read in 1 MiB blocks.

    Raises
    ------
    OSError
        When the file cannot be read.
    """
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


#: Tables of at least this many cells (rows x columns) are said before a csv is written
#: (an hour's features, 108,000 rows, take about a minute; an hour's 3D half a minute).
LONG_CSV_CELLS = 5_000_000

#: Video file extensions searched for beside pose files.
#: Video file extensions (no dot): those DeepLabCut analyses
#: (``deeplabcut.utils.auxfun_videos``) and ``m4v``, ``wmv``.
VIDEO_EXTENSIONS: tuple[str, ...] = (
    "avi", "mp4", "mov", "mpeg", "mpg", "mpv", "mkv", "flv", "qt", "yuv", "m4v", "wmv",
)


#: An ``analyze_videos`` output's stem: the video's stem, then the scorer (``DLC_<network>_
#: <task><date>shuffle<n>_<snapshot>``; ``DeepCut_`` before DeepLabCut 2.1).
ANALYSIS_STEM = re.compile(r"^(?P<video>.+?)(?P<mark>DLC_|DeepCut_)(?P<scorer>.*shuffle\d+.*)$")


#: What SLEAP and JABS add to a video's stem in their pose files' names.
_POSE_NAME_TAIL = re.compile(r"(\.pkg|\.predictions|\.analysis|_pose_est_v\d+)$", re.IGNORECASE)


def video_stem_of(pose_file: str | Path) -> str:
    """The stem of the video a pose file was made from, as the file's name carries it.

    DeepLabCut's ``<video>DLC_<scorer>[_filtered]`` (and 2.0's ``DeepCut_``), SLEAP's
    ``<video>.predictions.slp`` / ``<video>.analysis.h5`` and JABS' ``<video>_pose_est_vN``
    give ``<video>``; any other file its own stem.

    Examples
    --------
    >>> video_stem_of("/data/m1DLC_resnet50_oftMay9shuffle1_1030000_filtered.h5")
    'm1'
    >>> video_stem_of("C:\\sleap\\session.predictions.slp")
    'session'
    """
    stem = PurePath(recorded_path(str(pose_file)).name).stem
    m = ANALYSIS_STEM.match(stem)
    if m is not None:
        return m.group("video")
    while (shorter := _POSE_NAME_TAIL.sub("", stem)) != stem and shorter:
        stem = shorter
    return stem


def recorded_path(text: str) -> PurePath:
    """A path as another tool recorded it, maybe on Windows (``C:\\data\\m1.mp4`` in a DLC
    project's ``video_sets`` or a SLEAP file): its ``name`` and ``stem`` are the file's on
    any system. ``C:/data/m1.mp4`` (a drive letter and forward slashes, as sleap-io keeps
    Windows paths) is a Windows path too, absolute."""
    windows = "\\" in text or re.match(r"^[A-Za-z]:[\\/]", text) is not None
    return PureWindowsPath(text) if windows else Path(text)


#: The first bytes of an HDF5 file (at offset 0; h5py also finds one after a user block).
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def is_hdf5(path: Path) -> bool:
    """Whether a file is HDF5 (netCDF-4, NWB, .slp, pandas and SLEAP tables are)."""
    with path.open("rb") as fh:
        head = fh.read(8)
    if head == HDF5_MAGIC:
        return True
    import h5py

    return bool(h5py.is_hdf5(str(path)))  # userblock-offset files


def h5_layout(path: str | Path | h5py.File, layout: Callable[[h5py.File], bool]) -> bool:
    """Whether an HDF5 file has a format's layout: ``layout`` of it, opened from ``path``
    or already open (read, not closed); ``False`` where ``path`` cannot be opened as
    HDF5. The ``is_<format>_h5`` checks of the readers."""
    import h5py

    if isinstance(path, h5py.File):
        return layout(path)
    try:
        with h5py.File(path, "r") as fh:
            return layout(fh)
    except OSError:
        return False


def resolve_recorded_video(filename: str | None, poses_path: Path) -> str | None:
    """The video a SLEAP file (or sleap-io's csv metadata) names: as written, beside the
    file, or its name beside the file (a path written on Windows keeps its ``\\`` in its
    name on other systems); the name as written where none is found."""
    if not filename:
        return None
    cand = Path(filename)
    for p in (cand, poses_path.parent / cand, poses_path.parent / cand.name,
              poses_path.parent / PureWindowsPath(filename).name):
        if p.is_file():
            return str(p)
    return str(filename)


def check_input_file(path: str | Path) -> Path:
    """Return ``path`` as a Path after checking it is a non-empty file.

    Raises
    ------
    PoseFileError
        When the file is missing, a folder, or empty.
    """
    p = Path(path)
    if not p.exists():
        raise PoseFileError(
            f"Pose file {p} does not exist. Check the path (relative paths start from "
            f"{Path.cwd()}).")
    if p.is_dir():
        lifted = sorted(p.glob("*_lifted3d.h5"))
        if lifted:  # outputs of a batch: read one at a time
            raise PoseFileError(
                f"{p} is a folder, not a pose file; it holds {len(lifted)} lifted 3D files "
                f"(e.g. {lifted[0].name}): give the files ({p}/*_lifted3d.h5), or the folder "
                "to dlc-lifter features or plot (--recursive: its subfolders' too).")
        raise PoseFileError(
            f"{p} is a folder, not a pose file. Pass a DLC .h5/.csv, SLEAP .slp/.h5, JABS, NWB "
            f"or movement .nc file; to lift every pose file in the folder: dlc-lifter "
            f"lift-files {p} "
            "(Python: dlc_lifter.lift_files).")
    if p.stat().st_size == 0:
        raise PoseFileError(
            f"Pose file {p} is empty (0 bytes). Re-export it from DeepLabCut / SLEAP.")
    return p


def check_poses(poses: Poses, path: str | Path) -> Poses:
    """Validate poses just read: frames present, not all missing.

    Logs a warning for each keypoint that is missing in every frame (for every
    individual) and raises when every keypoint is.

    Raises
    ------
    PoseFileError
        When there are no frames, no keypoints, or every keypoint is missing in
        every frame.
    """
    if poses.n_frames == 0:
        raise PoseFileError(
            f"{path} holds no frames. Run the pose estimation again or pass another file.")
    if poses.n_keypoints == 0:
        raise PoseFileError(f"{path} holds no keypoints (bodyparts / nodes).")
    present = ~poses.missing  # (F, I, K)
    kp_present = present.any(axis=(0, 1))
    if not kp_present.any():
        raise PoseFileError(
            f"{path}: every keypoint is missing (NaN) in every frame; there is nothing "
            "to lift. Check that the file holds predictions or labels.")
    empty = [k for k, ok in zip(poses.keypoints, kp_present, strict=True) if not ok]
    if empty:
        logger.warning("%s: keypoint(s) %s are missing (NaN) in every frame.",
                       path, ", ".join(empty))
    return poses


def mask_origin_placeholders(poses: Poses, path: str | Path) -> Poses:
    """Points at exactly pixel ``(0, 0)`` of a 2D file are missing, not tracked there.

    Some tools and exports write a missing keypoint as ``(0, 0)`` instead of NaN (MABe's
    mouse-triplet tables, tables whose NaNs were filled with zeros), often with no
    likelihood to say so; lifted as points, they would pull the animal to the image's
    corner. A tracked point lands on exactly that pixel essentially never, so such points
    are set missing in place, with one warning naming how many.
    """
    if poses.is_3d or poses.coords.size == 0:
        return poses
    at_origin = (poses.coords[..., 0] == 0) & (poses.coords[..., 1] == 0)
    n = int(at_origin.sum())
    if n:
        poses.coords[at_origin] = np.nan
        poses.confidence[at_origin] = np.nan
        logger.warning("%s: %d points (%.1f %%) sit at exactly pixel (0, 0), the way some "
                       "tools write a missing keypoint; they are read as missing.", path, n,
                       100.0 * n / at_origin.size)
    return poses


def duplicate_names(names: list[str]) -> list[str]:
    """Names that occur more than once, sorted."""
    seen: set[str] = set()
    dupes: set[str] = set()
    for n in names:
        (dupes if n in seen else seen).add(n)
    return sorted(dupes)


def find_video(stem: str, folders: list[Path]) -> Path | None:
    """Find a video whose file stem is ``stem`` or a prefix of it in ``folders`` (names
    compared in one Unicode form: a file copied from a Mac spells ``ö`` as ``o`` and a
    combining mark, looking the same)."""
    best: Path | None = None
    stem = unicodedata.normalize("NFC", stem)
    for folder in folders:
        if not folder.is_dir():
            continue
        for cand in sorted(folder.iterdir()):
            name = unicodedata.normalize("NFC", cand.stem)
            if cand.suffix.lower().lstrip(".") in VIDEO_EXTENSIONS and cand.is_file() and (
                    stem == name or stem.startswith(name)):
                if best is None or len(cand.stem) > len(best.stem):
                    best = cand
        if best is not None:
            return best
    return None


def fill_video_info(poses: Poses) -> None:
    """Fill ``fps`` and ``image_size`` from ``meta.video`` when it exists and they are unknown."""
    meta = poses.meta
    if not meta.video or (meta.fps is not None and meta.image_size is not None):
        return
    if not Path(meta.video).is_file():
        return
    from dlc_lifter.io.video import video_info

    try:
        info = video_info(meta.video)
    except Exception as exc:  # noqa: BLE001 - metadata is a bonus
        logger.debug("Could not read video %s: %s", meta.video, exc)
        return
    if meta.fps is None and info.get("fps"):
        meta.fps = float(info["fps"])
    if meta.image_size is None and info.get("size"):
        meta.image_size = tuple(info["size"])  # type: ignore[assignment]


#: Bytes of a csv read to tell its separator and decimal mark.
_CSV_SNIFF_BYTES = 64 * 1024
_DECIMAL_COMMA = re.compile(r"^\s*-?\d+,\d+(?:[eE][-+]?\d+)?\s*$")


def csv_format(path: Path) -> tuple[str, str]:
    """``(separator, decimal mark)`` of a csv: ``(",", ".")``, or what a spreadsheet's
    re-save wrote: ``;`` (with ``,`` decimals in a German or French locale) or a tab.

    The separator is the one of ``, ; tab`` the first line holds most of; the decimal
    mark is ``,`` where the separator is not and a cell of the first rows is a number
    written with one (``0,5``). Read the file with ``encoding="utf-8-sig"``: that also
    drops the byte-order mark of Excel's "CSV UTF-8".
    """
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
        lines = fh.read(_CSV_SNIFF_BYTES).splitlines()
    if not lines:
        return ",", "."
    sep = max((",", ";", "\t"), key=lambda c: (lines[0].count(c), c == ","))
    if sep == ",":
        return sep, "."
    cells = (c for line in lines[1:50] for c in line.split(sep))
    return sep, "," if any(_DECIMAL_COMMA.match(c) for c in cells) else "."


def size_transposed(coords: np.ndarray, size: tuple[int, int]) -> bool:
    """Whether a recorded frame size ``(width, height)`` is the wrong way round for the
    points: they reach beyond it, and fit inside it transposed. Writers disagree on the
    order (ndx-pose and DeepLabCut 1.x put the width first, DeepLabCut 2.x the height).

    Parameters
    ----------
    coords
        Points in pixels, ``(..., 2|3)``; NaN = missing.
    size
        ``(width, height)`` as read.
    """
    w, h = size
    xy = np.asarray(coords)[..., :2].reshape(-1, 2)
    xy = xy[np.isfinite(xy).all(-1)]
    if not len(xy) or w == h:
        return False
    x_max, y_max = xy[:, 0].max(), xy[:, 1].max()
    return not (x_max <= w and y_max <= h) and x_max <= h and y_max <= w


def as_float(a: object) -> np.ndarray:
    """``np.asarray(a, float64)``."""
    return np.asarray(a, dtype=np.float64)


_TRUNCATED = re.compile(r"truncated file: eof = (\d+).*stored_eof = (\d+)")


def read_error_summary(exc: BaseException) -> str:
    """One line saying why a file could not be read, from an exception whose text may be
    the HDF5 library's whole back trace (pytables, h5py).

    A truncated file (an interrupted copy or download) is named as such, with how much of
    it is there; otherwise the back trace's last line, where the library says what failed.
    """
    text = str(exc)
    m = _TRUNCATED.search(text)
    if m:
        have, want = int(m.group(1)), int(m.group(2))
        return (f"the file is truncated: {have} of its {want} bytes are there, as after an "
                "interrupted copy, download or write")
    if "HDF5 error back trace" in text:
        lines = [ln.strip() for ln in text.split("End of HDF5 error back trace")[0]
                 .splitlines() if ln.strip() and not ln.strip().startswith("File ")]
        detail = lines[-1] if lines else "HDF5 error"
        return f"{type(exc).__name__}: {detail}"
    first = text.strip().splitlines()[0] if text.strip() else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__
