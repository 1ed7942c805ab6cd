"""One analysis step (features, plots, behaviour predictions) over many files, run and
reported as a batch of lifts is (:mod:`dlc_lifter.lift.batch`).

A lab's lifted recordings sit in a folder tree: :func:`analysis_inputs` takes a folder's
lifted 3D outputs (its subfolders' too with ``recursive``), found as ``lift_files`` finds
pose files (:func:`~dlc_lifter.io.find.find_pose_files`). :func:`run_per_file` runs the
step on each file, skips an output that is already up to date (a rerun over a grown
dataset), reports a file that fails and goes on, and returns a
:class:`~dlc_lifter.lift.batch.BatchReport` whose summary counts the files done, skipped
and failed and says each kind of warning once, with the files that gave it; on the
console, a warning of a kind already said in the batch is not said again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dlc_lifter._progress import progress_bar
from dlc_lifter.errors import DLCLifterError
from dlc_lifter.io.dlc import LIFTED_SUBFOLDER
from dlc_lifter.io.find import find_pose_files
from dlc_lifter.lift.batch import BatchItem, BatchReport, collect_warnings, warning_kind_key
from dlc_lifter.lift.destinations import (
    Provenance,
    destination_folders,
    remove_unused_folders,
    settle_output,
)

__all__ = ["Existing", "Placement", "analysis_inputs", "run_per_file"]

logger = logging.getLogger(__name__)

#: What a step finds of a file's output before running (see :func:`run_per_file`).
Existing = Callable[[Path, Path | None], tuple[Path, str | None] | None]


@dataclass(frozen=True)
class Placement:
    """A step's output of a file, and what it records of the file: where a rerun finds it.

    Attributes
    ----------
    output
        ``output(file, folder)``: the file's (first) output in ``folder`` (``None``: beside
        the file).
    provenance
        What that output records of its file
        (:class:`~dlc_lifter.lift.destinations.Provenance`).
    """

    output: Callable[[Path, Path | None], Path]
    provenance: Provenance


def analysis_inputs(entries: Iterable[str | Path], *, recursive: bool = False,
                    two_d: bool = True) -> list[Path]:
    """The files a per-file step reads: files named one by one as they are, and in each
    folder given its lifted 3D outputs (``*_lifted3d.h5``; a ``*_lifted3d.csv`` without
    its ``.h5``), or where it holds none, those of its ``lifted3d`` folder (where ``lift``
    puts a DeepLabCut ``analyze_videos`` table's lift).

    Parameters
    ----------
    entries
        Files and folders.
    recursive
        Search the folders' subfolders too (where a batch put same-named inputs' lifts:
        ``boxA/``, ``session01/``...).
    two_d
        A folder holding no lifted 3D file gives its 2D pose files instead (found as
        :func:`~dlc_lifter.lift.lift_files` finds them): the step on 2D poses, as for one
        2D file named. ``False``: such a folder is refused.

    Returns
    -------
    list of Path
        In order: each entry's files, a folder's sorted.

    Raises
    ------
    DLCLifterError
        For a folder holding no file to read (with ``two_d=False``: no lifted 3D file).
    """
    out: list[Path] = []
    for entry in map(Path, entries):
        if not entry.is_dir():
            out.append(entry)
            continue
        files = find_pose_files([entry], recursive=recursive, lifted=True).files
        kind = "lifted 3D"
        own = entry / LIFTED_SUBFOLDER  # where lift puts an analyze_videos table's lift
        if not files and not recursive and own.is_dir():
            files = find_pose_files([own], lifted=True).files
            if files:
                logger.info("%s: no lifted 3D file in it; those in %s/, where lift puts "
                            "them, taken.", entry, LIFTED_SUBFOLDER)
        if not files and two_d:
            files, kind = find_pose_files([entry], recursive=recursive).files, "2D pose"
        if not files:
            raise DLCLifterError(_none_in(entry, recursive, two_d))
        logger.info("%s: %d %s files%s.", entry, len(files), kind,
                    "" if kind == "lifted 3D" else " (no lifted 3D file: 2D features)")
        if not recursive:
            deeper = find_pose_files([entry], recursive=True, lifted=kind == "lifted 3D").files
            if len(deeper) > len(files):
                logger.warning("%s: its subfolders hold %d more %s files (e.g. %s), left out: "
                               "recursive=True takes them.", entry, len(deeper) - len(files),
                               kind, next(f for f in deeper if f not in files))
        out += [f for f in files if f not in out]
    return out


def _none_in(folder: Path, recursive: bool, two_d: bool) -> str:
    """Why ``folder`` gives no file to read, and what to do."""
    what = "lifted 3D files (*_lifted3d.h5)" + (" nor 2D pose files" if two_d else "")
    deeper = [] if recursive else find_pose_files([folder], recursive=True, lifted=True).files
    if deeper:
        return (f"No {what} in {folder}; its subfolders hold {len(deeper)} lifted 3D files "
                f"(e.g. {deeper[0]}): search them with recursive=True.")
    return (f"No {what} in {folder}. Lift its pose files first: dlc-lifter lift-files "
            f"{folder} (Python: dlc_lifter.lift_files).")


def run_per_file(files: Sequence[Path], destfolder: Path | None,
                 work: Callable[[Path, Path | None], list[Path]], *,
                 existing: Existing | None = None, placement: Placement | None = None,
                 desc: str = "files") -> BatchReport:
    """Run ``work`` on every file, each with its output folder, and report as a batch.

    Into one ``destfolder``, outputs go as ``lift_files`` puts lifts: same-named files'
    into subfolders named as theirs
    (:func:`~dlc_lifter.lift.destinations.destination_folders`), and, given
    ``placement``, a file's output that an earlier run put flat or in its subfolder is
    kept there, and none goes where another file's output of its name is
    (:func:`~dlc_lifter.lift.destinations.settle_output`): a run over part of a dataset,
    then over all of it, finds each output again. A file that fails
    (:class:`~dlc_lifter.errors.DLCLifterError`) is reported and the others go on.

    Parameters
    ----------
    files
        The files (:func:`analysis_inputs`).
    destfolder
        One output folder; ``None``: each file's output beside it.
    work
        ``work(file, folder) -> written``: the step on one file, its first output first.
    existing
        ``existing(file, folder)``: before ``work``, what the file's output is: ``None``
        where there is none (``work`` runs); ``(output, None)`` where it is up to date
        (skipped); ``(output, why)`` where it exists and is not (failed, saying ``why``).
        ``None`` (the default): ``work`` always runs (an output that exists is its matter).
    placement
        The step's output of a file and what it records of it; ``None``: outputs go where
        this run's files alone put them.
    desc
        Progress bar label.

    Returns
    -------
    BatchReport
        Items ``done``, ``skipped`` or ``failed``; its summary says ``"N done"``.
    """
    t0 = time.perf_counter()
    report = BatchReport(verb="done")
    folders = destination_folders(files, destfolder)
    if destfolder is not None and placement is not None:
        folders = _settled(folders, Path(destfolder), placement)
    bar = progress_bar(total=len(files), desc=desc, unit="file", disable=len(files) < 2)
    with _said_once():
        for f, folder in folders.items():
            report.add(_one(f, folder, work, existing))
            bar.update(1)
    bar.close()
    report.seconds = time.perf_counter() - t0
    return report


def _settled(planned: dict[Path, Path | None], destfolder: Path,
             placement: Placement) -> dict[Path, Path | None]:
    """Each file's output folder where its output already is, never another's
    (:func:`~dlc_lifter.lift.destinations.settle_output`); the planned subfolders left
    unused and empty are removed."""
    taken: dict[Path, Path] = {}
    out: dict[Path, Path | None] = {}
    for f, folder in planned.items():
        q = settle_output(f, placement.output(f, folder), destfolder, taken,
                          placement.provenance)
        taken[q] = f
        out[f] = q.parent
        q.parent.mkdir(parents=True, exist_ok=True)
    remove_unused_folders(planned.values(), out.values())
    return out


def _one(f: Path, folder: Path | None, work: Callable[[Path, Path | None], list[Path]],
         existing: Existing | None) -> BatchItem:
    """The item of one file: skipped, failed or done (with the warnings it gave)."""
    item = BatchItem(poses=str(f), video=None, output=None, status="done")
    found = existing(f, folder) if existing is not None else None
    if found is not None:
        item.output = str(found[0])
        item.status, item.error = ("skipped", "output exists") if found[1] is None else (
            "failed", found[1])
        logger.log(logging.INFO if found[1] is None else logging.ERROR, "%s: %s (%s).", f,
                   "skipped, its output is up to date" if found[1] is None else "failed",
                   found[1] or found[0])
        return item
    t0 = time.perf_counter()
    with collect_warnings() as caught:
        try:
            written = work(f, folder)
        except DLCLifterError as exc:
            item.status, item.error = "failed", str(exc)
            logger.error("%s: failed: %s", f, exc)
            written = []
    item.warnings = caught
    item.seconds = time.perf_counter() - t0
    if written:
        item.output, item.extra_outputs = str(written[0]), [str(p) for p in written[1:]]
    return item


class _Repeats(logging.Filter):
    """Drops the package's warnings of a kind said already (:func:`warning_kind_key`); one
    record is judged once, whichever of the log's handlers sees it first."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.WARNING or not record.name.startswith("dlc_lifter"):
            return True
        repeat = getattr(record, "said_before", None)
        if repeat is None:
            key = warning_kind_key(record.getMessage())
            repeat = key in self.seen
            self.seen.add(key)
            record.said_before = repeat
        return not repeat


@contextmanager
def _said_once() -> Iterator[None]:
    """In the block, the log's handlers say each kind of the package's warning once (the
    batch's summary names every file that gave it)."""
    repeats = _Repeats()
    handlers = list(logging.getLogger().handlers)
    for h in handlers:
        h.addFilter(repeats)
    try:
        yield
    finally:
        for h in handlers:
            h.removeFilter(repeats)
