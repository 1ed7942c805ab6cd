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
    map_keypoints,
    resolve_name,
)

__all__ = [
    "ALIASES",
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
