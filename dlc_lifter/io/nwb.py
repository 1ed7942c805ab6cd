"""NWB files with ndx-pose ``PoseEstimation`` (e.g. DLC2NWB output): reading 2D/3D, writing 3D."""

from __future__ import annotations

import logging
import os
import re
import uuid
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from dlc_lifter._atomic import atomic_output, check_writable
from dlc_lifter._version import __version__
from dlc_lifter.errors import PoseFileError
from dlc_lifter.io._common import check_input_file, duplicate_names, recorded_path
from dlc_lifter.poses import PoseMetadata, Poses

__all__ = ["read_nwb", "write_nwb_3d"]

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
    xy = coords[..., :2].reshape(-1, 2)
    xy = xy[np.isfinite(xy).all(-1)]
    if not len(xy) or w == h:
        return
    x_max, y_max = xy[:, 0].max(), xy[:, 1].max()
    fits = (x_max <= w and y_max <= h)
    if not fits and x_max <= h and y_max <= w:
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

    The file always has a ``Subject``: the source NWB's when there is one, else a
    mouse (``Mus musculus``) named after the individual(s), sex ``U`` (unknown), age
    ``P0D/`` (unknown: zero days or older); ``subject`` overrides any field.

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

    Returns
    -------
    Path
    """
    from ndx_pose import Skeletons

    if not poses3d.is_3d:
        raise ValueError("write_nwb_3d needs 3D poses.")
    out = check_writable(path, overwrite=overwrite)
    m = poses3d.meta
    nwbfile = _new_nwbfile(poses3d, source_nwb, subject)
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
    if m.video:
        source_video = _source_video(m, fi, rate, out)
        nwbfile.add_acquisition(source_video)
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
                 subject: dict[str, Any] | None) -> Any:
    """An empty ``NWBFile`` with the session and subject of ``source_nwb`` (or defaults)."""
    from pynwb import NWBFile
    from pynwb.file import Subject

    m = poses3d.meta
    session_kw: dict[str, Any] = {
        "session_description": f"3D poses lifted by dlc-lifter from {m.source or 'memory'}",
        "session_start_time": datetime.now(timezone.utc),
    }
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
                if s.experimenter:
                    session_kw["experimenter"] = list(s.experimenter)
                if s.subject is not None:
                    subject_kw = {k: getattr(s.subject, k, None) for k in _SUBJECT_FIELDS}
            finally:
                io.close()
    subject_kw.update(subject or {})
    return NWBFile(identifier=str(uuid.uuid4()),
                   subject=Subject(**_subject_fields(subject_kw, poses3d)), **session_kw)


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
                   f"source {m.source}; frame {m.frame}.")
    if not m.fps:
        description += f" {_FPS_UNKNOWN}: times are frame numbers."
    if camera is not None:
        description += f" Camera: {camera}."
    first_series: Any = None
    pes = []
    for i, ind in enumerate(poses3d.individuals):
        series = []
        for k, kp in enumerate(kps):
            kw = dict(timing) if first_series is None or "rate" in timing else {
                "timestamps": first_series}
            s = PoseEstimationSeries(
                name=kp, description=f"3D position of {kp}",
                data=np.asarray(poses3d.coords[:, i, k], dtype=np.float64),
                unit=_NWB_UNITS.get(m.units, m.units), reference_frame=ref, comments=comments,
                confidence=np.asarray(poses3d.confidence[:, i, k], dtype=np.float64),
                confidence_definition="dlc-lifter confidence in [0, 1] (the 2D likelihood "
                                      "unless the lifter changed it)", **kw)
            if first_series is None:
                first_series = s
            series.append(s)
        name = "PoseEstimation" if poses3d.n_individuals == 1 else f"PoseEstimation_{ind}"
        pes.append(PoseEstimation(
            name=name, pose_estimation_series=series, description=description,
            scorer=str(m.scorer), source_software="dlc-lifter",
            source_software_version=__version__, skeleton=skeleton,
            source_video=source_video))
    return pes


_SUBJECT_FIELDS = ("subject_id", "species", "sex", "age", "date_of_birth", "strain",
                   "genotype", "weight", "description")


def _subject_fields(given: dict[str, Any], poses3d: Poses) -> dict[str, Any]:
    """Subject fields: the given ones, with what NWB requires filled in when missing."""
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
    return kw


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


