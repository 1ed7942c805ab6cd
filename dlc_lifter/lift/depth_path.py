"""Depth from the video for lifting: video -> crops -> height maps -> cues -> fused lifter.

When ``lift --video V`` is given and the video is readable, :func:`lift_poses_with_depth`
decodes the frames in order and reads the depth cues of every animal's keypoints with the
package's one cue extractor (:class:`~dlc_lifter.nets.cues.CueExtractor`: crop from the 2D
keypoints, depth network batched over frames and animals, cues at every keypoint), then
lifts with the fused lifter (keypoints + cues). Whenever that is not possible (the video
does not open or decode, the depth or fused weights are missing or unreadable, the camera
sees the animal from below or obliquely), it logs why and lifts from the keypoints only,
exactly as :func:`~dlc_lifter.lift.lift_poses`. So it does where the depth network's own
readings say the video is unlike those it learned from (:func:`depth_out_of_domain`: the
snout read raised in most of the file's frames, where a mouse is flat most of the time).

Shipped weights: ``dlc_lifter/data/weights/depth_net.pt`` (depth network) and
``dlc_lifter/data/weights/depth_fused_lifter.pt`` (fused lifter).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal, overload

import numpy as np

from dlc_lifter._progress import progress_bar
from dlc_lifter.errors import VideoError
from dlc_lifter.io.video import FRAME_COUNT_SLACK
from dlc_lifter.lift.raised import (
    CHECK_FRAMES,
    FLAT_SNOUT_MM,
    RAISED_SHARE,
    mostly_raised,
    raised_summary,
)
from dlc_lifter.poses import Poses

__all__ = [
    "DEPTH_WEIGHTS",
    "FUSED_WEIGHTS",
    "VideoDepth",
    "default_depth_weights",
    "default_fused_weights",
    "depth_out_of_domain",
    "lift_poses_with_depth",
    "load_depth_models",
    "snout_readings",
    "video_depth_cues",
]

logger = logging.getLogger(__name__)

#: Shipped depth-network weights, relative to the package.
DEPTH_WEIGHTS = "data/weights/depth_net.pt"
#: Shipped fused-lifter weights, relative to the package.
FUSED_WEIGHTS = "data/weights/depth_fused_lifter.pt"

_MODELS: dict[tuple[str, float, str, float], tuple[Any, Any]] = {}


#: Frames of a video from which the depth path shows its progress within the file.
PROGRESS_FRAMES = 3000

#: Where the depth network's own reading puts the snout at :data:`FLAT_SNOUT_MM` or higher
#: in more than this share of a file's readings, the file's depth is not used
#: (:func:`depth_out_of_domain`): a mouse is flat most of the time. On videos unlike its
#: training images (bedding, infrared, small blurred mice) the network reads flat mice high
#: in most frames, and the fused lift raises flat snouts more often than the keypoints alone
#: (``docs/results.md``, "Real mice: the paws no longer keep a centre label in the networks;
#: the depth network judged on each video by its own readings").
#: The line is a lift's own (:mod:`dlc_lifter.lift.raised`).
DEPTH_RAISED_SHARE = RAISED_SHARE
#: Fewest snout readings for that judgement (fewer: the depth is used).
DEPTH_CHECK_READINGS = CHECK_FRAMES


def default_depth_weights() -> Path:
    """Path of the shipped depth-network weights."""
    return Path(str(resources.files("dlc_lifter") / DEPTH_WEIGHTS))


def default_fused_weights() -> Path:
    """Path of the shipped fused-lifter weights."""
    return Path(str(resources.files("dlc_lifter") / FUSED_WEIGHTS))


def _mtime(p: Path) -> float:
    try:
        return p.stat().st_mtime
    except OSError:
        return -1.0


def load_depth_models(depth_weights: str | Path | None = None,
                      fused_weights: str | Path | None = None) -> tuple[Any, Any]:
    """The depth network and the fused lifter (cached per file).

    Parameters
    ----------
    depth_weights, fused_weights
        Weight files (``None``: the shipped ones).

    Returns
    -------
    depth_model : DepthModel
    fused_model : LiftingModel

    Raises
    ------
    ModelLoadError
        When a file is missing or unreadable.
    """
    from dlc_lifter.nets.depth import DepthModel
    from dlc_lifter.nets.lifter import LiftingModel, ModelLoadError

    dp = Path(depth_weights) if depth_weights is not None else default_depth_weights()
    fp = Path(fused_weights) if fused_weights is not None else default_fused_weights()
    key = (str(dp.resolve()), _mtime(dp), str(fp.resolve()), _mtime(fp))
    if key not in _MODELS:
        depth = DepthModel.load(dp)
        fused = LiftingModel.load(fp)
        if fused.n_extra == 0:
            raise ModelLoadError(f"{fp} is a keypoints-only model, not a fused lifter; give "
                                 "weights trained with "
                                 "dlc_lifter.nets.fusion_train.train_fused_weights.")
        _MODELS[key] = (depth, fused)
    return _MODELS[key]


@dataclass
class VideoDepth:
    """Depth cues of every animal in every pose frame, read from the video.

    Attributes
    ----------
    cues
        ``(T, N, K, N_CUES)`` float32, catalogue order (zero where unavailable).
    px_per_mm
        ``(N,)`` image scale used for each individual's crops.
    frames_read
        Frames decoded.
    seconds
        Time per stage: ``decode``, ``crop``, ``depth``, ``cues``.
    kept
        ``{pose row: {"rgb", "crops", "height", "mask"}}`` for the rows asked to keep.
    """

    cues: np.ndarray
    px_per_mm: np.ndarray
    frames_read: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    kept: dict[int, dict[str, Any]] = field(default_factory=dict)


#: What the frame iterator gives past the video's last frame.
_ENDED = object()


def video_depth_cues(
    video: str | Path,
    uv_cat: np.ndarray,
    conf_cat: np.ndarray,
    frame_indices: Sequence[int] | np.ndarray,
    *,
    depth_model: Any,
    pair_length_mm: np.ndarray,
    pcutoff: float = 0.6,
    batch: int = 32,
    keep: Sequence[int] = (),
) -> VideoDepth:
    """Decode the video and compute the depth cues of every animal's keypoints.

    Parameters
    ----------
    video
        The video the poses were tracked on.
    uv_cat, conf_cat
        ``(T, N, K, 2)`` / ``(T, N, K)`` keypoints in catalogue order (NaN where missing).
    frame_indices
        ``(T,)`` video frame of each pose row.
    depth_model
        A :class:`~dlc_lifter.nets.depth.DepthModel`.
    pair_length_mm
        Population pair lengths (the lifter's) for each individual's image scale.
    pcutoff
        Likelihood cutoff for placing crops and reading cues.
    batch
        Crops per depth-network pass.
    keep
        Pose rows whose frame, crops and maps to return (figures).

    Returns
    -------
    VideoDepth

    Raises
    ------
    VideoError
        When the video cannot be opened or a needed frame cannot be decoded.
    """
    from dlc_lifter.io.video import open_video
    from dlc_lifter.nets.crops import px_per_mm_from_keypoints
    from dlc_lifter.nets.cues import N_CUES, CueExtractor

    uv_cat = np.asarray(uv_cat, dtype=np.float64)
    conf_cat = np.asarray(conf_cat, dtype=np.float64)
    t, n, k = uv_cat.shape[:3]
    fi = np.asarray(frame_indices, dtype=np.int64)
    ppm = np.array([px_per_mm_from_keypoints(uv_cat[:, i], conf_cat[:, i], pair_length_mm,
                                             pcutoff=pcutoff) for i in range(n)])
    pending = _PendingCrops(
        extractor=CueExtractor(depth_model, pcutoff=pcutoff), uv_cat=uv_cat, conf_cat=conf_cat,
        cues=np.zeros((t, n, k, N_CUES), np.float32), batch=batch,
        keep_set={int(r) for r in keep})
    secs = pending.seconds
    extractor = pending.extractor
    order = np.argsort(fi, kind="stable")
    frames_read = 0
    with open_video(video) as reader:
        if reader.n_frames and len(fi) and fi.max() >= reader.n_frames + FRAME_COUNT_SLACK:
            raise VideoError(f"Video {video} has {reader.n_frames} frames; the poses need "
                             f"frame {int(fi.max())}. Pass the video the poses were tracked on.")
        frames = iter(reader)
        pos = -1
        frame = None
        t0 = time.perf_counter()
        # a long video's depth takes minutes (an hour at 30 fps: about 13 on one thread)
        bar = progress_bar(total=len(order), desc=f"depth from {Path(video).name}",
                           unit="frame", leave=False, disable=len(order) < PROGRESS_FRAMES)
        for row in order:
            bar.update(1)
            want = int(fi[row])
            crops_row = [extractor.crop(uv_cat[row, i], conf_cat[row, i], ppm[i])
                         for i in range(n)]
            if all(c is None for c in crops_row):
                continue
            while pos < want and frame is not _ENDED:
                frame = next(frames, _ENDED)
                pos += 1
                frames_read += frame is not _ENDED
            if frame is _ENDED:  # past the end: a frame or two is a frame count's slack
                if want > pos - 1 + FRAME_COUNT_SLACK:
                    raise VideoError(f"Frame {pos} of video {video} cannot be decoded (the "
                                     "video ends early or is damaged).")
                continue
            t1 = time.perf_counter()
            secs["decode"] += t1 - t0
            pending.add(int(row), frame, crops_row)
            t0 = time.perf_counter()
            secs["crop"] += t0 - t1
            if len(pending.rows) >= batch:
                pending.flush()
                t0 = time.perf_counter()
        pending.flush()
        bar.close()
    return VideoDepth(cues=pending.cues, px_per_mm=ppm, frames_read=frames_read, seconds=secs,
                      kept=pending.kept)


@dataclass
class _PendingCrops:
    """Crops waiting for one batched depth pass; :meth:`flush` writes their cues."""

    extractor: Any
    uv_cat: np.ndarray
    conf_cat: np.ndarray
    cues: np.ndarray
    batch: int
    keep_set: set[int]
    kept: dict[int, dict[str, Any]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=lambda: {
        "decode": 0.0, "crop": 0.0, "depth": 0.0, "cues": 0.0})
    rows: list[tuple[int, int]] = field(default_factory=list)  # (pose row, individual)
    crops: list[Any] = field(default_factory=list)
    gray: list[np.ndarray] = field(default_factory=list)
    rgb: dict[int, np.ndarray] = field(default_factory=dict)

    def add(self, row: int, frame: np.ndarray, crops_row: list[Any]) -> None:
        """Queue the crops of pose row ``row`` (``None`` where an animal has no crop)."""
        for i, c in enumerate(crops_row):
            if c is None:
                continue
            self.gray.append(self.extractor.gray(frame, c))
            self.rows.append((row, i))
            self.crops.append(c)
        if row in self.keep_set:
            self.rgb[row] = frame.copy()

    def flush(self) -> None:
        """Run the depth network on the queued crops and read their cues."""
        if not self.rows:
            return
        t0 = time.perf_counter()
        h, m, lm = self.extractor.depth(np.stack(self.gray), batch=self.batch)
        t1 = time.perf_counter()
        rows, inds = np.array(self.rows).T
        self.cues[rows, inds] = self.extractor.read(h, m, lm, self.crops, self.uv_cat[rows, inds],
                                                    self.conf_cat[rows, inds])
        for j, (row, ind) in enumerate(self.rows):
            if row in self.keep_set:
                d = self.kept.setdefault(row, {"rgb": self.rgb.get(row), "crops": {},
                                               "height": {}, "mask": {}})
                d["crops"][ind], d["height"][ind], d["mask"][ind] = self.crops[j], h[j], m[j]
        self.seconds["depth"] += t1 - t0
        self.seconds["cues"] += time.perf_counter() - t1
        self.rows.clear()
        self.crops.clear()
        self.gray.clear()
        self.rgb.clear()


@overload
def snout_readings(cues: np.ndarray, *, where: Literal[False] = False) -> np.ndarray: ...


@overload
def snout_readings(cues: np.ndarray, *, where: Literal[True]
                   ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]: ...


def snout_readings(cues: np.ndarray, *, where: bool = False
                   ) -> np.ndarray | tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """The depth network's own snout heights (mm) wherever it read one.

    Parameters
    ----------
    cues
        ``(T, N, K, N_CUES)`` cues in catalogue order (:func:`video_depth_cues`).
    where
        Also return which rows of ``cues`` each reading is of.

    Returns
    -------
    readings : numpy.ndarray
        ``(M,)`` heights of the landmark the network places at the tracked snout, every
        animal's, frame by frame (empty where the file tracks no snout or the network has
        no landmarks).
    (frames, animals) : tuple of numpy.ndarray
        Only with ``where``: the ``(M,)`` frame (row) and animal indices into ``cues`` of
        each reading (to pick the same frames' keypoints).

    Examples
    --------
    >>> from dlc_lifter.mouse.catalogue import CATALOGUE
    >>> from dlc_lifter.nets.cues import CUE_NAMES, N_CUES
    >>> cues = np.zeros((3, 1, len(CATALOGUE), N_CUES))
    >>> cues[1, 0, CATALOGUE.index("nose"), CUE_NAMES.index("available")] = 1.0
    >>> cues[1, 0, CATALOGUE.index("nose"), CUE_NAMES.index("landmark")] = 0.2
    >>> snout_readings(cues, where=True)
    (array([20.]), (array([1]), array([0])))
    """
    from dlc_lifter.mouse.catalogue import CATALOGUE
    from dlc_lifter.nets.cues import CUE_NAMES

    nose = np.asarray(cues)[..., CATALOGUE.index("nose"), :]
    read = (nose[..., CUE_NAMES.index("available")] > 0) & (
        nose[..., CUE_NAMES.index("landmark")] != 0)  # a network without landmarks: zeros
    readings = 100.0 * nose[..., CUE_NAMES.index("landmark")][read].astype(np.float64)
    if not where:
        return readings
    frames, animals = np.nonzero(read)
    return readings, (frames, animals)


def depth_out_of_domain(readings: np.ndarray) -> tuple[dict[str, float], str | None]:
    """Judge a file's depth by the network's own snout readings.

    Parameters
    ----------
    readings
        ``(M,)`` snout heights (mm) read by the depth network (:func:`snout_readings`).

    Returns
    -------
    summary : dict
        ``readings`` (how many), ``median_mm`` and ``raised_share`` (the share at
        :data:`FLAT_SNOUT_MM` or higher).
    why : str or None
        Why the file's depth is not to be used (the snout read raised in more than
        :data:`DEPTH_RAISED_SHARE` of at least :data:`DEPTH_CHECK_READINGS` readings: a
        video unlike those the network learned from), or ``None``.
    """
    readings = np.asarray(readings, dtype=np.float64)
    n = int(readings.size)
    if not n:
        return {"readings": 0}, None
    summary = {"readings": n, **raised_summary(readings)}
    if not mostly_raised(n, summary["raised_share"]):
        return summary, None
    return summary, (
        f"the depth network reads the snout at {FLAT_SNOUT_MM:.0f} mm or higher in "
        f"{100 * summary['raised_share']:.0f} % of its {n} readings (median "
        f"{summary['median_mm']:.0f} mm), where a mouse is flat most of the time: the video is "
        "unlike those it learned from (bedding, lighting, a small or blurred mouse), and its "
        "depth would raise flat mice")


def lift_poses_with_depth(
    poses: Poses,
    video: str | Path,
    *,
    lifter: Any | None = None,
    depth_weights: str | Path | None = None,
    fused_weights: str | Path | None = None,
    keypoint_map: Any = None,
    strict: bool = False,
    batch: int = 32,
    keep: Sequence[int] = (),
    **lift_kwargs: Any,
) -> Poses:
    """Lift 2D poses to 3D with depth cues from their video; keypoints only if impossible.

    Parameters
    ----------
    poses
        2D poses (pixels) tracked on ``video``.
    video
        The video.
    lifter
        The keypoints-only :class:`~dlc_lifter.lift.Lifter` (default: shipped); used
        for the fallback, and its mode and likelihood cutoff are used for the fused lift.
    depth_weights, fused_weights
        Depth-network and fused-lifter weights (default: shipped).
    keypoint_map, strict
        As :func:`~dlc_lifter.lift.lift_poses`.
    batch
        Crops per depth-network pass.
    keep
        Pose rows whose frame, crops and height maps go to ``meta.extra["depth_kept"]``.
    **lift_kwargs
        Passed on to :func:`~dlc_lifter.lift.lift_poses` (``calibration``, ``camera``,
        ``camera_height_mm``, ``focal_px``, ``arena_size_mm``, ``floor_mm_per_px``,
        ``image_size``, ``impute_all``, ``mode``, ``camera_choice``, ``adapt``, ``view``,
        ``walls``). The camera is
        resolved first (:func:`~dlc_lifter.lift.camera_choice.lift_camera`): filmed from below
        the floor, the video is not read and the keypoints alone are lifted.

    Returns
    -------
    Poses
        As :func:`~dlc_lifter.lift.lift_poses`; ``meta.extra["depth"]`` says whether
        the depth path was used (``used``), why not (``reason``), the weights, the image
        scale, the fraction of tracked keypoints with depth cues (``cue_fraction_tracked``;
        ``cue_fraction`` is over every catalogue slot, untracked ones included), the
        depth network's own snout readings (``snout_reading``: how many, their median and
        the share at :data:`FLAT_SNOUT_MM` or higher; :func:`depth_out_of_domain`) and the
        time per stage.
    """
    from dlc_lifter.lift.camera_choice import lift_camera
    from dlc_lifter.lift.keypoints import catalogue_arrays, plan_lift_keypoints, split_animals
    from dlc_lifter.lift.lifter import Lifter
    from dlc_lifter.lift.mistracks import drop_mistracks
    from dlc_lifter.lift.poses import lift_poses
    from dlc_lifter.lift.view_range import oblique_share
    from dlc_lifter.nets.lifter import ModelLoadError

    t0 = time.perf_counter()
    lifter = lifter or Lifter.load()
    mapping = plan_lift_keypoints(poses, keypoint_map, strict=strict)
    poses = split_animals(poses, mapping)  # cues are read per animal
    info: dict[str, Any] = {"used": False, "video": str(video)}
    try:
        depth_model, fused = load_depth_models(depth_weights, fused_weights)
        fused_lifter = lifter.around(fused)  # its companions: the camera's log says so
        if lift_kwargs.get("camera_choice") is None:  # as the fused lift would resolve it
            camera_keys = ("calibration", "camera", "camera_height_mm", "focal_px",
                           "arena_size_mm", "floor_mm_per_px", "image_size", "view")
            lift_kwargs["camera_choice"] = lift_camera(
                poses, lifter=fused_lifter, keypoint_map=mapping,
                **{k: v for k, v in lift_kwargs.items() if k in camera_keys})
        choice = lift_kwargs["camera_choice"]
        view_angle = choice.details.get("view", {}).get("angle_deg")
        oblique = lifter.oblique_share(choice.camera, view_angle) >= 1.0
        # weights without their companion for oblique views: the fused lifter lifts a view
        # the companion would have lifted from keypoints (the log warns once)
        missing = (lifter.missing_companion(choice.camera, view_angle)
                   if not choice.camera.below_floor and oblique_share(view_angle) >= 1.0
                   else None)
        if choice.camera.below_floor or oblique:
            reason = ("filmed from below the floor (the depth network knows views from above)"
                      if choice.camera.below_floor else
                      f"seen {view_angle:.0f} deg off the vertical (the depth network knows "
                      "top views; the keypoints' networks for oblique views lift it)")
            logger.warning("%s: %s; the video %s is not used for depth: lifting from "
                           "keypoints only.", poses.meta.source, reason, video)
            info["reason"] = reason
            out = lift_poses(poses, lifter=lifter, keypoint_map=mapping, **lift_kwargs)
            out.meta.extra["depth"] = info
            return out
        uv_cat, conf_cat, _ = catalogue_arrays(poses, mapping)
        conf_cat, _ = drop_mistracks(uv_cat, conf_cat, lifter.pcutoff)  # no crops on them
        # crops scaled by the fused lifter's population (its base's, as in its training and
        # in live lifting), not by the keypoints-only lifter's, which may be another model
        vd = video_depth_cues(video, uv_cat, conf_cat, poses.frame_indices,
                              depth_model=depth_model, pair_length_mm=fused.pair_length_mm,
                              pcutoff=lifter.pcutoff, batch=batch, keep=keep)
    except (VideoError, ModelLoadError) as exc:
        logger.warning("%s: depth from video unavailable (%s); lifting from keypoints only.",
                       poses.meta.source, exc)
        info["reason"] = str(exc)
        out = lift_poses(poses, lifter=lifter, keypoint_map=mapping, **lift_kwargs)
        out.meta.extra["depth"] = info
        return out
    t1 = time.perf_counter()
    avail = vd.cues[..., -1] > 0
    info["snout_reading"], why = depth_out_of_domain(snout_readings(vd.cues))
    if not avail.any():  # no crop placed (scale unknown) or none read: nothing to fuse
        why = (f"no depth cue read from it ({vd.frames_read} frames read"
               + ("; the animals' image scale could not be measured on these "
                  f"{len(poses.frame_indices)} frames, so no crop was placed"
                  if not np.isfinite(vd.px_per_mm).any() else "") + ")")
        info["frames_read"] = vd.frames_read
    if why is not None:
        logger.warning("%s: %s; lifting from keypoints only (pass --no-video to skip reading "
                       "the video).", video, why)
        info["reason"] = why
        out = lift_poses(poses, lifter=lifter, keypoint_map=mapping, **lift_kwargs)
        out.meta.extra["depth"] = info
        return out
    out = lift_poses(poses, lifter=fused_lifter, keypoint_map=mapping, cues=vd.cues,
                     **lift_kwargs)
    # coverage over the keypoints the file tracks (above the cutoff), not over every
    # catalogue slot: 4 tracked keypoints of the 39 are ~10 % of slots at full coverage
    tracked = np.isfinite(uv_cat).all(-1) & (np.nan_to_num(conf_cat) >= lifter.pcutoff)
    info.update(used=True, depth_weights=depth_model.info.get("path"),
                depth_sha256=depth_model.info.get("sha256"),
                depth_isolate_margin_mm=depth_model.isolate_margin_mm,
                depth_rear_context_mm=depth_model.rear_context_mm,
                fused_weights=fused.info.get("path"), fused_sha256=fused.info.get("sha256"),
                px_per_mm=[float(v) for v in vd.px_per_mm], frames_read=vd.frames_read,
                cue_fraction=float(avail.mean()) if avail.size else 0.0,
                cue_fraction_tracked=float(avail[tracked].mean()) if tracked.any() else 0.0,
                seconds={**{k: round(v, 3) for k, v in vd.seconds.items()},
                         "cues_total": round(t1 - t0, 3),
                         "lift": round(time.perf_counter() - t1, 3)})
    logger.info("Depth from %s: %d frames read, cues on %.0f%% of tracked keypoints "
                "(%.0f%% of all catalogue slots), %.1f s (decode %.1f, crop %.1f, depth %.1f); "
                "fused lift %.1f s.", video, vd.frames_read,
                100 * info["cue_fraction_tracked"], 100 * info["cue_fraction"], t1 - t0,
                vd.seconds["decode"],
                vd.seconds["crop"], vd.seconds["depth"], time.perf_counter() - t1)
    out.meta.extra["depth"] = info
    if missing is not None:
        out.meta.extra["companion_missing"] = str(missing)
    if keep:
        out.meta.extra["depth_kept"] = vd.kept
    return out
