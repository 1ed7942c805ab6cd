"""The synthetic dataset's files: shards and index read back as written, same bytes for the
same arrays, a damaged shard told apart, a killed run's temporary files removed."""

from __future__ import annotations

import json

import numpy as np

from dlc_lifter.io import synth_shards as shards_io


def _arrays(n: int = 4) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {"depth": rng.uniform(100, 900, (n, 8, 8)).astype(np.float32),
            "keypoints_2d": rng.uniform(0, 8, (n, 3, 2)).astype(np.float32),
            "visible": rng.uniform(size=(n, 3)) > 0.5}


def test_shard_round_trip_same_bytes_and_checked(tmp_path):
    meta = {"config_hash": "abc", "n_frames": 4, "seed_spawn_key": [2]}
    a, b = tmp_path / shards_io.shard_file_name(0), tmp_path / shards_io.shard_file_name(1)
    sha = shards_io.write_shard(a, _arrays(), meta)
    assert shards_io.write_shard(b, _arrays(), meta) == sha == shards_io.shard_sha256(a)
    assert a.read_bytes() == b.read_bytes()
    back = shards_io.read_npz(a)
    assert json.loads(bytes(back.pop("meta")).decode()) == meta
    for k, v in _arrays().items():
        np.testing.assert_array_equal(back[k], v)
    assert shards_io.check_shard(a, 4, "abc")
    assert not shards_io.check_shard(a, 5, "abc") and not shards_io.check_shard(a, 4, "other")
    data = a.read_bytes()
    a.write_bytes(data[: len(data) // 2])
    assert not shards_io.check_shard(a, 4, "abc")
    assert not list(tmp_path.glob(".*tmp*"))


def test_unfinished_shards_removed(tmp_path):
    (tmp_path / ".shard_00003.deadbeef.tmp.npz").write_bytes(b"partial")
    (tmp_path / shards_io.shard_file_name(3)).write_bytes(b"kept")
    assert shards_io.remove_unfinished_shards(tmp_path) == [".shard_00003.deadbeef.tmp.npz"]
    assert [p.name for p in tmp_path.iterdir()] == ["shard_00003.npz"]


def test_index_round_trip(tmp_path):
    cfg = {"n_frames": 7, "config_hash": "abc"}
    shards = [{"file": "shard_00000.npz", "n_frames": 7, "sha256": "f", "seconds": 1.5}, None]
    path = shards_io.write_index(tmp_path / shards_io.INDEX_NAME, config=cfg,
                                 names={"catalogue": ["nose"]},
                                 arrays={"depth": ("float32", "(H, W)", "camera Z")},
                                 shards=shards, complete=False)
    index = shards_io.read_index(path)
    assert index["format"] == shards_io.FORMAT and index["n_frames"] == 7
    assert not index["complete"]
    assert index["catalogue"] == ["nose"]
    assert index["arrays"]["depth"] == {"dtype": "float32", "shape": "(H, W)",
                                        "description": "camera Z"}
    assert index["shards"] == [{"file": "shard_00000.npz", "n_frames": 7, "sha256": "f"}, None]
