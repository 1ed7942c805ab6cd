"""DeepLabCut files from older versions and other systems (``dlc_lifter.io.dlc``)."""

from __future__ import annotations

import logging
import pickle
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from dlc_lifter import read_poses
from tests.fixtures.toys import DLC_SCORER, random_poses, write_dlc_analysis


def _dump_with_easydict(data: dict, path: Path) -> None:
    """Pickle ``data`` as DeepLabCut before 2.2 did: its network config an
    ``easydict.EasyDict``; the module is made up here, so it is absent when read."""
    module = types.ModuleType("easydict")

    class EasyDict(dict):
        def __init__(self, d: dict) -> None:
            super().__init__(d)
            for k, v in d.items():
                setattr(self, k, v)

    EasyDict.__module__ = "easydict"
    EasyDict.__qualname__ = "EasyDict"
    module.EasyDict = EasyDict  # type: ignore[attr-defined]
    sys.modules["easydict"] = module
    try:
        cfg = EasyDict({"all_joints_names": ["snout"], "init_weights": "/home/a/snapshot-1"})
        with path.open("wb") as fh:
            pickle.dump({"data": {**data, "config file": cfg}}, fh, pickle.HIGHEST_PROTOCOL)
    finally:
        del sys.modules["easydict"]


@pytest.mark.parametrize("name", ["includingmetadata.pickle", "_meta.pickle"])
def test_old_metadata_pickles_give_fps_and_frame_size(tmp_path: Path, name: str) -> None:
    """DeepLabCut 2.0-2.1's ``<stem>includingmetadata.pickle`` and a 2.2 pre-release's
    ``_meta.pickle``, both holding an EasyDict, give the fps and frame size."""
    h5 = write_dlc_analysis(random_poses(5, coord_range=(1, 400)), tmp_path, "m1",
                            "DeepCut_resnet50_openfieldOct30shuffle1_1030000")
    _dump_with_easydict({"fps": 25.0, "frame_dimensions": (480, 640), "nframes": 5},
                        h5.with_name(f"{h5.stem}{name}"))
    p = read_poses(h5)
    assert p.meta.fps == 25.0
    assert p.meta.image_size == (640, 480)


def test_dlc1_frame_dimensions_width_first(tmp_path: Path) -> None:
    """DeepLabCut 1.x wrote ``frame_dimensions`` as (w, h): the points, which reach beyond
    the width read the 2.x way, tell."""
    poses = random_poses(5, coord_range=(1, 400))
    poses.coords[0, 0, 0, 0] = 600.0
    h5 = write_dlc_analysis(poses, tmp_path, "m1", DLC_SCORER)
    with h5.with_name(f"{h5.stem}includingmetadata.pickle").open("wb") as fh:
        pickle.dump({"data": {"fps": 30.0, "frame_dimensions": (640, 480)}}, fh, 2)
    assert read_poses(h5).meta.image_size == (640, 480)


def test_unreadable_metadata_pickle_is_warned(tmp_path: Path,
                                              caplog: pytest.LogCaptureFixture) -> None:
    """A metadata pickle that is there but cannot be read is named, with why."""
    h5 = write_dlc_analysis(random_poses(5), tmp_path, "m1", DLC_SCORER)
    bad = h5.with_name(f"{h5.stem}_meta.pickle")
    bad.write_bytes(b"not a pickle")
    with caplog.at_level(logging.WARNING):
        p = read_poses(h5)
    assert p.meta.fps is None
    assert any(str(bad) in r.getMessage() and "cannot be read" in r.getMessage()
               for r in caplog.records if r.levelno == logging.WARNING)


def test_metadata_pickle_runs_no_code(tmp_path: Path) -> None:
    """Objects of other classes are read as data: a pickle that would call a function
    (here ``os.system``) calls nothing."""
    h5 = write_dlc_analysis(random_poses(5), tmp_path, "m1", DLC_SCORER)
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):  # noqa: ANN204 - the pickle protocol
            import os

            return (os.system, (f"touch {marker}",))

    with h5.with_name(f"{h5.stem}_meta.pickle").open("wb") as fh:
        pickle.dump({"data": {"fps": 30.0, "x": Evil()}}, fh)
    assert read_poses(h5).meta.fps == 30.0
    assert not marker.exists()
    np.testing.assert_array_equal(read_poses(h5).frame_indices, np.arange(5))


@pytest.mark.parametrize("ext", [".h5", ".csv"])
def test_windows_labelled_data_finds_its_images(tmp_path: Path, ext: str) -> None:
    """Labels saved on Windows (``labeled-data\\m4s1\\img0000.png``, DLC 2.0-2.1's GUI)
    find the image beside them, which gives the frame size."""
    import cv2

    poses = random_poses(3, coord_range=(1, 40), meta=None)
    df = poses.to_dataframe("Pranav", likelihood=False)
    df.index = [f"labeled-data\\m4s1\\img{i:04d}.png" for i in range(3)]
    folder = tmp_path / "labeled-data" / "m4s1"
    folder.mkdir(parents=True)
    cv2.imwrite(str(folder / "img0000.png"), np.zeros((48, 64, 3), np.uint8))
    f = folder / f"CollectedData_Pranav{ext}"
    df.to_hdf(f, key="df_with_missing") if ext == ".h5" else df.to_csv(f)
    p = read_poses(f)
    assert p.meta.source_format == "dlc-labels"
    assert p.meta.image_size == (64, 48)


@pytest.mark.parametrize("layout", ["analyze_images", "relative", "time_lapse"])
def test_predictions_on_images_take_the_images_size(tmp_path: Path, layout: str) -> None:
    """A tracker's predictions on a folder of images (DeepLabCut 3's ``analyze_images``:
    ``image_predictions_<scorer>.h5`` under key ``predictions``, each row the image's path
    as given, full or relative; DeepLabCut 2's ``analyze_time_lapse_frames``:
    ``<folder>DLC_<scorer>.h5`` of bare image names, beside the images) get the frame size
    from the images, as labelled data does; without them it stays unknown."""
    import cv2

    poses = random_poses(4, coord_range=(1, 40), meta=None)
    df = poses.to_dataframe(DLC_SCORER)
    folder = tmp_path / "session1"
    folder.mkdir()
    names = [f"img{i:04d}.png" for i in range(0, 200, 50)]
    if layout == "analyze_images":
        df.index = [str(folder / n) for n in names]
        f = tmp_path / "out" / f"image_predictions_{DLC_SCORER}.h5"  # elsewhere than images
        f.parent.mkdir()
        df.to_hdf(f, key="predictions")
    elif layout == "relative":  # images given relative to where it ran, the table there
        df.index = [f"session1\\{n}" for n in names]  # and on Windows
        f = tmp_path / f"image_predictions_{DLC_SCORER}.h5"
        df.to_hdf(f, key="predictions")
    else:
        df.index = names
        f = folder / f"session1{DLC_SCORER}.h5"
        df.to_hdf(f, key="df_with_missing")
    assert read_poses(f).meta.image_size is None  # no image yet
    cv2.imwrite(str(folder / names[1]), np.zeros((48, 64, 3), np.uint8))  # the first gone
    p = read_poses(f)
    assert p.meta.source_format == "dlc-h5"
    assert p.stills
    assert p.meta.image_size == (64, 48)


@pytest.mark.parametrize(("sep", "decimal", "encoding"), [
    (",", ".", "utf-8-sig"),  # Excel's "CSV UTF-8": a byte-order mark
    (";", ",", "utf-8"),  # Excel in a German or French locale
    (";", ".", "utf-8-sig"),
    ("\t", ".", "utf-8"),
])
def test_csv_resaved_by_a_spreadsheet_reads_the_same(tmp_path: Path, sep: str, decimal: str,
                                                      encoding: str) -> None:
    """A DLC csv re-saved by a spreadsheet reads to the same points as the original, and
    lift-files' sniffing takes it for a pose table under any name."""
    from dlc_lifter.io.find import csv_holds_2d_poses

    poses = random_poses(8, nan_at=[(2, 0, 1)])
    df = poses.to_dataframe(DLC_SCORER)
    plain = tmp_path / f"m1{DLC_SCORER}.csv"
    df.to_csv(plain)
    resaved = tmp_path / "resaved" / plain.name
    resaved.parent.mkdir()
    df.to_csv(resaved, sep=sep, decimal=decimal, encoding=encoding)
    ref, got = read_poses(plain), read_poses(resaved)
    np.testing.assert_array_equal(got.coords, ref.coords)
    np.testing.assert_array_equal(got.confidence, ref.confidence)
    np.testing.assert_array_equal(got.frame_indices, ref.frame_indices)
    assert got.keypoints == ref.keypoints and got.meta.scorer == ref.meta.scorer
    renamed = resaved.with_name("mouse1.csv")
    resaved.rename(renamed)
    assert csv_holds_2d_poses(renamed)


@pytest.mark.parametrize("resaved_by_pandas", [False, True])
def test_a_csv_cut_off_mid_row_loses_that_row_and_says_so(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, resaved_by_pandas: bool) -> None:
    """A DLC csv cut off in the middle of a row (an interrupted copy) is read without that
    row, warned about; a whole file without a final line break is not. Before, the cut row
    was read silently, its missing values NaN."""
    import pandas as pd

    poses = random_poses(8)
    df = poses.to_dataframe(DLC_SCORER)
    whole = tmp_path / f"m1{DLC_SCORER}.csv"
    df.to_csv(whole)
    if resaved_by_pandas:  # a copy pandas re-saved: a column of row numbers added
        pd.read_csv(whole).to_csv(whole)
    text = whole.read_text()
    cut = tmp_path / "cut" / whole.name
    cut.parent.mkdir()
    cut.write_text(text[: text.rstrip("\n").rfind(",", 0, len(text) - 40)])
    unbroken = tmp_path / "unbroken" / whole.name
    unbroken.parent.mkdir()
    unbroken.write_text(text.rstrip("\n"))
    with caplog.at_level(logging.WARNING):
        got = read_poses(cut)
    assert got.n_frames == 7
    np.testing.assert_allclose(got.coords, poses.coords[:7], rtol=1e-12)
    assert f"{cut} ends in the middle of a row" in caplog.text
    assert "the 7 rows before it read" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert read_poses(unbroken).n_frames == 8
    assert "middle of a row" not in caplog.text
