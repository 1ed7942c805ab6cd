"""The arena's walls bound the heights: no point of the animal lies inside a wall."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from dlc_lifter.camera import Camera
from dlc_lifter.lift.walls import (
    TRACK_BEYOND_MM,
    TRACK_MARGIN_MM,
    TRACK_MAX_BEYOND_SHARE,
    TRACK_MIN_COVER,
    WALL_MARGIN_MM,
    ArenaWalls,
    arena_walls,
    outline_cover,
    raise_into_arena,
    wall_heights,
    walls_from_track,
)
from dlc_lifter.nets.lifter import floor_points
from dlc_lifter.poses import PoseMetadata, Poses

H, F, SIZE = 500.0, 500.0, (640, 480)
SIDE = 400.0  # arena, centred under the camera
CORNERS = {"tl": (-200.0, 200.0), "tr": (200.0, 200.0), "br": (200.0, -200.0),
           "bl": (-200.0, -200.0)}
#: A mouse rearing against the right-hand wall (x = 200), facing it: its raised head leans
#: out past the wall as seen from above.
WALL_REAR = {"snout": (198.0, 0.0, 85.0), "leftear": (186.0, 9.0, 72.0),
             "rightear": (186.0, -9.0, 72.0), "tailbase": (125.0, 0.0, 8.0)}


def _camera() -> Camera:
    return Camera.top_view(H, F, SIZE)


def _square(half: float = SIDE / 2, margin: float = 5.0) -> ArenaWalls:
    return ArenaWalls(np.array([[-half, half], [half, half], [half, -half], [-half, -half]]),
                      margin)


def test_a_ray_beyond_the_wall_comes_inside_at_its_height() -> None:
    walls = _square()
    centre = np.array([0.0, 0.0, H])
    floor = np.array([[250.0, 0.0], [150.0, 30.0], [0.0, -260.0], [np.nan, 0.0]])
    h = wall_heights(floor, centre, walls)
    # F + t (N - F) reaches x = 205 (the wall widened by its margin) at t = 45 / 250
    assert h[0] == pytest.approx(H * 45 / 250)
    assert h[1] == 0.0  # inside
    assert h[2] == pytest.approx(H * 55 / 260)
    assert np.isnan(h[3])
    # a nadir outside the arena whose ray never comes inside: no bound
    assert np.isnan(wall_heights(np.array([[400.0, 0.0]]), np.array([600.0, 0.0, H]), walls))[0]


def test_a_flat_nose_tracking_noise_puts_past_the_corners_is_not_raised() -> None:
    """The corners' and the keypoints' tracking put a flat nose at the wall up to about a
    centimetre past the corners' outline: the band leaves it on the floor (a 5 mm band
    raised such noses, one point of a head at a time, up to 50 mm and more on real open
    fields: skulls stretched, rears invented)."""
    centre = np.array([0.0, 0.0, H])
    nose = np.array([[212.0 * (H - 10.0) / H, 0.0, 10.0]])  # its ray meets the floor at 212
    raised = raise_into_arena(nose, np.array([True]), centre, _square(200.0, WALL_MARGIN_MM))
    assert not raised.any() and nose[0, 2] == 10.0
    raised = raise_into_arena(nose, np.array([True]), centre, _square(200.0, 5.0))
    assert raised.all() and nose[0, 2] > 15.0  # the band before


def test_raised_points_stay_on_their_rays_and_others_do_not_move() -> None:
    cam = _camera()
    walls = _square()
    # floor point 230 mm out at 5 mm (raised to 54.3 mm); 196 mm out at 80 mm (already above
    # its bound); inside; imputed
    pts = np.array([[[230.0 * 495 / 500, 0.0, 5.0], [196.0, 0.0, 80.0], [100.0, 0.0, 5.0],
                     [230.0, 0.0, 5.0]]])
    lifted = np.array([[True, True, True, False]])  # the last is imputed: no ray
    before = pts.copy()
    uv = cam.project(pts)
    raised = raise_into_arena(pts, lifted, cam.centre, walls)
    assert raised.tolist() == [[True, False, False, False]]
    np.testing.assert_allclose(cam.project(pts), uv, atol=1e-9)  # on the same rays
    h_min = wall_heights(floor_points(uv[:, :1], cam), cam.centre, walls)[0, 0]
    assert pts[0, 0, 2] == pytest.approx(h_min) == pytest.approx(H * 25 / 230)
    np.testing.assert_array_equal(pts[0, 1:], before[0, 1:])


def test_corners_that_do_not_enclose_the_animal_are_not_walls() -> None:
    cam = _camera()
    px = {name: cam.project(np.array([*xy, 0.0]))[:2].tolist()
          for name, xy in (("top_left", (-50, 50)), ("top_right", (50, 50)),
                           ("bottom_right", (50, -50)), ("bottom_left", (-50, -50)))}
    inside = np.zeros((20, 1, 2))
    outside = np.full((20, 1, 2), 150.0)
    assert arena_walls(px, cam, floor=inside)[0] is not None
    walls, reason = arena_walls(px, cam, floor=outside)
    assert walls is None and "do not enclose" in reason
    walls, reason = arena_walls({k: v for k, v in px.items() if k != "top_left"}, cam)
    assert walls is None and "four corners" in reason
    twisted = dict(px, top_left=px["top_right"], top_right=px["top_left"])
    assert arena_walls(twisted, cam)[0] is None


def _square_track(n: int, half: float, seed: int = 0) -> np.ndarray:
    """Tail-base positions spread over a square (a mouse that went everywhere)."""
    return np.random.default_rng(seed).uniform(-half, half, (n, 2))


def test_the_tail_bases_track_outlines_the_floor() -> None:
    track = _square_track(2000, 188.0)  # the tail base keeps 12 mm from 200 mm walls
    track[::50] = np.nan  # untracked frames are left out
    walls, reason = walls_from_track(track)
    assert walls is not None and reason == "" and walls.margin_mm == TRACK_MARGIN_MM
    assert (np.abs(walls.outline) <= 188.0).all()  # the hull of where it went
    # the walls (and a flat nose poking at them) are inside the widened outline; a point
    # 40 mm past a wall is not
    on_walls = np.array([[200.0, 0.0], [0.0, -200.0], [-200.0, 150.0], [150.0, 200.0]])
    assert walls.inside(on_walls).all()
    assert not walls.inside(on_walls * 1.2).any()
    walls, reason = walls_from_track(track[:300])
    assert walls is None and "fewer than the 500" in reason
    line = np.stack([np.linspace(-100, 100, 600), np.zeros(600)], axis=1)
    walls, reason = walls_from_track(line)
    assert walls is None and "does not outline" in reason


def test_a_track_the_lifted_animal_reaches_far_past_is_not_walls() -> None:
    track = _square_track(2000, 188.0)
    rng = np.random.default_rng(4)
    # as lifted, each frame's points: the tail base and a nose 75 mm ahead in any direction
    angle = rng.uniform(0.0, 2 * np.pi, len(track))
    nose = track + 75.0 * np.c_[np.cos(angle), np.sin(angle)]
    # in an arena whose walls the tail base went along, the nose stays near them
    nose_in = np.clip(nose, -205.0, 205.0)
    points = np.stack([track, nose_in], axis=1)
    points[::7, 1] = np.nan  # untracked noses are left out
    walls, reason = walls_from_track(track, points=points)
    assert walls is not None and reason == ""
    edge = np.array([[188.0 + TRACK_MARGIN_MM + 3.0, 0.0]])
    assert walls.beyond(edge) == pytest.approx(3.0, abs=1.0)
    assert walls.beyond(np.array([[0.0, 0.0]]))[0] < 0 and np.isnan(walls.beyond(
        np.array([[np.nan, 0.0]])))[0]
    # a wall the tail base never went along: the nose goes 60 mm past its track's edge
    # at the left in a tenth of the frames (a mouse sniffing at a wall it only faced)
    far = rng.random(len(track)) < 2 * TRACK_MAX_BEYOND_SHARE
    nose_far = nose_in.copy()
    nose_far[far] = np.c_[np.full(far.sum(), -188.0 - TRACK_MARGIN_MM - TRACK_BEYOND_MM - 20.0),
                          track[far, 1]]
    walls, reason = walls_from_track(track, points=np.stack([track, nose_far], axis=1))
    assert walls is None
    assert "past the tail base's track" in reason and "does not follow the walls" in reason
    # the same few frames (under the share) leave the walls
    few = far & (np.cumsum(far) <= 0.5 * TRACK_MAX_BEYOND_SHARE * len(track))
    nose_few = np.where(few[:, None], nose_far, nose_in)
    assert walls_from_track(track, points=np.stack([track, nose_few], axis=1))[0] is not None


def test_a_mazes_arms_are_not_walls() -> None:
    # an elevated plus maze: arms 50 mm wide reaching 300 mm out; the hull of the track is
    # a diamond whose sides cross open space
    rng = np.random.default_rng(3)
    along = rng.uniform(-300.0, 300.0, 2000)
    across = rng.uniform(-20.0, 20.0, 2000)
    arm = rng.random(2000) < 0.5
    plus = np.where(arm[:, None], np.c_[along, across], np.c_[across, along])
    walls, reason = walls_from_track(plus)
    assert walls is None and "(a maze's arms?)" in reason
    cover = float(reason.split("only ")[1].split(" %")[0]) / 100
    assert cover < TRACK_MIN_COVER
    # a square arena's track follows its outline all round
    assert outline_cover(walls_from_track(_square_track(2000, 188.0))[0].outline,
                         _square_track(2000, 188.0)) > 0.9


def _walking_then_rearing(n_walk: int = 600) -> Poses:
    """A flat mouse all over a 400 mm arena (no corners tracked), then rearing against its
    right-hand wall (:data:`WALL_REAR`)."""
    cam = _camera()
    rng = np.random.default_rng(1)
    tail = _square_track(n_walk, 150.0, seed=2)
    heading = np.arctan2(-tail[:, 1], -tail[:, 0]) + rng.uniform(-1.0, 1.0, n_walk)
    ahead = np.stack([np.cos(heading), np.sin(heading)], axis=1)
    side = np.stack([-ahead[:, 1], ahead[:, 0]], axis=1)
    flat = np.stack([np.c_[tail + 75 * ahead, np.full(n_walk, 15.0)],
                     np.c_[tail + 55 * ahead + 9 * side, np.full(n_walk, 25.0)],
                     np.c_[tail + 55 * ahead - 9 * side, np.full(n_walk, 25.0)],
                     np.c_[tail, np.full(n_walk, 10.0)]], axis=1)
    rear = np.broadcast_to(np.array(list(WALL_REAR.values())), (12, 4, 3))
    uv = cam.project(np.concatenate([flat, rear]))
    coords = uv[:, None] + rng.normal(0.0, 0.3, (len(uv), 1, 4, 2))
    return Poses(coords=coords, confidence=np.full(coords.shape[:3], 0.95),
                 keypoints=list(WALL_REAR), individuals=["mouse"],
                 meta=PoseMetadata(source="walk_rear.h5", fps=30.0, image_size=SIZE))


def test_without_corners_the_arenas_size_takes_the_walls_from_the_track(
        shipped_lifter, caplog: pytest.LogCaptureFixture) -> None:
    from dlc_lifter.lift import lift_poses

    poses = _walking_then_rearing()
    kw = dict(lifter=shipped_lifter, impute_all=False, arena_size_mm=SIDE)
    with caplog.at_level(logging.INFO, logger="dlc_lifter.lift.poses"):
        bounded = lift_poses(poses, **kw)
    free = lift_poses(poses, walls=False, **kw)
    record = bounded.meta.extra["walls"]
    assert record["used"] and record["outline"] == "track"
    assert record["margin_mm"] == TRACK_MARGIN_MM
    assert "beyond where the tail base went" in caplog.text
    z, z_free = bounded.coords[..., 2], free.coords[..., 2]
    assert (z >= z_free - 1e-6).all()  # a bound only raises
    snout = list(bounded.keypoints).index("snout")
    assert (z[-12:, 0, snout] > z_free[-12:, 0, snout] + 5.0).all()  # the rears' snouts
    assert np.median(z[:-12, 0, snout] - z_free[:-12, 0, snout]) == 0.0  # flat mice stay
    cam = bounded.meta.extra["camera"]
    from dlc_lifter.camera import Camera

    np.testing.assert_allclose(Camera.from_dict(cam).project(bounded.coords[:, 0]),
                               poses.coords[:, 0], atol=1e-6)  # on their rays
    # no arena size: the camera comes from the animal, nothing says there are walls
    assert lift_poses(poses, lifter=shipped_lifter, impute_all=False).meta.extra["walls"] is None
    # too short a session to outline anything
    short = lift_poses(poses.select(frames=slice(-112, None)), **kw).meta.extra["walls"]
    assert short["used"] is False and "fewer than" in short["reason"]


def test_a_flat_mouse_facing_a_wall_its_tail_base_never_went_along_is_not_raised(
        shipped_lifter, caplog: pytest.LogCaptureFixture) -> None:
    from dlc_lifter.lift import lift_poses

    walk = _walking_then_rearing()  # the tail base reaches 150 mm from the middle
    cam = _camera()
    # then 150 frames flat, facing the right-hand wall with the nose at it: the tail base
    # 75 mm behind, never nearer that wall than where it went before
    n = 150
    y = np.random.default_rng(5).uniform(-120.0, 120.0, n)
    facing = np.stack([np.c_[np.full(n, 198.0), y, np.full(n, 15.0)],
                       np.c_[np.full(n, 178.0), y + 9, np.full(n, 25.0)],
                       np.c_[np.full(n, 178.0), y - 9, np.full(n, 25.0)],
                       np.c_[np.full(n, 123.0), y, np.full(n, 10.0)]], axis=1)
    uv = np.concatenate([walk.coords[:, 0], cam.project(facing)])[:, None]
    poses = Poses(coords=uv, confidence=np.full(uv.shape[:3], 0.95),
                  keypoints=list(WALL_REAR), individuals=["mouse"],
                  meta=PoseMetadata(source="facing_wall.h5", fps=30.0, image_size=SIZE))
    kw = dict(lifter=shipped_lifter, impute_all=False, arena_size_mm=SIDE)
    with caplog.at_level(logging.INFO, logger="dlc_lifter.lift.poses"):
        bounded = lift_poses(poses, **kw)
    record = bounded.meta.extra["walls"]
    assert record["used"] is False and "does not follow the walls" in record["reason"]
    assert "facing_wall.h5: the arena's walls do not bound the heights" in caplog.text
    free = lift_poses(poses, walls=False, **kw)
    np.testing.assert_array_equal(bounded.coords, free.coords)  # nothing raised


def test_corners_of_something_else_give_neither_scale_nor_walls(shipped_lifter) -> None:
    from dlc_lifter.lift import lift_poses

    # the points named as corners outline a 30 x 400 mm strip (a maze's arm ends), not
    # the 400 mm square arena given: the lift measures the arena as if they were not
    # tracked, and takes no walls (a maze's open arms have none)
    walk = _walking_then_rearing()
    strip = {"tl": (-15.0, 200.0), "tr": (15.0, 200.0), "br": (15.0, -200.0),
             "bl": (-15.0, -200.0)}
    uv = _camera().project(np.array([(*xy, 0.0) for xy in strip.values()]))
    n = walk.n_frames
    coords = np.concatenate([walk.coords, np.broadcast_to(uv, (n, 1, 4, 2))], axis=2)
    poses = Poses(coords=coords, confidence=np.full(coords.shape[:3], 0.95),
                  keypoints=[*walk.keypoints, *strip], individuals=["mouse"],
                  meta=walk.meta)
    kw = dict(lifter=shipped_lifter, impute_all=False, arena_size_mm=SIDE)
    got = lift_poses(poses, **kw)
    plain = lift_poses(walk, **kw)
    estimate = got.meta.extra["camera_estimate"]
    assert "13.3 times taller than wide" in estimate["arena_corners_ignored"]
    assert estimate["arena_measured_from"] == "spread of the tail base"
    walls = got.meta.extra["walls"]
    assert walls["used"] is False and "(a maze?)" in walls["reason"]
    assert plain.meta.extra["walls"]["outline"] == "track"
    unbounded = lift_poses(walk, walls=False, **kw)
    np.testing.assert_allclose(got.coords, unbounded.coords, atol=1e-4)


def _wall_rear_poses(n: int = 12, corners: dict | None = None) -> Poses:
    cam = _camera()
    world = {**WALL_REAR, **{k: (*xy, 0.0) for k, xy in (corners or CORNERS).items()}}
    xyz = np.array(list(world.values()), dtype=float)
    uv = cam.project(xyz)
    rng = np.random.default_rng(0)
    coords = uv[None, None] + rng.normal(0.0, 0.3, (n, 1, *uv.shape))
    return Poses(coords=coords, confidence=np.full(coords.shape[:3], 0.95),
                 keypoints=list(world), individuals=["mouse"],
                 meta=PoseMetadata(source="wall_rear.h5", fps=30.0, image_size=SIZE))


def test_a_lift_raises_points_beyond_the_walls_and_records_it(
        shipped_lifter, caplog: pytest.LogCaptureFixture) -> None:
    from dlc_lifter.lift import lift_poses

    poses = _wall_rear_poses()
    kw = dict(lifter=shipped_lifter, camera_height_mm=H, focal_px=F, impute_all=False)
    with caplog.at_level(logging.INFO, logger="dlc_lifter.lift.poses"):
        bounded = lift_poses(poses, **kw)
    free = lift_poses(poses, walls=False, **kw)
    assert free.meta.extra["walls"] is None
    record = bounded.meta.extra["walls"]
    assert record["used"] and record["margin_mm"] == WALL_MARGIN_MM
    cam = _camera()  # the camera the lift builds from the height, focal length and size
    z_free, z = free.coords[..., 2], bounded.coords[..., 2]
    uv = poses.coords[:, :, :4]
    names = {"tl": "top_left", "tr": "top_right", "br": "bottom_right", "bl": "bottom_left"}
    corners_px = {names[k]: np.median(poses.coords[:, 0, poses.keypoints.index(k)], axis=0)
                  for k in CORNERS}  # as the lift takes them: the tracked corners' medians
    walls, _ = arena_walls(corners_px, cam)
    h_min = wall_heights(floor_points(uv, cam), cam.centre, walls)
    bound = np.maximum(z_free, h_min)
    assert (h_min[..., 0] > 40.0).all()  # the snout's ray meets the floor past the wall
    np.testing.assert_allclose(z[..., 3], bound[..., 3], atol=1e-6)  # the tail base alone
    # the head (snout, ears) rises as one: each of its points at least as much as the most
    # raised of them, and never below its own bound (was: the snout alone, pitched up past
    # ears the walls did not reach)
    rise = (bound - z_free)[..., :3].max(-1)
    np.testing.assert_allclose(z[..., :3], np.maximum(bound[..., :3],
                                                      z_free[..., :3] + rise[..., None]),
                               atol=1e-6)
    assert ((z - z_free)[..., 1:3] > 20.0).all()  # the ears went up with the snout
    assert record["points_raised"] == int((z > z_free + 1e-9).sum())
    assert record["points_raised"] > 0 and "beyond the arena's walls" in caplog.text


def test_a_lift_whose_corners_do_not_enclose_the_animal_leaves_it(shipped_lifter) -> None:
    from dlc_lifter.lift import lift_poses

    small = {k: (x / 8, y / 8) for k, (x, y) in CORNERS.items()}  # a 50 mm zone at the centre
    poses = _wall_rear_poses(corners=small)
    out = lift_poses(poses, lifter=shipped_lifter, camera_height_mm=H, focal_px=F,
                     impute_all=False)
    record = out.meta.extra["walls"]
    assert record["used"] is False and "do not enclose" in record["reason"]


def test_live_lifting_takes_the_walls_after_its_first_frames(shipped_lifter) -> None:
    from dlc_lifter.lift.live import LiveLifter

    poses = _wall_rear_poses(n=14)
    names, cam = list(poses.keypoints), _camera()
    rows = np.concatenate([poses.coords[:, 0], poses.confidence[:, 0, :, None]], axis=-1)

    def run(walls: bool) -> tuple[LiveLifter, np.ndarray]:
        live = LiveLifter(cam, names, shipped_lifter, impute_all=False, size_frames=8,
                          walls=walls)
        return live, np.stack([live.step(r).pose_3d for r in rows])

    live, z = run(True)
    free, z_free = run(False)
    assert free.walls is None and live.walls is not None
    np.testing.assert_array_equal(z[:8], z_free[:8])  # the corners are measured first
    h_min = wall_heights(floor_points(poses.coords[8:, 0, :4], cam), cam.centre, live.walls)
    bound = np.maximum(z_free[8:, :, 2], h_min)
    rise = (bound - z_free[8:, :, 2])[:, :3].max(-1)  # the head rises as one, as offline
    np.testing.assert_allclose(z[8:, :3, 2], np.maximum(bound[:, :3], z_free[8:, :3, 2]
                                                         + rise[:, None]), atol=1e-6)
    np.testing.assert_allclose(z[8:, 3, 2], bound[:, 3], atol=1e-6)
    assert (h_min[:, 0] > z_free[8:, 0, 2]).any()  # the snout was raised
    np.testing.assert_allclose(cam.project(z[8:]), poses.coords[8:, 0, :4], atol=1e-6)


def test_lift_file_and_the_cli_record_the_walls_and_turn_them_off(tmp_path) -> None:
    import pandas as pd
    from typer.testing import CliRunner

    from dlc_lifter.cli import app
    from dlc_lifter.io import meta_pickle_path
    from dlc_lifter.lift import CameraSpec, LiftOptions, OutputSpec, lift_file
    from tests.fixtures.toys import write_dlc_analysis

    src = write_dlc_analysis(_wall_rear_poses(), tmp_path / "in", meta_pickle=True)
    camera = CameraSpec(camera_height_mm=H, focal_px=F)
    on = lift_file(src, camera=camera, options=LiftOptions(depth=False),
                   output=OutputSpec(destfolder=tmp_path / "on"))
    record = pd.read_pickle(meta_pickle_path(on))["data"]
    assert record["walls"]["used"] and record["lift_options"]["walls"] is True
    res = CliRunner().invoke(app, ["lift", str(src), "--no-depth", "--no-walls",
                                   "--camera-height-mm", str(H), "--focal-px", str(F),
                                   "--destfolder", str(tmp_path / "cli")])
    assert res.exit_code == 0, res.output
    cli = pd.read_pickle(meta_pickle_path(Path(res.output.strip().splitlines()[-1])))["data"]
    assert cli["walls"] is None and cli["lift_options"]["walls"] is False


def test_a_corner_tracked_in_few_frames_is_said(caplog: pytest.LogCaptureFixture) -> None:
    """A touchscreen chamber's corner tracked in 1.6 % of frames sat on another corner and
    set a wrong scale, unsaid."""
    from dlc_lifter.lift.keypoints import arena_pixels
    from dlc_lifter.mouse.keypoint_map import plan_keypoint_map

    poses = _wall_rear_poses(n=200)
    k = poses.keypoints.index(next(iter(CORNERS)))
    poses.confidence[5:, 0, k] = 0.01  # tracked in 5 of 200 frames
    plan = plan_keypoint_map(list(poses.keypoints), None, strict=False)
    with caplog.at_level(logging.WARNING):
        px = arena_pixels(poses, plan, 0.6, warn=True)
    assert len(px) == 4
    assert (f"few frames, placed at the median of those: {poses.keypoints[k]} (2.5 %)"
            in caplog.text)
