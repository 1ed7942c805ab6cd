"""NWB files with ndx-pose ``PoseEstimation`` (e.g. DLC2NWB output): reading 2D/3D, writing 3D."""

from __future__ import annotations

import difflib
import logging
import os
import re
import uuid
import warnings
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from dlc_lifter._atomic import atomic_output, check_writable
from dlc_lifter._version import __version__, code_commit
from dlc_lifter.errors import ConfigError, PoseFileError
from dlc_lifter.io._common import (
    check_input_file,
    duplicate_names,
    recorded_path,
    size_transposed,
    video_stem_of,
)
from dlc_lifter.poses import PoseMetadata, Poses

__all__ = ["NWB_SESSION_FIELDS", "nwb_metadata_for", "nwb_metadata_record", "read_nwb",
           "read_nwb_metadata", "unmatched_recordings", "write_nwb_3d"]

logger = logging.getLogger(__name__)

_FRAME_TEXT = {
    "world": "Arena (world) frame in mm: right-handed, z up, floor at z = 0 "
             "(dlc-lifter CONVENTIONS).",
    "arena": "Arena frame in mm from the arena's tracked corners: origin at the arena's "
             "centre on the floor, x towards its right side in the image, y towards its "
             "top side, z up (right-handed).",
    "camera-floor": "Uncalibrated floor frame in mm: origin on the floor below the camera "
                    "centre, x along the image's u axis (right), y along the image's upward "
                    "direction (-v), z up (right-handed).",
    "camera": "OpenCV camera frame in mm: x right, y down, z along the optical axis.",
    "image": "Image pixels: (0, 0) is the top-left pixel centre, x right, y down (OpenCV).",
}


#: NWB spells units out (nwbinspector's check_spatial_series_unit).
_NWB_UNITS = {"mm": "millimeters", "cm": "centimeters", "m": "meters", "um": "micrometers",
              "px": "pixels"}

#: Marks series written with rate 1 because fps is unknown (times are frame numbers).
_FPS_UNKNOWN = "fps unknown"

#: States the fps of series written with timestamps (frames skipped), e.g. "video fps: 30.0".
_FPS_SAID = re.compile(r"video fps: ([0-9.eE+-]+);")

_SPECIES = "Mus musculus"  # dlc-lifter lifts mouse poses (its body model is a mouse)


def _quiet_io(path: Path, mode: str) -> Any:
    import ndx_pose  # noqa: F401 - registers the ndx-pose classes before reading
    from pynwb import NWBHDF5IO

    return NWBHDF5IO(str(path), mode, load_namespaces=True)


def _pose_estimations(nwbfile: Any) -> list[Any]:
    from ndx_pose import PoseEstimation

    found = []
    for module in nwbfile.processing.values():
        for obj in module.data_interfaces.values():
            if isinstance(obj, PoseEstimation) or type(obj).__name__ == "PoseEstimation":
                found.append(obj)
    if not found:
        found = [o for o in nwbfile.objects.values() if isinstance(o, PoseEstimation)]
    return found


def _skeleton_of(pe: Any) -> tuple[list[str], list[tuple[int, int]]]:
    sk = pe.fields.get("skeleton")
    if sk is not None:
        nodes = [str(n) for n in sk.nodes[:]]
        edges = [] if sk.edges is None else [tuple(map(int, e)) for e in np.asarray(sk.edges[:])]
        return nodes, edges
    nodes_f = pe.fields.get("nodes")
    edges_f = pe.fields.get("edges")
    nodes = [] if nodes_f is None else [str(n) for n in nodes_f[:]]
    edges = [] if edges_f is None else [tuple(map(int, e)) for e in np.asarray(edges_f[:])]
    return nodes, edges


_IND_PREFIX = re.compile(r"^(ind|individual|animal|mouse|subject|track)\d*$", re.IGNORECASE)


def _split_names(series: list[str], nodes: list[str]) -> tuple[str | None, list[str], list[str]]:
    """Strip an ``<individual>_`` prefix DLC2NWB puts on series (and node) names.

    Returns the prefix (or ``None``), the keypoint names and the node names.
    """
    if series and all("_" in s for s in series):
        prefixes = {s.split("_", 1)[0] for s in series}
        if len(prefixes) == 1:
            prefix = prefixes.pop()
            stripped = [s.split("_", 1)[1] for s in series]
            if _IND_PREFIX.match(prefix) or (nodes and set(stripped) <= set(nodes)):
                nodes = [n.split("_", 1)[1] if n.startswith(f"{prefix}_") else n
                         for n in nodes]
                return prefix, stripped, nodes
    return None, series, nodes


def read_nwb(path: str | Path) -> Poses:
    """Read every ndx-pose ``PoseEstimation`` of an NWB file.

    Each ``PoseEstimation`` is one individual (DLC2NWB writes one per animal; an
    ``<individual>_`` prefix on series names is stripped); each
    ``PoseEstimationSeries`` is one keypoint. A single individual is named
    ``individual0`` (its NWB name is kept in ``meta.extra["nwb_individuals"]``).
    fps comes from the series' rate, or from regular timestamps that are not plain
    frame numbers (DLC2NWB writes 0, 1, 2... when it could not read the video).

    Raises
    ------
    PoseFileError
        When the file is not NWB or has no PoseEstimation.
    """
    p = check_input_file(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            io = _quiet_io(p, "r")
            nwbfile = io.read()
    except Exception as exc:  # noqa: BLE001 - hdmf raises many kinds
        raise PoseFileError(
            f"{p} cannot be read as NWB ({type(exc).__name__}: {exc}). Pass an NWB file "
            "written with ndx-pose (e.g. by DLC2NWB or SLEAP's NWB export).") from None
    try:
        pes = _pose_estimations(nwbfile)
        if not pes:
            if any(type(o).__name__ == "PoseTraining" for o in nwbfile.objects.values()):
                raise PoseFileError(
                    f"{p} holds labelled frames (ndx-pose PoseTraining, as sleap-io's "
                    "save_nwb writes a project's user labels), not poses tracked over a "
                    "video (PoseEstimation). Lift the .slp (or DeepLabCut labelled data) "
                    "they were exported from, or export the predictions to NWB.")
            raise PoseFileError(
                f"{p} holds no ndx-pose PoseEstimation. Export the poses with DLC2NWB "
                "(dlc2nwb.utils.convert_h5_to_nwb) or SLEAP's NWB export.")
        pes.sort(key=lambda pe: pe.name)
        return _read_pes(pes, p)
    finally:
        io.close()


def _read_pes(pes: list[Any], p: Path) -> Poses:
    ind_names, per_ind, keypoints = _index_individuals(pes, p)
    first = per_ind[0]["pe"].pose_estimation_series[per_ind[0]["series"][0]]
    coords, conf, times = _read_series(per_ind, keypoints, first, p)
    n_frames, dim = coords.shape[0], coords.shape[3]
    if times is None:
        fps, frame_indices = _read_fps(first, n_frames, p)
    else:  # each series its own timestamps: on the union of them
        fps, frame_indices = _timing_of_times(times, n_frames)
    meta = _read_meta(per_ind, ind_names, first, fps, dim, p)
    if dim == 2 and meta.extra.get("image_size_from") == "dimensions":
        _transposed_dimensions(coords, meta, p)
    if len(ind_names) == 1:
        ind_names = ["individual0"]
    poses = Poses(coords=coords, confidence=conf, keypoints=keypoints, individuals=ind_names,
                  frame_indices=frame_indices, meta=meta)
    return poses


def _transposed_dimensions(coords: np.ndarray, meta: PoseMetadata, p: Path) -> None:
    """Take ``dimensions`` as (height, width) where the points say so: ndx-pose writes
    (width, height), and so do DLC2NWB and ndx-pose's examples; other writers put the
    height first. Points beyond the width given but inside it transposed tell."""
    w, h = meta.image_size  # type: ignore[misc]
    if size_transposed(coords, (w, h)):
        x_max = np.nanmax(coords[..., 0])
        meta.image_size = (h, w)
        logger.info("%s: its PoseEstimation dimensions say %dx%d (width x height, as "
                    "ndx-pose writes them) but the points reach x %.0f: read as height x "
                    "width, frames of %dx%d.", p, w, h, x_max, h, w)


def _individual_name(pe: Any, prefix: str | None, n_named: int) -> str:
    name = pe.name
    if name.startswith("track=") and len(name) > len("track="):
        return name[len("track="):]  # sleap-io's export: the track's name, as in the .slp
    if name.startswith("PoseEstimation") and len(name) > len("PoseEstimation"):
        name = name[len("PoseEstimation"):].lstrip("_")
    elif prefix is not None:
        name = prefix
    elif name == "PoseEstimation":
        name = f"individual{n_named}"
    return name


def _index_individuals(
    pes: list[Any], p: Path,
) -> tuple[list[str], list[dict[str, Any]], list[str]]:
    """Names, per-individual series (skeleton order first) and the union of keypoints."""
    ind_names: list[str] = []
    per_ind: list[dict[str, Any]] = []
    keypoints: list[str] = []
    for pe in pes:
        nodes, edges = _skeleton_of(pe)
        series = list(pe.pose_estimation_series.keys())
        if not series:
            raise PoseFileError(
                f"{p}: its PoseEstimation {pe.name} holds no PoseEstimationSeries (no "
                "keypoints). Export the poses again with their series.")
        prefix, kps, nodes = _split_names(series, nodes)
        order = [kps.index(n) for n in nodes if n in kps] + [
            i for i, k in enumerate(kps) if k not in nodes]
        ind_names.append(_individual_name(pe, prefix, len(ind_names)))
        entry = {"pe": pe, "series": [series[i] for i in order],
                 "kps": [kps[i] for i in order], "nodes": nodes, "edges": edges}
        per_ind.append(entry)
        for k in entry["kps"]:
            if k not in keypoints:
                keypoints.append(k)
    for entry in per_ind:
        dupes = duplicate_names(entry["kps"])
        if dupes:
            raise PoseFileError(
                f"{p}: keypoint(s) {', '.join(dupes)} appear more than once in "
                f"{entry['pe'].name}. Rename the PoseEstimationSeries.")
    return ind_names, per_ind, keypoints


def _read_series(
    per_ind: list[dict[str, Any]], keypoints: list[str], first: Any, p: Path,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Coordinates (frames, individuals, keypoints, 2|3), confidence of every series, and
    the frames' times where the series have timestamps of their own (``None`` where they
    share their frames).

    SLEAP's NWB export (sleap-io ``save_nwb``) gives each node the timestamps of the frames
    it was found in: such series are put on the union of their times, NaN where a series
    has no row."""
    data0 = np.asarray(first.data[:])
    n_frames, dim = data0.shape[0], data0.shape[1] if data0.ndim == 2 else 1
    if dim not in (2, 3):
        raise PoseFileError(f"{p}: pose series have {dim} coordinates; expected 2 or 3.")
    rows = []
    for i, entry in enumerate(per_ind):
        for sname, kp in zip(entry["series"], entry["kps"], strict=True):
            s = entry["pe"].pose_estimation_series[sname]
            d = np.asarray(s.data[:], dtype=np.float64)
            if d.ndim != 2 or d.shape[1] != dim:
                raise PoseFileError(
                    f"{p}: series {sname} holds points of shape {d.shape[1:]}, others "
                    f"({dim},): a PoseEstimation's series must all be 2D or all 3D.")
            c = (np.asarray(s.confidence[:], dtype=np.float64) if s.confidence is not None
                 else np.ones(len(d)))
            rows.append((i, keypoints.index(kp), sname, d, c, _series_times(s, len(d))))
    times = None
    t0 = rows[0][5]
    times_differ = t0 is not None and all(t is not None for *_, t in rows) and any(
        not np.array_equal(t, t0) for *_, t in rows)
    if any(len(d) != n_frames for *_, d, _c, _t in rows) or times_differ:
        if any(t is None for *_, t in rows):
            _, _, sname, d, _c, _t = next(r for r in rows if len(r[3]) != n_frames)
            raise PoseFileError(
                f"{p}: series {sname} has {len(d)} rows, others {n_frames}, and no "
                "timestamps of its own to place them by. Export the poses again with one "
                "row per frame in every series.")
        times = np.unique(np.concatenate([t for *_, t in rows]))
        n_frames = len(times)
    coords = np.full((n_frames, len(per_ind), len(keypoints), dim), np.nan)
    conf = np.full((n_frames, len(per_ind), len(keypoints)), np.nan)
    for i, k, _sname, d, c, t in rows:
        at = slice(None) if times is None else np.searchsorted(times, t)
        coords[at, i, k] = d
        conf[at, i, k] = c
    return coords, conf, times


def _series_times(series: Any, n: int) -> np.ndarray | None:
    """A series' own times (s, or frame numbers): its timestamps, or its rate's."""
    if series.timestamps is not None:
        t = np.asarray(series.timestamps[:], dtype=np.float64)
        return t if len(t) == n else None
    if series.rate:
        return float(series.starting_time or 0.0) + np.arange(n) / float(series.rate)
    return None


def _read_fps(first: Any, n_frames: int, p: Path) -> tuple[float | None, np.ndarray]:
    """fps and frame numbers, honouring what dlc-lifter wrote in the series' comments."""
    fps, frame_indices = _timing(first, n_frames)
    comments = str(getattr(first, "comments", "") or "")
    if fps is not None and _FPS_UNKNOWN in comments:
        fps = None  # written by dlc-lifter with rate 1: times are frame numbers
    elif fps == 1.0:  # sleap-io writes rate 1.0 where it does not know the rate
        logger.warning("%s: its series say a rate of 1 frame per second, which writers put "
                       "where they do not know the rate (sleap-io's NWB export): read as "
                       "unknown (the video's frame rate where it is found; else give fps=).",
                       p)
        fps = None
    said = _FPS_SAID.search(comments)
    if said and first.timestamps is not None:  # dlc-lifter, frames skipped: fps stated
        fps = float(said.group(1))
        frame_indices = np.round(np.asarray(first.timestamps[:], np.float64) * fps
                                 ).astype(np.int64)
    return fps, frame_indices


def _read_meta(
    per_ind: list[dict[str, Any]], ind_names: list[str], first: Any, fps: float | None,
    dim: int, p: Path,
) -> PoseMetadata:
    pe0 = per_ind[0]["pe"]
    unit = str(first.unit or "")
    is_mm = unit.lower() in ("mm", "millimeter", "millimeters", "millimetre", "millimetres")
    meta = PoseMetadata(
        source=str(p), source_format="nwb",
        scorer=_scorer_text(pe0), fps=fps,
        units="mm" if is_mm or dim == 3 else "px",
        frame="image" if dim == 2 else _frame_from_text(str(first.reference_frame or "")))
    meta.extra["source_software"] = pe0.source_software
    meta.extra["source_software_version"] = pe0.fields.get("source_software_version")
    meta.extra["reference_frame"] = first.reference_frame
    meta.extra["nwb_unit"] = unit
    meta.extra["nwb_individuals"] = list(ind_names)
    nodes0, edges0 = per_ind[0]["nodes"], per_ind[0]["edges"]
    meta.extra["skeleton_edges"] = [(nodes0[a], nodes0[b]) for a, b in edges0
                                    if a < len(nodes0) and b < len(nodes0)]
    _read_video_fields(pe0, meta, p)
    return meta


def _scorer_text(pe: Any) -> str:
    """The PoseEstimation's scorer; its software where the scorer is a Python dict's text
    (sleap-io writes ``"{'filename': 'labels.slp'}"``)."""
    scorer = str(pe.scorer or "")
    if not scorer or (scorer.startswith("{") and scorer.endswith("}")):
        return str(pe.source_software or scorer or "nwb")
    return scorer


def _read_video_fields(pe0: Any, meta: PoseMetadata, p: Path) -> None:
    """Set ``meta.video`` (resolved next to the NWB file) and ``meta.image_size`` (w, h)."""
    videos = pe0.fields.get("original_videos")
    sv = pe0.fields.get("source_video")
    if sv is not None and getattr(sv, "external_file", None) is not None:
        videos = list(sv.external_file[:])
    if videos is not None and len(videos):
        v = str(videos[0])
        cand = recorded_path(v)  # maybe written on Windows (sleap-io: C:/...)
        # NWB external files are relative to the NWB file's folder
        near = (Path(v) if cand.is_absolute() else
                Path(os.path.normpath(p.parent / Path(str(cand).replace("\\", "/")))))
        for c in (near, Path(v), p.parent / cand.name):
            if c.is_file():
                v = str(c)
                break
        else:
            v = str(near)
        meta.video = v
    dims = pe0.fields.get("dimensions")
    sv_dim = None if sv is None else getattr(sv, "dimension", None)
    if sv_dim is not None and len(sv_dim) >= 2 and np.asarray(sv_dim[:]).ravel().any():
        w, h = (int(x) for x in np.asarray(sv_dim[:])[:2])
        meta.image_size = (w, h)  # ImageSeries.dimension: pixels on x, y (ndx-pose's choice)
    elif dims is not None and len(dims) and np.asarray(dims[:]).ravel().any():
        # ndx-pose's (deprecated) dimensions: "width, height"; some writers put the height
        # first, which the points tell (_transposed_dimensions)
        w, h = (int(x) for x in np.asarray(dims[:])[0][:2])
        meta.image_size = (w, h)
        meta.extra["image_size_from"] = "dimensions"


def _frame_from_text(text: str) -> str:
    for key, desc in _FRAME_TEXT.items():
        if text == desc:
            return key
    return "world"


def _timing(series: Any, n_frames: int) -> tuple[float | None, np.ndarray]:
    rate = series.rate
    if rate:
        start = float(series.starting_time or 0.0)
        first = int(round(start * rate))
        return float(rate), np.arange(first, first + n_frames)
    ts = series.timestamps
    if ts is None:
        return None, np.arange(n_frames)
    return _timing_of_times(np.asarray(ts[:], dtype=np.float64), n_frames)


def _timing_of_times(t: np.ndarray, n_frames: int) -> tuple[float | None, np.ndarray]:
    """fps and frame numbers of frames at times ``t`` (whole numbers: frame numbers)."""
    if t.size and np.allclose(t, np.round(t)) and (t.size < 2 or np.all(np.diff(t) >= 1)):
        logger.info("NWB timestamps are whole numbers: read as frame numbers, fps unknown.")
        return None, np.round(t).astype(np.int64)
    if t.size < 2:
        return None, np.arange(n_frames)
    dt = float(np.median(np.diff(t)))
    if dt <= 0:
        return None, np.arange(n_frames)
    fps = 1.0 / dt
    return fps, np.round(t * fps).astype(np.int64)


def write_nwb_3d(
    poses3d: Poses,
    path: str | Path,
    *,
    overwrite: bool = False,
    skeleton_edges: list[tuple[str, str]] | None = None,
    source_nwb: str | Path | None = None,
    subject: dict[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Path:
    """Write 3D poses as an NWB file with ndx-pose.

    One ``PoseEstimation`` per individual (``PoseEstimation`` for one individual,
    ``PoseEstimation_<individual>`` otherwise) in processing module ``behavior``, one
    ``PoseEstimationSeries`` per keypoint with ``(frames, 3)`` data, unit
    ``millimeters``, a ``reference_frame`` describing the coordinate frame, the
    confidence, and ``rate`` + ``starting_time`` (contiguous frames) or ``timestamps``
    (frames skipped). Times are seconds; when fps is unknown they are frame numbers
    (rate 1, marked ``fps unknown`` in the series' ``comments``). A shared ``Skeleton``
    (nodes = keypoints, edges) sits in a ``Skeletons`` container in the same module.

    When ``meta.video`` is set, the video is an external-file ``ImageSeries``
    ``source_video`` in ``acquisition`` (path relative to the NWB file's folder, as
    NWB asks), linked from every ``PoseEstimation``. Its frame count (``num_samples``)
    and size come from the video when it can be opened, else from the poses (frames
    up to the last tracked one; the description says so).

    The session and the ``Subject`` come from ``metadata`` (what the lab knows: the
    recording's start time, the animal's id...), else from the source NWB, else they are
    filled in and the lift warns: the session starts at the modification time of the
    video (else of the pose file), which is not known to be the recording's; the subject
    is a mouse (``Mus musculus``) named after the individual(s), sex ``U`` (unknown), age
    ``P0D/`` (unknown: zero days or older). Each filled-in field is said in the file
    (the session's ``notes``, the subject's ``description``).

    Parameters
    ----------
    poses3d
        3D poses (mm).
    path
        Output ``.nwb``.
    overwrite
        Replace an existing file.
    skeleton_edges
        Pairs of keypoint names; default ``meta.extra["skeleton_edges"]``.
    source_nwb
        NWB file the 2D poses came from: its session start time, description,
        experimenter and subject are copied.
    subject
        ``pynwb.file.Subject`` fields (``subject_id``, ``species``, ``sex``, ``age``,
        ``date_of_birth``, ``strain``, ``genotype``, ``weight``, ``description``) that
        override the copied or default ones.
    metadata
        Session fields (:data:`NWB_SESSION_FIELDS`: ``session_start_time`` as ISO 8601
        text or a datetime, ``experimenter``, ``lab``, ``institution``...) and a
        ``subject`` mapping, overriding the source NWB's (see
        :func:`read_nwb_metadata`, :func:`nwb_metadata_for`).

    Returns
    -------
    Path
    """
    from ndx_pose import Skeletons

    if not poses3d.is_3d:
        raise ValueError("write_nwb_3d needs 3D poses.")
    out = check_writable(path, overwrite=overwrite)
    m = poses3d.meta
    nwbfile = _new_nwbfile(poses3d, source_nwb, subject, metadata)
    behavior = nwbfile.create_processing_module(
        name="behavior", description="3D poses lifted by dlc-lifter")
    skeleton = _skeleton(poses3d, skeleton_edges)
    behavior.add(Skeletons(skeletons=[skeleton]))
    fi = np.asarray(poses3d.frame_indices, dtype=np.int64)
    rate = float(m.fps) if m.fps else 1.0  # fps unknown: times are frame numbers
    if not m.fps:
        logger.warning("%s: the frame rate is unknown, so the NWB's times are frame numbers "
                       "(a rate of 1 per second, said in each series' comments); tools that "
                       "read NWB (movement, pynwb) take them as seconds. Lift with the video, "
                       "or give fps=, for times in seconds.", out)
    source_video = None
    if m.video and Path(m.video).is_file():
        source_video = _source_video(m, fi, rate, out)
        nwbfile.add_acquisition(source_video)
    elif m.video:  # a link to nothing is a broken file to NWB's checks (and DANDI's)
        logger.info("%s: the video %s is not there, so the NWB file does not link it.", out,
                    m.video)
    for pe in _pose_estimations_3d(poses3d, fi, rate, skeleton, source_video):
        behavior.add(pe)
    from pynwb import NWBHDF5IO

    with atomic_output(out, overwrite=overwrite) as tmp:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            with NWBHDF5IO(str(tmp), "w") as io:
                io.write(nwbfile)
    logger.info("Wrote 3D poses (NWB) to %s", out)
    return out


def _new_nwbfile(poses3d: Poses, source_nwb: str | Path | None,
                 subject: dict[str, Any] | None,
                 metadata: Mapping[str, Any] | None = None) -> Any:
    """An empty ``NWBFile`` with the session and subject of ``metadata``, else of
    ``source_nwb``, else filled in (and said)."""
    from pynwb import NWBFile
    from pynwb.file import Subject

    m = poses3d.meta
    session_kw: dict[str, Any] = {
        "session_description": f"3D poses lifted by dlc-lifter from {_source_name(m)}"}
    subject_kw: dict[str, Any] = {}
    if source_nwb is not None:
        src = check_input_file(source_nwb)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            io = _quiet_io(src, "r")
            try:
                s = io.read()
                session_kw["session_start_time"] = s.session_start_time
                session_kw["session_description"] = s.session_description
                for key in NWB_SESSION_FIELDS:
                    value = getattr(s, key, None)
                    if key not in session_kw and value is not None and len(str(value)):
                        session_kw[key] = list(value) if isinstance(value, tuple) else value
                if s.subject is not None:
                    subject_kw = {k: getattr(s.subject, k, None) for k in _SUBJECT_FIELDS}
            finally:
                io.close()
    given = dict(metadata or {})
    subject_kw.update(given.pop("subject", None) or {})
    session_kw.update({k: v for k, v in given.items() if v is not None})
    subject_kw.update(subject or {})
    filled: list[str] = []
    if session_kw.get("session_start_time") is None:
        when, origin = _start_guess(m)
        session_kw["session_start_time"] = when
        filled.append(f"session_start_time ({origin})")
    else:
        session_kw["session_start_time"] = _as_datetime(session_kw["session_start_time"])
    if isinstance(session_kw.get("experimenter"), str):
        session_kw["experimenter"] = [session_kw["experimenter"]]
    subject_fields, subject_filled = _subject_fields(subject_kw, poses3d)
    filled += [f"subject {f}" for f in subject_filled]
    if filled:
        note = ("Not recorded with the poses; dlc-lifter filled in " + "; ".join(filled)
                + ". Give the recording's with --nwb-metadata (OutputSpec.nwb_metadata).")
        session_kw["notes"] = (f"{session_kw['notes']} {note}" if session_kw.get("notes")
                               else note)
        lacking = [what for what, field in (("start time", "session_start_time"),
                                            ("subject id", "subject subject_id"))
                   if any(f.startswith(field) for f in filled)]
        if lacking:
            logger.warning("%s: NWB output without the recording's %s: filled in (%s). Give "
                           "them with --nwb-metadata FILE.yaml (session_start_time:, subject: "
                           "subject_id:; docs/formats.md) before sharing it (DANDI files it "
                           "by them).", _source_name(m), " and ".join(lacking),
                           "; ".join(filled))
    return NWBFile(identifier=str(uuid.uuid4()), subject=Subject(**subject_fields),
                   **session_kw)


#: Session fields of an NWB file that ``metadata=`` (``--nwb-metadata``) may set.
NWB_SESSION_FIELDS = ("session_start_time", "session_description", "session_id",
                      "experimenter", "lab", "institution", "experiment_description",
                      "keywords", "related_publications", "protocol", "notes")


def _source_name(m: PoseMetadata) -> str:
    return Path(str(m.source)).name if m.source else "memory"


def _start_guess(m: PoseMetadata) -> tuple[datetime, str]:
    """The session start an NWB file needs where nobody gave it: the modification time of
    the video, else of the pose file, else now; and where it came from."""
    for what, path in (("video", m.video), ("pose file", m.source)):
        if path and Path(str(path)).is_file():
            t = datetime.fromtimestamp(Path(str(path)).stat().st_mtime, timezone.utc)
            return t, (f"the {what}'s modification time, {t.isoformat(timespec='seconds')}, "
                       "not known to be the recording's")
    t = datetime.now(timezone.utc)
    return t, f"the time of writing, {t.isoformat(timespec='seconds')}"


def _as_datetime(value: Any) -> datetime:
    """A session start as NWB takes it: timezone-aware (naive times are this machine's
    local time)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ConfigError(f"session_start_time {value!r} is not an ISO 8601 time; write "
                              "e.g. 2021-06-10T12:23:32+02:00.") from None
    elif not isinstance(value, datetime):  # a YAML date without a time
        import datetime as _dt

        if isinstance(value, _dt.date):
            value = datetime(value.year, value.month, value.day)
        else:
            raise ConfigError(f"session_start_time must be a time; got {value!r}.")
    return value if value.tzinfo is not None else value.astimezone()


def read_nwb_metadata(source: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """The NWB session and subject metadata of a YAML or JSON file (or a mapping), checked.

    Top-level keys are :data:`NWB_SESSION_FIELDS`, ``subject`` (``pynwb.file.Subject``
    fields) and ``recordings``: per recording (keyed by the pose file's or the video's
    name or stem, or by its last folders with it, ``day1/predictions``, where sessions'
    files share a name) the same keys, overriding the shared ones
    (:func:`nwb_metadata_for`)::

        experimenter: ["Doe, Jane"]
        lab: Behaviour lab
        institution: Some University
        subject: {species: Mus musculus, strain: C57BL/6J}
        recordings:
          mouse1DLC_resnet50_openfieldAug20shuffle1_30000:
            session_start_time: 2021-06-10T12:23:32+02:00
            subject: {subject_id: m1, sex: F, age: P70D}

    Raises
    ------
    ConfigError
        For a file that cannot be read, or unknown keys (named, with the known ones).
    """
    import yaml

    if isinstance(source, Mapping):
        raw: Any = dict(source)
        where = "nwb_metadata"
    else:
        where = str(source)
        p = Path(source)
        if not p.is_file():
            raise ConfigError(f"NWB metadata file {p} does not exist. Pass a YAML file "
                              "(docs/formats.md, 'NWB metadata').")
        try:
            raw = yaml.safe_load(p.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise ConfigError(f"NWB metadata file {p} is not valid YAML/JSON: {exc}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"NWB metadata {where} must be a mapping of fields; got "
                          f"{type(raw).__name__}.")
    out = _checked_fields(raw, where)
    recs = raw.get("recordings") or {}
    if not isinstance(recs, Mapping):
        raise ConfigError(f"NWB metadata {where}: 'recordings' must map recording names to "
                          "their fields.")
    out["recordings"] = {str(k): _checked_fields(v or {}, f"{where}, recording {k}")
                         for k, v in recs.items()}
    return out


def _checked_fields(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"NWB metadata {where} must be a mapping of fields.")
    known = {*NWB_SESSION_FIELDS, "subject", "recordings"}
    bad = sorted(str(k) for k in raw if k not in known)
    if bad:
        raise ConfigError(f"NWB metadata {where}: unknown field(s) {', '.join(bad)}; the "
                          f"fields are {', '.join(NWB_SESSION_FIELDS)} and subject "
                          f"({', '.join(_SUBJECT_FIELDS)}), per recording under recordings.")
    out = {k: v for k, v in raw.items() if k in NWB_SESSION_FIELDS}
    if "session_start_time" in out and out["session_start_time"] is not None:
        out["session_start_time"] = _as_datetime(out["session_start_time"])
    subject = raw.get("subject") or {}
    if not isinstance(subject, Mapping):
        raise ConfigError(f"NWB metadata {where}: subject must be a mapping of fields.")
    bad = sorted(str(k) for k in subject if k not in _SUBJECT_FIELDS)
    if bad:
        raise ConfigError(f"NWB metadata {where}: unknown subject field(s) {', '.join(bad)}; "
                          f"use {', '.join(_SUBJECT_FIELDS)}.")
    if subject:
        out["subject"] = dict(subject)
    return out


def nwb_metadata_for(metadata: Mapping[str, Any] | None, *names: str | Path | None
                     ) -> dict[str, Any] | None:
    """The metadata of one recording: the shared fields of :func:`read_nwb_metadata`'s
    result with those of the first of ``names`` (the pose file, the video) listed under
    ``recordings``: by the longest key that ends its path (``day1/predictions`` before
    ``predictions``; the last part its name or stem, or the video's stem its name carries:
    ``m12_day1`` for ``m12_day1DLC_resnet50_...h5``, its video not here)."""
    if not metadata:
        return None
    shared = {k: v for k, v in metadata.items() if k != "recordings"}
    recs = metadata.get("recordings") or {}
    for name in (n for n in names if n):
        key = _recording_key(recs, Path(str(name)).absolute())
        own = recs[key] if key is not None else None
        if own:
            merged = {**shared, **{k: v for k, v in own.items() if k != "subject"}}
            merged["subject"] = {**shared.get("subject", {}), **own.get("subject", {})}
            return merged
    return shared


def _recording_key(recs: Mapping[str, Any], path: Path) -> str | None:
    """The key of ``recs`` that ends ``path`` with most parts (an empty entry too)."""
    best, parts = None, 0
    for key in recs:
        k = _key_parts(key)
        if len(k) > parts and _names(k, path):
            best, parts = key, len(k)
    return best


def _key_parts(key: Any) -> tuple[str, ...]:
    return Path(str(key).replace("\\", "/")).parts


def _names(key: tuple[str, ...], path: Path) -> bool:
    """Whether a key's parts end ``path``: its last folders, then its name, stem or the
    video's stem its name carries."""
    if not key or len(key) > len(path.parts):
        return False
    head, last = path.parts[-len(key):-1], path.parts[-1]
    return tuple(head) == key[:-1] and key[-1] in (last, Path(last).stem, video_stem_of(last))


def unmatched_recordings(metadata: Mapping[str, Any] | None,
                         names: Iterable[str | Path | None]) -> dict[str, list[str]]:
    """The ``recordings`` keys of :func:`read_nwb_metadata`'s result that name none of
    ``names`` (the pose files and videos of a batch, as :func:`nwb_metadata_for` is given
    them), each with the nearest recordings (a typo's likely target; none where nothing is
    near): the video stems their names carry (``m12_day1`` for
    ``m12_day1DLC_resnet50_...h5``), compared with the key's.

    Examples
    --------
    >>> unmatched_recordings({"recordings": {"m1": {}, "mouse_02": {}}},
    ...                      ["/data/m1DLC_resnet50_oftMay9shuffle1_1030000.h5",
    ...                       "/data/mouse_2DLC_resnet50_oftMay9shuffle1_1030000.h5"])
    {'mouse_02': ['mouse_2']}
    """
    recs = (metadata or {}).get("recordings") or {}
    paths = [Path(str(n)).absolute() for n in dict.fromkeys(n for n in names if n)]
    stems = list(dict.fromkeys(video_stem_of(p) for p in paths))
    out = {}
    for key in recs:
        k = _key_parts(key)
        if not any(_names(k, p) for p in paths):
            # a DeepLabCut output's stem shares its scorer with every other: compared
            # without it
            out[str(key)] = difflib.get_close_matches(video_stem_of(k[-1] if k else key),
                                                      stems, n=2, cutoff=0.75)
    return out


def nwb_metadata_record(metadata: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """What a lift's record keeps of the NWB metadata an NWB output was written with
    (:func:`nwb_metadata_for`'s result): the same fields in plain values (times as ISO
    8601 text, sequences as lists), equal for equal metadata; ``None`` for none."""
    def plain(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, Mapping):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        return value

    return None if not metadata else plain(metadata)


def _skeleton(poses3d: Poses, skeleton_edges: list[tuple[str, str]] | None) -> Any:
    from ndx_pose import Skeleton

    m = poses3d.meta
    edges_names = skeleton_edges if skeleton_edges is not None else m.extra.get(
        "skeleton_edges") or []
    kps = list(poses3d.keypoints)
    edges = np.array([[kps.index(a), kps.index(b)] for a, b in edges_names
                      if a in kps and b in kps], dtype=np.uint8).reshape(-1, 2)
    return Skeleton(name="skeleton", nodes=kps, edges=edges)


def _series_timing(m: PoseMetadata, fi: np.ndarray, rate: float) -> tuple[dict[str, Any], str]:
    """``rate`` + ``starting_time`` or ``timestamps`` (s), and the series' comments."""
    contiguous = fi.size > 0 and np.array_equal(fi, np.arange(fi[0], fi[0] + fi.size))
    timing: dict[str, Any]
    if contiguous:
        timing = {"rate": rate, "starting_time": float(fi[0]) / rate}
    else:
        timing = {"timestamps": fi / rate}
    if not m.fps:
        comments = f"{_FPS_UNKNOWN}: times are frame numbers (rate 1 frame per second)."
    elif contiguous:
        comments = "no comments"
    else:
        comments = f"video fps: {float(m.fps)!r}; timestamps are frame number / fps."
    return timing, comments


def _compressed(data: np.ndarray) -> Any:
    """``data`` to be written compressed (gzip after byte shuffling: a real open field's
    lift is about 30 % smaller); HDF5 readers (pynwb, movement) read it as any dataset."""
    from hdmf.backends.hdf5.h5_utils import H5DataIO

    return (H5DataIO(data, compression="gzip", compression_opts=4, shuffle=True) if len(data)
            else data)


def _pose_estimations_3d(poses3d: Poses, fi: np.ndarray, rate: float, skeleton: Any,
                         source_video: Any) -> list[Any]:
    """One ``PoseEstimation`` per individual; later series share the first's timestamps."""
    from ndx_pose import PoseEstimation, PoseEstimationSeries

    m = poses3d.meta
    kps = list(poses3d.keypoints)
    timing, comments = _series_timing(m, fi, rate)
    ref = _FRAME_TEXT.get(m.frame, f"dlc-lifter frame '{m.frame}', units {m.units}.")
    camera = m.extra.get("camera")
    description = (f"3D keypoints in {m.units} lifted from one camera by dlc-lifter; "
                   f"source {_source_name(m)}; frame {m.frame}.{_provenance(m)}")
    if not m.fps:
        description += f" {_FPS_UNKNOWN}: times are frame numbers."
    if camera is not None:
        description += f" Camera: {camera}."
    imputed = m.extra.get("imputed")
    if imputed is not None and np.shape(imputed) != poses3d.confidence.shape:
        imputed = None
    first_series: Any = None
    pes = []
    for i, ind in enumerate(poses3d.individuals):
        series = []
        for k, kp in enumerate(kps):
            kw = dict(timing) if first_series is None or "rate" in timing else {
                "timestamps": first_series}
            s = PoseEstimationSeries(
                name=kp, description=_series_text(kp, None if imputed is None
                                                  else np.asarray(imputed)[:, i, k]),
                data=_compressed(np.asarray(poses3d.coords[:, i, k], dtype=np.float64)),
                unit=_NWB_UNITS.get(m.units, m.units), reference_frame=ref, comments=comments,
                confidence=_compressed(np.asarray(poses3d.confidence[:, i, k],
                                                  dtype=np.float64)),
                confidence_definition=_CONFIDENCE_TEXT, **kw)
            if first_series is None:
                first_series = s
            series.append(s)
        name = "PoseEstimation" if poses3d.n_individuals == 1 else f"PoseEstimation_{ind}"
        pes.append(PoseEstimation(
            name=name, pose_estimation_series=series, description=description,
            scorer=str(m.scorer), source_software="dlc-lifter",
            source_software_version=__version__ + (
                f" (git {commit})" if (commit := code_commit()) else ""), skeleton=skeleton,
            source_video=source_video))
    return pes


_CONFIDENCE_TEXT = ("The 2D tracker's score of the keypoint (DeepLabCut's likelihood, in "
                    "[0, 1]; SLEAP's point scores can pass 1); 0 where dlc-lifter imputed "
                    "the point (not tracked, below the likelihood cutoff, or set aside as a "
                    "mistrack): its position is the lifter's estimate.")


def _series_text(kp: str, imputed: np.ndarray | None) -> str:
    """A series' description, saying where its points were imputed rather than tracked."""
    text = f"3D position of {kp}"
    if imputed is None or not imputed.any():
        return text + "."
    if imputed.all():
        return (text + ", imputed by dlc-lifter in every frame (not tracked: the lifter's "
                "estimate from the other keypoints; confidence 0).")
    share = 100 * imputed.mean()
    where = (f"{share:.0f} % of frames" if share >= 1 else  # not "0 %"
             f"{int(imputed.sum())} of {imputed.size} frames")
    return f"{text}; imputed by dlc-lifter in {where} (confidence 0 there)."


def _provenance(m: PoseMetadata) -> str:
    """What the lift used, in a sentence: the weights, the mode, the camera, depth."""
    parts = []
    model = m.extra.get("model")
    if isinstance(model, Mapping):
        parts.append(f"weights {model.get('name')} (sha256 {model.get('sha256')})")
    mode = m.extra.get("lift_mode")
    if isinstance(mode, Mapping) and mode.get("summary"):
        parts.append(str(mode["summary"]))
    if m.extra.get("camera_source"):
        parts.append(f"camera from {m.extra['camera_source']}")
    depth = m.extra.get("depth")  # set by the depth path only
    if isinstance(depth, Mapping) and depth.get("used"):
        parts.append("depth cues read from the video")
    elif parts:
        parts.append("from the keypoints only (no depth cues)")
    return (" Lifted with " + "; ".join(parts) + ".") if parts else ""


_SUBJECT_FIELDS = ("subject_id", "species", "sex", "age", "date_of_birth", "strain",
                   "genotype", "weight", "description")


def _subject_fields(given: dict[str, Any], poses3d: Poses
                    ) -> tuple[dict[str, Any], list[str]]:
    """Subject fields: the given ones, with what NWB requires filled in when missing; and
    what was filled in."""
    kw = {k: v for k, v in given.items() if v is not None and v != ""}
    bad = sorted(set(kw) - set(_SUBJECT_FIELDS))
    if bad:
        raise ValueError(f"Unknown Subject field(s) {', '.join(bad)}; use "
                         f"{', '.join(_SUBJECT_FIELDS)}.")
    filled = []
    if kw.get("subject_id") is None:
        kw["subject_id"] = "+".join(str(i) for i in poses3d.individuals)
        filled.append("subject_id (the individual names)")
    kw["subject_id"] = str(kw["subject_id"]).replace("/", "-")
    if kw.get("species") is None:
        kw["species"] = _SPECIES
        filled.append(f"species ({_SPECIES}: dlc-lifter lifts mouse poses)")
    if kw.get("sex") is None:
        kw["sex"] = "U"
        filled.append("sex (U: unknown)")
    if kw.get("age") is None and kw.get("date_of_birth") is None:
        kw["age"] = "P0D/"
        filled.append("age (P0D/: unknown, zero days or older)")
    if filled and "description" not in kw:
        kw["description"] = ("Not recorded; dlc-lifter filled in " + "; ".join(filled)
                             + ". Individuals in the poses: "
                             + ", ".join(str(i) for i in poses3d.individuals) + ".")
    return kw, filled


def _video_count(m: PoseMetadata, fi: np.ndarray) -> tuple[int, tuple[int, int] | None, bool]:
    """Frame count and size of ``m.video``; from the video, else from the poses.

    Returns ``(n_frames, (width, height) or None, exact)``.
    """
    from dlc_lifter.errors import VideoError
    from dlc_lifter.io.video import video_info

    size = tuple(int(v) for v in m.image_size) if m.image_size else None
    try:
        info = video_info(m.video)  # type: ignore[arg-type]
    except (VideoError, OSError, ImportError) as exc:
        logger.info("NWB source video: %s; its frame count is taken from the poses.", exc)
        info = None
    if info is not None:
        size = size or tuple(int(v) for v in info["size"])
        if int(info["n_frames"]) > 0:
            return int(info["n_frames"]), size, True  # type: ignore[return-value]
    n = int(fi.max()) + 1 if fi.size else 0
    return n, size, False  # type: ignore[return-value]


def _source_video(m: PoseMetadata, fi: np.ndarray, rate: float, out: Path) -> Any:
    """External-file ``ImageSeries`` of the video the 2D poses were estimated on."""
    from hdmf.utils import get_docval
    from pynwb.image import ImageSeries

    n, size, exact = _video_count(m, fi)
    video = os.path.abspath(str(m.video))
    try:  # NWB wants external files relative to the NWB file
        ext = os.path.relpath(video, os.path.abspath(out.parent))
    except ValueError:  # another drive (Windows)
        ext = video
    desc = "The video the 2D poses were estimated on (external file, relative to this file)."
    if not exact:
        desc += (f" Its frame count could not be read; num_samples ({n}) counts the frames "
                 "up to the last tracked one.")
    if not m.fps:
        desc += f" {_FPS_UNKNOWN}: times are frame numbers."
    kw: dict[str, Any] = {}
    names = {d["name"] for d in get_docval(ImageSeries.__init__)}
    if "num_samples" in names:  # pynwb >= 4: needed with external_file and rate
        kw["num_samples"] = n
    if size is not None:
        kw["dimension"] = [int(size[0]), int(size[1])]
    return ImageSeries(
        name="source_video", description=desc, external_file=[ext], format="external",
        starting_frame=[0], rate=rate, starting_time=0.0, unit="n.a.", **kw)


