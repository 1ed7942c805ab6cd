"""Lift 2D poses to metric 3D: the :class:`Lifter` API, camera resolution, :func:`lift_poses`.

Camera resolution (:func:`resolve_camera`), in order of preference:

1. ``calibration`` (anipose TOML, ``camera`` picks one of several): the world frame of
   the calibration (z up, floor at z = 0, mm); tilted cameras are handled exactly.
2. ``camera_height_mm`` with ``focal_px``: a straight-down camera; output in the
   *camera-floor* frame (origin on the floor below the camera, x along u, y along -v).
3. ``arena_size_mm``: the arena's side in pixels is the mean side of the quadrilateral
   of its tracked corners (``arena_px``; a square arena that is wider than tall in the
   image means non-square pixels, and the camera gets that aspect ratio), else it is
   measured from the spread of the tracked keypoints over the session (0.5-99.5
   percentile of ``u`` and of ``v``, the larger of the two; mice in open-field sessions
   reach the walls), giving mm per pixel on the floor. With ``camera_height_mm`` that
   gives the focal length; with ``focal_px`` the height; with neither, the focal length
   of a typical lens is assumed (:data:`DEFAULT_HFOV_DEG` horizontal field of view,
   warned).
4. Nothing: the scale is estimated from the animal (the median 2D length between tracked
   keypoints, e.g. nose to tail base, against the synthetic population's median 3D
   length); the focal length, when not given, from :data:`DEFAULT_HFOV_DEG`. A warning is
   logged and the estimate goes into the output metadata.

Without a calibration, the pixels' aspect ratio (``fy / fx``) comes from a square arena's
tracked corners, else from the animal's median length heading up versus across the image
(:func:`pixel_aspect_from_animal`; applied when clearly not square).

Without a calibration, absolute heights scale with the assumed camera height, so give
the measured camera height (or a calibration) when heights matter.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from dlc_lifter.camera import Camera, load_anipose
from dlc_lifter.errors import DLCLifterError, KeypointMappingError
from dlc_lifter.mouse.catalogue import CATALOGUE, catalogue_index, load_mapping
from dlc_lifter.mouse.keypoint_map import KeypointMap, map_keypoints, plan_keypoint_map
from dlc_lifter.poses import PoseMetadata, Poses

__all__ = [
    "DEFAULT_HFOV_DEG",
    "DEFAULT_MODEL_PATH",
    "CameraChoice",
    "KeypointMappingError",
    "LiftResult",
    "LiftStream",
    "Lifter",
    "catalogue_arrays",
    "default_model_path",
    "frame_runs",
    "arena_pixels",
    "lift_poses",
    "plan_lift_keypoints",
    "resolve_camera",
    "resolve_image_size",
    "resolve_keypoint_map",
]

logger = logging.getLogger(__name__)

#: Horizontal field of view assumed when no focal length is known (a typical lab lens).
DEFAULT_HFOV_DEG = 60.0
#: The shipped weights, relative to the package.
DEFAULT_MODEL_PATH = "data/weights/lifter.pt"


def default_model_path() -> Path:
    """The shipped pretrained weights (``dlc_lifter/data/weights/lifter.pt``)."""
    return Path(str(resources.files("dlc_lifter") / DEFAULT_MODEL_PATH))


# --------------------------------------------------------------------------- results
@dataclass
class LiftResult:
    """3D of one animal, every catalogue keypoint.

    Attributes
    ----------
    points
        ``(T, K, 3)`` mm in the camera's world frame, catalogue order.
    imputed
        ``(T, K)`` bool: keypoint not tracked (or below ``pcutoff``), position predicted
        from the body instead of its ray.
    heights
        ``(T, K)`` predicted heights (mm).
    keypoints
        Catalogue names.
    """

    points: np.ndarray
    imputed: np.ndarray
    heights: np.ndarray
    keypoints: tuple[str, ...] = CATALOGUE


class Lifter:
    """A trained lifting model, ready to lift keypoints of any set.

    Use :meth:`load` for the shipped model. :meth:`lift` lifts whole sequences in batch
    (the ``temporal`` network, symmetric window); :meth:`stream` returns a
    :class:`LiftStream` for live use (the ``causal`` network, past frames only).

    Parameters
    ----------
    model
        A :class:`~dlc_lifter.nets.lifter.LiftingModel`.
    mode
        Default network: ``temporal``, ``causal`` or ``frame`` (isolated frames).
    pcutoff
        Keypoints below this likelihood are treated as untracked and imputed.
    """

    _cache: dict[str, Lifter] = {}

    def __init__(self, model: Any, *, mode: str = "temporal", pcutoff: float = 0.6) -> None:
        self.model = model
        self.mode = mode
        self.pcutoff = float(pcutoff)

    @classmethod
    def load(cls, path: str | Path | None = None, *, mode: str = "temporal",
             pcutoff: float = 0.6) -> Lifter:
        """Load weights (``None``: the shipped pretrained model); cached per file.

        Raises
        ------
        ModelLoadError
            When the file is missing or not a dlc-lifter model.
        """
        from dlc_lifter.nets.lifter import LiftingModel

        p = Path(path) if path is not None else default_model_path()
        key = str(p.resolve())
        if key not in cls._cache or cls._cache[key]._mtime != _mtime(p):
            if path is None and not p.is_file():
                from dlc_lifter.nets.lifter import ModelLoadError

                raise ModelLoadError(f"The shipped weights {p} are missing; reinstall "
                                     "dlc-lifter or train a model with 'dlc-lifter train'.")
            model = LiftingModel.load(p)
            lifter = cls(model)
            lifter._mtime = _mtime(p)
            cls._cache[key] = lifter
        base = cls._cache[key]
        out = cls(base.model, mode=mode, pcutoff=pcutoff)
        out._mtime = base._mtime
        return out

    _mtime: float = 0.0

    # ------------------------------------------------------------------ info
    @property
    def name(self) -> str:
        """The model's file name (or ``in-memory``)."""
        path = self.model.info.get("path")
        return Path(path).name if path else "in-memory"

    @property
    def sha256(self) -> str | None:
        """Short hash of the weights file, when loaded from one."""
        return self.model.info.get("sha256")

    def describe(self) -> dict[str, Any]:
        """Model name, hash, mode and cutoff, for output metadata."""
        return {"name": self.name, "sha256": self.sha256, "mode": self.mode,
                "pcutoff": self.pcutoff, "path": self.model.info.get("path"),
                "train_command": self.model.info.get("command")}

    # ------------------------------------------------------------------ mapping
    @staticmethod
    def catalogue_indices(keypoints: Sequence[str],
                          mapping: KeypointMap | Mapping[str, str | None] | None = None,
                          ) -> list[int | None]:
        """Catalogue index of each user keypoint (``None`` for keypoints not lifted).

        ``mapping`` is a user keypoint map, or a
        :class:`~dlc_lifter.mouse.keypoint_map.KeypointMap` already planned for
        ``keypoints`` (then names that map to nothing are not an error).

        Raises
        ------
        UnknownKeypointError
            For a keypoint that maps to nothing (and is not dropped by ``mapping``).
        """
        mapped = (mapping.mapped if isinstance(mapping, KeypointMap)
                  else map_keypoints(keypoints, mapping, strict=True))
        return [catalogue_index([mapped[k]])[0] if k in mapped else None for k in keypoints]

    def _to_catalogue(self, uv: np.ndarray, conf: np.ndarray | None, keypoints: Sequence[str],
                      mapping: Mapping[str, str | None] | None
                      ) -> tuple[np.ndarray, np.ndarray]:
        uv = np.asarray(uv, dtype=np.float64)
        squeeze = uv.ndim == 2
        if squeeze:
            uv = uv[None]
        if uv.ndim != 3 or uv.shape[-1] != 2 or uv.shape[1] != len(keypoints):
            raise ValueError(f"uv must be (T, {len(keypoints)}, 2) for {len(keypoints)} "
                             f"keypoint names; got {uv.shape}.")
        if conf is None:
            c = np.where(np.isfinite(uv).all(-1), 1.0, np.nan)
        else:
            c = np.asarray(conf, dtype=np.float64).reshape(uv.shape[:2])
        idx = self.catalogue_indices(keypoints, mapping)
        t = uv.shape[0]
        src = [j for j, i in enumerate(idx) if i is not None]
        dst = [i for i in idx if i is not None]
        uv_cat = np.full((t, len(CATALOGUE), 2), np.nan)
        c_cat = np.full((t, len(CATALOGUE)), np.nan)
        uv_cat[:, dst] = uv[:, src]
        c_cat[:, dst] = c[:, src]
        return uv_cat, c_cat

    # ------------------------------------------------------------------ batch
    def lift_detailed(
        self,
        uv: np.ndarray,
        conf: np.ndarray | None,
        keypoints: Sequence[str],
        camera: Camera,
        *,
        mode: str | None = None,
        mapping: Mapping[str, str | None] | None = None,
        extra: np.ndarray | None = None,
    ) -> LiftResult:
        """Lift a sequence of one animal; see :meth:`lift`. Returns a :class:`LiftResult`."""
        uv_cat, c_cat = self._to_catalogue(uv, conf, keypoints, mapping)
        ex = None
        if extra is not None:
            idx = self.catalogue_indices(keypoints, mapping)
            e = np.asarray(extra, dtype=np.float64)
            ex = np.zeros((uv_cat.shape[0], len(CATALOGUE), e.shape[-1]))
            for j, i in enumerate(idx):
                if i is not None:
                    ex[:, i] = e[:, j]
        pts, imputed, heights = self.model.predict(
            uv_cat, c_cat, camera, mode=mode or self.mode, pcutoff=self.pcutoff, extra=ex)
        return LiftResult(points=pts, imputed=imputed, heights=heights)

    def lift(
        self,
        uv: np.ndarray,
        conf: np.ndarray | None,
        keypoints: Sequence[str],
        camera: Camera,
        *,
        mode: str | None = None,
        mapping: Mapping[str, str | None] | None = None,
        extra: np.ndarray | None = None,
    ) -> np.ndarray:
        """Lift 2D keypoints of one animal to 3D, every catalogue keypoint.

        Parameters
        ----------
        uv
            ``(T, K_user, 2)`` pixels, NaN where missing.
        conf
            ``(T, K_user)`` likelihoods (``None``: 1 where present).
        keypoints
            The user's keypoint names (DLC bodyparts, SLEAP nodes...), mapped onto the
            catalogue (:func:`~dlc_lifter.mouse.catalogue.map_keypoints`).
        camera
            The camera; output is in its world frame.
        mode
            ``temporal`` (default), ``causal`` or ``frame``.
        mapping
            Optional user keypoint mapping (``name: catalogue_name`` or ``None`` to drop).
        extra
            Optional ``(T, K_user, C)`` extra per-keypoint channels, for models trained
            with them.

        Returns
        -------
        numpy.ndarray
            ``(T, len(CATALOGUE), 3)`` mm, catalogue order. Tracked keypoints lie exactly
            on their camera rays; untracked ones are imputed (see :meth:`lift_detailed`).
        """
        return self.lift_detailed(uv, conf, keypoints, camera, mode=mode, mapping=mapping,
                                  extra=extra).points

    def stream(self, camera: Camera, keypoints: Sequence[str], *,
               mapping: Mapping[str, str | None] | None = None,
               mode: str = "causal") -> LiftStream:
        """A live lifter: feed one frame at a time with :meth:`LiftStream.step`."""
        return LiftStream(self, camera, keypoints, mapping=mapping, mode=mode)


class LiftStream:
    """Frame-by-frame lifting with the causal network (for live processors).

    Keeps the features of the last ``receptive_field`` frames; the first frame is
    replicated into the past. Each :meth:`step` returns the 3D of every catalogue
    keypoint for the newest frame.
    """

    def __init__(self, lifter: Lifter, camera: Camera, keypoints: Sequence[str], *,
                 mapping: Mapping[str, str | None] | None = None,
                 mode: str = "causal") -> None:
        import torch

        from dlc_lifter.nets.lifter import _camera_arrays

        self.lifter = lifter
        self.camera = camera
        self.keypoints = list(keypoints)
        idx = lifter.catalogue_indices(self.keypoints, mapping)
        self._src = np.array([j for j, i in enumerate(idx) if i is not None], dtype=np.int64)
        self._dst = np.array([i for i in idx if i is not None], dtype=np.int64)
        self._all = np.arange(len(CATALOGUE), dtype=np.int64)
        self.net = lifter.model.net(mode)
        if not self.net.causal and self.net.receptive_field > 1:
            raise ValueError("stream() needs a causal or per-frame network "
                             f"(mode '{mode}' is symmetric).")
        self._rf = self.net.receptive_field
        self._buf: torch.Tensor | None = None
        self._heading: float | None = None
        self._torch = torch
        # the last output of the window needs only a few frames per layer, and the batch
        # norms fold into the convolutions: both fixed while streaming
        self._plan = self.net.last_plan()
        self._folded = None if self.net.training else self.net._folded()
        self._cam = _camera_arrays(camera)
        self._distorted = bool(np.any(self._cam[3] != 0))
        self.imputed = np.zeros(len(CATALOGUE), bool)
        """Imputed flags of the last step."""

    def reset(self) -> None:
        """Forget the past (start of a new recording)."""
        self._buf = None
        self._heading = None

    def step(self, uv: np.ndarray, conf: np.ndarray | None = None,
             extra: np.ndarray | None = None) -> np.ndarray:
        """Lift one frame.

        Parameters
        ----------
        uv
            ``(K_user, 2)`` pixels (NaN where missing).
        conf
            ``(K_user,)`` likelihoods (``None``: 1 where present).
        extra
            Optional ``(K_user, C)`` extra per-keypoint channels (the depth cues of
            :func:`~dlc_lifter.nets.fusion.sample_cues`) for a model trained with them
            (``n_extra > 0``); ``None``: none this frame (zeros, cues unavailable).

        Returns
        -------
        numpy.ndarray
            ``(len(CATALOGUE), 3)`` mm; NaN when nothing is tracked.
        """
        k = len(CATALOGUE)
        uv = np.asarray(uv, dtype=np.float64).reshape(-1, 2)
        c = (np.where(np.isfinite(uv).all(-1), 1.0, 0.0) if conf is None
             else np.nan_to_num(np.asarray(conf, dtype=np.float64).ravel(), nan=0.0))
        uv_cat = np.full((k, 2), np.nan)
        cc = np.zeros(k)
        uv_cat[self._dst] = uv[self._src]
        cc[self._dst] = c[self._src]
        ex = None
        if extra is not None:
            e = np.asarray(extra, dtype=np.float64).reshape(len(uv), -1)
            ex = np.zeros((k, e.shape[1]))
            ex[self._dst] = e[self._src]
        return self._step(uv_cat, cc, ex, self._dst)

    def step_catalogue(self, uv_cat: np.ndarray, c_cat: np.ndarray,
                       extra: np.ndarray | None = None) -> np.ndarray:
        """:meth:`step` for keypoints already in catalogue order.

        Parameters
        ----------
        uv_cat
            ``(len(CATALOGUE), 2)`` pixels (NaN where not tracked).
        c_cat
            ``(len(CATALOGUE),)`` likelihoods (0 where not tracked).
        extra
            Optional ``(len(CATALOGUE), C)`` extra channels, as in :meth:`step`.

        Returns
        -------
        numpy.ndarray
            ``(len(CATALOGUE), 3)`` mm.
        """
        uv_cat = np.asarray(uv_cat, dtype=np.float64).reshape(len(CATALOGUE), 2)
        c_cat = np.nan_to_num(np.asarray(c_cat, dtype=np.float64).ravel(), nan=0.0)
        ex = None if extra is None else np.asarray(extra, dtype=np.float64).reshape(
            len(CATALOGUE), -1)
        return self._step(uv_cat, c_cat, ex, self._all)

    def _step(self, uv_cat: np.ndarray, cc: np.ndarray, extra: np.ndarray | None,
              cols: np.ndarray) -> np.ndarray:
        from dlc_lifter.nets.lifter import _nb_floor_obs, frame_features

        model = self.lifter.model
        k = len(CATALOGUE)
        floor = np.full((1, k, 2), np.nan)
        obs = np.zeros((1, k), bool)
        intr, r, centre, dist = self._cam
        _nb_floor_obs(uv_cat[None], cc[None], cols, self.lifter.pcutoff, intr, r, centre,
                      dist, self._distorted, floor, obs)
        feats, geo = frame_features(floor, cc[None], obs, centre,
                                    extra=None if extra is None else extra[None],
                                    n_extra=model.n_extra, start_heading=self._heading)
        if geo.valid[0]:
            self._heading = float(math.atan2(geo.rot[0, 0, 1], geo.rot[0, 0, 0]))
        x = self._torch.from_numpy(feats)  # (1, C)
        if self._buf is None:
            self._buf = x.expand(self._rf, -1).clone()
        else:
            self._buf = self._torch.cat([self._buf[1:], x], 0)
        if self._folded is None:  # a network in training mode: the plain forward pass
            with self._torch.inference_mode():
                out = self.net(self._buf.T.unsqueeze(0))[0, :, -1].numpy()[None]
        else:
            out = self.net.infer_last(self._buf, self._folded, self._plan).numpy()[None]
        pts, _ = model.decode(out, geo)
        self.imputed = ~geo.observed[0] & geo.valid[0]
        return pts[0]


def _mtime(p: Path) -> float:
    try:
        return p.stat().st_mtime
    except OSError:
        return 0.0


# --------------------------------------------------------------------------- camera
@dataclass
class CameraChoice:
    """The camera a lift used and where it came from.

    Attributes
    ----------
    camera
        The camera.
    frame
        Output frame: ``world`` (calibration) or ``camera-floor``.
    source
        ``calibration``, ``height+focal``, ``arena-size``, ``body-length-estimate``...
    details
        Numbers behind an estimate (for the output metadata).
    """

    camera: Camera
    frame: str
    source: str
    details: dict[str, Any] = field(default_factory=dict)


def _arena_span_px(uv: np.ndarray, ok: np.ndarray) -> float:
    pts = uv[ok]
    if len(pts) < 10:
        return math.nan
    lo = np.percentile(pts, 0.5, axis=0)
    hi = np.percentile(pts, 99.5, axis=0)
    return float(np.max(hi - lo))


def _corner_sides_px(arena_px: Mapping[str, Sequence[float]] | None) -> tuple[float, float]:
    """Mean horizontal and vertical sides of the tracked arena corners' quadrilateral (px).

    NaN for a direction with no side whose two corners are both tracked.
    """
    corners = arena_px or {}

    def mean_side(pairs: tuple[tuple[str, str], ...]) -> float:
        sides = [math.dist(corners[a], corners[b]) for a, b in pairs
                 if a in corners and b in corners]
        return float(np.mean(sides)) if sides else math.nan

    return (mean_side((("top_left", "top_right"), ("bottom_left", "bottom_right"))),
            mean_side((("top_left", "bottom_left"), ("top_right", "bottom_right"))))



#: Pixel aspect ratios this close to 1 are taken as square pixels (from arena corners)...
SQUARE_PIXEL_TOLERANCE = 0.03
#: ... and from the animal, whose length per heading is a noisier measure.
ANIMAL_ASPECT_TOLERANCE = 0.1
#: Frames the animal must spend heading along each image axis to measure the aspect.
ANIMAL_ASPECT_FRAMES = 300


def pixel_aspect_from_animal(uv_cat: np.ndarray, ok: np.ndarray, pair_mm: np.ndarray,
                             median_h: np.ndarray) -> tuple[float, dict[str, Any]] | None:
    """``fy / fx`` of the video's pixels from the animal's 2D length per heading.

    An animal is as long heading across the image as heading up it; if its median 2D
    length (nose to tail base, or the longest well-tracked pair) within 25 degrees of the
    ``v`` axis differs from that within 25 degrees of the ``u`` axis, the pixels are not
    square. Pitching and curling are the same in both directions over a session, so
    they do not bias the ratio, only blur it towards 1.

    Parameters
    ----------
    uv_cat, ok
        ``(N, K, 2)`` pixels and ``(N, K)`` well-tracked flags, catalogue order.
    pair_mm, median_h
        The lifter's population pair lengths and median heights (to choose the pair).

    Returns
    -------
    (aspect, details) or None
        ``None`` when too few frames head along either axis.
    """
    try:
        _, _, pair = _body_scale(uv_cat, ok, pair_mm, median_h)
    except DLCLifterError:
        return None
    i, j = (CATALOGUE.index(n) for n in pair.split("-"))
    both = ok[:, i] & ok[:, j]
    d = uv_cat[both, i] - uv_cat[both, j]
    length = np.linalg.norm(d, axis=-1)
    angle = np.degrees(np.arctan2(np.abs(d[:, 1]), np.abs(d[:, 0])))
    across, up = length[angle < 25], length[angle > 65]
    if min(len(across), len(up)) < ANIMAL_ASPECT_FRAMES:
        return None
    aspect = float(np.median(up) / np.median(across))
    return aspect, {"pair": pair, "frames_across": len(across), "frames_up": len(up),
                    "aspect": aspect}


def _body_scale(uv_cat: np.ndarray, ok: np.ndarray, pair_mm: np.ndarray,
                median_h: np.ndarray) -> tuple[float, float, str]:
    """``(population length mm, median 2D length px, pair)`` for the body-length prior."""
    nose, tail = CATALOGUE.index("nose"), CATALOGUE.index("tail_base")
    present = np.flatnonzero(ok.any(0))
    pairs = [(nose, tail)] if ok[:, nose].any() and ok[:, tail].any() else []
    if not pairs or (ok[:, nose] & ok[:, tail]).sum() < 10:
        cand = [(i, j) for a, i in enumerate(present) for j in present[a + 1:]
                if np.isfinite(pair_mm[i, j]) and pair_mm[i, j] > 25
                and (ok[:, i] & ok[:, j]).sum() >= 10
                and not (CATALOGUE[i].startswith("tail") and CATALOGUE[i] != "tail_base")
                and not (CATALOGUE[j].startswith("tail") and CATALOGUE[j] != "tail_base")]
        if not cand:
            raise DLCLifterError(
                "Cannot estimate the camera from the animal: no two tracked keypoints far "
                "enough apart (e.g. nose and tail base) in at least 10 frames. Give "
                "camera_height_mm with focal_px, or arena_size_mm, or a calibration.")
        pairs = [max(cand, key=lambda p: pair_mm[p])]
    i, j = pairs[0]
    both = ok[:, i] & ok[:, j]
    px = float(np.median(np.linalg.norm(uv_cat[both, i] - uv_cat[both, j], axis=-1)))
    return float(pair_mm[i, j]), px, f"{CATALOGUE[i]}-{CATALOGUE[j]}"


def resolve_camera(
    uv_cat: np.ndarray,
    conf_cat: np.ndarray,
    image_size: tuple[int, int],
    *,
    calibration: str | Path | None = None,
    camera: str | None = None,
    camera_height_mm: float | None = None,
    focal_px: float | None = None,
    arena_size_mm: float | None = None,
    lifter: Lifter | None = None,
    pcutoff: float = 0.6,
    arena_px: Mapping[str, Sequence[float]] | None = None,
) -> CameraChoice:
    """Choose the camera of a recording (see the module docstring for the order).

    Parameters
    ----------
    uv_cat, conf_cat
        ``(N, K, 2)`` and ``(N, K)`` tracked pixels and likelihoods in catalogue order
        (all frames of all individuals; used for the arena and body-length estimates).
    image_size
        ``(width, height)`` of the video.
    calibration, camera
        Anipose calibration TOML and the camera's name in it.
    camera_height_mm, focal_px, arena_size_mm
        Known camera height, focal length, arena side.
    lifter
        The lifter whose population statistics give the body-length prior.
    pcutoff
        Likelihood cutoff for the estimates.
    arena_px
        Tracked arena landmarks (``{"top_left": [u, v], ...}``, pixels): with
        ``arena_size_mm``, the corners' quadrilateral (mean side) gives the arena's size
        in the image instead of the spread of the keypoints.

    Returns
    -------
    CameraChoice
    """
    if calibration is not None:
        cam = load_anipose(calibration, camera)
        if tuple(image_size) != (0, 0) and tuple(cam.image_size) != tuple(image_size):
            logger.warning("Calibration %s is for %dx%d images, the video is %dx%d.",
                           calibration, *cam.image_size, *image_size)
        return CameraChoice(cam, "world", "calibration", {"file": str(calibration),
                                                          "camera": cam.name})
    for name, v in (("camera_height_mm", camera_height_mm), ("focal_px", focal_px),
                    ("arena_size_mm", arena_size_mm)):
        if v is not None and not (np.isfinite(v) and v > 0):
            raise DLCLifterError(f"{name} must be a positive number; got {v}.")
    w, h = image_size
    ok = np.isfinite(uv_cat).all(-1) & (np.nan_to_num(conf_cat) >= pcutoff)
    sides = _corner_sides_px(arena_px)
    aspect, details = _pixel_aspect(uv_cat, ok, sides, arena_size_mm, lifter)
    uv_sq = uv_cat * np.array([1.0, 1.0 / aspect])  # lengths in u-pixel units
    hfov_f = (w - 1) / 2 / math.tan(math.radians(DEFAULT_HFOV_DEG) / 2)
    if camera_height_mm is not None and focal_px is not None:
        height, focal, source = float(camera_height_mm), float(focal_px), "height+focal"
    elif arena_size_mm is not None:
        height, focal = _arena_camera(uv_sq, ok, sides, float(arena_size_mm), aspect,
                                      (w, h), camera_height_mm, focal_px, hfov_f, details)
        source = "arena-size"
    else:
        if lifter is None:
            raise DLCLifterError("No camera information and no model to estimate it from.")
        height, focal = _body_camera(uv_sq, ok, lifter, camera_height_mm, focal_px, hfov_f,
                                     details)
        source = "body-length-estimate"
        if np.isfinite(sides).all():
            logger.warning("The file tracks the arena's corners (%.0f x %.0f px): give the "
                           "arena's size (arena_size_mm) to use them as the scale.", *sides)
    details.update(height_mm=height, focal_px=focal)
    cam = Camera.top_view(height, focal, (w, h), name="estimated" if source != "height+focal"
                          else "top_view", pixel_aspect=aspect)
    return CameraChoice(cam, "camera-floor", source, details)


def _pixel_aspect(uv_cat: np.ndarray, ok: np.ndarray, sides: tuple[float, float],
                  arena_size_mm: float | None, lifter: Lifter | None
                  ) -> tuple[float, dict[str, Any]]:
    """``fy / fx`` of the video's pixels: from a square arena's corners, else the animal."""
    side_u, side_v = sides
    if arena_size_mm is not None and np.isfinite([side_u, side_v]).all():
        aspect = side_v / side_u  # the square arena is side_u x side_v px
        if abs(aspect - 1.0) <= SQUARE_PIXEL_TOLERANCE:
            return 1.0, {}
        logger.warning("The arena's corners span %.0f x %.0f px, so this video's pixels are "
                       "not square (fy/fx %.2f); lifting with that aspect ratio.",
                       side_u, side_v, aspect)
        return aspect, {"pixel_aspect": aspect, "pixel_aspect_from": "arena corners"}
    found = None if lifter is None else pixel_aspect_from_animal(
        uv_cat, ok, lifter.model.pair_length_mm, lifter.model.median_height_mm)
    if found is None or abs(found[0] - 1.0) <= ANIMAL_ASPECT_TOLERANCE:
        return 1.0, {}
    aspect, info = found
    logger.warning("The animal looks %.0f%% %s heading up the image than across it (median "
                   "%s length over %d and %d frames): this video's pixels are not square; "
                   "lifting with fy/fx %.2f. Tracked arena corners with arena_size_mm measure "
                   "it better.", 100 * abs(aspect - 1), "shorter" if aspect < 1 else "longer",
                   info["pair"], info["frames_up"], info["frames_across"], aspect)
    return aspect, {"pixel_aspect": aspect, "pixel_aspect_from": info}


def _arena_camera(uv_sq: np.ndarray, ok: np.ndarray, sides: tuple[float, float],
                  arena_size_mm: float, aspect: float, size: tuple[int, int],
                  camera_height_mm: float | None, focal_px: float | None, hfov_f: float,
                  details: dict[str, Any]) -> tuple[float, float]:
    """``(height, focal)`` from the arena's size in the image (corners, else the spread)."""
    side_u, side_v = sides
    if np.isfinite([side_u, side_v]).all():
        span, measured_from = float(np.mean([side_u, side_v / aspect])), "tracked arena corners"
    else:
        span, measured_from = _arena_span_px(uv_sq, ok), "spread of tracked keypoints"
    if not np.isfinite(span) or span <= 0:
        raise DLCLifterError("Too few tracked points to measure the arena in the image; "
                             "give camera_height_mm and focal_px.")
    mm_per_px = arena_size_mm / span
    details.update(arena_size_mm=arena_size_mm, arena_span_px=span, mm_per_px=mm_per_px,
                   arena_measured_from=measured_from)
    logger.info("Arena of %.0f mm measured as %.0f px from the %s (%.3f mm/px).",
                arena_size_mm, span, measured_from, mm_per_px)
    w, h = size
    if measured_from.startswith("spread") and span < 0.3 * min(w, h):
        logger.warning("The tracked keypoints span only %.0f px of the %dx%d image: the "
                       "animal may not have explored the arena, so the arena-size scale "
                       "may be wrong.", span, w, h)
    if camera_height_mm is not None:
        return float(camera_height_mm), float(camera_height_mm) / mm_per_px
    if focal_px is not None:
        return float(focal_px) * mm_per_px, float(focal_px)
    logger.warning("No camera height or focal length: assuming a %.0f deg horizontal field of "
                   "view (focal %.0f px), so the camera is %.0f mm above the floor. Heights "
                   "scale with this; give camera_height_mm.", DEFAULT_HFOV_DEG, hfov_f,
                   hfov_f * mm_per_px)
    return hfov_f * mm_per_px, hfov_f


def _body_camera(uv_sq: np.ndarray, ok: np.ndarray, lifter: Lifter,
                 camera_height_mm: float | None, focal_px: float | None, hfov_f: float,
                 details: dict[str, Any]) -> tuple[float, float]:
    """``(height, focal)`` from the animal's median 2D length against the population's."""
    model = lifter.model
    length_mm, length_px, pair = _body_scale(uv_sq, ok, model.pair_length_mm,
                                             model.median_height_mm)
    i, j = (CATALOGUE.index(n) for n in pair.split("-"))
    mean_h = float((model.median_height_mm[i] + model.median_height_mm[j]) / 2)
    details.update(body_pair=pair, population_length_mm=length_mm,
                   median_length_px=length_px, mean_height_mm=mean_h)
    # pinhole: length_px = focal * length_mm / (H - mean_h)
    if camera_height_mm is not None:
        height = float(camera_height_mm)
        focal = length_px * (height - mean_h) / length_mm
    else:
        focal = float(focal_px) if focal_px is not None else hfov_f
        height = focal * length_mm / length_px + mean_h
    logger.warning(
        "No calibration, camera height or arena size: estimated the camera from the "
        "animal's size (median %s length %.1f px vs %.1f mm in the synthetic population; "
        "%s): %.0f mm above the floor, focal %.0f px. Adult mice differ by about 15 %% in "
        "length, so the scale and the heights may be that far off; give camera_height_mm and "
        "focal_px, arena_size_mm or a calibration for metric accuracy.", pair, length_px,
        length_mm, "focal given" if focal_px is not None or camera_height_mm is not None
        else f"assumed {DEFAULT_HFOV_DEG:.0f} deg field of view", height, focal)
    return height, focal


# --------------------------------------------------------------------------- files
def resolve_image_size(poses: Poses, video_size: tuple[int, int] | None,
                       calibration: str | Path | None) -> tuple[int, int]:
    """``(width, height)`` of the images: the video's, the file's, else from the keypoints."""
    if video_size is not None:
        return (int(video_size[0]), int(video_size[1]))
    if poses.meta.image_size is not None:
        return tuple(int(v) for v in poses.meta.image_size)  # type: ignore[return-value]
    if calibration is not None:
        return (0, 0)  # the calibration knows
    xy = poses.coords.reshape(-1, 2)
    xy = xy[np.isfinite(xy).all(-1)]
    if not len(xy):
        raise DLCLifterError(f"{poses.meta.source}: no tracked points to lift.")
    size = (int(math.ceil(xy[:, 0].max())) + 1, int(math.ceil(xy[:, 1].max())) + 1)
    logger.warning("%s: image size unknown (no video, no metadata); assuming %dx%d from the "
                   "keypoints, with the principal point at its centre. Pass the video.",
                   poses.meta.source, *size)
    return size


def catalogue_arrays(
    poses: Poses, mapping: KeypointMap | Mapping[str, str | None] | None = None,
) -> tuple[np.ndarray, np.ndarray, dict[str, str]]:
    """2D poses laid out on the catalogue axis.

    Parameters
    ----------
    poses
        2D poses.
    mapping
        A :class:`~dlc_lifter.mouse.keypoint_map.KeypointMap` already planned for these
        poses, or a user keypoint map (names that map to nothing are left out).

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
    uv[:, :, cat_idx] = poses.coords[:, :, user_idx]
    conf[:, :, cat_idx] = poses.confidence[:, :, user_idx]
    return uv, conf, mapped


def plan_lift_keypoints(
    poses: Poses, keypoint_map: KeypointMap | str | Path | Mapping[str, str | None] | None,
    *, strict: bool = False,
) -> KeypointMap:
    """How the keypoints of ``poses`` are lifted; warnings logged, too few is an error.

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
    plan = plan_keypoint_map(poses.keypoints, resolve_keypoint_map(keypoint_map),
                             strict=strict, source=src)
    for line in plan.warnings:
        logger.warning(line)
    plan.require_liftable(src)
    return plan


def arena_pixels(poses: Poses, plan: KeypointMap, pcutoff: float = 0.0
                 ) -> dict[str, list[float]]:
    """Median pixel position of each tracked arena landmark (``{landmark: [u, v]}``)."""
    out: dict[str, list[float]] = {}
    kps = list(poses.keypoints)
    for name, landmark in plan.arena.items():
        k = kps.index(name)
        uv = poses.coords[:, :, k].reshape(-1, 2)
        c = poses.confidence[:, :, k].reshape(-1)
        ok = np.isfinite(uv).all(-1) & ~(np.nan_to_num(c, nan=1.0) < pcutoff)
        if ok.sum() >= 1:
            out[landmark] = [float(v) for v in np.median(uv[ok], axis=0)]
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


def frame_runs(frame_indices: Sequence[int] | np.ndarray, *, labelled: bool = False
               ) -> list[tuple[int, int]]:
    """Rows ``[a, b)`` of consecutive frame indices (each row alone when ``labelled``).

    Parameters
    ----------
    frame_indices
        ``(T,)`` frame numbers of the pose rows.
    labelled
        The rows are labelled images (DLC ``CollectedData``), never a video.

    Returns
    -------
    list of (int, int)
        Row ranges, in order, covering every row once.

    Examples
    --------
    >>> frame_runs([0, 1, 2, 7, 9, 10])
    [(0, 3), (3, 4), (4, 6)]
    """
    fi = np.asarray(frame_indices, dtype=np.int64)
    if labelled:
        return [(r, r + 1) for r in range(len(fi))]
    cuts = [0, *(np.flatnonzero(np.diff(fi) != 1) + 1).tolist(), len(fi)]
    return [(a, b) for a, b in zip(cuts[:-1], cuts[1:], strict=True) if b > a]


#: Median motion between consecutive rows (body sizes) above which rows are not a video...
MAX_CONTINUOUS_JUMP = 0.1
#: ... when also faster than this (body sizes per second; real sessions: about 1).
MAX_CONTINUOUS_SPEED = 4.0


def motion_between_rows(uv_cat: np.ndarray, conf_cat: np.ndarray, pcutoff: float) -> float:
    """Median motion of the tracked keypoints from one row to the next, in body lengths.

    Parameters
    ----------
    uv_cat, conf_cat
        ``(T, N, K, 2)`` pixels and ``(T, N, K)`` likelihoods, catalogue order.
    pcutoff
        Keypoints below this likelihood are not used.

    Returns
    -------
    float
        Median over rows (and individuals) of the median keypoint displacement, divided
        by the median 2D size of the body (the diagonal of its keypoints' bounding box);
        0 when it cannot be measured. A filmed animal moves a small fraction of its size
        from one frame to the next; frames sampled from a recording (labelled frames)
        jump by a large fraction of it.
    """
    ok = np.isfinite(uv_cat).all(-1) & (np.nan_to_num(conf_cat) >= pcutoff)
    uv = np.where(ok[..., None], uv_cat, np.nan)
    if uv.shape[0] < 3:
        return 0.0
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        step = np.nanmedian(np.linalg.norm(np.diff(uv, axis=0), axis=-1), axis=-1)
        lo, hi = np.nanmin(uv, axis=2), np.nanmax(uv, axis=2)
        spread = np.nanmedian(np.linalg.norm(hi - lo, axis=-1))
        jump = np.nanmedian(step)
    if not (np.isfinite(jump) and np.isfinite(spread) and spread > 0):
        return 0.0
    return float(jump / spread)


def _describe_runs(runs: list[tuple[int, int]], mode: str) -> dict[str, Any]:
    alone = sum(b - a == 1 for a, b in runs)
    n = sum(b - a for a, b in runs)
    if len(runs) == 1 and alone == 0:
        summary = f"{mode} network over {n} consecutive frames"
    elif alone == n:
        summary = f"frames not consecutive: each of the {n} frames lifted alone (frame network)"
    else:
        summary = (f"{len(runs)} runs of consecutive frames, each lifted alone ({mode} "
                   f"network); {alone} frames alone with the frame network")
    return {"requested": mode, "runs": len(runs), "frames_alone": alone, "summary": summary}


def lift_poses(
    poses: Poses,
    *,
    lifter: Lifter | None = None,
    camera_choice: CameraChoice | None = None,
    calibration: str | Path | None = None,
    camera: str | None = None,
    camera_height_mm: float | None = None,
    focal_px: float | None = None,
    arena_size_mm: float | None = None,
    keypoint_map: KeypointMap | str | Path | Mapping[str, str | None] | None = None,
    image_size: tuple[int, int] | None = None,
    impute_all: bool = True,
    mode: str | None = None,
    strict: bool = False,
    cues: np.ndarray | None = None,
) -> Poses:
    """Lift 2D :class:`~dlc_lifter.poses.Poses` (every individual) to 3D poses in mm.

    Frames that are not consecutive are not lifted as a video: each run of consecutive
    frame indices is lifted on its own, and frames alone (labelled data such as DLC's
    ``CollectedData``, or isolated frames) with the per-frame network
    (:func:`frame_runs`); ``meta.extra["lift_mode"]`` records what was used.

    Parameters
    ----------
    poses
        2D poses (pixels).
    lifter
        The lifter (default: the shipped model).
    camera_choice
        A camera already resolved; otherwise resolved from the camera arguments (see
        :func:`resolve_camera`).
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
    Returns
    -------
    Poses
        3D poses: the file's mapped keypoints (its names) then, with ``impute_all``, the
        other catalogue keypoints (catalogue names). ``meta.extra`` holds ``camera``,
        ``model``, ``camera_source``, ``camera_estimate``, ``imputed``, ``keypoint_map``
        (how each name was used) and ``arena_px`` (tracked arena landmarks, pixels).

    Raises
    ------
    KeypointMappingError
        When the keypoints that map onto the mouse catalogue do not span its body.
    UnknownKeypointError
        With ``strict``, when some keypoint maps to nothing.
    """
    if poses.is_3d:
        raise DLCLifterError(f"{poses.meta.source} already holds 3D poses.")
    src = poses.meta.source or "the poses"
    plan = plan_lift_keypoints(poses, keypoint_map, strict=strict)
    lifter = lifter or Lifter.load()
    uv_cat, c_cat, mapped = catalogue_arrays(poses, plan)
    user_kp = list(mapped)
    cat_idx = catalogue_index(list(mapped.values()))
    t, n_ind = poses.n_frames, poses.n_individuals
    arena_px = arena_pixels(poses, plan, lifter.pcutoff)
    if camera_choice is None:
        size = image_size or resolve_image_size(poses, None, calibration)
        camera_choice = resolve_camera(
            uv_cat.reshape(-1, len(CATALOGUE), 2), c_cat.reshape(-1, len(CATALOGUE)), size,
            calibration=calibration, camera=camera, camera_height_mm=camera_height_mm,
            focal_px=focal_px, arena_size_mm=arena_size_mm, lifter=lifter,
            pcutoff=lifter.pcutoff, arena_px=arena_px)
    cam = camera_choice.camera
    extra_idx = [i for i in range(len(CATALOGUE)) if i not in set(cat_idx)] if impute_all else []
    out_idx = list(cat_idx) + extra_idx
    names = user_kp + [CATALOGUE[i] for i in extra_idx]
    coords = np.full((t, n_ind, len(out_idx), 3), np.nan)
    conf = np.full((t, n_ind, len(out_idx)), np.nan)
    imputed = np.zeros((t, n_ind, len(out_idx)), bool)
    runs = frame_runs(poses.frame_indices, labelled="image_paths" in poses.meta.extra)
    jump = motion_between_rows(uv_cat, c_cat, lifter.pcutoff)
    speed = jump * poses.meta.fps if poses.meta.fps else math.inf
    if len(runs) < t and jump > MAX_CONTINUOUS_JUMP and speed > MAX_CONTINUOUS_SPEED:
        logger.warning("%s: between consecutive rows the animal moves %.2f of its size "
                       "(median%s): these rows are not a continuous video, so each frame is "
                       "lifted alone.", src, jump,
                       f", {speed:.0f} sizes/s at {poses.meta.fps:g} fps"
                       if math.isfinite(speed) else "")
        runs = [(r, r + 1) for r in range(t)]
    want = mode or lifter.mode
    lift_mode = {**_describe_runs(runs, want), "median_jump_body_lengths": round(jump, 3)}
    if lift_mode["frames_alone"]:
        logger.info("%s: %s", src, lift_mode["summary"])
    for i in range(n_ind):
        if not np.isfinite(uv_cat[:, i]).any():
            logger.info("%s: individual %s is never tracked; its 3D is all missing.", src,
                        poses.individuals[i])
            continue
        pts = np.full((t, len(CATALOGUE), 3), np.nan)
        imp = np.zeros((t, len(CATALOGUE)), bool)
        for a, b in runs:
            pts[a:b], imp[a:b], _ = lifter.model.predict(
                uv_cat[a:b, i], c_cat[a:b, i], cam, mode=want if b - a > 1 else "frame",
                pcutoff=lifter.pcutoff, extra=None if cues is None else cues[a:b, i])
        coords[:, i] = pts[:, out_idx]
        imputed[:, i] = imp[:, out_idx]
        c_user = c_cat[:, i][:, cat_idx]
        conf[:, i, : len(cat_idx)] = np.where(np.isfinite(c_user), c_user, 0.0)
        conf[:, i, len(cat_idx):] = 0.0
    conf = np.where(np.isfinite(coords).all(-1), conf, np.nan)
    imputed &= np.isfinite(coords).all(-1)
    m = poses.meta
    extra = {k: v for k, v in m.extra.items() if k != "image_paths"}
    extra.update({
        "camera": cam.as_dict(),
        "camera_source": camera_choice.source,
        "camera_estimate": camera_choice.details,
        "model": lifter.describe(),
        "imputed": imputed,
        "catalogue_names": [mapped.get(k, k) for k in names],
        "source_keypoints": list(poses.keypoints),
        "keypoint_map": plan.as_dict(),
        "arena_px": arena_px,
        "lift_mode": lift_mode,
    })
    meta = PoseMetadata(source=m.source, source_format=m.source_format, scorer=m.scorer,
                        fps=m.fps, image_size=cam.image_size, frame=camera_choice.frame,
                        units="mm", video=m.video, extra=extra)
    return Poses(coords=coords, confidence=conf, keypoints=names,
                 individuals=list(poses.individuals), frame_indices=poses.frame_indices,
                 meta=meta)
