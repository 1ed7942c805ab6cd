"""Map a pose file's keypoint names onto the landmark catalogue, the way a user expects.

:func:`plan_keypoint_map` decides, for every keypoint name of a file, one of:

- a catalogue landmark (``mapped``): from the user's map, else from the known skeleton the
  file's names match (:mod:`dlc_lifter.mouse.skeletons`), else from the alias table and
  normalised names (:func:`~dlc_lifter.mouse.catalogue.resolve_name_ranked`);
- an arena landmark (``arena``): corners and centre of the arena (``tl``, ``top_left``,
  ``corner1``, ...), which are not lifted but kept for the scale;
- dropped (``dropped``, with the reason): names that map to nothing, names the user maps to
  ``null``, and the less specific of two names that claim one landmark.

Names that carry an animal's prefix (``moth_nose``, ``mouse1-tailbase``, ``pup_snout``: a
leading word that starts two or more names of the file, what follows it a known name) are
read without it. Two animals' names may then claim one landmark (``moth_nose`` and
``pup_nose``); both are kept (:attr:`KeypointMap.shared`), and each individual is lifted
from the one it tracks (:func:`dlc_lifter.lift.keypoints.catalogue_arrays`). Likewise where
the file's individuals track different names (a multi-animal DeepLabCut file's unique
bodyparts, under the individual ``single``, and the others' bodyparts): the individuals that
track a name in common are one animal, and each keeps its own names (``carriers``).

Nothing here raises for an unknown name unless ``strict``; the caller logs
:attr:`KeypointMap.warnings` and checks :meth:`KeypointMap.require_liftable`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from dlc_lifter.errors import KeypointMappingError
from dlc_lifter.mouse.catalogue import (
    LANDMARKS,
    closest_names,
    resolve_name_ranked,
    unknown_keypoints,
    unknown_map_targets,
)
from dlc_lifter.mouse.skeletons import compact, match_skeleton

__all__ = ["ARENA_LANDMARKS", "KeypointMap", "arena_landmark", "map_keypoints",
           "plan_keypoint_map"]

#: Arena landmarks a pose file may track.
ARENA_LANDMARKS = ("top_left", "top_right", "bottom_left", "bottom_right", "centre")

_CORNER_WORDS = {
    "tl": "top_left", "topleft": "top_left", "upperleft": "top_left", "ul": "top_left",
    "tr": "top_right", "topright": "top_right", "upperright": "top_right", "ur": "top_right",
    "bl": "bottom_left", "bottomleft": "bottom_left", "lowerleft": "bottom_left",
    "ll": "bottom_left",
    "br": "bottom_right", "bottomright": "bottom_right", "lowerright": "bottom_right",
    "lr": "bottom_right",
}
_CORNER_NUMBERED = re.compile(r"^corner(\d)$")
#: Words naming the set-up around a corner's or centre's name (``box_ul``, ``arena_centre``,
#: ``topleftcornerofBox``).
_SETUP_WORDS = ("arena", "box", "cage", "chamber", "field", "enclosure")
_CENTRE_WORDS = ("centre", "center", "middle")
#: A leading word (letters, then optional digits) and a separator: an animal's prefix.
_PREFIX = re.compile(r"^([A-Za-z]+\d*)[_\-\s.]+(.+)$")
#: Leading words that name a body part or a side, never an animal (``head_back``).
_BODY_WORDS = frozenset({"head", "body", "tail", "ear", "ears", "eye", "eyes", "paw", "paws",
                         "fore", "front", "hind", "rear", "back", "left", "right", "mid",
                         "middle", "center", "centre", "upper", "lower", "top", "bottom",
                         "spine", "trunk", "hip", "shoulder", "limb", "leg", "foot"})
_TAIL_CHAIN = ("tail_base", "tail1", "tail2", "tail3", "tail4", "tail5", "tail_end")
#: The dorsal midline from the neck back, where numbered spine points go (front first).
_SPINE_CHAIN = ("neck", "mid_back", "mouse_center", "mid_backend", "mid_backend2",
                "mid_backend3")
_SPINE_NUMBERED = re.compile(r"^(?:spine|dorsal)(\d+)$")
#: Spine points named by their place instead of a number (``spineUpper, spineMid,
#: spineLower``; ``upper_spine``...): their order front to back.
_SPINE_PLACES = {"upper": 1, "front": 1, "anterior": 1, "mid": 2, "middle": 2, "center": 2,
                 "centre": 2, "lower": 3, "rear": 3, "posterior": 3}
_SPINE_PLACED = re.compile(rf"^(?:spine|dorsal)({'|'.join(_SPINE_PLACES)})$"
                           rf"|^({'|'.join(_SPINE_PLACES)})(?:spine|dorsal)$")
_TAIL_NUMBERED = re.compile(r"^tail(\d+)$")
#: Why a numbered tail point is not lifted (:func:`_spread_tail`).
_BETWEEN = "between the catalogue's tail points, which nearer points of the tail take"
#: Why a name that stays in place while the animal moves is not lifted.
_STILL = ("no catalogue landmark; stays in place while the animal moves (an object or part "
          "of the set-up)")
#: Where each catalogue tail point lies along the tail (base 0, tip 1).
_TAIL_SHARE = {p: i / (len(_TAIL_CHAIN) - 1) for i, p in enumerate(_TAIL_CHAIN)}
#: The synthetic mouse's tail length against its nose-to-tail-base length (typical 85 and
#: 92 mm, ``data/mouse_spec.yaml``): a point ``r`` nose-to-tail-base lengths behind the tail
#: base lies ``r / _TAIL_PER_BODY`` of the way down the tail.
_TAIL_PER_BODY = 85.0 / 92.0
#: Why a bare ``tail`` behind a named tail base is not lifted where the file's data is not
#: at hand (names alone: live lifting).
_TAIL_UNPLACED = ("a point down the tail behind the named tail base, where along it not "
                  "measured (a lift measures it where the file tracks it with the nose and "
                  "the tail base in 5 frames)")
_REGION = {lm.name: lm.region for lm in LANDMARKS}
#: Parts only an insect has, read from a name without its animal's prefix (compact, a side
#: word before it allowed): a mouse file names none of these (its legs are fore and hind).
_INSECT_PARTS = (("wings", re.compile(r"^(left|right|l|r)?wing")),
                 ("halteres", re.compile(r"haltere")),
                 ("a proboscis", re.compile(r"proboscis")),
                 ("antennae", re.compile(r"antenn")),
                 ("middle legs", re.compile(r"^(left|right|l|r)?mid(dle)?leg")))
#: Why a name dropped by the user's keypoint map is not lifted.
_USER_NULL = "mapped to null by the keypoint map"
#: Limb joints a side view's labels name without a side (AutoGaitA's beam-walking mice:
#: ``Elbow, Wrist, Knee, Ankle``), the near side's limbs being the ones it sees.
_SIDE_VIEW_JOINTS = ("elbow", "wrist", "knee", "ankle", "hock", "iliaccrest")


def arena_landmark(name: str, *, corners_present: bool = False) -> str | None:
    """The arena landmark a keypoint name denotes, or ``None``.

    Parameters
    ----------
    name
        A keypoint name (``tl``, ``top_left``, ``topleftcornerofBox``, ``botrightcorner``,
        ``arena_corner2``, ``box_ul``, ``cage_lr``, ``arena_centre``...).
    corners_present
        The file tracks arena corners, so a bare ``centre``/``center`` is the arena's.

    Returns
    -------
    str or None
        One of :data:`ARENA_LANDMARKS`; numbered corners go clockwise from ``top_left``.
    """
    key = compact(name)
    # "arena_tl", "box_ul", "cage_corner1": the set-up's word before the corner's
    stripped = next((key[len(w):] for w in _SETUP_WORDS if key.startswith(w)
                     and len(key) > len(w)), key)
    # "topleftcornerofBox", "botrightcorner", "corner_tl", "tl_box": the corner words alone
    words = re.sub(rf"(of(the)?)?({'|'.join(_SETUP_WORDS)})$", "", stripped).replace(
        "corner", "")
    words = "bottom" + words[3:] if words.startswith("bot") and not words.startswith(
        "bottom") else words
    for k in dict.fromkeys([key, stripped, stripped.removeprefix("corner"), words]):
        if k in _CORNER_WORDS:
            return _CORNER_WORDS[k]
    m = _CORNER_NUMBERED.match(stripped)
    if m and 1 <= int(m.group(1)) <= 4:
        return ("top_left", "top_right", "bottom_right", "bottom_left")[int(m.group(1)) - 1]
    if stripped in _CENTRE_WORDS and (key != stripped or corners_present):
        return "centre"
    return None


@dataclass(frozen=True)
class KeypointMap:
    """How each keypoint name of a file is used.

    Attributes
    ----------
    mapped
        ``{file name: catalogue landmark}``, in the file's order: the keypoints lifted.
    arena
        ``{file name: arena landmark}``: tracked, not lifted.
    dropped
        ``{file name: reason}``: not used.
    skeleton
        The known skeleton the names were matched to, or ``None``.
    warnings
        One line per decision a user should hear about.
    names
        Every name of the file, in its order.
    animals
        ``{file name: animal}``: the prefix or number of the names read without an animal's
        prefix or number, else the individuals that track the name where the file's
        individuals track different names (``p1+p2`` for a multi-animal DeepLabCut file's
        pups, ``single`` for its unique bodyparts; :func:`_animals_by_individual`).
    """

    mapped: dict[str, str]
    arena: dict[str, str] = field(default_factory=dict)
    dropped: dict[str, str] = field(default_factory=dict)
    skeleton: str | None = None
    warnings: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    animals: dict[str, str] = field(default_factory=dict)

    @property
    def objects(self) -> list[str]:
        """Names dropped as objects or parts of the set-up: mapping to nothing, they stay in
        place while the animal moves (``still`` of :func:`plan_keypoint_map`)."""
        return [n for n, why in self.dropped.items() if why == _STILL]

    @property
    def shared(self) -> dict[str, list[str]]:
        """``{landmark: [file names]}`` of landmarks that two animals' names both claim."""
        by: dict[str, list[str]] = {}
        for name, landmark in self.mapped.items():
            by.setdefault(landmark, []).append(name)
        return {k: v for k, v in by.items() if len(v) > 1}

    def without_animal(self, name: str) -> str:
        """``name`` read without its animal's prefix or number (``moth_nose`` -> ``nose``,
        ``Nose_1`` -> ``Nose``); names of no animal as they are."""
        animal = self.animals.get(name)
        if animal is None:
            return name
        m = _PREFIX.match(name.strip())
        if m and m.group(1).lower() == animal.lower():
            return m.group(2)
        m = _SUFFIX.match(name.strip())
        if m and animal.lower() == f"animal{int(m.group(2) or m.group(4))}":
            return m.group(1) or m.group(3)
        return name  # an animal of individuals (:func:`_animals_by_individual`)

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for output metadata."""
        out = {"mapped": dict(self.mapped), "arena": dict(self.arena),
               "dropped": dict(self.dropped), "skeleton": self.skeleton}
        if self.animals:
            out["animals"] = dict(self.animals)
        return out

    @cached_property
    def insect_parts(self) -> dict[str, list[str]]:
        """``{part: [file names]}`` where the names left unlifted (not by the user's map)
        are an insect's: two of wings, halteres, a proboscis, antennae, middle legs, or a
        thorax with an abdomen (SLEAP's fly skeleton); else ``{}``. A mouse's names hold at
        most the last (a belly view's ``thorax``, ``abdomen``). Worked out once a map (the
        lift's warnings gate and :meth:`require_liftable` both ask)."""
        parts: dict[str, list[str]] = {}
        trunk: set[str] = set()
        for name in (n for n, why in self.dropped.items() if why != _USER_NULL):
            prefixed = _PREFIX.match(name.strip())  # an animal's prefix (``fly1_wingL``)
            keys = {compact(self.without_animal(name))} | (
                {compact(prefixed.group(2))} if prefixed else set())
            part = next((p for p, pattern in _INSECT_PARTS
                         if any(pattern.search(k) for k in keys)), None)
            body = {re.sub(r"\d+$", "", k) for k in keys} & {"thorax", "abdomen"}
            if part is None and body:
                part = "a thorax with an abdomen"
                trunk |= body
            if part is not None:
                parts.setdefault(part, []).append(name)
        if len(trunk) < 2:
            parts.pop("a thorax with an abdomen", None)
        return parts if len(parts) >= 2 else {}

    def require_liftable(self, source: str | None = None) -> None:
        """Raise unless the mapped keypoints span the body (two of head, body, tail) and
        the names left unlifted are not an insect's (:attr:`insect_parts`).

        Raises
        ------
        KeypointMappingError
            Listing every name and what became of it.
        """
        insect = self.insect_parts
        if insect:
            names = [n for group in insect.values() for n in group]
            raise KeypointMappingError(
                f"{source or 'These poses'}: its keypoints are an insect's, not a mouse's "
                f"({' and '.join([', '.join(list(insect)[:-1]), list(insect)[-1]])}: "
                f"{', '.join(names[:12])}{', ...' if len(names) > 12 else ''}); dlc-lifter "
                "lifts mice, so it is not lifted. If it is a mouse, give a keypoint map "
                "naming these keypoints ('name: catalogue_name', or 'name: null' to leave "
                "one out); 'dlc-lifter catalogue' lists the names.")
        regions = {_REGION[c] for c in self.mapped.values()} & {"head", "body", "tail"}
        if len(regions) >= 2:
            return
        where = f" of {source}" if source else ""
        names = list(self.names)
        found = (f"only {', '.join(f'{k} -> {v}' for k, v in self.mapped.items())} map"
                 if self.mapped else "none maps")
        raise KeypointMappingError(
            f"Of the {len(names)} keypoints{where} ({', '.join(names[:15])}"
            f"{', ...' if len(names) > 15 else ''}), {found} onto the dlc-lifter mouse "
            "catalogue; lifting needs keypoints on two of head, body and tail (e.g. nose and "
            "tail base). dlc-lifter lifts top-view mice; if these are mouse keypoints, give "
            "a keypoint map ('your_name: catalogue_name'); 'dlc-lifter catalogue' lists "
            "the names.")


def _animal_prefixes(unknown: Sequence[str]
                     ) -> tuple[dict[str, tuple[str, str | None, int]], dict[str, str]]:
    """Unknown names read without an animal's prefix, and the skeleton each animal's follow.

    A prefix counts when it starts two or more of the unknown names and what follows it
    resolves for at least two of them (``moth_nose``, ``moth_tailbase``). What follows is
    read as a known skeleton's names where it matches one (DeepOF's ``B_Spine_1``), else
    by the catalogue's names and aliases.

    Returns
    -------
    read, skeletons
        ``{name: (prefix, landmark, rank)}`` (landmark ``None``: the skeleton's keypoint
        has no catalogue landmark) and ``{prefix: skeleton name}``.
    """
    split = {n: m.groups() for n in unknown if (m := _PREFIX.match(n.strip()))
             and m.group(1).lower() not in _BODY_WORDS
             and resolve_name_ranked(m.group(1))[0] is None}
    groups: dict[str, list[str]] = {}
    for name, (prefix, _) in split.items():
        groups.setdefault(prefix.lower(), []).append(name)
    out: dict[str, tuple[str, str | None, int]] = {}
    skeletons: dict[str, str] = {}
    for group in groups.values():
        resolved, skel = _read_one_animal({n: split[n][1] for n in group})
        if sum(canon is not None for canon, _ in resolved.values()) >= 2:
            out.update({n: (split[n][0], canon, rank) for n, (canon, rank) in resolved.items()})
            if skel:
                skeletons[split[group[0]][0]] = skel
    return out, skeletons


def _read_one_animal(stems: Mapping[str, str]
                     ) -> tuple[dict[str, tuple[str | None, int]], str | None]:
    """One animal's names read by what follows or precedes its prefix or number.

    ``stems`` is ``{name: the name without the animal's prefix or number}``. Read as a known
    skeleton's names where the stems match one, else by the catalogue's names and aliases
    (ranked one below, as names read through). Returns ``{name: (landmark, rank)}`` of
    those read (landmark ``None``: the skeleton's keypoint has no catalogue landmark) and
    the skeleton's name.
    """
    skel = match_skeleton(list(stems.values()))
    table = skel.lookup() if skel else {}
    resolved: dict[str, tuple[str | None, int]] = {}
    for n, stem in stems.items():
        kind, target = table.get(compact(stem), (None, None))
        if kind == "mouse":
            resolved[n] = (target, 1)
        elif (hit := resolve_name_ranked(stem))[0] is not None:
            resolved[n] = (str(hit[0]), hit[1] + 1)
    return resolved, skel.name if skel else None


_SUFFIX = re.compile(r"^(.*?[A-Za-z0-9])[_\-\s.](\d+)$|^(.*?[A-Za-z])(\d+)$")


def _animal_suffixes(names: Sequence[str]) -> dict[str, tuple[str, str]]:
    """``{name: (animal, stem)}`` of names that number their animal at the end.

    SimBA's two-mouse layout names one mouse ``Nose_1, Ear_left_1, ...`` and the other
    ``Nose_2, Ear_left_2, ...`` in one table. It counts when three or more stems appear
    with every one of two or more numbers and those stems name the head (a nose or an
    ear) and another landmark: a chain numbered along the body (``tail1, tail2``,
    ``Spine_1, Spine_2``) is not an animal. The animal is named ``animal<number>``.
    """
    split = {n: (m.group(1) or m.group(3), m.group(2) or m.group(4)) for n in names
             if (m := _SUFFIX.match(n.strip()))}
    numbers: dict[str, set[str]] = {}
    for stem, num in split.values():
        numbers.setdefault(stem.lower(), set()).add(num)
    all_nums = set().union(*numbers.values()) if numbers else set()
    core = {stem for stem, nums in numbers.items() if nums == all_nums}
    if len(all_nums) < 2 or len(core) < 3:
        return {}
    landmarks = {resolve_name_ranked(stem)[0] for stem in core} - {None}
    if len(landmarks) < 2 or not landmarks & {"nose", "left_ear", "right_ear"}:
        return {}
    return {n: (f"animal{int(num)}", stem) for n, (stem, num) in split.items()
            if stem.lower() in core}


def _one_animal_number(names: Sequence[str]) -> dict[str, str]:
    """``{name: name without its number}`` where every name ends in one shared number.

    SLEAP's mouse open-field template numbers each node by its animal (``nose1, earL1,
    tailstart1, tail1, tailend1``) and SimBA's one-mouse tables do likewise (``Nose_1 ...
    Tail_end_1``): the number names the animal, not a point along a chain (that ``tail1``
    is the tail's middle, not its first sixth). It counts for three or more names, all
    numbered alike, whose stems are distinct and name the head (a nose or an ear) and
    another landmark. Otherwise ``{}``.
    """
    split = {n: m for n in names if (m := _SUFFIX.match(n.strip()))}
    if len(names) < 3 or len(split) < len(names):
        return {}
    if len({m.group(2) or m.group(4) for m in split.values()}) != 1:
        return {}
    stems = {n: m.group(1) or m.group(3) for n, m in split.items()}
    if len({compact(s) for s in stems.values()}) < len(stems):
        return {}
    landmarks = {resolve_name_ranked(s)[0] for s in stems.values()} - {None}
    if len(landmarks) < 2 or not landmarks & {"nose", "left_ear", "right_ear"}:
        return {}
    return stems


def _read_numbered(numbered: Mapping[str, tuple[str, str]]
                   ) -> tuple[dict[str, tuple[str, str | None, int]], dict[str, str]]:
    """Names numbered by their animal (:func:`_animal_suffixes`), read without the number.

    Returns ``{name: (animal, landmark, rank)}`` of those read (landmark ``None``: the
    skeleton's keypoint has no catalogue landmark) and ``{animal: skeleton name}``, as
    :func:`_animal_prefixes` does for prefixes.
    """
    out: dict[str, tuple[str, str | None, int]] = {}
    skeletons: dict[str, str] = {}
    for animal in sorted({a for a, _ in numbered.values()}):
        resolved, skel = _read_one_animal({n: stem for n, (a, stem) in numbered.items()
                                           if a == animal})
        out.update({n: (animal, canon, rank) for n, (canon, rank) in resolved.items()})
        if skel:
            skeletons[animal] = skel
    return out, skeletons


def _animals_by_individual(names: Sequence[str],
                           carriers: Mapping[str, Collection[str]] | None) -> dict[str, str]:
    """``{name: animal}`` where the file's individuals track different names.

    A multi-animal DeepLabCut file tracks its unique bodyparts (an adult's ``snout``, arena
    corners) under the individual ``single`` and its multi-animal bodyparts (the pups'
    ``end1``) under the others; no individual tracks both. Individuals that track a name in
    common are one animal (named by them, ``p1+p2``), and each name belongs to the animal
    of the individuals that track it. Names of different animals may then claim one
    landmark, as names with different prefixes may. ``{}`` where the names are of one
    animal (every single-animal file, most multi-animal ones).
    """
    if not carriers:
        return {}
    group: dict[str, str] = {}  # union-find over individuals

    def root(ind: str) -> str:
        while group.setdefault(ind, ind) != ind:
            ind = group[ind]
        return ind

    for first, *others in (list(v) for v in carriers.values() if v):
        for other in others:
            group[root(other)] = root(first)
        root(first)
    members: dict[str, list[str]] = {}
    for ind in group:
        members.setdefault(root(ind), []).append(ind)
    if len(members) < 2:
        return {}
    label = {r: "+".join(m) for r, m in members.items()}
    return {n: label[root(next(iter(carriers[n])))] for n in names if carriers.get(n)}


def _without_prefix(name: str, animals: Mapping[str, str]) -> str:
    """``name`` without the animal's prefix it shares with names read through (else as is)."""
    m = _PREFIX.match(name.strip())
    known = {p.lower() for p in animals.values()}
    return m.group(2) if m and m.group(1).lower() in known else name


def _resolve_alternatives(name: str) -> tuple[str | None, int]:
    """:func:`resolve_name_ranked`, and for a name of alternatives (B-SOiD's
    ``Snout/Head``) the first of them that resolves. A numbered one (``Hindpaw/Hip1``:
    one of a pair whose sides the name does not say) is not read."""
    canon, rank = resolve_name_ranked(name)
    if canon is None and "/" in name and not name.rstrip()[-1:].isdigit():
        for part in (q.strip() for q in name.split("/")):
            if part and (found := resolve_name_ranked(part))[0] is not None:
                return found
    return canon, rank


def _resolve(names: Sequence[str], mapping: Mapping[str, str | None] | None,
             arena: dict[str, str], dropped: dict[str, str],
             tail_reach: Mapping[str, float] | None = None,
             ) -> tuple[dict[str, tuple[str, int]], list[str], str | None, dict[str, str]]:
    """``{name: (landmark, rank)}`` of names that resolve, the unresolved, the skeleton and
    ``{name: prefix}`` of names read without an animal's prefix (``tail_reach``: as
    :func:`plan_keypoint_map` takes it)."""
    rest = [n for n in names if n not in arena and n not in dropped]
    numbered = _animal_suffixes(rest)
    user = {n for n in rest if mapping is not None and n in mapping}
    if numbered:  # read each animal's names without their number (the user's map first)
        rest = [n for n in rest if n not in numbered or n in user]
    stems = {n: n for n in rest} | _one_animal_number(rest)
    skel = match_skeleton([stems[n] for n in rest])
    table = skel.lookup() if skel else {}
    claims: dict[str, tuple[str, int]] = {}
    unknown: list[str] = []
    for name in rest:
        if mapping is not None and name in mapping:
            claims[name] = (str(mapping[name]), 0)
            continue
        kind, target = table.get(compact(stems[name]), (None, None))
        if kind == "mouse" and target is None:
            dropped[name] = f"no catalogue landmark for '{name}' of the {skel.name} skeleton"
            continue
        if kind == "mouse":
            claims[name] = (str(target), 1)
            continue
        canon, rank = _resolve_alternatives(stems[name])
        if canon is None:
            unknown.append(name)
        else:
            claims[name] = (canon, rank)
    unknown = _spread_spine(claims, unknown, table, user, stems)
    unknown = _spread_tail(claims, unknown, table, user, dropped, stems)
    _middle_tail(claims, stems, tail_reach or {}, dropped)
    read, animal_skeletons = _read_numbered({n: v for n, v in numbered.items()
                                             if n not in user})
    unknown += [n for n in numbered if n not in user and n not in read]
    prefixed, prefix_skeletons = _animal_prefixes(unknown)
    read |= prefixed
    animal_skeletons |= prefix_skeletons
    for name, (animal, canon, rank) in read.items():
        if canon is None:
            dropped[name] = (f"no catalogue landmark for '{name}' of the "
                             f"{animal_skeletons[animal]} skeleton")
        else:
            claims[name] = (canon, rank)
    unknown = [n for n in unknown if n not in read]
    skeleton = skel.name if skel else next(iter(sorted(set(animal_skeletons.values()))), None)
    animals = {n: a for n, (a, _) in sorted(numbered.items(), key=lambda kv: kv[1][0])
               if n in user}  # the user's landmark, grouped by animal
    return (claims, unknown, skeleton,
            animals | {n: a for n, (a, c, _) in read.items() if c is not None})


def _numbered(names: Iterable[str], pattern: re.Pattern[str], table: Mapping[str, Any],
              user: set[str], stems: Mapping[str, str]) -> dict[str, int]:
    """``{name: number}`` of the names ``pattern`` numbers (``spine3``, ``tail 25``; for
    :data:`_SPINE_PLACED`, the place's order: ``spineUpper`` 1), left to this file's own
    count: not the user's map's, not a known skeleton's. ``stems`` gives each name as read
    (without a number every name shares)."""
    out = {}
    for name in names:
        key = compact(stems.get(name, name))
        m = pattern.match(key)
        if m and name not in user and key not in table:
            word = next(g for g in m.groups() if g is not None)
            out[name] = _SPINE_PLACES[word] if word in _SPINE_PLACES else int(word)
    return out


def _middle_tail(claims: dict[str, tuple[str, int]], stems: Mapping[str, str],
                 tail_reach: Mapping[str, float], dropped: dict[str, str]) -> None:
    """A bare ``tail`` beside a named tail base is a point down the tail, not the base.

    ``tail`` alone reads as the tail base (the point most files mean by it). Where another
    name claims the base more specifically, ``tail`` is the tail's middle if a third names
    the tip (``tailstart, tail, tailend``). Without one, labs put it anywhere down the tail
    (a four-point DeepLabCut project's ``Tail`` at the tail's tip, BehaviorDEPOT's near its
    ``Tailbase``): it is the catalogue's tail point nearest where ``tail_reach`` measured
    it, or not lifted without that measure.
    """
    bare = [n for n, (c, _) in claims.items() if c == "tail_base"
            and compact(stems.get(n, n)) == "tail"]
    base = [n for n, (c, _) in claims.items() if c == "tail_base" and n not in bare]
    if len(bare) != 1 or not base or min(claims[n][1] for n in base) >= claims[bare[0]][1]:
        return
    taken = {c for n, (c, _) in claims.items() if n not in bare}
    if "tail_end" in taken and "tail3" not in taken:
        claims[bare[0]] = ("tail3", claims[bare[0]][1])
    elif not taken & set(_TAIL_CHAIN[1:]):
        reach = tail_reach.get(bare[0])
        if reach is None:
            del claims[bare[0]]
            dropped[bare[0]] = _TAIL_UNPLACED
            return
        down = reach / _TAIL_PER_BODY
        claims[bare[0]] = (min(_TAIL_CHAIN[1:], key=lambda p: abs(_TAIL_SHARE[p] - down)),
                           claims[bare[0]][1])


def _spread_spine(claims: dict[str, tuple[str, int]], unknown: list[str],
                  table: Mapping[str, Any], user: set[str], stems: Mapping[str, str]
                  ) -> list[str]:
    """Numbered spine points (``spine1`` ... ``spineN``, or ``dorsal_1`` ... ``dorsal_N``,
    front to back) along the back; returns the names still unknown.

    Each alone reads as the body centre; together they are spread in order over the
    dorsal midline points no other name of the file claims (``neck`` ... ``mid_backend3``),
    evenly from the front one to the back one. Spine points named by their place
    (``spineUpper, spineMid, spineLower``, a DeepLabCut 3 project's for SimBA; ``upper_spine``,
    ``spine_front``...) are numbered by it and spread the same way where two or more are
    named; ``spineMid`` alone is the body centre, an upper or lower one alone stays unknown.
    """
    numbered = _numbered(claims, _SPINE_NUMBERED, table, user, stems)
    placed = _numbered([*claims, *unknown], _SPINE_PLACED, table, user, stems)
    if len(placed) >= 2 and not numbered:
        numbered = placed
    if len(numbered) < 2:
        return unknown
    taken = {c for n, (c, _) in claims.items() if n not in numbered}
    free = [p for p in _SPINE_CHAIN if p not in taken]
    order = sorted(numbered, key=numbered.__getitem__)
    if len(order) > len(free):
        return unknown
    step = (len(free) - 1) / (len(order) - 1)
    for i, name in enumerate(order):
        claims[name] = (free[round(i * step)], 1)
    return [n for n in unknown if n not in numbered]


def _spread_tail(claims: dict[str, tuple[str, int]], unknown: list[str],
                 table: Mapping[str, Any], user: set[str], dropped: dict[str, str],
                 stems: Mapping[str, str]) -> list[str]:
    """Numbered tail points read by the file's own count; returns the names still unknown.

    ``tail1`` ... ``tail5`` alone name the catalogue's tail points (sixths of the tail). A
    chain numbered past 5 (``tail1 ... tail10``) cannot mean them: its points split the tail
    evenly, between a named tail base and tip (the first point is the base where none is
    named, the last the tip). Numbers that are multiples of 5 reaching 20 or more are
    percentages of the tail's length (``tail 25 ... tail 100``). Each point goes to the
    catalogue tail point nearest its share, in order, one each (:func:`_align_shares`); a
    chain longer than the free tail points loses the points between them (``dropped``).
    """
    numbered = _numbered([*claims, *unknown], _TAIL_NUMBERED, table, user, stems)
    if len(numbered) < 2:
        return unknown
    order = sorted(numbered, key=numbered.__getitem__)
    top = max(numbered.values())
    percent = top >= 20 and all(v % 5 == 0 for v in numbered.values()) and top <= 100
    if not percent and top <= 5 and min(numbered.values()) >= 1:
        return unknown  # tail1 ... tail5: the catalogue's own (a chain from 0 is spread)
    others = {c for n, (c, _) in claims.items() if n not in numbered}
    if percent:
        shares = [numbered[n] / 100.0 for n in order]
    else:
        n = len(order)
        lo = 1 if "tail_base" in others else 0
        span = n - 1 + lo + (1 if "tail_end" in others else 0)
        shares = [(i + lo) / max(span, 1) for i in range(n)]
    free = [p for p in _TAIL_CHAIN if p not in others]
    placed = _align_shares(shares, [_TAIL_SHARE[p] for p in free])
    for i, name in enumerate(order):
        claims.pop(name, None)
        if placed[i] is not None:
            claims[name] = (free[placed[i]], 1)
        else:
            dropped[name] = _BETWEEN
    return [n for n in unknown if n not in numbered]


def _align_shares(shares: Sequence[float], points: Sequence[float]) -> list[int | None]:
    """Order-preserving assignment of sorted ``shares`` to sorted ``points`` (one each),
    least total distance; a share left out costs one catalogue tail segment."""
    skip = 1.0 / (len(_TAIL_CHAIN) - 1)
    n, m = len(shares), len(points)
    cost = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        cost[i][0] = cost[i - 1][0] + skip
        for j in range(1, m + 1):
            cost[i][j] = min(cost[i][j - 1], cost[i - 1][j] + skip,
                             cost[i - 1][j - 1] + abs(shares[i - 1] - points[j - 1]))
    out: list[int | None] = [None] * n
    i, j = n, m
    while i > 0:
        if j > 0 and cost[i][j] == cost[i][j - 1]:
            j -= 1
        elif j > 0 and cost[i][j] == cost[i - 1][j - 1] + abs(shares[i - 1] - points[j - 1]):
            out[i - 1] = j - 1
            i, j = i - 1, j - 1
        else:
            i -= 1
    return out


def _settle_conflicts(names: Sequence[str], claims: dict[str, tuple[str, int]],
                      dropped: dict[str, str], notes: list[str],
                      animals: Mapping[str, str] | None = None) -> dict[str, str]:
    """One name per landmark and animal: the most specific claim wins (then the first in the
    file). Names of different animals (``animals``: name -> prefix) may share a landmark."""
    order = {n: i for i, n in enumerate(names)}
    animal = {n: (animals or {}).get(n, "").lower() for n in names}
    winners: dict[str, str] = {}
    shared: dict[str, str] = {}
    for name in sorted(claims, key=lambda n: (claims[n][1], order[n])):
        canon = claims[name][0]
        if canon not in winners:
            winners[canon] = name
            continue
        taken = [winners[canon], *(n for n, c in shared.items() if c == canon)]
        if animal[name] and all(animal[n] and animal[n] != animal[name] for n in taken):
            shared[name] = canon
            continue
        moved = None
        if canon in _TAIL_CHAIN and re.search(r"\d$", name):
            moved = next((t for t in _TAIL_CHAIN[_TAIL_CHAIN.index(canon) + 1:-1]
                          if t not in winners and t not in {c for c, _ in claims.values()}),
                         None)
        if moved is not None:
            winners[moved] = name
            notes.append(f"'{name}' and '{winners[canon]}' both name '{canon}'; "
                         f"'{name}' is lifted as '{moved}', the next tail point.")
        else:
            dropped[name] = f"'{winners[canon]}' already names '{canon}'"
            notes.append(f"'{name}' and '{winners[canon]}' both name '{canon}'; "
                         f"'{winners[canon]}' is the more specific, '{name}' is dropped.")
    by_name = {n: c for c, n in winners.items()} | shared
    return {n: by_name[n] for n in names if n in by_name}


def _centre_is_the_animals(name: str, corners: Collection[str], still: Collection[str],
                           carriers: Mapping[str, Collection[str]] | None) -> bool:
    """Whether a bare ``centre`` beside tracked corners is the animal's centre after all:
    tracked by an individual that tracks no corner (a multi-animal DeepLabCut file's
    animals, the corners under ``single``), or moving where the corners stay put."""
    if carriers:
        corner_carriers = {i for c in corners for i in carriers.get(c, ())}
        if set(carriers.get(name, ())) - corner_carriers:
            return True
    return sum(c in still for c in corners) >= 3 and name not in still


def plan_keypoint_map(
    names: Sequence[str],
    mapping: Mapping[str, str | None] | None = None,
    *,
    strict: bool = False,
    source: str | None = None,
    still: Collection[str] = (),
    carriers: Mapping[str, Collection[str]] | None = None,
    tail_reach: Mapping[str, float] | None = None,
) -> KeypointMap:
    """Decide how every keypoint name of a file is used.

    Parameters
    ----------
    names
        The file's keypoint names (DLC bodyparts, SLEAP nodes, NWB series names).
    mapping
        User overrides ``{name: catalogue landmark}``; ``None`` as a value drops the name.
    strict
        Raise for names that map to nothing instead of dropping them.
    source
        The file the names come from, named in messages.
    still
        Names whose tracked points stay in place while the animal moves (measured on the
        file's data: :func:`dlc_lifter.lift.keypoints.still_keypoints`). Those that map to
        nothing are reported as objects or parts of the set-up (a maze's arms, a lever, a
        food cup), without the closest catalogue names.
    carriers
        ``{name: individuals that track it}`` (measured on the file's data:
        :func:`dlc_lifter.lift.keypoints.keypoint_carriers`). Where the individuals track
        different names (a multi-animal DeepLabCut file's unique bodyparts under
        ``single``), two names claim one landmark without conflict unless one animal
        tracks both (:attr:`KeypointMap.animals`); each individual is lifted from its own.
    tail_reach
        ``{name: how far behind the tail base its tracked points lie}``, in the animal's
        nose-to-tail-base lengths (measured on the file's data:
        :func:`dlc_lifter.lift.keypoints.tail_reach`). A bare ``tail`` behind a more
        specifically named tail base, with no tip named, is the tail point nearest there;
        not lifted where not measured.

    Returns
    -------
    KeypointMap

    Raises
    ------
    UnknownKeypointError
        With ``strict``, listing every name that maps to nothing; always for a user map
        whose target is not a catalogue landmark.

    Examples
    --------
    >>> plan = plan_keypoint_map(["tl", "tr", "bl", "br", "centre", "nose", "bodycentre",
    ...                           "tailbase"])
    >>> plan.mapped, plan.arena["tl"]
    ({'nose': 'nose', 'bodycentre': 'mouse_center', 'tailbase': 'tail_base'}, 'top_left')
    """
    map_notes: list[str] = []
    if mapping is not None:
        error = unknown_map_targets(mapping, "the keypoint map")
        if error is not None:
            raise error
        mapping, map_notes = _map_on_names(names, mapping)
    dropped: dict[str, str] = {n: _USER_NULL for n in names
                               if mapping is not None and n in mapping and mapping[n] is None}
    user = set(mapping or ())
    corners = {n: a for n in names if n not in user
               and (a := arena_landmark(n)) is not None and a != "centre"}
    arena = {n: a for n in names if n not in user
             and (a := arena_landmark(n, corners_present=len(corners) >= 3)) is not None
             and not (a == "centre" and arena_landmark(n) is None
                      and _centre_is_the_animals(n, corners, still, carriers))}
    claims, unknown, skeleton, animals = _resolve(names, mapping, arena, dropped, tail_reach)
    objects = [n for n in unknown if n in still]
    if unknown and strict:
        raise unknown_keypoints(unknown, source, still=objects)
    notes: list[str] = list(map_notes)
    where = f"{source}: " if source else ""
    unknown = [n for n in unknown if n not in still]
    if objects:
        dropped.update({n: _STILL for n in objects})
        notes.append(f"{where}not lifted, no catalogue landmark and staying in place while "
                     "the animal moves (objects or parts of the set-up): "
                     + ", ".join(f"'{n}'" for n in objects)
                     + ". If one is a body part, give a keypoint map naming it.")
    if unknown:
        dropped.update({n: "maps to no catalogue landmark" for n in unknown})
        listed = "; ".join(f"'{n}'" + (f" (closest: {', '.join(c)})" if (c := closest_names(
            _without_prefix(n, animals))) else "") for n in unknown)
        notes.append(f"{where}not lifted, no catalogue landmark: {listed}. Give a keypoint "
                     "map to use them.")
    joints = _unsided_joints(unknown, mapped=claims)
    if joints:
        notes.append(f"{where}{', '.join(joints)}: limb joints named without a side, as a side "
                     "view's labels name the near side's limbs. dlc-lifter lifts mice filmed "
                     "from above (or below); from the side its heights are not to be trusted.")
    between = [n for n in names if dropped.get(n) == _BETWEEN]
    if between:
        notes.append(f"{where}not lifted, {_BETWEEN}: " + ", ".join(f"'{n}'" for n in between)
                     + " (the catalogue has five points between the tail's base and tip).")
    unplaced = [n for n in names if dropped.get(n) == _TAIL_UNPLACED]
    if unplaced:
        notes.append(f"{where}not lifted, {_TAIL_UNPLACED}: "
                     + ", ".join(f"'{n}'" for n in unplaced) + ".")
    by_individual = _animals_by_individual(names, carriers)
    mapped = _settle_conflicts(names, claims, dropped, notes, by_individual | animals)
    if animals:
        by_prefix: dict[str, list[str]] = {}
        for n, p in animals.items():
            by_prefix.setdefault(p, []).append(n)
        notes.append("names read without an animal's prefix or number: " + "; ".join(
            f"{p}: " + ", ".join(f"{n} -> {mapped.get(n, 'dropped')}" for n in group)
            for p, group in by_prefix.items()) + ".")
    if arena:
        notes.insert(0, f"{where}arena landmarks, not lifted: "
                     + ", ".join(f"{n} ({a})" for n, a in arena.items()) + ".")
    return KeypointMap(mapped=mapped, arena=arena, dropped=dropped, skeleton=skeleton,
                       warnings=tuple(n if n.startswith(where) else where + n for n in notes),
                       names=tuple(names),
                       animals={n: a for n, a in by_individual.items() if n in mapped}
                       | animals)


def _unsided_joints(unknown: Sequence[str], mapped: Mapping[str, tuple[str, int]]
                    ) -> list[str]:
    """The unmapped names of two or more limb joints (:data:`_SIDE_VIEW_JOINTS`) in a file
    that names no landmark of either side: a side view's labels."""
    if any(c.startswith(("left_", "right_")) for c, _ in mapped.values()):
        return []
    ends = {n: compact(n).rstrip("0123456789") for n in unknown}  # a whole word: not shock
    found = {n: w for n in unknown for w in _SIDE_VIEW_JOINTS
             if ends[n].startswith(w) or ends[n].endswith(w)}
    return list(found) if len(set(found.values())) >= 2 else []


def _map_on_names(names: Sequence[str], mapping: Mapping[str, str | None]
                  ) -> tuple[dict[str, str | None], list[str]]:
    """A keypoint map's entries laid on the file's names, and what to say about the rest.

    An entry naming a keypoint of the file is used as it is; one that names a keypoint
    only in other letters' case or with other separators (``mainbody`` for ``MainBody``,
    ``tail base`` for ``tail_base``) is used for it and said; one that names none of the
    file's keypoints is said with the file's nearest names (a map of several projects'
    names applies to each file in part; a misspelt entry was ignored without a word)."""
    present = set(names)
    by_key: dict[str, list[str]] = {}
    for n in names:
        by_key.setdefault(compact(n), []).append(n)
    out: dict[str, str | None] = {}
    read_as: list[str] = []
    unused: list[str] = []
    for key, value in mapping.items():
        if key in present:
            out[key] = value
            continue
        same = by_key.get(compact(key), [])
        if len(same) == 1 and same[0] not in mapping:
            out[same[0]] = value
            read_as.append(f"'{key}' as the file's '{same[0]}'")
        else:
            unused.append(key)
    notes = []
    if read_as:
        notes.append("keypoint map entries read for names written otherwise: "
                     + ", ".join(read_as) + ".")
    if unused:
        listed = "; ".join(f"'{k}'" + (f" (the file's nearest: {', '.join(near)})" if (
            near := difflib.get_close_matches(str(k), list(names), n=2, cutoff=0.6)) else "")
            for k in unused)
        notes.append(f"keypoint map entries naming no keypoint of the file, not used: {listed}.")
    return out, notes


def map_keypoints(
    names: Sequence[str],
    mapping: Mapping[str, str | None] | None = None,
    *,
    strict: bool = True,
    source: str | None = None,
) -> dict[str, str]:
    """``{name: catalogue landmark}`` of the names that are lifted (see :func:`plan_keypoint_map`).

    Parameters
    ----------
    names, mapping, source
        As :func:`plan_keypoint_map`.
    strict
        Raise :class:`~dlc_lifter.errors.UnknownKeypointError` listing every name
        that maps to nothing (arena landmarks are not errors); otherwise leave them out.

    Returns
    -------
    dict
        In the input order.
    """
    return plan_keypoint_map(names, mapping, strict=strict, source=source).mapped
