"""Format detection: :func:`read_poses` reads any supported 2D/3D pose file."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from dlc_lifter.errors import PoseFileError
from dlc_lifter.io._common import (
    check_input_file,
    check_poses,
    fill_video_info,
    is_hdf5,
    mask_origin_placeholders,
    read_error_summary,
    recorded_path,
)
from dlc_lifter.io.config import DLCConfig, read_dlc_config
from dlc_lifter.poses import Poses

if TYPE_CHECKING:
    import h5py

__all__ = ["READABLE_FILES", "SUPPORTED_EXTENSIONS", "detect_format", "read_poses"]

logger = logging.getLogger(__name__)

#: File extensions :func:`read_poses` understands.
SUPPORTED_EXTENSIONS = (".h5", ".hdf5", ".csv", ".slp", ".nwb", ".nc")

#: The pose files :func:`read_poses` reads (each format :func:`detect_format` names), in a
#: user's words: the command line's help of a pose-file argument and the error for an
#: unknown extension say it.
READABLE_FILES = (
    "DeepLabCut .h5/.csv (analyze_videos, multi-animal, labelled data), SLEAP .slp or "
    "analysis .h5/.csv, JABS _pose_est_vN.h5, NWB (ndx-pose), movement poses saved as "
    "netCDF (.nc), or a one-header-row csv of <bodypart>_x, _y, _p columns (SimBA's)")

#: What each of DeepLabCut's multi-animal pickles is, and how it becomes a pose table.
_DLC_PICKLES = (
    (("_full",), "DeepLabCut's raw detections", "assemble them "
     "(deeplabcut.analyze_videos does), then deeplabcut.convert_detections2tracklets and "
     "deeplabcut.stitch_tracklets, which writes the .h5"),
    (("_assemblies",), "DeepLabCut's assemblies (animals per frame, no identities yet)",
     "make tracklets with deeplabcut.convert_detections2tracklets, then "
     "deeplabcut.stitch_tracklets, which writes the .h5"),
    (("_el", "_bx", "_sk"), "DeepLabCut's tracklets", "deeplabcut.stitch_tracklets writes "
     "the .h5 (deeplabcut.convert_raw_tracks_to_h5, the tracklets unstitched)"),
    (("_meta",), "DeepLabCut's metadata of an analysis", "pass the .h5 beside it"),
)


def _pickle_advice(p: Path) -> str:
    """What a pickle ``p`` is (by DeepLabCut's suffix) and how to get a pose table of it."""
    stem = p.stem.lower()
    for suffixes, what, how in _DLC_PICKLES:
        if stem.endswith(suffixes):
            return f"{what}; {how}, and lift that."
    return ("DeepLabCut writes pickles of detections (_full), assemblies (_assemblies), "
            "tracklets (_el/_bx/_sk) and metadata (_meta); pass the .h5 that "
            "deeplabcut.analyze_videos (or stitch_tracklets) wrote.")

def _open_hdf5(path: Path) -> h5py.File:
    """Open an HDF5 file for reading; one clear error when it cannot be (truncated, damaged)."""
    import h5py

    try:
        return h5py.File(path, "r")
    except OSError as exc:
        why = read_error_summary(exc)
        raise PoseFileError(
            f"{path} cannot be opened as HDF5: {why}. Copy it again from where it came "
            "from, or re-export it from the tool that wrote it.") from None


def detect_format(path: str | Path) -> str:
    """Name a pose file's format.

    One of ``dlc-h5``, ``sleap-h5`` (SLEAP analysis), ``sleap-points3d``
    (sleap-anipose ``points3d.h5``), ``jabs`` (JABS ``_pose_est_v<N>.h5``), ``dlc-csv``,
    ``flat-csv`` (one header row of ``<bodypart>_x/_y/_p`` columns: SimBA's tables,
    :mod:`dlc_lifter.io.flat_csv`), ``sleap-csv`` (SLEAP's analysis csv, sleap-io's csv
    layouts), ``sleap-slp``, ``nwb``, ``movement-nc`` (movement's poses saved as netCDF,
    :mod:`dlc_lifter.io.movement_nc`).

    Raises
    ------
    PoseFileError
        When the file is missing, empty, of an unknown extension or not HDF5 where
        HDF5 is expected.
    """
    p = check_input_file(path)
    ext = p.suffix.lower()
    if ext == ".pickle" or ext == ".pkl":
        raise PoseFileError(f"{p} is a pickle, not a pose table: {_pickle_advice(p)}")
    if ext not in SUPPORTED_EXTENSIONS:
        raise PoseFileError(
            f"{p}: unknown pose file extension '{p.suffix}'. dlc-lifter reads "
            f"{READABLE_FILES}.")
    if ext == ".csv":
        from dlc_lifter.io.flat_csv import csv_table_kind

        if is_hdf5(p):  # a DeepLabCut .h5 saved or renamed as .csv
            raise PoseFileError(
                f"{p} is an HDF5 file (a DeepLabCut .h5 table?), not a csv, although its "
                "extension says csv: lift a copy of it named with .h5, or the csv DeepLabCut "
                "wrote beside it.")
        return csv_table_kind(p) or "dlc-csv"
    if ext == ".nc":
        from dlc_lifter.io.movement_nc import is_netcdf

        if not is_netcdf(p):
            raise PoseFileError(
                f"{p} is not a netCDF file although its extension says so; it may be "
                "truncated or mis-named. Save it again with movement (ds.to_netcdf).")
        return "movement-nc"
    if not is_hdf5(p):
        kind = {".slp": "SLEAP .slp", ".nwb": "NWB"}.get(ext, "HDF5")
        from dlc_lifter.io.dlc import dlc_csv_coords

        if dlc_csv_coords(p) is not None:
            raise PoseFileError(
                f"{p} holds a DeepLabCut csv table (its header rows read 'scorer', ..., "
                f"'coords'), not {kind}, although its extension says so: lift a copy of it "
                "named with .csv.")
        raise PoseFileError(
            f"{p} is not an HDF5 file although its extension says {kind}; it may be "
            "truncated or mis-named. Re-export it from the tool that made it.")
    from dlc_lifter.io.jabs import is_jabs_h5
    from dlc_lifter.io.sleap import (
        is_sleap_analysis_h5,
        is_sleap_points3d_h5,
        sleap_labels_problem,
    )

    with _open_hdf5(p) as fh:  # opened once: it must open, and its layout names it
        problem = sleap_labels_problem(fh, p)
        if problem is not None:
            raise PoseFileError(problem)
        if ext == ".slp":
            return "sleap-slp"
        if ext == ".nwb":
            return "nwb"
        if is_sleap_points3d_h5(fh):
            return "sleap-points3d"
        if is_jabs_h5(fh):
            return "jabs"
        return "sleap-h5" if is_sleap_analysis_h5(fh) else "dlc-h5"


def read_poses(
    path: str | Path,
    *,
    key: str | None = None,
    config: str | Path | DLCConfig | None = None,
    individual: str | int | None = None,
    sleap_video: str | int | None = None,
) -> Poses:
    """Read 2D (or 3D) poses from any supported file, detecting its format.

    Parameters
    ----------
    path
        DeepLabCut ``.h5``/``.csv`` (``analyze_videos``, ``_filtered``, multi-animal,
        labelled ``CollectedData_*``, 3D), SLEAP ``.slp``, analysis ``.h5`` or ``.csv``
        (and sleap-io's csv layouts), sleap-anipose ``points3d.h5`` (3D), JABS
        ``_pose_est_v<N>.h5``, NWB with ndx-pose, a movement poses dataset saved as
        netCDF (``.nc``), or a one-header-row csv (SimBA's ``Nose_1_x, Nose_1_y,
        Nose_1_p``; :data:`READABLE_FILES` says it for users).
    key
        HDF5 table key of a DLC ``.h5`` (default: the only one, else
        ``df_with_missing``, else ``tracks``).
    config
        DeepLabCut ``config.yaml`` (or :class:`DLCConfig`): adds ``pcutoff``, the
        skeleton and the project's videos to the metadata.
    individual
        Keep only this individual (name or position).
    sleap_video
        For a SLEAP ``.slp`` holding several videos' frames (a labels project): which video
        (its position among those with frames, or its file name or stem;
        :func:`~dlc_lifter.io.sleap.sleap_videos`); default the first.

    Returns
    -------
    Poses
        With ``meta.source``, ``source_format``, ``scorer`` and, where known, ``fps``,
        ``image_size`` and ``video``.

    Raises
    ------
    PoseFileError
        When the file is missing, empty, of an unknown format, broken, holds duplicate
        keypoint names, or every keypoint is missing in every frame.
    """
    p = Path(path)
    fmt = detect_format(p)
    if sleap_video is not None and fmt != "sleap-slp":
        raise PoseFileError(f"{p}: sleap_video= chooses a video of a SLEAP .slp; this file "
                            "holds one recording. Leave it out.")
    if fmt == "dlc-csv":
        from dlc_lifter.io.dlc import read_dlc_csv

        poses = read_dlc_csv(p)
    elif fmt == "flat-csv":
        from dlc_lifter.io.flat_csv import read_flat_csv

        poses = read_flat_csv(p)
    elif fmt == "sleap-csv":
        from dlc_lifter.io.flat_csv import read_sleap_csv

        poses = read_sleap_csv(p)
    elif fmt == "dlc-h5":
        from dlc_lifter.io.dlc import read_dlc_h5

        poses = read_dlc_h5(p, key=key)
    elif fmt == "sleap-h5":
        from dlc_lifter.io.sleap import read_sleap_analysis_h5

        poses = read_sleap_analysis_h5(p)
    elif fmt == "sleap-points3d":
        from dlc_lifter.io.sleap import read_points3d

        poses = read_points3d(p)
    elif fmt == "sleap-slp":
        from dlc_lifter.io.sleap import read_slp

        poses = read_slp(p, video=sleap_video)
    elif fmt == "jabs":
        from dlc_lifter.io.jabs import read_jabs

        poses = read_jabs(p)
    elif fmt == "movement-nc":
        from dlc_lifter.io.movement_nc import read_movement_netcdf

        poses = read_movement_netcdf(p)
    else:
        from dlc_lifter.io.nwb import read_nwb

        poses = read_nwb(p)
    if config is not None:
        cfg = config if isinstance(config, DLCConfig) else read_dlc_config(config)
        _apply_config(poses, cfg, p)
    elif (poses.meta.source_format in ("dlc-h5", "dlc-csv") and poses.meta.image_size is None
          and p.parent.name == "videos" and (p.parent.parent / "config.yaml").is_file()):
        try:  # in its project's videos folder, without its video's metadata
            cfg = read_dlc_config(p.parent.parent / "config.yaml")
        except Exception as exc:  # noqa: BLE001 - a bonus: the size is guessed otherwise
            logger.debug("Could not read %s: %s", p.parent.parent / "config.yaml", exc)
        else:
            _frame_size_from_config(poses, cfg, p)
    if individual is not None:
        poses = poses.select_individual(individual, lambda names: PoseFileError(
            f"{p} has no individual {individual!r}; it has {names}."))
    fill_video_info(poses)
    mask_origin_placeholders(poses, p)
    check_poses(poses, p)
    logger.debug("Read %r", poses)
    return poses


def _frame_size_from_config(poses: Poses, cfg: DLCConfig, path: Path) -> None:
    """The frame size of an analysed video not found here, from its project's
    ``video_sets``: DeepLabCut records each video added to a project with ``crop: 0, width,
    0, height``, its whole frame, until the user crops it for labelling. Taken where the
    crop starts at the frame's corner and every tracked point lies inside it (a crop made
    for labelling that cuts the frame shows as points outside)."""
    stems = [recorded_path(str(k)).stem for k in (cfg.raw.get("video_sets") or {})]
    stems = sorted((s for s in stems if s and path.stem.startswith(s)), key=len, reverse=True)
    crop = cfg.crop(stems[0]) if stems else None
    if crop is None or crop[0] != 0 or crop[2] != 0:
        return
    size = (crop[1], crop[3])
    xy = poses.coords[..., :2]
    if np.isfinite(xy).any() and (np.nanmax(xy[..., 0]) > size[0] * 1.01
                                  or np.nanmax(xy[..., 1]) > size[1] * 1.01):
        logger.debug("%s: points lie outside the video_sets crop of %s in %s; not taken as "
                      "the frame size.", path, stems[0], cfg.path)
        return
    poses.meta.image_size = size
    poses.meta.extra["image_size_from"] = f"{cfg.path} (video_sets crop of {stems[0]})"
    logger.info("%s: frames of %dx%d, the video_sets crop of %s in %s (its video is not "
                "here).", path, size[0], size[1], stems[0], cfg.path)


def _apply_config(poses: Poses, cfg: DLCConfig, path: Path) -> None:
    meta = poses.meta
    meta.extra["pcutoff"] = cfg.pcutoff
    meta.extra["dlc_config"] = str(cfg.path)
    if cfg.skeleton and "skeleton_edges" not in meta.extra:
        meta.extra["skeleton_edges"] = [e for e in cfg.skeleton
                                        if e[0] in poses.keypoints and e[1] in poses.keypoints]
    if meta.source_format == "dlc-labels":
        from dlc_lifter.io.dlc import labelled_size_from_project

        labelled_size_from_project(poses, path, cfg)
    if meta.video is None and meta.source_format in ("dlc-h5", "dlc-csv"):
        stem = path.stem
        for v in cfg.video_sets:
            vp = Path(v)
            if stem.startswith(vp.stem):
                for cand in (vp, cfg.path.parent / "videos" / vp.name):
                    if cand.is_file():
                        meta.video = str(cand)
                        return
        if meta.image_size is None:
            _frame_size_from_config(poses, cfg, path)
    unknown = [k for k in poses.keypoints if cfg.all_bodyparts and k not in cfg.all_bodyparts]
    if unknown:
        logger.warning("%s: bodyparts %s are not in %s.", path, ", ".join(unknown), cfg.path)
