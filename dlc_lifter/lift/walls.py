"""The arena's walls as a bound on the heights: nothing of the animal is inside a wall.

Where a file tracks the arena's four corners, their floor points through the lift's camera
outline the floor. A tracked keypoint's camera ray meets the floor at ``F``; lifted to height
``h`` it lies above ``N + (F - N) (H - h) / H`` (``N`` the camera's nadir, ``H`` its
height). When ``F`` lies beyond the walls, the point cannot be on the floor: it is at least
as high as where its ray comes inside the outline, ``h_min = H t`` for the smallest ``t``
with ``F + t (N - F)`` inside. A mouse rearing against the wall is exactly that case:
seen from above its raised nose, ears and head lean out past the wall, while the networks,
which know nothing of walls, may read its short, compact shape as a low one.
:func:`raise_into_arena` moves such points up their own rays to ``h_min`` (the 2D is
reproduced exactly); points the networks already lift higher, and points inside the
outline, are left as they are.

The outline is widened by :data:`WALL_MARGIN_MM` (the corners' and keypoints' tracking
noise), so that neither a flat animal at the wall nor one point of a head is raised by
noise. Corners labelled on the walls'
tops instead of the floor outline a larger square, which only makes the bound weaker. When
the animal's floor points lie outside the outline in many frames, the tracked corners do
not enclose it (an inner zone marked on the floor, or corners of another object), and the
walls are not used (:func:`arena_walls` with ``floor``; the lift says so in its log).

In a real open field nearly every labelled rear is against a wall, and in most of them
the nose's ray meets the floor beyond the walls (``docs/results.md``, "Real mice: the
arena's walls bound the heights; DANNCE mouse 2's failing rows are one climbing frame").

Without tracked corners, a file lifted with the arena's size (``arena_size_mm``) has its
scale measured from the spread of its keypoints, on the assumption that the animal reached
the walls. On that same assumption, :func:`walls_from_track` outlines the floor from where
the animal's tail base went over the session (:data:`TRACK_QUANTILE` of its distance from
the track's middle, per :data:`TRACK_SECTORS` directions, their convex hull), widened by
:data:`TRACK_MARGIN_MM`: the tail base of a mouse walking along a wall keeps about half a
body's width from it, and a flat nose poking at the wall must not be raised. Used only with
``arena_size_mm`` and no corners (never for a camera estimated from the animal alone: a
mouse that kept to the middle, or a maze's open arms, would make a wall of nothing), and
only where the track follows its outline (:data:`TRACK_MIN_COVER`): a maze's arms outline
a hull whose sides cross open space, where a head dipped over an arm would be raised.
And only where the outline holds the animal as the networks lift it, before any wall
raises it (:data:`TRACK_BEYOND_MM`, :data:`TRACK_MAX_BEYOND_SHARE`): the networks know
nothing of walls, and where they put some point well beyond the outline in many frames,
the tail base did not go along those walls (the animal poked its nose at a wall it never
walked along, or the view cuts the arena). Without that check, a real flat mouse sniffing
at walls its tail base never went along was raised in many frames (``docs/results.md``,
"Real mice: walls the animal's track does not follow, refused").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from dlc_lifter.camera import Camera

__all__ = ["ARENA_CORNERS", "HEAD_LANDMARKS", "MIN_INSIDE_SHARE", "TRACK_BEYOND_MM",
           "TRACK_COVER_MM", "TRACK_MARGIN_MM", "TRACK_MAX_BEYOND_SHARE", "TRACK_MIN_COVER",
           "TRACK_MIN_FRAMES", "TRACK_QUANTILE", "TRACK_SECTORS", "WALL_MARGIN_MM",
           "ArenaWalls", "arena_walls", "head_rows", "outline_cover", "raise_into_arena",
           "wall_heights", "walls_from_track"]

#: The catalogue's arena corners, in order around the arena.
ARENA_CORNERS = ("top_left", "top_right", "bottom_right", "bottom_left")
#: The floor outline is widened by this much (mm) before it bounds any height: twice the
#: error of a point's place against the outline, from the corners' and the keypoints' own
#: tracking (about 5 mm each in an open field's frames, 1-1.5 mm per px: 7 mm together).
#: Each mm of it is 3-5 mm of height at the walls, so a narrower band (5 mm until
#: 2026-12-07) raised points that noise put past it: noses above 110 mm, skulls stretched
#: one and a half times (``docs/results.md``, "Real mice: the walls' band widened").
WALL_MARGIN_MM = 15.0
#: Share of the frames in which some tracked keypoint lies on the floor inside the outline
#: for the corners to count as the animal's arena.
MIN_INSIDE_SHARE = 0.9
#: Without corners: the tail base's track outlines the floor, widened by this much (mm):
#: the half body's width a tail base keeps from a wall, and as much again for where the
#: track puts the wall, a percentile of a few hundred frames (20 mm until 2026-12-07 raised
#: noses above 110 mm in 4 % of real open-field frames, skulls stretched one and a half
#: times; ``docs/results.md``, "Real mice: the walls' band widened").
TRACK_MARGIN_MM = 40.0
#: Directions around the track's middle, each giving one point of the outline.
TRACK_SECTORS = 72
#: Per direction, this quantile of the tail base's distance from the track's middle (not
#: its maximum: a mistracked frame would push the wall out).
TRACK_QUANTILE = 0.99
#: Frames with a tracked tail base the track needs before it outlines anything.
TRACK_MIN_FRAMES = 500
#: The track's outline is a wall only where the tail base went: at least this share of the
#: outline (sampled every 5 mm) must lie within :data:`TRACK_COVER_MM` of some tracked
#: position. Open fields' tracks follow their outline nearly all the way round; a maze's
#: arms do not (an elevated plus maze's outline has sides that are chords between the
#: arms' ends, far from where the animal went; measured in ``docs/results.md``, "Real
#: mice: confident mistracks lifted as untracked; corners that are not the arena's").
TRACK_MIN_COVER = 0.7
#: How near (mm) the tail base must come to a point of the outline to have followed it.
TRACK_COVER_MM = 30.0
#: A point the networks lift more than this far (mm) beyond the track's widened outline lies
#: inside a wall, were the outline the walls: a rear the networks read too low leans out by
#: about its height error times its ray's slope (60 mm at 300 mm from the nadir of a 900 mm
#: camera: 20 mm).
TRACK_BEYOND_MM = 20.0
#: The track's outline is a wall only where the networks put some point more than
#: :data:`TRACK_BEYOND_MM` beyond it in at most this share of the frames: real open fields
#: whose walls the track follows stay well below it, and a real mouse sniffing at walls its
#: tail base never went along lies well above it (``docs/results.md``, "Real mice: walls
#: the animal's track does not follow, refused").
TRACK_MAX_BEYOND_SHARE = 0.05


@dataclass(frozen=True)
class ArenaWalls:
    """The floor outline of an arena, in the lift's world frame.

    Attributes
    ----------
    outline
        ``(n, 2)`` floor points (mm) of a convex outline's vertices, in order around the
        arena (the four corners, or the hull of the animal's track).
    margin_mm
        How far outside the outline a floor point may lie before it bounds a height.
    """

    outline: np.ndarray
    margin_mm: float = WALL_MARGIN_MM

    def _half_planes(self) -> tuple[np.ndarray, np.ndarray]:
        """Outward unit normals ``(n, 2)`` and offsets ``(n,)``: inside is
        ``normal @ p <= offset``."""
        a = self.outline
        b = np.roll(a, -1, axis=0)
        edge = b - a
        normal = np.stack([edge[:, 1], -edge[:, 0]], axis=1)
        normal /= np.linalg.norm(normal, axis=1, keepdims=True)
        centre = a.mean(axis=0)
        flip = np.einsum("ij,ij->i", normal, centre - a) > 0  # make them point outwards
        normal[flip] *= -1.0
        return normal, np.einsum("ij,ij->i", normal, a) + self.margin_mm

    def inside(self, xy: np.ndarray) -> np.ndarray:
        """Whether floor points ``(..., 2)`` lie inside the widened outline (NaN: False)."""
        return self.beyond(xy) <= 0.0

    def beyond(self, xy: np.ndarray) -> np.ndarray:
        """How far (mm) floor points ``(..., 2)`` lie beyond the widened outline: the
        largest distance past the line of one of its sides (the distance itself beside a
        side, a little less off a vertex); 0 or less inside, NaN for NaN points."""
        normal, offset = self._half_planes()
        excess = np.einsum("...j,kj->...k", np.asarray(xy, dtype=float), normal) - offset
        return np.max(excess, axis=-1)


def arena_walls(arena_px: Mapping[str, Sequence[float]] | None, camera: Camera, *,
                floor: np.ndarray | None = None, observed: np.ndarray | None = None,
                margin_mm: float = WALL_MARGIN_MM) -> tuple[ArenaWalls | None, str]:
    """The walls of the arena whose four corners a file tracks, and why not where none.

    Parameters
    ----------
    arena_px
        Tracked arena landmarks' pixels (``{landmark: [u, v]}``, as
        :func:`~dlc_lifter.lift.keypoints.arena_pixels` gives them).
    camera
        The lift's camera (above the floor).
    floor, observed
        Optional ``(T, K, 2)`` floor points of the animal's tracked keypoints and ``(T, K)``
        which are tracked: with them, the corners must enclose the animal
        (:data:`MIN_INSIDE_SHARE`).
    margin_mm
        The outline's widening (:data:`WALL_MARGIN_MM`).

    Returns
    -------
    walls : ArenaWalls or None
    reason : str
        Why there are no walls (empty when there are).
    """
    from dlc_lifter.nets.lifter import floor_points

    corners = dict(arena_px or {})
    if not all(c in corners for c in ARENA_CORNERS):
        return None, "the arena's four corners are not all tracked"
    if camera.below_floor:
        return None, "the camera is below the floor"
    uv = np.array([corners[c] for c in ARENA_CORNERS], dtype=float)[None]
    outline = floor_points(uv, camera)[0]
    if not np.isfinite(outline).all() or not _convex(outline):
        return None, "the tracked corners do not outline a convex floor"
    walls = ArenaWalls(outline, float(margin_mm))
    if floor is not None:
        obs = (np.ones(floor.shape[:2], bool) if observed is None
               else np.asarray(observed, bool)) & np.isfinite(floor).all(-1)
        frames = obs.any(axis=1)
        if frames.any():
            share = float((walls.inside(floor) & obs).any(axis=1)[frames].mean())
            if share < MIN_INSIDE_SHARE:
                return None, (f"the animal is outside the tracked corners in "
                              f"{100 * (1 - share):.0f} % of its frames, so they do not "
                              "enclose it")
    return walls, ""


def walls_from_track(floor_xy: np.ndarray, *, points: np.ndarray | None = None,
                     margin_mm: float = TRACK_MARGIN_MM, min_frames: int = TRACK_MIN_FRAMES
                     ) -> tuple[ArenaWalls | None, str]:
    """The floor's outline from where the animal went, for arenas whose corners are not
    tracked.

    Parameters
    ----------
    floor_xy
        ``(N, 2)`` floor positions (mm) of the animal's tail base over the session (its
        lifted ``x, y``; NaN where not tracked), every individual's pooled.
    points
        Optional ``(T, ..., 2)`` positions (mm, ``x, y``) of the points the networks lifted
        from tracked keypoints in each of ``T`` frames, before any wall raised them (NaN
        elsewhere). With them, the outline is walls only if it holds them: some point more
        than :data:`TRACK_BEYOND_MM` beyond it in at most :data:`TRACK_MAX_BEYOND_SHARE` of
        the frames.
    margin_mm
        The outline's widening (:data:`TRACK_MARGIN_MM`).
    min_frames
        Tracked positions needed (:data:`TRACK_MIN_FRAMES`).

    Returns
    -------
    walls : ArenaWalls or None
    reason : str
        Why there are no walls (empty when there are).
    """
    from scipy.spatial import ConvexHull, QhullError

    xy = np.asarray(floor_xy, dtype=float).reshape(-1, 2)
    xy = xy[np.isfinite(xy).all(axis=1)]
    if len(xy) < min_frames:
        return None, (f"the tail base is tracked in {len(xy)} frames, fewer than the "
                      f"{min_frames} that outline the floor")
    d = xy - np.median(xy, axis=0)
    sector = np.floor((np.arctan2(d[:, 1], d[:, 0]) + np.pi) / (2 * np.pi)
                      * TRACK_SECTORS).astype(int) % TRACK_SECTORS
    r = np.hypot(d[:, 0], d[:, 1])
    pts = []
    for s in range(TRACK_SECTORS):
        idx = np.flatnonzero(sector == s)
        if len(idx):  # the sector's point nearest its quantile distance
            pts.append(xy[idx[np.argmin(np.abs(r[idx] - np.quantile(r[idx], TRACK_QUANTILE)))]])
    try:
        hull = ConvexHull(np.array(pts))
    except (QhullError, ValueError):
        return None, "the tail base's track does not outline an area"
    outline = hull.points[hull.vertices]
    cover = outline_cover(outline, xy)
    if cover < TRACK_MIN_COVER:
        return None, (f"the tail base came within {TRACK_COVER_MM:.0f} mm of only "
                      f"{100 * cover:.0f} % of its track's outline, so the outline is not "
                      "walls it went along (a maze's arms?)")
    walls = ArenaWalls(outline, float(margin_mm))
    if points is not None:
        pts = np.asarray(points, dtype=float)
        far = walls.beyond(pts.reshape(len(pts), -1, 2))  # (T, n); NaN where not lifted
        frames = np.isfinite(far).any(axis=1)
        if frames.any():
            share = float((np.nan_to_num(far, nan=-np.inf) > TRACK_BEYOND_MM).any(axis=1)
                          [frames].mean())
            if share > TRACK_MAX_BEYOND_SHARE:
                return None, (f"as lifted, the animal reaches more than {TRACK_BEYOND_MM:.0f} "
                              f"mm past the tail base's track (widened by {margin_mm:.0f} mm) "
                              f"in {100 * share:.0f} % of its frames, so the track does not "
                              "follow the walls (a wall it only poked its nose at, or a view "
                              "that cuts the arena?)")
    return walls, ""


def outline_cover(outline: np.ndarray, xy: np.ndarray, near_mm: float = TRACK_COVER_MM
                  ) -> float:
    """Share of a closed outline (sampled every 5 mm) within ``near_mm`` of some point.

    Parameters
    ----------
    outline
        ``(n, 2)`` vertices in order (mm).
    xy
        ``(N, 2)`` positions (mm; NaN rows are left out).
    near_mm
        How near a position must come to a point of the outline.
    """
    from scipy.spatial import cKDTree

    a = np.asarray(outline, dtype=float)
    b = np.roll(a, -1, axis=0)
    samples = np.concatenate([
        p + (q - p) * np.linspace(0.0, 1.0, max(2, int(np.linalg.norm(q - p) / 5.0)),
                                  endpoint=False)[:, None] for p, q in zip(a, b, strict=True)])
    pts = np.asarray(xy, dtype=float)
    pts = pts[np.isfinite(pts).all(axis=1)]
    if not len(pts):
        return 0.0
    dist, _ = cKDTree(pts).query(samples)
    return float(np.mean(dist <= near_mm))


def _convex(outline: np.ndarray) -> bool:
    d = np.roll(outline, -1, axis=0) - outline
    cross = d[:, 0] * np.roll(d, -1, axis=0)[:, 1] - d[:, 1] * np.roll(d, -1, axis=0)[:, 0]
    return bool(np.all(cross > 0) or np.all(cross < 0))


def wall_heights(floor: np.ndarray, centre: np.ndarray, walls: ArenaWalls) -> np.ndarray:
    """The least height (mm) at which each floor point's camera ray is inside the walls.

    Parameters
    ----------
    floor
        ``(..., 2)`` floor points (mm) of camera rays.
    centre
        Camera centre ``(3,)`` above the floor.
    walls
        The arena's walls.

    Returns
    -------
    numpy.ndarray
        ``(...)`` heights: 0 where the floor point is inside the (widened) outline, NaN
        where the ray never comes inside it below the camera or the point is NaN.
    """
    floor = np.asarray(floor, dtype=float)
    centre = np.asarray(centre, dtype=float)
    normal, offset = walls._half_planes()
    nadir = centre[:2]
    # along F + t (N - F), t in [0, 1]: each half-plane n.p <= o holds for t >= or <= a root
    a = np.einsum("...j,kj->...k", floor, normal) - offset  # > 0: F outside that edge
    b = np.einsum("j,kj->k", nadir, normal) - offset - a  # n.(N - F) per edge
    with np.errstate(divide="ignore", invalid="ignore"):
        root = -a / b
    enter = np.where(b < 0, root, -np.inf)  # inside once t >= root
    leave = np.where(b > 0, root, np.inf)  # inside while t <= root
    never = (b == 0) & (a > 0)
    t_in = np.maximum(np.max(enter, axis=-1), 0.0)
    t_out = np.min(leave, axis=-1)
    ok = (t_in <= np.minimum(t_out, 1.0)) & ~never.any(axis=-1) & np.isfinite(floor).all(-1)
    return np.where(ok, centre[2] * t_in, np.nan)


#: The points of the head, raised together (:func:`raise_into_arena`'s ``together``).
HEAD_LANDMARKS = ("nose", "head_midpoint", "left_eye", "right_eye", "left_ear", "right_ear",
                  "left_ear_tip", "right_ear_tip")


def head_rows(names: Sequence[str]) -> list[int]:
    """Positions of the head's landmarks (:data:`HEAD_LANDMARKS`) among catalogue ``names``."""
    return [i for i, n in enumerate(names) if n in HEAD_LANDMARKS]


def raise_into_arena(points: np.ndarray, lifted: np.ndarray, centre: np.ndarray,
                     walls: ArenaWalls, *, together: Sequence[int] = ()) -> np.ndarray:
    """Move lifted points whose rays meet the floor beyond the walls up their rays, to the
    height where they come inside (:func:`wall_heights`); in place.

    A head rises as one: where a point of ``together`` (the head's, :func:`head_rows`) is
    raised, the group's other lifted points rise at least as much, up their own rays, so that
    the nose is not pitched up past ears the walls did not reach (a real rear against the
    wall has the whole head up).

    Parameters
    ----------
    points
        ``(..., K, 3)`` lifted points (mm) on their camera rays; changed in place.
    lifted
        ``(..., K)`` bool: points that lie on a tracked keypoint's ray (imputed ones do not
        and are left alone).
    centre
        Camera centre ``(3,)`` above the floor.
    walls
        The arena's walls.
    together
        Positions along ``K`` raised together.

    Returns
    -------
    numpy.ndarray
        ``(..., K)`` bool, the points raised.
    """
    from dlc_lifter.nets.lifter import points_on_rays

    centre = np.asarray(centre, dtype=float)
    h_cam = centre[2]
    z = points[..., 2].copy()
    ok = np.asarray(lifted, bool) & np.isfinite(points).all(-1) & (z < h_cam)
    scale = np.where(ok, h_cam / np.where(ok, h_cam - z, 1.0), np.nan)
    floor = centre[:2] + (points[..., :2] - centre[:2]) * scale[..., None]
    h_min = wall_heights(floor, centre, walls)
    raise_ = ok & np.isfinite(h_min) & (h_min > z)
    target = np.where(raise_, h_min, z)
    group = np.asarray(list(together), dtype=int)
    if len(group) > 1:
        rise = np.where(raise_[..., group], h_min[..., group] - z[..., group], 0.0).max(-1)
        lifted_to = np.where(ok[..., group], z[..., group] + rise[..., None], np.nan)
        up = ok[..., group] & (lifted_to > target[..., group]) & (lifted_to < h_cam)
        target[..., group] = np.where(up, lifted_to, target[..., group])
        raise_[..., group] |= up
    points[raise_] = points_on_rays(floor[raise_], centre, target[raise_])
    return raise_
