"""Mouse anatomy, keypoint catalogue and pose priors."""

from dlc_lifter.mouse.catalogue import (
    ALIASES,
    CATALOGUE,
    KEYPOINT_SETS,
    LANDMARKS,
    Landmark,
    UnknownKeypointError,
    catalogue_index,
    load_mapping,
    resolve_name,
)
from dlc_lifter.mouse.keypoint_map import (
    ARENA_LANDMARKS,
    KeypointMap,
    arena_landmark,
    map_keypoints,
    plan_keypoint_map,
)
from dlc_lifter.mouse.skeletons import KNOWN_SKELETONS, KnownSkeleton

__all__ = [
    "ALIASES",
    "ARENA_LANDMARKS",
    "KNOWN_SKELETONS",
    "KeypointMap",
    "KnownSkeleton",
    "arena_landmark",
    "plan_keypoint_map",
    "CATALOGUE",
    "KEYPOINT_SETS",
    "LANDMARKS",
    "Landmark",
    "UnknownKeypointError",
    "catalogue_index",
    "load_mapping",
    "map_keypoints",
    "resolve_name",
]
from dlc_lifter.mouse.anatomy import MouseShape, load_spec, sample_shape  # noqa: E402
from dlc_lifter.mouse.rig import BONE_NAMES, LIMBS, MouseRig, get_rig  # noqa: E402

__all__ += ["BONE_NAMES", "LIMBS", "MouseRig", "MouseShape", "get_rig", "load_spec",
            "sample_shape"]
from dlc_lifter.mouse.behaviour import (  # noqa: E402
    BEHAVIOURS,
    MouseSequence,
    generate_sequence,
    generate_sequences,
    sample_poses,
)

__all__ += ["BEHAVIOURS", "MouseSequence", "generate_sequence", "generate_sequences",
            "sample_poses"]
