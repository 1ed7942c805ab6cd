"""CLI verbs for whole projects and seeing results: lift-project, lift-sleap, plot, demo."""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from dlc_lifter.cli_nets import FPS_OPTION

__all__ = ["register"]


@contextlib.contextmanager
def _executor(workers: int, dask_scheduler: str | None) -> Iterator[cf.Executor | None]:
    """The executor the options ask for: none, a process pool, or a dask cluster."""
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
            yield ex
    else:
        yield None


def _lift_options(**opts: Any) -> dict[str, Any]:
    return {k: v for k, v in opts.items() if v is not None and v is not False}


def _finish(report: Any) -> None:
    typer.echo(report.summary())
    for path in report.outputs:
        typer.echo(f"  {path}")
    if not report.ok:
        raise typer.Exit(1)


_WORKERS = typer.Option(1, "--workers", "-j", help="Lift this many videos in parallel "
                        "(processes), or the number of local dask workers.")
_DASK = typer.Option(None, "--dask-scheduler", help="Run on a dask.distributed cluster: its "
                     "scheduler address (tcp://host:8786), or 'local' for a local cluster. "
                     "See docs/cluster.md for SLURM.")
_OVERWRITE = typer.Option(False, "--overwrite", help="Lift again even if the output exists "
                          "(default: skip it, so an interrupted batch resumes).")
_CSV = typer.Option(False, "--csv", help="Also write .csv copies of the 3D files.")
_PLOT = typer.Option(False, "--plot", help="Also write each output's 3D video and plots.")
_PLOT_MAX = typer.Option(None, "--plot-max-frames", help="With --plot: render at most this "
                         "many frames of each 3D video (long recordings).")
_CAL = typer.Option(None, "--calibration", help="anipose calibration.toml (world frame: z up, "
                    "floor z = 0, mm).")
_CAMNAME = typer.Option(None, "--camera", help="Camera name in the calibration file.")
_HEIGHT = typer.Option(None, "--camera-height-mm", help="Camera height above the floor (mm).")
_FOCAL = typer.Option(None, "--focal-px", help="Focal length (px), with --camera-height-mm.")
_ARENA = typer.Option(None, "--arena-size-mm", help="Arena side length (mm), for the scale.")
_MODEL = typer.Option(None, "--model", help="Lifting model weights (default: shipped).")
_KMAP = typer.Option(None, "--keypoint-map", help="YAML mapping your keypoint names to the "
                     "catalogue ('dlc-lifter catalogue').")
_NWB = typer.Option(False, "--nwb", help="Also write NWB files.")
_FORMATS = typer.Option(None, "--format", "-f", help="Output formats, comma-separated or "
                        "repeated: dlc, csv, nwb, slp, points3d (default: dlc for DLC projects; "
                        "slp and dlc for SLEAP files).")
_STRICT = typer.Option(False, "--strict", help="Fail a file whose keypoint names map to no "
                       "catalogue landmark (default: lift the rest and warn).")
_DEPTH = typer.Option(None, "--depth/--no-depth", help="Depth cues from each video (depth "
                      "network + fused lifter). Default: on for every readable video (and no "
                      "custom --model); --no-depth lifts from the keypoints only.")


def register(app: typer.Typer) -> None:
    """Add the ``lift-project``, ``lift-sleap``, ``plot`` and ``demo`` verbs to ``app``."""

    @app.command("lift-project")
    def lift_project(
        config: Path = typer.Argument(..., help="The DeepLabCut project's config.yaml."),
        videos: list[Path] = typer.Argument(None, help="Videos or folders (default: the "
                                            "project's videos)."),
        videotype: str = typer.Option("", "--videotype", help="Video extension, e.g. .mp4."),
        shuffle: int = typer.Option(1, "--shuffle", help="Prefer this shuffle's outputs."),
        trainingsetindex: int = typer.Option(0, "--trainingsetindex"),
        destfolder: Path = typer.Option(None, "--destfolder", help="Where analyze_videos "
                                        "wrote its outputs; the 3D files go there too."),
        filtered: bool = typer.Option(False, "--filtered", help="Lift the _filtered outputs."),
        csv: bool = _CSV,
        overwrite: bool = _OVERWRITE,
        workers: int = _WORKERS,
        dask_scheduler: str = _DASK,
        plot: bool = _PLOT,
        plot_max_frames: int = _PLOT_MAX,
        calibration: Path = _CAL,
        camera: str = _CAMNAME,
        camera_height_mm: float = _HEIGHT,
        focal_px: float = _FOCAL,
        arena_size_mm: float = _ARENA,
        model: Path = _MODEL,
        keypoint_map: Path = _KMAP,
        nwb: bool = _NWB,
        depth: bool | None = _DEPTH,
        formats: list[str] = _FORMATS,
        strict: bool = _STRICT,
        fps: float = FPS_OPTION,
    ) -> None:
        """Lift every analysed video of a DeepLabCut project to 3D (resumable)."""
        from dlc_lifter.lift.batch import lift_videos

        with _executor(workers, dask_scheduler) as ex:
            report = lift_videos(
                config, videos or None, videotype=videotype, shuffle=shuffle,
                trainingsetindex=trainingsetindex, destfolder=destfolder, filtered=filtered,
                save_as_csv=csv, executor=ex, overwrite=overwrite, plot=plot,
                plot_kwargs=_lift_options(max_frames=plot_max_frames),
                **_lift_options(calibration=calibration, camera=camera,
                                camera_height_mm=camera_height_mm, focal_px=focal_px,
                                arena_size_mm=arena_size_mm, model=model,
                                keypoint_map=keypoint_map, nwb=nwb, strict=strict,
                                formats=",".join(formats) if formats else None, fps=fps),
                depth=depth,
            )
        _finish(report)

    @app.command("lift-sleap")
    def lift_sleap_cmd(
        paths: list[Path] = typer.Argument(..., help="SLEAP .slp / .analysis.h5 files or "
                                           "folders."),
        destfolder: Path = typer.Option(None, "--destfolder", help="Where the 3D files go "
                                        "(default: beside each input)."),
        csv: bool = _CSV,
        overwrite: bool = _OVERWRITE,
        workers: int = _WORKERS,
        dask_scheduler: str = _DASK,
        plot: bool = _PLOT,
        plot_max_frames: int = _PLOT_MAX,
        calibration: Path = _CAL,
        camera: str = _CAMNAME,
        camera_height_mm: float = _HEIGHT,
        focal_px: float = _FOCAL,
        arena_size_mm: float = _ARENA,
        model: Path = _MODEL,
        keypoint_map: Path = _KMAP,
        nwb: bool = _NWB,
        depth: bool | None = _DEPTH,
        formats: list[str] = _FORMATS,
        strict: bool = _STRICT,
        fps: float = FPS_OPTION,
    ) -> None:
        """Lift SLEAP predictions to 3D, with the videos the files name (resumable)."""
        from dlc_lifter.lift.batch import lift_sleap

        with _executor(workers, dask_scheduler) as ex:
            report = lift_sleap(
                paths, destfolder=destfolder, executor=ex, overwrite=overwrite,
                save_as_csv=csv, plot=plot,
                plot_kwargs=_lift_options(max_frames=plot_max_frames),
                **_lift_options(calibration=calibration, camera=camera,
                                camera_height_mm=camera_height_mm, focal_px=focal_px,
                                arena_size_mm=arena_size_mm, model=model,
                                keypoint_map=keypoint_map, nwb=nwb, strict=strict,
                                formats=",".join(formats) if formats else None, fps=fps),
                depth=depth,
            )
        _finish(report)

    @app.command("plot")
    def plot_cmd(
        output_3d: Path = typer.Argument(..., help="A *_lifted3d.h5 file."),
        video: Path = typer.Option(None, "--video", help="The original video, shown beside "
                                   "the 3D view."),
        out_dir: Path = typer.Option(None, "--out-dir", help="Folder for the plots "
                                     "(default: beside the 3D file)."),
        max_frames: int = typer.Option(None, "--max-frames", help="Render at most this many "
                                       "video frames."),
        fps: float = typer.Option(None, "--fps", help="Frame rate if the files lack it."),
    ) -> None:
        """Write the 3D video (original | 3D skeleton), height and trajectory plots."""
        from dlc_lifter.analysis.plots import plot_lifted

        for path in plot_lifted(output_3d, video=video, out_dir=out_dir,
                                max_frames=max_frames, fps=fps):
            typer.echo(str(path))

    @app.command("demo")
    def demo_cmd(
        out_dir: Path = typer.Option(None, "--out-dir", help="Where to write the results "
                                     "(default: ./dlc_lifter_demo)."),
    ) -> None:
        """Lift the bundled synthetic example and write the 3D file, plots and video."""
        import json

        from dlc_lifter.demo import run_demo

        folder = run_demo(out_dir)
        summary = json.loads((folder / "summary.json").read_text())
        typer.echo(f"3D poses: {summary['output_3d']}")
        for plot in summary["plots"]:
            typer.echo(f"plot:     {plot}")
        err = summary.get("error_vs_ground_truth")
        if err:
            typer.echo(
                f"Error against the synthetic ground truth ({err['frames']} frames): "
                f"{err['mpjpe_mm']:.1f} mm per keypoint in 3D, "
                f"{err['mpjpe_centred_mm']:.1f} mm for the pose shape, "
                f"{err['height_mae_mm']:.1f} mm in height.")
        typer.echo(f"Demo results in {folder.resolve()}")
