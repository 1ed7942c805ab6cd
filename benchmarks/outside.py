"""Real mice not in ``../shared``, side by side: ``real.py``'s section A on each 3D set given.

The issue's real-3D targets (section A: the six top keypoints' MPJPE over the grid of 27
virtual cameras, all and rearing frames, the worst camera, the ratio to the median-height
baseline, four keypoints in; as an ``analyze_videos`` file and as ``CollectedData``) on every
real 3D mouse given, in one table with the targets, so that "checked on real mice that are
not in ``../shared``" is one command. Each set is lifted exactly as ``real.py --only A
--dannce-csv SET`` lifts it (the same code, the same rows); diagnostic and opt-in rows are
left out here (``real.py`` prints them).

The sets are CSVs in the layout of ``dannce-mouse1/labels3d.csv``, written from the public
DANNCE repository (github.com/spoonsso/dannce, MIT) by ``benchmarks/dannce_labels.py``
(its markerless mouse 2) and ``benchmarks/dannce_2019.py`` (the 2019 demo mice and the
cylinder mouse); their docstrings give the commands. Nothing is downloaded here::

    python benchmarks/outside.py m2.csv mouseone.csv mousetwo.csv cylinder.csv --shared

A value marked ``*`` misses its target. Each set runs in its own process (``--jobs``, one
torch thread each); section A takes about three minutes a set on one core.

The worst-camera rows depend on the mouse's heading under the grid's tilted cameras (the
shared mouse, turned 90, 180 or 270 deg about the vertical, meets 14-18 of its 23 targets;
``docs/results.md``, forty-fourth session). ``--headings N`` also lifts each set turned by
360/N deg steps about its mean floor position (``SET@90`` columns; N times the time).
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import logging
import multiprocessing
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import real
from dannce_labels import write_labels_csv

#: Section A's rows kept here: those with a target, not diagnostic, not opt-in.
SKIPPED = ("(diagnostic)", "(opt-in)")


def section_a_rows(csv: str | None, argv: list[str]) -> list[real.Row]:
    """Section A's rows for one set (``csv``; ``None``: the shared mouse), ``argv`` being
    ``real.py``'s options (``--model``, ``--seed``, ``--noise-draws``)."""
    import torch

    args = real.build_parser().parse_args(
        [*argv, "--only", "A", "--threads", "1", *(["--dannce-csv", csv] if csv else [])])
    real.MODEL["path"] = args.model
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    torch.set_num_threads(1)
    rows: list[real.Row] = []
    with tempfile.TemporaryDirectory(prefix="dlc_outside_") as tmp:
        real.section_a(args, Path(tmp), rows, [])
    return rows


def turned_csv(src: str | Path, deg: float, dest: str | Path) -> Path:
    """A 3D label set (``labels3d.csv`` layout) turned ``deg`` degrees about the vertical
    through its mean floor position, written to ``dest`` (heights and sample ids kept; read
    and written as ``real.py`` and ``dannce_labels.py`` read and write that layout)."""
    ids, names, xyz = real.load_dannce(Path(src))
    floor = xyz[..., :2]
    centre = floor[np.isfinite(floor).all(-1)].mean(axis=0)
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    turned = xyz.copy()
    turned[..., :2] = centre + (floor - centre) @ np.array([[c, s], [-s, c]])
    write_labels_csv(Path(dest), ids, turned, tuple(names))
    return Path(dest)


def _key(condition: str, figure: str) -> tuple[str, str]:
    """A row's condition and figure without what differs between sets: the set's keypoint
    count (the four-keypoint rows keep theirs) and the worst camera's name."""
    condition = re.sub(r"\b\d+ keypoints in(?! \()", "every keypoint in", condition)
    return condition, re.sub(r" \([^)]*\)", "", figure)


def _number(value: str) -> str:
    """A cell's figure without its unit."""
    return value.replace(" mm", "")


def pivot(results: dict[str, list[real.Row]]
          ) -> tuple[list[str], list[list[str]], dict[str, tuple[int, int]]]:
    """The table's header, its rows (condition, figure, target, then one cell per set) and
    per set the targets met and measured.

    Parameters
    ----------
    results
        Set name -> its section A rows (``real.Row``), in the order to print.

    Returns
    -------
    tuple
        ``(header, rows, met)``: a row per target figure, in the order first seen; a cell
        is the figure without its unit, ``*`` where it misses its target, ``-`` where the
        set has no such row; ``met`` maps each set to ``(targets met, targets measured)``.
    """
    order: list[tuple[str, str, str]] = []
    cells: dict[tuple[str, str, str], dict[str, str]] = {}
    met: dict[str, tuple[int, int]] = {}
    for name, rows in results.items():
        ok = n = 0
        for _, condition, figure, value, target, mark in rows:
            if not mark or any(s in condition for s in SKIPPED):
                continue
            key = (*_key(condition, figure), target)
            if key not in cells:
                order.append(key)
                cells[key] = {}
            cells[key][name] = _number(value) + ("" if mark == "PASS" else "*")
            ok, n = ok + (mark == "PASS"), n + 1
        met[name] = (ok, n)
    header = ["condition", "figure", "target", *results]
    table = [[c, f, t, *(cells[(c, f, t)].get(name, "-") for name in results)]
             for c, f, t in order]
    return header, table, met


def _print(header: list[str], table: list[list[str]], met: dict[str, tuple[int, int]]) -> None:
    foot = ["", "targets met", "", *(f"{a} of {b}" for a, b in met.values())]
    widths = [max(len(r[i]) for r in [header, *table, foot]) for i in range(len(header))]
    line = "  ".join(f"{{:<{w}}}" if i < 3 else f"{{:>{w}}}" for i, w in enumerate(widths))
    print(line.format(*header))
    print("-" * (sum(widths) + 2 * (len(widths) - 1)))
    for r in (*table, foot):
        print(line.format(*r))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog="example: python benchmarks/outside.py m2.csv "
                                            "mouseone.csv --shared")
    parser.add_argument("sets", nargs="*", metavar="CSV",
                        help="3D label sets in the layout of dannce-mouse1/labels3d.csv")
    parser.add_argument("--shared", action="store_true",
                        help="also the shared mouse (../shared/realdata/dannce-mouse1), first")
    parser.add_argument("--model", default=None, metavar="PATH",
                        help="keypoints-only lifter weights to measure (default: the shipped "
                             "ones, with their companions beside them)")
    parser.add_argument("--seed", type=int, default=0, help="2D noise seed")
    parser.add_argument("--noise-draws", type=int, default=5, metavar="N",
                        help="the worst camera also as the mean of N noise draws")
    parser.add_argument("--jobs", type=int, default=2, help="sets lifted at once")
    parser.add_argument("--headings", type=int, default=1, metavar="N",
                        help="also each set turned by 360/N deg steps about the vertical "
                             "(N times the time; the worst-camera rows depend on it)")
    args = parser.parse_args(argv)
    if args.headings < 1:
        parser.error(f"--headings takes a whole number >= 1; got {args.headings}")
    sets: list[str | None] = ([None] if args.shared else []) + list(args.sets)
    if not sets:
        parser.error("give 3D label sets (CSV) and/or --shared")
    missing = [s for s in args.sets if not Path(s).is_file()]
    if missing:
        parser.error(f"no such file: {', '.join(missing)}")
    names = ["dannce-mouse1" if s is None else Path(s).stem for s in sets]
    if len(set(names)) != len(names):
        parser.error(f"two sets share a name ({', '.join(names)}): rename one")
    passed = ["--seed", str(args.seed), "--noise-draws", str(args.noise_draws),
              *(["--model", args.model] if args.model else [])]
    t0 = time.perf_counter()
    ctx = multiprocessing.get_context("spawn")  # torch in fresh processes
    with (tempfile.TemporaryDirectory(prefix="dlc_outside_sets_") as turned,
          cf.ProcessPoolExecutor(max_workers=max(1, args.jobs), mp_context=ctx) as pool):
        jobs: dict[str, str | None] = {}
        for name, s in zip(names, sets, strict=True):
            path = None if s is None else str(Path(s).resolve())
            jobs[name] = path
            for k in range(1, args.headings):
                deg = round(360.0 * k / args.headings, 1)
                dest = Path(turned) / f"{name}@{deg:g}.csv"
                jobs[f"{name}@{deg:g}"] = str(turned_csv(path or real.DANNCE_CSV, deg, dest))
        futures = {name: pool.submit(section_a_rows, path, passed)
                   for name, path in jobs.items()}
        results = {name: f.result() for name, f in futures.items()}
    import dlc_lifter

    lifter = dlc_lifter.Lifter.load(args.model)
    print(f"dlc-lifter on real mice, section A per set: dlc-lifter {dlc_lifter.__version__} "
          f"(git {real._git_head()}), model {lifter.name} ({(lifter.sha256 or '')[:12]}), "
          f"seed {args.seed}")
    print(real.companions_note(args.model))
    _print(*pivot(results))
    print("* misses its target; MPJPE in mm over the six top keypoints (the four given, "
          "4 keypoints in); rearing: true snout above 60 mm")
    print(f"total runtime {time.perf_counter() - t0:.0f} s")
    print(f"command: {real._command()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
