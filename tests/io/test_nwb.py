"""NWB output of write_nwb_3d / lift_file: valid for current pynwb, ndx-pose and nwbinspector."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from dlc_lifter import Poses, read_poses, write_nwb_3d
from dlc_lifter.lift.options import LiftOptions, OutputSpec
from dlc_lifter.poses import PoseMetadata
from tests.fixtures.realdata import OPENFIELD_H5, OPENFIELD_VIDEO, needs_realdata
from tests.fixtures.toys import DLC_KEYPOINTS, random_poses, write_toy_video


def _poses3d(n: int = 10, *, fps: float | None = 30.0, video: Path | None = None,
             frame_indices: np.ndarray | None = None) -> Poses:
    meta = PoseMetadata(units="mm", frame="camera-floor", fps=fps, source="generated",
                        scorer="DLC_test", video=None if video is None else str(video))
    return random_poses(n, dim=3, seed=3, coord_range=(-80.0, 120.0), conf_range=(0.1, 1.0),
                        nan_at=[(2, 0, 1)], frame_indices=frame_indices, meta=meta)


def _read_nwb(path: Path) -> tuple[Any, Any]:
    import ndx_pose  # noqa: F401 - registers the ndx-pose classes
    from pynwb import NWBHDF5IO

    io = NWBHDF5IO(str(path), "r", load_namespaces=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return io, io.read()


def _serious_findings(path: Path) -> list[str]:
    """nwbinspector findings of importance BEST_PRACTICE_VIOLATION or higher."""
    nwbinspector = pytest.importorskip("nwbinspector", reason="nwbinspector (dev extra) missing")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        msgs = [m for m in nwbinspector.inspect_nwbfile(nwbfile_path=str(path)) if m is not None]
    bad = nwbinspector.Importance.BEST_PRACTICE_VIOLATION
    return [f"{m.importance.name} {m.check_function_name} {m.location}: {m.message}"
            for m in msgs if m.importance.value >= bad.value]


# ------------------------------------------------------------------------- generated
def test_nwb_with_source_video_reads_back(tmp_path: Path) -> None:
    video = write_toy_video(tmp_path / "clip.mp4", 12, size=(64, 48))
    p = _poses3d(10, video=video)
    out = write_nwb_3d(p, tmp_path / "out" / "clip_lifted3d.nwb")
    io, nwb = _read_nwb(out)
    try:
        pe = nwb.processing["behavior"]["PoseEstimation"]
        for k, kp in enumerate(DLC_KEYPOINTS):
            s = pe.pose_estimation_series[kp]
            np.testing.assert_allclose(s.data[:], p.coords[:, 0, k], atol=1e-9, rtol=0,
                                       equal_nan=True)
            np.testing.assert_allclose(s.confidence[:], p.confidence[:, 0, k], atol=1e-9,
                                       rtol=0, equal_nan=True)
            assert s.unit == "millimeters" and s.rate == pytest.approx(30.0)
            assert s.starting_time == 0.0
        sv = nwb.acquisition["source_video"]
        assert type(sv).__name__ == "ImageSeries" and pe.source_video is sv
        assert sv.format == "external" and list(sv.starting_frame[:]) == [0]
        assert sv.num_samples == 12  # the video's frame count, not the poses'
        assert sv.rate == pytest.approx(30.0)
        assert list(sv.dimension[:]) == [64, 48]
        ext = str(sv.external_file[0])
        assert not os.path.isabs(ext)
        assert (out.parent / ext).resolve() == video.resolve()
        assert nwb.subject is not None and nwb.subject.species == "Mus musculus"
    finally:
        io.close()
    q = read_poses(out)
    np.testing.assert_allclose(q.coords, p.coords, atol=1e-9, rtol=0, equal_nan=True)
    np.testing.assert_array_equal(q.frame_indices, p.frame_indices)
    assert q.meta.fps == pytest.approx(30.0) and q.meta.units == "mm"
    assert Path(q.meta.video).resolve() == video.resolve() and q.meta.image_size == (64, 48)
    assert _serious_findings(out) == []


def test_nwb_video_count_unknown_and_fps_unknown(tmp_path: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    """A video that cannot be opened: num_samples from the poses; fps unknown: rate 1."""
    fi = np.array([5, 6, 7, 8, 9, 10])
    (tmp_path / "broken.mp4").write_bytes(b"not a video")
    p = _poses3d(6, fps=None, video=tmp_path / "broken.mp4", frame_indices=fi)
    with caplog.at_level("WARNING"):
        out = write_nwb_3d(p, tmp_path / "gone_lifted3d.nwb")
    assert "the NWB's times are frame numbers" in caplog.text
    io, nwb = _read_nwb(out)
    try:
        sv = nwb.acquisition["source_video"]
        assert sv.num_samples == 11 and "could not be read" in sv.description
        s = nwb.processing["behavior"]["PoseEstimation"].pose_estimation_series["snout"]
        assert s.rate == 1.0 and s.starting_time == 5.0 and "fps unknown" in s.comments
    finally:
        io.close()
    q = read_poses(out)
    assert q.meta.fps is None
    np.testing.assert_array_equal(q.frame_indices, fi)
    np.testing.assert_allclose(q.coords, p.coords, atol=1e-9, rtol=0, equal_nan=True)
    assert _serious_findings(out) == []


def test_a_video_that_is_not_there_is_not_linked(tmp_path: Path) -> None:
    """DLC2NWB's file names a video that is not there (``fake_path``): the lifted NWB
    linked it, and nwbinspector called the file CRITICAL (an external file that does not
    exist). A video that is not there is not linked."""
    p = _poses3d(6, video=tmp_path / "gone.mp4")
    out = write_nwb_3d(p, tmp_path / "gone_lifted3d.nwb")
    io, nwb = _read_nwb(out)
    try:
        assert "source_video" not in nwb.acquisition
        assert nwb.processing["behavior"]["PoseEstimation"].source_video is None
    finally:
        io.close()
    assert _serious_findings(out) == []


def test_sessions_whose_files_share_a_name_are_told_apart_by_their_folders() -> None:
    """Two sessions' ``predictions.slp`` (day1/, day2/): a ``recordings`` key with the folder
    picks its own; a bare name is the rest's (before: keys were names or stems only, so
    ``day1/predictions`` matched nothing and both files took ``predictions``' subject)."""
    from dlc_lifter.io.nwb import nwb_metadata_for, read_nwb_metadata

    meta = read_nwb_metadata({"subject": {"species": "Mus musculus"}, "recordings": {
        "day1/predictions": {"subject": {"subject_id": "m1"}},
        "predictions": {"subject": {"subject_id": "m2"}}}})
    ids = {day: nwb_metadata_for(meta, f"/data/{day}/predictions.slp")["subject"]
           for day in ("day1", "day2")}
    assert ids == {"day1": {"species": "Mus musculus", "subject_id": "m1"},
                   "day2": {"species": "Mus musculus", "subject_id": "m2"}}
    assert "subject_id" not in nwb_metadata_for(meta, "/data/day1/other.slp")["subject"]
    # a recording named by its video, whose DeepLabCut output is lifted without it (a lab's
    # batch: `m12_day1` matched nothing, its NWB got the copy time and no subject)
    byvideo = read_nwb_metadata({"recordings": {"2019/m12_day1": {"subject": {
        "subject_id": "m12"}}}})
    assert nwb_metadata_for(byvideo, "/d/2019/m12_day1DLC_resnet50_oftMay1shuffle1_1000.h5"
                            )["subject"]["subject_id"] == "m12"
    assert "subject_id" not in nwb_metadata_for(
        byvideo, "/d/2020/m12_day1DLC_resnet50_oftMay1shuffle1_1000.h5").get("subject", {})


def test_recordings_keys_that_name_no_file_are_found_with_the_nearest_stems() -> None:
    """The keys of ``recordings`` that name none of a batch's files (typos, a session not
    in it), each with the nearest stems; keys naming a file by its name, stem, folders or
    the video stem its name carries are not listed."""
    from dlc_lifter.io.nwb import read_nwb_metadata, unmatched_recordings

    meta = read_nwb_metadata({"recordings": {k: {} for k in (
        "day1/predictions", "day3/predictions", "m12_day1", "m12_day2x", "cam7.mp4",
        "pair1_day1")}})
    files = ["/data/day1/predictions.slp", "/data/day2/predictions.slp",
             "/d/m12_day1DLC_resnet50_oftMay1shuffle1_1000.h5",
             "/d/m12_day2DLC_resnet50_oftMay1shuffle1_1000.h5", None, "/v/cam7.mp4"]
    assert unmatched_recordings(meta, files) == {
        "day3/predictions": ["predictions"], "m12_day2x": ["m12_day2", "m12_day1"],
        "pair1_day1": []}
    assert unmatched_recordings(read_nwb_metadata({"lab": "L"}), files) == {}


def test_the_session_and_subject_come_from_the_lab_or_are_said_to_be_filled_in(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A lift dated its NWB session at the time of the lift and named the subject after
    the individual (``individual0``), silently; DANDI then filed two labs' mice as one
    subject. The lab's metadata (shared and per recording) goes in; what is filled in is
    said in the file and the log."""
    from dlc_lifter.errors import ConfigError
    from dlc_lifter.io.nwb import nwb_metadata_for, read_nwb_metadata

    meta_file = tmp_path / "nwb.yaml"
    meta_file.write_text(
        "experimenter: Doe, Jane\nlab: Behaviour lab\n"
        "subject: {species: Mus musculus, strain: C57BL/6J}\n"
        "recordings:\n  rec1:\n    session_start_time: 2021-06-10T12:23:32+02:00\n"
        "    subject: {subject_id: m1, sex: F, age: P70D}\n")
    meta = read_nwb_metadata(meta_file)
    p = _poses3d(6)
    out = write_nwb_3d(p, tmp_path / "rec1_lifted3d.nwb",
                       metadata=nwb_metadata_for(meta, tmp_path / "rec1.h5"))
    io, nwb = _read_nwb(out)
    try:
        assert nwb.session_start_time.isoformat() == "2021-06-10T12:23:32+02:00"
        assert list(nwb.experimenter) == ["Doe, Jane"] and nwb.lab == "Behaviour lab"
        s = nwb.subject
        assert (s.subject_id, s.sex, s.age, s.strain) == ("m1", "F", "P70D", "C57BL/6J")
        assert not nwb.notes
    finally:
        io.close()
    # another recording: the shared fields only; the start time and id filled in, said
    source = tmp_path / "rec2DLC.h5"
    source.write_bytes(b"x")
    os.utime(source, (1.6e9, 1.6e9))
    p.meta.source = str(source)
    with caplog.at_level("WARNING"):
        out2 = write_nwb_3d(p, tmp_path / "rec2_lifted3d.nwb",
                            metadata=nwb_metadata_for(meta, source))
    assert "without the recording's start time and subject id" in caplog.text
    io, nwb = _read_nwb(out2)
    try:
        assert nwb.session_start_time.timestamp() == 1.6e9  # the pose file's, said
        assert "pose file's modification time" in nwb.notes
        assert nwb.subject.strain == "C57BL/6J" and nwb.subject.subject_id == "individual0"
    finally:
        io.close()
    assert _serious_findings(out2) == []
    meta_file.write_text("experimentor: Doe\n")
    with pytest.raises(ConfigError, match="unknown field.*experimentor"):
        read_nwb_metadata(meta_file)
    with pytest.raises(ConfigError, match="ISO 8601"):
        read_nwb_metadata({"session_start_time": "June 10th"})


def test_imputed_points_and_the_skeleton_are_said(tmp_path: Path) -> None:
    """Series never tracked read as measured ("3D position of left_knee"), with confidence
    0 left unexplained; a DLC file without its config gave an NWB skeleton of no edges
    although the plots draw bones."""
    from dlc_lifter.lift.outputs import write_outputs

    p = _poses3d(6)
    imputed = np.zeros(p.confidence.shape, dtype=bool)
    imputed[:, 0, 3] = True  # tailbase never tracked
    imputed[:3, 0, 0] = True  # snout in half the frames
    p.meta.extra["imputed"] = imputed
    written = write_outputs(p, tmp_path / "x_lifted3d.h5", ["dlc", "nwb"])
    io, nwb = _read_nwb(written["nwb"])
    try:
        pe = nwb.processing["behavior"]["PoseEstimation"]
        series = pe.pose_estimation_series
        assert "imputed by dlc-lifter in every frame" in series["tailbase"].description
        assert "in 50 % of frames" in series["snout"].description
        assert series["leftear"].description == "3D position of leftear."
        assert "0 where dlc-lifter imputed" in series["snout"].fields["confidence_definition"]
        assert "SLEAP's point scores can pass 1" in \
            series["snout"].fields["confidence_definition"]
        names = list(pe.skeleton.nodes[:])
        edges = {tuple(sorted((names[a], names[b]))) for a, b in pe.skeleton.edges[:]}
        assert ("leftear", "snout") in edges and ("leftear", "rightear") in edges
    finally:
        io.close()


def test_nwb_skipped_frames_and_subject_override(tmp_path: Path) -> None:
    video = write_toy_video(tmp_path / "v.mp4", 20, size=(64, 48))
    fi = np.array([0, 2, 3, 7, 11, 19])
    p = _poses3d(6, fps=25.0, video=video, frame_indices=fi)
    out = write_nwb_3d(p, tmp_path / "v_lifted3d.nwb",
                       subject={"subject_id": "m/7", "sex": "F", "age": "P60D"})
    io, nwb = _read_nwb(out)
    try:
        s = nwb.processing["behavior"]["PoseEstimation"].pose_estimation_series["tailbase"]
        np.testing.assert_allclose(s.timestamps[:], fi / 25.0, atol=1e-12)
        assert nwb.acquisition["source_video"].num_samples == 20
        subj = nwb.subject
        assert (subj.subject_id, subj.sex, subj.age) == ("m-7", "F", "P60D")
    finally:
        io.close()
    q = read_poses(out)
    np.testing.assert_array_equal(q.frame_indices, fi)
    assert q.meta.fps == pytest.approx(25.0)
    assert _serious_findings(out) == []


# ------------------------------------------------------------------------- real data
@pytest.mark.realdata
@needs_realdata(OPENFIELD_H5, OPENFIELD_VIDEO)
def test_openfield_lift_nwb_passes_nwbinspector(tmp_path: Path) -> None:
    from dlc_lifter import lift_file

    out = lift_file(OPENFIELD_H5, video=OPENFIELD_VIDEO, options=LiftOptions(depth=False),
                    output=OutputSpec(nwb=True, destfolder=tmp_path))
    nwb_path = out.with_suffix(".nwb")
    assert nwb_path.is_file()
    assert _serious_findings(nwb_path) == []
    df = pd.read_hdf(out)
    io, nwb = _read_nwb(nwb_path)
    try:
        pe = nwb.processing["behavior"]["PoseEstimation"]
        bodyparts = list(dict.fromkeys(df.columns.get_level_values("bodyparts")))
        assert set(bodyparts) == set(pe.pose_estimation_series.keys())
        for kp in bodyparts:
            want = df.xs(kp, axis=1, level="bodyparts").droplevel("scorer", axis=1)
            got = pe.pose_estimation_series[kp].data[:]
            np.testing.assert_allclose(got, want[["x", "y", "z"]].to_numpy(), atol=1e-6,
                                       rtol=0, equal_nan=True)
        sv = nwb.acquisition["source_video"]
        assert pe.source_video is sv and sv.num_samples == 2330
        assert (nwb_path.parent / str(sv.external_file[0])).resolve() == OPENFIELD_VIDEO.resolve()
    finally:
        io.close()


@pytest.mark.parametrize("frame", ["world", "arena", "camera-floor"])
def test_nwb_coordinate_frame_reads_back(tmp_path: Path, frame: str) -> None:
    p = _poses3d(4, fps=30.0)
    p.meta.frame = frame
    q = read_poses(write_nwb_3d(p, tmp_path / f"{frame}_lifted3d.nwb"))
    assert q.meta.frame == frame


def test_a_point_imputed_in_few_frames_is_said_by_its_count() -> None:
    """A series imputed in under 1 % of its frames says how many (before: "in 0 % of
    frames")."""
    from dlc_lifter.io.nwb import _series_text

    few = np.zeros(2000, bool)
    few[:10] = True
    assert _series_text("neck", few) == ("3D position of neck; imputed by dlc-lifter in 10 of "
                                         "2000 frames (confidence 0 there).")
    few[:500] = True
    assert "in 25 % of frames" in _series_text("neck", few)
