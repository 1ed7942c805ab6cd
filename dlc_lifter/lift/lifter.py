"""The :class:`Lifter`: a trained lifting model, loaded once, that lifts one animal.

A weights file ``X.pt`` may have companions beside it: ``X_below.pt``, networks trained
on cameras under a glass floor looking up (``dlc-lifter train --view below``), and
``X_oblique.pt``, networks trained on cameras that see the arena 15-55 deg off the
vertical (``dlc-lifter train --view-deg 15,55``). The shipped ``lifter.pt`` has both;
:meth:`Lifter.for_camera` picks the first for a camera below the floor and the second
where the camera sees the animal obliquely (its median view angle over the file,
:func:`~dlc_lifter.lift.view_range.animal_view`): alone from
:data:`~dlc_lifter.lift.view_range.OBLIQUE_FROM_DEG` (25 deg), and from
:data:`~dlc_lifter.lift.view_range.OBLIQUE_BLEND_FROM_DEG` (15 deg) mixed with the top-view
networks by :meth:`Lifter.oblique_share` (a weighted ensemble: one network pass). Every
lift picks its networks there: file lifts from keypoints
(:func:`~dlc_lifter.lift.poses.lift_poses` and what calls it), per frame, streaming and
DLC-Live alike; a lifter that reads depth cues lifts alone, and the depth path lifts views
from 25 deg from keypoints. :meth:`Lifter.lift` and :meth:`Lifter.stream` are given no
view: call :meth:`Lifter.for_camera` with one first.
Without a companion the networks of ``X.pt`` lift it (from below with their parallax pointed
the right way, :mod:`dlc_lifter.nets.lifter`), and the log warns once per weights file and
kind of view, naming the companion file expected beside it
(:attr:`NetworkChoice.missing_companion`).

:meth:`Lifter.lift` lifts a whole sequence (the ``temporal`` network, symmetric window);
:meth:`Lifter.stream` gives a :class:`~dlc_lifter.lift.stream.LiftStream` that lifts one
frame at a time (the ``causal`` network). Both take the user's keypoint names and map them
onto the catalogue (:mod:`dlc_lifter.lift.keypoints`). Whole :class:`~dlc_lifter.poses.Poses`
(every individual, runs of frames, metadata) are lifted by
:func:`~dlc_lifter.lift.poses.lift_poses`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from dlc_lifter.camera import Camera
from dlc_lifter.io.weights import (
    BELOW_SUFFIX,
    COMPANION_SUFFIXES,
    OBLIQUE_SUFFIX,
    companion_path,
    sidecar_path,
)
from dlc_lifter.lift.keypoints import catalogue_indices
from dlc_lifter.lift.options import check_pcutoff
from dlc_lifter.mouse.catalogue import CATALOGUE
from dlc_lifter.mouse.keypoint_map import KeypointMap

logger = logging.getLogger(__name__)

if TYPE_CHECKING:  # pragma: no cover
    from dlc_lifter.lift.stream import LiftStream

__all__ = ["DEFAULT_MODEL_PATH", "LiftResult", "Lifter", "NetworkChoice", "below_model_path",
           "default_model_path", "oblique_model_path"]

#: The shipped weights, relative to the package.
DEFAULT_MODEL_PATH = "data/weights/lifter.pt"


def default_model_path() -> Path:
    """The shipped pretrained weights (``dlc_lifter/data/weights/lifter.pt``)."""
    return Path(str(resources.files("dlc_lifter") / DEFAULT_MODEL_PATH))


def below_model_path(path: str | Path) -> Path:
    """Where the companion of weights ``path`` for cameras below the floor would be
    (``lifter.pt`` -> ``lifter_below.pt``, beside it)."""
    return companion_path(path, BELOW_SUFFIX)


def oblique_model_path(path: str | Path) -> Path:
    """Where the companion of weights ``path`` for oblique views would be
    (``lifter.pt`` -> ``lifter_oblique.pt``, beside it)."""
    return companion_path(path, OBLIQUE_SUFFIX)


@dataclass(frozen=True)
class NetworkChoice:
    """The networks a lift through one camera uses (:meth:`Lifter.networks_for`).

    Attributes
    ----------
    lifter
        The lifter to lift with: the one asked, a companion, or a mix of the two.
    oblique_share
        Share of the networks for oblique views in ``lifter``'s points (0 to 1).
    oblique
        The companion for oblique views where it has a share, else ``None``.
    missing_companion
        The companion the view called for (a camera below the floor, a view from
        :data:`~dlc_lifter.lift.view_range.OBLIQUE_BLEND_FROM_DEG` off the vertical) that
        is not beside the weights, so that ``lifter`` is the top-view networks alone (the
        log warns once, :meth:`Lifter.missing_companion`); else ``None``.
    """

    lifter: Lifter
    oblique_share: float = 0.0
    oblique: Lifter | None = None
    missing_companion: Path | None = None


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
    tails_withheld
        ``(T, K)`` bool: tracked tail points lying curled off the body's axis, not given
        to the temporal or causal networks (still on their rays;
        :func:`~dlc_lifter.nets.lifter.tail_off_axis`).
    keypoints
        Catalogue names.
    """

    points: np.ndarray
    imputed: np.ndarray
    heights: np.ndarray
    tails_withheld: np.ndarray
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
    below, oblique
        The companion models for cameras below the floor and for views from 15 deg off
        the vertical: a ``LiftingModel``, or the path of its weights (loaded on first use);
        ``None``: none (:meth:`load` finds the shipped ones beside the weights).
    """

    _cache: dict[str, Lifter] = {}

    def __init__(self, model: Any, *, mode: str = "temporal", pcutoff: float = 0.6,
                 below: str | Path | Any | None = None,
                 oblique: str | Path | Any | None = None) -> None:
        self.model = model
        self.mode = mode
        self.pcutoff = check_pcutoff(pcutoff)
        self._below = below
        self._oblique = oblique

    @property
    def below_model(self) -> Any | None:
        """The model for cameras below the floor (loaded on first use), or ``None``."""
        if isinstance(self._below, (str, Path)):
            self._below = Lifter.load(self._below).model
        return self._below

    @property
    def oblique_model(self) -> Any | None:
        """The model for oblique views (loaded on first use), or ``None``."""
        if isinstance(self._oblique, (str, Path)):
            self._oblique = Lifter.load(self._oblique).model
        return self._oblique

    @property
    def has_oblique_companion(self) -> bool:
        """Whether this lifter has networks for oblique views (without loading them)."""
        return self._oblique is not None

    def oblique_share(self, camera: Camera, view_angle_deg: float | None) -> float:
        """Share of the networks for oblique views in this lifter's lift through ``camera``
        seeing the animal ``view_angle_deg`` off the vertical (median over the file,
        :func:`~dlc_lifter.lift.view_range.animal_view`): 0 under
        :data:`~dlc_lifter.lift.view_range.OBLIQUE_BLEND_FROM_DEG`, 1 from
        :data:`~dlc_lifter.lift.view_range.OBLIQUE_FROM_DEG`, linear between
        (:func:`~dlc_lifter.lift.view_range.oblique_share`). 0 without a companion for
        oblique views, for a camera below the floor, and for a lifter that reads depth
        cues (a fused lifter: with cues it lifts alone, and from
        :data:`~dlc_lifter.lift.view_range.OBLIQUE_FROM_DEG` the depth path lifts from
        keypoints instead, :mod:`dlc_lifter.lift.depth_path`)."""
        from dlc_lifter.lift.view_range import oblique_share

        if self._oblique is None or camera.below_floor or self.model.n_extra:
            return 0.0
        return oblique_share(view_angle_deg)

    def for_camera(self, camera: Camera, view_angle_deg: float | None = None) -> Lifter:
        """The lifter for ``camera`` (:meth:`networks_for`'s ``lifter``)."""
        return self.networks_for(camera, view_angle_deg).lifter

    def networks_for(self, camera: Camera, view_angle_deg: float | None = None
                     ) -> NetworkChoice:
        """The networks that lift through ``camera``: this lifter, or its companions'
        where there are any, with the share of the networks for oblique views in them.

        For a camera below the floor the one of :func:`below_model_path`; for a camera
        above that sees the animal ``view_angle_deg`` off the vertical (median over the
        file, :func:`~dlc_lifter.lift.view_range.animal_view`) the one of
        :func:`oblique_model_path` by :meth:`oblique_share`: alone from
        :data:`~dlc_lifter.lift.view_range.OBLIQUE_FROM_DEG`, and between
        :data:`~dlc_lifter.lift.view_range.OBLIQUE_BLEND_FROM_DEG` and it mixed with this
        lifter's networks (a weighted :meth:`~dlc_lifter.nets.lifter.LiftingModel.ensemble`
        of the two: one network pass, in every mode, offline and live); where the two
        files' networks differ in shape and cannot be mixed, the nearer ones alone (the log
        says so once). Where the view calls for a companion that is not beside the weights
        (weights of your own), this lifter alone, and the log warns once
        (:meth:`missing_companion`). Every lift of a file (batch, per frame, streaming,
        DLC-Live) picks its networks here.

        Raises
        ------
        ModelLoadError
            When the companion file exists but cannot be loaded.
        """
        missing = self.missing_companion(camera, view_angle_deg)
        if missing is not None:
            return NetworkChoice(self, missing_companion=missing)
        if camera.below_floor:
            if self._below is None:
                return NetworkChoice(self)
            return NetworkChoice(Lifter(self.below_model, mode=self.mode, pcutoff=self.pcutoff))
        share = self.oblique_share(camera, view_angle_deg)
        companion = self.oblique_companion() if share > 0.0 else None
        if companion is None:
            return NetworkChoice(self)
        if share < 1.0 and _unmixable(self, companion):
            return NetworkChoice(companion, 1.0, companion) if share >= 0.5 else NetworkChoice(self)
        if share >= 1.0:
            return NetworkChoice(companion, 1.0, companion)
        return NetworkChoice(Lifter(_mixed(self.model, companion.model, share), mode=self.mode,
                                    pcutoff=self.pcutoff), share, companion)

    def missing_companion(self, camera: Camera, view_angle_deg: float | None = None
                          ) -> Path | None:
        """The companion file that a lift through ``camera`` seeing the animal
        ``view_angle_deg`` off the vertical calls for and that is not beside these weights
        (:func:`below_model_path` for a camera below the floor, :func:`oblique_model_path`
        for a view from :data:`~dlc_lifter.lift.view_range.OBLIQUE_BLEND_FROM_DEG`), or
        ``None``. The first time per weights file and kind of view the log warns, naming
        the file, the view, the companion expected and where the shipped one is.

        Weights not from a file, weights trained for other views than top views
        (``--view below``, ``--view-deg``) or named as a companion (``X_below.pt``,
        ``X_oblique.pt``), and a fused lifter (which lifts unmixed by design) call for none.
        """
        from dlc_lifter.lift.view_range import oblique_share

        path = self.model.info.get("path")
        config = self.model.info.get("config") or {}
        top_view = config.get("view", "above") == "above" and config.get("view_deg") is None
        if (path is None or not top_view or self.model.n_extra
                or Path(path).stem.endswith(COMPANION_SUFFIXES)):
            return None
        if camera.below_floor:
            if self._below is not None:
                return None
            suffix, view = BELOW_SUFFIX, "a camera below the floor"
        else:
            if self._oblique is not None or oblique_share(view_angle_deg) <= 0.0:
                return None
            suffix, view = OBLIQUE_SUFFIX, f"a view {view_angle_deg:.0f} deg off the vertical"
        missing, shipped = companion_path(path, suffix), companion_path(default_model_path(),
                                                                         suffix)
        _warn_once(
            ("missing companion", str(path), suffix),
            "The weights %s have no companion %s beside them for %s, so their top-view "
            "networks lift it alone, worse than networks trained for such views. Copy the "
            "shipped companion %s to %s (and its sidecar %s to %s), or train one for your "
            "weights (the shipped one's command is in that sidecar); 'dlc-lifter train "
            "--extend BASE' copies BASE's companions beside --out.", path, missing.name,
            view, shipped, missing, sidecar_path(shipped).name,
            sidecar_path(missing).name)
        return missing

    def oblique_companion(self) -> Lifter | None:
        """The lifter of the companion weights for oblique views (this one's mode and
        cutoff), or ``None`` without them."""
        if self._oblique is None:
            return None
        return Lifter(self.oblique_model, mode=self.mode, pcutoff=self.pcutoff)

    def around(self, model: Any) -> Lifter:
        """Another main model (a fused lifter) with this lifter's mode, cutoff and
        companions: where :meth:`for_camera` picks a companion, the keypoints lift."""
        return Lifter(model, mode=self.mode, pcutoff=self.pcutoff, below=self._below,
                      oblique=self._oblique)

    def with_mode(self, mode: str, pcutoff: float | None = None) -> Lifter:
        """This lifter (the same loaded models, its companions included) set to another
        network mode and cutoff."""
        return Lifter(self.model, mode=mode,
                      pcutoff=self.pcutoff if pcutoff is None else pcutoff, below=self._below,
                      oblique=self._oblique)

    @classmethod
    def load(cls, path: str | Path | None = None, *, mode: str = "temporal",
             pcutoff: float = 0.6) -> Lifter:
        """Load weights (``None``: the shipped pretrained model); cached per file.

        Companions ``<stem>_below.pt`` and ``<stem>_oblique.pt`` beside the file
        (:func:`below_model_path`, :func:`oblique_model_path`) are loaded when a camera
        below the floor, or an oblique view, is first lifted (:meth:`for_camera`).

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
        below, oblique = below_model_path(p), oblique_model_path(p)  # looked for on every
        out = cls(base.model, mode=mode, pcutoff=pcutoff,  # load: they may come later
                  below=below if below.is_file() else None,
                  oblique=oblique if oblique.is_file() else None)
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
        """Model name, hash, mode, cutoff and the modes lifted with their mirror image
        (``symmetric``), for output metadata."""
        return {"name": self.name, "sha256": self.sha256, "mode": self.mode,
                "pcutoff": self.pcutoff, "path": self.model.info.get("path"),
                "train_command": self.model.info.get("command"),
                "symmetric": list(self.model.symmetric)}

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
        return catalogue_indices(keypoints, mapping)

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
        p = self.for_camera(camera).model.predict_detailed(
            uv_cat, c_cat, camera, mode=mode or self.mode, pcutoff=self.pcutoff, extra=ex)
        return LiftResult(points=p.points, imputed=p.imputed, heights=p.heights,
                          tails_withheld=p.tails_withheld)

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
        from dlc_lifter.lift.stream import LiftStream

        return LiftStream(self, camera, keypoints, mapping=mapping, mode=mode)

    def warm_up(self, camera: Camera) -> None:
        """Run the networks once on a made-up pose, on a throwaway causal stream through
        ``camera``: torch's first call (0.3 s on a CPU) is paid then, at a live lift's
        set-up, and not by its first frame."""
        names = list(CATALOGUE[:4])
        cx, cy = float(camera.K[0, 2]), float(camera.K[1, 2])
        uv = np.column_stack([cx + 10.0 * np.arange(len(names)), np.full(len(names), cy)])
        self.stream(camera, names, mode="causal").step(uv, np.ones(len(names)))



#: What the log has warned about once (a weights file and its companion that do not mix, a
#: weights file without the companion a view called for), by :func:`_warn_once`'s key.
_WARNED_ONCE: set[tuple[str, ...]] = set()

#: The logger :func:`_warn_once` gives a warning said already in this process: it does
#: not propagate (no console shows it again), but a batch's per-file capture
#: (:func:`~dlc_lifter.lift.batch.run_lift_job`) listens to it, so that the batch's
#: summary names every file the warning concerns, not only the first of each process.
SAID_ONCE_LOGGER = "dlc_lifter.said_once"
_said_once = logging.getLogger(SAID_ONCE_LOGGER)
_said_once.propagate = False
_said_once.addHandler(logging.NullHandler())  # else logging's last resort prints it


def _warn_once(key: tuple[str, ...], message: str, *args: Any) -> None:
    """Log ``message`` as a warning the first time ``key`` is seen (in this process): a
    batch of files, or every frame of a live session, is told once; later times go to
    :data:`SAID_ONCE_LOGGER` only."""
    if key not in _WARNED_ONCE:
        _WARNED_ONCE.add(key)
        logger.warning(message, *args)
    else:
        _said_once.warning(message, *args)


def _unmixable(lifter: Lifter, companion: Lifter) -> bool:
    """Whether ``lifter``'s networks and its companion's cannot be mixed into one (networks
    of other shapes: weights trained with other recipes); then the views between the two
    ranges are lifted by the nearer one alone, and the log says so once per pair."""
    from dlc_lifter.nets.lifter import LiftingModel

    why = LiftingModel.why_not_ensemble([lifter.model, companion.model])
    if why is None:
        return False
    from dlc_lifter.lift.view_range import OBLIQUE_BLEND_FROM_DEG, OBLIQUE_FROM_DEG

    key = (str(lifter.model.info.get("path")), str(companion.model.info.get("path")))
    _warn_once(
        ("unmixable", *key),
        "The weights %s and their companion for oblique views %s cannot be mixed (%s); "
        "views %.0f-%.0f deg off the vertical are lifted by the first below %.0f deg and "
        "by the companion above. Train both with one recipe (their commands are in "
        "their .json sidecars) to mix them.", key[0], key[1], why,
        OBLIQUE_BLEND_FROM_DEG, OBLIQUE_FROM_DEG, (OBLIQUE_BLEND_FROM_DEG + OBLIQUE_FROM_DEG) / 2)
    return True


def _mixed(model: Any, oblique: Any, share: float) -> Any:
    """``model`` and its companion for oblique views mixed, ``share`` of the latter; named
    after ``model`` (the weights file the user chose) with the share in its info."""
    from dlc_lifter.nets.lifter import LiftingModel

    mixed = LiftingModel.ensemble([model, oblique], weights=[1.0 - share, share])
    mixed.info = {**model.info, "oblique_share": share,
                  "oblique_model": oblique.info.get("path")}
    mixed.symmetric = model.symmetric
    return mixed


def _mtime(p: Path) -> float:
    try:
        return p.stat().st_mtime
    except OSError:
        return 0.0
