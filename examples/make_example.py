"""Make the bundled demo example deterministically: ``dlc_lifter/data/example/``.

What it writes (all synthetic, from the project's own mouse; nothing from other projects):

* ``mouse_demo.mp4``: a short top-view clip of a synthetic mouse in an open field;
* ``mouse_demoDLC_resnet50_syntheticmouseNov24shuffle1_100000.h5``: its 2D keypoints in
  DeepLabCut ``analyze_videos`` format (key ``df_with_missing``, scorer / bodyparts /
  coords x, y, likelihood), made from the exact projections with DLC-like noise: pixel
  jitter, occasional outliers with low likelihood, lower likelihood for the tail tip;
* ``mouse_demo_groundtruth3d.h5``: the exact 3D keypoints (mm, world frame, floor z = 0)
  in DLC's 3D layout;
* ``example.yaml``: what the files are, the camera, and the options the demo lifts with.

The 3D motion comes from :func:`dlc_lifter.synth.poses_only.generate_sequences` when it is
available, else from the small procedural walker below (:func:`procedural_sequence`). The
frames are drawn with OpenCV from the 3D keypoints (an ellipse body and head, ears, tail)
through the pinhole top-view camera, so raised points move away from the image centre as
they do in a real top view.

Run from the repository root: ``python examples/make_example.py [--out DIR]``.
"""

from __future__ import annotations

import argparse
import logging
import math
from pathlib import Path

import cv2
import numpy as np
import yaml

from dlc_lifter.poses import PoseMetadata, Poses

logger = logging.getLogger("make_example")

SEED = 20261124
N_FRAMES = 240
FPS = 30.0
SIZE = (480, 360)  # (width, height) px
CAMERA_HEIGHT_MM = 650.0
FOCAL_PX = 560.0
ARENA_MM = 400.0
SCORER = "DLC_resnet50_syntheticmouseNov24shuffle1_100000"
STEM = "mouse_demo"
#: DLC-style user names of the example's bodyparts -> catalogue landmarks.
BODYPARTS = {
    "snout": "nose", "leftear": "left_ear", "rightear": "right_ear", "neck": "neck",
    "bodycenter": "mouse_center", "tailbase": "tail_base", "tailmid": "tail3",
    "tailend": "tail_end",
}


# --------------------------------------------------------------------------- camera
def camera_matrices() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``K, R, t`` of a camera straight above the arena centre (world origin).

    Image ``u`` runs along world ``x`` and ``v`` along world ``-y``, so the camera-floor
    frame of the conventions (origin below the camera) is the world frame itself.
    """
    k = np.array([[FOCAL_PX, 0, (SIZE[0] - 1) / 2], [0, FOCAL_PX, (SIZE[1] - 1) / 2],
                  [0, 0, 1]])
    r = np.diag([1.0, -1.0, -1.0])
    t = np.array([0.0, 0.0, CAMERA_HEIGHT_MM])
    return k, r, t


def project(points: np.ndarray) -> np.ndarray:
    """Project world points ``(..., 3)`` mm to pixels ``(..., 2)``."""
    k, r, t = camera_matrices()
    cam = points @ r.T + t
    uv = cam[..., :2] / cam[..., 2:3]
    return uv * [k[0, 0], k[1, 1]] + [k[0, 2], k[1, 2]]


# --------------------------------------------------------------------------- 3D motion
def procedural_sequence(rng: np.random.Generator, n: int = N_FRAMES) -> np.ndarray:
    """A walking, turning and rearing mouse: ``(n, len(BODYPARTS), 3)`` mm, world frame.

    The body centre follows a smooth random walk kept inside the arena, the body points
    along the direction of travel, and two rearing bouts pitch the front body up about
    the hips (nose up to ~75 mm).
    """
    half = ARENA_MM / 2 - 60
    pos = np.zeros((n, 2))
    heading = np.zeros(n)
    p, h, speed = np.array([-60.0, -30.0]), 0.3, 0.0
    for i in range(n):
        turn = rng.normal(0, 0.06) - 0.02 * np.sign(np.cross([math.cos(h), math.sin(h)], -p)
                                                       ) * (np.linalg.norm(p) > half)
        h += turn
        speed = 0.85 * speed + 0.15 * (4.0 + 2.0 * math.sin(i / 25))
        p = p + speed * np.array([math.cos(h), math.sin(h)])
        p = np.clip(p, -half, half)
        pos[i], heading[i] = p, h
    t = np.arange(n) / FPS
    rear = np.zeros(n)
    for start, stop in ((2.5, 3.6), (6.0, 7.1)):
        x = np.clip((t - start) / (stop - start), 0, 1)
        rear = np.maximum(rear, np.sin(math.pi * x) ** 0.6 * (x > 0) * (x < 1))
    pitch = np.radians(55.0) * rear  # front body pitched up about the hips
    # (forward offset along the body from the hips, lateral, height at rest)
    body = {
        "snout": (88.0, 0.0, 14.0), "leftear": (68.0, 10.0, 24.0),
        "rightear": (68.0, -10.0, 24.0), "neck": (60.0, 0.0, 28.0),
        "bodycenter": (35.0, 0.0, 32.0), "tailbase": (0.0, 0.0, 16.0),
    }
    out = np.zeros((n, len(BODYPARTS), 3))
    hips = pos - 35.0 * np.stack([np.cos(heading), np.sin(heading)], -1)
    fwd = np.stack([np.cos(heading), np.sin(heading)], -1)
    left = np.stack([-np.sin(heading), np.cos(heading)], -1)
    for k, name in enumerate(BODYPARTS):
        if name in body:
            f, s, z = body[name]
            zz = z + f * np.sin(pitch) * 0.95
            ff = f * np.cos(pitch)
            out[:, k, :2] = hips + ff[:, None] * fwd + s * left
            out[:, k, 2] = zz
        else:  # tail on the floor, swinging
            along = 55.0 if name == "tailmid" else 110.0
            swing = 0.35 * np.sin(t * 2.1 + (0 if name == "tailmid" else 0.8))
            ang = heading + math.pi + swing * (1.0 if name == "tailmid" else 1.6)
            out[:, k, :2] = hips + along * np.stack([np.cos(ang), np.sin(ang)], -1)
            out[:, k, 2] = 4.0 if name == "tailmid" else 2.0
    return out


def synth_sequence(rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """3D keypoints ``(frames, bodyparts, 3)`` and the name of the generator used."""
    try:
        from dlc_lifter.synth.poses_only import generate_sequences
    except ImportError:
        return procedural_sequence(rng), "examples/make_example.py:procedural_sequence"
    from dlc_lifter.mouse import CATALOGUE

    seqs = generate_sequences(n_sequences=1, n_frames=N_FRAMES, fps=FPS,
                              seed=int(rng.integers(2**31)))
    seq = seqs[0]
    coords = getattr(seq, "coords", seq)
    names = list(getattr(seq, "keypoints", CATALOGUE))
    coords = np.asarray(coords, dtype=float)
    if coords.ndim == 4:
        coords = coords[:, 0]
    idx = [names.index(c) for c in BODYPARTS.values()]
    out = coords[:, idx]
    out[..., :2] -= np.nanmean(out[:, :, :2], axis=(0, 1))  # centre in the arena
    return out, "dlc_lifter.synth.poses_only.generate_sequences"


# --------------------------------------------------------------------------- drawing
def draw_frame(xyz: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One top-view RGB frame of the mouse (OpenCV drawing through the camera)."""
    w, h = SIZE
    img = np.full((h, w, 3), 205, np.uint8)
    c = ARENA_MM / 2
    corners = project(np.array([[-c, -c, 0], [c, -c, 0], [c, c, 0], [-c, c, 0]]))
    cv2.fillPoly(img, [corners.round().astype(np.int32)], (238, 238, 236), cv2.LINE_AA)
    cv2.polylines(img, [corners.round().astype(np.int32)], True, (150, 150, 150), 2,
                  cv2.LINE_AA)
    names = list(BODYPARTS)
    uv = project(xyz)
    p = {n: uv[i] for i, n in enumerate(names)}
    shadow = project(xyz * [1, 1, 0])
    s = {n: shadow[i] for i, n in enumerate(names)}
    dark, fur = (45, 42, 40), (70, 66, 62)

    def ellipse(a: np.ndarray, b: np.ndarray, width: float, colour: tuple[int, int, int]
                ) -> None:
        centre = (a + b) / 2
        length = float(np.linalg.norm(b - a)) / 2 + width * 0.4
        angle = math.degrees(math.atan2(b[1] - a[1], b[0] - a[0]))
        cv2.ellipse(img, (tuple(np.round(centre * 16).astype(int))),
                    (int(length * 16), int(width * 16)), angle, 0, 360, colour, -1,
                    cv2.LINE_AA, 4)

    ellipse(s["tailbase"], s["neck"], 16, (200, 200, 198))  # soft shadow
    tail = np.array([p["tailbase"], p["tailmid"], p["tailend"]])
    cv2.polylines(img, [tail.round().astype(np.int32)], False, (150, 140, 150), 3, cv2.LINE_AA)
    ellipse(p["tailbase"], p["neck"], 17, dark)
    ellipse(p["neck"], p["snout"], 11, fur)
    for ear in ("leftear", "rightear"):
        cv2.circle(img, tuple(np.round(p[ear]).astype(int)), 6, (120, 110, 160), -1,
                   cv2.LINE_AA)
    noise = rng.normal(0, 3.0, img.shape)
    return np.clip(img + noise, 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------- 2D detections
def dlc_like_detections(uv: np.ndarray, rng: np.random.Generator
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Exact pixels -> DLC-like detections and likelihoods.

    Gaussian jitter (1.2 px, 2.5 px for the tail tip), 2 % outliers displaced 8-30 px
    with likelihood 0.05-0.4, other likelihoods 0.85-1.0 (tail tip 0.6-0.95).
    """
    n, k, _ = uv.shape
    sigma = np.full(k, 1.2)
    sigma[list(BODYPARTS).index("tailend")] = 2.5
    det = uv + rng.normal(0, 1, uv.shape) * sigma[None, :, None]
    like = rng.uniform(0.85, 1.0, (n, k))
    tip = list(BODYPARTS).index("tailend")
    like[:, tip] = rng.uniform(0.6, 0.95, n)
    outlier = rng.random((n, k)) < 0.02
    ang = rng.uniform(0, 2 * math.pi, (n, k))
    dist = rng.uniform(8, 30, (n, k))
    det[outlier] += np.stack([np.cos(ang), np.sin(ang)], -1)[outlier] * dist[outlier, None]
    like[outlier] = rng.uniform(0.05, 0.4, outlier.sum())
    return det, like


# --------------------------------------------------------------------------- main
def make_example(out: Path) -> list[Path]:
    """Write the example files into ``out``; returns them."""
    import imageio_ffmpeg

    rng = np.random.default_rng(SEED)
    xyz, generator = synth_sequence(rng)
    uv = project(xyz)
    out.mkdir(parents=True, exist_ok=True)
    video = out / f"{STEM}.mp4"
    writer = imageio_ffmpeg.write_frames(
        str(video), SIZE, fps=FPS, codec="libx264", pix_fmt_in="rgb24", quality=None,
        macro_block_size=2, ffmpeg_log_level="error",
        output_params=["-crf", "28", "-preset", "medium", "-bitexact", "-threads", "1"])
    writer.send(None)
    for i in range(len(xyz)):
        writer.send(np.ascontiguousarray(draw_frame(xyz[i], rng)[..., ::-1]))
    writer.close()

    det, like = dlc_like_detections(uv, rng)
    names = list(BODYPARTS)
    meta = PoseMetadata(scorer=SCORER, fps=FPS, image_size=SIZE, source_format="dlc-h5")
    poses2d = Poses(coords=det, confidence=like, keypoints=names, meta=meta)
    pose_file = out / f"{STEM}{SCORER}.h5"
    poses2d.to_dataframe(multi_animal=False).to_hdf(
        pose_file, key="df_with_missing", mode="w", format="table")
    truth = Poses(coords=xyz, keypoints=names,
                  meta=PoseMetadata(scorer="ground_truth", fps=FPS, frame="world", units="mm"))
    truth_file = out / f"{STEM}_groundtruth3d.h5"
    truth.to_dataframe(multi_animal=False, likelihood=False).to_hdf(
        truth_file, key="df_with_missing", mode="w", format="table")
    info = {
        "description": "Synthetic top-view mouse clip made by examples/make_example.py; "
                       "2D keypoints with DLC-like noise; exact 3D ground truth.",
        "generator": generator, "seed": SEED, "frames": int(len(xyz)), "fps": FPS,
        "image_size": list(SIZE), "video": video.name, "poses": pose_file.name,
        "ground_truth": truth_file.name, "task": "syntheticmouse",
        "bodyparts": names, "catalogue": BODYPARTS,
        "camera": {"height_mm": CAMERA_HEIGHT_MM, "focal_px": FOCAL_PX,
                   "principal_point_px": [(SIZE[0] - 1) / 2, (SIZE[1] - 1) / 2],
                   "pose": "straight down above the arena centre; image u = world x, "
                           "v = world -y"},
        "arena_size_mm": ARENA_MM,
        "lift_kwargs": {"camera_height_mm": CAMERA_HEIGHT_MM, "focal_px": FOCAL_PX},
    }
    (out / "example.yaml").write_text(yaml.safe_dump(info, sort_keys=False))
    files = [video, pose_file, truth_file, out / "example.yaml"]
    for f in files:
        logger.info("wrote %s (%.0f kB)", f, f.stat().st_size / 1e3)
    return files


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description="Make dlc_lifter/data/example deterministically.")
    ap.add_argument("--out", type=Path,
                    default=Path(__file__).resolve().parents[1] / "dlc_lifter" / "data"
                    / "example")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    make_example(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
