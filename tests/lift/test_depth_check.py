"""A video whose depth the network cannot read (flat mice read raised) is not used for depth."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from dlc_lifter.camera import Camera
from dlc_lifter.lift import depth_path
from dlc_lifter.lift.depth_path import (
    DEPTH_CHECK_READINGS,
    FLAT_SNOUT_MM,
    VideoDepth,
    depth_out_of_domain,
    snout_readings,
)
from dlc_lifter.mouse.catalogue import CATALOGUE
from dlc_lifter.nets.cues import CUE_NAMES, N_CUES
from dlc_lifter.poses import PoseMetadata, Poses
from tests.fixtures.toys import MOUSE_BODY, rigid_mouse

CAM = Camera.top_view(500.0, 600.0, (640, 480))
NOSE = CATALOGUE.index("nose")


def _cues(t: int, snout_mm: np.ndarray) -> np.ndarray:
    """Cues of one animal whose nose the network reads at ``snout_mm`` (NaN: no reading)."""
    cues = np.zeros((t, 1, len(CATALOGUE), N_CUES), np.float32)
    read = np.isfinite(snout_mm)
    cues[read, 0, NOSE, CUE_NAMES.index("available")] = 1.0
    cues[read, 0, NOSE, CUE_NAMES.index("landmark")] = snout_mm[read] / 100.0
    return cues


def test_the_snout_readings_and_the_judgement() -> None:
    h = np.r_[np.full(20, 12.0), np.full(25, 60.0), np.nan, np.nan]
    np.testing.assert_allclose(np.sort(snout_readings(_cues(len(h), h))),
                               np.sort(h[np.isfinite(h)]), rtol=1e-6)
    summary, why = depth_out_of_domain(snout_readings(_cues(len(h), h)))
    assert summary["readings"] == 45 and summary["raised_share"] == pytest.approx(25 / 45, 1e-3)
    assert why is not None and f"{FLAT_SNOUT_MM:.0f} mm or higher in 56 %" in why
    # a mouse that rears in a third of its frames is read as a mouse
    assert depth_out_of_domain(np.r_[np.full(30, 10.0), np.full(15, 80.0)])[1] is None


def test_the_snout_readings_say_which_frames_and_animals_they_are_of() -> None:
    """``where=True``: the frame and animal of each reading, so that a caller picks the same
    frames' keypoints (the real-mouse benchmark's wall split; it read the cue itself)."""
    h = np.array([12.0, np.nan, 60.0, np.nan])
    cues = np.concatenate([_cues(4, h), _cues(4, h[::-1])], axis=1)  # two animals
    readings, (frames, animals) = snout_readings(cues, where=True)
    np.testing.assert_allclose(readings, [12.0, 60.0, 60.0, 12.0], rtol=1e-6)
    assert frames.tolist() == [0, 1, 2, 3] and animals.tolist() == [0, 1, 0, 1]
    np.testing.assert_array_equal(readings, snout_readings(cues))
    # too few readings to judge
    assert depth_out_of_domain(np.full(DEPTH_CHECK_READINGS - 1, 70.0))[1] is None
    assert depth_out_of_domain(np.zeros(0)) == ({"readings": 0}, None)


def _poses() -> Poses:
    names = ("nose", "left_ear", "right_ear", "neck", "tail_base")
    world = rigid_mouse(40, speed=60.0, yaw=0.4, start=(-40.0, 10.0),
                        body={k: MOUSE_BODY[k] for k in names})
    uv = CAM.project(world.coords[:, 0])
    return Poses(coords=uv[:, None], confidence=np.full(uv.shape[:2], 0.9)[:, None],
                 keypoints=list(names), meta=PoseMetadata(source="mouse.h5", fps=30.0,
                                                          image_size=(640, 480)))


KW = dict(camera_height_mm=500.0, focal_px=600.0, mode="frame")


def _lift_with(monkeypatch, caplog, tmp_path, lifter, poses: Poses, vd: VideoDepth) -> Poses:
    """``poses`` lifted with depth where the video's cues are ``vd`` (warnings captured)."""
    monkeypatch.setattr(depth_path, "video_depth_cues", lambda *a, **k: vd)
    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        return depth_path.lift_poses_with_depth(poses, tmp_path / "clip.mp4", lifter=lifter,
                                                **KW)


@pytest.mark.parametrize(("snout_mm", "used"), [(65.0, False), (12.0, True)])
def test_a_video_read_raised_throughout_is_not_used_for_depth(
        monkeypatch, caplog, tmp_path, shipped_lifter, snout_mm: float, used: bool) -> None:
    from dlc_lifter.lift import lift_poses

    poses = _poses()
    t = poses.n_frames
    vd = VideoDepth(cues=_cues(t, np.full(t, snout_mm)), px_per_mm=np.ones(1),
                    seconds=dict.fromkeys(("decode", "crop", "depth", "cues"), 0.0))
    out = _lift_with(monkeypatch, caplog, tmp_path, shipped_lifter, poses, vd)
    info = out.meta.extra["depth"]
    assert info["used"] is used
    assert info["snout_reading"]["readings"] == t
    assert info["snout_reading"]["median_mm"] == pytest.approx(snout_mm, abs=0.1)
    said = [r.getMessage() for r in caplog.records if "unlike those it learned" in r.getMessage()]
    if used:
        assert not said and "reason" not in info
    else:
        assert len(said) == 1 and "clip.mp4" in said[0] and "keypoints only" in said[0]
        assert "unlike those it learned" in info["reason"]
        ref = lift_poses(poses, lifter=shipped_lifter, **KW)  # keypoints only
        np.testing.assert_allclose(out.coords, ref.coords, atol=1e-9)


def test_a_video_with_no_cue_read_is_recorded_as_not_used(
        monkeypatch, caplog, tmp_path, shipped_lifter) -> None:
    """No depth cue read (two labelled frames: the image scale cannot be measured, no
    crop placed, 0 frames read): depth not used, the reason recorded and said, the lift the
    keypoints' (before: ``used`` True with 0 frames read and a NaN scale)."""
    from dlc_lifter.lift import lift_poses

    poses = _poses()
    vd = VideoDepth(cues=np.zeros((poses.n_frames, 1, len(CATALOGUE), N_CUES), np.float32),
                    px_per_mm=np.full(1, np.nan))
    out = _lift_with(monkeypatch, caplog, tmp_path, shipped_lifter, poses, vd)
    info = out.meta.extra["depth"]
    assert info["used"] is False and info["frames_read"] == 0
    assert "no depth cue read" in info["reason"] and "image scale" in info["reason"]
    assert "no depth cue read" in caplog.text and "keypoints only" in caplog.text
    ref = lift_poses(poses, lifter=shipped_lifter, **KW)
    np.testing.assert_allclose(out.coords, ref.coords, atol=1e-9)
