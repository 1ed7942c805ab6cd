"""The JSON sidecar beside a weights file: how the weights were made.

``weights.pt`` gets ``weights.json`` beside it (:func:`sidecar_path`), written by
:func:`write_sidecar` from a plain dict: the training command, the configuration
(``dataclasses.asdict``), the seeds, the code version, times and the weights' hash.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dlc_lifter._atomic import atomic_output

__all__ = ["read_sidecar", "sidecar_path", "write_sidecar"]


def sidecar_path(weights: str | Path) -> Path:
    """The sidecar of ``weights``: the same path with the suffix ``.json``."""
    return Path(weights).with_suffix(".json")


def write_sidecar(weights: str | Path, record: dict[str, Any]) -> Path:
    """Write ``record`` as the JSON sidecar of ``weights`` (atomically, replacing it).

    Parameters
    ----------
    weights
        The weights file the record describes.
    record
        JSON-serialisable values; anything else is written as its ``str``.

    Returns
    -------
    pathlib.Path
        The sidecar's path.

    Examples
    --------
    >>> write_sidecar(tmp_path / "depth_net.pt", {"seed": 0})  # doctest: +SKIP
    PosixPath('.../depth_net.json')
    """
    out = sidecar_path(weights)
    text = json.dumps(record, indent=2, default=str) + "\n"
    with atomic_output(out, overwrite=True) as tmp:
        Path(tmp).write_text(text)
    return out


def read_sidecar(weights: str | Path) -> dict[str, Any]:
    """The JSON sidecar of ``weights`` as a dict (empty when there is none)."""
    p = sidecar_path(weights)
    return json.loads(p.read_text()) if p.is_file() else {}
