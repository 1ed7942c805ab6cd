"""Limb placement of a generated sequence: gait foot targets and two-link IK of the limbs.

Paws get world targets in mm (gait foot placement with planted stance feet; for the
forepaws also the face, wall or tucked targets blended by the posture controls); each limb
reaches its target by analytic two-link IK on the :class:`~dlc_lifter.mouse.rig.MouseRig`,
its angles clipped to the rig's joint limits.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlc_lifter.mouse.bones import LIMBS
from dlc_lifter.mouse.kinematics import (
    euler_to_matrix,
    lengthened,
    matrix_to_euler,
    rotation_between,
    two_link_ik,
)
from dlc_lifter.mouse.rig import MouseRig

__all__ = ["solve_limbs"]

_LIMB_ORDER = ("left_fore", "left_hind", "right_fore", "right_hind")


# gait phase offsets (fraction of a stride): lateral-sequence walk and diagonal trot
_WALK_OFFSET = {"left_hind": 0.0, "left_fore": 0.25, "right_hind": 0.5, "right_fore": 0.75}


_TROT_OFFSET = {"left_fore": 0.0, "right_hind": 0.0, "right_fore": 0.5, "left_hind": 0.5}


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
    pos_full: np.ndarray, length_scale: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Forepaw target, paw direction and elbow pole: gait, face stroke, wall or tuck blended.

    ``length_scale`` is the rig's ``(N, n_bones)`` :meth:`~MouseRig.bone_length_scale`.
    """
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
        "nij,nj->ni", r_t,
        lengthened(rig.bone_rest_tails[scapula] - rig.bone_rest_heads[parent],
                   length_scale[:, parent]),
    )
    tuck_rest = np.array([8.0, -sgn * 2.0, -9.0])
    low = np.stack([ctl["tuck_dx"], np.zeros(n), ctl["tuck_dz"]], -1)
    if low.any():  # the paws held low (LOW_PAWS of mouse.behaviour), frame by frame
        tuck = sh + np.einsum("nij,nj->ni", r_t, tuck_rest + low)
    else:  # the one rest target: without low paws, bit for bit the default generator's
        tuck = sh + np.einsum("nij,j->ni", r_t, tuck_rest)
    wall_pt = np.stack(
        [traj["cx"], traj["cy"], np.zeros(n)], -1
    ) + fwd_h * (traj["wall_d"] - 2.0)[:, None]
    wall_pt = wall_pt + np.stack([-np.sin(heading), np.cos(heading), np.zeros(n)], -1) * (
        sgn * 6.0
    )
    wall_pt[:, 2] = sh[:, 2] + 6.0 - ctl["wall_drop"]
    target = (
        w_g[:, None] * gait + w_face[:, None] * face + w_wall[:, None] * wall_pt
        + w_tuck[:, None] * tuck
    )
    tuck_dir = np.einsum("nij,j->ni", r_t, np.array([0.4, 0.0, -1.0]))
    paw_dir = _unit(
        w_g[:, None] * fwd_h + (w_face + w_wall)[:, None] * up
        + w_tuck[:, None] * _unit(tuck_dir)
    )
    pole = -r_t[:, :, 0] + 0.7 * r_t[:, :, 2]  # the elbow bends back and up
    if "elbow_out" in ctl:  # and out, by the sequence's own draw
        pole = pole + (sgn * ctl["elbow_out"])[:, None] * r_t[:, :, 1]
    pole = _unit(pole)
    return target, paw_dir, pole


def _solve_limb_chain(
    rig: MouseRig, pose: np.ndarray, limb: str, target: np.ndarray, paw_dir: np.ndarray,
    pole: np.ndarray, offset_len: float, rot_full: np.ndarray, pos_full: np.ndarray,
    length_scale: np.ndarray,
) -> None:
    """Set one limb's angles in ``pose`` so its paw reaches ``target`` (two-link IK).

    ``length_scale`` is the rig's ``(N, n_bones)`` :meth:`~MouseRig.bone_length_scale`.
    """
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
            "nij,nj->ni", r_par,
            lengthened(rig.bone_rest_heads[js] - rig.bone_rest_heads[parent],
                       length_scale[:, parent]),
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


def solve_limbs(
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
    length_scale = rig.bone_length_scale(pose)  # the trunk stretch; the limbs leave it as is
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
                rig, ctl, traj, t, sgn, heading, gait, rot_full, pos_full, length_scale,
            )
        else:
            target, paw_dir, pole = gait, fwd_h.copy(), _unit(fwd_h + 0.8 * up)
        _solve_limb_chain(rig, pose, limb, target, paw_dir, pole, offset_len, rot_full, pos_full,
                          length_scale)
    return pose


def _solve_bone_fixed(rig: MouseRig, j: int, r_par: np.ndarray, pose: np.ndarray) -> np.ndarray:
    """World rotation of bone ``j`` from the Euler angles already in ``pose``."""
    _, _, e = rig.split_pose(pose)
    return r_par @ euler_to_matrix(e[:, j])
