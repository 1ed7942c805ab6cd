"""DeepLabCut .h5 files written by pandas 1.x, 2.x and 3.x read, lift and are written alike.

The fixtures in ``tests/io/data/pandas_versions`` were written by ``make_fixtures.py`` there
under the pandas version in their names (provenance: README.md in that folder). pandas 3
omits the ``pandas_version`` attribute on ``format="table"`` groups, which pandas < 3
needs; :mod:`dlc_lifter.io._pandas_hdf` reads such files under any pandas and adds the
attribute to what dlc-lifter writes.
"""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tables
import torch

from dlc_lifter import Poses, read_poses, write_dlc_3d
from dlc_lifter.lift.options import CameraSpec
from tests.fixtures.toys import file_sha256

torch.set_num_threads(1)

DATA = Path(__file__).resolve().parent / "data" / "pandas_versions"
SOURCE = np.load(DATA / "source.npz")
FIXTURES = sorted(DATA.glob("*.h5"))
PANDAS3_TABLE = DATA / "dlc2d_pandas3.1_table.h5"


def test_fixtures_cover_pandas_1_2_3_and_both_formats() -> None:
    names = {f.name for f in FIXTURES}
    for major in ("1.5", "2.2", "3.1"):
        assert {f"dlc2d_pandas{major}_table.h5", f"dlc2d_pandas{major}_fixed.h5",
                f"CollectedData_pandas{major}.h5"} <= names


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_read_fixture_written_by_any_pandas(path: Path) -> None:
    before = file_sha256(path)
    poses = read_poses(path)
    assert file_sha256(path) == before  # the fallback reads an in-memory copy, never the file
    assert sorted(p.name for p in DATA.iterdir() if "in-memory" in p.name) == []
    parts = [str(b) for b in SOURCE["bodyparts"]]
    assert list(poses.keypoints) == parts
    n = poses.n_frames
    np.testing.assert_allclose(poses.coords[:, 0], SOURCE["uv"][:n], equal_nan=True)
    if path.name.startswith("CollectedData"):
        assert poses.meta.source_format == "dlc-labels" and n == 8
        assert poses.meta.extra["image_paths"][0] == "labeled-data/mouse1/img000.png"
    else:
        assert poses.meta.source_format == "dlc-h5" and n == len(SOURCE["uv"])
        np.testing.assert_array_equal(poses.frame_indices, np.arange(n))
        lik = np.where(np.isnan(SOURCE["uv"]).any(-1), np.nan, SOURCE["likelihood"])
        np.testing.assert_allclose(poses.confidence[:, 0], lik, equal_nan=True)


def test_pandas3_table_lifts_like_pandas2(tmp_path: Path) -> None:
    from dlc_lifter.lift import lift_file

    outs = {}
    for tag in ("3.1", "2.2"):
        src = tmp_path / tag / f"mouse1DLC_resnet50_synthJan1shuffle1_1000_pandas{tag}.h5"
        src.parent.mkdir()
        shutil.copy(DATA / f"dlc2d_pandas{tag}_table.h5", src)
        with open(src.with_name(f"{src.stem}_meta.pickle"), "wb") as fh:  # as DLC writes it
            pickle.dump({"data": {"fps": 30.0, "frame_dimensions": (480, 640)}}, fh)
        outs[tag] = read_poses(lift_file(src,
                                         camera=CameraSpec(camera_height_mm=600.0, focal_px=640.0)))
    lifted = outs["3.1"]
    np.testing.assert_allclose(lifted.coords, outs["2.2"].coords, equal_nan=True)
    k = len(SOURCE["bodyparts"])
    est = lifted.coords[:, 0, :k]
    ok = ~lifted.meta.extra["imputed"][:, 0, :k]
    err = np.linalg.norm(est - SOURCE["truth_mm"], axis=-1)[ok]
    assert np.median(err) < 15.0
    assert 0 <= np.nanmin(est[..., 2]) and np.nanmax(est[..., 2]) < 120


def test_written_tables_carry_pandas_version(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    p = Poses(rng.uniform(0, 100, (5, 1, 3, 3)), rng.uniform(0, 1, (5, 1, 3)),
              keypoints=["snout", "leftear", "rightear"])
    p.meta.units, p.meta.frame = "mm", "world"
    out = write_dlc_3d(p, tmp_path / "a_lifted3d.h5")
    with tables.open_file(str(out)) as fh:  # what pandas 1.x / 2.x need to read the table
        assert str(fh.get_node("/df_with_missing")._v_attrs.pandas_version) == "0.15.2"
    df = pd.read_hdf(out)  # and the running pandas still reads it
    np.testing.assert_allclose(df.to_numpy().reshape(5, 3, 3), p.coords[:, 0])


@pytest.mark.parametrize("multi_animal", [False, True])
def test_a_dlc_csv_re_saved_by_pandas_reads_as_the_original(tmp_path: Path, caplog,
                                                            multi_animal: bool) -> None:
    """``pd.read_csv(dlc_csv).to_csv(copy)`` adds a column of row numbers before DLC's header
    rows and numbers the repeated scorer names (DLC2action's test data holds such a copy):
    the copy reads as the original, with a warning naming the file."""
    from tests.fixtures.toys import random_poses, write_dlc_analysis

    poses = random_poses(n_frames=12, individuals=("a", "b") if multi_animal else ("individual0",),
                         nan_at=[(3, 0, 1)])
    h5 = write_dlc_analysis(poses, tmp_path, multi_animal=multi_animal)
    original = h5.with_suffix(".csv")
    pd.read_hdf(h5).to_csv(original)
    copy = tmp_path / "copy" / original.name
    copy.parent.mkdir()
    pd.read_csv(original).to_csv(copy)
    assert copy.read_text().startswith(",scorer,")
    want = read_poses(original)
    with caplog.at_level("WARNING", logger="dlc_lifter.io.dlc"):
        got = read_poses(copy)
    assert "re-saved by pandas" in caplog.text and copy.name in caplog.text
    assert list(got.keypoints) == list(want.keypoints)
    assert list(got.individuals) == list(want.individuals)
    np.testing.assert_array_equal(got.frame_indices, want.frame_indices)
    np.testing.assert_allclose(got.coords, want.coords, equal_nan=True)
    np.testing.assert_allclose(got.confidence, want.confidence, equal_nan=True)
    assert got.meta.scorer == want.meta.scorer
