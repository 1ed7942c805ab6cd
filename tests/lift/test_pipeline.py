"""lift_file / dlc-lifter lift: outputs, camera sources, errors, real data."""

from __future__ import annotations

import dataclasses
import logging
import math
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch

from dlc_lifter.camera import Camera
from dlc_lifter.errors import DLCLifterError, OutputExistsError
from dlc_lifter.io.calibration import write_anipose
from dlc_lifter.lift.options import CameraSpec, LiftOptions, OutputSpec
from dlc_lifter.mouse.catalogue import CATALOGUE, UnknownKeypointError
from dlc_lifter.nets.data import TrackingNoise, simulate_tracking
from dlc_lifter.poses import PoseMetadata, Poses
from tests.fixtures.realdata import OPENFIELD_H5, SLEAP_CLIP, needs_realdata
from tests.fixtures.toys import (
    DLC_SCORER,
    file_sha256,
    write_dlc_analysis,
    write_labels_package,
    write_toy_video,
)

torch.set_num_threads(1)

#: DLC-style names of the tracked keypoints, and their catalogue landmarks.
NAMES = {"snout": "nose", "leftear": "left_ear", "rightear": "right_ear", "neck": "neck",
         "bodycenter": "mouse_center", "tailbase": "tail_base", "tailmid": "tail3"}


def _scene(n_frames: int = 90, camera: Camera | None = None, seed: int = 21
           ) -> tuple[Camera, np.ndarray, Poses]:
    from dlc_lifter.mouse.behaviour import generate_sequences

    seq = generate_sequences(1, n_frames, seed=seed)[0]
    cam = camera or Camera.top_view(600.0, 640.0, (640, 480), centre_xy=(250.0, 250.0))
    idx = [CATALOGUE.index(v) for v in NAMES.values()]
    uv, conf, _ = simulate_tracking(seq.landmarks, cam, np.random.default_rng(seed),
                                    noise=TrackingNoise(sigma_px=(0.5, 0.6), jump_prob=0.0,
                                                        swap_prob=0.0))
    poses = Poses(coords=uv[:, idx], confidence=conf[:, idx], keypoints=list(NAMES),
                  meta=PoseMetadata(scorer=DLC_SCORER, fps=30.0, image_size=cam.image_size))
    return cam, seq.landmarks[:, idx], poses


def test_lift_file_writes_dlc_3d_and_leaves_input(tmp_path: Path) -> None:
    from dlc_lifter.io import read_poses
    from dlc_lifter.lift import lift_file

    cam, truth, poses = _scene()
    src = write_dlc_analysis(poses, tmp_path / "in", meta_pickle=True)
    before = file_sha256(src)
    out = lift_file(src, camera=CameraSpec(camera_height_mm=600.0, focal_px=640.0),
                    output=OutputSpec(destfolder=tmp_path / "out", save_as_csv=True, nwb=True))
    assert out == tmp_path / "out" / f"mouse1{DLC_SCORER}_lifted3d.h5"
    assert file_sha256(src) == before and len(list(src.parent.iterdir())) == 2
    df = pd.read_hdf(out)
    assert list(df.columns.get_level_values("coords").unique()) == ["x", "y", "z"]
    assert len(df) == 90 and df.columns.get_level_values("bodyparts")[0] == "snout"
    assert out.with_suffix(".csv").is_file() and out.with_suffix(".nwb").is_file()
    back = read_poses(out)
    assert back.meta.frame == "camera-floor" and back.meta.units == "mm"
    n_user = len(NAMES)
    assert back.n_keypoints == len(CATALOGUE)
    imputed = back.meta.extra["imputed"][:, 0]
    assert imputed[:, n_user:].all()  # catalogue keypoints the file does not track
    # camera-floor frame: the camera stands above (250, 250) of the synthetic world
    est = back.coords[:, 0, :n_user]
    gt = truth - [250.0, 250.0, 0.0]  # the camera stands above (250, 250), u along x
    ok = ~imputed[:, :n_user]
    err = np.linalg.norm(est - gt, axis=-1)[ok]
    assert np.median(err) < 12.0
    assert 0 <= np.nanmin(est[..., 2]) and np.nanmax(est[..., 2]) < 120
    with pytest.raises(OutputExistsError):
        lift_file(src, camera=CameraSpec(camera_height_mm=600.0, focal_px=640.0),
                  output=OutputSpec(destfolder=tmp_path / "out"))
    # a format the lift lacks: refused too, saying how to add it without lifting again
    with pytest.raises(OutputExistsError, match=r"without the points3d output asked for\. "
                       r"lift_files on it .*dlc-lifter lift-files .* --format points3d,dlc "
                       r"--camera-height-mm 600 --focal-px 640 .*"
                       r"--destfolder .*writes it from that lift without lifting again") as exc:
        lift_file(src, camera=CameraSpec(camera_height_mm=600.0, focal_px=640.0),
                  output=OutputSpec(destfolder=tmp_path / "out", formats=("dlc", "points3d")))
    assert not out.with_suffix(".points3d.h5").exists()
    # the command said, run as it is, adds the format (it named no camera, so it skipped
    # the file as lifted with other options and wrote nothing)
    import shlex

    from typer.testing import CliRunner

    from dlc_lifter.cli import app

    said = re.search(r"\((dlc-lifter lift-files [^)]*)\)", str(exc.value)).group(1)
    r = CliRunner().invoke(app, shlex.split(said)[1:])
    assert r.exit_code == 0, r.output
    assert out.with_suffix(".points3d.h5").is_file()
    lift_file(src, camera=CameraSpec(camera_height_mm=600.0, focal_px=640.0),
              output=OutputSpec(destfolder=tmp_path / "out", overwrite=True))


def test_lift_file_says_an_existing_output_is_out_of_date(tmp_path: Path) -> None:
    """One file lifted again over its output: where the input changed since, or the output
    was lifted by another version or other weights, the refusal says so (before: only
    "already exists", whatever it was)."""
    import pickle

    from dlc_lifter._version import __version__
    from dlc_lifter.io import meta_pickle_path
    from dlc_lifter.io.weights import file_hash
    from dlc_lifter.lift import lift_file
    from dlc_lifter.lift.lifter import default_model_path

    _, _, poses = _scene(n_frames=30)
    src = write_dlc_analysis(poses, tmp_path / "in")
    cam, where = CameraSpec(camera_height_mm=600.0, focal_px=640.0), OutputSpec(
        destfolder=tmp_path / "out")
    out = lift_file(src, camera=cam, output=where)
    with pytest.raises(OutputExistsError, match="already exists") as up_to_date:
        lift_file(src, camera=cam, output=where)
    assert "out of date" not in str(up_to_date.value)
    record = meta_pickle_path(out)
    kept = record.read_bytes()
    data = pickle.loads(kept)
    data["data"]["dlc_lifter_version"] = "0.0.1"
    data["data"]["model"] = {**data["data"]["model"], "sha256": "0" * 16}
    record.write_bytes(pickle.dumps(data))
    shipped = default_model_path()
    with pytest.raises(OutputExistsError) as stale:
        lift_file(src, camera=cam, output=where)
    assert str(stale.value) == (
        f"{out} exists and is out of date: lifted by other weights or another version "
        f"(dlc-lifter 0.0.1 -> {__version__}; {shipped.name} {'0' * 16} -> "
        f"{file_hash(shipped)}). overwrite=True lifts it again.")
    record.write_bytes(kept)
    df = pd.read_hdf(src)
    df.iloc[3, 0] += 2.0  # the file tracked again
    df.to_hdf(src, key="df_with_missing", mode="w")
    with pytest.raises(OutputExistsError, match=rf"{re.escape(str(out))} exists and is out "
                       rf"of date: {re.escape(src.name)} changed since it was lifted\. "
                       r"overwrite=True lifts it again\."):
        lift_file(src, camera=cam, output=where)
    assert lift_file(src, camera=cam, output=dataclasses.replace(where, overwrite=True)) == out


def test_tilted_calibrated_camera_gives_world_frame(tmp_path: Path) -> None:
    from dlc_lifter.io import read_poses
    from dlc_lifter.lift import lift_file

    cam = Camera.top_view(700.0, 480.0, (640, 480), centre_xy=(230.0, 260.0),
                          tilt_rad=math.radians(15), tilt_direction_rad=1.0, roll_rad=0.5,
                          name="top")
    _, truth, poses = _scene(camera=cam)
    calib = write_anipose([cam], tmp_path / "calibration.toml")
    src = write_dlc_analysis(poses, tmp_path, meta_pickle=True)
    out = lift_file(src, camera=CameraSpec(calibration=calib, camera_name="top"))
    back = read_poses(out)
    assert back.meta.frame == "world"
    n_user = len(NAMES)
    est = back.coords[:, 0, :n_user]
    ok = ~back.meta.extra["imputed"][:, 0, :n_user] & np.isfinite(est).all(-1)
    assert ok.mean() > 0.8
    # on the rays: reprojects onto the input within 0.01 px
    reproj = cam.project(est)
    assert np.nanmax(np.linalg.norm(reproj - poses.coords[:, 0], axis=-1)[ok]) < 0.01
    assert np.median(np.linalg.norm(est - truth, axis=-1)[ok]) < 12.0


def _with_corners(poses: Poses, cam: Camera, corners: dict[str, tuple[float, float]]
                  ) -> Poses:
    """``poses`` with the arena's corners tracked (0.7 px noise) as extra keypoints."""
    uv = cam.project(np.array([[x, y, 0.0] for x, y in corners.values()]))
    n = poses.n_frames
    noise = np.random.default_rng(3).normal(0.0, 0.7, (n, 1, len(corners), 2))
    return Poses(coords=np.concatenate([poses.coords, uv[None, None] + noise], axis=2),
                 confidence=np.concatenate([poses.confidence, np.ones((n, 1, len(corners)))],
                                           axis=2),
                 keypoints=list(poses.keypoints) + list(corners), meta=poses.meta)


#: A 20 deg tilted camera aimed at (300, 430), no roll: image right = world x, up = world y.
_TILTED = dict(height_mm=650.0, focal_px=420.0, image_size=(640, 480),
               centre_xy=(300.0, 666.6), tilt_rad=math.radians(20),
               tilt_direction_rad=math.pi / 2)


def test_tracked_arena_corners_give_a_tilted_camera_and_the_arena_frame(
        tmp_path: Path) -> None:
    from dlc_lifter.io import meta_pickle_path, read_poses
    from dlc_lifter.lift import lift_file

    cam = Camera.top_view(**_TILTED)
    _, truth, poses = _scene(camera=cam)
    corners = {"tl": (100.0, 630.0), "tr": (500.0, 630.0), "bl": (100.0, 230.0),
               "br": (500.0, 230.0)}  # a 400 mm square around (300, 430)
    src = write_dlc_analysis(_with_corners(poses, cam, corners), tmp_path, meta_pickle=True)
    out = lift_file(src, camera=CameraSpec(arena_size_mm=400.0), options=LiftOptions(depth=False))
    meta = pd.read_pickle(meta_pickle_path(out))["data"]
    assert meta["camera_source"] == "arena-corners"
    assert meta["camera_estimate"]["tilt_deg"] == pytest.approx(20.0, abs=1.5)
    assert meta["camera_estimate"]["height_mm"] == pytest.approx(cam.height_mm, rel=0.06)
    back = read_poses(out)
    assert back.meta.frame == "arena"
    est = back.coords[:, 0, :len(NAMES)]
    ok = ~back.meta.extra["imputed"][:, 0, :len(NAMES)] & np.isfinite(est).all(-1)
    gt = truth - [300.0, 430.0, 0.0]  # the arena's centre is the origin
    assert np.median(np.linalg.norm(est - gt, axis=-1)[ok]) < 12.0
    assert np.median(np.abs(est[..., 2] - gt[..., 2])[ok]) < 8.0


def test_cli_rectangular_arena(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from dlc_lifter.cli import app
    from dlc_lifter.io import meta_pickle_path, read_poses

    cam = Camera.top_view(**_TILTED)
    _, truth, poses = _scene(camera=cam)
    corners = {"tl": (100.0, 580.0), "tr": (500.0, 580.0), "bl": (100.0, 280.0),
               "br": (500.0, 280.0)}  # 400 x 300 mm around (300, 430)
    src = write_dlc_analysis(_with_corners(poses, cam, corners), tmp_path, meta_pickle=True)
    runner = CliRunner()
    res = runner.invoke(app, ["lift", str(src), "--arena-size-mm", "400x300", "--no-depth"])
    assert res.exit_code == 0, res.output
    out = Path(res.output.strip().splitlines()[-1])
    meta = pd.read_pickle(meta_pickle_path(out))["data"]
    assert meta["camera_source"] == "arena-corners"
    assert meta["camera_estimate"]["arena_size_mm"] == [400.0, 300.0]
    assert meta["camera_estimate"]["height_mm"] == pytest.approx(cam.height_mm, rel=0.06)
    back = read_poses(out)
    est = back.coords[:, 0, :len(NAMES)]
    ok = ~back.meta.extra["imputed"][:, 0, :len(NAMES)] & np.isfinite(est).all(-1)
    gt = truth - [300.0, 430.0, 0.0]
    assert np.median(np.linalg.norm(est - gt, axis=-1)[ok]) < 12.0
    bad = runner.invoke(app, ["lift", str(src), "--arena-size-mm", "400x300x2",
                              "--destfolder", str(tmp_path / "bad")])
    assert bad.exit_code != 0 and "WIDTHxHEIGHT" in str(bad.exception)


def test_camera_estimated_from_the_animal_is_recorded(tmp_path: Path,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    from dlc_lifter.io import meta_pickle_path
    from dlc_lifter.lift import lift_file

    _, _, poses = _scene()
    src = write_dlc_analysis(poses, tmp_path, meta_pickle=True)
    with caplog.at_level(logging.WARNING):
        out = lift_file(src)
    assert "estimated the camera" in caplog.text
    meta = pd.read_pickle(meta_pickle_path(out))["data"]
    assert meta["camera_source"] == "body-length-estimate"
    assert 300 < meta["camera_estimate"]["height_mm"] < 1500
    assert meta["model"]["name"] == "lifter.pt" and meta["units"] == "mm"
    assert meta["model"]["symmetric"] == ["frame"]  # lifted with its mirror image
    # what a methods section names: the warnings the lift gave, the software that made it
    assert any("estimated the camera" in w for w in meta["warnings"])
    from dlc_lifter import __version__

    sw = meta["software"]
    assert sw["dlc_lifter"] == __version__ and sw["torch_threads"] >= 1
    assert {"python", "numpy", "pandas", "torch", "code_commit"} <= set(sw)
    assert meta["model"]["mode"] == meta["model"]["mode_requested"] == "temporal"
    out2 = lift_file(src, camera=CameraSpec(arena_size_mm=500.0, camera_height_mm=600.0),
                     output=OutputSpec(destfolder=tmp_path / "arena"))
    meta2 = pd.read_pickle(meta_pickle_path(out2))["data"]
    # three seconds of a mouse do not span a 500 mm arena: its spread would make the mouse
    # far longer than a mouse, so the arena's size is set aside (recorded) for its length
    assert meta2["camera_source"] == "body-length-estimate"
    ignored = meta2["camera_estimate"]["arena_size_ignored"]
    assert ignored["arena_size_mm"] == 500.0 and ignored["animal_length_mm"] > 150.0
    assert meta2["camera_estimate"]["height_mm"] == 600.0  # the height given still holds


def test_keypoint_errors_and_map(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from dlc_lifter.lift import KeypointMappingError, lift_file

    _, _, poses = _scene(30)
    odd = Poses(coords=np.concatenate([poses.coords, poses.coords[:, :, :1]], 2),
                keypoints=[*NAMES, "laser_dot"], meta=poses.meta)
    src = write_dlc_analysis(odd, tmp_path, meta_pickle=True)
    with pytest.raises(UnknownKeypointError, match="laser_dot"):
        lift_file(src, camera=CameraSpec(camera_height_mm=600.0, focal_px=640.0),
                  options=LiftOptions(strict=True))
    with caplog.at_level(logging.WARNING):
        loose = lift_file(src, camera=CameraSpec(camera_height_mm=600.0, focal_px=640.0),
                          output=OutputSpec(destfolder=tmp_path / "loose"))
    assert "laser_dot" in caplog.text and "no catalogue landmark" in caplog.text
    assert "laser_dot" not in pd.read_hdf(loose).columns.get_level_values("bodyparts")
    from dlc_lifter.io import meta_pickle_path

    recorded = pd.read_pickle(meta_pickle_path(loose))["data"]["keypoint_map"]
    assert recorded["dropped"] == {"laser_dot": "maps to no catalogue landmark"}
    assert recorded["mapped"] == NAMES
    mapping = tmp_path / "map.yaml"
    mapping.write_text("laser_dot: null\n")
    out = lift_file(src, camera=CameraSpec(camera_height_mm=600.0, focal_px=640.0),
                    options=LiftOptions(keypoint_map=mapping))
    assert "laser_dot" not in pd.read_hdf(out).columns.get_level_values("bodyparts")
    flies = Poses(coords=poses.coords[:, :, :3], keypoints=["thorax", "wingL", "wingR"],
                  meta=poses.meta)
    src2 = write_dlc_analysis(flies, tmp_path / "flies", meta_pickle=True)
    with pytest.raises(KeypointMappingError, match="Of the 3 keypoints.*none maps"):
        lift_file(src2, camera=CameraSpec(camera_height_mm=600.0, focal_px=640.0))


def test_a_keypoint_map_file_is_read_once_for_every_lift(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """LiftOptions read its keypoint-map file when made (to refuse a bad one before a
    batch), and each lift read it again, twice (options with the cutoff filled in, then the
    plan): now it is read once and the lifts take the names as read; the meta pickle
    still records the file's name."""
    from dlc_lifter.lift import lift_file

    _, _, poses = _scene(30)
    odd = Poses(coords=np.concatenate([poses.coords, poses.coords[:, :, :1]], 2),
                keypoints=[*NAMES, "laser_dot"], meta=poses.meta)
    src = write_dlc_analysis(odd, tmp_path, meta_pickle=True)
    mapping = tmp_path / "map.yaml"
    mapping.write_text("laser_dot: null\n")
    reads: list[Path] = []
    read_text = Path.read_text

    def counted(self: Path, *args: Any, **kwargs: Any) -> str:
        if self.name == mapping.name:
            reads.append(self)
        return read_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", counted)
    options = LiftOptions(keypoint_map=mapping)
    for dest in ("a", "b"):
        out = lift_file(src, camera=CameraSpec(camera_height_mm=600.0, focal_px=640.0),
                        options=options, output=OutputSpec(destfolder=tmp_path / dest))
        assert "laser_dot" not in pd.read_hdf(out).columns.get_level_values("bodyparts")
    assert len(reads) == 1
    from dlc_lifter.io import meta_pickle_path

    recorded = pd.read_pickle(meta_pickle_path(out))["data"]["lift_options"]
    assert recorded["keypoint_map"] == str(mapping)


def test_a_file_tracked_unsure_of_the_body_says_so(tmp_path: Path) -> None:
    """No camera given and the tracker unsure of every point (a network trained too
    briefly: a real Y-maze file's nose at median likelihood 0.27): the error names the file,
    the pair, its likelihoods and the cutoff, not only that no keypoints are "far enough
    apart"; with the cutoff lowered the file lifts."""
    from dlc_lifter.errors import CameraEstimateError
    from dlc_lifter.lift import lift_file

    _, _, poses = _scene(40)
    unsure = poses.with_coords(poses.coords, confidence=np.full_like(poses.confidence, 0.3))
    src = write_dlc_analysis(unsure, tmp_path / "in", meta_pickle=True)
    with pytest.raises(CameraEstimateError, match="the tracker is unsure of the animal") as info:
        lift_file(src, output=OutputSpec(destfolder=tmp_path / "out"))
    text = str(info.value)
    assert str(src) in text and "nose and tail_base" in text
    assert re.search(r"together in 0 of 3\d frames", text)  # a few frames lose a point
    assert "median likelihood 0.30" in text and "pcutoff=" in text
    out = lift_file(src, options=LiftOptions(pcutoff=0.2),
                    output=OutputSpec(destfolder=tmp_path / "out"))
    assert out.is_file()
    # a model that found nothing (a real rat file's likelihoods all 0): no advice to lower
    # the cutoff, which would lift noise
    none = poses.with_coords(poses.coords, confidence=np.zeros_like(poses.confidence))
    src = write_dlc_analysis(none, tmp_path / "none", meta_pickle=True)
    with pytest.raises(CameraEstimateError, match="median likelihood 0.00 and 0.00") as info:
        lift_file(src, output=OutputSpec(destfolder=tmp_path / "out_none"))
    assert "no detections" in str(info.value) and "pcutoff" not in str(info.value)


def test_a_body_without_a_measurable_pair_is_refused_with_its_landmarks() -> None:
    """No camera, and the only keypoints 25 mm apart on a mouse are the nose and the tail's
    tip (which swings): the refusal names the file and says what each keypoint was lifted
    as, with the keypoint map that would mend a mis-named tail base."""
    from dlc_lifter.errors import CameraEstimateError
    from dlc_lifter.lift import lift_poses

    uv = np.zeros((40, 1, 4, 2))
    uv[:, 0] = [[300, 200], [290, 215], [310, 215], [300, 320]]
    uv += np.random.default_rng(0).normal(0.0, 1.0, uv.shape)
    poses = Poses(coords=uv, confidence=np.ones(uv.shape[:3]),
                  keypoints=["nose", "left_ear", "right_ear", "tail_end"],
                  meta=PoseMetadata(source="x.h5", image_size=(640, 480)))
    with pytest.raises(CameraEstimateError, match=r"^x\.h5: Cannot estimate") as info:
        lift_poses(poses)
    text = str(info.value)
    assert "lifted as nose, left_ear, right_ear, tail_end" in text and "tail: tail_base" in text
    assert "unsure" not in text  # tracked with likelihood 1: not the tracker's doubt


def test_a_sleap_fly_is_refused_with_one_error(tmp_path: Path,
                                              caplog: pytest.LogCaptureFixture) -> None:
    """A ``.slp`` of SLEAP's 32-node fly: one error naming the file, no warning for each of
    its names (before: lifted as a mouse, exit 0, 12 'both name' warnings), and nothing said
    before it about the video or the frames' size."""
    import sleap_io as sio

    from dlc_lifter.lift import KeypointMappingError, lift_file
    from tests.fixtures.toys import FLY32

    rng = np.random.default_rng(0)
    sk = sio.Skeleton(nodes=list(FLY32))
    video = sio.Video(filename="/data/fly.mp4", open_backend=False)
    lfs = [sio.LabeledFrame(video=video, frame_idx=f, instances=[sio.Instance.from_numpy(
        rng.uniform(40, 150, (len(FLY32), 2)), skeleton=sk)]) for f in range(5)]
    src = tmp_path / "fly.slp"
    sio.save_slp(sio.Labels(labeled_frames=lfs, videos=[video], skeletons=[sk]), str(src))
    with caplog.at_level(logging.WARNING), pytest.raises(
            KeypointMappingError, match=f"{src}: its keypoints are an insect's"):
        lift_file(src, camera=CameraSpec(camera_height_mm=600.0, focal_px=640.0))
    assert "both name" not in caplog.text
    # refused before a word on its video or its frames' size, which the refusal makes moot
    assert "image size unknown" not in caplog.text and "video" not in caplog.text


def test_a_name_mapped_onto_another_landmark_leaves_the_catalogues_own_imputed(
        tmp_path: Path) -> None:
    """A user's ``neck`` mapped onto ``head_midpoint`` (as labs that put their neck between
    the eyes would): the imputed catalogue ``neck`` is written as ``neck_catalogue``,
    offline and live alike, and each name's landmark is recorded."""
    from dlc_lifter.io import meta_pickle_path
    from dlc_lifter.lift import lift_file
    from dlc_lifter.lift.live import LiveLifter

    cam, _, poses = _scene(30)
    src = write_dlc_analysis(poses, tmp_path, meta_pickle=True)
    mapping = {"neck": "head_midpoint"}
    out = lift_file(src, camera=CameraSpec(camera_height_mm=600.0, focal_px=640.0),
                    options=LiftOptions(keypoint_map=mapping),
                    output=OutputSpec(destfolder=tmp_path / "out"))
    names = list(pd.read_hdf(out).columns.get_level_values("bodyparts").unique())
    assert names[: len(NAMES)] == list(NAMES) and names.count("neck") == 1
    assert "neck_catalogue" in names and "head_midpoint" not in names
    cat = pd.read_pickle(meta_pickle_path(out))["data"]["extra"]["catalogue_names"]
    assert cat[names.index("neck")] == "head_midpoint"
    assert cat[names.index("neck_catalogue")] == "neck"
    live = LiveLifter(cam, list(NAMES), keypoint_map=mapping)
    assert live.keypoints_out == names and live.catalogue_names == cat


def test_video_checks(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from dlc_lifter.lift import FrameCountError, lift_file

    _, _, poses = _scene(20)
    src = write_dlc_analysis(poses, tmp_path, meta_pickle=True)
    with pytest.raises(FrameCountError, match=r"12 frames.*20 frames"):
        lift_file(src, video=write_toy_video(tmp_path / "short.mp4", 12, size=(64, 48)),
                  camera=CameraSpec(camera_height_mm=600.0, focal_px=640.0))
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"garbage")
    with caplog.at_level(logging.WARNING):
        out = lift_file(src, video=bad, camera=CameraSpec(camera_height_mm=600.0, focal_px=640.0))
    assert out.is_file() and "keypoints only" in caplog.text
    ok = lift_file(src, video=write_toy_video(tmp_path / "good.mp4", 20, size=(64, 48)),
                   camera=CameraSpec(camera_height_mm=600.0, focal_px=640.0),
                   output=OutputSpec(overwrite=True))
    assert ok.is_file()


def test_a_relative_video_is_recorded_whole_for_plot(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    """A video given relative to the lift's folder is recorded as its absolute path, so
    that ``plot`` run from another folder draws it beside the 3D view; a recorded video
    that is gone is warned about, naming it and ``--video``, not silently left out."""
    import cv2

    from dlc_lifter.analysis.plots import plot_lifted
    from dlc_lifter.io import read_poses
    from dlc_lifter.lift import lift_file

    _, _, poses = _scene(20)
    src = write_dlc_analysis(poses, tmp_path / "poses", meta_pickle=True)
    (tmp_path / "vids").mkdir()
    video = write_toy_video(tmp_path / "vids" / "clip one.mp4", 20, size=(64, 48))
    monkeypatch.chdir(tmp_path)
    out = lift_file(Path("poses") / src.name, video=Path("vids") / video.name,
                    camera=CameraSpec(camera_height_mm=600.0, focal_px=640.0),
                    options=LiftOptions(depth=False))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    out = tmp_path / out
    mp4 = plot_lifted(out, max_frames=5)[0]
    cap = cv2.VideoCapture(str(mp4))
    assert cap.get(cv2.CAP_PROP_FRAME_WIDTH) > 360  # the video's panel beside the 3D one
    cap.release()
    video.unlink()
    with caplog.at_level(logging.WARNING):
        mp4 = plot_lifted(out, max_frames=5)[0]
    assert str(video) in caplog.text and "--video" in caplog.text
    cap = cv2.VideoCapture(str(mp4))
    assert cap.get(cv2.CAP_PROP_FRAME_WIDTH) == 360  # the 3D panel alone, as warned
    cap.release()
    # the default video=None in Python: the video the file names beside it (DeepLabCut's
    # <video>DLC_... next to <video>.mp4) was recorded as read, relative to the lift's
    # folder (a walkthrough's plot from another folder lost it); recorded whole now
    beside = write_toy_video(tmp_path / "poses" / "mouse1.mp4", 20, size=(64, 48))
    monkeypatch.chdir(tmp_path)
    out2 = lift_file(Path("poses") / src.name, camera=CameraSpec(camera_height_mm=600.0,
                                                                focal_px=640.0),
                     options=LiftOptions(depth=False),
                     output=OutputSpec(destfolder="again"))
    assert read_poses(out2).meta.video == str(beside)


def test_a_3d_file_is_refused_before_anything_else(tmp_path: Path,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    """A file of 3D points (a lifted output, a triangulated file) is refused at once, not
    after its video and camera were looked for."""
    from dlc_lifter.lift import lift_file

    _, _, poses = _scene(20)
    out = lift_file(write_dlc_analysis(poses, tmp_path, meta_pickle=True), video=None,
                    camera=CameraSpec(camera_height_mm=600.0, focal_px=640.0))
    caplog.clear()
    with caplog.at_level(logging.INFO), pytest.raises(DLCLifterError,
                                                      match="already holds 3D poses"):
        lift_file(out, video="auto", output=OutputSpec(destfolder=tmp_path / "again"))
    assert "video" not in caplog.text and "camera" not in caplog.text


def test_cli_lift_takes_the_video_beside_the_file(tmp_path: Path,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    """``dlc-lifter lift FILE`` lifts with the video DeepLabCut's output lies beside (as
    ``lift-files`` does); ``--no-video`` without it; both options together are refused."""
    from typer.testing import CliRunner

    from dlc_lifter.cli import app
    from dlc_lifter.io import read_poses

    _, _, poses = _scene(20)
    src = write_dlc_analysis(poses, tmp_path, meta_pickle=True)
    video = write_toy_video(tmp_path / "mouse1.mp4", 20, size=(64, 48))
    cam = ["--camera-height-mm", "600", "--focal-px", "640", "--no-depth"]
    runner = CliRunner()
    with caplog.at_level(logging.INFO):
        res = runner.invoke(app, ["lift", str(src), *cam])
    assert res.exit_code == 0, res.output
    assert read_poses(Path(res.output.strip().splitlines()[-1])).meta.video == str(video)
    assert "lifting with its video" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.INFO):
        alone = runner.invoke(app, ["lift", str(src), *cam, "--no-video", "--overwrite"])
    assert alone.exit_code == 0, alone.output
    assert "lifting with its video" not in caplog.text and "opened" not in caplog.text
    both = runner.invoke(app, ["lift", str(src), *cam, "--no-video", "--video", str(video)])
    assert both.exit_code != 0 and "not both" in both.output


def test_a_given_video_that_is_not_there_is_not_recorded(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """``--video typo.mp4`` that does not exist: warned (one sentence each, no '.;'), the
    lift goes on from the keypoints, and the outputs name no video (not the one beside the
    file, which the lift never read): ``plot`` draws the 3D view alone; the meta pickle
    says which video was not used and why."""
    import pickle

    import cv2
    from typer.testing import CliRunner

    from dlc_lifter.analysis.plots import plot_lifted
    from dlc_lifter.cli import app
    from dlc_lifter.io import meta_pickle_path, read_poses

    _, _, poses = _scene(20)
    src = write_dlc_analysis(poses, tmp_path, meta_pickle=True)
    write_toy_video(tmp_path / "mouse1.mp4", 20, size=(64, 48))  # beside it, not given
    typo = tmp_path / "typo.mp4"
    with caplog.at_level(logging.WARNING):
        res = CliRunner().invoke(app, ["lift", str(src), "--video", str(typo),
                                       "--camera-height-mm", "600", "--focal-px", "640"])
    assert res.exit_code == 0, res.output
    assert f"Video {typo} does not exist. Check the path. The lift goes on from the " \
        "keypoints only" in caplog.text and ".;" not in caplog.text
    out = Path(res.output.strip().splitlines()[-1])
    with meta_pickle_path(out).open("rb") as fh:
        rec = pickle.load(fh)["data"]
    assert rec["video"] is None
    assert rec["video_not_used"] == {"path": str(typo), "given": True,
                                     "problem": "does not exist"}
    assert rec["depth_reason"] == f"video {typo} not used: does not exist"
    assert read_poses(out).meta.video is None  # no video beside it taken for the record
    mp4 = plot_lifted(out, max_frames=3)[0]
    cap = cv2.VideoCapture(str(mp4))
    assert cap.get(cv2.CAP_PROP_FRAME_WIDTH) == 360  # the 3D view alone
    cap.release()


def test_a_frame_count_a_frame_off_is_taken(tmp_path: Path,
                                            caplog: pytest.LogCaptureFixture) -> None:
    """A video a frame shorter than its pose file (its header's count; VAME's sample) is
    used, warned about, the last frame lifted without its cues; a video found beside a file
    whose count is far off is left out (warned), one given is refused, naming video=None."""
    from dlc_lifter.lift import FrameCountError, lift_file

    cam = CameraSpec(camera_height_mm=600.0, focal_px=640.0)
    _, _, poses = _scene(21)
    src = write_dlc_analysis(poses, tmp_path, meta_pickle=True)
    write_toy_video(tmp_path / "mouse1.mp4", 20, size=(64, 48))
    with caplog.at_level(logging.INFO):
        out = lift_file(src, video="auto", camera=cam)
    assert out.is_file() and "off by 1" in caplog.text  # the depth path: tests/nets
    _, _, long = _scene(30)
    far = write_dlc_analysis(long, tmp_path / "far", meta_pickle=True)
    video = write_toy_video(tmp_path / "far" / "mouse1.mp4", 20, size=(64, 48))
    caplog.clear()
    with caplog.at_level(logging.INFO):
        alone = lift_file(far, video="auto", camera=cam)
    assert alone.is_file() and "not its video?" in caplog.text
    from dlc_lifter.io import read_poses

    assert read_poses(alone).meta.video is None  # left out: not recorded as the video
    from dlc_lifter.lift.pipeline import lift_file_with_its_video

    assert lift_file_with_its_video(far, camera=cam, output=OutputSpec(overwrite=True))[1] is None
    with pytest.raises(FrameCountError, match="video=None") as info:
        lift_file(far, video=video, camera=cam, output=OutputSpec(overwrite=True))
    # lift-project and lift-files have no --no-video: the way to lift that file alone
    assert f"a batch's file alone: dlc-lifter lift {far} --no-video" in str(info.value)


def test_cli_lift_prints_path_and_reports_errors(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from dlc_lifter.cli import app

    _, _, poses = _scene(30)
    src = write_dlc_analysis(poses, tmp_path, meta_pickle=True)
    runner = CliRunner()
    res = runner.invoke(app, ["lift", str(src), "--camera-height-mm", "600", "--focal-px",
                              "640", "--no-impute"])
    assert res.exit_code == 0, res.output
    out = Path(res.output.strip().splitlines()[-1])
    assert out.is_file()
    assert len(pd.read_hdf(out).columns) == 3 * len(NAMES)
    again = runner.invoke(app, ["lift", str(src)])
    assert again.exit_code != 0 and isinstance(again.exception, DLCLifterError)


@pytest.mark.realdata
@needs_realdata(OPENFIELD_H5)
def test_real_openfield_is_plausible(tmp_path: Path) -> None:
    from dlc_lifter.io import read_poses
    from dlc_lifter.lift import lift_file

    out = lift_file(OPENFIELD_H5, options=LiftOptions(impute_all=False),
                    output=OutputSpec(destfolder=tmp_path))
    p3 = read_poses(out)
    assert p3.n_frames == 2330
    xyz = p3.coords[:, 0]
    ok = ~p3.meta.extra["imputed"][:, 0] & np.isfinite(xyz).all(-1)
    z = xyz[..., 2][ok]
    assert z.min() >= 0 and z.max() <= 120
    step = np.linalg.norm(np.diff(xyz, axis=0), axis=-1)
    both = ok[1:] & ok[:-1]
    assert np.percentile(step[both], 99.9) < 20
    length3 = np.linalg.norm(xyz[:, 0] - xyz[:, 3], axis=-1)
    cv3 = np.nanstd(length3) / np.nanmean(length3)
    assert cv3 < 0.3


@pytest.mark.realdata
@needs_realdata(SLEAP_CLIP / "clip.predictions.slp")
def test_real_sleap_flies_give_one_clear_error(tmp_path: Path) -> None:
    from dlc_lifter.lift import KeypointMappingError, lift_file

    with pytest.raises(KeypointMappingError, match="mouse catalogue"):
        lift_file(SLEAP_CLIP / "clip.predictions.slp",
                  output=OutputSpec(destfolder=tmp_path))
    assert not list(tmp_path.iterdir())
    assert isinstance(KeypointMappingError("x"), DLCLifterError)


def test_frames_that_are_not_consecutive_are_not_lifted_as_a_video(tmp_path: Path) -> None:
    from dlc_lifter.io import meta_pickle_path
    from dlc_lifter.lift import Lifter, lift_file
    from dlc_lifter.lift.frames import frame_runs

    # the shipped networks without their companions: which networks a file's view takes is
    # decided by the whole file, as its camera (tests/lift/test_view_range.py); here the
    # networks' windows are the subject
    plain = LiftOptions(depth=False, model=Lifter.load().model.save(tmp_path / "plain.pt"))

    assert frame_runs([4, 5, 6, 9, 20, 21]) == [(0, 3), (3, 4), (4, 6)]
    assert frame_runs([0, 1, 2], labelled=True) == [(0, 1), (1, 2), (2, 3)]
    _, truth, poses = _scene(60)
    rows = np.r_[0:20, 25, 40:60]
    gappy = Poses(coords=poses.coords[rows], confidence=poses.confidence[rows],
                  keypoints=poses.keypoints, frame_indices=rows, meta=poses.meta)
    whole = lift_file(write_dlc_analysis(poses, tmp_path / "whole", meta_pickle=True),
                      camera=CameraSpec(camera_height_mm=600.0, focal_px=640.0),
                      options=plain)
    out = lift_file(write_dlc_analysis(gappy, tmp_path / "gappy", meta_pickle=True),
                    camera=CameraSpec(camera_height_mm=600.0, focal_px=640.0),
                    options=plain)
    mode = pd.read_pickle(meta_pickle_path(out))["data"]["lift_mode"]
    assert mode["runs"] == 3 and mode["frames_alone"] == 1
    model = pd.read_pickle(meta_pickle_path(out))["data"]["model"]  # the mode used
    assert (model["mode"], model["mode_requested"]) == ("mixed", "temporal")
    a, b = pd.read_hdf(whole), pd.read_hdf(out)
    assert list(b.index) == rows.tolist()
    # each run is lifted as its own clip: no frame borrows from frames that are not there
    run = Poses(coords=poses.coords[40:60], confidence=poses.confidence[40:60],
                keypoints=poses.keypoints, frame_indices=np.arange(40, 60), meta=poses.meta)
    alone = lift_file(write_dlc_analysis(run, tmp_path / "run", meta_pickle=True),
                      camera=CameraSpec(camera_height_mm=600.0, focal_px=640.0),
                      options=plain)
    assert np.allclose(b.loc[40:59].to_numpy(), pd.read_hdf(alone).to_numpy(), atol=1e-6)
    assert not np.allclose(a.loc[40:59].to_numpy(), b.loc[40:59].to_numpy(), atol=1e-3)


def test_a_lift_without_a_frame_rate_says_so(tmp_path: Path,
                                             caplog: pytest.LogCaptureFixture) -> None:
    """No video, no metadata: the lift says the frame rate is unknown and how to give it
    (was: said first by features, assuming 30 fps); with --fps, nothing."""
    from dlc_lifter.lift import lift_file

    _, _, poses = _scene(30)
    src = write_dlc_analysis(poses, tmp_path)
    cam = CameraSpec(camera_height_mm=600.0, focal_px=640.0)
    with caplog.at_level(logging.INFO):
        lift_file(src, camera=cam, options=LiftOptions(depth=False))
    assert "its frame rate is unknown" in caplog.text and "--fps" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.INFO):
        lift_file(src, camera=dataclasses.replace(cam, fps=25.0),
                  options=LiftOptions(depth=False),
                  output=OutputSpec(destfolder=tmp_path / "with_fps"))
    assert "frame rate is unknown" not in caplog.text


def test_frames_held_twice_are_said(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Two analyses of one video joined (frames 0..29 then 20..49 again): the lift and
    ``info`` say which frame numbers repeat (was: silent, the output's index repeating)."""
    from typer.testing import CliRunner

    from dlc_lifter.cli import app
    from dlc_lifter.lift import lift_file

    _, _, poses = _scene(50)
    rows = np.r_[0:30, 20:50]
    twice = Poses(coords=poses.coords[rows], confidence=poses.confidence[rows],
                  keypoints=poses.keypoints, frame_indices=rows, meta=poses.meta)
    path = write_dlc_analysis(twice, tmp_path / "twice")
    with caplog.at_level(logging.WARNING):
        lift_file(path, camera=CameraSpec(camera_height_mm=600.0, focal_px=640.0),
                  options=LiftOptions(depth=False))
    assert "10 frame numbers are rows twice or more (20..29)" in caplog.text
    r = CliRunner().invoke(app, ["info", str(path)])
    assert "Frames:      60 (frame 0..49; 10 frame numbers are rows twice or more (20..29))" \
        in r.output, r.output


def test_rows_out_of_frame_order_are_said(tmp_path: Path,
                                          caplog: pytest.LogCaptureFixture) -> None:
    """A file whose rows are not in frame order (two halves of a video joined the wrong way
    round): the lift says so and how to lift it as one video, ``info`` says where the frame
    number goes back, and the output keeps the rows' order (was: each half lifted as a video
    without a word); a file in order says nothing."""
    from typer.testing import CliRunner

    from dlc_lifter.cli import app
    from dlc_lifter.lift import lift_file

    _, _, poses = _scene(60)
    rows = np.r_[30:60, 0:30]
    swapped = Poses(coords=poses.coords[rows], confidence=poses.confidence[rows],
                    keypoints=poses.keypoints, frame_indices=rows, meta=poses.meta)
    cam = CameraSpec(camera_height_mm=600.0, focal_px=640.0)
    said, shown, outs = {}, {}, {}
    for name, p in (("swapped", swapped), ("in_order", poses)):
        path = write_dlc_analysis(p, tmp_path / name)
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            outs[name] = lift_file(path, camera=cam, options=LiftOptions(depth=False))
        said[name] = caplog.text
        shown[name] = CliRunner().invoke(app, ["info", str(path)]).output
    assert "rows are not in frame order: the frame number goes back 1 time (first at row " \
        "30: frame 59, then 0)" in said["swapped"], said["swapped"]
    assert "sort the rows by frame number" in said["swapped"]
    assert "frame order" not in said["in_order"]
    assert "goes back 1 time" in shown["swapped"] and "goes back" not in shown["in_order"]
    assert list(pd.read_hdf(outs["swapped"]).index[:2]) == [30, 31]


def test_rows_drawn_from_a_recording_are_lifted_alone_and_a_fast_excerpt_as_a_video(
        caplog: pytest.LogCaptureFixture) -> None:
    """Consecutive row numbers, no frame rate: rows drawn at random from a recording jump
    far, each its own way (per frame, warned); a mouse running as fast, smoothly, is a video."""
    import logging
    from dataclasses import replace

    from dlc_lifter.lift import lift_poses

    _, _, poses = _scene(3000, seed=8)
    meta = replace(poses.meta, fps=None)
    rows = np.sort(np.random.default_rng(0).choice(3000, 60, replace=False))
    drawn = Poses(coords=poses.coords[rows], confidence=poses.confidence[rows],
                  keypoints=poses.keypoints, meta=meta)
    run = poses.coords[1000:1060].copy()
    run[..., 0] += 12.0 * np.arange(60)[:, None, None]  # 0.2 body lengths a row, smoothly
    running = Poses(coords=run, confidence=poses.confidence[1000:1060],
                    keypoints=poses.keypoints, meta=meta)
    cam = dict(camera_height_mm=600.0, focal_px=640.0)
    for p, alone in ((drawn, True), (running, False)):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
            mode = lift_poses(p, **cam).meta.extra["lift_mode"]
        assert mode["median_jump_body_lengths"] > 0.1
        assert (mode["frames_alone"] == 60) == alone, mode
        assert (mode["roughness"] > 1.0) == alone, mode
        assert ("each row in its own direction" in caplog.text) == alone


def test_non_square_pixels_are_measured_from_the_animal() -> None:
    from dlc_lifter.lift import Lifter, catalogue_arrays
    from dlc_lifter.lift.camera_estimate import (
        ANIMAL_ASPECT_TOLERANCE,
        pixel_aspect_from_animal,
        resolve_camera,
    )

    lifter = Lifter.load()
    cam, _, poses = _scene(3000, seed=5)
    uv, conf, _ = catalogue_arrays(poses)
    uv, conf = uv[:, 0], conf[:, 0]
    ok = np.isfinite(uv).all(-1) & (np.nan_to_num(conf) >= 0.6)
    args = (lifter.model.pair_length_mm, lifter.model.median_height_mm)
    square = pixel_aspect_from_animal(uv, ok, *args)
    assert square is not None and abs(square[0] - 1) < ANIMAL_ASPECT_TOLERANCE
    squashed = uv.copy()
    squashed[..., 1] = cam.cy + 0.75 * (uv[..., 1] - cam.cy)  # a 4:3 video shown as 16:9
    aspect, info = pixel_aspect_from_animal(squashed, ok, *args)
    assert aspect / square[0] == pytest.approx(0.75, abs=0.03)
    assert info["pair"] == "nose-tail_base"
    choice = resolve_camera(squashed, conf, cam.image_size, camera_height_mm=600.0,
                            focal_px=640.0, lifter=lifter)
    assert choice.camera.fy / choice.camera.fx == pytest.approx(aspect)
    plain = resolve_camera(uv, conf, cam.image_size, camera_height_mm=600.0, focal_px=640.0,
                           lifter=lifter)
    assert plain.camera.fy == plain.camera.fx and "pixel_aspect" not in plain.details


def test_a_floor_filmed_at_a_slant_is_warned_of(caplog: pytest.LogCaptureFixture) -> None:
    """An animal 45 % shorter heading up the image than across it is filmed at a slant
    (wataruito/dlc2_edit_labels' fear-conditioning mice, filmed from the front and above):
    warned of, and recorded, over 200 frames heading up (too few to correct the pixels'
    aspect, which needs 300); a 4:3 video stretched to 16:9 (0.75) is not a slant."""
    from dlc_lifter.lift import Lifter, catalogue_arrays
    from dlc_lifter.lift.camera_estimate import ANIMAL_ASPECT_FRAMES, resolve_camera
    from dlc_lifter.mouse.catalogue import CATALOGUE

    lifter = Lifter.load()
    cam, _, poses = _scene(3000, seed=5)
    uv, conf, _ = catalogue_arrays(poses)
    uv, conf = uv[:, 0], conf[:, 0]
    d = uv[:, CATALOGUE.index("nose")] - uv[:, CATALOGUE.index("tail_base")]
    angle = np.degrees(np.arctan2(np.abs(d[:, 1]), np.abs(d[:, 0])))
    up, across = np.flatnonzero(angle > 70), np.flatnonzero(angle < 20)
    assert len(up) >= 200 and len(across) >= 400
    few = np.sort(np.concatenate([up[:200], across[:400]]))

    def lift_camera_of(scale: float, frames: np.ndarray, level: int = logging.WARNING) -> Any:
        squashed = uv[frames].copy()
        squashed[..., 1] = cam.cy + scale * (squashed[..., 1] - cam.cy)
        caplog.clear()
        with caplog.at_level(level, logger="dlc_lifter"):
            return resolve_camera(squashed, conf[frames], cam.image_size,
                                  camera_height_mm=600.0, focal_px=640.0, lifter=lifter)

    slanted = lift_camera_of(0.55, few)
    assert "films the floor at a slant (about 5" in caplog.text
    assert slanted.details["slant"]["deg"] == pytest.approx(56.6, abs=4)
    assert slanted.camera.fy == slanted.camera.fx  # fewer than ANIMAL_ASPECT_FRAMES heading up
    assert min(slanted.details["slant"]["frames_up"],
               slanted.details["slant"]["frames_across"]) < ANIMAL_ASPECT_FRAMES
    # a slant measured over enough frames both ways: one warning, saying what was applied
    # (a real SimBA project's file 50 % longer heading up drew two, one saying "not to be
    # trusted" and one "lifting with fy/fx 1.50")
    steep = lift_camera_of(0.55, np.arange(len(uv)))
    assert steep.camera.fy / steep.camera.fx == pytest.approx(0.55, abs=0.04)
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING
              and "heading up the image" in r.getMessage()]
    assert len(warned) == 1 and "slant" in warned[0] and "lifted as a camera looking " \
        "straight down with fy/fx 0.5" in warned[0]
    stretched = lift_camera_of(0.75, np.arange(len(uv)))
    assert "slant" not in caplog.text and "slant" not in stretched.details
    assert "pixels are not square, or the camera is tilted" in caplog.text
    assert stretched.camera.fy / stretched.camera.fx == pytest.approx(0.75, abs=0.04)
    # measured without the nose (through a head label, whose place moves with the head):
    # reported, not applied
    conf[:, CATALOGUE.index("nose")] = 0.0
    headless = lift_camera_of(0.75, np.arange(len(uv)), logging.INFO)
    assert headless.camera.fy == headless.camera.fx
    assert "not taken as the pixels' aspect" in caplog.text
    assert headless.details["pixel_aspect_not_taken"]["pair"] != "nose-tail_base"


def test_fragments_of_one_animal_s_track_are_warned_of(
        caplog: pytest.LogCaptureFixture) -> None:
    """One mouse tracked as four fragments (a tracker's new track after each loss): four
    individuals, never two in one frame: lifted, and warned of."""
    from dlc_lifter.lift.camera_estimate import CameraChoice
    from dlc_lifter.lift.poses import lift_poses

    cam, _, one = _scene(40)
    coords = np.full((40, 4, *one.coords.shape[2:]), np.nan)
    conf = np.full((40, 4, one.coords.shape[2]), np.nan)
    for i in range(4):
        rows = slice(10 * i, 10 * i + 10)
        coords[rows, i], conf[rows, i] = one.coords[rows, 0], one.confidence[rows, 0]
    parts = Poses(coords=coords, confidence=conf, keypoints=one.keypoints,
                  individuals=[f"track_{i}" for i in range(4)], meta=one.meta)
    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        out = lift_poses(parts, camera_choice=CameraChoice(cam, "world", "calibration", {}))
    assert out.n_individuals == 4
    assert "4 individuals (tracks), never more than 1 in one frame" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        lift_poses(one, camera_choice=CameraChoice(cam, "world", "calibration", {}))
    assert "fragments" not in caplog.text and "networks know mice" not in caplog.text
    # a DeepLabCut project whose task names another animal (a rat): said so
    rat = Poses(coords=one.coords, confidence=one.confidence, keypoints=one.keypoints,
                meta=PoseMetadata(source="OpenFieldMA3_1.csv",
                                  scorer="DLC_Resnet50_rat_behavior_openfieldJan1shuffle1_1"))
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        lift_poses(rat, camera_choice=CameraChoice(cam, "world", "calibration", {}))
    assert "says 'rat': dlc-lifter's networks know mice" in caplog.text


def test_fps_given_or_from_the_video(tmp_path: Path) -> None:
    from dlc_lifter.io import meta_pickle_path
    from dlc_lifter.lift import lift_file

    _, _, poses = _scene(12)
    poses.meta.fps = None
    src = tmp_path / f"mouse1{DLC_SCORER}.h5"
    poses.to_dataframe(DLC_SCORER).to_hdf(src, key="df_with_missing", mode="w")  # no meta pickle
    out = lift_file(src, camera=CameraSpec(camera_height_mm=600.0, focal_px=640.0, fps=25.0),
                    options=LiftOptions(depth=False),
                    output=OutputSpec(destfolder=tmp_path / "given"))
    meta = pd.read_pickle(meta_pickle_path(out))["data"]
    assert meta["fps"] == 25.0
    # the options of the lift are recorded whole, paths as strings
    assert meta["camera_spec"] == {"calibration": None, "camera_name": None,
                                   "camera_height_mm": 600.0, "focal_px": 640.0,
                                   "arena_size_mm": None, "fps": 25.0, "image_size": None,
                                   "view": "auto", "floor_scale": None}
    assert meta["lift_options"]["depth"] is False and meta["lift_options"]["mode"] == "temporal"
    assert meta["output_spec"]["destfolder"] == str(tmp_path / "given")
    out = lift_file(src, video=write_toy_video(tmp_path / "v.mp4", 12, size=(64, 48)),
                    camera=CameraSpec(camera_height_mm=600.0, focal_px=640.0),
                    options=LiftOptions(depth=False),
                    output=OutputSpec(destfolder=tmp_path / "video"))
    assert pd.read_pickle(meta_pickle_path(out))["data"]["fps"] == pytest.approx(30.0)
    with pytest.raises(DLCLifterError, match="fps= must be a positive number"):
        lift_file(src, camera=CameraSpec(fps=-1.0), output=OutputSpec(destfolder=tmp_path / "bad"))


def test_a_frame_rate_given_against_the_file_s_or_the_video_s_is_said(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """``--fps`` that contradicts the file's metadata, or a file's rate that contradicts its
    video's, replaced it without a word (the frame-rate walkthrough: a 12.5 fps file told 25,
    a 30 fps video's poses told 15); now warned, the rate given (or the file's) kept. 29.97
    against 30 is one rate."""
    from dlc_lifter.io import meta_pickle_path
    from dlc_lifter.lift import lift_file

    _, _, poses = _scene(12)
    src = write_dlc_analysis(poses, tmp_path / "in", meta_pickle=True)  # records 30 fps
    spec = {"camera_height_mm": 600.0, "focal_px": 640.0}
    for fps, said in ((25.0, True), (30.0, False), (29.97, False)):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
            out = lift_file(src, camera=CameraSpec(fps=fps, **spec),
                            options=LiftOptions(depth=False),
                            output=OutputSpec(destfolder=tmp_path / f"f{fps}"))
        assert ("records 30 fps; lifted at the 25 fps given" in caplog.text) == said
        assert pd.read_pickle(meta_pickle_path(out))["data"]["fps"] == fps
    video = write_toy_video(tmp_path / "v.mp4", 12, size=(64, 48), fps=15.0)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        lift_file(src, video=video, camera=CameraSpec(**spec), options=LiftOptions(depth=False),
                  output=OutputSpec(destfolder=tmp_path / "video"))
    assert "runs at 15 fps; the poses are lifted at 30 fps" in caplog.text


def test_image_size_given_without_the_video(tmp_path: Path,
                                             caplog: pytest.LogCaptureFixture) -> None:
    """A file without its video or metadata: ``image_size`` puts the principal point where
    the video's metadata would (the same lift), not at the keypoints' centre."""
    from typer.testing import CliRunner

    from dlc_lifter.cli import app
    from dlc_lifter.io import meta_pickle_path, read_poses
    from dlc_lifter.lift import lift_file

    _, truth, poses = _scene(40)
    with_meta = write_dlc_analysis(poses, tmp_path / "meta", meta_pickle=True)
    bare = tmp_path / "bare" / f"mouse1{DLC_SCORER}.h5"
    bare.parent.mkdir()
    poses.to_dataframe(DLC_SCORER).to_hdf(bare, key="df_with_missing", mode="w")
    known = CameraSpec(camera_height_mm=600.0, focal_px=640.0)
    opts = LiftOptions(depth=False)
    ref = read_poses(lift_file(with_meta, camera=known, options=opts))
    with caplog.at_level(logging.WARNING):
        guessed = read_poses(lift_file(bare, camera=known, options=opts,
                                       output=OutputSpec(destfolder=tmp_path / "guess")))
    assert "--image-size" in caplog.text
    given_out = lift_file(bare, camera=CameraSpec(camera_height_mm=600.0, focal_px=640.0,
                                                  image_size="640x480"),
                          options=opts, output=OutputSpec(destfolder=tmp_path / "given"))
    given = read_poses(given_out)
    np.testing.assert_allclose(given.coords, ref.coords, atol=1e-6)
    assert not np.allclose(guessed.coords, ref.coords, atol=1.0, equal_nan=True)
    meta = pd.read_pickle(meta_pickle_path(given_out))["data"]
    assert meta["camera_spec"]["image_size"] == [640, 480]

    def err(p: Poses) -> float:
        est = p.coords[:, 0, :len(NAMES)]
        return float(np.nanmedian(np.linalg.norm(est - truth, axis=-1)))

    assert err(given) < err(guessed)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        lift_file(with_meta, camera=CameraSpec(camera_height_mm=600.0, focal_px=640.0,
                                               image_size=(800, 600)),
                  options=opts, output=OutputSpec(destfolder=tmp_path / "other"))
    assert "records 640x480 frames; using the image size given (800x600)" in caplog.text
    # a size given that cannot hold the tracked points, where the file's own can: the file's
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        small = read_poses(lift_file(
            with_meta, camera=CameraSpec(camera_height_mm=600.0, focal_px=640.0,
                                         image_size=(320, 240)),
            options=opts, output=OutputSpec(destfolder=tmp_path / "small")))
    assert ("outside the 320x240 image given but inside the 640x480 frames the file records: "
            "lifting with the file's") in caplog.text
    np.testing.assert_allclose(small.coords, ref.coords, atol=1e-6)
    runner = CliRunner()
    res = runner.invoke(app, ["lift", str(bare), "--image-size", "640x480", "--no-depth",
                              "--camera-height-mm", "600", "--focal-px", "640",
                              "-o", str(tmp_path / "cli")])  # -o: --destfolder
    assert res.exit_code == 0, res.output
    written = Path(res.output.strip().splitlines()[-1])
    assert written.parent == tmp_path / "cli"
    np.testing.assert_allclose(read_poses(written).coords, ref.coords, atol=1e-6)
    bad = runner.invoke(app, ["lift", str(bare), "--image-size", "640",
                              "--destfolder", str(tmp_path / "bad")])
    assert bad.exit_code != 0 and "WIDTHxHEIGHT" in str(bad.exception)
    # a negative arena: one flag named once, and what a valid size is
    neg = runner.invoke(app, ["lift", str(bare), "--arena-size-mm", "-3",
                              "--destfolder", str(tmp_path / "bad")])
    from dlc_lifter.cli import cli_message

    assert neg.exit_code != 0
    assert cli_message(str(neg.exception)).startswith(
        "The arena size (--arena-size-mm) must be one or two positive numbers")


def test_two_animals_named_by_prefix_are_each_lifted_from_their_own_names() -> None:
    """A multi-animal DLC file whose animals differ by a name prefix (``moth_*`` in one
    individual, ``pup_*`` in the others) lifts each individual from its own keypoints and
    writes its 3D under the names read without the prefix, one column per landmark both
    animals share (as a multi-animal DeepLabCut file has them)."""
    from dlc_lifter.lift.camera_estimate import CameraChoice
    from dlc_lifter.lift.poses import lift_poses

    cam, _, one = _scene(40)
    _, _, other = _scene(40, seed=5)
    k = len(NAMES)
    coords = np.full((40, 2, 2 * k, 2), np.nan)
    conf = np.full((40, 2, 2 * k), np.nan)
    coords[:, 0, :k], conf[:, 0, :k] = one.coords[:, 0], one.confidence[:, 0]
    coords[:, 1, k:], conf[:, 1, k:] = other.coords[:, 0], other.confidence[:, 0]
    names = [f"moth_{n}" for n in NAMES] + [f"pup_{n}" for n in NAMES]
    both = Poses(coords=coords, confidence=conf, keypoints=names,
                 individuals=["single", "pup1"], meta=one.meta)
    choice = CameraChoice(cam, "world", "calibration", {})
    out = lift_poses(both, camera_choice=choice)
    alone = lift_poses(one, camera_choice=choice)
    pup = lift_poses(other, camera_choice=choice)
    assert out.keypoints == alone.keypoints and out.keypoints[:k] == list(NAMES)
    np.testing.assert_allclose(out.coords[:, 0], alone.coords[:, 0])
    np.testing.assert_allclose(out.coords[:, 1], pup.coords[:, 0])
    assert out.meta.extra["catalogue_names"] == alone.meta.extra["catalogue_names"]
    assert out.meta.extra["keypoint_map"]["animals"]["pup_snout"] == "pup"
    # where the shared names would clash with another output name, the names stay the
    # file's, each individual's 3D under its own animal's only
    from dlc_lifter.lift.keypoints import animal_columns
    from dlc_lifter.mouse.keypoint_map import plan_keypoint_map

    plan = plan_keypoint_map(["moth_nose", "moth_tailbase", "pup_nose", "pup_tailbase"])
    lifted = np.array([[True, True, False, False], [False, False, True, True]])
    kept, source, _ = animal_columns([*plan.mapped, "tailbase"], plan, lifted)
    assert kept == [*plan.mapped, "tailbase"]
    assert source.tolist() == [[0, 1, -1, -1, 4], [-1, -1, 2, 3, 4]]


def test_an_individual_of_objects_only_is_left_out_of_the_3d(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A multi-animal DeepLabCut file's unique bodyparts (``single``) that are the arena's
    corners and an object: no animal, so not in the 3D (.h5, NWB, .slp), said once, while
    its corners still measure the arena (before: an all-NaN animal ``single`` in every
    output)."""
    import pickle

    from dlc_lifter.io import read_poses
    from dlc_lifter.lift import lift_file

    _, _, mouse = _scene(40)
    k = len(NAMES)
    still = {"tl": (60, 40), "tr": (580, 40), "bl": (60, 440), "br": (580, 440),
             "water_bottle": (320, 30)}
    coords = np.full((40, 3, k + len(still), 2), np.nan)
    coords[:, 0, :k] = mouse.coords[:, 0]
    coords[:, 1, :k] = mouse.coords[:, 0] + [120.0, 60.0]
    coords[:, 2, k:] = list(still.values())
    conf = np.where(np.isfinite(coords[..., 0]), 0.95, np.nan)
    two = Poses(coords, conf, keypoints=[*NAMES, *still], individuals=["m1", "m2", "single"],
                meta=PoseMetadata(scorer=DLC_SCORER, fps=30.0, image_size=(640, 480)))
    src = write_dlc_analysis(two, tmp_path / "in", multi_animal=True, meta_pickle=True)
    with caplog.at_level(logging.WARNING):
        out = lift_file(src, camera=CameraSpec(camera_height_mm=600.0, focal_px=640.0),
                        output=OutputSpec(destfolder=tmp_path / "out",
                                          formats=("dlc", "nwb", "slp")))
    for path in (out, out.with_suffix(".nwb"), out.with_suffix(".slp")):
        assert read_poses(path).individuals == ["m1", "m2"], path
    with open(out.with_name(f"{out.stem}_meta.pickle"), "rb") as fh:
        meta = pickle.load(fh)["data"]
    assert meta["individuals_left_out"] == {"single": list(still)}
    assert len(meta["arena_px"]) == 4  # the corners still measure the arena
    assert "individual single is tracked" in caplog.text and "left out of the 3D" in caplog.text


def test_animals_of_another_kind_left_out_are_not_called_unique_bodyparts(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A multi-animal DeepLabCut file's pups (``p1``, ``p2``: ``end1 ... end2``) with the
    adult as its unique bodyparts (``single``): the pups, left out, are not said to be
    'not an animal' nor 'unique bodyparts' (before: the words for ``single``'s objects)."""
    from dlc_lifter.lift import lift_file

    _, _, mouse = _scene(40)
    k = len(NAMES)
    coords = np.full((40, 3, k + 2, 2), np.nan)
    coords[:, 2, :k] = mouse.coords[:, 0]
    coords[:, 0, k:] = mouse.coords[:, 0, :2] + [150.0, 0.0]
    coords[:, 1, k:] = mouse.coords[:, 0, :2] + [0.0, 150.0]
    conf = np.where(np.isfinite(coords[..., 0]), 0.95, np.nan)
    pups = Poses(coords, conf, keypoints=[*NAMES, "end1", "end2"],
                 individuals=["p1", "p2", "single"],
                 meta=PoseMetadata(scorer=DLC_SCORER, fps=30.0, image_size=(640, 480)))
    src = write_dlc_analysis(pups, tmp_path / "in", multi_animal=True, meta_pickle=True)
    with caplog.at_level(logging.WARNING):
        lift_file(src, camera=CameraSpec(camera_height_mm=600.0, focal_px=640.0),
                  output=OutputSpec(destfolder=tmp_path / "out"))
    said = [r.getMessage() for r in caplog.records if "individual p1 is tracked" in
            r.getMessage()]
    assert len(said) == 1 and "left out of the 3D" in said[0], caplog.text
    assert "unique bodyparts" not in said[0] and "not an animal" not in said[0]


def test_a_file_whose_only_individual_tracks_an_object_keeps_it_as_the_animal() -> None:
    """A single-animal table of an empty arena: the mouse never tracked, a water bottle
    tracked in every frame. Its one individual is the animal, untracked: the lift keeps it
    (all missing) and the 2D features keep its rows, as they did (before, the lift left it
    out as objects and wrote a 3D of no individual)."""
    from dlc_lifter.analysis.features import compute_features
    from dlc_lifter.lift.camera_estimate import CameraChoice
    from dlc_lifter.lift.keypoints import object_individuals, plan_lift_keypoints
    from dlc_lifter.lift.poses import lift_poses

    cam, _, mouse = _scene(40)
    k = len(NAMES)
    coords = np.full((40, 1, k + 1, 2), np.nan)
    coords[:, 0, k] = (320.0, 30.0)
    conf = np.where(np.isfinite(coords[..., 0]), 0.95, np.nan)
    empty = Poses(coords, conf, keypoints=[*NAMES, "water_bottle"],
                  individuals=["individual0"], meta=mouse.meta)
    assert object_individuals(empty, plan_lift_keypoints(empty, None)) == {}
    out = lift_poses(empty, camera_choice=CameraChoice(cam, "world", "calibration", {}))
    assert out.individuals == ["individual0"] and np.isnan(out.coords).all()
    assert out.meta.extra["individuals_left_out"] == {}
    with warnings.catch_warnings():  # an untracked animal's features: all-NaN medians
        warnings.simplefilter("ignore", RuntimeWarning)
        assert list(compute_features(empty)["individual"].unique()) == ["individual0"]


def test_unique_bodyparts_and_the_others_keep_their_own_names_for_a_landmark(
        caplog: pytest.LogCaptureFixture) -> None:
    """A multi-animal DeepLabCut file tracks the adult's unique bodyparts under ``single`` and
    the pups' bodyparts under ``p1``: a keypoint map naming a pup's ``end1`` the nose keeps
    the adult's ``snout``; each is lifted from, and written under, its own names."""
    from dlc_lifter.lift.camera_estimate import CameraChoice
    from dlc_lifter.lift.poses import lift_poses

    cam, _, adult = _scene(40)
    _, _, pup = _scene(40, seed=5)
    pup_names = {"snout": "end1", "bodycenter": "interm2", "tailbase": "end2"}
    cols = [list(NAMES).index(n) for n in pup_names]
    k = len(NAMES)
    coords = np.full((40, 2, k + 3, 2), np.nan)
    conf = np.full((40, 2, k + 3), np.nan)
    coords[:, 0, :3], conf[:, 0, :3] = pup.coords[:, 0, cols], pup.confidence[:, 0, cols]
    coords[:, 1, 3:], conf[:, 1, 3:] = adult.coords[:, 0], adult.confidence[:, 0]
    both = Poses(coords=coords, confidence=conf, keypoints=[*pup_names.values(), *NAMES],
                 individuals=["p1", "single"], meta=adult.meta)
    user = {"end1": "nose", "interm2": "mouse_center", "end2": "tail_base"}
    choice = CameraChoice(cam, "world", "calibration", {})
    with caplog.at_level(logging.WARNING):
        out = lift_poses(both, camera_choice=choice, keypoint_map=user)
    assert "both name" not in caplog.text
    alone = lift_poses(adult, camera_choice=choice)
    mine = [out.keypoints.index(n) for n in NAMES]
    np.testing.assert_allclose(out.coords[:, 1, mine], alone.coords[:, 0, :k])
    assert np.isfinite(out.coords[:, 0, [out.keypoints.index(n) for n in user]]).all()
    assert np.isnan(out.coords[:, 0, mine]).all()  # the pup's 3D under its own names only
    assert np.isnan(out.coords[:, 1, [out.keypoints.index(n) for n in user]]).all()
    from dlc_lifter.analysis.features import compute_features

    feats = compute_features(out).groupby("individual")["height_nose_mm"].count()
    assert feats["single"] == feats["p1"] == 40  # each animal's nose by its own name


def test_an_individual_whose_keypoints_map_to_nothing_is_said_to_be_tracked(
        caplog: pytest.LogCaptureFixture) -> None:
    """Not 'never tracked': its keypoints are named and a keypoint map suggested."""
    from dlc_lifter.lift.camera_estimate import CameraChoice
    from dlc_lifter.lift.poses import lift_poses

    cam, _, one = _scene(20)
    k = len(NAMES)
    coords = np.full((20, 3, k + 1, 2), np.nan)
    coords[:, 0, :k] = one.coords[:, 0]
    coords[:7, 1, k] = 100.0  # 'end1' only, in 7 frames
    conf = np.where(np.isfinite(coords[..., 0]), 0.9, np.nan)
    poses = Poses(coords=coords, confidence=conf, keypoints=[*NAMES, "end1"],
                  individuals=["single", "p1", "p2"], meta=one.meta)
    with caplog.at_level(logging.INFO):
        lift_poses(poses, camera_choice=CameraChoice(cam, "world", "calibration", {}))
    assert ("individual p1 is tracked (in 7 frames) but none of its keypoints (end1) maps "
            "onto the mouse catalogue") in caplog.text
    assert "'end1: nose'" in caplog.text and "p1 is never tracked" not in caplog.text
    assert "individual p2 is never tracked" in caplog.text


@pytest.mark.parametrize(("name_of", "animals"), [
    (lambda a, n: f"m{a}_{n}", ["m1", "m2"]),  # DeepOF's B_Nose / W_Nose
    (lambda a, n: f"{n}_{a}", ["animal1", "animal2"]),  # SimBA's Nose_1 / Nose_2
])
def test_two_animals_in_one_individual_are_lifted_as_two(
        name_of: Any, animals: list[str], caplog: pytest.LogCaptureFixture) -> None:
    """DeepOF's and SimBA's two-mouse tables track both mice in one single-animal
    individual, by a prefix (``B_Nose``, ``W_Nose``) or a number (``Nose_1``, ``Nose_2``):
    each mouse becomes an individual of its own, lifted exactly as it is alone and written
    under the names without the prefix or number (``Nose``), which the mice share."""
    import logging

    from dlc_lifter.lift.camera_estimate import CameraChoice
    from dlc_lifter.lift.poses import lift_poses

    cam, _, one = _scene(30)
    _, _, other = _scene(30, seed=5)
    k = len(NAMES)
    coords = np.concatenate([one.coords, other.coords], axis=2)
    conf = np.concatenate([one.confidence, other.confidence], axis=2)
    coords[:5, :, k:] = np.nan  # the second animal tracked less
    names = [name_of(1, n) for n in NAMES] + [name_of(2, n) for n in NAMES]
    both = Poses(coords=coords, confidence=conf, keypoints=names, meta=one.meta)
    choice = CameraChoice(cam, "world", "calibration", {})
    with caplog.at_level(logging.INFO, logger="dlc_lifter"):
        out = lift_poses(both, camera_choice=choice)
    assert "tracks 2 animals by their names" in caplog.text
    assert out.individuals == animals
    assert out.meta.extra["animals_split"] == {"individual0": animals}
    from dlc_lifter.cli.inspect import _animals_split
    from dlc_lifter.mouse.keypoint_map import plan_keypoint_map

    assert _animals_split(both, plan_keypoint_map(names)) == (  # what `info` says
        f"; lifted as 2 animals ({', '.join(animals)}: the names' animal prefixes or numbers)")
    alone = lift_poses(one, camera_choice=choice)
    second = Poses(coords=coords[:, :, k:], confidence=conf[:, :, k:], keypoints=NAMES,
                   meta=one.meta)
    pup = lift_poses(second, camera_choice=choice)
    assert out.keypoints == alone.keypoints
    np.testing.assert_allclose(out.coords[:, 0], alone.coords[:, 0])
    np.testing.assert_allclose(out.coords[:, 1], pup.coords[:, 0])
    # an individual tracking one animal is left as it is
    assert lift_poses(both.select(keypoints=names[:k]), camera_choice=choice).individuals == [
        "individual0"]


def test_curled_tail_points_are_counted_and_reported(caplog: pytest.LogCaptureFixture
                                                     ) -> None:
    """A tail lying curled off the body's axis for frames on end is withheld from the video
    networks (``nets.lifter.tail_off_axis``); the lift says so in the log and counts the
    frames per keypoint and individual in ``meta.extra["tails_withheld"]``, under the
    file's own names. A straight tail is never counted, and per-frame lifts never withhold."""
    from dlc_lifter.lift import lift_poses
    from dlc_lifter.nets.lifter import TAIL_OFF_AXIS_FRAMES

    cam, _, poses = _scene()
    cams = {"camera_height_mm": 600.0, "focal_px": 640.0}
    straight = lift_poses(poses, **cams)
    assert straight.meta.extra["tails_withheld"] == {}
    k = list(NAMES)
    uv = poses.coords.copy()  # (T, 1, K, 2)
    base, nose = uv[:, 0, k.index("tailbase")], uv[:, 0, k.index("snout")]
    axis = base - nose
    side = np.stack([-axis[:, 1], axis[:, 0]], -1) / np.linalg.norm(axis, axis=-1)[:, None]
    curled = slice(30, 50)  # the tail's middle beside the hips for 20 frames
    uv[curled, 0, k.index("tailmid")] = base[curled] + 25.0 * side[curled]
    bent = Poses(coords=uv, confidence=poses.confidence, keypoints=k, meta=poses.meta)
    with caplog.at_level(logging.INFO, logger="dlc_lifter.lift.poses"):
        out = lift_poses(bent, **cams)
    counts = out.meta.extra["tails_withheld"]
    assert list(counts) == [poses.individuals[0]] and list(counts[poses.individuals[0]]) == [
        "tailmid"]
    n = counts[poses.individuals[0]]["tailmid"]  # some of the 20 frames, after the first 2
    assert 10 <= n <= 20 - (TAIL_OFF_AXIS_FRAMES - 1)
    assert f"in {n} of 90 frames" in caplog.text and f"tailmid {n}" in caplog.text
    assert lift_poses(bent, mode="frame", **cams).meta.extra["tails_withheld"] == {}


def test_a_labelled_data_folder_lifts_with_no_camera_information(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A DLC ``CollectedData`` of five labelled images, no video, no camera: the animal's
    length over the five sets the camera (warned as measured on five frames), each image is
    lifted alone, and the output is written beside nothing of the user's."""
    import pickle

    from dlc_lifter.io import read_poses
    from dlc_lifter.lift import lift_file

    _, _, poses = _scene(300, seed=5)
    rows = [10, 80, 150, 220, 290]
    df = Poses(coords=poses.coords[rows], confidence=np.ones_like(poses.confidence[rows]),
               keypoints=poses.keypoints, meta=PoseMetadata(scorer="Alice")).to_dataframe(
        scorer="Alice", likelihood=False)
    df.index = pd.MultiIndex.from_tuples([("labeled-data", "vid", f"img{r:04d}.png")
                                          for r in rows])
    src = tmp_path / "labeled-data" / "vid" / "CollectedData_Alice.csv"
    src.parent.mkdir(parents=True)
    df.to_csv(src)
    before = file_sha256(src)
    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        out = lift_file(src, output=OutputSpec(destfolder=tmp_path / "out"))
    assert file_sha256(src) == before
    assert "the animal's length was measured on only 5 frames" in caplog.text
    with open(out.with_name(f"{out.stem}_meta.pickle"), "rb") as fh:
        meta = pickle.load(fh)["data"]
    assert meta["camera_source"] == "body-length-estimate"
    assert meta["camera_estimate"]["body_pair_frames"] == 5
    assert meta["lift_mode"]["frames_alone"] == 5
    assert meta["model"]["mode"] == "frame"  # what lifted them (was: "temporal", asked)
    assert meta["image_paths"][0].endswith("img0010.png")  # the image of each 3D row
    lifted = read_poses(out)
    z = lifted.coords[:, 0, : len(NAMES), 2]
    assert np.isfinite(z).all() and (z > -5).all() and (z < 120).all()
    assert lifted.stills  # read back as separate images, not a video (features, plots)


def _labelled_folder(project: Path, video: str, poses: Poses, rows: list[int],
                     keypoints: list[str] | None = None) -> Path:
    """A DLC labelled-data folder ``<project>/labeled-data/<video>/CollectedData_Alice.csv``."""
    keep = keypoints or list(poses.keypoints)
    cols = [list(poses.keypoints).index(k) for k in keep]
    df = Poses(coords=poses.coords[rows][:, :, cols],
               confidence=np.ones_like(poses.confidence[rows][:, :, cols]), keypoints=keep,
               meta=PoseMetadata(scorer="Alice")).to_dataframe(scorer="Alice",
                                                                likelihood=False)
    df.index = pd.MultiIndex.from_tuples([("labeled-data", video, f"img{r:04d}.png")
                                          for r in rows])
    src = project / "labeled-data" / video / "CollectedData_Alice.csv"
    src.parent.mkdir(parents=True)
    df.to_csv(src)
    import cv2

    for r in rows:  # the images DLC keeps beside the labels (their size: the frames')
        cv2.imwrite(str(src.parent / f"img{r:04d}.png"), np.zeros((480, 640), np.uint8))
    return src


def test_a_project_s_labelled_folders_measure_the_animal_together(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Folders of a few images each: with no camera information, a folder's lift measures
    the animal's length over every folder of its project with the same bodyparts and frame
    size (one camera, warned), so the folders get one camera; a lone folder gets its own."""
    import pickle

    import cv2

    from dlc_lifter.io.find import labelled_data_siblings
    from dlc_lifter.lift import lift_file

    _, _, poses = _scene(300, seed=5)
    project = tmp_path / "proj"
    files = [_labelled_folder(project, f"video{v}", poses, list(range(7 + v, 300, 60)))
             for v in range(3)]
    other = _labelled_folder(project, "other_bodyparts", poses, [1, 61, 121],
                             keypoints=list(NAMES)[:5])
    small = _labelled_folder(project, "video_small", poses, [3, 63, 123])
    for img in small.parent.glob("*.png"):  # another camera's frame size: not pooled
        cv2.imwrite(str(img), np.zeros((240, 320), np.uint8))
    (project / "labeled-data" / "video0_labeled").mkdir()  # DLC's check_labels images
    assert labelled_data_siblings(files[0]) == [other, files[1], files[2], small]
    assert labelled_data_siblings(tmp_path / "CollectedData_Alice.csv") == []
    before = [file_sha256(f) for f in files]
    heights = []
    for i, f in enumerate(files):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
            out = lift_file(f, output=OutputSpec(destfolder=tmp_path / f"out{i}"))
        assert "the animal's length is measured over them and the 2 other" in caplog.text
        assert "same bodyparts and frame size" in caplog.text  # the images' size known
        assert "other_bodyparts" not in caplog.text  # the other file's own messages
        with open(out.with_name(f"{out.stem}_meta.pickle"), "rb") as fh:
            est = pickle.load(fh)["data"]["camera_estimate"]
        assert est["pooled_labelled_data"]["files"] == 2
        assert est["pooled_labelled_data"]["frames"] == 10
        assert est["body_pair_frames"] >= 10  # this folder's and the others' frames
        heights.append(est["height_mm"])
    assert max(heights) - min(heights) < 1e-6 * max(heights)
    assert [file_sha256(f) for f in files] == before
    # a lone folder (its project has no other) measures itself
    lone = _labelled_folder(tmp_path / "lone", "video0", poses, list(range(7, 300, 60)))
    out = lift_file(lone, output=OutputSpec(destfolder=tmp_path / "out_lone"))
    with open(out.with_name(f"{out.stem}_meta.pickle"), "rb") as fh:
        est = pickle.load(fh)["data"]["camera_estimate"]
    assert "pooled_labelled_data" not in est and est["body_pair_frames"] < 10
    # the camera given: nothing pooled
    out = lift_file(files[0], camera=CameraSpec(camera_height_mm=600.0, focal_px=640.0),
                    output=OutputSpec(destfolder=tmp_path / "out_given"))
    with open(out.with_name(f"{out.stem}_meta.pickle"), "rb") as fh:
        assert "pooled_labelled_data" not in pickle.load(fh)["data"]["camera_estimate"]
    # a large project: the other folders are read, in order, only until they hold enough
    from dlc_lifter.io import read_poses
    from dlc_lifter.lift import labelled_pool
    from dlc_lifter.mouse.keypoint_map import plan_keypoint_map

    mine = read_poses(files[0])
    plan = plan_keypoint_map(mine.keypoints)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(labelled_pool, "POOL_FRAMES", 5)
        pooled = labelled_pool.project_frames(mine, plan, 0.6)
    assert pooled is not None and pooled[2]["files"] == 1 and pooled[2]["frames"] == 5


def test_a_project_s_labelled_folders_say_together_where_a_back_label_sits(
        tmp_path: Path) -> None:
    """A centre label placed far back along the body (as DANNCE's ``SpineM``) in folders of
    five images: alone a folder has too few frames to tell, together they do, and the label
    is lifted to the back's height where it lies (``on_the_back``)."""
    from dlc_lifter.lift import lift_poses

    _, _, poses = _scene(300, seed=5)
    kp = list(poses.keypoints)
    centre, nose, tail = (kp.index(n) for n in ("bodycenter", "snout", "tailbase"))
    moved = poses.coords.copy()  # 0.85 of the way from the nose to the tail base
    moved[:, :, centre] = moved[:, :, nose] + 0.85 * (moved[:, :, tail] - moved[:, :, nose])
    shifted = Poses(coords=moved, confidence=poses.confidence, keypoints=kp,
                    meta=poses.meta)
    cam = dict(camera_height_mm=600.0, focal_px=640.0)
    files = [_labelled_folder(tmp_path / "proj", f"video{v}", shifted,
                              list(range(3 + v, 300, 25))[:5]) for v in range(12)]
    from dlc_lifter.io import read_poses

    together = lift_poses(read_poses(files[0]), **cam).meta.extra["on_the_back"]
    assert together.get("bodycenter", 0) > 0.75, together
    from typer.testing import CliRunner  # ``dlc-lifter info`` says the same

    from dlc_lifter.cli import app

    res = CliRunner().invoke(app, ["info", str(files[0])])
    assert res.exit_code == 0, res.output
    assert "bodycenter 0.8" in res.output and "lifted where it lies on the back" in res.output
    lone = _labelled_folder(tmp_path / "lone", "video0", shifted,
                            list(range(3, 300, 30))[:5])
    assert lift_poses(read_poses(lone), **cam).meta.extra["on_the_back"] == {}


def test_back_labels_the_wrong_way_round_are_warned_about(
        caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    """A centre label placed in front of the neck label: the lift (and ``info``) says they
    lie the wrong way round, in the file's own names; in order, nothing is said."""
    from dlc_lifter.lift import lift_poses

    _, _, poses = _scene(90, seed=5)
    kp = list(poses.keypoints)
    cam = dict(camera_height_mm=600.0, focal_px=640.0)
    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        assert lift_poses(poses, **cam).meta.extra["back_out_of_order"] == {}
    assert "in front of" not in caplog.text
    centre, nose, tail = (kp.index(n) for n in ("bodycenter", "snout", "tailbase"))
    moved = poses.coords.copy()  # 0.15 of the way from the nose: before the neck (0.29)
    moved[:, :, centre] = moved[:, :, nose] + 0.15 * (moved[:, :, tail] - moved[:, :, nose])
    wrong = Poses(coords=moved, confidence=poses.confidence, keypoints=kp, meta=poses.meta)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        out = lift_poses(wrong, **cam).meta.extra["back_out_of_order"]
    pairs = next(iter(out.values()))
    assert [(p["front"], p["behind"]) for p in pairs] == [("neck", "bodycenter")]
    assert pairs[0]["share"] >= 0.8
    assert "bodycenter lies in front of neck" in caplog.text
    # info says it in the same words, from the same record
    from typer.testing import CliRunner

    from dlc_lifter.cli import app

    res = CliRunner().invoke(app, ["info", str(write_dlc_analysis(wrong, tmp_path))])
    assert res.exit_code == 0, res.output
    order = next(line for line in res.output.splitlines() if line.startswith("Back order:"))
    assert f"bodycenter lies in front of neck in {100 * pairs[0]['share']:.0f} %" in order


def test_one_video_of_a_sleap_labels_project_is_lifted(tmp_path: Path) -> None:
    """``lift_file(sleap_video=...)`` (``--sleap-video``) lifts that video's frames of a
    SLEAP labels project into ``<stem>.<video stem>_lifted3d.h5``; a batch job does the
    same through ``LiftJob.sleap_video``."""
    import pickle

    import sleap_io as sio

    from dlc_lifter.io import read_poses
    from dlc_lifter.lift import lift_file
    from dlc_lifter.lift.batch import LiftJob, run_lift_job

    _, _, poses = _scene(120, seed=5)
    sk = sio.Skeleton(nodes=list(poses.keypoints))
    videos = [sio.Video(filename=f"/data/{n}.mp4", open_backend=False) for n in ("a", "b")]
    rows = {"a": [3, 40, 77], "b": [10, 50, 90, 110]}
    lfs = [sio.LabeledFrame(video=v, frame_idx=r, instances=[sio.Instance.from_numpy(
        poses.coords[r, 0], skeleton=sk)]) for v, n in zip(videos, "ab", strict=True)
        for r in rows[n]]
    src = tmp_path / "labels.slp"
    sio.save_slp(sio.Labels(labeled_frames=lfs, videos=videos, skeletons=[sk]), str(src))
    cam = CameraSpec(camera_height_mm=600.0, focal_px=640.0)
    out = lift_file(src, sleap_video="b", camera=cam)
    assert out == tmp_path / "labels.b_lifted3d.h5"
    back = read_poses(out)
    assert back.n_frames == 4
    with open(out.with_name(f"{out.stem}_meta.pickle"), "rb") as fh:
        assert pickle.load(fh)["data"]["sleap_video"] == {"asked": "b", "stem": "b"}
    job = LiftJob(poses=str(src), output=str(tmp_path / "o" / "labels.a_lifted3d.h5"),
                  video_from_poses=True, camera=cam, sleap_video="/data/a.mp4")
    (tmp_path / "o").mkdir()
    item = run_lift_job(job)
    assert item.status == "done", item.error
    assert read_poses(item.output).n_frames == 3
    from typer.testing import CliRunner

    from dlc_lifter.cli import app

    res = CliRunner().invoke(app, ["lift", str(src), "--sleap-video", "1", "--no-depth",
                                   "--camera-height-mm", "600", "--focal-px", "640",
                                   "--destfolder", str(tmp_path / "cli")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "cli" / "labels.b_lifted3d.h5").is_file()


def test_a_sleap_project_s_videos_of_one_name_are_each_lifted(tmp_path: Path) -> None:
    """Two days' ``video.mp4`` in one labels project (a ``.pkg.slp``'s videos all carry the
    package's name): each video is lifted, into an output named after its folder, and a
    name that means two videos is refused in favour of the number."""
    import sleap_io as sio

    from dlc_lifter.io import read_poses
    from dlc_lifter.lift import lift_file
    from dlc_lifter.lift.batch import lift_files

    _, _, poses = _scene(120, seed=5)
    sk = sio.Skeleton(nodes=list(poses.keypoints))
    videos = [sio.Video(filename=f"/data/{d}/video.mp4", open_backend=False)
              for d in ("day1", "day2")]
    rows = {"day1": [3, 40, 77], "day2": [10, 50, 90, 110]}
    lfs = [sio.LabeledFrame(video=v, frame_idx=r, instances=[sio.Instance.from_numpy(
        poses.coords[r, 0], skeleton=sk)]) for v, d in zip(videos, rows, strict=True)
        for r in rows[d]]
    src = tmp_path / "in" / "labels.slp"
    src.parent.mkdir()
    sio.save_slp(sio.Labels(labeled_frames=lfs, videos=videos, skeletons=[sk]), str(src))
    cam = CameraSpec(camera_height_mm=600.0, focal_px=640.0)
    report = lift_files(src.parent, camera=cam,
                        output=OutputSpec(destfolder=str(tmp_path / "out"), formats=("dlc",)))
    assert report.ok and len(report.done) == 2, report.summary()
    for day, n in (("day1", 3), ("day2", 4)):
        assert read_poses(tmp_path / "out" / f"labels.video_{day}_lifted3d.h5").n_frames == n
    with pytest.raises(DLCLifterError, match="2 of its videos are named 'video.mp4'"):
        lift_file(src, sleap_video="video.mp4", camera=cam)


def test_a_labels_package_is_lifted_as_labelled_images(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A SLEAP ``.pkg.slp`` (user labels, their frames embedded, the labeller's video not
    here): each labelled frame lifted alone, as DLC's labelled data, also where frame
    numbers follow each other; the frame size the images'; no video tried (before: the
    package was opened as a video, 'cannot be opened by OpenCV. Convert it to an .mp4')."""
    import pickle

    from dlc_lifter.io import read_poses
    from dlc_lifter.lift import lift_file

    _, _, poses = _scene(40, seed=4)
    pkg = write_labels_package(poses, tmp_path / "labels.pkg.slp", [10, 11, 12, 13, 30])
    with caplog.at_level(logging.INFO):
        out = lift_file(pkg, video="auto", output=OutputSpec(destfolder=tmp_path / "out"),
                        camera=CameraSpec(camera_height_mm=600.0, focal_px=640.0))
    lifted = read_poses(out)
    assert lifted.stills and lifted.meta.extra["lift_mode"]["frames_alone"] == 5
    # rows 10-13 are consecutive frame numbers: labelled images, not "not consecutive"
    assert lifted.meta.extra["lift_mode"]["summary"].startswith(
        "labelled images: each of the 5 frames lifted alone")
    assert lifted.meta.image_size == (640, 480) and lifted.meta.video is None
    assert "OpenCV" not in caplog.text and "embedded" in caplog.text
    with open(out.with_name(f"{out.stem}_meta.pickle"), "rb") as fh:
        assert len(pickle.load(fh)["data"]["image_paths"]) == 5  # the image of each row


def test_a_labels_package_from_the_video_s_first_frames_is_lifted_with_it(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A package whose labelled frames are the video's first (0, 1) and its video beside
    it: the video holds each labelled frame, so it is used (before: checked as if the
    rows were the whole recording, 'has 40 frames but ... 2 frames: not its video?')."""
    from dlc_lifter.io import read_poses
    from dlc_lifter.lift import lift_file

    _, _, poses = _scene(40, seed=4)
    pkg = write_labels_package(poses, tmp_path / "labels.pkg.slp", [0, 1], keep_video=True)
    video = tmp_path / "labeller" / "session.mp4"
    write_toy_video(video, 40, size=poses.meta.image_size)  # the whole recording
    with caplog.at_level(logging.INFO):
        out = lift_file(pkg, video="auto", output=OutputSpec(destfolder=tmp_path / "out"),
                        camera=CameraSpec(camera_height_mm=600.0, focal_px=640.0),
                        options=LiftOptions(depth=False))
    assert read_poses(out).meta.video == str(video)
    assert "not its video" not in caplog.text and "off by" not in caplog.text
    assert "holds each of the 2 labelled frames" in caplog.text


def test_a_labels_package_recorded_as_the_source_is_not_opened_as_a_video(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A package whose recorded source is another package beside it (SLEAP records the
    package a project was opened from): lifted from its keypoints, the other package
    never opened as a video, by ``lift_file(video="auto")`` and by ``lift_files`` (before:
    'cannot be opened by OpenCV. Convert it to an .mp4')."""
    from dlc_lifter.io import read_poses
    from dlc_lifter.lift import lift_file
    from dlc_lifter.lift.batch import lift_files

    _, _, poses = _scene(20, seed=4)
    src = tmp_path / "src"
    src.mkdir()
    pkg = write_labels_package(poses, src / "val.pkg.slp", [3, 12],
                               source="sleap_labels.pkg.slp")
    (tmp_path / "sleap_labels.pkg.slp").write_bytes(pkg.read_bytes())
    (src / "sleap_labels.pkg.slp").write_bytes(pkg.read_bytes())
    cam = CameraSpec(camera_height_mm=600.0, focal_px=640.0)
    with caplog.at_level(logging.INFO):
        out = lift_file(pkg, video="auto", output=OutputSpec(destfolder=tmp_path / "out"),
                        camera=cam)
        report = lift_files(src, camera=cam,
                            output=OutputSpec(destfolder=str(tmp_path / "batch")))
    meta = read_poses(out).meta
    assert meta.video is None and "video_not_used" not in meta.extra
    assert "OpenCV" not in caplog.text and "a SLEAP labels file, not a video" in caplog.text
    assert report.ok and len(report.done) == 2, report.summary()
    assert all(item.video is None for item in report.done)


def test_where_a_packages_images_came_from_is_said_in_one_place() -> None:
    """A package's embedded images: one phrase for the lift's log and ``dlc-lifter info``
    (each had its own), none where the source video is here or nothing is embedded."""
    from dlc_lifter.lift.pipeline import embedded_images_whence

    def meta(video: str | None = None, **embedded: Any) -> PoseMetadata:
        return PoseMetadata(video=video, extra={"embedded_images": embedded} if embedded
                            else {})

    assert embedded_images_whence(meta(source_video="s.mp4", source_is_labels=False)) == (
        "its images are embedded in the file (from s.mp4, not on this machine nor beside "
        "the file)")
    assert embedded_images_whence(meta(source_video="a.pkg.slp", source_is_labels=True)) == (
        "its images are embedded in the file (from a.pkg.slp, a SLEAP labels file, not a "
        "video)")
    assert embedded_images_whence(meta(source_video=None, source_is_labels=False)) == (
        "its images are embedded in the file")
    assert embedded_images_whence(meta("s.mp4", source_video="s.mp4")) is None
    assert embedded_images_whence(meta()) is None


def test_untracked_sleap_instances_are_named_untracked_in_the_outputs(
        tmp_path: Path) -> None:
    """Two untracked SLEAP instances a frame: the 3D ``.h5`` and the NWB name them
    ``untracked0``, ``untracked1`` (SLEAP's word), not as tracks (before: ``instance0``)."""
    import sleap_io as sio

    from dlc_lifter.io import read_poses
    from dlc_lifter.lift import lift_file

    _, _, poses = _scene(30, seed=6)
    sk = sio.Skeleton(nodes=list(poses.keypoints))
    video = sio.Video(filename="/data/two.mp4", open_backend=False)
    lfs = [sio.LabeledFrame(video=video, frame_idx=f, instances=[
        sio.PredictedInstance.from_numpy(poses.coords[f, 0] + dx, skeleton=sk,
                                         point_scores=np.full(len(sk.nodes), 0.9), score=0.9)
        for dx in (0.0, 200.0)]) for f in range(poses.n_frames)]
    src = tmp_path / "two.slp"
    sio.save_slp(sio.Labels(labeled_frames=lfs, videos=[video], skeletons=[sk]), str(src))
    out = lift_file(src, camera=CameraSpec(camera_height_mm=600.0, focal_px=640.0),
                    output=OutputSpec(destfolder=tmp_path / "out", nwb=True))
    assert read_poses(out).individuals == ["untracked0", "untracked1"]
    assert read_poses(out.with_suffix(".nwb")).individuals == ["untracked0", "untracked1"]


def _two_mice_slp(path: Path, poses: Poses, tracked: bool, swapping: bool = False) -> Path:
    """A SLEAP ``.slp`` of two predicted mice in every frame of ``poses``: on two tracks,
    or untracked (SLEAP's slots ``untracked0``, ``untracked1``; ``swapping``: the mice's
    order in the frame alternates, as untracked instances come)."""
    import sleap_io as sio

    sk = sio.Skeleton(nodes=list(poses.keypoints))
    tracks = [sio.Track(name="a"), sio.Track(name="b")]
    video = sio.Video(filename="/data/two.mp4", open_backend=False)
    lfs = [sio.LabeledFrame(video=video, frame_idx=f, instances=[
        sio.PredictedInstance.from_numpy(poses.coords[f, 0] + dx, skeleton=sk,
                                         point_scores=np.full(len(sk.nodes), 0.9), score=0.9,
                                         track=track if tracked else None)
        for dx, track in zip((200.0, 0.0) if swapping and f % 2 else (0.0, 200.0), tracks,
                             strict=True)])
        for f in range(poses.n_frames)]
    sio.save_slp(sio.Labels(labeled_frames=lfs, videos=[video], skeletons=[sk],
                            tracks=tracks if tracked else []), str(path))
    return path


def test_untracked_slots_are_lifted_frame_by_frame(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Two untracked slots (no identity: a slot may hold the other mouse next frame) are
    lifted each frame alone, recorded in the lift mode and said; the same mice on tracks
    are lifted over the consecutive frames (before: the temporal network across frames
    for the slots too)."""
    from dlc_lifter.io import read_poses
    from dlc_lifter.lift import lift_file

    _, _, poses = _scene(30, seed=6)
    cam = CameraSpec(camera_height_mm=600.0, focal_px=640.0)
    with caplog.at_level(logging.INFO):
        out = lift_file(_two_mice_slp(tmp_path / "two.slp", poses, tracked=False),
                        camera=cam, output=OutputSpec(destfolder=tmp_path / "out"))
    mode = read_poses(out).meta.extra["lift_mode"]
    assert mode["untracked_alone"] == ["untracked0", "untracked1"]
    assert "untracked slots untracked0, untracked1 lifted each frame alone" in mode["summary"]
    assert "untracked slots untracked0, untracked1 lifted each frame alone" in caplog.text
    frame = lift_file(tmp_path / "two.slp", camera=cam, options=LiftOptions(mode="frame"),
                      output=OutputSpec(destfolder=tmp_path / "frame"))
    np.testing.assert_allclose(read_poses(out).coords, read_poses(frame).coords, atol=1e-6)
    tracks = lift_file(_two_mice_slp(tmp_path / "tracks.slp", poses, tracked=True),
                       camera=cam, output=OutputSpec(destfolder=tmp_path / "out"))
    mode = read_poses(tracks).meta.extra["lift_mode"]
    assert "untracked_alone" not in mode and mode["frames_alone"] == 0
    # the slots swapping mice every frame are not read as a file of separate images (was:
    # "these rows are not a continuous video", and features without time or speeds)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        swap = lift_file(_two_mice_slp(tmp_path / "swap.slp", poses, tracked=False,
                                       swapping=True),
                         camera=cam, output=OutputSpec(destfolder=tmp_path / "out"))
    mode = read_poses(swap).meta.extra["lift_mode"]
    assert mode["untracked_alone"] == ["untracked0", "untracked1"], mode
    assert mode["runs"] == 1 and "not a continuous video" not in caplog.text


def test_a_video_of_unknown_length_is_not_said_to_match(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """An image sequence's first image (SLEAP's ImageVideo) opens with no frame count and
    OpenCV's stand-in rate: neither is said to match the poses nor taken."""
    import cv2

    from dlc_lifter.lift.pipeline import _check_video

    img = tmp_path / "img_0000.png"
    cv2.imwrite(str(img), np.zeros((48, 64, 3), np.uint8))
    _, _, poses = _scene(10, seed=1)
    poses.meta.fps = None
    with caplog.at_level(logging.INFO, logger="dlc_lifter"):
        assert _check_video(img, poses) == ((64, 48), None)
    assert "frame count is unknown" in caplog.text and "matches" not in caplog.text
    assert poses.meta.fps is None


def test_predictions_on_images_lift_as_images_of_their_size(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """DeepLabCut 3's ``analyze_images`` table (each row an image's full path, key
    ``predictions``) beside no video: each image lifted alone, said as images and not as
    labels; no warning of a missing video; the frame size the images' (before: guessed
    from the keypoints, which moved the principal point and read the camera oblique)."""
    import cv2

    from dlc_lifter.io import read_poses
    from dlc_lifter.lift import lift_file

    _, _, poses = _scene(40, seed=6)
    frames = tmp_path / "frames"
    frames.mkdir()
    df = poses.select(frames=range(0, 40, 8)).to_dataframe(DLC_SCORER)
    df.index = [str(frames / f"img{i:03d}.png") for i in range(0, 40, 8)]
    cv2.imwrite(df.index[0], np.zeros((480, 640, 3), np.uint8))
    src = tmp_path / f"image_predictions_{DLC_SCORER}.h5"
    df.to_hdf(src, key="predictions")
    with caplog.at_level(logging.INFO):
        out = lift_file(src, video="auto", output=OutputSpec(destfolder=tmp_path / "out"),
                        camera=CameraSpec(camera_height_mm=600.0, focal_px=640.0))
    lifted = read_poses(out)
    assert lifted.meta.image_size == (640, 480)
    assert lifted.meta.extra["lift_mode"]["summary"] == (
        "images: each of the 5 frames lifted alone (frame network)")
    assert "its rows are images" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING
                and ("video" in r.getMessage() or "image size" in r.getMessage())]


def _predictions_slp(poses: Poses, video: str, path: Path) -> Path:
    """``poses``' first individual as SLEAP predictions of every frame, recording
    ``video``, at ``path``."""
    import sleap_io as sio

    sk = sio.Skeleton(nodes=list(poses.keypoints))
    vid = sio.Video(filename=video, open_backend=False)
    lfs = [sio.LabeledFrame(video=vid, frame_idx=f, instances=[
        sio.PredictedInstance.from_numpy(poses.coords[f, 0], skeleton=sk,
                                         point_scores=np.full(len(sk.nodes), 0.9), score=0.9)])
        for f in range(poses.n_frames)]
    sio.save_slp(sio.Labels(labeled_frames=lfs, videos=[vid], skeletons=[sk]), str(path))
    return path


def test_sleap_poses_of_the_start_of_a_longer_video_are_lifted_with_it(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """SLEAP numbers its frames and stops at the last it tracked (``sleap-track --frames
    0-19``; an analysis file ends there): frames 0..19 of a 30-frame video are its first
    20, found beside the file or given, where a DeepLabCut table of 20 rows is not that
    video's (tested above). Before, the video was left out ("not its video?") or refused."""

    from dlc_lifter.io import read_poses
    from dlc_lifter.lift import lift_file

    _, _, poses = _scene(20, seed=3)
    clip = write_toy_video(tmp_path / "clip.mp4", 30, size=(64, 48))
    src = _predictions_slp(poses, str(clip), tmp_path / "clip.predictions.slp")
    cam = CameraSpec(camera_height_mm=600.0, focal_px=640.0)
    with caplog.at_level(logging.INFO):
        out = lift_file(src, video="auto", camera=cam, options=LiftOptions(depth=False),
                        output=OutputSpec(destfolder=tmp_path / "found"))
    assert "not its video?" not in caplog.text
    assert "the poses are of its first 20 frames (0..19)" in caplog.text
    assert read_poses(out).meta.video == str(clip.absolute())
    given = lift_file(src, video=clip, camera=cam, options=LiftOptions(depth=False),
                      output=OutputSpec(destfolder=tmp_path / "given"))
    assert read_poses(given).meta.video == str(clip.absolute())


def test_a_sleap_video_not_used_is_still_the_one_the_3d_slp_names(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A SLEAP file's video found beside it but too short for its frames is left out of
    the lift (warned, as before); the 3D ``.slp`` names that video, as the NWB does, with
    ``video_named_from`` saying why it was not used. Before, it named a video after the
    pose file and logged that the file names no video."""
    import sleap_io as sio

    from dlc_lifter.lift import lift_file

    _, _, poses = _scene(20, seed=3)
    clip = write_toy_video(tmp_path / "clip.mp4", 10, size=(64, 48))
    src = _predictions_slp(poses, "D:/rig/clip.mp4", tmp_path / "clip.predictions.slp")
    with caplog.at_level(logging.INFO):
        out = lift_file(src, video="auto", camera=CameraSpec(camera_height_mm=600.0,
                                                              focal_px=640.0),
                        options=LiftOptions(depth=False),
                        output=OutputSpec(destfolder=tmp_path / "out", formats=("dlc", "slp")))
    assert "not its video?" in caplog.text and "no video named in it" not in caplog.text
    labels = sio.load_slp(str(out.with_suffix(".slp")), open_videos=False)
    assert labels.videos[0].filename == str(clip.absolute())
    assert labels.provenance["dlc_lifter"]["video_named_from"] == \
        "the video found or given, not used (frame count off)"
    from dlc_lifter.io import read_poses

    assert read_poses(out.with_suffix(".slp")).meta.video is None  # not the lift's video


def test_the_3d_slp_keeps_the_instances_scores(tmp_path: Path) -> None:
    """The 2D instances the 3D ``.slp`` carries keep a SLEAP file's instance and tracking
    scores (a user filters by them); before, the score became the mean of the points'
    scores and the tracking score NaN."""
    import sleap_io as sio

    from dlc_lifter.lift import lift_file

    _, _, poses = _scene(12, seed=4)
    sk = sio.Skeleton(nodes=list(poses.keypoints))
    track = sio.Track(name="mouse")
    video = sio.Video(filename="/data/s.mp4", open_backend=False)
    lfs = [sio.LabeledFrame(video=video, frame_idx=f, instances=[
        sio.PredictedInstance.from_numpy(poses.coords[f, 0], skeleton=sk, track=track,
                                         point_scores=np.full(len(sk.nodes), 0.9),
                                         score=0.5 + 0.01 * f, tracking_score=0.25)])
        for f in range(poses.n_frames)]
    src = tmp_path / "s.predictions.slp"
    sio.save_slp(sio.Labels(labeled_frames=lfs, videos=[video], skeletons=[sk],
                            tracks=[track]), str(src))
    out = lift_file(src, camera=CameraSpec(camera_height_mm=600.0, focal_px=640.0),
                    options=LiftOptions(depth=False),
                    output=OutputSpec(destfolder=tmp_path / "out", formats=("dlc", "slp")))
    got = sio.load_slp(str(out.with_suffix(".slp")), open_videos=False)
    insts = [lf.instances[0] for lf in sorted(got.labeled_frames, key=lambda lf: lf.frame_idx)]
    np.testing.assert_allclose([i.score for i in insts], 0.5 + 0.01 * np.arange(12))
    assert all(i.tracking_score == 0.25 for i in insts)


def test_a_point_imputed_below_the_cutoff_has_likelihood_0_in_every_output(
        tmp_path: Path) -> None:
    """A keypoint tracked below the likelihood cutoff is imputed (the lifter's estimate):
    its likelihood in the 3D ``.h5`` and its NWB confidence are 0, as the NWB's
    confidence definition and the README say; tracked points keep theirs. Before, the
    tracker's 0.4 stayed, so a reader filtering at 0.3 took the estimate for a detection."""
    import h5py

    from dlc_lifter.io import read_poses
    from dlc_lifter.lift import lift_file

    _, _, poses = _scene(30, seed=5)
    poses.confidence[:] = 0.95
    k = list(poses.keypoints).index("snout") if "snout" in poses.keypoints else 0
    poses.confidence[10:20, 0, k] = 0.4
    src = write_dlc_analysis(poses, tmp_path / "in", meta_pickle=True)
    out = lift_file(src, camera=CameraSpec(camera_height_mm=600.0, focal_px=640.0),
                    options=LiftOptions(depth=False, pcutoff=0.6),
                    output=OutputSpec(destfolder=tmp_path / "out", formats=("dlc", "nwb")))
    got = read_poses(out)
    imputed = got.meta.extra["imputed"]
    j = list(got.keypoints).index(poses.keypoints[k])
    assert imputed[10:20, 0, j].all()
    np.testing.assert_array_equal(got.confidence[10:20, 0, j], 0.0)
    tracked = ~imputed[:, 0, : poses.n_keypoints]
    np.testing.assert_allclose(got.confidence[:, 0, : poses.n_keypoints][tracked], 0.95)
    with h5py.File(out.with_suffix(".nwb"), "r") as fh:
        series = fh[f"processing/behavior/PoseEstimation/{poses.keypoints[k]}"]
        np.testing.assert_array_equal(series["confidence"][10:20], 0.0)


def test_sleap_video_on_a_file_of_one_recording_says_so(tmp_path: Path) -> None:
    """``sleap_video=`` on a DeepLabCut file: what it is for (before: "cannot be read by
    sleap-io (KeyError 'tracks_json') ... a complete SLEAP .slp")."""
    from dlc_lifter.errors import PoseFileError
    from dlc_lifter.lift import lift_file

    src = write_dlc_analysis(_scene(10)[2], tmp_path)
    with pytest.raises(PoseFileError, match="sleap_video= .* chooses a video of a SLEAP .slp"):
        lift_file(src, sleap_video=3)
    assert not list(tmp_path.glob("*lifted3d*"))


def test_lifting_again_leaves_no_file_of_the_earlier_lift(tmp_path: Path,
                                                           caplog: pytest.LogCaptureFixture
                                                           ) -> None:
    """An overwrite asking for fewer formats than the earlier lift had (``--csv --nwb``
    first, then ``--overwrite`` or ``--redo-out-of-date`` alone) writes those files again
    too, the NWB with the metadata it was written with: before, the old ``.csv`` and NWB
    stayed beside the new ``.h5``, another lift's 3D under the same name."""
    from dlc_lifter.io import read_lift_record, read_poses
    from dlc_lifter.lift import lift_file

    _, _, poses = _scene(40)
    src = write_dlc_analysis(poses, tmp_path / "in")
    meta = {"session_start_time": "2024-05-01T10:00:00+00:00",
            "subject": {"subject_id": "m7", "species": "Mus musculus"}}
    out = lift_file(src, camera=CameraSpec(camera_height_mm=600.0, focal_px=640.0),
                    options=LiftOptions(depth=False),
                    output=OutputSpec(save_as_csv=True, nwb=True, nwb_metadata=meta))
    first = read_poses(out).coords
    with caplog.at_level(logging.INFO):
        lift_file(src, camera=CameraSpec(camera_height_mm=500.0, focal_px=640.0),
                  options=LiftOptions(depth=False), output=OutputSpec(overwrite=True))
    assert "also has its csv and nwb: written again too" in caplog.text
    again = read_poses(out).coords
    assert not np.allclose(again, first, equal_nan=True)  # another camera, another lift
    for companion in (out.with_suffix(".csv"), out.with_suffix(".nwb")):
        np.testing.assert_allclose(read_poses(companion).coords, again, atol=1e-6)
    record = read_lift_record(out)
    assert record["formats"] == ["csv", "nwb", "dlc"]
    assert record["nwb_metadata"]["subject"]["subject_id"] == "m7"
