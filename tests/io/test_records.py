"""The JSON records beside outputs (features, behaviour, plots): written whole, read back,
and a file that is not one (cut off, someone else's) taken as no record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dlc_lifter.errors import OutputExistsError
from dlc_lifter.io.records import read_json, read_record, write_json, write_record


def test_record_round_trip_as_indented_json(tmp_path: Path) -> None:
    record = {"source": {"path": "/data/a.h5"}, "window": 5, "dlc_lifter_version": "1.0"}
    out = write_record(record, tmp_path / "a_features.json")
    assert out.read_text(encoding="utf-8") == json.dumps(record, indent=2) + "\n"
    assert read_record(out) == record
    assert [p.name for p in tmp_path.iterdir()] == ["a_features.json"]  # no temporary left
    with pytest.raises(OutputExistsError):
        write_record({"dlc_lifter_version": "2.0"}, out)
    assert read_record(out) == record
    write_record({"dlc_lifter_version": "2.0"}, out, overwrite=True)
    assert read_record(out) == {"dlc_lifter_version": "2.0"}


@pytest.mark.parametrize("text", ['{"dlc_lifter_version": "1.0", "wind', '{"my": "notes"}',
                                  '["dlc_lifter_version"]', "\xff\xfe not text"])
def test_a_file_that_is_not_a_record_reads_as_none(tmp_path: Path, text: str) -> None:
    """A record cut off (a full disk, a killed run), a user's file of that name, or no JSON
    at all is no record: the output is made again rather than the run failing."""
    path = tmp_path / "a_behaviour.json"
    path.write_bytes(text.encode("latin-1"))
    assert read_record(path) is None
    assert read_record(tmp_path / "absent.json") is None


def test_json_round_trip_without_the_record_key(tmp_path: Path) -> None:
    """Any JSON value, with or without the trailing newline; not a record (no key)."""
    value = {"frames": 300, "plots": ["a.png"], "error": {"mpjpe_mm": 8.25}}
    out = write_json(value, tmp_path / "summary.json", newline=False)
    assert out.read_text(encoding="utf-8") == json.dumps(value, indent=2)
    assert read_json(out) == value and read_record(out) is None
    write_json([1, 2], out, overwrite=True)
    assert out.read_text(encoding="utf-8") == "[\n  1,\n  2\n]\n" and read_json(out) == [1, 2]
    with pytest.raises(FileNotFoundError):
        read_json(tmp_path / "absent.json")
