"""See a lifted 3D file: a side-by-side video (original frame | 3D skeleton) and PNG plots.

:func:`plot_lifted` writes, next to the 3D file or into ``out_dir``:

* ``<stem>_3d.mp4``: the original video frame (when given and readable) beside the 3D
  skeleton seen from a slowly rotating oblique camera above the floor, with its shadow
  and the body-centre trail on the floor grid; drawn with OpenCV for speed;
* ``<stem>_heights.png``: the height above the floor of each keypoint over time, with
  rearing bouts shaded (head height above ``rearing_mm`` for at least
  ``rearing_min_s``);
* ``<stem>_trajectory.png``: the top-down path of the body centre, coloured by time;
* ``<stem>_plots.json``: what they were drawn from (the lift's record of its file) and
  with which options, by which a rerun over many files skips plots up to date
  (:func:`plots_up_to_date`).

Every file is written atomically (a temporary file in the same folder, then renamed).
:class:`PlotStep` draws them for each output of a batch
(``lift_videos(..., after_each=PlotStep())``, ``dlc-lifter lift-project --plot``).
Skeleton edges come from the mouse catalogue (nose - ears - neck - back - tail chain,
limbs) among the keypoints present, whatever the user called them.

One module although long: the video and the PNGs are drawn from the same helpers
(:func:`body_centre`, the fps) and :func:`plot_lifted` writes all of them, so a split
would only move those helpers into a third module that both halves import. The rearing
rule (:func:`head_height`, :func:`rearing_bouts`) lives in
:mod:`dlc_lifter.analysis.rearing`, which the features table's ``rearing`` column uses
too; its names are importable from here as before.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from dlc_lifter._atomic import atomic_output, check_writable
from dlc_lifter._progress import progress_bar
from dlc_lifter._version import __version__
from dlc_lifter.analysis.features import untracked_slots
from dlc_lifter.analysis.rearing import (
    REARING_MIN_S,
    REARING_MM,
    head_height,
    rearing_bouts,
    rearing_frames,
)
from dlc_lifter.errors import VideoError
from dlc_lifter.io.provenance import made_from, source_record
from dlc_lifter.io.records import read_record, write_record
from dlc_lifter.io.video import (
    FRAME_COUNT_SLACK,
    VideoReader,
    not_a_video,
    open_video,
    video_info,
)
from dlc_lifter.lift.destinations import Provenance
from dlc_lifter.mouse.edges import canonical_names, skeleton_edges
from dlc_lifter.poses import Poses

if TYPE_CHECKING:  # pragma: no cover
    from dlc_lifter.lift.batch import BatchItem

__all__ = [
    "DEFAULT_FPS",
    "PLOTS_PROVENANCE",
    "PlotStep",
    "REARING_MIN_S",
    "REARING_MM",
    "STILLS_FPS",
    "body_centre",
    "canonical_names",
    "head_height",
    "individual_colour",
    "plot_heights",
    "plot_lifted",
    "plot_paths",
    "plot_trajectory",
    "plots_record_path",
    "plots_up_to_date",
    "read_lifted",
    "rearing_bouts",
    "render_video",
    "skeleton_edges",
]

logger = logging.getLogger(__name__)

#: Frame rate assumed when neither the file nor the video gives one.
DEFAULT_FPS = 30.0

_FRONT = ("neck", "head_midpoint", "left_ear", "right_ear", "mid_back", "left_shoulder",
          "right_shoulder")
_BACK = ("tail_base", "mid_backend3", "mid_backend2", "left_hip", "right_hip")

# BGR colours of individuals in the video (OpenCV draws BGR; frames are converted); the
# trajectory plot gives each animal the same colour (:func:`individual_colour`).
_IND_COLOURS = ((40, 40, 220), (200, 120, 20), (40, 170, 40), (170, 40, 170), (0, 140, 255))


def individual_colour(i: int) -> tuple[float, float, float]:
    """RGB (0-1) of the ``i``-th individual, as the 3D video and the trajectory draw it."""
    b, g, r = _IND_COLOURS[i % len(_IND_COLOURS)]
    return r / 255, g / 255, b / 255


def _tint(rgb: Sequence[float], towards: float, share: float) -> tuple[float, float, float]:
    """``rgb`` moved ``share`` of the way to white (``towards=1``) or black (0)."""
    return tuple(float(c + (towards - c) * share) for c in rgb)  # type: ignore[return-value]


# --------------------------------------------------------------------------- helpers
#: Frames of a 3D video beyond which the log says how long it is and how to draw fewer
#: (5 minutes at 30 fps).
LONG_VIDEO_FRAMES = 9000


def read_lifted(path: str | Path) -> Poses:
    """Read a lifted 3D file (DLC 3D ``.h5``/``.csv`` layout) into :class:`Poses`.

    Raises
    ------
    dlc_lifter.errors.PoseFileError
        When the file is missing or holds 2D poses.
    """
    from dlc_lifter.errors import PoseFileError

    p = Path(path)
    if not p.exists():
        raise PoseFileError(f"Lifted 3D file {p} does not exist. Run 'dlc-lifter lift' first.")
    from dlc_lifter.io import read_poses

    poses = read_poses(p)
    if not poses.is_3d:
        raise PoseFileError(
            f"{p} holds 2D poses; plot the *_lifted3d.h5 file that 'dlc-lifter lift' wrote.")
    return poses


def _recorded_video(poses: Poses, src: Path) -> str | None:
    """The video the lift of ``src`` recorded, if it is still there; else ``None``, with a
    warning naming it (the 3D view is then drawn alone)."""
    recorded = poses.meta.video or poses.meta.extra.get("recorded_video")
    if poses.meta.video and Path(poses.meta.video).is_file():
        return poses.meta.video
    if recorded:
        where = "" if Path(recorded).is_absolute() else f" (looked for from {Path.cwd()})"
        logger.warning("%s: the video its lift recorded, %s, is not there%s: drawing the 3D "
                       "view only. Give the video with video= (--video on the command line).",
                       src.name, recorded, where)
    return None


def _mean_of(coords: np.ndarray, canon: Sequence[str | None], names: Sequence[str]) -> np.ndarray:
    sel = [i for i, c in enumerate(canon) if c in names]
    shape = coords.shape[:2] + coords.shape[3:]
    if not sel:
        return np.full(shape, np.nan)
    with np.errstate(invalid="ignore"), _quiet_nanmean():
        return np.nanmean(coords[:, :, sel], axis=2)


@contextmanager
def _quiet_nanmean() -> Iterator[None]:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def body_centre(poses: Poses) -> np.ndarray:
    """Body-centre position ``(frames, individuals, 3)``.

    ``mouse_center`` when tracked, else the midpoint of the front (neck, head, ears,
    shoulders) and back (tail base, lower back, hips) keypoints, else the mean of all
    keypoints.
    """
    canon = canonical_names(poses.keypoints)
    c = poses.coords
    centre = _mean_of(c, canon, ("mouse_center",))
    front = _mean_of(c, canon, _FRONT)
    back = _mean_of(c, canon, _BACK)
    with _quiet_nanmean():
        fb = np.nanmean(np.stack([front, back]), axis=0)
        fb = np.where(np.isnan(front) | np.isnan(back), fb, (front + back) / 2)
        allmean = np.nanmean(c, axis=2)
    out = np.where(np.isnan(centre), fb, centre)
    return np.where(np.isnan(out), allmean, out)


#: Images a second in the 3D video of labelled images (rows that are not a video).
STILLS_FPS = 2.0


def _fps_of(poses: Poses, fps: float | None, video_fps: float | None = None) -> float:
    for f in (fps, poses.meta.fps, video_fps):
        if f and np.isfinite(f) and f > 0:
            return float(f)
    logger.warning("%s: frame rate unknown; assuming %.0f fps.", poses.meta.source, DEFAULT_FPS)
    return DEFAULT_FPS


# --------------------------------------------------------------------------- PNGs
def tracked_keypoints(poses: Poses) -> list[int]:
    """Indices of the keypoints the 2D file tracked (not imputed in every frame).

    Lifted files flag imputed points (``meta.extra["imputed"]``, the ``/imputed``
    dataset); landmarks the 2D file never tracked are imputed everywhere and are left
    out of the per-keypoint plots. Without flags every keypoint is shown.
    """
    imputed = poses.meta.extra.get("imputed")
    if imputed is None or np.shape(imputed) != poses.confidence.shape:
        return list(range(poses.n_keypoints))
    # tracked: placed (finite) and not imputed in some frame; frames with no 3D at all
    # carry imputed=False and count for nothing
    placed = np.isfinite(np.asarray(poses.coords, float)).all(-1)
    tracked = (placed & ~np.asarray(imputed, bool)).any(axis=(0, 1))
    keep = [k for k in range(poses.n_keypoints) if tracked[k]]
    return keep or list(range(poses.n_keypoints))


#: Names in a column of the heights figure's legend (at 7 pt, beside a 2.8 in panel)
#: before another column is added.
HEIGHTS_LEGEND_ROWS = 14


def _line_colours(n: int) -> list[tuple[float, ...]]:
    """``n`` colours, no two alike: tab10 for up to 10 lines, tab20 for up to 20, then
    tab20, tab20b and tab20c's 60, then hues around the circle."""
    from matplotlib import colormaps

    names = ("tab10",) if n <= 10 else ("tab20",) if n <= 20 else ("tab20", "tab20b",
                                                                     "tab20c")
    pool = [tuple(c) for name in names for c in colormaps[name].colors]
    if n > len(pool):
        hsv = colormaps["hsv"]
        pool = [tuple(hsv(j / n)) for j in range(n)]
    return pool[:n]


def plot_heights(
    poses: Poses, path: str | Path, *, fps: float | None = None,
    threshold_mm: float = REARING_MM, min_duration_s: float = REARING_MIN_S,
) -> Path:
    """Plot each keypoint's height over time with rearing bouts shaded; write a PNG.

    Each keypoint drawn has its own colour and its name in the legend beside the panel,
    in as many columns of :data:`HEIGHTS_LEGEND_ROWS` names as it takes (the figure
    widens with them), so that every name lies inside the PNG.

    Parameters
    ----------
    poses
        Lifted 3D poses (mm); heights are ``z``, shape (frames, individuals, keypoints).
    path
        The PNG to write (replaced).
    fps
        Frame rate; default the file's (else the video's, else assumed, warned).
    threshold_mm, min_duration_s
        The head's height and how long above it that count as a rearing bout (shaded).

    Returns
    -------
    Path
        The PNG written.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure  # not pyplot: the caller's backend left alone

    stills = poses.stills  # labelled images: one point each, no bouts over time
    fps = 1.0 if stills else _fps_of(poses, fps)
    t = np.arange(poses.n_frames) / fps
    heads = head_height(poses)
    n_ind = poses.n_individuals
    shown = tracked_keypoints(poses)
    # each animal's own keypoints (a two-animal table writes each under its own names)
    own = [[k for k in shown if np.isfinite(poses.coords[:, i, k, 2]).any()]
           for i in range(n_ind)]
    ncol = max(1, math.ceil(max(map(len, own)) / HEIGHTS_LEGEND_ROWS))
    # each legend column widens the figure, so the traces keep their width
    fig = Figure(figsize=(10 + 1.7 * (ncol - 1), 2.8 * n_ind + 0.6))
    FigureCanvasAgg(fig)
    axes = fig.subplots(n_ind, 1, sharex=True, squeeze=False)
    colour_of = dict(zip(shown, _line_colours(len(shown)), strict=True))
    for i, ax in enumerate(axes[:, 0]):
        bouts = [] if stills else rearing_bouts(heads[:, i], fps, threshold_mm=threshold_mm,
                                                min_duration_s=min_duration_s)
        for a, b in bouts:
            ax.axvspan(t[a], t[b - 1] + 1 / fps, color="tab:orange", alpha=0.25, lw=0)
        for k in own[i]:
            ax.plot(t, poses.coords[:, i, k, 2], "o" if stills else "-", ms=3, lw=0.9,
                    color=colour_of[k], label=poses.keypoints[k])
        ax.axhline(threshold_mm, color="0.3", ls="--", lw=0.8)
        ax.axhline(0, color="0.6", lw=0.6)
        rear_s = sum(b - a for a, b in bouts) / fps
        above = int(rearing_frames(heads[:, i], None, threshold_mm=threshold_mm).sum())
        title = (f"{above} of {poses.n_frames} images with "
                 f"the head above {threshold_mm:g} mm (dashed)" if stills else
                 f"{len(bouts)} rearing bouts ({rear_s:.1f} s), shaded: the head (the nose "
                 f"where it has a position) above {threshold_mm:g} mm (dashed) for at least "
                 f"{min_duration_s:g} s")
        if n_ind > 1:
            title = f"{poses.individuals[i]}: {title}"
        ax.set_title(title, fontsize=9, loc="left")
        ax.set_ylabel("height above floor (mm)")
        ax.grid(alpha=0.3, lw=0.5)
    for i in range(n_ind if any(o != own[0] for o in own) else 1):
        if own[i]:
            axes[i, 0].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.005, 1.0),
                              frameon=False, ncol=ncol, columnspacing=1.0,
                              handlelength=1.5)
    axes[-1, 0].set_xlabel("labelled image (row)" if stills else "time (s)")
    fig.suptitle(Path(str(poses.meta.source or "")).name, fontsize=9)
    fig.tight_layout()
    out = Path(path)
    with atomic_output(out, overwrite=True) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    return out


def plot_trajectory(poses: Poses, path: str | Path, *, fps: float | None = None) -> Path:
    """Plot the top-down path of the body centre coloured by time; write a PNG.

    One animal: its path in viridis over time. Several: each animal in its own colour
    (the one the 3D video draws it in), light at the start and dark at the end, its path,
    start and end markers in that colour too, and a legend naming them. Labelled images,
    and a SLEAP file's untracked slots (which may hold another animal in the next frame:
    :func:`~dlc_lifter.analysis.features.untracked_slots`), get their points only: no path
    joins them.

    Returns
    -------
    Path
        The PNG written.
    """
    from matplotlib import colormaps
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import LinearSegmentedColormap
    from matplotlib.figure import Figure  # not pyplot: the caller's backend left alone
    from matplotlib.lines import Line2D

    stills = poses.stills  # labelled images: where each was, no path between them
    fps = 1.0 if stills else _fps_of(poses, fps)
    t = np.arange(poses.n_frames) / fps
    centre = body_centre(poses)
    fig = Figure(figsize=(6.4, 5.6))
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    markers = "os^Dv"
    several = poses.n_individuals > 1
    slots = untracked_slots(poses)
    sc = None
    handles: list[Line2D] = []
    for i, ind in enumerate(poses.individuals):
        xy = centre[:, i, :2]
        ok = ~np.isnan(xy).any(axis=1)
        if not ok.any():
            continue
        alone = stills or str(ind) in slots  # no identity from row to row: no path
        rgb = individual_colour(i)
        cmap = (LinearSegmentedColormap.from_list(
            f"individual{i}", [_tint(rgb, 1.0, 0.75), rgb, _tint(rgb, 0.0, 0.5)])
            if several else colormaps["viridis"])
        if not alone:
            ax.plot(xy[:, 0], xy[:, 1], color=_tint(rgb, 1.0, 0.5) if several else "0.75",
                    lw=0.6, zorder=1)
        sc = ax.scatter(xy[ok, 0], xy[ok, 1], c=t[ok], cmap=cmap, s=16 if stills else 6,
                        vmin=t[0], vmax=t[-1],  # one clock for every animal
                        marker=markers[i % len(markers)], zorder=2)
        if several:
            handles.append(Line2D([], [], ls="", marker=markers[i % len(markers)], ms=6,
                                  color=rgb, label=str(ind)))
        if not alone:
            first, last = np.flatnonzero(ok)[[0, -1]]
            face = rgb if several else "k"
            ax.plot(*xy[first], ">", color=face, mec="k", ms=8 if several else 7, zorder=3)
            ax.plot(*xy[last], "s", color=face, mec="k", ms=7 if several else 6, zorder=3)
    label = "labelled image (row)" if stills else "time (s)"
    if sc is not None and several:  # the clock as lightness, whichever animal's colour
        clock = ScalarMappable(
            norm=sc.norm, cmap=LinearSegmentedColormap.from_list("clock", ["0.85", "0.1"]))
        fig.colorbar(clock, ax=ax, shrink=0.85,
                     label=f"{label}: light to dark, in each animal's colour")
    elif sc is not None:
        fig.colorbar(sc, ax=ax, label=label, shrink=0.85)
    if several:
        if not stills:
            handles += [Line2D([], [], ls="", marker=">", color="w", mec="k", label="start"),
                        Line2D([], [], ls="", marker="s", color="w", mec="k", label="end")]
        ax.legend(handles=handles, fontsize=8)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel("x (mm)")
    ax.set_ylabel("y (mm)")
    ax.set_title("body centre in each labelled image, top view" if stills else
                 "body centre, top view (> start, \u25a0 end)", fontsize=9)
    ax.grid(alpha=0.3, lw=0.5)
    fig.tight_layout()
    out = Path(path)
    with atomic_output(out, overwrite=True) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    return out


# --------------------------------------------------------------------------- video
class _Projector:
    """Orthographic oblique view rotating about the vertical axis through ``centre``.

    The scale fits a box of ``half`` mm either side of the centre and ``zmax`` high at
    every azimuth, so the view does not breathe as it rotates.
    """

    def __init__(self, half: float, zmax: float, size: tuple[int, int],
                 elevation_deg: float = 30.0) -> None:
        self.centre = np.array([0.0, 0.0, zmax / 3])
        self.w, self.h = size
        self.el = math.radians(elevation_deg)
        corners = np.array([[x, y, z] for x in (-half, half) for y in (-half, half)
                            for z in (0.0, zmax)]) + [0, 0, 0]
        self.scale = 1.0
        extent = np.zeros(2)
        for az in np.linspace(0, 2 * math.pi, 24, endpoint=False):
            uv = self._raw(corners + self.centre * [1, 1, 0], az)
            extent = np.maximum(extent, np.abs(uv).max(axis=0))
        self.scale = 0.94 * min(self.w / 2 / extent[0], self.h / 2 / extent[1])

    def _raw(self, pts: np.ndarray, az: float) -> np.ndarray:
        q = pts - self.centre
        ca, sa = math.cos(az), math.sin(az)
        xr = ca * q[..., 0] - sa * q[..., 1]
        yr = sa * q[..., 0] + ca * q[..., 1]
        up = q[..., 2] * math.cos(self.el) + yr * math.sin(self.el)
        return np.stack([xr, up], axis=-1) * self.scale

    def __call__(self, pts: np.ndarray, az: float) -> np.ndarray:
        uv = self._raw(pts, az)
        return np.stack([self.w / 2 + uv[..., 0], self.h / 2 - uv[..., 1]], axis=-1)


def _bounds(poses: Poses) -> tuple[np.ndarray, np.ndarray]:
    pts = poses.coords.reshape(-1, 3)
    pts = pts[~np.isnan(pts).any(axis=1)]
    if len(pts) == 0:
        return np.array([-100.0, -100.0, 0.0]), np.array([100.0, 100.0, 100.0])
    lo = np.percentile(pts, 0.5, axis=0)
    hi = np.percentile(pts, 99.5, axis=0)
    pad = 0.08 * max(hi[0] - lo[0], hi[1] - lo[1], 50.0)
    lo = np.array([lo[0] - pad, lo[1] - pad, 0.0])
    hi = np.array([hi[0] + pad, hi[1] + pad, max(hi[2] * 1.1, 80.0)])
    # square footprint so rotation looks steady
    half = max(hi[0] - lo[0], hi[1] - lo[1]) / 2
    mid = (lo[:2] + hi[:2]) / 2
    lo[:2], hi[:2] = mid - half, mid + half
    return lo, hi


def _light(bgr: tuple[int, int, int]) -> tuple[int, int, int]:
    """A pale version of a BGR colour (an animal's trail)."""
    return tuple(int(round(c + (255 - c) * 0.55)) for c in bgr)  # type: ignore[return-value]


def _height_colour(z: float, zmax: float) -> tuple[int, int, int]:
    import cv2

    v = int(np.clip(z / max(zmax, 1e-6), 0, 1) * 255)
    bgr = cv2.applyColorMap(np.array([[v]], dtype=np.uint8), cv2.COLORMAP_TURBO)[0, 0]
    return int(bgr[0]), int(bgr[1]), int(bgr[2])


def _grid_step(span: float) -> float:
    for step in (10, 20, 50, 100, 200, 500, 1000):
        if span / step <= 10:
            return float(step)
    return 2000.0


def _smooth_track(xy: np.ndarray, window: int) -> np.ndarray:
    """Nan-aware moving average of ``(frames, 2)``, gaps filled with the last value."""
    out = xy.copy()
    ok = ~np.isnan(out).any(axis=1)
    if not ok.any():
        return np.zeros_like(out)
    idx = np.where(ok, np.arange(len(out)), 0)
    np.maximum.accumulate(idx, out=idx)
    first = int(np.flatnonzero(ok)[0])
    idx[:first] = first
    out = out[idx]
    if window > 1:
        kernel = np.ones(window) / window
        pad = np.pad(out, ((window // 2, window - 1 - window // 2), (0, 0)), mode="edge")
        out = np.stack([np.convolve(pad[:, d], kernel, mode="valid") for d in range(2)], 1)
    return out


class _SkeletonCanvas:
    """Draws one frame of the 3D view, following the animal (single) or the arena.

    One animal: red bones, dots coloured by height. Several: each animal's bones, dots and
    trail in its own colour (:func:`individual_colour`), and the lines naming them at the
    top left, each after a dot of its colour, are the legend.
    """

    #: Half-width of the floor window the view shows around a single animal, mm.
    FOLLOW_HALF_MM = 120.0

    def __init__(self, poses: Poses, size: tuple[int, int], fps: float) -> None:
        self.poses, self.fps = poses, fps
        self.size = size
        self.lo, self.hi = _bounds(poses)
        self.edges = skeleton_edges(poses.keypoints)
        self.centre = body_centre(poses)
        self.heads = head_height(poses)
        self.rearing = np.stack([rearing_frames(self.heads[:, i], fps)
                                 for i in range(poses.n_individuals)], axis=1)
        self.zmax = float(self.hi[2])
        arena_half = float(self.hi[0] - self.lo[0]) / 2
        self.follow = poses.n_individuals == 1 and arena_half > self.FOLLOW_HALF_MM
        self.half = self.FOLLOW_HALF_MM if self.follow else arena_half
        self.proj = _Projector(self.half, self.zmax, size)
        if self.follow:
            self.track = _smooth_track(self.centre[:, 0, :2], max(1, int(round(fps))))
        else:
            mid = (self.lo[:2] + self.hi[:2]) / 2
            self.track = np.repeat(mid[None], poses.n_frames, axis=0)
        self.grid_step = _grid_step(2 * self.half)

    def azimuth(self, row: int) -> float:
        """Slow rotation: 8 degrees per second, starting at an oblique -35 degrees."""
        return math.radians(-35.0 + 8.0 * row / self.fps)

    def _floor(self, img: np.ndarray, az: float, c: np.ndarray) -> None:
        import cv2

        step, proj = self.grid_step, self.proj
        x0, x1 = max(self.lo[0], c[0] - self.half), min(self.hi[0], c[0] + self.half)
        y0, y1 = max(self.lo[1], c[1] - self.half), min(self.hi[1], c[1] + self.half)
        segs = [np.array([[x, y0, 0], [x, y1, 0]])
                for x in np.arange(math.ceil(x0 / step) * step, x1 + 1e-9, step)]
        segs += [np.array([[x0, y, 0], [x1, y, 0]])
                 for y in np.arange(math.ceil(y0 / step) * step, y1 + 1e-9, step)]
        for seg in segs:
            p = proj(seg, az).round().astype(np.int32)
            cv2.line(img, tuple(p[0]), tuple(p[1]), (222, 222, 222), 1, cv2.LINE_AA)
        pole = proj(np.array([[x0, y0, 0], [x0, y0, REARING_MM]]), az).round().astype(np.int32)
        cv2.line(img, tuple(pole[0]), tuple(pole[1]), (120, 120, 120), 1, cv2.LINE_AA)
        cv2.putText(img, f"{REARING_MM:g} mm", tuple(pole[1] + np.array([3, 4])),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.33, (100, 100, 100), 1, cv2.LINE_AA)

    def draw(self, row: int) -> np.ndarray:
        import cv2

        w, h = self.size
        img = np.full((h, w, 3), 250, dtype=np.uint8)
        az = self.azimuth(row)
        proj = self.proj
        c = self.track[row]
        proj.centre = np.array([c[0], c[1], self.zmax / 3])
        aa = cv2.LINE_AA
        self._floor(img, az, c)
        lo = max(0, row - int(2 * self.fps))
        several = self.poses.n_individuals > 1
        for i in range(self.poses.n_individuals):
            colour = _IND_COLOURS[i % len(_IND_COLOURS)]
            trail = self.centre[lo:row + 1, i].copy()
            trail = trail[~np.isnan(trail).any(axis=1)]
            if len(trail) > 1:
                trail[:, 2] = 0
                cv2.polylines(img, [proj(trail, az).round().astype(np.int32)], False,
                              _light(colour) if several else (190, 190, 190), 1, aa)
            pts = self.poses.coords[row, i]
            ok = ~np.isnan(pts).any(axis=1)
            if not ok.any():
                continue
            shadow = pts.copy()
            shadow[:, 2] = 0
            sp = proj(np.nan_to_num(shadow), az).round().astype(np.int32)
            pp = proj(np.nan_to_num(pts), az).round().astype(np.int32)
            for a, b in self.edges:
                if ok[a] and ok[b]:
                    cv2.line(img, tuple(sp[a]), tuple(sp[b]), (205, 205, 205), 3, aa)
            for k in np.flatnonzero(ok):  # height drop lines
                cv2.line(img, tuple(sp[k]), tuple(pp[k]), (210, 210, 210), 1, aa)
            for a, b in self.edges:
                if ok[a] and ok[b]:
                    cv2.line(img, tuple(pp[a]), tuple(pp[b]), colour, 3, aa)
            for k in np.flatnonzero(ok):
                fill = colour if several else _height_colour(pts[k, 2], self.zmax)
                cv2.circle(img, tuple(pp[k]), 5, fill, -1, aa)
                cv2.circle(img, tuple(pp[k]), 5, (60, 60, 60), 1, aa)
        font = cv2.FONT_HERSHEY_SIMPLEX
        frame_no = int(self.poses.frame_indices[row])
        cv2.putText(img, f"frame {frame_no}  t={row / self.fps:5.2f} s", (8, 18), font, 0.45,
                    (40, 40, 40), 1, aa)
        y = 36
        for i in range(self.poses.n_individuals):
            hh = self.heads[row, i]
            label = self.poses.individuals[i] if several else "head"
            text = (f"{label}: {hh:5.1f} mm high" if np.isfinite(hh) else f"{label}: -")
            if self.rearing[row, i]:
                text += "  REARING"
            if several:  # the legend: a dot of the animal's colour, its name in that colour
                colour = _IND_COLOURS[i % len(_IND_COLOURS)]
                cv2.circle(img, (13, y - 4), 5, colour, -1, aa)
                cv2.putText(img, text, (23, y), font, 0.45, colour, 1, aa)
            else:
                cv2.putText(img, text, (8, y), font, 0.45,
                            (0, 90, 230) if self.rearing[row, i] else (40, 40, 40), 1, aa)
            y += 17
        cv2.putText(img, f"grid {self.grid_step:g} mm", (8, h - 8), font, 0.38,
                    (120, 120, 120), 1, aa)
        return img


@contextmanager
def _opened_beside(video: str | Path | None) -> Iterator[VideoReader | None]:
    """``video`` opened to draw its frames beside the 3D view (BGR, as OpenCV draws), and
    closed after; ``None`` without one or where it cannot be read (warned: the 3D view
    alone)."""
    try:
        reader = None if video is None else open_video(video, rgb=False)
    except VideoError:
        logger.warning("Cannot read video %s: drawing the 3D view only.", video)
        reader = None
    try:
        yield reader
    finally:
        if reader is not None:
            reader.close()


def _frames_in_turn(reader: VideoReader, wanted: np.ndarray
                    ) -> Callable[[], np.ndarray | None]:
    """A reader returning the frame of each wanted frame number in turn (``None`` for one
    past the video's end or that does not decode)."""
    numbers = iter(wanted)

    def next_frame() -> np.ndarray | None:
        target = next(numbers, None)
        if target is None:
            return None
        try:
            return reader.read(int(target))
        except VideoError:
            return None

    return next_frame


def render_video(
    poses: Poses,
    path: str | Path,
    *,
    video: str | Path | None = None,
    max_frames: int | None = None,
    fps: float | None = None,
    height: int = 360,
) -> Path:
    """Write an mp4: the original frame (if readable) beside the rotating 3D skeleton.

    Parameters
    ----------
    poses
        3D poses (mm, floor at z = 0).
    path
        The mp4 to write (atomically).
    video
        The original video; missing or unreadable: the 3D view alone (warned).
    max_frames
        Render only the first ``max_frames`` rows.
    fps
        Frame rate of the output (default: the poses', else the video's).
    height
        Output height in pixels; the 3D panel is square.

    Returns
    -------
    Path
        The mp4 written.
    """
    import cv2
    import imageio_ffmpeg

    n = poses.n_frames if max_frames is None else min(poses.n_frames, int(max_frames))
    if n == 0:
        from dlc_lifter.errors import PoseFileError

        raise PoseFileError(f"{poses.meta.source}: no frames to render.")
    height = int(height) // 2 * 2
    rows = np.arange(n)
    out = Path(path)
    with _opened_beside(video) as reader:
        fps = _fps_of(poses, fps, None if reader is None else reader.fps)
        canvas = _SkeletonCanvas(poses, (height, height), fps)
        vid_w = 0
        if reader is not None:
            vw, vh = reader.size
            vid_w = int(round(vw * height / vh / 2)) * 2
            read = _frames_in_turn(reader, np.asarray(poses.frame_indices)[rows])
        size = (vid_w + height, height)
        with atomic_output(out, overwrite=True) as tmp:
            writer = imageio_ffmpeg.write_frames(
                str(tmp), size, fps=fps, codec="libx264", pix_fmt_in="rgb24", quality=6,
                macro_block_size=2, ffmpeg_log_level="error",
                output_params=["-preset", "veryfast", "-f", "mp4"],
            )
            writer.send(None)
            try:
                for row in progress_bar(rows, desc="rendering 3D video", unit="frame",
                                        leave=False):
                    panel = canvas.draw(int(row))
                    if vid_w:
                        frame = read()
                        if frame is None:
                            left = np.full((height, vid_w, 3), 30, dtype=np.uint8)
                        else:
                            left = cv2.resize(frame, (vid_w, height),
                                              interpolation=cv2.INTER_AREA)
                        panel = np.concatenate([left, panel], axis=1)
                    writer.send(np.ascontiguousarray(panel[..., ::-1]))
            finally:
                writer.close()
    return out


# --------------------------------------------------------------------------- all
def plot_paths(output_3d: str | Path, out_dir: str | Path | None = None) -> list[Path]:
    """The files :func:`plot_lifted` writes for ``output_3d`` (mp4, heights, trajectory)."""
    src = Path(output_3d)
    folder = Path(out_dir) if out_dir is not None else src.parent
    return [folder / f"{src.stem}{suffix}"
            for suffix in ("_3d.mp4", "_heights.png", "_trajectory.png")]


def plot_lifted(
    output_3d: str | Path,
    *,
    video: str | Path | None = None,
    out_dir: str | Path | None = None,
    max_frames: int | None = None,
    fps: float | None = None,
) -> list[Path]:
    """Write the 3D video and the height and trajectory plots of a lifted 3D file.

    Parameters
    ----------
    output_3d
        A ``*_lifted3d.h5`` (or ``.csv``) file.
    video
        The original video to show beside the 3D view; default: the video the file's
        metadata names, if it exists. Unreadable: 3D view alone, with a warning.
    out_dir
        Folder for the plots; default: the 3D file's folder.
    max_frames
        Render at most this many frames of video (the PNGs use all frames).
    fps
        Frame rate, if the file and video do not give it.

    Returns
    -------
    list of Path
        ``<stem>_3d.mp4``, ``<stem>_heights.png``, ``<stem>_trajectory.png``.
    """
    src = Path(output_3d)
    poses = read_lifted(src)
    asked = _plot_options(video, max_frames, fps, lift_video=poses.meta.video)
    folder = Path(out_dir) if out_dir is not None else src.parent
    mp4, heights, trajectory = plot_paths(src, folder)
    check_writable(mp4, overwrite=True, folder_option="out_dir")
    folder.mkdir(parents=True, exist_ok=True)
    if video is None:
        video = _recorded_video(poses, src)
    if video is not None and not Path(video).is_file():
        logger.warning("Video %s does not exist: drawing the 3D view only.", video)
        video = None
    why = None if video is None else not_a_video(video)
    if why:
        logger.warning("Video %s %s Drawing the 3D view only.", video, why)
        video = None
    if video is not None and not poses.stills:
        _say_another_recording(poses, video, src)
    if fps is None and not poses.meta.fps and video is not None:
        try:
            fps = video_info(video)["fps"]
        except VideoError:  # render_video says so
            fps = None
    if poses.stills and fps is None:  # labelled images: each shown for half a second
        logger.info("%s: its rows are separate images (labelled data): the 3D video shows "
                    "%g a second.", src.name, STILLS_FPS)
        fps = STILLS_FPS
    fps = _fps_of(poses, fps)
    # the plots take seconds, the video of a long file minutes: plots first, so that they
    # are there when the video is stopped
    pngs = [plot_heights(poses, heights, fps=fps), plot_trajectory(poses, trajectory, fps=fps)]
    for f in pngs:
        logger.info("Wrote %s", f)
    n = poses.n_frames if max_frames is None else min(poses.n_frames, int(max_frames))
    if n > LONG_VIDEO_FRAMES:
        logger.info("%s: rendering the 3D video of all %d frames (a video of %.0f min); "
                    "max_frames= draws fewer.", src.name, n, n / fps / 60)
    files = [render_video(poses, mp4, video=video, max_frames=max_frames, fps=fps), *pngs]
    logger.info("Wrote %s", files[0])
    _write_plots_record(src, folder, files, asked)
    return files


def plots_record_path(output_3d: str | Path, out_dir: str | Path | None = None) -> Path:
    """``<stem>_plots.json`` beside the plots of ``output_3d``: what they were drawn from."""
    src = Path(output_3d)
    folder = Path(out_dir) if out_dir is not None else src.parent
    return folder / f"{src.stem}_plots.json"


def _say_another_recording(poses: Poses, video: str | Path, src: Path) -> None:
    """Warn where ``video`` cannot be the recording the lift is of: fewer frames than its
    last frame, or another frame rate than the lift's (the 3D would be drawn beside another
    recording's frames). Its frame size is not compared: a DeepLabCut project's crop is the
    lift's frame."""
    try:
        info = video_info(video)
    except VideoError:  # render_video says so
        return
    last = int(np.max(poses.frame_indices)) if poses.n_frames else -1
    why = []
    if info["n_frames"] and last >= info["n_frames"] + FRAME_COUNT_SLACK:
        why.append(f"it has {info['n_frames']} frames and the lift goes to frame {last}")
    lifted, filmed = poses.meta.fps, info["fps"]
    if lifted and filmed and abs(filmed - lifted) > 0.01 * lifted:
        why.append(f"it runs at {filmed:g} fps and the lift at {lifted:g}")
    if why:
        logger.warning("%s: the video %s is not the recording it was lifted from? (%s). "
                       "Drawn beside it as given.", src.name, video, "; ".join(why))


def _plot_options(video: str | Path | None, max_frames: int | None, fps: float | None,
                  lift_video: str | None = None) -> dict[str, object]:
    """The options :func:`plot_lifted` was given, as its record keeps them: a ``video``
    that is the one the lift recorded (``lift_video``, there) as ``None``, the plots drawn
    alike (so those a batch draws beside each lift's video, :class:`PlotStep`, are the
    ``plot`` verb's of its lift, given no video)."""
    given = None if video is None else str(Path(video).absolute())
    if given is not None and lift_video and given == str(Path(lift_video).absolute()):
        given = None
    return {"video": given,
            "max_frames": None if max_frames is None else int(max_frames),
            "fps": None if fps is None else float(fps)}


def _write_plots_record(src: Path, folder: Path, files: Sequence[Path],
                        asked: dict[str, object]) -> None:
    record = {"lift": source_record(src), "options": asked,
              "files": [p.name for p in files], "dlc_lifter_version": __version__}
    write_record(record, plots_record_path(src, folder), overwrite=True)


def plots_up_to_date(output_3d: str | Path, out_dir: str | Path | None = None, *,
                     video: str | Path | None = None, max_frames: int | None = None,
                     fps: float | None = None) -> bool:
    """Whether :func:`plot_lifted` drew every plot of ``output_3d`` in ``out_dir`` from that
    lift as it is now (its record, :func:`plots_record_path`, holds the lift's
    :func:`~dlc_lifter.io.provenance.source_record`) with these options: a rerun over many
    files skips them.

    Parameters
    ----------
    output_3d, out_dir, video, max_frames, fps
        As for :func:`plot_lifted`.

    Returns
    -------
    bool
        ``False`` where a plot or the record is missing (plots drawn before records
        were), the lift was written again since, or another option was given.
    """
    src = Path(output_3d)
    record = _current_plots_record(src, out_dir)
    return record is not None and _same_options(
        record, _plot_options(video, max_frames, fps,
                              lift_video=None if video is None else _lift_video(src)))


def _current_plots_record(src: Path, out_dir: str | Path | None) -> dict | None:
    """The record of ``src``'s plots in ``out_dir`` where every plot is there and was drawn
    from ``src`` as it is now (:func:`~dlc_lifter.io.provenance.made_from`); else ``None``.
    """
    record = read_record(plots_record_path(src, out_dir))
    if record is None or not all(p.is_file() for p in plot_paths(src, out_dir)):
        return None
    try:
        here = source_record(src)
    except OSError:
        return None
    return record if made_from(record.get("lift"), here) else None


def _lift_video(src: Path) -> str | None:
    """The video the lift ``src`` recorded, where it is there (as :func:`read_lifted` gives
    it); ``None`` where it records none or it is gone."""
    from dlc_lifter.errors import DLCLifterError
    from dlc_lifter.io import read_lift_record

    try:
        video = read_lift_record(src).get("video")
    except DLCLifterError:
        return None
    return str(video) if video and Path(str(video)).is_file() else None


def _same_options(record: dict, asked: dict[str, object]) -> bool:
    """Whether a plots record holds the options ``asked`` (those of them it is given)."""
    then = record.get("options")
    return isinstance(then, dict) and all(then.get(k) == v for k, v in asked.items())


def _recorded_lift(mp4: Path) -> dict | None:
    """The lift a 3D video's plots record (:func:`plots_record_path`), or ``None``."""
    record = read_record(mp4.with_name(mp4.name.removesuffix("_3d.mp4") + "_plots.json"))
    lift = None if record is None else record.get("lift")
    return lift if isinstance(lift, dict) and lift.get("path") else None


#: What a lift's plots record of it, to find them again in an output folder
#: (:func:`~dlc_lifter.lift.destinations.settle_output`; their first file, the 3D video).
PLOTS_PROVENANCE = Provenance(recorded=_recorded_lift)


@dataclass(frozen=True)
class PlotStep:
    """:func:`plot_lifted` as the step a batch runs on each output (its ``after_each=``).

    An :class:`~dlc_lifter.lift.batch.OutputStep`: picklable, so it runs in each output's
    task (process or dask worker); on an output that exists already it draws only where
    :meth:`done` says its plots are not up to date, by the rule of
    :func:`plots_up_to_date` (the ``plot`` verb's).

    Attributes
    ----------
    max_frames, out_dir, fps
        As for :func:`plot_lifted`.

    Examples
    --------
    >>> from dlc_lifter.lift.batch import lift_videos
    >>> lift_videos("project/config.yaml",  # doctest: +SKIP
    ...             after_each=PlotStep(max_frames=900))
    """

    max_frames: int | None = None
    out_dir: str | Path | None = None
    fps: float | None = None
    #: What the step makes, in a batch's messages (``plots failed: ...``).
    name: ClassVar[str] = "plots"

    def __call__(self, item: BatchItem) -> list[str]:
        """Draw the plots of ``item.output`` (a batch item) beside ``item.video``."""
        return [str(p) for p in plot_lifted(item.output, video=item.video,
                                            out_dir=self.out_dir, max_frames=self.max_frames,
                                            fps=self.fps)]

    def done(self, output: str | Path) -> bool:
        """Whether every plot of the 3D file ``output`` was drawn from it as it is now, with
        this step's ``max_frames`` and ``fps`` (:func:`plots_up_to_date`'s rule). The video
        is not compared: a batch draws each output's plots beside the video it finds for
        that output's input, found again alike on each rerun, and known only in the task.
        """
        record = _current_plots_record(Path(output), self.out_dir)
        asked = _plot_options(None, self.max_frames, self.fps)
        return record is not None and _same_options(
            record, {k: asked[k] for k in ("max_frames", "fps")})
