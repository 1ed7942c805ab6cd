"""``dlc-lifter train`` and ``evaluate``: train the lifter on synthetic mice, held-out errors."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from dlc_lifter.cli.options import MODE, MODEL, command_line
from dlc_lifter.errors import DLCLifterError

if TYPE_CHECKING:  # pragma: no cover
    from dlc_lifter.nets.train import TrainConfig

__all__ = ["evaluate_command", "train_command"]


def _parse_kernels(text: str) -> tuple[int, ...]:
    try:
        kernels = tuple(int(k) for k in text.replace(" ", "").split(",") if k)
    except ValueError:
        kernels = ()
    if not kernels or any(k < 1 for k in kernels):
        raise DLCLifterError(f"--kernels must be comma-separated positive kernel sizes such "
                             f"as 3,3,3,3 (receptive field 81); got '{text}'.")
    return kernels


def train_command(
    ctx: typer.Context,
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
    """Train the lifter on synthetic mice and report held-out errors.

    The weights' .json sidecar records this command with every option's value.

    Example: dlc-lifter train --out lifter.pt --seed 0 --minutes 30 --threads 2
    """
    from dlc_lifter.nets.train import TrainConfig  # torch

    cfg = TrainConfig(seed=seed, steps=steps, causal_steps=causal_steps,
                      frame_steps=frame_steps, n_sequences=n_sequences, n_frames=n_frames,
                      channels=channels, kernels=_parse_kernels(kernels), max_minutes=minutes,
                      threads=threads)
    path, seconds = _train_and_save(cfg, out, eval_sequences, command_line(ctx))
    typer.echo(f"Trained in {seconds:.0f} s; weights: {path}")


def _train_and_save(cfg: TrainConfig, out: Path, eval_sequences: int,
                    command: str) -> tuple[Path, float]:
    """Train, evaluate on held-out sequences, save the weights and their JSON sidecar.

    The workflow behind ``dlc-lifter train``; it belongs beside
    :func:`dlc_lifter.nets.train.train` and moves there with the split of ``nets``.
    Returns the weights' path and the total seconds.
    """
    from dlc_lifter.nets.lifter import file_hash
    from dlc_lifter.nets.train import evaluate, format_report, train

    t0 = time.monotonic()
    model, history = train(cfg)
    model.info["command"] = command
    sidecar: dict = {"command": command, "config": model.info["config"],
                     "train_seconds": model.info["train_seconds"],
                     "steps_done": history["steps_done"]}
    if eval_sequences > 0:
        report = evaluate(model, n_sequences=eval_sequences, n_frames=cfg.n_frames,
                          seed=cfg.seed + 100_000)
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
    sidecar["sha256"] = file_hash(path)
    sidecar["total_seconds"] = round(time.monotonic() - t0, 1)
    path.with_suffix(".json").write_text(json.dumps(sidecar, indent=2))
    return path, sidecar["total_seconds"]


def evaluate_command(
    model: Path | None = MODEL,
    n_sequences: int = typer.Option(40, "--n-sequences", help="Held-out sequences."),
    n_frames: int = typer.Option(300, "--n-frames", help="Frames per sequence."),
    seed: int = typer.Option(12345, "--seed", help="Seed of the held-out set (use one the "
                             "model was not trained with)."),
    mode: str = MODE,
) -> None:
    """Held-out synthetic errors (MPJPE, PA-MPJPE, height) against two baselines.

    Example: dlc-lifter evaluate --model lifter.pt --n-sequences 40 --mode causal
    """
    from dlc_lifter.lift import Lifter
    from dlc_lifter.nets.train import evaluate, format_report  # torch

    lifter = Lifter.load(model)
    report = evaluate(lifter.model, n_sequences=n_sequences, n_frames=n_frames, seed=seed,
                      mode=mode)
    typer.echo(format_report(report))
