"""The Blender mouse and the Cycles renderer (needs ``bpy``; toy sizes)."""

from __future__ import annotations

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

from dlc_lifter.mouse.catalogue import CATALOGUE  # noqa: E402
from dlc_lifter.mouse.rig import get_rig  # noqa: E402
from dlc_lifter.synth import blender  # noqa: E402
from dlc_lifter.synth.render import FastRenderer, make_sample  # noqa: E402
from dlc_lifter.synth.scene import sample_scene  # noqa: E402

TOP = [CATALOGUE.index(n) for n in ("neck", "mid_back", "mouse_center", "mid_backend",
                                     "mid_backend2", "head_midpoint")]


@pytest.fixture(scope="module")
def rig():
    return get_rig()


@pytest.fixture(scope="module")
def renderer(rig):
    return blender.BlenderRenderer(rig, samples=4)


def _pose(rig, seed):
    rng = np.random.default_rng(seed)
    pose = rig.zero_pose()[0]
    pose[:3] = [rng.uniform(-50, 50), rng.uniform(-50, 50), 0.0]
    pose[3] = rng.uniform(-np.pi, np.pi)
    pose[4:] = rng.normal(0.0, 0.25, len(pose) - 4)
    return rig.clip_to_limits(pose[None])[0]


def test_built_model(renderer, rig):
    arm, skin = renderer.arm, renderer.skin
    names = [b.name for b in arm.data.bones]
    assert sum(n in ("sacrum", "lumbar1", "lumbar2", "thoracic1", "thoracic2", "thoracic3")
               for n in names) >= 6
    assert {"neck", "skull", "left_ear", "right_ear"} <= set(names)
    assert sum(n.startswith("tail") for n in names) >= 6
    for side in ("left", "right"):
        assert sum(n.startswith(side + "_") and n != side + "_ear" for n in names) >= 8
    assert all("joint_limits_rad" in pb for pb in arm.pose.bones)
    assert len(skin.data.vertices) >= 3000
    assert {g.name for g in skin.vertex_groups} == set(rig.bone_names)
    assert list(skin["landmark_names"]) == list(CATALOGUE)
    lm = blender.blender_landmarks(arm, skin)
    assert lm.shape == (len(CATALOGUE), 3) and np.all(np.isfinite(lm))


def test_blender_deformation_equals_numpy_lbs(renderer, rig):
    for seed in range(3):
        pose = _pose(rig, seed)
        blender.pose_mouse(renderer.arm, rig, pose)
        err = np.abs(blender.evaluated_vertices(renderer.skin) - rig.skin(pose[None])[0])
        assert err.max() < 0.01
        lm_err = np.abs(blender.blender_landmarks(renderer.arm, renderer.skin)
                        - rig.landmarks(pose[None])[0])
        assert lm_err.max() < 0.01


def test_camera_conversion_matches_opencv(renderer, rig):
    from bpy_extras.object_utils import world_to_camera_view
    from mathutils import Vector

    rng = np.random.default_rng(3)
    scene = sample_scene(rng, image_size=(80, 60), span_range_mm=(150, 200))
    cam_obj = blender.set_camera(scene.camera)
    bpy.context.view_layer.update()
    pts = rig.landmarks(rig.zero_pose())[0]
    uv = scene.camera.project(pts)
    w, h = scene.camera.image_size
    for p, (u, v) in zip(pts, uv, strict=True):
        ndc = world_to_camera_view(bpy.context.scene, cam_obj, Vector(p.tolist()))
        assert abs(ndc.x * w - 0.5 - u) < 0.01
        assert abs((1.0 - ndc.y) * h - 0.5 - v) < 0.01


def test_cycles_render_depth_mask_keypoints(renderer, rig):
    rng = np.random.default_rng(11)
    pose = _pose(rig, 5)
    pose[4:] *= 0.3
    pose = rig.clip_to_limits(pose[None])[0]
    centre = rig.landmarks(pose[None])[0, CATALOGUE.index("mouse_center"), :2]
    scene = sample_scene(rng, image_size=(64, 48), target_xy=tuple(centre),
                         span_range_mm=(140.0, 150.0))
    s = make_sample(rig, pose, scene, renderer, rng)
    assert s.rgb.shape == (48, 64, 3) and s.rgb.std() > 1
    assert s.mask.sum() > 40
    # Z pass = camera Z: the floor matches the analytic floor depth (not ray length).
    fast = make_sample(rig, pose, scene, FastRenderer(rig), rng)
    bg = ~s.mask & ~fast.mask
    assert np.abs(s.depth[bg] - fast.depth[bg]).max() < 0.05
    iou = (s.mask & fast.mask).sum() / (s.mask | fast.mask).sum()
    assert iou > 0.9
    checked = 0
    for k in TOP:
        u, v = np.round(s.keypoints_2d[k]).astype(int)
        if s.visible[k] and s.mask[v, u]:
            assert abs(float(s.depth[v, u]) - s.keypoints_cam[k, 2]) < 2.0
            checked += 1
    assert checked >= 3
    for k in np.flatnonzero(s.visible):
        u, v = np.round(s.keypoints_2d[k]).astype(int)
        assert s.mask[max(v - 1, 0):v + 2, max(u - 1, 0):u + 2].any()


def test_cached_blend_reloads(rig, tmp_path):
    path = blender.cached_mouse_blend(rig, cache_dir=tmp_path)
    assert path.is_file() and path.stat().st_size < 5_000_000
    assert blender.cached_mouse_blend(rig, cache_dir=tmp_path) == path
    bpy.ops.wm.open_mainfile(filepath=str(path))
    arm, skin = bpy.data.objects["mouse_armature"], bpy.data.objects["mouse_skin"]
    pose = _pose(rig, 9)
    blender.pose_mouse(arm, rig, pose)
    lm = blender.blender_landmarks(arm, skin)
    assert np.abs(lm - rig.landmarks(pose[None])[0]).max() < 0.01


def test_realistic_dataset(tmp_path):
    from dlc_lifter.synth import load_dataset, synthesize

    idx = synthesize(tmp_path / "r", 2, seed=0, quality="realistic", resolution=32,
                     frames_per_mouse=2, progress=False)
    d = load_dataset(idx).load()
    assert d["rgb"].shape == (2, 32, 32, 3) and d["mask"].any()


def test_a_renderer_leaves_no_folder_behind(rig):
    """Each renderer's scratch folder (its last EXR frame) goes with it; every renderer
    left one in the system's temporary folder (86 there after a day of tests)."""
    import gc
    from pathlib import Path

    one = blender.BlenderRenderer(rig, samples=1)
    folder = Path(one._tmp)
    assert folder.is_dir()
    del one
    gc.collect()
    assert not folder.exists()
