"""The lift's option dataclasses refuse values that cannot be."""

from __future__ import annotations

import numpy as np
import pytest

from dlc_lifter.errors import DLCLifterError
from dlc_lifter.lift import LiftOptions, OutputSpec


def test_lift_options_refuse_a_mode_or_cutoff_that_cannot_be() -> None:
    """A misspelt mode failed deep in the lift; a cutoff of 60 (a 0-100 score) wrote a file
    of NaN without a word."""
    from dlc_lifter.errors import DLCLifterError
    from dlc_lifter.lift import LiftOptions

    with pytest.raises(DLCLifterError, match="mode must be temporal, causal or frame"):
        LiftOptions(mode="causl")
    with pytest.raises(DLCLifterError, match="pcutoff must be a likelihood from 0 to 1"):
        LiftOptions(pcutoff=60)
    assert LiftOptions(pcutoff=0.0, mode="frame").mode == "frame"


def test_lift_poses_refuses_a_camera_spec_for_its_camera_name() -> None:
    """lift_poses(camera=) names a calibration's camera; a CameraSpec passed there was
    ignored and the camera guessed from the animal."""
    from dlc_lifter.errors import DLCLifterError
    from dlc_lifter.lift import CameraSpec, lift_poses
    from tests.fixtures.toys import random_poses

    with pytest.raises(DLCLifterError, match="camera= names a camera of the calibration"):
        lift_poses(random_poses(), camera=CameraSpec(camera_height_mm=600.0, focal_px=700.0))


def test_in_memory_poses_given_to_the_file_lift_or_arrays_to_lift_poses_are_explained() -> None:
    """A DataFrame given to lift_file, or an array to lift_poses, raised AttributeError."""
    import numpy as np
    import pandas as pd

    from dlc_lifter.errors import DLCLifterError
    from dlc_lifter.lift import lift_file, lift_poses

    with pytest.raises(DLCLifterError, match="Poses.from_dataframe"):
        lift_file(pd.DataFrame())
    with pytest.raises(DLCLifterError, match="lift_poses takes a dlc_lifter.Poses"):
        lift_poses(np.zeros((3, 4, 2)))


def test_a_camera_name_without_its_calibration_is_refused() -> None:
    from dlc_lifter.errors import DLCLifterError
    from dlc_lifter.lift import lift_poses
    from tests.fixtures.toys import random_poses

    with pytest.raises(DLCLifterError, match="give the calibration too"):
        lift_poses(random_poses(), camera="top")


def test_a_camera_spec_naming_a_camera_without_its_calibration_is_refused() -> None:
    from dlc_lifter.errors import DLCLifterError
    from dlc_lifter.lift import CameraSpec

    with pytest.raises(DLCLifterError, match="give the calibration too"):
        CameraSpec(camera_name="top")


@pytest.mark.parametrize(("make", "name"), [
    (lambda: OutputSpec(overwrite="no"), "overwrite"),
    (lambda: OutputSpec(nwb="false"), "nwb"),
    (lambda: LiftOptions(depth="false"), "depth"),
    (lambda: LiftOptions(impute_all="no"), "impute_all"),
    (lambda: LiftOptions(walls=None), "walls"),
    (lambda: LiftOptions(adapt="yes"), "adapt"),
    (lambda: LiftOptions(mode=None), "mode"),
])
def test_a_flag_given_as_text_is_refused(make, name: str) -> None:  # noqa: ANN001
    """``overwrite="no"`` (a form's or a YAML file's text) is truthy: it replaced an
    existing output, ``depth="false"`` read depth. Flags take True or False (numpy's too);
    anything else is one error naming the option."""
    with pytest.raises(DLCLifterError, match=f"^{name}=? must be"):
        make()
    assert LiftOptions(depth=np.bool_(False)).depth is False
    assert OutputSpec(overwrite=np.True_).overwrite is True


def test_an_arena_size_is_kept_as_read() -> None:
    """``"420x420"``, ``(420, 420)`` and numpy's numbers are the arena of 420.0 (a batch's
    rerun compared the text with the recorded 420.0 and kept its outputs as lifted "with
    other options"; numpy's float32 was refused, an array made the spec unhashable)."""
    from dlc_lifter.lift import CameraSpec

    for given in ("420x420", (420, 420), np.float32(420), np.array([420, 420]), 420):
        spec = CameraSpec(arena_size_mm=given)
        assert spec.arena_size_mm == 420.0 and spec == CameraSpec(arena_size_mm=420.0)
        hash(spec)
    assert CameraSpec(arena_size_mm="600x400").arena_size_mm == (600.0, 400.0)
