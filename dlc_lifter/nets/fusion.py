"""The fused lifter: a lifting network that reads depth cues beside the 2D keypoints.

Contract
--------
A fused lifter is a :class:`~dlc_lifter.nets.lifter.LiftingModel` with ``n_extra =
N_CUES``: per keypoint, after the keypoint channels, the depth cues of
:mod:`dlc_lifter.nets.cues` in the order of :data:`~dlc_lifter.nets.cues.CUE_NAMES`
(``available = 0`` and the other cues 0 where there is no depth). It lifts like the
keypoints-only lifter (same geometry, outputs and modes) and, given all-zero cues, degrades
to a lift from the keypoints alone.

It is made from a keypoints-only model by :func:`expand_model` (its weights copied, zero
weights on the cue channels, so it starts exactly as the keypoints-only model) and then
fine-tuned on rendered sequences seen with simulated 2D tracking errors, with cues read by
the depth network on crops placed from the *noisy* keypoints exactly as at inference
(:mod:`dlc_lifter.nets.fusion_train`; the shipped recipe is
:class:`~dlc_lifter.nets.fusion_train.FusedRecipe`, its measured effect in
``docs/results.md``).

PyMouse Lifter's approach, depth read at each 2D keypoint and the point put on its ray at
that depth, is :func:`ray_baseline`.
"""

from __future__ import annotations

import numpy as np
import torch

from dlc_lifter.camera import Camera
from dlc_lifter.nets.cues import N_CUES
from dlc_lifter.nets.lifter import (
    N_GLOBAL,
    N_KEYPOINTS,
    PER_KEYPOINT,
    SCALE_MM,
    LifterNet,
    LiftingModel,
    floor_points,
    points_on_rays,
)

__all__ = ["expand_model", "ray_baseline"]


def expand_model(base: LiftingModel, n_extra: int = N_CUES) -> LiftingModel:
    """A copy of a keypoints-only model with ``n_extra`` zero-weighted cue channels.

    The copy computes exactly what ``base`` computes whatever the cues, until trained.

    Parameters
    ----------
    base
        A :class:`~dlc_lifter.nets.lifter.LiftingModel` with ``n_extra == 0``.
    n_extra
        Cue channels to add.

    Returns
    -------
    LiftingModel
    """
    if base.n_extra != 0:
        raise ValueError(f"The base model already has {base.n_extra} extra channels.")
    k = N_KEYPOINTS
    old_idx = np.arange(k * PER_KEYPOINT + N_GLOBAL)
    kp, ch = np.divmod(old_idx[: k * PER_KEYPOINT], PER_KEYPOINT)
    new_idx = np.concatenate([kp * (PER_KEYPOINT + n_extra) + ch,
                              k * (PER_KEYPOINT + n_extra) + np.arange(N_GLOBAL)])
    nets = {}
    for mode, net in base.nets.items():
        cfg = net.config()
        new = LifterNet(k * (PER_KEYPOINT + n_extra) + N_GLOBAL, cfg["n_keypoints"],
                        channels=cfg["channels"], kernels=cfg["kernels"], causal=cfg["causal"],
                        members=cfg["members"])
        state = {n: v.clone() for n, v in net.state_dict().items()}
        w_old = state["expand.weight"]
        w_new = torch.zeros(w_old.shape[0], new.in_features, w_old.shape[2], dtype=w_old.dtype)
        w_new[:, torch.from_numpy(new_idx)] = w_old
        state["expand.weight"] = w_new
        new.load_state_dict(state)
        new.eval()
        nets[mode] = new
    info = {"base": {k2: base.info.get(k2) for k2 in ("path", "sha256", "command")}}
    return LiftingModel(nets=nets, n_extra=n_extra, median_height_mm=base.median_height_mm.copy(),
                        pair_length_mm=base.pair_length_mm.copy(), info=info)


def ray_baseline(uv: np.ndarray, cues: np.ndarray, camera: Camera) -> np.ndarray:
    """PyMouse Lifter's method: each keypoint on its ray at the depth read at its pixel.

    Parameters
    ----------
    uv
        ``(T, K, 2)`` pixels.
    cues
        ``(T, K, N_CUES)`` from :func:`~dlc_lifter.nets.cues.sample_cues` (the ``height``
        channel is used; 0 where unavailable).
    camera
        The camera.

    Returns
    -------
    numpy.ndarray
        ``(T, K, 3)`` world mm (NaN where the keypoint is missing).
    """
    floor = floor_points(uv, camera)
    return points_on_rays(floor, camera.centre, cues[..., 0].astype(np.float64) * SCALE_MM)

