"""``dlc-lifter synth``: make a synthetic training dataset from the rigged mouse."""

from __future__ import annotations

import time
from pathlib import Path

import typer

__all__ = ["synth_command"]


def synth_command(
    out_dir: Path = typer.Argument(..., help="Dataset folder (created; a rerun resumes it)."),
    n_frames: int = typer.Option(..., "--n-frames", "-n", min=1, help="Number of samples."),
    seed: int = typer.Option(0, "--seed", help="Seed; the same seed gives identical shards."),
    workers: int = typer.Option(1, "--workers", "-j", "-w", min=1,
                                help="Worker processes (-j as every other verb's --workers; -w, "
                                     "which other verbs use for --window, is kept for old "
                                     "scripts)."),
    quality: str = typer.Option(
        "fast", "--quality",
        help="fast: numba rasteriser (default, most trained-model quality per minute of "
             "compute); realistic: Blender Cycles, low samples + denoising."),
    poses_only: bool = typer.Option(
        False, "--poses-only", help="No images: 3D keypoints and 2D projections only."),
    resolution: int = typer.Option(256, "--resolution", min=16, help="Square image size."),
    shard_size: int | None = typer.Option(
        None, "--shard-size", min=1, help="Frames per shard (default 64; 8192 poses only)."),
    contact_sheet: bool = typer.Option(
        True, "--contact-sheet/--no-contact-sheet",
        help="Also write contact_sheet.png of random samples."),
) -> None:
    """Render a synthetic dataset: sharded .npz files plus index.json in OUT_DIR.

    Example: dlc-lifter synth data/synth --n-frames 2048 --workers 2
    """
    from dlc_lifter.synth.contact_sheet import write_contact_sheet
    from dlc_lifter.synth.dataset import synthesize

    if quality not in ("fast", "realistic"):
        raise typer.BadParameter("--quality must be 'fast' or 'realistic'.")
    t0 = time.perf_counter()
    index = synthesize(out_dir, n_frames, seed=seed, workers=workers, quality=quality,
                       poses_only=poses_only, resolution=resolution, shard_size=shard_size)
    seconds = time.perf_counter() - t0
    if contact_sheet:
        write_contact_sheet(index, Path(out_dir) / "contact_sheet.png")
    typer.echo(f"{n_frames} frames in {seconds:.1f} s ({n_frames / max(seconds, 1e-9):.1f} "
               f"frames/s); index: {index}")

