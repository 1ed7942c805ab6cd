"""The demo: lift the bundled synthetic example and show the result, with no arguments.

The example (``dlc_lifter/data/example/``, made by ``examples/make_example.py`` from the
project's own synthetic mouse) is a short top-view clip, its 2D keypoints in DeepLabCut's
``analyze_videos`` format, and the exact 3D ground truth. :func:`run_demo` lays it out as a
small DLC project in the output folder, lifts it with :func:`~dlc_lifter.lift.batch.lift_videos`
(the same path as ``dlc-lifter lift-project``), writes the plots and the side-by-side
video, and compares the 3D with the ground truth.
"""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from dlc_lifter.errors import DLCLifterError
from dlc_lifter.io.config import write_dlc_config
from dlc_lifter.io.example_files import EXAMPLE_INFO, copy_example_files, read_example_info
from dlc_lifter.io.records import write_json

__all__ = ["DEFAULT_OUT_DIR", "example_dir", "ground_truth_errors", "run_demo"]

logger = logging.getLogger(__name__)

#: Where the demo writes when no folder is given (relative to the working directory).
DEFAULT_OUT_DIR = Path("dlc_lifter_demo")


def example_dir() -> Path:
    """The folder of the bundled example (``dlc_lifter/data/example``)."""
    path = Path(str(resources.files("dlc_lifter") / "data" / "example"))
    if not (path / EXAMPLE_INFO).is_file():
        raise DLCLifterError(
            f"The bundled example is missing from {path}; reinstall dlc-lifter or run "
            "'python examples/make_example.py' in the source tree.")
    return path


def ground_truth_errors(lifted: Path, truth: Path) -> dict[str, Any]:
    """Compare a lifted 3D file with ground truth over the keypoints and frames both hold.

    Both must be in the same world frame (floor ``z = 0``, mm). Reported:
    mean per-keypoint 3D error (MPJPE), the same after removing each frame's mean
    translation (pose shape only), and the mean absolute height (z) error.

    Returns
    -------
    dict
        ``mpjpe_mm``, ``mpjpe_centred_mm``, ``height_mae_mm``, ``per_keypoint_mm``,
        ``frames``, ``keypoints``.
    """
    from dlc_lifter.analysis.plots import read_lifted

    est, gt = read_lifted(lifted), read_lifted(truth)
    names = [k for k in gt.keypoints if k in est.keypoints]
    if not names:
        raise DLCLifterError(f"{lifted} and {truth} share no keypoint names.")
    common = np.intersect1d(np.asarray(est.frame_indices), np.asarray(gt.frame_indices))
    ei = np.searchsorted(np.asarray(est.frame_indices), common)
    gi = np.searchsorted(np.asarray(gt.frame_indices), common)
    a = est.select(keypoints=names).coords[ei, 0]
    b = gt.select(keypoints=names).coords[gi, 0]
    err = np.linalg.norm(a - b, axis=-1)
    ok = np.isfinite(err)
    centred = (a - np.nanmean(a, axis=1, keepdims=True)) - (b - np.nanmean(b, axis=1,
                                                                            keepdims=True))
    cerr = np.linalg.norm(centred, axis=-1)
    return {
        "frames": int(len(common)),
        "keypoints": names,
        "mpjpe_mm": float(np.mean(err[ok])),
        "mpjpe_centred_mm": float(np.nanmean(cerr[ok])),
        "height_mae_mm": float(np.mean(np.abs(a[..., 2] - b[..., 2])[ok])),
        "per_keypoint_mm": {n: float(np.nanmean(np.where(ok[:, k], err[:, k], np.nan)))
                            for k, n in enumerate(names)},
    }


def run_demo(out_dir: str | Path | None = None) -> Path:
    """Lift the bundled example and write the 3D file, plots, video and errors.

    Parameters
    ----------
    out_dir
        Output folder (default ``./dlc_lifter_demo``); made if needed. Files from an
        earlier demo there are replaced.

    Returns
    -------
    Path
        The output folder, holding ``config.yaml`` and ``videos/`` (a tiny DLC project
        with the example video and its ``analyze_videos``-style 2D output), the
        ``*_lifted3d.h5`` 3D file, ``*_3d.mp4``, ``*_heights.png``, ``*_trajectory.png``
        and ``summary.json`` (errors against the ground truth).
    """
    from dlc_lifter.analysis.plots import PlotStep
    from dlc_lifter.lift.batch import lift_videos
    from dlc_lifter.lift.options import CameraSpec, OutputSpec

    src = example_dir()
    info = read_example_info(src)
    out = Path(out_dir) if out_dir is not None else DEFAULT_OUT_DIR
    videos = copy_example_files(src, (info["video"], info["poses"]), out / "videos")
    config = {
        "Task": info.get("task", "syntheticmouse"), "scorer": "dlc_lifter", "date": "demo",
        "project_path": str(out.resolve()), "multianimalproject": False,
        "video_sets": {str((videos / info["video"]).resolve()): {"crop": "0, 0, 0, 0"}},
        "bodyparts": info["bodyparts"], "skeleton": [], "pcutoff": 0.6,
        "TrainingFraction": [0.95],
    }
    write_dlc_config(config, out / "config.yaml", overwrite=True)
    logger.info("Lifting the bundled example (%s, %d frames) in %s", info["video"],
                info["frames"], out)
    report = lift_videos(out / "config.yaml", camera=CameraSpec(**info.get("camera_spec", {})),
                         output=OutputSpec(overwrite=True), after_each=PlotStep())
    if not report.ok:
        raise DLCLifterError(f"The demo failed:\n{report.summary()}")
    item = report.done[0]
    summary: dict[str, Any] = {
        "output_3d": item.output, "plots": item.extra_outputs, "frames": item.n_frames,
        "seconds_lift_and_plot": round(item.seconds, 2),
    }
    truth = src / info["ground_truth"]
    if truth.is_file():
        summary["error_vs_ground_truth"] = ground_truth_errors(Path(item.output), truth)
        e = summary["error_vs_ground_truth"]
        logger.info(
            "Error against the ground truth over %d frames: 3D %.1f mm per keypoint "
            "(%.1f mm with the position removed), height %.1f mm.", e["frames"],
            e["mpjpe_mm"], e["mpjpe_centred_mm"], e["height_mae_mm"])
    write_json(summary, out / "summary.json", overwrite=True, newline=False)
    for path in [item.output, *item.extra_outputs]:
        logger.info("Wrote %s", path)
    return out
