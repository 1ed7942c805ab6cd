"""Does lifting to 3D help classify behaviour? 2D vs lifted-3D (vs true-3D) features.

Synthetic mouse sequences whose behaviour the synthesis records
(:func:`dlc_lifter.mouse.behaviour.generate_sequences`, seeded) are seen by random
top-view cameras with DeepLabCut-like 2D tracking errors (the lifter's noise model,
:func:`dlc_lifter.nets.data.make_clips`), tracked with one keypoint set (the openfield
4-keypoint set and/or the SuperAnimal TopViewMouse 27-keypoint set). Per clip, three
feature tables of the same frames, all from the same keypoints:

``2d``
    :func:`~dlc_lifter.analysis.compute_features` of the noisy 2D poses (pixels; points
    below ``--pcutoff`` removed, as DLC users do).
``3d lifted``
    features of the 3D that the shipped lifter makes from that noisy 2D (temporal
    network; the camera known, or with ``--camera estimate`` estimated from the animal
    as ``dlc-lifter lift`` does without a calibration).
``3d truth``
    features of the exact synthetic 3D (an upper bound; ``--no-truth`` skips it).

A random forest is cross-validated on each table with the same folds, grouped by
sequence (no sequence in both training and test). The table gives the per-behaviour F1,
``rear (any)`` (rear + rear_wall merged, from the same predictions) and the macro F1;
the claim checked is that lifted 3D beats 2D on rearing and grooming.

The real table (``--table real``; both tables by default) uses a real mouse:
``../shared/realdata/oft-rearing``, DeepLabCut tracking of one mouse in a 42 x 42 cm
open field at 25 fps (1998 frames), each frame voted rear or not by three people.
Rear is 2-3 votes, not rear 0 votes; frames with 1 vote are left out of training and
scoring (the labellers disagree on them; they sit at the edges of rears), and
``--one-vote not-rear`` counts them as not rear (the majority) instead. The 2D features
are :func:`~dlc_lifter.analysis.compute_features` of the 2D file; the lifted-3D features
are those of the file lifted as a user would,
``lift_file(path, camera=CameraSpec(arena_size_mm=420))`` (no keypoint map, default
options otherwise), both at 25 fps. A random forest is
cross-validated on each, grouped by bout (``groups="bouts"``: a bout is a contiguous
run of one label, so no frame of a bout is both trained and tested on), with the same
folds and seed; the target is F1 of the rear class from lifted 3D >= from 2D.

Run from the repository root (the default takes a few minutes on 2 cores)::

    OMP_NUM_THREADS=1 python benchmarks/classify.py [--sequences 40] [--frames 900]
        [--sets openfield,superanimal_topviewmouse] [--camera true|estimate]
        [--table synthetic|real|both] [--real-seeds 0,1,2]
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing as mp
import shlex
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

logger = logging.getLogger("benchmarks.classify")

KINDS = ("2d", "3d lifted", "3d truth")
REAR = ("rear", "rear_wall")
ROOT = Path(__file__).resolve().parents[1]
#: The real rearing recording (see ../shared/realdata/README.md).
REAL_DIR = ROOT / ".." / "shared" / "realdata" / "oft-rearing"
REAL_POSES = "OFT_38DLC_resnet50_BlockcourseMay9shuffle1_1030000.h5"
REAL_VOTES = "OFT_38_rear_votes.csv"
REAL_FPS = 25.0  # the recording's frame rate; the DLC file does not store it
REAL_ARENA_MM = 420.0  # side of the square open field


def clip_tables(clip: Any, names: list[str], lifter: Any, *, camera_mode: str,
                window: int, pcutoff: float, truth: bool) -> dict[str, pd.DataFrame]:
    """The 2D, lifted-3D and true-3D feature tables of one synthetic clip."""
    from dlc_lifter.analysis.features import compute_features
    from dlc_lifter.errors import DLCLifterError
    from dlc_lifter.lift import resolve_camera
    from dlc_lifter.mouse.catalogue import catalogue_index
    from dlc_lifter.poses import PoseMetadata, Poses

    idx = catalogue_index(names)
    uv, conf = clip.uv[:, idx], clip.conf[:, idx]
    fps = float(clip.fps)
    low = ~(np.nan_to_num(conf) >= pcutoff)
    uv2 = np.where(low[..., None], np.nan, uv)
    meta2 = PoseMetadata(source_format="synthetic", fps=fps, image_size=clip.camera.image_size,
                         frame="image", units="px")
    out = {"2d": compute_features(Poses(coords=uv2, confidence=conf, keypoints=names,
                                        meta=meta2), window=window)}
    cam = clip.camera
    if camera_mode == "estimate":
        try:
            cam = resolve_camera(clip.uv, clip.conf, cam.image_size, lifter=lifter,
                                 pcutoff=pcutoff).camera
        except DLCLifterError as exc:  # too little tracked to estimate: keep the true one
            logger.warning("camera estimate failed (%s); using the true camera", exc)
    lifted = lifter.lift(uv, conf, names, cam, mode="temporal")[:, idx]
    meta3 = PoseMetadata(source_format="lifted", fps=fps, frame="world", units="mm")
    out["3d lifted"] = compute_features(Poses(coords=lifted, keypoints=names, meta=meta3),
                                        window=window)
    if truth:
        out["3d truth"] = compute_features(
            Poses(coords=clip.world[:, idx], keypoints=names, meta=meta3), window=window)
    return out


def _cv(args: tuple) -> Any:
    from dlc_lifter.analysis import cross_validate

    tables, labels, groups, kw = args
    return cross_validate(tables, labels, groups, **kw)


def f1_binary(y_true: np.ndarray, y_pred: np.ndarray, positive: tuple[str, ...]) -> float:
    """F1 of "is one of ``positive``" from multi-class labels and predictions."""
    from sklearn.metrics import f1_score

    t = np.isin(y_true.astype(str), positive)
    p = np.isin(y_pred.astype(str), positive)
    return float(f1_score(t, p, zero_division=0))


def run_set(set_name: str, seqs: list[Any], lifter: Any, args: argparse.Namespace
            ) -> pd.DataFrame:
    """Cross-validated F1 table of one keypoint set."""
    from dlc_lifter.mouse.behaviour import BEHAVIOURS
    from dlc_lifter.mouse.catalogue import KEYPOINT_SETS
    from dlc_lifter.nets.data import make_clips

    names = list(KEYPOINT_SETS[set_name])
    t0 = time.perf_counter()
    rng = np.random.default_rng([args.seed, 1, len(names)])
    clips = make_clips(seqs, rng=rng, views=args.views, keypoint_set=set_name)
    kinds = [k for k in KINDS if k != "3d truth" or args.truth]
    tables: dict[str, list[pd.DataFrame]] = {k: [] for k in kinds}
    labels, groups = [], []
    for i, clip in enumerate(clips):
        t = clip_tables(clip, names, lifter, camera_mode=args.camera, window=args.window,
                        pcutoff=args.pcutoff, truth=args.truth)
        for k in kinds:
            tables[k].append(t[k])
        lab = np.array([BEHAVIOURS[b] for b in clip.behaviour], dtype=object)
        keep = np.zeros(len(lab), bool)
        keep[:: args.stride] = True
        labels.append(np.where(keep, lab, None))
        groups.append(i // args.views)  # views of one sequence stay in one fold
    t_feat = time.perf_counter() - t0
    kw = dict(n_splits=args.splits, estimator="random_forest",
              n_estimators=args.n_estimators, seed=args.seed)
    jobs = [(tables[k], labels, groups, kw) for k in kinds]
    t0 = time.perf_counter()
    if args.jobs > 1:
        with ProcessPoolExecutor(min(args.jobs, len(jobs)),
                                 mp_context=mp.get_context("spawn")) as ex:
            reports = dict(zip(kinds, ex.map(_cv, jobs), strict=True))
    else:
        reports = {k: _cv(j) for k, j in zip(kinds, jobs, strict=True)}
    t_cv = time.perf_counter() - t0
    logger.info("%s: features %.1f s, cross-validation %.1f s", set_name, t_feat, t_cv)
    classes = reports["2d"].classes
    table = pd.DataFrame(index=pd.Index([*classes, "rear (any)", "macro"], name="behaviour"))
    for k in kinds:
        r = reports[k]
        table[f"f1 {k}"] = [*r.f1.reindex(classes).to_numpy(),
                            f1_binary(r.y_true, r.y_pred, REAR), r.macro_f1]
    sup = reports["2d"].support.reindex(classes).fillna(0).astype(int)
    table["support"] = [*sup.to_numpy(), int(sup[[c for c in REAR if c in sup.index]].sum()),
                        int(sup.sum())]
    n_feat = {k: len([c for c in tables[k][0].columns
                      if c not in ("frame", "individual", "time_s")]) for k in kinds}
    table.attrs.update(n_features=n_feat, seconds=t_feat + t_cv,
                       n_groups=reports["2d"].n_groups, n_splits=reports["2d"].n_splits)
    return table


# ---------------------------------------------------------------------------- real mouse
def real_features(folder: Path, *, window: int = 15) -> dict[str, pd.DataFrame]:
    """2D features of the real DLC file and features of its lift (same frames, 25 fps).

    The file is lifted with the public API into a temporary folder, with no keypoint
    map and the arena's side (420 mm) as the only option.
    """
    from dlc_lifter import CameraSpec, OutputSpec, lift_file, read_poses
    from dlc_lifter.analysis import compute_features

    path = folder / REAL_POSES
    with tempfile.TemporaryDirectory() as tmp:
        lifted = read_poses(lift_file(path, camera=CameraSpec(arena_size_mm=REAL_ARENA_MM),
                                      output=OutputSpec(destfolder=tmp)))
    out = {"2d": compute_features(read_poses(path), window=window, fps=REAL_FPS),
           "3d lifted": compute_features(lifted, window=window, fps=REAL_FPS)}
    if not out["2d"]["frame"].equals(out["3d lifted"]["frame"]):
        raise RuntimeError("the 2D and lifted feature tables hold different frames")
    return out


def vote_labels(folder: Path, frames: np.ndarray, one_vote: str = "exclude") -> np.ndarray:
    """``rear`` (2-3 votes), ``not rear`` (0) per frame; 1 vote: ``None`` or ``not rear``."""
    votes = pd.read_csv(folder / REAL_VOTES).set_index("frame")["rear_votes"]
    v = votes.reindex(frames).to_numpy()
    if np.isnan(v).any():
        raise RuntimeError(f"{REAL_VOTES} lacks votes for {int(np.isnan(v).sum())} frames")
    disputed = None if one_vote == "exclude" else "not rear"
    return np.array(["rear" if n >= 2 else "not rear" if n == 0 else disputed for n in v],
                    dtype=object)


def real_table(tables: dict[str, pd.DataFrame], labels: np.ndarray, *, seeds: list[int],
               n_splits: int = 5, n_estimators: int = 100) -> pd.DataFrame:
    """F1 of the rear class, 2D vs lifted 3D, bout-grouped cross-validation, per seed.

    Returns one row per seed and a ``mean`` row; columns ``f1 2d``, ``f1 3d lifted``,
    ``target`` and ``holds``; ``attrs`` hold the folds, bouts and frames per class.
    """
    from dlc_lifter.analysis import cross_validate

    rows = {}
    for seed in seeds:
        reports = {k: cross_validate(t, labels, "bouts", n_splits=n_splits, seed=seed,
                                     n_estimators=n_estimators) for k, t in tables.items()}
        rows[f"seed {seed}"] = {f"f1 {k}": float(r.f1["rear"]) for k, r in reports.items()}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.loc["mean"] = table.mean()
    table.index.name = "run"
    table["target"] = ">= f1 2d"
    table["holds"] = table["f1 3d lifted"] >= table["f1 2d"]
    r = reports["2d"]
    table.attrs.update(n_splits=r.n_splits, n_bouts=r.n_groups,
                       support=r.support.to_dict(),
                       n_features={k: len([c for c in t.columns
                                           if c not in ("frame", "individual", "time_s")])
                                   for k, t in tables.items()})
    return table


def run_real(args: argparse.Namespace) -> bool:
    """Print the real-mouse table; True when lifted 3D meets the target."""
    folder = Path(args.real_dir)
    if not (folder / REAL_POSES).is_file():
        print(f"\n== real mouse: skipped, {folder / REAL_POSES} is absent")
        return True
    t0 = time.perf_counter()
    tables = real_features(folder, window=args.window)
    labels = vote_labels(folder, tables["2d"]["frame"].to_numpy(), args.one_vote)
    seeds = [int(x) for x in args.real_seeds.split(",") if x.strip()]
    table = real_table(tables, labels, seeds=seeds, n_splits=args.splits,
                       n_estimators=args.n_estimators)
    a = table.attrs
    one = ("left out" if args.one_vote == "exclude" else "counted as not rear")
    n_labelled = sum(v is not None for v in labels)
    print(f"\n== real mouse ({folder.name}: {len(labels)} frames at {REAL_FPS:g} fps, "
          f"{n_labelled} labelled; rear = "
          f"2-3 of 3 votes, not rear = 0, 1-vote frames {one}; frames "
          + ", ".join(f"{k} {v}" for k, v in a["support"].items())
          + "; features "
          + ", ".join(f"{k}: {v}" for k, v in a["n_features"].items())
          + f"; random forest ({args.n_estimators} trees), {a['n_splits']}-fold CV grouped "
          f"by bout ({a['n_bouts']} bouts); seeds {', '.join(map(str, seeds))}; "
          f"{time.perf_counter() - t0:.0f} s)")
    print(table.to_string())
    ok = bool(table["holds"].all())
    print(f"  rear F1: lifted 3D {table.loc['mean', 'f1 3d lifted']:.3f} vs 2D "
          f"{table.loc['mean', 'f1 2d']:.3f} (mean over seeds) -> target (lifted 3D >= 2D "
          f"for every seed) {'met' if ok else 'NOT met'}")
    return ok


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sequences", type=int, default=40, help="synthetic sequences (40)")
    ap.add_argument("--frames", type=int, default=900, help="frames per sequence (900)")
    ap.add_argument("--views", type=int, default=1, help="random cameras per sequence (1)")
    ap.add_argument("--sets", default="openfield,superanimal_topviewmouse",
                    help="keypoint sets, comma-separated (KEYPOINT_SETS names)")
    ap.add_argument("--camera", choices=("true", "estimate"), default="true",
                    help="lift with the true camera or one estimated from the animal")
    ap.add_argument("--window", type=int, default=15, help="feature rolling window (15)")
    ap.add_argument("--stride", type=int, default=3,
                    help="use every N-th frame for training/testing (3; neighbours are "
                         "near-duplicates)")
    ap.add_argument("--splits", type=int, default=5, help="cross-validation folds (5)")
    ap.add_argument("--n-estimators", type=int, default=100, help="trees (100)")
    ap.add_argument("--pcutoff", type=float, default=0.6, help="likelihood cutoff (0.6)")
    ap.add_argument("--no-truth", dest="truth", action="store_false",
                    help="skip the true-3D upper bound")
    ap.add_argument("--jobs", type=int, default=2, help="parallel cross-validations (2)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1)")
    ap.add_argument("--seed", type=int, default=0, help="seed of everything (0)")
    ap.add_argument("--model", default=None, help="lifter weights (default: shipped)")
    ap.add_argument("--table", choices=("synthetic", "real", "both"), default="both",
                    help="which tables to print (both)")
    ap.add_argument("--real-dir", default=str(REAL_DIR),
                    help="the real oft-rearing folder (../shared/realdata/oft-rearing)")
    ap.add_argument("--real-seeds", default="0,1,2",
                    help="seeds of the real table's forests, comma-separated (0,1,2)")
    ap.add_argument("--one-vote", choices=("exclude", "not-rear"), default="exclude",
                    help="real frames with 1 of 3 rear votes: left out, or not rear")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("dlc_lifter.analysis.classify").setLevel(logging.ERROR)
    logging.getLogger("dlc_lifter.analysis.crossval").setLevel(logging.ERROR)
    for name in ("camera_estimate", "keypoints", "poses"):  # camera estimates, mapping
        logging.getLogger(f"dlc_lifter.lift.{name}").setLevel(logging.ERROR)

    print("command: OMP_NUM_THREADS=1 python benchmarks/classify.py "
          + " ".join(map(shlex.quote, sys.argv[1:] if argv is None else argv)))
    ok = True
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 120):
        if args.table in ("synthetic", "both"):
            ok &= run_synthetic(args)
        if args.table in ("real", "both"):
            ok &= run_real(args)
    return 0 if ok else 1


def run_synthetic(args: argparse.Namespace) -> bool:
    """Print the synthetic tables; True when lifted 3D beats 2D on rearing and grooming."""
    import torch

    from dlc_lifter.lift import Lifter
    from dlc_lifter.mouse.behaviour import generate_sequences

    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    seqs = generate_sequences(args.sequences, args.frames, seed=args.seed)
    t_gen = time.perf_counter() - t0
    lifter = Lifter.load(args.model)
    print(f"Behaviour classification, 2D vs 3D features: {args.sequences} synthetic "
          f"sequences x {args.frames} frames (seed {args.seed}, generated in {t_gen:.0f} s), "
          f"{args.views} random top-view camera(s) each, DLC-like 2D noise; lifter "
          f"{lifter.name} ({lifter.sha256}), camera {args.camera}; random forest "
          f"({args.n_estimators} trees), {args.splits}-fold CV grouped by sequence, frames "
          f"0, {args.stride}, {2 * args.stride}, ... of each")
    ok = True
    for set_name in [s.strip() for s in args.sets.split(",") if s.strip()]:
        table = run_set(set_name, seqs, lifter, args)
        a = table.attrs
        feats = ", ".join(f"{k}: {v}" for k, v in a["n_features"].items())
        print(f"\n== {set_name} ({len(table) - 2} behaviours; features {feats}; "
              f"{a['n_splits']} folds over {a['n_groups']} sequences; "
              f"{a['seconds']:.0f} s)")
        print(table.to_string())
        for row in ("rear (any)", "groom"):
            d2, d3 = table.loc[row, "f1 2d"], table.loc[row, "f1 3d lifted"]
            holds = bool(d3 > d2)
            ok &= holds
            print(f"  {row}: lifted 3D {d3:.3f} vs 2D {d2:.3f} -> "
                  f"{'3D better' if holds else '3D NOT better'}")
    print(f"\nclaim (lifted 3D beats 2D on rearing and grooming F1): "
          f"{'holds' if ok else 'does NOT hold'}")
    return ok


if __name__ == "__main__":
    raise SystemExit(main())
