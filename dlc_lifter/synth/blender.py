"""Everything that touches Blender (``bpy``): the rigged mouse model and Cycles renders.

This is the only module of dlc-lifter that imports ``bpy`` (Blender as a Python module,
``pip install bpy==5.0.1``, the ``synth`` extra). It:

* builds the rigged mouse inside Blender from the numpy rig
  (:func:`build_mouse`): an armature with the rig's bones (spine, neck, skull, ears, four
  limbs of four segments, ten tail bones; joint limits stored on each pose bone as the
  custom property ``joint_limits_rad``, ``[[min, max]] * 3`` for the rig's local
  ``rx, ry, rz``), and the skin mesh bound to it with vertex groups carrying the rig's
  weights and an Armature modifier (linear blend skinning, no volume preservation), so
  Blender's deformation equals :meth:`dlc_lifter.mouse.rig.MouseRig.skin`;
* poses it (:func:`pose_mouse`), reads the deformed mesh and every catalogue landmark back
  (:func:`evaluated_vertices`, :func:`blender_landmarks`);
* saves it to a ``.blend`` (:func:`save_mouse_blend`, used by
  ``blender_assets/build_mouse.py``; cached by :func:`cached_mouse_blend`);
* renders a :class:`~dlc_lifter.synth.scene.SceneParams` with Cycles
  (:class:`BlenderRenderer`, ``quality="realistic"``): the OpenCV camera converted to a
  Blender camera (:func:`set_camera`), floor, walls, sun and coat materials, low samples
  with OpenImageDenoise, one thread per process. RGB comes from the linear Combined pass,
  depth from the Z pass (Cycles writes the distance along the camera's view axis, i.e.
  camera ``Z``; :func:`depth_from_z_pass` converts from ray distance when asked) and the
  mask from the object-index pass, all read from an uncompressed multilayer EXR by a small
  reader (:func:`read_exr`), so no extra image library is needed.

One module although long: it is the whole of dlc-lifter that imports ``bpy`` (an optional
dependency), which keeps every other module importable without Blender.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import struct
import tempfile
import weakref
from pathlib import Path
from typing import Any

import bpy
import numpy as np
from mathutils import Matrix

from dlc_lifter.camera import Camera
from dlc_lifter.mouse.catalogue import CATALOGUE
from dlc_lifter.synth.render import (
    REGION_EYE,
    REGION_SKIN,
    RenderedImage,
    vertex_regions,
)
from dlc_lifter.synth.scene import SceneParams, apply_image_effects, floor_texture

__all__ = [
    "BlenderRenderer",
    "blender_landmarks",
    "build_mouse",
    "cached_mouse_blend",
    "camera_to_blender",
    "depth_from_z_pass",
    "evaluated_vertices",
    "pose_mouse",
    "read_exr",
    "reset_blender",
    "save_mouse_blend",
    "set_camera",
]

logger = logging.getLogger(__name__)

_MOUSE_PASS_INDEX = 7
#: Blender camera axes (x right, y up, looking along -z) in OpenCV camera axes.
_CV_FROM_BLENDER = np.diag([1.0, -1.0, -1.0])


# ---------------------------------------------------------------------- scene basics
def reset_blender() -> None:
    """Empty the Blender session (factory settings, no objects)."""
    bpy.ops.wm.read_factory_settings(use_empty=True)


def _link(obj: Any) -> None:
    bpy.context.scene.collection.objects.link(obj)


# ---------------------------------------------------------------------- mouse model
def build_mouse(rig: Any, name: str = "mouse") -> tuple[Any, Any]:
    """Build the rigged mouse of ``rig`` in the current Blender scene.

    Parameters
    ----------
    rig
        A :class:`~dlc_lifter.mouse.rig.MouseRig`.
    name
        Base name of the objects (``<name>_armature``, ``<name>_skin``).

    Returns
    -------
    armature, skin
        The armature object and the skinned mesh object (both at the identity transform).
    """
    for suffix in ("_skin", "_armature"):  # replace a previous mouse of that name
        old = bpy.data.objects.get(name + suffix)
        if old is not None:
            data = old.data
            bpy.data.objects.remove(old, do_unlink=True)
            if data is not None and data.users == 0:
                (bpy.data.meshes if suffix == "_skin" else bpy.data.armatures).remove(data)
    arm_data = bpy.data.armatures.new(name + "_armature")
    arm = bpy.data.objects.new(name + "_armature", arm_data)
    _link(arm)
    bpy.context.view_layer.objects.active = arm
    bpy.ops.object.mode_set(mode="EDIT")
    heads = np.asarray(rig.bone_rest_heads, dtype=np.float64)
    tails = np.asarray(rig.bone_rest_tails, dtype=np.float64)
    for j, bname in enumerate(rig.bone_names):
        eb = arm_data.edit_bones.new(bname)
        eb.head = heads[j].tolist()
        tail = tails[j] if np.linalg.norm(tails[j] - heads[j]) > 1e-6 else heads[j] + [0, 0, 1]
        eb.tail = tail.tolist()
        eb.roll = 0.0
        eb.use_connect = False
    # Parents by name: EditBone references go stale as the bone list grows.
    for j, bname in enumerate(rig.bone_names):
        p = int(rig.bone_parents[j])
        if p >= 0:
            arm_data.edit_bones[bname].parent = arm_data.edit_bones[rig.bone_names[p]]
    bpy.ops.object.mode_set(mode="OBJECT")
    for j, bname in enumerate(rig.bone_names):
        p = int(rig.bone_parents[j])
        parent = arm_data.bones[bname].parent
        if (parent.name if parent else None) != (rig.bone_names[p] if p >= 0 else None):
            raise RuntimeError(f"Blender bone {bname} has the wrong parent.")
    limits = getattr(rig, "joint_limits", None)
    for j, bname in enumerate(rig.bone_names):
        pb = arm.pose.bones[bname]
        pb.rotation_mode = "QUATERNION"
        if limits is not None:
            pb["joint_limits_rad"] = np.asarray(limits[j], dtype=float).tolist()
    mesh = bpy.data.meshes.new(name + "_skin")
    verts = np.asarray(rig.rest_vertices, dtype=np.float64)
    faces = np.asarray(rig.faces, dtype=np.int64)
    mesh.vertices.add(len(verts))
    mesh.vertices.foreach_set("co", verts.astype(np.float32).ravel())
    mesh.loops.add(faces.size)
    mesh.loops.foreach_set("vertex_index", faces.astype(np.int32).ravel())
    mesh.polygons.add(len(faces))
    mesh.polygons.foreach_set("loop_start", np.arange(0, faces.size, 3, dtype=np.int32))
    mesh.polygons.foreach_set("use_smooth", np.ones(len(faces), dtype=bool))
    mesh.update()
    mesh.validate()
    skin = bpy.data.objects.new(name + "_skin", mesh)
    _link(skin)
    idx = np.asarray(rig.weight_indices)
    val = np.asarray(rig.weight_values)
    groups = [skin.vertex_groups.new(name=b) for b in rig.bone_names]
    for v in range(len(verts)):
        for k in range(idx.shape[1]):
            if val[v, k] > 0.0:
                groups[int(idx[v, k])].add([v], float(val[v, k]), "ADD")
    mod = skin.modifiers.new("armature", "ARMATURE")
    mod.object = arm
    mod.use_vertex_groups = True
    mod.use_bone_envelopes = False
    mod.use_deform_preserve_volume = False
    skin.pass_index = _MOUSE_PASS_INDEX
    # Colour regions (fur / skin / eye) as a point attribute for the coat material.
    region = vertex_regions(rig).astype(np.float32)
    attr = mesh.attributes.new("region", "FLOAT", "POINT")
    attr.data.foreach_set("value", region)
    # Landmark definitions, so the .blend alone gives every catalogue landmark.
    skin["landmark_names"] = list(CATALOGUE)
    skin["landmark_vertex"] = [int(v) for v in rig.landmark_vertex]
    rest_lm = np.asarray(rig.landmarks(rig.zero_pose()))[0]
    arm["landmark_bone"] = [int(b) for b in rig.landmark_bone]
    arm["bone_names"] = list(rig.bone_names)
    arm["landmark_rest"] = rest_lm.ravel().tolist()
    arm["shape"] = rig.shape.as_dict()
    return arm, skin


def _blender_rest(arm: Any, names: Any) -> np.ndarray:
    # By name: Blender orders ``bones`` depth-first, not in the rig's order.
    return np.array([np.array(arm.data.bones[n].matrix_local) for n in names])


def pose_mouse(arm: Any, rig: Any, pose: np.ndarray) -> None:
    """Pose the Blender armature like ``rig`` in ``pose`` (``(P,)``).

    Each pose bone's ``matrix_basis`` is set so that its deform matrix
    ``pose_bone.matrix @ bone.matrix_local.inverted()`` equals the rig's LBS matrix
    ``S_j`` (:meth:`~dlc_lifter.mouse.rig.MouseRig.skinning_matrices`), parents included.
    """
    s = np.asarray(rig.skinning_matrices(np.asarray(pose, dtype=np.float64)[None]))[0]
    rest = _blender_rest(arm, rig.bone_names)
    target = s @ rest  # desired armature-space pose matrices
    parents = [int(p) for p in rig.bone_parents]
    for j, bname in enumerate(rig.bone_names):
        p = parents[j]
        if p < 0:
            basis = np.linalg.inv(rest[j]) @ target[j]
        else:
            basis = np.linalg.inv(rest[j]) @ rest[p] @ np.linalg.inv(target[p]) @ target[j]
        arm.pose.bones[bname].matrix_basis = Matrix(basis.tolist())
    bpy.context.view_layer.update()


def evaluated_vertices(skin: Any) -> np.ndarray:
    """``(V, 3)`` world vertices of the deformed (evaluated) skin mesh."""
    deps = bpy.context.evaluated_depsgraph_get()
    ev = skin.evaluated_get(deps)
    mesh = ev.to_mesh()
    try:
        co = np.empty(len(mesh.vertices) * 3, dtype=np.float32)
        mesh.vertices.foreach_get("co", co)
    finally:
        ev.to_mesh_clear()
    m = np.array(skin.matrix_world)
    v = co.reshape(-1, 3).astype(np.float64)
    return v @ m[:3, :3].T + m[:3, 3]


def blender_landmarks(arm: Any, skin: Any) -> np.ndarray:
    """``(K, 3)`` world positions of every catalogue landmark of the posed Blender mouse.

    Surface landmarks are read from the deformed mesh; joint landmarks follow their
    bone's deform matrix.
    """
    verts = evaluated_vertices(skin)
    lv = np.asarray(skin["landmark_vertex"], dtype=np.int64)
    lb = np.asarray(arm["landmark_bone"], dtype=np.int64)
    names = list(arm["bone_names"])
    rest = np.asarray(arm["landmark_rest"], dtype=np.float64).reshape(-1, 3)
    out = np.empty((len(lv), 3))
    for k in range(len(lv)):
        if lv[k] >= 0:
            out[k] = verts[lv[k]]
        else:
            pb = arm.pose.bones[names[int(lb[k])]]
            deform = np.array(pb.matrix) @ np.linalg.inv(np.array(pb.bone.matrix_local))
            out[k] = (deform @ np.append(rest[k], 1.0))[:3]
    return out


def save_mouse_blend(rig: Any, path: str | Path) -> Path:
    """Build ``rig`` in an empty Blender session and save it as a ``.blend``."""
    reset_blender()
    build_mouse(rig)
    p = Path(path).resolve()
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(f".{p.stem}.{os.getpid()}.tmp.blend")
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp), compress=True, copy=True)
    os.replace(tmp, p)
    return p


def cached_mouse_blend(rig: Any, cache_dir: str | Path | None = None) -> Path:
    """The ``.blend`` of ``rig``, built once and cached by a hash of the rig's data.

    The cache folder is ``$DLC_LIFTER_CACHE`` or ``~/.cache/dlc_lifter``.
    """
    h = hashlib.sha256()
    for a in (rig.rest_vertices, rig.faces, rig.weight_indices, rig.weight_values,
              rig.bone_rest_heads, rig.bone_rest_tails, rig.bone_parents):
        h.update(np.ascontiguousarray(a).tobytes())
    h.update(bpy.app.version_string.encode())
    folder = Path(cache_dir or os.environ.get("DLC_LIFTER_CACHE",
                                              Path.home() / ".cache" / "dlc_lifter"))
    path = folder / f"mouse_{h.hexdigest()[:16]}.blend"
    if not path.is_file():
        logger.info("Building the Blender mouse into %s", path)
        save_mouse_blend(rig, path)
    return path


# ---------------------------------------------------------------------- camera
def camera_to_blender(camera: Camera) -> dict[str, Any]:
    """Blender camera settings reproducing an OpenCV camera (no distortion).

    Returns
    -------
    dict
        ``matrix_world`` (4x4), ``lens`` (mm), ``sensor_width`` (mm), ``sensor_fit``,
        ``shift_x``, ``shift_y``, ``resolution`` ``(w, h)`` and ``pixel_aspect``
        ``(x, y)``. Principal point: pixel centres are integers in OpenCV and the image
        centre is ``((w - 1) / 2, (h - 1) / 2)``; Blender shifts are in units of the
        larger image side.
    """
    w, h = camera.image_size
    m = np.eye(4)
    m[:3, :3] = camera.R.T @ _CV_FROM_BLENDER
    m[:3, 3] = camera.centre
    side = max(w, h)
    sensor = 36.0
    fx, fy = camera.fx, camera.fy
    return {
        "matrix_world": m,
        "sensor_width": sensor,
        "sensor_fit": "HORIZONTAL" if w >= h else "VERTICAL",
        "lens": (fx if w >= h else fy) * sensor / side,
        "shift_x": ((w - 1) / 2 - camera.cx) / side,
        "shift_y": (camera.cy - (h - 1) / 2) / side,
        "resolution": (w, h),
        "pixel_aspect": (1.0, fx / fy) if w >= h else (fy / fx, 1.0),
    }


def set_camera(camera: Camera, name: str = "camera") -> Any:
    """Create or update the scene camera to match ``camera``; returns the object."""
    scene = bpy.context.scene
    obj = bpy.data.objects.get(name)
    if obj is None:
        obj = bpy.data.objects.new(name, bpy.data.cameras.new(name))
        _link(obj)
    p = camera_to_blender(camera)
    cam = obj.data
    cam.type = "PERSP"
    cam.sensor_fit = p["sensor_fit"]
    cam.sensor_width = p["sensor_width"]
    cam.sensor_height = p["sensor_width"]
    cam.lens = p["lens"]
    cam.shift_x, cam.shift_y = p["shift_x"], p["shift_y"]
    cam.clip_start, cam.clip_end = 1.0, 100000.0
    obj.matrix_world = Matrix(p["matrix_world"].tolist())
    scene.camera = obj
    scene.render.resolution_x, scene.render.resolution_y = p["resolution"]
    scene.render.resolution_percentage = 100
    scene.render.pixel_aspect_x, scene.render.pixel_aspect_y = p["pixel_aspect"]
    return obj


def depth_from_z_pass(z: np.ndarray, camera: Camera, *, ray_distance: bool = False) -> np.ndarray:
    """Camera ``Z`` (mm) from a Z pass.

    Cycles' Z pass is already the distance along the view axis (camera ``Z``), verified
    against the analytic floor depth in ``tests/synth/test_blender.py``; with
    ``ray_distance=True`` the input is taken as distance along each pixel's ray and
    divided by the ray's length per unit ``Z``.
    """
    z = np.asarray(z, dtype=np.float32)
    if not ray_distance:
        return z
    w, h = camera.image_size
    vv, uu = np.mgrid[0:h, 0:w]
    xy = camera.normalise(np.stack([uu, vv], axis=-1).astype(np.float64))
    return (z / np.sqrt(1.0 + np.sum(xy * xy, axis=-1))).astype(np.float32)


# ---------------------------------------------------------------------- EXR reader
_EXR_TYPES = {0: np.dtype("<u4"), 1: np.dtype("<f2"), 2: np.dtype("<f4")}


def read_exr(path: str | Path) -> dict[str, np.ndarray]:
    """Read an uncompressed single-part scanline OpenEXR into ``{channel: (H, W) float32}``.

    This is what Blender writes with ``exr_codec='NONE'`` and interleaved multilayer
    output; other EXRs raise :class:`ValueError`.
    """
    data = Path(path).read_bytes()
    if data[:4] != b"\x76\x2f\x31\x01":
        raise ValueError(f"{path} is not an OpenEXR file.")
    if struct.unpack_from("<I", data, 4)[0] & 0x1200:  # tiled or multi-part
        raise ValueError(f"{path} is tiled or multi-part; only scanline EXR is supported.")
    pos = 8
    header: dict[str, tuple[str, bytes]] = {}
    while data[pos] != 0:
        end = data.index(b"\0", pos)
        name = data[pos:end].decode()
        tend = data.index(b"\0", end + 1)
        typ = data[end + 1:tend].decode()
        size = struct.unpack_from("<i", data, tend + 1)[0]
        header[name] = (typ, data[tend + 5:tend + 5 + size])
        pos = tend + 5 + size
    pos += 1
    if header["compression"][1][0] != 0:
        raise ValueError(f"{path} is compressed; write it with exr_codec='NONE'.")
    chans = []
    raw = header["channels"][1]
    p = 0
    while raw[p] != 0:
        end = raw.index(b"\0", p)
        cname = raw[p:end].decode()
        ptype = struct.unpack_from("<i", raw, end + 1)[0]
        chans.append((cname, _EXR_TYPES[ptype]))
        p = end + 1 + 16
    xmin, ymin, xmax, ymax = struct.unpack("<4i", header["dataWindow"][1])
    w, h = xmax - xmin + 1, ymax - ymin + 1
    offsets = np.frombuffer(data, dtype="<u8", count=h, offset=pos)
    out = {c: np.empty((h, w), dtype=np.float32) for c, _ in chans}
    for off in offsets:
        y = struct.unpack_from("<i", data, int(off))[0] - ymin
        q = int(off) + 8
        for cname, dt in chans:
            out[cname][y] = np.frombuffer(data, dtype=dt, count=w, offset=q)
            q += w * dt.itemsize
    return out


# ---------------------------------------------------------------------- materials
def _principled(name: str) -> tuple[Any, Any]:
    mat = bpy.data.materials.get(name) or bpy.data.materials.new(name)
    if mat.node_tree is None:  # Blender < 5 makes materials without nodes
        mat.use_nodes = True
    nt = mat.node_tree
    nt.nodes.clear()
    out = nt.nodes.new("ShaderNodeOutputMaterial")
    bsdf = nt.nodes.new("ShaderNodeBsdfPrincipled")
    nt.links.new(bsdf.outputs["BSDF"], out.inputs["Surface"])
    return mat, bsdf


def _coat_material(scene: SceneParams) -> Any:
    """Coat: region attribute -> fur / skin / eye colour, fur noise on rest coordinates."""
    mat, bsdf = _principled("coat")
    nt = mat.node_tree
    attr = nt.nodes.new("ShaderNodeAttribute")
    attr.attribute_name = "region"
    # Colours per region: mix fur -> skin at region 1, -> eye at region 2.
    m1 = nt.nodes.new("ShaderNodeMix")
    m1.data_type = "RGBA"
    m2 = nt.nodes.new("ShaderNodeMix")
    m2.data_type = "RGBA"
    f1 = nt.nodes.new("ShaderNodeMath")
    f1.operation = "COMPARE"
    f1.inputs[1].default_value = float(REGION_SKIN)
    f1.inputs[2].default_value = 0.5
    f2 = nt.nodes.new("ShaderNodeMath")
    f2.operation = "GREATER_THAN"
    f2.inputs[1].default_value = (REGION_SKIN + REGION_EYE) / 2
    nt.links.new(attr.outputs["Fac"], f1.inputs[0])
    nt.links.new(attr.outputs["Fac"], f2.inputs[0])
    # Fur: anisotropic noise on the undeformed (generated) coordinates.
    tc = nt.nodes.new("ShaderNodeTexCoord")
    mapping = nt.nodes.new("ShaderNodeMapping")
    mapping.inputs["Scale"].default_value = (40.0, 120.0, 120.0)
    noise = nt.nodes.new("ShaderNodeTexNoise")
    noise.inputs["Scale"].default_value = 1.0
    noise.inputs["Detail"].default_value = 4.0
    nt.links.new(tc.outputs["Generated"], mapping.inputs["Vector"])
    nt.links.new(mapping.outputs["Vector"], noise.inputs["Vector"])
    fur = np.asarray(scene.fur_rgb)
    lo = np.clip(fur * (1 - scene.fur_contrast), 0, 1)
    hi = np.clip(fur * (1 + scene.fur_contrast), 0, 1)
    ramp = nt.nodes.new("ShaderNodeMix")
    ramp.data_type = "RGBA"
    ramp.inputs["A"].default_value = (*lo, 1.0)
    ramp.inputs["B"].default_value = (*hi, 1.0)
    nt.links.new(noise.outputs["Fac"], ramp.inputs["Factor"])
    nt.links.new(ramp.outputs["Result"], m1.inputs["A"])
    m1.inputs["B"].default_value = (*scene.skin_rgb, 1.0)
    nt.links.new(f1.outputs["Value"], m1.inputs["Factor"])
    nt.links.new(m1.outputs["Result"], m2.inputs["A"])
    m2.inputs["B"].default_value = (*scene.eye_rgb, 1.0)
    nt.links.new(f2.outputs["Value"], m2.inputs["Factor"])
    nt.links.new(m2.outputs["Result"], bsdf.inputs["Base Color"])
    bsdf.inputs["Roughness"].default_value = 0.75
    bsdf.inputs["Specular IOR Level"].default_value = float(min(1.0, 2.0 * scene.specular))
    return mat


def _texture_image(scene: SceneParams) -> Any:
    tex = floor_texture(scene)
    size = tex.shape[0]
    rgb = (1 - tex[..., None]) * np.asarray(scene.floor_rgb) + tex[..., None] * np.asarray(
        scene.floor_rgb2)
    rgba = np.concatenate([rgb, np.ones((size, size, 1))], axis=2).astype(np.float32)
    img = bpy.data.images.get("floor_tex")
    if img is None or img.size[0] != size:
        if img is not None:
            bpy.data.images.remove(img)
        img = bpy.data.images.new("floor_tex", size, size, float_buffer=True)
    img.colorspace_settings.name = "Non-Color"  # values are already linear albedo
    img.pixels.foreach_set(rgba.ravel())  # Blender rows run bottom-up: row i = texel y i
    img.update()
    return img


def _floor_material(scene: SceneParams) -> Any:
    """Floor: the same texture as the fast renderer, in world mm (texel = scale / 4)."""
    mat, bsdf = _principled("floor")
    nt = mat.node_tree
    tc = nt.nodes.new("ShaderNodeTexCoord")
    mapping = nt.nodes.new("ShaderNodeMapping")
    size = 256
    texel = scene.floor_scale_mm / 4.0
    mapping.inputs["Scale"].default_value = (1.0 / (texel * size), 1.0 / (texel * size), 1.0)
    img_node = nt.nodes.new("ShaderNodeTexImage")
    img_node.image = _texture_image(scene)
    img_node.interpolation = "Closest"
    img_node.extension = "REPEAT"
    nt.links.new(tc.outputs["Object"], mapping.inputs["Vector"])
    nt.links.new(mapping.outputs["Vector"], img_node.inputs["Vector"])
    nt.links.new(img_node.outputs["Color"], bsdf.inputs["Base Color"])
    bsdf.inputs["Roughness"].default_value = 0.6
    return mat


def _flat_material(name: str, rgb: tuple[float, ...]) -> Any:
    mat, bsdf = _principled(name)
    bsdf.inputs["Base Color"].default_value = (*rgb, 1.0)
    bsdf.inputs["Roughness"].default_value = 0.8
    return mat


def _box(name: str, centre: np.ndarray, half: np.ndarray, mat: Any) -> Any:
    obj = bpy.data.objects.get(name)
    if obj is not None:
        me = obj.data
        bpy.data.objects.remove(obj, do_unlink=True)
        bpy.data.meshes.remove(me)
    c = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], float)
    v = centre + c * half
    faces = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4),
             (1, 5, 7, 3)]
    me = bpy.data.meshes.new(name)
    me.from_pydata(v.tolist(), [], faces)
    me.materials.append(mat)
    obj = bpy.data.objects.new(name, me)
    _link(obj)
    return obj


def _set_environment(scene: SceneParams) -> None:
    bl = bpy.context.scene
    x0, y0, x1, y1 = scene.arena_xy
    cx, cy, ax, ay = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
    floor_mat = _floor_material(scene)
    # Arena floor (textured), the lab floor around it, and four walls outside the arena.
    _box("arena_floor", np.array([cx, cy, -0.5]), np.array([ax, ay, 0.5]), floor_mat)
    big = 20000.0
    _box("lab_floor", np.array([cx, cy, -1.5]), np.array([big, big, 0.5]),
         _flat_material("outside", scene.outside_rgb))
    wall_mat = _flat_material("wall", scene.wall_rgb)
    th, hh = 2.0, scene.wall_height_mm / 2
    _box("wall_px", np.array([x1 + th, cy, hh]), np.array([th, ay + 2 * th, hh]), wall_mat)
    _box("wall_nx", np.array([x0 - th, cy, hh]), np.array([th, ay + 2 * th, hh]), wall_mat)
    _box("wall_py", np.array([cx, y1 + th, hh]), np.array([ax, th, hh]), wall_mat)
    _box("wall_ny", np.array([cx, y0 - th, hh]), np.array([ax, th, hh]), wall_mat)
    # Sun along light_dir; the world colour gives the ambient light.
    sun = bpy.data.objects.get("sun")
    if sun is None:
        sun = bpy.data.objects.new("sun", bpy.data.lights.new("sun", "SUN"))
        _link(sun)
    d = np.asarray(scene.light_dir, float)
    d /= np.linalg.norm(d)
    z = d  # the sun shines along its local -z, so local +z points to the light
    x = np.cross([0.0, 0.0, 1.0] if abs(d[2]) < 0.99 else [1.0, 0.0, 0.0], z)
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    m = np.eye(4)
    m[:3, :3] = np.stack([x, y, z], axis=1)
    sun.matrix_world = Matrix(m.tolist())
    sun.data.energy = float(scene.light_intensity) * np.pi  # irradiance -> Lambert albedo
    sun.data.angle = 0.05
    sun.data.use_shadow = bool(scene.shadows)
    world = bl.world or bpy.data.worlds.new("world")
    bl.world = world
    if world.node_tree is None:
        world.use_nodes = True
    bg = world.node_tree.nodes.get("Background") or world.node_tree.nodes.new(
        "ShaderNodeBackground")
    out = world.node_tree.nodes.get("World Output") or world.node_tree.nodes.new(
        "ShaderNodeOutputWorld")
    world.node_tree.links.new(bg.outputs["Background"], out.inputs["Surface"])
    bg.inputs["Color"].default_value = (scene.ambient,) * 3 + (1.0,)
    bg.inputs["Strength"].default_value = 1.0


def _configure_cycles(samples: int, threads: int) -> None:
    bl = bpy.context.scene
    bl.render.engine = "CYCLES"
    bl.cycles.device = "CPU"
    bl.cycles.samples = int(samples)
    bl.cycles.use_adaptive_sampling = False
    bl.cycles.use_denoising = True
    bl.cycles.denoiser = "OPENIMAGEDENOISE"
    # The "accurate" prefilter also denoises the albedo/normal guides: 5x the cost of
    # the whole render at these sizes for no visible gain.
    bl.cycles.denoising_prefilter = "FAST"
    bl.cycles.max_bounces = 2
    bl.cycles.diffuse_bounces = 1
    bl.cycles.glossy_bounces = 0
    bl.cycles.transparent_max_bounces = 0
    bl.cycles.caustics_reflective = False
    bl.cycles.caustics_refractive = False
    bl.cycles.use_light_tree = False
    bl.render.use_persistent_data = True
    bl.cycles.seed = 0
    bl.render.threads_mode = "FIXED"
    bl.render.threads = int(threads)
    bl.render.film_transparent = False
    bl.view_settings.view_transform = "Standard"
    vl = bl.view_layers[0]
    vl.use_pass_z = True
    vl.use_pass_object_index = True
    s = bl.render.image_settings
    s.media_type = "MULTI_LAYER_IMAGE"
    s.file_format = "OPEN_EXR_MULTILAYER"
    s.exr_codec = "NONE"
    s.color_depth = "32"
    s.use_exr_interleave = True


class BlenderRenderer:
    """Cycles renderer of a rigged mouse (``quality="realistic"``).

    One Blender session per process: creating a renderer resets it and builds the
    mouse of ``rig``; :meth:`set_rig` swaps the mouse for another shape.

    Parameters
    ----------
    rig
        The mouse rig.
    samples
        Cycles samples per pixel (denoised with OpenImageDenoise, fast prefilter); 4 gives
        clean 256 px frames at ~0.3-0.5 s each on one core.
    threads
        Render threads (1 per worker process).
    """

    def __init__(self, rig: Any, *, samples: int = 4, threads: int = 1) -> None:
        reset_blender()
        _configure_cycles(samples, threads)
        self._tmp = tempfile.mkdtemp(prefix="dlc_lifter_cycles_")
        # removed with the renderer, or at exit (each left its folder and last frame behind)
        self._cleanup = weakref.finalize(self, shutil.rmtree, self._tmp, True)
        self.arm: Any = None
        self.skin: Any = None
        self.rig: Any = None
        self.set_rig(rig)

    def set_rig(self, rig: Any) -> None:
        """Build ``rig``'s mouse, replacing the previous one."""
        self.arm, self.skin = build_mouse(rig)
        self.rig = rig

    def render(self, pose: np.ndarray, vertices: np.ndarray | None, scene: SceneParams,
               rng: np.random.Generator) -> RenderedImage:
        """Render the mouse in ``pose`` in ``scene`` with Cycles.

        ``vertices`` (the numpy skinning) is not used: Blender deforms its own mesh.
        """
        pose_mouse(self.arm, self.rig, pose)
        mat = _coat_material(scene)
        if self.skin.data.materials:
            self.skin.data.materials[0] = mat
        else:
            self.skin.data.materials.append(mat)
        _set_environment(scene)
        set_camera(scene.camera)
        bl = bpy.context.scene
        bl.cycles.seed = int(rng.integers(2**31 - 1))
        out = os.path.join(self._tmp, "frame.exr")
        bl.render.filepath = out
        bpy.ops.render.render(write_still=True)
        ch = read_exr(out)
        prefix = next(k.rsplit(".", 2)[0] for k in ch if k.endswith("Combined.R"))
        lin = np.stack([ch[f"{prefix}.Combined.{c}"] for c in "RGB"], axis=-1)
        depth = depth_from_z_pass(ch[f"{prefix}.Depth.Z"], scene.camera)
        index = ch[f"{prefix}.Object Index.X"]
        mask = np.abs(index - _MOUSE_PASS_INDEX) < 0.5
        rgb = apply_image_effects(lin, scene, rng)
        return RenderedImage(rgb=rgb, depth=depth.astype(np.float32), mask=mask)

