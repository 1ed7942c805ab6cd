"""benchmarks/real.py writes files that the package reads as a user's would."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.fixtures.models import benchmark_module
from tests.fixtures.realdata import REALDATA, needs_realdata

pytestmark = [
    pytest.mark.realdata,
    needs_realdata(REALDATA / "dannce-mouse1" / "labels3d.csv"),
]


@pytest.fixture(scope="module")
def bench():
    with benchmark_module("real", "bench_real") as mod:
        yield mod


def test_virtual_camera_round_trips_through_anipose_toml(bench, tmp_path: Path) -> None:
    from dlc_lifter.io.calibration import load_anipose

    _, _, xyz = bench.load_dannce()
    cam = bench.place_camera(450.0, 700.0, 20.0, xyz)
    loaded = load_anipose(bench.write_calibration(cam, tmp_path / "calibration.toml"))
    np.testing.assert_allclose(loaded.project(xyz), cam.project(xyz), atol=1e-6)
    assert loaded.height_mm == pytest.approx(450.0)
    assert not bench._outside(cam.project(xyz)).any()


def test_written_files_read_as_dlc_output_and_labels(bench, tmp_path: Path) -> None:
    from dlc_lifter import read_poses

    sample_ids, names, xyz = bench.load_dannce()
    cam = bench.place_camera(600.0, 500.0, 0.0, xyz)
    uv = cam.project(xyz)
    video = read_poses(bench.write_video_h5(uv, names, tmp_path / "mouseDLC_x.h5"))
    assert video.meta.source_format == "dlc-h5" and video.meta.image_size == (640, 480)
    assert list(video.keypoints) == names
    np.testing.assert_allclose(video.coords[:, 0], uv, equal_nan=True)
    np.testing.assert_array_equal(video.frame_indices, np.arange(len(uv)))
    labels = read_poses(bench.write_collected_data(uv, names, sample_ids,
                                                   tmp_path / "labeled-data" / "v"))
    assert labels.meta.source_format == "dlc-labels"
    assert labels.meta.extra["image_paths"][0] == f"labeled-data/v/img{sample_ids[0]:05d}.png"
    np.testing.assert_allclose(labels.coords[:, 0], uv, equal_nan=True)


def test_other_3d_labels_are_read_from_the_given_file(bench, tmp_path: Path) -> None:
    sample_ids, names, xyz = bench.load_dannce()
    other = tmp_path / "mouse2.csv"
    cols = {"sample_id": sample_ids[:3] + 1}
    for k, n in enumerate(names):
        for a, axis in enumerate("xyz"):
            cols[f"{n}_{axis}"] = xyz[:3, k, a] + 1.0
    import pandas as pd

    pd.DataFrame(cols).to_csv(other, index=False)
    ids2, names2, xyz2 = bench.load_dannce(other)
    assert names2 == names and ids2.tolist() == (sample_ids[:3] + 1).tolist()
    np.testing.assert_allclose(xyz2, xyz[:3] + 1.0)


def test_pixels_back_project_to_the_point_at_its_height(bench) -> None:
    _, _, xyz = bench.load_dannce()
    cam = bench.place_camera(600.0, 500.0, 20.0, xyz)
    back = cam.pixel_at_height(cam.project(xyz), xyz[..., 2])
    ok = np.isfinite(xyz).all(-1)
    np.testing.assert_allclose(back[ok], xyz[ok], atol=1e-6)


def test_worst_camera_over_noise_draws_averages_each_cameras_draws(bench, tmp_path: Path,
                                                                   monkeypatch) -> None:
    """Section A's noise-averaged worst camera: the grid's own draw plus new ones, per
    camera, through the same lift; the grid's rows stay those of its own draw."""
    import argparse

    monkeypatch.setattr(bench, "HEIGHTS_MM", (600.0,))
    monkeypatch.setattr(bench, "FOCALS_PX", (500.0,))
    monkeypatch.setattr(bench, "TILTS_DEG", (0.0, 20.0))
    monkeypatch.setattr(bench, "INPUTS", (("4 keypoints in", bench.IN4),))
    monkeypatch.setattr(bench, "KINDS", ("video .h5",))
    monkeypatch.setattr(bench, "MODES", (None,))
    monkeypatch.setattr(bench, "PLAIN_CAMERA", (0.0, 0.0, 0.0))
    monkeypatch.setattr(bench, "ARENA_CAMERAS", ())
    monkeypatch.setattr(bench, "OBLIQUE_TILTS_DEG", ())

    def section(draws: int) -> dict[str, str]:
        args = argparse.Namespace(dannce_csv=None, seed=0, per_camera=False,
                                  noise_draws=draws)
        rows: list = []
        bench.section_a(args, tmp_path / f"d{draws}", rows, [])
        return {r[2]: r[3] for r in rows if r[2].startswith("MPJPE all frames")}

    one, three = section(1), section(3)
    assert one and {k: v for k, v in three.items() if "draws" not in k} == one
    (fig, value), = [(k, v) for k, v in three.items() if "mean of 3 draws" in k]
    lo, hi = (float(x) for x in fig.split("(each ")[1].rstrip(")").split("-"))
    assert lo < hi and lo - 0.05 <= float(value.split()[0]) <= hi + 0.05  # printed to 3 digits


@needs_realdata(REALDATA / "dannce-mouse1")
def test_views_beyond_the_grid_report_the_lifts_view_angle_and_warning(bench, tmp_path: Path,
                                                                      monkeypatch) -> None:
    """Section A's cameras beyond the grid: one row per input with the MPJPE, the view
    angle the lift recorded and whether it warned; the grid's rows do not move."""
    import argparse

    monkeypatch.setattr(bench, "OBLIQUE_TILTS_DEG", (0.0, 40.0))
    args = argparse.Namespace(dannce_csv=None, seed=0, per_camera=False, noise_draws=1)
    rows: list = []
    _, sample_ids, names, xyz = bench._labels(args, rows, "A")
    bench._oblique_rows(args, tmp_path, names, sample_ids, xyz,
                        np.nanmedian(xyz[..., 2], axis=0), rows)
    got = {(r[1].split("(h450 f700 ")[1].rstrip(")"), r[1].split(",")[1].strip()): r
           for r in rows}
    assert set(got) == {(t, i) for t in ("t0", "t40") for i in ("22 keypoints in",
                                                                 "4 keypoints in (Snout")}
    straight, oblique = got[("t0", "22 keypoints in")], got[("t40", "22 keypoints in")]
    assert straight[2].endswith("no warning") and oblique[2].endswith("warned")
    assert 38 <= float(oblique[2].split("view ")[1].split()[0]) <= 44
    all_s, all_o = (float(r[3].split(" / ")[0]) for r in (straight, oblique))
    # measured 7.6 and 11.3 mm (the networks for oblique views; the top-view ones: 15.1)
    assert all_s < 9.0 < all_o < 13.0, (all_s, all_o)


def test_frames_off_the_floor_are_flagged_and_left_out_of_the_diagnostic(bench) -> None:
    """A frame with both hind paws above 20 mm (a climb) is off the floor; one paw up is
    not. The grid's diagnostic figures without it are the MPJPE over the other frames."""
    from types import SimpleNamespace

    _, names, xyz = bench.load_dannce()
    xyz = xyz[:6].copy()
    left, right = names.index("HindpawL"), names.index("HindpawR")
    xyz[:, [left, right], 2] = 3.0
    xyz[1, [left, right], 2] = 40.0  # climbing
    xyz[2, left, 2] = 40.0  # one paw lifted: still on the floor
    flags = bench.off_floor(xyz, names)
    assert flags.tolist() == [False, True, False, False, False, False]
    assert not bench.off_floor(xyz[:, :5], names[:5]).any()  # no hind paws among the names

    cam = bench.place_camera(450.0, 700.0, 0.0, xyz)
    uv = cam.project(xyz)
    truth = bench._truth(xyz, names, uv, bench.TOP6)
    idx = [names.index(n) for n in bench.TOP6]
    pred = xyz[:, None, idx].copy()
    pred[:, 0, :, 2] += np.arange(6)[:, None]  # frame t is t mm off on every keypoint
    p3 = SimpleNamespace(keypoints=list(bench.TOP6), coords=pred)
    err = bench.grid_errors(p3, truth, cam, np.nanmedian(xyz[:, idx, 2], axis=0))
    seen = truth.seen
    per_frame = np.array([np.arange(6)[t] for t in range(6) for _ in range(seen[t].sum())])
    frame_of = np.repeat(np.arange(6), seen.sum(1))
    assert err["model"] == pytest.approx(per_frame.mean())
    assert err["model_on"] == pytest.approx(per_frame[frame_of != 1].mean())
    assert err["n_off_floor"] == 1.0
    flat = bench._truth(xyz[[0, 2]], names, uv[[0, 2]], bench.TOP6)
    p3_flat = SimpleNamespace(keypoints=list(bench.TOP6), coords=pred[[0, 2]])
    assert "model_on" not in bench.grid_errors(p3_flat, flat, cam, np.zeros(6))


def test_dlcanalyzer_votes_count_the_labellers_marking_a_rear(bench) -> None:
    import pandas as pd

    labels = pd.DataFrame({
        "Experimenter": ["a", "a", "b", "c", "c"],
        "from": [0.0, 0.2, 0.1, 0.1, 0.0], "to": [0.1, 0.3, 0.2, 0.2, 0.4],
        "type": ["Supported", "Unsupported", "Supported", "Grooming", "Supported"],
        "DLCFile": ["f.csv", "f.csv", "f.csv", "f.csv", "other.csv"]})
    votes = bench.dlcanalyzer_votes(labels, "f.csv", 10, fps=10.0)  # t = 0.0, 0.1, ...
    assert votes.tolist() == [1, 2, 2, 1, 0, 0, 0, 0, 0, 0]  # bounds included; c grooms


@needs_realdata(REALDATA / "oft-rearing")
def test_section_f_lifts_each_labelled_file_with_and_without_the_walls(bench,
                                                                     tmp_path: Path) -> None:
    """Section F on a folder holding a DLC csv the label table names (here the shared
    open field under another name, with made-up labels): rows for every keypoint and for
    four, with the walls and without, with and without the arena's size, and without the
    arena's corners (walls from the tail base's track, or none; or the floor's scale
    alone)."""
    import argparse

    import pandas as pd

    from dlc_lifter import read_poses

    folder = tmp_path / "dlca"
    folder.mkdir()
    name = "8_01_A_1DeepCut_resnet50_Blockcourse1May9shuffle1_1030000.csv"
    pd.read_hdf(bench.OFT_H5).to_csv(folder / name)
    assert read_poses(folder / name).n_frames == 1998
    pd.DataFrame({"file": "x", "Experimenter": ["a", "b"], "from": [10.0, 10.5],
                  "to": [14.0, 13.0], "type": "Supported", "ID": "OFT_X",
                  "DLCFile": name}).to_csv(folder / bench.DLCANALYZER_LABELS, sep=";",
                                           index=False)
    rows: list = []
    notes: list = []
    bench.section_f(argparse.Namespace(dlcanalyzer_dir=str(folder)), tmp_path / "w", rows,
                    notes)
    aucs = [r for r in rows if r[2] == "ROC AUC of lifted nose height"]
    assert len(aucs) == 8 and all(0.0 <= float(r[3]) <= 1.0 for r in aucs)
    assert sum("walls=False" in r[1] for r in aucs) == 4
    bare = [r for r in rows if "corners and centre left out" in r[1]]
    assert len(bare) == 6 and all(r[0] == "F" and r[5] == "" for r in bare)
    # walls from the track with the arena's size; none without it or with the scale alone
    assert ["(walls: track)" in r[2] for r in bare] == [True, False, False] * 2
    assert sum("floor_scale=" in r[1] and "(walls: none)" in r[2] for r in bare) == 2
    assert [r[5] for r in aucs if "walls=False" in r[1] or "nose, ears" in r[1]] == [""] * 6
    assert any("OFT_X" in n and "63 with 2-3 rear votes" in n for n in notes)
    empty: list = []
    bench.section_f(argparse.Namespace(dlcanalyzer_dir=None), tmp_path, empty, [])
    assert empty and empty[0][3].startswith("absent")


def test_section_g_lifts_a_maze_file_three_ways(bench, tmp_path: Path) -> None:
    """Section G on a DLC csv whose points named as corners outline a strip (the shared open
    field with its right-hand corners moved next to its left-hand ones, as a plus maze's
    closed arms' ends): rows for each of the three lifts, the strip not taken for the
    arena, and a clear row when no file is given."""
    import argparse

    import pandas as pd

    df = pd.read_hdf(bench.OFT_H5)
    scorer = df.columns.get_level_values("scorer")[0]
    for right, left in (("tr", "tl"), ("br", "bl")):
        df[(scorer, right, "x")] = df[(scorer, left, "x")] + 20.0
    maze = tmp_path / "EPMDeepCut_resnet50_epmMay17shuffle1_1030000.csv"
    df.to_csv(maze)
    rows: list = []
    notes: list = []
    bench.section_g(argparse.Namespace(maze_csv=str(maze)), tmp_path / "w", rows, notes)
    assert len(rows) == 9 and all(r[0] == "G" and r[5] == "" for r in rows)
    kept = [r[3].split("; ")[1] for r in rows if r[2].startswith("detections")]
    assert kept == ["not used", "not the arena's", "spread of the tail base"]
    highest = [r[3] for r in rows if r[2].startswith("frames with")]
    assert all(h.split(" of ")[1].startswith("1998;") for h in highest)
    empty: list = []
    bench.section_g(argparse.Namespace(maze_csv=None), tmp_path, empty, [])
    assert empty and empty[0][3].startswith("absent")


def test_section_h_lifts_another_labs_files_with_and_without_their_scale(
        bench, tmp_path: Path) -> None:
    """Section H on a folder holding two of BehaviorDEPOT's file names (here the shared open
    field written under them): a row per lift, the floor scale where its README gives one
    (the animal's length then measured), ``absent`` for the files not there, and a clear
    row when no folder is given."""
    import argparse

    import pandas as pd

    folder = tmp_path / "demo" / "demo1"
    folder.mkdir(parents=True)
    df = pd.read_hdf(bench.OFT_H5)
    df.to_csv(folder / "demo1_tracking.csv")
    df.to_csv(tmp_path / "demo" / "demo6_tracking.csv")
    rows: list = []
    bench.section_h(argparse.Namespace(behaviordepot_dir=str(tmp_path / "demo")),
                    tmp_path / "w", rows, [])
    lifts = [r for r in rows if r[2].startswith("frames with")]
    assert [r[1].split(",")[0] for r in lifts] == ["demo1_tracking.csv (fear conditioning)"] * 2 \
        + ["demo6_tracking.csv (open field)"]
    # the open field tracks its corners: with the scale they give the arena's size
    assert "floor_scale='32 px/cm'" in lifts[1][1] and "(camera: arena-corners)" in lifts[1][2]
    assert "of the synthetic mice" in lifts[1][3] and "not measured" in lifts[0][3]
    assert all(r[3].split(" of ")[1].startswith("1998;") for r in lifts)
    assert sum(r[3] == "absent" for r in rows) == 3 and all(r[5] == "" for r in rows)
    empty: list = []
    bench.section_h(argparse.Namespace(behaviordepot_dir=None), tmp_path, empty, [])
    assert empty and empty[0][3].startswith("absent")


@needs_realdata(REALDATA / "sleap-mouse-session" / "minimal_top.mp4")
def test_section_i_lifts_the_sleap_session_with_an_arena_it_cannot_measure_and_from_both_files(
        bench, tmp_path: Path) -> None:
    """Section I: the arena's size is set aside (the resting mouse would be metres long) and
    the session's two files lift alike; both rows with targets, both passing."""
    import argparse

    rows: list = []
    bench.section_i(argparse.Namespace(), tmp_path, rows)
    assert [r[0] for r in rows] == ["I", "I"] and all(r[5] == "PASS" for r in rows)
    assert "body-length-estimate (the arena's size set aside" in rows[0][2]
    assert rows[1][3] == "0 mm" and rows[1][4] == "<= 0.01"


def _toy_video_set(folder: Path) -> Path:
    """A generated video set (``--video-set``): two mice filmed from 600 mm above, ``m1``
    walking (snout 3-4 mm up) and ``m2`` rearing (snout 74-79 mm), as a DLC .h5 with a toy
    video, labels (every 3rd frame: m1 flat, m2 rear; one unsure) and ``set.json``."""
    import json

    import pandas as pd

    from dlc_lifter.camera import Camera
    from dlc_lifter.mouse.behaviour import generate_sequences
    from dlc_lifter.mouse.catalogue import CATALOGUE
    from dlc_lifter.nets.data import TrackingNoise, simulate_tracking
    from dlc_lifter.poses import PoseMetadata, Poses
    from tests.fixtures.toys import DLC_SCORER, write_dlc_analysis, write_toy_video

    n = 30
    names = {"snout": "nose", "leftear": "left_ear", "rightear": "right_ear",
             "tailbase": "tail_base"}
    idx = [CATALOGUE.index(v) for v in names.values()]
    cam = Camera.top_view(600.0, 640.0, (640, 480), centre_xy=(250.0, 250.0))
    uv, conf = [], []
    for i, (seed, what) in enumerate(((3, "walk"), (4, "rear"))):
        seq = generate_sequences(1, n, seed=seed, behaviours=(what,), low_rear_share=0.0)[0]
        u, c, _ = simulate_tracking(seq.landmarks, cam, np.random.default_rng(i),
                                    noise=TrackingNoise(sigma_px=(0.5, 0.6), jump_prob=0.0,
                                                        swap_prob=0.0))
        uv.append(u[:, idx])
        conf.append(c[:, idx])
    poses = Poses(coords=np.stack(uv, 1), confidence=np.stack(conf, 1), keypoints=list(names),
                  individuals=["m1", "m2"],
                  meta=PoseMetadata(scorer=DLC_SCORER, fps=30.0, image_size=(640, 480)))
    src = write_dlc_analysis(poses, folder, meta_pickle=True)
    write_toy_video(folder / "clip.mp4", n, size=(640, 480))
    frames = list(range(0, n, 3))
    pd.DataFrame({"frame": frames * 2 + [1],
                  "animal": ["m1"] * len(frames) + ["m2"] * len(frames) + ["m1"],
                  "label": ["flat"] * len(frames) + ["rear"] * len(frames) + ["unsure"],
                  "reason": "generated"}).to_csv(folder / "posture_labels.csv", index=False)
    (folder / "set.json").write_text(json.dumps({
        "poses": src.name, "video": "clip.mp4",
        "lift": {"camera_height_mm": 600, "focal_px": 640}, "source": "generated"}))
    return folder


def test_section_c_on_a_video_set_folder_lifts_it_with_and_without_depth(
        bench, tmp_path: Path, monkeypatch, capsys) -> None:
    """``--video-set DIR`` (section C): the set lifted with its ``lift`` fields, with depth on
    and with ``depth=False``; per lift a row of the depth network's snout readings (as the
    meta records them; none read without depth), the flat animal-frames with the snout
    below 30 mm (target 95 %) and the rears' median snout (no target). A folder that is
    not a set gives a failing row, not a crash."""
    import re

    monkeypatch.setattr(bench, "OF_H5", tmp_path / "absent.h5")  # the openfield rows: absent
    folder = _toy_video_set(tmp_path / "toyset")
    assert bench.main(["--only", "C", "--threads", "1", "--tmp", str(tmp_path / "w"),
                       "--video-set", str(folder), "--video-set", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    rows = [[c.strip() for c in re.split(r"\s{2,}", line)] for line in out.splitlines()
            if line.startswith("C ")]
    assert rows[0][1:4] == ["dlc-openfield", "data", "absent"]
    sets = [r for r in rows if "video set toyset (camera_height_mm=600, focal_px=640)" in r[1]]
    assert len(sets) == 6
    on, off = sets[:3], sets[3:]
    assert all("default options (depth on) (depth used)" in r[1] for r in on)
    assert all("depth=False (no depth: depth=False)" in r[1] for r in off)
    count, median, share = re.fullmatch(r"(\d+); ([\d.]+) mm; (\d+) %", on[0][3]).groups()
    assert 0 < int(count) <= 60 and float(median) > 0 and 0 <= int(share) <= 100
    assert off[0][3] == "not read"
    for flat, rear in ((on[1], on[2]), (off[1], off[2])):
        assert flat[2].startswith("flat animal-frames with snout < 30 mm (10 animal-frames;")
        assert flat[3] == "100.0 %" and flat[4:] == [">= 95", "PASS"]
        assert rear[2].startswith("rear animal-frames: median lifted snout (10 labelled;")
        rear_mm, above = re.fullmatch(r"([\d.]+) mm; (\d+) of 10", rear[3]).groups()
        flat_mm = float(flat[2].split("median ")[1].split(" mm")[0])
        assert float(rear_mm) > flat_mm + 10 and 0 <= int(above) <= 10
    bad = [r for r in rows if r[1] == f"video set {tmp_path}"]
    assert len(bad) == 1 and bad[0][3].startswith("fails: FileNotFoundError") \
        and bad[0][-1] == "FAIL"


def test_arena_rows_score_a_set_without_spine_labels_on_its_top_keypoints(bench,
                                                                          tmp_path: Path) -> None:
    """A 3D set with the snout, ears and tail base but not DANNCE's SpineF/SpineM (a SLEAP
    skeleton's) gets section A's arena rows, scored on the four it has (it failed on
    'SpineF' is not in list, ending the set's run)."""
    _, names, xyz = bench.load_dannce()
    keep = [k for k, n in enumerate(names) if n not in ("SpineF", "SpineM")]
    names, xyz = [names[k] for k in keep], xyz[:12, keep]
    assert bench.top_keypoints(names) == ("Snout", "EarL", "EarR", "Tail_base")
    h, f, tilt = bench.ARENA_CAMERAS[0]
    cam = bench.place_camera(h, f, tilt, xyz)
    uv, _ = bench._seen(cam, xyz, np.random.default_rng(0))
    bench.write_calibration(cam, tmp_path / "calibration.toml")
    rows: list = []
    bench._arena_camera(tmp_path, cam, tilt, uv, names, xyz, np.random.default_rng(1), rows)
    assert rows and not any(r[3].startswith("fails") for r in rows), rows
    heights = [float(r[3].split()[0]) for r in rows if r[2].startswith("height error")]
    assert len(heights) == 2 and all(0.0 <= v < 30.0 for v in heights), heights
