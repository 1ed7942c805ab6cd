"""lift-project on the real DLC openfield project (copied into a temporary project)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests.fixtures.realdata import OPENFIELD, OPENFIELD_H5, OPENFIELD_VIDEO, needs_realdata

pytestmark = [pytest.mark.realdata, needs_realdata(OPENFIELD_H5)]


@pytest.fixture
def openfield_project(tmp_path: Path) -> Path:
    """The openfield project laid out as DLC leaves it: outputs beside the video."""
    videos = tmp_path / "openfield" / "videos"
    videos.mkdir(parents=True)
    shutil.copyfile(OPENFIELD / "config.yaml", tmp_path / "openfield" / "config.yaml")
    shutil.copyfile(OPENFIELD_VIDEO, videos / OPENFIELD_VIDEO.name)
    shutil.copyfile(OPENFIELD_H5, videos / OPENFIELD_H5.name)
    return tmp_path / "openfield" / "config.yaml"


def test_lift_project_cli_on_openfield(openfield_project: Path) -> None:
    try:
        from dlc_lifter.lift import lift_file  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"dlc_lifter.lift.lift_file not available: {exc}")
    from typer.testing import CliRunner

    from dlc_lifter.cli import app

    config_before = openfield_project.read_bytes()
    runner = CliRunner()
    args = ["lift-project", str(openfield_project), "--plot", "--plot-max-frames", "120"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    videos = openfield_project.parent / "videos" / "lifted3d"  # not where DLC's tools look
    out = videos / OPENFIELD_H5.name.replace(".h5", "_lifted3d.h5")
    assert out.is_file()
    df = pd.read_hdf(out, key="df_with_missing")
    assert len(df) == 2330
    assert list(df.columns.get_level_values("coords").unique())[:3] == ["x", "y", "z"]
    stem = out.stem
    for suffix in ("_3d.mp4", "_heights.png", "_trajectory.png"):
        assert (videos / f"{stem}{suffix}").stat().st_size > 1000
    assert openfield_project.read_bytes() == config_before  # never modifies config.yaml
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and "1 skipped" in again.output
