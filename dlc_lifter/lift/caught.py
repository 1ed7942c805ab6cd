"""A lift's warnings, caught as they are logged: one file's, even with files in threads.

Shared by the lift (its outputs' record keeps the warnings it gave:
:func:`dlc_lifter.lift.lift_file`) and the batches (each file's
:attr:`~dlc_lifter.lift.batch.BatchItem.warnings`, their closing summary).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from dlc_lifter.lift.lifter import SAID_ONCE_LOGGER

__all__ = ["collect_warnings", "quietly"]


class _JobWarnings(logging.Handler):
    """The package's warnings logged by this thread: one job's, even with jobs in threads."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.messages.append(record.getMessage())


@contextmanager
def collect_warnings() -> Iterator[list[str]]:
    """The package's warnings logged by this thread while in the block (those said once per
    process already too, :data:`~dlc_lifter.lift.lifter.SAID_ONCE_LOGGER`): one file's
    warnings for a batch's :attr:`BatchItem.warnings`, even with files in threads."""
    caught = _JobWarnings()
    loggers = [logging.getLogger("dlc_lifter"), logging.getLogger(SAID_ONCE_LOGGER)]
    for log in loggers:
        log.addHandler(caught)
    try:
        yield caught.messages
    finally:
        for log in loggers:
            log.removeHandler(caught)


@contextmanager
def quietly() -> Iterator[None]:
    """The package's log kept from the user's handlers while in the block: for a batch's
    look at a file it does not lift (an output that exists), whose lift said its warnings
    when it ran. Every thread's, so only where no lift runs in this process meanwhile."""
    log = logging.getLogger("dlc_lifter")
    before = log.propagate
    sink = logging.NullHandler()  # else Python's last-resort handler prints warnings bare
    log.addHandler(sink)
    log.propagate = False
    try:
        yield
    finally:
        log.propagate = before
        log.removeHandler(sink)
