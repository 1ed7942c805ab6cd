"""Frame-by-frame lifting with a causal network: :class:`LiftStream`, for live use.

A stream keeps the per-frame features of the last ``receptive_field`` frames and runs
only the part of the network the newest output needs, so each :meth:`LiftStream.step`
costs one frame's work. Its output for a frame equals the batch causal lift
(``Lifter.lift(..., mode="causal")``) of the recording up to that frame. Build one with
:meth:`Lifter.stream <dlc_lifter.lift.lifter.Lifter.stream>`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from dlc_lifter.camera import Camera
from dlc_lifter.lift.keypoints import catalogue_indices
from dlc_lifter.mouse.catalogue import CATALOGUE

__all__ = ["LiftStream"]


class _Lifter(Protocol):
    """What a stream reads of its :class:`~dlc_lifter.lift.lifter.Lifter` (named here,
    not imported: ``lifter.py`` imports this module for :meth:`Lifter.stream`)."""

    model: Any
    pcutoff: float

    def for_camera(self, camera: Camera) -> Any:
        """The lifter for this camera (the companion for cameras below the floor)."""


class LiftStream:
    """Frame-by-frame lifting with the causal network (for live processors).

    Keeps the features of the last ``receptive_field`` frames; the first frame is
    replicated into the past. Each :meth:`step` returns the 3D of every catalogue
    keypoint for the newest frame.

    Parameters
    ----------
    lifter
        The :class:`~dlc_lifter.lift.lifter.Lifter` (its model and ``pcutoff``; for a
        camera below the floor its companion, :meth:`~dlc_lifter.lift.lifter.Lifter.
        for_camera`).
    camera
        The camera; output is in its world frame (mm).
    keypoints
        The user's keypoint names, in the order of the rows given to :meth:`step`.
    mapping
        Optional user keypoint map, or a planned
        :class:`~dlc_lifter.mouse.keypoint_map.KeypointMap`.
    mode
        ``causal`` (default) or ``frame``; a symmetric network cannot stream.

    Raises
    ------
    ValueError
        For a symmetric (``temporal``) network.
    """

    def __init__(self, lifter: _Lifter, camera: Camera, keypoints: Sequence[str], *,
                 mapping: Mapping[str, str | None] | None = None,
                 mode: str = "causal") -> None:
        import torch

        from dlc_lifter.nets.lifter import _camera_arrays

        self.lifter = lifter.for_camera(camera)
        self.camera = camera
        self.keypoints = list(keypoints)
        idx = catalogue_indices(self.keypoints, mapping)
        self._src = np.array([j for j, i in enumerate(idx) if i is not None], dtype=np.int64)
        self._dst = np.array([i for i in idx if i is not None], dtype=np.int64)
        self._all = np.arange(len(CATALOGUE), dtype=np.int64)
        self.net = self.lifter.model.net(mode)
        if not self.net.causal and self.net.receptive_field > 1:
            raise ValueError("stream() needs a causal or per-frame network "
                             f"(mode '{mode}' is symmetric).")
        self._rf = self.net.receptive_field
        self._buf: torch.Tensor | None = None
        self._heading: float | None = None
        # curled tails withheld from the causal networks, as offline (not per frame)
        self._judge_tails = mode != "frame" and self.lifter.model.judges_tails
        self._tail_off: list[np.ndarray] = []  # the last frames' curled tail points
        self._torch = torch
        # the last output of the window needs only a few frames per layer, and the batch
        # norms fold into the convolutions: both fixed while streaming
        self._plan = self.net.last_plan()
        self._folded = None if self.net.training else self.net._folded()
        self._cam = _camera_arrays(camera)
        self._distorted = bool(np.any(self._cam[3] != 0))
        self.imputed = np.zeros(len(CATALOGUE), bool)
        """Imputed flags of the last step."""
        self.tails_withheld = np.zeros(len(CATALOGUE), bool)
        """Tail points of the last step lying curled, withheld from the causal networks
        (:func:`~dlc_lifter.nets.lifter.tail_off_axis`), catalogue order."""

    def reset(self) -> None:
        """Forget the past (start of a new recording)."""
        self._buf = None
        self._heading = None
        self._tail_off = []
        self.tails_withheld = np.zeros(len(CATALOGUE), bool)

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
        from dlc_lifter.nets.lifter import (
            TAIL_OFF_AXIS_FRAMES,
            _kernel_pixels,
            _nb_floor_obs,
            curled_for,
            frame_features,
            tail_off_axis,
        )

        model = self.lifter.model
        k = len(CATALOGUE)
        floor = np.full((1, k, 2), np.nan)
        obs = np.zeros((1, k), bool)
        intr, r, centre, dist = self._cam
        _nb_floor_obs(_kernel_pixels(uv_cat, self.camera)[None], cc[None], cols,
                      self.lifter.pcutoff, intr, r, centre, dist, self._distorted, floor, obs)
        def run(seen: np.ndarray) -> tuple[np.ndarray, Any, Any]:
            feats, geo = frame_features(floor, cc[None], seen, centre,
                                        extra=None if extra is None else extra[None],
                                        n_extra=model.n_extra, start_heading=self._heading)
            # tail points withheld from the networks still lie on their own rays
            geo.floor, geo.observed = floor, obs
            x = self._torch.from_numpy(feats)  # (1, C)
            buf = (x.expand(self._rf, -1).clone() if self._buf is None
                   else self._torch.cat([self._buf[1:], x], 0))
            if self._folded is None:  # a network in training mode: the plain forward pass
                with self._torch.inference_mode():
                    out = self.net(buf.T.unsqueeze(0))[0, :, -1].numpy()[None]
            else:
                out = self.net.infer_last(buf, self._folded, self._plan).numpy()[None]
            return out, geo, buf

        out, geo, buf = run(obs)
        pts, heights = model.decode(out, geo)
        self.tails_withheld = np.zeros(k, bool)
        if self._judge_tails:  # as LiftingModel.predict: judged where the lift puts points
            off = tail_off_axis(floor, obs, centre, np.where(np.isfinite(heights), heights,
                                                             model.median_height_mm))
            recent = [*self._tail_off, off][-TAIL_OFF_AXIS_FRAMES:]
            held = curled_for(np.concatenate(recent), TAIL_OFF_AXIS_FRAMES)[-1:]
            self._tail_off = recent[1:] if len(recent) == TAIL_OFF_AXIS_FRAMES else recent
            if held.any():
                out, geo, buf = run(obs & ~held)
                pts, _ = model.decode(out, geo)
                self.tails_withheld = held[0].copy()
        self._buf = buf
        if geo.valid[0]:
            self._heading = float(math.atan2(geo.rot[0, 0, 1], geo.rot[0, 0, 0]))
        self.imputed = ~geo.observed[0] & geo.valid[0]
        return pts[0]
