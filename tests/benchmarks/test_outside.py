"""benchmarks/outside.py puts section A's target rows of several real mice side by side."""

from __future__ import annotations

import pytest

from tests.fixtures.models import benchmark_module


@pytest.fixture(scope="module")
def bench():
    with benchmark_module("outside", "bench_outside", imports=("real", "dannce_labels")) as mod:
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


def test_a_set_turned_about_the_vertical_keeps_its_shape_and_heights(bench, tmp_path) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    cols = {"sample_id": np.arange(5) * 10}
    for n in ("Snout", "EarL", "Tail_base"):
        for axis in "xyz":
            cols[f"{n}_{axis}"] = rng.uniform(-50, 50, 5)
    for axis in "xyz":
        cols[f"EarL_{axis}"][2] = np.nan  # an unlabelled point stays unlabelled
    src = tmp_path / "set.csv"
    pd.DataFrame(cols).to_csv(src, index=False)
    a = pd.read_csv(src)
    quarter = pd.read_csv(bench.turned_csv(src, 90.0, tmp_path / "q.csv"))
    back = pd.read_csv(bench.turned_csv(tmp_path / "q.csv", 270.0, tmp_path / "b.csv"))
    pd.testing.assert_frame_equal(back, a, atol=1e-9)
    for n in ("Snout", "EarL", "Tail_base"):
        np.testing.assert_array_equal(quarter[f"{n}_z"], a[f"{n}_z"])
    np.testing.assert_array_equal(quarter["sample_id"], a["sample_id"])
    assert np.isnan(quarter["EarL_x"][2]) and np.isnan(quarter["EarL_y"][2])

    def xy(df: pd.DataFrame, n: str) -> np.ndarray:
        return df[[f"{n}_x", f"{n}_y"]].to_numpy()

    d0, d1 = xy(a, "Snout") - xy(a, "Tail_base"), xy(quarter, "Snout") - xy(quarter, "Tail_base")
    np.testing.assert_allclose(np.linalg.norm(d1, axis=1), np.linalg.norm(d0, axis=1))
    # a quarter turn: the snout-to-tail vector turned by 90 deg (x, y) -> (-y, x)
    np.testing.assert_allclose(d1, np.stack([-d0[:, 1], d0[:, 0]], 1), atol=1e-9)


def test_headings_below_one_are_refused(bench, capsys) -> None:
    with pytest.raises(SystemExit):
        bench.main(["--shared", "--headings", "0"])
    assert "--headings takes a whole number >= 1" in capsys.readouterr().err
