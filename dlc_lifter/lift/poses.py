"""Lift 2D :class:`~dlc_lifter.poses.Poses` to 3D: every individual, run by run.

:func:`lift_poses` is the keypoints-only offline lift that :func:`~dlc_lifter.lift.lift_file`
(and the depth path, with cues) calls: it plans the keypoint map
(:mod:`dlc_lifter.lift.keypoints`), resolves the camera
(:mod:`dlc_lifter.lift.camera_estimate`), splits the rows into runs of consecutive frames
(:mod:`dlc_lifter.lift.frames`), lifts each individual with the
:class:`~dlc_lifter.lift.lifter.Lifter`'s model and records how in the output metadata.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dlc_lifter.camera import Camera
from dlc_lifter.errors import DLCLifterError
from dlc_lifter.lift.adapt import AdaptOptions, adapt_session
from dlc_lifter.lift.camera_choice import choose_camera
from dlc_lifter.lift.camera_estimate import CameraChoice
from dlc_lifter.lift.frames import (
    MAX_CONTINUOUS_JUMP,
    MAX_CONTINUOUS_SPEED,
    MAX_SMOOTH_ROUGHNESS,
    RowMotion,
    describe_runs,
    frame_runs,
    frames_out_of_order,
    repeated_frames,
    row_motion,
)
from dlc_lifter.lift.handedness import warn_if_mirrored, warn_if_side_view
from dlc_lifter.lift.keypoints import (
    CENTRE_WITHHELD_UP_TO,
    animal_columns,
    arena_pixels,
    catalogue_arrays,
    names_lifted,
    object_individuals,
    on_own_ray,
    output_names,
    plan_lift_keypoints,
    split_animals,
    withheld_from_networks,
)
from dlc_lifter.lift.labelled_pool import (
    Project,
    back_labels_off,
    back_order_named,
    describe_back_order,
    project_label_frames,
)
from dlc_lifter.lift.lifter import Lifter
from dlc_lifter.lift.long_bodies import long_bodies
from dlc_lifter.lift.midline import (
    MIDLINE_INDEX,
    ON_THE_BACK,
    midline_without,
    onto_the_back,
)
from dlc_lifter.lift.mistracks import drop_mistracks
from dlc_lifter.lift.options import check_mode, check_view
from dlc_lifter.lift.raised import raised_noses
from dlc_lifter.lift.unsure import unsure_tracking
from dlc_lifter.lift.walls import (
    ARENA_CORNERS,
    arena_walls,
    head_rows,
    raise_into_arena,
    walls_from_track,
)
from dlc_lifter.mouse.catalogue import CATALOGUE, catalogue_index
from dlc_lifter.mouse.keypoint_map import KeypointMap
from dlc_lifter.nets.lifter import LiftingModel, floor_points
from dlc_lifter.poses import PoseMetadata, Poses

__all__ = ["already_3d_message", "lift_poses", "tails_withheld_counts"]

logger = logging.getLogger(__name__)


def already_3d_message(poses: Poses) -> str:
    """What to say of a pose file that holds 3D points (x, y, z) already."""
    return (f"{poses.meta.source} already holds 3D poses (x, y, z per keypoint: a "
            "triangulated file, e.g. DeepLabCut's 3D project or anipose, or a lifted "
            "output); lift the 2D pose file of the top camera instead.")


def lift_poses(
    poses: Poses,
    *,
    lifter: Lifter | None = None,
    camera_choice: CameraChoice | None = None,
    calibration: str | Path | None = None,
    camera: str | None = None,
    camera_height_mm: float | None = None,
    focal_px: float | None = None,
    arena_size_mm: float | tuple[float, float] | None = None,
    keypoint_map: KeypointMap | str | Path | Mapping[str, str | None] | None = None,
    image_size: tuple[int, int] | None = None,
    impute_all: bool = True,
    mode: str | None = None,
    strict: bool = False,
    cues: np.ndarray | None = None,
    adapt: bool | AdaptOptions = False,
    view: str = "auto",
    walls: bool = True,
    floor_mm_per_px: float | None = None,
) -> Poses:
    """Lift 2D :class:`~dlc_lifter.poses.Poses` (every individual) to 3D poses in mm.

    Frames that are not consecutive are not lifted as a video: each run of consecutive
    frame indices is lifted on its own, and frames alone (labelled data such as DLC's
    ``CollectedData``, or isolated frames) with the per-frame network
    (:func:`~dlc_lifter.lift.frames.frame_runs`); ``meta.extra["lift_mode"]`` records
    what was used.

    Parameters
    ----------
    poses
        2D poses (pixels).
    lifter
        The lifter (default: the shipped model).
    camera_choice
        A camera already resolved; otherwise resolved from ``calibration``, ``camera``,
        ``camera_height_mm``, ``focal_px`` and ``arena_size_mm``
        (:func:`~dlc_lifter.lift.camera_estimate.resolve_camera`); ``arena_size_mm``
        defaults to the file's own: its tracked corners at the floor scale it records
        (``meta.extra["floor_mm_per_px"]``, a JABS file's ``cm_per_pixel``;
        :func:`~dlc_lifter.lift.camera_estimate.arena_size_from_scale`). From the
        animal's size, much smaller animals (pups) are left out of the scale
        (:func:`~dlc_lifter.lift.camera_estimate.adults_for_scale`).
    calibration
        An anipose / DeepLabCut 3D / OpenCV calibration file whose camera filmed the
        poses (with ``camera``, its name there, where it holds several).
    camera
        The calibration's camera name.
    camera_height_mm, focal_px
        The camera's height above the floor (mm) and focal length (px), for a camera
        looking straight down (instead of a calibration).
    arena_size_mm
        The arena's size (mm; one number for a square, or width and height): with its
        four corners tracked, the floor plane and the scale; without, the scale from where
        the animal went.
    keypoint_map
        YAML file or dict ``user_name: catalogue_name`` (``null`` drops a keypoint), or a
        :class:`~dlc_lifter.mouse.keypoint_map.KeypointMap` already planned. Names the
        map does not give are mapped by :func:`~dlc_lifter.mouse.plan_keypoint_map`
        (known skeletons, aliases); arena landmarks are not lifted but measure the arena;
        names that map to nothing are dropped with a warning.
    image_size
        ``(width, height)``; default from the poses' metadata.
    impute_all
        Also output the catalogue keypoints the file does not track (imputed, likelihood
        0, flagged in ``meta.extra["imputed"]``).
    mode
        Network mode (default the lifter's) for runs of consecutive frames.
    strict
        Raise for keypoint names that map to nothing instead of dropping them.
    cues
        ``(T, N, len(CATALOGUE), C)`` per-keypoint cue channels for a lifter trained with
        them (the depth path's cues, :mod:`dlc_lifter.lift.depth_path`).
    adapt
        Adapt each animal's lift to its own head over the session
        (:func:`~dlc_lifter.lift.adapt.adapt_session`; an :class:`AdaptOptions` sets how);
        ``meta.extra["adapt"]`` records what was measured, per individual.
    view
        Where the camera films from when no calibration says: ``above``, ``below`` (through
        a glass floor: the image is the mirror image of a view from above; the camera is
        estimated on the mirrored image and placed below the floor,
        :meth:`~dlc_lifter.camera.Camera.mirrored_below`) or ``auto`` (below when the
        animal's left keypoints lie on its right as seen from above in nearly every frame,
        :mod:`dlc_lifter.lift.handedness`; warned). A calibration's own camera is used as
        it is, above the floor or below it. Depth cues are not used from below.
    floor_mm_per_px
        The floor's scale (mm per pixel; a lab's pixel-to-length calibration,
        :func:`~dlc_lifter.lift.options.parse_floor_scale` reads it with units): the
        camera's scale when no calibration, height with focal length, or arena corners with
        ``arena_size_mm`` give it (with tracked corners it gives the arena's size). Default
        the file's own (``meta.extra["floor_mm_per_px"]``).
    walls
        Where the file tracks the arena's four corners, no point of the animal lies inside a
        wall: points whose camera ray meets the floor beyond the walls are raised up their
        rays to where the ray comes inside (:mod:`dlc_lifter.lift.walls`);
        ``meta.extra["walls"]`` records whether the walls were used and what they raised.

    Returns
    -------
    Poses
        3D poses: the file's mapped keypoints (its names) then, with ``impute_all``, the
        other catalogue keypoints (catalogue names); its individuals, less those tracked
        by keypoints none of which maps onto the mouse (a multi-animal DeepLabCut file's
        unique bodyparts under ``single``: objects, the arena), which are left out
        (warned; ``meta.extra["individuals_left_out"]``). ``meta.extra`` holds ``camera``,
        ``model``, ``camera_source``, ``camera_estimate``, ``imputed``, ``keypoint_map``
        (how each name was used), ``arena_px`` (tracked arena landmarks, pixels) and
        ``handedness`` (frames whose left and right keypoints voted, and how many of them
        lay mirrored as seen from above: a view from below or a mirrored video is warned
        about, :mod:`dlc_lifter.lift.handedness`), ``side_view`` (frames with a left/right
        pair off the body's axis in the image, how many of them had both keypoints of a pair
        on one side of it, and whether the file looks filmed from the side: warned),
        ``raised`` (per individual, how often
        the lifted nose is raised: most frames is warned about, :mod:`dlc_lifter.lift.raised`)
        and ``unsure`` (per individual, its frames by how many keypoints the tracker was sure
        of: mostly fewer than two is warned about, :mod:`dlc_lifter.lift.unsure`).

    Raises
    ------
    KeypointMappingError
        When the keypoints that map onto the mouse catalogue do not span its body.
    UnknownKeypointError
        With ``strict``, when some keypoint maps to nothing.
    """
    if not isinstance(poses, Poses):
        raise DLCLifterError(
            f"lift_poses takes a dlc_lifter.Poses; got {type(poses).__name__}. Make one with "
            "Poses.from_dataframe(df) (a DeepLabCut table), Poses(coords=..., "
            "confidence=..., keypoints=...) (arrays) or read_poses(path).")
    if poses.is_3d:
        raise DLCLifterError(already_3d_message(poses))
    check_view(view)
    check_mode(mode)
    if camera is not None and not isinstance(camera, str):
        raise DLCLifterError(
            f"camera= names a camera of the calibration file; got {type(camera).__name__}. "
            "Give the camera's fields (camera_height_mm=, focal_px=, arena_size_mm=, "
            "calibration=), or lift a file with lift_file(path, camera=CameraSpec(...)).")
    if camera is not None and calibration is None:
        raise DLCLifterError(f"camera={camera!r} names a camera of a calibration file; give "
                             "the calibration too (calibration=).")
    plan = plan_lift_keypoints(poses, keypoint_map, strict=strict)
    poses = split_animals(poses, plan)
    _warn_fragments(poses)
    _warn_other_species(poses)
    if cues is not None and cues.shape[1] != poses.n_individuals:
        raise DLCLifterError(f"{poses.meta.source}: cues for {cues.shape[1]} individuals, "
                             f"poses of {poses.n_individuals} (split the animals first).")
    lifter = lifter or Lifter.load()
    lifted = names_lifted(poses, plan) if plan.animals else None
    uv_cat, c_cat, mapped = catalogue_arrays(poses, plan, lifted=lifted)
    cat_idx = catalogue_index(list(mapped.values()))
    arena_px = arena_pixels(poses, plan, lifter.pcutoff, warn=True)
    c_cat, mistracks = drop_mistracks(uv_cat, c_cat, lifter.pcutoff, str(poses.meta.source),
                                      {cat: name for name, cat in mapped.items()})
    tracked = c_cat >= lifter.pcutoff
    project = project_label_frames(poses, plan, lifter.pcutoff)  # read once, used twice
    if camera_choice is None:
        camera_choice = choose_camera(
            poses, lifter, uv_cat, c_cat, tracked, arena_px, calibration=calibration,
            camera=camera, camera_height_mm=camera_height_mm, focal_px=focal_px,
            arena_size_mm=arena_size_mm, image_size=image_size, view=view,
            floor_mm_per_px=floor_mm_per_px, plan=plan, project=project)
    unsure = unsure_tracking(uv_cat, c_cat, lifter.pcutoff,
                             [str(ind) for ind in poses.individuals], list(mapped), cat_idx,
                             str(poses.meta.source))
    seen_below = camera_choice.camera.below_floor
    if view != "auto" and seen_below != (view == "below"):
        logger.warning("%s: the camera given is %s the floor; view=%s is not used.",
                       poses.meta.source, "below" if seen_below else "above", view)
    if seen_below and cues is not None:
        logger.warning("%s: filmed from below the floor; the depth network knows views from "
                       "above, so the video's depth cues are not used.", poses.meta.source)
        cues = None
    hand = warn_if_mirrored(uv_cat, tracked, camera_choice.camera, str(poses.meta.source),
                            view_told=view == "below" and calibration is None)
    side = warn_if_side_view(uv_cat, tracked, str(poses.meta.source))
    extra_idx = [i for i in range(len(CATALOGUE)) if i not in set(cat_idx)] if impute_all else []
    names = output_names(list(mapped), extra_idx)
    want = mode or lifter.mode
    runs, lift_mode = _choose_runs(poses, uv_cat, c_cat, lifter.pcutoff, want)
    slots = _untracked_slots(poses, runs, lift_mode)
    # one share for the file (its median view), as its camera: a frame's own view angle
    # rises with its heights, and per-frame shares read rears worse (docs/results.md)
    view_angle = camera_choice.details.get("view", {}).get("angle_deg")
    networks = lifter.networks_for(camera_choice.camera, view_angle)  # companions, or a mix
    share, oblique = networks.oblique_share, networks.oblique
    if oblique is not None:
        logger.info("%s: the camera sees the animal %.0f deg off the vertical: %s the "
                    "networks for oblique views (%s).", poses.meta.source, view_angle,
                    "lifted with" if share >= 1.0 else f"points {100 * share:.0f} % from",
                    oblique.name)
    lifter = networks.lifter
    withheld = withheld_from_networks(cat_idx)
    coords, conf, imputed, back, curled = _lift_individuals(
        poses, lifter, camera_choice.camera, uv_cat, c_cat, cues, runs, want, cat_idx,
        list(cat_idx) + extra_idx, withheld, alone=slots)
    extra: dict[str, Any] = {"mistracked": mistracks, "unsure": unsure, "withheld": _on_own_rays(
        coords, imputed, uv_cat, c_cat, lifter.pcutoff, camera_choice.camera,
        list(cat_idx), withheld, list(mapped), str(poses.meta.source))}
    extra["tails_withheld"] = _report_curled_tails(curled, list(poses.individuals),
                                                   list(mapped), str(poses.meta.source))
    extra["on_the_back"] = _onto_the_back(coords, imputed, back, uv_cat, c_cat,
                                          lifter.pcutoff, camera_choice.camera, list(cat_idx),
                                          list(mapped), str(poses.meta.source), project)
    extra["back_out_of_order"] = _warn_out_of_order(
        uv_cat, tracked, project, lifter.pcutoff, mapped, list(poses.individuals),
        str(poses.meta.source))
    if adapt:
        extra["adapt"] = _adapt_individuals(
            coords, imputed, [CATALOGUE[i] for i in list(cat_idx) + extra_idx],
            camera_choice.camera, runs, adapt if isinstance(adapt, AdaptOptions) else None,
            poses)
    out_names = [CATALOGUE[i] for i in list(cat_idx) + extra_idx]
    extra["walls"] = _bound_by_walls(
        coords, imputed, camera_choice, arena_px, uv_cat, tracked, str(poses.meta.source),
        track=_tail_base_track(coords, imputed, out_names),
        head=head_rows(out_names)) if walls else None
    if lifted is not None:  # each individual's 3D under its own animal's names only
        names, source, first = animal_columns(names, plan, lifted)
        out_names = [out_names[k] for k in first]
        coords, conf, imputed = (_pick_columns(a, source) for a in (coords, conf, imputed))
    left_out = _objects_only(poses, plan)
    keep = [i for i, ind in enumerate(poses.individuals) if str(ind) not in left_out]
    coords, conf, imputed = coords[:, keep], conf[:, keep], imputed[:, keep]
    # a point imputed at last (below the cutoff too, not put back on its ray) is the
    # lifter's estimate, not the tracker's detection: its likelihood 0, as the outputs say
    conf = np.where(imputed, 0.0, conf)
    extra["raised"] = raised_noses(coords, imputed, out_names,
                                   [str(poses.individuals[i]) for i in keep],
                                   str(poses.meta.source), camera_choice.source)
    extra["long_bodies"] = long_bodies(coords, imputed, out_names,
                                       [str(poses.individuals[i]) for i in keep],
                                       poses.frame_indices, str(poses.meta.source))
    extra |= {"imputed": imputed, "individuals_left_out": left_out,
             "catalogue_names": out_names,
             "source_keypoints": list(poses.keypoints), "keypoint_map": plan.as_dict(),
             "arena_px": arena_px, "lift_mode": lift_mode, "oblique_share": share,
             "oblique_model": None if oblique is None else oblique.describe(),
             "companion_missing": None if networks.missing_companion is None
             else str(networks.missing_companion),
             "view": "below" if seen_below else "above",
             "handedness": {"frames": hand.frames, "mirrored": hand.mirrored},
             "side_view": {"frames": side.sided, "side_on": side.side_on,
                           "looks_side_on": side.looks_side_on}}
    return Poses(coords=coords, confidence=conf, keypoints=names,
                 individuals=[poses.individuals[i] for i in keep],
                 frame_indices=poses.frame_indices,
                 meta=_lifted_meta(poses.meta, camera_choice, lifter, extra))


#: Words in a file's name or scorer (a DeepLabCut project's task) that name another animal.
#: (Words with other meanings in lab file names are not among them: CatWalk, on the fly,
#: ant(erior).)
OTHER_SPECIES = frozenset({"rat", "rats", "fish", "zebrafish", "drosophila", "wasp", "wasps",
                           "worm", "worms", "elegans", "human", "humans", "monkey", "macaque",
                           "marmoset", "primate", "horse", "bird", "birds", "finch", "pigeon",
                           "gerbil", "gerbils", "hamster", "vole", "voles"})


def _warn_other_species(poses: Poses) -> None:
    """Warn where the file's name or scorer names another animal (a DeepLabCut task
    ``rat_behavior_openfield``): the networks know mice, and a camera estimated from the
    animal's length takes it for a mouse's."""
    text = f"{Path(str(poses.meta.source or '')).stem} {poses.meta.scorer or ''}"
    words = {w.lower() for w in re.findall(r"[A-Za-z][a-z]+|[A-Z]+(?![a-z])", text)}
    named = sorted(words & OTHER_SPECIES)
    if named:
        logger.warning("%s: its name or scorer says '%s': dlc-lifter's networks know mice "
                       "(a mouse's proportions; without a camera or arena size, the scale "
                       "from a mouse's length), so this lift is of a mouse of that shape.",
                       poses.meta.source or "the poses", "', '".join(named))


def _warn_fragments(poses: Poses) -> None:
    """Warn where a file has more individuals than it ever tracks at once: a tracker's
    fragments of fewer animals' tracks (SLEAP's 23 tracks of the tutorial's 2 mice), each
    lifted as an animal of its own."""
    if poses.n_individuals < 3:
        return
    seen = np.isfinite(poses.coords).all(-1).any(-1)  # (T, N)
    at_once = int(seen.sum(1).max(initial=0))
    used = int(seen.any(0).sum())
    if 0 < at_once < used:
        logger.warning("%s: %d individuals (tracks), never more than %d in one frame: "
                       "fragments of %d animals' tracks? Each is lifted as an animal of its "
                       "own, its size measured alone. Proofread the tracks (SLEAP, "
                       "DeepLabCut's refine_tracklets) to lift each animal as one.",
                       poses.meta.source or "the poses", used, at_once, at_once)


def _pick_columns(values: np.ndarray, source: np.ndarray) -> np.ndarray:
    """``values`` ``(T, N, K, ...)`` with each individual's columns taken from ``source``
    ``(N, K_out)`` (-1: missing, NaN or False)."""
    out = np.zeros((values.shape[0], *source.shape, *values.shape[3:]), values.dtype)
    if values.dtype != bool:
        out[:] = np.nan
    for i in range(source.shape[0]):
        have = source[i] >= 0
        out[:, i, have] = values[:, i, source[i, have]]
    return out


def _say_never_tracked(poses: Poses, i: int) -> None:
    """Log that individual ``i`` is never tracked (kept, all missing: an animal the tracker
    did not find); one tracked by keypoints none of which maps onto the mouse is said and
    left out by :func:`_objects_only`."""
    if not np.isfinite(poses.coords[:, i]).all(-1).any():
        logger.info("%s: individual %s is never tracked; its 3D is all missing.",
                    poses.meta.source or "the poses", poses.individuals[i])


def _objects_only(poses: Poses, plan: KeypointMap) -> dict[str, list[str]]:
    """The individuals tracked by keypoints none of which maps onto the mouse
    (:func:`~dlc_lifter.lift.keypoints.object_individuals`: ``{individual: [its tracked
    keypoints]}``), left out of the 3D, each warned: no animal (a multi-animal DeepLabCut
    file's unique bodyparts under ``single``: objects, the arena's corners; its other
    individuals: animals of another kind, such as pups)."""
    src = poses.meta.source or "the poses"
    out = object_individuals(poses, plan)
    for ind, names in out.items():
        i = poses.individuals.index(ind)
        frames = int(np.isfinite(poses.coords[:, i]).all(-1).any(1).sum())
        why = (": not an animal (DeepLabCut's unique bodyparts are objects or the arena)"
               if ind == "single" else " (an animal of another kind, or objects)")
        logger.warning(
            "%s: individual %s is tracked (in %d frames) but none of its keypoints (%s) maps "
            "onto the mouse catalogue%s, so it is left out of the 3D. If they are a mouse's, "
            "give a keypoint map naming them ('%s: nose'; 'dlc-lifter catalogue' lists the "
            "names).", src, ind, frames, ", ".join(names), why, names[0])
    return out


def _lift_individuals(poses: Poses, lifter: Lifter, cam: Camera, uv_cat: np.ndarray,
                      c_cat: np.ndarray, cues: np.ndarray | None, runs: list[tuple[int, int]],
                      want: str, cat_idx: list[int], out_idx: list[int],
                      withheld: Sequence[int] = (), *, alone: Collection[int] = ()
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """3D ``(T, N, K_out, 3)`` mm, likelihoods ``(T, N, K_out)`` (0 for imputed keypoints
    the file does not track, NaN where no 3D) and imputed flags of every individual, the
    networks' 3D of the back's midline ``(T, N, len(MIDLINE), 3)``
    (:data:`~dlc_lifter.lift.midline.MIDLINE_INDEX`), and ``(T, N, len(cat_idx))`` flags of
    the file's tail points the networks did not see, lying curled
    (:func:`~dlc_lifter.nets.lifter.tail_off_axis`).

    ``out_idx`` lists the catalogue index of each output keypoint, the tracked ones
    (``cat_idx``) first. An individual never tracked is all NaN. The ``withheld``
    catalogue keypoints are not given to the networks (they impute them); their
    likelihoods are still the file's. The individuals ``alone`` (untracked slots) are
    lifted frame by frame whatever ``runs`` says.
    """
    t, n_ind = poses.n_frames, poses.n_individuals
    coords = np.full((t, n_ind, len(out_idx), 3), np.nan)
    back = np.full((t, n_ind, len(MIDLINE_INDEX), 3), np.nan)
    conf = np.full((t, n_ind, len(out_idx)), np.nan)
    imputed = np.zeros((t, n_ind, len(out_idx)), bool)
    curled = np.zeros((t, n_ind, len(cat_idx)), bool)
    for i in range(n_ind):
        if not np.isfinite(uv_cat[:, i]).any():
            _say_never_tracked(poses, i)
            continue
        c_net = c_cat[:, i].copy()
        c_net[:, list(withheld)] = 0.0
        own = [(r, r + 1) for r in range(t)] if i in alone else runs
        pts, imp, held = _lift_individual(lifter, uv_cat[:, i], c_net, cam, own, want,
                                          None if cues is None else cues[:, i])
        curled[:, i] = held[:, cat_idx]
        coords[:, i] = pts[:, out_idx]
        back[:, i] = pts[:, list(MIDLINE_INDEX)]
        imputed[:, i] = imp[:, out_idx]
        c_user = c_cat[:, i][:, cat_idx]
        conf[:, i, : len(cat_idx)] = np.where(np.isfinite(c_user), c_user, 0.0)
        conf[:, i, len(cat_idx):] = 0.0
    conf = np.where(np.isfinite(coords).all(-1), conf, np.nan)
    imputed &= np.isfinite(coords).all(-1)
    return coords, conf, imputed, back, curled


def tails_withheld_counts(curled: np.ndarray, individuals: Sequence[str],
                          names: Sequence[str]) -> dict[str, dict[str, int]]:
    """Count the tail points withheld from the networks where they lay curled.

    The one record of them, offline (:func:`lift_poses`) and live (DLC-Live's processor).

    Parameters
    ----------
    curled : numpy.ndarray
        ``(T, N, K)`` bool, True where keypoint ``k`` of individual ``n`` was withheld in
        frame ``t``.
    individuals, names : sequence of str
        The ``N`` individuals' and ``K`` keypoints' names.

    Returns
    -------
    dict
        ``{individual: {keypoint: frames}}``, only those withheld in some frame.
    """
    curled = np.asarray(curled, bool)
    out: dict[str, dict[str, int]] = {}
    for i, ind in enumerate(individuals):
        n = curled[:, i].sum(0)
        if n.any():
            out[str(ind)] = {str(names[j]): int(n[j]) for j in np.flatnonzero(n)}
    return out


def _report_curled_tails(curled: np.ndarray, individuals: list[str], names: list[str],
                         source: str) -> dict[str, dict[str, int]]:
    """Log and count the tail points withheld from the networks where they lay curled
    (:func:`tails_withheld_counts`)."""
    out = tails_withheld_counts(curled, individuals, names)
    if out:
        t = curled.shape[0]
        frames = int(curled.any(-1).any(-1).sum())
        total = curled.sum((0, 1))  # frames per keypoint over every individual
        logger.info(
            "%s: in %d of %d frames (%.0f %%) the tail lay curled further off the body's "
            "axis than the synthetic mice's tails reach (%s): those tail points were lifted "
            "on their own rays without the networks seeing them, so they do not raise the "
            "body (dlc_lifter.nets.lifter.tail_off_axis; the metadata's tails_withheld).",
            source, frames, t, 100.0 * frames / max(t, 1),
            ", ".join(f"{names[j]} {int(total[j])}" for j in np.flatnonzero(total)))
    return out


def _warn_out_of_order(uv_cat: np.ndarray, tracked: np.ndarray,
                       project: Project | None, pcutoff: float,
                       mapped: Mapping[str, str], individuals: list[str], source: str
                       ) -> dict[str, list[dict[str, Any]]]:
    """Warn about midline labels that lie the wrong way round
    (:func:`~dlc_lifter.lift.labelled_pool.back_order_named`); ``{individual:
    [{front, behind, share, frames}]}`` in the file's names (only where some do)."""
    out = back_order_named(uv_cat, tracked, project, pcutoff, mapped, individuals)
    for ind, pairs in out.items():
        logger.warning(
            "%s%s: %s: on a mouse the first of each comes first from the nose (lifted as %s), "
            "so at least one of each pair is not where its landmark is, and the networks "
            "read such a back as bent (another lab's deer mice, whose mid_back lies behind "
            "its mouse_center: stretched-out noses lifted 39 mm up, 17 mm without it). "
            "Check where these are labelled; map one that sits elsewhere to the landmark "
            "it sits at, or to nothing, in a keypoint map.", source,
            f" ({ind})" if len(individuals) > 1 else "", describe_back_order(pairs),
            ", ".join(f"{mapped.get(p['front'], p['front'])} before "
                      f"{mapped.get(p['behind'], p['behind'])}" for p in pairs))
    return out


def _onto_the_back(coords: np.ndarray, imputed: np.ndarray, back: np.ndarray,
                   uv_cat: np.ndarray, c_cat: np.ndarray, pcutoff: float, cam: Camera,
                   cat_idx: list[int], names: list[str], source: str,
                   project: Project | None = None) -> dict[str, float]:
    """Lift the tracked keypoints mapped onto the back's interior landmarks, where their
    labels sit elsewhere along the back than the landmarks
    (:func:`~dlc_lifter.lift.midline.labels_off_their_landmark`, per individual; over the
    ``project``'s other labelled frames too,
    :func:`~dlc_lifter.lift.labelled_pool.project_label_frames`), to the lifted back's
    height where they lie (:func:`~dlc_lifter.lift.midline.onto_the_back`), in place;
    ``{name: share of the way from the nose}``."""
    out: dict[str, float] = {}
    on_back = [(j, c) for j, c in enumerate(cat_idx) if c in ON_THE_BACK]
    if not on_back:
        return out
    tracked = np.nan_to_num(c_cat) >= pcutoff
    for i, off in enumerate(back_labels_off(uv_cat, tracked, project, pcutoff)):
        for j, c in [(j, c) for j, c in on_back if c in off]:
            onto_the_back(coords[:, i, j], imputed[:, i, j], uv_cat[:, i, c], c_cat[:, i, c],
                          pcutoff, cam, back[:, i][:, midline_without(c)])
            out.setdefault(names[j], off[c])
    if out:
        logger.info("%s: %s sit%s elsewhere along the back than the landmark%s lifted as "
                    "(share of the way from the nose %s): lifted to the height of the lifted "
                    "back where %s (dlc_lifter.lift.midline).", source, ", ".join(out),
                    "s" if len(out) == 1 else "", "" if len(out) == 1 else "s",
                    ", ".join(f"{v:.2f}" for v in out.values()),
                    "it lies" if len(out) == 1 else "they lie")
    return out


def _on_own_rays(coords: np.ndarray, imputed: np.ndarray, uv_cat: np.ndarray,
                 c_cat: np.ndarray, pcutoff: float, cam: Camera, cat_idx: list[int],
                 withheld: list[int], names: list[str], source: str) -> list[str]:
    """Put the keypoints withheld from the networks
    (:func:`~dlc_lifter.lift.keypoints.withheld_from_networks`) back on their own rays at
    the heights the networks imputed, in place; their names."""
    out = []
    # every column of the landmark: files whose animals differ by a name prefix map each
    # animal's own name onto it
    for j, c in [(j, c) for j, c in enumerate(cat_idx) if c in withheld]:
        on_own_ray(coords[..., j, :], imputed[..., j], uv_cat[..., c, :], c_cat[..., c],
                   pcutoff, cam)  # views: changed in place
        out.append(names[j])
    if out:
        logger.info("%s: %s lifted on %s own ray%s, not given to the networks (a centre label "
                    "in a file tracking at most %d keypoints besides its paws; "
                    "dlc_lifter.lift.keypoints).", source, ", ".join(out),
                    "its" if len(out) == 1 else "their", "" if len(out) == 1 else "s",
                    CENTRE_WITHHELD_UP_TO)
    return out


def _tail_base_track(coords: np.ndarray, imputed: np.ndarray, names: list[str]
                     ) -> np.ndarray | None:
    """The lifted tail base's floor positions ``(N, 2)``, every individual's, where it is
    tracked (``None`` when the file does not track it)."""
    cols = [j for j, n in enumerate(names) if n == "tail_base"]
    if not cols:
        return None
    xy = coords[..., cols, :2].reshape(-1, 2)
    return xy[~imputed[..., cols].reshape(-1)]


#: How a corner-less arena's size was measured where its walls come from the track: the
#: arena's size was given, so the animal is taken to have reached its walls.
_TRACK_WALLS_FROM = ("spread", "floor scale")


def _bound_by_walls(coords: np.ndarray, imputed: np.ndarray, choice: CameraChoice,
                    arena_px: dict[str, list[float]], uv_cat: np.ndarray, tracked: np.ndarray,
                    source: str, *, track: np.ndarray | None = None,
                    head: list[int] | None = None) -> dict[str, Any] | None:
    """Raise the lifted points whose rays meet the floor beyond the arena's walls
    (:func:`~dlc_lifter.lift.walls.raise_into_arena`, the ``head``'s points together), in
    place; what was done (``None`` where there are no walls to take).

    The walls are the tracked corners' outline; without corners, where the arena's size
    was given (``arena_size_mm``; measured from the animal's spread or the floor scale
    given), the outline of the tail
    base's ``track`` (:func:`~dlc_lifter.lift.walls.walls_from_track`). Corners the camera
    found are not the arena's (``arena_corners_ignored``: a maze's arm ends) give no walls,
    nor does the track then (a maze's open arms have none).
    """
    cam = choice.camera
    if choice.details.get("arena_corners_ignored"):
        reason = ("the points named as the arena's corners are not its corners (a maze?), "
                  "so neither they nor where the animal went are taken for walls")
        logger.info("%s: the arena's walls do not bound the heights: %s.", source, reason)
        return {"used": False, "reason": reason}
    if any(c in arena_px for c in ARENA_CORNERS):
        floor = floor_points(np.where(tracked[..., None], uv_cat, np.nan), cam)
        walls, reason = arena_walls(arena_px, cam, floor=floor.reshape(-1, *floor.shape[2:]),
                                    observed=tracked.reshape(-1, tracked.shape[2]))
        outline = "corners"
    elif str(choice.details.get("arena_measured_from", "")).startswith(_TRACK_WALLS_FROM):
        if track is None:
            walls, reason = None, "the file does not track the tail base"
        else:
            lifted = np.where(imputed[..., None], np.nan, coords[..., :2])
            walls, reason = walls_from_track(track, points=lifted)
        outline = "track"
    else:
        return None
    if walls is None:
        logger.info("%s: the arena's walls do not bound the heights: %s.", source, reason)
        return {"used": False, "reason": reason}
    if outline == "track":
        logger.info("%s: no arena corners tracked; the arena's walls are taken %.0f mm beyond "
                    "where the tail base went (the arena's size given, so the animal is taken "
                    "to have reached its walls).", source, walls.margin_mm)
    raised = raise_into_arena(coords, ~imputed, cam.centre, walls, together=head or ())
    frames = int(raised.any(axis=(1, 2)).sum())
    if frames:
        logger.info("%s: in %d frames, %d points' rays meet the floor beyond the arena's walls: "
                    "raised to where they come inside.", source, frames, int(raised.sum()))
    return {"used": True, "outline": outline, "margin_mm": walls.margin_mm,
            "frames_raised": frames, "points_raised": int(raised.sum())}


def _adapt_individuals(coords: np.ndarray, imputed: np.ndarray, names: list[str],
                       cam: Camera, runs: list[tuple[int, int]], options: AdaptOptions | None,
                       poses: Poses) -> dict[str, Any]:
    """Adapt every individual's session in place; the record of each, by individual."""
    src = poses.meta.source or "the poses"
    continuous = np.zeros(len(coords), bool)
    for a, b in runs:
        continuous[a + 1:b] = True
    out = {}
    for i, ind in enumerate(poses.individuals):
        res = adapt_session(coords[:, i], ~imputed[:, i], names, cam.centre,
                            continuous=continuous, fps=poses.meta.fps, options=options)
        coords[:, i] = res.points
        out[str(ind)] = res.record()
        if res.reason is None:
            logger.info("%s: %s adapted to its own head (%s); heights moved %.1f mm on "
                        "average.", src, ind, ", ".join(f"{k} {v:.1f} mm" for k, v in
                                                         res.lengths_mm.items()),
                        res.mean_shift_mm)
        else:
            logger.warning("%s: %s not adapted: %s.", src, ind, res.reason)
    return out


def _choose_runs(poses: Poses, uv_cat: np.ndarray, c_cat: np.ndarray, pcutoff: float,
                 want: str) -> tuple[list[tuple[int, int]], dict[str, Any]]:
    """Row ranges lifted together, and ``meta.extra["lift_mode"]`` saying how.

    Runs of consecutive frame numbers (:func:`~dlc_lifter.lift.frames.frame_runs`);
    every row alone when the animal jumps too far between rows, each row in its own
    direction, to be a video (:func:`~dlc_lifter.lift.frames.row_motion`).
    """
    src = poses.meta.source or "the poses"
    t = poses.n_frames
    labelled = "image_paths" in poses.meta.extra
    runs = frame_runs(poses.frame_indices, labelled=labelled)
    if not labelled and (again := repeated_frames(poses.frame_indices)):
        logger.warning("%s: %s: the file holds some frames twice (two analyses of the video "
                       "joined?); each row is lifted, and the output repeats them. Keep one "
                       "row per frame to lift the video once.", src, again)
    if not labelled and (back := frames_out_of_order(poses.frame_indices)):
        logger.warning("%s: its rows are not in frame order: %s (sorted by another column, "
                       "or parts of the video joined out of order?). Runs of consecutive "
                       "frames are lifted as a video, the other rows each alone, and the "
                       "outputs keep the file's row order; sort the rows by frame number to "
                       "lift them as one video.", src, back)
    # untracked slots swap animals between rows: their jumps say nothing of the video
    keep = [i for i in range(poses.n_individuals) if i not in _slot_indices(poses)]
    motion = (row_motion(uv_cat[:, keep], c_cat[:, keep], pcutoff) if keep
              else RowMotion(0.0, 0.0))
    jump = motion.jump
    speed = jump * poses.meta.fps if poses.meta.fps else math.inf
    if (len(runs) < t and jump > MAX_CONTINUOUS_JUMP and speed > MAX_CONTINUOUS_SPEED
            and motion.roughness > MAX_SMOOTH_ROUGHNESS):
        logger.warning("%s: between consecutive rows the animal moves %.2f of its size "
                       "(median%s), each row in its own direction: these rows are not a "
                       "continuous video, so each frame is lifted alone.", src, jump,
                       f", {speed:.0f} sizes/s at {poses.meta.fps:g} fps"
                       if math.isfinite(speed) else "")
        runs = [(r, r + 1) for r in range(t)]
    predicted = poses.meta.source_format in ("dlc-h5", "dlc-csv")  # a tracker's, on images
    lift_mode = {**describe_runs(runs, want, labelled=labelled,
                                 images="images" if predicted else "labelled images"),
                 "median_jump_body_lengths": round(jump, 3),
                 "roughness": round(motion.roughness, 3)}
    if lift_mode["frames_alone"]:
        logger.info("%s: %s", src, lift_mode["summary"])
    return runs, lift_mode


def _slot_indices(poses: Poses) -> list[int]:
    """The individuals that are untracked slots of a SLEAP file with two or more."""
    untracked = {str(n) for n in poses.meta.extra.get("untracked_individuals") or ()}
    if len(untracked) < 2:
        return []
    return [i for i, ind in enumerate(poses.individuals) if str(ind) in untracked]


def _untracked_slots(poses: Poses, runs: list[tuple[int, int]],
                     lift_mode: dict[str, Any]) -> list[int]:
    """The individuals that are untracked slots of a SLEAP file with two or more
    (``meta.extra["untracked_individuals"]``: the first, second... untracked instance of
    each frame, no identity, so a slot swaps animals between frames): lifted frame by
    frame, recorded in ``lift_mode`` (``untracked_alone``, its summary) and said. A file's
    one untracked individual is its one animal, lifted as the tracks are."""
    slots = _slot_indices(poses)
    if not slots or all(b - a == 1 for a, b in runs):
        return []
    names = [str(poses.individuals[i]) for i in slots]
    note = (f"the untracked slots {', '.join(names)} lifted each frame alone (frame "
            "network): untracked instances have no identity, so a slot may hold another "
            "animal in the next frame")
    lift_mode["untracked_alone"] = names
    lift_mode["summary"] = f"{lift_mode['summary']}; {note}"
    logger.info("%s: %s.", poses.meta.source or "the poses", note)
    return slots


def _lift_individual(lifter: Lifter, uv_cat: np.ndarray, c_cat: np.ndarray, cam: Camera,
                     runs: list[tuple[int, int]], want: str, cues: np.ndarray | None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(T, K, 3)`` mm, ``(T, K)`` imputed flags and ``(T, K)`` tail points withheld from
    the networks (:class:`~dlc_lifter.nets.lifter.Prediction`) of one individual, run by run.

    Runs of one frame use the per-frame network, longer ones the ``want`` network.
    """
    t = uv_cat.shape[0]
    pts = np.full((t, len(CATALOGUE), 3), np.nan)
    imp = np.zeros((t, len(CATALOGUE)), bool)
    held = np.zeros((t, len(CATALOGUE)), bool)
    for a, b in runs:
        p = lifter.model.predict_detailed(
            uv_cat[a:b], c_cat[a:b], cam, mode=want if b - a > 1 else "frame",
            pcutoff=lifter.pcutoff, extra=None if cues is None else cues[a:b])
        pts[a:b], imp[a:b], held[a:b] = p.points, p.imputed, p.tails_withheld
    return pts, imp, held


def _mode_used(model: dict[str, Any], lift_mode: Any, weights: LiftingModel,
               source: Any) -> dict[str, Any]:
    """The model's record with the network mode the lift used (``mode``: ``frame`` where
    every row was lifted alone, ``mixed`` where some were, else the mode asked for or, where
    the ``weights`` lack its network, the one they fell back to,
    :meth:`~dlc_lifter.nets.lifter.LiftingModel.mode_for`, said), the mode asked for kept as
    ``mode_requested``; ``lift_mode`` says how the rows went."""
    asked = model.get("mode")
    out = {**model, "mode_requested": asked}
    used = weights.mode_for(str(asked))
    if used != asked:
        logger.warning("%s: the weights have no %s network (only %s): lifted with their %s "
                       "network.", source, asked, ", ".join(sorted(weights.nets)), used)
    out["mode"] = used
    if isinstance(lift_mode, Mapping) and lift_mode.get("frames_alone") and used != "frame":
        n_runs = int(lift_mode.get("runs", 0))
        out["mode"] = "frame" if lift_mode["frames_alone"] >= n_runs else "mixed"
    return out


def _lifted_meta(m: PoseMetadata, choice: CameraChoice, lifter: Lifter,
                 extra: dict[str, Any]) -> PoseMetadata:
    """The 3D output's metadata: the 2D file's (but its rows' images and its instances'
    scores, which the outputs take from the 2D), plus the camera, the model and ``extra``."""
    from dlc_lifter.io.sleap import INSTANCE_SCORES

    cam = choice.camera
    out = {k: v for k, v in m.extra.items() if k not in ("image_paths", INSTANCE_SCORES)}
    out.update({"camera": cam.as_dict(), "camera_source": choice.source,
                "camera_estimate": choice.details,
                "model": _mode_used(lifter.describe(), extra.get("lift_mode"),
                                    lifter.model, m.source), **extra})
    return PoseMetadata(source=m.source, source_format=m.source_format, scorer=m.scorer,
                        fps=m.fps, image_size=cam.image_size, frame=choice.frame,
                        units="mm", video=m.video, extra=out)
