"""Readers and the 3D writer on real files written by DeepLabCut, DLC2NWB and SLEAP."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dlc_lifter import read_dlc_config, read_poses, write_dlc_3d
from dlc_lifter.errors import KeypointMappingError
from dlc_lifter.mouse.catalogue import UnknownKeypointError
from dlc_lifter.mouse.keypoint_map import map_keypoints, plan_keypoint_map
from tests.fixtures.realdata import OPENFIELD, REALDATA, SLEAP_CLIP, needs_realdata

pytestmark = needs_realdata()
ANALYZED = OPENFIELD / "analyzed" / "m3v1mp4DLC_resnet50_openfieldAug20shuffle1_30000"
LABELS = OPENFIELD / "labeled-data" / "m4s1" / "CollectedData_Pranav"
REACHING_3D = REALDATA / "dlc-3d-reaching" / "reachingDEMO_3D.h5"


def test_openfield_h5_and_nwb_twin_agree() -> None:
    h5 = read_poses(ANALYZED.with_suffix(".h5"))
    nwb = read_poses(ANALYZED.with_suffix(".nwb"))
    assert h5.coords.shape == (2330, 1, 4, 2)
    assert h5.keypoints == ["snout", "leftear", "rightear", "tailbase"] == nwb.keypoints
    assert h5.meta.source_format == "dlc-h5" and nwb.meta.source_format == "nwb"
    assert h5.meta.scorer == "DLC_resnet50_openfieldAug20shuffle1_30000"
    assert h5.meta.video is not None and Path(h5.meta.video).name == "m3v1mp4.mp4"
    assert h5.meta.image_size == (640, 480)
    assert h5.meta.fps == pytest.approx(30, rel=1e-3)
    np.testing.assert_allclose(h5.coords, nwb.coords, equal_nan=True)
    np.testing.assert_allclose(h5.confidence, nwb.confidence, equal_nan=True)
    np.testing.assert_array_equal(h5.frame_indices, nwb.frame_indices)
    assert map_keypoints(h5.keypoints) == {"snout": "nose", "leftear": "left_ear",
                                           "rightear": "right_ear", "tailbase": "tail_base"}


@pytest.mark.parametrize("ext", [".h5", ".csv"])
def test_collected_data(ext: str) -> None:
    p = read_poses(LABELS.with_suffix(ext))
    assert p.n_frames == 116 and p.n_keypoints == 4
    assert p.meta.source_format == "dlc-labels" and p.meta.scorer == "Pranav"
    assert p.meta.extra["image_paths"][0] == "labeled-data/m4s1/img0000.png"
    assert p.meta.image_size == (640, 480)


def test_collected_data_h5_and_csv_agree() -> None:
    a, b = read_poses(LABELS.with_suffix(".h5")), read_poses(LABELS.with_suffix(".csv"))
    np.testing.assert_allclose(a.coords, b.coords, equal_nan=True)


def test_config_read_without_modifying_it() -> None:
    path = OPENFIELD / "config.yaml"
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    cfg = read_dlc_config(path)
    assert cfg.bodyparts == ["snout", "leftear", "rightear", "tailbase"]
    assert cfg.pcutoff == pytest.approx(0.4) and not cfg.multianimalproject
    assert cfg.task == "openfield" and cfg.scorer == "Pranav"
    p = read_poses(ANALYZED.with_suffix(".h5"), config=path)
    assert p.meta.extra["pcutoff"] == pytest.approx(0.4)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_sleap_user_labels() -> None:
    p = read_poses(SLEAP_CLIP / "clip.slp")
    assert p.n_keypoints == 13 and p.individuals == ["female", "male"]
    assert p.n_frames == 1500 and p.meta.source_format == "sleap-slp"
    assert np.nanmin(p.confidence) == 1.0  # user labels
    assert p.meta.image_size == (1024, 1024)


def test_sleap_predictions_and_mouse_mapping_error() -> None:
    path = SLEAP_CLIP / "clip.predictions.slp"
    p = read_poses(path)
    assert p.keypoints == ["head", "thorax"] and p.individuals == ["female", "male"]
    assert p.n_frames == 1500
    assert 0 < np.nanmean(p.confidence) < 1
    assert p.meta.video is not None and Path(p.meta.video).name == "clip.mp4"
    with pytest.raises(UnknownKeypointError) as info:
        map_keypoints(p.keypoints, source=str(path))
    msg = str(info.value)
    assert "thorax" in msg and str(path) in msg and "keypoint_map" in msg
    # a fly's head alone (a bare "head" reads as a mouse's head) is not a liftable mouse
    with pytest.raises(KeypointMappingError) as refused:
        plan_keypoint_map(p.keypoints).require_liftable(str(path))
    assert "head" in str(refused.value) and "thorax" in str(refused.value)


def test_3d_writer_matches_dlc_triangulate_output(tmp_path: Path) -> None:
    real = read_poses(REACHING_3D)
    out = write_dlc_3d(real, tmp_path / "reachingDEMO_lifted3d.h5")
    ref, ours = pd.read_hdf(REACHING_3D), pd.read_hdf(out)
    assert list(ours.columns.names) == list(ref.columns.names)
    assert ours.columns.equals(ref.columns)
    assert (ours.dtypes == ref.dtypes).all()
    assert ours.index.dtype == ref.index.dtype and ours.index.equals(ref.index)
    pd.testing.assert_frame_equal(ours, ref)
    with pd.HDFStore(REACHING_3D, "r") as a, pd.HDFStore(out, "r") as b:
        assert a.keys() == b.keys() == ["/df_with_missing"]
        assert (a.get_storer("df_with_missing").format_type
                == b.get_storer("df_with_missing").format_type == "table")


def test_open_video() -> None:
    from dlc_lifter.io import open_video, video_info

    path = OPENFIELD / "videos" / "m3v1mp4.mp4"
    info = video_info(path)
    assert info["n_frames"] == 2330 and info["size"] == (640, 480)
    assert info["fps"] == pytest.approx(30, rel=1e-3)
    with open_video(path) as v:
        frame = v.read(100)
        assert frame.shape == (480, 640, 3) and frame.dtype == np.uint8
        first = next(iter(v))
        np.testing.assert_array_equal(first, v.read(0))
