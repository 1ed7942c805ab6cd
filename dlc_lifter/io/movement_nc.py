"""movement's poses datasets saved as netCDF (``ds.to_netcdf("poses.nc")``).

`movement <https://movement.neuroinformatics.dev>`_ loads DeepLabCut, SLEAP, Lightning Pose
and other trackers' files into one xarray dataset, and its users save their cleaned,
filtered or interpolated poses as netCDF: ``position`` over ``(time, space, keypoints,
individuals)`` (older releases: ``(time, individuals, keypoints, space)``; 0.16 and later
name them ``keypoint`` and ``individual``; the dimensions are named in the file, so each
reads), ``confidence`` over ``(time, keypoints, individuals)``, the attributes
``source_software``, ``ds_type``, ``fps``, ``time_unit`` (``"seconds"`` or ``"frames"``)
and ``source_file``.

xarray writes netCDF-4 (an HDF5 file, read here with h5py) where netCDF4 or h5netcdf is
installed, and netCDF-3 (read with SciPy) otherwise; neither needs xarray. The format is
``movement-nc``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from dlc_lifter.errors import PoseFileError
from dlc_lifter.io._common import (
    check_input_file,
    duplicate_names,
    find_video,
    is_hdf5,
    recorded_path,
)
from dlc_lifter.poses import PoseMetadata, Poses

__all__ = ["is_netcdf", "read_movement_netcdf"]

logger = logging.getLogger(__name__)

#: The first bytes of a netCDF-3 file (classic, 64-bit offset, 64-bit data).
_NETCDF3_MAGIC = (b"CDF\x01", b"CDF\x02", b"CDF\x05")
_POSITION_DIMS = {"time", "space", "keypoints", "individuals"}
#: movement 0.16 and later name two dimensions in the singular.
_SINGULAR = {"keypoint": "keypoints", "individual": "individuals"}


def _is_netcdf3(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) in _NETCDF3_MAGIC


def is_netcdf(path: str | Path) -> bool:
    """Whether a file is netCDF-3 or HDF5 (netCDF-4)."""
    p = Path(path)
    return _is_netcdf3(p) or is_hdf5(p)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, np.ndarray) and value.size == 1:
        return _text(value.ravel()[0])
    return str(value)


def _labels(values: np.ndarray) -> list[str]:
    """A coordinate of names as strings (netCDF-4 keeps them as strings, netCDF-3 as rows
    of characters)."""
    values = np.asarray(values)
    if values.dtype.kind == "S" and values.ndim == 2:  # netCDF-3 char arrays
        return [b"".join(row).decode("utf-8", errors="replace").rstrip("\x00")
                for row in values]
    return [_text(v) for v in values.ravel()]


def _variables_hdf5(p: Path) -> tuple[dict[str, tuple[tuple[str, ...], np.ndarray]],
                                      dict[str, Any]]:
    import h5py

    out: dict[str, tuple[tuple[str, ...], np.ndarray]] = {}
    try:
        with h5py.File(p, "r") as fh:
            attrs = {k: fh.attrs[k] for k in fh.attrs}
            for name, ds in fh.items():
                if not isinstance(ds, h5py.Dataset):
                    continue
                dims = []
                for i in range(ds.ndim):
                    scales = list(ds.dims[i].values())
                    dims.append(scales[0].name.lstrip("/") if scales else f"dim_{i}")
                out[_SINGULAR.get(name, name)] = (
                    tuple(_SINGULAR.get(d, d) for d in dims), ds[()])
    except OSError as exc:
        raise PoseFileError(f"{p} cannot be opened as netCDF-4 (HDF5): {exc}. Save it "
                            "again with movement (ds.to_netcdf).") from None
    return out, attrs


def _variables_netcdf3(p: Path) -> tuple[dict[str, tuple[tuple[str, ...], np.ndarray]],
                                         dict[str, Any]]:
    from scipy.io import netcdf_file

    try:
        with netcdf_file(p, "r", mmap=False) as fh:
            out = {_SINGULAR.get(name, name): (tuple(_SINGULAR.get(d, d) for d in v.dimensions),
                                               np.array(v.data))
                   for name, v in fh.variables.items()}
            attrs = dict(fh._attributes)
            fills = {name: getattr(v, "_FillValue", None) for name, v in fh.variables.items()}
    except (OSError, TypeError, ValueError) as exc:
        raise PoseFileError(f"{p} cannot be read as netCDF-3: {exc}. Save it again with "
                            "movement (ds.to_netcdf).") from None
    for name, fill in fills.items():  # netCDF-3 keeps NaN; a numeric fill marks missing
        dims, values = out[_SINGULAR.get(name, name)]
        if fill is not None and values.dtype.kind == "f" and np.isfinite(fill):
            out[_SINGULAR.get(name, name)] = (dims, np.where(values == fill, np.nan, values))
    return out, attrs


def read_movement_netcdf(path: str | Path) -> Poses:
    """Read a movement poses dataset saved as netCDF (module docstring).

    The frames are the ``time`` coordinate in frames (``time * fps`` where it is in
    seconds); the video is looked for beside the file and beside the file the dataset was
    loaded from (``source_file``), by name.

    Raises
    ------
    PoseFileError
        When the file is not netCDF, is a movement dataset of bounding boxes or of 3D
        points, or holds no ``position`` over ``time, space, keypoints, individuals``.
    """
    p = check_input_file(path)
    if _is_netcdf3(p):
        variables, raw_attrs = _variables_netcdf3(p)
    elif is_hdf5(p):
        variables, raw_attrs = _variables_hdf5(p)
    else:
        raise PoseFileError(f"{p} is not a netCDF file (neither netCDF-3 nor netCDF-4/HDF5); "
                            "it may be truncated or mis-named. Save it again with movement "
                            "(ds.to_netcdf).")
    attrs = {k: _text(v) for k, v in raw_attrs.items() if not k.startswith("_")}
    if attrs.get("ds_type") == "bboxes":
        raise PoseFileError(f"{p} is a movement dataset of bounding boxes, not of poses: "
                            "dlc-lifter lifts keypoints. Save the poses dataset instead.")
    if "position" not in variables or not _POSITION_DIMS <= set(variables["position"][0]):
        have = ", ".join(f"{k}{v[0]}" for k, v in variables.items() if len(v[0]) > 1)
        raise PoseFileError(
            f"{p} holds no movement poses dataset (a 'position' variable over time, space, "
            f"keypoints and individuals){'; it has ' + have if have else ''}. Save the "
            "poses with movement (ds.to_netcdf) or pass the tracker's own file.")
    dims, position = variables["position"]
    space = _labels(variables["space"][1]) if "space" in variables else []
    if "z" in space:
        raise PoseFileError(
            f"{p} holds 3D points (space {', '.join(space)}): dlc-lifter lifts 2D poses from "
            "one camera to 3D. Lift the 2D poses of one camera instead.")
    order = [dims.index(d) for d in ("time", "individuals", "keypoints", "space")]
    coords = np.asarray(position, dtype=np.float64).transpose(order)
    if space and space[:2] != ["x", "y"]:
        raise PoseFileError(f"{p}: its space coordinate is {space}, not x, y. Save the poses "
                            "with movement (ds.to_netcdf).")
    coords = coords[..., :2]
    n_time, n_ind, n_kp = coords.shape[:3]
    keypoints = (_labels(variables["keypoints"][1]) if "keypoints" in variables
                 else [f"keypoint_{k}" for k in range(n_kp)])
    individuals = (_labels(variables["individuals"][1]) if "individuals" in variables
                   else [f"individual_{i}" for i in range(n_ind)])
    dupes = duplicate_names(keypoints)
    if dupes:
        raise PoseFileError(f"{p}: duplicate keypoint names {', '.join(dupes)}.")
    given = np.isfinite(coords).all(-1)
    conf = np.full(coords.shape[:3], np.nan)
    if "confidence" in variables:
        cdims, cvals = variables["confidence"]
        if {"time", "individuals", "keypoints"} <= set(cdims) and len(cdims) == 3:
            conf = np.asarray(cvals, dtype=np.float64).transpose(
                [cdims.index(d) for d in ("time", "individuals", "keypoints")])
    if not np.isfinite(conf[given]).any():
        logger.warning("%s: no confidence values; every point given is taken as tracked.", p)
        conf = np.where(given, 1.0, np.nan)
    conf = np.where(given, conf, np.nan)
    fps, frames = _frames(variables, attrs, n_time, p)
    meta = PoseMetadata(source=str(p), source_format="movement-nc",
                        scorer=attrs.get("source_software") or "movement", fps=fps,
                        units="px", frame="image")
    meta.extra["movement_source_file"] = attrs.get("source_file")
    meta.video = _video_near(p, attrs.get("source_file"))
    return Poses(coords=coords, confidence=conf, keypoints=keypoints,
                 individuals=individuals, frame_indices=frames, meta=meta)


def _frames(variables: dict[str, tuple[tuple[str, ...], np.ndarray]], attrs: dict[str, str],
            n_time: int, p: Path) -> tuple[float | None, np.ndarray]:
    """``(fps or None, frame indices)`` from the ``time`` coordinate and its unit."""
    try:
        fps = float(attrs["fps"]) if "fps" in attrs else None
    except ValueError:
        fps = None
    fps = fps if fps is not None and np.isfinite(fps) and fps > 0 else None
    if "time" not in variables:
        return fps, np.arange(n_time)
    t = np.asarray(variables["time"][1], dtype=np.float64).ravel()
    if attrs.get("time_unit", "frames") == "seconds":
        if fps is None:
            steps = np.diff(t[np.isfinite(t)])
            fps = float(1.0 / np.median(steps)) if len(steps) and np.median(steps) > 0 else None
            if fps is None:
                raise PoseFileError(f"{p}: its time is in seconds and it states no fps. "
                                    "Save it with movement's fps (load with fps=...).")
            logger.warning("%s: time in seconds with no fps attribute; %.3g fps taken from "
                           "its time steps.", p, fps)
        t = t * fps
    frames = np.round(t)
    if not np.isfinite(frames).all() or len(np.unique(frames)) != len(frames):
        logger.warning("%s: its time coordinate does not give one frame per row; rows "
                       "numbered 0..%d.", p, n_time - 1)
        return fps, np.arange(n_time)
    return fps, frames.astype(np.int64)


def _video_near(p: Path, source_file: str | None) -> str | None:
    """A video beside the netCDF file or beside the file movement loaded (its stem starting
    that file's or this file's name)."""
    if source_file:
        src = recorded_path(source_file)
        folders = [p.parent] + ([Path(str(src.parent))] if src.is_absolute() else [])
        video = find_video(src.stem, folders)
        if video is not None:
            return str(video)
    video = find_video(p.stem, [p.parent])
    return str(video) if video is not None else None
