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

#: Where each name lives: a submodule of this package, or a full module path.
_WHERE = {
    "compute_features": "features",
    "write_features": "features",
    "BehaviourModel": "classify",
    "CrossValReport": "crossval",
    "compare_2d_3d": "crossval",
    "cross_validate": "crossval",
    "load_labels": "dlc_lifter.io.labels",
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
    if "." not in module:
        module = f"dlc_lifter.analysis.{module}"
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
