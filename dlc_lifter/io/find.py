"""Which files are pose files and videos to lift: folders of DeepLabCut, SLEAP, JABS and NWB
outputs, and a DeepLabCut project's videos with their ``analyze_videos`` outputs.

A folder of old tracking results holds more than pose tables: DeepLabCut writes each
``analyze_videos`` output as ``.h5`` and, with ``save_as_csv``, again as ``.csv``; its
``filterpredictions`` adds a ``_filtered`` copy; multi-animal projects add tracker tables
(``_el``, ``_sk``, ``_bx``) beside the assembled one; and lifted outputs, metadata
pickles, skeleton tables and feature files sit next to them. :func:`find_pose_files`
picks one file per recording, as a user would: the assembled table before a tracker's,
``.h5`` before its ``.csv`` twin, the ``_filtered`` copy only when asked for, and of one
video's outputs by several networks the newest (DeepLabCut 3's, then the latest
snapshot; the others are named as passed over). Files named one by one are always taken
as they are.

For a DeepLabCut project, :func:`find_videos` lists the videos a DeepLabCut call means (as
``deeplabcut.analyze_videos`` does) and :func:`find_dlc_output` the ``analyze_videos``
output of each.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlc_lifter.errors import DLCLifterError
from dlc_lifter.io._common import ANALYSIS_STEM, VIDEO_EXTENSIONS, recorded_path
from dlc_lifter.io.config import read_dlc_config
from dlc_lifter.io.dlc import dlc_csv_coords

__all__ = ["DERIVED_SUFFIXES", "FoundPoseFiles", "MAX_FILES_LOOKED_AT", "NOT_OUTPUT_FOLDERS",
           "SCORER_MARKS", "TRACKER_SUFFIXES", "VIDEO_EXTENSIONS", "csv_holds_2d_poses",
           "find_dlc_output", "find_pose_files",
           "find_videos", "folders_with_outputs", "h5_pose_kind", "labelled_data_siblings",
           "load_project_config", "output_of_project", "pose_file_kind", "project_identity"]

logger = logging.getLogger(__name__)

#: What DeepLabCut puts between a video's stem and the rest of its output's name
#: (``<video>DLC_resnet50_...``; DeepLabCut 2.0 wrote ``<video>DeepCut_resnet50_...``).
SCORER_MARKS: tuple[str, ...] = ("DLC_", "DeepCut_")
#: Name endings of files written beside pose tables that are not pose tables to lift.
DERIVED_SUFFIXES: tuple[str, ...] = ("_lifted3d", "_meta", "_skeleton", "_full",
                                     "_assemblies", "_features")
#: Multi-animal tracker suffixes, in preference order: DeepLabCut 3's tracks refined by its
#: transformer re-identification (``_el_tr``...) and its CTD tracker (``_ctd``), then the
#: ellipse, skeleton and box trackers' (``_el``, ``_sk``, ``_bx``).
TRACKER_SUFFIXES: tuple[str, ...] = ("_el_tr", "_sk_tr", "_bx_tr", "_ctd", "_el", "_sk", "_bx")

#: Files DLC or dlc-lifter write beside videos that are not videos to analyse.
_NOT_INPUT_VIDEO = ("_labeled.", "_full.", "_lifted3d", "_id.")

_JABS = re.compile(r"_pose_est_v\d+\.h5$", re.IGNORECASE)


def pose_file_kind(path: str | Path, *, sniff: bool = False) -> str | None:
    """``"dlc"``, ``"sleap"``, ``"jabs"``, ``"nwb"``, ``"movement"`` (a netCDF ``.nc``,
    as movement saves its datasets) or ``None`` (not a pose file to lift), judged by the
    file's name as the tools write it.

    DeepLabCut tables (``.h5`` / ``.csv``) count when their name holds a scorer
    (:data:`SCORER_MARKS`) or starts with ``CollectedData_``; SLEAP files end in ``.slp`` or
    ``.analysis.h5``; JABS files in ``_pose_est_v<N>.h5``. Lifted outputs and DeepLabCut's
    side files (:data:`DERIVED_SUFFIXES`) never count. With ``sniff``, a ``.csv`` whose
    name no tool gave (renamed outputs: ``mouse1.csv``, BehaviorDEPOT's
    ``demo1_tracking.csv``) counts when its first lines are a 2D pose table's
    (:func:`csv_holds_2d_poses`), and an ``.h5`` when its layout is a pose file's
    (:func:`h5_pose_kind`).
    """
    p = Path(path)
    name = p.name
    low = name.lower()
    if name.startswith(".") or "_lifted3d" in name:
        return None
    if low.endswith(".slp") or low.endswith(".analysis.h5"):
        return "sleap"
    if _JABS.search(name):
        return "jabs"
    if low.endswith(".nwb"):
        return "nwb"
    if low.endswith(".nc"):
        return "movement"
    if p.suffix.lower() not in (".h5", ".csv"):
        return None
    stem = p.stem[: -len("_filtered")] if p.stem.endswith("_filtered") else p.stem
    if any(stem.endswith(s) for s in DERIVED_SUFFIXES):
        return None
    if stem.startswith("CollectedData_") or any(m in stem for m in SCORER_MARKS):
        return "dlc"
    if sniff and p.suffix.lower() == ".csv" and csv_holds_2d_poses(p):
        return "dlc"
    if sniff and p.suffix.lower() == ".h5":
        return h5_pose_kind(p)
    return None


def labelled_data_siblings(path: str | Path) -> list[Path]:
    """The labelled-data files of a DLC project's other videos, beside ``path``.

    DeepLabCut keeps one folder per video under ``<project>/labeled-data/``, each with its
    ``CollectedData_<scorer>.h5`` (and ``.csv``). For a file in such a folder, each other
    folder's file of the same name, else its first ``CollectedData_*.h5`` (else ``.csv``);
    folders without one (DLC's ``*_labeled`` image folders) are skipped. Empty where
    ``path`` does not lie in a ``labeled-data`` folder.
    """
    p = Path(path)
    folder = p.parent
    if folder.parent.name != "labeled-data" or not folder.parent.is_dir():
        return []
    out = []
    for d in sorted(x for x in folder.parent.iterdir() if x.is_dir() and x != folder):
        same = d / p.name
        cands = ([same] if same.is_file() else
                 sorted(d.glob("CollectedData_*.h5")) or sorted(d.glob("CollectedData_*.csv")))
        out.extend(cands[:1])
    return out


def h5_pose_kind(path: str | Path) -> str | None:
    """``"dlc"``, ``"sleap"``, ``"jabs"`` or ``None``: what an ``.h5`` whose name no tool gave
    holds, from its layout alone (nothing is read but the names of its groups): DeepLabCut's
    pandas table (a top-level ``df_with_missing``, the key DLC writes), a SLEAP analysis file
    (``tracks`` and ``node_names``), a JABS pose file (``poseest/points``). ``None`` for
    anything else or anything that does not open."""
    import h5py

    from dlc_lifter.io.jabs import is_jabs_h5
    from dlc_lifter.io.sleap import is_sleap_analysis_h5

    try:
        with h5py.File(path, "r") as fh:
            if "df_with_missing" in fh and isinstance(fh["df_with_missing"], h5py.Group):
                return "dlc"
            if is_sleap_analysis_h5(fh):
                return "sleap"
            return "jabs" if is_jabs_h5(fh) else None
    except (OSError, ValueError):
        return None


def csv_holds_2d_poses(path: str | Path) -> bool:
    """Whether a ``.csv`` starts as a 2D pose table: DeepLabCut's header rows with ``x`` and
    ``y`` and no ``z`` (:func:`~dlc_lifter.io.dlc.dlc_csv_coords`: also a spreadsheet's or
    pandas' re-save) or one header row of ``<bodypart>_x`` / ``_y`` columns (SimBA's,
    :mod:`dlc_lifter.io.flat_csv`), or SLEAP's analysis csv (``track, frame_idx, ...,
    <node>.x, <node>.y``). Reads the file's first lines only; ``False`` for anything
    unreadable.
    """
    from dlc_lifter.io.flat_csv import csv_table_kind, flat_csv_is_3d

    coords = dlc_csv_coords(path)
    if coords is not None:
        return {"x", "y"} <= coords and "z" not in coords
    try:  # SimBA names its index column "scorer" too, above one header row
        kind = csv_table_kind(path)
        return kind is not None and not (kind == "flat-csv" and flat_csv_is_3d(path))
    except Exception:  # noqa: BLE001 - a table that does not read is not a pose table
        return False


@dataclass
class FoundPoseFiles:
    """What :func:`find_pose_files` found.

    Attributes
    ----------
    files
        The pose files to lift, in order (folders sorted by name).
    missing
        Entries that do not exist.
    passed_over
        ``{file: why}`` for pose files found in folders and not taken (a ``.csv`` twin of
        an ``.h5``, the other of a ``_filtered`` pair, a tracker table beside the assembled
        one).
    """

    files: list[Path] = field(default_factory=list)
    missing: list[Path] = field(default_factory=list)
    passed_over: dict[Path, str] = field(default_factory=dict)


def _recording(p: Path) -> tuple[Path, str, bool, int]:
    """``(folder, recording stem, filtered, tracker rank)`` of a DeepLabCut table."""
    stem = p.stem
    filtered = stem.endswith("_filtered")
    if filtered:
        stem = stem[: -len("_filtered")]
    rank = 0
    for i, s in enumerate(TRACKER_SUFFIXES):
        if stem.endswith(s):
            stem, rank = stem[: -len(s)], i + 1
            break
    return p.parent, stem, filtered, rank


def _one_per_recording(files: Sequence[Path], filtered: bool,
                       passed: dict[Path, str]) -> list[Path]:
    """DeepLabCut tables: one per recording (see the module docstring), in ``files``' order."""
    parsed = {f: _recording(f) for f in files}
    groups: dict[tuple[Path, str], list[Path]] = {}
    for f, (folder, stem, _, _) in parsed.items():
        groups.setdefault((folder, stem), []).append(f)
    keep: set[Path] = set()
    copies: dict[Path, list[Path]] = {}  # the file kept of a recording -> its copies
    for group in groups.values():
        best = min(group, key=lambda f: (parsed[f][2] != filtered, parsed[f][3],
                                         f.suffix.lower() != ".h5", f.name))
        keep.add(best)
        copies[best] = [f for f in group if f != best]
        _, _, best_filtered, best_tracker = parsed[best]
        for f in group:
            if f == best:
                continue
            _, _, is_filtered, tracker = parsed[f]
            passed[f] = (f"the {'filtered' if best_filtered else 'unfiltered'} copy "
                         f"{best.name} is lifted" if is_filtered != best_filtered else
                         f"the assembled table {best.name} is lifted" if tracker > best_tracker
                         else f"its .h5 twin {best.name} is lifted")
    networks: dict[tuple[Path, str], list[Path]] = {}  # one video's outputs of several nets
    for f in keep:
        if (m := ANALYSIS_STEM.match(parsed[f][1])) is not None:
            networks.setdefault((f.parent, m.group("video")), []).append(f)
    for group in networks.values():
        if len(group) < 2:
            continue
        project = _project_of(group[0].parent)
        best = max(group, key=lambda f: (*_project_rank(parsed[f][1], project),
                                         _network_rank(parsed[f][1])))
        for f in group:
            if f != best:
                keep.discard(f)
                for g in (f, *copies[f]):
                    passed[g] = (f"another network's output of the same video, {best.name}, "
                                 "is lifted (its project's, where a config.yaml is beside or "
                                 "above; else the newest: DeepLabCut 3's before 2's, then the "
                                 "latest snapshot); name this file to lift it")
    return [f for f in files if f in keep]


def _project_of(folder: Path) -> dict[str, Any]:
    """The DeepLabCut project a folder of outputs belongs to (``config.yaml`` in it or its
    parent: ``<project>/videos``): :func:`project_identity`; ``{}`` where none is."""
    for cand in (folder / "config.yaml", folder.parent / "config.yaml"):
        if cand.is_file():
            try:
                return project_identity(load_project_config(cand))
            except DLCLifterError:
                return {}
    return {}


def project_identity(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """A DeepLabCut project's task, date and engine (``config.yaml``), which its
    ``analyze_videos`` outputs' scorers carry (:func:`find_dlc_output`'s ``task``,
    ``date``, ``engine``)."""
    return {"task": cfg.get("Task") or cfg.get("task"), "date": cfg.get("date"),
            "engine": cfg.get("engine")}


def output_of_project(pose_file: str | Path, project: Mapping[str, Any]) -> bool:
    """Whether an ``analyze_videos`` output's name carries its project's task and date
    (:func:`project_identity`; ``openfieldAug20`` in ``...DLC_resnet50_openfieldAug20...``):
    a project without a task says nothing against any output (``True``)."""
    return not project.get("task") or _project_rank(Path(pose_file).stem, project)[0]


def _project_rank(stem: str, project: Mapping[str, Any]) -> tuple[bool, bool]:
    """Whether an output's scorer is its project's (task and date), and of its engine."""
    task, date, engine = (project.get(k) for k in ("task", "date", "engine"))
    ours = bool(task) and str(task) in stem and (not date or str(date) in stem)
    engine_ok = bool(engine) and ("_snapshot" in stem.lower()) == (
        str(engine).lower() == "pytorch")
    return ours, engine_ok


def _network_rank(stem: str) -> tuple[bool, bool, int, str]:
    """How new a network's output is, from its scorer: DeepLabCut 3's (``_snapshot``)
    before 2's, ``DLC_`` before 2.0's ``DeepCut_``, then the snapshot's number."""
    m = ANALYSIS_STEM.match(stem)
    scorer = m.group("scorer") if m else stem
    return ("_snapshot" in scorer.lower(), bool(m) and m.group("mark") == "DLC_",
            _snapshot_number(scorer), stem)


def _snapshot_number(scorer: str) -> int:
    """The training snapshot a scorer ends with (``..._30000``), else -1."""
    number = re.search(r"(\d+)$", scorer)
    return int(number.group(1)) if number else -1


def find_pose_files(entries: str | Path | Iterable[str | Path], *, recursive: bool = False,
                    filtered: bool = False, kinds: Collection[str] | None = None,
                    lifted: bool = False) -> FoundPoseFiles:
    """The pose files given, and those found in the folders given.

    Parameters
    ----------
    entries
        Pose files and folders (searched for files :func:`pose_file_kind` names, and for
        ``.csv`` and ``.h5`` files no tool named whose first lines or layout are a pose
        file's). Files named one by one (a shell's ``dir/*``) are taken whatever their
        name, but videos among them are passed over, and of one recording's twins (a
        ``.h5`` and its ``.csv``) the one a folder's search takes.
    recursive
        Search the folders' subfolders too (hidden ones left out).
    filtered
        Take DeepLabCut's ``_filtered`` tables where a recording has both.
    kinds
        Search folders for these kinds only (:func:`pose_file_kind`; ``None``: all).
        Files named one by one are taken whatever their kind.
    lifted
        Search folders for lifted 3D outputs instead (``*_lifted3d.h5``, and a
        ``*_lifted3d.csv`` without its ``.h5`` twin; kind ``"lifted3d"``): what the
        features, plots and classifiers read.

    Returns
    -------
    FoundPoseFiles
    """
    if isinstance(entries, (str, Path)):
        entries = [entries]
    found = FoundPoseFiles()
    named: dict[Path, str | None] = {}  # files named one by one (a shell's dir/*)
    for entry in entries:
        p = Path(entry)
        if p.is_file():
            if p.suffix.lower().lstrip(".") in VIDEO_EXTENSIONS:
                found.passed_over[p] = "a video (its pose file is lifted with it)"
            elif p not in named:
                named[p] = pose_file_kind(p, sniff=True)
            continue
        if not p.is_dir():
            found.missing.append(p)
            continue
        walk = _walk(p) if recursive else p.iterdir()
        kind_of = {c: kind for c in sorted(walk) if c.is_file()
                   and not any(part.startswith(".") for part in c.relative_to(p).parts)
                   and (kind := _lifted_kind(c) if lifted else pose_file_kind(c, sniff=True))
                   is not None
                   and (kinds is None or kind in kinds)}
        found.files += [c for c in _one_of_each(kind_of, filtered, found.passed_over)
                        if c not in found.files]
    # named files: of one recording's twins the one a folder's search takes; a file of no
    # known kind is taken as it is
    kept = set(_one_of_each({f: k for f, k in named.items() if k is not None}, filtered,
                            found.passed_over))
    found.files += [f for f, k in named.items() if (k is None or f in kept)
                    and f not in found.files]
    return found


def _lifted_kind(path: Path) -> str | None:
    """``"lifted3d"`` for a lifted 3D output's table (``*_lifted3d.h5`` / ``.csv``)."""
    low = path.name.lower()
    return ("lifted3d" if not path.name.startswith(".")
            and low.endswith(("_lifted3d.h5", "_lifted3d.csv")) else None)


def _one_of_each(kind_of: dict[Path, str], filtered: bool,
                 passed: dict[Path, str]) -> list[Path]:
    """One pose file per recording of ``{file: kind}`` (in its order): DeepLabCut's
    ``.h5`` before its ``.csv`` and ``_filtered`` copies only with ``filtered``, a
    ``.slp`` before the analysis files exported from it, an ``.h5`` before its csv twin, a
    tracker's file before a movement ``.nc`` of its stem; the others named in ``passed``."""
    dlc = set(_one_per_recording([c for c, k in kind_of.items() if k == "dlc"], filtered,
                                 passed))
    exported = _exports_of_labels([c for c, k in kind_of.items() if k == "sleap"
                                   or c.suffix.lower() == ".csv"], passed)
    exported |= _csv_twins(list(kind_of), exported, passed)
    exported |= _movement_copies(kind_of, passed)
    return [c for c, k in kind_of.items() if (k != "dlc" or c in dlc) and c not in exported]


def _movement_copies(kind_of: dict[Path, str], passed: dict[Path, str]) -> set[Path]:
    """movement netCDF files saved beside the tracker's file of the same stem (the same
    recording; the tracker's file is lifted); named in ``passed``."""
    stems = {f.with_suffix(""): f for f, k in kind_of.items() if k != "movement"}
    out = set()
    for f, k in kind_of.items():
        twin = stems.get(f.with_suffix("")) if k == "movement" else None
        if twin is not None:
            out.add(f)
            passed[f] = f"the same recording as {twin.name} beside it, which is lifted"
    return out


#: SLEAP's analysis export of one video of a labels file: ``<prefix>.<video index:03d>_<video
#: stem>.analysis.h5`` or ``.analysis.csv`` (its GUI and ``sleap-convert`` since 1.2.4;
#: ``<prefix>.analysis.h5`` before), where the prefix is the ``.slp``'s stem (the GUI) or
#: that stem less its last dotted part (``sleap-convert``: ``labels.v001.slp`` ->
#: ``labels.000_m1.analysis.h5``).
_ANALYSIS_EXPORT = re.compile(r"^(?P<prefix>.+?)(?:\.\d{3}_.+)?\.analysis\.(?:h5|csv)$",
                              re.IGNORECASE)


def _exports_of_labels(files: Sequence[Path], passed: dict[Path, str]) -> set[Path]:
    """SLEAP analysis files (``.h5`` or ``.csv``) exported from a ``.slp`` found beside
    them, and a ``.csv`` of the ``.slp``'s stem (sleap-io's ``save_csv``; the same points:
    the ``.slp`` is lifted, each of its videos as its own job); named in ``passed``."""
    labels = {f.parent / f.name[: -len(".slp")]: f for f in files
              if f.name.lower().endswith(".slp")}
    out: set[Path] = set()
    for f in files:
        m = _ANALYSIS_EXPORT.match(f.name)
        if m is None and f.suffix.lower() == ".csv" and f.with_suffix("") in labels:
            out.add(f)  # sleap-io's save_csv(labels, "<stem>.csv"), any of its layouts
            passed[f] = (f"a csv named as {labels[f.with_suffix('')].name} beside it, which "
                         "is lifted (the same recording)")
            continue
        if m is None:
            continue
        prefix = m.group("prefix")
        src = next((s for stem, s in labels.items() if stem.parent == f.parent and (
            stem.name == prefix or stem.name.startswith(prefix + "."))), None)
        if src is not None:
            out.add(f)
            passed[f] = f"exported from {src.name}, which is lifted (the same points)"
    return out


#: One tool's points written twice, a csv beside an ``.h5`` (csv ending, .h5 ending, what
#: they share): SLEAP's analysis export both ways; Inscopix's IDEAS toolbox's DeepLabCut
#: tables (``<video>_dlc_annotations.csv``, ``<video>_dlc_pose_estimates.h5``); a lift
#: written with ``--csv`` (found with ``lifted=True``).
_CSV_TWINS = ((".analysis.csv", ".analysis.h5", "the same export"),
              ("_dlc_annotations.csv", "_dlc_pose_estimates.h5", "the same points"),
              ("_lifted3d.csv", "_lifted3d.h5", "the same lift"))


def _csv_twins(files: Sequence[Path], skip: Collection[Path], passed: dict[Path, str]
               ) -> set[Path]:
    """The csv copies (:data:`_CSV_TWINS`) among ``files`` whose ``.h5`` twin is there too
    in its folder (neither of them in ``skip``, already passed over): the ``.h5`` is taken;
    named in ``passed``."""
    names = {(f.parent, f.name.lower()): f for f in files}
    out = set()
    for f in files:
        low = f.name.lower()
        for csv_end, h5_end, same in _CSV_TWINS:
            twin = (names.get((f.parent, low[: -len(csv_end)] + h5_end))
                    if low.endswith(csv_end) else None)
            if twin is not None and f not in skip and twin not in skip:
                out.add(f)
                passed[f] = f"its .h5 twin {twin.name} is taken ({same})"
    return out


def _walk(folder: Path) -> list[Path]:
    """Every entry below ``folder``, following linked folders (a cohort's folders linked in
    from a data store) but entering each real folder once (no loop on a link to a parent);
    hidden folders are not entered."""
    out: list[Path] = []
    seen: set[str] = set()
    for root, dirs, names in os.walk(folder, followlinks=True):
        real = os.path.realpath(root)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        base = Path(root)
        out += [base / d for d in dirs] + [base / n for n in names]
    return out


# --------------------------------------------------------------------------- DLC projects
def load_project_config(config: str | Path) -> dict[str, Any]:
    """A DeepLabCut project's ``config.yaml`` (or its folder) as a dict, with ``_path``.

    Raises
    ------
    ConfigError
        As :func:`~dlc_lifter.io.config.read_dlc_config` (a missing or unreadable file).
    """
    cfg = read_dlc_config(config)
    path = cfg.path
    as_dict = {k: getattr(cfg, k) for k in dir(cfg) if not k.startswith("_")
               and not callable(getattr(cfg, k))}
    raw = as_dict.get("raw") if isinstance(as_dict.get("raw"), dict) else {}
    out = {**raw, **as_dict}
    out["_path"] = path
    return out


def _is_video(path: Path, videotype: str) -> bool:
    name = path.name
    if not path.is_file() or name.startswith(".") or any(s in name for s in _NOT_INPUT_VIDEO):
        return False
    ext = path.suffix.lower().lstrip(".")
    if videotype:
        return ext == videotype.lower().lstrip(".")
    return ext in VIDEO_EXTENSIONS


def find_videos(
    videos: str | Path | Sequence[str | Path] | None,
    videotype: str = "",
    *,
    config: str | Path | None = None,
) -> list[Path]:
    """The videos a DLC call means, like ``deeplabcut.analyze_videos``.

    Parameters
    ----------
    videos
        Video files and/or folders. ``None``: the project's ``video_sets``; entries
        that do not exist (projects moved between machines, example projects) are
        looked up by name in ``<project>/videos``, kept there where only their
        ``analyze_videos`` output is (videos archived, outputs kept: lifted from the
        keypoints), and if none is found, every video in ``<project>/videos`` is used.
    videotype
        Extension filter (``".mp4"`` or ``"mp4"``); empty: every DLC video type.
    config
        The project's ``config.yaml`` (needed when ``videos`` is ``None``).

    Returns
    -------
    list of Path
        Videos, sorted within each folder, without duplicates. A file that is listed
        explicitly is kept even if it does not exist (its pose file may still exist).
    """
    if videos is None:
        if config is None:
            raise DLCLifterError("Pass videos or a DeepLabCut config.yaml.")
        cfg = load_project_config(config)
        project = Path(cfg["_path"]).parent
        sets = cfg.get("video_sets") or {}
        found: list[Path] = []
        gone: list[Path] = []
        for key in sets:
            p = Path(str(key))  # a Windows path on Linux: looked up by its file name
            linked = project / "videos" / recorded_path(str(key)).name
            for cand in (p, linked):
                if cand.is_file():
                    found.append(cand)
                    break
            else:
                if _has_dlc_output(linked):  # the video archived, its output kept
                    found.append(linked)
                    gone.append(linked)
        if gone:
            logger.info("%d video(s) of %s's video_sets are not here, their analyze_videos "
                        "outputs are (in %s): lifted from the keypoints (%s).", len(gone),
                        cfg["_path"], project / "videos", ", ".join(g.name for g in gone))
        if not found:
            folder = project / "videos"
            if not folder.is_dir():
                labels = project / "labeled-data"
                hint = (f" Its labelled frames lift with: dlc-lifter lift-files {labels} "
                        "--recursive." if labels.is_dir() else "")
                raise DLCLifterError(
                    f"None of the video_sets of {cfg['_path']} exist and {folder} does not "
                    f"exist. Pass the videos (files or folders) explicitly.{hint}")
            logger.info("video_sets of %s not found here; using the videos in %s.",
                        cfg["_path"], folder)
            found = [folder]
        videos = found
    if isinstance(videos, (str, Path)):
        videos = [videos]
    out: list[Path] = []
    for v in videos:
        p = Path(v)
        if p.is_dir():
            out += sorted(c for c in p.iterdir() if _is_video(c, videotype))
        elif not p.exists() or _is_video(p, "") or not videotype:
            out.append(p)
    seen: set[Path] = set()  # absolute, not resolved: linked copies are distinct videos
    return [p for p in out if not (p.absolute() in seen or seen.add(p.absolute()))]


def _has_dlc_output(video: Path) -> bool:
    """Whether the video's folder holds an ``analyze_videos`` output of it (as
    :func:`find_dlc_output` takes one, filtered or not), the video itself there or not."""
    return bool(_analyze_outputs(video, video.parent))


def _analyze_outputs(video: Path, folder: Path
                     ) -> list[tuple[Path, tuple[str, str | None, bool]]]:
    """The ``analyze_videos`` outputs of ``video`` in ``folder`` (``<stem>DLC_...`` .h5 or
    .csv, not a lifted or derived file), each with its parsed scorer (base, tracker
    suffix, filtered)."""
    if not folder.is_dir():
        return []
    out = []
    for f in folder.iterdir():
        if (not f.is_file() or f.suffix.lower() not in (".h5", ".csv")
                or not f.name.startswith(video.stem)):
            continue
        scorer = _scorer_of(f, video)
        parsed = _strip_suffixes(scorer) if scorer.startswith(SCORER_MARKS) else None
        if parsed is not None:
            out.append((f, parsed))
    return out


#: Folders of a DeepLabCut project that hold no ``analyze_videos`` outputs (labelled images,
#: training sets, models, evaluations, lifts), passed over by :func:`folders_with_outputs`.
NOT_OUTPUT_FOLDERS = frozenset({"labeled-data", "training-datasets", "dlc-models",
                                "dlc-models-pytorch", "evaluation-results",
                                "evaluation-results-pytorch", "lifted3d", "__pycache__"})

#: Files :func:`folders_with_outputs` looks at before it stops (a project with a
#: video archive inside it is not walked to the end to say where outputs lie).
MAX_FILES_LOOKED_AT = 200_000


def folders_with_outputs(root: str | Path, videos: Iterable[str | Path]
                         ) -> dict[str, list[Path]]:
    """Per video (by stem), the folders under ``root`` holding a file named as its
    ``analyze_videos`` output (``<stem>DLC_*.h5`` or ``.csv``), other than the video's own.

    Where an output is not where it was looked for (``analyze_videos`` was given a
    ``destfolder``), this says where it is. One walk of ``root``, hidden folders and
    :data:`NOT_OUTPUT_FOLDERS` passed over, stopped after :data:`MAX_FILES_LOOKED_AT`
    files; the folders are in walk order (sorted names). Which of them holds the output of
    this project's network is for :func:`find_dlc_output` to say.

    Examples
    --------
    >>> folders_with_outputs("project", ["videos/m1.mp4"])  # doctest: +SKIP
    {'m1': [PosixPath('project/analyzed')]}
    """
    vids = {Path(v).stem: Path(v).parent for v in videos}
    found: dict[str, list[Path]] = {}
    if not vids or not Path(root).is_dir():
        return found
    looked = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs
                         if not d.startswith(".") and d not in NOT_OUTPUT_FOLDERS)
        here = Path(folder)
        for name in sorted(files):
            looked += 1
            if looked > MAX_FILES_LOOKED_AT:
                return found
            if Path(name).suffix.lower() not in (".h5", ".csv"):
                continue
            for mark in SCORER_MARKS:
                stem = name.split(mark, 1)[0] if mark in name else None
                if (stem in vids and here.resolve() != vids[stem].resolve()
                        and here not in found.get(stem, [])):
                    found.setdefault(stem, []).append(here)
    return found


def _scorer_of(pose_file: Path, video: Path) -> str:
    return pose_file.stem[len(video.stem):]


def _strip_suffixes(scorer: str) -> tuple[str, str | None, bool] | None:
    """``(base scorer, tracker suffix or None, filtered)`` or ``None`` if derived."""
    filtered = scorer.endswith("_filtered")
    if filtered:
        scorer = scorer[: -len("_filtered")]
    if any(scorer.endswith(s) for s in DERIVED_SUFFIXES) or "_lifted3d" in scorer:
        return None
    tracker = next((s for s in TRACKER_SUFFIXES if scorer.endswith(s)), None)
    if tracker:
        scorer = scorer[: -len(tracker)]
    return scorer, tracker, filtered


def find_dlc_output(
    video: str | Path,
    *,
    destfolder: str | Path | None = None,
    shuffle: int = 1,
    trainingsetindex: int = 0,
    training_fraction: float | None = None,
    filtered: bool = False,
    task: str | None = None,
    date: str | None = None,
    engine: str | None = None,
) -> Path | None:
    """The ``analyze_videos`` output (``<video stem>DLC_<scorer>.h5``) of one video.

    Looks in ``destfolder`` if given, else beside the video. Lifted files
    (``_lifted3d``) and DLC's side files (``_meta``, ``_skeleton``, ``_full``...) are
    ignored; a plain output wins over multi-animal tracker files (``_el``, ``_sk``,
    ``_bx``), which are used when there is no plain one (maDLC projects). A ``.csv``
    output (``save_as_csv``) is used where no ``.h5`` of it is. When several scorers
    match, the one of this project (its task and date, ``openfieldOct30``: another
    project's output of the same video is not) is preferred, then the one whose name
    holds ``shuffle{shuffle}``, then the training fraction as ``trainset{95}``, then the
    project's engine (DeepLabCut 3's PyTorch scorers end ``_snapshot_<n>``, TensorFlow's
    in the iteration), then the latest snapshot. The choice is logged with the others,
    and a ``_filtered`` output passed over (or an unfiltered one, with ``filtered``) is
    named. Where only the other kind exists (only ``_filtered`` outputs kept), it is used,
    with a warning.

    Parameters
    ----------
    video
        The video file.
    destfolder
        Where ``analyze_videos`` wrote its outputs, if not beside the video.
    shuffle, trainingsetindex, training_fraction
        Which network's output to prefer (DLC's arguments).
    filtered
        Use the ``_filtered`` output of ``filter_predictions``.
    task, date
        The project's task and date (``config.yaml``'s ``Task``, ``date``), preferred in
        the scorer name.
    engine
        The project's engine (``config.yaml``'s ``engine``: ``pytorch`` or
        ``tensorflow``), preferred in the scorer name.

    Returns
    -------
    Path or None
        The pose file, or ``None`` when there is none.
    """
    video = Path(video)
    folder = Path(destfolder) if destfolder else video.parent
    cands, other_kind = [], []
    project = {"task": task, "date": date, "engine": engine}
    for f, parsed in _analyze_outputs(video, folder):
        if parsed[2] != filtered:
            other_kind.append(f.name)
            continue
        base, tracker, _ = parsed
        task_ok = bool(task) and str(task) in base
        project_ok, engine_ok = _project_rank(base, project)
        shuffle_ok = re.search(rf"shuffle{shuffle}(?!\d)", base, re.IGNORECASE) is not None
        frac_ok = (training_fraction is not None and
                   f"trainset{round(training_fraction * 100)}" in base)
        snapshot = _snapshot_number(base)
        tracker_rank = -1 if tracker is None else -2 - TRACKER_SUFFIXES.index(tracker)
        key = (tracker_rank, project_ok, shuffle_ok, frac_ok, task_ok, engine_ok, snapshot,
               f.suffix.lower() == ".h5", f.name)
        cands.append((key, f))
    if not cands:
        if not other_kind:
            return None
        other = find_dlc_output(video, destfolder=destfolder, shuffle=shuffle,
                                trainingsetindex=trainingsetindex,
                                training_fraction=training_fraction, filtered=not filtered,
                                task=task, date=date, engine=engine)
        logger.warning("%s: no %sfiltered analyze_videos output; using the %sfiltered %s.",
                       video.name, "" if filtered else "un", "un" if filtered else "",
                       other.name if other else "?")
        return other
    cands.sort(reverse=True)
    passed = ("" if not other_kind else
              f"; not the {'un' if filtered else ''}filtered output"
              f"{'s' if len(other_kind) > 1 else ''} {', '.join(sorted(other_kind))}"
              + ("" if filtered else " (filtered=True / --filtered lifts it)"))
    if len(cands) > 1 or passed:
        others = ", ".join(c[1].name for c in cands[1:])
        logger.info("%s: %s %s%s%s.", video.name,
                    "several pose files; using" if len(cands) > 1 else "using",
                    cands[0][1].name, f" (others: {others})" if others else "", passed)
    return cands[0][1]
