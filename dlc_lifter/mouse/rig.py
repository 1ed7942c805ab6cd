"""Rigged synthetic mouse: skeleton, forward kinematics, skin mesh, skinning and landmarks.

Everything is built procedurally from the anatomical spec
(``dlc_lifter/data/mouse_spec.yaml``) and a :class:`~dlc_lifter.mouse.anatomy.MouseShape`.

The bone table is in :mod:`dlc_lifter.mouse.bones`, the rotation maths in
:mod:`dlc_lifter.mouse.kinematics` and the procedural build of the rest skeleton, skin mesh and
landmarks in :mod:`dlc_lifter.mouse.rest_geometry`; this module poses and skins them.

Frames and pose parameters
--------------------------
Body frame = world frame of the rest pose: x forward, y left, z up, floor ``z = 0``; its
origin is on the floor directly below the lumbosacral joint (head of the root bone
``sacrum``, the pivot of rearing).  Every bone's rest orientation is the identity (axes
parallel to the body frame); its rest matrix is the pure translation ``G_rest[j] = T(h_j)``
with ``h_j`` the bone head.

A pose is a float vector of length ``P = 5 + 3 * n_bones``::

    pose[0:3]     root translation (world position of the body-frame origin, mm)
    pose[3]       heading (yaw about world +z, rad; 0 = facing +x)
    pose[4:P-1]   per bone (rx, ry, rz) local Euler angles (rad), bone order = bone_names
    pose[P-1]     trunk stretch ``s``: the five trunk bones (lumbar2 .. thoracic1) are
                  ``1 + s`` times their rest length (0 = rest; < 0 hunched, > 0 stretched)

Poses of the older length ``4 + 3 * n_bones`` (no trunk stretch) are accepted everywhere and
read as ``s = 0``.

Local rotation of bone ``j``: ``R_j = Rz(rz) @ Ry(ry) @ Rx(rx)`` (rotation about the
parent-frame x first, then y, then z), about the bone head.  ``ry > 0`` pitches a bone that
points +x tip-down; ``rz > 0`` turns it to the left.  A trunk bone's children sit
``D = diag(1 + s, 1, 1)`` further along its rest x axis (the body's long axis); bones stay
rigid (so Blender reproduces the pose with plain bone matrices) and the skin between
them stretches through the blended weights.  Forward kinematics::

    W_root = Rz(heading) @ R_root,    p_root = root + Rz(heading) @ h_root
    W_j    = W_parent @ R_j,          p_j    = p_parent + W_parent @ D_parent @ (h_j - h_parent)
    G_j    = [[W_j, p_j], [0, 1]]     (world bone matrix, 4x4)

with ``D_parent`` the identity unless the parent is a trunk bone.  Skinning (pure linear
blend skinning, no dual quaternions, no volume preservation)::

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
from typing import Any

import numpy as np

from dlc_lifter.mouse.anatomy import MouseShape, load_spec
from dlc_lifter.mouse.bones import BONE_NAMES, BONE_PARENTS, LIMBS, TRUNK_BONES
from dlc_lifter.mouse.catalogue import CATALOGUE
from dlc_lifter.mouse.kinematics import euler_to_matrix, lengthened, matrix_to_euler, rot_z
from dlc_lifter.mouse.rest_geometry import RestGeometry, build_rest_geometry, skin_weights

__all__ = [
    "MouseRig",
    "euler_to_matrix",
    "matrix_to_euler",
    "get_rig",
    "BONE_NAMES",
    "LIMBS",
]

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=64)
def _cached_build(shape: MouseShape, spec_key: int) -> RestGeometry:
    del spec_key
    return build_rest_geometry(shape, load_spec())


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
        self.bone_parents: np.ndarray = np.asarray(BONE_PARENTS, dtype=np.int64)
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
        si, sw = skin_weights(b, b.lm_vertex[surf])
        lm_idx[surf], lm_w[surf] = si, sw
        lm_idx[~surf] = b.lm_bone[~surf, None]
        lm_w[~surf, 0] = 1.0
        self._lm_idx, self._lm_w = lm_idx, lm_w
        self._w_idx: np.ndarray | None = None
        self._w_val: np.ndarray | None = None
        self._trunk = np.array([n in TRUNK_BONES for n in BONE_NAMES])

    # ------------------------------------------------------------------ properties
    @property
    def n_bones(self) -> int:
        """Number of bones."""
        return len(self.bone_names)

    @property
    def pose_size(self) -> int:
        """Length ``P = 5 + 3 * n_bones`` of a pose vector (the last entry: trunk stretch)."""
        return 5 + 3 * self.n_bones

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
            self._w_idx, self._w_val = skin_weights(
                self._b, np.arange(len(self.rest_vertices))
            )

    # ------------------------------------------------------------------ poses
    def zero_pose(self, n: int = 1) -> np.ndarray:
        """``(n, P)`` rest poses (standing at the world origin, facing +x)."""
        return np.zeros((n, self.pose_size))

    def split_pose(self, pose: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Views ``(root (N,3), heading (N,), euler (N, n_bones, 3))`` of poses ``(N, P)``.

        Poses of the older length ``4 + 3 * n_bones`` are accepted (see :meth:`trunk_stretch`).
        """
        pose = np.asarray(pose, dtype=np.float64)
        n_euler = 3 * self.n_bones
        if pose.ndim != 2 or pose.shape[1] not in (4 + n_euler, 5 + n_euler):
            raise ValueError(
                f"pose must have shape (N, {self.pose_size}) = (N, 5 + 3 * n_bones) (or the "
                f"older (N, {4 + n_euler}) without trunk stretch); got {pose.shape}"
            )
        return pose[:, :3], pose[:, 3], pose[:, 4 : 4 + n_euler].reshape(len(pose), self.n_bones, 3)

    def trunk_stretch(self, pose: np.ndarray) -> np.ndarray:
        """``(N,)`` trunk stretch ``s`` of poses ``(N, P)`` (0 for the older pose length)."""
        pose = np.asarray(pose, dtype=np.float64)
        self.split_pose(pose)
        if pose.shape[1] == self.pose_size:
            return pose[:, -1]
        return np.zeros(len(pose))

    def bone_length_scale(self, pose: np.ndarray) -> np.ndarray:
        """``(N, n_bones)`` factor ``1 + s`` (trunk bones) or 1 on each bone's child offsets."""
        s = self.trunk_stretch(pose)
        return 1.0 + s[:, None] * self._trunk[None, :]

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
        d = self.bone_length_scale(pose)
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
                off = lengthened(h[j] - h[p], d[:, p])
                pos[:, j] = pos[:, p] + np.einsum("nij,nj->ni", rot[:, p], off)
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
        """Skinned positions of a vertex subset from :meth:`forward_kinematics` output."""
        ids = np.asarray(vertex_ids)
        return self._lbs(rot, pos, self.rest_vertices[ids], self.weight_indices[ids],
                         self.weight_values[ids])


def get_rig(shape: MouseShape | None = None) -> MouseRig:
    """Cached :class:`MouseRig` for a shape (weights computed once per shape)."""
    return _get_rig_cached(shape if shape is not None else MouseShape())


@functools.lru_cache(maxsize=32)
def _get_rig_cached(shape: MouseShape) -> MouseRig:
    return MouseRig(shape)
