"""Our 3D output read by ``movement`` (``load_poses.from_dlc_file``), values checked.

movement needs numpy 2, so it is installed only in the Python 3.13 test environment
(``.ci/test-envs``); elsewhere this test is skipped with that reason.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dlc_lifter import Poses, write_dlc_3d

KPS = ["snout", "leftear", "rightear", "tailbase"]


def _poses3d(individuals: list[str]) -> Poses:
    rng = np.random.default_rng(3)
    n = 7
    coords = rng.uniform(-200, 200, (n, len(individuals), len(KPS), 3))
    coords[..., 2] = rng.uniform(0, 60, coords.shape[:-1])
    coords[2, 0, 1] = np.nan
    conf = rng.uniform(0.1, 1, coords.shape[:-1])
    conf[2, 0, 1] = np.nan
    p = Poses(coords, conf, keypoints=KPS, individuals=individuals,
              frame_indices=np.arange(n))
    p.meta.scorer = "DLC_resnet50_testMay1shuffle1_1000"
    p.meta.units, p.meta.frame = "mm", "world"
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
    assert [str(k) for k in pos.coords[kp_dim].values] == KPS
    # a single-animal table has no individuals level; movement names it itself
    names = [str(i) for i in pos.coords[ind_dim].values]
    assert (names == individuals) if len(individuals) > 1 else (len(names) == 1)
    # movement's layout: (time, space, keypoint, individual); ours (frames, ind, kp, xyz)
    got = pos.transpose("time", ind_dim, kp_dim, "space").values
    np.testing.assert_allclose(got, p.coords, equal_nan=True)
    np.testing.assert_allclose(ds["time"].values, np.arange(p.n_frames) / 30)
