"""The plots of a batch are a step the caller passes (``after_each=``), not part of ``lift``.

``dlc_lifter.lift.batch`` runs any :class:`~dlc_lifter.lift.batch.OutputStep` on each
output; :class:`~dlc_lifter.analysis.plots.PlotStep` is the one ``--plot`` and the demo pass.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import ClassVar

from typer.testing import CliRunner

from dlc_lifter.analysis.plots import PlotStep, plot_paths
from dlc_lifter.lift.batch import BatchItem, LiftJob, lift_jobs, run_lift_job


class _FailingStep:
    name: ClassVar[str] = "sketches"

    def __call__(self, item: BatchItem) -> list[str]:
        raise RuntimeError("no ink")

    def done(self, output: Path) -> bool:
        return False


class _ListStep:
    name: ClassVar[str] = "lists"

    def __call__(self, item: BatchItem) -> list[str]:
        out = Path(item.output).with_suffix(".txt")
        out.write_text(item.output)
        return [str(out)]

    def done(self, output: Path) -> bool:
        return output.with_suffix(".txt").is_file()


def test_a_failing_step_warns_and_keeps_the_output(tmp_path: Path) -> None:
    out = tmp_path / "a_lifted3d.h5"
    out.write_text("")
    job = LiftJob(poses=str(tmp_path / "a.h5"), output=str(out), after_each=_FailingStep(),
                  step_only=True)
    item = run_lift_job(job)
    assert item.status == "skipped" and item.extra_outputs == []
    assert item.warnings == [f"{out}: sketches failed: RuntimeError: no ink"]


def test_a_step_runs_on_existing_outputs_only_when_not_done(tmp_path: Path) -> None:
    out = tmp_path / "a_lifted3d.h5"
    out.write_text("")
    job = LiftJob(poses=str(tmp_path / "a.h5"), output=str(out), after_each=_ListStep())
    first = lift_jobs([job])
    assert [i.extra_outputs for i in first.skipped] == [[str(out.with_suffix(".txt"))]]
    again = lift_jobs([job])
    assert [i.extra_outputs for i in again.skipped] == [[]]


def test_plot_step_pickles_and_names_its_files(tmp_path: Path) -> None:
    step = PlotStep(max_frames=5, out_dir=str(tmp_path / "plots"))
    assert pickle.loads(pickle.dumps(step)) == step
    out = tmp_path / "a_lifted3d.h5"
    assert not step.done(out)
    for p in plot_paths(out, tmp_path / "plots"):
        p.parent.mkdir(exist_ok=True)
        p.write_text("")
    assert step.done(out) and not PlotStep().done(out)


def test_lift_project_plot_flag_draws_each_outputs_plots(tmp_path: Path) -> None:
    """``lift-project --plot`` on the demo's project: the plots of each 3D file, remade
    when missing, with the names ``plot_lifted`` gives them."""
    from dlc_lifter.cli import app

    out = tmp_path / "demo"
    runner = CliRunner()
    assert runner.invoke(app, ["demo", "--out-dir", str(out)]).exit_code == 0
    lifted = sorted(out.rglob("*_lifted3d.h5"))
    assert len(lifted) == 1
    plots = plot_paths(lifted[0])
    assert all(p.is_file() for p in plots)
    for p in plots:
        p.unlink()
    res = runner.invoke(app, ["lift-project", str(out / "config.yaml"), "--plot",
                              "--plot-max-frames", "5"])
    assert res.exit_code == 0, res.output
    assert "0 lifted, 1 skipped" in res.output
    assert all(p.is_file() for p in plots)
    drawn = {p.name for p in lifted[0].parent.iterdir()
             if "_lifted3d_" in p.name and p.suffix in (".mp4", ".png")}
    assert drawn == {p.name for p in plots}
