"""The bundled example's files (``dlc_lifter/data/example/``): its description
``example.yaml``, and its clip and 2D keypoints copied into the demo's project.

:mod:`dlc_lifter.demo` lays the example out as a small DeepLabCut project with these and
:func:`~dlc_lifter.io.config.write_dlc_config`.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

__all__ = ["EXAMPLE_INFO", "copy_example_files", "read_example_info"]

#: The example's description, in its folder: the files' names, the camera, the bodyparts.
EXAMPLE_INFO = "example.yaml"


def read_example_info(folder: str | Path) -> dict[str, Any]:
    """The example's description (:data:`EXAMPLE_INFO` in ``folder``) as a dict.

    Parameters
    ----------
    folder
        The example's folder (:func:`~dlc_lifter.demo.example_dir`).

    Returns
    -------
    dict
        ``video``, ``poses``, ``ground_truth`` (file names in ``folder``), ``frames``,
        ``bodyparts``, ``camera_spec``, ...

    Examples
    --------
    >>> read_example_info(example_dir())["frames"]  # doctest: +SKIP
    300
    """
    return yaml.safe_load((Path(folder) / EXAMPLE_INFO).read_text())


def copy_example_files(folder: str | Path, names: Iterable[str], dest: str | Path) -> Path:
    """Copy the files ``names`` of the example's ``folder`` into ``dest`` (made if needed),
    replacing files of those names there.

    Returns
    -------
    pathlib.Path
        ``dest``.
    """
    src, out = Path(folder), Path(dest)
    out.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copyfile(src / name, out / name)
    return out
