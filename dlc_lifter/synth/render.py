"""One synthetic training sample: image, depth, mask and keypoints of the mouse in a scene.

Two renderers draw a posed :class:`~dlc_lifter.mouse.rig.MouseRig` in a
:class:`~dlc_lifter.synth.scene.SceneParams`:

``quality="fast"`` (the default)
    :class:`FastRenderer`: the numba z-buffer rasteriser of :mod:`dlc_lifter.synth.raster`
    on the skinned mesh, Lambert + Blinn-Phong shading of a coat colour with a fur-like
    noise texture fixed to the skin, a textured floor and arena walls intersected
    analytically per pixel, and the mouse's shadow. Depth is exact camera ``Z``. It is
    ~50x cheaper than Cycles per frame and gives the best trained models per minute of
    compute, so datasets default to it.
``quality="realistic"``
    :class:`dlc_lifter.synth.blender.BlenderRenderer` (chosen by
    :func:`dlc_lifter.synth.renderers.make_renderer`): Blender Cycles at low samples with
    denoising, the same camera, mesh and scene, depth from the Z pass.

:func:`make_sample` adds what the networks learn from: landmarks in the world and camera
frames, their pixels and a visibility flag (inside the image and not hidden by the body).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numba import njit

from dlc_lifter.camera import Camera
from dlc_lifter.mouse.catalogue import CATALOGUE, LANDMARKS
from dlc_lifter.synth.raster import rasterize, vertex_normals
from dlc_lifter.synth.scene import SceneParams, apply_image_effects, floor_texture

__all__ = [
    "JOINT_TOLERANCE_MM",
    "QUALITIES",
    "SURFACE_TOLERANCE_MM",
    "FastRenderer",
    "RenderedImage",
    "Renderer",
    "Sample",
    "background",
    "keypoint_visibility",
    "make_sample",
    "vertex_regions",
]

logger = logging.getLogger(__name__)

#: Renderer qualities; ``fast`` is the default everywhere.
QUALITIES: tuple[str, ...] = ("fast", "realistic")
#: A surface landmark is visible when the surface seen at its pixel is at most this much
#: nearer the camera than the landmark (mm).
SURFACE_TOLERANCE_MM = 2.5
#: The same for joint landmarks, which lie inside a limb of a few mm radius.
JOINT_TOLERANCE_MM = 3.5

#: Vertex regions used for colouring: fur, bare skin (ears, tail, paws, snout), eye.
REGION_FUR, REGION_SKIN, REGION_EYE = 0, 1, 2
_SKIN_BONE_WORDS = ("tail", "ear", "paw", "toe", "metatars", "digit", "foot", "hand")

_KINDS_JOINT = np.array([lm.kind == "joint" for lm in LANDMARKS])


@dataclass(frozen=True)
class RenderedImage:
    """What a renderer draws.

    Attributes
    ----------
    rgb
        ``(H, W, 3)`` uint8 image.
    depth
        ``(H, W)`` float32 camera ``Z`` (mm) of the nearest surface (mouse, floor or wall).
    mask
        ``(H, W)`` bool, pixels showing the mouse.
    """

    rgb: np.ndarray
    depth: np.ndarray
    mask: np.ndarray


class Renderer(Protocol):
    """Draws a posed mouse in a scene."""

    def render(self, pose: np.ndarray, vertices: np.ndarray, scene: SceneParams,
               rng: np.random.Generator) -> RenderedImage:
        """Render the mouse in ``pose`` (skinned ``vertices``, world mm) in ``scene``."""
        ...


@dataclass(frozen=True)
class Sample:
    """One synthetic frame with its ground truth.

    Attributes
    ----------
    rgb, depth, mask
        See :class:`RenderedImage`; ``None`` for poses-only samples.
    keypoints_2d
        ``(K, 2)`` pixels of every catalogue landmark (``CATALOGUE`` order).
    visible
        ``(K,)`` bool: inside the image and not hidden by the mouse's own body.
    in_image
        ``(K,)`` bool: inside the image.
    keypoints_cam
        ``(K, 3)`` camera-frame landmarks (mm).
    keypoints_world
        ``(K, 3)`` world-frame landmarks (mm).
    camera
        The camera (intrinsics and extrinsics).
    shape
        ``MouseShape`` multipliers as a vector.
    behaviour
        Behaviour label (index into ``dlc_lifter.mouse.behaviour.BEHAVIOURS``; -1 unknown).
    scene
        The scene parameters.
    """

    rgb: np.ndarray | None
    depth: np.ndarray | None
    mask: np.ndarray | None
    keypoints_2d: np.ndarray
    visible: np.ndarray
    in_image: np.ndarray
    keypoints_cam: np.ndarray
    keypoints_world: np.ndarray
    camera: Camera
    shape: np.ndarray
    behaviour: int
    scene: SceneParams | None = None


# ---------------------------------------------------------------------- visibility
def keypoint_visibility(
    uv: np.ndarray,
    z_cam: np.ndarray,
    depth: np.ndarray,
    mask: np.ndarray,
    *,
    joint: np.ndarray | None = None,
    radius_px: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """Which keypoints a camera sees.

    A keypoint is in the image when its pixel lies within the image's pixel area. It is
    visible when, in addition, some mouse pixel within ``radius_px`` of its nearest pixel
    shows a surface no more than :data:`SURFACE_TOLERANCE_MM` (joints:
    :data:`JOINT_TOLERANCE_MM`) nearer the camera than the keypoint, i.e. the mouse's
    own body does not hide it.

    Parameters
    ----------
    uv
        ``(K, 2)`` pixels.
    z_cam
        ``(K,)`` camera ``Z`` of the keypoints (mm).
    depth, mask
        The rendered depth (mm) and mouse mask.
    joint
        ``(K,)`` bool, joint (not surface) landmarks; catalogue kinds by default.
    radius_px
        Neighbourhood radius.

    Returns
    -------
    visible, in_image : numpy.ndarray
        ``(K,)`` bool each.
    """
    h, w = depth.shape
    uv = np.asarray(uv, dtype=np.float64)
    z = np.asarray(z_cam, dtype=np.float64)
    joint = _KINDS_JOINT if joint is None else np.asarray(joint, bool)
    tol = np.where(joint, JOINT_TOLERANCE_MM, SURFACE_TOLERANCE_MM)
    finite = np.all(np.isfinite(uv), axis=1) & np.isfinite(z) & (z > 0)
    in_image = finite & (uv[:, 0] >= -0.5) & (uv[:, 0] < w - 0.5) & (uv[:, 1] >= -0.5) & (
        uv[:, 1] < h - 0.5)
    visible = np.zeros(len(uv), dtype=bool)
    for k in np.flatnonzero(in_image):
        u, v = int(round(uv[k, 0])), int(round(uv[k, 1]))
        v0, v1 = max(v - radius_px, 0), min(v + radius_px + 1, h)
        u0, u1 = max(u - radius_px, 0), min(u + radius_px + 1, w)
        m = mask[v0:v1, u0:u1]
        if m.any() and np.any(depth[v0:v1, u0:u1][m] >= z[k] - tol[k]):
            visible[k] = True
    return visible, in_image


# ---------------------------------------------------------------------- rig helpers
def vertex_regions(rig: Any) -> np.ndarray:
    """``(V,)`` colour region of each vertex: fur, bare skin or eye.

    Skin: vertices mostly weighted to tail, ear or paw bones, and the snout tip. Eyes:
    vertices within ~1.3 mm (scaled with the head) of the eye landmarks at rest.
    """
    names = [str(n).lower() for n in rig.bone_names]
    skin_bone = np.array([any(wd in n for wd in _SKIN_BONE_WORDS) for n in names])
    w = np.asarray(rig.weights)
    dominant = np.asarray(np.argmax(w, axis=1)).ravel()
    region = np.where(skin_bone[dominant], REGION_SKIN, REGION_FUR).astype(np.int8)
    rest = np.asarray(rig.rest_vertices)
    lms = np.asarray(rig.landmarks(rig.zero_pose()))[0]
    idx = {n: i for i, n in enumerate(CATALOGUE)}
    head = float(np.linalg.norm(lms[idx["nose"]] - lms[idx["head_midpoint"]]))
    r_eye = 0.065 * head
    for name in ("left_eye", "right_eye"):
        d = np.linalg.norm(rest - lms[idx[name]], axis=1)
        region[d < r_eye] = REGION_EYE
    d = np.linalg.norm(rest - lms[idx["nose"]], axis=1)
    region[(d < 0.12 * head) & (region == REGION_FUR)] = REGION_SKIN
    return region


# ---------------------------------------------------------------------- background
@dataclass(frozen=True)
class _Background:
    depth: np.ndarray  # (H*W,) camera Z of floor / wall hit
    albedo: np.ndarray  # (H*W, 3)
    normal: np.ndarray  # (H*W, 3) world
    floor: np.ndarray  # (H*W,) bool: hit the floor (receives the mouse's shadow)
    rays: np.ndarray  # (H*W, 3) world ray directions (camera z = 1)


_UV_CACHE: dict[tuple[int, int], np.ndarray] = {}


def _pixel_grid(size: tuple[int, int]) -> np.ndarray:
    if size not in _UV_CACHE:
        w, h = size
        vv, uu = np.mgrid[0:h, 0:w]
        _UV_CACHE[size] = np.stack([uu.ravel(), vv.ravel()], axis=1).astype(np.float64)
    return _UV_CACHE[size]


@njit(cache=True, nogil=True)
def _background_kernel(kinv, rt, c, lo, hi, wall_h, tex, texel, depth, albedo, normal, floor,
                       rays, floor_rgb, floor_rgb2, outside_rgb, wall_rgb):  # noqa: PLR0913
    h, w = depth.shape
    size = tex.shape[0]
    for v in range(h):
        for u in range(w):
            # World direction of the ray with camera z = 1.
            xn = kinv[0, 0] * u + kinv[0, 1] * v + kinv[0, 2]
            yn = kinv[1, 0] * u + kinv[1, 1] * v + kinv[1, 2]
            d0 = rt[0, 0] * xn + rt[0, 1] * yn + rt[0, 2]
            d1 = rt[1, 0] * xn + rt[1, 1] * yn + rt[1, 2]
            d2 = rt[2, 0] * xn + rt[2, 1] * yn + rt[2, 2]
            i = v * w + u
            rays[i, 0], rays[i, 1], rays[i, 2] = d0, d1, d2
            t_floor = -c[2] / d2 if d2 < 0.0 else np.inf
            t_best = t_floor
            nx, ny, nz = 0.0, 0.0, 1.0
            for axis in range(2):
                da = d0 if axis == 0 else d1
                do = d1 if axis == 0 else d0
                ca = c[0] if axis == 0 else c[1]
                co = c[1] if axis == 0 else c[0]
                if da == 0.0:
                    continue
                for side in (lo[axis], hi[axis]):
                    t = (side - ca) / da
                    if t <= 0.0 or t >= t_best:
                        continue
                    hz = c[2] + t * d2
                    ho = co + t * do
                    if hz < 0.0 or hz > wall_h or ho < lo[1 - axis] or ho > hi[1 - axis]:
                        continue
                    t_best = t
                    s = -1.0 if da > 0 else 1.0  # the wall face towards the camera
                    nx, ny, nz = (s, 0.0, 0.0) if axis == 0 else (0.0, s, 0.0)
            depth[v, u] = t_best
            normal[i, 0], normal[i, 1], normal[i, 2] = nx, ny, nz
            px = c[0] + t_best * d0
            py = c[1] + t_best * d1
            pz = c[2] + t_best * d2
            if t_best < t_floor:  # wall
                shade = 0.85 + 0.15 * min(max(pz / max(wall_h, 1.0), 0.0), 1.0)
                for k in range(3):
                    albedo[i, k] = wall_rgb[k] * shade
                floor[i] = False
            else:
                floor[i] = np.isfinite(t_best)
                if lo[0] <= px <= hi[0] and lo[1] <= py <= hi[1]:
                    ti = int(np.floor(py / texel)) % size
                    tj = int(np.floor(px / texel)) % size
                    m = tex[ti, tj]
                    for k in range(3):
                        albedo[i, k] = (1.0 - m) * floor_rgb[k] + m * floor_rgb2[k]
                else:
                    for k in range(3):
                        albedo[i, k] = outside_rgb[k]


def background(scene: SceneParams, texture: np.ndarray | None = None) -> _Background:
    """Intersect every pixel's ray with the floor and the arena walls (analytic)."""
    cam = scene.camera
    w, h = cam.image_size
    n = w * h
    depth = np.empty((h, w), np.float64)
    albedo = np.empty((n, 3), np.float64)
    normal = np.empty((n, 3), np.float64)
    floor = np.empty(n, np.bool_)
    rays = np.empty((n, 3), np.float64)
    tex = floor_texture(scene) if texture is None else texture

    def vec(x: Any) -> np.ndarray:
        return np.asarray(x, dtype=np.float64)

    _background_kernel(np.linalg.inv(cam.K), cam.R.T.copy(), vec(cam.centre),
                       vec(scene.arena_xy[:2]), vec(scene.arena_xy[2:]),
                       float(scene.wall_height_mm), np.asarray(tex, np.float32),
                       float(scene.floor_scale_mm / 4.0), depth, albedo, normal, floor, rays,
                       vec(scene.floor_rgb), vec(scene.floor_rgb2), vec(scene.outside_rgb),
                       vec(scene.wall_rgb))
    return _Background(depth=depth.ravel(), albedo=albedo, normal=normal, floor=floor,
                       rays=rays)


# ---------------------------------------------------------------------- fast renderer
def _hash01(cells: np.ndarray) -> np.ndarray:
    """Deterministic pseudo-random value in [0, 1) per integer cell ``(N, 3)``."""
    c = cells.astype(np.int64)
    hsh = (c[:, 0] * 73856093) ^ (c[:, 1] * 19349663) ^ (c[:, 2] * 83492791)
    hsh = (hsh ^ (hsh >> 13)) * 1274126177
    hsh = hsh ^ (hsh >> 16)
    return (hsh & 0xFFFF).astype(np.float64) / 65536.0


class FastRenderer:
    """Numba z-buffer renderer of a :class:`~dlc_lifter.mouse.rig.MouseRig` (``fast``).

    Parameters
    ----------
    rig
        The mouse rig; its faces, rest vertices, weights and landmarks are used.
    """

    def __init__(self, rig: Any) -> None:
        self.rig = rig
        self.faces = np.ascontiguousarray(rig.faces, dtype=np.int64)
        self.rest = np.asarray(rig.rest_vertices, dtype=np.float64)
        self.region = vertex_regions(rig)

    def render(self, pose: np.ndarray, vertices: np.ndarray, scene: SceneParams,
               rng: np.random.Generator) -> RenderedImage:
        """Draw the skinned ``vertices`` (world mm) in ``scene``.

        Parameters
        ----------
        pose
            The pose (unused: the vertices are already skinned).
        vertices
            ``(V, 3)`` skinned vertices, world mm.
        scene
            Camera, arena, light, coat and image effects.
        rng
            Draws the sensor noise.
        """
        cam = scene.camera
        w, h = cam.image_size
        verts = np.asarray(vertices, dtype=np.float64)
        ras = rasterize(cam.to_camera(verts), self.faces, cam.K, cam.image_size)
        bg = background(scene)
        light = np.asarray(scene.light_dir, dtype=np.float64)
        light = light / np.linalg.norm(light)
        # Floor and walls.
        direct = np.clip(bg.normal @ light, 0.0, None)
        if scene.shadows and light[2] > 0.05:
            shadow = self._shadow(verts, scene, light)
            direct = direct * (1.0 - 0.85 * shadow.ravel() * bg.floor)
        colour = bg.albedo * (scene.ambient + scene.light_intensity * direct)[:, None]
        depth = bg.depth.astype(np.float32).reshape(h, w)
        mouse = ras.mask & (ras.depth < depth)
        colour = colour.reshape(h, w, 3)
        if mouse.any():
            colour[mouse] = self._shade_mouse(ras, mouse, verts, scene, light, bg, w)
        depth = np.where(mouse, ras.depth, depth).astype(np.float32)
        rgb = apply_image_effects(colour, scene, rng)
        return RenderedImage(rgb=rgb, depth=depth, mask=mouse)

    def _shadow(self, verts: np.ndarray, scene: SceneParams, light: np.ndarray) -> np.ndarray:
        import cv2

        cam = scene.camera
        on_floor = verts - (verts[:, 2:3] / light[2]) * light[None, :]
        on_floor[:, 2] = 0.0
        ras = rasterize(cam.to_camera(on_floor), self.faces, cam.K, cam.image_size)
        shadow = ras.mask.astype(np.float32)
        # Penumbra grows with the light's obliqueness; ~2 mm at the floor.
        sigma = max(0.6, 2.0 / max(cam.floor_mm_per_px(), 1e-6))
        return cv2.GaussianBlur(shadow, (0, 0), sigma)

    def _shade_mouse(self, ras: Any, mouse: np.ndarray, verts: np.ndarray,
                     scene: SceneParams, light: np.ndarray, bg: _Background,
                     width: int) -> np.ndarray:
        f = self.faces[ras.face[mouse]]
        b = ras.bary[mouse].astype(np.float64)

        def interp(values: np.ndarray) -> np.ndarray:
            return (b[:, 0:1] * values[f[:, 0]] + b[:, 1:2] * values[f[:, 1]]
                    + b[:, 2:3] * values[f[:, 2]])

        normals = interp(vertex_normals(verts, self.faces))
        normals /= np.linalg.norm(normals, axis=1, keepdims=True) + 1e-12
        vv, uu = np.nonzero(mouse)
        view = -bg.rays[vv * width + uu]
        view /= np.linalg.norm(view, axis=1, keepdims=True)
        flip = np.sum(normals * view, axis=1) < 0
        normals[flip] *= -1.0
        # Albedo per region, with fur-like noise fixed to the skin (rest-pose position).
        palette = np.array([scene.fur_rgb, scene.skin_rgb, scene.eye_rgb], dtype=np.float64)
        region_w = np.zeros((len(self.region), 3))
        region_w[np.arange(len(self.region)), self.region] = 1.0
        rw = interp(region_w)
        albedo = rw @ palette
        rest = interp(self.rest)
        fine = _hash01(np.floor(rest / np.array([0.9, 0.35, 0.35])))  # streaks along x
        coarse = _hash01(np.floor(rest / 3.0) + 7919)
        fur = 1.0 + scene.fur_contrast * (2.0 * fine - 1.0) + 0.1 * (2.0 * coarse - 1.0)
        albedo *= np.where(rw[:, 0:1] > 0.5, fur[:, None], 1.0 + 0.05 * (2 * fine[:, None] - 1))
        ndl = np.clip(normals @ light, 0.0, None)
        half = light[None, :] + view
        half /= np.linalg.norm(half, axis=1, keepdims=True)
        spec = scene.specular * np.clip(np.sum(normals * half, axis=1), 0.0, None) ** 12
        shade = scene.ambient * (0.55 + 0.45 * np.clip(normals[:, 2], 0, 1))
        out = albedo * (shade + scene.light_intensity * ndl)[:, None]
        out += (scene.light_intensity * spec * (ndl > 0))[:, None]
        return out


def make_sample(
    rig: Any,
    pose: np.ndarray,
    scene: SceneParams,
    renderer: Renderer,
    rng: np.random.Generator,
    *,
    behaviour: int = -1,
    shape: np.ndarray | None = None,
) -> Sample:
    """Render one frame of ``rig`` in ``pose`` and collect its ground truth.

    Parameters
    ----------
    rig
        The mouse rig.
    pose
        ``(P,)`` pose vector for ``rig``.
    scene
        The scene (camera included).
    renderer
        From :func:`~dlc_lifter.synth.renderers.make_renderer`.
    rng
        Draws image noise.
    behaviour
        Behaviour label to store.
    shape
        Shape vector to store (``rig.shape.as_array()`` by default).

    Returns
    -------
    Sample
    """
    pose = np.asarray(pose, dtype=np.float64).reshape(1, -1)
    verts = np.asarray(rig.skin(pose))[0]
    world = np.asarray(rig.landmarks(pose))[0]
    img = renderer.render(pose[0], verts, scene, rng)
    cam = scene.camera
    kp_cam = cam.to_camera(world)
    uv = cam.project(world)
    visible, in_image = keypoint_visibility(uv, kp_cam[:, 2], img.depth, img.mask)
    if shape is None:
        shape = rig.shape.as_array() if hasattr(rig, "shape") else np.zeros(0)
    return Sample(rgb=img.rgb, depth=img.depth, mask=img.mask, keypoints_2d=uv,
                  visible=visible, in_image=in_image, keypoints_cam=kp_cam,
                  keypoints_world=world, camera=cam, shape=np.asarray(shape, np.float64),
                  behaviour=int(behaviour), scene=scene)
