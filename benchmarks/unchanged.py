"""Do the package's outputs stay the same across a refactor? Fingerprint them, then compare.

Runs four jobs a refactor must not change, and stores every 3D array they produce:

- ``lift-project`` on a copy of the real DLC openfield project
  (``../shared/realdata/dlc-openfield``, default options, depth from its video);
- ``lift-sleap`` on the real SLEAP mouse session (``minimal_top_proofread.slp``, no map);
- ``demo`` (the bundled synthetic example);
- live lifting of the real openfield poses, frame by frame: keypoints only over the whole
  file, and with depth over the first ``--live-depth-frames`` video frames.

``--save FILE.npz`` writes the fingerprint (arrays + the list of output files); ``--compare
FILE.npz`` runs the same jobs and prints, per array, the largest difference in mm, and any
output file that appeared or disappeared. Exit status 1 when anything differs by more than
``--tol`` (default 1e-6 mm) or the files differ.

Run it on the old code (``PYTHONPATH=<old checkout>``) with ``--save``, and on the new code
with ``--compare``::

    git worktree add /tmp/old <rev>
    PYTHONPATH=/tmp/old python benchmarks/unchanged.py --save /tmp/before.npz
    python benchmarks/unchanged.py --compare /tmp/before.npz
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REAL = Path(__file__).resolve().parents[1] / ".." / "shared" / "realdata"
OPENFIELD = REAL / "dlc-openfield"
SLEAP = REAL / "sleap-mouse-session" / "minimal_top_proofread.slp"
LIVE_POSES = OPENFIELD / "analyzed" / "m3v1mp4DLC_resnet50_openfieldAug20shuffle1_30000.h5"
LIVE_VIDEO = OPENFIELD / "videos" / "m3v1mp4.mp4"


def _cli(*args: str) -> None:
    """Run ``dlc-lifter ARGS`` with this interpreter (and this PYTHONPATH)."""
    cmd = [sys.executable, "-c", "from dlc_lifter.cli import main; main()", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy())
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")


def _h5_arrays(folder: Path, tag: str) -> dict[str, np.ndarray]:
    """Every ``*_lifted3d.h5`` (DLC-style) table under ``folder``, as a float array."""
    import pandas as pd

    out = {}
    for path in sorted(folder.rglob("*_lifted3d.h5")):
        out[f"{tag}:{path.relative_to(folder)}"] = pd.read_hdf(path).to_numpy(float)
    return out


def _files(folder: Path, tag: str) -> list[str]:
    """Output files written under ``folder`` (names only; logs and timings left out)."""
    skip = {".log", ".json"}
    return sorted(f"{tag}:{p.relative_to(folder)}" for p in folder.rglob("*")
                  if p.is_file() and p.suffix not in skip)


def _live_lifters(camera: object, names: list[str], lifter: object, fps: float
                  ) -> tuple[object, object]:
    """Live lifters, keypoints only with live features and with depth, in either layout."""
    try:
        from dlc_lifter.analysis.live_features import LiveFeatures
        from dlc_lifter.lift.live import LiveLifter
    except ModuleNotFoundError:  # before the split: features inside analysis.live.LiveLifter
        live = importlib.import_module("dlc_lifter.analysis.live").LiveLifter
        return (live(camera, names, lifter, features=True, fps=fps),
                live(camera, names, lifter, features=False, fps=fps, depth=True))
    return (LiveFeatures(LiveLifter(camera, names, lifter), fps=fps),
            LiveLifter(camera, names, lifter, depth=True))


def _live(depth_frames: int) -> dict[str, np.ndarray]:
    """3D from live lifting of the real openfield file, keypoints only and with depth."""
    from dlc_lifter.camera import Camera
    from dlc_lifter.io import open_video, read_poses
    from dlc_lifter.lift import Lifter, lift_poses

    poses = read_poses(LIVE_POSES)
    lifter = Lifter.load(None)
    camera = Camera.from_dict(lift_poses(poses, lifter=lifter).meta.extra["camera"])
    frames = np.concatenate([poses.coords[:, 0], poses.confidence[:, 0, :, None]], axis=-1)
    frames = np.nan_to_num(frames, nan=0.0)
    fps = poses.meta.fps or 30.0
    ll, depth_ll = _live_lifters(camera, list(poses.keypoints), lifter, fps)
    out = {"live:keypoints": np.stack([ll.step(f).pose_3d for f in frames])}
    ll = depth_ll
    res = []
    with open_video(LIVE_VIDEO) as reader:
        for i, image in enumerate(reader):
            if i >= depth_frames:
                break
            res.append(ll.step(frames[i], image).pose_3d)
    out["live:depth"] = np.stack(res)
    return out


def fingerprint(work: Path, depth_frames: int) -> tuple[dict[str, np.ndarray], list[str]]:
    """Run the four jobs in ``work`` and return their 3D arrays and output file names."""
    arrays: dict[str, np.ndarray] = {}
    files: list[str] = []
    project = work / "openfield"  # laid out as DLC leaves it: outputs beside the video
    (project / "videos").mkdir(parents=True)
    shutil.copyfile(OPENFIELD / "config.yaml", project / "config.yaml")
    shutil.copyfile(LIVE_VIDEO, project / "videos" / LIVE_VIDEO.name)
    shutil.copyfile(LIVE_POSES, project / "videos" / LIVE_POSES.name)
    before = set(_files(project, "project"))
    _cli("lift-project", str(project / "config.yaml"))
    arrays |= _h5_arrays(project, "project")
    files += [f for f in _files(project, "project") if f not in before]
    sleap_out = work / "sleap"
    _cli("lift-sleap", str(SLEAP), "--destfolder", str(sleap_out))
    arrays |= _h5_arrays(sleap_out, "sleap")
    files += _files(sleap_out, "sleap")
    demo_out = work / "demo"
    _cli("demo", "--out-dir", str(demo_out))
    arrays |= _h5_arrays(demo_out, "demo")
    files += _files(demo_out, "demo")
    arrays |= _live(depth_frames)
    return arrays, files


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = ap.add_mutually_exclusive_group(required=True)
    group.add_argument("--save", type=Path, help="write the fingerprint to this .npz")
    group.add_argument("--compare", type=Path, help="compare against this .npz")
    ap.add_argument("--tol", type=float, default=1e-6, help="largest allowed difference, mm")
    ap.add_argument("--live-depth-frames", type=int, default=300)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        arrays, files = fingerprint(Path(tmp), args.live_depth_frames)
    if args.save:
        np.savez_compressed(args.save, __files__=np.array(files), **arrays)
        print(f"saved {len(arrays)} arrays and {len(files)} output files to {args.save}")
        return 0
    old = np.load(args.compare)
    old_files = set(old["__files__"].tolist())
    bad = False
    print(f"{'array':<90} {'max |diff| mm':>14}")
    for key in sorted(set(old.files) - {"__files__"} | set(arrays)):
        if key not in arrays or key not in old.files:
            print(f"{key:<90} {'only before' if key in old.files else 'only now':>14}")
            bad = True
            continue
        a, b = old[key], arrays[key]
        if a.shape != b.shape:
            print(f"{key:<90} shape {a.shape} -> {b.shape}")
            bad = True
            continue
        same_nan = np.array_equal(np.isnan(a), np.isnan(b))
        diff = float(np.nanmax(np.abs(a - b))) if a.size and not np.isnan(a).all() else 0.0
        bad |= diff > args.tol or not same_nan
        print(f"{key:<90} {diff:>14.2e}{'' if same_nan else '  (NaNs differ)'}")
    for name in sorted(old_files ^ set(files)):
        print(f"file {'gone' if name in old_files else 'new'}: {name}")
        bad = True
    print("UNCHANGED" if not bad else "CHANGED")
    return int(bad)


if __name__ == "__main__":
    raise SystemExit(main())
