"""Batch lifting of DLC projects: finding outputs, resuming, failures, executors, dask."""

from __future__ import annotations

import _pickle
import concurrent.futures as cf
import logging
import multiprocessing as mp
import os
import pickle
import shutil
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pandas as pd
import pytest

from dlc_lifter._atomic import atomic_output, claim_holder, claim_output, claim_path
from dlc_lifter.errors import DLCLifterError, PoseFileError
from dlc_lifter.io.find import find_pose_files
from dlc_lifter.lift import batch
from dlc_lifter.lift.batch import (
    BatchItem,
    BatchReport,
    DestinationError,
    LiftJob,
    find_dlc_output,
    find_videos,
    lift_videos,
)
from dlc_lifter.lift.options import CameraSpec, LiftOptions, OutputSpec
from dlc_lifter.poses import Poses
from tests.fixtures.toys import (
    DLC_SCORER,
    circling_mouse_2d,
    file_sha256,
    write_dlc_analysis,
    write_toy_video,
)


# --------------------------------------------------------------------------- toy data
def _project(root: Path, names: list[str], n_frames: int = 20, *, video_frames: int | None = None,
             individuals: tuple[str, ...] = ("individual0",)) -> Path:
    """A DLC project: config.yaml + videos/<name>.mp4 + videos/<name><DLC_SCORER>.h5."""
    videos = root / "videos"
    videos.mkdir(parents=True, exist_ok=True)
    (root / "config.yaml").write_text(
        "Task: toy\nscorer: me\ndate: Jan1\nproject_path: /nowhere\n"
        "video_sets:\n  /nowhere/videos/gone.mp4:\n    crop: 0, 160, 0, 120\n"
        "bodyparts:\n- snout\n- leftear\n- rightear\n- tailbase\n"
        "TrainingFraction:\n- 0.95\npcutoff: 0.6\nskeleton: []\n"
    )
    for k, name in enumerate(names):
        write_toy_video(videos / f"{name}.mp4", video_frames or n_frames)
        write_dlc_analysis(circling_mouse_2d(n_frames, individuals, seed=k), videos, name,
                           multi_animal=len(individuals) > 1)
    return root / "config.yaml"


# --------------------------------------------------------------------------- toy lift task
def _atomic(path: Path):  # noqa: ANN202 - context manager yielding a temporary path
    path.parent.mkdir(parents=True, exist_ok=True)  # as the real writers' check_writable
    return atomic_output(path, overwrite=True)


def _toy_task(job: LiftJob) -> BatchItem:
    """A fast deterministic stand-in for the network: z = 10 mm, written atomically."""
    poses = Poses.from_dataframe(pd.read_hdf(job.poses), source=job.poses)
    if os.environ.get("DLC_LIFTER_TEST_DIE_ON") and Path(job.poses).name.startswith(
            os.environ["DLC_LIFTER_TEST_DIE_ON"]):
        out = Path(job.output)
        with _atomic(out) as tmp:  # killed half way through writing
            Path(tmp).write_bytes(b"partial")
            os._exit(3)
    z = np.where(np.isnan(poses.coords[..., :1]), np.nan, 10.0)
    p3 = poses.with_coords(np.concatenate([poses.coords, z], -1), units="mm", frame="world")
    with _atomic(Path(job.output)) as tmp:
        p3.to_dataframe().to_hdf(tmp, key="df_with_missing", mode="w")
    return BatchItem(poses=job.poses, video=job.video, output=job.output, status="done",
                     n_frames=p3.n_frames)


def _claiming_toy_task(job: LiftJob) -> BatchItem:
    """:func:`_toy_task` holding the output's claim, as the real lift does."""
    with claim_output(job.output):
        return _toy_task(job)


def _die_once_task(job: LiftJob) -> BatchItem:
    """Kills its (dask worker) process the first time it runs for a video."""
    marker = Path(job.output).with_suffix(".died")
    marker.parent.mkdir(parents=True, exist_ok=True)
    if not marker.exists():
        marker.write_text("x")
        os._exit(7)
    return _toy_task(job)


def _raise_once_task(job: LiftJob) -> BatchItem:
    """Raises a transient error the first time it runs for a video."""
    marker = Path(job.output).with_suffix(".raised")
    marker.parent.mkdir(parents=True, exist_ok=True)
    if not marker.exists():
        marker.write_text("x")
        raise OSError("transient I/O error")
    return _toy_task(job)


def _read(path: Path) -> pd.DataFrame:
    return pd.read_hdf(path)


# --------------------------------------------------------------------------- finding files
def test_find_dlc_output_prefers_shuffle_and_ignores_derived(tmp_path: Path) -> None:
    video = tmp_path / "m1.mp4"
    video.touch()
    for name in [
        "m1DLC_resnet50_toyJan1shuffle2_1000.h5",
        "m1DLC_resnet50_toyJan1shuffle1_500.h5",
        "m1DLC_resnet50_toyJan1shuffle1_1000.h5",
        "m1DLC_resnet50_toyJan1shuffle1_1000_filtered.h5",
        "m1DLC_resnet50_toyJan1shuffle1_1000_lifted3d.h5",
        "m1DLC_resnet50_toyJan1shuffle1_1000_skeleton.h5",
        "m10DLC_resnet50_toyJan1shuffle1_1000.h5",  # another video
        "m1DLC_resnet50_toyJan1shuffle1_1000_meta.pickle",
    ]:
        (tmp_path / name).touch()
    assert find_dlc_output(video).name == "m1DLC_resnet50_toyJan1shuffle1_1000.h5"
    assert find_dlc_output(video, shuffle=2).name == "m1DLC_resnet50_toyJan1shuffle2_1000.h5"
    assert find_dlc_output(video, filtered=True).name.endswith("_1000_filtered.h5")
    assert find_dlc_output(tmp_path / "m2.mp4") is None
    # maDLC: only tracker outputs
    (tmp_path / "m3DLC_dlcrnetms5_toyJan1shuffle1_200000_el.h5").touch()
    (tmp_path / "m3DLC_dlcrnetms5_toyJan1shuffle1_200000_bx.h5").touch()
    assert find_dlc_output(tmp_path / "m3.mp4").name.endswith("_el.h5")
    # DeepLabCut 3 (PyTorch): snapshot_best-<epoch> scorers; tracks refined by its
    # transformer re-identification (_el_tr) win over the ellipse tracker's, and both are
    # one recording
    (tmp_path / "m4.mp4").touch()
    for name in ("m4DLC_DlcrnetStride16Ms5_toyJan1shuffle1_snapshot_best-200_el.h5",
                 "m4DLC_DlcrnetStride16Ms5_toyJan1shuffle1_snapshot_best-200_el_tr.h5",
                 "m4DLC_DlcrnetStride16Ms5_toyJan1shuffle1_snapshot_best-200_assemblies.pickle"):
        (tmp_path / name).touch()
    assert find_dlc_output(tmp_path / "m4.mp4").name.endswith("snapshot_best-200_el_tr.h5")
    m4 = [f.name for f in find_pose_files(tmp_path).files if f.name.startswith("m4")]
    assert m4 == ["m4DLC_DlcrnetStride16Ms5_toyJan1shuffle1_snapshot_best-200_el_tr.h5"]


def test_find_dlc_output_prefers_this_project_s_engine_and_takes_csv_or_the_other_kind(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Another project's output of the same video (another date) never beats this
    project's; a DeepLabCut 3 project's PyTorch output (``_snapshot_best-70``) beats an
    old TensorFlow one of more iterations; a csv-only output is found (its .h5 preferred
    where both are); a filtered output passed over is named, and used where it is the only
    kind."""
    video = tmp_path / "m1.mp4"
    for name in ("m1DLC_resnet50_openfieldAug20shuffle1_30000.h5",  # another project
                 "m1DeepCut_resnet50_openfieldOct30shuffle1_15001.h5",
                 "m1DLC_resnet50_openfieldOct30shuffle1_100000_filtered.h5"):
        (tmp_path / name).touch()
    ours = {"task": "openfield", "date": "Oct30"}
    with caplog.at_level(logging.INFO, logger="dlc_lifter"):
        assert find_dlc_output(video, **ours).name.startswith("m1DeepCut_")
    assert "not the filtered output m1DLC_resnet50_openfieldOct30shuffle1_100000_filtered" \
        in caplog.text and "--filtered lifts it" in caplog.text
    (tmp_path / "m1DLC_resnet50_openfieldOct30shuffle1_100000.h5").touch()
    (tmp_path / "m1DLC_Resnet50_openfieldOct30shuffle1_snapshot_best-70.h5").touch()
    assert find_dlc_output(video, **ours, engine="pytorch").name.endswith("best-70.h5")
    assert find_dlc_output(video, **ours, engine="tensorflow").name.endswith("_100000.h5")
    assert find_dlc_output(video, **ours).name.endswith("_100000.h5")  # no engine: iterations
    # csv outputs (save_as_csv): found alone, the .h5 preferred beside it
    (tmp_path / "m2DLC_resnet50_openfieldOct30shuffle1_100000.csv").touch()
    assert find_dlc_output(tmp_path / "m2.mp4", **ours).suffix == ".csv"
    (tmp_path / "m2DLC_resnet50_openfieldOct30shuffle1_100000.h5").touch()
    assert find_dlc_output(tmp_path / "m2.mp4", **ours).suffix == ".h5"
    # only a filtered output kept: used, warned
    (tmp_path / "m3DLC_dlcrnetms5_openfieldOct30shuffle1_100000_el_filtered.csv").touch()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        assert find_dlc_output(tmp_path / "m3.mp4", **ours).name.endswith("_filtered.csv")
    assert "no unfiltered analyze_videos output; using the filtered" in caplog.text


def test_a_project_whose_videos_are_gone_lifts_their_outputs(tmp_path: Path) -> None:
    """An old dataset: the videos archived, the outputs kept in ``<project>/videos``: the
    video_sets' outputs are lifted from the keypoints; with nothing at all, the message
    says what to do (in words, not Python objects)."""
    config = _project(tmp_path, ["a"])
    config.write_text(config.read_text().replace(
        "  /nowhere/videos/gone.mp4:", "  C:\\lab\\videos\\a.mp4:\n    crop: 0, 160, 0, 120\n"
        "  C:\\lab\\videos\\c.mp4:"))
    (tmp_path / "videos" / "a.mp4").unlink()
    # c's pose output gone too, a table DLC derived from it kept: nothing to lift for c
    (tmp_path / "videos" / f"c{DLC_SCORER}_skeleton.h5").touch()
    vids = find_videos(None, config=config)
    assert [v.name for v in vids] == ["a.mp4"] and not vids[0].exists()
    report = lift_videos(config, task=_toy_task)
    assert report.ok and len(report.done) == 1, report.summary()
    assert report.done[0].poses.endswith(f"a{DLC_SCORER}.h5")
    shutil.rmtree(tmp_path / "videos")
    (tmp_path / "videos").mkdir()
    with pytest.raises(DLCLifterError, match=r"No videos found for project .*video_sets "
                       r"and videos folder\. .*lift-files") as info:
        lift_videos(config, task=_toy_task)
    assert "PosixPath" not in str(info.value) and "None" not in str(info.value)
    # a project of labelled frames only (its videos never copied): the labels' command
    shutil.rmtree(tmp_path / "videos")
    (tmp_path / "labeled-data" / "a").mkdir(parents=True)
    with pytest.raises(DLCLifterError, match=r"lift-files .*labeled-data --recursive"):
        lift_videos(config, task=_toy_task)


def test_lift_videos_says_where_in_the_project_the_outputs_are(tmp_path: Path) -> None:
    """analyze_videos given a destfolder: the project's outputs are not beside the videos;
    the failure names the folder that holds them (not a copy under labeled-data; another
    project's network's output named as such), and lifting with it works."""
    config = _project(tmp_path, ["a", "b"])
    analyzed = tmp_path / "analyzed"
    analyzed.mkdir()
    (tmp_path / "videos" / f"a{DLC_SCORER}.h5").rename(analyzed / f"a{DLC_SCORER}.h5")
    (tmp_path / "labeled-data" / "a").mkdir(parents=True)
    (tmp_path / "labeled-data" / "a" / f"b{DLC_SCORER}.h5").touch()  # passed over
    (tmp_path / "videos" / f"b{DLC_SCORER}.h5").unlink()
    other = tmp_path / "other-project"  # another network's output of b
    other.mkdir()
    (other / "bDLC_resnet50_otherMar3shuffle1_5000.h5").touch()
    report = lift_videos(config, task=_toy_task)
    errors = {Path(i.video).name: i.error for i in report.failed}
    assert set(errors) == {"a.mp4", "b.mp4"}, report.summary()
    assert errors["a.mp4"].endswith(
        f"in {tmp_path / 'videos'}; found a{DLC_SCORER}.h5 in {analyzed}: pass "
        f"destfolder={analyzed}, the folder analyze_videos wrote to"), errors["a.mp4"]
    assert (f"found bDLC_resnet50_otherMar3shuffle1_5000.h5 in {other} (its name does not "
            "carry this project's task and date toyJan1: another project's network?)"
            in errors["b.mp4"]), errors["b.mp4"]
    done = lift_videos(config, [tmp_path / "videos" / "a.mp4"], destfolder=analyzed,
                       task=_toy_task)
    assert done.ok and len(done.done) == 1, done.summary()
    # nothing anywhere: the message as before
    (other / "bDLC_resnet50_otherMar3shuffle1_5000.h5").unlink()
    again = lift_videos(config, [tmp_path / "videos" / "b.mp4"], task=_toy_task)
    assert again.failed[0].error.endswith("; run deeplabcut.analyze_videos (and "
                                          "filterpredictions for filtered=True) first, or "
                                          "pass destfolder= where the outputs are")


def test_find_videos_falls_back_to_project_videos(tmp_path: Path) -> None:
    config = _project(tmp_path, ["a", "b"])
    (tmp_path / "videos" / "aDLC_x_lifted3d_3d.mp4").touch()  # our own plot video
    (tmp_path / "videos" / "a_labeled.mp4").touch()
    (tmp_path / "videos" / "notes.txt").touch()
    assert [v.name for v in find_videos(None, config=config)] == ["a.mp4", "b.mp4"]
    assert find_videos(tmp_path / "videos", ".avi") == []
    # a project made on Windows, moved: its video_sets' names find the videos moved with it
    config.write_text(config.read_text().replace(
        "  /nowhere/videos/gone.mp4:", "  C:\\lab\\videos\\b.mp4:"))
    assert [v.name for v in find_videos(None, config=config)] == ["b.mp4"]


def test_a_project_whose_videos_are_links_lifts_them(tmp_path: Path) -> None:
    """DeepLabCut's ``create_new_project(copy_videos=False)`` links the videos into
    ``<project>/videos`` (its default on Linux and macOS) and lists the originals in
    ``video_sets``; ``analyze_videos`` writes the pose files beside the links. Every video is
    found through its link or its recorded path, once, and lifted; the originals stay as
    they were."""
    config = _project(tmp_path / "proj", ["a", "b"])
    videos = config.parent / "videos"
    store = tmp_path / "store"
    store.mkdir()
    for name in ("a", "b"):
        (videos / f"{name}.mp4").rename(store / f"{name}.mp4")
        (videos / f"{name}.mp4").symlink_to(store / f"{name}.mp4")
    config.write_text(config.read_text().replace(
        "  /nowhere/videos/gone.mp4:\n    crop: 0, 160, 0, 120\n",
        "".join(f"  {store / n}.mp4:\n    crop: 0, 160, 0, 120\n" for n in ("a", "b"))))
    before = {n: file_sha256(store / f"{n}.mp4") for n in ("a", "b")}
    assert [v.name for v in find_videos(None, config=config)] == ["a.mp4", "b.mp4"]
    assert [v.name for v in find_videos(videos)] == ["a.mp4", "b.mp4"]  # links as videos
    report = lift_videos(config, task=_toy_task)
    assert report.ok and len(report.done) == 2, report.summary()
    assert {n: file_sha256(store / f"{n}.mp4") for n in ("a", "b")} == before
    assert sorted(p.name for p in store.iterdir()) == ["a.mp4", "b.mp4"]  # nothing written
    assert sorted(Path(i.output).parent for i in report.done) == [videos / "lifted3d"] * 2


# --------------------------------------------------------------------------- batch semantics
def test_batch_skips_existing_and_reports_failures(tmp_path: Path,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    config = _project(tmp_path, ["a", "b", "c"])
    bad = tmp_path / "videos" / f"b{DLC_SCORER}.h5"
    bad.write_bytes(b"this is not an HDF5 file")
    (tmp_path / "videos" / "d.mp4").touch()  # a video never analysed
    report = lift_videos(config, task=_toy_task)
    assert sorted(i.name for i in report.done) == ["a.mp4", "c.mp4"]
    assert sorted(i.name for i in report.failed) == ["b.mp4", "d.mp4"]
    msgs = {i.name: i.error for i in report.failed}
    assert "analyze_videos" in msgs["d.mp4"]
    assert not report.ok and "FAILED b.mp4" in report.summary()
    out_a = tmp_path / "videos" / "lifted3d" / f"a{DLC_SCORER}_lifted3d.h5"
    assert out_a.is_file()
    mtime = out_a.stat().st_mtime_ns
    with caplog.at_level(logging.INFO):
        again = lift_videos(config, task=_toy_task)
    assert sorted(i.name for i in again.skipped) == ["a.mp4", "c.mp4"]
    assert "skipped, exists" in caplog.text
    assert out_a.stat().st_mtime_ns == mtime
    forced = lift_videos(config, [tmp_path / "videos" / "a.mp4"], task=_toy_task,
                         output=OutputSpec(overwrite=True))
    assert [i.name for i in forced.done] == ["a.mp4"]


def test_kill_mid_batch_then_resume_is_identical(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    names = ["v1", "v2", "v3", "v4"]
    ref = _project(tmp_path / "ref", names)
    assert lift_videos(ref, task=_toy_task).ok

    config = _project(tmp_path / "run", names)
    monkeypatch.setenv("DLC_LIFTER_TEST_DIE_ON", "v2")
    with cf.ProcessPoolExecutor(2, mp_context=mp.get_context("fork")) as ex:
        killed = lift_videos(config, task=_toy_task, executor=ex)
    assert not killed.ok and killed.worker_died and killed.not_started >= 1
    folder = tmp_path / "run" / "videos" / "lifted3d"
    assert not (folder / f"v2{DLC_SCORER}_lifted3d.h5").exists()  # never a partial output
    stale = [p for p in folder.iterdir() if p.name.startswith(f".v2{DLC_SCORER}") or
             (".tmp" in p.name and "v2" in p.name)]
    assert stale, "the killed task should have left its temporary file behind"

    monkeypatch.delenv("DLC_LIFTER_TEST_DIE_ON")
    resumed = lift_videos(config, task=_toy_task)
    assert resumed.ok
    assert {i.name for i in resumed.done} >= {"v2.mp4"}
    assert len(resumed.done) + len(resumed.skipped) == 4
    assert not [p for p in folder.iterdir() if p.exists() and p in stale]
    for n in names:
        a = _read(tmp_path / "ref" / "videos" / "lifted3d" / f"{n}{DLC_SCORER}_lifted3d.h5")
        b = _read(folder / f"{n}{DLC_SCORER}_lifted3d.h5")
        pd.testing.assert_frame_equal(a, b)


def test_a_rerun_that_skips_an_output_removes_a_killed_run_s_temporary_files(
        tmp_path: Path) -> None:
    """A run killed while overwriting an output that exists leaves its hidden temporary
    file; the next run skips the output (it exists) and left that file for ever (the
    determinism audit: a 1.9 MB .tmp.h5). Now a skip removes it too, unless a live run
    holds the output's claim."""
    from dlc_lifter._atomic import claim_output

    config = _project(tmp_path, ["v1", "v2"])
    assert lift_videos(config, task=_toy_task).ok
    folder = tmp_path / "videos" / "lifted3d"
    temps = [folder / f".v{i}{DLC_SCORER}_lifted3d.k3j9.tmp.h5" for i in (1, 2)]
    for t in temps:
        t.write_bytes(b"half a table")
    with claim_output(folder / f"v2{DLC_SCORER}_lifted3d.h5"):  # v2: another run writing
        again = lift_videos(config, task=_toy_task)
    assert again.ok and len(again.skipped) == 2
    assert not temps[0].exists() and temps[1].exists()


def test_readonly_destination_is_a_clear_error(tmp_path: Path) -> None:
    config = _project(tmp_path, ["a"])
    if sys.platform.startswith("linux"):  # root may write anywhere except /proc
        with pytest.raises(DestinationError, match="destfolder="):
            lift_videos(config, destfolder="/proc/self/dlc_lifter_out", task=_toy_task)
    if os.geteuid() != 0:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        try:
            with pytest.raises(DestinationError, match="writable"):
                lift_videos(config, destfolder=ro, task=_toy_task)
        finally:
            ro.chmod(0o755)


def test_readonly_video_folder_fails_that_video_only(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    config = _project(tmp_path, ["a"])
    other = tmp_path / "elsewhere"
    other.mkdir()
    shutil.copy(tmp_path / "videos" / "a.mp4", other / "b.mp4")
    shutil.copy(tmp_path / "videos" / f"a{DLC_SCORER}.h5", other / f"b{DLC_SCORER}.h5")
    real_check = batch._check_writable

    def check(folder: Path, *, make: bool, instead: str = "") -> None:
        if folder in (other, other / "lifted3d"):
            raise DestinationError(f"Cannot write lifted 3D files to {folder} (read-only). "
                                   f"Make it writable or {instead}.")
        real_check(folder, make=make)

    monkeypatch.setattr(batch, "_check_writable", check)
    report = lift_videos(config, [tmp_path / "videos", other], task=_toy_task)
    assert [i.name for i in report.done] == ["a.mp4"]
    assert [i.name for i in report.failed] == ["b.mp4"]
    assert "read-only" in report.failed[0].error
    # lift-project's --destfolder is where analyze_videos wrote: the way out is lift-files
    assert "dlc-lifter lift-files FOLDER -o OUT" in report.failed[0].error


def test_process_pool_broken_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         caplog: pytest.LogCaptureFixture) -> None:
    """A worker's death breaks the pool: the videos not finished are not lifted, counted
    once with the reason, not each reported as failed (was: every queued video FAILED,
    the same line each)."""
    names = ["a"] + [f"q{i}" for i in range(6)]
    config = _project(tmp_path, names)
    monkeypatch.setenv("DLC_LIFTER_TEST_DIE_ON", "a")
    with caplog.at_level(logging.ERROR), cf.ProcessPoolExecutor(
            1, mp_context=mp.get_context("fork")) as ex:
        report = lift_videos(config, task=_toy_task, executor=ex)
    assert not report.ok and report.worker_died and not report.failed
    assert report.not_started == len(names) - len(report.done)
    head = report.summary().splitlines()[0]
    assert "not lifted (a worker process died" in head and "INTERRUPTED" not in head
    assert len(report.summary().splitlines()) == 1
    assert caplog.text.count("A worker process died") == 1


#: A batch in a child process: one spawned worker (the CLI's pool) claims an output,
#: starts writing it, prints its pid and blocks, as a long lift does.
_BLOCKED_BATCH = """
import concurrent.futures as cf
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path

from dlc_lifter._atomic import atomic_output, claim_output
from dlc_lifter.lift.batch import worker_initializer


def lift_slowly(out):
    with claim_output(out), atomic_output(Path(out)) as tmp:
        tmp.write_bytes(b"partial")
        print(os.getpid(), flush=True)
        time.sleep(300)


if __name__ == "__main__":
    with cf.ProcessPoolExecutor(1, mp_context=mp.get_context("spawn"),
                                initializer=worker_initializer) as ex:
        ex.submit(lift_slowly, sys.argv[1])
        time.sleep(300)
"""


def _blocked_batch(tmp_path: Path, out: Path) -> Any:
    """:data:`_BLOCKED_BATCH` started in a child process on ``out``."""
    import subprocess

    script = tmp_path / "blocked_batch.py"
    script.write_text(_BLOCKED_BATCH)
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [root, *filter(None, [os.environ.get("PYTHONPATH")])])}
    return subprocess.Popen([sys.executable, str(script), str(out)], stdout=subprocess.PIPE,
                            env=env, cwd=tmp_path)


def _lifting_worker(child: Any) -> int:
    """The pid of the blocked batch's worker, once it has claimed its output."""
    import select

    ready, _, _ = select.select([child.stdout], [], [], 60)
    assert ready, "the worker never started lifting"
    return int(child.stdout.readline())


def _gone(pid: int) -> bool:
    """Whether process ``pid`` has ended (a zombie nobody reaps has ended)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


@pytest.mark.skipif(sys.platform == "win32", reason="no SIGKILL; a pid is never reparented")
def test_workers_of_a_killed_batch_stop_and_the_resume_cleans_up(tmp_path: Path) -> None:
    """A batch killed hard (``kill -9``, the OOM killer) cannot stop its workers: they
    finished their queued files and then waited forever holding torch's memory. A worker
    now ends within seconds of its batch, removing its claim on the file it was lifting;
    the temporary file is a dead run's, which the resumed batch cleans up."""
    import signal

    config = _project(tmp_path, ["v1"])
    out = tmp_path / "videos" / "lifted3d" / f"v1{DLC_SCORER}_lifted3d.h5"
    out.parent.mkdir()
    child = _blocked_batch(tmp_path, out)
    worker = None
    try:
        worker = _lifting_worker(child)
        child.send_signal(signal.SIGKILL)  # the batch only, as the OOM killer does
        child.wait()
        t0 = time.monotonic()
        while not _gone(worker) and time.monotonic() - t0 < 10:
            time.sleep(0.2)
        assert _gone(worker), "the killed batch's worker lives on"
    finally:
        if worker is not None and not _gone(worker):
            os.kill(worker, signal.SIGKILL)
        if child.poll() is None:
            child.kill()
        child.stdout.close()
    left = sorted(p.name for p in out.parent.iterdir())
    # the claim went with the worker (a run on another machine need not wait for it)
    assert f".{out.name}.lifting" not in left and any(".tmp" in n for n in left), left
    resumed = lift_videos(config, task=_claiming_toy_task)
    assert resumed.ok and [i.name for i in resumed.done] == ["v1.mp4"]
    assert sorted(p.name for p in out.parent.iterdir()) == [out.name]


@pytest.mark.skipif(sys.platform == "win32", reason="no SIGTERM to a process")
def test_a_worker_ended_by_sigterm_leaves_no_claim(tmp_path: Path) -> None:
    """SIGTERM to a worker (the batch stopping its pool, a cluster's time limit reaching
    every process of the job): its claim on the file it was lifting goes with it. Before,
    the claim stayed, and a run requeued on another machine left that file alone for
    CLAIM_STALE_S (10 min), reporting it "being lifted by another run"."""
    import signal

    out = tmp_path / "out" / "v1_lifted3d.h5"
    out.parent.mkdir()
    child = _blocked_batch(tmp_path, out)
    worker = None
    try:
        worker = _lifting_worker(child)
        assert claim_holder(out) is not None
        os.kill(worker, signal.SIGTERM)
        t0 = time.monotonic()
        while not _gone(worker) and time.monotonic() - t0 < 10:
            time.sleep(0.2)
        assert _gone(worker), "the worker lives on after SIGTERM"
        assert not claim_path(out).exists()
    finally:
        if worker is not None and not _gone(worker):
            os.kill(worker, signal.SIGKILL)
        child.kill()
        child.wait()
        child.stdout.close()


# --------------------------------------------------------------------------- dask
@pytest.mark.slow
def test_dask_executor_and_worker_death_is_retried(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    config = _project(tmp_path, ["a", "b", "c"])
    t0 = time.perf_counter()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        ex = batch.dask_executor(client, retries=1)
        # worker killed the first time each task runs: dask reschedules the task
        died = lift_videos(config, task=_die_once_task, executor=ex)
        assert died.ok, died.summary()
        assert len(died.done) == 3
        # a task raising a transient error is retried (retries=1)
        raised = lift_videos(config, task=_raise_once_task, executor=ex,
                             output=OutputSpec(overwrite=True))
        assert raised.ok, raised.summary()
        # without retries the error is reported, the batch goes on
        no_retry = client.get_executor(retries=0, pure=False)
        for p in (tmp_path / "videos" / "lifted3d").glob("*.raised"):
            p.unlink()
        once = lift_videos(config, task=_raise_once_task, executor=no_retry,
                           output=OutputSpec(overwrite=True))
        assert len(once.failed) == 3 and "transient I/O error" in once.failed[0].error
    assert len(list((tmp_path / "videos" / "lifted3d").glob("*.died"))) == 3  # each died
    assert time.perf_counter() - t0 < 60


def test_dask_threads_cluster_runs_real_task_function(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    config = _project(tmp_path, ["a", "b"])
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        report = lift_videos(config, task=_toy_task,
                             executor=client.get_executor(retries=2, pure=False))
    assert report.ok and len(report.done) == 2


# --------------------------------------------------------------------------- the real lift
@pytest.fixture
def real_lift() -> None:
    try:
        from dlc_lifter.lift import lift_file  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"dlc_lifter.lift.lift_file not available: {exc}")


@pytest.mark.usefixtures("real_lift")
def test_real_lift_missing_and_unreadable_video(tmp_path: Path,
                                               caplog: pytest.LogCaptureFixture) -> None:
    config = _project(tmp_path, ["a", "b"])
    (tmp_path / "videos" / "a.mp4").unlink()  # missing
    (tmp_path / "videos" / "b.mp4").write_bytes(b"garbage")  # unreadable
    with caplog.at_level(logging.WARNING):
        report = lift_videos(config, [tmp_path / "videos" / "a.mp4",
                                      tmp_path / "videos" / "b.mp4"])
    assert report.ok, report.summary()
    assert len(report.done) == 2
    assert "keypoints only" in caplog.text.lower() or "keypoints-only" in caplog.text.lower()
    df = _read(Path(report.done[0].output))
    assert list(df.columns.get_level_values(-1).unique())[:3] == ["x", "y", "z"]


@pytest.mark.usefixtures("real_lift")
def test_a_rerun_says_a_video_that_opens_now(tmp_path: Path,
                                             caplog: pytest.LogCaptureFixture) -> None:
    """A file lifted from its keypoints because its video was unreadable (an empty copy):
    rerun after the video is copied again, the output is kept and the summary says the
    video opens now and how to lift with it (before: skipped without a word). One still
    unreadable, or a video that was fine, gives no such note."""
    config = _project(tmp_path, ["a", "b"])
    good = (tmp_path / "videos" / "a.mp4").read_bytes()
    (tmp_path / "videos" / "a.mp4").write_bytes(b"")  # an empty copy
    (tmp_path / "videos" / "b.mp4").write_bytes(b"garbage")
    first = lift_videos(config)
    assert first.ok and len(first.done) == 2, first.summary()
    (tmp_path / "videos" / "a.mp4").write_bytes(good)
    with caplog.at_level(logging.WARNING):
        again = lift_videos(config)
    assert len(again.skipped) == 2 and not again.done
    said = [ln for ln in again.summary().splitlines() if "opens now" in ln]
    assert len(said) == 1 and "its video a.mp4 then missing or unreadable" in said[0], \
        again.summary()
    assert "overwrite=True lifts it again with it" in caplog.text


@pytest.mark.usefixtures("real_lift")
def test_a_found_file_is_read_once_and_lifted_with_its_video(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``lift_files``' jobs take the video from the pose file as it is read for the lift
    (it was read a second time just to find the video)."""
    import dlc_lifter.io as dio

    _project(tmp_path, ["a"])
    real_read, reads = dio.read_poses, []

    def counting(path, *args, **kwargs):  # noqa: ANN001, ANN202 - read_poses' signature
        reads.append(Path(path).name)
        return real_read(path, *args, **kwargs)

    monkeypatch.setattr(dio, "read_poses", counting)
    job = LiftJob(poses=str(tmp_path / "videos" / f"a{DLC_SCORER}.h5"),
                  output=str(tmp_path / "out" / "a_lifted3d.h5"), video_from_poses=True,
                  options=LiftOptions(depth=False))
    (tmp_path / "out").mkdir()
    item = batch.run_lift_job(job)
    assert item.status == "done", item.error
    assert reads == [f"a{DLC_SCORER}.h5"]
    assert item.video == str(tmp_path / "videos" / "a.mp4")
    assert real_read(item.output).meta.video == item.video


@pytest.mark.usefixtures("real_lift")
def test_real_lift_frame_count_mismatch_names_both_counts(tmp_path: Path) -> None:
    config = _project(tmp_path, ["a"], n_frames=20, video_frames=12)
    report = lift_videos(config)
    assert len(report.failed) == 1
    assert "20" in report.failed[0].error and "12" in report.failed[0].error


@pytest.mark.usefixtures("real_lift")
def test_real_lift_multi_animal_with_empty_individual(tmp_path: Path) -> None:
    config = _project(tmp_path, ["m"], individuals=("mouse1", "mouse2"))
    report = lift_videos(config)
    assert report.ok, report.summary()
    df = _read(Path(report.done[0].output))
    inds = list(df.columns.get_level_values("individuals").unique())
    assert inds[0] == "mouse1"
    if "mouse2" in inds:
        assert df.xs("mouse2", level="individuals", axis=1).isna().all().all()


def test_bad_pose_file_error_type() -> None:
    # run_lift_job turns bad input into a failed item instead of raising
    job = LiftJob(poses="/nonexistent/xDLC_y.h5", output="/tmp/never_lifted3d.h5")
    try:
        item = batch.run_lift_job(job)
    except ImportError:
        pytest.skip("dlc_lifter.lift.lift_file not available")
    except (OSError, PoseFileError):
        pytest.fail("bad input must be reported, not raised")
    else:
        assert item.status == "failed" and "nonexistent" in item.error


def test_plot_flag_on_existing_outputs_makes_missing_plots(tmp_path: Path) -> None:
    config = _project(tmp_path, ["a"], n_frames=15)
    assert lift_videos(config, task=_toy_task).ok
    from dlc_lifter.analysis.plots import PlotStep, plot_paths

    report = lift_videos(config, after_each=PlotStep(max_frames=5))
    assert report.ok and len(report.skipped) == 1, report.summary()
    plots = plot_paths(report.skipped[0].output)
    assert all(p.is_file() for p in plots)
    assert sorted(report.skipped[0].extra_outputs) == sorted(map(str, plots))


def _touch_task(job: LiftJob) -> BatchItem:
    """Records which files a batch would lift (no reading)."""
    with _atomic(Path(job.output)) as tmp:
        Path(tmp).write_text(job.poses)
    return BatchItem(poses=job.poses, video=job.video, output=job.output, status="done")


def test_lift_sleap_finds_slp_and_analysis_files(tmp_path: Path) -> None:
    from dlc_lifter.lift.batch import lift_sleap

    for name in ("a.slp", "b.analysis.h5", "a_lifted3d.h5", "notes.h5"):
        (tmp_path / name).write_bytes(b"x")
    out = tmp_path / "out"
    report = lift_sleap([tmp_path, tmp_path / "missing.slp"], task=_touch_task,
                        output=OutputSpec(destfolder=out))
    assert sorted(Path(i.poses).name for i in report.done) == ["a.slp", "b.analysis.h5"]
    assert [Path(i.poses).name for i in report.failed] == ["missing.slp"]
    assert all(Path(i.output).parent == out and i.output.endswith("_lifted3d.h5")
               for i in report.done)


def _formats_task(job: LiftJob) -> BatchItem:
    """Writes the formats a job asks for into its output (no reading)."""
    with _atomic(Path(job.output)) as tmp:
        Path(tmp).write_text(",".join(job.output_spec.formats or ()))
    return BatchItem(poses=job.poses, video=job.video, output=job.output, status="done")


def _recording_task(job: LiftJob) -> BatchItem:
    """Writes each format asked for and the meta pickle's record of the input, as the
    pipeline does (no reading)."""
    from dlc_lifter.io.provenance import source_record
    from dlc_lifter.lift.options import as_record
    from dlc_lifter.lift.outputs import output_paths

    out = Path(job.output)
    for q in output_paths(out, job.output_spec.formats or ("dlc",)).values():
        with _atomic(q) as tmp:
            Path(tmp).write_text("3d")
    with _atomic(out.with_name(f"{out.stem}_meta.pickle")) as tmp, open(tmp, "wb") as fh:
        pickle.dump({"data": {"source_file": source_record(job.poses),
                              "camera_spec": as_record(job.camera),
                              "lift_options": as_record(replace(  # resolved, as lifted
                                  job.options, pcutoff=job.options.pcutoff or 0.6))}}, fh)
    return BatchItem(poses=job.poses, video=job.video, output=job.output, status="done")


def _keypoints_only_task(job: LiftJob) -> BatchItem:
    """``_recording_task``, its record saying the lift went without depth (no video)."""
    item = _recording_task(job)
    meta = Path(job.output).with_name(f"{Path(job.output).stem}_meta.pickle")
    with meta.open("rb") as fh:
        rec = pickle.load(fh)
    rec["data"]["depth_used"] = Path(job.poses).name.startswith("a")
    with meta.open("wb") as fh:
        pickle.dump(rec, fh)
    return item


def test_a_rerun_without_depth_keeps_files_lifted_without_it(tmp_path: Path) -> None:
    """A rerun with ``depth=False`` (``--no-depth``) over files lifted by default: a file
    lifted from its keypoints only (no video) is that lift already, skipped without a word
    (before: "lifted before with other options (depth None -> False)"); one lifted with
    depth is said to differ, as before."""
    from dlc_lifter.lift.batch import lift_files

    (tmp_path / "in").mkdir()
    for name in ("a", "b"):
        (tmp_path / "in" / f"{name}{DLC_SCORER}.h5").write_text(name)
    out = OutputSpec(destfolder=str(tmp_path / "o"))
    assert len(lift_files(tmp_path / "in", output=out, task=_keypoints_only_task).done) == 2
    again = lift_files(tmp_path / "in", output=out, task=_keypoints_only_task,
                       options=LiftOptions(depth=False))
    assert len(again.skipped) == 2
    said = [ln for ln in again.summary().splitlines() if "other options" in ln]
    assert len(said) == 1 and "(depth on -> off)" in said[0] and "(a" in said[0], said
    # the count says one output was kept out of date (before: "2 skipped (output exists)")
    assert "2 skipped (output exists; 1 of them out of date, kept: see the warnings; " \
        "redo_out_of_date=True lifts only those again)" in again.summary()


def _record_of(out: Path) -> Path:
    return out.with_name(f"{out.stem}_meta.pickle")


def _edit_record(out: Path, **fields: Any) -> None:
    """Set ``fields`` in an output's meta pickle record (as another version wrote it)."""
    path = _record_of(out)
    with path.open("rb") as fh:
        rec = pickle.load(fh)
    rec["data"].update(fields)
    with path.open("wb") as fh:
        pickle.dump(rec, fh)


def test_a_batch_lifts_again_only_its_outputs_out_of_date(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """``redo_out_of_date`` (``--redo-out-of-date``), as after an upgrade: outputs lifted
    by another dlc-lifter version, with other shipped weights (the networks for oblique
    views among them), from an input changed since, or whose record cannot tell (an older
    version's, without its input) are lifted again, counted, listed
    (``BatchReport.redone``) and logged without "kept"; the one up to date is skipped.
    Without it, each is kept with a warning naming what differs and both ways to lift it
    again (before: the version and weights were not compared, so an upgraded lab's rerun
    kept every old lift without a word)."""
    from dlc_lifter._version import __version__
    from dlc_lifter.io.weights import file_hash
    from dlc_lifter.lift.batch import lift_files
    from dlc_lifter.lift.lifter import default_model_path, oblique_model_path

    (tmp_path / "in").mkdir()
    names = "abcdef"
    for name in names:
        (tmp_path / "in" / f"{name}{DLC_SCORER}.h5").write_text(name)
    out = OutputSpec(destfolder=str(tmp_path / "o"))
    first = lift_files(tmp_path / "in", output=out, task=_recording_task)
    outs = {Path(i.poses).name[0]: Path(i.output) for i in first.done}
    shipped, oblique = default_model_path(), oblique_model_path(default_model_path())
    now = file_hash(shipped)
    _edit_record(outs["a"], dlc_lifter_version="0.0.1")
    _edit_record(outs["b"], model={"name": shipped.name, "sha256": "0" * 16})
    _edit_record(outs["c"], model={"name": shipped.name, "sha256": now},  # the same weights
                 dlc_lifter_version=__version__)
    time.sleep(0.01)
    (tmp_path / "in" / f"d{DLC_SCORER}.h5").write_text("d, tracked again")
    _edit_record(outs["e"], extra={"oblique_model": {"name": oblique.name, "sha256": "1" * 16}})
    _edit_record(outs["f"], source_file=None)

    kept = lift_files(tmp_path / "in", output=out, task=_recording_task)
    assert len(kept.skipped) == 6 and not kept.done and not kept.redone
    assert "5 of them out of date, kept" in kept.summary()
    text = " ".join(w for i in kept.skipped for w in i.warnings)
    assert f"dlc-lifter 0.0.1 -> {__version__}" in text
    assert f"{shipped.name} {'0' * 16} -> {now}" in text
    assert f"{oblique.name} {'1' * 16} -> {file_hash(oblique)}" in text
    assert "changed since" in text and "does not say what it was lifted from" in text
    assert text.count("Kept (skipped): overwrite=True lifts it again") == 5
    assert text.count("redo_out_of_date=True lifts again only the outputs out of date") == 5

    redo = replace(out, redo_out_of_date=True)
    with caplog.at_level(logging.INFO):
        again = lift_files(tmp_path / "in", output=redo, task=_recording_task)
    assert sorted(Path(i.poses).name[0] for i in again.done) == list("abdef")
    assert [Path(i.poses).name[0] for i in again.skipped] == ["c"]
    assert sorted(again.redone) == sorted(str(outs[k]) for k in "abdef")
    assert again.summary().startswith("5 lifted (5 of them again, out of date), 1 skipped")
    said = [r.getMessage() for r in caplog.records if "lifting again" in r.getMessage()]
    assert len(said) == 5 and not any("kept" in m.lower() for m in said), said
    # lifted again as they are now: a third run finds every output up to date
    third = lift_files(tmp_path / "in", output=redo, task=_recording_task)
    assert len(third.skipped) == 6 and not third.done and not third.redone


def _lifted_before(tmp_path: Path) -> tuple[Path, Path]:
    """A pose file (not read) and its output where ``lift_file`` puts it, as if lifted."""
    from dlc_lifter.io import lifted_output_path

    src = tmp_path / f"m{DLC_SCORER}.h5"
    src.write_text("2d")
    out = Path(lifted_output_path(src, None))
    out.parent.mkdir(parents=True)
    out.write_text("3d")
    return src, out


def test_redo_out_of_date_for_one_file_says_which_command_does_it(tmp_path: Path) -> None:
    """``lift_file`` cannot tell an output out of date from one up to date (only batches
    compare them): with ``redo_out_of_date`` and an output there it refuses and names the
    batch command with the options given, and ``overwrite``."""
    from dlc_lifter.errors import OutputExistsError
    from dlc_lifter.lift import lift_file

    src, out = _lifted_before(tmp_path)
    with pytest.raises(OutputExistsError) as err:
        lift_file(src, camera=CameraSpec(arena_size_mm=420),
                  output=OutputSpec(redo_out_of_date=True))
    text = str(err.value)
    assert f"lift-files {src} --redo-out-of-date --arena-size-mm 420" in text, text
    assert "overwrite=True" in text
    assert out.read_text() == "3d"


def test_a_rerun_with_depth_over_files_lifted_without_it(tmp_path: Path) -> None:
    """Files lifted with ``--no-depth``, then the batch run again with the default (depth
    on for a video found): the one with a video is said to be out of date (before: skipped
    without a word, its record saying depth False), the one without is the same lift, also
    with ``--depth`` asked (before: "depth False -> True")."""
    from dlc_lifter.lift.batch import lift_files

    _project(tmp_path, ["a", "b"])
    (tmp_path / "videos" / "b.mp4").unlink()
    out = OutputSpec(destfolder=str(tmp_path / "o"))
    first = lift_files(tmp_path / "videos", output=out, task=_recording_task,
                       options=LiftOptions(depth=False))
    assert len(first.done) == 2
    for depth in (None, True):
        again = lift_files(tmp_path / "videos", output=out, task=_recording_task,
                           options=LiftOptions(depth=depth))
        said = [ln for ln in again.summary().splitlines() if "other options" in ln]
        assert len(said) == 1 and "(depth off -> on)" in said[0] and "(a" in said[0], said


def test_an_output_that_exists_is_checked_before_it_is_skipped(tmp_path: Path) -> None:
    """An existing output is skipped only as this file's lift: another cohort's file of the
    same name is lifted into its own subfolder (not skipped, nor over it), and a skip says where
    the input changed since or a format asked for is missing (and, the input and options as
    they were, is written from the lift); a dataset moved is not lifted again."""
    from dlc_lifter.lift.batch import lift_files

    name = f"mouse1{DLC_SCORER}.h5"
    for cohort, text in (("cohort1", "one"), ("cohort2", "two, longer")):
        (tmp_path / cohort).mkdir()
        (tmp_path / cohort / name).write_text(text)
    out = OutputSpec(destfolder=str(tmp_path / "o"))
    assert len(lift_files(tmp_path / "cohort1", output=out, task=_recording_task).done) == 1
    other = lift_files(tmp_path / "cohort2", output=out, task=_recording_task)
    assert not other.skipped and not other.failed
    assert Path(other.done[0].output).parent == tmp_path / "o" / "cohort2"
    # formats asked for that the first run did not write (--format nwb, or --csv): added
    # from the lift (tests/lift/test_batch_formats.py writes them)
    asked: list[LiftJob] = []

    def adding(job: LiftJob) -> BatchItem:
        asked.append(job)
        return BatchItem.of_job(job, "added")

    more = lift_files(tmp_path / "cohort1", task=adding,
                      output=OutputSpec(destfolder=str(tmp_path / "o"), formats=("dlc", "nwb")))
    assert len(more.added) == 1 and not more.skipped and asked[-1].add_formats == ("nwb",)
    csv = lift_files(tmp_path / "cohort1", task=adding,
                     output=OutputSpec(destfolder=str(tmp_path / "o"), save_as_csv=True))
    assert len(csv.added) == 1 and asked[-1].add_formats == ("csv",)
    # the input changed since: skipped, and the format asked for not written
    (tmp_path / "cohort1" / name).write_text("one, re-analysed")
    changed = lift_files(tmp_path / "cohort1", task=adding,
                         output=OutputSpec(destfolder=str(tmp_path / "o"), nwb=True))
    assert len(changed.skipped) == 1 and "changed since" in changed.summary()
    assert "exists without the nwb output asked" in changed.summary() and len(asked) == 2
    (tmp_path / "cohort1" / name).write_text("one")
    # lifted before with other options (an arena given in cm, then in mm): said, kept
    again = lift_files(tmp_path / "cohort1", output=out, task=_recording_task,
                       camera=CameraSpec(arena_size_mm=420.0))
    assert len(again.skipped) == 1
    assert "lifted before with other options (arena_size_mm not given -> 420.0)" in again.summary()
    same = lift_files(tmp_path / "cohort1", output=out, task=_recording_task,
                      options=LiftOptions(pcutoff=0.6))  # left out before: resolved per file
    assert "other options" not in same.summary()
    # the dataset moved (same file, same size): resumed, not lifted again
    shutil.copytree(tmp_path / "cohort1", tmp_path / "moved")
    moved = lift_files(tmp_path / "moved", output=out, task=_recording_task)
    assert len(moved.skipped) == 1 and not moved.failed
    # copied without its times (cp, not cp -p): the content says it is the same file
    (tmp_path / "copied").mkdir()
    shutil.copyfile(tmp_path / "cohort1" / name, tmp_path / "copied" / name)
    os.utime(tmp_path / "copied" / name, ns=(1, 1))
    copied = lift_files(tmp_path / "copied", output=out, task=_recording_task)
    assert len(copied.skipped) == 1 and not copied.failed
    # another recording of that name and that size (a lab's two boxes, DLC files of one
    # frame count): taken as this one's, moved, before; another file's lift now
    (tmp_path / "box2").mkdir()
    (tmp_path / "box2" / name).write_text("eno")
    box2 = lift_files(tmp_path / "box2", output=out, task=_recording_task)
    assert not box2.skipped and Path(box2.done[0].output).parent == tmp_path / "o" / "box2"
    # the same file touched (its content as it was): not "changed since"
    os.utime(tmp_path / "cohort1" / name, ns=(2, 2))
    touched = lift_files(tmp_path / "cohort1", output=out, task=_recording_task)
    assert len(touched.skipped) == 1 and "changed since" not in touched.summary()


def test_a_folder_moved_with_its_lifts_and_a_file_changed_is_out_of_date(
        tmp_path: Path) -> None:
    """A dataset lifted beside its files (``lifted3d/``), one file re-copied whole, then the
    folder copied elsewhere: that file is out of date, skipped and said (was: FAILED, "the
    lift of another file of the same name; give another destfolder")."""
    from dlc_lifter.lift.batch import lift_files

    name = f"mouse1{DLC_SCORER}.h5"
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / name).write_text("half copied")
    assert len(lift_files(tmp_path / "data", task=_recording_task).done) == 1
    (tmp_path / "data" / name).write_text("copied whole this time")
    shutil.copytree(tmp_path / "data", tmp_path / "moved data")
    moved = lift_files(tmp_path / "moved data", task=_recording_task)
    assert not moved.failed and len(moved.skipped) == 1, moved.summary()
    assert "changed since its output" in moved.summary()
    assert "before its folder was moved or copied here" in moved.skipped[0].warnings[0]


def test_an_input_s_output_goes_where_its_lift_is_whatever_else_the_run_holds(
        tmp_path: Path) -> None:
    """Into one destfolder, a dataset lifted part by part, or grown since, lifts each file
    once: an input whose lift exists (flat, or in the subfolder a run with another file of
    its name gave it) is found there, and a new file of a lifted one's name goes into its
    folder's subfolder, where a run with both puts it. (Same-named files went flat alone
    and into subfolders together: boxA's lifted twice, the flat ones left over.)"""
    from dlc_lifter.lift.batch import lift_files

    def put(rel: str, text: str) -> None:
        (tmp_path / "legacy" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "legacy" / rel).write_text(text)

    def lifted(out: Path) -> list[str]:
        return sorted(q.relative_to(out).as_posix() for q in out.rglob("*_lifted3d.h5"))

    for rel, text in (("boxA/trial1", "A1"), ("boxA/trial2", "A2"), ("boxB/trial1", "B1")):
        put(f"{rel}{DLC_SCORER}.h5", text)  # one size: told apart by their content
    name = f"{DLC_SCORER}_lifted3d.h5"
    legacy, out = tmp_path / "legacy", OutputSpec(destfolder=str(tmp_path / "o"))
    assert len(lift_files(legacy / "boxA", output=out, task=_recording_task).done) == 2
    whole = lift_files(legacy, recursive=True, output=out, task=_recording_task)
    assert [Path(i.poses).parent.name for i in whole.done] == ["boxB"]
    assert len(whole.skipped) == 2 and not whole.failed
    assert lifted(tmp_path / "o") == [f"boxB/trial1{name}", f"trial1{name}", f"trial2{name}"]
    assert not (tmp_path / "o" / "boxA").exists()  # planned for boxA's, which stayed flat
    # from another tree: the fewest folder names that tell it apart, not its whole path
    (tmp_path / "far" / "m1").mkdir(parents=True)
    (tmp_path / "far" / "m1" / f"trial2{DLC_SCORER}.h5").write_text("F2")
    far = lift_files(tmp_path / "far" / "m1", output=out, task=_recording_task)
    assert Path(far.done[0].output) == tmp_path / "o" / "m1" / f"trial2{name}"
    # the other way round: lifted together, then one part again
    out2 = OutputSpec(destfolder=str(tmp_path / "o2"))
    assert len(lift_files(legacy, recursive=True, output=out2, task=_recording_task).done) == 3
    part = lift_files(legacy / "boxA", output=out2, task=_recording_task)
    assert not part.done and len(part.skipped) == 2
    assert sorted(Path(i.output).relative_to(tmp_path / "o2").as_posix()
                  for i in part.skipped) == [f"boxA/trial1{name}", f"trial2{name}"]
    # grown: a new box's trial2, alone or with the rest, goes where the other would put it
    put(f"boxC/trial2{DLC_SCORER}.h5", "C2")
    alone = lift_files(legacy / "boxC", output=out2, task=_recording_task)
    assert Path(alone.done[0].output) == tmp_path / "o2" / "boxC" / f"trial2{name}"
    put(f"boxD/trial2{DLC_SCORER}.h5", "D2")
    grown = lift_files(legacy, recursive=True, output=out2, task=_recording_task)
    assert [Path(i.output).parent.name for i in grown.done] == ["boxD"]
    assert len(grown.skipped) == 4 and not grown.failed
    assert lifted(tmp_path / "o2") == [f"{box}/trial{k}{name}" for box, k in (
        ("boxA", 1), ("boxB", 1), ("boxC", 2), ("boxD", 2))] + [f"trial2{name}"]
    # one in the folder the others share: its own folder's name where the flat one is taken
    put(f"trial2{DLC_SCORER}.h5", "L2")
    top = lift_files(legacy, recursive=True, output=out2, task=_recording_task)
    assert Path(top.done[0].output) == tmp_path / "o2" / "legacy" / f"trial2{name}"
    assert not lift_files(legacy, output=out2, task=_recording_task).done


def test_the_summary_counts_the_files_passed_over(tmp_path: Path) -> None:
    """Every file a batch found is in its counts: a .csv twin of an .h5 and the other of a
    ``_filtered`` pair as passed over (they were named in the log alone), a video named."""
    from dlc_lifter.lift.batch import lift_files

    for name in (f"a{DLC_SCORER}.h5", f"a{DLC_SCORER}.csv", f"a{DLC_SCORER}_filtered.h5",
                 f"b{DLC_SCORER}.h5", "b.mp4"):
        (tmp_path / name).write_bytes(b"x")
    report = lift_files(tmp_path, task=_formats_task)
    assert len(report.done) == 2 and len(report.passed_over) == 2
    assert ("2 lifted, 0 skipped (output exists), 0 failed, 2 passed over (other outputs of "
            "recordings lifted once)") in report.summary()
    named = lift_files([tmp_path / "b.mp4", tmp_path / f"b{DLC_SCORER}.h5"],
                       task=_formats_task)
    assert "1 skipped (output exists), 0 failed, 1 passed over (videos)" in named.summary()


def test_lift_files_takes_one_file_per_recording_and_resumes(tmp_path: Path) -> None:
    """A folder kept without its project: the .h5 of a .h5 / .csv pair, SLEAP's files with
    SLEAP's layout, nothing that is not a pose file; a second run skips what is done."""
    from dlc_lifter.lift.batch import lift_files

    for name in (f"a{DLC_SCORER}.h5", f"a{DLC_SCORER}.csv", "s.slp", "notes.h5",
                 f"sub/b{DLC_SCORER}.h5"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    report = lift_files(tmp_path, task=_formats_task)
    outs = {Path(i.poses).name: Path(i.output).read_text() for i in report.done}
    assert outs == {f"a{DLC_SCORER}.h5": "dlc", "s.slp": "slp,dlc"}
    assert lift_files(tmp_path, recursive=True, task=_formats_task).done[0].poses.endswith(
        f"sub/b{DLC_SCORER}.h5")
    again = lift_files(tmp_path, recursive=True, task=_formats_task)
    assert not again.done and len(again.skipped) == 3
    # named one by one (a shell's dir/*): the video passed over, the .h5 of a twin pair
    (tmp_path / "a.mp4").write_bytes(b"x")
    named = lift_files([tmp_path / "a.mp4", tmp_path / f"a{DLC_SCORER}.csv",
                        tmp_path / f"a{DLC_SCORER}.h5"], task=_formats_task,
                       output=OutputSpec(destfolder=tmp_path / "o"))
    assert [Path(i.poses).name for i in named.done] == [f"a{DLC_SCORER}.h5"]
    assert not named.failed
    # two files that would write one output: the second is reported, not overwritten
    for name in ("c.nwb", "c.slp"):
        (tmp_path / "c" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "c" / name).write_bytes(b"x")
    clash = lift_files([tmp_path / "c" / "c.nwb", tmp_path / "c" / "c.slp"],
                       task=_formats_task, output=OutputSpec(destfolder=tmp_path / "o2"))
    assert len(clash.done) == 1 and "also" in clash.failed[0].error
    (tmp_path / "empty").mkdir()
    with pytest.raises(DLCLifterError, match="No pose files"):
        lift_files(tmp_path / "empty", task=_formats_task)


def test_lift_sleap_searches_subfolders_when_told(tmp_path: Path) -> None:
    """``lift-sleap FOLDER`` says where its subfolders hold SLEAP files, and ``--recursive``
    (which it names) finds them."""
    from dlc_lifter.lift.batch import lift_sleap

    (tmp_path / "day1").mkdir()
    (tmp_path / "day1" / "s.slp").write_bytes(b"x")
    with pytest.raises(DLCLifterError, match="search them with recursive=True"):
        lift_sleap(tmp_path, task=_formats_task)
    assert len(lift_sleap(tmp_path, recursive=True, task=_formats_task).done) == 1


def test_a_projects_labelled_data_lifts_into_one_folder(tmp_path: Path) -> None:
    """A DLC project's ``labeled-data/<video>/CollectedData_<scorer>.h5`` share one name:
    into one destfolder their outputs go into subfolders named as theirs (resumable), not
    onto each other; a folder whose pose files lie only in its subfolders says so."""
    from dlc_lifter.lift.batch import lift_files

    labelled = tmp_path / "proj" / "labeled-data"
    for video in ("v1", "v2", "v3"):
        (labelled / video).mkdir(parents=True)
        (labelled / video / "CollectedData_Alice.h5").write_bytes(b"x")
    (labelled / "v1_labeled").mkdir()  # DLC's check_labels images, no labels
    with pytest.raises(DLCLifterError, match=r"subfolders hold 3 .*--recursive"):
        lift_files(labelled, task=_formats_task)
    out = tmp_path / "out"
    report = lift_files(labelled, recursive=True, task=_formats_task,
                        output=OutputSpec(destfolder=out))
    assert not report.failed
    assert sorted(Path(i.output).relative_to(out).as_posix() for i in report.done) == [
        f"{v}/CollectedData_Alice_lifted3d.h5" for v in ("v1", "v2", "v3")]
    again = lift_files(labelled, recursive=True, task=_formats_task,
                       output=OutputSpec(destfolder=out))
    assert not again.done and len(again.skipped) == 3
    # one folder alone goes where it goes among several: a rerun after the project grew
    # skips it (it was lifted into the destfolder's top, then again into v1/)
    shutil.rmtree(labelled / "v2")
    shutil.rmtree(labelled / "v3")
    one = lift_files(labelled, recursive=True, task=_formats_task,
                     output=OutputSpec(destfolder=tmp_path / "one"))
    assert Path(one.done[0].output) == tmp_path / "one" / "v1" / "CollectedData_Alice_lifted3d.h5"
    (labelled / "v2").mkdir()
    (labelled / "v2" / "CollectedData_Alice.h5").write_bytes(b"x")
    grown = lift_files(labelled, recursive=True, task=_formats_task,
                       output=OutputSpec(destfolder=tmp_path / "one"))
    assert [Path(i.poses).parent.name for i in grown.done] == ["v2"]
    assert len(grown.skipped) == 1


@pytest.mark.usefixtures("real_lift")
def test_lift_files_command_lifts_a_folder_of_dlc_outputs(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """``dlc-lifter lift-files FOLDER`` lifts every analysed file in it with its video; the
    summary is printed once (the batch does not log its counts too)."""
    from typer.testing import CliRunner

    from dlc_lifter.cli import app

    config = _project(tmp_path, ["a", "b"])
    videos = config.parent / "videos"
    with caplog.at_level(logging.INFO, logger="dlc_lifter.lift.batch"):
        res = CliRunner().invoke(app, ["lift-files", str(videos), "--no-depth"])
    assert res.exit_code == 0, res.output
    assert res.output.count("2 lifted") == 1
    assert not [r for r in caplog.records if "2 lifted" in r.getMessage()]
    for name in ("a", "b"):
        df = _read(videos / "lifted3d" / f"{name}{DLC_SCORER}_lifted3d.h5")
        assert len(df) == 20 and np.isfinite(df.to_numpy()).any()


def test_lift_project_uses_the_project_s_pcutoff_unless_given(tmp_path: Path) -> None:
    """``lift-project`` lifts with the config's ``pcutoff`` (DeepLabCut's "tracked", as
    ``info --config`` reads it), ``--pcutoff`` overrides it, and the meta pickle records
    the value used; ``lift-files`` and ``lift-sleap`` take ``--pcutoff`` too."""
    from typer.testing import CliRunner

    from dlc_lifter.cli import app
    from dlc_lifter.io import meta_pickle_path

    config = _project(tmp_path, ["a"])
    config.write_text(config.read_text().replace("pcutoff: 0.6", "pcutoff: 0.4"))
    out = tmp_path / "videos" / "lifted3d" / f"a{DLC_SCORER}_lifted3d.h5"

    def used() -> float:
        with open(meta_pickle_path(out), "rb") as fh:
            return pickle.load(fh)["data"]["lift_options"]["pcutoff"]

    runner = CliRunner()
    res = runner.invoke(app, ["lift-project", str(config), "--no-depth"])
    assert res.exit_code == 0, res.output
    assert used() == 0.4
    res = runner.invoke(app, ["lift-project", str(config), "--no-depth", "--overwrite",
                              "--pcutoff", "0.5"])
    assert res.exit_code == 0, res.output
    assert used() == 0.5
    for verb in ("lift-files", "lift-sleap"):
        assert "--pcutoff" in runner.invoke(app, [verb, "--help"]).output
    jobs: list[LiftJob] = []

    def record(job: LiftJob) -> BatchItem:
        jobs.append(job)
        return _toy_task(job)

    lift_videos(config, task=record, output=OutputSpec(overwrite=True),
                options=LiftOptions(pcutoff=0.7))
    assert [j.options.pcutoff for j in jobs] == [0.7]


# --------------------------------------------------------------------------- real lift, killed
def _real_task_dying_on(job: LiftJob) -> BatchItem:
    """The real lift task; the video named in DLC_LIFTER_TEST_DIE_ON dies while writing."""
    die_on = os.environ.get("DLC_LIFTER_TEST_DIE_ON")
    if die_on and Path(job.poses).name.startswith(die_on):
        def die(self: pd.DataFrame, path: str, *args: object, **kwargs: object) -> None:
            Path(path).write_bytes(b"partial")  # half an output in the temporary file
            os._exit(9)

        pd.DataFrame.to_hdf = die  # this worker process only
    return batch.run_lift_job(job)


@pytest.mark.usefixtures("real_lift")
def test_real_lift_killed_mid_video_resumes_to_identical_outputs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = ["v1", "v2", "v3"]
    ref = _project(tmp_path / "ref", names, n_frames=40)
    assert lift_videos(ref).ok
    config = _project(tmp_path / "run", names, n_frames=40)
    monkeypatch.setenv("DLC_LIFTER_TEST_DIE_ON", "v2")
    # spawned, as --workers does: a child forked from a process whose torch has started
    # its threads (the reference lift above) can hang
    with cf.ProcessPoolExecutor(2, mp_context=mp.get_context("spawn"),
                                initializer=batch.worker_initializer) as ex:
        killed = lift_videos(config, task=_real_task_dying_on, executor=ex)
    assert not killed.ok
    folder = tmp_path / "run" / "videos" / "lifted3d"
    assert not (folder / f"v2{DLC_SCORER}_lifted3d.h5").exists()  # never a partial output
    # the meta pickle is written (staged) before the .h5: the resume must remove it
    from dlc_lifter.lift.outputs import staged_files

    assert [p.name for p in staged_files(folder / f"v2{DLC_SCORER}_lifted3d.h5")] == [
        f".v2{DLC_SCORER}_lifted3d.staging_meta.pickle"]
    assert not (folder / f"v2{DLC_SCORER}_lifted3d_meta.pickle").exists()
    monkeypatch.delenv("DLC_LIFTER_TEST_DIE_ON")
    resumed = lift_videos(config)
    assert resumed.ok and "v2.mp4" in {i.name for i in resumed.done}
    assert not [p for p in folder.iterdir() if ".tmp" in p.name or ".staging" in p.name]
    for n in names:
        a = _read(tmp_path / "ref" / "videos" / "lifted3d" / f"{n}{DLC_SCORER}_lifted3d.h5")
        b = _read(folder / f"{n}{DLC_SCORER}_lifted3d.h5")
        # the reference ran with this process's torch threads, the workers with one: sums
        # in another order (1e-5 mm)
        pd.testing.assert_frame_equal(a, b, check_exact=False, atol=1e-4, rtol=0)
        meta = pd.read_pickle(folder / f"{n}{DLC_SCORER}_lifted3d_meta.pickle")["data"]
        ref = pd.read_pickle(tmp_path / "ref" / "videos" / "lifted3d"
                             / f"{n}{DLC_SCORER}_lifted3d_meta.pickle")
        np.testing.assert_array_equal(meta["likelihood"], ref["data"]["likelihood"])


@pytest.mark.usefixtures("real_lift")
def test_real_lift_on_dask_local_cluster_equals_sequential(tmp_path: Path) -> None:
    import torch

    distributed = pytest.importorskip("distributed")
    names = ["a", "b"]
    ref = _project(tmp_path / "ref", names, n_frames=30)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the workers (their sums in another order differ by 1e-6)
    try:
        assert lift_videos(ref).ok
    finally:
        torch.set_num_threads(threads)
    config = _project(tmp_path / "run", names, n_frames=30)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        report = lift_videos(config, executor=batch.dask_executor(client, retries=1))
    assert report.ok and len(report.done) == 2, report.summary()
    for n in names:
        a = _read(tmp_path / "ref" / "videos" / "lifted3d" / f"{n}{DLC_SCORER}_lifted3d.h5")
        b = _read(tmp_path / "run" / "videos" / "lifted3d" / f"{n}{DLC_SCORER}_lifted3d.h5")
        pd.testing.assert_frame_equal(a, b)


def _threads() -> tuple[int, int]:
    import torch

    return torch.get_num_threads(), cv2.getNumThreads()


def test_worker_initializer_gives_one_thread_per_worker() -> None:
    from dlc_lifter.lift.batch import worker_initializer

    with cf.ProcessPoolExecutor(1, mp_context=mp.get_context("spawn"),
                                initializer=worker_initializer) as ex:
        assert ex.submit(_threads).result() == (1, 1)



@pytest.mark.usefixtures("real_lift")
def test_each_files_warnings_are_in_its_item_and_the_summary(tmp_path: Path) -> None:
    """Two real lifts side by side in threads, one file of two a mirrored video (its left ear
    on the animal's right): only its item holds that warning, and the summary gives it
    once. (Before pandas reads took a lock, such threads could leave pandas' pickle.loads
    in place and break a dask scheduler started later in the process.)"""
    config = _project(tmp_path, ["plain", "mirrored"])
    h5 = next((tmp_path / "videos").glob("mirrored*.h5"))
    df = pd.read_hdf(h5)
    ears = [c for c in df.columns if c[-2] in ("leftear", "rightear")]
    swapped = df.copy()
    swapped[ears] = df[[c for c in ears if c[-2] == "rightear"]
                       + [c for c in ears if c[-2] == "leftear"]].to_numpy()
    swapped.to_hdf(h5, key="df_with_missing", mode="w")
    with cf.ThreadPoolExecutor(2) as pool:
        report = lift_videos(config, executor=pool)
    assert report.ok, report.summary()
    assert pickle.loads is _pickle.loads
    items = {Path(i.video).stem: i for i in report.done}
    assert any("as seen from above" in w for w in items["mirrored"].warnings)
    assert not any("as seen from above" in w for w in items["plain"].warnings)
    lines = [ln for ln in report.summary().splitlines() if "as seen from above" in ln]
    assert len(lines) == 1 and lines[0].startswith("  WARNING (mirrored.mp4): in 20 of 20")


def test_jobs_in_threads_keep_their_own_warnings(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Two jobs at once in a thread pool: each item holds its own warning only."""
    both_running = threading.Barrier(2)

    def lift(job: LiftJob) -> BatchItem:  # a lift that warns about its file
        logging.getLogger("dlc_lifter.lift.poses").warning("%s: a warning of its own",
                                                           job.poses)
        both_running.wait(timeout=30)
        return BatchItem(poses=job.poses, video=None, output=job.output, status="done")

    monkeypatch.setattr(batch, "_run_lift_job", lift)
    jobs = [LiftJob(poses=str(tmp_path / f"{n}.h5"), output=str(tmp_path / f"{n}_3d.h5"))
            for n in ("a", "b")]
    with cf.ThreadPoolExecutor(2) as pool:
        items = list(pool.map(batch.run_lift_job, jobs))
    for job, item in zip(jobs, items, strict=True):
        assert item.warnings == [f"{job.poses}: a warning of its own"]


def test_a_sleap_labels_project_lifts_each_video(tmp_path: Path) -> None:
    """A .slp holding several videos' frames is lifted once per video, each into
    <stem>.<video stem>_lifted3d.h5 (resumable); a one-video .slp as before."""
    import sleap_io as sio

    from dlc_lifter.lift.batch import lift_files

    sk = sio.Skeleton(nodes=["nose", "tail_base"])
    videos = [sio.Video(filename=f"/data/{n}.mp4", open_backend=False) for n in ("a", "b")]
    lfs = [sio.LabeledFrame(video=v, frame_idx=i, instances=[sio.Instance.from_numpy(
        np.array([[10.0, 10.0], [60.0, 10.0]]), skeleton=sk)]) for v in videos for i in (0, 5)]
    sio.save_slp(sio.Labels(labeled_frames=lfs, videos=videos, skeletons=[sk]),
                 str(tmp_path / "labels.v001.slp"))
    sio.save_slp(sio.Labels(labeled_frames=lfs[:2], videos=videos[:1], skeletons=[sk]),
                 str(tmp_path / "one.slp"))
    report = lift_files(tmp_path, task=_formats_task)
    done = {(Path(i.output).name, i.poses.endswith("labels.v001.slp")) for i in report.done}
    assert done == {("labels.v001.a_lifted3d.h5", True), ("labels.v001.b_lifted3d.h5", True),
                    ("one_lifted3d.h5", False)}
    again = lift_files(tmp_path, task=_formats_task)
    assert not again.done and len(again.skipped) == 3


def test_the_summary_says_whose_figures_a_grouped_warning_quotes() -> None:
    """One kind of warning from several files: the figures are quoted as one file's when
    the files' figures differ, and without a file's name when they are the same."""
    report = BatchReport()
    for name, size in (("a.h5", "3125x1165"), ("b.h5", "1280x960"), ("c.h5", "1280x960")):
        report.add(BatchItem(poses=name, video=None, output=f"{name}.out", status="done",
                             warnings=[f"frame size unknown: assuming {size}",
                                       "No calibration, camera 500 mm up"]))
    lines = report.summary().splitlines()
    assert "  WARNING (3 files: a.h5, b.h5, c.h5; the figures are a.h5's): frame size " \
        "unknown: assuming 3125x1165" in lines
    assert "  WARNING (3 files: a.h5, b.h5, c.h5): No calibration, camera 500 mm up" in lines
    report.add(BatchItem(poses="d.h5", video=None, output="d.out", status="done",
                         warnings=["No calibration, camera 500 mm up"]))
    assert "  WARNING (4 files: a.h5, b.h5, c.h5, ...): No calibration, camera 500 mm up" in \
        report.summary().splitlines()


def test_a_warning_that_opens_with_a_sentence_keeps_it_in_the_summary() -> None:
    """A warning that opens with a sentence naming a video ("Video a/b.mp4 is empty (0
    bytes): ...") is summed up by that sentence, its paths as their files' names, and is one
    kind over the files; before, everything before its first ": " was cut as a file's
    name, leaving "copy the video again from where it came from" (which video, and why?)."""
    report = BatchReport()
    for stem in ("a", "b"):
        report.add(BatchItem(poses=f"/data/lab videos/{stem}.h5", video=None,
                             output=f"{stem}.out", status="done", warnings=[
                                 f"Video /data/lab videos/{stem}.mp4 is empty (0 bytes): copy "
                                 "the video again from where it came from. The lift goes on "
                                 "from the keypoints only.",
                                 f"/data/lab videos/{stem}.h5: lifting from keypoints only (no "
                                 f"video {stem}.mp4)."]))
    lines = report.summary().splitlines()
    assert "  WARNING (2 files: a.h5, b.h5; the figures are a.h5's): Video a.mp4 is empty " \
        "(0 bytes): copy the video again from where it came from" in lines
    assert "  WARNING (2 files: a.h5, b.h5; the figures are a.h5's): lifting from keypoints " \
        "only (no video a.mp4)." in lines


def _interrupting_task(job: LiftJob) -> BatchItem:
    """The toy lift, with Ctrl-C pressed during the second video."""
    if Path(job.poses).name.startswith("b"):
        raise KeyboardInterrupt
    return _toy_task(job)


def test_an_interrupted_batch_says_what_it_did_and_did_not(tmp_path: Path) -> None:
    """Ctrl-C (or a cluster's SIGTERM, which the command line turns into it) ended a batch
    with no summary: it raises BatchInterrupted holding what was done and how many were
    not, and the command line prints it."""
    from dlc_lifter.lift.batch import BatchInterrupted

    config = _project(tmp_path, ["a", "b", "c"])
    with pytest.raises(BatchInterrupted) as err:
        lift_videos(config, task=_interrupting_task)
    report = err.value.report
    assert len(report.done) == 1 and report.not_started == 2
    assert report.summary().startswith("INTERRUPTED: 1 lifted, 0 skipped (output exists), "
                                       "0 failed, 2 not lifted (run the same command again")
    assert isinstance(err.value, KeyboardInterrupt)
    again = lift_videos(config, task=_toy_task)
    assert len(again.done) == 2 and len(again.skipped) == 1 and again.not_started == 0


def _hold_claim(path: str, ready: str, release: str) -> None:
    """A second run lifting ``path``: holds its claim until ``release`` appears."""
    from dlc_lifter._atomic import claim_output

    with claim_output(path):
        Path(ready).write_text("held")
        while not Path(release).exists():
            time.sleep(0.05)


def test_two_runs_on_one_folder_leave_each_other_s_files_alone(tmp_path: Path) -> None:
    """Two batches started on one tree (or a cluster job resubmitted while the first still
    runs) both lifted every file, and the second removed the first's temporary file as a
    killed run's leftover. A run holding a file's claim keeps it: the other leaves that
    file to it (``busy``), a single lift refuses it, and a claim whose run is gone is
    taken over, its temporary files cleaned."""
    from dlc_lifter.errors import OutputBusyError
    from dlc_lifter.lift.batch import lift_files
    from dlc_lifter.lift.pipeline import lift_file

    write_dlc_analysis(circling_mouse_2d(12, ("individual0",), seed=0), tmp_path, "a",
                       scorer=DLC_SCORER)
    src = tmp_path / f"a{DLC_SCORER}.h5"
    dest = tmp_path / "out"
    dest.mkdir()
    out = dest / f"a{DLC_SCORER}_lifted3d.h5"
    tmp = dest / f".a{DLC_SCORER}_lifted3d.x1y2z3.tmp.h5"  # the other run's, mid-write
    tmp.write_bytes(b"half")
    ready, release = tmp_path / "ready", tmp_path / "release"
    other = mp.get_context("spawn").Process(target=_hold_claim,
                                            args=(str(out), str(ready), str(release)))
    other.start()
    try:
        for _ in range(600):
            if ready.exists():
                break
            time.sleep(0.05)
        assert ready.exists(), "the other run never took its claim"
        report = lift_files(src, output=OutputSpec(destfolder=dest))
        assert not report.done and not report.failed and len(report.busy) == 1
        assert f"pid {other.pid}" in report.busy[0].error
        assert "1 being lifted by another run" in report.summary()
        assert tmp.exists() and not out.exists()
        with pytest.raises(OutputBusyError, match="delete .*lifting"):
            lift_file(src, output=OutputSpec(destfolder=dest))
        assert tmp.exists()
    finally:
        release.write_text("")
        other.join(30)
    # the other run killed without releasing: its claim is stale, taken over
    from dlc_lifter._atomic import claim_path

    dead = mp.get_context("spawn").Process(target=time.sleep, args=(0,))
    dead.start()
    dead.join()
    claim_path(out).write_text(
        f'{{"host": "{os.uname().nodename}", "pid": {dead.pid}, "since": "earlier"}}')
    again = lift_files(src, output=OutputSpec(destfolder=dest))
    assert len(again.done) == 1 and out.exists()
    assert not tmp.exists() and not claim_path(out).exists()
    # killed while writing over an output that exists (--overwrite): a rerun skips the
    # output and removes the dead run's claim (was: left for good)
    claim_path(out).write_text(
        f'{{"host": "{os.uname().nodename}", "pid": {dead.pid}, "since": "earlier"}}')
    skipped = lift_files(src, output=OutputSpec(destfolder=dest))
    assert len(skipped.skipped) == 1 and not claim_path(out).exists()


def test_a_claim_from_another_machine_is_stale_once_untouched(tmp_path: Path) -> None:
    """A run on another machine cannot be asked whether it lives: its claim holds while it
    is touched (every minute), and is stale after ten minutes without."""
    from dlc_lifter._atomic import CLAIM_STALE_S, claim_holder, claim_path

    out = tmp_path / "x_lifted3d.h5"
    claim_path(out).write_text('{"host": "node-17", "pid": 4242, "since": "then"}')
    assert claim_holder(out) == "pid 4242 on node-17 since then"
    old = time.time() - CLAIM_STALE_S - 5
    os.utime(claim_path(out), (old, old))
    assert claim_holder(out) is None


def test_a_batch_that_wrote_nothing_leaves_no_empty_folder(tmp_path: Path) -> None:
    """Interrupted before its first output (or with every file failed), a batch left the
    ``lifted3d/`` folders it had made, empty; a folder that was there stays."""
    from dlc_lifter.lift.batch import BatchInterrupted

    config = _project(tmp_path, ["b"])
    with pytest.raises(BatchInterrupted):
        lift_videos(config, task=_interrupting_task)
    assert not (tmp_path / "videos" / "lifted3d").exists()
    (tmp_path / "videos" / "lifted3d").mkdir()
    with pytest.raises(BatchInterrupted):
        lift_videos(config, task=_interrupting_task)
    assert (tmp_path / "videos" / "lifted3d").is_dir()


def _found_video_task(job: LiftJob) -> BatchItem:
    """Stands in for a lift that found the video its SLEAP file names (``item.video``, one
    name for every file) and warned; it fails for day3's file and the first /rig/cam0.mp4
    of a labels project."""
    video = "/data/videos/minimal_top.mp4"
    if (job.sleap_video == "/rig/cam0.mp4"
            or job.sleap_video is None and "day3" in job.poses):
        return BatchItem(poses=job.poses, video=video, output=job.output, status="failed",
                         error="too few keypoints")
    return BatchItem(poses=job.poses, video=video, output=job.output, status="done",
                     warnings=[f"{job.poses}: No calibration, camera height or arena size"])


def _write_slp(path: Path, videos: list[str]) -> Path:
    """A SLEAP ``.slp`` with two labelled frames in each of ``videos``."""
    import sleap_io as sio

    sk = sio.Skeleton(nodes=["nose", "tail_base"])
    vids = [sio.Video(filename=v, open_backend=False) for v in videos]
    lfs = [sio.LabeledFrame(video=v, frame_idx=i, instances=[sio.Instance.from_numpy(
        np.array([[10.0, 10.0], [60.0, 10.0]]), skeleton=sk)]) for v in vids for i in (0, 5)]
    path.parent.mkdir(parents=True, exist_ok=True)
    sio.save_slp(sio.Labels(labeled_frames=lfs, videos=vids, skeletons=[sk]), str(path))
    return path


def test_the_summary_names_sleap_items_by_their_pose_file(tmp_path: Path) -> None:
    """Two sessions' predictions.slp of one video name are told apart by their folders
    (they were both named by the video, minimal_top.mp4), in the FAILED lines and in a
    grouped warning's files."""
    from dlc_lifter.lift.batch import lift_sleap

    for day in ("day1", "day2", "day3"):
        _write_slp(tmp_path / day / "predictions.slp", ["/data/videos/minimal_top.mp4"])
    report = lift_sleap(tmp_path, recursive=True, task=_found_video_task,
                        output=OutputSpec(destfolder=str(tmp_path / "out")))
    lines = report.summary().splitlines()
    assert "  FAILED day3/predictions.slp: too few keypoints" in lines
    assert ("  WARNING (2 files: day1/predictions.slp, day2/predictions.slp): No "
            "calibration, camera height or arena size") in lines
    assert "minimal_top.mp4" not in report.summary()


def test_the_summary_names_each_video_of_a_sleap_labels_project(tmp_path: Path) -> None:
    """A .slp holding several videos' frames is lifted per video: each FAILED line and
    grouped warning names the file and the video (its position, as --sleap-video takes it,
    and its name), not the file alone seven times."""
    from dlc_lifter.lift.batch import lift_files

    slp = _write_slp(tmp_path / "labels_pr.test.slp",
                     [f"/rig/cam{k}.mp4" for k in range(3)] + ["/rig2/cam0.mp4"])
    report = lift_files(slp, task=_found_video_task)
    lines = report.summary().splitlines()
    assert "  FAILED labels_pr.test.slp [video 0: cam0.mp4]: too few keypoints" in lines
    assert ("  WARNING (3 files: labels_pr.test.slp [video 1: cam1.mp4], labels_pr.test.slp "
            "[video 2: cam2.mp4], labels_pr.test.slp [video 3: cam0.mp4]): No calibration, "
            "camera height or arena size") in lines


def test_one_kind_of_warning_is_one_summary_line_past_its_cut_and_in_any_order() -> None:
    """A survey's five camera estimates gave two summary lines ("2 files", "3 files"): the
    kind was cut at 140 characters before its figures were masked, and "162.4 px" against
    "47.5 px" moved the cut by one character. SimBA's reordered columns gave "'spineUpper';
    'spineLower'" and "'spineLower'; 'spineUpper'" as two kinds. One line each now."""
    report = BatchReport()
    lead = "No calibration, camera height or arena size: estimated the camera from the " \
        "animal's size (median nose-tail_base length "
    for name, length in (("a.h5", "162.4"), ("b.h5", "47.5"), ("c.h5", "120.0")):
        report.add(BatchItem(poses=name, video=None, output=f"{name}.out", status="done",
                             warnings=[f"{name}: {lead}{length} px, taken as a real mouse's "
                                       "75.1 mm: 0.90 x the synthetic population's 83.4 mm)",
                                       f"{name}: not lifted, no catalogue landmark: "
                                       + ("'spineUpper'; 'spineLower'" if name != "b.h5" else
                                          "'spineLower'; 'spineUpper'")]))
    for name, listed in (("a.h5", "tailtip 12, nose 1"), ("b.h5", "hipl 6"),
                         ("c.h5", "tailbase 7")):  # a lab's 141 files gave 11 lines
        report.done[["a.h5", "b.h5", "c.h5"].index(name)].warnings.append(
            f"{name}: 37 detections in 17 frames lie farther from the rest of the animal "
            f"than its body reaches ({listed}); lifted as untracked")
    warned = [line for line in report.summary().splitlines() if "WARNING" in line]
    assert len(warned) == 3, warned
    assert all("3 files: a.h5, b.h5, c.h5" in line for line in warned)
    assert all(len(line.split("): ", 1)[1]) <= 240 for line in warned)


def test_a_long_warning_keeps_what_to_do_in_the_summary() -> None:
    """A warning too long for the summary's line keeps its last sentence, which says what
    to do (was: cut at 140 characters, "...; overwrite\u2026")."""
    from dlc_lifter.lift.batch import _shortened

    advice = "--overwrite lifts it again."
    text = "a.h5: changed since its output " + "x" * 300 + " was lifted; " + advice
    short = _shortened(text)
    assert len(short) <= 240 and short.endswith(advice) and "\u2026" in short
    assert _shortened("short") == "short"
    assert _shortened("y" * 500).endswith("\u2026") and len(_shortened("y" * 500)) == 240


def test_a_warning_s_head_is_cut_only_where_it_names_a_file() -> None:
    """The summary cuts "<file>: " off a warning, not a one-word head that is no file's
    name ("LiftProcessor: ...", kept whole)."""
    from dlc_lifter.lift.batch import _warning_kind

    assert _warning_kind("aDLC_x.h5: lifting from keypoints only. More") == \
        "lifting from keypoints only"
    assert _warning_kind("LiftProcessor: cannot estimate the camera. More") == \
        "LiftProcessor: cannot estimate the camera"


def test_the_batch_verbs_take_redo_out_of_date(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """``--redo-out-of-date`` on ``lift-project``, ``lift-sleap`` and ``lift-files`` reaches
    the batch as ``OutputSpec.redo_out_of_date`` (off without it), and the library's
    messages name the flag."""
    from typer.testing import CliRunner

    from dlc_lifter.cli import app, cli_message
    from dlc_lifter.cli import lift as cli_lift

    seen: list[bool] = []

    def fake(*args: Any, output: OutputSpec, **kwargs: Any) -> BatchReport:
        seen.append(output.redo_out_of_date)
        return BatchReport()

    for name in ("lift_files", "lift_sleap", "lift_videos"):
        monkeypatch.setattr(cli_lift, name, fake)
    config = tmp_path / "config.yaml"
    config.write_text("Task: t\n")
    for verb, arg in (("lift-files", tmp_path), ("lift-sleap", tmp_path),
                      ("lift-project", config)):
        for flags, want in (([], False), (["--redo-out-of-date"], True)):
            res = CliRunner().invoke(app, [verb, str(arg), *flags])
            assert res.exit_code == 0, res.output
            assert seen.pop() is want, verb
    assert cli_message("redo_out_of_date=True lifts only those again") == (
        "--redo-out-of-date lifts only those again")


def test_the_command_said_to_add_formats_carries_the_lift_mode(tmp_path: Path) -> None:
    """The ``lift-files`` command ``lift_file`` names to add a format to a finished lift
    carries ``--mode`` where one was given (before: left out, so the command, run as said,
    found the lift made with other options and skipped the file)."""
    from dlc_lifter.errors import OutputExistsError
    from dlc_lifter.lift import lift_file

    src, out = _lifted_before(tmp_path)
    with pytest.raises(OutputExistsError) as err:
        lift_file(src, camera=CameraSpec(fps=25.0), options=LiftOptions(mode="frame"),
                  output=OutputSpec(formats=("dlc", "points3d")))
    assert f"lift-files {src} --format points3d,dlc --fps 25 --pcutoff 0.6 --mode frame)" in \
        str(err.value)


def test_a_rerun_says_nothing_of_the_files_it_skips(tmp_path: Path,
                                                     caplog: pytest.LogCaptureFixture,
                                                     capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    """A batch run again over finished outputs reads each file to see whether a video has
    come beside it since; what reading it says ("no video named in it or beside it") its
    lift said already (before: a warning per skipped file on every rerun)."""
    from dlc_lifter.lift.batch import lift_files

    src = write_dlc_analysis(circling_mouse_2d(20), tmp_path / "in")
    out = OutputSpec(destfolder=str(tmp_path / "o"))
    assert len(lift_files(src, output=out, task=_recording_task).done) == 1
    with caplog.at_level(logging.INFO):
        again = lift_files(src, output=out, task=_recording_task)
    assert len(again.skipped) == 1 and "no video named" not in caplog.text
    assert "no video named" not in capsys.readouterr().err  # nor printed bare
    assert logging.getLogger("dlc_lifter").propagate  # as it was


def test_the_same_weights_given_by_another_path_are_the_same_options(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``model=`` given as an absolute path, or from another folder, after a lift with the
    same weights by a relative path: up to date (before: "lifted before with other options
    (model 'W/lifter.pt' -> '/.../W/lifter.pt')", and --redo-out-of-date lifted it again
    for nothing); other weights of the same name are another option."""
    from dlc_lifter.io.weights import file_hash
    from dlc_lifter.lift.batch import lift_files
    from dlc_lifter.lift.lifter import default_model_path

    monkeypatch.chdir(tmp_path)
    (tmp_path / "W").mkdir()
    (tmp_path / "V").mkdir()
    weights = tmp_path / "W" / "lifter.pt"
    shutil.copy(default_model_path(), weights)
    (tmp_path / "V" / "lifter.pt").write_bytes(weights.read_bytes() + b"\0")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / f"a{DLC_SCORER}.h5").write_text("a")
    out = OutputSpec(destfolder=str(tmp_path / "o"))
    first = lift_files(tmp_path / "in", output=out, task=_recording_task,
                       options=LiftOptions(model="W/lifter.pt"))
    _edit_record(Path(first.done[0].output),
                 model={"name": "lifter.pt", "sha256": file_hash(weights)})
    for model, kept in ((str(weights), False), ("./W/lifter.pt", False),
                        (str(tmp_path / "V" / "lifter.pt"), True)):
        again = lift_files(tmp_path / "in", output=out, task=_recording_task,
                           options=LiftOptions(model=model))
        said = " ".join(w for i in again.skipped for w in i.warnings)
        assert len(again.skipped) == 1 and ("other options (model" in said) is kept, said
