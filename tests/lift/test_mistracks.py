"""Confident mistracks (a keypoint found far from the rest of the animal) are lifted as
untracked."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from dlc_lifter.camera import Camera
from dlc_lifter.lift.mistracks import MIN_FRAMES, mistracked
from dlc_lifter.poses import PoseMetadata, Poses
from tests.fixtures.toys import MOUSE_BODY, rigid_mouse

CAM = Camera.top_view(500.0, 600.0, (640, 480))
NAMES = list(MOUSE_BODY)


def _moving_mouse(n: int = 200, seed: int = 0) -> np.ndarray:
    """``(n, K, 2)`` pixels of a mouse turning, stretching (1.3 x), shortened as a rear
    seen from above (0.45 x) and curled (nose by its tail base), anywhere in the image."""
    rng = np.random.default_rng(seed)
    body = np.array([xy[:2] for xy in MOUSE_BODY.values()]) * 1.2  # px, forward / left
    out = np.empty((n, len(body), 2))
    for t in range(n):
        pose = body * [rng.choice([0.45, 1.0, 1.0, 1.3]), 1.0]
        if t % 7 == 0:  # curled: the nose at the tail base
            pose[NAMES.index("nose")] = pose[NAMES.index("tail_base")] + [5.0, 3.0]
        yaw = rng.uniform(-np.pi, np.pi)
        rot = np.array([[np.cos(yaw), -np.sin(yaw)], [np.sin(yaw), np.cos(yaw)]])
        out[t] = pose @ rot.T + rng.uniform([80, 80], [560, 400]) + rng.normal(0, 1.0,
                                                                              pose.shape)
    return out


def test_postures_are_kept_and_far_detections_are_found() -> None:
    uv = _moving_mouse()
    tracked = np.ones(uv.shape[:2], bool)
    assert not mistracked(uv, tracked).any()  # rears, stretches, curls: all kept
    tail, nose = NAMES.index("tail_base"), NAMES.index("nose")
    uv[50, tail] += [300.0, 0.0]  # the tail base found on something 300 px away
    uv[60, [nose, tail]] = [600.0, 460.0]  # nose and tail base both on an object
    uv[70, nose] = np.nan  # untracked detections are not judged
    tracked[80, tail] = False
    uv[80, tail] += [300.0, 0.0]
    found = mistracked(uv, tracked)
    assert sorted(zip(*np.nonzero(found), strict=True)) == sorted([(50, tail), (60, nose),
                                                                   (60, tail)])


def test_a_keypoint_mistracked_in_most_frames_is_found_by_the_animals_length() -> None:
    """A tail end found three lengths of the animal away in most frames (a real SuperAnimal
    session: 73 % of its frames) makes that distance its usual one; no tail reaches that
    far, so those detections are mistracks all the same (catalogue order)."""
    from dlc_lifter.lift.mistracks import MAX_BODY_LENGTHS, body_length
    from dlc_lifter.mouse.catalogue import CATALOGUE

    uv = _moving_mouse()
    cat = np.full((len(uv), len(CATALOGUE), 2), np.nan)
    for k, name in enumerate(NAMES):
        cat[:, CATALOGUE.index(name)] = uv[:, k]
    tracked = np.isfinite(cat).all(-1)
    nose, tail, end = (CATALOGUE.index(n) for n in ("nose", "tail_base", "tail_end"))
    length = body_length(cat, tracked)
    assert length == pytest.approx(np.median(np.linalg.norm(uv[:, NAMES.index("nose")]
                                                            - uv[:, NAMES.index("tail_base")],
                                                            axis=-1)))
    axis = cat[:, tail] - cat[:, nose]
    axis /= np.linalg.norm(axis, axis=-1, keepdims=True)
    cat[:, end] = cat[:, tail] + 0.9 * length * axis  # a tail held out behind: kept
    tracked[:, end] = True
    assert not mistracked(cat, tracked)[:, end].any()
    far = np.arange(len(uv)) % 4 != 0  # 75 % of the frames
    cat[far, end] = cat[far, tail] + 3.2 * length * axis[far]
    found = mistracked(cat, tracked)
    assert found[far, end].all() and not found[~far, end].any()
    assert 3.2 > MAX_BODY_LENGTHS + 0.5  # the far ones lie well beyond the bound


def test_too_little_to_judge_judges_nothing() -> None:
    uv = _moving_mouse(MIN_FRAMES - 1)
    uv[5, 0] += 400.0
    assert not mistracked(uv, np.ones(uv.shape[:2], bool)).any()  # too few frames
    uv = _moving_mouse()
    uv[5, 0] += 400.0
    tracked = np.zeros(uv.shape[:2], bool)
    tracked[:, :2] = True  # two keypoints: either may be the far one
    assert not mistracked(uv, tracked).any()


def test_three_tracked_keypoints_are_judged() -> None:
    """A file tracking four keypoints (DLC's openfield set) with one below the cutoff: the
    median of the other three is one of them in each coordinate, so one far detection is
    found (BehaviorDEPOT's open field: the nose on a fixed spot 900 px away while an ear was
    lost lifted points to 345 mm)."""
    uv = _moving_mouse()[:, :4]
    tracked = np.ones(uv.shape[:2], bool)
    tracked[::3, 2] = False  # the third keypoint lost in a third of the frames
    uv[30, 0] += [900.0, 300.0]  # a frame tracking three: one of them far off
    uv[31, 0] += [900.0, 300.0]  # a frame tracking four
    found = mistracked(uv, tracked)
    assert sorted(zip(*np.nonzero(found), strict=True)) == [(30, 0), (31, 0)]


def test_a_lift_takes_a_mistrack_as_untracked(shipped_lifter,
                                              caplog: pytest.LogCaptureFixture) -> None:
    from dlc_lifter.lift import lift_poses

    world = rigid_mouse(40, speed=60.0, yaw=0.4, start=(-40.0, 10.0))
    uv = CAM.project(world.coords[:, 0])
    tail = NAMES.index("tail_base")
    uv[12, tail] += [400.0, 0.0]
    conf = np.full(uv.shape[:2], 0.95)
    meta = PoseMetadata(source="jump.h5", fps=30.0, image_size=(640, 480))
    poses = Poses(coords=uv[:, None], confidence=conf[:, None], keypoints=NAMES, meta=meta)
    kw = dict(lifter=shipped_lifter, camera_height_mm=500.0, focal_px=600.0,
              impute_all=False)
    with caplog.at_level(logging.WARNING, logger="dlc_lifter.lift.poses"):
        out = lift_poses(poses, **kw)
    assert out.meta.extra["mistracked"] == {"tail_base": 1}
    assert "1 detections in 1 frames lie farther" in caplog.text
    assert out.confidence[12, 0, tail] == 0.0 and out.meta.extra["imputed"][12, 0, tail]
    # as the same file with that detection below the cutoff
    conf[12, tail] = 0.0
    ref = lift_poses(Poses(coords=uv[:, None], confidence=conf[:, None], keypoints=NAMES,
                           meta=meta), **kw)
    assert ref.meta.extra["mistracked"] == {}
    np.testing.assert_allclose(out.coords, ref.coords, atol=1e-9)


def test_live_lifting_judges_after_its_first_frames(shipped_lifter) -> None:
    from dlc_lifter.lift.live import LiveLifter

    world = rigid_mouse(40, speed=60.0, yaw=0.4, start=(-40.0, 10.0))
    uv = CAM.project(world.coords[:, 0])
    tail = NAMES.index("tail_base")
    uv[[10, 30], tail] += [400.0, 0.0]  # before and after the reach is measured
    rows = np.concatenate([uv, np.full((len(uv), len(NAMES), 1), 0.95)], axis=-1)

    def run(rows: np.ndarray) -> tuple[LiveLifter, np.ndarray]:
        live = LiveLifter(CAM, NAMES, shipped_lifter, impute_all=False, size_frames=25)
        return live, np.stack([live.step(r).pose_3d for r in rows])

    live, got = run(rows)
    assert live.reach is not None and live.mistracked == 1  # frame 30 only
    hidden = rows.copy()
    hidden[30, tail, 2] = 0.0
    _, ref = run(hidden)
    np.testing.assert_allclose(got, ref, atol=1e-9)  # as if it were below the cutoff


def test_lift_file_records_the_mistracks(tmp_path) -> None:
    import pandas as pd

    from dlc_lifter.io import meta_pickle_path
    from dlc_lifter.lift import CameraSpec, LiftOptions, OutputSpec, lift_file
    from tests.fixtures.toys import write_dlc_analysis

    world = rigid_mouse(40, speed=60.0, yaw=0.4, start=(-40.0, 10.0))
    uv = CAM.project(world.coords[:, 0])
    uv[[5, 20], NAMES.index("nose")] -= [0.0, 300.0]
    poses = Poses(coords=uv[:, None], confidence=np.full((40, 1, len(NAMES)), 0.95),
                  keypoints=NAMES, meta=PoseMetadata(source="jump.h5", fps=30.0,
                                                     image_size=(640, 480)))
    src = write_dlc_analysis(poses, tmp_path / "in", meta_pickle=True)
    out = lift_file(src, camera=CameraSpec(camera_height_mm=500.0, focal_px=600.0),
                    options=LiftOptions(depth=False), output=OutputSpec(destfolder=tmp_path))
    assert pd.read_pickle(meta_pickle_path(out))["data"]["mistracked"] == {"nose": 2}


def test_the_camera_a_lift_would_choose_judges_the_same_detections(shipped_lifter) -> None:
    from dlc_lifter.lift import lift_poses
    from dlc_lifter.lift.camera_choice import lift_camera

    # a mouse wandering the image; three tail-base detections far off would widen the
    # tail base's spread, which measures the arena given without corners
    uv = _moving_mouse(240, seed=4)
    tail = NAMES.index("tail_base")
    uv[[30, 90, 150], tail] = [[630.0, 470.0], [620.0, 10.0], [5.0, 470.0]]
    conf = np.full(uv.shape[:2], 0.95)
    meta = PoseMetadata(source="far.h5", fps=30.0, image_size=(640, 480))

    def poses(c: np.ndarray) -> Poses:
        return Poses(coords=uv[:, None], confidence=c[:, None], keypoints=NAMES, meta=meta)

    kw = dict(arena_size_mm=400.0, image_size=(640, 480))
    chosen = lift_camera(poses(conf), lifter=shipped_lifter, **kw)
    hidden = conf.copy()
    hidden[[30, 90, 150], tail] = 0.0
    assert chosen.details["arena_span_px"] == pytest.approx(
        lift_camera(poses(hidden), lifter=shipped_lifter, **kw).details["arena_span_px"])
    lifted = lift_poses(poses(conf), lifter=shipped_lifter, impute_all=False, **kw)
    assert lifted.meta.extra["mistracked"]["tail_base"] == 3
    assert lifted.meta.extra["camera_estimate"]["arena_span_px"] == pytest.approx(
        chosen.details["arena_span_px"])


def test_the_sorting_median_is_numpys_nanmedian() -> None:
    import warnings

    from dlc_lifter.lift.mistracks import _nanmedian

    a = np.random.default_rng(1).normal(size=(300, 7))
    a[np.random.default_rng(2).random(a.shape) < 0.4] = np.nan
    a[:, 3] = np.nan  # a keypoint never tracked
    a[5] = np.nan  # a frame tracking nothing
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for axis in (0, 1):
            np.testing.assert_allclose(_nanmedian(a, axis), np.nanmedian(a, axis=axis))


def test_the_mistrack_warning_names_the_file_s_keypoints(caplog: pytest.LogCaptureFixture
                                                          ) -> None:
    """A file's ``tail`` (lifted as ``tail_base``) is named as the file names it."""
    from dlc_lifter.lift.mistracks import drop_mistracks
    from dlc_lifter.mouse.catalogue import CATALOGUE

    world = rigid_mouse(40, speed=60.0, yaw=0.4, start=(-40.0, 10.0))
    uv = np.full((40, 1, len(CATALOGUE), 2), np.nan)
    conf = np.zeros((40, 1, len(CATALOGUE)))
    for k, name in enumerate(NAMES):
        uv[:, 0, CATALOGUE.index(name)] = CAM.project(world.coords[:, 0])[:, k]
        conf[:, 0, CATALOGUE.index(name)] = 0.95
    uv[12, 0, CATALOGUE.index("tail_base")] += [400.0, 0.0]
    with caplog.at_level(logging.WARNING):
        drop_mistracks(uv, conf, 0.6, "m1.h5", {"tail_base": "tail"})
    assert "(tail 1)" in caplog.text


def test_a_keypoint_that_is_usually_the_middle_is_not_judged_by_a_fourth_coming() -> None:
    """A four-point labelling (``Nose, Neck, Butt, Tail``: a real DeepLabCut project) whose
    tail tip is labelled in a third of the frames: in the others the neck is the frame's
    middle (its usual distance about 0), and the tail tip moving the middle off it is no
    mistrack of the neck; a neck really found far off still is."""
    rng = np.random.default_rng(3)
    line = np.array([[0.0, 0.0], [-30.0, 0.0], [-100.0, 0.0], [-190.0, 0.0]])  # px
    uv = np.empty((60, 4, 2))
    for t in range(len(uv)):
        yaw = rng.uniform(-np.pi, np.pi)
        rot = np.array([[np.cos(yaw), -np.sin(yaw)], [np.sin(yaw), np.cos(yaw)]])
        uv[t] = line @ rot.T + rng.uniform(150, 450, 2) + rng.normal(0, 1.0, (4, 2))
    tracked = np.ones(uv.shape[:2], bool)
    tracked[rng.permutation(len(uv))[:40], 3] = False  # the tip in 20 frames of 60
    assert not mistracked(uv, tracked).any()
    three = np.flatnonzero(~tracked[:, 3])[0]
    uv[three, 1] += [400.0, 300.0]
    assert sorted(zip(*np.nonzero(mistracked(uv, tracked)), strict=True)) == [(three, 1)]
