"""Contact sheets: a grid of random dataset frames (or a strip of one sequence) with
their keypoints drawn, for checking synthetic data by eye.

Visible keypoints are filled dots, hidden (occluded or outside) ones hollow circles;
colours follow body regions (head red, body green, tail blue, forelimbs yellow,
hindlimbs magenta).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from dlc_lifter._atomic import atomic_output
from dlc_lifter.mouse.catalogue import LANDMARKS
from dlc_lifter.synth.dataset import SynthDataset, load_dataset, read_npz

__all__ = ["draw_keypoints", "write_contact_sheet", "write_sequence_strip"]

logger = logging.getLogger(__name__)

_REGION_RGB = {"head": (235, 60, 50), "body": (60, 220, 80), "tail": (70, 140, 255),
               "forelimb": (250, 220, 40), "hindlimb": (230, 70, 230)}
_COLOURS = [_REGION_RGB[lm.region] for lm in LANDMARKS]


def draw_keypoints(rgb: np.ndarray, uv: np.ndarray, visible: np.ndarray,
                   *, scale: float = 1.0, radius: int = 2) -> np.ndarray:
    """Copy of ``rgb`` (resized by ``scale``) with keypoints ``uv (K, 2)`` drawn."""
    import cv2

    img = np.ascontiguousarray(rgb)
    if scale != 1.0:
        img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA
                         if scale < 1 else cv2.INTER_LINEAR)
    img = img.copy()
    for k, ((u, v), vis) in enumerate(zip(np.asarray(uv), np.asarray(visible), strict=True)):
        if not (np.isfinite(u) and np.isfinite(v)):
            continue
        p = (int(round((u + 0.5) * scale - 0.5)), int(round((v + 0.5) * scale - 0.5)))
        col = _COLOURS[k % len(_COLOURS)]
        if vis:
            cv2.circle(img, p, radius, col, -1, lineType=cv2.LINE_AA)
        else:
            cv2.circle(img, p, radius, col, 1, lineType=cv2.LINE_AA)
    return img


def _write_png(path: Path, rgb: np.ndarray) -> Path:
    import cv2

    ok, buf = cv2.imencode(".png", np.ascontiguousarray(rgb[..., ::-1]),
                           [cv2.IMWRITE_PNG_COMPRESSION, 9])
    if not ok:  # pragma: no cover - OpenCV always encodes uint8 RGB
        raise OSError(f"Could not encode {path}")
    with atomic_output(path, overwrite=True) as tmp:
        tmp.write_bytes(buf.tobytes())
    return path


def write_contact_sheet(
    dataset: str | Path | SynthDataset,
    out_png: str | Path,
    *,
    n: int = 16,
    cols: int = 4,
    tile: int = 256,
    seed: int = 0,
) -> Path:
    """Write a PNG grid of ``n`` random frames of a dataset with keypoints drawn.

    Poses-only datasets are drawn on a grey canvas at each frame's image size.

    Parameters
    ----------
    dataset
        A :class:`~dlc_lifter.synth.dataset.SynthDataset` or its ``index.json``.
    out_png
        Output file (written atomically).
    n, cols
        Number of frames and grid columns.
    tile
        Tile size in pixels.
    seed
        Picks the frames.

    Returns
    -------
    Path
        ``out_png``.
    """
    ds = dataset if isinstance(dataset, SynthDataset) else load_dataset(dataset)
    rng = np.random.default_rng(seed)
    n = min(n, ds.n_frames)
    frames = np.sort(rng.choice(ds.n_frames, size=n, replace=False))
    sizes = [s["n_frames"] for s in ds.index["shards"]]
    starts = np.cumsum([0, *sizes])
    tiles = []
    poses_only = bool(ds.index["config"]["poses_only"])
    for shard_i, path in enumerate(ds.shard_paths):
        sel = frames[(frames >= starts[shard_i]) & (frames < starts[shard_i + 1])]
        if len(sel) == 0:
            continue
        names = ["keypoints_2d", "visible", "image_size"] + ([] if poses_only else ["rgb"])
        d = read_npz(path, names)
        for f in sel - starts[shard_i]:
            w, h = (int(v) for v in d["image_size"][f])
            rgb = (np.full((h, w, 3), 90, np.uint8) if poses_only else d["rgb"][f])
            scale = tile / max(w, h)
            img = draw_keypoints(rgb, d["keypoints_2d"][f], d["visible"][f], scale=scale,
                                 radius=max(1, int(round(tile / 110))))
            canvas = np.zeros((tile, tile, 3), np.uint8)
            canvas[:img.shape[0], :img.shape[1]] = img[:tile, :tile]
            tiles.append(canvas)
    rows = -(-len(tiles) // cols)
    sheet = np.zeros((rows * tile, cols * tile, 3), np.uint8)
    for i, t in enumerate(tiles):
        r, c = divmod(i, cols)
        sheet[r * tile:(r + 1) * tile, c * tile:(c + 1) * tile] = t
    logger.info("Contact sheet of %d frames -> %s", len(tiles), out_png)
    return _write_png(Path(out_png), sheet)


def write_sequence_strip(
    out_png: str | Path,
    *,
    n_frames: int = 6,
    step: int = 5,
    seed: int = 0,
    resolution: int = 224,
    quality: str = "fast",
    coat: str | None = None,
    behaviours: tuple[str, ...] | None = None,
    keypoints: bool = True,
) -> Path:
    """Render ``n_frames`` frames (every ``step``-th) of one generated sequence side by
    side, seen by one fixed camera, and write them as a PNG strip.

    Parameters
    ----------
    out_png
        Output file.
    n_frames, step
        Frames in the strip and the frame step between them.
    seed
        Seeds the sequence, the scene and the noise.
    resolution
        Tile size (px).
    quality
        ``"fast"`` or ``"realistic"``.
    coat
        Force a coat colour.
    behaviours
        Behaviours the sequence may contain (all by default).
    keypoints
        Draw the keypoints.
    """
    from dlc_lifter.mouse.behaviour import generate_sequence
    from dlc_lifter.mouse.catalogue import CATALOGUE
    from dlc_lifter.mouse.rig import get_rig
    from dlc_lifter.synth.render import make_sample
    from dlc_lifter.synth.renderers import make_renderer
    from dlc_lifter.synth.scene import sample_scene

    rng = np.random.default_rng(seed)
    side = 500.0
    seq = generate_sequence(n_frames * step, rng=rng, arena_mm=(side, side),
                            behaviours=behaviours)
    rig = get_rig(seq.shape)
    renderer = make_renderer(rig, quality)
    idx = np.arange(n_frames) * step
    centre = np.asarray(seq.landmarks)[idx][:, CATALOGUE.index("mouse_center"), :2]
    path_span = float(np.ptp(centre, axis=0).max()) if n_frames > 1 else 0.0
    span = max(170.0, path_span + 140.0)
    scene = sample_scene(rng, image_size=(resolution, resolution),
                         target_xy=tuple(centre.mean(axis=0)), span_range_mm=(span, span * 1.01),
                         max_tilt_deg=5.0, arena_xy=(0.0, 0.0, side, side), coat=coat)
    tiles = []
    for f in idx:
        s = make_sample(rig, np.asarray(seq.pose)[f], scene, renderer, rng,
                        behaviour=int(seq.behaviour[f]))
        img = (draw_keypoints(s.rgb, s.keypoints_2d, s.visible, radius=2) if keypoints
               else s.rgb)
        tiles.append(img)
    strip = np.concatenate(tiles, axis=1)
    return _write_png(Path(out_png), strip)
