"""``dlc-lifter features``, ``classify train`` / ``predict`` and ``plot``: using the 3D poses."""

from __future__ import annotations

from pathlib import Path

import typer

from dlc_lifter.cli.options import DESTFOLDER, INDIVIDUAL, KEYPOINT_MAP, OVERWRITE, WINDOW
from dlc_lifter.errors import DLCLifterError

__all__ = ["classify_predict_command", "classify_train_command", "features_command",
           "plot_command"]

_FPS = typer.Option(None, "--fps", help="Frame rate (default: the file's or its video's; "
                    "30 if unknown).")


def features_command(
    poses_file: Path = typer.Argument(..., metavar="OUTPUT_3D", help="Lifted 3D pose file "
                                      "(*_lifted3d.h5/.csv), or a 2D pose file for 2D "
                                      "features."),
    csv: bool = typer.Option(False, "--csv", help="Write csv (the default)."),
    parquet: bool = typer.Option(False, "--parquet", help="Write parquet (needs pyarrow)."),
    destfolder: Path | None = DESTFOLDER,
    window: int = WINDOW,
    planar: bool = typer.Option(False, "--planar", help="From 3D poses, compute only the "
                                "features 2D poses give (x, y), for 2D-vs-3D comparisons."),
    individual: str | None = INDIVIDUAL,
    fps: float | None = _FPS,
    keypoint_map: Path | None = KEYPOINT_MAP,
    overwrite: bool = OVERWRITE,
) -> None:
    """Write per-frame behavioural features of a pose file to <stem>_features.csv|parquet.

    Example: dlc-lifter features videoDLC_resnet50_lifted3d.h5 --window 15 --parquet
    """
    from dlc_lifter.analysis.features import (
        compute_features,
        features_output_path,
        require_parquet,
        write_features,
    )
    from dlc_lifter.io import read_poses
    from dlc_lifter.mouse.catalogue import load_mapping

    if csv and parquet:
        raise typer.BadParameter("give --csv or --parquet, not both.")
    fmt = "parquet" if parquet else "csv"
    out = features_output_path(poses_file, destfolder, fmt)
    mapping = None
    if keypoint_map is not None:
        try:
            mapping = load_mapping(keypoint_map)
        except (FileNotFoundError, ValueError) as exc:  # UnknownKeypointError is ours
            raise DLCLifterError(str(exc)) from None
    if fmt == "parquet":
        require_parquet()  # before reading anything
    poses = read_poses(poses_file)
    df = compute_features(poses, window=window, individual=individual, fps=fps,
                          planar=planar, keypoint_map=mapping)
    typer.echo(str(write_features(df, out, fmt, overwrite=overwrite, source=poses_file)))


def classify_train_command(
    labels: Path = typer.Argument(..., help="Frame labels: CSV (frame, behaviour[, video]), "
                                  "a one-hot table (DeepEthogram's <video>_labels.csv), a "
                                  "BORIS export, or a folder of per-video label files."),
    poses: list[Path] = typer.Argument(..., help="Lifted 3D (or 2D) pose files, one per "
                                       "video."),
    model: Path = typer.Option(..., "--model", help="Output model file (.joblib)."),
    features: str = typer.Option("3d", "--features", help="Features the model uses: 2d or 3d."),
    window: int = WINDOW,
    cv: bool = typer.Option(True, "--cv/--no-cv", help="Cross-validate 2D vs 3D features "
                            "(grouped by video) before training."),
    group_by: str = typer.Option("video", "--group-by", help="Cross-validation groups: "
                                 "video (each pose file; one file is cut into blocks) or "
                                 "bouts (every behaviour bout: one long recording)."),
    n_splits: int = typer.Option(5, "--n-splits", min=2, help="Cross-validation folds."),
    estimator: str = typer.Option("random_forest", "--estimator",
                                  help="random_forest or hist_gradient_boosting."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    fps: float | None = typer.Option(None, "--fps", help="Frame rate for BORIS times and "
                                     "velocities (default: the files')."),
    subject: str | None = typer.Option(None, "--subject", help="BORIS subject to keep."),
    individual: str | None = INDIVIDUAL,
    overwrite: bool = OVERWRITE,
) -> None:
    """Train a frame behaviour classifier; print per-class F1 of 2D vs 3D features.

    Example: dlc-lifter classify train labels.csv a_lifted3d.h5 b_lifted3d.h5 --model m.joblib
    """
    import pandas as pd

    from dlc_lifter.analysis.classify_files import train_files

    if features not in ("2d", "3d"):
        raise typer.BadParameter("--features must be 2d or 3d.")
    if estimator not in ("random_forest", "hist_gradient_boosting"):
        raise typer.BadParameter("--estimator must be random_forest or hist_gradient_boosting.")
    if group_by not in ("video", "bouts"):
        raise typer.BadParameter("--group-by must be video or bouts.")
    result = train_files(labels, poses, model, features=features,  # type: ignore[arg-type]
                         window=window, cv=cv, n_splits=n_splits,
                         estimator=estimator, seed=seed,  # type: ignore[arg-type]
                         fps=fps, subject=subject, individual=individual, overwrite=overwrite,
                         group_by=group_by)
    if result.comparison is not None:
        folds = next(iter(result.reports.values()))
        by = {"blocks": "contiguous blocks of the one video", "bouts": "behaviour bout",
              "given": "the groups given"}.get(folds.grouping, "video")
        typer.echo(f"Per-class F1, {folds.n_splits}-fold cross-validation grouped by {by} "
                   f"({folds.n_groups} groups):")
        with pd.option_context("display.float_format", "{:.3f}".format,
                               "display.width", 120):
            typer.echo(result.comparison.to_string())
    for p in result.plots:
        typer.echo(str(p))
    typer.echo(str(result.model_path))


def classify_predict_command(
    model: Path = typer.Argument(..., help="Model from 'dlc-lifter classify train'."),
    poses: list[Path] = typer.Argument(..., help="Pose files to classify."),
    destfolder: Path | None = DESTFOLDER,
    individual: str | None = INDIVIDUAL,
    fps: float | None = _FPS,
    overwrite: bool = OVERWRITE,
) -> None:
    """Predict the behaviour of every frame; write <stem>_behaviour.csv per pose file.

    Example: dlc-lifter classify predict m.joblib c_lifted3d.h5 --destfolder out/
    """
    from dlc_lifter.analysis.classify_files import predict_files

    for out in predict_files(model, poses, destfolder=destfolder, individual=individual,
                             fps=fps, overwrite=overwrite):
        typer.echo(str(out))


def plot_command(
    output_3d: Path = typer.Argument(..., help="A *_lifted3d.h5 file."),
    video: Path = typer.Option(None, "--video", help="The original video, shown beside "
                               "the 3D view."),
    out_dir: Path = typer.Option(None, "--out-dir", "-o", help="Folder for the plots "
                                 "(default: beside the 3D file)."),
    max_frames: int = typer.Option(None, "--max-frames", help="Render at most this many "
                                   "video frames."),
    fps: float = typer.Option(None, "--fps", help="Frame rate if the files lack it."),
) -> None:
    """Write the 3D video (original | 3D skeleton), height and trajectory plots.

    Example: dlc-lifter plot videoDLC_resnet50_lifted3d.h5 --video video.mp4 --max-frames 900
    """
    from dlc_lifter.analysis.plots import plot_lifted  # matplotlib

    for path in plot_lifted(output_3d, video=video, out_dir=out_dir, max_frames=max_frames,
                            fps=fps):
        typer.echo(str(path))
