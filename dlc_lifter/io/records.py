"""The JSON records written beside the package's outputs: how each output was made.

A features table has ``<stem>.json`` beside it, a behaviour prediction
``<stem>_behaviour.json``, a lift's plots ``<stem>_plots.json``; each is a plain dict that
names the file the output was made from (:func:`~dlc_lifter.io.provenance.source_record`),
the options and the package version (``dlc_lifter_version``). :func:`write_record` writes
one atomically, :func:`read_record` reads one back for a rerun to compare.

:func:`write_json` and :func:`read_json` are the same for any JSON value, without the
record's key (the demo's ``summary.json``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dlc_lifter._atomic import atomic_output

__all__ = ["RECORD_KEY", "read_json", "read_record", "write_json", "write_record"]

#: The key every record this package writes holds, by which one is told from another file
#: of that name.
RECORD_KEY = "dlc_lifter_version"


def write_record(record: Mapping[str, Any], path: str | Path, *,
                 overwrite: bool = False) -> Path:
    """Write ``record`` as indented JSON (UTF-8, one trailing newline) at ``path``, atomically:
    :func:`write_json`, which says what it returns and raises.

    Parameters
    ----------
    record
        JSON-serialisable values, with :data:`RECORD_KEY`.
    path
        The record's file, beside the output it describes.
    overwrite
        Replace an existing file.

    Examples
    --------
    >>> write_record({"dlc_lifter_version": "1.0"}, tmp_path / "a.json")  # doctest: +SKIP
    PosixPath('.../a.json')
    """
    return write_json(record, path, overwrite=overwrite)


def write_json(value: Any, path: str | Path, *, overwrite: bool = False,
               newline: bool = True) -> Path:
    """Write ``value`` as indented JSON (UTF-8) at ``path``, atomically.

    Parameters
    ----------
    value
        JSON-serialisable.
    path
        The file.
    overwrite
        Replace an existing file.
    newline
        End the file with one newline (the demo's ``summary.json`` has none).

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
    >>> write_json({"frames": 300}, tmp_path / "summary.json")  # doctest: +SKIP
    PosixPath('.../summary.json')
    """
    out = Path(path)
    text = json.dumps(value, indent=2) + ("\n" if newline else "")
    with atomic_output(out, overwrite=overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return out


def read_json(path: str | Path) -> Any:
    """The JSON value in the file at ``path`` (UTF-8).

    Raises
    ------
    OSError
        When the file cannot be read (``FileNotFoundError`` where it is missing).
    ValueError
        When it is not JSON (:class:`json.JSONDecodeError`) or not UTF-8 text.
    """
    return json.loads(Path(path).read_text(encoding="utf-8"))


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
        record = read_json(path)
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and RECORD_KEY in record else None
