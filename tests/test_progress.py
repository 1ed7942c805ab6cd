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
