"""The features table on disk: csv or parquet, one row per frame and individual.

:func:`write_features_table` writes a table of
:func:`~dlc_lifter.analysis.features.compute_features` atomically;
:func:`~dlc_lifter.analysis.features.write_features` checks it, writes its record
(:mod:`dlc_lifter.io.records`) and calls it. The columns are described in
``docs/formats.md`` ("Features table").
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from dlc_lifter._atomic import atomic_output
from dlc_lifter.errors import FeatureError
from dlc_lifter.io._common import LONG_CSV_CELLS

__all__ = ["features_format", "require_parquet", "write_features_table"]

logger = logging.getLogger(__name__)


def features_format(fmt: str) -> str:
    """``csv`` or ``parquet`` from ``fmt`` (any case, with or without its dot).

    Raises
    ------
    FeatureError
        For any other format.
    """
    fmt = fmt.lower().lstrip(".")
    if fmt not in ("csv", "parquet"):
        raise FeatureError(f"Unknown features format {fmt!r}; use 'csv' or 'parquet'.")
    return fmt


def require_parquet() -> None:
    """Raise :class:`FeatureError` saying to ``pip install pyarrow`` when it is absent."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise FeatureError(
            "Writing parquet needs pyarrow, which is not installed: run "
            "'pip install pyarrow', or write csv instead (--csv).") from None


def write_features_table(df: pd.DataFrame, path: str | Path, fmt: str = "csv", *,
                         overwrite: bool = False) -> Path:
    """Write a features table atomically, without its index or ``attrs``.

    Parameters
    ----------
    df
        One row per frame and individual
        (:func:`~dlc_lifter.analysis.features.compute_features`).
    path
        Output file.
    fmt
        ``csv`` (floats to 9 significant digits) or ``parquet``
        (:func:`features_format`).
    overwrite
        Replace an existing table.

    Returns
    -------
    pathlib.Path
        The table written.

    Raises
    ------
    FeatureError
        For an unknown format.
    dlc_lifter.errors.OutputExistsError
        When ``path`` exists and ``overwrite`` is false.

    Examples
    --------
    >>> write_features_table(df, "mouse_features.csv")  # doctest: +SKIP
    PosixPath('mouse_features.csv')
    """
    fmt = features_format(fmt)
    p = Path(path)
    out = df.copy()
    out.attrs = {}
    with atomic_output(p, overwrite=overwrite) as tmp:
        if fmt == "csv":
            if out.size >= LONG_CSV_CELLS:  # a minute for an hour's features: said
                logger.info("Writing %d rows of %d features to %s (a csv this long takes a "
                            "while; as parquet, fmt=\"parquet\" or --parquet, it is written "
                            "several times faster).", len(out), out.shape[1], p)
            out.to_csv(tmp, index=False, float_format="%.9g")
        else:
            out.to_parquet(tmp, index=False)
    return p
