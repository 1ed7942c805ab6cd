"""JABS pose files (``<video>_pose_est_v<N>.h5``): read as JABS writes them, and lifted."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from dlc_lifter import PoseFileError, read_poses
from dlc_lifter.io import detect_format
from dlc_lifter.io.jabs import CORNER_NAMES, JABS_KEYPOINTS
from dlc_lifter.mouse.skeletons import KNOWN_SKELETONS

JABS = next(s for s in KNOWN_SKELETONS if s.name == "jabs")


def _mouse(seed: int, n: int = 60) -> tuple[np.ndarray, object]:
    """``(n, 12, 2)`` pixels (x, y) of a synthetic mouse with JABS's names, its camera."""
    from dlc_lifter.synth.skeleton_poses import skeleton_poses

    poses, cam = skeleton_poses(JABS, n_frames=n, seed=seed, arena_mm=520.0,
                                camera_height_mm=700.0, focal_px=800.0)
    assert list(poses.keypoints[:12]) == list(JABS_KEYPOINTS)
    return poses.coords[:, 0, :12], cam


def _write(path: Path, points_xy: np.ndarray, conf: np.ndarray, **extra: np.ndarray) -> Path:
    """A JABS file: points as JABS stores them, ``(y, x)`` 16-bit integers."""
    with h5py.File(path, "w") as fh:
        grp = fh.create_group("poseest")
        yx = np.nan_to_num(points_xy[..., ::-1]).round().astype(np.uint16)
        grp.create_dataset("points", data=yx)
        grp.create_dataset("confidence", data=conf.astype(np.float32))
        for key, value in extra.items():
            if key == "version":
                grp.attrs["version"] = value
            elif key == "cm_per_pixel":
                grp.attrs["cm_per_pixel"] = value
                grp.attrs["cm_per_pixel_source"] = "corner_detection"
            elif key == "corners":
                fh.create_dataset("static_objects/corners", data=value.astype(np.uint16))
            else:
                grp.create_dataset(key, data=value)
    return path


def test_single_mouse_v2_reads_x_y_and_missing_where_jabs_predicted_nothing(
        tmp_path: Path) -> None:
    xy, _ = _mouse(1)
    conf = np.full(xy.shape[:2], 0.9)
    conf[5, 0] = 0.0  # nose not predicted in frame 5
    f = _write(tmp_path / "cage1_pose_est_v2.h5", xy, conf)
    assert detect_format(f) == "jabs"
    poses = read_poses(f)
    assert poses.individuals == ["mouse"] and list(poses.keypoints) == list(JABS_KEYPOINTS)
    np.testing.assert_allclose(poses.coords[6, 0, 3], xy[6, 3], atol=0.5)  # x first
    assert poses.missing[5, 0, 0] and not poses.missing[5, 0, 1]
    assert poses.meta.source_format == "jabs" and poses.meta.extra["jabs_version"] == 2


def test_long_term_identities_corners_and_scale_give_the_arena(tmp_path: Path) -> None:
    """Version 4+: mice by long-term identity (0: no pose; above the identities: a pose
    given none, left out); the corners, in no order in the file, named by where they are;
    with cm_per_pixel they give the arena's size, and the lift takes its camera from them."""
    from dlc_lifter.io import meta_pickle_path
    from dlc_lifter.lift import CameraSpec, LiftOptions, OutputSpec, lift_file

    a, cam = _mouse(2)
    b, _ = _mouse(3)
    n = len(a)
    points = np.zeros((n, 3, 12, 2))
    conf = np.zeros((n, 3, 12))
    ids = np.zeros((n, 3), np.uint32)
    # identity 2 in slot 0 and identity 1 in slot 1 for the first half, swapped after
    half = n // 2
    points[:half, 0], points[:half, 1] = b[:half], a[:half]
    points[half:, 0], points[half:, 1] = a[half:], b[half:]
    ids[:half, 0], ids[:half, 1], ids[half:, 0], ids[half:, 1] = 2, 1, 1, 2
    conf[:, :2] = 0.8
    points[10, 2], conf[10, 2], ids[10, 2] = a[10], 0.8, 7  # no long-term identity
    corners_world = np.array([[0, 0, 0], [520, 0, 0], [520, 520, 0], [0, 520, 0]], float)
    corners_px = cam.project(corners_world)  # (x, y)
    px_per_mm = float(np.linalg.norm(corners_px[1] - corners_px[0])) / 520.0
    f = _write(tmp_path / "arena_pose_est_v5.h5", points, conf, version=np.array([5, 0]),
               instance_embed_id=ids, instance_id_center=np.zeros((2, 16), np.float32),
               instance_count=np.full(n, 2, np.uint8), cm_per_pixel=0.1 / px_per_mm,
               corners=corners_px[[2, 0, 3, 1]])
    poses = read_poses(f)
    assert poses.individuals == ["mouse1", "mouse2"]
    np.testing.assert_allclose(poses.coords[3, 0, :12], a[3], atol=0.5)  # identity 1
    np.testing.assert_allclose(poses.coords[half + 3, 1, :12], b[half + 3], atol=0.5)
    assert list(poses.keypoints[12:]) == list(CORNER_NAMES)
    s, d = corners_px.sum(1), corners_px[:, 0] - corners_px[:, 1]  # image y runs down
    expected = corners_px[[np.argmin(s), np.argmax(d), np.argmax(s), np.argmin(d)]]
    np.testing.assert_allclose(poses.coords[0, 0, 12:16], expected, atol=1.0)
    assert poses.meta.extra["floor_mm_per_px"] == pytest.approx(1.0 / px_per_mm)

    out = lift_file(f, camera=CameraSpec(), options=LiftOptions(depth=False),
                    output=OutputSpec(destfolder=tmp_path / "out"))
    meta = pd.read_pickle(meta_pickle_path(out))["data"]
    assert meta["camera_source"] == "arena-corners"
    assert np.ravel(meta["camera_estimate"]["arena_size_mm"]) == pytest.approx(520.0, abs=2.0)
    est = meta["camera_estimate"]  # straight down: the floor's scale, not the height
    assert est["height_mm"] / est["focal_px"] == pytest.approx(700.0 / 800.0, rel=0.03)
    lifted = read_poses(out)
    nose = lifted.coords[:, :, list(lifted.keypoints).index("NOSE")]
    assert np.nanmedian(nose[..., 2]) < 60.0


def test_tracklets_v3_are_packed_into_as_many_mice_as_there_are_at_once(
        tmp_path: Path) -> None:
    a, _ = _mouse(4, n=40)
    points = np.zeros((40, 2, 12, 2))
    conf = np.zeros((40, 2, 12))
    track = np.zeros((40, 2), np.uint32)
    points[:, 0], conf[:, 0] = a, 0.9
    track[:20, 0], track[20:, 0] = 3, 5  # one mouse, two tracklets one after the other
    points[:10, 1], conf[:10, 1], track[:10, 1] = a[:10] + 100, 0.9, 4  # a second, briefly
    f = _write(tmp_path / "t_pose_est_v3.h5", points, conf, version=np.array([3, 0]),
               instance_track_id=track,
               instance_count=np.where(np.arange(40) < 10, 2, 1).astype(np.uint8))
    poses = read_poses(f)
    assert poses.individuals == ["mouse1", "mouse2"]
    assert not poses.missing[:, 0, 0].any()  # tracklets 3 then 5 share a lane
    assert (~poses.missing[:, 1, 0]).sum() == 10


def test_not_jabs_shapes_is_one_clear_error(tmp_path: Path) -> None:
    f = tmp_path / "odd_pose_est_v2.h5"
    with h5py.File(f, "w") as fh:
        fh["poseest/points"] = np.zeros((5, 7, 2), np.uint16)
        fh["poseest/confidence"] = np.zeros((5, 7), np.float32)
    with pytest.raises(PoseFileError, match="JABS") as info:
        read_poses(f)
    assert str(f) in str(info.value)


def test_format_is_named_from_one_opening_of_the_file(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """``detect_format`` opens an HDF5 pose file once: it checks that it opens and reads
    its layout from the same handle (a JABS file is the last layout but one it tries)."""
    xy, _ = _mouse(0, n=5)
    f = _write(tmp_path / "cage1_pose_est_v2.h5", xy, np.full(xy.shape[:2], 0.9))
    opened: list[str] = []

    class Counting(h5py.File):
        def __init__(self, name: object, *args: object, **kwargs: object) -> None:
            opened.append(str(name))
            super().__init__(name, *args, **kwargs)

    monkeypatch.setattr(h5py, "File", Counting)
    assert detect_format(f) == "jabs"
    assert opened == [str(f)]


@pytest.mark.parametrize("nested", [False, True])
def test_a_jabs_behaviour_prediction_file_is_named_as_such(tmp_path: Path,
                                                           nested: bool) -> None:
    """JABS writes behaviour predictions (``predictions/predicted_class``, or one group per
    behaviour) to ``.h5`` files too; a real one was refused with DeepLabCut's advice (pass
    the ``.h5`` analyze_videos wrote). The refusal says what it is and names the pose file."""
    path = tmp_path / "sample_file.h5"
    with h5py.File(path, "w") as fh:
        fh.attrs["source_pose_major_version"] = 2
        grp = fh.create_group("predictions/Rearing" if nested else "predictions")
        grp.create_dataset("predicted_class", data=np.zeros((1, 50), np.int8))
        grp.create_dataset("probabilities", data=np.zeros((1, 50), np.float32))
    with pytest.raises(PoseFileError, match=r"JABS behaviour predictions .* not poses\. Pass "
                       r"the pose file JABS classified: <video>_pose_est_v2\.h5"):
        read_poses(path)
