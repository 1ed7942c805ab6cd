"""Reading DeepLabCut ``config.yaml`` files (``dlc_lifter.io.config``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlc_lifter.errors import ConfigError
from dlc_lifter.io import read_dlc_config

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
