"""movement's poses datasets saved as netCDF (``ds.to_netcdf``) read as poses.

The files are built here as xarray writes them (netCDF-4: HDF5 with dimension scales;
netCDF-3: SciPy's writer), so the reader is tested without xarray; where movement is
installed (the Python 3.13 test environment) its own ``to_netcdf`` output is read too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dlc_lifter.errors import PoseFileError
from dlc_lifter.io import detect_format, read_poses

KEYPOINTS = ["nose", "left_ear", "right_ear", "tail_base"]
INDIVIDUALS = ["m1", "m2"]
N = 5


def _position() -> np.ndarray:
    """(time, individuals, keypoints, space): ``100*t + 10*i + k`` and that + 0.5."""
    t, i, k = np.meshgrid(np.arange(N), np.arange(2), np.arange(4), indexing="ij")
    base = 100.0 * t + 10 * i + k
    pos = np.stack([base, base + 0.5], axis=-1)
    pos[2, 1, 3] = np.nan
    return pos


def _confidence() -> np.ndarray:
    conf = np.full((N, 2, 4), 0.9)
    conf[2, 1, 3] = np.nan
    return conf


def _write_nc4(path: Path, *, order: tuple[str, ...] = ("time", "space", "keypoints",
                                                          "individuals"),
               singular: bool = False, time_unit: str = "seconds", fps: float | None = 25.0,
               space: tuple[str, ...] = ("x", "y"), ds_type: str = "poses",
               source_file: str = "/data/m1DLC_resnet50_oftMay1shuffle1_1000.h5") -> Path:
    """A netCDF-4 file laid out as xarray's netCDF4 engine writes movement's dataset."""
    import h5py

    kp, ind = ("keypoint", "individual") if singular else ("keypoints", "individuals")
    names = {"time": "time", "space": "space", "keypoints": kp, "individuals": ind}
    axes = {"time": 0, "individuals": 1, "keypoints": 2, "space": 3}
    pos = _position()
    if len(space) == 3:
        pos = np.concatenate([pos, pos[..., :1]], axis=-1)
    pos = pos.transpose([axes[d] for d in order])
    conf = _confidence().transpose(0, 2, 1)  # (time, keypoints, individuals)
    t = np.arange(N) / fps if time_unit == "seconds" and fps else np.arange(N, dtype=float)
    with h5py.File(path, "w") as fh:
        str_dt = h5py.string_dtype()
        scales = {"time": fh.create_dataset("time", data=t),
                  "space": fh.create_dataset("space", data=list(space), dtype=str_dt),
                  "keypoints": fh.create_dataset(kp, data=KEYPOINTS, dtype=str_dt),
                  "individuals": fh.create_dataset(ind, data=INDIVIDUALS, dtype=str_dt)}
        for dim, ds in scales.items():
            ds.make_scale(names[dim])
        position = fh.create_dataset("position", data=pos)
        confidence = fh.create_dataset("confidence", data=conf)
        for var, dims in ((position, order), (confidence, ("time", "keypoints",
                                                           "individuals"))):
            for i, dim in enumerate(dims):
                var.dims[i].attach_scale(scales[dim])
        fh.attrs.update({"source_software": "DeepLabCut", "ds_type": ds_type,
                         "time_unit": time_unit, "source_file": source_file})
        if fps is not None:
            fh.attrs["fps"] = fps
    return path


def _write_nc3(path: Path) -> Path:
    """A netCDF-3 file as xarray's SciPy engine writes movement's dataset (names as
    character arrays)."""
    from scipy.io import netcdf_file

    def chars(words: list[str]) -> np.ndarray:
        width = max(map(len, words))
        return np.array([list(w.ljust(width, "\0")) for w in words], dtype="S1")

    with netcdf_file(path, "w") as fh:
        fh.createDimension("time", N)
        fh.createDimension("space", 2)
        fh.createDimension("keypoints", 4)
        fh.createDimension("individuals", 2)
        for name, words in (("keypoints", KEYPOINTS), ("individuals", INDIVIDUALS),
                            ("space", ["x", "y"])):
            arr = chars(words)
            fh.createDimension(f"string{arr.shape[1]}_{name}", arr.shape[1])
            fh.createVariable(name, "S1", (name, f"string{arr.shape[1]}_{name}"))[:] = arr
        fh.createVariable("time", "i4", ("time",))[:] = np.arange(N)
        fh.createVariable("position", "f8", ("time", "space", "keypoints", "individuals"))[
            :] = _position().transpose(0, 3, 2, 1)
        fh.createVariable("confidence", "f8", ("time", "keypoints", "individuals"))[
            :] = _confidence().transpose(0, 2, 1)
        fh.source_software = "SLEAP"
        fh.ds_type = "poses"
        fh.time_unit = "frames"
    return path


def _check(p) -> None:
    assert p.keypoints == KEYPOINTS and p.individuals == INDIVIDUALS
    np.testing.assert_array_equal(p.frame_indices, np.arange(N))
    np.testing.assert_allclose(p.coords, _position())
    np.testing.assert_allclose(p.confidence, _confidence())


@pytest.mark.parametrize("order", [("time", "space", "keypoints", "individuals"),
                                   ("time", "individuals", "keypoints", "space")])
@pytest.mark.parametrize("singular", [False, True])
def test_movement_netcdf4_reads_in_any_dimension_order_and_naming(
        tmp_path: Path, order: tuple[str, ...], singular: bool) -> None:
    """movement's current layout, the older one, and 0.16's singular names read alike;
    time in seconds becomes frames through the fps; the video is found by the name of the
    file movement loaded."""
    (tmp_path / "m1.mp4").write_bytes(b"x")
    f = _write_nc4(tmp_path / "cleaned.nc", order=order, singular=singular)
    assert detect_format(f) == "movement-nc"
    p = read_poses(f)
    _check(p)
    assert p.meta.fps == 25.0 and p.meta.scorer == "DeepLabCut"
    assert p.meta.video == str(tmp_path / "m1.mp4")


def test_movement_netcdf3_reads(tmp_path: Path) -> None:
    p = read_poses(_write_nc3(tmp_path / "poses.nc"))
    _check(p)
    assert p.meta.fps is None and p.meta.scorer == "SLEAP"


def test_time_in_seconds_without_fps_takes_the_rate_from_its_steps(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    import h5py

    f = _write_nc4(tmp_path / "a.nc", fps=None)
    with h5py.File(f, "r+") as fh:
        fh["time"][...] = np.arange(N) / 30.0
    with caplog.at_level("WARNING"):
        p = read_poses(f)
    assert p.meta.fps == pytest.approx(30.0)
    np.testing.assert_array_equal(p.frame_indices, np.arange(N))
    assert "no fps attribute" in caplog.text


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"ds_type": "bboxes"}, "bounding boxes, not of poses"),
    ({"space": ("x", "y", "z")}, "holds 3D points"),
])
def test_movement_files_that_are_not_2d_poses_are_refused(tmp_path: Path, kwargs: dict,
                                                          message: str) -> None:
    with pytest.raises(PoseFileError, match=message):
        read_poses(_write_nc4(tmp_path / "a.nc", **kwargs))


def test_a_netcdf_of_something_else_or_no_netcdf_is_refused(tmp_path: Path) -> None:
    import h5py

    other = tmp_path / "climate.nc"
    with h5py.File(other, "w") as fh:
        fh["temperature"] = np.zeros((3, 4))
    with pytest.raises(PoseFileError, match="holds no movement poses dataset"):
        read_poses(other)
    text = tmp_path / "notes.nc"
    text.write_text("hello")
    with pytest.raises(PoseFileError, match="is not a netCDF file"):
        read_poses(text)


def test_a_movement_copy_beside_its_tracker_file_is_passed_over(tmp_path: Path) -> None:
    from dlc_lifter.io.find import find_pose_files

    h5 = tmp_path / "m1DLC_resnet50_oftMay1shuffle1_1000.h5"
    h5.write_bytes(b"x")
    nc = _write_nc4(tmp_path / "m1DLC_resnet50_oftMay1shuffle1_1000.nc")
    alone = _write_nc4(tmp_path / "m2_filtered.nc")
    found = find_pose_files([tmp_path])
    assert sorted(found.files) == sorted([h5, alone])
    assert "the same recording as" in found.passed_over[nc]


def test_movement_s_own_netcdf_reads_as_the_file_it_loaded(tmp_path: Path) -> None:
    """Where movement (and an xarray netCDF engine) is installed: a DeepLabCut file loaded
    by movement and saved with ``to_netcdf`` reads as the file itself."""
    load_poses = pytest.importorskip(
        "movement.io.load_poses",
        reason="movement is not installed (it needs numpy 2; it is in the Python 3.13 "
               "test environment only)")
    from tests.fixtures.toys import random_poses, write_dlc_analysis

    p = random_poses(9, ["individual0"], dim=2, seed=5, coord_range=(0, 600),
                     conf_range=(0.1, 1), nan_at=[(3, 0, 1)], frame_indices=np.arange(9))
    h5 = write_dlc_analysis(p, tmp_path)
    ds = load_poses.from_dlc_file(h5, fps=30)
    nc = tmp_path / "saved_by_movement.nc"
    try:
        ds.to_netcdf(nc)
    except (ValueError, ImportError) as exc:  # no netCDF engine installed
        pytest.skip(f"xarray cannot write netCDF here: {exc}")
    a, b = read_poses(nc), read_poses(h5)
    np.testing.assert_allclose(a.coords, b.coords)
    np.testing.assert_allclose(a.confidence, b.confidence)
    assert a.keypoints == b.keypoints and a.meta.fps == 30
    np.testing.assert_array_equal(a.frame_indices, b.frame_indices)
