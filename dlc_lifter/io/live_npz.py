"""The ``.npz`` a DeepLabCut-Live session is saved as
(:meth:`~dlc_lifter.integrations.dlclive.LiftProcessor.save`): its arrays as they are, and
its records (the camera, the depth judgement) as JSON text.

``numpy.load(path)["camera"]`` is a 0-d string array; ``json.loads(str(...))`` gives the
record back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from dlc_lifter._atomic import atomic_output

__all__ = ["write_live_npz"]


def write_live_npz(path: str | Path, arrays: Mapping[str, np.ndarray],
                   records: Mapping[str, Any], *, overwrite: bool = False) -> Path:
    """Write a live session's ``.npz`` (uncompressed) atomically.

    Parameters
    ----------
    path
        Output file.
    arrays
        The arrays, by name, in the order they are stored.
    records
        JSON-serialisable records, by name, stored after the arrays, each as a 0-d string
        array holding its JSON (numpy numbers written as floats).
    overwrite
        Replace a session saved there before.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    dlc_lifter.errors.OutputExistsError
        When ``path`` exists and ``overwrite`` is false.
    """
    texts = {name: np.asarray(json.dumps(value, default=float))
             for name, value in records.items()}
    out = Path(path)
    with atomic_output(out, overwrite=overwrite) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **arrays, **texts)
    return out
