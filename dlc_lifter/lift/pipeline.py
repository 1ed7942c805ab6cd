"""Lift one pose file: read it, check its video, lift (with depth when it can), write.

:func:`lift_file` is the file pipeline every front end uses (the ``lift`` verb, DLC projects
and SLEAP batches): it reads the 2D (:mod:`dlc_lifter.io`), checks the video, lifts with the
depth path (:mod:`dlc_lifter.lift.depth_path`) or the keypoints only
(:func:`dlc_lifter.lift.lift_poses`), and writes every output format asked for
(:mod:`dlc_lifter.lift.outputs`). :func:`add_formats` writes formats a finished lift lacks
from that lift, as :func:`lift_file` would have written them, without lifting again.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from dlc_lifter.errors import DLCLifterError, FrameCountError, PoseFileError, VideoError
from dlc_lifter.io.config import DEFAULT_PCUTOFF
from dlc_lifter.io.provenance import source_record
from dlc_lifter.io.sleap import VIDEO_NOT_USED
from dlc_lifter.lift.camera_estimate import IMAGE_SIZE_GUESSED, image_size_and_source
from dlc_lifter.lift.keypoints import plan_lift_keypoints
from dlc_lifter.lift.lifter import Lifter
from dlc_lifter.lift.options import OPTION_FLAGS, CameraSpec, LiftOptions, OutputSpec, as_record
from dlc_lifter.lift.poses import already_3d_message, lift_poses
from dlc_lifter.poses import PoseMetadata, Poses

__all__ = ["add_formats", "embedded_images_whence", "lift_file", "lift_file_with_its_video",
           "lifted_nwb_metadata", "video_named_by"]

logger = logging.getLogger(__name__)

#: Pose files that number their frames (SLEAP's ``.slp``, analysis ``.h5`` and ``.csv``):
#: frames ``0..N-1`` of a longer video are its first N (SLEAP tracked part of it, or its
#: analysis file ends at the last frame it tracked), where a DeepLabCut ``analyze_videos``
#: table holds one row per frame of the whole video.
FRAME_NUMBERED_FORMATS: frozenset[str] = frozenset({"sleap-slp", "sleap-h5", "sleap-csv"})


def _check_video(video: str | Path, poses: Poses, *, found: bool = False
                 ) -> tuple[tuple[int, int] | None, str | None]:
    """Open the video; check its frame count. Returns its size and ``None``, or ``None``
    and why the lift goes on without it (keypoints only, warned): ``"does not exist"``,
    ``"unreadable"``, ``"frame count off"``.

    A SLEAP file's frames ``0..N-1`` of a longer video are its first N
    (:data:`FRAME_NUMBERED_FORMATS`). A count off by at most
    :data:`~dlc_lifter.io.video.FRAME_COUNT_SLACK` frames is warned
    about and the video used; more is an error for a video given, and for a video ``found``
    beside the file (not given) a warning, the lift going on without it. Labelled images
    (``meta.extra["image_paths"]``: a SLEAP package's, DLC's labelled data) are a sample of
    the video's frames, never the whole recording: the video need only hold each of them.
    """
    from dlc_lifter.io import open_video
    from dlc_lifter.io.video import FRAME_COUNT_SLACK

    try:
        with open_video(video) as v:
            n, size, fps = int(v.n_frames), tuple(v.size), v.fps
    except VideoError as exc:  # its message ends with what to do, as a sentence
        logger.warning("%s The lift goes on from the keypoints only (no depth cues, no "
                       "video recorded in the outputs).", exc)
        return None, "does not exist" if not Path(video).is_file() else "unreadable"
    fi = np.asarray(poses.frame_indices)
    images = "image_paths" in poses.meta.extra
    contiguous = (not images and len(fi) > 0 and fi[0] == 0
                  and bool(np.all(np.diff(fi) == 1)))
    # SLEAP numbers its frames and stops at the last it tracked (`sleap-track --frames`,
    # an analysis file's rows): poses over the start of a longer video are its own
    start = (contiguous and 0 < poses.n_frames < n
             and poses.meta.source_format in FRAME_NUMBERED_FORMATS)
    if n > 0 and not start and ((contiguous and poses.n_frames != n)
                                or (len(fi) and fi.max() >= n)):
        off = abs(poses.n_frames - n) if contiguous else int(fi.max()) + 1 - n
        counts = (f"The video {video} has {n} frames but the pose file {poses.meta.source} "
                  f"has {poses.n_frames} frames (last frame index "
                  f"{int(fi.max()) if len(fi) else -1})")
        if off <= FRAME_COUNT_SLACK:
            logger.warning("%s: off by %d, as a video's frame count can be; lifted with "
                           "it%s.", counts, off,
                           " (the frames past its end without its cues)"
                           if len(fi) and fi.max() >= n else "")
        elif found:
            logger.warning("%s: not its video? Lifting from keypoints only; give the video "
                           "the poses were tracked on (dlc-lifter lift FILE "
                           "--video V), or put it beside the pose file in this one's place.",
                           counts)
            return None, "frame count off"
        else:
            raise FrameCountError(
                f"{counts}; pass the video the poses were tracked on, or lift without one "
                f"(video=None; a batch's file alone: dlc-lifter lift {poses.meta.source} "
                "--no-video).")
    elif n <= 0:  # an image sequence, a stream: OpenCV knows no count (nor a true rate)
        logger.info("Video %s opened; its frame count is unknown, so neither it nor its frame "
                    "rate is checked against the poses.", video)
        return size, None  # type: ignore[return-value]
    elif images:
        logger.info("Video %s (%d frames) opened; it holds each of the %d labelled frames.",
                    video, n, poses.n_frames)
    elif start:
        logger.info("Video %s (%d frames) opened; the poses are of its first %d frames "
                    "(0..%d), as %s numbers them.", video, n, poses.n_frames,
                    poses.n_frames - 1, Path(str(poses.meta.source)).name)
    else:
        logger.info("Video %s (%d frames) opened and matches the poses.", video, n)
    if not poses.meta.fps and fps:
        poses.meta.fps = float(fps)
    elif poses.meta.fps and fps and not _same_rate(poses.meta.fps, fps):
        logger.warning("The video %s runs at %.4g fps; the poses are lifted at %.4g fps (given "
                       "or their file's), not the video's: check --fps.", video, fps,
                       poses.meta.fps)
    return size, None  # type: ignore[return-value]


def _same_rate(a: float, b: float) -> bool:
    """Two frame rates alike within 1 % (a video's 29.97 and a file's 30 are one rate)."""
    return abs(float(a) - float(b)) <= 0.01 * max(float(a), float(b))


def lifted_nwb_metadata(metadata: Mapping[str, Any], poses_path: str | Path,
                        record: Mapping[str, Any]) -> dict[str, Any] | None:
    """The NWB metadata of a finished lift's recording, chosen as :func:`lift_file` chose
    it (:func:`~dlc_lifter.io.nwb.nwb_metadata_for` by the pose file, then the video): the
    video its record (``record``, :func:`~dlc_lifter.io.read_lift_record`) says it read,
    or was given or found but could not use (a video named but not there was not read, and
    lift_file passed none)."""
    from dlc_lifter.io.nwb import nwb_metadata_for

    return nwb_metadata_for(metadata, poses_path,
                            _recording_video(record.get("video"), record.get("video_not_used")))


def _recording_video(video: Any, unused: Any) -> str | None:
    """The video a lift's NWB metadata is chosen by: the one it read (its own, a SLEAP
    file's included), else the one given or found that it could not use."""
    if video and Path(str(video)).is_file():
        return str(video)
    return str(unused["path"]) if isinstance(unused, dict) and unused.get("path") else None


def lift_file(
    poses_path: str | Path,
    *,
    video: str | Path | Literal["auto"] | None = None,
    sleap_video: str | int | None = None,
    camera: CameraSpec = CameraSpec(),
    options: LiftOptions = LiftOptions(),
    output: OutputSpec = OutputSpec(),
) -> Path:
    """Lift a 2D pose file (DLC, SLEAP, NWB) to 3D and write ``<stem>_lifted3d.h5``.

    Parameters
    ----------
    poses_path
        DLC ``.h5``/``.csv``, SLEAP ``.slp``/analysis ``.h5`` or NWB file (never modified).
    video
        The video the poses were tracked on: checked to open and to have as many frames
        as the poses (a missing or unreadable video is warned about and the lift uses
        keypoints only; the outputs then name no video, and the meta pickle's
        ``video_not_used`` says which and why). ``"auto"``: the video the file names
        (SLEAP, NWB) or that lies beside it under its stem (DeepLabCut, JABS), as the
        batches find it (:func:`video_named_by`; none there: keypoints only, warned); the
        ``lift`` command's default.
    sleap_video
        For a SLEAP ``.slp`` holding several videos' frames (a labels project): which one
        to lift (its position or file name, :func:`~dlc_lifter.io.sleap.sleap_videos`;
        default the first, warned); the output is then named
        ``<stem>.<video stem>_lifted3d.h5``.
    camera
        The camera and the recording (:class:`~dlc_lifter.lift.options.CameraSpec`): with
        a calibration the output is in its world frame, with tracked arena corners and
        ``arena_size_mm`` in the arena frame, otherwise in the camera-floor frame
        (see :func:`resolve_camera`). ``camera.fps`` overrides the file's frame rate
        (recorded in the outputs: NWB timing, features).
    options
        How to lift (:class:`~dlc_lifter.lift.options.LiftOptions`). With ``options.depth``
        ``None`` (default) the depth cues of the video's frames are used (depth network +
        fused lifter, :mod:`dlc_lifter.lift.depth_path`) whenever ``video`` is readable
        and no custom ``options.model`` is given; whenever the depth path cannot run (no
        or unreadable video, missing depth weights, undecodable frames) the lift falls back
        to the keypoints, and says so in the log and in the output's metadata
        (``depth_used``, ``depth_reason``). With ``options.strict`` keypoint names that map
        to nothing raise instead of being dropped (with a warning); the metadata records
        how every name was used (``keypoint_map``).
    output
        What to write where (:class:`~dlc_lifter.lift.options.OutputSpec`): the folder
        (default: beside the input), the formats (default ``dlc``; see
        :mod:`dlc_lifter.lift.outputs`; the meta pickle is always written) and whether to
        replace existing outputs.

    Returns
    -------
    Path
        The 3D ``.h5`` written (without ``dlc`` in ``formats``: the first output written).

    Raises
    ------
    OutputExistsError
        When an output exists and ``output.overwrite`` is false (checked before any work).
    OutputFormatError
        When some formats could not be written; every other one was.
    PoseFileError, KeypointMappingError, UnknownKeypointError, FrameCountError,
    CalibrationError, ModelLoadError
        For bad input, each naming the file and what to do.

    Examples
    --------
    >>> from dlc_lifter.lift import CameraSpec, LiftOptions, OutputSpec, lift_file
    >>> lift_file("videoDLC_resnet50.h5", video="video.mp4",  # doctest: +SKIP
    ...           camera=CameraSpec(arena_size_mm=420.0),
    ...           options=LiftOptions(keypoint_map="map.yaml"),
    ...           output=OutputSpec(formats=("dlc", "nwb")))
    PosixPath('videoDLC_resnet50_lifted3d.h5')
    """
    return _lift_file(poses_path, video, sleap_video=sleap_video, camera=camera,
                      options=options, output=output)[0]


def lift_file_with_its_video(
    poses_path: str | Path,
    *,
    sleap_video: str | int | None = None,
    camera: CameraSpec = CameraSpec(),
    options: LiftOptions = LiftOptions(),
    output: OutputSpec = OutputSpec(),
) -> tuple[Path, str | None]:
    """:func:`lift_file` with ``video="auto"``, returning the video too.

    The file is read once: the video comes from what was read (:func:`video_named_by`),
    as the batches lift the files they find.

    Returns
    -------
    tuple
        The 3D ``.h5`` written (as :func:`lift_file`) and the video lifted with, or ``None``
        where none was (none found, unreadable, or its frame count far off the file's:
        keypoints only, warned).
    """
    return _lift_file(poses_path, "auto", sleap_video=sleap_video, camera=camera,
                      options=options, output=output)


def add_formats(
    poses_path: str | Path,
    output: str | Path,
    formats: Sequence[str],
    *,
    sleap_video: str | int | None = None,
    nwb_metadata: str | Path | Mapping[str, Any] | None = None,
    overwrite: bool = False,
) -> dict[str, Path]:
    """Write formats a finished lift of ``poses_path`` lacks, from the lift, not lifting
    again (or, with ``overwrite``, write them again: an NWB of other metadata).

    The lift is read back as it was written (:func:`~dlc_lifter.io.read_lifted_output`:
    the ``.h5``, and the fps, camera, video and skeleton its meta pickle records) and
    written through the writers :func:`lift_file` uses
    (:func:`~dlc_lifter.lift.outputs.add_outputs`), with the 2D read again for a ``.slp``
    (which keeps it) and the NWB metadata chosen for the file as :func:`lift_file` chooses
    it. Whether the lift is this file's, as it is now, with the options wanted, is the
    caller's to check (the batches compare the meta pickle's record). The meta pickle
    records the formats (``formats``, ``output_spec``) and the NWB metadata written.

    Parameters
    ----------
    poses_path
        The 2D pose file that was lifted.
    output
        Its lift, ``<stem>_lifted3d.h5``.
    formats
        The formats to add (not ``dlc``; see :mod:`dlc_lifter.lift.outputs`); none of
        their files may exist, unless ``overwrite``.
    sleap_video
        The video of a SLEAP ``.slp`` holding several that was lifted (as for
        :func:`lift_file`).
    nwb_metadata
        The NWB output's session and subject (``OutputSpec.nwb_metadata``).
    overwrite
        Replace the files of ``formats`` that exist (atomically, as every output is
        written).

    Returns
    -------
    dict
        ``{format: path}`` written (``meta`` for the meta pickle, whose ``formats`` now
        lists them).

    Raises
    ------
    OutputExistsError
        When the file of one of ``formats`` exists (and not ``overwrite``).
    OutputBusyError
        When another run holds ``output``'s claim.
    OutputFormatError
        When some formats could not be written; every other one was.
    PoseFileError
        When the lift or its meta pickle cannot be read.

    Examples
    --------
    >>> add_formats("mouse1DLC_resnet50.h5",  # doctest: +SKIP
    ...             "mouse1DLC_resnet50_lifted3d.h5", ["nwb", "csv"])
    {'csv': ..., 'nwb': ..., 'meta': ...}
    """
    from dlc_lifter._atomic import claim_output
    from dlc_lifter.io import read_lift_record, read_lifted_output, read_poses
    from dlc_lifter.lift.outputs import add_outputs, clean_stale_temp_files, parse_formats

    src, out = Path(poses_path), Path(output)
    fmts = parse_formats(formats)
    nwb_meta = None
    if "nwb" in fmts and nwb_metadata is not None:  # checked before any work
        from dlc_lifter.io.nwb import read_nwb_metadata

        nwb_meta = read_nwb_metadata(nwb_metadata)
    with claim_output(out):  # no other run writes it meanwhile
        clean_stale_temp_files(out)  # of formats a killed run was adding
        poses3d = read_lifted_output(out)
        if nwb_meta is not None:
            nwb_meta = lifted_nwb_metadata(nwb_meta, src, read_lift_record(out))
        poses2d = read_poses(src, sleap_video=sleap_video) if "slp" in fmts else None
        asked = as_record(OutputSpec(nwb_metadata=nwb_metadata))  # as lift_file records it
        written = add_outputs(poses3d, out, fmts, poses2d=poses2d,
                              source_nwb=src if src.suffix.lower() == ".nwb" else None,
                              nwb_metadata=nwb_meta, overwrite=overwrite,
                              output_spec={"nwb_metadata": asked["nwb_metadata"]}
                              if "nwb" in fmts else None)
    logger.info("%s: wrote %s from its lift %s, without lifting again.", src.name,
                ", ".join(f for f in fmts), out.name)
    return written


def embedded_images_whence(meta: PoseMetadata) -> str | None:
    """Where a SLEAP labels package's images came from, in words, when it has no video.

    Parameters
    ----------
    meta
        A read file's metadata (``meta.extra["embedded_images"]``, set by
        :func:`~dlc_lifter.io.read_poses` for a ``.pkg.slp``).

    Returns
    -------
    str or None
        ``"its images are embedded in the file (from session.mp4, not on this machine nor
        beside the file)"`` (or ``"(from x.pkg.slp, a SLEAP labels file, not a video)"``,
        or no parenthesis where the package records no source) where the file's frames are
        images embedded in it and the video they came from is not here; ``None`` where the
        file names a video (the source video, found) or its frames are not embedded. What
        :func:`video_named_by` logs and ``dlc-lifter info`` shows as the video.
    """
    embedded = meta.extra.get("embedded_images")
    if meta.video or not embedded:
        return None
    source = embedded.get("source_video")
    where = ("a SLEAP labels file, not a video" if embedded.get("source_is_labels")
             else "not on this machine nor beside the file")
    return "its images are embedded in the file" + (
        f" (from {source}, {where})" if source else "")


def video_named_by(poses: Poses, poses_path: str | Path) -> str | None:
    """The video a read pose file names (SLEAP, NWB) or that lies beside it under its stem
    (DeepLabCut, JABS: the readers look), if it exists; else ``None``, warned (DLC labelled
    data, images, silently; a SLEAP labels package's embedded images and predictions on a
    folder of images, at info)."""
    src = Path(poses_path)
    meta_video = poses.meta.video
    if not meta_video and poses.meta.source_format == "dlc-labels":  # images, never a video
        return None
    embedded = embedded_images_whence(poses.meta)
    if embedded:  # a SLEAP labels package's own images, their video not here
        logger.info("%s: %s: lifting keypoints only.", src, embedded)
        return None
    if not meta_video and "image_paths" in poses.meta.extra and not poses.is_3d:
        # predictions on a folder of images (analyze_time_lapse_frames, analyze_images)
        logger.info("%s: its rows are images, not a video's frames: lifting keypoints only.",
                    src)
        return None
    if not meta_video:
        logger.warning("%s: no video named in it or beside it: lifting keypoints only.", src)
        return None
    cand = Path(meta_video)
    for path in (cand, src.parent / cand.name):
        if path.is_file():
            logger.info("%s: lifting with its video %s.", src.name, path)
            return str(path)
    logger.warning("%s: its video %s is not there (nor beside the file): lifting keypoints "
                   "only.", src, meta_video)
    return None


def _lift_file(
    poses_path: str | Path,
    video: str | Path | Literal["auto"] | None,
    *,
    sleap_video: str | int | None,
    camera: CameraSpec,
    options: LiftOptions,
    output: OutputSpec,
) -> tuple[Path, str | None]:
    """:func:`lift_file`; returns the output written and the video used (``None`` where
    the lift went without one)."""
    from dlc_lifter._atomic import claim_output
    from dlc_lifter.io import lifted_output_path
    from dlc_lifter.lift.caught import collect_warnings
    from dlc_lifter.lift.outputs import clean_stale_temp_files, parse_formats

    t0 = time.perf_counter()
    if not isinstance(poses_path, (str, os.PathLike)):
        raise DLCLifterError(
            f"lift_file takes a pose file's path; got {type(poses_path).__name__}. Poses in "
            "memory (a DataFrame, arrays, sleap_io.Labels): make a dlc_lifter.Poses "
            "(Poses.from_dataframe(df)) and lift it with dlc_lifter.lift.lift_poses.")
    src = Path(poses_path)
    video_stem = None
    if sleap_video is not None:
        from dlc_lifter.io import detect_format, sleap_video_stem

        if src.is_file() and detect_format(src) != "sleap-slp":  # as read_poses says it
            raise PoseFileError(f"{src}: sleap_video= (--sleap-video) chooses a video of a "
                                "SLEAP .slp; this file holds one recording. Leave it out.")
        video_stem = sleap_video_stem(src, sleap_video)
    out = Path(lifted_output_path(src, output.destfolder, video_stem=video_stem))
    fmts = parse_formats(output.requested_formats())  # a bad format list before the claim
    with claim_output(out), collect_warnings() as said:  # no other run writes it meanwhile
        clean_stale_temp_files(out)
        return _lift_claimed(src, out, fmts, video, sleap_video=sleap_video,
                             video_stem=video_stem, camera=camera, options=options,
                             output=output, t0=t0, said=said)


def _refuse_a_lift_without_formats(src: Path, out: Path, fmts: tuple[str, ...],
                                   output: OutputSpec, camera: CameraSpec,
                                   options: LiftOptions) -> None:
    """Refuse to lift again a file lifted before whose formats asked for are missing, and
    say how they are added to the lift instead (the batches compare the lift's record of
    the input and options, which is what makes adding them safe: the command said carries
    the camera and lift options given, :func:`_given_flags`)."""
    from dlc_lifter.errors import OutputExistsError
    from dlc_lifter.lift.outputs import output_paths

    if output.overwrite or not out.exists():
        return
    missing = [f for f, q in output_paths(out, fmts).items() if not q.exists()]
    if missing:
        command = _lift_files_command(src, f"--format {','.join(fmts)}", camera, options,
                                      output)
        raise OutputExistsError(
            f"{out} exists: {src.name} was lifted before, without the "
            f"{' and '.join(missing)} output asked for. lift_files on it with these formats "
            f"({command}) writes "
            f"{'it' if len(missing) == 1 else 'them'} from that lift without lifting again, "
            "where it was lifted from the file as it is now with the same options; "
            "overwrite=True lifts it again.")


def _with_the_earlier_lifts_formats(out: Path, fmts: tuple[str, ...], output: OutputSpec
                                    ) -> tuple[tuple[str, ...], Mapping[str, Any] | None]:
    """The formats to write when lifting again over an earlier lift (``overwrite``): those
    asked for, and those of its files that exist beside it (a ``.csv`` or NWB of the lift
    replaced, not asked for now), so that no file of the earlier lift is left beside the
    new one; and the NWB metadata that NWB was written with, where none is given (else
    ``None``)."""
    from dlc_lifter.io import read_lift_record
    from dlc_lifter.lift.outputs import OUTPUT_FORMATS, output_paths, parse_formats

    if not output.overwrite:
        return fmts, None
    others = [f for f, p in output_paths(out, OUTPUT_FORMATS).items()
              if f not in fmts and p.exists()]
    if not others:
        return fmts, None
    logger.info("%s: lifted again over an earlier lift that also has its %s: written again "
                "too, so that none of its files is left beside the new one.", out.name,
                " and ".join(others))
    earlier = None
    if "nwb" in others and output.nwb_metadata is None:
        try:
            earlier = read_lift_record(out).get("nwb_metadata")
        except Exception:  # noqa: BLE001 - no record: the NWB is written as one asked for
            earlier = None
    return parse_formats([*fmts, *others]), earlier if isinstance(earlier, Mapping) else None


def _refuse_a_redo_of_one_file(src: Path, out: Path, output: OutputSpec, camera: CameraSpec,
                               options: LiftOptions) -> None:
    """Refuse ``redo_out_of_date`` for one file whose output exists: only a batch compares
    an output with its input, options, weights and version; say which command does."""
    from dlc_lifter.errors import OutputExistsError

    if not output.redo_out_of_date or output.overwrite or not out.exists():
        return
    raise OutputExistsError(
        f"{out} exists. redo_out_of_date=True is for batches, which lift an output again "
        f"only where it is out of date: lift_files on {src.name} with it "
        f"({_lift_files_command(src, '--redo-out-of-date', camera, options, output)}); "
        "overwrite=True lifts it again whatever it is.")


def _refuse_an_output_out_of_date(src: Path, out: Path, output: OutputSpec,
                                  options: LiftOptions) -> None:
    """Refuse to lift over an existing output that is out of date, saying how: its input
    changed since, or it was lifted by another dlc-lifter version or other weights
    (:func:`~dlc_lifter.lift.made_with.made_with_other_weights`). An output up to date,
    or one whose record cannot say, gets the plain refusal of an existing file."""
    from dlc_lifter.errors import OutputExistsError
    from dlc_lifter.io import read_lift_record
    from dlc_lifter.io.provenance import made_from, same_source, source_record
    from dlc_lifter.lift.made_with import made_with_other_weights

    if output.overwrite or not out.exists():
        return
    try:
        record = read_lift_record(out)
        here = source_record(src)
    except Exception:  # noqa: BLE001 - no record (not ours, older): the plain refusal
        return
    notes = []
    rec = record.get("source_file")
    if same_source(rec, here) and not made_from(rec, here):
        notes.append(f"{src.name} changed since it was lifted")
    made_with = made_with_other_weights(record, options.model)
    if made_with:
        notes.append(f"lifted by other weights or another version ({'; '.join(made_with)})")
    if notes:
        raise OutputExistsError(
            f"{out} exists and is out of date: {'; '.join(notes)}. overwrite=True lifts it "
            "again.")


def _lift_files_command(src: Path, flag: str, camera: CameraSpec, options: LiftOptions,
                        output: OutputSpec) -> str:
    """The ``lift-files`` command a message says for ``src``: ``flag``, then the camera and
    lift options given (:func:`_given_flags`) and the destination folder, so that, run as
    said, it finds the lift made with the same options."""
    folder = "" if output.destfolder is None else f" --destfolder {output.destfolder}"
    return f"dlc-lifter lift-files {src} {flag}{_given_flags(camera, options)}{folder}"


def _given_flags(camera: CameraSpec, options: LiftOptions) -> str:
    """The ``lift-files`` flags of the camera and lift options given (those not at their
    defaults), as a command line's tail (``" --arena-size-mm 420 --fps 25"``)."""
    parts: list[str] = []
    for spec in (camera, options):
        default = type(spec)()
        for name, flag in OPTION_FLAGS.items():
            if name not in type(spec).__dataclass_fields__:
                continue
            value = getattr(spec, name)
            if value == getattr(default, name) or isinstance(value, Mapping):
                continue  # at its default, or a keypoint map given as a mapping: no flag
            if name == "image_size":
                value = "x".join(str(int(v)) for v in value)
            elif isinstance(value, (tuple, list)):
                value = " ".join(f"{v:g}" for v in value)
            elif isinstance(value, float):
                value = f"{value:g}"
            parts.append(f"{flag} {value}")
    switches = ((options.depth is False, "--no-depth"), (options.depth is True, "--depth"),
                (not options.walls, "--no-walls"), (options.strict, "--strict"),
                (bool(options.adapt), "--adapt"))
    parts += [flag for on, flag in switches if on]
    return "".join(f" {p}" for p in parts)


def _lift_claimed(src: Path, out: Path, fmts: tuple[str, ...],
                  video: str | Path | Literal["auto"] | None, *,
                  sleap_video: str | int | None, video_stem: str | None, camera: CameraSpec,
                  options: LiftOptions, output: OutputSpec, t0: float, said: list[str]
                  ) -> tuple[Path, str | None]:
    """:func:`_lift_file` once ``out``'s claim is held (``fmts``: the formats, parsed;
    ``said``: the warnings logged so far, which the record keeps)."""
    from dlc_lifter._atomic import check_writable
    from dlc_lifter.io import meta_pickle_path, read_poses
    from dlc_lifter.lift.outputs import interrupted_leftovers, output_paths, write_outputs

    if options.pcutoff is None:  # the value used is what the meta pickle records
        options = dataclasses.replace(options, pcutoff=DEFAULT_PCUTOFF)
    leftovers = interrupted_leftovers(out, fmts)  # replaced, as a batch replaces them
    if leftovers and not output.overwrite:
        logger.info("%s: replacing %s left by an interrupted run.", out.name,
                    ", ".join(t.name for t in leftovers))
        output = dataclasses.replace(output, overwrite=True)
    _refuse_a_lift_without_formats(src, out, fmts, output, camera, options)
    _refuse_a_redo_of_one_file(src, out, output, camera, options)
    _refuse_an_output_out_of_date(src, out, output, options)
    fmts, earlier_nwb = _with_the_earlier_lifts_formats(out, fmts, output)
    targets = [*output_paths(out, fmts).values(), meta_pickle_path(out)]
    for target in targets:
        check_writable(target, overwrite=output.overwrite)
    nwb_meta = None
    if "nwb" in fmts and (output.nwb_metadata or earlier_nwb) is not None:  # checked
        from dlc_lifter.io.nwb import read_nwb_metadata  # before any work

        nwb_meta = read_nwb_metadata(output.nwb_metadata if output.nwb_metadata is not None
                                     else earlier_nwb)
    poses = read_poses(src, sleap_video=sleap_video)
    if poses.is_3d:  # before the video and the camera are looked at
        raise DLCLifterError(already_3d_message(poses))
    # the names first: a file that cannot be lifted (an insect's, too few mapped) is
    # refused before any word on its video or frame size
    plan = plan_lift_keypoints(poses, options.keypoint_map, strict=options.strict)
    found = isinstance(video, str) and video == "auto"  # looked for, not given
    video = video_named_by(poses, src) if found else (None if video is None else str(video))
    if camera.fps is not None:  # checked positive by CameraSpec itself
        if poses.meta.fps and not _same_rate(poses.meta.fps, camera.fps):
            logger.warning("%s records %.4g fps; lifted at the %.4g fps given (the outputs' "
                           "times and the features' speeds follow it).", src.name,
                           poses.meta.fps, camera.fps)
        poses.meta.fps = float(camera.fps)
    video_size, unused = None, None
    if video is None and poses.meta.video:  # the file's own, not read: named as it is
        recorded = Path(poses.meta.video)  # (absolute: plot reads it from another folder)
        poses.meta.video = os.path.abspath(recorded) if recorded.is_file() else str(recorded)
    if video is not None:
        video_size, problem = _check_video(video, poses, found=found)
        if video_size is not None:  # absolute: read later from another folder (plot)
            poses.meta.video = os.path.abspath(video)
        else:  # the outputs name no video the lift did not read (plot would show it)
            poses.meta.video = None
            unused = {"path": os.path.abspath(video), "given": not found, "problem": problem}
    if not poses.meta.fps and "image_paths" not in poses.meta.extra:
        logger.info("%s: its frame rate is unknown (no video read, none in the file): the "
                    "outputs record none, and features' speeds will assume one; give its frame "
                    "rate with fps= (--fps).", src.name)
    lifter = Lifter.load(options.model, mode=options.mode, pcutoff=options.pcutoff)
    size, size_source = image_size_and_source(poses, video_size, camera.calibration,
                                              camera.image_size)
    guessed = size_source == "keypoints"  # no video, metadata, calibration or size given
    # lift_poses takes the camera, mapping and adaptation options one by one
    camera_kwargs = dict(calibration=camera.calibration, camera=camera.camera_name,
                         camera_height_mm=camera.camera_height_mm, focal_px=camera.focal_px,
                         arena_size_mm=camera.arena_size_mm,
                         floor_mm_per_px=camera.floor_scale, keypoint_map=plan,
                         image_size=size, impute_all=options.impute_all, strict=options.strict,
                         adapt=options.adapt, view=camera.view, walls=options.walls)
    depth = options.depth
    want_depth = (options.model is None) if depth is None else bool(depth)
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
            reason = "no video found" if found else "no video given"
        else:
            reason = f"video {video} not used: {unused['problem'] if unused else 'unreadable'}"
        if depth:  # asked for explicitly
            logger.warning("%s: depth fusion needs a readable video (%s); lifting from "
                           "keypoints only.", src.name, reason)
        else:
            logger.info("%s: lifting from keypoints only (%s).", src.name, reason)
        poses3d = lift_poses(poses, lifter=lifter, **camera_kwargs)
    if guessed:  # not written into the outputs (NWB, .slp) as the video's frame size
        poses3d.meta.image_size = None
        poses3d.meta.extra["image_size_from"] = IMAGE_SIZE_GUESSED
    meta = {"units": "mm", "coordinate_frame": poses3d.meta.frame,
            "image_size_guessed": list(size) if guessed else None,
            "camera_source": poses3d.meta.extra["camera_source"],
            "camera_estimate": poses3d.meta.extra["camera_estimate"],
            "depth_used": used, "depth_reason": reason, "video_not_used": unused,
            "keypoint_map": poses3d.meta.extra["keypoint_map"],
            "arena_px": poses3d.meta.extra["arena_px"],
            "lift_mode": poses3d.meta.extra["lift_mode"],
            "animals_split": poses3d.meta.extra.get("animals_split", {}),
            "individuals_left_out": poses3d.meta.extra.get("individuals_left_out", {}),
            "adapt": poses3d.meta.extra.get("adapt"),
            "walls": poses3d.meta.extra.get("walls"),
            "withheld": poses3d.meta.extra.get("withheld"),
            "on_the_back": poses3d.meta.extra.get("on_the_back"),
            "back_out_of_order": poses3d.meta.extra.get("back_out_of_order"),
            "sleap_video": None if video_stem is None else {"asked": sleap_video,
                                                            "stem": video_stem},
            "mistracked": poses3d.meta.extra.get("mistracked"),
            "source_file": source_record(src),
            # labelled data: the image of each row (the 3D table's index is the row number)
            "image_paths": poses.meta.extra.get("image_paths"),
            "camera_spec": as_record(camera), "lift_options": as_record(options),
            "output_spec": as_record(output),
            "warnings": list(dict.fromkeys(said)),
            "lift_seconds": round(time.perf_counter() - t0, 3)}
    if unused:  # the 3D .slp names it, as the NWB does (not the pose file's name)
        poses3d.meta.extra[VIDEO_NOT_USED] = unused
    if nwb_meta is not None:
        from dlc_lifter.io.nwb import nwb_metadata_for

        nwb_meta = nwb_metadata_for(nwb_meta, src, _recording_video(poses.meta.video, unused))
    written = write_outputs(poses3d, out, fmts, poses2d=poses, meta=meta,
                            overwrite=output.overwrite,
                            source_nwb=src if src.suffix.lower() == ".nwb" else None,
                            nwb_metadata=nwb_meta)
    n_ind = poses3d.n_individuals
    logger.info("Lifted %s (%d frames, %d %s, camera: %s) in %.1f s", src.name,
                poses.n_frames, n_ind, "individual" if n_ind == 1 else "individuals",
                poses3d.meta.extra["camera_source"], time.perf_counter() - t0)
    return (written.get("dlc", next(iter(written.values()))),
            video if video_size is not None else None)
