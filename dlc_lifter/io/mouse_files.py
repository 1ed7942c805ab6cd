"""The YAML files the mouse model is given: a user's keypoint map and the anatomy spec.

Each is read here into plain Python values, with a message naming the file (and the line,
for broken YAML) when it cannot be; :mod:`dlc_lifter.mouse` checks what they hold
(:func:`~dlc_lifter.mouse.catalogue.load_mapping`,
:func:`~dlc_lifter.mouse.anatomy.load_spec`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from dlc_lifter.errors import MouseSpecError

__all__ = ["read_keypoint_map_file", "read_mouse_spec_file"]


def read_keypoint_map_file(path: str | Path) -> Any:
    """The YAML of a keypoint mapping file (``user_name: canonical_name`` per line), parsed
    but not checked; ``{}`` for an empty file.

    Parameters
    ----------
    path
        The mapping file (UTF-8, a byte-order mark allowed).

    Raises
    ------
    FileNotFoundError
        When the file is missing.
    ValueError
        When it is not text or not valid YAML (the line named).
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"Keypoint mapping file {p} does not exist.")
    try:
        return yaml.safe_load(p.read_text(encoding="utf-8-sig")) or {}
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" (line {where.line + 1})" if where is not None else ""
        raise ValueError(
            f"Keypoint mapping file {p} is not valid YAML{at}: write one 'user_name: "
            "catalogue_name' per line ('dlc-lifter catalogue' lists the names).") from None
    except UnicodeDecodeError:
        raise ValueError(f"Keypoint mapping file {p} is not a text file: write one "
                         "'user_name: catalogue_name' per line.") from None


def read_mouse_spec_file(path: str | Path) -> Any:
    """The YAML of a mouse anatomy spec (``dlc_lifter/data/mouse_spec.yaml``), parsed but
    not checked.

    Raises
    ------
    MouseSpecError
        When the file is missing.
    """
    p = Path(path)
    if not p.is_file():
        raise MouseSpecError(
            f"Mouse anatomy spec {p} does not exist; reinstall dlc-lifter or pass an existing "
            "spec file."
        )
    return yaml.safe_load(p.read_text())
