"""Depth-network and fused-lifter benchmark: held-out renders, real frames, throughput.

Prints two held-out tables and the real-data rows:

* held-out renders (new seeds: new mice, behaviours, coats, floors, arenas and cameras),
  once with every behaviour (``--clips``, seed ``--seed``) and once rearing-rich
  (``--rear-clips``, seed ``--seed + 100000``, behaviours
  :data:`dlc_lifter.nets.fusion_train.REAR_MIX`): height error
  on mouse pixels (mm), camera-depth AbsRel, and 3D keypoint error (MPJPE over tracked
  keypoints, all frames and rearing frames) of three methods side by side, scored on the
  very same keypoints of the same frames: PyMouse Lifter's method (predicted depth read
  at each 2D keypoint, point on its ray), the keypoints-only lifter and the fused lifter
  (keypoints + depth cues), for the openfield 4-keypoint set and the SuperAnimal
  27-keypoint set, plus the fused lifter with its cues withheld (``(no cue)``: how much of
  its gain is fine-tuning on renders rather than depth), a 95 % bootstrap interval over
  sequences of the fused minus keypoints-only error, the depth network's height error and
  top height on rearing frames, and the error of the two height cues read at the tracked
  keypoints (the surface under the keypoint and the landmark-height output) against the
  keypoints' true heights;
* on the real DLC openfield video (``../shared/realdata``): predicted mouse-pixel heights
  (fraction within 0-120 mm, percentiles), floor heights, and the median 3D distance
  between the keypoints-only and fused lifts, plus ``docs/img/depth_panel.png``;
* end-to-end throughput of the depth path on that video (decode, crop, depth, cues, lift);
* with ``--sim2real``: does the depth network need style transfer (PyMouse Lifter needed
  it)? Two short trainings on the same renders, with and without the appearance
  augmentation, and the shipped network, scored on held-out renders (height error, mask
  IoU) and, label-free, on the real video (mask IoU against background subtraction, floor
  heights, plausible heights, top height).

The benchmark measures the shipped weights, or candidates given with ``--depth-weights`` /
``--fused-weights`` (the keypoints-only lifter is always the shipped one). The shipped
weights are trained by the package
(``dlc-lifter train depth`` and ``dlc-lifter train fused``:
:func:`dlc_lifter.nets.depth_train.train_depth_weights` and
:func:`dlc_lifter.nets.fusion_train.train_fused_weights`, the recipes
:class:`~dlc_lifter.nets.depth_train.DepthRecipe` and
:class:`~dlc_lifter.nets.fusion_train.FusedRecipe`), which write each with its JSON
sidecar. ``--sim2real`` trains two short depth networks in memory for its own comparison::

    python benchmarks/depth.py [--sim2real] [--threads 2] [--workdir /tmp/dlc_depth]
    python benchmarks/depth.py --clips 1 --frames 16 --rear-clips 0 --no-real  # smallest
    python benchmarks/depth.py --fused-weights /tmp/candidate/depth_fused_lifter.pt
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
PANEL = ROOT / "docs" / "img" / "depth_panel.png"
SPINE = ("nose", "head_midpoint", "neck", "mid_back", "mouse_center", "mid_backend",
         "mid_backend2", "mid_backend3", "tail_base", "tail1", "tail2")


# --------------------------------------------------------------------------- held-out
def _paired_ci(per_seq: list[tuple[float, int]], n_boot: int = 2000) -> tuple[float, float]:
    """95 % bootstrap interval (over sequences) of the fused minus keypoints-only MPJPE, from
    each sequence's summed error difference and point count."""
    d = np.array([x[0] for x in per_seq])
    n = np.array([x[1] for x in per_seq], dtype=np.float64)
    if not len(d) or n.sum() == 0:
        return (np.nan, np.nan)
    idx = np.random.default_rng(0).integers(0, len(d), (n_boot, len(d)))
    boot = d[idx].sum(1) / np.maximum(n[idx].sum(1), 1.0)
    return (float(np.percentile(boot, 2.5)), float(np.percentile(boot, 97.5)))


def held_out(args: argparse.Namespace, depth: Any, base: Any, fused: Any, *, seed: int,
             n_clips: int, behaviours: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Depth and 3D errors of the three methods on held-out rendered sequences.

    The three methods are scored on exactly the same keypoints of the same frames: the
    tracked ones (likelihood >= 0.6) of one simulated tracking of each clip, where every
    method gives a finite point (``n_points`` counts them).
    """
    from dlc_lifter.mouse.behaviour import BEHAVIOURS
    from dlc_lifter.nets.clips import render_clips
    from dlc_lifter.nets.crops import crop_images
    from dlc_lifter.nets.depth import depth_from_height
    from dlc_lifter.nets.fusion import ray_baseline
    from dlc_lifter.nets.fusion_train import clip_views
    from dlc_lifter.nets.train import REARING

    rear_ids = [BEHAVIOURS.index(b) for b in REARING]
    sets = ("openfield", "superanimal_topviewmouse")
    methods = ("pymouse", "keypoints", "fused", "fused_nocue")
    cue_err: dict[str, dict[str, list[np.ndarray]]] = {
        s: {"surface": [], "landmark": []} for s in sets}
    acc: dict[str, Any] = {s: {m: [] for m in methods} for s in sets}
    herr: dict[str, list[np.ndarray]] = {s: [] for s in sets}
    zrel: dict[str, list[np.ndarray]] = {s: [] for s in sets}
    herr_rear: dict[str, list[np.ndarray]] = {s: [] for s in sets}
    tops: dict[str, list[tuple[float, float]]] = {s: [] for s in sets}
    floor_h: list[np.ndarray] = []
    rear_flags: dict[str, list[np.ndarray]] = {s: [] for s in sets}
    hmask: dict[str, list[np.ndarray]] = {s: [] for s in sets}
    coats = []
    rng = np.random.default_rng([seed, 3])
    for i in range(n_clips):
        clip = render_clips(1, args.frames, seed=seed + i, behaviours=behaviours)[0]
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
                if clip.behaviour[t] in rear_ids:
                    herr_rear[s].append(herr[s][-1])
                    tops[s].append((np.percentile(fd.height[t][gt_m], 95),
                                    np.percentile(gt_h[gt_m], 95)))
                zrel[s].append(np.abs(pz - gt_z[gt_m]) / gt_z[gt_m])
                if s == sets[0]:
                    floor_h.append(fd.height[t][(~gt_m) & (np.abs(gt_h) < 1.0)])
            obs = np.isfinite(v.uv).all(-1) & (np.nan_to_num(v.conf) >= 0.6)
            p_ko, _, _ = base.predict(v.uv, v.conf, v.camera, mode=args.mode)
            p_fu, _, _ = fused.predict(v.uv, v.conf, v.camera, mode=args.mode, extra=v.cues)
            p_nc, _, _ = fused.predict(v.uv, v.conf, v.camera, mode=args.mode)  # no cues
            p_py = ray_baseline(v.uv, v.cues, v.camera)
            obs &= (np.isfinite(p_py).all(-1) & np.isfinite(p_ko).all(-1)
                    & np.isfinite(p_fu).all(-1))
            for name, p in (("pymouse", p_py), ("keypoints", p_ko), ("fused", p_fu),
                            ("fused_nocue", p_nc)):
                err = np.linalg.norm(p - v.world, axis=-1)
                acc[s][name].append(np.where(obs, err, np.nan))
            # the height cues themselves against the keypoints' true heights
            for name, ch in (("surface", 1), ("landmark", 7)):
                cue_err[s][name].append(np.where(obs, np.abs(v.cues[..., ch] * 100.0
                                                             - v.world[..., 2]), np.nan))
            hmask[s].append(obs)
            rear_flags[s].append(np.isin(clip.behaviour, rear_ids))
    out: dict[str, Any] = {"coats": coats, "floor_abs_mm": float(np.median(np.abs(
        np.concatenate(floor_h)))) if floor_h else np.nan}
    for s in sets:
        rear = np.concatenate(rear_flags[s])
        res = {"height_mae_mm": float(np.concatenate(herr[s]).mean()),
               "depth_absrel": float(np.concatenate(zrel[s]).mean()),
               "height_mae_rear_mm": float(np.concatenate(herr_rear[s]).mean())
               if herr_rear[s] else np.nan,
               "top_p95_rear_mm": tuple(np.median(np.array(tops[s]), 0).tolist())
               if tops[s] else (np.nan, np.nan),
               "n_frames": int(len(rear)), "n_rear": int(rear.sum()),
               "n_points": int(np.isfinite(np.concatenate(acc[s]["fused"])).sum()),
               "n_points_rear": int(np.isfinite(np.concatenate(acc[s]["fused"])[rear]).sum())}
        for name in methods:
            e = np.concatenate(acc[s][name])
            res[name] = float(np.nanmean(e))
            res[name + "_rear"] = float(np.nanmean(e[rear])) if rear.any() else np.nan
        res["fused_minus_kp_ci"] = _paired_ci(  # one entry per sequence, NaN where unscored
            [(float(np.nansum(f) - np.nansum(k)), int(np.isfinite(f).sum()))
             for f, k in zip(acc[s]["fused"], acc[s]["keypoints"], strict=True)])
        for name, errs in cue_err[s].items():
            e = np.concatenate(errs)
            res["cue_" + name] = float(np.nanmean(e))
            res["cue_" + name + "_rear"] = float(np.nanmean(e[rear])) if rear.any() else np.nan
        out[s] = res
    return out


# --------------------------------------------------------------------------- real data
def real_frames(args: argparse.Namespace) -> dict[str, Any]:
    """Lift the real video with and without depth; heights, agreement, throughput, panel."""
    import torch

    from dlc_lifter.io import read_poses
    from dlc_lifter.lift import Lifter, lift_poses
    from dlc_lifter.lift.depth_path import lift_poses_with_depth, load_depth_models

    torch.set_num_threads(args.threads)
    poses = read_poses(POSES)
    lifter = Lifter.load()
    weights = {"depth_weights": args.depth_weights, "fused_weights": args.fused_weights}
    load_depth_models(**weights)  # weights load outside the timing, as in a warm CLI process
    t = poses.n_frames
    keep = np.linspace(60, t - 60, 6).astype(int).tolist()
    t0 = time.perf_counter()
    fused3d = lift_poses_with_depth(poses, VIDEO, lifter=lifter, keep=keep, **weights)
    seconds = time.perf_counter() - t0
    ko3d = lift_poses(poses, lifter=lifter)
    info = fused3d.meta.extra["depth"]
    kept = fused3d.meta.extra.get("depth_kept", {})
    # heights over every kept frame's predicted mouse and floor pixels, plus a dense
    # sample of frames for the statistics
    from dlc_lifter.io.video import open_video
    from dlc_lifter.lift import catalogue_arrays
    from dlc_lifter.nets.cues import extract_cues

    depth, _ = load_depth_models(**weights)
    uv_cat, conf_cat, _ = catalogue_arrays(poses)
    rows = np.arange(0, t, 10)
    frames = []
    with open_video(VIDEO) as vr:
        for r in rows:
            frames.append(vr.read(int(r)))
    fd = extract_cues(frames, uv_cat[rows, 0], conf_cat[rows, 0], depth,
                      px_per_mm=info["px_per_mm"][0]).depth
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
        "cue_tracked": info.get("cue_fraction_tracked", np.nan),
        "cue_all": info.get("cue_fraction", np.nan),
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

    from dlc_lifter.nets.crops import crop_images

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


# --------------------------------------------------------------------------- sim-to-real
def _train_short_depth(index: str, steps: int, augment: float) -> Any:
    """One short depth-network training on the rendered dataset ``index`` (own process)."""
    import torch

    from dlc_lifter.nets.depth_train import DepthTrainConfig, load_training_crops, train_depth

    torch.set_num_threads(1)
    crops = load_training_crops(index, rng=np.random.default_rng(5))
    model, _ = train_depth(crops, DepthTrainConfig(steps=steps, threads=1, rear_weight=4.0,
                                                   top_weight=1.0, augment=augment))
    return model


def _mouse_blob(mask: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """The opened mask's connected component nearest the crop centre (the tracked mouse,
    without tail, cables or other things that differ from the background)."""
    import cv2

    m = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, kernel)
    n, lab, _, cent = cv2.connectedComponentsWithStats(m)
    if n <= 1:
        return m.astype(bool)
    s = mask.shape[0] / 2
    return lab == 1 + int(np.argmin(np.hypot(cent[1:, 0] - s, cent[1:, 1] - s)))


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


def sim_to_real(args: argparse.Namespace, base: Any) -> dict[str, dict[str, float]]:
    """Does the depth network need style transfer? Render and real-video scores of the
    shipped network and of two short trainings on the same renders, with and without the
    appearance augmentation.

    Real frames have no depth ground truth, so the real scores are label-free: the
    predicted mouse mask against a background-subtraction mask (the median of frames in
    which the mouse is at least 130 mm away; both masks opened and reduced to the blob at
    the crop centre, so tail and cables do not count), predicted floor heights, the share
    of mouse pixels within 0-120 mm and the median per-frame top height (p95 of the
    mouse's pixels). The render scores use the same mask measure against the true mask.
    """
    from concurrent.futures import ProcessPoolExecutor

    import cv2

    from dlc_lifter.io import read_poses
    from dlc_lifter.io.video import open_video
    from dlc_lifter.lift import catalogue_arrays
    from dlc_lifter.lift.depth_path import load_depth_models
    from dlc_lifter.nets.clips import render_clips
    from dlc_lifter.nets.crops import crop_images, px_per_mm_from_keypoints
    from dlc_lifter.nets.cues import extract_cues
    from dlc_lifter.nets.fusion_train import clip_views
    from dlc_lifter.synth import synthesize

    t0 = time.perf_counter()
    index = synthesize(Path(args.workdir) / f"depth_train_{args.depth_frames}",
                       args.depth_frames, seed=11, workers=2, progress=False)
    with ProcessPoolExecutor(2) as pool:
        futs = {a: pool.submit(_train_short_depth, str(index), args.sim2real_steps, a)
                for a in (1.0, 0.0)}
        given = "shipped" if args.depth_weights is None else "given (--depth-weights)"
        models = {f"{given} (augmented)": load_depth_models(args.depth_weights)[0],
                  f"{args.sim2real_steps} steps, augmented": futs[1.0].result(),
                  f"{args.sim2real_steps} steps, plain renders": futs[0.0].result()}
    logger.info("sim-to-real: short trainings done in %.0f s", time.perf_counter() - t0)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9))
    clips = render_clips(args.sim2real_clips, 16, seed=args.seed + 200000)
    poses = read_poses(POSES)
    uv, conf, _ = catalogue_arrays(poses)
    uv, conf = uv[:, 0], conf[:, 0]
    ppm = px_per_mm_from_keypoints(uv, conf, base.pair_length_mm)
    t = poses.n_frames
    ok = np.nan_to_num(conf) >= 0.6
    cen = np.full((t, 2), np.nan)
    has = ok.any(1)
    cen[has] = [np.nanmean(uv[i][ok[i]], 0) for i in np.flatnonzero(has)]
    pool_rows = np.linspace(0, t - 1, 160).astype(int)
    rows = np.arange(5, t, 20)
    with open_video(VIDEO) as vr:
        bank = np.stack([cv2.cvtColor(vr.read(int(i)), cv2.COLOR_RGB2GRAY)
                         for i in pool_rows]).astype(np.float32)
        frames = [vr.read(int(r)) for r in rows]
    refs: dict[int, np.ndarray] = {}
    out: dict[str, dict[str, float]] = {}
    for name, model in models.items():
        rng = np.random.default_rng([args.seed, 11])
        herr, r_iou = [], []
        for clip in clips:
            v = clip_views(clip, model, rng, pair_length_mm=base.pair_length_mm, views=1,
                           keypoint_set="openfield", keep_depth=True)[0]
            for i, c in enumerate(v.depth.crops):
                if c is None:
                    continue
                gt_m = crop_images(clip.mask[i], [c], interpolation="nearest")[0]
                gt_h = crop_images(clip.height[i].astype(np.float32), [c],
                                   interpolation="nearest")[0]
                if gt_m.any():
                    herr.append(np.abs(v.depth.height[i][gt_m] - gt_h[gt_m]))
                    r_iou.append(_iou(_mouse_blob(gt_m, kernel),
                                      _mouse_blob(v.depth.mask[i] > 0.5, kernel)))
        fd = extract_cues(frames, uv[rows], conf[rows], model, px_per_mm=ppm).depth
        ious, tops = [], []
        for j, c in enumerate(fd.crops):
            r = rows[j]
            if c is None or not np.isfinite(cen[r]).all():
                continue
            if j not in refs:
                far = np.linalg.norm(cen[pool_rows] - cen[r], axis=1) > 130.0 * ppm
                if far.sum() < 10:
                    continue
                g = cv2.cvtColor(frames[j], cv2.COLOR_RGB2GRAY).astype(np.float32)
                fg = np.abs(g - np.median(bank[far], 0)) > 30
                refs[j] = _mouse_blob(crop_images(fg.astype(np.uint8), [c],
                                                  interpolation="nearest")[0], kernel)
            ious.append(_iou(refs[j], _mouse_blob(fd.mask[j] > 0.5, kernel)))
            body = fd.mask[j] > 0.5
            if body.any():
                tops.append(np.percentile(fd.height[j][body], 95))
        mouse = fd.height[fd.mask > 0.5]
        floor = fd.height[fd.mask < 0.1]
        out[name] = {"render_height_mae": float(np.concatenate(herr).mean()),
                     "render_iou": float(np.median(r_iou)),
                     "real_iou": float(np.median(ious)), "real_iou_p10": float(
                         np.percentile(ious, 10)), "n_real": len(ious),
                     "real_floor": float(np.median(np.abs(floor))) if floor.size else np.nan,
                     "real_in_range": float(np.mean((mouse >= 0) & (mouse <= 120)))
                     if mouse.size else np.nan,
                     "real_top": float(np.median(tops)) if tops else np.nan}
    return out


def print_sim_to_real(res: dict[str, dict[str, float]], args: argparse.Namespace) -> None:
    """The sim-to-real table."""
    n = next(iter(res.values()))["n_real"]
    print(f"\nSim-to-real (does the depth net need style transfer?): {args.sim2real_clips} "
          f"held-out renders x 16 frames; {n} real frames of {VIDEO.name}")
    head = (f"{'depth network':<30}{'render: height MAE':>19}{'mask IoU':>9}  "
            f"{'real: mask IoU (p10)':>21}{'floor |h|':>10}{'in 0-120':>9}{'top p95':>9}")
    print(head)
    print("-" * len(head))
    for name, r in res.items():
        print(f"{name:<30}{r['render_height_mae']:>17.2f}mm{r['render_iou']:>9.3f}  "
              f"{r['real_iou']:>14.3f} ({r['real_iou_p10']:.2f}){r['real_floor']:>8.2f}mm"
              f"{100 * r['real_in_range']:>8.1f}%{r['real_top']:>7.1f}mm")
    print("  real mask IoU: predicted mouse mask vs background subtraction (label-free); "
          "top p95: median over frames of the 95th-percentile mouse-pixel height")


# --------------------------------------------------------------------------- main
def print_table(title: str, ho: dict[str, Any], args: argparse.Namespace) -> None:
    """One held-out table: depth errors and the three methods' 3D errors."""
    r0 = ho["openfield"]
    print(f"\n{title}: {r0['n_frames'] // args.frames} sequences x {args.frames} frames "
          f"(coats: {', '.join(sorted(set(ho['coats'])))}), {args.mode} network")
    head = (f"{'keypoint set':<26}{'height MAE':>11}{'AbsRel':>8}  {'MPJPE mm: PyMouse':>18}"
            f"{'kp-only':>9}{'fused':>8}{'(no cue)':>9}  {'rearing: PyMouse':>17}{'kp-only':>9}"
            f"{'fused':>8}{'(no cue)':>9}")
    print(head)
    print("-" * len(head))
    for s in ("openfield", "superanimal_topviewmouse"):
        r = ho[s]
        print(f"{s:<26}{r['height_mae_mm']:>9.2f}mm{r['depth_absrel']:>8.4f}  "
              f"{r['pymouse']:>18.2f}{r['keypoints']:>9.2f}{r['fused']:>8.2f}"
              f"{r['fused_nocue']:>9.2f}  {r['pymouse_rear']:>17.2f}{r['keypoints_rear']:>9.2f}"
              f"{r['fused_rear']:>8.2f}{r['fused_nocue_rear']:>9.2f}")
    print("  (no cue): the fused lifter with its depth cues withheld, i.e. what fine-tuning on "
          "renders alone gives")
    for s in ("openfield", "superanimal_topviewmouse"):
        r = ho[s]
        print(f"  {s}: {r['n_points']} scored keypoints ({r['n_points_rear']} on "
              f"{r['n_rear']} rearing frames of {r['n_frames']}), the same for all three "
              f"methods; rearing frames: height MAE {r['height_mae_rear_mm']:.1f} mm, "
              f"p95 mouse height predicted / true {r['top_p95_rear_mm'][0]:.0f} / "
              f"{r['top_p95_rear_mm'][1]:.0f} mm")
        lo, hi = r["fused_minus_kp_ci"]
        print(f"    fused - kp-only over all frames {r['fused'] - r['keypoints']:+.2f} mm, 95 % "
              f"bootstrap interval over sequences [{lo:+.2f}, {hi:+.2f}] mm")
        print(f"    height cue vs true keypoint height, MAE all / rearing: surface under the "
              f"keypoint (patch median) {r['cue_surface']:.1f} / {r['cue_surface_rear']:.1f} mm,"
              f" landmark output {r['cue_landmark']:.1f} / {r['cue_landmark_rear']:.1f} mm")
    print(f"  predicted height on true floor pixels: median |h| {ho['floor_abs_mm']:.2f} mm")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workdir", default="/tmp/dlc_depth",
                    help="folder of the rendered dataset --sim2real trains on")
    ap.add_argument("--depth-frames", type=int, default=6144,
                    help="frames of that dataset (the shipped depth recipe's)")
    ap.add_argument("--clips", type=int, default=32, help="held-out rendered sequences")
    ap.add_argument("--frames", type=int, default=64, help="frames per held-out sequence")
    ap.add_argument("--rear-clips", type=int, default=16,
                    help="held-out rearing-rich sequences (seed + 100000)")
    ap.add_argument("--seed", type=int, default=777000, help="held-out seed")
    ap.add_argument("--mode", default="temporal")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-real", action="store_true")
    ap.add_argument("--depth-weights", default=None, metavar="PATH",
                    help="depth network weights to measure (default: the shipped ones)")
    ap.add_argument("--fused-weights", default=None, metavar="PATH",
                    help="fused lifter weights to measure (default: the shipped ones)")
    ap.add_argument("--sim2real", action="store_true",
                    help="also train two short depth nets (augmented / plain renders) and "
                         "compare them with the shipped one on renders and real frames")
    ap.add_argument("--sim2real-steps", type=int, default=1500)
    ap.add_argument("--sim2real-clips", type=int, default=8)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    import torch

    from dlc_lifter.lift import Lifter
    from dlc_lifter.lift.depth_path import load_depth_models
    from dlc_lifter.nets.fusion_train import REAR_MIX

    torch.set_num_threads(1)
    depth, fused = load_depth_models(args.depth_weights, args.fused_weights)
    base = Lifter.load().model
    t0 = time.perf_counter()
    ho_all = held_out(args, depth, base, fused, seed=args.seed, n_clips=args.clips)
    ho_rear = (held_out(args, depth, base, fused, seed=args.seed + 100000,
                        n_clips=args.rear_clips, behaviours=REAR_MIX)
               if args.rear_clips else None)
    logger.info("held-out evaluation %.0f s", time.perf_counter() - t0)
    real = None if args.no_real or not VIDEO.is_file() else real_frames(args)
    s2r = sim_to_real(args, base) if args.sim2real and VIDEO.is_file() else None

    for title, ho in (("Held-out renders", ho_all), ("Held-out rearing-rich renders "
                                                     f"(behaviours {', '.join(REAR_MIX)})",
                                                     ho_rear)):
        if ho is None:
            continue
        print_table(title, ho, args)
    if real is not None:
        print(f"\nReal frames: {VIDEO.name} + its DLC output ({real['frames']} frames; "
              f"depth path used: {real['used']}, scale {real['px_per_mm'][0]:.3f} px/mm)")
        rows = [
            ("depth cues on tracked keypoints (all slots)",
             f"{100 * real['cue_tracked']:.1f} % ({100 * real['cue_all']:.1f} % of 39)"),
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
            ("  depth network alone (128x128 crops)",
             f"{real['frames'] / max(real['stages'].get('depth', np.nan), 1e-9):.0f} crops/s "
             f"(one crop per frame, batches of 32)"),
        ]
        for name, val in rows:
            print(f"  {name:<44}{val}")
        print(f"Panel: {PANEL.relative_to(ROOT)}")
    if s2r is not None:
        print_sim_to_real(s2r, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
