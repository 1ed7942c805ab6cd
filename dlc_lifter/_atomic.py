"""Atomic file output: write to a hidden temporary file beside the target, then rename.

A reader never sees a half-written output: the temporary file is renamed over the
target with :func:`os.replace` only when the ``with`` block finishes without error,
and removed otherwise.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dlc_lifter.errors import OutputExistsError, OutputNotWritableError

__all__ = ["OutputNotWritableError", "atomic_output", "check_free_space", "check_writable"]

logger = logging.getLogger(__name__)


def _umask() -> int:
    """The process umask, read without changing it (``os.umask`` is not thread safe)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    return 0o022


def check_writable(path: str | Path, *, overwrite: bool = False,
                   folder_option: str = "destfolder") -> Path:
    """Check, before any work, that ``path`` can be written.

    Parameters
    ----------
    path
        Output file.
    overwrite
        Whether an existing file may be replaced.
    folder_option
        The caller's parameter that chooses the folder, named in the message
        (``destfolder``; the plots' ``out_dir``).

    Returns
    -------
    Path
        ``path`` as a :class:`~pathlib.Path`.

    Raises
    ------
    OutputExistsError
        When the file exists and ``overwrite`` is false.
    OutputNotWritableError
        When the folder does not exist and cannot be made, or is not writable, or
        ``path`` is a folder.
    """
    p = Path(path)
    if p.is_dir():
        raise OutputNotWritableError(
            f"Output {p} is a folder; give a file name to write to.")
    if p.exists() and not overwrite:
        raise OutputExistsError(
            f"Output file {p} already exists. Pass overwrite=True to replace it, or choose "
            "another destination.")
    folder = p.parent
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise OutputNotWritableError(
            f"Cannot write {p.name}: folder {folder} is not writable (or cannot be "
            f"created). Choose a writable destination folder ({folder_option}=).")
    return p


#: Free space (bytes) kept beyond an output's estimated size before writing it.
FREE_MARGIN_BYTES = 8 * 2**20


def _free_bytes(folder: Path) -> int | None:
    try:
        return int(shutil.disk_usage(folder).free)
    except OSError:
        return None


def _full(folder: Path) -> str:
    free = _free_bytes(folder)
    return "?" if free is None else f"{free / 2**20:.0f} MB"


def check_free_space(path: str | Path, need_bytes: float) -> None:
    """Refuse, before writing, an output the disk has no room for.

    Raises
    ------
    OutputNotWritableError
        When the folder of ``path`` has less than ``need_bytes`` plus
        :data:`FREE_MARGIN_BYTES` free.
    """
    p = Path(path)
    folder = next((f for f in (p.parent, *p.parent.parents) if f.exists()), p.parent)
    free = _free_bytes(folder)
    if free is not None and free < need_bytes + FREE_MARGIN_BYTES:
        raise OutputNotWritableError(
            f"Cannot write {p.name}: the disk holding {folder} has {free / 2**20:.0f} MB free "
            f"and the output needs about {need_bytes / 2**20:.0f} MB, with "
            f"{FREE_MARGIN_BYTES / 2**20:.0f} MB to spare. Free some space, or "
            "choose another destination folder (destfolder=).")


def _disk_full(exc: BaseException, folder: Path) -> bool:
    """Whether a writer failed for want of space: ENOSPC in its chain, or (HDF5's errors
    name no cause) under 1 MB left free."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno == errno.ENOSPC:
            return True
        if "No space left" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    free = _free_bytes(folder)
    return free is not None and free < 2**20


@contextmanager
def atomic_output(path: str | Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` on success.

    The temporary file is hidden and keeps the suffix so format-sniffing writers work:
    ``out.h5`` is written as ``.out.XXXXXXXX.tmp.h5``. It exists (empty) when the block
    starts; writers may replace or truncate it.

    Parameters
    ----------
    path
        Final output path.
    overwrite
        Replace an existing file.

    Yields
    ------
    Path
        The temporary path to write to.

    Raises
    ------
    OutputExistsError
        When ``path`` exists and ``overwrite`` is false (checked before any work).
    OutputNotWritableError
        When the folder is not writable (checked before any work).
    """
    p = check_writable(path, overwrite=overwrite)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{p.stem}.", suffix=f".tmp{p.suffix}", dir=p.parent)
    except OSError as exc:
        raise OutputNotWritableError(
            f"Cannot write {p.name}: folder {p.parent} is not writable ({exc.strerror}). "
            "Choose a writable destination folder (destfolder=).") from None
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual mode
    try:
        try:
            yield tmp
        except Exception as exc:
            if not isinstance(exc, OutputNotWritableError) and _disk_full(exc, p.parent):
                raise OutputNotWritableError(
                    f"Cannot write {p.name}: the disk holding {p.parent} is full "
                    f"({_full(p.parent)} free while writing it). Free some space, or choose "
                    "another destination folder (destfolder=).") from exc
            raise
        if p.exists() and not overwrite:  # appeared while we were writing
            raise OutputExistsError(
                f"Output file {p} appeared while writing it. Pass overwrite=True to "
                "replace it.")
        os.replace(tmp, p)
        logger.debug("Wrote %s", p)
    finally:
        if tmp.exists():
            tmp.unlink()
