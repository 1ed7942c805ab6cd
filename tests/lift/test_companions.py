"""Weights of one's own without the companions the view calls for (``X_below.pt``,
``X_oblique.pt``): the lift warns once and records it; ``train --extend`` copies the base's
companions (tests/cli/test_train.py); benchmarks/real.py says whether ``--model`` has them."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import torch

from dlc_lifter.camera import Camera
from dlc_lifter.io.calibration import write_anipose
from dlc_lifter.lift import Lifter, below_model_path, lift_poses, oblique_model_path
from dlc_lifter.mouse.catalogue import CATALOGUE
from dlc_lifter.poses import PoseMetadata, Poses
from tests.fixtures.models import benchmark_module

torch.set_num_threads(1)

NAMES = ("nose", "left_ear", "right_ear", "neck", "mouse_center", "tail_base",
         "left_forepaw", "right_forepaw", "left_hindpaw", "right_hindpaw")
MISSING = "have no companion"


def _toy_model(seed: int = 0):  # noqa: ANN202 - a LiftingModel (torch loads lazily)
    """A small untrained lifter (per-frame networks only) with the shipped population."""
    from dlc_lifter.nets.lifter import LifterNet, LiftingModel

    shipped = Lifter.load().model
    torch.manual_seed(seed)
    return LiftingModel(nets={"frame": LifterNet(shipped.in_features, channels=8,
                                                 kernels=(1,)).eval()},
                        median_height_mm=shipped.median_height_mm,
                        pair_length_mm=shipped.pair_length_mm)


@pytest.fixture(scope="module")
def mouse() -> np.ndarray:
    """A synthetic mouse walking near the floor's origin, the tracked keypoints only."""
    from dlc_lifter.mouse.behaviour import generate_sequences

    lm = generate_sequences(1, 30, seed=5)[0].landmarks[:, [CATALOGUE.index(n) for n in NAMES]]
    return lm - np.array([*np.nanmean(lm[..., :2].reshape(-1, 2), 0), 0.0])


def _camera(view_deg: float, below: bool = False) -> Camera:
    """A camera 450 mm up whose nadir lies ``view_deg`` off the mouse (seen from there);
    ``below``: its mirror image under a glass floor."""
    cam = Camera.top_view(450.0, 500.0, (640, 480),
                          centre_xy=(450.0 * np.tan(np.radians(view_deg)), 0.0))
    if not below:
        return cam
    flip, reflect = np.diag([-1.0, 1.0, 1.0]), np.diag([1.0, 1.0, -1.0])
    return Camera(cam.K, flip @ cam.R @ reflect, flip @ cam.t, cam.image_size)


def _lift_files(mouse: np.ndarray, cam: Camera, lifter: Lifter, tmp_path: Path,
                caplog: pytest.LogCaptureFixture, n: int = 2) -> tuple[list[Poses], list[str]]:
    """``n`` files of the mouse through ``cam`` (a calibration) lifted by ``lifter`` in a
    row, as a batch does; the outputs and the warnings that name a missing companion."""
    calib = write_anipose([cam], tmp_path / "calibration.toml")
    uv = cam.project(mouse)
    caplog.clear()
    outs = []
    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        for i in range(n):
            poses = Poses(coords=uv[:, None], confidence=np.ones(uv.shape[:2])[:, None],
                          keypoints=list(NAMES),
                          meta=PoseMetadata(source=f"file{i}.h5", fps=30.0,
                                            image_size=(640, 480)))
            outs.append(lift_poses(poses, lifter=lifter, calibration=calib, mode="frame"))
    return outs, _said(caplog)


def _said(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The warnings naming a missing companion that the log shows (not those said once
    already, which go to SAID_ONCE_LOGGER only; pytest captures that logger too)."""
    from dlc_lifter.lift.lifter import SAID_ONCE_LOGGER

    return [r.getMessage() for r in caplog.records
            if MISSING in r.getMessage() and r.name != SAID_ONCE_LOGGER]


def test_weights_without_companions_warn_once_per_view_kind(
        mouse: np.ndarray, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """``--model my.pt`` (e.g. from ``train --extend lifter.pt --replace``) with nothing
    beside it: a view 20 deg off the vertical, then a camera below the floor, are lifted by
    its top-view networks alone, and the log says so once for each (not per file), naming
    the weights, the view, the companion expected and the shipped one; the lift's metadata
    records the companion missing. It used to lift them silently."""
    from dlc_lifter.lift import default_model_path

    mine = _toy_model().save(tmp_path / "mine.pt")
    lifter = Lifter.load(mine)
    outs, said = _lift_files(mouse, _camera(20.0), lifter, tmp_path, caplog)
    assert len(said) == 1, said
    assert str(mine) in said[0] and "a view 2" in said[0] and "deg off the vertical" in said[0]
    assert "have no companion mine_oblique.pt beside them for a view" in said[0]
    assert str(oblique_model_path(default_model_path())) in said[0]
    assert "lifter_oblique.json" in said[0] and "--extend" in said[0]
    for out in outs:
        assert out.meta.extra["companion_missing"] == str(oblique_model_path(mine))
        assert out.meta.extra["oblique_share"] == 0.0
        assert out.meta.extra["model"]["name"] == "mine.pt"
    outs, said = _lift_files(mouse, _camera(20.0, below=True), lifter, tmp_path, caplog)
    assert len(said) == 1, said
    assert "mine_below.pt beside them for a camera below the floor" in said[0]
    assert str(below_model_path(default_model_path())) in said[0]
    assert outs[0].meta.extra["companion_missing"] == str(below_model_path(mine))
    # a straight-down view calls for no companion
    outs, said = _lift_files(mouse, _camera(0.0), lifter, tmp_path, caplog, n=1)
    assert said == [] and outs[0].meta.extra["companion_missing"] is None


def test_weights_with_companions_and_the_shipped_ones_do_not_warn(
        mouse: np.ndarray, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    mine = _toy_model().save(tmp_path / "mine.pt")
    _toy_model(1).save(oblique_model_path(mine))
    _toy_model(2).save(below_model_path(mine))
    for lifter in (Lifter.load(mine), Lifter.load()):
        for cam in (_camera(20.0), _camera(20.0, below=True)):
            outs, said = _lift_files(mouse, cam, lifter, tmp_path, caplog, n=1)
            assert said == [], said
            assert outs[0].meta.extra["companion_missing"] is None
    ours = Lifter.load(mine).networks_for(_camera(0.0), 20.0)
    assert ours.oblique is not None and ours.missing_companion is None
    # a companion lifted as the main weights calls for none of its own
    alone = Lifter.load(oblique_model_path(mine))
    assert alone.networks_for(_camera(0.0), 30.0).missing_companion is None


def test_benchmark_says_whether_the_model_has_its_companions(tmp_path: Path) -> None:
    mine = _toy_model().save(tmp_path / "mine.pt")
    with benchmark_module("real", "bench_real_companions") as bench:
        none = bench.companions_note(str(mine))
        assert "mine_below.pt and mine_oblique.pt NOT beside" in none
        assert "top-view networks alone" in none
        _toy_model(1).save(oblique_model_path(mine))
        half = bench.companions_note(str(mine))
        assert "mine_below.pt NOT beside" in half and "mine_oblique" not in half
        assert "cameras below the floor are lifted" in half
        shipped = bench.companions_note(None)
        assert shipped.startswith("companions: lifter_below.pt, lifter_oblique.pt beside")


def test_a_batch_warns_once_and_its_summary_names_every_file_and_the_weights(
        mouse: np.ndarray, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """``lift-files --model my.pt`` over three files seen 20 deg off the vertical: the log
    warns once (not per file), and the batch's summary line names the three files, the
    weights and the companion missing. Its line used to read "(file0.h5): mine_oblique.pt
    is not beside them, ...": the weights cut off as if they were the file's name, and only
    the first file of each process named (of each worker with --workers, where the summary
    is all the log shows)."""
    import pandas as pd

    from dlc_lifter.lift import CameraSpec, LiftOptions
    from dlc_lifter.lift.batch import lift_files

    mine = _toy_model().save(tmp_path / "mine.pt")
    cam = _camera(20.0)
    calib = write_anipose([cam], tmp_path / "calibration.toml")
    uv = cam.project(mouse)
    folder = tmp_path / "poses"
    folder.mkdir()
    columns = pd.MultiIndex.from_product([["DLC_resnet50_toyJan1shuffle1_1000"], list(NAMES),
                                          ["x", "y", "likelihood"]],
                                         names=["scorer", "bodyparts", "coords"])
    table = np.concatenate([uv, np.ones(uv.shape[:2] + (1,))], axis=-1).reshape(len(uv), -1)
    for i in range(3):
        pd.DataFrame(table, columns=columns).to_hdf(
            folder / f"file{i}DLC_resnet50_toyJan1shuffle1_1000.h5", key="df_with_missing")
    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        report = lift_files(folder, camera=CameraSpec(calibration=calib),
                            options=LiftOptions(model=str(mine), mode="frame", depth=False))
    assert len(report.done) == 3
    said = _said(caplog)
    assert len(said) == 1, said
    lines = [line for line in report.summary().splitlines() if MISSING in line]
    assert len(lines) == 1, report.summary()
    assert lines[0].startswith("  WARNING (3 files: file0DLC_"), lines[0]
    assert f"The weights {mine} have no companion mine_oblique.pt beside them" in lines[0]
