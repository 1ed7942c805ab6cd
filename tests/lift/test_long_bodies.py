"""Frames whose lifted nose and tail base lie further apart than one mouse stretches."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from dlc_lifter.lift.long_bodies import LONG_MM, LONG_SHARE, long_bodies

NAMES = ["nose", "left_ear", "tail_base"]


def _two_mice(n: int = 60) -> tuple[np.ndarray, np.ndarray]:
    coords = np.zeros((n, 2, 3, 3))
    coords[:, :, 0, 0] = 80.0  # nose 80 mm ahead of the tail base
    coords[:, 1] += [300.0, 0.0, 0.0]
    coords[10:15, 0, 0, 0] = 80.0 * 1.3  # a stretched rear: one mouse still
    coords[30:32, 0, 0] = coords[30:32, 1, 0]  # the other mouse's nose taken for this one's
    return coords, np.zeros((n, 2, 3), bool)


def test_another_animal_s_nose_is_said_by_its_frames(caplog: pytest.LogCaptureFixture) -> None:
    """An identity swap at full likelihood made bodies of 150-180 mm in a real two-mouse
    file without a word (the mistrack rule judges each point alone)."""
    coords, imputed = _two_mice()
    frames = np.arange(100, 160)
    with caplog.at_level(logging.WARNING):
        out = long_bodies(coords, imputed, NAMES, ["a", "b"], frames, "pair.h5")
    assert list(out) == ["a"] and out["a"]["frames"] == [130, 131]
    assert out["a"]["median_mm"] == 80.0 and out["a"]["longest_mm"] == 380.0
    assert "pair.h5: a: in 2 frames (130, 131)" in caplog.text and "Check the 2D" in caplog.text
    # a stretched rear (1.3 times) is a mouse; imputed points are not judged
    imputed[30:32, 0, 0] = True
    assert long_bodies(coords, imputed, NAMES, ["a", "b"], frames, "pair.h5") == {}
    assert LONG_SHARE > 1.3
    # a hunched mouse (SUBTLE's nose to anus: 50 mm) stretching to 1.8 times: still a mouse
    short = coords * 50.0 / 80.0
    short[30:32, 0, 0] = short[0, 0, 0]  # no swap
    short[10:15, 0, 0, 0] = 90.0
    assert long_bodies(short, np.zeros_like(imputed), NAMES, ["a", "b"], frames, "s.h5") \
        == {} and LONG_MM > 90.0
