"""Weights files (``.pt``) and the JSON sidecar beside each: how the weights were made.

A weights file holds one network's state as plain values (tensors, numbers, strings, lists
and dicts): :func:`write_weights` writes one atomically, :func:`read_weights` reads one
back with ``torch.load(..., weights_only=True)`` (no other pickled object is built), and
:func:`file_hash` names a file's bytes. What a state holds, and the networks built from it,
are :mod:`dlc_lifter.nets`'s (:meth:`~dlc_lifter.nets.lifter.LiftingModel.state`).

``weights.pt`` gets ``weights.json`` beside it (:func:`sidecar_path`), written by
:func:`write_sidecar` from a plain dict: the training command, the configuration
(``dataclasses.asdict``), the seeds, the code version, times and the weights' hash.

A lifter's weights ``X.pt`` may have companions beside it, ``X_below.pt`` and
``X_oblique.pt`` (:func:`companion_path`; the lift picks them by the camera,
:meth:`~dlc_lifter.lift.lifter.Lifter.networks_for`); :func:`copy_companions` puts a base's
beside weights made from it (``dlc-lifter train --extend``).
"""

from __future__ import annotations

import io
import json
import logging
import shutil
from pathlib import Path
from typing import Any

from dlc_lifter._atomic import atomic_output
from dlc_lifter.errors import ModelLoadError
from dlc_lifter.io._common import sha256_file

__all__ = ["BELOW_SUFFIX", "COMPANION_SUFFIXES", "OBLIQUE_SUFFIX", "companion_path",
           "copy_companions", "file_hash", "read_sidecar", "read_weights", "sidecar_path",
           "write_sidecar", "write_weights"]

logger = logging.getLogger(__name__)

#: Suffix of the stem of a weights file's companion for cameras below the floor.
BELOW_SUFFIX = "_below"
#: Suffix of the stem of a weights file's companion for oblique views.
OBLIQUE_SUFFIX = "_oblique"
#: The companions' suffixes.
COMPANION_SUFFIXES = (BELOW_SUFFIX, OBLIQUE_SUFFIX)


def write_weights(state: dict[str, Any], path: str | Path) -> Path:
    """Write a network's ``state`` to ``path`` (``.pt``) atomically, replacing it.

    Parameters
    ----------
    state
        Tensors and plain Python values (what ``torch.load(..., weights_only=True)`` reads
        back), e.g. :meth:`~dlc_lifter.nets.lifter.LiftingModel.state`.
    path
        The weights file; its folder is made if needed.

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> write_weights(model.state(), tmp_path / "lifter.pt")  # doctest: +SKIP
    PosixPath('.../lifter.pt')
    """
    # torch: heavy, loaded only when weights are written
    import torch

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    torch.save(state, buf)
    with atomic_output(out, overwrite=True) as tmp:
        Path(tmp).write_bytes(buf.getvalue())
    return out


def read_weights(path: str | Path, *, missing: str, unreadable: str) -> Any:
    """The state in a weights file written by :func:`write_weights`, on the CPU.

    Only tensors and plain Python values are built (``weights_only=True``); what the state
    holds is the caller's to check.

    Parameters
    ----------
    path
        The weights file (``.pt``).
    missing
        The message when there is no such file, with ``{path}`` in it.
    unreadable
        The message when torch cannot read it, with ``{path}`` and ``{error}`` in it.

    Returns
    -------
    Any
        What the file holds (a dict, for weights this package wrote).

    Raises
    ------
    ModelLoadError
        When the file is missing or cannot be read (``missing``, ``unreadable``).

    Examples
    --------
    >>> state = read_weights("lifter.pt", missing="{path} is not there.",  # doctest: +SKIP
    ...                      unreadable="{path}: {error}")
    """
    # torch: heavy, loaded only when weights are read
    import torch

    p = Path(path)
    if p.is_dir():
        raise ModelLoadError(f"{p} is a folder; give the weights file (.pt) in it.")
    if not p.is_file():
        raise ModelLoadError(missing.format(path=p))
    if p.suffix.lower() == ".json" and p.with_suffix(".pt").is_file():
        raise ModelLoadError(f"{p} is the JSON sidecar that describes weights; give the "
                             f"weights themselves, {p.with_suffix('.pt')}.")
    try:
        return torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelLoadError(unreadable.format(path=p, error=first) + " It is not a weights "
                             "file written by dlc-lifter (dlc-lifter train).") from None


def file_hash(path: str | Path) -> str:
    """SHA-256 of a file (first 16 hex digits)."""
    return sha256_file(path)[:16]


def sidecar_path(weights: str | Path) -> Path:
    """The sidecar of ``weights``: the same path with the suffix ``.json``."""
    return Path(weights).with_suffix(".json")


def write_sidecar(weights: str | Path, record: dict[str, Any]) -> Path:
    """Write ``record`` as the JSON sidecar of ``weights`` (atomically, replacing it).

    Parameters
    ----------
    weights
        The weights file the record describes.
    record
        JSON-serialisable values; anything else is written as its ``str``.

    Returns
    -------
    pathlib.Path
        The sidecar's path.

    Examples
    --------
    >>> write_sidecar(tmp_path / "depth_net.pt", {"seed": 0})  # doctest: +SKIP
    PosixPath('.../depth_net.json')
    """
    out = sidecar_path(weights)
    text = json.dumps(record, indent=2, default=str) + "\n"
    with atomic_output(out, overwrite=True) as tmp:
        Path(tmp).write_text(text)
    return out


def read_sidecar(weights: str | Path) -> dict[str, Any]:
    """The JSON sidecar of ``weights`` as a dict (empty when there is none)."""
    p = sidecar_path(weights)
    return json.loads(p.read_text()) if p.is_file() else {}


def companion_path(weights: str | Path, suffix: str) -> Path:
    """The companion of ``weights`` with ``suffix`` (:data:`BELOW_SUFFIX`,
    :data:`OBLIQUE_SUFFIX`), beside it: ``lifter.pt`` -> ``lifter_below.pt``."""
    p = Path(weights)
    return p.with_name(p.stem + suffix + p.suffix)


def copy_companions(base: str | Path, out: str | Path) -> list[dict[str, Any]]:
    """Copy the companions of weights ``base`` (and their sidecars) beside ``out``, under
    ``out``'s names (``base_oblique.pt`` -> ``out_oblique.pt``), so that weights made from
    ``base`` (``dlc-lifter train --extend``) lift the views the companions are for as
    ``base`` does. An existing file is never replaced (the log says it is kept).

    Parameters
    ----------
    base
        The weights whose companions are copied (those that exist beside it).
    out
        The weights made from ``base``.

    Returns
    -------
    list of dict
        One per companion of ``base``: ``file`` (its path beside ``out``), ``from`` (the
        companion of ``base``) and ``copied`` (false where ``file`` was there already, or
        is the same file), for the sidecar of ``out``.
    """
    done: list[dict[str, Any]] = []
    for suffix in COMPANION_SUFFIXES:
        src, dst = companion_path(base, suffix), companion_path(out, suffix)
        if not src.is_file():
            continue
        copied = not dst.exists()
        if copied:
            for a, b in ((src, dst), (sidecar_path(src), sidecar_path(dst))):
                if a.is_file() and not b.exists():
                    with atomic_output(b) as tmp:
                        shutil.copyfile(a, tmp)
            logger.info("Copied %s (and its sidecar) to %s: the companion of %s, which %s "
                        "was made from.", src, dst, base, out)
        elif not dst.samefile(src):
            logger.info("Kept %s beside %s (not replaced by %s, the companion of %s).", dst,
                        out, src, base)
        done.append({"file": str(dst), "from": str(src), "copied": copied})
    return done
