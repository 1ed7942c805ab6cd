"""Does the lift hold from 15 to 120 fps? MPJPE of held-out synthetic mice per frame rate.

Held-out synthetic mice are generated at 120 fps and seen by random top cameras with
realistic 2D tracking errors; every 1st, 2nd, 4th and 8th frame of those same clips makes
the 120, 60, 30 and 15 fps versions (same motion, same camera), written as ``Poses`` with
their frame rate, and lifted with ``dlc_lifter.lift.lift_poses`` as a user gets it (the
true camera given). The temporal network learnt from 30 fps sequences only. Target: every
rate within 10 % of the 30 fps figure.

    python benchmarks/fps.py [--sequences 24] [--seconds 10]
"""

from __future__ import annotations

import argparse
import logging
import sys

import numpy as np

RATES = (15.0, 30.0, 60.0, 120.0)
SETS = ("openfield", "superanimal_topviewmouse")


def _mpjpe(lifter, clips, step: int, fps: float | None) -> float:  # noqa: ANN001
    from dlc_lifter.lift import CameraChoice, lift_poses
    from dlc_lifter.mouse.catalogue import CATALOGUE
    from dlc_lifter.poses import PoseMetadata, Poses

    errs = []
    for clip in clips:
        uv, conf, world = clip.uv[::step], clip.conf[::step], clip.world[::step]
        poses = Poses(coords=uv[:, None], confidence=conf[:, None], keypoints=list(CATALOGUE),
                      meta=PoseMetadata(fps=fps, image_size=clip.camera.image_size))
        out = lift_poses(poses, lifter=lifter, impute_all=False, camera_choice=CameraChoice(
            clip.camera, "world", "benchmark"))
        idx = [CATALOGUE.index(k) for k in out.keypoints]
        tracked = np.isfinite(uv).all(-1) & (np.nan_to_num(conf) >= lifter.pcutoff)
        e = np.linalg.norm(out.coords[:, 0] - world[:, idx], axis=-1)
        errs.append(e[tracked[:, idx] & np.isfinite(e)])
    return float(np.concatenate(errs).mean())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequences", type=int, default=24)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=777000)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    import torch

    from dlc_lifter.lift import Lifter
    from dlc_lifter.mouse.behaviour import generate_sequences

    torch.set_num_threads(args.threads)
    lifter = Lifter.load()
    from dlc_lifter.nets.data import make_clips

    top = max(RATES)
    seqs = generate_sequences(args.sequences, int(round(args.seconds * top)), seed=args.seed,
                              fps=top)
    table: dict[str, dict[float, float]] = {}
    for kset in SETS:
        clips = make_clips(seqs, rng=np.random.default_rng(args.seed + 1), keypoint_set=kset)
        table[kset] = {fps: _mpjpe(lifter, clips, int(round(top / fps)), fps)
                       for fps in RATES}
    print(f"MPJPE (mm) of {args.sequences} held-out synthetic sequences of "
          f"{args.seconds:g} s per rate (seed {args.seed}), temporal network, true camera")
    print(f"{'set / fps':26s} " + " ".join(f"{r:>7g}" for r in RATES)
          + "   worst vs 30 fps (target <= +10 %)")
    ok = True
    for kset, row in table.items():
        worst = max(row[r] / row[30.0] - 1 for r in RATES)
        ok &= worst <= 0.10
        print(f"{kset:26s} " + " ".join(f"{row[r]:7.2f}" for r in RATES)
              + f"   {100 * worst:+5.1f} %  " + ("PASS" if worst <= 0.10 else "FAIL"))
    print(f"command: python benchmarks/fps.py --sequences {args.sequences} --seconds "
          f"{args.seconds:g}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
