"""Canonical mouse landmark catalogue and mapping of user keypoint names onto it.

Every 3D landmark the synthetic mouse exposes has one canonical name here. Users
name their keypoints freely (DLC ``snout``, SuperAnimal ``nose``, DANNCE ``Snout``,
SLEAP ``nose1``...); :func:`resolve_name` resolves one name through an alias table and a
normalised-name match; whole files (known skeletons, arena landmarks, conflicts, a user
YAML mapping) are mapped by :mod:`dlc_lifter.mouse.keypoint_map`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from dlc_lifter.errors import UnknownKeypointError
from dlc_lifter.io.mouse_files import read_keypoint_map_file

__all__ = [
    "ALIASES",
    "CATALOGUE",
    "CATALOGUE_SUFFIX",
    "KEYPOINT_SETS",
    "LANDMARKS",
    "Landmark",
    "UnknownKeypointError",
    "unknown_keypoints",
    "unknown_map_targets",
    "catalogue_index",
    "closest_names",
    "load_mapping",
    "resolve_name",
    "resolve_name_ranked",
]


@dataclass(frozen=True)
class Landmark:
    """One canonical landmark of the synthetic mouse.

    Attributes
    ----------
    name
        Canonical snake_case name.
    region
        ``head``, ``body``, ``tail``, ``forelimb`` or ``hindlimb``.
    kind
        ``surface`` for points annotators click on the visible skin from above,
        ``joint`` for limb joint centres.
    mirror
        Name of the left/right counterpart (itself for midline points).
    description
        One line for people reading ``dlc-lifter info``.
    """

    name: str
    region: str
    kind: str
    mirror: str
    description: str


def _pair(stem: str, region: str, kind: str, desc: str) -> list[Landmark]:
    return [
        Landmark(f"left_{stem}", region, kind, f"right_{stem}", f"left {desc}"),
        Landmark(f"right_{stem}", region, kind, f"left_{stem}", f"right {desc}"),
    ]


def _mid(name: str, region: str, kind: str, desc: str) -> Landmark:
    return Landmark(name, region, kind, name, desc)


LANDMARKS: tuple[Landmark, ...] = tuple(
    [
        _mid("nose", "head", "surface", "tip of the snout"),
        *_pair("eye", "head", "surface", "eye centre"),
        *_pair("ear", "head", "surface", "ear centre (pinna base to tip midpoint)"),
        *_pair("ear_tip", "head", "surface", "distal tip of the pinna"),
        _mid("head_midpoint", "head", "surface", "top of the head between the ears"),
        _mid("neck", "body", "surface", "dorsal neck, behind the skull"),
        *_pair("shoulder", "body", "surface", "side of the body over the shoulder"),
        _mid("mid_back", "body", "surface", "dorsal midline over the shoulder blades"),
        *_pair("midside", "body", "surface", "side of the body at mid-trunk"),
        _mid("mouse_center", "body", "surface", "dorsal midline at mid-trunk"),
        _mid("mid_backend", "body", "surface", "dorsal midline, first lumbar third"),
        _mid("mid_backend2", "body", "surface", "dorsal midline, second lumbar third"),
        _mid("mid_backend3", "body", "surface", "dorsal midline over the sacrum"),
        *_pair("hip", "body", "surface", "side of the body over the hip"),
        _mid("tail_base", "tail", "surface", "base of the tail"),
        _mid("tail1", "tail", "surface", "tail, 1/6 of its length"),
        _mid("tail2", "tail", "surface", "tail, 2/6 of its length"),
        _mid("tail3", "tail", "surface", "tail, 3/6 of its length (middle)"),
        _mid("tail4", "tail", "surface", "tail, 4/6 of its length"),
        _mid("tail5", "tail", "surface", "tail, 5/6 of its length"),
        _mid("tail_end", "tail", "surface", "tip of the tail"),
        *_pair("elbow", "forelimb", "joint", "elbow joint centre"),
        *_pair("wrist", "forelimb", "joint", "wrist joint centre"),
        *_pair("forepaw", "forelimb", "joint", "centre of the forepaw"),
        *_pair("knee", "hindlimb", "joint", "knee joint centre"),
        *_pair("ankle", "hindlimb", "joint", "ankle joint centre"),
        *_pair("hindpaw", "hindlimb", "joint", "centre of the hindpaw"),
    ]
)

#: Canonical names, in catalogue order (the order of every model's keypoint axis).
CATALOGUE: tuple[str, ...] = tuple(lm.name for lm in LANDMARKS)

_INDEX = {name: i for i, name in enumerate(CATALOGUE)}

#: Named keypoint sets users commonly track.
KEYPOINT_SETS: dict[str, tuple[str, ...]] = {
    "openfield": ("nose", "left_ear", "right_ear", "tail_base"),
    "superanimal_topviewmouse": (
        "nose", "left_ear", "right_ear", "left_ear_tip", "right_ear_tip", "left_eye",
        "right_eye", "neck", "mid_back", "mouse_center", "mid_backend", "mid_backend2",
        "mid_backend3", "tail_base", "tail1", "tail2", "tail3", "tail4", "tail5",
        "left_shoulder", "left_midside", "left_hip", "right_shoulder", "right_midside",
        "right_hip", "tail_end", "head_midpoint",
    ),
    "all": CATALOGUE,
}

#: Explicit aliases (lower-cased user name -> canonical name). Names not listed
#: here are also matched after normalisation, see :func:`resolve_name`.
ALIASES: dict[str, str] = {
    # DLC openfield example and common DLC single-animal projects
    # ("thorax" is left out on purpose: insect skeletons use it; a bare "head" or "tail" is
    # read loosely, see _BARE_WORDS)
    "snout": "nose", "leftear": "left_ear", "rightear": "right_ear", "tailbase": "tail_base",
    "tailend": "tail_end", "tailtip": "tail_end", "tail_tip": "tail_end", "nose_tip": "nose",
    "nosetip": "nose", "center_head": "head_midpoint", "centre_head": "head_midpoint",
    "center_back": "mouse_center", "centre_back": "mouse_center",
    "headcenter": "head_midpoint", "head_centre": "head_midpoint", "head_mid": "head_midpoint",
    "middle_head": "head_midpoint", "mid_head": "head_midpoint", "head_middle": "head_midpoint",
    "centroid": "mouse_center", "center": "mouse_center", "centre": "mouse_center",
    "bodycenter": "mouse_center", "body_center": "mouse_center", "body": "mouse_center",
    "spine": "mouse_center", "back": "mouse_center", "midback": "mid_back",
    "dorsal": "mouse_center",
    "tail_mid": "tail3", "tailmid": "tail3", "tail_middle": "tail3", "mid_tail": "tail3",
    "midtail": "tail3",
    "tail_start": "tail_base", "tailstart": "tail_base", "tail_root": "tail_base",
    "tailroot": "tail_base", "neck_base": "neck", "neckbase": "neck",
    "mid_body": "mouse_center", "midbody": "mouse_center", "body_mid": "mouse_center",
    "spine_mid": "mouse_center", "mid_spine": "mouse_center", "midspine": "mouse_center",
    "main_body": "mouse_center", "mainbody": "mouse_center",  # a DeepLabCut 3 open field's
    # DeepOF's front and back "hips" (shoulders and hips) and midsides, met outside its
    # own skeleton (more points than it has)
    "left_fhip": "left_shoulder", "right_fhip": "right_shoulder", "left_bhip": "left_hip",
    "right_bhip": "right_hip", "left_mid": "left_midside", "right_mid": "right_midside",
    # DANNCE / Rat7M-style mouse names
    "earl": "left_ear", "earr": "right_ear", "spinef": "neck", "spinem": "mouse_center",
    "spinel": "mid_backend2", "tail_base_": "tail_base", "tail_mid_": "tail3",
    "tail_end_": "tail_end", "shoulderl": "left_shoulder", "shoulderr": "right_shoulder",
    "elbowl": "left_elbow", "elbowr": "right_elbow", "wristl": "left_wrist",
    "wristr": "right_wrist", "forepawl": "left_forepaw", "forepawr": "right_forepaw",
    "hipl": "left_hip", "hipr": "right_hip", "kneel": "left_knee", "kneer": "right_knee",
    "anklel": "left_ankle", "ankler": "right_ankle", "hindpawl": "left_hindpaw",
    "hindpawr": "right_hindpaw", "eyel": "left_eye", "eyer": "right_eye",
    # SLEAP mouse skeletons (top-view open field, home cage) and MARS
    "nose1": "nose", "ear_left": "left_ear", "ear_right": "right_ear", "neck1": "neck",
    "tail_base1": "tail_base", "tailbase1": "tail_base", "left_ear1": "left_ear",
    "right_ear1": "right_ear", "forelimb_left": "left_forepaw", "forelimb_right": "right_forepaw",
    "hindlimb_left": "left_hindpaw", "hindlimb_right": "right_hindpaw", "trunk": "mouse_center",
    "torso": "mouse_center",  # SLEAP's tutorial mice: head, torso, tail_base
    "tti": "tail_base",
    "tail_0": "tail_base", "tail0": "tail_base", "tailtip1": "tail_end",
    "left_side": "left_midside", "right_side": "right_midside", "leftside": "left_midside",
    "rightside": "right_midside", "left_hip_": "left_hip", "right_hip_": "right_hip",
    "lat_left": "left_midside", "lat_right": "right_midside",  # SimBA's 16-body-part mice
    "lateral_left": "left_midside", "lateral_right": "right_midside",
    "forepaw_left": "left_forepaw", "forepaw_right": "right_forepaw",
    "hindpaw_left": "left_hindpaw", "hindpaw_right": "right_hindpaw",
    "front_left_paw": "left_forepaw", "front_right_paw": "right_forepaw",
    "hind_left_paw": "left_hindpaw", "hind_right_paw": "right_hindpaw",
    "left_front_paw": "left_forepaw", "right_front_paw": "right_forepaw",
    "left_hind_paw": "left_hindpaw", "right_hind_paw": "right_hindpaw",
    # names of real datasets listed in DeepLabCut's SuperAnimal-TopViewMouse conversion
    # table (MausHaus, DLCAnalyzer-style open-field, EPM, FST projects) and B-SOiD
    "bodycentre": "mouse_center", "body_centre": "mouse_center", "middle": "mouse_center",
    "headcentre": "head_midpoint", "tailcentre": "tail3", "tail_centre": "tail3",
    "tailcenter": "tail3", "tail_center": "tail3", "bcl": "left_midside",
    "bcr": "right_midside", "shoulder": "neck", "rump": "tail_base", "butt": "tail_base",
    "proximal_tail": "tail_base", "butt_proximal_tail": "tail_base",
    # a SLEAP project's one lumbar point beside its tail start (lisaji0312's social
    # interaction mice: ``tailstart1, haunch``): the back just before the tail
    "haunch": "mid_backend3", "pelvis": "mid_backend3",
    # Spanish, as a real multi-animal DLC project labels its mice
    "hocico": "nose", "nariz": "nose", "cabeza": "head_midpoint", "cuello": "neck",
    "cuerposuperior": "mid_back", "cuerpo_superior": "mid_back",
    "cuerpoinferior": "mid_backend2", "cuerpo_inferior": "mid_backend2",
    "centro": "mouse_center", "colabase": "tail_base", "cola_base": "tail_base",
    "base_cola": "tail_base", "colapunta": "tail_end", "cola_punta": "tail_end",
    "punta_cola": "tail_end",
}

#: Bare words a simple skeleton uses (``head, body, tail``), matched as loosely as a name
#: without its trailing number: any more specific name of the file for that landmark wins
#: (``tailbase`` over ``tail``). Alone, ``head`` or ``tail`` never makes a file liftable:
#: an insect's ``head, thorax, abdomen`` still maps one region only.
_BARE_WORDS: dict[str, str] = {"head": "head_midpoint", "tail": "tail_base"}

#: Body-part words a side word is written against (``leftearbase``, ``Lateral_left``) ->
#: the catalogue's stem.
_STEMS: dict[str, str] = {
    "earbase": "ear", "ear_base": "ear", "eartip": "ear_tip", "side": "midside",
    "lateral": "midside", "frontpaw": "forepaw", "front_paw": "forepaw",
    "fore_paw": "forepaw", "hind_paw": "hindpaw", "rearpaw": "hindpaw", "rear_paw": "hindpaw",
    # VAME's mice (``Forehand-Left``, ``Hindhand-Right``, filmed from below); SLEAP's mouse
    # open-field template (``forelegL1``, ``hindlegR1``)
    "forehand": "forepaw", "fore_hand": "forepaw", "hindhand": "hindpaw",
    "hind_hand": "hindpaw", "foreleg": "forepaw", "hindleg": "hindpaw",
    # Inscopix's bottom-view DeepLabCut model (``R_hind``, ``L_fore``): the limb's word alone
    "fore": "forepaw", "hind": "hindpaw", "front": "forepaw", "rear": "hindpaw",
    "haunch": "hip",
    # feet for paws (``left_front_foot``, ``right_hindfoot``, ``back_paw_left``)
    "forefoot": "forepaw", "fore_foot": "forepaw", "front_foot": "forepaw",
    "frontfoot": "forepaw", "hindfoot": "hindpaw", "hind_foot": "hindpaw",
    "rear_foot": "hindpaw", "rearfoot": "hindpaw", "back_foot": "hindpaw",
    "backfoot": "hindpaw", "back_paw": "hindpaw", "backpaw": "hindpaw",
    # joints of the foot by their anatomical names (the Talmo lab's eight-camera mouse:
    # ``Heel_L``, ``MTP_L``): the heel at the ankle, the toes' base joints the paw
    "heel": "ankle", "hock": "ankle", "mtp": "hindpaw", "mcp": "forepaw",
}

#: A paw by its side-and-limb code with the word paw or foot (``lfpaw``, ``paw_FL``,
#: ``RH_foot``): l/r the side, f/h the limb. The code alone (``FL``) is not read.
_PAW_CODE = re.compile(
    r"^(?=.*(?:paw|foot))(?:(?:paw|foot)_?)?([lr][fh]|[fh][lr])(?:_?(?:paw|foot))?$")


def unknown_keypoints(names: str | Sequence[str], source: str | None = None, *,
                      still: Sequence[str] = ()) -> UnknownKeypointError:
    """The :class:`~dlc_lifter.errors.UnknownKeypointError` for ``names``, with the closest
    catalogue names as suggestions (raise it); ``still``: those that stay in place while the
    animal moves, named as the set-up instead."""
    listed = [names] if isinstance(names, str) else list(names)
    return UnknownKeypointError(listed, source, {n: closest_names(n) for n in listed},
                                still=still)


def unknown_map_targets(mapping: Mapping[str, str | None], source: str | None = None
                        ) -> UnknownKeypointError | None:
    """The :class:`~dlc_lifter.errors.UnknownKeypointError` for a keypoint map's targets
    that are not catalogue landmarks (``snout: noze``), naming the user keypoint each is
    for and the closest landmarks; ``None`` when every target is one (raise it)."""
    bad = {str(v): str(k) for k, v in mapping.items() if v is not None and v not in _INDEX}
    if not bad:
        return None
    return UnknownKeypointError(list(bad), source, {n: closest_names(n) for n in bad},
                                mapped_from=bad)


#: How alike (difflib's ratio) a catalogue name must be to be offered as the closest to an
#: unknown one. At 0.4 the hints named other body parts (``pawL`` -> tail5, tail4, tail3;
#: a mirror view's ``paw1LH_bot`` -> tail_base; ``thorax`` -> left_forepaw).
CLOSEST_CUTOFF = 0.5


#: Body-part words: a name holding one is offered only catalogue names holding it too.
_PART_WORDS = frozenset({"ear", "eye", "nose", "paw", "forepaw", "hindpaw", "tail", "hip",
                         "knee", "elbow", "wrist", "shoulder", "ankle", "neck"})


#: Words of a paw's parts, read as the paw for the hints: a finger's closest landmarks are
#: the forepaws (``R_Finger1``, ``R_Finger1_Base``), not ``right_ear`` or ``tail_base``.
_PAW_PARTS = ((re.compile(r"^(finger|hand)s?\d*$"), "forepaw"),
              (re.compile(r"^(foot|feet|toe|digit|claw|nail)s?\d*$"), "paw"))

#: A side written as a whole word, or glued to the front or back of a name.
_SIDE_WORDS = {"left": "left", "l": "left", "right": "right", "r": "right"}
_GLUED_SIDE = re.compile(r"^(left|right)(?=[a-z]{3})|(?<=[a-z]{3})(left|right)$")


def closest_names(name: str, n: int = 3) -> list[str]:
    """Up to ``n`` catalogue names that look like ``name``.

    A name holding a body-part word (``Ear base``) is offered only names of that part (not
    ``tail_base``); a paw's part is offered paws (``R_Finger1``: forepaws). A name with a side is
    offered that side's names whose rest looks like its own rest: the side word alone makes
    nothing alike (``leftpetridish`` is not offered ``left_wrist``).
    """
    norm = _normalise(name)
    words = {next((p for pattern, p in _PAW_PARTS if pattern.match(w)), w)
             for w in norm.split("_")}
    parts = words & _PART_WORDS
    if parts:  # the part is known: any of its names is closer than another part's
        pool = [c for c in CATALOGUE if any(w.startswith(part) or w.endswith(part)
                                            for w in c.split("_") for part in parts)]
        return difflib.get_close_matches(norm, pool, n=n, cutoff=0.0)
    sided = _side_and_rest(norm)
    if sided is not None:
        side, rest = sided
        rests = {c[len(side) + 1:]: c for c in CATALOGUE if c.startswith(f"{side}_")}
        return [rests[r] for r in difflib.get_close_matches(rest, rests, n=n,
                                                            cutoff=CLOSEST_CUTOFF)]
    return difflib.get_close_matches(norm, CATALOGUE, n=n, cutoff=CLOSEST_CUTOFF)


def _side_and_rest(norm: str) -> tuple[str, str] | None:
    """``(side, the name without it)`` of a normalised name naming a side, else ``None``."""
    words = norm.split("_")
    for i, w in enumerate(words):
        if w in _SIDE_WORDS and len(words) > 1:
            return _SIDE_WORDS[w], "_".join(words[:i] + words[i + 1:])
    m = _GLUED_SIDE.search(norm) if len(words) == 1 else None
    if m is None:
        return None
    return m.group(m.lastindex), norm[:m.start()] + norm[m.end():]


# the whole word first: ``lefteye`` is left + eye, not l + efteye
_SIDE_PATTERNS = (
    (re.compile(r"^(left|l)[_\- ]?(.+)$"), "left_{}"),
    (re.compile(r"^(right|r)[_\- ]?(.+)$"), "right_{}"),
    (re.compile(r"^(.+?)[_\- ]?(left|l)$"), "left_{}"),
    (re.compile(r"^(.+?)[_\- ]?(right|r)$"), "right_{}"),
)


def _normalise(name: str) -> str:
    s = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name.strip())  # camelCase -> camel_case
    s = re.sub(r"[\s\-./()\[\]]+", "_", s.lower())  # Tail(base), paw[L]
    return s.strip("_")


def _candidates_of(raw: str, base: str) -> list[str]:
    out = [raw.lower(), base, base.replace("_", "")]
    m = _PAW_CODE.match(base)
    if m:
        code = m.group(1)
        out.append(f"{'left' if 'l' in code else 'right'}_"
                   f"{'forepaw' if 'f' in code else 'hindpaw'}")
    for pattern, template in _SIDE_PATTERNS:
        m = pattern.match(base)
        if m:
            groups = [g for g in m.groups() if g not in ("l", "left", "r", "right")]
            stem = groups[0].strip("_") if groups else ""
            if stem:
                out.append(template.format(_STEMS.get(stem, stem)))
    return out


def resolve_name(name: str, mapping: Mapping[str, str] | None = None) -> str | None:
    """Return the canonical name for a user keypoint name, or ``None``.

    Parameters
    ----------
    name
        The keypoint name as the user's tracking tool wrote it.
    mapping
        Optional user mapping ``{user_name: canonical_name}`` that takes precedence.

    Returns
    -------
    str or None
        Canonical catalogue name, or ``None`` when nothing matches.
    """
    if mapping and name in mapping:
        target = mapping[name]
        if target not in _INDEX:
            raise unknown_map_targets({name: target}, "the keypoint mapping")
        return target
    return resolve_name_ranked(name)[0]


#: Suffix of an imputed catalogue keypoint's output name where the file already uses that
#: name, or one read as it, for another keypoint (a ``neck`` mapped onto ``head_midpoint``;
#: SLEAP's ``Tail_1``, the third tail point, beside the catalogue's ``tail1``): read back
#: as the catalogue landmark it carries (``neck_catalogue`` -> ``neck``).
CATALOGUE_SUFFIX = "_catalogue"


def resolve_name_ranked(name: str) -> tuple[str | None, int]:
    """The canonical name for ``name`` and how specific the match is.

    Returns
    -------
    canonical, rank
        ``rank`` 1 when the whole name (normalised) is a catalogue name or an alias (or one
        with :data:`CATALOGUE_SUFFIX`, as a lift names an imputed landmark), 2 when
        only the name without its trailing number is (``Spine_1`` -> ``spine``) or the name
        is a bare ``head`` or ``tail``; the canonical name is ``None`` (rank 3) when nothing
        matches.
    """
    norm = _normalise(name)
    if norm.endswith(CATALOGUE_SUFFIX) and norm[:-len(CATALOGUE_SUFFIX)] in _INDEX:
        return norm[:-len(CATALOGUE_SUFFIX)], 1  # a lift's own output name
    for rank, base in ((1, norm), (2, re.sub(r"_?\d+$", "", norm))):
        if rank == 2 and base == norm:
            break
        for cand in _candidates_of(name if rank == 1 else base, base):
            if cand in _INDEX:
                return cand, rank
            alias = ALIASES.get(cand)
            if alias is not None:
                return alias, rank
    bare = _BARE_WORDS.get(norm)
    if bare is not None:
        return bare, 2
    return None, 3


def catalogue_index(names: Sequence[str]) -> list[int]:
    """Indices of canonical names on the catalogue axis."""
    try:
        return [_INDEX[n] for n in names]
    except KeyError as exc:
        raise unknown_keypoints(str(exc.args[0])) from None


def load_mapping(path: str | Path) -> dict[str, str]:
    """Read a user keypoint mapping YAML (``user_name: canonical_name`` per line).

    The file is read by :func:`dlc_lifter.io.mouse_files.read_keypoint_map_file`; its
    names are checked here.

    Raises
    ------
    FileNotFoundError, ValueError
        When the file is missing or is not a flat mapping of names.
    """
    p = Path(path)
    data = read_keypoint_map_file(p)
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in data.items()
    ):
        raise ValueError(
            f"Keypoint mapping file {p} must be a flat YAML mapping 'user_name: catalogue_name'."
        )
    error = unknown_map_targets(data, str(p))
    if error is not None:
        raise error
    return data
