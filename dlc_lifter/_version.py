"""The package version, and the software a result was made with, in one place every module
can read without importing the package."""

from __future__ import annotations

import functools
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "code_commit", "software_record"]


@functools.lru_cache(maxsize=1)
def code_commit() -> str | None:
    """The git commit of the package's source where it runs from a git checkout (an
    editable install), ``+`` where its files differ from that commit; ``None`` for an
    installed wheel or where git is not there."""
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return None
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"],
                              capture_output=True, text=True, timeout=10, check=True)
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain",
                                "--untracked-files=no", "--", "dlc_lifter"],
                               capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("+" if dirty.stdout.strip() else "")


def software_record() -> dict[str, Any]:
    """What a methods section names: this package's version and commit, Python, numpy,
    pandas, and torch with its thread count where torch is in use (its results move in
    the last digits with the threads)."""
    import numpy
    import pandas

    out: dict[str, Any] = {"dlc_lifter": __version__, "code_commit": code_commit(),
                           "python": platform.python_version(), "numpy": numpy.__version__,
                           "pandas": pandas.__version__}
    torch = sys.modules.get("torch")
    if torch is not None:
        out["torch"] = str(torch.__version__)
        out["torch_threads"] = int(torch.get_num_threads())
    return out
