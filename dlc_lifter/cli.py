"""The ``dlc-lifter`` command line; every verb mirrors a function of the Python API.

Each area of the package contributes its verbs through a ``register(app)`` function
in a ``dlc_lifter.cli_*`` module, so the CLI grows with the package.
"""

from __future__ import annotations

import importlib
import logging
import re

import typer

from dlc_lifter.errors import DLCLifterError

app = typer.Typer(
    name="dlc-lifter",
    help="Lift 2D DeepLabCut / SLEAP mouse poses from one top-view camera to metric 3D.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: CLI modules that add verbs, in help order.
_VERB_MODULES = (
    "dlc_lifter.cli_io",
    "dlc_lifter.cli_synth",
    "dlc_lifter.cli_nets",
    "dlc_lifter.cli_project",
    "dlc_lifter.cli_analysis",
)


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug messages."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Log warnings and errors only."),
) -> None:
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, _FlagNames) for f in handler.filters):
            handler.addFilter(_FlagNames())


for _name in _VERB_MODULES:
    try:
        _mod = importlib.import_module(_name)
    except ModuleNotFoundError as exc:  # a verb module not written yet
        if exc.name != _name:
            raise
        continue
    _mod.register(app)


#: Python parameter names the library's messages use, and the flags that set them.
_FLAGS = {name: "--" + name.replace("_", "-") for name in (
    "keypoint_map", "camera_height_mm", "focal_px", "arena_size_mm", "destfolder")}


def cli_message(text: str) -> str:
    """A library message with its parameter names written as this CLI's flags."""
    return re.sub(r"\b(" + "|".join(_FLAGS) + r")\b", lambda m: _FLAGS[m.group(1)], text)


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
