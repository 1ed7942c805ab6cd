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
