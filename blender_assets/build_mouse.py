"""Build the rigged Blender mouse (.blend) deterministically from the numpy rig.

Run with Blender as a Python module (``pip install bpy==5.0.1``)::

    python blender_assets/build_mouse.py --out blender_assets/mouse.blend [--shape-seed 3]

or inside Blender: ``blender -b --python blender_assets/build_mouse.py -- --out m.blend``.

The model is built from ``dlc_lifter/data/mouse_spec.yaml`` through
:class:`dlc_lifter.mouse.rig.MouseRig` (typical adult by default, or a random individual
with ``--shape-seed``): armature (sacrum, 2 lumbar, 3 thoracic, neck, skull, 2 ears,
10 tail bones, 4 limbs x 4 segments), skin mesh with the rig's vertex-group weights and
an Armature modifier, the landmark definitions as custom properties and joint limits on
the pose bones. The same rig always gives the same file content, so the .blend is not
committed: build it, or let :func:`dlc_lifter.synth.blender.cached_mouse_blend` build and
cache it. ``--check`` poses the model randomly and reports the largest difference between
Blender's deformation and the numpy skinning.
"""

from __future__ import annotations

import argparse
import logging
import sys

import numpy as np


def main(argv: list[str] | None = None) -> int:
    """Build (and optionally check) the mouse .blend; returns an exit status."""
    if argv is None:
        argv = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else sys.argv[1:]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="Output .blend")
    ap.add_argument("--shape-seed", type=int, default=None,
                    help="Random individual from this seed (default: the typical mouse).")
    ap.add_argument("--check", action="store_true",
                    help="Compare Blender's deformation with the numpy rig in random poses.")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    log = logging.getLogger("build_mouse")

    from dlc_lifter.mouse.anatomy import MouseShape, sample_shape
    from dlc_lifter.mouse.rig import MouseRig
    from dlc_lifter.synth import blender

    shape = (MouseShape() if args.shape_seed is None
             else sample_shape(np.random.default_rng(args.shape_seed)))
    rig = MouseRig(shape)
    path = blender.save_mouse_blend(rig, args.out)
    log.info("Wrote %s (%d vertices, %d faces, %d bones)", path, len(rig.rest_vertices),
             len(rig.faces), rig.n_bones)
    if args.check:
        import bpy

        arm = bpy.data.objects["mouse_armature"]
        skin = bpy.data.objects["mouse_skin"]
        rng = np.random.default_rng(0)
        worst = 0.0
        for _ in range(5):
            pose = rig.zero_pose()[0]
            pose[:4] = rng.uniform(-100, 100, 4)
            pose[4:] = rng.normal(0.0, 0.3, len(pose) - 4)
            pose = rig.clip_to_limits(pose[None])[0]
            blender.pose_mouse(arm, rig, pose)
            err = np.abs(blender.evaluated_vertices(skin) - rig.skin(pose[None])[0]).max()
            worst = max(worst, float(err))
        log.info("Largest Blender vs numpy vertex difference: %.5f mm", worst)
        if worst >= 0.01:
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
