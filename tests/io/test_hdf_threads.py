"""pandas .h5 reads in threads: every one succeeds, and ``pickle.loads`` is left as the
standard library's.

PyTables is not safe in threads: two threads opening one file at once can fail
(``AttributeError: 'File' object has no attribute 'mode'``, ``RuntimeError: Set changed size
during iteration``), and a row count then came back unknown.

pandas < 3 reads under ``patch_pickle``, which swaps ``pickle.loads`` for its own and back;
two reads at once could leave pandas' in place (it takes no ``buffers``), and a dask
scheduler in the same process then failed every task graph. See
:mod:`dlc_lifter.io._pandas_hdf`.
"""

from __future__ import annotations

import _pickle
import pickle
import threading
from pathlib import Path

import numpy as np
import pytest

from dlc_lifter import read_poses
from dlc_lifter.io import count_dlc_rows

FIXTURE = Path(__file__).resolve().parent / "data" / "pandas_versions" / "dlc2d_pandas2.2_table.h5"


def _out_of_band_round_trip() -> None:
    """What dask does: pickle protocol 5 with buffers passed out of band."""
    buffers: list[pickle.PickleBuffer] = []
    data = pickle.dumps(pickle.PickleBuffer(np.arange(5)), protocol=5,
                        buffer_callback=buffers.append)
    assert bytes(pickle.loads(data, buffers=buffers)) == np.arange(5).tobytes()


def test_reads_in_threads_leave_the_standard_pickle_loads() -> None:
    # without the lock, 4 threads x 25 reads left pandas' loads behind in 10 of 10 trials
    expected = read_poses(FIXTURE).n_frames
    frames: list[int] = []

    def work() -> None:
        for _ in range(25):
            frames.append(read_poses(FIXTURE).n_frames)
            frames.append(count_dlc_rows(FIXTURE))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert frames == [expected] * 200
    assert pickle.loads is _pickle.loads
    _out_of_band_round_trip()


def test_row_counts_in_threads_are_all_known() -> None:
    # without the lock over the whole open-to-close, 16 threads x 50 counts left 2-179 of
    # 800 unknown in 4 of 5 trials
    expected = read_poses(FIXTURE).n_frames
    counts: list[int | None] = []

    def work() -> None:
        for _ in range(50):
            counts.append(count_dlc_rows(FIXTURE))

    threads = [threading.Thread(target=work) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counts == [expected] * 800


def test_pandas_loads_left_behind_is_put_back(monkeypatch: pytest.MonkeyPatch) -> None:
    compat = pytest.importorskip("pandas.compat.pickle_compat")
    if not hasattr(compat, "loads"):
        pytest.skip("this pandas does not patch pickle.loads when reading")
    monkeypatch.setattr(pickle, "loads", compat.loads)  # as a race elsewhere leaves it
    read_poses(FIXTURE)
    assert pickle.loads is _pickle.loads
    _out_of_band_round_trip()


def test_count_dlc_rows(tmp_path: Path) -> None:
    assert count_dlc_rows(FIXTURE) == read_poses(FIXTURE).n_frames
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"not hdf5")
    assert count_dlc_rows(bad) is None
