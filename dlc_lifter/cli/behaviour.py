"""``dlc-lifter features``, ``classify train`` / ``predict`` and ``plot``: using the 3D poses."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from dlc_lifter.cli.options import INDIVIDUAL, KEYPOINT_MAP, RECURSIVE, WINDOW

if TYPE_CHECKING:
    from dlc_lifter.analysis.per_file import Existing, Placement

__all__ = ["classify_predict_command", "classify_train_command", "features_command",
           "plot_command"]

_FPS = typer.Option(None, "--fps", help="Frame rate (default: the file's or its video's; "
                    "30 if unknown).")
#: These verbs' own: the batch verbs' options say what a batch does with them.
_DESTFOLDER = typer.Option(None, "--destfolder", "-o", help="Output folder (default: beside "
                           "each input).")
_PCUTOFF_2D = typer.Option(None, "--pcutoff", help="2D poses: points below this likelihood "
                           "are untracked (default 0.6, as DeepLabCut's).")
_OVERWRITE = typer.Option(False, "--overwrite", help="Replace outputs that already exist "
                          "(default: refused).")
_OVERWRITE_SKIP = typer.Option(False, "--overwrite", help="Replace outputs that already "
                               "exist (default: of several files, an output made from the "
                               "same file with the same options is skipped, another "
                               "refused; of one file named, refused).")


def _each(entries: list[Path], destfolder: Path | None,
          work: Callable[[Path, Path | None], list[Path]], *, recursive: bool = False,
          two_d: bool = True, existing: Existing | None = None,
          placement: Placement | None = None, desc: str = "files") -> None:
    """Run ``work`` on one file named, printing what it wrote (an error stops it); or on
    several, or a folder's (:func:`~dlc_lifter.analysis.per_file.run_per_file`): outputs
    up to date skipped, one that fails reported while the others go on, then every output
    and a closing summary (exit code 1 where a file failed)."""
    from dlc_lifter.analysis.per_file import analysis_inputs, run_per_file
    from dlc_lifter.cli import cli_message

    if len(entries) == 1 and not entries[0].is_dir():  # where a batch would put it
        from dlc_lifter.lift.destinations import destination_folders

        for path in work(entries[0], destination_folders(entries, destfolder)[entries[0]]):
            typer.echo(str(path))
        return
    files = analysis_inputs(entries, recursive=recursive, two_d=two_d)
    report = run_per_file(files, destfolder, work, existing=existing, placement=placement,
                          desc=desc)
    for item in sorted(report.done + report.skipped, key=lambda i: str(i.output)):
        for path in (item.output, *item.extra_outputs):
            typer.echo(str(path))
    typer.echo(cli_message(report.summary()))
    if not report.ok:
        raise typer.Exit(1)


def features_command(
    poses_files: list[Path] = typer.Argument(..., metavar="OUTPUT_3D...", help="Lifted 3D "
                                             "pose files (*_lifted3d.h5/.csv) and/or folders "
                                             "of them, or 2D pose files (a folder without "
                                             "lifts: its 2D pose files) for 2D features."),
    recursive: bool = RECURSIVE,
    csv: bool = typer.Option(False, "--csv", help="Write csv (the default)."),
    parquet: bool = typer.Option(False, "--parquet", help="Write parquet (needs pyarrow)."),
    destfolder: Path | None = _DESTFOLDER,
    window: int = WINDOW,
    planar: bool = typer.Option(False, "--planar", help="From 3D poses, compute only the "
                                "features 2D poses give (x, y), for 2D-vs-3D comparisons."),
    individual: str | None = INDIVIDUAL,
    fps: float | None = _FPS,
    keypoint_map: Path | None = KEYPOINT_MAP,
    pcutoff: float | None = _PCUTOFF_2D,
    overwrite: bool = _OVERWRITE_SKIP,
) -> None:
    """Write per-frame behavioural features of pose files to <stem>_features.csv|parquet.

    Beside each table, <stem>_features.json records how it was made: the pose file, the
    version, the frame rate and where it came from, the window, the rearing rule, each
    column's unit and which landmarks the lift imputed. A file of two animals or more also
    gets social columns (social_*): each animal's nearest other in every frame, their
    distances, approach speed and facing angle (docs/formats.md); --individual keeps them.

    Example: dlc-lifter features videoDLC_resnet50_lifted3d.h5 --window 15 --parquet
    (a batch's lifts: dlc-lifter features out/ --recursive -o features/; a rerun after the
    dataset grew skips the tables made already)
    """
    from dlc_lifter.analysis.features import (
        FEATURES_PROVENANCE,
        compute_features,
        features_output_path,
        features_sidecar_path,
        require_parquet,
        stale_features,
        write_features,
    )
    from dlc_lifter.analysis.per_file import Placement
    from dlc_lifter.io import read_poses
    from dlc_lifter.lift.keypoints import resolve_keypoint_map

    if csv and parquet:
        raise typer.BadParameter("give --csv or --parquet, not both.")
    fmt = "parquet" if parquet else "csv"
    mapping = resolve_keypoint_map(keypoint_map)
    if fmt == "parquet":
        require_parquet()  # before reading anything

    def one(poses_file: Path, folder: Path | None) -> list[Path]:
        df = compute_features(read_poses(poses_file), window=window, individual=individual,
                              fps=fps, planar=planar, keypoint_map=mapping, pcutoff=pcutoff)
        table = write_features(df, features_output_path(poses_file, folder, fmt), fmt,
                               overwrite=overwrite, source=poses_file)
        return [table, features_sidecar_path(table)]

    asked = {"window": window, "planar": planar, "fps": fps, "pcutoff": pcutoff,
             "individual": individual, "keypoint_map": mapping}

    def existing(poses_file: Path, folder: Path | None) -> tuple[Path, str | None] | None:
        table = features_output_path(poses_file, folder, fmt)
        if overwrite or not table.exists():
            return None
        why = stale_features(table, poses_file, asked)
        return table, None if why is None else f"{table} exists, {why}: overwrite=True replaces it"

    _each(poses_files, destfolder, one, recursive=recursive, existing=existing,
          placement=Placement(lambda f, folder: features_output_path(f, folder, fmt),
                              FEATURES_PROVENANCE), desc="features")


def classify_train_command(
    labels: Path = typer.Argument(..., help="Frame labels: CSV (frame, behaviour[, video]), "
                                  "a one-hot table (DeepEthogram's <video>_labels.csv), a "
                                  "BORIS export, a bout table (type or behaviour, from/to "
                                  "or onset/offset in seconds; --rater where several "
                                  "people labelled), or a folder of per-video label files."),
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
    rater: str | None = typer.Option(None, "--rater", help="In a bout table labelled by "
                                     "several people (an Experimenter / observer column), "
                                     "whose bouts to train on."),
    individual: str | None = INDIVIDUAL,
    overwrite: bool = _OVERWRITE,
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
                         group_by=group_by, rater=rater)
    if result.comparison is not None:
        folds = next(iter(result.reports.values()))
        by = {"blocks": "contiguous blocks of the one video", "bouts": "behaviour bout",
              "given": "the groups given"}.get(folds.grouping, "video")
        typer.echo(f"Per-class F1, {folds.n_splits}-fold cross-validation grouped by {by} "
                   f"({folds.n_groups} groups):")
        with pd.option_context("display.float_format", "{:.3f}".format,
                               "display.width", 120):
            typer.echo(result.comparison.to_string())
        if "f1_3d" in result.comparison:
            typer.echo("f1_2d: the features 2D gives (x, y) of the lifted points, the lift's "
                       "imputed landmarks and untracked points included; for the 2D you had, "
                       "train on the 2D pose files with --features 2d.")
    for p in result.plots:
        typer.echo(str(p))
    typer.echo(str(result.model_path))


def classify_predict_command(
    model: Path = typer.Argument(..., help="Model from 'dlc-lifter classify train'."),
    poses: list[Path] = typer.Argument(..., metavar="POSES...", help="Pose files to classify "
                                       "and/or folders of lifted 3D files (of 2D pose files "
                                       "for a model of 2D features)."),
    recursive: bool = RECURSIVE,
    destfolder: Path | None = _DESTFOLDER,
    individual: str | None = INDIVIDUAL,
    fps: float | None = _FPS,
    overwrite: bool = _OVERWRITE_SKIP,
) -> None:
    """Predict the behaviour of every frame; write <stem>_behaviour.csv per pose file.

    Beside each, <stem>_behaviour.json records the pose file and the model it was made
    from, and the options: a rerun over a folder skips the predictions up to date.

    Example: dlc-lifter classify predict m.joblib c_lifted3d.h5 --destfolder out/
    (a batch's lifts: dlc-lifter classify predict m.joblib out/ --recursive -o behaviour/)
    """
    from dlc_lifter.analysis.classify import load_model
    from dlc_lifter.analysis.classify_files import (
        BEHAVIOUR_PROVENANCE,
        predict_file,
        stale_behaviour,
    )
    from dlc_lifter.analysis.per_file import Placement
    from dlc_lifter.io.labels import behaviour_output_path

    m = load_model(model)

    def one(poses_file: Path, folder: Path | None) -> list[Path]:
        return predict_file(m, poses_file, behaviour_output_path(poses_file, folder),
                            model_file=model, individual=individual, fps=fps,
                            overwrite=overwrite)

    def existing(poses_file: Path, folder: Path | None) -> tuple[Path, str | None] | None:
        out = behaviour_output_path(poses_file, folder)
        if overwrite or not out.exists():
            return None
        why = stale_behaviour(out, poses_file, model, individual=individual, fps=fps)
        return out, None if why is None else f"{out} exists, {why}: overwrite=True replaces it"

    _each(poses, destfolder, one, recursive=recursive, two_d=m.feature_kind == "2d",
          existing=existing, placement=Placement(behaviour_output_path, BEHAVIOUR_PROVENANCE),
          desc="behaviour")


def plot_command(
    outputs_3d: list[Path] = typer.Argument(..., metavar="OUTPUT_3D...",
                                            help="*_lifted3d.h5 files and/or folders of "
                                            "them."),
    recursive: bool = RECURSIVE,
    video: Path = typer.Option(None, "--video", help="The original video, shown beside "
                               "the 3D view."),
    out_dir: Path = typer.Option(None, "--out-dir", "-o", help="Folder for the plots "
                                 "(default: beside the 3D file)."),
    max_frames: int = typer.Option(None, "--max-frames", min=1, help="Render at most this "
                                   "many video frames."),
    fps: float = typer.Option(None, "--fps", help="Frame rate if the files lack it."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Draw plots that are up to "
                                   "date again (default: of several files, plots drawn "
                                   "from the same lift with the same options are skipped; "
                                   "one file named is always drawn)."),
) -> None:
    """Write the 3D video (original | 3D skeleton), height and trajectory plots.

    Beside them, <stem>_plots.json records the lift they were drawn from and the options:
    a rerun over a folder skips the plots up to date and draws the others.

    Example: dlc-lifter plot videoDLC_resnet50_lifted3d.h5 --video video.mp4 --max-frames 900
    (a batch's lifts: dlc-lifter plot out/ --recursive -o plots/ --max-frames 900)
    """
    from dlc_lifter.analysis.per_file import Placement
    from dlc_lifter.analysis.plots import (  # matplotlib
        PLOTS_PROVENANCE,
        plot_lifted,
        plot_paths,
        plots_up_to_date,
    )

    if video is not None and (len(outputs_3d) > 1 or outputs_3d[0].is_dir()):
        raise typer.BadParameter("--video is one file's video: give it with one 3D file "
                                 "(each file's own video is found from its record).")

    def existing(lift: Path, folder: Path | None) -> tuple[Path, str | None] | None:
        if overwrite or not plots_up_to_date(lift, folder, max_frames=max_frames, fps=fps):
            return None
        return plot_paths(lift, folder)[0], None

    _each(outputs_3d, out_dir, lambda f, folder: plot_lifted(
        f, video=video, out_dir=folder, max_frames=max_frames, fps=fps),
        recursive=recursive, two_d=False, existing=existing,
        placement=Placement(lambda f, folder: plot_paths(f, folder)[0], PLOTS_PROVENANCE),
        desc="plots")
