"""Make the bundled demo example deterministically: ``dlc_lifter/data/example/``.

What it writes (all synthetic, from the project's own mouse; nothing from other projects):

* ``mouse_demo.mp4``: a short top-view clip of the project's rigged synthetic mouse
  (:mod:`dlc_lifter.mouse`) walking, turning, rearing and grooming in a white open field
  with a black coat, like DeepLabCut's openfield example, rendered by the fast renderer
  of :mod:`dlc_lifter.synth`;
* ``mouse_demoDLC_resnet50_syntheticmouseNov24shuffle1_100000.h5``: its 2D keypoints in
  DeepLabCut ``analyze_videos`` format (key ``df_with_missing``, scorer / bodyparts /
  coords x, y, likelihood), made from the exact projections with DLC-like noise: pixel
  jitter, occasional outliers with low likelihood, lower likelihood for the tail tip;
* ``mouse_demo_groundtruth3d.h5``: the exact 3D keypoints (mm, floor z = 0) in DLC's 3D
  layout, in the frame ``dlc-lifter lift`` writes without a calibration (origin on the
  floor below the camera, x along the image's u axis, y along -v, z up);
* ``example.yaml``: what the files are, the camera, and the options the demo lifts with.

Run from the repository root: ``python examples/make_example.py [--out DIR]``.
"""

from __future__ import annotations

import argparse
import logging
import math
from pathlib import Path

import numpy as np
import yaml

from dlc_lifter.camera import Camera
from dlc_lifter.poses import PoseMetadata, Poses

logger = logging.getLogger("make_example")

SEED = 20261124
N_FRAMES = 300
FPS = 30.0
SIZE = (480, 360)  # (width, height) px
CAMERA_HEIGHT_MM = 650.0
FOCAL_PX = 560.0
ARENA_MM = 400.0
SCORER = "DLC_resnet50_syntheticmouseNov24shuffle1_100000"
STEM = "mouse_demo"
#: Behaviours of the clip, in the order the generator may visit them.
BEHAVIOURS = ("walk", "turn", "rear", "groom", "sniff")
#: Behaviours the clip must show.
MUST_SHOW = ("walk", "rear", "groom")
#: DLC-style user names of the example's bodyparts -> catalogue landmarks.
BODYPARTS = {
    "snout": "nose", "leftear": "left_ear", "rightear": "right_ear", "neck": "neck",
    "bodycenter": "mouse_center", "tailbase": "tail_base", "tailmid": "tail3",
    "tailend": "tail_end",
}


# --------------------------------------------------------------------------- camera
def camera() -> Camera:
    """The example camera: straight down above the arena centre (the world origin).

    Image ``u`` runs along world ``x`` and ``v`` along world ``-y``, so the camera-floor
    frame of the conventions (origin below the camera) is the world frame itself.
    """
    return Camera.top_view(CAMERA_HEIGHT_MM, FOCAL_PX, SIZE, name="example")


def project(points: np.ndarray) -> np.ndarray:
    """Project world points ``(..., 3)`` mm to pixels ``(..., 2)``."""
    return camera().project(points)


# --------------------------------------------------------------------------- 3D motion
def synth_sequence(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, object]:
    """A behaviour sequence of the synthetic mouse, centred on the arena centre.

    Returns
    -------
    tuple
        Catalogue landmarks ``(frames, K, 3)`` mm in the camera-floor frame, the pose
        vectors ``(frames, P)`` in the same frame, and the sequence.
    """
    from dlc_lifter.mouse.behaviour import generate_sequence

    # The first sequence (in a fixed order of draws) that shows rearing and grooming.
    for _ in range(200):
        seq = generate_sequence(N_FRAMES, rng=rng, fps=FPS, arena_mm=(ARENA_MM, ARENA_MM),
                                behaviours=BEHAVIOURS)
        if set(MUST_SHOW) <= set(seq.behaviour_names()):
            break
    else:  # pragma: no cover - the generator's bouts make this vanishingly rare
        raise RuntimeError(f"No sequence with {MUST_SHOW} in 200 draws.")
    shift = np.array([ARENA_MM / 2, ARENA_MM / 2, 0.0])  # arena corner -> arena centre
    pose = np.array(seq.pose, dtype=np.float64, copy=True)
    pose[:, :3] -= shift  # the pose vector starts with the root position
    landmarks = np.asarray(seq.landmarks, dtype=np.float64) - shift
    return landmarks, pose, seq


def render_frames(pose: np.ndarray, seq: object, rng: np.random.Generator) -> list[np.ndarray]:
    """Render each pose of the sequence with the fast renderer through :func:`camera`."""
    from dlc_lifter.mouse.rig import get_rig
    from dlc_lifter.synth.renderers import make_renderer
    from dlc_lifter.synth.scene import COATS, SceneParams

    rig = get_rig(seq.shape)  # type: ignore[attr-defined]
    renderer = make_renderer(rig, "fast")
    half = ARENA_MM / 2
    scene = SceneParams(
        camera=camera(), arena_xy=(-half, -half, half, half), wall_height_mm=250.0,
        floor_kind="plain", floor_rgb=(0.85, 0.85, 0.83), floor_rgb2=(0.8, 0.8, 0.78),
        outside_rgb=(0.35, 0.35, 0.35), wall_rgb=(0.75, 0.75, 0.75), coat="black",
        fur_rgb=COATS["black"]["fur"], skin_rgb=COATS["black"]["skin"],
        eye_rgb=COATS["black"]["eye"], light_dir=(0.25, 0.15, 0.956), ambient=0.4,
        noise_sigma=0.01, blur_sigma_px=0.6, texture_seed=SEED)
    verts = np.asarray(rig.skin(pose))
    return [renderer.render(pose[i], verts[i], scene, rng).rgb for i in range(len(pose))]


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

    from dlc_lifter.mouse.catalogue import CATALOGUE

    rng = np.random.default_rng(SEED)
    landmarks, pose, seq = synth_sequence(rng)
    xyz = landmarks[:, [CATALOGUE.index(c) for c in BODYPARTS.values()]]
    uv = project(xyz)
    frames = render_frames(pose, seq, rng)
    out.mkdir(parents=True, exist_ok=True)
    video = out / f"{STEM}.mp4"
    writer = imageio_ffmpeg.write_frames(
        str(video), SIZE, fps=FPS, codec="libx264", pix_fmt_in="rgb24", quality=None,
        macro_block_size=2, ffmpeg_log_level="error",
        output_params=["-crf", "28", "-preset", "medium", "-bitexact", "-threads", "1"])
    writer.send(None)
    for frame in frames:
        writer.send(np.ascontiguousarray(frame))
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
        "generator": "dlc_lifter.mouse.behaviour.generate_sequence + "
                     "dlc_lifter.synth fast renderer",
        "behaviours": sorted(set(seq.behaviour_names())),  # type: ignore[attr-defined]
        "seed": SEED, "frames": int(len(xyz)), "fps": FPS,
        "image_size": list(SIZE), "video": video.name, "poses": pose_file.name,
        "ground_truth": truth_file.name, "task": "syntheticmouse",
        "bodyparts": names, "catalogue": BODYPARTS,
        "camera": {"height_mm": CAMERA_HEIGHT_MM, "focal_px": FOCAL_PX,
                   "principal_point_px": [(SIZE[0] - 1) / 2, (SIZE[1] - 1) / 2],
                   "pose": "straight down above the arena centre; image u = world x, "
                           "v = world -y"},
        "arena_size_mm": ARENA_MM,
        "camera_spec": {"camera_height_mm": CAMERA_HEIGHT_MM, "focal_px": FOCAL_PX},
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
