"""Views from below and mirrored videos: left and right keypoints seen the wrong way round."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from dlc_lifter.camera import Camera
from dlc_lifter.lift.handedness import MIRRORED_SHARE, SIDE_ON_SHARE, measure_handedness
from dlc_lifter.mouse.catalogue import CATALOGUE
from dlc_lifter.poses import PoseMetadata, Poses
from tests.fixtures.realdata import OFT, OPENFIELD_H5, REALDATA, SLEAP_SESSION, needs_realdata
from tests.fixtures.toys import side_view_mouse_2d

torch.set_num_threads(1)


def _landmarks(n_frames: int = 150, seed: int = 3) -> np.ndarray:
    from dlc_lifter.mouse.behaviour import generate_sequences

    return generate_sequences(1, n_frames, seed=seed)[0].landmarks


@pytest.mark.parametrize("tilt", [0.0, 0.35])
def test_a_view_from_above_is_not_mirrored_and_its_mirror_image_is(tilt: float) -> None:
    lm = _landmarks()
    cam = Camera.top_view(550.0, 700.0, (640, 480), centre_xy=(250.0, 250.0), tilt_rad=tilt,
                          tilt_direction_rad=0.7)
    uv = cam.project(lm)
    ok = np.isfinite(uv).all(-1)
    above = measure_handedness(uv, ok, cam)
    assert above.frames >= 140 and above.share < 0.05 and not above.looks_mirrored
    flipped = uv.copy()
    flipped[..., 0] = cam.image_size[0] - 1 - uv[..., 0]
    mirrored = measure_handedness(flipped, ok, cam)
    assert mirrored.frames >= 140 and mirrored.share > 0.95 and mirrored.looks_mirrored


def test_only_paws_still_tell_the_side_and_few_frames_give_no_verdict() -> None:
    lm = _landmarks()
    cam = Camera.top_view(550.0, 700.0, (640, 480), centre_xy=(250.0, 250.0))
    keep = [CATALOGUE.index(n) for n in ("nose", "left_forepaw", "right_forepaw",
                                         "left_hindpaw", "right_hindpaw", "tail_base")]
    uv = np.full(lm.shape[:2] + (2,), np.nan)
    uv[:, keep] = cam.project(lm[:, keep])
    uv[..., 0] = cam.image_size[0] - 1 - uv[..., 0]  # B-SOiD's view from below, in effect
    ok = np.isfinite(uv).all(-1)
    assert measure_handedness(uv, ok, cam).looks_mirrored
    few = measure_handedness(uv[:5], ok[:5], cam)
    assert few.frames == 5 and not few.looks_mirrored
    no_sides = ok.copy()
    no_sides[:, keep[1:5]] = False
    assert measure_handedness(uv, no_sides, cam).frames == 0


def test_lifting_a_mirrored_file_warns_once_and_records_the_vote(
        caplog: pytest.LogCaptureFixture) -> None:
    """Lifted as seen from above (``view="above"``; by default such a file is lifted as
    filmed from below: tests/lift/test_view_from_below.py)."""
    from dlc_lifter.lift import lift_poses

    lm = _landmarks(60)
    cam = Camera.top_view(600.0, 640.0, (640, 480), centre_xy=(250.0, 250.0))
    names = {"snout": "nose", "leftear": "left_ear", "rightear": "right_ear",
             "tailbase": "tail_base"}
    uv = cam.project(lm[:, [CATALOGUE.index(v) for v in names.values()]])
    rng = np.random.default_rng(0)
    uv = uv + rng.normal(0.0, 0.5, uv.shape)

    def lift(coords: np.ndarray, source: str, keypoint_map: dict | None = None) -> Poses:
        poses = Poses(coords=coords[:, None], confidence=np.ones(coords.shape[:2])[:, None],
                      keypoints=list(names),
                      meta=PoseMetadata(source=source, fps=30.0, image_size=cam.image_size))
        return lift_poses(poses, camera_height_mm=600.0, focal_px=640.0,
                          keypoint_map=keypoint_map, view="above")

    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        plain = lift(uv, "above.h5")
    assert not [r for r in caplog.records if "from below" in r.getMessage()]
    assert plain.meta.extra["handedness"]["mirrored"] == 0
    caplog.clear()
    flipped = uv.copy()
    flipped[..., 0] = cam.image_size[0] - 1 - uv[..., 0]
    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        mirrored = lift(flipped, "below.h5")
    warned = [r.getMessage() for r in caplog.records if "from below" in r.getMessage()]
    assert len(warned) == 1 and warned[0].startswith("below.h5: in 60 of 60 frames")
    assert "--keypoint-map" in warned[0]
    vote = mirrored.meta.extra["handedness"]
    assert vote["frames"] == 60 and vote["mirrored"] / vote["frames"] >= MIRRORED_SHARE
    # the fix the warning gives for a mirrored video: left and right swapped in a map
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        swapped = lift(flipped, "below.h5", {"leftear": "right_ear", "rightear": "left_ear"})
    assert not [r for r in caplog.records if "from below" in r.getMessage()]
    assert swapped.meta.extra["handedness"]["mirrored"] == 0
    k = list(names)
    gap = np.abs(swapped.coords[:, 0, : len(k), 2] - plain.coords[:, 0, : len(k), 2])
    assert np.median(gap) < 1.0  # the mirror world's heights (the network is not exactly
    # left-right symmetric, so not to the last mm)


@needs_realdata(OFT, OPENFIELD_H5)
def test_real_top_views_are_seen_from_above() -> None:
    """Real DLC files filmed from above vote above; their mirror images vote mirrored."""
    from dlc_lifter.io import read_poses
    from dlc_lifter.lift import catalogue_arrays

    for path in (next(OFT.glob("*.h5")), OPENFIELD_H5):
        poses = read_poses(path)
        uv, conf, _ = catalogue_arrays(poses)
        w, h = poses.meta.image_size or (int(np.nanmax(uv[..., 0])) + 1,
                                         int(np.nanmax(uv[..., 1])) + 1)
        cam = Camera.top_view(500.0, 600.0, (w, h))
        ok = np.nan_to_num(conf) >= 0.6
        above = measure_handedness(uv, ok, cam)
        assert above.frames > 1000 and above.share < 0.02, path.name
        uv[..., 0] = w - 1 - uv[..., 0]
        assert measure_handedness(uv, ok, cam).share > 0.98, path.name


def test_a_side_view_is_told_and_views_from_above_and_below_are_not() -> None:
    """Filmed side on, left and right keypoints lie on one side of the nose-to-tail line
    (paws below the back, ears above it); from above or below on either side."""
    from dlc_lifter.lift import catalogue_arrays

    uv, conf, _ = catalogue_arrays(side_view_mouse_2d(60))
    side = measure_handedness(uv, conf >= 0.6)
    assert side.sided == 60 and side.side_on_share > 0.95 and side.looks_side_on
    lm = _landmarks()
    cam = Camera.top_view(550.0, 700.0, (640, 480), centre_xy=(250.0, 250.0))
    top = cam.project(lm)
    ok = np.isfinite(top).all(-1)
    above = measure_handedness(top, ok)
    assert above.sided >= 140 and above.side_on_share < 0.1 and not above.looks_side_on
    middle = ok.copy()  # a bent body carries both shoulders to one side: not counted
    middle[:, [i for i, n in enumerate(CATALOGUE)
               if n not in ("nose", "tail_base", "left_shoulder", "right_shoulder")]] = False
    assert measure_handedness(top, middle).sided == 0
    top[..., 0] = cam.image_size[0] - 1 - top[..., 0]  # from below, in effect
    assert not measure_handedness(top, ok).looks_side_on
    assert not measure_handedness(uv[:5], conf[:5] >= 0.6).looks_side_on  # too few frames


def test_lifting_a_side_view_warns_once_and_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    from dlc_lifter.lift import lift_poses

    poses = side_view_mouse_2d(45)
    poses.meta.source = "beam.h5"
    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        out = lift_poses(poses)
    told = [r.getMessage() for r in caplog.records if "filmed from the side" in r.getMessage()]
    assert len(told) == 1 and told[0].startswith("beam.h5: looks filmed from the side: in 45 of 45")
    assert "heights will not be meaningful" in told[0]
    assert out.meta.extra["side_view"] == {"frames": 45, "side_on": 45, "looks_side_on": True}
    assert np.isfinite(out.coords).all()


_DEEPOF = REALDATA / "deepof-two-mice" / "testDLC_h5_table_madlc.h5"


@needs_realdata(OFT, OPENFIELD_H5, SLEAP_SESSION, _DEEPOF)
def test_real_top_views_are_not_side_views() -> None:
    """Real files filmed from above keep left and right on either side of the body (the
    side view's share is 0.7: docs/formats.md has every file measured)."""
    from dlc_lifter.io import read_poses
    from dlc_lifter.lift import catalogue_arrays

    for path in (next(OFT.glob("*.h5")), OPENFIELD_H5, _DEEPOF,
                 SLEAP_SESSION / "minimal_top_proofread.slp"):
        uv, conf, _ = catalogue_arrays(read_poses(path))
        hand = measure_handedness(uv, np.nan_to_num(conf) >= 0.6)
        assert hand.sided >= 100 and hand.side_on_share < SIDE_ON_SHARE / 10, path.name
