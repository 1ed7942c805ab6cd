"""Throughput of the synthetic data generators (images/s and poses/s).

Usage::

    OMP_NUM_THREADS=1 python benchmarks/synth.py [--workers 2] [--frames 200]
        [--realistic-frames 48] [--poses 40000] [--resolution 256]

Each run writes a full dataset (RGB + depth + mask + keypoints, 256 x 256, compressed
shards) into a temporary folder with ``workers`` processes, so the numbers include
sequence generation, skinning, rendering, compression and disk writes. Targets on 2
cores: >= 20 images/s fast, >= 3 images/s realistic, >= 5,000 poses/s. The realistic run
includes each worker's Blender start-up (building the rigged mouse in ``bpy``), which a
long dataset run pays once. Prints a table.
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
    ap.add_argument("--realistic-frames", type=int, default=48)
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
        rows: list[tuple[str, float, float, str]] = []
        fast = _run(root / "fast", args.frames, resolution=args.resolution, workers=w,
                    shard_size=max(1, args.frames // (2 * w)))
        rows.append(("fast (numba raster)", fast, 20.0, "images/s"))
        if args.realistic_frames > 0:
            real = _run(root / "real", args.realistic_frames, resolution=args.resolution,
                        workers=w, quality="realistic", frames_per_mouse=4,
                        shard_size=max(1, args.realistic_frames // w))
            rows.append(("realistic (Cycles 4 spp + denoise)", real, 3.0, "images/s"))
        poses = _run(root / "poses", args.poses, poses_only=True, workers=w,
                     shard_size=max(1, args.poses // (2 * w)))
        rows.append(("poses only", poses, 5000.0, "poses/s"))
    print(f"\nsynthetic data, {args.resolution}x{args.resolution} RGB+depth+mask+keypoints, "
          f"{w} workers, {os.cpu_count()} CPUs")
    print(f"{'generator':38s} {'throughput':>12s} {'unit':9s} {'target':>8s}  ok")
    for name, value, target, unit in rows:
        ok = "PASS" if value >= target else "FAIL"
        print(f"{name:38s} {value:12.1f} {unit:9s} {target:8.0f}  {ok}")

if __name__ == "__main__":
    main()
