"""The per-file verbs (features, plot, classify predict) over a lab's folder of lifts, as
lift-files runs: folders searched, up-to-date outputs skipped on a rerun, a closing count,
warnings grouped."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from dlc_lifter.cli import app
from tests.fixtures.toys import circling_mouse_2d, rigid_mouse, write_dlc_analysis

#: A batch's layout: same-named inputs' lifts in their folders' subfolders.
_LIFTS = (("", "aDLC_x"), ("", "bDLC_x"), ("boxA", "trialDLC_x"), ("boxB", "trialDLC_x"))


def _lift_tree(root: Path) -> list[Path]:
    """Four lifted files without a frame rate, as ``lift-files --recursive -o root`` lays
    them out (two of one name in ``boxA/`` and ``boxB/``)."""
    from dlc_lifter.io import write_dlc_3d

    out = []
    for i, (sub, stem) in enumerate(_LIFTS):
        (root / sub).mkdir(parents=True, exist_ok=True)
        poses = rigid_mouse(speed=30.0 + 10 * i)
        poses.meta.fps = None
        out.append(write_dlc_3d(poses, root / sub / f"{stem}_lifted3d.h5"))
    return out


def _features(*args: str) -> tuple[int, list[str]]:
    r = CliRunner().invoke(app, ["features", *args])
    return r.exit_code, r.output.strip().splitlines()


def test_features_of_a_folder_of_lifts(tmp_path: Path,
                                       caplog: pytest.LogCaptureFixture) -> None:
    """``features out/run1 -o feats`` was refused, suggesting ``out/run1/*_lifted3d.h5``,
    which misses the lifts in boxA/, boxB/: a folder gives its lifts (its subfolders' with
    --recursive; without, said), same-named ones into subfolders, with a closing count."""
    _lift_tree(tmp_path / "run1")
    feats = tmp_path / "feats"
    code, lines = _features(str(tmp_path / "run1"), "-o", str(feats))
    assert code == 0, lines
    assert sorted(p.name for p in feats.glob("*.csv")) == [
        "aDLC_x_lifted3d_features.csv", "bDLC_x_lifted3d_features.csv"]
    assert "its subfolders hold 2 more lifted 3D files" in caplog.text
    assert "--recursive takes them" in caplog.text
    assert lines[-2].startswith("2 done, 0 skipped (output exists), 0 failed")
    code, lines = _features(str(tmp_path / "run1"), "--recursive", "-o", str(feats))
    assert code == 0, lines
    for box in ("boxA", "boxB"):
        assert (feats / box / "trialDLC_x_lifted3d_features.csv").is_file()
        assert (feats / box / "trialDLC_x_lifted3d_features.json").is_file()
    assert any(line.startswith("2 done, 2 skipped (output exists), 0 failed")
               for line in lines), lines


def test_a_rerun_skips_up_to_date_features_and_refuses_stale_ones(tmp_path: Path) -> None:
    """A rerun over a grown dataset reported every old file as FAILED (exists), exit 1:
    tables made from the same file with the same options are skipped and counted; one
    whose file changed since, or asked with another window, fails saying so; --overwrite
    replaces them. One file named alone is still refused (as ``lift``)."""
    lifts = _lift_tree(tmp_path / "run1")
    feats = tmp_path / "feats"
    assert _features(str(tmp_path / "run1"), "-r", "-o", str(feats))[0] == 0
    before = (feats / "aDLC_x_lifted3d_features.csv").stat().st_mtime_ns
    code, lines = _features(str(tmp_path / "run1"), "-r", "-o", str(feats))
    assert code == 0, lines
    assert lines[-1].startswith("0 done, 4 skipped (output exists), 0 failed"), lines
    assert (feats / "aDLC_x_lifted3d_features.csv").stat().st_mtime_ns == before
    lifts[2].write_bytes(lifts[1].read_bytes())  # boxA's recording lifted again, other
    code, lines = _features(str(tmp_path / "run1"), "-r", "-o", str(feats))
    assert code == 1
    failed = [line for line in lines if "FAILED" in line]
    assert len(failed) == 1 and "boxA/trialDLC_x_lifted3d.h5" in failed[0]
    assert "the file changed since" in failed[0] and "--overwrite replaces it" in failed[0]
    assert any(line.startswith("0 done, 3 skipped (output exists), 1 failed")
               for line in lines), lines
    code, lines = _features(str(tmp_path / "run1"), "-r", "-o", str(feats), "--window", "5")
    assert code == 1 and "made with --window 15 (asked for now: --window 5)" in "\n".join(lines)
    code, lines = _features(str(tmp_path / "run1"), "-r", "-o", str(feats), "--overwrite")
    assert code == 0 and any(line.startswith("4 done, 0 skipped") for line in lines), lines
    code, _ = _features(str(lifts[0]), "-o", str(feats))
    assert code != 0  # one file named: refused, as before


def test_an_older_features_record_is_still_honoured(tmp_path: Path,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    """Sidecars written before features recorded their file as a lift records its input
    hold its whole-file SHA-256 (``source_sha256``): a rerun over such tables skips those
    still up to date (moved too), comparing by it, and refuses one whose file changed."""
    import json
    import shutil

    from tests.fixtures.toys import file_sha256

    lifts = _lift_tree(tmp_path / "run1")
    feats = tmp_path / "feats"
    assert _features(str(tmp_path / "run1"), "-r", "-o", str(feats))[0] == 0
    for side in feats.rglob("*_features.json"):
        rec = json.loads(side.read_text())
        rec.pop("source_file", None)
        rec["source_sha256"] = file_sha256(Path(rec["source"]))
        side.write_text(json.dumps(rec))
    made = (feats / "aDLC_x_lifted3d_features.csv").stat().st_mtime_ns
    with caplog.at_level(logging.INFO):
        code, lines = _features(str(tmp_path / "run1"), "-r", "-o", str(feats))
    assert code == 0 and _counts(lines).startswith("0 done, 4 skipped (output exists)"), lines
    assert (feats / "aDLC_x_lifted3d_features.csv").stat().st_mtime_ns == made
    assert "checksum of the whole file" in caplog.text
    shutil.copytree(tmp_path / "run1", tmp_path / "moved")
    code, lines = _features(str(tmp_path / "moved"), "-r", "-o", str(feats))
    assert code == 0 and _counts(lines).startswith("0 done, 4 skipped (output exists)"), lines
    lifts[2].write_bytes(lifts[1].read_bytes())
    code, lines = _features(str(tmp_path / "run1"), "-r", "-o", str(feats))
    failed = [line for line in lines if "FAILED" in line]
    assert code == 1 and len(failed) == 1 and "the file changed since" in failed[0], lines


def test_a_batch_says_each_kind_of_warning_once(tmp_path: Path,
                                                caplog: pytest.LogCaptureFixture) -> None:
    """141 files without a frame rate gave 141 identical warning lines: the log says it
    once, and the summary once with how many files gave it, as lift-files' does."""
    _lift_tree(tmp_path / "run1")
    with caplog.at_level(logging.INFO):
        code, lines = _features(str(tmp_path / "run1"), "-r", "-o", str(tmp_path / "f"))
    assert code == 0, lines
    assert caplog.text.count("frame rate unknown") == 1
    grouped = [line for line in lines if "frame rate unknown" in line]
    assert len(grouped) == 1 and grouped[0].startswith("  WARNING (4 files: "), lines


def test_a_folder_of_2d_pose_files_gives_2d_features(tmp_path: Path) -> None:
    """As one 2D file named gives 2D features, so does a folder of them holding no lift;
    ``plot`` refuses such a folder, saying to lift it first."""
    for stem in ("m1", "m2"):
        write_dlc_analysis(circling_mouse_2d(40), tmp_path / "2d", stem=stem)
    code, lines = _features(str(tmp_path / "2d"), "-o", str(tmp_path / "f"))
    assert code == 0, lines
    tables = sorted((tmp_path / "f").glob("*_features.csv"))
    assert len(tables) == 2 and "head_speed_px_s" in pd.read_csv(tables[0])
    r = CliRunner().invoke(app, ["plot", str(tmp_path / "2d")])
    assert r.exit_code != 0 and "lift-files" in str(r.exception)


def _counts(lines: list[str]) -> str:
    """The summary's counts line ("N done, M skipped ...")."""
    return next((line for line in lines if line.split(" ")[1:2] == ["done,"]), "")


def test_features_stay_where_an_earlier_run_put_them(tmp_path: Path) -> None:
    """boxA's table, made flat by a run over boxA alone, was made again into feats/boxA/ by
    a run over the whole tree (two tables of one file), and a run over boxB alone then
    failed at the flat place: each table is found where it is, by the pose file its
    sidecar records, and none goes where another file's is."""
    _lift_tree(tmp_path / "run1")
    feats = tmp_path / "feats"
    assert _features(str(tmp_path / "run1" / "boxA"), "-o", str(feats))[0] == 0
    flat = feats / "trialDLC_x_lifted3d_features.csv"
    made = flat.stat().st_mtime_ns
    code, lines = _features(str(tmp_path / "run1"), "-r", "-o", str(feats))
    assert code == 0 and _counts(lines).startswith("3 done, 1 skipped (output exists)"), lines
    assert flat.stat().st_mtime_ns == made and not (feats / "boxA").exists()
    assert (feats / "boxB" / "trialDLC_x_lifted3d_features.csv").is_file()
    code, lines = _features(str(tmp_path / "run1" / "boxB"), "-o", str(feats))
    assert code == 0 and _counts(lines).startswith("0 done, 1 skipped (output exists)"), lines


def test_a_rerun_compares_every_option_the_table_was_made_with(tmp_path: Path) -> None:
    """A rerun with --fps 25 skipped tables made at 30 fps (only the window and planar
    were compared): every option that changes a table is, each that differs named; one
    giving the value the table was made with (the 30 fps assumed) is the same table."""
    _lift_tree(tmp_path / "run1")
    feats = tmp_path / "feats"
    assert _features(str(tmp_path / "run1"), "-o", str(feats))[0] == 0
    code, lines = _features(str(tmp_path / "run1"), "-o", str(feats), "--fps", "25",
                            "--window", "5")
    text = "\n".join(lines)
    assert code == 1 and text.count("FAILED") == 2, text
    assert "made with --window 15, --fps 30 (asked for now: --window 5, --fps 25)" in text
    code, lines = _features(str(tmp_path / "run1"), "-o", str(feats), "--fps", "30")
    assert code == 0 and _counts(lines).startswith("0 done, 2 skipped"), lines
    code, lines = _features(str(tmp_path / "run1"), "-o", str(feats), "--individual", "x")
    assert code == 1 and "(asked for now: --individual x)" in "\n".join(lines), lines
    for stem in ("m1", "m2"):
        write_dlc_analysis(circling_mouse_2d(40), tmp_path / "2d", stem=stem)
    assert _features(str(tmp_path / "2d"), "-o", str(tmp_path / "f2"))[0] == 0
    code, lines = _features(str(tmp_path / "2d"), "-o", str(tmp_path / "f2"), "--pcutoff",
                            "0.9")
    assert code == 1 and "(asked for now: --pcutoff 0.9)" in "\n".join(lines), lines


def _plot(*args: str) -> tuple[int, list[str]]:
    r = CliRunner().invoke(app, ["plot", *args, "--max-frames", "2"])
    return r.exit_code, r.output.strip().splitlines()


def test_a_plot_rerun_skips_plots_drawn_from_the_same_lift(tmp_path: Path) -> None:
    """``plot`` over a folder drew every plot again on a rerun (minutes of video per
    file) and had no --overwrite: plots drawn from the lift as it is now, with the same
    options, are skipped and counted; a lift written again since is drawn again."""
    lifts = _lift_tree(tmp_path / "run1")
    plots = tmp_path / "plots"
    code, lines = _plot(str(tmp_path / "run1"), "-o", str(plots))
    assert code == 0 and _counts(lines).startswith("2 done, 0 skipped"), lines
    assert (plots / "aDLC_x_lifted3d_plots.json").is_file()
    drawn = (plots / "aDLC_x_lifted3d_3d.mp4").stat().st_mtime_ns
    lifts[1].write_bytes(lifts[2].read_bytes())  # b lifted again: other content
    code, lines = _plot(str(tmp_path / "run1"), "-o", str(plots))
    assert code == 0 and _counts(lines).startswith("1 done, 1 skipped (output exists)"), lines
    assert (plots / "aDLC_x_lifted3d_3d.mp4").stat().st_mtime_ns == drawn
    code, lines = _plot(str(tmp_path / "run1"), "-o", str(plots), "--overwrite")
    assert code == 0 and _counts(lines).startswith("2 done, 0 skipped"), lines


def _model(path: Path, seed: int = 0) -> Path:
    """A small behaviour model of 3D features, trained on a toy lift that records no frame
    rate (as ``_lift_tree``'s: so the model records none either)."""
    from dlc_lifter.analysis.classify import train_classifier
    from dlc_lifter.analysis.features import compute_features

    poses = rigid_mouse(speed=30.0)
    poses.meta.fps = None
    labels = ["still" if i < 20 else "moving" for i in range(poses.n_frames)]
    return train_classifier(compute_features(poses), labels, n_estimators=5,
                            seed=seed).save(path, overwrite=True)


def _predict(*args: str) -> tuple[int, list[str]]:
    r = CliRunner().invoke(app, ["classify", "predict", *args])
    return r.exit_code, r.output.strip().splitlines()


def test_classify_predict_over_a_folder_of_lifts(tmp_path: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    """``classify predict`` took only files and refused same-named ones into one folder: a
    folder gives its lifts, same-named ones' predictions go into subfolders, each beside
    its record, with a closing count and each kind of warning said once."""
    _lift_tree(tmp_path / "run1")
    model = _model(tmp_path / "m.joblib")
    caplog.clear()
    pred = tmp_path / "pred"
    with caplog.at_level(logging.INFO):
        code, lines = _predict(str(model), str(tmp_path / "run1"), "-r", "-o", str(pred))
    assert code == 0, lines
    assert _counts(lines).startswith("4 done, 0 skipped (output exists), 0 failed"), lines
    for sub, stem in _LIFTS:
        table = pred / sub / f"{stem}_lifted3d_behaviour.csv"
        assert str(table) in "\n".join(lines) and len(pd.read_csv(table)) == 40
        assert (pred / sub / f"{stem}_lifted3d_behaviour.json").is_file()
    assert caplog.text.count("frame rate unknown") == 1
    grouped = [line for line in lines if "frame rate unknown" in line]
    assert len(grouped) == 1 and grouped[0].startswith("  WARNING (4 files: "), lines


def test_a_predict_rerun_skips_predictions_made_the_same_way(tmp_path: Path) -> None:
    """A rerun over a grown dataset failed on every file predicted already (exists), exit
    1: a prediction made from the same lift with the same model and options is skipped
    and counted; a lift written again since, another model or other options fail saying
    so (--overwrite replaces them). One file named alone is refused where its prediction
    exists, as before."""
    lifts = _lift_tree(tmp_path / "run1")
    model = _model(tmp_path / "m.joblib")
    pred = tmp_path / "pred"
    run = [str(model), str(tmp_path / "run1"), "-r", "-o", str(pred)]
    assert _predict(*run)[0] == 0
    table = pred / "aDLC_x_lifted3d_behaviour.csv"
    made = table.stat().st_mtime_ns
    code, lines = _predict(*run)
    assert code == 0 and _counts(lines).startswith("0 done, 4 skipped (output exists)"), lines
    assert table.stat().st_mtime_ns == made
    lifts[2].write_bytes(lifts[1].read_bytes())  # boxA's recording lifted again, other
    code, lines = _predict(*run)
    failed = [line for line in lines if "FAILED" in line]
    assert code == 1 and len(failed) == 1 and "boxA/trialDLC_x_lifted3d.h5" in failed[0]
    assert "the file changed since" in failed[0] and "--overwrite replaces it" in failed[0]
    assert _counts(lines).startswith("0 done, 3 skipped (output exists), 1 failed"), lines
    code, lines = _predict(*run, "--fps", "25")
    assert code == 1 and "made with --fps the file's (asked for now: --fps 25)" in (
        "\n".join(lines)), lines
    _model(model, seed=1)  # trained again, into the same file
    code, lines = _predict(*run)
    text = "\n".join(lines)
    assert code == 1 and text.count("as it was before it was written again") == 3, lines
    code, lines = _predict(*run, "--overwrite")
    assert code == 0 and _counts(lines).startswith("4 done, 0 skipped"), lines
    assert table.stat().st_mtime_ns != made
    code, _ = _predict(str(model), str(lifts[0]), "-o", str(pred))
    assert code != 0  # one file named: refused, as before
    code, lines = _predict(str(model), str(lifts[0]), "-o", str(pred), "--overwrite")
    assert code == 0 and lines == [str(table), str(table.with_suffix(".json"))], lines


def test_predictions_stay_where_an_earlier_run_put_them(tmp_path: Path) -> None:
    """boxA's prediction, made flat by a run over boxA alone, is found there by the lift its
    record names when the whole tree is run; boxB's, of the same name, goes into a
    subfolder, never in its place. A 3D model refuses a folder of 2D pose files, saying to
    lift them first."""
    _lift_tree(tmp_path / "run1")
    model = _model(tmp_path / "m.joblib")
    pred = tmp_path / "pred"
    assert _predict(str(model), str(tmp_path / "run1" / "boxA"), "-o", str(pred))[0] == 0
    flat = pred / "trialDLC_x_lifted3d_behaviour.csv"
    made = flat.stat().st_mtime_ns
    code, lines = _predict(str(model), str(tmp_path / "run1"), "-r", "-o", str(pred))
    assert code == 0 and _counts(lines).startswith("3 done, 1 skipped (output exists)"), lines
    assert flat.stat().st_mtime_ns == made and not (pred / "boxA").exists()
    assert (pred / "boxB" / "trialDLC_x_lifted3d_behaviour.csv").is_file()
    for stem in ("m1", "m2"):
        write_dlc_analysis(circling_mouse_2d(40), tmp_path / "2d", stem=stem)
    r = CliRunner().invoke(app, ["classify", "predict", str(model), str(tmp_path / "2d")])
    assert r.exit_code != 0 and "lift-files" in str(r.exception)


def test_a_folder_of_pose_files_gives_the_lifts_in_its_lifted3d_folder(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """``features videos/`` after ``lift videos/aDLC_x.h5`` (which puts the lift in
    ``videos/lifted3d/``) reads that lift; before, it took the 2D file, saying "no lifted
    3D file: 2D features"."""
    from dlc_lifter.io import write_dlc_3d

    write_dlc_analysis(circling_mouse_2d(40), tmp_path / "videos", "a")
    (tmp_path / "videos" / "lifted3d").mkdir()
    write_dlc_3d(rigid_mouse(speed=30.0), tmp_path / "videos" / "lifted3d" /
                 "aDLC_resnet50_toyJan1shuffle1_1000_lifted3d.h5")
    with caplog.at_level(logging.INFO):
        code, lines = _features(str(tmp_path / "videos"), "-o", str(tmp_path / "f"))
    assert code == 0, lines
    assert [p.name for p in (tmp_path / "f").glob("*.csv")] == [
        "aDLC_resnet50_toyJan1shuffle1_1000_lifted3d_features.csv"]
    assert "those in lifted3d/, where lift puts them, taken" in caplog.text
    assert "2D features" not in caplog.text
