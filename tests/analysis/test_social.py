"""Social features of files with several animals, on hand-placed mice with known answers."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from dlc_lifter.analysis.features import compute_features, feature_columns, features_record
from dlc_lifter.cli import app
from dlc_lifter.io import read_poses
from dlc_lifter.poses import PoseMetadata, Poses
from tests.fixtures.realdata import REALDATA, needs_realdata
from tests.fixtures.toys import FPS, MOUSE_BODY, mice_together, rigid_mouse

DEEPOF = REALDATA / "deepof-two-mice" / "testDLC_h5_table_madlc.h5"
SOCIAL_MM = ["social_distance_mm", "social_approach_speed_mm_s", "social_facing_angle_rad",
             "social_nose_to_nose_mm", "social_nose_to_partner_tail_base_mm",
             "social_partner_nose_to_tail_base_mm", "social_nose_above_partner_back_mm"]


NOSE_Z = MOUSE_BODY["nose"][2]


def _rows(df: pd.DataFrame, individual: str) -> pd.DataFrame:
    return df[df["individual"] == individual].reset_index(drop=True)


def _face_to_face() -> Poses:
    """``a`` heading +x from the origin; ``b`` heading -x towards it, its tail base 200 mm
    away, walking at 30 mm/s: centres 150 mm apart, noses 40 mm, in the first frame."""
    return mice_together(_face_to_face_mice())


def _face_to_face_mice() -> dict[str, Poses]:
    return {"a": rigid_mouse(),
            "b": rigid_mouse(speed=30.0, yaw=np.pi, start=(200.0, 0.0))}


def test_two_mice_face_to_face() -> None:
    df = compute_features(_face_to_face())
    t = np.arange(40) / FPS
    for who, other in (("a", "b"), ("b", "a")):
        r = _rows(df, who)
        assert (r["social_partner"] == other).all()
        np.testing.assert_allclose(r["social_distance_mm"], 150.0 - 30.0 * t)
        np.testing.assert_allclose(r["social_approach_speed_mm_s"], 30.0)
        np.testing.assert_allclose(r["social_facing_angle_rad"], 0.0, atol=1e-6)
        np.testing.assert_allclose(r["social_nose_to_nose_mm"], 40.0 - 30.0 * t)
        nose_to_tail = np.hypot(120.0 - 30.0 * t, NOSE_Z - MOUSE_BODY["tail_base"][2])  # 3D
        np.testing.assert_allclose(r["social_nose_to_partner_tail_base_mm"], nose_to_tail)
        np.testing.assert_allclose(r["social_partner_nose_to_tail_base_mm"], nose_to_tail)
        np.testing.assert_allclose(r["social_nose_above_partner_back_mm"],
                                   NOSE_Z - MOUSE_BODY["mouse_center"][2])
    record = features_record(df)["columns"]
    assert record["social_approach_speed_mm_s"] == "mm/s"
    assert record["social_facing_angle_rad"] == "rad" and record["social_nose_to_nose_mm"] == "mm"
    # the partner is a name: a classifier takes the measurements, not it
    assert "social_partner" not in feature_columns(df)
    assert set(SOCIAL_MM) <= set(feature_columns(df))
    assert list(df.columns[-2:]) == ["rearing", "nose_imputed"]  # the table still ends so


def test_facing_angle_sideways_and_away() -> None:
    """``b`` stands beside ``a``'s middle heading away from it: ``a`` sees it at right
    angles, ``b`` has ``a`` straight behind."""
    df = compute_features(mice_together({
        "a": rigid_mouse(), "b": rigid_mouse(yaw=np.pi / 2, start=(25.0, 100.0))}))
    np.testing.assert_allclose(_rows(df, "a")["social_facing_angle_rad"], np.pi / 2)
    np.testing.assert_allclose(_rows(df, "b")["social_facing_angle_rad"], np.pi)
    np.testing.assert_allclose(_rows(df, "a")["social_distance_mm"], 125.0)
    np.testing.assert_allclose(_rows(df, "a")["social_approach_speed_mm_s"], 0.0, atol=1e-9)


def test_a_nose_above_the_other_s_back() -> None:
    """``b`` reared over ``a``'s back (its nose 60 mm up, 5 mm behind ``a``'s centre)."""
    high = {**MOUSE_BODY, "nose": (80.0, 0.0, 60.0)}
    df = compute_features(mice_together({
        "a": rigid_mouse(), "b": rigid_mouse(body=high, start=(-60.0, 0.0))}))
    np.testing.assert_allclose(_rows(df, "b")["social_nose_above_partner_back_mm"],
                               60.0 - MOUSE_BODY["mouse_center"][2])
    np.testing.assert_allclose(_rows(df, "b")["social_nose_to_partner_tail_base_mm"],
                               np.hypot(20.0, 60.0 - MOUSE_BODY["tail_base"][2]))
    np.testing.assert_allclose(_rows(df, "a")["social_nose_above_partner_back_mm"],
                               NOSE_Z - MOUSE_BODY["mouse_center"][2])


def test_a_missing_partner_gives_nan() -> None:
    p = _face_to_face()
    p.coords[10:15, 1] = np.nan  # b untracked in frames 10-14
    p.coords[20, 1, p.keypoints.index("nose")] = np.nan  # b's nose (and head) lost
    p.coords[20, 1, p.keypoints.index("left_ear")] = np.nan
    df = compute_features(p)
    for who in ("a", "b"):
        r = _rows(df, who)
        assert r.loc[10:14, SOCIAL_MM].isna().all().all()
        assert r.loc[10:14, "social_partner"].isna().all()
        assert r.loc[[0, 5, 25, 39], SOCIAL_MM].notna().all().all()
    a = _rows(df, "a")
    assert np.isnan(a.loc[20, "social_nose_to_nose_mm"])
    assert np.isnan(a.loc[20, "social_partner_nose_to_tail_base_mm"])
    assert a.loc[20, "social_partner"] == "b" and np.isfinite(a.loc[20, "social_distance_mm"])
    np.testing.assert_allclose(a.loc[20, "social_nose_to_partner_tail_base_mm"],
                               np.hypot(120.0 - 30.0 * 20 / FPS, 4.0))


def test_three_mice_the_nearest_partner_per_frame() -> None:
    """``c`` walks past ``a`` at 300 mm/s: ``a``'s partner is ``b`` (100 mm off) until ``c``
    comes nearer, then ``c``, then ``b`` again; each row's approach speed is about the
    partner of that row."""
    p = mice_together({"a": rigid_mouse(), "b": rigid_mouse(start=(0.0, 100.0)),
                       "c": rigid_mouse(speed=300.0, yaw=np.pi / 2, start=(0.0, -250.0))})
    a = _rows(compute_features(p), "a")
    k = np.arange(40)
    to_c = np.hypot(25.0, -225.0 + 10.0 * k)  # centre to centre
    near_c = to_c < 100.0
    assert near_c[13:33].all() and not near_c[:13].any() and not near_c[33:].any()
    np.testing.assert_array_equal(a["social_partner"], np.where(near_c, "c", "b"))
    np.testing.assert_allclose(a["social_distance_mm"], np.where(near_c, to_c, 100.0))
    closing_c = -np.gradient(to_c, k / FPS)
    np.testing.assert_allclose(a["social_approach_speed_mm_s"],
                               np.where(near_c, closing_c, 0.0), atol=1e-9)
    assert abs(a.loc[13, "social_approach_speed_mm_s"]) > 100.0  # c's, not the jump to it


def test_a_single_mouse_table_is_unchanged_by_a_partner() -> None:
    """A mouse's own columns are the same alone and beside another; only the social
    columns come with the other, and the record asks nothing new."""
    alone = compute_features(rigid_mouse(speed=30.0, yaw=np.pi, start=(200.0, 0.0)))
    assert not any(c.startswith("social") for c in alone.columns)
    pair = compute_features(_face_to_face())
    b = _rows(pair, "b")
    pd.testing.assert_frame_equal(b[alone.columns].drop(columns="individual"),
                                  alone.drop(columns="individual"))
    assert [c for c in pair.columns if c not in alone.columns] == [
        "social_partner", *SOCIAL_MM]
    assert pair.attrs["options"] == alone.attrs["options"]
    # one individual asked for: its social columns are still about the other
    one = compute_features(_face_to_face(), individual="b")
    pd.testing.assert_frame_equal(one, b)


def test_2d_poses_give_social_columns_in_pixels() -> None:
    """The face-to-face mice seen from above as image pixels (``y`` down): the same
    distances in px, no heights."""
    p = _face_to_face()
    xy = p.coords[..., :2] * [1.0, -1.0] + [300.0, 200.0]
    img = Poses(xy, np.ones(xy.shape[:3]), keypoints=p.keypoints, individuals=p.individuals,
                meta=PoseMetadata(fps=FPS, frame="image", units="px"))
    a = _rows(compute_features(img), "a")
    t = np.arange(40) / FPS
    np.testing.assert_allclose(a["social_distance_px"], 150.0 - 30.0 * t)
    np.testing.assert_allclose(a["social_approach_speed_px_s"], 30.0)
    np.testing.assert_allclose(a["social_nose_to_nose_px"], 40.0 - 30.0 * t)
    np.testing.assert_allclose(a["social_facing_angle_rad"], 0.0, atol=1e-6)
    assert not any("above" in c or c.endswith("_mm") for c in a.columns)


def test_the_features_verb_writes_social_columns(tmp_path: Path) -> None:
    from dlc_lifter.io import write_dlc_3d

    src = write_dlc_3d(_face_to_face(), tmp_path / "pairDLC_x_lifted3d.h5")
    r = CliRunner().invoke(app, ["features", str(src), "-o", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(tmp_path / "out" / "pairDLC_x_lifted3d_features.csv")
    np.testing.assert_allclose(_rows(df, "a")["social_nose_to_nose_mm"][0], 40.0, rtol=1e-6)
    assert set(_rows(df, "a")["social_partner"]) == {"b"}
    units = json.loads((tmp_path / "out" / "pairDLC_x_lifted3d_features.json").read_text())
    assert units["columns"]["social_distance_mm"] == "mm"


@pytest.mark.realdata
@needs_realdata(DEEPOF)
def test_real_two_mice_social_columns_are_plausible() -> None:
    """DeepOF's two mice (2D, px): each one's partner is the other; centres lie a fraction
    of a body length to a few apart, never closer than the animals' bodies allow."""
    p = read_poses(DEEPOF)
    df = compute_features(p, fps=25.0)
    for who, other in (("mouse_black_tail", "mouse_white_tail"),
                       ("mouse_white_tail", "mouse_black_tail")):
        partner = _rows(df, who)["social_partner"].dropna()
        assert len(partner) > 0.9 * p.n_frames and (partner == other).all()
    nose, tail = p.keypoints.index("Nose"), p.keypoints.index("Tail_base")
    body = np.nanmedian(np.linalg.norm(p.coords[:, :, nose] - p.coords[:, :, tail], axis=-1))
    dist = df["social_distance_px"] / body
    assert 0.05 < dist.min() and 0.5 < dist.median() < 3.0 and dist.max() < 6.0


def _slots(mice: dict[str, Poses], extra: Callable[[list[str]], dict]) -> Poses:
    """``mice`` as untracked instances: slots ``untracked0...`` holding them in their order
    in even frames and the first two swapped in odd frames, as SLEAP's untracked instances
    come in whatever order each frame."""
    p = mice_together(mice)
    coords = p.coords.copy()
    coords[1::2, [0, 1]] = coords[1::2, [1, 0]]
    names = [f"untracked{i}" for i in range(len(mice))]
    return Poses(coords, keypoints=list(p.keypoints), individuals=names,
                 meta=PoseMetadata(fps=FPS, frame="world", units="mm", source="slots.slp",
                                   extra=extra(names)))


def test_untracked_slots_get_no_features_over_time(caplog: pytest.LogCaptureFixture) -> None:
    """A slot holds another mouse every other frame: a speed read from it would be the jump
    between two still mice, and its distance to a slot over time is to other mice."""
    mice = {"a": rigid_mouse(), "b": rigid_mouse(yaw=np.pi, start=(200.0, 0.0)),
            "c": rigid_mouse(start=(0.0, 300.0))}
    with caplog.at_level("WARNING"):
        df = compute_features(_slots(mice, lambda n: {"untracked_individuals": n}))
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "untracked0, untracked1, untracked2 are untracked instances" in said
    assert "social approach speed" in said and "faster than a mouse" not in said
    for slot in ("untracked0", "untracked1", "untracked2"):
        r = _rows(df, slot)
        assert r["head_speed_mm_s"].isna().all() and r["tail_base_speed_mm_s"].isna().all()
        assert r["social_approach_speed_mm_s"].isna().all()
    # what each frame shows alone stays: a and b are each other's nearest, 150 mm apart
    np.testing.assert_allclose(_rows(df, "untracked0")["social_distance_mm"], 150.0)
    np.testing.assert_allclose(_rows(df, "untracked2")["social_distance_mm"], 300.0)


def test_two_untracked_slots_keep_their_approach_speed() -> None:
    """With two animals in all, the slots' distance is always the two mice's, whichever
    slot holds which; a lifted file says which were slots in its lift record."""
    poses = _slots(_face_to_face_mice(), lambda n: {"lift_mode": {"untracked_alone": n}})
    df = compute_features(poses)
    r = _rows(df, "untracked0")
    np.testing.assert_allclose(r["social_approach_speed_mm_s"], 30.0)
    assert r["head_speed_mm_s"].isna().all()
