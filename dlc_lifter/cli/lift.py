"""``dlc-lifter lift``, ``lift-project``, ``lift-sleap`` and ``lift-files``: one file, a DLC
project, SLEAP files, any pose files and folders of them.

Each command builds the option objects of :mod:`dlc_lifter.lift.options` from its flags
and calls :func:`~dlc_lifter.lift.lift_file`, :func:`~dlc_lifter.lift.batch.lift_videos`,
:func:`~dlc_lifter.lift.batch.lift_sleap` or :func:`~dlc_lifter.lift.batch.lift_files`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from dlc_lifter.analysis.plots import PlotStep
from dlc_lifter.cli.options import (
    ADAPT,
    ARENA_SIZE_MM,
    CALIBRATION,
    CAMERA,
    CAMERA_HEIGHT_MM,
    CSV,
    DASK_SCHEDULER,
    DEPTH,
    DESTFOLDER,
    FLOOR_SCALE,
    FOCAL_PX,
    IMAGE_SIZE,
    KEYPOINT_MAP,
    LIFT_FPS,
    MODE,
    MODEL,
    NWB,
    NWB_METADATA,
    OVERWRITE,
    PLOT,
    PLOT_MAX_FRAMES,
    POSE_FILE_HELP,
    POSE_FILES_HELP,
    RECURSIVE,
    REDO_OUT_OF_DATE,
    SLEAP_VIDEO,
    STRICT,
    VIDEO,
    VIEW,
    WALLS,
    WORKERS,
    camera_spec,
    executor,
    formats_option,
    lift_options,
    output_spec,
    pcutoff_option,
)
from dlc_lifter.errors import DLCLifterError, OutputFormatError
from dlc_lifter.lift.batch import BatchReport, lift_files, lift_sleap, lift_videos

__all__ = ["lift_command", "lift_files_command", "lift_project_command", "lift_sleap_command"]


def lift_command(
    poses: Path = typer.Argument(..., help=POSE_FILE_HELP),
    video: Path | None = VIDEO,
    no_video: bool = typer.Option(False, "--no-video", help="Lift from the keypoints only, "
                                  "without the video the file names or that lies beside it."),
    calibration: Path | None = CALIBRATION,
    camera: str | None = CAMERA,
    camera_height_mm: float | None = CAMERA_HEIGHT_MM,
    focal_px: float | None = FOCAL_PX,
    arena_size_mm: str | None = ARENA_SIZE_MM,
    floor_scale: str | None = FLOOR_SCALE,
    image_size: str | None = IMAGE_SIZE,
    view: str = VIEW,
    model: Path | None = MODEL,
    destfolder: Path | None = DESTFOLDER,
    csv: bool = CSV,
    nwb: bool = NWB,
    nwb_metadata: Path | None = NWB_METADATA,
    overwrite: bool = OVERWRITE,
    keypoint_map: Path | None = KEYPOINT_MAP,
    mode: str = MODE,
    pcutoff: float = pcutoff_option(0.6),
    no_impute: bool = typer.Option(False, "--no-impute", help="Output only the file's own "
                                   "keypoints, not the imputed rest of the catalogue."),
    depth: bool | None = DEPTH,
    formats: list[str] = formats_option(["dlc"]),
    strict: bool = STRICT,
    fps: float | None = LIFT_FPS,
    adapt: bool = ADAPT,
    walls: bool = WALLS,
    sleap_video: str | None = SLEAP_VIDEO,
) -> None:
    """Lift a 2D pose file to metric 3D and write <stem>_lifted3d.h5 (prints its path).

    Without --video (or --no-video), the video is the one the file names (SLEAP, NWB) or
    that lies beside it under its stem (DeepLabCut), as lift-files finds it.

    Example: dlc-lifter lift videoDLC_resnet50.h5 --video video.mp4 --format dlc,nwb
    """
    from dlc_lifter.lift.pipeline import lift_file  # torch: loads the network

    if video is not None and no_video:
        raise typer.BadParameter("give --video or --no-video, not both.")
    try:
        out = lift_file(
            poses, video=None if no_video else (video or "auto"), sleap_video=sleap_video,
            camera=camera_spec(calibration, camera, camera_height_mm, focal_px,
                               arena_size_mm, fps, image_size, view, floor_scale),
            options=lift_options(model=model, keypoint_map=keypoint_map, strict=strict,
                                 depth=depth, mode=mode, pcutoff=pcutoff,
                                 impute_all=not no_impute, adapt=adapt, walls=walls),
            output=output_spec(destfolder=destfolder, formats=formats, csv=csv, nwb=nwb,
                               overwrite=overwrite, nwb_metadata=nwb_metadata))
    except OutputFormatError as exc:
        for path in exc.written.values():
            typer.echo(str(path))
        typer.secho(f"Error: {_cli_message(str(exc))}", err=True, fg=typer.colors.RED)
        raise typer.Exit(3) from None
    except ValueError as exc:
        if isinstance(exc, DLCLifterError):
            raise
        raise DLCLifterError(str(exc.args[0]) if exc.args else str(exc)) from None
    typer.echo(str(out))


def lift_project_command(
    config: Path = typer.Argument(..., help="The DeepLabCut project's config.yaml."),
    videos: list[Path] = typer.Argument(None, help="Videos or folders (default: the "
                                        "project's videos)."),
    videotype: str = typer.Option("", "--videotype", help="Video extension, e.g. .mp4."),
    shuffle: int = typer.Option(1, "--shuffle", help="Prefer this shuffle's outputs."),
    trainingsetindex: int = typer.Option(0, "--trainingsetindex"),
    destfolder: Path = DESTFOLDER,
    filtered: bool = typer.Option(False, "--filtered", help="Lift the _filtered outputs."),
    csv: bool = CSV,
    overwrite: bool = OVERWRITE,
    redo_out_of_date: bool = REDO_OUT_OF_DATE,
    workers: int = WORKERS,
    dask_scheduler: str = DASK_SCHEDULER,
    plot: bool = PLOT,
    plot_max_frames: int = PLOT_MAX_FRAMES,
    calibration: Path = CALIBRATION,
    camera: str = CAMERA,
    camera_height_mm: float = CAMERA_HEIGHT_MM,
    focal_px: float = FOCAL_PX,
    arena_size_mm: str | None = ARENA_SIZE_MM,
    floor_scale: str | None = FLOOR_SCALE,
    image_size: str | None = IMAGE_SIZE,
    view: str = VIEW,
    model: Path = MODEL,
    keypoint_map: Path = KEYPOINT_MAP,
    nwb: bool = NWB,
    nwb_metadata: Path | None = NWB_METADATA,
    depth: bool | None = DEPTH,
    formats: list[str] = formats_option(None),
    strict: bool = STRICT,
    fps: float = LIFT_FPS,
    adapt: bool = ADAPT,
    walls: bool = WALLS,
    pcutoff: float | None = pcutoff_option(None),
) -> None:
    """Lift every analysed video of a DeepLabCut project to 3D (resumable).

    Example: dlc-lifter lift-project project/config.yaml --workers 2 --plot
    """
    with _interruptible(), executor(workers, dask_scheduler) as ex:
        report = lift_videos(
            config, videos or None, videotype=videotype, shuffle=shuffle,
            trainingsetindex=trainingsetindex, filtered=filtered,
            camera=camera_spec(calibration, camera, camera_height_mm, focal_px,
                               arena_size_mm, fps, image_size, view, floor_scale),
            options=lift_options(model=model, keypoint_map=keypoint_map, strict=strict,
                                 depth=depth, adapt=adapt, walls=walls,
                                 pcutoff=pcutoff),
            output=output_spec(destfolder=destfolder, formats=formats or None, csv=csv,
                               nwb=nwb, overwrite=overwrite, nwb_metadata=nwb_metadata,
                               redo_out_of_date=redo_out_of_date),
            executor=ex, after_each=_plots(plot, plot_max_frames))
    _report(report)


def lift_sleap_command(
    paths: list[Path] = typer.Argument(..., help="SLEAP .slp / .analysis.h5 files or "
                                       "folders."),
    recursive: bool = RECURSIVE,
    destfolder: Path = DESTFOLDER,
    csv: bool = CSV,
    overwrite: bool = OVERWRITE,
    redo_out_of_date: bool = REDO_OUT_OF_DATE,
    workers: int = WORKERS,
    dask_scheduler: str = DASK_SCHEDULER,
    plot: bool = PLOT,
    plot_max_frames: int = PLOT_MAX_FRAMES,
    calibration: Path = CALIBRATION,
    camera: str = CAMERA,
    camera_height_mm: float = CAMERA_HEIGHT_MM,
    focal_px: float = FOCAL_PX,
    arena_size_mm: str | None = ARENA_SIZE_MM,
    floor_scale: str | None = FLOOR_SCALE,
    image_size: str | None = IMAGE_SIZE,
    view: str = VIEW,
    model: Path = MODEL,
    keypoint_map: Path = KEYPOINT_MAP,
    nwb: bool = NWB,
    nwb_metadata: Path | None = NWB_METADATA,
    depth: bool | None = DEPTH,
    formats: list[str] = formats_option(None),
    strict: bool = STRICT,
    fps: float = LIFT_FPS,
    adapt: bool = ADAPT,
    walls: bool = WALLS,
    pcutoff: float | None = pcutoff_option(0.6),
) -> None:
    """Lift SLEAP predictions to 3D, with the videos the files name (resumable).

    Example: dlc-lifter lift-sleap session/ --keypoint-map map.yaml --format slp,nwb
    """
    with _interruptible(), executor(workers, dask_scheduler) as ex:
        report = lift_sleap(
            paths, recursive=recursive,
            camera=camera_spec(calibration, camera, camera_height_mm, focal_px,
                               arena_size_mm, fps, image_size, view, floor_scale),
            options=lift_options(model=model, keypoint_map=keypoint_map, strict=strict,
                                 depth=depth, adapt=adapt, walls=walls,
                                 pcutoff=pcutoff),
            output=output_spec(destfolder=destfolder, formats=formats or None, csv=csv,
                               nwb=nwb, overwrite=overwrite, nwb_metadata=nwb_metadata,
                               redo_out_of_date=redo_out_of_date),
            executor=ex, after_each=_plots(plot, plot_max_frames))
    _report(report)


def lift_files_command(
    paths: list[Path] = typer.Argument(..., help=POSE_FILES_HELP),
    recursive: bool = RECURSIVE,
    filtered: bool = typer.Option(False, "--filtered", help="Lift DeepLabCut's _filtered "
                                  "tables where a recording has both."),
    destfolder: Path = DESTFOLDER,
    csv: bool = CSV,
    overwrite: bool = OVERWRITE,
    redo_out_of_date: bool = REDO_OUT_OF_DATE,
    workers: int = WORKERS,
    dask_scheduler: str = DASK_SCHEDULER,
    plot: bool = PLOT,
    plot_max_frames: int = PLOT_MAX_FRAMES,
    calibration: Path = CALIBRATION,
    camera: str = CAMERA,
    camera_height_mm: float = CAMERA_HEIGHT_MM,
    focal_px: float = FOCAL_PX,
    arena_size_mm: str | None = ARENA_SIZE_MM,
    floor_scale: str | None = FLOOR_SCALE,
    image_size: str | None = IMAGE_SIZE,
    view: str = VIEW,
    model: Path = MODEL,
    keypoint_map: Path = KEYPOINT_MAP,
    nwb: bool = NWB,
    nwb_metadata: Path | None = NWB_METADATA,
    depth: bool | None = DEPTH,
    formats: list[str] = formats_option(None),
    strict: bool = STRICT,
    fps: float = LIFT_FPS,
    adapt: bool = ADAPT,
    walls: bool = WALLS,
    pcutoff: float | None = pcutoff_option(0.6),
) -> None:
    """Lift every pose file given or found in the folders, each with its video (resumable).

    For tracking results kept without their DeepLabCut project: one file per recording
    (the .h5 before its .csv twin, the assembled table before a tracker's).

    Example: dlc-lifter lift-files 2019_cohort/ --recursive --arena-size-mm 450 --workers 2
    """
    with _interruptible(), executor(workers, dask_scheduler) as ex:
        report = lift_files(
            paths, recursive=recursive, filtered=filtered,
            camera=camera_spec(calibration, camera, camera_height_mm, focal_px,
                               arena_size_mm, fps, image_size, view, floor_scale),
            options=lift_options(model=model, keypoint_map=keypoint_map, strict=strict,
                                 depth=depth, adapt=adapt, walls=walls,
                                 pcutoff=pcutoff),
            output=output_spec(destfolder=destfolder, formats=formats or None, csv=csv,
                               nwb=nwb, overwrite=overwrite, nwb_metadata=nwb_metadata,
                               redo_out_of_date=redo_out_of_date),
            executor=ex, after_each=_plots(plot, plot_max_frames))
    _report(report)


def _plots(plot: bool, max_frames: int | None) -> PlotStep | None:
    """The step ``--plot`` and ``--plot-max-frames`` ask each output of a batch for."""
    return PlotStep(max_frames=max_frames) if plot else None


@contextmanager
def _interruptible() -> Iterator[None]:
    """A batch stopped by Ctrl-C, or by SIGTERM (a cluster's time limit), prints what it
    did and what it did not, and exits 130 (143 for SIGTERM); a rerun resumes."""
    import signal

    from dlc_lifter.lift.batch import BatchInterrupted

    code = {"exit": 130}

    def _term(signum: int, frame: object) -> None:
        code["exit"] = 128 + signum
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, _term)
    except ValueError:  # not the main thread: leave SIGTERM alone
        previous = None
    try:
        yield
    except BatchInterrupted as exc:
        typer.echo(_cli_message(exc.report.summary()), err=True)
        raise typer.Exit(code["exit"]) from None
    except KeyboardInterrupt:  # before the batch began lifting
        typer.echo("INTERRUPTED before any file was lifted.", err=True)
        raise typer.Exit(code["exit"]) from None
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _report(report: BatchReport) -> None:
    """Print a batch's summary and outputs; exit 1 when a video failed."""
    typer.echo(_cli_message(report.summary()))
    for path in report.outputs:
        typer.echo(f"  {path}")
    if not report.ok:
        raise typer.Exit(1)


def _cli_message(text: str) -> str:
    from dlc_lifter.cli import cli_message  # the package imports this module first

    return cli_message(text)
