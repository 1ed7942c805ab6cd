"""Batch lifting throughput: sequential vs ProcessPool(2) vs a 2-worker dask LocalCluster.

Lays out a temporary DLC project holding ``--copies`` copies of the real openfield
``analyze_videos`` output (``../shared/realdata/dlc-openfield``; the originals are only
read; the video is linked, not copied) and lifts it with :func:`lift_videos` three
ways, printing frames/s for each. With the video (the default) each copy is lifted with
depth cues from its frames (decode, crop, depth network, fused lifter); ``--no-depth``
lifts from the keypoints only, as does ``--no-video``.

Run from the repository root::

    python benchmarks/batch.py [--copies 20] [--no-video | --no-depth]
                               [--modes sequential,pool,dask]
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

logger = logging.getLogger("benchmarks.batch")

REAL = Path(__file__).resolve().parents[1] / ".." / "shared" / "realdata" / "dlc-openfield"
POSES = REAL / "analyzed" / "m3v1mp4DLC_resnet50_openfieldAug20shuffle1_30000.h5"
VIDEO = REAL / "videos" / "m3v1mp4.mp4"
SCORER = "DLC_resnet50_openfieldAug20shuffle1_30000"


def make_project(root: Path, copies: int, with_video: bool) -> Path:
    """A DLC project folder with ``copies`` analysed videos; returns its config.yaml."""
    videos = root / "videos"
    videos.mkdir(parents=True)
    shutil.copyfile(REAL / "config.yaml", root / "config.yaml")
    for i in range(copies):
        stem = f"m3v1mp4_{i:02d}"
        shutil.copyfile(POSES, videos / f"{stem}{SCORER}.h5")
        if with_video:
            os.symlink(VIDEO.resolve(), videos / f"{stem}.mp4")
    return root / "config.yaml"


def run(config: Path, mode: str, videos: list[Path] | None, workers: int,
        depth: bool = True) -> tuple[float, int]:
    """Lift the project once in ``mode``; returns (seconds, frames)."""
    from dlc_lifter.lift.batch import lift_videos, worker_initializer
    from dlc_lifter.lift.options import LiftOptions, OutputSpec

    t0 = time.perf_counter()
    if mode == "sequential":
        report = lift_videos(config, videos, options=LiftOptions(depth=depth),
                             output=OutputSpec(overwrite=True))
    elif mode == "pool":
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"),
                                 initializer=worker_initializer) as ex:
            report = lift_videos(config, videos, executor=ex, options=LiftOptions(depth=depth),
                                 output=OutputSpec(overwrite=True))
    elif mode == "dask":
        from distributed import Client, LocalCluster

        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            report = lift_videos(config, videos,
                                 executor=client.get_executor(retries=1, pure=False),
                                 options=LiftOptions(depth=depth),
                                 output=OutputSpec(overwrite=True))
    else:
        raise ValueError(mode)
    seconds = time.perf_counter() - t0
    if not report.ok:
        raise SystemExit(f"{mode}: failures:\n{report.summary()}")
    return seconds, report.n_frames


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-video", action="store_true",
                    help="lift keypoints only (no video beside the poses)")
    ap.add_argument("--no-depth", action="store_true",
                    help="with the video, still lift from the keypoints only")
    ap.add_argument("--modes", default="sequential,pool,dask")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if not POSES.is_file():
        print(f"skipped: real data not found at {REAL}", file=sys.stderr)
        return 0
    with tempfile.TemporaryDirectory(prefix="dlc_lifter_bench_") as tmp:
        config = make_project(Path(tmp), args.copies, with_video=not args.no_video)
        videos = None  # the project's videos folder
        if args.no_video:  # pose files are found by video name: list the (absent) videos
            videos = [Path(tmp) / "videos" / f"m3v1mp4_{i:02d}.mp4" for i in range(args.copies)]
        what = ("keypoints only, no video" if args.no_video else
                "keypoints only (--no-depth)" if args.no_depth else "with video: depth path")
        print(f"{args.copies} x {POSES.name} ({what}), {os.cpu_count()} CPUs visible")
        for mode in args.modes.split(","):
            seconds, frames = run(config, mode, videos, args.workers,
                                  depth=not (args.no_depth or args.no_video))
            label = {"sequential": "sequential", "pool": f"ProcessPool({args.workers})",
                     "dask": f"dask LocalCluster({args.workers} workers)"}[mode]
            print(f"{label:32s} {frames:7d} frames in {seconds:6.1f} s = "
                  f"{frames / seconds:8.0f} frames/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
