"""``dlc-lifter train`` (lifter), ``train depth`` and ``train fused``: the shipped weights'
commands, with the shipped recipes as defaults, each writing loadable weights and a sidecar
recording the command that made them."""

from __future__ import annotations

import json
import shlex
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dlc_lifter.cli import app

runner = CliRunner()


def _invoke(*args: str) -> str:
    res = runner.invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return res.output


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Any]:
    """The recipe, output and command the train commands hand the API (nothing trained),
    run in an empty folder (a relative ``--out`` names no file there)."""
    import dlc_lifter.cli.train as cli_train
    from dlc_lifter.nets import depth, depth_train, fusion_train

    monkeypatch.chdir(tmp_path)
    seen: dict[str, Any] = {}

    def fake(recipe: Any, out: Path, **kwargs: Any) -> None:
        seen.update(recipe=recipe, out=out, **kwargs)

    monkeypatch.setattr(depth_train, "train_depth_weights", fake)
    monkeypatch.setattr(fusion_train, "train_fused_weights", fake)
    monkeypatch.setattr(cli_train, "_lifter", lambda path: ("lifter", path))
    monkeypatch.setattr(depth.DepthModel, "load", classmethod(lambda cls, path: ("depth", path)))
    return seen


@pytest.mark.parametrize("what", ["depth", "fused"])
def test_defaults_are_the_shipped_recipes(what: str, captured: dict[str, Any]) -> None:
    from dlc_lifter.nets.depth_train import DepthRecipe
    from dlc_lifter.nets.fusion_train import FusedRecipe

    _invoke("train", what)
    assert captured["recipe"] == {"depth": DepthRecipe, "fused": FusedRecipe}[what]()
    assert captured["command"].startswith(f"dlc-lifter train {what} --out ")


@pytest.mark.parametrize("what", ["depth", "fused"])
def test_depth_and_fused_training_refuse_existing_weights(what: str, tmp_path: Path,
                                                          captured: dict[str, Any]) -> None:
    """Weights (or only their sidecar) already at ``--out`` are refused before anything is
    rendered or trained, naming the file and ``--overwrite``; ``--overwrite`` goes on."""
    from dlc_lifter.errors import DLCLifterError

    for name in ("w.pt", "s.pt"):
        there = tmp_path / (name if name == "w.pt" else "s.json")
        there.write_text("mine")
        res = runner.invoke(app, ["train", what, "--out", str(tmp_path / name)])
        assert isinstance(res.exception, DLCLifterError), res.output
        assert str(there) in str(res.exception) and "--overwrite" in str(res.exception)
        assert not captured and there.read_text() == "mine"
    _invoke("train", what, "--out", str(tmp_path / "w.pt"), "--overwrite")
    assert captured["out"] == tmp_path / "w.pt"


@pytest.mark.parametrize("what", ["depth", "fused"])
def test_shipped_sidecar_commands_run_the_shipped_recipe(what: str,
                                                         captured: dict[str, Any]) -> None:
    """The ``command`` of the shipped depth and fused sidecars, run through this CLI, asks
    for exactly the default recipe (for the depth network, the one its historical
    ``made_with`` command ran; the fused lifter was made by the command itself)."""
    from dlc_lifter.lift.depth_path import default_depth_weights, default_fused_weights
    from dlc_lifter.nets.depth_train import DepthRecipe
    from dlc_lifter.nets.fusion_train import FusedRecipe

    weights = {"depth": default_depth_weights, "fused": default_fused_weights}[what]()
    side = json.loads(weights.with_suffix(".json").read_text())
    if what == "depth":
        assert side["made_with"].startswith("python benchmarks/depth.py --train")
    argv = shlex.split(side["command"])
    assert argv[:3] == ["dlc-lifter", "train", what]
    _invoke(*argv[1:])
    assert captured["recipe"] == {"depth": DepthRecipe, "fused": FusedRecipe}[what]()
    assert captured["command"] == side["command"]
    assert captured["out"] == Path("dlc_lifter/data/weights") / weights.name


def test_lifter_options_before_a_subcommand_are_refused() -> None:
    res = runner.invoke(app, ["train", "--seed", "3", "depth"])
    assert res.exit_code == 2
    assert "--seed" in res.output and "after 'depth'" in res.output


def test_train_commands_write_loadable_weights_and_sidecars(tmp_path: Path) -> None:
    """Toy sizes of the three commands, chained as the shipped weights are: the lifter, the
    depth network on it, the fused lifter on both."""
    from dlc_lifter.nets.cues import N_CUES
    from dlc_lifter.nets.depth import DepthModel
    from dlc_lifter.nets.depth_train import DepthRecipe
    from dlc_lifter.nets.lifter import LiftingModel

    lifter, depth, fused = tmp_path / "l.pt", tmp_path / "d.pt", tmp_path / "f.pt"
    out = _invoke("train", "--out", str(lifter), "--n-sequences", "2", "--n-frames", "100",
                  "--steps", "2", "--causal-steps", "2", "--frame-steps", "2", "--channels",
                  "8", "--kernels", "3", "--eval-sequences", "1", "--threads", "1")
    assert "Held-out synthetic evaluation" in out and f"weights: {lifter}" in out
    _invoke("train", "depth", "--out", str(depth), "--base", str(lifter), "--workdir",
            str(tmp_path / "w"), "--workers", "1", "--synth-frames", "2", "--clips", "1",
            "--clip-frames", "2", "--steps", "2", "--batch", "2", "--width", "4",
            "--threads", "1")
    _invoke("train", "fused", "--out", str(fused), "--base", str(lifter), "--depth-model",
            str(depth), "--workers", "0", "--clips", "2", "--frames", "10", "--views", "1",
            "--groom-every", "0", "--steps", "2", "--batch", "2", "--chunk", "4", "--modes",
            "frame", "--anchor-sequences", "0", "--soup", "1", "--threads", "1")
    sides = {p: json.loads(p.with_suffix(".json").read_text()) for p in (lifter, depth, fused)}
    for what, p in zip(("", " depth", " fused"), sides, strict=True):
        assert sides[p]["command"].startswith(f"dlc-lifter train{what} --out ")
        assert f"--out {shlex.quote(str(p))} " in sides[p]["command"]
    assert LiftingModel.load(lifter).n_extra == 0
    assert sides[lifter]["steps_done"] == {"temporal": 2, "causal": 2, "frame": 2}
    assert sides[lifter]["held_out"]["seed"] == 100_000
    # what reproduces them: the threads used (a seed's weights follow them) and the commit
    assert sides[lifter]["threads_used"] == 1
    assert {"code_commit", "dlc_lifter", "torch"} <= set(sides[lifter]["software"])
    shipped = DepthRecipe()
    recipe = replace(shipped, synth_frames=2, clips=1, clip_frames=2,
                     train=replace(shipped.train, steps=2, batch=2, width=4, threads=1))
    assert sides[depth]["recipe"] == json.loads(json.dumps(asdict(recipe)))
    assert sides[depth]["base"]["sha256"] == sides[lifter]["sha256"]
    assert DepthModel.load(depth).net.n_out == 3
    assert sides[fused]["config"]["modes"] == ["frame"] and sides[fused]["config"]["soup"] == 1
    assert sides[fused]["depth_net"]["sha256"] == sides[depth]["sha256"]
    assert LiftingModel.load(fused).n_extra == N_CUES


def test_ten_steps_train_and_bad_sizes_are_refused_before_any_work(tmp_path: Path) -> None:
    """10 steps failed with torch's ZeroDivisionError after the first networks trained (its
    one-cycle warm-up of 10 % had no length); 0 steps, sequences or threads gave tracebacks."""
    out = tmp_path / "ten.pt"
    _invoke("train", "--out", str(out), "--n-sequences", "2", "--n-frames", "100",
            "--modes", "frame", "--frame-steps", "10", "--channels", "8",
            "--eval-sequences", "0", "--threads", "1")
    assert out.is_file()
    # a lift asking the temporal network of weights that have only the per-frame one says
    # so and records the mode used (was: silent, model.mode 'temporal')
    import pandas as pd

    from dlc_lifter.io import meta_pickle_path
    from dlc_lifter.lift import CameraSpec, LiftOptions, OutputSpec, lift_file
    from tests.fixtures.toys import circling_mouse_2d, write_dlc_analysis

    src = write_dlc_analysis(circling_mouse_2d(40, ("individual0",), seed=0), tmp_path, "v")
    lifted = lift_file(src, camera=CameraSpec(camera_height_mm=500.0, focal_px=500.0),
                       options=LiftOptions(depth=False, model=out),
                       output=OutputSpec(destfolder=tmp_path / "lifted"))
    model = pd.read_pickle(meta_pickle_path(lifted))["data"]["model"]
    assert (model["mode"], model["mode_requested"]) == ("frame", "temporal")
    for flag in ("--steps", "--frame-steps", "--n-sequences", "--channels", "--threads"):
        res = runner.invoke(app, ["train", "--out", str(tmp_path / "bad.pt"), flag, "0"])
        assert res.exit_code == 2 and f"Invalid value for '{flag}'" in res.output, flag
    assert not (tmp_path / "bad.pt").exists()


def test_train_seeds_saves_the_members_mean_and_resumes(tmp_path: Path) -> None:
    """``--seeds`` trains one network per seed (each what ``--seed`` trains) and saves their
    average; members kept in ``--workdir`` are reused by a rerun."""
    import torch

    from dlc_lifter.nets.lifter import LiftingModel

    toy = ["--n-sequences", "2", "--n-frames", "100", "--steps", "2", "--causal-steps", "2",
           "--frame-steps", "2", "--channels", "8", "--kernels", "3", "--threads", "1"]
    single, ens, work = tmp_path / "s1.pt", tmp_path / "e.pt", tmp_path / "members"
    _invoke("train", "--out", str(single), "--seed", "1", "--eval-sequences", "0", *toy)
    out = _invoke("train", "--out", str(ens), "--seeds", "0,1", "--workdir", str(work),
                  "--eval-sequences", "1", *toy)
    assert "Held-out synthetic evaluation" in out
    model = LiftingModel.load(ens)
    assert model.members == 2 and sorted(p.name for p in work.glob("*.pt")) == ["seed0.pt",
                                                                              "seed1.pt"]
    same = LiftingModel.load(single).nets["frame"].state_dict()
    for k, v in LiftingModel.load(work / "seed1.pt").nets["frame"].state_dict().items():
        assert torch.equal(v, same[k]), k
    side = json.loads(ens.with_suffix(".json").read_text())
    assert "--seeds 0,1" in side["command"] and side["config"]["seeds"] == [0, 1]
    assert [m["seed"] for m in side["members"]] == [0, 1] and side["held_out"]["seed"] == 100_000
    stamp = (work / "seed0.pt").stat().st_mtime_ns
    again = tmp_path / "again.pt"
    _invoke("train", "--out", str(again), "--seeds", "0,1", "--workdir", str(work),
            "--eval-sequences", "0", *toy)
    assert (work / "seed0.pt").stat().st_mtime_ns == stamp  # reused, not retrained
    assert json.loads(again.with_suffix(".json").read_text())["members"] == side["members"]


def test_members_of_other_settings_are_said_to_be_replaced(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A --workdir reused with other settings retrains and replaces its members: said as a
    warning naming the settings that differ (was: INFO, none named)."""
    import logging

    toy = ["--n-sequences", "2", "--n-frames", "100", "--channels", "8", "--kernels", "3",
           "--threads", "1", "--modes", "frame", "--eval-sequences", "0", "--seeds", "0,1",
           "--workdir", str(tmp_path / "members")]
    _invoke("train", "--out", str(tmp_path / "a.pt"), "--frame-steps", "2", *toy)
    with caplog.at_level(logging.WARNING):
        _invoke("train", "--out", str(tmp_path / "b.pt"), "--frame-steps", "3", *toy)
    said = [r.getMessage() for r in caplog.records if "other settings" in r.getMessage()]
    assert len(said) == 2 and "(frame_steps)" in said[0] and "replacing it" in said[0], said


def test_members_trained_before_a_new_option_are_reused_at_its_default(tmp_path: Path
                                                                        ) -> None:
    """A member whose sidecar predates an option (its config lacks the field) is reused by
    a rerun that leaves the option at its default, and trained again when it does not."""
    from dlc_lifter.io.weights import read_sidecar

    toy = ["--n-sequences", "2", "--n-frames", "100", "--steps", "1", "--causal-steps", "1",
           "--frame-steps", "1", "--channels", "8", "--kernels", "3", "--threads", "1",
           "--modes", "frame", "--eval-sequences", "0"]
    work = tmp_path / "members"
    _invoke("train", "--out", str(tmp_path / "a.pt"), "--seeds", "0,1", "--workdir",
            str(work), *toy)
    for s in (0, 1):  # as an older version wrote them: no ear_forward_mm
        side_path = work / f"seed{s}.json"
        side = read_sidecar(work / f"seed{s}.pt")
        del side["config"]["ear_forward_mm"]
        side_path.write_text(json.dumps(side))
    stamp = (work / "seed0.pt").stat().st_mtime_ns
    _invoke("train", "--out", str(tmp_path / "b.pt"), "--seeds", "0,1", "--workdir",
            str(work), *toy)
    assert (work / "seed0.pt").stat().st_mtime_ns == stamp  # reused
    _invoke("train", "--out", str(tmp_path / "c.pt"), "--seeds", "0,1", "--workdir",
            str(work), "--ear-forward-mm", "1,2", *toy)
    assert (work / "seed0.pt").stat().st_mtime_ns != stamp  # other settings: trained again


@pytest.mark.parametrize(("bad", "says"), [("0", "two or more different seeds"),
                                           ("0,0", "two or more different seeds"),
                                           ("a,b", "--seeds takes integers")])
def test_train_seeds_must_be_two_different_integers(bad: str, says: str) -> None:
    res = runner.invoke(app, ["train", "--seeds", bad])
    assert res.exit_code != 0 and says in str(res.exception)


def test_train_gives_the_per_frame_network_its_own_width_and_sequences(tmp_path: Path) -> None:
    """``--frame-channels`` / ``--frame-sequences`` reach the per-frame network only, and the
    sidecar records them."""
    from dlc_lifter.nets.lifter import LiftingModel

    out = tmp_path / "f.pt"
    _invoke("train", "--out", str(out), "--n-sequences", "2", "--n-frames", "100", "--steps",
            "2", "--causal-steps", "2", "--frame-steps", "2", "--channels", "8", "--kernels",
            "3", "--frame-channels", "12", "--frame-sequences", "3", "--eval-sequences", "0",
            "--threads", "1")
    model = LiftingModel.load(out)
    assert model.nets["frame"].config()["channels"] == 12
    assert model.nets["temporal"].config()["channels"] == 8
    side = json.loads(out.with_suffix(".json").read_text())
    assert side["config"]["frame_channels"] == 12 and side["config"]["frame_sequences"] == 3
    assert "--frame-sequences 3 --frame-channels 12" in side["command"]


def test_image_span_reaches_the_recipe_and_bad_spans_are_refused(tmp_path: Path) -> None:
    """``--image-span LO,HI`` is recorded in the sidecar's config; a reversed or malformed
    span is one clear message naming the option."""
    out = tmp_path / "l.pt"
    _invoke("train", "--out", str(out), "--n-sequences", "2", "--n-frames", "100", "--steps",
            "1", "--causal-steps", "1", "--frame-steps", "1", "--channels", "8", "--kernels",
            "3", "--eval-sequences", "0", "--threads", "1", "--image-span", "0.6,1.5")
    assert json.loads(out.with_suffix(".json").read_text())["config"]["image_span"] == [0.6,
                                                                                         1.5]
    for bad in ("2,1", "0.5", "a,b", "0,1"):
        res = runner.invoke(app, ["train", "--out", str(tmp_path / "x.pt"), "--image-span",
                                  bad])
        assert res.exit_code != 0 and "--image-span" in str(res.exception), (bad, res.output)
        assert not (tmp_path / "x.pt").exists()


def test_ear_forward_reaches_the_recipe_and_bad_ranges_are_refused(tmp_path: Path) -> None:
    """``--ear-forward-mm LO,HI`` (and ``--steep-snout-miss``) are recorded in the sidecar's
    config and command; a reversed or malformed range is one clear message naming the
    option."""
    out = tmp_path / "l.pt"
    _invoke("train", "--out", str(out), "--n-sequences", "2", "--n-frames", "100", "--steps",
            "1", "--causal-steps", "1", "--frame-steps", "1", "--channels", "8", "--kernels",
            "3", "--eval-sequences", "0", "--threads", "1", "--ear-forward-mm", "-6,3",
            "--steep-snout-miss", "0.5")
    side = json.loads(out.with_suffix(".json").read_text())
    assert side["config"]["ear_forward_mm"] == [-6.0, 3.0]
    assert side["config"]["steep_snout_miss"] == 0.5
    assert "--ear-forward-mm -6,3" in side["command"]
    for bad in ("3,-6", "2", "a,b"):
        res = runner.invoke(app, ["train", "--out", str(tmp_path / "x.pt"),
                                  "--ear-forward-mm", bad])
        assert res.exit_code != 0 and "--ear-forward-mm" in str(res.exception), (bad, res.output)
        assert not (tmp_path / "x.pt").exists()


@pytest.mark.parametrize("name", ["lifter", "lifter_below", "lifter_oblique"])
def test_shipped_lifter_commands_ask_for_their_recorded_settings(
        name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The ``command`` of ``lifter.json``, ``lifter_below.json`` and ``lifter_oblique.json``,
    run through this CLI, hands training exactly the settings the sidecar records (``--view
    below`` for the networks that lift cameras below the floor, ``--view-deg`` for oblique
    views); nothing is trained."""
    from dlc_lifter.lift import default_model_path
    from dlc_lifter.nets import train as nets_train

    seen: dict[str, Any] = {}

    def fake(config: Any, seeds: Any, out: Path, **kwargs: Any) -> tuple[None, None]:
        seen.update(config=config, seeds=seeds)
        return None, None

    monkeypatch.setattr(nets_train, "train_ensemble_weights", fake)
    side = json.loads(default_model_path().with_name(f"{name}.json").read_text())
    argv = shlex.split(side["command"])
    assert argv[:2] == ["dlc-lifter", "train"]
    _invoke(*argv[1:])
    recorded = {k: v for k, v in side["config"].items() if k not in ("seed", "seeds")}
    asked = json.loads(json.dumps(asdict(seen["config"])))
    assert {k: asked.get(k, "above" if k == "view" else None) for k in recorded} == recorded
    assert seen["seeds"] == side["config"]["seeds"]
    assert asked["view"] == ("below" if name == "lifter_below" else "above")


def test_lifter_training_refuses_existing_weights(tmp_path: Path) -> None:
    """``dlc-lifter train`` refuses weights already at ``--out`` before training (the file
    and its sidecar left as they are); ``--overwrite`` replaces both."""
    from dlc_lifter.errors import DLCLifterError

    toy = ["--n-sequences", "2", "--n-frames", "100", "--steps", "1", "--causal-steps", "1",
           "--frame-steps", "1", "--channels", "8", "--kernels", "3", "--eval-sequences", "0",
           "--threads", "1"]
    out = tmp_path / "l.pt"
    _invoke("train", "--out", str(out), *toy)
    before = out.read_bytes(), out.with_suffix(".json").read_text()
    res = runner.invoke(app, ["train", "--out", str(out), "--seed", "1", *toy])
    assert isinstance(res.exception, DLCLifterError) and "--overwrite" in str(res.exception)
    assert (out.read_bytes(), out.with_suffix(".json").read_text()) == before
    _invoke("train", "--out", str(out), "--seed", "1", "--overwrite", *toy)
    side = json.loads(out.with_suffix(".json").read_text())
    assert side["config"]["seed"] == 1 and "--overwrite" in side["command"]


def test_miss_prob_reaches_the_recipe_and_bad_rates_are_refused(tmp_path: Path) -> None:
    """``--miss-prob LO,HI`` (and ``--limb-dropout``) is recorded in the sidecar's config
    and command (the default is the tracking simulation's own 0,0.06); a reversed, malformed
    or out-of-range rate is one clear message naming the option, refused before any
    training."""
    toy = ["--n-sequences", "2", "--n-frames", "100", "--steps", "1", "--causal-steps", "1",
           "--frame-steps", "1", "--channels", "8", "--kernels", "3", "--eval-sequences", "0",
           "--threads", "1"]
    plain, out = tmp_path / "p.pt", tmp_path / "l.pt"
    _invoke("train", "--out", str(plain), *toy)
    assert json.loads(plain.with_suffix(".json").read_text())["config"]["miss_prob"] == [0.0,
                                                                                        0.06]
    _invoke("train", "--out", str(out), "--miss-prob", "0,0.3", "--limb-dropout", "0.25", *toy)
    side = json.loads(out.with_suffix(".json").read_text())
    assert side["config"]["miss_prob"] == [0.0, 0.3] and "--miss-prob 0,0.3" in side["command"]
    assert side["config"]["limb_dropout"] == 0.25 and "--limb-dropout 0.25" in side["command"]
    for bad in ("0.3,0", "0.2", "a,b", "0,1", "-0.1,0.2"):
        res = runner.invoke(app, ["train", "--out", str(tmp_path / "x.pt"), "--miss-prob",
                                  bad, *toy])
        assert res.exit_code != 0 and "--miss-prob" in str(res.exception), (bad, res.output)
        assert not (tmp_path / "x.pt").exists()


def test_bad_view_angles_are_refused(tmp_path: Path) -> None:
    for bad in ("55,15", "30", "a,b", "-5,20", "20,85"):
        res = runner.invoke(app, ["train", "--out", str(tmp_path / "x.pt"), "--view-deg", bad])
        assert res.exit_code != 0 and "--view-deg takes two angles" in str(res.exception), bad
        assert not (tmp_path / "x.pt").exists()


def test_train_view_must_be_above_or_below() -> None:
    res = runner.invoke(app, ["train", "--view", "auto"])
    assert res.exit_code != 0 and "--view of train must be above or below" in str(res.exception)


def test_frame_view_angles_reach_the_per_frame_network_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--frame-view-deg LO,HI`` gives the per-frame network's sequences cameras that see
    the arena LO-HI deg off the vertical; the temporal and causal networks keep the top
    views; the sidecar records it; a bad span names the option."""
    from dlc_lifter.nets import train as nets_train

    cameras: list[Any] = []
    make_clips = nets_train.make_clips

    def spy(*args: Any, **kwargs: Any) -> Any:
        cameras.append(kwargs.get("camera_kwargs"))
        return make_clips(*args, **kwargs)

    monkeypatch.setattr(nets_train, "make_clips", spy)
    out = tmp_path / "f.pt"
    _invoke("train", "--out", str(out), "--n-sequences", "2", "--n-frames", "100", "--steps",
            "1", "--causal-steps", "1", "--frame-steps", "1", "--channels", "8", "--kernels",
            "3", "--eval-sequences", "0", "--threads", "1", "--frame-view-deg", "0,35")
    assert cameras == [None, {"view_deg": (0.0, 35.0)}]
    side = json.loads(out.with_suffix(".json").read_text())
    assert side["config"]["frame_view_deg"] == [0.0, 35.0] and side["config"]["view_deg"] is None
    assert "--frame-view-deg 0,35" in side["command"]
    res = runner.invoke(app, ["train", "--out", str(tmp_path / "x.pt"), "--frame-view-deg",
                              "35,0"])
    assert res.exit_code != 0 and "--frame-view-deg takes two angles" in str(res.exception)
    assert not (tmp_path / "x.pt").exists()


def test_train_extend_adds_members_to_one_network_of_a_lifter(tmp_path: Path) -> None:
    """``--extend BASE --modes frame --seeds ...``: the per-frame networks trained join the
    base's per-frame ensemble (their mean over every single network); the base's other
    networks and population statistics are kept bit for bit; the sidecar names the base."""
    import numpy as np
    import torch

    from dlc_lifter.nets.lifter import LiftingModel, ensemble_net

    toy = ["--n-sequences", "2", "--n-frames", "100", "--steps", "2", "--causal-steps", "2",
           "--frame-steps", "2", "--channels", "8", "--kernels", "3", "--threads", "1",
           "--eval-sequences", "1"]
    base, more, work = tmp_path / "base.pt", tmp_path / "more.pt", tmp_path / "members"
    _invoke("train", "--out", str(base), "--seeds", "0,1", *toy)
    _invoke("train", "--out", str(more), "--extend", str(base), "--modes", "frame",
            "--seeds", "2,3", "--workdir", str(work), *toy)
    b, m = LiftingModel.load(base), LiftingModel.load(more)
    added = LiftingModel.load(work / "seed2.pt")
    assert sorted(added.nets) == ["frame"]
    assert {k: n.members for k, n in m.nets.items()} == {"temporal": 2, "causal": 2, "frame": 4}
    for mode in ("temporal", "causal"):
        for k, v in b.nets[mode].state_dict().items():
            assert torch.equal(v, m.nets[mode].state_dict()[k]), (mode, k)
    np.testing.assert_array_equal(m.pair_length_mm, b.pair_length_mm)
    np.testing.assert_array_equal(m.median_height_mm, b.median_height_mm)
    both = LiftingModel.ensemble([LiftingModel.load(work / "seed2.pt"),
                                  LiftingModel.load(work / "seed3.pt")])
    x = torch.randn(1, b.in_features, 5)
    want = ensemble_net([b.nets["frame"], both.nets["frame"]]).eval()(x)
    torch.testing.assert_close(m.nets["frame"].eval()(x), want)
    side = json.loads(more.with_suffix(".json").read_text())
    assert "--extend" in side["command"] and "--modes frame" in side["command"]
    assert side["base"]["sha256"] == b.info["sha256"]
    assert side["base"]["members"] == {"temporal": 2, "causal": 2, "frame": 4}
    assert side["config"]["modes"] == ["frame"]
    # measured on the base's held-out set (seed 0 + 100000), not the first new member's
    base_side = json.loads(base.with_suffix(".json").read_text())
    assert side["held_out"]["seed"] == base_side["held_out"]["seed"] == 100_000
    assert side["held_out"]["modes"]["temporal"] == base_side["held_out"]["modes"]["temporal"]


def test_train_replace_swaps_one_network_of_a_lifter(tmp_path: Path) -> None:
    """``--extend BASE --replace --modes frame``: the per-frame networks trained take the
    place of the base's (any width), its other networks and statistics kept bit for bit;
    the sidecar says what was replaced. ``--replace`` alone is refused before training."""
    import numpy as np
    import torch

    from dlc_lifter.errors import DLCLifterError
    from dlc_lifter.nets.lifter import LiftingModel

    toy = ["--n-sequences", "2", "--n-frames", "100", "--steps", "2", "--causal-steps", "2",
           "--frame-steps", "2", "--channels", "8", "--kernels", "3", "--threads", "1",
           "--eval-sequences", "1"]
    base, new, work = tmp_path / "base.pt", tmp_path / "new.pt", tmp_path / "members"
    _invoke("train", "--out", str(base), *toy)
    _invoke("train", "--out", str(new), "--extend", str(base), "--replace", "--modes", "frame",
            "--frame-channels", "6", "--nose-down-share", "0.5", "--head-up-share", "0.4",
            "--low-rear-share", "0.3", "--tail-curl-share", "0.2", "--high-hips-share", "0.1",
            "--elbow-out", "0.4", "--shoulder-forward-mm", "2,5", "--low-paws-share", "0.6",
            "--seeds", "2,3",
            "--workdir", str(work), *toy)
    b, m = LiftingModel.load(base), LiftingModel.load(new)
    assert {k: n.members for k, n in m.nets.items()} == {"temporal": 1, "causal": 1, "frame": 2}
    assert m.nets["frame"].config()["channels"] == 6
    for mode in ("temporal", "causal"):
        for k, v in b.nets[mode].state_dict().items():
            assert torch.equal(v, m.nets[mode].state_dict()[k]), (mode, k)
    np.testing.assert_array_equal(m.median_height_mm, b.median_height_mm)
    both = LiftingModel.ensemble([LiftingModel.load(work / "seed2.pt"),
                                  LiftingModel.load(work / "seed3.pt")])
    x = torch.randn(1, b.in_features, 5)
    torch.testing.assert_close(m.nets["frame"].eval()(x), both.nets["frame"].eval()(x))
    side = json.loads(new.with_suffix(".json").read_text())
    assert side["base"]["replaced"] == ["frame"] and "--replace" in side["command"]
    assert side["config"]["nose_down_share"] == 0.5
    assert (side["config"]["head_up_share"], side["config"]["low_rear_share"]) == (0.4, 0.3)
    assert side["config"]["tail_curl_share"] == 0.2 and "--tail-curl-share 0.2" in side["command"]
    assert side["config"]["high_hips_share"] == 0.1 and "--high-hips-share 0.1" in side["command"]
    assert side["config"]["elbow_out"] == 0.4 and "--elbow-out 0.4" in side["command"]
    assert side["config"]["shoulder_forward_mm"] == [2.0, 5.0]
    assert "--shoulder-forward-mm 2,5" in side["command"]
    assert side["config"]["low_paws_share"] == 0.6 and "--low-paws-share 0.6" in side["command"]
    res = runner.invoke(app, ["train", "--out", str(tmp_path / "x.pt"), "--replace",
                              "--seeds", "4,5", "--workdir", str(work), *toy])
    assert isinstance(res.exception, DLCLifterError) and "--extend" in str(res.exception)
    assert not (work / "seed4.pt").exists()  # refused before any training
    before = base.read_bytes()
    res = runner.invoke(app, ["train", "--out", str(base), "--extend", str(base), "--replace",
                              "--modes", "frame", *toy])
    assert isinstance(res.exception, DLCLifterError) and "overwrite" in str(res.exception)
    assert base.read_bytes() == before  # the base is never overwritten by its own extension
    from dlc_lifter.nets.train import TrainConfig, _check_extend

    with pytest.raises(DLCLifterError, match="its frame network is"):  # other extra inputs
        _check_extend(TrainConfig(n_extra=2, modes=("frame",)), base, True)


def test_train_extend_copies_the_bases_companions_beside_out(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """``--extend BASE --out my.pt``: BASE's companions (``BASE_oblique.pt``,
    ``BASE_below.pt``, with their sidecars) are copied beside ``my.pt`` under its names, so
    that its lifts of oblique views and cameras below the floor use them as BASE's do; a
    file already there is kept, and the sidecar lists them. It used to write ``my.pt`` and
    ``my.json`` alone, and such views were lifted by the top-view networks."""
    import logging
    import shutil

    from dlc_lifter.lift import Lifter, below_model_path, oblique_model_path

    toy = ["--n-sequences", "2", "--n-frames", "100", "--steps", "2", "--causal-steps", "2",
           "--frame-steps", "2", "--channels", "8", "--kernels", "3", "--threads", "1",
           "--eval-sequences", "0"]
    base, new = tmp_path / "base" / "lifter.pt", tmp_path / "mine" / "my.pt"
    base.parent.mkdir()
    new.parent.mkdir()
    _invoke("train", "--out", str(base), *toy)
    for companion in (oblique_model_path(base), below_model_path(base)):
        shutil.copyfile(base, companion)  # toy companions: the base's networks
        companion.with_suffix(".json").write_text(json.dumps({"command": companion.name}))
    below_model_path(new).write_bytes(b"mine already")  # never replaced
    with caplog.at_level(logging.INFO, logger="dlc_lifter"):
        _invoke("train", "--out", str(new), "--extend", str(base), "--replace", "--modes",
                "frame", *toy)
    oblique = oblique_model_path(new)
    assert oblique.name == "my_oblique.pt"
    assert oblique.read_bytes() == oblique_model_path(base).read_bytes()
    assert json.loads(oblique.with_suffix(".json").read_text()) == {
        "command": "lifter_oblique.pt"}
    assert below_model_path(new).read_bytes() == b"mine already"
    assert not below_model_path(new).with_suffix(".json").exists()
    side = json.loads(new.with_suffix(".json").read_text())
    assert side["companions"] == [
        {"file": str(below_model_path(new)), "from": str(below_model_path(base)),
         "copied": False},
        {"file": str(oblique), "from": str(oblique_model_path(base)), "copied": True}]
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert any(m.startswith(f"Copied {oblique_model_path(base)}") for m in said), said
    assert any(m.startswith(f"Kept {below_model_path(new)}") for m in said), said
    assert Lifter.load(new).has_oblique_companion
    # from scratch: no companions, and the sidecar says none were copied
    scratch = tmp_path / "mine" / "scratch.pt"
    _invoke("train", "--out", str(scratch), *toy)
    assert not oblique_model_path(scratch).exists()
    assert "companions" not in json.loads(scratch.with_suffix(".json").read_text())


def test_train_extend_refuses_networks_of_another_shape(tmp_path: Path) -> None:
    from dlc_lifter.errors import DLCLifterError

    toy = ["--n-sequences", "2", "--n-frames", "100", "--steps", "2", "--causal-steps", "2",
           "--frame-steps", "2", "--kernels", "3", "--threads", "1", "--eval-sequences", "0"]
    base = tmp_path / "base.pt"
    _invoke("train", "--out", str(base), "--channels", "8", *toy)
    work = tmp_path / "members"
    res = runner.invoke(app, ["train", "--out", str(tmp_path / "x.pt"), "--extend", str(base),
                              "--modes", "frame", "--channels", "6", "--seeds", "1,2",
                              "--workdir", str(work), *toy])
    assert isinstance(res.exception, DLCLifterError)
    assert "its frame network is" in str(res.exception) and "sidecar" in str(res.exception)
    assert not list(work.glob("*.pt"))  # refused before any training
    from dlc_lifter.nets.lifter import LiftingModel
    from dlc_lifter.nets.train import extend_model

    one = LiftingModel.load(base)
    narrow = LiftingModel(nets={"frame": type(one.nets["frame"])(one.in_features, channels=6,
                                                                  kernels=(1,))})
    with pytest.raises(DLCLifterError, match="differs in shape"):
        extend_model(one, narrow)
    res = runner.invoke(app, ["train", "--extend", str(tmp_path / "none.pt"), *toy])
    assert isinstance(res.exception, DLCLifterError) and "no such weights" in str(res.exception)
    res = runner.invoke(app, ["train", "--modes", "frames", *toy])
    assert isinstance(res.exception, DLCLifterError) and "--modes takes" in str(res.exception)


def test_sequences_shorter_than_the_training_window_are_refused(tmp_path: Path) -> None:
    """``--n-frames`` below the temporal networks' window (``TrainConfig.chunk``) is refused
    up front, naming the option and the minimum, not a late ValueError from numpy."""
    from dlc_lifter.cli.train import TRAIN_WINDOW
    from dlc_lifter.errors import DLCLifterError
    from dlc_lifter.nets.train import TrainConfig, train

    assert TrainConfig.chunk == TRAIN_WINDOW
    res = runner.invoke(app, ["train", "--out", str(tmp_path / "x.pt"), "--n-frames", "60",
                              "--steps", "2"])
    assert res.exit_code == 2 and "--n-frames" in res.output and "64" in res.output
    assert not (tmp_path / "x.pt").exists()
    helped = " ".join(runner.invoke(app, ["train", "--help"]).output.replace("│", " ").split())
    assert f"at least {TRAIN_WINDOW}:" in helped
    with pytest.raises(DLCLifterError, match=r"n_frames=60 .*at least 64 frames"):
        train(TrainConfig(n_frames=60), progress=False)  # before any sequence is made
