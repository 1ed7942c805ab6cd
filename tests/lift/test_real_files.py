"""Real files lifted with the options users give: what the file does not record is taken
from where it can be, and an arena's size that cannot be the arena's is not taken."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dlc_lifter.io import meta_pickle_path, read_poses
from dlc_lifter.lift import CameraSpec, LiftOptions, OutputSpec, lift_file
from tests.fixtures.realdata import SLEAP_SESSION, needs_realdata

SLP = SLEAP_SESSION / "minimal_top_proofread.slp"
ANALYSIS = SLEAP_SESSION / "minimal_top_proofread.analysis.h5"

pytestmark = needs_realdata(SLP, ANALYSIS, SLEAP_SESSION / "minimal_top.mp4")


def _lift(src: Path, dest: Path, **camera) -> tuple:
    out = lift_file(src, camera=CameraSpec(**camera), options=LiftOptions(depth=False),
                    output=OutputSpec(destfolder=dest))
    return read_poses(out), pd.read_pickle(meta_pickle_path(out))["data"]


def test_a_sleap_analysis_file_takes_its_frames_size_from_the_video_it_names(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # the analysis file names its video with a Windows path; the video lies beside it
    assert "\\" in str(h5py_video_path(ANALYSIS))
    read = read_poses(ANALYSIS)
    assert Path(read.meta.video) == SLEAP_SESSION / "minimal_top.mp4"
    assert read.meta.image_size == (1280, 1024) and read.meta.fps == 30.0
    with caplog.at_level(logging.WARNING):
        from_h5, _ = _lift(ANALYSIS, tmp_path / "h5")
    assert "image size unknown" not in caplog.text
    from_slp, _ = _lift(SLP, tmp_path / "slp")
    np.testing.assert_array_equal(from_h5.coords, from_slp.coords)


def h5py_video_path(path: Path) -> str:
    import h5py

    with h5py.File(path, "r") as fh:
        v = fh["video_path"][()]
    return v.decode() if isinstance(v, bytes) else str(v)


def test_an_arena_size_the_animals_spread_cannot_measure_is_not_taken(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # 120 frames of a mouse that barely moves: its tail base spreads over 4 px, so a 400 mm
    # arena would make it 16 m long
    with caplog.at_level(logging.WARNING):
        p3, meta = _lift(SLP, tmp_path / "arena", arena_size_mm=400.0)
    assert meta["camera_source"] == "body-length-estimate"
    ignored = meta["camera_estimate"]["arena_size_ignored"]
    assert ignored["arena_size_mm"] == 400.0 and ignored["animal_length_mm"] > 1000.0
    assert f"{SLP}: The arena's size given is not used (" in caplog.text
    plain, _ = _lift(SLP, tmp_path / "plain")
    np.testing.assert_allclose(p3.coords, plain.coords)  # as with no camera information
    assert np.nanmax(p3.coords[..., 2]) < 150.0
