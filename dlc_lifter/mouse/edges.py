"""Which keypoints to join when drawing or recording a skeleton, from the catalogue's anatomy.

The plots draw these edges and the 3D outputs record them (an NWB ``Skeleton``, a SLEAP
skeleton) where the input file had none (a DLC ``.h5`` without its project's
``config.yaml``), whatever the user called the keypoints.
"""

from __future__ import annotations

from collections.abc import Sequence

from dlc_lifter.mouse.keypoint_map import map_keypoints

__all__ = ["canonical_names", "skeleton_edge_names", "skeleton_edges"]

_MIDLINE = (
    "nose", "head_midpoint", "neck", "mid_back", "mouse_center", "mid_backend",
    "mid_backend2", "mid_backend3", "tail_base", "tail1", "tail2", "tail3", "tail4", "tail5",
    "tail_end",
)
_LIMB_CHAINS = tuple(
    (f"{side}_{a}", f"{side}_{b}")
    for side in ("left", "right")
    for a, b in (
        ("ear", "ear_tip"), ("shoulder", "midside"), ("midside", "hip"),
        ("shoulder", "elbow"), ("elbow", "wrist"), ("wrist", "forepaw"),
        ("hip", "knee"), ("knee", "ankle"), ("ankle", "hindpaw"),
    )
)


def canonical_names(keypoints: Sequence[str]) -> list[str | None]:
    """Catalogue name of each keypoint (``None`` where it maps to none)."""
    mapping = map_keypoints(list(keypoints), strict=False)  # one name per landmark
    return [mapping.get(k) for k in keypoints]


def skeleton_edges(keypoints: Sequence[str]) -> list[tuple[int, int]]:
    """Edges between keypoints, from the catalogue's anatomy.

    The midline (nose, head, neck, back, tail) is chained through the keypoints
    present; the ears sit in the chain between the nose and the next midline point;
    eyes hang off the nose, limbs off their girdles.

    Parameters
    ----------
    keypoints
        Keypoint names as in the file (user or catalogue names).

    Returns
    -------
    list of (int, int)
        Index pairs into ``keypoints``.
    """
    canon = canonical_names(keypoints)
    idx = {c: i for i, c in enumerate(canon) if c is not None}
    edges: list[tuple[int, int]] = []
    mid = [n for n in _MIDLINE if n in idx]
    ears = [n for n in ("left_ear", "right_ear") if n in idx]
    for a, b in zip(mid, mid[1:], strict=False):
        if ears and a == "nose" and b != "head_midpoint":
            continue  # nose -> ears -> next, below
        edges.append((idx[a], idx[b]))
    if ears:
        before = "nose" if "nose" in idx else None
        after_pool = [n for n in mid if n != "nose"]
        after = after_pool[0] if after_pool else None
        if "head_midpoint" in idx:
            before, after = "head_midpoint", None
            after_mid = [n for n in mid if n not in ("nose", "head_midpoint")]
            after = after_mid[0] if after_mid else None
        for ear in ears:
            if before:
                edges.append((idx[before], idx[ear]))
            if after:
                edges.append((idx[ear], idx[after]))
        if len(ears) == 2:
            edges.append((idx["left_ear"], idx["right_ear"]))
    for eye in ("left_eye", "right_eye"):
        if eye in idx and "nose" in idx:
            edges.append((idx["nose"], idx[eye]))
    for a, b in _LIMB_CHAINS:
        if a in idx and b in idx:
            edges.append((idx[a], idx[b]))
    for side in ("left", "right"):
        for girdle, spine in (("shoulder", ("mid_back", "neck")),
                              ("hip", ("mid_backend3", "tail_base"))):
            g = f"{side}_{girdle}"
            s = next((n for n in spine if n in idx), None)
            if g in idx and s:
                edges.append((idx[s], idx[g]))
    return list(dict.fromkeys(edges))


def skeleton_edge_names(keypoints: Sequence[str]) -> list[tuple[str, str]]:
    """:func:`skeleton_edges` as pairs of the keypoints' own names."""
    names = list(keypoints)
    return [(names[a], names[b]) for a, b in skeleton_edges(names)]
