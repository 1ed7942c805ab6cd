"""The camera a lift uses: a calibration, the numbers given, or an estimate; above the floor
or below it.

:func:`lift_camera` (and :func:`choose_camera`, on arrays :func:`~dlc_lifter.lift.lift_poses`
already holds) resolves the camera with
:func:`~dlc_lifter.lift.camera_estimate.resolve_camera`, after two choices of its own: which
individuals give the scale when it comes from the animal's size
(:func:`~dlc_lifter.lift.camera_estimate.adults_for_scale`), and whether the file was filmed
from below a glass floor (``view``). Seen from below, an image is the mirror image of one seen
from above; without a calibration, the camera is estimated as usual on the image mirrored about
its middle column and then put under the floor
(:meth:`~dlc_lifter.camera.Camera.mirrored_below`). ``view="auto"`` decides by the animal's
sides (:mod:`dlc_lifter.lift.handedness`). The chosen camera's view of the animal is
measured and, where it lies beyond what the lifter is measured for, said in the log
(:mod:`dlc_lifter.lift.view_range`); so is the animal's size on the floor where the camera's
scale is not the animal's own (:mod:`dlc_lifter.lift.body_size`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from dlc_lifter.camera import Camera
from dlc_lifter.errors import CameraEstimateError
from dlc_lifter.lift.body_size import animal_sizes, scale_is_independent, warn_animal_size
from dlc_lifter.lift.camera_estimate import (
    CameraChoice,
    adults_for_scale,
    arena_size_from_scale,
    resolve_camera,
    resolve_image_size,
    unsure_body_message,
)
from dlc_lifter.lift.handedness import MIN_FRAMES, measure_handedness
from dlc_lifter.lift.keypoints import (
    arena_pixels,
    catalogue_arrays,
    names_lifted,
    plan_lift_keypoints,
    split_animals,
)
from dlc_lifter.lift.labelled_pool import Project, needs_project_frames, project_frames
from dlc_lifter.lift.lifter import Lifter
from dlc_lifter.lift.mistracks import drop_mistracks
from dlc_lifter.lift.options import check_view, source_kind
from dlc_lifter.lift.view_range import animal_view, warn_view_range
from dlc_lifter.mouse.catalogue import CATALOGUE
from dlc_lifter.mouse.keypoint_map import KeypointMap
from dlc_lifter.poses import Poses

__all__ = ["choose_camera", "lift_camera"]

logger = logging.getLogger(__name__)


def lift_camera(
    poses: Poses,
    *,
    lifter: Lifter | None = None,
    keypoint_map: KeypointMap | str | Path | Mapping[str, str | None] | None = None,
    strict: bool = False,
    calibration: str | Path | None = None,
    camera: str | None = None,
    camera_height_mm: float | None = None,
    focal_px: float | None = None,
    arena_size_mm: float | tuple[float, float] | None = None,
    image_size: tuple[int, int] | None = None,
    view: str = "auto",
    floor_mm_per_px: float | None = None,
    calibrated: Camera | None = None,
) -> CameraChoice:
    """The camera :func:`lift_poses` would lift ``poses`` with (same parameters).

    For a caller that needs it first: the depth path reads no depth cues for a camera
    below the floor. ``calibrated``: ``calibration``'s camera where the caller has read it
    already (:func:`~dlc_lifter.lift.camera_estimate.resolve_camera`).
    """
    check_view(view)
    lifter = lifter or Lifter.load()
    plan = plan_lift_keypoints(poses, keypoint_map, strict=strict)
    poses = split_animals(poses, plan)
    lifted = names_lifted(poses, plan) if plan.animals else None
    uv_cat, c_cat, _ = catalogue_arrays(poses, plan, lifted=lifted)
    c_cat, _ = drop_mistracks(uv_cat, c_cat, lifter.pcutoff)  # as lift_poses does
    return choose_camera(poses, lifter, uv_cat, c_cat, c_cat >= lifter.pcutoff,
                         arena_pixels(poses, plan, lifter.pcutoff), calibration=calibration,
                         camera=camera, camera_height_mm=camera_height_mm, focal_px=focal_px,
                         arena_size_mm=arena_size_mm, image_size=image_size, view=view,
                         floor_mm_per_px=floor_mm_per_px, plan=plan, calibrated=calibrated)


def choose_camera(poses: Poses, lifter: Lifter, uv_cat: np.ndarray, c_cat: np.ndarray,
                  tracked: np.ndarray, arena_px: dict[str, list[float]], *,
                  calibration: str | Path | None, camera: str | None,
                  camera_height_mm: float | None, focal_px: float | None,
                  arena_size_mm: float | tuple[float, float] | None,
                  image_size: tuple[int, int] | None, view: str,
                  floor_mm_per_px: float | None = None,
                  plan: KeypointMap | None = None,
                  project: Project | None = None,
                  calibrated: Camera | None = None) -> CameraChoice:
    """:func:`lift_camera` on the catalogue arrays of split, mapped poses (``tracked``:
    above the likelihood cutoff; ``arena_px``: the tracked arena landmarks; ``plan``: their
    keypoint plan, with which a labelled-data file with too few images for the camera's
    estimate measures the animal over its project's other folders,
    :mod:`dlc_lifter.lift.labelled_pool`; ``project``: those folders' frames where the
    caller has read them already; ``calibrated``: ``calibration``'s camera, likewise).

    The floor scale is ``floor_mm_per_px`` when given, else the file's own
    (``meta.extra["floor_mm_per_px"]``, a JABS file's ``cm_per_pixel``); with tracked
    corners it gives the arena's size, otherwise the camera's scale."""
    given = floor_mm_per_px is not None
    scale = floor_mm_per_px if given else poses.meta.extra.get("floor_mm_per_px")
    scale = None if scale is None else float(scale)
    from_scale = False  # the arena's size from the floor scale: what a size warning names
    if arena_size_mm is None and scale is not None:
        arena_size_mm = arena_size_from_scale(arena_px, scale)
        from_scale = arena_size_mm is not None
        if arena_size_mm is not None:
            logger.info("%s: arena %s mm from its tracked corners at %s %.4g mm/px; "
                        "arena_size_mm= overrides it.", poses.meta.source,
                        " x ".join(f"{v:g}" for v in arena_size_mm),
                        "the floor scale given," if given else "the file's own", scale)
    size = image_size or resolve_image_size(poses, None, calibration)
    rows = np.ones(poses.n_individuals, bool)
    if calibration is None and arena_size_mm is None and None in (camera_height_mm,
                                                                    focal_px):
        rows = adults_for_scale(uv_cat, tracked, poses.individuals,
                                lifter.model.pair_length_mm,
                                lifter.model.median_height_mm, poses.meta.source)
    below = calibration is None and _filmed_from_below(view, uv_cat, tracked,
                                                       str(poses.meta.source))
    axis = _mirror_axis(size, uv_cat) if below else 0.0
    uv_est = _mirror_u(uv_cat[:, rows], axis, below).reshape(-1, len(CATALOGUE), 2)
    c_est = c_cat[:, rows].reshape(-1, len(CATALOGUE))
    pooled = None
    if (plan is not None and not below and calibration is None and arena_size_mm is None
            and scale is None and None in (camera_height_mm, focal_px)
            and needs_project_frames(poses, np.nan_to_num(c_est) >= lifter.pcutoff,
                                     lifter.model.pair_length_mm)):
        pooled = project if project is not None else project_frames(poses, plan,
                                                                    lifter.pcutoff)
        if pooled is not None:
            uv_est = np.concatenate([uv_est, pooled[0]])
            c_est = np.concatenate([np.nan_to_num(c_est), pooled[1]])
            logger.warning(
                "%s: %d labelled images; the animal's length is measured over them and the "
                "%d other labelled-data folders of %s (%d images with the same bodyparts "
                "%s), as if one camera filmed every video of the project. If "
                "its videos come from different cameras, give this one's (camera_height_mm "
                "with focal_px, arena_size_mm or a calibration).", poses.meta.source,
                poses.n_frames, pooled[2]["files"], pooled[2]["folder"],
                pooled[2]["frames"], "and frame size" if poses.meta.image_size is not None
                else "and, like this one's, no frame size known")
    try:
        camera_choice = resolve_camera(
            uv_est, c_est, size,
            calibration=calibration, camera=camera, camera_height_mm=camera_height_mm,
            focal_px=focal_px, arena_size_mm=arena_size_mm, lifter=lifter, calibrated=calibrated,
            pcutoff=lifter.pcutoff,
            arena_px=_mirror_arena(arena_px, axis) if below else arena_px, below=below,
            floor_mm_per_px=scale, file_label=str(poses.meta.source))
    except CameraEstimateError as exc:  # where the tracker was unsure of the body, say so
        why = unsure_body_message(str(poses.meta.source), uv_est, c_est, lifter.pcutoff,
                                  lifter.model.pair_length_mm)
        if why is None:  # the names: a body lifted as ending at its tail's tip, or a head
            placed = np.isfinite(uv_est).all(-1).reshape(-1, len(CATALOGUE)).any(0)
            why = (f"{poses.meta.source}: {exc} Its keypoints are lifted as "
                   f"{', '.join(CATALOGUE[k] for k in np.flatnonzero(placed))}. If one of "
                   "them is another body part (a 'tail' tracked at the tail's base), give a "
                   "keypoint map naming it ('tail: tail_base').")
        raise CameraEstimateError(why) from None
    if calibration is not None and view != "below":
        camera_choice = _turned_over_if_z_down(camera_choice, uv_cat, tracked, view,
                                               str(poses.meta.source))
    if below:
        camera_choice = CameraChoice(
            camera_choice.camera.mirrored_below(axis), camera_choice.frame,
            f"{camera_choice.source}, filmed from below",
            {**camera_choice.details, "mirrored_about_u": axis})
    seen = animal_view(camera_choice.camera, uv_cat, tracked)
    warn_view_range(seen, str(poses.meta.source), camera_choice.source,
                    oblique_networks=lifter.has_oblique_companion)
    details = dict(camera_choice.details)
    if pooled is not None:
        details["pooled_labelled_data"] = pooled[2]
    if seen is not None:
        details["view"] = seen.as_dict()
    if scale_is_independent(camera_choice.source) or poses.n_individuals > 1:
        # with several animals and the scale from their length, the size still says which
        # animal is far from the others (a pup beside its mother: the estimate kept the
        # adults, camera_estimate.adults_for_scale)
        sizes = animal_sizes(camera_choice.camera, uv_cat, tracked, poses.individuals,
                             lifter.model.pair_length_mm, lifter.model.median_height_mm)
        by_floor_scale = from_scale and source_kind(camera_choice.source).startswith("arena")
        warn_animal_size(sizes, str(poses.meta.source), camera_choice.source,
                         poses.n_individuals,
                         scaled_by="floor-scale" if by_floor_scale else None)
        if sizes:
            details["animal_size"] = {s.individual: s.as_dict() for s in sizes}
    return CameraChoice(camera_choice.camera, camera_choice.frame, camera_choice.source,
                        details)


def _filmed_from_below(view: str, uv_cat: np.ndarray, tracked: np.ndarray, source: str
                       ) -> bool:
    """Whether to lift as filmed from below the floor (``view``; ``auto``: the side vote)."""
    if view != "auto":
        return view == "below"
    hand = measure_handedness(uv_cat, tracked)
    if hand.looks_mirrored:
        logger.warning(
            "%s: in %d of %d frames looked at the animal's left keypoints lie on its right "
            "as seen from above: filmed from below, through the floor, it seems. Lifted as "
            "seen from below (view=below). For a mirrored video, or left and right named "
            "the other way round, pass view=above with a keypoint map "
            "swapping left and right.", source, hand.mirrored, hand.frames)
    return hand.looks_mirrored


def _turned_over_if_z_down(choice: CameraChoice, uv_cat: np.ndarray, tracked: np.ndarray,
                           view: str, source: str) -> CameraChoice:
    """A calibration's camera below its floor, where ``view="above"`` says it is above or
    where it sees the animal's sides mirrored: a world whose ``z`` points down (a
    checkerboard's frame on the floor), turned over
    (:meth:`~dlc_lifter.camera.Camera.turned_over`), warned; any other camera as it is.

    Below the floor and seeing the sides the right way round is a camera under a glass
    floor; seen from above with the sides mirrored, two readings agree that the camera is
    above the floor (a mirrored video alone would not put it below). Where no left/right
    pair tells (a file of midline keypoints), the camera stays below, warned with both
    readings. ``view="below"`` keeps the calibration as it is (the caller does not ask)."""
    cam = choice.camera
    if not cam.below_floor:
        return choice
    hand = measure_handedness(uv_cat, tracked, cam)
    if view == "above":
        why = "view=above says the camera is above it"
    elif hand.looks_mirrored:
        why = (f"in {hand.mirrored} of {hand.frames} frames looked at the animal's left "
               "keypoints lie on its right there")
    else:
        if hand.frames < MIN_FRAMES:
            logger.warning(
                "%s: the calibration puts the camera %.0f mm below the floor: lifted as "
                "filmed from below, through a glass floor. Too few frames with a left/right "
                "pair (%d) tell that from a world whose z points down (a checkerboard's "
                "frame on the floor, the camera above it): if the camera is above the floor, "
                "lift with view=above (--view above), which turns that world over.",
                source, -cam.height_mm, hand.frames)
        return choice
    logger.warning(
        "%s: the calibration's world has z pointing down, it seems (a checkerboard's frame "
        "on the floor): it puts the camera %.0f mm below the floor, and %s. Its world is "
        "turned over (y and z reversed, x kept) and the animal lifted above the floor: a "
        "point (x, y, z) of the output is (x, -y, -z) in the calibration's world. "
        "view=below keeps the calibration as it is (a camera under a glass floor).",
        source, -cam.height_mm, why)
    return CameraChoice(cam.turned_over(), choice.frame, f"{choice.source}, turned over",
                        {**choice.details,
                         "turned_over": "the calibration's z pointed down: its y and z "
                                        "reversed"})


def _mirror_axis(size: tuple[int, int] | None, uv_cat: np.ndarray) -> float:
    """The image column a view from below is mirrored about: the image's middle."""
    if size is not None and size[0] > 0:
        return size[0] / 2.0
    return float(np.nanmedian(uv_cat[..., 0]))


def _mirror_arena(arena_px: dict[str, list[float]], axis: float) -> dict[str, list[float]]:
    """Arena landmarks in the mirrored image: corners are named by where they are in the
    image, so the mirror swaps left and right in their names too."""
    swap = {"left": "right", "right": "left"}
    out = {}
    for name, (u, v) in arena_px.items():
        parts = name.split("_")
        out["_".join(swap.get(p, p) for p in parts)] = [2.0 * axis - u, v]
    return out


def _mirror_u(uv: np.ndarray, axis: float, mirror: bool) -> np.ndarray:
    if not mirror:
        return uv
    out = np.array(uv, dtype=np.float64, copy=True)
    out[..., 0] = 2.0 * axis - out[..., 0]
    return out
