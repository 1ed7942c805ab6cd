"""A file whose tracker was unsure of most of the animal is warned about; counts are kept."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from dlc_lifter.camera import Camera
from dlc_lifter.lift import lift_poses
from dlc_lifter.lift.unsure import CHECK_FRAMES, unsure_tracking
from dlc_lifter.mouse.catalogue import CATALOGUE
from dlc_lifter.poses import PoseMetadata, Poses
from tests.fixtures.realdata import OFT, REALDATA, needs_realdata

torch.set_num_threads(1)

NAMES = ["snout", "leftear", "tailbase"]
CAT = [CATALOGUE.index(n) for n in ("nose", "left_ear", "tail_base")]


def _arrays(conf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Catalogue arrays of ``(T, N, 3)`` likelihoods of the three names, all placed."""
    t, n, _ = conf.shape
    uv = np.full((t, n, len(CATALOGUE), 2), np.nan)
    c = np.full((t, n, len(CATALOGUE)), np.nan)
    uv[:, :, CAT] = 100.0
    c[:, :, CAT] = conf
    return uv, c


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "dlc_lifter.lift.unsure"]


def test_mostly_unsure_is_warned_and_counted(caplog: pytest.LogCaptureFixture) -> None:
    conf = np.full((100, 2, 3), 0.95)  # b: sure of everything
    conf[:, 0] = [0.9, 0.2, 0.2]  # a: the snout alone is sure ...
    conf[:20, 0] = 0.9  # ... but in 20 frames, where all three are
    conf[20:50, 0] = 0.1  # and in 30 none is
    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        out = unsure_tracking(*_arrays(conf), 0.6, ["a", "b"], NAMES, CAT, "pair.h5")
    assert out == {"a": {"frames": 100, "sure_two_or_more": 20, "sure_one": 50,
                         "sure_none": 30, "warned": True},
                   "b": {"frames": 100, "sure_two_or_more": 100, "sure_one": 0,
                         "sure_none": 0, "warned": False}}
    (msg,) = _warnings(caplog)
    assert msg.startswith("pair.h5: the tracker is unsure of most of the animal. It is sure "
                          "(likelihood 0.6 or more)")
    assert "a: 20 of 100 frames; none sure in 30, one in 50" in msg and "b:" not in msg
    assert "snout 70 %, leftear 20 %, tailbase 20 %" in msg and "pcutoff" in msg


def test_a_well_tracked_or_short_file_is_not_warned(caplog: pytest.LogCaptureFixture) -> None:
    half = np.full((80, 1, 3), 0.9)
    half[41:, 0, 1:] = 0.1  # 39 of 80 frames with one sure keypoint: under half
    short = np.full((CHECK_FRAMES - 1, 1, 3), 0.1)  # unsure, but too few frames to judge
    unplaced = np.full((50, 1, 3), 0.1)
    uv, c = _arrays(unplaced)
    uv[:] = np.nan  # never placed: not counted at all
    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        assert not unsure_tracking(*_arrays(half), 0.6, ["m"], NAMES, CAT, "f.h5")["m"][
            "warned"]
        assert unsure_tracking(*_arrays(short), 0.6, ["m"], NAMES, CAT, "f.h5")["m"] == {
            "frames": CHECK_FRAMES - 1, "sure_two_or_more": 0, "sure_one": 0,
            "sure_none": CHECK_FRAMES - 1, "warned": False}
        assert unsure_tracking(uv, c, 0.6, ["m"], NAMES, CAT, "f.h5") == {}
    assert _warnings(caplog) == []


def test_a_lift_of_an_unsure_file_warns_and_records(caplog: pytest.LogCaptureFixture) -> None:
    """Through ``lift_poses``: the counts in ``meta.extra["unsure"]``, the frames with no
    sure keypoint without 3D."""
    from dlc_lifter.mouse.behaviour import generate_sequences

    names = ["nose", "left_ear", "right_ear", "neck", "mouse_center", "tail_base"]
    lm = generate_sequences(1, 60, seed=5)[0].landmarks[:, [CATALOGUE.index(n) for n in names]]
    cam = Camera.top_view(450.0, 700.0, (640, 480))
    uv = cam.project(lm - np.array([*np.nanmean(lm[..., :2].reshape(-1, 2), 0), 0.0]))
    conf = np.full(uv.shape[:2], 0.3)
    conf[:10] = 0.95  # sure of the whole body in 10 frames of 60
    conf[10:25, 5] = 0.95  # of the tail base alone in 15
    poses = Poses(coords=uv[:, None], confidence=conf[:, None], keypoints=names,
                  meta=PoseMetadata(source="unsure.h5", fps=30.0, image_size=(640, 480)))
    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        out = lift_poses(poses, camera_height_mm=450.0, focal_px=700.0, mode="frame")
    assert out.meta.extra["unsure"] == {"individual0": {
        "frames": 60, "sure_two_or_more": 10, "sure_one": 15, "sure_none": 35,
        "warned": True}}
    (msg,) = _warnings(caplog)
    assert "10 of 60 frames; none sure in 35, one in 15" in msg
    assert np.isnan(out.coords[25:, 0]).all() and np.isfinite(out.coords[:25, 0]).all()


DEEPOF_PAIR = REALDATA / "deepof-two-mice" / "testDLC_h5_table_madlc.h5"
OFT_H5 = OFT / "OFT_38DLC_resnet50_BlockcourseMay9shuffle1_1030000.h5"


@needs_realdata(DEEPOF_PAIR, OFT_H5)
def test_real_files_lift_without_the_warning(caplog: pytest.LogCaptureFixture) -> None:
    """``../shared``'s DeepOF pair and open field: placed frames with fewer than two sure
    keypoints under 1 %, unwarned."""
    from dlc_lifter.io.read import read_poses

    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        for f in (DEEPOF_PAIR, OFT_H5):
            unsure = lift_poses(read_poses(f)).meta.extra["unsure"]
            assert unsure and not any(m["warned"] for m in unsure.values()), (f, unsure)
            assert all(m["sure_one"] + m["sure_none"] <= 0.01 * m["frames"]
                       for m in unsure.values()), (f, unsure)
    assert _warnings(caplog) == []
