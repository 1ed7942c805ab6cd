"""The Poses container: construction, slicing, DLC DataFrame round trips."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dlc_lifter import PoseFileError, Poses
from dlc_lifter.poses import PoseMetadata
from tests.fixtures.toys import random_poses


def _poses(n_frames: int = 5, n_ind: int = 1, n_kp: int = 3, dim: int = 2, seed: int = 0) -> Poses:
    names = [f"individual{i}" for i in range(n_ind)] if n_ind > 1 else ["individual0"]
    return random_poses(n_frames, names, ["snout", "leftear", "tailbase"][:n_kp], dim, seed=seed,
                        coord_range=(0, 100), conf_range=(0, 1), nan_at=[(1, 0, 1)],
                        meta=PoseMetadata())


def test_missing_points_have_nan_confidence() -> None:
    p = _poses()
    assert p.missing[1, 0, 1]
    assert np.isnan(p.confidence[1, 0, 1])
    assert p.n_frames == 5 and p.n_keypoints == 3 and p.ndim == 2


@pytest.mark.parametrize(("n_ind", "dim"), [(1, 2), (1, 3), (3, 2), (2, 3)])
def test_dataframe_round_trip(n_ind: int, dim: int) -> None:
    p = _poses(n_ind=n_ind, dim=dim)
    df = p.to_dataframe(scorer="DLC_test")
    levels = ["scorer", "bodyparts", "coords"] if n_ind == 1 else [
        "scorer", "individuals", "bodyparts", "coords"]
    assert list(df.columns.names) == levels
    back = Poses.from_dataframe(df)
    np.testing.assert_array_equal(back.coords, p.coords)
    np.testing.assert_array_equal(back.confidence, p.confidence)
    assert back.keypoints == p.keypoints
    assert back.meta.scorer == "DLC_test"
    if n_ind > 1:
        assert back.individuals == p.individuals


def test_select_by_names_and_frames() -> None:
    p = _poses(n_ind=3)
    sub = p.select(frames=slice(1, 3), individuals="individual1", keypoints=["tailbase", "snout"])
    assert sub.coords.shape == (2, 1, 2, 2)
    np.testing.assert_array_equal(sub.coords[:, 0, 0], p.coords[1:3, 1, 2])
    np.testing.assert_array_equal(sub.frame_indices, [1, 2])
    with pytest.raises(KeyError, match="No keypoint named 'tail'"):
        p.select(keypoints="tail")


def test_rejects_duplicate_names_and_bad_shapes() -> None:
    with pytest.raises(ValueError, match="Duplicate keypoint"):
        Poses(np.zeros((2, 1, 2, 2)), keypoints=["a", "a"])
    with pytest.raises(ValueError, match="shape"):
        Poses(np.zeros((2, 2)))


def test_non_dlc_columns_are_a_clear_error() -> None:
    df = pd.DataFrame(np.zeros((3, 2)), columns=["a", "b"])
    with pytest.raises(PoseFileError, match="not DeepLabCut's"):
        Poses.from_dataframe(df, source="table.h5")


def test_a_single_animal_table_of_two_scorers(caplog: pytest.LogCaptureFixture) -> None:
    """Two scorers with the same bodyparts in a 3-level table (A-SOiD's Resident and
    Intruder, or two tables joined side by side) are two animals, not one mixed from
    both; scorers sharing only some bodyparts are one animal, warned of."""
    parts = ["nose", "tail_base"]
    cols = pd.MultiIndex.from_product([["Resident", "Intruder"], parts, ["x", "y"]],
                                      names=["scorer", "bodyparts", "coords"])
    data = np.arange(3 * 8, dtype=float).reshape(3, 8)
    data[0, :2] = np.nan  # the resident's nose missing in frame 0
    with caplog.at_level("WARNING", logger="dlc_lifter"):
        p = Poses.from_dataframe(pd.DataFrame(data, columns=cols), source="t.csv")
    assert list(p.individuals) == ["Resident", "Intruder"] and "2 scorers" in caplog.text
    assert np.isnan(p.coords[0, 0, 0]).all()  # not the intruder's nose
    np.testing.assert_allclose(p.coords[0, 1, 0], [4.0, 5.0])
    caplog.clear()
    overlap = pd.MultiIndex.from_tuples(
        [("A", "nose", "x"), ("A", "nose", "y"), ("B", "nose", "x"), ("B", "nose", "y"),
         ("B", "tail_base", "x"), ("B", "tail_base", "y")],
        names=["scorer", "bodyparts", "coords"])
    with caplog.at_level("WARNING", logger="dlc_lifter"):
        q = Poses.from_dataframe(pd.DataFrame(np.ones((2, 6)), columns=overlap))
    assert q.n_individuals == 1 and "sharing some bodyparts" in caplog.text


def test_whole_number_float_index_is_frame_numbers(tmp_path) -> None:
    """An index of 0.0, 1.0, ... (a table that went through floats in pandas) is the video's
    frame numbers, not image names: the rows stay a video, lifted with speeds."""
    from dlc_lifter import read_poses

    p = _poses()
    df = p.to_dataframe(scorer="DLC_test")
    df.index = (np.arange(len(df)) + 100).astype(float)
    back = Poses.from_dataframe(df)
    np.testing.assert_array_equal(back.frame_indices, np.arange(100, 105))
    assert back.frame_indices.dtype == np.int64
    assert "image_paths" not in back.meta.extra
    for name in ("float.csv", "float.h5"):
        f = tmp_path / name
        df.to_csv(f) if name.endswith(".csv") else df.to_hdf(f, key="df_with_missing")
        q = read_poses(f)
        np.testing.assert_array_equal(q.frame_indices, np.arange(100, 105))
        assert "image_paths" not in q.meta.extra and q.meta.source_format != "dlc-labels"


def test_fractional_float_index_is_a_clear_error() -> None:
    """Floats that are not frame numbers (times?) are refused, naming the first one."""
    df = _poses().to_dataframe(scorer="DLC_test")
    df.index = np.arange(len(df)) * 0.5
    with pytest.raises(PoseFileError, match=r"not whole frame numbers \(0.5 at row 1"):
        Poses.from_dataframe(df, source="t.csv")


@pytest.mark.parametrize("name", ["individual0", "individual_0", "single_animal"])
def test_one_animal_by_a_single_animal_name_is_a_single_animal_table(name: str) -> None:
    """movement names a single animal ``individual_0``: the lift of a movement netCDF of a
    single-animal DeepLabCut file (VAME's sample) was written with an ``individuals`` level
    that the same data's csv and NWB lifts do not have. Its table is single-animal DLC's."""
    p = Poses(coords=np.zeros((2, 1, 2, 2)), keypoints=["nose", "tail_base"],
              individuals=[name])
    assert list(p.to_dataframe().columns.names) == ["scorer", "bodyparts", "coords"]
    named = Poses(coords=np.zeros((2, 1, 2, 2)), keypoints=["nose", "tail_base"],
                  individuals=["mouse1"])
    assert "individuals" in named.to_dataframe().columns.names
