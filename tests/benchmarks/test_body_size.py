"""``benchmarks/body_size.py``: the lift's size check on the real sets, as a lift runs it."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import pytest

from tests.fixtures.models import benchmark_module
from tests.fixtures.realdata import REALDATA, needs_realdata


@pytest.fixture(scope="module")
def bench():
    with benchmark_module("body_size", "bench_body_size", imports=("real",)) as mod:
        yield mod


@needs_realdata(REALDATA / "dannce-mouse1", REALDATA / "oft-rearing")
def test_real_mice_are_not_warned_about_and_scales_in_cm_are_named(bench, tmp_path: Path
                                                                   ) -> None:
    from dlc_lifter.lift import Lifter

    counter = bench._Count()
    checker = logging.getLogger("dlc_lifter.lift.body_size")
    checker.addHandler(counter)
    try:
        rows = bench.real_rows(argparse.Namespace(dannce_csv=None, subtle_dir=None),
                               Lifter.load(), counter, tmp_path)
    finally:
        checker.removeHandler(counter)
    assert len(rows) == 4, rows
    assert all(r[2].endswith("PASS") for r in rows), rows
    assert rows[0][2].endswith("; 0 PASS")  # none of the 27 DANNCE files warned


def test_the_synthetic_rows_print_the_sessions_percentiles(bench) -> None:
    rows = bench.synthetic_rows(4, 83.4)
    assert len(rows) == 3 and "2.5 / 50 / 97.5 %" in rows[0][1]
    assert rows[-1][0] == "TRAINED_LENGTH_SHARE"
