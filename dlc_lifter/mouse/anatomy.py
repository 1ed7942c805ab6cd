"""Anatomical specification of the synthetic mouse and per-individual shape parameters.

The numbers live in ``dlc_lifter/data/mouse_spec.yaml`` (data, with sources in its
comments), read by :mod:`dlc_lifter.io.mouse_files`; this module checks them and defines
:class:`MouseShape`, the handful of multipliers that make one individual differ from the
typical adult C57BL/6.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from dlc_lifter.errors import MouseSpecError
from dlc_lifter.io.mouse_files import read_mouse_spec_file

__all__ = ["SPEC_PATH", "MouseShape", "load_spec", "sample_shape"]

#: The canonical anatomical spec shipped with the package.
SPEC_PATH = Path(__file__).resolve().parent.parent / "data" / "mouse_spec.yaml"


@functools.lru_cache(maxsize=8)
def _load_spec_cached(path: str) -> dict[str, Any]:
    p = Path(path)
    data = read_mouse_spec_file(p)
    required = ("body", "head", "tail", "forelimb", "hindlimb", "joint_limits", "mesh")
    if not isinstance(data, dict) or any(k not in data for k in required):
        raise MouseSpecError(
            f"Mouse anatomy spec {p} must be a mapping with sections {', '.join(required)}; "
            "compare it with dlc_lifter/data/mouse_spec.yaml."
        )
    return data


def load_spec(path: str | Path | None = None) -> dict[str, Any]:
    """Load the anatomical spec.

    Parameters
    ----------
    path
        YAML file; default the packaged ``dlc_lifter/data/mouse_spec.yaml``.

    Returns
    -------
    dict
        The parsed spec (cached; treat it as read-only).
    """
    return _load_spec_cached(str(Path(path) if path is not None else SPEC_PATH))


def typical(entry: Any) -> float:
    """Typical value of a spec entry that is a number or ``{typical:, range:}``."""
    if isinstance(entry, dict):
        return float(entry["typical"])
    return float(entry)


@dataclass(frozen=True)
class MouseShape:
    """Multipliers describing one individual relative to the typical adult in the spec.

    All fields are dimensionless; 1.0 everywhere is the typical mouse.

    Attributes
    ----------
    scale
        Overall isotropic size (body weight ~ scale**3).
    body_length
        Extra scaling of the trunk length (nose to tail base), on top of ``scale``.
    girth
        Width and height of the trunk cross-section (a fat mouse has girth > 1).
    head_size
        Skull length and head cross-section.
    tail_length
        Tail length.
    limb_length
        Long-bone and paw lengths.
    ear_size
        Pinna length and width.
    """

    scale: float = 1.0
    body_length: float = 1.0
    girth: float = 1.0
    head_size: float = 1.0
    tail_length: float = 1.0
    limb_length: float = 1.0
    ear_size: float = 1.0

    def as_array(self) -> np.ndarray:
        """The fields as a float64 vector, in declaration order."""
        return np.array([getattr(self, f.name) for f in fields(self)], dtype=np.float64)

    def as_dict(self) -> dict[str, float]:
        """The fields as a plain dict (for YAML/JSON metadata)."""
        return {k: float(v) for k, v in asdict(self).items()}


def sample_shape(rng: np.random.Generator, spec: dict[str, Any] | None = None) -> MouseShape:
    """Draw a plausible individual.

    Each multiplier is ``1 + sd * z`` with ``z`` standard normal clipped to ``[-2.5, 2.5]``
    and ``sd`` from the spec's ``variation`` section.

    Parameters
    ----------
    rng
        Random generator (the only source of randomness).
    spec
        Spec dict; default the packaged spec.

    Returns
    -------
    MouseShape
    """
    spec = spec if spec is not None else load_spec()
    var = spec.get("variation", {})
    names = [f.name for f in fields(MouseShape)]
    z = np.clip(rng.standard_normal(len(names)), -2.5, 2.5)
    vals = {n: float(1.0 + float(var.get(n, 0.0)) * zi) for n, zi in zip(names, z, strict=True)}
    return MouseShape(**vals)
