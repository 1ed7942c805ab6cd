"""The ``info`` and ``catalogue`` verbs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from dlc_lifter import Poses
from dlc_lifter.cli import app

runner = CliRunner()


def _file(tmp_path: Path) -> Path:
    coords = np.random.default_rng(0).uniform(0, 100, (10, 1, 3, 2))
    coords[:5, 0, 2] = np.nan
    conf = np.full((10, 1, 3), 0.9)
    conf[:, 0, 0] = 0.5
    return _dlc_file(Poses(coords, conf, keypoints=["snout", "leftear", "wing"]),
                     tmp_path / "videoDLC_test.h5")


def _dlc_file(p: Poses, f: Path) -> Path:
    """``p`` written as a DLC ``analyze_videos`` table at ``f``."""
    p.meta.scorer = "DLC_test"
    p.to_dataframe().to_hdf(f, key="df_with_missing", format="table")
    return f


def test_info(tmp_path: Path) -> None:
    f = _file(tmp_path)
    r = runner.invoke(app, ["info", str(f)])
    assert r.exit_code == 0, r.output
    assert "dlc-h5" in r.output and "Frames:      10" in r.output
    assert "snout" in r.output and "nose" in r.output and "left_ear" in r.output
    assert "Not lifted:\n  wing: maps to no catalogue landmark" in r.output
    assert "Cannot be lifted as it is" in r.output  # nose and an ear: head only
    assert "p<0.6" in r.output and "100.0%" in r.output  # snout below 0.6 everywhere
    assert "50.0%" in r.output  # wing missing half the time
    assert "Frames:      10 (frame 0..9)" in r.output


def test_info_names_the_images_of_an_image_table(tmp_path: Path) -> None:
    """Rows that are images (a tracker's predictions on a folder of images, here with
    Windows paths) are counted as images, named by their files, each lifted alone: their
    row numbers are not a video's frames."""
    coords = np.random.default_rng(1).uniform(0, 100, (3, 1, 3, 2))
    df = Poses(coords, np.full((3, 1, 3), 0.9), keypoints=["snout", "leftear", "rightear"]
               ).to_dataframe("DLC_test")
    df.index = [f"C:\\data\\day1\\img{i:03d}.png" for i in (0, 50, 100)]
    f = tmp_path / "image_predictions_DLC_test.h5"
    df.to_hdf(f, key="predictions")
    r = runner.invoke(app, ["info", str(f)])
    assert r.exit_code == 0, r.output
    assert "Frames:      3 images (img000.png .. img100.png), each lifted alone" in r.output


def test_info_says_limb_joints_without_a_side_are_a_side_view(tmp_path: Path) -> None:
    """AutoGaitA's beam-walking mice (``Nose, Wrist, Elbow, Knee, Ankle, Tail base``...): the
    lift warned that they are a side view's labels; ``info`` listed them as not lifted and
    said nothing of the view."""
    names = ["Nose", "Wrist", "Elbow", "Knee", "Ankle", "Tail base"]
    coords = np.random.default_rng(1).uniform(0, 100, (10, 1, len(names), 2))
    f = _dlc_file(Poses(coords, np.full(coords.shape[:3], 0.9), keypoints=names),
                  tmp_path / "runDLC_test.h5")
    r = runner.invoke(app, ["info", str(f)])
    assert r.exit_code == 0, r.output
    assert "Wrist, Elbow, Knee, Ankle: limb joints named without a side" in r.output
    assert "filmed from above" in r.output


def test_info_says_a_side_view_with_sided_names_is_one(tmp_path: Path) -> None:
    """A beam filmed side on, its keypoints named as a top view's (left and right ears and
    paws): ``info`` said it was seen from above."""
    from tests.fixtures.toys import side_view_mouse_2d

    f = _dlc_file(side_view_mouse_2d(30), tmp_path / "beamDLC_test.h5")
    r = runner.invoke(app, ["info", str(f)])
    assert r.exit_code == 0, r.output
    seen = next(line for line in r.output.splitlines() if line.startswith("Seen from:"))
    assert "the side, it seems (30 of 30 frames" in seen
    assert "heights will not be meaningful" in seen


def test_info_of_a_lift_shows_each_column_as_lifted(tmp_path: Path) -> None:
    """A lift's own output names the file's ``tail_1`` (mapped, as a SLEAP skeleton's
    ``Tail_1`` is, onto the catalogue's ``tail3``) and writes the imputed catalogue
    ``tail1`` beside it as ``tail1_catalogue`` (a name of its own for files without the
    lift's record, its ``.slp``): ``info`` reads each column's landmark from the lift
    (before, it re-matched the names and advised a keypoint map for a conflict of its own
    making)."""
    from dlc_lifter.lift import lift_file
    from dlc_lifter.lift.options import CameraSpec, LiftOptions, OutputSpec
    from tests.fixtures.toys import circling_mouse_2d, write_dlc_analysis

    four = circling_mouse_2d(60)
    tail = four.coords[:, :, 3:4] - [12.0, 0.0]  # behind the tail base
    poses = Poses(coords=np.concatenate([four.coords, tail], axis=2),
                  confidence=np.full(four.coords.shape[:2] + (5,), 0.95),
                  keypoints=[*four.keypoints, "tail_1"], meta=four.meta)
    src = write_dlc_analysis(poses, tmp_path / "in")
    out = lift_file(src, camera=CameraSpec(camera_height_mm=600.0, focal_px=220.0,
                                           image_size=(160, 120)),
                    options=LiftOptions(depth=False, keypoint_map={"tail_1": "tail3"}),
                    output=OutputSpec(destfolder=tmp_path / "out"))
    r = runner.invoke(app, ["info", str(out)])
    assert r.exit_code == 0, r.output
    rows = {line.split()[0]: line.split()[1] for line in r.output.splitlines()
            if line.startswith(("tail_1 ", "tail1"))}
    assert rows == {"tail_1": "tail3", "tail1_catalogue": "tail1"}, r.output
    assert "Not lifted" not in r.output and "both name" not in r.output


def test_info_of_a_labels_package_says_where_its_images_are(tmp_path: Path) -> None:
    """A SLEAP ``.pkg.slp``: the frame size its images', the video none, its images in the
    file (before: 'Video: labels.pkg.slp', the package taken for a video)."""
    from tests.fixtures.toys import random_poses, write_labels_package

    poses = random_poses(8, keypoints=["nose", "left_ear", "right_ear", "tail_base"])
    f = write_labels_package(poses, tmp_path / "labels.pkg.slp", [1, 5])
    r = runner.invoke(app, ["info", str(f)])
    assert r.exit_code == 0, r.output
    assert "Image size:  160x120" in r.output
    assert "Video:       none: its images are embedded in the file (from " in r.output
    assert "session.mp4, not on this machine nor beside the file)" in r.output


def test_info_of_a_package_from_a_package_names_no_video(tmp_path: Path) -> None:
    """A package whose recorded source is another labels package beside it: no video, the
    source said to be a labels file (before: 'Video: sleap_labels.pkg.slp')."""
    from tests.fixtures.toys import random_poses, write_labels_package

    poses = random_poses(8, keypoints=["nose", "left_ear", "right_ear", "tail_base"])
    f = write_labels_package(poses, tmp_path / "val.pkg.slp", [1, 5],
                             source="sleap_labels.pkg.slp")
    (tmp_path / "sleap_labels.pkg.slp").write_bytes(f.read_bytes())
    r = runner.invoke(app, ["info", str(f)])
    assert r.exit_code == 0, r.output
    assert ("Video:       none: its images are embedded in the file (from "
            "sleap_labels.pkg.slp, a SLEAP labels file, not a video)") in r.output


def test_info_counts_a_keypoint_missing_over_the_individuals_that_track_it(
        tmp_path: Path) -> None:
    """A multi-animal DeepLabCut file's unique bodyparts are only under ``single``: a
    ``snout`` tracked in every frame there is not missing in the others' frames."""
    coords = np.full((10, 3, 2, 2), np.nan)
    coords[:, 2, 0] = 50.0  # snout: the adult's ('single'), every frame
    coords[:4, 0, 1] = coords[:, 1, 1] = 60.0  # end1: p1 in 4 frames of 10, p2 in all
    conf = np.where(np.isfinite(coords[..., 0]), 0.9, np.nan)
    f = _dlc_file(Poses(coords, conf, keypoints=["snout", "end1"],
                        individuals=["p1", "p2", "single"]), tmp_path / "videoDLC_ma.h5")
    r = runner.invoke(app, ["info", str(f)])
    assert r.exit_code == 0, r.output
    rows = {line.split()[0]: line.split() for line in r.output.splitlines() if line}
    assert rows["snout"][2] == "0.0%" and rows["end1"][3] == "30.0%", r.output


def test_info_with_mapping_and_config(tmp_path: Path) -> None:
    f = _file(tmp_path)
    m = tmp_path / "map.yaml"
    m.write_text("wing: mouse_center\n")
    cfg = tmp_path / "config.yaml"
    cfg.write_text("Task: t\nscorer: s\nbodyparts: [snout, leftear, wing]\npcutoff: 0.4\n")
    r = runner.invoke(app, ["info", str(f), "--keypoint-map", str(m), "--config", str(cfg)])
    assert r.exit_code == 0, r.output
    assert "mouse_center" in r.output and "p<0.4" in r.output and "Not lifted" not in r.output


def test_info_bad_file_is_a_clean_error(tmp_path: Path) -> None:
    from dlc_lifter.errors import PoseFileError

    r = runner.invoke(app, ["info", str(tmp_path / "none.h5")])
    assert r.exit_code != 0 and isinstance(r.exception, PoseFileError)
    assert "none.h5" in str(r.exception)


def test_catalogue() -> None:
    r = runner.invoke(app, ["catalogue"])
    assert r.exit_code == 0 and "tail_base" in r.output and "superanimal_topviewmouse" in r.output
    r = runner.invoke(app, ["catalogue", "--set", "openfield"])
    assert r.exit_code == 0 and "left_ear" in r.output and "hindpaw" not in r.output
    r = runner.invoke(app, ["catalogue", "--set", "nope"])
    assert r.exit_code != 0 and "openfield" in str(r.exception)
    assert "dlc_openfield" in str(r.exception) and "avatar" in str(r.exception)


@pytest.mark.parametrize(("name", "rows"), [
    ("dlc_openfield", ["snout     nose       head", "tailbase  tail_base  tail"]),
    ("deepof", ["Left_fhip   left_shoulder   body"]),
    ("sleap_mouse", ["TTI             tail_base       tail"]),
    ("dlcanalyzer_openfield", ["tl          arena top_left      arena (not lifted)"]),
    ("avatar", ["chest  (none: not lifted)", "rhand  right_forepaw       forelimb"]),
])
def test_catalogue_shows_a_known_skeleton_s_names(name: str, rows: list[str]) -> None:
    """The skeleton name ``info`` prints (``Skeleton: deepof``) is one ``catalogue --set``
    takes: it prints each of the skeleton's names and the landmark it maps to; the full
    listing and ``--help`` name the known skeletons too."""
    r = runner.invoke(app, ["catalogue", "--set", name])
    assert r.exit_code == 0, r.output
    assert r.output.startswith(f"Known skeleton '{name}': ")
    for row in rows:
        assert row in r.output.splitlines()
    assert f"  {name}: " in runner.invoke(app, ["catalogue"]).output
    assert "known skeleton" in runner.invoke(app, ["catalogue", "--help"]).output


def test_library_parameter_names_become_flags_on_the_command_line() -> None:
    from dlc_lifter.cli import cli_message

    text = "give camera_height_mm and focal_px, or arena_size_mm; keypoint_map lists none"
    assert cli_message(text) == ("give --camera-height-mm and --focal-px, or --arena-size-mm; "
                                 "--keypoint-map lists none")


def test_cli_message_translates_each_parameter_once() -> None:
    """Parameter forms become flags; a flag already in the text is never translated again."""
    from dlc_lifter.cli import cli_message

    assert cli_message("Pass overwrite=True to replace it") == "Pass --overwrite to replace it"
    assert cli_message("lifting from keypoints only (depth=False)") == (
        "lifting from keypoints only (--no-depth)")
    assert cli_message("pick one with camera_name=NAME.") == "pick one with --camera NAME."
    assert cli_message("give camera_height_mm= and focal_px=.") == (
        "give --camera-height-mm and --focal-px.")
    assert cli_message("fps= must be a positive number") == "--fps must be a positive number"
    # not '--video None', which reads as a video file named None
    assert cli_message("or lift without one (video=None).") == (
        "or lift without one (--no-video).")
    # the bug that printed ----destfolder: a flag in the text stays as it is
    assert cli_message("pass --destfolder where the outputs are") == (
        "pass --destfolder where the outputs are")
    assert cli_message("Choose a folder (destfolder= / --destfolder).") == (
        "Choose a folder (--destfolder).")
    assert cli_message("pass key= (--key) to say which") == "pass --key to say which"
    # paths and ordinary words are left alone
    assert cli_message("read /data/keypoint_map.yaml at 30 fps in overwrite mode") == (
        "read /data/keypoint_map.yaml at 30 fps in overwrite mode")


def test_cli_errors_name_flags_not_parameters(tmp_path: Path) -> None:
    """An existing output: the library says overwrite=True, the command line --overwrite."""
    import subprocess
    import sys

    f = _file(tmp_path)
    (tmp_path / "videoDLC_test_lifted3d.h5").write_text("")
    code = "from dlc_lifter.cli import main; main()"
    res = subprocess.run([sys.executable, "-c", code, "lift", str(f), "--no-depth"],
                         capture_output=True, text=True)
    assert res.returncode == 2, res.stderr
    assert "--overwrite" in res.stderr and "overwrite=True" not in res.stderr
    assert "----" not in res.stderr


def test_command_line_records_the_parsed_options() -> None:
    """What ``dlc-lifter train`` writes to a sidecar: every option, from the parsed values."""
    from dlc_lifter.cli.options import command_line

    app = typer.Typer()
    seen: list[str] = []

    @app.command("train")
    def train(ctx: typer.Context, out: Path = typer.Option(Path("a.pt"), "--out"),
              minutes: float | None = typer.Option(9.5, "--minutes"),
              threads: int | None = typer.Option(None, "--threads"),
              cv: bool = typer.Option(True, "--cv/--no-cv")) -> None:
        seen.append(command_line(ctx))

    @app.command("other")
    def other() -> None:  # a second command makes "train" a subcommand
        pass

    assert runner.invoke(app, ["train", "--no-cv", "--out", "my dir/b.pt"]).exit_code == 0
    assert seen == ["dlc-lifter train --out 'my dir/b.pt' --minutes 9.5 --no-cv"]


def _info(path: Path, coords: np.ndarray, names: list[str]) -> str:
    """``dlc-lifter info``'s output for a DLC file of one animal's ``(T, K, 2)`` pixels."""
    p = Poses(coords[:, None], np.ones((len(coords), 1, len(names))), keypoints=names)
    p.meta.scorer = "DLC_test"
    p.to_dataframe().to_hdf(path, key="df_with_missing", format="table")
    r = runner.invoke(app, ["info", str(path)])
    assert r.exit_code == 0, r.output
    return r.output


def test_info_says_whether_the_animal_is_seen_from_above(tmp_path: Path) -> None:
    # an animal facing +u (right) in the image: seen from above its left ear is up (-v)
    n = 30
    nose = np.stack([np.linspace(100, 160, n), np.full(n, 200.0)], -1)
    tail = nose - [60.0, 0.0]
    left, right = nose - [20.0, 12.0], nose - [20.0, -12.0]

    def info(coords: np.ndarray, name: str) -> str:
        return _info(tmp_path / f"{name}DLC_test.h5", coords,
                     ["snout", "leftear", "rightear", "tailbase"])

    above = np.stack([nose, left, right, tail], 1)
    assert "Seen from:   above (0 of 30 frames with left keypoints on its right)" in info(
        above, "above")
    below = above.copy()
    below[..., 1] = 400 - below[..., 1]
    assert "Seen from:   below, or a mirrored video" in info(below, "below")
    assert "Far off:     no detection lies farther" in info(above, "above")
    two = Poses(np.stack([above, above + [0.0, 150.0]], 1), np.ones((n, 2, 4)),
                keypoints=["snout", "leftear", "rightear", "tailbase"],
                individuals=["mouse1", "mouse2"])  # two animals in each of the 30 frames
    two.meta.scorer = "DLC_test"
    two.to_dataframe().to_hdf(tmp_path / "pairDLC_test.h5", key="df_with_missing")
    pair = runner.invoke(app, ["info", str(tmp_path / "pairDLC_test.h5")]).output
    assert "above (0 of 60 animal-frames with left keypoints on its right)" in pair
    # two animals told apart by their names (SimBA's Nose_1, Nose_2) in one individual:
    # both vote, as the lift takes them apart (only one did)
    named = Poses(np.concatenate([above, above + [0.0, 150.0]], 1)[:, None],
                  np.ones((n, 1, 8)), individuals=["individual0"],
                  keypoints=[f"{k}_{i}" for i in (1, 2)
                             for k in ("Nose", "Ear_left", "Ear_right", "Tail_base")])
    named.meta.scorer = "DLC_test"
    named.to_dataframe().to_hdf(tmp_path / "namedDLC_test.h5", key="df_with_missing")
    out = runner.invoke(app, ["info", str(tmp_path / "namedDLC_test.h5")]).output
    assert "above (0 of 60 animal-frames with left keypoints on its right)" in out, out
    jumps = above.copy()
    jumps[[3, 17], 0] += [300.0, 0.0]  # the snout found far from the rest, twice
    assert ("Far off:     2 detections lie farther from the rest of the animal than its body "
            "reaches (snout 2); a lift takes them as untracked") in info(jumps, "jumps")


def test_info_says_where_a_label_on_the_back_sits(tmp_path: Path) -> None:
    """A centre label at 0.8 of the way from the nose (where DANNCE puts ``SpineM``) is
    lifted where it lies; one at 0.6 (the synthetic centre's place) keeps the networks'."""
    n = 40
    nose = np.stack([np.linspace(100, 160, n), np.full(n, 200.0)], -1)
    tail = nose - [80.0, 0.0]

    def info(share: float, name: str) -> str:
        centre = nose + share * (tail - nose)
        coords = np.stack([nose, nose - [20.0, 12.0], nose - [20.0, -12.0], centre, tail], 1)
        return _info(tmp_path / f"{name}DLC_test.h5", coords,
                     ["snout", "leftear", "rightear", "centre", "tailbase"])

    assert ("On the back: centre 0.80 of the way from the nose, where mouse_center is at "
            "0.61: lifted where it lies on the back") in info(0.8, "back")
    assert "On the back: centre at mouse_center" in info(0.6, "mid")


def _mouse_file(tmp_path: Path) -> Path:
    """A synthetic mouse walking under a camera 450 mm up, f 700 px, as a DLC file."""
    from dlc_lifter.camera import Camera
    from dlc_lifter.mouse.behaviour import generate_sequences
    from dlc_lifter.mouse.catalogue import CATALOGUE

    names = ["nose", "left_ear", "right_ear", "neck", "mouse_center", "tail_base"]
    lm = generate_sequences(1, 40, seed=5)[0].landmarks[:, [CATALOGUE.index(n) for n in names]]
    lm = lm - np.array([*np.nanmean(lm[..., :2].reshape(-1, 2), 0), 0.0])
    uv = Camera.top_view(450.0, 700.0, (640, 480)).project(lm)
    return _dlc_file(Poses(uv[:, None], np.ones(uv.shape[:2])[:, None], keypoints=names),
                     tmp_path / "mouseDLC_test.h5")


def test_info_with_camera_flags_shows_the_camera_and_the_animals_size(tmp_path: Path) -> None:
    f = _mouse_file(tmp_path)
    flags = ["--focal-px", "700", "--image-size", "640x480"]
    r = runner.invoke(app, ["info", str(f), "--camera-height-mm", "450", *flags])
    assert r.exit_code == 0, r.output
    assert "Camera:      height+focal: 450 mm above the floor, focal 700 px" in r.output
    assert "View:" in r.output
    line = next(s for s in r.output.splitlines() if s.startswith("Animal size:"))
    assert "nose to tail base seen from above" in line and "<- outside" not in line
    # the height given in cm: the mouse comes out a few mm long, and the line says so
    r = runner.invoke(app, ["info", str(f), "--camera-height-mm", "45", *flags])
    assert r.exit_code == 0, r.output
    line = next(s for s in r.output.splitlines() if s.startswith("Animal size:"))
    assert line.endswith("<- outside; see the warning above"), line
    # without camera flags, no camera is resolved
    assert "Camera:" not in runner.invoke(app, ["info", str(f)]).output


#: A word of READABLE_FILES for each format read_poses reads.
_FORMAT_WORDS = {
    "dlc-csv": "DeepLabCut .h5/.csv", "dlc-h5": "DeepLabCut .h5/.csv",
    "flat-csv": "one-header-row csv", "sleap-csv": "analysis .h5/.csv",
    "sleap-h5": "analysis .h5/.csv", "sleap-slp": "SLEAP .slp", "jabs": "JABS _pose_est_vN.h5",
    "movement-nc": "(.nc)", "nwb": "NWB (ndx-pose)", "sleap-points3d": None,  # 3D: not lifted
}


@pytest.mark.parametrize("verb", ["lift", "info", "lift-files"])
def test_pose_file_help_names_every_format_read(verb: str) -> None:
    """The FILES help of ``lift``/``info``/``lift-files`` is one shared text naming every
    format ``read_poses`` reads (movement .nc, SLEAP's csv and SimBA-style tables were
    missing)."""
    import inspect
    import re

    r = CliRunner().invoke(app, [verb, "--help"], env={"COLUMNS": "400", "NO_COLOR": "1"})
    text = " ".join(re.sub(r"[│╭╮╰╯─]", " ", r.output).split())
    for word in ("movement poses saved as netCDF (.nc)", "SLEAP .slp or analysis .h5/.csv",
                 "(SimBA's)", "JABS", "NWB"):
        assert word in text
    from dlc_lifter.io.read import READABLE_FILES, read_poses

    read = set(re.findall(r'fmt == "([\w-]+)"', inspect.getsource(read_poses))) | {"nwb"}
    assert read <= set(_FORMAT_WORDS)  # a new format: name it in READABLE_FILES and here
    for fmt in read:
        assert _FORMAT_WORDS[fmt] is None or _FORMAT_WORDS[fmt] in READABLE_FILES, fmt
    assert " ".join(READABLE_FILES.split()) in text


def test_the_flag_filter_is_the_commands_and_leaves_with_it(caplog) -> None:
    """During a command the library's parameters are logged as flags; after it (the app run
    in-process: a notebook, the tests) the log's handlers are as before, so a library
    message keeps its parameters (they kept ``--no-depth`` for every later message)."""
    import logging

    from dlc_lifter.cli import _FlagNames

    lib = logging.getLogger("dlc_lifter.lift.live")
    before = {h: list(h.filters) for h in logging.getLogger().handlers}
    seen = []

    @app.command("_say", hidden=True)
    def _say() -> None:  # a command that logs one library message
        lib.warning("lifting from keypoints only (depth=False)")
        seen.append(any(isinstance(f, _FlagNames) for h in logging.getLogger().handlers
                        for f in h.filters))

    try:
        with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
            assert runner.invoke(app, ["_say"]).exit_code == 0
            assert seen == [True] and "(--no-depth)" in caplog.text
            caplog.clear()
            lib.warning("lifting from keypoints only (depth=False)")
            assert "(depth=False)" in caplog.text
        assert {h: list(h.filters) for h in logging.getLogger().handlers
                if h in before} == before
        assert not any(isinstance(f, _FlagNames) for h in logging.getLogger().handlers
                       for f in h.filters)
    finally:
        app.registered_commands[:] = [c for c in app.registered_commands
                                      if c.name != "_say"]


def test_info_names_superanimal_s_skeleton_though_its_names_are_the_catalogue_s(
        tmp_path: Path) -> None:
    """A DeepLabCut SuperAnimal-TopViewMouse output (a lab's ``Kiex_2M...h5``, 27 keypoints)
    was said to have 'no known skeleton', though ``catalogue --set superanimal_topviewmouse``
    lists it: its names are the catalogue's own, so no skeleton was needed to map them."""
    from dlc_lifter.mouse.skeletons import KNOWN_SKELETONS

    names = list(next(s for s in KNOWN_SKELETONS
                      if s.name == "superanimal_topviewmouse").keypoints)
    coords = np.random.default_rng(2).uniform(0, 100, (10, 1, len(names), 2))
    f = _dlc_file(Poses(coords, np.full(coords.shape[:3], 0.9), keypoints=names),
                  tmp_path / "Kiex_2MDLC_snapshot-200000.h5")
    r = runner.invoke(app, ["info", str(f)])
    assert r.exit_code == 0, r.output
    assert "Skeleton:    superanimal_topviewmouse (its names are the catalogue's own)" \
        in r.output
    # a few catalogue names are no skeleton's
    r = runner.invoke(app, ["info", str(_file(tmp_path))])
    assert "Skeleton:    no known skeleton" in r.output


def test_info_says_a_flat_table_names_no_scorer(tmp_path: Path) -> None:
    """``info`` on a one-header-row table (SimBA's, a tracker's csv) printed the package's
    own default, ``Scorer: dlc_lifter``, as if the file named it: it says the file names
    none, and what the outputs are named."""
    import pandas as pd

    n = 12
    cols = {f"{k}_{a}": np.linspace(100, 150, n) + 10 * i
            for i, k in enumerate(("Nose", "Ear_left", "Ear_right", "Tail_base"))
            for a in ("x", "y")}
    pd.DataFrame(cols).to_csv(tmp_path / "track.csv")
    out = runner.invoke(app, ["info", str(tmp_path / "track.csv")]).output
    assert "Scorer:      none in the file (a flat table; outputs name dlc_lifter)" in out, out


def test_info_says_a_recorded_video_is_not_there(tmp_path: Path) -> None:
    """A SLEAP file whose recorded video is neither where it says nor beside it: ``info``
    says so and how to give it (before: the path shown as if found); one beside it shows
    as found."""
    import sleap_io as sio

    sk = sio.Skeleton(nodes=["nose", "left_ear", "right_ear", "tail_base"])
    pts = np.random.default_rng(1).uniform(10, 100, (4, 2))
    video = sio.Video(filename="/nowhere/session.mp4", open_backend=False)
    lfs = [sio.LabeledFrame(video=video, frame_idx=f, instances=[
        sio.PredictedInstance.from_numpy(pts + f, skeleton=sk, point_scores=np.full(4, 0.9),
                                         score=0.9)]) for f in range(5)]
    f = tmp_path / "session.predictions.slp"
    sio.save_slp(sio.Labels(labeled_frames=lfs, videos=[video], skeletons=[sk]), str(f))
    r = runner.invoke(app, ["info", str(f)])
    assert r.exit_code == 0, r.output
    assert ("Video:       /nowhere/session.mp4 (not there, nor beside the file: give it to "
            "lift with --video)") in r.output
    from tests.fixtures.toys import write_toy_video

    write_toy_video(tmp_path / "session.mp4", 5, size=(64, 48))
    r = runner.invoke(app, ["info", str(f)])
    assert f"Video:       {tmp_path / 'session.mp4'}\n" in r.output, r.output


def test_version_names_the_software() -> None:
    """``dlc-lifter --version`` (was: no such option): the version, and the software a
    methods section names."""
    from dlc_lifter import __version__

    r = runner.invoke(app, ["--version"])
    assert r.exit_code == 0 and r.output.startswith(f"dlc-lifter {__version__}")
    assert "python" in r.output and "numpy" in r.output


def test_info_says_how_often_each_animal_is_tracked(tmp_path: Path) -> None:
    """Several individuals: each one's share of frames, and one never tracked said (the
    keypoint table pools them; before, only a lift's log told of an empty individual)."""
    coords = np.full((10, 3, 3, 2), np.nan)
    coords[:, 0] = 10.0
    coords[:5, 1] = 20.0
    p = Poses(coords, np.full((10, 3, 3), 0.9), keypoints=["snout", "leftear", "tailbase"],
              individuals=["m1", "m2", "m3"])
    p.meta.scorer = "DLC_test"
    f = tmp_path / "threeDLC_test.h5"
    p.to_dataframe().to_hdf(f, key="df_with_missing", format="table")
    r = runner.invoke(app, ["info", str(f)])
    assert "Individuals: 3 (m1 in 100%, m2 in 50%, m3 never tracked)" in r.output, r.output


def test_info_says_a_calibration_whose_z_points_down(tmp_path: Path) -> None:
    """A checkerboard's frame on the floor (z into it, y flipped: the camera 500 mm 'below'):
    the lift warned, info printed '500 mm below the floor' without a word; it now says the
    lift turns that world over, as the lift does (and then prints the camera above)."""
    from dlc_lifter.camera import Camera
    from dlc_lifter.io.calibration import write_anipose
    from tests.fixtures.toys import circling_mouse_2d, write_dlc_analysis

    src = write_dlc_analysis(circling_mouse_2d(40, ("individual0",), seed=0), tmp_path, "v")
    up = Camera.top_view(500.0, 700.0, (640, 480))
    down = Camera(K=up.K, R=up.R @ np.diag([1.0, -1.0, -1.0]), t=up.t, image_size=(640, 480),
                  name="top")
    assert down.below_floor
    for cam, said in ((up, False), (down, True)):
        toml = write_anipose([cam], tmp_path / f"{'down' if said else 'up'}.toml")
        r = runner.invoke(app, ["info", str(src), "--calibration", str(toml)])
        assert r.exit_code == 0, r.output
        assert ("z axis points down" in r.output) == said, r.output
        assert ("lifted in its world turned over" in r.output) == said, r.output


def test_every_command_and_group_shows_an_example() -> None:
    """Each verb's and each group's ``--help`` (``dlc-lifter``, ``classify``, ``train``)
    gives an example command line (before: ``dlc-lifter --help`` and ``dlc-lifter classify
    --help`` gave none)."""
    from dlc_lifter.cli import app

    def walk(cmd: object, path: list[str]) -> Iterator[list[str]]:
        yield path
        for name, sub in getattr(cmd, "commands", {}).items():
            yield from walk(sub, [*path, name])

    paths = list(walk(typer.main.get_command(app), []))
    assert ["classify", "predict"] in paths and ["train", "depth"] in paths
    lacking = [" ".join(p) or "dlc-lifter" for p in paths
               if "Example: dlc-lifter" not in CliRunner().invoke(app, [*p, "--help"]).output]
    assert not lacking
