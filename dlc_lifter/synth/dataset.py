"""Synthetic datasets on disk: sharded ``.npz`` files plus a JSON index.

:func:`synthesize` renders (or, ``poses_only=True``, only projects) ``n_frames`` samples
into ``out_dir``:

``out_dir/index.json``
    Format, configuration, catalogue, array descriptions and the shard list.
``out_dir/shard_00000.npz`` ...
    ``shard_size`` frames each, arrays with the frame as first axis (see
    :data:`IMAGE_ARRAYS` and :data:`~dlc_lifter.synth.poses_only.POSES_ONLY_ARRAYS`).

Every shard is written atomically (:func:`dlc_lifter._atomic.atomic_output`) from its own
seed, ``numpy.random.SeedSequence(seed).spawn``'s ``i``-th child, so shards can be made in
any order by any number of worker processes and the same seed gives byte-identical
files. A killed run restarts where it stopped: finished shards that pass a CRC check and
belong to the same configuration are kept, temporary files are removed and the rest is
made again; nothing is duplicated or lost. :func:`load_dataset` reads a dataset back.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import io
import json
import logging
import math
import multiprocessing
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dlc_lifter._atomic import atomic_output
from dlc_lifter.errors import SynthDatasetError
from dlc_lifter.mouse.catalogue import CATALOGUE, LANDMARKS
from dlc_lifter.synth.poses_only import POSES_ONLY_ARRAYS, sample_pose_batch
from dlc_lifter.synth.render import QUALITIES, make_sample
from dlc_lifter.synth.renderers import make_renderer
from dlc_lifter.synth.scene import COATS, sample_scene

__all__ = [
    "FORMAT",
    "IMAGE_ARRAYS",
    "SynthDataset",
    "SynthDatasetError",
    "load_dataset",
    "make_shard",
    "read_npz",
    "synthesize",
    "write_npz",
]

logger = logging.getLogger(__name__)

#: ``format`` field of ``index.json``.
FORMAT = "dlc-lifter-synth"
_VERSION = 1
#: Revision of what the generator draws (mouse, behaviour, scene, renderer), part of the
#: shards' configuration, so that a work folder made by an older generator is refused (its
#: settings differ) instead of being taken for a finished dataset: 1 until 2026-11-30;
#: 2 the trunk that stretches and hunches; 3 rears stretched 5-35 % and a wider population
#: of sizes.
GENERATOR_REVISION = 3
_INDEX = "index.json"
#: Side of the square arena each behaviour sequence is generated in (mm).
_ARENA_RANGE_MM = (380.0, 700.0)

#: Arrays of an image shard: name -> (dtype, per-frame shape, description).
IMAGE_ARRAYS: dict[str, tuple[str, str, str]] = {
    "rgb": ("uint8", "(H, W, 3)", "RGB image"),
    "depth": ("float32", "(H, W)", "camera Z (mm) of the nearest surface; mouse, floor, walls"),
    "mask": ("bool", "(H, W)", "pixels showing the mouse"),
    "keypoints_2d": ("float32", "(K, 2)", "pixels (u, v), catalogue order"),
    "visible": ("bool", "(K,)", "inside the image and not hidden by the body"),
    "in_image": ("bool", "(K,)", "projects inside the image"),
    "keypoints_cam": ("float32", "(K, 3)", "camera frame (OpenCV), mm"),
    "keypoints_world": ("float32", "(K, 3)", "world frame (z up, floor z=0), mm"),
    "K": ("float64", "(3, 3)", "intrinsics"),
    "R": ("float64", "(3, 3)", "world -> camera rotation"),
    "t": ("float64", "(3,)", "world -> camera translation, mm"),
    "image_size": ("int32", "(2,)", "(width, height) px"),
    "shape": ("float32", "(S,)", "MouseShape multipliers"),
    "behaviour": ("int16", "()", "index into BEHAVIOURS"),
    "sequence": ("int32", "()", "sequence (one mouse) id within the shard"),
    "coat": ("int8", "()", "index into COATS"),
    "grayscale": ("bool", "()", "monochrome / IR camera look"),
}


#: Arrays stored without compression.
_STORED = frozenset({"depth"})


# ---------------------------------------------------------------------- npz I/O
def write_npz(path: str | Path, arrays: dict[str, np.ndarray], *, compress: bool = True) -> str:
    """Write ``arrays`` as an ``.npz`` with fixed zip timestamps (same data, same bytes).

    With ``compress``, members are deflated (level 1) except float depth maps, which
    barely compress and would cost most of the time.

    Returns
    -------
    str
        SHA-256 of the file.
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in sorted(arrays):
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            deflate = compress and name not in _STORED
            info.compress_type = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
            if deflate:
                info._compresslevel = 1  # fast; zipfile has no public per-member level
            arr = np.ascontiguousarray(arrays[name])
            with zf.open(info, "w", force_zip64=True) as fh:
                np.lib.format.write_array(fh, arr, allow_pickle=False)
    data = buf.getvalue()
    Path(path).write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def read_npz(path: str | Path, names: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """Read arrays (all, or ``names``) of an ``.npz`` into a dict."""
    with np.load(path, allow_pickle=False) as z:
        keys = z.files if names is None else list(names)
        return {k: z[k] for k in keys}


def _shard_ok(path: Path, n_frames: int, config_hash: str) -> bool:
    """Whether ``path`` is a complete, uncorrupted shard of this configuration."""
    try:
        with zipfile.ZipFile(path) as zf:
            if zf.testzip() is not None:
                return False
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(bytes(z["meta"]).decode())
            return meta.get("config_hash") == config_hash and int(meta["n_frames"]) == n_frames
    except Exception:  # noqa: BLE001 -- any failure to read means: make it again
        return False


# ---------------------------------------------------------------------- shards
def _image_batch(rng: np.random.Generator, n_frames: int, *, quality: str, resolution: int,
                 frames_per_mouse: int, stride: int) -> dict[str, np.ndarray]:
    from dlc_lifter.mouse.behaviour import generate_sequence
    from dlc_lifter.mouse.rig import get_rig

    cols: dict[str, list[Any]] = {k: [] for k in IMAGE_ARRAYS}
    centre = CATALOGUE.index("mouse_center")
    got, seq_id = 0, 0
    while got < n_frames:
        take = min(frames_per_mouse, n_frames - got)
        side = float(rng.uniform(*_ARENA_RANGE_MM))
        seq = generate_sequence(take * stride, rng=rng, arena_mm=(side, side))
        rig = get_rig(seq.shape)
        renderer = make_renderer(rig, quality)
        shape_vec = np.asarray(seq.shape.as_array(), dtype=np.float32)
        for j in range(take):
            f = j * stride
            pose = np.asarray(seq.pose)[f]
            target = tuple(float(v) for v in np.asarray(seq.landmarks)[f, centre, :2])
            scene = sample_scene(rng, image_size=(resolution, resolution), target_xy=target,
                                 arena_xy=(0.0, 0.0, side, side))
            s = make_sample(rig, pose, scene, renderer, rng,
                            behaviour=int(np.asarray(seq.behaviour)[f]), shape=shape_vec)
            cam = s.camera
            row = {
                "rgb": s.rgb, "depth": s.depth, "mask": s.mask,
                "keypoints_2d": s.keypoints_2d.astype(np.float32), "visible": s.visible,
                "in_image": s.in_image, "keypoints_cam": s.keypoints_cam.astype(np.float32),
                "keypoints_world": s.keypoints_world.astype(np.float32), "K": cam.K,
                "R": cam.R, "t": cam.t, "image_size": np.asarray(cam.image_size, np.int32),
                "shape": shape_vec, "behaviour": np.int16(s.behaviour),
                "sequence": np.int32(seq_id), "coat": np.int8(scene.coat_index),
                "grayscale": np.bool_(scene.grayscale),
            }
            for k, v in row.items():
                cols[k].append(v)
        got += take
        seq_id += 1
    return {k: np.stack([np.asarray(x, dtype=IMAGE_ARRAYS[k][0]) for x in v])
            for k, v in cols.items()}


def make_shard(
    path: str | Path,
    seed: np.random.SeedSequence,
    n_frames: int,
    config: dict[str, Any],
) -> dict[str, Any]:
    """Make one shard file (atomically) and describe it.

    Parameters
    ----------
    path
        The shard's ``.npz`` path.
    seed
        The shard's seed sequence.
    n_frames
        Frames in the shard.
    config
        The dataset configuration (``quality``, ``poses_only``, ``resolution``,
        ``frames_per_mouse``, ``stride``, ``compress``, ``config_hash``).

    Returns
    -------
    dict
        ``file``, ``n_frames``, ``sha256``, ``seconds``.
    """
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    if config["poses_only"]:
        res = config.get("resolution")
        arrays = sample_pose_batch(rng, n_frames, image_size=(res, res) if res else None,
                                   stride=config["stride"])
    else:
        arrays = _image_batch(rng, n_frames, quality=config["quality"],
                              resolution=config["resolution"],
                              frames_per_mouse=config["frames_per_mouse"],
                              stride=config["stride"])
    meta = {"config_hash": config["config_hash"], "n_frames": n_frames,
            "seed_spawn_key": list(seed.spawn_key)}
    arrays["meta"] = np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8)
    p = Path(path)
    with atomic_output(p, overwrite=True) as tmp:
        sha = write_npz(tmp, arrays, compress=config.get("compress", True))
    return {"file": p.name, "n_frames": n_frames, "sha256": sha,
            "seconds": time.perf_counter() - t0}


def _shard_worker(args: tuple[str, np.random.SeedSequence, int, dict[str, Any]]) -> dict:
    import os

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    return make_shard(*args)


# ---------------------------------------------------------------------- synthesize
def _config(n_frames: int, seed: int, quality: str, poses_only: bool, resolution: int | None,
            shard_size: int, frames_per_mouse: int, stride: int, compress: bool) -> dict:
    cfg = {"n_frames": int(n_frames), "seed": int(seed), "quality": quality,
           "poses_only": bool(poses_only), "resolution": resolution,
           "shard_size": int(shard_size), "frames_per_mouse": int(frames_per_mouse),
           "stride": int(stride), "compress": bool(compress), "format_version": _VERSION,
           "generator_revision": GENERATOR_REVISION}
    cfg["config_hash"] = hashlib.sha256(json.dumps(cfg, sort_keys=True).encode()).hexdigest()[:16]
    return cfg


def _write_index(out: Path, cfg: dict, shards: list[dict | None], complete: bool) -> Path:
    try:
        from dlc_lifter.mouse.behaviour import BEHAVIOURS
        behaviours = [str(b) for b in BEHAVIOURS]
    except ImportError:  # pragma: no cover - the mouse model is part of the package
        behaviours = []
    from dlc_lifter.mouse.anatomy import MouseShape

    arrays = POSES_ONLY_ARRAYS if cfg["poses_only"] else IMAGE_ARRAYS
    index = {
        "format": FORMAT,
        "version": _VERSION,
        "complete": complete,
        "config": cfg,
        "n_frames": cfg["n_frames"],
        "catalogue": list(CATALOGUE),
        "landmark_kinds": [lm.kind for lm in LANDMARKS],
        "shape_names": list(MouseShape.__dataclass_fields__),
        "behaviours": behaviours,
        "coats": list(COATS),
        "units": "mm; depth = camera Z; world z up, floor z = 0; OpenCV camera",
        "arrays": {k: {"dtype": v[0], "shape": v[1], "description": v[2]}
                   for k, v in arrays.items()},
        "shards": [s if s is None else {k: s[k] for k in ("file", "n_frames", "sha256")}
                   for s in shards],
    }
    path = out / _INDEX
    with atomic_output(path, overwrite=True) as tmp:
        tmp.write_text(json.dumps(index, indent=1))
    return path


def synthesize(
    out_dir: str | Path,
    n_frames: int,
    *,
    seed: int = 0,
    workers: int = 1,
    quality: str = "fast",
    poses_only: bool = False,
    resolution: int | None = 256,
    shard_size: int | None = None,
    frames_per_mouse: int = 8,
    stride: int | None = None,
    compress: bool = True,
    executor: cf.Executor | None = None,
    progress: bool | Callable[[int], None] = True,
) -> Path:
    """Make (or finish) a synthetic dataset in ``out_dir``.

    Parameters
    ----------
    out_dir
        Output folder (created).
    n_frames
        Total samples.
    seed
        Dataset seed; the same seed gives identical shards.
    workers
        Worker processes (ignored when ``executor`` is given); 1 runs in this process.
    quality
        ``"fast"`` (numba rasteriser, default: most trained-model quality per minute of
        compute) or ``"realistic"`` (Blender Cycles, one Blender per worker process).
    poses_only
        Skip images: 3D landmarks and their projections through random cameras only.
    resolution
        Square image size (px). For ``poses_only``, ``None`` draws common video sizes.
    shard_size
        Frames per shard; default 64 for images, 8192 for poses only.
    frames_per_mouse
        Frames drawn from each generated mouse (shape + behaviour sequence).
    stride
        Keep every ``stride``-th frame of a generated sequence; default 4 for images
        (decorrelated frames), 1 for poses only (cameras vary every 4 frames anyway).
    compress
        Deflate the shards (smaller, a little slower).
    executor
        Any :class:`concurrent.futures.Executor` (e.g. a dask client's) to run shards on.
    progress
        Show a tqdm bar (``True``), nothing (``False``) or call ``progress(n_done_frames)``.

    Returns
    -------
    Path
        The dataset's ``index.json``.

    Raises
    ------
    SynthDatasetError
        When ``out_dir`` holds a dataset made with other settings.
    """
    if quality not in QUALITIES:
        raise SynthDatasetError(f"quality must be one of {', '.join(QUALITIES)}, "
                                f"not {quality!r}.")
    if n_frames < 1:
        raise SynthDatasetError(f"n_frames must be at least 1, not {n_frames}.")
    if shard_size is None:
        shard_size = 8192 if poses_only else 64
    if stride is None:
        stride = 1 if poses_only else 4
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cfg = _config(n_frames, seed, quality, poses_only, resolution, shard_size,
                  frames_per_mouse, stride, compress)
    index_path = out / _INDEX
    if index_path.exists():
        try:
            old = json.loads(index_path.read_text())
            old_cfg = old["config"]
        except (ValueError, KeyError):
            old_cfg = None
        if old_cfg is not None and old_cfg.get("config_hash") != cfg["config_hash"]:
            diff = sorted(k for k in cfg if old_cfg.get(k) != cfg[k] and k != "config_hash")
            raise SynthDatasetError(
                f"{out} already holds a synthetic dataset made with other settings "
                f"({', '.join(diff)} differ). Use another folder, the same settings, or "
                f"delete {out} to make it again"
                + (" (it was made by an older dlc-lifter, whose synthetic mouse differs)."
                   if "generator_revision" in diff else "."))
    # Leftovers of a killed run.
    for tmp in out.glob(".shard_*.tmp.npz"):
        logger.info("Removing unfinished %s", tmp.name)
        tmp.unlink()
    n_shards = math.ceil(n_frames / shard_size)
    seeds = np.random.SeedSequence(seed).spawn(n_shards)
    sizes = [min(shard_size, n_frames - i * shard_size) for i in range(n_shards)]
    names = [f"shard_{i:05d}.npz" for i in range(n_shards)]
    shards: list[dict | None] = [None] * n_shards
    todo = []
    for i, name in enumerate(names):
        p = out / name
        if p.exists() and _shard_ok(p, sizes[i], cfg["config_hash"]):
            shards[i] = {"file": name, "n_frames": sizes[i],
                         "sha256": hashlib.sha256(p.read_bytes()).hexdigest()}
        else:
            if p.exists():
                logger.warning("Shard %s is incomplete or corrupt; making it again.", name)
            todo.append(i)
    _write_index(out, cfg, shards, complete=False)
    done_frames = n_frames - sum(sizes[i] for i in todo)
    if todo:
        logger.info("Synthesising %d frames (%d shards, %s%s) into %s; %d frames already "
                    "there.", n_frames, n_shards, quality, ", poses only" if poses_only else "",
                    out, done_frames)
    bar, callback = _progress(progress, n_frames, done_frames)
    try:
        tasks = [(str(out / names[i]), seeds[i], sizes[i], cfg) for i in todo]
        own = None
        if executor is None and workers > 1 and len(tasks) > 1:
            ctx = multiprocessing.get_context("spawn")
            own = cf.ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=ctx)
            executor = own
        try:
            if executor is None:
                results: Iterator[dict] = (_shard_worker(t) for t in tasks)
            else:
                futures = [executor.submit(_shard_worker, t) for t in tasks]
                results = (f.result() for f in cf.as_completed(futures))
            for res in results:
                i = names.index(res["file"])
                shards[i] = res
                done_frames += res["n_frames"]
                callback(done_frames)
        finally:
            if own is not None:
                own.shutdown(wait=True, cancel_futures=True)
    finally:
        if bar is not None:
            bar.close()
    return _write_index(out, cfg, shards, complete=True)


def _progress(progress: bool | Callable[[int], None], total: int,
              initial: int) -> tuple[Any, Callable[[int], None]]:
    if callable(progress):
        return None, progress
    if not progress:
        return None, lambda n: None
    from dlc_lifter._progress import progress_bar

    bar = progress_bar(total=total, initial=initial, unit="frame", desc="synth", dynamic_ncols=True)

    def update(n: int) -> None:
        bar.update(n - bar.n)

    return bar, update


# ---------------------------------------------------------------------- reading
@dataclass(frozen=True)
class SynthDataset:
    """A synthetic dataset read from its ``index.json``.

    Attributes
    ----------
    index_path
        The ``index.json``.
    index
        Its parsed content.
    """

    index_path: Path
    index: dict[str, Any]

    @property
    def root(self) -> Path:
        """Folder holding the shards."""
        return self.index_path.parent

    @property
    def n_frames(self) -> int:
        """Total frames."""
        return int(sum(s["n_frames"] for s in self.index["shards"]))

    @property
    def shard_paths(self) -> list[Path]:
        """Shard files, in frame order."""
        return [self.root / s["file"] for s in self.index["shards"]]

    @property
    def catalogue(self) -> list[str]:
        """Keypoint names (the keypoint axis)."""
        return list(self.index["catalogue"])

    def __len__(self) -> int:
        return self.n_frames

    def iter_shards(self, arrays: Sequence[str] | None = None) -> Iterator[dict[str, np.ndarray]]:
        """Yield each shard's arrays (all, or those named), in frame order."""
        for p in self.shard_paths:
            d = read_npz(p, arrays)
            d.pop("meta", None)
            yield d

    def load(self, arrays: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        """All frames' arrays concatenated (all arrays, or those named)."""
        parts = list(self.iter_shards(arrays))
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}

    def cameras(self, frames: Sequence[int] | None = None) -> list[Any]:
        """:class:`~dlc_lifter.camera.Camera` of each frame (or of ``frames``)."""
        from dlc_lifter.camera import Camera

        d = self.load(["K", "R", "t", "image_size"])
        idx = range(len(d["K"])) if frames is None else frames
        return [Camera(K=d["K"][i], R=d["R"][i], t=d["t"][i],
                       image_size=tuple(int(v) for v in d["image_size"][i])) for i in idx]


def load_dataset(index_path: str | Path) -> SynthDataset:
    """Open a dataset written by :func:`synthesize`.

    Parameters
    ----------
    index_path
        Its ``index.json`` or the folder holding it.

    Raises
    ------
    SynthDatasetError
        When the index is missing, not a dlc-lifter synthetic dataset, or incomplete.
    """
    p = Path(index_path)
    if p.is_dir():
        p = p / _INDEX
    if not p.is_file():
        raise SynthDatasetError(f"{p} does not exist; give the index.json that "
                                "'dlc-lifter synth' wrote.")
    try:
        index = json.loads(p.read_text())
    except ValueError as exc:
        raise SynthDatasetError(f"{p} is not valid JSON ({exc}).") from None
    if index.get("format") != FORMAT:
        raise SynthDatasetError(f"{p} is not a dlc-lifter synthetic dataset index.")
    if not index.get("complete") or any(s is None for s in index["shards"]):
        raise SynthDatasetError(f"Dataset {p.parent} is incomplete (the run was interrupted); "
                                "run the same 'dlc-lifter synth' command again to finish it.")
    return SynthDataset(index_path=p, index=index)
