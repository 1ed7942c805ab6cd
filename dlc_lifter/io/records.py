"""The JSON records written beside the package's outputs: how each output was made.

A features table has ``<stem>.json`` beside it, a behaviour prediction
``<stem>_behaviour.json``, a lift's plots ``<stem>_plots.json``; each is a plain dict that
names the file the output was made from (:func:`~dlc_lifter.io.provenance.source_record`),
the options and the package version (``dlc_lifter_version``). :func:`write_record` writes
one atomically, :func:`read_record` reads one back for a rerun to compare.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dlc_lifter._atomic import atomic_output

__all__ = ["RECORD_KEY", "read_record", "write_record"]

#: The key every record this package writes holds, by which one is told from another file
#: of that name.
RECORD_KEY = "dlc_lifter_version"


def write_record(record: Mapping[str, Any], path: str | Path, *,
                 overwrite: bool = False) -> Path:
    """Write ``record`` as indented JSON (UTF-8, one trailing newline) at ``path``, atomically.

    Parameters
    ----------
    record
        JSON-serialisable values, with :data:`RECORD_KEY`.
    path
        The record's file, beside the output it describes.
    overwrite
        Replace an existing file.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    dlc_lifter.errors.OutputExistsError
        When ``path`` exists and ``overwrite`` is false (before anything is written).

    Examples
    --------
    >>> write_record({"dlc_lifter_version": "1.0"}, tmp_path / "a.json")  # doctest: +SKIP
    PosixPath('.../a.json')
    """
    out = Path(path)
    with atomic_output(out, overwrite=overwrite) as tmp:
        tmp.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return out


def read_record(path: str | Path) -> dict[str, Any] | None:
    """The record at ``path``, or ``None`` where there is none this package wrote.

    Parameters
    ----------
    path
        A record's file (:func:`write_record`).

    Returns
    -------
    dict or None
        The record; ``None`` where the file is absent or unreadable, is not JSON (cut off,
        edited by hand) or is another file of that name (no :data:`RECORD_KEY`): the
        callers take such an output as one without a record (a batch rerun makes it
        again).
    """
    try:
        record = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and RECORD_KEY in record else None
