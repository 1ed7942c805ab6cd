"""Rigged synthetic mouse: skeleton, forward kinematics, skin mesh, skinning and landmarks.

Everything is built procedurally from the anatomical spec
(``dlc_lifter/data/mouse_spec.yaml``) and a :class:`~dlc_lifter.mouse.anatomy.MouseShape`.

Frames and pose parameters
--------------------------
Body frame = world frame of the rest pose: x forward, y left, z up, floor ``z = 0``; its
origin is on the floor directly below the lumbosacral joint (head of the root bone
``sacrum``, the pivot of rearing).  Every bone's rest orientation is the identity (axes
parallel to the body frame); its rest matrix is the pure translation ``G_rest[j] = T(h_j)``
with ``h_j`` the bone head.

A pose is a float vector of length ``P = 4 + 3 * n_bones``::

    pose[0:3]   root translation (world position of the body-frame origin, mm)
    pose[3]     heading (yaw about world +z, rad; 0 = facing +x)
    pose[4:]    per bone (rx, ry, rz) local Euler angles (rad), bone order = bone_names

Local rotation of bone ``j``: ``R_j = Rz(rz) @ Ry(ry) @ Rx(rx)`` (rotation about the
parent-frame x first, then y, then z), about the bone head.  ``ry > 0`` pitches a bone that
points +x tip-down; ``rz > 0`` turns it to the left.  Forward kinematics::

    W_root = Rz(heading) @ R_root,           p_root = root + Rz(heading) @ h_root
    W_j    = W_parent @ R_j,                 p_j    = p_parent + W_parent @ (h_j - h_parent)
    G_j    = [[W_j, p_j], [0, 1]]            (world bone matrix, 4x4)

Skinning (pure linear blend skinning, no dual quaternions, no volume preservation)::

    S_j  = G_j @ inverse(G_rest_j)  =  [[W_j, p_j - W_j @ h_j], [0, 1]]
    v'   = sum_k w_vk * S_{b_vk} @ [v_rest, 1]           (top-4 weights, sum 1)

Blender reproduces this exactly with an Armature modifier (vertex groups = bone names,
weights from :attr:`MouseRig.weights`, "Preserve Volume" off, armature object at the
identity transform): give every Blender bone the rest head/tail of
:attr:`MouseRig.bone_rest_heads`/``bone_rest_tails`` (any roll), and for a pose set
``pose_bone.matrix = S_j @ bone.matrix_local`` (armature space, parents before
children); Blender's deform matrix ``pose_bone.matrix @ bone.matrix_local.inverted()`` is
then ``S_j``.  :meth:`MouseRig.skinning_matrices` returns the ``S_j``.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from dlc_lifter.mouse.anatomy import MouseShape, load_spec, typical
from dlc_lifter.mouse.catalogue import CATALOGUE, LANDMARKS

__all__ = [
    "MouseRig",
    "euler_to_matrix",
    "matrix_to_euler",
    "get_rig",
    "BONE_NAMES",
    "LIMBS",
]

log = logging.getLogger(__name__)

_SPINE = ("lumbar2", "lumbar1", "thoracic3", "thoracic2", "thoracic1", "neck", "skull")
_TAIL_N = 10
_FORE = ("scapula", "humerus", "forearm", "forepaw")
_HIND = ("femur", "tibia", "metatarsus", "toes")


def _bone_table() -> tuple[tuple[str, ...], tuple[int, ...], tuple[str, ...]]:
    names: list[str] = ["sacrum"]
    parents: list[int] = [-1]
    kinds: list[str] = ["sacrum"]
    prev = 0
    for n in _SPINE:
        names.append(n)
        parents.append(prev)
        kinds.append(n if n in ("neck", "skull") else n.rstrip("0123456789"))
        prev = len(names) - 1
    skull = names.index("skull")
    for side in ("left", "right"):
        names.append(f"{side}_ear")
        parents.append(skull)
        kinds.append("ear")
    prev = 0
    for k in range(_TAIL_N):
        names.append(f"tail{k + 1:02d}")
        parents.append(prev)
        kinds.append("tail")
        prev = len(names) - 1
    for side in ("left", "right"):
        prev = names.index("thoracic1")
        for b in _FORE:
            names.append(f"{side}_{b}")
            parents.append(prev)
            kinds.append(b)
            prev = len(names) - 1
        prev = 0
        for b in _HIND:
            names.append(f"{side}_{b}")
            parents.append(prev)
            kinds.append(b)
            prev = len(names) - 1
    return tuple(names), tuple(parents), tuple(kinds)


#: Bone names in rig order (parents always precede children).
BONE_NAMES, _BONE_PARENTS, _BONE_KINDS = _bone_table()
_BI = {n: i for i, n in enumerate(BONE_NAMES)}

#: Limb chains, ``{limb: (bone names root to tip)}``.
LIMBS: dict[str, tuple[str, ...]] = {
    f"{side}_{part}": tuple(f"{side}_{b}" for b in bones)
    for side in ("left", "right")
    for part, bones in (("fore", _FORE), ("hind", _HIND))
}


# ----------------------------------------------------------------------------- rotations
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


# ----------------------------------------------------------------------------- build
@dataclass
class _Part:
    name: str
    start: int
    stop: int
    bones: tuple[int, ...]
    sigma: float


@dataclass
class _Build:
    heads: np.ndarray
    tails: np.ndarray
    limits: np.ndarray
    vertices: np.ndarray
    faces: np.ndarray
    parts: list[_Part]
    lm_points: np.ndarray
    lm_vertex: np.ndarray  # vertex index per landmark, -1 for joint landmarks
    lm_bone: np.ndarray  # bone per joint landmark (-1 for surface)
    info: dict[str, Any]


def _smooth_interp(x: np.ndarray, xp: np.ndarray, fp: np.ndarray) -> np.ndarray:
    """Monotone piecewise-cubic (PCHIP) interpolation, for smooth body profiles."""
    from scipy.interpolate import PchipInterpolator

    return PchipInterpolator(xp, fp, axis=0)(np.clip(x, xp[0], xp[-1]))


def _tube_faces(n_rings: int, nv: int, offset: int) -> np.ndarray:
    """Faces of a closed tube: ``n_rings`` rings of ``nv`` vertices, then start and end pole."""
    faces = []
    ring = np.arange(nv)
    nxt = (ring + 1) % nv
    for k in range(n_rings - 1):
        a = k * nv + ring
        b = k * nv + nxt
        c = (k + 1) * nv + nxt
        d = (k + 1) * nv + ring
        faces.append(np.stack([a, b, c], 1))
        faces.append(np.stack([a, c, d], 1))
    s_pole = n_rings * nv
    e_pole = s_pole + 1
    faces.append(np.stack([np.full(nv, s_pole), nxt, ring], 1))
    last = (n_rings - 1) * nv
    faces.append(np.stack([np.full(nv, e_pole), last + ring, last + nxt], 1))
    return np.concatenate(faces).astype(np.int64) + offset


def _orient_outward(verts: np.ndarray, faces: np.ndarray) -> np.ndarray:
    a, b, c = verts[faces[:, 0]], verts[faces[:, 1]], verts[faces[:, 2]]
    vol = np.sum(a * np.cross(b, c)) / 6.0
    return faces if vol > 0 else faces[:, ::-1].copy()


def _polyline_resample(points: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points and unit tangents at arc lengths ``u`` along a polyline."""
    seg = np.diff(points, axis=0)
    seg_len = np.linalg.norm(seg, axis=1)
    cum = np.concatenate([[0.0], np.cumsum(seg_len)])
    idx = np.clip(np.searchsorted(cum, u, side="right") - 1, 0, len(seg) - 1)
    t = ((u - cum[idx]) / np.maximum(seg_len[idx], 1e-12))[:, None]
    pos = points[idx] + t * seg[idx]
    # smooth tangents: average of neighbouring segment directions near joints
    dirs = seg / np.maximum(seg_len, 1e-12)[:, None]
    node_dirs = np.concatenate([dirs[:1], dirs[:-1] + dirs[1:], dirs[-1:]])
    node_dirs /= np.linalg.norm(node_dirs, axis=1, keepdims=True)
    tan = (1 - t) * node_dirs[idx] + t * node_dirs[idx + 1]
    tan /= np.linalg.norm(tan, axis=1, keepdims=True)
    return pos, tan


@dataclass(frozen=True, eq=False)
class _BodyAxis:
    """Midline of one body: arc parameter ``s`` (0 nose, 1 tail base) to rest-pose geometry.

    ``spec_s`` are the segment boundaries in ``s`` (skull, neck, thorax, lumbar, sacrum) and
    ``dist`` the same boundaries in mm from the nose; ``x_nose`` is the nose's body-frame x.
    """

    shape: MouseShape
    spec_s: np.ndarray
    dist: np.ndarray
    x_nose: float
    prof: np.ndarray
    width_k: float

    def x_of(self, s: np.ndarray | float) -> np.ndarray:
        """Body-frame x (mm) of arc parameter ``s``."""
        return self.x_nose - np.interp(s, self.spec_s, self.dist)

    def cross(self, s: np.ndarray) -> tuple[np.ndarray, ...]:
        """Half width, top and bottom half heights and axis height (mm) at ``s``."""
        s = np.asarray(s, dtype=np.float64)
        sc = self.shape.scale
        vals = _smooth_interp(s, self.prof[:, 0], self.prof[:, 1:5])
        w_head = np.clip((self.spec_s[1] + 0.06 - s) / 0.12, 0.0, 1.0)
        k = sc * (w_head * self.shape.head_size + (1 - w_head) * self.shape.girth)
        return (vals[..., 0] * self.width_k * k, vals[..., 1] * k, vals[..., 2] * k,
                vals[..., 3] * sc)

    def axis_point(self, s: np.ndarray | float) -> np.ndarray:
        """``(n, 3)`` body-frame points (mm) of the midline at ``s``."""
        s = np.atleast_1d(np.asarray(s, dtype=np.float64))
        return np.stack([self.x_of(s), np.zeros_like(s), self.cross(s)[3]], -1)


@dataclass(frozen=True)
class _Rings:
    """Where one tube's rings sit in the vertex array, and their arc positions ``u``."""

    start: int
    n_rings: int
    n_vertices: int
    u: np.ndarray


class _MeshParts:
    """Closed mesh parts appended one after another into one vertex/face array."""

    def __init__(self) -> None:
        self.verts: list[np.ndarray] = []
        self.faces: list[np.ndarray] = []
        self.parts: list[_Part] = []
        self.n_off = 0

    def add(
        self, name: str, rings: np.ndarray, poles: np.ndarray, bones: list[str], sigma: float
    ) -> int:
        """Append a tube of ``rings`` ``(n_rings, nv, 3)`` closed by two ``poles``; its start."""
        n_r, nv = rings.shape[:2]
        v = np.concatenate([rings.reshape(-1, 3), poles])
        f = _orient_outward(v, _tube_faces(n_r, nv, 0)) + self.n_off
        self.verts.append(v)
        self.faces.append(f)
        self.parts.append(
            _Part(name, self.n_off, self.n_off + len(v), tuple(_BI[b] for b in bones), sigma)
        )
        self.n_off += len(v)
        return self.parts[-1].start


# ------------------------------------------------------------------ skeleton
def _body_axis(shape: MouseShape, spec: dict[str, Any]) -> _BodyAxis:
    """Segment boundaries and cross-section profile of the body, scaled to ``shape``."""
    sc = shape.scale
    body = spec["body"]
    fr = body["segment_fractions"]
    length_typ = typical(body["nose_to_tail_base"])
    seg_names = ("skull", "neck", "thorax", "lumbar", "sacrum")
    seg_len = np.array(
        [
            float(fr[n]) * length_typ * sc
            * (shape.head_size if n == "skull" else shape.body_length)
            for n in seg_names
        ]
    )
    spec_s = np.concatenate([[0.0], np.cumsum([float(fr[n]) for n in seg_names])])
    spec_s /= spec_s[-1]
    dist = np.concatenate([[0.0], np.cumsum(seg_len)])
    s_ls = spec_s[-2]  # lumbosacral joint (root pivot)
    x_nose = float(np.interp(s_ls, spec_s, dist))
    prof = np.asarray(body["profile"], dtype=np.float64)
    width_k = 0.5 * typical(body["body_width"]) / prof[:, 1].max()
    return _BodyAxis(shape, spec_s, dist, x_nose, prof, width_k)


def _spine_bones(ax: _BodyAxis, heads: np.ndarray, tails: np.ndarray) -> list[float]:
    """Place sacrum and spine bones on the midline; returns their boundaries in ``s``."""
    # sacrum (root) points back to the tail base; the chain then runs forward
    spec_s = ax.spec_s
    s_ls = spec_s[-2]
    s_thor0, s_lum0 = spec_s[2], spec_s[3]
    lum = (s_ls - s_lum0) / 2
    thor = (s_lum0 - s_thor0) / 3
    spine_s = [s_ls, s_ls - lum, s_lum0, s_lum0 - thor, s_lum0 - 2 * thor, s_thor0, spec_s[1], 0.0]
    heads[_BI["sacrum"]] = ax.axis_point(s_ls)[0]
    tails[_BI["sacrum"]] = ax.axis_point(1.0)[0]
    for name, s0, s1 in zip(_SPINE, spine_s[:-1], spine_s[1:], strict=True):
        heads[_BI[name]] = ax.axis_point(s0)[0]
        tails[_BI[name]] = ax.axis_point(s1)[0]
    return spine_s


def _ear_bones(
    ax: _BodyAxis, head: dict[str, Any], heads: np.ndarray, tails: np.ndarray
) -> None:
    """Place the two ear bones on the skull surface."""
    shape = ax.shape
    sc = shape.scale
    ear_len = typical(head["ear_length"]) * sc * shape.ear_size
    ear_s = float(head["ear_base_s"])
    hw, top, bot, az = (float(v[0]) for v in ax.cross(np.array([ear_s])))
    ang = float(head["ear_base_angle"])
    ear_dir0 = np.asarray(head["ear_direction"], dtype=np.float64)
    for side, sgn in (("left", 1.0), ("right", -1.0)):
        base = np.array(
            [ax.x_of(ear_s), sgn * (hw - 0.6) * np.sin(ang), az + (top - 0.6) * np.cos(ang)]
        )
        d = ear_dir0 * np.array([1.0, sgn, 1.0])
        d /= np.linalg.norm(d)
        heads[_BI[f"{side}_ear"]] = base
        tails[_BI[f"{side}_ear"]] = base + d * ear_len


def _tail_bones(
    shape: MouseShape, tail: dict[str, Any], heads: np.ndarray, tails: np.ndarray
) -> tuple[float, float, float]:
    """Place equal tail segments drooping onto the floor; ``(length, r_base, r_tip)`` in mm."""
    sc = shape.scale
    tail_len = typical(tail["length"]) * sc * shape.tail_length
    n_t = int(tail["n_bones"])
    if n_t != _TAIL_N:
        raise ValueError(f"mouse spec tail.n_bones must be {_TAIL_N} (rig layout), got {n_t}")
    seg_t = tail_len / n_t
    r_base, r_tip = float(tail["radius_base"]) * sc, float(tail["radius_tip"]) * sc
    p = tails[_BI["sacrum"]].copy()
    for k in range(n_t):
        u0 = k * seg_t
        a = float(tail["rest_base_slope"]) * np.exp(-u0 / (float(tail["rest_decay"]) * sc))
        r_next = r_base + (r_tip - r_base) * (k + 1) / n_t
        z_next = p[2] - seg_t * np.sin(a)
        if z_next < r_next + 0.2:
            a = float(np.arcsin(np.clip((p[2] - r_next - 0.2) / seg_t, 0.0, 1.0)))
        q = p + seg_t * np.array([-np.cos(a), 0.0, -np.sin(a)])
        heads[_BI[f"tail{k + 1:02d}"]] = p
        tails[_BI[f"tail{k + 1:02d}"]] = q
        p = q
    return tail_len, r_base, r_tip


def _forelimb_chain(
    ax: _BodyAxis, fl: dict[str, Any], sgn: float
) -> tuple[list[np.ndarray], dict[str, Any]]:
    """Rest joints (scapula top to paw tip) of one forelimb, paw on the floor, and its info."""
    sc = ax.shape.scale
    ll = sc * ax.shape.limb_length
    yk = sc * ax.shape.girth
    st = fl["scapula_top"]
    sh = fl["shoulder"]
    p_st = ax.axis_point(st["s"])[0] + np.array([0.0, sgn * st["y"] * yk, st["dz"] * sc])
    p_sh = ax.axis_point(sh["s"])[0] + np.array([0.0, sgn * sh["y"] * yk, sh["dz"] * sc])
    a, b = typical(fl["humerus"]) * ll, typical(fl["forearm"]) * ll
    paw = typical(fl["forepaw"]) * ll
    pr = float(fl["paw_radius"]) * sc
    wrist = np.array([p_sh[0] + fl["rest_wrist_dx"] * sc, sgn * fl["rest_wrist_y"] * yk, pr])
    elbow = two_link_ik(p_sh, wrist, a, b, np.array([-1.0, 0.0, 0.0]))
    wrist = elbow + b * (wrist - elbow) / np.linalg.norm(wrist - elbow)
    chain = [p_st, p_sh, elbow, wrist, wrist + np.array([paw, 0.0, 0.0])]
    return chain, {"paw_radius": pr, "lengths": (a, b, paw)}


def _hindlimb_chain(
    ax: _BodyAxis, hl: dict[str, Any], sgn: float
) -> tuple[list[np.ndarray], dict[str, Any]]:
    """Rest joints (hip to toe tip) of one hindlimb, paw on the floor, and its info."""
    sc = ax.shape.scale
    ll = sc * ax.shape.limb_length
    yk = sc * ax.shape.girth
    hp = hl["hip"]
    p_hip = ax.axis_point(hp["s"])[0] + np.array([0.0, sgn * hp["y"] * yk, hp["dz"] * sc])
    a, b = typical(hl["femur"]) * ll, typical(hl["tibia"]) * ll
    met, toe = typical(hl["metatarsus"]) * ll, typical(hl["toes"]) * ll
    pr = float(hl["paw_radius"]) * sc
    ankle = np.array([p_hip[0] + hl["rest_ankle_dx"] * sc, sgn * hl["rest_ankle_y"] * yk, pr])
    knee = two_link_ik(p_hip, ankle, a, b, np.array([1.0, 0.0, 0.0]))
    ankle = knee + b * (ankle - knee) / np.linalg.norm(ankle - knee)
    mtp = ankle + np.array([met, 0.0, 0.0])
    chain = [p_hip, knee, ankle, mtp, mtp + np.array([toe, 0.0, 0.0])]
    return chain, {"paw_radius": pr, "lengths": (a, b, met + toe)}


def _limb_bones(
    ax: _BodyAxis, spec: dict[str, Any], heads: np.ndarray, tails: np.ndarray
) -> dict[str, Any]:
    """Place the four limbs, rest pose solved by IK so the paws rest on the floor."""
    limb_info: dict[str, Any] = {}
    for side, sgn in (("left", 1.0), ("right", -1.0)):
        for part, bones, chain_of, limb_spec in (
            ("fore", _FORE, _forelimb_chain, spec["forelimb"]),
            ("hind", _HIND, _hindlimb_chain, spec["hindlimb"]),
        ):
            chain, info = chain_of(ax, limb_spec, sgn)
            for i, bn in enumerate(bones):
                heads[_BI[f"{side}_{bn}"]] = chain[i]
                tails[_BI[f"{side}_{bn}"]] = chain[i + 1]
            limb_info[f"{side}_{part}"] = info
    return limb_info


def _joint_limits(spec: dict[str, Any]) -> np.ndarray:
    """``(n_bones, 3, 2)`` joint-angle ranges (rad), right-side roll and yaw mirrored."""
    lim_spec = spec["joint_limits"]
    limits = np.zeros((len(BONE_NAMES), 3, 2))
    for j, kind in enumerate(_BONE_KINDS):
        limits[j] = np.asarray(lim_spec[kind], dtype=np.float64)
        if BONE_NAMES[j].startswith("right_"):  # mirror roll and yaw ranges
            limits[j, [0, 2]] = -limits[j, [0, 2]][:, ::-1]
    return limits


# ------------------------------------------------------------------ skin mesh
def _body_mesh(mp: _MeshParts, ax: _BodyAxis, mesh: dict[str, Any]) -> _Rings:
    """Body tube (nose to tail base), rings in planes ``x = const``."""
    nr, nv = int(mesh["body_rings"]), int(mesh["body_ring_vertices"])
    u = (np.arange(nr) + 0.5) / nr
    body_s = 0.55 * u + 0.45 * (1 - np.cos(np.pi * u)) / 2
    hw, top, bot, az = ax.cross(body_s)
    phi = 2 * np.pi * np.arange(nv) / nv
    cphi, sphi = np.cos(phi), np.sin(phi)
    half_h = np.where(cphi[None] >= 0, top[:, None], bot[:, None])
    rings = np.stack(
        [
            np.broadcast_to(ax.x_of(body_s)[:, None], (nr, nv)),
            hw[:, None] * sphi[None],
            az[:, None] + half_h * cphi[None],
        ],
        -1,
    )
    poles = np.concatenate([ax.axis_point(0.0), ax.axis_point(1.0)])
    body_bones = ["sacrum", *_SPINE]
    start = mp.add("body", rings, poles, body_bones, 3.5 * ax.shape.scale)
    return _Rings(start, nr, nv, body_s)


def _tail_mesh(
    mp: _MeshParts, sc: float, mesh: dict[str, Any], heads: np.ndarray, tails: np.ndarray,
    tail_len: float, r_base: float, r_tip: float,
) -> _Rings:
    """Tail tube along the tail bones, tapering from ``r_base`` to ``r_tip``."""
    n_t = _TAIL_N
    nr_t, nv_t = int(mesh["tail_rings"]), int(mesh["tail_ring_vertices"])
    tail_pts = np.concatenate(
        [heads[[_BI["tail01"]]], tails[[_BI[f"tail{k + 1:02d}"] for k in range(n_t)]]]
    )
    start_pt = tail_pts[0] + np.array([1.5 * sc, 0.0, 0.0])  # start pole inside the body
    u_t = np.linspace(0.0, tail_len, nr_t + 1)[:-1] + 0.25 * tail_len / nr_t
    u_t[0] = 0.0
    pos, tan = _polyline_resample(tail_pts, u_t)
    radius = r_base + (r_tip - r_base) * u_t / tail_len
    e1 = np.cross(np.array([0.0, 0.0, 1.0]), tan)
    e1 /= np.linalg.norm(e1, axis=1, keepdims=True)
    e2 = np.cross(e1, tan)  # up for a backward tangent... keep right-handed
    e2 *= np.sign(e2[:, 2:3] + 1e-12)
    phi_t = 2 * np.pi * np.arange(nv_t) / nv_t
    rings = pos[:, None] + radius[:, None, None] * (
        np.cos(phi_t)[None, :, None] * e2[:, None] + np.sin(phi_t)[None, :, None] * e1[:, None]
    )
    poles = np.stack([start_pt, tail_pts[-1]])
    tail_bones = ["sacrum"] + [f"tail{k + 1:02d}" for k in range(n_t)]
    start = mp.add("tail", rings, poles, tail_bones, 2.0 * sc)
    return _Rings(start, nr_t, nv_t, u_t)


def _limb_tube(
    limb: str, spec: dict[str, Any], sc: float, heads: np.ndarray, tails: np.ndarray
) -> tuple[np.ndarray, np.ndarray, str]:
    """Rings ``(n_rings, nv, 3)``, poles and parent bone of one limb's tube (flat paw sole)."""
    mesh = spec["mesh"]
    nv_l = int(mesh["limb_ring_vertices"])
    spacing = float(mesh["limb_ring_spacing"]) * sc
    fore = "fore" in limb
    ls = spec["forelimb" if fore else "hindlimb"]
    radii = np.asarray(ls["radii"], dtype=np.float64) * sc
    pr = float(ls["paw_radius"]) * sc
    idx = [_BI[b] for b in LIMBS[limb]]
    if fore:
        pts = np.stack([
            0.5 * (heads[idx[0]] + tails[idx[0]]), tails[idx[0]], tails[idx[1]],
            tails[idx[2]], tails[idx[3]],
        ])
        key_r = np.array([radii[0] * 0.9, radii[0], radii[1], radii[2], radii[3], 0.6 * sc])
        parent = "thoracic1"
    else:
        pts = np.stack([
            heads[idx[0]] + np.array([0.0, 0.0, 2.0 * sc]), heads[idx[0]], tails[idx[0]],
            tails[idx[1]], tails[idx[2]], tails[idx[3]],
        ])
        key_r = np.array(
            [radii[0] * 0.8, radii[0], radii[1], radii[2], radii[3], radii[3] * 0.9, 0.6 * sc]
        )
        parent = "sacrum"
    seg = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    total = cum[-1]
    n_rings = max(8, int(np.ceil(total / spacing)))
    ul = (np.arange(n_rings) + 0.5) / n_rings * total
    pos, tan = _polyline_resample(pts, ul)
    # key radii at the joints, plus one at the middle of the last (paw) segment
    key_u = np.concatenate([cum[:-1], [cum[-2] + (0.5 if fore else 0.6) * seg[-1]], cum[-1:]])
    rad = np.interp(ul, key_u, key_r)
    # flatten the paw (from the wrist/ankle on) so its sole touches the floor
    paw_u0 = cum[3]
    ramp = np.clip((ul - (paw_u0 - 1.5 * sc)) / (1.5 * sc), 0.0, 1.0)
    flat = 1.0 + ramp * (np.minimum(1.0, pr / np.maximum(rad, 1e-9)) - 1.0)
    e1 = np.cross(tan, np.array([0.0, 1.0, 0.0]))  # in the sagittal plane
    e1 /= np.linalg.norm(e1, axis=1, keepdims=True)
    e2 = np.cross(e1, tan)  # roughly lateral
    e2 /= np.linalg.norm(e2, axis=1, keepdims=True)
    phi_l = 2 * np.pi * np.arange(nv_l) / nv_l
    rings = pos[:, None] + (
        (rad * flat)[:, None, None] * np.cos(phi_l)[None, :, None] * e1[:, None]
        + rad[:, None, None] * np.sin(phi_l)[None, :, None] * e2[:, None]
    )
    poles = np.stack([pts[0], pts[-1]])
    return rings, poles, parent


def _ear_mesh(
    mp: _MeshParts, shape: MouseShape, spec: dict[str, Any], heads: np.ndarray,
    tails: np.ndarray,
) -> dict[str, _Rings]:
    """Ears: thin closed shells around the ear bones, ``{side: rings}``."""
    sc = shape.scale
    head = spec["head"]
    mesh = spec["mesh"]
    ear_w = typical(head["ear_width"]) * sc * shape.ear_size
    nr_e, nv_e = int(mesh["ear_rings"]), int(mesh["ear_ring_vertices"])
    thick = float(head["ear_thickness"]) * sc * 0.5
    ears: dict[str, _Rings] = {}
    for side in ("left", "right"):
        j = _BI[f"{side}_ear"]
        h, t = heads[j], tails[j]
        ax = (t - h) / np.linalg.norm(t - h)
        n = np.array([1.0, 0.0, 0.0]) - ax[0] * ax
        n /= np.linalg.norm(n)  # opening of the pinna faces forward
        w = np.cross(ax, n)
        v = (np.arange(nr_e) + 1) / (nr_e + 1)
        prof_w = 0.5 * ear_w * np.sin(np.pi * v**0.75) ** 0.7
        prof_t = thick * np.sin(np.pi * v) ** 0.5 + 0.05 * sc
        phi_e = 2 * np.pi * np.arange(nv_e) / nv_e
        centre = h[None] + v[:, None] * (t - h)[None]
        rings = centre[:, None] + (
            prof_t[:, None, None] * np.cos(phi_e)[None, :, None] * n
            + prof_w[:, None, None] * np.sin(phi_e)[None, :, None] * w
        )
        poles = np.stack([h, t])
        start = mp.add(f"{side}_ear", rings, poles, [f"{side}_ear"], 1.0)
        ears[side] = _Rings(start, nr_e, nv_e, v)
    return ears


# ------------------------------------------------------------------ landmarks
def _body_vertex(body: _Rings, s: float, angle: float) -> int:
    """Body vertex nearest arc parameter ``s`` at ring angle ``angle`` (rad, 0 = top)."""
    k = int(np.argmin(np.abs(body.u - s)))
    m = int(np.round(angle / (2 * np.pi) * body.n_vertices)) % body.n_vertices
    return body.start + k * body.n_vertices + m


def _surface_landmark_vertices(
    spec: dict[str, Any], ax: _BodyAxis, body: _Rings, tail: _Rings, ears: dict[str, _Rings],
    tail_len: float,
) -> dict[str, int]:
    """Vertex index of every surface landmark, ``{landmark name: vertex}``."""
    head, fl, hl = spec["head"], spec["forelimb"], spec["hindlimb"]
    eye_s, eye_a = float(head["eye_s"]), float(head["eye_angle"])
    ear_s = float(head["ear_base_s"])
    s_neck = 0.5 * (ax.spec_s[1] + ax.spec_s[2])
    surf: dict[str, int] = {
        "nose": body.start + body.n_rings * body.n_vertices,
        "left_eye": _body_vertex(body, eye_s, eye_a),
        "right_eye": _body_vertex(body, eye_s, -eye_a),
        "head_midpoint": _body_vertex(body, ear_s + 0.005, 0.0),
        "neck": _body_vertex(body, s_neck, 0.0),
        "left_shoulder": _body_vertex(body, float(fl["shoulder"]["s"]), 1.35),
        "right_shoulder": _body_vertex(body, float(fl["shoulder"]["s"]), -1.35),
        "mid_back": _body_vertex(body, 0.45, 0.0),
        "left_midside": _body_vertex(body, 0.62, 1.45),
        "right_midside": _body_vertex(body, 0.62, -1.45),
        "mouse_center": _body_vertex(body, 0.62, 0.0),
        "mid_backend": _body_vertex(body, 0.72, 0.0),
        "mid_backend2": _body_vertex(body, 0.80, 0.0),
        "mid_backend3": _body_vertex(body, 0.90, 0.0),
        "left_hip": _body_vertex(body, float(hl["hip"]["s"]), 1.4),
        "right_hip": _body_vertex(body, float(hl["hip"]["s"]), -1.4),
        "tail_base": tail.start + 0,
        "tail_end": tail.start + tail.n_rings * tail.n_vertices + 1,
    }
    for k in range(1, 6):
        ring = int(np.argmin(np.abs(tail.u - k * tail_len / 6)))
        surf[f"tail{k}"] = tail.start + ring * tail.n_vertices
    for side, ear in ears.items():
        mid_ring = ear.n_rings // 2
        surf[f"{side}_ear"] = ear.start + mid_ring * ear.n_vertices  # phi = 0: front face (+n)
        surf[f"{side}_ear_tip"] = ear.start + ear.n_rings * ear.n_vertices + 1
    return surf


def _landmarks(
    spec: dict[str, Any], surf: dict[str, int], vertices: np.ndarray, heads: np.ndarray,
    tails: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rest landmark points ``(L, 3)``, their vertex (or -1) and their bone (or -1)."""
    fl, hl = spec["forelimb"], spec["hindlimb"]
    lm_vertex = np.full(len(CATALOGUE), -1, dtype=np.int64)
    lm_bone = np.full(len(CATALOGUE), -1, dtype=np.int64)
    lm_points = np.zeros((len(CATALOGUE), 3))
    joints = {
        "elbow": ("forearm", 0.0),
        "wrist": ("forepaw", 0.0),
        "forepaw": ("forepaw", float(fl["landmark_paw_t"])),
        "knee": ("tibia", 0.0),
        "ankle": ("metatarsus", 0.0),
        "hindpaw": ("metatarsus", float(hl["landmark_paw_t"])),
    }
    for i, lm in enumerate(LANDMARKS):
        if lm.kind == "surface":
            vi = surf[lm.name]
            lm_vertex[i] = vi
            lm_points[i] = vertices[vi]
        else:
            side, stem = lm.name.split("_", 1)
            bone, t_b = joints[stem]
            j = _BI[f"{side}_{bone}"]
            lm_bone[i] = j
            lm_points[i] = heads[j] + t_b * (tails[j] - heads[j])
    return lm_points, lm_vertex, lm_bone


def _build(shape: MouseShape, spec: dict[str, Any]) -> _Build:
    """Rest skeleton, joint limits, skin mesh and landmarks of one shape (body frame, mm)."""
    sc = shape.scale
    ax = _body_axis(shape, spec)
    nb = len(BONE_NAMES)
    heads = np.zeros((nb, 3))
    tails = np.zeros((nb, 3))
    spine_s = _spine_bones(ax, heads, tails)
    _ear_bones(ax, spec["head"], heads, tails)
    tail_len, r_base, r_tip = _tail_bones(shape, spec["tail"], heads, tails)
    limb_info = _limb_bones(ax, spec, heads, tails)
    limits = _joint_limits(spec)

    mp = _MeshParts()
    body = _body_mesh(mp, ax, spec["mesh"])
    tail = _tail_mesh(mp, sc, spec["mesh"], heads, tails, tail_len, r_base, r_tip)
    for limb, bones in LIMBS.items():
        rings, poles, parent = _limb_tube(limb, spec, sc, heads, tails)
        mp.add(limb, rings, poles, [parent, *bones], 1.6 * sc)
    ears = _ear_mesh(mp, shape, spec, heads, tails)
    vertices = np.concatenate(mp.verts)
    faces_all = np.concatenate(mp.faces)

    surf = _surface_landmark_vertices(spec, ax, body, tail, ears, tail_len)
    lm_points, lm_vertex, lm_bone = _landmarks(spec, surf, vertices, heads, tails)
    info = {
        "limbs": limb_info,
        "tail_radius": (r_base, r_tip),
        "tail_length": tail_len,
        "nose_to_tail_base": float(ax.dist[-1]),
        "x_nose": ax.x_nose,
        "spine_s": spine_s,
        "x_of_s": ax.x_of,
    }
    return _Build(heads, tails, limits, vertices, faces_all, mp.parts, lm_points, lm_vertex,
                  lm_bone, info)


def _segment_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distances ``(V, B)`` from points ``(V, 3)`` to segments ``a->b`` ``(B, 3)``."""
    ab = b - a
    ap = p[:, None, :] - a[None]
    t = np.clip(np.sum(ap * ab[None], -1) / np.maximum(np.sum(ab * ab, -1), 1e-12)[None], 0, 1)
    return np.linalg.norm(ap - t[..., None] * ab[None], axis=-1)


def _skin_weights(
    build: _Build, vertex_ids: np.ndarray, n_influences: int = 4
) -> tuple[np.ndarray, np.ndarray]:
    """Top-``n_influences`` bone indices and normalised weights for the given vertices.

    Weight of bone ``j`` for a vertex of mesh part ``p``: ``exp(-((d_j - d_min) / sigma_p)^2)``
    over the bones allowed for that part, ``d_j`` the distance to bone segment ``j``; the
    largest four are kept and normalised to sum 1.
    """
    vertex_ids = np.asarray(vertex_ids, dtype=np.int64)
    idx = np.zeros((len(vertex_ids), n_influences), dtype=np.int64)
    w = np.zeros((len(vertex_ids), n_influences))
    for part in build.parts:
        sel = np.nonzero((vertex_ids >= part.start) & (vertex_ids < part.stop))[0]
        if sel.size == 0:
            continue
        bones = np.asarray(part.bones)
        d = _segment_distance(
            build.vertices[vertex_ids[sel]], build.heads[bones], build.tails[bones]
        )
        raw = np.exp(-(((d - d.min(axis=1, keepdims=True)) / part.sigma) ** 2))
        k = min(n_influences, len(bones))
        order = np.argsort(-raw, axis=1, kind="stable")[:, :k]
        top = np.take_along_axis(raw, order, 1)
        top = np.where(top < 1e-3, 0.0, top)
        top /= top.sum(axis=1, keepdims=True)
        idx[sel, :k] = bones[order]
        w[sel, :k] = top
        if k < n_influences:
            idx[sel, k:] = bones[order[:, :1]]
    return idx, w


@functools.lru_cache(maxsize=64)
def _cached_build(shape: MouseShape, spec_key: int) -> _Build:
    del spec_key
    return _build(shape, load_spec())


class MouseRig:
    """The rigged mouse of one individual shape.

    Parameters
    ----------
    shape
        Individual shape; default the typical mouse ``MouseShape()``.

    Notes
    -----
    Construction builds the skeleton, the skin mesh and the landmark skinning (a few tens
    of ms, cached per shape); the full per-vertex weights are computed on first access of
    :attr:`weights` / :meth:`skin`.  See the module docstring for the exact FK and LBS math
    and for how Blender reproduces it.
    """

    def __init__(self, shape: MouseShape | None = None) -> None:
        self.shape = shape if shape is not None else MouseShape()
        self._b = _cached_build(self.shape, 0)
        b = self._b
        self.bone_names: tuple[str, ...] = BONE_NAMES
        self.bone_parents: np.ndarray = np.asarray(_BONE_PARENTS, dtype=np.int64)
        self.bone_rest_heads: np.ndarray = b.heads.copy()
        self.bone_rest_tails: np.ndarray = b.tails.copy()
        self.joint_limits: np.ndarray = b.limits.copy()
        self.rest_vertices: np.ndarray = b.vertices
        self.faces: np.ndarray = b.faces
        self.landmark_names: tuple[str, ...] = CATALOGUE
        self.landmark_vertex: np.ndarray = b.lm_vertex
        self.landmark_bone: np.ndarray = b.lm_bone
        self._lm_rest = b.lm_points
        lm_idx = np.zeros((len(CATALOGUE), 4), dtype=np.int64)
        lm_w = np.zeros((len(CATALOGUE), 4))
        surf = b.lm_vertex >= 0
        si, sw = _skin_weights(b, b.lm_vertex[surf])
        lm_idx[surf], lm_w[surf] = si, sw
        lm_idx[~surf] = b.lm_bone[~surf, None]
        lm_w[~surf, 0] = 1.0
        self._lm_idx, self._lm_w = lm_idx, lm_w
        self._w_idx: np.ndarray | None = None
        self._w_val: np.ndarray | None = None

    # ------------------------------------------------------------------ properties
    @property
    def n_bones(self) -> int:
        """Number of bones."""
        return len(self.bone_names)

    @property
    def pose_size(self) -> int:
        """Length ``P = 4 + 3 * n_bones`` of a pose vector."""
        return 4 + 3 * self.n_bones

    @property
    def bone_rest_matrices(self) -> np.ndarray:
        """``(n_bones, 4, 4)`` rest world matrices ``T(head)`` (identity rotation)."""
        m = np.tile(np.eye(4), (self.n_bones, 1, 1))
        m[:, :3, 3] = self.bone_rest_heads
        return m

    @property
    def parts(self) -> dict[str, tuple[int, int]]:
        """Closed mesh parts ``{name: (first_vertex, stop_vertex)}``; faces never cross parts."""
        return {p.name: (p.start, p.stop) for p in self._b.parts}

    @property
    def info(self) -> dict[str, Any]:
        """Derived dimensions (tail length, paw radii, limb segment lengths...)."""
        return self._b.info

    @property
    def weight_indices(self) -> np.ndarray:
        """``(V, 4)`` bone index of each vertex's four influences."""
        self._ensure_weights()
        assert self._w_idx is not None
        return self._w_idx

    @property
    def weight_values(self) -> np.ndarray:
        """``(V, 4)`` weights matching :attr:`weight_indices` (rows sum to 1)."""
        self._ensure_weights()
        assert self._w_val is not None
        return self._w_val

    @property
    def weights(self) -> np.ndarray:
        """Dense ``(V, n_bones)`` skinning weights (rows sum to 1; at most 4 non-zero)."""
        dense = np.zeros((len(self.rest_vertices), self.n_bones))
        rows = np.arange(len(self.rest_vertices))[:, None]
        np.add.at(dense, (np.broadcast_to(rows, self.weight_indices.shape), self.weight_indices),
                  self.weight_values)
        return dense

    def vertex_groups(self, threshold: float = 0.0) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Blender vertex groups ``{bone_name: (vertex_indices, weights)}``.

        Parameters
        ----------
        threshold
            Weights at or below this are left out.
        """
        dense = self.weights
        out = {}
        for j, name in enumerate(self.bone_names):
            v = np.nonzero(dense[:, j] > threshold)[0]
            out[name] = (v, dense[v, j])
        return out

    def _ensure_weights(self) -> None:
        if self._w_idx is None:
            self._w_idx, self._w_val = _skin_weights(
                self._b, np.arange(len(self.rest_vertices))
            )

    # ------------------------------------------------------------------ poses
    def zero_pose(self, n: int = 1) -> np.ndarray:
        """``(n, P)`` rest poses (standing at the world origin, facing +x)."""
        return np.zeros((n, self.pose_size))

    def split_pose(self, pose: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Views ``(root (N,3), heading (N,), euler (N, n_bones, 3))`` of poses ``(N, P)``."""
        pose = np.asarray(pose, dtype=np.float64)
        if pose.ndim != 2 or pose.shape[1] != self.pose_size:
            raise ValueError(
                f"pose must have shape (N, {self.pose_size}) = (N, 4 + 3 * n_bones); got "
                f"{pose.shape}"
            )
        return pose[:, :3], pose[:, 3], pose[:, 4:].reshape(len(pose), self.n_bones, 3)

    def clip_to_limits(self, pose: np.ndarray) -> np.ndarray:
        """Copy of ``pose`` with every joint angle clipped to :attr:`joint_limits`."""
        out = np.array(pose, dtype=np.float64, copy=True)
        _, _, e = self.split_pose(out)
        np.clip(e, self.joint_limits[None, :, :, 0], self.joint_limits[None, :, :, 1], out=e)
        return out

    def forward_kinematics(
        self, pose: np.ndarray, upto: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """World bone rotations and head positions.

        Parameters
        ----------
        pose
            ``(N, P)`` pose vectors.
        upto
            Only bones ``0..upto-1`` (bones are in topological order, parents first);
            all bones by default.

        Returns
        -------
        rot, head
            ``(N, n, 3, 3)`` world rotations ``W_j`` and ``(N, n, 3)`` world head
            positions ``p_j`` of the first ``n = upto or n_bones`` bones.
        """
        n_bones = self.n_bones if upto is None else int(upto)
        root, heading, e = self.split_pose(pose)
        local = euler_to_matrix(e[:, :n_bones])
        n = len(root)
        rot = np.empty((n, n_bones, 3, 3))
        pos = np.empty((n, n_bones, 3))
        hz = rot_z(heading)
        h = self.bone_rest_heads
        for j, p in enumerate(self.bone_parents[:n_bones]):
            if p < 0:
                rot[:, j] = hz @ local[:, j]
                pos[:, j] = root + hz @ h[j]
            else:
                rot[:, j] = rot[:, p] @ local[:, j]
                pos[:, j] = pos[:, p] + rot[:, p] @ (h[j] - h[p])
        return rot, pos

    def bone_matrices(self, pose: np.ndarray) -> np.ndarray:
        """``(N, n_bones, 4, 4)`` world bone matrices ``G_j`` of poses ``(N, P)``."""
        rot, pos = self.forward_kinematics(pose)
        m = np.zeros(rot.shape[:2] + (4, 4))
        m[..., :3, :3] = rot
        m[..., :3, 3] = pos
        m[..., 3, 3] = 1.0
        return m

    def skinning_matrices(self, pose: np.ndarray) -> np.ndarray:
        """``(N, n_bones, 4, 4)`` LBS matrices ``S_j = G_j @ inverse(G_rest_j)``."""
        rot, pos = self.forward_kinematics(pose)
        m = np.zeros(rot.shape[:2] + (4, 4))
        m[..., :3, :3] = rot
        m[..., :3, 3] = pos - np.einsum("nbij,bj->nbi", rot, self.bone_rest_heads)
        m[..., 3, 3] = 1.0
        return m

    def bone_positions(self, pose: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """World ``(heads, tails)``, each ``(N, n_bones, 3)``."""
        rot, pos = self.forward_kinematics(pose)
        vec = self.bone_rest_tails - self.bone_rest_heads
        return pos, pos + np.einsum("nbij,bj->nbi", rot, vec)

    def _lbs(
        self,
        rot: np.ndarray,
        pos: np.ndarray,
        points: np.ndarray,
        idx: np.ndarray,
        w: np.ndarray,
    ) -> np.ndarray:
        out = np.zeros((rot.shape[0], len(points), 3))
        h = self.bone_rest_heads
        for k in range(idx.shape[1]):
            bk = idx[:, k]
            local = points - h[bk]  # (V, 3)
            out += w[None, :, k, None] * (
                np.einsum("nvij,vj->nvi", rot[:, bk], local) + pos[:, bk]
            )
        return out

    def skin(self, pose: np.ndarray, vertex_ids: np.ndarray | None = None) -> np.ndarray:
        """Skin vertices by linear blend skinning.

        Parameters
        ----------
        pose
            ``(N, P)`` poses (a single ``(P,)`` pose is accepted too).
        vertex_ids
            Optional subset of vertex indices (default all).

        Returns
        -------
        numpy.ndarray
            ``(N, V, 3)`` world vertex positions in mm.
        """
        pose = np.atleast_2d(pose)
        ids = np.arange(len(self.rest_vertices)) if vertex_ids is None else np.asarray(vertex_ids)
        rot, pos = self.forward_kinematics(pose)
        chunks = []
        step = max(1, 2_000_000 // max(len(ids), 1))
        for i in range(0, len(pose), step):
            chunks.append(
                self._lbs(rot[i : i + step], pos[i : i + step], self.rest_vertices[ids],
                          self.weight_indices[ids], self.weight_values[ids])
            )
        return np.concatenate(chunks) if chunks else np.zeros((0, len(ids), 3))

    def landmarks(self, pose: np.ndarray) -> np.ndarray:
        """World landmark positions in :data:`CATALOGUE` order.

        Surface landmarks are skin vertices (skinned exactly like the mesh); joint
        landmarks are points on bones (joint centres).

        Parameters
        ----------
        pose
            ``(N, P)`` poses (a single ``(P,)`` pose is accepted too).

        Returns
        -------
        numpy.ndarray
            ``(N, len(CATALOGUE), 3)`` in mm.
        """
        pose = np.atleast_2d(pose)
        rot, pos = self.forward_kinematics(pose)
        return self._lbs(rot, pos, self._lm_rest, self._lm_idx, self._lm_w)

    def landmarks_from_fk(self, rot: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """Landmarks from precomputed :meth:`forward_kinematics` output."""
        return self._lbs(rot, pos, self._lm_rest, self._lm_idx, self._lm_w)

    def points_from_fk(
        self, rot: np.ndarray, pos: np.ndarray, vertex_ids: np.ndarray
    ) -> np.ndarray:
        """Skinned positions of a vertex subset from precomputed FK output."""
        ids = np.asarray(vertex_ids)
        return self._lbs(rot, pos, self.rest_vertices[ids], self.weight_indices[ids],
                         self.weight_values[ids])


def get_rig(shape: MouseShape | None = None) -> MouseRig:
    """Cached :class:`MouseRig` for a shape (weights computed once per shape)."""
    return _get_rig_cached(shape if shape is not None else MouseShape())


@functools.lru_cache(maxsize=32)
def _get_rig_cached(shape: MouseShape) -> MouseRig:
    return MouseRig(shape)
