"""Atomic file output: write to a hidden temporary file beside the target, then rename.

A reader never sees a half-written output: the temporary file is renamed over the
target with :func:`os.replace` only when the ``with`` block finishes without error,
and removed otherwise.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dlc_lifter.errors import OutputBusyError, OutputExistsError, OutputNotWritableError

__all__ = ["OutputNotWritableError", "atomic_output", "check_free_space", "check_writable",
           "claim_holder", "claim_output", "remove_stale_claim"]

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
        When the folder does not exist and cannot be made (a file stands in its place), or
        is not writable, or ``path`` is a folder.
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
    if not existing.is_dir():  # a file where the folder should be (a file given as -o)
        raise OutputNotWritableError(
            f"Cannot write {p.name}: {existing} is a file, not a folder. Choose a folder "
            f"to write into ({folder_option}=).")
    if not os.access(existing, os.W_OK | os.X_OK):
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


# --------------------------------------------------------------------------- claims
#: A run holding a claim touches its claim file this often (seconds) ...
CLAIM_HEARTBEAT_S = 60.0
#: ... so a claim untouched for this long is a dead run's, whatever machine it ran on.
CLAIM_STALE_S = 600.0


#: The claims this process holds now (:func:`claim_output`), for :func:`release_claims`.
_HELD: set[Path] = set()


def release_claims() -> None:
    """Remove the claims this process holds: a process about to end before its ``with``
    blocks finish (a batch's worker stopped by SIGTERM, or ending with its batch) leaves
    none to hold its files from a run on another machine for :data:`CLAIM_STALE_S`."""
    for lock in list(_HELD):
        lock.unlink(missing_ok=True)
        _HELD.discard(lock)


def claim_path(path: str | Path) -> Path:
    """The hidden claim file of an output: ``.<name>.lifting`` beside it."""
    p = Path(path)
    return p.with_name(f".{p.name}.lifting")


def _alive_here(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, another user's
        return True
    return True


def claim_holder(path: str | Path) -> str | None:
    """Who is writing ``path`` now: ``"pid P on HOST since TIME"`` for a live claim
    (:func:`claim_output`), ``None`` where no run holds one. A claim whose process is gone
    (on this machine) or that has not been touched for :data:`CLAIM_STALE_S` seconds (a
    run killed on another machine) is stale: ``None``."""
    lock = claim_path(path)
    try:
        text = lock.read_text()
        age = time.time() - lock.stat().st_mtime
    except OSError:
        return None
    try:
        rec = json.loads(text)
        host, pid, since = str(rec["host"]), int(rec["pid"]), str(rec["since"])
    except (ValueError, KeyError, TypeError):  # being written, or not ours: by its age
        return None if age > CLAIM_STALE_S else f"a run that started {age:.0f} s ago"
    if age > CLAIM_STALE_S or (host == socket.gethostname() and not _alive_here(pid)):
        return None
    return f"pid {pid} on {host} since {since}"


def remove_stale_claim(path: str | Path) -> bool:
    """Remove ``path``'s claim where its run is gone (:func:`claim_holder`): a run killed
    while writing an output that exists (``--overwrite``) left it, and a later run that
    skips the output never takes it over. Whether one was removed."""
    lock = claim_path(path)
    if not lock.exists() or claim_holder(path) is not None:
        return False
    try:
        lock.unlink()
    except OSError:
        return False
    logger.info("Removed the claim %s of a run that is gone.", lock)
    return True


def _create_claim(lock: Path, path: str | Path) -> int | None:
    """Create ``lock`` exclusively (taking over a stale claim once); its descriptor, or
    ``None`` where the folder refuses it."""
    for _ in range(2):
        try:
            return os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
        except FileExistsError:
            holder = claim_holder(path)
            if holder is not None:
                raise OutputBusyError(
                    f"{Path(path)} is being lifted by another run ({holder}). Let it "
                    f"finish; if no run is lifting it, delete {lock} and run again."
                ) from None
            logger.info("Taking over the claim %s of a run that is gone.", lock)
            lock.unlink(missing_ok=True)
        except OSError as exc:  # no folder yet (nothing in it to clash with), read-only
            logger.debug("No claim on %s (%s)", path, exc)
            return None
    raise OutputBusyError(f"{Path(path)} was claimed by another run meanwhile; run again "
                          "once it has finished.")


@contextmanager
def claim_output(path: str | Path) -> Iterator[None]:
    """Hold the claim on writing ``path`` for the ``with`` block.

    Two runs on one folder (two batches started on one tree, a cluster job resubmitted
    while the first still runs) would both lift a file and, cleaning what they take for
    a killed run's temporary files, remove each other's. The claim is a hidden file
    beside the output (:func:`claim_path`) created exclusively, holding this machine's
    name and process id and touched every :data:`CLAIM_HEARTBEAT_S` seconds; a stale
    claim (:func:`claim_holder`) is taken over.

    Raises
    ------
    OutputBusyError
        When another live run holds it.
    """
    lock = claim_path(path)
    record = json.dumps({"host": socket.gethostname(), "pid": os.getpid(),
                         "since": time.strftime("%Y-%m-%d %H:%M:%S")})
    fd = _create_claim(lock, path)
    if fd is None:  # a folder that cannot be written: the outputs' checks say so
        yield
        return
    with os.fdopen(fd, "w") as fh:
        fh.write(record)
    _HELD.add(lock)
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(CLAIM_HEARTBEAT_S):
            try:
                os.utime(lock)
            except OSError:
                return

    thread = threading.Thread(target=beat, name=f"claim {lock.name}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        lock.unlink(missing_ok=True)
        _HELD.discard(lock)
