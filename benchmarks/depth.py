"""Depth-network and fused-lifter benchmark: held-out renders, real frames, throughput.

Prints one table with:

* held-out renders (new seed: new mice, behaviours, coats, floors, arenas and cameras):
  height error on mouse pixels (mm), camera-depth AbsRel, and 3D keypoint error (MPJPE
  over tracked keypoints, all frames and rearing frames) of three methods side by side:
  PyMouse Lifter's method (predicted depth read at each 2D keypoint, point on its ray),
  the keypoints-only lifter and the fused lifter (keypoints + depth cues), for the
  openfield 4-keypoint set and the SuperAnimal 27-keypoint set;
* on the real DLC openfield video (``../shared/realdata``): predicted mouse-pixel heights
  (fraction within 0-120 mm, percentiles), floor heights, and the median 3D distance
  between the keypoints-only and fused lifts, plus ``docs/img/depth_panel.png``;
* end-to-end throughput of the depth path on that video (decode, crop, depth, cues, lift).

``--train`` first trains both networks (depth network on a rendered dataset, fused lifter
on rendered sequences) and writes the shipped weights. Run from the repository root::

    python benchmarks/depth.py [--train] [--threads 2] [--workdir /tmp/dlc_depth]
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger("benchmarks.depth")

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / ".." / "shared" / "realdata" / "dlc-openfield"
POSES = REAL / "analyzed" / "m3v1mp4DLC_resnet50_openfieldAug20shuffle1_30000.h5"
VIDEO = REAL / "videos" / "m3v1mp4.mp4"
WEIGHTS = ROOT / "dlc_lifter" / "data" / "weights"
PANEL = ROOT / "docs" / "img" / "depth_panel.png"
SPINE = ("nose", "head_midpoint", "neck", "mid_back", "mouse_center", "mid_backend",
         "mid_backend2", "mid_backend3", "tail_base", "tail1", "tail2")


# --------------------------------------------------------------------------- training
def train_all(args: argparse.Namespace) -> None:
    """Train the depth network and the fused lifter; write the shipped weights."""
    import torch

    from dlc_lifter.lift.core import Lifter
    from dlc_lifter.nets.depth import DepthTrainConfig, load_training_crops, train_depth
    from dlc_lifter.nets.fusion import FusedTrainConfig, clip_views, render_clips, train_fused
    from dlc_lifter.synth import synthesize

    torch.set_num_threads(1)
    work = Path(args.workdir)
    depth_path = WEIGHTS / "depth_net.pt"
    if not args.skip_depth:
        t0 = time.perf_counter()
        index = synthesize(work / "depth_train", args.depth_frames, seed=11, workers=2,
                           progress=False)
        crops = load_training_crops(index, rng=np.random.default_rng(5))
        cfg = DepthTrainConfig(steps=args.depth_steps, threads=1)
        model, _ = train_depth(crops, cfg)
        model.info["command"] = (f"benchmarks/depth.py --train: synthesize(n_frames="
                                 f"{args.depth_frames}, seed=11), load_training_crops(rng="
                                 f"default_rng(5)), train_depth(DepthTrainConfig(steps="
                                 f"{args.depth_steps}))")
        model.info["total_seconds"] = round(time.perf_counter() - t0, 1)
        model.save(depth_path)
        logger.info("Depth network written to %s", depth_path)
    from dlc_lifter.nets.depth import DepthModel

    depth = DepthModel.load(depth_path)
    base = Lifter.load().model
    t0 = time.perf_counter()
    rng = np.random.default_rng(23)
    views = []
    for i in range(args.fused_clips):
        clip = render_clips(1, args.fused_frames, seed=1000 + i)[0]
        views += clip_views(clip, depth, rng, pair_length_mm=base.pair_length_mm,
                            views=args.fused_views)
    logger.info("%d fused training views rendered in %.0f s", len(views),
                time.perf_counter() - t0)
    cfg = FusedTrainConfig(steps=args.fused_steps, lr=3e-4, scope="all", anchor_sequences=24,
                           threads=1)
    fused, _ = train_fused(base, views, cfg)
    fused.info["command"] = (f"benchmarks/depth.py --train: render_clips(1, {args.fused_frames}, "
                             f"seed=1000+i) for i < {args.fused_clips}, clip_views(views="
                             f"{args.fused_views}, rng=default_rng(23)), train_fused("
                             f"FusedTrainConfig(steps={args.fused_steps}, lr=3e-4, scope='all', "
                             "anchor_sequences=24))")
    fused.info["total_seconds"] = round(time.perf_counter() - t0, 1)
    fused.save(WEIGHTS / "depth_fused_lifter.pt")
    logger.info("Fused lifter written to %s", WEIGHTS / "depth_fused_lifter.pt")


# --------------------------------------------------------------------------- held-out
def held_out(args: argparse.Namespace, depth: Any, base: Any, fused: Any) -> dict[str, Any]:
    """Depth and 3D errors of the three methods on held-out rendered sequences."""
    from dlc_lifter.mouse.behaviour import BEHAVIOURS
    from dlc_lifter.nets.depth import crop_images, depth_from_height
    from dlc_lifter.nets.fusion import clip_views, ray_baseline, render_clips
    from dlc_lifter.nets.train import REARING

    rear_ids = [BEHAVIOURS.index(b) for b in REARING]
    sets = ("openfield", "superanimal_topviewmouse")
    acc: dict[str, Any] = {s: {m: [] for m in ("pymouse", "keypoints", "fused")} for s in sets}
    herr: dict[str, list[np.ndarray]] = {s: [] for s in sets}
    zrel: dict[str, list[np.ndarray]] = {s: [] for s in sets}
    floor_h: list[np.ndarray] = []
    rear_flags: dict[str, list[np.ndarray]] = {s: [] for s in sets}
    hmask: dict[str, list[np.ndarray]] = {s: [] for s in sets}
    coats = []
    rng = np.random.default_rng([args.seed, 3])
    for i in range(args.clips):
        clip = render_clips(1, args.frames, seed=args.seed + i)[0]
        coats.append(clip.coat)
        for s in sets:
            v = clip_views(clip, depth, rng, pair_length_mm=base.pair_length_mm, views=1,
                           keypoint_set=s, keep_depth=True)[0]
            fd = v.depth
            for t, c in enumerate(fd.crops):
                if c is None:
                    continue
                gt_h = crop_images(clip.height[t].astype(np.float32), [c],
                                   interpolation="nearest")[0]
                gt_z = crop_images(clip.depth[t], [c], interpolation="nearest")[0]
                gt_m = crop_images(clip.mask[t], [c], interpolation="nearest")[0]
                if not gt_m.any():
                    continue
                yy, xx = np.nonzero(gt_m)
                uv = c.to_image(np.stack([xx, yy], -1).astype(np.float64))
                pz = depth_from_height(fd.height[t][gt_m], uv, v.camera)
                herr[s].append(np.abs(fd.height[t][gt_m] - gt_h[gt_m]))
                zrel[s].append(np.abs(pz - gt_z[gt_m]) / gt_z[gt_m])
                if s == sets[0]:
                    floor_h.append(fd.height[t][(~gt_m) & (np.abs(gt_h) < 1.0)])
            obs = np.isfinite(v.uv).all(-1) & (np.nan_to_num(v.conf) >= 0.6)
            p_ko, _, _ = base.predict(v.uv, v.conf, v.camera, mode=args.mode)
            p_fu, _, _ = fused.predict(v.uv, v.conf, v.camera, mode=args.mode, extra=v.cues)
            p_py = ray_baseline(v.uv, v.cues, v.camera)
            for name, p in (("pymouse", p_py), ("keypoints", p_ko), ("fused", p_fu)):
                err = np.linalg.norm(p - v.world, axis=-1)
                acc[s][name].append(np.where(obs, err, np.nan))
            hmask[s].append(obs)
            rear_flags[s].append(np.isin(clip.behaviour, rear_ids))
    out: dict[str, Any] = {"coats": coats, "floor_abs_mm": float(np.median(np.abs(
        np.concatenate(floor_h)))) if floor_h else np.nan}
    for s in sets:
        rear = np.concatenate(rear_flags[s])
        res = {"height_mae_mm": float(np.concatenate(herr[s]).mean()),
               "depth_absrel": float(np.concatenate(zrel[s]).mean()),
               "n_frames": int(len(rear)), "n_rear": int(rear.sum())}
        for name in ("pymouse", "keypoints", "fused"):
            e = np.concatenate(acc[s][name])
            res[name] = float(np.nanmean(e))
            res[name + "_rear"] = float(np.nanmean(e[rear])) if rear.any() else np.nan
        out[s] = res
    return out


# --------------------------------------------------------------------------- real data
def real_frames(args: argparse.Namespace) -> dict[str, Any]:
    """Lift the real video with and without depth; heights, agreement, throughput, panel."""
    import torch

    from dlc_lifter.io import read_poses
    from dlc_lifter.lift.core import Lifter, lift_poses
    from dlc_lifter.lift.depth_path import lift_poses_with_depth, load_depth_models

    torch.set_num_threads(args.threads)
    poses = read_poses(POSES)
    lifter = Lifter.load()
    load_depth_models()  # weights load outside the timing, as in a warm CLI process
    t = poses.n_frames
    keep = np.linspace(60, t - 60, 6).astype(int).tolist()
    t0 = time.perf_counter()
    fused3d = lift_poses_with_depth(poses, VIDEO, lifter=lifter, keep=keep)
    seconds = time.perf_counter() - t0
    ko3d = lift_poses(poses, lifter=lifter)
    info = fused3d.meta.extra["depth"]
    kept = fused3d.meta.extra.get("depth_kept", {})
    # heights over every kept frame's predicted mouse and floor pixels, plus a dense
    # sample of frames for the statistics
    from dlc_lifter.io.video import open_video
    from dlc_lifter.lift.depth_path import _catalogue_arrays
    from dlc_lifter.nets.fusion import predict_depth

    depth, _ = load_depth_models()
    uv_cat, conf_cat = _catalogue_arrays(poses, None)
    rows = np.arange(0, t, 10)
    frames = []
    with open_video(VIDEO) as vr:
        for r in rows:
            frames.append(vr.read(int(r)))
    fd = predict_depth(frames, uv_cat[rows, 0], conf_cat[rows, 0], info["px_per_mm"][0], depth)
    mouse = fd.mask > 0.5
    floor = fd.mask < 0.1
    hm = fd.height[mouse]
    names = list(ko3d.keypoints)
    tracked = [names.index(k) for k in poses.keypoints]
    d = np.linalg.norm(ko3d.coords[:, 0, tracked] - fused3d.coords[:, 0, tracked], axis=-1)
    d_all = np.linalg.norm(ko3d.coords[:, 0] - fused3d.coords[:, 0], axis=-1)
    res = {
        "frames": t, "seconds": seconds, "fps": t / seconds, "stages": info.get("seconds", {}),
        "used": info.get("used"), "px_per_mm": info.get("px_per_mm"),
        "mouse_in_0_120": float(np.mean((hm >= 0) & (hm <= 120))) if hm.size else np.nan,
        "mouse_p50": float(np.percentile(hm, 50)) if hm.size else np.nan,
        "mouse_p99": float(np.percentile(hm, 99)) if hm.size else np.nan,
        "mouse_max": float(hm.max()) if hm.size else np.nan,
        "floor_median": float(np.median(fd.height[floor])) if floor.any() else np.nan,
        "floor_p95": float(np.percentile(fd.height[floor], 95)) if floor.any() else np.nan,
        "agree_tracked": float(np.nanmedian(d)), "agree_all": float(np.nanmedian(d_all)),
        "ko_height_tracked": float(np.nanmedian(ko3d.coords[:, 0, tracked, 2])),
        "fu_height_tracked": float(np.nanmedian(fused3d.coords[:, 0, tracked, 2])),
    }
    make_panel(kept, ko3d, fused3d, keep, poses)
    return res


def make_panel(kept: dict[int, dict[str, Any]], ko3d: Any, fused3d: Any, rows: list[int],
               poses: Any) -> None:
    """Frames, predicted height maps and lifted skeletons (side view) -> ``PANEL``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from dlc_lifter.nets.depth import crop_images

    names = list(ko3d.meta.extra.get("catalogue_names", ko3d.keypoints))
    spine = [names.index(k) for k in SPINE if k in names]
    fig, axes = plt.subplots(3, len(rows), figsize=(2.6 * len(rows), 8.2))
    for j, r in enumerate(rows):
        d = kept.get(r)
        ax0, ax1, ax2 = axes[0, j], axes[1, j], axes[2, j]
        for a in (ax0, ax1):
            a.set_xticks([])
            a.set_yticks([])
        if d is None or 0 not in d["crops"]:
            ax0.set_title(f"frame {r}: no crop", fontsize=8)
            continue
        crop = d["crops"][0]
        rgb = crop_images(d["rgb"], [crop])[0]
        ax0.imshow(rgb)
        kp = crop.to_crop(poses.coords[r, 0])
        ax0.scatter(kp[:, 0], kp[:, 1], s=10, c="tab:orange")
        ax0.set_title(f"frame {r}", fontsize=8)
        h = np.where(d["mask"][0] > 0.5, d["height"][0], np.nan)
        ax1.imshow(rgb.mean(-1), cmap="gray", alpha=0.5)
        im = ax1.imshow(h, cmap="viridis", vmin=0, vmax=80)
        ax1.set_title(f"height, max {np.nanmax(h) if np.isfinite(h).any() else 0:.0f} mm",
                      fontsize=8)
        for lab, p3, col, ls in (("keypoints only", ko3d.coords[r, 0], "0.45", "--"),
                                 ("fused", fused3d.coords[r, 0], "tab:red", "-")):
            ax_dir = p3[names.index("nose"), :2] - p3[names.index("tail_base"), :2]
            ax_dir = ax_dir / (np.linalg.norm(ax_dir) + 1e-9)
            base_xy = p3[names.index("tail_base"), :2]
            s = (p3[:, :2] - base_xy) @ ax_dir
            ax2.plot(s[spine], p3[spine, 2], ls, marker="o", ms=2, color=col, label=lab)
            ax2.scatter(s, p3[:, 2], s=4, color=col)
        ax2.axhline(0, color="k", lw=0.5)
        ax2.set_ylim(-5, 90)
        ax2.set_xlim(-90, 90)
        ax2.set_xlabel("along body (mm)", fontsize=7)
        ax2.tick_params(labelsize=6)
        if j == 0:
            ax2.set_ylabel("height (mm)", fontsize=7)
            ax2.legend(fontsize=6, loc="upper left")
    fig.colorbar(im, ax=axes[1, :].tolist(), shrink=0.8, label="predicted height (mm)")
    fig.suptitle("m3v1mp4 (real DLC openfield): crops, predicted height maps, lifted "
                 "skeletons (side view)", fontsize=9)
    PANEL.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(PANEL, dpi=110)
    plt.close(fig)
    logger.info("Panel written to %s", PANEL)


# --------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", action="store_true", help="train both networks first")
    ap.add_argument("--skip-depth", action="store_true", help="with --train: keep the depth net")
    ap.add_argument("--workdir", default="/tmp/dlc_depth")
    ap.add_argument("--depth-frames", type=int, default=4096)
    ap.add_argument("--depth-steps", type=int, default=7000)
    ap.add_argument("--fused-clips", type=int, default=48)
    ap.add_argument("--fused-frames", type=int, default=64)
    ap.add_argument("--fused-views", type=int, default=2)
    ap.add_argument("--fused-steps", type=int, default=800)
    ap.add_argument("--clips", type=int, default=16, help="held-out rendered sequences")
    ap.add_argument("--frames", type=int, default=64, help="frames per held-out sequence")
    ap.add_argument("--seed", type=int, default=777000, help="held-out seed")
    ap.add_argument("--mode", default="temporal")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-real", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    import torch

    from dlc_lifter.lift.core import Lifter
    from dlc_lifter.lift.depth_path import load_depth_models

    if args.train:
        train_all(args)
    torch.set_num_threads(1)
    depth, fused = load_depth_models()
    base = Lifter.load().model
    t0 = time.perf_counter()
    ho = held_out(args, depth, base, fused)
    logger.info("held-out evaluation %.0f s", time.perf_counter() - t0)
    real = None if args.no_real or not VIDEO.is_file() else real_frames(args)

    print(f"\nHeld-out renders: {args.clips} sequences x {args.frames} frames, seed "
          f"{args.seed} (coats: {', '.join(sorted(set(ho['coats'])))}), {args.mode} network")
    head = (f"{'keypoint set':<26}{'height MAE':>11}{'AbsRel':>8}  {'MPJPE mm: PyMouse':>18}"
            f"{'kp-only':>9}{'fused':>8}  {'rearing: PyMouse':>17}{'kp-only':>9}{'fused':>8}")
    print(head)
    print("-" * len(head))
    for s in ("openfield", "superanimal_topviewmouse"):
        r = ho[s]
        print(f"{s:<26}{r['height_mae_mm']:>9.2f}mm{r['depth_absrel']:>8.4f}  "
              f"{r['pymouse']:>18.2f}{r['keypoints']:>9.2f}{r['fused']:>8.2f}  "
              f"{r['pymouse_rear']:>17.2f}{r['keypoints_rear']:>9.2f}{r['fused_rear']:>8.2f}")
    print(f"(rearing frames: {ho['openfield']['n_rear']} of {ho['openfield']['n_frames']}; "
          f"predicted height on true floor pixels: median |h| {ho['floor_abs_mm']:.2f} mm)")
    if real is not None:
        print(f"\nReal frames: {VIDEO.name} + its DLC output ({real['frames']} frames; "
              f"depth path used: {real['used']}, scale {real['px_per_mm'][0]:.3f} px/mm)")
        rows = [
            ("mouse pixels with height in 0-120 mm", f"{100 * real['mouse_in_0_120']:.1f} %"),
            ("mouse-pixel height median / p99 / max",
             f"{real['mouse_p50']:.1f} / {real['mouse_p99']:.1f} / {real['mouse_max']:.1f} mm"),
            ("floor-pixel height median / p95",
             f"{real['floor_median']:.2f} / {real['floor_p95']:.2f} mm"),
            ("kp-only vs fused 3D, median dist (tracked)", f"{real['agree_tracked']:.2f} mm"),
            ("kp-only vs fused 3D, median dist (all 39)", f"{real['agree_all']:.2f} mm"),
            ("median tracked height kp-only / fused",
             f"{real['ko_height_tracked']:.1f} / {real['fu_height_tracked']:.1f} mm"),
            ("end-to-end throughput (decode..lift)",
             f"{real['fps']:.1f} frames/s ({real['seconds']:.1f} s, {args.threads} threads)"),
            ("  stages (s)", ", ".join(f"{k} {v:.1f}" for k, v in real["stages"].items())),
        ]
        for name, val in rows:
            print(f"  {name:<44}{val}")
        print(f"Panel: {PANEL.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
