"""Which tracked keypoints the networks are given: a centre label in a sparse set is not."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from dlc_lifter.camera import Camera
from dlc_lifter.lift.keypoints import CENTRE_WITHHELD_UP_TO, withheld_from_networks
from dlc_lifter.mouse.catalogue import CATALOGUE, catalogue_index
from dlc_lifter.poses import PoseMetadata, Poses
from tests.fixtures.toys import MOUSE_BODY, rigid_mouse

CAM = Camera.top_view(500.0, 600.0, (640, 480))
FIVE = ("nose", "left_ear", "right_ear", "mouse_center", "tail_base")
CENTRE = CATALOGUE.index("mouse_center")


def test_a_centre_is_withheld_from_sparse_sets_only() -> None:
    assert withheld_from_networks(catalogue_index(list(FIVE))) == [CENTRE]
    assert withheld_from_networks(catalogue_index(list(MOUSE_BODY))) == [CENTRE]  # 8
    many = [*MOUSE_BODY, "left_hip", "right_hip"]
    assert len(many) > CENTRE_WITHHELD_UP_TO
    assert withheld_from_networks(catalogue_index(many)) == []
    assert withheld_from_networks(catalogue_index(["nose", "left_ear", "tail_base"])) == []


def test_the_paws_do_not_count_towards_a_set_that_keeps_its_centre() -> None:
    # DANNCE's 2019 labels: the top keypoints, the tail and four paws (twelve): the paws say
    # nothing of where the back's centre sits, so the centre is withheld as from eight
    paws = ["left_forepaw", "right_forepaw", "left_hindpaw", "right_hindpaw"]
    assert withheld_from_networks(catalogue_index([*MOUSE_BODY, *paws])) == [CENTRE]
    assert withheld_from_networks(catalogue_index([*FIVE, *paws])) == [CENTRE]
    # limb joints do count: with them the centre is read rightly and given
    joints = ["left_elbow", "right_elbow", "left_knee", "right_knee"]
    assert withheld_from_networks(catalogue_index([*MOUSE_BODY, *paws, *joints])) == []


def _tracked(names: tuple[str, ...], rename: dict[str, str] | None = None) -> Poses:
    body = {k: MOUSE_BODY[k] for k in names}
    world = rigid_mouse(30, speed=60.0, yaw=0.4, start=(-40.0, 10.0), body=body)
    uv = CAM.project(world.coords[:, 0])
    keypoints = [(rename or {}).get(k, k) for k in names]
    return Poses(coords=uv[:, None], confidence=np.full(uv.shape[:2], 0.9)[:, None],
                 keypoints=keypoints, meta=PoseMetadata(source="five.h5", fps=30.0,
                                                        image_size=(640, 480)))


@pytest.mark.parametrize("mode", ["temporal", "frame"])
def test_a_withheld_centre_is_lifted_on_its_own_ray(shipped_lifter, mode: str, caplog) -> None:
    from dlc_lifter.lift import lift_poses

    poses = _tracked(FIVE, {"mouse_center": "bodycentre"})
    kw = dict(lifter=shipped_lifter, camera_height_mm=500.0, focal_px=600.0, mode=mode,
              impute_all=False)
    with caplog.at_level(logging.INFO, logger="dlc_lifter"):
        out = lift_poses(poses, **kw)
    assert out.meta.extra["withheld"] == ["bodycentre"]
    assert any("bodycentre lifted on its own ray" in r.getMessage()
               and "at most 8 keypoints besides its paws" in r.getMessage()
               for r in caplog.records)
    j = list(out.keypoints).index("bodycentre")
    np.testing.assert_allclose(CAM.project(out.coords[:, 0, j]), poses.coords[:, 0, j],
                               atol=1e-6)  # on its own ray
    assert not out.meta.extra["imputed"][:, 0, j].any()
    np.testing.assert_allclose(out.confidence[:, 0, j], 0.9)
    # the networks lifted the rest without it: as the same file with the centre untracked
    conf = poses.confidence.copy()
    conf[:, 0, j] = 0.0
    hidden = Poses(coords=poses.coords, confidence=conf, keypoints=list(poses.keypoints),
                   meta=PoseMetadata(source="five.h5", fps=30.0, image_size=(640, 480)))
    ref = lift_poses(hidden, **kw)
    others = [i for i in range(len(FIVE)) if i != j]
    np.testing.assert_allclose(out.coords[:, 0, others], ref.coords[:, 0, others], atol=1e-9)
    np.testing.assert_allclose(out.coords[:, 0, j, 2], ref.coords[:, 0, j, 2], atol=1e-9)


def test_a_centre_among_many_keypoints_is_given(shipped_lifter) -> None:
    from dlc_lifter.lift import lift_poses

    names = (*MOUSE_BODY,)
    poses = _tracked(names)
    more = Poses(coords=np.concatenate([poses.coords, poses.coords[:, :, :1] + 3.0], axis=2),
                 confidence=np.concatenate([poses.confidence, poses.confidence[:, :, :1]],
                                           axis=2),
                 keypoints=[*names, "left_hip"], meta=poses.meta)
    out = lift_poses(more, lifter=shipped_lifter, camera_height_mm=500.0, focal_px=600.0,
                     impute_all=False)
    assert out.meta.extra["withheld"] == []


def test_live_lifting_withholds_the_centre_alike(shipped_lifter) -> None:
    from dlc_lifter.lift.live import LiveLifter

    poses = _tracked(FIVE, {"mouse_center": "bodycentre"})
    names = list(poses.keypoints)
    rows = np.concatenate([poses.coords[:, 0], poses.confidence[:, 0, :, None]], axis=-1)
    live = LiveLifter(CAM, names, shipped_lifter, impute_all=False, size_frames=0)
    got = np.stack([live.step(r).pose_3d for r in rows])
    hidden_rows = rows.copy()
    hidden_rows[:, names.index("bodycentre"), 2] = 0.0
    ref_live = LiveLifter(CAM, names, shipped_lifter, impute_all=False, size_frames=0)
    ref = np.stack([ref_live.step(r).pose_3d for r in hidden_rows])
    j = names.index("bodycentre")
    others = [i for i in range(len(names)) if i != j]
    np.testing.assert_allclose(got[:, others], ref[:, others], atol=1e-9)
    np.testing.assert_allclose(got[:, j, 2], ref[:, j, 2], atol=1e-9)
    np.testing.assert_allclose(CAM.project(got[:, j]), poses.coords[:, 0, j], atol=1e-6)


@pytest.mark.parametrize(("behind", "landmark"), [(0.88, "tail_end"), (0.33, "tail2")])
def test_a_bare_tail_is_placed_where_the_file_tracks_it(behind: float, landmark: str) -> None:
    """``Nose, Neck, Butt, Tail`` (a real four-point project: its ``Tail`` the tip, 0.88
    nose-to-``Butt`` lengths behind) and BehaviorDEPOT's ``Tail`` (0.33 behind its
    ``Tailbase``): the lift's plan measures where the bare ``tail`` lies and places it
    there; ``info`` plans the same way."""
    from dlc_lifter.lift.keypoints import file_keypoint_plan, tail_reach
    from dlc_lifter.mouse.keypoint_map import plan_keypoint_map

    rng = np.random.default_rng(0)
    n = 40
    line = np.array([[0.0, 0.0], [-30.0, 0.0], [-100.0, 0.0], [-100.0 - 100.0 * behind, 0.0]])
    xy = np.empty((n, 1, 4, 2))
    for t in range(n):
        yaw = rng.uniform(-np.pi, np.pi)
        rot = np.array([[np.cos(yaw), -np.sin(yaw)], [np.sin(yaw), np.cos(yaw)]])
        xy[t, 0] = line @ rot.T + rng.uniform(200, 400, 2) + rng.normal(0, 1.0, (4, 2))
    conf = np.ones((n, 1, 4))
    conf[: n // 2, 0, 3] = 0.0  # the tail's point tracked in half the frames
    names = ["Nose", "Neck", "Butt", "Tail"]
    poses = Poses(coords=xy, confidence=conf, keypoints=names,
                  meta=PoseMetadata(source="four.h5"))
    reach = tail_reach(poses, plan_keypoint_map(names), pcutoff=0.6)
    assert reach["Tail"] == pytest.approx(behind, abs=0.03)
    assert file_keypoint_plan(poses, None, pcutoff=0.6).mapped["Tail"] == landmark


def test_an_imputed_landmark_named_like_a_tracked_keypoint_reads_back_as_itself() -> None:
    """SLEAP's mouse skeleton tracks ``Tail_1`` (its third tail point, the catalogue's
    ``tail3``); the lift imputes the catalogue's ``tail1`` beside it. Written as ``tail1``,
    its output read back as two names of ``tail3`` and dropped one ("'tail1' and 'Tail_1'
    both name 'tail3'"); it is written ``tail1_catalogue``, read back as ``tail1``, every
    name its own (the same for ``neck_catalogue``)."""
    from dlc_lifter.lift.keypoints import output_names
    from dlc_lifter.mouse.catalogue import CATALOGUE, resolve_name_ranked
    from dlc_lifter.mouse.keypoint_map import plan_keypoint_map

    tracked = ["Nose", "Ear_R", "Ear_L", "TTI", "TailTip", "Head", "Trunk", "Tail_0",
               "Tail_1", "Tail_2", "Shoulder_left", "Shoulder_right", "Haunch_left",
               "Haunch_right", "Neck"]
    names = output_names(tracked, [CATALOGUE.index("tail1"), CATALOGUE.index("tail5")])
    assert names[-2:] == ["tail1_catalogue", "tail5"]
    plan = plan_keypoint_map(names)
    assert not plan.dropped
    assert plan.mapped["tail1_catalogue"] == "tail1" and plan.mapped["Tail_1"] == "tail3"
    assert resolve_name_ranked("neck_catalogue") == ("neck", 1)
    assert resolve_name_ranked("wing_catalogue") == (None, 3)


def test_object_individuals_are_those_tracking_no_keypoint_of_the_mouse() -> None:
    """One answer for the lift and the features: ``single`` tracking the arena's corners is
    objects; an animal never tracked is not; a point with one coordinate missing is not
    tracked (before, the lift counted it as the mouse's); and where every individual would
    be objects, none is (before, the lift left a single-animal file's only individual out)."""
    from dlc_lifter.lift.keypoints import object_individuals
    from dlc_lifter.mouse.keypoint_map import plan_keypoint_map

    names = ["snout", "tailbase", "tl", "tr"]
    xy = np.full((3, 3, 4, 2), np.nan)
    xy[:, 0, :2] = 100.0  # mouse1 tracked
    xy[:, 2, 2:] = 5.0  # single: the corners only; mouse2 never tracked
    p = Poses(coords=xy, keypoints=names, individuals=["mouse1", "mouse2", "single"])
    plan = plan_keypoint_map(names)
    assert object_individuals(p, plan) == {"single": ["tl", "tr"]}
    half = xy.copy()
    half[0, 2, 0, 0] = 7.0  # single's snout: x without y, no point
    assert object_individuals(Poses(coords=half, keypoints=names,
                                    individuals=["mouse1", "mouse2", "single"]),
                              plan) == {"single": ["tl", "tr"]}
    alone = Poses(coords=xy[:, 2:], keypoints=names, individuals=["individual0"])
    assert object_individuals(alone, plan) == {}
