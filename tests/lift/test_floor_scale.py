"""The floor's scale given (a lab's pixel-to-length calibration, ``--floor-scale``) sets the
camera's scale: the animal's size is measured, not assumed."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from dlc_lifter.camera import Camera
from dlc_lifter.cli import app
from dlc_lifter.errors import DLCLifterError
from dlc_lifter.lift import Lifter
from dlc_lifter.lift.camera_choice import lift_camera
from dlc_lifter.lift.camera_estimate import REAL_LENGTH_FACTOR, resolve_camera
from dlc_lifter.lift.options import CameraSpec, parse_floor_scale
from dlc_lifter.mouse.catalogue import CATALOGUE
from dlc_lifter.poses import PoseMetadata, Poses

torch.set_num_threads(1)

NAMES = ("nose", "left_ear", "right_ear", "neck", "mouse_center", "tail_base")
SIZE = (640, 480)
TRUE = Camera.top_view(450.0, 700.0, SIZE)  # 0.643 mm/px on the floor
#: The mouse is drawn at this share of the synthetic population's size: a small mouse,
#: which the animal's size alone reads as a far camera.
SMALL = 0.7


@pytest.mark.parametrize(("text", "mm_per_px"), [
    (0.3125, 0.3125), ("0.3125", 0.3125), ("32 px/cm", 0.3125), ("3.2 px/mm", 0.3125),
    ("0.03125 cm/px", 0.3125), ("32 pixels per cm", 0.3125), ("0.3125mm/px", 0.3125),
    (None, None), ("", None)])
def test_the_scale_reads_with_its_units(text: object, mm_per_px: float | None) -> None:
    got = parse_floor_scale(text)  # type: ignore[arg-type]
    assert got == (None if mm_per_px is None else pytest.approx(mm_per_px))
    if mm_per_px is not None:
        assert CameraSpec(floor_scale=text).floor_scale == pytest.approx(mm_per_px)


@pytest.mark.parametrize(("text", "says"), [
    ("32", "other units"),  # px/cm given as a bare number: a 3 px mouse
    (0.001, "other units"), ("abc", "got 'abc'"), ("-1", "got '-1'"),
    ("3 furlongs/px", "got '3 furlongs/px'")])
def test_a_scale_that_is_not_one_is_named(text: object, says: str) -> None:
    with pytest.raises(DLCLifterError, match="floor scale") as err:
        parse_floor_scale(text)  # type: ignore[arg-type]
    assert says in str(err.value)


@pytest.fixture(scope="module")
def mouse() -> np.ndarray:
    """A synthetic mouse at :data:`SMALL` of its size near the floor's origin (mm)."""
    from dlc_lifter.mouse.behaviour import generate_sequences

    lm = generate_sequences(1, 60, seed=5)[0].landmarks[:, [CATALOGUE.index(n) for n in NAMES]]
    return SMALL * (lm - np.array([*np.nanmean(lm[..., :2].reshape(-1, 2), 0), 0.0]))


@pytest.fixture(scope="module")
def lifter() -> Lifter:
    return Lifter.load()


def _poses(uv: np.ndarray) -> Poses:
    return Poses(coords=uv[:, None], confidence=np.ones(uv.shape[:2])[:, None],
                 keypoints=list(NAMES), meta=PoseMetadata(source="small.h5", fps=30.0,
                                                          image_size=SIZE))


def test_the_scale_sets_the_camera_where_the_animal_would_mislead(
        mouse: np.ndarray, lifter: Lifter, caplog: pytest.LogCaptureFixture) -> None:
    poses = _poses(TRUE.project(mouse))
    guessed = lift_camera(poses, lifter=lifter, image_size=SIZE)
    assert guessed.source == "body-length-estimate"
    # a mouse 0.7 of the population's size read as one 0.9 of it: the floor 0.9/0.7 too big
    assert guessed.camera.floor_mm_per_px() / TRUE.floor_mm_per_px() == pytest.approx(
        REAL_LENGTH_FACTOR / SMALL, rel=0.1)
    with caplog.at_level(logging.INFO, logger="dlc_lifter"):
        given = lift_camera(poses, lifter=lifter, image_size=SIZE,
                            floor_mm_per_px=TRUE.floor_mm_per_px())
    assert given.source == "floor-scale"
    assert given.camera.floor_mm_per_px() == pytest.approx(TRUE.floor_mm_per_px(), rel=1e-6)
    assert given.details["mm_per_px"] == pytest.approx(TRUE.floor_mm_per_px())
    assert "Floor scale 0.6429 mm/px given" in caplog.text
    # the animal's size is measured through it, and found small
    assert given.details["animal_size"]["individual0"]["share"] < 0.8
    # a focal length given puts the camera where it is
    exact = lift_camera(poses, lifter=lifter, image_size=SIZE, focal_px=700.0,
                        floor_mm_per_px=TRUE.floor_mm_per_px())
    assert exact.camera.height_mm == pytest.approx(450.0, rel=1e-6)


def test_calibration_height_and_focal_and_corners_win(tmp_path: Path) -> None:
    uv = np.full((5, len(CATALOGUE), 2), np.nan)
    conf = np.ones(uv.shape[:2])
    both = resolve_camera(uv, conf, SIZE, camera_height_mm=300.0, focal_px=600.0,
                          floor_mm_per_px=2.0)
    assert both.source == "height+focal" and both.camera.height_mm == pytest.approx(300.0)
    corners = {"top_left": TRUE.project(np.array([-200.0, 200.0, 0.0])).tolist(),
               "top_right": TRUE.project(np.array([200.0, 200.0, 0.0])).tolist(),
               "bottom_right": TRUE.project(np.array([200.0, -200.0, 0.0])).tolist(),
               "bottom_left": TRUE.project(np.array([-200.0, -200.0, 0.0])).tolist()}
    arena = resolve_camera(uv, conf, SIZE, arena_size_mm=400.0, arena_px=corners,
                           floor_mm_per_px=2.0)
    assert arena.source == "arena-corners"


def test_with_an_arena_and_no_corners_the_scale_measures_it(mouse: np.ndarray) -> None:
    """The arena's size given and no corners: the scale, not the animal's spread (a mouse
    that kept to the middle), is the floor's; the arena stays for its walls."""
    uv = TRUE.project(mouse)[:, None].repeat(1, 1)
    cat = np.full((len(uv), len(CATALOGUE), 2), np.nan)
    cat[:, [CATALOGUE.index(n) for n in NAMES]] = uv[:, 0]
    conf = np.isfinite(cat[..., 0]).astype(float)
    spread = resolve_camera(cat, conf, SIZE, arena_size_mm=400.0)
    assert spread.source == "arena-size"
    assert spread.details["arena_measured_from"].startswith("spread")
    scaled = resolve_camera(cat, conf, SIZE, arena_size_mm=400.0,
                            floor_mm_per_px=TRUE.floor_mm_per_px())
    assert scaled.source == "floor-scale"
    assert scaled.details["arena_measured_from"] == "floor scale"
    assert scaled.details["arena_size_mm"] == 400.0
    assert scaled.camera.floor_mm_per_px() == pytest.approx(TRUE.floor_mm_per_px())
    with pytest.raises(DLCLifterError, match="positive"):
        resolve_camera(cat, conf, SIZE, floor_mm_per_px=-1.0)


def test_the_cli_lifts_with_the_floor_scale(mouse: np.ndarray, tmp_path: Path) -> None:
    """``dlc-lifter lift --floor-scale '15.55 px/cm'``: the lifted mouse has its true size
    on the floor; the camera's source is recorded."""
    uv = TRUE.project(mouse)
    cols = pd.MultiIndex.from_tuples([("lab", n, c) for n in NAMES
                                      for c in ("x", "y", "likelihood")],
                                     names=["scorer", "bodyparts", "coords"])
    data = np.concatenate([uv, np.ones(uv.shape[:2] + (1,))], -1).reshape(len(uv), -1)
    src = tmp_path / "smallDLC_resnet50_labMay1shuffle1_1000.h5"
    pd.DataFrame(data, columns=cols).to_hdf(src, key="df_with_missing", mode="w")
    px_per_cm = 10.0 / TRUE.floor_mm_per_px()
    res = CliRunner().invoke(app, ["lift", str(src), "--no-depth", "--image-size", "640x480",
                                   "--floor-scale", f"{px_per_cm:.4f} px/cm",
                                   "--destfolder", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    from dlc_lifter import read_poses
    from dlc_lifter.io import meta_pickle_path

    out = Path(res.output.strip().splitlines()[-1])
    meta = pd.read_pickle(meta_pickle_path(out))["data"]
    assert meta["camera_source"] == "floor-scale"
    assert meta["camera_spec"]["floor_scale"] == pytest.approx(TRUE.floor_mm_per_px(),
                                                               rel=1e-4)
    p3 = read_poses(out)
    k = list(p3.keypoints)
    got = np.linalg.norm(p3.coords[:, 0, k.index("nose"), :2]
                         - p3.coords[:, 0, k.index("tail_base"), :2], axis=-1)
    true = np.linalg.norm(mouse[:, 0, :2] - mouse[:, -1, :2], axis=-1)
    assert np.median(got) == pytest.approx(np.median(true), rel=0.08)
    bad = CliRunner().invoke(app, ["lift", str(src), "--no-depth", "--floor-scale", "32"])
    assert bad.exit_code != 0 and "other units" in str(bad.exception)


def test_the_files_own_scale_is_used_without_corners_and_a_given_one_wins(
        mouse: np.ndarray, lifter: Lifter) -> None:
    """A JABS file records its floor scale (``cm_per_pixel``); with no corners tracked it is
    the camera's scale, and a scale given to the lift overrides it."""
    poses = _poses(TRUE.project(mouse))
    poses.meta.extra["floor_mm_per_px"] = TRUE.floor_mm_per_px()
    own = lift_camera(poses, lifter=lifter, image_size=SIZE)
    assert own.source == "floor-scale"
    assert own.camera.floor_mm_per_px() == pytest.approx(TRUE.floor_mm_per_px())
    given = lift_camera(poses, lifter=lifter, image_size=SIZE, floor_mm_per_px=0.5)
    assert given.camera.floor_mm_per_px() == pytest.approx(0.5)


@pytest.mark.realdata
def test_a_size_warning_after_a_floor_scale_with_corners_names_the_floor_scale(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """With tracked corners the floor scale gives the arena's size; a wrong one ('32 px/cm'
    on the open field) made the too-small warning name "the arena's size given", which the
    user never gave."""
    from dlc_lifter.lift import CameraSpec, LiftOptions, OutputSpec, lift_file
    from tests.fixtures.realdata import OFT, needs_realdata

    src = OFT / "OFT_38DLC_resnet50_BlockcourseMay9shuffle1_1030000.h5"
    if needs_realdata(src).args[0]:
        pytest.skip(f"real data not found at {src}")
    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        lift_file(src, video=None, camera=CameraSpec(floor_scale="32 px/cm"),
                  options=LiftOptions(depth=False), output=OutputSpec(destfolder=tmp_path))
    said = [r.getMessage() for r in caplog.records if "synthetic mice's" in r.getMessage()]
    assert said and "check the floor scale given" in said[0]
    assert "arena's size given" not in said[0]
