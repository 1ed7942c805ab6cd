"""Behaviour label files: frame CSVs and BORIS exports in, per-frame behaviour CSVs out.

Labels come from a CSV (columns ``frame`` and ``behaviour``, optionally ``video`` or
``file`` naming the recording), a one-hot table (a column of 0/1 per behaviour, one row per
frame: DeepEthogram's and daart's ``*_labels.csv``, or one behaviour's 0/1 column; frames
of no behaviour are ``background``, and -1 marks frames nobody labelled), or a BORIS
export (aggregated events ``Subject, Behavior, Start (s), Stop (s)`` or tabular events
``Time, Behavior, Status`` with START/STOP/POINT rows) or another bout table (one row per
bout: its behaviour or ``type`` with its start and end in seconds, ``from``/``to``,
``onset``/``offset`` or ``begin``/``end``, and perhaps who labelled it), turned into one
label per frame with the frame rate.
Predictions are written as ``<pose file stem>_behaviour.csv``.
"""

from __future__ import annotations

import csv
import io
import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from dlc_lifter._atomic import atomic_output
from dlc_lifter.errors import LabelFileError

__all__ = [
    "BACKGROUND",
    "align_labels",
    "behaviour_output_path",
    "labels_for",
    "load_labels",
    "write_behaviour",
]

logger = logging.getLogger(__name__)

#: Label of frames inside a BORIS observation that no state event covers.
BACKGROUND = "other"

_BEHAVIOUR_COLS = ("behaviour", "behavior", "label", "class", "type")
#: A bout's start and end (seconds) as bout tables name them, BORIS' first.
_START_COLS = ("start (s)", "start", "from", "onset", "begin", "start_s", "start_time")
_STOP_COLS = ("stop (s)", "stop", "to", "offset", "end", "stop_s", "end_s", "end_time",
              "stop_time")
#: Who labelled a bout, in tables where several people did.
_RATER_COLS = ("experimenter", "observer", "rater", "annotator", "labeller", "labeler",
               "scorer", "coder")
#: ``(start_s, stop_s, behaviour)``; stop == start is a point event.
Event = tuple[float, float, str]


# ============================================================================ tables
def _find_header(lines: list[str]) -> tuple[int, str]:
    """Row number and delimiter of the table header (BORIS puts notes above it)."""
    for i, line in enumerate(lines[:100]):
        low = line.lower()
        if not any(k in low for k in _BEHAVIOUR_COLS):
            continue
        try:
            delim = csv.Sniffer().sniff(line, delimiters=",\t;").delimiter
        except csv.Error:
            delim = ","
        fields = [f.strip().strip('"').lower() for f in line.split(delim)]
        if any(f in _BEHAVIOUR_COLS for f in fields):
            return i, delim
    return -1, ","


def _read_table(path: Path) -> tuple[pd.DataFrame, bool]:
    """The label table and whether it is one-hot (a 0/1 column per behaviour)."""
    if not path.is_file():
        raise LabelFileError(f"Label file {path} does not exist.")
    if path.suffix.lower() == ".boris":
        raise LabelFileError(f"{path} is a BORIS project, whose events are not read from it: "
                             "export them from BORIS (Observations > Export events, "
                             "aggregated or tabular, as CSV or TSV) and give that file.")
    if path.suffix.lower() in (".xlsx", ".xls", ".ods"):
        raise LabelFileError(f"{path}: spreadsheets are not read; export the labels (or the "
                             "BORIS events) as CSV or TSV.")
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    lines = text.splitlines()
    row, delim = _find_header(lines)
    if row < 0:
        df = _one_hot_table(text)
        if df is None:
            raise LabelFileError(
                f"{path}: no header with a 'behaviour' (or 'Behavior') column, and not a "
                "table of 0/1 columns, one per behaviour. Give a CSV with columns "
                "frame,behaviour[,video], a one-hot table (DeepEthogram's *_labels.csv, "
                "SimBA's targets_inserted with its classifiers last) or a BORIS "
                "aggregated / tabular events export.")
        return df, True
    df = pd.read_csv(io.StringIO("\n".join(lines[row:])), sep=delim)
    df.columns = [str(c).strip() for c in df.columns]
    return df, False


#: Values of a one-hot label table: 1 the behaviour, 0 not, -1 the frame not labelled.
_ONE_HOT_VALUES = (-1, 0, 1)


def _one_hot_table(text: str) -> pd.DataFrame | None:
    """A one-hot label table indexed by frame, or ``None`` when the text is not one: a
    header of names, an optional first column of frame numbers (unnamed or ``frame``),
    then only columns of -1/0/1; or a pose table whose last columns are 0/1, one per
    behaviour (SimBA's ``csv/targets_inserted/<video>.csv``: poses, features, then one
    column per classifier)."""
    try:
        df = pd.read_csv(io.StringIO(text), sep=None, engine="python")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error):
        return None
    if df.empty:  # no rows or no columns
        return None
    df.columns = [str(c).strip() for c in df.columns]
    first = df.columns[0]
    if first.lower() in ("", "frame", "frames", "frame_index") or first.startswith("Unnamed"):
        frames = pd.to_numeric(df[first], errors="coerce")
        if frames.isna().any() or (frames < 0).any() or (frames % 1 != 0).any():
            return None
        df = df.drop(columns=first).set_index(pd.Index(frames.astype(np.int64), name="frame"))
    else:
        df.index = pd.Index(np.arange(len(df)), name="frame")
    if df.shape[1] < 1:
        return None
    values = df.apply(pd.to_numeric, errors="coerce")
    flags = values.notna().all() & values.isin(_ONE_HOT_VALUES).all()  # per column
    if not flags.all():
        # SimBA's targets_inserted: poses and features, then one 0/1 column per classifier
        from dlc_lifter.io.flat_csv import bodypart_columns

        trailing = 0
        while trailing < len(flags) and flags.iloc[len(flags) - 1 - trailing]:
            trailing += 1
        if not trailing or not bodypart_columns(list(df.columns)):
            return None
        values = values.iloc[:, len(flags) - trailing:]
        logger.info("A pose table with behaviour columns (SimBA's targets_inserted): its "
                    "last %d columns of 0/1 read as the behaviours (%s).", trailing,
                    ", ".join(values.columns))
    return values.astype(np.int64)


def _one_hot_labels(df: pd.DataFrame, path: Path, background: str | None
                    ) -> dict[str | None, pd.Series]:
    """Labels of a one-hot table: the behaviour whose column holds 1, ``background`` where
    none does (its ``background`` column's frames, or a single behaviour's 0s), none where
    a -1 says nobody labelled the frame."""
    if df.index.duplicated().any():
        raise LabelFileError(f"{path}: frame {df.index[df.index.duplicated()][0]} is "
                             "labelled twice.")
    bg = next((c for c in df.columns if c.lower() == "background"), None)
    behaviours = [c for c in df.columns if c != bg]
    on = df[behaviours].to_numpy() == 1
    unlabelled = (df.to_numpy() == -1).any(axis=1)
    several = int((on.sum(axis=1) > 1).sum())
    if several:
        logger.warning("%s: %d frames have several behaviours; each is labelled with the first "
                       "of its columns (in the order %s).", path, several, ", ".join(behaviours))
    labels = np.full(len(df), None, dtype=object)
    hit = on.any(axis=1)
    labels[hit] = np.asarray(behaviours, dtype=object)[on.argmax(axis=1)[hit]]
    if background is not None:  # no behaviour on (the background column's, or none)
        labels[~hit] = background
    labels[unlabelled] = None
    keep = np.array([v is not None for v in labels], dtype=bool)
    if not keep.any():
        raise LabelFileError(f"{path}: every frame is -1 (not labelled), or none has a "
                             "behaviour and background=None: nothing is labelled.")
    return {None: pd.Series(labels[keep], index=pd.Index(df.index[keep], name="frame"),
                            name="behaviour", dtype=object).sort_index()}


def _col(df: pd.DataFrame, *names: str) -> str | None:
    low = {c.lower(): c for c in df.columns}
    for n in names:
        if n in low:
            return low[n]
    return None


def _first_float(values: pd.Series) -> float | None:
    for v in values:
        for part in str(v).replace(",", ";").split(";"):
            try:
                f = float(part)
            except ValueError:
                continue
            if math.isfinite(f) and f > 0:
                return f
    return None


# ============================================================================ BORIS
def _per_frame(events: list[Event], fps: float, end_s: float | None,
               background: str | None, where: str) -> pd.Series:
    """Per-frame labels from ``(start_s, stop_s, behaviour)`` events (stop == start: point)."""
    spans: list[tuple[int, int, str]] = []
    for a, b, beh in sorted(events, key=lambda e: (e[0], -e[1])):
        if b > a:  # state event: frames with a <= f / fps < b, at least one
            start = max(math.ceil(a * fps - 1e-6), 0)
            spans.append((start, max(math.ceil(b * fps - 1e-6), start + 1), beh))
        else:  # point event: its nearest frame
            start = max(round(a * fps), 0)
            spans.append((start, start + 1, beh))
    n = max((b for _, b, _ in spans), default=0)
    if end_s is not None and math.isfinite(end_s):
        n = max(n, math.ceil(end_s * fps - 1e-6))
    labels = np.full(n, None, dtype=object)
    covered = np.zeros(n, dtype=np.int64)
    for a, b, beh in spans:
        labels[a:b] = beh  # later (nested) events win
        covered[a:b] += 1
    overlap = int((covered > 1).sum())
    if overlap:
        logger.warning("%s: %d frames have overlapping behaviours; the later-starting event "
                       "labels them.", where, overlap)
    if background is not None:
        labels[covered == 0] = background
    keep = np.array([v is not None for v in labels], dtype=bool)
    return pd.Series(labels[keep], index=pd.Index(np.flatnonzero(keep), name="frame"),
                     name="behaviour", dtype=object)


def _one_subject(df: pd.DataFrame, path: Path, subject: str | None) -> pd.DataFrame:
    """The events of ``subject`` (all, with a warning when several and none asked)."""
    return _rows_of(df, path, ("subject",), subject, kind="subject")


def _one_rater(df: pd.DataFrame, path: Path, rater: str | None) -> pd.DataFrame:
    """The bouts of ``rater``; a table labelled by several people needs one named (their
    bouts overlap: merged, each frame would take whoever's bout started last)."""
    return _rows_of(df, path, _RATER_COLS, rater, kind="rater")


def _rows_of(df: pd.DataFrame, path: Path, cols: Sequence[str], value: str | None, *,
             kind: str) -> pd.DataFrame:
    """The rows whose column ``cols`` names is ``value``: a BORIS ``subject`` (several,
    none asked: merged, warned) or the ``rater`` of a bout (several, none asked:
    refused)."""
    col = _col(df, *cols)
    if col is None:
        if value is not None and kind == "rater":
            raise LabelFileError(f"{path}: rater={value!r} given, but the table has no column "
                                 f"saying who labelled each bout ({', '.join(cols)}).")
        return df
    values = sorted(map(str, df[col].dropna().unique()))
    if value is not None:
        df = df[df[col].astype(str) == value]
        if df.empty:
            raise LabelFileError(
                f"{path}: no events of subject {value!r}; subjects: {', '.join(values)}."
                if kind == "subject" else
                f"{path}: no bouts labelled by {value!r}; its '{col}' column names "
                f"{', '.join(values)}.")
    elif len(values) > 1 and kind == "subject":
        logger.warning("%s: events of several subjects (%s) are merged; pass subject= "
                       "to keep one.", path, ", ".join(values))
    elif len(values) > 1:
        raise LabelFileError(f"{path}: bouts labelled by {len(values)} people "
                             f"({', '.join(values)}, its '{col}' column); pass rater= naming "
                             "the one to train on.")
    return df


def _span_events(g: pd.DataFrame, beh: str, start_col: str, stop_col: str) -> list[Event]:
    """Events of an aggregated export (one row per event, start and stop in seconds)."""
    events: list[Event] = []
    for a, b, name in zip(pd.to_numeric(g[start_col], errors="coerce"),
                          pd.to_numeric(g[stop_col], errors="coerce"),
                          g[beh].astype(str), strict=True):
        if np.isfinite(a):
            events.append((float(a), float(b) if np.isfinite(b) else float(a), name))
    return events


def _tabular_events(g: pd.DataFrame, beh: str, where: str) -> list[Event]:
    """Events of a tabular export (START/STOP/POINT rows), START and STOP paired."""
    subj = _col(g, "subject")
    time_col, status_col = _col(g, "time"), _col(g, "status", "behavior type")
    assert time_col is not None and status_col is not None
    events: list[Event] = []
    open_: dict[tuple[str, str], float] = {}
    subj_vals = g[subj].astype(str) if subj else pd.Series("", index=g.index)
    times = pd.to_numeric(g[time_col], errors="coerce")
    for t, st, name, s in zip(times, g[status_col].astype(str).str.upper(),
                              g[beh].astype(str), subj_vals, strict=True):
        if not np.isfinite(t):
            continue
        if st == "START":
            open_[(s, name)] = float(t)
        elif st == "STOP":
            if (s, name) not in open_:
                raise LabelFileError(f"{where}: STOP of {name!r} at {t} s without a "
                                     "START; the export is incomplete.")
            events.append((open_.pop((s, name)), float(t), name))
        elif st == "POINT":
            events.append((float(t), float(t), name))
    if open_:
        raise LabelFileError(f"{where}: {', '.join(n for _, n in open_)} started but "
                             "never stopped; fix the observation in BORIS.")
    return events


def _boris_events(df: pd.DataFrame, path: Path, fps: float | None, subject: str | None,
                  background: str | None, rater: str | None = None
                  ) -> dict[str | None, pd.Series]:
    beh = _col(df, *_BEHAVIOUR_COLS)
    assert beh is not None
    df = _one_rater(_one_subject(df, path, subject), path, rater)
    key_col = _col(df, "media file name", "media file", "media file path", "observation id")
    groups = df.groupby(df[key_col].astype(str), sort=False) if key_col else [(None, df)]
    fps_col = _col(df, "fps")
    end_col = _col(df, "media duration (s)", "total length", "media duration")
    start_col, stop_col = _col(df, *_START_COLS), _col(df, *_STOP_COLS)
    out: dict[str | None, pd.Series] = {}
    for key, g in groups:
        rate = fps or (_first_float(g[fps_col]) if fps_col else None)
        if rate is None:
            raise LabelFileError(f"{path}: its bouts' times are in seconds and the file gives "
                                 "no FPS; pass fps= with the video's frame rate.")
        end = _first_float(g[end_col]) if end_col else None
        where = f"{path}" + (f" [{key}]" if key else "")
        if start_col is not None and stop_col is not None:
            events = _span_events(g, beh, start_col, stop_col)
        else:
            events = _tabular_events(g, beh, where)
        out[key] = _per_frame(events, rate, end, background, where)
    return out


# ============================================================================ frame CSV
def _frame_labels(df: pd.DataFrame, path: Path, frame: str, beh: str
                  ) -> dict[str | None, pd.Series]:
    """Labels of a ``frame, behaviour[, video]`` table, per recording."""
    key_col = _col(df, "video", "file", "filename")
    frames = pd.to_numeric(df[frame], errors="coerce")
    if frames.isna().any() or (frames < 0).any() or (frames % 1 != 0).any():
        raise LabelFileError(f"{path}: column '{frame}' must hold frame numbers (integers "
                             "from 0).")
    df = df.assign(**{frame: frames.astype(np.int64)})
    df = df[df[beh].notna()]
    groups = df.groupby(df[key_col].astype(str), sort=False) if key_col else [(None, df)]
    result: dict[str | None, pd.Series] = {}
    for key, g in groups:
        if g[frame].duplicated().any():
            dup = g.loc[g[frame].duplicated(), frame].iloc[0]
            raise LabelFileError(f"{path}: frame {dup} is labelled twice"
                                 + (f" for {key}" if key else "") + ".")
        result[key] = pd.Series(g[beh].astype(str).to_numpy(dtype=object),
                                index=pd.Index(g[frame].to_numpy(), name="frame"),
                                name="behaviour", dtype=object).sort_index()
    return result


def _load_folder(folder: Path, fps: float | None, subject: str | None,
                 background: str | None, rater: str | None = None
                 ) -> dict[str | None, pd.Series]:
    """Labels of every ``.csv``/``.tsv``/``.txt`` file of a folder, keyed by file stem (less
    a ``_labels`` ending: DeepEthogram names them ``<video>_labels.csv``)."""
    out: dict[str | None, pd.Series] = {}
    files = sorted(f for f in folder.iterdir()
                   if f.suffix.lower() in (".csv", ".tsv", ".txt") and f.is_file())
    if not files:
        raise LabelFileError(f"Label folder {folder} holds no .csv/.tsv files.")
    for f in files:
        for key, s in load_labels(f, fps=fps, subject=subject, background=background,
                                  rater=rater).items():
            out[key if key is not None else f.stem.removesuffix("_labels") or f.stem] = s
    return out


def load_labels(
    path: str | Path,
    *,
    fps: float | None = None,
    subject: str | None = None,
    background: str | None = BACKGROUND,
    rater: str | None = None,
) -> dict[str | None, pd.Series]:
    """Read behaviour labels into per-frame label series.

    Parameters
    ----------
    path
        A CSV/TSV with columns ``frame`` and ``behaviour`` (or ``behavior``/``label``)
        and optionally ``video``/``file``; or a one-hot table (one 0/1 column per
        behaviour, one row per frame, DeepEthogram's ``*_labels.csv``: ``background``,
        and -1 for a frame not labelled; SimBA's ``targets_inserted`` tables, whose last
        columns are its classifiers' 0/1); or a BORIS export: aggregated events
        (``Behavior``, ``Start (s)``, ``Stop (s)``) or tabular events (``Time``,
        ``Behavior``, ``Status`` START/STOP/POINT); or another bout table (``type`` or a
        behaviour column, with each bout's start and end in seconds: ``from``/``to``,
        ``onset``/``offset``, ``begin``/``end``); or a folder of such files, one per
        recording, named after it (``<video>.csv`` or ``<video>_labels.csv``).
    fps
        Frame rate to turn BORIS seconds into frames (default: BORIS' ``FPS`` column).
        Frame ``f`` belongs to an event when ``start <= f / fps < stop``; a point event
        labels its nearest frame.
    subject
        Keep only this BORIS subject.
    background
        Label of frames in a BORIS observation (up to the end of its last event or the
        media duration) that no event covers, and of a one-hot table's ``background``
        frames; ``None`` leaves them unlabelled. Frames a frame CSV does not list are
        always unlabelled.
    rater
        Keep only the bouts of this person, in a bout table whose ``Experimenter``
        (``observer``, ``rater``, ``annotator``...) column says who labelled each; needed
        where several did.

    Returns
    -------
    dict
        ``{recording: Series}``, the series indexed by frame number with the behaviour
        name of each labelled frame; the recording is the ``video``/``file``/media
        column's value, the file stem for a folder, or ``None``.

    Raises
    ------
    LabelFileError
        When the file is missing or its layout is not recognised.

    Examples
    --------
    >>> labels = load_labels("labels.csv")  # doctest: +SKIP
    >>> labels[None].loc[100:102]  # doctest: +SKIP
    """
    p = Path(path)
    if p.is_dir():
        return _load_folder(p, fps, subject, background, rater)
    df, one_hot = _read_table(p)
    if one_hot:
        return _one_hot_labels(df, p, background)
    beh = _col(df, *_BEHAVIOUR_COLS)
    frame = _col(df, "frame", "frame_index", "frame index", "frames")
    if frame is not None and beh is not None:
        return _frame_labels(df, p, frame, beh)
    spans = _col(df, *_START_COLS) and _col(df, *_STOP_COLS)
    tabular = (_col(df, "behavior", "behaviour") and _col(df, "time")
               and _col(df, "status", "behavior type"))
    if beh is not None and (spans or tabular):
        return _boris_events(df, p, fps, subject, background, rater)
    raise LabelFileError(
        f"{p}: columns {', '.join(map(str, df.columns))} are neither frame labels "
        "(frame, behaviour[, video]) nor bouts (a behaviour or type with its start and end "
        "in seconds: BORIS' Start (s)/Stop (s), from/to, onset/offset) nor BORIS tabular "
        "events (Time/Status).")


# ============================================================================ matching
def labels_for(
    labels: Mapping[str | None, pd.Series], poses_path: str | Path, video: str | None = None,
    *, alone: bool = False,
) -> pd.Series:
    """The labels of one recording, matched by name.

    A recording key matches when its stem (``Path(key).stem``) begins the pose file's
    stem (DeepLabCut names outputs ``<video stem><scorer>...``) or equals the stem of
    the pose file's ``video``; the longest match wins. Labels without a key match any
    file. With ``alone`` (one pose file given, and the labels of one recording), the
    labels are that file's whatever their name (a BORIS export naming a re-encoded or
    renamed copy of the video), warned.

    Raises
    ------
    LabelFileError
        When no key matches.
    """
    stem = Path(poses_path).stem
    vstem = Path(video).stem if video else None
    if None in labels and len(labels) == 1:
        return labels[None]
    best: tuple[int, str] | None = None
    for key in labels:
        if key is None:
            continue
        ks = Path(str(key)).stem
        if ks and (stem.startswith(ks) or ks == vstem) and (best is None or len(ks) > best[0]):
            best = (len(ks), str(key))
    if best is None and alone and len(labels) == 1:
        key = next(iter(labels))
        logger.warning("%s: the labels name %s, not this file or its video; taken as its "
                       "labels (one label recording, one pose file).",
                       Path(poses_path).name, key)
        return labels[key]
    if best is None:
        known = ", ".join(str(k) for k in labels if k is not None) or "none"
        raise LabelFileError(
            f"No labels for {Path(poses_path).name}: the label recordings ({known}) match "
            "neither its name nor its video. Name label files (or the video column) after "
            "the video.")
    return labels[best[1]]


def align_labels(labels: pd.Series, frames: Sequence[int] | np.ndarray) -> np.ndarray:
    """Label of each of ``frames`` (object array, ``None`` where unlabelled)."""
    s = labels[~labels.index.duplicated()]
    out = s.reindex(np.asarray(frames, dtype=np.int64)).to_numpy(dtype=object)
    return np.array([None if (v is None or (isinstance(v, float) and np.isnan(v))) else str(v)
                     for v in out], dtype=object)


# ============================================================================ output
def behaviour_output_path(poses_path: str | Path, destfolder: str | Path | None = None) -> Path:
    """``<stem>_behaviour.csv`` beside the pose file or in ``destfolder``."""
    p = Path(poses_path)
    return (Path(destfolder) if destfolder is not None else p.parent) / f"{p.stem}_behaviour.csv"


def write_behaviour(table: pd.DataFrame, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write per-frame behaviour predictions as CSV (atomically); returns the path.

    Parameters
    ----------
    table
        One row per frame, e.g. from :func:`dlc_lifter.analysis.classify.predict`
        (``frame``, ``individual``, ``time_s``, ``behaviour``, ``p_<class>``).
    path
        Output ``.csv``.
    overwrite
        Replace an existing file.

    Raises
    ------
    OutputExistsError
        When ``path`` exists and ``overwrite`` is False.
    """
    p = Path(path)
    with atomic_output(p, overwrite=overwrite) as tmp:
        table.to_csv(tmp, index=False, float_format="%.6g")
    return p
