"""Behaviour classification from files: train on label and pose files, predict pose files.

:func:`train_files` reads labels (:func:`dlc_lifter.io.labels.load_labels`) and pose
files, cross-validates 2D vs 3D features (:mod:`dlc_lifter.analysis.crossval`), draws
the confusion matrices and saves the model; :func:`predict_file` writes one pose file's
``<stem>_behaviour.csv`` with its record ``<stem>_behaviour.json`` (the pose file, the
model file and the options, by which :func:`stale_behaviour` tells a batch rerun that it is
up to date), the step :func:`~dlc_lifter.analysis.per_file.run_per_file` runs over a
folder; :func:`predict_files` runs it over a list of files.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dlc_lifter._atomic import check_writable
from dlc_lifter._version import __version__, software_record
from dlc_lifter.analysis.classify import (
    BehaviourModel,
    Estimator,
    FeatureKind,
    load_model,
    predict,
    train_classifier,
)
from dlc_lifter.analysis.confusion_plot import plot_confusion
from dlc_lifter.analysis.crossval import CrossValReport, compare_reports, cross_validate
from dlc_lifter.analysis.features import DEFAULT_WINDOW, compute_features, individual_poses
from dlc_lifter.errors import DLCLifterError, FeatureMismatchError, LabelFileError
from dlc_lifter.io import read_poses
from dlc_lifter.io.labels import (
    align_labels,
    behaviour_output_path,
    labels_for,
    load_labels,
    write_behaviour,
)
from dlc_lifter.io.provenance import not_made_from, same_content, source_record
from dlc_lifter.io.records import read_record, write_record
from dlc_lifter.lift.destinations import Provenance
from dlc_lifter.poses import Poses

__all__ = ["BEHAVIOUR_PROVENANCE", "TRACKED_SHARE", "TrainResult", "behaviour_record_path",
           "features_for", "predict_file", "predict_files", "stale_behaviour",
           "tracked_landmarks", "train_files"]

logger = logging.getLogger(__name__)


def features_for(
    poses: Poses,
    kind: FeatureKind,
    *,
    window: int = DEFAULT_WINDOW,
    individual: str | int | None = None,
    fps: float | None = None,
) -> pd.DataFrame:
    """Features of ``kind`` (``"2d"``: planar, from any poses; ``"3d"``: needs 3D poses).

    Parameters
    ----------
    poses
        2D (pixels) or lifted 3D (mm) poses.
    kind
        ``"2d"`` or ``"3d"``.
    window, individual, fps
        As for :func:`~dlc_lifter.analysis.features.compute_features`.

    Returns
    -------
    pandas.DataFrame
        One row per frame, see :func:`~dlc_lifter.analysis.features.compute_features`.

    Raises
    ------
    FeatureMismatchError
        When 3D features are asked of 2D poses.
    """
    if kind not in ("2d", "3d"):
        raise ValueError(f"feature kind must be '2d' or '3d'; got {kind!r}.")
    if kind == "3d" and not poses.is_3d:
        raise FeatureMismatchError(
            f"{poses.meta.source or 'poses'} holds 2D poses; 3D features need the lifted "
            "*_lifted3d.h5 file (lift_file), or use 2D features (features='2d').")
    return compute_features(poses, window=window, individual=individual, fps=fps,
                            planar=kind == "2d")


#: A landmark the lift did not impute in at least this share of an animal's frames is one
#: its file tracks.
TRACKED_SHARE = 0.5


def tracked_landmarks(poses: Poses, individual: str | int | None = None) -> set[str] | None:
    """The catalogue landmarks a lifted file tracks for ``individual`` (the first where
    ``None``): not imputed by the lift in :data:`TRACKED_SHARE` of the frames that have
    it; ``None`` for poses without the lift's imputed flags and landmark names (2D poses,
    3D from elsewhere)."""
    names = poses.meta.extra.get("catalogue_names")
    if not poses.is_3d or names is None or len(names) != poses.n_keypoints:
        return None
    one, imputed = individual_poses(poses, 0 if individual is None else individual,
                                    poses.meta.source)
    if imputed is None:
        return None
    placed = np.isfinite(one.coords[:, 0]).all(-1)
    seen = placed & ~imputed[:, 0]
    n = np.maximum(placed.sum(0), 1)
    return {str(names[k]) for k in range(one.n_keypoints)
            if placed[:, k].any() and seen[:, k].sum() / n[k] >= TRACKED_SHARE}


def _one_individual(poses: Poses, individual: str | int | None, path: Path) -> str | int | None:
    if individual is None and poses.n_individuals > 1:
        raise LabelFileError(
            f"{path} holds {poses.n_individuals} individuals "
            f"({', '.join(map(str, poses.individuals))}); frame labels belong to one: "
            "pass individual=.")
    return individual


@dataclass
class TrainResult:
    """What :func:`train_files` made: the model, its file, scores and plots."""

    model: BehaviourModel
    model_path: Path
    comparison: pd.DataFrame | None
    reports: dict[str, CrossValReport]
    plots: list[Path]


@dataclass
class _Recording:
    path: Path
    poses: Poses
    individual: str | int | None
    labels: pd.Series


def _read_recordings(labels: str | Path, poses_paths: Sequence[str | Path],
                     features: FeatureKind, fps: float | None, subject: str | None,
                     individual: str | int | None, rater: str | None = None
                     ) -> list[_Recording]:
    """Each pose file with the labels matched to it (:func:`labels_for`)."""
    if not poses_paths:
        raise LabelFileError("Give at least one pose file to train on.")
    read = [(path, read_poses(path)) for path in map(Path, poses_paths)]
    rates = {p.meta.fps for _, p in read}
    for path, poses in read:
        if fps is not None and poses.meta.fps and abs(float(poses.meta.fps) - fps) > 1e-6:
            logger.warning("%s records %g fps; the labels' times are read at the %g fps "
                           "given (--fps), which moves every bout by its time: leave --fps "
                           "out to use the file's rate.", path, poses.meta.fps, fps)
    if fps is None and len(rates) == 1 and None not in rates:  # the pose files' own rate
        fps = float(next(iter(rates)))  # (bouts in seconds need it)
        logger.debug("Labels' times read at %g fps, the pose files'.", fps)
    label_sets = load_labels(labels, fps=fps, subject=subject, rater=rater)
    if None in label_sets and len(poses_paths) > 1:
        raise LabelFileError(
            f"{labels} has no video/file column, so it cannot label {len(poses_paths)} pose "
            "files; add a video column or give a folder with one label file per video.")
    out = []
    for path, poses in read:
        ind = _one_individual(poses, individual, path)
        if features == "3d" and not poses.is_3d:
            raise FeatureMismatchError(
                f"{path} holds 2D poses; train with features='2d' or on the lifted 3D files.")
        out.append(_Recording(path, poses, ind, labels_for(
            label_sets, path, poses.meta.video, alone=len(poses_paths) == 1)))
    return out


def _check_labels(recs: Sequence[_Recording], frames: Sequence[np.ndarray],
                  y: Sequence[np.ndarray], labels: str | Path) -> None:
    """Before any training: labels on frames the pose files do not have are said (a
    table of another recording, frame numbers from 1, bouts read at the wrong rate), and
    labels that cannot train a classifier are refused.

    Raises
    ------
    LabelFileError
        When no label falls on a frame of the pose files, or only one behaviour does.
    """
    for r, f, yy in zip(recs, frames, y, strict=True):
        lab = r.labels.dropna()
        lab = lab[~lab.index.duplicated()]
        if lab.empty or not len(f):
            continue
        idx = lab.index.to_numpy(dtype=np.int64)
        out = ~np.isin(idx, f)
        hit = sum(v is not None for v in yy)
        if out.any():
            logger.warning(
                "%s: %d of the %d frames labelled (%d..%d) are not frames of it (%d..%d) and "
                "are left out%s; check that the labels are this recording's, numbered from 0 "
                "as the pose file is (bouts in seconds: at its frame rate, --fps).", r.path,
                int(out.sum()), len(idx), int(idx.min()), int(idx.max()), int(f.min()),
                int(f.max()), f": only {hit} labelled frames are used" if hit else "")
        elif hit < 0.5 * len(f):
            logger.info("%s: %d of its %d frames are labelled (%d..%d); the rest are not "
                        "trained on.", r.path, hit, len(f), int(idx.min()), int(idx.max()))
    found = [v for yy in y for v in yy if v is not None]
    if not found:
        given = sum(int(r.labels.notna().sum()) for r in recs)
        raise LabelFileError(
            (f"No frame labelled in {labels} is a frame of the pose files (said above for "
             "each): nothing to learn from. Check that the labels are these recordings', "
             "numbered from 0, and for bouts in seconds the frame rate (--fps).") if given
            else f"{labels} labels no frame of the pose files (no label rows for them): "
                 "nothing to learn from.")
    classes = sorted(set(found))
    if len(classes) < 2:
        raise LabelFileError(
            f"Only one behaviour ({classes[0]}) is labelled in {labels} on the pose files' "
            "frames; a classifier needs at least two: label the other frames too (e.g. "
            "'other').")
    folded: dict[str, list[str]] = {}
    for c in classes:
        folded.setdefault(c.casefold().strip(), []).append(c)
    for names in (n for n in folded.values() if len(n) > 1):
        logger.warning("%s: behaviours %s differ only in case or spaces and are learnt as "
                       "different behaviours; write them alike to merge them.", labels,
                       ", ".join(repr(n) for n in names))


def _check_outputs(model_path: Path, cv: bool, overwrite: bool) -> dict[str, Path]:
    """Check, before any work, that the model (and plots) can be written; the plot paths."""
    plot_paths = {k: model_path.with_name(f"{model_path.stem}_confusion_{k}.png")
                  for k in ("2d", "3d")}
    check_writable(model_path, overwrite=overwrite)
    if cv:
        for p in plot_paths.values():
            check_writable(p, overwrite=overwrite)
    return plot_paths


def _cross_validate_kinds(tables: dict[str, list[pd.DataFrame]], y: list[Any],
                          groups: list[str], plot_paths: dict[str, Path], kw: dict[str, Any],
                          overwrite: bool
                          ) -> tuple[dict[str, CrossValReport], list[Path], pd.DataFrame]:
    """Cross-validate every feature kind, draw its confusion matrix, compare the kinds."""
    reports: dict[str, CrossValReport] = {}
    plots: list[Path] = []
    for i, kind in enumerate(tables):
        # the same frames for every kind: a warning of the folds (one video) said once
        reports[kind] = cross_validate(tables[kind], y, groups, warn=not i, **kw)
        plots.append(plot_confusion(reports[kind], plot_paths[kind], overwrite=overwrite,
                                    title=f"{kind.upper()} features: macro F1 "
                                          f"{reports[kind].macro_f1:.2f}"))
    if "3d" in reports:
        comparison = compare_reports(reports["2d"], reports["3d"])
    else:
        comparison = reports["2d"].table().rename(columns={"f1": "f1_2d"})
    return reports, plots, comparison


def train_files(
    labels: str | Path,
    poses_paths: Sequence[str | Path],
    model_path: str | Path,
    *,
    features: FeatureKind = "3d",
    window: int = DEFAULT_WINDOW,
    cv: bool = True,
    n_splits: int = 5,
    estimator: Estimator = "random_forest",
    n_estimators: int = 200,
    seed: int = 0,
    fps: float | None = None,
    subject: str | None = None,
    individual: str | int | None = None,
    overwrite: bool = False,
    group_by: str = "video",
    rater: str | None = None,
) -> TrainResult:
    """Train a model from label and pose files; cross-validate 2D vs 3D features first.

    Parameters
    ----------
    labels
        Label file or folder, see :func:`~dlc_lifter.io.labels.load_labels`; matched to
        each pose file by :func:`~dlc_lifter.io.labels.labels_for`.
    poses_paths
        Pose files (lifted 3D, or 2D for ``features="2d"``), one per video.
    model_path
        Where the joblib model goes; the confusion matrices go beside it as
        ``<stem>_confusion_2d.png`` / ``_3d.png``.
    features
        Features the saved model uses.
    window
        Rolling window of the features (frames).
    cv
        Cross-validate (grouped by pose file) before training: 2D features, and 3D
        features too when every pose file is 3D.
    n_splits, estimator, n_estimators, seed
        See :func:`~dlc_lifter.analysis.crossval.cross_validate`.
    fps
        Frame rate for BORIS times and for velocities (default: the files').
    subject
        BORIS subject to keep.
    individual
        Individual the labels describe (needed when files hold several).
    overwrite
        Replace an existing model and plots.
    group_by
        The cross-validation's groups: ``"video"`` (each pose file; one file is cut into
        contiguous blocks) or ``"bouts"`` (every behaviour bout, for one long recording).
    rater
        In a bout table labelled by several people, whose bouts to train on
        (:func:`~dlc_lifter.io.labels.load_labels`).

    Returns
    -------
    TrainResult
    """
    if group_by not in ("video", "bouts"):
        raise ValueError(f"group_by must be 'video' or 'bouts'; got {group_by!r}.")
    model_path = Path(model_path)
    plot_paths = _check_outputs(model_path, cv, overwrite)
    recs = _read_recordings(labels, poses_paths, features, fps, subject, individual, rater)
    kinds: list[FeatureKind] = ["2d", "3d"] if all(r.poses.is_3d for r in recs) else ["2d"]
    tables = {kind: [features_for(r.poses, kind, window=window, individual=r.individual,
                                  fps=fps) for r in recs]
              for kind in kinds}
    y = [align_labels(r.labels, df["frame"].to_numpy())
         for r, df in zip(recs, tables["2d"], strict=True)]
    _check_labels(recs, [df["frame"].to_numpy() for df in tables["2d"]], y, labels)
    reports: dict[str, CrossValReport] = {}
    plots: list[Path] = []
    comparison = None
    if cv:
        kw: dict[str, Any] = dict(n_splits=n_splits, estimator=estimator,
                                  n_estimators=n_estimators, seed=seed)
        reports, plots, comparison = _cross_validate_kinds(
            tables, y, "bouts" if group_by == "bouts" else [str(r.path) for r in recs],
            plot_paths, kw, overwrite)
    model = train_classifier(tables[features], y, estimator=estimator,
                             n_estimators=n_estimators, seed=seed, feature_kind=features)
    model.info["trained_on"] = [str(r.path) for r in recs]
    tracked = [tracked_landmarks(r.poses, r.individual) for r in recs]
    if tracked and all(t is not None for t in tracked):  # what every training file tracked
        model.info["tracked_landmarks"] = sorted(set.intersection(*tracked))  # type: ignore[arg-type]
    model.save(model_path, overwrite=overwrite)
    return TrainResult(model=model, model_path=model_path, comparison=comparison,
                       reports=reports, plots=plots)


def predict_files(
    model: BehaviourModel | str | Path,
    poses_paths: Sequence[str | Path],
    *,
    destfolder: str | Path | None = None,
    individual: str | int | None = None,
    fps: float | None = None,
    overwrite: bool = False,
) -> list[Path]:
    """Predict the behaviour of every frame of pose files; write ``<stem>_behaviour.csv``
    (:func:`predict_file`, its record beside it) per pose file.

    Every output is checked before any is written; two files of one name into one
    ``destfolder`` are refused. The command line's ``classify predict`` over several files
    or folders runs :func:`predict_file` as a batch instead
    (:func:`~dlc_lifter.analysis.per_file.run_per_file`: same-named files' predictions in
    subfolders, those up to date skipped).

    Parameters
    ----------
    model
        A :class:`~dlc_lifter.analysis.classify.BehaviourModel` or a saved model's path.
    poses_paths
        Pose files to classify.
    destfolder
        Output folder (default: beside each pose file).
    individual, fps
        As for :func:`~dlc_lifter.analysis.features.compute_features`.
    overwrite
        Replace existing outputs.

    Returns
    -------
    list of Path
        The CSVs written, one per pose file.

    Raises
    ------
    FeatureMismatchError
        When a file cannot give the model's features (2D poses for a 3D model, other
        keypoints).
    """
    m, model_file = (model, None) if isinstance(model, BehaviourModel) else (
        load_model(model), Path(model))
    outs = [behaviour_output_path(p, destfolder) for p in poses_paths]
    seen: dict[Path, str | Path] = {}
    for p, o in zip(poses_paths, outs, strict=True):
        if o in seen:  # two sessions' files of one name into one folder
            raise DLCLifterError(
                f"{seen[o]} and {p} would both write {o}: predict them into separate "
                "folders (destfolder=), or leave destfolder out to write beside each file.")
        seen[o] = p
    for o in outs:
        check_writable(o, overwrite=overwrite)
    return [predict_file(m, path, out, model_file=model_file, individual=individual, fps=fps,
                         overwrite=overwrite)[0]
            for path, out in zip(map(Path, poses_paths), outs, strict=True)]


def predict_file(
    model: BehaviourModel | str | Path,
    poses_path: str | Path,
    output: str | Path,
    *,
    model_file: str | Path | None = None,
    individual: str | int | None = None,
    fps: float | None = None,
    overwrite: bool = False,
) -> list[Path]:
    """Predict the behaviour of every frame of one pose file; write it to ``output`` (CSV,
    :func:`~dlc_lifter.io.labels.write_behaviour`) with its record beside it.

    Features are computed as the model's were (2D or 3D, same window). The record,
    ``<output stem>.json`` (:func:`behaviour_record_path`), names the pose file and the
    model file (path, size and a fingerprint of the content) and the options: a batch rerun
    skips a prediction made from the same file with the same model and options
    (:func:`stale_behaviour`). It is written first, so a prediction is never without it.

    Parameters
    ----------
    model
        A :class:`~dlc_lifter.analysis.classify.BehaviourModel` or a saved model's path.
    poses_path
        The pose file to classify.
    output
        The CSV to write (:func:`~dlc_lifter.io.labels.behaviour_output_path`).
    model_file
        The file a ``model`` given loaded was read from, for the record (``model`` a path:
        that path); ``None``: the record names no model file, and a rerun cannot tell the
        prediction up to date.
    individual, fps
        As for :func:`~dlc_lifter.analysis.features.compute_features`.
    overwrite
        Replace an existing output.

    Returns
    -------
    list of Path
        The CSV and its record.

    Raises
    ------
    FeatureMismatchError
        When the file cannot give the model's features (2D poses for a 3D model, other
        keypoints).
    dlc_lifter.errors.OutputExistsError
        When ``output`` exists and ``overwrite`` is false.
    """
    if not isinstance(model, BehaviourModel):
        model_file, model = model, load_model(model)
    path, out = Path(poses_path), Path(output)
    check_writable(out, overwrite=overwrite)
    poses = read_poses(path)
    rate = fps
    if rate is None and not poses.meta.fps and model.info.get("fps"):
        rate = float(model.info["fps"])  # velocities at the rate the model learnt them
        logger.info("%s: frame rate unknown; using the model's training frame rate, "
                    "%g fps (pass fps= / --fps if this recording's differs).", path, rate)
    _warn_untracked(model, poses, individual, path)
    df = features_for(poses, model.feature_kind, window=model.window,  # type: ignore[arg-type]
                      individual=individual, fps=rate)
    pred = predict(model, df, source=str(path))
    record = {"source": source_record(path),
              "model": None if model_file is None else source_record(model_file),
              "options": _predict_options(individual, fps),
              "feature_kind": model.feature_kind, "window": int(model.window),
              "classes": list(model.classes), "frames": len(pred),
              "dlc_lifter_version": __version__, "software": software_record(),
              "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    side = behaviour_record_path(out)
    write_record(record, side, overwrite=overwrite or (
        not out.exists() and read_record(side) is not None))
    write_behaviour(pred, out, overwrite=overwrite)
    animals = int(pred["individual"].nunique()) if "individual" in pred else 1
    frames = int(pred["frame"].nunique()) if "frame" in pred else len(pred)
    logger.info("Wrote behaviour of %d frames%s to %s", frames,
                f" of {animals} animals ({len(pred)} rows)" if animals > 1 else "", out)
    return [out, side]


def behaviour_record_path(output: str | Path) -> Path:
    """``<stem>_behaviour.json`` beside a prediction ``<stem>_behaviour.csv``: what it was
    made from (:func:`predict_file`)."""
    p = Path(output)
    return p.with_name(f"{p.stem}.json")


def _predict_options(individual: str | int | None, fps: float | None) -> dict[str, Any]:
    """The options :func:`predict_file` was given, as its record keeps them."""
    return {"individual": None if individual is None else str(individual),
            "fps": None if fps is None else float(fps)}


def _recorded_poses(output: Path) -> dict[str, Any] | None:
    """The pose file a prediction's record names
    (:func:`~dlc_lifter.io.provenance.source_record`), or ``None``."""
    record = read_record(behaviour_record_path(output))
    source = None if record is None else record.get("source")
    return source if isinstance(source, dict) and source.get("path") else None


#: What a prediction records of its pose file, to find it again in an output folder
#: (:func:`~dlc_lifter.lift.destinations.settle_output`).
BEHAVIOUR_PROVENANCE = Provenance(recorded=_recorded_poses)


def stale_behaviour(output: str | Path, poses_path: str | Path, model_file: str | Path,
                    *, individual: str | int | None = None, fps: float | None = None
                    ) -> str | None:
    """Why an existing prediction is not what :func:`predict_file` would make of
    ``poses_path`` now; ``None`` where it is (a batch rerun skips it).

    Parameters
    ----------
    output
        An existing prediction (``<stem>_behaviour.csv``).
    poses_path
        The pose file it is to be made from.
    model_file
        The saved model it is to be made with.
    individual, fps
        The options asked for now, as :func:`predict_file` takes them.

    Returns
    -------
    str or None
        ``None`` where its record (:func:`behaviour_record_path`) names this pose file (or
        one of its name and content: moved, copied) as it is now, a model file of the same
        content and the same options; else a clause saying what differs.
    """
    out = Path(output)
    side = behaviour_record_path(out)
    record = read_record(side)
    if record is None:
        return f"and no record {side.name} beside it says what it was made from"
    try:
        here, model_now = source_record(poses_path), source_record(model_file)
    except OSError as exc:
        return f"and {exc.filename} cannot be read to compare it with what it was made from"
    changed = not_made_from(record.get("source") or {}, here, poses_path)
    if changed:
        return changed
    was = record.get("model")
    if not isinstance(was, dict):
        return "made with a model not read from a file (its record names none)"
    if not same_content(was, model_now):
        return (f"made with {model_file} as it was before it was written again"
                if was.get("path") == model_now["path"]
                else f"made with another model (its record names {was.get('path')})")
    asked, then = _predict_options(individual, fps), record.get("options") or {}
    differ = [k for k in asked if then.get(k) != asked[k]]
    if not differ:
        return None

    def said(name: str, value: Any) -> str:
        if value is None:
            return {"individual": "the first", "fps": "the file's"}[name]
        return f"{value:g}" if isinstance(value, float) else str(value)

    return (f"made with {', '.join(f'{k}={said(k, then.get(k))}' for k in differ)} (asked "
            f"for now: {', '.join(f'{k}={said(k, asked[k])}' for k in differ)})")


def _warn_untracked(model: BehaviourModel, poses: Poses, individual: str | int | None,
                    path: Path) -> None:
    """Warn where the file only imputes landmarks every training file tracked: the model's
    features there are the lifter's guess, not the animal's (a model of a 13-keypoint
    open field classifying a 4-keypoint file called 99 frames of 2330 rears, silently)."""
    trained = model.info.get("tracked_landmarks")
    here = tracked_landmarks(poses, individual)
    if not trained or here is None:
        return
    missing = [n for n in trained if n not in here]
    if missing:
        logger.warning(
            "%s: the behaviour model was trained on files that track %s, which this file "
            "does not (its 3D there is the lifter's guess from the other keypoints): its "
            "behaviour may be unreliable. Classify files tracked like the training files, or "
            "train a model on files like this one.", path, ", ".join(missing))
