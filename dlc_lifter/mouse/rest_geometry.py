"""Rest geometry of the rigged mouse, built procedurally from the anatomical spec.

:func:`build_rest_geometry` places the bones of one :class:`~dlc_lifter.mouse.anatomy.MouseShape`
in the rest pose (body frame of :mod:`dlc_lifter.mouse.rig`, mm), sets the joint limits,
builds the closed skin mesh (body, tail, four limbs, two ears; one tube each) and the rest
landmarks; :func:`skin_weights` gives each vertex its four bone influences.

Over ~600 lines on purpose: one function per stage, but every stage reads the same body
axis and bone placement, and splitting the stages across modules would only export those.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from dlc_lifter.mouse.anatomy import MouseShape, typical
from dlc_lifter.mouse.bones import (
    BONE_INDEX,
    BONE_KINDS,
    BONE_NAMES,
    FORELIMB_BONES,
    HINDLIMB_BONES,
    LIMBS,
    N_TAIL_BONES,
    SPINE_BONES,
)
from dlc_lifter.mouse.catalogue import CATALOGUE, LANDMARKS
from dlc_lifter.mouse.kinematics import two_link_ik

__all__ = ["RestGeometry", "build_rest_geometry", "skin_weights"]

@dataclass
class _Part:
    name: str
    start: int
    stop: int
    bones: tuple[int, ...]
    sigma: float


@dataclass
class RestGeometry:
    """Rest geometry of one shape (body frame, mm): bones, joint limits, skin mesh, landmarks."""

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
            _Part(name, self.n_off, self.n_off + len(v), tuple(BONE_INDEX[b] for b in bones), sigma)
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
    heads[BONE_INDEX["sacrum"]] = ax.axis_point(s_ls)[0]
    tails[BONE_INDEX["sacrum"]] = ax.axis_point(1.0)[0]
    for name, s0, s1 in zip(SPINE_BONES, spine_s[:-1], spine_s[1:], strict=True):
        heads[BONE_INDEX[name]] = ax.axis_point(s0)[0]
        tails[BONE_INDEX[name]] = ax.axis_point(s1)[0]
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
        heads[BONE_INDEX[f"{side}_ear"]] = base
        tails[BONE_INDEX[f"{side}_ear"]] = base + d * ear_len


def _tail_bones(
    shape: MouseShape, tail: dict[str, Any], heads: np.ndarray, tails: np.ndarray
) -> tuple[float, float, float]:
    """Place equal tail segments drooping onto the floor; ``(length, r_base, r_tip)`` in mm."""
    sc = shape.scale
    tail_len = typical(tail["length"]) * sc * shape.tail_length
    n_t = int(tail["n_bones"])
    if n_t != N_TAIL_BONES:
        raise ValueError(f"mouse spec tail.n_bones must be {N_TAIL_BONES} (rig layout), got {n_t}")
    seg_t = tail_len / n_t
    r_base, r_tip = float(tail["radius_base"]) * sc, float(tail["radius_tip"]) * sc
    p = tails[BONE_INDEX["sacrum"]].copy()
    for k in range(n_t):
        u0 = k * seg_t
        a = float(tail["rest_base_slope"]) * np.exp(-u0 / (float(tail["rest_decay"]) * sc))
        r_next = r_base + (r_tip - r_base) * (k + 1) / n_t
        z_next = p[2] - seg_t * np.sin(a)
        if z_next < r_next + 0.2:
            a = float(np.arcsin(np.clip((p[2] - r_next - 0.2) / seg_t, 0.0, 1.0)))
        q = p + seg_t * np.array([-np.cos(a), 0.0, -np.sin(a)])
        heads[BONE_INDEX[f"tail{k + 1:02d}"]] = p
        tails[BONE_INDEX[f"tail{k + 1:02d}"]] = q
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
            ("fore", FORELIMB_BONES, _forelimb_chain, spec["forelimb"]),
            ("hind", HINDLIMB_BONES, _hindlimb_chain, spec["hindlimb"]),
        ):
            chain, info = chain_of(ax, limb_spec, sgn)
            for i, bn in enumerate(bones):
                heads[BONE_INDEX[f"{side}_{bn}"]] = chain[i]
                tails[BONE_INDEX[f"{side}_{bn}"]] = chain[i + 1]
            limb_info[f"{side}_{part}"] = info
    return limb_info


def _joint_limits(spec: dict[str, Any]) -> np.ndarray:
    """``(n_bones, 3, 2)`` joint-angle ranges (rad), right-side roll and yaw mirrored."""
    lim_spec = spec["joint_limits"]
    limits = np.zeros((len(BONE_NAMES), 3, 2))
    for j, kind in enumerate(BONE_KINDS):
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
    body_bones = ["sacrum", *SPINE_BONES]
    start = mp.add("body", rings, poles, body_bones, 3.5 * ax.shape.scale)
    return _Rings(start, nr, nv, body_s)


def _tail_mesh(
    mp: _MeshParts, sc: float, mesh: dict[str, Any], heads: np.ndarray, tails: np.ndarray,
    tail_len: float, r_base: float, r_tip: float,
) -> _Rings:
    """Tail tube along the tail bones, tapering from ``r_base`` to ``r_tip``."""
    n_t = N_TAIL_BONES
    nr_t, nv_t = int(mesh["tail_rings"]), int(mesh["tail_ring_vertices"])
    tail_pts = np.concatenate(
        [heads[[BONE_INDEX["tail01"]]], tails[[BONE_INDEX[f"tail{k + 1:02d}"] for k in range(n_t)]]]
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
    idx = [BONE_INDEX[b] for b in LIMBS[limb]]
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
        j = BONE_INDEX[f"{side}_ear"]
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
            j = BONE_INDEX[f"{side}_{bone}"]
            lm_bone[i] = j
            lm_points[i] = heads[j] + t_b * (tails[j] - heads[j])
    return lm_points, lm_vertex, lm_bone


def build_rest_geometry(shape: MouseShape, spec: dict[str, Any]) -> RestGeometry:
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
    return RestGeometry(heads, tails, limits, vertices, faces_all, mp.parts, lm_points, lm_vertex,
                  lm_bone, info)


def _segment_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distances ``(V, B)`` from points ``(V, 3)`` to segments ``a->b`` ``(B, 3)``."""
    ab = b - a
    ap = p[:, None, :] - a[None]
    t = np.clip(np.sum(ap * ab[None], -1) / np.maximum(np.sum(ab * ab, -1), 1e-12)[None], 0, 1)
    return np.linalg.norm(ap - t[..., None] * ab[None], axis=-1)


def skin_weights(
    build: RestGeometry, vertex_ids: np.ndarray, n_influences: int = 4
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
