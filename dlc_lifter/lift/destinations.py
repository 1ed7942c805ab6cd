"""Where a batch puts each input's output in one destination folder, for lifts and for the
analysis steps run over them alike.

:func:`destination_folders` plans a run: outputs flat, same-named files' outputs in
subfolders that mirror their folders. :func:`settle_output` then keeps each input's output
where an earlier run put it (found by what the output records of its input: a
:class:`Provenance`), and never puts it where another input's output is, so where an
output lands does not depend on the other files of the run: a rerun over part of a
dataset, then over all of it, finds every output again.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dlc_lifter.io.provenance import same_source, source_record

__all__ = ["Provenance", "destination_folders", "remove_unused_folders", "settle_output",
           "shared_folder"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Provenance:
    """How a step tells whose an output that exists is: what the output records of its
    input, compared with the input now as every step compares it
    (:func:`~dlc_lifter.io.provenance.same_source` of
    :func:`~dlc_lifter.io.provenance.source_record`).

    Attributes
    ----------
    recorded
        ``recorded(output)``: what the output's record says of its input (a
        :func:`~dlc_lifter.io.provenance.source_record`, or an older record with its
        ``path``); ``None`` where there is no readable record (not ours, older).
    """

    recorded: Callable[[Path], Mapping[str, Any] | None]


def destination_folders(files: Sequence[Path], destfolder: str | Path | None,
                        output_name: Callable[[Path], str] = lambda f: f.stem,
                        ) -> dict[Path, Path | None]:
    """Each file's output folder (``None``: beside it). Into one ``destfolder``, files
    whose outputs would share a name (``output_name``; a DLC project's
    ``labeled-data/<video>/CollectedData_<scorer>.h5``, SLEAP's
    ``<session>/predictions.slp``) go into subfolders that mirror their folders below the
    folder they share (``<destfolder>/<video>/...``), made here. A labelled-data folder's
    labels always go into ``<destfolder>/<video>/``, one folder or several: a batch rerun
    after the project grew finds them where the first run put them. The batches then keep
    an input's output where an earlier run put it, and never put it in another's place
    (:func:`settle_output`)."""
    from dlc_lifter.io.dlc import is_label_file

    if destfolder is None:
        return dict.fromkeys(files)
    out: dict[Path, Path | None] = {
        f: Path(destfolder) / f.parent.absolute().name if is_label_file(f)
        else Path(destfolder) for f in files}
    shared: dict[str, list[Path]] = {}
    for f in files:
        shared.setdefault(output_name(f), []).append(f)
    for group in (g for g in shared.values() if len(g) > 1):
        root = shared_folder(group)
        for f in group:
            sub = f.parent.absolute().relative_to(root)
            if sub.parts:
                out[f] = Path(destfolder) / sub
    for folder in {o for o in out.values() if o is not None and o != Path(destfolder)}:
        folder.mkdir(parents=True, exist_ok=True)
    return out


def _telling_folders(source: Path, other: Path) -> tuple[str, ...]:
    """The fewest of ``source``'s last folder names that ``other``'s do not end with
    (``boxA`` of ``legacy/boxA`` and ``legacy/boxB``; ``day1/m11`` of ``day1/m11`` and
    ``day2/m11``): where the two share only a drive or the root, not every folder from it."""
    mine, theirs = source.parent.absolute().parts[1:], other.parent.absolute().parts[1:]
    k = next((k for k in range(1, len(mine) + 1) if mine[-k:] != theirs[-k:]), len(mine))
    return mine[-k:]


def remove_unused_folders(planned: Iterable[Path | None], used: Iterable[Path | None]
                          ) -> None:
    """Remove the folders :func:`destination_folders` made that no output went into, where
    they are empty (an input kept where an earlier run put its output)."""
    for folder in {p for p in planned if p is not None} - set(used):
        try:
            folder.rmdir()  # only an empty one
        except OSError:
            continue


def shared_folder(files: Iterable[Path]) -> Path:
    """The deepest folder that holds every one of ``files`` (in it or below)."""
    return Path(os.path.commonpath([str(f.parent.absolute()) for f in files]))


def settle_output(source: Path, out: Path, destfolder: Path, taken: Mapping[Path, Path],
                  provenance: Provenance) -> Path:
    """Where ``source``'s output goes in ``destfolder``, whatever other files the run holds.

    Where this input's output is already (``provenance`` tells), flat or in a subfolder
    named after its folders, as a run with other files of its name made it; never where
    another input's output of this name is, nor another's output in this run, but in the
    subfolder it has where the two meet in one run (:func:`destination_folders`; its own
    folder's name where it lies in the folder they share; two files of one folder stay
    where they clash, for the caller to report).

    Parameters
    ----------
    source
        The input file.
    out
        Its output where :func:`destination_folders` puts it among this run's files.
    destfolder
        The run's output folder.
    taken
        ``{output: input}`` of the run's files settled so far.
    provenance
        What an output records of its input, and how it is compared with ``source``.

    Returns
    -------
    Path
        The output's path: ``out``, or another of the same name.
    """
    folders = source.parent.absolute().parts[1:]
    candidates = [out, destfolder / out.name, *(
        destfolder.joinpath(*folders[-k:]) / out.name for k in range(1, len(folders) + 1))]
    records = {q: provenance.recorded(q) for q in dict.fromkeys(candidates)
               if q not in taken and q.is_file()}
    records = {q: rec for q, rec in records.items() if rec is not None or q == out}
    other = taken.get(out)  # the file whose output holds the place
    if records:
        try:
            here = source_record(source)
        except OSError:  # unreadable: left to its step to report
            return out
        if out in records and (records[out] is None
                               or same_source(records[out], here) is not False):
            return out  # its output, or one recording no input (trusted as before)
        for q, rec in records.items():
            if rec is not None and same_source(rec, here):
                logger.debug("%s: its output %s is kept there.", source, q)
                return q
        if records.get(out) is not None:
            other = Path(str(records[out]["path"]))
    if other is None or other.parent.absolute() == source.parent.absolute():
        return out  # no folder tells them apart: one output of two files, reported
    moved = destfolder.joinpath(*_telling_folders(source, other)) / out.name
    logger.info("%s: %s is the output of %s, another file of its name: written into %s.",
                source, out, other, moved)
    return moved
