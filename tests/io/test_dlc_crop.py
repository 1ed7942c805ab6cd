"""DeepLabCut's crops: ``analyze_videos`` with ``cropping`` (its ``_meta.pickle``) and
labelled data extracted with ``crop=True`` (the project's ``video_sets`` crop) are read in
the full frame's pixels."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dlc_lifter import read_poses
from dlc_lifter.io.dlc import _read_meta_pickle
from dlc_lifter.lift import CameraSpec, LiftOptions, lift_file
from tests.fixtures.toys import DLC_SCORER, random_poses, write_dlc_analysis, write_toy_video

CROP = [100, 500, 50, 400]  # x1, x2, y1, y2 of a 640 x 480 video


def _cropped_analysis(folder: Path, data: dict, seed: int = 0) -> tuple[Path, np.ndarray]:
    """An ``analyze_videos`` output whose keypoints are relative to ``CROP`` (as DLC writes
    them with ``cropping``), its meta pickle ``data``; and the full-frame keypoints."""
    rel = random_poses(8, coord_range=(120.0, 380.0), seed=seed)
    coords = rel.coords.copy()
    rel.coords = coords - [CROP[0], CROP[2]]
    h5 = write_dlc_analysis(rel, folder, "m1", DLC_SCORER)
    with h5.with_name(f"{h5.stem}_meta.pickle").open("wb") as fh:
        pickle.dump({"data": data}, fh, pickle.HIGHEST_PROTOCOL)
    return h5, coords


def test_tensorflow_cropped_analysis_is_put_in_the_full_frame(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """DLC 2.x (TensorFlow): ``cropping`` True, ``cropping_parameters`` [x1, x2, y1, y2],
    ``frame_dimensions`` the full video's (h, w): x1, y1 are added once, and said."""
    h5, full = _cropped_analysis(tmp_path, {
        "fps": 30.0, "frame_dimensions": (480, 640), "cropping": True,
        "cropping_parameters": CROP})
    with caplog.at_level(logging.INFO):
        p = read_poses(h5)
    np.testing.assert_allclose(p.coords, full, equal_nan=True)
    assert p.meta.image_size == (640, 480)
    assert p.meta.extra["dlc_cropping"]["cropping_parameters"] == CROP
    assert p.meta.extra["dlc_cropping"]["offset_added_px"] == [100, 50]
    assert "(100, 50) px added" in caplog.text


def test_pytorch_cropped_analysis_records_the_crop_s_size(tmp_path: Path) -> None:
    """DLC 3 (PyTorch): ``frame_dimensions`` is the crop's (w, h), not the video's: the
    keypoints are offset and the frame size is left to the video (unknown without it)."""
    h5, full = _cropped_analysis(tmp_path, {
        "fps": 30.0, "frame_dimensions": (400, 350), "cropping": True,
        "cropping_parameters": CROP, "pytorch-config": {"net_type": "resnet_50"}})
    p = read_poses(h5)
    np.testing.assert_allclose(p.coords, full, equal_nan=True)
    assert p.meta.image_size is None


def test_pytorch_frame_dimensions_are_width_first(tmp_path: Path) -> None:
    """DLC 3's PyTorch engine writes ``frame_dimensions`` as (w, h) (``video.dimensions``),
    even where the points do not reach beyond the height to tell."""
    h5 = write_dlc_analysis(random_poses(5, coord_range=(10, 400)), tmp_path, "m1", DLC_SCORER)
    with h5.with_name(f"{h5.stem}_meta.pickle").open("wb") as fh:
        pickle.dump({"data": {"fps": 30.0, "frame_dimensions": (640, 480), "cropping": False,
                              "cropping_parameters": [0, 640, 0, 480],
                              "pytorch-config": {}}}, fh)
    assert read_poses(h5).meta.image_size == (640, 480)


def test_uncropped_or_dynamic_analysis_is_left_as_it_is(tmp_path: Path) -> None:
    """``cropping`` False (dynamic cropping alone writes full-frame pixels, and no crop):
    nothing added, nothing recorded."""
    h5, full = _cropped_analysis(tmp_path, {
        "fps": 30.0, "frame_dimensions": (480, 640), "cropping": False,
        "cropping_parameters": [0, 640, 0, 480]})
    p = read_poses(h5)
    np.testing.assert_allclose(p.coords, full - [CROP[0], CROP[2]], equal_nan=True)
    assert "dlc_cropping" not in p.meta.extra


def test_unreadable_crop_is_warned(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    h5, full = _cropped_analysis(tmp_path, {
        "fps": 30.0, "frame_dimensions": (480, 640), "cropping": True,
        "cropping_parameters": [500, 100, 50, 400]})
    with caplog.at_level(logging.WARNING):
        p = read_poses(h5)
    np.testing.assert_allclose(p.coords, full - [CROP[0], CROP[2]], equal_nan=True)
    assert "cropping_parameters" in caplog.text and str(h5) in caplog.text


def test_cropped_and_uncropped_analyses_lift_alike(tmp_path: Path) -> None:
    """One video analysed cropped and uncropped lifts to the same 3D; the output's meta
    records the crop."""
    crop, _ = _cropped_analysis(tmp_path / "crop", {
        "fps": 30.0, "frame_dimensions": (480, 640), "cropping": True,
        "cropping_parameters": CROP}, seed=3)
    ref = write_dlc_analysis(random_poses(8, coord_range=(120.0, 380.0), seed=3),
                             tmp_path / "ref", "m1", DLC_SCORER)
    with ref.with_name(f"{ref.stem}_meta.pickle").open("wb") as fh:
        pickle.dump({"data": {"fps": 30.0, "frame_dimensions": (480, 640),
                              "cropping": False, "cropping_parameters": [0, 640, 0, 480]}}, fh)
    cam = CameraSpec(camera_height_mm=600.0, focal_px=700.0)
    opts = LiftOptions(depth=False, mode="frame")
    out_c = lift_file(crop, camera=cam, options=opts)
    out_r = lift_file(ref, camera=cam, options=opts)
    np.testing.assert_allclose(pd.read_hdf(out_c).to_numpy(), pd.read_hdf(out_r).to_numpy(),
                               atol=1e-6, equal_nan=True)
    meta = _read_meta_pickle(out_c.with_name(f"{out_c.stem}_meta.pickle"))
    assert meta["extra"]["dlc_cropping"]["cropping_parameters"] == CROP
    assert meta["frame_dimensions"] == (480, 640)


# ----------------------------------------------------------------------------- labelled data
def _labelled_project(tmp_path: Path, crop: str, *, video: bool, images: bool = False
                      ) -> tuple[Path, np.ndarray]:
    """A DLC project whose ``labeled-data/session1`` was extracted with ``crop`` (the labels
    relative to it); the project's video (640 x 480) in ``videos/`` when ``video``. Returns
    the labels' csv and the labels in the full frame's pixels."""
    project = tmp_path / "proj"
    folder = project / "labeled-data" / "session1"
    folder.mkdir(parents=True)
    (project / "config.yaml").write_text(
        "Task: t\nscorer: Alice\nbodyparts:\n- snout\nvideo_sets:\n"
        f"  C:\\videos\\session1.mp4:\n    crop: {crop}\n", encoding="utf-8")
    if video:
        (project / "videos").mkdir()
        write_toy_video(project / "videos" / "session1.mp4", 3, size=(640, 480))
    x1, _, y1, _ = (int(v) for v in crop.split(","))
    p = random_poses(4, coord_range=(130.0, 300.0))
    full = p.coords.copy()
    p.coords = full - [x1, y1]
    df = p.to_dataframe(scorer="Alice", likelihood=False)
    imgs = [f"img{i:04d}.png" for i in range(p.n_frames)]
    df.index = pd.MultiIndex.from_tuples([("labeled-data", "session1", i) for i in imgs])
    f = folder / "CollectedData_Alice.csv"
    df.to_csv(f)
    if images:
        import cv2

        x1, x2, y1, y2 = (int(v) for v in crop.split(","))
        for name in imgs:
            cv2.imwrite(str(folder / name), np.zeros((y2 - y1, x2 - x1, 3), np.uint8))
    return f, full


def test_labels_of_a_cropped_extraction_are_put_in_the_video_s_frame(tmp_path: Path) -> None:
    """``extract_frames(crop=True)``: the labels are relative to the crop; they are moved
    by (x1, y1) once (also with the config given) and the frame size is the video's."""
    f, full = _labelled_project(tmp_path, "100, 420, 50, 290", video=True)
    q = read_poses(f)
    np.testing.assert_allclose(q.coords, full, equal_nan=True)
    assert q.meta.image_size == (640, 480)
    assert q.meta.extra["labels_crop"]["offset_added_px"] == [100, 50]
    again = read_poses(f, config=f.parents[2] / "config.yaml")
    np.testing.assert_allclose(again.coords, full, equal_nan=True)


def test_labels_beside_their_cropped_images_are_put_in_the_frame(tmp_path: Path) -> None:
    f, full = _labelled_project(tmp_path, "100, 420, 50, 290", video=True, images=True)
    q = read_poses(f)
    np.testing.assert_allclose(q.coords, full, equal_nan=True)
    assert q.meta.image_size == (640, 480)


def test_labels_of_a_crop_without_its_video_say_the_size_is_unknown(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    f, full = _labelled_project(tmp_path, "100, 420, 50, 290", video=False)
    with caplog.at_level(logging.WARNING):
        q = read_poses(f)
    np.testing.assert_allclose(q.coords, full, equal_nan=True)
    assert q.meta.image_size is None
    assert "--image-size" in caplog.text and "session1.mp4" in caplog.text


def test_labels_of_the_default_whole_frame_crop_are_unchanged(tmp_path: Path) -> None:
    f, full = _labelled_project(tmp_path, "0, 640, 0, 480", video=False)
    q = read_poses(f)
    np.testing.assert_allclose(q.coords, full, equal_nan=True)
    assert q.meta.image_size == (640, 480)


def _training_set(tmp_path: Path, crops: dict[str, str], videos: dict[str, tuple[int, int]],
                  index: str = "multi") -> tuple[Path, np.ndarray, list[str]]:
    """A DLC project's training set (``training-datasets/iteration-0/
    UnaugmentedDataSet_tDec7/CollectedData_Alice.h5``) of two rows from each video of
    ``crops`` (its ``video_sets`` crop, the labels relative to it); the project's videos of
    ``videos`` sizes in ``videos/``. ``index``: ``multi`` (DLC 2.2+), ``posix`` or
    ``windows`` (one path string per row, as earlier DLCs wrote). Returns the file, the
    labels in the full frames' pixels and each row's video."""
    project = tmp_path / "proj"
    folder = project / "training-datasets" / "iteration-0" / "UnaugmentedDataSet_tDec7"
    folder.mkdir(parents=True)
    sets = "".join(f"  C:\\videos\\{v}.mp4:\n    crop: {c}\n" for v, c in crops.items())
    (project / "config.yaml").write_text(
        f"Task: t\nscorer: Alice\nbodyparts:\n- snout\nvideo_sets:\n{sets}", encoding="utf-8")
    if videos:
        (project / "videos").mkdir()
    for v, size in videos.items():
        write_toy_video(project / "videos" / f"{v}.mp4", 3, size=size)
    rows = [v for v in crops for _ in range(2)]
    p = random_poses(len(rows), coord_range=(130.0, 290.0))
    full = p.coords.copy()
    offsets = np.array([[int(crops[v].split(",")[0]), int(crops[v].split(",")[2])]
                        for v in rows], float)
    p.coords = full - offsets[:, None, None, :]
    df = p.to_dataframe(scorer="Alice", likelihood=False)
    names = [("labeled-data", v, f"img{i:03d}.png") for i, v in enumerate(rows)]
    if index == "multi":
        df.index = pd.MultiIndex.from_tuples(names)
    else:
        sep = "/" if index == "posix" else "\\"
        df.index = [sep.join(n) for n in names]
    f = folder / "CollectedData_Alice.h5"
    df.to_hdf(f, key="df_with_missing", mode="w")
    return f, full, rows


@pytest.mark.parametrize("index", ["multi", "posix", "windows"])
def test_a_training_set_takes_its_project_s_frame_size(tmp_path: Path, index: str) -> None:
    """A training set's rows (from several videos, each cropped ``0, 500, 0, 500`` from the
    corner, the videos not here) are frames of 500 x 500 from the project's config three
    folders up, not a size guessed from the keypoints; the config given serves the same."""
    f, full, _ = _training_set(tmp_path, {"v1": "0, 500, 0, 500", "v2": "0, 500, 0, 500"},
                               {}, index)
    q = read_poses(f)
    assert q.meta.image_size == (500, 500)
    assert "config.yaml" in q.meta.extra["image_size_from"]
    np.testing.assert_allclose(q.coords, full, equal_nan=True)
    assert set(q.meta.extra["labels_crop"]["videos"]) == {"v1", "v2"}
    again = read_poses(f, config=f.parents[3] / "config.yaml")
    assert again.meta.image_size == (500, 500)
    np.testing.assert_allclose(again.coords, full, equal_nan=True)


def test_a_training_set_s_rows_take_their_own_video_s_crop(tmp_path: Path) -> None:
    """Each row is moved by its own video's crop (``v1`` cropped at (100, 50), ``v2`` the
    whole frame), and the frame size is set, being the same for both videos."""
    f, full, rows = _training_set(
        tmp_path, {"v1": "100, 420, 50, 290", "v2": "0, 640, 0, 480"}, {"v1": (640, 480)})
    q = read_poses(f)
    np.testing.assert_allclose(q.coords, full, equal_nan=True)
    assert q.meta.image_size == (640, 480)
    done = q.meta.extra["labels_crop"]["videos"]
    assert done["v1"]["offset_added_px"] == [100, 50] and done["v1"]["rows"] == 2
    assert done["v2"]["offset_added_px"] == [0, 0]
    assert read_poses(f).coords.tolist() == q.coords.tolist()  # moved once per read


def test_a_training_set_of_videos_of_different_sizes_leaves_the_size_unknown(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    f, full, _ = _training_set(
        tmp_path, {"v1": "100, 420, 50, 290", "v2": "0, 500, 0, 500"}, {"v1": (640, 480)})
    with caplog.at_level(logging.WARNING):
        q = read_poses(f)
    np.testing.assert_allclose(q.coords, full, equal_nan=True)
    assert q.meta.image_size is None
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warned) == 1, warned
    assert str(f) in warned[0] and "labeled-data/<video>/CollectedData" in warned[0]
    assert "v1 640x480" in warned[0] and "v2 500x500" in warned[0]


def test_a_training_set_of_videos_of_unknown_size_says_what_to_give(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A video cropped away from the corner, not here: its rows are moved, the frame size
    is unknown, and the warning names the file and the flag to give it."""
    f, full, _ = _training_set(
        tmp_path, {"v1": "100, 420, 50, 290", "v2": "0, 640, 0, 480"}, {})
    with caplog.at_level(logging.WARNING):
        q = read_poses(f)
    np.testing.assert_allclose(q.coords, full, equal_nan=True)
    assert q.meta.image_size is None
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warned) == 1 and str(f) in warned[0] and "--image-size" in warned[0]
    assert "v1 unknown" in warned[0]


@pytest.mark.parametrize(("crop", "size"), [
    ("0, 1280, 0, 720", (1280, 720)),  # as DeepLabCut records a video added to a project
    ("100, 1280, 0, 720", None),  # cropped for labelling: not the frame
    ("0, 300, 0, 200", None),  # points outside it: a crop, not the frame
])
def test_an_analysis_output_in_its_project_takes_the_video_sets_frame_size(
        tmp_path: Path, crop: str, size: tuple[int, int] | None) -> None:
    """A real DeepLabCut 3 project's ``videos/`` output whose video was not there had its
    frame size guessed from the keypoints (881x664; the camera 192 instead of 238 mm up),
    though ``config.yaml`` records ``crop: 0, 1280, 0, 720`` for that video (a Windows
    path). Read beside its project (``<project>/videos/``, no ``_meta.pickle``), the frame
    is the crop's where it starts at the corner and holds every point."""
    (tmp_path / "videos").mkdir()
    (tmp_path / "config.yaml").write_text(
        "Task: t\nscorer: s\nbodyparts:\n- nose\n- tail_base\nvideo_sets:\n"
        f"  C:\\Users\\lab\\proj\\videos\\LE609.mp4:\n    crop: {crop}\n")
    p = random_poses(8, coord_range=(250.0, 700.0), seed=3)
    h5 = write_dlc_analysis(p, tmp_path / "videos", "LE609", DLC_SCORER)
    got = read_poses(h5)
    assert got.meta.image_size == size
    if size is not None:
        assert "video_sets crop of LE609" in got.meta.extra["image_size_from"]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    h5.rename(elsewhere / h5.name)  # not in its project's videos folder: not looked for
    assert read_poses(elsewhere / h5.name).meta.image_size is None


def test_a_labels_file_of_several_videos_outside_a_training_set_is_said(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A lab's merged labels (a real ``CollectedData_Juan.csv`` of four videos' rows, each
    video cropped its own way, beside its config rather than in a project) were lifted as
    one camera's without a word: it is said, naming the videos. A training set (its rows
    put in their own videos' frames) is not warned of."""
    f, _, _ = _training_set(tmp_path, {"v1": "0, 500, 0, 500", "v2": "10, 500, 0, 500"}, {})
    merged = tmp_path / "merged" / "CollectedData_Alice.h5"
    merged.parent.mkdir()
    merged.write_bytes(f.read_bytes())
    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        read_poses(f)
    assert "images of 2 videos" not in caplog.text
    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        read_poses(merged)
    assert f"{merged}: its rows are images of 2 videos (v1, v2): lifted as seen by one " \
        "camera" in caplog.text
