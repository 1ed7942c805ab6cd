"""Synthetic training data from the rigged mouse: scenes, renders, poses-only samples.

Importing this package needs neither ``bpy`` nor ``torch``: Blender is imported only by
:mod:`dlc_lifter.synth.blender`, when ``quality="realistic"`` is asked for.

Main entry points: :func:`synthesize` (sharded dataset on disk, resumable, parallel),
:func:`load_dataset` (read it back), :func:`make_sample` (one frame in memory),
:func:`sample_scene` (random scene), :func:`sample_pose_batch` (poses only) and
:func:`write_contact_sheet`.
"""

from dlc_lifter.synth.contact_sheet import write_contact_sheet, write_sequence_strip
from dlc_lifter.synth.dataset import (
    IMAGE_ARRAYS,
    SynthDataset,
    SynthDatasetError,
    load_dataset,
    synthesize,
)
from dlc_lifter.synth.poses_only import POSES_ONLY_ARRAYS, sample_pose_batch
from dlc_lifter.synth.raster import Raster, rasterize
from dlc_lifter.synth.render import (
    QUALITIES,
    FastRenderer,
    RenderedImage,
    Sample,
    keypoint_visibility,
    make_sample,
)
from dlc_lifter.synth.renderers import make_renderer
from dlc_lifter.synth.scene import COATS, SceneParams, apply_image_effects, sample_scene

__all__ = [
    "COATS",
    "IMAGE_ARRAYS",
    "POSES_ONLY_ARRAYS",
    "QUALITIES",
    "FastRenderer",
    "Raster",
    "RenderedImage",
    "Sample",
    "SceneParams",
    "SynthDataset",
    "SynthDatasetError",
    "apply_image_effects",
    "keypoint_visibility",
    "load_dataset",
    "make_renderer",
    "make_sample",
    "rasterize",
    "sample_pose_batch",
    "sample_scene",
    "synthesize",
    "write_contact_sheet",
    "write_sequence_strip",
]
