"""SLEAP-native 3D outputs: sleap-anipose's ``points3d.h5`` and 3D ``.slp``.

Each file is checked with the real readers (h5py as sleap-anipose reads ``points3d.h5``,
``sleap_io.load_slp`` for ``.slp``), then read back by dlc-lifter.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from dlc_lifter.errors import OutputExistsError, PoseFileError
from dlc_lifter.io import (
    detect_format,
    read_points3d,
    read_poses,
    read_sleap_analysis_h5,
    write_points3d,
    write_slp_3d,
)
from dlc_lifter.io.sleap import POINTS3D_DESCRIPTION, is_sleap_analysis_h5
from dlc_lifter.poses import PoseMetadata, Poses
from tests.fixtures.realdata import SLEAP_SESSION, needs_realdata
from tests.fixtures.toys import random_poses, write_labels_package

KPS = ["nose", "left_ear", "right_ear", "tail_base"]
NAN_AT = (2, 1, 3)  # frame row, individual, keypoint


def _poses3d(frame_indices: tuple[int, ...] = (10, 11, 12, 13, 14)) -> Poses:
    meta = PoseMetadata(source="synthetic", source_format="lifted", scorer="dlc_lifter",
                        fps=30.0, frame="world", units="mm",
                        extra={"skeleton_edges": [("nose", "left_ear"), ("nose", "right_ear")]})
    return random_poses(5, ["m1", "m2"], KPS, 3, seed=7, coord_range=(-250.0, 250.0),
                        conf_range=(0.2, 1.0), nan_at=[NAN_AT], frame_indices=frame_indices,
                        meta=meta)


def _assert_same(p: Poses, q: Poses) -> None:
    assert q.keypoints == p.keypoints and q.individuals == p.individuals
    np.testing.assert_allclose(q.coords, p.coords, atol=1e-6, equal_nan=True)
    np.testing.assert_allclose(q.confidence, p.confidence, atol=1e-6, equal_nan=True)
    np.testing.assert_array_equal(q.frame_indices, p.frame_indices)


# ------------------------------------------------------------------------ points3d.h5
def test_points3d_layout_read_with_h5py(tmp_path: Path) -> None:
    p = _poses3d()
    out = write_points3d(p, tmp_path / "points3d.h5")
    assert out == tmp_path / "points3d.h5"
    assert [f.name for f in tmp_path.iterdir()] == ["points3d.h5"]  # no temp file left
    with h5py.File(out, "r") as fh:
        tracks = fh["tracks"][:]  # what sleap-anipose's readers do
        assert tracks.shape == (5, 2, 4, 3) and tracks.dtype == np.float64
        assert fh["tracks"].attrs["Description"] == POINTS3D_DESCRIPTION
        assert fh["tracks"].attrs["units"] == "mm"
        assert fh["tracks"].compression == "gzip"
        np.testing.assert_array_equal(tracks, p.coords)  # same axis order, NaN kept
        assert np.isnan(tracks[NAN_AT]).all() and np.isfinite(tracks).sum() == 5 * 2 * 4 * 3 - 3
        assert [n.decode() for n in fh["node_names"][:]] == KPS
        assert [n.decode() for n in fh["track_names"][:]] == ["m1", "m2"]
        np.testing.assert_array_equal(fh["frame_indices"][:], [10, 11, 12, 13, 14])
        np.testing.assert_array_equal(fh["frames"][:], [10, 15])  # sleap-anipose's range
        np.testing.assert_array_equal(fh["edge_inds"][:], [[0, 1], [0, 2]])
        scores = fh["point_scores"][:]
        assert scores.shape == (5, 2, 4) and np.isnan(scores[NAN_AT])
        np.testing.assert_allclose(scores, p.confidence, equal_nan=True)
        assert "track_occupancy" not in fh  # would make sleap-io call it an analysis file
        assert fh.attrs["units"] == "mm" and fh.attrs["coordinate_frame"] == "world"
        assert fh.attrs["fps"] == 30.0 and fh.attrs["writer"] == "dlc_lifter"


def test_points3d_round_trip(tmp_path: Path) -> None:
    p = _poses3d()
    out = write_points3d(p, tmp_path / "points3d.h5")
    q = read_points3d(out)
    _assert_same(p, q)
    assert q.meta.units == "mm" and q.meta.frame == "world" and q.meta.fps == 30.0
    assert q.meta.source_format == "sleap-points3d"
    assert q.meta.extra["skeleton_edges"] == [("nose", "left_ear"), ("nose", "right_ear")]
    assert detect_format(out) == "sleap-points3d"
    assert not is_sleap_analysis_h5(out)
    r = read_poses(out)
    _assert_same(p, r)
    assert r.is_3d and r.meta.source_format == "sleap-points3d"
    with pytest.raises(PoseFileError, match="read_points3d"):
        read_sleap_analysis_h5(out)


def test_points3d_skipped_frames(tmp_path: Path) -> None:
    p = _poses3d(frame_indices=(0, 2, 4, 6, 9))
    out = write_points3d(p, tmp_path / "points3d.h5")
    with h5py.File(out, "r") as fh:
        assert "frames" not in fh  # not a range
        np.testing.assert_array_equal(fh["frame_indices"][:], [0, 2, 4, 6, 9])
    _assert_same(p, read_points3d(out))


def test_points3d_overwrite_and_bad_input(tmp_path: Path) -> None:
    p = _poses3d()
    out = write_points3d(p, tmp_path / "points3d.h5")
    with pytest.raises(OutputExistsError):
        write_points3d(p, out)
    q = p.with_coords(p.coords + 1.0)
    write_points3d(q, out, overwrite=True)
    np.testing.assert_allclose(read_points3d(out).coords, q.coords, equal_nan=True)
    flat = Poses(coords=p.coords[..., :2], keypoints=KPS, individuals=["m1", "m2"])
    with pytest.raises(ValueError, match="3D"):
        write_points3d(flat, tmp_path / "flat.h5")
    px = p.with_coords(p.coords, units="px")
    with pytest.raises(ValueError, match="millimetres"):
        write_points3d(px, tmp_path / "px.h5")
    assert sorted(f.name for f in tmp_path.iterdir()) == ["points3d.h5"]


def test_points3d_plain_sleap_anipose_file(tmp_path: Path) -> None:
    """A file with only ``tracks`` (as sleap-anipose writes it) reads with default names."""
    coords = _poses3d().coords
    f = tmp_path / "points3d.h5"
    with h5py.File(f, "w") as fh:
        fh.create_dataset("tracks", data=coords, chunks=True, compression="gzip",
                          compression_opts=1)
        fh["tracks"].attrs["Description"] = POINTS3D_DESCRIPTION
        fh["frames"] = (3, 8)
    q = read_poses(f)
    assert q.keypoints == ["kp0", "kp1", "kp2", "kp3"]
    assert q.individuals == ["untracked0", "untracked1"]
    np.testing.assert_array_equal(q.frame_indices, [3, 4, 5, 6, 7])
    np.testing.assert_allclose(q.coords, coords, equal_nan=True)
    assert np.isnan(q.confidence[NAN_AT]) and np.nanmin(q.confidence) == 1.0


# ------------------------------------------------------------------------------- .slp
@pytest.mark.parametrize("with_2d", [False, True])
def test_slp_3d_reopens_with_sleap_io(tmp_path: Path, with_2d: bool) -> None:
    import sleap_io as sio

    p = _poses3d()
    p2 = None
    if with_2d:
        xy = np.random.default_rng(3).uniform(0, 640, (5, 2, 4, 2))
        p2 = Poses(coords=xy, keypoints=KPS, individuals=["m1", "m2"],
                   frame_indices=p.frame_indices)
    out = write_slp_3d(p, tmp_path / "x_lifted3d.slp", poses2d=p2)
    labels = sio.load_slp(str(out), open_videos=False)
    assert len(labels.sessions) == 1
    session = labels.sessions[0]
    assert sorted(session.frame_groups) == [10, 11, 12, 13, 14]
    assert labels.skeletons[0].node_names == KPS
    for row, frame_idx in enumerate(p.frame_indices):
        fg = session.frame_groups[int(frame_idx)]
        assert [ig.identity.name for ig in fg.instance_groups] == ["m1", "m2"]
        for i, ig in enumerate(fg.instance_groups):
            inst = ig.instance_3d
            assert isinstance(inst, sio.PredictedInstance3D)
            np.testing.assert_allclose(inst.points, p.coords[row, i], atol=1e-6,
                                       equal_nan=True)
            np.testing.assert_allclose(inst.point_scores, p.confidence[row, i], atol=1e-6,
                                       equal_nan=True)
    assert np.isnan(session.frame_groups[12].instance_groups[1].instance_3d.points[3]).all()
    q = read_poses(out)
    _assert_same(p, q)
    assert q.is_3d and q.meta.units == "mm" and q.meta.fps == 30.0


def test_slp_3d_has_an_instance_only_where_its_track_has_a_pose(tmp_path: Path) -> None:
    """A track that starts late, or a frame with no animal, carries no instance (2D or 3D):
    sleap-io's track occupancy is the input's, and the file reads back as written."""
    import h5py
    import sleap_io as sio

    p = _poses3d()
    p.coords[:2, 0] = np.nan  # m1 starts at the third frame
    p.coords[3] = np.nan  # nobody in the fourth
    p.confidence[np.isnan(p.coords).all(-1)] = np.nan
    xy = np.where(np.isnan(p.coords[..., :2]), np.nan, 100.0)
    p2 = Poses(coords=xy, keypoints=KPS, individuals=["m1", "m2"], frame_indices=p.frame_indices)
    out = write_slp_3d(p, tmp_path / "x_lifted3d.slp", poses2d=p2)
    labels = sio.load_slp(str(out), open_videos=False)
    assert [len(lf.instances) for lf in labels.labeled_frames] == [1, 1, 2, 0, 2]
    assert sum(len(fg.instance_groups) for fg in labels.sessions[0].frame_groups.values()) == 6
    sio.save_analysis_h5(labels, str(tmp_path / "x.analysis.h5"))
    with h5py.File(tmp_path / "x.analysis.h5") as fh:
        assert fh["track_occupancy"][:].sum(0).tolist() == [2, 4]
    _assert_same(p, read_poses(out))


def _tracked_and_untracked_slp(path: Path) -> None:
    """Frames 0-5: track ``m1`` in frames 0-3, untracked instances (one, two in frame 4)."""
    import sleap_io as sio

    sk = sio.Skeleton(nodes=list(KPS))  # sleap-io turns the list into Nodes in place
    video = sio.Video(filename="video.mp4", open_backend=False)
    m1 = sio.Track("m1")
    rng = np.random.default_rng(3)
    lfs = []
    for f in range(6):
        insts = [sio.PredictedInstance.from_numpy(
            rng.uniform(0, 200, (4, 2)), skeleton=sk, point_scores=np.ones(4), score=0.9,
            track=m1)] if f < 4 else []
        insts += [sio.PredictedInstance.from_numpy(
            rng.uniform(0, 200, (4, 2)), skeleton=sk, point_scores=np.ones(4), score=0.9)
            for _ in range(2 if f == 4 else 1)]
        lfs.append(sio.LabeledFrame(video=video, frame_idx=f, instances=insts))
    sio.save_slp(sio.Labels(labeled_frames=lfs, videos=[video], skeletons=[sk], tracks=[m1]),
                 str(path))


def test_slp_3d_keeps_untracked_instances_untracked(tmp_path: Path) -> None:
    """Untracked instances of the input .slp come back untracked (no track, no identity),
    not as a made-up track named after the slot; the tracked one keeps its track, with instances
    only where it has a pose. The file reads back as written."""
    import sleap_io as sio

    src = tmp_path / "in.slp"
    _tracked_and_untracked_slp(src)
    p2 = read_poses(src)
    assert p2.individuals == ["m1", "untracked0", "untracked1"]
    assert p2.meta.extra["untracked_individuals"] == ["untracked0", "untracked1"]
    rng = np.random.default_rng(5)
    p3 = Poses(coords=np.where(np.isnan(p2.coords[..., :1]), np.nan,
                               rng.uniform(-100, 100, (*p2.coords.shape[:3], 3))),
               confidence=p2.confidence, keypoints=KPS, individuals=list(p2.individuals),
               frame_indices=p2.frame_indices,
               meta=PoseMetadata(frame="world", units="mm", extra=dict(p2.meta.extra)))
    out = write_slp_3d(p3, tmp_path / "in_lifted3d.slp", poses2d=p2)
    labels = sio.load_slp(str(out), open_videos=False)
    assert [t.name for t in labels.tracks] == ["m1"]
    assert [[None if i.track is None else i.track.name for i in lf.instances]
            for lf in labels.labeled_frames] == [
        ["m1", None], ["m1", None], ["m1", None], ["m1", None], [None, None], [None]]
    groups = [[None if ig.identity is None else ig.identity.name for ig in fg.instance_groups]
              for fg in labels.sessions[0].frame_groups.values()]
    assert groups[0] == ["m1", None] and groups[4] == [None, None]
    q = read_poses(out)
    _assert_same(p3, q)
    assert q.meta.extra["untracked_individuals"] == ["untracked0", "untracked1"]
    # written again from what it read (the 3D file's own record), still untracked
    again = write_slp_3d(q, tmp_path / "again.slp")
    assert [t.name for t in sio.load_slp(str(again), open_videos=False).tracks] == ["m1"]


def test_slp_3d_of_one_untracked_animal_has_no_track(tmp_path: Path) -> None:
    """A file of untracked instances, one per frame (``individual0``), has no track in
    the 3D .slp either."""
    import sleap_io as sio

    p = _poses3d()
    p3 = Poses(coords=p.coords[:, :1], confidence=p.confidence[:, :1], keypoints=KPS,
               individuals=["individual0"], frame_indices=p.frame_indices, meta=p.meta)
    p3.meta.extra["untracked_individuals"] = ["individual0"]
    labels = sio.load_slp(str(write_slp_3d(p3, tmp_path / "one.slp")), open_videos=False)
    assert labels.tracks == []
    assert all(i.track is None for lf in labels.labeled_frames for i in lf.instances)
    assert read_poses(tmp_path / "one.slp").individuals == ["individual0"]


def test_slp_3d_leaves_out_edges_to_keypoints_not_lifted(tmp_path: Path) -> None:
    """A 2D skeleton's edge to a node the lift did not map (it is not in the 3D poses) is
    left out of the 3D file's skeleton; writing it failed ('torso' is not in list)."""
    import sleap_io as sio

    p = _poses3d()
    p.meta.extra["skeleton_edges"] = [("nose", "antenna"), ("nose", "tail_base"),
                                      ("antenna", "tail_base")]
    out = write_slp_3d(p, tmp_path / "x_lifted3d.slp")
    sk = sio.load_slp(str(out), open_videos=False).skeletons[0]
    assert sk.node_names == KPS
    assert [(e.source.name, e.destination.name) for e in sk.edges] == [("nose", "tail_base")]


# --------------------------------------------------------------------------- real data
@pytest.mark.realdata
@needs_realdata(SLEAP_SESSION)
def test_points3d_matches_real_sleap_anipose_layout(tmp_path: Path) -> None:
    real = SLEAP_SESSION / "points3d.h5"
    with h5py.File(real, "r") as fh:
        assert list(fh.keys()) == ["tracks"]
        ref = fh["tracks"]
        ref_shape, ref_dtype, ref_chunks = ref.shape, ref.dtype, ref.chunks is not None
        ref_desc = ref.attrs["Description"]
        ref_tracks = ref[:]
    assert ref_shape == (120, 1, 15, 3) and ref_desc == POINTS3D_DESCRIPTION

    poses = read_poses(real)  # names come from the session's analysis file
    assert poses.meta.source_format == "sleap-points3d"
    assert poses.keypoints[:3] == ["Nose", "Ear_R", "Ear_L"] and poses.n_keypoints == 15
    np.testing.assert_array_equal(poses.coords, ref_tracks)

    out = write_points3d(poses, tmp_path / "points3d.h5")
    with h5py.File(out, "r") as fh:
        ours = fh["tracks"]
        assert ours.shape == ref_shape and ours.ndim == 4
        assert ours.dtype.kind == ref_dtype.kind == "f" and ours.dtype == ref_dtype
        assert (ours.chunks is not None) == ref_chunks
        assert ours.attrs["Description"] == ref_desc
        np.testing.assert_array_equal(ours[:], ref_tracks)  # same axis order
        assert [n.decode() for n in fh["node_names"][:]] == poses.keypoints
    again = read_points3d(out)
    np.testing.assert_array_equal(again.coords, ref_tracks)
    assert again.keypoints == poses.keypoints and again.individuals == poses.individuals


def test_analysis_h5_axes_follow_their_dims_attribute(tmp_path: Path) -> None:
    """sleap-io's ``save_analysis_h5(preset="standard")`` writes ``tracks`` as (frame,
    track, node, xy) and says so in a ``dims`` attribute: read as SLEAP's own layout is,
    with the frame size from its ``video_backend_metadata``."""
    rng = np.random.default_rng(2)
    coords = rng.uniform(10, 500, size=(6, 2, 3, 2))  # (frame, track, node, xy)
    scores = rng.uniform(0, 1, size=(6, 2, 3))
    nodes = np.array([b"head", b"torso", b"tail_base"])

    def write(path: Path, standard: bool) -> Path:
        with h5py.File(path, "w") as fh:
            if standard:
                fh.attrs["preset"] = "standard"
                fh.attrs["video_backend_metadata"] = (
                    '{"type": "MediaVideo", "shape": [6, 768, 1024, 1], "filename": "v.mp4"}')
                ds = fh.create_dataset("tracks", data=coords)
                ds.attrs["dims"] = '["frame", "track", "node", "xy"]'
                sc = fh.create_dataset("point_scores", data=scores)
                sc.attrs["dims"] = '["frame", "track", "node"]'
            else:  # SLEAP's own order, no dims
                fh.create_dataset("tracks", data=np.transpose(coords, (1, 3, 2, 0)))
                fh.create_dataset("point_scores", data=np.transpose(scores, (1, 2, 0)))
            fh.create_dataset("node_names", data=nodes)
            fh.create_dataset("track_names", data=np.array([b"track_0", b"track_1"]))
            fh.create_dataset("track_occupancy", data=np.ones((6, 2), np.uint8))
        return path

    standard = read_poses(write(tmp_path / "standard.analysis.h5", True))
    matlab = read_poses(write(tmp_path / "matlab.analysis.h5", False))
    for p in (standard, matlab):
        assert p.n_frames == 6 and p.individuals == ["track_0", "track_1"]
        np.testing.assert_allclose(p.coords, coords)
        np.testing.assert_allclose(p.confidence, scores)
    assert standard.meta.image_size == (1024, 768) and matlab.meta.image_size is None


def test_transposed_analysis_tracks_said_to_look_transposed(tmp_path: Path) -> None:
    """'tracks' written in h5py's natural order (frames, nodes, 2, tracks) is refused with
    a message saying it looks transposed."""
    f = tmp_path / "natural.analysis.h5"
    with h5py.File(f, "w") as fh:
        fh["tracks"] = np.zeros((12, 3, 2, 1))
        fh["node_names"] = np.array([b"nose", b"ear", b"tail"])
    with pytest.raises(PoseFileError, match=r"looks transposed.*data=tracks\.T"):
        read_poses(f)


@pytest.mark.parametrize(("ext", "format_id", "said"), [
    (".h5", False, "old SLEAP labels file"), (".slp", False, "old SLEAP labels file"),
    (".h5", True, "give it its .slp extension back")])
def test_sleap_labels_hdf5_named(tmp_path: Path, ext: str, format_id: bool,
                                 said: str) -> None:
    """SLEAP's labels layout (frames, instances, videos_json) is named as such: before
    SLEAP 1.0 (no format_id) to re-save in SLEAP 1.x, a .slp renamed .h5 to rename back;
    it is not sent to DeepLabCut's tracklet advice."""
    f = tmp_path / f"labels{ext}"
    with h5py.File(f, "w") as fh:
        for name in ("frames", "instances", "points", "pred_points", "videos_json"):
            fh[name] = np.zeros(1)
        meta = fh.create_group("metadata")
        if format_id:
            meta.attrs["format_id"] = 1.2
    with pytest.raises(PoseFileError, match=said) as info:
        read_poses(f)
    assert str(f) in str(info.value) and "tracklet" not in str(info.value)


@pytest.mark.parametrize("sleap_1x", [False, True])
def test_labels_package_read_as_labelled_images(tmp_path: Path, sleap_1x: bool) -> None:
    """A ``.pkg.slp`` (user labels, frames embedded) is labelled images, as DLC's
    CollectedData: the rows are stills even where their frame numbers follow each other,
    the frame size is the embedded images' (also as SLEAP 1.x recorded them, with no
    shape), and the video is none: the labeller's path is not on this machine, and the
    package itself is no video OpenCV opens."""
    poses = random_poses(30, keypoints=KPS)
    poses.meta.image_size = (200, 150)
    pkg = write_labels_package(poses, tmp_path / "labels.pkg.slp", [5, 6, 7, 20],
                               sleap_1x=sleap_1x)
    p = read_poses(pkg)
    assert p.meta.image_size == (200, 150)
    assert p.meta.video is None
    assert p.stills and len(p.meta.extra["image_paths"]) == 4
    assert p.meta.extra["embedded_images"]["source_video"].endswith("labeller/session.mp4")
    np.testing.assert_allclose(p.coords[:, 0], poses.coords[[5, 6, 7, 20], 0])


@pytest.mark.parametrize("sleap_1x", [False, True])
def test_a_labels_package_recorded_as_the_source_is_no_video(tmp_path: Path,
                                                             sleap_1x: bool) -> None:
    """A package exported from a project opened from a package records that package as
    its frames' source: beside it, it is no video (before: taken as the video, opened
    with OpenCV and 'convert it to an .mp4')."""
    poses = random_poses(12, keypoints=KPS)
    pkg = write_labels_package(poses, tmp_path / "val.pkg.slp", [2, 9], sleap_1x=sleap_1x,
                               source="sleap_labels.pkg.slp")
    (tmp_path / "sleap_labels.pkg.slp").write_bytes(pkg.read_bytes())
    p = read_poses(pkg)
    assert p.meta.video is None
    embedded = p.meta.extra["embedded_images"]
    assert embedded["source_video"] == "sleap_labels.pkg.slp" and embedded["source_is_labels"]


def test_a_cropped_package_s_frame_is_the_video_s(tmp_path: Path) -> None:
    """A package of a sleap-io virtual crop keeps its points in the video's frame: the
    frame size is the video's, not the crop's (before: the crop's; a real mouse's package
    lifted without its video put the camera 465 mm up instead of 591, every point 93 mm
    off)."""
    poses = random_poses(12, keypoints=KPS)
    poses.meta.image_size = (200, 150)
    pkg = write_labels_package(poses, tmp_path / "crop.pkg.slp", [2, 9],
                               crop=(20, 15, 170, 115))
    p = read_poses(pkg)
    assert p.meta.image_size == (200, 150)
    np.testing.assert_allclose(p.coords[:, 0], poses.coords[[2, 9], 0])


def test_labels_package_s_video_used_where_it_is_here(tmp_path: Path) -> None:
    """The video a package's frames came from is its video where it is on this machine:
    at the recorded path, or beside the package by its name."""
    poses = random_poses(12, keypoints=KPS)
    pkg = write_labels_package(poses, tmp_path / "labels.pkg.slp", [2, 9], keep_video=True)
    recorded = tmp_path / "labeller" / "session.mp4"
    assert read_poses(pkg).meta.video == str(recorded)
    recorded.rename(tmp_path / "session.mp4")
    assert read_poses(pkg).meta.video == str(tmp_path / "session.mp4")


def test_a_package_of_several_videos_names_each_by_the_video_it_came_from(
        tmp_path: Path) -> None:
    """A package of two cameras' labelled frames listed, picked and named each video by the
    package's own name (``0: x.pkg.slp, 1: x.pkg.slp``; ``--sleap-video side.mp4`` refused,
    the output ``x.pkg.x.pkg_1``): by the video its frames came from now."""
    import sleap_io as sio

    from dlc_lifter.io.sleap import read_slp, sleap_video_stem, sleap_videos
    from tests.fixtures.toys import write_toy_video

    poses = random_poses(10, keypoints=KPS)
    sk = sio.Skeleton(nodes=list(KPS))
    videos, frames = [], []
    for cam in ("top", "side"):
        video = sio.Video(filename=str(write_toy_video(tmp_path / f"{cam}.mp4", 10)))
        videos.append(video)
        frames += [sio.LabeledFrame(video=video, frame_idx=r, instances=[
            sio.Instance.from_numpy(poses.coords[r, 0], skeleton=sk)]) for r in (2, 7)]
    pkg = tmp_path / "cams.pkg.slp"
    sio.save_slp(sio.Labels(labeled_frames=frames, videos=videos, skeletons=[sk]), str(pkg),
                 embed="user", verbose=False)
    for video in videos:
        video.close()
    assert [Path(n).name for n in sleap_videos(pkg)] == ["top.mp4", "side.mp4"]
    assert sleap_video_stem(pkg, "side.mp4") == "side" == sleap_video_stem(pkg, 1)
    side = read_slp(pkg, video="side.mp4")
    assert side.meta.extra["embedded_images"]["source_video"].endswith("side.mp4")
    np.testing.assert_allclose(side.coords[:, 0], poses.coords[[2, 7], 0])


@pytest.mark.parametrize(("pose_file", "stem"), [
    ("/data/m1DLC_resnet50_oftMay9shuffle1_1030000.h5", "m1"),
    ("m1DLC_resnet50_oftMay9shuffle1_1030000_filtered.csv", "m1"),
    ("C:\\sleap\\session.predictions.slp", "session"),
    ("day1/session.analysis.h5", "session"),
    ("cage3_pose_est_v5.h5", "cage3"),
    ("trial.2024-01-05.nwb", "trial.2024-01-05"),
])
def test_the_video_a_3d_slp_names_is_read_from_the_pose_file_s_name(pose_file: str,
                                                                    stem: str) -> None:
    """Lifted without a video, the 3D .slp names its video after the pose file."""
    from dlc_lifter.io._common import video_stem_of

    assert video_stem_of(pose_file) == stem
