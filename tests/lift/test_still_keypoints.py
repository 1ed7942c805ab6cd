"""Keypoints that stay in place while the animal moves: a maze's arms, objects."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from dlc_lifter.lift.keypoints import (
    STILL_MIN_MOTION_PX,
    plan_lift_keypoints,
    still_keypoints,
)
from dlc_lifter.poses import PoseMetadata, Poses


def _maze(t: int = 200, radius: float = 150.0, seed: int = 0) -> Poses:
    """A mouse walking a circle, with three maze arms and a lever tracked beside it."""
    rng = np.random.default_rng(seed)
    a = np.arange(t) / 30.0
    centre = np.stack([320 + radius * np.cos(a), 240 + radius * np.sin(a)], -1)
    heading = np.stack([-np.sin(a), np.cos(a)], -1)
    side = np.stack([-heading[:, 1], heading[:, 0]], -1)
    body = {"snout": 40 * heading, "leftear": 25 * heading - 8 * side,
            "rightear": 25 * heading + 8 * side, "tailbase": -40 * heading}
    fixed = {"rightarm": (600, 50), "leftarm": (40, 50), "middlearm": (320, 470),
             "lever": (600, 420)}
    names = [*body, *fixed]
    uv = np.stack([centre + body[n] if n in body else np.broadcast_to(fixed[n], (t, 2))
                   for n in names], 1) + rng.normal(0, 1.0, (t, len(names), 2))
    return Poses(coords=uv[:, None], keypoints=names,
                 meta=PoseMetadata(source="ymazeDLC.h5"))


def test_a_model_that_found_nothing_leaves_no_still_keypoints() -> None:
    """Likelihoods of 0 (a real rat file's model found nothing in 4566 frames) are no
    detections: their noise staying in place is not an object of the set-up (before, its
    four paws were warned about as "staying in place while the animal moves")."""
    poses = _maze()
    conf = np.full(poses.coords.shape[:3], 0.9)
    conf[:, :, 4:] = 0.0  # the arms and lever: never found
    found = Poses(coords=poses.coords, confidence=conf, keypoints=poses.keypoints)
    assert still_keypoints(found) == []
    conf[:, :, 4:] = 0.2  # found, unsure: still counted at the default cutoff
    assert still_keypoints(Poses(coords=poses.coords, confidence=conf,
                                 keypoints=poses.keypoints)) == [
        "rightarm", "leftarm", "middlearm", "lever"]


def test_set_up_landmarks_are_still_and_body_parts_are_not() -> None:
    poses = _maze()
    assert still_keypoints(poses) == ["rightarm", "leftarm", "middlearm", "lever"]
    # an animal that barely moves says nothing about its surroundings
    rng = np.random.default_rng(1)
    calm = poses.coords.copy()
    calm[:, :, :4] = calm[:1, :, :4] + rng.normal(0, STILL_MIN_MOTION_PX / 8, calm[:, :, :4].shape)
    assert still_keypoints(Poses(coords=calm, keypoints=poses.keypoints)) == []
    # a point tracked in too few frames is never called still
    few = _maze()
    few.coords[5:, :, 4] = np.nan
    assert "rightarm" not in still_keypoints(few)
    # points below the likelihood cutoff are not counted
    low = Poses(coords=poses.coords, confidence=np.full(poses.coords.shape[:3], 0.2),
                keypoints=poses.keypoints, meta=poses.meta)
    assert still_keypoints(low, pcutoff=0.5) == []


def test_the_lift_names_the_set_up_instead_of_guessing_body_parts(
        caplog: pytest.LogCaptureFixture) -> None:
    poses = _maze()
    with caplog.at_level(logging.WARNING):
        plan = plan_lift_keypoints(poses, None)
    assert set(plan.mapped) == {"snout", "leftear", "rightear", "tailbase"}
    line = next(r.getMessage() for r in caplog.records if "staying in place" in r.getMessage())
    assert line.startswith("ymazeDLC.h5: not lifted")
    assert "'rightarm', 'leftarm', 'middlearm', 'lever'" in line and "closest" not in line


def test_info_lists_the_set_up(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from dlc_lifter.cli import app

    path = tmp_path / "ymazeDLC_resnet50_x.h5"
    _maze().to_dataframe().to_hdf(path, key="df_with_missing", format="table")
    res = CliRunner().invoke(app, ["info", str(path)])
    assert res.exit_code == 0, res.output
    assert "rightarm: no catalogue landmark; stays in place" in res.output
