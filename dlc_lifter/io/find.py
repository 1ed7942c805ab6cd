"""Which files in a folder are pose files to lift: DeepLabCut, SLEAP, JABS and NWB outputs.

A folder of old tracking results holds more than pose tables: DeepLabCut writes each
``analyze_videos`` output as ``.h5`` and, with ``save_as_csv``, again as ``.csv``; its
``filterpredictions`` adds a ``_filtered`` copy; multi-animal projects add tracker tables
(``_el``, ``_sk``, ``_bx``) beside the assembled one; and lifted outputs, metadata
pickles, skeleton tables and feature files sit next to them. :func:`find_pose_files`
picks one file per recording, as a user would: the assembled table before a tracker's,
``.h5`` before its ``.csv`` twin, and the ``_filtered`` copy only when asked for. Files
named one by one are always taken as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["DERIVED_SUFFIXES", "FoundPoseFiles", "SCORER_MARKS", "TRACKER_SUFFIXES",
           "find_pose_files", "pose_file_kind"]

#: What DeepLabCut puts between a video's stem and the rest of its output's name
#: (``<video>DLC_resnet50_...``; DeepLabCut 2.0 wrote ``<video>DeepCut_resnet50_...``).
SCORER_MARKS: tuple[str, ...] = ("DLC_", "DeepCut_")
#: Name endings of files written beside pose tables that are not pose tables to lift.
DERIVED_SUFFIXES: tuple[str, ...] = ("_lifted3d", "_meta", "_skeleton", "_full",
                                     "_assemblies", "_features")
#: Multi-animal tracker suffixes (ellipse, skeleton, box trackers), in preference order.
TRACKER_SUFFIXES: tuple[str, ...] = ("_el", "_sk", "_bx")

_JABS = re.compile(r"_pose_est_v\d+\.h5$", re.IGNORECASE)


def pose_file_kind(path: str | Path) -> str | None:
    """``"dlc"``, ``"sleap"``, ``"jabs"``, ``"nwb"`` or ``None`` (not a pose file to lift),
    judged by the file's name as the tools write it.

    DeepLabCut tables (``.h5`` / ``.csv``) count when their name holds a scorer
    (:data:`SCORER_MARKS`) or starts with ``CollectedData_``; SLEAP files end in ``.slp`` or
    ``.analysis.h5``; JABS files in ``_pose_est_v<N>.h5``. Lifted outputs and DeepLabCut's
    side files (:data:`DERIVED_SUFFIXES`) never count.
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
    if p.suffix.lower() not in (".h5", ".csv"):
        return None
    stem = p.stem[: -len("_filtered")] if p.stem.endswith("_filtered") else p.stem
    if any(stem.endswith(s) for s in DERIVED_SUFFIXES):
        return None
    if stem.startswith("CollectedData_") or any(m in stem for m in SCORER_MARKS):
        return "dlc"
    return None


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
    for group in groups.values():
        best = min(group, key=lambda f: (parsed[f][2] != filtered, parsed[f][3],
                                         f.suffix.lower() != ".h5", f.name))
        keep.add(best)
        _, _, best_filtered, best_tracker = parsed[best]
        for f in group:
            if f == best:
                continue
            _, _, is_filtered, tracker = parsed[f]
            passed[f] = (f"the {'filtered' if best_filtered else 'unfiltered'} copy "
                         f"{best.name} is lifted" if is_filtered != best_filtered else
                         f"the assembled table {best.name} is lifted" if tracker > best_tracker
                         else f"its .h5 twin {best.name} is lifted")
    return [f for f in files if f in keep]


def find_pose_files(entries: str | Path | Iterable[str | Path], *, recursive: bool = False,
                    filtered: bool = False) -> FoundPoseFiles:
    """The pose files given, and those found in the folders given.

    Parameters
    ----------
    entries
        Pose files (taken as they are, whatever their name) and folders (searched for
        files :func:`pose_file_kind` names).
    recursive
        Search the folders' subfolders too (hidden ones left out).
    filtered
        Take DeepLabCut's ``_filtered`` tables where a recording has both.

    Returns
    -------
    FoundPoseFiles
    """
    if isinstance(entries, (str, Path)):
        entries = [entries]
    found = FoundPoseFiles()
    for entry in entries:
        p = Path(entry)
        if p.is_file():
            if p not in found.files:
                found.files.append(p)
            continue
        if not p.is_dir():
            found.missing.append(p)
            continue
        walk = p.rglob("*") if recursive else p.iterdir()
        kinds = {c: kind for c in sorted(walk) if c.is_file()
                 and not any(part.startswith(".") for part in c.relative_to(p).parts)
                 and (kind := pose_file_kind(c)) is not None}
        dlc = set(_one_per_recording([c for c, k in kinds.items() if k == "dlc"], filtered,
                                     found.passed_over))
        found.files += [c for c, k in kinds.items() if c not in found.files
                        and (k != "dlc" or c in dlc)]
    return found
