"""benchmarks/real.py section E: another lab's 3D mice (SUBTLE's AVATAR layout), lifted from
their own keypoint names. A generated recording in SUBTLE's file layout stands in for the
real set (not bundled)."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.fixtures.models import benchmark_module

#: SUBTLE's names and the catalogue landmark each generated point is taken from (the chest
#: from the trunk's middle, lowered: it is on the belly).
AVATAR_FROM = {"nose": "nose", "neck": "neck", "anus": "tail_base", "chest": "mid_back",
               "rfoot": "right_hindpaw", "lfoot": "left_hindpaw", "rhand": "right_forepaw",
               "lhand": "left_forepaw", "tip": "tail_end"}


@pytest.fixture(scope="module")
def bench():
    with benchmark_module("real", "bench_real_e") as mod:
        yield mod


def _write_subtle(folder: Path, n_frames: int = 240, seed: int = 4) -> np.ndarray:
    """A generated mouse written as SUBTLE writes a recording (cm, no header, the floor 5 mm
    below z = 0), with a label per frame; returns its 3D in mm, floor at z = 0."""
    from dlc_lifter.mouse.behaviour import generate_sequences
    from dlc_lifter.mouse.catalogue import CATALOGUE

    lm = generate_sequences(1, n_frames, seed=seed)[0].landmarks
    xyz = lm[:, [CATALOGUE.index(v) for v in AVATAR_FROM.values()]].copy()
    xyz[:, 3, 2] *= 0.5
    xyz[..., :2] -= np.nanmean(xyz[..., :2].reshape(-1, 2), axis=0)
    (folder / "y1" / "coords").mkdir(parents=True)
    (folder / "y1" / "annots").mkdir(parents=True)
    shifted = xyz - [0.0, 0.0, 5.0]
    pd.DataFrame(shifted.reshape(n_frames, -1) / 10.0).to_csv(
        folder / "y1" / "coords" / "adult_1.csv", header=False, index=False)
    labels = np.where(xyz[:, 0, 2] > 40.0, "rearing", "walking")
    labels[:5] = "rearing"  # both labels present whatever the generated behaviour
    labels[5:10] = "walking"
    pd.DataFrame({"0": labels}, index=np.arange(n_frames) / 20.0).to_csv(
        folder / "y1" / "annots" / "adult_1.csv")
    return xyz


def test_subtle_recordings_load_in_mm_with_the_floor_at_zero(bench, tmp_path: Path) -> None:
    xyz = _write_subtle(tmp_path)
    (name, loaded, labels), = bench.load_subtle(tmp_path)
    assert name == "y1/adult_1" and labels is not None and len(labels) == len(xyz)
    feet = [bench.SUBTLE_NAMES.index(n) for n in bench.SUBTLE_FEET]
    assert np.median(loaded[:, feet, 2]) == pytest.approx(0.0, abs=1e-9)
    shift = np.median(xyz[:, feet, 2])  # the floor is the feet's median height
    np.testing.assert_allclose(loaded, xyz - [0.0, 0.0, shift], atol=1e-6)


def test_section_e_lifts_each_recording_from_its_own_names(bench, tmp_path: Path) -> None:
    _write_subtle(tmp_path / "dataset")
    rows: list = []
    notes: list[str] = []
    args = argparse.Namespace(subtle_dir=str(tmp_path / "dataset"), seed=0)
    bench.section_e(args, tmp_path / "work", rows, notes)
    assert not any(r[5] == "FAIL" for r in rows), rows
    figures = {(r[1].split(",")[0], r[2].split(" (")[0]): r[3] for r in rows}
    for h, f, tilt in bench.SUBTLE_CAMERAS:
        cam = f"h{h:.0f} f{f:.0f} t{tilt:.0f}"
        mpjpe = float(figures[(cam, "MPJPE nose/neck/anus, all frames")].split()[0])
        assert 0.0 < mpjpe < 30.0  # the generated mouse: the lifter's own kind
        auc = float(figures[(cam, "ROC AUC of lifted nose height")])
        assert 0.0 <= auc <= 1.0
        size = figures[(cam, "the animal's length seen from above / the synthetic mice's")]
        assert size.endswith("0 of 1")  # the generated mouse is the synthetic kind
    assert any("mapped 8/9" in n and "anus->tail_base" in n and "NOT mapped: chest" in n
               for n in notes), notes


def test_section_e_without_the_data_says_where_to_get_it(bench, tmp_path: Path) -> None:
    rows: list = []
    bench.section_e(argparse.Namespace(subtle_dir=None, seed=0), tmp_path, rows, [])
    (row,) = rows
    assert row[0] == "E" and "--subtle-dir" in row[3] and "jeakwon/subtle" in row[3]
