"""Our 3D output read by ``movement`` (``load_poses.from_dlc_file``), values checked.

movement needs numpy 2, so it is installed only in the Python 3.13 test environment
(``.ci/test-envs``); elsewhere this test is skipped with that reason.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dlc_lifter import Poses, write_dlc_3d
from tests.fixtures.toys import DLC_KEYPOINTS, random_poses


def _poses3d(individuals: list[str]) -> Poses:
    p = random_poses(7, individuals, dim=3, seed=3, coord_range=(-200, 200), z_range=(0, 60),
                     conf_range=(0.1, 1), nan_at=[(2, 0, 1)], frame_indices=np.arange(7))
    p.meta.scorer = "DLC_resnet50_testMay1shuffle1_1000"
    return p


@pytest.mark.parametrize("individuals", [["individual0"], ["m1", "m2"]])
def test_movement_reads_our_3d_output(tmp_path: Path, individuals: list[str]) -> None:
    load_poses = pytest.importorskip(
        "movement.io.load_poses",
        reason="movement is not installed (it needs numpy 2; it is in the Python 3.13 "
               "test environment only)")
    p = _poses3d(individuals)
    out = write_dlc_3d(p, tmp_path / "vidDLC_resnet50_testMay1shuffle1_1000_lifted3d.h5")
    ds = load_poses.from_dlc_file(out, fps=30)
    pos = ds["position"]
    # movement < 0.16 names the dims keypoints / individuals, later ones keypoint / individual
    kp_dim = "keypoint" if "keypoint" in pos.dims else "keypoints"
    ind_dim = "individual" if "individual" in pos.dims else "individuals"
    assert list(pos.coords["space"].values) == ["x", "y", "z"]
    assert [str(k) for k in pos.coords[kp_dim].values] == DLC_KEYPOINTS
    # a single-animal table has no individuals level; movement names it itself
    names = [str(i) for i in pos.coords[ind_dim].values]
    assert (names == individuals) if len(individuals) > 1 else (len(names) == 1)
    # movement's layout: (time, space, keypoint, individual); ours (frames, ind, kp, xyz)
    got = pos.transpose("time", ind_dim, kp_dim, "space").values
    np.testing.assert_allclose(got, p.coords, equal_nan=True)
    np.testing.assert_allclose(ds["time"].values, np.arange(p.n_frames) / 30)
