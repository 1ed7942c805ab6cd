"""Mapping user keypoint names onto the mouse landmark catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlc_lifter.mouse.catalogue import (
    CATALOGUE,
    KEYPOINT_SETS,
    UnknownKeypointError,
    closest_names,
    load_mapping,
    resolve_name,
)
from dlc_lifter.mouse.keypoint_map import map_keypoints, plan_keypoint_map

# SuperAnimal-TopViewMouse keypoint names, as DeepLabCut's model zoo writes them.
SUPERANIMAL_TOPVIEWMOUSE = [
    "nose", "left_ear", "right_ear", "left_ear_tip", "right_ear_tip", "left_eye", "right_eye",
    "neck", "mid_back", "mouse_center", "mid_backend", "mid_backend2", "mid_backend3",
    "head_midpoint", "tail_base", "tail1", "tail2", "tail3", "tail4", "tail5", "left_shoulder",
    "left_midside", "left_hip", "right_shoulder", "right_midside", "right_hip", "tail_end",
]
DANNCE = {
    "Snout": "nose", "EarL": "left_ear", "EarR": "right_ear", "SpineF": "neck",
    "SpineM": "mouse_center", "SpineL": "mid_backend2", "TailBase": "tail_base",
    "ShoulderL": "left_shoulder", "ShoulderR": "right_shoulder", "ElbowL": "left_elbow",
    "ElbowR": "right_elbow", "WristL": "left_wrist", "WristR": "right_wrist",
    "HipL": "left_hip", "HipR": "right_hip", "KneeL": "left_knee", "KneeR": "right_knee",
    "AnkleL": "left_ankle", "AnkleR": "right_ankle",
}


def test_superanimal_topviewmouse_names_map_to_themselves() -> None:
    assert map_keypoints(SUPERANIMAL_TOPVIEWMOUSE) == {n: n for n in SUPERANIMAL_TOPVIEWMOUSE}
    assert set(SUPERANIMAL_TOPVIEWMOUSE) == set(KEYPOINT_SETS["superanimal_topviewmouse"])


def test_openfield_names_map() -> None:
    assert list(map_keypoints(["snout", "leftear", "rightear", "tailbase"]).values()) == list(
        KEYPOINT_SETS["openfield"])


def test_dannce_names_map() -> None:
    assert map_keypoints(list(DANNCE)) == DANNCE


def test_names_with_brackets_map() -> None:
    """DANNCE's 2019 labelling template writes ``Tail(base)``: a file of its snout, ears and
    tail base was refused (the message itself suggesting tail_base)."""
    assert map_keypoints(["Snout", "EarL", "EarR", "Tail(base)"]) == {
        "Snout": "nose", "EarL": "left_ear", "EarR": "right_ear", "Tail(base)": "tail_base"}
    full = map_keypoints(["Snout", "EarL", "EarR", "SpineF", "SpineM", "Tail(base)",
                          "Tail(mid)", "Tail(end)", "ForepawL", "ForepawR", "HindpawL",
                          "HindpawR"])
    assert full["Tail(base)"] == "tail_base" and full["Tail(end)"] == "tail_end"


def test_every_catalogue_name_is_in_the_all_set() -> None:
    assert KEYPOINT_SETS["all"] == CATALOGUE
    assert len(set(CATALOGUE)) == len(CATALOGUE)


def test_unknown_name_lists_close_names() -> None:
    with pytest.raises(UnknownKeypointError) as info:
        map_keypoints(["nose", "taill_bse"], source="poses.h5")
    msg = str(info.value)
    assert "taill_bse" in msg and "poses.h5" in msg and "tail_base" in msg
    assert "tail_base" in info.value.suggestions["taill_bse"]
    assert map_keypoints(["nose", "taill_bse"], strict=False) == {"nose": "nose"}


def test_yaml_mapping_override(tmp_path: Path) -> None:
    f = tmp_path / "map.yaml"
    f.write_text("thorax: mouse_center\nhead: head_midpoint\nwing: null\n")
    mapping = load_mapping(f)
    assert map_keypoints(["head", "thorax", "wing"], mapping) == {
        "head": "head_midpoint", "thorax": "mouse_center"}
    bad = tmp_path / "bad.yaml"
    bad.write_text("thorax: not_a_landmark\n")
    with pytest.raises(UnknownKeypointError, match="not_a_landmark"):
        load_mapping(bad)



def test_a_mapping_file_that_cannot_be_read_is_named_with_what_is_wrong(tmp_path: Path) -> None:
    """Missing, broken YAML (its line), not text, not a flat mapping: each message names the
    file; an empty file maps nothing."""
    with pytest.raises(FileNotFoundError, match=r"Keypoint mapping file .*none\.yaml does not"):
        load_mapping(tmp_path / "none.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("snout: nose\ntail: [tail_base\n")
    with pytest.raises(ValueError, match=r"broken\.yaml is not valid YAML \(line 3\): write one"):
        load_mapping(broken)
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00snout")
    with pytest.raises(ValueError, match=r"binary\.yaml is not a text file"):
        load_mapping(binary)
    nested = tmp_path / "nested.yaml"
    nested.write_text("snout:\n  a: nose\n")
    with pytest.raises(ValueError, match=r"nested\.yaml must be a flat YAML mapping"):
        load_mapping(nested)
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert load_mapping(empty) == {}
    bom = tmp_path / "bom.yaml"
    bom.write_bytes("snout: nose\n".encode("utf-8-sig"))
    assert load_mapping(bom) == {"snout": "nose"}

def test_two_names_on_one_landmark_keep_the_more_specific() -> None:
    plan = plan_keypoint_map(["snout", "nose", "Spine_1", "spine"], source="f.h5")
    assert plan.mapped == {"snout": "nose", "spine": "mouse_center"}
    assert set(plan.dropped) == {"nose", "Spine_1"}
    assert any("'nose' and 'snout' both name 'nose'" in w for w in plan.warnings)
    assert all(w.startswith("f.h5: ") for w in plan.warnings)


def test_common_spellings_of_tail_start_neck_base_and_mid_body_map() -> None:
    for name, canon in (("tail_start", "tail_base"), ("TailRoot", "tail_base"),
                        ("neck_base", "neck"), ("midBody", "mouse_center"),
                        ("spine_mid", "mouse_center")):
        assert resolve_name(name) == canon, name


@pytest.mark.parametrize(("name", "canon"), [
    ("left_front_foot", "left_forepaw"), ("right_hindfoot", "right_hindpaw"),
    ("hindfoot_left", "left_hindpaw"), ("back_paw_right", "right_hindpaw"),
    ("lfpaw", "left_forepaw"), ("paw_FL", "left_forepaw"), ("RH_foot", "right_hindpaw"),
    ("rfpaw", "right_forepaw"),
    # a side or a limb unsaid, or a code alone (an arena's corner "bl"), stays unread
    ("front_foot", None), ("left_foot", None), ("FL", None), ("bl", None), ("paw_br", None),
])
def test_feet_and_paw_codes(name: str, canon: str | None) -> None:
    assert resolve_name(name) == canon
    if canon is None and "foot" in name:  # the hints for a foot are paws
        assert closest_names(name) and all("paw" in c for c in closest_names(name))


def test_a_typo_in_a_map_target_is_advised_as_the_catalogue_name(tmp_path: Path) -> None:
    """``snout: noze`` names 'noze' as the catalogue side of the map, with the closest
    landmarks and the corrected line, not as a keypoint of the user's to map."""
    typo = tmp_path / "map_typo.yaml"
    typo.write_text("snout: noze\n")
    with pytest.raises(UnknownKeypointError) as info:
        load_mapping(typo)
    msg = str(info.value)
    assert "map_typo.yaml" in msg and "'snout: noze'" in msg and "did you mean nose" in msg
    assert "'snout: nose'" in msg and "'noze: nose'" not in msg and "'noze: null'" not in msg
    assert info.value.names == ["noze"] and info.value.mapped_from == {"noze": "snout"}
    with pytest.raises(UnknownKeypointError, match="'snout: nose'"):
        plan_keypoint_map(["snout"], {"snout": "noze"})


@pytest.mark.parametrize(("name", "offered"), [
    # a petri dish of a lab's urine-preference box: the side word alone is no likeness
    ("leftpetridish", []), ("rightpetridish", []), ("left_dish", []),
    # DLC2Kinematics' reaching mouse: fingers are the forepaw's, not an ear or the tail base
    ("R_Finger1", ["right_forepaw", "left_forepaw"]),
    ("R_Finger1_Base", ["right_forepaw", "left_forepaw"]),
    ("L_Finger4", ["left_forepaw", "right_forepaw"]),
])
def test_hints_for_a_sided_name_look_past_the_side(name: str, offered: list[str]) -> None:
    """An unknown name's hints are alike beyond its side word: a set-up object on the left is
    not offered ``left_wrist``, a finger not ``right_ear`` or ``tail_base``."""
    assert closest_names(name) == offered
