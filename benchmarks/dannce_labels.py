"""Write DANNCE 3D labels (``label3d_dannce.mat``) as the CSV ``benchmarks/real.py`` reads.

DANNCE's Label3D files keep every camera's copy of the same hand-labelled 3D points
(``labelData{cam}.data_3d``, frames x 3K in mm, and ``data_sampleID``). This reads the
first camera's copy, checks that the others agree, and writes ``sample_id`` and
``<name>_x/_y/_z`` columns in the layout of ``../shared/realdata/dannce-mouse1/labels3d.csv``
(DANNCE's ``mouse22`` keypoint order), so that another mouse can be measured with::

    python benchmarks/dannce_labels.py label3d_dannce.mat mouse2_labels3d.csv
    python benchmarks/real.py --only A --dannce-csv mouse2_labels3d.csv

``real.py`` takes the floor as ``z = 0``; the script prints the hind paws' heights so that
a rig whose world frame is not on the floor shows (give ``--floor-mm`` to shift it).
Nothing is written over an existing file. DANNCE's 2019 demo mice (other files, another
template) are written by ``benchmarks/dannce_2019.py``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

#: DANNCE's ``mouse22`` skeleton, in the order of its label files.
MOUSE22 = ("EarL", "EarR", "Snout", "SpineF", "SpineM", "Tail_base", "Tail_mid", "Tail_end",
           "ForepawL", "WristL", "ElbowL", "ShoulderL", "ForepawR", "WristR", "ElbowR",
           "ShoulderR", "HindpawL", "AnkleL", "KneeL", "HindpawR", "AnkleR", "KneeR")


def read_label3d(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """``(sample ids (T,), points (T, 22, 3) mm)`` of a DANNCE ``label3d_dannce.mat``."""
    import scipy.io

    try:
        mat = scipy.io.loadmat(path, simplify_cells=True)
    except NotImplementedError as exc:  # MATLAB v7.3 files are HDF5
        raise SystemExit(f"{path}: a MATLAB v7.3 file; save it with -v7 in MATLAB, or read "
                         f"it with h5py ({exc})") from None
    except (OSError, ValueError) as exc:
        raise SystemExit(f"{path}: not a readable MATLAB file ({exc})") from None
    cams = mat.get("labelData")
    if cams is None:
        raise SystemExit(f"{path}: no 'labelData' (is this a DANNCE label3d file?)")
    cams = cams if isinstance(cams, list) else [cams]
    first = np.asarray(cams[0]["data_3d"], float)
    if first.ndim != 2 or first.shape[1] != 3 * len(MOUSE22):
        raise SystemExit(f"{path}: data_3d has shape {first.shape}; this script knows "
                         f"DANNCE's mouse22 skeleton ({3 * len(MOUSE22)} columns)")
    for k, cam in enumerate(cams[1:], start=2):
        other = np.asarray(cam["data_3d"], float)
        if other.shape != first.shape or not np.allclose(
                np.nan_to_num(other), np.nan_to_num(first)):
            raise SystemExit(f"{path}: camera {k}'s 3D labels differ from camera 1's")
    ids = np.asarray(cams[0]["data_sampleID"]).astype(int).ravel()
    return ids, first.reshape(len(first), len(MOUSE22), 3)


def write_labels_csv(path: Path, sample_ids: np.ndarray, xyz: np.ndarray,
                     names: tuple[str, ...] = MOUSE22) -> None:
    """Write ``sample_id`` and ``<name>_x/_y/_z`` columns (mm), never over an existing file.

    Parameters
    ----------
    path
        The CSV to write (must not exist).
    sample_ids
        ``(T,)`` the frames' sample ids.
    xyz
        ``(T, len(names), 3)`` the labels in mm, the floor at ``z = 0`` (NaN: unlabelled).
    names
        The keypoints' names, in the file's column order.

    Raises
    ------
    OutputExistsError
        When ``path`` exists.
    DLCLifterError
        When its folder is not writable.
    """
    from dlc_lifter._atomic import atomic_output

    cols: dict[str, np.ndarray] = {"sample_id": np.asarray(sample_ids)}
    for k, name in enumerate(names):
        for a, axis in enumerate("xyz"):
            cols[f"{name}_{axis}"] = xyz[:, k, a]
    with atomic_output(path) as tmp:
        pd.DataFrame(cols).to_csv(tmp, index=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mat", type=Path, help="DANNCE label3d_dannce.mat")
    parser.add_argument("out", type=Path, help="CSV to write (must not exist)")
    parser.add_argument("--floor-mm", type=float, default=0.0,
                        help="height of the floor in the file's frame (subtracted from z)")
    args = parser.parse_args(argv)
    from dlc_lifter.errors import DLCLifterError, OutputExistsError

    ids, xyz = read_label3d(args.mat)
    xyz = xyz.copy()
    xyz[..., 2] -= args.floor_mm
    try:
        write_labels_csv(args.out, ids, xyz)
    except OutputExistsError:
        parser.error(f"{args.out} exists; give a new file name")
    except DLCLifterError as exc:  # the folder is not writable
        parser.error(str(exc))
    paws = xyz[:, [MOUSE22.index("HindpawL"), MOUSE22.index("HindpawR")], 2]
    snout = xyz[:, MOUSE22.index("Snout"), 2]
    print(f"wrote {args.out}: {len(ids)} frames, {len(MOUSE22)} keypoints; hind paw height "
          f"median {np.nanmedian(paws):.1f} mm (5-95 %: {np.nanpercentile(paws, 5):.1f} to "
          f"{np.nanpercentile(paws, 95):.1f}; near 0 when the floor is z = 0); snout above "
          f"60 mm in {int((snout > 60).sum())} frames")
    return 0


if __name__ == "__main__":
    sys.exit(main())
