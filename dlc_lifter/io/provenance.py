"""What an output records of the file it was made from, and how a rerun compares it.

Every output made from an input file records that file alike, with :func:`source_record`:
a lift its pose file (the meta pickle's ``source_file``), plots the lift they were drawn
from (``<stem>_plots.json``'s ``lift``), a features table its pose file (the sidecar's
``source_file``), a behaviour prediction its pose file and model (``source``, ``model``).
A batch rerun compares the record with the file as it is now with the same functions:
:func:`same_source` tells whose an output is, :func:`made_from` whether it is up to date.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dlc_lifter.io._common import sha256_file

__all__ = ["made_from", "not_made_from", "same_content", "same_source", "source_record"]

#: Bytes of an input's start and of its end that its fingerprint reads.
_FINGERPRINT_BYTES = 1 << 20


def source_record(path: str | Path) -> dict[str, Any]:
    """What an output records of the file it was made from.

    Parameters
    ----------
    path
        The input file.

    Returns
    -------
    dict
        ``path`` (absolute), ``size`` (bytes), ``mtime_ns`` (its modification time) and
        ``fingerprint``: the sha256 of its first and last MiB (the whole of most pose
        files), by which a batch tells whether an output that exists was made from this
        file as it is now, moved or copied elsewhere (two recordings of one name and frame
        count have one size: the content tells them apart). Reading at most 2 MiB keeps a
        rerun's check of thousands of outputs quick.

    Raises
    ------
    OSError
        Where the file cannot be read.

    Examples
    --------
    >>> rec = source_record("videoDLC_resnet50.h5")  # doctest: +SKIP
    >>> sorted(rec)  # doctest: +SKIP
    ['fingerprint', 'mtime_ns', 'path', 'size']
    """
    p = Path(path).absolute()
    st = p.stat()
    digest = hashlib.sha256()
    with p.open("rb") as fh:
        digest.update(fh.read(_FINGERPRINT_BYTES))
        if st.st_size > 2 * _FINGERPRINT_BYTES:
            fh.seek(-_FINGERPRINT_BYTES, os.SEEK_END)
        digest.update(fh.read(_FINGERPRINT_BYTES))
    return {"path": str(p), "size": int(st.st_size), "mtime_ns": int(st.st_mtime_ns),
            "fingerprint": digest.hexdigest()}


def same_content(rec: Mapping[str, Any], here: Mapping[str, Any]) -> bool:
    """Whether a record of an input and the input now (:func:`source_record`) hold the same
    content.

    Parameters
    ----------
    rec
        The record an output keeps.
    here
        :func:`source_record` of the file now.

    Returns
    -------
    bool
        By size and fingerprint. Records written before fingerprints were: by size and
        modification time (a lift's); by the sha256 of the whole file (``sha256``, a
        features table's ``source_sha256``), read here once for such a record, so that a
        rerun over older tables skips those still up to date rather than making them again.
    """
    if rec.get("fingerprint") and here.get("fingerprint"):
        return rec.get("size") == here.get("size") and rec["fingerprint"] == here["fingerprint"]
    if rec.get("sha256"):
        return rec["sha256"] == _whole_file_sha256(Path(str(here["path"])))
    return rec.get("size") == here.get("size") and rec.get("mtime_ns") == here.get("mtime_ns")


def same_source(rec: Any, here: Mapping[str, Any]) -> bool | None:
    """Whether the input an output records is the file ``here`` (:func:`source_record`).

    Parameters
    ----------
    rec
        What the output records of its input (a mapping with its ``path``).
    here
        :func:`source_record` of the file now.

    Returns
    -------
    bool or None
        ``True`` for its path (changed since or not) or a file of its name and content
        elsewhere (moved, or copied); ``False`` for another file; ``None`` where the output
        records none (not ours, older).
    """
    if not isinstance(rec, Mapping) or not rec.get("path"):
        return None
    if rec["path"] == here["path"]:
        return True
    return Path(str(rec["path"])).name == Path(here["path"]).name and same_content(rec, here)


def made_from(rec: Any, here: Mapping[str, Any]) -> bool:
    """Whether an output recording ``rec`` was made from the file ``here`` as it is now:
    the rule by which every batch rerun (lifts, plots, features, behaviour) skips an output.

    Parameters
    ----------
    rec
        What the output records of its input.
    here
        :func:`source_record` of the file now.

    Returns
    -------
    bool
        ``True`` where the record names this file's path, or a file of its name
        (:func:`same_source`), and its content as it is now (:func:`same_content`).

    Examples
    --------
    >>> made_from(record["source_file"], source_record(poses_path))  # doctest: +SKIP
    True
    """
    if not isinstance(rec, Mapping) or not rec.get("path"):
        return False
    return (Path(str(rec["path"])).name == Path(here["path"]).name
            and same_content(rec, here))


def not_made_from(rec: Mapping[str, Any], here: Mapping[str, Any],
                  given: str | Path) -> str | None:
    """Why an output recording ``rec`` was not made from the file ``here`` as it is now, as
    a clause for a rerun's message; ``None`` where it was (:func:`made_from`).

    Parameters
    ----------
    rec, here
        As for :func:`made_from`.
    given
        The file as the user named it.

    Returns
    -------
    str or None
        ``"made from other content than <given> holds now (the file changed since)"`` for
        its own path, ``"(its record names <path>)"`` for another file.
    """
    if made_from(rec, here):
        return None
    return (f"made from other content than {given} holds now (" + (
        "the file changed since" if rec.get("path") == here["path"]
        else f"its record names {rec.get('path')}") + ")")


def _whole_file_sha256(path: Path) -> str | None:
    """The sha256 of the whole file (``None`` where it cannot be read)."""
    try:
        return sha256_file(path)
    except OSError:
        return None
