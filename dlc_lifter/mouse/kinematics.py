"""Rotation and inverse-kinematics maths of the rig.

Euler angles ``(rx, ry, rz)`` in radians compose as ``Rz(rz) @ Ry(ry) @ Rx(rx)`` (see
:mod:`dlc_lifter.mouse.rig`); positions are in mm.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "euler_to_matrix",
    "matrix_to_euler",
    "rot_z",
    "two_link_ik",
    "rotation_between",
    "lengthened",
]

def euler_to_matrix(e: np.ndarray) -> np.ndarray:
    """Rotation matrices ``Rz(rz) @ Ry(ry) @ Rx(rx)`` from Euler angles ``(..., 3)``.

    Parameters
    ----------
    e
        ``(..., 3)`` angles ``(rx, ry, rz)`` in radians.

    Returns
    -------
    numpy.ndarray
        ``(..., 3, 3)`` rotation matrices.
    """
    e = np.asarray(e, dtype=np.float64)
    ca, cb, cc = np.cos(e[..., 0]), np.cos(e[..., 1]), np.cos(e[..., 2])
    sa, sb, sc = np.sin(e[..., 0]), np.sin(e[..., 1]), np.sin(e[..., 2])
    out = np.empty(e.shape[:-1] + (3, 3))
    out[..., 0, 0] = cc * cb
    out[..., 0, 1] = cc * sb * sa - sc * ca
    out[..., 0, 2] = cc * sb * ca + sc * sa
    out[..., 1, 0] = sc * cb
    out[..., 1, 1] = sc * sb * sa + cc * ca
    out[..., 1, 2] = sc * sb * ca - cc * sa
    out[..., 2, 0] = -sb
    out[..., 2, 1] = cb * sa
    out[..., 2, 2] = cb * ca
    return out


def matrix_to_euler(r: np.ndarray) -> np.ndarray:
    """Inverse of :func:`euler_to_matrix` (``ry`` in ``[-pi/2, pi/2]``)."""
    r = np.asarray(r, dtype=np.float64)
    out = np.empty(r.shape[:-2] + (3,))
    out[..., 1] = -np.arcsin(np.clip(r[..., 2, 0], -1.0, 1.0))
    out[..., 0] = np.arctan2(r[..., 2, 1], r[..., 2, 2])
    out[..., 2] = np.arctan2(r[..., 1, 0], r[..., 0, 0])
    return out


def rot_z(theta: np.ndarray) -> np.ndarray:
    """Rotation matrices ``(..., 3, 3)`` about world ``z`` by ``theta`` (radians)."""
    c, s = np.cos(theta), np.sin(theta)
    out = np.zeros(np.shape(theta) + (3, 3))
    out[..., 0, 0] = c
    out[..., 0, 1] = -s
    out[..., 1, 0] = s
    out[..., 1, 1] = c
    out[..., 2, 2] = 1.0
    return out


def two_link_ik(
    start: np.ndarray, target: np.ndarray, a: float, b: float, pole: np.ndarray
) -> np.ndarray:
    """Middle joint of a two-segment chain reaching from ``start`` towards ``target``.

    Parameters
    ----------
    start, target
        ``(..., 3)`` chain root and desired end.
    a, b
        Segment lengths (root to middle, middle to end).
    pole
        ``(..., 3)`` direction the middle joint bends towards.

    Returns
    -------
    numpy.ndarray
        ``(..., 3)`` middle-joint positions (the end reaches ``target`` when it is within
        ``[|a-b|, a+b]``; otherwise the chain points at it, fully stretched or folded).
    """
    d_vec = target - start
    dist = np.linalg.norm(d_vec, axis=-1, keepdims=True)
    u = d_vec / np.maximum(dist, 1e-9)
    d = np.clip(dist, abs(a - b) + 1e-6, a + b - 1e-6)
    cos_a = np.clip((a * a + d * d - b * b) / (2 * a * d), -1.0, 1.0)
    v = pole - np.sum(pole * u, axis=-1, keepdims=True) * u
    vn = np.linalg.norm(v, axis=-1, keepdims=True)
    fallback = np.broadcast_to(np.array([0.0, 0.0, 1.0]), v.shape)
    v = np.where(vn > 1e-9, v / np.maximum(vn, 1e-12), fallback)
    return start + a * (cos_a * u + np.sqrt(1 - cos_a**2) * v)


def lengthened(vec: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """``(N, 3)`` rest offsets ``vec`` ``(3,)`` with their x (the body's long axis) times
    ``factor`` ``(N,)``: a child's offset in a parent bone of that length factor."""
    out = np.broadcast_to(np.asarray(vec, dtype=np.float64), (len(factor), 3)).copy()
    out[:, 0] *= factor
    return out


def rotation_between(r: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Minimal (swing-only) rotations taking unit vectors ``r`` to unit vectors ``d``."""
    r = r / np.linalg.norm(r, axis=-1, keepdims=True)
    d = d / np.maximum(np.linalg.norm(d, axis=-1, keepdims=True), 1e-12)
    axis = np.cross(r, d)
    s = np.linalg.norm(axis, axis=-1)
    c = np.sum(r * d, axis=-1)
    angle = np.arctan2(s, c)
    k = axis / np.maximum(s, 1e-12)[..., None]
    # for anti-parallel vectors pick any perpendicular axis
    anti = (s < 1e-9) & (c < 0)
    if np.any(anti):
        perp = np.cross(r, np.array([0.0, 0.0, 1.0]))
        bad = np.linalg.norm(perp, axis=-1) < 1e-6
        perp[bad] = np.cross(r[bad], np.array([0.0, 1.0, 0.0]))
        perp /= np.linalg.norm(perp, axis=-1, keepdims=True)
        k = np.where(anti[..., None], perp, k)
    kx, ky, kz = k[..., 0], k[..., 1], k[..., 2]
    ca, sa = np.cos(angle), np.sin(angle)
    t = 1 - ca
    out = np.empty(r.shape[:-1] + (3, 3))
    out[..., 0, 0] = ca + kx * kx * t
    out[..., 0, 1] = kx * ky * t - kz * sa
    out[..., 0, 2] = kx * kz * t + ky * sa
    out[..., 1, 0] = ky * kx * t + kz * sa
    out[..., 1, 1] = ca + ky * ky * t
    out[..., 1, 2] = ky * kz * t - kx * sa
    out[..., 2, 0] = kz * kx * t - ky * sa
    out[..., 2, 1] = kz * ky * t + kx * sa
    out[..., 2, 2] = ca + kz * kz * t
    return out
