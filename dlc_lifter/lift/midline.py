"""A label on the animal's back is lifted to the height of the back where it lies.

Labellers put a "centre" or "mid-spine" label anywhere along the back, from about half the
way from the nose to the tail base to four fifths of it (DANNCE's ``SpineM``), where the
catalogue's ``mouse_center`` (which the networks know it as) sits at 0.61 (measured in
``docs/results.md``, "Real mice: where labs put a body-centre label, screened; three
lift-time variants measured"). Given as ``mouse_center``, such a label is lifted at the
height of the synthetic mouse's mid-trunk wherever it lies: a label on the lower back, as
DANNCE's ``SpineM``, too high on flat frames.

The networks lift every landmark of the dorsal midline (:data:`MIDLINE`), the ones the file
does not track included. Over the file, :func:`labels_off_their_landmark` measures where
each label on the back's interior (:data:`ON_THE_BACK`) sits: its share of the way from the
nose to the tail base, seen from above, while the body is stretched out. A label within
:data:`SHARE_TOLERANCE` of its landmark's place on the synthetic mice
(:data:`SYNTHETIC_SHARE`) keeps the networks' height (they know the landmark itself best:
the synthetic demo's centre label, placed there, lifts worse when read from the back
around it). A label elsewhere is put by :func:`onto_the_back` on its own
camera ray where the ray passes nearest to the lifted midline (without that label's own
landmark): straight down, the back's height below the point; from an oblique camera, where
the ray crosses the back. A back seen end on (a rear, from above: within
:data:`MIN_ANGLE_DEG` of the ray) does not say where along it the label lies: there the
networks' height stays. The 2D is reproduced exactly.

On real mice whose centre label lies on the lower back this lifts the top keypoints better
over all frames and through the worst camera (``docs/results.md``, "Real mice: a label on
the back lifted where it lies").
"""

from __future__ import annotations

import numpy as np

from dlc_lifter.camera import Camera
from dlc_lifter.mouse.catalogue import CATALOGUE

__all__ = ["MIDLINE", "MIDLINE_INDEX", "MIN_ANGLE_DEG", "MIN_ORDER_FRAMES", "MIN_SHARE_FRAMES",
           "ON_THE_BACK", "ORDER_SHARE", "SHARE_TOLERANCE", "SYNTHETIC_SHARE",
           "labels_off_their_landmark", "labels_out_of_order", "midline_without",
           "onto_the_back"]

#: The catalogue's dorsal midline from the neck to the tail base, front to back.
MIDLINE = ("neck", "mid_back", "mouse_center", "mid_backend", "mid_backend2", "mid_backend3",
           "tail_base")
#: Catalogue indices of the midline's interior landmarks: a keypoint mapped onto one of
#: them is lifted to the back's height where it lies.
ON_THE_BACK = frozenset(CATALOGUE.index(n) for n in MIDLINE[1:-1])
#: A back segment within this angle of the keypoint's ray (seen end on) does not place
#: the keypoint: the networks' height stays.
MIN_ANGLE_DEG = 30.0

#: Where each interior midline landmark sits on the synthetic mice, flat and stretched out:
#: its share of the way from the nose to the tail base seen from above (median over 16
#: generated sequences, frames with the nose below 30 mm and the body longer than its
#: median; the 10th-90th percentiles lie within 0.02 of it).
SYNTHETIC_SHARE = {"mid_back": 0.44, "mouse_center": 0.61, "mid_backend": 0.71,
                   "mid_backend2": 0.79, "mid_backend3": 0.89}
#: A label whose share of the way differs from its landmark's by more than this sits
#: elsewhere along the back, and is placed on it; nearer, the networks' height is kept
#: (they know the landmark itself better than the back around it).
SHARE_TOLERANCE = 0.05
#: Frames (nose, tail base and the label tracked, the body stretched out) a share needs.
MIN_SHARE_FRAMES = 20

#: Catalogue index of each :data:`MIDLINE` landmark.
MIDLINE_INDEX = tuple(CATALOGUE.index(n) for n in MIDLINE)
_NOSE, _TAIL_BASE = CATALOGUE.index("nose"), CATALOGUE.index("tail_base")


def _body_axis(uv_cat: np.ndarray, tracked: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(uv, tracked, ends, axis, length2)``: float pixels, tracked flags (finite points
    only), frames with the nose and tail base tracked, the tail-base-to-nose vector and its
    squared length, per frame."""
    uv_cat = np.asarray(uv_cat, dtype=np.float64)
    tracked = np.asarray(tracked, bool) & np.isfinite(uv_cat).all(-1)
    ends = tracked[:, _NOSE] & tracked[:, _TAIL_BASE]
    axis = uv_cat[:, _NOSE] - uv_cat[:, _TAIL_BASE]
    return uv_cat, tracked, ends, axis, np.sum(axis * axis, axis=-1)


def _from_tail(uv_cat: np.ndarray, axis: np.ndarray, length2: np.ndarray, c: int,
               rows: np.ndarray) -> np.ndarray:
    """Landmark ``c``'s share of the way from the tail base to the nose in ``rows``."""
    return np.sum((uv_cat[rows, c] - uv_cat[rows, _TAIL_BASE]) * axis[rows], -1) / length2[rows]


def labels_off_their_landmark(uv_cat: np.ndarray, tracked: np.ndarray) -> dict[int, float]:
    """The labels on the back that sit elsewhere than their landmarks, and where.

    Parameters
    ----------
    uv_cat
        ``(T, len(CATALOGUE), 2)`` one animal's pixels in catalogue order.
    tracked
        ``(T, len(CATALOGUE))`` bool: detections above the likelihood cutoff.

    Returns
    -------
    dict
        ``{catalogue index: share}`` for each tracked interior midline landmark whose label
        lies, over the frames where the body is stretched out (nose to tail base longer than
        its median), at a median share of the way from the nose to the tail base more than
        :data:`SHARE_TOLERANCE` from the synthetic landmark's (:data:`SYNTHETIC_SHARE`).
        Empty without the nose and tail base in :data:`MIN_SHARE_FRAMES` such frames.
    """
    uv_cat, tracked, ends, axis, length2 = _body_axis(uv_cat, tracked)
    if ends.sum() < MIN_SHARE_FRAMES:
        return {}
    long = ends & (length2 >= np.median(length2[ends]))
    out = {}
    for c in sorted(ON_THE_BACK):
        ok = long & tracked[:, c]
        if ok.sum() < MIN_SHARE_FRAMES:
            continue
        share = float(1.0 - np.median(_from_tail(uv_cat, axis, length2, c, ok)))
        if abs(share - SYNTHETIC_SHARE[CATALOGUE[c]]) > SHARE_TOLERANCE:
            out[c] = round(share, 3)
    return out


#: Two back labels lie the wrong way round when the one named further forward lies behind
#: the other in this share of the frames ...
ORDER_SHARE = 0.8
#: ... of at least this many (nose, tail base and both labels tracked).
MIN_ORDER_FRAMES = 3


def labels_out_of_order(uv_cat: np.ndarray, tracked: np.ndarray
                        ) -> list[tuple[int, int, float, int]]:
    """Pairs of labels on the midline (:data:`MIDLINE`) that lie the wrong way round.

    On every mouse the catalogue's midline runs from the neck to the tail base in the
    order of :data:`MIDLINE` (SuperAnimal-TopViewMouse's names, in its order). Where a
    label named further forward lies behind another, seen from above as a share of the way
    from the nose to the tail base, in :data:`ORDER_SHARE` of the frames, at least one of
    them is not the landmark it is named for: a labeller's own placement (another lab's
    ``mid_back`` sits behind its ``mouse_center`` in every image), or two names swapped.

    Parameters
    ----------
    uv_cat, tracked
        One animal's pixels and tracked flags, as :func:`labels_off_their_landmark` takes.

    Returns
    -------
    list of (front, behind, share, frames)
        Catalogue indices of the label named further forward and of the one it lies
        behind, the share of the frames it does, and over how many frames; front to back.
    """
    uv_cat, tracked, ends, axis, length2 = _body_axis(uv_cat, tracked)
    present = [c for c in MIDLINE_INDEX if (ends & tracked[:, c]).sum() >= MIN_ORDER_FRAMES]
    out = []
    for a_pos, a in enumerate(present):
        for b in present[a_pos + 1:]:
            both = ends & tracked[:, a] & tracked[:, b] & (length2 > 0)
            n = int(both.sum())
            if n < MIN_ORDER_FRAMES:
                continue
            # nearer the tail base, further from the nose: behind
            behind = float(np.mean(_from_tail(uv_cat, axis, length2, a, both)
                                   < _from_tail(uv_cat, axis, length2, b, both)))
            if behind >= ORDER_SHARE:
                out.append((a, b, round(behind, 3), n))
    return out


def midline_without(landmark: int) -> list[int]:
    """Positions in :data:`MIDLINE` (front to back) of every landmark but ``landmark`` (a
    catalogue index)."""
    return [k for k, i in enumerate(MIDLINE_INDEX) if i != landmark]


def _where_ray_meets(centre: np.ndarray, direction: np.ndarray, back: np.ndarray
                     ) -> np.ndarray:
    """``(...)`` height of the point of each ray (``centre + s * direction``, ``direction``
    ``(..., 3)``) nearest to the polyline ``back`` (``(..., S, 3)``); NaN where the back has
    no finite segment or its nearest segment runs within :data:`MIN_ANGLE_DEG` of the ray
    (a back seen end on, as in a rear: the ray does not say where along it the label is)."""
    a, b = back[..., :-1, :], back[..., 1:, :]
    u = direction[..., None, :] / np.linalg.norm(direction, axis=-1)[..., None, None]
    v = b - a
    w = a - centre  # (..., S-1, 3)
    uv_ = np.sum(u * v, axis=-1)  # u is a unit vector
    vv = np.sum(v * v, axis=-1)
    uw = np.sum(u * w, axis=-1)
    vw = np.sum(v * w, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.clip((uv_ * uw - vw) / (vv - uv_ * uv_), 0.0, 1.0)  # along the segment
        t = np.where(np.isfinite(t), t, 0.0)
        s = uw + t * uv_  # along the ray, to the segment's point t
        on_ray = centre + s[..., None] * u
        on_back = a + t[..., None] * v
        dist = np.linalg.norm(on_ray - on_back, axis=-1)
        cos = np.abs(uv_) / np.sqrt(vv)
    dist = np.where(np.isfinite(dist), dist, np.inf)
    k = np.argmin(dist, axis=-1)[..., None]
    z = np.take_along_axis(on_ray[..., 2], k, axis=-1)[..., 0]
    near_parallel = np.take_along_axis(cos, k, axis=-1)[..., 0] > np.cos(
        np.radians(MIN_ANGLE_DEG))
    return np.where(np.isfinite(np.min(dist, axis=-1)) & ~near_parallel, z, np.nan)


def onto_the_back(points: np.ndarray, imputed: np.ndarray, uv: np.ndarray,
                  conf: np.ndarray | float, pcutoff: float, camera: Camera,
                  back: np.ndarray) -> None:
    """Put a tracked keypoint on its ray at the lifted back's height where it lies, in place.

    Parameters
    ----------
    points
        ``(..., 3)`` the keypoint's lifted points (on its ray; imputed where untracked).
    imputed
        ``(...)`` bool: imputed points are left as they are.
    uv, conf
        ``(..., 2)`` its tracked pixels and ``(...)`` likelihoods (or one for all).
    pcutoff
        Below this likelihood the point is left as it is.
    camera
        The lift's camera.
    back
        ``(..., S, 3)`` the lifted midline without the keypoint's own landmark
        (``midline[..., midline_without(c), :]`` of the ``(..., len(MIDLINE), 3)`` lifted
        :data:`MIDLINE_INDEX` landmarks), front to back.
    """
    from dlc_lifter.nets.lifter import floor_points, points_on_rays  # the lift loaded them

    uv = np.asarray(uv, dtype=np.float64)
    seen = ((np.nan_to_num(np.asarray(conf, dtype=np.float64), nan=0.0) >= pcutoff)
            & np.isfinite(uv).all(-1) & np.isfinite(points).all(-1) & ~np.asarray(imputed))
    if not seen.any():
        return
    floor = floor_points(uv, camera)
    centre = np.asarray(camera.centre, dtype=np.float64)
    direction = np.concatenate([floor, np.zeros(floor.shape[:-1] + (1,))], -1) - centre
    z = _where_ray_meets(centre, direction, back)
    z = np.where(np.isfinite(z), np.maximum(z, 0.0), points[..., 2])
    p = points_on_rays(floor, centre, z)
    points[...] = np.where(seen[..., None] & np.isfinite(p).all(-1, keepdims=True), p, points)
