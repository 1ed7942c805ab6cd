"""Plots of lifted 3D files: side-by-side mp4, heights with rearing, trajectory."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
import pytest

from dlc_lifter.analysis.plots import (
    body_centre,
    head_height,
    plot_lifted,
    rearing_bouts,
    skeleton_edges,
)
from dlc_lifter.poses import Poses
from tests.fixtures.toys import (
    count_frames,
    keep_saved_figures,
    rearing_mouse_3d,
    write_toy_video,
)


def _write_3d(poses: Poses, path: Path) -> Path:
    try:
        from dlc_lifter.io import write_dlc_3d
    except ImportError:
        write_dlc_3d = None
    if write_dlc_3d is not None:
        try:
            return Path(write_dlc_3d(poses, path))
        except TypeError:
            pass
    poses.to_dataframe().to_hdf(path, key="df_with_missing", mode="w")
    return path


def test_rearing_bouts_threshold_and_duration() -> None:
    h = np.full(60, 10.0)
    h[5:20] = 60.0  # 0.5 s: a bout
    h[30:33] = 60.0  # 0.1 s: too short
    h[40:50] = np.nan
    assert rearing_bouts(h, 30.0) == [(5, 20)]
    assert rearing_bouts(h, 30.0, min_duration_s=0.05) == [(5, 20), (30, 33)]


def test_skeleton_edges_openfield_names() -> None:
    names = ["snout", "leftear", "rightear", "tailbase"]
    edges = {tuple(sorted(e)) for e in skeleton_edges(names)}
    # nose - ears - tail base, ears joined
    assert edges == {(0, 1), (0, 2), (1, 2), (1, 3), (2, 3)}
    assert skeleton_edges(["thorax", "head"]) == []  # nothing maps: nothing drawn


def test_centre_and_head_height() -> None:
    p = rearing_mouse_3d()
    c = body_centre(p)
    assert c.shape == (p.n_frames, 1, 3) and np.isfinite(c).all()
    h = head_height(p)
    assert h[0, 0] == 15.0 and h[20, 0] == 65.0


def test_plot_writes_mp4_and_pngs(tmp_path: Path) -> None:
    poses = rearing_mouse_3d()
    out3d = _write_3d(poses, tmp_path / "toyDLC_toy_lifted3d.h5")
    video = write_toy_video(tmp_path / "toy.mp4", poses.n_frames)
    files = plot_lifted(out3d, video=video, out_dir=tmp_path / "plots")
    names = sorted(f.name for f in files)
    assert names == ["toyDLC_toy_lifted3d_3d.mp4", "toyDLC_toy_lifted3d_heights.png",
                     "toyDLC_toy_lifted3d_trajectory.png"]
    for f in files:
        assert f.is_file() and f.stat().st_size > 1000
    mp4 = tmp_path / "plots" / "toyDLC_toy_lifted3d_3d.mp4"
    cap = cv2.VideoCapture(str(mp4))
    w, h = cap.get(cv2.CAP_PROP_FRAME_WIDTH), cap.get(cv2.CAP_PROP_FRAME_HEIGHT)
    cap.release()
    assert (w, h) == (480 + 360, 360)  # video panel (4:3) + square 3D panel
    assert count_frames(mp4) == poses.n_frames
    assert not [p for p in (tmp_path / "plots").iterdir() if p.name.startswith(".")]


def test_plot_names_a_git_lfs_pointer_in_the_videos_place(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A video left as a Git LFS pointer is named as such (with ``git lfs pull``), not as a
    video OpenCV cannot read; the 3D view is drawn alone."""
    poses = rearing_mouse_3d(12)
    out3d = _write_3d(poses, tmp_path / "toyDLC_toy_lifted3d.h5")
    pointer = tmp_path / "toy.mp4"
    pointer.write_text("version https://git-lfs.github.com/spec/v1\n"
                       "oid sha256:" + "0" * 64 + "\nsize 1843822\n")
    with caplog.at_level(logging.WARNING):
        files = plot_lifted(out3d, video=pointer, max_frames=6)
    assert "Git LFS pointer" in caplog.text and "git lfs pull" in caplog.text
    assert "3D view only" in caplog.text and "Cannot read" not in caplog.text
    cap = cv2.VideoCapture(str(files[0]))
    assert cap.get(cv2.CAP_PROP_FRAME_WIDTH) == 360  # the 3D panel alone
    cap.release()


def test_plot_without_readable_video(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    poses = rearing_mouse_3d(20, individuals=("mouse1", "mouse2"))  # mouse2 all NaN
    out3d = _write_3d(poses, tmp_path / "maDLC_toy_lifted3d.h5")
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"not a video")
    with caplog.at_level(logging.WARNING):
        files = plot_lifted(out3d, video=bad, max_frames=10)
    assert "3D view only" in caplog.text
    assert all(f.is_file() for f in files)
    mp4 = files[0]
    cap = cv2.VideoCapture(str(mp4))
    assert cap.get(cv2.CAP_PROP_FRAME_WIDTH) == 360  # the 3D panel alone
    cap.release()
    assert count_frames(mp4) == 10


def test_plot_speed_300_frames(tmp_path: Path) -> None:
    """The demo budget: ~300 frames rendered with the video in well under 40 s."""
    import time

    poses = rearing_mouse_3d(300)
    out3d = _write_3d(poses, tmp_path / "longDLC_toy_lifted3d.h5")
    video = write_toy_video(tmp_path / "long.mp4", 300, size=(640, 480))
    t0 = time.perf_counter()
    plot_lifted(out3d, video=video)
    assert time.perf_counter() - t0 < 40


def test_heights_panel_of_each_animal_shows_its_own_keypoints(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A two-animal table lifts each animal under its own names (NaN under the other's):
    each panel draws and lists that animal's keypoints only."""
    from dlc_lifter.analysis.plots import plot_heights

    one = rearing_mouse_3d(60)
    k = one.n_keypoints
    coords = np.full((60, 2, 2 * k, 3), np.nan)
    coords[:, 0, :k] = one.coords[:, 0]
    coords[:, 1, k:] = one.coords[:, 0] + [50.0, 0.0, 0.0]
    names = [f"B_{n}" for n in one.keypoints] + [f"W_{n}" for n in one.keypoints]
    both = Poses(coords=coords, confidence=np.ones((60, 2, 2 * k)), keypoints=names,
                 individuals=["B", "W"], meta=one.meta)
    figures: list = []
    keep_saved_figures(monkeypatch, figures)
    plot_heights(both, tmp_path / "h.png", fps=30)
    panels = [ax for ax in figures[0].axes if ax.get_lines()]
    for ax, prefix in zip(panels, "BW", strict=True):
        labels = {line.get_label() for line in ax.get_lines()
                  if not line.get_label().startswith("_")}
        assert labels == {n for n in names if n.startswith(prefix)}
        assert {t.get_text() for t in ax.get_legend().get_texts()} == labels


@pytest.mark.parametrize("n_ind", [1, 2])
def test_every_height_line_is_named_inside_the_figure(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, n_ind: int) -> None:
    """A full-catalogue lift (39 landmarks, each animal's own): every line drawn has its
    name in the legend, every name lies inside the saved figure, and no two lines of a
    panel share a colour (before: one column of names ran off the figure after ~20, and
    tab20's colours came round again)."""
    from dlc_lifter.analysis.plots import plot_heights
    from dlc_lifter.mouse.catalogue import CATALOGUE

    one = rearing_mouse_3d(60)
    rng = np.random.default_rng(0)
    coords = np.repeat(one.coords[:, :1, :1], len(CATALOGUE), axis=2)
    coords = coords + rng.normal(0, 5, (60, 1, len(CATALOGUE), 3))
    coords = np.repeat(coords, n_ind, axis=1)
    poses = Poses(coords=coords, confidence=np.ones(coords.shape[:3]),
                  keypoints=list(CATALOGUE), individuals=[f"m{i}" for i in range(n_ind)],
                  meta=one.meta)
    figures: list = []
    keep_saved_figures(monkeypatch, figures)
    plot_heights(poses, tmp_path / "h.png", fps=30)
    fig = figures[0]
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    panels = [ax for ax in fig.axes if ax.get_lines()]
    named = set()
    for ax in panels:
        lines = [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]
        assert len(lines) == len(CATALOGUE)
        assert len({ln.get_color() for ln in lines}) == len(lines)
        legend = ax.get_legend() or panels[0].get_legend()
        for text in legend.get_texts():
            ext = text.get_window_extent(renderer)
            assert box.x0 <= ext.x0 and ext.x1 <= box.x1 and box.y0 <= ext.y0 \
                and ext.y1 <= box.y1, text.get_text()
            named.add(text.get_text())
        assert {ln.get_label() for ln in lines} <= named


def test_trajectory_colours_every_animal_on_one_clock(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two animals, one tracked only in the second half: both coloured on the recording's
    time, and the colour bar spans all of it."""
    from dlc_lifter.analysis.plots import plot_trajectory

    one = rearing_mouse_3d(60)
    coords = np.stack([one.coords[:, 0], one.coords[:, 0] + [80.0, 0.0, 0.0]], axis=1)
    coords[:30, 1] = np.nan
    both = Poses(coords=coords, confidence=np.ones(coords.shape[:3]),
                 keypoints=one.keypoints, individuals=["a", "b"], meta=one.meta)
    figures: list = []
    keep_saved_figures(monkeypatch, figures)
    plot_trajectory(both, tmp_path / "t.png", fps=30)
    scatters = [c for c in figures[0].axes[0].collections if c.get_array() is not None]
    assert [c.get_clim() for c in scatters] == [(0.0, 59 / 30)] * 2


def test_labelled_images_are_plotted_as_images(tmp_path: Path,
                                              caplog: pytest.LogCaptureFixture) -> None:
    """A lift of labelled images (every row lifted alone): no frame rate is guessed, the
    3D video shows two images a second, and no rearing bout or path joins the images."""
    import pickle

    poses = rearing_mouse_3d(12)
    out3d = _write_3d(poses, tmp_path / "vid_CollectedData_A_lifted3d.h5")
    with open(out3d.with_name(f"{out3d.stem}_meta.pickle"), "wb") as fh:
        pickle.dump({"data": {"extra": {"lift_mode": {"frames_alone": 12, "runs": 12}}}}, fh)
    with caplog.at_level(logging.INFO, logger="dlc_lifter"):
        files = plot_lifted(out3d, out_dir=tmp_path / "plots")
    assert "frame rate unknown" not in caplog.text
    assert "separate images (labelled data): the 3D video shows 2 a second" in caplog.text
    cap = cv2.VideoCapture(str(files[0]))
    assert cap.get(cv2.CAP_PROP_FPS) == pytest.approx(2.0)
    cap.release()


def test_plot_of_a_folder_says_it_takes_one_file(tmp_path: Path) -> None:
    from dlc_lifter.errors import PoseFileError

    (tmp_path / "aDLC_x_lifted3d.h5").write_bytes(b"x")
    with pytest.raises(PoseFileError, match=r"is a folder, not a pose file; it holds 1 lifted "
                       r"3D files \(e\.g\. aDLC_x_lifted.*give the files"):
        plot_lifted(tmp_path)


def test_landmarks_never_tracked_are_left_out_of_the_heights_plot() -> None:
    """Imputed landmarks are left out of the per-keypoint plots even where frames hold no
    3D at all (an untracked frame's points are NaN, flagged as not imputed)."""
    from dlc_lifter.analysis.plots import tracked_keypoints

    one = rearing_mouse_3d(30)
    imputed = np.zeros(one.confidence.shape, bool)
    imputed[:, :, 1:] = True  # only the first keypoint tracked
    one.coords[:5] = np.nan  # five frames with no 3D
    imputed[:5] = False
    one.meta.extra["imputed"] = imputed
    assert tracked_keypoints(one) == [0]


def test_plot_command_takes_o_for_its_folder(tmp_path: Path) -> None:
    """``dlc-lifter plot FILE -o DIR``: as every other verb, ``-o`` names the folder."""
    from typer.testing import CliRunner

    from dlc_lifter.cli import app
    from dlc_lifter.io import write_dlc_3d

    f = write_dlc_3d(rearing_mouse_3d(20), tmp_path / "mDLC_x_lifted3d.h5")
    r = CliRunner().invoke(app, ["plot", str(f), "-o", str(tmp_path / "plots"),
                                 "--max-frames", "10"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "plots" / "mDLC_x_lifted3d_heights.png").is_file()
    # several files; --video belongs to one
    g = write_dlc_3d(rearing_mouse_3d(20), tmp_path / "gDLC_x_lifted3d.h5")
    r = CliRunner().invoke(app, ["plot", str(f), str(g), "-o", str(tmp_path / "both"),
                                 "--max-frames", "5"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "both" / "gDLC_x_lifted3d_heights.png").is_file()
    r = CliRunner().invoke(app, ["plot", str(f), str(g), "--video", str(f)])
    assert r.exit_code != 0 and "one file's video" in r.output


def test_plots_into_a_folder_that_cannot_be_written_name_out_dir(tmp_path: Path) -> None:
    """The plots' folder is ``out_dir`` (``--out-dir/-o``); the message named destfolder."""
    from dlc_lifter.errors import OutputNotWritableError

    out3d = _write_3d(rearing_mouse_3d(), tmp_path / "toyDLC_toy_lifted3d.h5")
    not_a_folder = tmp_path / "plots"
    not_a_folder.write_text("a file")
    with pytest.raises(OutputNotWritableError, match=r"\(out_dir=\)"):
        plot_lifted(out3d, out_dir=not_a_folder)


def _two_mice(n: int = 60, apart_mm: float = 150.0) -> Poses:
    one = rearing_mouse_3d(n)
    coords = np.stack([one.coords[:, 0], one.coords[:, 0] + [apart_mm, 0.0, 0.0]], axis=1)
    return Poses(coords=coords, confidence=np.ones(coords.shape[:3]),
                 keypoints=one.keypoints, individuals=["black", "white"], meta=one.meta)


def test_3d_video_draws_each_animal_in_its_own_colour() -> None:
    """Two mice were drawn with the same height-coloured dots, and nothing said which was
    which: each animal's dots are now its own colour, the one its name is written in;
    one mouse keeps its height colours."""
    from dlc_lifter.analysis.plots import _height_colour, _SkeletonCanvas, individual_colour

    def dot_colours(poses: Poses, row: int) -> list[list[tuple[int, int, int]]]:
        canvas = _SkeletonCanvas(poses, (360, 360), 30.0)
        img = canvas.draw(row)  # BGR
        uv = canvas.proj(poses.coords[row], canvas.azimuth(row)).round().astype(int)
        return [[tuple(int(c) for c in img[v, u]) for u, v in uv[i]]
                for i in range(poses.n_individuals)]

    both = _two_mice()
    for i, colours in enumerate(dot_colours(both, 20)):
        bgr = tuple(round(255 * c) for c in individual_colour(i)[::-1])
        assert all(np.abs(np.subtract(c, bgr)).max() <= 20 for c in colours), (i, colours)
    one = rearing_mouse_3d(60)
    canvas = _SkeletonCanvas(one, (360, 360), 30.0)
    (colours,) = dot_colours(one, 20)
    assert colours[0] == _height_colour(one.coords[20, 0, 0, 2], canvas.zmax)


def test_trajectory_tells_the_animals_apart(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Both mice's paths used one time colormap and black start/end markers, so a reader
    could not tell which path was which: each animal has its own colour (light to dark
    over time), its markers in that colour, and the legend names every animal; one mouse
    keeps viridis."""
    from matplotlib.colors import to_rgb

    from dlc_lifter.analysis.plots import individual_colour, plot_trajectory

    figures: list = []
    keep_saved_figures(monkeypatch, figures)
    plot_trajectory(_two_mice(), tmp_path / "t.png", fps=30)
    ax = figures[0].axes[0]
    scatters = [c for c in ax.collections if c.get_array() is not None]
    assert len(scatters) == 2 and scatters[0].get_cmap() is not scatters[1].get_cmap()
    for i, sc in enumerate(scatters):
        assert np.allclose(sc.get_cmap()(0.5)[:3], individual_colour(i), atol=0.02)
    starts = [line for line in ax.get_lines() if line.get_marker() == ">"]
    assert [to_rgb(line.get_color()) for line in starts] == [individual_colour(0),
                                                              individual_colour(1)]
    legend = {t.get_text() for t in ax.get_legend().get_texts()}
    assert {"black", "white"} <= legend
    plot_trajectory(rearing_mouse_3d(60), tmp_path / "one.png", fps=30)
    (sc,) = [c for c in figures[1].axes[0].collections if c.get_array() is not None]
    assert sc.get_cmap().name == "viridis" and figures[1].axes[0].get_legend() is None


def test_untracked_slots_get_no_path_in_the_trajectory(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A SLEAP file's untracked slots may hold the other animal in the next frame: a path
    joining a slot's rows zig-zagged between the two mice. The slots get their points only,
    as labelled images do; tracked animals keep their paths."""
    from dlc_lifter.analysis.plots import plot_trajectory
    from dlc_lifter.poses import PoseMetadata, Poses

    figures: list = []
    keep_saved_figures(monkeypatch, figures)
    two = _two_mice()
    names = ["untracked0", "untracked1"]
    slots = Poses(two.coords, keypoints=list(two.keypoints), individuals=names,
                  meta=PoseMetadata(fps=30, frame="world", units="mm",
                                    extra={"untracked_individuals": names}))
    plot_trajectory(slots, tmp_path / "slots.png", fps=30)
    plot_trajectory(two, tmp_path / "tracked.png", fps=30)
    paths = [[line for line in f.axes[0].get_lines() if len(line.get_xdata()) > 1]
             for f in figures]
    assert paths[0] == [] and len(paths[1]) == 2
    assert len([c for c in figures[0].axes[0].collections if c.get_array() is not None]) == 2


@pytest.mark.parametrize("flag", ["0", "-5"])
def test_plot_refuses_fewer_than_one_frame(tmp_path: Path, flag: str) -> None:
    """``--max-frames`` below 1 is refused at the command line (before: a 0-frame video
    written and recorded as up to date, or plots written before the error)."""
    from typer.testing import CliRunner

    from dlc_lifter.cli import app

    r = CliRunner().invoke(app, ["plot", str(tmp_path / "x_lifted3d.h5"), "--max-frames", flag])
    assert r.exit_code == 2 and "--max-frames" in r.output
    r = CliRunner().invoke(app, ["lift-files", str(tmp_path), "--plot", "--plot-max-frames",
                                 flag])
    assert r.exit_code == 2 and "--plot-max-frames" in r.output
    assert not list(tmp_path.iterdir())


def test_plotting_leaves_the_caller_s_matplotlib_as_it_was(tmp_path: Path) -> None:
    """A notebook's backend and figures are the caller's: drawing the plots switched the
    process to Agg (``matplotlib.use``) and went through pyplot; they are drawn on figures
    of their own now. In a fresh interpreter, as a notebook would be."""
    import subprocess
    import sys

    out3d = _write_3d(rearing_mouse_3d(), tmp_path / "toyDLC_toy_lifted3d.h5")
    code = (
        "import matplotlib; matplotlib.use('svg'); import matplotlib.pyplot as plt\n"
        "from dlc_lifter.analysis.plots import plot_heights, plot_trajectory\n"
        "from dlc_lifter.io import read_poses\n"
        f"p = read_poses({str(out3d)!r})\n"
        f"plot_heights(p, {str(tmp_path / 'h.png')!r})\n"
        f"plot_trajectory(p, {str(tmp_path / 't.png')!r})\n"
        "print(matplotlib.get_backend(), plt.get_fignums())\n")
    root = str(Path(__file__).resolve().parents[2])
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=root, check=True)
    assert res.stdout.split("\n")[-2] == "svg []", res.stdout + res.stderr
    assert (tmp_path / "h.png").stat().st_size > 1000


def test_plot_says_a_video_of_another_recording(tmp_path: Path,
                                                caplog: pytest.LogCaptureFixture) -> None:
    """A video given to ``plot`` at another frame rate than the lift's, or shorter than
    its frames, is said not to be its recording (before: drawn beside it without a word);
    its own video is not."""
    poses = rearing_mouse_3d()  # at the toys' frame rate
    out3d = _write_3d(poses, tmp_path / "toyDLC_toy_lifted3d.h5")
    other = write_toy_video(tmp_path / "other.mp4", poses.n_frames, fps=poses.meta.fps + 5)
    short = write_toy_video(tmp_path / "short.mp4", poses.n_frames // 2, fps=poses.meta.fps)
    own = write_toy_video(tmp_path / "toy.mp4", poses.n_frames, fps=poses.meta.fps)
    with caplog.at_level(logging.WARNING):
        plot_lifted(out3d, video=other, out_dir=tmp_path / "a", max_frames=3)
    assert f"the video {other} is not the recording it was lifted from? (it runs at " in \
        caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        plot_lifted(out3d, video=short, out_dir=tmp_path / "b", max_frames=3)
    assert f"it has {poses.n_frames // 2} frames and the lift goes to frame" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        plot_lifted(out3d, video=own, out_dir=tmp_path / "c", max_frames=3)
    assert "not the recording" not in caplog.text
