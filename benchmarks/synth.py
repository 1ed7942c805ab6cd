"""Throughput of the synthetic data generators (images/s and poses/s).

Usage::

    OMP_NUM_THREADS=1 python benchmarks/synth.py [--workers 2] [--frames 200]
        [--realistic-frames 12] [--poses 40000] [--resolution 256]

Each run writes a full dataset (RGB + depth + mask + keypoints, 256 x 256, compressed
shards) into a temporary folder with ``workers`` processes, so the numbers include
sequence generation, skinning, rendering, compression and disk writes. Targets on 2
cores: >= 20 images/s fast, >= 3 images/s realistic, >= 5,000 poses/s.
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
from pathlib import Path

log = logging.getLogger("benchmarks.synth")


def _run(out: Path, n: int, **kw) -> float:
    from dlc_lifter.synth import synthesize

    t0 = time.perf_counter()
    synthesize(out, n, progress=False, **kw)
    return n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--realistic-frames", type=int, default=12)
    ap.add_argument("--poses", type=int, default=40000)
    ap.add_argument("--resolution", type=int, default=256)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        # Warm-up: compile the numba kernels into their cache once.
        _run(root / "warm", 2, resolution=32, shard_size=2, frames_per_mouse=2)
        w = args.workers
        fast = _run(root / "fast", args.frames, resolution=args.resolution, workers=w,
                    shard_size=max(1, args.frames // (2 * w)))
        log.info("fast:        %.1f images/s (RGB+depth+mask+keypoints, %dx%d, %d workers)",
                 fast, args.resolution, args.resolution, w)
        if args.realistic_frames > 0:
            real = _run(root / "real", args.realistic_frames, resolution=args.resolution,
                        workers=w, quality="realistic", frames_per_mouse=4,
                        shard_size=max(1, args.realistic_frames // w))
            log.info("realistic:   %.2f images/s (Cycles 4 spp + OIDN, %dx%d, %d workers)",
                     real, args.resolution, args.resolution, w)
        poses = _run(root / "poses", args.poses, poses_only=True, workers=w,
                     shard_size=max(1, args.poses // (2 * w)))
        log.info("poses only:  %.0f poses/s (%d workers)", poses, w)


if __name__ == "__main__":
    main()
