"""Lift whole DeepLabCut projects and SLEAP datasets, one task per video, on any executor.

:func:`lift_videos` follows DeepLabCut's calling convention (``config, videos,
videotype, shuffle, trainingsetindex, destfolder, filtered, save_as_csv``): for every
video it finds the ``analyze_videos`` output beside it (or in ``destfolder``) and lifts
it to ``<pose stem>_lifted3d.h5``. :func:`lift_sleap` does the same over SLEAP ``.slp``
and analysis ``.h5`` files, and :func:`lift_files` over any pose files and folders of
them, kept without their project (:func:`dlc_lifter.io.find.find_pose_files`).

Batches are resumable and fault tolerant:

* an existing output is complete (outputs are written atomically), so it is skipped
  ("skipped, exists") unless ``overwrite``; stale temporary files a killed run left
  beside an output are removed before the video is lifted again;
* formats asked for that an existing output lacks (a rerun with ``nwb`` added) are written
  from that lift, not lifted again, where it is this input's lift, the input has not
  changed since and the camera and lift options are the same (``added`` in the
  :class:`BatchReport`; otherwise the output is skipped and the reason said);
* one failing video is reported in the :class:`BatchReport` and does not stop the
  others;
* work is submitted as one picklable task per video (:func:`run_lift_job`) to any
  :class:`concurrent.futures.Executor`: a ``ProcessPoolExecutor`` or a
  ``dask.distributed`` ``Client(...).get_executor(retries=2)`` (see ``docs/cluster.md``).
  Bad-input errors (:class:`~dlc_lifter.errors.DLCLifterError`) are reported at once;
  other exceptions propagate out of the task so that dask's ``retries=`` can re-run it.

Work on each output beyond the lift (plots, a 3D video) is an :class:`OutputStep` passed
as ``after_each=``: it runs in the same task, after the lift, and never fails it. This
layer does not know what the step draws; the command line passes
:class:`dlc_lifter.analysis.plots.PlotStep` for ``--plot``.

One module although long: planning, running and reporting a batch share
:class:`LiftJob`, :class:`BatchItem` and :class:`BatchReport`. Which files and videos a
batch lifts is found by :mod:`dlc_lifter.io.find` (:func:`find_videos`,
:func:`find_dlc_output` and ``VIDEO_EXTENSIONS`` are that module's, kept importable here).
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path, PureWindowsPath
from typing import Any, Literal, Protocol

from dlc_lifter._atomic import claim_holder, release_claims, remove_stale_claim
from dlc_lifter._progress import progress_bar
from dlc_lifter.errors import (
    DestinationError,
    DLCLifterError,
    OutputBusyError,
    OutputExistsError,
    OutputFormatError,
)
from dlc_lifter.io.find import (
    VIDEO_EXTENSIONS,
    find_dlc_output,
    find_videos,
    folders_with_outputs,
    load_project_config,
    output_of_project,
    project_identity,
)
from dlc_lifter.io.provenance import made_from, same_source, source_record
from dlc_lifter.lift.caught import collect_warnings, quietly
from dlc_lifter.lift.destinations import (
    Provenance,
    destination_folders,
    remove_unused_folders,
    settle_output,
)
from dlc_lifter.lift.made_with import made_with_other_weights, weights_hash
from dlc_lifter.lift.options import CameraSpec, LiftOptions, OutputSpec, check_pcutoff
from dlc_lifter.lift.outputs import (
    OUTPUT_FORMATS,
    clean_stale_temp_files,
    interrupted_leftovers,
    output_paths,
)

__all__ = [
    "BatchInterrupted",
    "BatchItem",
    "BatchReport",
    "DestinationError",
    "LiftJob",
    "OutputStep",
    "VIDEO_EXTENSIONS",
    "clean_stale_temp_files",
    "collect_warnings",
    "dask_executor",
    "destination_folders",
    "find_dlc_output",
    "find_videos",
    "lift_files",
    "lift_jobs",
    "lift_sleap",
    "lift_videos",
    "run_lift_job",
    "warning_kind_key",
    "worker_initializer",
]

logger = logging.getLogger(__name__)

#: Prefix and suffix of the probe files used to test that a folder is writable.
_PROBE_PREFIX = ".dlc_lifter_probe_"


# --------------------------------------------------------------------------- report
#: What became of one file of a batch (:attr:`BatchItem.status`).
Status = Literal["done", "added", "skipped", "failed", "busy"]


#: A skipped item's ``error`` where its output was kept though its input changed since,
#: it was lifted with other options, lacks a format asked for, or its video opens now
#: (each said in its warnings).
KEPT = "output exists, kept though out of date"


@dataclass
class BatchItem:
    """The outcome of one video (or pose file) of a batch.

    Attributes
    ----------
    poses
        The 2D pose file (``None`` when none was found for the video).
    video
        The video, if any.
    output
        The lifted 3D file (written, or found and skipped).
    status
        ``done``, ``added`` (formats written from the existing lift, not lifted again),
        ``skipped``, ``failed`` or ``busy`` (another run is lifting it now).
    error
        Why it failed (``failed``), was skipped, or which run holds it (``busy``).
    n_frames
        Frames lifted (``done`` only).
    seconds
        Wall time of the task.
    extra_outputs
        Files the batch's :class:`OutputStep` (``after_each=``, e.g. the plots) wrote for
        this output.
    warnings
        Non-fatal problems: every warning the package logged while lifting this file (a
        view from below, keypoints dropped, an assumed camera...) and a step that could
        not be done.
    recording
        Which of the pose file's recordings, for a SLEAP ``.slp`` holding several videos'
        frames (``"video 3: cam3.mp4"``: its position, as ``sleap_video`` takes it, and
        its file name); ``None`` for a file of one recording.
    formats_added
        The formats written from the existing lift (``added``).
    formats_rewritten
        Those of ``formats_added`` whose files existed, written again from the lift: an
        NWB written with other NWB metadata than the batch's (``added``).
    by_video
        Named in messages by its video rather than its pose file: a batch over a
        project's videos (:func:`lift_videos`), whose pose files are named after them.
    """

    poses: str | None
    video: str | None
    output: str | None
    status: Status
    error: str | None = None
    n_frames: int | None = None
    seconds: float = 0.0
    extra_outputs: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    recording: str | None = None
    formats_added: list[str] = field(default_factory=list)
    formats_rewritten: list[str] = field(default_factory=list)
    by_video: bool = False

    @classmethod
    def of_job(cls, job: LiftJob, status: Status, **kwargs: Any) -> BatchItem:
        """The item of ``job`` (its files, recording and naming), with ``status``."""
        return cls(poses=job.poses, video=job.video, output=job.output, status=status,
                   recording=job.recording,
                   by_video=job.video is not None and not job.video_from_poses, **kwargs)

    @property
    def name(self) -> str:
        """A short name for messages: the pose file's (the video's where the batch was
        given videos, or no pose file was found), with the recording of a file holding
        several (``labels.slp [video 3: cam3.mp4]``, not the video found for it). A batch's
        summary tells files of one name apart by their folders (:meth:`BatchReport.names`)."""
        return _with_recording(Path(self._file).name, self.recording)

    @property
    def where(self) -> str:
        """:attr:`name` with the pose file's whole path, for the log."""
        return _with_recording(self._file, self.recording)

    @property
    def _file(self) -> str:
        return ((self.video if self.by_video else None) or self.poses or self.video
                or self.output or "?")


def _with_recording(name: str, recording: str | None) -> str:
    return name if recording is None else f"{name} [{recording}]"


@dataclass
class BatchReport:
    """What a batch did: lists of :class:`BatchItem` by outcome.

    Attributes
    ----------
    done
        Videos lifted in this run.
    added
        Videos whose output existed without some formats asked for, which were written
        from it (not lifted again).
    skipped
        Videos whose output already existed.
    failed
        Videos that could not be lifted, each with its error message.
    busy
        Videos another run (another batch on the same files, a resubmitted cluster job)
        was lifting: left to it, not lifted here.
    seconds
        Wall time of the whole batch.
    not_started
        Videos an interrupted batch did not finish (:class:`BatchInterrupted`), or that a
        worker process's death left unlifted (``worker_died``).
    worker_died
        A worker process died (killed, or out of memory): the videos it and the pool had
        not finished are ``not_started``, the batch's others done.
    verb
        What the summary calls the files done (``"lifted"``; a batch of another step over
        files, :func:`dlc_lifter.analysis.per_file.run_per_file`, says ``"done"``).
    passed_over
        ``{file: why}`` for files found and passed over on purpose (a ``.csv`` twin of an
        ``.h5``, the other of a ``_filtered`` pair, a video named: :func:`lift_files`):
        counted in the summary, so that every file found is.
    warnings
        Problems of the batch as a whole, not of one file (``recordings`` of the NWB
        metadata that name no file of it).
    redone
        Outputs that existed out of date and were lifted again (``redo_out_of_date``);
        those lifted are among ``done``.
    """

    done: list[BatchItem] = field(default_factory=list)
    added: list[BatchItem] = field(default_factory=list)
    skipped: list[BatchItem] = field(default_factory=list)
    failed: list[BatchItem] = field(default_factory=list)
    busy: list[BatchItem] = field(default_factory=list)
    seconds: float = 0.0
    not_started: int = 0
    worker_died: bool = False
    verb: str = "lifted"
    passed_over: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    redone: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no video failed and none was left unlifted."""
        return not self.failed and not self.not_started

    @property
    def items(self) -> list[BatchItem]:
        """Every item: done, then added, then skipped, then failed, then busy."""
        return [*self.done, *self.added, *self.skipped, *self.failed, *self.busy]

    @property
    def outputs(self) -> list[Path]:
        """The 3D files that exist after the batch (done, added and skipped), sorted."""
        return sorted(Path(i.output) for i in (*self.done, *self.added, *self.skipped)
                      if i.output)

    def names(self) -> dict[int, str]:
        """Each item's name in messages (by ``id(item)``): its pose file's name, with as
        many of its folders as tell it from the batch's other files of that name
        (``day1/predictions.slp``, relative to the folder they share), and the recording
        of a file holding several (``labels.slp [video 3: cam3.mp4]``)."""
        items = self.items
        by_name: dict[str, list[BatchItem]] = {}
        for i in items:
            by_name.setdefault(Path(i._file).name, []).append(i)
        out = {id(i): i.name for i in items}
        for group in by_name.values():
            paths = {os.path.abspath(i._file) for i in group}
            if len(paths) < 2:
                continue
            root = os.path.commonpath([os.path.dirname(q) for q in paths])
            for i in group:
                out[id(i)] = _with_recording(
                    Path(os.path.relpath(os.path.abspath(i._file), root)).as_posix(),
                    i.recording)
        return out

    @property
    def n_frames(self) -> int:
        """Frames lifted in this run."""
        return sum(i.n_frames or 0 for i in self.done)

    def add(self, item: BatchItem) -> None:
        """File an item under its status."""
        getattr(self, item.status).append(item)

    def _kept(self) -> str:
        """``"; N of them kept ..."`` for skipped outputs kept though out of date."""
        n = sum(i.error == KEPT for i in self.skipped)
        return (f"; {n} of them out of date, kept: see the warnings; redo_out_of_date=True "
                "lifts only those again" if n else "")

    def _redone(self) -> str:
        """``" (N of them again, out of date)"`` for outputs lifted again."""
        again = set(self.redone)
        n = sum(str(i.output) in again for i in self.done)
        return f" ({n} of them again, out of date)" if n else ""

    def summary(self) -> str:
        """A few human-readable lines: counts, one line per failure, then each kind of
        warning once, with how many lifted files gave it (their items hold every one)."""
        named = self.names()
        lines = [
            ("INTERRUPTED: " if self.not_started and not self.worker_died else "")
            + f"{len(self.done)} {self.verb}{self._redone()}, "
            + (f"{len(self.added)} with formats added from their existing lift (not lifted "
               "again), " if self.added else "")
            + f"{len(self.skipped)} skipped (output exists{self._kept()}), "
            f"{len(self.failed)} failed"
            + (f", {len(self.passed_over)} passed over ({_passed_over_kinds(self.passed_over)})"
               if self.passed_over else "")
            + (f", {len(self.busy)} being lifted by another run (left to it; run again "
               "once it has finished to check)" if self.busy else "")
            + (f", {self.not_started} not lifted ("
               + ("a worker process died, killed or out of memory, while lifting one of "
                  "them; " if self.worker_died else "")
               + "run the same command again to resume)"
               if self.not_started else "") + f" in {self.seconds:.1f} s"
            + (f" ({self.n_frames / self.seconds:.0f} frames/s)"
               if self.n_frames and self.seconds > 0 else "")
        ]
        lines += [f"  FAILED {named[id(i)]}: {i.error}" for i in self.failed]
        kinds: dict[str, tuple[str, list[str], set[str]]] = {}  # (first text, files, texts)
        for i in self.done + self.added + self.skipped:
            known = [p for p in (i.video, i.poses, i.output) if p]
            for text in dict.fromkeys(_short_paths(_warning_kind(w), known)
                                      for w in i.warnings):
                kind = kinds.setdefault(_kind_key(text), (text, [], set()))
                kind[1].append(named[id(i)])
                kind[2].add(text)
        for text, names, texts in kinds.values():
            text = _shortened(text)
            which = ", ".join(names[:_NAMED]) + (", ..." if len(names) > _NAMED else "")
            where = (names[0] if len(names) == 1 else f"{len(names)} files: {which}"
                     if len(texts) == 1 else
                     f"{len(names)} files: {which}; the figures are {names[0]}'s")
            lines.append(f"  WARNING ({where}): {text}")
        rewritten = [named[id(i)] for i in self.added if i.formats_rewritten]
        if rewritten:
            which = ", ".join(rewritten[:_NAMED]) + (", ..." if len(rewritten) > _NAMED
                                                      else "")
            where = which if len(rewritten) == 1 else f"{len(rewritten)} files: {which}"
            lines.append(f"  REWRITTEN ({where}): the NWB, written with other NWB metadata "
                         "than this run's (or by a version that did not record it), written "
                         "again with this run's from the lift (not lifted again)")
        lines += [f"  WARNING: {w}" for w in self.warnings]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


#: The longest warning a batch summary's line quotes (longer ones are shortened in the
#: middle: each file's own are whole in its item and in the log).
_SUMMARY_TEXT = 240


def _shortened(text: str, limit: int = _SUMMARY_TEXT) -> str:
    """``text`` within ``limit`` characters, its last sentence kept where a warning says
    what to do: ``"<start> ... <last sentence>"``, else cut at the end."""
    if len(text) <= limit:
        return text
    cuts = [m.end() for m in re.finditer(r"[.;] ", text)]
    tail = text[cuts[-1]:] if cuts else ""
    if tail and len(tail) <= limit // 2:
        head = text[: limit - len(tail) - 3].rsplit(" ", 1)[0]
        return f"{head} \u2026 {tail}"
    return text[: limit - 1] + "\u2026"


def _passed_over_kinds(passed_over: Mapping[str, str]) -> str:
    """What the files a batch passed over are, in its summary's counts (the log names
    each, with why)."""
    videos = sum(why.startswith("a video") for why in passed_over.values())
    other = "other outputs of recordings lifted once"  # csv twins, _filtered, exports
    return (other if not videos else "videos" if videos == len(passed_over)
            else f"{other}, and videos")


class BatchInterrupted(KeyboardInterrupt):
    """A batch stopped by Ctrl-C (or, from the command line, SIGTERM: a cluster's time
    limit): ``report`` holds what it did, ``report.not_started`` what it did not."""

    def __init__(self, report: BatchReport) -> None:
        super().__init__(report.summary().splitlines()[0])
        self.report = report


# --------------------------------------------------------------------------- jobs
class OutputStep(Protocol):
    """Work done on each lifted output of a batch, in its task, after the lift.

    Passed as ``after_each=`` to :func:`lift_videos` and :func:`lift_sleap` (or set on
    each :class:`LiftJob` given to :func:`lift_jobs`). It is sent to the worker with each
    job, so it must be picklable (an instance of a top-level class, e.g. a frozen
    dataclass). It runs for every output lifted, and for every output that exists
    already (skipped) when :meth:`done` says its files are missing. An exception it
    raises is logged and added to the item's ``warnings`` as ``"<name> failed: ..."``;
    the lift still counts.

    Example: :class:`dlc_lifter.analysis.plots.PlotStep` (the 3D video and plots).
    """

    #: What the step makes, in messages (``"plots"``).
    name: str

    def __call__(self, item: BatchItem) -> list[str]:
        """Do the step for ``item`` (its ``output`` is written); return the files written."""

    def done(self, output: Path) -> bool:
        """Whether the step's files for an existing ``output`` are all there."""


@dataclass
class LiftJob:
    """One picklable unit of work: lift one pose file (then run the batch's step on it).

    Attributes
    ----------
    poses
        The 2D pose file.
    output
        Where the 3D file goes.
    video
        The video, or ``None`` for keypoints-only lifting.
    video_from_poses
        Take the video from the pose file's metadata (SLEAP files name theirs).
    overwrite
        Replace an existing output (decided per job, see :func:`lift_jobs`).
    after_each
        Run on the output after the lift (:class:`OutputStep`, e.g. the plots).
    camera, options, output_spec
        Passed on to :func:`dlc_lifter.lift.lift_file` (``output_spec``'s ``destfolder``
        and ``overwrite`` replaced by this job's: the folder of ``output``, ``overwrite``).
    sleap_video
        The video of a SLEAP ``.slp`` holding several to lift (its file name), else ``None``.
    step_only
        The output exists: only run ``after_each`` on it (the item is ``skipped``).
    recording
        How messages name the recording of a pose file holding several
        (:attr:`BatchItem.recording`).
    add_formats
        The output exists, lifted from this input as it is now with these options, without
        these formats: write them from it (:func:`~dlc_lifter.lift.pipeline.add_formats`),
        not lifting again (the item is ``added``); with ``step_only``, then run
        ``after_each`` on it.
    rewrite
        Those of ``add_formats`` whose files exist and are replaced: an NWB written with
        other NWB metadata than ``output_spec``'s.
    """

    poses: str
    output: str
    video: str | None = None
    video_from_poses: bool = False
    overwrite: bool = False
    after_each: OutputStep | None = None
    camera: CameraSpec = field(default_factory=CameraSpec)
    options: LiftOptions = field(default_factory=LiftOptions)
    output_spec: OutputSpec = field(default_factory=OutputSpec)
    step_only: bool = False
    sleap_video: str | None = None
    recording: str | None = None
    add_formats: tuple[str, ...] = ()
    rewrite: tuple[str, ...] = ()


def _lift_file(poses: Path, job: LiftJob) -> tuple[Path, str | None]:
    """Run :func:`dlc_lifter.lift.lift_file` for ``job`` (with the video the file names when
    ``job.video_from_poses``); returns the output and the video lifted with."""
    # torch: the pipeline loads the network, so worker processes import it late
    from dlc_lifter.lift.pipeline import lift_file, lift_file_with_its_video

    output = replace(job.output_spec, destfolder=str(Path(job.output).parent),
                     overwrite=job.overwrite, redo_out_of_date=False)  # decided per job
    if job.video_from_poses:
        return lift_file_with_its_video(poses, sleap_video=job.sleap_video, camera=job.camera,
                                        options=job.options, output=output)
    return lift_file(poses, video=job.video, sleap_video=job.sleap_video, camera=job.camera,
                     options=job.options, output=output), job.video


def _video_of_poses(poses_path: Path, sleap_video: str | None = None) -> str | None:
    """The video a pose file names or that lies beside it (read here: for outputs that
    exist, which are not lifted again)."""
    from dlc_lifter.io import read_poses
    from dlc_lifter.lift.pipeline import video_named_by

    return video_named_by(read_poses(poses_path, sleap_video=sleap_video), poses_path)


def run_lift_job(job: LiftJob) -> BatchItem:
    """Run one :class:`LiftJob`; the task every executor runs (top-level, picklable).

    Bad input (:class:`~dlc_lifter.errors.DLCLifterError`, keypoint-name and value
    errors) is returned as a ``failed`` item. Other exceptions (I/O hiccups, memory)
    propagate so that an engine with retries (dask ``retries=``) can run the task again;
    the batch reports them as failures if they persist.

    Parameters
    ----------
    job
        What to lift.

    Returns
    -------
    BatchItem
        ``done`` (with the frame count), ``skipped`` (output appeared meanwhile) or
        ``failed``.
    """
    t0 = time.perf_counter()
    with collect_warnings() as caught:
        item = _run_lift_job(job)
    item.warnings = caught
    item.seconds = time.perf_counter() - t0
    return item


def _run_lift_job(job: LiftJob) -> BatchItem:
    poses = Path(job.poses)
    item = BatchItem.of_job(job, "done")
    try:
        if job.add_formats:
            _add_formats(poses, job, item)
        elif job.step_only:
            if job.video_from_poses:  # the step's plots may draw on it
                item.video = _video_of_poses(poses, job.sleap_video)
            item.status, item.error = "skipped", "output exists"
        else:
            from dlc_lifter.io import count_dlc_rows

            written, item.video = _lift_file(poses, job)
            item.output = str(written)
            item.n_frames = count_dlc_rows(written)
    except OutputExistsError as exc:  # another run wrote it meanwhile
        item.status, item.error = "skipped", str(exc)
    except OutputBusyError as exc:  # another run is writing it
        item.status, item.error = "busy", str(exc)
    except OutputFormatError as exc:  # the rest was written: say which failed
        item.status = "failed"
        item.output = str(exc.written.get("dlc", item.output))
        item.error = (f"{exc} Run the batch again to retry the formats that failed." if
                      job.add_formats else f"{exc} Lift again with overwrite=True to retry "
                      "the formats that failed.")
    except (DLCLifterError, KeyError, ValueError) as exc:
        item.status = "failed"
        item.error = _message(exc)
    step = job.after_each
    if step is not None and (item.status == "done" or job.step_only):
        try:
            item.extra_outputs = [str(p) for p in step(item)]
        except Exception as exc:  # noqa: BLE001 - a step never fails the lift
            logger.warning("%s: %s failed: %s", item.output, step.name, _message(exc))
    return item


def _add_formats(poses: Path, job: LiftJob, item: BatchItem) -> None:
    """Write ``job.add_formats`` from the existing lift into ``item`` (``added``)."""
    from dlc_lifter.io import read_lift_record
    from dlc_lifter.lift.pipeline import add_formats

    written = add_formats(poses, job.output, job.add_formats, sleap_video=job.sleap_video,
                          nwb_metadata=job.output_spec.nwb_metadata,
                          overwrite=bool(job.rewrite))
    item.status = "added"
    item.formats_added = [f for f in written if f != "meta"]
    item.formats_rewritten = [f for f in job.rewrite if f in written]
    if job.video_from_poses:  # the video the lift read, for the step (the plots)
        recorded = read_lift_record(job.output).get("video")
        item.video = recorded if recorded and Path(str(recorded)).is_file() else None


#: Files a summary's grouped warning names (then "...": each item holds its own warnings).
_NAMED = 3


def _warning_kind(message: str) -> str:
    """A warning's first sentence without the file it names: one line per kind."""
    text = message.split("\n", 1)[0]
    head, sep, rest = text.partition(": ")
    if sep and _FILE_HEAD.fullmatch(head):  # "<file>: ..." as the package writes them
        text = rest  # (not "Video a/b.mp4 is empty (0 bytes): ...", a sentence)
    return text.split(". ", 1)[0]


#: A warning's head that is a file's name or path ("<file>: ..."): one word with a dot or a
#: separator in it, or words ending in a file's extension (not "LiftProcessor: ...").
_FILE_HEAD = re.compile(r"\S*[./\\]\S*|.*\.[A-Za-z0-9]{1,8}")
#: A path in a warning's text (a word with a separator), and a file's name.
_PATH = re.compile(r"[^\s'\"]*[/\\][^\s'\"]*")
_FILE_NAME = re.compile(r"[^\s'\"()]+\.[A-Za-z][A-Za-z0-9]{0,7}\b")


def _short_paths(text: str, known: Sequence[str]) -> str:
    """``text`` with the item's own files (``known``: its pose file, video, output) and
    those beside them named by their names: the summary's line names the item already.
    Matched exactly (folders may hold spaces); other paths stay whole (a model's)."""
    paths = {str(k) for k in known} | {os.path.abspath(k) for k in known}
    for p in sorted(paths, key=len, reverse=True):
        text = text.replace(p, PureWindowsPath(p).name)
    for folder in sorted({os.path.dirname(p) for p in paths} - {""}, key=len, reverse=True):
        text = text.replace(folder + os.sep, "")  # a video beside its pose file
    return text


def warning_kind_key(message: str) -> str:
    """What a logged warning shares with the others of its kind (:meth:`BatchReport.summary`
    groups them by it): its first sentence, without the file it names, with figures,
    asides in brackets and quoted names masked."""
    return _kind_key(_warning_kind(message))


def _kind_key(text: str) -> str:
    """What warnings of one kind share: their first sentence with files' paths and names,
    figures and asides in brackets masked and the names it quotes in any order (a camera
    estimate's length in px, the keypoints a count of far-off detections lists, the columns
    SimBA reorders), whole (cut short, two estimates differing past the cut were two
    kinds)."""
    named = _FILE_NAME.sub("@", _PATH.sub("@", text))  # each file names its own
    masked = re.sub(r"\([^()]*\)", "(@)", re.sub(r"\d+(\.\d+)?", "#", named))
    quoted = sorted(re.findall(r"'[^']*'", masked))
    return re.sub(r"'[^']*'", "'@'", masked) + "|" + ",".join(quoted)


def _message(exc: BaseException) -> str:
    text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    return text if isinstance(exc, DLCLifterError) else f"{type(exc).__name__}: {text}"


# --------------------------------------------------------------------------- outputs
def _destinations(files: Sequence[Path], destfolder: str | Path | None) -> dict[Path, Path]:
    """Each file's output (:func:`destination_folders`)."""
    folders = destination_folders(files, destfolder,
                                  lambda f: _output_path(f, destfolder).name)
    return {f: _output_path(f, folder) for f, folder in folders.items()}


def _per_video(poses: Path, out: Path) -> list[tuple[str | None, Path, str | None]]:
    """``(video, output, recording)`` for each recording a pose file holds: a SLEAP
    ``.slp`` with several videos' frames (a labels project) is lifted once per video, into
    ``<stem>.<video stem>_lifted3d.h5`` beside ``out`` (videos of one name told apart:
    :func:`~dlc_lifter.io.sleap.video_stems`), named in messages by its position and name
    (``video 3: cam3.mp4``); every other file once, into ``out``. A file that does not
    open is left to its job to report."""
    if poses.suffix.lower() != ".slp":
        return [(None, out, None)]
    from dlc_lifter.io import lifted_output_path
    from dlc_lifter.io.sleap import sleap_videos, video_stems

    try:
        videos = sleap_videos(poses)  # its video and frame tables alone
    except DLCLifterError:
        return [(None, out, None)]
    if len(videos) < 2:
        return [(None, out, None)]
    # a video passed by name, or by its number where another of the file's has its name
    return [(v if videos.count(v) == 1 else str(k),
             Path(lifted_output_path(poses, out.parent, video_stem=stem)),
             f"video {k}: {Path(v).name}")  # a Windows path too (sleap_videos: /)
            for k, (v, stem) in enumerate(zip(videos, video_stems(videos), strict=True))]


def _outputs_elsewhere(project: Path, videos: Sequence[Path], **identity: Any
                       ) -> Callable[[Path], str]:
    """For a video whose ``analyze_videos`` output is not where it was looked for, where in
    the DeepLabCut ``project`` it is (``analyze_videos`` given a ``destfolder``): a
    message's ending naming the folder and ``destfolder=``, or ``""``. The project is
    walked once, at the first video asked about
    (:func:`~dlc_lifter.io.find.folders_with_outputs`); a folder counts where
    :func:`~dlc_lifter.io.find.find_dlc_output` finds an output there (``identity``:
    shuffle, training fraction, filtered, task, date, engine). Folders holding this
    project's output come first; an output whose name does not carry the project's task
    and date (:func:`~dlc_lifter.io.find.output_of_project`: another project's network,
    or the project remade) is named as such."""
    found: dict[str, list[Path]] | None = None

    def ending(video: Path) -> str:
        nonlocal found
        if found is None:
            found = folders_with_outputs(project, videos)
        seen = []
        with quietly():  # find_dlc_output logs its choice: this is a look, not a lift
            for folder in found.get(video.stem, []):
                pose = find_dlc_output(video, destfolder=folder, **identity)
                if pose is not None:
                    seen.append((not output_of_project(pose, identity), folder, pose))
        if not seen:
            return ""
        seen.sort(key=lambda s: s[0])  # this project's first, then walk order
        other, folder, pose = seen[0]
        also = ", ".join(str(s[1]) for s in seen[1:])
        whose = (f" (its name does not carry this project's task and date "
                 f"{identity.get('task')}{identity.get('date') or ''}: another project's "
                 "network?)" if other else "")
        return (f"; found {pose.name} in {folder}{whose}{f' (also in {also})' if also else ''}"
                f": pass destfolder={folder}, the folder analyze_videos wrote to")
    return ending


def _output_path(poses: Path, destfolder: str | Path | None) -> Path:
    from dlc_lifter.io import lifted_output_path

    return Path(lifted_output_path(poses, destfolder))


def _batch_output(output: OutputSpec, default: Sequence[str]) -> OutputSpec:
    """The output spec of a batch job: the DLC-style ``.h5`` is always among the formats.

    It is written last, so a batch that resumes after a crash knows a file is done by its
    ``.h5``; and it is what the plots and features read.
    """
    names = list(default if output.formats is None else output.formats)
    if "dlc" not in names:
        logger.info("Batches also write the DLC-style .h5 (the mark of a finished file).")
        names.append("dlc")
    return replace(output, formats=tuple(names))


def _existing_output(job: LiftJob, out: Path
                     ) -> tuple[str | None, list[tuple[str, str]], tuple[str, ...]]:
    """``(clash, notes, add)`` of an output that exists: ``clash`` where it is the lift of
    another file of the same name (left only where no folder tells the two apart: two files
    of one folder, videos lifted by name), which the batch must not take as this one's;
    ``notes``, ``(what, what to do)`` each, where it is out of date: the input changed
    since (or its record cannot tell), the options, weights or version differ, its video
    opens now, or formats asked for are missing and cannot be added (skipped and said, or
    lifted again with ``redo_out_of_date``); ``add`` the formats asked for that it lacks,
    where they can be written from it (this input's lift, the input unchanged, the same
    options)."""
    from dlc_lifter.io import meta_pickle_path, read_lift_record

    # the formats asked for, --csv and --nwb included
    missing = [f for f, q in output_paths(out, job.output_spec.requested_formats()).items()
               if not q.exists()]
    lacks = f"{out.name}: exists without the {' and '.join(missing)} output asked for"
    again = "overwrite=True lifts it again"
    try:
        data = read_lift_record(out)
        here = source_record(job.poses)
    except Exception:  # noqa: BLE001 - no record (not ours, older): trust the output
        return None, ([(f"{lacks}: its lift's record ({meta_pickle_path(out).name}) cannot "
                        "be read to write it from", f"{again} with it")]
                      if missing else []), ()
    notes = []
    rec = data.get("source_file") if isinstance(data, dict) else None
    same = same_source(rec, here)
    if same is False and not _beside(out, Path(job.poses), rec):
        return (f"{out} exists and is the lift of {rec['path']}, another file of the same "
                "name; give another destfolder= (or overwrite=True to replace it)."), [], ()
    if same is False:  # this file, its folder moved or copied since, and changed
        notes.append((f"{job.poses}: changed since its output {out.name} was lifted (from "
                      f"{rec['path']}, before its folder was moved or copied here)", again))
    elif same and not made_from(rec, here):  # its path, changed
        notes.append((f"{job.poses}: changed since its output {out.name} was lifted", again))
    elif same is None:  # an older version's record
        notes.append((f"{out.name}: its record does not say what it was lifted from (a lift "
                      "by an older version), so a change to the input since cannot be told",
                      again))
    changed = _options_changed(data, job)
    if changed:
        notes.append((f"{out.name}: lifted before with other options ({'; '.join(changed)})",
                      f"{again} with these"))
    made_with = made_with_other_weights(data, job.options.model)
    if made_with:
        notes.append((f"{out.name}: lifted before by other weights or another version "
                      f"({'; '.join(made_with)})", f"{again} with these"))
    video = _video_there_now(data)
    if video:
        notes.append((f"{out.name}: lifted from the keypoints only, its video {video} "
                      "then missing or unreadable; it opens now", f"{again} with it"))
    recorded = _says_how_lifted(data)
    if missing and not notes and recorded:
        return None, [], tuple(missing)
    if missing:
        why = "" if recorded else ": its record does not say from what or how it was lifted"
        notes.append((f"{lacks}{why}", f"{again} with it"))
    return None, notes, ()


def _kept_note(what: str, action: str) -> str:
    """A note of an output kept though out of date: what differs, and what lifts it again."""
    return (f"{what}. Kept (skipped): {action}; redo_out_of_date=True lifts again only the "
            "outputs out of date.")


def _beside(out: Path, poses: Path, rec: Mapping[str, Any]) -> bool:
    """Whether ``out`` lies where a lift puts its input's output by default (its folder as
    :func:`_output_path` gives it without a destfolder) and records an input of the same
    name: then no other file's lift (two files of one name are not in one folder), this
    one's, moved."""
    return (Path(str(rec["path"])).name == poses.name
            and out.parent.resolve() == _output_path(poses, None).parent.resolve())


def _video_there_now(data: Any) -> str | None:
    """The video a lift records it could not use, missing or unreadable then
    (``video_not_used``), where it now opens; else ``None``. (A video whose frame count was
    off is the same video still, as far as a batch can tell.)"""
    from dlc_lifter.io import open_video

    unused = data.get("video_not_used") if isinstance(data, dict) else None
    if not (isinstance(unused, dict) and unused.get("path")
            and unused.get("problem") in ("does not exist", "unreadable")
            and Path(str(unused["path"])).is_file()):
        return None
    try:
        with open_video(str(unused["path"])):
            return str(unused["path"])
    except DLCLifterError:
        return None


def _recorded_source(out: Path) -> dict[str, Any] | None:
    """The input an existing output's lift records (``source_file``), or ``None`` (no
    output, or no readable record)."""
    from dlc_lifter.io import read_lift_record

    try:
        rec = read_lift_record(out).get("source_file")
    except Exception:  # noqa: BLE001 - no record (not ours, older, none)
        return None
    return rec if isinstance(rec, dict) and rec.get("path") else None


#: What a lift records of its input (its meta pickle's ``source_file``), for
#: :func:`~dlc_lifter.lift.destinations.settle_output`.
_LIFTS = Provenance(recorded=_recorded_source)


def _says_how_lifted(data: Any) -> bool:
    """Whether a lift's record says from what and how it was lifted (the formats it lacks
    can be written from it)."""
    return isinstance(data, dict) and isinstance(data.get("source_file"), dict) and all(
        isinstance(data.get(k), dict) for k in ("camera_spec", "lift_options"))


def _nwb_to_rewrite(job: LiftJob, out: Path, read: dict[str, Any]) -> tuple[str, ...]:
    """``("nwb",)`` where ``out``'s NWB was written with other NWB metadata than the job's
    for this recording (a rerun with the metadata corrected; a lift whose record does not
    say, written before it did), to be written again from the lift; else ``()``. For an
    output :func:`_existing_output` finds to be this input's lift, unchanged, with the
    same options (no note). ``read``: the metadata files read so far, by their repr (one
    read per batch)."""
    from dlc_lifter.io import read_lift_record
    from dlc_lifter.io.nwb import nwb_metadata_record, read_nwb_metadata
    from dlc_lifter.lift.pipeline import lifted_nwb_metadata

    spec = job.output_spec
    if spec.nwb_metadata is None or "nwb" not in spec.requested_formats() or not \
            output_paths(out, ("nwb",))["nwb"].exists():
        return ()
    try:
        data = read_lift_record(out)
        key = repr(spec.nwb_metadata)
        if key not in read:
            read[key] = read_nwb_metadata(spec.nwb_metadata)
    except DLCLifterError:  # a record not to write from; metadata the task reports
        return ()
    if not _says_how_lifted(data):
        return ()
    wanted = lifted_nwb_metadata(read[key], job.poses, data)  # as add_formats writes it
    if "nwb_metadata" in data and data["nwb_metadata"] == nwb_metadata_record(wanted):
        return ()
    return ("nwb",)


def _options_changed(data: Any, job: LiftJob) -> list[str]:
    """``"name old -> new"`` of each camera or lift option that differs from what the
    existing output's meta pickle records (a rerun with the camera or map corrected: an
    arena given in cm, then in mm). The likelihood cutoff is compared only where given
    (left out, it is resolved per file); depth by whether the lift reads the video's depth
    cues (:func:`_depth_changed`)."""
    from dlc_lifter.lift.options import as_record

    out = []
    for key, spec in (("camera_spec", job.camera), ("lift_options", job.options)):
        old = data.get(key) if isinstance(data, dict) else None
        if not isinstance(old, dict):
            continue
        for name, value in as_record(spec).items():
            if key == "lift_options" and name == "depth":
                if (change := _depth_changed(data, old, value, job)) is not None:
                    out.append(change)
                continue
            if key == "lift_options" and name == "pcutoff" and value is None:
                continue
            if key == "lift_options" and name == "model" and _same_weights(data, old.get(
                    name), value):
                continue
            if name in old and not _same_value(old[name], value):
                out.append(f"{name} {_shown(old[name])} -> {_shown(value)}")
    return out


def _depth_changed(data: dict[str, Any], old: dict[str, Any], value: bool | None,
                   job: LiftJob) -> str | None:
    """``"depth on -> off"`` (or the reverse) where the rerun would read depth cues where
    the existing lift did not, or not where it did: left out (``None``), depth is on for a
    video found. A file with no video is the same lift whatever is asked; a video the lift
    could not use counts as used (a rerun says when it opens now)."""
    before = data.get("depth_used") is True or (old.get("depth") is not False and (
        data.get("video") is not None or bool(data.get("video_not_used"))))
    now = value is not False and (job.video is not None or (
        job.video_from_poses and (before or _video_found(job))))
    if before == now:
        return None
    return f"depth {'on' if before else 'off'} -> {'on' if now else 'off'}"


def _video_found(job: LiftJob) -> bool:
    """Whether the pose file of a job that takes its video from it names one or has one
    beside it."""
    try:
        with quietly():  # its lift said what reading it says (no video beside it...)
            return _video_of_poses(Path(job.poses), job.sleap_video) is not None
    except (DLCLifterError, OSError, ValueError):
        return False


def _same_weights(data: dict[str, Any], old: Any, new: Any) -> bool:
    """Whether ``model=`` given now names the weights the existing lift was made with,
    given by another path (relative, absolute, a copy): the same file name and hash."""
    if not (old and new) or Path(str(old)).name != Path(str(new)).name:
        return False
    made = data.get("model")
    sha = made.get("sha256") if isinstance(made, dict) and made.get("name") == Path(
        str(new)).name else None
    return bool(sha) and weights_hash(Path(str(new))) == sha


def _shown(value: Any) -> str:
    """An option's value as a note says it (``None``: not given)."""
    return "not given" if value is None else repr(value)


def _same_value(a: Any, b: Any) -> bool:
    """Recorded and given option values alike (numbers by value, sequences item by item)."""
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(
            a, bool) and not isinstance(b, bool):
        return float(a) == float(b)
    return a == b


def _check_writable(folder: Path, *, make: bool,
                    instead: str = "pass a writable destfolder=") -> None:
    """Raise :class:`DestinationError` unless files can be created in ``folder``
    (``instead``: what the user can do otherwise)."""
    try:
        if make:
            folder.mkdir(parents=True, exist_ok=True)
        if not folder.is_dir():
            raise DestinationError(
                f"Output folder {folder} does not exist. Create it or pass another "
                "destfolder=.")
        fd, probe = tempfile.mkstemp(prefix=_PROBE_PREFIX, dir=folder)
        os.close(fd)
        os.unlink(probe)
    except DestinationError:
        raise
    except OSError as exc:
        raise DestinationError(
            f"Cannot write lifted 3D files to {folder} ({exc.strerror or exc}). Make it "
            f"writable or {instead}."
        ) from None


# --------------------------------------------------------------------------- running
def lift_jobs(
    jobs: Sequence[LiftJob],
    *,
    executor: cf.Executor | None = None,
    overwrite: bool = False,
    redo_out_of_date: bool = False,
    failed: Iterable[BatchItem] = (),
    desc: str = "lifting",
    task: Callable[[LiftJob], BatchItem] = run_lift_job,
    unwritable: str = "pass a writable destfolder=",
    passed_over: Mapping[str | Path, str] | None = None,
) -> BatchReport:
    """Run lift jobs, skipping finished outputs, on ``executor`` or in this process.

    Parameters
    ----------
    jobs
        One job per video / pose file.
    executor
        Any :class:`concurrent.futures.Executor`; ``None`` runs them one after the
        other here. One task is submitted per job.
    overwrite
        Lift again even when the output exists.
    redo_out_of_date
        Lift again an output that exists where it is out of date (the notes a skip would
        warn with: its input changed, other options, weights or version...), logged and
        listed in :attr:`BatchReport.redone`; skip the others.
    failed
        Items that already failed while the jobs were gathered (reported too).
    desc
        Progress bar label.
    task
        The function run per job (default :func:`run_lift_job`); a replacement must be
        a picklable top-level function taking a :class:`LiftJob` and returning a
        :class:`BatchItem` (used to wrap or instrument the lift).
    unwritable
        What an output folder that cannot be written tells the user to do instead.
    passed_over
        ``{file: why}`` for files found and not lifted on purpose (reported too:
        :attr:`BatchReport.passed_over`).

    Returns
    -------
    BatchReport
    """
    t0 = time.perf_counter()
    report = BatchReport(passed_over={str(f): why for f, why in (passed_over or {}).items()})
    for item in failed:
        report.add(item)
    todo: list[LiftJob] = []
    checked: dict[Path, str | None] = {}
    nwb_read: dict[str, Any] = {}  # NWB metadata files read (_nwb_to_rewrite)
    made: list[Path] = []  # output folders this batch created
    for job in jobs:
        out = Path(job.output)
        item = BatchItem.of_job(job, "skipped")
        if out.exists() and not (overwrite or job.overwrite):
            clash, notes, add = _existing_output(job, out)
            if clash is not None:  # another recording's lift under the same name
                item.status, item.error = "failed", clash
                report.add(item)
                continue
            rewrite = () if notes else _nwb_to_rewrite(job, out, nwb_read)
            add = (*add, *rewrite)
            if add and _left_to_another_run(item, out, report):
                continue
            if add:  # written from the lift in the job's task, with the step if needed
                todo.append(LiftJob(**{**vars(job), "add_formats": add, "rewrite": rewrite,
                                       "step_only": (job.after_each is not None
                                                     and not job.after_each.done(out))}))
                continue
            if notes and redo_out_of_date:
                if _left_to_another_run(item, out, report):
                    continue
                logger.info("%s: lifting again, out of date: %s.", item.where,
                            "; ".join(what for what, _ in notes))
                clean_stale_temp_files(out)
                report.redone.append(str(out))
                todo.append(LiftJob(**{**vars(job), "overwrite": True}))
                continue
            for what, action in notes:
                note = _kept_note(what, action)
                logger.warning("%s", note)
                item.warnings.append(note)
            logger.info("%s: skipped, exists (%s).", item.where, out)
            remove_stale_claim(out)
            if claim_holder(out) is None:  # a killed run's temporary files, no live run's
                clean_stale_temp_files(out)
            if job.after_each is not None and not job.after_each.done(out):
                todo.append(LiftJob(**{**vars(job), "step_only": True}))
                continue
            item.error = KEPT if notes else "output exists"
            report.add(item)
            continue
        folder = out.parent
        if folder not in checked:
            if not folder.exists():
                made.append(folder)
            try:
                _check_writable(folder, make=True, instead=unwritable)
                checked[folder] = None
            except DestinationError as exc:
                checked[folder] = str(exc)
        if checked[folder] is not None:
            item.status, item.error = "failed", checked[folder]
            report.add(item)
            continue
        if _left_to_another_run(item, out, report):  # its temporary files are live
            continue
        clean_stale_temp_files(out)
        # a batch always writes the .h5 (last): every format's file without it is a leftover
        leftovers = interrupted_leftovers(out, OUTPUT_FORMATS)
        if leftovers and not job.overwrite:
            logger.info("%s: replacing %s left by an interrupted run.", out.name,
                        ", ".join(p.name for p in leftovers))
            job = LiftJob(**{**vars(job), "overwrite": True})
        todo.append(job)

    if overwrite:
        todo = [LiftJob(**{**vars(j), "overwrite": True}) for j in todo]
    bar = progress_bar(total=len(todo), desc=desc, unit="video", disable=not todo)
    before = len(report.items)
    try:
        if executor is None:
            for job in todo:
                _file(report, _run_guarded(task, job), job, bar)
        else:
            futures = {executor.submit(task, job): job for job in todo}
            died = 0  # a dead worker breaks the pool: which video killed it is unknown
            try:
                for fut in cf.as_completed(futures):
                    if not fut.cancelled() and isinstance(fut.exception(), BrokenProcessPool):
                        died += 1
                        bar.update(1)
                        continue
                    _file(report, _result(fut, futures[fut]), futures[fut], bar)
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise
            if died:
                report.not_started, report.worker_died = died, True
                logger.error("A worker process died (killed, or out of memory) while "
                             "lifting: %d video%s not lifted; run the same command again to "
                             "resume (give fewer --workers if memory ran out).", died,
                             "" if died == 1 else "s")
    except KeyboardInterrupt:
        report.seconds = time.perf_counter() - t0
        report.not_started = len(todo) - (len(report.items) - before)
        raise BatchInterrupted(report) from None
    finally:
        bar.close()
        _remove_if_empty(made)  # an interrupted or failed batch leaves no empty folder
    report.warnings += _unmatched_recordings(jobs, report)
    report.seconds = time.perf_counter() - t0
    for key in ("done", "added", "skipped", "failed", "busy"):
        getattr(report, key).sort(key=lambda i: (i.video or i.poses or ""))
    # each failure and warning was logged as it came; the report's summary() says the
    # rest, and the command line prints it (a log line of the counts printed them twice)
    logger.debug("%s", report.summary().splitlines()[0])
    return report


#: Unmatched ``recordings`` keys a batch's warning names (a lab's file of every session,
#: lifted a day at a time, leaves most unmatched).
_NAMED_KEYS = 5


def _unmatched_recordings(jobs: Sequence[LiftJob], report: BatchReport) -> list[str]:
    """A warning (logged, and returned for the report) naming the ``recordings`` of the
    jobs' NWB metadata that name none of the batch's files, with the nearest names: a
    typo leaves a recording's NWB without its start time and subject."""
    from dlc_lifter.io import read_lift_record
    from dlc_lifter.io.nwb import read_nwb_metadata, unmatched_recordings

    asked = [j for j in jobs if j.output_spec.nwb_metadata is not None
             and "nwb" in j.output_spec.requested_formats()]
    if not asked:
        return []
    given = asked[0].output_spec.nwb_metadata
    try:
        metadata = read_nwb_metadata(given)
    except DLCLifterError:  # each file's lift said why
        return []
    names = [n for j in asked if j.output_spec.nwb_metadata == given
             for n in (j.poses, j.video)] + [i.video for i in report.items]
    unmatched = unmatched_recordings(metadata, names)
    if unmatched:  # the videos the lifts read, as their records keep them (not read again)
        for i in report.items:
            try:
                record = read_lift_record(i.output) if i.output else {}
            except DLCLifterError:
                continue
            unused = record.get("video_not_used")
            names += [record.get("video"), unused.get("path") if isinstance(unused, dict)
                      else None]
        unmatched = unmatched_recordings(metadata, names)
    if not unmatched:
        return []
    # those with a file's name near them first: typos more likely than sessions left out
    ranked = sorted(unmatched.items(), key=lambda kv: not kv[1])
    keys = "; ".join(f"{k!r} (nearest: {', '.join(near)})" if near else
                     f"{k!r} (no file's name near it)" for k, near in ranked[:_NAMED_KEYS])
    more = len(ranked) - _NAMED_KEYS
    where = "nwb_metadata" if isinstance(given, Mapping) else str(given)
    text = (f"{where}: recordings {keys}{f' and {more} more' if more > 0 else ''} name no "
            f"file of this batch, so no NWB output got {'its' if len(ranked) == 1 else 'their'}"
            " fields. A key is a pose file's or video's name or stem, or that with its last "
            "folders (day1/predictions).")
    logger.warning("%s", text)
    return [text]


def _left_to_another_run(item: BatchItem, out: Path, report: BatchReport) -> bool:
    """File ``item`` as ``busy`` where another run holds ``out``'s claim (lifting it, or
    adding formats to it)."""
    holder = claim_holder(out)
    if holder is None:
        return False
    item.status = "busy"
    item.error = f"being lifted by another run ({holder})"
    logger.info("%s: %s; left to it.", item.where, item.error)
    report.add(item)
    return True


def _remove_if_empty(folders: Iterable[Path]) -> None:
    for folder in folders:
        try:
            folder.rmdir()  # only an empty one
        except OSError:
            continue
        logger.debug("Removed %s: nothing was written into it.", folder)


def _file(report: BatchReport, item: BatchItem, job: LiftJob, bar: Any) -> None:
    # named as the job is, whatever task (run_lift_job, or a replacement) made the item
    named = BatchItem.of_job(job, item.status)
    item.recording, item.by_video = named.recording, named.by_video
    report.add(item)
    bar.update(1)
    if item.status == "failed":
        logger.error("%s: failed: %s", item.where, item.error)
    elif item.status == "done":
        logger.info("%s: lifted %s frames -> %s (%.1f s)", item.where, item.n_frames,
                    item.output, item.seconds)
    elif item.status == "added":
        logger.info("%s: %s written from its lift %s, not lifted again (%.1f s)", item.where,
                    ", ".join(item.formats_added), item.output, item.seconds)
    elif item.status == "busy":
        logger.warning("%s: %s", item.where, item.error)


def _failed_item(job: LiftJob, exc: BaseException) -> BatchItem:
    return BatchItem.of_job(job, "failed", error=_message(exc))


def _run_guarded(task: Callable[[LiftJob], BatchItem], job: LiftJob) -> BatchItem:
    try:
        return task(job)
    except Exception as exc:  # noqa: BLE001 - reported, the batch goes on
        logger.debug("Task for %s raised", job.poses, exc_info=True)
        return _failed_item(job, exc)


def _result(fut: cf.Future, job: LiftJob) -> BatchItem:
    try:
        return fut.result()
    except Exception as exc:  # noqa: BLE001 - reported, the batch goes on
        return _failed_item(job, exc)


def _project_pcutoff(cfg: dict[str, Any]) -> float:
    """The ``pcutoff`` of a project's config (:func:`load_project_config`), logged."""
    try:
        pcutoff = check_pcutoff(cfg["pcutoff"])
    except DLCLifterError as exc:
        raise DLCLifterError(f"{cfg['_path']}: {exc} Correct the config's pcutoff, or give "
                             "pcutoff= (--pcutoff).") from None
    logger.info("Lifting with the project's pcutoff %g (%s).", pcutoff, cfg["_path"])
    return pcutoff


def lift_videos(
    config: str | Path,
    videos: str | Path | Sequence[str | Path] | None = None,
    videotype: str = "",
    shuffle: int = 1,
    trainingsetindex: int = 0,
    destfolder: str | Path | None = None,
    filtered: bool = False,
    save_as_csv: bool = False,
    *,
    camera: CameraSpec = CameraSpec(),
    options: LiftOptions = LiftOptions(),
    output: OutputSpec = OutputSpec(),
    executor: cf.Executor | None = None,
    after_each: OutputStep | None = None,
    task: Callable[[LiftJob], BatchItem] = run_lift_job,
) -> BatchReport:
    """Lift every analysed video of a DeepLabCut project to 3D (DLC's calling convention).

    For each video the ``analyze_videos`` output beside it (or in ``destfolder``) is
    lifted with :func:`dlc_lifter.lift.lift_file` to ``<pose stem>_lifted3d.h5`` in a
    ``lifted3d`` folder beside it (DeepLabCut's own tools read the first
    ``<video><scorer>*.h5`` of the video's folder). Outputs that exist are skipped, so an
    interrupted batch resumes where
    it stopped; a failing video is reported and the others go on.

    Parameters
    ----------
    config
        The project's ``config.yaml`` (or its folder); never modified.
    videos
        Video files and/or folders; default: the project's videos (see
        :func:`find_videos`).
    videotype
        Extension filter for folders, e.g. ``".mp4"``.
    shuffle, trainingsetindex
        Which network's outputs to prefer when several were analysed.
    destfolder
        Folder of the ``analyze_videos`` outputs, where the 3D files go too (DeepLabCut's
        argument; the same as ``output.destfolder``).
    filtered
        Lift the ``_filtered`` outputs of ``deeplabcut.filterpredictions``.
    save_as_csv
        Also write ``.csv`` copies of the 3D files (DeepLabCut's argument; the same as
        ``output.save_as_csv``).
    camera, options
        The camera and how to lift, as for :func:`~dlc_lifter.lift.lift_file`. Each video
        is lifted with depth cues from its frames unless ``options.depth`` is ``False``.
        ``options.pcutoff`` ``None`` (default): the project's ``pcutoff``, as DeepLabCut
        uses it.
    output
        The formats (the DLC-style ``.h5`` is always among them) and ``overwrite``: lift
        again even when the output exists (default: skip it, so an interrupted batch
        resumes).
    executor
        A :class:`concurrent.futures.Executor` to run one task per video on
        (``ProcessPoolExecutor(n, initializer=worker_initializer)``, dask
        ``Client.get_executor()``); ``None`` runs here, one video after the other.
    after_each
        Also run this step on each output, in its task (:class:`OutputStep`), e.g.
        ``PlotStep(max_frames=900)`` (:class:`dlc_lifter.analysis.plots.PlotStep`) for
        each output's plots and the first 30 s of its 3D video; also run on existing
        outputs whose step files are missing.
    task
        The per-video task (see :func:`lift_jobs`); default :func:`run_lift_job`.

    Returns
    -------
    BatchReport
        ``done``, ``skipped`` and ``failed`` videos (``report.ok`` is False if any
        failed).

    Raises
    ------
    DestinationError
        When ``destfolder`` cannot be created or written to.
    DLCLifterError
        When the config is missing or no video is found, or ``destfolder`` and
        ``output.destfolder`` disagree.

    Examples
    --------
    >>> from dlc_lifter.lift import CameraSpec, OutputSpec
    >>> report = lift_videos("project/config.yaml",  # doctest: +SKIP
    ...                      camera=CameraSpec(arena_size_mm=420.0),
    ...                      output=OutputSpec(formats=("dlc", "nwb")))
    >>> print(report.summary())  # doctest: +SKIP
    """
    output = _dlc_output(output, destfolder, save_as_csv)
    destfolder = output.destfolder
    cfg = load_project_config(config)
    if options.pcutoff is None:  # DeepLabCut's own cutoff of "tracked", as info --config
        options = replace(options, pcutoff=_project_pcutoff(cfg))
    fractions = cfg.get("TrainingFraction") or cfg.get("training_fraction") or []
    if isinstance(fractions, (int, float)):
        fractions = [fractions]
    fraction = (float(fractions[trainingsetindex])
                if 0 <= trainingsetindex < len(fractions) else None)
    which = project_identity(cfg)
    if destfolder is not None:
        _check_writable(Path(destfolder), make=True)
    vids = find_videos(videos, videotype, config=cfg["_path"])
    if not vids:
        looked = ("the project's video_sets and videos folder" if videos is None else
                  ", ".join(str(v) for v in ([videos] if isinstance(videos, (str, Path))
                                             else videos)))
        raise DLCLifterError(
            f"No videos found for project {cfg['_path']} in {looked}"
            f"{f' (videotype {videotype})' if videotype else ''}. Name the videos (they may "
            "be missing: their analyze_videos outputs are then lifted from the keypoints), "
            "or lift the pose files themselves: dlc-lifter lift-files FOLDER.")
    jobs, failed = [], []
    linked = Path(cfg["_path"]).parent / "videos"  # where DeepLabCut links its videos
    elsewhere_in_project = _outputs_elsewhere(
        Path(cfg["_path"]).parent, vids, shuffle=shuffle, trainingsetindex=trainingsetindex,
        training_fraction=fraction, filtered=filtered, **which)
    for video in vids:
        pose = find_dlc_output(
            video, destfolder=destfolder, shuffle=shuffle, trainingsetindex=trainingsetindex,
            training_fraction=fraction, filtered=filtered, **which)
        if pose is None and destfolder is None and linked != video.parent:
            # a video_sets entry found where it was recorded: DeepLabCut links (or copies)
            # it into <project>/videos, and analyze_videos on that folder writes the pose
            # file beside the link
            pose = find_dlc_output(
                video, destfolder=linked, shuffle=shuffle, trainingsetindex=trainingsetindex,
                training_fraction=fraction, filtered=filtered, **which)
        if pose is None:
            where = destfolder or video.parent
            elsewhere = "" if destfolder is not None else elsewhere_in_project(video)
            failed.append(BatchItem(
                poses=None, video=str(video), output=None, status="failed",
                error=(f"no analyze_videos output {video.stem}DLC_*"
                       f"{'_filtered' if filtered else ''}.h5 (or .csv) in {where}"
                       + (elsewhere or "; run deeplabcut.analyze_videos (and "
                          "filterpredictions for filtered=True) first, or pass "
                          "destfolder= where the outputs are"))))
            continue
        use_video: str | None = str(video)
        if not video.is_file():
            logger.warning("%s: video missing; lifting %s from keypoints only.",
                           video, pose.name)
            use_video = None
        out = _output_path(pose, destfolder)
        jobs.append(LiftJob(
            poses=str(pose), output=str(out), video=use_video, overwrite=output.overwrite,
            after_each=after_each, camera=camera, options=options,
            output_spec=_batch_output(output, ("dlc",))))
    # destfolder= here is where analyze_videos wrote: lift_files takes the outputs elsewhere
    return lift_jobs(jobs, executor=executor, overwrite=output.overwrite,
                     redo_out_of_date=output.redo_out_of_date, failed=failed,
                     desc="lifting videos", task=task,
                     unwritable="lift the outputs into another folder with lift_files "
                                "(dlc-lifter lift-files FOLDER -o OUT)")


def _dlc_output(output: OutputSpec, destfolder: str | Path | None,
                save_as_csv: bool) -> OutputSpec:
    """``output`` with DeepLabCut's ``destfolder`` and ``save_as_csv`` arguments folded in."""
    if (destfolder is not None and output.destfolder is not None
            and Path(destfolder) != Path(output.destfolder)):
        raise DLCLifterError(
            f"destfolder={str(destfolder)!r} and output.destfolder="
            f"{str(output.destfolder)!r} differ; give one of them.")
    return replace(output, save_as_csv=output.save_as_csv or save_as_csv,
                   destfolder=output.destfolder if destfolder is None else destfolder)


# --------------------------------------------------------------------------- SLEAP
#: What :func:`lift_sleap` writes by default: SLEAP's own file, and the DLC-style table.
SLEAP_FORMATS = ("slp", "dlc")


def lift_sleap(
    files_or_folders: str | Path | Sequence[str | Path],
    *,
    recursive: bool = False,
    camera: CameraSpec = CameraSpec(),
    options: LiftOptions = LiftOptions(),
    output: OutputSpec = OutputSpec(),
    executor: cf.Executor | None = None,
    after_each: OutputStep | None = None,
    task: Callable[[LiftJob], BatchItem] = run_lift_job,
) -> BatchReport:
    """Lift SLEAP predictions (``.slp`` or analysis ``.h5``) to 3D, one task per file.

    The video of each file is the one the file names (looked for at that path, then
    beside the file); without it the lift uses keypoints only (warned). Outputs go
    beside each file (or into ``destfolder``): by default SLEAP's own layout,
    ``<stem>_lifted3d.slp`` (3D on the instance groups, read by sleap-io), and the DLC-style
    ``<stem>_lifted3d.h5`` that :func:`~dlc_lifter.analysis.plots.plot_lifted` and
    :func:`~dlc_lifter.analysis.features.compute_features` read; ``output.formats``
    chooses others (:mod:`dlc_lifter.lift.outputs`; the DLC-style ``.h5`` is always
    among them).

    Parameters
    ----------
    files_or_folders
        SLEAP files and/or folders (searched for ``*.slp`` and ``*.analysis.h5``).
    recursive
        Search the folders' subfolders too.
    camera, options
        As for :func:`~dlc_lifter.lift.lift_file`.
    output
        Where the 3D files go (``output.destfolder``; default beside each input), the
        formats, and ``overwrite`` (see :func:`lift_videos`).
    executor, after_each, task
        See :func:`lift_videos`.

    Returns
    -------
    BatchReport

    Examples
    --------
    >>> from dlc_lifter.lift import LiftOptions
    >>> report = lift_sleap(["session/"],  # doctest: +SKIP
    ...                     options=LiftOptions(keypoint_map="map.yaml"))
    """
    return _lift_found(files_or_folders, camera=camera, options=options, output=output,
                       executor=executor, after_each=after_each, task=task, kinds=("sleap",),
                       what="SLEAP files (*.slp, *.analysis.h5)", desc="lifting SLEAP files",
                       recursive=recursive)


def lift_files(
    files_or_folders: str | Path | Sequence[str | Path],
    *,
    recursive: bool = False,
    filtered: bool = False,
    camera: CameraSpec = CameraSpec(),
    options: LiftOptions = LiftOptions(),
    output: OutputSpec = OutputSpec(),
    executor: cf.Executor | None = None,
    after_each: OutputStep | None = None,
    task: Callable[[LiftJob], BatchItem] = run_lift_job,
) -> BatchReport:
    """Lift every pose file given or found in the folders given, one task per file.

    For tracking results kept without their DeepLabCut project (an old dataset, files
    gathered from several projects) and for folders mixing tools: DeepLabCut
    ``analyze_videos`` outputs and labelled data, SLEAP, JABS and NWB files
    (:func:`dlc_lifter.io.find.find_pose_files`: one file per recording, the ``.h5``
    before its ``.csv`` twin, the assembled table before a tracker's, ``_filtered``
    copies only with ``filtered``). Each file is lifted with the video it names or that
    lies beside it, as :func:`~dlc_lifter.lift.lift_file` finds it; resumable and fault
    tolerant as :func:`lift_videos`. Outputs go beside each file (or into ``destfolder``):
    SLEAP files get SLEAP's layout and the DLC-style ``.h5``, others the DLC-style ``.h5``,
    unless ``output.formats`` says otherwise (the DLC-style ``.h5`` is always written).
    Into one ``destfolder`` they go flat, files of one name in subfolders named after
    their folders (:func:`destination_folders`), and an input whose lift is there already,
    flat or in such a subfolder, is found and kept there; a file whose place another
    file's lift holds goes into the subfolder a run with both gives it. So a dataset lifted
    part by part, or grown since, lifts each file once. Files passed over on purpose are
    counted in the summary (:attr:`BatchReport.passed_over`).

    Parameters
    ----------
    files_or_folders
        Pose files (lifted whatever their name) and/or folders.
    recursive
        Search the folders' subfolders too.
    filtered
        Lift DeepLabCut's ``_filtered`` tables where a recording has both.
    camera, options
        As for :func:`~dlc_lifter.lift.lift_file` (the same for every file).
    output, executor, after_each, task
        See :func:`lift_videos`.

    Returns
    -------
    BatchReport

    Raises
    ------
    DLCLifterError
        When no pose file is given or found.

    Examples
    --------
    >>> report = lift_files(["2019_cohort/"], recursive=True,  # doctest: +SKIP
    ...                     camera=CameraSpec(arena_size_mm=450.0))
    """
    return _lift_found(files_or_folders, camera=camera, options=options, output=output,
                       executor=executor, after_each=after_each, task=task,
                       recursive=recursive, filtered=filtered,
                       what="pose files (DeepLabCut *DLC_*.h5/.csv or CollectedData_*, "
                            "SLEAP *.slp/*.analysis.h5, JABS *_pose_est_v*.h5, *.nwb, or "
                            "tables laid out as DeepLabCut's or SimBA's under other names)",
                       desc="lifting pose files")


def _lift_found(files_or_folders: str | Path | Sequence[str | Path], *, camera: CameraSpec,
                options: LiftOptions, output: OutputSpec, executor: cf.Executor | None,
                after_each: OutputStep | None, task: Callable[[LiftJob], BatchItem],
                what: str, desc: str, kinds: Sequence[str] | None = None,
                recursive: bool = False, filtered: bool = False) -> BatchReport:
    """Lift the pose files :func:`find_pose_files` finds (of ``kinds`` in folders)."""
    from dlc_lifter.io.find import find_pose_files, pose_file_kind

    destfolder = output.destfolder
    entries = ([files_or_folders] if isinstance(files_or_folders, (str, Path))
               else list(files_or_folders))
    if destfolder is not None:
        _check_writable(Path(destfolder), make=True)
    found = find_pose_files(entries, recursive=recursive, filtered=filtered, kinds=kinds)
    files = found.files
    failed = [BatchItem(poses=str(p), video=None, output=None, status="failed",
                        error=f"{p} does not exist") for p in found.missing]
    for f, why in found.passed_over.items():
        logger.info("%s: not lifted, %s.", f, why)
    if not files and not failed:
        deeper = [] if recursive else find_pose_files(
            [e for e in entries if Path(e).is_dir()], recursive=True, filtered=filtered,
            kinds=kinds).files
        hint = (f" Their subfolders hold {len(deeper)} (e.g. {deeper[0]}): search them with "
                "recursive=True (--recursive)." if deeper else "")
        raise DLCLifterError(f"No {what} in {', '.join(map(str, entries))}.{hint}")
    jobs: list[LiftJob] = []
    outputs: dict[Path, Path] = {}
    planned = _destinations(files, destfolder)
    settled: list[Path] = []
    for f in files:
        default = SLEAP_FORMATS if pose_file_kind(f) == "sleap" else ("dlc",)
        per_video = _per_video(f, planned[f])
        if destfolder is not None:  # where this input's lift is, not another's place
            folder = settle_output(f, per_video[0][1], Path(destfolder), outputs,
                                   _LIFTS).parent
            per_video = [(video, folder / out.name, rec) for video, out, rec in per_video]
            settled.append(folder)
        for video, out, recording in per_video:
            if out in outputs:
                failed.append(BatchItem(
                    poses=str(f), video=None, output=str(out), status="failed",
                    error=f"its output {out} is also {outputs[out]}'s; lift it on its own "
                          "with another destfolder", recording=recording))
                continue
            outputs[out] = f
            jobs.append(LiftJob(poses=str(f), output=str(out), video_from_poses=True,
                                overwrite=output.overwrite, after_each=after_each,
                                camera=camera, options=options,
                                output_spec=_batch_output(output, default), sleap_video=video,
                                recording=recording))
    if destfolder is not None:  # the subfolders planned that no output went into
        remove_unused_folders((q.parent for q in planned.values()
                               if q.parent != Path(destfolder)), settled)
    return lift_jobs(jobs, executor=executor, overwrite=output.overwrite,
                     redo_out_of_date=output.redo_out_of_date, failed=failed,
                     desc=desc, task=task, passed_over=found.passed_over)


# --------------------------------------------------------------------------- dask
def worker_initializer() -> None:
    """Make a worker process use one thread for torch and OpenCV, leave Ctrl-C to the
    batch (which stops its workers), and end itself when the batch is gone.

    Pass it as ``initializer=`` to a ``ProcessPoolExecutor`` that lifts with depth (the
    CLI's ``--workers`` does): the depth network and video decoding otherwise each use
    every core in every worker, and N workers on N cores oversubscribe them (on 2 cores,
    2 workers lifted 2.5 times slower than one process). dask.distributed workers get one
    thread each from their nanny's environment already; they are not the batch's
    children and do not use this initializer.

    A batch killed hard (``kill -9``, the OOM killer, a cluster job's end) cannot stop its
    workers: they finished the files already queued to them and then waited forever,
    each holding torch's memory. Each worker now checks every second that the process
    that started it is still its parent and ends at once when it is not, as on SIGTERM;
    the claim on the file it was lifting goes with it (a run requeued on another machine
    would otherwise wait for it to go stale), its temporary file the resumed batch
    cleans up.
    """
    import signal

    _exit_with_parent()
    # Ctrl-C reaches every process of the terminal's group: the batch stops its workers;
    # a worker that took it as one file's failure went on to the next file
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # SIGTERM (the batch stopping its workers, a cluster's time limit): the claim on the
    # file being lifted goes with the worker, so a run requeued on another machine need
    # not wait CLAIM_STALE_S for it; its temporary file the rerun cleans
    signal.signal(signal.SIGTERM, _end_on_sigterm)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = "1"
    import cv2
    import torch

    torch.set_num_threads(1)
    cv2.setNumThreads(1)


def _end_on_sigterm(signum: int, frame: object) -> None:
    """A worker's SIGTERM: release its claims and end now."""
    release_claims()
    os._exit(128 + signum)


def _exit_with_parent(interval: float = 1.0) -> None:
    """End this process within ``interval`` seconds of its parent's death.

    A daemon thread compares :func:`os.getppid` with the parent's pid every ``interval``
    seconds (a dead parent's children are given to another process) and calls
    :func:`os._exit` when they differ: nothing else is run, the main thread may be in the
    middle of a lift. Polling works on Linux and macOS alike (``prctl(PR_SET_PDEATHSIG)``
    is Linux's only); on Windows the parent's pid never changes and the thread does
    nothing.
    """
    # the process's own parent: a forkserver's workers are its children, not the batch's
    # (it ends with the batch, and then they do)
    parent_pid = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(interval)
            if os.getppid() != parent_pid:
                release_claims()
                os._exit(1)

    threading.Thread(target=watch, name="dlc-lifter-exit-with-parent", daemon=True).start()


def dask_executor(
    address: str | Any | None = None, *, retries: int = 2, **client_kwargs: Any
) -> cf.Executor:
    """A :class:`concurrent.futures.Executor` on a dask.distributed cluster, with retries.

    Parameters
    ----------
    address
        Scheduler address (``tcp://host:8786``), a ``Cluster`` object
        (``dask_jobqueue.SLURMCluster``, ``LocalCluster``) or an existing ``Client``;
        ``None`` starts a local cluster.
    retries
        How many times dask re-runs a task that raised an unexpected exception. Tasks
        whose worker dies are rescheduled by dask itself (up to
        ``distributed.scheduler.allowed-failures`` times).
    **client_kwargs
        Passed to ``distributed.Client`` when one is made.

    Returns
    -------
    concurrent.futures.Executor
        ``client.get_executor(retries=retries, pure=False)``; closing it (``shutdown``)
        does not close the client.
    """
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - optional dependency
        raise DLCLifterError(
            "dask.distributed is not installed: pip install 'dlc-lifter[cluster]'.") from exc
    client = address if isinstance(address, Client) else Client(address, **client_kwargs)
    return client.get_executor(retries=retries, pure=False)
