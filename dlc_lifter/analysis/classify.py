"""Frame-wise behaviour classification from pose features: the model and its training.

A scikit-learn random forest (or histogram gradient boosting), class weights balanced
and seeded, learns the behaviour of each frame from :func:`compute_features` columns.
:class:`BehaviourModel` keeps the fitted estimator together with its feature columns,
class names and how the features were computed, so :func:`predict` can check that new
features match. Model files are read and written by :mod:`dlc_lifter.io.classifier_model`;
cross-validation is in :mod:`dlc_lifter.analysis.crossval`, file workflows in
:mod:`dlc_lifter.analysis.classify_files`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from dlc_lifter.analysis.features import DEFAULT_WINDOW, ID_COLUMNS, feature_columns
from dlc_lifter.errors import FeatureMismatchError
from dlc_lifter.io.classifier_model import read_classifier_model, write_classifier_model

__all__ = [
    "BehaviourModel",
    "Estimator",
    "FeatureKind",
    "as_tables",
    "design_matrix",
    "labels_array",
    "load_model",
    "make_estimator",
    "predict",
    "train_classifier",
]

logger = logging.getLogger(__name__)

Estimator = Literal["random_forest", "hist_gradient_boosting"]
FeatureKind = Literal["2d", "3d"]


# ============================================================================ design
def as_tables(features: Any) -> list[Any]:
    """One feature table, or a list or tuple of them, as a list of tables."""
    return list(features) if isinstance(features, (list, tuple)) else [features]


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


def labels_array(y: Any, n: int, i: int) -> np.ndarray:
    """The ``n`` labels of recording ``i`` as strings (object array, ``None`` = unlabelled).

    Raises
    ------
    ValueError
        When ``y`` does not hold ``n`` labels.
    """
    arr = np.asarray(pd.Series(list(y), dtype=object).to_numpy(), dtype=object)
    if arr.shape != (n,):
        raise ValueError(f"Labels of recording {i} have {arr.shape[0]} entries for {n} feature "
                         "rows; give one label (or None) per row.")
    return np.array([None if (v is None or (isinstance(v, float) and np.isnan(v))) else str(v)
                     for v in arr], dtype=object)


def design_matrix(
    features: pd.DataFrame | Sequence[pd.DataFrame],
    labels: Any,
    groups: Sequence[Any] | None = None,
    columns: Sequence[str] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Stack recordings into ``X, y, groups`` (labelled rows only) and the columns used.

    Parameters
    ----------
    features
        One :func:`compute_features` table or a list (one per recording).
    labels
        Per recording, one label per row (``None``/NaN = unlabelled, left out).
    groups
        Per recording, one group, or one group per row (default: the recording's index).
    columns
        Feature columns to use (default: those all tables share).

    Returns
    -------
    x : numpy.ndarray
        (labelled rows, columns) float64, non-finite values as NaN.
    y, groups : numpy.ndarray
        (labelled rows,) object arrays.
    columns : list of str
    """
    feats = as_tables(features)
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
        yy = labels_array(y, len(df), i)
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


def fit_balanced(est: Any, x: np.ndarray, y: np.ndarray) -> Any:
    """Fit ``est`` (:func:`make_estimator`'s) with its classes weighted as
    ``class_weight="balanced"`` does, given as sample weights: scikit-learn's own
    balancing reads labels written as numbers (``"0"``, ``"1"``: a 0/1 label column) as
    numbers and fails ("The classes, [0, 1], are not in class_weight"). The same weights,
    so the same fit. Returns ``est``."""
    from sklearn.utils.class_weight import compute_sample_weight

    if getattr(est, "class_weight", None) == "balanced":
        est.set_params(class_weight=None)
        return est.fit(x, y, sample_weight=compute_sample_weight("balanced", y))
    return est.fit(x, y)


def make_estimator(kind: str, seed: int, n_estimators: int) -> Any:
    """An unfitted scikit-learn classifier, class weights balanced, seeded, one thread.

    Parameters
    ----------
    kind
        ``random_forest`` or ``hist_gradient_boosting``.
    seed
        ``random_state`` of the estimator.
    n_estimators
        Trees (random forest) or boosting iterations.

    Raises
    ------
    ValueError
        When ``kind`` is neither.
    """
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
        ``"2d"`` or ``"3d"``: how
        :func:`dlc_lifter.analysis.classify_files.features_for` computes the features.
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
        """Write the model with joblib (atomically); returns the path.

        See :func:`dlc_lifter.io.classifier_model.write_classifier_model`.
        """
        return write_classifier_model({
            "estimator": self.estimator, "feature_columns": list(self.feature_columns),
            "classes": list(self.classes), "feature_kind": self.feature_kind,
            "window": int(self.window), "info": dict(self.info),
        }, path, overwrite=overwrite)

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
    data = read_classifier_model(path)
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
    feats = as_tables(features)
    x, y, _, cols = design_matrix(features, labels)
    classes = sorted(set(y))
    if len(classes) < 2:
        raise ValueError(f"Only one behaviour ({classes[0]}) is labelled; a classifier needs "
                         "at least two.")
    est = make_estimator(estimator, seed, n_estimators)
    fit_balanced(est, x, y)
    kind = feature_kind or ("3d" if feats[0].attrs.get("dims", 3) == 3 else "2d")
    window = int(feats[0].attrs.get("window", DEFAULT_WINDOW))
    counts = pd.Series(y).value_counts().sort_index()
    logger.info("Trained a %s on %d frames: %s", estimator, len(y),
                ", ".join(f"{k} {v}" for k, v in counts.items()))
    return BehaviourModel(estimator=est, feature_columns=cols,
                          classes=[str(c) for c in est.classes_], feature_kind=kind,
                          window=window, info={"estimator": estimator, "seed": seed,
                                               "n_estimators": n_estimators,
                                               "frames_per_class": counts.to_dict(),
                                               "fps": None if feats[0].attrs.get(
                                                   "fps_assumed") else feats[0].attrs.get(
                                                   "fps")})


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
        ``time_s``), ``behaviour`` and one ``p_<class>`` probability column per class;
        frames with no feature at all (nothing tracked) get no behaviour and NaN.

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
    blank = ~np.isfinite(x).any(axis=1)  # nothing tracked: no features to judge by
    if blank.any():
        proba[blank] = np.nan
        out.loc[blank, "behaviour"] = None
        logger.info("%s: %d frames have no features (nothing tracked): no behaviour given "
                    "(empty).", source or "features", int(blank.sum()))
    for j, c in enumerate(est_classes):
        out[f"p_{c}"] = proba[:, j]
    return out
