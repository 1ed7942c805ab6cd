"""DeepLabCut files: ``analyze_videos`` / labelled-data ``.h5`` and ``.csv``, 3D output."""

from __future__ import annotations

import csv
import io
import logging
import math
import pickle
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dlc_lifter._atomic import atomic_output, check_free_space, check_writable
from dlc_lifter._version import __version__, software_record
from dlc_lifter.errors import ConfigError, PoseFileError
from dlc_lifter.io._common import (
    ANALYSIS_STEM,
    LONG_CSV_CELLS,
    check_input_file,
    csv_format,
    find_video,
    read_error_summary,
    recorded_path,
    size_transposed,
)
from dlc_lifter.io._pandas_hdf import (
    PYTABLES_LOCK,
    mark_pandas_version,
    read_pandas_hdf,
    store_get,
)
from dlc_lifter.io.config import DLCConfig, read_dlc_config
from dlc_lifter.poses import PoseMetadata, Poses

__all__ = [
    "DLC_KEY",
    "LIKELIHOOD_KEY",
    "dlc_csv_coords",
    "labelled_size_from_project",
    "lifted_output_path",
    "meta_pickle_path",
    "read_dlc_csv",
    "read_dlc_h5",
    "read_lift_record",
    "read_lifted_output",
    "update_meta_pickle",
    "write_dlc_3d",
    "write_meta_pickle",
]

logger = logging.getLogger(__name__)

#: The HDF5 key DeepLabCut writes its tables under.
DLC_KEY = "df_with_missing"
#: Plain HDF5 dataset (not a pandas table, so ``pd.read_hdf(path)`` still works without a
#: key) holding the ``(frames, individuals, keypoints)`` confidence of a 3D output.
LIKELIHOOD_KEY = "likelihood"
_PREFERRED_KEYS = ("/df_with_missing", "/tracks")


# ----------------------------------------------------------------------------- reading
def _dataframe_to_poses(df: pd.DataFrame, path: Path, fmt: str) -> Poses:
    if not isinstance(df, pd.DataFrame):
        raise PoseFileError(
            f"{path} holds a pandas {type(df).__name__}, not a DeepLabCut table. Pass the "
            "file analyze_videos or the labelling GUI wrote.")
    if df.columns.nlevels in (3, 4) and df.columns.duplicated().any():
        cols = df.columns[df.columns.duplicated()]
        dupes = sorted({str(c[-2]) for c in cols})
        raise PoseFileError(
            f"{path}: bodypart(s) {', '.join(dupes)} appear more than once. Give every "
            "bodypart a unique name in config.yaml and re-export the file.")
    try:
        poses = Poses.from_dataframe(df, source=str(path))
    except PoseFileError:
        raise
    except ValueError as exc:
        raise PoseFileError(f"{path}: {exc}") from None
    coords_level = {str(c) for c in df.columns.get_level_values(-1)}
    is_labels = "likelihood" not in coords_level and not poses.is_3d and (
        path.name.startswith("CollectedData") or "image_paths" in poses.meta.extra)
    poses.meta.source_format = "dlc-labels" if is_labels else fmt
    return poses


def labelled_size_from_project(poses: Poses, path: Path,
                               config: DLCConfig | None = None) -> None:
    """Put a DeepLabCut labels file's labels in its videos' full frame, from its project.

    The project is ``config`` (a :class:`~dlc_lifter.io.config.DLCConfig`), or the
    ``config.yaml`` of the project the file lies in: two folders up from a labelled-data
    folder (``<project>/labeled-data/<video>/CollectedData_*``), three from a training set
    (``<project>/training-datasets/iteration-N/UnaugmentedDataSet_<Task><date>/
    CollectedData_*``, whose rows come from many videos, each named by its row's image
    ``labeled-data/<video>/imgNNN.png``).

    DeepLabCut's ``extract_frames(crop=True)`` saves the ``crop: x1, x2, y1, y2`` of each
    video (:meth:`DLCConfig.crop`), and the labels are relative to it; the camera is the
    full frame's. Where a video's images are that crop's size (or are not found), ``(x1,
    y1)`` is added to its rows' labels and its frame size is the video's (the
    ``video_sets`` path, or ``<project>/videos/``); where that video is not found, the
    crop's size for a crop from the frame's corner (DLC's default crop is the whole frame),
    else unknown. Images of another size than the crop were not extracted with it and are
    left as they are. A training set's frame size is set where every row's video has the
    same known one, else left unknown (warned, naming the file and what to give).

    Parameters
    ----------
    poses
        The labels as read (pixels of the extracted images); changed in place, once per
        file: ``meta.extra["labels_crop"]`` records the crop and the offset added (for a
        training set, per video under ``"videos"``), ``meta.image_size`` and
        ``meta.extra["image_size_from"]`` the frame size where known.
    path
        The labels file.
    config
        The project's config; default: the ``config.yaml`` of the project the file lies in.
        Nothing is done where there is none.
    """
    if "labels_crop" in poses.meta.extra:
        return
    training = _is_training_set(path)
    if not training:
        _warn_pooled_videos(poses, path)
    if config is None:
        project = (path.parents[3] if training else path.parent.parent.parent) / "config.yaml"
        if not (training or path.parent.parent.name == "labeled-data") \
                or not project.is_file():
            return
        try:
            config = read_dlc_config(project)
        except (ConfigError, OSError) as exc:  # a bonus: the lift goes on without it
            logger.debug("Could not read %s: %s", project, exc)
            return
    if training:
        _training_set_in_frame(poses, path, config)
    else:
        _labelled_folder_in_frame(poses, path, config)


def _is_training_set(path: Path) -> bool:
    """Whether ``path`` is a DLC training set's combined labels file
    (``training-datasets/iteration-N/UnaugmentedDataSet_*/CollectedData_*``)."""
    parents = path.parents
    return (len(parents) > 3 and parents[0].name.startswith("UnaugmentedDataSet_")
            and parents[1].name.startswith("iteration-")
            and parents[2].name == "training-datasets")


@dataclass(frozen=True)
class _VideoFrame:
    """How a project video's extracted images sit in its full frame."""

    crop: tuple[int, int, int, int]
    video: Path | None  # the video found, if any
    size: tuple[int, int] | None  # the full frame's (width, height), where known
    size_from: str | None

    @property
    def offset(self) -> tuple[int, int]:
        """``(x1, y1)``: what is added to a label to put it in the full frame."""
        return self.crop[0], self.crop[2]


def _video_frame(config: DLCConfig, stem: str,
                 images_size: tuple[int, int] | None) -> _VideoFrame | None:
    """The crop and full frame of the project video ``stem``; ``None`` where it has no crop
    or its images (``images_size``, where found) are not the crop's size."""
    crop = config.crop(stem)
    if crop is None:
        return None
    x1, x2, y1, y2 = crop
    crop_size = (x2 - x1, y2 - y1)
    if images_size is not None and tuple(images_size) != crop_size:
        return None  # its images are not the crop: extracted without it
    video, full = _project_video_size(config, stem)
    if full is not None:
        return _VideoFrame(crop, video, full, f"{video} (the video of {stem} in {config.path})")
    if not (x1 or y1):
        return _VideoFrame(crop, None, crop_size, f"{config.path} (video_sets crop)")
    return _VideoFrame(crop, None, None, None)


def _shift_rows(poses: Poses, rows: np.ndarray | slice, offset: tuple[int, int]) -> None:
    if offset[0] or offset[1]:
        poses.coords[rows, ..., 0] += offset[0]
        poses.coords[rows, ..., 1] += offset[1]


def _labelled_folder_in_frame(poses: Poses, path: Path, config: DLCConfig) -> None:
    """:func:`labelled_size_from_project` for a ``labeled-data/<video>`` folder's file."""
    meta = poses.meta
    stem = path.parent.name
    frame = _video_frame(config, stem, meta.image_size)
    if frame is None:
        return
    x1, x2, y1, y2 = frame.crop
    meta.extra["labels_crop"] = {"crop": [x1, x2, y1, y2], "offset_added_px": [x1, y1],
                                 "config": str(config.path)}
    _shift_rows(poses, slice(None), frame.offset)
    meta.image_size = frame.size
    if frame.size_from is not None:
        meta.extra["image_size_from"] = frame.size_from
    where = (f"frames of {meta.image_size[0]}x{meta.image_size[1]}"
             if meta.image_size is not None else "")
    if x1 or y1:
        if frame.video is not None:
            logger.info("%s: labelled on frames cropped to x %d-%d, y %d-%d (the crop of %s "
                        "in %s): (%d, %d) px added to every label, which are now the full "
                        "frame's pixels; %s from the video %s.", path, x1, x2, y1, y2, stem,
                        config.path, x1, y1, where, frame.video)
        else:
            logger.warning("%s: labelled on frames cropped to x %d-%d, y %d-%d (the crop of "
                           "%s in %s): (%d, %d) px added to every label, which are now the "
                           "full frame's pixels, but the full frame's size is unknown (its "
                           "video %s is not found, nor in %s). Give the video's frame size "
                           "(--image-size WIDTHxHEIGHT; image_size=), or put the video "
                           "there.", path, x1, x2, y1, y2, stem, config.path, x1, y1,
                           (config.video_entry(stem) or (stem,))[0],
                           config.path.parent / "videos")
    elif meta.image_size is not None:
        logger.info("%s: %s from %s in %s.", path, where,
                    f"the video {frame.video}" if frame.video is not None
                    else f"the crop of {stem}", config.path)


def _warn_pooled_videos(poses: Poses, path: Path) -> None:
    """Say so where a labels file outside a training set holds images of several videos (a
    lab's merged labels: four videos' rows, each cropped its own way, were lifted as one
    camera's without a word)."""
    stems = list(dict.fromkeys(_row_videos(poses) or []))
    if len(stems) > 1:
        logger.warning("%s: its rows are images of %d videos (%s): lifted as seen by one "
                       "camera in one frame size. Where the videos' cameras or crops differ, "
                       "lift each video's labeled-data/<video>/CollectedData_*.h5 alone.",
                       path, len(stems), ", ".join(stems[:4]) + (", ..." if len(stems) > 4
                                                                  else ""))


def _row_videos(poses: Poses) -> list[str] | None:
    """The video stem of each row of a training set, from its image
    (``labeled-data/<video>/imgNNN.png``, recorded with ``\\`` on Windows too), or
    ``None`` where a row names none."""
    stems = []
    for image in poses.meta.extra.get("image_paths") or []:
        parts = recorded_path(str(image)).parts
        if len(parts) < 3 or parts[-3] != "labeled-data":
            return None
        stems.append(parts[-2])
    return stems if len(stems) == poses.n_frames and stems else None


def _first_image_size(config: DLCConfig, stem: str, images: list[str]
                      ) -> tuple[int, int] | None:
    """``(width, height)`` of the first of a video's images found in the project's
    ``labeled-data/<video>/``."""
    folder = config.path.parent / "labeled-data" / stem
    for image in images:
        img = folder / recorded_path(image).name
        if img.is_file():
            import cv2

            arr = cv2.imread(str(img), cv2.IMREAD_UNCHANGED)
            return None if arr is None else (int(arr.shape[1]), int(arr.shape[0]))
    return None


def _training_set_in_frame(poses: Poses, path: Path, config: DLCConfig) -> None:
    """:func:`labelled_size_from_project` for a training set's file: each row moved by its
    own video's crop, and the frame size set where every row's video has the same one."""
    meta = poses.meta
    stems = _row_videos(poses)
    if stems is None:
        logger.debug("%s: its rows do not name labeled-data/<video>/ images; the project's "
                     "crops are not used.", path)
        return
    rows = np.asarray(stems)
    images = np.asarray([str(i) for i in meta.extra["image_paths"]], dtype=object)
    videos: dict[str, dict[str, Any]] = {}
    sizes: dict[str, tuple[int, int] | None] = {}
    for stem in dict.fromkeys(stems):
        mine = rows == stem
        shown = _first_image_size(config, stem, list(images[mine]))
        frame = _video_frame(config, stem, shown)
        if frame is not None:
            _shift_rows(poses, mine, frame.offset)
        sizes[stem] = frame.size if frame is not None else shown
        videos[stem] = {"rows": int(mine.sum()),
                        "crop": list(frame.crop) if frame is not None else None,
                        "offset_added_px": list(frame.offset) if frame is not None else [0, 0],
                        "frame_size": list(sizes[stem]) if sizes[stem] else None}
    meta.extra["labels_crop"] = {"config": str(config.path), "videos": videos}
    known = set(sizes.values())
    moved = sorted(s for s, v in videos.items() if v["offset_added_px"] != [0, 0])
    if len(known) == 1 and None not in known:
        meta.image_size = next(iter(known))
        meta.extra["image_size_from"] = (
            f"{config.path} (the frames of the {len(sizes)} videos of its rows)")
        logger.info("%s: rows from %d videos of %s, frames of %dx%d%s.", path, len(sizes),
                    config.path, *meta.image_size,
                    f"; their crops' offsets added to the rows of {', '.join(moved)}"
                    if moved else "")
        return
    meta.image_size = None
    told = ", ".join(f"{s} {'x'.join(map(str, z)) if z else 'unknown'} ({videos[s]['rows']} "
                     "rows)" for s, z in sizes.items())
    differ = len(known - {None}) > 1
    todo = ("lift each video's labeled-data/<video>/CollectedData_*.h5 apart (each takes "
            "its own video's size)" if differ else
            "give the frame size (--image-size WIDTHxHEIGHT; image_size=) if all the "
            f"videos have one, or put the videos in {config.path.parent / 'videos'}")
    logger.warning(
        "%s: its rows come from videos whose frame sizes %s (%s in %s), so the frame size "
        "is left unknown and guessed from the keypoints.%s To use the videos' frames, %s.",
        path, "differ" if differ else "are not all known", told, config.path,
        f" Their crops' offsets were added to the rows of {', '.join(moved)}." if moved
        else "", todo)


def _project_video_size(config: DLCConfig, stem: str
                        ) -> tuple[Path | None, tuple[int, int] | None]:
    """The project video of that stem (its ``video_sets`` path, else the same name in the
    project's ``videos`` folder) and its frame size, where one is found and opens."""
    entry = config.video_entry(stem)
    if entry is None:
        return None, None
    recorded = recorded_path(entry[0])
    for cand in (Path(entry[0]), config.path.parent / "videos" / recorded.name):
        if cand.is_file():
            from dlc_lifter.io.video import video_info

            try:
                size = video_info(cand)["size"]
            except Exception as exc:  # noqa: BLE001 - a bonus: the crop's size otherwise
                logger.debug("Could not read %s: %s", cand, exc)
                continue
            return cand, (int(size[0]), int(size[1]))
    return None, None


def _lifted_record(poses: Poses, data: dict[str, Any]) -> None:
    """From a lift's meta pickle: ``meta.extra["catalogue_names"]`` (the landmark of each
    column, as the lift mapped the file's names, a keypoint map's included), its
    ``lift_mode`` (whether the rows were a video's frames), its coordinate frame (a
    ``_lifted3d.csv`` has no other record of it) and the video the lift used, where it
    still exists (else its name goes to ``meta.extra["recorded_video"]``, for a warning).
    A record of no video (the lift went without one) leaves none: no video beside the
    file is taken for it."""
    extra = data.get("extra") if isinstance(data.get("extra"), dict) else {}
    names = extra.get("catalogue_names")
    if isinstance(names, (list, tuple)) and len(names) == len(poses.keypoints):
        poses.meta.extra["catalogue_names"] = [str(n) for n in names]
    if isinstance(extra.get("lift_mode"), dict):
        poses.meta.extra["lift_mode"] = dict(extra["lift_mode"])
    frame = data.get("coordinate_frame")
    if isinstance(frame, str) and frame:  # the csv carries no frame of its own
        poses.meta.frame = frame
    video = data.get("video")
    if poses.meta.video is None and video:
        if Path(str(video)).is_file():
            poses.meta.video = str(video)
        else:  # moved, or recorded relative to another working folder
            poses.meta.extra["recorded_video"] = str(video)


class _PickledObject(dict):
    """An object of a metadata pickle that is not a plain value nor a numpy array, read as
    a dict of its items and attributes without importing its class or running its code:
    ``easydict.EasyDict`` (a dict subclass), which DeepLabCut before 2.2 stored its network
    config as, and which dlc-lifter's environment need not have."""

    def __new__(cls, *args: Any, **kwargs: Any) -> _PickledObject:
        return super().__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def __setstate__(self, state: Any) -> None:
        for part in state if isinstance(state, tuple) else (state,):
            if isinstance(part, dict):
                self.update(part)


#: The classes a metadata pickle may build as themselves (module prefix, names).
_PICKLE_CLASSES = (
    (("builtins", "__builtin__"), {"set", "frozenset", "complex", "slice", "range",
                                   "bytearray", "bytes", "str", "int", "float", "bool",
                                   "list", "tuple", "dict", "object"}),
    (("copyreg", "copy_reg"), {"_reconstructor"}),
    (("collections",), {"OrderedDict"}),
    (("numpy",), {"_reconstruct", "scalar", "dtype", "ndarray", "_frombuffer"}),
)


class _MetaUnpickler(pickle.Unpickler):
    """Reads DeepLabCut's metadata pickles: plain values and numpy arrays as themselves,
    objects of any other class as :class:`_PickledObject` (a pickle beside a pose file is
    data, so no other class is imported)."""

    def find_class(self, module: str, name: str) -> Any:
        for prefixes, names in _PICKLE_CLASSES:
            if module.split(".")[0] in prefixes and name in names:
                return super().find_class(module, name)
        return _PickledObject


def _read_meta_pickle(path: Path) -> dict[str, Any]:
    """The ``data`` dict of a DeepLabCut metadata pickle (``{"data": {...}}``), written by
    any DeepLabCut (``latin1``: Python 2's numpy arrays), or by :func:`write_meta_pickle`."""
    with path.open("rb") as fh:
        data = _MetaUnpickler(fh, encoding="latin1").load()
    data = data.get("data", data) if isinstance(data, dict) else None
    if not isinstance(data, dict):
        raise PoseFileError(f"it holds a {type(data).__name__}, not DeepLabCut's dict")
    return data


def _meta_pickle_candidates(path: Path) -> list[Path]:
    """Where DeepLabCut's metadata of a pose file lies: ``<stem>_meta.pickle`` (DeepLabCut
    since May 2020), ``<stem>includingmetadata.pickle`` (DeepLabCut 1.x to 2.1); the stem
    without ``_filtered`` first."""
    stem = path.stem
    base = stem[: -len("_filtered")] if stem.endswith("_filtered") else stem
    stems = list(dict.fromkeys([base, stem]))
    return [path.with_name(f"{s}{end}") for end in ("_meta.pickle", "includingmetadata.pickle")
            for s in stems]


def _analysis_crop(data: dict[str, Any], path: Path, cand: Path
                   ) -> tuple[int, int, int, int] | None:
    """The static crop ``(x1, x2, y1, y2)`` an ``analyze_videos`` output was analysed with:
    DeepLabCut (TensorFlow ``AnalyzeVideo``, PyTorch ``_generate_metadata``) records
    ``cropping`` (True when ``cropping: true`` in config.yaml or ``analyze_videos(cropping=
    [x1, x2, y1, y2])``) and ``cropping_parameters`` in its meta pickle, and its keypoints
    are then relative to the crop's top-left corner. ``None`` where it was not cropped
    (``cropping`` False, or absent: DeepLabCut before 2.0); dynamic cropping alone
    (``dynamic=(True, ...)``) records no crop: its keypoints are already the full frame's.
    """
    if not data.get("cropping"):
        return None
    params = data.get("cropping_parameters")
    try:
        x1, x2, y1, y2 = (float(v) for v in params)
    except (TypeError, ValueError):
        x1 = x2 = y1 = y2 = math.nan
    if not (all(math.isfinite(v) for v in (x1, x2, y1, y2)) and 0 <= x1 < x2
            and 0 <= y1 < y2):
        logger.warning("%s: %s says the video was analysed cropped, but its "
                       "cropping_parameters %r are not [x1, x2, y1, y2] pixels: the keypoints "
                       "are left as they are (relative to the crop, not the full frame). "
                       "Give the crop's offset by adding it to the file's x and y.",
                       path, cand.name, params)
        return None
    return int(x1), int(x2), int(y1), int(y2)


def _add_crop_offset(poses: Poses, crop: tuple[int, int, int, int], path: Path,
                     cand: Path) -> None:
    """Move keypoints relative to DeepLabCut's analysis crop into the full frame's pixels
    (add ``x1, y1``, as DeepLabCut's ``create_labeled_video`` does) and record the crop in
    ``meta.extra["dlc_cropping"]``."""
    x1, x2, y1, y2 = crop
    poses.coords[..., 0] += x1
    poses.coords[..., 1] += y1
    poses.meta.extra["dlc_cropping"] = {
        "cropping_parameters": [x1, x2, y1, y2], "offset_added_px": [x1, y1],
        "from": str(cand)}
    if x1 or y1:
        logger.info("%s: analysed cropped to x %d-%d, y %d-%d (cropping_parameters in %s): "
                    "(%d, %d) px added to every keypoint, which are now the full frame's "
                    "pixels.", path, x1, x2, y1, y2, cand.name, x1, y1)


#: Rows of an image-indexed table whose image is looked for to give the frame size.
_IMAGES_TRIED = 5


def _image_size(path: Path, images: Sequence[str]) -> tuple[int, int] | None:
    """``(width, height)`` of the first of a table's row images found: at the path its
    row records (DeepLabCut 3's ``analyze_images`` records each image's path as it was
    given: a full path, or one relative to where it ran, taken from the table's folder),
    else beside the table by its name (labelled data's ``labeled-data/<video>/imgNNN.png``,
    recorded with ``\\`` on Windows too; ``analyze_time_lapse_frames``' bare names);
    ``None`` where none of the first few is found or read."""
    import cv2

    for image in images[:_IMAGES_TRIED]:
        recorded = recorded_path(str(image))
        places = [path.parent / recorded.name]
        if isinstance(recorded, Path) and recorded.is_absolute():
            places.insert(0, recorded)
        elif not recorded.anchor and len(recorded.parts) > 1:
            places.insert(0, path.parent.joinpath(*recorded.parts))
        for img in places:
            if img.is_file():
                arr = cv2.imread(str(img), cv2.IMREAD_UNCHANGED)
                if arr is not None:
                    return int(arr.shape[1]), int(arr.shape[0])
    return None


def _fill_dlc_meta(poses: Poses, path: Path) -> Poses:
    """fps / image size / video from DLC's metadata pickle and a video beside the file."""
    meta = poses.meta
    stem = path.stem
    base = stem[: -len("_filtered")] if stem.endswith("_filtered") else stem
    lift_record = False  # a lift's record names its video, or none: no other looked for
    for cand in _meta_pickle_candidates(path):
        if cand.is_file():
            try:
                data = _read_meta_pickle(cand)
            except Exception as exc:  # noqa: BLE001 - metadata is a bonus
                logger.warning("%s: its DeepLabCut metadata %s cannot be read (%s): fps and "
                               "frame size are taken from the video, else unknown (give "
                               "them: fps=, image_size=).", path, cand,
                               read_error_summary(exc))
                continue
            fps = data.get("fps")
            if fps:
                meta.fps = float(fps)
            crop = None if poses.is_3d else _analysis_crop(data, path, cand)
            if crop is not None:
                _add_crop_offset(poses, crop, path, cand)
            dims = data.get("frame_dimensions")
            if dims is not None and len(dims) >= 2:
                # DLC 2.x's TensorFlow engine stores (h, w); DLC 3's PyTorch engine (w, h)
                width_first = "pytorch-config" in data
                size = ((int(dims[0]), int(dims[1])) if width_first
                        else (int(dims[1]), int(dims[0])))
                crop_size = None if crop is None else (crop[1] - crop[0], crop[3] - crop[2])
                if crop_size is not None and crop_size in (size, size[::-1]):
                    # the crop's size (DLC 3, and DLC 2.x's multi-animal analysis), not the
                    # video's: the full frame's size is not recorded
                    logger.info("%s: frame_dimensions %s in %s is the crop's size; the full "
                                "frame's is not recorded: it is the video's, where the video "
                                "is found (else give --image-size WIDTHxHEIGHT).", path,
                                tuple(dims), cand.name)
                else:
                    meta.image_size = size
                    if not poses.is_3d and size_transposed(poses.coords, meta.image_size):
                        meta.image_size = meta.image_size[::-1]  # DeepLabCut 1.x's (w, h)
                        logger.info("%s: frame_dimensions %s in %s read as (width, height), "
                                    "as DeepLabCut 1.x wrote them: the points reach beyond "
                                    "them read as (height, width).", path, tuple(dims),
                                    cand.name)
            if poses.is_3d:  # a lift's record: each column's landmark, the video lifted
                _lifted_record(poses, data)
                lift_record = "video" in data
            break
    images = meta.extra.get("image_paths") or []
    if images and not poses.is_3d and meta.image_size is None:
        # labels, or predictions on a folder of images (DeepLabCut 2's
        # analyze_time_lapse_frames, 3's analyze_images): the images' own size
        meta.image_size = _image_size(path, images)
    if meta.source_format == "dlc-labels":
        labelled_size_from_project(poses, path)
        return poses
    if meta.video is None and not lift_record:
        folders = [path.parent, path.parent.parent / "videos", path.parent.parent]
        video = find_video(base, folders)
        if video is not None:
            meta.video = str(video)
    return poses


def _pick_key(path: Path, keys: list[str], key: str | None) -> str:
    if key is not None:
        want = key if key.startswith("/") else f"/{key}"
        if want not in keys:
            raise PoseFileError(
                f"{path} has no table '{key}'; its tables are {', '.join(keys)}. Pass one "
                "of those as key.")
        return want
    if len(keys) == 1:
        return keys[0]
    for k in _PREFERRED_KEYS:
        if k in keys:
            return k
    raise PoseFileError(
        f"{path} holds several pandas tables ({', '.join(keys)}); pass key= (--key) to say "
        "which one holds the poses.")


def read_dlc_h5(path: str | Path, *, key: str | None = None) -> Poses:
    """Read a DeepLabCut ``.h5`` (``analyze_videos``, ``_filtered``, labelled data, 3D).

    Parameters
    ----------
    path
        The file.
    key
        HDF5 key; default: the only table, else ``df_with_missing``, else ``tracks``.

    Raises
    ------
    PoseFileError
        When the file holds no pandas table or the table is not DLC's layout.
    """
    p = check_input_file(path)
    try:
        keys, df = read_pandas_hdf(p, lambda keys: _pick_key(p, keys, key))
        if not keys:
            raise PoseFileError(_jabs_predictions_message(p) or (
                f"{p} is an HDF5 file but holds no pandas table (nor SLEAP's or JABS's "
                "pose datasets), so it is not a DeepLabCut pose file. Pass the .h5 that "
                "analyze_videos wrote (tracklet pickles must first be converted with "
                "convert_raw_tracks_to_h5)."))
    except PoseFileError:
        raise
    except Exception as exc:  # noqa: BLE001 - pytables raises many kinds
        why = read_error_summary(exc)
        raise PoseFileError(
            f"{p} cannot be read as a pandas HDF5 file ({why}). Pass a DeepLabCut .h5 "
            "output.") from None
    poses = _dataframe_to_poses(df, p, "dlc-h5")
    if poses.is_3d:
        _attach_likelihood(poses, p)
    return _fill_dlc_meta(poses, p)


def _jabs_predictions_message(path: Path) -> str | None:
    """The refusal for a JABS behaviour-prediction file (``predictions/.../predicted_class``:
    a class per frame, not poses), naming the pose file to pass; ``None`` for other files."""
    import h5py

    try:
        with h5py.File(path, "r") as fh:
            group = fh.get("predictions")
            found: list[str] = []
            if isinstance(group, h5py.Group):
                group.visit(lambda name: found.append(name)
                            if name.split("/")[-1] == "predicted_class" else None)
            version = fh.attrs.get("source_pose_major_version")
    except Exception:  # noqa: BLE001 - only a better message is at stake
        return None
    if not found:
        return None
    pose = f"_pose_est_v{int(version)}.h5" if version is not None else "_pose_est_vN.h5"
    return (f"{path} holds JABS behaviour predictions (a class per frame), not poses. Pass "
            f"the pose file JABS classified: <video>{pose}.")


def _attach_likelihood(poses: Poses, path: Path) -> None:
    """Restore confidence / frame / units a :func:`write_dlc_3d` output carries."""
    import h5py

    try:
        with h5py.File(path, "r") as fh:
            ds = fh.get(LIKELIHOOD_KEY)
            if not isinstance(ds, h5py.Dataset) or ds.shape != poses.confidence.shape:
                return
            names = [str(k) for k in ds.attrs.get("keypoints", [])]
            if names and names != list(poses.keypoints):
                return
            poses.confidence = np.where(poses.missing, np.nan, ds[()].astype(np.float64))
            # "units"/"frame" were the coordinates' in files before "coords_units"
            poses.meta.units = str(ds.attrs.get("coords_units",
                                                ds.attrs.get("units", poses.meta.units)))
            poses.meta.frame = str(ds.attrs.get("coords_frame",
                                                ds.attrs.get("frame", poses.meta.frame)))
            imp = fh.get("imputed")
            if isinstance(imp, h5py.Dataset) and imp.shape == ds.shape:
                poses.meta.extra["imputed"] = imp[()].astype(bool)
    except OSError as exc:  # pragma: no cover - metadata is a bonus
        logger.debug("Could not read likelihood of %s: %s", path, exc)


#: Bytes of a csv's start read to judge whether it is a DeepLabCut table.
_SNIFF_BYTES = 65536


def dlc_csv_coords(path: str | Path) -> frozenset[str] | None:
    """The coordinates a csv's DeepLabCut header names (``{"x", "y", "likelihood"}``; a 3D
    table's has ``"z"``), or ``None`` where the file does not start as a DeepLabCut csv.

    DeepLabCut's header rows are ``scorer``, ``[individuals]``, ``bodyparts`` and
    ``coords``; a copy re-saved by a spreadsheet (``;`` or tab separators, a byte-order
    mark) or by pandas (a column of row numbers before them) counts too, as
    :func:`read_dlc_csv` reads them. Only the file's first lines are read, whatever its
    name says it is.

    Parameters
    ----------
    path
        Any file (a ``.csv``, or one named as another format).

    Returns
    -------
    frozenset of str or None
        The lower-cased names of the ``coords`` row; ``None`` for another table, a file
        that is no text, or one that cannot be read.

    Examples
    --------
    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "mouse1.h5"
    >>> rows = ["scorer;DLC;DLC;DLC", "bodyparts;nose;nose;nose", "coords;x;y;likelihood",
    ...         "0;1,5;2,5;0,9"]
    >>> _ = f.write_text("\\n".join(rows))
    >>> sorted(dlc_csv_coords(f))
    ['likelihood', 'x', 'y']
    """
    try:
        sep = csv_format(Path(path))[0]  # a spreadsheet's re-save: ';' or tabs
        with Path(path).open(newline="", encoding="utf-8-sig", errors="replace") as fh:
            head = fh.read(_SNIFF_BYTES).splitlines()[:5]
        rows = [[c.strip().lower() for c in r] for r in csv.reader(head, delimiter=sep)]
    except (OSError, csv.Error):  # no file, or no text (NUL bytes, before Python 3.11)
        return None
    coords = next((r for r in rows[1:] if "coords" in r[:2]), None)
    if not rows or "scorer" not in rows[0][:2] or coords is None:
        return None
    return frozenset(c for c in coords if c and c != "coords")


def _csv_layout(path: Path, text: str | None = None, sep: str = ",") -> tuple[int, int]:
    """Number of header rows and index columns of a DLC csv (``text``: its content, where
    it is not read from ``path`` itself; ``sep``: its separator, :func:`csv_format`)."""
    with (io.StringIO(text) if text is not None
          else path.open(newline="", encoding="utf-8-sig", errors="replace")) as fh:
        rows = [row for _, row in zip(range(6), csv.reader(fh, delimiter=sep), strict=False)]
    firsts = [r[0].strip().lower() if r else "" for r in rows]
    bad = PoseFileError(
        f"{path} does not start with DeepLabCut's header rows (scorer, [individuals,] "
        "bodyparts, coords), nor is it a table of one header row naming '<bodypart>_x' "
        "and '<bodypart>_y' columns (SimBA's). Pass a csv written by DeepLabCut "
        "(analyze_videos with save_as_csv=True or the labelling GUI), or its .h5.")
    if not firsts or firsts[0] != "scorer" or "coords" not in firsts:
        raise bad
    n_header = firsts.index("coords") + 1
    expected = (["scorer", "bodyparts", "coords"],
                ["scorer", "individuals", "bodyparts", "coords"])
    if firsts[:n_header] not in expected:
        raise bad
    coords_row = rows[n_header - 1]
    n_index = 1
    while n_index < len(coords_row) and coords_row[n_index].strip() == "":
        n_index += 1
    if n_index >= len(coords_row):
        raise bad
    widths = {len(r) for r in rows[:n_header]}
    if len(widths) != 1:
        raise PoseFileError(
            f"{path}: the header rows have different numbers of columns ({sorted(widths)}); "
            "the file is truncated or was edited by hand. Re-export it from DeepLabCut.")
    columns = list(zip(*(r[n_index:] for r in rows[:n_header]), strict=True))
    seen: set[tuple[str, ...]] = set()
    dupes = sorted({c[-2] for c in columns if c in seen or seen.add(c)})  # type: ignore[func-returns-value]
    if dupes:
        raise PoseFileError(
            f"{path}: bodypart(s) {', '.join(dupes)} appear more than once. Give every "
            "bodypart a unique name in config.yaml and re-export the file.")
    return n_header, n_index


def _without_pandas_index(path: Path, sep: str = ",") -> str | None:
    """The DLC csv inside a copy that pandas re-saved, or ``None`` for any other file.

    ``pd.read_csv(dlc_csv).to_csv(out)`` keeps DeepLabCut's header rows as data: it adds a
    column of row numbers before them (its first cell empty, the next ``scorer``) and
    numbers the repeated scorer names (``DLC_x``, ``DLC_x.1``, ``DLC_x.2``, ...). Such
    copies circulate (DLC2action's test data holds one); the DLC csv is that file without
    the added column and with the scorer names as they were (``sep`` kept).
    """
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
        head = [row for _, row in zip(range(4), csv.reader(fh, delimiter=sep), strict=False)]
    if (len(head) < 3 or any(len(r) < 3 for r in head) or head[0][0].strip()
            or head[0][1].strip().lower() != "scorer"
            or head[1][1].strip().lower() not in ("bodyparts", "individuals")):
        return None
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
        rows = [r[1:] for r in csv.reader(fh, delimiter=sep)]
    names = rows[0]
    plain = set(names[1:])
    rows[0] = [names[0]] + [_unnumbered(n, plain) for n in names[1:]]
    logger.warning("%s: a DeepLabCut csv re-saved by pandas (a column of row numbers before "
                   "its header rows, the scorer names numbered); read without them.", path)
    out = io.StringIO()
    csv.writer(out, delimiter=sep, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _cut_last_row(path: Path, text: str | None, sep: str, n_fields: int) -> int | None:
    """How many of a row's ``n_fields`` values the last line of a csv holds where it ends
    without a line break and holds fewer (the file cut off mid-row); ``None`` otherwise.
    ``text``: the csv as read when it is not the file itself (a pandas re-save's, whose
    lines start with one more value)."""
    with path.open("rb") as fh:
        fh.seek(max(0, path.stat().st_size - (1 << 16)))
        tail = fh.read().decode("utf-8", errors="replace")
    if not tail or tail.endswith(("\n", "\r")):
        return None
    n = tail.rsplit("\n", 1)[-1].count(sep) + 1 - (text is not None)
    return n if n < n_fields else None


def _unnumbered(name: str, names: set[str]) -> str:
    """``name`` without the ``.N`` pandas added to a repeated column name."""
    m = re.fullmatch(r"(.*)\.\d+", name)
    return m.group(1) if m and m.group(1) in names else name


def read_dlc_csv(path: str | Path) -> Poses:
    """Read a DeepLabCut ``.csv`` (3 or 4 header rows; 1 or 3 index columns).

    A spreadsheet's re-save reads the same: a UTF-8 byte-order mark (Excel's "CSV UTF-8"),
    ``;`` separators with ``,`` or ``.`` decimals, or tabs.

    Raises
    ------
    PoseFileError
        When the header is not DLC's.
    """
    p = check_input_file(path)
    sep, decimal = csv_format(p)
    if (sep, decimal) != (",", "."):
        logger.info("%s: separated by %r with %r decimals (a spreadsheet's re-save); read "
                    "as such.", p, sep, decimal)
    text = _without_pandas_index(p, sep)
    n_header, n_index = _csv_layout(p, text, sep)
    try:
        df = pd.read_csv(p if text is None else io.StringIO(text), sep=sep, decimal=decimal,
                         encoding="utf-8-sig", header=list(range(n_header)),
                         index_col=list(range(n_index)))
    except Exception as exc:  # noqa: BLE001 - pandas raises many kinds
        raise PoseFileError(
            f"{p} cannot be parsed as a DeepLabCut csv ({type(exc).__name__}: {exc}). "
            "Re-export it from DeepLabCut.") from None
    df.columns = df.columns.set_names(
        ["scorer", "bodyparts", "coords"] if n_header == 3
        else ["scorer", "individuals", "bodyparts", "coords"])
    cut = _cut_last_row(p, text, sep, len(df.columns) + n_index)
    if cut is not None and len(df) > 1:
        logger.warning(
            "%s ends in the middle of a row (its last line holds %d of the %d values a row "
            "has), as a file does after an interrupted copy or a full disk: that row is left "
            "out, the %d rows before it read. If its recording is longer, copy the file "
            "again from where DeepLabCut wrote it.", p, cut, len(df.columns) + n_index,
            len(df) - 1)
        df = df.iloc[:-1]
    # a column with no bodypart is no point (Lightning Pose's "set": train/val/test)
    blank = [c for c in df.columns if str(c[-2]).startswith("Unnamed:")
             and str(c[-1]).startswith("Unnamed:")]
    if blank:
        logger.info("%s: column%s %s name%s no bodypart: left out.", p,
                    "s" if len(blank) > 1 else "", ", ".join(str(c[0]) for c in blank),
                    "" if len(blank) > 1 else "s")
        df = df.drop(columns=blank)
    non_numeric = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])]
    if non_numeric:
        bad = [c for c in non_numeric
               if pd.to_numeric(df[c], errors="coerce").isna().sum() > df[c].isna().sum()]
        if bad:
            raise PoseFileError(
                f"{p}: column {'/'.join(map(str, bad[0]))} holds text where numbers are "
                "expected; the header is broken or rows were edited. Re-export the file.")
    return _fill_dlc_meta(_dataframe_to_poses(df, p, "dlc-csv"), p)


# ----------------------------------------------------------------------------- naming
def lifted_output_path(
    poses_path: str | Path,
    destfolder: str | Path | None = None,
    *,
    suffix: str = ".h5",
    video_stem: str | None = None,
) -> Path:
    """DeepLabCut-style name of the 3D output for a 2D pose file.

    A DLC output's stem already is ``<video stem><scorer>[_filtered]``, so the result is
    ``<stem>_lifted3d<suffix>``: ``m3v1mp4DLC_resnet50_..._30000.h5`` ->
    ``m3v1mp4DLC_resnet50_..._30000_lifted3d.h5``; ``clip.predictions.slp`` ->
    ``clip.predictions_lifted3d.h5``; ``x.nwb`` -> ``x_lifted3d.h5``. One video of a SLEAP
    file holding several (``video_stem``): ``labels.v001.slp`` ->
    ``labels.v001.<video stem>_lifted3d.h5``. Beside DeepLabCut's labels in their
    ``labeled-data/<video>`` folder, the output starts with the folder's name
    (``<video>_CollectedData_<scorer>_lifted3d.h5``): tools that take the folder's
    ``CollectedData*.h5`` as its labels never take it. An ``analyze_videos`` output's lift
    goes into a ``lifted3d`` folder beside it (``videos/lifted3d/<stem>_lifted3d.h5``):
    DeepLabCut's ``create_labeled_video``, ``filterpredictions`` and ``plot_trajectories``
    read the first ``<video><scorer>*.h5`` of the video's folder, which could be the 3D
    file.

    Parameters
    ----------
    poses_path
        The 2D pose file.
    destfolder
        Output folder (default: the pose file's folder), like DLC's ``destfolder``.
    suffix
        ``.h5``, ``.csv``, ``.nwb``, ``.slp``...
    video_stem
        The stem of the video lifted, where the file holds several.
    """
    p = Path(poses_path)
    if not suffix.startswith("."):
        suffix = f".{suffix}"
    folder = Path(destfolder) if destfolder is not None else p.parent
    stem = p.stem if video_stem is None else f"{p.stem}.{video_stem}"
    if folder.absolute() == p.parent.absolute():
        if stem.startswith(_LABEL_FILE_PREFIXES):
            # beside DeepLabCut's labels, a name DeepLabCut's tools would take for them
            stem = f"{p.parent.absolute().name}_{stem}"
        elif ANALYSIS_STEM.match(p.stem):
            # beside analyze_videos' output, DeepLabCut's tools would take the 3D file for
            # it: they read the first '<video><scorer>*.h5' of the folder, in the order the
            # file system lists them (DeepLabCut 2.2 to 3.0)
            folder = folder / LIFTED_SUBFOLDER
    return folder / f"{stem}_lifted3d{suffix}"


#: Names DeepLabCut's tools (the labelling GUI, napari-deeplabcut, training-set builders)
#: look for as a labelled-data folder's labels, ``CollectedData*.h5``.
_LABEL_FILE_PREFIXES = ("CollectedData", "machinelabels")


def is_label_file(path: str | Path) -> bool:
    """Whether ``path`` is a DeepLabCut labelled-data folder's labels (``CollectedData*``,
    ``machinelabels*``): every folder's file has the same name, told apart by its folder."""
    return Path(path).name.startswith(_LABEL_FILE_PREFIXES)
#: Where a lift of an ``analyze_videos`` output goes when written in the output's folder.
LIFTED_SUBFOLDER = "lifted3d"


def meta_pickle_path(output: str | Path) -> Path:
    """``<stem>_meta.pickle`` beside an output, as DeepLabCut names it."""
    p = Path(output)
    return p.with_name(f"{p.stem}_meta.pickle")


# ----------------------------------------------------------------------------- writing
def _dlc_3d_frame(poses3d: Poses) -> pd.DataFrame:
    df = poses3d.to_dataframe(likelihood=False)
    df = df.astype(np.float64)
    df.index = pd.Index(np.asarray(poses3d.frame_indices, dtype=np.int64))
    return df


def write_meta_pickle(
    poses3d: Poses,
    path: str | Path,
    *,
    overwrite: bool = False,
    meta: dict[str, Any] | None = None,
) -> Path:
    """Write the ``<stem>_meta.pickle`` of a 3D output (DLC's ``{"data": {...}}`` layout).

    It records units, coordinate frame, camera, model, source, frame indices,
    likelihoods, the imputed flags and everything in ``poses3d.meta.extra``; ``meta``
    adds or replaces entries.

    Returns
    -------
    Path
    """
    m = poses3d.meta
    record: dict[str, Any] = {
        "start": datetime.now(timezone.utc).timestamp(),
        "Scorer": m.scorer,
        "fps": m.fps,
        "nframes": poses3d.n_frames,
        "frame_dimensions": None if m.image_size is None else (
            m.image_size[1], m.image_size[0]),
        "units": m.units,
        "coordinate_frame": m.frame,
        "camera": m.extra.get("camera"),
        "model": m.extra.get("model"),
        "source": m.source,
        "source_format": m.source_format,
        "video": m.video,
        "dlc_lifter_version": __version__,
        "software": software_record(),
        "bodyparts": list(poses3d.keypoints),
        "individuals": list(poses3d.individuals),
        "frame_indices": np.asarray(poses3d.frame_indices).copy(),
        "likelihood": np.asarray(poses3d.confidence).copy(),
        "imputed": m.extra.get("imputed"),
        "extra": {k: v for k, v in m.extra.items() if k not in ("camera", "model", "imputed")},
    }
    if meta:
        record.update(meta)
    out = check_writable(path, overwrite=overwrite)
    with atomic_output(out, overwrite=overwrite) as tmp:
        with open(tmp, "wb") as fh:
            pickle.dump({"data": record}, fh, pickle.HIGHEST_PROTOCOL)
    return out


def read_lift_record(output: str | Path) -> dict[str, Any]:
    """The record a lift kept of itself: the ``data`` of an output's ``<stem>_meta.pickle``.

    Parameters
    ----------
    output
        The lift's ``<stem>_lifted3d.h5`` (its meta pickle lies beside it).

    Returns
    -------
    dict
        What :func:`write_meta_pickle` wrote (units, coordinate frame, fps, camera, model,
        the source file, the options lifted with, the formats written...).

    Raises
    ------
    PoseFileError
        Where the meta pickle is missing or does not read (naming it, and what to do).
    """
    path = meta_pickle_path(output)
    try:
        return _read_meta_pickle(path)
    except Exception as exc:  # noqa: BLE001 - any unreadable pickle says the same
        raise PoseFileError(
            f"{path}, the record of the lift {Path(output).name}, cannot be read "
            f"({read_error_summary(exc)}). Lift {Path(output).name} again "
            "(overwrite=True).") from None


def read_lifted_output(output: str | Path) -> Poses:
    """A lift's 3D output as the lift wrote it: the ``.h5``'s poses with the metadata its
    meta pickle records (source, scorer, fps, frame size, video, camera, model, skeleton
    and every other entry of ``meta.extra``), from which its other formats are written.

    Unlike :func:`~dlc_lifter.io.read_poses`, which reads the file as a pose file (its
    source is the ``.h5`` itself), the metadata is the lifted poses' own, as
    :func:`write_meta_pickle` recorded it.

    Parameters
    ----------
    output
        A ``<stem>_lifted3d.h5`` written by :func:`write_dlc_3d`.

    Returns
    -------
    Poses
        3D poses (mm), ``(frames, individuals, keypoints, 3)``.

    Raises
    ------
    PoseFileError
        When the ``.h5`` holds no 3D poses, or its meta pickle is missing or unreadable.

    Examples
    --------
    >>> poses3d = read_lifted_output("mouse1_lifted3d.h5")  # doctest: +SKIP
    >>> poses3d.meta.fps, poses3d.meta.extra["camera"]["K"]  # doctest: +SKIP
    """
    record = read_lift_record(output)
    poses = read_dlc_h5(output)
    if not poses.is_3d:
        raise PoseFileError(f"{output} holds 2D poses, not a lift's 3D.")
    dims = record.get("frame_dimensions")
    extra = dict(record.get("extra") or {})
    extra.update({k: record[k] for k in ("camera", "model", "imputed")
                  if record.get(k) is not None})
    poses.meta = PoseMetadata(
        source=record.get("source"), source_format=record.get("source_format"),
        scorer=str(record.get("Scorer") or poses.meta.scorer), fps=record.get("fps"),
        image_size=None if dims is None else (int(dims[1]), int(dims[0])),
        frame=str(record.get("coordinate_frame") or poses.meta.frame),
        units=str(record.get("units") or poses.meta.units), video=record.get("video"),
        extra=extra)
    return poses


def update_meta_pickle(output: str | Path, entries: dict[str, Any]) -> Path:
    """Replace ``entries`` of an output's meta pickle, keeping the rest (atomically: a
    reader sees the old record or the new one, never half of it).

    Parameters
    ----------
    output
        The lift's ``<stem>_lifted3d.h5`` (its meta pickle lies beside it).
    entries
        The entries to set (``formats``, ``formats_failed``).

    Returns
    -------
    Path
        The meta pickle.

    Raises
    ------
    PoseFileError
        When the meta pickle is missing or cannot be read.
    """
    record = {**read_lift_record(output), **entries}
    path = meta_pickle_path(output)
    with atomic_output(path, overwrite=True) as tmp:
        with open(tmp, "wb") as fh:
            pickle.dump({"data": record}, fh, pickle.HIGHEST_PROTOCOL)
    return path


def write_dlc_3d(
    poses3d: Poses,
    path: str | Path,
    *,
    overwrite: bool = False,
    save_as_csv: bool = False,
    meta: dict[str, Any] | None = None,
    meta_pickle: bool = True,
) -> Path:
    """Write 3D poses exactly like DeepLabCut's ``triangulate`` output.

    The ``.h5`` holds one pandas table (``format="table"``) under key
    ``df_with_missing``: float64 columns ``scorer / bodyparts / coords`` (``x, y, z``;
    ``scorer / individuals / bodyparts / coords`` for multi-animal data), integer frame
    index, no likelihood column. The confidence goes to a plain HDF5 dataset
    ``likelihood`` (``(frames, individuals, keypoints)``, not a pandas table, so
    ``pd.read_hdf(path)`` still works without a key) and to ``<stem>_meta.pickle``.

    Parameters
    ----------
    poses3d
        3D poses (mm).
    path
        Output ``.h5`` (a ``.csv`` path writes only the csv).
    overwrite
        Replace existing outputs.
    save_as_csv
        Also write ``<stem>.csv`` with the same header rows.
    meta
        Extra entries for the meta pickle (camera, model, ...).
    meta_pickle
        Write the meta pickle (``False``: a lift's ``.csv`` added beside the ``.h5`` and
        the meta pickle it has).

    Returns
    -------
    Path
        The ``.h5`` (or ``.csv``) written.

    Raises
    ------
    OutputExistsError, OutputNotWritableError
        Before any work, when an output exists or the folder is not writable.
    ValueError
        When ``poses3d`` is not 3D.
    """
    if not poses3d.is_3d:
        raise ValueError("write_dlc_3d needs 3D poses (coords with x, y, z).")
    out = Path(path)
    csv_only = out.suffix.lower() == ".csv"
    h5_path = out if not csv_only else None
    csv_path = out if csv_only else (out.with_suffix(".csv") if save_as_csv else None)
    pickle_path = meta_pickle_path(out) if meta_pickle else None
    targets = [p for p in (h5_path, csv_path, pickle_path) if p is not None]
    for t in targets:  # fail before any work
        check_writable(t, overwrite=overwrite)
    df = _dlc_3d_frame(poses3d)
    written: list[Path] = []
    try:
        if csv_path is not None:
            if df.size >= LONG_CSV_CELLS:  # half a minute for an hour's lift: said
                logger.info("Writing the .csv copy of %d frames (a csv this long takes a "
                            "while).", len(df))
            with atomic_output(csv_path, overwrite=overwrite) as tmp:
                df.to_csv(tmp)
            written.append(csv_path)
        if pickle_path is not None:
            write_meta_pickle(poses3d, pickle_path, overwrite=overwrite, meta=meta)
            written.append(pickle_path)
        # The .h5 goes last: once it exists, the csv and meta pickle beside it are
        # complete, so a batch that skips existing outputs never skips a half-written one.
        if h5_path is not None:
            _write_dlc_3d_h5(df, poses3d, h5_path, overwrite=overwrite)
    except BaseException:
        for done in written:  # no csv or pickle without its .h5, to block a rerun
            done.unlink(missing_ok=True)
        raise
    logger.info("Wrote 3D poses to %s", out)
    return out


#: Below this many columns a pandas table's header fits its 64 KB (DeepLabCut-style names:
#: 2340 columns fit, 2808 did not), so a table that fails to write failed for another cause.
_TABLE_HEADER_COLUMNS = 1000


def _write_dlc_3d_h5(df: pd.DataFrame, poses3d: Poses, h5_path: Path, *,
                     overwrite: bool) -> None:
    """The ``.h5`` of :func:`write_dlc_3d`: the table, then the likelihood and imputed
    datasets. A table too wide for PyTables' header (its column names live in one
    attribute of at most 64 KB: about 17 individuals of 39 keypoints) is written in
    pandas' ``fixed`` format, which ``pd.read_hdf`` and DeepLabCut read the same way."""
    import h5py
    import tables

    # room for the table (uncompressed) and the likelihoods: HDF5 on a full disk fails
    # with no cause named, and h5py may crash the process on it
    check_free_space(h5_path, df.memory_usage(index=True).sum() + poses3d.confidence.nbytes)
    with atomic_output(h5_path, overwrite=overwrite) as tmp:
        with PYTABLES_LOCK:
            try:
                df.to_hdf(tmp, key=DLC_KEY, format="table", mode="w")
                table = True
            except tables.HDF5ExtError as exc:
                if df.shape[1] < _TABLE_HEADER_COLUMNS:  # not the header's size: say it
                    raise OSError(f"{h5_path}: writing the table failed ({exc}).") from exc
                df.to_hdf(tmp, key=DLC_KEY, format="fixed", mode="w")
                table = False
                logger.info("%s: %d columns are too many for a pandas table's header; "
                            "written in pandas' fixed format (pd.read_hdf reads it alike).",
                            h5_path, df.shape[1])
        if table:
            mark_pandas_version(tmp)  # pandas 3 omits it; pandas 1.x/2.x need it
        # room for the likelihoods now that the table is written (another process may
        # have filled the disk meanwhile): HDF5 fails to close a file it cannot flush, and
        # h5py then crashes the process when it frees it
        check_free_space(h5_path, 2 * poses3d.confidence.nbytes)
        with h5py.File(tmp, "a") as fh:
            ds = fh.create_dataset(LIKELIHOOD_KEY, data=np.asarray(
                poses3d.confidence, dtype=np.float64), compression="gzip")
            _label_per_keypoint(ds, poses3d, LIFTED_LIKELIHOOD_TEXT)
            ds.attrs["coords_units"] = str(poses3d.meta.units)
            ds.attrs["coords_frame"] = str(poses3d.meta.frame)
            imputed = poses3d.meta.extra.get("imputed")
            if imputed is not None and np.shape(imputed) == poses3d.confidence.shape:
                ds = fh.create_dataset("imputed", data=np.asarray(imputed, dtype=bool),
                                       compression="gzip")
                _label_per_keypoint(ds, poses3d, IMPUTED_TEXT)


#: What the ``likelihood`` dataset beside a lift's table holds.
LIFTED_LIKELIHOOD_TEXT = (
    "the 2D tracker's likelihood of each keypoint the lift kept on its ray; 0 where the "
    "point is the lifter's estimate (imputed: untracked, below the likelihood cutoff or set "
    "aside as a mistrack); NaN where there is no point")
#: What the ``imputed`` dataset beside a lift's table holds.
IMPUTED_TEXT = ("True where the point is the lifter's estimate rather than a tracked 2D "
                "point on its camera ray")


def _label_per_keypoint(ds: Any, poses3d: Poses, description: str) -> None:
    """Name a ``(frames, individuals, keypoints)`` dataset's axes and say what it holds."""
    ds.attrs["description"] = description
    ds.attrs["dims"] = "frames, individuals, keypoints"
    ds.attrs["individuals"] = [str(i) for i in poses3d.individuals]
    ds.attrs["keypoints"] = [str(k) for k in poses3d.keypoints]


def read_lifted_likelihood(path: str | Path) -> np.ndarray | None:
    """The ``likelihood`` dataset of a :func:`write_dlc_3d` output, if present."""
    import h5py

    with h5py.File(path, "r") as fh:
        if LIKELIHOOD_KEY in fh and isinstance(fh[LIKELIHOOD_KEY], h5py.Dataset):
            return np.asarray(fh[LIKELIHOOD_KEY][()], dtype=np.float64)
    return None


def count_dlc_rows(path: str | Path) -> int | None:
    """Frames (rows) in a DLC-style ``.h5`` (the table's row count; the object's length for
    a fixed-format file); None when the file cannot be read as one."""
    try:
        with PYTABLES_LOCK, pd.HDFStore(path, mode="r") as store:
            keys = store.keys()
            key = f"/{DLC_KEY}" if f"/{DLC_KEY}" in keys else keys[0]
            nrows = getattr(store.get_storer(key), "nrows", None)
            return int(nrows) if nrows is not None else len(store_get(store, key))
    except Exception:  # noqa: BLE001 - a count, not a reader: None says "unknown"
        return None
