"""Whether an existing lift was made by the dlc-lifter version and the weights a lift would use now.

A lift records the package's version and the short hash of every weights file it read (the
keypoint networks of each kind it used, the depth networks with a video) in its meta
pickle. After an upgrade, or weights retrained in place, an output made before is out of
date though its input and options are the same: :func:`made_with_other_weights` says how,
for a batch's rerun (:mod:`dlc_lifter.lift.batch`) and for one file lifted again
(:func:`dlc_lifter.lift.pipeline.lift_file`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["made_with_other_weights", "weights_hash"]

#: The short hashes of weights files read by this process, by path, size and time.
_WEIGHTS_HASHES: dict[tuple[str, int, int], str] = {}


def made_with_other_weights(record: Any, model: str | Path | None = None) -> list[str]:
    """``"what old -> new"`` where an existing output's lift records another dlc-lifter
    version or weights other than those a lift would read now.

    Parameters
    ----------
    record
        The output's lift record (:func:`~dlc_lifter.io.read_lift_record`).
    model
        The keypoint lifter's weights a lift would use now (``LiftOptions.model``;
        ``None``: the shipped ones). Its companions and the depth networks are looked for
        as a lift finds them: beside it, or in the shipped folder.

    Returns
    -------
    list of str
        E.g. ``["dlc-lifter 0.1.0 -> 0.2.0", "lifter.pt 88a87d4b05c1ad61 ->
        95d8fca52f4d1330"]``; empty where they are the same, or where the record has no
        hashes or the weights are no longer there (nothing to say).
    """
    from dlc_lifter._version import __version__
    from dlc_lifter.lift.lifter import default_model_path

    if not isinstance(record, dict):
        return []
    out = []
    version = record.get("dlc_lifter_version")
    if isinstance(version, str) and version != __version__:
        out.append(f"dlc-lifter {version} -> {__version__}")
    folder = Path(model).parent if model else default_model_path().parent
    extra = record.get("extra") if isinstance(record.get("extra"), dict) else {}
    depth = extra.get("depth") if isinstance(extra.get("depth"), dict) else {}
    recorded = [(r.get("name"), r.get("sha256")) for r in
                (record.get("model"), record.get("oblique_model") or extra.get("oblique_model"))
                if isinstance(r, dict)]
    recorded += [(Path(str(depth[k])).name, depth.get(h)) for k, h in (
        ("depth_weights", "depth_sha256"), ("fused_weights", "fused_sha256"))
        if depth.get(k)]
    for name, sha in recorded:
        if not (isinstance(name, str) and isinstance(sha, str) and sha):
            continue
        now = weights_hash(folder / name)
        if now is not None and now != sha:
            out.append(f"{name} {sha} -> {now}")
    return out


def weights_hash(path: Path) -> str | None:
    """The short hash of weights file ``path`` (as lifts record it), or ``None`` where it is
    not there; read once per process while the file is unchanged."""
    from dlc_lifter.io.weights import file_hash

    try:
        st = path.stat()
        key = (str(path), st.st_size, st.st_mtime_ns)
        if key not in _WEIGHTS_HASHES:
            _WEIGHTS_HASHES[key] = file_hash(path)
    except OSError:
        return None
    return _WEIGHTS_HASHES[key]
