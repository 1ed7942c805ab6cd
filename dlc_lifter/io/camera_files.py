"""Binary calibration files of other tools, as OpenCV's pinhole parameters.

:func:`dlc_lifter.io.calibration.load_anipose` reads text calibrations itself and hands
these here, recognised by their first bytes:

- DeepLabCut 3D's intrinsics pickle (``camera_matrix/<camera>_intrinsic_params.pickle``,
  written by ``deeplabcut.calibrate_cameras``): ``{camera: {"mtx", "dist", "objpoints",
  "imgpoints"}}``, OpenCV's own ``K`` and distortion; no image size, no pose of the floor;
  and its stereo pickle (``camera_matrix/stereo_params.pickle``), a camera pair's
  ``cameraMatrix1/2``, ``distCoeffs1/2`` and ``image_shape`` (and the pair's ``R``, ``T``,
  not used), of which one camera is read. Unpickled with :class:`ArraysOnlyUnpickler`,
  which builds dicts, lists and numpy arrays and nothing else.
- MATLAB ``.mat`` files (v5-v7 with :func:`scipy.io.loadmat`, v7.3 with h5py): the
  Computer Vision Toolbox's ``cameraParameters`` / ``cameraIntrinsics`` saved as a struct
  (``toStruct``), and DANNCE / Label3D camera files (``K``, ``RDistort``, ``TDistort``,
  ``r``, ``t``), both in MATLAB's conventions, converted here (see :func:`_matlab_k`); a
  DANNCE ``*_dannce.mat`` or a Label3D session holds a rig of the latter, a cell array
  (``params`` with ``camnames``, or ``camParams``) of which one camera is read.

Each reader returns :class:`CameraParams` in OpenCV's conventions (``K`` with the first
pixel's centre at ``(0, 0)``, ``X_cam = R @ X_world + t``).
"""

from __future__ import annotations

import importlib
import logging
import pickle
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from dlc_lifter.errors import CalibrationError

logger = logging.getLogger(__name__)

#: Largest skew (``K[0, 1]``) taken as none, relative to the focal length: a MATLAB
#: calibration run with ``EstimateSkew`` gives a few pixels against a focal length of well
#: over a thousand (``docs/results.md``, "Real mice: the rears' raised hips and the raised
#: head, screened; live depth judged; calibrations labs have"), which moves points by about
#: ``skew * (v - cy) / fy``, a few pixels at most at an image's top and bottom edges.
SKEW_DROPPED = 0.005

__all__ = ["ArraysOnlyUnpickler", "CameraParams", "is_matlab_file", "is_pickle",
           "pick_camera", "read_dlc_calibration", "read_matlab_calibration"]


@dataclass(frozen=True)
class CameraParams:
    """One camera of a calibration file, in OpenCV's conventions.

    Parameters
    ----------
    K
        ``3 x 3`` intrinsic matrix, principal point with the first pixel's centre at 0.
    dist
        ``k1 k2 p1 p2 k3`` (fewer: the rest zero).
    image_size
        ``(width, height)``; ``None`` where the file does not record it.
    name
        The camera's name in the file (its key or variable), else the file's stem.
    R, t
        World -> camera rotation and translation (mm); ``None`` for intrinsics only.
    """

    K: np.ndarray
    dist: np.ndarray
    image_size: tuple[int, int] | None
    name: str
    R: np.ndarray | None = None
    t: np.ndarray | None = None


def is_pickle(head: bytes) -> bool:
    """A pickle of protocol 2 or later (``PROTO`` opcode first), as ``pickle.dump`` writes."""
    return len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5


def is_matlab_file(head: bytes) -> bool:
    """A MATLAB v5-v7.3 MAT-file: its 116-byte text header starts ``MATLAB``."""
    return head.startswith(b"MATLAB")


# ---------------------------------------------------------------------- DeepLabCut 3D
#: What a pickle of numpy arrays in dicts and lists names: numpy's array and scalar
#: rebuilders (``numpy.core`` before numpy 2, ``numpy._core`` from it: either is found),
#: ``ndarray``, ``dtype``, and plain containers; ``_codecs.encode`` is how protocol 2
#: writes bytes.
_ALLOWED_GLOBALS = frozenset({
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode"),
    *(("builtins", n) for n in ("dict", "list", "tuple", "set", "frozenset", "bytearray",
                                "complex")),
})


class ArraysOnlyUnpickler(pickle.Unpickler):
    """An unpickler that builds numpy arrays, dicts, lists and tuples and refuses every
    other class or function a pickle names (unpickling may otherwise run any code).

    Parameters
    ----------
    file
        The open binary file.
    path
        Its path, for the message.
    """

    def __init__(self, file: Any, path: Path) -> None:
        super().__init__(file)
        self._path = path

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED_GLOBALS:
            raise CalibrationError(
                f"{self._path} is a pickle that names {module}.{name}: only numpy arrays in "
                "dicts and lists are read from a calibration pickle (DeepLabCut 3D's "
                "camera_matrix/<camera>_intrinsic_params.pickle or stereo_params.pickle), "
                "since unpickling anything else can run code. Give one of DeepLabCut's "
                "pickles, or the calibration in another format (docs/formats.md, "
                "'Calibrations').")
        other = module.replace("numpy._core", "numpy.core") if "_core" in module else \
            module.replace("numpy.core", "numpy._core")
        for mod in (module, other):
            try:
                with warnings.catch_warnings():  # numpy 2's numpy.core shim warns
                    warnings.simplefilter("ignore", DeprecationWarning)
                    return getattr(importlib.import_module(mod), name)
            except (ImportError, AttributeError):
                continue
        raise CalibrationError(f"{self._path} names {module}.{name}, which this numpy "
                               f"({np.__version__}) does not have.")


def read_dlc_calibration(path: Path, name: str | None) -> CameraParams:
    """One camera of a DeepLabCut 3D calibration pickle (intrinsics only), either kind
    ``deeplabcut.calibrate_cameras`` writes in ``camera_matrix/``.

    - ``<camera>_intrinsic_params.pickle``: for each camera in turn, the dict of all
      cameras calibrated so far (those not yet calibrated map to an empty list), each
      ``{"mtx": K, "dist": (1, 5) array, "objpoints", "imgpoints"}`` from
      ``cv2.calibrateCamera``; no image size.
    - ``stereo_params.pickle``: a dict keyed by the pair's names joined by ``-``
      (``"camera-1-camera-2"``), each ``{"cameraMatrix1", "distCoeffs1", "cameraMatrix2",
      "distCoeffs2", "R", "T", "E", "F", "R1", "R2", "P1", "P2", "Q", "roi1", "roi2",
      "image_shape"}`` from ``cv2.stereoCalibrate`` with the intrinsics fixed (the same
      ``K`` and distortion as the intrinsics pickles) and ``image_shape`` the two cameras'
      ``(width, height)``. One camera is read; the pair's extrinsics (``R``, ``T``) are
      not needed for a one-camera lift.

    Both are OpenCV's conventions.

    Parameters
    ----------
    path
        The pickle.
    name
        The camera's name (``camera-1``: the intrinsics pickle's key, one of the two names
        of a stereo pair), or in a stereo pickle ``Camera<i>``, the ``i``-th (from 1);
        needed when the pickle holds several cameras.

    Raises
    ------
    CalibrationError
        A pickle naming anything but arrays and containers (it is not run), no camera in
        it, or not the one named.
    """
    try:
        with path.open("rb") as fh:
            data = ArraysOnlyUnpickler(fh, path).load()
    except CalibrationError:
        raise
    except Exception as exc:  # noqa: BLE001 - any damage to the pickle
        raise CalibrationError(f"Calibration pickle {path} cannot be read ({exc!r}).") from None
    entries = {str(k): v for k, v in data.items() if isinstance(v, dict)} \
        if isinstance(data, dict) else {}
    pairs = {k: v for k, v in entries.items() if "cameraMatrix1" in v and "cameraMatrix2" in v}
    if pairs:
        return _dlc_stereo_camera(pairs, path, name)
    cams = {k: v for k, v in entries.items() if "mtx" in v}
    if not cams:
        raise CalibrationError(
            f"Calibration pickle {path} holds no camera: DeepLabCut 3D's "
            "camera_matrix/<camera>_intrinsic_params.pickle ({camera: {'mtx', 'dist', ...}}) "
            "or camera_matrix/stereo_params.pickle ({'camera-1-camera-2': {'cameraMatrix1', "
            "'distCoeffs1', ...}}) are read.")
    key = pick_camera(cams, name, path)
    k, dist = _opencv_lens(cams[key].get("mtx"), cams[key].get("dist", np.zeros(5)),
                           f"Camera '{key}' in {path}", "'mtx' must be 3x3 and 'dist'")
    return CameraParams(K=k, dist=dist, image_size=None, name=key)


def _opencv_lens(matrix: Any, dist: Any, what: str, fields: str
                 ) -> tuple[np.ndarray, np.ndarray]:
    """An OpenCV ``K`` and distortion as floats; ``what`` (the camera and its file) and
    ``fields`` (their names) for the message."""
    try:
        return (np.asarray(matrix, dtype=float).reshape(3, 3),
                np.asarray(dist, dtype=float).ravel())
    except (ValueError, TypeError) as exc:
        raise CalibrationError(f"{what} is malformed ({exc!r}): {fields} OpenCV's "
                               "coefficients.") from None


def _pair_names(pair: str, name: str | None) -> tuple[str, str] | None:
    """The two camera names of a stereo pair's key (DeepLabCut joins them with ``-``, and
    its names hold ``-`` themselves): cut where one half is ``name``, else at the middle
    ``-`` when the halves then hold as many each (``camera-1-camera-2``); ``None`` where
    the key cannot be cut so."""
    cuts = [i for i, c in enumerate(pair) if c == "-"]
    for i in cuts:
        if name in (pair[:i], pair[i + 1:]):
            return pair[:i], pair[i + 1:]
    if len(cuts) % 2:
        i = cuts[len(cuts) // 2]
        return pair[:i], pair[i + 1:]
    return None


def _dlc_stereo_camera(pairs: dict[str, dict[str, Any]], path: Path, name: str | None
                       ) -> CameraParams:
    """One camera of a DeepLabCut 3D ``stereo_params.pickle`` (see
    :func:`read_dlc_calibration`), picked by :func:`pick_camera` among the pairs' cameras
    by name, or as ``Camera<i>`` in the order the pairs name them; a refusal where a
    pair's key cannot be cut into its two names (its cameras are then ``Camera1`` and
    ``Camera2``) says so, naming the key."""
    cams: dict[str, tuple[str, int, dict[str, Any]]] = {}
    uncut: list[str] = []  # keys not cut into two names
    for pair, entry in pairs.items():
        names = _pair_names(pair, name)
        if names is None:
            uncut.append(pair)
            names = ("Camera1", "Camera2")
        for i, cam in enumerate(names, start=1):
            cams.setdefault(cam, (pair, i, entry))
    try:
        key = pick_camera(cams, name, path, by_position=True)
    except CalibrationError as exc:
        if not uncut:
            raise
        raise CalibrationError(
            f"{exc} The pair{'s' if len(uncut) > 1 else ''} "
            f"{', '.join(repr(u) for u in uncut)} join{'' if len(uncut) > 1 else 's'} its "
            "two cameras' names with '-', which the names hold too, so where the first ends "
            "is not known: give "
            "camera_name= one of them as your DeepLabCut 3D project's config.yaml names it "
            "(camera_names), or Camera1 / Camera2 by position.") from None
    pair, i, entry = cams[key]
    what = f"Camera '{key}' (pair '{pair}') in {path}"
    k, dist = _opencv_lens(entry.get(f"cameraMatrix{i}"), entry.get(f"distCoeffs{i}", np.zeros(5)),
                           what, f"'cameraMatrix{i}' must be 3x3 and 'distCoeffs{i}'")
    image_size = None
    shapes = entry.get("image_shape")
    try:
        size = np.asarray(shapes[i - 1], dtype=float).ravel()  # cv2's (width, height)
        if size.size == 2 and np.all(size > 0):
            image_size = (int(size[0]), int(size[1]))
    except (TypeError, IndexError, KeyError, ValueError):
        pass
    logger.info("%s: its intrinsics only (matrix, distortion%s); the pair's extrinsics "
                "(R, T between its two cameras) are not needed for a one-camera lift.", what,
                ", image size" if image_size else "")
    return CameraParams(K=k, dist=dist, image_size=image_size, name=key)


def pick_camera(cams: Mapping[str, Any], name: str | None, path: Path | str,
                by_position: bool = False) -> str:
    """The key of the camera ``name`` among ``cams`` (a calibration file's cameras by
    name); the only one when ``name`` is None.

    Parameters
    ----------
    cams
        The file's cameras by name, in the file's order.
    name
        The camera asked for, or None.
    path
        The file, for the messages.
    by_position
        ``Camera<i>`` is also the ``i``-th camera (from 1), as DANNCE names a rig's
        cameras (a rig or a stereo pair); the messages say so where the names differ.

    Raises
    ------
    CalibrationError
        Several cameras and no name, or no camera of that name; naming those the file holds.
    """
    also = ""
    if by_position:
        if list(cams) != [f"Camera{i}" for i in range(1, len(cams) + 1)]:
            also = f" (or Camera1 to Camera{len(cams)}, by position)"
        position = re.fullmatch(r"Camera(\d+)", name or "")
        if name not in cams and position and 1 <= int(position[1]) <= len(cams):
            return list(cams)[int(position[1]) - 1]
    if name is None:
        if len(cams) > 1:
            raise CalibrationError(f"Calibration file {path} holds cameras "
                                   f"{', '.join(cams)}: pick one with camera_name=NAME{also}.")
        return next(iter(cams))
    if name not in cams:
        raise CalibrationError(f"Calibration file {path} has no camera '{name}'; it holds "
                               f"{', '.join(cams)}{also}.")
    return name


# ---------------------------------------------------------------------- MATLAB
_OBJECT_MESSAGE = (
    "{path} holds {what}, which only MATLAB can read{beside}. In MATLAB, export the camera's "
    "parameters as a struct (s = toStruct(cameraParams); save('calib.mat', '-struct', 's')) "
    "and give that file, or give the same rig's DANNCE / Label3D *_params.mat or "
    "*_dannce.mat.")


def _objects_message(path: Path, objects: dict[str, _MatlabObject], others: list[str]) -> str:
    """The refusal of a MAT-file's MATLAB objects (by variable name); ``others``: its other
    variables, where it holds no camera."""
    named = [f"'{k}'" + (f", class {v.cls}" if v.cls else "") for k, v in objects.items()
             if k != _UNNAMED_OBJECTS]
    what = ("MATLAB objects" if len(named) != 1 else "a MATLAB object") + \
        (f" ({'; '.join(named)})" if named else "")
    beside = f", and no camera beside it (its other variables: {', '.join(others)})" \
        if others else ""
    return _OBJECT_MESSAGE.format(path=path, what=what, beside=beside)


def read_matlab_calibration(path: Path, name: str | None) -> CameraParams:
    """One camera of a MATLAB ``.mat`` calibration.

    Read are (a) the Computer Vision Toolbox's ``cameraParameters`` or ``cameraIntrinsics``
    saved as a struct (``toStruct``): ``K`` or ``IntrinsicMatrix`` (or ``FocalLength`` and
    ``PrincipalPoint``), ``RadialDistortion``, ``TangentialDistortion``, ``ImageSize``;
    intrinsics only (its rotations and translations are the calibration boards'); and
    (b) a DANNCE / Label3D camera (``K``, ``RDistort``, ``TDistort``, ``r``, ``t``), with
    its pose in the rig's world. A file's variables are one camera, or each struct variable
    is one, named by the variable; or (c) a rig of DANNCE / Label3D cameras (b): DANNCE's
    ``*_dannce.mat`` (Label3D's ``*_Label3D_dannce.mat`` export), a cell array ``params``
    named by the cell array ``camnames``, or a Label3D session's ``camParams`` (cameras
    ``Camera1``, ``Camera2``... as DANNCE names them). A rig's camera is also found as
    ``Camera<i>``, the ``i``-th (from 1), whatever ``camnames`` calls it.

    Parameters
    ----------
    path
        The ``.mat`` file.
    name
        The camera's variable name, or its ``camnames`` entry (or ``Camera<i>``) in a rig;
        needed when the file holds several cameras.

    Raises
    ------
    CalibrationError
        A MATLAB object saved as such (not a struct), no camera in the file, skew, or a
        malformed field.
    """
    variables = _load_mat(path)
    cams = {k: v for k, v in variables.items() if isinstance(v, dict) and _is_camera(v)}
    if _is_camera(variables):
        cams = {path.stem: variables}
    rig = _rig_cameras(variables)
    if rig:
        cams = rig
    objects = {k: v for k, v in variables.items() if isinstance(v, _MatlabObject)}
    if objects and name in objects:
        raise CalibrationError(_objects_message(path, {name: objects[name]}, []))
    if objects and not cams:
        raise CalibrationError(_objects_message(path, objects, [k for k in variables
                                                                if k not in objects]))
    if not cams:
        raise CalibrationError(
            f"{path} is a MATLAB file with no camera in it (variables: "
            f"{', '.join(variables) or 'none'}). dlc-lifter reads a cameraParameters or "
            "cameraIntrinsics saved as a struct (toStruct), DANNCE / Label3D camera files "
            "(K, RDistort, TDistort, r, t) and DANNCE's *_dannce.mat (params, camnames) or "
            "a Label3D session (camParams) of such cameras.")
    key = pick_camera(cams, name, path, by_position=rig is not None)
    try:
        params = _matlab_camera(cams[key], key)
    except (KeyError, ValueError, TypeError, IndexError) as exc:
        raise CalibrationError(f"Camera '{key}' in {path} is malformed ({exc!r}).") from None
    skew = float(params.K[0, 1])
    if skew:
        # the most a point moves with the skew dropped: at the top or bottom edge
        rows = params.image_size[1] if params.image_size else 2.0 * (params.K[1, 2] + 1.0)
        edge = max(params.K[1, 2], rows - 1.0 - params.K[1, 2]) / params.K[1, 1]
        logger.warning("Camera '%s' in %s has a skew of %.3g px, which dlc-lifter's camera "
                       "(as OpenCV's) does not model: dropped, which moves points by up to "
                       "%.1f px at the image's top and bottom edges. Calibrate with "
                       "EstimateSkew false to avoid it.", key, path, skew, abs(skew) * edge)
        k = params.K.copy()
        k[0, 1] = 0.0
        params = replace(params, K=k)
    return params


def _is_camera(fields: dict[str, Any]) -> bool:
    return any(k in fields for k in ("K", "IntrinsicMatrix", "FocalLength"))


def _cells(value: Any) -> list[Any]:
    """The elements of a MATLAB cell array as read (a list, an object or string array, or
    its one element where scipy squeezed a 1 x 1 cell away); ``[]`` for anything else."""
    if isinstance(value, (dict, str)):
        return [value]
    if isinstance(value, list):
        return value
    if isinstance(value, np.ndarray) and value.dtype.kind in "OU":
        return value.ravel().tolist()
    return []


def _rig_cameras(variables: dict[str, Any]) -> dict[str, dict[str, Any]] | None:
    """The cameras of a DANNCE ``*_dannce.mat`` (``params``, named by ``camnames``) or a
    Label3D session (``camParams``), by name; ``None`` where the file has neither. Without
    as many distinct ``camnames`` they are ``Camera1``, ``Camera2``... as DANNCE names
    them."""
    for var in ("params", "camParams"):
        cells = _cells(variables.get(var))
        if cells and all(isinstance(c, dict) and _is_camera(c) for c in cells):
            names = [str(n).strip() for n in _cells(variables.get("camnames"))]
            if len(names) != len(cells) or len(set(names)) != len(names) or "" in names:
                names = [f"Camera{i}" for i in range(1, len(cells) + 1)]
            return dict(zip(names, cells, strict=True))
    return None


@dataclass(frozen=True)
class _MatlabObject:
    """A variable that is a MATLAB object (its class ``cls``, ``""`` where not known), not
    a struct or an array."""

    cls: str


#: The key of a MAT-file's objects whose variables are not known (only their data).
_UNNAMED_OBJECTS = "(objects)"


def _load_mat(path: Path) -> dict[str, Any]:
    """The variables of a MAT-file: arrays, strings, structs as dicts, and
    :class:`_MatlabObject` for objects."""
    head = path.read_bytes()[:128]
    if b"7.3 MAT-file" in head[:116]:
        return _load_mat73(path)
    import scipy.io

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scipy warns of the MCOS objects refused below
            raw = scipy.io.loadmat(str(path), simplify_cells=True)
    except Exception as exc:  # noqa: BLE001 - any damage to the file
        raise CalibrationError(f"MATLAB file {path} cannot be read ({exc!r}).") from None
    out: dict[str, Any] = {}
    for k, v in raw.items():
        if isinstance(v, scipy.io.matlab.MatlabOpaque):
            k, v = _opaque_variable(k, v)
        if not k.startswith("__"):
            out[k] = v
    if not out and "__function_workspace__" in raw:  # MCOS objects' data, nothing else
        out[_UNNAMED_OBJECTS] = _MatlabObject("")
    return out


def _opaque_variable(key: str, value: Any) -> tuple[str, _MatlabObject]:
    """The variable name and class of a MATLAB object (MCOS) as scipy reads it. scipy up to
    1.17 keys it ``'None'`` (its element has no name of its own) and gives three strings:
    the variable's name, ``MCOS`` and the class (``cameraPoses``, ``MCOS``, ``table`` in
    Label3D's 2019 sessions); scipy 1.18 keys it by the variable's name and gives the class
    in the field ``_Class``."""
    names = getattr(getattr(value, "dtype", None), "names", None) or ()
    try:
        if "_Class" in names:
            cls = value[0]["_Class"]
            cls = cls.decode("latin1") if isinstance(cls, bytes) else str(cls)
            return key, _MatlabObject(cls)
        strings = [value[0][i] for i in range(3)]
        if all(isinstance(x, bytes) for x in strings) and strings[0]:
            return strings[0].decode("latin1"), _MatlabObject(strings[2].decode("latin1"))
    except (IndexError, TypeError, ValueError, KeyError):
        pass
    return key, _MatlabObject("")


def _load_mat73(path: Path) -> dict[str, Any]:
    """A v7.3 MAT-file (HDF5) read with h5py: MATLAB stores arrays column-major, so each
    2-D array comes back transposed and is turned round here. A cell array is a dataset of
    references to its elements (under ``#refs#``), read as a list in MATLAB's order; an
    empty array (``MATLAB_empty``, its dataset holding only its size) as an empty one."""
    import h5py

    def value(node: Any) -> Any:
        cls = node.attrs.get("MATLAB_class", b"")
        cls = cls.decode() if isinstance(cls, bytes) else str(cls)
        if isinstance(node, h5py.Group):
            if cls and cls != "struct":
                return _MatlabObject(cls)
            return {k: value(node[k]) for k in node if not k.startswith("#")}
        if cls not in ("", "double", "single", "char", "logical", "cell") and \
                not cls.startswith(("int", "uint")):
            return _MatlabObject(cls)
        if node.attrs.get("MATLAB_empty", 0):
            return {"cell": [], "char": ""}.get(cls, np.zeros(0))
        arr = np.asarray(node[()])
        if cls == "cell":  # stored transposed: raveled, MATLAB's column-major order
            return [value(fh[ref]) for ref in arr.ravel()]
        if cls == "char":
            return "".join(map(chr, arr.ravel()))
        return arr.T

    with h5py.File(path, "r") as fh:
        return {k: value(fh[k]) for k in fh if not k.startswith("#")}


def _matlab_k(k_matlab: np.ndarray) -> np.ndarray:
    """OpenCV's ``K`` of a MATLAB intrinsic matrix.

    MATLAB multiplies row vectors from the right: ``IntrinsicMatrix`` (``cameraParameters``
    before R2022b, and DANNCE's ``K``) is ``[fx 0 0; s fy 0; cx cy 1]``, the transpose of
    OpenCV's (MathWorks, ``cameraParameters`` reference, R2021a, "IntrinsicMatrix"); ``K``
    of R2022b and later is ``[fx s cx; 0 fy cy; 0 0 1]`` (``cameraIntrinsics`` reference).
    Either is taken by where its ``0 0 1`` lies. MATLAB's first pixel's centre is
    ``(1, 1)``, OpenCV's ``(0, 0)``: the principal point moves by -1 (MathWorks,
    ``cameraIntrinsicsToOpenCV``: "subtracting 1 from both the x and y-values")."""
    m = np.asarray(k_matlab, dtype=float).reshape(3, 3)
    if np.allclose(m[2], [0.0, 0.0, 1.0]):
        k = m.copy()
    elif np.allclose(m[:, 2], [0.0, 0.0, 1.0]):
        k = m.T.copy()
    else:
        raise ValueError(f"the intrinsic matrix {m.tolist()} has no 0 0 1 row or column")
    if abs(k[0, 1]) > SKEW_DROPPED * abs(k[0, 0]):
        raise ValueError(f"skew {k[0, 1]:.4g}: dlc-lifter's (OpenCV's) camera has none; "
                         "calibrate with EstimateSkew false")
    k[0, 2] -= 1.0
    k[1, 2] -= 1.0
    return k


def _matlab_camera(c: dict[str, Any], key: str) -> CameraParams:
    """:class:`CameraParams` of a MATLAB camera struct (see
    :func:`read_matlab_calibration`)."""
    if "K" in c:
        k = _matlab_k(c["K"])
    elif "IntrinsicMatrix" in c:
        k = _matlab_k(c["IntrinsicMatrix"])
    else:  # cameraIntrinsics' own fields
        f, p = (np.asarray(c[n], dtype=float).ravel() for n in ("FocalLength", "PrincipalPoint"))
        skew = float(np.asarray(c.get("Skew", 0.0), dtype=float).ravel()[0]) \
            if np.size(c.get("Skew", 0.0)) else 0.0
        k = _matlab_k([[f[0], skew, p[0]], [0.0, f[1], p[1]], [0.0, 0.0, 1.0]])
    # MATLAB's distortion model is OpenCV's: radial k1 k2 [k3], tangential p1 p2
    # (cameraIntrinsicsToOpenCV returns them as [k1 k2 p1 p2 k3]; DANNCE's distortPoints,
    # "ported from Matlab 2018a", applies the same formula).
    radial = np.asarray(c.get("RadialDistortion", c.get("RDistort", [])), dtype=float).ravel()
    tangential = np.asarray(c.get("TangentialDistortion", c.get("TDistort", [])),
                            dtype=float).ravel()
    if radial.size > 3 or tangential.size not in (0, 2):
        raise ValueError(f"{radial.size} radial and {tangential.size} tangential "
                         "distortions (MATLAB's model has 2 or 3, and 2)")
    dist = np.zeros(5)
    dist[: min(2, radial.size)] = radial[:2]
    dist[2: 2 + tangential.size] = tangential
    if radial.size == 3:
        dist[4] = radial[2]
    size = np.asarray(c.get("ImageSize", []), dtype=float).ravel()
    image_size = (int(size[1]), int(size[0])) if size.size == 2 else None  # [rows cols]
    if "r" in c and "t" in c:  # DANNCE: x_cam (row) = x_world r + t
        r = np.asarray(c["r"], dtype=float).reshape(3, 3)
        return CameraParams(K=k, dist=dist, image_size=image_size, name=key, R=r.T,
                            t=np.asarray(c["t"], dtype=float).reshape(3))
    return CameraParams(K=k, dist=dist, image_size=image_size, name=key)
