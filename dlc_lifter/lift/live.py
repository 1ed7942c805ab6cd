"""Live lifting: :class:`LiveLifter` lifts one 2D pose at a time, for real-time use.

:class:`LiveLifter` lifts each pose with the lifter's *causal* network (past frames only,
:class:`~dlc_lifter.lift.stream.LiftStream`), so its output for a frame equals the batch
causal lift (``Lifter.lift(..., mode="causal")``) of the recording up to that frame, with
the same networks (``lifter``: ``Lifter.load().for_camera(camera, view_angle)`` mixes in
the networks for oblique views as an offline lift of a file does; the shipped lifter alone
differed from that by up to 0.8 mm on the openfield video, seen 16 deg off the
vertical). The measures a lift of a file takes over the whole file (walls, mistracks,
labels on the back) start after the first ``size_frames`` frames with the animal.
Live behavioural features are composed on top of it in the analysis layer
(:class:`~dlc_lifter.analysis.live_features.LiveFeatures`), and the DeepLabCut-Live
processor in :mod:`dlc_lifter.integrations.dlclive`.

With depth (``LiveLifter(..., depth=True)``), each :meth:`LiveLifter.step` given the
camera frame crops the mouse from its 2D keypoints (the crop geometry of the offline depth
path, :mod:`dlc_lifter.lift.depth_path`), runs the depth network on that one crop, samples
the depth cues at the keypoints and runs the fused lifter's causal network one step: the
output equals the offline causal fused lift (``lift_poses_with_depth(..., mode="causal")``)
of the same frames at the same image scale. Frames without an image, or whose crop cannot
be placed, are lifted without cues (the fused lifter with ``available = 0``, exactly what
the offline path does for them). As the offline path judges a file's depth by the depth
network's own snout readings over the whole file
(:func:`~dlc_lifter.lift.depth_path.depth_out_of_domain`), :class:`LiveLifter` judges the
session's on all its readings so far once the first
:data:`~dlc_lifter.lift.depth_path.DEPTH_CHECK_READINGS` are in, and again each time their
count doubles, up to :data:`LIVE_FINAL_READINGS` (the final judgement): read raised in most
of them (a video unlike those the network learned from), the session is lifted from the
keypoints only, and read flat again at a later judgement, with depth again
(:attr:`LiveLifter.depth_judgement`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from dlc_lifter.camera import Camera
from dlc_lifter.errors import DLCLifterError
from dlc_lifter.lift.body_size import AnimalSize, animal_sizes, warn_animal_size
from dlc_lifter.lift.depth_path import (
    DEPTH_CHECK_READINGS,
    FLAT_SNOUT_MM,
    depth_out_of_domain,
    load_depth_models,
    snout_readings,
)
from dlc_lifter.lift.keypoints import on_own_ray, output_names, withheld_from_networks
from dlc_lifter.lift.lifter import Lifter
from dlc_lifter.lift.midline import (
    MIDLINE_INDEX,
    ON_THE_BACK,
    labels_off_their_landmark,
    midline_without,
    onto_the_back,
)
from dlc_lifter.lift.mistracks import BodyReach
from dlc_lifter.lift.raised import raised_noses
from dlc_lifter.lift.stream import LiftStream
from dlc_lifter.lift.walls import (
    ARENA_CORNERS,
    ArenaWalls,
    arena_walls,
    head_rows,
    raise_into_arena,
)
from dlc_lifter.mouse.catalogue import CATALOGUE, catalogue_index
from dlc_lifter.mouse.keypoint_map import KeypointMap, plan_keypoint_map

__all__ = ["IMAGE_COLORS", "LIVE_FINAL_READINGS", "LiveLifter", "LiveResult",
           "animal_in_frame", "animal_rows", "causal_lifter", "live_keypoint_plan"]

logger = logging.getLogger(__name__)

#: Snout readings of a live session's final depth judgement (about a minute of video at
#: 30 fps). :class:`LiveLifter` judges the session's depth on all its readings so far at
#: :data:`~dlc_lifter.lift.depth_path.DEPTH_CHECK_READINGS` (30) and each time their count
#: doubles (60, 120, ... 960), and a last time at this many; from then on it keeps the
#: decision and runs only the stream that lifts (before, both run, so that either takes
#: over warm). The readings are kept until then (this many floats at most).
LIVE_FINAL_READINGS = 1800


@dataclass
class LiveResult:
    """What one :meth:`LiveLifter.step` gives.

    Attributes
    ----------
    pose_3d
        ``(K_out, 3)`` mm in the camera's world frame, in the order of
        :attr:`LiveLifter.keypoints_out`; NaN when nothing was tracked.
    features
        ``{column: value}`` of the live features
        (:class:`~dlc_lifter.analysis.live_features.LiveFeatures` fills it); empty from
        a :class:`LiveLifter` alone (and for the first frame with a feature delay of 1).
    frame
        Number of this frame (0 for the first step after construction or reset).
    features_frame
        Frame the features describe (``frame`` minus the feature delay), ``None`` if none.
    imputed
        ``(K_out,)`` bool: keypoint not tracked (or below ``pcutoff``), placed from the
        body instead of its camera ray.
    latency_s
        Wall time of the step (depth, lifting and, with features, the features).
    depth_used
        Depth cues from the image were used for this frame (``depth=True``, an image
        given and the crop placed).
    tails_withheld
        ``(K_out,)`` bool: a tail point lying curled off the body's axis, which the causal
        networks did not see (it is on its own ray); as the offline lift's
        ``tails_withheld``.
    """

    pose_3d: np.ndarray
    features: dict[str, float] = field(default_factory=dict)
    frame: int = 0
    features_frame: int | None = None
    imputed: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    latency_s: float = 0.0
    depth_used: bool = False
    tails_withheld: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))


def causal_lifter(model: str | Path | Lifter | None, pcutoff: float = 0.6) -> Lifter:
    """The :class:`~dlc_lifter.lift.lifter.Lifter` of ``model`` set to its causal network.

    Parameters
    ----------
    model
        Weights file, a loaded :class:`~dlc_lifter.lift.lifter.Lifter` (its model is
        shared), or ``None`` for the shipped model.
    pcutoff
        Keypoints below this likelihood are imputed.

    Raises
    ------
    ModelLoadError
        When the weights cannot be loaded.
    """
    if isinstance(model, Lifter):
        return model.with_mode("causal", pcutoff)
    return Lifter.load(model, mode="causal", pcutoff=pcutoff)


#: Grey weights of RGB / BGR frames (those of the offline depth path).
_GRAY_WEIGHTS = {"rgb": (0.299, 0.587, 0.114), "bgr": (0.114, 0.587, 0.299)}
#: Channel orders of colour frames :class:`LiveLifter` reads (``image_color``).
IMAGE_COLORS = tuple(_GRAY_WEIGHTS)


def _one_animal(plan: KeypointMap, *, say: bool = True) -> KeypointMap:
    """The plan restricted to the first animal's names where names carry two animals'
    prefixes (``moth_*``, ``pup_*``): one stream lifts one animal (said with ``say``)."""
    prefixes = list(dict.fromkeys(plan.animals[k].lower() for k in plan.mapped
                                  if k in plan.animals))
    if len(prefixes) < 2:
        return plan
    others = [k for k in plan.mapped if plan.animals.get(k, prefixes[0]).lower() != prefixes[0]]
    if say:
        logger.warning("Live lifting follows one animal: '%s'; not lifted: %s.", prefixes[0],
                       ", ".join(others))
    return replace(plan, mapped={k: v for k, v in plan.mapped.items() if k not in others},
                   dropped=plan.dropped | {k: "another animal (live lifting follows one)"
                                           for k in others})


def live_keypoint_plan(keypoint_names: Sequence[str],
                       keypoint_map: Mapping[str, str | None] | None = None, *,
                       check: bool = True) -> KeypointMap:
    """How a live lift uses each keypoint name: the names' plan, following one animal where
    the names carry two animals' prefixes (``moth_*``, ``pup_*``: the first).

    Parameters
    ----------
    keypoint_names
        Names of the 2D keypoints, in the order of the rows of every pose.
    keypoint_map
        ``{user name: catalogue name or None}`` for names the catalogue does not know.
    check
        Log the plan's warnings and the animal followed, and refuse names that do not span
        the body, as :class:`LiveLifter` does when it starts; ``False``: the plan only.

    Returns
    -------
    KeypointMap
        Its ``mapped`` names are the animal's keypoints (:func:`animal_rows`).

    Raises
    ------
    KeypointMappingError
        With ``check``, when the names that map onto the catalogue do not span the body.

    Examples
    --------
    >>> plan = live_keypoint_plan(["snout", "tailbase", "tl"], check=False)
    >>> sorted(plan.mapped)
    ['snout', 'tailbase']
    """
    plan = plan_keypoint_map(list(keypoint_names), keypoint_map, source="keypoint_names")
    if check:
        for line in plan.warnings:
            logger.warning(line)
        plan.require_liftable("keypoint_names")
    return _one_animal(plan, say=check)


def animal_rows(keypoint_names: Sequence[str], plan: KeypointMap) -> np.ndarray:
    """The rows of a pose that are the animal's keypoints: those ``plan`` maps onto the
    mouse catalogue (:func:`live_keypoint_plan`), not the arena's corners, objects or
    another animal's names.

    Parameters
    ----------
    keypoint_names
        Names of the 2D keypoints, in the order of the rows of every pose.
    plan
        How they are used.

    Returns
    -------
    numpy.ndarray
        ``(K_animal,)`` int64 row indices, in the names' order (a name given twice: its
        first row, twice).

    Examples
    --------
    >>> names = ["tl", "snout", "tailbase"]
    >>> animal_rows(names, live_keypoint_plan(names, check=False)).tolist()
    [1, 2]
    """
    names = list(keypoint_names)
    return np.array([names.index(k) for k in names if k in plan.mapped], dtype=np.int64)


def animal_in_frame(uv: np.ndarray, conf: np.ndarray | None, rows: np.ndarray,
                    pcutoff: float) -> bool:
    """Whether one frame's pose tracks the animal: a keypoint of it (one of ``rows``,
    :func:`animal_rows`) with both coordinates finite and its likelihood at ``pcutoff`` or
    above. An empty arena (its corners or objects tracked, the animal not yet put in) does
    not count.

    Parameters
    ----------
    uv
        ``(K, 2)`` pixels of the frame's keypoints, NaN where missing.
    conf
        ``(K,)`` likelihoods (NaN: 0), or ``None`` (every finite point tracked).
    rows
        The animal's rows among the ``K``.
    pcutoff
        The likelihood cutoff.

    Returns
    -------
    bool
        Whether a keypoint of the animal is tracked in the frame.

    Examples
    --------
    >>> import numpy as np
    >>> uv = np.array([[10.0, 20.0], [30.0, 40.0], [np.nan, np.nan]])
    >>> animal_in_frame(uv, np.array([0.99, 0.1, 0.9]), np.array([1, 2]), 0.6)
    False
    >>> animal_in_frame(uv, np.array([0.99, 0.7, 0.9]), np.array([1, 2]), 0.6)
    True
    """
    ok = np.isfinite(uv).all(-1)
    if conf is not None:
        ok &= np.nan_to_num(conf, nan=0.0) >= pcutoff
    return bool(ok[rows].any())


class LiveLifter:
    """Lift 2D poses to 3D one frame at a time (causal network).

    For live features too, wrap it in
    :class:`~dlc_lifter.analysis.live_features.LiveFeatures`.

    Parameters
    ----------
    camera
        The camera (:class:`~dlc_lifter.camera.Camera`); output is in its world frame.
        Build one with ``Camera.top_view(height_mm, focal_px, image_size)``, load an
        anipose calibration (:func:`~dlc_lifter.io.calibration.load_anipose`) or estimate it from
        a recorded session (:func:`~dlc_lifter.lift.resolve_camera`).
    keypoint_names
        Names of the 2D keypoints, in the order of the rows of every pose.
    model
        Weights file, a loaded :class:`~dlc_lifter.lift.Lifter`, or ``None`` for the
        shipped model (the keypoints-only lifter).
    pcutoff
        Keypoints below this likelihood are imputed instead of lifted on their ray.
    keypoint_map
        ``{user name: catalogue name or None}`` for names the catalogue does not know
        (``None`` drops a keypoint).
    impute_all
        Also output the catalogue keypoints that are not tracked (imputed), after the
        tracked ones, as :func:`~dlc_lifter.lift.lift_poses` does.
    depth
        Lift with depth cues read from the image given to :meth:`step` (depth network on a
        crop around the mouse, fused lifter); frames without an image or crop are lifted
        without cues. Needs torch, the depth network and the fused lifter. Once the depth
        network has read the snout in
        :data:`~dlc_lifter.lift.depth_path.DEPTH_CHECK_READINGS` frames, the session's depth
        is judged on all its readings so far, as a lift of a file judges the file's
        (:func:`~dlc_lifter.lift.depth_path.depth_out_of_domain`), and judged again each
        time their count doubles, a last time at :data:`LIVE_FINAL_READINGS`: where the
        snout reads raised in most of them, a warning says so and the session is lifted
        from the keypoints only; read flat at a later judgement, it is lifted with depth
        again (said at INFO) (:attr:`depth_judgement`). Until the final judgement both the
        fused and the keypoints' causal streams run (the depth network too), so that either
        takes over warm; after it, only the one that lifts.
    depth_weights, fused_weights
        Weights of the depth network and the fused lifter (default: shipped; see
        :func:`~dlc_lifter.lift.depth_path.load_depth_models`).
    px_per_mm
        Image scale of the animal (pixels per mm) that sizes the crops. Default: estimated
        from the tracked keypoints of the first ``scale_frames`` frames as the offline
        path does over a whole file
        (:func:`~dlc_lifter.nets.crops.px_per_mm_from_keypoints`), then fixed; until a
        keypoint pair has been seen, the camera's scale at the floor.
    scale_frames
        Frames the image scale is estimated from (when ``px_per_mm`` is not given).
    image_color
        Channel order of colour images: ``rgb`` (:func:`dlc_lifter.io.open_video`) or
        ``bgr`` (OpenCV cameras). Grey ``(H, W)`` images are accepted too.
    size_frames
        After this many frames with the animal in them (a keypoint at the likelihood
        cutoff: an empty arena before it is put in does not count) the animal's size on
        the floor through ``camera`` is measured once, as a lift of a file measures it
        (:mod:`dlc_lifter.lift.body_size`: a warning where it lies outside what the
        networks learned, naming the units where the camera's were not mm); the result is
        :attr:`animal_size`. 0: not measured.
        The same frames' lifted noses are counted as a lift of a file counts them
        (:mod:`dlc_lifter.lift.raised`: a warning where most are 30 mm or higher); the
        result is :attr:`raised`.
        The same frames measure how far each keypoint usually lies from the body's middle
        (:attr:`reach`); from then on, detections far beyond it are lifted as untracked
        (confident mistracks, :mod:`dlc_lifter.lift.mistracks`, as a lift of a file does),
        and where labels on the back sit (:attr:`on_the_back`): from then on, those that
        sit elsewhere than their landmarks are lifted to the back's height where they lie
        (:mod:`dlc_lifter.lift.midline`, as a lift of a file does).
    walls
        Where the poses track the arena's four corners: from the end of the first
        ``size_frames`` frames (their corners' medians, as a lift of a file takes them), raise
        points whose camera ray meets the floor beyond the walls to where the ray comes
        inside the arena, as :func:`~dlc_lifter.lift.lift_poses` does
        (:mod:`dlc_lifter.lift.walls`); the walls are :attr:`walls`.

    Raises
    ------
    KeypointMappingError
        When the keypoint names that map onto the catalogue do not span the body (names
        that map to nothing are dropped with a warning).
    ModelLoadError
        When the weights (with ``depth``: also the depth weights) cannot be loaded.
    """

    def __init__(
        self,
        camera: Camera,
        keypoint_names: Sequence[str],
        model: str | Path | Lifter | None = None,
        *,
        pcutoff: float = 0.6,
        keypoint_map: Mapping[str, str | None] | None = None,
        impute_all: bool = True,
        depth: bool = False,
        depth_weights: str | Path | None = None,
        fused_weights: str | Path | None = None,
        px_per_mm: float | None = None,
        scale_frames: int = 30,
        image_color: str = "rgb",
        size_frames: int = 300,
        walls: bool = True,
    ) -> None:
        if not isinstance(camera, Camera):
            raise DLCLifterError(f"camera must be a dlc_lifter Camera; got {type(camera)!r} "
                                 "(use Camera.top_view(...) or load_anipose(...)).")
        if min(camera.image_size) <= 0:  # a calibration that does not record it
            raise DLCLifterError(
                f"camera '{camera.name}' does not record the size of its images (DeepLabCut "
                "3D's intrinsics pickle and DANNCE's cameras do not); give the live video's: "
                "dataclasses.replace(camera, image_size=(width, height)).")
        self.camera = camera
        self.keypoint_names = [str(k) for k in keypoint_names]
        self.lifter = causal_lifter(model, pcutoff)
        plan = live_keypoint_plan(self.keypoint_names, keypoint_map)
        self.keypoint_plan = plan
        """How each keypoint name is used (:class:`~dlc_lifter.mouse.KeypointMap`)."""
        self._stream = self.lifter.stream(camera, self.keypoint_names, mapping=plan,
                                          mode="causal")
        self._plan_outputs(plan, impute_all)
        self._frame = 0
        self._with_animal = 0  # frames of the session's measures (size_frames) seen so far
        self._warned_image = False
        if depth and camera.below_floor:
            logger.warning("LiveLifter: the camera is below the floor; the depth network "
                           "knows views from above, so the frames' depth cues are not read.")
            depth = False
        self._init_depth(depth, depth_weights, fused_weights, px_per_mm, scale_frames,
                         image_color)
        self.size_frames = max(0, int(size_frames))
        self.animal_size: AnimalSize | None = None
        """The animal's size on the floor, once measured (see ``size_frames``)."""
        self._size_seen: list[tuple[np.ndarray, np.ndarray]] = []
        self.raised: dict[str, Any] | None = None
        """How often the lifted nose was raised over the first ``size_frames`` frames
        (:func:`~dlc_lifter.lift.raised.raised_noses`; ``None`` until then, or without a
        nose)."""
        self._lifted_seen: list[tuple[np.ndarray, np.ndarray]] = []
        self._corner_rows = {lm: self.keypoint_names.index(name)
                             for name, lm in plan.arena.items() if lm in ARENA_CORNERS}
        self._use_walls = bool(walls) and len(self._corner_rows) == len(ARENA_CORNERS)
        self.walls: ArenaWalls | None = None
        """The arena's walls once measured (see ``walls``)."""
        self._corners_seen: list[np.ndarray] = []
        self.reach: BodyReach | None = None
        """How far each keypoint usually lies from the body's middle, once measured (see
        ``size_frames``); detections beyond it are lifted as untracked
        (:mod:`dlc_lifter.lift.mistracks`)."""
        self.mistracked = 0
        """Detections lifted as untracked because the body cannot reach them."""
        self._warm_up()

    def _warm_up(self) -> None:
        """Run the networks once on a made-up frame, on throwaway streams: torch's first
        call (0.3 s keypoints only, seconds with the depth network) is paid here, at
        set-up, and not by the first live frame."""
        if self._fused is None or self._judges_depth:  # the keypoints' stream runs too
            self.lifter.warm_up(self.camera)
        if self._fused is None:
            return
        k0 = self.camera.K
        uv = np.column_stack([k0[0, 2] + 10.0 * np.arange(len(self.keypoint_names)),
                              np.full(len(self.keypoint_names), k0[1, 2])])
        uv_cat, c_cat = self._catalogue(uv, np.ones(len(uv)))
        w, h = self.camera.image_size
        image = np.zeros((max(h, 1), max(w, 1), 3), dtype=np.uint8)
        ppm = self._ppm_given or float(k0[0, 0]) / 400.0  # about a camera 40 cm up
        cues = self._extractor.frame(image, uv_cat, c_cat, ppm)
        Lifter(self.fused_model, mode="causal", pcutoff=self.lifter.pcutoff).stream(
            self.camera, self.keypoint_names, mapping=self.keypoint_plan
        ).step_catalogue(uv_cat, c_cat, cues)

    def _plan_outputs(self, plan: KeypointMap, impute_all: bool) -> None:
        """The output keypoints: the tracked ones (user names), then, with ``impute_all``,
        the other catalogue keypoints."""
        mapped = plan.mapped
        tracked = [k for k in self.keypoint_names if k in mapped]
        cat_idx = catalogue_index([mapped[k] for k in tracked])
        extra = [i for i in range(len(CATALOGUE)) if i not in set(cat_idx)] if impute_all else []
        self._out_idx = np.array(list(cat_idx) + extra, dtype=np.int64)
        self.keypoints_out: list[str] = output_names(tracked, extra)
        """Names of the output keypoints: the tracked ones (user names), then the rest."""
        self.catalogue_names: list[str] = [CATALOGUE[i] for i in self._out_idx]
        """Catalogue name of every output keypoint."""
        self._head_rows = head_rows(self.catalogue_names)  # raised together by the walls
        self._user_rows = animal_rows(self.keypoint_names, plan)
        self._cat_idx = np.array(cat_idx, dtype=np.int64)
        # a centre label in a sparse set: not given to the networks, lifted on its own ray
        withheld = withheld_from_networks(cat_idx)
        self._withheld = [(int(self._user_rows[k]), k, c) for k, c in enumerate(cat_idx)
                          if c in withheld]
        # a label on the back: lifted to the back's height where it lies (lift.midline)
        # (row, output keypoint, catalogue index, the rest of the midline's catalogue rows)
        self._on_back = [(int(self._user_rows[k]), k, c,
                          np.array(MIDLINE_INDEX)[midline_without(c)])
                         for k, c in enumerate(cat_idx) if c in ON_THE_BACK]
        self.on_the_back: dict[int, float] = {}
        """Catalogue index -> share of the way from the nose of the back labels placed on
        the back, measured over the first ``size_frames`` frames (empty until then)."""

    def _init_depth(self, depth: bool, depth_weights: str | Path | None,
                    fused_weights: str | Path | None, px_per_mm: float | None,
                    scale_frames: int, image_color: str) -> None:
        """Check the depth options and, with ``depth``, load the depth network and the
        fused lifter's stream."""
        self.depth = bool(depth)
        if image_color not in _GRAY_WEIGHTS:
            raise DLCLifterError(f"image_color must be 'rgb' or 'bgr'; got {image_color!r}.")
        self.image_color = image_color
        if px_per_mm is not None and not (np.isfinite(px_per_mm) and px_per_mm > 0):
            raise DLCLifterError(f"px_per_mm must be a positive number; got {px_per_mm}.")
        self._ppm_given = None if px_per_mm is None else float(px_per_mm)
        self.scale_frames = max(1, int(scale_frames))
        self.depth_model: Any = None
        self.fused_model: Any = None
        self._fused: LiftStream | None = None
        self._extractor: Any = None
        if self.depth:
            from dlc_lifter.nets.cues import CueExtractor  # torch

            self.depth_model, self.fused_model = load_depth_models(depth_weights, fused_weights)
            self._extractor = CueExtractor(self.depth_model, pcutoff=self.lifter.pcutoff,
                                           gray_weights=_GRAY_WEIGHTS[image_color])
            try:
                self._fused = Lifter(self.fused_model, mode="causal",
                                     pcutoff=self.lifter.pcutoff).stream(
                    self.camera, self.keypoint_names, mapping=self.keypoint_plan)
            except ValueError as exc:
                raise DLCLifterError(f"The fused lifter cannot run live: {exc}") from exc
        self._warned = {"no_image": False, "no_crop": False, "bad_image": False}
        # the session's depth is judged by the snout's readings where the network reads one
        self._judges_depth = (self._fused is not None and self.depth_model.has_landmarks
                              and CATALOGUE.index("nose") in set(self._cat_idx.tolist()))
        self._reset_scale()
        self._reset_judgement()

    @property
    def n_keypoints(self) -> int:
        """Number of 2D keypoints expected per pose."""
        return len(self.keypoint_names)

    @property
    def px_per_mm(self) -> float | None:
        """Image scale (px/mm) the depth crops use now (``None`` without depth)."""
        return self._ppm if self.depth else None

    @property
    def depth_judgement(self) -> dict[str, Any] | None:
        """The session's depth as judged by the depth network's own snout readings
        (``None`` without depth).

        ``used`` (depth cues lift the frames now), ``judged`` (the first
        :data:`~dlc_lifter.lift.depth_path.DEPTH_CHECK_READINGS` readings are in; never where
        the snout is not tracked or the network reads no landmarks), ``final`` (the last
        judgement, on :data:`LIVE_FINAL_READINGS` readings, is made: the decision stays),
        ``snout_reading`` (as in the offline ``meta.extra["depth"]``: how many readings,
        their median and the share at :data:`~dlc_lifter.lift.depth_path.FLAT_SNOUT_MM` or
        higher; those the latest judgement was made on, or those so far before the first),
        ``changes`` (each change of decision: ``frame``, the first frame it lifts,
        ``used`` and the ``readings`` it was made on) and, where depth is given up now,
        ``reason`` and ``from_frame`` (the first frame lifted from the keypoints only).
        """
        if self._fused is None:
            return None
        out: dict[str, Any] = {
            "used": self._depth_off_from is None, "judged": self._snout_summary is not None,
            "final": self._judged_final,
            "snout_reading": (self._snout_summary if self._snout_summary is not None
                              else depth_out_of_domain(self._snout[:self._n_snout])[0]),
            "changes": [dict(c) for c in self._depth_changes]}
        if self._depth_off_from is not None:
            out.update(reason=self._depth_off_reason, from_frame=self._depth_off_from)
        return out

    def reset(self) -> None:
        """Forget the past (start of a new recording, whose depth is judged anew)."""
        self._stream.reset()
        if self._fused is not None:
            self._fused.reset()
        self._frame = 0
        self._with_animal = 0
        self._reset_scale()
        self._reset_judgement()
        self.animal_size = None
        self._size_seen = []
        self.raised = None
        self._lifted_seen = []
        self.walls = None
        self._corners_seen = []
        self.reach = None
        self.mistracked = 0

    def _reset_judgement(self) -> None:
        self._final_readings = max(DEPTH_CHECK_READINGS, int(LIVE_FINAL_READINGS))
        # the snout readings so far (bounded: dropped after the final judgement)
        self._snout = np.empty(self._final_readings if self._judges_depth else 0)
        self._n_snout = 0
        self._next_judgement = DEPTH_CHECK_READINGS
        self._snout_summary: dict[str, float] | None = None
        self._judged_final = False
        self._depth_changes: list[dict[str, Any]] = []
        self._depth_off_from: int | None = None
        self._depth_off_reason: str | None = None

    @property
    def _judging(self) -> bool:
        """The session's depth may still be judged anew (both streams run)."""
        return self._judges_depth and not self._judged_final

    def _judge_depth(self, cues: np.ndarray | None) -> None:
        """Keep this frame's snout reading; at the
        :data:`~dlc_lifter.lift.depth_path.DEPTH_CHECK_READINGS`-th reading and each time
        their count doubles (the last at :data:`LIVE_FINAL_READINGS`), judge the session's
        depth on all of them, as a lift of a file judges the file's, and log a change of
        decision."""
        if cues is not None:
            r = snout_readings(cues)[: self._final_readings - self._n_snout]
            self._snout[self._n_snout:self._n_snout + r.size] = r
            self._n_snout += r.size
        if self._n_snout < self._next_judgement:
            return
        summary, why = depth_out_of_domain(self._snout[:self._n_snout])
        self._snout_summary = summary
        self._next_judgement = min(2 * self._next_judgement, self._final_readings)
        if self._n_snout >= self._final_readings:
            self._judged_final = True
            self._snout = np.empty(0)
        if (why is None) == (self._depth_off_from is None):  # the same decision
            return
        self._depth_changes.append({"frame": self._frame, "used": why is None,
                                    "readings": self._n_snout})
        then = ("the final judgement" if self._judged_final else
                f"judged again on all its readings at {self._next_judgement}")
        if why is not None:
            self._depth_off_from, self._depth_off_reason = self._frame, why
            logger.warning("LiveLifter: %s; from frame %d the session is lifted from the "
                           "keypoints only (%s). Pass depth=False to skip the depth network, "
                           "or check the lighting and the mouse's size in the image (the "
                           "crops' scale, px_per_mm).", why, self._frame, then)
            return
        self._depth_off_from = self._depth_off_reason = None
        logger.info("LiveLifter: the depth network reads the snout at %.0f mm or higher in "
                    "%.0f %% of its %d readings (median %.0f mm), as in a video like those "
                    "it learned from: from frame %d the session is lifted with depth cues "
                    "again (%s).", FLAT_SNOUT_MM, 100 * summary["raised_share"],
                    summary["readings"], summary["median_mm"], self._frame, then)

    def _reset_scale(self) -> None:
        self._ppm: float | None = self._ppm_given
        self._ppm_fixed = self._ppm_given is not None
        self._scale_uv: list[np.ndarray] = []
        self._scale_c: list[np.ndarray] = []

    def _split(self, pose_2d: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        p = np.asarray(pose_2d, dtype=np.float64)
        if p.ndim == 3 and p.shape[0] == 1:
            p = p[0]
        if p.ndim == 3 and p.shape[1] == self.n_keypoints and p.shape[2] in (2, 3):
            raise DLCLifterError(
                f"pose_2d holds {p.shape[0]} animals ({p.shape}); a LiveLifter lifts one "
                f"animal ({self.n_keypoints}, 2|3): make one LiveLifter per animal and give "
                "each its own rows.")
        if p.ndim != 2 or p.shape[0] != self.n_keypoints or p.shape[1] not in (2, 3):
            raise DLCLifterError(
                f"pose_2d must be ({self.n_keypoints}, 2|3) (x, y[, likelihood]) for the "
                f"{self.n_keypoints} keypoints {', '.join(self.keypoint_names)}; got "
                f"{p.shape}.")
        return p[:, :2], (p[:, 2] if p.shape[1] == 3 else None)

    # ------------------------------------------------------------------ depth
    def _catalogue(self, uv: np.ndarray, conf: np.ndarray | None
                   ) -> tuple[np.ndarray, np.ndarray]:
        """Catalogue-ordered ``(K, 2)`` pixels (NaN elsewhere) and ``(K,)`` likelihoods
        (0 elsewhere), as :class:`~dlc_lifter.lift.stream.LiftStream` builds them."""
        k = len(CATALOGUE)
        c = (np.where(np.isfinite(uv).all(-1), 1.0, 0.0) if conf is None
             else np.nan_to_num(np.asarray(conf, dtype=np.float64), nan=0.0))
        uv_cat = np.full((k, 2), np.nan)
        c_cat = np.zeros(k)
        uv_cat[self._cat_idx] = uv[self._user_rows]
        c_cat[self._cat_idx] = c[self._user_rows]
        return uv_cat, c_cat

    def _scale(self, uv_cat: np.ndarray, c_cat: np.ndarray) -> float:
        """The image scale: given, else estimated from the first ``scale_frames`` frames."""
        if self._ppm_fixed:
            assert self._ppm is not None
            return self._ppm
        from dlc_lifter.nets.crops import camera_px_per_mm, px_per_mm_from_keypoints

        self._scale_uv.append(uv_cat)
        self._scale_c.append(c_cat)
        ppm = px_per_mm_from_keypoints(np.stack(self._scale_uv), np.stack(self._scale_c),
                                       self.fused_model.pair_length_mm,
                                       pcutoff=self.lifter.pcutoff)
        if np.isfinite(ppm) and ppm > 0:
            self._ppm = float(ppm)
            if len(self._scale_uv) >= self.scale_frames:
                self._ppm_fixed = True
                self._scale_uv, self._scale_c = [], []
                logger.info("LiveLifter: image scale %.3f px/mm from the first %d frames.",
                            self._ppm, self.scale_frames)
        elif self._ppm is None:  # no keypoint pair yet: the camera's scale near the floor
            self._ppm = float(camera_px_per_mm(self.camera))
        return self._ppm

    def _warn_once(self, key: str, msg: str, *args: Any) -> None:
        if not self._warned[key]:
            logger.warning(msg, *args)
            self._warned[key] = True

    def _cues(self, uv_cat: np.ndarray, c_cat: np.ndarray, image: np.ndarray | None
              ) -> np.ndarray | None:
        """Depth cues ``(K, N_CUES)`` of one frame, or ``None`` (no image, no crop)."""
        ppm = self._scale(uv_cat, c_cat)
        if image is None:
            self._warn_once("no_image", "LiveLifter: frame %d came without an image; frames "
                            "without one are lifted without depth cues (keypoints only). "
                            "Said once.", self._frame)
            return None
        img = np.asarray(image)
        if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] not in (1, 3)):
            self._warn_once("bad_image", "LiveLifter: images must be (H, W) or (H, W, 3); got "
                            "%s. Such frames are lifted without depth cues. Said once.",
                            img.shape)
            return None
        cues = self._extractor.frame(img, uv_cat, c_cat, ppm)
        if cues is None:
            self._warn_once("no_crop", "LiveLifter: no body keypoint above the likelihood "
                            "cutoff in frame %d, so no crop for the depth network; such "
                            "frames are lifted without depth cues (keypoints only). Said "
                            "once.", self._frame)
        return cues

    # ------------------------------------------------------------------ step
    def step(self, pose_2d: np.ndarray, image: np.ndarray | None = None) -> LiveResult:
        """Lift one frame.

        Parameters
        ----------
        pose_2d
            ``(K, 2)`` pixels or ``(K, 3)`` with the likelihood (DLC-Live's pose), NaN
            where missing.
        image
            The camera frame, ``(H, W, 3)`` (see ``image_color``) or ``(H, W)``. Used with
            ``depth=True`` (depth cues); ignored otherwise.

        Returns
        -------
        LiveResult
            Its ``features`` are empty (see
            :class:`~dlc_lifter.analysis.live_features.LiveFeatures`).
        """
        t0 = time.perf_counter()
        uv, conf = self._split(pose_2d)
        if self.reach is not None:
            conf = self._without_mistracks(uv, conf)
        depth_used = False
        cat = None
        cues = None
        if self._fused is not None and (self._depth_off_from is None or self._judging):
            cat = uv_cat, c_cat = self._catalogue(uv, conf)
            cues = self._cues(uv_cat, c_cat, image)
            if self._judging:
                self._judge_depth(cues)
        fused = self._fused is not None and self._depth_off_from is None
        # until the final judgement both streams run, so that either takes over warm
        if fused or (self._fused is not None and self._judging):
            c_net = c_cat.copy()
            c_net[[c for _, _, c in self._withheld]] = 0.0
            pts = self._fused.step_catalogue(uv_cat, c_net, cues)
            imputed_cat = self._fused.imputed
            tails_cat = self._fused.tails_withheld
            depth_used = fused and cues is not None
        if not fused or self._judging:
            if self._fused is None and image is not None and not self._warned_image:
                logger.info("LiveLifter: depth=False, so the image is not used (lifting from "
                            "keypoints only); pass depth=True to read depth cues from it.")
                self._warned_image = True
            pts_kp = self._step_keypoints(uv, conf)
            if not fused:
                pts = pts_kp
                imputed_cat = self._stream.imputed
                tails_cat = self._stream.tails_withheld
        pose_3d = pts[self._out_idx]
        imputed = imputed_cat[self._out_idx].copy()
        for row, k, _ in self._withheld:  # on its own ray at the height the networks gave it
            on_own_ray(pose_3d[k], imputed[k:k + 1], uv[row],
                       1.0 if conf is None else conf[row], self.lifter.pcutoff, self.camera)
        for row, k, c, back in self._on_back:
            if c in self.on_the_back:
                onto_the_back(pose_3d[k], imputed[k], uv[row],
                              1.0 if conf is None else conf[row], self.lifter.pcutoff,
                              self.camera, pts[back])
        if self.walls is not None:
            raise_into_arena(pose_3d, ~imputed, self.camera.centre, self.walls,
                             together=self._head_rows)
        res = LiveResult(pose_3d=pose_3d, frame=self._frame, imputed=imputed,
                         latency_s=time.perf_counter() - t0, depth_used=depth_used,
                         tails_withheld=tails_cat[self._out_idx].copy())
        # the session's measures take the first size_frames frames with the animal in them
        # (an empty arena before it is put in measured nothing, and nothing was said)
        seen = self._with_animal < self.size_frames and animal_in_frame(
            uv, conf, self._user_rows, self.lifter.pcutoff)
        if seen:  # after the lift: not part of its latency
            self._with_animal += 1
            if self._use_walls:
                rows = list(self._corner_rows.values())
                ok = conf is None or np.all(np.nan_to_num(conf[rows]) >= self.lifter.pcutoff)
                self._corners_seen.append(uv[rows] if ok else np.full((len(rows), 2), np.nan))
            self._lifted_seen.append((pose_3d.copy(), imputed.copy()))
            self._measure_size(cat if cat is not None else self._catalogue(uv, conf))
        self._frame += 1
        return res

    def _step_keypoints(self, uv: np.ndarray, conf: np.ndarray | None) -> np.ndarray:
        """One step of the keypoints' causal stream, the centre labels withheld."""
        conf_net = conf
        if self._withheld:
            conf_net = np.ones(len(uv)) if conf is None else conf.copy()
            conf_net[[row for row, _, _ in self._withheld]] = 0.0
        return self._stream.step(uv, conf_net)

    def _without_mistracks(self, uv: np.ndarray, conf: np.ndarray | None
                           ) -> np.ndarray | None:
        """The likelihoods with this frame's mistracks (:class:`BodyReach`) at 0."""
        assert self.reach is not None
        uv_cat, c_cat = self._catalogue(uv, conf)
        mis = self.reach.judge(uv_cat[None], c_cat[None] >= self.lifter.pcutoff)[0]
        if not mis.any():
            return conf
        out = (np.where(np.isfinite(uv).all(-1), 1.0, 0.0) if conf is None
               else np.array(conf, dtype=np.float64))
        out[self._user_rows[mis[self._cat_idx]]] = 0.0
        if not self.mistracked:
            logger.warning("LiveLifter: frame %d has a detection farther from the rest of the "
                           "animal than its body reaches; such detections are lifted as "
                           "untracked (LiveLifter.mistracked counts them). Said once.",
                           self._frame)
        self.mistracked += int(mis.sum())
        return out

    def _measure_size(self, cat: tuple[np.ndarray, np.ndarray]) -> None:
        """Keep this frame's catalogue keypoints and likelihoods; at the last of
        ``size_frames``, measure the animal."""
        self._size_seen.append(cat)
        if len(self._size_seen) < self.size_frames:
            return
        uv_cat = np.stack([u for u, _ in self._size_seen])[:, None]
        tracked = np.stack([c for _, c in self._size_seen])[:, None] >= self.lifter.pcutoff
        self._size_seen = []
        self.reach = BodyReach.measure(uv_cat[:, 0, :, :], tracked[:, 0])
        if self._on_back:
            self.on_the_back = labels_off_their_landmark(uv_cat[:, 0], tracked[:, 0])
        if self._use_walls:
            self._measure_walls(uv_cat[:, 0], tracked[:, 0])
        model = self.lifter.model
        sizes = animal_sizes(self.camera, uv_cat, tracked, ["the animal"],
                             model.pair_length_mm, model.median_height_mm)
        warn_animal_size(sizes, f"LiveLifter (first {self.size_frames} frames with the animal)",
                         "given to LiveLifter")
        self.animal_size = sizes[0] if sizes else None
        lifted = np.stack([p for p, _ in self._lifted_seen])[:, None]
        imputed = np.stack([m for _, m in self._lifted_seen])[:, None]
        self._lifted_seen = []
        raised = raised_noses(lifted, imputed, self.catalogue_names, ["the animal"],
                              f"LiveLifter (first {self.size_frames} frames with the animal)",
                              "LiveLifter's camera", pose_file=False)
        self.raised = raised.get("the animal")

    def _measure_walls(self, uv_cat: np.ndarray, tracked: np.ndarray) -> None:
        """The arena's walls from the corners' medians over the frames seen, as a lift of a
        file measures them (:func:`~dlc_lifter.lift.walls.arena_walls`)."""
        from dlc_lifter.nets.lifter import floor_points

        corners = np.stack(self._corners_seen)
        self._corners_seen = []
        arena_px = {lm: [float(v) for v in np.nanmedian(corners[:, i], axis=0)]
                    for i, lm in enumerate(self._corner_rows)
                    if np.isfinite(corners[:, i]).all(-1).any()}
        floor = floor_points(np.where(tracked[..., None], uv_cat, np.nan), self.camera)
        self.walls, reason = arena_walls(arena_px, self.camera, floor=floor, observed=tracked)
        if self.walls is None:
            logger.info("LiveLifter: the arena's walls do not bound the heights: %s.", reason)
        else:
            logger.info("LiveLifter: the arena's walls (its tracked corners over the first %d "
                        "frames) bound the heights from now on.", self.size_frames)

    def likelihood(self, pose_2d: np.ndarray) -> np.ndarray:
        """``(K_out,)`` likelihood of the output keypoints: the 2D one, 0 for imputed ones
        (landmarks the file does not track, and keypoints below the likelihood cutoff)."""
        _, conf = self._split(pose_2d)
        out = np.zeros(len(self.keypoints_out))
        n = len(self._user_rows)
        c = np.ones(n) if conf is None else np.nan_to_num(conf[self._user_rows], nan=0.0)
        out[:n] = np.where(c >= self.lifter.pcutoff, c, 0.0)
        return out
