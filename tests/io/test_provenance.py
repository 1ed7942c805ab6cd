"""The one record every output keeps of the file it was made from, and its comparisons."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from dlc_lifter.io.provenance import made_from, same_content, same_source, source_record
from tests.fixtures.toys import file_sha256


def _file(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_a_record_tells_the_file_as_it_is_now_moved_or_copied(tmp_path: Path) -> None:
    """An output is up to date only with its input's content; a dataset moved finds its
    outputs; another recording of one name and size is not taken for it."""
    src = _file(tmp_path / "a" / "m1DLC.h5", "first take")
    rec = source_record(src)
    assert rec == {"path": str(src.absolute()), "size": src.stat().st_size,
                   "mtime_ns": src.stat().st_mtime_ns, "fingerprint": rec["fingerprint"]}
    assert same_source(rec, source_record(src)) and made_from(rec, source_record(src))
    moved = tmp_path / "b" / "m1DLC.h5"
    moved.parent.mkdir()
    shutil.copy2(src, moved)
    assert same_source(rec, source_record(moved)) and made_from(rec, source_record(moved))
    other = _file(tmp_path / "c" / "m1DLC.h5", "other take")  # one size, other content
    assert same_source(rec, source_record(other)) is False
    assert not made_from(rec, source_record(other))
    renamed = tmp_path / "b" / "m2DLC.h5"
    shutil.copy2(src, renamed)
    assert not same_source(rec, source_record(renamed)) and not made_from(
        rec, source_record(renamed))
    _file(src, "later take")  # its path, changed since: its output, not up to date
    assert same_source(rec, source_record(src)) and not made_from(rec, source_record(src))
    assert same_source(None, source_record(src)) is None and not made_from({}, rec)


def test_a_records_content_is_told_by_its_fingerprint_not_its_time(tmp_path: Path) -> None:
    """A copy (a new time) is the same content; an older lift's record without a
    fingerprint is compared by size and time, a features sidecar's by its whole checksum."""
    src = _file(tmp_path / "m1DLC.h5", "x" * 100)
    rec = source_record(src)
    os.utime(src, ns=(rec["mtime_ns"] + 10**9, rec["mtime_ns"] + 10**9))
    assert same_content(rec, source_record(src))
    no_print = {k: v for k, v in rec.items() if k != "fingerprint"}
    assert not same_content(no_print, source_record(src))
    older = {"path": str(src.absolute()), "sha256": file_sha256(src)}
    assert made_from(older, source_record(src))
    _file(src, "y" * 100)
    assert not made_from(older, source_record(src))
