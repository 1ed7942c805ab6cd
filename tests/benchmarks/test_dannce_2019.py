"""benchmarks/dannce_2019.py: DANNCE's 2019 demo mice as real.py's CSV (triangulated, levelled)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.fixtures.models import benchmark_module

CROP = (20.0, 0.0)


@pytest.fixture(scope="module")
def conv():
    with benchmark_module("dannce_2019", "bench_dannce_2019", imports=("dannce_labels",)) as mod:
        yield mod


def _mouse(conv, frames: int = 8) -> np.ndarray:
    """``(frames, 16, 3)`` mm in the floor's frame: the body 5-60 mm up, the paws on the
    floor except two raised ones (a step and a rear), which the floor fit must ignore."""
    rng = np.random.default_rng(3)
    pts = np.concatenate([rng.uniform(-40, 40, (frames, 16, 2)),
                          rng.uniform(5, 60, (frames, 16, 1))], axis=-1)
    paws = [conv.TEMPLATE_2019.index(n) for n in ("ForepawL", "ForepawR", "HindpawL", "HindpawR")]
    pts[:, paws, 2] = 0.0
    pts[1, paws[0], 2], pts[4, paws[1], 2] = 25.0, 40.0
    return pts


def _rig(world: np.ndarray) -> tuple[list, np.ndarray]:
    """Three cameras around a rig whose world is tilted 8 deg off the floor and moved;
    ``world`` maps floor-frame points into it."""
    from dlc_lifter.camera import Camera

    cams = []
    for k, yaw in enumerate((0.0, 2.1, 4.2)):
        centre = np.array([400 * np.cos(yaw), 400 * np.sin(yaw), 350.0])
        fwd = -centre / np.linalg.norm(centre)
        right = np.cross(fwd, [0.0, 0.0, 1.0])
        right /= np.linalg.norm(right)
        rot = np.stack([right, np.cross(fwd, right), fwd]) @ world[:3, :3].T
        centre_w = world[:3, :3] @ centre + world[:3, 3]
        cams.append(Camera(K=[[1100, 0, 640], [0, 1100, 512], [0, 0, 1]], R=rot,
                           t=-rot @ centre_w, image_size=(1280, 1024), name=f"cam{k + 1}",
                           dist=[-0.2, 0.1, 0.001, -0.002, 0.0]))
    return cams, world


def _world() -> np.ndarray:
    from dlc_lifter.camera import rodrigues

    world = np.eye(4)
    world[:3, :3] = rodrigues([0.1, -0.09, 0.7])
    world[:3, 3] = [30.0, -12.0, 85.0]
    return world


def _dannce_camera(cam, path: Path) -> None:
    """A DANNCE ``*_params.mat`` (MATLAB's conventions) of an OpenCV camera."""
    import scipy.io

    k = cam.K.copy()
    k[:2, 2] += 1.0  # MATLAB's first pixel's centre is (1, 1)
    scipy.io.savemat(path, {"K": k.T, "r": cam.R.T, "t": cam.t[None],
                            "RDistort": cam.dist[[0, 1, 4]][None],
                            "TDistort": cam.dist[[2, 3]][None]})


def _compare(conv, csv: Path, truth: np.ndarray) -> None:
    df = pd.read_csv(csv)
    names = [c[:-2] for c in df.columns if c.endswith("_x")]
    assert names == ["EarL", "EarR", "Snout", "SpineF", "SpineM", "Tail_base", "Tail_mid",
                     "Tail_end", "ForepawL", "ForepawR", "HindpawL", "HindpawR"]
    src = {conv.TO_MOUSE22[n]: k for k, n in enumerate(conv.TEMPLATE_2019) if n in conv.TO_MOUSE22}
    want = truth[:, [src[n] for n in names]]
    got = np.stack([df[[f"{n}_x", f"{n}_y", f"{n}_z"]].to_numpy() for n in names], axis=1)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    ok = np.isfinite(want).all(-1)
    np.testing.assert_allclose(got[ok][:, 2], want[ok][:, 2], atol=1e-3)  # heights
    a, b = got[ok][:, :2] - got[ok][:, :2].mean(0), want[ok][:, :2] - want[ok][:, :2].mean(0)
    u, _, vt = np.linalg.svd(a.T @ b)  # the best turn about z
    np.testing.assert_allclose(a @ (u @ vt), b, atol=1e-3)


def test_crowd_labels_are_triangulated_and_levelled_on_the_floor(conv, tmp_path: Path,
                                                                 capsys) -> None:
    import scipy.io

    truth = _mouse(conv)
    cams, world = _rig(_world())
    pts_w = truth @ world[:3, :3].T + world[:3, 3]
    demo = tmp_path / "calibrd18_black6_mouseone_green"
    (demo / "calibration").mkdir(parents=True)
    (demo / "labeling").mkdir()
    names = ["CameraLmouse", "CameraRmouse", "CameraSmouse"]
    calib = ["hires_cam2_params.mat", "hires_cam3_params.mat", "hires_cam1_params.mat"]
    (demo / "config.yaml").write_text(
        f"CAMNAMES: {names}\nCALIBDIR: ./calibration/\ncalib_file: {calib}\n"
        "CROP_HEIGHT: [0, 1024]\nCROP_WIDTH: [20, 1300]\n")
    (demo / "labeling" / "mouse.template").write_text(
        '<crowd-keypoint\n  labels="' + str(list(conv.TEMPLATE_2019)) + '"\n>')
    ids = np.arange(len(truth)) * 7 + 3
    for k, (cam, name, cal) in enumerate(zip(cams, names, calib, strict=True)):
        _dannce_camera(cam, demo / "calibration" / cal)
        uv = cam.project(pts_w) + 1.0 - np.array(CROP)  # MATLAB pixels of the cropped image
        if k == 0:
            uv[2, 4] = np.nan  # SpineM of frame 2: two cameras
        else:
            uv[5, 0] = np.nan  # EarL of frame 5: one camera, not triangulated
        scipy.io.savemat(demo / "labeling" / f"{name}_manlabels_worker0.mat",
                         {"data2d": uv, "sampleID": ids.astype(float)})
    truth = truth.copy()
    truth[5, 0] = np.nan
    out = tmp_path / "mouseone.csv"
    assert conv.main(["crowd", str(demo), str(out)]) == 0
    printed = capsys.readouterr().out
    assert "reprojection median 0.00 px" in printed
    assert "floor: 30 of 32 paw points within 5 mm of the plane, rms 0.00 mm" in printed
    assert "127 of 128 points in two or more cameras" in printed
    assert "the rig's z axis 7.6 deg from its normal" in printed
    _compare(conv, out, truth)
    assert pd.read_csv(out)["sample_id"].tolist() == ids.tolist()
    with pytest.raises(SystemExit):  # never over an existing file
        conv.main(["crowd", str(demo), str(out)])


def test_a_demos_own_3d_labels_are_levelled(conv, tmp_path: Path, capsys) -> None:
    import scipy.io

    truth = _mouse(conv, frames=6)
    truth[3, 2] = np.nan  # a snout not labelled
    cams, world = _rig(_world())
    pts_w = truth @ world[:3, :3].T + world[:3, 3]
    data, calib = tmp_path / "mouse_cylinder_finetune", tmp_path / "mouse_cylinder"
    data.mkdir()
    calib.mkdir()
    for k, cam in enumerate(cams, start=1):
        _dannce_camera(cam, calib / f"cam{k}_params.mat")
        scipy.io.savemat(data / f"cam{k}_data_applyDistort.mat",
                         {"data_3d": pts_w.reshape(len(truth), -1),
                          "data_2d": (cam.project(pts_w) + 1.0).reshape(len(truth), -1),
                          "data_sampleID": np.arange(len(truth), dtype=float)})
    out = tmp_path / "cylinder.csv"
    assert conv.main(["label3d", str(data), str(out), "--calibration", str(calib)]) == 0
    assert "reprojected to the files' 2D: median 0.00 px" in capsys.readouterr().out
    _compare(conv, out, truth)
