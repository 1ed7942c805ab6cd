"""Options shared by several ``dlc-lifter`` commands, each defined once, and their builders.

A command declares ``camera_height_mm: float | None = CAMERA_HEIGHT_MM`` and hands its
values to :func:`camera_spec`, :func:`lift_options` or :func:`output_spec`, which build the
option objects of :mod:`dlc_lifter.lift.options` the Python API takes. Where commands need
the same flag with another default (``--format``, ``--pcutoff``), a small function makes it.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import shlex
from collections.abc import Iterator
from pathlib import Path

import typer

from dlc_lifter.io.read import READABLE_FILES
from dlc_lifter.lift.options import CameraSpec, LiftOptions, OutputSpec, parse_arena_size

__all__ = [
    "ADAPT", "ARENA_SIZE_MM", "CALIBRATION", "CAMERA", "CAMERA_HEIGHT_MM", "CSV", "DASK_SCHEDULER",
    "DEPTH", "DESTFOLDER", "FLOOR_SCALE", "FOCAL_PX", "IMAGE_SIZE", "INDIVIDUAL", "KEYPOINT_MAP",
    "LIFT_FPS", "MODE", "MODEL", "NWB", "OVERWRITE", "PLOT", "PLOT_MAX_FRAMES", "SLEAP_VIDEO",
    "STRICT", "VIDEO",
    "VIEW", "WALLS", "WINDOW", "WORKERS", "camera_spec", "command_line", "executor",
    "formats_option", "lift_options", "output_spec", "pcutoff_option", "weights_out_option",
]

# ---------------------------------------------------------------------- the camera
CALIBRATION = typer.Option(None, "--calibration", help="Anipose calibration.toml (world "
                           "frame: z up, floor z = 0, mm), or a lens calibration: OpenCV "
                           ".yml/.xml, ROS camera_info, DeepLabCut 3D intrinsics pickle, "
                           "MATLAB .mat (docs/formats.md).")
CAMERA = typer.Option(None, "--camera", help="Camera name in the calibration file.")
CAMERA_HEIGHT_MM = typer.Option(None, "--camera-height-mm",
                                help="Camera height above the floor (mm).")
FOCAL_PX = typer.Option(None, "--focal-px", help="Focal length (px), with "
                        "--camera-height-mm.")
ARENA_SIZE_MM = typer.Option(None, "--arena-size-mm", metavar="MM|WxH",
                             help="Arena side length (mm), or WIDTHxHEIGHT of a rectangular "
                             "arena (e.g. 600x400; width along the image's top side). With "
                             "the arena's four corners tracked (tl, tr, bl, br...), they give "
                             "the camera, tilted or not, and the output is in the arena's "
                             "frame; otherwise the arena's size in the image (the spread of "
                             "the tracked keypoints) gives the scale.")
FLOOR_SCALE = typer.Option(None, "--floor-scale", metavar="SCALE",
                           help="The floor's scale in the image, as your pixel-to-length "
                           "calibration gives it: mm per pixel (0.3125) or with units "
                           "('32 px/cm', '3.2 px/mm'). Sets the scale instead of the animal's "
                           "size; with the arena's corners tracked, gives the arena's size.")
IMAGE_SIZE = typer.Option(None, "--image-size", metavar="WxH",
                          help="Width x height of the video's frames in pixels (e.g. "
                          "1024x576), when lifting without the video a file that does not "
                          "record them: the principal point is its centre (default: the "
                          "video's, the file's, else assumed from the keypoints' spread).")
VIEW = typer.Option("auto", "--view", help="Where the camera films from: auto (above, unless "
                   "the animal's left keypoints lie on its right in nearly every frame, then "
                   "below), above, or below (through a glass floor). A calibration's camera "
                   "is above or below by its own position.")
LIFT_FPS = typer.Option(None, "--fps", help="Frame rate of the recording when the pose file "
                        "does not give it (default: the file's, else the video's).")

# ---------------------------------------------------------------------- the lift
VIDEO = typer.Option(None, "--video", help="The video the poses come from (checked against "
                     "the poses' frame count).")
#: Help of the pose-file argument of every verb that reads one (what read_poses reads).
POSE_FILE_HELP = f"The pose file: {READABLE_FILES}."
#: Help of ``lift-files``' paths.
POSE_FILES_HELP = f"Pose files and/or folders of them: {READABLE_FILES}."
MODEL = typer.Option(None, "--model", help="Lifting model weights (default: shipped); a "
                     "X_below.pt beside X.pt lifts cameras below the floor.")
MODE = typer.Option("temporal", "--mode", help="temporal, causal or frame.")
KEYPOINT_MAP = typer.Option(None, "--keypoint-map", "-m", help="YAML mapping 'your_name: "
                            "catalogue_name' ('name: null' drops one; 'dlc-lifter catalogue' "
                            "lists the names).")
STRICT = typer.Option(False, "--strict", help="Fail on keypoint names that map to no "
                      "catalogue landmark (default: lift the rest and warn, listing them).")
DEPTH = typer.Option(None, "--depth/--no-depth", help="Depth cues from the video's frames "
                     "(depth network + fused lifter). Default: on for every readable video "
                     "(and no custom --model); --no-depth lifts from the keypoints only.")

RECURSIVE = typer.Option(False, "--recursive", "-r", help="Search the folders' subfolders "
                         "too.")
ADAPT = typer.Option(False, "--adapt", help="Adapt each animal's lift to its own head over "
                     "the whole file: the distances between its head keypoints (snout, "
                     "ears, eyes) are measured from the session and held in every frame "
                     "(points stay on their rays; the output's metadata records the "
                     "lengths). Opt-in; see docs/results.md for what it gains on real mice.")
SLEAP_VIDEO = typer.Option(
    None, "--sleap-video", help="For a SLEAP .slp holding several videos (a labels project): "
    "the video to lift, by its number (0, 1...) or file name; the output is "
    "<stem>.<video stem>_lifted3d.h5. Default: the first (warned).")
WALLS = typer.Option(True, "--walls/--no-walls", help="Where the file tracks the arena's four "
                     "corners (without them, with --arena-size-mm: the outline of where the "
                     "tail base went), raise points whose camera ray meets the floor beyond the "
                     "walls to where the ray comes inside the arena (a mouse rearing against "
                     "the wall leans out past it as seen from above). Default on.")


def pcutoff_option(default: float | None) -> typer.models.OptionInfo:
    """``--pcutoff`` with ``default`` (``None``: the DLC config's, else 0.6)."""
    extra = "" if default is not None else " (default: the config's, else 0.6)"
    return typer.Option(default, "--pcutoff", help="Likelihood cutoff: keypoints below it "
                        f"count as untracked (the lift imputes them){extra}.")


# ---------------------------------------------------------------------- the outputs
DESTFOLDER = typer.Option(None, "--destfolder", "-o", help="Output folder (default: beside each "
                          "input; a DeepLabCut analyze_videos output's lift in a lifted3d/ "
                          "folder beside it). lift-project: where analyze_videos wrote its "
                          "outputs (the 3D files go into lifted3d/ there).")
OVERWRITE = typer.Option(False, "--overwrite", help="Replace outputs that already exist "
                         "(default: a single file is refused; a batch skips them, so an "
                         "interrupted batch resumes).")
REDO_OUT_OF_DATE = typer.Option(False, "--redo-out-of-date", help="Lift again the outputs "
                                "that exist but are out of date (input changed, other "
                                "options, weights or version, a video that opens now) and "
                                "skip the rest, as after an upgrade (default: kept, warned).")
CSV = typer.Option(False, "--csv", help="Also write .csv copies of the 3D files.")
NWB = typer.Option(False, "--nwb", help="Also write NWB files.")
NWB_METADATA = typer.Option(None, "--nwb-metadata", help="YAML file with the NWB outputs' "
                            "session and subject (session_start_time, experimenter, lab, "
                            "subject: subject_id, sex, age...; per recording under "
                            "recordings:). Without it their start time and subject id are "
                            "filled in, and said. See docs/formats.md.")
PLOT = typer.Option(False, "--plot", help="Also write each output's 3D video and plots.")
PLOT_MAX_FRAMES = typer.Option(None, "--plot-max-frames", min=1, help="With --plot: render at most "
                               "this many frames of each 3D video (long recordings).")


def formats_option(default: list[str] | None) -> typer.models.OptionInfo:
    """``--format``: ``default`` (``None``: the command's own default, said in the help)."""
    said = ("" if default is not None else
            " (default: dlc for DLC projects; slp and dlc for SLEAP files)")
    return typer.Option(
        default, "--format", "-f", help="Output formats, comma-separated or repeated: dlc "
        "(<stem>_lifted3d.h5), csv, nwb, slp (SLEAP, 3D via sleap-io), points3d "
        f"(sleap-anipose's points3d.h5 layout){said}. Each is written or reported: one "
        "failing never costs the others (lift: exit code 3).")


# ---------------------------------------------------------------------- running
WORKERS = typer.Option(1, "--workers", "-j", help="Lift this many videos in parallel "
                       "(processes), or the number of local dask workers.")
DASK_SCHEDULER = typer.Option(None, "--dask-scheduler", help="Run on a dask.distributed "
                              "cluster: its scheduler address (tcp://host:8786), or 'local' for "
                              "a local cluster. See docs/cluster.md for SLURM.")

# ---------------------------------------------------------------------- behaviour
WINDOW = typer.Option(15, "--window", "-w", min=2, help="Rolling window (frames) of the "
                      "variability features; they are NaN for the first window-1 frames.")
INDIVIDUAL = typer.Option(None, "--individual", help="Use only this individual.")


# ---------------------------------------------------------------------- training
def weights_out_option(default: str, recorded: str) -> typer.models.OptionInfo:
    """``--out`` of a ``dlc-lifter train`` command: the weights file, ``default`` name."""
    return typer.Option(Path(default), "--out", help="Where the weights go (a .json sidecar "
                        f"with the command and {recorded} goes beside).")


# ---------------------------------------------------------------------- builders
def camera_spec(calibration: Path | None, camera: str | None, camera_height_mm: float | None,
                focal_px: float | None, arena_size_mm: str | float | None,
                fps: float | None, image_size: str | None = None, view: str = "auto",
                floor_scale: str | None = None) -> CameraSpec:
    """The :class:`CameraSpec` of the camera flags (``CameraSpec`` checks the image size,
    the view and the floor scale)."""
    return CameraSpec(calibration=calibration, camera_name=camera,
                      camera_height_mm=camera_height_mm, focal_px=focal_px,
                      arena_size_mm=parse_arena_size(arena_size_mm), fps=fps,
                      image_size=image_size, view=view, floor_scale=floor_scale)


def lift_options(*, model: Path | None, keypoint_map: Path | None, strict: bool,
                 depth: bool | None, mode: str = "temporal", pcutoff: float | None = None,
                 impute_all: bool = True, adapt: bool = False, walls: bool = True
                 ) -> LiftOptions:
    """The :class:`LiftOptions` of the lifting flags (``pcutoff`` ``None``: the DeepLabCut
    project's, else 0.6)."""
    return LiftOptions(mode=mode, pcutoff=pcutoff, depth=depth, impute_all=impute_all,
                       keypoint_map=keypoint_map, strict=strict, model=model, adapt=adapt,
                       walls=walls)


def output_spec(*, destfolder: Path | None, formats: list[str] | None, csv: bool, nwb: bool,
                overwrite: bool, nwb_metadata: Path | None = None,
                redo_out_of_date: bool = False) -> OutputSpec:
    """The :class:`OutputSpec` of the output flags (``--format`` repeated or comma-separated)."""
    return OutputSpec(destfolder=destfolder, save_as_csv=csv, nwb=nwb, overwrite=overwrite,
                      formats=None if formats is None else ",".join(formats),
                      nwb_metadata=nwb_metadata, redo_out_of_date=redo_out_of_date)


@contextlib.contextmanager
def executor(workers: int, dask_scheduler: str | None) -> Iterator[cf.Executor | None]:
    """The executor ``--workers`` and ``--dask-scheduler`` ask for: none, processes, dask."""
    if dask_scheduler:
        from dlc_lifter.lift.batch import dask_executor

        if dask_scheduler == "local":
            from distributed import Client, LocalCluster

            with LocalCluster(n_workers=max(1, workers), threads_per_worker=1,
                              processes=True) as cluster, Client(cluster) as client:
                yield dask_executor(client, retries=2)
        else:
            from distributed import Client

            with Client(dask_scheduler) as client:
                yield dask_executor(client, retries=2)
    elif workers > 1:
        import multiprocessing as mp

        from dlc_lifter.lift.batch import worker_initializer

        with cf.ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"),
                                    initializer=worker_initializer) as ex:
            try:
                yield ex
            except KeyboardInterrupt:  # stop now: the workers leave Ctrl-C to us
                _stop_workers(ex)
                raise
    else:
        yield None


def _stop_workers(ex: cf.ProcessPoolExecutor) -> None:
    """End a process pool's workers now (they ignore Ctrl-C; a file half lifted leaves only
    a temporary file, which the rerun cleans). The pool's manager thread then finds the
    pool broken and, on Python 3.11, fails on the futures the batch cancelled
    (``InvalidStateError``): that failure of a pool being stopped is not shown."""
    import threading

    workers = list((getattr(ex, "_processes", None) or {}).values())
    manager = getattr(ex, "_executor_manager_thread", None)
    ex.shutdown(wait=False, cancel_futures=True)
    hook = threading.excepthook

    def quiet(args: threading.ExceptHookArgs) -> None:
        if not (args.thread is manager and isinstance(args.exc_value, cf.InvalidStateError)):
            hook(args)

    threading.excepthook = quiet
    try:
        for proc in workers:
            proc.terminate()
        if manager is not None:
            manager.join(timeout=10)
    finally:
        threading.excepthook = hook


def command_line(ctx: typer.Context) -> str:
    """The command that reproduces this call: every option with its parsed value.

    Written from the parsed parameters in the command's own order (defaults included), so
    that a record of it (a weights sidecar) still holds when a default changes.
    """
    names, up = [], ctx
    while up.parent is not None:  # the root's name is however the program was started
        names.append(up.info_name)
        up = up.parent
    parts = ["dlc-lifter", *reversed(names)]
    for param in ctx.command.params:
        value = ctx.params.get(param.name)
        if value is None or not param.opts or not param.opts[0].startswith("-"):
            continue
        flag = max(param.opts, key=len)
        if getattr(param, "is_flag", False):
            if value:
                parts.append(flag)
            elif param.secondary_opts:
                parts.append(max(param.secondary_opts, key=len))
            continue
        values = value if isinstance(value, (list, tuple)) else [value]
        for v in values:
            parts += [flag, f"{v:g}" if isinstance(v, float) else str(v)]
    return shlex.join(parts)
