"""Write DANNCE's 2019 demo mice as the CSV ``benchmarks/real.py`` reads.

Three mice of the public DANNCE repository (github.com/spoonsso/dannce, MIT) that its
2020 demos no longer hold, each written by one command from the demo's own files (read
them from a clone checked out at the commit, or extract them with ``git archive``):

- ``calibrd18_black6_mouse{one,two}_green`` (commit ``f590fa36``, ``demo/``): 100 frames
  each, labelled in 2D by a crowd-labelling service in three calibrated cameras. The
  demo's 3D is not used: the labels (with the config's crop offset added back) are
  triangulated here, linear DLT on the undistorted rays of every camera that has the
  point::

      git --git-dir=dannce.git archive f590fa36 $D/config.yaml $D/calibration $D/labeling \\
          | tar -x        # for D=demo/calibrd18_black6_mouse{one,two}_green
      python benchmarks/dannce_2019.py crowd demo/calibrd18_black6_mouseone_green mouseone.csv
      python benchmarks/dannce_2019.py crowd demo/calibrd18_black6_mousetwo_green mousetwo.csv

- ``mouse_cylinder_finetune`` (commit ``b882e8f3``, ``dannce/demo/``): one mouse in a
  cylinder, 50 hand-labelled frames in five cameras; the demo's own 3D labels
  (``cam*_data_applyDistort.mat``), reprojected through ``mouse_cylinder/cam*_params.mat``
  as a check of the camera model (the demo's 2D is that reprojection, not the labels)::

      git --git-dir=dannce.git archive b882e8f3 \\
          ':(glob)dannce/demo/mouse_cylinder_finetune/cam*_data_applyDistort.mat' \\
          ':(glob)dannce/demo/mouse_cylinder/cam*_params.mat' | tar -x
      python benchmarks/dannce_2019.py label3d dannce/demo/mouse_cylinder_finetune \\
          cylinder.csv --calibration dannce/demo/mouse_cylinder

then ``python benchmarks/real.py --only A --dannce-csv mouseone.csv``. (``git archive`` of a
mirror without the demos' videos names the objects it lacks; the files above are written.)
The cameras are read by :func:`dlc_lifter.io.calibration.load_anipose`, which drops the 2019
calibrations' small skew (it says so; under a pixel).

The rigs' world frames do not lie on the floor: a plane is fitted to the four paws' 3D
points (RANSAC, then least squares on the points within ``--floor-tol-mm`` of it, repeated
until they stay the same: the paws of a rear or a step are off the plane), and the points
are turned by the smallest rotation that makes it ``z = 0`` with the mouse above (so the
rig's heading is kept: ``real.py``'s tilted cameras look along ``y``, and a set turned about
``z`` gives other figures). The 2019 labelling template's names become DANNCE's ``mouse22``
names where they are the same landmark (:data:`TO_MOUSE22`); its limb points are not mouse22
joints and are left out. Each command prints the reprojection error and the floor fit's rms.
Nothing is written over an existing file.
"""

from __future__ import annotations

import argparse
import ast
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import dannce_labels as DL  # benchmarks/dannce_labels.py: MOUSE22 and the CSV writer
import numpy as np

if TYPE_CHECKING:
    from dlc_lifter.camera import Camera

#: The 2019 labelling template's keypoints (``labeling/mouse.template``,
#: ``dannce/config/Labeling/mouse.template``), the order of its label files' columns.
TEMPLATE_2019 = ("EarL", "EarR", "Snout", "SpineF", "SpineM", "Tail(base)", "Tail(mid)",
                 "Tail(end)", "ForepawL", "ForelimbL", "ForepawR", "ForelimbR", "HindpawL",
                 "HindlimbL", "HindpawR", "HindlimbR")
#: The template's names that are a ``mouse22`` landmark, and that landmark. Not mapped:
#: ``ForelimbL/R`` and ``HindlimbL/R``, one point somewhere on each limb, which is none of
#: mouse22's joints (``Wrist``, ``Elbow``, ``Shoulder``; ``Ankle``, ``Knee``).
TO_MOUSE22 = {"EarL": "EarL", "EarR": "EarR", "Snout": "Snout", "SpineF": "SpineF",
              "SpineM": "SpineM", "Tail(base)": "Tail_base", "Tail(mid)": "Tail_mid",
              "Tail(end)": "Tail_end", "ForepawL": "ForepawL", "ForepawR": "ForepawR",
              "HindpawL": "HindpawL", "HindpawR": "HindpawR"}
#: The keypoints the floor is fitted to.
FLOOR_KEYPOINTS = ("ForepawL", "ForepawR", "HindpawL", "HindpawR")
#: DANNCE's pixels are MATLAB's (the first pixel's centre at 1; its own triangulation,
#: ``dannce/labeling/postlabel.py``, hands the crowd's labels to its cameras as such), the
#: package's camera OpenCV's (at 0), as :func:`dlc_lifter.io.calibration.load_anipose` reads them.
MATLAB_PX = 1.0
#: The points within this distance of the floor plane are on it (mm).
FLOOR_TOL_MM = 5.0
#: RANSAC draws of three paw points.
FLOOR_DRAWS = 2000


def read_template(path: Path) -> tuple[str, ...]:
    """The keypoint names of a 2019 labelling template (its ``labels="[...]"``)."""
    found = re.search(r"labels\s*=\s*\"(\[.*?\])\"", path.read_text(), re.S)
    if found is None:
        raise SystemExit(f"{path}: no labels=\"[...]\" (is it DANNCE's labelling template?)")
    return tuple(ast.literal_eval(found.group(1)))


@dataclass(frozen=True)
class CrowdDemo:
    """A 2019 crowd-labelled demo: its cameras and 2D labels.

    ``uv`` is ``(cameras, frames, keypoints, 2)`` px in OpenCV's convention on the full
    frame (the crop offset added), NaN where a camera's labeller placed no point.
    """

    sample_ids: np.ndarray
    names: tuple[str, ...]
    cameras: list[Camera]
    uv: np.ndarray


def read_crowd_demo(folder: Path, worker: int = 0) -> CrowdDemo:
    """The cameras (``config.yaml``: ``CAMNAMES``, ``CALIBDIR``, ``calib_file``) and the
    labels (``labeling/<camera>_manlabels_worker<worker>.mat``) of a 2019 demo folder; the
    config's crop (``CROP_WIDTH``, ``CROP_HEIGHT``) is added back to the labels, which are
    in the cropped images' pixels."""
    import scipy.io
    import yaml

    from dlc_lifter.io.calibration import load_anipose

    config = yaml.safe_load((folder / "config.yaml").read_text())
    calib_dir = folder / str(config.get("CALIBDIR", "calibration"))
    offset = np.array([config["CROP_WIDTH"][0], config["CROP_HEIGHT"][0]], float)
    names = read_template(folder / "labeling" / "mouse.template")
    cameras: list[Camera] = []
    uv, ids = [], None
    for cam, calib in zip(config["CAMNAMES"], config["calib_file"], strict=True):
        cameras.append(load_anipose(calib_dir / calib))
        mat = scipy.io.loadmat(folder / "labeling" / f"{cam}_manlabels_worker{worker}.mat",
                               simplify_cells=True)
        labels = np.asarray(mat["data2d"], float)
        if labels.shape[1:] != (len(names), 2):
            raise SystemExit(f"{cam}: labels of shape {labels.shape}; the template has "
                             f"{len(names)} keypoints")
        cam_ids = np.asarray(mat["sampleID"]).astype(int).ravel()
        if ids is not None and not np.array_equal(ids, cam_ids):
            raise SystemExit(f"{cam}: its sample ids differ from the first camera's")
        ids = cam_ids
        uv.append(labels + offset - MATLAB_PX)
    return CrowdDemo(ids, names, cameras, np.stack(uv))


def triangulate(cameras: list[Camera], uv: np.ndarray) -> np.ndarray:
    """Linear (DLT) triangulation of ``uv`` ``(cameras, ...,  2)`` px: ``(..., 3)`` mm in
    the cameras' world, from the undistorted rays of every camera where the point is
    finite; NaN where fewer than two cameras have it."""
    rays = np.stack([c.normalise(p) for c, p in zip(cameras, uv, strict=True)])
    proj = np.stack([np.hstack([c.R, c.t[:, None]]) for c in cameras])  # (C, 3, 4)
    flat = rays.reshape(len(cameras), -1, 2)
    out = np.full((flat.shape[1], 3), np.nan)
    for i in range(flat.shape[1]):
        seen = np.isfinite(flat[:, i]).all(-1)
        if seen.sum() < 2:
            continue
        xy, p = flat[seen, i], proj[seen]
        rows = np.concatenate([xy[:, :1] * p[:, 2] - p[:, 0], xy[:, 1:] * p[:, 2] - p[:, 1]])
        h = np.linalg.svd(rows)[2][-1]
        out[i] = h[:3] / h[3]
    return out.reshape(uv.shape[1:-1] + (3,))


def reprojection_px(cameras: list[Camera], xyz: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """``(cameras, ...)`` distance (px) of each point's projection from ``uv``."""
    return np.stack([np.linalg.norm(c.project(xyz) - p, axis=-1)
                     for c, p in zip(cameras, uv, strict=True)])


@dataclass(frozen=True)
class Floor:
    """A plane fitted to points on the floor: unit ``normal`` (towards the mouse), a
    ``point`` on it (mm), which fitted points are on it, and their rms distance (mm)."""

    normal: np.ndarray
    point: np.ndarray
    on: np.ndarray
    rms_mm: float


def _plane(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    centre = points.mean(0)
    return np.linalg.svd(points - centre)[2][-1], centre


def fit_floor(points: np.ndarray, above: np.ndarray, tol_mm: float = FLOOR_TOL_MM,
              seed: int = 0) -> Floor:
    """The floor under ``points`` ``(N, 3)`` (paws; some off the floor), robustly.

    RANSAC over planes through three points (the most within ``tol_mm``), then least
    squares on those within ``tol_mm``, repeated until that set stays the same. The
    normal points to the side where most of ``above`` ``(M, 3)`` (the body) lies.
    """
    pts = points[np.isfinite(points).all(-1)]
    if len(pts) < 3:
        raise SystemExit(f"{len(pts)} paw points: too few to fit the floor")
    rng = np.random.default_rng(seed)
    on = np.zeros(len(pts), bool)
    for _ in range(FLOOR_DRAWS):
        a, b, c = pts[rng.choice(len(pts), 3, replace=False)]
        n = np.cross(b - a, c - a)
        if np.linalg.norm(n) < 1e-9:
            continue
        near = np.abs((pts - a) @ (n / np.linalg.norm(n))) < tol_mm
        if near.sum() > on.sum():
            on = near
    for _ in range(100):
        normal, point = _plane(pts[on])
        near = np.abs((pts - point) @ normal) < tol_mm
        if np.array_equal(near, on):
            break
        on = near
    body = above[np.isfinite(above).all(-1)]
    if np.median((body - point) @ normal) < 0:
        normal = -normal
    rms = float(np.sqrt(np.mean(((pts[on] - point) @ normal) ** 2)))
    return Floor(normal, point, on, rms)


def level(xyz: np.ndarray, floor: Floor) -> np.ndarray:
    """``xyz`` ``(..., 3)`` turned by the smallest rotation that takes the floor's normal
    to ``+z`` and moved so that the floor is ``z = 0``."""
    z = np.array([0.0, 0.0, 1.0])
    axis = np.cross(floor.normal, z)
    s, c = np.linalg.norm(axis), float(floor.normal @ z)
    if s < 1e-12:
        rot = np.eye(3)
    else:
        k = axis / s
        kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
        rot = np.eye(3) + s * kx + (1 - c) * kx @ kx
    return xyz @ rot.T - [0.0, 0.0, float(floor.normal @ floor.point)]


def to_mouse22(xyz: np.ndarray, names: tuple[str, ...]) -> tuple[np.ndarray, tuple[str, ...]]:
    """The keypoints of :data:`TO_MOUSE22`, in ``mouse22`` order: ``(T, K', 3)``, names."""
    src = {TO_MOUSE22[n]: k for k, n in enumerate(names) if n in TO_MOUSE22}
    out = tuple(n for n in DL.MOUSE22 if n in src)
    return xyz[:, [src[n] for n in out]], out


def floor_and_write(out: Path, ids: np.ndarray, xyz: np.ndarray, names: tuple[str, ...],
                    tol_mm: float) -> None:
    """Map to ``mouse22``, fit and level the floor, write the CSV and say what was done."""
    pts, mapped = to_mouse22(xyz, names)
    paws = pts[:, [mapped.index(n) for n in FLOOR_KEYPOINTS]].reshape(-1, 3)
    floor = fit_floor(paws, pts.reshape(-1, 3), tol_mm)
    tilt = math.degrees(math.acos(min(1.0, abs(float(floor.normal[2])))))
    pts = level(pts, floor)
    DL.write_labels_csv(out, ids, pts, mapped)
    hind = pts[:, [mapped.index("HindpawL"), mapped.index("HindpawR")], 2]
    snout = pts[:, mapped.index("Snout"), 2]
    print(f"floor: {int(floor.on.sum())} of {len(floor.on)} paw points within {tol_mm:g} mm "
          f"of the plane, rms {floor.rms_mm:.2f} mm; the rig's z axis {tilt:.1f} deg from "
          f"its normal")
    print(f"wrote {out}: {len(ids)} frames, {len(mapped)} keypoints ({', '.join(mapped)}); "
          f"hind paw height median {np.nanmedian(hind):.1f} mm; snout labelled in "
          f"{int(np.isfinite(snout).sum())} frames, above 60 mm in {int((snout > 60).sum())}")


def crowd(args: argparse.Namespace) -> None:
    """The ``crowd`` command: triangulate a 2019 crowd-labelled demo."""
    demo = read_crowd_demo(args.folder, args.worker)
    xyz = triangulate(demo.cameras, demo.uv)
    err = reprojection_px(demo.cameras, xyz, demo.uv)
    per_kp = np.nanmedian(err, axis=(0, 1))
    print(f"{demo.uv.shape[1]} frames, {len(demo.cameras)} cameras: "
          f"{int(np.isfinite(xyz[..., 0]).sum())} of {xyz[..., 0].size} points in two or "
          f"more cameras; reprojection median {np.nanmedian(err):.2f} px (per camera "
          + ", ".join(f"{np.nanmedian(e):.2f}" for e in err) + "; worst keypoint "
          f"{demo.names[int(np.nanargmax(per_kp))]} {np.nanmax(per_kp):.1f})")
    floor_and_write(args.out, demo.sample_ids, xyz, demo.names, args.floor_tol_mm)


def read_label3d_demo(folder: Path) -> tuple[np.ndarray, np.ndarray, dict[int, np.ndarray]]:
    """``(sample ids, (T, 16, 3) mm, {camera number: (T, 16, 2) px})`` of a 2019 demo's
    ``cam<k>_data_applyDistort.mat`` files (the 3D must agree across them)."""
    import scipy.io

    files = sorted(folder.glob("cam*_data_applyDistort.mat"),
                   key=lambda p: int(re.findall(r"\d+", p.name)[0]))
    if not files:
        raise SystemExit(f"{folder}: no cam*_data_applyDistort.mat")
    ids, xyz, uv = None, None, {}
    for path in files:
        mat = scipy.io.loadmat(path, simplify_cells=True)
        pts = np.asarray(mat["data_3d"], float)
        if pts.shape[1] != 3 * len(TEMPLATE_2019):
            raise SystemExit(f"{path}: data_3d has shape {pts.shape}; the 2019 template "
                             f"has {len(TEMPLATE_2019)} keypoints")
        if xyz is None:
            ids, xyz = np.asarray(mat["data_sampleID"]).astype(int).ravel(), pts
        elif not np.allclose(np.nan_to_num(pts), np.nan_to_num(xyz)):
            raise SystemExit(f"{path}: its 3D labels differ from {files[0].name}'s")
        num = int(re.findall(r"\d+", path.name)[0])
        uv[num] = np.asarray(mat["data_2d"], float).reshape(len(pts), -1, 2)
    return ids, xyz.reshape(len(xyz), -1, 3), uv


def label3d(args: argparse.Namespace) -> None:
    """The ``label3d`` command: a 2019 demo's own 3D labels."""
    ids, xyz, uv = read_label3d_demo(args.folder)
    print(f"{len(ids)} frames, {len(uv)} cameras' files; "
          f"{int(np.isfinite(xyz[..., 0]).sum())} of {xyz[..., 0].size} points labelled")
    if args.calibration is not None:
        from dlc_lifter.io.calibration import load_anipose

        nums = sorted(uv)
        cameras = [load_anipose(args.calibration / f"cam{k}_params.mat") for k in nums]
        err = reprojection_px(cameras, xyz, np.stack([uv[k] - MATLAB_PX for k in nums]))
        print(f"the 3D reprojected to the files' 2D: median {np.nanmedian(err):.2f} px, "
              f"max {np.nanmax(err):.2f} (per camera "
              + ", ".join(f"{np.nanmedian(e):.2f}" for e in err) + ")")
    floor_and_write(args.out, ids, xyz, TEMPLATE_2019, args.floor_tol_mm)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("crowd", help="triangulate a 2019 crowd-labelled demo folder")
    c.add_argument("folder", type=Path, help="calibrd18_black6_mouse*_green")
    c.add_argument("out", type=Path, help="CSV to write (must not exist)")
    c.add_argument("--worker", type=int, default=0, help="the labeller's files to read")
    c.set_defaults(run=crowd)
    d = sub.add_parser("label3d", help="a 2019 demo's own 3D labels")
    d.add_argument("folder", type=Path, help="the folder of cam*_data_applyDistort.mat")
    d.add_argument("out", type=Path, help="CSV to write (must not exist)")
    d.add_argument("--calibration", type=Path, default=None,
                   help="folder of the cameras' cam*_params.mat (reprojection check)")
    d.set_defaults(run=label3d)
    for p in (c, d):
        p.add_argument("--floor-tol-mm", type=float, default=FLOOR_TOL_MM,
                       help="paw points this close to the fitted floor are on it")
    args = parser.parse_args(argv)
    from dlc_lifter.errors import DLCLifterError, OutputExistsError

    if args.out.exists():
        parser.error(f"{args.out} exists; give a new file name")
    try:
        args.run(args)
    except OutputExistsError:
        parser.error(f"{args.out} exists; give a new file name")
    except DLCLifterError as exc:  # an unreadable camera, an unwritable folder
        parser.error(str(exc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
