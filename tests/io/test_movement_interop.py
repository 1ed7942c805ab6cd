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


@pytest.mark.parametrize("individuals", [["individual0"], ["m1", "m2"]])
def test_movement_reads_the_likelihood_from_our_nwb(tmp_path: Path,
                                                    individuals: list[str]) -> None:
    """movement reads our 3D ``.h5`` with no confidence (DeepLabCut's 3D layout has no
    likelihood column: its ``filter_by_confidence`` would then drop every point), and our
    NWB with it: each animal's ``PoseEstimation`` (``PoseEstimation_<animal>`` for
    several) loads with ``from_nwb_file``, points and likelihoods as lifted (README)."""
    load_poses = pytest.importorskip(
        "movement.io.load_poses",
        reason="movement is not installed (it needs numpy 2; it is in the Python 3.13 "
               "test environment only)")
    from dlc_lifter.io.nwb import write_nwb_3d

    p = _poses3d(individuals)
    p.meta.fps = 30.0
    h5 = write_dlc_3d(p, tmp_path / "vidDLC_resnet50_testMay1shuffle1_1000_lifted3d.h5")
    assert np.isnan(load_poses.from_dlc_file(h5, fps=30)["confidence"].values).all()
    nwb = write_nwb_3d(p, tmp_path / "vidDLC_resnet50_testMay1shuffle1_1000_lifted3d.nwb",
                       metadata={"session_start_time": "2026-01-01T00:00:00+00:00",
                                 "subject": {"subject_id": "m", "species": "Mus musculus",
                                             "sex": "U", "age": "P90D"}})
    for i, ind in enumerate(individuals):
        key = "PoseEstimation" if len(individuals) == 1 else f"PoseEstimation_{ind}"
        ds = load_poses.from_nwb_file(nwb, pose_estimation_key=key)
        kp_dim = "keypoint" if "keypoint" in ds["position"].dims else "keypoints"
        order = [DLC_KEYPOINTS.index(str(k)) for k in ds["position"].coords[kp_dim].values]
        pos = ds["position"].transpose("time", kp_dim, "space", ...).values[..., 0]
        conf = ds["confidence"].transpose("time", kp_dim, ...).values[..., 0]
        np.testing.assert_allclose(pos, p.coords[:, i, order], equal_nan=True)
        np.testing.assert_allclose(conf, p.confidence[:, i, order], equal_nan=True)
        assert np.isfinite(conf).any()
