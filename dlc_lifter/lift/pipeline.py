"""Lift one pose file: read it, check its video, lift (with depth when it can), write.

:func:`lift_file` is the file pipeline every front end uses (the ``lift`` verb, DLC projects
and SLEAP batches): it reads the 2D (:mod:`dlc_lifter.io`), checks the video, lifts with the
depth path (:mod:`dlc_lifter.lift.depth_path`) or the keypoints only
(:func:`dlc_lifter.lift.core.lift_poses`), and writes every output format asked for
(:mod:`dlc_lifter.lift.outputs`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from dlc_lifter.errors import DLCLifterError, FrameCountError, VideoError
from dlc_lifter.lift.camera_estimate import resolve_image_size
from dlc_lifter.lift.lifter import Lifter
from dlc_lifter.lift.poses import lift_poses
from dlc_lifter.poses import Poses

__all__ = ["lift_file"]

logger = logging.getLogger(__name__)


def _check_video(video: str | Path, poses: Poses) -> tuple[int, int] | None:
    """Open the video; check its frame count. Returns its size, or None (keypoints only)."""
    from dlc_lifter.io import open_video

    try:
        with open_video(video) as v:
            n, size, fps = int(v.n_frames), tuple(v.size), v.fps
    except VideoError as exc:
        logger.warning("%s; lifting from keypoints only.", exc)
        return None
    fi = np.asarray(poses.frame_indices)
    contiguous = len(fi) > 0 and fi[0] == 0 and np.all(np.diff(fi) == 1)
    if n > 0 and ((contiguous and poses.n_frames != n) or (len(fi) and fi.max() >= n)):
        raise FrameCountError(
            f"The video {video} has {n} frames but the pose file {poses.meta.source} has "
            f"{poses.n_frames} frames (last frame index {int(fi.max()) if len(fi) else -1}); "
            "pass the video the poses were tracked on.")
    logger.info("Video %s (%d frames) opened and matches the poses.", video, n)
    if not poses.meta.fps and fps:
        poses.meta.fps = float(fps)
    return size  # type: ignore[return-value]



def lift_file(
    poses_path: str | Path,
    *,
    video: str | Path | None = None,
    calibration: str | Path | None = None,
    camera: str | None = None,
    camera_height_mm: float | None = None,
    focal_px: float | None = None,
    arena_size_mm: float | None = None,
    model: str | Path | None = None,
    destfolder: str | Path | None = None,
    save_as_csv: bool = False,
    nwb: bool = False,
    overwrite: bool = False,
    keypoint_map: str | Path | Mapping[str, str | None] | None = None,
    impute_all: bool = True,
    mode: str = "temporal",
    pcutoff: float = 0.6,
    depth: bool | None = None,
    strict: bool = False,
    formats: str | Sequence[str] = ("dlc",),
    fps: float | None = None,
) -> Path:
    """Lift a 2D pose file (DLC, SLEAP, NWB) to 3D and write ``<stem>_lifted3d.h5``.

    Parameters
    ----------
    poses_path
        DLC ``.h5``/``.csv``, SLEAP ``.slp``/analysis ``.h5`` or NWB file (never modified).
    video
        The video the poses were tracked on: checked to open and to have as many frames
        as the poses (an unreadable video is warned about and the lift uses keypoints
        only).
    calibration, camera
        Anipose calibration TOML and camera name: output in its world frame.
    camera_height_mm, focal_px, arena_size_mm
        Camera information when there is no calibration (see :func:`resolve_camera`);
        output in the camera-floor frame.
    model
        Weights (default: the shipped pretrained model).
    destfolder
        Output folder (default: beside the input).
    save_as_csv
        Also write a ``.csv`` (adds ``csv`` to ``formats``).
    nwb
        Also write ``<stem>_lifted3d.nwb`` (NWB + ndx-pose; adds ``nwb`` to ``formats``).
    overwrite
        Replace existing outputs.
    keypoint_map
        YAML file (or dict) mapping the file's keypoint names onto the catalogue.
    impute_all
        Also output the catalogue keypoints the file does not track (flagged imputed).
    mode
        ``temporal`` (default), ``causal`` or ``frame`` network.
    pcutoff
        Keypoints below this likelihood are imputed instead of lifted along their ray.
    depth
        Read depth cues from the video's frames with the depth network and lift with the
        fused lifter (:mod:`dlc_lifter.lift.depth_path`; on held-out renders it beats
        PyMouse Lifter's method everywhere and the keypoints-only lifter on rearing frames
        and with many keypoints, ``benchmarks/depth.py``).
        ``None`` (default): whenever ``video`` is given and readable and no custom
        ``model`` is given; ``False``: keypoints only; ``True``: as ``None`` but also with
        a custom ``model`` (which is then only the fallback). Whenever the depth path
        cannot run (no or unreadable video, missing depth weights, undecodable frames)
        the lift falls back to the keypoints, and says so in the log and in the output's
        metadata (``depth_used``, ``depth_reason``).
    strict
        Raise for keypoint names that map to nothing instead of dropping them (with a
        warning); the output's metadata records how every name was used
        (``keypoint_map``).
    formats
        Output formats, any of ``dlc``, ``csv``, ``nwb``, ``slp``, ``points3d`` (see
        :mod:`dlc_lifter.lift.outputs`); the meta pickle is always written.
    fps
        Frames per second of the recording, when the file does not say (or says wrong);
        otherwise from the file's metadata, else from the video. Recorded in the outputs
        (NWB timing, features).

    Returns
    -------
    Path
        The 3D ``.h5`` written (without ``dlc`` in ``formats``: the first output written).

    Raises
    ------
    OutputExistsError
        When an output exists and ``overwrite`` is false (checked before any work).
    OutputFormatError
        When some formats could not be written; every other one was.
    PoseFileError, KeypointMappingError, UnknownKeypointError, FrameCountError,
    CalibrationError, ModelLoadError
        For bad input, each naming the file and what to do.
    """
    from dlc_lifter._atomic import check_writable
    from dlc_lifter.io import lifted_output_path, meta_pickle_path, read_poses
    from dlc_lifter.lift.outputs import output_paths, parse_formats, write_outputs

    t0 = time.perf_counter()
    src = Path(poses_path)
    out = Path(lifted_output_path(src, destfolder))
    fmts = parse_formats([*parse_formats(formats), *(["csv"] if save_as_csv else []),
                          *(["nwb"] if nwb else [])])
    for target in [*output_paths(out, fmts).values(), meta_pickle_path(out)]:
        check_writable(target, overwrite=overwrite)
    poses = read_poses(src)
    if fps is not None:
        if not (np.isfinite(fps) and fps > 0):
            raise DLCLifterError(f"fps must be a positive number; got {fps}.")
        poses.meta.fps = float(fps)
    video_size = None
    if video is not None:
        video_size = _check_video(video, poses)
        if video_size is not None:
            poses.meta.video = str(video)
    lifter = Lifter.load(model, mode=mode, pcutoff=pcutoff)
    size = resolve_image_size(poses, video_size, calibration)
    camera_kwargs = dict(calibration=calibration, camera=camera,
                         camera_height_mm=camera_height_mm, focal_px=focal_px,
                         arena_size_mm=arena_size_mm, keypoint_map=keypoint_map,
                         image_size=size, impute_all=impute_all, strict=strict)
    want_depth = (model is None) if depth is None else bool(depth)
    reason = None
    if want_depth and video_size is not None:
        from dlc_lifter.lift.depth_path import lift_poses_with_depth

        poses3d = lift_poses_with_depth(poses, video, lifter=lifter, **camera_kwargs)
        info = poses3d.meta.extra.get("depth", {})
        used, reason = bool(info.get("used")), info.get("reason")
    else:
        used = False
        if not want_depth:
            reason = ("depth=False" if depth is False else
                      "custom model without depth=True")
        elif video is None:
            reason = "no video given"
        else:
            reason = f"video {video} unreadable"
        if depth:  # asked for explicitly
            logger.warning("%s: depth fusion needs a readable video (%s); lifting from "
                           "keypoints only.", src.name, reason)
        else:
            logger.info("%s: lifting from keypoints only (%s).", src.name, reason)
        poses3d = lift_poses(poses, lifter=lifter, **camera_kwargs)
    meta = {"units": "mm", "coordinate_frame": poses3d.meta.frame,
            "camera_source": poses3d.meta.extra["camera_source"],
            "camera_estimate": poses3d.meta.extra["camera_estimate"],
            "depth_used": used, "depth_reason": reason,
            "keypoint_map": poses3d.meta.extra["keypoint_map"],
            "arena_px": poses3d.meta.extra["arena_px"],
            "lift_mode": poses3d.meta.extra["lift_mode"],
            "lift_seconds": round(time.perf_counter() - t0, 3)}
    written = write_outputs(poses3d, out, fmts, poses2d=poses, meta=meta, overwrite=overwrite,
                            source_nwb=src if src.suffix.lower() == ".nwb" else None)
    logger.info("Lifted %s (%d frames, %d individuals, camera: %s) in %.1f s", src.name,
                poses.n_frames, poses.n_individuals, poses3d.meta.extra["camera_source"],
                time.perf_counter() - t0)
    return written.get("dlc", next(iter(written.values())))
