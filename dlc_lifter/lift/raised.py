"""A mouse is flat most of the time: a lift that raises its nose in most frames is suspect.

Whatever sets a lift's scale (the animal's own length, a height and focal length, the arena,
a calibration) and whatever maps the file's names onto the mouse, the heights follow: a
camera placed too close or a body mapped too long lifts a walking mouse as a rearing one.
:func:`raised_noses` measures, per individual, how often the lifted nose is at
:data:`FLAT_SNOUT_MM` or higher in the frames that tracked it, and warns where that is more
than :data:`RAISED_SHARE` of at least :data:`CHECK_FRAMES` frames, naming what to check. The
lift is kept (an animal may rear through a short clip); the output's
``meta.extra["raised"]`` keeps the measure.

Real files lifted with default options raise the nose in well under :data:`RAISED_SHARE`
of their frames, or just under it (a T maze); a file whose camera was
placed far too close from a mis-sized animal raised it in every frame (measured in
``docs/results.md``, "Real files from four more sources: a nose raised in most frames
warned about, keypoint-MoSeq's back end, Git LFS pointers; the neck label moved back,
screened").
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["CHECK_FRAMES", "FLAT_SNOUT_MM", "RAISED_SHARE", "mostly_raised", "raised_noses",
           "raised_summary"]

logger = logging.getLogger(__name__)

#: A snout below this height (mm) is a flat mouse's.
FLAT_SNOUT_MM = 30.0
#: Snout heights at :data:`FLAT_SNOUT_MM` or higher in more than this share of them are
#: judged raised most of the time: a lift's nose (warned about) or the depth network's own
#: readings (:func:`~dlc_lifter.lift.depth_path.depth_out_of_domain`: the depth not used).
RAISED_SHARE = 0.5
#: Fewest snout heights for that judgement.
CHECK_FRAMES = 30


def raised_summary(heights_mm: np.ndarray) -> dict[str, float]:
    """``median_mm`` and ``raised_share`` (the share at :data:`FLAT_SNOUT_MM` or higher) of
    a non-empty set of snout heights, rounded as the outputs record them."""
    h = np.asarray(heights_mm, dtype=np.float64)
    return {"median_mm": round(float(np.median(h)), 1),
            "raised_share": round(float(np.mean(h >= FLAT_SNOUT_MM)), 3)}


def mostly_raised(n: int, raised_share: float) -> bool:
    """Whether ``n`` snout heights of which ``raised_share`` are raised (as
    :func:`raised_summary` gives it) say the snout is raised most of the time."""
    return n >= CHECK_FRAMES and raised_share > RAISED_SHARE


def _advice(camera_source: str) -> str:
    if camera_source == "body-length-estimate":
        return ("The camera was placed from the animals' length in the image, which a body "
                "tracked or mapped too long (or animals of different sizes) puts too close: "
                "give --camera-height-mm and --focal-px, --arena-size-mm or a calibration")
    return f"Check the camera given ({camera_source}): its height, focal length or units"


def raised_noses(coords: np.ndarray, imputed: np.ndarray, names: Sequence[str],
                 individuals: Sequence[str], source: str, camera_source: str, *,
                 pose_file: bool = True) -> dict[str, dict[str, Any]]:
    """Per individual, how often the lifted nose is raised; warn where it is most frames.

    Parameters
    ----------
    coords
        ``(T, N, K, 3)`` lifted points (mm, z up from the floor).
    imputed
        ``(T, N, K)`` points the file did not track (not counted).
    names
        The catalogue landmark of each of the ``K`` columns (``nose`` is measured).
    individuals
        The ``N`` individuals' names.
    source
        The file, for the message.
    camera_source
        How the camera was found (``CameraChoice.source``), for the advice.
    pose_file
        ``source`` is a pose file (the advice names ``dlc-lifter info`` on it); ``False``
        for a stream (DLC-Live).

    Returns
    -------
    dict
        ``{individual: {"frames", "median_mm", "raised_share", "warned"}}`` for individuals
        with a tracked nose; empty where the lift has no nose.
    """
    names = [str(n) for n in names]
    if "nose" not in names:
        return {}
    k = names.index("nose")
    z = np.asarray(coords, dtype=np.float64)[:, :, k, 2]
    seen = ~np.asarray(imputed, dtype=bool)[:, :, k] & np.isfinite(z)
    out: dict[str, dict[str, Any]] = {}
    for i, ind in enumerate(individuals):
        zi = z[seen[:, i], i]
        if not zi.size:
            continue
        summary = raised_summary(zi)
        out[str(ind)] = {"frames": int(zi.size), **summary,
                         "warned": mostly_raised(zi.size, summary["raised_share"])}
    warned = {ind: m for ind, m in out.items() if m["warned"]}
    if warned:
        each = "; ".join(
            (f"{ind}: " if len(individuals) > 1 else "")
            + f"{100 * m['raised_share']:.0f} % of {m['frames']}, median {m['median_mm']:.0f} mm"
            for ind, m in warned.items())
        logger.warning(
            "%s: the nose is lifted %.0f mm or higher in most of the frames that track it "
            "(%s), where a mouse is flat most of the time: unless it reared through most of "
            "the recording, the lift's scale or keypoint map is off and so are its heights. "
            "%s; check the keypoint map%s.",
            source, FLAT_SNOUT_MM, each, _advice(camera_source),
            f" with `dlc-lifter info {source}`" if pose_file else "")
    return out
