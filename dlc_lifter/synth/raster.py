"""A numba z-buffer rasteriser for triangle meshes seen through an OpenCV pinhole camera.

:func:`rasterize` draws a mesh given in the camera frame (mm) into a depth buffer of
camera ``Z`` (mm), a face-id buffer and perspective-correct barycentric coordinates, so
any per-vertex quantity (normals, albedo, rest-pose positions) can be interpolated per
pixel afterwards. Pixel centres are at integer coordinates (OpenCV): pixel ``(row v,
column u)`` samples the ray through ``(u, v)``.

The depth is exact for the mesh: ``1 / Z`` is affine in the image over a planar
triangle, so interpolating it and inverting gives the triangle's camera ``Z`` at the
pixel centre, the quantity Blender's Z pass reports for the same evaluated mesh.
Lens distortion is not modelled (synthetic cameras have none).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

__all__ = ["Raster", "rasterize", "vertex_normals"]


@dataclass(frozen=True)
class Raster:
    """Output of :func:`rasterize`.

    Attributes
    ----------
    depth
        ``(H, W)`` float32 camera ``Z`` (mm) of the nearest surface; ``inf`` where the
        mesh does not cover the pixel.
    face
        ``(H, W)`` int32 index of the visible face; ``-1`` where uncovered.
    bary
        ``(H, W, 3)`` float32 perspective-correct barycentric weights of the visible
        face's three vertices (zeros where uncovered).
    """

    depth: np.ndarray
    face: np.ndarray
    bary: np.ndarray

    @property
    def mask(self) -> np.ndarray:
        """``(H, W)`` bool: pixels the mesh covers."""
        return self.face >= 0

    def interpolate(self, values: np.ndarray, faces: np.ndarray) -> np.ndarray:
        """Interpolate per-vertex ``values (V, C)`` at the covered pixels.

        Returns
        -------
        numpy.ndarray
            ``(n_covered, C)`` in row-major pixel order of ``mask``.
        """
        m = self.face >= 0
        f = faces[self.face[m]]
        b = self.bary[m]
        v = np.asarray(values)
        return (b[:, 0:1] * v[f[:, 0]] + b[:, 1:2] * v[f[:, 1]] + b[:, 2:3] * v[f[:, 2]])


@njit(cache=True, nogil=True)
def _raster_kernel(verts, faces, fx, fy, cx, cy, near, depth, face_id, bary):  # noqa: PLR0913
    h, w = depth.shape
    for fi in range(faces.shape[0]):
        i0, i1, i2 = faces[fi, 0], faces[fi, 1], faces[fi, 2]
        z0, z1, z2 = verts[i0, 2], verts[i1, 2], verts[i2, 2]
        if z0 <= near or z1 <= near or z2 <= near:
            continue
        u0 = fx * verts[i0, 0] / z0 + cx
        v0 = fy * verts[i0, 1] / z0 + cy
        u1 = fx * verts[i1, 0] / z1 + cx
        v1 = fy * verts[i1, 1] / z1 + cy
        u2 = fx * verts[i2, 0] / z2 + cx
        v2 = fy * verts[i2, 1] / z2 + cy
        area = (u1 - u0) * (v2 - v0) - (u2 - u0) * (v1 - v0)
        if area == 0.0:
            continue
        umin = max(int(np.ceil(min(u0, u1, u2))), 0)
        umax = min(int(np.floor(max(u0, u1, u2))), w - 1)
        vmin = max(int(np.ceil(min(v0, v1, v2))), 0)
        vmax = min(int(np.floor(max(v0, v1, v2))), h - 1)
        if umin > umax or vmin > vmax:
            continue
        inv_area = 1.0 / area
        iz0, iz1, iz2 = 1.0 / z0, 1.0 / z1, 1.0 / z2
        for v in range(vmin, vmax + 1):
            for u in range(umin, umax + 1):
                # Edge functions: screen-space barycentrics of the pixel centre.
                b0 = ((u1 - u) * (v2 - v) - (u2 - u) * (v1 - v)) * inv_area
                b1 = ((u2 - u) * (v0 - v) - (u0 - u) * (v2 - v)) * inv_area
                b2 = 1.0 - b0 - b1
                if b0 < 0.0 or b1 < 0.0 or b2 < 0.0:
                    continue
                iz = b0 * iz0 + b1 * iz1 + b2 * iz2
                z = 1.0 / iz
                if z < depth[v, u]:
                    depth[v, u] = z
                    face_id[v, u] = fi
                    bary[v, u, 0] = b0 * iz0 * z
                    bary[v, u, 1] = b1 * iz1 * z
                    bary[v, u, 2] = b2 * iz2 * z


def rasterize(
    vertices_cam: np.ndarray,
    faces: np.ndarray,
    K: np.ndarray,
    image_size: tuple[int, int],
    *,
    near_mm: float = 1.0,
) -> Raster:
    """Z-buffer a triangle mesh.

    Parameters
    ----------
    vertices_cam
        ``(V, 3)`` vertices in the camera frame (mm, OpenCV axes).
    faces
        ``(F, 3)`` vertex indices per triangle (either winding; no back-face culling).
    K
        ``3 x 3`` intrinsics.
    image_size
        ``(width, height)``.
    near_mm
        Triangles with a vertex closer than this are skipped.

    Returns
    -------
    Raster
    """
    w, h = int(image_size[0]), int(image_size[1])
    verts = np.ascontiguousarray(vertices_cam, dtype=np.float64)
    f = np.ascontiguousarray(faces, dtype=np.int64)
    depth = np.full((h, w), np.inf, dtype=np.float32)
    face_id = np.full((h, w), -1, dtype=np.int32)
    bary = np.zeros((h, w, 3), dtype=np.float32)
    k = np.asarray(K, dtype=np.float64)
    _raster_kernel(verts, f, k[0, 0], k[1, 1], k[0, 2], k[1, 2], float(near_mm), depth,
                   face_id, bary)
    return Raster(depth=depth, face=face_id, bary=bary)


@njit(cache=True, nogil=True)
def _normals_kernel(verts, faces, out):
    for fi in range(faces.shape[0]):
        i0, i1, i2 = faces[fi, 0], faces[fi, 1], faces[fi, 2]
        ax = verts[i1, 0] - verts[i0, 0]
        ay = verts[i1, 1] - verts[i0, 1]
        az = verts[i1, 2] - verts[i0, 2]
        bx = verts[i2, 0] - verts[i0, 0]
        by = verts[i2, 1] - verts[i0, 1]
        bz = verts[i2, 2] - verts[i0, 2]
        nx = ay * bz - az * by
        ny = az * bx - ax * bz
        nz = ax * by - ay * bx
        for i in (i0, i1, i2):
            out[i, 0] += nx
            out[i, 1] += ny
            out[i, 2] += nz
    for i in range(out.shape[0]):
        n = np.sqrt(out[i, 0] ** 2 + out[i, 1] ** 2 + out[i, 2] ** 2)
        if n > 0:
            out[i, 0] /= n
            out[i, 1] /= n
            out[i, 2] /= n


def vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Area-weighted unit vertex normals ``(V, 3)`` (orientation follows the winding)."""
    out = np.zeros((len(vertices), 3), dtype=np.float64)
    _normals_kernel(np.ascontiguousarray(vertices, dtype=np.float64),
                    np.ascontiguousarray(faces, dtype=np.int64), out)
    return out
