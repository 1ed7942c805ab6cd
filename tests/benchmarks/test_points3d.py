"""benchmarks/points3d.py: a sleap-anipose points3d.h5 as real.py's CSV (levelled, renamed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.fixtures.models import benchmark_module

NAMES = ("Nose", "Ear_L", "Ear_R", "TTI", "Spine", "Forepaw_L", "Forepaw_R", "MTP_L", "MTP_R")
PAWS = ("Forepaw_L", "Forepaw_R", "MTP_L", "MTP_R")


@pytest.fixture(scope="module")
def conv():
    with benchmark_module("points3d", "bench_points3d",
                          imports=("dannce_2019", "dannce_labels")) as mod:
        yield mod


def _mouse(frames: int = 12) -> np.ndarray:
    """``(frames, 9, 3)`` mm in the floor's frame: the body 5-60 mm up, the paws on the
    floor but one raised (a step the floor fit must ignore)."""
    rng = np.random.default_rng(5)
    pts = np.concatenate([rng.uniform(-40, 40, (frames, len(NAMES), 2)),
                          rng.uniform(5, 60, (frames, len(NAMES), 1))], axis=-1)
    paws = [NAMES.index(n) for n in PAWS]
    pts[:, paws, 2] = 0.0
    pts[3, paws[0], 2] = 30.0
    return pts


def _write_h5(path: Path, floor_frame: np.ndarray) -> None:
    """A points3d.h5 whose world is a camera-like frame: y down, tilted 6 deg, moved."""
    import h5py

    from dlc_lifter.camera import rodrigues

    down = np.array([[1.0, 0, 0], [0, 0, -1.0], [0, 1.0, 0]])  # floor z up -> world y down
    rot = rodrigues([0.1, 0.0, 0.03]) @ down
    world = floor_frame @ rot.T + [12.0, 40.0, 380.0]
    with h5py.File(path, "w") as f:
        f["tracks"] = world[:, None]


def test_points3d_are_levelled_renamed_and_strided(conv, tmp_path: Path, capsys) -> None:
    truth = _mouse()
    _write_h5(tmp_path / "points3d.h5", truth)
    out = tmp_path / "mouse.csv"
    assert conv.main([str(tmp_path / "points3d.h5"), str(out), "--names", ",".join(NAMES),
                      "--rename", "Nose=Snout,Ear_L=EarL,Ear_R=EarR,TTI=Tail_base",
                      "--drop", "Spine", "--floor", ",".join(PAWS), "--stride", "2"]) == 0
    df = pd.read_csv(out)
    assert df["sample_id"].tolist() == list(range(0, 12, 2))
    names = [c[:-2] for c in df.columns if c.endswith("_x")]
    assert names == ["Snout", "EarL", "EarR", "Tail_base", *PAWS]
    # heights are the floor frame's; the floor plane is z = 0 (the raised paw kept)
    for k, name in enumerate(NAMES):
        if name == "Spine":
            continue
        new = {"Nose": "Snout", "Ear_L": "EarL", "Ear_R": "EarR", "TTI": "Tail_base"}
        z = df[f"{new.get(name, name)}_z"].to_numpy()
        np.testing.assert_allclose(z, truth[::2, k, 2], atol=1e-6)
    assert "snout height median" in capsys.readouterr().out


def test_wrong_names_are_refused_naming_them(conv, tmp_path: Path) -> None:
    _write_h5(tmp_path / "points3d.h5", _mouse())
    base = [str(tmp_path / "points3d.h5"), str(tmp_path / "m.csv"), "--floor", ",".join(PAWS)]
    with pytest.raises(SystemExit):
        conv.main([*base, "--names", "Nose,Ear_L"])  # 2 names for 9 nodes
    with pytest.raises(SystemExit, match="Tail"):
        conv.main([*base, "--names", ",".join(NAMES), "--rename", "Tail=Tail_base"])
    with pytest.raises(SystemExit, match="named twice"):
        conv.main([*base, "--names", ",".join(NAMES), "--rename", "TTI=Nose"])
    assert not (tmp_path / "m.csv").exists()
