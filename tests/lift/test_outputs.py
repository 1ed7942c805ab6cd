"""Every output format round-trips with its own reader; one failing format costs no other."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from dlc_lifter.errors import DLCLifterError, OutputFormatError
from dlc_lifter.lift.options import CameraSpec, LiftOptions, OutputSpec
from dlc_lifter.lift.outputs import parse_formats
from dlc_lifter.mouse.skeletons import KNOWN_SKELETONS
from dlc_lifter.synth.skeleton_poses import skeleton_poses
from tests.fixtures.toys import DLC_SCORER, write_dlc_analysis

torch.set_num_threads(1)


def _dlc_file(folder: Path) -> Path:
    skeleton = next(s for s in KNOWN_SKELETONS if s.name == "dlcanalyzer_openfield")
    poses, _ = skeleton_poses(skeleton, n_frames=30, seed=1)
    return write_dlc_analysis(poses, folder, "mouse")


def test_parse_formats() -> None:
    assert parse_formats("nwb, dlc") == ("nwb", "dlc")
    assert parse_formats(["points3d", "slp", "csv"]) == ("csv", "slp", "points3d")
    with pytest.raises(DLCLifterError, match="Unknown output format.*xlsx"):
        parse_formats("dlc,xlsx")


def test_all_formats_written_and_read_back(tmp_path: Path) -> None:
    import sleap_io as sio
    from pynwb import NWBHDF5IO

    from dlc_lifter.io import meta_pickle_path
    from dlc_lifter.lift import lift_file

    src = _dlc_file(tmp_path / "in")
    out = lift_file(src, camera=CameraSpec(camera_height_mm=700.0, focal_px=600.0),
                    options=LiftOptions(depth=False),
                    output=OutputSpec(destfolder=tmp_path / "out",
                                      formats="dlc,csv,nwb,slp,points3d"))
    table = pd.read_hdf(out)
    snout = table.xs("nose", level="bodyparts", axis=1).to_numpy()
    names = list(table.columns.get_level_values("bodyparts").unique())
    k = names.index("nose")
    csv = pd.read_csv(out.with_suffix(".csv"), header=[0, 1, 2], index_col=0)
    assert np.allclose(csv.to_numpy(), table.to_numpy(), equal_nan=True)
    with NWBHDF5IO(str(out.with_suffix(".nwb")), "r", load_namespaces=True) as io:
        series = io.read().processing["behavior"]["PoseEstimation"].pose_estimation_series
        assert np.allclose(series["nose"].data[:], snout, atol=1e-6)
    with h5py.File(out.with_suffix(".points3d.h5"), "r") as fh:
        assert fh["tracks"].shape == (30, 1, len(names), 3)
        assert np.allclose(fh["tracks"][:, 0, k], snout, atol=1e-6)
    labels = sio.load_slp(str(out.with_suffix(".slp")))
    group = labels.sessions[0].frame_groups[0].instance_groups[0]
    assert np.allclose(group.instance_3d.numpy()[k], snout[0], atol=1e-6)
    meta = pd.read_pickle(meta_pickle_path(out))["data"]
    assert meta["formats"] == ["csv", "nwb", "slp", "points3d", "dlc"]
    from dlc_lifter.io import read_poses  # the landmark of each column, read back

    assert read_poses(out).meta.extra["catalogue_names"] == meta["extra"]["catalogue_names"]
    assert meta["formats_failed"] == {}


def test_a_failing_format_costs_no_other(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import dlc_lifter.io as io
    from dlc_lifter.cli import app

    def broken(*args: object, **kwargs: object) -> Path:
        raise RuntimeError("disk quota")

    monkeypatch.setattr(io, "write_nwb_3d", broken)
    src = _dlc_file(tmp_path / "in")
    from dlc_lifter.lift import lift_file

    with pytest.raises(OutputFormatError) as info:
        lift_file(src, camera=CameraSpec(camera_height_mm=700.0, focal_px=600.0),
                  options=LiftOptions(depth=False),
                  output=OutputSpec(destfolder=tmp_path / "api",
                                    formats=["dlc", "nwb", "points3d"]))
    assert set(info.value.failed) == {"nwb"} and "disk quota" in info.value.failed["nwb"]
    assert info.value.written["dlc"].is_file() and info.value.written["points3d"].is_file()
    assert not (tmp_path / "api" / f"mouse{DLC_SCORER}_lifted3d.nwb").exists()
    r = CliRunner().invoke(app, ["lift", str(src), "--camera-height-mm", "700", "--focal-px",
                                 "600", "--no-depth", "--destfolder", str(tmp_path / "cli"),
                                 "--format", "dlc,nwb"])
    assert r.exit_code == 3, r.output
    assert "nwb" in r.output and (tmp_path / "cli" / f"mouse{DLC_SCORER}_lifted3d.h5").is_file()


def test_a_format_failing_on_a_lift_made_again_leaves_no_old_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A lift made again whose NWB fails: the earlier lift's NWB is removed, not left
    beside the new ``.h5`` as if it were its (the error names the format that failed)."""
    import dlc_lifter.io as io
    from dlc_lifter.lift import lift_file

    src = _dlc_file(tmp_path / "in")
    out = OutputSpec(destfolder=tmp_path / "o", formats=["dlc", "nwb"])
    lift_file(src, camera=CameraSpec(camera_height_mm=700.0, focal_px=600.0),
              options=LiftOptions(depth=False), output=out)
    nwb = tmp_path / "o" / f"mouse{DLC_SCORER}_lifted3d.nwb"
    assert nwb.is_file()

    def broken(*args: object, **kwargs: object) -> Path:
        raise RuntimeError("disk quota")

    monkeypatch.setattr(io, "write_nwb_3d", broken)
    with pytest.raises(OutputFormatError) as info:
        lift_file(src, camera=CameraSpec(camera_height_mm=600.0, focal_px=600.0),
                  options=LiftOptions(depth=False),
                  output=dataclasses.replace(out, overwrite=True))
    assert set(info.value.failed) == {"nwb"} and info.value.written["dlc"].is_file()
    assert not nwb.exists()


def test_batches_always_write_the_dlc_table() -> None:
    from dlc_lifter.lift.batch import _batch_output

    assert _batch_output(OutputSpec(formats="slp"), ("dlc",)).formats == ("slp", "dlc")
    assert _batch_output(OutputSpec(formats=("nwb", "dlc")), ("dlc",)).formats == ("nwb", "dlc")
    assert _batch_output(OutputSpec(), ("dlc",)).formats == ("dlc",)
    assert _batch_output(OutputSpec(), ("slp", "dlc")).formats == ("slp", "dlc")


def test_many_individuals_are_written_and_a_failed_table_leaves_no_companions(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """23 tracks of 39 keypoints (SLEAP's fragmented tracks) are too many columns for a
    pandas table's header: the .h5 is written in pandas' fixed format and reads back. When
    the .h5 cannot be written at all, the csv, pickle and other formats of the same call
    are removed, so a rerun is not refused as already done."""
    import dlc_lifter.io.dlc as dlc
    from dlc_lifter.io import meta_pickle_path, read_poses
    from dlc_lifter.lift.outputs import write_outputs
    from dlc_lifter.poses import Poses

    rng = np.random.default_rng(0)
    coords = rng.normal(size=(5, 23, 39, 3))
    many = Poses(coords=coords, confidence=np.ones((5, 23, 39)),
                 keypoints=[f"kp{i}" for i in range(39)],
                 individuals=[f"track_{i}" for i in range(23)])
    many.meta.units, many.meta.frame = "mm", "world"
    out = tmp_path / "wide_lifted3d.h5"
    written = write_outputs(many, out, ["dlc", "csv", "slp"])
    assert set(written) == {"dlc", "csv", "slp", "meta"}
    np.testing.assert_allclose(read_poses(out).coords, coords)
    assert pd.read_hdf(out).shape == (5, 23 * 39 * 3)

    def full(*args: object, **kwargs: object) -> None:
        raise OSError("No space left on device")

    monkeypatch.setattr(dlc, "_write_dlc_3d_h5", full)
    again = tmp_path / "again" / "wide_lifted3d.h5"
    again.parent.mkdir()
    with pytest.raises(OSError, match="No space"):
        write_outputs(many, again, ["dlc", "csv", "slp"])
    assert list(again.parent.iterdir()) == []
    assert not meta_pickle_path(again).exists()


def test_a_frame_size_read_from_the_keypoints_is_not_written_as_the_video_s(
        tmp_path: Path) -> None:
    """Lifted without a video or a frame size, the size guessed from the keypoints is
    recorded as a guess (meta pickle), not as the video's frame size (the pickle's
    ``frame_dimensions``; an NWB file's source video dimensions; the .slp camera's size),
    and the .slp names the video after the DeepLabCut file (``mouseDLC_...``), not
    ``unknown.mp4``; sleap-io reads it back."""
    import sleap_io as sio

    from dlc_lifter.io import meta_pickle_path, read_poses
    from dlc_lifter.lift import lift_file

    src = _dlc_file(tmp_path / "in")
    for side in src.parent.glob("*_meta.pickle"):
        side.unlink()  # no DLC metadata: no frame size known
    out = lift_file(src, camera=CameraSpec(camera_height_mm=700.0, focal_px=600.0),
                    options=LiftOptions(depth=False),
                    output=OutputSpec(destfolder=tmp_path / "out", formats="dlc,nwb,slp"))
    meta = pd.read_pickle(meta_pickle_path(out))["data"]
    assert meta["image_size_guessed"] is not None and len(meta["image_size_guessed"]) == 2
    assert meta["frame_dimensions"] is None  # DeepLabCut's record of the video's frames
    labels = sio.load_slp(str(out.with_suffix(".slp")))
    assert [v.filename for v in labels.videos] == ["mouse"]
    assert labels.sessions[0].camera_group.cameras[0].size is None
    assert "mouseDLC" in labels.provenance["dlc_lifter"]["video_named_from"]
    back = read_poses(out.with_suffix(".slp"))
    assert back.meta.image_size is None and back.meta.video is None  # no video recorded
    sized = lift_file(src, camera=CameraSpec(camera_height_mm=700.0, focal_px=600.0,
                                             image_size=(640, 480)),
                      options=LiftOptions(depth=False),
                      output=OutputSpec(destfolder=tmp_path / "sized", formats="dlc,nwb,slp"))
    known = pd.read_pickle(meta_pickle_path(sized))["data"]
    assert known["image_size_guessed"] is None and known["frame_dimensions"] is not None
    cams = sio.load_slp(str(sized.with_suffix(".slp"))).sessions[0].camera_group.cameras
    assert tuple(cams[0].size) == (640, 480)


def test_a_sleap_file_s_video_not_here_is_named_in_the_3d_slp(tmp_path: Path) -> None:
    """A ``.slp`` naming its video as recorded on another machine, lifted without it: the
    3D ``.slp`` names that video as recorded, without the frame size guessed from the
    keypoints."""
    import sleap_io as sio

    from dlc_lifter.lift import lift_file

    skeleton = next(s for s in KNOWN_SKELETONS if s.name == "dlcanalyzer_openfield")
    poses, _ = skeleton_poses(skeleton, n_frames=10, seed=1)
    sk = sio.Skeleton(nodes=list(poses.keypoints))
    recorded = "D:/rig/day1/session7.mp4"
    video = sio.Video(filename=recorded, open_backend=False)
    lfs = [sio.LabeledFrame(video=video, frame_idx=f, instances=[sio.PredictedInstance.from_numpy(
        poses.coords[f, 0], skeleton=sk, point_scores=np.ones(poses.n_keypoints), score=1.0)])
        for f in range(poses.n_frames)]
    src = tmp_path / "session7.predictions.slp"
    sio.save_slp(sio.Labels(labeled_frames=lfs, videos=[video], skeletons=[sk]), str(src))
    out = lift_file(src, camera=CameraSpec(camera_height_mm=700.0, focal_px=600.0),
                    options=LiftOptions(depth=False),
                    output=OutputSpec(destfolder=tmp_path / "out", formats="dlc,slp"))
    labels = sio.load_slp(str(out.with_suffix(".slp")))
    assert [v.filename for v in labels.videos] == [recorded]
    assert labels.sessions[0].camera_group.cameras[0].size is None


def test_a_single_lift_replaces_an_interrupted_run_s_leftovers(tmp_path: Path,
                                                               caplog: pytest.LogCaptureFixture
                                                               ) -> None:
    """A batch killed while writing leaves a meta pickle without its .h5 (written last):
    lift replaces it, as the batch verbs do; a finished output is still refused."""
    from dlc_lifter.errors import OutputExistsError
    from dlc_lifter.io import meta_pickle_path
    from dlc_lifter.lift import lift_file

    src = _dlc_file(tmp_path / "in")
    kw = dict(camera=CameraSpec(camera_height_mm=700.0, focal_px=600.0),
              options=LiftOptions(depth=False), output=OutputSpec(destfolder=tmp_path / "out"))
    orphan = meta_pickle_path(tmp_path / "out" / f"mouse{DLC_SCORER}_lifted3d.h5")
    orphan.parent.mkdir()
    orphan.write_bytes(b"left by a killed run")
    with caplog.at_level("INFO"):
        out = lift_file(src, **kw)
    assert "left by an interrupted run" in caplog.text
    assert out.is_file() and pd.read_pickle(orphan)["data"]["nframes"] == 30
    with pytest.raises(OutputExistsError):
        lift_file(src, **kw)


def test_leftovers_are_judged_by_the_file_written_last(tmp_path: Path) -> None:
    """The .h5 where it is asked for, else the meta pickle (a csv goes before it)."""
    from dlc_lifter.io import meta_pickle_path
    from dlc_lifter.lift.outputs import interrupted_leftovers

    out = tmp_path / "m_lifted3d.h5"
    csv = out.with_suffix(".csv")
    csv.write_text("x")
    assert interrupted_leftovers(out, ["csv"]) == [csv]  # the pickle, written last, missing
    assert interrupted_leftovers(out, ["csv", "dlc"]) == [csv]
    meta_pickle_path(out).write_bytes(b"x")
    assert interrupted_leftovers(out, ["csv"]) == []
    out.write_bytes(b"x")
    assert interrupted_leftovers(out, ["csv", "dlc"]) == []


def test_an_overwrite_stopped_leaves_the_earlier_lift_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The .h5 marks a lift done. An overwrite stopped while it writes (Ctrl-C in a
    --redo-out-of-date batch) leaves the earlier lift's files as they were, all of them
    (before: the old .h5 was removed first and the new companions written were removed,
    so the stopped file lost its whole earlier lift); stopped while the files are moved
    into place, the moves finish (microseconds), so that no old .h5 stands beside new
    companions (a batch would skip it as done: the determinism audit's killed --overwrite
    --pcutoff 0.5 batch kept a pcutoff 0.6 table under a pickle saying 0.5, 54 mm off) and
    no companion is left without its .h5."""
    import os

    import dlc_lifter.io.dlc as dlc
    import dlc_lifter.lift.outputs as outputs
    from dlc_lifter.io import meta_pickle_path, read_poses
    from dlc_lifter.lift.outputs import staged_files, write_outputs
    from dlc_lifter.poses import Poses

    rng = np.random.default_rng(0)
    old = Poses(coords=rng.normal(size=(5, 1, 4, 3)), confidence=np.ones((5, 1, 4)),
                keypoints=["snout", "leftear", "rightear", "tailbase"])
    old.meta.units, old.meta.frame = "mm", "world"
    out = tmp_path / "m_lifted3d.h5"
    write_outputs(old, out, ["dlc", "slp", "csv"])
    files = sorted(p.name for p in tmp_path.iterdir())
    before = {p: p.read_bytes() for p in tmp_path.iterdir()}
    new = Poses(coords=old.coords + 10.0, confidence=old.confidence, keypoints=old.keypoints)
    new.meta.units, new.meta.frame = "mm", "world"
    real_pickle = dlc.write_meta_pickle

    def pickle_then_stopped(*args: object, **kwargs: object) -> None:
        real_pickle(*args, **kwargs)
        raise KeyboardInterrupt  # stopped before the new .h5

    monkeypatch.setattr(dlc, "write_meta_pickle", pickle_then_stopped)
    with pytest.raises(KeyboardInterrupt):
        write_outputs(new, out, ["dlc", "slp", "csv"], overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == files  # nothing staged left
    assert {p: p.read_bytes() for p in tmp_path.iterdir()} == before
    monkeypatch.undo()
    moved: list[str] = []
    real_replace = os.replace

    def replace_then_stopped(src: str, dst: str) -> None:
        if ".staging" not in Path(dst).name:  # a staged file moved into place
            moved.append(Path(dst).name)
            if len(moved) == 2:
                raise KeyboardInterrupt  # stopped between the first two moves
        real_replace(src, dst)

    monkeypatch.setattr(outputs.os, "replace", replace_then_stopped)
    with pytest.raises(KeyboardInterrupt):
        write_outputs(new, out, ["dlc", "slp", "csv"], overwrite=True)
    assert moved and meta_pickle_path(out).exists() and not staged_files(out)
    np.testing.assert_allclose(read_poses(out).coords, new.coords)  # the moves finished
    assert sorted(p.name for p in tmp_path.iterdir()) == files


def test_the_log_names_the_files_written_not_their_staging_names(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Files are written under hidden staging names, then moved into place: the log's
    "Wrote ..." lines and the writers' warnings name the files as they end up (a hidden
    ``.x.staging.nwb`` named in a warning is a path that no longer exists)."""
    import logging

    from dlc_lifter.lift.outputs import write_outputs
    from dlc_lifter.poses import Poses

    rng = np.random.default_rng(0)
    p3 = Poses(coords=rng.normal(size=(5, 1, 4, 3)), confidence=np.ones((5, 1, 4)),
               keypoints=["snout", "leftear", "rightear", "tailbase"])
    p3.meta.units, p3.meta.frame = "mm", "world"  # no frame rate: the NWB writer warns
    out = tmp_path / "m_lifted3d.h5"
    with caplog.at_level(logging.INFO):
        write_outputs(p3, out, ["dlc", "nwb", "csv"])
    assert "staging" not in caplog.text
    assert f"{out.with_suffix('.nwb')}: the frame rate is unknown" in caplog.text
    assert f"Wrote 3D poses (NWB) to {out.with_suffix('.nwb')}" in caplog.text
    assert not logging.getLogger("dlc_lifter.io.nwb").filters
