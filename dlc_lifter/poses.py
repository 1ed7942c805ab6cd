"""The pose container shared by every part of dlc-lifter.

:class:`Poses` holds the keypoints of one recording, 2D (pixels) or 3D (mm):
``coords`` of shape ``(frames, individuals, keypoints, 2|3)`` with NaN for missing
points, ``confidence`` of shape ``(frames, individuals, keypoints)``, names of
keypoints and individuals, and metadata. It converts to and from the pandas
DataFrame layout DeepLabCut writes (column levels ``scorer / [individuals /]
bodyparts / coords``).
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Poses", "PoseMetadata"]

logger = logging.getLogger(__name__)

_COORDS_2D = ("x", "y")
_COORDS_3D = ("x", "y", "z")


@dataclass
class PoseMetadata:
    """Where poses came from and what their numbers mean.

    Attributes
    ----------
    source
        Path of the file the poses were read from (``None`` if made in memory).
    source_format
        ``dlc-h5``, ``dlc-csv``, ``dlc-labels``, ``sleap-slp``, ``sleap-h5``, ``nwb``,
        ``synthetic`` or ``lifted``.
    scorer
        DLC scorer (network) name, or the tool that made the poses.
    fps
        Frames per second, if known.
    image_size
        ``(width, height)`` of the video frames in pixels, if known.
    frame
        Coordinate frame: ``image`` (2D pixels), ``world`` (calibrated arena frame),
        ``arena`` (from tracked arena corners: origin at the arena's centre),
        ``camera-floor`` (origin on the floor below the camera, see CONVENTIONS).
    units
        ``px`` or ``mm``.
    video
        Path of the video the poses belong to, if known.
    extra
        Anything else worth carrying (camera, model, skeleton edges...).
    """

    source: str | None = None
    source_format: str | None = None
    scorer: str = "dlc_lifter"
    fps: float | None = None
    image_size: tuple[int, int] | None = None
    frame: str = "image"
    units: str = "px"
    video: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Poses:
    """Keypoints of one recording: 2D pixels or 3D millimetres.

    Parameters
    ----------
    coords
        ``(frames, individuals, keypoints, 2|3)`` float array, NaN = missing.
    confidence
        ``(frames, individuals, keypoints)`` likelihood in ``[0, 1]``; ``None``
        means 1 where coordinates are present and NaN elsewhere.
    keypoints
        Keypoint (bodypart / node) names, as the source named them.
    individuals
        Individual (track) names; single-animal data has one, conventionally
        ``"individual0"``. DLC's unique bodyparts live under ``"single"``.
    frame_indices
        Frame number of each row in the video (DLC labelled data and SLEAP
        predictions may skip frames). Defaults to ``0..frames-1``.
    meta
        :class:`PoseMetadata`.
    """

    coords: np.ndarray
    confidence: np.ndarray | None = None
    keypoints: Sequence[str] = ()
    individuals: Sequence[str] = ("individual0",)
    frame_indices: np.ndarray | None = None
    meta: PoseMetadata = field(default_factory=PoseMetadata)

    def __post_init__(self) -> None:
        coords = np.asarray(self.coords, dtype=np.float64)
        if coords.ndim == 3:  # (frames, keypoints, d): single individual
            coords = coords[:, None]
        if coords.ndim != 4 or coords.shape[-1] not in (2, 3):
            raise ValueError(
                "Poses.coords must have shape (frames, individuals, keypoints, 2|3); "
                f"got {coords.shape}."
            )
        self.coords = coords
        n_frames, n_ind, n_kp, _ = coords.shape
        self.keypoints = [str(k) for k in self.keypoints] or [f"kp{i}" for i in range(n_kp)]
        self.individuals = [str(i) for i in self.individuals]
        if len(self.keypoints) != n_kp:
            raise ValueError(f"{len(self.keypoints)} keypoint names for {n_kp} keypoints.")
        if len(self.individuals) != n_ind:
            raise ValueError(f"{len(self.individuals)} individual names for {n_ind} individuals.")
        if len(set(self.keypoints)) != n_kp:
            dupes = sorted({k for k in self.keypoints if list(self.keypoints).count(k) > 1})
            raise ValueError(f"Duplicate keypoint names: {', '.join(dupes)}.")
        missing = np.isnan(coords).any(axis=-1)
        if self.confidence is None:
            conf = np.where(missing, np.nan, 1.0)
        else:
            conf = np.asarray(self.confidence, dtype=np.float64)
            if conf.ndim == 2:
                conf = conf[:, None]
            if conf.shape != coords.shape[:3]:
                raise ValueError(
                    f"confidence shape {conf.shape} does not match coords {coords.shape[:3]}."
                )
            conf = np.where(missing, np.nan, conf)
        self.confidence = conf
        if self.frame_indices is None:
            self.frame_indices = np.arange(n_frames)
        else:
            self.frame_indices = np.asarray(self.frame_indices, dtype=np.int64)
            if self.frame_indices.shape != (n_frames,):
                raise ValueError("frame_indices must have one entry per frame.")

    # ------------------------------------------------------------------ shape
    @property
    def n_frames(self) -> int:
        """Number of frames (rows)."""
        return int(self.coords.shape[0])

    @property
    def n_individuals(self) -> int:
        """Number of individuals."""
        return int(self.coords.shape[1])

    @property
    def n_keypoints(self) -> int:
        """Number of keypoints."""
        return int(self.coords.shape[2])

    @property
    def ndim(self) -> int:
        """Spatial dimension: 2 or 3."""
        return int(self.coords.shape[3])

    @property
    def is_3d(self) -> bool:
        """Whether the poses are 3D."""
        return self.ndim == 3

    @property
    def stills(self) -> bool:
        """Whether the rows are separate images, not a video's run of frames: labelled data
        (``meta.extra["image_paths"]``), or a lift that lifted every row alone
        (``meta.extra["lift_mode"]``: frames not consecutive). Speeds and other changes
        over time mean nothing between them."""
        if "image_paths" in self.meta.extra:
            return True
        mode = self.meta.extra.get("lift_mode")
        return (isinstance(mode, dict) and self.n_frames > 1
                and mode.get("frames_alone") == self.n_frames)

    @property
    def missing(self) -> np.ndarray:
        """``(frames, individuals, keypoints)`` bool, True where a point is missing."""
        return np.isnan(self.coords).any(axis=-1)

    def __len__(self) -> int:
        return self.n_frames

    def __repr__(self) -> str:
        return (
            f"Poses({self.n_frames} frames, {self.n_individuals} individuals, "
            f"{self.n_keypoints} keypoints, {self.ndim}D, {self.meta.units}, "
            f"source={self.meta.source!r})"
        )

    # ---------------------------------------------------------------- slicing
    def _index(self, names: str | Sequence[str] | int | Sequence[int] | slice,
               pool: Sequence[str], what: str) -> list[int] | slice:
        if isinstance(names, slice):
            return names
        if isinstance(names, (str, int, np.integer)):
            names = [names]  # type: ignore[list-item]
        out = []
        for n in names:  # type: ignore[union-attr]
            if isinstance(n, (int, np.integer)):
                out.append(int(n))
            elif n in pool:
                out.append(list(pool).index(n))
            else:
                raise KeyError(f"No {what} named '{n}'; available: {', '.join(pool)}.")
        return out

    def select(
        self,
        frames: slice | Sequence[int] | np.ndarray | None = None,
        individuals: str | Sequence[str] | slice | None = None,
        keypoints: str | Sequence[str] | slice | None = None,
    ) -> Poses:
        """Return a new :class:`Poses` restricted to frames, individuals, keypoints.

        A lift's imputed flags (``meta.extra["imputed"]``, ``(frames, individuals,
        keypoints)`` like :attr:`confidence`) are restricted alike.

        Parameters
        ----------
        frames
            Slice or integer row indices (rows, not video frame numbers).
        individuals, keypoints
            Names, integer positions or a slice.
        """
        f = slice(None) if frames is None else frames
        ii = slice(None) if individuals is None else self._index(
            individuals, self.individuals, "individual")
        kk = slice(None) if keypoints is None else self._index(
            keypoints, self.keypoints, "keypoint")
        coords = self.coords[f][:, ii][:, :, kk]
        conf = self.confidence[f][:, ii][:, :, kk]
        meta = copy.deepcopy(self.meta)
        imputed = meta.extra.get("imputed")
        if imputed is not None and np.shape(imputed) == self.confidence.shape:
            meta.extra["imputed"] = np.asarray(imputed)[f][:, ii][:, :, kk].copy()
        return Poses(
            coords=coords.copy(),
            confidence=conf.copy(),
            keypoints=list(np.asarray(self.keypoints, dtype=object)[kk]),
            individuals=list(np.asarray(self.individuals, dtype=object)[ii]),
            frame_indices=np.asarray(self.frame_indices)[f].copy(),
            meta=meta,
        )

    def select_individual(self, individual: str | int,
                          refusal: Callable[[str], Exception]) -> Poses:
        """The poses of one individual (a name or a position), refused where there is none.

        Parameters
        ----------
        individual
            Its name, or its position among :attr:`individuals`.
        refusal
            Makes the error raised where there is no such individual, from the names there
            are (``"mouse1, mouse2"``): each reader's own, with its own words.

        Examples
        --------
        >>> from dlc_lifter.errors import PoseFileError
        >>> p = Poses(coords=np.zeros((2, 2, 3, 2)), individuals=["a", "b"],
        ...           keypoints=["nose", "ear", "tail"])
        >>> p.select_individual("b", lambda names: PoseFileError(names)).individuals
        ['b']
        """
        try:
            return self.select(individuals=individual)
        except (KeyError, IndexError):
            raise refusal(", ".join(map(str, self.individuals))) from None

    def __getitem__(self, frames: slice | Sequence[int] | np.ndarray) -> Poses:
        return self.select(frames=frames)

    def with_coords(
        self, coords: np.ndarray, confidence: np.ndarray | None = None, **meta: Any
    ) -> Poses:
        """A copy with new coordinates (e.g. lifted 3D), same names and frame indices."""
        new_meta = copy.deepcopy(self.meta)
        extra = meta.pop("extra", None)
        for k, v in meta.items():
            setattr(new_meta, k, v)
        if extra:
            new_meta.extra.update(extra)
        return Poses(
            coords=coords,
            confidence=self.confidence.copy() if confidence is None else confidence,
            keypoints=list(self.keypoints),
            individuals=list(self.individuals),
            frame_indices=np.asarray(self.frame_indices).copy(),
            meta=new_meta,
        )

    # ------------------------------------------------------------- DataFrame
    def to_dataframe(
        self,
        scorer: str | None = None,
        *,
        multi_animal: bool | None = None,
        likelihood: bool = True,
    ) -> pd.DataFrame:
        """Convert to DeepLabCut's DataFrame layout.

        Columns are ``scorer / bodyparts / coords`` for a single individual (unless
        ``multi_animal``) and ``scorer / individuals / bodyparts / coords`` otherwise;
        coords are ``x, y[, z][, likelihood]``. The index holds the frame indices.

        Parameters
        ----------
        scorer
            Top column level; defaults to ``meta.scorer``.
        multi_animal
            Force the 4-level layout. Default: only when more than one individual
            or the individual is not the default name.
        likelihood
            Include the likelihood column.
        """
        scorer = scorer or self.meta.scorer
        if multi_animal is None:  # movement names a single animal "individual_0"
            multi_animal = self.n_individuals > 1 or self.individuals[0] not in (
                "individual0", "individual_0", "single_animal")
        coord_names = list(_COORDS_3D if self.is_3d else _COORDS_2D)
        blocks = [self.coords]
        if likelihood:
            coord_names.append("likelihood")
            blocks.append(self.confidence[..., None])
        values = np.concatenate(blocks, axis=-1)  # (F, I, K, C)
        n_frames = self.n_frames
        if multi_animal:
            columns = pd.MultiIndex.from_product(
                [[scorer], list(self.individuals), list(self.keypoints), coord_names],
                names=["scorer", "individuals", "bodyparts", "coords"],
            )
            data = values.reshape(n_frames, -1)
        else:
            if self.n_individuals != 1:
                raise ValueError("Single-animal layout needs exactly one individual.")
            columns = pd.MultiIndex.from_product(
                [[scorer], list(self.keypoints), coord_names],
                names=["scorer", "bodyparts", "coords"],
            )
            data = values[:, 0].reshape(n_frames, -1)
        return pd.DataFrame(data, index=pd.Index(self.frame_indices), columns=columns)

    @classmethod
    def from_dataframe(cls, df: pd.DataFrame, *, source: str | None = None) -> Poses:
        """Build from a DeepLabCut-layout DataFrame (2D or 3D, single or multi-animal).

        Unique bodyparts of multi-animal projects (individual ``single``) become
        their own individual ``single`` with NaN for the other keypoints.

        Raises
        ------
        ValueError
            If the columns are not DLC's levels.
        """
        from dlc_lifter.errors import PoseFileError

        where = source or "the DataFrame"
        cols = df.columns
        if not isinstance(cols, pd.MultiIndex) or cols.nlevels not in (3, 4):
            raise PoseFileError(
                f"{where}: columns are not DeepLabCut's (scorer / [individuals /] bodyparts "
                "/ coords). Pass a DLC analyze_videos or labelled-data file."
            )
        names = list(cols.names)
        if cols.nlevels == 3 and _scorers_as_animals(cols, where):
            df = df.set_axis(pd.MultiIndex.from_arrays(
                [[str(cols.get_level_values(0)[0])] * len(cols),
                 [str(v) for v in cols.get_level_values(0)], cols.get_level_values(1),
                 cols.get_level_values(2)]), axis=1)
            names = ["scorer", "individuals", "bodyparts", "coords"]
        elif cols.nlevels == 3:
            df = pd.concat({"individual0": df}, axis=1, names=["individuals"])
            df = df.reorder_levels([1, 0, 2, 3], axis=1)
            names = ["scorer", "individuals", "bodyparts", "coords"]
        df.columns = df.columns.set_names(names if None not in names
                                          else ["scorer", "individuals", "bodyparts", "coords"])
        coords_level = [str(c) for c in df.columns.get_level_values(-1).unique()]
        dims = [c for c in ("x", "y", "z") if c in coords_level]
        if dims not in (["x", "y"], ["x", "y", "z"]):
            raise PoseFileError(
                f"{where}: the last column level must hold x, y[, z][, likelihood]; "
                f"found {coords_level}."
            )
        scorers = list(df.columns.get_level_values(0).unique())
        individuals = list(dict.fromkeys(df.columns.get_level_values(1)))
        keypoints = list(dict.fromkeys(df.columns.get_level_values(2)))
        n_frames = len(df)
        coords = np.full((n_frames, len(individuals), len(keypoints), len(dims)), np.nan)
        conf = np.full((n_frames, len(individuals), len(keypoints)), np.nan)
        has_likelihood = "likelihood" in coords_level
        sub = df.droplevel(0, axis=1) if len(scorers) == 1 else df.T.groupby(
            level=[1, 2, 3]).first().T
        for i, ind in enumerate(individuals):
            for k, kp in enumerate(keypoints):
                if (ind, kp, dims[0]) not in sub.columns:
                    continue
                for d, c in enumerate(dims):
                    coords[:, i, k, d] = pd.to_numeric(sub[(ind, kp, c)], errors="coerce")
                if has_likelihood and (ind, kp, "likelihood") in sub.columns:
                    conf[:, i, k] = pd.to_numeric(sub[(ind, kp, "likelihood")], errors="coerce")
                else:
                    conf[:, i, k] = np.where(np.isnan(coords[:, i, k]).any(-1), np.nan, 1.0)
        conf = np.where(np.isnan(coords).any(-1), np.nan, conf)
        index = df.index
        numbered = _frame_numbers(index, where)
        if numbered is not None:  # frame0000 (DLC 2.3's SuperAnimal video inference), 7.0
            index = pd.Index(numbered)
        if isinstance(index, pd.MultiIndex) or not pd.api.types.is_integer_dtype(index.dtype):
            frame_indices = np.arange(n_frames)
        else:
            frame_indices = np.asarray(index, dtype=np.int64)
        meta = PoseMetadata(
            source=source, scorer=str(scorers[0]),
            frame="image" if len(dims) == 2 else "world",
            units="px" if len(dims) == 2 else "mm",
        )
        if isinstance(index, pd.MultiIndex) or not pd.api.types.is_integer_dtype(index.dtype):
            meta.extra["image_paths"] = [
                "/".join(map(str, ix)) if isinstance(ix, tuple) else str(ix) for ix in index]
        return cls(coords=coords, confidence=conf, keypoints=keypoints,
                   individuals=individuals, frame_indices=frame_indices, meta=meta)


def _whole_frame_numbers(values: np.ndarray, where: str) -> np.ndarray:
    """A float row index as frame numbers, where each is a whole number."""
    from dlc_lifter.errors import PoseFileError

    bad = ~np.isfinite(values) | (values != np.round(values))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise PoseFileError(
            f"{where}: its row index holds numbers that are not whole frame numbers "
            f"({float(values[row])!r} at row {row}, {int(bad.sum())} of {len(values)} rows); a "
            "DeepLabCut table's rows are numbered by frame (0, 1, 2, ...) or named by "
            "image. If the index holds times, save the table with the video's frame "
            "numbers as its index (df.index = frame numbers) and pass that file.")
    return values.astype(np.int64)


_FRAME_NAME = re.compile(r"^(?:frame[_-]?)?(\d+)$", re.IGNORECASE)


def _scorers_as_animals(cols: pd.MultiIndex, where: str) -> bool:
    """Whether a single-animal table's scorers are its animals: each scorer with the same
    bodyparts (A-SOiD's ``Resident`` / ``Intruder``, or two tables joined side by side),
    which merging would mix. Scorers that share some bodyparts only are merged, warned."""
    scorer = cols.get_level_values(0)
    scorers = list(dict.fromkeys(scorer))
    if len(scorers) < 2:
        return False
    parts = [set(zip(cols.get_level_values(1)[scorer == s], cols.get_level_values(2)[
        scorer == s], strict=True)) for s in scorers]
    listed = ", ".join(map(str, scorers))
    if all(q == parts[0] for q in parts):
        logger.warning("%s: its columns hold %d scorers (%s), each with the same bodyparts: "
                       "read as %d animals named after them. If they are one animal's "
                       "tracking by two networks, lift each table on its own.", where,
                       len(scorers), listed, len(scorers))
        return True
    if any(parts[i] & parts[j] for i in range(len(parts)) for j in range(i + 1, len(parts))):
        logger.warning("%s: its columns hold %d scorers (%s) sharing some bodyparts: read as "
                       "one animal, each bodypart from the first scorer that has it.", where,
                       len(scorers), listed)
    return False


def _frame_numbers(index: pd.Index, where: str) -> np.ndarray | None:
    """Frame numbers of an index of frame names (``frame0000``, ``frame_12``, ``"7"``:
    DeepLabCut 2.3's SuperAnimal video inference writes ``frame%04d``) or of whole-number
    floats (``0.0, 1.0, ...``: a table that went through floats in pandas before it was
    saved), or ``None`` where it is not one (image paths, a MultiIndex, integers already).

    Raises
    ------
    PoseFileError
        When the index holds floats that are not whole numbers (nor frame names).
    """
    if isinstance(index, pd.MultiIndex):
        return None
    if pd.api.types.is_float_dtype(index.dtype):
        return _whole_frame_numbers(np.asarray(index, dtype=np.float64), where)
    if pd.api.types.is_numeric_dtype(index.dtype):
        return None
    out = []
    for v in index:
        m = _FRAME_NAME.match(str(v)) if isinstance(v, str) else None
        if m is None:
            return None
        out.append(int(m.group(1)))
    return np.asarray(out, dtype=np.int64) if out else None
