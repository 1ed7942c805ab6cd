"""A lift that raises the nose in most frames is warned about; the measure is kept."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from dlc_lifter.camera import Camera
from dlc_lifter.lift import lift_poses
from dlc_lifter.lift.raised import CHECK_FRAMES, FLAT_SNOUT_MM, raised_noses
from dlc_lifter.mouse.catalogue import CATALOGUE
from dlc_lifter.poses import PoseMetadata, Poses
from tests.fixtures.realdata import OFT, REALDATA, needs_realdata

torch.set_num_threads(1)

NAMES = ["nose", "left_ear", "tail_base"]


def _coords(nose_mm: list[float], n_ind: int = 1) -> np.ndarray:
    t = len(nose_mm)
    c = np.zeros((t, n_ind, len(NAMES), 3))
    c[:, :, 0, 2] = np.asarray(nose_mm)[:, None]
    return c


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "dlc_lifter.lift.raised"]


def test_raised_in_most_frames_is_warned(caplog: pytest.LogCaptureFixture) -> None:
    coords = _coords([60.0] * 30 + [10.0] * 10)
    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        out = raised_noses(coords, np.zeros(coords.shape[:3], bool), NAMES, ["m1"],
                           "mouse.h5", "body-length-estimate")
    assert out == {"m1": {"frames": 40, "median_mm": 60.0, "raised_share": 0.75,
                          "warned": True}}
    (msg,) = _warnings(caplog)
    assert "mouse.h5" in msg and "75 % of 40" in msg and "--camera-height-mm" in msg
    assert "dlc-lifter info mouse.h5" in msg


def test_flat_short_or_untracked_is_not_warned(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        # raised in fewer than half the frames
        few = _coords([60.0] * 20 + [10.0] * 20)
        assert not raised_noses(few, np.zeros(few.shape[:3], bool), NAMES, ["m1"], "a.h5",
                                "given")["m1"]["warned"]
        # too few frames to judge
        short = _coords([60.0] * (CHECK_FRAMES - 1))
        assert not raised_noses(short, np.zeros(short.shape[:3], bool), NAMES, ["m1"],
                                "b.h5", "given")["m1"]["warned"]
        # raised only where the nose was imputed (not tracked): not counted
        both = _coords([60.0] * 40 + [10.0] * 40)
        imputed = np.zeros(both.shape[:3], bool)
        imputed[:40, 0, 0] = True
        got = raised_noses(both, imputed, NAMES, ["m1"], "c.h5", "given")["m1"]
        assert got["frames"] == 40 and got["raised_share"] == 0.0 and not got["warned"]
        # no nose among the columns
        assert raised_noses(both[:, :, 1:], imputed[:, :, 1:], NAMES[1:], ["m1"], "d.h5",
                            "given") == {}
    assert _warnings(caplog) == []


def test_one_warning_names_each_raised_individual(caplog: pytest.LogCaptureFixture) -> None:
    coords = _coords([60.0] * 40, n_ind=3)
    coords[:, 1, 0, 2] = 10.0  # the second animal is flat
    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        out = raised_noses(coords, np.zeros(coords.shape[:3], bool), NAMES,
                           ["a", "b", "c"], "pair.h5", "calibration")
    assert [m["warned"] for m in out.values()] == [True, False, True]
    (msg,) = _warnings(caplog)
    assert "a: 100 % of 40" in msg and "c: 100 % of 40" in msg and "b:" not in msg
    assert "Check the camera given (calibration)" in msg


def test_lift_records_the_measure_for_a_flat_mouse(caplog: pytest.LogCaptureFixture) -> None:
    from dlc_lifter.mouse.behaviour import generate_sequences

    names = ["nose", "left_ear", "right_ear", "neck", "mouse_center", "tail_base"]
    lm = generate_sequences(1, 60, seed=5)[0].landmarks[:, [CATALOGUE.index(n) for n in names]]
    cam = Camera.top_view(450.0, 700.0, (640, 480))
    uv = cam.project(lm - np.array([*np.nanmean(lm[..., :2].reshape(-1, 2), 0), 0.0]))
    poses = Poses(coords=uv[:, None], confidence=np.ones(uv.shape[:2])[:, None],
                  keypoints=names, meta=PoseMetadata(source="flat.h5", fps=30.0,
                                                     image_size=(640, 480)))
    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        out = lift_poses(poses, camera_height_mm=450.0, focal_px=700.0)
    got = out.meta.extra["raised"]["individual0"]
    nose = out.coords[:, 0, list(out.keypoints).index("nose"), 2]
    assert got["frames"] == 60
    assert got["raised_share"] == pytest.approx(np.mean(nose >= FLAT_SNOUT_MM), abs=1e-3)
    assert got["warned"] is (got["raised_share"] > 0.5)
    assert bool(_warnings(caplog)) is got["warned"]


DEEPOF_PAIR = REALDATA / "deepof-two-mice" / "testDLC_h5_table_madlc.h5"
OFT_H5 = OFT / "OFT_38DLC_resnet50_BlockcourseMay9shuffle1_1030000.h5"


@needs_realdata(DEEPOF_PAIR, OFT_H5)
def test_real_pairs_lift_without_the_warning(caplog: pytest.LogCaptureFixture) -> None:
    """``../shared``'s DeepOF pair and open field lift with default options, unwarned."""
    from dlc_lifter.io.read import read_poses

    files = [DEEPOF_PAIR, OFT_H5]
    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        for f in files:
            raised = lift_poses(read_poses(f)).meta.extra["raised"]
            assert raised and not any(m["warned"] for m in raised.values()), (f, raised)
            assert all(m["raised_share"] < 0.35 for m in raised.values()), (f, raised)
    assert _warnings(caplog) == []
