"""Behaviour labels (CSV, BORIS), classifier training, cross-validation, 2D vs 3D, CLI."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from dlc_lifter.analysis.classify import BehaviourModel, load_model, predict, train_classifier
from dlc_lifter.analysis.classify_files import predict_files
from dlc_lifter.analysis.confusion_plot import plot_confusion
from dlc_lifter.analysis.crossval import bout_groups, compare_2d_3d, cross_validate
from dlc_lifter.analysis.features import compute_features
from dlc_lifter.cli import app
from dlc_lifter.errors import FeatureMismatchError, LabelFileError, ModelFileError
from dlc_lifter.io.labels import align_labels, labels_for, load_labels
from dlc_lifter.poses import PoseMetadata, Poses
from tests.fixtures.realdata import OFT, needs_realdata
from tests.fixtures.toys import FPS, wandering_mouse


@pytest.fixture(scope="module")
def toy() -> dict[str, list]:
    seqs = [wandering_mouse(s) for s in range(4)]
    return {
        "poses": [p for p, _ in seqs],
        "labels": [y for _, y in seqs],
        "f3": [compute_features(p) for p, _ in seqs],
        "f2": [compute_features(p, planar=True) for p, _ in seqs],
    }


# ------------------------------------------------------------------------------- labels
def _refused(path: Path, text: str, match: str) -> None:
    path.write_text(text)
    with pytest.raises(LabelFileError, match=match):
        load_labels(path)


def test_frame_csv_labels(tmp_path: Path) -> None:
    f = tmp_path / "labels.csv"
    f.write_text("frame,behaviour\n3,rear\n1,walk\n2,walk\n")
    labels = load_labels(f)
    assert list(labels) == [None]
    s = labels[None]
    assert s.to_dict() == {1: "walk", 2: "walk", 3: "rear"}
    assert list(align_labels(s, [0, 1, 2, 3, 4])) == [None, "walk", "walk", "rear", None]
    assert labels_for(labels, tmp_path / "anything.h5") is s

    multi = tmp_path / "multi.csv"
    multi.write_text("video,frame,behavior\nm1.mp4,0,walk\nm10.mp4,0,rear\nm10.mp4,1,run\n")
    lab = load_labels(multi)
    assert set(lab) == {"m1.mp4", "m10.mp4"}
    # the longest video stem that begins the pose file's stem wins
    assert labels_for(lab, "m10DLC_resnet50_x_lifted3d.h5").to_dict() == {0: "rear", 1: "run"}
    assert labels_for(lab, "m1DLC_resnet50_x_lifted3d.h5").to_dict() == {0: "walk"}
    with pytest.raises(LabelFileError, match="No labels for m2"):
        labels_for(lab, "m2DLC.h5")
    with pytest.raises(LabelFileError, match="No labels for m2"):  # two recordings: which?
        labels_for(lab, "m2DLC.h5", alone=True)
    # one pose file, one labelled recording of another name (BORIS of a re-encoded video)
    one = {"m1_reencode.avi": lab["m1.mp4"]}
    assert labels_for(one, "m1DLC_resnet50_x.h5", alone=True).to_dict() == {0: "walk"}
    with pytest.raises(LabelFileError, match="No labels for m1DLC"):
        labels_for(one, "m1DLC_resnet50_x.h5")

    _refused(tmp_path / "dup.csv", "frame,behaviour\n1,walk\n1,rear\n", "labelled twice")
    _refused(tmp_path / "bad.csv", "a,b\n1,2\n", "behaviour")


def test_one_hot_labels(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """DeepEthogram's (and daart's) ``<video>_labels.csv``: an unnamed frame column, then a
    0/1 column per behaviour, ``background`` where none is on and -1 where nobody labelled
    the frame."""
    f = tmp_path / "m1_labels.csv"
    f.write_text(",background,rear,groom\n0,1,0,0\n1,0,1,0\n2,0,0,1\n3,-1,-1,-1\n"
                 "4,0,1,1\n5,0,0,0\n")
    with caplog.at_level("WARNING", logger="dlc_lifter"):
        s = load_labels(f)[None]
    assert s.to_dict() == {0: "other", 1: "rear", 2: "groom", 4: "rear", 5: "other"}
    assert "1 frames have several behaviours" in caplog.text
    assert load_labels(f, background=None)[None].to_dict() == {1: "rear", 2: "groom",
                                                                 4: "rear"}
    # no frame column: rows are frames; a folder of them names each by its file
    (tmp_path / "m2_labels.csv").write_text("walk,rear\n1,0\n0,1\n")
    assert load_labels(tmp_path / "m2_labels.csv")[None].to_dict() == {0: "walk", 1: "rear"}
    assert labels_for(load_labels(tmp_path), "m2DLC_x.h5").to_dict() == {0: "walk", 1: "rear"}
    # one behaviour's column (SimBA's way): 0 is the background
    (tmp_path / "rear.csv").write_text("frame,rear\n0,0\n1,1\n")
    assert load_labels(tmp_path / "rear.csv")[None].to_dict() == {0: "other", 1: "rear"}
    # counts are not one-hot: refused, naming the layouts read
    _refused(tmp_path / "votes.csv", "frame,votes\n0,2\n1,3\n", "one-hot table")
    _refused(tmp_path / "empty.csv", ",background,rear\n0,-1,-1\n", "nothing is labelled")


def test_label_folder_one_file_per_video(tmp_path: Path) -> None:
    (tmp_path / "m1.csv").write_text("frame,behaviour\n0,walk\n")
    (tmp_path / "m2.csv").write_text("frame,behaviour\n0,rear\n")
    lab = load_labels(tmp_path)
    assert labels_for(lab, "m2DLC_x.h5").to_dict() == {0: "rear"}


def test_boris_aggregated_events(tmp_path: Path) -> None:
    f = tmp_path / "boris.csv"
    pd.DataFrame({
        "Observation id": ["obs1"] * 3,
        "Subject": ["mouse"] * 3,
        "Behavior": ["rear", "groom", "sniff"],
        "Behavior type": ["STATE", "STATE", "POINT"],
        "Start (s)": [1.0, 3.05, 2.54],
        "Stop (s)": [2.0, 3.5, 2.54],
        "Media file name": ["m3.mp4"] * 3,
        "FPS": [10.0] * 3,
    }).to_csv(f, index=False)
    lab = load_labels(f)
    s = labels_for(lab, "m3DLC_resnet_lifted3d.h5")
    assert s[list(range(10, 20))].eq("rear").all()  # 1.0 <= f/10 < 2.0
    assert s[9] == "other" and s[20] == "other"
    assert s[25] == "sniff"  # point event at 2.54 s -> nearest frame
    assert list(s.loc[30:35]) == ["other", "groom", "groom", "groom", "groom"]
    assert s.index.max() == 34
    assert load_labels(f, fps=20.0)["m3.mp4"][20] == "rear"  # fps argument wins
    no_bg = load_labels(f, background=None)["m3.mp4"]
    assert 0 not in no_bg.index and set(no_bg) == {"rear", "groom", "sniff"}


def test_a_bout_table_labelled_by_several_people(tmp_path: Path) -> None:
    """A bout table as labs keep them (``../shared``'s oft-rearing: ``Experimenter, from,
    to, type``, seconds, three people): refused until one person is chosen, naming them
    (before: "no header with a 'behaviour' column"); ``onset``/``offset`` with a
    ``behaviour`` column and no rater column read as they are."""
    f = tmp_path / "bouts.csv"
    f.write_text("Experimenter,from,to,type\nJin,1.0,2.0,Supported\nAna,1.2,2.4,Supported\n"
                 "Jin,3.0,3.5,Grooming\n")
    with pytest.raises(LabelFileError, match=r"labelled by 2 people \(Ana, Jin, its "
                                             r"'Experimenter' column\); pass rater="):
        load_labels(f, fps=10)
    s = load_labels(f, fps=10, rater="Jin")[None]
    assert list(s.loc[9:11]) == ["other", "Supported", "Supported"]
    assert s[19] == "Supported" and s[20] == "other" and list(s.loc[30:34]) == ["Grooming"] * 5
    with pytest.raises(LabelFileError, match="no bouts labelled by 'Bo'; .* Ana, Jin"):
        load_labels(f, fps=10, rater="Bo")
    g = tmp_path / "onsets.csv"
    g.write_text("behaviour,onset,offset\nrear,0.5,1.0\n")
    assert load_labels(g, fps=4)[None].to_dict() == {0: "other", 1: "other", 2: "rear",
                                                     3: "rear"}
    with pytest.raises(LabelFileError, match="no column saying who labelled"):
        load_labels(g, fps=4, rater="Jin")


@needs_realdata(OFT / "OFT_38_behaviour_bouts.csv")
def test_the_real_bout_table_reads_per_person() -> None:
    real = OFT / "OFT_38_behaviour_bouts.csv"
    with pytest.raises(LabelFileError, match="Furkan, Jin, Oliver"):
        load_labels(real, fps=25)
    s = load_labels(real, fps=25, rater="Jin")[None]
    assert {"Supported", "Unsupported", "Grooming", "other"} <= set(s)


def test_boris_tabular_events_with_preamble(tmp_path: Path,
                                            caplog: pytest.LogCaptureFixture) -> None:
    f = tmp_path / "events.tsv"
    f.write_text(
        "Observation id\tobs1\n"
        "Media file(s)\tPlayer #1: m4.mp4\n"
        "\n"
        "Time\tMedia file path\tTotal length\tFPS\tSubject\tBehavior\tStatus\n"
        "0.5\tm4.mp4\t4.0\t10\tmouse\trear\tSTART\n"
        "0.8\tm4.mp4\t4.0\t10\tmouse\tgroom\tSTART\n"
        "1.0\tm4.mp4\t4.0\t10\tmouse\tgroom\tSTOP\n"
        "1.5\tm4.mp4\t4.0\t10\tmouse\trear\tSTOP\n"
        "2.0\tm4.mp4\t4.0\t10\tmouse\tsniff\tPOINT\n")
    with caplog.at_level(logging.WARNING):
        s = load_labels(f)["m4.mp4"]
    assert "overlapping" in caplog.text
    assert list(s.loc[4:7]) == ["other"] + ["rear"] * 3
    assert list(s.loc[8:9]) == ["groom"] * 2
    assert list(s.loc[10:14]) == ["rear"] * 5 and s[15] == "other" and s[20] == "sniff"
    assert len(s) == 40  # up to the total length, 4 s
    unmatched = tmp_path / "bad.tsv"
    unmatched.write_text("Time\tFPS\tBehavior\tStatus\n1.0\t10\trear\tSTOP\n")
    with pytest.raises(LabelFileError, match="without a START"):
        load_labels(unmatched)
    nofps = tmp_path / "nofps.csv"
    nofps.write_text("Behavior,Start (s),Stop (s)\nrear,1,2\n")
    with pytest.raises(LabelFileError, match="FPS"):
        load_labels(nofps)
    assert load_labels(nofps, fps=4)[None].to_dict() == {
        0: "other", 1: "other", 2: "other", 3: "other", 4: "rear", 5: "rear", 6: "rear",
        7: "rear"}


# ------------------------------------------------------------------------- classifier
def test_height_separates_classes_only_in_3d(toy: dict[str, list]) -> None:
    table = compare_2d_3d(toy["f2"], toy["f3"], toy["labels"], n_estimators=40, n_splits=4)
    assert list(table.columns) == ["f1_2d", "f1_3d", "f1_gain", "support"]
    assert list(table.index) == ["rear", "run", "walk", "macro"]
    assert table.loc["macro", "f1_3d"] > 0.9
    assert table.loc["rear", "f1_3d"] - table.loc["rear", "f1_2d"] > 0.25
    assert table.loc["macro", "f1_3d"] - table.loc["macro", "f1_2d"] > 0.15
    assert table.loc["run", "f1_2d"] > 0.8  # speed is visible in 2D too
    assert table.loc["macro", "support"] == sum(len(y) for y in toy["labels"])


def test_compare_on_one_video_warns_once(toy: dict[str, list],
                                         caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="dlc_lifter"):
        compare_2d_3d(toy["f2"][:1], toy["f3"][:1], toy["labels"][:1], n_estimators=10,
                      n_splits=3)
    assert caplog.text.count("Only one video to cross-validate on") == 1


def test_cross_validation_is_grouped_and_deterministic(toy: dict[str, list]) -> None:
    groups = ["a", "a", "b", "c"]  # two recordings of one animal stay together
    r1 = cross_validate(toy["f3"], toy["labels"], groups, n_splits=5, n_estimators=20)
    r2 = cross_validate(toy["f3"], toy["labels"], groups, n_splits=5, n_estimators=20)
    assert r1.n_splits == 3 and r1.n_groups == 3 and r1.feature_kind == "3d"
    assert r1.grouping == "given"
    one = cross_validate(toy["f3"][0], toy["labels"][0], n_splits=3, n_estimators=10)
    assert one.grouping == "blocks"  # one video: contiguous blocks, and it says so
    np.testing.assert_array_equal(r1.y_pred, r2.y_pred)
    assert int(r1.confusion.to_numpy().sum()) == sum(len(y) for y in toy["labels"])
    t = r1.table()
    assert t.loc["macro", "f1"] == pytest.approx(r1.macro_f1)


def test_a_class_in_one_video_only_is_warned_about(toy: dict[str, list],
                                                   caplog: pytest.LogCaptureFixture) -> None:
    """A behaviour labelled in one video of several: the fold holding that video out trains
    without it, so its F1 is 0 whatever the features (a workflow survey's rears, scored
    0.000 without a word); classes in two videos or more are not named."""
    labels = [np.asarray(y, dtype=object).copy() for y in toy["labels"]]
    labels[0][:20] = "groom"  # only in the first video
    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        cross_validate(toy["f3"], labels, n_splits=4, n_estimators=10)
    (msg,) = [r.getMessage() for r in caplog.records if "labelled in one" in r.getMessage()]
    assert msg.startswith("'groom' labelled in one video only") and "F1 is 0" in msg
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        cross_validate(toy["f3"], toy["labels"], n_splits=4, n_estimators=10)
    assert "labelled in one" not in caplog.text


def test_bout_groups_keep_each_bout_in_one_fold(toy: dict[str, list]) -> None:
    assert bout_groups(["a", "a", None, "a", "b", np.nan, "b", "a"]).tolist() == [
        0, 0, 0, 0, 1, 1, 1, 2]
    y = np.concatenate(toy["labels"][:2])
    f3 = pd.concat(toy["f3"][:2], ignore_index=True)
    r = cross_validate(f3, y, "bouts", n_splits=4, n_estimators=10)
    bouts = bout_groups(y)
    assert r.n_groups == bouts.max() + 1 and r.n_splits == 4 and r.grouping == "bouts"
    # every bout's frames are predicted by one fold's model: the groups are the bouts
    assert len(set(zip(r.groups, bouts, strict=True))) == r.n_groups
    with pytest.raises(ValueError, match="groups='bouts'"):
        cross_validate(f3, y, "bout", n_splits=4, n_estimators=10)


def test_train_save_load_predict_round_trip(toy: dict[str, list], tmp_path: Path) -> None:
    labels = [y.copy() for y in toy["labels"][:3]]
    labels[0][:50] = None  # unlabelled frames are left out
    model = train_classifier(toy["f3"][:3], labels, n_estimators=40, seed=1)
    assert model.classes == ["rear", "run", "walk"] and model.feature_kind == "3d"
    path = model.save(tmp_path / "model.joblib")
    loaded = load_model(path)
    assert loaded.feature_columns == model.feature_columns and loaded.window == 15
    out = predict(loaded, toy["f3"][3])
    assert list(out.columns) == ["frame", "individual", "time_s", "behaviour", "p_rear",
                                 "p_run", "p_walk"]
    np.testing.assert_allclose(out[["p_rear", "p_run", "p_walk"]].sum(axis=1), 1.0)
    accuracy = (out["behaviour"].to_numpy() == toy["labels"][3]).mean()
    assert accuracy > 0.9
    again = train_classifier(toy["f3"][:3], labels, n_estimators=40, seed=1)
    pd.testing.assert_frame_equal(predict(again, toy["f3"][3]), out)
    import joblib

    (tmp_path / "junk.joblib").write_bytes(b"junk")
    with pytest.raises(ModelFileError, match="not a readable behaviour model"):
        load_model(tmp_path / "junk.joblib")
    joblib.dump({"some": "dict"}, tmp_path / "other.joblib")
    with pytest.raises(ModelFileError, match="not a dlc-lifter behaviour model"):
        load_model(tmp_path / "other.joblib")


@pytest.mark.parametrize("estimator", ["random_forest", "hist_gradient_boosting"])
def test_labels_written_as_numbers_train_as_words_do(toy: dict[str, list],
                                                     estimator: str) -> None:
    """0/1 labels (a rear column of a spreadsheet): the random forest failed inside
    scikit-learn ("The classes, [0, 1], are not in class_weight"); they train as the same
    behaviours named by words do, to the same predictions (classes as text, '0', '1')."""
    words = [np.where(np.asarray(y, dtype=object) == "rear", "rear", "other")
             for y in toy["labels"][:3]]
    numbers = [(w == "rear").astype(int) for w in words]
    kw = dict(n_estimators=20, seed=2, estimator=estimator)
    by_number = train_classifier(toy["f3"][:3], numbers, **kw)
    by_word = train_classifier(toy["f3"][:3], words, **kw)
    assert by_number.classes == ["0", "1"] and by_word.classes == ["other", "rear"]
    a = predict(by_number, toy["f3"][3])["behaviour"].map({"0": "other", "1": "rear"})
    b = predict(by_word, toy["f3"][3])["behaviour"]
    assert (a.to_numpy() == b.to_numpy()).all()


def test_missing_features_error(toy: dict[str, list]) -> None:
    model = train_classifier(toy["f3"][:2], toy["labels"][:2], n_estimators=10)
    lacks = r"column\(s\) that the feature table lacks: aligned_nose_z_mm.*3D features"
    with pytest.raises(FeatureMismatchError, match=lacks):
        predict(model, toy["f2"][2])
    only_two = compute_features(toy["poses"][2].select(keypoints=["nose", "tail_base"]))
    with pytest.raises(FeatureMismatchError, match="lacks"):
        predict(model, only_two, source="two-point file")


def test_confusion_png(toy: dict[str, list], tmp_path: Path) -> None:
    r = cross_validate(toy["f2"][:2], toy["labels"][:2], n_splits=2, n_estimators=10)
    png = plot_confusion(r, tmp_path / "cm.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["cm.png"]


def test_model_dataclass_checks_columns() -> None:
    m = BehaviourModel(estimator=None, feature_columns=["a", "b"], classes=["x", "y"])
    m.check_features(pd.DataFrame({"a": [1.0], "b": [2.0], "c": [3.0]}))
    with pytest.raises(FeatureMismatchError, match="1 feature column"):
        m.check_features(pd.DataFrame({"a": [1.0]}))


# -------------------------------------------------------------------------------- CLI
def test_cli_train_and_predict(toy: dict[str, list], tmp_path: Path) -> None:
    from dlc_lifter.io import write_dlc_3d

    files, rows = [], []
    for i, (poses, y) in enumerate(zip(toy["poses"], toy["labels"], strict=True)):
        files.append(write_dlc_3d(poses, tmp_path / f"m{i}DLC_toy_lifted3d.h5"))
        rows += [(f"m{i}.mp4", f, b) for f, b in enumerate(y)]
    labels = tmp_path / "labels.csv"
    pd.DataFrame(rows, columns=["video", "frame", "behaviour"]).to_csv(labels, index=False)
    model = tmp_path / "models" / "behaviour.joblib"
    runner = CliRunner()
    r = runner.invoke(app, ["classify", "train", str(labels), *map(str, files[:3]),
                            "--model", str(model), "--n-splits", "3", "--seed", "0"])
    assert r.exit_code == 0, r.output
    assert "f1_2d" in r.output and "f1_3d" in r.output and "macro" in r.output
    assert "for the 2D you had, train on the 2D pose files with --features 2d" in r.output
    for kind in ("2d", "3d"):
        assert (tmp_path / "models" / f"behaviour_confusion_{kind}.png").is_file()
    assert model.is_file() and str(model) in r.output

    r = runner.invoke(app, ["classify", "predict", str(model), str(files[3]),
                            "--destfolder", str(tmp_path / "pred")])
    assert r.exit_code == 0, r.output
    out = tmp_path / "pred" / "m3DLC_toy_lifted3d_behaviour.csv"
    assert r.output.strip().splitlines() == [str(out), str(out.with_suffix(".json"))]
    pred = pd.read_csv(out)
    assert (pred["behaviour"].to_numpy() == toy["labels"][3]).mean() > 0.85

    # a 3D model cannot classify 2D poses
    p2 = toy["poses"][3]
    p2d = Poses(p2.coords[..., :2], keypoints=p2.keypoints,
                meta=PoseMetadata(fps=FPS, scorer="toy"))
    f2d = tmp_path / "m3DLC_toy.h5"
    p2d.to_dataframe().to_hdf(f2d, key="df_with_missing", format="table")
    with pytest.raises(FeatureMismatchError, match="2D poses"):
        predict_files(model, [f2d])


def test_labels_off_the_pose_files_frames_are_said_and_refused_before_training(
        toy: dict[str, list], tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Labels on frames a pose file lacks are said (how many, both ranges); labels on none
    of its frames, or of one behaviour only, are one error before any cross-validation
    (no confusion plot left); behaviours differing only in case are said. Before: a
    traceback ("ValueError: No labelled frames to learn from."), after the cross-validation
    for one behaviour, its plots left behind."""
    from dlc_lifter.io import write_dlc_3d

    f = write_dlc_3d(toy["poses"][0], tmp_path / "m0DLC_toy_lifted3d.h5")
    n = len(toy["labels"][0])
    runner = CliRunner()

    def train(rows: list[tuple[int, str]], name: str) -> object:
        labels = tmp_path / f"{name}.csv"
        pd.DataFrame(rows, columns=["frame", "behaviour"]).to_csv(labels, index=False)
        return runner.invoke(app, ["classify", "train", str(labels), str(f), "--model",
                                   str(tmp_path / name / "m.joblib"), "--n-splits", "2"])

    with caplog.at_level(logging.WARNING):
        r = train([(k + 5000, b) for k, b in enumerate(toy["labels"][0])], "offset")
    assert isinstance(r.exception, LabelFileError)  # main() prints it as one "Error:" line
    assert "No frame labelled in" in str(r.exception)
    assert f"{n} of the {n} frames labelled (5000..{5000 + n - 1}) are not frames of it " \
        f"(0..{n - 1})" in caplog.text
    r = train([(k, "rear") for k in range(n)], "one")
    assert isinstance(r.exception, LabelFileError)
    assert "Only one behaviour (rear) is labelled" in str(r.exception)
    assert not (tmp_path / "one").exists() or not list((tmp_path / "one").iterdir())
    caplog.clear()
    rows = [(k, b) for k, b in enumerate(toy["labels"][0])]
    rows[:3] = [(k, rows[k][1].upper()) for k in range(3)]
    with caplog.at_level(logging.WARNING):
        r = train(rows + [(n + 10, "rear")], "long")
    assert r.exit_code == 0, r.output
    assert f"1 of the {n + 1} frames labelled" in caplog.text
    assert "differ only in case or spaces" in caplog.text


def test_a_file_imputing_what_the_training_files_tracked_is_warned_about(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A model trained on lifts of six tracked keypoints classifying a lift of four: the
    neck and body centre are the lifter's guess there, and the prediction says so (a real
    13-keypoint open-field model called 99 of 2330 frames of a 4-keypoint file rears,
    silently); a file tracked like the training one is not warned about."""
    from dlc_lifter.analysis.classify_files import tracked_landmarks, train_files
    from dlc_lifter.io import read_poses
    from dlc_lifter.lift import lift_file
    from dlc_lifter.lift.options import CameraSpec, LiftOptions, OutputSpec
    from tests.fixtures.toys import circling_mouse_2d, write_dlc_analysis

    four = circling_mouse_2d(120)
    c = four.coords
    six = Poses(coords=np.concatenate([c, (0.6 * c[:, :, :1] + 0.4 * c[:, :, 3:4]),
                                       (0.3 * c[:, :, :1] + 0.7 * c[:, :, 3:4])], axis=2),
                confidence=np.full(c.shape[:2] + (6,), 0.95),
                keypoints=[*four.keypoints, "neck", "bodycenter"], meta=four.meta)
    cam = CameraSpec(camera_height_mm=600.0, focal_px=220.0, image_size=(160, 120))
    opts = LiftOptions(depth=False)
    lifted = {}
    for name, poses in (("six", six), ("four", four)):
        src = write_dlc_analysis(poses, tmp_path / name, stem=name)
        lifted[name] = lift_file(src, camera=cam, options=opts,
                                 output=OutputSpec(destfolder=tmp_path / "lifted"))
    assert {"neck", "mouse_center"} <= tracked_landmarks(read_poses(lifted["six"]))
    assert not {"neck", "mouse_center"} & tracked_landmarks(read_poses(lifted["four"]))
    labels = tmp_path / "labels.csv"
    pd.DataFrame({"frame": np.arange(120),
                  "behaviour": np.where(np.arange(120) // 20 % 2, "a", "b")}).to_csv(
        labels, index=False)
    model = train_files(labels, [lifted["six"]], tmp_path / "m.joblib", cv=False,
                        n_estimators=10).model
    assert {"neck", "mouse_center"} <= set(model.info["tracked_landmarks"])
    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        predict_files(tmp_path / "m.joblib", [lifted["six"]], destfolder=tmp_path / "p6")
    assert "behaviour model was trained" not in caplog.text
    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        predict_files(tmp_path / "m.joblib", [lifted["four"]], destfolder=tmp_path / "p4")
    (msg,) = [r.getMessage() for r in caplog.records if "behaviour model" in r.getMessage()]
    assert msg.startswith(f"{lifted['four']}: the behaviour model was trained on files that "
                          "track ") and "mouse_center" in msg and "neck" in msg
    # the individual as the command line gives it (a position in digits), or one not there:
    # read as the features read it
    predict_files(tmp_path / "m.joblib", [lifted["six"]], destfolder=tmp_path / "p0",
                  individual="0")
    from dlc_lifter.analysis.features import FeatureError

    with pytest.raises(FeatureError, match="no individual 'nobody'"):
        predict_files(tmp_path / "m.joblib", [lifted["six"]], destfolder=tmp_path / "px",
                      individual="nobody")


def test_two_files_of_one_name_are_not_predicted_into_one_file(
        toy: dict[str, list], tmp_path: Path) -> None:
    """Two sessions' ``predictions_lifted3d.h5`` into one folder: refused before anything is
    written (before: the first written, then the second refused; with overwrite the second
    replaced the first and both were listed)."""
    from dlc_lifter.errors import DLCLifterError
    from dlc_lifter.io import write_dlc_3d

    model = train_classifier([compute_features(p) for p in toy["poses"][:2]],
                             toy["labels"][:2], n_estimators=5, seed=0)
    path = model.save(tmp_path / "m.joblib")
    files = []
    for day in ("day1", "day2"):
        (tmp_path / day).mkdir()
        files.append(write_dlc_3d(toy["poses"][2], tmp_path / day / "predictions_lifted3d.h5"))
    for overwrite in (False, True):
        with pytest.raises(DLCLifterError, match="would both write"):
            predict_files(path, files, destfolder=tmp_path / "pred", overwrite=overwrite)
        assert not (tmp_path / "pred").exists() or not any((tmp_path / "pred").iterdir())
    beside = predict_files(path, files)  # no destfolder: each beside its file
    assert [p.parent.name for p in beside] == ["day1", "day2"]


def test_prediction_uses_the_model_s_frame_rate_where_the_file_has_none(
        toy: dict[str, list], tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A model trained at 25 fps classifies a file that records no frame rate with the
    velocities at 25 fps (not the 30 fps assumed for unknown rates)."""
    from dlc_lifter.analysis.classify import load_model
    from dlc_lifter.analysis.classify_files import features_for
    from dlc_lifter.io import read_poses, write_dlc_3d

    feats = [compute_features(p, fps=25.0) for p in toy["poses"][:3]]
    model = train_classifier(feats, toy["labels"][:3], n_estimators=10, seed=0)
    assert model.info["fps"] == 25.0
    path = model.save(tmp_path / "m.joblib")
    p = toy["poses"][3]
    bare = Poses(p.coords, confidence=p.confidence, keypoints=p.keypoints,
                 meta=PoseMetadata(fps=None, scorer="toy", units="mm", frame="world"))
    f = write_dlc_3d(bare, tmp_path / "m3DLC_toy_lifted3d.h5")
    assert not read_poses(f).meta.fps
    with caplog.at_level("INFO", logger="dlc_lifter"):
        out = predict_files(path, [f], destfolder=tmp_path / "pred")
    assert "using the model's training frame rate, 25 fps" in caplog.text
    expected = predict(load_model(path), features_for(read_poses(f), "3d", window=15,
                                                      fps=25.0))
    assert pd.read_csv(out[0])["behaviour"].tolist() == expected["behaviour"].tolist()


def test_hist_gradient_boosting_and_2d_only_training(toy: dict[str, list],
                                                     tmp_path: Path) -> None:
    from dlc_lifter.analysis.classify_files import train_files

    hgb = train_classifier(toy["f3"][:2], toy["labels"][:2],
                           estimator="hist_gradient_boosting", n_estimators=20)
    assert (predict(hgb, toy["f3"][2])["behaviour"].to_numpy() == toy["labels"][2]).mean() > 0.8
    with pytest.raises(ValueError, match="Unknown estimator"):
        train_classifier(toy["f3"][:2], toy["labels"][:2], estimator="svm")  # type: ignore

    files = []
    for i, poses in enumerate(toy["poses"][:3]):
        p2d = Poses(poses.coords[..., :2], keypoints=poses.keypoints,
                    meta=PoseMetadata(fps=FPS, scorer="toy"))
        files.append(tmp_path / f"v{i}DLC_toy.h5")
        p2d.to_dataframe().to_hdf(files[-1], key="df_with_missing", format="table")
        pd.DataFrame({"frame": range(len(toy["labels"][i])), "behaviour": toy["labels"][i]}
                     ).to_csv(tmp_path / f"v{i}.csv", index=False)
    with pytest.raises(FeatureMismatchError, match="2D poses"):
        train_files(tmp_path, files, tmp_path / "m3.joblib", features="3d")
    res = train_files(tmp_path, files, tmp_path / "m.joblib", features="2d", n_splits=3,
                      n_estimators=20)
    assert list(res.reports) == ["2d"] and res.model.feature_kind == "2d"
    assert res.comparison is not None and "f1_2d" in res.comparison
    assert res.comparison.loc["run", "f1_2d"] > 0.8
    assert [p.name for p in res.plots] == ["m_confusion_2d.png"]
    assert load_model(res.model_path).feature_columns == res.model.feature_columns


def test_train_command_groups_by_bouts_and_warns_once(
        toy: dict[str, list], tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """One long recording: ``--group-by bouts`` cross-validates over its bouts (said in the
    header); by video it is cut into blocks, warned once for the 2D and 3D runs together."""
    from dlc_lifter.io import write_dlc_3d

    f = write_dlc_3d(toy["poses"][0], tmp_path / "m0DLC_toy_lifted3d.h5")
    labels = tmp_path / "labels.csv"
    pd.DataFrame({"frame": range(len(toy["labels"][0])),
                  "behaviour": toy["labels"][0]}).to_csv(labels, index=False)
    runner = CliRunner()
    r = runner.invoke(app, ["classify", "train", str(labels), str(f), "--model",
                            str(tmp_path / "b.joblib"), "--n-splits", "3", "--group-by",
                            "bouts"])
    assert r.exit_code == 0, r.output
    assert "grouped by behaviour bout" in r.output
    caplog.clear()
    with caplog.at_level("WARNING", logger="dlc_lifter"):
        r = runner.invoke(app, ["classify", "train", str(labels), str(f), "--model",
                                str(tmp_path / "v.joblib"), "--n-splits", "3"])
    assert r.exit_code == 0, r.output
    assert "grouped by contiguous blocks of the one video" in r.output
    assert caplog.text.count("Only one video to cross-validate on") == 1
    bad = runner.invoke(app, ["classify", "train", str(labels), str(f), "--model",
                              str(tmp_path / "x.joblib"), "--group-by", "animal"])
    assert bad.exit_code != 0 and "--group-by must be video or bouts" in bad.output


def test_simba_targets_inserted_labels(tmp_path: Path) -> None:
    """SimBA's ``targets_inserted`` table: poses, features, then a 0/1 column per
    classifier; a ``.boris`` project is refused naming the export to give."""
    f = tmp_path / "Together_1.csv"
    f.write_text(",Nose_1_x,Nose_1_y,Nose_1_p,Tail_base_1_x,Tail_base_1_y,Tail_base_1_p,"
                 "Feature_1,Feature_2,Attack,Sniffing\n"
                 "0,790.7,916.4,1,892,596,0.39,0,3000,0,0\n"
                 "1,791.6,915.0,1,891.9,595.9,0.43,1,2999,1,0\n"
                 "2,792.0,914.0,0.98,891.0,595.0,0.5,1,2998,0,1\n")
    labels = load_labels(f)[None]
    assert labels.to_dict() == {0: "other", 1: "Attack", 2: "Sniffing"}
    boris = tmp_path / "project.boris"
    boris.write_text("{}")
    with pytest.raises(LabelFileError, match="BORIS project.*Export events"):
        load_labels(boris)


def test_a_model_does_not_record_an_assumed_frame_rate() -> None:
    """Features of a recording whose rate is unknown assume 30 fps; a model trained on them
    records no rate (it recorded the assumed 30 and applied it to other recordings)."""
    poses, _ = wandering_mouse(1, n=120)
    labels = [np.array(["walk" if i % 20 < 10 else "rest" for i in range(120)], dtype=object)]
    poses.meta.fps = None
    df = compute_features(poses)
    assert df.attrs["fps_assumed"] and df.attrs["fps"] == 30.0
    assert train_classifier([df], labels, n_estimators=5).info["fps"] is None
    known = compute_features(poses, fps=25.0)
    assert train_classifier([known], labels, n_estimators=5).info["fps"] == 25.0


def test_frames_with_nothing_tracked_get_no_behaviour() -> None:
    """A frame with every feature NaN was given the likeliest class (0.89 'other')."""
    poses, _ = wandering_mouse(2, n=120)
    labels = [np.array(["walk" if i % 20 < 10 else "rest" for i in range(120)], dtype=object)]
    df = compute_features(poses, fps=30.0)
    model = train_classifier([df], labels, n_estimators=5)
    cols = [c for c in df.columns if c not in ("frame", "individual", "time_s")]
    df.loc[50:52, cols] = np.nan
    out = predict(model, df)
    assert out.loc[50:52, "behaviour"].isna().all() and out.loc[50:52, "p_walk"].isna().all()
    assert out.loc[:49, "behaviour"].notna().all()


def test_bouts_in_seconds_take_the_pose_files_frame_rate(toy: dict[str, list],
                                                         tmp_path: Path) -> None:
    """``classify train`` with a bout table in seconds (``oft-rearing``'s) and a lift that
    records its 25 fps stopped with "the file gives no FPS; pass --fps", though the help
    says the frame rate defaults to the files'. The pose files' one rate is taken; files of
    no rate, or of two, still ask for it."""
    from dlc_lifter.analysis.classify_files import train_files
    from dlc_lifter.io import write_dlc_3d

    poses = toy["poses"][0]
    assert poses.meta.fps == FPS
    lifted = write_dlc_3d(poses, tmp_path / "m0DLC_toy_lifted3d.h5")
    bouts = tmp_path / "bouts.csv"
    bouts.write_text(f"behaviour,onset,offset\nrear,{10 / FPS},{40 / FPS}\n")
    res = train_files(bouts, [lifted], tmp_path / "m.joblib", cv=False, n_estimators=5)
    assert res.model_path.exists()
    bare = Poses(poses.coords, confidence=poses.confidence, keypoints=poses.keypoints,
                 meta=PoseMetadata(fps=None, scorer="toy", units="mm", frame="world"))
    unknown = write_dlc_3d(bare, tmp_path / "m1DLC_toy_lifted3d.h5")
    with pytest.raises(LabelFileError, match="gives no FPS"):
        train_files(bouts, [unknown], tmp_path / "m2.joblib", cv=False, n_estimators=5)


def test_prediction_of_two_animals_counts_frames_not_rows(
        toy: dict[str, list], tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A two-animal file's prediction said "behaviour of 600 frames" for 300 frames of two
    animals: the log counts the frames, and names the animals and rows where there are
    several."""
    from dlc_lifter.io import write_dlc_3d

    model = train_classifier(toy["f3"][:2], toy["labels"][:2], n_estimators=5, seed=0)
    path = model.save(tmp_path / "m.joblib")
    a, b = toy["poses"][2], toy["poses"][3]
    both = Poses(np.concatenate([a.coords, b.coords], axis=1),
                 confidence=np.concatenate([a.confidence, b.confidence], axis=1),
                 keypoints=a.keypoints, individuals=["m1", "m2"],
                 meta=PoseMetadata(fps=FPS, scorer="toy", units="mm", frame="world"))
    f = write_dlc_3d(both, tmp_path / "pairDLC_toy_lifted3d.h5")
    with caplog.at_level("INFO", logger="dlc_lifter"):
        predict_files(path, [f], destfolder=tmp_path / "pred")
    n = a.n_frames
    assert f"behaviour of {n} frames of 2 animals ({2 * n} rows)" in caplog.text
