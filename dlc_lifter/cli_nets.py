"""``dlc-lifter lift``, ``train`` and ``evaluate``: lifting one file, training, held-out errors."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import typer

from dlc_lifter.errors import DLCLifterError

#: ``--format``, shared by the lifting verbs.
FORMATS_OPTION = typer.Option(
    ["dlc"], "--format", "-f", help="Output formats, comma-separated or repeated: dlc "
    "(<stem>_lifted3d.h5), csv, nwb, slp (SLEAP, 3D via sleap-io), points3d (sleap-anipose's "
    "points3d.h5 layout). Each is written or reported: one failing never costs the others "
    "(exit code 3).")
#: ``--fps``, shared by the lifting verbs.
FPS_OPTION = typer.Option(None, "--fps", help="Frame rate of the recording when the pose file "
                          "does not give it (default: the file's, else the video's).")
#: ``--strict``, shared by the lifting verbs.
STRICT_OPTION = typer.Option(
    False, "--strict", help="Fail on keypoint names that map to no catalogue landmark "
    "(default: lift the rest and warn, listing them).")

__all__ = ["evaluate_command", "lift_command", "register", "train_command"]

logger = logging.getLogger(__name__)


def lift_command(
    poses: Path = typer.Argument(..., help="DLC .h5/.csv, SLEAP .slp/.h5 or NWB pose file."),
    video: Path | None = typer.Option(None, "--video", help="The video the poses come from "
                                      "(checked against the poses' frame count)."),
    calibration: Path | None = typer.Option(None, "--calibration",
                                            help="Anipose calibration TOML (world frame)."),
    camera: str | None = typer.Option(None, "--camera", help="Camera name in the calibration."),
    camera_height_mm: float | None = typer.Option(None, "--camera-height-mm",
                                                  help="Camera height above the floor (mm)."),
    focal_px: float | None = typer.Option(None, "--focal-px", help="Focal length (px)."),
    arena_size_mm: float | None = typer.Option(
        None, "--arena-size-mm", help="Arena side (mm); its size in the image is measured "
        "from the spread of the tracked keypoints."),
    model: Path | None = typer.Option(None, "--model", help="Weights (default: shipped)."),
    destfolder: Path | None = typer.Option(None, "--destfolder", help="Output folder."),
    csv: bool = typer.Option(False, "--csv", help="Also write a .csv."),
    nwb: bool = typer.Option(False, "--nwb", help="Also write an NWB file."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace existing outputs."),
    keypoint_map: Path | None = typer.Option(
        None, "--keypoint-map", help="YAML mapping 'your_name: catalogue_name' (null drops)."),
    mode: str = typer.Option("temporal", "--mode", help="temporal, causal or frame."),
    pcutoff: float = typer.Option(0.6, "--pcutoff", help="Keypoints below this likelihood "
                                  "are imputed."),
    no_impute: bool = typer.Option(False, "--no-impute", help="Output only the file's own "
                                   "keypoints, not the imputed rest of the catalogue."),
    depth: bool | None = typer.Option(
        None, "--depth/--no-depth", help="Depth cues from the video's frames (depth network "
        "+ fused lifter). Default: on when --video is given and readable (and no custom "
        "--model); --no-depth lifts from the keypoints only."),
    formats: list[str] = FORMATS_OPTION,
    strict: bool = STRICT_OPTION,
    fps: float | None = FPS_OPTION,
) -> None:
    """Lift a 2D pose file to metric 3D and write <stem>_lifted3d.h5 (prints its path).

    Example: dlc-lifter lift videoDLC_resnet50.h5 --video video.mp4 --format dlc,nwb
    """
    from dlc_lifter.errors import OutputFormatError
    from dlc_lifter.lift.pipeline import lift_file

    try:
        out = lift_file(poses, video=video, calibration=calibration, camera=camera,
                        camera_height_mm=camera_height_mm, focal_px=focal_px,
                        arena_size_mm=arena_size_mm, model=model, destfolder=destfolder,
                        save_as_csv=csv, nwb=nwb, overwrite=overwrite,
                        keypoint_map=keypoint_map, mode=mode, pcutoff=pcutoff,
                        impute_all=not no_impute, depth=depth, formats=",".join(formats),
                        strict=strict, fps=fps)
    except OutputFormatError as exc:
        for path in exc.written.values():
            typer.echo(str(path))
        typer.secho(f"Error: {exc}", err=True, fg=typer.colors.RED)
        raise typer.Exit(3) from None
    except ValueError as exc:
        if isinstance(exc, DLCLifterError):
            raise
        raise DLCLifterError(str(exc.args[0]) if exc.args else str(exc)) from None
    typer.echo(str(out))


def _parse_kernels(text: str) -> tuple[int, ...]:
    try:
        kernels = tuple(int(k) for k in text.replace(" ", "").split(",") if k)
    except ValueError:
        kernels = ()
    if not kernels or any(k < 1 for k in kernels):
        raise DLCLifterError(f"--kernels must be comma-separated positive kernel sizes such "
                             f"as 3,3,3,3 (receptive field 81); got '{text}'.")
    return kernels


def _command_line(out: Path, seed: int, steps: int, n_sequences: int, n_frames: int,
                  minutes: float | None, channels: int, eval_sequences: int,
                  threads: int | None, kernels: tuple[int, ...] | None = None,
                  causal_steps: int | None = None, frame_steps: int | None = None) -> str:
    parts = ["dlc-lifter", "train", "--out", str(out), "--seed", str(seed), "--steps",
             str(steps)]
    if causal_steps is not None:
        parts += ["--causal-steps", str(causal_steps)]
    if frame_steps is not None:
        parts += ["--frame-steps", str(frame_steps)]
    parts += ["--n-sequences", str(n_sequences), "--n-frames", str(n_frames),
             "--channels", str(channels)]
    if kernels is not None:
        parts += ["--kernels", ",".join(str(k) for k in kernels)]
    parts += ["--eval-sequences", str(eval_sequences)]
    if minutes is not None:
        parts += ["--minutes", f"{minutes:g}"]
    if threads is not None:
        parts += ["--threads", str(threads)]
    return " ".join(parts)


def train_command(
    out: Path = typer.Option(Path("lifter.pt"), "--out", help="Where the weights go "
                             "(a .json sidecar with the command and errors goes beside)."),
    minutes: float | None = typer.Option(9.5, "--minutes", help="Stop training after this "
                                         "many minutes (a cap; results are deterministic "
                                         "when it is not reached)."),
    seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same weights)."),
    steps: int = typer.Option(3600, "--steps", help="Optimiser steps of the temporal "
                              "network."),
    causal_steps: int = typer.Option(3000, "--causal-steps", help="Optimiser steps of the "
                                     "causal (live) network."),
    frame_steps: int = typer.Option(1500, "--frame-steps", help="Optimiser steps of the "
                                    "per-frame network."),
    n_sequences: int = typer.Option(400, "--n-sequences", help="Synthetic training "
                                    "sequences."),
    n_frames: int = typer.Option(300, "--n-frames", help="Frames per sequence."),
    channels: int = typer.Option(128, "--channels", help="Network width."),
    kernels: str = typer.Option("3,3,3,3", "--kernels", help="Kernel sizes of the temporal "
                                "and causal networks (3,3,3,3: receptive field 81 frames; "
                                "3,3,3: 27)."),
    eval_sequences: int = typer.Option(24, "--eval-sequences", help="Held-out sequences "
                                       "evaluated after training (0: skip)."),
    threads: int | None = typer.Option(None, "--threads", help="torch threads."),
) -> None:
    """Train the lifter on synthetic mice and report held-out errors."""
    from dlc_lifter.nets.train import TrainConfig, evaluate, format_report, train

    t0 = time.monotonic()
    kernel_sizes = _parse_kernels(kernels)
    cfg = TrainConfig(seed=seed, steps=steps, causal_steps=causal_steps,
                      frame_steps=frame_steps, n_sequences=n_sequences, n_frames=n_frames,
                      channels=channels, kernels=kernel_sizes, max_minutes=minutes,
                      threads=threads)
    model, history = train(cfg)
    command = _command_line(out, seed, steps, n_sequences, n_frames, minutes, channels,
                            eval_sequences, threads, kernel_sizes, causal_steps,
                            frame_steps)
    model.info["command"] = command
    sidecar: dict = {"command": command, "config": model.info["config"],
                     "train_seconds": model.info["train_seconds"],
                     "steps_done": history["steps_done"]}
    if eval_sequences > 0:
        report = evaluate(model, n_sequences=eval_sequences, n_frames=n_frames,
                          seed=seed + 100_000)
        table = format_report(report)
        typer.echo(table)
        summary = {s: {k: v for k, v in m["model"].items() if not isinstance(v, dict)}
                   for s, m in report.sets.items()}
        baselines = {s: {b: m[b]["mpjpe"] for b in ("median_height", "floor")}
                     for s, m in report.sets.items()}
        model.info["held_out"] = {"seed": report.seed, "model": summary,
                                  "baselines_mpjpe": baselines, "modes": report.modes}
        sidecar["held_out"] = model.info["held_out"]
    path = model.save(out)
    from dlc_lifter.nets.lifter import file_hash

    sidecar["sha256"] = file_hash(path)
    sidecar["total_seconds"] = round(time.monotonic() - t0, 1)
    path.with_suffix(".json").write_text(json.dumps(sidecar, indent=2))
    typer.echo(f"Trained in {sidecar['total_seconds']:.0f} s; weights: {path}")


def evaluate_command(
    model: Path | None = typer.Option(None, "--model", help="Weights (default: shipped)."),
    n_sequences: int = typer.Option(40, "--n-sequences", help="Held-out sequences."),
    n_frames: int = typer.Option(300, "--n-frames", help="Frames per sequence."),
    seed: int = typer.Option(12345, "--seed", help="Seed of the held-out set (use one the "
                             "model was not trained with)."),
    mode: str = typer.Option("temporal", "--mode", help="temporal, causal or frame."),
) -> None:
    """Held-out synthetic errors (MPJPE, PA-MPJPE, height) against two baselines."""
    from dlc_lifter.lift import Lifter
    from dlc_lifter.nets.train import evaluate, format_report

    lifter = Lifter.load(model)
    report = evaluate(lifter.model, n_sequences=n_sequences, n_frames=n_frames, seed=seed,
                      mode=mode)
    typer.echo(format_report(report))


def register(app: typer.Typer) -> None:
    """Add the ``lift``, ``train`` and ``evaluate`` verbs to the CLI."""
    app.command("lift")(lift_command)
    app.command("train")(train_command)
    app.command("evaluate")(evaluate_command)
