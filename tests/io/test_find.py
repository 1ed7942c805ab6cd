"""Which files of a folder a batch lifts: one pose file per recording."""

from __future__ import annotations

from pathlib import Path

import dlc_lifter.io.find as find_module
from dlc_lifter.io.find import find_pose_files, folders_with_outputs, pose_file_kind

SCORER = "DLC_resnet50_boxMay1shuffle1_100000"


def _touch(folder: Path, *names: str) -> None:
    for n in names:
        p = folder / n
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x")


def test_pose_files_are_told_by_their_names() -> None:
    kinds = {
        f"m1{SCORER}.h5": "dlc", f"m1{SCORER}.csv": "dlc", f"m1{SCORER}_filtered.h5": "dlc",
        f"m1{SCORER}_el.h5": "dlc", "YmazeDeepCut_resnet50_YMazeNov22shuffle1_30000.h5": "dlc",
        "CollectedData_Pranav.h5": "dlc", "clip.slp": "sleap", "clip.analysis.h5": "sleap",
        "cage_pose_est_v5.h5": "jabs", "session.nwb": "nwb",
        f"m1{SCORER}_lifted3d.h5": None, f"m1{SCORER}_meta.pickle": None,
        f"m1{SCORER}_skeleton.csv": None, f"m1{SCORER}_full.pickle": None,
        f"m1{SCORER}_features.csv": None, "notes.h5": None, "votes.csv": None,
        "m1.mp4": None, f".m1{SCORER}.h5": None, "clip.predictions_lifted3d.slp": None,
    }
    for name, kind in kinds.items():
        assert pose_file_kind(name) == kind, name


def test_one_file_per_recording(tmp_path: Path) -> None:
    _touch(tmp_path,
           f"a{SCORER}.h5", f"a{SCORER}.csv",                       # csv twin: the .h5
           f"b{SCORER}.h5", f"b{SCORER}_filtered.h5",                # filtered pair
           f"c{SCORER}_el.h5", f"c{SCORER}.h5",                      # tracker beside assembled
           f"d{SCORER}_el.h5",                                       # tracker alone: taken
           f"e{SCORER}_filtered.csv",                                # only a filtered csv
           f"a{SCORER}_lifted3d.h5", "notes.h5", "s.slp", "s.analysis.h5",
           f"sub/f{SCORER}.h5", f".hidden/g{SCORER}.h5")
    found = find_pose_files(tmp_path)
    names = [p.name for p in found.files]
    assert names == [f"a{SCORER}.h5", f"b{SCORER}.h5", f"c{SCORER}.h5", f"d{SCORER}_el.h5",
                     f"e{SCORER}_filtered.csv", "s.slp"]
    why = {p.name: w for p, w in found.passed_over.items()}
    assert why[f"a{SCORER}.csv"].startswith("its .h5 twin")
    assert why[f"b{SCORER}_filtered.h5"].startswith("the unfiltered copy")
    assert why[f"c{SCORER}_el.h5"].startswith("the assembled table")
    assert why["s.analysis.h5"].startswith("exported from s.slp")  # the same points
    filtered = [p.name for p in find_pose_files(tmp_path, filtered=True).files]
    assert f"b{SCORER}_filtered.h5" in filtered and f"b{SCORER}.h5" not in filtered
    deep = [p.relative_to(tmp_path).as_posix()
            for p in find_pose_files(tmp_path, recursive=True).files]
    assert f"sub/f{SCORER}.h5" in deep and not any(n.startswith(".hidden") for n in deep)
    sleap = find_pose_files([tmp_path, tmp_path / f"a{SCORER}.h5"], kinds=("sleap",))
    assert [p.name for p in sleap.files] == ["s.slp", f"a{SCORER}.h5"]
    # files named one by one are taken as they are; missing entries are listed
    notes = tmp_path / "notes.h5"
    both = find_pose_files([notes, tmp_path / f"a{SCORER}.csv", tmp_path / "gone.h5"])
    assert both.files == [notes, tmp_path / f"a{SCORER}.csv"]
    assert both.missing == [tmp_path / "gone.h5"]


def test_one_video_s_outputs_by_several_networks_are_one_recording(tmp_path: Path) -> None:
    """A folder holding a video's outputs by three networks (DeepLabCut 2.0's, 2's and a
    DeepLabCut 3 re-analysis) lifts the newest only, naming the others and their copies."""
    _touch(tmp_path,
           "m1DeepCut_resnet50_openfieldOct30shuffle1_15001.h5",
           "m1DLC_resnet50_openfieldOct30shuffle1_100000.h5",
           "m1DLC_resnet50_openfieldOct30shuffle1_100000_filtered.h5",
           "m1DLC_Resnet50_openfieldOct30shuffle1_snapshot_best-70.h5",
           "m2DLC_resnet50_openfieldOct30shuffle1_100000.h5",
           "m2DLC_resnet50_openfieldOct30shuffle1_200000.h5")
    found = find_pose_files(tmp_path)
    assert [p.name for p in found.files] == [
        "m1DLC_Resnet50_openfieldOct30shuffle1_snapshot_best-70.h5",
        "m2DLC_resnet50_openfieldOct30shuffle1_200000.h5"]
    why = {p.name: w for p, w in found.passed_over.items()}
    assert len(why) == 4 and all(w.startswith("another network's output") for w in why.values())
    assert "snapshot_best-70" in why["m1DLC_resnet50_openfieldOct30shuffle1_100000_filtered.h5"]
    # inside a DeepLabCut project (config.yaml above the videos): its own task and date
    project = tmp_path / "proj"
    _touch(project, "videos/m5DLC_resnet50_openfieldAug20shuffle1_30000.h5",
           "videos/m5DeepCut_resnet50_openfieldOct30shuffle1_15001.h5")
    (project / "config.yaml").write_text("Task: openfield\ndate: Oct30\nscorer: Pranav\n"
                                         "project_path: C:\\nowhere\nvideo_sets: {}\n")
    mine = find_pose_files(project / "videos")
    assert [p.name for p in mine.files] == ["m5DeepCut_resnet50_openfieldOct30shuffle1_15001.h5"]


def test_the_reader_and_the_batches_know_the_same_videos(tmp_path: Path) -> None:
    """A pose file's video is found beside it for every extension the batches lift (one
    list, ``VIDEO_EXTENSIONS``): a DeepLabCut 2.x ``.flv`` as well as an ``.mp4``."""
    import numpy as np

    from dlc_lifter.io import read_poses
    from dlc_lifter.io.find import VIDEO_EXTENSIONS, find_videos
    from dlc_lifter.poses import Poses

    assert {"mp4", "avi", "flv", "m4v"} <= set(VIDEO_EXTENSIONS)
    uv = np.random.default_rng(0).uniform(0, 100, (5, 1, 4, 2))
    poses = Poses(coords=uv, keypoints=["snout", "leftear", "rightear", "tailbase"])
    pose_file = tmp_path / f"m1{SCORER}.h5"
    poses.to_dataframe().to_hdf(pose_file, key="df_with_missing", format="table")
    (tmp_path / "m1.flv").write_bytes(b"x")
    assert Path(read_poses(pose_file).meta.video).name == "m1.flv"
    assert [v.name for v in find_videos(tmp_path)] == ["m1.flv"]


def test_renamed_tables_are_found_by_their_first_lines(tmp_path: Path) -> None:
    """A folder of renamed outputs (BehaviorDEPOT's ``demo1_tracking.csv``, a lab's
    ``mouse1.csv``): 2D DeepLabCut tables (also a copy re-saved by pandas, with a column of
    row numbers first) and SimBA-style tables (also with SimBA's ``scorer`` index column)
    are lifted; 3D tables, other csv files and
    unreadable ones are not."""
    dlc = ("scorer,lab,lab,lab,lab,lab,lab\nbodyparts,nose,nose,nose,tail,tail,tail\n"
           "coords,x,y,likelihood,x,y,likelihood\n0,1,2,0.9,3,4,0.9\n")
    resaved = (",scorer,lab,lab.1,lab.2\n0,bodyparts,nose,nose,nose\n"
               "1,coords,x,y,likelihood\n2,0,1,2,0.9\n")
    three_d = ("scorer,lab,lab,lab\nbodyparts,nose,nose,nose\ncoords,x,y,z\n0,1,2,3\n")
    files = {"mouse1.csv": dlc, "old_copy.csv": resaved,
             "simba.csv": "Nose_x,Nose_y,Nose_p\n1,2,0.9\n", "mouse1_3d.csv": three_d,
             # SimBA's own tables name their index column "scorer" (DLC2action's CRIM13)
             "simba_scorer.csv": "scorer,Nose_1_x,Nose_1_y,Nose_1_p\n0,1,2,0.9\n",
             "cue_frames.csv": "frame\n10\n20\n", "empty.csv": "", "binary.csv": "\x00\x01\x02",
             # one header row of 3D points (DANNCE's labels3d.csv, anipose's): a user's
             # walkthrough found it taken, and failed, though the README says 3D tables are
             # left alone
             "labels3d.csv": "sample_id,Snout_x,Snout_y,Snout_z,EarL_x,EarL_y,EarL_z\n"
                             "1,1,2,3,4,5,6\n"}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    assert pose_file_kind(tmp_path / "mouse1.csv") is None  # by its name alone
    found = [p.name for p in find_pose_files(tmp_path).files]
    assert found == ["mouse1.csv", "old_copy.csv", "simba.csv", "simba_scorer.csv"]


def test_renamed_hdf5_files_are_found_by_their_layout(tmp_path: Path) -> None:
    """Renamed ``.h5`` outputs are known by their groups: DeepLabCut's ``df_with_missing``
    table, a SLEAP analysis file, a JABS pose file; other HDF5 files and broken ones are
    not pose files."""
    import h5py
    import numpy as np
    import pandas as pd

    cols = pd.MultiIndex.from_product([["lab"], ["nose", "tail"], ["x", "y", "likelihood"]],
                                      names=["scorer", "bodyparts", "coords"])
    pd.DataFrame(np.ones((3, 6)), columns=cols).to_hdf(tmp_path / "mouse1.h5",
                                                        key="df_with_missing", format="table")
    with h5py.File(tmp_path / "session2.h5", "w") as fh:
        fh["tracks"] = np.zeros((1, 2, 3, 4))
        fh["node_names"] = [b"a", b"b", b"c"]
    with h5py.File(tmp_path / "cage3.h5", "w") as fh:
        fh.create_group("poseest")["points"] = np.zeros((4, 12, 2))
    with h5py.File(tmp_path / "neural.h5", "w") as fh:
        fh["spikes"] = np.zeros(10)
    (tmp_path / "broken.h5").write_bytes(b"not hdf5")
    assert pose_file_kind(tmp_path / "mouse1.h5") is None  # by its name alone
    kinds = {p.name: pose_file_kind(p, sniff=True) for p in sorted(tmp_path.iterdir())}
    assert kinds == {"broken.h5": None, "cage3.h5": "jabs", "mouse1.h5": "dlc",
                     "neural.h5": None, "session2.h5": "sleap"}
    found = [p.name for p in find_pose_files(tmp_path).files]
    assert found == ["cage3.h5", "mouse1.h5", "session2.h5"]


def test_recursive_search_follows_linked_folders_once(tmp_path: Path) -> None:
    """A cohort whose session folders are links into a data store is searched through
    them; a link back up does not loop."""
    store = tmp_path / "store" / "m1"
    store.mkdir(parents=True)
    (store / "aDLC_resnet50_xJan1shuffle1_100.h5").write_bytes(b"x")
    cohort = tmp_path / "cohort"
    cohort.mkdir()
    (cohort / "m1").symlink_to(store, target_is_directory=True)
    (store / "up").symlink_to(cohort, target_is_directory=True)  # a loop
    found = find_pose_files(cohort, recursive=True)
    assert found.files == [cohort / "m1" / "aDLC_resnet50_xJan1shuffle1_100.h5"]
    assert find_pose_files(cohort).files == []


def _dlc_table(scorer: str, individuals: list[str] | None = None, n: int = 12):
    """A small DLC-layout table (nose and tail base tracked), as another tool writes it."""
    import numpy as np
    import pandas as pd

    inds = individuals or [None]
    cols = [(scorer, *([i] if individuals else []), bp, c) for i in inds
            for bp in ("nose", "tail_base") for c in ("x", "y", "likelihood")]
    names = (["scorer", "individuals", "bodyparts", "coords"] if individuals
             else ["scorer", "bodyparts", "coords"])
    data = np.random.default_rng(0).uniform(10, 100, (n, len(cols)))
    return pd.DataFrame(data, columns=pd.MultiIndex.from_tuples(cols, names=names))


def test_superanimal_and_lightning_pose_outputs_are_found_and_their_side_files_not(
        tmp_path: Path) -> None:
    """Named as the tools write them (no ``DLC_`` in the name): DeepLabCut 3's SuperAnimal
    video inference (``<video>_superanimal_topviewmouse_<pose>_<detector>.h5``, beside its
    ``_before_adapt.json`` and labelled video) and Lightning Pose's ``video_preds/<video>.csv``
    (DLC's three header rows, scorer ``heatmap_tracker``) beside its ``_temporal_norm.csv``
    (one header row: not a pose table)."""
    import numpy as np
    import pandas as pd

    sa = "superanimal_topviewmouse_hrnet_w32_fasterrcnn_resnet50_fpn_v2"
    _dlc_table(sa, ["animal0", "animal1"]).to_hdf(tmp_path / f"m1_{sa}.h5",
                                                  key="df_with_missing", format="table")
    (tmp_path / f"m1_{sa}_before_adapt.json").write_text("{}")
    _dlc_table("heatmap_tracker").to_csv(tmp_path / "m2.csv")
    pd.DataFrame(np.ones((12, 2)), columns=["nose", "tail_base"]).to_csv(
        tmp_path / "m2_temporal_norm.csv")
    assert [p.name for p in find_pose_files(tmp_path).files] == [f"m1_{sa}.h5", "m2.csv"]


def test_frame_names_as_an_index_are_frame_numbers(tmp_path: Path) -> None:
    """DeepLabCut 2.3's SuperAnimal video inference indexes its table ``frame0000, ...``:
    read as frames 0, 1, ... of a video (lifted by the temporal networks), not as the
    image paths of labelled frames."""
    from dlc_lifter.io import read_poses

    df = _dlc_table("DLC_snapshot-1000")
    df.index = [f"frame{i:04d}" for i in range(len(df))]
    df.to_hdf(tmp_path / "m3DLC_snapshot-1000.h5", key="df_with_missing", format="table")
    p = read_poses(tmp_path / "m3DLC_snapshot-1000.h5")
    assert p.frame_indices.tolist() == list(range(len(df)))
    assert "image_paths" not in p.meta.extra
    df.index = [f"labeled-data/m3/img{i:03d}.png" for i in range(len(df))]  # labelled data
    df.to_hdf(tmp_path / "CollectedData_me.h5", key="df_with_missing", format="table")
    assert "image_paths" in read_poses(tmp_path / "CollectedData_me.h5").meta.extra


def test_sleap_analysis_exports_beside_their_labels_file_are_passed_over(
        tmp_path: Path) -> None:
    """SLEAP exports a labels file's videos as ``<prefix>.<index>_<video>.analysis.h5`` beside
    it (the GUI: the ``.slp``'s stem; ``sleap-convert``: that stem less its last dotted part):
    the same points, so the ``.slp`` alone is lifted; an analysis file of another labels
    file, or alone, is lifted."""
    _touch(tmp_path, "labels.v001.slp", "labels.v001.000_m1.analysis.h5",
           "labels.v001.001_m2.analysis.h5", "labels.000_m1.analysis.h5",
           "other.000_m3.analysis.h5", "sub/labels.v001.000_m1.analysis.h5")
    found = find_pose_files(tmp_path)
    assert [p.name for p in found.files] == ["labels.v001.slp", "other.000_m3.analysis.h5"]
    assert all(w.startswith("exported from labels.v001.slp") for w in found.passed_over.values())
    assert len(found.passed_over) == 3
    alone = find_pose_files(tmp_path / "sub")
    assert [p.name for p in alone.files] == ["labels.v001.000_m1.analysis.h5"]


def test_a_sleap_export_written_as_h5_and_csv_is_lifted_once(tmp_path: Path) -> None:
    """The same export as ``.analysis.h5`` and ``.analysis.csv`` with no ``.slp`` beside
    them: the .h5 is lifted, the csv passed over (both lifted wrote one output name)."""
    _touch(tmp_path, "labels.v002.000_mice.analysis.h5")
    (tmp_path / "labels.v002.000_mice.analysis.csv").write_text(
        "track,frame_idx,instance.score,nose.x,nose.y,nose.score\ntrack_0,0,0.9,1,2,0.9\n")
    (tmp_path / "alone.analysis.csv").write_text(
        "track,frame_idx,instance.score,nose.x,nose.y,nose.score\ntrack_0,0,0.9,1,2,0.9\n")
    found = find_pose_files(tmp_path)
    assert [p.name for p in found.files] == ["alone.analysis.csv",
                                             "labels.v002.000_mice.analysis.h5"]
    assert found.passed_over[tmp_path / "labels.v002.000_mice.analysis.csv"].startswith(
        "its .h5 twin labels.v002.000_mice.analysis.h5")


def test_lifted_outputs_are_found_in_folders_with_lifted(tmp_path: Path) -> None:
    """The per-file verbs read a folder's lifts: ``*_lifted3d.h5`` in every subfolder with
    ``recursive``, a ``.csv`` copy only where its own folder has no ``.h5`` of it; 2D pose
    files beside them are not taken."""
    for rel in ("aDLC_x_lifted3d.h5", "aDLC_x_lifted3d.csv", "aDLC_x.h5",
                "boxA/tDLC_x_lifted3d.csv", "boxB/tDLC_x_lifted3d.h5",
                "boxB/tDLC_x_lifted3d_meta.pickle"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x")
    found = find_pose_files([tmp_path], recursive=True, lifted=True)
    assert [f.relative_to(tmp_path).as_posix() for f in found.files] == [
        "aDLC_x_lifted3d.h5", "boxA/tDLC_x_lifted3d.csv", "boxB/tDLC_x_lifted3d.h5"]
    assert list(found.passed_over) == [tmp_path / "aDLC_x_lifted3d.csv"]


def test_the_video_beside_is_found_in_another_unicode_form(tmp_path: Path) -> None:
    """A pose file named in one Unicode form (NFC: ``ö`` one character) beside its video in
    the other (NFD, as a Mac writes it: ``o`` and a combining mark): the same name to the
    eye, found (was: "no video named in it or beside it")."""
    import unicodedata

    from dlc_lifter.io._common import find_video

    nfd = unicodedata.normalize("NFD", "Maus_größe 3") + ".mp4"
    (tmp_path / nfd).write_bytes(b"")
    found = find_video(unicodedata.normalize("NFC", "Maus_größe 3DLC_resnet50_xShuffle1_5"),
                       [tmp_path])
    assert found is not None and found.name == nfd


def test_folders_with_outputs_walks_the_project_once(tmp_path: Path, monkeypatch) -> None:
    """Where a project's analyze_videos outputs lie, per video: not the video's own folder,
    not labelled data, models or hidden folders, not another video's; the walk stops after
    MAX_FILES_LOOKED_AT files."""
    _touch(tmp_path, "videos/m1.mp4", f"videos/m1{SCORER}.h5", f"analyzed/m1{SCORER}.h5",
           f"analyzed/m1{SCORER}_meta.pickle", "b/deep/m1DeepCut_resnet50_boxMay1.csv",
           f"labeled-data/m1/m1{SCORER}.h5", f"dlc-models/m1{SCORER}.h5",
           f".snapshots/m1{SCORER}.h5", f"analyzed/m10{SCORER}.h5", "analyzed/m1.h5")
    found = folders_with_outputs(tmp_path, [tmp_path / "videos" / "m1.mp4"])
    assert found == {"m1": [tmp_path / "analyzed", tmp_path / "b" / "deep"]}
    assert folders_with_outputs(tmp_path / "nowhere", [tmp_path / "videos" / "m1.mp4"]) == {}
    monkeypatch.setattr(find_module, "MAX_FILES_LOOKED_AT", 2)
    assert folders_with_outputs(tmp_path, [tmp_path / "videos" / "m1.mp4"]) == {}
