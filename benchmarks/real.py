"""Real-mouse benchmark: the product, used exactly as a user would, on real mice.

Every figure comes from :func:`dlc_lifter.lift_file` on files written to a temporary folder,
read back from the ``*_lifted3d.h5`` with :func:`dlc_lifter.read_poses`. The real data
(``../shared/realdata``) is only read, never trained on. Prints one table (set, condition,
figure, value, target, pass) and the command that made it.

A. Real 3D (``dannce-mouse1/labels3d.csv``: 81 hand-labelled frames, 22 keypoints, mm,
   floor z = 0). A grid of virtual top cameras (heights 350 / 450 / 600 mm x focal
   500 / 700 / 900 px x tilt 0 / 10 / 20 deg, 640x480, aimed so that the optical axis meets
   the floor under the mouse's mean position) projects the 3D labels with 1.5 px Gaussian
   noise; each projection is written as a DLC ``analyze_videos`` .h5 and as a labelled-data
   ``CollectedData_<scorer>.h5``, with an anipose calibration TOML, and lifted with
   ``lift_file(path, calibration=toml, depth=False)``. Reported over the grid: MPJPE on the six
   top-visible keypoints (all frames; rearing frames, true snout height > 60 mm), the
   median-height oracle baseline (each keypoint on its true camera ray, through the
   noise-free point, at the median true height of that keypoint over the 81 frames), their
   ratio (per camera, then averaged), and the same with only snout,
   ears and tail base in the file. What the 2D noise alone costs is given beside them (each
   keypoint at its true height on the ray through its noisy pixel): about the least a
   lifter that keeps the tracked pixels can reach, largest for far, short-lens cameras.
   The video file's grid means by camera height, focal length and tilt (each over the nine
   cameras that share it; diagnostic, no targets) say which set-ups lift worse. Where some
   frames have the animal off the floor (both hind paws above ``OFF_FLOOR_PAWS_MM``: a climb
   up the wall or a jump; DANNCE mouse 2's frame 116071), the grid's figures are also given
   without them (diagnostic): from above, a mouse on the wall looks like a low rear.
   For the 450 mm / 700 px / 0 deg camera, the lift with
   ``camera_height_mm`` and ``focal_px`` only, and with no camera information: the output
   frame is then the camera-floor frame, so the height error (mean ``|z_pred - z_true|``)
   and the shape error (MPJPE after removing each frame's mean and best heading) are given.
   The same camera's frames as DLC labelled-data folders of 5 images (the images beside
   the labels, as in a DLC project, give the frames' size), with no camera information:
   16 folders (80 of the 81 frames) each alone in its project (the animal's length over its
   five images sets the camera) and the same 16 as one project (the length measured over
   its folders together): height and shape errors and the estimated camera height, median
   and worst folder (diagnostic).
   Points that a camera cannot see (outside the image) are written as untracked (NaN) and
   left out of the errors; the table says how many there were.
   Arena corners as the ruler (``ARENA_CAMERAS``, tilted cameras included): a virtual
   ``ARENA_MM`` square arena centred under the mouse's mean position, its four corners
   projected (with the same noise) and written into the file as ``tl, tr, bl, br``
   (named by where they fall in the image, as a labeller would), lifted with
   ``arena_size_mm`` only (no calibration, height or focal length): MPJPE in the arena
   frame the lift reports (origin at the arena's centre, ``x`` towards the image's right
   side, ``y`` towards its top), height and shape errors, and the camera's estimated
   height and tilt; beside them the same file lifted with the calibration.
   Beyond the grid (no targets): the 450 mm / 700 px camera tilted 25, 30, 40, 50 and 60 deg,
   the video file lifted with default options: MPJPE over all and rearing frames, and the
   median view angle the lift recorded (``camera_estimate["view"]``) with whether the lift
   warned about it (:mod:`dlc_lifter.lift.view_range`).
B. Real rears (``oft-rearing``: DLC tracking, 25 fps, 1998 frames, three labellers' rear
   votes). ``lift_file(h5, arena_size_mm=420, depth=False)`` with no keypoint map (or
   ``--oft-keypoint-map``), and with no camera information: ROC AUC of the lifted nose
   height, rears (>= 2 votes) vs non-rears (0 votes), the median nose heights, and a 2D
   baseline (minus the 2D nose-tail base length). A lift that raises is reported as
   ``fails: <first line of the error>``.
C. Real video (``dlc-openfield``): fraction of the frames labelled ``flat`` where the lifted
   snout is below 30 mm, with the depth path (default) and with ``depth=False``, and the
   depth network's own landmark height at the snout on those frames, also split into
   frames with the snout at the arena's walls (within ``WALL_PX`` of the image border,
   where this arena's walls are) and in the open.
   With ``--video-set DIR`` (repeatable; not in ``../shared``, not bundled), the same check
   on other real videos: DIR holds a pose file, its video, ``posture_labels.csv`` (``frame,
   animal, label, reason``; labels ``flat`` / ``rear`` / ``unsure``, ``animal`` the
   individual's name as :func:`dlc_lifter.read_poses` gives it) and ``set.json``
   (``{"poses": FILE, "video": FILE, "lift": {CameraSpec / LiftOptions fields by name},
   "source": provenance}``, paths relative to DIR). Each set is lifted with its ``lift``
   fields, with default options and with ``depth=False``: whether depth was used (or why
   not) and the depth network's snout readings as the lift's meta records them (count,
   median, share >= 30 mm), the share of ``flat`` animal-frames with the lifted snout
   below 30 mm (target >= 95 %, as above), and the median lifted snout on ``rear``
   animal-frames with how many are above ``REAR_MM`` (no target).

D. Real 3D filmed from below (a glass floor, as in B-SOiD's and LUPE's rigs): the same 81
   frames through the mirror images in the floor of section A's 27 cameras (looking up,
   1.5 px noise), written as a DLC ``analyze_videos`` .h5 with the calibration of the camera
   below, lifted with ``lift_file(path, calibration=toml, depth=False)``: MPJPE on the six
   top keypoints (22 and 4 keypoints in), rearing frames, the median-height baseline on
   the real rays. For the 450 mm / 700 px / 0 deg camera below, with no camera information:
   the default (``view="auto"``: the file votes for a view from below) and ``view="above"``
   (lifted as if from above, as before views from below were recognised): height and
   shape errors, and the view the lift chose. For the 450 mm cameras at 0 and 20 deg below,
   the arena's corners tracked (named by where they fall in the image below) and
   ``arena_size_mm`` only: height and shape errors. No targets: the issue sets none for views
   from below; the figures say how far they are from views from above (section A).

E. Another lab's mice (not in ``../shared``, not bundled: ``--subtle-dir``, the ``dataset``
   folder of github.com/jeakwon/subtle, GPL-3.0): SUBTLE's 19 recordings (Kwon et al. 2023)
   of young and adult mice in an open field, 3D from the AVATAR five-camera system (its own
   network's keypoints, triangulated: 9 keypoints, cm, 20 fps, about 12,000 frames each;
   10 recordings with frames labelled walking / rearing / standing / grooming by people).
   The floor is each recording's median hind-foot height. Each recording through
   ``SUBTLE_CAMERAS`` (aimed at the arena's centre, 1.5 px noise), written as a DLC
   ``analyze_videos`` .h5 under SUBTLE's own names (no keypoint map: the ``avatar`` skeleton)
   with its calibration, lifted with ``lift_file(path, calibration=toml, depth=False)``:
   MPJPE on the keypoints a top camera sees (``SUBTLE_TOP``) and on all eight lifted ones
   (``chest``, on the belly, maps to no landmark), the median-height baseline, rearing
   frames, and the lifted nose height as a rear detector (rearing against walking frames).
   No targets: the issue sets none for this set; its truth is AVATAR's own estimate, not
   hand labels, so its figures carry AVATAR's error too.

F. More real rears from the open field of section B (not in ``../shared``, not bundled:
   ``--dlcanalyzer-dir``, a folder holding DLCAnalyzer's label table
   ``AllLabDataOFT_final.csv``, from github.com/ETHZ-INS/DLCAnalyzer ``data/OFT/Labels``,
   GPL-3.0, and any of its DLC outputs ``*DeepCut*.csv``; the one DLC2action's tests carry,
   ``12_01_A_190507144429DeepCut_resnet50_Blockcourse1May9shuffle1_1030000.csv`` at commit
   5047669d of github.com/amathislab/DLC2action, is another mouse, ``OFT_44``, its first
   1998 frames, in a copy re-saved by pandas). Each file the table labels gets per-frame rear
   votes from its three labellers (supported or unsupported rears, 25 fps) and is lifted as
   section B lifts ``oft-rearing``: ``arena_size_mm=420`` and with no camera information,
   with the arena's walls bounding the heights (the default) and without (``walls=False``),
   with every keypoint and with only nose, ears and tail base (+ the corners). Targets
   are section B's, as a check on another animal.

G. A maze (not in ``../shared``, not bundled: ``--maze-csv``, a DLC output of a mouse on an
   elevated plus maze; DLCAnalyzer's
   ``EPM_15DeepCut_resnet50_epmMay17shuffle1_1030000.csv``, from github.com/ETHZ-INS/DLCAnalyzer
   ``data/EPM/Output_DLC``, GPL-3.0: 12 mouse keypoints and 12 maze points, the closed arms'
   ends named ``tl, tr, bl, br``). No 3D and no labels: its rows say what no mouse does.
   Lifted with ``depth=False`` and no camera information; with ``arena_size_mm=650`` (the
   maze's span); and so without its corner points: frames with a lifted point above
   :data:`MAZE_MAX_MM` and the highest, the nose's height percentiles, the detections lifted
   as untracked (``mistracked``), whether the corners were taken for the arena's and
   whether walls bounded the heights. No targets (the issue sets none); a mouse's keypoints
   stay below 120 mm.

H. Another lab's set-ups (not in ``../shared``, not bundled: ``--behaviordepot-dir``, the
   ``demo`` folder of github.com/DeNardoLab/BehaviorDEPOT, GPL-3.0, or any folder holding its
   tracking csv files: DLC ``resnet101`` outputs of a fear-conditioning chamber, a miniscope
   mouse, an elevated plus maze, a T maze and an open field). No 3D and no height labels:
   each file lifted with ``depth=False`` and no camera information, and where the demo's
   README gives the floor's scale (fear conditioning 32 px/cm, miniscope 23 px/cm) also
   with it (``floor_scale``): frames with a lifted point above :data:`MAZE_MAX_MM`, the
   nose's 50th / 99th percentile, detections lifted as untracked, and the animal's length
   on the floor as the lift measures it (with the floor scale). No targets.

I. Real files with the options users give where the file cannot back them: the SLEAP
   session of ``sleap-mouse-session`` (120 frames of a mouse that barely moves) lifted with
   ``arena_size_mm=400`` (its tail base spreads over a few pixels, so that size cannot be
   measured from it: the camera the lift used, the nose's median and the highest point,
   target 120 mm); and the same session from its ``.slp`` and its SLEAP analysis ``.h5``
   (the same points; the analysis file names its video with a Windows path): the largest
   difference between the two lifts (target 0.01 mm).

Run from the repository root::

    python benchmarks/real.py [--only A,B,C,D,E,F,G,H,I] [--seed 0] [--noise-draws 5] [--threads 2]
                              [--tmp DIR]
                              [--oft-keypoint-map MAP.yaml] [--per-camera]
                              [--dannce-csv LABELS.csv] [--subtle-dir DATASET]
                              [--dlcanalyzer-dir DIR] [--maze-csv EPM.csv]
                              [--video-set DIR [--video-set DIR ...]]
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import pickle
import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

logger = logging.getLogger("benchmarks.real")

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / ".." / "shared" / "realdata"
DANNCE_CSV = REAL / "dannce-mouse1" / "labels3d.csv"
OFT_H5 = REAL / "oft-rearing" / "OFT_38DLC_resnet50_BlockcourseMay9shuffle1_1030000.h5"
OFT_VOTES = REAL / "oft-rearing" / "OFT_38_rear_votes.csv"
OF_H5 = REAL / "dlc-openfield" / "analyzed" / "m3v1mp4DLC_resnet50_openfieldAug20shuffle1_30000.h5"
OF_VIDEO = REAL / "dlc-openfield" / "videos" / "m3v1mp4.mp4"
OF_POSTURE = REAL / "dlc-openfield" / "posture_labels.csv"
#: An arena size for the openfield video (which records none; ``benchmarks/lifter.py``'s
#: plausibility rows use the same): without tracked corners, the walls then come from the
#: tail base's track (:func:`dlc_lifter.lift.walls.walls_from_track`).
OF_ARENA_MM = 450.0
#: The real SLEAP session (section I), its two files, and an arena size it cannot measure.
SLEAP_SLP = REAL / "sleap-mouse-session" / "minimal_top_proofread.slp"
SLEAP_ANALYSIS = REAL / "sleap-mouse-session" / "minimal_top_proofread.analysis.h5"
SLEAP_ARENA_MM = 400.0

#: Keypoints a top camera sees on a real mouse (DANNCE names); the errors are over these.
TOP6 = ("Snout", "EarL", "EarR", "SpineF", "SpineM", "Tail_base")
#: The common four-keypoint input (DLC openfield-like).
IN4 = ("Snout", "EarL", "EarR", "Tail_base")
#: A sparse set with a centre label (DANNCE's ``SpineM`` maps to the catalogue's centre).
IN5_CENTRE = ("Snout", "EarL", "EarR", "SpineM", "Tail_base")
HEIGHTS_MM = (350.0, 450.0, 600.0)
FOCALS_PX = (500.0, 700.0, 900.0)
TILTS_DEG = (0.0, 10.0, 20.0)
IMAGE_SIZE = (640, 480)
NOISE_PX = 1.5
REARING_SNOUT_MM = 60.0
#: A frame with both hind paws this high (mm) has the animal off the floor (climbing the
#: wall or jumping): seen from above, nothing shows how high it is.
OFF_FLOOR_PAWS_MM = 20.0
HIND_PAWS = ("HindpawL", "HindpawR")
#: The camera of the no-calibration conditions (height mm, focal px, tilt deg).
PLAIN_CAMERA = (450.0, 700.0, 0.0)
#: Beyond the grid: cameras 450 mm up, f 700 px, tilted further (aimed at the mouse, so the
#: view angle is about the tilt); no targets (the issue sets none beyond 20 deg).
OBLIQUE_TILTS_DEG = (25.0, 30.0, 40.0, 50.0, 60.0)
OBLIQUE_CAMERA = (450.0, 700.0)
#: Cameras of the arena-corner conditions (height mm, focal px, tilt deg), and the arena.
ARENA_CAMERAS = ((450.0, 500.0, 0.0), (450.0, 500.0, 10.0), (450.0, 500.0, 20.0),
                 (600.0, 700.0, 20.0))
ARENA_MM = 300.0
DANNCE_FPS = 100.0
VIDEO_SCORER = "DLC_resnet50_dannceMouseMay1shuffle1_100000"
LABELLER = "bench"
FLAT_MM = 30.0
#: ``--video-set``: a rear counted as read as one above this snout height (mm; no target).
REAR_MM = 45.0
#: dlc-openfield: a snout this close to the image border (px) is at the arena's walls.
WALL_PX = 100.0

#: Section E: SUBTLE's AVATAR keypoints (the order of its CSV columns), the ones a top camera
#: sees, its frame rate, and the virtual cameras (height mm, focal px, tilt deg; the issue's
#: plain camera and the grid's worst).
SUBTLE_NAMES = ("nose", "neck", "anus", "chest", "rfoot", "lfoot", "rhand", "lhand", "tip")
SUBTLE_TOP = ("nose", "neck", "anus")
SUBTLE_FEET = ("rfoot", "lfoot")
SUBTLE_FPS = 20.0
SUBTLE_CAMERAS = ((450.0, 700.0, 0.0), (600.0, 500.0, 20.0))

Row = tuple[str, str, str, str, str, str]


def top_keypoints(names: Sequence[str]) -> tuple[str, ...]:
    """The keypoints of :data:`TOP6` among ``names`` (a set without DANNCE's spine labels,
    a SLEAP skeleton's, is scored on its snout, ears and tail base)."""
    return tuple(n for n in TOP6 if n in names)


def _row(rows: list[Row], section: str, condition: str, figure: str, value: float | str,
         unit: str = "", target: str = "", ok: bool | None = None) -> None:
    text = value if isinstance(value, str) else f"{value:.3g} {unit}".strip()
    if not isinstance(value, str) and abs(value) >= 10:
        text = f"{value:.1f} {unit}".strip()
    mark = "" if ok is None else ("PASS" if ok else "FAIL")
    rows.append((section, condition, figure, text, target, mark))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return f"{type(exc).__name__}: {text.splitlines()[0]}"


#: Keypoints-only lifter weights (``--model``) and depth network weights for section C's
#: own-reading rows (``--depth-weights``) to measure; None: the shipped ones.
MODEL: dict[str, str | None] = {"path": None, "depth": None}


def companions_note(model: str | Path | None) -> str:
    """One line for the table's header: whether the weights measured (``--model``; None:
    the shipped ones) have their companions beside them. Without them, cameras below the
    floor and views from 15 deg off the vertical (the 20 deg cameras of section A) are
    lifted by the top-view networks alone (``Lifter.missing_companion``), and read worse
    than the same networks with the shipped companions."""
    from dlc_lifter.lift import below_model_path, default_model_path, oblique_model_path

    path = Path(model) if model is not None else default_model_path()
    wanted = {below_model_path(path): "cameras below the floor",
              oblique_model_path(path): "views from 15 deg off the vertical"}
    missing = {p: views for p, views in wanted.items() if not p.is_file()}
    if not missing:
        return (f"companions: {', '.join(p.name for p in wanted)} beside {path.name} (they "
                "lift cameras below the floor and views from 15 deg off the vertical)")
    return (f"companions: {' and '.join(p.name for p in missing)} NOT beside {path}: "
            f"{' and '.join(missing.values())} are lifted by its top-view networks alone "
            f"(copy the shipped ones from {default_model_path().parent}, or make it with "
            "'dlc-lifter train --extend', which copies them)")


def _lift(path: Path, dest: Path, *, video: Path | None = None,
          **fields: Any) -> tuple[Any, dict[str, Any]]:
    """``lift_file`` as a user calls it; the lifted poses and the meta pickle's record.

    ``fields`` are ``CameraSpec`` and ``LiftOptions`` fields by name.
    """
    import dlc_lifter
    from dlc_lifter.io import meta_pickle_path
    from dlc_lifter.lift.options import CameraSpec, LiftOptions, OutputSpec

    dest.mkdir(parents=True, exist_ok=True)
    if MODEL["path"] is not None:
        fields.setdefault("model", MODEL["path"])
    camera = {k: fields.pop(k) for k in list(fields) if k in CameraSpec.__dataclass_fields__}
    out = dlc_lifter.lift_file(path, video=video, camera=CameraSpec(**camera),
                               options=LiftOptions(**fields), output=OutputSpec(destfolder=dest))
    return dlc_lifter.read_poses(out), pd.read_pickle(meta_pickle_path(out))["data"]


# =========================================================================== A: real 3D
@dataclass(frozen=True)
class VirtualCamera:
    """A pinhole camera written independently of the package (so conventions are tested).

    ``X_cam = R @ X_world + t``; world z up, floor z = 0, mm.
    """

    name: str
    K: np.ndarray
    R: np.ndarray
    t: np.ndarray
    roll_deg: float

    @property
    def centre(self) -> np.ndarray:
        return -self.R.T @ self.t

    def project(self, xyz: np.ndarray) -> np.ndarray:
        cam = xyz @ self.R.T + self.t
        return cam[..., :2] / cam[..., 2:3] * np.diag(self.K)[:2] + self.K[:2, 2]

    def pixel_at_height(self, uv: np.ndarray, height: np.ndarray) -> np.ndarray:
        """Points at world height ``height`` on the rays through pixels ``uv`` (broadcast)."""
        rays = np.concatenate([uv, np.ones(uv.shape[:-1] + (1,))], -1) @ np.linalg.inv(
            self.K).T @ self.R  # world directions
        return self.on_ray_at_height(self.centre + rays, height)

    def on_ray_at_height(self, xyz: np.ndarray, height: np.ndarray) -> np.ndarray:
        """Points on the rays through ``xyz`` at world height ``height`` (broadcast)."""
        c = self.centre
        s = (height - c[2]) / (xyz[..., 2] - c[2])
        return c + s[..., None] * (xyz - c)


def _rotation(tilt_deg: float, roll_deg: float) -> np.ndarray:
    """World -> camera rotation: straight down (u along x, v along -y), tilted, rolled."""
    down = np.diag([1.0, -1.0, -1.0])
    a, r = math.radians(tilt_deg), math.radians(roll_deg)
    tilt = np.array([[1, 0, 0], [0, math.cos(a), -math.sin(a)], [0, math.sin(a), math.cos(a)]])
    roll = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    return roll @ tilt @ down


def _aimed(height: float, focal: float, tilt: float, roll: float, aim_xy: np.ndarray,
           name: str) -> VirtualCamera:
    rot = _rotation(tilt, roll)
    axis = rot[2]  # optical axis in the world; points down
    centre = np.array([aim_xy[0], aim_xy[1], 0.0]) - (height / -axis[2]) * axis
    w, h = IMAGE_SIZE
    k = np.array([[focal, 0, (w - 1) / 2], [0, focal, (h - 1) / 2], [0, 0, 1.0]])
    return VirtualCamera(name, k, rot, -rot @ centre, roll)


def _outside(uv: np.ndarray) -> np.ndarray:
    w, h = IMAGE_SIZE
    ok = np.isfinite(uv).all(-1)
    inside = (uv[..., 0] >= 0) & (uv[..., 0] <= w - 1) & (uv[..., 1] >= 0) & (uv[..., 1] <= h - 1)
    return ok & ~inside


def place_camera(height: float, focal: float, tilt: float, xyz: np.ndarray) -> VirtualCamera:
    """Aim the optical axis at the floor under the mouse's mean position.

    Where some labelled point would fall outside the image, the aim moves to centre the
    points' bounding box, and the camera may roll 90 deg (whichever sees most points).
    """
    name = f"h{height:.0f} f{focal:.0f} t{tilt:.0f}"
    mean_xy = np.nanmean(xyz[..., :2].reshape(-1, 2), axis=0)
    cam = _aimed(height, focal, tilt, 0.0, mean_xy, name)
    if not _outside(cam.project(xyz)).any():
        return cam
    best = None
    for roll in (0.0, 90.0):
        aim = mean_xy.copy()
        for _ in range(4):
            cam = _aimed(height, focal, tilt, roll, aim, name)
            uv = cam.project(xyz)
            mid = (np.nanmin(uv.reshape(-1, 2), 0) + np.nanmax(uv.reshape(-1, 2), 0)) / 2
            shift_px = mid - cam.K[:2, 2]
            depth = float(np.nanmedian((xyz @ cam.R.T + cam.t)[..., 2]))
            aim = aim + (cam.R.T[:2, :2] @ shift_px) * depth / focal
        n_out = int(_outside(cam.project(xyz)).sum())
        if best is None or n_out < best[0]:
            best = (n_out, cam)
    return best[1]


def write_calibration(cam: VirtualCamera, path: Path) -> Path:
    """An anipose / aniposelib calibration TOML holding one camera."""
    import cv2

    def vec(v: np.ndarray) -> str:
        return "[" + ", ".join(repr(float(x)) for x in np.ravel(v)) + "]"

    rvec = cv2.Rodrigues(cam.R)[0]
    text = "\n".join([
        "[cam_0]", 'name = "top"', f"size = [{IMAGE_SIZE[0]}, {IMAGE_SIZE[1]}]",
        "matrix = [" + ", ".join(vec(r) for r in cam.K) + "]",
        "distortions = [0.0, 0.0, 0.0, 0.0, 0.0]", f"rotation = {vec(rvec)}",
        f"translation = {vec(cam.t)}", "", "[metadata]", "adjusted = false", "error = 0.0", ""])
    path.write_text(text)
    return path


def write_video_h5(uv: np.ndarray, names: Sequence[str], path: Path,
                   fps: float = DANNCE_FPS) -> Path:
    """A DLC ``analyze_videos`` output (and its ``_meta.pickle``) for these 2D points."""
    t, k = uv.shape[:2]
    lik = np.where(np.isfinite(uv).all(-1), 1.0, np.nan)
    cols = pd.MultiIndex.from_product([[VIDEO_SCORER], list(names), ["x", "y", "likelihood"]],
                                      names=["scorer", "bodyparts", "coords"])
    data = np.concatenate([uv, lik[..., None]], axis=-1).reshape(t, 3 * k)
    pd.DataFrame(data, columns=cols, index=np.arange(t)).to_hdf(
        path, key="df_with_missing", format="table", mode="w")
    meta = {"data": {"start": 0.0, "stop": 1.0, "run_duration": 1.0, "Scorer": VIDEO_SCORER,
                     "fps": fps, "batch_size": 8, "nframes": t, "cropping": False,
                     "frame_dimensions": (IMAGE_SIZE[1], IMAGE_SIZE[0]),
                     "cropping_parameters": [0, IMAGE_SIZE[0], 0, IMAGE_SIZE[1]],
                     "iteration (active-learning)": 0, "training set fraction": 0.95}}
    with path.with_name(f"{path.stem}_meta.pickle").open("wb") as fh:
        pickle.dump(meta, fh)
    return path


def write_collected_data(uv: np.ndarray, names: Sequence[str], sample_ids: np.ndarray,
                         folder: Path) -> Path:
    """A DLC labelled-data ``CollectedData_<scorer>.h5`` (image-path row index)."""
    t, k = uv.shape[:2]
    folder.mkdir(parents=True, exist_ok=True)
    cols = pd.MultiIndex.from_product([[LABELLER], list(names), ["x", "y"]],
                                      names=["scorer", "bodyparts", "coords"])
    index = [f"labeled-data/{folder.name}/img{int(s):05d}.png" for s in sample_ids]
    path = folder / f"CollectedData_{LABELLER}.h5"
    pd.DataFrame(uv.reshape(t, 2 * k), columns=cols, index=index).to_hdf(
        path, key="df_with_missing", mode="w")
    return path


def load_dannce(path: Path | None = None) -> tuple[np.ndarray, list[str], np.ndarray]:
    """``(sample ids, keypoint names, (T, K, 3) mm)`` of DANNCE labels (default the shared set)."""
    df = pd.read_csv(DANNCE_CSV if path is None else path)
    names = [c[:-2] for c in df.columns if c.endswith("_x")]
    xyz = np.stack([df[[f"{n}_x", f"{n}_y", f"{n}_z"]].to_numpy(float) for n in names], axis=1)
    return df["sample_id"].to_numpy(), names, xyz


def _align_heading(pred: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Per-frame errors after removing each frame's mean and best rotation about z."""
    errs = []
    for p, g in zip(pred, true, strict=True):
        ok = np.isfinite(p).all(-1) & np.isfinite(g).all(-1)
        if ok.sum() < 2:
            continue
        p, g = p[ok] - p[ok].mean(0), g[ok] - g[ok].mean(0)
        a = math.atan2(float(np.sum(p[:, 0] * g[:, 1] - p[:, 1] * g[:, 0])),
                       float(np.sum(p[:, 0] * g[:, 0] + p[:, 1] * g[:, 1])))
        rz = np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0],
                       [0, 0, 1]])
        errs.append(np.linalg.norm(p @ rz.T - g, axis=-1))
    return np.concatenate(errs) if errs else np.array([np.nan])


@dataclass
class Truth:
    """The 3D labels on the evaluated keypoints, and which the camera saw."""

    xyz: np.ndarray  # (T, K, 3)
    seen: np.ndarray  # (T, K) in the image and labelled
    rearing: np.ndarray  # (T,)
    names: tuple[str, ...]
    off_floor: np.ndarray | None = None  # (T,) both hind paws up: climbing or jumping


def _predicted(p3: Any, names: Sequence[str]) -> np.ndarray:
    missing = [n for n in names if n not in p3.keypoints]
    if missing:
        raise KeyError(f"lifted output lacks keypoint(s) {', '.join(missing)}")
    return p3.coords[:, 0, [list(p3.keypoints).index(n) for n in names]]


def _mpjpe(pred: np.ndarray, truth: Truth, frames: np.ndarray | None = None) -> float:
    e = np.linalg.norm(pred - truth.xyz, axis=-1)
    ok = truth.seen & np.isfinite(e)
    if frames is not None:
        ok &= frames[:, None]
    return float(e[ok].mean()) if ok.any() else math.nan


def grid_errors(p3: Any, truth: Truth, cam: VirtualCamera, median_h: np.ndarray,
                uv: np.ndarray | None = None) -> dict[str, float]:
    """Model and median-height baseline MPJPE, all and rearing frames; with the tracked
    pixels ``uv`` of the evaluated keypoints, also the 2D noise's own share (``noise``: each
    keypoint at its true height on the ray through its tracked, noisy pixel)."""
    pred = _predicted(p3, truth.names)
    base = cam.on_ray_at_height(truth.xyz, median_h[None, :])
    out = {"model": _mpjpe(pred, truth), "model_rear": _mpjpe(pred, truth, truth.rearing),
           "base": _mpjpe(base, truth), "base_rear": _mpjpe(base, truth, truth.rearing)}
    if truth.off_floor is not None and truth.off_floor.any():
        on = ~truth.off_floor
        out |= {"model_on": _mpjpe(pred, truth, on),
                "model_rear_on": _mpjpe(pred, truth, truth.rearing & on),
                "base_on": _mpjpe(base, truth, on), "n_off_floor": float(truth.off_floor.sum())}
    if uv is not None:
        out["noise"] = _mpjpe(cam.pixel_at_height(uv, truth.xyz[..., 2]), truth)
    return out


def _dannce_case(folder: Path, kind: str, uv: np.ndarray, names: Sequence[str],
                 sample_ids: np.ndarray) -> Path:
    if kind == "video .h5":
        folder.mkdir(parents=True, exist_ok=True)
        return write_video_h5(uv, names, folder / f"dannce_mouse1{VIDEO_SCORER}.h5")
    return write_collected_data(uv, names, sample_ids, folder / "labeled-data" / "dannce_mouse1")


KINDS = ("video .h5", "CollectedData")
INPUTS = (("22 keypoints in", None), ("4 keypoints in (Snout, ears, Tail_base)", IN4))
#: Variants lifted on the grid: the default options, ``mode="frame"`` as a diagnostic
#: (the 81 labelled frames are not consecutive in time), and the opt-in ``adapt=True``.
MODES = (None, "frame", "adapt")
_MODE_KWARGS: dict[str | None, dict[str, Any]] = {None: {}, "frame": {"mode": "frame"},
                                                  "adapt": {"adapt": True}}
_MODE_LABEL = {"frame": "mode=frame (diagnostic)", "adapt": "adapt=True (opt-in)"}


def section_a(args: argparse.Namespace, tmp: Path, rows: list[Row], notes: list[str]) -> None:
    """Real 3D labels through a grid of virtual cameras."""
    labels = _labels(args, rows, "A")
    if labels is None:
        return
    csv, sample_ids, names, xyz = labels
    notes.append(f"A: 3D labels {csv}")
    median_h = np.nanmedian(xyz[..., 2], axis=0)
    rng = np.random.default_rng(args.seed)
    corner_rng = np.random.default_rng(args.seed + 1)  # the grid's noise stays as it was
    results: dict[tuple[str, str, str | None], list[dict[str, Any]]] = {}
    plain_rows: list[Row] = []
    n_outside, n_points = 0, 0
    for h in HEIGHTS_MM:
        for f in FOCALS_PX:
            for tilt in TILTS_DEG:
                cam = place_camera(h, f, tilt, xyz)
                uv, out = _seen(cam, xyz, rng)
                n_outside += int(out.sum())
                n_points += int(np.isfinite(xyz).all(-1).sum())
                folder = tmp / "A" / cam.name.replace(" ", "_")
                folder.mkdir(parents=True, exist_ok=True)
                toml = write_calibration(cam, folder / "calibration.toml")
                _grid_camera(cam, toml, folder, uv, names, sample_ids, xyz, median_h,
                             results, notes)
                if args.per_camera:
                    _print_camera(cam, results, int(out.sum()))
                if (h, f, tilt) == PLAIN_CAMERA:
                    _plain_camera(folder, cam, uv, names, xyz, plain_rows)
                    _few_images(folder, cam, uv, names, sample_ids, xyz, plain_rows,
                                np.random.default_rng(args.seed + 2))
                if (h, f, tilt) in ARENA_CAMERAS:
                    _arena_camera(folder, cam, tilt, uv, names, xyz, corner_rng,
                                  plain_rows)
    _grid_rows(results, rows)
    if args.noise_draws > 1:
        _noise_draw_rows(args, tmp, names, sample_ids, xyz, median_h, results, rows)
    _oblique_rows(args, tmp, names, sample_ids, xyz, median_h, rows)
    _centre_rows(args, tmp, names, xyz, median_h, rows)
    _row(rows, "A", "camera grid (27)", "labelled points outside the image (untracked)",
         f"{n_outside} of {n_points}")
    rows.extend(plain_rows)
    notes.append("A: MPJPE over the six top keypoints (22 keypoints in) or the four input "
                 "keypoints (4 in); rearing: true snout height > 60 mm "
                 f"({int((xyz[:, names.index('Snout'), 2] > REARING_SNOUT_MM).sum())} of "
                 f"{len(xyz)} frames)")


def _noise_draw_rows(args: argparse.Namespace, tmp: Path, names: Sequence[str],
                     sample_ids: np.ndarray, xyz: np.ndarray, median_h: np.ndarray,
                     results: dict[tuple[str, str, str | None], list[dict[str, Any]]],
                     rows: list[Row]) -> None:
    """The worst camera with the 2D noise drawn ``--noise-draws`` times (the video file,
    default options).

    The worst camera is the largest of 27 per-camera errors, each from one noise draw, so
    one draw can land it either side of its expected value (by 0.1-0.5 mm on the DANNCE
    mice). Here every camera's error is the mean over the draws (draw 0 is the grid's own;
    the others come from their own streams, so the grid rows stay as they were), and the
    worst of those means is reported with the range of its draws."""
    kind = KINDS[0]
    draws = {key: list(res) for key, res in results.items() if key[0] == kind and key[2] is None}
    for d in range(1, args.noise_draws):
        rng = np.random.default_rng([args.seed, d])
        for h in HEIGHTS_MM:
            for f in FOCALS_PX:
                for tilt in TILTS_DEG:
                    cam = place_camera(h, f, tilt, xyz)
                    uv, _ = _seen(cam, xyz, rng)
                    folder = tmp / "A" / cam.name.replace(" ", "_")
                    _grid_camera(cam, folder / "calibration.toml", folder / f"draw{d}", uv,
                                 names, sample_ids, xyz, median_h, draws, [], kinds=(kind,),
                                 modes=(None,))
    per: dict[tuple[str, str], list[dict[str, float]]] = {}
    for (_, label, _), res in draws.items():
        for r in res:
            if "error" not in r:
                per.setdefault((label, r["camera"]), []).append(r)
    for label, _ in INPUTS:
        four = label.startswith("4")
        cond = f"{kind}, {label}, 2D noise drawn {args.noise_draws} times"
        for key, fig, target in (("model", "MPJPE all frames", 10.0 if four else 8.0),
                                 ("model_rear", "MPJPE rearing frames",
                                  None if four else 12.0)):
            cams = {c: [r[key] for r in rs] for (lab, c), rs in per.items() if lab == label}
            if not cams:
                continue
            worst = max(cams, key=lambda c: float(np.mean(cams[c])))
            vals = cams[worst]
            tgt = "" if target is None else f"<= {target:g}"
            _row(rows, "A", cond, f"{fig}, worst camera ({worst}), mean of {len(vals)} draws "
                 f"(each {min(vals):.2f}-{max(vals):.2f})", float(np.mean(vals)), "mm", tgt,
                 None if target is None else float(np.mean(vals)) <= target)
            on = {c: [r[f"{key}_on"] for r in rs if f"{key}_on" in r]
                  for (lab, c), rs in per.items() if lab == label}
            if all(len(v) == len(cams[c]) for c, v in on.items()):
                worst = max(on, key=lambda c: float(np.mean(on[c])))
                n_off = int(per[(label, worst)][0]["n_off_floor"])
                _row(rows, "A", cond, f"{fig} without the {n_off} off the floor (climbing), "
                     f"worst camera ({worst}), mean of {len(on[worst])} draws (diagnostic)",
                     float(np.mean(on[worst])), "mm")


def _centre_rows(args: argparse.Namespace, tmp: Path, names: Sequence[str], xyz: np.ndarray,
                 median_h: np.ndarray, rows: list[Row]) -> None:
    """The grid with only snout, ears, ``SpineM`` and tail base tracked (a sparse set with
    a centre label, which the lift withholds from the networks and places on its own ray;
    the video file, default options, each camera its own noise stream): MPJPE on the five
    over all and rearing frames, grid mean and worst camera, and the baseline ratio.
    Diagnostic, no targets."""
    keep = [n for n in IN5_CENTRE if n in names]
    if len(keep) < len(IN5_CENTRE):
        return
    idx = [list(names).index(n) for n in keep]
    res = []
    for h in HEIGHTS_MM:
        for f in FOCALS_PX:
            for tilt in TILTS_DEG:
                cam = place_camera(h, f, tilt, xyz)
                uv, _ = _seen(cam, xyz, np.random.default_rng([args.seed, 300, int(h), int(f),
                                                               int(tilt)]))
                folder = tmp / "A" / "centre" / cam.name.replace(" ", "_")
                folder.mkdir(parents=True, exist_ok=True)
                toml = write_calibration(cam, folder / "calibration.toml")
                path = write_video_h5(uv[:, idx], keep, folder / f"m{VIDEO_SCORER}.h5")
                try:
                    p3, meta = _lift(path, folder / "lifted", calibration=toml, depth=False)
                except Exception as exc:  # noqa: BLE001 - a benchmark reports and goes on
                    _row(rows, "A", "5 keypoints in", "lift", f"fails: {_first_line(exc)}",
                         ok=False)
                    return
                truth = _truth(xyz, names, uv, keep)
                r = grid_errors(p3, truth, cam, median_h[idx])
                res.append((cam.name, r["model"], r["model_rear"], r["model"] / r["base"],
                            meta.get("extra", {}).get("withheld")))
    cond = (f"video .h5, 5 keypoints in ({', '.join(keep)}; SpineM lifted as the centre, "
            f"withheld from the networks: {res[0][4]}) (diagnostic)")
    for i, fig in ((1, "MPJPE all frames"), (2, "MPJPE rearing frames"),
                   (3, "model / median-height baseline")):
        vals = [r[i] for r in res]
        worst = res[int(np.argmax(vals))][0]
        unit = "" if i == 3 else " mm"
        _row(rows, "A", cond, f"{fig} (the five), grid mean / worst camera ({worst})",
             f"{np.mean(vals):.3g} / {np.max(vals):.3g}{unit}")


def _oblique_rows(args: argparse.Namespace, tmp: Path, names: Sequence[str],
                  sample_ids: np.ndarray, xyz: np.ndarray, median_h: np.ndarray,
                  rows: list[Row]) -> None:
    """Cameras beyond the grid's 20 deg (:data:`OBLIQUE_TILTS_DEG`; the video file, default
    options, each camera its own noise stream): MPJPE over all and rearing frames, the
    median view angle the lift recorded, and whether the lift warned about it."""
    from dlc_lifter.lift.view_range import WARN_VIEW_DEG

    kind = KINDS[0]
    for tilt in OBLIQUE_TILTS_DEG:
        cam = place_camera(*OBLIQUE_CAMERA, tilt, xyz)
        uv, _ = _seen(cam, xyz, np.random.default_rng([args.seed, 100 + int(tilt)]))
        folder = tmp / "A" / "oblique" / cam.name.replace(" ", "_")
        folder.mkdir(parents=True, exist_ok=True)
        toml = write_calibration(cam, folder / "calibration.toml")
        res: dict[tuple[str, str, str | None], list[dict[str, Any]]] = {}
        _grid_camera(cam, toml, folder, uv, names, sample_ids, xyz, median_h, res, [],
                     kinds=(kind,), modes=(None,))
        for (_, label, _), (r,) in res.items():
            cond = f"{kind}, {label}, beyond the grid ({cam.name})"
            if "error" in r:
                _row(rows, "A", cond, "lift", f"fails: {r['error']}", ok=False)
                continue
            view = r.get("view_deg")
            warned = "" if view is None else (
                f"; view {view:.0f} deg, " + ("warned" if view > WARN_VIEW_DEG else "no warning"))
            _row(rows, "A", cond, f"MPJPE all / rearing frames{warned}",
                 f"{r['model']:.1f} / {r['model_rear']:.1f} mm")


def _labels(args: argparse.Namespace, rows: list[Row], section: str
            ) -> tuple[Path, np.ndarray, list[str], np.ndarray] | None:
    """The 3D labels (``--dannce-csv`` or the shared mouse): path, sample ids, names, xyz;
    None (with a row saying so) when the file is absent."""
    csv = Path(args.dannce_csv) if args.dannce_csv else DANNCE_CSV
    if not csv.is_file():
        _row(rows, section, str(csv), "data", "absent", ok=None)
        return None
    return (csv, *load_dannce(csv))


def _seen(cam: VirtualCamera, xyz: np.ndarray, rng: np.random.Generator
          ) -> tuple[np.ndarray, np.ndarray]:
    """The camera's pixels of the labels with the noise (NaN outside the image or where
    unlabelled), and which points fell outside the image."""
    uv = cam.project(xyz) + rng.normal(0.0, NOISE_PX, xyz.shape[:2] + (2,))
    out = _outside(cam.project(xyz))
    uv[out | ~np.isfinite(xyz).all(-1)] = np.nan
    return uv, out


def _truth(xyz: np.ndarray, names: Sequence[str], uv: np.ndarray,
           eval_names: Sequence[str]) -> Truth:
    idx = [list(names).index(n) for n in eval_names]
    t = xyz[:, idx]
    return Truth(t, np.isfinite(uv[:, idx]).all(-1) & np.isfinite(t).all(-1),
                 xyz[:, list(names).index("Snout"), 2] > REARING_SNOUT_MM, tuple(eval_names),
                 off_floor(xyz, names))


def off_floor(xyz: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """Frames with both hind paws labelled and above :data:`OFF_FLOOR_PAWS_MM` (a climb or
    a jump); all False where the hind paws are not among ``names``."""
    if not all(n in names for n in HIND_PAWS):
        return np.zeros(len(xyz), bool)
    paws = xyz[:, [list(names).index(n) for n in HIND_PAWS], 2]
    return np.all(paws > OFF_FLOOR_PAWS_MM, axis=1)  # NaN (unlabelled) compares False


def _grid_camera(cam: VirtualCamera, toml: Path, folder: Path, uv: np.ndarray,
                 names: Sequence[str], sample_ids: np.ndarray, xyz: np.ndarray,
                 median_h: np.ndarray, results: dict, notes: list[str], *,
                 kinds: Sequence[str] | None = None,
                 modes: Sequence[str | None] | None = None) -> None:
    """Lift one camera's files (each kind and input; ``kinds``/``modes`` default to all)
    and append each lift's errors to ``results[(kind, input, mode)]``."""
    for kind in KINDS if kinds is None else kinds:
        for label, keep in INPUTS:
            kp = list(keep) if keep else list(names)
            idx = [list(names).index(n) for n in kp]
            eval_names = [n for n in TOP6 if n in kp]
            sub = folder / f"{kind.split()[0]}_{len(kp)}"
            path = _dannce_case(sub, kind, uv[:, idx], kp, sample_ids)
            truth = _truth(xyz, names, uv, eval_names)
            eidx = [list(names).index(n) for n in eval_names]
            for mode in MODES if modes is None else modes:
                res: dict[str, Any] = {"camera": cam.name}
                kwargs = _MODE_KWARGS[mode]
                try:
                    p3, meta = _lift(path, sub / f"lifted_{mode or 'default'}",
                                     calibration=toml, depth=False, **kwargs)
                    res.update(grid_errors(p3, truth, cam, median_h[eidx], uv[:, eidx]))
                    res["view_deg"] = (meta.get("extra", {}).get("camera_estimate", {})
                                       .get("view", {}).get("angle_deg"))
                    _note_mapping(meta, notes)
                except Exception as exc:  # noqa: BLE001 - a benchmark reports and goes on
                    res["error"] = _first_line(exc)
                results.setdefault((kind, label, mode), []).append(res)


def _note_mapping(meta: dict[str, Any], notes: list[str], what: str = "A: DANNCE names"
                  ) -> None:
    """Note once how the file's keypoint names mapped (from the lift's meta pickle)."""
    if any(n.startswith(what) for n in notes):
        return
    extra = meta.get("extra", {})
    src = list(extra.get("source_keypoints", []))
    out = list(meta.get("bodyparts", []))
    cat = list(extra.get("catalogue_names", out))
    pairs = [f"{k}->{cat[out.index(k)]}" for k in src if k in out]
    lost = [k for k in src if k not in out]
    notes.append(f"{what} mapped {len(pairs)}/{len(src)}: {', '.join(pairs)}"
                 + (f"; NOT mapped: {', '.join(lost)}" if lost else ""))


def _grid_rows(results: dict[tuple[str, str, str | None], list[dict[str, Any]]],
               rows: list[Row]) -> None:
    """Grid mean and worst camera of each file kind and input (default mode); grid means
    only for the diagnostic modes."""
    for (kind, label, mode), res in results.items():
        cond = f"{kind}, {label}" + ("" if mode is None else f", {_MODE_LABEL[mode]}")
        bad = [r for r in res if "error" in r]
        if bad:
            _row(rows, "A", cond, f"lift ({len(bad)} of {len(res)} cameras)",
                 f"fails: {bad[0]['error']}", ok=False)
        good = [r for r in res if "error" not in r]
        if not good:
            continue
        four = label.startswith("4")
        for key, fig, target in (("model", "MPJPE all frames", 10.0 if four else 8.0),
                                 ("model_rear", "MPJPE rearing frames", None if four else 12.0),
                                 ("ratio", "model / median-height baseline", 0.6)):
            vals = [r[key] if key != "ratio" else r["model"] / r["base"] for r in good]
            unit = "" if key == "ratio" else "mm"
            tgt = "" if target is None else f"<= {target:g}"
            mean, worst = float(np.mean(vals)), float(np.max(vals))
            _row(rows, "A", cond, f"{fig}, grid mean", mean, unit, tgt,
                 None if target is None else mean <= target)
            if mode is None:
                cam = good[int(np.argmax(vals))]["camera"]
                _row(rows, "A", cond, f"{fig}, worst camera ({cam})", worst, unit, tgt,
                     None if target is None else worst <= target)
        if mode is None:
            for key, fig in (("base", "median-height baseline MPJPE all frames, grid mean"),
                             ("base_rear", "median-height baseline MPJPE rearing, grid mean")):
                _row(rows, "A", cond, fig, float(np.mean([r[key] for r in good])), "mm")
            noise = [r["noise"] for r in good]
            cam = good[int(np.argmax(noise))]["camera"]
            _row(rows, "A", cond, "2D noise alone (true heights on the noisy rays), grid "
                 f"mean / worst camera ({cam})",
                 f"{np.mean(noise):.2f} / {np.max(noise):.2f} mm")
            if kind == KINDS[0]:
                _off_floor_rows(good, cond, rows)
                _setup_rows(good, cond, rows)


def _off_floor_rows(good: list[dict[str, Any]], cond: str, rows: list[Row]) -> None:
    """The grid's figures without the frames where the animal is off the floor (both hind
    paws up: a climb or a jump, which a view from above cannot tell from a low rear); no
    targets, a diagnostic of what those frames weigh."""
    if not all("model_on" in r for r in good):
        return
    n_off = int(good[0]["n_off_floor"])
    for key, fig in (("model_on", "MPJPE all frames"), ("model_rear_on", "MPJPE rearing frames"),
                     ("ratio_on", "model / median-height baseline")):
        vals = [r[key] if key != "ratio_on" else r["model_on"] / r["base_on"] for r in good]
        cam = good[int(np.argmax(vals))]["camera"]
        unit = "" if key == "ratio_on" else " mm"
        _row(rows, "A", cond, f"{fig} without the {n_off} off the floor (both hind paws > "
             f"{OFF_FLOOR_PAWS_MM:g} mm: climbing), grid mean / worst camera ({cam}) "
             "(diagnostic)", f"{np.mean(vals):.3g} / {np.max(vals):.3g}{unit}")


def _setup_rows(good: list[dict[str, Any]], cond: str, rows: list[Row]) -> None:
    """Grid means by camera height, focal length and tilt (each over the 9 cameras that
    share it): which set-ups lift worse, no targets."""
    setups = [[float(x) for x in re.fullmatch(r"h(\S+) f(\S+) t(\S+)", r["camera"]).groups()]
              for r in good]  # place_camera's names
    for i, (what, unit) in enumerate((("height", "mm"), ("focal length", "px"),
                                      ("tilt", "deg"))):
        levels = sorted({s[i] for s in setups})
        means = {key: [float(np.mean([r[key] for r, s in zip(good, setups, strict=True)
                                      if s[i] == v])) for v in levels]
                 for key in ("model", "model_rear")}
        _row(rows, "A", cond, f"MPJPE all / rearing frames by camera {what} "
             f"({' / '.join(f'{v:g}' for v in levels)} {unit}), grid means (diagnostic)",
             " / ".join(f"{m:.2f}" for m in means["model"]) + "; "
             + " / ".join(f"{m:.1f}" for m in means["model_rear"]) + " mm")


# =========================================================================== D: from below
def below_camera(cam: VirtualCamera) -> VirtualCamera:
    """``cam``'s mirror image in the floor: under a glass floor, looking up at the mouse."""
    flip, reflect = np.diag([-1.0, 1.0, 1.0]), np.diag([1.0, 1.0, -1.0])
    return VirtualCamera(f"below {cam.name}", cam.K, flip @ cam.R @ reflect, flip @ cam.t,
                         cam.roll_deg)


def section_d(args: argparse.Namespace, tmp: Path, rows: list[Row], notes: list[str]) -> None:
    """Real 3D labels through section A's grid mirrored below the floor."""
    labels = _labels(args, rows, "D")
    if labels is None:
        return
    csv, sample_ids, names, xyz = labels
    median_h = np.nanmedian(xyz[..., 2], axis=0)
    rng = np.random.default_rng(args.seed)
    results: dict[str, list[dict[str, Any]]] = {}
    for h in HEIGHTS_MM:
        for f in FOCALS_PX:
            for tilt in TILTS_DEG:
                cam = below_camera(place_camera(h, f, tilt, xyz))
                uv, _ = _seen(cam, xyz, rng)
                folder = tmp / "D" / cam.name.replace(" ", "_")
                folder.mkdir(parents=True, exist_ok=True)
                toml = write_calibration(cam, folder / "calibration.toml")
                for label, keep in INPUTS:
                    kp = list(keep) if keep else list(names)
                    idx = [list(names).index(n) for n in kp]
                    eval_names = [n for n in TOP6 if n in kp]
                    sub = folder / f"video_{len(kp)}"
                    path = _dannce_case(sub, "video .h5", uv[:, idx], kp, sample_ids)
                    truth = _truth(xyz, names, uv, eval_names)
                    eidx = [list(names).index(n) for n in eval_names]
                    res: dict[str, Any] = {"camera": cam.name}
                    try:
                        p3, _ = _lift(path, sub / "lifted", calibration=toml, depth=False)
                        res.update(grid_errors(p3, truth, cam, median_h[eidx]))
                    except Exception as exc:  # noqa: BLE001 - a benchmark reports and goes on
                        res["error"] = _first_line(exc)
                    results.setdefault(label, []).append(res)
                if (h, f, tilt) == PLAIN_CAMERA:
                    _below_no_camera(folder, cam, uv, names, xyz, rows)
                if (h, f, tilt) in ARENA_CAMERAS[::2]:
                    _below_arena(folder, cam, uv, names, xyz, rows)
    for label, res in results.items():
        cond = f"camera below, calibrated, video .h5, {label}"
        bad = [r for r in res if "error" in r]
        if bad:
            _row(rows, "D", cond, f"lift ({len(bad)} of {len(res)} cameras)",
                 f"fails: {bad[0]['error']}", ok=False)
        good = [r for r in res if "error" not in r]
        for key, fig in (("model", "MPJPE all frames"), ("model_rear", "MPJPE rearing frames"),
                         ("base", "median-height baseline MPJPE all frames"),
                         ("ratio", "model / median-height baseline")):
            vals = [r[key] if key != "ratio" else r["model"] / r["base"] for r in good]
            if not vals:
                continue
            cam = good[int(np.argmax(vals))]["camera"]
            _row(rows, "D", cond, f"{fig}, grid mean / worst camera ({cam})",
                 f"{np.mean(vals):.3g} / {np.max(vals):.3g}" + ("" if key == "ratio" else " mm"))
    notes.append(f"D: 3D labels {csv}, filmed from below through section A's cameras "
                 "mirrored in the floor")


def _below_no_camera(folder: Path, cam: VirtualCamera, uv: np.ndarray, names: Sequence[str],
                     xyz: np.ndarray, rows: list[Row]) -> None:
    """The plain camera below with no camera information: auto view and ``view="above"``."""
    for label, eval_names, truth, path in _plain_files(folder, uv, names, xyz):
        for cond, kwargs in (("default: no camera info (view auto)", {}),
                             ("view='above': no camera info, lifted as seen from above",
                              {"view": "above"})):
            where = f"{cam.name} camera, video .h5, {label}: {cond}"
            lifted = _height_shape_rows(path, cond, kwargs, eval_names, truth.xyz, truth.seen,
                                        where, rows, section="D")
            if lifted is not None:
                _row(rows, "D", where, "view the lift used",
                     str(lifted[1]["extra"].get("view")))


def _below_arena(folder: Path, cam: VirtualCamera, uv: np.ndarray, names: Sequence[str],
                 xyz: np.ndarray, rows: list[Row]) -> None:
    """A camera below with the arena's corners tracked (named by where they fall in its
    image; no noise on them) and ``arena_size_mm`` only: height and shape errors."""
    _, corner_uv = _arena_corners(cam, np.nanmean(xyz[..., :2].reshape(-1, 2), axis=0))
    t = len(uv)
    corners = np.stack([np.broadcast_to(v, (t, 2)) for v in corner_uv.values()], axis=1)
    path = _dannce_case(folder / "arena_22", "video .h5", np.concatenate([uv, corners], 1),
                        list(names) + list(corner_uv), np.arange(t))
    truth = _truth(xyz, names, uv, top_keypoints(names))
    where = (f"{cam.name} camera, {ARENA_MM:g} mm arena's corners tracked, 22 keypoints in: "
             f"arena_size_mm={ARENA_MM:g} only")
    lifted = _height_shape_rows(path, "arena", {"arena_size_mm": ARENA_MM}, truth.names,
                                truth.xyz, truth.seen, where, rows, section="D")
    if lifted is not None:
        _row(rows, "D", where, "camera source", str(lifted[1].get("camera_source")))


def _plain_files(folder: Path, uv: np.ndarray, names: Sequence[str], xyz: np.ndarray
                 ) -> list[tuple[str, list[str], Truth, Path]]:
    """For each input (22 / 4 keypoints): its label, the keypoints scored, the truth and the
    video ``.h5`` written for it."""
    out = []
    for label, keep in INPUTS:
        kp = list(keep) if keep else list(names)
        idx = [list(names).index(n) for n in kp]
        eval_names = [n for n in TOP6 if n in kp]
        path = _dannce_case(folder / f"plain_{len(kp)}", "video .h5", uv[:, idx], kp,
                            np.arange(len(uv)))
        out.append((label, eval_names, _truth(xyz, names, uv, eval_names), path))
    return out


def _print_camera(cam: VirtualCamera, results: dict, n_out: int) -> None:
    parts = []
    for (kind, label, mode), res in results.items():
        r = res[-1]
        tag = f"{kind.split()[0]}/{label.split()[0]}/{mode or 'default'}"
        parts.append(f"{tag}: fails" if "error" in r else
                     f"{tag} {r['model']:.1f}/{r['model_rear']:.1f}/{r['base']:.1f}")
    print(f"camera {cam.name} roll {cam.roll_deg:.0f} ({n_out} points outside): "
          + "; ".join(parts) + "  [model all/rearing/baseline mm]", flush=True)


def _plain_camera(folder: Path, cam: VirtualCamera, uv: np.ndarray, names: Sequence[str],
                  xyz: np.ndarray, rows: list[Row]) -> None:
    """Height and shape errors with calibration, height + focal, and no camera info."""
    h, f, _ = PLAIN_CAMERA
    toml = folder / "calibration.toml"
    scale = h / f  # the floor's mm per pixel of a straight-down camera
    for label, eval_names, truth, path in _plain_files(folder, uv, names, xyz):
        for cond, kwargs in (("calibration (reference)", {"calibration": toml}),
                             (f"camera_height_mm={h:g}, focal_px={f:g}",
                              {"camera_height_mm": h, "focal_px": f}),
                             (f"floor_scale={scale:.4g} mm/px only", {"floor_scale": scale}),
                             ("no camera info", {})):
            where = f"{cam.name} camera, video .h5, {label}: {cond}"
            lifted = _height_shape_rows(path, cond, kwargs, eval_names, truth.xyz,
                                        truth.seen, where, rows)
            if lifted is None:
                continue
            meta = lifted[1]
            est = meta.get("camera_estimate") or {}
            if meta.get("camera_source") not in ("calibration", "height+focal"):
                _row(rows, "A", where, f"camera estimate ({meta.get('camera_source')}) "
                     "height", float(est.get("height_mm", math.nan)), "mm", f"true {h:g}")


#: Labelled-data folders drawn from the 81 frames for the few-images rows (diagnostic).
FEW_IMAGES, FEW_DRAWS = 5, 16


def _few_images(folder: Path, cam: VirtualCamera, uv: np.ndarray, names: Sequence[str],
                sample_ids: np.ndarray, xyz: np.ndarray, rows: list[Row],
                rng: np.random.Generator) -> None:
    """DLC labelled-data folders of :data:`FEW_IMAGES` images lifted with no camera
    information: :data:`FEW_DRAWS` folders of disjoint images, each alone in its project
    (the animal's length over its few images sets the camera), and the same folders as one
    project (the length measured over its folders together). Height and shape errors and
    the estimated camera height, median and worst folder (diagnostic, no targets)."""
    import cv2

    blank = np.zeros((IMAGE_SIZE[1], IMAGE_SIZE[0]), np.uint8)
    draws = min(FEW_DRAWS, len(uv) // FEW_IMAGES)  # a set of few frames: fewer folders
    if draws < 2:
        _row(rows, "A", f"{cam.name} camera, CollectedData, folders of {FEW_IMAGES} images",
             "lift", f"not measured: {len(uv)} frames make fewer than two folders")
        return
    for label, keep in INPUTS:
        kp = list(keep) if keep else list(names)
        idx = [list(names).index(n) for n in kp]
        eval_names = [n for n in TOP6 if n in kp]
        split = np.sort(rng.permutation(len(uv))[:draws * FEW_IMAGES].reshape(
            draws, FEW_IMAGES), axis=1)
        for case, alone in (("each alone in its project", True), ("of one project", False)):
            paths = []
            for d, pick in enumerate(split):  # write every folder before lifting any
                project = folder / f"few_{len(kp)}_{'lone' if alone else 'one'}" / (
                    str(d) if alone else "")
                path = write_collected_data(uv[pick][:, idx], kp, sample_ids[pick],
                                            project / "labeled-data" / f"video{d}")
                for s_id in sample_ids[pick]:  # the images a project keeps beside the labels
                    cv2.imwrite(str(path.parent / f"img{int(s_id):05d}.png"), blank)
                paths.append(path)
            where = (f"{cam.name} camera, CollectedData, {draws} folders of "
                     f"{FEW_IMAGES} images {case}, {label}: no camera info (diagnostic)")
            _few_image_rows(paths, split, names, uv, xyz, eval_names, where, rows)


def _few_image_rows(paths: Sequence[Path], picks: Sequence[np.ndarray], names: Sequence[str],
                    uv: np.ndarray, xyz: np.ndarray, eval_names: Sequence[str], where: str,
                    rows: list[Row]) -> None:
    """Lift each labelled-data folder and add the median / worst folder rows."""
    h = PLAIN_CAMERA[0]
    dz, shape, heights = [], [], []
    for path, pick in zip(paths, picks, strict=True):
        truth = _truth(xyz[pick], names, uv[pick], eval_names)
        try:
            p3, meta = _lift(path, path.parent.parent.parent / f"out_{path.parent.name}",
                             depth=False)
        except Exception as exc:  # noqa: BLE001 - a benchmark reports and goes on
            _row(rows, "A", where, "lift", f"fails: {_first_line(exc)}", ok=False)
            return
        pred = _predicted(p3, eval_names)
        dz.append(float(np.nanmean(np.abs(pred[..., 2] - truth.xyz[..., 2])[truth.seen])))
        shape.append(float(np.nanmean(_align_heading(
            np.where(truth.seen[..., None], pred, np.nan), truth.xyz))))
        heights.append(float(meta["camera_estimate"]["height_mm"]))
    worst_h = max(heights, key=lambda x: abs(x - h))
    for figure, v, worst in (("height error mean |z_pred - z_true|", dz, max(dz)),
                             ("shape error (MPJPE, mean and heading removed)", shape,
                              max(shape)),
                             (f"camera estimate height (true {h:g} mm)", heights, worst_h)):
        _row(rows, "A", where, f"{figure}, median / worst folder",
             f"{np.median(v):.1f} / {worst:.1f} mm")


def _height_shape_rows(path: Path, cond: str, kwargs: dict[str, Any],
                       eval_names: Sequence[str], true_xyz: np.ndarray, seen: np.ndarray,
                       where: str, rows: list[Row], section: str = "A"
                       ) -> tuple[np.ndarray, dict[str, Any]] | None:
    """Lift ``path`` with ``kwargs`` (no depth) and add its height and shape error rows.

    Returns the predicted ``(T, K, 3)`` of ``eval_names`` and the lift's meta record, or
    ``None`` when the lift failed (a ``fails`` row is added).
    """
    try:
        p3, meta = _lift(path, path.parent / cond.split()[0].split("=")[0], depth=False,
                         **kwargs)
        pred = _predicted(p3, eval_names)
    except Exception as exc:  # noqa: BLE001 - a benchmark reports and goes on
        _row(rows, section, where, "lift", f"fails: {_first_line(exc)}", ok=False)
        return None
    dz = np.abs(pred[..., 2] - true_xyz[..., 2])[seen]
    shape = _align_heading(np.where(seen[..., None], pred, np.nan), true_xyz)
    _row(rows, section, where, "height error mean |z_pred - z_true|", float(np.nanmean(dz)),
         "mm")
    _row(rows, section, where, "shape error (MPJPE, mean and heading removed)",
         float(np.nanmean(shape)), "mm")
    return pred, meta


def _arena_corners(cam: VirtualCamera, centre_xy: np.ndarray
                   ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The virtual arena's corners: ``({tl: world xyz}, {tl: pixels})``, named by where
    they fall in the image."""
    half = ARENA_MM / 2
    world = np.array([[centre_xy[0] + sx * half, centre_xy[1] + sy * half, 0.0]
                      for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))])
    uv = cam.project(world)
    top = set(np.argsort(uv[:, 1])[:2].tolist())
    names = {}
    for i in range(4):
        others = [j for j in range(4) if (j in top) == (i in top) and j != i]
        side = "l" if uv[i, 0] < uv[others[0], 0] else "r"
        names[i] = ("t" if i in top else "b") + side
    return ({names[i]: world[i] for i in range(4)}, {names[i]: uv[i] for i in range(4)})


def _to_arena_frame(xyz: np.ndarray, corners: dict[str, np.ndarray]) -> np.ndarray:
    """World points in the arena frame (origin at the corners' centre, x from ``tl`` to
    ``tr``, y from ``bl`` to ``tl``, z up)."""
    centre = np.mean([corners[k] for k in ("tl", "tr", "bl", "br")], axis=0)
    x = corners["tr"] - corners["tl"]
    x /= np.linalg.norm(x)
    y = np.cross([0.0, 0.0, 1.0], x)
    return (xyz - centre) @ np.stack([x, y, [0.0, 0.0, 1.0]], axis=1)


def _arena_camera(folder: Path, cam: VirtualCamera, tilt: float, uv: np.ndarray,
                  names: Sequence[str], xyz: np.ndarray, rng: np.random.Generator,
                  rows: list[Row]) -> None:
    """Lift with the arena's tracked corners and its size as the only camera information."""
    world, corner_uv = _arena_corners(cam, np.nanmean(xyz[..., :2].reshape(-1, 2), axis=0))
    where = f"{cam.name} camera, {ARENA_MM:g} mm arena's corners tracked, 22 keypoints in"
    if _outside(np.array(list(corner_uv.values()))).any():
        _row(rows, "A", where, "arena corners", "outside the image", ok=None)
        return
    t = len(uv)
    noisy = {k: v + rng.normal(0.0, NOISE_PX, (t, 2)) for k, v in corner_uv.items()}
    all_uv = np.concatenate([uv, np.stack(list(noisy.values()), axis=1)], axis=1)
    path = _dannce_case(folder / "arena_22", "video .h5", all_uv, list(names) + list(noisy),
                        np.arange(t))
    truth = _truth(xyz, names, uv, top_keypoints(names))
    truth_arena = _to_arena_frame(truth.xyz, world)
    for cond, kwargs, true_xyz in (
            ("calibration (reference)", {"calibration": folder / "calibration.toml"},
             truth.xyz),
            (f"arena_size_mm={ARENA_MM:g} only", {"arena_size_mm": ARENA_MM}, truth_arena)):
        label = f"{where}: {cond}"
        lifted = _height_shape_rows(path, cond, kwargs, truth.names, true_xyz, truth.seen,
                                    label, rows)
        if lifted is None:
            continue
        pred, meta = lifted
        src = meta.get("camera_source")
        err = np.linalg.norm(pred - true_xyz, axis=-1)[truth.seen]
        _row(rows, "A", label, f"MPJPE in the output's frame ({meta.get('coordinate_frame')})",
             float(np.nanmean(err)), "mm")
        if src != "calibration":
            est = meta.get("camera_estimate") or {}
            true_height = float(cam.centre[2])
            _row(rows, "A", label, f"camera ({src}) height / tilt",
                 f"{est.get('height_mm', math.nan):.0f} mm / "
                 f"{est.get('tilt_deg', math.nan):.1f} deg",
                 target=f"true {true_height:.0f} / {tilt:g}")


# =========================================================================== B: rears
def section_b(args: argparse.Namespace, tmp: Path, rows: list[Row], notes: list[str]
              ) -> None:
    """Lifted nose height separates real rears from the rest."""
    from sklearn.metrics import roc_auc_score

    import dlc_lifter

    if not (OFT_H5.is_file() and OFT_VOTES.is_file()):
        _row(rows, "B", "oft-rearing", "data", "absent")
        return
    votes = pd.read_csv(OFT_VOTES).set_index("frame")["rear_votes"]
    p2 = dlc_lifter.read_poses(OFT_H5)
    v = votes.reindex(np.asarray(p2.frame_indices)).to_numpy()
    rear, flat = v >= 2, v == 0
    kp = list(p2.keypoints)
    length = np.linalg.norm(p2.coords[:, 0, kp.index("nose")]
                            - p2.coords[:, 0, kp.index("tailbase")], axis=-1)
    ok = (rear | flat) & np.isfinite(length)
    auc2d = float(roc_auc_score(rear[ok], -length[ok]))
    corner_px = _corner_side_px(p2)
    _row(rows, "B", f"2D baseline ({int(rear.sum())} rear, {int(flat.sum())} non-rear "
         "frames)", "ROC AUC of -(2D nose-tailbase length)", auc2d)
    kmap = args.oft_keypoint_map
    map_label = f"keypoint map {Path(kmap).name}" if kmap else "no keypoint map"
    # (label, lift options, whether the per-wall diagnostic rows follow)
    for label, kwargs, walls in (("arena_size_mm=420", {"arena_size_mm": 420.0}, True),
                                 ("no camera info", {}, False),
                                 ("arena_size_mm=420, adapt=True (opt-in)",
                                  {"arena_size_mm": 420.0, "adapt": True}, False)):
        cond = f"{label}, {map_label}, depth=False"
        try:
            p3, meta = _lift(OFT_H5, tmp / "B" / ("_".join(kwargs) or "no_camera"),
                             depth=False, keypoint_map=kmap, **kwargs)
        except Exception as exc:  # noqa: BLE001 - a benchmark reports and goes on
            _row(rows, "B", cond, "lift", f"fails: {_first_line(exc)}", ok=False)
            continue
        _rear_rows(p3, meta, votes, cond, rows, auc2d, corner_px)
        _note_mapping(meta, notes, f"B: oft-rearing names ({map_label})")
        if walls:
            _wall_rows(p2, p3, rear, flat, rows)
    _image_size_rows(tmp, rows, votes, kmap)
    _sparse_rows(tmp, rows, votes, kmap)
    _no_corner_rows(dlc_lifter.read_poses(OFT_H5), votes, tmp / "B" / "no_corners", rows, "B",
                    "oft-rearing")


#: Section B's keypoint sets for the walls' diagnostic (with the arena's corners): all the
#: file's, the DLC openfield four, and with the body centre many labs add.
OFT_SPARSE = (("every keypoint", None),
              ("nose, ears, tail base", ("nose", "earl", "earr", "tailbase")),
              ("nose, ears, body centre, tail base",
               ("nose", "earl", "earr", "bodycentre", "tailbase")))
OFT_CORNERS = ("tl", "tr", "bl", "br")


def _sparse_rows(tmp: Path, rows: list[Row], votes: pd.Series, kmap: str | None) -> None:
    """The open field with the arena's walls bounding the heights (the default) and without
    (``walls=False``), with every keypoint and with fewer (the file's own columns, the rest
    left out; the arena's corners kept), ``arena_size_mm=420``: diagnostics, no targets."""
    import dlc_lifter

    p2 = dlc_lifter.read_poses(OFT_H5)
    for label, keep in OFT_SPARSE:
        folder = tmp / "B" / "sparse" / ("_".join(keep) if keep else "all")
        folder.mkdir(parents=True, exist_ok=True)
        src = (OFT_H5 if keep is None
               else _write_dlc_2d(p2, (*keep, *OFT_CORNERS), folder / OFT_H5.name))
        for walls in (True, False):
            cond = (f"{label}" + (" only (+ the arena's corners)" if keep else "")
                    + ", arena_size_mm=420"
                    + ("" if walls else ", walls=False") + " (diagnostic)")
            try:
                p3, _ = _lift(src, folder / f"walls_{walls}", depth=False, arena_size_mm=420.0,
                              keypoint_map=kmap, walls=walls)
            except Exception as exc:  # noqa: BLE001 - a benchmark reports and goes on
                _row(rows, "B", cond, "lift", f"fails: {_first_line(exc)}", ok=False)
                continue
            auc, zr, zf = _nose_by_votes(p3, votes)
            _row(rows, "B", cond, "ROC AUC of lifted nose height; median nose in rears / "
                 "otherwise", f"{auc:.3f}; {zr:.1f} / {zf:.1f} mm")


#: Keypoints a file without the arena's landmarks lacks.
OFT_ARENA = (*OFT_CORNERS, "centre")


def _no_corner_rows(p2: Any, votes: pd.Series, folder: Path, rows: list[Row], section: str,
                    name: str) -> None:
    """The open field as most files track it, without the arena's corners (and centre), with
    every keypoint and with four, ``arena_size_mm=420``: the walls come from the tail base's
    track (:func:`dlc_lifter.lift.walls.walls_from_track`) or are off; and with the floor's
    scale alone (``floor_scale``, as a lab's pixel-to-length calibration gives it: here the
    arena's width over its tracked corners' width): diagnostics."""
    scale = OFT_SIDE_MM / _corner_width_px(p2)
    for label, keep in (("every keypoint", None), ("nose, ears, tail base", OFT_SPARSE[1][1])):
        sub = folder / ("all" if keep is None else "four")
        sub.mkdir(parents=True, exist_ok=True)
        names = [k for k in p2.keypoints if k not in OFT_ARENA] if keep is None else keep
        src = _write_dlc_2d(p2, names, sub / f"no_corners{VIDEO_SCORER}.h5")
        for walls, camera in ((True, "arena"), (False, "arena"), (True, "scale")):
            given: dict[str, Any] = ({"arena_size_mm": OFT_SIDE_MM} if camera == "arena"
                                     else {"floor_scale": scale})
            cond = (f"{name}, {label}, the arena's corners and centre left out, "
                    + (f"arena_size_mm={OFT_SIDE_MM:g}" if camera == "arena"
                       else f"floor_scale={scale:.4g} mm/px only")
                    + ("" if walls else ", walls=False") + " (diagnostic)")
            try:
                p3, meta = _lift(src, sub / f"walls_{walls}_{camera}", depth=False,
                                 walls=walls, **given)
            except Exception as exc:  # noqa: BLE001 - a benchmark reports and goes on
                _row(rows, section, cond, "lift", f"fails: {_first_line(exc)}", ok=False)
                continue
            auc, zr, zf = _nose_by_votes(p3, votes)
            used = (meta.get("walls") or {}).get("outline", "none")
            _row(rows, section, cond, f"ROC AUC of lifted nose height; median nose in rears / "
                 f"otherwise (walls: {used})", f"{auc:.3f}; {zr:.1f} / {zf:.1f} mm")


#: Frame sizes the oft-rearing file may have come from (it ships no video and no metadata, so
#: the lift assumes the smallest image holding its keypoints, 918 x 558): 16:9 frames of a
#: 25 fps (PAL) recording. A sensitivity check of the unknown principal point, not a target.
OFT_IMAGE_SIZES = ((960, 576), (1024, 576))


def _image_size_rows(tmp: Path, rows: list[Row], votes: pd.Series, kmap: str | None) -> None:
    """The same lift (``arena_size_mm=420``) with the frames' size given (``image_size``)."""
    for size in OFT_IMAGE_SIZES:
        cond = (f"arena_size_mm=420, image_size={size[0]}x{size[1]} (diagnostic: the set has "
                "no video, its frame size is unknown)")
        try:
            p3, _ = _lift(OFT_H5, tmp / "B" / f"size_{size[0]}x{size[1]}", depth=False,
                          keypoint_map=kmap, arena_size_mm=420.0, image_size=size)
        except Exception as exc:  # noqa: BLE001 - a benchmark reports and goes on
            _row(rows, "B", cond, "lift", f"fails: {_first_line(exc)}", ok=False)
            continue
        auc, zr, zf = _nose_by_votes(p3, votes)
        _row(rows, "B", cond, "ROC AUC of lifted nose height", auc)
        _row(rows, "B", cond, "median nose height, rears / non-rears", f"{zr:.1f} / {zf:.1f}",
             "mm")


#: A body centre this close to a side of the tracked arena (px) counts as at that wall.
OFT_WALL_PX = 60.0


def _wall_rows(p2: Any, p3: Any, rear: np.ndarray, flat: np.ndarray, rows: list[Row]) -> None:
    """Rears by the wall they are at: 2D hip-to-nose length against flat frames at the same
    wall (a straight-down camera shortens it in rears at every wall; a tilted one does so
    unevenly), and the lifted rear nose (the camera question of docs/results.md)."""
    kp = list(p2.keypoints)
    need = ("tl", "tr", "br", "bl", "nose", "hipl", "hipr", "bodycentre")
    if not all(n in kp for n in need) or list(p3.frame_indices) != list(p2.frame_indices):
        return
    xy = {n: p2.coords[:, 0, kp.index(n)] for n in need}
    c = {n: np.nanmedian(xy[n], axis=0) for n in ("tl", "tr", "br", "bl")}
    centre = xy["bodycentre"]
    dist = np.stack([centre[:, 1] - (c["tl"][1] + c["tr"][1]) / 2,
                     (c["bl"][1] + c["br"][1]) / 2 - centre[:, 1],
                     centre[:, 0] - (c["tl"][0] + c["bl"][0]) / 2,
                     (c["tr"][0] + c["br"][0]) / 2 - centre[:, 0]], axis=1)
    with np.errstate(invalid="ignore"):
        at = np.where(np.nanmin(dist, axis=1) < OFT_WALL_PX,
                      np.argmin(np.nan_to_num(dist, nan=np.inf), axis=1), -1)
    length = np.linalg.norm(xy["nose"] - (xy["hipl"] + xy["hipr"]) / 2, axis=-1)
    z = p3.coords[:, 0, list(p3.keypoints).index("nose"), 2]
    for i, wall in enumerate(("top", "bottom", "left", "right")):
        r, f = (at == i) & rear, (at == i) & flat
        if r.sum() < 5 or f.sum() < 5:
            continue
        ratio = float(np.nanmedian(length[r]) / np.nanmedian(length[f]))
        _row(rows, "B", f"rears at the {wall} wall ({int(r.sum())} rear, {int(f.sum())} flat "
             "frames; arena_size_mm=420)", "2D hip-nose length, rears / flat (diagnostic)",
             ratio)
        _row(rows, "B", f"rears at the {wall} wall ({int(r.sum())} rear, {int(f.sum())} flat "
             "frames; arena_size_mm=420)", "median lifted nose height in rears (diagnostic)",
             float(np.nanmedian(z[r])), "mm")


#: The open fields' side (mm): DLCAnalyzer's 42 x 42 cm arena.
OFT_SIDE_MM = 420.0


def _corner_width_px(p2: Any) -> float:
    """The arena's width in the image: the mean of its tracked top and bottom sides (px)."""
    kp = list(p2.keypoints)
    c = {n: np.nanmedian(p2.coords[:, 0, kp.index(n)], axis=0) for n in ("tl", "tr", "br", "bl")}
    return float((np.linalg.norm(c["tr"] - c["tl"]) + np.linalg.norm(c["br"] - c["bl"])) / 2)


def _corner_side_px(p2: Any) -> str:
    """Shortest and longest side of the arena from the tracked corners tl, tr, br, bl."""
    kp = list(p2.keypoints)
    if not all(c in kp for c in ("tl", "tr", "br", "bl")):
        return "no corners"
    c = [np.nanmedian(p2.coords[:, 0, kp.index(n)], axis=0) for n in ("tl", "tr", "br", "bl")]
    sides = [float(np.linalg.norm(c[i] - c[(i + 1) % 4])) for i in range(4)]
    return f"corners: sides {min(sides):.0f}-{max(sides):.0f} px"


def _nose_by_votes(p3: Any, votes: pd.Series) -> tuple[float, float, float]:
    """ROC AUC of the lifted nose height, rears (2-3 votes) against none, and its median
    in rears and in the rest (mm)."""
    from sklearn.metrics import roc_auc_score

    v = votes.reindex(np.asarray(p3.frame_indices)).to_numpy()
    rear, flat = v >= 2, v == 0
    z = p3.coords[:, 0, list(p3.keypoints).index("nose"), 2]
    ok = (rear | flat) & np.isfinite(z)
    return (float(roc_auc_score(rear[ok], z[ok])), float(np.median(z[ok & rear])),
            float(np.median(z[ok & flat])))


def _rear_rows(p3: Any, meta: dict[str, Any], votes: pd.Series, cond: str, rows: list[Row],
               auc2d: float, corner_px: str) -> None:
    est = meta.get("camera_estimate") or {}
    cond = (f"{cond} (camera: {meta.get('camera_source')}, "
            f"{est.get('height_mm', math.nan):.0f} mm)")
    auc, zr, zf = _nose_by_votes(p3, votes)
    _row(rows, "B", cond, f"ROC AUC of lifted nose height (2D baseline {auc2d:.3f})", auc, "",
         ">= 0.92", auc >= 0.92)
    _row(rows, "B", cond, "median nose height, rears (>= 2 votes)", zr, "mm", ">= 50", zr >= 50)
    _row(rows, "B", cond, "median nose height, non-rears (0 votes)", zf, "mm", "<= 20", zf <= 20)
    if meta.get("camera_source") == "arena-size":
        _row(rows, "B", cond, "arena span the lift measured (420 mm side)",
             float(est.get("arena_span_px", math.nan)), "px", corner_px)


# =========================================================================== C: video
def section_c(args: argparse.Namespace, tmp: Path, rows: list[Row]) -> None:
    """Frames labelled flat: is the lifted snout low? On the openfield video, then on each
    ``--video-set`` folder."""
    _openfield_rows(tmp, rows)
    for i, folder in enumerate(getattr(args, "video_set", None) or []):
        _video_set_rows(Path(folder), tmp / "C" / f"set{i}", rows)


def _openfield_rows(tmp: Path, rows: list[Row]) -> None:
    """Section C on ``dlc-openfield``: each lift's flat rows, then the depth network's own."""
    if not (OF_H5.is_file() and OF_VIDEO.is_file() and OF_POSTURE.is_file()):
        _row(rows, "C", "dlc-openfield", "data", "absent")
        return
    labels = pd.read_csv(OF_POSTURE)
    flat_frames = labels.loc[labels["label"] == "flat", "frame"].to_numpy()
    for cond, kwargs in (("video, default options (depth on)", {}),
                         ("video, depth=False", {"depth": False}),
                         ("video, adapt=True (opt-in; depth on)", {"adapt": True}),
                         (f"video, arena_size_mm={OF_ARENA_MM:g} (no corners tracked; the set "
                          "does not record its arena's size; diagnostic)",
                          {"arena_size_mm": OF_ARENA_MM})):
        try:
            p3, meta = _lift(OF_H5, tmp / "C" / ("_".join(kwargs) or "default"),
                             video=OF_VIDEO, **kwargs)
        except Exception as exc:  # noqa: BLE001 - a benchmark reports and goes on
            _row(rows, "C", cond, "lift", f"fails: {_first_line(exc)}", ok=False)
            continue
        used = _depth_used(meta)
        if "arena_size_mm" in kwargs:
            walls = meta.get("walls") or {}
            used += "; walls: " + (walls.get("outline", "") if walls.get("used")
                                   else f"none ({walls.get('reason', 'not asked')})")
        _flat_row(rows, f"{cond} ({used})", _snout_heights(p3, meta, flat_frames), "frames")
    _depth_reading(flat_frames, rows)


def _depth_used(meta: dict[str, Any]) -> str:
    """Whether the lift (its meta pickle's record) used the video's depth, or why not."""
    return "depth used" if meta.get("depth_used") else f"no depth: {meta.get('depth_reason')}"


def _snout_heights(p3: Any, meta: dict[str, Any], frames: np.ndarray,
                   animals: Sequence[str] | None = None) -> np.ndarray:
    """The lifted snout's height (mm) at ``frames`` (pose frame numbers) of ``animals``
    (the lift's individuals' names, one per frame; None: the first individual). The snout
    is the keypoint the lift mapped to the catalogue's ``nose``; NaN where the lift has no
    such frame or animal."""
    names = list((meta.get("extra") or {}).get("catalogue_names") or [])
    k = names.index("nose") if "nose" in names else list(p3.keypoints).index("snout")
    rows_of = pd.Series(np.arange(p3.n_frames), index=np.asarray(p3.frame_indices))
    at = rows_of.reindex(np.asarray(frames)).to_numpy(dtype=float)
    ind = (np.zeros(len(at)) if animals is None else pd.Series(
        np.arange(len(p3.individuals)), index=list(p3.individuals)).reindex(
            list(animals)).to_numpy(dtype=float))
    ok = np.isfinite(at) & np.isfinite(ind)
    z = np.full(len(at), np.nan)
    z[ok] = p3.coords[at[ok].astype(int), ind[ok].astype(int), k, 2]
    return z


def _flat_row(rows: list[Row], cond: str, z: np.ndarray, what: str) -> None:
    """The share of flat ``what`` (frames, animal-frames) whose lifted snout ``z`` is below
    :data:`FLAT_MM` (a missing snout counts as not below), against 95 %."""
    frac = float(np.mean(z < FLAT_MM))
    missing = int(np.sum(~np.isfinite(z)))
    _row(rows, "C", cond,
         f"flat {what} with snout < 30 mm ({len(z)} {what}"
         + (f", {missing} without a lifted snout" if missing else "")
         + f"; median {np.nanmedian(z) if missing < len(z) else math.nan:.1f} mm)",
         100 * frac, "%", ">= 95", frac >= 0.95)


def _video_set_rows(folder: Path, dest: Path, rows: list[Row]) -> None:
    """Section C on a video set folder (``--video-set``): its pose file and video lifted
    with the set's ``lift`` fields, with default options and with ``depth=False``."""
    try:
        spec = json.loads((folder / "set.json").read_text())
        poses, video = folder / spec["poses"], folder / spec["video"]
        lift = dict(spec.get("lift") or {})
        labels = pd.read_csv(folder / "posture_labels.csv")
        for path in (poses, video):
            if not path.is_file():
                raise FileNotFoundError(f"{path} is absent")
    except Exception as exc:  # noqa: BLE001 - a benchmark reports and goes on
        _row(rows, "C", f"video set {folder}", "data", f"fails: {_first_line(exc)}", ok=False)
        return
    labels["animal"] = labels["animal"].astype(str)
    fields = ", ".join(f"{k}={v}" for k, v in lift.items()) or "no camera information"
    for cond, kwargs in (("default options (depth on)", {}), ("depth=False", {"depth": False})):
        cond = f"video set {folder.name} ({fields}), {cond}"
        try:
            p3, meta = _lift(poses, dest / ("_".join(kwargs) or "default"), video=video,
                             **lift, **kwargs)
            missing = sorted(set(labels["animal"]) - {str(i) for i in p3.individuals})
            if missing:
                raise ValueError(f"the labels name animals the lift does not have: {missing} "
                                 f"(it has {list(p3.individuals)})")
        except Exception as exc:  # noqa: BLE001 - a benchmark reports and goes on
            _row(rows, "C", cond, "lift", f"fails: {_first_line(exc)}", ok=False)
            continue
        cond += f" ({_depth_used(meta)})"
        reading = ((meta.get("extra") or {}).get("depth") or {}).get("snout_reading")
        _row(rows, "C", cond, "depth network's snout readings (meta): count; median; "
             "share >= 30 mm", "not read" if not reading else
             f"{reading['readings']}; {reading.get('median_mm', math.nan):.1f} mm; "
             f"{100 * reading.get('raised_share', math.nan):.0f} %")
        by = {lab: labels[labels["label"] == lab] for lab in ("flat", "rear")}
        z = {lab: _snout_heights(p3, meta, d["frame"].to_numpy(), d["animal"].tolist())
             for lab, d in by.items()}
        _flat_row(rows, cond, z["flat"], "animal-frames")
        rear = z["rear"][np.isfinite(z["rear"])]
        _row(rows, "C", cond, f"rear animal-frames: median lifted snout ({len(z['rear'])} "
             f"labelled; above {REAR_MM:.0f} mm)",
             f"{np.median(rear):.1f} mm; {int(np.sum(rear > REAR_MM))} of {len(z['rear'])}"
             if rear.size else "none labelled" if not len(z["rear"]) else "no lifted snout")


def _depth_reading(flat_frames: np.ndarray, rows: list[Row]) -> None:
    """The depth network's landmark height at the snout (not exposed by ``lift_file``; read
    as the lift reads it, :func:`~dlc_lifter.lift.depth_path.snout_readings`)."""
    cond = "depth network's landmark cue at the snout (video_depth_cues)"
    try:
        import dlc_lifter
        from dlc_lifter.io.video import video_info
        from dlc_lifter.lift import Lifter, catalogue_arrays
        from dlc_lifter.lift.depth_path import (
            load_depth_models,
            snout_readings,
            video_depth_cues,
        )
        from dlc_lifter.mouse.catalogue import CATALOGUE

        poses = dlc_lifter.read_poses(OF_H5)
        lifter = Lifter.load()
        depth_model, _ = load_depth_models(MODEL["depth"])
        uv, conf, _ = catalogue_arrays(poses)
        vd = video_depth_cues(OF_VIDEO, uv, conf, poses.frame_indices, depth_model=depth_model,
                              pair_length_mm=lifter.model.pair_length_mm,
                              pcutoff=lifter.pcutoff)
        rows_of = pd.Series(np.arange(poses.n_frames), index=np.asarray(poses.frame_indices))
        at = rows_of.reindex(flat_frames).to_numpy()
        h, (read, _) = snout_readings(vd.cues[at, :1], where=True)  # the first animal's
        snout = uv[at, 0, CATALOGUE.index("nose")][read]
        width, height = video_info(OF_VIDEO)["size"]
        border = np.minimum.reduce([snout[:, 0], width - snout[:, 0], snout[:, 1],
                                    height - snout[:, 1]])
    except Exception as exc:  # noqa: BLE001 - a benchmark reports and goes on
        _row(rows, "C", cond, "depth reading", f"fails: {_first_line(exc)}", ok=False)
        return
    frac = float(np.mean(h < FLAT_MM)) if h.size else math.nan
    _row(rows, "C", cond, f"flat frames with snout reading < 30 mm ({h.size} of "
         f"{len(flat_frames)} read; median {np.median(h) if h.size else math.nan:.1f} mm)",
         100 * frac, "%", ">= 95", frac >= 0.95)
    for where, sel in ((f"at the walls (snout within {WALL_PX:.0f} px of the border)",
                        border < WALL_PX), ("in the open", border >= WALL_PX)):
        _row(rows, "C", cond, f"  flat frames {where}: snout reading >= 30 mm",
             f"{int(np.sum(h[sel] >= FLAT_MM))} of {int(sel.sum())}", "")


# =========================================================================== main
# =========================================================================== E: SUBTLE
def load_subtle(folder: Path) -> list[tuple[str, np.ndarray, np.ndarray | None]]:
    """SUBTLE's recordings under ``folder`` (its ``dataset``): ``(name, (T, 9, 3) mm with the
    floor at z = 0, per-frame labels or None)`` each, sorted by name.

    The CSVs hold 27 columns per frame (``x, y, z`` of :data:`SUBTLE_NAMES`, cm, no header);
    the labels ``annots/<name>.csv`` a time and a label per frame.
    """
    out = []
    for csv in sorted(Path(folder).glob("*/coords/*.csv")):
        xyz = pd.read_csv(csv, header=None).to_numpy(float) * 10.0
        if xyz.ndim != 2 or xyz.shape[1] != 3 * len(SUBTLE_NAMES):
            raise ValueError(f"{csv}: expected {3 * len(SUBTLE_NAMES)} columns "
                             f"(x, y, z of {', '.join(SUBTLE_NAMES)}); got {xyz.shape}")
        xyz = xyz.reshape(len(xyz), len(SUBTLE_NAMES), 3)
        feet = [SUBTLE_NAMES.index(n) for n in SUBTLE_FEET]
        xyz[..., 2] -= np.nanmedian(xyz[:, feet, 2])
        ann = csv.parent.parent / "annots" / csv.name
        labels = pd.read_csv(ann).iloc[:, 1].astype(str).to_numpy() if ann.is_file() else None
        if labels is not None and len(labels) != len(xyz):
            labels = None  # a label file of another length labels other frames
        out.append((f"{csv.parent.parent.name}/{csv.stem}", xyz, labels))
    return out


def section_e(args: argparse.Namespace, tmp: Path, rows: list[Row], notes: list[str]) -> None:
    """Another lab's 3D mice (SUBTLE / AVATAR) lifted from their own keypoint names."""
    folder = Path(args.subtle_dir) if args.subtle_dir else None
    recordings = load_subtle(folder) if folder is not None and folder.is_dir() else []
    if not recordings:
        _row(rows, "E", "SUBTLE (AVATAR 3D)", "data", "absent: pass --subtle-dir (the dataset "
             "folder of github.com/jeakwon/subtle)")
        return
    notes.append(f"E: {len(recordings)} SUBTLE recordings from {folder}, "
                 f"{sum(len(x) for _, x, _ in recordings)} frames")
    for h, f, tilt in SUBTLE_CAMERAS:
        cam = _aimed(h, f, tilt, 0.0, np.zeros(2), f"h{h:.0f} f{f:.0f} t{tilt:.0f}")
        folder_cam = tmp / "E" / cam.name.replace(" ", "_")
        folder_cam.mkdir(parents=True, exist_ok=True)
        toml = write_calibration(cam, folder_cam / "calibration.toml")
        res = []
        for i, (name, xyz, labels) in enumerate(recordings):
            uv, _ = _seen(cam, xyz, np.random.default_rng([args.seed, 200, i]))
            sub = folder_cam / name.replace("/", "_")
            sub.mkdir(parents=True, exist_ok=True)
            path = write_video_h5(uv, SUBTLE_NAMES, sub / f"{name.split('/')[-1]}"
                                  f"{VIDEO_SCORER}.h5", fps=SUBTLE_FPS)
            try:
                p3, meta = _lift(path, sub / "lifted", calibration=toml, depth=False)
            except Exception as exc:  # noqa: BLE001 - a benchmark reports and goes on
                _row(rows, "E", f"{name}, {cam.name}", "lift", f"fails: {_first_line(exc)}",
                     ok=False)
                continue
            _note_mapping(meta, notes, "E: SUBTLE names")
            res.append(_subtle_errors(p3, xyz, uv, labels, cam))
            size = meta.get("extra", {}).get("camera_estimate", {}).get("animal_size") or {}
            if size:  # the lift's own check of the animal's size (lift.body_size)
                res[-1]["size_share"] = float(np.mean([v["share"] for v in size.values()]))
                res[-1]["size_warned"] = float(not all(v["in_range"] for v in size.values()))
        if res:
            _subtle_rows(res, cam.name, rows)


def _subtle_errors(p3: Any, xyz: np.ndarray, uv: np.ndarray, labels: np.ndarray | None,
                   cam: VirtualCamera) -> dict[str, float]:
    """One recording's errors (mm) and, with labels, its rear detection."""
    from sklearn.metrics import roc_auc_score

    lifted = [n for n in SUBTLE_NAMES if n in p3.keypoints]
    idx = {n: SUBTLE_NAMES.index(n) for n in lifted}
    rear = labels == "rearing" if labels is not None else np.zeros(len(xyz), bool)
    out: dict[str, float] = {}
    for key, names in (("top", SUBTLE_TOP), ("all", lifted)):
        cols = [idx[n] for n in names]
        truth = Truth(xyz[:, cols], np.isfinite(uv[:, cols]).all(-1), rear, tuple(names))
        median_h = np.nanmedian(xyz[:, cols, 2], axis=0)
        err = grid_errors(p3, truth, cam, median_h)
        out |= {f"{key}_{k}": v for k, v in err.items()}
    nose_true = xyz[:, idx["nose"], 2]
    nose = p3.coords[:, 0, list(p3.keypoints).index("nose"), 2]
    out["nose_bias"] = float(np.nanmedian(nose - nose_true))
    if labels is not None and rear.any():
        walk = labels == "walking"
        ok = (rear | walk) & np.isfinite(nose)
        length = np.linalg.norm(uv[:, idx["nose"]] - uv[:, idx["anus"]], axis=-1)
        ok2 = ok & np.isfinite(length)
        out |= {"auc": float(roc_auc_score(rear[ok], nose[ok])),
                "auc_2d": float(roc_auc_score(rear[ok2], -length[ok2])),
                "auc_truth": float(roc_auc_score(rear[ok], nose_true[ok])),
                "rear_nose": float(np.median(nose[ok & rear])),
                "rear_nose_truth": float(np.median(nose_true[ok & rear])),
                "walk_nose": float(np.median(nose[ok & walk])),
                "walk_nose_truth": float(np.median(nose_true[ok & walk]))}
    return out


def _subtle_rows(res: list[dict[str, float]], cam_name: str, rows: list[Row]) -> None:
    """Means over the recordings (each recording weighs the same)."""
    def mean(key: str) -> float:
        vals = [r[key] for r in res if key in r and np.isfinite(r[key])]
        return float(np.mean(vals)) if vals else math.nan

    cond = f"{cam_name}, {len(res)} recordings, SUBTLE's names, no keypoint map"
    top = "/".join(SUBTLE_TOP)
    for key, label in (("top", top), ("all", "all 8 lifted keypoints")):
        _row(rows, "E", cond, f"MPJPE {label}, all frames (median-height baseline "
             f"{mean(f'{key}_base'):.1f} mm)", mean(f"{key}_model"), "mm")
    _row(rows, "E", cond, f"MPJPE {top} / median-height baseline",
         float(np.mean([r["top_model"] / r["top_base"] for r in res])))
    _row(rows, "E", cond, "lifted nose height minus true, median", mean("nose_bias"), "mm")
    shares = [r["size_share"] for r in res if "size_share" in r]
    if shares:
        from dlc_lifter.lift.body_size import TRAINED_LENGTH_SHARE

        lo, hi = TRAINED_LENGTH_SHARE
        warned = int(sum(r.get("size_warned", 0.0) for r in res))
        _row(rows, "E", cond, "the animal's length seen from above / the synthetic mice's "
             f"(the lift warns outside {lo:.2f}-{hi:.2f}): min-max; recordings warned",
             f"{min(shares):.2f}-{max(shares):.2f}; {warned} of {len(shares)}")
    labelled = [r for r in res if "auc" in r]
    if not labelled:
        return
    cond = f"{cam_name}, the {len(labelled)} labelled recordings (rearing vs walking frames)"
    _row(rows, "E", cond, f"MPJPE {top}, rearing frames (baseline "
         f"{mean('top_base_rear'):.1f} mm)", mean("top_model_rear"), "mm")
    _row(rows, "E", cond, f"ROC AUC of lifted nose height (2D baseline {mean('auc_2d'):.3f}; "
         f"true nose height {mean('auc_truth'):.3f})", mean("auc"))
    _row(rows, "E", cond, "median nose height rearing / walking, lifted (true)",
         f"{mean('rear_nose'):.1f} / {mean('walk_nose'):.1f} mm ({mean('rear_nose_truth'):.1f}"
         f" / {mean('walk_nose_truth'):.1f})")


# =========================================================================== F: more rears
DLCANALYZER_LABELS = "AllLabDataOFT_final.csv"
DLCANALYZER_FPS = 25.0
REAR_TYPES = ("Supported", "Unsupported")


def dlcanalyzer_votes(labels: pd.DataFrame, dlc_file: str, n_frames: int,
                      fps: float = DLCANALYZER_FPS) -> np.ndarray:
    """Per frame, how many of the labellers marked a rear (supported or unsupported) in
    DLCAnalyzer's label table (``from``/``to`` in seconds per ``Experimenter``)."""
    rows = labels[(labels["DLCFile"] == dlc_file) & labels["type"].isin(REAR_TYPES)]
    t = np.arange(n_frames) / fps
    votes = np.zeros(n_frames, int)
    for _, bouts in rows.groupby("Experimenter"):
        marked = np.zeros(n_frames, bool)
        for a, b in zip(bouts["from"], bouts["to"], strict=True):
            marked |= (t >= a) & (t <= b)
        votes += marked
    return votes


def _write_dlc_2d(p2: Any, keep: Sequence[str] | None, path: Path) -> Path:
    """The 2D poses (every keypoint, or ``keep``) as a DLC ``analyze_videos`` .h5."""
    names = [k for k in p2.keypoints if keep is None or k in keep]
    idx = [list(p2.keypoints).index(k) for k in names]
    data = np.concatenate([p2.coords[:, 0, idx], p2.confidence[:, 0, idx, None]], axis=-1)
    cols = pd.MultiIndex.from_product([[p2.meta.scorer or VIDEO_SCORER], names,
                                       ["x", "y", "likelihood"]],
                                      names=["scorer", "bodyparts", "coords"])
    pd.DataFrame(data.reshape(len(data), -1), columns=cols,
                 index=np.asarray(p2.frame_indices)).to_hdf(path, key="df_with_missing",
                                                            format="table", mode="w")
    return path


def section_f(args: argparse.Namespace, tmp: Path, rows: list[Row], notes: list[str]) -> None:
    """Other mice of DLCAnalyzer's open field, their rears voted by three labellers."""
    import dlc_lifter

    folder = Path(args.dlcanalyzer_dir) if args.dlcanalyzer_dir else None
    table = folder / DLCANALYZER_LABELS if folder is not None else None
    if table is None or not table.is_file():
        _row(rows, "F", "DLCAnalyzer open field", "data", "absent: pass --dlcanalyzer-dir (a "
             f"folder with {DLCANALYZER_LABELS} and DLC outputs; see the module docstring)")
        return
    labels = pd.read_csv(table, sep=";")
    files = sorted(f for f in folder.glob("*DeepCut*.csv") if f.name in set(labels["DLCFile"]))
    if not files:
        _row(rows, "F", "DLCAnalyzer open field", "data", f"no DLC output in {folder} that "
             f"{DLCANALYZER_LABELS} labels")
        return
    from sklearn.metrics import roc_auc_score

    for src in files:
        oft_id = str(labels.loc[labels["DLCFile"] == src.name, "ID"].iloc[0])
        p2 = dlc_lifter.read_poses(src)
        votes = pd.Series(dlcanalyzer_votes(labels, src.name, p2.n_frames),
                          index=np.asarray(p2.frame_indices))
        v = votes.to_numpy()
        kp = list(p2.keypoints)
        length = np.linalg.norm(p2.coords[:, 0, kp.index("nose")]
                                - p2.coords[:, 0, kp.index("tailbase")], axis=-1)
        ok = ((v >= 2) | (v == 0)) & np.isfinite(length)
        auc2d = float(roc_auc_score(v[ok] >= 2, -length[ok]))
        notes.append(f"F: {oft_id} = {src.name}, {p2.n_frames} frames, {int((v >= 2).sum())} "
                     f"with 2-3 rear votes, {int((v == 0).sum())} with none")
        sub = tmp / "F" / oft_id
        sub.mkdir(parents=True, exist_ok=True)
        for label, keep in (("every keypoint", None),
                            ("nose, ears, tail base (+ corners)", OFT_SPARSE[1][1])):
            path = _write_dlc_2d(p2, None if keep is None else (*keep, *OFT_CORNERS),
                                 sub / f"{'all' if keep is None else 'four'}"
                                 f"{VIDEO_SCORER}.h5")
            for cam, kwargs in (("arena_size_mm=420", {"arena_size_mm": 420.0}),
                                ("no camera info", {})):
                for walls in (True, False):
                    cond = (f"{oft_id}, {label}, {cam}" + ("" if walls else ", walls=False")
                            + f" (2D baseline AUC {auc2d:.3f})")
                    try:
                        p3, _ = _lift(path, sub / f"{path.stem}_{len(kwargs)}_{walls}",
                                      depth=False, walls=walls, **kwargs)
                    except Exception as exc:  # noqa: BLE001 - a benchmark reports and goes on
                        _row(rows, "F", cond, "lift", f"fails: {_first_line(exc)}", ok=False)
                        continue
                    auc, zr, zf = _nose_by_votes(p3, votes)
                    target = walls and keep is None
                    _row(rows, "F", cond, "ROC AUC of lifted nose height", auc, "",
                         ">= 0.92" if target else "", auc >= 0.92 if target else None)
                    _row(rows, "F", cond, "median nose height, rears / non-rears",
                         f"{zr:.1f} / {zf:.1f}", "mm", ">= 50 / <= 20" if target else "",
                         (zr >= 50 and zf <= 20) if target else None)
        _no_corner_rows(p2, votes, sub / "no_corners", rows, "F", oft_id)


# =========================================================================== G: a maze
#: Height (mm) no mouse keypoint reaches: a mouse rearing free stands about 100 mm tall.
MAZE_MAX_MM = 120.0
#: The maze's span given as the arena's size (DLCAnalyzer's plus maze: two 30 cm arms and
#: the 5 cm centre each way).
MAZE_ARENA_MM = 650.0
#: The names DLCAnalyzer's maze gives its closed arms' ends.
MAZE_CORNERS = ("tl", "tr", "bl", "br")


def section_g(args: argparse.Namespace, tmp: Path, rows: list[Row], notes: list[str]) -> None:
    """A mouse on an elevated plus maze: heights no mouse reaches (no 3D truth)."""
    import dlc_lifter

    path = Path(args.maze_csv) if getattr(args, "maze_csv", None) else None
    if path is None or not path.is_file():
        _row(rows, "G", "elevated plus maze", "data", "absent: pass --maze-csv (DLCAnalyzer's "
             "EPM_15 DLC output; see the module docstring)")
        return
    p2 = dlc_lifter.read_poses(path)
    sub = tmp / "G"
    sub.mkdir(parents=True, exist_ok=True)
    bare = _write_dlc_2d(p2, [k for k in p2.keypoints if k not in MAZE_CORNERS],
                         sub / f"no_corners{VIDEO_SCORER}.h5")
    notes.append(f"G: {path.name}, {p2.n_frames} frames, keypoints {', '.join(p2.keypoints)}")
    arena = {"arena_size_mm": MAZE_ARENA_MM}
    for cond, src, kwargs in (("no camera information", path, {}),
                              (f"arena_size_mm={MAZE_ARENA_MM:.0f}", path, arena),
                              (f"its corner points left out, arena_size_mm={MAZE_ARENA_MM:.0f}",
                               bare, arena)):
        try:
            p3, meta = _lift(src, sub / f"{src.stem}_{len(kwargs)}", depth=False, **kwargs)
        except Exception as exc:  # noqa: BLE001 - a benchmark reports and goes on
            _row(rows, "G", cond, "lift", f"fails: {_first_line(exc)}", ok=False)
            continue
        _maze_rows(p3, meta, cond, rows)


def _maze_rows(p3: Any, meta: dict[str, Any], cond: str, rows: list[Row]) -> None:
    z = np.asarray(p3.coords)[..., 2].reshape(p3.n_frames, -1)
    top = np.nanmax(np.where(np.isfinite(z), z, -np.inf), axis=1)
    _row(rows, "G", cond, f"frames with a lifted point above {MAZE_MAX_MM:.0f} mm; highest "
         "point", f"{int((top > MAZE_MAX_MM).sum())} of {p3.n_frames}; "
         f"{float(np.max(top)):.0f} mm")
    names = [k.lower() for k in p3.keypoints]
    if "nose" in names:
        nose = np.asarray(p3.coords)[..., names.index("nose"), 2].ravel()
        _row(rows, "G", cond, "nose height, 50th / 90th / 99th percentile",
             " / ".join(f"{v:.0f}" for v in np.nanpercentile(nose, [50, 90, 99])) + " mm")
    estimate = meta.get("camera_estimate") or {}
    walls = meta.get("walls") or {}
    corners = ("not the arena's" if estimate.get("arena_corners_ignored")
               else estimate.get("arena_measured_from", "not used"))
    _row(rows, "G", cond, "detections lifted as untracked; the corners; walls",
         f"{sum((meta.get('mistracked') or {}).values())}; {corners}; "
         + ("none" if not walls else walls.get("outline", "not used") if walls.get("used")
            else "not used"))


# =========================================================================== H: set-ups
#: BehaviorDEPOT's demo tracking files (found anywhere under ``--behaviordepot-dir``), what
#: each films, and the floor scale its README gives (``None``: none given).
BEHAVIORDEPOT_FILES = (("demo1_tracking.csv", "fear conditioning", "32 px/cm"),
                       ("demo2_tracking.csv", "miniscope mouse", "23 px/cm"),
                       ("demo4_video.csv", "elevated plus maze", None),
                       ("demo5_tracking.csv", "T maze", None),
                       ("demo6_tracking.csv", "open field", None))


def section_h(args: argparse.Namespace, tmp: Path, rows: list[Row], notes: list[str]) -> None:
    """Real files of another lab's set-ups: heights no mouse reaches (no 3D truth)."""
    folder = Path(args.behaviordepot_dir) if getattr(args, "behaviordepot_dir", None) else None
    found = ({f.name: f for f in folder.rglob("*.csv")} if folder is not None
             and folder.is_dir() else {})
    if not any(name in found for name, _, _ in BEHAVIORDEPOT_FILES):
        _row(rows, "H", "BehaviorDEPOT demos", "data", "absent: pass --behaviordepot-dir (the "
             "demo folder of github.com/DeNardoLab/BehaviorDEPOT; see the module docstring)")
        return
    for name, what, scale in BEHAVIORDEPOT_FILES:
        if name not in found:
            _row(rows, "H", f"{name} ({what})", "data", "absent")
            continue
        for cond, kwargs in (("no camera information", {}),
                             *([(f"floor_scale={scale!r}", {"floor_scale": scale})]
                               if scale else [])):
            label = f"{name} ({what}), {cond}"
            try:
                p3, meta = _lift(found[name], tmp / "H" / f"{Path(name).stem}_{len(kwargs)}",
                                 depth=False, **kwargs)
            except Exception as exc:  # noqa: BLE001 - a benchmark reports and goes on
                _row(rows, "H", label, "lift", f"fails: {_first_line(exc)}", ok=False)
                continue
            _setup_h_rows(p3, meta, label, rows)
        notes.append(f"H: {found[name]}")


def _setup_h_rows(p3: Any, meta: dict[str, Any], cond: str, rows: list[Row]) -> None:
    imputed = np.asarray(p3.meta.extra["imputed"])
    z = np.where(imputed, np.nan, np.asarray(p3.coords)[..., 2]).reshape(p3.n_frames, -1)
    top = np.nanmax(np.where(np.isfinite(z), z, -np.inf), axis=1)
    names = [k.lower() for k in p3.keypoints]
    nose = (np.where(imputed[..., names.index("nose")], np.nan,
                     np.asarray(p3.coords)[..., names.index("nose"), 2]).ravel()
            if "nose" in names else np.array([np.nan]))
    size = ((meta.get("camera_estimate") or {}).get("animal_size") or {}).values()
    length = "; ".join(f"{s['length_mm']:.0f} mm ({s['share']:.2f} of the synthetic mice)"
                       for s in size) or "not measured (scale from the animal)"
    _row(rows, "H", cond, f"frames with a tracked point lifted above {MAZE_MAX_MM:.0f} mm; "
         "highest; nose 50th / 99th percentile; detections lifted as untracked; the "
         "animal's length (camera: " + str(meta.get("camera_source")) + ")",
         f"{int((top > MAZE_MAX_MM).sum())} of {p3.n_frames}; {float(np.max(top)):.0f} mm; "
         + " / ".join(f"{v:.0f}" for v in np.nanpercentile(nose, [50, 99]))
         + f" mm; {sum((meta.get('mistracked') or {}).values())}; {length}")


def _print_table(rows: list[Row]) -> None:
    head = ("set", "condition", "figure", "value", "target", "pass")
    # a long cell (an error's first line) overflows instead of widening its column
    widths = [max(len(str(r[i])) for r in [head, *rows] if len(str(r[i])) <= 120 or i != 3)
              for i in range(6)]
    line = "  ".join(f"{{:<{w}}}" if i != 3 else f"{{:>{w}}}" for i, w in enumerate(widths))
    print(line.format(*head))
    print("-" * (sum(widths) + 10))
    for r in rows:
        print(line.format(*r))


def _git_head() -> str:
    """The commit, and whether the package has uncommitted changes (read-only git)."""
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True, timeout=10)
        dirty = subprocess.run(["git", "--no-optional-locks", "-C", str(ROOT), "status",
                                "--porcelain", "--", "dlc_lifter"],
                               capture_output=True, text=True, check=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head.stdout.strip() + (" + uncommitted dlc_lifter changes"
                                  if dirty.stdout.strip() else "")


def _command() -> str:
    exe = sys.executable
    if exe.startswith(os.getcwd() + os.sep):
        exe = os.path.relpath(exe)
    return shlex.join([exe, *sys.argv])


def section_i(args: argparse.Namespace, tmp: Path, rows: list[Row]) -> None:
    """Real files with options the file cannot back: an arena size a resting mouse's spread
    cannot measure, and the same SLEAP session from its two files."""
    if not (SLEAP_SLP.is_file() and SLEAP_ANALYSIS.is_file()):
        _row(rows, "I", "sleap-mouse-session", "data", "absent")
        return
    cond = f"{SLEAP_SLP.name}, arena_size_mm={SLEAP_ARENA_MM:g} (120 frames, a resting mouse)"
    try:
        p3, meta = _lift(SLEAP_SLP, tmp / "I" / "arena", depth=False,
                         arena_size_mm=SLEAP_ARENA_MM)
    except Exception as exc:  # noqa: BLE001 - a benchmark reports and goes on
        _row(rows, "I", cond, "lift", f"fails: {_first_line(exc)}", ok=False)
    else:
        z = np.where(p3.meta.extra["imputed"], np.nan, p3.coords[..., 2])
        nose = z[..., list(p3.keypoints).index("Nose")]
        ignored = (meta.get("camera_estimate") or {}).get("arena_size_ignored")
        used = meta["camera_source"] + (" (the arena's size set aside: the mouse would be "
                                        f"{ignored['animal_length_mm'] / 1000:.1f} m long)"
                                        if ignored else "")
        _row(rows, "I", cond, f"camera: {used}; nose median / highest point",
             f"{np.nanmedian(nose):.1f} / {np.nanmax(z):.0f} mm", "", "<= 120",
             bool(np.nanmax(z) <= MAZE_MAX_MM))
    cond = f"{SLEAP_SLP.name} and {SLEAP_ANALYSIS.name} (the same points), default options"
    try:
        a, _ = _lift(SLEAP_SLP, tmp / "I" / "slp", depth=False)
        b, _ = _lift(SLEAP_ANALYSIS, tmp / "I" / "analysis", depth=False)
    except Exception as exc:  # noqa: BLE001 - a benchmark reports and goes on
        _row(rows, "I", cond, "lift", f"fails: {_first_line(exc)}", ok=False)
        return
    diff = float(np.nanmax(np.abs(a.coords - b.coords))) if a.coords.shape == b.coords.shape \
        else math.inf
    _row(rows, "I", cond, "largest difference between the two lifts", diff, "mm", "<= 0.01",
         diff <= 0.01)


def build_parser() -> argparse.ArgumentParser:
    """The benchmark's options (also :mod:`outside`'s, which runs section A per set)."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="example: python benchmarks/real.py --only A --per-camera")
    parser.add_argument("--only", default="A,B,C,D,E,F,G,H,I",
                        help="comma list of sections A,B,C,D,E,F,G,H,I")
    parser.add_argument("--seed", type=int, default=0, help="2D noise seed (section A)")
    parser.add_argument("--noise-draws", type=int, default=5, metavar="N",
                        help="section A's worst camera also as the mean of N draws of the 2D "
                             "noise (1: the grid's own draw only)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    parser.add_argument("--tmp", default=None,
                        help="work folder (kept); default a temporary folder, removed")
    parser.add_argument("--oft-keypoint-map", default=None, metavar="PATH",
                        help="YAML keypoint map for the oft-rearing file (section B)")
    parser.add_argument("--dannce-csv", default=None, metavar="PATH",
                        help="section A on other 3D labels in the same layout as "
                             "dannce-mouse1/labels3d.csv (e.g. another DANNCE mouse written "
                             "by benchmarks/dannce_labels.py); default the shared mouse")
    parser.add_argument("--subtle-dir", default=None, metavar="PATH",
                        help="section E: the dataset folder of github.com/jeakwon/subtle "
                             "(SUBTLE's AVATAR 3D mice; not bundled, GPL-3.0)")
    parser.add_argument("--dlcanalyzer-dir", default=None, metavar="PATH",
                        help="section F: DLCAnalyzer's AllLabDataOFT_final.csv and DLC outputs "
                             "of its open field (not bundled, GPL-3.0; see the docstring)")
    parser.add_argument("--maze-csv", default=None, metavar="PATH",
                        help="section G: DLCAnalyzer's elevated plus maze DLC output "
                             "(EPM_15; not bundled, GPL-3.0; see the docstring)")
    parser.add_argument("--behaviordepot-dir", default=None, metavar="PATH",
                        help="section H: BehaviorDEPOT's demo folder (real DLC files of five "
                             "set-ups; not bundled, GPL-3.0; see the docstring)")
    parser.add_argument("--video-set", action="append", default=[], metavar="DIR",
                        help="section C also on a folder of another real video (repeatable): "
                             "its pose file, video, posture_labels.csv (flat / rear / unsure "
                             "per frame and animal) and set.json (poses, video, the lift's "
                             "camera / option fields, source), lifted with depth on and with "
                             "depth=False: depth used or why not, the depth network's snout "
                             "readings, flat animal-frames with the snout below 30 mm, rears' "
                             "median snout (see the docstring)")
    parser.add_argument("--per-camera", action="store_true",
                        help="also print each virtual camera's errors (section A)")
    parser.add_argument("--verbose", action="store_true", help="show the package's warnings")
    parser.add_argument("--model", default=None, metavar="PATH",
                        help="keypoints-only lifter weights to measure (default: the shipped "
                             "ones); the depth path keeps the shipped fused lifter")
    parser.add_argument("--depth-weights", default=None, metavar="PATH",
                        help="depth network weights for section C's own-reading rows "
                             "(default: the shipped ones; the lifts keep the shipped ones)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    MODEL["path"] = args.model
    MODEL["depth"] = args.depth_weights
    only = {s.strip().upper() for s in args.only.split(",") if s.strip()}
    if not only <= set("ABCDEFGHI"):
        parser.error(f"--only takes A, B, C, D, E, F, G, H, I; got {args.only}")
    logging.basicConfig(level=logging.WARNING if args.verbose else logging.ERROR,
                        format="%(levelname)s %(name)s: %(message)s")
    import torch

    import dlc_lifter

    torch.set_num_threads(args.threads)
    if not REAL.is_dir():
        if not (args.video_set and "C" in only):
            print(f"real data folder {REAL.resolve()} is absent; nothing to measure")
            return 0
        print(f"real data folder {REAL.resolve()} is absent; section C's video sets only")
        only = {"C"}
    t0 = time.perf_counter()
    rows: list[Row] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="dlc_real_") as auto:
        tmp = Path(args.tmp) if args.tmp else Path(auto)
        tmp.mkdir(parents=True, exist_ok=True)
        for name, run in (("A", lambda: section_a(args, tmp, rows, notes)),
                          ("B", lambda: section_b(args, tmp, rows, notes)),
                          ("C", lambda: section_c(args, tmp, rows)),
                          ("D", lambda: section_d(args, tmp, rows, notes)),
                          ("E", lambda: section_e(args, tmp, rows, notes)),
                          ("F", lambda: section_f(args, tmp, rows, notes)),
                          ("G", lambda: section_g(args, tmp, rows, notes)),
                          ("H", lambda: section_h(args, tmp, rows, notes)),
                          ("I", lambda: section_i(args, tmp, rows))):
            if name in only:
                t1 = time.perf_counter()
                run()
                notes.append(f"section {name}: {time.perf_counter() - t1:.0f} s")
    lifter = dlc_lifter.Lifter.load(MODEL["path"])
    print(f"dlc-lifter real-mouse benchmark: dlc-lifter {dlc_lifter.__version__} "
          f"(git {_git_head()}), model {lifter.name} ({(lifter.sha256 or '')[:12]}), "
          f"torch threads {args.threads}, seed {args.seed}")
    print(companions_note(MODEL["path"]))
    _print_table(rows)
    print()
    for n in notes:
        print(n)
    print(f"total runtime {time.perf_counter() - t0:.0f} s")
    print(f"command: {_command()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
