"""A label on the animal's back is lifted to the back's height where it lies."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dlc_lifter.camera import Camera
from dlc_lifter.lift.midline import (
    MIDLINE,
    ON_THE_BACK,
    _where_ray_meets,
    midline_without,
    onto_the_back,
)
from dlc_lifter.mouse.catalogue import CATALOGUE

#: A flat back from the neck (x = 60 mm) to the tail base (x = 0), arched: 25 mm high at the
#: neck, 32 at x = 36, 14 at the tail base.
BACK = np.array([[60.0, 0.0, 25.0], [48.0, 0.0, 30.0], [36.0, 0.0, 32.0], [24.0, 0.0, 30.0],
                 [12.0, 0.0, 24.0], [0.0, 0.0, 14.0]])


def _height_at(x: float) -> float:
    return float(np.interp(x, BACK[::-1, 0], BACK[::-1, 2]))


def test_the_midline_is_the_backs_interior() -> None:
    assert MIDLINE[0] == "neck" and MIDLINE[-1] == "tail_base"
    assert {CATALOGUE[i] for i in ON_THE_BACK} == set(MIDLINE[1:-1])
    centre = CATALOGUE.index("mouse_center")
    assert midline_without(centre) == [0, 1, 3, 4, 5, 6]  # positions in MIDLINE


@pytest.mark.parametrize("tilt_deg", [0.0, 20.0, 40.0])
def test_a_label_on_the_back_takes_the_backs_height_where_its_ray_meets_it(
        tilt_deg: float) -> None:
    """A label on the lower back (x = 14 mm, 25 mm high), lifted as the mid-trunk (32 mm):
    straight down and from oblique cameras it is put on its own ray where the ray meets the
    back, and its pixel is kept."""
    cam = Camera.top_view(500.0, 700.0, (640, 480), tilt_rad=math.radians(tilt_deg),
                          tilt_direction_rad=0.7)
    true = np.array([14.0, 0.0, _height_at(14.0)])
    uv = cam.project(true[None])[0]
    from dlc_lifter.nets.lifter import floor_points, points_on_rays

    as_centre = points_on_rays(floor_points(uv, cam), cam.centre, np.array(32.0))
    point = as_centre.copy()
    onto_the_back(point, np.array(False), uv, 0.9, 0.6, cam, BACK)
    assert point[2] == pytest.approx(true[2], abs=0.5)
    np.testing.assert_allclose(cam.project(point[None])[0], uv, atol=1e-6)
    # untracked or imputed points stay where the networks put them
    for conf, imputed in ((0.1, False), (0.9, True)):
        kept = as_centre.copy()
        onto_the_back(kept, np.array(imputed), uv, conf, 0.6, cam, BACK)
        np.testing.assert_array_equal(kept, as_centre)


def test_a_back_seen_end_on_does_not_place_the_label() -> None:
    """A rear seen from straight above: the back runs along the ray, which does not say
    where along it the label is; the networks' height stays."""
    upright = np.c_[np.zeros(6), np.zeros(6), np.linspace(90.0, 10.0, 6)]
    centre, direction = np.array([0.0, 0.0, 500.0]), np.array([0.0, 0.0, -1.0])
    assert np.isnan(_where_ray_meets(centre, direction, upright))
    cam = Camera.top_view(500.0, 700.0, (640, 480))
    uv = cam.project(np.array([[0.0, 0.0, 40.0]]))[0]
    from dlc_lifter.nets.lifter import floor_points, points_on_rays

    point = points_on_rays(floor_points(uv, cam), cam.centre, np.array(55.0))
    before = point.copy()
    onto_the_back(point, np.array(False), uv, 1.0, 0.6, cam, upright)
    np.testing.assert_allclose(point, before)


def test_frames_at_once() -> None:
    """``(T, ...)`` arrays: each frame its own back; NaN backs leave the point."""
    cam = Camera.top_view(500.0, 700.0, (640, 480))
    backs = np.stack([BACK, BACK + [0.0, 0.0, 10.0], np.full_like(BACK, np.nan)])
    true = np.array([[14.0, 0.0, _height_at(14.0)], [14.0, 0.0, _height_at(14.0) + 10.0],
                     [14.0, 0.0, 20.0]])
    uv = cam.project(true)
    from dlc_lifter.nets.lifter import floor_points, points_on_rays

    pts = points_on_rays(floor_points(uv, cam), cam.centre, np.full(3, 32.0))
    onto_the_back(pts, np.zeros(3, bool), uv, np.ones(3), 0.6, cam, backs)
    np.testing.assert_allclose(pts[:2, 2], true[:2, 2], atol=0.5)
    assert pts[2, 2] == pytest.approx(32.0)


def test_a_lift_puts_a_lower_back_label_at_the_lower_backs_height(shipped_lifter,
                                                                  monkeypatch) -> None:
    """A synthetic mouse whose "centre" label sits on its lower back (``mid_backend2``, as
    DANNCE's ``SpineM`` does), lifted from above: the label is read at the lower back's
    height, nearer the truth than at the mid-trunk's; live lifting places it the same way."""
    from dlc_lifter.lift import lift_poses
    from dlc_lifter.lift import poses as lift_poses_module
    from dlc_lifter.lift.live import LiveLifter
    from dlc_lifter.mouse.behaviour import generate_sequences
    from dlc_lifter.poses import PoseMetadata, Poses

    names = ("nose", "left_ear", "right_ear", "neck", "mid_backend2", "tail_base")
    seq = generate_sequences(1, 40, seed=3)[0].landmarks
    lm = seq[:, [CATALOGUE.index(n) for n in names]]
    shift = np.array([*np.nanmean(lm[..., :2].reshape(-1, 2), 0), 0.0])
    lm = lm - shift
    cam = Camera.top_view(450.0, 700.0, (640, 480))
    uv = cam.project(lm)
    labels = ["nose", "left_ear", "right_ear", "neck", "centre", "tail_base"]
    poses = Poses(coords=uv[:, None], confidence=np.ones(uv.shape[:2])[:, None],
                  keypoints=labels, meta=PoseMetadata(source="m.h5", fps=30.0,
                                                      image_size=(640, 480)))
    kw = dict(lifter=shipped_lifter, camera_height_mm=450.0, focal_px=700.0,
              impute_all=False, mode="frame")
    out = lift_poses(poses, **kw)
    share = out.meta.extra["on_the_back"]
    assert list(share) == ["centre"] and share["centre"] == pytest.approx(0.79, abs=0.06)
    k = labels.index("centre")
    got = out.coords[:, 0, k]
    np.testing.assert_allclose(cam.project(got), uv[:, k], atol=1e-4)
    monkeypatch.setattr(lift_poses_module, "ON_THE_BACK", frozenset())
    before = lift_poses(poses, **kw).coords[:, 0, k]
    err, err_before = (np.abs(p[:, 2] - lm[:, k, 2]).mean() for p in (got, before))
    assert err < err_before
    monkeypatch.undo()
    # a centre label where the synthetic mouse's centre is: the networks' height is kept
    at_centre = uv.copy()
    at_centre[:, k] = cam.project(seq[:, CATALOGUE.index("mouse_center")] - shift)
    centred = Poses(coords=at_centre[:, None], confidence=poses.confidence, keypoints=labels,
                    meta=poses.meta)
    assert lift_poses(centred, **kw).meta.extra["on_the_back"] == {}
    # live: measured over its first frames, then placed as offline
    live = LiveLifter(cam, labels, shipped_lifter, impute_all=False, size_frames=len(uv))
    res = [live.step(np.c_[uv[t % len(uv)], np.ones(len(labels))])
           for t in range(len(uv) + 5)]
    assert list(live.on_the_back) == [CATALOGUE.index("mouse_center")]
    np.testing.assert_allclose(cam.project(res[-1].pose_3d[k][None])[0], uv[4, k], atol=1e-4)


def test_back_labels_the_wrong_way_round_are_found() -> None:
    """Labels on the midline named front to back but lying the other way round (another
    lab's mid_back behind its mouse_center) are found; in order, or in too few frames,
    nothing is."""
    from dlc_lifter.lift.midline import MIN_ORDER_FRAMES, labels_out_of_order

    rng = np.random.default_rng(0)
    t = 12
    nose, tail = CATALOGUE.index("nose"), CATALOGUE.index("tail_base")
    mid, centre = CATALOGUE.index("mid_back"), CATALOGUE.index("mouse_center")
    heading = rng.uniform(0, 2 * np.pi, t)
    axis = np.c_[np.cos(heading), np.sin(heading)] * 250.0
    start = rng.uniform(100, 400, (t, 2))
    uv = np.full((t, len(CATALOGUE), 2), np.nan)
    uv[:, nose], uv[:, tail] = start, start + axis
    uv[:, mid], uv[:, centre] = start + 0.44 * axis, start + 0.61 * axis
    ok = np.isfinite(uv).all(-1)
    assert labels_out_of_order(uv, ok) == []
    uv[:, mid] = start + 0.69 * axis  # placed behind the centre, as that lab did
    assert labels_out_of_order(uv, ok) == [(mid, centre, 1.0, t)]
    few = ok.copy()
    few[MIN_ORDER_FRAMES - 1:, mid] = False
    assert labels_out_of_order(uv, few) == []
