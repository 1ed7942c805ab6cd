"""Cross-validation of the frame classifier, grouped so that no group is in two folds.

:func:`cross_validate` scores :func:`~dlc_lifter.analysis.classify.train_classifier`'s
model with :class:`sklearn.model_selection.GroupKFold`: by default each recording is a
group (no frame of a test video is seen in training); ``groups="bouts"`` makes every
bout (a contiguous run of one label) a group instead, for one long recording.
:func:`compare_2d_3d` does so for 2D and for 3D features of the same frames and
tabulates per-class F1 side by side.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dlc_lifter.analysis.classify import (
    Estimator,
    as_tables,
    design_matrix,
    fit_balanced,
    labels_array,
    make_estimator,
)

__all__ = [
    "CrossValReport",
    "bout_groups",
    "compare_2d_3d",
    "compare_reports",
    "cross_validate",
]

logger = logging.getLogger(__name__)

#: ``groups`` value that groups frames by label bout (:func:`bout_groups`).
BOUTS = "bouts"
Groups = Sequence[Hashable] | Sequence[Sequence[Hashable]] | str | None


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
    grouping
        What the groups were: ``"video"`` (each table), ``"bouts"``, ``"given"`` (the
        caller's ids) or ``"blocks"`` (one video cut into contiguous blocks).
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
    grouping: str = "video"

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


def bout_groups(labels: Sequence[Any]) -> np.ndarray:
    """Bout number of every frame: bouts are contiguous runs of one label.

    Unlabelled frames (``None``/NaN) neither start nor end a bout: a run of one label
    interrupted by unlabelled frames stays one bout, so frames on both sides of a gap
    never land in different folds. Unlabelled frames take the number of the bout
    before them (the first bout's before any label).

    Parameters
    ----------
    labels
        One label per frame, in frame order.

    Returns
    -------
    numpy.ndarray
        (frames,) int64, 0 for the first bout, increasing by one at each change of label.

    Examples
    --------
    >>> bout_groups(["walk", "walk", None, "walk", "rear", "rear", "walk"]).tolist()
    [0, 0, 0, 0, 1, 1, 2]
    """
    y = labels_array(labels, len(labels), 0)
    out = np.zeros(len(y), dtype=np.int64)
    bout, last = 0, None
    for i, v in enumerate(y):
        if v is not None:
            if last is not None and v != last:
                bout += 1
            last = v
        out[i] = bout
    return out


def _resolve_groups(feats: list[pd.DataFrame], labs: list[Any], groups: Groups
                    ) -> Sequence[Any] | None:
    """``groups`` with ``"bouts"`` turned into per-row ``"<table>#<bout>"`` groups."""
    if not isinstance(groups, str):
        return groups
    if groups != BOUTS:
        raise ValueError(f"groups={groups!r}: give one group per table or row, or "
                         f"groups='{BOUTS}'.")
    return [np.array([f"{i}#{b}" for b in bout_groups(labels_array(y, len(df), i))],
                     dtype=object)
            for i, (df, y) in enumerate(zip(feats, labs, strict=True))]


def _out_of_fold(x: np.ndarray, y: np.ndarray, g: np.ndarray, k: int,
                 estimator: str, seed: int, n_estimators: int) -> np.ndarray:
    """Predictions of every row by a model fitted on the other folds' groups."""
    from sklearn.model_selection import GroupKFold

    pred = np.empty(len(y), dtype=object)
    _, g_codes = np.unique(g.astype(str), return_inverse=True)
    for train, test in GroupKFold(n_splits=k).split(x, y, g_codes):
        if len(set(y[train])) < 2:  # one class in training: predict it
            pred[test] = y[train][0]
            continue
        est = fit_balanced(make_estimator(estimator, seed, n_estimators), x[train], y[train])
        pred[test] = est.predict(x[test])
    return pred


def _report(y: np.ndarray, pred: np.ndarray, g: np.ndarray, k: int,
            feats: list[pd.DataFrame]) -> CrossValReport:
    from sklearn.metrics import confusion_matrix, f1_score

    classes = sorted(set(y))
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
        n_splits=k, n_groups=len(set(g)), y_true=y, y_pred=pred, groups=g,
        feature_kind=kind)


def cross_validate(
    features: pd.DataFrame | Sequence[pd.DataFrame],
    labels: Any,
    groups: Groups = None,
    *,
    n_splits: int = 5,
    estimator: Estimator = "random_forest",
    n_estimators: int = 200,
    seed: int = 0,
    columns: Sequence[str] | None = None,
    warn: bool = True,
) -> CrossValReport:
    """Cross-validate a frame classifier, grouped by video (:class:`GroupKFold`).

    Parameters
    ----------
    features, labels
        As for :func:`~dlc_lifter.analysis.classify.train_classifier`.
    groups
        One group (video, animal or session id) per table, or per row; or
        ``"bouts"``: every bout of each table (:func:`bout_groups`) is a group; default:
        each table is its own group. Frames of one group never sit in both training
        and test folds. With a single group, each table is cut into ``n_splits``
        contiguous blocks instead (with a warning).
    n_splits
        Folds (at most the number of groups).
    estimator, n_estimators, seed
        As for :func:`~dlc_lifter.analysis.classify.train_classifier`; same data, groups
        and seed give the same report.
    columns
        Feature columns to use (default: those all tables share).
    warn
        Warn when one video is cut into blocks (``False``: a caller that cross-validates
        the same frames again has said so once).

    Returns
    -------
    CrossValReport

    Raises
    ------
    ValueError
        When there are fewer than two groups, or ``groups`` is an unknown string.

    Examples
    --------
    >>> report = cross_validate(tables, labels, groups="bouts", seed=0)  # doctest: +SKIP
    >>> report.f1["rear"]  # doctest: +SKIP
    """
    feats = as_tables(features)
    labs = [labels] if isinstance(features, pd.DataFrame) else list(labels)
    grouping = ("video" if groups is None else "bouts" if isinstance(groups, str)
                and groups == "bouts" else "given")
    groups = _resolve_groups(feats, labs, groups)
    x, y, g, _ = design_matrix(feats, labs, groups, columns)
    if len(set(g)) < 2:
        if warn:
            logger.warning("Only one video to cross-validate on: using %d contiguous blocks of "
                           "it as groups, which is optimistic.", n_splits)
        lengths = [int(sum(v is not None for v in labels_array(lab, len(df), i)))
                   for i, (df, lab) in enumerate(zip(feats, labs, strict=True))]
        g = _block_groups(lengths, n_splits)
        grouping = "blocks"
    k = min(n_splits, len(set(g)))
    if k < 2:
        raise ValueError("Cross-validation needs at least two groups (videos).")
    if warn:
        _warn_single_group_classes(y, g, grouping)
    pred = _out_of_fold(x, y, g, k, estimator, seed, n_estimators)
    report = _report(y, pred, g, k, feats)
    report.grouping = grouping
    return report


def _warn_single_group_classes(y: np.ndarray, g: np.ndarray, grouping: str) -> None:
    """Warn of classes labelled in one group only: the fold holding that group out trains
    without them, so their cross-validated F1 is 0 whatever the features (a real workflow:
    rears labelled in one of three videos scored 0.000, silently)."""
    alone = [str(c) for c in pd.unique(y) if len(set(g[y == c])) < 2]
    if alone:
        unit = {"video": "video", "blocks": "block of the video", "bouts": "bout"}.get(
            grouping, "group")
        logger.warning("%s labelled in one %s only: the fold that holds it out trains without "
                       "it, so its cross-validated F1 is 0 and says nothing of the features. "
                       "Label it in more %ss%s.", ", ".join(repr(c) for c in alone), unit,
                       unit.split()[0], " (or group_by='bouts' for one long recording)"
                       if grouping == "video" else "")


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
    groups: Groups = None,
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
        One group per recording (default: each its own), or ``"bouts"``; see
        :func:`cross_validate`.
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
    r3 = cross_validate(f3, labels, groups, warn=False, **kw)  # the same frames: said once
    return compare_reports(r2, r3)
