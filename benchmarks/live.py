"""Per-frame latency of live lifting (LiveLifter / the DLC-Live processor) on the CPU.

Streams the real openfield DeepLabCut output
(``../shared/realdata/dlc-openfield/analyzed/m3v1mp4DLC_...h5``: 2330 frames of snout,
leftear, rightear, tailbase, 640x480 video, no calibration) frame by frame through
:class:`dlc_lifter.analysis.live.LiveLifter`, as DLC-Live would hand it over (x, y,
likelihood per keypoint), and prints the median and 99th-percentile latency per frame.
The camera is the one ``dlc-lifter lift`` estimates for the file (no calibration: from the
animal's size), taken from :func:`dlc_lifter.lift.lift_poses`'s output.

Rows: keypoints-only lifting (features off), lifting + live features, the DLC-Live
processor's ``process()`` (when ``deeplabcut-live`` is installed), and "with depth",
which needs a depth-from-image model (the package has none yet: ``n/a``).

Run from the repository root::

    OMP_NUM_THREADS=2 python benchmarks/live.py [--threads 1,2] [--frames 2330]
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

logger = logging.getLogger("benchmarks.live")

REAL = Path(__file__).resolve().parents[1] / ".." / "shared" / "realdata" / "dlc-openfield"
POSES = REAL / "analyzed" / "m3v1mp4DLC_resnet50_openfieldAug20shuffle1_30000.h5"
TARGET_MEDIAN_MS = 5.0


def _time_frames(step: Callable[[np.ndarray], object], frames: np.ndarray,
                 warmup: int) -> np.ndarray:
    """Milliseconds of ``step(frame)`` for every frame (after ``warmup`` untimed calls)."""
    for f in frames[:warmup]:
        step(f)
    out = np.empty(len(frames))
    clock = time.perf_counter
    for i, f in enumerate(frames):
        t0 = clock()
        step(f)
        out[i] = (clock() - t0) * 1e3
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--poses", type=Path, default=POSES, help="DLC 2D pose file to stream")
    ap.add_argument("--threads", default="1,2",
                    help="torch CPU thread counts to time, comma-separated (default 1,2)")
    ap.add_argument("--frames", type=int, default=None, help="stream only the first N frames")
    ap.add_argument("--warmup", type=int, default=30, help="untimed frames before timing")
    ap.add_argument("--model", type=Path, default=None, help="weights (default: shipped)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    import torch

    from dlc_lifter.analysis.live import LiveLifter
    from dlc_lifter.io import read_poses
    from dlc_lifter.lift import Lifter, lift_poses

    threads = [int(t) for t in str(args.threads).split(",") if t.strip()]
    torch.set_num_threads(max(threads))
    poses = read_poses(args.poses)
    if args.frames:
        poses = poses[: args.frames]
    lifter = Lifter.load(args.model)
    t0 = time.perf_counter()
    lifted = lift_poses(poses, lifter=lifter)  # what lift_file does, for its camera
    batch_ms = (time.perf_counter() - t0) * 1e3 / poses.n_frames
    from dlc_lifter.camera import Camera

    camera = Camera.from_dict(lifted.meta.extra["camera"])
    names = list(poses.keypoints)
    frames = np.concatenate([poses.coords[:, 0], poses.confidence[:, 0, :, None]], axis=-1)
    frames = np.nan_to_num(frames, nan=0.0)  # DLC-Live sends numbers, never NaN

    try:
        from dlc_lifter.analysis.live import processor_class

        proc_cls: type | None = processor_class()
    except Exception as exc:  # noqa: BLE001 - report, do not fail the benchmark
        logger.warning("DLC-Live processor skipped: %s", exc)
        proc_cls = None
    fps = poses.meta.fps or 30.0
    rows: list[tuple[str, str, int, np.ndarray | None]] = []
    for n_threads in threads:
        torch.set_num_threads(n_threads)
        for label, feats in (("keypoints only (lift)", False),
                             ("keypoints only (lift + features)", True)):
            ll = LiveLifter(camera, names, lifter, features=feats, fps=fps)
            ms = _time_frames(lambda f, ll=ll: ll.step(f), frames, args.warmup)
            rows.append((label, "LiveLifter.step", n_threads, ms))
        if proc_cls is not None:
            proc = proc_cls(keypoint_names=names, camera=camera, fps=fps)
            ms = _time_frames(lambda f, p=proc: p.process(f, frame_time=0.0), frames,
                              args.warmup)
            rows.append(("keypoints only (DLC-Live processor)", "LiftProcessor.process",
                         n_threads, ms))
        if lifter.model.n_extra == 0 and n_threads == threads[0]:
            rows.append(("with depth", "n/a (no depth model)", n_threads, None))

    print(f"Live lifting latency per frame: {args.poses.name}, {poses.n_frames} frames, "
          f"{len(names)} keypoints ({', '.join(names)})")
    print(f"camera: {camera!r} (source: {lifted.meta.extra['camera_source']}); model "
          f"{lifter.name} ({lifter.sha256}); torch {torch.__version__}, OMP_NUM_THREADS="
          f"{os.environ.get('OMP_NUM_THREADS', 'unset')}, {os.cpu_count()} CPUs visible, "
          f"{platform.processor() or platform.machine()}")
    head = (f"{'configuration':<38} {'call':<24} {'threads':>7} {'median ms':>9} "
            f"{'p99 ms':>8} {'max ms':>8}")
    print(head)
    print("-" * len(head))
    for label, call, n_threads, ms in rows:
        if ms is None:
            print(f"{label:<38} {call:<24} {n_threads:>7} {'n/a':>9} {'n/a':>8} {'n/a':>8}")
            continue
        print(f"{label:<38} {call:<24} {n_threads:>7} {np.median(ms):>9.3f} "
              f"{np.percentile(ms, 99):>8.3f} {ms.max():>8.3f}")
    print(f"(batch temporal lift of the whole file, for reference: {batch_ms:.3f} ms/frame)")
    ok = all(np.median(ms) < TARGET_MEDIAN_MS for lab, _, _, ms in rows
             if ms is not None and lab == "keypoints only (lift)")
    print(f"target: median < {TARGET_MEDIAN_MS:g} ms keypoints-only: "
          f"{'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
