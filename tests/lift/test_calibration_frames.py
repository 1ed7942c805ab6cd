"""Calibrations whose world frame is not the floor's (one-camera / intrinsics-only files),
and calibrations made at another image size than the poses' frames."""

from __future__ import annotations

import logging
import math

import numpy as np
import pytest

from dlc_lifter.camera import Camera
from dlc_lifter.io.calibration import write_anipose
from dlc_lifter.lift.camera_estimate import resolve_camera
from dlc_lifter.lift.options import source_kind
from dlc_lifter.mouse.catalogue import CATALOGUE
from tests.fixtures.models import stand_in_lifter

SIZE = (640, 480)
NOSE, TAIL = CATALOGUE.index("nose"), CATALOGUE.index("tail_base")


def _lens(**kw) -> Camera:
    """A 640x480 lens with barrel distortion and an off-centre principal point, 600 mm above
    the floor looking straight down."""
    cam = Camera.top_view(600.0, 700.0, SIZE, principal_point=(331.0, 245.0))
    k = cam.K.copy()
    k[1, 1] = 705.0
    return Camera(K=k, R=cam.R, t=cam.t, image_size=SIZE, dist=[-0.25, 0.08, 0.0, 0.0, 0.0],
                  **kw)


def _mouse(cam: Camera, n: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A real-sized mouse (0.9 x 85 mm) all over a 300 mm arena: world points, pixels, conf."""
    rng = np.random.default_rng(1)
    heading = rng.uniform(0, 2 * np.pi, n)
    centre = rng.uniform(-150, 150, (n, 2))
    half = 0.9 * 85.0 / 2 * np.c_[np.cos(heading), np.sin(heading)]
    world = np.full((n, len(CATALOGUE), 3), np.nan)
    world[:, NOSE] = np.c_[centre + half, np.full(n, 20.0)]
    world[:, TAIL] = np.c_[centre - half, np.full(n, 30.0)]
    uv = cam.project(world)
    return world, uv, np.isfinite(uv).all(-1).astype(float)


def _at_origin(cam: Camera) -> Camera:
    """The same lens as a one-camera aniposelib file has it: at the world's origin."""
    return Camera(K=cam.K, R=np.eye(3), t=np.zeros(3), image_size=cam.image_size,
                  dist=cam.dist, name="top")



def _said(caplog: pytest.LogCaptureFixture) -> str:
    """The library's messages with its parameters named as in Python (once a CLI test has
    run, the CLI's log filter has written them as its flags)."""
    text = "\n".join(r.getMessage() for r in caplog.records)
    return text.replace("--camera-height-mm", "camera_height_mm").replace("--focal-px",
                                                                          "focal_px")

def test_an_intrinsics_only_calibration_gives_its_lens_the_height_given(
        tmp_path, caplog: pytest.LogCaptureFixture) -> None:
    true = _lens()
    world, uv, conf = _mouse(true)
    toml = write_anipose([_at_origin(true)], tmp_path / "one.toml")
    assert _at_origin(true).floor_problem()
    with caplog.at_level(logging.WARNING):
        choice = resolve_camera(uv, conf, SIZE, calibration=toml, camera_height_mm=600.0,
                                focal_px=900.0)
    text = _said(caplog)
    assert "one.toml" in text and "intrinsics" in text and "focal_px 900" in text
    assert choice.source.endswith("calibration intrinsics")
    assert source_kind(choice.source) == "height+focal"
    assert choice.details["intrinsics_only"]
    got = choice.camera
    np.testing.assert_allclose(got.K, true.K)
    np.testing.assert_allclose(got.dist, true.dist)
    assert got.height_mm == pytest.approx(600.0)
    # every pixel's ray is the true lens's: the points come back where they were
    ok = np.isfinite(world).all(-1)
    back = got.points_at_height(uv[ok], world[ok][:, 2])
    np.testing.assert_allclose(back, world[ok], atol=1e-6)


def test_an_intrinsics_only_calibration_without_a_height_is_placed_by_the_animal(
        tmp_path, caplog: pytest.LogCaptureFixture) -> None:
    true = _lens()
    world, uv, conf = _mouse(true)
    toml = write_anipose([_at_origin(true)], tmp_path / "one.toml")
    with caplog.at_level(logging.WARNING):
        choice = resolve_camera(uv, conf, (0, 0), calibration=toml, lifter=stand_in_lifter())  # type: ignore[arg-type]
    assert "beside the calibration's intrinsics" in _said(caplog)
    assert source_kind(choice.source) == "body-length-estimate"
    got = choice.camera
    assert np.isfinite(got.t).all() and got.height_mm == pytest.approx(600.0, rel=0.03)
    np.testing.assert_allclose(got.K, true.K)
    ok = np.isfinite(world).all(-1)
    back = got.points_at_height(uv[ok], world[ok][:, 2])
    assert np.isfinite(back).all()


def test_a_camera_whose_floor_is_behind_it_is_not_the_floor_s(tmp_path) -> None:
    up = Camera.top_view(-500.0, 700.0, SIZE)  # centre under the floor, looking down
    assert "not in front" in up.floor_problem()
    assert _lens().floor_problem() == ""
    assert _lens().mirrored_below(320.0).floor_problem() == ""  # below, looking up: fine


def test_height_and_focal_beside_a_floor_calibration_are_said_to_be_unused(
        tmp_path, caplog: pytest.LogCaptureFixture) -> None:
    true = _lens()
    _, uv, conf = _mouse(true)
    toml = write_anipose([true], tmp_path / "floor.toml")
    with caplog.at_level(logging.WARNING):
        choice = resolve_camera(uv, conf, SIZE, calibration=toml, camera_height_mm=450.0)
    assert "camera_height_mm given beside the calibration" in _said(caplog)
    assert "floor.toml" in _said(caplog)
    assert choice.details["ignored"] == ["camera_height_mm"]
    assert choice.camera.height_mm == pytest.approx(600.0)
    assert math.isclose(choice.camera.fx, 700.0)


def test_a_calibration_at_twice_the_resolution_is_scaled_to_the_frames(
        tmp_path, caplog: pytest.LogCaptureFixture) -> None:
    true = _lens()
    world, uv, conf = _mouse(true)
    full = true.scaled_to((1280, 960))
    assert full.fx == pytest.approx(2 * true.fx) and full.cx == pytest.approx(2 * true.cx + 0.5)
    toml = write_anipose([full], tmp_path / "full.toml")
    with caplog.at_level(logging.WARNING):
        choice = resolve_camera(uv, conf, SIZE, calibration=toml)
    assert "full.toml" in _said(caplog) and "scaled by 0.5" in _said(caplog)
    assert "the video is" not in _said(caplog)
    np.testing.assert_allclose(choice.camera.K, true.K, atol=1e-9)
    assert choice.camera.image_size == SIZE
    ok = np.isfinite(world).all(-1)
    np.testing.assert_allclose(choice.camera.points_at_height(uv[ok], world[ok][:, 2]),
                               world[ok], atol=1e-6)
    # the one-camera file at the other resolution: scaled, then placed
    one = write_anipose([_at_origin(full)], tmp_path / "one_full.toml")
    placed = resolve_camera(uv, conf, SIZE, calibration=one, camera_height_mm=600.0)
    np.testing.assert_allclose(placed.camera.points_at_height(uv[ok], world[ok][:, 2]),
                               world[ok], atol=1e-6)


def test_an_unknown_frame_size_taken_as_the_calibration_s_is_said(
        tmp_path, caplog: pytest.LogCaptureFixture) -> None:
    """No video, no size in the pose file: the calibration's size is taken, and the log
    says so with how to give another (was: silent; frames tracked on a video resized
    after calibrating then lifted hundreds of mm off)."""
    full = _lens().scaled_to((1280, 960))
    _, uv, conf = _mouse(_lens())
    toml = write_anipose([full], tmp_path / "full.toml")
    with caplog.at_level(logging.INFO):
        resolve_camera(uv, conf, (0, 0), calibration=toml)
    assert "taken as calibration" in _said(caplog) and "1280x960" in _said(caplog)
    assert "--image-size" in _said(caplog)


def test_a_calibration_of_another_aspect_ratio_is_refused(tmp_path) -> None:
    from dlc_lifter.errors import CalibrationError

    true = _lens()
    _, uv, conf = _mouse(true)
    toml = write_anipose([true], tmp_path / "cal.toml")
    with pytest.raises(CalibrationError, match=r"cal\.toml.*640x480.*480x640.*aspect ratio"):
        resolve_camera(uv, conf, (480, 640), calibration=toml)
