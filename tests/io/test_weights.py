"""Weights files: a state written and read back whole, nothing but tensors and plain values
built on reading, and the caller's messages for a missing or unreadable file."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from dlc_lifter.errors import ModelLoadError
from dlc_lifter.io.weights import file_hash, read_weights, write_weights

MESSAGES = {"missing": "No weights at {path}.", "unreadable": "Weights {path}: {error}"}


def test_weights_round_trip_bit_identical(tmp_path: Path) -> None:
    import torch

    state = {"format_version": 1, "keypoints": ["nose", "neck"], "info": {"seed": 3},
             "w": torch.randn(4, 3, dtype=torch.float32),
             "h": torch.arange(5, dtype=torch.float64)}
    out = write_weights(state, tmp_path / "sub" / "w.pt")
    assert out == tmp_path / "sub" / "w.pt"
    assert [p.name for p in out.parent.iterdir()] == ["w.pt"]  # no temporary left
    back = read_weights(out, **MESSAGES)
    assert back.keys() == state.keys()
    for k in ("w", "h"):
        assert back[k].dtype == state[k].dtype and torch.equal(back[k], state[k])
    assert back["keypoints"] == state["keypoints"] and back["info"] == state["info"]
    first = file_hash(out)
    write_weights(state, out)  # replaced, with the same bytes
    assert file_hash(out) == first and len(first) == 16


class _Payload:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (print, ("built",))


def test_read_weights_builds_no_other_object(tmp_path: Path) -> None:
    """``weights_only``: a pickle that would call a function is refused, not run."""
    bad = tmp_path / "bad.pt"
    bad.write_bytes(pickle.dumps({"x": _Payload()}, protocol=2))
    with pytest.raises(ModelLoadError, match=r"^Weights .*bad\.pt: "):
        read_weights(bad, **MESSAGES)
    with pytest.raises(ModelLoadError, match=r"^No weights at .*missing\.pt\.$"):
        read_weights(tmp_path / "missing.pt", **MESSAGES)


def test_importing_io_does_not_import_torch() -> None:
    code = "import sys, dlc_lifter.io, dlc_lifter.io.weights; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
