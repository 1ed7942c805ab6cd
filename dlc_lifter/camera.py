"""Pinhole cameras in the arena's world frame: projection, rays, floor geometry.

A :class:`Camera` is OpenCV intrinsics (``K``, distortion ``k1 k2 p1 p2 k3``, image size)
plus its pose, ``X_cam = R @ X_world + t`` (mm). The world frame has ``z`` up and the
floor at ``z = 0`` (see ``docs/CONVENTIONS.md``). A top-view camera looks down, so its
optical axis is close to world ``-z``.

Cameras come from an anipose / aniposelib calibration TOML
(:func:`dlc_lifter.io.calibration.load_anipose`, where calibration files are read and
written), from a height and a focal length (:meth:`Camera.top_view`), or at random for
synthetic data (:func:`random_top_view`). Lifting uses :meth:`Camera.rays` and
:meth:`Camera.points_at_depth`: a network predicts where along each keypoint's ray the
point lies and 3D follows exactly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from dlc_lifter.errors import CalibrationError

__all__ = [
    "TOP_VIEW_HEIGHTS_MM",
    "Camera",
    "CalibrationError",
    "MIN_FLOOR_DISTANCE_MM",
    "floor_homography",
    "focal_from_floor_homography",
    "random_top_view",
    "rodrigues",
]

#: Heights (mm) of the random top-view cameras the networks are trained with.
TOP_VIEW_HEIGHTS_MM: tuple[float, float] = (250.0, 2000.0)


def rodrigues(rvec: Sequence[float] | np.ndarray) -> np.ndarray:
    """Rotation matrix of a Rodrigues (axis-angle) vector, as ``cv2.Rodrigues`` gives."""
    r = np.asarray(rvec, dtype=np.float64).reshape(3)
    theta = float(np.linalg.norm(r))
    if theta < 1e-12:
        return np.eye(3)
    k = r / theta
    kx = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    return np.eye(3) + math.sin(theta) * kx + (1.0 - math.cos(theta)) * (kx @ kx)


def _axis_rotation(axis: int, angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    m = np.eye(3)
    m[i, i], m[i, j], m[j, i], m[j, j] = c, -s, s, c
    return m


#: A calibration's camera centre nearer the floor plane than this (mm) is taken to be in it:
#: its world frame is the camera's own, not the floor's (:meth:`Camera.floor_problem`).
MIN_FLOOR_DISTANCE_MM = 1.0
#: A calibration's camera nearer the floor than this (mm) films no whole mouse (one rears
#: 80-100 mm high): its world is in other units than mm (cm), not the floor's in mm.
MIN_CAMERA_HEIGHT_MM = 100.0

#: World -> camera rotation of a camera looking straight down with image ``u`` along
#: world ``x`` and image ``v`` along world ``-y``.
TOP_DOWN = np.diag([1.0, -1.0, -1.0])


@dataclass(frozen=True)
class Camera:
    """A calibrated pinhole camera.

    Parameters
    ----------
    K
        ``3 x 3`` intrinsic matrix (pixels).
    R
        ``3 x 3`` world -> camera rotation.
    t
        Translation (mm): ``X_cam = R @ X_world + t``.
    image_size
        ``(width, height)`` in pixels.
    dist
        OpenCV distortion ``(k1, k2, p1, p2, k3)``; zeros for none. With ``fisheye``, the
        fisheye model's ``(k1, k2, k3, k4)`` (stored padded with a zero).
    name
        Camera name (the calibration file's ``name``).
    fisheye
        OpenCV's fisheye (equidistant) lens model, ``cv2.fisheye``, as aniposelib writes
        with ``fisheye = true``: a ray at ``theta`` from the optical axis lands at
        ``theta_d = theta (1 + k1 theta^2 + k2 theta^4 + k3 theta^6 + k4 theta^8)``
        (normalised image radius), instead of the pinhole model's radial and tangential
        terms.
    """

    K: np.ndarray
    R: np.ndarray
    t: np.ndarray
    image_size: tuple[int, int]
    dist: np.ndarray = field(default_factory=lambda: np.zeros(5))
    name: str = "cam"
    fisheye: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "K", np.asarray(self.K, dtype=np.float64).reshape(3, 3))
        object.__setattr__(self, "R", np.asarray(self.R, dtype=np.float64).reshape(3, 3))
        object.__setattr__(self, "t", np.asarray(self.t, dtype=np.float64).reshape(3))
        d = np.zeros(5)
        dist = np.asarray(self.dist, dtype=np.float64).ravel()
        d[: min(5, dist.size)] = dist[:5]
        object.__setattr__(self, "dist", d)
        w, h = self.image_size
        object.__setattr__(self, "image_size", (int(w), int(h)))
        object.__setattr__(self, "fisheye", bool(self.fisheye))

    # ------------------------------------------------------------------ constructors
    @classmethod
    def top_view(
        cls,
        height_mm: float,
        focal_px: float,
        image_size: tuple[int, int],
        *,
        centre_xy: tuple[float, float] = (0.0, 0.0),
        principal_point: tuple[float, float] | None = None,
        tilt_rad: float = 0.0,
        tilt_direction_rad: float = 0.0,
        roll_rad: float = 0.0,
        name: str = "cam",
        pixel_aspect: float = 1.0,
    ) -> Camera:
        """A camera ``height_mm`` above the floor point ``centre_xy``, looking down.

        With no tilt or roll, image ``u`` runs along world ``x`` and ``v`` along world
        ``-y``, so the world frame is the "camera-floor" frame of the conventions.

        Parameters
        ----------
        height_mm
            Height of the camera centre above the floor.
        focal_px
            Focal length in pixels (``fx = fy``).
        image_size
            ``(width, height)`` in pixels.
        centre_xy
            Floor point below the camera centre.
        principal_point
            ``(cx, cy)``; the image centre by default.
        tilt_rad
            Angle of the optical axis from straight down.
        tilt_direction_rad
            Direction the axis tilts towards, in the camera's image plane (0: towards
            ``+u``).
        roll_rad
            Rotation about the optical axis.
        name
            Camera name.
        pixel_aspect
            ``fy / fx``: 1 for square pixels, below 1 where a pixel spans more of the scene
            vertically than horizontally (video digitised or resized to another aspect).
        """
        w, h = image_size
        cx, cy = principal_point if principal_point is not None else ((w - 1) / 2, (h - 1) / 2)
        k = np.array([[focal_px, 0.0, cx], [0.0, focal_px * pixel_aspect, cy],
                      [0.0, 0.0, 1.0]])
        # Tilt: rotate the camera about an axis in its image plane, then roll about z.
        axis = np.array([-math.sin(tilt_direction_rad), math.cos(tilt_direction_rad), 0.0])
        tilt = rodrigues(axis * tilt_rad)
        r = _axis_rotation(2, roll_rad) @ tilt.T @ TOP_DOWN
        c = np.array([centre_xy[0], centre_xy[1], height_mm], dtype=np.float64)
        return cls(K=k, R=r, t=-r @ c, image_size=(w, h), name=name)

    @classmethod
    def from_floor_homography(
        cls,
        homography: np.ndarray,
        focal_px: float,
        image_size: tuple[int, int],
        *,
        principal_point: tuple[float, float] | None = None,
        name: str = "cam",
    ) -> Camera:
        """The square-pixel camera that maps floor points through ``homography``.

        The homography takes floor coordinates ``(x, y, 1)`` (mm, ``z = 0``) to pixels
        (:func:`floor_homography`); with the focal length and principal point it fixes
        the camera's pose (Zhang's decomposition: ``K^-1 H ~ [r1 r2 t]``, the rotation
        made orthonormal). The world frame is the floor's, ``z`` up towards the camera.

        Parameters
        ----------
        homography
            ``3 x 3`` floor -> pixel homography.
        focal_px
            Focal length (``fx = fy``).
        image_size
            ``(width, height)``.
        principal_point
            ``(cx, cy)``; the image centre by default.
        name
            Camera name.

        Raises
        ------
        ValueError
            When the floor points are mirrored (``x`` to ``y`` turns clockwise in the
            image seen from above), so no camera above the floor sees them so.
        """
        w, h = image_size
        cx, cy = principal_point if principal_point is not None else ((w - 1) / 2, (h - 1) / 2)
        k = np.array([[focal_px, 0.0, cx], [0.0, focal_px, cy], [0.0, 0.0, 1.0]])
        m = np.linalg.solve(k, np.asarray(homography, dtype=np.float64))
        scale = 1.0 / math.sqrt(np.linalg.norm(m[:, 0]) * np.linalg.norm(m[:, 1]))
        if m[2, 2] < 0:  # the floor's origin must lie in front of the camera
            scale = -scale
        r1, r2 = m[:, 0] * scale, m[:, 1] * scale
        u, _, vt = np.linalg.svd(np.stack([r1, r2, np.cross(r1, r2)], axis=1))
        rot = u @ vt
        if np.linalg.det(rot) < 0 or rot[2, 2] > 0:
            raise ValueError("the floor points are mirrored: no camera above the floor "
                             "sees them this way round")
        return cls(K=k, R=rot, t=m[:, 2] * scale, image_size=(w, h), name=name)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Camera:
        """Inverse of :meth:`as_dict`."""
        return cls(K=np.asarray(d["K"]), R=np.asarray(d["R"]), t=np.asarray(d["t"]),
                   image_size=tuple(d["image_size"]), dist=np.asarray(d.get("dist", [0] * 5)),
                   name=str(d.get("name", "cam")), fisheye=bool(d.get("fisheye", False)))

    def as_dict(self) -> dict[str, Any]:
        """Plain lists, for metadata (YAML / JSON / pickle)."""
        return {"name": self.name, "K": self.K.tolist(), "R": self.R.tolist(),
                "t": self.t.tolist(), "dist": self.dist.tolist(),
                "image_size": list(self.image_size), "fisheye": self.fisheye}

    # ------------------------------------------------------------------ properties
    @property
    def fx(self) -> float:
        """Focal length along ``u`` (px)."""
        return float(self.K[0, 0])

    @property
    def fy(self) -> float:
        """Focal length along ``v`` (px)."""
        return float(self.K[1, 1])

    @property
    def cx(self) -> float:
        """Principal point ``u`` (px)."""
        return float(self.K[0, 2])

    @property
    def cy(self) -> float:
        """Principal point ``v`` (px)."""
        return float(self.K[1, 2])

    @property
    def centre(self) -> np.ndarray:
        """Camera centre in the world frame (mm)."""
        return -self.R.T @ self.t

    def mirrored_below(self, axis_u: float) -> Camera:
        """The camera under the floor whose image is this camera's mirrored about ``u = axis_u``.

        A camera below a glass floor sees the mirror image of what a camera above sees:
        fit a camera above to the mirrored image (``u -> 2 axis_u - u``) and this gives the
        real one, its reflection in the floor (centre ``(x, y, -z)``, looking up), which
        reproduces the image as filmed exactly on the floor (``z = 0``) and keeps the
        world frame (``z`` up, the animal above the floor).

        Parameters
        ----------
        axis_u
            The image column mirrored about (pixels).

        Returns
        -------
        Camera
        """
        flip = np.diag([-1.0, 1.0, 1.0])  # camera x mirrored
        reflect = np.diag([1.0, 1.0, -1.0])  # world z mirrored (the floor's reflection)
        k = self.K.copy()
        k[0, 1] = -k[0, 1]
        k[0, 2] = 2.0 * axis_u - k[0, 2]
        dist = self.dist.copy()
        if not self.fisheye:  # the fisheye model is radial only
            dist[3] = -dist[3]  # p2 (tangential) changes sign with x
        return Camera(K=k, R=flip @ self.R @ reflect, t=flip @ self.t,
                      image_size=self.image_size, dist=dist, name=self.name,
                      fisheye=self.fisheye)

    def turned_over(self) -> Camera:
        """This camera in its world turned over: 180 deg about the world's ``x`` axis.

        A calibration whose world ``z`` points down (a checkerboard lying on the floor, in
        OpenCV's board frame: ``z`` into the board) puts a camera above the floor below it.
        Turned over, ``y`` and ``z`` reversed (``x`` kept), the world is right-handed with
        ``z`` up and the floor still at ``z = 0``: the same camera, now above it. Images
        are unchanged: a world point ``(x, y, z)`` here is ``(x, -y, -z)`` in the original.

        Returns
        -------
        Camera
        """
        return replace(self, R=self.R @ np.diag([1.0, -1.0, -1.0]))

    @property
    def below_floor(self) -> bool:
        """The camera looks up at the animal through the floor (its centre is below it)."""
        return bool(self.centre[2] < 0.0)

    @property
    def height_mm(self) -> float:
        """Height of the camera centre above the floor (mm)."""
        return float(self.centre[2])

    @property
    def tilt_rad(self) -> float:
        """Angle between the optical axis and straight down."""
        axis = self.R[2]  # optical axis in world coordinates
        return float(math.acos(np.clip(-axis[2], -1.0, 1.0)))

    def scaled_to(self, image_size: tuple[int, int]) -> Camera:
        """This camera for the same view resized to ``image_size`` (a downsampled copy of
        the video, or the calibration made at another resolution).

        ``fx, cx`` scale by the widths' ratio and ``fy, cy`` by the heights' (pixel centres
        kept: ``c' = (c + 0.5) s - 0.5``, as a resize maps them); distortion and pose are
        unchanged.
        """
        w, h = self.image_size
        sx, sy = image_size[0] / w, image_size[1] / h
        k = self.K.copy()
        k[0, 0], k[0, 1] = k[0, 0] * sx, k[0, 1] * sx
        k[1, 1] *= sy
        k[0, 2] = (k[0, 2] + 0.5) * sx - 0.5
        k[1, 2] = (k[1, 2] + 0.5) * sy - 0.5
        return Camera(K=k, R=self.R, t=self.t, image_size=image_size, dist=self.dist,
                      name=self.name, fisheye=self.fisheye)

    def floor_problem(self) -> str:
        """Why this camera's world frame cannot be the floor's, or ``""`` when it can.

        The lift needs the floor at ``z = 0`` in front of the camera. A camera whose centre
        lies in that plane (an intrinsics-only or one-camera calibration: aniposelib,
        sleap-anipose and Caliscope put their first camera at the origin, ``rotation`` and
        ``translation`` zero) or whose optical axis points away from it sees no floor; one
        nearer the floor than :data:`MIN_CAMERA_HEIGHT_MM` films no whole mouse (a world in
        cm or metres).
        """
        height = self.height_mm
        if abs(height) < MIN_FLOOR_DISTANCE_MM:
            away = float(np.linalg.norm(self.centre))
            if away > 1e-6 and abs(height) > 1e-6:  # placed, but within a unit of the floor
                return (f"its centre lies {abs(height):.3g} units from the floor plane and "
                        f"{away:.3g} from the world's origin: a world in metres (or cm), "
                        "where the lift needs mm? Scale the calibration's translation to "
                        "mm (x 1000 from metres, x 10 from cm)")
            return (f"its centre lies in the floor plane ({height:.0f} mm from z = 0: the "
                    "camera at the world's origin, as a one-camera or intrinsics-only "
                    "calibration puts it)")
        axis_z = float(self.R[2, 2])  # the optical axis's world z
        if not height * axis_z < 0:
            return (f"the floor (z = 0) is not in front of it (its centre is "
                    f"{abs(height):.0f} mm {'above' if height > 0 else 'below'} it, looking "
                    f"{'up' if axis_z > 0 else 'down' if axis_z < 0 else 'sideways'})")
        if abs(height) < MIN_CAMERA_HEIGHT_MM:
            return (f"its centre lies {abs(height):.3g} units from the floor plane, nearer "
                    f"than a camera that films a whole mouse ({MIN_CAMERA_HEIGHT_MM:.0f} mm): "
                    "a world in cm (or metres), where the lift needs mm? Scale the "
                    "calibration's translation to mm (x 10 from cm, x 1000 from metres)")
        return ""

    @property
    def has_distortion(self) -> bool:
        """Whether any distortion coefficient is non-zero."""
        return bool(np.any(self.dist != 0))

    # ------------------------------------------------------------------ geometry
    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """World points ``(..., 3)`` -> camera frame ``(..., 3)`` (mm)."""
        return np.asarray(points, dtype=np.float64) @ self.R.T + self.t

    def to_world(self, points_cam: np.ndarray) -> np.ndarray:
        """Camera-frame points ``(..., 3)`` -> world frame ``(..., 3)`` (mm)."""
        return (np.asarray(points_cam, dtype=np.float64) - self.t) @ self.R

    def _distort(self, xy: np.ndarray) -> np.ndarray:
        if not self.has_distortion:
            return xy
        if self.fisheye:
            r = np.hypot(xy[..., 0], xy[..., 1])
            theta = np.arctan(r)
            with np.errstate(divide="ignore", invalid="ignore"):
                scale = np.where(r > 1e-12, self._theta_d(theta) / r, 1.0)
            return xy * scale[..., None]
        k1, k2, p1, p2, k3 = self.dist
        x, y = xy[..., 0], xy[..., 1]
        r2 = x * x + y * y
        radial = 1 + k1 * r2 + k2 * r2 * r2 + k3 * r2 * r2 * r2
        xd = x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x)
        yd = y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y
        return np.stack([xd, yd], axis=-1)

    def project(self, points: np.ndarray) -> np.ndarray:
        """Project world points ``(..., 3)`` mm to pixels ``(..., 2)`` (NaN stays NaN)."""
        cam = self.to_camera(points)
        with np.errstate(divide="ignore", invalid="ignore"):
            xy = cam[..., :2] / cam[..., 2:3]
        xy = self._distort(xy)
        return xy * [self.fx, self.fy] + [self.cx, self.cy]

    def normalise(self, uv: np.ndarray, *, iterations: int = 8) -> np.ndarray:
        """Pixels ``(..., 2)`` -> undistorted normalised image coordinates ``(..., 2)``.

        ``x = X_cam / Z_cam``, ``y = Y_cam / Z_cam``. Distortion is inverted by
        fixed-point iteration, as ``cv2.undistortPoints`` does.
        """
        uv = np.asarray(uv, dtype=np.float64)
        xy = (uv - [self.cx, self.cy]) / [self.fx, self.fy]
        if not self.has_distortion:
            return xy
        if self.fisheye:
            return self._undistort_fisheye(xy)
        k1, k2, p1, p2, k3 = self.dist
        x0, y0 = xy[..., 0], xy[..., 1]
        x, y = x0.copy(), y0.copy()
        for _ in range(iterations):
            r2 = x * x + y * y
            radial = 1 + k1 * r2 + k2 * r2 * r2 + k3 * r2 * r2 * r2
            dx = 2 * p1 * x * y + p2 * (r2 + 2 * x * x)
            dy = p1 * (r2 + 2 * y * y) + 2 * p2 * x * y
            x, y = (x0 - dx) / radial, (y0 - dy) / radial
        return np.stack([x, y], axis=-1)

    def _theta_d(self, theta: np.ndarray) -> np.ndarray:
        """The fisheye model's distorted angle of rays ``theta`` from the optical axis."""
        k1, k2, k3, k4 = self.dist[:4]
        t2 = theta * theta
        return theta * (1 + t2 * (k1 + t2 * (k2 + t2 * (k3 + t2 * k4))))

    def _undistort_fisheye(self, xy: np.ndarray, iterations: int = 10) -> np.ndarray:
        """Distorted normalised fisheye coordinates -> pinhole ones (``theta`` from
        ``theta_d`` by Newton's method, as ``cv2.fisheye.undistortPoints``)."""
        k1, k2, k3, k4 = self.dist[:4]
        theta_d = np.clip(np.hypot(xy[..., 0], xy[..., 1]), 0.0, math.pi / 2)
        theta = theta_d.copy()
        for _ in range(iterations):
            t2 = theta * theta
            slope = 1 + t2 * (3 * k1 + t2 * (5 * k2 + t2 * (7 * k3 + t2 * 9 * k4)))
            with np.errstate(divide="ignore", invalid="ignore"):
                theta = theta - (self._theta_d(theta) - theta_d) / slope
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(theta_d > 1e-12, np.tan(theta) / theta_d, 1.0)
        return xy * scale[..., None]

    def rays(self, uv: np.ndarray) -> np.ndarray:
        """World directions ``(..., 3)`` of the rays through pixels (camera ``z = 1``).

        A point at camera depth ``d`` on that ray is ``centre + d * rays(uv)``.
        """
        xy = self.normalise(uv)
        cam = np.concatenate([xy, np.ones(xy.shape[:-1] + (1,))], axis=-1)
        return cam @ self.R  # R.T @ v for each row

    def points_at_depth(self, uv: np.ndarray, depth: np.ndarray) -> np.ndarray:
        """World points ``(..., 3)`` at camera depth ``depth`` (camera Z, mm) on each ray."""
        return self.centre + np.asarray(depth, dtype=np.float64)[..., None] * self.rays(uv)

    def depth_at_height(self, uv: np.ndarray, height: np.ndarray | float) -> np.ndarray:
        """Camera depth ``(...)`` where each pixel's ray reaches world height ``z = height``."""
        d = self.rays(uv)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (np.asarray(height, dtype=np.float64) - self.centre[2]) / d[..., 2]

    def points_at_height(self, uv: np.ndarray, height: np.ndarray | float) -> np.ndarray:
        """World points ``(..., 3)`` where each pixel's ray reaches ``z = height``."""
        return self.points_at_depth(uv, self.depth_at_height(uv, height))

    def floor_mm_per_px(self) -> float:
        """Scale on the floor at the image centre: mm per pixel."""
        c = np.array([[self.cx, self.cy], [self.cx + 1.0, self.cy]])
        p = self.points_at_height(c, 0.0)
        return float(np.linalg.norm(p[1] - p[0]))

    def __repr__(self) -> str:
        return (f"Camera({self.name!r}, {self.image_size[0]}x{self.image_size[1]} px, "
                f"f={self.fx:.1f} px, height={self.height_mm:.1f} mm, "
                f"tilt={math.degrees(self.tilt_rad):.1f} deg)")


def floor_homography(floor_xy: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """The homography taking floor points ``(x, y)`` (mm) to pixels ``(u, v)``.

    Normalised direct linear transform (Hartley) over four or more correspondences.

    Parameters
    ----------
    floor_xy, uv
        ``(N, 2)`` floor coordinates and their pixels, ``N >= 4``, no three collinear.

    Returns
    -------
    numpy.ndarray
        ``3 x 3``, ``uv ~ H @ [x, y, 1]``, scaled so that ``H[2, 2] = 1``.
    """
    src = np.asarray(floor_xy, dtype=np.float64).reshape(-1, 2)
    dst = np.asarray(uv, dtype=np.float64).reshape(-1, 2)
    if len(src) < 4 or len(src) != len(dst):
        raise ValueError("a floor homography needs four or more point pairs")

    def conditioner(p: np.ndarray) -> np.ndarray:
        c = p.mean(0)
        s = math.sqrt(2) / max(float(np.mean(np.linalg.norm(p - c, axis=1))), 1e-12)
        return np.array([[s, 0.0, -s * c[0]], [0.0, s, -s * c[1]], [0.0, 0.0, 1.0]])

    ts, td = conditioner(src), conditioner(dst)
    a = (np.c_[src, np.ones(len(src))] @ ts.T)[:, :2]
    b = (np.c_[dst, np.ones(len(dst))] @ td.T)[:, :2]
    rows = []
    for (x, y), (u, v) in zip(a, b, strict=True):
        rows.append([x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, -u])
        rows.append([0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y, -v])
    hn = np.linalg.svd(np.asarray(rows))[2][-1].reshape(3, 3)
    hom = np.linalg.solve(td, hn @ ts)
    return hom / hom[2, 2]


def focal_from_floor_homography(homography: np.ndarray,
                                principal_point: tuple[float, float]) -> float:
    """Focal length (px) that makes the homography a square-pixel camera's view of a plane.

    The plane's axes are perpendicular and equally scaled, so with the principal point
    known, ``h1^T w h2 = 0`` and ``h1^T w h1 = h2^T w h2`` with ``w = K^-T K^-1``; both
    are solved together (least squares) for ``1 / f^2``.

    Returns
    -------
    float
        NaN when no positive focal length fits (a view straight down leaves it
        undetermined: both equations vanish).
    """
    t = np.array([[1.0, 0.0, -principal_point[0]], [0.0, 1.0, -principal_point[1]],
                  [0.0, 0.0, 1.0]])
    hc = t @ np.asarray(homography, dtype=np.float64)
    hc = hc / np.linalg.norm(hc[:2, :2])
    h1, h2 = hc[:, 0], hc[:, 1]
    a = np.array([h1[0] * h2[0] + h1[1] * h2[1],
                  h1[0] ** 2 + h1[1] ** 2 - h2[0] ** 2 - h2[1] ** 2])
    b = np.array([h1[2] * h2[2], h1[2] ** 2 - h2[2] ** 2])
    denom = float(a @ a)
    inv_f2 = -float(a @ b) / denom if denom > 0 else math.nan
    return 1.0 / math.sqrt(inv_f2) if inv_f2 > 0 else math.nan


def _rotation_to_rodrigues(r: np.ndarray) -> np.ndarray:
    cos = np.clip((np.trace(r) - 1) / 2, -1.0, 1.0)
    theta = math.acos(cos)
    if theta < 1e-12:
        return np.zeros(3)
    if math.pi - theta < 1e-6:  # 180 degrees: axis from the symmetric part
        m = (r + np.eye(3)) / 2
        axis = np.sqrt(np.clip(np.diag(m), 0, None))
        i = int(np.argmax(axis))
        axis = m[i] / axis[i]
        return axis / np.linalg.norm(axis) * theta
    w = np.array([r[2, 1] - r[1, 2], r[0, 2] - r[2, 0], r[1, 0] - r[0, 1]])
    return w / (2 * math.sin(theta)) * theta


# ---------------------------------------------------------------------- random cameras
def random_top_view(
    rng: np.random.Generator,
    *,
    image_size: tuple[int, int] | None = None,
    height_range_mm: tuple[float, float] = TOP_VIEW_HEIGHTS_MM,
    arena_fraction: tuple[float, float] = (0.5, 1.1),
    arena_mm: float = 500.0,
    max_tilt_deg: float = 15.0,
    max_roll_deg: float = 180.0,
    centre_jitter_mm: float = 60.0,
    view_deg: tuple[float, float] | None = None,
) -> Camera:
    """A random top-view camera, as labs mount them, for synthetic data.

    The height is drawn log-uniformly in ``height_range_mm``; the focal length makes
    the image span ``arena_fraction`` times ``arena_mm`` across its shorter side at
    the floor; the optical axis tilts up to ``max_tilt_deg`` and rolls up to
    ``max_roll_deg`` (labs mount cameras at any rotation); the principal point is
    jittered by up to 2 % of the image.

    With ``view_deg = (lo, hi)`` the camera sees the arena from the side instead: it sees the
    arena's centre (jittered by ``centre_jitter_mm``) at an angle off the vertical drawn
    uniformly in ``lo``-``hi`` degrees, from any direction, its optical axis on that point
    (so it is tilted by that angle and ``max_tilt_deg`` does not apply); the focal length
    makes the image span ``arena_fraction`` times ``arena_mm`` there, along the axis. Such
    cameras train the networks for oblique views
    (:func:`dlc_lifter.lift.view_range.animal_view`).

    Parameters
    ----------
    rng
        Random generator (the only source of randomness).
    image_size
        ``(width, height)``; drawn from common video sizes when ``None``.
    """
    if image_size is None:
        sizes = [(640, 480), (1280, 720), (1920, 1080), (1024, 1024), (800, 600), (512, 512)]
        image_size = sizes[int(rng.integers(len(sizes)))]
    w, h = image_size
    lo, hi = np.log(height_range_mm)
    height = float(np.exp(rng.uniform(lo, hi)))
    span = float(rng.uniform(*arena_fraction)) * arena_mm
    focal = min(w, h) * height / span
    pp = ((w - 1) / 2 + rng.uniform(-0.02, 0.02) * w, (h - 1) / 2 + rng.uniform(-0.02, 0.02) * h)
    if view_deg is not None:
        return _oblique_view(rng, height, span, (w, h), pp, view_deg, centre_jitter_mm)
    return Camera.top_view(
        height, focal, (w, h),
        centre_xy=tuple(rng.uniform(-centre_jitter_mm, centre_jitter_mm, 2)),
        principal_point=pp,
        tilt_rad=math.radians(max_tilt_deg) * math.sqrt(float(rng.uniform())),
        tilt_direction_rad=float(rng.uniform(0, 2 * math.pi)),
        roll_rad=math.radians(float(rng.uniform(-max_roll_deg, max_roll_deg))),
        name="synthetic",
    )


def _oblique_view(rng: np.random.Generator, height: float, span: float,
                  image_size: tuple[int, int], pp: tuple[float, float],
                  view_deg: tuple[float, float], centre_jitter_mm: float) -> Camera:
    """:func:`random_top_view`'s camera seeing the arena's centre from ``view_deg`` off the
    vertical (see there)."""
    lo, hi = view_deg
    if not 0.0 <= lo <= hi < 80.0:
        raise ValueError(f"view_deg must be (lo, hi) with 0 <= lo <= hi < 80; got {view_deg}.")
    angle = math.radians(float(rng.uniform(lo, hi)))
    direction = float(rng.uniform(0.0, 2.0 * math.pi))
    roll = float(rng.uniform(-math.pi, math.pi))
    focal = min(image_size) * (height / math.cos(angle)) / span
    target = np.asarray(rng.uniform(-centre_jitter_mm, centre_jitter_mm, 2))
    # where the axis of a camera tilted so meets the floor, from its nadir: the camera goes
    # that far back from the target
    probe = Camera.top_view(height, focal, image_size, principal_point=pp, tilt_rad=angle,
                            tilt_direction_rad=direction, roll_rad=roll)
    axis = probe.R[2]
    offset = axis[:2] * height / -axis[2]
    return Camera.top_view(height, focal, image_size, centre_xy=tuple(target - offset),
                           principal_point=pp, tilt_rad=angle, tilt_direction_rad=direction,
                           roll_rad=roll, name="synthetic")
