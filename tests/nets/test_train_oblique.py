"""Training cameras for oblique views (``TrainConfig.view_deg``, ``--view-deg``)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dlc_lifter.camera import random_top_view
from dlc_lifter.nets.train import TrainConfig, camera_kwargs


def test_oblique_training_cameras_see_the_arena_centre_at_the_angles_asked() -> None:
    rng = np.random.default_rng(0)
    for _ in range(50):
        cam = random_top_view(rng, arena_mm=500.0, view_deg=(20.0, 40.0), centre_jitter_mm=0.0)
        c = cam.centre
        angle = math.degrees(math.atan2(math.hypot(c[0], c[1]), c[2]))
        assert 20.0 - 1e-6 <= angle <= 40.0 + 1e-6
        assert math.degrees(cam.tilt_rad) == pytest.approx(angle, abs=1e-6)  # aimed at it
        u, v = cam.project(np.zeros(3))
        assert u == pytest.approx(cam.cx, abs=1e-6) and v == pytest.approx(cam.cy, abs=1e-6)
    with pytest.raises(ValueError, match="view_deg"):
        random_top_view(rng, view_deg=(30.0, 85.0))


def test_the_config_passes_its_cameras_on() -> None:
    assert camera_kwargs(TrainConfig()) is None
    assert camera_kwargs(TrainConfig(view_deg=(15.0, 55.0), image_span=(0.5, 2.0))) == {
        "view_deg": (15.0, 55.0), "arena_fraction": (0.5, 2.0)}


def test_frame_view_angles_train_the_per_frame_network_as_view_angles_would() -> None:
    """The per-frame stage of a recipe with ``frame_view_deg`` is the per-frame network a
    recipe with those ``view_deg`` trains (the same sequences, cameras and steps), while the
    temporal network keeps the top views."""
    import torch

    from dlc_lifter.nets.train import train

    small = dict(seed=3, n_sequences=2, n_frames=100, steps=2, frame_steps=2, channels=8,
                 kernels=(3,), threads=1)
    from dlc_lifter.nets.data import generate_mouse_sequences

    calls: list[int] = []

    def generator(n: int, frames: int, seed: int) -> list:
        calls.append(n)
        return generate_mouse_sequences(n, frames, seed=seed)

    scoped, _ = train(TrainConfig(**small, modes=("temporal", "frame"),
                                  frame_view_deg=(0.0, 35.0)), progress=False,
                      generator=generator)
    assert calls == [2]  # the same sequences, drawn once, for both networks' clips
    whole, _ = train(TrainConfig(**small, modes=("temporal", "frame"), view_deg=(0.0, 35.0)),
                     progress=False)
    plain, _ = train(TrainConfig(**small, modes=("temporal", "frame")), progress=False)

    def same(a: torch.nn.Module, b: torch.nn.Module) -> bool:
        return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(),
                                                     b.state_dict().values(), strict=True))

    assert same(scoped.nets["frame"], whole.nets["frame"])
    assert same(scoped.nets["temporal"], plain.nets["temporal"])
    assert not same(scoped.nets["frame"], plain.nets["frame"])
