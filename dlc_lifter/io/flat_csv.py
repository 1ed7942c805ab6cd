"""Pose tables with one header row: ``<bodypart>_x, <bodypart>_y, <bodypart>_p`` columns.

(Or ``<bodypart> x, <bodypart> y, <bodypart> likelihood``: the tables Inscopix's IDEAS
toolbox writes of DeepLabCut's poses, after ``Frame number, Movie number, ...`` columns that
are not read.)

SimBA writes DeepLabCut's poses this way once it has imported them (its
``csv/outlier_corrected_movement_location`` and later folders; bodyparts named
``Nose_1``, ``Ear_left_2`` ... with the animal's number last), and tools that export
SimBA-style tables do too (DLC2action's CRIM13 samples). A first column that is not a
coordinate is the frame index (any header: ``scorer``, ``frame``, none); likelihoods end in
``_p``, ``_likelihood`` or ``_score`` (missing: every finite point counts as tracked).

The names are kept as written, in one individual: where they number animals (SimBA's
``Nose_1`` / ``Nose_2``), the lift's keypoint plan splits them into an individual each, as
for a DeepLabCut file named so (:mod:`dlc_lifter.mouse.keypoint_map`). The format is
``flat-csv``; :func:`~dlc_lifter.io.read_poses` recognises it by its header.
"""

from __future__ import annotations

import csv
import json
import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd

from dlc_lifter.errors import PoseFileError
from dlc_lifter.io._common import find_video, resolve_recorded_video
from dlc_lifter.io.sleap import UNTRACKED
from dlc_lifter.poses import PoseMetadata, Poses

__all__ = ["bodypart_columns", "csv_table_kind", "flat_csv_is_3d", "read_flat_csv",
           "read_sleap_csv", "sleap_csv_layout"]

logger = logging.getLogger("dlc_lifter.io")

#: Endings of the likelihood column beside ``_x`` and ``_y``.
LIKELIHOOD_SUFFIXES = ("_p", "_likelihood", "_score")
#: What parts a bodypart's name from ``x`` / ``y`` / its likelihood: ``Nose_x`` (SimBA),
#: ``nose x`` (Inscopix's DeepLabCut tables).
_SEPARATORS = ("_", " ")


def _header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8", errors="replace") as fh:
        return [c.strip() for c in next(csv.reader(fh), [])]


def _bodyparts(columns: list[str]) -> dict[str, str]:
    """``{bodypart: separator}`` of bodyparts with both an ``x`` and a ``y`` column
    (``Nose_x``, ``nose x``), in the order of their ``x``."""
    have = set(columns)
    return {c[:-2]: sep for c in columns for sep in _SEPARATORS
            if c.endswith(f"{sep}x") and f"{c[:-2]}{sep}y" in have}


def _columns_of(part: str, sep: str) -> tuple[str, ...]:
    """A bodypart's x, y and possible likelihood columns."""
    return (f"{part}{sep}x", f"{part}{sep}y",
            *(f"{part}{sep}{s[1:]}" for s in LIKELIHOOD_SUFFIXES))


def bodypart_columns(columns: list[str]) -> list[str]:
    """The columns of a one-header-row table that are bodyparts' coordinates or
    likelihoods (``Nose_1_x``, ``Nose_1_y``, ``Nose_1_p``), in the table's order."""
    have = set(columns)
    own = {c for b, sep in _bodyparts(columns).items() for c in _columns_of(b, sep)
           if c in have}
    return [c for c in columns if c in own]


def _sleap_nodes(columns: list[str]) -> list[str]:
    """Nodes with both a ``.x`` and a ``.y`` column (SLEAP's csv), in their order."""
    have = set(columns)
    return [c[:-2] for c in columns if c.endswith(".x") and f"{c[:-2]}.y" in have]


#: Columns of a sleap-io ``points`` csv (one row per point) beside its coordinates.
_POINT_NODE = ("node", "node_name")
#: Columns sleap-io writes to name a row's video (``video_id="path" | "index" | "object"``).
_VIDEO_COLUMNS = ("video_path", "video_idx", "video")
_INSTANCE_PREFIX = re.compile(r"^(inst\d+)\.(.+)$")


def sleap_csv_layout(columns: list[str]) -> str | None:
    """Which of SLEAP's one-header-row csv layouts a header is, or ``None``.

    ``"analysis"``: SLEAP's analysis csv (``track, frame_idx, instance.score,
    <node>.x ...``; also sleap-io's ``save_csv(format="sleap")``); sleap-io's other
    ``save_csv`` layouts: ``"instances"`` (one row per instance: ``frame_idx, track,
    track_score, score, <node>.x ...``), ``"frames"`` (one row per frame: ``frame_idx,
    inst0.track, inst0.<node>.x ...``) and ``"points"`` (one row per point: ``frame_idx,
    node, x, y, track ...``).
    """
    have = set(columns)
    if "frame_idx" not in have:
        return None
    if have & set(_POINT_NODE) and {"x", "y"} <= have:
        return "points"
    nodes = _sleap_nodes(columns)
    if not nodes:
        return None
    if columns[:2] == ["track", "frame_idx"] or "instance.score" in have:
        return "analysis"
    if all(_INSTANCE_PREFIX.match(n) for n in nodes):
        return "frames"
    return "instances"


def csv_table_kind(path: str | Path) -> str | None:
    """The one-header-row pose table a csv is, from its first row alone: ``"sleap-csv"``
    (SLEAP's analysis csv, or another of sleap-io's layouts: :func:`sleap_csv_layout`),
    ``"flat-csv"`` (``<bodypart>_x`` / ``_y`` columns), or ``None`` (DeepLabCut's three
    header rows, or no pose table)."""
    cols = _header(Path(path))
    if sleap_csv_layout(cols) is not None:
        return "sleap-csv"
    return "flat-csv" if _bodyparts(cols) else None


def flat_csv_is_3d(path: str | Path) -> bool:
    """Whether a one-header-row table's bodyparts mostly have a ``_z`` column beside ``_x``
    and ``_y`` (triangulated or labelled 3D: anipose's, DANNCE's labels), from its first row."""
    cols = _header(Path(path))
    return bool(_deep(cols, _bodyparts(cols)))


def _deep(columns: list[str], parts: dict[str, str]) -> list[str]:
    """The bodyparts with a ``z`` column beside ``x`` and ``y``, where they are most."""
    have = set(columns)
    deep = [b for b, sep in parts.items() if f"{b}{sep}z" in have]
    return deep if len(deep) * 2 > len(parts) else []


def read_flat_csv(path: str | Path) -> Poses:
    """Read a one-header-row pose table (module docstring). Columns that are neither a
    coordinate nor a likelihood (Inscopix's ``Movie number``, ``Time since start (s)``)
    are left out.

    Raises
    ------
    PoseFileError
        When no ``<bodypart>_x`` / ``<bodypart>_y`` pair is named, or the values are not
        numbers.
    """
    p = Path(path)
    table = pd.read_csv(p, header=0)
    cols = [str(c).strip() for c in table.columns]
    table.columns = cols
    parts = _bodyparts(cols)
    deep = _deep(cols, parts)
    if deep:
        raise PoseFileError(
            f"{p} holds 3D points ('{deep[0]}_z' beside '_x' and '_y'"
            + (", with anipose's '_error' and '_ncams'" if f"{deep[0]}_ncams" in table.columns
               else "") + "): dlc-lifter lifts 2D poses from one camera to 3D. Lift the "
            "2D pose file of one camera instead (the one this table was triangulated from).")
    if not parts:
        raise PoseFileError(
            f"{p}: its first row names no '<bodypart>_x' and '<bodypart>_y' columns (or "
            "'<bodypart> x', '<bodypart> y'), nor is "
            "it DeepLabCut's three header rows (scorer, bodyparts, coords). Pass the csv "
            "DeepLabCut wrote (analyze_videos with --csv) or the .h5.")
    try:
        values = {c: _as_floats(table[c], "raise") for b, sep in parts.items()
                  for c in _columns_of(b, sep) if c in table.columns}
    except (ValueError, TypeError) as exc:
        raise PoseFileError(f"{p}: a coordinate column holds text that is not a number "
                            f"({exc}). Re-export the table.") from None
    first = cols[0]
    frames = np.arange(len(table))
    if first not in values:
        idx = _as_floats(table[first], "coerce")
        if np.isfinite(idx).all() and len(np.unique(idx)) == len(idx):
            frames = idx.astype(np.int64)
    coords = np.stack([np.stack([values[f"{b}{sep}x"], values[f"{b}{sep}y"]], axis=-1)
                       for b, sep in parts.items()], axis=1)[:, None]
    given = np.isfinite(coords).all(-1)
    likes = [next((c for c in _columns_of(b, sep)[2:] if c in values), None)
             for b, sep in parts.items()]
    if not any(likes):
        logger.warning("%s: no likelihood columns (%s); every point given is taken as "
                       "tracked.", p, " / ".join(f"<bodypart>{s}" for s in LIKELIHOOD_SUFFIXES))
    conf = np.stack([values[c] if c is not None else np.ones(len(table)) for c in likes],
                    axis=1)[:, None]
    conf = np.where(given, conf, np.nan)
    meta = PoseMetadata(source=str(p), source_format="flat-csv")
    video = find_video(p.stem, [p.parent])  # beside it, its stem starting the table's
    meta.video = str(video) if video is not None else None
    return Poses(coords=coords, confidence=conf, keypoints=list(parts),
                 frame_indices=frames, meta=meta)


def _as_floats(column: pd.Series, errors: str) -> np.ndarray:
    """A column's values as float64 (NaN where empty), whatever dtype pandas gave it."""
    values = pd.to_numeric(pd.Series(column.to_numpy(dtype=object)), errors=errors)
    return np.asarray(values, dtype=np.float64)


def read_sleap_csv(path: str | Path) -> Poses:
    """Read SLEAP's analysis csv (``sleap-convert --format analysis.csv``, the GUI's
    export, sleap-io's ``save_csv``) or one of sleap-io's other csv layouts (one row per
    instance, frame or point: :func:`sleap_csv_layout`): one individual per track
    (``individual0`` for instances of no track, listed in
    ``meta.extra["untracked_individuals"]``), frames as ``frame_idx`` gives them; a
    node's score is its likelihood (1 where a user's point has none). Where one track has
    two instances in a frame, the one of the higher instance score is kept (warned). The
    csv names neither the video nor the frame rate (sleap-io's metadata ``.json`` beside
    it, written with ``save_metadata=True``, names the video and the skeleton's edges):
    pass the video (or ``--image-size``) and ``--fps``.

    Raises
    ------
    PoseFileError
        When the values are not numbers, or the rows are of several videos.
    """
    p = Path(path)
    table = pd.read_csv(p, header=0)
    table.columns = [str(c).strip() for c in table.columns]
    layout = sleap_csv_layout(list(table.columns))
    try:
        table = _as_analysis_rows(table, layout)
    except (ValueError, TypeError) as exc:
        raise PoseFileError(f"{p}: a coordinate column holds text that is not a number "
                            f"({exc}). Export the csv again.") from None
    recorded = _one_video(table, p)
    info = _sleap_io_sidecar(p)
    nodes = _sleap_nodes(list(table.columns))
    skeleton = _one_skeleton(info)
    if skeleton is not None and sorted(skeleton.get("nodes", [])) == sorted(nodes):
        nodes = list(skeleton["nodes"])  # the skeleton's order (the "sleap" layout sorts)
    try:
        frames = _as_floats(table["frame_idx"], "raise")
        score = _as_floats(table["instance.score"], "coerce") if (
            "instance.score" in table) else np.zeros(len(table))
        xy = np.stack([np.stack([_as_floats(table[f"{n}.{a}"], "raise") for a in "xy"], -1)
                       for n in nodes], 1)
    except (ValueError, TypeError) as exc:
        raise PoseFileError(f"{p}: a frame or coordinate column holds text that is not a "
                            f"number ({exc}). Export the analysis csv again.") from None
    conf = np.stack([_as_floats(table[f"{n}.score"], "coerce") if f"{n}.score" in table
                     else np.full(len(table), np.nan) for n in nodes], 1)
    conf = np.where(np.isfinite(conf), conf, np.where(np.isfinite(xy).all(-1), 1.0, np.nan))
    tracks = table["track"].astype(object).where(table["track"].notna(), "").astype(str)
    names = sorted(set(tracks), key=lambda t: (t == "", t))
    individuals = [t or "individual0" for t in names]
    frame_indices = np.unique(frames[np.isfinite(frames)]).astype(np.int64)
    coords = np.full((len(frame_indices), len(names), len(nodes), 2), np.nan)
    confidence = np.full((len(frame_indices), len(names), len(nodes)), np.nan)
    rows = np.flatnonzero(np.isfinite(frames))
    frame_of = np.searchsorted(frame_indices, frames[rows].astype(np.int64))
    track_of = tracks.map({t: i for i, t in enumerate(names)}).to_numpy()[rows]
    # per frame and track the row of the highest instance score (the first of equals)
    order = np.lexsort((rows, -np.nan_to_num(score[rows], nan=0.0), track_of, frame_of))
    key = frame_of[order] * len(names) + track_of[order]
    first = np.r_[True, key[1:] != key[:-1]] if len(key) else np.zeros(0, bool)
    kept = order[first]
    coords[frame_of[kept], track_of[kept]] = xy[rows[kept]]
    confidence[frame_of[kept], track_of[kept]] = conf[rows[kept]]
    doubled = int(len(rows) - first.sum())
    if doubled:
        frames_doubled = len(np.unique(frame_of[order][~first]))
        logger.warning("%s: %d %s more than one instance of a track (or of no track); "
                       "the one of the highest instance score kept, %d left out. Track the "
                       "instances in SLEAP, or lift the .slp.", p, frames_doubled,
                       "frame holds" if frames_doubled == 1 else "frames hold", doubled)
    meta = PoseMetadata(source=str(p), source_format="sleap-csv", scorer="SLEAP", fps=None,
                        units="px", frame="image")
    meta.extra["csv_layout"] = layout
    if "" in names:  # instances of no track: written untracked to a .slp (write_slp_3d)
        meta.extra[UNTRACKED] = ["individual0"]
    _apply_sleap_io_metadata(meta, p, recorded, nodes, info)
    return Poses(coords=coords, confidence=confidence, keypoints=nodes,
                 individuals=individuals, frame_indices=frame_indices, meta=meta)


def _as_analysis_rows(table: pd.DataFrame, layout: str | None) -> pd.DataFrame:
    """sleap-io's ``instances``, ``frames`` and ``points`` layouts as the analysis csv's
    rows (one per instance: ``track, frame_idx, instance.score, <node>.x/.y/.score``)."""
    if layout == "instances":
        return table.rename(columns={"score": "instance.score"})
    if layout == "frames":
        slots = list(dict.fromkeys(m.group(1) for c in table.columns
                                   if (m := _INSTANCE_PREFIX.match(c))))
        keep = [c for c in ("frame_idx", *_VIDEO_COLUMNS) if c in table.columns]
        parts = []
        for slot in slots:
            own = {c: c[len(slot) + 1:] for c in table.columns if c.startswith(f"{slot}.")}
            part = table[keep + list(own)].rename(columns=own)
            parts.append(part.rename(columns={"score": "instance.score"}))
        rows = pd.concat(parts, ignore_index=True)
        xy = [c for c in rows.columns if c.endswith((".x", ".y"))]
        return rows[rows[xy].notna().any(axis=1)].reset_index(drop=True)
    if layout == "points":
        node_col = next(c for c in _POINT_NODE if c in table.columns)
        keys = [c for c in ("frame_idx", "track", "instance_score", *_VIDEO_COLUMNS)
                if c in table.columns]
        instance = table.groupby(keys, dropna=False, sort=False).ngroup().to_numpy()
        rows = table.loc[~pd.Series(instance).duplicated().to_numpy(), keys]
        rows = rows.reset_index(drop=True).rename(columns={"instance_score": "instance.score"})
        if "track" not in rows:
            rows["track"] = np.nan
        node = table[node_col].astype(str).to_numpy()
        for name in dict.fromkeys(node):
            at = node == name
            for axis in ("x", "y", "score"):
                if axis not in table.columns:
                    continue
                values = np.full(len(rows), np.nan)
                values[instance[at]] = _as_floats(table[axis][at], "raise")
                rows[f"{name}.{axis}"] = values
        return rows
    return table


def _one_video(table: pd.DataFrame, p: Path) -> str | None:
    """The video a sleap-io csv's ``video_path`` / ``video_idx`` / ``video`` column names
    (``None`` without one); refused where its rows are of several videos."""
    for col in _VIDEO_COLUMNS:
        if col in table.columns:
            names = [str(v) for v in pd.unique(table[col].dropna())]
            if len(names) > 1:
                raise PoseFileError(
                    f"{p} holds the poses of {len(names)} videos ({', '.join(names[:3])}"
                    f"{' ...' if len(names) > 3 else ''}) in its '{col}' column. Export one "
                    "video per csv (sleap-io: save_csv(labels, path, video=i)), or lift the "
                    ".slp, whose videos are each lifted.")
            return names[0] if names and col != "video_idx" else None
    return None


def _sleap_io_sidecar(p: Path) -> dict:
    """The metadata ``.json`` sleap-io writes beside a csv (``save_metadata=True``: videos,
    skeletons, tracks), or ``{}``."""
    sidecar = p.with_suffix(".json")
    if not sidecar.is_file():
        return {}
    try:
        info = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        logger.warning("%s: cannot read %s (%s); the csv is read without it.",
                       p, sidecar.name, exc)
        return {}
    return info if isinstance(info, dict) and "videos" in info else {}


def _one_skeleton(info: dict) -> dict | None:
    """The skeleton of sleap-io's metadata, where it holds exactly one."""
    skeletons = [k for k in info.get("skeletons", []) if isinstance(k, dict)]
    return skeletons[0] if len(skeletons) == 1 else None


def _apply_sleap_io_metadata(meta: PoseMetadata, p: Path, recorded: str | None,
                             nodes: list[str], info: dict) -> None:
    """The video (and skeleton edges) a sleap-io csv names: its video column, else its
    metadata ``.json`` (:func:`_sleap_io_sidecar`), else a video beside the csv whose
    stem starts its name."""
    videos = [v.get("filename") for v in info.get("videos", []) if isinstance(v, dict)]
    if recorded is None and len(videos) == 1:
        recorded = videos[0]
    if recorded is not None:
        meta.video = resolve_recorded_video(recorded, p)
    else:
        video = find_video(p.stem, [p.parent])
        meta.video = str(video) if video is not None else None
    skeleton = _one_skeleton(info)
    if skeleton is not None:
        edges = [tuple(e) for e in skeleton.get("edges", [])
                 if len(e) == 2 and e[0] in nodes and e[1] in nodes]
        if edges:
            meta.extra["skeleton_edges"] = edges
