"""Per-frame latency of live lifting (LiveLifter / the DLC-Live processor) on the CPU.

Streams the real openfield DeepLabCut output
(``../shared/realdata/dlc-openfield/analyzed/m3v1mp4DLC_...h5``: 2330 frames of snout,
leftear, rightear, tailbase, 640x480 video, no calibration) frame by frame through
:class:`dlc_lifter.lift.LiveLifter` (with features: wrapped in
:class:`dlc_lifter.analysis.LiveFeatures`), as DLC-Live would hand it over (x, y,
likelihood per keypoint), and prints the median and 99th-percentile latency per frame.
The camera is the one ``dlc-lifter lift`` estimates for the file (no calibration: from the
animal's size), taken from :func:`dlc_lifter.lift.lift_poses`'s output.

Rows: keypoints-only lifting (features off), lifting + live features, the DLC-Live
processor's ``process()`` (when ``deeplabcut-live`` is installed), and "with depth":
``LiveLifter(..., depth=True).step(pose, image)`` on the frames of the real video
(``videos/m3v1mp4.mp4``): crop around the mouse, depth network on the crop, cues at the
keypoints, one causal step of the fused lifter (image scale estimated from the first 30
poses, as live use does); it prints how the session's depth was judged by the depth network's
snout readings so far (``LiveLifter.depth_judgement``: at 30, 60, 120, ... readings; until
the final judgement, at ``live.LIVE_FINAL_READINGS``, the keypoints' stream steps too). The
video is decoded into memory *before* timing: the depth rows time ``step()`` only, not video
decoding (nor DLC's own pose inference).

Targets: keypoints only, median < 5 ms; with depth, median and p99 < 33 ms (30 fps).

Run from the repository root::

    OMP_NUM_THREADS=2 python benchmarks/live.py [--threads 1,2] [--frames 2330]
        [--depth-frames N] [--no-depth]
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

logger = logging.getLogger("benchmarks.live")

REAL = Path(__file__).resolve().parents[1] / ".." / "shared" / "realdata" / "dlc-openfield"
POSES = REAL / "analyzed" / "m3v1mp4DLC_resnet50_openfieldAug20shuffle1_30000.h5"
VIDEO = REAL / "videos" / "m3v1mp4.mp4"
TARGET_MEDIAN_MS = 5.0
TARGET_DEPTH_MS = 33.0


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


def _time_indexed(step: Callable[[int], object], n: int, warmup: int) -> np.ndarray:
    """Milliseconds of ``step(i)`` for ``i`` in ``range(n)`` (after ``warmup`` untimed)."""
    for i in range(min(warmup, n)):
        step(i)
    out = np.empty(n)
    clock = time.perf_counter
    for i in range(n):
        t0 = clock()
        step(i)
        out[i] = (clock() - t0) * 1e3
    return out


def _decode(video: Path, n: int) -> list[np.ndarray]:
    """The first ``n`` frames of ``video`` (RGB), decoded before any timing."""
    from dlc_lifter.io import open_video

    frames = []
    with open_video(video) as reader:
        for frame in reader:
            if len(frames) >= n:
                break
            frames.append(frame)
    return frames


def _live_lifter(camera: object, names: list[str], lifter: object, features: bool,
                 fps: float, depth: bool = False) -> object:
    """A LiveLifter (``depth``: with depth cues), wrapped in LiveFeatures with ``features``."""
    from dlc_lifter.analysis import LiveFeatures
    from dlc_lifter.lift import LiveLifter

    live = LiveLifter(camera, names, lifter, depth=depth)
    return LiveFeatures(live, fps=fps) if features else live


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--poses", type=Path, default=POSES, help="DLC 2D pose file to stream")
    ap.add_argument("--threads", default="1,2",
                    help="torch CPU thread counts to time, comma-separated (default 1,2)")
    ap.add_argument("--frames", type=int, default=None, help="stream only the first N frames")
    ap.add_argument("--warmup", type=int, default=30, help="untimed frames before timing")
    ap.add_argument("--model", type=Path, default=None, help="weights (default: shipped)")
    ap.add_argument("--video", type=Path, default=VIDEO,
                    help="the video the poses were tracked on (for the depth rows)")
    ap.add_argument("--depth-frames", type=int, default=None,
                    help="time depth on the first N frames only (default: all; the frames "
                         "are held in memory, ~0.9 MB each at 640x480)")
    ap.add_argument("--no-depth", action="store_true", help="skip the depth rows")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    import torch

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
        from dlc_lifter.integrations.dlclive import processor_class

        proc_cls: type | None = processor_class()
    except Exception as exc:  # noqa: BLE001 - report, do not fail the benchmark
        logger.warning("DLC-Live processor skipped: %s", exc)
        proc_cls = None
    fps = poses.meta.fps or 30.0
    images: list[np.ndarray] = []
    depth_skip = ""
    if not args.no_depth:
        try:
            from dlc_lifter.lift.depth_path import load_depth_models

            load_depth_models()
            n_depth = min(poses.n_frames, args.depth_frames or poses.n_frames)
            t0 = time.perf_counter()
            images = _decode(args.video, n_depth)
            logger.warning("decoded %d frames of %s in %.1f s (not timed)", len(images),
                           args.video.name, time.perf_counter() - t0)
            if len(images) < n_depth:
                depth_skip = f"video has {len(images)} of {n_depth} frames"
                images = []
        except Exception as exc:  # noqa: BLE001 - report, do not fail the benchmark
            depth_skip = str(exc).splitlines()[0][:60]
            images = []
    depth_used = math.nan
    judgement: dict | None = None
    rows: list[tuple[str, str, int, np.ndarray | None]] = []
    for n_threads in threads:
        torch.set_num_threads(n_threads)
        for label, feats in (("keypoints only (lift)", False),
                             ("keypoints only (lift + features)", True)):
            ll = _live_lifter(camera, names, lifter, feats, fps)
            ms = _time_frames(lambda f, ll=ll: ll.step(f), frames, args.warmup)
            rows.append((label, f"{type(ll).__name__}.step", n_threads, ms))
        if proc_cls is not None:
            proc = proc_cls(keypoint_names=names, camera=camera, fps=fps)
            ms = _time_frames(lambda f, p=proc: p.process(f, frame_time=0.0), frames,
                              args.warmup)
            rows.append(("keypoints only (DLC-Live processor)", "LiftProcessor.process",
                         n_threads, ms))
        if images:
            for label, feats in (("with depth (lift)", False),
                                 ("with depth (lift + features)", True)):
                ll = _live_lifter(camera, names, lifter, feats, fps, depth=True)
                ms = _time_indexed(lambda i, ll=ll: ll.step(frames[i], images[i]),
                                   len(images), args.warmup)
                rows.append((label, "step() (frames decoded)", n_threads, ms))
                ll.reset()
                depth_used = np.mean([ll.step(frames[i], images[i]).depth_used
                                      for i in range(len(images))])
                judgement = getattr(ll, "live_lifter", ll).depth_judgement
        elif n_threads == threads[0]:
            rows.append(("with depth", f"n/a ({depth_skip or 'skipped'})", n_threads, None))

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
    if images:
        print(f"with depth: {len(images)} frames of {args.video.name} decoded into memory "
              "before timing; the time is LiveLifter.step() only (crop, depth network, cues, "
              f"fused causal step[, features]); depth cues used on {100 * depth_used:.1f}% "
              "of frames (the others: no crop, keypoints only)")
        print(f"the session's depth judged by its snout readings (LiveLifter.depth_judgement): "
              f"{judgement}")
    ok = all(np.median(ms) < TARGET_MEDIAN_MS for lab, _, _, ms in rows
             if ms is not None and lab == "keypoints only (lift)")
    print(f"target: median < {TARGET_MEDIAN_MS:g} ms keypoints-only: "
          f"{'met' if ok else 'NOT met'}")
    if images:
        ok = all(np.median(ms) < TARGET_DEPTH_MS and np.percentile(ms, 99) < TARGET_DEPTH_MS
                 for lab, _, _, ms in rows if ms is not None and lab == "with depth (lift)")
        print(f"target: median and p99 < {TARGET_DEPTH_MS:g} ms with depth: "
              f"{'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
