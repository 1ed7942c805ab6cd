"""Pose tables with one header row (``<bodypart>_x, _y, _p``: SimBA's) read as poses."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dlc_lifter.errors import PoseFileError
from dlc_lifter.io import detect_format, read_poses
from tests.fixtures.toys import MOUSE_BODY, rigid_mouse

PARTS = ["Nose", "Ear_left", "Ear_right", "Tail_base"]


def _simba(path: Path, animals: tuple[int, ...] = (1, 2), *, index: str = "",
           likelihood: str | None = "_p", frames: np.ndarray | None = None) -> Path:
    """A SimBA-style table: ``Nose_1_x, Nose_1_y, Nose_1_p, ...``, values ``a*1000 + k*10 +
    (0 x, 1 y, 0.5 likelihood)`` plus the frame."""
    n = 6
    frames = np.arange(n) if frames is None else frames
    data: dict[str, np.ndarray] = {index: frames}
    for a in animals:
        for k, part in enumerate(PARTS):
            base = a * 1000 + k * 10 + np.arange(n)
            data[f"{part}_{a}_x"] = base + 0.0
            data[f"{part}_{a}_y"] = base + 1.0
            if likelihood:
                data[f"{part}_{a}{likelihood}"] = np.full(n, 0.5)
    pd.DataFrame(data).to_csv(path, index=False)
    return path


def test_a_simba_table_reads_with_its_names_and_the_plan_splits_its_animals(
        tmp_path: Path) -> None:
    from dlc_lifter.lift.keypoints import plan_lift_keypoints, split_animals

    f = _simba(tmp_path / "Tvideo_25.csv", index="scorer", frames=np.arange(10, 16))
    assert detect_format(f) == "flat-csv"
    p = read_poses(f)
    assert p.meta.source_format == "flat-csv" and p.n_individuals == 1
    assert list(p.keypoints) == [f"{b}_{a}" for a in (1, 2) for b in PARTS]
    np.testing.assert_array_equal(p.frame_indices, np.arange(10, 16))
    assert p.coords[2, 0, p.keypoints.index("Ear_left_2")].tolist() == [2012.0, 2013.0]
    np.testing.assert_allclose(p.confidence, 0.5)
    plan = plan_lift_keypoints(p, None)  # SimBA's numbered animals: one individual each
    assert split_animals(p, plan).n_individuals == 2


def test_likelihood_columns_are_named_in_several_ways_or_absent(tmp_path: Path,
                                                                caplog) -> None:
    one = read_poses(_simba(tmp_path / "a.csv", (1,), likelihood="_likelihood"))
    assert list(one.keypoints) == [f"{b}_1" for b in PARTS]
    np.testing.assert_allclose(one.confidence, 0.5)
    with caplog.at_level(logging.WARNING):
        bare = read_poses(_simba(tmp_path / "b.csv", (1,), likelihood=None))
    assert "no likelihood columns" in caplog.text
    np.testing.assert_allclose(bare.confidence, 1.0)


def test_inscopix_tables_name_coordinates_with_a_space(tmp_path: Path) -> None:
    """Inscopix's IDEAS toolbox writes DeepLabCut's poses as ``tail_tip x, tail_tip y,
    tail_tip likelihood`` after columns of frame numbers and times: read, the columns
    that are no coordinate left out, the first as the frame index."""
    (tmp_path / "camera-1.mp4").write_bytes(b"x")  # its video, beside it
    f = tmp_path / "camera-1_dlc_annotations.csv"
    data: dict[str, object] = {"Frame number": [3, 4], "Movie number": [0, 0],
                               "Time since start (s)": [0.0, 0.05]}
    for k, part in enumerate(["nose", "R_hind", "tail_base"]):
        data[f"{part} x"] = [10.0 * k + 1, 10.0 * k + 2]
        data[f"{part} y"] = [5.0 * k + 1, 5.0 * k + 2]
        data[f"{part} likelihood"] = [0.9, 0.2]
    pd.DataFrame(data).to_csv(f, index=False)
    assert detect_format(f) == "flat-csv"
    p = read_poses(f)
    assert list(p.keypoints) == ["nose", "R_hind", "tail_base"]
    np.testing.assert_array_equal(p.frame_indices, [3, 4])
    assert p.coords[1, 0, 2].tolist() == [22.0, 12.0]
    np.testing.assert_allclose(p.confidence[:, 0, 0], [0.9, 0.2])
    assert p.meta.video == str(tmp_path / "camera-1.mp4")
    # written beside the same points as an .h5: lift-files lifts the .h5 alone
    from dlc_lifter.io.find import find_pose_files

    h5 = tmp_path / "camera-1_dlc_pose_estimates.h5"
    p.to_dataframe().to_hdf(h5, key="df_with_missing", mode="w")
    found = find_pose_files(tmp_path)
    assert f not in found.files and found.passed_over[f].startswith("its .h5 twin")


def test_text_among_the_coordinates_is_one_clear_error(tmp_path: Path) -> None:
    f = tmp_path / "bad.csv"
    pd.DataFrame({"Nose_1_x": ["1", "oops"], "Nose_1_y": ["2", "3"]}).to_csv(f, index=False)
    with pytest.raises(PoseFileError, match=r"bad\.csv: a coordinate column holds text"):
        read_poses(f)


def test_a_deeplabcut_csv_is_still_deeplabcuts(tmp_path: Path) -> None:
    from tests.fixtures.toys import write_dlc_analysis

    h5 = write_dlc_analysis(rigid_mouse(5), tmp_path)
    csv = h5.with_suffix(".csv")
    pd.read_hdf(h5).to_csv(csv)
    assert detect_format(csv) == "dlc-csv"
    neither = tmp_path / "neither.csv"
    neither.write_text("a,b\n1,2\n")
    with pytest.raises(PoseFileError, match="DeepLabCut's header rows"):
        read_poses(neither)


def test_a_simba_table_lifts(tmp_path: Path) -> None:
    from dlc_lifter.camera import Camera
    from dlc_lifter.lift import CameraSpec, LiftOptions, OutputSpec, lift_file

    world = rigid_mouse(40, speed=60.0, yaw=0.4, start=(-40.0, 10.0))
    uv = Camera.top_view(500.0, 600.0, (640, 480)).project(world.coords[:, 0])
    names = {"nose": "Nose", "left_ear": "Ear_left", "right_ear": "Ear_right",
             "tail_base": "Tail_base"}
    data = {"": np.arange(len(uv))}
    for k, name in enumerate(MOUSE_BODY):
        if name in names:
            data[f"{names[name]}_1_x"], data[f"{names[name]}_1_y"] = uv[:, k, 0], uv[:, k, 1]
            data[f"{names[name]}_1_p"] = np.full(len(uv), 0.99)
    src = tmp_path / "clip.csv"
    pd.DataFrame(data).to_csv(src, index=False)
    out = lift_file(src, camera=CameraSpec(camera_height_mm=500.0, focal_px=600.0),
                    options=LiftOptions(depth=False), output=OutputSpec(destfolder=tmp_path))
    lifted = read_poses(out)
    assert lifted.is_3d and {f"{n}_1" for n in names.values()} <= set(lifted.keypoints)
    assert np.isfinite(lifted.coords).all()


def test_sleap_analysis_csv_is_read_per_track(tmp_path: Path,
                                              caplog: pytest.LogCaptureFixture) -> None:
    """SLEAP's analysis csv (one row per instance and frame: ``track, frame_idx,
    instance.score, <node>.x, <node>.y, <node>.score``) is read one individual per track,
    a user's point without a score as tracked, two instances of a track in a frame as the
    better one (warned); `lift-files` finds it."""
    from dlc_lifter.io import detect_format, read_poses
    from dlc_lifter.io.find import find_pose_files

    text = ("track,frame_idx,instance.score,nose.x,nose.y,nose.score,tail.x,tail.y,tail.score\n"
            "t0,0,0.9,10,20,0.8,30,40,0.7\n"
            "t1,0,0.8,50,60,0.9,,,0.0\n"
            "t0,2,0.9,11,21,,31,41,\n"
            "t0,2,0.5,99,99,0.9,99,99,0.9\n"
            "t1,2,0.7,1,2,0.9,3,4,0.9\n"
            "t1,2,0.7,5,6,0.9,7,8,0.9\n"  # equal scores: the first
            "t1,2,0.8,9,9,0.9,9,9,0.9\n")  # a later, better one
    f = tmp_path / "labels.000_video.analysis.csv"
    f.write_text(text)
    assert detect_format(f) == "sleap-csv"
    with caplog.at_level("WARNING"):
        p = read_poses(f)
    assert "more than one instance of a track" in caplog.text
    assert p.individuals == ["t0", "t1"] and p.keypoints == ["nose", "tail"]
    np.testing.assert_array_equal(p.frame_indices, [0, 2])
    np.testing.assert_allclose(p.coords[0, 0], [[10, 20], [30, 40]])
    np.testing.assert_allclose(p.coords[1, 0], [[11, 21], [31, 41]])  # the better instance
    np.testing.assert_allclose(p.confidence[1, 0], [1.0, 1.0])  # a user's points
    assert np.isnan(p.coords[0, 1, 1]).all()
    np.testing.assert_allclose(p.coords[1, 1], [[9, 9], [9, 9]])
    assert "1 frame holds more than one instance" in caplog.text and "3 left out" in caplog.text
    assert find_pose_files(tmp_path).files == [f]
    (tmp_path / "labels.slp").write_bytes(b"x")  # exported from it: the .slp is lifted
    found = find_pose_files(tmp_path)
    assert found.files == [tmp_path / "labels.slp"] and f in found.passed_over


def test_anipose_s_triangulated_table_is_refused_as_3d(tmp_path: Path) -> None:
    """anipose writes its 3D points as ``<bp>_x, _y, _z, _error, _ncams, _score``: not
    read as 2D pixels (its ``_score`` as a likelihood, ``_z`` left out), but refused."""
    f = tmp_path / "mouse_paw.csv"
    data: dict[str, list[float]] = {}
    for part in ("l-base", "r-base"):
        for col, v in (("x", -5.5), ("y", 3.2), ("z", 308.8), ("error", 5.4), ("ncams", 2.0),
                       ("score", 0.99)):
            data[f"{part}_{col}"] = [v, v]
    data["fnum"] = [0, 1]
    pd.DataFrame(data).to_csv(f, index=False)
    with pytest.raises(PoseFileError, match=r"holds 3D points \('l-base_z'.*anipose"):
        read_poses(f)


def _sleap_io_labels(video: str) -> object:
    """Two tracked mice over frames 0, 1, 3 (a point missing) and an untracked instance in
    frame 3, as sleap-io holds predictions; coordinates ``frame*100 + track*10 + node``."""
    import sleap_io as sio

    skeleton = sio.Skeleton(["nose", "left_ear", "right_ear", "tail_base"],
                            edges=[("nose", "tail_base")])
    tracks = [sio.Track("m1"), sio.Track("m2")]
    vid = sio.Video(filename=video, open_backend=False)
    frames = []
    for f in (0, 1, 3):
        instances = []
        for t, track in enumerate([*tracks, None] if f == 3 else tracks):
            pts = np.array([[f * 100 + t * 10 + k, f * 100 + t * 10 + k + 0.5] for k in range(4)])
            if f == 1 and t == 1:
                pts[2] = np.nan
            instances.append(sio.PredictedInstance.from_numpy(
                pts, skeleton=skeleton, point_scores=np.full(4, 0.9), score=0.8 - 0.1 * t,
                track=track, tracking_score=1.0))
        frames.append(sio.LabeledFrame(video=vid, frame_idx=f, instances=instances))
    return sio.Labels(labeled_frames=frames, videos=[vid], skeletons=[skeleton], tracks=tracks)


@pytest.mark.parametrize("layout", ["sleap", "instances", "frames", "points"])
def test_sleap_io_csv_layouts_read_as_the_labels_hold_them(tmp_path: Path, layout: str
                                                            ) -> None:
    """Every csv layout sleap-io's ``save_csv`` writes reads as the same poses: one
    individual per track (the untracked instance its own), frames as written, the missing
    point NaN; its metadata ``.json`` names the video and the skeleton's edges."""
    import sleap_io as sio

    video = tmp_path / "m1.mp4"
    video.write_bytes(b"not read")
    f = tmp_path / f"export_{layout}.csv"
    sio.save_csv(_sleap_io_labels(str(video)), f, format=layout, save_metadata=True)
    assert detect_format(f) == "sleap-csv"
    p = read_poses(f)
    assert p.individuals == ["m1", "m2", "individual0"]
    assert p.meta.extra["untracked_individuals"] == ["individual0"]  # no track in a 3D .slp
    assert p.keypoints == ["nose", "left_ear", "right_ear", "tail_base"]
    np.testing.assert_array_equal(p.frame_indices, [0, 1, 3])
    np.testing.assert_allclose(p.coords[2, 1, 3], [313, 313.5])
    np.testing.assert_allclose(p.coords[2, 2, 0], [320, 320.5])
    assert np.isnan(p.coords[1, 1, 2]).all() and np.isnan(p.coords[:2, 2]).all()
    np.testing.assert_allclose(p.confidence[0, 0], 0.9)
    assert p.meta.video == str(video)
    assert p.meta.extra["skeleton_edges"] == [("nose", "tail_base")]


def test_a_sleap_io_csv_of_two_videos_is_refused_naming_them(tmp_path: Path) -> None:
    f = tmp_path / "both.csv"
    f.write_text("frame_idx,video_path,track,score,nose.x,nose.y,tail.x,tail.y\n"
                 "0,a.mp4,t0,0.9,1,2,3,4\n0,b.mp4,t0,0.9,1,2,3,4\n")
    with pytest.raises(PoseFileError, match=r"poses of 2 videos \(a.mp4, b.mp4\).*video=i"):
        read_poses(f)


def test_text_in_a_sleap_io_points_csv_is_one_clear_error(tmp_path: Path) -> None:
    f = tmp_path / "points.csv"
    f.write_text("frame_idx,node,x,y,track\n0,nose,abc,2,t0\n")
    with pytest.raises(PoseFileError, match="holds text that is not a number"):
        read_poses(f)


def test_a_sleap_io_csv_beside_its_slp_is_passed_over(tmp_path: Path) -> None:
    from dlc_lifter.io.find import find_pose_files

    (tmp_path / "session.slp").write_bytes(b"x")
    (tmp_path / "session.csv").write_text("frame_idx,node,x,y,track\n0,nose,1,2,t0\n")
    found = find_pose_files([tmp_path])
    assert found.files == [tmp_path / "session.slp"]
    assert "session.slp beside it" in found.passed_over[tmp_path / "session.csv"]
