"""pandas ``.h5`` (PyTables) files that read the same under pandas 1.x, 2.x and 3.x.

pandas 3 stopped writing the ``pandas_version`` attribute on ``format="table"`` groups.
pandas < 3 takes a table without it for one written by pandas < 0.10.1, looks for the
columns under their pre-0.10.1 names and fails (``AttributeError: 'NoneType' object has no
attribute 'startswith'``). Fixed-format files and tables written by pandas 1.x/2.x read
the same everywhere.

- Reading (:func:`read_pandas_hdf`): pandas' own reader first; if it fails on a table that
  lacks ``pandas_version``, the file is opened again as an in-memory HDF5 image (the file
  on disk is never written to), the attribute pandas 1.x/2.x write for every table
  (``"0.15.2"``, the table layout's version) is added there, and pandas reads that.
- Writing (:func:`mark_pandas_version`): after ``to_hdf(..., format="table")`` the same
  attribute is added to the new file, so pandas 1.x/2.x users read what pandas 3 wrote.
- Threads: PyTables (and the HDF5 library under it, as built in its wheels) is not safe
  in threads: two threads opening the same file at once can fail (a row count then comes
  back unknown). And pandas < 3 reads every object under
  ``pandas.compat.pickle_compat.patch_pickle``, which sets ``pickle.loads`` to pandas' own
  ``loads`` and puts back what it found when the read ends. Two reads at once in two
  threads can leave pandas' ``loads`` in place for good (the second saved the first's patch
  as the original), and that ``loads`` takes no ``buffers``: dask.distributed's scheduler,
  for one, then fails every task graph (``TypeError: loads() got an unexpected keyword
  argument 'buffers'``). Every PyTables use of this package, open to close, holds one
  process-wide lock (:data:`PYTABLES_LOCK`), and each object read puts the standard
  ``pickle.loads`` back if pandas' is left behind (:func:`store_get`).
"""

from __future__ import annotations

import logging
import pickle
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

log = logging.getLogger(__name__)

#: Held by every PyTables use of this package, from opening the file to closing it (see the
#: module's "Threads"); re-entrant, so a reader may call :func:`store_get` under it.
PYTABLES_LOCK = threading.RLock()

#: The standard library's ``pickle.loads`` (the C one ``pickle`` exports), read from
#: ``_pickle`` itself: ``pickle.loads`` may be pandas' at the moment this module is imported.
try:
    from _pickle import loads as _STD_LOADS
except ImportError:  # pragma: no cover - Python without the C accelerator
    _STD_LOADS = pickle._loads

#: What pandas 1.x/2.x write as ``pandas_version`` on every ``format="table"`` group.
TABLE_LAYOUT_VERSION = "0.15.2"


def _table_groups_without_version(handle: Any) -> list[str]:
    """Paths of pandas table groups (``pandas_type`` ``*_table``) lacking ``pandas_version``."""
    out = []
    for group in handle.walk_groups("/"):
        attrs = group._v_attrs
        ptype = getattr(attrs, "pandas_type", None)
        if ptype is None:
            continue
        if isinstance(ptype, bytes):
            ptype = ptype.decode()
        if str(ptype).endswith("_table") and getattr(attrs, "pandas_version", None) is None:
            out.append(group._v_pathname)
    return out


def read_pandas_hdf(path: str | Path, pick: Callable[[list[str]], str]) -> tuple[list[str], Any]:
    """Keys of a pandas ``.h5`` and the object stored under the key ``pick(keys)`` chooses.

    Parameters
    ----------
    path
        The file.
    pick
        ``pick(keys) -> key`` (may raise to reject the file); not called when the file
        holds no pandas object (then the object returned is None).

    Returns
    -------
    (keys, object)
    """
    p = Path(path)
    with PYTABLES_LOCK, pd.HDFStore(p, mode="r") as store:
        keys = list(store.keys())
        if not keys:
            return keys, None
        k = pick(keys)
        try:
            return keys, store_get(store, k)
        except Exception as first:  # noqa: BLE001 - decide below whether to retry
            error = first
    obj = _read_patched(p, k)
    if obj is None:
        raise error
    return keys, obj


def _read_patched(path: Path, key: str) -> Any:
    """Read ``key`` from an in-memory copy of ``path`` with ``pandas_version`` added.

    None when the file has no table lacking the attribute (then retrying cannot help).
    """
    import tables

    with PYTABLES_LOCK, tables.open_file(str(path), mode="r") as fh:
        if not _table_groups_without_version(fh):
            return None
    image = path.read_bytes()
    # The name only labels the in-memory file; HDF5 refuses one that exists on disk.
    name = str(path.with_name(f"{path.name}.{uuid.uuid4().hex}.in-memory"))
    with PYTABLES_LOCK, pd.HDFStore(name, mode="r+", driver="H5FD_CORE", driver_core_image=image,
                     driver_core_backing_store=0) as store:
        for group in _table_groups_without_version(store._handle):
            store._handle.get_node(group)._v_attrs.pandas_version = TABLE_LAYOUT_VERSION
        return store_get(store, key)


def store_get(store: pd.HDFStore, key: str) -> Any:
    """``store.get(key)`` safe in threads: one read at a time, ``pickle.loads`` left as found.

    Parameters
    ----------
    store
        An open store.
    key
        The object's key.

    Returns
    -------
    The object.
    """
    with PYTABLES_LOCK:
        try:
            return store.get(key)
        finally:
            _restore_pickle_loads()


def _restore_pickle_loads() -> None:
    """Put the standard ``pickle.loads`` back where pandas' patch was left behind."""
    current = pickle.loads
    if current is not _STD_LOADS and getattr(current, "__module__", "").startswith("pandas."):
        pickle.loads = _STD_LOADS
        log.debug("pickle.loads was left as pandas' %s.%s; put the standard one back",
                  current.__module__, getattr(current, "__name__", "?"))


def mark_pandas_version(path: str | Path) -> None:
    """Add ``pandas_version`` to every pandas table in ``path`` that lacks it (pandas 3)."""
    import tables

    with PYTABLES_LOCK, tables.open_file(str(path), mode="a") as fh:
        for group in _table_groups_without_version(fh):
            fh.get_node(group)._v_attrs.pandas_version = TABLE_LAYOUT_VERSION
