"""Binary calibrations read by ``load_anipose``: DeepLabCut 3D's intrinsics pickle and MATLAB
``.mat`` files (Camera Calibrator structs, DANNCE / Label3D cameras), each written here as
the tool writes it."""

from __future__ import annotations

import logging
import os
import pickle
import struct

import cv2
import numpy as np
import pytest
import scipy.io

from dlc_lifter.camera import CalibrationError, Camera
from dlc_lifter.io.calibration import load_anipose

#: OpenCV's calibration sample lens (640x480; docs/formats.md), OpenCV's conventions.
K_CV = np.array([[537.66, 0.0, 340.11], [0.0, 537.89, 236.94], [0.0, 0.0, 1.0]])
DIST = np.array([-0.2776, 0.0540, 0.0021, -0.0004, 0.0487])  # k1 k2 p1 p2 k3


def _dlc_entry(k: np.ndarray = K_CV, dist: np.ndarray = DIST) -> dict:
    """One camera as ``deeplabcut.calibrate_cameras`` stores it (cv2.calibrateCamera's
    outputs and the board points)."""
    return {"mtx": k.copy(), "dist": dist.reshape(1, 5).copy(),
            "objpoints": [np.zeros((48, 3), np.float32)],
            "imgpoints": [np.zeros((48, 1, 2), np.float32)]}


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_dlc_intrinsics_pickle_is_read_as_intrinsics(tmp_path, protocol: int) -> None:
    # camera-1's pickle: the cameras not calibrated yet map to an empty list
    path = tmp_path / "camera-1_intrinsic_params.pickle"
    with path.open("wb") as fh:
        pickle.dump({"camera-1": _dlc_entry(), "camera-2": []}, fh, protocol=protocol)
    cam = load_anipose(path)
    np.testing.assert_allclose(cam.K, K_CV)
    np.testing.assert_allclose(cam.dist, DIST)
    assert cam.name == "camera-1" and not cam.fisheye
    assert cam.image_size == (0, 0)  # not in the pickle: the frames' size is taken
    assert "floor plane" in cam.floor_problem()  # intrinsics only
    pts = np.array([[30.0, -20.0, 400.0], [-150.0, 90.0, 450.0]])
    cv_uv = cv2.projectPoints(pts, np.zeros(3), np.zeros(3), K_CV, DIST)[0].reshape(-1, 2)
    np.testing.assert_allclose(cam.project(pts), cv_uv, atol=1e-6)


def test_dlc_pickle_of_several_cameras_is_picked_by_name(tmp_path) -> None:
    path = tmp_path / "camera-2_intrinsic_params.pickle"
    other = K_CV * [[1.1], [1.1], [1.0]]
    with path.open("wb") as fh:
        pickle.dump({"camera-1": _dlc_entry(), "camera-2": _dlc_entry(other)}, fh)
    with pytest.raises(CalibrationError, match="camera-2_intrinsic.*camera-1, camera-2"):
        load_anipose(path)
    np.testing.assert_allclose(load_anipose(path, "camera-2").K, other)
    with pytest.raises(CalibrationError, match="no camera 'top'.*camera-1, camera-2"):
        load_anipose(path, "top")


class _Exploit:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_pickle_naming_other_code_is_refused_and_not_run(tmp_path) -> None:
    marker = tmp_path / "ran"
    path = tmp_path / "camera-1_intrinsic_params.pickle"
    with path.open("wb") as fh:
        pickle.dump({"camera-1": {"mtx": K_CV, "dist": _Exploit(str(marker))}}, fh)
    with pytest.raises(CalibrationError, match=r"camera-1_intrinsic_params.pickle is a pickle "
                                               r"that names (posix|nt|os)\.system"):
        load_anipose(path)
    assert not marker.exists()
    path.write_bytes(pickle.dumps({"camera-1": {"mtx": eval}}))  # noqa: S307 - never called
    with pytest.raises(CalibrationError, match=r"names builtins\.eval"):
        load_anipose(path)


def _stereo_entry(k1: np.ndarray, d1: np.ndarray, k2: np.ndarray, d2: np.ndarray,
                  sizes: tuple = ((640, 480), (640, 480))) -> dict:
    """One pair of ``stereo_params.pickle`` as ``deeplabcut.calibrate_cameras`` stores it
    (cv2.stereoCalibrate's and cv2.stereoRectify's outputs; ``image_shape`` the two
    cameras' ``gray.shape[::-1]``, ``(width, height)``)."""
    rng = np.random.default_rng(3)
    return {"cameraMatrix1": k1.copy(), "cameraMatrix2": k2.copy(),
            "distCoeffs1": d1.reshape(1, 5).copy(), "distCoeffs2": d2.reshape(1, 5).copy(),
            "R": cv2.Rodrigues(np.array([0.1, -0.5, 0.05]))[0], "T": np.array([[-120.0],
                                                                             [4.0], [15.0]]),
            "E": rng.normal(size=(3, 3)), "F": rng.normal(size=(3, 3)),
            "R1": np.eye(3), "R2": np.eye(3), "P1": np.zeros((3, 4)), "P2": np.zeros((3, 4)),
            "Q": np.zeros((4, 4)), "roi1": (0, 0, 640, 480), "roi2": (3, 2, 630, 470),
            "image_shape": [tuple(sizes[0]), tuple(sizes[1])]}


def test_dlc_stereo_pickle_camera_is_its_intrinsics_pickles(tmp_path, caplog) -> None:
    """DeepLabCut 3D's ``camera_matrix/stereo_params.pickle`` beside the intrinsics
    pickles: each camera of the pair is the one its intrinsics pickle gives (stereo
    calibration with the intrinsics fixed), with the image size it records."""
    k2, d2 = K_CV * [[1.1], [1.1], [1.0]], DIST * 0.5
    folder = tmp_path / "camera_matrix"
    folder.mkdir()
    for cam in ("camera-1", "camera-2"):  # each dumps the cameras calibrated so far
        with (folder / f"{cam}_intrinsic_params.pickle").open("wb") as fh:
            pickle.dump({"camera-1": _dlc_entry(K_CV, DIST),
                         "camera-2": _dlc_entry(k2, d2) if cam == "camera-2" else []}, fh)
    stereo = folder / "stereo_params.pickle"
    with stereo.open("wb") as fh:  # auxiliaryfunctions.write_pickle: the highest protocol
        pickle.dump({"camera-1-camera-2": _stereo_entry(K_CV, DIST, k2, d2)}, fh,
                    protocol=pickle.HIGHEST_PROTOCOL)
    for cam, names in (("camera-1", ("camera-1", "Camera1")), ("camera-2", ("camera-2",
                                                                           "Camera2"))):
        lens = load_anipose(folder / f"{cam}_intrinsic_params.pickle", cam)
        for name in names:
            with caplog.at_level(logging.INFO, logger="dlc_lifter.io.camera_files"):
                got = load_anipose(stereo, name)
            np.testing.assert_array_equal(got.K, lens.K)
            np.testing.assert_array_equal(got.dist, lens.dist)
            assert got.name == cam and got.image_size == (640, 480)
            assert "floor plane" in got.floor_problem()  # intrinsics only
    assert "Camera 'camera-2' (pair 'camera-1-camera-2') in" in caplog.text
    assert "extrinsics (R, T between its two cameras) are not needed" in caplog.text
    # the messages pick_camera gives, with the positions named
    with pytest.raises(CalibrationError, match=r"stereo_params.pickle holds cameras camera-1, "
                                               r"camera-2: pick one with camera_name=NAME "
                                               r"\(or Camera1 to Camera2, by position\)"):
        load_anipose(stereo)
    with pytest.raises(CalibrationError, match="no camera 'top'; it holds camera-1, camera-2"):
        load_anipose(stereo, "top")
    with pytest.raises(CalibrationError, match="no camera 'Camera3'"):
        load_anipose(stereo, "Camera3")


def test_dlc_stereo_pickle_camera_names_with_hyphens(tmp_path) -> None:
    """The pair's key joins two names that may hold ``-`` themselves: the name asked for
    decides the cut; else the middle ``-``; else the cameras are Camera1 and Camera2."""
    k2 = K_CV * [[0.9], [0.9], [1.0]]
    path = tmp_path / "stereo_params.pickle"
    path.write_bytes(pickle.dumps({"top-cam-side": _stereo_entry(K_CV, DIST, k2, DIST,
                                                                 ((640, 480), (800, 600)))}))
    np.testing.assert_allclose(load_anipose(path, "side").K, k2)
    assert load_anipose(path, "side").image_size == (800, 600)
    np.testing.assert_allclose(load_anipose(path, "top-cam").K, K_CV)
    np.testing.assert_allclose(load_anipose(path, "Camera2").K, k2)
    # without a name, or a name not in the key: the message names the key and what to give
    # (it listed Camera1, Camera2 alone, names the file does not hold)
    for name, said in ((None, r"holds cameras Camera1, Camera2: pick one with "
                              r"camera_name=NAME\. "),
                       ("top-camera", r"has no camera 'top-camera'; it holds Camera1, "
                                      r"Camera2\. ")):
        with pytest.raises(CalibrationError, match=said + r"The pair 'top-cam-side' joins its "
                           r"two cameras' names with '-', which the names hold too.*give "
                           r"camera_name= one of them as your DeepLabCut 3D project's "
                           r"config.yaml names it \(camera_names\), or Camera1 / Camera2"):
            load_anipose(path, name)
    path.write_bytes(pickle.dumps({"left-right": _stereo_entry(K_CV, DIST, k2, DIST)}))
    assert load_anipose(path, "right").name == "right"
    with pytest.raises(CalibrationError, match="holds cameras left, right"):
        load_anipose(path)


def test_dlc_stereo_pickle_naming_other_code_is_refused_and_not_run(tmp_path) -> None:
    marker = tmp_path / "ran"
    path = tmp_path / "stereo_params.pickle"
    entry = _stereo_entry(K_CV, DIST, K_CV, DIST)
    entry["T"] = _Exploit(str(marker))
    with path.open("wb") as fh:
        pickle.dump({"camera-1-camera-2": entry}, fh)
    with pytest.raises(CalibrationError, match=r"stereo_params.pickle is a pickle that names "
                                               r"(posix|nt|os)\.system.*intrinsic_params.pickle "
                                               r"or stereo_params.pickle"):
        load_anipose(path, "camera-1")
    assert not marker.exists()


def _matlab_k(k_cv: np.ndarray = K_CV) -> np.ndarray:
    """MATLAB's ``IntrinsicMatrix`` of an OpenCV ``K``: transposed, principal point 1-based."""
    k = k_cv.copy()
    k[:2, 2] += 1.0
    return k.T


def _assert_opencv_lens(cam: Camera, size: tuple[int, int] | None = (640, 480)) -> None:
    np.testing.assert_allclose(cam.K, K_CV)
    np.testing.assert_allclose(cam.dist, DIST)
    assert cam.image_size == (size or (0, 0))
    # the optical axis meets the image at MATLAB's principal point less one pixel
    np.testing.assert_allclose(cam.project(np.array([0.0, 0.0, 500.0])),
                               [340.11, 236.94], atol=1e-9)
    pts = np.array([[120.0, -80.0, 400.0]])
    cv_uv = cv2.projectPoints(pts, np.zeros(3), np.zeros(3), K_CV, DIST)[0].reshape(-1, 2)
    np.testing.assert_allclose(cam.project(pts), cv_uv, atol=1e-6)


def test_matlab_camera_parameters_struct_is_read_in_opencv_convention(tmp_path) -> None:
    fields = {"RadialDistortion": DIST[[0, 1, 4]].reshape(1, 3),
              "TangentialDistortion": DIST[2:4].reshape(1, 2),
              "ImageSize": np.array([[480.0, 640.0]]),  # [rows cols]
              "RotationVectors": np.ones((3, 3)), "TranslationVectors": np.ones((3, 3)) * 500,
              "WorldUnits": "millimeters", "EstimateSkew": False}
    old = tmp_path / "old.mat"  # toStruct of R2022a and before: IntrinsicMatrix, transposed
    scipy.io.savemat(old, {"cameraParams": {"IntrinsicMatrix": _matlab_k(), **fields}})
    new = tmp_path / "new.mat"  # R2022b on: K as written; save('-struct'): fields as variables
    scipy.io.savemat(new, {"K": _matlab_k().T, **fields})
    for path in (old, new):
        cam = load_anipose(path)
        _assert_opencv_lens(cam)
        assert "floor plane" in cam.floor_problem()  # the boards' poses are not the floor's
    assert load_anipose(old).name == "cameraParams"
    two = tmp_path / "two.mat"
    scipy.io.savemat(two, {"top": {"IntrinsicMatrix": _matlab_k(), **fields},
                           "side": {"IntrinsicMatrix": _matlab_k(K_CV * 2), **fields}})
    with pytest.raises(CalibrationError, match="two.mat holds cameras (top, side|side, top)"):
        load_anipose(two)
    _assert_opencv_lens(load_anipose(two, "top"))


def test_matlab_camera_intrinsics_struct_and_refusals(tmp_path, caplog) -> None:
    intr = {"FocalLength": np.array([[537.66, 537.89]]),
            "PrincipalPoint": np.array([[341.11, 237.94]]), "ImageSize": np.array([[480, 640]]),
            "RadialDistortion": DIST[[0, 1, 4]], "TangentialDistortion": DIST[2:4], "Skew": 0.0}
    path = tmp_path / "intrinsics.mat"
    scipy.io.savemat(path, {"intrinsics": intr})
    _assert_opencv_lens(load_anipose(path))
    # a few pixels of skew (MATLAB's EstimateSkew; Label3D's sessions -5.9 to 1.4 px at
    # f 1660) are dropped, warned with how far points move; more is refused
    scipy.io.savemat(path, {"intrinsics": {**intr, "Skew": 2.5}})
    with caplog.at_level(logging.WARNING, logger="dlc_lifter.io.camera_files"):
        _assert_opencv_lens(load_anipose(path))
    assert "skew of 2.5 px" in caplog.text and "up to 1.1 px" in caplog.text
    scipy.io.savemat(path, {"intrinsics": {**intr, "Skew": 5.0}})
    with pytest.raises(CalibrationError, match="intrinsics.mat.*skew 5"):
        load_anipose(path)
    scipy.io.savemat(path, {"frames": np.arange(3.0), "labels": "x"})
    with pytest.raises(CalibrationError, match="intrinsics.mat is a MATLAB file with no camera "
                                               "in it \\(variables: frames, labels\\)"):
        load_anipose(path)


def test_matlab_object_saved_without_to_struct_is_refused(tmp_path, monkeypatch) -> None:
    """scipy reads a MATLAB object (MCOS) as an opaque array: one message saying to save
    ``toStruct(cameraParams)``."""
    path = tmp_path / "calib.mat"
    scipy.io.savemat(path, {"x": 1.0})  # a MAT-file header; its content is replaced below
    opaque = np.zeros(1, dtype=[("s0", "O"), ("s1", "O"), ("s2", "O"), ("arr", "O")]).view(
        scipy.io.matlab.MatlabOpaque)
    monkeypatch.setattr(scipy.io, "loadmat",
                        lambda *a, **k: {"__header__": b"", "cameraParams": opaque})
    with pytest.raises(CalibrationError, match=r"calib.mat holds a MATLAB object.*"
                                               r"toStruct\(cameraParams\)"):
        load_anipose(path)


def _element(mdtype: int, data: bytes) -> bytes:
    """A MAT-file v5 data element (little-endian): its tag, then its data padded to 8."""
    return struct.pack("<II", mdtype, len(data)) + data + b"\0" * (-len(data) % 8)


def _save_with_object(path, var: str, cls: str, variables: dict) -> None:
    """A v5 MAT-file of ``variables`` and a MATLAB class object ``var`` as ``save`` writes
    one (``mxOPAQUE_CLASS``: array flags, no dimensions nor name, then three strings: the
    variable's name, ``MCOS``, the class; then its object ids), the bytes built here (scipy
    does not write objects). scipy reads it as it reads Label3D's 2019 session files: a
    ``MatlabOpaque`` keyed ``'None'``."""
    scipy.io.savemat(path, variables)
    ids = _element(14, _element(6, struct.pack("<II", 13, 0))  # uint32 6 x 1
                   + _element(5, struct.pack("<ii", 6, 1)) + _element(1, b"")
                   + _element(6, np.array([3707764736, 2, 1, 1, 1, 1], "<u4").tobytes()))
    body = (_element(6, struct.pack("<II", 17, 0)) + _element(1, var.encode())
            + _element(1, b"MCOS") + _element(1, cls.encode()) + ids)
    with path.open("ab") as fh:
        fh.write(_element(14, body))


def test_label3d_2019_object_file_is_refused_naming_the_object(tmp_path) -> None:
    """Label3D's 2019 per-camera file (``2019_11_04_16_37_32Camera_1.mat``): labels and a
    MATLAB ``table`` object ``cameraPoses``, no camera scipy can read. The message names the
    object and its class (not scipy's ``'None'``) and the other ways to give the camera."""
    path = tmp_path / "2019_11_04_Camera_1.mat"
    _save_with_object(path, "cameraPoses", "table",
                      {"imageSize": np.array([[1048, 1328]], np.uint16),
                       "data_3D": np.zeros((3, 27)), "data_2D": np.zeros((3, 18))})
    # how scipy reads such a variable: keyed 'None' up to scipy 1.17, by its name from 1.18
    assert {"None", "cameraPoses"} & set(scipy.io.loadmat(path))
    for name in (None, "Camera1"):
        with pytest.raises(CalibrationError) as err:
            load_anipose(path, name)
        msg = str(err.value)
        assert msg.startswith(f"{path} holds a MATLAB object ('cameraPoses', class table), "
                              "which only MATLAB can read, and no camera beside it (its other "
                              "variables: imageSize, data_3D, data_2D)")
        assert "'None'" not in msg
        assert "toStruct(cameraParams)" in msg and "'-struct'" in msg
        assert "*_params.mat or *_dannce.mat" in msg


def test_matlab_v73_file_is_read_with_h5py(tmp_path) -> None:
    """A v7.3 MAT-file: HDF5 after a 512-byte MATLAB header, arrays stored column-major."""
    h5py = pytest.importorskip("h5py")
    path = tmp_path / "v73.mat"
    with h5py.File(path, "w", userblock_size=512) as fh:
        g = fh.create_group("cameraParams")
        g.attrs["MATLAB_class"] = np.bytes_("struct")
        for name, value in {"IntrinsicMatrix": _matlab_k(),
                            "RadialDistortion": DIST[[0, 1, 4]].reshape(1, 3),
                            "TangentialDistortion": DIST[2:4].reshape(1, 2),
                            "ImageSize": np.array([[480.0, 640.0]])}.items():
            ds = g.create_dataset(name, data=value.T)  # as MATLAB writes: transposed
            ds.attrs["MATLAB_class"] = np.bytes_("double")
        obj = fh.create_group("stereoParams")
        obj.attrs["MATLAB_class"] = np.bytes_("stereoParameters")
    with path.open("r+b") as fh:
        fh.write(b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 "
                 b"HDF5 schema 1.00 .".ljust(116))
    _assert_opencv_lens(load_anipose(path))  # the only camera: the object is no camera
    with pytest.raises(CalibrationError, match=r"v73.mat holds a MATLAB object \('stereoParams', "
                                               r"class stereoParameters\).*toStruct"):
        load_anipose(path, "stereoParams")


def _dannce_project(pts: np.ndarray, k: np.ndarray, r: np.ndarray, t: np.ndarray,
                    rdist: np.ndarray, tdist: np.ndarray) -> np.ndarray:
    """DANNCE's ``ops.project_to2d`` then ``ops.distortPoints`` (MATLAB's convention: row
    vectors, ``[X 1] [r; t] K``), as spoonsso/dannce dannce/engine/ops.py writes them."""
    m = np.concatenate([r, t.reshape(1, 3)], axis=0) @ k
    proj = np.c_[pts, np.ones(len(pts))] @ m
    uv = proj[:, :2] / proj[:, 2:]
    cx, cy, fx, fy = k[2, 0], k[2, 1], k[0, 0], k[1, 1]
    y = (uv[:, 1] - cy) / fy
    x = (uv[:, 0] - cx) / fx
    r2 = x * x + y * y
    alpha = rdist[0] * r2 + rdist[1] * r2 * r2
    xd = x + x * alpha + 2 * tdist[0] * x * y + tdist[1] * (r2 + 2 * x * x)
    yd = y + y * alpha + tdist[0] * (r2 + 2 * y * y) + 2 * tdist[1] * x * y
    return np.c_[xd * fx + cx, yd * fy + cy]


def test_dannce_params_file_reprojects_as_dannce(tmp_path) -> None:
    above = Camera.top_view(600.0, 900.0, (1280, 1024), centre_xy=(40.0, -25.0),
                            tilt_rad=0.3, tilt_direction_rad=1.0, roll_rad=0.4)
    r, t = above.R.T, above.t  # DANNCE: x_cam (row) = x_world r + t
    k = _matlab_k(above.K)
    rdist, tdist = np.array([0.09, -0.4]), np.array([0.002, -0.001])
    path = tmp_path / "cam1_params.mat"
    scipy.io.savemat(path, {"K": k, "RDistort": rdist.reshape(1, 2),
                            "TDistort": tdist.reshape(1, 2), "r": r, "t": t.reshape(1, 3)})
    cam = load_anipose(path)
    assert cam.name == "cam1_params" and cam.image_size == (0, 0)
    np.testing.assert_allclose(cam.centre, above.centre, atol=1e-9)
    assert cam.floor_problem() == ""  # its world's floor is in front of it: a world camera
    pts = np.random.default_rng(0).uniform([-120, -120, 0], [120, 120, 60], (20, 3))
    dannce_uv = _dannce_project(pts, k, r, t, rdist, tdist)  # 1-based pixels
    np.testing.assert_allclose(cam.project(pts), dannce_uv - 1.0, atol=1e-9)


def test_unknown_files_list_the_kinds_read(tmp_path) -> None:
    path = tmp_path / "calib.bin"
    path.write_bytes(b"\x00\xff\xfe binary")
    with pytest.raises(CalibrationError, match="calib.bin is not text.*anipose calibration.toml"
                                               ".*OpenCV FileStorage.*DeepLabCut 3D.*"
                                               "toStruct\\(cameraParams\\).*DANNCE"):
        load_anipose(path)
    path = tmp_path / "calib.json"
    path.write_text('{"focal": [1, 2]}')
    with pytest.raises(CalibrationError, match="calib.json is not valid TOML.*DeepLabCut 3D.*"
                                               "MATLAB"):
        load_anipose(path)


def test_a_calibration_without_image_size_takes_the_frames(tmp_path) -> None:
    from dlc_lifter.lift.camera_estimate import resolve_camera

    path = tmp_path / "camera-1_intrinsic_params.pickle"
    path.write_bytes(pickle.dumps({"camera-1": _dlc_entry()}))
    uv = np.full((4, 3, 2), 300.0)
    conf = np.ones((4, 3))
    choice = resolve_camera(uv, conf, (640, 480), calibration=path, camera_height_mm=450.0)
    assert choice.camera.image_size == (640, 480)
    np.testing.assert_allclose(choice.camera.K, K_CV)
    assert choice.camera.height_mm == pytest.approx(450.0)
    with pytest.raises(CalibrationError, match="camera-1_intrinsic_params.pickle.*does not "
                                               "record the image size.*--image-size"):
        resolve_camera(uv, conf, (0, 0), calibration=path, camera_height_mm=450.0)


def _dannce_rig() -> tuple[list[dict], list[Camera]]:
    """Two cameras of a rig as DANNCE stores them (``K`` transposed and 1-based, ``r``
    transposed, row vectors) and the cameras they are."""
    cams = [Camera.top_view(600.0, 900.0, (1280, 1024), centre_xy=(40.0, -25.0),
                            tilt_rad=0.3, tilt_direction_rad=1.0, roll_rad=0.4),
            Camera.top_view(450.0, 1100.0, (1280, 1024), centre_xy=(-60.0, 30.0),
                            tilt_rad=0.5, tilt_direction_rad=-2.0, roll_rad=-0.2)]
    params = [{"K": _matlab_k(c.K), "RDistort": np.array([[0.09, -0.4]]) * (i + 1),
               "TDistort": np.array([[0.002, -0.001]]), "r": c.R.T, "t": c.t.reshape(1, 3)}
              for i, c in enumerate(cams)]
    return params, cams


def _cell(items: list) -> np.ndarray:
    """A 1 x n object array: what scipy.io.savemat writes as a MATLAB cell array."""
    out = np.empty((1, len(items)), dtype=object)
    for i, item in enumerate(items):
        out[0, i] = item
    return out


def _assert_reprojects(cam: Camera, p: dict) -> None:
    pts = np.random.default_rng(1).uniform([-120, -120, 0], [120, 120, 60], (20, 3))
    dannce_uv = _dannce_project(pts, p["K"], p["r"], p["t"], p["RDistort"].ravel(),
                                p["TDistort"].ravel())
    np.testing.assert_allclose(cam.project(pts), dannce_uv - 1.0, atol=1e-9)


def test_dannce_project_file_is_a_rig_picked_by_camnames(tmp_path) -> None:
    """DANNCE's ``*_dannce.mat`` (Label3D's ``*_Label3D_dannce.mat``): cell arrays
    ``params`` and ``camnames`` beside the labels; one camera by its name or position."""
    params, cams = _dannce_rig()
    path = tmp_path / "rig_Label3D_dannce.mat"
    labels = {"data_2d": np.zeros((2, 4)), "data_3d": np.zeros((2, 6)),
              "data_frame": np.arange(2.0), "data_sampleID": np.arange(2.0)}
    scipy.io.savemat(path, {"params": _cell(params).T, "camnames": _cell(["top", "Side"]),
                            "labelData": _cell([labels, labels]).T,
                            "sync": _cell([labels, labels]).T})
    with pytest.raises(CalibrationError, match=r"rig_Label3D_dannce.mat holds cameras top, "
                                               r"Side: pick one.*Camera1 to Camera2"):
        load_anipose(path)
    for name, i in (("Side", 1), ("top", 0), ("Camera2", 1), ("Camera1", 0)):
        cam = load_anipose(path, name)
        assert cam.name == ["top", "Side"][i] and cam.image_size == (0, 0)
        np.testing.assert_allclose(cam.centre, cams[i].centre, atol=1e-9)
        _assert_reprojects(cam, params[i])
    with pytest.raises(CalibrationError, match="no camera 'side'; it holds top, Side"):
        load_anipose(path, "side")  # case as written
    with pytest.raises(CalibrationError, match="no camera 'Camera3'"):
        load_anipose(path, "Camera3")
    one = tmp_path / "one_dannce.mat"  # a 1 x 1 cell: scipy reads its element alone
    scipy.io.savemat(one, {"params": _cell(params[1:]), "camnames": _cell(["Camera1"])})
    cam = load_anipose(one)
    assert cam.name == "Camera1"
    _assert_reprojects(cam, params[1])


def test_label3d_session_cameras_are_camera1_on(tmp_path) -> None:
    """A Label3D session (``camParams``, no ``camnames``, labels beside it):
    cameras ``Camera1``... as DANNCE names them."""
    params, _ = _dannce_rig()
    path = tmp_path / "20200623_174153_Label3D.mat"
    scipy.io.savemat(path, {"camParams": _cell(params).T, "data_3D": np.zeros((3, 6)),
                            "imageSize": np.array([[1024, 1280], [1024, 1280]])})
    with pytest.raises(CalibrationError, match=r"holds cameras Camera1, Camera2: pick one "
                                               r"with camera_name=NAME\.$"):
        load_anipose(path)
    _assert_reprojects(load_anipose(path, "Camera2"), params[1])


def _h5_value(fh, name: str, value) -> object:
    """``value`` written under ``name`` as MATLAB -v7.3 writes it: arrays transposed, chars
    as uint16, structs as groups, cell arrays as datasets of references into ``#refs#``."""
    import h5py

    if isinstance(value, dict):
        node = fh.create_group(name)
        node.attrs["MATLAB_class"] = np.bytes_("struct")
        for k, v in value.items():
            _h5_value(node, k, v)
    elif isinstance(value, list):
        refs = [_h5_value(fh.file.require_group("#refs#"), f"{name.strip('/')}_{i}", v).ref
                for i, v in enumerate(value)]
        node = fh.create_dataset(name, data=np.array(refs, dtype=h5py.ref_dtype).reshape(-1, 1))
        node.attrs["MATLAB_class"] = np.bytes_("cell")
    elif isinstance(value, str):
        node = fh.create_dataset(name, data=np.array([[ord(c)] for c in value], np.uint16))
        node.attrs["MATLAB_class"] = np.bytes_("char")
        node.attrs["MATLAB_int_decode"] = 2
    else:
        node = fh.create_dataset(name, data=np.atleast_2d(value).T)
        node.attrs["MATLAB_class"] = np.bytes_("double")
    return node


def test_dannce_project_file_v73_cell_arrays_are_read(tmp_path) -> None:
    h5py = pytest.importorskip("h5py")
    params, cams = _dannce_rig()
    path = tmp_path / "rig_dannce.mat"
    with h5py.File(path, "w", userblock_size=512) as fh:
        _h5_value(fh, "params", params)
        _h5_value(fh, "camnames", ["Camera1", "Camera2"])
        empty = fh.create_dataset("sync", data=np.array([0, 0], np.uint64))
        empty.attrs["MATLAB_class"] = np.bytes_("cell")
        empty.attrs["MATLAB_empty"] = 1
    with path.open("r+b") as fh:
        fh.write(b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 "
                 b"HDF5 schema 1.00 .".ljust(116))
    with pytest.raises(CalibrationError, match="holds cameras Camera1, Camera2"):
        load_anipose(path)
    cam = load_anipose(path, "Camera2")
    np.testing.assert_allclose(cam.centre, cams[1].centre, atol=1e-9)
    _assert_reprojects(cam, params[1])


def test_matlab_object_message_names_the_object_when_another_name_is_asked(tmp_path,
                                                                           monkeypatch) -> None:
    path = tmp_path / "calib.mat"
    scipy.io.savemat(path, {"x": 1.0})
    opaque = np.zeros(1, dtype=[("s0", "O"), ("s1", "O"), ("s2", "O"), ("arr", "O")]).view(
        scipy.io.matlab.MatlabOpaque)
    monkeypatch.setattr(scipy.io, "loadmat",
                        lambda *a, **k: {"__header__": b"", "cameraParams": opaque})
    with pytest.raises(CalibrationError, match=r"holds a MATLAB object \('cameraParams'\)"):
        load_anipose(path, "Camera2")
