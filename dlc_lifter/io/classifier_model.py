"""Behaviour classifier model files: a joblib dictionary with a format tag.

The file holds ``format`` (``"dlc-lifter-behaviour-model"``), ``version``, the fitted
scikit-learn ``estimator``, ``feature_columns``, ``classes``, ``feature_kind``,
``window``, ``info`` and the ``sklearn_version`` that wrote it.
:class:`dlc_lifter.analysis.classify.BehaviourModel` is built from and saved to it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dlc_lifter._atomic import atomic_output
from dlc_lifter.errors import ModelFileError

__all__ = ["MODEL_FORMAT", "read_classifier_model", "write_classifier_model"]

logger = logging.getLogger(__name__)

#: Format tag stored in saved models.
MODEL_FORMAT = "dlc-lifter-behaviour-model"
_MODEL_VERSION = 1
#: What a model file must hold besides its format tag.
_FIELDS = ("estimator", "feature_columns", "classes", "feature_kind", "window")


def write_classifier_model(model: Mapping[str, Any], path: str | Path, *,
                           overwrite: bool = False) -> Path:
    """Write a classifier's fields with joblib (atomically), tagged with the format.

    Parameters
    ----------
    model
        ``estimator``, ``feature_columns``, ``classes``, ``feature_kind``, ``window``
        and ``info``.
    path
        Output file (``.joblib``).
    overwrite
        Replace an existing file.

    Returns
    -------
    Path
        ``path``.
    """
    # joblib and scikit-learn: heavy, loaded only when a model is written
    import joblib
    import sklearn

    payload = {"format": MODEL_FORMAT, "version": _MODEL_VERSION, **dict(model),
               "sklearn_version": sklearn.__version__}
    p = Path(path)
    with atomic_output(p, overwrite=overwrite) as tmp:
        joblib.dump(payload, tmp)
    logger.info("Saved behaviour model to %s", p)
    return p


def read_classifier_model(path: str | Path) -> dict[str, Any]:
    """Read a file written by :func:`write_classifier_model`.

    Returns
    -------
    dict
        The stored fields (``estimator``, ``feature_columns``, ``classes``,
        ``feature_kind``, ``window``, ``info``, ...).

    Raises
    ------
    ModelFileError
        When the file is missing or is not a dlc-lifter behaviour model.
    """
    # joblib: heavy, loaded only when a model is read
    import joblib

    p = Path(path)
    if not p.is_file():
        raise ModelFileError(f"Behaviour model {p} does not exist; check the path, or "
                             "train a model first.")
    try:
        data = joblib.load(p)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means a bad file
        raise ModelFileError(f"{p} is not a readable behaviour model ({exc}).") from None
    if not isinstance(data, dict) or data.get("format") != MODEL_FORMAT:
        raise ModelFileError(f"{p} is not a dlc-lifter behaviour model; give a model "
                             "file saved by dlc-lifter, or train one.")
    missing = [k for k in _FIELDS if k not in data]
    if missing:
        raise ModelFileError(f"{p} is a behaviour model without {', '.join(missing)}; it is "
                             "damaged, train it again.")
    return data
