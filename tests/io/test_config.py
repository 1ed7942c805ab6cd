"""Reading and writing DeepLabCut ``config.yaml`` files (``dlc_lifter.io.config``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlc_lifter.errors import ConfigError, OutputExistsError
from dlc_lifter.io import read_dlc_config, write_dlc_config

#: The head of a config as DeepLabCut 2.0.0-2.0.3 wrote it (``yaml.dump`` of a tuple).
DLC20_CONFIG = """\
Task: openfield
bodyparts:
- snout
- tailbase
corner2move2: !!python/tuple
- 50
- 50
pcutoff: 0.1
project_path: C:\\Users\\Pranav\\openfield-Pranav-2018-10-30
video_sets:
  C:\\Users\\Pranav\\openfield-Pranav-2018-10-30\\videos\\m3v1mp4.mp4:
    crop: 0, 640, 0, 480
"""


def test_dlc20_python_tuple_is_read(tmp_path: Path) -> None:
    """DeepLabCut 2.0's ``!!python/tuple`` (corner2move2) is read, the rest as usual."""
    f = tmp_path / "config.yaml"
    f.write_text(DLC20_CONFIG, encoding="utf-8")
    cfg = read_dlc_config(tmp_path)
    assert cfg.raw["corner2move2"] == (50, 50)
    assert cfg.bodyparts == ["snout", "tailbase"]
    assert cfg.pcutoff == 0.1
    assert cfg.frame_size("m3v1mp4") == (640, 480)


def test_other_python_tags_still_refused(tmp_path: Path) -> None:
    """Only the tuple is built: a tag that would run code stays an error naming the file."""
    f = tmp_path / "config.yaml"
    f.write_text("Task: t\nx: !!python/object/apply:os.system ['echo hi']\n",
                 encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML") as info:
        read_dlc_config(f)
    assert str(f) in str(info.value)


def test_written_config_reads_back(tmp_path: Path) -> None:
    """A config written new is read back as DeepLabCut laid it out, keys in their order."""
    video = str(tmp_path / "videos" / "m1.mp4")
    config = {"Task": "openfield", "scorer": "me", "date": "Nov24",
              "project_path": str(tmp_path), "multianimalproject": False,
              "video_sets": {video: {"crop": "0, 640, 0, 480"}},
              "bodyparts": ["snout", "tailbase"], "skeleton": [["snout", "tailbase"]],
              "pcutoff": 0.4, "TrainingFraction": [0.95]}
    path = write_dlc_config(config, tmp_path / "config.yaml")
    assert path.read_text(encoding="utf-8").splitlines()[:3] == [
        "Task: openfield", "scorer: me", "date: Nov24"]
    cfg = read_dlc_config(tmp_path)
    assert (cfg.task, cfg.scorer, cfg.bodyparts, cfg.pcutoff) == (
        "openfield", "me", ["snout", "tailbase"], 0.4)
    assert cfg.skeleton == [("snout", "tailbase")] and cfg.video_sets == [video]
    assert cfg.frame_size("m1") == (640, 480) and cfg.raw == config
    with pytest.raises(OutputExistsError):
        write_dlc_config(config, path)
    with pytest.raises(ConfigError, match="needs date, bodyparts"):
        write_dlc_config({k: v for k, v in config.items() if k not in ("date", "bodyparts")},
                         path, overwrite=True)
    assert read_dlc_config(path).raw == config
