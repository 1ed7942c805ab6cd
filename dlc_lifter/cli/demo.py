"""``dlc-lifter demo``: lift the bundled synthetic example and show what came out."""

from __future__ import annotations

from pathlib import Path

import typer

__all__ = ["demo_command"]


def demo_command(
    out_dir: Path = typer.Option(None, "--out-dir", "-o", help="Where to write the results "
                                 "(default: ./dlc_lifter_demo)."),
) -> None:
    """Lift the bundled synthetic example and write the 3D file, plots and video.

    Example: dlc-lifter demo --out-dir /tmp/dlc_lifter_demo
    """
    from dlc_lifter.demo import run_demo
    from dlc_lifter.io.records import read_json

    folder = run_demo(out_dir)
    summary = read_json(folder / "summary.json")
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
