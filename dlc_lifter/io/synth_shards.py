"""The synthetic dataset's files: ``.npz`` shards and their JSON index.

A dataset folder holds ``index.json`` (:data:`INDEX_NAME`; :func:`write_index`,
:func:`read_index`) and the shards ``shard_00000.npz`` ... (:func:`shard_file_name`;
:func:`write_shard`, :func:`read_npz`). A shard stores one array per name, the frame as
first axis, plus ``meta``: its record (the configuration's hash, its frame count, its
seed's spawn key) as the bytes of sorted-key JSON in a ``uint8`` array. Zip members carry a
fixed timestamp, so the same arrays give the same bytes.

Every file is written atomically (:func:`dlc_lifter._atomic.atomic_output`): a killed run
leaves finished files and hidden temporary ones (:func:`remove_unfinished_shards`), never a
half-written shard or index. What the arrays hold, and the catalogue, behaviour and coat
names the index lists, are given by :mod:`dlc_lifter.synth.dataset`.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dlc_lifter._atomic import atomic_output

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "INDEX_NAME",
    "check_shard",
    "read_index",
    "read_npz",
    "remove_unfinished_shards",
    "shard_file_name",
    "shard_sha256",
    "write_index",
    "write_npz",
    "write_shard",
]

#: ``format`` field of ``index.json``.
FORMAT = "dlc-lifter-synth"
#: ``version`` field of ``index.json``.
FORMAT_VERSION = 1
#: The index's file name in the dataset folder.
INDEX_NAME = "index.json"
#: What the index says of the arrays' units and frames.
_UNITS = "mm; depth = camera Z; world z up, floor z = 0; OpenCV camera"
#: Arrays stored without compression.
_STORED = frozenset({"depth"})
#: The fields of a shard's entry in the index.
_SHARD_FIELDS = ("file", "n_frames", "sha256")


def shard_file_name(i: int) -> str:
    """The ``i``-th shard's file name: ``shard_00000.npz`` ..."""
    return f"shard_{i:05d}.npz"


# ---------------------------------------------------------------------- npz
def write_npz(path: str | Path, arrays: dict[str, np.ndarray], *, compress: bool = True) -> str:
    """Write ``arrays`` as an ``.npz`` with fixed zip timestamps (same data, same bytes).

    With ``compress``, members are deflated (level 1) except float depth maps, which
    barely compress and would cost most of the time.

    Returns
    -------
    str
        SHA-256 of the file.
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in sorted(arrays):
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            deflate = compress and name not in _STORED
            info.compress_type = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
            if deflate:
                info._compresslevel = 1  # fast; zipfile has no public per-member level
            arr = np.ascontiguousarray(arrays[name])
            with zf.open(info, "w", force_zip64=True) as fh:
                np.lib.format.write_array(fh, arr, allow_pickle=False)
    data = buf.getvalue()
    Path(path).write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def read_npz(path: str | Path, names: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """Read arrays (all, or ``names``) of an ``.npz`` into a dict."""
    with np.load(path, allow_pickle=False) as z:
        keys = z.files if names is None else list(names)
        return {k: z[k] for k in keys}


# ---------------------------------------------------------------------- shards
def write_shard(path: str | Path, arrays: dict[str, np.ndarray], meta: Mapping[str, Any], *,
                compress: bool = True) -> str:
    """Write one shard atomically: ``arrays`` and its record ``meta`` (see the module).

    Parameters
    ----------
    path
        The shard's ``.npz`` path; an existing file is replaced.
    arrays
        Arrays by name, the frame as first axis (not ``meta``).
    meta
        JSON-serialisable record of the shard.
    compress
        Deflate the members (see :func:`write_npz`).

    Returns
    -------
    str
        SHA-256 of the file.
    """
    record = np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8)
    with atomic_output(Path(path), overwrite=True) as tmp:
        return write_npz(tmp, {**arrays, "meta": record}, compress=compress)


def check_shard(path: Path, n_frames: int, config_hash: str) -> bool:
    """Whether ``path`` is a complete, uncorrupted shard of ``n_frames`` frames whose
    record names the configuration hash ``config_hash``."""
    try:
        with zipfile.ZipFile(path) as zf:
            if zf.testzip() is not None:
                return False
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(bytes(z["meta"]).decode())
            return meta.get("config_hash") == config_hash and int(meta["n_frames"]) == n_frames
    except Exception:  # noqa: BLE001 -- any failure to read means: make it again
        return False


def shard_sha256(path: str | Path) -> str:
    """SHA-256 of a shard file, as the index records it."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def remove_unfinished_shards(folder: Path) -> list[str]:
    """Remove the temporary shard files a killed run left in ``folder``; their names."""
    removed = []
    for tmp in folder.glob(".shard_*.tmp.npz"):
        tmp.unlink()
        removed.append(tmp.name)
    return removed


# ---------------------------------------------------------------------- index
def write_index(path: Path, *, config: dict[str, Any], names: dict[str, list[str]],
                arrays: Mapping[str, tuple[str, str, str]], shards: list[dict | None],
                complete: bool) -> Path:
    """Write a dataset's ``index.json`` atomically.

    Parameters
    ----------
    path
        The index file; an existing one is replaced.
    config
        The dataset's configuration; its ``n_frames`` is also the index's.
    names
        Lists of names, in the order the index gives them (``catalogue``,
        ``landmark_kinds``, ``shape_names``, ``behaviours``, ``coats``).
    arrays
        Each shard array's ``(dtype, per-frame shape, description)``, by name.
    shards
        Each shard's description (``file``, ``n_frames``, ``sha256``; other keys are left
        out), ``None`` for one not made yet.
    complete
        Whether every shard is made.

    Returns
    -------
    Path
        ``path``.
    """
    index = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "complete": complete,
        "config": config,
        "n_frames": config["n_frames"],
        **names,
        "units": _UNITS,
        "arrays": {k: {"dtype": v[0], "shape": v[1], "description": v[2]}
                   for k, v in arrays.items()},
        "shards": [s if s is None else {k: s[k] for k in _SHARD_FIELDS} for s in shards],
    }
    with atomic_output(path, overwrite=True) as tmp:
        tmp.write_text(json.dumps(index, indent=1))
    return path


def read_index(path: str | Path) -> Any:
    """The parsed content of an ``index.json``.

    Raises
    ------
    ValueError
        When it is not valid JSON.
    """
    return json.loads(Path(path).read_text())
