"""Write a lift's 3D in every format asked for; one failing format never costs the others.

Formats (``formats=`` of :func:`~dlc_lifter.lift.lift_file`, ``--format`` of the CLI):

=========== ============================== ==============================================
format      file                           read by
=========== ============================== ==============================================
``dlc``     ``<stem>_lifted3d.h5``         pandas, DeepLabCut / DLC2Kinematics, movement
                                           (no likelihood)
``csv``     ``<stem>_lifted3d.csv``        the same table as csv
``nwb``     ``<stem>_lifted3d.nwb``        pynwb + ndx-pose, movement (with the likelihood)
``slp``     ``<stem>_lifted3d.slp``        sleap-io (3D on the instance groups)
``points3d`` ``<stem>_lifted3d.points3d.h5`` sleap-anipose's ``points3d.h5`` layout
=========== ============================== ==============================================

``<stem>_lifted3d_meta.pickle`` (units, frame, camera, model, keypoint map...) is always
written. Every file is first written under a hidden staging name beside it and moved
into place once all are complete, the ``.h5`` last, so its presence means every other
output is complete, and a run stopped while writing leaves an earlier lift's files as they
were.

:func:`add_outputs` writes formats a finished lift lacks from the lift itself (its ``.h5``
and meta pickle), through the same writers, without lifting again.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from dlc_lifter.errors import DLCLifterError, OutputExistsError, OutputFormatError
from dlc_lifter.lift.camera_estimate import IMAGE_SIZE_GUESSED
from dlc_lifter.mouse.edges import skeleton_edge_names
from dlc_lifter.poses import Poses

__all__ = ["OUTPUT_FORMATS", "add_outputs", "clean_stale_temp_files",
           "interrupted_leftovers", "output_paths", "parse_formats", "staged_files",
           "write_outputs"]

logger = logging.getLogger(__name__)

#: Output formats, in the order they are written (the DLC ``.h5`` last).
OUTPUT_FORMATS = ("csv", "nwb", "slp", "points3d", "dlc")


def parse_formats(formats: str | Iterable[str]) -> tuple[str, ...]:
    """Validate format names (``"dlc,nwb"`` or ``["dlc", "nwb"]``), in writing order.

    Raises
    ------
    DLCLifterError
        For an unknown or empty format list.
    """
    names = formats.split(",") if isinstance(formats, str) else list(formats)
    names = [n.strip().lower() for n in names if n.strip()]
    bad = [n for n in names if n not in OUTPUT_FORMATS]
    if bad or not names:
        raise DLCLifterError(
            f"Unknown output format(s) {', '.join(bad) or '(none given)'}: choose from "
            f"{', '.join(sorted(OUTPUT_FORMATS))}, several separated by commas.")
    return tuple(f for f in OUTPUT_FORMATS if f in names)


def output_paths(output: str | Path, formats: Iterable[str]) -> dict[str, Path]:
    """``{format: path}`` beside the DLC ``.h5`` path ``output`` (``<stem>_lifted3d.h5``)."""
    out = Path(output)
    every = {"dlc": out, "csv": out.with_suffix(".csv"), "nwb": out.with_suffix(".nwb"),
             "slp": out.with_suffix(".slp"), "points3d": out.with_suffix(".points3d.h5")}
    return {f: every[f] for f in formats}


def interrupted_leftovers(output: str | Path, formats: Iterable[str]) -> list[Path]:
    """The outputs of ``formats`` (and the meta pickle) that an interrupted lift left for
    ``output``: those that exist while the file :func:`write_outputs` writes last, which
    marks a lift done, does not (the ``.h5`` where ``dlc`` is asked for, else the meta
    pickle). Empty where that file exists."""
    from dlc_lifter.io import meta_pickle_path

    out = Path(output)
    fmts = list(formats)
    pickle_path = meta_pickle_path(out)
    if (out if "dlc" in fmts else pickle_path).exists():
        return []
    return [p for p in [*output_paths(out, fmts).values(), pickle_path] if p.exists()]


def clean_stale_temp_files(output: str | Path) -> list[Path]:
    """Remove temporary files a killed run left for ``output``.

    Atomic writes (:func:`dlc_lifter._atomic.atomic_output`) go to a hidden temporary
    file beside the output and are renamed over it when complete; a run killed mid-write
    leaves that temporary file behind. Call only while holding the output's claim
    (:func:`dlc_lifter._atomic.claim_output`), so that no other run is writing it.

    Returns
    -------
    list of Path
        The files removed.
    """
    out = Path(output)
    if not out.parent.is_dir():
        return []
    removed = []
    pattern = re.compile("|".join(  # the outputs' and their staged names' (write_outputs)
        rf"^\.?{re.escape(o.name)}\.[^/]*(tmp|part)$|^\.?{re.escape(o.stem)}(_meta)?\.[^/]*"
        rf"\.tmp(\.h5|\.csv|\.nwb|\.slp|\.pickle|{re.escape(o.suffix)})$"
        for o in (out, _staged_output(out))))
    for cand in _remove_staged(out):  # a run stopped while writing its files
        logger.info("Removed stale staged file %s (from an interrupted run).", cand)
        removed.append(cand)
    for cand in out.parent.iterdir():
        if cand.is_file() and pattern.match(cand.name):
            try:
                cand.unlink()
            except OSError as exc:
                logger.warning("Could not remove stale temporary file %s: %s", cand, exc)
                continue
            logger.info("Removed stale temporary file %s (from an interrupted run).", cand)
            removed.append(cand)
    return removed


def _poses2d_like(poses2d: Poses, poses3d: Poses) -> Poses:
    """The 2D poses laid out on the 3D output's individuals and keypoints (NaN for
    imputed-only keypoints and for individuals the 2D does not have by that name)."""
    kps, inds = list(poses2d.keypoints), list(poses2d.individuals)
    coords = np.full((*poses3d.coords.shape[:3], 2), np.nan)
    conf = np.full(poses3d.coords.shape[:3], np.nan)
    for i, ind in enumerate(poses3d.individuals):
        if ind not in inds:
            continue
        for j, name in enumerate(poses3d.keypoints):
            if name in kps:
                coords[:, i, j] = poses2d.coords[:, inds.index(ind), kps.index(name)]
                conf[:, i, j] = poses2d.confidence[:, inds.index(ind), kps.index(name)]
    return Poses(coords=coords, confidence=conf, keypoints=list(poses3d.keypoints),
                 individuals=list(poses3d.individuals),
                 frame_indices=poses3d.frame_indices, meta=poses2d.meta)


def _slp_camera(poses3d: Poses) -> dict[str, Any] | None:
    """The lift's camera for :func:`~dlc_lifter.io.write_slp_3d`; without a frame size
    where it was guessed from the keypoints (not the video's: recorded as a guess in the
    meta pickle, ``image_size_guessed``)."""
    cam = poses3d.meta.extra.get("camera")
    if not cam:
        return None
    from dlc_lifter.camera import _rotation_to_rodrigues

    guessed = poses3d.meta.extra.get("image_size_from") == IMAGE_SIZE_GUESSED
    return {"matrix": cam["K"], "dist": cam["dist"],
            "rvec": [float(v) for v in _rotation_to_rodrigues(np.asarray(cam["R"]))],
            "tvec": [float(v) for v in np.asarray(cam["t"]).ravel()],
            "size": None if guessed else tuple(cam["image_size"]),
            "name": cam.get("name") or "camera0"}


def _write_one(fmt: str, path: Path, poses3d: Poses, poses2d: Poses | None, *,
               overwrite: bool, source_nwb: Path | None,
               nwb_metadata: Mapping[str, Any] | None = None) -> Path:
    from dlc_lifter.io import write_dlc_3d, write_nwb_3d, write_points3d, write_slp_3d

    if fmt == "csv":  # beside the lift's .h5 and meta pickle (add_outputs)
        return write_dlc_3d(poses3d, path, overwrite=overwrite, meta_pickle=False)
    if fmt == "nwb":
        return write_nwb_3d(poses3d, path, overwrite=overwrite, source_nwb=source_nwb,
                            metadata=nwb_metadata)
    if fmt == "slp":
        return write_slp_3d(poses3d, path, overwrite=overwrite, camera=_slp_camera(poses3d),
                            poses2d=None if poses2d is None else _poses2d_like(poses2d, poses3d))
    if fmt == "points3d":
        return write_points3d(poses3d, path, overwrite=overwrite)
    raise ValueError(fmt)


def write_outputs(
    poses3d: Poses,
    output: str | Path,
    formats: Iterable[str],
    *,
    poses2d: Poses | None = None,
    meta: dict[str, Any] | None = None,
    overwrite: bool = False,
    source_nwb: str | Path | None = None,
    nwb_metadata: Mapping[str, Any] | None = None,
) -> dict[str, Path]:
    """Write ``poses3d`` in every format of ``formats`` beside ``output``.

    Parameters
    ----------
    poses3d
        The lifted 3D poses (mm).
    output
        The DLC ``.h5`` path (``<stem>_lifted3d.h5``); the other files go beside it.
    formats
        Names from :data:`OUTPUT_FORMATS`.
    poses2d
        The 2D poses that were lifted (the ``.slp`` keeps them as the camera's 2D).
    meta
        Extra entries for the meta pickle.
    overwrite
        Replace existing outputs. Every file is written under a hidden staging name beside
        its own (:func:`staged_files`) and moved into place once all are written: a run stopped
        before leaves the old files as they were; then the old ``.h5``, which marks a lift
        done, is removed first and the new one moved in last, so that no old ``.h5`` stands
        beside new companions (a batch would skip it as done).
    source_nwb
        The NWB file the 2D came from (its session metadata goes into the NWB output).
    nwb_metadata
        The NWB output's session and subject fields
        (:func:`~dlc_lifter.io.nwb.nwb_metadata_for`), over the source NWB's.

    A file without skeleton edges (a DLC ``.h5`` without its project's ``config.yaml``)
    gets the catalogue's (:func:`~dlc_lifter.mouse.edges.skeleton_edge_names`), so the
    NWB and SLEAP outputs record the bones the plots draw.

    Returns
    -------
    dict
        ``{format: path}`` written (``meta`` for the meta pickle).

    Raises
    ------
    OutputFormatError
        After writing every format it could, when some failed (each is logged).
    """
    from dlc_lifter._atomic import check_writable
    from dlc_lifter.io import meta_pickle_path

    fmts = parse_formats(formats)
    final = {**output_paths(output, fmts), "meta": meta_pickle_path(output)}
    for target in final.values():  # before any work
        check_writable(target, overwrite=overwrite)
    _remove_staged(output)  # a stopped run's (the caller holds the output's claim)
    try:  # in the output's folder: an NWB names its video relative to where it lies
        with _final_names_in_log(output):
            staged, failed = _write_staged(poses3d, _staged_output(output), fmts,
                                           poses2d=poses2d, meta=meta, source_nwb=source_nwb,
                                           nwb_metadata=nwb_metadata)
        written = _move_into_place(staged, final)
    finally:
        _remove_staged(output)
    if failed:
        raise _format_error(poses3d, written, failed)
    return written


def _staged_output(output: str | Path) -> Path:
    """The hidden name under which :func:`write_outputs` writes ``output``
    (``.<stem>.staging.h5``), its companions named from it as from ``output``."""
    out = Path(output)
    return out.parent / f".{out.stem}.staging{out.suffix}"


class _FinalNames(logging.Filter):
    """Writes the final names of a lift's files in log messages naming their staged ones."""

    def __init__(self, names: Mapping[str, str]) -> None:
        super().__init__()
        self.names = names

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        said = text
        for staged, final in self.names.items():
            said = said.replace(staged, final)
        if said != text:
            record.msg, record.args = said, None
        return True


@contextmanager
def _final_names_in_log(output: str | Path) -> Iterator[None]:
    """The package's log messages in the block name ``output``'s files by their final
    names, not the staged ones they are written under ("Wrote ... to x_lifted3d.nwb", a
    writer's warnings)."""
    from dlc_lifter.io import dlc, nwb, sleap  # noqa: F401 - their loggers

    pairs = _staged_and_final(output)
    names = {str(a): str(b) for a, b in pairs} | {a.name: b.name for a, b in pairs}
    names[_staged_output(output).stem] = Path(output).stem  # the staged stem alone, last
    flt = _FinalNames(names)
    loggers = [logging.getLogger(n) for n in list(logging.root.manager.loggerDict)
               if n == "dlc_lifter" or n.startswith("dlc_lifter.")]
    for log in loggers:
        log.addFilter(flt)
    try:
        yield
    finally:
        for log in loggers:
            log.removeFilter(flt)


def _staged_and_final(output: str | Path) -> list[tuple[Path, Path]]:
    """``(staged, final)`` path of every format's file of ``output`` and of its meta pickle."""
    from dlc_lifter.io import meta_pickle_path

    staged = _staged_output(output)
    return [*zip(output_paths(staged, OUTPUT_FORMATS).values(),
                 output_paths(output, OUTPUT_FORMATS).values(), strict=True),
            (meta_pickle_path(staged), meta_pickle_path(output))]


def staged_files(output: str | Path) -> list[Path]:
    """The files :func:`write_outputs` stages for ``output`` (every format's and the meta
    pickle's, under their hidden staging names), those that exist: left by a stopped run."""
    return [staged for staged, _ in _staged_and_final(output) if staged.exists()]


def _remove_staged(output: str | Path) -> list[Path]:
    """Remove the staged files of ``output`` (:func:`staged_files`); returns them."""
    found = staged_files(output)
    for p in found:
        p.unlink(missing_ok=True)
    return found


def _write_staged(poses3d: Poses, output: Path, fmts: tuple[str, ...], *,
                  poses2d: Poses | None, meta: dict[str, Any] | None,
                  source_nwb: str | Path | None, nwb_metadata: Mapping[str, Any] | None
                  ) -> tuple[dict[str, Path], dict[str, str]]:
    """Every format of ``fmts`` and the meta pickle written for ``output`` (a staging
    name): ``({format: path} written, "meta" the pickle; {format: why} of those that
    failed)``."""
    from dlc_lifter.io import meta_pickle_path, write_dlc_3d, write_meta_pickle
    from dlc_lifter.io.nwb import nwb_metadata_record

    paths = output_paths(output, fmts)
    meta = {**(meta or {}), "formats": list(fmts)}
    if "nwb" in fmts:  # what a rerun with other metadata compares (add_outputs rewrites)
        meta["nwb_metadata"] = nwb_metadata_record(nwb_metadata)
    if not poses3d.meta.extra.get("skeleton_edges"):
        poses3d.meta.extra["skeleton_edges"] = skeleton_edge_names(poses3d.keypoints)
    written, failed = _write_each([f for f in fmts if f in ("nwb", "slp", "points3d")],
                                  paths, poses3d, poses2d, overwrite=False,
                                  source_nwb=source_nwb, nwb_metadata=nwb_metadata)
    meta["formats_failed"] = dict(failed)
    pickle_path = meta_pickle_path(output)
    if "dlc" in fmts or "csv" in fmts:
        target = paths.get("dlc", output.with_suffix(".csv"))
        write_dlc_3d(poses3d, target, overwrite=False, save_as_csv="csv" in fmts
                     and "dlc" in fmts, meta=meta)
    else:
        write_meta_pickle(poses3d, pickle_path, overwrite=False, meta=meta)
    if "csv" in fmts:
        written["csv"] = paths["csv"]
    if "dlc" in fmts:
        written["dlc"] = paths["dlc"]
    written["meta"] = pickle_path
    return written, failed


def _move_into_place(staged: Mapping[str, Path], final: Mapping[str, Path]) -> dict[str, Path]:
    """Move the staged files over their final paths: the old ``.h5`` (the mark of a
    finished lift) removed first, the new one moved last, all of them even when the run is
    stopped meanwhile; an earlier file of a format that
    failed now is removed (not left from another lift beside this one). Returns ``{format:
    final path}`` as :func:`write_outputs` does."""
    order = [f for f in (*OUTPUT_FORMATS, "meta") if f != "dlc" and f in staged]
    for fmt, path in final.items():
        if fmt not in staged:
            path.unlink(missing_ok=True)
    if "dlc" in staged:
        final["dlc"].unlink(missing_ok=True)
        order.append("dlc")
    written = {}
    try:
        for fmt in order:
            os.replace(staged[fmt], final[fmt])
            written[fmt] = final[fmt]
    except BaseException as exc:
        if isinstance(exc, OSError):
            raise
        for fmt in order[len(written):]:  # a stop (Ctrl-C, SIGTERM) amid the moves, which
            os.replace(staged[fmt], final[fmt])  # take microseconds: the lift made whole
        raise
    return written


def _write_each(fmts: Iterable[str], paths: Mapping[str, Path], poses3d: Poses,
                poses2d: Poses | None, *, overwrite: bool, source_nwb: str | Path | None,
                nwb_metadata: Mapping[str, Any] | None
                ) -> tuple[dict[str, Path], dict[str, str]]:
    """Write each of ``fmts`` (:func:`_write_one`): ``({format: path} written, {format:
    why} failed)``, each failure logged; an output that exists stops them all."""
    written: dict[str, Path] = {}
    failed: dict[str, str] = {}
    for fmt in fmts:
        try:
            written[fmt] = _write_one(fmt, paths[fmt], poses3d, poses2d, overwrite=overwrite,
                                      source_nwb=None if source_nwb is None else Path(source_nwb),
                                      nwb_metadata=nwb_metadata)
        except OutputExistsError:
            raise
        except Exception as exc:  # noqa: BLE001 - one format never costs the others
            failed[fmt] = f"{type(exc).__name__}: {exc}"
            logger.error("Could not write the %s output %s: %s", fmt, paths[fmt],
                         failed[fmt])
    return written, failed


def _format_error(poses3d: Poses, written: Mapping[str, Path],
                  failed: Mapping[str, str]) -> OutputFormatError:
    return OutputFormatError(
        f"{poses3d.meta.source}: could not write "
        + "; ".join(f"{f} ({m})" for f, m in failed.items())
        + f". Written: {', '.join(str(p) for p in written.values())}.",
        written=dict(written), failed=dict(failed))


def add_outputs(
    poses3d: Poses,
    output: str | Path,
    formats: Iterable[str],
    *,
    poses2d: Poses | None = None,
    source_nwb: str | Path | None = None,
    nwb_metadata: Mapping[str, Any] | None = None,
    output_spec: Mapping[str, Any] | None = None,
    overwrite: bool = False,
) -> dict[str, Path]:
    """Write formats a finished lift lacks beside its ``.h5``, from the lift itself.

    The same writers as :func:`write_outputs`, given the same poses, write the same files;
    the meta pickle's ``formats`` then lists them too (and ``formats_failed`` those that
    failed), as does its ``output_spec``, with the NWB metadata written
    (``nwb_metadata``, as :func:`write_outputs` records it), replaced atomically. The
    ``.h5`` and everything else are left as they are.

    Parameters
    ----------
    poses3d
        The lift as it was written (:func:`~dlc_lifter.io.read_lifted_output`), 3D (mm).
    output
        The lift's DLC ``.h5`` (``<stem>_lifted3d.h5``); it and its meta pickle exist.
    formats
        Names from :data:`OUTPUT_FORMATS` but ``dlc``; none of their files may exist.
    poses2d, source_nwb, nwb_metadata
        As for :func:`write_outputs` (the ``.slp`` keeps the 2D that was lifted).
    output_spec
        Entries of the record's ``output_spec`` these formats were asked with
        (``nwb_metadata``: the file or mapping given), set over the lift's.
    overwrite
        Replace the files of ``formats`` that exist (an NWB written with other metadata).

    Returns
    -------
    dict
        As :func:`write_outputs` returns it: the added formats' paths and the meta pickle's.

    Raises
    ------
    OutputExistsError
        Before any work, when the file of one of ``formats`` exists (and not
        ``overwrite``).
    OutputFormatError
        As :func:`write_outputs` raises it, the other formats written.
    DLCLifterError
        When ``formats`` holds ``dlc`` (the lift itself is never rewritten).

    Examples
    --------
    >>> from dlc_lifter.io import read_lifted_output
    >>> out = "mouse1_lifted3d.h5"
    >>> add_outputs(read_lifted_output(out), out, ["nwb"])  # doctest: +SKIP
    """
    from dlc_lifter._atomic import check_writable
    from dlc_lifter.io import read_lift_record, update_meta_pickle
    from dlc_lifter.io.nwb import nwb_metadata_record

    fmts = parse_formats(formats)
    if "dlc" in fmts:
        raise DLCLifterError(
            f"{output}: the dlc format is the lift itself; it is not added to a lift. Lift "
            "again (overwrite=True) to replace it.")
    paths = output_paths(output, fmts)
    for path in paths.values():  # before any work
        check_writable(path, overwrite=overwrite)
    record = read_lift_record(output)
    written, failed = _write_each(fmts, paths, poses3d, poses2d, overwrite=overwrite,
                                  source_nwb=source_nwb, nwb_metadata=nwb_metadata)
    had = list(record.get("formats") or ())
    failed_before = dict(record.get("formats_failed") or {})
    now = [f for f in OUTPUT_FORMATS if f in had or f in written]
    spec = record.get("output_spec")
    entries: dict[str, Any] = {
        "formats": now,
        "formats_failed": {**{f: m for f, m in failed_before.items() if f not in written},
                           **failed},
        "output_spec": {**(spec if isinstance(spec, dict) else {}), **(output_spec or {}),
                        "formats": now}}
    if "nwb" in written:
        entries["nwb_metadata"] = nwb_metadata_record(nwb_metadata)
    written["meta"] = update_meta_pickle(output, entries)
    if failed:
        raise _format_error(poses3d, written, failed)
    return written
