"""Bone table of the rigged mouse: names, parents, kinds and limb chains.

Bones are in rig order: parents always precede children, the root ``sacrum`` first.  A
bone's kind (``"lumbar"``, ``"humerus"``, ``"tail"``...) keys its joint limits in the
anatomical spec; left and right bones share a kind.
"""

from __future__ import annotations

__all__ = [
    "BONE_NAMES",
    "BONE_PARENTS",
    "BONE_KINDS",
    "BONE_INDEX",
    "LIMBS",
    "SPINE_BONES",
    "TRUNK_BONES",
    "N_TAIL_BONES",
    "FORELIMB_BONES",
    "HINDLIMB_BONES",
]

#: Spine bones from the sacrum forward (the sacrum itself is the root).
SPINE_BONES = ("lumbar2", "lumbar1", "thoracic3", "thoracic2", "thoracic1", "neck", "skull")
#: Trunk bones whose length follows the pose's trunk stretch (hunched .. stretched).
TRUNK_BONES = ("lumbar2", "lumbar1", "thoracic3", "thoracic2", "thoracic1")
#: Number of tail bones (``tail01`` at the base .. ``tail10``).
N_TAIL_BONES = 10
#: Bone kinds of one forelimb and one hindlimb chain, root to tip.
FORELIMB_BONES = ("scapula", "humerus", "forearm", "forepaw")
HINDLIMB_BONES = ("femur", "tibia", "metatarsus", "toes")


def _bone_table() -> tuple[tuple[str, ...], tuple[int, ...], tuple[str, ...]]:
    """Bone names, parent indices (-1 for the root) and kinds (keys of the joint limits)."""
    names: list[str] = ["sacrum"]
    parents: list[int] = [-1]
    kinds: list[str] = ["sacrum"]
    prev = 0
    for n in SPINE_BONES:
        names.append(n)
        parents.append(prev)
        kinds.append(n if n in ("neck", "skull") else n.rstrip("0123456789"))
        prev = len(names) - 1
    skull = names.index("skull")
    for side in ("left", "right"):
        names.append(f"{side}_ear")
        parents.append(skull)
        kinds.append("ear")
    prev = 0
    for k in range(N_TAIL_BONES):
        names.append(f"tail{k + 1:02d}")
        parents.append(prev)
        kinds.append("tail")
        prev = len(names) - 1
    for side in ("left", "right"):
        prev = names.index("thoracic1")
        for b in FORELIMB_BONES:
            names.append(f"{side}_{b}")
            parents.append(prev)
            kinds.append(b)
            prev = len(names) - 1
        prev = 0
        for b in HINDLIMB_BONES:
            names.append(f"{side}_{b}")
            parents.append(prev)
            kinds.append(b)
            prev = len(names) - 1
    return tuple(names), tuple(parents), tuple(kinds)


#: Bone names in rig order (parents always precede children).
BONE_NAMES, BONE_PARENTS, BONE_KINDS = _bone_table()
#: Index of each bone name in :data:`BONE_NAMES`.
BONE_INDEX = {n: i for i, n in enumerate(BONE_NAMES)}

#: Limb chains, ``{limb: (bone names root to tip)}``.
LIMBS: dict[str, tuple[str, ...]] = {
    f"{side}_{part}": tuple(f"{side}_{b}" for b in bones)
    for side in ("left", "right")
    for part, bones in (("fore", FORELIMB_BONES), ("hind", HINDLIMB_BONES))
}
