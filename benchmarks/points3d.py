"""Write a sleap-anipose ``points3d.h5`` as the CSV ``benchmarks/real.py`` reads.

sleap-anipose writes its triangulated 3D as ``tracks``, ``(frames, tracks, nodes, 3)``, in
the calibration board's world frame (the floor is not ``z = 0``, and often not even the
horizontal), without the node names (they are the SLEAP skeleton's, given here with
``--names``). This takes one track, every ``--stride``-th frame, fits the floor to the
paws with :func:`dannce_2019.fit_floor` and levels it (``z = 0``, the mouse above), and
writes ``sample_id`` (the frame) and ``<name>_x/_y/_z`` columns in mm (the layout of
``../shared/realdata/dannce-mouse1/labels3d.csv``), so that the set can be measured with
``real.py --dannce-csv`` and ``outside.py``. The Talmo lab's eight-camera mouse, 3600
frames triangulated from SLEAP predictions (github.com/talmolab/stac-mjx, BSD-3-Clause,
``tests/data/test_mouse_mocap_3600_frames.h5``; its 34 names are ``KP_NAMES`` of
``tests/configs/model/test_mouse.yaml``), every 36th frame::

    N=Nose,Ear_R,Ear_L,TTI,TailTip,Head,Trunk,Tail_0,Tail_1,Tail_2,Shoulder_L,Shoulder_R
    N=$N,Knee_L,Knee_R,Neck,Elbow_L,Elbow_R,Wrist_L,Wrist_R,Forepaw_L,Forepaw_R,Heel_L
    N=$N,Heel_R,Spine,Eye_L,Eye_R,Tail_3,Tail_4,Hip_L,Hip_R,Lisfranc_R,MTP_L,Lisfranc_L,MTP_R
    python benchmarks/points3d.py test_mouse_mocap_3600_frames.h5 salk8cam.csv --names $N \\
        --rename Nose=Snout,Ear_L=EarL,Ear_R=EarR,TTI=Tail_base,MTP_L=HindpawL,MTP_R=HindpawR \\
        --drop Spine,Heel_L,Heel_R,Lisfranc_L,Lisfranc_R \\
        --floor Forepaw_L,Forepaw_R,MTP_L,MTP_R --stride 36
    python benchmarks/outside.py salk8cam.csv

(The heels and the Lisfranc joints are dropped: they map to no landmark of the package's
keypoint catalogue, and a lift refuses such names. ``Spine`` is dropped as the package
drops it, ``Trunk`` naming the same centre.)

``real.py`` scores the lift on DANNCE's names (``Snout``, ``EarL``, ``EarR``, ``SpineF``,
``SpineM``, ``Tail_base``; its four-keypoint input is ``Snout``, the ears and
``Tail_base``; ``HindpawL``/``HindpawR`` tell a climb): ``--rename`` gives a file's own
names those where they are the same landmark, the others keep the file's names (the
package reads them as it would the user's file); ``--drop`` leaves keypoints out. The
script prints the floor fit, the paws' and snout's heights and each kept keypoint's median
distance to the snout, a check of the units (a mouse's snout to tail base is 70-100 mm).
Nothing is written over an existing file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import dannce_2019 as D19  # benchmarks/dannce_2019.py: the floor fit and levelling
import dannce_labels as DL  # benchmarks/dannce_labels.py: the CSV writer
import numpy as np


def read_points3d(path: Path, track: int = 0) -> np.ndarray:
    """``(frames, nodes, 3)`` of one track of a sleap-anipose ``points3d.h5``."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            if "tracks" not in f:
                raise SystemExit(f"{path}: no 'tracks' dataset (is it sleap-anipose's "
                                 f"points3d.h5?)")
            tracks = np.asarray(f["tracks"], float)
    except OSError as exc:
        raise SystemExit(f"{path}: not a readable HDF5 file ({exc})") from None
    if tracks.ndim != 4 or tracks.shape[-1] != 3:
        raise SystemExit(f"{path}: 'tracks' has shape {tracks.shape}; expected "
                         f"(frames, tracks, nodes, 3)")
    if not 0 <= track < tracks.shape[1]:
        raise SystemExit(f"{path}: no track {track} (it has {tracks.shape[1]})")
    return tracks[:, track]


def _pairs(text: str, what: str) -> dict[str, str]:
    out = {}
    for item in filter(None, (s.strip() for s in text.split(","))):
        old, sep, new = item.partition("=")
        if not sep or not old or not new:
            raise SystemExit(f"{what}: {item!r} is not OLD=NEW")
        out[old] = new
    return out


def select(xyz: np.ndarray, names: list[str], rename: dict[str, str],
           drop: list[str]) -> tuple[np.ndarray, tuple[str, ...]]:
    """``xyz`` ``(T, K, 3)`` without the ``drop`` keypoints, and the names kept (renamed).

    Raises ``SystemExit`` naming a ``rename``/``drop`` key that is not a keypoint, or a
    name given twice."""
    unknown = [n for n in [*rename, *drop] if n not in names]
    if unknown:
        raise SystemExit(f"not among the keypoints: {', '.join(unknown)} (they are: "
                         f"{', '.join(names)})")
    keep = [k for k, n in enumerate(names) if n not in drop]
    out = tuple(rename.get(names[k], names[k]) for k in keep)
    twice = sorted({n for n in out if out.count(n) > 1})
    if twice:
        raise SystemExit(f"named twice after renaming: {', '.join(twice)}")
    return xyz[:, keep], out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("h5", type=Path, help="sleap-anipose points3d.h5")
    parser.add_argument("out", type=Path, help="CSV to write (must not exist)")
    parser.add_argument("--names", required=True,
                        help="the nodes' names in the file's order, comma-separated")
    parser.add_argument("--rename", default="", help="OLD=NEW,... (DANNCE's names)")
    parser.add_argument("--drop", default="", help="keypoints left out, comma-separated")
    parser.add_argument("--floor", required=True,
                        help="the keypoints the floor is fitted to (paws; file's names)")
    parser.add_argument("--stride", type=int, default=1, help="keep every N-th frame")
    parser.add_argument("--track", type=int, default=0, help="the track (animal) to take")
    parser.add_argument("--floor-tol-mm", type=float, default=D19.FLOOR_TOL_MM,
                        help="paw points this close to the fitted floor are on it")
    args = parser.parse_args(argv)
    from dlc_lifter.errors import DLCLifterError, OutputExistsError

    if args.out.exists():
        parser.error(f"{args.out} exists; give a new file name")
    if args.stride < 1:
        parser.error(f"--stride {args.stride}: give 1 or more")
    xyz = read_points3d(args.h5, args.track)
    names = [n.strip() for n in args.names.split(",")]
    if len(names) != xyz.shape[1]:
        parser.error(f"--names gives {len(names)} names; {args.h5} has {xyz.shape[1]} nodes")
    floor_names = [n.strip() for n in args.floor.split(",")]
    missing = [n for n in floor_names if n not in names]
    if missing:
        parser.error(f"--floor: {', '.join(missing)} not among --names")
    ids = np.arange(0, len(xyz), args.stride)
    xyz = xyz[ids]
    paws = xyz[:, [names.index(n) for n in floor_names]].reshape(-1, 3)
    floor = D19.fit_floor(paws, xyz.reshape(-1, 3), args.floor_tol_mm)
    levelled = D19.level(xyz, floor)
    pts, kept = select(levelled, names, _pairs(args.rename, "--rename"),
                       [n.strip() for n in args.drop.split(",") if n.strip()])
    try:
        DL.write_labels_csv(args.out, ids, pts, kept)
    except OutputExistsError:
        parser.error(f"{args.out} exists; give a new file name")
    except DLCLifterError as exc:  # the folder is not writable
        parser.error(str(exc))
    _report(args, floor, levelled, names, floor_names, pts, kept)
    return 0


def _report(args: argparse.Namespace, floor: D19.Floor, levelled: np.ndarray,
            names: list[str], floor_names: list[str], pts: np.ndarray,
            kept: tuple[str, ...]) -> None:
    """Print the floor fit, the heights and the distances to the snout (a units check)."""
    tilt = np.degrees(np.arccos(min(1.0, abs(float(floor.normal[2])))))
    paws = levelled[:, [names.index(n) for n in floor_names], 2]
    print(f"floor: {int(floor.on.sum())} of {len(floor.on)} paw points within "
          f"{args.floor_tol_mm:g} mm of the plane, rms {floor.rms_mm:.2f} mm; the file's z "
          f"axis {tilt:.1f} deg from its normal; paw height median {np.nanmedian(paws):.1f} "
          f"mm (5-95 %: {np.nanpercentile(paws, 5):.1f} to {np.nanpercentile(paws, 95):.1f})")
    print(f"wrote {args.out}: {len(pts)} frames (every {args.stride}), {len(kept)} "
          f"keypoints ({', '.join(kept)})")
    if "Snout" in kept:
        snout = pts[:, kept.index("Snout")]
        print(f"snout height median {np.nanmedian(snout[:, 2]):.1f} mm, above 60 mm in "
              f"{int((snout[:, 2] > 60).sum())} frames; median distance to the snout (mm): "
              + ", ".join(f"{n} {np.nanmedian(np.linalg.norm(pts[:, k] - snout, axis=-1)):.0f}"
                          for k, n in enumerate(kept) if n != "Snout"))


if __name__ == "__main__":
    sys.exit(main())
