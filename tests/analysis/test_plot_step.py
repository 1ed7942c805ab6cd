"""The plots of a batch are a step the caller passes (``after_each=``), not part of ``lift``.

``dlc_lifter.lift.batch`` runs any :class:`~dlc_lifter.lift.batch.OutputStep` on each
output; :class:`~dlc_lifter.analysis.plots.PlotStep` is the one ``--plot`` and the demo pass.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import ClassVar

from typer.testing import CliRunner

from dlc_lifter.analysis.plots import PlotStep, plot_lifted, plot_paths, plots_up_to_date
from dlc_lifter.lift.batch import BatchItem, LiftJob, lift_jobs, run_lift_job
from tests.fixtures.toys import rigid_mouse, write_toy_video


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
    # files without the record of what they were drawn from: drawn again, as `plot` does
    assert not step.done(out) and not PlotStep().done(out)


def _lift(path: Path, speed: float, video: Path | None = None) -> Path:
    """A toy 3D output with its meta pickle (naming ``video``, as a lift records it)."""
    from dlc_lifter.io import write_dlc_3d

    poses = rigid_mouse(speed=speed)
    poses.meta.video = None if video is None else str(video)
    return write_dlc_3d(poses, path, overwrite=True)


def test_plot_step_redraws_plots_the_plot_verb_would(tmp_path: Path) -> None:
    """``lift-project --plot`` kept a batch's plots wherever their files existed, drawn from a
    lift written again since or with another --plot-max-frames: it now asks what ``plot``
    asks (drawn from the lift as it is now, with the same options)."""
    out = _lift(tmp_path / "aDLC_x_lifted3d.h5", speed=30.0)
    plot_lifted(out, max_frames=2)
    assert PlotStep(max_frames=2).done(out) and plots_up_to_date(out, max_frames=2)
    assert not PlotStep(max_frames=3).done(out)
    assert not PlotStep(max_frames=2, fps=25.0).done(out)
    _lift(out, speed=60.0)  # lifted again: other content
    assert not PlotStep(max_frames=2).done(out) and not plots_up_to_date(out, max_frames=2)


def test_a_batch_rerun_redraws_the_plots_of_a_lift_written_again(tmp_path: Path) -> None:
    """A batch rerun over outputs that exist runs PlotStep only where it is not done."""
    out = _lift(tmp_path / "aDLC_x_lifted3d.h5", speed=30.0)
    job = LiftJob(poses=str(tmp_path / "a.h5"), output=str(out),
                  after_each=PlotStep(max_frames=2))
    first = lift_jobs([job])
    assert sorted(first.skipped[0].extra_outputs) == sorted(map(str, plot_paths(out)))
    assert lift_jobs([job]).skipped[0].extra_outputs == []
    _lift(out, speed=60.0)
    again = lift_jobs([job])
    assert sorted(again.skipped[0].extra_outputs) == sorted(map(str, plot_paths(out)))


def test_plots_drawn_beside_the_lifts_video_are_the_plot_verbs(tmp_path: Path) -> None:
    """A batch draws each output's plots beside its input's video, the one its lift
    recorded: ``plot`` over the outputs (no --video: the lift's video) drew them again."""
    video = write_toy_video(tmp_path / "a.mp4", 40)
    out = _lift(tmp_path / "aDLC_x_lifted3d.h5", speed=30.0, video=video)
    PlotStep(max_frames=2)(BatchItem(poses=str(tmp_path / "a.h5"), video=str(video),
                                     output=str(out), status="done"))
    assert plots_up_to_date(out, max_frames=2)
    assert plots_up_to_date(out, video=video, max_frames=2)
    other = write_toy_video(tmp_path / "b.mp4", 40)
    assert not plots_up_to_date(out, video=other, max_frames=2)


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
