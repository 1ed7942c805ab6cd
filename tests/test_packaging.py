"""What the package ships besides its modules."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_package_says_it_is_typed() -> None:
    """A ``py.typed`` marker ships in the package (PEP 561): without it mypy and pyright
    treat dlc_lifter as untyped, its annotations unread."""
    tomllib = pytest.importorskip("tomllib")
    assert (ROOT / "dlc_lifter" / "py.typed").is_file()
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "py.typed" in config["tool"]["setuptools"]["package-data"]["dlc_lifter"]


def test_subpackages_are_attributes_in_a_fresh_interpreter() -> None:
    """``import dlc_lifter; dlc_lifter.lift.LiveLifter`` as the README writes it: an
    AttributeError until something else had imported ``dlc_lifter.lift`` (a notebook's
    cells worked in one order only)."""
    import subprocess
    import sys

    code = ("import dlc_lifter\n"
            "print(dlc_lifter.lift.LiveLifter.__name__, "
            "dlc_lifter.analysis.LiveFeatures.__name__)\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert res.stdout.split() == ["LiveLifter", "LiveFeatures"]
