"""The ``info`` and ``catalogue`` verbs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from dlc_lifter import Poses
from dlc_lifter.cli import app

runner = CliRunner()


def _file(tmp_path: Path) -> Path:
    coords = np.random.default_rng(0).uniform(0, 100, (10, 1, 3, 2))
    coords[:5, 0, 2] = np.nan
    conf = np.full((10, 1, 3), 0.9)
    conf[:, 0, 0] = 0.5
    p = Poses(coords, conf, keypoints=["snout", "leftear", "wing"])
    p.meta.scorer = "DLC_test"
    f = tmp_path / "videoDLC_test.h5"
    p.to_dataframe().to_hdf(f, key="df_with_missing", format="table")
    return f


def test_info(tmp_path: Path) -> None:
    f = _file(tmp_path)
    r = runner.invoke(app, ["info", str(f)])
    assert r.exit_code == 0, r.output
    assert "dlc-h5" in r.output and "Frames:      10" in r.output
    assert "snout" in r.output and "nose" in r.output and "left_ear" in r.output
    assert "Not lifted:\n  wing: maps to no catalogue landmark" in r.output
    assert "Cannot be lifted as it is" in r.output  # nose and an ear: head only
    assert "p<0.6" in r.output and "100.0%" in r.output  # snout below 0.6 everywhere
    assert "50.0%" in r.output  # wing missing half the time


def test_info_with_mapping_and_config(tmp_path: Path) -> None:
    f = _file(tmp_path)
    m = tmp_path / "map.yaml"
    m.write_text("wing: mouse_center\n")
    cfg = tmp_path / "config.yaml"
    cfg.write_text("Task: t\nscorer: s\nbodyparts: [snout, leftear, wing]\npcutoff: 0.4\n")
    r = runner.invoke(app, ["info", str(f), "--keypoint-map", str(m), "--config", str(cfg)])
    assert r.exit_code == 0, r.output
    assert "mouse_center" in r.output and "p<0.4" in r.output and "Not lifted" not in r.output


def test_info_bad_file_is_a_clean_error(tmp_path: Path) -> None:
    from dlc_lifter.errors import PoseFileError

    r = runner.invoke(app, ["info", str(tmp_path / "none.h5")])
    assert r.exit_code != 0 and isinstance(r.exception, PoseFileError)
    assert "none.h5" in str(r.exception)


def test_catalogue() -> None:
    r = runner.invoke(app, ["catalogue"])
    assert r.exit_code == 0 and "tail_base" in r.output and "superanimal_topviewmouse" in r.output
    r = runner.invoke(app, ["catalogue", "--set", "openfield"])
    assert r.exit_code == 0 and "left_ear" in r.output and "hindpaw" not in r.output
    r = runner.invoke(app, ["catalogue", "--set", "nope"])
    assert r.exit_code != 0 and "openfield" in str(r.exception)


def test_library_parameter_names_become_flags_on_the_command_line() -> None:
    from dlc_lifter.cli import cli_message

    text = "give camera_height_mm and focal_px, or arena_size_mm; keypoint_map lists none"
    assert cli_message(text) == ("give --camera-height-mm and --focal-px, or --arena-size-mm; "
                                 "--keypoint-map lists none")
