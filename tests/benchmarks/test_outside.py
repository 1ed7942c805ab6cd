"""benchmarks/outside.py puts section A's target rows of several real mice side by side."""

from __future__ import annotations

import pytest

from tests.fixtures.models import benchmark_module


@pytest.fixture(scope="module")
def bench():
    with benchmark_module("outside", "bench_outside", imports=("real",)) as mod:
        yield mod


def _rows(n_kp: int, worst: str, all_mm: str, rears_mm: str, rears_ok: bool) -> list[tuple]:
    video = f"video .h5, {n_kp} keypoints in"
    return [
        ("A", video, "MPJPE all frames, grid mean", all_mm, "<= 8", "PASS"),
        ("A", video, f"MPJPE all frames, worst camera ({worst})", "7.9 mm", "<= 8", "PASS"),
        ("A", video, "MPJPE rearing frames, grid mean", rears_mm, "<= 12",
         "PASS" if rears_ok else "FAIL"),
        ("A", video, "median-height baseline MPJPE all frames, grid mean", "13.1 mm", "", ""),
        ("A", f"{video}, mode=frame (diagnostic)", "MPJPE all frames, grid mean", all_mm,
         "<= 8", "PASS"),
        ("A", f"{video}, adapt=True (opt-in)", "MPJPE all frames, grid mean", all_mm, "<= 8",
         "PASS"),
        ("A", "video .h5, 4 keypoints in (Snout, ears, Tail_base)",
         "MPJPE all frames, grid mean", "8.01 mm", "<= 10", "PASS"),
    ]


def test_sets_with_other_keypoint_counts_and_worst_cameras_share_a_row(bench) -> None:
    results = {"dannce-mouse1": _rows(22, "h600 f500 t20", "6.86 mm", "9.85 mm", True),
               "mouseone": _rows(12, "h350 f500 t10", "6.38 mm", "12.1 mm", False)}
    header, table, met = bench.pivot(results)
    assert header == ["condition", "figure", "target", "dannce-mouse1", "mouseone"]
    assert table == [
        ["video .h5, every keypoint in", "MPJPE all frames, grid mean", "<= 8", "6.86", "6.38"],
        ["video .h5, every keypoint in", "MPJPE all frames, worst camera", "<= 8", "7.9", "7.9"],
        ["video .h5, every keypoint in", "MPJPE rearing frames, grid mean", "<= 12", "9.85",
         "12.1*"],
        ["video .h5, 4 keypoints in (Snout, ears, Tail_base)", "MPJPE all frames, grid mean",
         "<= 10", "8.01", "8.01"],
    ]  # no rows without a target, no diagnostic or opt-in rows
    assert met == {"dannce-mouse1": (4, 4), "mouseone": (3, 4)}


def test_a_row_one_set_lacks_is_shown_as_missing(bench) -> None:
    one = _rows(22, "h600 f500 t20", "6.86 mm", "9.85 mm", True)
    results = {"a": one, "b": [r for r in one if "rearing" not in r[2]]}
    _, table, met = bench.pivot(results)
    rears = next(r for r in table if r[1] == "MPJPE rearing frames, grid mean")
    assert rears[3:] == ["9.85", "-"]
    assert met["b"] == (3, 3)
