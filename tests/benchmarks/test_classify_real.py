"""benchmarks/classify.py's real table: rear vs not rear of a real mouse, 2D vs lifted 3D."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.fixtures.models import benchmark_module
from tests.fixtures.realdata import OFT, needs_realdata

pytestmark = [
    pytest.mark.realdata,
    needs_realdata(OFT / "OFT_38_rear_votes.csv"),
]


@pytest.fixture(scope="module")
def bench():
    with benchmark_module("classify", "bench_classify") as mod:
        yield mod


@pytest.fixture(scope="module")
def real(bench) -> tuple[dict[str, pd.DataFrame], np.ndarray]:
    tables = bench.real_features(OFT)
    return tables, bench.vote_labels(OFT, tables["2d"]["frame"].to_numpy())


def test_votes_give_rear_and_not_rear_and_leave_out_disputed_frames(bench, real) -> None:
    tables, labels = real
    assert len(labels) == len(tables["2d"]) == len(tables["3d lifted"]) == 1998
    counts = pd.Series(labels).value_counts(dropna=False)
    assert counts["rear"] == 525 and counts["not rear"] == 1393
    assert sum(v is None for v in labels) == 80  # the 1-vote frames
    majority = bench.vote_labels(OFT, tables["2d"]["frame"].to_numpy(), "not-rear")
    assert (majority == "not rear").sum() == 1393 + 80
    # lifted through the public API: metric 3D features that the 2D file cannot give
    assert "height_nose_mm" in tables["3d lifted"] and "height_nose_mm" not in tables["2d"]


def test_real_table_small(bench, real) -> None:
    from dlc_lifter.analysis.crossval import bout_groups, cross_validate

    tables, labels = real
    table = bench.real_table(tables, labels, seeds=[0], n_splits=3, n_estimators=10)
    assert list(table.index) == ["seed 0", "mean"]
    assert list(table.columns) == ["f1 2d", "f1 3d lifted", "target", "holds"]
    again = bench.real_table(tables, labels, seeds=[0], n_splits=3, n_estimators=10)
    pd.testing.assert_frame_equal(table, again)  # deterministic
    # every bout (contiguous run of one label) is one cross-validation group
    bouts = bout_groups(labels)
    keep = np.array([v is not None for v in labels])
    assert table.attrs["n_bouts"] == len(np.unique(bouts[keep]))
    report = cross_validate(tables["3d lifted"], labels, "bouts", n_splits=3, n_estimators=5)
    assert len(set(zip(report.groups, bouts[keep], strict=True))) == report.n_groups
    f2, f3 = table.loc["seed 0", "f1 2d"], table.loc["seed 0", "f1 3d lifted"]
    assert 0.0 < f2 <= 1.0 and 0.0 < f3 <= 1.0
    assert f3 >= f2, "target: rear F1 from lifted 3D >= from 2D"
