"""How high are real mouse keypoints, and how high is the synthetic mouse's? Per keypoint.

Compares keypoint heights above the floor of the synthetic population (the behaviour model
that trains the lifter) with two real sets in ``../shared/realdata``: DANNCE's hand-labelled
3D mouse (``dannce-mouse1``, 81 frames, split into rearing frames, snout above 60 mm, and
the rest) and OIST's marker motion capture (``oist-openfield-mocap``, 3600 frames, back,
hip and knee skin markers, matched to the nearest catalogue landmark). Prints median and
10-90 % range per keypoint and draws ``docs/img/height_distributions.png``. A second table
compares body length (nose to tail base, 3D and seen from above) by snout height: real mice
are compressed when nose-down and stretched when rearing, and the 2D length over a whole
session (percentiles, with DLCAnalyzer's ``oft-rearing`` file scaled by its 420 mm arena)
is the prior a camera estimated from the animal rests on. Real sets are measured, never
trained on.

    python benchmarks/heights.py [--sequences 40] [--no-plot]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dlc_lifter.nets.train import POSTURE_SHARES

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "realdata"
DANNCE = REAL / "dannce-mouse1" / "labels3d.csv"
OIST = REAL / "oist-openfield-mocap" / "markers3d.csv"
OFT = REAL / "oft-rearing" / "OFT_38DLC_resnet50_BlockcourseMay9shuffle1_1030000.h5"
OFT_VOTES = REAL / "oft-rearing" / "OFT_38_rear_votes.csv"
OFT_ARENA_MM = 420.0
#: Snout-height bins (mm) of the body-length table.
SNOUT_BINS = ((-5.0, 15.0), (15.0, 30.0), (30.0, 60.0), (60.0, 80.0), (80.0, 200.0))
#: Snout-height bands (mm) of the posture table (frames per band, forepaws' height).
SNOUT_BANDS = ((-10.0, 15.0), (15.0, 30.0), (30.0, 45.0), (45.0, 60.0), (60.0, 80.0),
               (80.0, 300.0))
PLOT = ROOT / "docs" / "img" / "height_distributions.png"
REARING_SNOUT_MM = 60.0
#: Catalogue landmark -> the OIST skin markers nearest to it (both sides pooled).
OIST_MARKERS = {"mid_back": ("left_back", "right_back"), "left_hip": ("left_hip", "right_hip"),
                "left_knee": ("left_knee", "right_knee")}
#: Catalogue landmarks compared, and their DANNCE names.
COMPARED = {"nose": "Snout", "left_ear": "EarL", "neck": "SpineF", "mid_back": None,
            "mouse_center": "SpineM", "left_hip": None, "tail_base": "Tail_base",
            "left_knee": "KneeL", "left_forepaw": "ForepawL", "left_hindpaw": "HindpawL"}


def shipped_shares() -> dict[str, float]:
    """The posture shares the shipped per-frame networks were trained with (their
    sidecar's config; those above 0)."""
    from dlc_lifter.io.weights import read_sidecar

    config = read_sidecar(ROOT / "dlc_lifter" / "data" / "weights" / "lifter.pt").get(
        "config", {})
    return {k: float(config[k]) for k in POSTURE_SHARES if float(config.get(k, 0.0)) > 0}


def synthetic(n_sequences: int, seed: int, shares: dict[str, float] | None = None
              ) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], np.ndarray]:
    """``(frames, K, 3)`` landmarks (mm), ``(frames,)`` behaviour index, the behaviour
    names and ``(frames,)`` distance of the body centre to the nearest wall (mm), of
    sequences drawn with the posture ``shares``."""
    from dlc_lifter.mouse.behaviour import BEHAVIOURS, generate_sequences
    from dlc_lifter.mouse.catalogue import CATALOGUE

    seqs = generate_sequences(n_sequences, 300, seed=seed, **(shares or {}))
    walls = []
    for s in seqs:
        c = s.landmarks[:, CATALOGUE.index("mouse_center"), :2]
        walls.append(np.minimum(np.minimum(c[:, 0], s.arena_mm[0] - c[:, 0]),
                                np.minimum(c[:, 1], s.arena_mm[1] - c[:, 1])))
    return (np.concatenate([s.landmarks for s in seqs]),
            np.concatenate([s.behaviour for s in seqs]), tuple(BEHAVIOURS),
            np.concatenate(walls))


def _oft_tracking() -> tuple[Any, list[str], np.ndarray, dict[str, np.ndarray]]:
    """oft-rearing's poses, keypoint names, ``(frames, K, 2)`` pixels and the median pixel
    of each tracked arena corner (``tl, tr, bl, br``)."""
    from dlc_lifter import read_poses

    poses = read_poses(OFT)
    names = list(poses.keypoints)
    uv = poses.coords[:, 0]
    corner = {n: np.nanmedian(uv[:, names.index(n)], axis=0) for n in ("tl", "tr", "bl", "br")}
    return poses, names, uv, corner


def _oft_wall_distance_mm() -> tuple[np.ndarray, np.ndarray]:
    """oft-rearing: body centre (mean of ``bcl, bcr, hipl, hipr, headcentre``) to the
    nearest wall (mm, the arena's tracked corners scaled to 420 mm), and the frames with no
    rear vote."""
    poses, names, uv, corner = _oft_tracking()
    body = np.nanmean(uv[:, [names.index(n) for n in ("bcl", "bcr", "hipl", "hipr",
                                                      "headcentre")]], axis=1)
    x0, x1 = (corner["tl"][0] + corner["bl"][0]) / 2, (corner["tr"][0] + corner["br"][0]) / 2
    y0, y1 = (corner["tl"][1] + corner["tr"][1]) / 2, (corner["bl"][1] + corner["br"][1]) / 2
    d = np.minimum(np.minimum((body[:, 0] - x0) / (x1 - x0), (x1 - body[:, 0]) / (x1 - x0)),
                   np.minimum((body[:, 1] - y0) / (y1 - y0), (y1 - body[:, 1]) / (y1 - y0)))
    votes = pd.read_csv(OFT_VOTES).set_index("frame")["rear_votes"]
    no_rear = votes.reindex(np.asarray(poses.frame_indices)).to_numpy() == 0
    return d * OFT_ARENA_MM, no_rear


def _print_walls(wall_syn: np.ndarray, rear_syn: np.ndarray, wall_rear: np.ndarray) -> None:
    """How near the walls mice are when not rearing: synthetic vs oft-rearing."""
    print()
    print("Body centre to the nearest wall, non-rearing frames, mm: p10 / p50 and share "
          "within 40 / 60 mm")
    sets = {"synthetic": wall_syn[~rear_syn]}
    if OFT.is_file() and OFT_VOTES.is_file():
        d, no_rear = _oft_wall_distance_mm()
        sets["oft-rearing (0 rear votes)"] = d[no_rear]
    for name, x in sets.items():
        x = x[np.isfinite(x)]
        p10, p50 = np.percentile(x, [10, 50])
        print(f"{name:>28} {p10:>6.0f} {p50:>6.0f} {100 * np.mean(x < 40):>5.0f} % "
              f"{100 * np.mean(x < 60):>5.0f} %")
    near = wall_syn < 60
    print(f"synthetic frames within 60 mm of a wall that are wall rears: "
          f"{100 * np.mean(wall_rear[near]) if near.any() else float('nan'):.0f} %")


def _stats(z: np.ndarray) -> str:
    z = z[np.isfinite(z)]
    if not len(z):
        return "-"
    p10, p50, p90 = np.percentile(z, [10, 50, 90])
    return f"{p50:5.1f} ({p10:4.1f}-{p90:4.1f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequences", type=int, default=40)
    parser.add_argument("--seed", type=int, default=4242)
    parser.add_argument("--no-plot", action="store_true")
    parser.add_argument("--postures", default="shipped",
                        help="Posture shares of the synthetic population: 'shipped' (those "
                        "the shipped per-frame networks were trained with), 'none' (the "
                        "generator's default) or NAME=SHARE,... (e.g. nose_down_share=0.5).")
    args = parser.parse_args(argv)
    if not DANNCE.is_file() or not OIST.is_file():
        print(f"The real sets are not in {REAL}: nothing to compare.")
        return 1
    from dlc_lifter.mouse.catalogue import CATALOGUE

    shares = _shares(args.postures)
    lm, beh, names, wall_syn = synthetic(args.sequences, args.seed, shares)
    z = lm[..., 2]
    rear_syn = np.isin(beh, [names.index(b) for b in ("rear", "rear_wall")])
    dannce = pd.read_csv(DANNCE)
    rear_real = dannce["Snout_z"].to_numpy() > REARING_SNOUT_MM
    oist = pd.read_csv(OIST)
    rows = []
    for landmark, dname in COMPARED.items():
        k = CATALOGUE.index(landmark)
        real_d = dannce[f"{dname}_z"].to_numpy() if dname else np.array([np.nan])
        markers = list(OIST_MARKERS.get(landmark, ()))
        real_o = (np.concatenate([oist[f"{m}_z"].to_numpy() for m in markers]) if markers
                  else np.array([np.nan]))
        rows.append({
            "landmark": landmark, "DANNCE name": dname or "-",
            "synthetic, not rearing": _stats(z[~rear_syn, k]),
            "DANNCE, not rearing": _stats(real_d[~rear_real] if dname else real_d),
            "synthetic, rearing": _stats(z[rear_syn, k]),
            "DANNCE, rearing": _stats(real_d[rear_real] if dname else real_d),
            "OIST mocap (all)": _stats(real_o) + (f" [{', '.join(markers)}]" if markers
                                                  else ""),
        })
    table = pd.DataFrame(rows).set_index("landmark")
    print("Keypoint height above the floor, mm: median (10-90 %)")
    print(f"synthetic: {len(z)} frames of {args.sequences} sequences (seed {args.seed}, "
          f"postures {shares or 'none'}), "
          f"{int(rear_syn.sum())} rearing; DANNCE: {len(dannce)} frames, "
          f"{int(rear_real.sum())} rearing (snout > {REARING_SNOUT_MM:.0f} mm); OIST: "
          f"{len(oist)} frames")
    with pd.option_context("display.width", 200, "display.max_colwidth", 40):
        print(table.to_string())
    _print_lengths(lm, dannce)
    _print_bands(lm, dannce)
    _print_walls(wall_syn, rear_syn, beh == names.index("rear_wall"))
    print(f"command: python benchmarks/heights.py --sequences {args.sequences} --postures "
          f"{args.postures}")
    if not args.no_plot:
        _plot(z, rear_syn, dannce, rear_real, oist, PLOT)
        print(f"plot: {PLOT.relative_to(ROOT)}")
    return 0


def _shares(text: str) -> dict[str, float]:
    """``--postures``: 'shipped', 'none' or NAME=SHARE,..."""
    if text == "shipped":
        return shipped_shares()
    if text == "none":
        return {}
    out = {}
    for item in text.split(","):
        name, _, value = item.partition("=")
        if name.strip() not in POSTURE_SHARES or not value:
            raise SystemExit(f"--postures: '{item}' is not NAME=SHARE with NAME one of "
                             f"{', '.join(POSTURE_SHARES)}.")
        out[name.strip()] = float(value)
    return out


def _print_bands(lm: np.ndarray, dannce: pd.DataFrame) -> None:
    """Share of frames per snout-height band and the forepaws' median height there
    (DANNCE vs synthetic): which postures between flat and rearing each set holds."""
    from dlc_lifter.mouse.catalogue import CATALOGUE

    snout_syn = lm[:, CATALOGUE.index("nose"), 2]
    paws_syn = lm[:, [CATALOGUE.index("left_forepaw"), CATALOGUE.index("right_forepaw")],
                  2].mean(axis=1)
    snout_real = dannce["Snout_z"].to_numpy()
    paws_real = dannce[["ForepawL_z", "ForepawR_z"]].to_numpy().mean(axis=1)
    labelled = np.isfinite(snout_real)
    print()
    print("Frames by snout height: share of frames, forepaws' median height (mm)")
    print(f"{'snout height':>14} {'DANNCE':>8} {'paws':>6} {'synthetic':>10} {'paws':>6}")
    for lo, hi in SNOUT_BANDS:
        r = (snout_real >= lo) & (snout_real < hi)
        m = (snout_syn >= lo) & (snout_syn < hi)
        pr = np.nanmedian(paws_real[r]) if np.isfinite(paws_real[r]).any() else np.nan
        ps = np.median(paws_syn[m]) if m.any() else np.nan
        print(f"{f'{lo:.0f}-{hi:.0f} mm':>14} {100 * r.sum() / labelled.sum():>7.0f}% "
              f"{pr:>6.1f} {100 * m.mean():>9.0f}% {ps:>6.1f}")


def _oft_lengths_mm() -> np.ndarray:
    """2D nose-tail base lengths (mm) of the oft-rearing file, scaled by its arena's sides."""
    poses, names, uv, corner = _oft_tracking()
    conf = poses.confidence[:, 0]
    across = (np.linalg.norm(corner["tr"] - corner["tl"])
              + np.linalg.norm(corner["br"] - corner["bl"])) / 2 / OFT_ARENA_MM
    down = (np.linalg.norm(corner["bl"] - corner["tl"])
            + np.linalg.norm(corner["br"] - corner["tr"])) / 2 / OFT_ARENA_MM
    nose, tail = names.index("nose"), names.index("tailbase")
    ok = (conf[:, nose] > 0.6) & (conf[:, tail] > 0.6)
    return np.linalg.norm((uv[ok, nose] - uv[ok, tail]) / np.array([across, down]), axis=1)


def _print_lengths(lm: np.ndarray, dannce: pd.DataFrame) -> None:
    """Nose-tail base length by snout height (DANNCE vs synthetic ``lm``), and 2D
    percentiles."""
    from dlc_lifter.mouse.catalogue import CATALOGUE

    d_syn = lm[:, CATALOGUE.index("nose")] - lm[:, CATALOGUE.index("tail_base")]
    snout_syn = lm[:, CATALOGUE.index("nose"), 2]
    d_real = (dannce[["Snout_x", "Snout_y", "Snout_z"]].to_numpy()
              - dannce[["Tail_base_x", "Tail_base_y", "Tail_base_z"]].to_numpy())
    snout_real = dannce["Snout_z"].to_numpy()
    print()
    print("Nose to tail base, mm: median 3D length by snout height (DANNCE vs synthetic)")
    print(f"{'snout height':>14} {'DANNCE n':>9} {'DANNCE 3D':>10} {'synthetic 3D':>13}")
    for lo, hi in SNOUT_BINS:
        r = (snout_real > lo) & (snout_real <= hi)
        m = (snout_syn > lo) & (snout_syn <= hi)
        real = np.nanmedian(np.linalg.norm(d_real[r], axis=1)) if r.any() else np.nan
        syn = np.median(np.linalg.norm(d_syn[m], axis=1)) if m.any() else np.nan
        print(f"{f'{lo:.0f}-{hi:.0f} mm':>14} {int(r.sum()):>9} {real:>10.1f} {syn:>13.1f}")
    sets = {"synthetic": np.linalg.norm(d_syn[:, :2], axis=1),
            "DANNCE": np.linalg.norm(d_real[:, :2], axis=1)}
    if OFT.is_file():
        sets["oft-rearing (arena-scaled)"] = _oft_lengths_mm()
    print("Nose to tail base seen from above (2D), mm, over all frames")
    print(f"{'set':>28} {'p50':>6} {'p90':>6} {'frames':>7}")
    for name, x in sets.items():
        x = x[np.isfinite(x)]
        print(f"{name:>28} {np.percentile(x, 50):>6.1f} {np.percentile(x, 90):>6.1f} "
              f"{len(x):>7}")


def _plot(z: np.ndarray, rear_syn: np.ndarray, dannce: pd.DataFrame, rear_real: np.ndarray,
          oist: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from dlc_lifter.mouse.catalogue import CATALOGUE

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.8), sharey=True)
    for ax, rearing, title in ((axes[0], False, "not rearing"), (axes[1], True, "rearing")):
        pos = np.arange(len(COMPARED))
        syn = [z[rear_syn == rearing, CATALOGUE.index(lm)] for lm in COMPARED]
        ax.boxplot(syn, positions=pos - 0.22, widths=0.35, showfliers=False,
                   patch_artist=True, boxprops={"facecolor": "#9ecae1"})
        real = [dannce[f"{d}_z"].to_numpy()[rear_real == rearing] if d else np.array([])
                for d in COMPARED.values()]
        real = [r[np.isfinite(r)] for r in real]
        ax.boxplot([r if len(r) else [np.nan] for r in real], positions=pos + 0.22,
                   widths=0.35, showfliers=False, patch_artist=True,
                   boxprops={"facecolor": "#fdae6b"})
        if not rearing:
            for lm, markers in OIST_MARKERS.items():
                h = np.concatenate([oist[f"{k}_z"].to_numpy() for k in markers])
                i = list(COMPARED).index(lm)
                ax.plot([i + 0.22], [np.nanmedian(h)], "kD", ms=6)
        ax.set_xticks(pos, list(COMPARED), rotation=45, ha="right")
        ax.set_title(title)
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("height above the floor (mm)")
    from matplotlib.patches import Patch

    axes[1].legend(handles=[Patch(color="#9ecae1", label="synthetic population"),
                            Patch(color="#fdae6b", label="DANNCE real 3D labels"),
                            plt.Line2D([], [], color="k", marker="D", ls="",
                                       label="OIST mocap markers (median)")],
                   loc="upper right", fontsize=8)
    fig.suptitle("Keypoint heights: synthetic mouse vs real mice (benchmarks/heights.py)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
