"""Analyses of lifted poses: plots, behavioural features (also live), behaviour classification.

Submodules load on first use (``dlc_lifter.analysis.compute_features`` imports
:mod:`dlc_lifter.analysis.features`), so importing this package stays light: no
matplotlib, scikit-learn or torch at import time.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "BehaviourModel",
    "CrossValReport",
    "LiveFeatures",
    "StreamingFeatures",
    "compare_2d_3d",
    "compute_features",
    "cross_validate",
    "load_labels",
    "load_model",
    "plot_lifted",
    "predict",
    "read_lifted",
    "train_classifier",
    "write_features",
]

_WHERE = {
    "compute_features": "features",
    "write_features": "features",
    "BehaviourModel": "classify",
    "CrossValReport": "classify",
    "compare_2d_3d": "classify",
    "cross_validate": "classify",
    "load_labels": "classify",
    "load_model": "classify",
    "predict": "classify",
    "train_classifier": "classify",
    "plot_lifted": "plots",
    "read_lifted": "plots",
    "LiveFeatures": "live_features",
    "StreamingFeatures": "live_features",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'dlc_lifter.analysis' has no attribute {name!r}")
    return getattr(importlib.import_module(f"dlc_lifter.analysis.{module}"), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
