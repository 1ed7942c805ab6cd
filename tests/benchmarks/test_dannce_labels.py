"""benchmarks/dannce_labels.py turns a DANNCE label3d file into real.py's CSV layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.fixtures.models import benchmark_module


@pytest.fixture(scope="module")
def conv():
    with benchmark_module("dannce_labels", "bench_dannce_labels") as mod:
        yield mod


def _label3d(path: Path, pts: np.ndarray, ids: np.ndarray, cams: int = 3) -> Path:
    import scipy.io

    cell = np.empty((cams,), dtype=object)
    for k in range(cams):
        cell[k] = {"data_3d": pts.reshape(len(pts), -1), "data_sampleID": ids.astype(float),
                   "data_2d": np.zeros((len(pts), 44))}
    scipy.io.savemat(path, {"labelData": cell})
    return path


def test_label3d_becomes_the_shared_csv_layout(conv, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    pts = rng.uniform(0, 100, (5, 22, 3))
    pts[2, 7] = np.nan
    mat = _label3d(tmp_path / "label3d_dannce.mat", pts, np.array([3, 8, 21, 40, 77]))
    out = tmp_path / "labels3d.csv"
    assert conv.main([str(mat), str(out), "--floor-mm", "1.5"]) == 0
    df = pd.read_csv(out)
    assert list(df.columns[:4]) == ["sample_id", "EarL_x", "EarL_y", "EarL_z"]
    assert df["sample_id"].tolist() == [3, 8, 21, 40, 77]
    np.testing.assert_allclose(df["Snout_x"], pts[:, 2, 0])
    np.testing.assert_allclose(df["KneeR_z"], pts[:, 21, 2] - 1.5)
    assert np.isnan(df.loc[2, "Tail_end_y"])
    with pytest.raises(SystemExit):  # never over an existing file
        conv.main([str(mat), str(out)])


def test_label3d_with_another_skeleton_or_disagreeing_cameras_is_refused(
        conv, tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="mouse22"):
        conv.read_label3d(_label3d(tmp_path / "a.mat", np.zeros((4, 20, 3)), np.arange(4)))
    import scipy.io

    cell = np.empty((2,), dtype=object)
    cell[0] = {"data_3d": np.zeros((2, 66)), "data_sampleID": np.arange(2.0)}
    cell[1] = {"data_3d": np.ones((2, 66)), "data_sampleID": np.arange(2.0)}
    scipy.io.savemat(tmp_path / "b.mat", {"labelData": cell})
    with pytest.raises(SystemExit, match="differ"):
        conv.read_label3d(tmp_path / "b.mat")
