"""The bundled example and the demo: runs end to end with no arguments."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from dlc_lifter.demo import example_dir, ground_truth_errors

ROOT = Path(__file__).resolve().parents[1]


def test_example_is_small_and_consistent() -> None:
    src = example_dir()
    total = sum(p.stat().st_size for p in src.rglob("*") if p.is_file())
    assert total < 3e6
    info = yaml.safe_load((src / "example.yaml").read_text())
    df2 = pd.read_hdf(src / info["poses"], key="df_with_missing")
    assert df2.columns.nlevels == 3 and df2.columns.names[-1] == "coords"
    assert len(df2) == info["frames"]
    gt = pd.read_hdf(src / info["ground_truth"], key="df_with_missing")
    z = gt.xs("z", level="coords", axis=1).to_numpy()
    assert np.nanmin(z) >= 0 and np.nanmax(z) > 45  # on the floor, and it rears
    # the 2D detections are the ground truth seen through the example camera, plus noise
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import make_example
    finally:
        sys.path.pop(0)
    xyz = gt.to_numpy().reshape(len(gt), -1, 3)
    uv = make_example.project(xyz)
    det = df2.to_numpy().reshape(len(df2), -1, 3)
    good = det[..., 2] > 0.5
    assert np.median(np.linalg.norm(det[..., :2] - uv, axis=-1)[good]) < 3.0


@pytest.mark.slow
def test_example_generator_is_deterministic(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import make_example
    finally:
        sys.path.pop(0)
    make_example.make_example(tmp_path)
    src = example_dir()
    for name in ("example.yaml", "mouse_demo.mp4"):
        assert (tmp_path / name).read_bytes() == (src / name).read_bytes(), name
    info = yaml.safe_load((src / "example.yaml").read_text())
    for name in (info["poses"], info["ground_truth"]):
        pd.testing.assert_frame_equal(pd.read_hdf(tmp_path / name), pd.read_hdf(src / name))


def test_ground_truth_errors_zero_against_itself() -> None:
    src = example_dir()
    gt = src / "mouse_demo_groundtruth3d.h5"
    err = ground_truth_errors(gt, gt)
    info = yaml.safe_load((src / "example.yaml").read_text())
    assert err["mpjpe_mm"] == 0 and err["height_mae_mm"] == 0
    assert err["frames"] == info["frames"]


def test_demo_end_to_end(tmp_path: Path) -> None:
    try:
        from dlc_lifter.lift import lift_file  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"dlc_lifter.lift.lift_file not available: {exc}")
    from typer.testing import CliRunner

    from dlc_lifter.cli import app

    out = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--out-dir", str(out)])
    assert result.exit_code == 0, result.output
    assert "Demo results in" in result.output and "mm per keypoint" in result.output
    summary = json.loads((out / "summary.json").read_text())
    assert Path(summary["output_3d"]).is_file()
    assert {Path(p).suffix for p in summary["plots"]} == {".mp4", ".png"}
    err = summary["error_vs_ground_truth"]
    assert err["frames"] == 300 and np.isfinite(err["mpjpe_mm"])
