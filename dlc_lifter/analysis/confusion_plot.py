"""The confusion matrix of a cross-validated behaviour classifier, as a PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dlc_lifter._atomic import atomic_output
from dlc_lifter.analysis.crossval import CrossValReport

__all__ = ["plot_confusion"]


def plot_confusion(
    report: CrossValReport, path: str | Path, *, title: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Write the report's confusion matrix as a PNG (rows normalised, counts written in).

    Uses matplotlib's Agg canvas (no display, no pyplot state); written atomically.

    Parameters
    ----------
    report
        From :func:`~dlc_lifter.analysis.crossval.cross_validate`.
    path
        Output ``.png``.
    title
        Default: the feature kind and the macro F1.
    overwrite
        Replace an existing file.

    Returns
    -------
    Path
        ``path``.
    """
    # matplotlib: heavy, loaded only when a plot is drawn
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
