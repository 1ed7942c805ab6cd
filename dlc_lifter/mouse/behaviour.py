"""Behaviour-driven pose sequences of the synthetic mouse in a rectangular arena.

:func:`generate_sequence` produces smooth, labelled sequences: walking and trotting
(lateral-sequence walk and diagonal trot with stride frequency rising with speed, stance
paws planted on the floor), turning (lateral spine bend distributed over the trunk, head
leading), rearing (unsupported and against a wall; body pitched up about the hips, hind
paws planted), grooming (sitting, curled, forepaws stroking the snout), crouching /
freezing, stretched-attend posture and sniffing head scans, with ~0.3 s blended
transitions, breathing, tail sway and small postural noise.

How a sequence is made
----------------------
1. *Schedule and trajectory* (a scalar loop over frames): behaviour segments are drawn
   from a Markov chain; speed and turn rate follow each segment's targets through
   first-order lags; the mouse avoids the walls; a ``rear_wall`` segment is preceded by an
   approach that walks the mouse up to the nearest wall and turns it to face the wall.
2. *Posture controls* (vectorised): every behaviour gives a vector of controls (body
   pitch, hip drop, spine flexion/bend, head angles, paw placement, gait duty factor...)
   for every frame; controls are blended with the smoothed one-hot behaviour weights.
3. *Joint angles*: spine, head, ears and tail angles from the controls; paws get world
   targets (gait foot placement with planted stance feet, face, wall or tucked targets);
   limbs reach them by analytic two-link IK, clipped to the rig's joint limits.
4. *Floor*: tail bones are lifted off the floor by a few Newton steps; if any landmark or
   skin probe vertex is below the floor the whole body is lifted (smoothly).

The pose vectors reproduce every frame through :class:`~dlc_lifter.mouse.rig.MouseRig`:
``MouseRig(seq.shape).landmarks(seq.pose) == seq.landmarks``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numba
import numpy as np
from scipy.ndimage import gaussian_filter1d, maximum_filter1d, uniform_filter1d

from dlc_lifter.mouse.anatomy import MouseShape, sample_shape
from dlc_lifter.mouse.rig import (
    LIMBS,
    MouseRig,
    euler_to_matrix,
    get_rig,
    matrix_to_euler,
    rot_z,
    rotation_between,
    two_link_ik,
)

__all__ = [
    "BEHAVIOURS",
    "MouseSequence",
    "generate_sequence",
    "generate_sequences",
    "sample_poses",
]

log = logging.getLogger(__name__)

#: Behaviour label vocabulary (``MouseSequence.behaviour`` indexes this tuple).
BEHAVIOURS: tuple[str, ...] = (
    "walk", "trot", "turn", "rear", "rear_wall", "groom", "crouch", "stretch", "sniff",
)
_B = {b: i for i, b in enumerate(BEHAVIOURS)}

# segment durations (s) and relative frequencies of each behaviour
_DURATION = {
    "walk": (0.8, 3.0), "trot": (0.5, 1.8), "turn": (0.4, 1.2), "rear": (0.8, 2.5),
    "rear_wall": (1.0, 3.0), "groom": (1.5, 4.0), "crouch": (1.0, 3.5),
    "stretch": (0.8, 2.0), "sniff": (0.8, 2.5),
}
_FREQ = {
    "walk": 3.0, "trot": 1.5, "turn": 1.5, "rear": 1.0, "rear_wall": 1.0, "groom": 1.0,
    "crouch": 1.0, "stretch": 0.8, "sniff": 1.5,
}
_BLEND_S = 0.3  # transition duration (s)
_LIMB_ORDER = ("left_fore", "left_hind", "right_fore", "right_hind")
# gait phase offsets (fraction of a stride): lateral-sequence walk and diagonal trot
_WALK_OFFSET = {"left_hind": 0.0, "left_fore": 0.25, "right_hind": 0.5, "right_fore": 0.75}
_TROT_OFFSET = {"left_fore": 0.0, "right_hind": 0.0, "right_fore": 0.5, "left_hind": 0.5}


@dataclass
class MouseSequence:
    """One generated sequence.

    Attributes
    ----------
    landmarks
        ``(T, len(CATALOGUE), 3)`` world mm, floor ``z = 0``.
    behaviour
        ``(T,)`` int index into :data:`BEHAVIOURS`.
    pose
        ``(T, P)`` pose vectors reproducing each frame through ``MouseRig(shape)``.
    shape
        The individual.
    fps
        Frames per second.
    arena_mm
        ``(width_x, width_y)`` of the arena; walls at ``x = 0, x = width_x, y = 0, y = width_y``.
    """

    landmarks: np.ndarray
    behaviour: np.ndarray
    pose: np.ndarray
    shape: MouseShape
    fps: float
    arena_mm: tuple[float, float] = (500.0, 500.0)

    def behaviour_names(self) -> list[str]:
        """Behaviour name of every frame."""
        return [BEHAVIOURS[i] for i in self.behaviour]

    def __len__(self) -> int:
        return len(self.behaviour)


# ----------------------------------------------------------------------------- helpers
def _smooth_noise(rng: np.random.Generator, n: int, fps: float, tau_s: float, sd: float):
    """Gaussian-smoothed white noise with standard deviation ``sd`` and time scale ``tau_s``."""
    sigma = max(tau_s * fps, 0.5)
    pad = int(4 * sigma) + 1
    x = gaussian_filter1d(rng.standard_normal(n + 2 * pad), sigma)[pad : pad + n]
    return x * (sd / max(float(np.std(x)), 1e-9)) if n > 1 else x * 0.0


def _wall_distance(x: float, y: float, th: float, ax: float, ay: float) -> float:
    """Distance from ``(x, y)`` along heading ``th`` to the arena wall."""
    c, s = math.cos(th), math.sin(th)
    d = 1e9
    if c > 1e-6:
        d = min(d, (ax - x) / c)
    elif c < -1e-6:
        d = min(d, -x / c)
    if s > 1e-6:
        d = min(d, (ay - y) / s)
    elif s < -1e-6:
        d = min(d, -y / s)
    return d


def _wrap(a: float) -> float:
    return (a + math.pi) % (2 * math.pi) - math.pi


# ----------------------------------------------------------------------------- pass 1
_REAR_WALL_D = 16.0  # distance of the centre point to the wall while rearing on it (mm)


@dataclass
class _Walker:
    """Planar state of the centre point while the schedule is drawn (mm, rad, s)."""

    x: float
    y: float
    theta: float
    v: float = 0.0
    w: float = 0.0
    cur: str | None = None
    remaining: int = 0
    approach: bool = False
    wall_heading: float = 0.0
    wander: float = 0.0
    segments: list[dict[str, Any]] = field(default_factory=list)


def _nearest_wall(px: float, py: float, ax: float, ay: float) -> tuple[float, float]:
    """``(distance mm, heading rad facing it)`` of the wall nearest ``(px, py)``."""
    d = [(px, math.pi), (ax - px, 0.0), (py, -math.pi / 2), (ay - py, math.pi / 2)]
    return min(d)


def _draw_segment(
    rng: np.random.Generator, allowed: Sequence[str], cur: str | None, fps: float
) -> dict[str, Any]:
    """Next behaviour (never ``cur`` if avoidable), its duration in frames, speed and turn."""
    choices = [b for b in allowed if b != cur] or list(allowed)
    p = np.array([_FREQ[b] for b in choices])
    nxt = choices[int(rng.choice(len(choices), p=p / p.sum()))]
    lo, hi = _DURATION[nxt]
    seg = {"behaviour": nxt, "dur": max(2, int(round(rng.uniform(lo, hi) * fps)))}
    seg["speed"] = {
        "walk": rng.uniform(50, 150), "trot": rng.uniform(160, 320),
        "turn": rng.uniform(0, 25), "stretch": rng.uniform(5, 25),
        "sniff": rng.uniform(0, 12),
    }.get(nxt, 0.0)
    seg["omega"] = {
        "walk": rng.normal(0, 0.6), "trot": rng.normal(0, 0.4),
        "turn": rng.choice([-1.0, 1.0]) * rng.uniform(2.0, 5.0),
        "sniff": rng.normal(0, 0.3), "stretch": rng.normal(0, 0.2),
    }.get(nxt, 0.0)
    return seg


def _start_segment(
    st: _Walker, rng: np.random.Generator, allowed: Sequence[str], fps: float,
    arena: tuple[float, float], m_c: float,
) -> None:
    """Append the next segment; a wall rearing far from a wall is preceded by a walk there."""
    ax, ay = arena
    seg = _draw_segment(rng, allowed, st.cur, fps)
    nxt = seg["behaviour"]
    st.approach = False
    if nxt == "rear_wall" and "walk" in allowed:
        dwall, st.wall_heading = _nearest_wall(st.x, st.y, ax, ay)
        if dwall > m_c + 25 or abs(_wrap(st.wall_heading - st.theta)) > 0.3:
            # walk to the wall first; rear_wall starts on arrival
            st.approach = True
            seg = {"behaviour": "walk", "dur": 10**9, "speed": 110.0, "omega": 0.0,
                   "then": seg}
    elif nxt == "rear_wall":
        dwall, st.wall_heading = _nearest_wall(st.x, st.y, ax, ay)
    st.cur = seg["behaviour"]
    st.remaining = seg["dur"]
    st.segments.append(seg)
    st.wander = 0.0


def _wall_targets(
    st: _Walker, seg: dict[str, Any], b: str, target_v: float, front: float, fps: float,
    m_c: float,
) -> tuple[str, float, float]:
    """Behaviour, target speed and turn rate while approaching or rearing on a wall."""
    err = _wrap(st.wall_heading - st.theta)
    target_w = max(-4.0, min(4.0, 6.0 * err))
    if st.approach:
        target_v = 110.0 if abs(err) < 0.5 else 25.0
        if front <= m_c + 2 and abs(err) < 0.15:
            # arrived: start rearing on the wall
            nxt_seg = seg["then"]
            st.approach = False
            st.cur = "rear_wall"
            st.remaining = nxt_seg["dur"]
            st.segments.append(nxt_seg)
            seg, b = nxt_seg, "rear_wall"
            target_v = 0.0
    if b == "rear_wall":
        # move in while pitching up so the forepaws reach the wall; back off from it
        # before coming down (the last 0.5 s)
        if st.remaining > 0.5 * fps:
            target_v = float(np.clip(3.0 * (front - _REAR_WALL_D), 0.0, 120.0))
        else:
            target_v = -float(np.clip(6.0 * (m_c + 2 - front), 0.0, 250.0))
    return b, target_v, target_w


def _targets(
    st: _Walker, rng: np.random.Generator, dt: float, fps: float, arena: tuple[float, float],
    m_c: float,
) -> tuple[str, float, float]:
    """Behaviour of this frame, target speed (mm/s) and turn rate (rad/s)."""
    ax, ay = arena
    seg = st.segments[-1]
    b = seg["behaviour"]
    target_v = float(seg["speed"])
    st.wander += rng.normal(0, 1.2) * math.sqrt(dt) - st.wander * dt / 0.5
    target_w = float(seg["omega"]) + (st.wander if b in ("walk", "trot", "sniff") else 0.0)
    front = _wall_distance(st.x, st.y, st.theta, ax, ay)
    if st.approach or b == "rear_wall":
        b, target_v, target_w = _wall_targets(st, seg, b, target_v, front, fps, m_c)
    elif b in ("walk", "trot", "turn", "sniff", "stretch"):
        look = 40.0 + 0.4 * st.v
        qx, qy = st.x + math.cos(st.theta) * look, st.y + math.sin(st.theta) * look
        if qx < m_c or qx > ax - m_c or qy < m_c or qy > ay - m_c:
            to_c = math.atan2(ay / 2 - st.y, ax / 2 - st.x)
            target_w = 4.0 * (1.0 if _wrap(to_c - st.theta) > 0 else -1.0)
            target_v *= 0.4
    return b, target_v, target_w


def _advance(
    st: _Walker, b: str, target_v: float, target_w: float, dt: float,
    arena: tuple[float, float], m_c: float,
) -> None:
    """Move the centre point one frame towards the targets, kept inside the arena."""
    ax, ay = arena
    st.v += (target_v - st.v) * min(1.0, dt / 0.15)
    st.w += (target_w - st.w) * min(1.0, dt / 0.08)
    st.theta = _wrap(st.theta + st.w * dt)
    x, y = st.x, st.y
    x_prev, y_prev = x, y
    x += st.v * dt * math.cos(st.theta)
    y += st.v * dt * math.sin(st.theta)
    if b != "rear_wall":
        # never further out than the margin (or than before), and back off the wall
        # smoothly after rearing on it (the centre is then past the margin)
        x = min(max(x, min(m_c, x_prev)), max(ax - m_c, x_prev))
        y = min(max(y, min(m_c, y_prev)), max(ay - m_c, y_prev))
        max_back = 80.0 * dt
        x += min(max(min(max(x, m_c), ax - m_c) - x, -max_back), max_back)
        y += min(max(min(max(y, m_c), ay - m_c) - y, -max_back), max_back)
    else:
        x = min(max(x, 2.0), ax - 2.0)
        y = min(max(y, 2.0), ay - 2.0)
    st.x, st.y = x, y


def _schedule(
    n: int,
    rng: np.random.Generator,
    fps: float,
    arena: tuple[float, float],
    allowed: Sequence[str],
    nose_ahead: float,
    x_center: float,
) -> dict[str, Any]:
    """Behaviour labels, segment parameters and the planar trajectory (centre point, heading)."""
    dt = 1.0 / fps
    ax, ay = arena
    m_c = nose_ahead + 3.0
    if min(ax, ay) < 2 * m_c + 20:
        raise ValueError(f"arena_mm {arena} is too small for a mouse (need > {2 * m_c + 20:.0f})")
    labels = np.zeros(n, dtype=np.int64)
    seg_id = np.zeros(n, dtype=np.int64)
    cx = np.zeros(n)
    cy = np.zeros(n)
    th = np.zeros(n)
    speed = np.zeros(n)
    omega = np.zeros(n)
    wall_d = np.zeros(n)
    x = float(rng.uniform(m_c + 10, ax - m_c - 10))
    y = float(rng.uniform(m_c + 10, ay - m_c - 10))
    st = _Walker(x, y, float(rng.uniform(-math.pi, math.pi)))
    for i in range(n):
        if st.remaining <= 0:
            _start_segment(st, rng, allowed, fps, arena, m_c)
        b, target_v, target_w = _targets(st, rng, dt, fps, arena, m_c)
        _advance(st, b, target_v, target_w, dt, arena, m_c)
        labels[i] = _B[b]
        seg_id[i] = len(st.segments) - 1
        cx[i], cy[i], th[i], speed[i], omega[i] = st.x, st.y, st.theta, st.v, st.w
        wall_d[i] = _wall_distance(st.x, st.y, st.theta, ax, ay)
        st.remaining -= 1
    # centre point -> root (origin of the body frame, below the lumbosacral joint)
    th_u = np.unwrap(th)
    return {
        "labels": labels, "seg_id": seg_id, "segments": st.segments, "cx": cx, "cy": cy,
        "heading": th_u, "speed": speed, "omega": omega, "wall_d": wall_d,
        "root_x": cx - np.cos(th_u) * x_center, "root_y": cy - np.sin(th_u) * x_center,
    }


# ----------------------------------------------------------------------------- pass 2
_CONTROLS = (
    "pitch", "hip_drop", "lower", "flex", "bend", "neck_pitch", "head_pitch", "head_yaw",
    "head_roll", "fore_dx", "hind_dx", "step", "face", "wall", "tuck", "tail_lift",
    "tail_sway", "ear_back", "duty", "trot", "lift", "scap",
)


def _locomotion_controls(
    c: dict[str, np.ndarray], b: str, t: np.ndarray, rng: np.random.Generator, ph: np.ndarray,
    om: np.ndarray, fps: float,
) -> None:
    """Walk, trot and turn: stepping, body bend and head yaw following the turn rate."""
    n = len(t)
    one = np.ones(n)
    c["step"] = one
    c["scap"] = one
    c["bend"] = np.clip(0.16 * om, -0.9, 0.9)
    c["head_yaw"] = np.clip(0.08 * om, -0.5, 0.5) + _smooth_noise(rng, n, fps, 0.4, 0.12)
    c["neck_pitch"] = 0.05 + _smooth_noise(rng, n, fps, 0.5, 0.08)
    c["head_pitch"] = 0.05 * one
    if b == "walk":
        c["lift"] = 3.5 * one
        c["flex"] = 0.08 * one
        c["tail_lift"] = 0.15 * one
        c["tail_sway"] = 0.15 * one
    elif b == "trot":
        c["duty"] = 0.5 * one
        c["trot"] = one
        c["lift"] = 4.5 * one
        c["flex"] = -0.05 * one
        c["lower"] = 1.0 * one
        c["tail_lift"] = 0.25 * one
        c["tail_sway"] = 0.2 * one
    else:
        c["duty"] = 0.6 * one
        c["lift"] = 3.0 * one
        c["head_yaw"] = np.clip(0.12 * om, -0.6, 0.6)
        c["flex"] = 0.12 * one


def _rear_controls(
    c: dict[str, np.ndarray], b: str, t: np.ndarray, rng: np.random.Generator, ph: np.ndarray,
    om: np.ndarray, fps: float,
) -> None:
    """Rearing, free or against the wall: pelvis pitch, scanning head, paws tucked or on it."""
    one = np.ones(len(t))
    wall = b == "rear_wall"
    c["pitch"] = rng.uniform(1.05, 1.3) * one if wall else rng.uniform(0.95, 1.3) * one
    c["hip_drop"] = rng.uniform(0.0, 1.5) * one if wall else rng.uniform(0.5, 2.5) * one
    c["flex"] = (-0.15 if wall else -0.05) * one + 0.04 * np.sin(2 * np.pi * 0.7 * t + ph[0])
    f_scan, a_scan = rng.uniform(0.6, 1.6), rng.uniform(0.15, 0.45)
    c["head_yaw"] = a_scan * np.sin(2 * np.pi * f_scan * t + ph[1])
    c["neck_pitch"] = rng.uniform(0.15, 0.45) * one + 0.1 * np.sin(
        2 * np.pi * 0.9 * t + ph[2]
    )
    c["head_pitch"] = rng.uniform(0.0, 0.25) * one
    c["hind_dx"] = 3.0 * one
    c["wall" if wall else "tuck"] = one
    c["step"] = (0.5 if wall else 0.0) * one
    c["tail_lift"] = -0.1 * one


def _groom_controls(
    c: dict[str, np.ndarray], b: str, t: np.ndarray, rng: np.random.Generator, ph: np.ndarray,
    om: np.ndarray, fps: float,
) -> None:
    """Grooming: sitting up, forepaws stroking the face."""
    one = np.ones(len(t))
    c["pitch"] = rng.uniform(0.8, 1.05) * one
    c["hip_drop"] = rng.uniform(1.5, 3.0) * one
    c["flex"] = rng.uniform(0.3, 0.5) * one
    c["neck_pitch"] = rng.uniform(0.35, 0.55) * one
    c["head_pitch"] = rng.uniform(0.2, 0.35) * one
    f_stroke = rng.uniform(3.0, 6.0)
    c["head_yaw"] = 0.12 * np.sin(2 * np.pi * f_stroke * t + ph[0])
    c["head_roll"] = 0.15 * np.sin(2 * np.pi * f_stroke * 0.5 * t + ph[1])
    c["face"] = one
    c["hind_dx"] = 4.0 * one
    c["tail_sway"] = 0.03 * one


def _crouch_controls(
    c: dict[str, np.ndarray], b: str, t: np.ndarray, rng: np.random.Generator, ph: np.ndarray,
    om: np.ndarray, fps: float,
) -> None:
    """Crouching: body lowered and hunched, ears back, paws drawn in."""
    one = np.ones(len(t))
    c["lower"] = rng.uniform(2.0, 4.0) * one
    c["flex"] = rng.uniform(0.25, 0.45) * one
    c["neck_pitch"] = rng.uniform(0.15, 0.35) * one
    c["head_pitch"] = rng.uniform(0.05, 0.2) * one
    c["ear_back"] = rng.uniform(0.2, 0.5) * one
    c["fore_dx"] = -2.5 * one
    c["hind_dx"] = 3.0 * one
    c["tail_sway"] = 0.0 * one
    c["tail_lift"] = -0.05 * one


def _stretch_controls(
    c: dict[str, np.ndarray], b: str, t: np.ndarray, rng: np.random.Generator, ph: np.ndarray,
    om: np.ndarray, fps: float,
) -> None:
    """Stretched attend: body low and long, forepaws reaching forward."""
    n = len(t)
    one = np.ones(n)
    c["lower"] = rng.uniform(3.0, 5.0) * one
    c["flex"] = -rng.uniform(0.0, 0.15) * one
    c["neck_pitch"] = -rng.uniform(0.0, 0.15) * one
    c["head_pitch"] = rng.uniform(0.0, 0.15) * one
    c["fore_dx"] = rng.uniform(4.0, 8.0) * one
    c["hind_dx"] = -rng.uniform(4.0, 7.0) * one
    c["step"] = 0.5 * one
    c["lift"] = 2.0 * one
    c["ear_back"] = rng.uniform(0.3, 0.55) * one
    c["head_yaw"] = _smooth_noise(rng, n, fps, 0.6, 0.1)
    c["tail_sway"] = 0.04 * one


def _sniff_controls(
    c: dict[str, np.ndarray], b: str, t: np.ndarray, rng: np.random.Generator, ph: np.ndarray,
    om: np.ndarray, fps: float,
) -> None:
    """Sniffing: fast head scanning in yaw and pitch, slow shuffling steps."""
    one = np.ones(len(t))
    f_yaw, a_yaw = rng.uniform(1.5, 4.0), rng.uniform(0.2, 0.5)
    f_pitch = rng.uniform(2.0, 5.0)
    c["head_yaw"] = a_yaw * np.sin(2 * np.pi * f_yaw * t + ph[0])
    c["neck_pitch"] = -rng.uniform(0.0, 0.25) + 0.12 * np.sin(2 * np.pi * f_pitch * t + ph[1])
    c["head_pitch"] = 0.05 * np.sin(2 * np.pi * rng.uniform(6, 10) * t + ph[2])
    c["step"] = 0.3 * one
    c["lift"] = 2.0 * one
    c["bend"] = 0.3 * c["head_yaw"]


#: Control builder of each behaviour in :data:`BEHAVIOURS`.
_CONTROL_BUILDERS = {
    "walk": _locomotion_controls,
    "trot": _locomotion_controls,
    "turn": _locomotion_controls,
    "rear": _rear_controls,
    "rear_wall": _rear_controls,
    "groom": _groom_controls,
    "crouch": _crouch_controls,
    "stretch": _stretch_controls,
    "sniff": _sniff_controls,
}


def _behaviour_controls(
    b: str, t: np.ndarray, rng: np.random.Generator, traj: dict[str, Any], fps: float
) -> dict[str, np.ndarray]:
    """Controls of behaviour ``b`` for every frame (its random parameters drawn once)."""
    n = len(t)
    z = np.zeros(n)
    one = np.ones(n)
    c: dict[str, np.ndarray] = {k: z.copy() for k in _CONTROLS}
    c["duty"] = 0.62 * one
    c["tail_sway"] = 0.08 * one
    c["tail_lift"] = 0.05 * one
    ph = rng.uniform(0, 2 * np.pi, 4)
    build = _CONTROL_BUILDERS.get(b)
    if build is not None:
        build(c, b, t, rng, ph, traj["omega"], fps)
    return c


def _blend_weights(labels: np.ndarray, fps: float) -> np.ndarray:
    """Smoothed one-hot behaviour weights ``(T, n_behaviours)`` (rows sum to 1)."""
    w = np.zeros((len(labels), len(BEHAVIOURS)))
    w[np.arange(len(labels)), labels] = 1.0
    width = max(1, int(round(_BLEND_S * fps / 2)))
    if width > 1:
        w = uniform_filter1d(w, width, axis=0, mode="nearest")
        w = uniform_filter1d(w, width, axis=0, mode="nearest")
    return w / w.sum(axis=1, keepdims=True)


def _solve_bone(
    rig: MouseRig, j: int, parent_rot: np.ndarray, direction: np.ndarray, euler: np.ndarray
) -> np.ndarray:
    """Set bone ``j``'s Euler angles so it points along ``direction``; return its world rot."""
    rest = rig.bone_rest_tails[j] - rig.bone_rest_heads[j]
    rest = np.broadcast_to(rest / np.linalg.norm(rest), direction.shape)
    local_d = np.einsum("nji,nj->ni", parent_rot, direction)
    e = matrix_to_euler(rotation_between(rest, local_d))
    lim = rig.joint_limits[j]
    e = np.clip(e, lim[:, 0], lim[:, 1])
    euler[:, j] = e
    return parent_rot @ euler_to_matrix(e)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def _probe_vertices(rig: MouseRig, limbs: bool = True) -> np.ndarray:
    """Skin vertices checked against the floor (a sparse cover of body, tail and limbs)."""
    ids = []
    for name, (a, b) in rig.parts.items():
        if not limbs and name in LIMBS:
            continue
        step = {"body": 3, "tail": 4}.get(name, 3)
        ids.append(np.arange(a, b, step))
    return np.concatenate(ids)


def _gait_targets(
    rig: MouseRig,
    ctl: dict[str, np.ndarray],
    traj: dict[str, Any],
    fps: float,
    limb: str,
    neutral_body: np.ndarray,
    paw_r: float,
) -> tuple[np.ndarray, np.ndarray]:
    """World paw targets from stepping (stance = planted) and the per-frame stance flag."""
    n = len(ctl["step"])
    heading = traj["heading"]
    speed = np.abs(traj["speed"])
    freq = np.clip(2.5 + 0.022 * speed + 0.8 * np.abs(traj["omega"]), 2.5, 10.0)
    phase0 = np.cumsum(freq) / fps
    off = (1 - ctl["trot"]) * _WALK_OFFSET[limb] + ctl["trot"] * _TROT_OFFSET[limb]
    phase = np.maximum.accumulate(phase0 + off)
    duty = ctl["duty"]
    k = np.floor(phase)
    u = phase - k
    frames = np.arange(n, dtype=np.float64)
    c, s = np.cos(heading), np.sin(heading)
    nx = traj["root_x"] + c * neutral_body[:, 0] - s * neutral_body[:, 1]
    ny = traj["root_y"] + s * neutral_body[:, 0] + c * neutral_body[:, 1]

    def placed(cycle: np.ndarray) -> np.ndarray:
        tm = np.interp(cycle + duty / 2, phase, frames)
        return np.stack([np.interp(tm, frames, nx), np.interp(tm, frames, ny)], -1)

    p0 = placed(k)
    p1 = placed(k + 1)
    stance = u < duty
    sw = np.clip((u - duty) / np.maximum(1 - duty, 1e-3), 0.0, 1.0)
    sm = sw * sw * (3 - 2 * sw)
    xy = np.where(stance[:, None], p0, p0 + (p1 - p0) * sm[:, None])
    lift = np.where(stance, 0.0, ctl["lift"] * ctl["step"] * np.sin(np.pi * sw))
    target = np.concatenate([xy, (paw_r + 0.5 + lift)[:, None]], -1)
    return target, stance


def _pose_from_controls(
    rig: MouseRig,
    ctl: dict[str, np.ndarray],
    traj: dict[str, Any],
    t: np.ndarray,
    fps: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Pose vectors ``(T, P)`` from blended controls and the trajectory, limbs at rest."""
    n = len(t)
    bi = {name: i for i, name in enumerate(rig.bone_names)}
    pose = rig.zero_pose(n)
    root, heading, e = rig.split_pose(pose)
    root[:, 0] = traj["root_x"]
    root[:, 1] = traj["root_y"]
    root[:, 2] = -(ctl["hip_drop"] + ctl["lower"]) + _smooth_noise(rng, n, fps, 0.5, 0.2)
    heading[:] = traj["heading"]

    breath = 0.025 * np.sin(2 * np.pi * rng.uniform(2.5, 4.0) * t + rng.uniform(0, 6.3))
    # rearing pitch: mostly the pelvis, the rest extension of the lumbar spine
    e[:, bi["sacrum"], 1] = -0.7 * ctl["pitch"] + _smooth_noise(rng, n, fps, 0.5, 0.02)
    e[:, bi["sacrum"], 0] = _smooth_noise(rng, n, fps, 0.6, 0.02)
    trunk = ("lumbar2", "lumbar1", "thoracic3", "thoracic2", "thoracic1")
    flex = ctl["flex"] + breath
    for name in trunk:
        e[:, bi[name], 1] = flex / len(trunk) + _smooth_noise(rng, n, fps, 0.5, 0.01)
        if name.startswith("lumbar"):
            e[:, bi[name], 1] -= 0.15 * ctl["pitch"]
        e[:, bi[name], 2] = ctl["bend"] / len(trunk)
        e[:, bi[name], 0] = _smooth_noise(rng, n, fps, 0.6, 0.01)
    yaw = ctl["head_yaw"] + _smooth_noise(rng, n, fps, 0.3, 0.04)
    e[:, bi["neck"], 1] = ctl["neck_pitch"]
    e[:, bi["neck"], 2] = 0.55 * yaw
    e[:, bi["skull"], 1] = ctl["head_pitch"] + _smooth_noise(rng, n, fps, 0.2, 0.03)
    e[:, bi["skull"], 2] = 0.45 * yaw
    e[:, bi["skull"], 0] = ctl["head_roll"] + _smooth_noise(rng, n, fps, 0.4, 0.03)
    for side, sgn in (("left", 1.0), ("right", -1.0)):
        j = bi[f"{side}_ear"]
        e[:, j, 1] = -ctl["ear_back"] + _smooth_noise(rng, n, fps, 0.3, 0.06)
        e[:, j, 2] = sgn * _smooth_noise(rng, n, fps, 0.3, 0.06)
    f_tail = rng.uniform(0.5, 1.5)
    ph_tail = rng.uniform(0, 2 * np.pi)
    tail_noise = _smooth_noise(rng, n, fps, 0.8, 0.05)
    for k in range(10):
        j = bi[f"tail{k + 1:02d}"]
        e[:, j, 2] = (
            ctl["tail_sway"] * np.sin(2 * np.pi * f_tail * t + ph_tail - 0.5 * k)
            - 0.12 * ctl["bend"]
            + tail_noise
        )
        if k < 3:
            e[:, j, 1] = -ctl["tail_lift"] / 3
    rig_lim = rig.joint_limits
    np.clip(e, rig_lim[None, :, :, 0], rig_lim[None, :, :, 1], out=e)
    return pose


def _swing_scapulae(
    bi: dict[str, int], e: np.ndarray, ctl: dict[str, np.ndarray], traj: dict[str, Any],
    fps: float,
) -> None:
    """Gait scapula swing, set before limb IK (uses the mean stride phase)."""
    stride_phase = np.cumsum(np.clip(2.5 + 0.022 * np.abs(traj["speed"]), 2.5, 10.0)) / fps
    for side, sgn in (("left", 1.0), ("right", -1.0)):
        j = bi[f"{side}_scapula"]
        e[:, j, 1] = 0.2 * ctl["scap"] * np.sin(2 * np.pi * stride_phase + (sgn < 0) * np.pi)


def _forelimb_target(
    rig: MouseRig, ctl: dict[str, np.ndarray], traj: dict[str, Any], t: np.ndarray,
    sgn: float, heading: np.ndarray, gait: np.ndarray, rot_full: np.ndarray,
    pos_full: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Forepaw target, paw direction and elbow pole: gait, face stroke, wall or tuck blended."""
    n = len(t)
    bi = {name: i for i, name in enumerate(rig.bone_names)}
    fwd_h = np.stack([np.cos(heading), np.sin(heading), np.zeros(n)], -1)
    up = np.broadcast_to(np.array([0.0, 0.0, 1.0]), (n, 3))
    skull = bi["skull"]
    nose_rest = rig.bone_rest_tails[skull] - rig.bone_rest_heads[skull]
    scapula = bi[LIMBS["left_fore" if sgn > 0 else "right_fore"][0]]
    parent = bi["thoracic1"]
    w_face, w_wall, w_tuck = ctl["face"], ctl["wall"], ctl["tuck"]
    w_g = np.clip(1 - w_face - w_wall - w_tuck, 0.0, 1.0)
    r_sk, p_sk = rot_full[:, skull], pos_full[:, skull]
    stroke = 0.5 + 0.5 * np.sin(2 * np.pi * 4.5 * t + (0.0 if sgn > 0 else 0.6))
    face_local = np.stack(
        [nose_rest[0] - 7.0 - 5.0 * stroke, np.full(n, sgn * 4.0), np.full(n, -4.0)], -1
    )
    face = p_sk + np.einsum("nij,nj->ni", r_sk, face_local)
    r_t = rot_full[:, parent]
    sh = pos_full[:, parent] + np.einsum(
        "nij,j->ni", r_t, rig.bone_rest_tails[scapula] - rig.bone_rest_heads[parent]
    )
    tuck = sh + np.einsum("nij,j->ni", r_t, np.array([8.0, -sgn * 2.0, -9.0]))
    wall_pt = np.stack(
        [traj["cx"], traj["cy"], np.zeros(n)], -1
    ) + fwd_h * (traj["wall_d"] - 2.0)[:, None]
    wall_pt = wall_pt + np.stack([-np.sin(heading), np.cos(heading), np.zeros(n)], -1) * (
        sgn * 6.0
    )
    wall_pt[:, 2] = sh[:, 2] + 6.0
    target = (
        w_g[:, None] * gait + w_face[:, None] * face + w_wall[:, None] * wall_pt
        + w_tuck[:, None] * tuck
    )
    tuck_dir = np.einsum("nij,j->ni", r_t, np.array([0.4, 0.0, -1.0]))
    paw_dir = _unit(
        w_g[:, None] * fwd_h + (w_face + w_wall)[:, None] * up
        + w_tuck[:, None] * _unit(tuck_dir)
    )
    pole = _unit(-r_t[:, :, 0] + 0.7 * r_t[:, :, 2])  # elbow back and up
    return target, paw_dir, pole


def _solve_limb_chain(
    rig: MouseRig, pose: np.ndarray, limb: str, target: np.ndarray, paw_dir: np.ndarray,
    pole: np.ndarray, offset_len: float, rot_full: np.ndarray, pos_full: np.ndarray,
) -> None:
    """Set one limb's angles in ``pose`` so its paw reaches ``target`` (two-link IK)."""
    bi = {name: i for i, name in enumerate(rig.bone_names)}
    _, _, e = rig.split_pose(pose)
    fore = limb.endswith("_fore")
    bones = [bi[b] for b in LIMBS[limb]]
    a, b_len = rig.info["limbs"][limb]["lengths"][:2]
    parent = bi["thoracic1"] if fore else bi["sacrum"]
    up = np.broadcast_to(np.array([0.0, 0.0, 1.0]), (len(target), 3))
    # chain root
    r_par = rot_full[:, parent]
    if fore:
        js = bones[0]
        r_s = _solve_bone_fixed(rig, js, r_par, pose)
        rot_full[:, js] = r_s
        pos_full[:, js] = pos_full[:, parent] + np.einsum(
            "nij,j->ni", r_par, rig.bone_rest_heads[js] - rig.bone_rest_heads[parent]
        )
        chain = bones[1:]
        r_par = r_s
        p_par_head = pos_full[:, js]
        par = js
    else:
        chain = bones
        par = parent
        p_par_head = pos_full[:, parent]
    j1, j2, j3 = chain[0], chain[1], chain[2]
    start = p_par_head + np.einsum(
        "nij,j->ni", r_par, rig.bone_rest_heads[j1] - rig.bone_rest_heads[par]
    )
    wrist = target - paw_dir * offset_len
    mid = two_link_ik(start, wrist, a, b_len, pole)
    # keep elbow / knee off the floor: bend the joint upwards where it would touch it
    knee_min = 4.0 * rig.shape.scale
    low = mid[:, 2] < knee_min
    if np.any(low):
        mid_up = two_link_ik(start[low], wrist[low], a, b_len, _unit(pole[low] + 2.0 * up[low]))
        mid[low] = mid_up
    r1 = _solve_bone(rig, j1, r_par, mid - start, e)
    v1 = rig.bone_rest_tails[j1] - rig.bone_rest_heads[j1]
    p2 = start + np.einsum("nij,j->ni", r1, v1)
    r2 = _solve_bone(rig, j2, r1, wrist - p2, e)
    r3 = _solve_bone(rig, j3, r2, paw_dir, e)
    rot_full[:, j1], rot_full[:, j2], rot_full[:, j3] = r1, r2, r3
    if not fore:  # toes follow the metatarsus (flat foot)
        e[:, chain[3]] = 0.0


def _solve_limbs(
    rig: MouseRig,
    pose: np.ndarray,
    ctl: dict[str, np.ndarray],
    traj: dict[str, Any],
    t: np.ndarray,
    fps: float,
) -> np.ndarray:
    """Set scapula and limb angles in place: paws reach their targets by two-link IK."""
    n = len(t)
    bi = {name: i for i, name in enumerate(rig.bone_names)}
    _, heading, e = rig.split_pose(pose)
    _swing_scapulae(bi, e, ctl, traj, fps)
    first_limb = min(bi[LIMBS[limb][0]] for limb in _LIMB_ORDER)
    rot, pos = rig.forward_kinematics(pose, first_limb)
    rot_full = np.zeros((n, rig.n_bones, 3, 3))
    pos_full = np.zeros((n, rig.n_bones, 3))
    rot_full[:, :first_limb], pos_full[:, :first_limb] = rot, pos

    fwd_h = np.stack([np.cos(heading), np.sin(heading), np.zeros(n)], -1)
    up = np.broadcast_to(np.array([0.0, 0.0, 1.0]), (n, 3))
    lm_rest = rig.landmarks(rig.zero_pose(1))[0]
    from dlc_lifter.mouse.catalogue import catalogue_index

    for limb in _LIMB_ORDER:
        side, part = limb.split("_")
        sgn = 1.0 if side == "left" else -1.0
        bones = [bi[b] for b in LIMBS[limb]]
        paw_r = rig.info["limbs"][limb]["paw_radius"]
        fore = part == "fore"
        paw_name = f"{side}_{'forepaw' if fore else 'hindpaw'}"
        paw_rest = lm_rest[catalogue_index([paw_name])[0]]
        j_paw = bones[3] if fore else bones[2]
        offset_len = float(np.linalg.norm(paw_rest - rig.bone_rest_heads[j_paw]))
        neutral = np.zeros((n, 2))
        neutral[:, 0] = paw_rest[0] + (ctl["fore_dx"] if fore else ctl["hind_dx"])
        neutral[:, 1] = paw_rest[1]
        gait, _ = _gait_targets(rig, ctl, traj, fps, limb, neutral, paw_r)
        if fore:
            target, paw_dir, pole = _forelimb_target(
                rig, ctl, traj, t, sgn, heading, gait, rot_full, pos_full
            )
        else:
            target, paw_dir, pole = gait, fwd_h.copy(), _unit(fwd_h + 0.8 * up)
        _solve_limb_chain(rig, pose, limb, target, paw_dir, pole, offset_len, rot_full, pos_full)
    return pose


def _solve_bone_fixed(rig: MouseRig, j: int, r_par: np.ndarray, pose: np.ndarray) -> np.ndarray:
    """World rotation of bone ``j`` from the Euler angles already in ``pose``."""
    _, _, e = rig.split_pose(pose)
    return r_par @ euler_to_matrix(e[:, j])


def _raise_point(
    rot_parent: np.ndarray,
    head_w: np.ndarray,
    e_j: np.ndarray,
    v_local: np.ndarray,
    min_z: float,
    limits: np.ndarray,
) -> np.ndarray:
    """New pitch ``ry`` of a bone so that a point it carries is at least ``min_z`` high.

    The point is ``head_w + W_parent @ Rz(rz) @ Ry(ry) @ Rx(rx) @ v_local``; its height is
    ``A cos(ry) + B sin(ry) + C``, solved for the root nearest the current ``ry``.  Frames
    already above ``min_z`` keep their angle.
    """
    a, b, c = e_j[:, 0], e_j[:, 1], e_j[:, 2]
    q = np.einsum("nij,nj->ni", euler_to_matrix(np.stack([a, 0 * a, 0 * a], -1)), v_local)
    m = np.einsum("nj,njk->nk", rot_parent[:, 2, :], rot_z(c))  # z row of W_parent Rz
    big_a = m[:, 0] * q[:, 0] + m[:, 2] * q[:, 2]
    big_b = m[:, 0] * q[:, 2] - m[:, 2] * q[:, 0]
    big_c = m[:, 1] * q[:, 1]
    z_now = head_w[:, 2] + big_a * np.cos(b) + big_b * np.sin(b) + big_c
    low = z_now < min_z
    if not np.any(low):
        return b
    r = np.hypot(big_a, big_b)
    base = np.arctan2(big_b, big_a)
    d = (min_z - head_w[:, 2] - big_c) / np.maximum(r, 1e-9)
    half = np.arccos(np.clip(d, -1.0, 1.0))
    cands = np.stack([base + half, base - half], -1)
    diff = np.abs((cands - b[:, None] + np.pi) % (2 * np.pi) - np.pi)
    best = np.take_along_axis(cands, np.argmin(diff, 1)[:, None], 1)[:, 0]
    best = b + ((best - b + np.pi) % (2 * np.pi) - np.pi)
    best = np.clip(best, limits[1, 0], limits[1, 1])
    return np.where(low, best, b)


def _fix_head_tail(rig: MouseRig, pose: np.ndarray) -> np.ndarray:
    """Raise neck and tail pitches (in place) so the head and the tail stay above the floor."""
    bi = {name: i for i, name in enumerate(rig.bone_names)}
    r_base, r_tip = rig.info["tail_radius"]
    _, _, e = rig.split_pose(pose)
    h, tl = rig.bone_rest_heads, rig.bone_rest_tails
    lim = rig.joint_limits
    n = len(pose)
    # head: raise the neck pitch so the nose and the underside of the jaw stay up
    neck, skull = bi["neck"], bi["skull"]
    rot, pos = rig.forward_kinematics(pose, neck + 1)
    r_sk = euler_to_matrix(e[:, skull])
    sk_vec = tl[skull] - h[skull]
    jaw = h[skull] + 0.55 * sk_vec + np.array([0.0, 0.0, -4.0])
    for point, z_min in ((tl[skull], 2.5), (jaw, 1.0)):
        v_local = (h[skull] - h[neck]) + np.einsum("nij,j->ni", r_sk, point - h[skull])
        e[:, neck, 1] = _raise_point(rot[:, rig.bone_parents[neck]], pos[:, neck], e[:, neck],
                                     v_local, z_min, lim[neck])
    # tail: base to tip, each bone lifts its own tip above the floor
    rot, pos = rig.forward_kinematics(pose, bi["tail01"])
    r_par, p_head = rot[:, 0], pos[:, 0] + np.einsum("nij,j->ni", rot[:, 0], h[bi["tail01"]] - h[0])
    for k in range(10):
        j = bi[f"tail{k + 1:02d}"]
        radius = r_base + (r_tip - r_base) * (k + 1) / 10
        vec = np.broadcast_to(tl[j] - h[j], (n, 3))
        e[:, j, 1] = _raise_point(r_par, p_head, e[:, j], vec, radius + 0.3, lim[j])
        r_par = r_par @ euler_to_matrix(e[:, j])
        p_head = p_head + np.einsum("nij,j->ni", r_par, tl[j] - h[j])
    return pose


@numba.njit(cache=True)
def _min_z_kernel(rot, pos, heads, pts, idx, w):  # pragma: no cover - compiled
    n, nv, nk = rot.shape[0], pts.shape[0], idx.shape[1]
    out = np.full(n, np.inf)
    for i in range(n):
        m = np.inf
        for v in range(nv):
            z = 0.0
            for k in range(nk):
                b = idx[v, k]
                wk = w[v, k]
                if wk == 0.0:
                    continue
                d0 = pts[v, 0] - heads[b, 0]
                d1 = pts[v, 1] - heads[b, 1]
                d2 = pts[v, 2] - heads[b, 2]
                z += wk * (rot[i, b, 2, 0] * d0 + rot[i, b, 2, 1] * d1 + rot[i, b, 2, 2] * d2
                           + pos[i, b, 2])
            if z < m:
                m = z
        out[i] = m
    return out


def _floor_deficit(rig: MouseRig, pose: np.ndarray, fps: float, limbs: bool) -> np.ndarray:
    """Smoothed per-frame lift (mm) that keeps landmarks and skin probes above the floor."""
    probes = _probe_vertices(rig, limbs)
    pts = np.concatenate([rig.rest_vertices[probes], rig._lm_rest])
    idx = np.concatenate([rig.weight_indices[probes], rig._lm_idx])
    w = np.concatenate([rig.weight_values[probes], rig._lm_w])
    if not limbs:
        keep = np.ones(len(pts), dtype=bool)
        keep[len(probes):] = rig.landmark_bone < 0
        pts, idx, w = pts[keep], idx[keep], w[keep]
    rot, pos = rig.forward_kinematics(pose)
    min_z = _min_z_kernel(rot, pos, rig.bone_rest_heads, pts, idx, w)
    need = np.maximum(0.0, 0.25 - min_z)
    if np.any(need > 0):
        win = max(3, int(round(0.15 * fps)) | 1)
        need = maximum_filter1d(need, 2 * win + 1, mode="nearest")
        need = uniform_filter1d(need, win, mode="nearest")
    return need


# ----------------------------------------------------------------------------- public API
def generate_sequence(
    n_frames: int,
    *,
    rng: np.random.Generator,
    fps: float = 30.0,
    arena_mm: tuple[float, float] = (500.0, 500.0),
    shape: MouseShape | None = None,
    behaviours: Sequence[str] | None = None,
) -> MouseSequence:
    """Generate one behaviour sequence.

    Parameters
    ----------
    n_frames
        Number of frames ``T``.
    rng
        Random generator; the same generator state gives identical arrays.
    fps
        Frames per second.
    arena_mm
        ``(width_x, width_y)`` of the rectangular arena in mm (walls on its border,
        origin at a corner).
    shape
        Individual; default one drawn with :func:`~dlc_lifter.mouse.anatomy.sample_shape`.
    behaviours
        Behaviours to draw from (names in :data:`BEHAVIOURS`); default all.  ``rear_wall``
        segments are preceded by a walk to the wall when ``walk`` is allowed.

    Returns
    -------
    MouseSequence
    """
    if n_frames < 1:
        raise ValueError(f"n_frames must be >= 1, got {n_frames}")
    if fps <= 0:
        raise ValueError(f"fps must be > 0, got {fps}")
    allowed = tuple(behaviours) if behaviours is not None else BEHAVIOURS
    unknown = [b for b in allowed if b not in _B]
    if unknown or not allowed:
        raise ValueError(
            f"Unknown behaviours {unknown}; choose from {', '.join(BEHAVIOURS)}."
        )
    shape = shape if shape is not None else sample_shape(rng)
    rig = get_rig(shape)
    lm0 = rig.landmarks(rig.zero_pose(1))[0]
    from dlc_lifter.mouse.catalogue import catalogue_index

    nose_x = float(lm0[catalogue_index(["nose"])[0], 0])
    x_center = float(lm0[catalogue_index(["mouse_center"])[0], 0])
    traj = _schedule(
        n_frames, rng, fps, (float(arena_mm[0]), float(arena_mm[1])), allowed,
        nose_ahead=nose_x - x_center, x_center=x_center,
    )
    t = np.arange(n_frames) / fps
    weights = _blend_weights(traj["labels"], fps)
    ctl = {k: np.zeros(n_frames) for k in _CONTROLS}
    for bi_, b in enumerate(BEHAVIOURS):
        cb = _behaviour_controls(b, t, rng, traj, fps)
        w = weights[:, bi_]
        if not np.any(w > 0):
            continue
        for k in _CONTROLS:
            ctl[k] += w * cb[k]
    pose = _pose_from_controls(rig, ctl, traj, t, fps, rng)
    _solve_limbs(rig, pose, ctl, traj, t, fps)
    _fix_head_tail(rig, pose)
    # lift the body where the trunk would go through the floor, then re-solve the limbs so
    # planted paws stay planted; a last (rarely non-zero) lift covers the limbs themselves
    pose[:, 2] += _floor_deficit(rig, pose, fps, limbs=False)
    _solve_limbs(rig, pose, ctl, traj, t, fps)
    _fix_head_tail(rig, pose)
    lift = _floor_deficit(rig, pose, fps, limbs=True)
    pose[:, 2] += lift
    if np.any(lift > 0):  # bring lifted stance paws back down, then a last safety lift
        _solve_limbs(rig, pose, ctl, traj, t, fps)
        extra = _floor_deficit(rig, pose, fps, limbs=True)
        pose[:, 2] += extra
        lift = lift + extra
    log.debug("floor lift on %.1f%% of frames (max %.2f mm)", 100 * np.mean(lift > 0),
              float(lift.max(initial=0.0)))
    landmarks = rig.landmarks(pose)
    return MouseSequence(
        landmarks=landmarks,
        behaviour=traj["labels"].copy(),
        pose=pose,
        shape=shape,
        fps=float(fps),
        arena_mm=(float(arena_mm[0]), float(arena_mm[1])),
    )


def generate_sequences(
    n_sequences: int, n_frames: int, *, seed: int, fps: float = 30.0, **kw: Any
) -> list[MouseSequence]:
    """Generate several independent sequences (each its own individual unless ``shape``).

    Parameters
    ----------
    n_sequences, n_frames
        How many sequences, and frames per sequence.
    seed
        Seed; sequence ``i`` uses ``numpy.random.default_rng(SeedSequence(seed).spawn(..)[i])``.
    fps
        Frames per second.
    **kw
        Passed to :func:`generate_sequence` (``arena_mm``, ``shape``, ``behaviours``).
    """
    children = np.random.SeedSequence(seed).spawn(n_sequences)
    return [
        generate_sequence(n_frames, rng=np.random.default_rng(c), fps=fps, **kw)
        for c in children
    ]


def sample_poses(
    n: int,
    *,
    rng: np.random.Generator,
    fps: float = 30.0,
    arena_mm: tuple[float, float] = (500.0, 500.0),
    behaviours: Sequence[str] | None = None,
    frames_per_individual: int = 16,
    return_pose: bool = False,
) -> tuple[np.ndarray, np.ndarray, list[MouseShape]] | tuple[
    np.ndarray, np.ndarray, list[MouseShape], np.ndarray
]:
    """Independent single frames across the repertoire, for per-frame training.

    Short sequences (one random individual each) are generated and
    ``frames_per_individual`` frames are drawn from each at random.

    Parameters
    ----------
    n
        Number of frames.
    rng
        Random generator.
    fps, arena_mm, behaviours
        As in :func:`generate_sequence`.
    frames_per_individual
        Frames drawn from each generated individual / sequence.
    return_pose
        Also return the ``(n, P)`` pose vectors (their length depends only on the rig).

    Returns
    -------
    landmarks, behaviour, shapes[, pose]
        ``(n, len(CATALOGUE), 3)`` world mm, ``(n,)`` behaviour index, the individual of
        every frame (a list of length ``n``), and optionally the poses.
    """
    k = max(1, int(frames_per_individual))
    n_seq = -(-n // k)
    seq_len = max(int(4 * fps), 10 * k)
    lms, labels, shapes, poses = [], [], [], []
    for i in range(n_seq):
        seq = generate_sequence(seq_len, rng=rng, fps=fps, arena_mm=arena_mm,
                                behaviours=behaviours)
        m = min(k, n - i * k)
        idx = np.sort(rng.choice(seq_len, size=m, replace=False))
        lms.append(seq.landmarks[idx])
        labels.append(seq.behaviour[idx])
        poses.append(seq.pose[idx])
        shapes += [seq.shape] * m
    out_lm = np.concatenate(lms)
    out_b = np.concatenate(labels)
    if return_pose:
        return out_lm, out_b, shapes, np.concatenate(poses)
    return out_lm, out_b, shapes
