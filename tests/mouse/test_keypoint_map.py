"""Real and published skeletons lift with no keypoint map; arena landmarks; --strict."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from dlc_lifter.errors import DLCLifterError, KeypointMappingError
from dlc_lifter.lift.options import CameraSpec, LiftOptions, OutputSpec
from dlc_lifter.mouse.catalogue import UnknownKeypointError
from dlc_lifter.mouse.keypoint_map import arena_landmark, plan_keypoint_map
from dlc_lifter.mouse.skeletons import KNOWN_SKELETONS, match_skeleton
from tests.fixtures.realdata import REALDATA, needs_realdata
from tests.fixtures.toys import FLY32

torch.set_num_threads(1)

needs_real = needs_realdata()


@pytest.mark.parametrize("skeleton", KNOWN_SKELETONS, ids=lambda s: s.name)
def test_every_known_skeleton_lifts_with_no_map(skeleton, shipped_lifter) -> None:  # noqa: ANN001
    from dlc_lifter.lift import lift_poses
    from dlc_lifter.synth.skeleton_poses import skeleton_poses

    poses, cam = skeleton_poses(skeleton, n_frames=40, seed=3)
    out = lift_poses(poses, lifter=shipped_lifter, camera_height_mm=700.0, focal_px=600.0)
    used = out.meta.extra["keypoint_map"]
    expected = {k: v for k, v in skeleton.keypoints.items() if v is not None}
    assert used["mapped"] == expected
    assert set(used["arena"]) == set(skeleton.arena) and not used["dropped"]
    assert not set(skeleton.arena) & set(out.keypoints)  # arena landmarks are not lifted
    tracked = np.isfinite(out.coords[:, 0, : len(expected)]).all()
    assert tracked and np.all(out.coords[..., 2][np.isfinite(out.coords[..., 2])] > -30)
    assert out.meta.extra["view"] == skeleton.view  # filmed from below: found by its sides


def test_arena_names() -> None:
    assert [arena_landmark(n) for n in ("tl", "TopRight", "corner_3", "arena_centre", "bl")] \
        == ["top_left", "top_right", "bottom_right", "centre", "bottom_left"]
    assert arena_landmark("centre") is None  # a body centre, unless corners are tracked
    assert arena_landmark("centre", corners_present=True) == "centre"
    assert arena_landmark("nose") is None and arena_landmark("tailbase") is None


def test_bare_centre_the_animals_track_is_theirs() -> None:
    """A multi-animal DeepLabCut file's mice each track a ``Center`` while the corners sit
    under ``single``: it is each mouse's body centre (was: the arena's, every mouse's
    centre dropped and the median of the mice taken as the arena's centre)."""
    names = ["Nose", "Center", "Tail_base", "tl", "tr", "br", "bl"]
    mice = {"Nose": ["m1", "m2"], "Center": ["m1", "m2"], "Tail_base": ["m1", "m2"]}
    corners = dict.fromkeys(["tl", "tr", "br", "bl"], ["single"])
    plan = plan_keypoint_map(names, carriers=mice | corners)
    assert plan.mapped["Center"] == "mouse_center" and "Center" not in plan.arena
    assert len(plan.arena) == 4
    # one animal: a centre that moves while the corners stay put is the animal's
    plan = plan_keypoint_map(names, still=["tl", "tr", "br", "bl"])
    assert plan.mapped["Center"] == "mouse_center"
    # the arena's centre, tracked as the corners are (oft-rearing's), stays the arena's
    for kw in ({}, {"still": ["tl", "tr", "br", "bl", "Center"]},
               {"carriers": dict.fromkeys(names, ["single"])}):
        assert plan_keypoint_map(names, **kw).arena["Center"] == "centre"


def test_corner_names_as_labs_write_them() -> None:
    """DeepLabCut's multi-animal docs and lab projects spell corners out in full."""
    names = ("topleftcorner", "toprightcorner", "botleftcorner", "botrightcorner",
             "topleftcornerofBox", "Bottom_Right_Corner_of_arena", "corner_tl")
    assert [arena_landmark(n) for n in names] == [
        "top_left", "top_right", "bottom_left", "bottom_right", "top_left", "bottom_right",
        "top_left"]
    assert arena_landmark("bottom") is None and arena_landmark("top") is None
    plan = plan_keypoint_map(["toprightcorner", "topleftcorner", "botleftcorner",
                              "botrightcorner", "rightear", "leftear", "nose", "tailbase"])
    assert len(plan.arena) == 4 and not plan.dropped and len(plan.mapped) == 4


def test_real_datasets_names_with_no_map() -> None:
    """Names of real mouse datasets (as DeepLabCut's SuperAnimal-TopViewMouse conversion
    table lists them): side words run together, a numbered spine, B-SOiD's tail base."""
    maushaus = ["nose", "leftearbase", "rightearbase", "lefteartip", "righteartip",
                "lefteye", "righteye", "spine1", "spine2", "spine3", "spine4", "spine5",
                "spine6", "tailbase", "leftshoulder", "rightshoulder", "leftside",
                "rightside", "lefthip", "righthip"]
    plan = plan_keypoint_map(maushaus)
    assert not plan.dropped
    assert plan.mapped["leftearbase"] == "left_ear" and plan.mapped["lefteartip"] == \
        "left_ear_tip"
    assert plan.mapped["righteye"] == "right_eye" and plan.mapped["lefthip"] == "left_hip"
    assert [plan.mapped[f"spine{i}"] for i in range(1, 7)] == [
        "neck", "mid_back", "mouse_center", "mid_backend", "mid_backend2", "mid_backend3"]
    # a named neck ("shoulder") takes the front; the spine spreads behind it, in order
    daniel = plan_keypoint_map(["snout", "leftear", "rightear", "shoulder", "spine1",
                                "spine2", "spine3", "spine4", "tailbase"])
    assert daniel.mapped["shoulder"] == "neck" and not daniel.dropped
    spine = [daniel.mapped[f"spine{i}"] for i in range(1, 5)]
    order = ["mid_back", "mouse_center", "mid_backend", "mid_backend2", "mid_backend3"]
    assert spine[0] == "mid_back" and spine[-1] == "mid_backend3"
    assert [order.index(s) for s in spine] == sorted(order.index(s) for s in spine)
    epm = plan_keypoint_map(["nose", "earl", "earr", "neck", "bodycentre", "bcl", "bcr",
                             "tailbase", "tailcentre", "tailtip", "headcentre"])
    assert not epm.dropped and epm.mapped["bodycentre"] == "mouse_center"
    assert epm.mapped["bcl"] == "left_midside" and epm.mapped["tailcentre"] == "tail3"
    bsoid = plan_keypoint_map(["Snout", "Front Paw R", "Front Paw L", "Hind Paw R",
                               "Hind Paw L", "Butt/Proximal Tail"])
    assert bsoid.mapped["Butt/Proximal Tail"] == "tail_base"
    assert bsoid.mapped["Front Paw R"] == "right_forepaw"
    spanish = plan_keypoint_map(["hocico", "cabeza", "cuerposuperior", "cuerpoinferior",
                                 "colabase", "colapunta"])
    assert not spanish.dropped and spanish.mapped["hocico"] == "nose"
    assert spanish.mapped["colabase"] == "tail_base"
    # VAME's sample (mice filmed from below): the paws named hands; Allen's nose tip
    vame = plan_keypoint_map(["Nose", "Forehand-Left", "Forehand-Right", "Hindhand-Left",
                              "Hindhand-Right", "Tailroot"])
    assert vame.mapped == {"Nose": "nose", "Forehand-Left": "left_forepaw",
                           "Forehand-Right": "right_forepaw", "Hindhand-Left": "left_hindpaw",
                           "Hindhand-Right": "right_hindpaw", "Tailroot": "tail_base"}
    assert plan_keypoint_map(["nosetip", "tailbase"]).mapped["nosetip"] == "nose"
    # SLEAP's mouse open-field template (every node numbered 1); SWC's hypnose-sleap
    mice_of = plan_keypoint_map(["nose1", "earL1", "earR1", "neck1", "forelegL1",
                                 "forelegR1", "hindlegL1", "hindlegR1", "tailstart1",
                                 "tailend1"])
    assert not mice_of.dropped and mice_of.mapped["forelegL1"] == "left_forepaw"
    assert mice_of.mapped["hindlegR1"] == "right_hindpaw"
    hypnose = plan_keypoint_map(["nose", "center_head", "center_back", "tail_base"])
    assert hypnose.mapped["center_head"] == "head_midpoint"
    assert hypnose.mapped["center_back"] == "mouse_center"
    # Inscopix's bottom-view DeepLabCut model: the limb's word alone beside the side
    inscopix = plan_keypoint_map(["tail_tip", "tail_base", "R_hind", "L_hind", "neck",
                                  "R_fore", "L_fore", "nose"])
    assert not inscopix.dropped and inscopix.mapped["R_hind"] == "right_hindpaw"
    assert inscopix.mapped["L_fore"] == "left_forepaw"
    # a SLEAP project's lumbar point beside its tail start; a skeleton's haunches
    lumbar = plan_keypoint_map(["nose", "neck", "Left ear ", "Right ear", "tailstart1",
                                "tail mid", "haunch", "hindlegL", "forelegR"])
    assert not lumbar.dropped and lumbar.mapped["haunch"] == "mid_backend3"
    assert lumbar.mapped["tail mid"] == "tail3"
    assert plan_keypoint_map(["nose", "Haunch_L", "tailbase"]).mapped["Haunch_L"] == "left_hip"
    assert plan_keypoint_map(["nose", "rear_left", "L_front", "tailbase"]).mapped == {
        "nose": "nose", "rear_left": "left_hindpaw", "L_front": "left_forepaw",
        "tailbase": "tail_base"}


def test_a_bare_head_body_tail_skeleton_lifts_and_specific_names_win() -> None:
    plan = plan_keypoint_map(["Head", "Body", "Tail"])
    assert plan.mapped == {"Head": "head_midpoint", "Body": "mouse_center",
                           "Tail": "tail_base"}
    plan.require_liftable("simple.h5")
    both = plan_keypoint_map(["tail", "tailbase", "nose", "body"])
    assert both.mapped["tailbase"] == "tail_base" and "tail" in both.dropped
    insect = plan_keypoint_map(["head", "thorax", "abdomen"])
    with pytest.raises(KeypointMappingError):
        insect.require_liftable("fly.h5")


def test_unknown_names_dropped_listed_once_and_strict_raises() -> None:
    names = ["snout", "tailbase", "laser", "cable_tip"]
    plan = plan_keypoint_map(names, source="f.h5")
    assert plan.mapped == {"snout": "nose", "tailbase": "tail_base"}
    assert list(plan.dropped) == ["laser", "cable_tip"]
    lines = [w for w in plan.warnings if "no catalogue landmark" in w]
    assert len(lines) == 1 and "'laser'" in lines[0] and "'cable_tip'" in lines[0]
    with pytest.raises(UnknownKeypointError) as info:
        plan_keypoint_map(names, strict=True, source="f.h5")
    assert info.value.names == ["laser", "cable_tip"] and "f.h5" in str(info.value)
    assert isinstance(info.value, DLCLifterError)


def test_too_few_keypoints_is_one_error_listing_all() -> None:
    plan = plan_keypoint_map(["eyeL", "eyeR", "thorax", "wingL"], source="fly.slp")
    with pytest.raises(KeypointMappingError) as info:
        plan.require_liftable("fly.slp")
    msg = str(info.value)
    assert all(n in msg for n in ("eyeL", "eyeR", "thorax", "wingL", "fly.slp"))


def test_an_insect_s_names_are_refused_in_one_error() -> None:
    """SLEAP's 32-node fly: head, eyes, neck and leg tips map, so the names span a mouse's
    body, but its wings, middle legs, thorax and abdomen are an insect's: one error naming
    the file (before: lifted as a mouse)."""
    plan = plan_keypoint_map(FLY32, source="osg_val.pkg.slp")
    with pytest.raises(KeypointMappingError, match="osg_val.pkg.slp: its keypoints are an "
                       "insect's") as info:
        plan.require_liftable("osg_val.pkg.slp")
    assert "wingL" in str(info.value) and "midlegR1" in str(info.value)
    assert plan.insect_parts is plan.insect_parts  # worked out once a map
    prefixed = plan_keypoint_map(["fly1_head", "fly1_thorax", "fly1_abdomen",
                                  "fly1_antennaL", "fly1_snout", "fly1_tailbase"])
    assert set(prefixed.insect_parts) == {"a thorax with an abdomen", "antennae"}


@pytest.mark.parametrize("names", [
    ["nose", "tailbase", "thorax", "abdomen", "forelegL1", "hindlegR1"],  # a belly view
    ["snout", "leftear", "rightear", "tailbase", "wing"],  # one insect word: not enough
    ["nose", "tail_base", "fore_swing", "mid_back", "thorax"],
])
def test_a_mouse_s_names_are_not_taken_for_an_insect_s(names: list[str]) -> None:
    """A mouse's names hold at most one insect cue (a thorax with an abdomen seen from
    below; SLEAP's mouse template numbers its fore and hind legs): never refused as one."""
    assert plan_keypoint_map(names).insect_parts == {}


def test_an_insect_s_names_mapped_by_the_user_are_lifted() -> None:
    """A keypoint map that leaves out the wings and middle legs takes the file as a mouse."""
    plan = plan_keypoint_map(FLY32, {n: None for n in FLY32 if "wing" in n or "mid" in n})
    plan.require_liftable("fly.slp")


def test_user_map_wins_and_bad_target_is_named() -> None:
    plan = plan_keypoint_map(["Nose", "Spine_1", "Center", "Tail_base"],
                             {"Spine_1": "neck"})
    assert plan.mapped["Spine_1"] == "neck" and plan.mapped["Center"] == "mouse_center"
    with pytest.raises(UnknownKeypointError, match="not_a_landmark"):
        plan_keypoint_map(["Nose"], {"Nose": "not_a_landmark"})


def test_catalogue_names_alone_pick_no_skeleton() -> None:
    assert match_skeleton(["nose", "left_ear", "tail_base"]) is None
    assert match_skeleton(["Nose", "TTI", "Trunk", "Tail_0"]).name == "sleap_mouse"


@needs_real
@pytest.mark.realdata
def test_real_oft_file_lifts_with_no_map_and_corners_give_the_scale(tmp_path: Path) -> None:
    from dlc_lifter.io import meta_pickle_path
    from dlc_lifter.lift import lift_file

    src = REALDATA / "oft-rearing" / "OFT_38DLC_resnet50_BlockcourseMay9shuffle1_1030000.h5"
    out = lift_file(src, camera=CameraSpec(arena_size_mm=420.0), options=LiftOptions(depth=False),
                    output=OutputSpec(destfolder=tmp_path))
    meta = pd.read_pickle(meta_pickle_path(out))["data"]
    assert meta["keypoint_map"]["skeleton"] == "dlcanalyzer_openfield"
    assert set(meta["keypoint_map"]["arena"]) == {"tl", "tr", "bl", "br", "centre"}
    assert meta["camera_estimate"]["arena_measured_from"] == "tracked arena corners"
    corners = meta["arena_px"]

    def side(pairs: tuple) -> float:
        return float(np.mean([np.hypot(*np.subtract(corners[a], corners[b]))
                              for a, b in pairs]))

    wide = side((("top_left", "top_right"), ("bottom_left", "bottom_right")))
    tall = side((("top_left", "bottom_left"), ("top_right", "bottom_right")))
    # this video's square arena is 1.25x wider than tall in pixels: non-square pixels
    estimate = meta["camera_estimate"]
    assert estimate["arena_span_px"] == pytest.approx(wide)
    assert estimate["pixel_aspect"] == pytest.approx(tall / wide) and 0.7 < tall / wide < 0.85
    cam = meta["camera"]
    assert cam["K"][1][1] / cam["K"][0][0] == pytest.approx(tall / wide)
    parts = set(pd.read_hdf(out).columns.get_level_values("bodyparts"))
    assert "tl" not in parts and "headcentre" in parts


@needs_real
@pytest.mark.realdata
def test_real_sleap_session_lifts_with_no_map_to_slp(tmp_path: Path) -> None:
    import sleap_io as sio

    from dlc_lifter.lift.batch import lift_sleap

    src = REALDATA / "sleap-mouse-session" / "minimal_top_proofread.slp"
    report = lift_sleap([src], options=LiftOptions(depth=False),
                        output=OutputSpec(destfolder=tmp_path))
    assert report.ok, report.summary()
    slp = tmp_path / "minimal_top_proofread_lifted3d.slp"
    h5 = tmp_path / "minimal_top_proofread_lifted3d.h5"
    assert slp.is_file() and h5.is_file()
    labels = sio.load_slp(str(slp))
    groups = labels.sessions[0].frame_groups
    assert len(groups) == 120
    table = pd.read_hdf(h5)
    first = min(groups)
    pts = groups[first].instance_groups[0].instance_3d.numpy()
    nose = table.xs("Nose", level="bodyparts", axis=1).iloc[0].to_numpy()
    assert np.allclose(pts[list(table.columns.get_level_values("bodyparts").unique())
                           .index("Nose")], nose, atol=1e-6)


@needs_real
@pytest.mark.realdata
def test_real_deepof_two_mice_lift_with_no_map(tmp_path: Path,
                                               caplog: pytest.LogCaptureFixture) -> None:
    from dlc_lifter.lift import lift_file

    src = REALDATA / "deepof-two-mice" / "testDLC_h5_table_madlc.h5"
    with caplog.at_level(logging.WARNING):
        out = lift_file(src, options=LiftOptions(depth=False),
                        output=OutputSpec(destfolder=tmp_path))
    assert "both name" not in caplog.text
    df = pd.read_hdf(out)
    assert set(df.columns.get_level_values("individuals")) == {"mouse_black_tail",
                                                               "mouse_white_tail"}
    assert "Spine_1" in set(df.columns.get_level_values("bodyparts"))


@needs_real
@pytest.mark.realdata
def test_info_never_fails_on_mapping() -> None:
    from typer.testing import CliRunner

    from dlc_lifter.cli import app

    for path in (REALDATA / "sleap-mouse-session" / "minimal_top_proofread.slp",
                 REALDATA / "deepof-two-mice" / "testDLC_h5_table_madlc.h5",
                 REALDATA / "sleap-clip" / "clip.predictions.slp"):
        r = CliRunner().invoke(app, ["info", str(path)])
        assert r.exit_code == 0, r.output
        assert "Skeleton:" in r.output


def test_animal_prefixes_are_read_through_and_two_animals_may_share_a_landmark() -> None:
    # a real multi-animal DLC project (mother and pups, sleap-io's test project) names them so
    names = ["pup_snout", "pup_neck", "pup_body", "pup_tailbase", "nest", "moth_nose",
             "moth_leftear", "moth_rightear", "moth_neck", "moth_torso", "moth_tailbase"]
    plan = plan_keypoint_map(names)
    assert plan.mapped == {"pup_snout": "nose", "pup_neck": "neck", "pup_body": "mouse_center",
                           "pup_tailbase": "tail_base", "moth_nose": "nose",
                           "moth_leftear": "left_ear", "moth_rightear": "right_ear",
                           "moth_neck": "neck", "moth_torso": "mouse_center",
                           "moth_tailbase": "tail_base"}
    assert plan.shared == {"nose": ["pup_snout", "moth_nose"], "neck": ["pup_neck", "moth_neck"],
                           "mouse_center": ["pup_body", "moth_torso"],
                           "tail_base": ["pup_tailbase", "moth_tailbase"]}
    assert plan.animals["moth_nose"] == "moth" and "nest" not in plan.animals
    assert set(plan.dropped) == {"nest"}
    assert any("animal's prefix" in w and "moth_nose -> nose" in w for w in plan.warnings)
    assert plan.as_dict()["animals"]["pup_body"] == "pup"
    plan.require_liftable()


def test_names_of_individuals_that_track_different_names_may_share_a_landmark() -> None:
    """A multi-animal DeepLabCut file's unique bodyparts (the adult's ``snout``, individual
    ``single``) and its pups' bodyparts (``end1``) are never tracked by one individual: a map
    naming the pups' ``end1`` the nose drops neither (DeepLabCut's parenting data)."""
    adult = ["snout", "leftear", "rightear", "shoulder", "tailbase"]
    pups = ["end1", "interm2", "end2"]
    carriers = {n: ["single"] for n in adult} | {n: ["p1", "p2"] for n in pups}
    user = {"end1": "nose", "interm2": "mouse_center", "end2": "tail_base"}
    plan = plan_keypoint_map(pups + adult, user, carriers=carriers)
    assert plan.mapped["snout"] == plan.mapped["end1"] == "nose"
    assert plan.mapped["tailbase"] == plan.mapped["end2"] == "tail_base"
    assert not plan.dropped and not any("both name" in w for w in plan.warnings)
    assert plan.animals["snout"] == "single" and plan.animals["end1"] == "p1+p2"
    assert plan.without_animal("end1") == "end1"  # no prefix or number to read it without
    # one individual tracking both names: they conflict, as without carriers
    together = {n: ["p1", "single"] if n == "end1" else v for n, v in carriers.items()}
    for c in (together, None, {n: ["mouse1", "mouse2"] for n in adult + pups}):
        plan = plan_keypoint_map(pups + adult, user, carriers=c)
        assert "snout" in plan.dropped and not plan.animals


def test_a_prefix_needs_two_known_names_and_never_beats_a_plain_name() -> None:
    # one prefixed name is not an animal's prefix: it stays unknown
    plan = plan_keypoint_map(["m_nose", "tailbase", "leftear"])
    assert "m_nose" in plan.dropped and not plan.animals
    # a prefixed name and a plain one for the same landmark: one animal, the plain name wins
    plan = plan_keypoint_map(["nose", "tailbase", "mouse1_nose", "mouse1_tailbase"])
    assert plan.mapped == {"nose": "nose", "tailbase": "tail_base"}
    assert set(plan.dropped) == {"mouse1_nose", "mouse1_tailbase"}
    # names that resolve as they are keep them (tail_base, tail_end share 'tail')
    plan = plan_keypoint_map(["snout", "tail_base", "tail_mid", "tail_end"])
    assert not plan.animals and plan.mapped["tail_base"] == "tail_base"


def test_a_body_part_word_is_never_an_animal_prefix() -> None:
    plan = plan_keypoint_map(["nose", "tailbase", "body_back", "body_center", "head_top"])
    assert not plan.animals and "body_back" in plan.dropped


def test_an_animal_s_unknown_name_is_matched_without_its_prefix() -> None:
    plan = plan_keypoint_map(["moth_nose", "moth_tailbase", "moth_tailbse"])
    assert "'moth_tailbse' (closest: tail_base" in plan.warnings[0]


def test_prefixed_names_follow_the_skeleton_they_come_from() -> None:
    """DeepOF's two-mouse tables prefix its 14 names (``B_Spine_1``, ``W_Tail_1``): read
    without the prefix they are DeepOF's, so its map applies, not the generic aliases."""
    deepof = ["Nose", "Left_ear", "Right_ear", "Spine_1", "Center", "Spine_2", "Left_fhip",
              "Right_fhip", "Left_bhip", "Right_bhip", "Tail_base", "Tail_1", "Tail_2",
              "Tail_tip"]
    plan = plan_keypoint_map([f"{a}_{n}" for a in "BW" for n in deepof])
    alone = plan_keypoint_map(deepof)
    assert plan.skeleton == alone.skeleton == "deepof"
    for a in "BW":
        assert {n: plan.mapped[f"{a}_{n}"] for n in deepof} == alone.mapped
    assert plan.mapped["W_Tail_1"] == "tail2" and plan.mapped["B_Spine_1"] == "mid_back"
    assert not plan.dropped and plan.animals["W_Nose"] == "W"


def test_numbered_animals_are_read_without_their_number() -> None:
    """SimBA's two-mouse layout (``Nose_1 ... Tail_end_1``, ``Nose_2 ... Tail_end_2``):
    each number is an animal, both keep every landmark; a numbered chain is not one."""
    simba = ["Ear_left", "Ear_right", "Nose", "Center", "Lat_left", "Lat_right", "Tail_base",
             "Tail_end"]
    plan = plan_keypoint_map([f"{n}_{a}" for a in (1, 2) for n in simba])
    assert not plan.dropped
    assert plan.mapped["Tail_base_2"] == plan.mapped["Tail_base_1"] == "tail_base"
    assert plan.mapped["Lat_left_2"] == "left_midside"
    assert plan.animals["Nose_2"] == "animal2" and plan.animals["Ear_left_1"] == "animal1"
    for chain in (["nose", "left_ear", "tail1", "tail2", "tail3", "mid_backend2",
                   "mid_backend3"],
                  ["Nose", "Left_ear", "Right_ear", "Spine_1", "Center", "Spine_2",
                   "Tail_base", "Tail_1", "Tail_2", "Tail_tip"]):
        assert plan_keypoint_map(chain).animals == {}


def test_a_user_map_of_numbered_names_keeps_their_animal() -> None:
    simba = ["Ear_left", "Ear_right", "Nose", "Center", "Tail_base", "Tail_end"]
    plan = plan_keypoint_map([f"{n}_{a}" for a in (1, 2) for n in simba],
                             {"Center_1": "mid_back", "Center_2": "mid_back"})
    assert plan.mapped["Center_1"] == plan.mapped["Center_2"] == "mid_back"
    assert plan.animals["Center_2"] == "animal2" and not plan.dropped


def test_a_numbered_tail_is_read_by_its_own_count() -> None:
    """``tail1 ... tail5`` name the catalogue's sixths of the tail; a chain numbered past 5
    spreads over the tail by its own count, percentages by their value, in order."""
    five = plan_keypoint_map(["nose", "tail_base", *(f"tail{i}" for i in range(1, 6)),
                              "tail_end"])
    assert [five.mapped[f"tail{i}"] for i in range(1, 6)] == [f"tail{i}" for i in range(1, 6)]
    ten = plan_keypoint_map(["nose", "tailbase", *(f"tail{i}" for i in range(1, 11)),
                             "tailtip"], source="ten.h5")
    tail = [ten.mapped.get(f"tail{i}") for i in range(1, 11)]
    kept = [t for t in tail if t is not None]
    assert kept == [f"tail{i}" for i in range(1, 6)]  # in order, one each
    assert tail[4] is None and ten.dropped["tail5"].startswith("between")  # 5/11 of the tail
    assert ten.mapped["tail6"] == "tail3"  # 6/11: the middle
    assert any("not lifted, between the catalogue's tail points" in w and "'tail5'" in w
               for w in ten.warnings)
    swim = plan_keypoint_map(["nose", "left ear", "right ear", "tail 25", "tail 50", "tail 75",
                              "tail 100"])
    assert [swim.mapped[f"tail {p}"] for p in (25, 50, 75, 100)] == [
        "tail2", "tail3", "tail4", "tail_end"]
    no_tip = plan_keypoint_map(["snout", "tailbase", *(f"tail{i}" for i in range(1, 8))])
    assert no_tip.mapped["tail7"] == "tail_end" and no_tip.mapped["tail1"] == "tail1"


def test_names_that_stay_in_place_are_reported_as_the_set_up() -> None:
    """Unknown names the data show staying in place (``still``) are reported as objects or
    parts of the set-up, without closest-name hints; other unknown names keep theirs."""
    plan = plan_keypoint_map(["nose", "tailbase", "rightarm", "lever", "tailbse"],
                             still=["rightarm", "lever", "nose"])
    assert plan.mapped == {"nose": "nose", "tailbase": "tail_base"}
    assert "stays in place" in plan.dropped["rightarm"] and "stays in" in plan.dropped["lever"]
    assert plan.dropped["tailbse"] == "maps to no catalogue landmark"
    still_line = next(w for w in plan.warnings if "staying in place" in w)
    assert "'rightarm', 'lever'" in still_line and "closest" not in still_line
    assert any("'tailbse' (closest: tail_base" in w for w in plan.warnings)
    plain = plan_keypoint_map(["nose", "tailbase", "rightarm"])
    assert "(closest: right_" in plain.warnings[0] and "staying" not in plain.warnings[0]
    # --strict says the same (it offered 'lever' the closest body part, 'lever: nose')
    with pytest.raises(UnknownKeypointError) as err:
        plan_keypoint_map(["nose", "tailbase", "lever", "tailbse"], still=["lever"],
                          strict=True)
    text = str(err.value)
    assert "'lever' (stays in place while the animal moves: an object or part of the " \
        "set-up)" in text and "'lever: null' to drop it" in text
    assert "'tailbse' (closest: tail_base" in text


def test_closest_name_hints_name_only_alike_body_parts() -> None:
    """The hints for an unknown name are catalogue names alike enough to be meant: no tail
    points for a paw, no tail base for a mirror view's paw."""
    from dlc_lifter.mouse.catalogue import closest_names

    assert closest_names("paw1LH_bot") == []
    for paw in ("pawL", "rear_foot"):  # paws (forepaw, hindpaw), nothing else
        assert closest_names(paw) and all("paw" in c for c in closest_names(paw)), paw
    assert closest_names("tailbse")[0] == "tail_base"
    assert closest_names("hip_left")[0] == "left_hip"
    # a side view's "Ear base" is offered ears, not the tail base (the "base" alike)
    assert closest_names("Ear base") and all("ear" in c for c in closest_names("Ear base"))


def test_one_number_on_every_name_is_the_animal_s() -> None:
    """SLEAP's mouse open-field template numbers every node by its one animal: its
    ``tail1`` lies between ``tailstart1`` and ``tailend1`` (the tail's middle), not at the
    catalogue's first sixth of the tail; SimBA's one-mouse names read as before."""
    names = ["neck1", "forelegL1", "forelegR1", "nose1", "earR1", "earL1", "tailstart1",
             "hindlegR1", "hindlegL1", "tail1", "tailend1"]
    plan = plan_keypoint_map(names)
    assert plan.mapped["tail1"] == "tail3" and plan.mapped["tailstart1"] == "tail_base"
    assert plan.mapped["tailend1"] == "tail_end" and plan.mapped["forelegL1"] == "left_forepaw"
    assert not plan.dropped and not plan.animals
    simba = plan_keypoint_map(["Nose_1", "Ear_left_1", "Ear_right_1", "Center_1",
                               "Tail_base_1", "Tail_end_1"])
    assert simba.mapped["Tail_base_1"] == "tail_base" and simba.mapped["Center_1"] == (
        "mouse_center")
    # a chain numbered along the tail is still read by its count
    chain = plan_keypoint_map(["nose", "tail_base", "tail1", "tail_end"])
    assert chain.mapped["tail1"] == "tail1"


def test_a_bare_tail_between_a_named_base_and_tip_is_its_middle() -> None:
    """``tail`` alone is the tail base, unless the file names the base and the tip too."""
    plan = plan_keypoint_map(["nose", "earL", "earR", "tailstart", "tail", "tailend"])
    assert plan.mapped["tail"] == "tail3" and plan.mapped["tailstart"] == "tail_base"
    assert plan_keypoint_map(["nose", "earL", "earR", "tail"]).mapped["tail"] == "tail_base"


@pytest.mark.parametrize("base", ["Butt", "TailBase", "tail_base"])
def test_a_bare_tail_behind_a_named_base_is_put_where_the_file_s_data_says(base: str
                                                                           ) -> None:
    """A real DeepLabCut project's four points, ``Nose, Neck, Butt, Tail`` (its README: the
    tail's tip; in its labels 0.88 nose-to-``Butt`` lengths behind ``Butt``), and
    BehaviorDEPOT's ``Tailbase`` and ``Tail`` (0.33 lengths behind): a bare ``tail`` behind a
    more specifically named base, with no tip named, lies anywhere down the tail. Placed
    where the file's data measured it (``tail_reach``); from the names alone it is not
    lifted, and said (a tip read from names alone raised BehaviorDEPOT's lifted nose by
    3-4 mm)."""
    names = ["Nose", "Neck", base, "Tail"]
    plan = plan_keypoint_map(names)
    assert plan.mapped == {"Nose": "nose", "Neck": "neck", base: "tail_base"}
    assert "down the tail" in plan.dropped["Tail"]
    assert any("'Tail'" in w and "down the tail" in w for w in plan.warnings)
    tip = plan_keypoint_map(names, tail_reach={"Tail": 0.88})
    assert tip.mapped["Tail"] == "tail_end" and not tip.dropped and not tip.warnings
    assert plan_keypoint_map(names, tail_reach={"Tail": 0.33}).mapped["Tail"] == "tail2"
    # numbered points down the tail already: the bare name's place is not known
    numbered = plan_keypoint_map(["nose", base, "tail1", "Tail"], tail_reach={"Tail": 0.9})
    assert "Tail" not in numbered.mapped


def test_a_name_of_alternatives_is_read_by_the_first_that_names_a_landmark() -> None:
    """B-SOiD's required names (``Snout/Head``, ``Forepaw/Shoulder1`` ...): the nose is read;
    a numbered pair whose sides the names do not say is left out, not put on the midline."""
    names = ["Snout/Head", "Forepaw/Shoulder1", "Forepaw/Shoulder2", "Hindpaw/Hip1",
             "Hindpaw/Hip2", "Tailbase"]
    plan = plan_keypoint_map(names)
    assert plan.mapped == {"Snout/Head": "nose", "Tailbase": "tail_base"}
    assert set(plan.dropped) == set(names[1:5])


def test_numbered_dorsal_points_spread_along_the_back() -> None:
    """A real DLC 3 project's ``dorsal_1 ... dorsal_4`` (a lab's HRNet multi-animal mice,
    between ``head_centre`` and ``tail_base``) were left unlifted; they are numbered spine
    points, front to back, as ``spine1 ... spine4`` are. One alone is the back's middle."""
    names = ["nose", "left_ear", "right_ear", "head_centre", "dorsal_1", "dorsal_2",
             "dorsal_3", "dorsal_4", "shoulder_left", "hip_left", "tail_base"]
    mapped = plan_keypoint_map(names).mapped
    assert [mapped[f"dorsal_{i}"] for i in (1, 2, 3, 4)] == [
        "neck", "mouse_center", "mid_backend", "mid_backend3"]
    assert plan_keypoint_map(["nose", "dorsal", "tail_base"]).mapped["dorsal"] == "mouse_center"


@pytest.mark.parametrize("names", [["nose", "right ear", "left ear", "tail"],
                                   ["nose", "head", "tail"], ["snout", "tail", "spine1"]])
def test_a_tail_without_spine4_is_the_tail_base(names: list[str]) -> None:
    """A file of a nose, ears (or a head) and ``tail`` calls its tail base ``tail`` (a real
    social-behaviour lab's DLC files: ear midpoint to tail 49 px where nose to ears is 18):
    keypoint-MoSeq's skeleton, whose ``tail`` lies behind ``spine4``, is not matched on it,
    and the lift is not refused for a body ending at its tail's tip."""
    assert match_skeleton(names) is None
    assert plan_keypoint_map(names).mapped["tail"] == "tail_base"


def test_keypoint_moseq_names_end_the_body_at_spine4() -> None:
    """keypoint-MoSeq's ``spine4`` is the body's back end and ``tail`` lies down the tail (its
    tutorial takes ``spine4`` as the posterior part and leaves ``tail`` out; a real file under
    these names has ``tail`` a body length behind ``spine4``): before, ``tail`` was read as the
    tail base, and that file's lift took its pixels as 1.85 times taller than wide."""
    names = ["tail", "spine4", "spine3", "spine2", "spine1", "head", "nose", "right ear",
             "left ear"]
    plan = plan_keypoint_map(names)
    assert plan.mapped["spine4"] == "tail_base" and plan.mapped["tail"] == "tail_end"
    assert [plan.mapped[f"spine{i}"] for i in (1, 2, 3)] == ["mid_back", "mouse_center",
                                                            "mid_backend2"]


def test_spine_points_named_by_their_place_spread_along_the_back() -> None:
    """A real DeepLabCut 3 project made for SimBA names its back ``spineUpper, spineMid,
    spineLower`` (beside ``neck``): the upper and lower ones were dropped as unknown. Named
    by their place, they are spread along the back in order, as numbered spine points are;
    ``spineMid`` alone stays the body centre and an upper one alone stays unknown."""
    names = ["nose", "leftEar", "rightEar", "neck", "spineUpper", "leftShoulder",
             "rightShoulder", "spineMid", "spineLower", "tailBase"]
    plan = plan_keypoint_map(names)
    assert not plan.dropped
    assert [plan.mapped[n] for n in ("neck", "spineUpper", "spineMid", "spineLower")] == [
        "neck", "mid_back", "mid_backend", "mid_backend3"]
    other = plan_keypoint_map(["nose", "upper_spine", "mid_spine", "lower_spine", "tailbase"])
    assert [other.mapped[n] for n in ("upper_spine", "mid_spine", "lower_spine")] == [
        "neck", "mouse_center", "mid_backend3"]
    assert plan_keypoint_map(["nose", "spineMid", "tailbase"]).mapped["spineMid"] == (
        "mouse_center")
    assert "spineUpper" in plan_keypoint_map(["nose", "spineUpper", "tailbase"]).dropped


def test_deepof_names_with_points_between_them() -> None:
    """A real two-mouse project labelled DeepOF's names and a point between each two along
    the back and the sides (``Spine_1-center``, ``Left_mid``...; 22 keypoints) matched no
    skeleton: 9 of them, the shoulders and hips among them, were dropped, and the closest
    name offered for ``Left_fhip`` (a front hip: the shoulder) was ``left_hip``. Measured on
    that file, the back points lie at 0.37, 0.48, 0.59, 0.70, 0.80 and 0.90 of the way from
    the nose to the tail base: the catalogue's back from the neck on."""
    names = ["Nose", "Left_ear", "Right_ear", "Center_head", "Left_fhip", "Right_fhip",
             "Spine_1", "Spine_1-center", "Center", "Left_mid", "Right_mid", "Left_bhip",
             "Right_bhip", "Spine_center-2", "Spine_2", "Spine_2-base", "Tail_base", "Tail_1",
             "Tail_2", "Tail_3", "Tail_4", "Tail_tip"]
    plan = plan_keypoint_map(names)
    assert plan.skeleton == "deepof_more_bodyparts" and not plan.dropped
    assert [plan.mapped[n] for n in ("Spine_1", "Spine_1-center", "Center", "Spine_center-2",
                                     "Spine_2", "Spine_2-base")] == [
        "neck", "mid_back", "mouse_center", "mid_backend", "mid_backend2", "mid_backend3"]
    assert plan.mapped["Left_fhip"] == "left_shoulder" and plan.mapped["Right_bhip"] == (
        "right_hip")
    # DeepOF's own 14 names keep DeepOF's skeleton
    assert plan_keypoint_map(["Nose", "Left_ear", "Right_ear", "Spine_1", "Center", "Spine_2",
                              "Tail_base", "Tail_1", "Tail_2", "Tail_tip", "Left_bhip",
                              "Right_bhip", "Left_fhip", "Right_fhip"]).skeleton == "deepof"
    # outside both skeletons, DeepOF's side names still read as what they are
    few = plan_keypoint_map(["nose", "left_fhip", "right_bhip", "left_mid", "tailbase",
                             "MainBody"]).mapped
    assert few == {"nose": "nose", "left_fhip": "left_shoulder", "right_bhip": "right_hip",
                   "left_mid": "left_midside", "tailbase": "tail_base",
                   "MainBody": "mouse_center"}


def test_keypoint_map_entries_that_name_no_keypoint_are_said() -> None:
    """A map entry naming no keypoint of the file was ignored without a word (a user's
    ``mainbody:`` for the file's ``MainBody``, and a ``Snout:`` for a file of ``Nose``): an
    entry that differs only in case or separators is used for its keypoint and said, one
    naming nothing is said with the file's nearest names."""
    names = ["Nose", "Head", "MainBody", "Butt", "TailTip"]
    plan = plan_keypoint_map(names, {"main body": "mid_back", "Snout": "nose",
                                     "Heads": "head_midpoint"}, source="Demo_1.csv")
    assert plan.mapped["MainBody"] == "mid_back"
    said = " ".join(plan.warnings)
    assert "'main body' as the file's 'MainBody'" in said
    assert "naming no keypoint of the file, not used: 'Snout'; 'Heads' (the file's " \
        "nearest: Head)" in said
    assert said.startswith("Demo_1.csv: ")
    exact = plan_keypoint_map(names, {"MainBody": "mid_back"})
    assert exact.mapped["MainBody"] == "mid_back" and not any(
        "keypoint map entries" in w for w in exact.warnings)


def test_limb_joints_named_without_a_side_are_said_to_be_a_side_view() -> None:
    """AutoGaitA's beam-walking mice (a real DeepLabCut side view: ``Nose, Wrist, Elbow,
    Iliac Crest, Knee, Ankle, Tail base``...) lifted as if from above without a word on the
    view, their heights meaningless; the joints without a side are said to be a side view's.
    A top view naming its joints with their sides is not."""
    names = ["Nose", "Ear base", "Wrist", "Elbow", "Iliac Crest", "Hip", "Knee", "Ankle",
             "Tail base", "Tail tip"]
    warnings = plan_keypoint_map(names, source="run3.csv").warnings
    said = [w for w in warnings if "side view" in w]
    assert len(said) == 1 and said[0].startswith("run3.csv: Wrist, Elbow, Iliac Crest, Knee")
    assert "from above" in said[0]
    sided = plan_keypoint_map(["nose", "left_elbow", "right_knee", "Elbow", "Knee", "tailbase"])
    assert not any("side view" in w for w in sided.warnings)
    assert not any("side view" in w for w in plan_keypoint_map(["nose", "Knee",
                                                                "tailbase"]).warnings)


def test_a_joint_word_inside_another_word_is_no_side_view() -> None:
    """``Shocker`` (a fear-conditioning grid's part) holds ``hock`` but is no ankle: with a
    ``Knee`` it made two unsided limb joints and a side view; ``Elbow1`` and ``Knee`` do."""
    plain = plan_keypoint_map(["nose", "tailbase", "Shocker", "Knee"])
    assert not any("side view" in w for w in plain.warnings)
    joints = plan_keypoint_map(["nose", "tailbase", "Elbow1", "Knee"])
    assert any("side view" in w for w in joints.warnings)


def test_a_tail_chain_numbered_from_0_is_spread_and_foot_joints_are_read() -> None:
    """The Talmo lab's eight-camera mouse (34 nodes, ``TTI``, ``Tail_0 ... Tail_4``,
    ``TailTip``; ``Heel_L``, ``MTP_L``): a chain from 0 is not the catalogue's ``tail1 ...
    tail5`` but points along the tail, spread between the named base and tip (``Tail_0``
    was read as a second tail base and lifted as ``tail5``); the heel is at the ankle, the
    toes' base joint (MTP) is the paw."""
    names = ("Nose,Ear_R,Ear_L,TTI,TailTip,Head,Trunk,Tail_0,Tail_1,Tail_2,Shoulder_L,"
             "Shoulder_R,Knee_L,Knee_R,Neck,Elbow_L,Elbow_R,Wrist_L,Wrist_R,Forepaw_L,"
             "Forepaw_R,Heel_L,Heel_R,Spine,Eye_L,Eye_R,Tail_3,Tail_4,Hip_L,Hip_R,Lisfranc_R,"
             "MTP_L,Lisfranc_L,MTP_R").split(",")
    plan = plan_keypoint_map(names)
    assert [plan.mapped[f"Tail_{i}"] for i in range(5)] == [f"tail{i}" for i in range(1, 6)]
    assert plan.mapped["TTI"] == "tail_base" and plan.mapped["TailTip"] == "tail_end"
    assert plan.mapped["Heel_L"] == "left_ankle" and plan.mapped["MTP_R"] == "right_hindpaw"
    assert not any("next tail point" in w for w in plan.warnings)
