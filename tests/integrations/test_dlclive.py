"""The DLC-Live processor (``dlc_lifter.integrations.dlclive``), with a stand-in base class
when deeplabcut-live is not installed."""

from __future__ import annotations

import dataclasses
import inspect
import logging
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from dlc_lifter.errors import DLCLifterError
from dlc_lifter.integrations import dlclive as integration
from dlc_lifter.mouse.catalogue import CATALOGUE
from tests.fixtures.live import (
    ANY_IMAGE,
    DEPTH_FRAMES,
    DEPTH_SIZE,
    DLC_NAMES,
    FPS,
    N_FRAMES,
    Clip,
    DepthClip,
    read_snout_at,
)


# ----------------------------------------------------------------------------- processor
class _StandInProcessor:
    """The two methods of ``dlclive.Processor`` (v1.1.0), for hosts without dlclive."""

    def __init__(self, **kwargs) -> None:
        pass

    def process(self, pose, **kwargs):
        return pose

    def save(self, file=""):
        return 0


def _processor_classes() -> list:
    params = [pytest.param(type("StandInLiftProcessor",
                                (integration._LiftProcessorImpl, _StandInProcessor), {}),
                           id="stand-in-base")]
    try:
        import dlclive  # noqa: F401
    except ImportError:
        params.append(pytest.param(None, id="dlclive", marks=pytest.mark.skip(
            reason="deeplabcut-live not installed")))
    else:
        params.append(pytest.param("real", id="dlclive"))
    return params


@pytest.fixture(params=_processor_classes())
def processor_cls(request):
    if request.param == "real":
        return integration.processor_class()
    return request.param


def test_processor_returns_pose_unchanged_and_saves(clip: Clip, processor_cls, tmp_path,
                                                     streamed) -> None:
    cam = clip.camera
    proc = processor_cls(keypoint_names=",".join(DLC_NAMES), camera=cam, fps=FPS)
    assert proc.live is not None
    for i in range(N_FRAMES):
        pose = clip.pose(i)
        before = pose.copy()
        out = proc.process(pose, frame_time=i / FPS)
        assert out is pose
        np.testing.assert_array_equal(pose, before)
    _, results = streamed
    np.testing.assert_allclose(proc.poses_3d, np.stack([r.pose_3d for r in results]),
                               atol=1e-6)
    assert proc.last_result is not None and proc.last_result.features

    npz = tmp_path / "live3d.npz"
    assert proc.save(str(npz)) == 1
    with np.load(npz) as z:
        assert z["pose_3d"].shape == (N_FRAMES, len(CATALOGUE), 3)
        assert list(z["keypoints"][:4]) == DLC_NAMES
        assert z["features"].shape == (N_FRAMES, len(z["feature_columns"]))
        np.testing.assert_allclose(z["frame_time"], np.arange(N_FRAMES) / FPS)
    assert proc.save(str(npz)) == 0  # exists, overwrite not asked for

    from dlc_lifter.io import read_poses

    h5 = tmp_path / "live3d.h5"
    assert proc.save(h5) == 1
    back = read_poses(h5)
    assert back.is_3d and back.n_frames == N_FRAMES
    assert list(back.keypoints[:4]) == DLC_NAMES
    np.testing.assert_allclose(back.coords[:, 0], proc.poses_3d, atol=1e-9)
    feats = pd.read_csv(tmp_path / "live3d_features.csv")
    assert len(feats) == N_FRAMES and "body_pitch_rad" in feats
    assert proc.save("") == 0

    # The same recording as a csv too: the meta pickle and features table the .h5's save
    # wrote are its own and shared (before: refused, as if they were someone else's).
    assert proc.save(tmp_path / "live3d.csv") == 1
    np.testing.assert_allclose(read_poses(tmp_path / "live3d.csv").coords[:, 0],
                               proc.poses_3d, atol=1e-6)
    assert proc.save(h5) == 0  # the file asked for is never written over unasked
    proc.reset()  # a new recording does not replace the last one's meta pickle
    (tmp_path / "live3d.csv").unlink()
    for i in range(5):
        proc.process(clip.pose(i), frame_time=i / FPS)
    assert proc.save(tmp_path / "live3d.csv") == 0
    assert not (tmp_path / "live3d.csv").exists()


def test_processor_estimates_the_camera_after_warmup(clip: Clip, processor_cls) -> None:
    w, h = clip.camera.image_size
    proc = processor_cls(keypoint_names=DLC_NAMES, image_size=f"{w}x{h}", warmup_frames=20,
                         features=False)
    assert proc.live is None
    for i in range(19):
        proc.process(clip.pose(i))
    assert proc.n_frames == 0  # still collecting
    proc.process(clip.pose(19))
    assert proc.camera_source == "body-length-estimate"
    assert proc.n_frames == 20  # the warm-up frames were lifted too
    proc.process(clip.pose(20))
    assert proc.n_frames == 21 and np.isfinite(proc.poses_3d).all()
    assert proc.camera.image_size == (w, h)


def test_processor_waits_for_the_animal_in_an_empty_arena(clip: Clip, processor_cls,
                                                          caplog) -> None:
    """Frames of an empty arena before the mouse is put in: kept as times only, no camera
    estimate tried on them (before: a warning every warmup_frames frames telling to train
    the network longer, every pose kept, and a catch-up of them all in one frame), and
    written as rows of NaN once the camera is known; the camera's failures said once."""
    import logging

    w, h = clip.camera.image_size
    proc = processor_cls(keypoint_names=DLC_NAMES, image_size=f"{w}x{h}", warmup_frames=20,
                         features=False)
    empty = clip.pose(0).copy()
    empty[:, 2] = 0.01
    with caplog.at_level(logging.INFO, logger="dlc_lifter"):
        for i in range(200):
            proc.process(empty, frame_time=i / 30)
    assert not proc._pending and len(proc._before_animal) == 200
    assert "waiting for the animal" in caplog.text and "WARNING" not in caplog.text
    for i in range(20):
        proc.process(clip.pose(i))
    assert proc.camera_source == "body-length-estimate" and proc.n_frames == 220
    assert np.isnan(proc.poses_3d[:200]).all() and np.isfinite(proc.poses_3d[200:]).all()


def test_processor_waits_for_the_animal_while_only_the_arena_s_corners_are_tracked(
        clip: Clip, processor_cls, caplog) -> None:
    """An empty arena whose corners the network tracks at full likelihood: no animal yet,
    as the live lifter judges it (only the animal's keypoints count). Before, a confident
    corner counted as the animal: the empty frames were collected and the camera estimate
    tried (and warned about) on them."""
    import logging

    w, h = clip.camera.image_size
    proc = processor_cls(keypoint_names=DLC_NAMES + ["tl", "tr", "bl", "br"],
                         image_size=(w, h), warmup_frames=20, features=False)
    corners = np.array([[20.0, 20.0, 0.99], [w - 20.0, 20.0, 0.99], [20.0, h - 20.0, 0.99],
                        [w - 20.0, h - 20.0, 0.99]])
    empty = np.concatenate([clip.pose(0), corners])
    empty[: len(DLC_NAMES), 2] = 0.01
    with caplog.at_level(logging.INFO, logger="dlc_lifter"):
        for i in range(60):
            proc.process(empty, frame_time=i / 30)
    assert proc.live is None and not proc._pending and len(proc._before_animal) == 60
    assert "waiting for the animal" in caplog.text and "WARNING" not in caplog.text
    for i in range(20):
        proc.process(np.concatenate([clip.pose(i), corners]))
    assert proc.live is not None and proc.n_frames == 80
    assert np.isnan(proc.poses_3d[:60]).all() and np.isfinite(proc.poses_3d[60:]).all()


def test_processor_runs_the_networks_before_its_camera_is_known(
        clip: Clip, processor_cls, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a camera, the frame that ends the warm-up started the live lifter and paid
    for torch's first call too (0.5 s in the live loop): set-up runs the networks once."""
    from dlc_lifter.lift.stream import LiftStream

    calls = []
    step = LiftStream.step
    monkeypatch.setattr(LiftStream, "step",
                        lambda self, *a, **k: calls.append(1) or step(self, *a, **k))
    w, h = clip.camera.image_size
    proc = processor_cls(keypoint_names=DLC_NAMES, image_size=f"{w}x{h}", features=False)
    assert proc.live is None and calls == [1]


@pytest.mark.parametrize("arena", [200.0, "200x200"])
def test_processor_takes_the_camera_from_tracked_arena_corners(clip: Clip, processor_cls,
                                                                arena) -> None:
    cam = clip.camera
    w, h = cam.image_size
    middle = cam.points_at_height(np.array([[cam.cx, cam.cy]]), 0.0)[0]
    world = np.array([[middle[0] + sx * 100.0, middle[1] + sy * 100.0, 0.0]
                      for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))])
    uv = cam.project(world)
    top = set(np.argsort(uv[:, 1])[:2].tolist())
    names = []
    for i in range(4):
        mate = next(j for j in range(4) if j != i and (j in top) == (i in top))
        names.append(("t" if i in top else "b") + ("l" if uv[i, 0] < uv[mate, 0] else "r"))
    corners = np.c_[uv, np.ones(4)]
    proc = processor_cls(keypoint_names=DLC_NAMES + names, image_size=(w, h),
                         arena_size_mm=arena, warmup_frames=20, features=False)
    for i in range(20):
        proc.process(np.concatenate([clip.pose(i), corners]))
    assert proc.camera_source == "arena-corners" and proc.camera_frame == "arena"
    # the arena's corners are 200 mm apart on the lifter's floor, whatever the lens
    back = proc.camera.points_at_height(uv, 0.0)
    sides = np.linalg.norm(back - np.roll(back, 1, axis=0), axis=-1)
    np.testing.assert_allclose(sides, 200.0, rtol=0.01)
    assert proc.n_frames == 20 and np.isfinite(proc.poses_3d).all()


def test_processor_sets_aside_corners_that_are_not_the_arenas(clip: Clip,
                                                              processor_cls) -> None:
    # points named as corners outlining a 20 x 300 mm strip (a plus maze's arm ends),
    # given as a 300 mm square arena: as offline, they give neither the scale nor walls
    cam = clip.camera
    w, h = cam.image_size
    middle = cam.points_at_height(np.array([[cam.cx, cam.cy]]), 0.0)[0]
    world = np.array([[middle[0] + sx * 10.0, middle[1] + sy * 150.0, 0.0]
                      for sx, sy in ((-1, 1), (1, 1), (-1, -1), (1, -1))])
    uv = cam.project(world)
    order = np.argsort(uv[:, 1])  # top two first, then by u
    top, bottom = sorted(order[:2], key=lambda i: uv[i, 0]), sorted(order[2:],
                                                                   key=lambda i: uv[i, 0])
    corners = np.c_[uv[[*top, *bottom]], np.ones(4)]
    proc = processor_cls(keypoint_names=DLC_NAMES + ["tl", "tr", "bl", "br"],
                         image_size=(w, h), arena_size_mm=300.0, warmup_frames=20,
                         features=False)
    for i in range(20):
        proc.process(np.concatenate([clip.pose(i), corners]))
    assert "taller than wide" in proc.camera_details["arena_corners_ignored"]
    # nor, over 20 warm-up frames, does the animal's spread measure a 300 mm arena: the
    # camera comes from the animal, as offline
    assert proc.camera_source == "body-length-estimate" and proc.live.walls is None
    assert "did not go from wall to wall" in proc.camera_details["arena_size_ignored"]["reason"]
    assert not proc.live._use_walls


def test_processor_takes_the_floor_scale(clip: Clip, processor_cls) -> None:
    """A pixel-to-length calibration (``floor_scale``, with units) sets the live camera's
    scale, as offline."""
    cam = clip.camera
    scale = cam.floor_mm_per_px()
    proc = processor_cls(keypoint_names=DLC_NAMES, image_size=cam.image_size,
                         floor_scale=f"{10.0 / scale:.6f} px/cm", warmup_frames=20,
                         features=False)
    assert proc.options.floor_scale == pytest.approx(scale, rel=1e-5)
    for i in range(20):
        proc.process(clip.pose(i))
    assert proc.camera_source == "floor-scale"
    assert proc.camera.floor_mm_per_px() == pytest.approx(scale, rel=1e-5)
    assert proc.n_frames == 20 and np.isfinite(proc.poses_3d).all()


def test_processor_reset_starts_a_new_recording(clip: Clip, processor_cls, tmp_path) -> None:
    """A second recording on one processor (the DLC-Live GUI keeps it between recordings):
    after ``reset()`` it lifts as a new processor would, its frames alone (before, there was
    no reset: the second recording carried the first's frames and causal window)."""
    w, h = clip.camera.image_size
    proc = processor_cls(keypoint_names=DLC_NAMES, camera_height_mm=600.0, focal_px=700.0,
                         image_size=(w, h))
    for i in range(40):
        proc.process(clip.pose(i))
    first = proc.poses_3d.copy()
    assert proc.save(str(tmp_path / "first.npz")) == 1
    proc.reset()
    assert proc.n_frames == 0 and proc.last_result is None and not proc.skipped
    for i in range(40):
        proc.process(clip.pose(i))
    np.testing.assert_array_equal(proc.poses_3d, first)


def test_processor_with_height_and_focal(clip: Clip, processor_cls) -> None:
    w, h = clip.camera.image_size
    proc = processor_cls(keypoint_names=DLC_NAMES, camera_height_mm=600.0, focal_px=700.0,
                         image_size=(w, h))
    assert proc.camera_source == "height+focal"
    proc.process(clip.pose(0))
    assert proc.n_frames == 1


def test_processor_bad_input(processor_cls, caplog) -> None:
    with pytest.raises(DLCLifterError, match="keypoint_names"):
        processor_cls()
    with pytest.raises(DLCLifterError, match="image_size"):
        processor_cls(keypoint_names=DLC_NAMES, camera_height_mm=600.0, focal_px=700.0)
    proc = processor_cls(keypoint_names=DLC_NAMES, camera_height_mm=600.0, focal_px=700.0,
                         image_size=(640, 480))
    bad = np.zeros((3, 3))
    with caplog.at_level(logging.ERROR, logger="dlc_lifter.integrations.dlclive"):
        assert proc.process(bad) is bad  # the live loop goes on
    assert "shape (3, 3)" in caplog.text
    assert proc.n_frames == 0


def test_real_dlclive_processor_is_discoverable() -> None:
    dlclive = pytest.importorskip("dlclive")
    cls = integration.LiftProcessor
    assert issubclass(cls, dlclive.Processor)
    assert cls.__module__ == integration.__name__ and cls.__name__ == "LiftProcessor"
    # the DLC-Live GUI: module-level registry, else Processor subclasses of the module
    info = integration.get_available_processors()["LiftProcessor"]
    assert info["class"] is cls and info["name"] == cls.PROCESSOR_NAME
    assert "camera_height_mm" in info["params"]
    found = {n for n, obj in inspect.getmembers(integration, inspect.isclass)
             if issubclass(obj, dlclive.Processor) and obj.__module__ == integration.__name__}
    assert found == {"LiftProcessor"}


def test_processor_settings_are_options_the_gui_can_pass() -> None:
    """Every DLC-Live GUI parameter is a LiftProcessorOptions field with the same default,
    and GUI strings are normalised."""
    defaults = {f.name: f.default for f in dataclasses.fields(integration.LiftProcessorOptions)}
    for name, spec in integration.PROCESSOR_PARAMS.items():
        assert name in defaults and defaults[name] == spec["default"], name
    o = integration.LiftProcessorOptions(keypoint_names="snout, leftear,rightear,tailbase",
                                         image_size="640x480", calibration="",
                                         px_per_mm="", window=15.0)
    assert o.keypoint_names == tuple(DLC_NAMES) and o.image_size == (640, 480)
    assert o.calibration is None and o.px_per_mm is None and o.window == 15
    assert dataclasses.asdict(o)["image_size"] == (640, 480)
    with pytest.raises(DLCLifterError, match="image_color"):
        integration.LiftProcessorOptions(keypoint_names=DLC_NAMES, image_color="hsv")


def test_processor_takes_an_options_object(clip: Clip, processor_cls) -> None:
    w, h = clip.camera.image_size
    opts = integration.LiftProcessorOptions(keypoint_names=DLC_NAMES, camera_height_mm=600.0,
                                            focal_px=700.0, image_size=(w, h))
    proc = processor_cls(opts)
    assert proc.options is opts and proc.camera_source == "height+focal"
    proc.process(clip.pose(0))
    kw = processor_cls(keypoint_names=DLC_NAMES, camera_height_mm=600.0, focal_px=700.0,
                       image_size=(w, h))
    kw.process(clip.pose(0))
    np.testing.assert_array_equal(proc.poses_3d, kw.poses_3d)
    with pytest.raises(DLCLifterError, match="not both"):
        processor_cls(opts, fps=60.0)


def test_import_does_not_import_dlclive() -> None:
    code = ("import sys, dlc_lifter.integrations.dlclive as m; "
            "assert 'dlclive' not in sys.modules, 'dlclive imported'; "
            "assert 'torch' not in sys.modules, 'torch imported'; "
            "assert callable(m.processor_class)")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_processor_with_depth(depth_clip: DepthClip, processor_cls, tmp_path) -> None:
    dc = depth_clip
    proc = processor_cls(keypoint_names=DLC_NAMES, camera=dc.camera, fps=FPS, depth=True,
                         px_per_mm=dc.px_per_mm, image_color="rgb", features=False)
    for i in range(DEPTH_FRAMES):
        pose = dc.pose(i)
        assert proc.process(pose, frame_time=i / FPS, image=dc.frames[i]) is pose
    np.testing.assert_allclose(proc.poses_3d, dc.offline.coords[:, 0], atol=1e-3,
                               equal_nan=True)
    npz = tmp_path / "live3d.npz"
    assert proc.save(str(npz)) == 1
    with np.load(npz) as z:
        assert z["depth_used"].sum() == DEPTH_FRAMES - 1
    assert proc.to_poses().meta.extra["depth"]["px_per_mm"] == pytest.approx(dc.px_per_mm)
    # warm-up (camera estimated from the first poses): their images are kept and used
    w, h = DEPTH_SIZE
    warm = processor_cls(keypoint_names=DLC_NAMES, image_size=(w, h), warmup_frames=20,
                         features=False, depth=True, image_color="rgb")
    for i in range(25):
        warm.process(dc.pose(i), image=dc.frames[i])
    assert warm.n_frames == 25 and all(warm._depth_used)


def test_processor_finds_a_camera_below_the_floor(clip: Clip, processor_cls) -> None:
    """Filmed through a glass floor (the image mirrored), no calibration: the warm-up frames
    vote the sides mirrored and the camera is put under the floor, as offline."""
    w, h = clip.camera.image_size
    mirrored = clip.uv.copy()
    mirrored[..., 0] = w - mirrored[..., 0]
    poses = np.concatenate([mirrored, clip.conf[..., None]], axis=-1)
    for view, below in (("auto", True), ("above", False)):
        # the clip loses its right ear early on: 20 of the first 60 frames vote
        proc = processor_cls(keypoint_names=DLC_NAMES, image_size=f"{w}x{h}",
                             warmup_frames=60, features=False, view=view)
        for i in range(65):
            proc.process(poses[i])
        assert proc.camera.below_floor is below, view
        assert ("filmed from below" in proc.camera_source) is below
        out = proc.poses_3d
        assert np.isfinite(out).all() and (out[..., 2] >= 0).all()
    with pytest.raises(DLCLifterError, match="view must be auto, above or below"):
        processor_cls(keypoint_names=DLC_NAMES, image_size=f"{w}x{h}", view="side")


def test_processor_counts_the_curled_tail_points_it_withheld(processor_cls, tmp_path) -> None:
    """A tail lying curled beside the hips: the causal networks do not see it from its third
    frame on, and the processor's outputs count those frames per keypoint, as the offline
    lift's metadata does."""
    import pickle

    from dlc_lifter.camera import Camera
    from dlc_lifter.mouse.behaviour import generate_sequences
    from dlc_lifter.nets.lifter import TAIL_OFF_AXIS_FRAMES

    cam = Camera.top_view(500.0, 700.0, (640, 480))
    names = ["nose", "left_ear", "right_ear", "tail_base", "tail3", "tail_end"]
    world = generate_sequences(1, 30, seed=21)[0].landmarks - [250.0, 250.0, 0.0]
    idx = [CATALOGUE.index(k) for k in names]
    uv = cam.project(world[:, idx].reshape(-1, 3)).reshape(len(world), len(idx), 2)
    axis = uv[:, 3] - uv[:, 0]
    side = np.stack([-axis[:, 1], axis[:, 0]], -1) / np.linalg.norm(axis, axis=-1)[:, None]
    uv[:, 4] = uv[:, 3] + 25.0 * side
    uv[:, 5] = uv[:, 3] + 45.0 * side - 0.1 * axis
    proc = processor_cls(keypoint_names=names, camera=cam, fps=30.0)
    for t in range(len(uv)):
        proc.process(np.concatenate([uv[t], np.full((len(names), 1), 0.99)], 1))
    held = len(uv) - (TAIL_OFF_AXIS_FRAMES - 1)
    assert proc.last_result is not None
    assert proc.last_result.tails_withheld[4:6].all()
    assert not proc.last_result.tails_withheld[:4].any()
    poses = proc.to_poses()
    assert poses.meta.extra["tails_withheld"] == {
        str(poses.individuals[0]): {"tail3": held, "tail_end": held}}
    npz = tmp_path / "live.npz"
    assert proc.save(str(npz)) == 1
    with np.load(npz) as z:
        assert z["tails_withheld"].shape == (len(uv), len(poses.keypoints))
        assert z["tails_withheld"].sum(0)[4:6].tolist() == [held, held]
    h5 = tmp_path / "live.h5"
    assert proc.save(str(h5)) == 1
    with open(tmp_path / "live_meta.pickle", "rb") as fh:
        meta = pickle.load(fh)["data"]
    assert meta["tails_withheld"] == poses.meta.extra["tails_withheld"]


def test_processor_reads_blank_numbers_as_unset_and_says_which_is_not_a_number(
        processor_cls) -> None:
    """A GUI's blank field (``camera_height_mm=""``, ``fps=""``) is the setting left out
    (before: "could not convert string to float: ''", naming no setting); text that is no
    number is one error naming the setting; a pose that is not numbers is a frame skipped,
    counted, the live loop going on (before: a bare ValueError out of process())."""
    base = dict(keypoint_names=DLC_NAMES, image_size=(640, 480))
    proc = processor_cls(**base, camera_height_mm="", focal_px="", fps="", window="",
                         warmup_frames="")
    assert proc.options.camera_height_mm is None and proc.options.fps == 30.0
    for bad, name in ((dict(camera_height_mm="450 mm"), "camera_height_mm"),
                      (dict(window="x"), "window")):
        with pytest.raises(DLCLifterError, match=f"setting {name} must be a number"):
            processor_cls(**base, **bad)
    with pytest.raises(DLCLifterError, match="image_size must be WIDTHxHEIGHT"):
        processor_cls(keypoint_names=DLC_NAMES, image_size="640by480")
    proc.process("abc")
    assert sum(proc.skipped.values()) == 1 and "not numbers" in next(iter(proc.skipped))


def test_processor_refuses_a_misspelt_setting_and_reads_text_booleans(processor_cls) -> None:
    """dlclive's Processor takes any keyword and keeps none: a typo would be lost; a GUI's
    "False" is no."""
    base = dict(keypoint_names=DLC_NAMES, image_size=(640, 480))
    with pytest.raises(DLCLifterError, match="no setting camera_heigth_mm .did you mean "
                                             "camera_height_mm"):
        processor_cls(camera_heigth_mm=600.0, **base)
    proc = processor_cls(walls="False", features="no", **base)
    assert proc.options.walls is False and proc.options.features is False
    unset = processor_cls(walls=None, features="", **base)  # a GUI's empty field: default
    assert unset.options.walls is True and unset.options.features is True
    with pytest.raises(DLCLifterError, match="walls must be true or false"):
        processor_cls(walls="maybe", **base)
    with pytest.raises(DLCLifterError, match="pcutoff must be a likelihood"):
        processor_cls(pcutoff=60, **base)


def test_processor_counts_frames_it_could_not_lift_by_reason(processor_cls, caplog) -> None:
    proc = processor_cls(keypoint_names=DLC_NAMES, camera_height_mm=600.0, focal_px=700.0,
                         image_size=(640, 480))
    with caplog.at_level(logging.ERROR, logger="dlc_lifter.integrations.dlclive"):
        for bad in (np.zeros((3, 3)), np.zeros((3, 3)), np.zeros((2, len(DLC_NAMES), 3))):
            proc.process(bad)
    assert sorted(proc.skipped.values()) == [1, 2]
    assert "shape (3, 3)" in caplog.text and f"shape (2, {len(DLC_NAMES)}, 3)" in caplog.text


def test_processor_records_a_session_depth_given_up(clip: Clip, processor_cls, tmp_path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The depth network reads the snout raised in every frame: the live lifter goes on from
    keypoints only after the 30th reading, and the saved session's depth record says so
    (``used`` False, the reason, the frame, the snout readings), in the npz and the meta."""
    import json

    from dlc_lifter.lift.depth_path import DEPTH_CHECK_READINGS

    proc = processor_cls(keypoint_names=DLC_NAMES, camera=clip.camera, fps=FPS, depth=True,
                         px_per_mm=1.5, features=False)
    read_snout_at(proc.live, monkeypatch, 65.0)
    for i in range(N_FRAMES):
        proc.process(clip.pose(i), image=ANY_IMAGE)
    assert np.flatnonzero(proc._depth_used).tolist() == list(range(DEPTH_CHECK_READINGS - 1))
    npz = tmp_path / "live3d.npz"
    assert proc.save(str(npz)) == 1
    with np.load(npz) as z:
        depth = json.loads(str(z["depth"]))
    assert depth == proc.to_poses().meta.extra["depth"]
    assert depth["used"] is False and depth["from_frame"] == DEPTH_CHECK_READINGS - 1
    assert "unlike those it learned" in depth["reason"]
    assert depth["snout_reading"]["raised_share"] == 1.0
    assert depth["frames_with_cues"] == DEPTH_CHECK_READINGS - 1


def test_processor_places_a_lens_only_calibration_from_its_warm_up_frames(
        clip: Clip, processor_cls, tmp_path, caplog) -> None:
    """A calibration that gives the lens only (one camera at the world's origin, as a
    one-camera or intrinsics-only file has it; DeepLabCut 3D's pickles): the processor
    failed at start-up estimating the camera from no poses ('give a calibration', though one
    was given). Now the warm-up frames place it, with the calibration's lens, as offline."""
    from dlc_lifter.camera import Camera
    from dlc_lifter.io.calibration import write_anipose

    cam = clip.camera
    lens = Camera(K=cam.K, R=np.eye(3), t=np.zeros(3), image_size=cam.image_size,
                  dist=cam.dist, name="top")
    calib = write_anipose([lens], tmp_path / "lens.toml")
    with caplog.at_level(logging.INFO, logger="dlc_lifter"):
        proc = processor_cls(keypoint_names=DLC_NAMES, calibration=str(calib),
                             warmup_frames=20, features=False)
    assert proc.live is None and "gives the lens only" in caplog.text
    for i in range(20):
        proc.process(clip.pose(i))
    assert not proc.skipped and proc.n_frames == 20
    assert proc.camera_source.endswith("calibration intrinsics")
    np.testing.assert_allclose(proc.camera.K, cam.K)
    assert np.isfinite(proc.poses_3d).all()


def test_processor_turns_over_a_calibration_whose_z_points_down(
        clip: Clip, processor_cls, tmp_path, caplog) -> None:
    """A calibration in a checkerboard's frame on the floor (z down) puts the camera below
    it: the processor started at once and lifted the animal as seen through the floor. Now
    the warm-up frames see its sides mirrored there and the world is turned over, as
    offline: the same 3D as the calibration written z up."""
    from dlc_lifter.camera import Camera
    from dlc_lifter.io.calibration import write_anipose

    cam = clip.camera
    down = Camera(K=cam.K, R=cam.R @ np.diag([1.0, -1.0, -1.0]), t=cam.t,
                  image_size=cam.image_size, dist=cam.dist, name="top")
    lifted = {}
    for name, c in (("up", cam), ("down", down)):
        calib = write_anipose([c], tmp_path / f"{name}.toml")
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="dlc_lifter"):
            proc = processor_cls(keypoint_names=DLC_NAMES, calibration=str(calib),
                                 warmup_frames=70, features=False)  # enough with both ears to vote
            assert (proc.live is None) == (name == "down")
            for i in range(75):
                proc.process(clip.pose(i))
        assert ("turned over" in caplog.text) == (name == "down")
        assert not proc.camera.below_floor
        lifted[name] = proc.poses_3d
    np.testing.assert_allclose(lifted["down"], lifted["up"], atol=1e-6)


def test_processor_reads_its_calibration_once(clip: Clip, processor_cls, tmp_path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The processor read its calibration to see whether it gives the lens only, then again
    to resolve the camera (and again at each warm-up try of a lens-only one): now once."""
    from dlc_lifter.camera import Camera
    from dlc_lifter.io.calibration import load_anipose, write_anipose
    from dlc_lifter.lift import camera_estimate

    reads = []

    def counted(*args, **kwargs):
        reads.append(args)
        return load_anipose(*args, **kwargs)

    for module in (integration, camera_estimate):
        monkeypatch.setattr(module, "load_anipose", counted)
    cam = clip.camera
    floor = write_anipose([cam], tmp_path / "floor.toml")
    proc = processor_cls(keypoint_names=DLC_NAMES, calibration=str(floor), features=False)
    assert proc.camera_source == "calibration" and len(reads) == 1
    lens = Camera(K=cam.K, R=np.eye(3), t=np.zeros(3), image_size=cam.image_size,
                  dist=cam.dist, name="top")
    reads.clear()
    proc = processor_cls(keypoint_names=DLC_NAMES, warmup_frames=20, features=False,
                         calibration=str(write_anipose([lens], tmp_path / "lens.toml")))
    for i in range(20):
        proc.process(clip.pose(i))
    assert proc.camera_source.endswith("calibration intrinsics") and len(reads) == 1


def test_processor_refuses_a_keypoint_map_it_cannot_read_as_the_lift_does(
        processor_cls, tmp_path) -> None:
    """The processor read its keypoint map with a reader of its own, which let Python's
    FileNotFoundError and ValueError through; it now reads it as a lift does, and says so
    with the package's error (the same words)."""
    kwargs = {"keypoint_names": DLC_NAMES, "camera_height_mm": 600.0, "focal_px": 700.0,
              "image_size": (640, 480)}
    with pytest.raises(DLCLifterError, match="does not exist"):
        processor_cls(**kwargs, keypoint_map=str(tmp_path / "missing.yaml"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("- snout\n- tail\n")
    with pytest.raises(DLCLifterError, match="must be a flat YAML mapping"):
        processor_cls(**kwargs, keypoint_map=str(bad))
    good = tmp_path / "map.yaml"
    good.write_text("snout: nose\n")
    assert processor_cls(**kwargs, keypoint_map=str(good)).keypoint_map == {"snout": "nose"}
