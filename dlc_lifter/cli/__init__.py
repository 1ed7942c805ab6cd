"""The ``dlc-lifter`` command line; every command calls one function of the Python API.

One module per user task: :mod:`~dlc_lifter.cli.lift` (lift, lift-project, lift-sleap),
:mod:`~dlc_lifter.cli.train` (train [lifter|depth|fused], evaluate), :mod:`~dlc_lifter.cli.synth`,
:mod:`~dlc_lifter.cli.inspect` (info, catalogue), :mod:`~dlc_lifter.cli.behaviour`
(features, classify, plot) and :mod:`~dlc_lifter.cli.demo`; the options they share are
defined once in :mod:`~dlc_lifter.cli.options`. The library's messages name Python
parameters (``camera_height_mm=``); :func:`cli_message` writes them as this CLI's flags.
"""

from __future__ import annotations

import logging
import re

import typer

from dlc_lifter.cli.behaviour import (
    classify_predict_command,
    classify_train_command,
    features_command,
    plot_command,
)
from dlc_lifter.cli.demo import demo_command
from dlc_lifter.cli.inspect import catalogue_command, info_command
from dlc_lifter.cli.lift import (
    lift_command,
    lift_files_command,
    lift_project_command,
    lift_sleap_command,
)
from dlc_lifter.cli.synth import synth_command
from dlc_lifter.cli.train import evaluate_command, train_app
from dlc_lifter.errors import DLCLifterError
from dlc_lifter.lift.options import OPTION_FLAGS

__all__ = ["app", "cli_message", "main"]

app = typer.Typer(
    name="dlc-lifter",
    help="Lift 2D DeepLabCut / SLEAP mouse poses from one top-view camera to metric 3D.\n\n"
         "Example: dlc-lifter lift videoDLC_resnet50.h5 (one file), dlc-lifter lift-files "
         "cohort/ --recursive (a dataset); dlc-lifter demo runs the bundled example.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(asked: bool) -> None:
    if asked:
        from dlc_lifter._version import software_record

        sw = software_record()
        typer.echo(f"dlc-lifter {sw.pop('dlc_lifter')}"
                   + (f" (git {sw.pop('code_commit')})" if sw.get("code_commit") else "")
                   + "; " + ", ".join(f"{k} {v}" for k, v in sw.items() if v is not None))
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug messages."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Log warnings and errors only."),
    version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                 help="Print the version (and git commit) and exit."),
) -> None:
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    added = []
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, _FlagNames) for f in handler.filters):
            flags = _FlagNames()
            handler.addFilter(flags)
            added.append((handler, flags))

    def _remove_flags() -> None:
        # for this command only: the app run in-process (a notebook, the tests) leaves the
        # log's handlers as it found them, and later library messages keep their parameters
        for handler, flags in added:
            handler.removeFilter(flags)

    ctx.call_on_close(_remove_flags)


# Commands in help order.
app.command("info")(info_command)
app.command("catalogue")(catalogue_command)
app.command("synth")(synth_command)
app.command("lift")(lift_command)
app.command("evaluate")(evaluate_command)
app.command("lift-project")(lift_project_command)
app.command("lift-sleap")(lift_sleap_command)
app.command("lift-files")(lift_files_command)
app.command("plot")(plot_command)
app.command("demo")(demo_command)
app.command("features")(features_command)
_classify = typer.Typer(help="Frame behaviour classification from pose features.\n\n"
                        "Example: dlc-lifter classify train labels.csv a_lifted3d.h5 "
                        "--model m.joblib, then dlc-lifter classify predict m.joblib "
                        "c_lifted3d.h5", no_args_is_help=True)
_classify.command("train")(classify_train_command)
_classify.command("predict")(classify_predict_command)
app.add_typer(_classify, name="classify")
app.add_typer(train_app, name="train")

#: Python parameters the library's messages name, and the flags that set them: the lift's
#: options (``image_size`` left out: its messages give the flag and the parameter side by
#: side, ``(--image-size WIDTHxHEIGHT, image_size=)``), then the other verbs' parameters.
_FLAGS = {
    **{k: v for k, v in OPTION_FLAGS.items() if k != "image_size"},
    "floor_mm_per_px": "--floor-scale", "individual": "--individual",
    "max_frames": "--max-frames", "n_frames": "--n-frames", "out_dir": "--out-dir",
    "rater": "--rater", "subject": "--subject", "video": "--video", "window": "--window",
}
#: Boolean parameters: ``name=True`` / ``name=False`` and the flag that says it.
_SWITCHES = {
    ("depth", "True"): "--depth", ("depth", "False"): "--no-depth",
    ("filtered", "True"): "--filtered", ("impute_all", "False"): "--no-impute",
    ("nwb", "True"): "--nwb", ("overwrite", "True"): "--overwrite",
    ("recursive", "True"): "--recursive", ("redo_out_of_date", "True"): "--redo-out-of-date",
    ("save_as_csv", "True"): "--csv", ("strict", "True"): "--strict",
    ("cv", "False"): "--no-cv", ("planar", "True"): "--planar",
    ("video", "None"): "--no-video",
}
#: Parameters also translated without ``=``: names no English sentence uses.
_BARE = ("arena_size_mm", "camera_height_mm", "camera_name", "destfolder", "focal_px",
         "keypoint_map")

_NOT_AFTER = r"(?<![\w./=-])"  # not inside a flag (--destfolder), a path or a word
_DOUBLE = re.compile(_NOT_AFTER + r"[A-Za-z_]\w*=(?:True|False|\.\.\.)?\s*"
                     r"(?:\((--[\w-]+)[^)]*\)|/\s*(--[\w-]+))")
_SWITCH = re.compile(_NOT_AFTER + r"(\w+)=(True|False|None)\b")
_VALUE = re.compile(_NOT_AFTER + r"(" + "|".join(_FLAGS) + r")=(?:\.\.\.)?(\w)?")
_NAME = re.compile(_NOT_AFTER + r"(" + "|".join(_BARE) + r")(?![\w=-]|\.\w)")


def cli_message(text: str) -> str:
    """A library message with its Python parameters written as this CLI's flags.

    ``overwrite=True`` becomes ``--overwrite``, ``depth=False`` ``--no-depth``,
    ``camera_height_mm=600`` ``--camera-height-mm 600``, a bare ``keypoint_map``
    ``--keypoint-map``; a message that already gives the flag beside the parameter
    (``key= (--key)``) keeps the flag alone, and a flag is never translated twice.
    """
    text = _DOUBLE.sub(lambda m: m.group(1) or m.group(2), text)
    text = _SWITCH.sub(lambda m: _SWITCHES.get((m.group(1), m.group(2)), m.group(0)), text)
    text = _VALUE.sub(lambda m: _FLAGS[m.group(1)] + (" " + m.group(2) if m.group(2) else ""),
                      text)
    return _NAME.sub(lambda m: _FLAGS[m.group(1)], text)


class _FlagNames(logging.Filter):
    """Write the library's parameter names as this CLI's flags in log messages."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("dlc_lifter"):
            record.msg, record.args = cli_message(record.getMessage()), None
        return True


def main() -> None:
    """Entry point of the ``dlc-lifter`` console script."""
    try:
        app()
    except DLCLifterError as exc:
        typer.secho(f"Error: {cli_message(str(exc))}", err=True, fg=typer.colors.RED)
        raise SystemExit(2) from None
