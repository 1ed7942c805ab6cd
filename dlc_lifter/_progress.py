"""Progress bars that suit a terminal and a log file alike.

On a terminal a bar redraws in place. Written to a file or a pipe (a cluster job's log,
``| tee``), every redraw is kept: a bar updated a few times a second fills the log with
thousands of copies of itself. There the bar is redrawn at most every
:data:`LOG_INTERVAL_S` seconds, each time on a line of its own (a log message never
continues the bar's line), so a long job still shows it is alive and a short one writes
its bar once or twice.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["LOG_INTERVAL_S", "progress_bar"]

#: Seconds between redraws of a bar whose output is not a terminal.
LOG_INTERVAL_S = 30.0


def progress_bar(iterable: Any = None, **kwargs: Any) -> Any:
    """A ``tqdm`` bar (same arguments) that redraws every :data:`LOG_INTERVAL_S` seconds at
    most where standard error is not a terminal."""
    from tqdm.auto import tqdm

    stream = kwargs.get("file") or sys.stderr
    if not getattr(stream, "isatty", lambda: False)():
        kwargs.setdefault("mininterval", LOG_INTERVAL_S)
        kwargs.setdefault("maxinterval", max(LOG_INTERVAL_S, kwargs["mininterval"]))
        kwargs["file"] = _Lines(stream)
    return tqdm(iterable, **kwargs)


class _Lines:
    """A log's stream for a bar: each redraw a line of its own (a terminal's carriage
    return would leave the bar's line open, and the next log message would be written on
    it: ``lifting pose files: 0%| | 0/7 [...]ERROR ...``); clearing a bar writes
    nothing."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        line = text.replace("\r", "").rstrip("\n")
        if line.strip():
            self.stream.write(line + "\n")
        return len(text)

    def flush(self) -> None:
        flush = getattr(self.stream, "flush", None)
        if flush is not None:
            flush()
