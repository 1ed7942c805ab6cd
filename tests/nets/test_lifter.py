"""The lifting networks: exact geometry, invariance, training, shipped weights, streaming."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from dlc_lifter.camera import Camera, random_top_view
from dlc_lifter.mouse.catalogue import CATALOGUE, KEYPOINT_SETS
from dlc_lifter.nets.data import TrackingNoise, make_clips, simulate_tracking
from dlc_lifter.nets.lifter import (
    N_GLOBAL,
    N_KEYPOINTS,
    PER_KEYPOINT,
    LifterNet,
    LiftingModel,
    ModelLoadError,
    floor_points,
    frame_features,
    points_on_rays,
)
from tests.fixtures.compare import assert_same_draws

torch.set_num_threads(1)


def _sequences(n: int = 2, frames: int = 90, seed: int = 3) -> list:
    from dlc_lifter.mouse.behaviour import generate_sequences

    return generate_sequences(n, frames, seed=seed)


def _small_model(seed: int = 0, n_extra: int = 0) -> LiftingModel:
    torch.manual_seed(seed)
    in_f = N_KEYPOINTS * (PER_KEYPOINT + n_extra) + N_GLOBAL
    nets = {"temporal": LifterNet(in_f, channels=16, kernels=(3, 3)),
            "causal": LifterNet(in_f, channels=16, kernels=(3, 3), causal=True),
            "frame": LifterNet(in_f, channels=16, kernels=(1,))}
    for net in nets.values():  # non-trivial outputs from an untrained net
        torch.nn.init.normal_(net.head.weight, std=0.2)
        torch.nn.init.constant_(net.head.bias, 0.3)
    return LiftingModel(nets=nets, n_extra=n_extra, median_height_mm=np.full(N_KEYPOINTS, 20.0))


def _tilted_camera() -> Camera:
    return Camera.top_view(600.0, 700.0, (640, 480), centre_xy=(30.0, -20.0),
                           tilt_rad=math.radians(14), tilt_direction_rad=0.7, roll_rad=0.4)


# --------------------------------------------------------------------------- geometry
def test_points_on_rays_match_camera_points_at_height() -> None:
    cam = _tilted_camera()
    rng = np.random.default_rng(0)
    uv = rng.uniform([50, 50], [590, 430], (20, 2))
    h = rng.uniform(0, 80, 20)
    ours = points_on_rays(floor_points(uv, cam), cam.centre, h)
    np.testing.assert_allclose(ours, cam.points_at_height(uv, h), atol=1e-9)


@pytest.mark.parametrize("tilt", [0.0, 14.0])
def test_predicted_points_lie_on_rays_and_reproject(tilt: float) -> None:
    cam = Camera.top_view(450.0, 520.0, (640, 480), tilt_rad=math.radians(tilt),
                          tilt_direction_rad=2.0, roll_rad=-0.3)
    cam = Camera(K=cam.K, R=cam.R, t=cam.t, image_size=cam.image_size,
                 dist=np.array([-0.05, 0.01, 0.0, 0.0, 0.0]))
    seq = _sequences(1, 60)[0]
    world = seq.landmarks - [250.0, 250.0, 0.0]
    uv, conf, _ = simulate_tracking(world, cam, np.random.default_rng(1),
                                    noise=TrackingNoise())
    model = _small_model()
    for mode in ("temporal", "causal", "frame"):
        pts, imputed, heights = model.predict(uv, conf, cam, mode=mode)
        tracked = ~imputed & np.isfinite(pts).all(-1)
        assert tracked.sum() > 100
        reproj = cam.project(pts)
        err = np.linalg.norm(reproj - uv, axis=-1)[tracked]
        assert err.max() < 0.01
        np.testing.assert_allclose(pts[..., 2][tracked], heights[tracked], atol=1e-9)
        # imputed points: where conf < pcutoff or missing
        low = np.nan_to_num(conf) < 0.6
        assert np.array_equal(imputed, low & np.isfinite(pts).all(-1))


def test_features_invariant_to_moving_the_whole_scene() -> None:
    """Translating and turning animal and camera together leaves the features unchanged."""
    seq = _sequences(1, 40)[0]
    world = seq.landmarks - [250.0, 250.0, 0.0]
    cam = _tilted_camera()
    uv = cam.project(world)
    a = 0.9
    rz = np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]])
    shift = np.array([120.0, -40.0, 0.0])
    world2 = world @ rz.T + shift
    # the same camera moved with the scene: X_cam = R (rz^T (X - shift)) + t
    cam2 = Camera(K=cam.K, R=cam.R @ rz.T, t=cam.t - cam.R @ rz.T @ shift,
                  image_size=cam.image_size)
    np.testing.assert_allclose(cam2.project(world2), uv, atol=1e-6)
    conf = np.ones(uv.shape[:2])
    obs = np.ones(uv.shape[:2], bool)
    f1, _ = frame_features(floor_points(uv, cam), conf, obs, cam.centre)
    f2, _ = frame_features(floor_points(uv, cam2), conf, obs, cam2.centre)
    np.testing.assert_allclose(f1, f2, atol=1e-5)


def test_scores_above_one_read_as_certain() -> None:
    """JABS writes confidences up to about 5, SLEAP scores may pass 1: the network, trained
    on likelihoods in [0, 1], reads anything above 1 as 1."""
    seq = _sequences(1, 30, seed=2)[0]
    cam = _tilted_camera()
    floor = floor_points(cam.project(seq.landmarks - [250.0, 250.0, 0.0]), cam)
    obs = np.ones(floor.shape[:2], bool)
    one, _ = frame_features(floor, np.ones(obs.shape), obs, cam.centre)
    high, _ = frame_features(floor, np.full(obs.shape, 4.7), obs, cam.centre)
    np.testing.assert_array_equal(high, one)


def test_extra_channels_plug_in() -> None:
    model = _small_model(n_extra=3)
    cam = Camera.top_view(500.0, 600.0, (640, 480))
    world = _sequences(1, 30)[0].landmarks - [250.0, 250.0, 0.0]
    uv = cam.project(world)
    conf = np.ones(uv.shape[:2])
    pts0, _, _ = model.predict(uv, conf, cam)  # absent extra channels: zeros
    pts1, _, _ = model.predict(uv, conf, cam, extra=np.zeros((30, N_KEYPOINTS, 3)))
    np.testing.assert_allclose(pts0, pts1)
    assert model.in_features == N_KEYPOINTS * 9 + N_GLOBAL


# --------------------------------------------------------------------------- training
def _toy_train(seed: int) -> tuple[LiftingModel, dict]:
    from dlc_lifter.nets.train import TrainConfig, train

    cfg = TrainConfig(seed=seed, n_sequences=4, n_frames=100, views=2, steps=25, batch=8,
                      chunk=16, channels=24, kernels=(3, 3), lr=3e-3, threads=1)
    return train(cfg, sequences=_sequences(4, 100, seed=seed), progress=False)


def test_toy_training_reduces_loss_and_is_deterministic(tmp_path: Path) -> None:
    model, hist = _toy_train(5)
    for mode, losses in hist["loss"].items():
        assert np.mean(losses[-5:]) < np.mean(losses[:5]), mode
    again, _ = _toy_train(5)
    for mode in model.nets:
        a, b = model.nets[mode].state_dict(), again.nets[mode].state_dict()
        for k in a:
            assert torch.equal(a[k], b[k]), (mode, k)
    path = model.save(tmp_path / "m.pt")
    loaded = LiftingModel.load(path)
    assert loaded.info["sha256"] and set(loaded.nets) == {"temporal", "causal", "frame"}
    np.testing.assert_allclose(loaded.median_height_mm, model.median_height_mm)


def test_frame_network_takes_its_own_sequences_and_width() -> None:
    from dlc_lifter.nets.train import TrainConfig, train

    kw = dict(seed=3, n_frames=60, views=1, steps=6, batch=4, chunk=8, channels=16,
              kernels=(3,), lr=3e-3, threads=1)
    both, _ = train(TrainConfig(n_sequences=2, frame_sequences=5, frame_channels=24, **kw),
                    generator=_sequences, progress=False)
    plain, _ = train(TrainConfig(n_sequences=2, **kw), generator=_sequences, progress=False)
    alone, _ = train(TrainConfig(n_sequences=5, modes=("frame",), **{**kw, "channels": 24}),
                     generator=_sequences, progress=False)
    assert both.nets["frame"].config()["channels"] == 24
    assert both.nets["temporal"].config()["channels"] == 16

    def same(a: torch.nn.Module, b: torch.nn.Module) -> bool:
        sa, sb = a.state_dict(), b.state_dict()
        return all(torch.equal(sa[k], sb[k]) for k in sa)

    # the other networks and the population statistics are those of the n_sequences ...
    assert same(both.nets["temporal"], plain.nets["temporal"])
    assert same(both.nets["causal"], plain.nets["causal"])
    np.testing.assert_array_equal(both.median_height_mm, plain.median_height_mm)
    # ... and the per-frame network is the one trained alone on its own sequences
    assert same(both.nets["frame"], alone.nets["frame"])


def test_evaluate_reports_model_and_baselines() -> None:
    from dlc_lifter.nets.train import evaluate, format_report

    model = _small_model()
    rep = evaluate(model, sequences=_sequences(2, 60, seed=9), sets=("openfield",),
                   progress=False)
    res = rep.sets["openfield"]
    assert set(res) == {"model", "median_height", "floor"}
    assert np.isfinite(res["floor"]["mpjpe"]) and res["model"]["per_keypoint"]
    text = format_report(rep)
    assert "median_height" in text and "PA-MPJPE" in text


def test_bad_model_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelLoadError, match="bad.pt"):
        LiftingModel.load(bad)
    with pytest.raises(ModelLoadError, match="does not exist"):
        LiftingModel.load(tmp_path / "missing.pt")
    # what a user gives by mistake, named (was: "could not be read (101)", torch's advice
    # to unpickle with weights_only=False, "does not exist" for a folder)
    with pytest.raises(ModelLoadError, match="not a weights file written by dlc-lifter"):
        LiftingModel.load(bad)
    bad.with_suffix(".json").write_text('{"command": "dlc-lifter train"}')
    with pytest.raises(ModelLoadError, match="JSON sidecar.*give the weights themselves"):
        LiftingModel.load(bad.with_suffix(".json"))
    with pytest.raises(ModelLoadError, match="is a folder"):
        LiftingModel.load(tmp_path)


# --------------------------------------------------------------------------- shipped
def _shipped():
    from dlc_lifter.lift import Lifter, default_model_path

    if not default_model_path().is_file():
        pytest.fail(f"shipped weights missing at {default_model_path()}")
    return Lifter.load()


@pytest.mark.parametrize("view", ["above", "below", "oblique"])
def test_shipped_weights_are_small_and_documented(view: str) -> None:
    import json

    from dlc_lifter.lift import Lifter, below_model_path, default_model_path, oblique_model_path

    path = {"above": default_model_path(), "below": below_model_path(default_model_path()),
            "oblique": oblique_model_path(default_model_path())}[view]
    assert path.stat().st_size < 5e6
    sidecar = json.loads(path.with_suffix(".json").read_text())
    assert sidecar["command"].startswith("dlc-lifter train")
    assert sidecar["config"].get("view", "above") == ("below" if view == "below" else "above")
    assert ("--view below" in sidecar["command"]) == (view == "below")
    assert (sidecar["config"].get("view_deg") is not None) == (view == "oblique")
    assert ("--view-deg 15,55" in sidecar["command"]) == (view == "oblique")
    lifter = _shipped() if view == "above" else Lifter.load(path)
    assert lifter.sha256 == sidecar["sha256"]
    # every member trained to the end (deterministic: the time cap was not reached)
    cfg = sidecar["config"]
    planned = {"temporal": cfg["steps"], "causal": cfg.get("causal_steps") or cfg["steps"],
               "frame": cfg.get("frame_steps") or cfg["steps"]}
    members = sidecar.get("members") or [sidecar]
    base = sidecar.get("base") or {}
    per_mode = base.get("members")
    if per_mode:  # an extended lifter (--extend): more members in some of its networks,
        # or (--replace) the members trained in place of one of its networks
        assert {m: n.members for m, n in lifter.model.nets.items()} == per_mode
        kept = 0 if "frame" in base.get("replaced", []) else per_mode["temporal"]
        assert per_mode["frame"] == kept + len(members)
    else:
        assert lifter.model.members == len(members)
    for member in members:
        assert member["steps_done"] == {m: planned[m] for m in member["steps_done"]}
    assert lifter.model.net("temporal").receptive_field == 81
    assert lifter.model.net("causal").receptive_field == 81


@pytest.mark.parametrize("kp_set", ["superanimal_topviewmouse", "openfield"])
def test_shipped_weights_give_plausible_heights(kp_set: str) -> None:
    lifter = _shipped()
    seqs = _sequences(3, 150, seed=4242)
    clips = make_clips(seqs, rng=np.random.default_rng(7), keypoint_set=kp_set)
    idx = [CATALOGUE.index(k) for k in KEYPOINT_SETS[kp_set]]
    errs, base = [], []
    for clip in clips:
        res = lifter.lift_detailed(clip.uv[:, idx], clip.conf[:, idx],
                                   list(KEYPOINT_SETS[kp_set]), clip.camera)
        assert res.points.shape == (len(clip.uv), N_KEYPOINTS, 3)
        tracked = ~res.imputed[:, idx] & np.isfinite(res.points[:, idx]).all(-1)
        h = res.heights[:, idx][tracked]
        if not h.size:  # the animal left this camera's view
            continue
        assert h.min() >= 0 and h.max() < 150
        errs.append(np.abs(h - clip.world[:, idx, 2][tracked]))
        floor = floor_points(clip.uv[:, idx], clip.camera)
        med = np.broadcast_to(lifter.model.median_height_mm[idx], floor.shape[:2])
        base.append(np.abs(med - clip.world[:, idx, 2])[tracked])
    err, b = np.concatenate(errs).mean(), np.concatenate(base).mean()
    assert err < 10.0 and err < b, (err, b)


@pytest.mark.parametrize("extra", [("neck",), ("tail_end",), ("neck", "mouse_center"),
                                   ("neck", "mouse_center", "tail3", "tail_end")])
def test_shipped_weights_more_keypoints_not_worse(extra: tuple[str, ...]) -> None:
    """Tracking a superset of the openfield keypoints does not make them worse."""
    lifter = _shipped()
    cam = Camera.top_view(550.0, 620.0, (640, 480))
    world = _sequences(1, 240, seed=9191)[0].landmarks - [250.0, 250.0, 0.0]
    # the same 2D errors for both sets (the error draws do not depend on the set)
    uv, conf, _ = simulate_tracking(world, cam, np.random.default_rng(5),
                                    noise=TrackingNoise(sigma_px=(1.0, 1.0)))
    base = list(KEYPOINT_SETS["openfield"])
    errs = {}
    for names in (base, base + list(extra)):
        idx = [CATALOGUE.index(k) for k in names]
        pts = lifter.lift(uv[:, idx], conf[:, idx], names, cam)
        e = np.linalg.norm(pts[:, idx[:4]] - world[:, idx[:4]], axis=-1)
        errs[len(names)] = float(np.nanmean(e))
    assert errs[len(base) + len(extra)] <= errs[len(base)] + 0.3, errs


def test_lift_batch_and_stream_agree() -> None:
    lifter = _shipped()
    seq = _sequences(1, 60, seed=11)[0]
    cam = random_top_view(np.random.default_rng(2), arena_mm=500.0)
    world = seq.landmarks - [250.0, 250.0, 0.0]
    names = list(KEYPOINT_SETS["superanimal_topviewmouse"])
    idx = [CATALOGUE.index(k) for k in names]
    uv, conf, _ = simulate_tracking(world, cam, np.random.default_rng(3), noise=TrackingNoise())
    uv, conf = uv[:, idx], conf[:, idx]
    batch = lifter.lift(uv, conf, names, cam, mode="causal")
    stream = lifter.stream(cam, names)
    live = np.stack([stream.step(uv[t], conf[t]) for t in range(len(uv))])
    np.testing.assert_allclose(live, batch, atol=1e-3, equal_nan=True)
    with pytest.raises(KeyError):
        lifter.lift(uv, conf, [*names[:-1], "wing_tip"], cam)


def test_stream_with_extra_channels_agrees_with_batch() -> None:
    """LiftStream.step(extra=...) gives what the batch causal lift gives with the same
    per-keypoint extra channels (user keypoint order), and the channels matter."""
    from dlc_lifter.lift import Lifter
    from dlc_lifter.nets.cues import N_CUES
    from dlc_lifter.nets.fusion import expand_model
    from dlc_lifter.nets.fusion_train import _cue_columns

    fused = expand_model(_shipped().model)
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for net in fused.nets.values():
            cols = _cue_columns(net)
            w = net.expand.weight
            w[:, cols] = 0.05 * torch.randn(w[:, cols].shape, generator=gen)
    lifter = Lifter(fused, mode="causal")
    seq = _sequences(1, 40, seed=12)[0]
    cam = random_top_view(np.random.default_rng(4), arena_mm=500.0)
    names = list(KEYPOINT_SETS["openfield"])
    idx = [CATALOGUE.index(k) for k in names]
    uv, conf, _ = simulate_tracking(seq.landmarks - [250.0, 250.0, 0.0], cam,
                                    np.random.default_rng(5), noise=TrackingNoise())
    uv, conf = uv[:, idx], conf[:, idx]
    extra = np.random.default_rng(6).uniform(0.0, 1.0, (len(uv), len(names), N_CUES))
    batch = lifter.lift(uv, conf, names, cam, mode="causal", extra=extra)
    stream = lifter.stream(cam, names)
    live = np.stack([stream.step(uv[t], conf[t], extra[t]) for t in range(len(uv))])
    np.testing.assert_allclose(live, batch, atol=1e-3, equal_nan=True)
    stream.reset()
    bare = np.stack([stream.step(uv[t], conf[t]) for t in range(len(uv))])
    assert np.nanmax(np.abs(bare - live)) > 1.0


# --------------------------------------------------------------------------- fast paths
def _reference_features(floor: np.ndarray, conf: np.ndarray, obs: np.ndarray,
                        centre: np.ndarray, start: float | None = None) -> np.ndarray:
    """Plain per-frame numpy version of :func:`frame_features` (no extra channels)."""
    from dlc_lifter.nets.lifter import AP_COORD, FIT_WEIGHT

    t, k = obs.shape
    obs = obs & np.isfinite(floor).all(-1)
    out = np.zeros((t, k * PER_KEYPOINT + N_GLOBAL))
    angles = []
    for i in range(t):
        m = obs[i]
        if not m.any():
            angles.append(None)
            continue
        w = FIT_WEIGHT[m]
        anchor = (w[:, None] * floor[i, m]).sum(0) / w.sum()
        da = (AP_COORD[m] - (w * AP_COORD[m]).sum() / w.sum()) * w
        v = (da[:, None] * (floor[i, m] - anchor)).sum(0)
        spread = (da * (AP_COORD[m] - (w * AP_COORD[m]).sum() / w.sum())).sum() / w.sum()
        ok = np.hypot(*v) > 1e-6 and spread > 1e-3
        angles.append(math.atan2(v[1], v[0]) if ok else None)
    defined = [a for a in angles if a is not None]
    cur = start if start is not None else (defined[0] if defined else 0.0)
    for i in range(t):
        cur = angles[i] if angles[i] is not None else cur
        m = obs[i]
        if not m.any():
            continue
        rot = np.array([[math.cos(cur), math.sin(cur)], [-math.sin(cur), math.cos(cur)]])
        w = FIT_WEIGHT[m]
        anchor = (w[:, None] * floor[i, m]).sum(0) / w.sum()
        h = centre[2]
        for j in np.flatnonzero(m):
            b = j * PER_KEYPOINT
            out[i, b: b + 2] = rot @ (floor[i, j] - anchor) / 100.0
            out[i, b + 2: b + 4] = rot @ (floor[i, j] - centre[:2]) / h
            out[i, b + 4: b + 6] = min(max(conf[i, j], 0.0), 1.0), 1.0
        g = k * PER_KEYPOINT
        out[i, g: g + 2] = rot @ (centre[:2] - anchor) / h
        out[i, g + 2] = math.log(h / 500.0)
    return out


@pytest.mark.parametrize("start", [None, 0.4])
def test_compiled_features_match_plain_reference(start: float | None) -> None:
    seqs = _sequences(2, 50, seed=8)
    rng = np.random.default_rng(4)
    for clip in make_clips(seqs, rng=rng, views=3):
        floor = floor_points(clip.uv, clip.camera)
        conf = np.nan_to_num(clip.conf)
        obs = np.isfinite(floor).all(-1) & (conf >= 0.6)
        obs[rng.uniform(size=obs.shape) < 0.2] = False  # frames with few or no points
        obs[:3] = False
        feats, geo = frame_features(floor, conf, obs, clip.camera.centre, start_heading=start)
        ref = _reference_features(floor, conf, obs, clip.camera.centre, start)
        np.testing.assert_allclose(feats, ref, atol=1e-5)
        assert not geo.valid[:3].any() and np.isnan(geo.anchor[:3]).all()


def test_folded_inference_and_last_output_match_forward() -> None:
    torch.manual_seed(1)
    for kernels in [(3, 3, 3, 3), (3, 3), (1,)]:
        for causal in (True, False):
            net = LifterNet(40, 5, channels=16, kernels=kernels, causal=causal)
            for m in net.modules():  # non-trivial batch norm statistics
                if isinstance(m, torch.nn.BatchNorm1d):
                    m.running_mean.normal_()
                    m.running_var.uniform_(0.5, 2.0)
                    m.bias.data.normal_()
            net.eval()
            x = torch.randn(1, 40, net.receptive_field + 30)
            with torch.no_grad():
                ref = net(x)
            torch.testing.assert_close(net.infer(x), ref, atol=1e-5, rtol=1e-5)
            if causal or kernels == (1,):
                win = x[0, :, -net.receptive_field:].T.contiguous()
                last = net.infer_last(win, net._folded(), net.last_plan())
                torch.testing.assert_close(last, ref[0, :, -1], atol=1e-5, rtol=1e-5)


def test_per_frame_loss_weights() -> None:
    from dlc_lifter.nets.data import clip_arrays

    seqs = _sequences(1, 40, seed=2)
    for kp_set in ("openfield", "superanimal_topviewmouse"):
        clip = make_clips(seqs, rng=np.random.default_rng(0), keypoint_set=kp_set)[0]
        _, _, w = clip_arrays(clip, per_frame=True, imputed_weight=0.5, raised_weight=0.0)
        floor = floor_points(clip.uv, clip.camera)
        obs = np.isfinite(floor).all(-1) & (np.nan_to_num(clip.conf) >= 0.6)
        rows = obs.any(1)
        k = N_KEYPOINTS
        np.testing.assert_allclose(w[rows, :k].sum(1) + w[rows, k:].sum(1), 1.5, rtol=1e-5)
        np.testing.assert_allclose(np.where(obs, w[:, :k], 0).sum(1)[rows], 1.0, rtol=1e-5)
        assert (w[~rows] == 0).all()


# --------------------------------------------------------------------------- ensembles
def _random_bn(net: LifterNet) -> LifterNet:
    for m in net.modules():  # non-trivial batch norm statistics
        if isinstance(m, torch.nn.BatchNorm1d):
            m.running_mean.normal_()
            m.running_var.uniform_(0.5, 2.0)
            m.bias.data.normal_()
    return net.eval()


@pytest.mark.parametrize(("kernels", "causal"), [((3, 3, 3), False), ((3, 3), True), ((1,), False)])
def test_ensemble_net_outputs_the_members_mean_on_every_path(kernels: tuple[int, ...],
                                                             causal: bool) -> None:
    from dlc_lifter.nets.lifter import ensemble_net

    torch.manual_seed(2)
    members = [_random_bn(LifterNet(40, 5, channels=8, kernels=kernels, causal=causal))
               for _ in range(3)]
    ens = ensemble_net(members)
    assert ens.members == 3 and ens.receptive_field == members[0].receptive_field
    x = torch.randn(1, 40, ens.receptive_field + 20)
    with torch.no_grad():
        mean = torch.stack([m(x) for m in members]).mean(0)
        torch.testing.assert_close(ens(x), mean, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(ens.infer(x), mean, atol=1e-5, rtol=1e-5)
    if causal or kernels == (1,):
        win = x[0, :, -ens.receptive_field:].T.contiguous()
        last = ens.infer_last(win, ens._folded(), ens.last_plan())
        torch.testing.assert_close(last, mean[0, :, -1], atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match="differ in shape"):
        ensemble_net([members[0], LifterNet(40, 5, channels=4, kernels=kernels, causal=causal)])
    # an ensemble among the networks counts as its members: the mean is over every one
    again = ensemble_net([ens, members[0]])
    assert again.members == 4
    torch.testing.assert_close(again.infer(x), (3 * mean + members[0].infer(x)) / 4,
                               atol=1e-5, rtol=1e-5)
    # weighted: each network's share of the output as given, on every path
    mixed = ensemble_net(members[:2], [3.0, 1.0])
    with torch.no_grad():
        want = 0.75 * members[0](x) + 0.25 * members[1](x)
    torch.testing.assert_close(mixed.infer(x), want, atol=1e-5, rtol=1e-5)
    if causal or kernels == (1,):
        last = mixed.infer_last(win, mixed._folded(), mixed.last_plan())
        torch.testing.assert_close(last, want[0, :, -1], atol=1e-5, rtol=1e-5)
    for bad in ([1.0], [1.0, -1.0], [0.0, 0.0]):
        with pytest.raises(ValueError, match="weights must be 2 non-negative"):
            ensemble_net(members[:2], bad)


def _mirrored_view(uv: np.ndarray, cy: float) -> np.ndarray:
    """The 2D of the mouse mirrored left-right (world ``y -> -y``) seen by the same
    straight-down camera (principal point row ``cy``): rows flip, left and right swap."""
    from dlc_lifter.nets.lifter import MIRROR

    out = uv[:, MIRROR].copy()
    out[..., 1] = 2 * cy - out[..., 1]
    return out


def test_symmetric_lifter_lifts_a_mirrored_mouse_to_the_mirrored_3d() -> None:
    """The per-frame network lifts as the mean of itself and its mirror image
    (``LiftingModel.symmetric``): a mouse mirrored left-right comes out with the mirrored
    heights, to float precision, where the bare network (a different answer) does not."""
    from dlc_lifter.nets.lifter import MIRROR, mirror_net

    model = _small_model(4)
    assert model.symmetric == ("frame",) and model.net("frame").members == 2
    assert model.net("temporal") is model.nets["temporal"]
    cam = Camera.top_view(500.0, 600.0, (640, 480), centre_xy=(40.0, 25.0))
    world = _sequences(1, 40, seed=5)[0].landmarks
    uv, conf, _ = simulate_tracking(world, cam, np.random.default_rng(3), noise=TrackingNoise())
    uv_m = _mirrored_view(uv, cam.K[1, 2])
    conf_m = conf[:, MIRROR]
    h = model.predict(uv, conf, cam, mode="frame")[2]
    h_m = model.predict(uv_m, conf_m, cam, mode="frame")[2]
    np.testing.assert_allclose(h_m[:, MIRROR], h, atol=1e-4)
    bare = LiftingModel(nets=dict(model.nets), symmetric=())
    hb, hb_m = (bare.predict(u, c, cam, mode="frame")[2] for u, c in ((uv, conf), (uv_m, conf_m)))
    assert np.nanmax(np.abs(hb_m[:, MIRROR] - hb)) > 0.5
    # the mirror image's answer on the mirrored mouse is the network's own, mirrored
    mirror = LiftingModel(nets={"frame": mirror_net(model.nets["frame"])}, symmetric=())
    np.testing.assert_allclose(mirror.predict(uv_m, conf_m, cam, mode="frame")[2][:, MIRROR],
                               hb, atol=1e-4)
    np.testing.assert_allclose(h, (hb + mirror.predict(uv, conf, cam, mode="frame")[2]) / 2,
                               atol=1e-4)


def test_symmetric_network_follows_weights_changed_in_place_and_is_not_saved(
        tmp_path: Path) -> None:
    model = _small_model(5)
    cam = _tilted_camera()
    world = _sequences(1, 30, seed=6)[0].landmarks
    uv, conf, _ = simulate_tracking(world, cam, np.random.default_rng(0), noise=TrackingNoise())
    first = model.net("frame")
    assert model.net("frame") is first  # made once
    before = model.predict(uv, conf, cam, mode="frame")[2]
    with torch.no_grad():  # as fine-tuning does
        model.nets["frame"].head.bias.add_(0.1)
    assert model.net("frame") is not first
    np.testing.assert_allclose(model.predict(uv, conf, cam, mode="frame")[2], before + 10.0,
                               atol=1e-3)
    second = model.net("frame")
    model.nets["frame"] = _small_model(6).nets["frame"]  # a network put in its place
    assert model.net("frame") is not second
    np.testing.assert_allclose(model.predict(uv, conf, cam, mode="frame")[2],
                               LiftingModel(nets={"frame": model.nets["frame"]}).predict(
                                   uv, conf, cam, mode="frame")[2], atol=1e-6)
    loaded = LiftingModel.load(model.save(tmp_path / "m.pt"))
    assert loaded.nets["frame"].members == 1 and loaded.net("frame").members == 2
    np.testing.assert_allclose(loaded.predict(uv, conf, cam, mode="frame")[2],
                               model.predict(uv, conf, cam, mode="frame")[2], atol=1e-5)


def test_ensemble_model_lifts_to_the_members_mean_height_and_round_trips(tmp_path: Path) -> None:
    members = [_small_model(seed) for seed in (0, 1, 2)]
    ens = LiftingModel.ensemble(members)
    assert ens.members == 3 and len(ens.info["members"]) == 3
    cam = _tilted_camera()
    world = _sequences(1, 60, seed=11)[0].landmarks + [30.0, -20.0, 0.0]
    uv, conf, _ = simulate_tracking(world, cam, np.random.default_rng(1), noise=TrackingNoise())
    for mode in ("temporal", "causal", "frame"):
        heights = np.mean([m.predict(uv, conf, cam, mode=mode)[2] for m in members], axis=0)
        pts, _, h = ens.predict(uv, conf, cam, mode=mode)
        np.testing.assert_allclose(h, heights, atol=1e-3)
        # tracked keypoints stay on their rays: the mean height is the mean 3D point
        mean_pts = np.mean([m.predict(uv, conf, cam, mode=mode)[0] for m in members], axis=0)
        np.testing.assert_allclose(pts, mean_pts, atol=1e-3)
    loaded = LiftingModel.load(ens.save(tmp_path / "ens.pt"))
    assert loaded.members == 3
    np.testing.assert_allclose(loaded.predict(uv, conf, cam, mode="temporal")[2],
                               ens.predict(uv, conf, cam, mode="temporal")[2], atol=1e-6)
    with pytest.raises(ValueError, match="same modes"):
        LiftingModel.ensemble([members[0], LiftingModel(nets={"frame": members[1].nets["frame"]})])
    # weighted: the points of two models mixed by their shares, the statistics alike
    mixed = LiftingModel.ensemble(members[:2], weights=[0.2, 0.8])
    assert mixed.info["weights"] == [0.2, 0.8]
    np.testing.assert_allclose(mixed.median_height_mm, 0.2 * members[0].median_height_mm
                               + 0.8 * members[1].median_height_mm)
    for mode in ("temporal", "frame"):
        want = sum(w * m.predict(uv, conf, cam, mode=mode)[0]
                   for w, m in zip((0.2, 0.8), members[:2], strict=True))
        np.testing.assert_allclose(mixed.predict(uv, conf, cam, mode=mode)[0], want,
                                   atol=1e-3)


def test_single_network_files_without_members_still_load(tmp_path: Path) -> None:
    """Weights written before ensembles (no ``members`` in the network config) load as one."""
    model = _small_model()
    state = model.state()
    for entry in state["nets"].values():
        entry["config"].pop("members")
    torch.save(state, tmp_path / "old.pt")
    assert LiftingModel.load(tmp_path / "old.pt").members == 1


def test_training_cameras_span_the_configured_arena_widths() -> None:
    """``TrainConfig.image_span`` sets how many arena widths the shorter image side spans
    (so how small the mouse is in pixels); the same draws otherwise."""
    from dlc_lifter.nets.data import generate_mouse_sequences, make_clips
    from dlc_lifter.nets.train import TrainConfig, _training_clips

    def spans(clips) -> np.ndarray:  # image span at the floor below the camera, in arenas
        return np.array([min(c.camera.image_size) * c.camera.height_mm / c.camera.fx / 500.0
                         for c in clips])

    kw = dict(seed=3, n_frames=40, views=2)
    wide, _, _ = _training_clips(TrainConfig(image_span=(2.0, 2.0), **kw), 4,
                                 generate_mouse_sequences)
    close, _, _ = _training_clips(TrainConfig(image_span=(0.5, 0.5), **kw), 4,
                                  generate_mouse_sequences)
    np.testing.assert_allclose(spans(wide), 2.0)
    np.testing.assert_allclose(spans(close), 0.5)
    assert [c.camera.height_mm for c in wide] == [c.camera.height_mm for c in close]
    default, _, _ = _training_clips(TrainConfig(**kw), 12, generate_mouse_sequences)
    s = spans(default)
    assert TrainConfig().image_span is None and s.min() >= 0.5 and s.max() <= 1.1
    # the default draws the cameras exactly as before the option (the shipped command)
    plain = make_clips(generate_mouse_sequences(12, 40, seed=3), rng=np.random.default_rng(3),
                       views=2, set_weights=TrainConfig().set_weights)
    assert [c.camera.as_dict() for c in plain] == [c.camera.as_dict() for c in default]
    with pytest.raises(ValueError, match="image_span"):
        _training_clips(TrainConfig(image_span=(1.0, 0.5), **kw), 1, generate_mouse_sequences)


def test_ear_labels_are_placed_above_the_ear_base_per_sequence() -> None:
    """``place_ear_labels`` moves only the ears, by one draw per sequence in [0, up_to]
    along the skull's up axis; training with ``ear_label_mm`` raises the ears' median."""
    from dlc_lifter.mouse.rig import get_rig
    from dlc_lifter.nets.data import generate_mouse_sequences, place_ear_labels
    from dlc_lifter.nets.train import TrainConfig, _training_clips

    seqs = generate_mouse_sequences(6, 40, seed=2)
    placed = place_ear_labels(seqs, 7.0, seed=0)
    assert place_ear_labels(seqs, 0.0, seed=0)[0] is seqs[0]
    ears = [CATALOGUE.index("left_ear"), CATALOGUE.index("right_ear")]
    others = [i for i in range(len(CATALOGUE)) if i not in ears]
    offsets = []
    for a, b in zip(seqs, placed, strict=True):
        d = b.landmarks - a.landmarks
        assert np.all(d[:, others] == 0)
        rig = get_rig(a.shape)
        skull = rig.bone_names.index("skull")
        up = rig.forward_kinematics(a.pose, skull + 1)[0][:, skull, :, 2]
        size = np.linalg.norm(d[:, ears], axis=-1)
        assert np.ptp(size) < 1e-9 and 0 <= size[0, 0] <= 7.0  # one offset per sequence
        np.testing.assert_allclose(d[:, ears[0]], size[:, :1] * up, atol=1e-9)
        offsets.append(size[0, 0])
    assert len(set(np.round(offsets, 6))) == len(seqs)
    again = place_ear_labels(seqs, 7.0, seed=0)
    assert_same_draws(again[3].landmarks, placed[3].landmarks)
    kw = dict(seed=1, n_frames=40, views=1)
    _, plain, _ = _training_clips(TrainConfig(**kw), 6, generate_mouse_sequences)
    _, high, _ = _training_clips(TrainConfig(ear_label_mm=7.0, **kw), 6,
                                 generate_mouse_sequences)
    assert np.all(high[ears] > plain[ears]) and np.allclose(high[others], plain[others])


@pytest.mark.parametrize(("placer", "names", "option", "sign"), [
    ("place_shoulder_labels", ("left_shoulder", "right_shoulder"), "shoulder_forward_mm", 1.0),
    ("place_neck_labels", ("neck",), "neck_back_mm", -1.0)])
def test_trunk_labels_move_along_the_trunk_by_one_draw_per_sequence(
        placer: str, names: tuple[str, ...], option: str, sign: float) -> None:
    """``place_shoulder_labels`` (forward: towards the head when flat, up in a rear, as
    DANNCE's labellers put the shoulders ahead of the joint) and ``place_neck_labels``
    (back: towards the tail, down in a rear, as they put ``SpineF`` behind the neck) move
    only their labels, by one draw per sequence in ``[lo, hi]`` along the front of the
    trunk; ``(0, 0)`` returns the sequences as they are; a reversed range is refused;
    training with the option moves the training labels, nothing else."""
    from dlc_lifter.mouse.behaviour import generate_sequences
    from dlc_lifter.nets import data
    from dlc_lifter.nets.data import generate_mouse_sequences
    from dlc_lifter.nets.train import TrainConfig, _training_clips

    place = getattr(data, placer)
    seqs = generate_sequences(4, 120, seed=3, behaviours=("walk", "rear"))
    assert place(seqs, (0.0, 0.0), seed=0)[0] is seqs[0]
    placed = place(seqs, (6.0, 10.0), seed=0)
    idx = [CATALOGUE.index(n) for n in names]
    others = [i for i in range(len(CATALOGUE)) if i not in idx]
    nose, tail = CATALOGUE.index("nose"), CATALOGUE.index("tail_base")
    for a, b in zip(seqs, placed, strict=True):
        d = b.landmarks - a.landmarks
        assert np.all(d[:, others] == 0)
        size = np.linalg.norm(d[:, idx], axis=-1)
        assert np.ptp(size) < 1e-9 and 6.0 <= size[0, 0] <= 10.0  # one draw per sequence
        axis = a.landmarks[:, nose] - a.landmarks[:, tail]
        axis /= np.linalg.norm(axis, axis=1, keepdims=True)
        along = sign * (d[:, idx[0]] * axis).sum(1) / size[:, 0]
        assert np.median(along) > 0.8  # the way asked, flat or rearing
        rear = a.landmarks[:, nose, 2] > 60.0
        if rear.any():  # up (shoulders) or down (neck) in a rear
            assert np.median(sign * d[rear, idx[0], 2]) > 0.5 * size[0, 0]
    with pytest.raises(ValueError, match=option.split("_", 1)[1]):
        place(seqs, (3.0, 1.0), seed=0)
    kw = dict(seed=1, n_frames=40, views=1)
    _, plain, _ = _training_clips(TrainConfig(**kw), 6, generate_mouse_sequences)
    _, moved, _ = _training_clips(TrainConfig(**{option: (6.0, 10.0)}, **kw), 6,
                                  generate_mouse_sequences)
    assert np.allclose(moved[others], plain[others]) and not np.allclose(moved[idx],
                                                                         plain[idx])


def test_ear_labels_move_along_the_head_by_one_draw_per_sequence() -> None:
    """``forward_mm=(lo, hi)`` moves only the ears, by one draw per sequence in [lo, hi]
    along the skull's forward axis, on top of the upward offset (whose draws it leaves as
    they were); ``(0, 0)`` draws nothing; a reversed range is refused."""
    from dlc_lifter.mouse.rig import get_rig
    from dlc_lifter.nets.data import generate_mouse_sequences, place_ear_labels
    from dlc_lifter.nets.train import TrainConfig, _training_clips

    seqs = generate_mouse_sequences(5, 30, seed=3)
    assert place_ear_labels(seqs, 0.0, seed=0, forward_mm=(0.0, 0.0))[0] is seqs[0]
    with pytest.raises(ValueError, match="forward_mm"):
        place_ear_labels(seqs, 0.0, seed=0, forward_mm=(3.0, -3.0))
    ears = [CATALOGUE.index("left_ear"), CATALOGUE.index("right_ear")]
    others = [i for i in range(len(CATALOGUE)) if i not in ears]
    up_only = place_ear_labels(seqs, 4.0, seed=0)
    both = place_ear_labels(seqs, 4.0, seed=0, forward_mm=(-6.0, 3.0))
    shifts = []
    for a, u, b in zip(seqs, up_only, both, strict=True):
        d = b.landmarks - u.landmarks  # the forward shift alone
        assert np.all(d[:, others] == 0)
        rig = get_rig(a.shape)
        skull = rig.bone_names.index("skull")
        fwd = rig.forward_kinematics(a.pose, skull + 1)[0][:, skull, :, 0]
        along = np.einsum("tj,tj->t", d[:, ears[0]], fwd)
        assert np.ptp(along) < 1e-9 and -6.0 <= along[0] <= 3.0
        np.testing.assert_allclose(d[:, ears[1]], along[:, None] * fwd, atol=1e-9)
        shifts.append(along[0])
    assert len(set(np.round(shifts, 6))) == len(seqs) and min(shifts) < 0
    kw = dict(seed=1, n_frames=40, views=1)
    _, _, lengths = _training_clips(TrainConfig(**kw), 6, generate_mouse_sequences)
    _, _, shifted = _training_clips(TrainConfig(ear_forward_mm=(2.0, 2.0), **kw), 6,
                                    generate_mouse_sequences)
    assert not np.allclose(shifted, lengths)


def test_steep_heads_lose_their_snout_in_training_where_asked() -> None:
    """``TrackingNoise(steep_snout_miss=p)`` drops the snout in a share p of the frames whose
    head points steeply down and nowhere else beyond the random misses; at 0 the draws are
    exactly as before; ``TrainConfig.steep_snout_miss`` reaches the training clips."""
    from dlc_lifter.camera import random_top_view
    from dlc_lifter.nets.data import (
        TrackingNoise,
        generate_mouse_sequences,
        simulate_tracking,
        steep_head,
    )
    from dlc_lifter.nets.train import TrainConfig, _training_clips

    nose = CATALOGUE.index("nose")
    world = np.concatenate([s.landmarks for s in generate_mouse_sequences(
        6, 120, seed=5, nose_down_share=1.0)])
    world[..., :2] -= 250.0  # the 500 mm arena's centre at the origin, as the cameras see it
    steep = steep_head(world)
    assert 0.1 < steep.mean() < 0.9
    cam = random_top_view(np.random.default_rng(1), arena_mm=500.0)
    clean = TrackingNoise.clean()
    uv, _, _ = simulate_tracking(world, cam, np.random.default_rng(2), noise=clean)
    seen = np.isfinite(uv[:, nose, 0])
    for p in (1.0, 0.5):
        got, _, _ = simulate_tracking(world, cam, np.random.default_rng(2),
                                      noise=replace(clean, steep_snout_miss=p))
        lost = seen & np.isnan(got[:, nose, 0])
        assert not lost[~steep].any()  # only steep heads lose the snout
        share = lost[steep & seen].mean()
        assert share == 1.0 if p == 1.0 else 0.35 < share < 0.65
        others = [k for k in range(len(CATALOGUE)) if k != nose]
        assert_same_draws(got[:, others], uv[:, others])
    before = simulate_tracking(world, cam, np.random.default_rng(3))[0]
    same = simulate_tracking(world, cam, np.random.default_rng(3), noise=TrackingNoise())[0]
    assert_same_draws(before, same)
    kw = dict(seed=1, n_frames=60, views=2, nose_down_share=1.0)
    plain, _, _ = _training_clips(TrainConfig(**kw), 6, generate_mouse_sequences)
    asked, _, _ = _training_clips(TrainConfig(steep_snout_miss=1.0, **kw), 6,
                                  generate_mouse_sequences)
    shown = [np.isfinite(c.uv[:, nose, 0]) & steep_head(c.world) for c in (*plain, *asked)]
    assert sum(x.sum() for x in shown[:len(plain)]) > 0  # steep snouts tracked by default
    assert sum(x.sum() for x in shown[len(plain):]) == 0  # and lost where asked


def test_miss_prob_drops_more_training_points_and_the_default_draws_as_before() -> None:
    """``TrainConfig.miss_prob`` reaches the training clips' tracking: a high rate leaves
    far more points untracked, every keypoint alike, with the same cameras and the points
    kept where they were; the default is ``TrackingNoise``'s own range, drawn exactly as
    before; a rate outside [0, 1) is refused."""
    from dlc_lifter.nets.data import TrackingNoise, generate_mouse_sequences
    from dlc_lifter.nets.train import TrainConfig, _training_clips

    kw = dict(seed=2, n_frames=60, views=2)
    plain, _, _ = _training_clips(TrainConfig(**kw), 4, generate_mouse_sequences)
    same, _, _ = _training_clips(TrainConfig(miss_prob=TrackingNoise().miss_prob, **kw), 4,
                                 generate_mouse_sequences)
    many, _, _ = _training_clips(TrainConfig(miss_prob=(0.5, 0.6), **kw), 4,
                                 generate_mouse_sequences)
    for a, b in zip(plain, same, strict=True):
        assert_same_draws(a.uv, b.uv)
    seen = np.concatenate([np.isfinite(c.uv[..., 0]) for c in plain])  # tracked by default
    kept = np.concatenate([np.isfinite(c.uv[..., 0]) for c in many])
    assert seen.sum() > 1000 and not (kept & ~seen).any()
    lost = 1.0 - kept[seen].mean()
    assert 0.4 < lost < 0.7, lost
    for name in ("nose", "left_ear", "right_ear", "tail_base"):  # every keypoint alike
        k = CATALOGUE.index(name)
        assert seen[:, k].sum() > 50 and 0.35 < 1.0 - kept[seen[:, k], k].mean() < 0.75, name
    for a, b in zip(plain, many, strict=True):
        np.testing.assert_array_equal(a.camera.K, b.camera.K)
        kept = np.isfinite(a.uv) & np.isfinite(b.uv)
        assert_same_draws(a.uv[kept], b.uv[kept])
    with pytest.raises(ValueError, match="miss_prob"):
        _training_clips(TrainConfig(miss_prob=(0.2, 1.0), **kw), 2, generate_mouse_sequences)


def test_limb_dropout_drops_whole_limbs_and_reaches_the_training() -> None:
    """``TrainConfig.limb_dropout``: a window loses every point of a limb group or none of
    it, each group in a share ``p`` of the windows on its own draw, nothing outside the
    limbs; a toy training with it differs from one without, and 0 trains as before."""
    from dlc_lifter.nets.train import (
        FIT_WEIGHT,
        LIMB_GROUPS,
        TrainConfig,
        _limb_columns,
        _limb_drop,
        train,
    )

    loose = np.flatnonzero(FIT_WEIGHT <= 0.3)
    drop = _limb_drop(np.random.default_rng(0), 4000, _limb_columns(loose), 0.3)
    names = [CATALOGUE[k] for k in loose]
    shares = []
    for group in LIMB_GROUPS:
        cols = [names.index(n) for n in group]
        got = drop[:, cols]
        assert (got.all(1) | ~got.any(1)).all()  # the whole limb or none of it
        shares.append(got.all(1).mean())
    assert all(0.27 < x < 0.33 for x in shares)
    fore = drop[:, [names.index(n) for n in LIMB_GROUPS[0]]].all(1)
    hind = drop[:, [names.index(n) for n in LIMB_GROUPS[1]]].all(1)
    assert 0.06 < (fore & hind).mean() < 0.12  # drawn on their own
    others = [i for i, n in enumerate(names) if n not in sum(LIMB_GROUPS, ())]
    assert others and not drop[:, others].any()  # the tail is left to loose_dropout

    kw = dict(seed=3, n_frames=60, views=1, steps=6, batch=4, chunk=8, channels=16,
              kernels=(3,), lr=3e-3, threads=1, n_sequences=2, modes=("frame",))
    plain, _ = train(TrainConfig(**kw), generator=_sequences, progress=False)
    zero, _ = train(TrainConfig(limb_dropout=0.0, **kw), generator=_sequences, progress=False)
    asked, _ = train(TrainConfig(limb_dropout=1.0, **kw), generator=_sequences, progress=False)
    a, z, b = (m.nets["frame"].state_dict() for m in (plain, zero, asked))
    assert all(torch.equal(a[k], z[k]) for k in a)
    assert not all(torch.equal(a[k], b[k]) for k in a)
    with pytest.raises(ValueError, match="limb_dropout"):
        train(TrainConfig(limb_dropout=1.5, **kw), generator=_sequences, progress=False)


def test_training_cameras_below_are_the_reflections_of_those_above() -> None:
    """``TrainConfig(view="below")``: each training camera is the one drawn above, under the
    floor looking up (its image mirrored); the same draws otherwise."""
    from dlc_lifter.nets.data import generate_mouse_sequences
    from dlc_lifter.nets.train import TrainConfig, _training_clips

    kw = dict(seed=4, n_frames=30, views=2)
    above, _, _ = _training_clips(TrainConfig(**kw), 3, generate_mouse_sequences)
    below, _, _ = _training_clips(TrainConfig(view="below", **kw), 3, generate_mouse_sequences)
    assert not any(c.camera.below_floor for c in above)
    assert all(c.camera.below_floor for c in below)
    for a, b in zip(above, below, strict=True):
        assert a.keypoint_set == b.keypoint_set
        np.testing.assert_allclose(b.camera.centre, a.camera.centre * [1, 1, -1])
        # the floor looks the same from both sides, mirrored about the middle column
        floor = a.world[:5].copy()
        floor[..., 2] = 0.0
        ua, ub = a.camera.project(floor), b.camera.project(floor)
        np.testing.assert_allclose(ub[..., 0], a.camera.image_size[0] - 1 - ua[..., 0],
                                   atol=1e-6)
        np.testing.assert_allclose(ub[..., 1], ua[..., 1], atol=1e-6)
    with pytest.raises(ValueError, match="view must be 'above' or 'below'"):
        _training_clips(TrainConfig(view="side", **kw), 1, generate_mouse_sequences)


# --------------------------------------------------------------------------- curled tails
def test_the_training_mice_s_tails_stay_within_the_off_axis_table() -> None:
    """:data:`TAIL_OFF_AXIS_COS` is the 1st percentile of the networks' training inputs per
    tail keypoint: the generator's own tails cross it rarely (a table set too tight would
    withhold ordinary tails)."""
    from dlc_lifter.nets.lifter import TAIL_OFF_AXIS_COS, tail_off_axis

    lm = np.concatenate([s.landmarks for s in _sequences(12, 300, seed=77)])
    held = tail_off_axis(lm[..., :2], np.ones(lm.shape[:2], bool))
    for name in TAIL_OFF_AXIS_COS:
        assert held[:, CATALOGUE.index(name)].mean() < 0.02, name
    assert not held[:, [CATALOGUE.index("nose"), CATALOGUE.index("tail_base")]].any()


def test_curled_tail_is_withheld_from_the_networks_and_lifted_on_its_rays() -> None:
    """A tail curled across the body (real tails lie so; the training mice's never do) is
    given to the networks as untracked, so the body lifts as without it, and its points
    still lie on their own rays, tracked; offline and live alike. A straight tail is kept,
    and the per-frame networks see every tail."""
    from dlc_lifter.nets.lifter import TAIL_OFF_AXIS_FRAMES, tail_off_axis

    lifter = _shipped()
    cam = Camera.top_view(500.0, 700.0, (640, 480))
    world = _sequences(1, 40, seed=21)[0].landmarks - [250.0, 250.0, 0.0]
    names = ["nose", "left_ear", "right_ear", "tail_base", "tail3", "tail_end"]
    idx = [CATALOGUE.index(k) for k in names]
    uv = cam.project(world[:, idx].reshape(-1, 3)).reshape(len(world), len(idx), 2)
    conf = np.full(uv.shape[:2], 0.99)
    base = uv[:, 3]
    axis = base - uv[:, 0]
    side = np.stack([-axis[:, 1], axis[:, 0]], -1) / np.linalg.norm(axis, axis=-1)[:, None]
    curled = uv.copy()  # the tail's middle and end beside the hips, off to one side
    curled[:, 4] = base + 25.0 * side
    curled[:, 5] = base + 45.0 * side - 0.1 * axis
    floor = floor_points(curled[:, :, :], cam)
    full = np.full((len(uv), N_KEYPOINTS, 2), np.nan)
    full[:, idx] = floor
    held = tail_off_axis(full, np.isfinite(full).all(-1))
    assert held[:, idx[4]].all() and held[:, idx[5]].all() and not held[:, idx[:4]].any()
    lasting = tail_off_axis(full, np.isfinite(full).all(-1), frames=TAIL_OFF_AXIS_FRAMES)
    assert not lasting[:TAIL_OFF_AXIS_FRAMES - 1].any()
    assert lasting[TAIL_OFF_AXIS_FRAMES - 1:, idx[4:]].all()
    kept = floor_points(uv, cam)
    full[:, idx] = kept
    assert not tail_off_axis(full, np.isfinite(full).all(-1))[:, idx].any()
    full[10, idx] = floor[10]  # curled in one frame only (a mistrack): not withheld
    one = tail_off_axis(full, np.isfinite(full).all(-1), frames=TAIL_OFF_AXIS_FRAMES)
    assert not one.any()

    gone = curled.copy()  # withheld once curled for TAIL_OFF_AXIS_FRAMES frames
    gone[TAIL_OFF_AXIS_FRAMES - 1:, 4:] = np.nan
    for mode in ("temporal", "causal", "frame"):
        res = lifter.lift_detailed(curled, conf, names, cam, mode=mode)
        ref = lifter.lift_detailed(gone, conf, names, cam, mode=mode)
        body = np.abs(res.points[:, idx[:4]] - ref.points[:, idx[:4]]).max()
        assert (body > 0.01) if mode == "frame" else (body < 1e-6), (mode, body)
        assert not res.imputed[:, idx].any()
        held = res.tails_withheld[:, idx]
        assert not held[:, :4].any()
        first = TAIL_OFF_AXIS_FRAMES - 1  # withheld once curled for three frames
        assert (held[first:, 4:].all() and not held[:first].any() if mode != "frame"
                else not held.any()), mode
        back = cam.project(res.points[:, idx[4:]].reshape(-1, 3)).reshape(-1, 2, 2)
        np.testing.assert_allclose(back, curled[:, 4:], atol=1e-3)
    batch = lifter.lift_detailed(curled, conf, names, cam, mode="causal")
    stream = lifter.stream(cam, names)
    live, live_held = [], []
    for t in range(len(uv)):
        live.append(stream.step(curled[t], conf[t]))
        live_held.append(stream.tails_withheld.copy())
    np.testing.assert_allclose(np.stack(live), batch.points, atol=1e-3, equal_nan=True)
    np.testing.assert_array_equal(np.stack(live_held), batch.tails_withheld)  # counted alike
    stream.reset()
    assert not stream.tails_withheld.any()
