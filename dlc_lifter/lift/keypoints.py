"""Keypoint names onto the catalogue: plans, catalogue-ordered arrays, arena landmarks, and
which tracked keypoints the networks are given.

The lifter works on the catalogue's keypoints (:data:`~dlc_lifter.mouse.catalogue.CATALOGUE`);
a file's keypoints (DLC bodyparts, SLEAP nodes) are mapped onto it by a
:class:`~dlc_lifter.mouse.keypoint_map.KeypointMap`. This module plans that map for a
:class:`~dlc_lifter.poses.Poses`, lays the 2D poses out on the catalogue axis, and reads
the tracked arena landmarks (which measure the arena, and are not lifted).

A body-centre label (``bodycentre``, ``center``, DANNCE's ``SpineM``: the catalogue's
``mouse_center``) in a file that tracks few keypoints is not given to the networks
(:func:`withheld_from_networks`): real labellers place it anywhere from half to four fifths
of the way from the nose to the tail base, the synthetic mouse's sits at 0.61, and with few
other keypoints the networks read where it sits as the body's pitch. Withheld, it is still
lifted, on its own camera ray at the height the networks give the centre; on real mice
tracked with few keypoints that lifts both the other keypoints and the centre better, and
with every keypoint the centre helps and is given (``docs/results.md``, "Real mice: the
arena's walls bound the heights; DANNCE mouse 2's failing rows are one climbing frame").
The paws do not count towards "few": they say nothing of where the back's centre sits, and
a file of the top keypoints, the tail and the four paws lifted worse with its centre given
than withheld (``docs/results.md``, "Real mice: the paws no longer keep a centre label in
the networks").
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from dlc_lifter.camera import Camera
from dlc_lifter.errors import DLCLifterError
from dlc_lifter.io.config import NO_DETECTION_LIKELIHOOD
from dlc_lifter.mouse.catalogue import (
    CATALOGUE,
    CATALOGUE_SUFFIX,
    catalogue_index,
    load_mapping,
)
from dlc_lifter.mouse.keypoint_map import KeypointMap, map_keypoints, plan_keypoint_map
from dlc_lifter.poses import Poses

__all__ = [
    "arena_pixels",
    "catalogue_arrays",
    "catalogue_indices",
    "keypoint_carriers",
    "lifted_keypoint_map",
    "names_lifted",
    "object_individuals",
    "output_names",
    "plan_lift_keypoints",
    "resolve_keypoint_map",
    "split_animals",
    "still_keypoints",
    "tail_reach",
    "file_keypoint_plan",
    "on_own_ray",
    "withheld_from_networks",
]

#: Files tracking at most this many of the mouse's keypoints, the paws not counted
#: (:data:`PAWS`), lift without their centre label in the networks' input
#: (:func:`withheld_from_networks`).
CENTRE_WITHHELD_UP_TO = 8
_CENTRE = CATALOGUE.index("mouse_center")
#: Catalogue indices of the four paws, which :data:`CENTRE_WITHHELD_UP_TO` does not count.
PAWS: frozenset[int] = frozenset(CATALOGUE.index(f"{side}_{paw}") for side in ("left", "right")
                                 for paw in ("forepaw", "hindpaw"))

logger = logging.getLogger(__name__)

#: A keypoint stays in place when 90 % of its tracked points lie within this share of the
#: animal's own movement (the largest such spread of the file's keypoints) of their median.
STILL_SHARE = 0.1
#: ... measured only when it is tracked in this many frames and the animal moves this far.
STILL_MIN_FRAMES = 20
STILL_MIN_MOTION_PX = 40.0


def output_names(tracked: Sequence[str], extra_idx: Sequence[int]) -> list[str]:
    """Names of a lift's output keypoints: the tracked ones (the user's names), then the
    imputed catalogue keypoints ``extra_idx`` by their catalogue names, each suffixed with
    :data:`~dlc_lifter.mouse.catalogue.CATALOGUE_SUFFIX` where a tracked keypoint already
    has that name, written in any case or with any separators (a user's ``neck`` mapped
    onto another landmark leaves the catalogue's ``neck`` to be imputed; SLEAP's
    ``Tail_1``, its third tail point, the catalogue's ``tail1``): the output reads back
    with every name its own. Offline and live lifts name their outputs here."""
    out = list(tracked)
    taken = {_squashed(n) for n in out}
    for i in extra_idx:
        name = CATALOGUE[i]
        out.append(name + CATALOGUE_SUFFIX if _squashed(name) in taken else name)
    return out


def _squashed(name: str) -> str:
    """``name`` in lower case without separators (``Tail_1`` and ``tail1`` alike)."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def catalogue_indices(keypoints: Sequence[str],
                      mapping: KeypointMap | Mapping[str, str | None] | None = None,
                      ) -> list[int | None]:
    """Catalogue index of each user keypoint (``None`` for keypoints not lifted).

    Parameters
    ----------
    keypoints
        The user's keypoint names.
    mapping
        A user keypoint map, or a :class:`~dlc_lifter.mouse.keypoint_map.KeypointMap`
        already planned for ``keypoints`` (then names that map to nothing are not an
        error).

    Returns
    -------
    list of int or None
        One entry per name of ``keypoints``: its index in
        :data:`~dlc_lifter.mouse.catalogue.CATALOGUE`, or ``None``.

    Raises
    ------
    UnknownKeypointError
        For a keypoint that maps to nothing (and is not dropped by ``mapping``).
    """
    mapped = (mapping.mapped if isinstance(mapping, KeypointMap)
              else map_keypoints(keypoints, mapping, strict=True))
    return [catalogue_index([mapped[k]])[0] if k in mapped else None for k in keypoints]


def catalogue_arrays(
    poses: Poses, mapping: KeypointMap | Mapping[str, str | None] | None = None, *,
    lifted: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, dict[str, str]]:
    """2D poses laid out on the catalogue axis.

    Parameters
    ----------
    poses
        2D poses.
    mapping
        A :class:`~dlc_lifter.mouse.keypoint_map.KeypointMap` already planned for these
        poses, or a user keypoint map (names that map to nothing are left out).
    lifted
        :func:`names_lifted` of these poses and plan, when the caller has it (files whose
        names carry animals' prefixes); computed here otherwise.

    Returns
    -------
    uv, conf, mapped
        ``(T, N, len(CATALOGUE), 2)`` pixels and ``(T, N, len(CATALOGUE))`` likelihoods
        (NaN where the file has no such keypoint), and ``{file name: catalogue name}`` of
        the mapped keypoints, in the file's order.
    """
    if not isinstance(mapping, KeypointMap):
        mapping = plan_keypoint_map(poses.keypoints, mapping,
                                    source=poses.meta.source or "the poses")
    mapped = mapping.mapped
    user_kp = [k for k in poses.keypoints if k in mapped]
    user_idx = [list(poses.keypoints).index(k) for k in user_kp]
    cat_idx = catalogue_index([mapped[k] for k in user_kp])
    t, n_ind = poses.n_frames, poses.n_individuals
    uv = np.full((t, n_ind, len(CATALOGUE), 2), np.nan)
    conf = np.full((t, n_ind, len(CATALOGUE)), np.nan)
    if not mapping.animals:
        uv[:, :, cat_idx] = poses.coords[:, :, user_idx]
        conf[:, :, cat_idx] = poses.confidence[:, :, user_idx]
        return uv, conf, mapped
    if lifted is None:
        lifted = names_lifted(poses, mapping)
    used = dict(zip(mapping.mapped, lifted.T, strict=True))
    for i in range(n_ind):
        keep = [k for k, name in enumerate(user_kp) if used[name][i]]
        uv[:, i, [cat_idx[k] for k in keep]] = poses.coords[:, i, [user_idx[k] for k in keep]]
        conf[:, i, [cat_idx[k] for k in keep]] = poses.confidence[:, i,
                                                                  [user_idx[k] for k in keep]]
    return uv, conf, mapped


def animal_columns(names: Sequence[str], plan: KeypointMap, lifted: np.ndarray
                   ) -> tuple[list[str], np.ndarray, list[int]]:
    """One output column per landmark where several animals' names claim it.

    A file that tracks two animals by their names' prefixes or numbers (SimBA's ``Nose_1,
    Nose_2``, DeepOF's ``B_Nose, W_Nose``) is lifted as one individual per animal
    (:func:`split_animals`); each individual's 3D goes out under the names read without
    the animal's prefix or number (``Nose``), one column the animals share, as a
    multi-animal DeepLabCut file has it.

    Parameters
    ----------
    names
        The lift's output names: the mapped names (``plan.mapped``'s order), then imputed
        catalogue keypoints.
    plan
        The file's keypoint plan.
    lifted
        ``(N, len(plan.mapped))`` bool: the names each individual is lifted from
        (:func:`names_lifted`).

    Returns
    -------
    out_names, source, first
        The output names; ``(N, len(out_names))`` int, the column of ``names`` each
        individual's output column comes from (-1: none); and each output column's first
        column of ``names``. Unchanged names (one column each, NaN under another
        animal's) where reading names without their animal would make two names alike.
    """
    n_ind, mapped = lifted.shape[0], list(plan.mapped)
    # names of an animal of individuals (no prefix to read them without) keep their own
    stems = {n: plan.without_animal(n) for n in mapped if n in plan.animals}
    keys = [(plan.mapped[n], stems[n]) if stems.get(n, n) != n else (None, n) for n in mapped]
    first_stem: dict[str, str] = {}
    for (landmark, stem) in keys:
        if landmark is not None:
            first_stem.setdefault(landmark, stem)
    groups: dict[object, list[int]] = {}
    for k, (landmark, stem) in enumerate(keys):
        groups.setdefault(landmark if landmark is not None else ("name", stem), []).append(k)
    out_names = [first_stem[g] if not isinstance(g, tuple) else g[1] for g in groups]
    extra = list(names[len(mapped):])
    own = np.tile(np.arange(len(names)), (n_ind, 1))
    own[:, : len(mapped)][~lifted] = -1  # another animal's name: NaN for this individual
    unchanged = (list(names), own, list(range(len(names))))
    if len(groups) == len(mapped) and out_names == mapped:
        return unchanged
    if len({n.lower() for n in out_names + extra}) < len(out_names) + len(extra):
        return unchanged
    source = np.full((n_ind, len(groups) + len(extra)), -1)
    for j, ks in enumerate(groups.values()):
        for i in range(n_ind):
            used = [k for k in ks if lifted[i, k]]
            if used:
                source[i, j] = used[0]
    source[:, len(groups):] = np.arange(len(mapped), len(names))
    first = [ks[0] for ks in groups.values()] + list(range(len(mapped), len(names)))
    return out_names + extra, source, first


def names_lifted(poses: Poses, plan: KeypointMap) -> np.ndarray:
    """Which mapped names each individual is lifted from: ``(N, len(plan.mapped))`` bool.

    Every mapped name, except names read without an animal's prefix
    (:attr:`~dlc_lifter.mouse.keypoint_map.KeypointMap.animals`: ``moth_nose``,
    ``pup_snout``): an individual takes those of the animals it tracks (all of them if it
    tracks none), and where two animals' names claim one landmark
    (:attr:`~dlc_lifter.mouse.keypoint_map.KeypointMap.shared`) the one it tracks most
    (:func:`split_animals` first gives each animal an individual of its own). Its 3D goes
    out under those names only.
    """
    names = list(plan.mapped)
    used = np.ones((poses.n_individuals, len(names)), bool)
    if not plan.animals:
        return used
    frames = np.isfinite(poses.coords).all(-1).sum(0)  # (N, K) frames tracked
    prefixes, has = _animals_tracked(plan, poses.keypoints, frames > 0, names)
    tracked = np.concatenate([frames, np.zeros((len(frames), 1), frames.dtype)], 1)
    kps = list(poses.keypoints)
    col = {n: kps.index(n) if n in kps else len(kps) for n in names}  # absent: never tracked
    for k, n in enumerate(names):
        if n in plan.animals:
            j = prefixes.index(plan.animals[n].lower())
            used[:, k] = has[:, j] | ~has.any(1)
    for group in plan.shared.values():
        ks = [names.index(n) for n in group]
        for i in range(poses.n_individuals):
            counts = tracked[i, [col[n] for n in group]]
            best = (int(np.argmax(counts)) if counts.any()
                    else next((k for k, kk in enumerate(ks) if used[i, kk]), 0))
            used[i, ks] = False
            used[i, ks[best]] = True
    return used


def _animals_tracked(plan: KeypointMap, keypoints: Sequence[str], tracked: np.ndarray,
                     names: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """The animals of ``plan.animals`` (lower-case, sorted) and ``(N, animals)`` bool: does
    each individual track (``tracked``: ``(N, K)`` bool over ``keypoints``, in some frame)
    one of ``names`` that belongs to that animal."""
    animals = sorted({p.lower() for p in plan.animals.values()})
    kps = list(keypoints)
    has = np.zeros((tracked.shape[0], len(animals)), bool)
    for n in names:
        if n in plan.animals and n in kps:
            has[:, animals.index(plan.animals[n].lower())] |= tracked[:, kps.index(n)]
    return animals, has


def split_animals(poses: Poses, plan: KeypointMap) -> Poses:
    """One individual per animal where an individual tracks several animals' names.

    A file may track two animals in one individual by prefixing or numbering their names
    (DeepOF's two-mouse tables: ``B_Nose, ..., W_Nose, ...``; SimBA's: ``Nose_1, ...,
    Nose_2, ...``, in a single-animal DeepLabCut table).
    Each such individual becomes one individual per animal it tracks, named by the
    animal's prefix or number (``B``, ``W``, ``animal1``; ``individual0_B`` where the file
    has several individuals), holding that animal's names and the names of no animal; every
    other individual is kept as it is. ``meta.extra["animals_split"]`` records
    ``{individual: [new individuals]}``. Poses with nothing to split come back unchanged
    (the same object).
    """
    if not plan.animals:
        return poses
    prefixes: dict[str, str] = {}
    for p in plan.animals.values():
        prefixes.setdefault(p.lower(), p)
    kps = list(poses.keypoints)
    animal_of = np.array([plan.animals.get(k, "").lower() for k in kps], dtype=object)
    order, has = _animals_tracked(plan, kps, np.isfinite(poses.coords).all(-1).any(0),
                                  list(plan.animals))
    coords, conf, names, split = [], [], [], {}
    for i, ind in enumerate(poses.individuals):
        animals = [p for p in prefixes if has[i, order.index(p)]]
        if len(animals) < 2:
            coords.append(poses.coords[:, i])
            conf.append(poses.confidence[:, i])
            names.append(ind)
            continue
        split[ind] = []
        for p in animals:
            other = (animal_of != p) & (animal_of != "")
            c, w = poses.coords[:, i].copy(), poses.confidence[:, i].copy()
            c[:, other] = np.nan
            w[:, other] = np.nan
            new = prefixes[p] if poses.n_individuals == 1 else f"{ind}_{prefixes[p]}"
            coords.append(c)
            conf.append(w)
            names.append(new)
            split[ind].append(new)
    if not split:
        return poses
    for ind, new in split.items():
        logger.info("%s: individual %s tracks %d animals by their names (prefix or number); "
                    "each is lifted as an individual of its own (%s).",
                    poses.meta.source or "the poses",
                    ind, len(new), ", ".join(new))
    out = Poses(coords=np.stack(coords, 1), confidence=np.stack(conf, 1), keypoints=kps,
                individuals=names, frame_indices=poses.frame_indices,
                meta=copy.deepcopy(poses.meta))
    out.meta.extra["animals_split"] = split
    return out


def plan_lift_keypoints(
    poses: Poses, keypoint_map: KeypointMap | str | Path | Mapping[str, str | None] | None,
    *, strict: bool = False,
) -> KeypointMap:
    """How the keypoints of ``poses`` are lifted (:func:`file_keypoint_plan`); warnings
    logged, too few is an error.

    Raises
    ------
    KeypointMappingError
        When the mapped keypoints do not span the body.
    UnknownKeypointError
        With ``strict``, listing every name that maps to nothing.
    """
    if isinstance(keypoint_map, KeypointMap):
        return keypoint_map
    src = poses.meta.source or "the poses"
    plan = file_keypoint_plan(poses, resolve_keypoint_map(keypoint_map), strict=strict)
    if not plan.insect_parts:  # an insect's names: the one error, not a line for each
        for line in plan.warnings:
            logger.warning(line)
    plan.require_liftable(src)
    return plan


def file_keypoint_plan(poses: Poses, mapping: Mapping[str, str | None] | None, *,
                       strict: bool = False, pcutoff: float = NO_DETECTION_LIKELIHOOD
                       ) -> KeypointMap:
    """:func:`~dlc_lifter.mouse.keypoint_map.plan_keypoint_map` of a file's names with
    what its data says of them: the names that stay in place (:func:`still_keypoints`, 2D
    poses), which individuals track each (:func:`keypoint_carriers`) and how far down the
    tail a bare ``tail`` lies (:func:`tail_reach`). The plan of a lift and of ``info``.

    Parameters
    ----------
    poses
        The file's poses (:attr:`~dlc_lifter.poses.PoseMetadata.source` named in messages).
    mapping
        The user's keypoint map, read (``None``: none).
    strict
        As :func:`~dlc_lifter.mouse.keypoint_map.plan_keypoint_map` takes it.
    pcutoff
        Points with a lower likelihood are not counted in the measures.

    Returns
    -------
    KeypointMap
        Its warnings not yet logged.
    """
    src = poses.meta.source or "the poses"
    still = still_keypoints(poses, pcutoff) if poses.ndim == 2 else []
    carriers = keypoint_carriers(poses)
    plan = plan_keypoint_map(poses.keypoints, mapping, strict=strict, source=src,
                             still=still, carriers=carriers)
    reach = tail_reach(poses, plan, pcutoff)
    if reach:
        plan = plan_keypoint_map(poses.keypoints, mapping, strict=strict, source=src,
                                 still=still, carriers=carriers, tail_reach=reach)
    return plan


#: Frames tracking the nose, the tail base and a bare ``tail`` that :func:`tail_reach`
#: needs to say where down the tail it lies.
TAIL_REACH_MIN_FRAMES = 5


def tail_reach(poses: Poses, plan: KeypointMap, pcutoff: float = NO_DETECTION_LIKELIHOOD
               ) -> dict[str, float]:
    """How far behind the tail base each bare ``tail`` of a file lies, in its animal's
    nose-to-tail-base lengths.

    Labs name a point anywhere down the tail ``tail`` beside their tail base (a four-point
    DeepLabCut project's ``Tail``: the tail's tip, behind its ``Butt``; BehaviorDEPOT's:
    near its ``Tailbase``; ``docs/results.md``, "A sixth real 3D mouse (the Talmo lab's
    eight cameras), side views told, batches of analyses; the rearing rule on the head,
    measured and left"); the plan places it where it lies
    (``tail_reach`` of :func:`~dlc_lifter.mouse.keypoint_map.plan_keypoint_map`).

    Parameters
    ----------
    poses
        The file's poses.
    plan
        Its plan without the measure (which names are the nose and the tail base).
    pcutoff
        Points with a lower likelihood are not counted.

    Returns
    -------
    dict
        ``{name: median distance from the tail base / the animal's median nose-to-tail-base
        distance}`` over the frames tracking all three (pooled over individuals), for the
        names read as a bare ``tail`` not taken as the tail base and tracked with the nose
        and tail base in :data:`TAIL_REACH_MIN_FRAMES` frames.
    """
    from dlc_lifter.mouse.skeletons import compact

    names = list(poses.keypoints)
    xy = np.asarray(poses.coords, dtype=np.float64)[..., :2]
    conf = (np.ones(xy.shape[:-1]) if poses.confidence is None
            else np.nan_to_num(np.asarray(poses.confidence, dtype=np.float64), nan=1.0))
    ok = np.isfinite(xy).all(-1) & (conf >= pcutoff)  # (T, N, K)
    out = {}
    for name in names:
        if compact(plan.without_animal(name)) != "tail" or plan.mapped.get(name) == "tail_base":
            continue
        animal = plan.animals.get(name)
        ends = [next((n for n, c in plan.mapped.items()
                      if c == end and plan.animals.get(n) == animal), None)
                for end in ("nose", "tail_base")]
        if None in ends:
            continue
        nose, base, tail = (names.index(n) for n in (*ends, name))
        ratios = []
        for i in range(xy.shape[1]):
            body = ok[:, i, nose] & ok[:, i, base]
            both = body & ok[:, i, tail]
            if both.any():
                length = np.median(np.linalg.norm(xy[body, i, nose] - xy[body, i, base], axis=-1))
                ratios.append(np.linalg.norm(xy[both, i, tail] - xy[both, i, base], axis=-1)
                              / length)
        pooled = np.concatenate(ratios) if ratios else np.empty(0)
        pooled = pooled[np.isfinite(pooled)]
        if len(pooled) >= TAIL_REACH_MIN_FRAMES:
            out[name] = round(float(np.median(pooled)), 3)
    return out


def keypoint_carriers(poses: Poses) -> dict[str, list[str]]:
    """``{keypoint: individuals that track it in some frame}`` (in the file's orders).

    What :func:`~dlc_lifter.mouse.keypoint_map.plan_keypoint_map` reads as animals where
    the individuals track different names (a multi-animal DeepLabCut file's unique
    bodyparts, under ``single``). Keypoints no individual tracks are left out; a lift's
    imputed points (``meta.extra["imputed"]``) are not tracked.

    Examples
    --------
    >>> import numpy as np
    >>> xy = np.full((1, 2, 2, 2), np.nan); xy[0, 0, 0] = xy[0, 1, 1] = 1.0
    >>> keypoint_carriers(Poses(coords=xy, confidence=np.ones((1, 2, 2)),
    ...                         keypoints=["end1", "snout"], individuals=["p1", "single"]))
    {'end1': ['p1'], 'snout': ['single']}
    """
    seen = np.isfinite(poses.coords).all(-1)
    imputed = poses.meta.extra.get("imputed")
    if isinstance(imputed, np.ndarray) and imputed.shape == seen.shape:
        seen &= ~imputed.astype(bool)
    seen = seen.any(0)  # (N, K)
    out = {str(k): [str(poses.individuals[i]) for i in np.flatnonzero(seen[:, j])]
           for j, k in enumerate(poses.keypoints)}
    return {k: v for k, v in out.items() if v}


def object_individuals(poses: Poses, plan: KeypointMap) -> dict[str, list[str]]:
    """The individuals that hold no animal: tracked, but by no keypoint of the mouse.

    A multi-animal DeepLabCut file's unique bodyparts (its ``single`` individual: the
    arena's corners, objects), or animals of a kind the catalogue does not know (pups
    tracked as ``end1``, ``end2``). The lift leaves them out of the 3D and the features
    leave them out of a 2D file's rows. An individual never tracked is not among them (an
    animal the tracker did not find), and none is where every individual would be: a file
    whose only individual tracks an object and never the mouse (a single-animal table of
    an empty arena) keeps it, as the animal, untracked.

    Parameters
    ----------
    poses
        2D poses ``(frames, individuals, keypoints, 2)`` in pixels, NaN where not tracked;
        a point is tracked where both its coordinates are finite. Split into one
        individual per animal first (:func:`split_animals`).
    plan
        How the keypoints are used (:func:`file_keypoint_plan`): a keypoint is the
        mouse's when ``plan.mapped`` names it.

    Returns
    -------
    dict[str, list[str]]
        ``{individual: the keypoints it tracks}``, both in the file's order; empty where
        no individual is objects only.

    Examples
    --------
    >>> import numpy as np
    >>> xy = np.full((1, 2, 3, 2), np.nan); xy[0, 0, :2] = 1.0; xy[0, 1, 2] = 5.0
    >>> p = Poses(coords=xy, keypoints=["snout", "tailbase", "tl"],
    ...           individuals=["mouse1", "single"])
    >>> object_individuals(p, plan_keypoint_map(p.keypoints))
    {'single': ['tl']}
    """
    seen = np.isfinite(poses.coords).all(-1).any(0)  # (N, K): tracked in some frame
    mapped = np.array([k in plan.mapped for k in poses.keypoints], dtype=bool)
    out = {str(ind): [str(k) for k, s in zip(poses.keypoints, seen[i], strict=True) if s]
           for i, ind in enumerate(poses.individuals)
           if seen[i].any() and not (seen[i] & mapped).any()}
    return {} if len(out) == poses.n_individuals else out


def lifted_keypoint_map(poses: Poses) -> dict[str, str] | None:
    """A lift's own record of the landmark each of its columns is (``{column: landmark}``,
    from ``meta.extra["catalogue_names"]``, which its meta pickle gives back), so that its
    output is read as it was lifted, not matched again by name (a SLEAP mouse's ``Tail_1``,
    lifted as ``tail3``, beside the imputed catalogue ``tail1``); ``None`` for other poses."""
    names = poses.meta.extra.get("catalogue_names")
    if not poses.is_3d or names is None or len(names) != len(poses.keypoints):
        return None
    return {str(k): str(n) for k, n in zip(poses.keypoints, names, strict=True)}


def still_keypoints(poses: Poses, pcutoff: float = NO_DETECTION_LIKELIHOOD) -> list[str]:
    """Names whose tracked points stay in place while the animal moves.

    A maze's arms, a lever or a food cup tracked beside the animal stay where they are; body
    parts go wherever the animal goes. Per keypoint (pooled over individuals), the spread
    is the 90th percentile distance of its tracked 2D points from their median; a keypoint
    is still when its spread is at most :data:`STILL_SHARE` of the largest spread in the
    file. Nothing is still when the animal itself moves less than
    :data:`STILL_MIN_MOTION_PX`, and a keypoint tracked in fewer than
    :data:`STILL_MIN_FRAMES` frames is never still.

    Parameters
    ----------
    poses
        2D poses.
    pcutoff
        Points with a lower likelihood are not counted (by default the tracker's
        non-detections: a model that found nothing leaves its noise in place, which is no
        object).

    Returns
    -------
    list of str
        In the file's keypoint order.
    """
    uv = np.asarray(poses.coords, dtype=np.float64)[..., :2]
    conf = np.asarray(poses.confidence, dtype=np.float64)
    ok = np.isfinite(uv).all(-1) & ~(np.nan_to_num(conf, nan=1.0) < pcutoff)
    spread = np.full(len(poses.keypoints), np.nan)
    for k in range(len(poses.keypoints)):
        pts = uv[:, :, k][ok[:, :, k]]
        if len(pts) >= STILL_MIN_FRAMES:
            spread[k] = np.percentile(np.linalg.norm(pts - np.median(pts, axis=0), axis=-1), 90)
    if not np.isfinite(spread).any():
        return []
    motion = float(np.nanmax(spread))
    if motion < STILL_MIN_MOTION_PX:
        return []
    return [name for name, s in zip(poses.keypoints, spread, strict=True)
            if np.isfinite(s) and s <= STILL_SHARE * motion]


#: An arena landmark tracked in fewer of a file's frames than this share (of at least
#: :data:`RARE_LANDMARK_FRAMES` frames) is said in the log: its position is the median of
#: those few, which may not be where the corner is (real corners are tracked in nearly
#: every frame).
RARE_LANDMARK_SHARE = 0.2
RARE_LANDMARK_FRAMES = 100


def arena_pixels(poses: Poses, plan: KeypointMap, pcutoff: float = 0.0, *,
                 warn: bool = False) -> dict[str, list[float]]:
    """Median pixel position of each tracked arena landmark (``{landmark: [u, v]}``).

    Offline lifting passes a file's poses, live lifting the frames it has seen. With
    ``warn``, landmarks tracked in few frames (:data:`RARE_LANDMARK_SHARE`) are said.
    """
    coords, confidence, keypoints = poses.coords, poses.confidence, list(poses.keypoints)
    out: dict[str, list[float]] = {}
    rare = []
    for name, landmark in plan.arena.items():
        k = keypoints.index(name)
        uv = np.asarray(coords)[..., k, :].reshape(-1, 2)
        c = np.asarray(confidence)[..., k].reshape(-1)
        ok = np.isfinite(uv).all(-1) & ~(np.nan_to_num(c, nan=1.0) < pcutoff)
        if ok.sum() >= 1:
            out[landmark] = [float(v) for v in np.median(uv[ok], axis=0)]
            if len(ok) >= RARE_LANDMARK_FRAMES and ok.mean() < RARE_LANDMARK_SHARE:
                rare.append(f"{name} ({100 * ok.mean():.1f} %)")
    if warn and rare:
        logger.warning("%s: arena landmarks tracked in few frames, placed at the median of "
                       "those: %s. Check their tracking: a misplaced corner sets a wrong "
                       "scale and wrong walls.", poses.meta.source or "poses", ", ".join(rare))
    return out


def resolve_keypoint_map(
    keypoint_map: KeypointMap | str | Path | Mapping[str, str | None] | None,
) -> KeypointMap | Mapping[str, str | None] | None:
    """A keypoint map given as a YAML file, a mapping or ``None``, as a mapping or ``None``.

    A :class:`~dlc_lifter.mouse.keypoint_map.KeypointMap` already planned is returned as is.

    Raises
    ------
    DLCLifterError
        When the YAML file is missing or is not a flat ``user_name: catalogue_name`` map.
    """
    if keypoint_map is None or isinstance(keypoint_map, (Mapping, KeypointMap)):
        return keypoint_map
    try:
        return load_mapping(keypoint_map)
    except (FileNotFoundError, ValueError) as exc:
        raise DLCLifterError(str(exc)) from None



def withheld_from_networks(cat_idx: Sequence[int]) -> list[int]:
    """Catalogue indices of the tracked keypoints the networks are not given.

    A centre label (``mouse_center``) where the file tracks at most
    :data:`CENTRE_WITHHELD_UP_TO` of the mouse's keypoints besides its paws (module
    docstring); the lift places it on its own ray at the height the networks give it.

    Parameters
    ----------
    cat_idx
        Catalogue index of every keypoint the file tracks (mapped onto the catalogue).
    """
    idx = {int(i) for i in cat_idx}
    return [_CENTRE] if _CENTRE in idx and len(idx - PAWS) <= CENTRE_WITHHELD_UP_TO else []


def on_own_ray(points: np.ndarray, imputed: np.ndarray, uv: np.ndarray, conf: np.ndarray | float,
               pcutoff: float, camera: Camera) -> None:
    """Put a keypoint withheld from the networks back on its own camera ray, in place.

    Parameters
    ----------
    points
        ``(..., 3)`` the keypoint's lifted points: the networks imputed them (their
        heights are kept).
    imputed
        ``(...)`` bool flags, cleared where the point is put on its ray.
    uv, conf
        ``(..., 2)`` its tracked pixels and ``(...)`` likelihoods (or one for all).
    pcutoff
        Below this likelihood the point stays imputed.
    camera
        The lift's camera.
    """
    from dlc_lifter.nets.lifter import floor_points, points_on_rays  # the lift loaded them

    uv = np.asarray(uv, dtype=np.float64)
    seen = ((np.nan_to_num(np.asarray(conf, dtype=np.float64), nan=0.0) >= pcutoff)
            & np.isfinite(uv).all(-1) & np.isfinite(points[..., 2]))
    on_ray = points_on_rays(floor_points(uv, camera), camera.centre, points[..., 2])
    points[...] = np.where(seen[..., None], on_ray, points)
    imputed &= ~seen
