"""Real-time lifting: LiveLifter, streaming features, the DLC-Live processor."""

from __future__ import annotations

import inspect
import logging
import subprocess
import sys
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from dlc_lifter.analysis import live
from dlc_lifter.analysis.features import compute_features
from dlc_lifter.analysis.live import LiveLifter, StreamingFeatures
from dlc_lifter.camera import Camera
from dlc_lifter.errors import DLCLifterError
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
def streamed(clip: Clip, lifter) -> tuple[LiveLifter, list[live.LiveResult]]:
    ll = LiveLifter(clip.camera, DLC_NAMES, lifter, fps=FPS)
    return ll, [ll.step(clip.pose(i)) for i in range(N_FRAMES)]


def _as_poses(points: np.ndarray, names: list[str]) -> Poses:
    meta = PoseMetadata(fps=FPS, frame="camera-floor", units="mm")
    return Poses(coords=points[:, None], keypoints=names, meta=meta)


# ----------------------------------------------------------------------------- lifting
def test_step_output_shape_names_finite(streamed) -> None:
    ll, results = streamed
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
    ll, results = streamed
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
    ll = LiveLifter(clip.camera, DLC_NAMES, lifter, features=False)
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
    ll, results = streamed
    points = np.stack([r.pose_3d for r in results])
    poses = _as_poses(points, ll.keypoints_out)
    cols = ll.feature_stream.columns
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
    assert np.isfinite(results[-1].features["head_speed_std15_mm_s"])


def test_delayed_streaming_features_equal_whole_recording_batch(streamed) -> None:
    """delay=1 (plus flush) gives exactly the rows of compute_features on everything."""
    ll, results = streamed
    points = np.stack([r.pose_3d for r in results])
    full = compute_features(_as_poses(points, ll.keypoints_out))
    sf = StreamingFeatures(ll.keypoints_out, fps=FPS, delay=1)
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
                                (live._LiftProcessorImpl, _StandInProcessor), {}),
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
        return live.processor_class()
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
    with caplog.at_level(logging.ERROR, logger="dlc_lifter.analysis.live"):
        assert proc.process(bad) is bad  # the live loop goes on
    assert "shape (3, 3)" in caplog.text
    assert proc.n_frames == 0


def test_real_dlclive_processor_is_discoverable() -> None:
    dlclive = pytest.importorskip("dlclive")
    cls = live.LiftProcessor
    assert issubclass(cls, dlclive.Processor)
    assert cls.__module__ == live.__name__ and cls.__name__ == "LiftProcessor"
    # the DLC-Live GUI: module-level registry, else Processor subclasses of the module
    info = live.get_available_processors()["LiftProcessor"]
    assert info["class"] is cls and info["name"] == cls.PROCESSOR_NAME
    assert "camera_height_mm" in info["params"]
    found = {n for n, obj in inspect.getmembers(live, inspect.isclass)
             if issubclass(obj, dlclive.Processor) and obj.__module__ == live.__name__}
    assert found == {"LiftProcessor"}
    sig = inspect.signature(cls.__init__).parameters
    assert set(info["params"]) <= set(sig)


def test_import_does_not_import_dlclive() -> None:
    code = ("import sys, dlc_lifter.analysis.live as m; "
            "assert 'dlclive' not in sys.modules, 'dlclive imported'; "
            "assert 'torch' not in sys.modules, 'torch imported'; "
            "assert callable(m.processor_class)")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
