"""Keypoint skeletons that labs actually use, each mapped onto the landmark catalogue.

A pose file's keypoint names are first matched against these skeletons
(:func:`match_skeleton`); the skeleton that explains most of the names gives their
catalogue landmarks. Names are compared by :func:`compact` (lower case, letters and digits
only), so ``Left_ear``, ``left ear`` and ``LeftEar`` are one name.

Names go to the catalogue landmark they name; numbered tail points between a tail base
and a tail tip go to the catalogue tail point nearest their share of the tail. Where a
skeleton's labellers place a point away from the catalogue landmark of that name (e.g.
DANNCE's ``SpineF``/``SpineM`` sit further back on a real mouse than the synthetic neck
and mid-trunk), the name still decides: moving such points to the landmark at the same
share of the body made real lifts worse, because real mice are shorter than the
synthetic population.

Arena landmarks (corners, centre) a skeleton tracks are listed apart: they are not part
of the mouse.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from dlc_lifter.mouse.catalogue import CATALOGUE

__all__ = ["KNOWN_SKELETONS", "KnownSkeleton", "compact", "match_skeleton",
           "skeleton_of_catalogue_names"]


def compact(name: str) -> str:
    """A keypoint name reduced to lower-case letters and digits (``Left_ear`` -> ``leftear``)."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


@dataclass(frozen=True)
class KnownSkeleton:
    """A published or widely used keypoint skeleton.

    Attributes
    ----------
    name
        Short identifier, recorded in the output metadata.
    description
        Where the skeleton comes from.
    keypoints
        ``{keypoint name: catalogue landmark}``, names as the skeleton writes them;
        ``None`` for a mouse keypoint with no catalogue landmark (dropped, with a warning).
    arena
        ``{keypoint name: arena landmark}`` (``top_left``, ``top_right``, ``bottom_left``,
        ``bottom_right``, ``centre``) for skeletons that track the arena.
    unless
        Names whose presence shows a different skeleton (e.g. a third spine point).
    requires
        Names without which a file is not this skeleton's, however many of its other names
        it has (keypoint-MoSeq's ``tail`` is the tail's end only behind ``spine4``; a file
        of ``nose``, ears and ``tail`` calls its tail base ``tail``).
    aliases
        Other spellings of the same keypoints seen in the wild (matched, never written).
    view
        Where the lab's camera films from: ``above`` or ``below`` (through a glass floor;
        such files are lifted from below by their sides alone, see
        :mod:`dlc_lifter.lift.handedness`; the name records how the lab films).
    """

    name: str
    description: str
    keypoints: Mapping[str, str | None]
    arena: Mapping[str, str] = field(default_factory=dict)
    unless: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    aliases: Mapping[str, str | None] = field(default_factory=dict)
    view: str = "above"

    def lookup(self) -> dict[str, tuple[str, str | None]]:
        """``{compact name: ("mouse" | "arena", landmark)}`` of every name it knows."""
        out: dict[str, tuple[str, str | None]] = {
            compact(k): ("mouse", v) for k, v in {**self.aliases, **self.keypoints}.items()}
        out.update({compact(k): ("arena", v) for k, v in self.arena.items()})
        return out


_SA27 = (
    "nose", "left_ear", "right_ear", "left_ear_tip", "right_ear_tip", "left_eye", "right_eye",
    "neck", "mid_back", "mouse_center", "mid_backend", "mid_backend2", "mid_backend3",
    "tail_base", "tail1", "tail2", "tail3", "tail4", "tail5", "left_shoulder", "left_midside",
    "left_hip", "right_shoulder", "right_midside", "right_hip", "tail_end", "head_midpoint",
)

_CATALOGUE_KEYS = frozenset(compact(n) for n in CATALOGUE)

KNOWN_SKELETONS: tuple[KnownSkeleton, ...] = (
    KnownSkeleton(
        "dlc_openfield", "DeepLabCut's openfield example (Mathis et al. 2018)",
        {"snout": "nose", "leftear": "left_ear", "rightear": "right_ear",
         "tailbase": "tail_base"}),
    KnownSkeleton(
        "superanimal_topviewmouse", "DeepLabCut SuperAnimal-TopViewMouse (27 keypoints)",
        {n: n for n in _SA27}),
    KnownSkeleton(
        "dlcanalyzer_openfield", "DLCAnalyzer open field (Sturman et al. 2020, 18 keypoints)",
        {"nose": "nose", "headcentre": "head_midpoint", "neck": "neck", "earl": "left_ear",
         "earr": "right_ear", "bodycentre": "mouse_center", "bcl": "left_midside",
         "bcr": "right_midside", "hipl": "left_hip", "hipr": "right_hip",
         "tailbase": "tail_base", "tailcentre": "tail3", "tailtip": "tail_end"},
        {"tl": "top_left", "tr": "top_right", "bl": "bottom_left", "br": "bottom_right",
         "centre": "centre"}),
    KnownSkeleton(
        "sleap_mouse", "SLEAP / sleap-anipose mouse (15 nodes; TTI = tail-torso interface)",
        {"Nose": "nose", "Ear_R": "right_ear", "Ear_L": "left_ear", "TTI": "tail_base",
         "TailTip": "tail_end", "Head": "head_midpoint", "Trunk": "mouse_center",
         "Tail_0": "tail2", "Tail_1": "tail3", "Tail_2": "tail4",
         "Shoulder_left": "left_shoulder", "Shoulder_right": "right_shoulder",
         "Haunch_left": "left_hip", "Haunch_right": "right_hip", "Neck": "neck"}),
    KnownSkeleton(
        "sleap_home_cage_mouse", "SLEAP sample mice, top view (5 nodes; spellings vary)",
        {"nose": "nose", "earL": "left_ear", "earR": "right_ear", "tailstart": "tail_base",
         "tailend": "tail_end"},
        aliases={"snout": "nose", "nose1": "nose", "ear_left": "left_ear",
                 "ear_right": "right_ear", "tail_base1": "tail_base",
                 "tailtip": "tail_end"}),
    KnownSkeleton(
        "mars", "MARS top view (Segalin et al. 2021, 7 keypoints)",
        {"nose tip": "nose", "right ear": "right_ear", "left ear": "left_ear",
         "neck": "neck", "right side body": "right_hip", "left side body": "left_hip",
         "tail base": "tail_base"}),
    KnownSkeleton(
        "calms21", "CalMS21 (Sun et al. 2021, 7 keypoints per mouse)",
        {"nose": "nose", "left ear": "left_ear", "right ear": "right_ear", "neck": "neck",
         "left hip": "left_hip", "right hip": "right_hip", "tail base": "tail_base"}),
    KnownSkeleton(
        "mabe_mouse_triplets", "MABe 2022 mouse triplets (12 keypoints)",
        {"nose": "nose", "left ear": "left_ear", "right ear": "right_ear", "neck": "neck",
         "left forepaw": "left_forepaw", "right forepaw": "right_forepaw",
         "center back": "mouse_center", "left hindpaw": "left_hindpaw",
         "right hindpaw": "right_hindpaw", "tail base": "tail_base",
         "tail middle": "tail3", "tail tip": "tail_end"}),
    KnownSkeleton(
        "jabs", "JABS (Kumar lab, 12 keypoints)",
        {"NOSE": "nose", "LEFT_EAR": "left_ear", "RIGHT_EAR": "right_ear",
         "BASE_NECK": "neck", "LEFT_FRONT_PAW": "left_forepaw",
         "RIGHT_FRONT_PAW": "right_forepaw", "CENTER_SPINE": "mouse_center",
         "LEFT_REAR_PAW": "left_hindpaw", "RIGHT_REAR_PAW": "right_hindpaw",
         "BASE_TAIL": "tail_base", "MID_TAIL": "tail3", "TIP_TAIL": "tail_end"}),
    KnownSkeleton(
        "deepof", "DeepOF top view (14 keypoints; f/b hip = front/back hip)",
        {"Nose": "nose", "Left_ear": "left_ear", "Right_ear": "right_ear",
         "Spine_1": "mid_back", "Center": "mouse_center", "Spine_2": "mid_backend2",
         "Tail_base": "tail_base", "Tail_1": "tail2", "Tail_2": "tail4",
         "Tail_tip": "tail_end", "Left_bhip": "left_hip", "Right_bhip": "right_hip",
         "Left_fhip": "left_shoulder", "Right_fhip": "right_shoulder"}),
    KnownSkeleton(
        "deepof_more_bodyparts", "DeepOF's names with a point between each two along the "
        "back and the midsides (22 keypoints; a lab's multi-animal DeepLabCut project)",
        {"Nose": "nose", "Left_ear": "left_ear", "Right_ear": "right_ear",
         "Center_head": "head_midpoint", "Left_fhip": "left_shoulder",
         "Right_fhip": "right_shoulder", "Spine_1": "neck", "Spine_1-center": "mid_back",
         "Center": "mouse_center", "Left_mid": "left_midside", "Right_mid": "right_midside",
         "Left_bhip": "left_hip", "Right_bhip": "right_hip", "Spine_center-2": "mid_backend",
         "Spine_2": "mid_backend2", "Spine_2-base": "mid_backend3", "Tail_base": "tail_base",
         "Tail_1": "tail1", "Tail_2": "tail2", "Tail_3": "tail4", "Tail_4": "tail5",
         "Tail_tip": "tail_end"}, requires=("Spine_1-center", "Spine_center-2")),
    KnownSkeleton(
        "dannce_mouse22", "DANNCE mouse22 (Dunn et al. 2021, 22 keypoints)",
        {"Snout": "nose", "EarL": "left_ear", "EarR": "right_ear", "SpineF": "neck",
         "SpineM": "mouse_center", "Tail_base": "tail_base", "Tail_mid": "tail3",
         "Tail_end": "tail_end", "ForepawL": "left_forepaw", "WristL": "left_wrist",
         "ElbowL": "left_elbow", "ShoulderL": "left_shoulder",
         "ForepawR": "right_forepaw", "WristR": "right_wrist", "ElbowR": "right_elbow",
         "ShoulderR": "right_shoulder", "HindpawL": "left_hindpaw", "AnkleL": "left_ankle",
         "KneeL": "left_knee", "HindpawR": "right_hindpaw", "AnkleR": "right_ankle",
         "KneeR": "right_knee"}, unless=("SpineL",)),
    KnownSkeleton(
        "bsoid_bottomup", "B-SOiD's open field filmed from below (Hsu & Yttri 2021, 6 keypoints)",
        {"Snout": "nose", "Front Paw R": "right_forepaw", "Front Paw L": "left_forepaw",
         "Hind Paw R": "right_hindpaw", "Hind Paw L": "left_hindpaw",
         "Butt/Proximal Tail": "tail_base"}, view="below"),
    KnownSkeleton(
        "lupe", "LUPE 2.0 pain box filmed from below (Corder lab; 20 keypoints, paw digits)",
        {"nose": "nose", "mouth": None, "l_forepaw": "left_forepaw", "l_forepaw_digit": None,
         "r_forepaw": "right_forepaw", "r_forepaw_digit": None,
         "l_hindpaw": "left_hindpaw", **{f"l_hindpaw_digit{i}": None for i in range(1, 6)},
         "r_hindpaw": "right_hindpaw", **{f"r_hindpaw_digit{i}": None for i in range(1, 6)},
         "genitalia": None, "tail_base": "tail_base"}, view="below"),
    KnownSkeleton(
        "avatar", "AVATAR 3D system, as in SUBTLE's datasets (Kwon et al. 2023, 9 keypoints; "
        "hand / foot = fore / hind paw, anus under the tail base, chest on the belly)",
        {"nose": "nose", "neck": "neck", "anus": "tail_base", "chest": None,
         "rfoot": "right_hindpaw", "lfoot": "left_hindpaw", "rhand": "right_forepaw",
         "lhand": "left_forepaw", "tip": "tail_end"}),
    KnownSkeleton(
        # ``spine4`` ends the body and ``tail`` lies down the tail: keypoint-MoSeq's tutorial
        # takes ``spine4`` as the body's back end and leaves ``tail`` out (its FAQ: omit
        # the tail), and a real file written under these names (SuperAnimal's points
        # renamed for keypoint-MoSeq) has ``spine4`` from its tail base and ``tail`` from
        # its tail end, about a body length behind (docs/results.md, "Real files from four
        # more sources: a nose raised in most frames warned about, keypoint-MoSeq's back
        # end, Git LFS pointers; the neck label moved back, screened")
        "keypoint_moseq", "keypoint-MoSeq example DLC project (9 keypoints)",
        {"tail": "tail_end", "spine4": "tail_base", "spine3": "mid_backend2",
         "spine2": "mouse_center", "spine1": "mid_back", "head": "head_midpoint",
         "nose": "nose", "right ear": "right_ear", "left ear": "left_ear"},
        requires=("spine4",)),
)


def match_skeleton(names: Sequence[str], *, min_share: float = 0.75) -> KnownSkeleton | None:
    """The known skeleton that names most of ``names``, or ``None``.

    Names that are catalogue names already (``nose``, ``Left_ear``, ``tail1``) say little
    about the skeleton; the match is decided on the others.

    Parameters
    ----------
    names
        The file's keypoint names.
    min_share
        Fewest share of the distinctive names the skeleton must know.

    Returns
    -------
    KnownSkeleton or None
        The skeleton knowing the most distinctive names (ties: the one with fewer names
        of its own, the more specific), when it knows enough of them; ``None`` when every
        name is a catalogue name or no skeleton fits.
    """
    keys = [compact(n) for n in names]
    distinctive = [k for k in keys if k not in _CATALOGUE_KEYS]
    if not distinctive:
        return None
    best, best_key = None, (0, 0)
    for skel in KNOWN_SKELETONS:
        known = skel.lookup()
        if any(compact(u) in keys for u in skel.unless) or not all(
                compact(r) in keys for r in skel.requires):
            continue
        hits = sum(k in known for k in distinctive)
        key = (hits, -len(known))
        if hits and hits >= min_share * len(distinctive) and key > best_key:
            best, best_key = skel, key
    return best


def skeleton_of_catalogue_names(names: Sequence[str]) -> KnownSkeleton | None:
    """The known skeleton whose names, all of them the catalogue's own, are ``names``.

    :func:`match_skeleton` decides on the names that are not catalogue names; a file of
    catalogue names alone (DeepLabCut SuperAnimal-TopViewMouse's 27) needs no skeleton to be
    mapped, but is still that skeleton's.

    Parameters
    ----------
    names
        The file's keypoint names.

    Returns
    -------
    KnownSkeleton or None
        The skeleton with exactly these names (compared by :func:`compact`), each a
        catalogue name; ``None`` otherwise.

    Examples
    --------
    >>> skeleton_of_catalogue_names(list(_SA27)).name
    'superanimal_topviewmouse'
    >>> skeleton_of_catalogue_names(["nose", "left_ear", "tail_base"]) is None
    True
    """
    keys = {compact(n) for n in names}
    for skel in KNOWN_SKELETONS:
        own = {compact(k) for k in skel.keypoints}
        if own == keys and own <= _CATALOGUE_KEYS and not skel.arena:
            return skel
    return None
