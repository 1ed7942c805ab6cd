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
   approach that walks the mouse up to the nearest wall and turns it to face the wall
   (:mod:`dlc_lifter.mouse.schedule`).
2. *Posture controls* (vectorised): every behaviour gives a vector of controls (body
   pitch, hip drop, spine flexion/bend, head angles, paw placement, gait duty factor...)
   for every frame; controls are blended with the smoothed one-hot behaviour weights.
   With ``nose_down_share``, some walks, turns and sniffs take the real mouse's nose-down
   exploring posture (:data:`NOSE_DOWN`); with ``head_up_share`` some sniffs raise the
   head (:data:`HEAD_UP`), with ``low_rear_share`` some rears are low and hunched
   (:data:`LOW_REAR`), with ``high_hips_share`` some rears stand with the hips raised
   (:data:`HIGH_HIPS`).
3. *Joint angles*: spine, head, ears and tail angles from the controls; paws get world
   targets (gait foot placement with planted stance feet, face, wall or tucked targets);
   limbs reach them by analytic two-link IK, clipped to the rig's joint limits
   (:mod:`dlc_lifter.mouse.limb_ik`).
4. *Floor*: tail bones are lifted off the floor by a few Newton steps; if any landmark or
   skin probe vertex is below the floor the whole body is lifted (smoothly).

The pose vectors reproduce every frame through :class:`~dlc_lifter.mouse.rig.MouseRig`:
``MouseRig(seq.shape).landmarks(seq.pose) == seq.landmarks``.

This module holds steps 2 to 4 and the public functions (about 700 lines on purpose:
the controls, the joint angles and the floor fix all work on the one pose array).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
from scipy.ndimage import gaussian_filter1d, maximum_filter1d, uniform_filter1d

from dlc_lifter.mouse.anatomy import MouseShape, sample_shape
from dlc_lifter.mouse.bones import LIMBS
from dlc_lifter.mouse.kinematics import euler_to_matrix, rot_z
from dlc_lifter.mouse.limb_ik import solve_limbs
from dlc_lifter.mouse.rig import MouseRig, get_rig
from dlc_lifter.mouse.schedule import BEHAVIOURS, draw_schedule

__all__ = [
    "BEHAVIOURS",
    "HEAD_UP",
    "HIGH_HIPS",
    "ELBOW_OUT_MAX",
    "LOW_REAR",
    "NOSE_DOWN",
    "TRUNK_STRETCH",
    "MouseSequence",
    "generate_sequence",
    "generate_sequences",
    "sample_poses",
]

log = logging.getLogger(__name__)

_BLEND_S = 0.3  # transition duration (s)


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


# ----------------------------------------------------------------------------- controls
_CONTROLS = (
    "pitch", "hip_drop", "lower", "flex", "bend", "neck_pitch", "head_pitch", "head_yaw",
    "head_roll", "fore_dx", "hind_dx", "step", "face", "wall", "tuck", "tail_lift",
    "tail_sway", "ear_back", "duty", "trot", "lift", "scap", "shorten", "tail_curl",
    "tuck_dx", "tuck_dz", "wall_drop",
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


#: Trunk stretch range of each behaviour (``s``: the trunk bones are ``1 + s`` times their
#: rest length; see :mod:`dlc_lifter.mouse.rig`).  Real mice are not rigid: nose to tail
#: base they are shorter when hunched and exploring nose-down, and longer when rearing,
#: than when walking (measured on real 3D labels in ``docs/results.md``, "Real mice: what
#: the synthetic mouse gets wrong, and what was tried"); the trunk carries that change.
TRUNK_STRETCH: dict[str, tuple[float, float]] = {
    "walk": (-0.10, 0.05),
    "trot": (0.0, 0.10),
    "turn": (-0.15, 0.0),
    "rear": (0.05, 0.35),
    "rear_wall": (0.05, 0.35),
    "groom": (-0.30, -0.10),
    "crouch": (-0.30, -0.05),
    "stretch": (0.05, 0.20),
    "sniff": (-0.25, 0.0),
}


def _trunk_controls(weights: np.ndarray, rng: np.random.Generator, n: int, fps: float
                    ) -> np.ndarray:
    """Per-frame trunk stretch: each behaviour's level (drawn once), blended, plus slow noise.

    ``rng`` is a stream of its own, so the rest of a sequence does not depend on it.
    """
    levels = np.array([rng.uniform(*TRUNK_STRETCH.get(b, (0.0, 0.0))) for b in BEHAVIOURS])
    return weights @ levels + _smooth_noise(rng, n, fps, 0.8, 0.02)


#: The nose-down exploring posture of real mice (the snout near the floor: the front of the
#: trunk raised, the shoulders higher, the head pitched steeply down, the snout nearer the
#: ears and the tail base than in the synthetic walk; measured in ``docs/results.md``,
#: "Real mice: the nose-down explorer's posture in the per-frame networks' training").
#: With ``nose_down_share`` of :func:`generate_sequence`, that share of a sequence's walk,
#: turn and sniff behaviours (each drawn once per sequence) raise these controls by amounts
#: drawn uniformly from the ranges: body pitch, spine flexion, neck pitch (< 0: up), head
#: pitch, and ``shorten``, subtracted from the trunk stretch.
NOSE_DOWN: dict[str, tuple[float, float]] = {
    "pitch": (0.1, 0.3),
    "flex": (0.1, 0.3),
    "neck_pitch": (-0.35, -0.05),
    "head_pitch": (0.6, 1.0),
    "shorten": (0.15, 0.35),
}
NOSE_DOWN_BEHAVIOURS = ("walk", "turn", "sniff")

#: The raised-head posture of real mice between flat and rearing (forepaws on or near the
#: floor, the mid-back at its flat height, the neck and ears raised, the snout below the
#: ears; the synthetic population reached those snout heights almost only while grooming,
#: forepaws at the face; measured in ``docs/results.md``, "Real mice: the raised head
#: between flat and rearing in the per-frame networks' training"). With ``head_up_share``
#: of :func:`generate_sequence`, that share of a sequence's sniff bouts raise these controls
#: by amounts drawn uniformly from the ranges, and step a third as much (the mouse stands).
#: The shipped per-frame networks use it on half the sniffs: on every sniff, real rears
#: read worse (``docs/results.md``, "Real mice: the raised head on half the sniffs in the
#: per-frame networks' training, shipped").
HEAD_UP: dict[str, tuple[float, float]] = {
    "pitch": (0.15, 0.45),
    "flex": (0.0, 0.2),
    "neck_pitch": (-0.6, -0.2),
    "head_pitch": (0.1, 0.5),
    "shorten": (0.0, 0.2),
}
HEAD_UP_BEHAVIOURS = ("sniff",)

#: The low, hunched rear of real mice (forepaws lifted, trunk short and curled, the head
#: forward and the snout below the ears; the synthetic free rears all pitch steeply, so
#: the synthetic population seldom holds the snout at that height). With
#: ``low_rear_share``, that share of a sequence's free rears take a body pitch drawn from
#: ``pitch`` (in place of the rear's own) and raise the other controls by amounts drawn
#: from their ranges. The shipped weights do not use it: it made the per-frame networks
#: read real rears lower (``docs/results.md``, "Real mice: the raised head between flat
#: and rearing in the per-frame networks' training").
LOW_REAR: dict[str, tuple[float, float]] = {
    "pitch": (0.7, 1.1),
    "flex": (0.15, 0.4),
    "neck_pitch": (0.0, 0.25),
    "shorten": (0.05, 0.2),
}
LOW_REAR_BEHAVIOURS = ("rear",)

#: The raised hips of real rears (in real tall rears the tail base stands higher and the
#: nose lies nearer the tail base than in the synthetic rear, the snout as high and as far
#: ahead seen from above). With ``high_hips_share``, that share of a sequence's rears raise
#: the pelvis (``hip_drop`` below 0 lifts it, mm) and shorten the trunk so that the snout
#: stays about as high and the hind paws on the floor. The shipped weights do not use it:
#: it read real mice worse over all frames for rears better on some (``docs/results.md``,
#: "Real mice: the rears' raised hips and the raised head, screened").
HIGH_HIPS: dict[str, tuple[float, float]] = {
    "hip_drop": (-8.0, -3.0),
    "shorten": (0.05, 0.12),
}
HIGH_HIPS_BEHAVIOURS = ("rear", "rear_wall")

#: The elbows held out from the body. Real mice keep their elbows about as far apart seen
#: from above whatever they do, where the generator's elbows, bent straight back and up,
#: come closer together flat and closer still in rears and while grooming. With
#: ``elbow_out`` of :func:`generate_sequence`, each sequence's elbows bend this much
#: outward too (the lateral weight of the elbow's pole against 1 back and 0.7 up, drawn from
#: 0 to ``elbow_out``). This is the largest ``elbow_out``: beyond it the elbows splay
#: sideways. The shipped weights do not use it: it read the real mice whose elbows are
#: labelled worse over all frames and their rears no better (``docs/results.md``, "Real
#: mice: which inputs read the real rears low; the elbows held out, screened").
ELBOW_OUT_MAX = 1.0

#: The forepaws of real rears held low against the chest. Real mice rear with the upper
#: arms hanging beside the chest, the elbows under the shoulders and the forepaws in front
#: of the chest below them, where the generator's rears hold the forepaws up and forward.
#: With ``low_paws_share``, that share of a sequence's rears move the tucked paws' target
#: by ``tuck_dx`` along the trunk (mm, below 0: towards the tail, down in a rear) and
#: ``tuck_dz`` (mm, above 0: towards the back, nearer the chest), and the paws on the wall
#: ``wall_drop`` mm lower. The shipped weights do not use it: real flat mice, elbows behind
#: the shoulders, were read as the new rears, worse over all frames and on rears
#: (``docs/results.md``, "Real mice: where real labellers put the forelimb joints;
#: forepaws held low in rears and shoulder labels moved forward, screened and dropped").
LOW_PAWS: dict[str, tuple[float, float]] = {
    "tuck_dx": (-16.0, -6.0),
    "tuck_dz": (0.0, 5.0),
    "wall_drop": (6.0, 16.0),
}
LOW_PAWS_BEHAVIOURS = ("rear", "rear_wall")

#: Each posture: its ranges, the behaviours it applies to, controls it sets (the rest are
#: added to), and the factor on the behaviour's stepping.
_POSTURES: dict[str, tuple[dict[str, tuple[float, float]], tuple[str, ...], tuple[str, ...],
                           float]] = {
    "nose_down": (NOSE_DOWN, NOSE_DOWN_BEHAVIOURS, (), 1.0),
    "head_up": (HEAD_UP, HEAD_UP_BEHAVIOURS, (), 0.3),
    "low_rear": (LOW_REAR, LOW_REAR_BEHAVIOURS, ("pitch",), 1.0),
    "high_hips": (HIGH_HIPS, HIGH_HIPS_BEHAVIOURS, (), 1.0),
    "low_paws": (LOW_PAWS, LOW_PAWS_BEHAVIOURS, (), 1.0),
}


#: Per-bone sideways bend (rad, either side) of a curled tail: the tail's middle then
#: points about 0.2-1.3 rad off the body's axis, as real tails lie whatever the animal
#: does; the generator's tails otherwise only bend while walking or turning, and lie
#: straight behind still mice (``docs/results.md``, "Real mice: real tails curl whatever
#: the mouse does").
TAIL_CURL_RAD = (0.05, 0.4)
#: Rears curl their tails this much less often (the share of :func:`generate_sequence`'s
#: ``tail_curl_share`` they take): real rearing mice's tails lie straighter behind them,
#: curled about half as often as the rest's (same section).
TAIL_CURL_REAR_FACTOR = 0.5
TAIL_CURL_REARS = ("rear", "rear_wall")


def _tail_curl(c: dict[str, np.ndarray], rng: np.random.Generator, share: float) -> None:
    """With probability ``share``, a sideways tail curl of :data:`TAIL_CURL_RAD` per bone
    on controls ``c`` (in place), whatever the behaviour."""
    if rng.uniform() < share:
        c["tail_curl"] = np.full_like(c["tail_curl"], rng.choice((-1.0, 1.0))
                                      * rng.uniform(*TAIL_CURL_RAD))


def _posture(c: dict[str, np.ndarray], rng: np.random.Generator, name: str, share: float
             ) -> None:
    """With probability ``share``, posture ``name`` of :data:`_POSTURES` on controls ``c``
    (in place)."""
    ranges, _, sets, step = _POSTURES[name]
    if rng.uniform() < share:
        for key, (lo, hi) in ranges.items():
            v = rng.uniform(lo, hi)
            c[key] = np.full_like(c[key], v) if key in sets else c[key] + v
        if step != 1.0:
            c["step"] = c["step"] * step


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
    b: str, t: np.ndarray, rng: np.random.Generator, traj: dict[str, Any], fps: float,
    shares: dict[str, float] | None = None,
) -> dict[str, np.ndarray]:
    """Controls of behaviour ``b`` for every frame (its random parameters drawn once; each
    posture of :data:`_POSTURES` with its probability in ``shares``, in that order, then
    the tail curl with ``shares["tail_curl"]``; no draw for a share of 0)."""
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
    for name, (_, behaviours, _, _) in _POSTURES.items():
        share = (shares or {}).get(name, 0.0)
        if share > 0 and b in behaviours:
            _posture(c, rng, name, share)
    tail_curl_share = (shares or {}).get("tail_curl", 0.0)
    if tail_curl_share > 0:
        rears = TAIL_CURL_REAR_FACTOR if b in TAIL_CURL_REARS else 1.0
        _tail_curl(c, rng, tail_curl_share * rears)
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


def _probe_vertices(rig: MouseRig, limbs: bool = True) -> np.ndarray:
    """Skin vertices checked against the floor (a sparse cover of body, tail and limbs)."""
    ids = []
    for name, (a, b) in rig.parts.items():
        if not limbs and name in LIMBS:
            continue
        step = {"body": 3, "tail": 4}.get(name, 3)
        ids.append(np.arange(a, b, step))
    return np.concatenate(ids)


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
            + ctl["tail_curl"]
            + tail_noise
        )
        if k < 3:
            e[:, j, 1] = -ctl["tail_lift"] / 3
    rig_lim = rig.joint_limits
    np.clip(e, rig_lim[None, :, :, 0], rig_lim[None, :, :, 1], out=e)
    return pose


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
    nose_down_share: float = 0.0,
    head_up_share: float = 0.0,
    low_rear_share: float = 0.0,
    tail_curl_share: float = 0.0,
    high_hips_share: float = 0.0,
    elbow_out: float = 0.0,
    low_paws_share: float = 0.0,
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
    nose_down_share
        Probability that each of the sequence's walk, turn and sniff behaviours takes the
        real mouse's nose-down exploring posture (:data:`NOSE_DOWN`: front raised, head
        steep, trunk short); 0 (the default) draws nothing, so sequences are as without it.
    head_up_share
        Probability that each of the sequence's sniff behaviours takes the raised-head
        posture (:data:`HEAD_UP`: front and neck raised, forepaws near the floor); 0 (the
        default) draws nothing.
    low_rear_share
        Probability that each of the sequence's free rears is a low, hunched one
        (:data:`LOW_REAR`); 0 (the default) draws nothing.
    tail_curl_share
        Probability that each of the sequence's behaviours (any of them) has its tail
        curled sideways (:data:`TAIL_CURL_RAD` per tail bone), as real tails lie whatever
        the animal does; 0 (the default) draws nothing.
    high_hips_share
        Probability that each of the sequence's rears (free or at the wall) stands with the
        hips raised and the trunk shorter (:data:`HIGH_HIPS`), the snout about as high; 0
        (the default) draws nothing.
    elbow_out
        Largest outward swing of the elbows (:data:`ELBOW_OUT_MAX`): each sequence draws its
        own from 0 to this, as real mice hold their elbows out from the body; 0 (the
        default) draws nothing, so the elbows bend straight back and up.
    low_paws_share
        Probability that each of the sequence's rears (free or at the wall) holds its
        forepaws low against the chest (:data:`LOW_PAWS`), as real rears do; 0 (the
        default) draws nothing.

    Returns
    -------
    MouseSequence
    """
    if n_frames < 1:
        raise ValueError(f"n_frames must be >= 1, got {n_frames}")
    if fps <= 0:
        raise ValueError(f"fps must be > 0, got {fps}")
    shares = {"nose_down": nose_down_share, "head_up": head_up_share,
              "low_rear": low_rear_share, "tail_curl": tail_curl_share,
              "high_hips": high_hips_share, "low_paws": low_paws_share}
    for name, share in shares.items():
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"{name}_share must be in [0, 1], got {share}")
    if not 0.0 <= elbow_out <= ELBOW_OUT_MAX:
        raise ValueError(f"elbow_out must be in [0, {ELBOW_OUT_MAX}], got {elbow_out}")
    allowed = tuple(behaviours) if behaviours is not None else BEHAVIOURS
    unknown = [b for b in allowed if b not in BEHAVIOURS]
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
    traj = draw_schedule(
        n_frames, rng, fps, (float(arena_mm[0]), float(arena_mm[1])), allowed,
        nose_ahead=nose_x - x_center, x_center=x_center,
    )
    t = np.arange(n_frames) / fps
    weights = _blend_weights(traj["labels"], fps)
    ctl = {k: np.zeros(n_frames) for k in _CONTROLS}
    for bi_, b in enumerate(BEHAVIOURS):
        cb = _behaviour_controls(b, t, rng, traj, fps, shares)
        w = weights[:, bi_]
        if not np.any(w > 0):
            continue
        for k in _CONTROLS:
            ctl[k] += w * cb[k]
    pose = _pose_from_controls(rig, ctl, traj, t, fps, rng)
    pose[:, -1] = _trunk_controls(weights, rng.spawn(1)[0], n_frames, fps) - ctl["shorten"]
    if elbow_out > 0:  # drawn last: the rest of the sequence is as without it
        ctl["elbow_out"] = np.full(n_frames, rng.uniform(0.0, elbow_out))
    solve_limbs(rig, pose, ctl, traj, t, fps)
    _fix_head_tail(rig, pose)
    # lift the body where the trunk would go through the floor, then re-solve the limbs so
    # planted paws stay planted; a last (rarely non-zero) lift covers the limbs themselves
    pose[:, 2] += _floor_deficit(rig, pose, fps, limbs=False)
    solve_limbs(rig, pose, ctl, traj, t, fps)
    _fix_head_tail(rig, pose)
    lift = _floor_deficit(rig, pose, fps, limbs=True)
    pose[:, 2] += lift
    if np.any(lift > 0):  # bring lifted stance paws back down, then a last safety lift
        solve_limbs(rig, pose, ctl, traj, t, fps)
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
        Passed to :func:`generate_sequence` (``arena_mm``, ``shape``, ``behaviours``,
        ``nose_down_share``, ``head_up_share``, ``low_rear_share``, ``tail_curl_share``,
        ``high_hips_share``).
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
