"""Session adaptation (``adapt=True``): a rigid head measured from the session, held per frame."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dlc_lifter.camera import Camera
from dlc_lifter.lift.adapt import RIGID_HEAD, AdaptOptions, adapt_session

NAMES = ("nose", "left_ear", "right_ear", "neck")
#: A skull (mm, head frame: x forward, y left, z up), the nose 32 mm ahead of the ears.
HEAD = np.array([[32.0, 0.0, 0.0], [0.0, 9.0, 0.0], [0.0, -9.0, 0.0]])


def _heads(n: int, seed: int = 0) -> np.ndarray:
    """``(n, 4, 3)`` true 3D: a rigid head pitched -50..+10 deg, turned, and a neck."""
    rng = np.random.default_rng(seed)
    pitch = np.radians(rng.uniform(-50.0, 10.0, n))
    pitch[: n // 8] = 0.0  # some frames with the head level, as a session has
    yaw = rng.uniform(-math.pi, math.pi, n)
    out = np.zeros((n, 4, 3))
    for t in range(n):
        cp, sp, cy, sy = math.cos(pitch[t]), math.sin(pitch[t]), math.cos(yaw[t]), math.sin(yaw[t])
        rp = np.array([[cp, 0, -sp], [0, 1, 0], [sp, 0, cp]])
        ry = np.array([[cy, -sy, 0], [sy, cy, 0], [0, 0, 1]])
        centre = np.array([rng.uniform(-60, 60), rng.uniform(-60, 60), 35.0])
        out[t, :3] = centre + HEAD @ rp.T @ ry.T
        out[t, 3] = centre + ry @ np.array([-15.0, 0.0, -5.0])
    return out


def _on_rays(camera: Camera, xyz: np.ndarray, height: np.ndarray) -> np.ndarray:
    """The points of the rays through ``xyz`` at ``height``."""
    c = camera.centre
    s = (height - c[2]) / (xyz[..., 2] - c[2])
    return c + s[..., None] * (xyz - c)


def _head_error(points: np.ndarray, truth: np.ndarray) -> float:
    return float(np.linalg.norm(points[:, :3] - truth[:, :3], axis=-1).mean())


def test_rigid_head_keypoints_are_the_catalogue_skull() -> None:
    assert {"nose", "left_ear", "right_ear", "left_eye", "head_midpoint"} <= set(RIGID_HEAD)
    assert not any("tip" in n for n in RIGID_HEAD)  # the pinnae move


def test_a_head_lifted_too_short_is_given_its_own_length_back() -> None:
    cam = Camera.top_view(450.0, 700.0, (640, 480))
    truth = _heads(200)
    # a lifter that knows a shorter skull reads a head pitched down as pitched less: the
    # nose too high and the ears too low (as the DANNCE mice are lifted)
    lifted_h = truth[..., 2].copy()
    down = truth[:, 0, 2] < truth[:, 1, 2] - 5.0
    lifted_h[down, 0] += 4.0
    lifted_h[down, 1:3] -= 4.0
    lifted = _on_rays(cam, truth, lifted_h)
    res = adapt_session(lifted, np.ones(lifted.shape[:2], bool), NAMES, cam.centre)
    assert res.reason is None
    assert res.lengths_mm["left_ear-right_ear"] == pytest.approx(18.0, abs=0.3)
    assert res.lengths_mm["nose-left_ear"] == pytest.approx(math.hypot(32, 9), abs=0.5)
    assert _head_error(res.points, truth) < 0.6 * _head_error(lifted, truth)
    # every point stays on its ray: the 2D is reproduced exactly
    assert np.allclose(cam.project(res.points), cam.project(truth), atol=1e-6)
    assert np.array_equal(res.points[:, 3], lifted[:, 3])  # the neck is not the skull
    assert res.record()["adapted"] and res.record()["mean_height_shift_mm"] > 0.5


def test_a_session_that_already_fits_is_left_as_it_is() -> None:
    cam = Camera.top_view(450.0, 700.0, (640, 480))
    truth = _heads(120, seed=1)
    res = adapt_session(truth, np.ones(truth.shape[:2], bool), NAMES, cam.centre)
    assert np.abs(res.points - truth).max() < 0.05


def test_untracked_keypoints_and_short_sessions_are_not_moved() -> None:
    cam = Camera.top_view(450.0, 700.0, (640, 480))
    truth = _heads(60, seed=2)
    lifted = _on_rays(cam, truth, truth[..., 2] + 4.0)
    tracked = np.ones(truth.shape[:2], bool)
    tracked[::2, 0] = False  # the nose imputed in half the frames
    res = adapt_session(lifted, tracked, NAMES, cam.centre)
    assert np.array_equal(res.points[::2, 0], lifted[::2, 0])
    short = adapt_session(lifted[:10], tracked[:10], NAMES, cam.centre,
                          options=AdaptOptions(min_frames=20))
    assert short.reason is not None and "fewer than 20 frames" in short.reason
    assert np.array_equal(short.points, lifted[:10])
    assert not short.record()["adapted"]


def test_tracking_noise_is_taken_off_the_measured_length() -> None:
    cam = Camera.top_view(450.0, 700.0, (640, 480))
    rng = np.random.default_rng(3)
    truth = _heads(600, seed=3)
    noisy_uv = cam.project(truth) + rng.normal(0.0, 3.0, truth.shape[:2] + (2,))
    lifted = cam.points_at_height(noisy_uv, truth[..., 2])
    cont = np.ones(len(truth), bool)
    cont[0] = False
    naive = adapt_session(lifted, np.ones(truth.shape[:2], bool), NAMES, cam.centre)
    fair = adapt_session(lifted, np.ones(truth.shape[:2], bool), NAMES, cam.centre,
                         continuous=cont)
    # ear to ear is level: 18 mm; 3 px of noise (about 2 mm) widens its upper percentile
    assert naive.lengths_mm["left_ear-right_ear"] > 19.5
    assert fair.lengths_mm["left_ear-right_ear"] == pytest.approx(18.0, abs=0.8)


def test_lift_file_adapts_on_request_and_records_it(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from dlc_lifter.cli import app
    from dlc_lifter.io import meta_pickle_path, read_poses
    from dlc_lifter.lift import lift_file
    from dlc_lifter.lift.options import CameraSpec, LiftOptions, OutputSpec
    from tests.fixtures.toys import write_dlc_analysis
    from tests.lift.test_pipeline import _scene

    _, _, poses = _scene(60)
    src = write_dlc_analysis(poses, tmp_path / "in", meta_pickle=True)
    spec = CameraSpec(camera_height_mm=600.0, focal_px=640.0)
    plain = lift_file(src, camera=spec, options=LiftOptions(depth=False),
                      output=OutputSpec(destfolder=tmp_path / "plain"))
    out = lift_file(src, camera=spec, options=LiftOptions(depth=False, adapt=True),
                    output=OutputSpec(destfolder=tmp_path / "adapt"))
    rec = pd.read_pickle(meta_pickle_path(out))["data"]["adapt"]["individual0"]
    assert rec["adapted"] and set(rec["head_lengths_mm"]) == {
        "nose-left_ear", "nose-right_ear", "left_ear-right_ear"}
    assert pd.read_pickle(meta_pickle_path(plain))["data"]["adapt"] is None
    a, b = read_poses(plain), read_poses(out)
    assert a.coords.shape == b.coords.shape and not np.allclose(a.coords[:, 0, 0],
                                                                b.coords[:, 0, 0])
    assert np.allclose(a.coords[:, 0, 3:6], b.coords[:, 0, 3:6])  # neck, body, tail
    res = CliRunner().invoke(app, ["lift", str(src), "--no-depth", "--adapt",
                                   "--camera-height-mm", "600", "--focal-px", "640",
                                   "--destfolder", str(tmp_path / "cli")])
    assert res.exit_code == 0, res.output
    cli = pd.read_pickle(meta_pickle_path(Path(res.output.strip().splitlines()[-1])))
    assert cli["data"]["adapt"]["individual0"]["adapted"]
    assert cli["data"]["lift_options"]["adapt"] is True


def test_corrections_stay_smooth_between_consecutive_frames() -> None:
    cam = Camera.top_view(450.0, 700.0, (640, 480))
    rng = np.random.default_rng(4)
    n = 300
    # one head moving slowly: pitch and position drift over a 10 s video at 30 fps
    t = np.arange(n) / 30.0
    pitch, yaw = np.radians(-30 + 25 * np.sin(t)), 0.3 * t
    truth = np.zeros((n, 4, 3))
    for i in range(n):
        cp, sp, cy, sy = math.cos(pitch[i]), math.sin(pitch[i]), math.cos(yaw[i]), math.sin(yaw[i])
        rp = np.array([[cp, 0, -sp], [0, 1, 0], [sp, 0, cp]])
        ry = np.array([[cy, -sy, 0], [sy, cy, 0], [0, 0, 1]])
        centre = np.array([40 * math.cos(t[i] / 3), 40 * math.sin(t[i] / 3), 35.0])
        truth[i, :3] = centre + HEAD @ rp.T @ ry.T
        truth[i, 3] = centre + ry @ np.array([-15.0, 0.0, -5.0])
    uv = cam.project(truth) + rng.normal(0.0, 1.5, truth.shape[:2] + (2,))
    lifted = cam.points_at_height(uv, truth[..., 2] + np.array([3.0, -3.0, -3.0, 0.0]))
    tracked = np.ones(truth.shape[:2], bool)
    cont = np.ones(n, bool)
    cont[0] = False
    alone = adapt_session(lifted, tracked, NAMES, cam.centre,
                          options=AdaptOptions(smooth_mm_per_s=0.0))
    smooth = adapt_session(lifted, tracked, NAMES, cam.centre, continuous=cont, fps=30.0)

    def jitter(p: np.ndarray) -> float:
        return float(np.median(np.abs(np.diff(p[:, :3, 2] - lifted[:, :3, 2], axis=0))))

    assert jitter(smooth.points) < 0.5 * jitter(alone.points)
    assert _head_error(smooth.points, truth) < _head_error(lifted, truth)
    assert np.allclose(cam.project(smooth.points), cam.project(lifted), atol=1e-6)


def test_each_animal_is_adapted_alone_and_files_without_a_head_are_left_alone(
        caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from dlc_lifter.lift.camera_estimate import CameraChoice
    from dlc_lifter.lift.poses import lift_poses
    from dlc_lifter.poses import Poses
    from tests.lift.test_pipeline import _scene

    cam, _, one = _scene(60)
    _, _, other = _scene(60, seed=5)
    two = Poses(coords=np.concatenate([one.coords, other.coords], axis=1),
                confidence=np.concatenate([one.confidence, other.confidence], axis=1),
                keypoints=one.keypoints, individuals=["a", "b"], meta=one.meta)
    choice = CameraChoice(cam, "world", "calibration", {})
    plain = lift_poses(two, camera_choice=choice)
    adapted = lift_poses(two, camera_choice=choice, adapt=True)
    rec = adapted.meta.extra["adapt"]
    assert set(rec) == {"a", "b"} and all(r["adapted"] for r in rec.values())
    assert rec["a"]["head_lengths_mm"] != rec["b"]["head_lengths_mm"]
    # the same first animal alone adapts exactly as it does beside the second
    alone = lift_poses(one, camera_choice=choice, adapt=True)
    assert np.allclose(alone.coords[:, 0], adapted.coords[:, 0], equal_nan=True)
    assert "adapt" not in plain.meta.extra
    # no head keypoint tracked: said in a warning, the lift is the plain one
    body = one.keypoints.index("neck")
    headless = Poses(coords=one.coords[:, :, body:], confidence=one.confidence[:, :, body:],
                     keypoints=one.keypoints[body:], meta=one.meta)
    with caplog.at_level(logging.WARNING):
        out = lift_poses(headless, camera_choice=choice, adapt=True)
    assert not out.meta.extra["adapt"]["individual0"]["adapted"]
    assert "not adapted" in caplog.text
    assert np.allclose(out.coords, lift_poses(headless, camera_choice=choice).coords,
                       equal_nan=True)


def test_long_sessions_are_fitted_in_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    import dlc_lifter.lift.adapt as adapt

    cam = Camera.top_view(450.0, 700.0, (640, 480))
    truth = _heads(130, seed=6)
    lifted = _on_rays(cam, truth, truth[..., 2] + np.array([4.0, -4.0, -4.0, 0.0]))
    tracked = np.ones(truth.shape[:2], bool)
    whole = adapt_session(lifted, tracked, NAMES, cam.centre)
    monkeypatch.setattr(adapt, "CHUNK_FRAMES", 50)
    chunked = adapt.adapt_session(lifted, tracked, NAMES, cam.centre)
    # frames fitted alone: chunks change nothing (the lengths come from the whole session)
    assert chunked.lengths_mm == whole.lengths_mm
    assert np.allclose(chunked.points, whole.points, atol=1e-9)


def test_mistracked_frames_neither_measure_nor_bend_the_head() -> None:
    cam = Camera.top_view(450.0, 700.0, (640, 480))
    truth = _heads(300, seed=7)
    rng = np.random.default_rng(7)
    wrong = rng.uniform(size=len(truth)) < 0.12  # the nose found 20-40 mm ahead of itself
    seen = truth.copy()
    ahead = truth[:, 0, :2] - truth[:, 1:3, :2].mean(1)
    ahead /= np.linalg.norm(ahead, axis=-1, keepdims=True)
    seen[wrong, 0, :2] += rng.uniform(20.0, 40.0, (int(wrong.sum()), 1)) * ahead[wrong]
    lifted = _on_rays(cam, seen, seen[..., 2])
    res = adapt_session(lifted, np.ones(truth.shape[:2], bool), NAMES, cam.centre)
    assert res.lengths_mm["nose-left_ear"] == pytest.approx(math.hypot(32, 9), abs=0.7)
    # the mistracked frames are left as the network lifted them
    assert np.abs(res.points[wrong, 0, 2] - lifted[wrong, 0, 2]).max() < 1.0
