"""Synthetic data without Blender: rasteriser, scenes, samples, datasets, poses only, CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dlc_lifter.camera import Camera
from dlc_lifter.mouse.catalogue import CATALOGUE
from dlc_lifter.mouse.rig import get_rig
from dlc_lifter.synth import (
    FastRenderer,
    SynthDatasetError,
    load_dataset,
    make_sample,
    rasterize,
    sample_scene,
    synthesize,
    write_contact_sheet,
)

TOP = [CATALOGUE.index(n) for n in ("neck", "mid_back", "mouse_center", "mid_backend",
                                     "mid_backend2", "head_midpoint")]


@pytest.fixture(scope="module")
def rig():
    return get_rig()


def _pose(rig, rng, xy=(0.0, 0.0)):
    pose = rig.zero_pose()[0]
    pose[:2] = xy
    pose[3] = rng.uniform(-np.pi, np.pi)
    pose[4:] = rng.normal(0.0, 0.08, len(pose) - 4)
    return rig.clip_to_limits(pose[None])[0]


def test_rasterizer_depth_is_exact_camera_z():
    cam = Camera.top_view(400.0, 300.0, (64, 48), tilt_rad=0.2, tilt_direction_rad=0.7)
    # A tilted square at heights 10-30 mm.
    v = np.array([[-60, -60, 10], [60, -60, 10], [60, 60, 30], [-60, 60, 30]], float)
    f = np.array([[0, 1, 2], [0, 2, 3]])
    ras = rasterize(cam.to_camera(v), f, cam.K, cam.image_size)
    assert ras.mask.sum() > 100
    vv, uu = np.nonzero(ras.mask)
    uv = np.stack([uu, vv], axis=1).astype(float)
    # Intersect each pixel's ray with the plane z = 20 + x * (20 / 120) ... through v.
    n = np.cross(v[1] - v[0], v[3] - v[0])
    rays = cam.rays(uv)
    t = ((v[0] - cam.centre) @ n) / (rays @ n)
    np.testing.assert_allclose(ras.depth[vv, uu], t, atol=2e-3)
    # Barycentrics interpolate positions exactly (perspective-correct).
    pts = ras.interpolate(v, f)
    np.testing.assert_allclose(pts, cam.centre + t[:, None] * rays, atol=2e-3)


def test_sample_landmarks_mask_depth_and_reprojection(rig):
    renderer = FastRenderer(rig)
    n_checked_depth = 0
    for seed in range(6):
        rng = np.random.default_rng(seed)
        pose = _pose(rig, rng, xy=(40.0, -30.0))
        centre = rig.landmarks(pose[None])[0, CATALOGUE.index("mouse_center"), :2]
        scene = sample_scene(rng, image_size=(96, 80), target_xy=tuple(centre),
                             span_range_mm=(140.0, 200.0))
        s = make_sample(rig, pose, scene, renderer, rng)
        assert s.keypoints_world.shape == (len(CATALOGUE), 3)
        assert np.all(np.isfinite(s.keypoints_world))
        assert s.rgb.shape == (80, 96, 3) and s.rgb.dtype == np.uint8
        assert s.depth.shape == s.mask.shape == (80, 96)
        assert s.mask.sum() > 50
        assert np.all(np.isfinite(s.depth))
        # Intrinsics / extrinsics reproject 3D to 2D.
        np.testing.assert_allclose(scene.camera.to_camera(s.keypoints_world),
                                   s.keypoints_cam, atol=1e-9)
        uv = s.keypoints_cam[:, :2] / s.keypoints_cam[:, 2:] @ scene.camera.K[:2, :2].T \
            + scene.camera.K[:2, 2]
        assert np.abs(uv - s.keypoints_2d).max() < 0.01
        assert s.visible.sum() >= 10
        assert not np.any(s.visible & ~s.in_image)
        # Visible keypoints lie on the mask (within the 1-px visibility neighbourhood).
        for k in np.flatnonzero(s.visible):
            u, v = np.round(s.keypoints_2d[k]).astype(int)
            assert s.mask[max(v - 1, 0):v + 2, max(u - 1, 0):u + 2].any()
        # Depth at visible top-surface landmarks = their camera Z.
        for k in TOP:
            u, v = np.round(s.keypoints_2d[k]).astype(int)
            if s.visible[k] and s.mask[v, u]:
                assert abs(float(s.depth[v, u]) - s.keypoints_cam[k, 2]) < 2.0
                n_checked_depth += 1
        # The floor around the mouse is farther than the mouse.
        assert float(np.median(s.depth[~s.mask])) > float(np.median(s.depth[s.mask]))
    assert n_checked_depth >= 12


def test_hidden_keypoints_are_hidden(rig):
    """Joints under the trunk (e.g. elbows) are mostly flagged occluded from above."""
    renderer = FastRenderer(rig)
    rng = np.random.default_rng(1)
    pose = rig.zero_pose()[0]
    scene = sample_scene(rng, image_size=(128, 128), span_range_mm=(150.0, 151.0),
                         max_tilt_deg=0.0)
    s = make_sample(rig, pose, scene, renderer, rng)
    hips_knees = [CATALOGUE.index(n) for n in ("left_knee", "right_knee", "left_elbow",
                                                "right_elbow")]
    assert s.in_image[hips_knees].all()
    assert not s.visible[hips_knees].all()
    assert s.visible[TOP].all()


def _shard_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("shard_*.npz"))}


def test_dataset_from_an_older_generator_is_not_reused(tmp_path, monkeypatch):
    """A work folder rendered by an older generator revision (e.g. before the trunk could
    stretch) is refused with a message naming what differs, not silently reused."""
    from dlc_lifter.synth import dataset

    kw = dict(seed=5, resolution=32, shard_size=3, frames_per_mouse=2, progress=False)
    monkeypatch.setattr(dataset, "GENERATOR_REVISION", dataset.GENERATOR_REVISION - 1)
    synthesize(tmp_path / "d", 3, **kw)
    monkeypatch.undo()
    with pytest.raises(SynthDatasetError, match="generator_revision.*older dlc-lifter"):
        synthesize(tmp_path / "d", 3, **kw)
    synthesize(tmp_path / "e", 3, **kw)  # a new folder is made


def test_dataset_resume_equals_uninterrupted_and_is_deterministic(tmp_path):
    kw = dict(seed=5, resolution=32, shard_size=3, frames_per_mouse=2, progress=False)
    a = synthesize(tmp_path / "a", 9, **kw)
    b_dir = tmp_path / "b"
    synthesize(b_dir, 9, **kw)
    assert _shard_bytes(tmp_path / "a") == _shard_bytes(b_dir)  # same seed, same bytes
    # Simulate a kill: one shard lost, one truncated, a temp file left behind.
    (b_dir / "shard_00001.npz").unlink()
    data = (b_dir / "shard_00002.npz").read_bytes()
    (b_dir / "shard_00002.npz").write_bytes(data[: len(data) // 2])
    (b_dir / ".shard_00000.deadbeef.tmp.npz").write_bytes(b"partial")
    before = (b_dir / "shard_00000.npz").stat().st_mtime_ns
    b = synthesize(b_dir, 9, **kw)
    assert (b_dir / "shard_00000.npz").stat().st_mtime_ns == before  # kept, not redone
    assert not list(b_dir.glob(".*tmp*"))
    assert _shard_bytes(tmp_path / "a") == _shard_bytes(b_dir)
    ia, ib = json.loads(a.read_text()), json.loads(b.read_text())
    assert ia == ib and ia["complete"]
    ds = load_dataset(b)
    d = ds.load()
    assert len(ds) == 9 and d["rgb"].shape == (9, 32, 32, 3)
    assert d["keypoints_2d"].shape == (9, len(CATALOGUE), 2)
    assert ds.catalogue == list(CATALOGUE)
    # Cameras reproject the stored 3D keypoints onto the stored 2D ones.
    for i, cam in enumerate(ds.cameras()):
        assert np.abs(cam.project(d["keypoints_world"][i].astype(float))
                      - d["keypoints_2d"][i]).max() < 0.01
    # Another seed gives other data.
    c = synthesize(tmp_path / "c", 3, **{**kw, "seed": 6})
    assert not np.array_equal(load_dataset(c).load(["rgb"])["rgb"], d["rgb"][:3])
    # The same folder with other settings is refused.
    with pytest.raises(SynthDatasetError, match="other settings"):
        synthesize(b_dir, 9, **{**kw, "seed": 7})


def test_parallel_workers_equal_serial(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    kw = dict(seed=2, poses_only=True, shard_size=50, progress=False)
    serial = synthesize(tmp_path / "s", 200, **kw)
    with ThreadPoolExecutor(2) as ex:
        par = synthesize(tmp_path / "p", 200, executor=ex, **kw)
    assert _shard_bytes(serial.parent) == _shard_bytes(par.parent)


def _chdir(folder: str) -> None:  # a worker started in another folder (a cluster's)
    import os

    os.chdir(folder)


def test_a_relative_folder_is_written_where_the_caller_is(tmp_path, monkeypatch):
    """``synthesize("synth_out", executor=...)`` with workers started in another folder
    (``dask worker`` on a node) wrote the shards under the workers' folder, and the index
    beside the caller listed shards that were not there (the docs' walkthrough)."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    elsewhere = tmp_path / "worker_cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(tmp_path)
    kw = dict(seed=2, poses_only=True, shard_size=50, progress=False)
    with ProcessPoolExecutor(1, mp_context=mp.get_context("fork"), initializer=_chdir,
                             initargs=(str(elsewhere),)) as ex:
        idx = synthesize("synth_out", 100, executor=ex, **kw)
    assert idx == tmp_path / "synth_out" / idx.name
    assert len(load_dataset(idx)) == 100 and not list(elsewhere.iterdir())


def test_poses_only_dataset(tmp_path):
    idx = synthesize(tmp_path / "poses", 300, seed=0, poses_only=True, resolution=None,
                     shard_size=128, progress=False)
    d = load_dataset(idx).load()
    assert d["keypoints_world"].shape == (300, len(CATALOGUE), 3)
    assert "rgb" not in d
    np.testing.assert_array_equal(d["visible"], d["in_image"])
    cam_pts = np.einsum("nij,nkj->nki", d["R"], d["keypoints_world"].astype(float)) + \
        d["t"][:, None]
    np.testing.assert_allclose(cam_pts, d["keypoints_cam"], atol=1e-3)
    uv = np.einsum("nij,nkj->nki", d["K"][:, :2, :2], cam_pts[..., :2] / cam_pts[..., 2:]) \
        + d["K"][:, None, :2, 2]
    assert np.abs(uv - d["keypoints_2d"]).max() < 0.01
    assert 0.5 < d["visible"].mean() <= 1.0
    assert len(np.unique(d["image_size"], axis=0)) > 1  # common video sizes at random
    heights = -np.einsum("nji,nj->ni", d["R"], d["t"])[:, 2]
    assert heights.min() >= 250 - 1e-6 and heights.max() <= 2000 + 1e-6
    sheet = write_contact_sheet(idx, tmp_path / "sheet.png", n=4, cols=2, tile=64)
    assert sheet.stat().st_size > 0


def test_contact_sheet_written(tmp_path):
    import cv2

    idx = synthesize(tmp_path / "d", 4, seed=1, resolution=48, shard_size=2,
                     frames_per_mouse=2, progress=False)
    out = write_contact_sheet(idx, tmp_path / "sheet.png", n=4, cols=2, tile=48)
    img = cv2.imread(str(out))
    assert img.shape == (96, 96, 3)
    assert img.std() > 5


def test_cli_synth(tmp_path):
    from typer.testing import CliRunner

    from dlc_lifter.cli import app

    # -j: every verb's short flag for --workers (-w is --window elsewhere)
    res = CliRunner().invoke(app, ["synth", str(tmp_path / "cli"), "--n-frames", "3",
                                   "--resolution", "32", "--shard-size", "2", "--seed", "4",
                                   "-j", "1"])
    assert res.exit_code == 0, res.output
    assert "frames/s" in res.output and "index.json" in res.output
    assert (tmp_path / "cli" / "contact_sheet.png").is_file()
    assert load_dataset(tmp_path / "cli").n_frames == 3


def test_synth_imports_without_bpy_or_torch():
    code = ("import sys, dlc_lifter.synth, dlc_lifter.synth.dataset, dlc_lifter.cli.synth; "
            "assert 'bpy' not in sys.modules and 'torch' not in sys.modules, "
            "[m for m in ('bpy', 'torch') if m in sys.modules]")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_dask_local_cluster_shards_equal_serial(tmp_path):
    distributed = pytest.importorskip("distributed")
    kw = dict(seed=4, poses_only=True, shard_size=60, progress=False)
    serial = synthesize(tmp_path / "s", 180, **kw)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        par = synthesize(tmp_path / "d", 180, executor=client.get_executor(retries=1), **kw)
    assert _shard_bytes(serial.parent) == _shard_bytes(par.parent)
