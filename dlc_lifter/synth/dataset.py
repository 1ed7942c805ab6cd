"""Synthetic datasets on disk: sharded ``.npz`` files plus a JSON index.

:func:`synthesize` renders (or, ``poses_only=True``, only projects) ``n_frames`` samples
into ``out_dir``:

``out_dir/index.json``
    Format, configuration, catalogue, array descriptions and the shard list.
``out_dir/shard_00000.npz`` ...
    ``shard_size`` frames each, arrays with the frame as first axis (see
    :data:`IMAGE_ARRAYS` and :data:`~dlc_lifter.synth.poses_only.POSES_ONLY_ARRAYS`).

The files' layout is :mod:`dlc_lifter.io.synth_shards`'s. Every shard is written atomically
(:func:`~dlc_lifter.io.synth_shards.write_shard`) from its own seed,
``numpy.random.SeedSequence(seed).spawn``'s ``i``-th child, so shards can be made in any
order by any number of worker processes and the same seed gives byte-identical files. A
killed run restarts where it stopped: finished shards that pass a CRC check and belong to
the same configuration are kept, temporary files are removed and the rest is made again;
nothing is duplicated or lost. :func:`load_dataset` reads a dataset back.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import logging
import math
import multiprocessing
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dlc_lifter.errors import SynthDatasetError
from dlc_lifter.io.synth_shards import (
    FORMAT,
    FORMAT_VERSION,
    INDEX_NAME,
    check_shard,
    read_index,
    read_npz,
    remove_unfinished_shards,
    shard_file_name,
    shard_sha256,
    write_index,
    write_npz,
    write_shard,
)
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

#: Revision of what the generator draws (mouse, behaviour, scene, renderer), part of the
#: shards' configuration, so that a work folder made by an older generator is refused (its
#: settings differ) instead of being taken for a finished dataset: 1 until 2026-11-30;
#: 2 the trunk that stretches and hunches; 3 rears stretched 5-35 % and a wider population
#: of sizes.
GENERATOR_REVISION = 3
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
    p = Path(path)
    sha = write_shard(p, arrays, meta, compress=config.get("compress", True))
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
           "stride": int(stride), "compress": bool(compress), "format_version": FORMAT_VERSION,
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

    names = {
        "catalogue": list(CATALOGUE),
        "landmark_kinds": [lm.kind for lm in LANDMARKS],
        "shape_names": list(MouseShape.__dataclass_fields__),
        "behaviours": behaviours,
        "coats": list(COATS),
    }
    return write_index(out / INDEX_NAME, config=cfg, names=names,
                       arrays=POSES_ONLY_ARRAYS if cfg["poses_only"] else IMAGE_ARRAYS,
                       shards=shards, complete=complete)


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
    out = Path(out_dir).resolve()  # absolute: tasks on another worker write here too
    out.mkdir(parents=True, exist_ok=True)
    cfg = _config(n_frames, seed, quality, poses_only, resolution, shard_size,
                  frames_per_mouse, stride, compress)
    index_path = out / INDEX_NAME
    if index_path.exists():
        try:
            old = read_index(index_path)
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
    for name in remove_unfinished_shards(out):
        logger.info("Removing unfinished %s", name)
    n_shards = math.ceil(n_frames / shard_size)
    seeds = np.random.SeedSequence(seed).spawn(n_shards)
    sizes = [min(shard_size, n_frames - i * shard_size) for i in range(n_shards)]
    names = [shard_file_name(i) for i in range(n_shards)]
    shards: list[dict | None] = [None] * n_shards
    todo = []
    for i, name in enumerate(names):
        p = out / name
        if p.exists() and check_shard(p, sizes[i], cfg["config_hash"]):
            shards[i] = {"file": name, "n_frames": sizes[i], "sha256": shard_sha256(p)}
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
        p = p / INDEX_NAME
    if not p.is_file():
        raise SynthDatasetError(f"{p} does not exist; give the index.json that "
                                "'dlc-lifter synth' wrote.")
    try:
        index = read_index(p)
    except ValueError as exc:
        raise SynthDatasetError(f"{p} is not valid JSON ({exc}).") from None
    if index.get("format") != FORMAT:
        raise SynthDatasetError(f"{p} is not a dlc-lifter synthetic dataset index.")
    if not index.get("complete") or any(s is None for s in index["shards"]):
        raise SynthDatasetError(f"Dataset {p.parent} is incomplete (the run was interrupted); "
                                "run the same 'dlc-lifter synth' command again to finish it.")
    return SynthDataset(index_path=p, index=index)
