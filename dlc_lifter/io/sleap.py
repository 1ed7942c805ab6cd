"""SLEAP files: ``.slp`` labels / predictions (2D, and 3D via sessions), analysis ``.h5``
and sleap-anipose's 3D ``points3d.h5``.

One module although long: the analysis ``.h5`` reader must tell a ``points3d.h5`` apart
(both are HDF5 with ``node_names``), and the ``points3d.h5`` reader and writer use the
name and edge helpers of the other two, so the formats would import each other if split.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from dlc_lifter._atomic import atomic_output, check_writable
from dlc_lifter.errors import PoseFileError
from dlc_lifter.io._common import (
    check_input_file,
    duplicate_names,
    h5_layout,
    recorded_path,
    resolve_recorded_video,
    video_stem_of,
)
from dlc_lifter.poses import PoseMetadata, Poses

if TYPE_CHECKING:
    import h5py

__all__ = [
    "POINTS3D_DESCRIPTION",
    "is_sleap_analysis_h5",
    "is_sleap_points3d_h5",
    "sleap_labels_problem",
    "read_points3d",
    "read_sleap_analysis_h5",
    "read_slp",
    "sleap_video_count",
    "sleap_video_stem",
    "sleap_videos",
    "video_name_stem",
    "write_points3d",
    "write_sleap_analysis_3d",
    "write_slp_3d",
]

logger = logging.getLogger(__name__)


def _check_names(names: list[str], path: Path, what: str) -> None:
    dupes = duplicate_names(names)
    if dupes:
        raise PoseFileError(
            f"{path}: {what} {', '.join(dupes)} appear more than once. Rename them in the "
            "SLEAP skeleton so every name is unique.")


# ----------------------------------------------------------------------------- .slp
def _load_labels(p: Path) -> Any:
    import sleap_io as sio

    try:
        return sio.load_slp(str(p), open_videos=False)
    except Exception as exc:  # noqa: BLE001 - sleap-io raises many kinds
        raise PoseFileError(
            f"{p} cannot be read by sleap-io ({type(exc).__name__}: {exc}). Check that it "
            "is a complete SLEAP .slp file (re-save it from SLEAP).") from None


def _video_name(video: Any) -> str:
    """A SLEAP video's file name (the first image's for an image sequence; for frames
    embedded in a labels package, the video they came from, as recorded: the package's
    own name would name each of its videos alike)."""
    source = getattr(video, "source_video", None)
    if source is not None and _embedded(video):
        return _video_name(source)
    fname = video.filename
    if isinstance(fname, list):
        return str(fname[0]) if fname else ""
    return str(fname)


def _videos_used(labels: Any) -> list[Any]:
    """The file's videos that have labelled or predicted frames, in its order."""
    seen = {id(lf.video) for lf in labels.labeled_frames}
    return [v for v in labels.videos if id(v) in seen]


def video_name_stem(name: str) -> str:
    """The stem of a video's file name as SLEAP records it (Windows paths too)."""
    return recorded_path(name).stem


def _video_index(names: list[str], p: Path, video: int | str | None) -> int:
    """Which of a file's videos with frames (``names``, in its order) ``video`` means: its
    position, file name or stem; ``None``: the first (warned where there are several)."""
    if not names:
        raise PoseFileError(f"{p} holds no labelled or predicted frames.")
    listed = ", ".join(f"{i}: {n}" for i, n in enumerate(names))
    if video is None:
        if len(names) > 1:
            logger.warning("%s holds poses for %d videos (%s); reading only the first. Lift "
                           "another with sleap_video= (--sleap-video, its number or name); "
                           "lift-files lifts each.", p, len(names), listed)
        return 0
    if isinstance(video, (int, np.integer)) or str(video).isdigit():
        k = int(video)
        if not 0 <= k < len(names):
            raise PoseFileError(f"{p} has no video {k}; its videos with poses are {listed}.")
        return k
    want = str(video)
    hits = [k for k, n in enumerate(names)
            if want in (n, recorded_path(n).name, video_name_stem(n))]
    if len(hits) > 1:  # two folders' video.avi, or a .pkg.slp's embedded videos
        raise PoseFileError(f"{p}: {len(hits)} of its videos are named {want!r} ({listed}); "
                            "give the video's number.")
    if hits:
        return hits[0]
    raise PoseFileError(f"{p} has no video {want!r}; its videos with poses are {listed}.")


def video_stems(names: list[str]) -> list[str]:
    """One output stem per video (``names``, in the file's order): the file name's stem;
    where several videos share it, with their folder's name (``video_day1``), else with
    their number (``data.pkg_1``: a ``.pkg.slp``'s videos all carry the package's name)."""
    stems = [video_name_stem(n) for n in names]
    folders = [recorded_path(n).parent.name for n in names]
    out = []
    for k, stem in enumerate(stems):
        same = [j for j, s in enumerate(stems) if s == stem]
        if len(same) == 1:
            out.append(stem)
        elif folders[k] and [folders[j] for j in same].count(folders[k]) == 1:
            out.append(f"{stem}_{folders[k]}")
        else:
            out.append(f"{stem}_{k}")
    return out


def _pick_video(labels: Any, p: Path, video: int | str | None = None) -> Any:
    used = _videos_used(labels)
    return used[_video_index([_video_name(v) for v in used], p, video)]


def _used_video_names(p: Path) -> list[str]:
    """The file names of a ``.slp``'s videos with frames, in its order, read from its video
    and frame tables alone (no labels loaded: cheap for a long predictions file; separators
    as sleap-io gives them); through sleap-io where those tables are not as SLEAP writes
    them for video files (image sequences, videos embedded in the file)."""
    import json

    import h5py

    try:
        with h5py.File(p, "r") as fh:
            backends = [json.loads(v).get("backend") or {} for v in fh["videos_json"][:]]
            ids = np.unique(fh["frames"].fields(["video"])[:]["video"])
        names = [backends[int(i)].get("filename") for i in ids]
        if all(isinstance(n, str) and n not in ("", ".") for n in names):
            return [n.replace("\\", "/") for n in names]
    except (OSError, KeyError, ValueError, TypeError, IndexError, AttributeError):
        pass
    return [_video_name(v) for v in _videos_used(_load_labels(p))]


def sleap_videos(path: str | Path) -> list[str]:
    """The videos of a SLEAP ``.slp`` that hold labelled or predicted frames, in its order
    (file names; pass one, or its position, as ``sleap_video``). Cheap: the labels are not
    loaded."""
    return _used_video_names(check_input_file(path))


def sleap_video_count(path: str | Path) -> int:
    """How many videos of a SLEAP ``.slp`` hold frames (:func:`sleap_videos`)."""
    return len(sleap_videos(path))


def sleap_video_stem(path: str | Path, video: int | str) -> str:
    """The stem of the file name of a SLEAP ``.slp``'s video ``video`` (as ``read_slp``
    picks it; Windows paths too), for output names, told apart from the file's other
    videos of the same name (:func:`video_stems`); the labels are not loaded."""
    p = check_input_file(path)
    names = _used_video_names(p)
    return video_stems(names)[_video_index(names, p, video)]


def _video_meta(video: Any, p: Path, meta: PoseMetadata) -> None:
    if _embedded(video):
        _embedded_video_meta(video, p, meta)
        return
    fname = video.filename if isinstance(video.filename, str) else None
    if fname is None and isinstance(video.filename, list) and video.filename:
        fname = str(video.filename[0])  # image sequence
    meta.video = None if _is_labels_file(fname) else resolve_recorded_video(fname, p)
    bm = getattr(video, "backend_metadata", None) or {}
    fps = bm.get("fps")
    if fps:
        meta.fps = float(fps)
    shape = _points_frame_shape(bm)
    if shape is not None and len(shape) >= 3:
        meta.image_size = (int(shape[2]), int(shape[1]))


def _points_frame_shape(bm: dict[str, Any]) -> Any:
    """The ``(frames, height, width, channels)`` of the frame a video's points are in: a
    sleap-io virtual crop (``crop`` in its metadata) keeps its points in the source video's
    frame, so the source's shape, not the crop's."""
    if bm.get("crop") is not None and bm.get("source_shape") is not None:
        return bm["source_shape"]
    return bm.get("shape")


#: ``meta.extra`` key of a file whose frames are images embedded in a ``.slp`` (a SLEAP
#: labels package, ``.pkg.slp``): ``{"file", "dataset", "source_video",
#: "source_is_labels"}`` (the last: the recorded source is itself a SLEAP labels file, as
#: SLEAP records when a package is exported from a project opened from a package).
EMBEDDED = "embedded_images"


def _is_labels_file(name: str | None) -> bool:
    """Whether a recorded video name is a SLEAP labels file (``.slp``, ``.pkg.slp``): its
    frames are images in an HDF5 file, no video OpenCV opens."""
    return bool(name) and Path(str(name)).suffix.lower() == ".slp"


def _embedded(video: Any) -> bool:
    """Whether a SLEAP video is frames embedded in an ``.slp`` (a labels package), not a
    video file: sleap-io marks them, SLEAP 1.x recorded the video they came from."""
    bm = getattr(video, "backend_metadata", None) or {}
    return bool(bm.get("has_embedded_images")) or (
        bool(bm.get("dataset")) and getattr(video, "source_video", None) is not None)


def _embedded_video_meta(video: Any, p: Path, meta: PoseMetadata) -> None:
    """Metadata of frames embedded in a ``.slp``: the video they came from where it is on
    this machine (as recorded, or beside the file by its name; a labeller's path elsewhere
    is not the video), the frame size from the embedded images."""
    bm = getattr(video, "backend_metadata", None) or {}
    source = getattr(video, "source_video", None)
    sbm = (getattr(source, "backend_metadata", None) or {}) if source is not None else {}
    name = None if source is None else _video_name(source)
    labels_source = _is_labels_file(name)
    found = resolve_recorded_video(name, p) if name and not labels_source else None
    meta.video = found if found and Path(found).is_file() else None
    fps = bm.get("fps") or sbm.get("fps")
    if fps:
        meta.fps = float(fps)
    dataset = str(bm.get("dataset"))
    meta.image_size = _embedded_size(Path(str(video.filename)), dataset,
                                     _points_frame_shape(bm), sbm.get("shape"))
    meta.extra[EMBEDDED] = {"file": str(video.filename), "dataset": dataset,
                            "source_video": name, "source_is_labels": labels_source}


def _embedded_size(h5: Path, dataset: str, shape: Any, source_shape: Any
                   ) -> tuple[int, int] | None:
    """``(width, height)`` of images embedded in ``h5``: the shape sleap-io records, the
    dataset's ``width``/``height`` (SLEAP 1.x), the first image, the source video's."""
    if shape is not None and len(shape) >= 3:
        return int(shape[2]), int(shape[1])
    import h5py

    try:
        with h5py.File(h5, "r") as fh:
            ds = fh[dataset]
            if "width" in ds.attrs and "height" in ds.attrs:
                return int(ds.attrs["width"]), int(ds.attrs["height"])
            if ds.ndim == 2 and len(ds):  # encoded images (png / jpg bytes), one a row
                import cv2

                img = cv2.imdecode(np.asarray(ds[0]).view(np.uint8), cv2.IMREAD_UNCHANGED)
                if img is not None:
                    return int(img.shape[1]), int(img.shape[0])
    except (OSError, KeyError, ValueError, TypeError):
        pass
    if source_shape is not None and len(source_shape) >= 3:
        return int(source_shape[2]), int(source_shape[1])
    return None


def read_slp(path: str | Path, video: int | str | None = None) -> Poses:
    """Read a SLEAP ``.slp`` (user labels and/or predictions) with sleap-io.

    Tracks become individuals (in ``labels.tracks`` order); untracked instances fill
    slots ``untracked0, untracked1...`` in their order within each frame (``individual0``
    where that is the one individual), listed in ``meta.extra["untracked_individuals"]``
    so that a 3D ``.slp`` writes them untracked again. User instances
    are preferred over predictions of the same track; user points get confidence 1,
    predicted points their score. Frames are those of one video: ``video`` (its position
    among the videos with frames, or its file name or stem; :func:`sleap_videos` lists
    them), by default the first that has any (a file with several is warned about). A file
    with 3D instance groups (recording sessions, e.g. written by :func:`write_slp_3d`) is
    read as 3D. A labels package (``.pkg.slp``: the frames' images embedded) is labelled
    images: user labels get ``meta.extra["image_paths"]`` (each row lifted alone, as DLC's
    labelled data), the frame size is the images', and ``meta.video`` the video they came
    from only where it is on this machine (``meta.extra["embedded_images"]``).

    Raises
    ------
    PoseFileError
        When sleap-io cannot read the file or it holds no frames.
    """
    p = check_input_file(path)
    labels = _load_labels(p)
    if not labels.skeletons:
        raise PoseFileError(f"{p} has no skeleton, so it holds no poses.")
    skeleton = labels.skeletons[0]
    if len(labels.skeletons) > 1:
        logger.warning("%s has %d skeletons; reading instances of the first (%s).", p,
                       len(labels.skeletons), ", ".join(skeleton.node_names))
    nodes = [str(n) for n in skeleton.node_names]
    _check_names(nodes, p, "node(s)")
    has_3d = any(ig.instance_3d is not None for s in labels.sessions
                 for fg in s.frame_groups.values() for ig in fg.instance_groups)
    poses = _read_slp_3d(labels, p, nodes) if has_3d else _read_slp_2d(labels, p, nodes,
                                                                        skeleton, video)
    edges = [(nodes[a], nodes[b]) for a, b in skeleton.edge_inds]
    poses.meta.extra["skeleton_edges"] = edges
    return poses


def _read_slp_2d(labels: Any, p: Path, nodes: list[str], skeleton: Any,
                 which: int | str | None = None) -> Poses:
    import sleap_io as sio

    video = _pick_video(labels, p, which)
    frames = sorted((lf for lf in labels.labeled_frames if lf.video is video),
                    key=lambda lf: lf.frame_idx)
    tracks = list(labels.tracks)
    track_slot = {id(t): i for i, t in enumerate(tracks)}
    untracked: list[int] = []  # untracked instances per frame
    per_frame: list[list[tuple[int | None, Any]]] = []
    for lf in frames:
        user = [i for i in lf.instances if not isinstance(i, sio.PredictedInstance)
                and i.skeleton is skeleton]
        pred = [i for i in lf.instances if isinstance(i, sio.PredictedInstance)
                and i.skeleton is skeleton]
        covered = {id(u.track) for u in user if u.track is not None}
        linked = {id(u.from_predicted) for u in user if u.from_predicted is not None}
        chosen = user + [q for q in pred if id(q) not in linked and (
            q.track is None or id(q.track) not in covered)]
        items: list[tuple[int | None, Any]] = []
        k = 0
        for inst in chosen:
            if inst.track is not None and id(inst.track) in track_slot:
                items.append((track_slot[id(inst.track)], inst))
            else:
                items.append((None, inst))
                k += 1
        untracked.append(k)
        per_frame.append(items)
    _warn_rare_slots(untracked, p)
    # tracks with no instance in this video's frames (another video's, or emptied in
    # SLEAP) are no animal of it: left out, as SLEAP's analysis export leaves them
    used = sorted({slot for items in per_frame for slot, _ in items if slot is not None})
    empty = [str(t.name) for i, t in enumerate(tracks) if i not in used]
    if empty:
        logger.info("%s: track%s %s hold%s no instance in the frames of %s: left out.", p,
                    "s" if len(empty) > 1 else "", ", ".join(empty),
                    "" if len(empty) > 1 else "s", _video_name(video))
    slot_of = {old: new for new, old in enumerate(used)}
    tracks = [tracks[i] for i in used]
    names = [str(t.name) for t in tracks] + [
        untracked_name(i) for i in range(max(untracked, default=0))]
    if not names:
        names = ["individual0"]
    if len(names) == 1 and not tracks:
        names = ["individual0"]
    coords = np.full((len(frames), len(names), len(nodes), 2), np.nan)
    conf = np.full((len(frames), len(names), len(nodes)), np.nan)
    scores = np.full((2, len(frames), len(names)), np.nan)  # instance, tracking
    for f, items in enumerate(per_frame):
        free = len(tracks)
        for slot, inst in items:
            if slot is None:
                slot = free
                free += 1
            else:
                slot = slot_of[slot]
            if np.isfinite(coords[f, slot]).any():
                logger.debug("%s frame %d: two instances for track %s; keeping the first.",
                             p, frames[f].frame_idx, names[slot])
                continue
            if isinstance(inst, sio.PredictedInstance):
                arr = inst.numpy(scores=True)
                coords[f, slot] = arr[:, :2]
                conf[f, slot] = arr[:, 2]
                scores[:, f, slot] = [_score(inst.score), _score(inst.tracking_score)]
            else:
                coords[f, slot] = inst.numpy()
                conf[f, slot] = 1.0
    has_pred = any(isinstance(i, sio.PredictedInstance) for items in per_frame for _, i in items)
    meta = PoseMetadata(source=str(p), source_format="sleap-slp",
                        scorer="sleap-predictions" if has_pred else "sleap-labels")
    _video_meta(video, p, meta)
    meta.extra["user_labels"] = not has_pred
    if has_pred:  # written back onto the 3D .slp's 2D instances as they were
        meta.extra[INSTANCE_SCORES] = {"individuals": list(names), "score": scores[0],
                                       "tracking_score": scores[1]}
    if EMBEDDED in meta.extra and not has_pred:  # a labels package: images, never a video
        meta.extra["image_paths"] = [f"{p.name}:{meta.extra[EMBEDDED]['dataset']} frame "
                                     f"{lf.frame_idx}" for lf in frames]
    if len(names) > len(tracks):  # slots of instances with no track, not SLEAP tracks
        meta.extra[UNTRACKED] = names[len(tracks):]
    return Poses(coords=coords, confidence=conf, keypoints=nodes, individuals=names,
                 frame_indices=np.array([lf.frame_idx for lf in frames], dtype=np.int64),
                 meta=meta)


#: ``meta.extra`` key of a SLEAP file's predicted instances' scores: ``individuals`` and
#: ``(frames, individuals)`` arrays ``score`` and ``tracking_score`` (NaN where there is
#: no predicted instance), which :func:`write_slp_3d` gives the 2D instances it writes.
INSTANCE_SCORES = "instance_scores"


def _score(value: Any) -> float:
    return float("nan") if value is None else float(value)


def untracked_name(slot: int) -> str:
    """The individual's name of the ``slot``-th untracked instance of each frame
    (``untracked0``: SLEAP's word; not an identity, as a track's name would be)."""
    return f"untracked{slot}"


#: Untracked instance slots filled in fewer than this share of the frames are warned of.
RARE_SLOT_SHARE = 0.1

#: ``meta.extra`` key listing the individuals that are slots of untracked instances
#: (``untracked0, ...``, or ``individual0``), not SLEAP tracks: :func:`write_slp_3d` writes
#: their instances with no track, as they came.
UNTRACKED = "untracked_individuals"


def _warn_rare_slots(untracked: list[int], p: Path) -> None:
    """Warn where the last untracked slots (``untracked2``, ``untracked3``) are filled in few
    frames (a labels project's one frame of four duplicate predictions, where every other
    holds two): each becomes an individual of its own."""
    n = len(untracked)
    counts = np.asarray(untracked)
    rare = [(i, int((counts > i).sum())) for i in range(int(counts.max(initial=0)))
            if 0 < (counts > i).sum() < RARE_SLOT_SHARE * n]
    if rare:
        logger.warning("%s: untracked instances fill %s in only %s of %d frames; each slot "
                       "is lifted as an individual of its own. Track the instances in SLEAP "
                       "(or delete the extra predictions) to lift each animal as one.", p,
                       ", ".join(untracked_name(i) for i, _ in rare),
                       ", ".join(str(c) for _, c in rare), n)


def _read_slp_3d(labels: Any, p: Path, nodes: list[str]) -> Poses:
    session = next(s for s in labels.sessions if any(
        ig.instance_3d is not None for fg in s.frame_groups.values()
        for ig in fg.instance_groups))
    fgs = sorted(session.frame_groups.values(), key=lambda fg: fg.frame_idx)
    names: list[str] = []
    rows: list[list[tuple[str, Any]]] = []
    untracked: list[str] = []
    for fg in fgs:
        items = []
        free = 0  # groups of no identity nor track: untracked0, untracked1... in each frame
        for ig in fg.instance_groups:
            if ig.instance_3d is None:
                continue
            name = None
            if ig.identity is not None and ig.identity.name:
                name = str(ig.identity.name)
            elif ig.instances and ig.instances[0].track is not None:
                name = str(ig.instances[0].track.name)
            if not name:
                name = untracked_name(free)
                free += 1
                if name not in untracked:
                    untracked.append(name)
            if name not in names:
                names.append(name)
            items.append((name, ig.instance_3d))
        rows.append(items)
    # tracks in the file's order; frames with no pose kept (labelled, with no instance)
    order = [str(t.name) for t in labels.tracks]
    names.sort(key=lambda n: order.index(n) if n in order else len(order))
    frames = sorted({fg.frame_idx for fg in fgs} | {
        lf.frame_idx for lf in labels.labeled_frames if lf.video in session.videos})
    coords = np.full((len(frames), len(names), len(nodes), 3), np.nan)
    conf = np.full((len(frames), len(names), len(nodes)), np.nan)
    row_of = {frame: f for f, frame in enumerate(frames)}
    for fg, items in zip(fgs, rows, strict=True):
        f = row_of[fg.frame_idx]
        for name, inst in items:
            i = names.index(name)
            coords[f, i] = inst.points
            scores = getattr(inst, "point_scores", None)
            conf[f, i] = 1.0 if scores is None else scores
    prov = dict(labels.provenance or {}).get("dlc_lifter", {}) or {}
    meta = PoseMetadata(source=str(p), source_format="sleap-slp",
                        scorer=str(prov.get("scorer", "sleap")),
                        frame=str(prov.get("frame", "world")), units=str(prov.get("units", "mm")))
    if prov.get("fps"):
        meta.fps = float(prov["fps"])
    videos = session.videos
    if videos:
        _video_meta(videos[0], p, meta)
        named_from = str(prov.get("video_named_from", "video"))
        if named_from != "video" and (named_from.startswith(_NOT_USED_FROM) or not (
                meta.video and Path(meta.video).is_file())):
            meta.video = None  # a name write_slp_3d gave it, not a video the lift read
    cams = session.camera_group.cameras
    if cams:
        c = cams[0]
        meta.extra["camera"] = {"name": c.name, "matrix": c.matrix, "dist": c.dist,
                                "rvec": c.rvec, "tvec": c.tvec, "size": c.size}
        if c.size is not None and meta.image_size is None:
            meta.image_size = (int(c.size[0]), int(c.size[1]))
    if len(names) == 1 and names[0] == untracked_name(0):
        names = ["individual0"]
        untracked = names
    if untracked:
        meta.extra[UNTRACKED] = [n for n in names if n in untracked]
    return Poses(coords=coords, confidence=conf, keypoints=nodes, individuals=names,
                 frame_indices=np.array(frames, dtype=np.int64), meta=meta)


def _edge_pairs(poses: Poses, edges: Any) -> list[tuple[int, int]]:
    """Skeleton edges as keypoint index pairs; an edge to a keypoint the poses do not hold
    (a node the lift did not map, such as an unknown ``torso``) is left out, as the NWB
    writer does."""
    kps = list(poses.keypoints)
    out = []
    for a, b in edges or []:
        ia = (kps.index(a) if a in kps else -1) if isinstance(a, str) else int(a)
        ib = (kps.index(b) if b in kps else -1) if isinstance(b, str) else int(b)
        if 0 <= ia < len(kps) and 0 <= ib < len(kps):
            out.append((ia, ib))
    return out


#: ``meta.extra`` key of a lift's video it could not use (the meta pickle's
#: ``video_not_used``: ``path``, ``given``, ``problem``), which the 3D ``.slp`` names as
#: the NWB does.
VIDEO_NOT_USED = "video_not_used"
_NOT_USED_FROM = "the video found or given, not used"


def _slp_video_name(meta: PoseMetadata) -> tuple[str, str]:
    """The video a 3D ``.slp`` names, and where the name came from (see
    :func:`write_slp_3d`)."""
    if meta.video:
        return str(meta.video), "video"
    unused = meta.extra.get(VIDEO_NOT_USED)
    if isinstance(unused, dict) and unused.get("path"):  # found or given, not lifted with
        return str(unused["path"]), (f"{_NOT_USED_FROM} "
                                     f"({unused.get('problem') or 'unreadable'})")
    embedded = meta.extra.get(EMBEDDED) or {}
    if embedded.get("source_video") and not embedded.get("source_is_labels"):
        return str(embedded["source_video"]), "source video of the embedded images"
    if meta.source:
        stem = video_stem_of(meta.source)
        logger.info("%s: no video named in it nor lifted with: the 3D .slp names its video "
                    "%s, after the pose file's name.", meta.source, stem)
        return stem, f"the pose file's name ({recorded_path(str(meta.source)).name})"
    return "unknown.mp4", "nothing: no video nor pose file known"


def _instance_scores(poses2d: Poses | None, poses3d: Poses) -> np.ndarray:
    """``(2, frames, individuals)`` instance and tracking scores of the 2D instances
    :func:`write_slp_3d` writes, on ``poses3d``'s individuals: a SLEAP file's own
    (:data:`INSTANCE_SCORES`), NaN elsewhere."""
    out = np.full((2, poses3d.n_frames, poses3d.n_individuals), np.nan)
    rec = (poses2d.meta.extra.get(INSTANCE_SCORES) if poses2d is not None else None) or {}
    names = list(rec.get("individuals") or ())
    score, tracking = rec.get("score"), rec.get("tracking_score")
    if score is None or tracking is None or np.shape(score)[0] != poses3d.n_frames:
        return out
    for i, ind in enumerate(poses3d.individuals):
        if ind in names:
            out[:, :, i] = np.asarray(score)[:, names.index(ind)], \
                np.asarray(tracking)[:, names.index(ind)]
    return out


def write_slp_3d(
    poses3d: Poses,
    path: str | Path,
    *,
    overwrite: bool = False,
    poses2d: Poses | None = None,
    camera: dict[str, Any] | None = None,
    skeleton_edges: list[tuple[str, str]] | None = None,
) -> Path:
    """Write 3D poses into a SLEAP ``.slp`` as a single-camera recording session.

    sleap-io (>= 0.9) stores 3D points on ``InstanceGroup.instance_3d`` inside a
    ``RecordingSession``. Each frame becomes a ``FrameGroup`` with one
    ``InstanceGroup`` per individual (``Identity`` = individual name) holding a
    ``PredictedInstance3D`` (points in mm, ``point_scores`` = confidence) and the 2D
    ``PredictedInstance`` of the one camera (from ``poses2d`` when given; all points
    missing otherwise, since sleap-io drops frame groups without labelled frames). An
    individual with no finite point in a frame (2D or 3D) has no instance there, so each
    track's occupancy is the input's. Individuals that are slots of the input's untracked
    instances (listed in ``meta.extra["untracked_individuals"]`` of ``poses3d`` or
    ``poses2d``, as :func:`read_slp` records them) are written untracked: no track, no
    identity; :func:`read_slp` reads them back as ``untracked0, untracked1...`` in each
    frame.

    The 2D instances keep a SLEAP file's instance and tracking scores
    (``poses2d.meta.extra["instance_scores"]``, as :func:`read_slp` records them); other
    files' get the mean of their points' scores and a tracking score of 0.

    The video is ``meta.video`` (the one lifted, or the one the 2D file names, as it
    recorded it, found here or not); else the one the lift found or was given and could
    not use (``meta.extra["video_not_used"]``: its frame count off, unreadable, as the
    NWB names it); else the source video of a labels package's embedded
    images; else one named from the pose file (``meta.source``: a DeepLabCut
    ``<video>DLC_...`` file's ``<video>``, :func:`~dlc_lifter.io._common.video_stem_of`).
    The provenance's ``video_named_from`` says which.

    Parameters
    ----------
    poses3d
        3D poses.
    path
        Output ``.slp``.
    overwrite
        Replace an existing file.
    poses2d
        The 2D poses that were lifted (same frames, individuals, keypoints).
    camera
        ``{"matrix", "dist", "rvec", "tvec", "size", "name"}`` of the camera (OpenCV
        conventions); default: identity intrinsics. ``size`` is the video's frame size
        ``(width, height)`` px; ``None`` (or absent, with ``meta.image_size`` unknown)
        where it is not known, e.g. guessed from the keypoints.
    skeleton_edges
        Pairs of keypoint names; default ``meta.extra["skeleton_edges"]``.

    Returns
    -------
    Path
    """
    import sleap_io as sio

    if not poses3d.is_3d:
        raise ValueError("write_slp_3d needs 3D poses.")
    out = check_writable(path, overwrite=overwrite)
    if poses2d is not None and (poses2d.coords.shape[:3] != poses3d.coords.shape[:3]
                                or list(poses2d.keypoints) != list(poses3d.keypoints)):
        raise ValueError("poses2d must have the frames, individuals and keypoints of poses3d.")
    edges = _edge_pairs(poses3d, skeleton_edges if skeleton_edges is not None
                        else poses3d.meta.extra.get("skeleton_edges"))
    skeleton = sio.Skeleton(nodes=list(poses3d.keypoints), edges=edges, name="skeleton")
    video_name, video_from = _slp_video_name(poses3d.meta)
    video = sio.Video(filename=video_name, open_backend=False)
    cam_kw: dict[str, Any] = {"name": "camera0", "size": poses3d.meta.image_size}
    for k in ("matrix", "dist", "rvec", "tvec", "size", "name"):
        if camera and camera.get(k) is not None:
            cam_kw[k] = camera[k]
    cam = sio.Camera(**cam_kw)
    session = sio.RecordingSession(camera_group=sio.CameraGroup(cameras=[cam]))
    session.add_video(video, cam)
    # slots of the input's untracked instances stay untracked: no track, no identity
    untracked = set(poses3d.meta.extra.get(UNTRACKED) or ()) | set(
        (poses2d.meta.extra.get(UNTRACKED) or ()) if poses2d is not None else ())
    tracks: list[Any] = [None if str(n) in untracked else sio.Track(name=str(n))
                         for n in poses3d.individuals]
    identities = [None if t is None else sio.Identity(name=t.name) for t in tracks]
    lfs = []
    nan2 = np.full((poses3d.n_keypoints, 2), np.nan)
    given = _instance_scores(poses2d, poses3d)
    for f, frame_idx in enumerate(poses3d.frame_indices):
        insts, igs = [], []
        for i in range(poses3d.n_individuals):
            if poses2d is not None:
                xy, sc = poses2d.coords[f, i], poses2d.confidence[f, i]
            else:
                xy, sc = nan2, np.full(poses3d.n_keypoints, np.nan)
            if not (np.isfinite(poses3d.coords[f, i]).any() or np.isfinite(xy).any()):
                continue  # no pose of this track here: no instance, as in the input
            score, tracking = given[:, f, i]
            inst = sio.PredictedInstance.from_numpy(
                xy, skeleton=skeleton, point_scores=np.nan_to_num(sc, nan=0.0),
                score=(float(score) if np.isfinite(score) else
                       float(np.nanmean(sc)) if np.isfinite(sc).any() else 0.0),
                tracking_score=float(tracking) if np.isfinite(tracking) else 0.0,
                track=tracks[i])
            insts.append(inst)
            c3 = poses3d.confidence[f, i]
            i3 = sio.PredictedInstance3D(
                points=poses3d.coords[f, i], skeleton=skeleton, point_scores=c3,
                score=float(np.nanmean(c3)) if np.isfinite(c3).any() else None)
            igs.append(sio.InstanceGroup(instance_by_camera={cam: inst}, instance_3d=i3,
                                         identity=identities[i]))
        lf = sio.LabeledFrame(video=video, frame_idx=int(frame_idx), instances=insts)
        lfs.append(lf)
        session.frame_groups[int(frame_idx)] = sio.FrameGroup(
            frame_idx=int(frame_idx), instance_groups=igs, labeled_frame_by_camera={cam: lf})
    m = poses3d.meta
    labels = sio.Labels(labeled_frames=lfs, videos=[video], skeletons=[skeleton],
                        tracks=[t for t in tracks if t is not None], sessions=[session])
    labels.provenance["dlc_lifter"] = {
        "units": m.units, "frame": m.frame, "scorer": m.scorer, "fps": m.fps,
        "source": m.source, "source_format": m.source_format, "video_named_from": video_from,
    }
    with atomic_output(out, overwrite=overwrite) as tmp:
        sio.save_slp(labels, str(tmp), embed=False)
    logger.info("Wrote 3D poses to %s", out)
    return out


# ----------------------------------------------------------------------------- analysis h5
def is_sleap_analysis_h5(path: str | Path | h5py.File) -> bool:
    """Whether an HDF5 file has SLEAP analysis datasets (``tracks`` + ``node_names``).

    A sleap-anipose ``points3d.h5`` (see :func:`is_sleap_points3d_h5`) is not one, even
    when it also holds ``node_names`` (as :func:`write_points3d` writes it). ``path`` may
    be a file already open (it is read, not closed).
    """
    import h5py

    def layout(fh: h5py.File) -> bool:
        return ("tracks" in fh and isinstance(fh["tracks"], h5py.Dataset)
                and "node_names" in fh and not _is_points3d(fh))

    return h5_layout(path, layout)


def sleap_labels_problem(fh: h5py.File, path: Path) -> str | None:
    """Why an HDF5 file holding SLEAP's labels datasets (``frames``, ``instances``,
    ``videos_json``) cannot be read as it is, or ``None`` (not such a file, or a ``.slp``
    sleap-io reads): SLEAP before 1.0 wrote no ``metadata`` ``format_id``, which sleap-io
    needs; a ``.slp`` renamed ``.h5`` is read only under its own extension."""
    if not all(k in fh for k in ("frames", "instances", "videos_json")):
        return None
    meta = fh.get("metadata")
    if meta is not None and "format_id" in meta.attrs:
        if path.suffix.lower() == ".slp":
            return None
        return (f"{path} is a SLEAP labels file (.slp) named {path.suffix}: give it its "
                ".slp extension back and pass that.")
    return (f"{path} is an old SLEAP labels file (HDF5 written by SLEAP before 1.0, with no "
            "format_id), which sleap-io cannot read. Open it in SLEAP 1.x and save it again "
            "as .slp (or export an analysis .h5: sleap-convert --format analysis), then "
            "pass that file.")


def _strings(values: Any) -> list[str]:
    return [v.decode() if isinstance(v, bytes) else str(v) for v in np.asarray(values).ravel()]


def read_sleap_analysis_h5(path: str | Path) -> Poses:
    """Read a SLEAP analysis ``.h5`` (``sleap-convert --format analysis``).

    ``tracks`` is stored ``(n_tracks, 2|3, n_nodes, n_frames)``; a third coordinate
    (written by :func:`write_sleap_analysis_3d`) gives 3D poses.

    Raises
    ------
    PoseFileError
        When the datasets have inconsistent shapes.
    """
    import h5py

    p = check_input_file(path)
    with h5py.File(p, "r") as fh:
        if _is_points3d(fh):
            raise PoseFileError(
                f"{p} is a sleap-anipose points3d.h5 ('tracks' (n_frames, n_tracks, n_nodes, "
                "3)), not a SLEAP analysis file. Read it with read_points3d or read_poses.")
        tracks = _in_matlab_order(fh["tracks"], ("track", "xy", "node", "frame"))
        nodes = _strings(fh["node_names"][()])
        track_names = _strings(fh["track_names"][()]) if "track_names" in fh else []
        scores = (_in_matlab_order(fh["point_scores"], ("track", "node", "frame"))
                  if "point_scores" in fh else None)
        image_size = _image_size_recorded(fh.attrs.get("video_backend_metadata"))
        video_path = fh["video_path"][()] if "video_path" in fh else None
        attrs = dict(fh.attrs)
        fps = None
        for k in ("fps", "frame_rate"):
            if k in fh:
                fps = float(np.asarray(fh[k][()]).ravel()[0])
            elif k in attrs:
                fps = float(np.asarray(attrs[k]).ravel()[0])
        if fps is not None and not np.isfinite(fps):
            fps = None
        frame_indices = np.asarray(fh["frame_indices"][()], dtype=np.int64) if (
            "frame_indices" in fh) else None
    if tracks.ndim != 4 or tracks.shape[1] not in (2, 3) or tracks.shape[2] != len(nodes):
        flipped = tracks.shape[::-1]
        transposed = (tracks.ndim == 4 and flipped[1] in (2, 3) and flipped[2] == len(nodes))
        todo = ("It looks transposed, (n_frames, n_nodes, 2, n_tracks): write that array "
                "transposed (data=tracks.T), or re-export"
                if transposed else "Re-export")
        raise PoseFileError(
            f"{p}: 'tracks' has shape {tracks.shape}, expected (n_tracks, 2, n_nodes, "
            f"n_frames) with n_nodes = {len(nodes)}. {todo} with sleap-convert --format "
            "analysis.")
    _check_names(nodes, p, "node(s)")
    coords = np.transpose(tracks, (3, 0, 2, 1))  # (F, T, N, D)
    conf = None
    if scores is not None and scores.shape == (tracks.shape[0], tracks.shape[2],
                                               tracks.shape[3]):
        conf = np.transpose(scores, (2, 0, 1))
    n_tracks = tracks.shape[0]
    if len(track_names) != n_tracks or not all(track_names):
        track_names = ["individual0"] if n_tracks == 1 else [
            untracked_name(i) for i in range(n_tracks)]
    is_3d = tracks.shape[1] == 3
    units = attrs.get("units", "mm" if is_3d else "px")
    frame = attrs.get("frame", "world" if is_3d else "image")
    meta = PoseMetadata(source=str(p), source_format="sleap-h5", scorer="sleap",
                        fps=fps, units=str(units.decode() if isinstance(units, bytes)
                                           else units),
                        frame=str(frame.decode() if isinstance(frame, bytes) else frame),
                        image_size=image_size)
    if video_path is not None:
        vp = video_path.decode() if isinstance(video_path, bytes) else str(
            np.asarray(video_path).ravel()[0] if np.ndim(video_path) else video_path)
        if isinstance(vp, bytes):
            vp = vp.decode()
        meta.video = resolve_recorded_video(vp, p) if vp else None
    if conf is not None and not np.isfinite(conf).any():
        conf = None
    return Poses(coords=coords, confidence=conf, keypoints=nodes, individuals=track_names,
                 frame_indices=frame_indices, meta=meta)


def _in_matlab_order(ds: Any, order: tuple[str, ...]) -> np.ndarray:
    """A SLEAP analysis dataset in SLEAP's own (MATLAB) order, ``order``.

    sleap-io records each dataset's axes in a ``dims`` attribute (``'["frame", "track",
    "node", "xy"]'``): its ``preset="standard"`` export writes them in that order, not
    SLEAP's. Without ``dims`` (SLEAP's own exports) the dataset is in ``order`` already.
    """
    import json

    values = np.asarray(ds[()], dtype=np.float64)
    dims = ds.attrs.get("dims")
    if dims is None:
        return values
    try:
        names = json.loads(dims.decode() if isinstance(dims, bytes) else str(dims))
    except ValueError:
        return values
    if sorted(names) != sorted(order) or len(names) != values.ndim:
        return values
    return np.transpose(values, [names.index(n) for n in order])


def _image_size_recorded(text: Any) -> tuple[int, int] | None:
    """``(width, height)`` from sleap-io's ``video_backend_metadata`` attribute (a JSON
    text whose ``shape`` is ``[frames, height, width, channels]``), else ``None``."""
    import json

    if text is None:
        return None
    try:
        shape = json.loads(text.decode() if isinstance(text, bytes) else str(text))["shape"]
        width, height = int(shape[2]), int(shape[1])
    except (ValueError, KeyError, TypeError, IndexError):
        return None
    return (width, height) if width > 0 and height > 0 else None


def write_sleap_analysis_3d(
    poses3d: Poses, path: str | Path, *, overwrite: bool = False
) -> Path:
    """Write 3D poses in SLEAP's analysis-h5 layout with a third coordinate.

    Datasets (SLEAP's transposed, MATLAB-friendly order): ``tracks`` float64
    ``(n_tracks, 3, n_nodes, n_frames)`` (mm), ``point_scores`` ``(n_tracks, n_nodes,
    n_frames)``, ``track_occupancy`` uint8 ``(n_frames, n_tracks)``, ``node_names``,
    ``track_names``, ``edge_names``, ``edge_inds``, ``frame_indices``, ``video_path``;
    file attributes ``units``, ``frame``, ``fps``. Scripts written for SLEAP analysis
    files read it after ``tracks.T`` exactly as before, with ``z`` as a third coordinate.

    Returns
    -------
    Path
    """
    import h5py

    if not poses3d.is_3d:
        raise ValueError("write_sleap_analysis_3d needs 3D poses.")
    out = check_writable(path, overwrite=overwrite)
    tracks = np.transpose(poses3d.coords, (1, 3, 2, 0))  # (T, 3, N, F)
    scores = np.transpose(poses3d.confidence, (1, 2, 0))  # (T, N, F)
    occupancy = (~poses3d.missing).any(axis=2).astype(np.uint8)  # (F, T)
    edges = _edge_pairs(poses3d, poses3d.meta.extra.get("skeleton_edges"))
    m = poses3d.meta
    with atomic_output(out, overwrite=overwrite) as tmp, h5py.File(tmp, "w") as fh:
        fh.create_dataset("tracks", data=tracks, compression="gzip")
        fh.create_dataset("point_scores", data=scores, compression="gzip")
        fh.create_dataset("track_occupancy", data=occupancy, compression="gzip")
        fh.create_dataset("node_names", data=np.array(
            [k.encode() for k in poses3d.keypoints], dtype="S"))
        fh.create_dataset("track_names", data=np.array(
            [i.encode() for i in poses3d.individuals], dtype="S"))
        fh.create_dataset("edge_names", data=np.array(
            [[poses3d.keypoints[a].encode(), poses3d.keypoints[b].encode()]
             for a, b in edges], dtype="S").reshape(-1, 2))
        fh.create_dataset("edge_inds", data=np.array(edges, dtype=np.int64).reshape(-1, 2))
        fh.create_dataset("frame_indices", data=np.asarray(poses3d.frame_indices,
                                                           dtype=np.int64))
        fh.create_dataset("video_path", data=str(m.video or ""))
        fh.attrs["units"] = m.units
        fh.attrs["frame"] = m.frame
        fh.attrs["fps"] = np.nan if m.fps is None else float(m.fps)
        fh.attrs["writer"] = "dlc_lifter"
    logger.info("Wrote 3D poses (SLEAP analysis layout) to %s", out)
    return out


# ----------------------------------------------------------------------------- points3d.h5
#: The ``Description`` attribute sleap-anipose puts on ``tracks`` of ``points3d.h5``
#: (it may go on with ``" Camera views used: [...]"``); :func:`write_points3d` writes it too.
POINTS3D_DESCRIPTION = "Shape: (n_frames, n_tracks, n_nodes, 3)."
_FRAMES_DESCRIPTION = "Range, inclusive to exclusive, of frames triangulated over."


def _is_points3d(fh: Any) -> bool:
    import h5py

    ds = fh.get("tracks")
    if not isinstance(ds, h5py.Dataset) or ds.ndim != 4 or ds.shape[-1] != 3:
        return False
    desc = ds.attrs.get("Description", "")
    if isinstance(desc, bytes):
        desc = desc.decode("utf-8", "replace")
    return isinstance(desc, str) and desc.startswith(POINTS3D_DESCRIPTION.rstrip("."))


def is_sleap_points3d_h5(path: str | Path | h5py.File) -> bool:
    """Whether an HDF5 file is a sleap-anipose ``points3d.h5``.

    True when the root dataset ``tracks`` is 4-D with a last axis of 3 and carries
    sleap-anipose's ``Description`` attribute (``"Shape: (n_frames, n_tracks, n_nodes,
    3)..."``), as sleap-anipose's ``triangulate`` and :func:`write_points3d` write it.
    ``path`` may be a file already open (it is read, not closed).
    """
    return h5_layout(path, _is_points3d)


def write_points3d(poses3d: Poses, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write 3D poses in sleap-anipose's ``points3d.h5`` layout.

    sleap-anipose's ``triangulate`` writes one dataset, ``tracks``, and its readers
    (``reproject``, user scripts) do ``f["tracks"][:]``. This file has the same
    ``tracks`` (name, shape, axis order, dtype, chunked gzip level 1, ``Description``)
    and, beside it, datasets such a reader ignores, so dlc-lifter can read names,
    frame numbers and confidences back (:func:`read_points3d`).

    Layout (HDF5, all at the root):

    ``tracks``
        float64 ``(n_frames, n_tracks, n_nodes, 3)``: ``x, y, z`` in millimetres in
        the coordinate frame of ``poses3d`` (``meta.frame``: ``world`` = calibrated
        arena, right-handed, z up, floor at z = 0; ``arena`` = the same from tracked
        arena corners, origin at the arena's centre; ``camera-floor`` = origin on the
        floor below the camera); NaN where a point is missing (all three coordinates).
        Attributes ``Description = "Shape: (n_frames, n_tracks, n_nodes, 3)."`` (as
        sleap-anipose writes it) and ``units = "mm"``.
    ``point_scores``
        float64 ``(n_frames, n_tracks, n_nodes)``: confidence in ``[0, 1]``, NaN where
        missing.
    ``node_names``, ``track_names``
        ``(n_nodes,)`` / ``(n_tracks,)`` UTF-8 byte strings (SLEAP's encoding).
    ``frame_indices``
        int64 ``(n_frames,)``: the video frame number of each row (frames may be
        skipped).
    ``edge_inds``
        int64 ``(n_edges, 2)``: skeleton edges as node indices (may be empty).
    ``frames``
        Only when the frames are consecutive: int64 ``(2,)`` = ``(first, last + 1)``,
        sleap-anipose's "range, inclusive to exclusive, of frames triangulated over",
        with its ``Description`` attribute.

    File attributes: ``units = "mm"``, ``coordinate_frame`` (``meta.frame``), ``fps``
    (NaN if unknown), ``scorer``, ``writer = "dlc_lifter"``. There is no
    ``track_occupancy``: sleap-io takes an ``.h5`` with it for a SLEAP analysis file.

    Parameters
    ----------
    poses3d
        3D poses in millimetres.
    path
        Output ``.h5`` (sleap-anipose names it ``points3d.h5``).
    overwrite
        Replace an existing file.

    Returns
    -------
    Path
        ``path``, written atomically (a temporary file renamed over it).

    Raises
    ------
    ValueError
        When ``poses3d`` is not 3D or not in millimetres.
    OutputExistsError
        When ``path`` exists and ``overwrite`` is false.
    OutputNotWritableError
        When the folder cannot be written.
    """
    import h5py

    if not poses3d.is_3d:
        raise ValueError("write_points3d needs 3D poses.")
    if str(poses3d.meta.units) != "mm":
        raise ValueError(
            f"write_points3d writes millimetres; these poses are in {poses3d.meta.units!r}.")
    out = check_writable(path, overwrite=overwrite)
    missing = poses3d.missing
    tracks = np.where(missing[..., None], np.nan, poses3d.coords).astype(np.float64)
    scores = np.where(missing, np.nan, poses3d.confidence).astype(np.float64)
    frame_indices = np.asarray(poses3d.frame_indices, dtype=np.int64)
    edges = _edge_pairs(poses3d, poses3d.meta.extra.get("skeleton_edges"))
    m = poses3d.meta
    # sleap-anipose: chunks=True, gzip level 1 (chunking needs a non-empty array)
    packed: dict[str, Any] = ({"chunks": True, "compression": "gzip", "compression_opts": 1}
                              if tracks.size else {})
    contiguous = frame_indices.size > 0 and np.array_equal(
        frame_indices, np.arange(frame_indices[0], frame_indices[0] + frame_indices.size))
    with atomic_output(out, overwrite=overwrite) as tmp, h5py.File(tmp, "w") as fh:
        ds = fh.create_dataset("tracks", data=tracks, **packed)
        ds.attrs["Description"] = POINTS3D_DESCRIPTION
        ds.attrs["units"] = "mm"
        fh.create_dataset("point_scores", data=scores, **packed)
        fh.create_dataset("node_names", data=np.array(
            [k.encode("utf-8") for k in poses3d.keypoints], dtype="S"))
        fh.create_dataset("track_names", data=np.array(
            [i.encode("utf-8") for i in poses3d.individuals], dtype="S"))
        fh.create_dataset("frame_indices", data=frame_indices)
        fh.create_dataset("edge_inds", data=np.array(edges, dtype=np.int64).reshape(-1, 2))
        if contiguous:
            fr = fh.create_dataset("frames", data=np.array(
                [frame_indices[0], frame_indices[-1] + 1], dtype=np.int64))
            fr.attrs["Description"] = _FRAMES_DESCRIPTION
        fh.attrs["units"] = "mm"
        fh.attrs["coordinate_frame"] = str(m.frame)
        fh.attrs["fps"] = np.nan if m.fps is None else float(m.fps)
        fh.attrs["scorer"] = str(m.scorer)
        fh.attrs["writer"] = "dlc_lifter"
    logger.info("Wrote 3D poses (sleap-anipose points3d layout) to %s", out)
    return out


def _sibling_names(
    p: Path, n_nodes: int, n_tracks: int
) -> tuple[list[str], list[str], Path] | None:
    """Node (and track) names from a SLEAP analysis file of the session.

    sleap-anipose's layout is ``session/points3d.h5`` beside
    ``session/<view>/*.analysis.h5``; the first file with ``n_nodes`` nodes wins.
    """
    import h5py

    cands = sorted(p.parent.glob("*.analysis.h5")) + sorted(p.parent.glob("*/*.analysis.h5"))
    for cand in cands:
        try:
            with h5py.File(cand, "r") as fh:
                if "node_names" not in fh:
                    continue
                nodes = _strings(fh["node_names"][()])
                tracks = _strings(fh["track_names"][()]) if "track_names" in fh else []
        except OSError:
            continue
        if len(nodes) == n_nodes:
            return nodes, tracks if len(tracks) == n_tracks else [], cand
    return None


def read_points3d(path: str | Path) -> Poses:
    """Read a sleap-anipose ``points3d.h5`` (or one written by :func:`write_points3d`).

    ``tracks`` ``(n_frames, n_tracks, n_nodes, 3)`` gives the coordinates (mm).
    Names, frame numbers, confidences, units, coordinate frame, fps and skeleton come
    from the extra datasets and attributes :func:`write_points3d` adds, where present.
    A plain sleap-anipose file has only ``tracks``: node (and track) names are then
    taken from a SLEAP analysis ``.h5`` of the session (``*.analysis.h5`` beside the
    file or in its view folders) with as many nodes, else ``kp0, kp1...``; frames are
    ``frames`` (start, stop) when present, else ``0..n_frames-1``; confidence is 1
    where a point is present; ``meta.frame`` is ``world``, meaning the calibration's
    frame (for sleap-anipose often the calibration board's: the floor need not be
    z = 0).

    Raises
    ------
    PoseFileError
        When ``tracks`` is missing or not ``(n_frames, n_tracks, n_nodes, 3)``, or the
        names do not match its shape.
    """
    import h5py

    p = check_input_file(path)
    try:
        fh = h5py.File(p, "r")
    except OSError as exc:
        raise PoseFileError(f"{p} cannot be opened as HDF5 ({exc}).") from None
    with fh:
        ds = fh.get("tracks")
        if not isinstance(ds, h5py.Dataset) or ds.ndim != 4 or ds.shape[-1] != 3:
            shape = getattr(ds, "shape", None)
            raise PoseFileError(
                f"{p}: no dataset 'tracks' of shape (n_frames, n_tracks, n_nodes, 3) "
                f"(found {shape}); it is not a sleap-anipose points3d.h5.")
        coords = np.asarray(ds[()], dtype=np.float64)
        desc = ds.attrs.get("Description")
        nodes = _strings(fh["node_names"][()]) if "node_names" in fh else None
        tracks = _strings(fh["track_names"][()]) if "track_names" in fh else None
        scores = (np.asarray(fh["point_scores"][()], dtype=np.float64)
                  if "point_scores" in fh else None)
        frame_indices = (np.asarray(fh["frame_indices"][()], dtype=np.int64).ravel()
                         if "frame_indices" in fh else None)
        frames_range = (np.asarray(fh["frames"][()], dtype=np.int64).ravel()
                        if "frames" in fh else None)
        edge_inds = (np.asarray(fh["edge_inds"][()], dtype=np.int64).reshape(-1, 2)
                     if "edge_inds" in fh else None)
        attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in fh.attrs.items()}
    n_frames, n_tracks, n_nodes, _ = coords.shape
    extra: dict[str, Any] = {}
    if desc is not None:
        extra["points3d_description"] = desc.decode() if isinstance(desc, bytes) else str(desc)
    if nodes is None:
        found = _sibling_names(p, n_nodes, n_tracks)
        if found is not None:
            nodes, sib_tracks, src = found
            tracks = tracks or sib_tracks or None
            extra["names_from"] = str(src)
            logger.info("%s has no node names; using those of %s.", p, src)
        else:
            nodes = [f"kp{i}" for i in range(n_nodes)]
            logger.warning("%s has no node names and no SLEAP analysis file of the session "
                           "was found beside it; naming nodes kp0..kp%d.", p, n_nodes - 1)
    if len(nodes) != n_nodes:
        raise PoseFileError(
            f"{p}: {len(nodes)} node_names for {n_nodes} nodes in 'tracks' {coords.shape}.")
    _check_names(nodes, p, "node(s)")
    if not tracks or len(tracks) != n_tracks or not all(tracks):
        tracks = ["individual0"] if n_tracks == 1 else [untracked_name(i) for i in range(n_tracks)]
    if frame_indices is None or frame_indices.shape != (n_frames,):
        if (frames_range is not None and frames_range.size == 2
                and frames_range[1] - frames_range[0] == n_frames):
            frame_indices = np.arange(frames_range[0], frames_range[1], dtype=np.int64)
        else:
            frame_indices = None
    conf = scores if scores is not None and scores.shape == coords.shape[:3] else None
    if conf is not None and not np.isfinite(conf).any():
        conf = None
    fps = attrs.get("fps")
    try:
        fps = float(fps) if fps is not None else None
    except (TypeError, ValueError):
        fps = None
    if fps is not None and not np.isfinite(fps):
        fps = None
    meta = PoseMetadata(source=str(p), source_format="sleap-points3d",
                        scorer=str(attrs.get("scorer", "sleap-anipose")), fps=fps,
                        units=str(attrs.get("units", "mm")),
                        frame=str(attrs.get("coordinate_frame", "world")), extra=extra)
    if (edge_inds is not None and edge_inds.size and int(edge_inds.min()) >= 0
            and int(edge_inds.max()) < n_nodes):
        meta.extra["skeleton_edges"] = [(nodes[a], nodes[b]) for a, b in edge_inds]
    return Poses(coords=coords, confidence=conf, keypoints=nodes, individuals=tracks,
                 frame_indices=frame_indices, meta=meta)
