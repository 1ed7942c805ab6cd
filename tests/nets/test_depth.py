"""Depth network, depth cues, fused lifter and the video depth path (toy sizes, fast)."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
import torch

from dlc_lifter.camera import Camera
from dlc_lifter.lift.options import CameraSpec, LiftOptions, OutputSpec
from dlc_lifter.mouse.catalogue import CATALOGUE
from dlc_lifter.nets.augment import augment_batch
from dlc_lifter.nets.crops import (
    Crop,
    crop_from_keypoints,
    crop_images,
    px_per_mm_from_keypoints,
)
from dlc_lifter.nets.cues import N_CUES, sample_cues
from dlc_lifter.nets.data import TrackingNoise, simulate_tracking
from dlc_lifter.nets.depth import (
    ISOLATE_MARGIN_MM,
    REAR_CONTEXT_MM,
    DepthModel,
    DepthNet,
    depth_from_height,
    height_from_depth,
    isolate_mouse,
    mouse_height,
    normalise_crops,
)
from dlc_lifter.nets.depth_train import depth_loss
from dlc_lifter.nets.fusion import expand_model, ray_baseline
from dlc_lifter.nets.fusion_train import ClipView, fused_arrays
from dlc_lifter.nets.lifter import N_GLOBAL, N_KEYPOINTS, PER_KEYPOINT, LifterNet, LiftingModel
from dlc_lifter.poses import PoseMetadata, Poses

torch.set_num_threads(1)

K = N_KEYPOINTS
NOSE, TAIL = CATALOGUE.index("nose"), CATALOGUE.index("tail_base")


def _toy_lifter(seed: int = 0) -> LiftingModel:
    torch.manual_seed(seed)
    nets = {"frame": LifterNet(K * PER_KEYPOINT + N_GLOBAL, K, channels=16, kernels=(1,)),
            "temporal": LifterNet(K * PER_KEYPOINT + N_GLOBAL, K, channels=16, kernels=(3, 3))}
    pair = np.full((K, K), np.nan)
    pair[NOSE, TAIL] = pair[TAIL, NOSE] = 90.0
    return LiftingModel(nets=nets, median_height_mm=np.full(K, 15.0), pair_length_mm=pair)


# --------------------------------------------------------------------------- geometry
def test_crop_roundtrip_and_resampling() -> None:
    uv = np.full((K, 2), np.nan)
    uv[NOSE] = (300.0, 200.0)
    uv[TAIL] = (220.0, 260.0)
    uv[CATALOGUE.index("tail_end")] = (10.0, 10.0)  # the tail does not place the crop
    crop = crop_from_keypoints(uv, None, px_per_mm=1.5, crop_mm=160.0, size=128)
    assert crop is not None
    assert crop.centre == pytest.approx((260.0, 230.0))
    assert crop.side_px == pytest.approx(240.0)
    pts = np.array([[260.0, 230.0], [300.0, 200.0], [150.5, 333.25]])
    assert np.allclose(crop.to_image(crop.to_crop(pts)), pts)
    assert np.allclose(crop.to_crop(pts[0]), (63.5, 63.5))
    # a bright dot at the nose lands at the nose's crop pixel
    img = np.zeros((480, 640), np.float32)
    cv2.circle(img, (300, 200), 4, 1.0, -1)
    patch = crop_images(img, [crop])[0]
    peak = np.unravel_index(np.argmax(cv2.GaussianBlur(patch, (0, 0), 1.0)), patch.shape)
    x, y = crop.to_crop(uv[NOSE])
    assert abs(peak[1] - x) <= 1 and abs(peak[0] - y) <= 1
    assert crop_from_keypoints(np.full((K, 2), np.nan), None, 1.5) is None


def test_scale_and_height_depth_conversions() -> None:
    cam = Camera.top_view(800.0, 700.0, (320, 240), tilt_rad=0.1)
    uv = np.full((20, K, 2), np.nan)
    world = np.zeros((20, 2, 3))
    world[:, 0, 0] = np.linspace(-50, 50, 20)
    world[:, 1, 0] = world[:, 0, 0] + 90.0
    uv[:, [TAIL, NOSE]] = cam.project(world)
    pair = np.full((K, K), np.nan)
    pair[NOSE, TAIL] = pair[TAIL, NOSE] = 90.0
    ppm = px_per_mm_from_keypoints(uv, None, pair)
    assert ppm == pytest.approx(700.0 / 800.0, rel=0.03)
    # camera Z of a plane at height 30 mm -> heights 30; and back
    px = np.array([[10.0, 20.0], [160.0, 120.0], [300.0, 200.0]])
    z = depth_from_height(np.full(3, 30.0), px, cam)
    pts = cam.points_at_height(px, 30.0)
    assert np.allclose(z, cam.to_camera(pts)[:, 2])
    depth = np.zeros((240, 320))
    depth[20, 10], depth[120, 160], depth[200, 300] = z
    h = height_from_depth(depth, cam)
    assert np.allclose([h[20, 10], h[120, 160], h[200, 300]], 30.0, atol=1e-3)


# --------------------------------------------------------------------------- cues
def test_cue_sampling_at_known_pixels() -> None:
    s = 64
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32)
    height = (2.0 * xx + 3.0 * yy + 10.0)[None]
    mask = (xx > 20).astype(np.float32)[None]
    crop = Crop(centre=(100.0, 50.0), side_px=128.0, size=s, mm_per_px=2.0)
    uv = np.full((1, K, 2), np.nan)
    crop_xy = np.array([[30.0, 40.0], [10.0, 12.0], [30.5, 40.25]])
    uv[0, :3] = crop.to_image(crop_xy)
    uv[0, 3] = (1000.0, 1000.0)  # outside the crop
    cues = sample_cues(height, mask, [crop], uv)
    assert cues.shape == (1, K, N_CUES)
    expect_h = 2 * crop_xy[:, 0] + 3 * crop_xy[:, 1] + 10
    assert np.allclose(cues[0, :3, 0] * 100, expect_h, atol=1e-3)
    # linear field: the patch median is the value at the nearest pixel
    assert np.allclose(cues[0, :2, 1] * 100, expect_h[:2], atol=1e-3)
    # patch max: the patch's far corner (+2, +2)
    assert np.allclose(cues[0, :2, 2] * 100, expect_h[:2] + 2 * 2 + 3 * 2, atol=1e-3)
    assert np.allclose(cues[0, :2, 3], np.hypot(2.0, 3.0) / 2.0, atol=1e-4)
    assert cues[0, 0, 4] == pytest.approx(1.0) and cues[0, 1, 4] == pytest.approx(0.0)
    body = height[0][mask[0] > 0.5]
    assert np.allclose(cues[0, :3, 5] * 100, np.percentile(body, 95), atol=1e-3)
    assert np.allclose(cues[0, :3, 6], body.size * 4.0 / 1000.0)
    assert np.all(cues[0, :3, 7] == 0.0)  # no landmark map: that channel is 0
    assert np.all(cues[0, :3, -1] == 1.0)
    assert np.all(cues[0, 3:] == 0.0)  # outside the crop, or missing
    assert np.all(sample_cues(height, mask, [None], uv) == 0.0)
    with_lm = sample_cues(height, mask, [crop], uv, landmark=height + 5.0)
    assert np.allclose(with_lm[0, :3, 7] * 100, expect_h + 5.0, atol=1e-3)
    assert np.array_equal(np.delete(with_lm, 7, -1), np.delete(cues, 7, -1))
    # PyMouse-style: keypoint on its ray at the height read there
    cam = Camera.top_view(600.0, 500.0, (400, 300))
    p = ray_baseline(uv, cues, cam)
    assert np.allclose(p[0, :3, 2], expect_h, atol=1e-3)
    assert np.allclose(cam.project(p[0, :3]), uv[0, :3], atol=1e-6)


# --------------------------------------------------------------------------- network
def test_toy_depth_training_step_reduces_loss() -> None:
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    s = 32
    rgb = np.full((6, s, s, 3), 220, np.uint8)
    height = np.zeros((6, s, s), np.float32)
    mask = np.zeros((6, s, s), bool)
    for i in range(6):
        c = rng.integers(10, 22, 2)
        cv2.circle(rgb[i], (int(c[0]), int(c[1])), 6, (30, 30, 30), -1)
        cv2.circle(height[i], (int(c[0]), int(c[1])), 6, 25.0, -1)
        mask[i] = height[i] > 0
    gray, h, m = augment_batch(rgb, height, mask, rng)
    assert gray.shape == (6, s, s) and h.shape == (6, s, s) and m.dtype == bool
    assert np.array_equal(m, h > 0)  # targets move with the image
    net = DepthNet(width=4)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    x = torch.from_numpy(normalise_crops(gray))[:, None]
    ht, mt = torch.from_numpy(np.ascontiguousarray(h)), torch.from_numpy(np.ascontiguousarray(m))
    losses = []
    for _ in range(15):
        loss = depth_loss(net(x), ht, mt)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < 0.7 * losses[0]


def test_depth_model_save_load_predict(tmp_path: Path) -> None:
    model = DepthModel(net=DepthNet(width=4), crop_size=32)
    path = model.save(tmp_path / "depth_toy.pt")
    again = DepthModel.load(path)
    g = np.random.default_rng(1).uniform(0, 255, (3, 32, 32)).astype(np.float32)
    h1, m1 = model.predict(g)
    h2, m2 = again.predict(g)
    assert h1.shape == (3, 32, 32) and np.all(h1 >= 0) and np.all((m1 >= 0) & (m1 <= 1))
    assert np.allclose(h1, h2) and np.allclose(m1, m2)
    from dlc_lifter.nets.lifter import ModelLoadError

    with pytest.raises(ModelLoadError):
        DepthModel.load(tmp_path / "missing.pt")


def _mouse_by_a_wall(s: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """A grey crop: light floor, a dark mouse in the middle, a dark wall along one side."""
    g = np.full((s, s), 200.0, np.float32)
    g[:, :8] = 40.0  # the wall
    mouse = np.zeros((s, s), np.float32)
    cv2.ellipse(mouse, (s // 2, s // 2), (14, 7), 0, 0, 360, 1.0, -1)
    g[mouse > 0] = 20.0
    return g, mouse


def test_isolate_mouse_keeps_the_mouse_and_its_margin_and_removes_the_scene() -> None:
    g, mouse = _mouse_by_a_wall()
    out = isolate_mouse(g[None], mouse[None], margin_px=4)[0]
    near = cv2.dilate(mouse.astype(np.uint8), cv2.getStructuringElement(
        cv2.MORPH_ELLIPSE, (9, 9))) > 0
    assert np.array_equal(out[near], g[near])  # mouse and margin untouched
    assert np.all(out[:, :8] == 200.0)  # the wall became the floor's level (the median)
    assert np.all(out[~near] == 200.0)
    # a second, smaller blob (a reflection, a shadow) is scene, not mouse
    blobs = mouse.copy()
    blobs[2:6, 56:60] = 1.0
    assert np.array_equal(isolate_mouse(g[None], blobs[None], margin_px=4)[0], out)
    # another animal larger than this one, off the crop's centre, is removed too
    two = np.zeros_like(mouse)
    cv2.ellipse(two, (32, 32), (6, 4), 0, 0, 360, 1.0, -1)  # this animal, small, central
    cv2.ellipse(two, (50, 12), (12, 9), 0, 0, 360, 1.0, -1)  # a larger one in a corner
    g2 = np.where(two > 0, 20.0, 200.0).astype(np.float32)
    kept = isolate_mouse(g2[None], two[None], margin_px=2)[0]
    assert np.all(kept[28:37, 24:41][two[28:37, 24:41] > 0] == 20.0)
    assert np.all(kept[5:20, 40:60] == 200.0)
    # no mouse found: the crop is read as it is; the input is never modified
    assert np.array_equal(isolate_mouse(g[None], np.zeros_like(mouse)[None], 4)[0], g)
    assert g[0, 0] == 40.0


def test_predict_reads_the_crop_again_without_the_scene(monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    g, mouse = _mouse_by_a_wall(64)
    model = DepthModel(net=DepthNet(width=4), crop_size=64, crop_mm=128.0,
                       isolate_margin_mm=6.0)  # 3 px
    seen: list[np.ndarray] = []

    def read(gray: np.ndarray, batch: int, *, landmarks: bool) -> tuple[np.ndarray, ...]:
        seen.append(np.array(gray))
        z = np.zeros_like(gray, dtype=np.float32)
        return (z, np.repeat(mouse[None], len(gray), 0)) + ((z,) if landmarks else ())

    monkeypatch.setattr(model, "_read", read)
    model.predict(g[None], landmarks=True)
    assert len(seen) == 2 and np.array_equal(seen[0][0], g)
    assert np.array_equal(seen[1][0], isolate_mouse(g[None], mouse[None], 3)[0])
    assert np.all(seen[1][0][:, :3] == 200.0)
    seen.clear()
    model.isolate_margin_mm = None
    model.predict(g[None])
    assert len(seen) == 1 and np.array_equal(seen[0][0], g)


def test_mouse_height_is_a_high_percentile_of_the_mouse_pixels_only() -> None:
    _, mouse = _mouse_by_a_wall(64)
    h = np.where(mouse > 0, 30.0, 0.0).astype(np.float32)
    h[:, :8] = 90.0  # a high wall outside the mouse does not count
    h[32, 30:34] = 80.0  # 4 of the mouse's pixels reach higher: under 5 %, ignored
    stack = np.stack([h, h])
    probs = np.stack([mouse, np.zeros_like(mouse)])  # the second crop has no mouse
    assert np.allclose(mouse_height(stack, probs), [30.0, 0.0])


def test_predict_keeps_the_reading_with_the_scene_where_the_mouse_alone_rears(
        monkeypatch: pytest.MonkeyPatch) -> None:
    g, mouse = _mouse_by_a_wall(64)
    model = DepthModel(net=DepthNet(width=4), crop_size=64, crop_mm=128.0,
                       isolate_margin_mm=6.0, rear_context_mm=60.0)
    # the mouse read alone stands 20 mm (crop 0) and 70 mm (crop 1) high; read with the
    # scene, 50 and 80 mm
    alone_mm, scene_mm = np.array([20.0, 70.0]), np.array([50.0, 80.0])
    calls: list[int] = []

    def read(gray: np.ndarray, batch: int, *, landmarks: bool) -> tuple[np.ndarray, ...]:
        mm = scene_mm if not calls else alone_mm
        calls.append(1)
        h = (mouse[None] * mm[:, None, None]).astype(np.float32)
        lm = h + 1.0
        p = np.repeat(mouse[None], len(gray), 0) * (0.9 if len(calls) == 1 else 0.8)
        return (h, p, lm) if landmarks else (h, p)

    monkeypatch.setattr(model, "_read", read)
    h, p, lm = model.predict(np.stack([g, g]), landmarks=True)
    assert len(calls) == 2
    assert h[0].max() == 20.0 and lm[0].max() == 21.0 and p[0].max() == pytest.approx(0.8)
    assert h[1].max() == 80.0 and lm[1].max() == 81.0 and p[1].max() == pytest.approx(0.9)
    calls.clear()
    model.rear_context_mm = None  # always the mouse read alone
    h, _ = model.predict(np.stack([g, g]))
    assert [h[0].max(), h[1].max()] == [20.0, 70.0]


# --------------------------------------------------------------------------- fused lifter
def test_fused_lifter_input_shape_and_zero_init() -> None:
    base = _toy_lifter()
    fused = expand_model(base)
    assert fused.n_extra == N_CUES
    assert fused.in_features == K * (PER_KEYPOINT + N_CUES) + N_GLOBAL
    cam = Camera.top_view(700.0, 600.0, (400, 400))
    t = 12
    world = np.zeros((t, K, 3))
    world[..., 0] = np.linspace(-40, 50, K)[None]
    world[..., 2] = 20.0
    uv, conf, _ = simulate_tracking(world, cam, np.random.default_rng(0),
                                    noise=TrackingNoise.clean())
    cues = np.random.default_rng(1).uniform(0, 1, (t, K, N_CUES)).astype(np.float32)
    view = ClipView(world=world, uv=uv, conf=conf, cues=cues, camera=cam,
                    behaviour=np.zeros(t, int), keypoint_set="all")
    feats, targets, weights = fused_arrays(view)
    assert feats.shape == (t, fused.in_features)
    assert targets.shape == weights.shape == (t, 3 * K)
    for mode in ("frame", "temporal"):
        assert fused.nets[mode].in_features == feats.shape[1]
        p_base, _, _ = base.predict(uv, conf, cam, mode=mode)
        p_fused, _, _ = fused.predict(uv, conf, cam, mode=mode, extra=cues)
        assert np.allclose(p_base, p_fused, atol=1e-4)  # zero-initialised cue weights


# --------------------------------------------------------------------------- video path
def _poses(n: int = 40) -> Poses:
    cam = Camera.top_view(600.0, 640.0, (160, 120))
    world = np.zeros((n, K, 3))
    world[..., 0] = np.linspace(-45, 45, K)[None] + np.linspace(-20, 20, n)[:, None]
    world[..., 2] = 15.0
    uv, conf, _ = simulate_tracking(world, cam, np.random.default_rng(3),
                                    noise=TrackingNoise.clean())
    idx = [NOSE, CATALOGUE.index("left_ear"), CATALOGUE.index("right_ear"), TAIL]
    return Poses(coords=uv[:, idx], confidence=conf[:, idx],
                 keypoints=["snout", "leftear", "rightear", "tailbase"],
                 meta=PoseMetadata(fps=30.0, image_size=(160, 120)))


def test_depth_path_falls_back_for_unreadable_video(tmp_path: Path,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    from dlc_lifter.lift import Lifter, lift_poses
    from dlc_lifter.lift.depth_path import lift_poses_with_depth

    poses = _poses()
    lifter = Lifter(_toy_lifter())
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"this is not a video" * 100)
    kw = {"camera_height_mm": 600.0, "focal_px": 640.0}
    with caplog.at_level(logging.WARNING, logger="dlc_lifter.lift.depth_path"):
        out = lift_poses_with_depth(poses, bad, lifter=lifter, **kw)
    assert out.meta.extra["depth"]["used"] is False
    assert "keypoints only" in caplog.text
    ref = lift_poses(poses, lifter=lifter, **kw)
    assert np.allclose(out.coords, ref.coords, equal_nan=True)
    out2 = lift_poses_with_depth(poses, tmp_path / "missing.mp4", lifter=lifter, **kw)
    assert out2.meta.extra["depth"]["used"] is False


def test_depth_path_runs_on_a_video(tmp_path: Path) -> None:
    from dlc_lifter.lift import Lifter
    from dlc_lifter.lift.depth_path import lift_poses_with_depth

    poses = _poses(20)
    video = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (160, 120))
    for _ in range(20):
        writer.write(np.full((120, 160, 3), 200, np.uint8))
    writer.release()
    base = _toy_lifter()
    fused = expand_model(base)
    dw = DepthModel(net=DepthNet(width=4)).save(tmp_path / "depth_toy.pt")
    fw = fused.save(tmp_path / "fused_toy.pt")
    out = lift_poses_with_depth(poses, video, lifter=Lifter(base), depth_weights=dw,
                                fused_weights=fw, camera_height_mm=600.0, focal_px=640.0)
    info = out.meta.extra["depth"]
    assert info["used"] is True and info["frames_read"] == 20
    from dlc_lifter.io.weights import file_hash

    assert info["depth_sha256"] == file_hash(dw)  # the depth weights cited, not only a path
    assert info["depth_isolate_margin_mm"] == ISOLATE_MARGIN_MM
    assert info["depth_rear_context_mm"] == REAR_CONTEXT_MM
    assert info["cue_fraction"] > 0
    assert out.coords.shape[:2] == (20, 1) and np.isfinite(out.coords).all()


def _rearing_views(rng: np.random.Generator, n: int = 1) -> tuple[Camera, list[ClipView]]:
    """``n`` toy fused-training views: a straight mouse with "rearing" bouts (every
    keypoint 30 mm up for half of each 20 frames), clean tracking and a perfect height
    cue; view ``i`` shifted 5 mm * i along x."""
    cam = Camera.top_view(700.0, 600.0, (400, 400))
    t = 40
    views = []
    for i in range(n):
        world = np.zeros((t, K, 3))
        world[..., 0] = np.linspace(-40, 50, K)[None] + 5 * i
        world[..., 2] = 10.0 + 30.0 * (np.arange(t) % 20 >= 10)[:, None]
        uv, conf, _ = simulate_tracking(world, cam, rng, noise=TrackingNoise.clean())
        cues = np.zeros((t, K, N_CUES), np.float32)
        cues[..., 0] = world[..., 2] / 100.0
        cues[..., -1] = 1.0
        views.append(ClipView(world=world, uv=uv, conf=conf, cues=cues, camera=cam,
                              behaviour=np.full(t, 3), keypoint_set="all"))
    return cam, views


def test_train_fused_toy_keeps_shapes_and_learns() -> None:
    from dlc_lifter.nets.fusion_train import FusedTrainConfig, train_fused

    base = _toy_lifter()
    cam, views = _rearing_views(np.random.default_rng(4), 3)
    fused, hist = train_fused(base, views, FusedTrainConfig(steps=30, lr=3e-3, chunk=8,
                                                            batch=4, modes=("temporal",)))
    assert fused.n_extra == N_CUES
    loss = hist["loss"]["temporal"]
    assert np.mean(loss[-5:]) < np.mean(loss[:5])
    # untouched modes are the base's, and the base model itself is unchanged
    p_base, _, _ = base.predict(views[0].uv, views[0].conf, cam, mode="frame")
    p_frame, _, _ = fused.predict(views[0].uv, views[0].conf, cam, mode="frame",
                                  extra=views[0].cues)
    assert np.allclose(p_base, p_frame, atol=1e-4)


def test_lift_file_with_depth_records_the_depth_path(tmp_path: Path) -> None:
    """lift_file(video=...) on a tiny rendered clip uses the shipped depth network and
    fused lifter by default, and its meta pickle says so; --no-depth and a custom model
    lift from the keypoints only, and say why."""
    import pickle

    from dlc_lifter.lift import lift_file
    from dlc_lifter.nets.clips import render_clips

    clip = render_clips(1, 10, seed=5, resolution=(192, 192))[0]
    cam = clip.camera
    names = {"snout": "nose", "leftear": "left_ear", "rightear": "right_ear",
             "tailbase": "tail_base"}
    idx = [CATALOGUE.index(v) for v in names.values()]
    uv, conf, _ = simulate_tracking(clip.world, cam, np.random.default_rng(0),
                                    noise=TrackingNoise.clean())
    poses = Poses(coords=uv[:, idx], confidence=conf[:, idx], keypoints=list(names),
                  meta=PoseMetadata(fps=30.0, image_size=cam.image_size))
    scorer = "DLC_resnet50_synthJan1shuffle1_1000"
    src = tmp_path / f"clip{scorer}.h5"
    poses.to_dataframe(scorer).to_hdf(src, key="df_with_missing", mode="w")
    video = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 30.0,
                             cam.image_size)
    for frame in clip.rgb:
        writer.write(np.ascontiguousarray(frame[..., ::-1]))
    writer.release()
    spec = CameraSpec(camera_height_mm=float(cam.height_mm), focal_px=float(cam.fx))

    def record(path: Path) -> dict:
        with open(path.with_name(path.stem + "_meta.pickle"), "rb") as fh:
            return pickle.load(fh)["data"]

    out = lift_file(src, video=video, camera=spec)
    rec = record(out)
    info = rec["extra"]["depth"]
    assert rec["depth_used"] is True and rec["depth_reason"] is None
    assert info["used"] is True and info["frames_read"] == 10
    assert info["cue_fraction_tracked"] > 0.9  # every tracked keypoint got its cues
    assert Path(info["fused_weights"]).name == "depth_fused_lifter.pt"
    fused = pd.read_hdf(out).to_numpy()
    assert fused.shape[0] == 10 and np.isfinite(fused).any()
    short = tmp_path / "short.mp4"  # a frame short of the poses: its header's count
    writer = cv2.VideoWriter(str(short), cv2.VideoWriter_fourcc(*"mp4v"), 30.0,
                             cam.image_size)
    for frame in clip.rgb[:9]:
        writer.write(np.ascontiguousarray(frame[..., ::-1]))
    writer.release()
    one_off = record(lift_file(src, video=short, camera=spec,
                               output=OutputSpec(destfolder=tmp_path / "short")))
    assert one_off["depth_used"] is True and one_off["extra"]["depth"]["frames_read"] == 9
    out = lift_file(src, video=video, options=LiftOptions(depth=False),
                    output=OutputSpec(overwrite=True), camera=spec)
    rec = record(out)
    assert rec["depth_used"] is False and rec["depth_reason"] == "depth=False"
    assert "depth" not in rec["extra"]
    kp_only = pd.read_hdf(out).to_numpy()
    assert not np.allclose(kp_only, fused, equal_nan=True)  # the cues changed the 3D
    from dlc_lifter.lift import default_model_path

    out = lift_file(src, video=video, options=LiftOptions(model=default_model_path()),
                    output=OutputSpec(overwrite=True), camera=spec)
    assert record(out)["depth_reason"] == "custom model without depth=True"
    np.testing.assert_allclose(pd.read_hdf(out).to_numpy(), kp_only)
    out = lift_file(src, video=video, options=LiftOptions(model=default_model_path(), depth=True),
                    output=OutputSpec(overwrite=True), camera=spec)
    assert record(out)["depth_used"] is True
    np.testing.assert_allclose(pd.read_hdf(out).to_numpy(), fused)
    from typer.testing import CliRunner

    from dlc_lifter.cli import app

    cli = ["lift", str(src), "--video", str(video), "--overwrite", "--camera-height-mm",
           str(spec.camera_height_mm), "--focal-px", str(spec.focal_px)]
    for flag, used in (("--no-depth", False), (None, True)):
        res = CliRunner().invoke(app, cli + ([flag] if flag else []))
        assert res.exit_code == 0, res.output
        assert record(Path(res.output.strip().splitlines()[-1]))["depth_used"] is used


def test_top_weighted_loss_and_strided_rearing_clips() -> None:
    from dlc_lifter.nets.clips import render_clips
    from dlc_lifter.nets.depth_train import clip_training_crops

    # an error on a high (rearing) surface weighs more with top_weight
    h = torch.zeros(1, 8, 8)
    h[0, :4] = 80.0
    m = torch.ones(1, 8, 8, dtype=torch.bool)
    out = torch.zeros(1, 2, 8, 8)
    out[:, 1] = 5.0
    out[:, 0] = -30.0  # ~0 mm: exact on the floor-level half
    out[:, 0, :4] = math.log(math.expm1(1.0))  # 40 mm: 40 mm too low on the high half
    l0 = depth_loss(out, h, m, top_weight=0.0)
    l1 = depth_loss(out, h, m, top_weight=1.0)
    assert float(l1) > float(l0)
    # strided, behaviour-restricted clips and their inference-placed crops
    clips = render_clips(1, 3, seed=3, resolution=(128, 128), behaviours=("rear",),
                         frame_stride=4)
    assert clips[0].rgb.shape[0] == 3 and len(clips[0].behaviour) == 3
    pair = np.full((K, K), np.nan)
    pair[NOSE, TAIL] = pair[TAIL, NOSE] = 90.0
    crops = clip_training_crops(clips, np.random.default_rng(0), pair_length_mm=pair,
                                crop_mm=160.0, size=32)
    n = len(crops["rgb"])
    assert crops["rgb"].shape == (n, 32, 32, 3) and crops["height"].shape == (n, 32, 32)
    assert crops["mask"].dtype == bool and len(crops["behaviour"]) == n


def test_base_l2_keeps_the_fine_tuned_keypoint_weights_near_the_base() -> None:
    from dlc_lifter.nets.fusion_train import FusedTrainConfig, _cue_columns, train_fused

    base = _toy_lifter()
    _, views = _rearing_views(np.random.default_rng(5))
    drift = {}
    for l2 in (0.0, 100.0):
        cfg = FusedTrainConfig(steps=30, lr=3e-3, chunk=8, batch=4, modes=("temporal",),
                               scope="all", base_l2=l2, weight_decay=0.0, cue_jitter=0.0)
        fused, _ = train_fused(base, views, cfg)
        net, ref = fused.nets["temporal"], base.nets["temporal"]
        w = net.expand.weight[:, ~_cue_columns(net)].detach()
        drift[l2] = float((w - ref.expand.weight.detach()).abs().mean())
    assert drift[100.0] < 0.5 * drift[0.0]


def test_soup_is_the_weight_average_of_its_members() -> None:
    """train_fused(soup=2) averages the weights of the seed-0 and seed-1 fine-tunes, and
    its loss history is their per-step mean."""
    from dlc_lifter.nets.fusion_train import FusedTrainConfig, train_fused

    base = _toy_lifter()
    _, views = _rearing_views(np.random.default_rng(6))
    kw = dict(steps=20, lr=3e-3, chunk=8, batch=4, modes=("temporal",), scope="all",
              base_l2=0.0, threads=1)
    one = [train_fused(base, views, FusedTrainConfig(seed=s, **kw)) for s in (0, 1)]
    soup, hist = train_fused(base, views, FusedTrainConfig(seed=0, soup=2, **kw))
    w = [m.nets["temporal"].state_dict() for m, _ in one]
    assert not torch.allclose(w[0]["expand.weight"], w[1]["expand.weight"])
    for name, t_soup in soup.nets["temporal"].state_dict().items():
        if t_soup.dtype.is_floating_point:
            assert torch.allclose(t_soup, (w[0][name] + w[1][name]) / 2, atol=1e-6), name
    assert np.allclose(hist["loss"]["temporal"],
                       np.mean([h["loss"]["temporal"] for _, h in one], axis=0))
    assert len(hist["members"]) == 2 and soup.info["config"]["soup"] == 2
    with pytest.raises(ValueError, match="soup"):
        train_fused(base, views, FusedTrainConfig(soup=0, **kw))


def test_augment_strength_zero_is_plain_grey() -> None:
    from dlc_lifter.nets.crops import to_gray

    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 255, (2, 16, 16, 3), dtype=np.uint8)
    h = rng.uniform(0, 30, (2, 16, 16)).astype(np.float32)
    m = h > 15
    gray, h2, m2 = augment_batch(rgb, h, m, rng, strength=0.0)
    assert np.allclose(gray, np.stack([to_gray(c) for c in rgb]))
    assert np.array_equal(h2, h) and np.array_equal(m2, m)


# --------------------------------------------------------------------------- landmark heights
def test_landmark_map_paints_seen_landmarks_higher_last() -> None:
    from dlc_lifter.nets.depth_train import landmark_map, seen_from_above

    crop = Crop(centre=(50.0, 50.0), side_px=40.0, size=40, mm_per_px=1.0)
    uv = np.array([[50.0, 50.0], [52.0, 50.0], [40.0, 40.0], [np.nan, np.nan], [500.0, 5.0]])
    z = np.array([10.0, 30.0, 5.0, 50.0, 20.0])
    lm = landmark_map(crop, uv, z, radius=3).astype(np.float32)
    xy = crop.to_crop(uv)
    # the higher of two overlapping landmarks wins where their disks overlap
    assert lm[int(round(xy[1, 1])), int(round(xy[1, 0]))] == 30.0
    assert lm[int(round(xy[0, 1])), int(round(xy[0, 0])) - 3] == 10.0  # the lower one's far side
    assert lm[int(round(xy[2, 1])), int(round(xy[2, 0]))] == 5.0
    painted = np.isfinite(lm)
    assert 0 < painted.sum() < 3 * math.pi * 16 + 10  # three small disks, nothing else
    assert not np.isfinite(lm[0, -1])
    # seen from above: a surface more than the tolerance above a landmark hides it
    surface = np.zeros((100, 100), np.float32)
    surface[38:43, 38:43] = 30.0  # something 25 mm above landmark 2
    seen = seen_from_above(uv, z, surface)
    assert seen.tolist() == [True, True, False, False, False]
    only_seen = landmark_map(crop, uv, z, surface=surface, radius=3)
    expect = landmark_map(crop, np.where(seen[:, None], uv, np.nan), z, radius=3)
    assert np.array_equal(only_seen, expect, equal_nan=True)
    assert not np.isfinite(only_seen[int(round(xy[2, 1])), int(round(xy[2, 0]))])


def test_augment_moves_landmark_targets_with_the_heights() -> None:
    rng = np.random.default_rng(3)
    s = 32
    rgb = rng.integers(0, 255, (8, s, s, 3), dtype=np.uint8)
    h = np.zeros((8, s, s), np.float32)
    h[:, 5:12, 8:20] = rng.uniform(5, 60, (8, 1, 1))
    lm = np.full((8, s, s), np.nan, np.float32)
    lm[:, 5:12, 8:20] = h[:, 5:12, 8:20] + 1.0  # the landmark target sits on that patch
    gray, h2, m2, lm2 = augment_batch(rgb, h, h > 0, rng, landmark=lm)
    assert lm2.shape == (8, s, s)
    f = np.isfinite(lm2)
    assert f.any()
    assert np.allclose(lm2[f], h2[f] + 1.0)  # same geometric transforms as the heights
    _, _, _, lm0 = augment_batch(rgb, h, h > 0, rng, landmark=lm, strength=0.0)
    assert np.array_equal(np.isfinite(lm0), np.isfinite(lm))


def test_landmark_output_trains_and_old_two_output_weights_load(tmp_path: Path) -> None:
    torch.manual_seed(0)
    net = DepthNet(width=4)
    assert net.n_out == 3
    x = torch.randn(2, 1, 32, 32)
    h = torch.zeros(2, 32, 32)
    m = torch.zeros(2, 32, 32)
    lm = torch.full((2, 32, 32), float("nan"))
    lm[:, 10:14, 10:14] = 60.0
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    first = None
    for _ in range(20):
        loss = depth_loss(net(x), h, m, landmark=lm, landmark_weight=1.0)
        first = float(loss.detach()) if first is None else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(loss.detach()) < 0.7 * first
    model = DepthModel(net=net, crop_size=32)
    again = DepthModel.load(model.save(tmp_path / "lm.pt"))
    g = np.random.default_rng(1).uniform(0, 255, (2, 32, 32)).astype(np.float32)
    a, b = model.predict(g, landmarks=True), again.predict(g, landmarks=True)
    assert len(a) == 3 and all(np.allclose(u, v) for u, v in zip(a, b, strict=True))
    old = DepthModel(net=DepthNet(width=4, n_out=2), crop_size=32)
    old = DepthModel.load(old.save(tmp_path / "old.pt"))
    assert not old.has_landmarks
    hh, mm, ll = old.predict(g, landmarks=True)
    assert np.all(ll == 0) and hh.shape == ll.shape


def test_crops_are_sampled_exactly_without_opencv() -> None:
    """Bilinear crops of a linear ramp are the ramp at the crop's sample points (edges
    repeated), masks are nearest-neighbour: no OpenCV version enters the crops."""
    from dlc_lifter.nets.crops import Crop, crop_images

    h, w = 60, 80
    vv, uu = np.mgrid[0:h, 0:w].astype(np.float32)
    ramp = 2.0 * uu + 0.5 * vv
    crop = Crop((30.25, 20.5), side_px=40.0, size=16)
    got = crop_images(ramp, [crop])[0]
    xy = crop.to_image(np.stack(np.meshgrid(np.arange(16), np.arange(16)), -1).astype(float))
    np.testing.assert_allclose(got, 2.0 * xy[..., 0] + 0.5 * xy[..., 1], atol=1e-4)
    edge = crop_images(ramp, [Crop((2.0, 2.0), side_px=40.0, size=16)])[0]
    assert edge[0, 0] == ramp[0, 0]  # outside the image: the edge pixel repeated
    rgb = np.repeat((ramp * 1.5).clip(0, 255).astype(np.uint8)[..., None], 3, axis=-1)
    out = crop_images(rgb, [crop])[0]
    assert out.dtype == np.uint8 and out.shape == (16, 16, 3)
    mask = uu > 40
    m = crop_images(mask, [crop], interpolation="nearest")[0]
    assert m.dtype == np.bool_
    np.testing.assert_array_equal(m, np.floor(xy[..., 0] + 0.5) > 40)


# --------------------------------------------------------------------------- cue extractor
def test_cue_extractor_one_frame_equals_a_run_of_frames() -> None:
    """The per-frame path (live), the batched run (training, benchmarks) and the staged
    methods (offline video path) give the same cues; a grey image gives the RGB image's
    cues when its grey values are the same; untracked keypoints get none."""
    from dlc_lifter.nets.clips import render_clips
    from dlc_lifter.nets.cues import CueExtractor, extract_cues

    clip = render_clips(1, 3, seed=8, resolution=(128, 128))[0]
    torch.manual_seed(0)
    dm = DepthModel(net=DepthNet(4, 3), crop_size=32)
    uv = clip.camera.project(clip.world.reshape(-1, 3)).reshape(clip.world.shape[:2] + (2,))
    conf = np.full(uv.shape[:2], 0.9)
    conf[:, TAIL] = 0.1  # below the cutoff: no cues there
    pair = np.full((K, K), np.nan)
    pair[NOSE, TAIL] = pair[TAIL, NOSE] = 90.0
    fc = extract_cues(clip.rgb, uv, conf, dm, pair_length_mm=pair, camera=clip.camera)
    assert fc.cues.shape == (3, K, N_CUES) and np.isfinite(fc.px_per_mm)
    ex = CueExtractor(dm)
    for t in range(3):
        one = ex.frame(clip.rgb[t], uv[t], conf[t], fc.px_per_mm)
        # a batch of one crop instead of three moves the network's last float32 bits
        np.testing.assert_allclose(one, fc.cues[t], rtol=1e-5, atol=1e-6)
        alone = ex.frames(clip.rgb[t: t + 1], uv[t: t + 1], conf[t: t + 1], fc.px_per_mm)
        np.testing.assert_array_equal(one, alone.cues[0])
    assert fc.cues[:, NOSE, -1].all() and not fc.cues[:, TAIL].any()
    grey = clip.rgb[0, ..., 1]
    c0 = fc.depth.crops[0]
    assert np.allclose(ex.gray(grey, c0), ex.gray(np.repeat(grey[..., None], 3, -1), c0),
                       atol=1e-3)
    assert ex.gray(grey[..., None], c0).shape == (32, 32)
    with pytest.raises(ValueError, match="pair_length_mm"):
        extract_cues(clip.rgb, uv, conf, dm)


# --------------------------------------------------------------------------- training entry points
def test_training_entry_points_write_weights_and_sidecars(tmp_path: Path) -> None:
    """train_depth_weights and train_fused_weights train from a recipe and write weights
    that load, with a sidecar recording the recipe (dataclasses.asdict), seed, code version
    and command."""
    import json
    from dataclasses import asdict

    from dlc_lifter._version import __version__
    from dlc_lifter.nets.depth_train import DepthRecipe, DepthTrainConfig, train_depth_weights
    from dlc_lifter.nets.fusion_train import (
        FusedRecipe,
        FusedTrainConfig,
        train_fused_weights,
    )

    base = _toy_lifter()
    dr = DepthRecipe(synth_frames=2, clips=1, clip_frames=2,
                     train=DepthTrainConfig(steps=2, batch=2, width=4, threads=1))
    depth = train_depth_weights(dr, tmp_path / "d.pt", base=base, workdir=tmp_path / "w",
                                command="dlc-lifter train depth --toy")
    side = json.loads((tmp_path / "d.json").read_text())
    assert side["command"] == "dlc-lifter train depth --toy"
    assert side["recipe"] == json.loads(json.dumps(asdict(dr)))
    assert side["seed"] == 0 and side["code_version"] == __version__
    assert DepthModel.load(tmp_path / "d.pt").net.n_out == depth.net.n_out == 3
    fr = FusedRecipe(clips=2, frames=10, views=1, groom_every=0,
                     train=FusedTrainConfig(steps=2, batch=2, chunk=4, modes=("frame",),
                                            threads=1))
    fused = train_fused_weights(fr, tmp_path / "f.pt", base=base,
                                depth_model=DepthModel.load(tmp_path / "d.pt"), workers=0)
    side = json.loads((tmp_path / "f.json").read_text())
    assert side["command"] is None and side["config"]["steps"] == 2
    assert side["depth_net"]["sha256"] and fused.n_extra == N_CUES
    assert LiftingModel.load(tmp_path / "f.pt").n_extra == N_CUES


def test_default_recipes_are_those_of_the_shipped_weights() -> None:
    """The default DepthRecipe and FusedRecipe train with the settings recorded in the
    shipped weights' sidecars, so the shipped weights can be remade from the defaults."""
    import json
    from dataclasses import asdict

    from dlc_lifter.lift.depth_path import default_depth_weights, default_fused_weights
    from dlc_lifter.nets.depth_train import DEPTH_MIX, DepthRecipe
    from dlc_lifter.nets.fusion_train import FusedRecipe

    depth = json.loads(default_depth_weights().with_suffix(".json").read_text())
    fused = json.loads(default_fused_weights().with_suffix(".json").read_text())
    dr, fr = DepthRecipe(), FusedRecipe()
    assert json.loads(json.dumps(asdict(dr.train))) == depth["config"]
    assert json.loads(json.dumps(asdict(fr.train))) == fused["config"]
    assert (dr.synth_seed, dr.crop_seed, dr.clip_seed, dr.tracking_seed, dr.train.seed) == (
        depth["seeds"]["synthesize"], depth["seeds"]["crop_jitter"],
        depth["seeds"]["rear_clips"], depth["seeds"]["rear_tracking"], depth["seeds"]["train"])
    assert f"render_clips({dr.clips}, {dr.clip_frames}, seed={dr.clip_seed}, " \
           f"behaviours={DEPTH_MIX}, frame_stride={dr.clip_stride})" in depth["recipe"]
    assert f"synthesize(n_frames={dr.synth_frames}, seed={dr.synth_seed})" in depth["recipe"]
    assert fused["seeds"]["render"] == f"{fr.render_seed}+i"
    assert fused["seeds"]["tracking"] == f"[{fr.tracking_seed}, i]"
    assert fused["seeds"]["train"] == list(range(fr.train.seed, fr.train.seed + fr.train.soup))
    # the fused lifter was made by ``dlc-lifter train fused``: its sidecar is the recipe itself
    assert fused["recipe"] == json.loads(json.dumps(asdict(fr)))
    assert fused["command"].startswith("dlc-lifter train fused ")
    for flag, value in (("--clips", fr.clips), ("--views", fr.views),
                        ("--rear-every", fr.rear_every), ("--soup", fr.train.soup)):
        assert f" {flag} {value} " in fused["command"] + " ", flag
