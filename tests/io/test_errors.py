"""Bad input: one clear DLCLifterError naming the file, and nothing written."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from dlc_lifter import OutputExistsError, PoseFileError, Poses, read_poses, write_dlc_3d
from dlc_lifter.errors import DLCLifterError, VideoError
from dlc_lifter.io import (
    ConfigError,
    OutputNotWritableError,
    atomic_output,
    open_video,
    read_dlc_config,
    write_nwb_3d,
    write_sleap_analysis_3d,
)

KPS = ["snout", "leftear", "rightear", "tailbase"]


def _df(n: int = 4, kps: list[str] = KPS) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    cols = pd.MultiIndex.from_product([["DLC_x"], kps, ["x", "y", "likelihood"]],
                                      names=["scorer", "bodyparts", "coords"])
    return pd.DataFrame(rng.uniform(0, 1, (n, len(cols))), columns=cols)


def _read_fails(path: Path, *words: str) -> str:
    before = sorted(os.listdir(path.parent)) if path.parent.exists() else []
    with pytest.raises(PoseFileError) as info:
        read_poses(path)
    msg = str(info.value)
    assert str(path) in msg
    for w in words:
        assert w.lower() in msg.lower(), msg
    after = sorted(os.listdir(path.parent)) if path.parent.exists() else []
    assert before == after  # nothing written
    return msg


def test_missing_file(tmp_path: Path) -> None:
    _read_fails(tmp_path / "nope.h5", "does not exist")


def test_a_folder_points_to_lift_files(tmp_path: Path) -> None:
    _read_fails(tmp_path, "is a folder", f"dlc-lifter lift-files {tmp_path}")
    # a batch's folder of lifted files (features, plot): not lift-files again
    (tmp_path / "aDLC_x_lifted3d.h5").write_bytes(b"x")
    msg = _read_fails(tmp_path, "is a folder", "1 lifted 3D files", "*_lifted3d.h5")
    assert "lift-files" not in msg


def test_unknown_extension(tmp_path: Path) -> None:
    f = tmp_path / "poses.txt"
    f.write_text("hello")
    _read_fails(f, "unknown pose file extension", ".slp")


def test_tracklet_pickle(tmp_path: Path) -> None:
    f = tmp_path / "videoDLC_el.pickle"
    f.write_bytes(b"\x80\x04N.")
    _read_fails(f, "tracklets", "stitch_tracklets", "convert_raw_tracks_to_h5")


def test_each_dlc_pickle_gets_its_own_advice(tmp_path: Path) -> None:
    """An assemblies pickle is not tracklets: convert_raw_tracks_to_h5 cannot take it."""
    f = tmp_path / "videoDLC_dlcrnetms5_MultiMouseJun22shuffle1_60000_assemblies.pickle"
    f.write_bytes(b"\x80\x04N.")
    msg = _read_fails(f, "assemblies", "convert_detections2tracklets", "stitch_tracklets")
    assert "convert_raw_tracks_to_h5" not in msg
    f = tmp_path / "videoDLC_meta.pickle"
    f.write_bytes(b"\x80\x04N.")
    assert "stitch" not in _read_fails(f, "metadata", "the .h5 beside it")


def test_empty_file(tmp_path: Path) -> None:
    for name in ("a.h5", "b.csv", "c.slp", "d.nwb"):
        f = tmp_path / name
        f.touch()
        _read_fails(f, "empty")


def test_not_hdf5(tmp_path: Path) -> None:
    f = tmp_path / "a.h5"
    f.write_text("not hdf5")
    _read_fails(f, "not an HDF5 file")
    # a DeepLabCut csv saved with .h5: named as what it holds (was: "truncated or mis-named")
    f.write_text("scorer,DLC_x,DLC_x\nbodyparts,nose,nose\ncoords,x,y\n0,1.0,2.0\n")
    _read_fails(f, "holds a DeepLabCut csv table", "named with .csv")


@pytest.mark.parametrize("resave", ["spreadsheet", "pandas"])
def test_a_resaved_dlc_csv_named_as_hdf5_is_named_as_a_dlc_csv(tmp_path: Path,
                                                                resave: str) -> None:
    """A DeepLabCut csv that a spreadsheet (``;``) or pandas (a column of row numbers before
    it) re-saved, then named ``.h5``: read_poses knows it for the DLC csv it is, as finding
    pose files does (before: "not an HDF5 file", the first line not starting 'scorer,');
    one that only starts 'scorer,' is not taken for one."""
    f = tmp_path / "m1.h5"
    if resave == "spreadsheet":
        _df().to_csv(f, sep=";", decimal=",")
    else:
        _df().to_csv(tmp_path / "plain.csv")
        pd.read_csv(tmp_path / "plain.csv").to_csv(f)
    _read_fails(f, "holds a DeepLabCut csv table", "named with .csv")
    f.write_text("scorer,DLC_x\n")
    _read_fails(f, "not an HDF5 file")


def test_truncated_hdf5(tmp_path: Path) -> None:
    """A file cut short (an interrupted copy) is named as such, in one line, for every
    HDF5 format; the library's back trace stays out of the message."""
    whole = tmp_path / "whole.h5"
    _df(400).to_hdf(whole, key="df_with_missing", format="table")
    data = whole.read_bytes()
    for name in ("videoDLC_x.h5", "clip.slp", "session.nwb", "m_pose_est_v2.h5"):
        f = tmp_path / name
        f.write_bytes(data[:3000])
        msg = _read_fails(f, "truncated", f"3000 of its {len(data)} bytes", "copy it again")
        assert "back trace" not in msg and "\n" not in msg


def test_an_h5_named_csv_is_named_as_hdf5(tmp_path: Path) -> None:
    """A DeepLabCut .h5 saved or renamed as .csv: said to be HDF5, not a csv without
    DeepLabCut's header rows (a user's mistake a survey made on purpose)."""
    f = tmp_path / "mouse7DLC_resnet50_xShuffle1_1000.csv"
    _df(40).to_hdf(f, key="df_with_missing", format="table")
    msg = _read_fails(f, "is an HDF5 file", "named with .h5")
    assert "header rows" not in msg


def test_h5_without_pandas_table(tmp_path: Path) -> None:
    f = tmp_path / "raw.h5"
    with h5py.File(f, "w") as fh:
        fh["data"] = np.zeros(3)
    _read_fails(f, "no pandas table")


def test_columns_not_dlc_levels(tmp_path: Path) -> None:
    f = tmp_path / "flat.h5"
    pd.DataFrame({"a": [1.0, 2.0]}).to_hdf(f, key="df_with_missing")
    _read_fails(f, "scorer")
    g = tmp_path / "wrongcoords.h5"
    cols = pd.MultiIndex.from_product([["s"], ["snout"], ["u", "v"]])
    pd.DataFrame(np.ones((2, 2)), columns=cols).to_hdf(g, key="df_with_missing")
    _read_fails(g, "x, y")


def test_several_tables_need_a_key(tmp_path: Path) -> None:
    f = tmp_path / "two.h5"
    _df().to_hdf(f, key="a")
    _df().to_hdf(f, key="b")
    _read_fails(f, "key")


def test_broken_csv_header(tmp_path: Path) -> None:
    f = tmp_path / "broken.csv"
    f.write_text("frame,x,y\n0,1,2\n")
    _read_fails(f, "header")
    g = tmp_path / "truncated.csv"
    lines = _df().to_csv().splitlines()
    lines[1] = lines[1].rsplit(",", 2)[0]  # bodyparts row lost cells
    g.write_text("\n".join(lines) + "\n")
    _read_fails(g, "header")
    h = tmp_path / "text.csv"
    lines = _df().to_csv().splitlines()
    lines[4] = lines[4].replace(lines[4].split(",")[2], "oops", 1)
    h.write_text("\n".join(lines) + "\n")
    _read_fails(h, "text")


def test_bad_slp(tmp_path: Path) -> None:
    f = tmp_path / "bad.slp"
    with h5py.File(f, "w") as fh:
        fh["nothing"] = np.zeros(2)
    _read_fails(f, "sleap-io")


def test_nwb_without_pose_estimation(tmp_path: Path) -> None:
    from datetime import datetime, timezone

    from pynwb import NWBHDF5IO, NWBFile

    f = tmp_path / "empty.nwb"
    with NWBHDF5IO(str(f), "w") as io:
        io.write(NWBFile(session_description="s", identifier="i",
                         session_start_time=datetime.now(timezone.utc)))
    _read_fails(f, "PoseEstimation")
    # user labels only (sleap-io's save_nwb of a labels project): said so
    from ndx_pose import PoseTraining

    nwb = NWBFile(session_description="s", identifier="i",
                  session_start_time=datetime.now(timezone.utc))
    nwb.create_processing_module("behavior", "b").add(PoseTraining())
    labels = tmp_path / "labels.nwb"
    with NWBHDF5IO(str(labels), "w") as io:
        io.write(nwb)
    _read_fails(labels, "holds labelled frames (ndx-pose PoseTraining")


def test_all_nan_keypoints(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    df = _df()
    df.loc[:, ("DLC_x", "leftear", "x")] = np.nan
    f = tmp_path / "some_nan.h5"
    df.to_hdf(f, key="df_with_missing")
    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        read_poses(f)
    assert "leftear" in caplog.text and str(f) in caplog.text
    df.loc[:, (slice(None), slice(None), "x")] = np.nan
    g = tmp_path / "all_nan.h5"
    df.to_hdf(g, key="df_with_missing")
    _read_fails(g, "every keypoint is missing")


def test_points_at_pixel_origin_are_missing(tmp_path: Path,
                                            caplog: pytest.LogCaptureFixture) -> None:
    """MABe's tables (x, y only) write a missing keypoint as (0, 0): read as missing, with
    one warning naming the file and the count; a point on one axis only is a point."""
    cols = pd.MultiIndex.from_product([["DLC_x"], KPS, ["x", "y"]],
                                      names=["scorer", "bodyparts", "coords"])
    xy = np.random.default_rng(1).uniform(50, 400, (6, len(cols)))
    xy[2, 0:2] = 0.0  # snout of frame 2 at (0, 0)
    xy[4, 2:4] = 0.0  # leftear of frame 4
    xy[5, 4] = 0.0  # rightear of frame 5 on the image's left edge only: a real point
    f = tmp_path / "mabe_like.h5"
    pd.DataFrame(xy, columns=cols).to_hdf(f, key="df_with_missing")
    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        poses = read_poses(f)
    assert poses.missing[2, 0, 0] and poses.missing[4, 0, 1]
    assert not poses.missing[5, 0, 2] and poses.missing.sum() == 2
    assert np.isnan(poses.confidence[2, 0, 0]) and poses.confidence[0, 0, 0] == 1.0
    lines = [r.getMessage() for r in caplog.records if "(0, 0)" in r.getMessage()]
    assert len(lines) == 1 and str(f) in lines[0] and "2 points" in lines[0]


def test_duplicate_bodyparts(tmp_path: Path) -> None:
    df = _df(kps=["snout", "snout", "tailbase"])
    f = tmp_path / "dupes.csv"
    df.to_csv(f)
    _read_fails(f, "snout", "more than once")
    g = tmp_path / "dupes.analysis.h5"  # pandas cannot even write duplicate columns to h5
    with h5py.File(g, "w") as fh:
        fh["tracks"] = np.ones((1, 2, 2, 3))
        fh["node_names"] = np.array([b"nose", b"nose"])
    _read_fails(g, "nose", "more than once")


def test_unknown_individual(tmp_path: Path) -> None:
    f = tmp_path / "a.h5"
    _df().to_hdf(f, key="df_with_missing")
    _read_fails_msg = pytest.raises(PoseFileError, match="no individual")
    with _read_fails_msg:
        read_poses(f, individual="ghost")


def _p3() -> Poses:
    return Poses(np.ones((3, 1, 2, 3)), keypoints=["a", "b"])


def test_output_exists(tmp_path: Path) -> None:
    out = tmp_path / "x_lifted3d.h5"
    out.write_bytes(b"keep")
    for writer in (write_dlc_3d, write_nwb_3d, write_sleap_analysis_3d):
        with pytest.raises(OutputExistsError, match="overwrite") as info:
            writer(_p3(), out)
        assert str(out) in str(info.value)
        assert out.read_bytes() == b"keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x_lifted3d.h5"]
    write_dlc_3d(_p3(), out, overwrite=True)
    assert out.read_bytes() != b"keep"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to read-only folders")
def test_output_not_writable(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(OutputNotWritableError, match=str(ro)):
            write_dlc_3d(_p3(), ro / "x.h5")
        assert list(ro.iterdir()) == []
    finally:
        ro.chmod(0o700)


def test_output_not_writable_folder_is_a_file(tmp_path: Path) -> None:
    """A file where the output's folder should be (a file given as ``-o``) is said to be a
    file (before: "folder ... is not writable"), in a deeper folder too."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OutputNotWritableError, match="is a file, not a folder") as info:
        write_dlc_3d(_p3(), blocker / "x.h5")
    assert f"Cannot write x.h5: {blocker} is a file, not a folder." in str(info.value)
    with pytest.raises(OutputNotWritableError, match=f"{blocker} is a file, not a folder"):
        write_dlc_3d(_p3(), blocker / "sub" / "x.h5")
    assert isinstance(info.value, DLCLifterError)


def test_atomic_output_removes_temp_on_failure(tmp_path: Path) -> None:
    out = tmp_path / "x.h5"
    with pytest.raises(RuntimeError), atomic_output(out) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".x.")
        assert tmp.suffix == ".h5"
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
    with atomic_output(out) as tmp:
        tmp.write_text("done")
    assert out.read_text() == "done" and len(list(tmp_path.iterdir())) == 1


def test_bad_video(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match="does not exist") as info:
        open_video(tmp_path / "none.mp4")
    assert "none.mp4" in str(info.value)
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00" * 2000)  # an .mp4 OpenCV cannot open: not "convert it to .mp4"
    with pytest.raises(VideoError) as info:
        open_video(bad)
    assert str(bad) in str(info.value)
    assert "damaged or incomplete (copy it again), not a video" in str(info.value)
    assert "ffmpeg -i bad.mp4 -c:v libx264 bad_h264.mp4" in str(info.value)
    assert "Convert it to an .mp4" not in str(info.value)
    spaced = tmp_path / "session 2.mp4"  # the command runs as printed (was: split at the space)
    spaced.write_bytes(b"\x00" * 2000)
    with pytest.raises(VideoError, match="ffmpeg -i 'session 2.mp4' -c:v libx264 "
                                         "'session 2_h264.mp4'"):
        open_video(spaced)


def test_video_left_as_a_git_lfs_pointer_or_empty(tmp_path: Path) -> None:
    """A repository cloned without Git LFS leaves a text pointer in the video's place: the
    message says so and how to fetch it, not to convert the "video"."""
    pointer = tmp_path / "session.mp4"
    pointer.write_text("version https://git-lfs.github.com/spec/v1\n"
                       "oid sha256:" + "0" * 64 + "\nsize 1843822\n")
    with pytest.raises(VideoError, match="Git LFS pointer") as info:
        open_video(pointer)
    assert str(pointer) in str(info.value) and "git lfs pull" in str(info.value)
    assert "Convert" not in str(info.value)
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(VideoError, match="is empty") as info:
        open_video(empty)
    assert str(empty) in str(info.value)


def test_bad_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        read_dlc_config(tmp_path / "config.yaml")
    f = tmp_path / "config.yaml"
    f.write_text("a: [1, 2\n")
    with pytest.raises(ConfigError, match="not valid YAML") as info:
        read_dlc_config(f)
    assert str(f) in str(info.value)


def test_output_folder_not_writable_checked_first(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """As root every folder is writable, so fake what os.access says."""
    monkeypatch.setattr(os, "access", lambda *a, **k: False)
    with pytest.raises(OutputNotWritableError) as info:
        write_nwb_3d(_p3(), tmp_path / "x.nwb")
    assert str(tmp_path) in str(info.value) and "destfolder" in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_is_said_before_writing_and_while_writing(tmp_path: Path,
                                                              monkeypatch) -> None:
    """HDF5 on a full disk fails naming no cause (and h5py may crash the process): an
    output the disk has no room for is refused before writing, and a writer that runs out
    of room is reported as a full disk; nothing is left behind."""
    import errno
    import shutil
    from collections import namedtuple

    from dlc_lifter import _atomic
    from dlc_lifter.errors import OutputNotWritableError

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage(10**9, 10**9 - 2**20, 2**20))
    with pytest.raises(OutputNotWritableError, match="has 1 MB free and the output needs "
                                                     "about 5 MB"):
        _atomic.check_free_space(tmp_path / "a.h5", 5 * 2**20)
    with pytest.raises(OutputNotWritableError, match="is full"):
        with _atomic.atomic_output(tmp_path / "b.h5") as tmp:
            tmp.write_bytes(b"x")
            raise OSError(errno.ENOSPC, "No space left on device")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="other"):  # other failures pass through
        with _atomic.atomic_output(tmp_path / "c.h5"):
            raise ValueError("other")
