"""Real-time lifting: LiveLifter, live features (LiveFeatures, StreamingFeatures), the
DLC-Live processor."""

from __future__ import annotations

import dataclasses
import inspect
import logging
import subprocess
import sys
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from dlc_lifter.analysis.features import compute_features
from dlc_lifter.analysis.live_features import LiveFeatures, StreamingFeatures
from dlc_lifter.camera import Camera
from dlc_lifter.errors import DLCLifterError
from dlc_lifter.integrations import dlclive as integration
from dlc_lifter.lift.live import LiveLifter, LiveResult
from dlc_lifter.mouse.catalogue import CATALOGUE, KEYPOINT_SETS, catalogue_index
from dlc_lifter.poses import PoseMetadata, Poses

#: DLC's names for the openfield set, as the real openfield project writes them.
DLC_NAMES = ["snout", "leftear", "rightear", "tailbase"]
N_FRAMES = 75
FPS = 30.0


@dataclass
class Clip:
    uv: np.ndarray  # (T, K, 2)
    conf: np.ndarray  # (T, K)
    camera: Camera

    def pose(self, i: int) -> np.ndarray:
        """DLC-Live's pose of frame i: (K, 3) x, y, likelihood."""
        return np.concatenate([self.uv[i], self.conf[i][:, None]], axis=1)


@pytest.fixture(scope="module")
def clip() -> Clip:
    from dlc_lifter.mouse.behaviour import generate_sequences
    from dlc_lifter.nets.data import make_clips

    seqs = generate_sequences(1, N_FRAMES, seed=11, fps=FPS)
    c = make_clips(seqs, rng=np.random.default_rng(5), keypoint_set="openfield")[0]
    idx = catalogue_index(list(KEYPOINT_SETS["openfield"]))
    uv, conf = c.uv[:, idx].copy(), c.conf[:, idx].copy()
    # DLC-Live never sends NaN: a lost point comes with a low likelihood instead.
    lost = ~np.isfinite(uv).all(-1)
    uv[lost] = 0.0
    conf[lost] = 0.01
    return Clip(uv=uv, conf=conf, camera=c.camera)


@pytest.fixture(scope="module")
def lifter():
    from dlc_lifter.lift import Lifter

    return Lifter.load()


@pytest.fixture(scope="module")
def streamed(clip: Clip, lifter) -> tuple[LiveFeatures, list[LiveResult]]:
    """Live lifting with live features (the DLC-Live processor's default)."""
    live = LiveFeatures(LiveLifter(clip.camera, DLC_NAMES, lifter), fps=FPS)
    return live, [live.step(clip.pose(i)) for i in range(N_FRAMES)]


def _as_poses(points: np.ndarray, names: list[str]) -> Poses:
    meta = PoseMetadata(fps=FPS, frame="camera-floor", units="mm")
    return Poses(coords=points[:, None], keypoints=names, meta=meta)


# ----------------------------------------------------------------------------- lifting
def test_step_output_shape_names_finite(streamed) -> None:
    ll, results = streamed[0].live_lifter, streamed[1]
    assert ll.keypoints_out[:4] == DLC_NAMES
    assert len(ll.keypoints_out) == len(CATALOGUE)
    assert set(ll.catalogue_names) == set(CATALOGUE)
    for i, r in enumerate(results):
        assert r.frame == i
        assert r.pose_3d.shape == (len(CATALOGUE), 3)
        assert np.isfinite(r.pose_3d).all()
        assert r.imputed.shape == (len(CATALOGUE),)
        assert r.imputed[4:].all()  # untracked catalogue points are imputed
        assert (r.pose_3d[:, 2] >= 0).all()  # nothing below the floor


def test_step_equals_batch_causal_lift(clip: Clip, lifter, streamed) -> None:
    ll, results = streamed[0].live_lifter, streamed[1]
    stream = np.stack([r.pose_3d for r in results])
    batch = lifter.lift(clip.uv, clip.conf, DLC_NAMES, clip.camera, mode="causal")
    cat = [CATALOGUE.index(n) for n in ll.catalogue_names]
    np.testing.assert_allclose(stream, batch[:, cat], atol=1e-3, rtol=0)
    # and the causal lift really differs from the symmetric (temporal) one
    temporal = lifter.lift(clip.uv, clip.conf, DLC_NAMES, clip.camera, mode="temporal")
    assert np.abs(temporal[:, cat] - stream).max() > 1e-3


def test_tracked_points_reproject_onto_their_pixels(clip: Clip, streamed) -> None:
    _, results = streamed
    for i in (0, N_FRAMES // 2, N_FRAMES - 1):
        r = results[i]
        ok = ~r.imputed[:4]
        uv = clip.camera.project(r.pose_3d[:4][ok])
        np.testing.assert_allclose(uv, clip.uv[i][ok], atol=1e-6)


def test_reset_restarts_the_stream(clip: Clip, lifter, streamed) -> None:
    _, results = streamed
    ll = LiveLifter(clip.camera, DLC_NAMES, lifter)
    for i in range(5):
        ll.step(clip.pose(i))
    ll.reset()
    r = ll.step(clip.pose(0))
    assert r.frame == 0 and r.features == {} and r.features_frame is None
    np.testing.assert_allclose(r.pose_3d, results[0].pose_3d, atol=1e-6)


def test_bad_pose_shape_is_a_clear_error(clip: Clip, lifter) -> None:
    ll = LiveLifter(clip.camera, DLC_NAMES, lifter)
    with pytest.raises(DLCLifterError, match=r"pose_2d must be \(4, 2\|3\)"):
        ll.step(np.zeros((3, 3)))


# ----------------------------------------------------------------------------- features
def test_streaming_features_match_compute_features(streamed) -> None:
    """delay=0: each frame's features are the last row of compute_features so far."""
    live, results = streamed
    points = np.stack([r.pose_3d for r in results])
    poses = _as_poses(points, live.live_lifter.keypoints_out)
    cols = live.columns
    assert cols == live.feature_stream.columns
    assert {"head_speed_mm_s", "tail_base_speed_mm_s", "body_pitch_rad", "bend_ratio",
            "bend_ratio_3d", "height_nose_mm", "head_speed_std15_mm_s",
            "body_pitch_std15_rad", "height_nose_std15_mm", "bend_ratio_std15"} <= set(cols)
    full = compute_features(poses)
    # instantaneous columns match the whole-recording batch on every frame
    inst = [c for c in cols if "speed" not in c]
    got = pd.DataFrame([r.features for r in results])
    np.testing.assert_allclose(got[inst].to_numpy(), full[inst].to_numpy(), rtol=1e-9,
                               atol=1e-9, equal_nan=True)
    # everything matches the batch of the recording so far (speeds: backward difference)
    for i in (0, 1, 2, 14, 15, 30, N_FRAMES - 1):
        prefix = compute_features(poses[: i + 1]).iloc[-1]
        expect = prefix[cols].to_numpy(dtype=float)
        np.testing.assert_allclose([results[i].features[c] for c in cols], expect,
                                   rtol=1e-7, atol=1e-7, equal_nan=True, err_msg=f"frame {i}")
    assert np.isnan(results[0].features["head_speed_mm_s"])  # no speed from one frame
    assert [r.features_frame for r in results] == list(range(N_FRAMES))
    assert np.isfinite(results[-1].features["head_speed_std15_mm_s"])


def test_delayed_streaming_features_equal_whole_recording_batch(streamed) -> None:
    """delay=1 (plus flush) gives exactly the rows of compute_features on everything."""
    live, results = streamed
    names = live.live_lifter.keypoints_out
    points = np.stack([r.pose_3d for r in results])
    full = compute_features(_as_poses(points, names))
    sf = StreamingFeatures(names, fps=FPS, delay=1)
    rows = []
    for i, p in enumerate(points):
        out = sf.update(p)
        assert (out == {}) if i == 0 else bool(out)
        if out:
            rows.append(out)
    rows.append(sf.flush())
    got = pd.DataFrame(rows)[sf.columns].to_numpy()
    np.testing.assert_allclose(got, full[sf.columns].to_numpy(), rtol=1e-7, atol=1e-7,
                               equal_nan=True)


def test_streaming_features_follow_keypoint_fallbacks() -> None:
    """Missing points fall back as in compute_features (tail base -> mid_backend3...)."""
    rng = np.random.default_rng(0)
    names = ["nose", "left_ear", "right_ear", "mid_back", "mid_backend3", "tail_base"]
    pts = rng.normal(size=(40, len(names), 3)) * 5 + np.arange(len(names))[None, :, None] * 10
    pts[10:14, 5] = np.nan  # tail base lost: origin falls back to mid_backend3
    pts[20, :] = np.nan  # a frame with nothing
    full = compute_features(_as_poses(pts, names), window=5)
    sf = StreamingFeatures(names, fps=FPS, window=5, delay=1)
    rows = [r for r in (sf.update(p) for p in pts) if r] + [sf.flush()]
    got = pd.DataFrame(rows)[sf.columns].to_numpy()
    np.testing.assert_allclose(got, full[sf.columns].to_numpy(), rtol=1e-7, atol=1e-7,
                               equal_nan=True)


def test_streaming_features_validate_arguments() -> None:
    with pytest.raises(DLCLifterError, match="window"):
        StreamingFeatures(DLC_NAMES, window=1)
    with pytest.raises(DLCLifterError, match="delay"):
        StreamingFeatures(DLC_NAMES, delay=2)


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


# ----------------------------------------------------------------------------- depth
DEPTH_FRAMES = 90  # more than the causal network's receptive field (81)
DEPTH_SIZE = (256, 256)


@dataclass
class DepthClip:
    uv: np.ndarray  # (T, 4, 2)
    conf: np.ndarray  # (T, 4)
    camera: Camera
    video: str
    frames: list  # decoded RGB frames of the video, as the offline path reads them
    offline: Poses  # lift_poses_with_depth(..., mode="causal") of the video

    def pose(self, i: int) -> np.ndarray:
        return np.concatenate([self.uv[i], self.conf[i][:, None]], axis=1)

    @property
    def px_per_mm(self) -> float:
        return float(self.offline.meta.extra["depth"]["px_per_mm"][0])


@pytest.fixture(scope="module")
def depth_clip(tmp_path_factory) -> DepthClip:
    """A short rendered clip (fast renderer) written to a tiny video, lifted offline."""
    import cv2

    from dlc_lifter.io import open_video
    from dlc_lifter.lift import CameraChoice, Lifter
    from dlc_lifter.lift.depth_path import lift_poses_with_depth
    from dlc_lifter.nets.clips import render_clips

    clip = render_clips(1, DEPTH_FRAMES, seed=3, resolution=DEPTH_SIZE)[0]
    idx = catalogue_index(list(KEYPOINT_SETS["openfield"]))
    world = clip.world[:, idx].reshape(-1, 3)
    uv = clip.camera.project(world).reshape(DEPTH_FRAMES, len(idx), 2)
    uv = uv + np.random.default_rng(0).normal(0.0, 1.0, uv.shape)  # tracking noise
    conf = np.full(uv.shape[:2], 0.95)
    conf[20:23, 3] = 0.1  # tail base lost for a few frames
    conf[50] = 0.05  # nothing tracked: no crop, no pose
    video = tmp_path_factory.mktemp("depth") / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), FPS, DEPTH_SIZE)
    assert writer.isOpened()
    for f in clip.rgb:
        writer.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    writer.release()
    with open_video(video) as reader:
        frames = list(reader)
    assert len(frames) == DEPTH_FRAMES
    poses = Poses(coords=uv[:, None], confidence=conf[:, None], keypoints=DLC_NAMES,
                  meta=PoseMetadata(fps=FPS, image_size=DEPTH_SIZE))
    offline = lift_poses_with_depth(
        poses, video, lifter=Lifter.load(mode="causal"),
        camera_choice=CameraChoice(clip.camera, "camera-floor", "given"))
    assert offline.meta.extra["depth"]["used"]
    return DepthClip(uv=uv, conf=conf, camera=clip.camera, video=str(video), frames=frames,
                     offline=offline)


def test_depth_step_equals_offline_causal_fused_lift(depth_clip: DepthClip) -> None:
    dc = depth_clip
    ll = LiveLifter(dc.camera, DLC_NAMES, depth=True,
                    px_per_mm=dc.px_per_mm)
    results = [ll.step(dc.pose(i), dc.frames[i]) for i in range(DEPTH_FRAMES)]
    assert ll.keypoints_out == list(dc.offline.keypoints)
    live3d = np.stack([r.pose_3d for r in results])
    np.testing.assert_allclose(live3d, dc.offline.coords[:, 0], atol=1e-3, rtol=0,
                               equal_nan=True)
    used = np.array([r.depth_used for r in results])
    assert used.sum() == DEPTH_FRAMES - 1 and not used[50]  # frame 50: nothing tracked
    assert np.isnan(live3d[50]).all() and np.isfinite(np.delete(live3d, 50, 0)).all()
    # the depth path is really taken: keypoints-only streaming gives something else
    kp = LiveLifter(dc.camera, DLC_NAMES)
    kp3d = np.stack([kp.step(dc.pose(i), dc.frames[i]).pose_3d for i in range(DEPTH_FRAMES)])
    assert np.nanmax(np.abs(kp3d - live3d)) > 1.0


def test_depth_frames_without_image_fall_back_to_keypoints(depth_clip: DepthClip,
                                                           caplog) -> None:
    """No image: that frame gets no cues (available = 0), as the offline path does for
    frames without a crop; the stream goes on and equals the offline lift of those cues."""
    from dlc_lifter.lift.depth_path import load_depth_models, video_depth_cues
    from dlc_lifter.mouse.catalogue import catalogue_index as cidx

    dc = depth_clip
    no_image = set(range(30, 40)) | {70}
    ll = LiveLifter(dc.camera, DLC_NAMES, depth=True,
                    px_per_mm=dc.px_per_mm)
    with caplog.at_level(logging.WARNING, logger="dlc_lifter.lift.live"):
        results = [ll.step(dc.pose(i), None if i in no_image else dc.frames[i])
                   for i in range(DEPTH_FRAMES)]
    assert caplog.text.count("without an image") == 1  # said once
    assert caplog.text.count("no crop") == 1  # frame 50
    used = np.array([r.depth_used for r in results])
    assert not used[sorted(no_image)].any() and used[:30].all() and used[40:50].all()
    # offline reference: the depth path's cues, dropped on those frames, causal fused lift
    depth_model, fused = load_depth_models()
    idx = cidx(list(KEYPOINT_SETS["openfield"]))
    uv_cat = np.full((DEPTH_FRAMES, 1, len(CATALOGUE), 2), np.nan)
    c_cat = np.full((DEPTH_FRAMES, 1, len(CATALOGUE)), np.nan)
    uv_cat[:, 0, idx], c_cat[:, 0, idx] = dc.uv, dc.conf
    vd = video_depth_cues(dc.video, uv_cat, c_cat, np.arange(DEPTH_FRAMES),
                          depth_model=depth_model, pair_length_mm=fused.pair_length_mm)
    assert vd.px_per_mm[0] == pytest.approx(dc.px_per_mm)
    cues = vd.cues[:, 0].copy()
    cues[sorted(no_image)] = 0.0
    ref, _, _ = fused.predict(uv_cat[:, 0], c_cat[:, 0], dc.camera, mode="causal",
                              pcutoff=0.6, extra=cues)
    cat = [CATALOGUE.index(n) for n in ll.catalogue_names]
    live3d = np.stack([r.pose_3d for r in results])
    np.testing.assert_allclose(live3d, ref[:, cat], atol=1e-3, rtol=0, equal_nan=True)
    assert np.abs(live3d[35] - dc.offline.coords[35, 0]).max() > 1e-3  # cues were dropped


def test_depth_scale_is_estimated_from_the_first_frames(depth_clip: DepthClip) -> None:
    dc = depth_clip
    ll = LiveLifter(dc.camera, DLC_NAMES, depth=True,
                    scale_frames=DEPTH_FRAMES)
    assert ll.px_per_mm is None  # nothing seen yet
    ll.step(dc.pose(0), dc.frames[0])
    first = ll.px_per_mm
    assert first is not None and first == pytest.approx(dc.px_per_mm, rel=0.2)
    for i in range(1, DEPTH_FRAMES):
        ll.step(dc.pose(i), dc.frames[i])
    # over the same frames, the estimate is the offline path's (whole-file) one
    assert ll.px_per_mm == pytest.approx(dc.px_per_mm, rel=1e-12)
    ll.reset()
    assert ll.px_per_mm is None
    # BGR and grey frames are read too (same grey conversion, so the same cues)
    bgr = LiveLifter(dc.camera, DLC_NAMES, depth=True,
                     px_per_mm=dc.px_per_mm, image_color="bgr")
    rgb = LiveLifter(dc.camera, DLC_NAMES, depth=True,
                     px_per_mm=dc.px_per_mm)
    for i in range(5):
        a = bgr.step(dc.pose(i), np.ascontiguousarray(dc.frames[i][..., ::-1]))
        b = rgb.step(dc.pose(i), dc.frames[i])
        np.testing.assert_allclose(a.pose_3d, b.pose_3d, atol=1e-3)
    grey = LiveLifter(dc.camera, DLC_NAMES, depth=True,
                      px_per_mm=dc.px_per_mm)
    assert grey.step(dc.pose(0), dc.frames[0].mean(-1).astype(np.uint8)).depth_used


def test_depth_arguments_and_missing_weights(depth_clip: DepthClip, tmp_path) -> None:
    from dlc_lifter.nets.lifter import ModelLoadError

    dc = depth_clip
    with pytest.raises(ModelLoadError):
        LiveLifter(dc.camera, DLC_NAMES, depth=True, depth_weights=tmp_path / "none.pt")
    with pytest.raises(DLCLifterError, match="image_color"):
        LiveLifter(dc.camera, DLC_NAMES, depth=True, image_color="hsv")
    with pytest.raises(DLCLifterError, match="px_per_mm"):
        LiveLifter(dc.camera, DLC_NAMES, depth=True, px_per_mm=-1.0)
    # depth off: an image changes nothing
    a = LiveLifter(dc.camera, DLC_NAMES)
    b = LiveLifter(dc.camera, DLC_NAMES)
    for i in range(3):
        ra, rb = a.step(dc.pose(i), dc.frames[i]), b.step(dc.pose(i))
        assert not ra.depth_used
        np.testing.assert_array_equal(ra.pose_3d, rb.pose_3d)


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
