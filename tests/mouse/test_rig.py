"""Tests of the rigged synthetic mouse (skeleton, skin mesh, skinning, landmarks)."""

from __future__ import annotations

import numpy as np
import pytest

from dlc_lifter.mouse import CATALOGUE, LANDMARKS, MouseRig, MouseShape, load_spec, sample_shape
from dlc_lifter.mouse.catalogue import catalogue_index


@pytest.fixture(scope="module")
def rig() -> MouseRig:
    return MouseRig()


def _random_poses(rig: MouseRig, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    pose = rig.zero_pose(n)
    lim = rig.joint_limits
    _, _, e = rig.split_pose(pose)
    e[:] = rng.uniform(lim[..., 0], lim[..., 1], size=e.shape) * 0.6
    pose[:, :3] = rng.uniform(-50, 50, (n, 3))
    pose[:, 3] = rng.uniform(-np.pi, np.pi, n)
    pose[:, -1] = rng.uniform(-0.3, 0.3, n)  # trunk stretch
    return pose


def test_landmarks_exist_and_finite(rig: MouseRig) -> None:
    lm = rig.landmarks(_random_poses(rig, 20, 0))
    assert lm.shape == (20, len(CATALOGUE), 3)
    assert np.isfinite(lm).all()
    # distinct points at rest
    rest = rig.landmarks(rig.zero_pose())[0]
    d = np.linalg.norm(rest[:, None] - rest[None], axis=-1) + np.eye(len(rest)) * 1e3
    assert d.min() > 0.5



def test_a_spec_file_missing_or_without_its_sections_is_refused(tmp_path) -> None:
    from dlc_lifter.errors import MouseSpecError

    partial = tmp_path / "partial.yaml"
    partial.write_text("body: {}\nhead: {}\n")
    for path, said in ((tmp_path / "none.yaml", r"spec .*none\.yaml does not exist"),
                       (partial, r"partial\.yaml must be a mapping with sections")):
        with pytest.raises(MouseSpecError, match=said):
            load_spec(path)

def test_rest_dimensions_within_anatomy(rig: MouseRig) -> None:
    spec = load_spec()
    rest = rig.landmarks(rig.zero_pose())[0]
    idx = dict(zip(CATALOGUE, range(len(CATALOGUE)), strict=True))
    lo, hi = spec["body"]["nose_to_tail_base"]["range"]
    body_len = rest[idx["nose"], 0] - rest[idx["tail_base"], 0]
    assert lo <= body_len <= hi
    lo, hi = spec["tail"]["length"]["range"]
    names = list(rig.bone_names)
    t_len = sum(
        np.linalg.norm(rig.bone_rest_tails[names.index(f"tail{k:02d}")]
                       - rig.bone_rest_heads[names.index(f"tail{k:02d}")])
        for k in range(1, 11)
    )
    assert lo <= t_len <= hi
    v = rig.rest_vertices[slice(*rig.parts["body"])]
    lo, hi = spec["body"]["back_height"]["range"]
    assert lo <= v[:, 2].max() <= hi
    lo, hi = spec["body"]["body_width"]["range"]
    assert lo <= np.ptp(v[:, 1]) <= hi
    # standing on four paws on the floor, nothing below it
    assert rig.rest_vertices[:, 2].min() >= -1e-6
    paws = catalogue_index(["left_forepaw", "right_forepaw", "left_hindpaw", "right_hindpaw"])
    assert np.all(rest[paws, 2] < 2.0)
    # faces +x
    assert rest[idx["nose"], 0] > rest[idx["tail_end"], 0]


def test_mesh_closed_and_size(rig: MouseRig) -> None:
    assert 3000 <= len(rig.rest_vertices) <= 8000
    assert rig.faces.dtype.kind == "i"
    for name, (a, b) in rig.parts.items():
        f = rig.faces[(rig.faces[:, 0] >= a) & (rig.faces[:, 0] < b)]
        assert np.all((f >= a) & (f < b)), name
        e = np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), axis=1)
        _, counts = np.unique(e, axis=0, return_counts=True)
        assert np.all(counts == 2), name
        # outward orientation: positive enclosed volume
        p = rig.rest_vertices
        vol = np.sum(p[f[:, 0]] * np.cross(p[f[:, 1]], p[f[:, 2]])) / 6
        assert vol > 0, name
    assert sum(b - a for a, b in rig.parts.values()) == len(rig.rest_vertices)


def test_lbs_rest_is_identity_and_weights_normalised(rig: MouseRig) -> None:
    out = rig.skin(rig.zero_pose(2))
    np.testing.assert_allclose(out[1], rig.rest_vertices, atol=1e-9)
    w = rig.weights
    np.testing.assert_allclose(w.sum(1), 1.0, atol=1e-9)
    assert (np.count_nonzero(w, axis=1) <= 4).all()


def test_skinning_matches_matrix_formula(rig: MouseRig) -> None:
    pose = _random_poses(rig, 3, 1)
    s = rig.skinning_matrices(pose)
    np.testing.assert_allclose(
        s, rig.bone_matrices(pose) @ np.linalg.inv(rig.bone_rest_matrices)[None], atol=1e-9
    )
    v = rig.rest_vertices
    vh = np.concatenate([v, np.ones((len(v), 1))], 1)
    expect = np.einsum("vb,nbij,vj->nvi", rig.weights, s, vh)[..., :3]
    np.testing.assert_allclose(rig.skin(pose), expect, atol=1e-8)


def test_surface_landmarks_on_skin(rig: MouseRig) -> None:
    pose = _random_poses(rig, 5, 2)
    lm = rig.landmarks(pose)
    skin = rig.skin(pose)
    for i, mark in enumerate(LANDMARKS):
        if mark.kind == "surface":
            d = np.linalg.norm(skin - lm[:, i : i + 1], axis=-1).min(1)
            assert d.max() < 1e-6, mark.name


def test_joint_landmarks_are_bone_joints(rig: MouseRig) -> None:
    pose = _random_poses(rig, 4, 3)
    heads, tails = rig.bone_positions(pose)
    lm = rig.landmarks(pose)
    names = list(rig.bone_names)
    for side in ("left", "right"):
        np.testing.assert_allclose(lm[:, CATALOGUE.index(f"{side}_elbow")],
                                   tails[:, names.index(f"{side}_humerus")], atol=1e-9)
        np.testing.assert_allclose(lm[:, CATALOGUE.index(f"{side}_ankle")],
                                   tails[:, names.index(f"{side}_tibia")], atol=1e-9)


def test_trunk_stretch_lengthens_the_trunk_only(rig: MouseRig) -> None:
    rest = rig.landmarks(rig.zero_pose())[0]
    pose = rig.zero_pose(1)
    pose[0, -1] = 0.2
    lm = rig.landmarks(pose)[0]
    heads, _ = rig.bone_positions(pose)
    names = list(rig.bone_names)
    trunk_len = np.linalg.norm(rig.bone_rest_heads[names.index("neck")]
                               - rig.bone_rest_heads[names.index("lumbar2")])
    got = np.linalg.norm(heads[0, names.index("neck")] - heads[0, names.index("lumbar2")])
    assert got == pytest.approx(1.2 * trunk_len, rel=0.01)
    i = {n: CATALOGUE.index(n) for n in ("nose", "left_ear", "tail_base", "left_hindpaw",
                                          "left_forepaw", "left_elbow")}
    # the head moves forward by the added trunk length, rigidly
    assert lm[i["nose"], 0] - rest[i["nose"], 0] == pytest.approx(0.2 * trunk_len, rel=0.05)
    np.testing.assert_allclose(lm[i["nose"]] - lm[i["left_ear"]],
                               rest[i["nose"]] - rest[i["left_ear"]], atol=1e-6)
    # the hind quarters stay; a forelimb keeps its length
    np.testing.assert_allclose(lm[[i["tail_base"], i["left_hindpaw"]]],
                               rest[[i["tail_base"], i["left_hindpaw"]]], atol=1e-6)
    assert np.linalg.norm(lm[i["left_forepaw"]] - lm[i["left_elbow"]]) == pytest.approx(
        np.linalg.norm(rest[i["left_forepaw"]] - rest[i["left_elbow"]]), rel=1e-6)


def test_pose_without_trunk_stretch_is_accepted(rig: MouseRig) -> None:
    pose = _random_poses(rig, 3, 4)
    pose[:, -1] = 0.0
    old = pose[:, :-1]  # the pose length before the trunk stretch existed
    assert old.shape[1] == 4 + 3 * rig.n_bones
    np.testing.assert_allclose(rig.landmarks(old), rig.landmarks(pose), atol=1e-12)
    np.testing.assert_array_equal(rig.trunk_stretch(old), 0.0)
    with pytest.raises(ValueError, match="5 \\+ 3 \\* n_bones"):
        rig.split_pose(pose[:, :-2])


def test_heading_rotates_about_z(rig: MouseRig) -> None:
    pose = rig.zero_pose(1)
    pose[0, 3] = np.pi / 2
    lm = rig.landmarks(pose)[0]
    rest = rig.landmarks(rig.zero_pose())[0]
    np.testing.assert_allclose(lm[:, 0], -rest[:, 1], atol=1e-9)
    np.testing.assert_allclose(lm[:, 1], rest[:, 0], atol=1e-9)


def test_shapes_vary_and_build() -> None:
    rng = np.random.default_rng(0)
    shapes = [sample_shape(rng) for _ in range(3)]
    assert len({s.as_array().tobytes() for s in shapes}) == 3
    big = MouseRig(MouseShape(scale=1.1, tail_length=1.05))
    small = MouseRig(MouseShape(scale=0.9))
    assert np.ptp(big.rest_vertices[:, 0]) > np.ptp(small.rest_vertices[:, 0])
    assert big.rest_vertices[:, 2].min() >= -1e-6
