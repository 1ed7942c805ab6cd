"""Reading 2D/3D pose files (DeepLabCut, SLEAP, JABS, NWB, SimBA-style tables), videos, DLC
configs, camera calibrations and behaviour labels; writing 3D, behaviour predictions and
classifier models.

See ``docs/formats.md`` for the exact layouts read and written.
"""

from __future__ import annotations

from dlc_lifter._atomic import OutputNotWritableError, atomic_output
from dlc_lifter.io.calibration import load_anipose, write_anipose
from dlc_lifter.io.classifier_model import read_classifier_model, write_classifier_model
from dlc_lifter.io.config import (
    DEFAULT_PCUTOFF,
    NO_DETECTION_LIKELIHOOD,
    ConfigError,
    DLCConfig,
    read_dlc_config,
    write_dlc_config,
)
from dlc_lifter.io.dlc import (
    DLC_KEY,
    count_dlc_rows,
    lifted_output_path,
    meta_pickle_path,
    read_dlc_csv,
    read_dlc_h5,
    read_lift_record,
    read_lifted_likelihood,
    read_lifted_output,
    update_meta_pickle,
    write_dlc_3d,
    write_meta_pickle,
)
from dlc_lifter.io.find import FoundPoseFiles, find_pose_files, pose_file_kind
from dlc_lifter.io.flat_csv import read_flat_csv
from dlc_lifter.io.labels import (
    align_labels,
    behaviour_output_path,
    labels_for,
    load_labels,
    write_behaviour,
)
from dlc_lifter.io.nwb import read_nwb, write_nwb_3d
from dlc_lifter.io.read import SUPPORTED_EXTENSIONS, detect_format, read_poses
from dlc_lifter.io.sleap import (
    read_points3d,
    read_sleap_analysis_h5,
    read_slp,
    sleap_video_stem,
    sleap_videos,
    write_points3d,
    write_sleap_analysis_3d,
    write_slp_3d,
)
from dlc_lifter.io.video import VideoReader, open_video, video_info

__all__ = [
    "DEFAULT_PCUTOFF",
    "NO_DETECTION_LIKELIHOOD",
    "DLC_KEY",
    "SUPPORTED_EXTENSIONS",
    "ConfigError",
    "DLCConfig",
    "FoundPoseFiles",
    "OutputNotWritableError",
    "VideoReader",
    "align_labels",
    "atomic_output",
    "behaviour_output_path",
    "count_dlc_rows",
    "detect_format",
    "find_pose_files",
    "labels_for",
    "lifted_output_path",
    "load_anipose",
    "load_labels",
    "meta_pickle_path",
    "open_video",
    "pose_file_kind",
    "read_classifier_model",
    "read_dlc_config",
    "read_dlc_csv",
    "read_flat_csv",
    "read_dlc_h5",
    "read_lift_record",
    "read_lifted_likelihood",
    "read_lifted_output",
    "read_nwb",
    "read_points3d",
    "read_poses",
    "read_sleap_analysis_h5",
    "read_slp",
    "sleap_video_stem",
    "sleap_videos",
    "update_meta_pickle",
    "video_info",
    "write_behaviour",
    "write_anipose",
    "write_classifier_model",
    "write_dlc_config",
    "write_dlc_3d",
    "write_meta_pickle",
    "write_nwb_3d",
    "write_points3d",
    "write_sleap_analysis_3d",
    "write_slp_3d",
]
