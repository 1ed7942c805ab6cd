"""The camera of a recording: from a square arena's tracked corners, tilted or not, or from the
animal."""

from __future__ import annotations

import logging
import math

import numpy as np
import pytest

from dlc_lifter.camera import Camera
from dlc_lifter.errors import DLCLifterError
from dlc_lifter.lift.camera_estimate import (
    BODY_PAIR_FEW_FRAMES,
    BODY_PAIR_FRAMES,
    DEFAULT_HFOV_DEG,
    REAL_LENGTH_FACTOR,
    body_length_pair,
    corner_camera,
    resolve_camera,
)
from dlc_lifter.lift.options import source_kind
from dlc_lifter.mouse.catalogue import CATALOGUE
from tests.fixtures.models import stand_in_lifter

SIZE = (800, 600)
SIDE = 420.0


def _corners(cam: Camera, side: float = SIDE) -> dict[str, list[float]]:
    """The arena's corners in pixels, named by where they fall in the image."""
    half = side / 2
    world = np.array([[-half, -half, 0], [half, -half, 0], [half, half, 0], [-half, half, 0]])
    uv = cam.project(world)
    top = set(np.argsort(uv[:, 1])[:2].tolist())
    out = {}
    for i in range(4):
        mate = next(j for j in range(4) if j != i and (j in top) == (i in top))
        out[("top_" if i in top else "bottom_")
            + ("left" if uv[i, 0] < uv[mate, 0] else "right")] = uv[i].tolist()
    return out


def _tilted(tilt_deg: float = 22.0, height: float = 700.0, focal: float = 650.0, **kw) -> Camera:
    return Camera.top_view(height, focal, SIZE, tilt_rad=math.radians(tilt_deg),
                           tilt_direction_rad=1.2, **kw)


def test_tilted_camera_from_corners_alone() -> None:
    cam = _tilted()
    choice = corner_camera(_corners(cam), SIDE, SIZE)
    assert choice is not None and choice.source == "arena-corners" and choice.frame == "arena"
    got = choice.camera
    assert got.height_mm == pytest.approx(700.0, rel=1e-3)
    assert got.fx == pytest.approx(650.0, rel=1e-3)
    assert choice.details["tilt_deg"] == pytest.approx(22.0, abs=0.1)
    assert choice.details["focal_from"] == "the corners' perspective"
    # the arena frame: the mouse's heights are the world's, floor points stay on the floor
    pts = np.array([[30.0, -50.0, 0.0], [0.0, 0.0, 60.0]])
    uv = cam.project(pts)
    np.testing.assert_allclose(got.points_at_height(uv, pts[:, 2])[:, 2], pts[:, 2], atol=1e-6)
    floor = got.points_at_height(uv[:1], 0.0)[0]
    assert np.linalg.norm(floor[:2]) == pytest.approx(np.linalg.norm(pts[0, :2]), rel=1e-4)


def test_given_focal_or_height_fixes_the_other() -> None:
    cam = _tilted(15.0, 550.0, 720.0)
    corners = _corners(cam)
    by_focal = corner_camera(corners, SIDE, SIZE, focal_px=720.0)
    by_height = corner_camera(corners, SIDE, SIZE, camera_height_mm=550.0)
    assert by_focal is not None and by_height is not None
    assert by_focal.camera.height_mm == pytest.approx(550.0, rel=1e-6)
    assert by_height.camera.fx == pytest.approx(720.0, rel=1e-4)
    assert by_height.details["focal_from"] == "camera height"


def test_straight_down_assumes_a_lens_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    cam = Camera.top_view(600.0, 900.0, SIZE)
    with caplog.at_level(logging.WARNING):
        choice = corner_camera(_corners(cam), SIDE, SIZE)
    assert choice is not None and choice.details["tilt_deg"] < 0.5
    assert choice.details["focal_from"].startswith("assumed")
    f = (SIZE[0] - 1) / 2 / math.tan(math.radians(DEFAULT_HFOV_DEG) / 2)
    assert choice.camera.fx == pytest.approx(f)
    # the arena's size is the scale: the floor is right whatever the lens
    assert choice.camera.floor_mm_per_px() == pytest.approx(cam.floor_mm_per_px(), rel=1e-3)
    assert "assuming a 60 deg" in caplog.text


def test_non_square_pixels_and_missing_corners_fall_through() -> None:
    squashed = Camera.top_view(600.0, 700.0, SIZE, pixel_aspect=0.8)
    corners = _corners(squashed)
    assert corner_camera(corners, SIDE, SIZE) is None
    uv = np.full((5, len(CATALOGUE), 2), np.nan)
    choice = resolve_camera(uv, np.ones(uv.shape[:2]), SIZE, arena_size_mm=SIDE,
                            arena_px=corners)
    # the arena frame all the same, from the corners' floor points (--help promises it)
    assert choice.source == "arena-size" and choice.frame == "arena"
    assert choice.details["pixel_aspect"] == pytest.approx(0.8, rel=1e-3)
    names = ("top_left", "top_right", "bottom_right", "bottom_left")
    floor = choice.camera.points_at_height(np.array([corners[n] for n in names]), 0.0)
    half = SIDE / 2
    np.testing.assert_allclose(floor[:, :2], [[-half, half], [half, half], [half, -half],
                                              [-half, -half]], atol=0.5)
    three = {k: v for k, v in _corners(_tilted()).items() if k != "bottom_left"}
    assert corner_camera(three, SIDE, SIZE) is None


def test_resolve_camera_prefers_the_corners_to_the_spread() -> None:
    cam = _tilted(18.0)
    uv = np.full((5, len(CATALOGUE), 2), np.nan)
    choice = resolve_camera(uv, np.ones(uv.shape[:2]), SIZE, arena_size_mm=SIDE,
                            arena_px=_corners(cam))
    assert choice.source == "arena-corners"
    assert choice.camera.height_mm == pytest.approx(700.0, rel=0.02)


def test_without_corners_the_tail_bases_spread_measures_the_arena() -> None:
    """The tail base went all over a 420 mm arena (400 mm of floor for it); the nose
    reached further out in the image (a raised head seen against a wall): the arena's span
    is the tail base's, the nose's only where the tail base is not tracked."""
    cam = Camera.top_view(700.0, 650.0, SIZE)
    rng = np.random.default_rng(0)
    n = 2000
    uv = np.full((n, len(CATALOGUE), 2), np.nan)
    tail, nose = CATALOGUE.index("tail_base"), CATALOGUE.index("nose")
    xy = rng.uniform(-200.0, 200.0, (n, 2))
    uv[:, tail] = cam.project(np.c_[xy, np.full(n, 0.0)])
    uv[:, nose] = cam.project(np.c_[xy * 1.15, np.full(n, 0.0)])
    conf = np.ones(uv.shape[:2])
    choice = resolve_camera(uv, conf, SIZE, arena_size_mm=SIDE)
    assert choice.details["arena_measured_from"] == "spread of the tail base"
    span = 400.0 * 0.99 * 650.0 / 700.0  # 0.5-99.5 percentile of a uniform 400 mm spread
    assert choice.details["arena_span_px"] == pytest.approx(span, rel=0.01)
    conf[:, tail] = 0.0
    choice = resolve_camera(uv, conf, SIZE, arena_size_mm=SIDE)
    assert choice.details["arena_measured_from"] == "spread of the tracked keypoints"
    assert choice.details["arena_span_px"] == pytest.approx(span * 1.15, rel=0.01)


def _rect_corners(cam: Camera, width: float, height: float) -> dict[str, list[float]]:
    world = np.array([[-width / 2, height / 2, 0], [width / 2, height / 2, 0],
                      [width / 2, -height / 2, 0], [-width / 2, -height / 2, 0]])
    uv = cam.project(world)
    return dict(zip(("top_left", "top_right", "bottom_right", "bottom_left"), uv.tolist(),
                    strict=True))


def test_rectangular_arena() -> None:
    cam = Camera.top_view(650.0, 700.0, SIZE, centre_xy=(0.0, 211.2),
                          tilt_rad=math.radians(18), tilt_direction_rad=math.pi / 2)
    corners = _rect_corners(cam, 600.0, 380.0)
    assert all(0 < u < SIZE[0] and 0 < v < SIZE[1] for u, v in corners.values())
    choice = corner_camera(corners, (600.0, 380.0), SIZE)
    assert choice is not None and choice.details["arena_size_mm"] == [600.0, 380.0]
    assert choice.camera.height_mm == pytest.approx(650.0, rel=1e-3)
    # read as a square, only a long lens far away would draw it: not believed
    assert corner_camera(corners, 600.0, SIZE) is None
    # a rectangle seen straight down with non-square pixels: the aspect is what the
    # rectangle's shape does not explain
    squashed = Camera.top_view(600.0, 700.0, SIZE, pixel_aspect=0.85)
    uv = np.full((5, len(CATALOGUE), 2), np.nan)
    got = resolve_camera(uv, np.ones(uv.shape[:2]), SIZE, arena_size_mm=(600.0, 380.0),
                         arena_px=_rect_corners(squashed, 600.0, 380.0))
    assert got.source == "arena-size"
    assert got.details["pixel_aspect"] == pytest.approx(0.85, rel=1e-3)
    assert got.details["mm_per_px"] == pytest.approx(600.0 / 700.0, rel=1e-3)


def test_corners_of_something_else_are_not_taken_for_the_arena(
        caplog: pytest.LogCaptureFixture) -> None:
    # an elevated plus maze's closed arms' ends named as corners (tl, tr, bl, br): a
    # 600 x 50 mm strip, lifted as a 600 mm square arena; the tail base walks the maze
    cam = Camera.top_view(900.0, 700.0, SIZE)
    strip = _rect_corners(cam, 50.0, 600.0)
    rng = np.random.default_rng(0)
    uv = np.full((400, len(CATALOGUE), 2), np.nan)
    walk = rng.uniform(-280.0, 280.0, 400)
    arm = rng.random(400) < 0.5  # along one arm or the other
    floor = np.stack([np.where(arm, walk, 0.0), np.where(arm, 0.0, walk),
                      np.zeros(400)], axis=1)
    uv[:, CATALOGUE.index("tail_base")] = cam.project(floor)
    with caplog.at_level(logging.WARNING):
        got = resolve_camera(uv, np.ones(uv.shape[:2]), SIZE, arena_size_mm=600.0,
                             arena_px=strip)
    assert "would need pixels 12.0 times taller than wide" in got.details["arena_corners_ignored"]
    assert "are not the corners of the 600 mm square arena" in caplog.text
    assert "pixel_aspect" not in got.details and got.camera.fy == got.camera.fx
    assert got.details["arena_measured_from"] == "spread of the tail base"
    # the 560 mm walked along an arm (700 / 900 px per mm) taken for the 600 mm given
    assert got.details["mm_per_px"] == pytest.approx(600.0 / (560.0 * 700.0 / 900.0),
                                                     rel=0.03)
    # the strip's true shape given: its corners are the arena's (non-square pixels aside)
    caplog.clear()
    same = resolve_camera(uv, np.ones(uv.shape[:2]), SIZE, arena_size_mm=(50.0, 600.0),
                          arena_px=strip)
    assert "arena_corners_ignored" not in same.details
    assert same.details["arena_measured_from"] == "tracked arena corners"


@pytest.mark.parametrize("bad", [0.0, -3.0, (400.0, 0.0), (1.0, 2.0, 3.0), "abc", float("nan")])
def test_arena_size_must_be_one_or_two_positive_sides(bad) -> None:
    from dlc_lifter.errors import DLCLifterError
    from dlc_lifter.lift.camera_estimate import arena_sides_mm

    with pytest.raises(DLCLifterError, match="arena_size_mm"):
        arena_sides_mm(bad)
    assert arena_sides_mm(420) == (420.0, 420.0) and arena_sides_mm([6, 4]) == (6.0, 4.0)


def test_swapped_corner_names_are_said(caplog: pytest.LogCaptureFixture) -> None:
    corners = _corners(_tilted())
    corners["top_left"], corners["top_right"] = corners["top_right"], corners["top_left"]
    with caplog.at_level(logging.WARNING):
        assert corner_camera(corners, SIDE, SIZE) is None
    assert "swapped" in caplog.text


def test_camera_from_the_animal_takes_a_real_mouse_s_length() -> None:
    """With no camera information the animal is the ruler, read as a real mouse: one 0.9 times
    the synthetic population's median length puts the camera where it is."""
    nose, tail = CATALOGUE.index("nose"), CATALOGUE.index("tail_base")
    lifter = stand_in_lifter()
    focal = (SIZE[0] - 1) / 2 / math.tan(math.radians(DEFAULT_HFOV_DEG) / 2)
    cam = Camera.top_view(640.0, focal, SIZE)
    rng = np.random.default_rng(0)
    length = 0.9 * 85.0  # real mice are held shorter than the synthetic population
    heading = rng.uniform(0, 2 * np.pi, 200)
    centre = rng.uniform(-150, 150, (200, 2))
    half = length / 2 * np.c_[np.cos(heading), np.sin(heading)]
    world = np.full((200, len(CATALOGUE), 3), np.nan)
    world[:, nose] = np.c_[centre + half, np.full(200, 20.0)]
    world[:, tail] = np.c_[centre - half, np.full(200, 30.0)]
    uv = np.full((200, len(CATALOGUE), 2), np.nan)
    uv[:, [nose, tail]] = cam.project(world[:, [nose, tail]].reshape(-1, 3)).reshape(200, 2, 2)
    conf = np.isfinite(uv).all(-1).astype(float)
    choice = resolve_camera(uv, conf, SIZE, lifter=lifter)  # type: ignore[arg-type]
    assert choice.source == "body-length-estimate"
    assert choice.details["real_length_factor"] == REAL_LENGTH_FACTOR
    assert choice.details["prior_length_mm"] == pytest.approx(length)
    assert choice.camera.height_mm == pytest.approx(640.0, rel=0.01)
    # the focal length given instead of assumed: the same camera, read the other way
    given = resolve_camera(uv, conf, SIZE, lifter=lifter, camera_height_mm=640.0)  # type: ignore[arg-type]
    assert given.camera.fx == pytest.approx(focal, rel=0.01)
    # filmed from below (the image mirrored back, as the lift does): the body lies farther
    # from the camera than the floor, so the same length puts the camera nearer
    axis = float(cam.K[0, 2])
    seen = cam.mirrored_below(axis).project(world[:, [nose, tail]].reshape(-1, 3))
    uv_below = uv.copy()
    uv_below[:, [nose, tail]] = seen.reshape(200, 2, 2) * [-1.0, 1.0] + [2.0 * axis, 0.0]
    below = resolve_camera(uv_below, conf, SIZE, lifter=lifter, below=True)  # type: ignore[arg-type]
    assert below.camera.height_mm == pytest.approx(640.0, rel=0.01)
    as_above = resolve_camera(uv_below, conf, SIZE, lifter=lifter)  # type: ignore[arg-type]
    assert as_above.camera.height_mm == pytest.approx(below.camera.height_mm + 50.0, rel=0.01)


def test_every_camera_warning_names_the_file(caplog: pytest.LogCaptureFixture) -> None:
    """In a batch lifted by several workers each warning must say which file it is about
    (a real survey found "No calibration, camera height or arena size: ..." and "The animal
    looks 12% longer ..." with no file): the animal as the ruler beside tracked corners, the
    corners' names swapped, and a maze's arm ends taken for an arena's corners."""
    nose, tail = CATALOGUE.index("nose"), CATALOGUE.index("tail_base")
    cam = Camera.top_view(640.0, 700.0, SIZE)
    rng = np.random.default_rng(0)
    heading = rng.uniform(0, 2 * np.pi, 1500)
    centre = rng.uniform(-150, 150, (1500, 2))
    half = 38.0 * np.c_[np.cos(heading), np.sin(heading)]
    world = np.zeros((1500, 2, 3))
    world[:, 0, :2], world[:, 1, :2] = centre + half, centre - half
    uv = np.full((1500, len(CATALOGUE), 2), np.nan)
    uv[:, [nose, tail]] = cam.project(world.reshape(-1, 3)).reshape(1500, 2, 2)
    uv[:, :, 1] *= 1.3  # pixels taller than wide: the animal looks longer heading up
    conf = np.isfinite(uv).all(-1).astype(float)
    swapped = _corners(_tilted())
    swapped["top_left"], swapped["top_right"] = swapped["top_right"], swapped["top_left"]
    with caplog.at_level(logging.WARNING, logger="dlc_lifter.lift.camera_estimate"):
        resolve_camera(uv, conf, SIZE, lifter=stand_in_lifter(),  # type: ignore[arg-type]
                       arena_px=_corners(cam), file_label="mouse.h5")
        corner_camera(swapped, SIDE, SIZE, file_label="mouse.h5")
        resolve_camera(uv, conf, SIZE, lifter=stand_in_lifter(),  # type: ignore[arg-type]
                       arena_size_mm=600.0, arena_px=_rect_corners(cam, 50.0, 600.0),
                       file_label="mouse.h5")
    said = [r.getMessage() for r in caplog.records
            if r.name == "dlc_lifter.lift.camera_estimate" and r.levelno >= logging.WARNING]
    for start in ("No calibration, camera height or arena size", "The animal looks",
                  "The file tracks the arena's corners", "The arena's tracked corners run",
                  "The points tracked as the arena's corners are not"):
        assert any(m.startswith(f"mouse.h5: {start}") for m in said), (start, said)
    assert all(m.startswith("mouse.h5: ") for m in said), said


def test_a_labelled_data_folder_of_five_images_is_its_own_ruler(
        caplog: pytest.LogCaptureFixture) -> None:
    """A DLC labelled-data folder holds a few images (5 to 20): with no camera information
    the animal's length over them still sets the camera, with a warning that names how few
    frames measured it; under :data:`BODY_PAIR_FEW_FRAMES` it stops with the message."""
    nose, tail = CATALOGUE.index("nose"), CATALOGUE.index("tail_base")
    focal = (SIZE[0] - 1) / 2 / math.tan(math.radians(DEFAULT_HFOV_DEG) / 2)
    cam = Camera.top_view(500.0, focal, SIZE)
    heading = np.linspace(0.3, 5.9, 5)
    centre = np.c_[np.linspace(-100, 100, 5), np.linspace(50, -60, 5)]
    half = 0.9 * 85.0 / 2 * np.c_[np.cos(heading), np.sin(heading)]
    world = np.stack([np.c_[centre + half, np.full(5, 20.0)],
                      np.c_[centre - half, np.full(5, 30.0)]], 1)
    uv = np.full((5, len(CATALOGUE), 2), np.nan)
    uv[:, [nose, tail]] = cam.project(world.reshape(-1, 3)).reshape(5, 2, 2)
    conf = np.isfinite(uv).all(-1).astype(float)
    ok = conf > 0
    assert BODY_PAIR_FEW_FRAMES <= 5 < BODY_PAIR_FRAMES
    assert body_length_pair(ok, stand_in_lifter().model.pair_length_mm) == "nose-tail_base"
    with caplog.at_level(logging.WARNING):
        choice = resolve_camera(uv, conf, SIZE, lifter=stand_in_lifter(),  # type: ignore[arg-type]
                                file_label="CollectedData_me.h5")
    assert choice.source == "body-length-estimate"
    assert choice.details["body_pair_frames"] == 5
    assert choice.camera.height_mm == pytest.approx(500.0, rel=0.01)
    assert "CollectedData_me.h5: the animal's length was measured on only 5 frames" in caplog.text
    # a whole session (10 frames or more) gets no such warning
    caplog.clear()
    many = np.concatenate([uv, uv])
    with caplog.at_level(logging.WARNING):
        resolve_camera(many, np.concatenate([conf, conf]), SIZE, lifter=stand_in_lifter())  # type: ignore[arg-type]
    assert "measured on only" not in caplog.text
    # two frames are too few: the message says what to give
    with pytest.raises(DLCLifterError, match=f"at least {BODY_PAIR_FEW_FRAMES} frames.*"
                       "camera_height_mm"):
        resolve_camera(uv[:2], conf[:2], SIZE, lifter=stand_in_lifter())  # type: ignore[arg-type]


def test_an_arena_the_animal_did_not_cross_is_not_measured_from_its_spread(
        caplog: pytest.LogCaptureFixture) -> None:
    """A mouse resting in a corner of a 400 mm arena (its tail base within 10 mm): its
    spread would make it a metre long, so the arena's size is not used and the camera
    comes from the animal; a mouse that went from wall to wall keeps the arena's scale."""
    nose, tail = CATALOGUE.index("nose"), CATALOGUE.index("tail_base")
    lifter = stand_in_lifter()
    cam = Camera.top_view(700.0, 650.0, SIZE)
    rng = np.random.default_rng(1)

    def mouse(n: int, spread_mm: float) -> np.ndarray:
        heading = rng.uniform(0, 2 * np.pi, n)
        centre = rng.uniform(-spread_mm / 2, spread_mm / 2, (n, 2))
        half = 0.9 * 85.0 / 2 * np.c_[np.cos(heading), np.sin(heading)]
        uv = np.full((n, len(CATALOGUE), 2), np.nan)
        uv[:, nose] = cam.project(np.c_[centre + half, np.full(n, 20.0)])
        uv[:, tail] = cam.project(np.c_[centre - half, np.full(n, 30.0)])
        return uv

    explored = mouse(800, 330.0)
    choice = resolve_camera(explored, np.ones(explored.shape[:2]), SIZE, arena_size_mm=SIDE,
                            lifter=lifter, file_label="explored.h5")  # type: ignore[arg-type]
    assert choice.source == "arena-size" and "arena_size_ignored" not in choice.details
    resting = mouse(200, 10.0)
    with caplog.at_level(logging.WARNING):
        choice = resolve_camera(resting, np.ones(resting.shape[:2]), SIZE, arena_size_mm=SIDE,
                                lifter=lifter, file_label="resting.h5")  # type: ignore[arg-type]
    assert choice.source == "body-length-estimate"
    ignored = choice.details["arena_size_ignored"]
    assert ignored["arena_size_mm"] == SIDE and ignored["animal_length_mm"] > 2 * 0.9 * 85.0
    assert "arena_measured_from" not in choice.details  # so no walls from the track
    assert choice.camera.height_mm == pytest.approx(700.0, rel=0.1)
    assert "resting.h5: The arena's size given is not used (" in caplog.text
    assert "did not go from wall to wall" in caplog.text


def test_a_dam_and_her_pups_take_the_scale_from_the_adult(
        caplog: pytest.LogCaptureFixture) -> None:
    """The scale prior is an adult's length: much smaller animals (pups) are left out of it,
    with a warning naming every animal's length; similar animals all count."""
    from dlc_lifter.lift.camera_estimate import adults_for_scale

    rng = np.random.default_rng(0)
    t, k = 30, len(CATALOGUE)
    pair_mm, median_h = np.full((k, k), 85.0), np.full(k, 20.0)
    uv = np.full((t, 3, k, 2), np.nan)
    nose, tail = CATALOGUE.index("nose"), CATALOGUE.index("tail_base")
    for i, length in enumerate((200.0, 90.0, 95.0)):  # a dam, two pups
        uv[:, i, tail] = rng.uniform(200, 400, (t, 2))
        uv[:, i, nose] = uv[:, i, tail] + [length, 0.0]
    ok = np.isfinite(uv).all(-1)
    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        keep = adults_for_scale(uv, ok, ["dam", "pup1", "pup2"], pair_mm, median_h,
                                "nest.csv")
    assert keep.tolist() == [True, False, False]
    assert "nest.csv" in caplog.text and "nose-tail_base" in caplog.text
    assert "dam 200" in caplog.text and "pup1 90" in caplog.text
    uv[:, 1, nose] = uv[:, 1, tail] + [180.0, 0.0]  # two adults and one pup
    assert adults_for_scale(uv, ok, ["a", "b", "c"], pair_mm, median_h).tolist() == [
        True, True, False]
    uv[:, 2, nose] = uv[:, 2, tail] + [170.0, 0.0]
    assert adults_for_scale(uv, ok, ["a", "b", "c"], pair_mm, median_h).all()


def test_the_arena_size_from_the_corners_and_a_floor_scale() -> None:
    from dlc_lifter.lift.camera_estimate import arena_size_from_scale

    corners = {"top_left": (10.0, 20.0), "top_right": (410.0, 20.0),
               "bottom_right": (410.0, 320.0), "bottom_left": (10.0, 320.0)}
    assert arena_size_from_scale(corners, 1.3) == (520.0, 390.0)
    assert arena_size_from_scale(corners, 0.0) is None
    assert arena_size_from_scale({"top_left": (0.0, 0.0), "top_right": (9.0, 0.0)}, 1.0) is None
    assert arena_size_from_scale(None, 1.0) is None


@pytest.mark.parametrize(("source", "kind"), [
    ("calibration", "calibration"), ("calibration, filmed from below", "calibration"),
    ("arena-size, filmed from below", "arena-size"),
    ("body-length-estimate", "body-length-estimate")])
def test_how_a_camera_was_found_ignores_what_follows_its_kind(source: str, kind: str) -> None:
    assert source_kind(source) == kind


def test_the_frame_size_guessed_from_sure_points_only(caplog: pytest.LogCaptureFixture
                                                      ) -> None:
    """A file lifted without its video and frame size: the size is guessed from the extent
    of the points, unsure ones included up to 1.5 times the sure ones' extent; a few
    unsure ones far outside the frame (a real multi-animal DLC file's juvenile hip at x
    1418-3123 px, likelihood 0.01, in 1280 px frames) do not stretch it."""
    from dlc_lifter.lift.camera_estimate import resolve_image_size
    from dlc_lifter.poses import Poses

    rng = np.random.default_rng(0)
    coords = rng.uniform([0, 0], [1199, 899], (50, 1, 4, 2))
    conf = np.full((50, 1, 4), 0.9)
    coords[:5, 0, 3] = [3100.0, 400.0]
    conf[:6, 0, 3] = 0.01
    coords[5, 0, 3] = [1290.0, 400.0]  # unsure, near the frame's edge: in the frame
    poses = Poses(coords=coords, confidence=conf, keypoints=["a", "b", "c", "d"])
    with caplog.at_level(logging.WARNING):
        w, h = resolve_image_size(poses, None, None, None)
    assert (w, h) == (1291, int(np.ceil(coords[..., 1].max())) + 1)
    assert "image size unknown" in caplog.text
    # nothing sure (movement's sample of a tracker unsure of every point): refused, saying so
    unsure = Poses(coords=coords, confidence=np.full((50, 1, 4), 0.001),
                   keypoints=["a", "b", "c", "d"])
    with pytest.raises(DLCLifterError, match="no point has a likelihood of 0.6 or more"):
        resolve_image_size(unsure, None, None, None)
    # points that span a few pixels are not a video's frame ("assuming 516x5")
    flat = coords.copy()
    flat[..., 1] = rng.uniform(0, 4, flat.shape[:-1])
    with pytest.raises(DLCLifterError, match=r"reach only \d+x5 px"):
        resolve_image_size(Poses(coords=flat, confidence=conf, keypoints=["a", "b", "c", "d"]),
                           None, None, None)


def test_a_size_given_is_checked_against_sure_points_only(
        caplog: pytest.LogCaptureFixture) -> None:
    """A frame size given (``--image-size``) is checked against the points the tracker is
    sure of: a real DLC file's unsure points out to x 1249 in frames its sure points fill to
    964 made "23 tracked point(s) lie outside ... the right way round?" where none did."""
    from dlc_lifter.lift.camera_estimate import resolve_image_size
    from dlc_lifter.poses import Poses

    coords = np.random.default_rng(1).uniform([0, 0], [960, 650], (50, 1, 4, 2))
    conf = np.full((50, 1, 4), 0.9)
    coords[:23, 0, 3, 0] = 1249.0
    conf[:23, 0, 3] = 0.05
    poses = Poses(coords=coords, confidence=conf, keypoints=["a", "b", "c", "d"])
    with caplog.at_level(logging.WARNING):
        assert resolve_image_size(poses, None, None, (966, 658)) == (966, 658)
    assert "outside" not in caplog.text
    conf[:23, 0, 3] = 0.9  # sure of them: the size given cannot be the frames'
    with caplog.at_level(logging.WARNING):
        resolve_image_size(Poses(coords=coords, confidence=conf, keypoints=["a", "b", "c", "d"]),
                           None, None, (966, 658))
    assert "23 tracked point(s) lie outside the 966x658 image given" in caplog.text


def test_the_frame_size_says_where_it_came_from() -> None:
    from dlc_lifter.lift.camera_estimate import image_size_and_source
    from dlc_lifter.poses import Poses

    coords = np.random.default_rng(1).uniform([0, 0], [600, 400], (20, 1, 4, 2))
    poses = Poses(coords=coords, confidence=np.full((20, 1, 4), 0.9),
                  keypoints=["a", "b", "c", "d"])
    assert image_size_and_source(poses, (640, 480), None)[1] == "video"
    assert image_size_and_source(poses, None, None, (800, 600)) == ((800, 600), "given")
    assert image_size_and_source(poses, None, "cal.toml")[1] == "calibration"
    assert image_size_and_source(poses, None, None)[1] == "keypoints"
    poses.meta.image_size = (640, 480)
    assert image_size_and_source(poses, None, "cal.toml") == ((640, 480), "file")
    # points beyond the size given and inside the file's: the file's
    assert image_size_and_source(poses, None, None, (320, 240)) == ((640, 480), "file")


def _mouse_track(cam: Camera) -> tuple[np.ndarray, np.ndarray]:
    """Nose and tail base of a real-sized mouse wandering under ``cam``: pixels, likelihoods."""
    nose, tail = CATALOGUE.index("nose"), CATALOGUE.index("tail_base")
    rng = np.random.default_rng(1)
    heading = rng.uniform(0, 2 * np.pi, 200)
    centre = rng.uniform(-150, 150, (200, 2))
    half = 0.9 * 85.0 / 2 * np.c_[np.cos(heading), np.sin(heading)]
    world = np.stack([np.c_[centre + half, np.full(200, 20.0)],
                      np.c_[centre - half, np.full(200, 30.0)]], 1)
    uv = np.full((200, len(CATALOGUE), 2), np.nan)
    uv[:, [nose, tail]] = cam.project(world.reshape(-1, 3)).reshape(200, 2, 2)
    return uv, np.isfinite(uv).all(-1).astype(float)


def test_a_height_alone_is_said_to_be_used(caplog: pytest.LogCaptureFixture) -> None:
    """camera_height_mm without focal_px: the warning says the height was given and the
    focal length estimated (it said "No calibration, camera height ... focal given")."""
    uv, conf = _mouse_track(Camera.top_view(640.0, 700.0, SIZE))
    with caplog.at_level(logging.WARNING):
        resolve_camera(uv, conf, SIZE, lifter=stand_in_lifter(),  # type: ignore[arg-type]
                       camera_height_mm=640.0)
    assert "No calibration, camera height" not in caplog.text
    assert "height given without its focal length" in caplog.text
    assert "estimated the focal length" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        resolve_camera(uv, conf, SIZE, lifter=stand_in_lifter(),  # type: ignore[arg-type]
                       focal_px=700.0)
    assert "focal length given without the camera's height" in caplog.text
    assert "estimated the camera's height" in caplog.text


@pytest.mark.parametrize("focal", [8.0, 25.0])
def test_a_focal_length_in_mm_is_refused(focal: float) -> None:
    """An 8 mm lens's focal length typed as pixels (177 deg across 800 px) stops the lift
    with one message naming focal_px and what a focal length in pixels is."""
    uv, conf = _mouse_track(Camera.top_view(640.0, 700.0, SIZE))
    with pytest.raises(DLCLifterError, match=r"focal_px .* deg field of view.*in pixels"):
        resolve_camera(uv, conf, SIZE, lifter=stand_in_lifter(),  # type: ignore[arg-type]
                       camera_height_mm=640.0, focal_px=focal)
    # a wide but real lens is taken
    resolve_camera(uv, conf, SIZE, lifter=stand_in_lifter(),  # type: ignore[arg-type]
                   camera_height_mm=640.0, focal_px=250.0)
