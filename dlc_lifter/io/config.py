"""DeepLabCut project ``config.yaml`` files: read without modifying them, and written new."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dlc_lifter._atomic import atomic_output
from dlc_lifter.errors import ConfigError
from dlc_lifter.io._common import recorded_path

__all__ = ["DEFAULT_PCUTOFF", "NO_DETECTION_LIKELIHOOD", "WRITTEN_KEYS", "ConfigError",
           "DLCConfig", "read_dlc_config", "write_dlc_config"]

logger = logging.getLogger(__name__)

#: DeepLabCut's default likelihood cutoff.
DEFAULT_PCUTOFF = 0.6
#: Likelihoods under this are a tracker's non-detections (a model that failed on the video
#: reports 0 everywhere; its points are noise), not a low-scoring tracker's right answers.
NO_DETECTION_LIKELIHOOD = 0.05


@dataclass
class DLCConfig:
    """The parts of a DeepLabCut project config dlc-lifter uses.

    Attributes
    ----------
    path
        The ``config.yaml`` read.
    task, scorer, project_path
        Project identity (``Task``, ``scorer``, ``project_path``).
    bodyparts
        Single-animal bodyparts; for multi-animal projects DLC writes ``MULTI!`` and
        this holds ``multianimalbodyparts``.
    multianimalproject
        Whether the project is multi-animal.
    multianimalbodyparts, uniquebodyparts, individuals
        Multi-animal project definitions (empty otherwise).
    skeleton
        Pairs of bodypart names.
    pcutoff
        Likelihood cutoff for plotting (DLC default 0.6).
    video_sets
        Video paths of the project (keys of ``video_sets``).
    raw
        The whole YAML mapping as read.
    """

    path: Path
    task: str | None = None
    scorer: str | None = None
    project_path: str | None = None
    bodyparts: list[str] = field(default_factory=list)
    multianimalproject: bool = False
    multianimalbodyparts: list[str] = field(default_factory=list)
    uniquebodyparts: list[str] = field(default_factory=list)
    individuals: list[str] = field(default_factory=list)
    skeleton: list[tuple[str, str]] = field(default_factory=list)
    pcutoff: float = DEFAULT_PCUTOFF
    video_sets: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def all_bodyparts(self) -> list[str]:
        """Every bodypart the project tracks (multi-animal plus unique ones)."""
        return list(dict.fromkeys([*self.bodyparts, *self.uniquebodyparts]))

    def crop(self, video_stem: str) -> tuple[int, int, int, int] | None:
        """``(x1, x2, y1, y2)``: the ``crop`` of a project video in ``video_sets``.

        DLC names a video's ``labeled-data`` folder by the video's stem; its
        ``extract_frames(crop=True)`` saves ``frame[y1:y2, x1:x2]``, so the labels are
        relative to the crop's top-left corner ``(x1, y1)`` of the video's frame (DLC's
        default crop is the whole frame, ``0, width, 0, height``). ``None`` where no video
        of that stem is listed or its crop is missing or not four numbers.
        """
        entry = self.video_entry(video_stem)
        if entry is None:
            return None
        crop = entry[1].get("crop")
        parts = crop.split(",") if isinstance(crop, str) else crop
        try:
            x1, x2, y1, y2 = (int(float(v)) for v in parts)
        except (TypeError, ValueError):
            return None
        return (x1, x2, y1, y2) if x2 > x1 >= 0 and y2 > y1 >= 0 else None

    def video_entry(self, video_stem: str) -> tuple[str, dict[str, Any]] | None:
        """The ``video_sets`` key (the video's path as recorded) and entry of the project
        video of that stem, or ``None``."""
        sets = self.raw.get("video_sets")
        if not isinstance(sets, dict):
            return None
        for key, entry in sets.items():
            if recorded_path(str(key)).stem == video_stem and isinstance(entry, dict):
                return str(key), entry
        return None

    def frame_size(self, video_stem: str) -> tuple[int, int] | None:
        """``(width, height)`` of the images DeepLabCut extracts from a project video: its
        :meth:`crop`'s size, ``x2 - x1`` by ``y2 - y1`` pixels. ``None`` where no video of
        that stem is listed or its crop is missing or not four numbers.
        """
        crop = self.crop(video_stem)
        return None if crop is None else (crop[1] - crop[0], crop[3] - crop[2])


class _ConfigLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that also reads ``!!python/tuple`` as a tuple.

    DeepLabCut 2.0.0-2.0.3 wrote new projects' ``corner2move2: (50, 50)`` with
    ``yaml.dump``, which tags it ``!!python/tuple``; ``safe_load`` refuses the tag. A tuple
    of plain YAML values is safe to build; every other Python tag is still refused.
    """


def _construct_tuple(loader: yaml.SafeLoader, node: yaml.SequenceNode) -> tuple[Any, ...]:
    return tuple(loader.construct_sequence(node))


_ConfigLoader.add_constructor("tag:yaml.org,2002:python/tuple", _construct_tuple)


def _names(value: Any) -> list[str]:
    if value is None or isinstance(value, str):
        return []
    return [str(v) for v in value]


def read_dlc_config(path: str | Path) -> DLCConfig:
    """Read a DeepLabCut ``config.yaml`` (or the project folder holding it).

    The file is only read: DeepLabCut's own ``read_config`` rewrites configs, so it
    is never called. It is read as safe YAML plus the ``!!python/tuple`` tag DeepLabCut
    2.0.0-2.0.3 wrote (``corner2move2``), read as a tuple.

    Parameters
    ----------
    path
        ``config.yaml`` or the project folder.

    Returns
    -------
    DLCConfig

    Raises
    ------
    ConfigError
        When the file is missing, not YAML, or not a mapping.
    """
    p = Path(path)
    if p.is_dir():
        p = p / "config.yaml"
    if not p.is_file():
        raise ConfigError(
            f"DeepLabCut config {p} does not exist. Pass the project's config.yaml.")
    try:
        # a SafeLoader subclass: only plain YAML and tuples are built
        raw = yaml.load(p.read_text(encoding="utf-8"), Loader=_ConfigLoader)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"DeepLabCut config {p} is not valid YAML ({exc}). Fix the file or pass the "
            "project's config.yaml.") from None
    if not isinstance(raw, dict):
        raise ConfigError(
            f"DeepLabCut config {p} is not a YAML mapping. Pass the project's config.yaml.")
    multi = bool(raw.get("multianimalproject") or False)
    ma_bodyparts = _names(raw.get("multianimalbodyparts"))
    bodyparts = _names(raw.get("bodyparts"))
    if multi and not bodyparts:  # "MULTI!"
        bodyparts = ma_bodyparts
    skeleton = []
    for edge in raw.get("skeleton") or []:
        if isinstance(edge, (list, tuple)) and len(edge) == 2:
            skeleton.append((str(edge[0]), str(edge[1])))
    pcutoff = raw.get("pcutoff")
    try:
        pcutoff = DEFAULT_PCUTOFF if pcutoff is None else float(pcutoff)
    except (TypeError, ValueError):
        logger.warning("%s: pcutoff %r is not a number; using %s.", p, pcutoff,
                       DEFAULT_PCUTOFF)
        pcutoff = DEFAULT_PCUTOFF
    video_sets = raw.get("video_sets") or {}
    return DLCConfig(
        path=p,
        task=None if raw.get("Task") is None else str(raw.get("Task")),
        scorer=None if raw.get("scorer") is None else str(raw.get("scorer")),
        project_path=None if raw.get("project_path") is None else str(raw["project_path"]),
        bodyparts=bodyparts,
        multianimalproject=multi,
        multianimalbodyparts=ma_bodyparts,
        uniquebodyparts=_names(raw.get("uniquebodyparts")),
        individuals=_names(raw.get("individuals")),
        skeleton=skeleton,
        pcutoff=pcutoff,
        video_sets=[str(v) for v in video_sets] if isinstance(video_sets, dict) else [],
        raw=raw,
    )


#: The keys of a project config that :func:`write_dlc_config` asks for: what DeepLabCut's
#: own ``create_new_project`` always writes and :func:`read_dlc_config` reads.
WRITTEN_KEYS = ("Task", "scorer", "date", "project_path", "video_sets", "bodyparts")


def write_dlc_config(config: Mapping[str, Any], path: str | Path, *,
                     overwrite: bool = False) -> Path:
    """Write a new DeepLabCut project ``config.yaml``, atomically.

    The keys are DeepLabCut's own (``Task``, ``scorer``, ``date``, ``project_path``,
    ``video_sets`` as ``{video path: {"crop": "x1, x2, y1, y2"}}``, ``bodyparts``,
    ``skeleton``, ``pcutoff``, ...), written in the order given as plain YAML, which
    :func:`read_dlc_config` and DeepLabCut read back. An existing project's config is
    never rewritten here: it is the user's.

    Parameters
    ----------
    config
        The project's settings, with at least :data:`WRITTEN_KEYS`; plain YAML values.
    path
        The ``config.yaml`` to write.
    overwrite
        Replace a config there (one this package wrote before, as the demo's).

    Returns
    -------
    pathlib.Path
        The config written.

    Raises
    ------
    ConfigError
        When ``config`` lacks one of :data:`WRITTEN_KEYS`.
    dlc_lifter.errors.OutputExistsError
        When ``path`` exists and ``overwrite`` is false.

    Examples
    --------
    >>> write_dlc_config({"Task": "mouse", "scorer": "me", "date": "Nov24",  # doctest: +SKIP
    ...                   "project_path": "/data/mouse", "video_sets": {},
    ...                   "bodyparts": ["snout", "tailbase"]}, "/data/mouse/config.yaml")
    """
    missing = [k for k in WRITTEN_KEYS if k not in config]
    if missing:
        raise ConfigError(f"A DeepLabCut config needs {', '.join(missing)}; give them (the "
                          f"keys {', '.join(WRITTEN_KEYS)} at least).")
    out = Path(path)
    text = yaml.safe_dump(dict(config), sort_keys=False)
    with atomic_output(out, overwrite=overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return out
