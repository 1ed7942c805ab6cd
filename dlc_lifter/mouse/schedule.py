"""Behaviour schedule and planar trajectory of a generated sequence (pass 1).

A scalar loop over frames: behaviour segments are drawn from a Markov chain (durations in
s, relative frequencies per behaviour); speed (mm/s) and turn rate (rad/s) of the centre
point follow each segment's targets through first-order lags; the mouse keeps off the walls
of the rectangular arena (walls at ``x = 0, x = width_x, y = 0, y = width_y``, mm); a
``rear_wall`` segment is preceded by an approach that walks the mouse up to the nearest wall
and turns it to face the wall.  :mod:`dlc_lifter.mouse.behaviour` turns the schedule into
poses.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["BEHAVIOURS", "draw_schedule"]

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


def draw_schedule(
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
