"""The animal's size on the floor through the camera given, against the synthetic mice."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import torch

from dlc_lifter.camera import Camera
from dlc_lifter.io.calibration import write_anipose
from dlc_lifter.lift import Lifter
from dlc_lifter.lift.body_size import TRAINED_LENGTH_SHARE, _power_of_ten, animal_sizes
from dlc_lifter.lift.camera_choice import lift_camera
from dlc_lifter.mouse.catalogue import CATALOGUE
from dlc_lifter.poses import PoseMetadata, Poses
from tests.fixtures.realdata import REALDATA, needs_realdata

torch.set_num_threads(1)

NAMES = ("nose", "left_ear", "right_ear", "neck", "mouse_center", "tail_base")
SIZE = (640, 480)
SLEAP_SESSION = REALDATA / "sleap-mouse-session"


@pytest.fixture(scope="module")
def mouse() -> np.ndarray:
    """A synthetic mouse near the floor's origin, the tracked keypoints only (mm)."""
    from dlc_lifter.mouse.behaviour import generate_sequences

    lm = generate_sequences(1, 60, seed=5)[0].landmarks[:, [CATALOGUE.index(n) for n in NAMES]]
    return lm - np.array([*np.nanmean(lm[..., :2].reshape(-1, 2), 0), 0.0])


@pytest.fixture(scope="module")
def lifter() -> Lifter:
    return Lifter.load()


def _poses(uv: np.ndarray, source: str) -> Poses:
    return Poses(coords=uv[:, None], confidence=np.ones(uv.shape[:2])[:, None],
                 keypoints=list(NAMES), meta=PoseMetadata(source=source, fps=30.0,
                                                          image_size=SIZE))


def _camera_of(mouse: np.ndarray, lifter: Lifter, caplog: pytest.LogCaptureFixture,
               scale: float = 1.0, **camera: object) -> tuple[dict, list[str]]:
    """``lift_camera``'s details for the mouse (``scale`` times its size) seen by a camera
    450 mm up, f 700 px, and the body-size warnings it logged."""
    cam = Camera.top_view(450.0, 700.0, SIZE)
    uv = cam.project(mouse * scale)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        choice = lift_camera(_poses(uv, "mouse.h5"), lifter=lifter, image_size=SIZE,
                             **camera)
    return choice.details, [r.getMessage() for r in caplog.records
                            if r.name == "dlc_lifter.lift.body_size"]


def test_a_mouse_through_its_calibration_is_measured_and_not_warned_about(
        mouse: np.ndarray, lifter: Lifter, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    calib = write_anipose([Camera.top_view(450.0, 700.0, SIZE)], tmp_path / "c.toml")
    details, warned = _camera_of(mouse, lifter, caplog, calibration=calib)
    size = details["animal_size"]["individual0"]
    assert size["pair"] == "nose-tail_base" and size["frames"] == len(mouse)
    true = np.median(np.linalg.norm(mouse[:, 0, :2] - mouse[:, -1, :2], axis=-1))
    assert size["length_mm"] == pytest.approx(true, abs=3.0)  # at population heights
    assert TRAINED_LENGTH_SHARE[0] <= size["share"] <= TRAINED_LENGTH_SHARE[1]
    assert not warned


def test_a_scale_in_other_units_is_named(mouse: np.ndarray, lifter: Lifter,
                                         caplog: pytest.LogCaptureFixture) -> None:
    """The camera's height given in cm: the mouse measures a few mm, and ten times that
    is a mouse."""
    details, warned = _camera_of(mouse, lifter, caplog, camera_height_mm=45.0,
                                 focal_px=700.0)
    assert details["animal_size"]["individual0"]["share"] < 0.2
    assert len(warned) == 1
    assert "mouse.h5: the animal measures" in warned[0]
    assert "10 times the length is a mouse's" in warned[0] and "not usable" in warned[0]
    assert "Check the camera height (mm) and the focal length (px) given" in warned[0]


def test_a_small_animal_is_said_to_lie_outside_what_the_lifter_learned(
        mouse: np.ndarray, lifter: Lifter, caplog: pytest.LogCaptureFixture) -> None:
    details, warned = _camera_of(mouse, lifter, caplog, scale=0.6, camera_height_mm=450.0,
                                 focal_px=700.0)
    assert details["animal_size"]["individual0"]["share"] < TRAINED_LENGTH_SHARE[0]
    assert len(warned) == 1 and "young or small" in warned[0]
    assert "times that" not in warned[0]


def test_no_size_check_where_the_scale_is_the_animals_own(
        mouse: np.ndarray, lifter: Lifter, caplog: pytest.LogCaptureFixture) -> None:
    details, warned = _camera_of(mouse, lifter, caplog, scale=0.6)
    assert "animal_size" not in details and not warned


def test_each_individual_is_measured_on_its_own(mouse: np.ndarray, lifter: Lifter) -> None:
    cam = Camera.top_view(450.0, 700.0, SIZE)
    uv = np.stack([cam.project(mouse), cam.project(mouse * 0.5)], axis=1)
    uv_cat = np.full(uv.shape[:2] + (len(CATALOGUE), 2), np.nan)
    uv_cat[:, :, [CATALOGUE.index(n) for n in NAMES]] = uv
    sizes = animal_sizes(cam, uv_cat, np.isfinite(uv_cat).all(-1), ["dam", "pup"],
                         lifter.model.pair_length_mm, lifter.model.median_height_mm)
    assert [s.individual for s in sizes] == ["dam", "pup"]
    assert sizes[0].in_range and not sizes[1].in_range
    assert sizes[1].length_mm < 0.6 * sizes[0].length_mm


def test_pups_beside_their_mother_are_said_to_be_small_in_one_warning(
        mouse: np.ndarray, lifter: Lifter, caplog: pytest.LogCaptureFixture) -> None:
    """No camera given: the scale comes from the adult-sized animal, and the pups (0.45 of
    its length), measured through it, are named in one warning (before: none)."""
    cam = Camera.top_view(450.0, 700.0, SIZE)
    uv = np.stack([cam.project(mouse), cam.project(mouse * 0.45 + [60.0, 0.0, 0.0]),
                   cam.project(mouse * 0.45 - [60.0, 0.0, 0.0])], axis=1)
    poses = Poses(coords=uv, confidence=np.ones(uv.shape[:3]), keypoints=list(NAMES),
                  individuals=["dam", "pup1", "pup2"],
                  meta=PoseMetadata(source="nest.h5", fps=30.0, image_size=SIZE))
    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        choice = lift_camera(poses, lifter=lifter, image_size=SIZE)
    assert choice.source.startswith("body-length-estimate")
    sizes = choice.details["animal_size"]
    assert sizes["dam"]["share"] >= TRAINED_LENGTH_SHARE[0]
    assert sizes["pup1"]["share"] < 0.6 and sizes["pup2"]["share"] < 0.6
    (msg,) = [r.getMessage() for r in caplog.records if r.name.endswith("body_size")]
    assert msg.startswith("nest.h5: 2 animals measure outside") and "young or small" in msg
    assert "pup1" in msg and "pup2" in msg and "dam" not in msg
    assert "estimated from the other animals' length" in msg


@pytest.mark.parametrize(("share", "exp"), [(0.06, 1), (0.0008, 3), (12.0, -1),
                                            (0.5, None), (1.0, None), (0.003, None)])
def test_a_power_of_ten_is_named_only_where_it_gives_a_mouse(share: float,
                                                             exp: int | None) -> None:
    assert _power_of_ten(share) == exp


@needs_realdata(SLEAP_SESSION)
def test_a_calibration_in_another_frame_than_the_floors_is_named(
        lifter: Lifter, caplog: pytest.LogCaptureFixture) -> None:
    """sleap-anipose's real session: its calibration's world frame is the board's, not the
    floor's (the floor is not in front of its top camera), so the calibration cannot place
    the camera: the lift says so naming the file, uses its intrinsics and places the
    camera from the animal, which then measures as a mouse (before, the board's frame was
    used and the mouse came out at 18 % of its size)."""
    from dlc_lifter.io import read_poses

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        choice = lift_camera(read_poses(SLEAP_SESSION / "minimal_top_proofread.analysis.h5"),
                             lifter=lifter, calibration=SLEAP_SESSION / "calibration.toml",
                             camera="top")
    assert choice.details["intrinsics_only"] and choice.source.endswith("calibration intrinsics")
    assert choice.camera.K[0, 0] == pytest.approx(965, abs=1)  # the calibration's focal
    (msg,) = [r.getMessage() for r in caplog.records if "cannot give the floor" in r.getMessage()]
    assert "calibration.toml" in msg and "intrinsics" in msg
    assert not [r for r in caplog.records if r.name.endswith("body_size")]
