"""How big the animal is on the floor, synthetic and real, and when the lift says so.

:mod:`dlc_lifter.lift.body_size` measures, through the camera a lift uses, the animal's median
nose-to-tail-base length seen from above and warns where it lies outside
:data:`~dlc_lifter.lift.body_size.TRAINED_LENGTH_SHARE` of the synthetic population's. This
script measures that range again (the synthetic sessions the networks learn from: 300 frames
each, two seeds) and runs the check as a lift does (``lift_camera``) on the real sets:
DANNCE's mouse through the 27 virtual cameras of ``real.py``'s grid (as calibrations; also
mouse 2 with ``--dannce-csv``), ``oft-rearing`` scaled by its 420 mm arena, and SUBTLE's
recordings with ``--subtle-dir`` (450 mm, f 700 px); then the same DANNCE file with its
camera height given in cm, and ``oft-rearing``'s arena in cm. Real sets are measured, never
trained on.

    python benchmarks/body_size.py [--sessions 500] [--dannce-csv m2.csv] [--subtle-dir DIR]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

import numpy as np
import real as R  # benchmarks/real.py: the virtual cameras and file writers

#: Seeds of the synthetic sessions (a fresh draw, not the training data).
SEEDS = (11, 12)
SESSION_FRAMES = 300
#: oft-rearing's arena side (real.py section B).
OFT_ARENA_MM = 420.0


class _Count(logging.Handler):
    """Counts the body-size warnings (and keeps the last)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.n, self.last = 0, ""

    def emit(self, record: logging.LogRecord) -> None:
        self.n += 1
        self.last = record.getMessage()


def synthetic_rows(sessions: int, pop_mm: float) -> list[tuple[str, str, str]]:
    """Percentiles of the synthetic sessions' median length seen from above."""
    from dlc_lifter.lift.body_size import TRAINED_LENGTH_SHARE
    from dlc_lifter.mouse.behaviour import generate_sequences
    from dlc_lifter.mouse.catalogue import CATALOGUE

    n, t = CATALOGUE.index("nose"), CATALOGUE.index("tail_base")
    rows = []
    lows, highs = [], []
    for seed in SEEDS:
        seqs = generate_sequences(sessions, SESSION_FRAMES, seed=seed)
        med = np.array([np.median(np.linalg.norm(q.landmarks[:, n, :2] - q.landmarks[:, t, :2],
                                                 axis=-1)) for q in seqs])
        p = np.percentile(med, [2.5, 50, 97.5])
        lows.append(p[0] / pop_mm)
        highs.append(p[2] / pop_mm)
        rows.append((f"synthetic, {sessions} sessions x {SESSION_FRAMES} frames, seed {seed}",
                     "2.5 / 50 / 97.5 % of session medians",
                     f"{p[0]:.1f} / {p[1]:.1f} / {p[2]:.1f} mm = {p[0] / pop_mm:.3f} / "
                     f"{p[1] / pop_mm:.3f} / {p[2] / pop_mm:.3f}"))
    lo, hi = TRAINED_LENGTH_SHARE
    ok = abs(np.mean(lows) - lo) <= 0.02 and abs(np.mean(highs) - hi) <= 0.02
    rows.append(("TRAINED_LENGTH_SHARE", "the constant against the seeds' mean (within 0.02)",
                 f"{lo:.2f} - {hi:.2f} vs {np.mean(lows):.3f} - {np.mean(highs):.3f} "
                 f"{'PASS' if ok else 'FAIL'}"))
    return rows


def _measure(path: Path, counter: _Count, lifter: object, **camera: object
             ) -> tuple[float, int, str]:
    """``(share, warnings, last warning)`` of one file's check, as a lift makes it."""
    from dlc_lifter.io import read_poses
    from dlc_lifter.lift.camera_choice import lift_camera

    counter.n, counter.last = 0, ""
    choice = lift_camera(read_poses(path), lifter=lifter, **camera)
    sizes = choice.details.get("animal_size", {})
    share = float(np.mean([s["share"] for s in sizes.values()])) if sizes else float("nan")
    return share, counter.n, counter.last


def real_rows(args: argparse.Namespace, lifter: object, counter: _Count, tmp: Path
              ) -> list[tuple[str, str, str]]:
    """The check on the real sets (target: no warning) and on scales in other units."""
    rows = []
    sets = [("DANNCE mouse 1", None)]
    if args.dannce_csv:
        sets.append(("DANNCE mouse 2", Path(args.dannce_csv)))
    for label, csv in sets:
        ids, names, xyz = R.load_dannce(csv)
        shares, warned = [], 0
        for h in R.HEIGHTS_MM:
            for f in R.FOCALS_PX:
                for tilt in R.TILTS_DEG:
                    cam = R.place_camera(h, f, tilt, xyz)
                    folder = tmp / label.replace(" ", "_") / cam.name.replace(" ", "_")
                    folder.mkdir(parents=True, exist_ok=True)
                    toml = R.write_calibration(cam, folder / "calibration.toml")
                    h5 = R.write_video_h5(cam.project(xyz), names,
                                          folder / f"mouse{R.VIDEO_SCORER}.h5")
                    share, n, _ = _measure(h5, counter, lifter, calibration=toml)
                    shares.append(share)
                    warned += n > 0
        rows.append((f"{label}, 27 grid cameras (calibration)", "share min / median / max; "
                     "files warned (0)", f"{min(shares):.3f} / {np.median(shares):.3f} / "
                     f"{max(shares):.3f}; {warned} {'PASS' if warned == 0 else 'FAIL'}"))
    ids, names, xyz = R.load_dannce(None)
    cam = R.place_camera(450.0, 700.0, 0.0, xyz)
    h5 = R.write_video_h5(cam.project(xyz), names, tmp / f"cm{R.VIDEO_SCORER}.h5")
    share, n, msg = _measure(h5, counter, lifter, camera_height_mm=45.0, focal_px=700.0)
    named = "10 times the length" in msg
    rows.append(("DANNCE mouse 1, camera height 45 given for 450 mm (cm)",
                 "share; warned with the factor", f"{share:.3f}; "
                 f"{'yes' if named else 'no'} {'PASS' if named else 'FAIL'}"))
    share, n, _ = _measure(R.OFT_H5, counter, lifter, arena_size_mm=OFT_ARENA_MM)
    rows.append(("oft-rearing, arena 420 mm", "share; warned (no)",
                 f"{share:.3f}; {'yes FAIL' if n else 'no PASS'}"))
    share, n, msg = _measure(R.OFT_H5, counter, lifter, arena_size_mm=OFT_ARENA_MM / 10)
    named = "10 times the length" in msg
    rows.append(("oft-rearing, arena 42 given for 420 mm (cm)", "share; warned with the "
                 "factor", f"{share:.3f}; {'yes' if named else 'no'} "
                 f"{'PASS' if named else 'FAIL'}"))
    if args.subtle_dir:
        cam = R._aimed(*R.SUBTLE_CAMERAS[0], 0.0, np.zeros(2), "subtle")
        toml = R.write_calibration(cam, tmp / "subtle.toml")
        shares, warned = [], 0
        for name, xyz_s, _ in R.load_subtle(Path(args.subtle_dir)):
            h5 = R.write_video_h5(cam.project(xyz_s), R.SUBTLE_NAMES,
                                  tmp / f"{name.replace('/', '_')}{R.VIDEO_SCORER}.h5",
                                  fps=R.SUBTLE_FPS)
            share, n, _ = _measure(h5, counter, lifter, calibration=toml)
            shares.append(share)
            warned += n > 0
        rows.append((f"SUBTLE, {len(shares)} recordings, 450 mm f 700 px (calibration)",
                     "share min / median / max; recordings warned", f"{min(shares):.3f} / "
                     f"{np.median(shares):.3f} / {max(shares):.3f}; {warned}"))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=500,
                        help="synthetic sessions per seed")
    parser.add_argument("--dannce-csv", default=None, help="DANNCE mouse 2's labels (real.py)")
    parser.add_argument("--subtle-dir", default=None, help="SUBTLE's dataset folder (real.py)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    from dlc_lifter.lift import Lifter
    from dlc_lifter.mouse.catalogue import CATALOGUE

    lifter = Lifter.load()
    pop = float(lifter.model.pair_length_mm[CATALOGUE.index("nose"),
                                            CATALOGUE.index("tail_base")])
    counter = _Count()
    checker = logging.getLogger("dlc_lifter.lift.body_size")
    checker.addHandler(counter)
    checker.setLevel(logging.WARNING)  # counted here, not printed
    checker.propagate = False
    rows = [("population (the shipped lifter)", "median nose-tail_base seen from above",
             f"{pop:.1f} mm")]
    with tempfile.TemporaryDirectory() as tmp:
        if R.DANNCE_CSV.is_file():
            rows += real_rows(args, lifter, counter, Path(tmp))
        else:
            rows.append(("real sets", "", f"absent: {R.DANNCE_CSV} not found"))
    rows += synthetic_rows(args.sessions, pop)
    width = max(len(r[0]) for r in rows)
    for cond, what, value in rows:
        print(f"{cond:<{width}}  {what}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
