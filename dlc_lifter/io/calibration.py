"""Calibration files: one camera read from the kinds labs have, anipose TOML written.

:func:`load_anipose` tells a calibration by its content: an anipose / aniposelib TOML, a
lens calibration in text (OpenCV FileStorage YAML or XML, ROS ``camera_info`` YAML), or a
binary file of another tool (DeepLabCut 3D's pickles, MATLAB ``.mat``), whose readers are
in :mod:`dlc_lifter.io.camera_files`. :func:`write_anipose` writes cameras as an anipose
TOML. The camera model itself is :class:`dlc_lifter.camera.Camera`.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from dlc_lifter.camera import Camera, _rotation_to_rodrigues, rodrigues
from dlc_lifter.errors import CalibrationError
from dlc_lifter.io.camera_files import (
    is_matlab_file,
    is_pickle,
    pick_camera,
    read_dlc_calibration,
    read_matlab_calibration,
)

__all__ = ["load_anipose", "write_anipose"]

logger = logging.getLogger(__name__)


def load_anipose(path: str | Path, name: str | None = None) -> Camera:
    """Read one camera from a calibration file: an anipose / aniposelib calibration TOML,
    or one of the other kinds in ``docs/formats.md`` ("Calibrations"), told by content.

    The TOML has one table per camera (``[cam_0]``...) with ``name``, ``size``
    ``[width, height]``, ``matrix`` (``K``), ``distortions``, ``rotation`` (Rodrigues,
    world -> camera) and ``translation``; ``fisheye = true`` (aniposelib's fisheye cameras)
    makes ``distortions`` OpenCV's fisheye ``k1 k2 k3 k4`` (:class:`Camera` ``fisheye``).
    Its world frame must have ``z`` up with the floor at ``z = 0``, in mm.

    Lens calibrations without extrinsics (OpenCV FileStorage, ROS ``camera_info``,
    DeepLabCut 3D's intrinsics pickle or one camera of its stereo pickle, MATLAB's
    ``cameraParameters`` struct) put the camera at the world's origin
    (:meth:`Camera.floor_problem`), unless an OpenCV one holds the pose of a board lying on
    the floor (``rvec``, ``tvec``: that board's frame is the world); a DANNCE / Label3D
    ``.mat`` camera keeps its pose in the rig's world (:mod:`dlc_lifter.io.camera_files`).
    A file that does not record its image size (DeepLabCut's intrinsics pickle, DANNCE's,
    an OpenCV file without ``image_width``) gives ``image_size = (0, 0)``: the frames' size
    is taken for it when lifting.

    Parameters
    ----------
    path
        The calibration file.
    name
        The camera's ``name`` (table name, pickle key or a stereo pickle's camera name,
        MATLAB variable, or in a DANNCE ``*_dannce.mat`` its ``camnames`` entry; in a
        DANNCE / Label3D rig or a DeepLabCut stereo pair also ``Camera<i>``); required when
        the file holds several.

    Raises
    ------
    CalibrationError
        When the file is missing or malformed, or the camera is not in it.
    """
    p = Path(path)
    if not p.is_file():
        raise CalibrationError(f"Calibration file {p} does not exist; give an anipose "
                               "calibration.toml or give camera_height_mm= and focal_px=.")
    binary = _binary_calibration(p, name)
    if binary is not None:
        return binary
    try:
        text = p.read_text()
    except UnicodeDecodeError:
        raise CalibrationError(f"Calibration file {p} is not text nor a calibration pickle "
                               f"or MATLAB file; give {_CALIBRATION_KINDS}.") from None
    lens = _lens_calibration(text, p)
    if lens is not None:
        return lens
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CalibrationError(f"Calibration file {p} is not valid TOML ({exc}) nor another "
                               f"calibration dlc-lifter reads; give {_CALIBRATION_KINDS}."
                               ) from None
    cams = {k: v for k, v in data.items() if isinstance(v, dict) and "matrix" in v}
    if not cams:
        raise CalibrationError(f"Calibration file {p} has no camera tables ([cam_0] with "
                               "'matrix', 'rotation', 'translation'); is it an anipose file?")
    names = {str(v.get("name", k)): k for k, v in cams.items()}  # by name, else table
    key = name if name not in names and name in cams else names[pick_camera(names, name, p)]
    c = cams[key]
    fisheye = bool(c.get("fisheye", False))
    try:
        size = c.get("size")
        if size is None:
            raise KeyError("size")
        if "distortions" not in c:
            logger.warning("Camera '%s' in %s has no 'distortions': lifted as a lens without "
                           "distortion.", key, p)
        dist = np.asarray(c.get("distortions", [0.0] * 5), dtype=float).ravel()
        if fisheye and dist.size != 4:
            raise CalibrationError(
                f"Camera '{key}' in {p} is a fisheye lens (fisheye = true) with {dist.size} "
                "distortions; OpenCV's fisheye model has 4 (k1, k2, k3, k4), as aniposelib "
                "writes.")
        _refuse_rational(dist, fisheye, f"Camera '{key}' in {p}")
        return Camera(K=np.asarray(c["matrix"], dtype=float),
                      R=rodrigues(c.get("rotation", [0.0, 0.0, 0.0])),
                      t=np.asarray(c.get("translation", [0.0, 0.0, 0.0]), dtype=float),
                      image_size=(int(size[0]), int(size[1])), dist=dist,
                      name=str(c.get("name", key)), fisheye=fisheye)
    except (KeyError, ValueError, TypeError) as exc:
        raise CalibrationError(f"Camera '{key}' in {p} is malformed ({exc!r}); it needs "
                               "size, matrix, distortions, rotation and translation.") from None


#: The calibrations :func:`load_anipose` reads, for the messages.
_CALIBRATION_KINDS = (
    "an anipose calibration.toml, a lens calibration (OpenCV FileStorage .yml/.xml with "
    "camera_matrix and distortion_coefficients, ROS camera_info .yaml, or a .json object "
    "with those entries), DeepLabCut 3D's "
    "camera_matrix/<camera>_intrinsic_params.pickle or stereo_params.pickle, a MATLAB "
    ".mat of toStruct(cameraParams), a DANNCE / Label3D *_params.mat or DANNCE's *_dannce.mat")


def _binary_calibration(path: Path, name: str | None) -> Camera | None:
    """The camera of a DeepLabCut 3D calibration pickle or a MATLAB ``.mat`` calibration
    (:mod:`dlc_lifter.io.camera_files`), told by its first bytes; ``None`` for other files.
    Without a pose the lens sits at the world's origin; without an image size it is
    ``(0, 0)``."""
    with path.open("rb") as fh:
        head = fh.read(128)
    if is_pickle(head):
        params = read_dlc_calibration(path, name)
    elif is_matlab_file(head):
        params = read_matlab_calibration(path, name)
    else:
        return None
    what = f"Camera '{params.name}' in {path}"
    _refuse_rational(params.dist, False, what)
    return Camera(K=params.K, R=np.eye(3) if params.R is None else params.R,
                  t=np.zeros(3) if params.t is None else params.t,
                  image_size=params.image_size or (0, 0), dist=params.dist, name=params.name)


def _refuse_rational(dist: np.ndarray, fisheye: bool, what: str) -> None:
    """Refuse distortions beyond the five of the standard model (OpenCV's rational or
    thin-prism model), which would otherwise be cut off silently; ``what`` names the
    camera and its file."""
    if not fisheye and np.any(dist[5:] != 0):
        raise CalibrationError(
            f"{what} has {dist.size} distortions: OpenCV's rational or thin-prism model, "
            "which dlc-lifter does not read (it reads k1, k2, p1, p2, k3, or OpenCV's "
            "fisheye k1-k4). Recalibrate with the standard model.")


def _matrix(node: Any) -> np.ndarray:
    """An OpenCV / ROS matrix node (``{rows, cols, data}``) or a plain list, as an array."""
    if isinstance(node, dict):
        return np.asarray(node["data"], dtype=float).reshape(int(node["rows"]),
                                                             int(node["cols"]))
    return np.asarray(node, dtype=float)


#: Names a lens calibration's entries go by (OpenCV's calibration sample and FileStorage
#: docs, its Python tutorials' variables, ROS ``camera_info``), in the order looked for.
_LENS_KEYS = {
    "matrix": ("camera_matrix", "cameraMatrix", "Camera_Matrix", "mtx", "K"),
    "dist": ("distortion_coefficients", "dist_coeffs", "distCoeffs",
             "Distortion_Coefficients", "dist", "D"),
    "width": ("image_width", "imageWidth", "Image_Width"),
    "height": ("image_height", "imageHeight", "Image_Height"),
    # the camera's pose, as a lab's script saves cv2.solvePnP's answer for the board lying
    # on the floor: X_cam = R X_board + t, in the board's units
    "rvec": ("rvec", "rotation_vector", "rvecs", "Rvec"),
    "rmat": ("rotation_matrix",),  # not ROS camera_info's R: a rectification, not a pose
    "tvec": ("tvec", "translation_vector", "tvecs", "Tvec"),
}


def _lens_entry(data: dict[str, Any], what: str) -> Any:
    return next((data[k] for k in _LENS_KEYS[what] if k in data), None)


def _lens_calibration(text: str, path: Path) -> Camera | None:
    """A lens calibration without extrinsics, recognised by its content: OpenCV's
    FileStorage YAML (``%YAML:1.0``, ``!!opencv-matrix``) or XML (``<opencv_storage>``),
    ROS's ``camera_info`` YAML, or a JSON object with the same entries (:data:`_LENS_KEYS`);
    ``None`` for anything else. Its camera sits at the world's origin (intrinsics only:
    :meth:`Camera.floor_problem`), unless the file holds one camera pose (``rvec`` and
    ``tvec``, as ``cv2.solvePnP`` gives them for a board lying on the floor:
    :func:`_board_pose`); without ``image_width`` / ``image_height`` the frames' size is
    taken for it when lifting. A lens named fisheye (``distortion_model: equidistant``,
    OpenCV's sample's ``fisheye_model: 1``) takes its four coefficients as OpenCV's fisheye
    model's; a file without distortion coefficients is lifted without and warned about."""
    head = text.lstrip()[:200]
    data: Any = None
    if head.startswith("<?xml") or head.startswith("<opencv_storage"):
        import xml.etree.ElementTree as ET

        try:
            root = ET.fromstring(text)
        except ET.ParseError:
            return None
        data = {}
        for child in root:
            if child.find("data") is not None:
                data[child.tag] = {"rows": child.findtext("rows"), "cols": child.findtext("cols"),
                                   "data": (child.findtext("data") or "").split()}
            else:
                data[child.tag] = (child.text or "").strip()
    elif head.startswith("{"):
        import json

        try:
            data = json.loads(text)
        except ValueError:
            return None
    elif head.startswith("%YAML") or any(k in text for k in _LENS_KEYS["matrix"][:3]) and \
            any(k in text for k in _LENS_KEYS["width"]):
        import yaml

        body = "\n".join(line for line in text.splitlines() if not line.startswith("%"))
        try:
            data = yaml.safe_load(body.replace("!!opencv-matrix", ""))
        except yaml.YAMLError:
            return None
    if not isinstance(data, dict):
        return None
    if _lens_entry(data, "matrix") is None:
        if head.startswith(("%YAML", "<")):  # OpenCV's own file, without a camera matrix
            raise CalibrationError(
                f"Lens calibration {path} (OpenCV FileStorage) has no camera matrix (as "
                f"{', '.join(_LENS_KEYS['matrix'][:3])}); it holds "
                f"{', '.join(map(str, data)) or 'nothing'}.")
        return None
    try:
        k = _matrix(_lens_entry(data, "matrix")).reshape(3, 3)
        given = _lens_entry(data, "dist")
        dist = _matrix([0.0] * 5 if given is None else given).ravel()
        w, h = _lens_entry(data, "width"), _lens_entry(data, "height")
        size = (0, 0) if w is None or h is None else (int(w), int(h))  # 0: the frames'
    except (KeyError, ValueError, TypeError) as exc:
        raise CalibrationError(f"Lens calibration {path} is malformed ({exc!r}); it needs "
                               "camera_matrix (3x3) and distortion_coefficients (image_width "
                               "and image_height where known).") from None
    model = str(data.get("distortion_model", "")).lower()
    fisheye = model in ("equidistant", "fisheye") or str(
        data.get("fisheye_model", "0")).strip() in ("1", "true", "True")
    if given is None:
        logger.warning("Lens calibration %s has no distortion coefficients (as %s; it holds "
                       "%s): lifted as a lens without distortion.", path,
                       ", ".join(_LENS_KEYS["dist"][:3]), ", ".join(map(str, data)))
    elif dist.size == 4 and not fisheye and not model:
        logger.warning("Lens calibration %s has 4 distortion coefficients and names no model: "
                       "read as the standard model's k1, k2, p1, p2. If the lens is a fisheye "
                       "(cv2.fisheye.calibrate), add 'distortion_model: equidistant'.", path)
    _refuse_rational(dist, fisheye, f"Lens calibration {path}")
    if fisheye and dist.size != 4:
        raise CalibrationError(f"Lens calibration {path} is a fisheye lens with {dist.size} "
                               "distortion coefficients; OpenCV's fisheye model has 4 (k1, "
                               "k2, k3, k4).")
    rot, trans = _board_pose(data, path)
    return Camera(K=k, R=rot, t=trans, image_size=size,
                  dist=dist[:4] if fisheye else dist[:5],
                  name=str(data.get("camera_name", path.stem)), fisheye=fisheye)


def _board_pose(data: dict[str, Any], path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The camera's pose in a lens calibration: one rotation (Rodrigues ``rvec`` or a 3x3
    matrix) with one translation (``tvec``), as ``cv2.solvePnP`` gives it for a board on
    the floor (the board's frame is then the world; :data:`_LENS_KEYS`); the world's
    origin (intrinsics only) where there is none, or where the file holds a pose per
    calibration view (which of them lay on the floor is not known: warned)."""
    rvec, rmat, tvec = (_lens_entry(data, k) for k in ("rvec", "rmat", "tvec"))
    origin = (np.eye(3), np.zeros(3))
    if rvec is None and rmat is None and tvec is None:
        return origin
    try:
        t = _matrix(tvec).ravel() if tvec is not None else None
        r = (_matrix(rvec).ravel() if rvec is not None else
             _matrix(rmat) if rmat is not None else None)
    except (KeyError, ValueError, TypeError):
        t = r = None
    if t is None or r is None or t.size != 3 or r.size not in (3, 9):
        several = (t is not None and t.size > 3 and t.size % 3 == 0) or (
            r is not None and r.size > 9 and r.size % 3 == 0)
        logger.warning(
            "Lens calibration %s: %s; read as the lens only. To lift in the floor's frame, "
            "save the pose of the board lying on the floor alone (cv2.solvePnP's rvec and "
            "tvec, in mm) as rvec and tvec.", path,
            "it holds a pose per calibration view, and which board lay on the floor is not "
            "known" if several else "its camera pose is incomplete or not one pose "
            f"(rotation {'missing' if r is None else f'of {r.size} values'}, translation "
            f"{'missing' if t is None else f'of {t.size} values'})")
        return origin
    rot = rodrigues(r) if r.size == 3 else r.reshape(3, 3)
    if not np.allclose(rot @ rot.T, np.eye(3), atol=1e-4):
        raise CalibrationError(f"Lens calibration {path}: its rotation is not a rotation "
                               "matrix (R R^T is not the identity); give cv2.solvePnP's rvec "
                               "or cv2.Rodrigues' 3x3 matrix.")
    logger.info("Lens calibration %s: the camera's pose read from it (the board's frame on "
                "the floor is the world; its units taken as mm).", path)
    return rot, t


def write_anipose(cameras: Sequence[Camera], path: str | Path) -> Path:
    """Write cameras as an anipose calibration TOML (for tests and round trips)."""
    lines: list[str] = []
    for i, cam in enumerate(cameras):
        rvec = _rotation_to_rodrigues(cam.R)
        lines += [
            f"[cam_{i}]",
            f'name = "{cam.name}"',
            f"size = [{cam.image_size[0]}, {cam.image_size[1]}]",
            "matrix = [" + ", ".join("[" + ", ".join(repr(float(v)) for v in row) + "]"
                                     for row in cam.K) + "]",
            "distortions = [" + ", ".join(repr(float(v)) for v in
                                          (cam.dist[:4] if cam.fisheye else cam.dist)) + "]",
            "rotation = [" + ", ".join(repr(float(v)) for v in rvec) + "]",
            "translation = [" + ", ".join(repr(float(v)) for v in cam.t) + "]",
        ]
        lines += ["fisheye = true", ""] if cam.fisheye else [""]
    lines += ["[metadata]", "adjusted = false", "error = 0.0", ""]
    out = Path(path)
    out.write_text("\n".join(lines))
    return out
