"""Frame-wise behaviour classification from pose features, and 2D-vs-3D comparisons.

Labels come from a CSV (columns ``frame`` and ``behaviour``, optionally ``video`` or
``file`` naming the recording) or a BORIS export (aggregated events ``Subject,
Behavior, Start (s), Stop (s)`` or tabular events ``Time, Behavior, Status`` with
START/STOP/POINT rows), turned into one label per frame with the frame rate.

A scikit-learn random forest (or histogram gradient boosting), class weights balanced
and seeded, learns the behaviour of each frame from :func:`compute_features` columns.
:func:`cross_validate` scores it with cross-validation grouped by video (no frame of a
test video is seen in training); :func:`compare_2d_3d` does so for 2D and for 3D
features of the same frames and tabulates per-class F1 side by side.

Models are saved with joblib together with their feature columns, class names and how
the features were computed, so :func:`predict` can check that new features match.
"""

from __future__ import annotations

import csv
import io
import logging
import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from dlc_lifter._atomic import atomic_output, check_writable
from dlc_lifter.analysis.features import (
    DEFAULT_WINDOW,
    ID_COLUMNS,
    compute_features,
    feature_columns,
)
from dlc_lifter.errors import DLCLifterError
from dlc_lifter.poses import Poses

__all__ = [
    "BACKGROUND",
    "BehaviourModel",
    "CrossValReport",
    "FeatureMismatchError",
    "LabelFileError",
    "ModelFileError",
    "TrainResult",
    "align_labels",
    "behaviour_output_path",
    "compare_2d_3d",
    "compare_reports",
    "cross_validate",
    "features_for",
    "labels_for",
    "load_labels",
    "load_model",
    "plot_confusion",
    "predict",
    "predict_files",
    "train_classifier",
    "train_files",
]

logger = logging.getLogger(__name__)

#: Label of frames inside a BORIS observation that no state event covers.
BACKGROUND = "other"
#: Format tag stored in saved models.
_MODEL_FORMAT = "dlc-lifter-behaviour-model"
_MODEL_VERSION = 1

Estimator = Literal["random_forest", "hist_gradient_boosting"]
FeatureKind = Literal["2d", "3d"]

_BEHAVIOUR_COLS = ("behaviour", "behavior", "label", "class")
_FRAME_KEYS = ("video", "file", "filename", "media file", "media file name",
               "media file path", "observation id")


class LabelFileError(DLCLifterError, ValueError):
    """A behaviour label file is missing or not in a layout dlc-lifter reads."""


class ModelFileError(DLCLifterError, ValueError):
    """A behaviour model file is missing or is not a dlc-lifter model."""


class FeatureMismatchError(DLCLifterError, ValueError):
    """Features given to a model lack columns the model was trained on."""


# ============================================================================ labels
def _find_header(lines: list[str]) -> tuple[int, str]:
    """Row number and delimiter of the table header (BORIS puts notes above it)."""
    for i, line in enumerate(lines[:100]):
        low = line.lower()
        if not any(k in low for k in _BEHAVIOUR_COLS):
            continue
        try:
            delim = csv.Sniffer().sniff(line, delimiters=",\t;").delimiter
        except csv.Error:
            delim = ","
        fields = [f.strip().strip('"').lower() for f in line.split(delim)]
        if any(f in _BEHAVIOUR_COLS for f in fields):
            return i, delim
    return -1, ","


def _read_table(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise LabelFileError(f"Label file {path} does not exist.")
    if path.suffix.lower() in (".xlsx", ".xls", ".ods"):
        raise LabelFileError(f"{path}: spreadsheets are not read; export the labels (or the "
                             "BORIS events) as CSV or TSV.")
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    lines = text.splitlines()
    row, delim = _find_header(lines)
    if row < 0:
        raise LabelFileError(
            f"{path}: no header with a 'behaviour' (or 'Behavior') column. Give a CSV with "
            "columns frame,behaviour[,video] or a BORIS aggregated / tabular events export.")
    df = pd.read_csv(io.StringIO("\n".join(lines[row:])), sep=delim)
    df.columns = [str(c).strip() for c in df.columns]
    return df


def _col(df: pd.DataFrame, *names: str) -> str | None:
    low = {c.lower(): c for c in df.columns}
    for n in names:
        if n in low:
            return low[n]
    return None


def _first_float(values: pd.Series) -> float | None:
    for v in values:
        for part in str(v).replace(",", ";").split(";"):
            try:
                f = float(part)
            except ValueError:
                continue
            if math.isfinite(f) and f > 0:
                return f
    return None


def _per_frame(events: list[tuple[float, float, str]], fps: float, end_s: float | None,
               background: str | None, where: str) -> pd.Series:
    """Per-frame labels from ``(start_s, stop_s, behaviour)`` events (stop == start: point)."""
    spans: list[tuple[int, int, str]] = []
    for a, b, beh in sorted(events, key=lambda e: (e[0], -e[1])):
        if b > a:  # state event: frames with a <= f / fps < b, at least one
            start = max(math.ceil(a * fps - 1e-6), 0)
            spans.append((start, max(math.ceil(b * fps - 1e-6), start + 1), beh))
        else:  # point event: its nearest frame
            start = max(round(a * fps), 0)
            spans.append((start, start + 1, beh))
    n = max((b for _, b, _ in spans), default=0)
    if end_s is not None and math.isfinite(end_s):
        n = max(n, math.ceil(end_s * fps - 1e-6))
    labels = np.full(n, None, dtype=object)
    covered = np.zeros(n, dtype=np.int64)
    for a, b, beh in spans:
        labels[a:b] = beh  # later (nested) events win
        covered[a:b] += 1
    overlap = int((covered > 1).sum())
    if overlap:
        logger.warning("%s: %d frames have overlapping behaviours; the later-starting event "
                       "labels them.", where, overlap)
    if background is not None:
        labels[covered == 0] = background
    keep = np.array([v is not None for v in labels], dtype=bool)
    return pd.Series(labels[keep], index=pd.Index(np.flatnonzero(keep), name="frame"),
                     name="behaviour", dtype=object)


def _boris_events(df: pd.DataFrame, path: Path, fps: float | None, subject: str | None,
                  background: str | None) -> dict[str | None, pd.Series]:
    beh = _col(df, "behavior", "behaviour")
    assert beh is not None
    subj = _col(df, "subject")
    if subj is not None:
        subjects = sorted(map(str, df[subj].dropna().unique()))
        if subject is not None:
            df = df[df[subj].astype(str) == subject]
            if df.empty:
                raise LabelFileError(f"{path}: no events of subject {subject!r}; subjects: "
                                     f"{', '.join(subjects)}.")
        elif len(subjects) > 1:
            logger.warning("%s: events of several subjects (%s) are merged; pass subject= "
                           "(--subject) to keep one.", path, ", ".join(subjects))
    key_col = _col(df, "media file name", "media file", "media file path", "observation id")
    groups = df.groupby(df[key_col].astype(str), sort=False) if key_col else [(None, df)]
    fps_col = _col(df, "fps")
    end_col = _col(df, "media duration (s)", "total length", "media duration")
    start_col, stop_col = _col(df, "start (s)", "start"), _col(df, "stop (s)", "stop")
    time_col, status_col = _col(df, "time"), _col(df, "status", "behavior type")
    out: dict[str | None, pd.Series] = {}
    for key, g in groups:
        rate = fps or (_first_float(g[fps_col]) if fps_col else None)
        if rate is None:
            raise LabelFileError(f"{path}: BORIS times are in seconds and the file gives no "
                                 "FPS; pass fps= (--fps) with the video's frame rate.")
        end = _first_float(g[end_col]) if end_col else None
        where = f"{path}" + (f" [{key}]" if key else "")
        events: list[tuple[float, float, str]] = []
        if start_col is not None and stop_col is not None:
            for a, b, name in zip(pd.to_numeric(g[start_col], errors="coerce"),
                                  pd.to_numeric(g[stop_col], errors="coerce"),
                                  g[beh].astype(str), strict=True):
                if np.isfinite(a):
                    events.append((float(a), float(b) if np.isfinite(b) else float(a), name))
        else:
            assert time_col is not None and status_col is not None
            open_: dict[tuple[str, str], float] = {}
            subj_vals = g[subj].astype(str) if subj else pd.Series("", index=g.index)
            times = pd.to_numeric(g[time_col], errors="coerce")
            for t, st, name, s in zip(times, g[status_col].astype(str).str.upper(),
                                      g[beh].astype(str), subj_vals, strict=True):
                if not np.isfinite(t):
                    continue
                if st == "START":
                    open_[(s, name)] = float(t)
                elif st == "STOP":
                    if (s, name) not in open_:
                        raise LabelFileError(f"{where}: STOP of {name!r} at {t} s without a "
                                             "START; the export is incomplete.")
                    events.append((open_.pop((s, name)), float(t), name))
                elif st == "POINT":
                    events.append((float(t), float(t), name))
            if open_:
                raise LabelFileError(f"{where}: {', '.join(n for _, n in open_)} started but "
                                     "never stopped; fix the observation in BORIS.")
        out[key] = _per_frame(events, rate, end, background, where)
    return out


def load_labels(
    path: str | Path,
    *,
    fps: float | None = None,
    subject: str | None = None,
    background: str | None = BACKGROUND,
) -> dict[str | None, pd.Series]:
    """Read behaviour labels into per-frame label series.

    Parameters
    ----------
    path
        A CSV/TSV with columns ``frame`` and ``behaviour`` (or ``behavior``/``label``)
        and optionally ``video``/``file``; or a BORIS export: aggregated events
        (``Behavior``, ``Start (s)``, ``Stop (s)``) or tabular events (``Time``,
        ``Behavior``, ``Status`` START/STOP/POINT); or a folder of such files, one per
        recording, named after it.
    fps
        Frame rate to turn BORIS seconds into frames (default: BORIS' ``FPS`` column).
        Frame ``f`` belongs to an event when ``start <= f / fps < stop``; a point event
        labels its nearest frame.
    subject
        Keep only this BORIS subject.
    background
        Label of frames in a BORIS observation (up to the end of its last event or the
        media duration) that no event covers; ``None`` leaves them unlabelled. Frames a
        frame CSV does not list are always unlabelled.

    Returns
    -------
    dict
        ``{recording: Series}``, the series indexed by frame number with the behaviour
        name of each labelled frame; the recording is the ``video``/``file``/media
        column's value, the file stem for a folder, or ``None``.

    Raises
    ------
    LabelFileError
        When the file is missing or its layout is not recognised.
    """
    p = Path(path)
    if p.is_dir():
        out: dict[str | None, pd.Series] = {}
        files = sorted(f for f in p.iterdir()
                       if f.suffix.lower() in (".csv", ".tsv", ".txt") and f.is_file())
        if not files:
            raise LabelFileError(f"Label folder {p} holds no .csv/.tsv files.")
        for f in files:
            for key, s in load_labels(f, fps=fps, subject=subject,
                                      background=background).items():
                out[key if key is not None else f.stem] = s
        return out
    df = _read_table(p)
    beh = _col(df, *_BEHAVIOUR_COLS)
    frame = _col(df, "frame", "frame_index", "frame index", "frames")
    if frame is not None and beh is not None:
        key_col = _col(df, "video", "file", "filename")
        frames = pd.to_numeric(df[frame], errors="coerce")
        if frames.isna().any() or (frames < 0).any() or (frames % 1 != 0).any():
            raise LabelFileError(f"{p}: column '{frame}' must hold frame numbers (integers "
                                 "from 0).")
        df = df.assign(**{frame: frames.astype(np.int64)})
        df = df[df[beh].notna()]
        groups = df.groupby(df[key_col].astype(str), sort=False) if key_col else [(None, df)]
        result: dict[str | None, pd.Series] = {}
        for key, g in groups:
            if g[frame].duplicated().any():
                dup = g.loc[g[frame].duplicated(), frame].iloc[0]
                raise LabelFileError(f"{p}: frame {dup} is labelled twice"
                                     + (f" for {key}" if key else "") + ".")
            result[key] = pd.Series(g[beh].astype(str).to_numpy(dtype=object),
                                    index=pd.Index(g[frame].to_numpy(), name="frame"),
                                    name="behaviour", dtype=object).sort_index()
        return result
    has_times = (_col(df, "start (s)", "start") and _col(df, "stop (s)", "stop")) or (
        _col(df, "time") and _col(df, "status", "behavior type"))
    if beh is not None and _col(df, "behavior", "behaviour") and has_times:
        return _boris_events(df, p, fps, subject, background)
    raise LabelFileError(
        f"{p}: columns {', '.join(map(str, df.columns))} are neither frame labels "
        "(frame, behaviour[, video]) nor a BORIS export (Behavior with Start (s)/Stop (s), "
        "or Time/Status).")


def labels_for(
    labels: Mapping[str | None, pd.Series], poses_path: str | Path, video: str | None = None
) -> pd.Series:
    """The labels of one recording, matched by name.

    A recording key matches when its stem (``Path(key).stem``) begins the pose file's
    stem (DeepLabCut names outputs ``<video stem><scorer>...``) or equals the stem of
    the pose file's ``video``; the longest match wins. Labels without a key match any
    file.

    Raises
    ------
    LabelFileError
        When no key matches.
    """
    stem = Path(poses_path).stem
    vstem = Path(video).stem if video else None
    if None in labels and len(labels) == 1:
        return labels[None]
    best: tuple[int, str] | None = None
    for key in labels:
        if key is None:
            continue
        ks = Path(str(key)).stem
        if ks and (stem.startswith(ks) or ks == vstem) and (best is None or len(ks) > best[0]):
            best = (len(ks), str(key))
    if best is None:
        known = ", ".join(str(k) for k in labels if k is not None) or "none"
        raise LabelFileError(
            f"No labels for {Path(poses_path).name}: the label recordings ({known}) match "
            "neither its name nor its video. Name label files (or the video column) after "
            "the video.")
    return labels[best[1]]


def align_labels(labels: pd.Series, frames: Sequence[int] | np.ndarray) -> np.ndarray:
    """Label of each of ``frames`` (object array, ``None`` where unlabelled)."""
    s = labels[~labels.index.duplicated()]
    out = s.reindex(np.asarray(frames, dtype=np.int64)).to_numpy(dtype=object)
    return np.array([None if (v is None or (isinstance(v, float) and np.isnan(v))) else str(v)
                     for v in out], dtype=object)


# ============================================================================ design
def _as_list(x: Any) -> list[Any]:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _common_columns(features: Sequence[pd.DataFrame]) -> list[str]:
    cols = feature_columns(features[0])
    common = set(cols)
    for df in features[1:]:
        common &= set(feature_columns(df))
    dropped = sorted(set().union(*(feature_columns(df) for df in features)) - common)
    if dropped:
        logger.warning("Using the %d feature columns all recordings share; left out %d "
                       "(%s%s).", len(common), len(dropped), ", ".join(dropped[:5]),
                       ", ..." if len(dropped) > 5 else "")
    if not common:
        raise FeatureMismatchError("The recordings share no feature columns; compute their "
                                   "features from the same keypoints.")
    return [c for c in cols if c in common]


def _matrix(df: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    x = df.loc[:, list(columns)].to_numpy(dtype=np.float64, copy=True)
    x[~np.isfinite(x)] = np.nan
    return x


def _labels_array(y: Any, n: int, i: int) -> np.ndarray:
    arr = np.asarray(pd.Series(list(y), dtype=object).to_numpy(), dtype=object)
    if arr.shape != (n,):
        raise ValueError(f"Labels of recording {i} have {arr.shape[0]} entries for {n} feature "
                         "rows; give one label (or None) per row.")
    return np.array([None if (v is None or (isinstance(v, float) and np.isnan(v))) else str(v)
                     for v in arr], dtype=object)


def _design(
    features: pd.DataFrame | Sequence[pd.DataFrame],
    labels: Any,
    groups: Sequence[Any] | None = None,
    columns: Sequence[str] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Stack recordings into ``X, y, groups`` (labelled rows only) and the columns used."""
    feats = _as_list(features)
    labs = [labels] if isinstance(features, pd.DataFrame) else list(labels)
    if len(labs) != len(feats):
        raise ValueError(f"{len(feats)} feature tables but {len(labs)} label arrays.")
    if groups is None:
        groups = list(range(len(feats)))
    groups = list(groups)
    if len(groups) != len(feats):
        raise ValueError(f"{len(feats)} feature tables but {len(groups)} groups; give one "
                         "group (video / animal id) per table.")
    cols = list(columns) if columns is not None else _common_columns(feats)
    xs, ys, gs = [], [], []
    for i, (df, y, g) in enumerate(zip(feats, labs, groups, strict=True)):
        yy = _labels_array(y, len(df), i)
        keep = np.array([v is not None for v in yy], dtype=bool)
        xs.append(_matrix(df, cols)[keep])
        ys.append(yy[keep])
        gg = np.asarray(g, dtype=object)
        gs.append(gg[keep] if gg.ndim == 1 and len(gg) == len(df)
                  else np.full(int(keep.sum()), g, dtype=object))
    x, y_all, g_all = np.concatenate(xs), np.concatenate(ys), np.concatenate(gs)
    if len(y_all) == 0:
        raise ValueError("No labelled frames to learn from.")
    return x, y_all, g_all, cols


def _estimator(kind: str, seed: int, n_estimators: int) -> Any:
    if kind == "random_forest":
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(n_estimators=n_estimators, class_weight="balanced",
                                      min_samples_leaf=2, random_state=seed, n_jobs=1)
    if kind == "hist_gradient_boosting":
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(class_weight="balanced", random_state=seed,
                                              max_iter=n_estimators)
    raise ValueError(f"Unknown estimator {kind!r}; use 'random_forest' or "
                     "'hist_gradient_boosting'.")


# ============================================================================ model
@dataclass
class BehaviourModel:
    """A trained frame classifier and what its features must look like.

    Attributes
    ----------
    estimator
        The fitted scikit-learn classifier.
    feature_columns
        Feature columns, in the order the estimator takes them.
    classes
        Behaviour names, in the order of the estimator's probabilities.
    feature_kind
        ``"2d"`` or ``"3d"``: how :func:`features_for` computes the features.
    window
        Rolling window (frames) of the features.
    info
        Anything else (estimator name, seed, training frames per class...).
    """

    estimator: Any
    feature_columns: list[str]
    classes: list[str]
    feature_kind: str = "3d"
    window: int = DEFAULT_WINDOW
    info: dict[str, Any] = field(default_factory=dict)

    def save(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write the model with joblib (atomically); returns the path."""
        import joblib
        import sklearn

        payload = {
            "format": _MODEL_FORMAT, "version": _MODEL_VERSION,
            "estimator": self.estimator, "feature_columns": list(self.feature_columns),
            "classes": list(self.classes), "feature_kind": self.feature_kind,
            "window": int(self.window), "info": dict(self.info),
            "sklearn_version": sklearn.__version__,
        }
        p = Path(path)
        with atomic_output(p, overwrite=overwrite) as tmp:
            joblib.dump(payload, tmp)
        logger.info("Saved behaviour model to %s", p)
        return p

    def check_features(self, df: pd.DataFrame, source: str | None = None) -> None:
        """Raise :class:`FeatureMismatchError` when ``df`` lacks a model column."""
        missing = [c for c in self.feature_columns if c not in df.columns]
        if missing:
            where = source or df.attrs.get("source") or "the feature table"
            raise FeatureMismatchError(
                f"The behaviour model needs {len(missing)} feature column(s) that {where} "
                f"lacks: {', '.join(missing[:6])}{', ...' if len(missing) > 6 else ''}. It was "
                f"trained on {self.feature_kind.upper()} features (window {self.window}); "
                "compute features the same way from poses with the same keypoints (3D "
                "features need lifted 3D poses), or train a model on these features.")


def load_model(path: str | Path) -> BehaviourModel:
    """Read a model written by :meth:`BehaviourModel.save`.

    Raises
    ------
    ModelFileError
        When the file is missing or is not a dlc-lifter behaviour model.
    """
    import joblib

    p = Path(path)
    if not p.is_file():
        raise ModelFileError(f"Behaviour model {p} does not exist; train one with "
                             "'dlc-lifter classify train'.")
    try:
        data = joblib.load(p)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means a bad file
        raise ModelFileError(f"{p} is not a readable behaviour model ({exc}).") from None
    if not isinstance(data, dict) or data.get("format") != _MODEL_FORMAT:
        raise ModelFileError(f"{p} is not a dlc-lifter behaviour model; train one with "
                             "'dlc-lifter classify train'.")
    return BehaviourModel(estimator=data["estimator"],
                          feature_columns=list(data["feature_columns"]),
                          classes=list(data["classes"]), feature_kind=data["feature_kind"],
                          window=int(data["window"]), info=dict(data.get("info", {})))


def train_classifier(
    features: pd.DataFrame | Sequence[pd.DataFrame],
    labels: Any,
    *,
    estimator: Estimator = "random_forest",
    n_estimators: int = 200,
    seed: int = 0,
    feature_kind: FeatureKind | None = None,
) -> BehaviourModel:
    """Fit a frame classifier on labelled feature rows.

    Parameters
    ----------
    features
        One :func:`compute_features` table or a list (one per recording).
    labels
        Per-row labels (array-like, ``None``/NaN = unlabelled, left out), one per table.
    estimator
        ``random_forest`` (default) or ``hist_gradient_boosting``; class weights are
        balanced.
    n_estimators
        Trees (random forest) or boosting iterations.
    seed
        Random seed: same data and seed, same model.
    feature_kind
        ``"2d"`` or ``"3d"``, recorded in the model; default from the tables.

    Returns
    -------
    BehaviourModel
    """
    feats = _as_list(features)
    x, y, _, cols = _design(feats, labels)
    classes = sorted(set(y))
    if len(classes) < 2:
        raise ValueError(f"Only one behaviour ({classes[0]}) is labelled; a classifier needs "
                         "at least two.")
    est = _estimator(estimator, seed, n_estimators)
    est.fit(x, y)
    kind = feature_kind or ("3d" if feats[0].attrs.get("dims", 3) == 3 else "2d")
    window = int(feats[0].attrs.get("window", DEFAULT_WINDOW))
    counts = pd.Series(y).value_counts().sort_index()
    logger.info("Trained a %s on %d frames: %s", estimator, len(y),
                ", ".join(f"{k} {v}" for k, v in counts.items()))
    return BehaviourModel(estimator=est, feature_columns=cols,
                          classes=[str(c) for c in est.classes_], feature_kind=kind,
                          window=window, info={"estimator": estimator, "seed": seed,
                                               "n_estimators": n_estimators,
                                               "frames_per_class": counts.to_dict()})


def predict(
    model: BehaviourModel | str | Path, features: pd.DataFrame, *, source: str | None = None
) -> pd.DataFrame:
    """Behaviour of every row of a features table.

    Parameters
    ----------
    model
        A :class:`BehaviourModel` or the path of a saved one.
    features
        A :func:`compute_features` table holding the model's feature columns.
    source
        Name of the features' origin, for errors.

    Returns
    -------
    pandas.DataFrame
        The identifying columns of ``features`` (``frame``, ``individual``,
        ``time_s``), ``behaviour`` and one ``p_<class>`` probability column per class.

    Raises
    ------
    FeatureMismatchError
        When ``features`` lacks columns the model was trained on.
    """
    m = model if isinstance(model, BehaviourModel) else load_model(model)
    m.check_features(features, source)
    x = _matrix(features, m.feature_columns)
    out = features.loc[:, [c for c in ID_COLUMNS if c in features.columns]].copy()
    out.attrs = {}
    if len(x) == 0:
        out["behaviour"] = pd.Series(dtype=object)
        for c in m.classes:
            out[f"p_{c}"] = pd.Series(dtype=np.float64)
        return out
    proba = m.estimator.predict_proba(x)
    est_classes = [str(c) for c in m.estimator.classes_]
    out["behaviour"] = np.asarray(est_classes, dtype=object)[np.argmax(proba, axis=1)]
    for j, c in enumerate(est_classes):
        out[f"p_{c}"] = proba[:, j]
    return out


# ============================================================================ evaluation
@dataclass
class CrossValReport:
    """Cross-validated scores of a frame classifier.

    Attributes
    ----------
    classes
        Behaviour names.
    f1
        Per-class F1 of the out-of-fold predictions (index: class).
    support
        Labelled frames per class.
    macro_f1
        Mean of the per-class F1.
    confusion
        Confusion matrix (rows: true class, columns: predicted), frame counts.
    n_splits, n_groups
        Folds used and distinct groups (videos).
    y_true, y_pred, groups
        Out-of-fold labels, predictions and groups of every labelled frame.
    feature_kind
        ``"2d"`` or ``"3d"`` (or ``None`` when unknown).
    """

    classes: list[str]
    f1: pd.Series
    support: pd.Series
    macro_f1: float
    confusion: pd.DataFrame
    n_splits: int
    n_groups: int
    y_true: np.ndarray
    y_pred: np.ndarray
    groups: np.ndarray
    feature_kind: str | None = None

    def table(self) -> pd.DataFrame:
        """Per-class F1 and support, plus a ``macro`` row."""
        t = pd.DataFrame({"f1": self.f1, "support": self.support})
        t.loc["macro"] = [self.macro_f1, int(self.support.sum())]
        t["support"] = t["support"].astype(int)
        t.index.name = "behaviour"
        return t


def _block_groups(lengths: Sequence[int], n_blocks: int) -> np.ndarray:
    return np.concatenate([
        np.array([f"{i}#{b}" for b in np.minimum(np.arange(n) * n_blocks // max(n, 1),
                                                 n_blocks - 1)], dtype=object)
        for i, n in enumerate(lengths)])


def cross_validate(
    features: pd.DataFrame | Sequence[pd.DataFrame],
    labels: Any,
    groups: Sequence[Hashable] | None = None,
    *,
    n_splits: int = 5,
    estimator: Estimator = "random_forest",
    n_estimators: int = 200,
    seed: int = 0,
    columns: Sequence[str] | None = None,
) -> CrossValReport:
    """Cross-validate a frame classifier, grouped by video (:class:`GroupKFold`).

    Parameters
    ----------
    features, labels
        As for :func:`train_classifier`.
    groups
        One group (video, animal or session id) per table, or per row; default: each
        table is its own group. Frames of one group never sit in both training and
        test folds. With a single group, each table is cut into ``n_splits`` contiguous
        blocks instead (with a warning).
    n_splits
        Folds (at most the number of groups).
    estimator, n_estimators, seed
        As for :func:`train_classifier`.
    columns
        Feature columns to use (default: those all tables share).

    Returns
    -------
    CrossValReport
    """
    from sklearn.metrics import confusion_matrix, f1_score
    from sklearn.model_selection import GroupKFold

    feats = _as_list(features)
    x, y, g, _ = _design(feats, labels, groups, columns)
    if len(set(g)) < 2:
        logger.warning("Only one video to cross-validate on: using %d contiguous blocks of "
                       "it as groups, which is optimistic.", n_splits)
        labs = [labels] if isinstance(features, pd.DataFrame) else list(labels)
        lengths = [int(sum(v is not None for v in _labels_array(lab, len(df), i)))
                   for i, (df, lab) in enumerate(zip(feats, labs, strict=True))]
        g = _block_groups(lengths, n_splits)
    n_groups = len(set(g))
    k = min(n_splits, n_groups)
    if k < 2:
        raise ValueError("Cross-validation needs at least two groups (videos).")
    classes = sorted(set(y))
    pred = np.empty(len(y), dtype=object)
    _, g_codes = np.unique(g.astype(str), return_inverse=True)
    for train, test in GroupKFold(n_splits=k).split(x, y, g_codes):
        if len(set(y[train])) < 2:  # one class in training: predict it
            pred[test] = y[train][0]
            continue
        est = _estimator(estimator, seed, n_estimators)
        est.fit(x[train], y[train])
        pred[test] = est.predict(x[test])
    f1 = f1_score(y, pred, labels=classes, average=None, zero_division=0)
    cm = confusion_matrix(y, pred, labels=classes)
    support = pd.Series([int((y == c).sum()) for c in classes], index=classes, name="support")
    kinds = {df.attrs.get("dims") for df in feats}
    kind = None if len(kinds) != 1 or None in kinds else f"{kinds.pop()}d"
    return CrossValReport(
        classes=classes, f1=pd.Series(f1, index=classes, name="f1"), support=support,
        macro_f1=float(np.mean(f1)),
        confusion=pd.DataFrame(cm, index=pd.Index(classes, name="true"),
                               columns=pd.Index(classes, name="predicted")),
        n_splits=k, n_groups=n_groups, y_true=y, y_pred=pred, groups=g, feature_kind=kind)


def compare_reports(report2d: CrossValReport, report3d: CrossValReport) -> pd.DataFrame:
    """Per-class F1 of two reports side by side: ``f1_2d, f1_3d, f1_gain, support``.

    The last row, ``macro``, holds the macro F1.
    """
    classes = sorted(set(report2d.classes) | set(report3d.classes))
    t = pd.DataFrame(index=pd.Index(classes + ["macro"], name="behaviour"))
    t["f1_2d"] = [*report2d.f1.reindex(classes).to_numpy(), report2d.macro_f1]
    t["f1_3d"] = [*report3d.f1.reindex(classes).to_numpy(), report3d.macro_f1]
    t["f1_gain"] = t["f1_3d"] - t["f1_2d"]
    sup = report3d.support.reindex(classes).fillna(report2d.support.reindex(classes))
    t["support"] = [*sup.fillna(0).astype(int).to_numpy(), int(sup.fillna(0).sum())]
    return t


def compare_2d_3d(
    features2d: Sequence[pd.DataFrame],
    features3d: Sequence[pd.DataFrame],
    labels: Sequence[Any],
    groups: Sequence[Hashable] | None = None,
    *,
    n_splits: int = 5,
    estimator: Estimator = "random_forest",
    n_estimators: int = 200,
    seed: int = 0,
) -> pd.DataFrame:
    """Cross-validated per-class F1 of 2D features vs 3D features of the same frames.

    Parameters
    ----------
    features2d, features3d
        Per recording, the 2D features (from 2D poses, or ``planar=True`` of the 3D
        poses) and the 3D features of the same frames (same rows).
    labels
        Per recording, one label per row (``None`` = unlabelled).
    groups
        One group per recording (default: each its own); see :func:`cross_validate`.
    n_splits, estimator, n_estimators, seed
        As for :func:`cross_validate`; both feature sets use the same folds and seed.

    Returns
    -------
    pandas.DataFrame
        Index: behaviours then ``macro``; columns ``f1_2d``, ``f1_3d``, ``f1_gain``
        (3D minus 2D) and ``support`` (labelled frames).
    """
    f2, f3 = list(features2d), list(features3d)
    if len(f2) != len(f3) or any(len(a) != len(b) for a, b in zip(f2, f3, strict=False)):
        raise ValueError("2D and 3D features must hold the same recordings with the same rows.")
    kw: dict[str, Any] = dict(n_splits=n_splits, estimator=estimator,
                              n_estimators=n_estimators, seed=seed)
    r2 = cross_validate(f2, labels, groups, **kw)
    r3 = cross_validate(f3, labels, groups, **kw)
    return compare_reports(r2, r3)


def plot_confusion(
    report: CrossValReport, path: str | Path, *, title: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Write the report's confusion matrix as a PNG (rows normalised, counts written in).

    Uses matplotlib's Agg canvas (no display, no pyplot state); written atomically.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    cm = report.confusion.to_numpy().astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.nan_to_num(cm / cm.sum(axis=1, keepdims=True))
    n = len(report.classes)
    size = 2.5 + 0.6 * n
    fig = Figure(figsize=(size + 1.0, size), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    im = ax.imshow(frac, vmin=0, vmax=1, cmap="Blues")
    ax.set_xticks(range(n), report.classes, rotation=45, ha="right")
    ax.set_yticks(range(n), report.classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(n):
        for j in range(n):
            ax.text(j, i, f"{int(cm[i, j])}", ha="center", va="center",
                    color="white" if frac[i, j] > 0.5 else "black", fontsize=8)
    kind = f"{report.feature_kind.upper()} features, " if report.feature_kind else ""
    ax.set_title(title or f"{kind}macro F1 {report.macro_f1:.2f}")
    fig.colorbar(im, ax=ax, fraction=0.046, label="fraction of true class")
    fig.tight_layout()
    p = Path(path)
    with atomic_output(p, overwrite=overwrite) as tmp:
        fig.savefig(tmp, format="png")
    return p


# ============================================================================ files
def features_for(
    poses: Poses,
    kind: FeatureKind,
    *,
    window: int = DEFAULT_WINDOW,
    individual: str | int | None = None,
    fps: float | None = None,
) -> pd.DataFrame:
    """Features of ``kind`` (``"2d"``: planar, from any poses; ``"3d"``: needs 3D poses).

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
            "*_lifted3d.h5 file ('dlc-lifter lift'), or use 2D features (--features 2d).")
    return compute_features(poses, window=window, individual=individual, fps=fps,
                            planar=kind == "2d")


def _read(path: str | Path) -> Poses:
    from dlc_lifter.io import read_poses

    return read_poses(path)


def _one_individual(poses: Poses, individual: str | int | None, path: Path) -> str | int | None:
    if individual is None and poses.n_individuals > 1:
        raise LabelFileError(
            f"{path} holds {poses.n_individuals} individuals "
            f"({', '.join(map(str, poses.individuals))}); frame labels belong to one: "
            "pass individual= (--individual).")
    return individual


@dataclass
class TrainResult:
    """What :func:`train_files` made: the model, its file, scores and plots."""

    model: BehaviourModel
    model_path: Path
    comparison: pd.DataFrame | None
    reports: dict[str, CrossValReport]
    plots: list[Path]


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
) -> TrainResult:
    """Train a model from label and pose files; cross-validate 2D vs 3D features first.

    Parameters
    ----------
    labels
        Label file or folder, see :func:`load_labels`; matched to each pose file by
        :func:`labels_for`.
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
        See :func:`cross_validate`.
    fps
        Frame rate for BORIS times and for velocities (default: the files').
    subject
        BORIS subject to keep.
    individual
        Individual the labels describe (needed when files hold several).
    overwrite
        Replace an existing model and plots.

    Returns
    -------
    TrainResult
    """
    model_path = Path(model_path)
    plot_paths = {k: model_path.with_name(f"{model_path.stem}_confusion_{k}.png")
                  for k in ("2d", "3d")}
    check_writable(model_path, overwrite=overwrite)
    if cv:
        for p in plot_paths.values():
            check_writable(p, overwrite=overwrite)
    if not poses_paths:
        raise LabelFileError("Give at least one pose file to train on.")
    label_sets = load_labels(labels, fps=fps, subject=subject)
    if None in label_sets and len(poses_paths) > 1:
        raise LabelFileError(
            f"{labels} has no video/file column, so it cannot label {len(poses_paths)} pose "
            "files; add a video column or give a folder with one label file per video.")
    all_poses, all_labels = [], []
    for path in map(Path, poses_paths):
        poses = _read(path)
        ind = _one_individual(poses, individual, path)
        if features == "3d" and not poses.is_3d:
            raise FeatureMismatchError(
                f"{path} holds 2D poses; train with --features 2d or on the lifted 3D files.")
        series = labels_for(label_sets, path, poses.meta.video)
        all_poses.append((path, poses, ind))
        all_labels.append(series)
    kinds: list[FeatureKind] = ["2d"]
    if all(p.is_3d for _, p, _ in all_poses):
        kinds.append("3d")
    tables: dict[str, list[pd.DataFrame]] = {}
    for kind in kinds:
        tables[kind] = [features_for(p, kind, window=window, individual=ind, fps=fps)
                        for _, p, ind in all_poses]
    y = [align_labels(s, df["frame"].to_numpy()) for s, df in zip(all_labels, tables["2d"],
                                                                  strict=True)]
    for (path, _, _), yy in zip(all_poses, y, strict=True):
        n_lab = int(sum(v is not None for v in yy))
        if n_lab == 0:
            logger.warning("%s: no labelled frames (do the label frame numbers match?)", path)
    groups = [str(path) for path, _, _ in all_poses]
    reports: dict[str, CrossValReport] = {}
    plots: list[Path] = []
    comparison = None
    if cv:
        kw: dict[str, Any] = dict(n_splits=n_splits, estimator=estimator,
                                  n_estimators=n_estimators, seed=seed)
        for kind in kinds:
            reports[kind] = cross_validate(tables[kind], y, groups, **kw)
            plots.append(plot_confusion(reports[kind], plot_paths[kind], overwrite=overwrite,
                                        title=f"{kind.upper()} features: macro F1 "
                                              f"{reports[kind].macro_f1:.2f}"))
        if "3d" in reports:
            comparison = compare_reports(reports["2d"], reports["3d"])
        else:
            comparison = reports["2d"].table().rename(columns={"f1": "f1_2d"})
    model = train_classifier(tables[features], y, estimator=estimator,
                             n_estimators=n_estimators, seed=seed, feature_kind=features)
    model.info["trained_on"] = [str(p) for p, _, _ in all_poses]
    model.save(model_path, overwrite=overwrite)
    return TrainResult(model=model, model_path=model_path, comparison=comparison,
                       reports=reports, plots=plots)


def behaviour_output_path(poses_path: str | Path, destfolder: str | Path | None = None) -> Path:
    """``<stem>_behaviour.csv`` beside the pose file or in ``destfolder``."""
    p = Path(poses_path)
    return (Path(destfolder) if destfolder is not None else p.parent) / f"{p.stem}_behaviour.csv"


def predict_files(
    model: BehaviourModel | str | Path,
    poses_paths: Sequence[str | Path],
    *,
    destfolder: str | Path | None = None,
    individual: str | int | None = None,
    fps: float | None = None,
    overwrite: bool = False,
) -> list[Path]:
    """Predict the behaviour of every frame of pose files; write ``<stem>_behaviour.csv``.

    Features are computed as the model's were (2D or 3D, same window).

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
    m = model if isinstance(model, BehaviourModel) else load_model(model)
    outs = [behaviour_output_path(p, destfolder) for p in poses_paths]
    for o in outs:
        check_writable(o, overwrite=overwrite)
    written = []
    for path, out in zip(map(Path, poses_paths), outs, strict=True):
        poses = _read(path)
        df = features_for(poses, m.feature_kind, window=m.window,  # type: ignore[arg-type]
                          individual=individual, fps=fps)
        pred = predict(m, df, source=str(path))
        with atomic_output(out, overwrite=overwrite) as tmp:
            pred.to_csv(tmp, index=False, float_format="%.6g")
        logger.info("Wrote behaviour of %d frames to %s", len(pred), out)
        written.append(out)
    return written
