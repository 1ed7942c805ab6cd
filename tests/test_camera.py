"""Camera geometry: projection against OpenCV, rays, heights, anipose calibration files."""

from __future__ import annotations

import logging
import math

import cv2
import numpy as np
import pytest

from dlc_lifter.camera import (
    CalibrationError,
    Camera,
    random_top_view,
    rodrigues,
)
from dlc_lifter.io.calibration import load_anipose, write_anipose


def _tilted(dist: bool = True) -> Camera:
    cam = Camera.top_view(800.0, 700.0, (640, 480), centre_xy=(30.0, -20.0),
                          tilt_rad=math.radians(12), tilt_direction_rad=0.7,
                          roll_rad=math.radians(35))
    if dist:
        cam = Camera(K=cam.K, R=cam.R, t=cam.t, image_size=cam.image_size,
                     dist=np.array([-0.12, 0.03, 0.001, -0.002, 0.0]))
    return cam


def test_top_view_axes_follow_conventions() -> None:
    cam = Camera.top_view(650.0, 560.0, (480, 360))
    centre = cam.project(np.array([0.0, 0.0, 0.0]))
    np.testing.assert_allclose(centre, [239.5, 179.5])
    right, up = cam.project(np.array([[10.0, 0, 0], [0, 10.0, 0]]))
    assert right[0] > centre[0] and abs(right[1] - centre[1]) < 1e-9  # +x -> +u
    assert up[1] < centre[1] and abs(up[0] - centre[0]) < 1e-9  # +y -> -v
    assert cam.height_mm == pytest.approx(650.0)
    assert cam.tilt_rad == pytest.approx(0.0, abs=1e-9)
    # a raised point moves away from the image centre
    off = cam.project(np.array([[50.0, 0, 0], [50.0, 0, 60.0]]))
    assert off[1, 0] > off[0, 0]


def test_projection_matches_opencv_with_distortion() -> None:
    cam = _tilted()
    rng = np.random.default_rng(0)
    pts = np.c_[rng.uniform(-150, 150, (200, 2)), rng.uniform(0, 90, 200)]
    rvec, _ = cv2.Rodrigues(cam.R)
    ref, _ = cv2.projectPoints(pts, rvec, cam.t, cam.K, cam.dist)
    np.testing.assert_allclose(cam.project(pts), ref[:, 0], atol=1e-6)
    np.testing.assert_allclose(rodrigues(rvec.ravel()), cam.R, atol=1e-12)


def test_rays_invert_projection() -> None:
    cam = _tilted()
    rng = np.random.default_rng(1)
    pts = np.c_[rng.uniform(-150, 150, (100, 2)), rng.uniform(0, 90, 100)]
    uv = cam.project(pts)
    depth = cam.to_camera(pts)[:, 2]
    np.testing.assert_allclose(cam.points_at_depth(uv, depth), pts, atol=1e-4)
    np.testing.assert_allclose(cam.points_at_height(uv, pts[:, 2]), pts, atol=1e-4)
    np.testing.assert_allclose(cam.depth_at_height(uv, pts[:, 2]), depth, atol=1e-4)


def test_anipose_round_trip_and_errors(tmp_path) -> None:
    a, b = _tilted(), Camera.top_view(900.0, 800.0, (1280, 720), name="side")
    a = Camera(K=a.K, R=a.R, t=a.t, image_size=a.image_size, dist=a.dist, name="top")
    path = write_anipose([a, b], tmp_path / "calibration.toml")
    got = load_anipose(path, "top")
    np.testing.assert_allclose(got.R, a.R, atol=1e-9)
    np.testing.assert_allclose(got.t, a.t)
    np.testing.assert_allclose(got.dist, a.dist)
    assert got.image_size == (640, 480)
    with pytest.raises(CalibrationError, match="pick one with camera_name="):
        load_anipose(path)
    with pytest.raises(CalibrationError, match="no camera 'nope'"):
        load_anipose(path, "nope")
    with pytest.raises(CalibrationError, match="does not exist"):
        load_anipose(tmp_path / "missing.toml")
    (tmp_path / "bad.toml").write_text("[cam_0\nname=")
    with pytest.raises(CalibrationError, match="not valid TOML"):
        load_anipose(tmp_path / "bad.toml")


def test_random_cameras_are_seeded_and_in_range() -> None:
    cams = [random_top_view(np.random.default_rng(s)) for s in range(50)]
    again = random_top_view(np.random.default_rng(3))
    np.testing.assert_array_equal(again.R, cams[3].R)
    assert all(250 <= c.height_mm <= 2000 for c in cams)
    assert all(c.tilt_rad <= math.radians(15) + 1e-9 for c in cams)
    assert len({round(c.height_mm) for c in cams}) > 40
    d = Camera.from_dict(cams[0].as_dict())
    np.testing.assert_array_equal(d.K, cams[0].K)


def _square_corners(cam: Camera, side: float, centre: tuple[float, float] = (0.0, 0.0)
                    ) -> tuple[np.ndarray, np.ndarray]:
    half = side / 2
    xy = np.array([[-half, half], [half, half], [half, -half], [-half, -half]]) + centre
    return xy, cam.project(np.c_[xy, np.zeros(4)])


@pytest.mark.parametrize("tilt_deg", [8.0, 25.0, 40.0])
def test_floor_homography_gives_back_a_tilted_camera(tilt_deg: float) -> None:
    from dlc_lifter.camera import floor_homography, focal_from_floor_homography

    cam = Camera.top_view(520.0, 610.0, (800, 600), tilt_rad=math.radians(tilt_deg),
                          tilt_direction_rad=0.9, roll_rad=2.0)
    xy, uv = _square_corners(cam, 300.0, (20.0, -15.0))
    hom = floor_homography(xy, uv)
    assert focal_from_floor_homography(hom, (cam.cx, cam.cy)) == pytest.approx(610.0, rel=1e-6)
    back = Camera.from_floor_homography(hom, 610.0, (800, 600))
    np.testing.assert_allclose(back.centre, cam.centre, atol=1e-6)
    np.testing.assert_allclose(back.R, cam.R, atol=1e-9)
    assert math.degrees(back.tilt_rad) == pytest.approx(tilt_deg)
    pts = np.array([[10.0, 40.0, 35.0], [-60.0, 5.0, 0.0]])
    np.testing.assert_allclose(back.project(pts), cam.project(pts), atol=1e-6)


def test_floor_homography_straight_down_leaves_the_focal_open_and_mirrors_fail() -> None:
    from dlc_lifter.camera import floor_homography, focal_from_floor_homography

    cam = Camera.top_view(500.0, 600.0, (640, 480))
    xy, uv = _square_corners(cam, 300.0)
    hom = floor_homography(xy, uv)
    f = focal_from_floor_homography(hom, (cam.cx, cam.cy))
    assert not (100 < f < 10_000)  # NaN or meaningless: nothing in the image fixes it
    # any focal length then fits; the height follows it
    assert Camera.from_floor_homography(hom, 1200.0, (640, 480)).height_mm == \
        pytest.approx(1000.0)
    with pytest.raises(ValueError, match="mirrored"):
        Camera.from_floor_homography(floor_homography(xy * [-1, 1], uv), 600.0, (640, 480))
    with pytest.raises(ValueError, match="four or more"):
        floor_homography(xy[:3], uv[:3])


@pytest.mark.parametrize("tilt", [0.0, 0.3])
def test_the_camera_below_sees_the_floor_as_the_camera_above_mirrored(tilt: float) -> None:
    top = Camera.top_view(450.0, 700.0, (640, 480), centre_xy=(100.0, 50.0), tilt_rad=tilt,
                          tilt_direction_rad=0.7)
    top = Camera(top.K, top.R, top.t, top.image_size, dist=[0.01, 0.0, 0.001, 0.002, 0.0])
    below = top.mirrored_below(320.0)
    rng = np.random.default_rng(0)
    floor = np.c_[rng.uniform(-50, 250, 50), rng.uniform(-100, 200, 50), np.zeros(50)]
    u_top, u_below = top.project(floor), below.project(floor)
    np.testing.assert_allclose(u_below[:, 0], 640.0 - u_top[:, 0], atol=1e-9)
    np.testing.assert_allclose(u_below[:, 1], u_top[:, 1], atol=1e-9)
    np.testing.assert_allclose(below.centre, top.centre * [1, 1, -1], atol=1e-9)
    assert below.below_floor and not top.below_floor
    assert np.linalg.det(below.R) == pytest.approx(1.0)
    # a point above the floor is in front of the camera below and lies beyond the floor
    # point of its ray, away from the camera's nadir
    from dlc_lifter.nets.lifter import floor_points

    p = np.array([[120.0, 60.0, 40.0]])
    assert (p @ below.R.T + below.t)[0, 2] > 0
    hit = floor_points(below.project(p), below)
    nadir = below.centre[:2]
    assert np.linalg.norm(hit[0] - nadir) < np.linalg.norm(p[0, :2] - nadir)
    s = (0.0 - below.centre[2]) / (p[0, 2] - below.centre[2])
    np.testing.assert_allclose(hit[0], (below.centre + s * (p[0] - below.centre))[:2],
                               atol=1e-6)


def _fisheye() -> Camera:
    """A wide lens (Jiang's published cv2.fisheye calibration: 1600x1200, f 781 px) 350 mm
    above the floor, tilted 10 deg."""
    cam = Camera.top_view(350.0, 781.0, (1600, 1200), principal_point=(794.0, 601.0),
                          tilt_rad=math.radians(10.0), tilt_direction_rad=0.7)
    return Camera(K=cam.K, R=cam.R, t=cam.t, image_size=cam.image_size,
                  dist=[-0.0426, 0.0313, -0.0410, 0.0153], fisheye=True, name="wide")


def _floor_grid() -> np.ndarray:
    g = np.linspace(-400.0, 400.0, 9)
    xx, yy = np.meshgrid(g, g)
    return np.c_[xx.ravel(), yy.ravel(), np.tile([0.0, 40.0, 80.0], 27)]


def test_fisheye_projection_and_undistortion_match_opencv() -> None:
    cv2_ = pytest.importorskip("cv2")
    cam = _fisheye()
    pts = _floor_grid()
    rvec = cv2_.Rodrigues(cam.R)[0]
    ref = cv2_.fisheye.projectPoints(pts.reshape(-1, 1, 3), rvec, cam.t.reshape(3, 1), cam.K,
                                     cam.dist[:4])[0].reshape(-1, 2)
    uv = cam.project(pts)
    np.testing.assert_allclose(uv, ref, atol=1e-6)
    assert np.abs(uv - Camera(cam.K, cam.R, cam.t, cam.image_size).project(pts)).max() > 50
    und = cv2_.fisheye.undistortPoints(uv.reshape(-1, 1, 2), cam.K,
                                       cam.dist[:4]).reshape(-1, 2)
    np.testing.assert_allclose(cam.normalise(uv), und, atol=1e-7)


def test_fisheye_rays_round_trip_and_floor_points() -> None:
    from dlc_lifter.nets.lifter import floor_points

    cam = _fisheye()
    pts = _floor_grid()
    uv = cam.project(pts)
    np.testing.assert_allclose(cam.points_at_height(uv, pts[:, 2]), pts, atol=1e-6)
    np.testing.assert_allclose(floor_points(uv, cam), cam.points_at_height(uv, 0.0)[:, :2],
                               atol=1e-6)
    below = cam.mirrored_below(800.0)
    assert below.fisheye
    np.testing.assert_allclose(below.dist, cam.dist)


def test_fisheye_calibration_round_trip_and_other_models_refused(tmp_path) -> None:
    cam = _fisheye()
    path = write_anipose([cam], tmp_path / "fish.toml")
    text = path.read_text()
    assert "fisheye = true" in text
    assert "distortions = [-0.0426, 0.0313, -0.041, 0.0153]" in text
    back = load_anipose(path)
    assert back.fisheye and back.name == "wide"
    np.testing.assert_allclose(back.dist, cam.dist)
    np.testing.assert_allclose(back.project(_floor_grid()), cam.project(_floor_grid()),
                               atol=1e-6)
    assert Camera.from_dict(cam.as_dict()).fisheye
    bad = tmp_path / "five.toml"
    bad.write_text(text.replace("fisheye = true", "fisheye = true\nsize2 = 1").replace(
        "0.0153]", "0.0153, 0.001]"))
    with pytest.raises(CalibrationError, match="fisheye = true.*5 distortions"):
        load_anipose(bad)
    rational = tmp_path / "rational.toml"
    rational.write_text(text.replace("fisheye = true", "").replace(
        "0.0153]", "0.0153, 0.0, 0.01, 0.0, 0.0]"))
    with pytest.raises(CalibrationError, match="8 distortions"):
        load_anipose(rational)


_OPENCV_YML = """%YAML:1.0
---
image_width: 640
image_height: 480
camera_matrix: !!opencv-matrix
   rows: 3
   cols: 3
   dt: d
   data: [ 537.66, 0., 340.11, 0.,
       537.89, 236.94, 0., 0., 1. ]
distortion_coefficients: !!opencv-matrix
   rows: 5
   cols: 1
   dt: d
   data: [ -0.2776, 0.0540, 0.0021, -0.0004, 0.0487 ]
"""

_ROS_YAML = """image_width: 640
image_height: 480
camera_name: narrow_stereo
camera_matrix:
  rows: 3
  cols: 3
  data: [537.66, 0.0, 340.11, 0.0, 537.89, 236.94, 0.0, 0.0, 1.0]
distortion_model: plumb_bob
distortion_coefficients:
  rows: 1
  cols: 5
  data: [-0.2776, 0.0540, 0.0021, -0.0004, 0.0487]
"""


def _file_storage(path, **entries) -> None:
    """An OpenCV FileStorage file (.yml / .xml by the name) of ``entries``, in order."""
    fs = cv2.FileStorage(str(path), cv2.FILE_STORAGE_WRITE)
    for name, value in entries.items():
        fs.write(name, value)
    fs.release()


def test_lens_calibrations_without_extrinsics_are_read_as_intrinsics(tmp_path) -> None:
    """OpenCV FileStorage .yml / .xml and ROS camera_info .yaml: the lens at the origin."""
    k = np.array([[537.66, 0.0, 340.11], [0.0, 537.89, 236.94], [0.0, 0.0, 1.0]])
    dist = [-0.2776, 0.0540, 0.0021, -0.0004, 0.0487]
    (tmp_path / "cv.yml").write_text(_OPENCV_YML)
    (tmp_path / "ost.yaml").write_text(_ROS_YAML)
    _file_storage(tmp_path / "cv.xml", image_width=640, image_height=480, camera_matrix=k,
                  distortion_coefficients=np.asarray(dist).reshape(5, 1))
    for name in ("cv.yml", "ost.yaml", "cv.xml"):
        cam = load_anipose(tmp_path / name)
        np.testing.assert_allclose(cam.K, k)
        np.testing.assert_allclose(cam.dist, dist)
        assert cam.image_size == (640, 480) and not cam.fisheye
        assert "floor plane" in cam.floor_problem()
    assert load_anipose(tmp_path / "ost.yaml").name == "narrow_stereo"
    fish = tmp_path / "fish.yaml"
    fish.write_text(_ROS_YAML.replace("plumb_bob", "equidistant").replace(
        "cols: 5\n  data: [-0.2776, 0.0540, 0.0021, -0.0004, 0.0487]",
        "cols: 4\n  data: [-0.04, 0.03, -0.04, 0.015]"))
    assert load_anipose(fish).fisheye
    other = tmp_path / "calib.json"
    other.write_text('{"mtx": [1, 2]}')
    with pytest.raises(CalibrationError, match="calib.json is malformed.*camera_matrix"):
        load_anipose(other)
    other.write_text('{"focal": [1, 2]}')
    with pytest.raises(CalibrationError, match="calib.json.*OpenCV FileStorage"):
        load_anipose(other)


def test_lens_calibrations_as_labs_save_them(tmp_path, caplog) -> None:
    """OpenCV's calibration sample writes a fisheye lens as ``fisheye_model: 1`` (was read
    as the standard model); Python code saves ``cameraMatrix`` / ``dist_coeffs`` or JSON
    (its distortion was dropped silently); a file without distortion is said."""
    import json
    import logging

    k = np.array([[537.66, 0.0, 340.11], [0.0, 537.89, 236.94], [0.0, 0.0, 1.0]])
    fish = [-0.04, 0.03, -0.04, 0.015]
    _file_storage(tmp_path / "out_camera_data.yml", image_width=640, image_height=480,
                  fisheye_model=1, camera_matrix=k,
                  distortion_coefficients=np.asarray(fish).reshape(4, 1))
    cam = load_anipose(tmp_path / "out_camera_data.yml")
    assert cam.fisheye and np.allclose(cam.dist[:4], fish)
    dist = [-0.2776, 0.0540, 0.0021, -0.0004, 0.0487]
    _file_storage(tmp_path / "py.yml", image_width=640, image_height=480, cameraMatrix=k,
                  dist_coeffs=np.asarray(dist).reshape(1, 5))
    (tmp_path / "calib.json").write_text(json.dumps(
        {"camera_matrix": k.tolist(), "dist_coeffs": dist, "image_width": 640,
         "image_height": 480}))
    for name in ("py.yml", "calib.json"):
        cam = load_anipose(tmp_path / name)
        np.testing.assert_allclose(cam.K, k)
        np.testing.assert_allclose(cam.dist, dist)
    (tmp_path / "nodist.json").write_text(json.dumps(
        {"camera_matrix": k.tolist(), "image_width": 640, "image_height": 480}))
    with caplog.at_level(logging.WARNING):
        assert not np.any(load_anipose(tmp_path / "nodist.json").dist)
    assert "has no distortion coefficients" in caplog.text
    _file_storage(tmp_path / "nomatrix.yml", image_width=640, Kmat=k)
    with pytest.raises(CalibrationError, match="has no camera matrix.*it holds image_width, "
                                               "Kmat"):
        load_anipose(tmp_path / "nomatrix.yml")


def test_a_calibration_in_metres_is_named_as_such() -> None:
    """A camera 0.5 units above the floor: a world in metres, not a camera at the origin
    (was: "the camera at the world's origin, as a one-camera calibration puts it")."""
    cam = Camera.top_view(500.0, 700.0, (640, 480))
    metres = Camera(K=cam.K, R=cam.R, t=cam.t / 1000.0, image_size=cam.image_size)
    assert "a world in metres" in metres.floor_problem() and "x 1000" in metres.floor_problem()
    origin = Camera(K=cam.K, R=np.eye(3), t=np.zeros(3), image_size=cam.image_size)
    assert "world's origin, as a one-camera" in origin.floor_problem()


def test_a_board_pose_saved_beside_the_lens_places_the_camera(tmp_path, caplog) -> None:
    """cv2.solvePnP's rvec and tvec for the board lying on the floor, saved with the lens
    (the walkthrough's lab): the camera was read at the world's origin and its height
    guessed from the mouse (the tilt lost: 13.7 mm off through a 15 deg camera); now the
    board's frame is the world, its z down turned over by the lift. A pose per calibration
    view, or half a pose, is warned and the lens kept alone; a file without the image's size
    takes the frames' (it was refused with a TypeError)."""
    top = Camera.top_view(450.0, 700.0, (640, 480), tilt_rad=0.26, tilt_direction_rad=0.5)
    board = Camera(K=top.K, R=top.R @ np.diag([1.0, -1.0, -1.0]), t=top.t,
                   image_size=top.image_size)  # OpenCV's board frame: z into the floor
    rvec = cv2.Rodrigues(board.R)[0]
    _file_storage(tmp_path / "pnp.yml", image_width=640, image_height=480,
                  camera_matrix=board.K, distortion_coefficients=np.zeros((5, 1)),
                  rvec=rvec, tvec=board.t.reshape(3, 1))
    cam = load_anipose(tmp_path / "pnp.yml")
    np.testing.assert_allclose(cam.R, board.R, atol=1e-9)
    np.testing.assert_allclose(cam.t, board.t)
    assert cam.floor_problem() == "" and cam.below_floor
    np.testing.assert_allclose(cam.turned_over().centre, top.centre, atol=1e-6)
    _file_storage(tmp_path / "views.yml", image_width=640, image_height=480,
                  camera_matrix=board.K, distortion_coefficients=np.zeros((5, 1)),
                  rvecs=np.tile(rvec.T, (12, 1)), tvecs=np.tile(board.t, (12, 1)))
    _file_storage(tmp_path / "half.yml", image_width=640, image_height=480,
                  camera_matrix=board.K, distortion_coefficients=np.zeros((5, 1)), rvec=rvec)
    for name, said in (("views.yml", "a pose per calibration view"),
                       ("half.yml", "translation missing")):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
            lens = load_anipose(tmp_path / name)
        assert said in caplog.text and "read as the lens only" in caplog.text, caplog.text
        assert "floor plane" in lens.floor_problem()
    _file_storage(tmp_path / "nosize.yml", camera_matrix=board.K,
                  distortion_coefficients=np.zeros((5, 1)))
    assert load_anipose(tmp_path / "nosize.yml").image_size == (0, 0)


def test_a_calibration_in_cm_is_named_as_such() -> None:
    """A camera 45 units above the floor (a world in cm) was taken as a camera 45 mm up:
    the mouse came out 5 mm long, 58 mm off. Nearer than a camera filming a whole mouse,
    it is now named a world in other units, as one in metres is."""
    cam = Camera.top_view(450.0, 700.0, (640, 480))
    cm = Camera(K=cam.K, R=cam.R, t=cam.t / 10.0, image_size=cam.image_size)
    assert "a world in cm" in cm.floor_problem() and "x 10 from cm" in cm.floor_problem()
    assert cam.floor_problem() == ""
    assert Camera.top_view(150.0, 700.0, (640, 480)).floor_problem() == ""
