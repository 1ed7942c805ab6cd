"""A DLC project's labelled-data folders measured together: the animal's length and where the
back labels sit.

With no camera information the camera's scale comes from the animal's median length
(:func:`~dlc_lifter.lift.camera_estimate.resolve_camera`). A DeepLabCut labelled-data
folder holds a few images of one video (5 to 20; :data:`~dlc_lifter.lift.camera_estimate.
BODY_PAIR_FRAMES` or fewer with both ends of the body labelled), and the median of so few
lengths moves with one rearing or curled image. Measured together, a project's folders give
one camera nearer the one all their images give, heights nearer the truth, and cameras
that agree far better across folders than each folder alone; the project's frames also say
where the back labels sit (:mod:`dlc_lifter.lift.midline`, which needs 20 stretched-out
frames: ``lift_poses`` reads them over the project for a labelled-data file with fewer
than 40 frames). Measured on a real mouse cut into folders (``benchmarks/real.py``
section A) and on another lab's project in ``docs/results.md``, "Real mice: DLC
labelled-data folders of a few images lifted with no camera; a project's folders measured
together".

So where a labelled-data file has too few frames for the estimate and no camera is given,
:func:`project_frames` adds the labelled frames of the project's other folders
(:func:`~dlc_lifter.io.find.labelled_data_siblings`) that have the same bodyparts and frame
size: the length is measured over them all, as one camera filming every video, and the log
says so. A project whose videos come from different cameras needs each camera given.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from dlc_lifter.errors import DLCLifterError
from dlc_lifter.io import read_poses
from dlc_lifter.io.find import labelled_data_siblings
from dlc_lifter.lift.camera_estimate import BODY_PAIR_FRAMES, body_length_pair
from dlc_lifter.lift.keypoints import catalogue_arrays
from dlc_lifter.lift.midline import (
    MIN_SHARE_FRAMES,
    labels_off_their_landmark,
    labels_out_of_order,
)
from dlc_lifter.mouse.catalogue import CATALOGUE
from dlc_lifter.mouse.keypoint_map import KeypointMap
from dlc_lifter.poses import Poses

__all__ = ["POOL_FRAMES", "Project", "back_labels_off", "back_labels_out_of_order",
           "back_order_named", "describe_back_order", "needs_project_frames", "project_frames",
           "project_label_frames"]

#: The other folders' frames :func:`project_frames` pools: ``(uv, conf, info)``.
Project = tuple[np.ndarray, np.ndarray, dict[str, Any]]

logger = logging.getLogger(__name__)

#: The other folders are read, in order, until they hold this many frames: a project of
#: hundreds of labelled-data folders costs a lift a few dozen reads, not hundreds (each
#: about 60 ms); 20 times the frames the camera's estimate asks for.
POOL_FRAMES = 400


def _pair_frames(ok: np.ndarray, pair_mm: np.ndarray) -> int:
    """Frames the body-length pair is tracked together in (0 where no pair is)."""
    try:
        pair = body_length_pair(ok, pair_mm)
    except DLCLifterError:
        return 0
    i, j = (CATALOGUE.index(n) for n in pair.split("-"))
    return int((ok[:, i] & ok[:, j]).sum())


def needs_project_frames(poses: Poses, ok: np.ndarray, pair_mm: np.ndarray) -> bool:
    """Whether a lift whose camera comes from the animal's length should measure it over
    the project's other labelled-data folders: one animal's labelled images
    (``dlc-labels``, read from a file) with the body-length pair tracked together in fewer
    than :data:`BODY_PAIR_FRAMES` of them (``ok``: ``(T, K)`` tracked flags, catalogue
    order; ``pair_mm``: the population's pair lengths)."""
    return (poses.meta.source_format == "dlc-labels" and poses.n_individuals == 1
            and poses.meta.source is not None and Path(str(poses.meta.source)).is_file()
            and _pair_frames(ok, pair_mm) < BODY_PAIR_FRAMES)


class _Quiet(logging.Filter):
    """Drops the reader's messages about the sibling files (they are not being lifted)."""

    def __init__(self, paths: list[Path]) -> None:
        super().__init__()
        self.names = [str(p) for p in paths]

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        return not any(n in text for n in self.names)


@functools.lru_cache(maxsize=1024)
def _read(path: str, mtime_ns: int) -> Poses:  # noqa: ARG001 - the key: a changed file
    return read_poses(path)


def project_frames(poses: Poses, plan: KeypointMap, pcutoff: float) -> Project | None:
    """The labelled frames of the project's other folders, for the body-length estimate.

    Parameters
    ----------
    poses
        The labelled-data file being lifted (one individual).
    plan
        Its keypoint plan; the other folders are mapped with it.
    pcutoff
        Likelihood cutoff (labelled points have likelihood 1).

    Returns
    -------
    (uv, conf, info) or None
        ``(F, len(CATALOGUE), 2)`` pixels and ``(F, len(CATALOGUE))`` likelihoods of the other
        folders' frames (read in order until they hold :data:`POOL_FRAMES`), catalogue
        order, and what was pooled (``files``, ``frames``, ``folder``); ``None`` where the
        project has no other folder with the same bodyparts and frame size.
    """
    source = Path(str(poses.meta.source))
    try:
        siblings = labelled_data_siblings(source)
    except OSError as exc:  # an unreadable project folder: the file is measured alone
        logger.debug("%s: its project's folders not read (%s).", source, exc)
        return None
    if not siblings:
        return None
    quiet = _Quiet(siblings)
    # a logger's filters see only its own records: every reader module's logger gets it
    readers = [logging.getLogger(name) for name in list(logging.Logger.manager.loggerDict)
               if name == "dlc_lifter.io" or name.startswith("dlc_lifter.io.")]
    for log in readers:
        log.addFilter(quiet)
    uv, conf, used = [], [], []
    try:
        for path in siblings:
            if sum(len(u) for u in uv) >= POOL_FRAMES:  # enough: a large project's cost
                break
            try:
                other = _read(str(path), path.stat().st_mtime_ns)
            except (DLCLifterError, OSError, ValueError) as exc:
                logger.debug("%s: not pooled (%s).", path, exc)
                continue
            if (list(other.keypoints) != list(poses.keypoints) or other.n_individuals != 1
                    or other.meta.image_size != poses.meta.image_size):
                continue
            u, c, _ = catalogue_arrays(other, plan)
            uv.append(u[:, 0])
            conf.append(np.where(np.isfinite(c[:, 0]), c[:, 0], 0.0))
            used.append(path)
    finally:
        for log in readers:
            log.removeFilter(quiet)
    if not used:
        return None
    uv_all, conf_all = np.concatenate(uv), np.concatenate(conf)
    info = {"files": len(used), "frames": int(len(uv_all)),
            "folder": str(source.parent.parent),
            "tracked_frames": int((conf_all >= pcutoff).any(-1).sum())}
    return uv_all, conf_all, info


def project_label_frames(poses: Poses, plan: KeypointMap, pcutoff: float
                         ) -> Project | None:
    """The other labelled-data folders' frames (:func:`project_frames`) of a labelled-data
    file too short to say where its labels sit along the back
    (:data:`~dlc_lifter.lift.midline.MIN_SHARE_FRAMES` stretched-out frames; fewer than
    twice that many frames), or ``None``. A project's labellers place them alike."""
    if (poses.meta.source_format != "dlc-labels" or poses.n_individuals != 1
            or poses.n_frames >= 2 * MIN_SHARE_FRAMES or poses.meta.source is None
            or not Path(str(poses.meta.source)).is_file()):
        return None
    return project_frames(poses, plan, pcutoff)


def back_labels_off(uv_cat: np.ndarray, tracked: np.ndarray,
                    project: Project | None, pcutoff: float
                    ) -> list[dict[int, float]]:
    """Per individual, the labels on the back that sit elsewhere than their landmarks
    (:func:`~dlc_lifter.lift.midline.labels_off_their_landmark` on ``(T, N, K, 2)`` pixels
    and ``(T, N, K)`` tracked flags), measured over the ``project``'s other labelled frames
    too where given (:func:`project_label_frames`; one individual)."""
    return [labels_off_their_landmark(uv, ok)
            for uv, ok in _with_project(uv_cat, tracked, project, pcutoff)]


def back_labels_out_of_order(uv_cat: np.ndarray, tracked: np.ndarray,
                             project: Project | None, pcutoff: float
                             ) -> list[list[tuple[int, int, float, int]]]:
    """Per individual, the midline labels that lie the wrong way round
    (:func:`~dlc_lifter.lift.midline.labels_out_of_order`), over the ``project``'s other
    labelled frames too where given, as :func:`back_labels_off`."""
    return [labels_out_of_order(uv, ok)
            for uv, ok in _with_project(uv_cat, tracked, project, pcutoff)]


def back_order_named(uv_cat: np.ndarray, tracked: np.ndarray, project: Project | None,
                     pcutoff: float, mapped: Mapping[str, str],
                     individuals: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The midline labels that lie the wrong way round (:func:`back_labels_out_of_order`)
    in the file's own names: ``{individual: [{front, behind, share, frames}]}``, only
    the individuals where some do. ``mapped`` maps the file's names to the catalogue's.
    The lift's warning and metadata and ``dlc-lifter info`` read it."""
    yours = {cat: name for name, cat in mapped.items()}
    out: dict[str, list[dict[str, Any]]] = {}
    for ind, pairs in zip(individuals,
                          back_labels_out_of_order(uv_cat, tracked, project, pcutoff),
                          strict=True):
        for a, b, share, n in pairs:
            out.setdefault(str(ind), []).append(
                {"front": yours.get(CATALOGUE[a], CATALOGUE[a]),
                 "behind": yours.get(CATALOGUE[b], CATALOGUE[b]),
                 "share": share, "frames": n})
    return out


def describe_back_order(pairs: list[dict[str, Any]]) -> str:
    """One individual's pairs from :func:`back_order_named`, as the lift and ``info`` say
    them ("mouse_center lies in front of mid_back in 100 % of 75 frames; ...")."""
    return "; ".join(f"{p['behind']} lies in front of {p['front']} in "
                     f"{100 * p['share']:.0f} % of {p['frames']} frames" for p in pairs)


def _with_project(uv_cat: np.ndarray, tracked: np.ndarray,
                  project: Project | None, pcutoff: float
                  ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each individual's ``(uv, tracked)``, the project's frames appended where given."""
    out = []
    for i in range(uv_cat.shape[1]):
        uv, ok = uv_cat[:, i], tracked[:, i]
        if project is not None:
            uv = np.concatenate([uv, project[0]])
            ok = np.concatenate([ok, project[1] >= pcutoff])
        out.append((uv, ok))
    return out
