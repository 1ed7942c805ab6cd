"""The camera's view of the animal against the views the lifter is measured for."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import torch

from dlc_lifter.camera import Camera
from dlc_lifter.io.calibration import write_anipose
from dlc_lifter.lift import lift_poses
from dlc_lifter.lift.view_range import AnimalView, animal_view, warn_view_range
from dlc_lifter.mouse.catalogue import CATALOGUE
from dlc_lifter.poses import PoseMetadata, Poses
from tests.fixtures.models import raised_model
from tests.fixtures.realdata import REALDATA, needs_realdata

torch.set_num_threads(1)

NAMES = ("nose", "left_ear", "right_ear", "neck", "mouse_center", "tail_base",
         "left_forepaw", "right_forepaw", "left_hindpaw", "right_hindpaw")
#: A straight-down camera 450 mm up with a wide lens: it sees the floor 720 mm either side.
WIDE = {"height_mm": 450.0, "focal_px": 200.0, "image_size": (640, 480)}
REACHING_2D = REALDATA / "dlc-3d-reaching" / "reachingDEMO_2D.h5"


@pytest.fixture(scope="module")
def mouse() -> np.ndarray:
    """A synthetic mouse walking near the floor's origin, the tracked keypoints only."""
    from dlc_lifter.mouse.behaviour import generate_sequences

    lm = generate_sequences(1, 60, seed=5)[0].landmarks[:, [CATALOGUE.index(n) for n in NAMES]]
    return lm - np.array([*np.nanmean(lm[..., :2].reshape(-1, 2), 0), 0.0])


def _camera(offset_mm: float, below: bool = False) -> Camera:
    """The wide camera, its nadir ``offset_mm`` from the mouse (the view angle's tangent
    times 450 mm); ``below``: its mirror image under a glass floor."""
    cam = Camera.top_view(WIDE["height_mm"], WIDE["focal_px"], WIDE["image_size"],
                          centre_xy=(offset_mm, 0.0))
    if not below:
        return cam
    flip, reflect = np.diag([-1.0, 1.0, 1.0]), np.diag([1.0, 1.0, -1.0])
    return Camera(cam.K, flip @ cam.R @ reflect, flip @ cam.t, cam.image_size)


def _poses(uv: np.ndarray, source: str) -> Poses:
    return Poses(coords=uv[:, None], confidence=np.ones(uv.shape[:2])[:, None],
                 keypoints=list(NAMES), meta=PoseMetadata(source=source, fps=30.0,
                                                          image_size=WIDE["image_size"]))


def _lift_through(mouse: np.ndarray, offset: float, tmp_path: Path,
                  caplog: pytest.LogCaptureFixture, level: int, **kwargs: object
                  ) -> tuple[Poses, list[logging.LogRecord]]:
    """The mouse lifted through :func:`_camera` (``offset``) given as a calibration, and the
    records logged at ``level`` or above."""
    cam = _camera(offset)
    calib = write_anipose([cam], tmp_path / f"calibration{offset:.0f}.toml")
    caplog.clear()
    with caplog.at_level(level, logger="dlc_lifter"):
        out = lift_poses(_poses(cam.project(mouse), f"view{offset:.0f}.h5"),
                         calibration=calib, **kwargs)
    return out, list(caplog.records)


@pytest.mark.parametrize("below", [False, True])
def test_the_view_angle_is_measured_from_the_rays(mouse: np.ndarray, below: bool) -> None:
    for offset, angle in ((0.0, 0.0), (450.0 * np.tan(np.radians(30)), 30.0), (450.0, 45.0)):
        cam = _camera(offset, below)
        uv = cam.project(mouse)
        view = animal_view(cam, uv, np.isfinite(uv).all(-1))
        assert view is not None and view.below == below and view.frames == len(mouse)
        assert view.height_mm == pytest.approx(450.0)
        # the mouse's own spread around its mean position (a few cm) widens the angles
        assert abs(view.angle_deg - angle) < 6.0, (offset, view)
        assert view.angle_p95_deg >= view.angle_deg
    assert animal_view(cam, np.full((4, len(NAMES), 2), np.nan),
                       np.zeros((4, len(NAMES)), bool)) is None


def test_an_oblique_calibrated_view_is_lifted_with_one_warning(
        mouse: np.ndarray, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    said = {}
    for offset in (0.0, 450.0):
        out, records = _lift_through(mouse, offset, tmp_path, caplog, logging.WARNING)
        said[offset] = [r.getMessage() for r in records
                        if r.name == "dlc_lifter.lift.view_range"]
        view = out.meta.extra["camera_estimate"]["view"]
        assert view["angle_deg"] == pytest.approx(45.0 if offset else 0.0, abs=6.0)
        assert view["measured_up_to_deg"] == 20.0
        assert np.isfinite(out.coords[:, 0, : len(NAMES)]).all()  # warned, and lifted
    assert said[0.0] == []
    assert len(said[450.0]) == 1
    msg = said[450.0][0]
    assert msg.startswith("view450.h5: the camera (calibration) sees the animal 4")
    assert "deg off the vertical" in msg and "so its heights are rougher" in msg
    assert "lifted with the networks for oblique views" in msg  # the shipped companion
    assert "film from closer to straight above" in msg


def test_side_views_and_cameras_out_of_range_are_named(caplog: pytest.LogCaptureFixture
                                                       ) -> None:
    def said(view: AnimalView, camera_source: str) -> list[str]:
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
            warn_view_range(view, "f.h5", camera_source)
        return [r.getMessage() for r in caplog.records]

    side = said(AnimalView(62.0, 70.0, 300.0, 50), "calibration")
    assert len(side) == 1 and "nearer a side view than a top view" in side[0]
    close = said(AnimalView(5.0, 9.0, 75.0, 50), "body-length-estimate")
    assert len(close) == 1 and "75 mm from the floor" in close[0]
    assert "close-up, a side view or a head-fixed set-up" in close[0]
    assert "give the camera's height and focal length" in close[0]
    high = said(AnimalView(5.0, 9.0, 5000.0, 50), "calibration")
    assert len(high) == 1 and high[0].endswith("Heights may be less accurate.")
    assert said(AnimalView(20.0, 31.0, 375.0, 50), "body-length-estimate") == []
    assert said(None, "calibration") == []  # type: ignore[arg-type]


@needs_realdata(REACHING_2D)
def test_a_real_head_fixed_reaching_file_is_named_as_no_top_view(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """DeepLabCut's reaching demo (a head-fixed mouse's forelimbs from the front) lifts with
    a camera estimated 75 mm from the floor: the log says that is no top view."""
    from dlc_lifter.lift import lift_file
    from dlc_lifter.lift.options import LiftOptions, OutputSpec

    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        lift_file(REACHING_2D, options=LiftOptions(depth=False),
                  output=OutputSpec(destfolder=tmp_path))
    said = [r.getMessage() for r in caplog.records if r.name == "dlc_lifter.lift.view_range"]
    assert len(said) == 1 and "head-fixed set-up" in said[0], said
    assert said[0].startswith(f"{REACHING_2D}: the camera (body-length-estimate) is ")


def test_weights_for_oblique_views_lift_oblique_views(mouse: np.ndarray, tmp_path: Path,
                                                      caplog: pytest.LogCaptureFixture
                                                      ) -> None:
    """``X_oblique.pt`` beside ``X.pt`` lifts a file whose camera sees the animal at least
    OBLIQUE_FROM_DEG off the vertical (median), ``X.pt`` one under OBLIQUE_BLEND_FROM_DEG,
    and a file between gets both networks' points mixed by its view angle."""
    from dlc_lifter.lift import Lifter, oblique_model_path
    from dlc_lifter.lift.view_range import OBLIQUE_BLEND_FROM_DEG, OBLIQUE_FROM_DEG

    shipped = Lifter.load().model
    main = shipped.save(tmp_path / "mine.pt")
    assert Lifter.load(main).oblique_model is None  # no companion yet
    raised_model(shipped, 8.0).save(oblique_model_path(main))
    assert oblique_model_path(main).name == "mine_oblique.pt"
    lifter = Lifter.load(main)
    straight = _camera(0.0)
    assert lifter.for_camera(straight, None) is lifter
    assert lifter.for_camera(straight, OBLIQUE_BLEND_FROM_DEG) is lifter
    assert lifter.for_camera(straight, OBLIQUE_FROM_DEG).name == "mine_oblique.pt"
    mixed = lifter.for_camera(straight, (OBLIQUE_BLEND_FROM_DEG + OBLIQUE_FROM_DEG) / 2)
    assert mixed.name == "mine.pt" and mixed.model.info["oblique_share"] == 0.5
    between = lifter.networks_for(straight, (OBLIQUE_BLEND_FROM_DEG + OBLIQUE_FROM_DEG) / 2)
    assert between.oblique_share == 0.5 and between.oblique.name == "mine_oblique.pt"
    assert between.lifter.model.info["oblique_share"] == 0.5
    beyond = lifter.networks_for(straight, OBLIQUE_FROM_DEG)
    assert beyond.oblique_share == 1.0 and beyond.lifter is beyond.oblique
    top = lifter.networks_for(straight, OBLIQUE_BLEND_FROM_DEG)
    assert (top.lifter, top.oblique_share, top.oblique) == (lifter, 0.0, None)
    assert lifter.for_camera(_camera(450.0, below=True), 45.0) is lifter  # no _below.pt
    assert lifter.with_mode("frame").for_camera(straight, 45.0).name == "mine_oblique.pt"
    z = {}
    for offset in (0.0, 450.0):
        out, records = _lift_through(mouse, offset, tmp_path, caplog, logging.INFO,
                                     lifter=lifter, mode="frame")
        name = out.meta.extra["model"]["name"]
        assert name == ("mine_oblique.pt" if offset else "mine.pt")
        said = [r.getMessage() for r in records if r.levelno == logging.INFO
                and "networks for oblique" in r.getMessage()]
        assert len(said) == (1 if offset else 0)
        alone, _ = _lift_through(mouse, offset, tmp_path, caplog, logging.INFO,
                                 lifter=Lifter(shipped), mode="frame")
        z[offset] = np.median(out.coords[:, 0, :, 2] - alone.coords[:, 0, :, 2])
    assert z[0.0] == 0.0 and z[450.0] == pytest.approx(8.0, abs=1.5)
    # between 15 and 25 deg, a lift from keypoints mixes both networks' points
    between = 450.0 * np.tan(np.radians(20.0))
    out, records = _lift_through(mouse, between, tmp_path, caplog, logging.INFO,
                                 lifter=lifter, mode="frame")
    alone, _ = _lift_through(mouse, between, tmp_path, caplog, logging.INFO,
                             lifter=Lifter(shipped), mode="frame")
    share = out.meta.extra["oblique_share"]
    assert 0.3 < share < 0.7 and out.meta.extra["model"]["name"] == "mine.pt"
    assert np.median(out.coords[:, 0, :, 2] - alone.coords[:, 0, :, 2]) == pytest.approx(
        8.0 * share, abs=1.0)
    assert out.meta.extra["oblique_model"]["name"] == "mine_oblique.pt"
    assert any(f"points {100 * share:.0f} % from the networks for oblique views" in
               r.getMessage() for r in records)


def test_a_companion_of_another_shape_lifts_its_side_of_the_blend_alone(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Weights for oblique views whose networks differ in shape from the main weights'
    (another recipe's width) cannot be mixed into one network: a view between the two
    ranges is lifted by the nearer one alone, and the log says why once, naming both files
    and what to do (it used to fail with a bare "members differ in shape")."""
    from dlc_lifter.lift import Lifter, oblique_model_path
    from dlc_lifter.lift.view_range import OBLIQUE_BLEND_FROM_DEG, OBLIQUE_FROM_DEG
    from dlc_lifter.nets.lifter import LifterNet

    shipped = Lifter.load().model
    main = shipped.save(tmp_path / "narrow.pt")
    other = raised_model(shipped, 8.0)
    cfg = dict(other.nets["frame"].config(), channels=16, members=1)
    torch.manual_seed(0)
    other.nets["frame"] = LifterNet(**cfg).eval()
    other.save(oblique_model_path(main))
    lifter = Lifter.load(main)
    straight = _camera(0.0)
    span = OBLIQUE_FROM_DEG - OBLIQUE_BLEND_FROM_DEG
    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        near_top = lifter.networks_for(straight, OBLIQUE_BLEND_FROM_DEG + 0.3 * span)
        near_oblique = lifter.networks_for(straight, OBLIQUE_BLEND_FROM_DEG + 0.7 * span)
        again = lifter.networks_for(straight, OBLIQUE_BLEND_FROM_DEG + 0.6 * span)
    assert (near_top.lifter, near_top.oblique_share, near_top.oblique) == (lifter, 0.0, None)
    assert near_oblique.oblique_share == 1.0 and near_oblique.lifter is near_oblique.oblique
    assert near_oblique.lifter.name == "narrow_oblique.pt" and again.oblique_share == 1.0
    said = [r.getMessage() for r in caplog.records if r.name == "dlc_lifter.lift.lifter"]
    assert len(said) == 1, said
    assert "narrow.pt" in said[0] and "narrow_oblique.pt" in said[0]
    assert "cannot be mixed" in said[0] and "frame networks differ in shape" in said[0]


def test_an_oblique_view_with_its_video_is_lifted_from_keypoints(mouse: np.ndarray,
                                                                  tmp_path: Path) -> None:
    from dlc_lifter.lift import Lifter, oblique_model_path
    from dlc_lifter.lift.depth_path import lift_poses_with_depth

    main = Lifter.load().model.save(tmp_path / "mine.pt")
    Lifter.load().model.save(oblique_model_path(main))
    cam = _camera(450.0)
    calib = write_anipose([cam], tmp_path / "calibration.toml")
    out = lift_poses_with_depth(_poses(cam.project(mouse), "oblique.h5"),
                                tmp_path / "never_opened.mp4", lifter=Lifter.load(main),
                                calibration=calib)
    assert out.meta.extra["depth"]["used"] is False
    assert "deg off the vertical" in out.meta.extra["depth"]["reason"]
    assert out.meta.extra["model"]["name"] == "mine_oblique.pt"


def test_the_live_processor_lifts_an_oblique_calibrated_view_with_its_networks(
        mouse: np.ndarray, tmp_path: Path) -> None:
    """DLC-Live with a calibration: before any pose the view is the one at the image's
    centre (the camera's tilt), and an oblique one is lifted by the oblique companion."""
    from dlc_lifter.integrations.dlclive import _LiftProcessorImpl
    from dlc_lifter.lift import Lifter, oblique_model_path

    shipped = Lifter.load().model
    main = shipped.save(tmp_path / "mine.pt")
    raised_model(shipped, 8.0).save(oblique_model_path(main))
    for tilt, name in ((0.0, "mine.pt"), (40.0, "mine_oblique.pt")):
        cam = Camera.top_view(450.0, 500.0, (640, 480), tilt_rad=np.radians(tilt))
        calib = write_anipose([cam], tmp_path / f"calibration{tilt:.0f}.toml")
        proc = _LiftProcessorImpl(keypoint_names=list(NAMES), calibration=str(calib),
                                  model_path=str(main), features=False)
        assert proc.live.lifter.name == name


def test_live_and_offline_mix_the_same_networks_between_the_two_ranges(mouse: np.ndarray,
                                                                       tmp_path: Path) -> None:
    """A calibrated view between OBLIQUE_BLEND_FROM_DEG and OBLIQUE_FROM_DEG: DLC-Live
    mixes the networks as an offline causal lift of the same view does, frame for frame."""
    from dlc_lifter.integrations.dlclive import _LiftProcessorImpl
    from dlc_lifter.lift import Lifter, oblique_model_path
    from dlc_lifter.lift.keypoints import withheld_from_networks

    shipped = Lifter.load().model
    main = shipped.save(tmp_path / "mine.pt")
    raised_model(shipped, 8.0).save(oblique_model_path(main))
    cam = Camera.top_view(450.0, 500.0, (640, 480), tilt_rad=np.radians(20.0))
    calib = write_anipose([cam], tmp_path / "calibration.toml")
    proc = _LiftProcessorImpl(keypoint_names=list(NAMES), calibration=str(calib),
                              model_path=str(main), features=False)
    share = proc.live.lifter.model.info["oblique_share"]
    assert share == pytest.approx(0.5) and proc.live.lifter.name == "mine.pt"
    uv = cam.project(mouse + [0.0, 60.0, 0.0])
    live = np.stack([proc.live.step(np.concatenate([p, np.ones((len(p), 1))], 1)).pose_3d
                     for p in uv])[:, : len(NAMES)]  # the tracked names first
    mixed = Lifter.load(main).for_camera(cam, 20.0)
    idx = mixed.catalogue_indices(list(NAMES))
    # the networks given what live lifting gives them: the centre label withheld (a sparse
    # set, the paws not counted; dlc_lifter.lift.keypoints), it on its own ray
    held = [k for k, c in enumerate(idx) if c in withheld_from_networks(idx)]
    assert [NAMES[k] for k in held] == ["mouse_center"]
    conf = np.ones(uv.shape[:2])
    conf[:, held] = 0.0
    offline = mixed.lift(uv, conf, list(NAMES), cam, mode="causal")
    given = [k for k in range(len(NAMES)) if k not in held]
    np.testing.assert_allclose(live[:, given], offline[:, idx][:, given], atol=1e-3)
    alone = Lifter(shipped).lift(uv, None, list(NAMES), cam, mode="causal")[:, idx]
    assert np.median(live[..., 2] - alone[..., 2]) == pytest.approx(8.0 * share, abs=1.0)


def test_live_depth_given_up_on_a_view_between_the_ranges_lifts_as_without_depth(
        mouse: np.ndarray, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """DLC-Live with depth, a calibrated view 20 deg off the vertical: the fused lifter lifts
    (unmixed) until the depth network's readings are judged raised; from then on the
    keypoints' stream is the one DLC-Live builds without depth for that camera (the networks
    for oblique views mixed in, as the offline keypoints-only lift), frame for frame. It
    used to be the top-view networks alone."""
    from dlc_lifter.integrations.dlclive import _LiftProcessorImpl
    from dlc_lifter.lift import Lifter, oblique_model_path
    from dlc_lifter.lift.depth_path import DEPTH_CHECK_READINGS
    from tests.fixtures.live import ANY_IMAGE, read_snout_at

    shipped = Lifter.load().model
    main = shipped.save(tmp_path / "mine.pt")
    raised_model(shipped, 8.0).save(oblique_model_path(main))
    cam = Camera.top_view(450.0, 500.0, (640, 480), tilt_rad=np.radians(20.0))
    calib = write_anipose([cam], tmp_path / "calibration.toml")
    kw = dict(keypoint_names=list(NAMES), calibration=str(calib), model_path=str(main),
              features=False)
    with_depth = _LiftProcessorImpl(depth=True, px_per_mm=1.5, **kw)
    without = _LiftProcessorImpl(**kw)
    assert with_depth.live is not None and without.live is not None
    read_snout_at(with_depth.live, monkeypatch, 65.0)
    uv = cam.project(mouse + [0.0, 60.0, 0.0])
    poses = [np.concatenate([p, np.ones((len(p), 1))], 1) for p in uv]
    res = [with_depth.live.step(p, ANY_IMAGE) for p in poses]
    ref = [without.live.step(p) for p in poses]
    switch = DEPTH_CHECK_READINGS - 1
    assert [r.depth_used for r in res] == [i < switch for i in range(len(poses))]
    for a, b in zip(res[switch:], ref[switch:], strict=True):
        np.testing.assert_allclose(a.pose_3d, b.pose_3d, atol=1e-9, rtol=0)
    assert with_depth.live.lifter.model.info["oblique_share"] == pytest.approx(0.5)
