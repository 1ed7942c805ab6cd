"""Batches rerun with more formats: the formats an existing lift lacks are written from it."""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dlc_lifter.io import read_poses
from dlc_lifter.lift import batch
from dlc_lifter.lift.batch import LiftJob, lift_files
from dlc_lifter.lift.options import CameraSpec, LiftOptions, OutputSpec
from tests.fixtures.toys import circling_mouse_2d

EVERY_FORMAT = ("dlc", "nwb", "csv", "slp", "points3d")
#: The lab's record of the recording (--nwb-metadata), for the NWB output.
NWB_METADATA = {"session_start_time": "2021-06-10T12:23:32+02:00", "lab": "Mouse lab",
                "subject": {"subject_id": "M7", "sex": "F", "age": "P90D"}}
LIFT = {"options": LiftOptions(depth=False), "camera": CameraSpec(fps=25.0)}


def _sleap_session(folder: Path, n_frames: int = 20) -> Path:
    """``folder/session.slp``: a tracked mouse (track ``m1``), its video named but absent."""
    import sleap_io as sio

    folder.mkdir(parents=True, exist_ok=True)
    p = circling_mouse_2d(n_frames)
    sk = sio.Skeleton(nodes=list(p.keypoints))
    video = sio.Video(filename=str(folder / "session.mp4"), open_backend=False)
    track = sio.Track("m1")
    lfs = [sio.LabeledFrame(video=video, frame_idx=f, instances=[
        sio.PredictedInstance.from_numpy(p.coords[f, 0], skeleton=sk, score=0.9, track=track,
                                         point_scores=p.confidence[f, 0])])
        for f in range(n_frames)]
    path = folder / "session.slp"
    sio.save_slp(sio.Labels(labeled_frames=lfs, videos=[video], skeletons=[sk],
                            tracks=[track]), str(path))
    return path


def _no_lift(poses: Path, job: LiftJob) -> Any:
    raise AssertionError(f"{poses} was lifted again")


def _nwb(path: Path) -> dict[str, Any]:
    """What an NWB output says: session, subject, and each series' data and timing."""
    import ndx_pose  # noqa: F401 - registers the ndx-pose classes
    from pynwb import NWBHDF5IO

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with NWBHDF5IO(str(path), "r", load_namespaces=True) as io:
            f = io.read()
            out: dict[str, Any] = {
                "start": f.session_start_time, "lab": f.lab,
                "description": f.session_description,
                "subject": {k: getattr(f.subject, k) for k in ("subject_id", "sex", "age")}}
            for pe_name, pe in f.processing["behavior"].data_interfaces.items():
                if not hasattr(pe, "pose_estimation_series"):
                    continue
                for name, s in pe.pose_estimation_series.items():
                    out[f"{pe_name}/{name}"] = (np.asarray(s.data[:]),
                                                np.asarray(s.confidence[:]), s.rate, s.unit,
                                                s.reference_frame)
    return out


def _same_nwb(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a.keys() == b.keys()
    for key, value in a.items():
        if isinstance(value, tuple):
            (da, ca, *rest_a), (db, cb, *rest_b) = value, b[key]
            np.testing.assert_array_equal(da, db)
            np.testing.assert_array_equal(ca, cb)
            assert rest_a == rest_b
        else:
            assert value == b[key], key


def _same_poses(a: Path, b: Path) -> None:
    pa, pb = read_poses(a), read_poses(b)
    assert pa.is_3d and pb.is_3d
    np.testing.assert_array_equal(pa.coords, pb.coords)
    np.testing.assert_array_equal(pa.confidence, pb.confidence)
    np.testing.assert_array_equal(pa.frame_indices, pb.frame_indices)
    assert (pa.keypoints, pa.individuals) == (pb.keypoints, pb.individuals)
    assert (pa.meta.fps, pa.meta.units, pa.meta.frame, pa.meta.video) == (
        pb.meta.fps, pb.meta.units, pb.meta.frame, pb.meta.video)
    assert pa.meta.fps == 25.0 and pa.meta.units == "mm"


def _slp_2d(path: Path) -> np.ndarray:
    """The camera's 2D a ``_lifted3d.slp`` keeps (its instances' points)."""
    import sleap_io as sio

    return sio.load_slp(str(path)).numpy()


def test_a_rerun_with_more_formats_writes_them_from_the_lift(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch lifted with the DLC-style .h5 only, run again with every format: the NWB,
    csv, .slp and points3d files are written from the existing lift without lifting again,
    and hold what a batch lifting with every format writes (the same 3D, confidence, frame
    rate, units, names, NWB session and subject); counted as formats added, not lifted nor
    skipped."""
    src = _sleap_session(tmp_path / "data")
    first = OutputSpec(destfolder=str(tmp_path / "added"), formats=("dlc",))
    assert len(lift_files(src, output=first, **LIFT).done) == 1
    h5 = tmp_path / "added" / "session_lifted3d.h5"
    lifted = h5.read_bytes()
    monkeypatch.setattr(batch, "_lift_file", _no_lift)
    more = OutputSpec(destfolder=str(tmp_path / "added"), formats=EVERY_FORMAT,
                      nwb_metadata=NWB_METADATA)
    report = lift_files(src, output=more, **LIFT)
    assert report.ok, report.summary()
    assert not report.done and not report.skipped and len(report.added) == 1
    assert report.added[0].formats_added == ["csv", "nwb", "slp", "points3d"]
    assert report.summary().startswith(
        "0 lifted, 1 with formats added from their existing lift (not lifted again), "
        "0 skipped")
    assert report.outputs == [h5] and h5.read_bytes() == lifted
    monkeypatch.undo()
    fresh = OutputSpec(destfolder=str(tmp_path / "fresh"), formats=EVERY_FORMAT,
                       nwb_metadata=NWB_METADATA)
    assert len(lift_files(src, output=fresh, **LIFT).done) == 1
    added, lifted_all = tmp_path / "added", tmp_path / "fresh"
    for name in ("session_lifted3d.csv", "session_lifted3d.points3d.h5",
                 "session_lifted3d.slp", "session_lifted3d.nwb"):
        _same_poses(added / name, lifted_all / name)
    assert (added / "session_lifted3d.csv").read_bytes() == (
        lifted_all / "session_lifted3d.csv").read_bytes()
    np.testing.assert_array_equal(_slp_2d(added / "session_lifted3d.slp"),
                                  _slp_2d(lifted_all / "session_lifted3d.slp"))
    nwb = _nwb(added / "session_lifted3d.nwb")
    assert nwb["subject"]["subject_id"] == "M7" and nwb["lab"] == "Mouse lab"
    _same_nwb(nwb, _nwb(lifted_all / "session_lifted3d.nwb"))
    with (added / "session_lifted3d_meta.pickle").open("rb") as fh:
        record = pickle.load(fh)["data"]
    assert record["formats"] == ["csv", "nwb", "slp", "points3d", "dlc"]
    # and now nothing is missing: skipped
    again = lift_files(src, output=more, **LIFT)
    assert len(again.skipped) == 1 and not again.added


def test_more_formats_after_the_input_or_options_changed_are_not_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the lift's options differ from the rerun's, or the input changed since, the
    lift is not this run's: it is skipped, the note says why, and no format is written
    from it."""
    src = _sleap_session(tmp_path / "data")
    dest = str(tmp_path / "out")
    assert len(lift_files(src, output=OutputSpec(destfolder=dest, formats=("dlc",)),
                          **LIFT).done) == 1
    before = sorted(p.name for p in (tmp_path / "out").iterdir())
    monkeypatch.setattr(batch, "_lift_file", _no_lift)
    more = OutputSpec(destfolder=dest, formats=EVERY_FORMAT)
    other = lift_files(src, output=more, options=LiftOptions(depth=False),
                       camera=CameraSpec(fps=30.0))
    assert len(other.skipped) == 1 and not other.added and not other.done
    assert "lifted before with other options (fps 25.0 -> 30.0)" in other.summary()
    assert "exists without the nwb and csv and slp and points3d output asked for" in \
        other.summary() and "1 of them out of date, kept" in other.summary()
    with src.open("ab") as fh:  # re-analysed since (its content, not only its time)
        fh.write(b"\0")
    changed = lift_files(src, output=more, **LIFT)
    assert len(changed.skipped) == 1 and not changed.added
    assert "changed since" in changed.summary()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == before


def _write_yaml(path: Path, subject_id: str, key: str = "session") -> Path:
    """An NWB metadata file giving recording ``key`` its start time and subject."""
    path.write_text(f"lab: Mouse lab\nrecordings:\n  {key}:\n"
                    f"    session_start_time: 2021-06-10T12:23:32+02:00\n"
                    f"    subject: {{subject_id: {subject_id}, sex: F}}\n", encoding="utf-8")
    return path


def _record(h5: Path) -> dict[str, Any]:
    with h5.with_name(h5.stem + "_meta.pickle").open("rb") as fh:
        return pickle.load(fh)["data"]


def test_a_rerun_with_corrected_nwb_metadata_writes_the_nwb_again_from_the_lift(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """NWB added to a lift with one metadata file, then the batch run again with the file
    corrected: the NWB is written again from the lift (not lifted again, the .h5 kept),
    with the corrected subject, and counted and said; the record keeps the formats and the
    metadata each NWB was written with, so a third run with the same file skips it."""
    src = _sleap_session(tmp_path / "data")
    dest = str(tmp_path / "out")
    assert len(lift_files(src, output=OutputSpec(destfolder=dest, formats=("dlc",)),
                          **LIFT).done) == 1
    h5 = tmp_path / "out" / "session_lifted3d.h5"
    lifted = h5.read_bytes()
    monkeypatch.setattr(batch, "_lift_file", _no_lift)
    typo = _write_yaml(tmp_path / "meta.yaml", "M7")
    first = lift_files(src, output=OutputSpec(destfolder=dest, formats=("dlc", "nwb"),
                                              nwb_metadata=typo), **LIFT)
    assert len(first.added) == 1
    record = _record(h5)
    assert record["output_spec"]["formats"] == ["nwb", "dlc"]
    assert record["output_spec"]["nwb_metadata"] == str(typo)
    assert record["nwb_metadata"]["subject"]["subject_id"] == "M7"
    assert not first.added[0].formats_rewritten and "REWRITTEN" not in first.summary()
    fixed = _write_yaml(tmp_path / "meta.yaml", "M8")
    spec = OutputSpec(destfolder=dest, formats=("dlc", "nwb"), nwb_metadata=fixed)
    second = lift_files(src, output=spec, **LIFT)
    assert second.ok and not second.done and not second.skipped, second.summary()
    nwb = _nwb(tmp_path / "out" / "session_lifted3d.nwb")
    assert nwb["subject"]["subject_id"] == "M8" and nwb["lab"] == "Mouse lab"
    assert "REWRITTEN (session.slp): the NWB, written with other NWB metadata than this " \
        "run's" in second.summary()
    assert second.added[0].formats_rewritten == ["nwb"]
    assert _record(h5)["nwb_metadata"]["subject"]["subject_id"] == "M8"
    assert h5.read_bytes() == lifted
    third = lift_files(src, output=spec, **LIFT)
    assert len(third.skipped) == 1 and not third.added


def test_nwb_metadata_recordings_naming_no_file_are_said_once_with_the_nearest(
        tmp_path: Path) -> None:
    """A ``recordings`` key that names no file of the batch (a typo) is said once for the
    batch, with the file names nearest to it; a key that names one is not. Run again with
    the same file, the NWB (its metadata recorded by the lift) is kept."""
    src = _sleap_session(tmp_path / "data")
    meta = _write_yaml(tmp_path / "meta.yaml", "M7", key="sesion")
    with meta.open("a", encoding="utf-8") as fh:
        fh.write("  session: {subject: {subject_id: M9}}\n  zz_other_box: {}\n")
    report = lift_files(src, output=OutputSpec(destfolder=str(tmp_path / "out"),
                                               formats=("dlc", "nwb"), nwb_metadata=meta),
                        **LIFT)
    assert report.ok and len(report.done) == 1
    assert report.summary().count("'sesion' (nearest: session)") == 1
    assert report.warnings == [
        f"{meta}: recordings 'sesion' (nearest: session); 'zz_other_box' (no file's name "
        "near it) name no file of this batch, so no NWB output got their fields. A key is "
        "a pose file's or video's name or stem, or that with its last folders "
        "(day1/predictions)."]
    again = lift_files(src, output=OutputSpec(destfolder=str(tmp_path / "out"),
                                              formats=("dlc", "nwb"), nwb_metadata=meta),
                       **LIFT)
    assert len(again.skipped) == 1 and not again.added


def test_lift_file_and_a_rerun_choose_a_recording_s_nwb_metadata_by_the_same_video(
        tmp_path: Path) -> None:
    """A SLEAP file naming its video, lifted by ``lift_file`` without a video given, with
    NWB metadata keyed by the video's stem: the NWB gets that recording's subject, and a
    batch rerun with the same metadata keeps it (it chose by the video and the lift by the
    pose file alone: every NWB found 'other metadata' and was written again)."""
    from dlc_lifter.lift.pipeline import lift_file

    src = _sleap_session(tmp_path / "data")
    from tests.fixtures.toys import write_toy_video

    write_toy_video(tmp_path / "data" / "session.mp4", 20)
    renamed = src.rename(src.with_name("tracks_v2.slp"))
    meta = _write_yaml(tmp_path / "meta.yaml", "M5", key="session")
    spec = OutputSpec(destfolder=str(tmp_path / "out"), formats=("dlc", "nwb"),
                      nwb_metadata=meta)
    h5 = lift_file(renamed, output=spec, **LIFT)
    assert _record(h5)["nwb_metadata"]["subject"]["subject_id"] == "M5"
    again = lift_files(renamed, output=spec, **LIFT)
    assert len(again.skipped) == 1 and not again.added, again.summary()
