"""Do real and published mouse skeletons lift out of the box? One row per skeleton.

Each file is lifted with ``dlc_lifter.lift_file`` and default options: no keypoint map, no
camera information (so the camera is estimated, or taken from the arena with
``--arena-size-mm`` where the skeleton tracks the arena's corners), keypoints only. Real
files from ``../shared/realdata`` where we have them; otherwise a synthetic file with that
skeleton's exact names (:func:`dlc_lifter.synth.skeleton_poses.skeleton_poses`). The table
says which names mapped where, which are arena landmarks and which were dropped.

    python benchmarks/skeletons.py [--out table.md]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "realdata"
SCORER = "DLC_resnet50_skeletonJan1shuffle1_1000"

#: Real files, by the skeleton they use (arena side in mm where the file tracks corners).
REAL_FILES = {
    "dlc_openfield": (REAL / "dlc-openfield" / "analyzed"
                      / "m3v1mp4DLC_resnet50_openfieldAug20shuffle1_30000.h5", None),
    "dlcanalyzer_openfield": (REAL / "oft-rearing"
                              / "OFT_38DLC_resnet50_BlockcourseMay9shuffle1_1030000.h5", 420.0),
    "sleap_mouse": (REAL / "sleap-mouse-session" / "minimal_top_proofread.slp", None),
    "deepof": (REAL / "deepof-two-mice" / "testDLC_h5_table_madlc.h5", None),
}


def _generated(skeleton, folder: Path) -> Path:  # noqa: ANN001 - a KnownSkeleton
    from dlc_lifter.synth.skeleton_poses import skeleton_poses

    poses, _ = skeleton_poses(skeleton, n_frames=120, seed=7)
    path = folder / f"{skeleton.name}{SCORER}.h5"
    poses.to_dataframe(SCORER).to_hdf(path, key="df_with_missing", mode="w")
    return path


def _row(skeleton, folder: Path) -> dict[str, str]:  # noqa: ANN001 - a KnownSkeleton
    from dlc_lifter.io import meta_pickle_path
    from dlc_lifter.lift import CameraSpec, LiftOptions, OutputSpec, lift_file

    path, arena = REAL_FILES.get(skeleton.name, (None, None))
    source = "real" if path is not None and path.is_file() else "generated"
    if source == "generated":
        path = _generated(skeleton, folder)
        arena = 420.0 if skeleton.arena else None
    t0 = time.perf_counter()
    try:
        out = lift_file(path, camera=CameraSpec(arena_size_mm=arena),
                        options=LiftOptions(depth=False),
                        output=OutputSpec(destfolder=folder / skeleton.name))
    except Exception as exc:  # noqa: BLE001 - the table reports it
        return {"skeleton": skeleton.name, "file": f"{source}: {path.name}", "lifts": "NO",
                "mapped": str(exc).splitlines()[0], "arena": "", "dropped": "", "s": ""}
    used = pd.read_pickle(meta_pickle_path(out))["data"]["keypoint_map"]
    return {
        "skeleton": skeleton.name, "file": f"{source}: {path.name}",
        "lifts": f"yes ({used['skeleton'] or 'names one by one'})",
        "mapped": ", ".join(f"{k}->{v}" if k != v else k for k, v in used["mapped"].items()),
        "arena": ", ".join(f"{k}->{v}" for k, v in used["arena"].items()) or "-",
        "dropped": ", ".join(f"{k} ({why})" for k, why in used["dropped"].items()) or "-",
        "s": f"{time.perf_counter() - t0:.1f}",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="Also write the table here (markdown).")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    import torch

    from dlc_lifter.mouse.skeletons import KNOWN_SKELETONS

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        rows = [_row(s, Path(tmp)) for s in KNOWN_SKELETONS]
    header = ["skeleton", "file", "lifts", "mapped", "arena", "dropped", "s"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r[h] for h in header) + " |" for r in rows]
    table = "\n".join(lines)
    print(table)
    ok = all(r["lifts"].startswith("yes") for r in rows)
    print(f"\n{sum(r['lifts'].startswith('yes') for r in rows)} of {len(rows)} skeletons lift "
          "with default options and no keypoint map (target: all).")
    print("command: python benchmarks/skeletons.py")
    if args.out:
        args.out.write_text(table + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
