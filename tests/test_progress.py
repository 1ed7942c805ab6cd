"""Progress bars redraw rarely where their output is a log file, not a terminal."""

from __future__ import annotations

import io

from dlc_lifter._progress import LOG_INTERVAL_S, progress_bar


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_bar_written_to_a_log_redraws_rarely() -> None:
    log = io.StringIO()
    bar = progress_bar(range(2000), file=log, desc="rendering")
    for _ in bar:
        pass
    assert bar.mininterval == LOG_INTERVAL_S
    assert log.getvalue().count("rendering") <= 3  # the start, maybe one redraw, the end


def test_a_bar_on_a_terminal_redraws_as_tqdm_does() -> None:
    bar = progress_bar(range(3), file=_Terminal())
    list(bar)
    assert bar.mininterval < 1.0


def test_a_log_message_after_a_bar_in_a_log_starts_its_own_line() -> None:
    """Written to a file, a bar's redraw ends its line: a log message written after it
    starts a line of its own (before: "lifting pose files: 0%| | 0/7 [...]ERROR ...")."""
    log = io.StringIO()
    bar = progress_bar(total=3, file=log, desc="lifting pose files")
    log.write("ERROR dlc_lifter.lift.batch: a.h5 failed\n")
    bar.update(3)
    bar.close()
    lines = log.getvalue().splitlines()
    assert "ERROR dlc_lifter.lift.batch: a.h5 failed" in lines
    assert "\r" not in log.getvalue()
    assert all(ln.startswith(("lifting pose files", "ERROR")) for ln in lines), lines
