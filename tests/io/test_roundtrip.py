"""Round trips through every reader and writer of dlc_lifter.io on generated files."""

from __future__ import annotations

import pickle
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from dlc_lifter import Poses, read_poses, write_dlc_3d, write_nwb_3d
from dlc_lifter.io import (
    lifted_output_path,
    read_dlc_config,
    read_lifted_likelihood,
    write_sleap_analysis_3d,
    write_slp_3d,
)
from tests.fixtures.toys import DLC_KEYPOINTS, random_poses


def _poses(dim: int = 2, individuals: tuple[str, ...] = ("individual0",), n: int = 6,
           seed: int = 0) -> Poses:
    p = random_poses(n, individuals, dim=dim, seed=seed, nan_at=[(2, 0, 1), (4, -1, 3)],
                     frame_indices=np.arange(10, 10 + n))
    p.meta.scorer = "DLC_resnet50_testMay1shuffle1_1000"
    return p


def _assert_same(a: Poses, b: Poses, *, conf: bool = True) -> None:
    assert list(a.keypoints) == list(b.keypoints)
    assert list(a.individuals) == list(b.individuals)
    np.testing.assert_allclose(a.coords, b.coords, equal_nan=True)
    np.testing.assert_array_equal(a.frame_indices, b.frame_indices)
    if conf:
        np.testing.assert_allclose(a.confidence, b.confidence, equal_nan=True)


# ------------------------------------------------------------------------------- DLC 2D
@pytest.mark.parametrize("individuals", [("individual0",), ("mouse1", "mouse2")])
@pytest.mark.parametrize("ext", [".h5", ".csv"])
def test_dlc_2d_round_trip(tmp_path: Path, individuals: tuple[str, ...], ext: str) -> None:
    p = _poses(individuals=individuals)
    df = p.to_dataframe()
    f = tmp_path / f"videoDLC_resnet50_testMay1shuffle1_1000{ext}"
    if ext == ".h5":
        df.to_hdf(f, key="df_with_missing", format="table", mode="w")
    else:
        df.to_csv(f)
    q = read_poses(f)
    _assert_same(p, q)
    assert q.meta.source_format == f"dlc-{ext[1:]}"
    assert q.meta.scorer == p.meta.scorer
    assert q.meta.source == str(f)


def test_dlc_multi_animal_with_unique_bodyparts(tmp_path: Path) -> None:
    p = _poses(individuals=("m1", "m2"))
    df = p.to_dataframe()
    uniq = pd.DataFrame(
        np.arange(p.n_frames * 3, dtype=float).reshape(-1, 3), index=df.index,
        columns=pd.MultiIndex.from_product(
            [[p.meta.scorer], ["single"], ["cage_corner"], ["x", "y", "likelihood"]],
            names=df.columns.names))
    both = pd.concat([df, uniq], axis=1)
    for ext in (".h5", ".csv"):
        f = tmp_path / f"ma{ext}"
        both.to_hdf(f, key="df_with_missing") if ext == ".h5" else both.to_csv(f)
        q = read_poses(f)
        assert q.individuals == ["m1", "m2", "single"]
        assert q.keypoints == [*DLC_KEYPOINTS, "cage_corner"]
        assert np.isnan(q.coords[:, 2, :4]).all() and np.isnan(q.coords[:, :2, 4]).all()
        np.testing.assert_allclose(q.coords[:, 2, 4, 0], uniq.iloc[:, 0])
        np.testing.assert_allclose(q.coords[:, :2, :4], p.coords, equal_nan=True)
        assert read_poses(f, individual="single").individuals == ["single"]


def test_dlc_any_key_and_tracks_key(tmp_path: Path) -> None:
    p = _poses(individuals=("m1", "m2"))
    f = tmp_path / "videoDLC_el.h5"
    p.to_dataframe().to_hdf(f, key="tracks", format="table", mode="w")
    _assert_same(p, read_poses(f))
    g = tmp_path / "other_key.h5"
    p.to_dataframe().to_hdf(g, key="poses", mode="w")
    _assert_same(p, read_poses(g))
    _assert_same(p, read_poses(g, key="poses"))


@pytest.mark.parametrize("new_index", [False, True])
@pytest.mark.parametrize("ext", [".h5", ".csv"])
def test_labelled_data(tmp_path: Path, new_index: bool, ext: str) -> None:
    p = _poses()
    df = p.to_dataframe(scorer="Alice", likelihood=False)
    imgs = [f"img{i:04d}.png" for i in range(p.n_frames)]
    df.index = (pd.MultiIndex.from_tuples([("labeled-data", "vid", i) for i in imgs])
                if new_index else pd.Index([f"labeled-data/vid/{i}" for i in imgs]))
    f = tmp_path / f"CollectedData_Alice{ext}"
    df.to_hdf(f, key="df_with_missing", mode="w") if ext == ".h5" else df.to_csv(f)
    q = read_poses(f)
    assert q.meta.source_format == "dlc-labels"
    assert q.meta.scorer == "Alice"
    np.testing.assert_allclose(q.coords, p.coords, equal_nan=True)
    assert q.meta.extra["image_paths"][0] == "labeled-data/vid/img0000.png"
    assert np.nanmax(q.confidence) == 1.0


def test_labelled_data_frame_size_from_the_project(tmp_path: Path) -> None:
    """A labelled-data folder without its images takes the frames' size from its project's
    config.yaml (the crop of the video the folder is named after); the images, where they
    are beside it, come first; a config given with --config serves the same."""
    import cv2

    project = tmp_path / "proj"
    folder = project / "labeled-data" / "session1"
    folder.mkdir(parents=True)
    (project / "config.yaml").write_text(
        "Task: t\nscorer: Alice\nbodyparts:\n- snout\nvideo_sets:\n"
        "  C:\\videos\\session1.mp4:\n    crop: 0, 1440, 0, 1080\n"
        "  /data/session2.avi:\n    crop: 100, 740, 20, 500\n"
        "  /data/broken.avi:\n    crop: none\n", encoding="utf-8")
    cfg = read_dlc_config(project)
    assert cfg.frame_size("session1") == (1440, 1080)
    assert cfg.frame_size("session2") == (640, 480)
    assert cfg.frame_size("broken") is None and cfg.frame_size("other") is None
    p = _poses()
    df = p.to_dataframe(scorer="Alice", likelihood=False)
    imgs = [f"img{i:04d}.png" for i in range(p.n_frames)]
    df.index = pd.MultiIndex.from_tuples([("labeled-data", "session1", i) for i in imgs])
    f = folder / "CollectedData_Alice.csv"
    df.to_csv(f)
    q = read_poses(f)
    assert q.meta.image_size == (1440, 1080)
    assert "config.yaml" in q.meta.extra["image_size_from"]
    assert read_poses(f, config=project / "config.yaml").meta.image_size == (1440, 1080)
    # outside a project: unknown, as before
    alone = tmp_path / "CollectedData_Alice.csv"
    df.to_csv(alone)
    assert read_poses(alone).meta.image_size is None
    # the images beside the labels win
    cv2.imwrite(str(folder / imgs[0]), np.zeros((300, 400), np.uint8))
    assert read_poses(f).meta.image_size == (400, 300)


# ------------------------------------------------------------------------------- DLC 3D
@pytest.mark.parametrize("individuals", [("individual0",), ("m1", "m2")])
def test_write_dlc_3d_round_trip(tmp_path: Path, individuals: tuple[str, ...]) -> None:
    p = _poses(dim=3, individuals=individuals)
    p.meta.extra["imputed"] = np.zeros(p.confidence.shape, bool)
    out = write_dlc_3d(p, tmp_path / "a_lifted3d.h5", save_as_csv=True,
                       meta={"camera": {"fx": 500.0}})
    df = pd.read_hdf(out)  # no key, like DLC's readers
    levels = ["scorer", "bodyparts", "coords"] if len(individuals) == 1 else [
        "scorer", "individuals", "bodyparts", "coords"]
    assert list(df.columns.names) == levels
    assert set(df.columns.get_level_values("coords")) == {"x", "y", "z"}
    assert (df.dtypes == np.float64).all() and df.index.dtype == np.int64
    with pd.HDFStore(out, "r") as store:
        assert store.keys() == ["/df_with_missing"]
        assert store.get_storer("df_with_missing").format_type == "table"
    q = read_poses(out)
    _assert_same(p, q)
    assert q.meta.units == "mm" and q.meta.frame == "world"
    np.testing.assert_allclose(read_lifted_likelihood(out), p.confidence, equal_nan=True)
    import h5py

    with h5py.File(out, "r") as fh:  # each dataset says what it holds; no 'mm' likelihood
        for name in ("likelihood", "imputed"):
            attrs = fh[name].attrs
            assert "units" not in attrs and attrs["description"]
            assert list(attrs["keypoints"]) == list(p.keypoints)
        assert fh["likelihood"].attrs["coords_units"] == "mm"
    with h5py.File(out, "a") as fh:
        del fh["likelihood"].attrs["coords_units"], fh["likelihood"].attrs["coords_frame"]
        fh["likelihood"].attrs["units"] = "m"  # as files before 2026-12 named them
        fh["likelihood"].attrs["frame"] = "world"
    assert read_poses(out).meta.units == "m"
    write_dlc_3d(p, out, save_as_csv=True, overwrite=True, meta={"camera": {"fx": 500.0}})
    _assert_same(p, read_poses(out.with_suffix(".csv")), conf=False)
    p.meta.frame = "camera-floor"  # the csv's frame comes from the meta pickle beside it
    write_dlc_3d(p, tmp_path / "b_lifted3d.h5", save_as_csv=True)
    assert read_poses(tmp_path / "b_lifted3d.csv").meta.frame == "camera-floor"
    with open(tmp_path / "a_lifted3d_meta.pickle", "rb") as fh:
        meta = pickle.load(fh)["data"]
    assert meta["units"] == "mm" and meta["camera"] == {"fx": 500.0}
    assert meta["bodyparts"] == DLC_KEYPOINTS and "dlc_lifter_version" in meta


def test_lifted_output_path() -> None:
    stem = "m3v1mp4DLC_resnet50_openfieldAug20shuffle1_30000"
    # an analyze_videos output's lift goes into lifted3d/: DeepLabCut 2.2-3.0 read the
    # first '<video><scorer>*.h5' the folder lists as that video's 2D poses
    assert lifted_output_path(f"/d/{stem}.h5") == Path(f"/d/lifted3d/{stem}_lifted3d.h5")
    assert lifted_output_path(f"/d/{stem}_filtered.h5").name == f"{stem}_filtered_lifted3d.h5"
    assert lifted_output_path(f"/d/{stem}.csv", "/d").parent == Path("/d/lifted3d")
    assert lifted_output_path(f"/d/{stem}.h5", "/o") == Path(f"/o/{stem}_lifted3d.h5")
    assert lifted_output_path("/d/clip.predictions.slp").name == "clip.predictions_lifted3d.h5"
    assert lifted_output_path("/d/x.nwb", destfolder="/o") == Path("/o/x_lifted3d.h5")
    assert lifted_output_path("/d/x.nwb", suffix=".nwb").name == "x_lifted3d.nwb"
    # beside DeepLabCut's labels, never a name its tools take for them (CollectedData*.h5)
    labels = "/p/labeled-data/m4s1/CollectedData_Pranav.h5"
    assert lifted_output_path(labels) == Path(
        "/p/labeled-data/m4s1/m4s1_CollectedData_Pranav_lifted3d.h5")
    assert lifted_output_path(labels, "/p/labeled-data/m4s1").name.startswith("m4s1_")
    assert lifted_output_path(labels, "/o") == Path("/o/CollectedData_Pranav_lifted3d.h5")


# ------------------------------------------------------------------------------- SLEAP
def _slp(path: Path, *, predicted: bool, tracked: bool) -> tuple[np.ndarray, np.ndarray]:
    import sleap_io as sio

    rng = np.random.default_rng(1)
    sk = sio.Skeleton(nodes=list(DLC_KEYPOINTS), edges=[(0, 1), (0, 2), (1, 3)])
    video = sio.Video(filename="video.mp4", open_backend=False)
    tracks = [sio.Track("female"), sio.Track("male")] if tracked else []
    xy = rng.uniform(0, 200, (5, 2, 4, 2))
    xy[1, 0, 2] = np.nan
    sc = rng.uniform(0.1, 1, (5, 2, 4))
    lfs = []
    for f in range(5):
        insts = []
        for i in range(2):
            kw = {"track": tracks[i]} if tracked else {}
            if predicted:
                insts.append(sio.PredictedInstance.from_numpy(
                    xy[f, i], skeleton=sk, point_scores=sc[f, i], score=0.9, **kw))
            else:
                insts.append(sio.Instance.from_numpy(xy[f, i], skeleton=sk, **kw))
        lfs.append(sio.LabeledFrame(video=video, frame_idx=2 * f, instances=insts))
    sio.save_slp(sio.Labels(labeled_frames=lfs, videos=[video], skeletons=[sk],
                            tracks=tracks), str(path))
    return xy, sc


def test_empty_tracks_are_no_animals(tmp_path: Path) -> None:
    """A project whose track list holds tracks no instance uses (deleted in SLEAP, or
    another video's): only the tracks with instances become individuals."""
    import sleap_io as sio

    f = tmp_path / "t.slp"
    xy, _ = _slp(f, predicted=True, tracked=True)
    labels = sio.load_slp(str(f))
    labels.tracks[:] = [sio.Track("ghost"), *labels.tracks, sio.Track("old")]
    sio.save_slp(labels, str(tmp_path / "u.slp"))
    q = read_poses(tmp_path / "u.slp")
    assert list(q.individuals) == ["female", "male"]
    np.testing.assert_allclose(q.coords[0, 1], xy[0, 1])


def test_untracked_slots_filled_in_few_frames_are_warned_of(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A labels project of two untracked mice with one frame of four duplicate
    predictions: read with four individuals (as it holds them), and warned of."""
    import sleap_io as sio

    sk = sio.Skeleton(nodes=list(DLC_KEYPOINTS))
    video = sio.Video(filename="video.mp4", open_backend=False)
    rng = np.random.default_rng(4)
    lfs = [sio.LabeledFrame(video=video, frame_idx=f, instances=[
        sio.PredictedInstance.from_numpy(rng.uniform(0, 200, (4, 2)), skeleton=sk,
                                         point_scores=np.ones(4), score=0.9)
        for _ in range(4 if f == 7 else 2)]) for f in range(20)]
    path = tmp_path / "labels.v003.slp"
    sio.save_slp(sio.Labels(labeled_frames=lfs, videos=[video], skeletons=[sk]), str(path))
    with caplog.at_level("WARNING", logger="dlc_lifter"):
        p = read_poses(path)
    assert p.n_individuals == 4
    assert "untracked instances fill untracked2, untracked3 in only 1, 1 of 20 frames" in (
        caplog.text)


@pytest.mark.parametrize(("predicted", "tracked"), [(True, True), (False, True), (True, False)])
def test_slp_round_trip(tmp_path: Path, predicted: bool, tracked: bool) -> None:
    f = tmp_path / "clip.predictions.slp"
    xy, sc = _slp(f, predicted=predicted, tracked=tracked)
    q = read_poses(f)
    assert q.meta.source_format == "sleap-slp"
    assert q.keypoints == DLC_KEYPOINTS
    assert q.individuals == (["female", "male"] if tracked else ["untracked0", "untracked1"])
    np.testing.assert_allclose(q.coords, xy, equal_nan=True)
    np.testing.assert_array_equal(q.frame_indices, [0, 2, 4, 6, 8])
    expected_conf = np.where(np.isnan(xy[..., 0]), np.nan, sc if predicted else 1.0)
    np.testing.assert_allclose(q.confidence, expected_conf, equal_nan=True)
    assert ("snout", "leftear") in q.meta.extra["skeleton_edges"]


def test_sleap_analysis_h5(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    tracks = rng.uniform(0, 100, (2, 2, 4, 7))  # (tracks, xy, nodes, frames)
    tracks[0, :, 1, 3] = np.nan
    scores = rng.uniform(0, 1, (2, 4, 7))
    f = tmp_path / "clip.analysis.h5"
    with h5py.File(f, "w") as fh:
        fh["tracks"] = tracks
        fh["point_scores"] = scores
        fh["node_names"] = np.array([k.encode() for k in DLC_KEYPOINTS])
        fh["track_names"] = np.array([b"a", b"b"])
        fh["video_path"] = "video.mp4"
    q = read_poses(f)
    assert q.meta.source_format == "sleap-h5"
    assert q.individuals == ["a", "b"] and q.keypoints == DLC_KEYPOINTS
    np.testing.assert_allclose(q.coords, np.transpose(tracks, (3, 0, 2, 1)), equal_nan=True)
    assert np.isnan(q.confidence[3, 0, 1])
    np.testing.assert_allclose(q.confidence[0, 1], scores[1, :, 0])


def test_sleap_3d_writers_round_trip(tmp_path: Path) -> None:
    p = _poses(dim=3, individuals=("female", "male"))
    p.meta.extra["skeleton_edges"] = [("snout", "leftear")]
    h5 = write_sleap_analysis_3d(p, tmp_path / "x_lifted3d.analysis.h5")
    with h5py.File(h5) as fh:
        assert fh["tracks"].shape == (2, 3, 4, p.n_frames)
    _assert_same(p, read_poses(h5))
    p2 = _poses(dim=2, individuals=("female", "male"))
    slp = write_slp_3d(p, tmp_path / "x_lifted3d.slp", poses2d=p2)
    q = read_poses(slp)
    _assert_same(p, q)
    assert q.is_3d and q.meta.units == "mm"


# ------------------------------------------------------------------------------- NWB
@pytest.mark.parametrize("individuals", [("individual0",), ("m1", "m2")])
@pytest.mark.parametrize("fps", [None, 30.0])
def test_nwb_3d_round_trip(tmp_path: Path, individuals: tuple[str, ...],
                           fps: float | None) -> None:
    p = _poses(dim=3, individuals=individuals)
    p.meta.fps = fps
    out = write_nwb_3d(p, tmp_path / "x_lifted3d.nwb", skeleton_edges=[("snout", "tailbase")])
    q = read_poses(out)
    _assert_same(p, q)
    assert q.meta.source_format == "nwb" and q.meta.units == "mm" and q.meta.frame == "world"
    assert q.meta.fps == fps
    assert q.meta.extra["skeleton_edges"] == [("snout", "tailbase")]
    from ndx_pose import PoseEstimation
    from pynwb import NWBHDF5IO

    with NWBHDF5IO(str(out), "r", load_namespaces=True) as io:
        nwb = io.read()
        pes = [o for o in nwb.processing["behavior"].data_interfaces.values()
               if isinstance(o, PoseEstimation)]
        assert len(pes) == len(individuals)
        s = pes[0].pose_estimation_series["snout"]
        assert s.data.shape == (p.n_frames, 3) and s.unit == "millimeters"
        assert list(pes[0].skeleton.nodes[:]) == DLC_KEYPOINTS


def test_nwb_2d_written_like_dlc2nwb(tmp_path: Path) -> None:
    """DLC2NWB names series '<individual>_<bodypart>' and writes frame-number timestamps."""
    from datetime import datetime, timezone

    from ndx_pose import PoseEstimation, PoseEstimationSeries, Skeleton, Skeletons
    from pynwb import NWBHDF5IO, NWBFile

    p = _poses(dim=2)
    nwb = NWBFile(session_description="s", identifier="i",
                  session_start_time=datetime.now(timezone.utc))
    mod = nwb.create_processing_module("behavior", "b")
    names = [f"ind1_{k}" for k in DLC_KEYPOINTS]
    sk = Skeleton(name="subject", nodes=names, edges=np.array([[0, 1]], dtype=np.uint8))
    mod.add(Skeletons(skeletons=[sk]))
    series = [PoseEstimationSeries(name=n, data=p.coords[:, 0, k], unit="pixels",
                                   reference_frame="(0,0) top left",
                                   timestamps=p.frame_indices.astype(float),
                                   confidence=p.confidence[:, 0, k])
              for k, n in enumerate(names)]
    mod.add(PoseEstimation(pose_estimation_series=series, scorer="DLC_x",
                           source_software="DeepLabCut", skeleton=sk))
    f = tmp_path / "x.nwb"
    with NWBHDF5IO(str(f), "w") as io:
        io.write(nwb)
    q = read_poses(f)
    _assert_same(p, q)
    assert q.meta.fps is None and q.meta.scorer == "DLC_x"


@pytest.mark.parametrize("rate", [1.0, 25.0])
def test_nwb_rate_of_one_per_second_is_read_as_unknown(
        tmp_path: Path, rate: float, caplog: pytest.LogCaptureFixture) -> None:
    """sleap-io's NWB export writes rate 1.0 where it does not know the rate: read as
    unknown (warned), not as 1 fps; a real rate is read as it is."""
    from datetime import datetime, timezone

    from ndx_pose import PoseEstimation, PoseEstimationSeries, Skeleton, Skeletons
    from pynwb import NWBHDF5IO, NWBFile

    p = _poses(dim=2)
    nwb = NWBFile(session_description="s", identifier="i",
                  session_start_time=datetime.now(timezone.utc))
    mod = nwb.create_processing_module("behavior", "b")
    sk = Skeleton(name="subject", nodes=DLC_KEYPOINTS, edges=np.zeros((0, 2), np.uint8))
    mod.add(Skeletons(skeletons=[sk]))
    series = [PoseEstimationSeries(name=n, data=p.coords[:, 0, k], unit="pixels",
                                   reference_frame="top left", rate=rate, starting_time=0.0,
                                   confidence=p.confidence[:, 0, k])
              for k, n in enumerate(DLC_KEYPOINTS)]
    mod.add(PoseEstimation(pose_estimation_series=series, source_software="SLEAP",
                           skeleton=sk))
    f = tmp_path / "sio.nwb"
    with NWBHDF5IO(str(f), "w") as io:
        io.write(nwb)
    with caplog.at_level("WARNING"):
        q = read_poses(f)
    assert q.meta.fps == (None if rate == 1.0 else rate)
    assert ("a rate of 1 frame per second" in caplog.text) == (rate == 1.0)


@pytest.mark.parametrize(("dims", "size"), [((640, 480), (640, 480)),   # ndx-pose's order
                                            ((480, 640), (640, 480))])  # height first
def test_nwb_dimensions_are_width_then_height(tmp_path: Path, dims: tuple[int, int],
                                              size: tuple[int, int]) -> None:
    """ndx-pose's ``dimensions`` are "width, height" (DLC2NWB writes them so); where a
    writer put the height first, points beyond the width given say so."""
    import warnings
    from datetime import datetime, timezone

    from ndx_pose import PoseEstimation, PoseEstimationSeries
    from pynwb import NWBHDF5IO, NWBFile

    nwb = NWBFile(session_description="s", identifier="i",
                  session_start_time=datetime.now(timezone.utc))
    mod = nwb.create_processing_module("behavior", "b")
    xy = np.array([[600.0, 400.0], [100.0, 50.0], [300.0, 200.0]])
    series = [PoseEstimationSeries(name=f"kp{k}", data=xy + k, unit="pixels",
                                   reference_frame="(0,0) top left", rate=30.0,
                                   confidence=np.ones(3)) for k in range(2)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dimensions is deprecated in ndx-pose 0.2
        mod.add(PoseEstimation(pose_estimation_series=series, scorer="DLC_x",
                               source_software="DeepLabCut", dimensions=np.array([dims]),
                               original_videos=["v.mp4"]))
    f = tmp_path / "x.nwb"
    with NWBHDF5IO(str(f), "w") as io:
        io.write(nwb)
    assert read_poses(f).meta.image_size == size


def test_nwb_series_with_timestamps_of_their_own(tmp_path: Path) -> None:
    """SLEAP's NWB export gives each node the timestamps of the frames it was found in: the
    series are read on the union of their times (NaN where a node was not found); series
    of 2D and 3D points together are refused, saying so."""
    from datetime import datetime, timezone

    from ndx_pose import PoseEstimation, PoseEstimationSeries
    from pynwb import NWBHDF5IO, NWBFile

    from dlc_lifter.errors import PoseFileError

    p = _poses(dim=2)
    n = p.n_frames
    seen = [np.arange(n), np.arange(n)[np.arange(n) % 3 != 1]]  # the second misses frames

    def write(path: Path, dims: tuple[int, int], seen: list = seen,
              names: tuple[str, ...] = ("PoseEstimation",)) -> Path:
        nwb = NWBFile(session_description="s", identifier="i",
                      session_start_time=datetime.now(timezone.utc))
        mod = nwb.create_processing_module("behavior", "b")
        for name in names:
            series = []
            for k, (rows, dim) in enumerate(zip(seen, dims, strict=True)):
                data = p.coords[rows, 0, k] if dim == 2 else np.c_[p.coords[rows, 0, k],
                                                                    np.zeros(len(rows))]
                series.append(PoseEstimationSeries(
                    name=DLC_KEYPOINTS[k], data=data, unit="pixels",
                    reference_frame="top left", timestamps=rows / 30.0,
                    confidence=p.confidence[rows, 0, k]))
            mod.add(PoseEstimation(name=name, pose_estimation_series=series,
                                   source_software="SLEAP", scorer="{'filename': 'l.slp'}",
                                   original_videos=["C:/Users/lab/videos/mice.mp4"]))
        with NWBHDF5IO(str(path), "w") as io:
            io.write(nwb)
        return path

    q = read_poses(write(tmp_path / "sleap.nwb", (2, 2)))
    assert q.n_frames == n and q.meta.fps == pytest.approx(30.0)
    np.testing.assert_array_equal(q.frame_indices, np.arange(n))
    first, second = (q.keypoints.index(DLC_KEYPOINTS[k]) for k in (0, 1))
    np.testing.assert_allclose(q.coords[:, 0, first], p.coords[:, 0, 0])
    missed = np.arange(n) % 3 == 1
    assert np.isnan(q.coords[missed, 0, second]).all()
    np.testing.assert_allclose(q.coords[~missed, 0, second], p.coords[~missed, 0, 1])
    # as many rows each, of other frames: on the union too
    q = read_poses(write(tmp_path / "shifted.nwb", (2, 2), [np.arange(4), np.arange(2, 6)]))
    assert q.n_frames == n and np.isnan(q.coords[4:, 0, first]).all()
    assert np.isnan(q.coords[:2, 0, second]).all()
    with pytest.raises(PoseFileError, match="all be 2D or all 3D"):
        read_poses(write(tmp_path / "mixed.nwb", (2, 3)))
    # sleap-io names each track's PoseEstimation "track=<track>": the track's name
    tracks = read_poses(write(tmp_path / "tracks.nwb", (2, 2),
                              names=("track=track_0", "track=track_1")))
    assert tracks.individuals == ["track_0", "track_1"]
    # sleap-io's scorer (a dict's text) and Windows video path (C:/..., forward slashes)
    assert tracks.meta.scorer == "SLEAP"
    assert tracks.meta.video == "C:/Users/lab/videos/mice.mp4"  # as written: not here
    (tmp_path / "mice.mp4").write_bytes(b"x")
    assert read_poses(tmp_path / "tracks.nwb").meta.video == str(tmp_path / "mice.mp4")


def _two_video_slp(path: Path) -> np.ndarray:
    """A SLEAP labels project: user instances on frames of two videos (one Windows path)."""
    import sleap_io as sio

    rng = np.random.default_rng(3)
    sk = sio.Skeleton(nodes=list(DLC_KEYPOINTS))
    videos = [sio.Video(filename="C:\\data\\day1.mp4", open_backend=False),
              sio.Video(filename="/data/day2.mp4", open_backend=False),
              sio.Video(filename="/data/unused.mp4", open_backend=False)]
    xy = rng.uniform(0, 200, (2, 4, 4, 2))
    lfs = [sio.LabeledFrame(video=videos[v], frame_idx=10 * f + v,
                            instances=[sio.Instance.from_numpy(xy[v, f], skeleton=sk)])
           for v in range(2) for f in range(4)]
    sio.save_slp(sio.Labels(labeled_frames=lfs, videos=videos, skeletons=[sk]), str(path))
    return xy


def test_slp_of_several_videos_is_read_one_video_at_a_time(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A labels project's .slp holds frames of several videos: by default the first (warned,
    naming them and how to choose), else the one asked for by number, file name or stem;
    one it does not hold is an error that lists them."""
    import logging

    from dlc_lifter.errors import PoseFileError
    from dlc_lifter.io import sleap_video_stem, sleap_videos

    f = tmp_path / "labels.v001.slp"
    xy = _two_video_slp(f)
    assert sleap_videos(f) == ["C:/data/day1.mp4", "/data/day2.mp4"]  # as sleap-io keeps it
    from dlc_lifter.io.sleap import sleap_video_count

    assert sleap_video_count(f) == 2  # from the frame table alone
    one = tmp_path / "one.slp"
    _slp(one, predicted=True, tracked=False)
    assert sleap_video_count(one) == 1
    with caplog.at_level(logging.WARNING):
        first = read_poses(f)
    assert "holds poses for 2 videos (0: C:/data/day1.mp4, 1: /data/day2.mp4)" in caplog.text
    np.testing.assert_allclose(first.coords[:, 0], xy[0])
    for which in (1, "1", "/data/day2.mp4", "day2.mp4", "day2"):
        q = read_poses(f, sleap_video=which)
        np.testing.assert_allclose(q.coords[:, 0], xy[1])
        np.testing.assert_array_equal(q.frame_indices, [1, 11, 21, 31])
    assert sleap_video_stem(f, 0) == "day1" and sleap_video_stem(f, "day2") == "day2"
    with pytest.raises(PoseFileError, match=r"no video 2; its videos with poses are 0: "):
        read_poses(f, sleap_video=2)
    with pytest.raises(PoseFileError, match="no video 'unused'"):
        read_poses(f, sleap_video="unused")
    dlc = tmp_path / "vDLC_resnet50_xJan1shuffle1_100.h5"
    _poses().to_dataframe().to_hdf(dlc, key="df_with_missing")
    with pytest.raises(PoseFileError, match="chooses a video of a SLEAP .slp"):
        read_poses(dlc, sleap_video=0)


def test_a_slp_s_videos_are_listed_without_loading_its_labels(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches plan one job per video and name outputs by video before any lift: the
    videos with frames come from the file's video and frame tables alone, as sleap-io
    would list them (a Windows path SLEAP wrote with backslashes too)."""
    import json

    import h5py

    import dlc_lifter.io.sleap as sleap_module
    from dlc_lifter.io import sleap_video_stem, sleap_videos

    f = tmp_path / "labels.v001.slp"
    _two_video_slp(f)
    with h5py.File(f, "r+") as fh:  # as SLEAP on Windows writes it
        videos = [json.loads(v) for v in fh["videos_json"][:]]
        videos[0]["backend"]["filename"] = "C:\\data\\day1.mp4"
        del fh["videos_json"]
        fh["videos_json"] = [json.dumps(v).encode() for v in videos]
    expected = [sleap_module._video_name(v)
                for v in sleap_module._videos_used(sleap_module._load_labels(f))]
    assert expected == ["C:/data/day1.mp4", "/data/day2.mp4"]

    def no_load(path: Path) -> None:
        raise AssertionError(f"{path}: labels loaded")

    with monkeypatch.context() as m:
        m.setattr(sleap_module, "_load_labels", no_load)
        assert sleap_videos(f) == expected
        assert sleap_video_stem(f, 0) == "day1" and sleap_video_stem(f, "day2") == "day2"


def test_lightning_pose_predictions_with_their_set_column(tmp_path: Path) -> None:
    """Lightning Pose's ``predictions.csv`` of labelled frames ends with a column ``set``
    (train / val / test) that names no bodypart: left out, not a broken header."""
    p = _poses(dim=2)
    df = p.to_dataframe(scorer="heatmap_tracker")
    df.index = [f"labeled-data/v/img{i:04d}.png" for i in range(len(df))]
    df[("set", "", "")] = "train"
    f = tmp_path / "predictions.csv"
    df.to_csv(f)
    q = read_poses(f)
    assert list(q.keypoints) == list(p.keypoints) and q.stills
    np.testing.assert_allclose(q.coords, p.coords)


def test_long_csv_writes_are_said_and_nwb_series_compressed(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """An hour's features or 3D written as csv takes a minute, said before it starts (was
    silent); an NWB's series are stored compressed (gzip, shuffled: an hour of 3D was
    135 MB uncompressed) and read back the same."""
    import logging

    from dlc_lifter.io._common import LONG_CSV_CELLS
    from dlc_lifter.io.features_table import write_features_table

    rows = LONG_CSV_CELLS // 10 + 1
    table = pd.DataFrame(np.zeros((rows, 10)), columns=[f"f{i}" for i in range(10)])
    with caplog.at_level(logging.INFO):
        write_features_table(table, tmp_path / "long.csv", "csv")
        write_features_table(table.iloc[:10], tmp_path / "short.csv", "csv")
    said = [r.getMessage() for r in caplog.records if "takes a while" in r.getMessage()]
    assert len(said) == 1 and f"Writing {rows} rows of 10 features" in said[0]
    rng = np.random.default_rng(0)
    p3 = Poses(coords=rng.normal(size=(50, 1, 3, 3)), confidence=np.ones((50, 1, 3)),
               keypoints=["snout", "leftear", "rightear"])
    p3.meta.units, p3.meta.frame, p3.meta.fps = "mm", "world", 30.0
    out = write_nwb_3d(p3, tmp_path / "m.nwb")
    with h5py.File(out, "r") as fh:
        found: list[str | None] = []
        fh.visititems(lambda name, obj: found.append(obj.compression) if isinstance(
            obj, h5py.Dataset) and name.endswith("snout/data") else None)
    assert found == ["gzip"]
    np.testing.assert_allclose(read_poses(out).coords, p3.coords)
