"""A file whose tracker was unsure of most of the animal lifts mostly to nothing.

A keypoint below the likelihood cutoff (``pcutoff``) is untracked to the lift: a frame with
none of the animal's keypoints above it has no 3D (NaN), and a frame with one has the rest
of the body from the networks' prior alone (flagged ``imputed``). A network trained too
briefly reports low likelihoods nearly everywhere, and the lift then comes out mostly empty
or guessed without a word. :func:`unsure_tracking` counts, per individual, the frames in
which the file places the animal and how many of its mapped keypoints reach the cutoff
there, and warns where fewer than :data:`SURE_KEYPOINTS` do in more than
:data:`UNSURE_SHARE` of at least :data:`CHECK_FRAMES` frames, naming each keypoint's share.
The output's ``meta.extra["unsure"]`` keeps the counts.

On real files, frames placed but with fewer than two sure keypoints are rare in a
well-tracked file, a sizeable minority in a file tracked by an early model, and nearly all
in the files of a briefly trained network, which then lift mostly to NaN or from one
keypoint (measured in ``docs/results.md``, "Real files from eleven more sources: a tracker
unsure of the animal warned about, keypoint-MoSeq's skeleton only with its spine4, truer
refusals; the frame size without a video, measured").
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["CHECK_FRAMES", "SURE_KEYPOINTS", "UNSURE_SHARE", "unsure_tracking"]

logger = logging.getLogger(__name__)

#: Keypoints at the cutoff or above a frame needs for the networks to see a body in it.
SURE_KEYPOINTS = 2
#: Frames with fewer than :data:`SURE_KEYPOINTS` sure keypoints in more than this share of
#: the frames that place the animal are warned about.
UNSURE_SHARE = 0.5
#: Fewest frames placing the animal for that judgement.
CHECK_FRAMES = 30
#: Individuals the warning lists by name (the rest counted).
LISTED = 4


def unsure_tracking(uv_cat: np.ndarray, conf_cat: np.ndarray, pcutoff: float,
                    individuals: Sequence[str], names: Sequence[str], cat_idx: Sequence[int],
                    source: str) -> dict[str, dict[str, Any]]:
    """Per individual, how many of its frames have two or more keypoints the tracker is
    sure of; warn (once for the file) where most have fewer.

    Parameters
    ----------
    uv_cat
        ``(T, N, K, 2)`` pixels on the catalogue axis (NaN where not placed).
    conf_cat
        ``(T, N, K)`` likelihoods on the catalogue axis (a mistrack's already 0).
    pcutoff
        The likelihood cutoff of the lift.
    individuals
        The ``N`` individuals' names.
    names
        The file's name of each mapped keypoint, in the order of ``cat_idx``.
    cat_idx
        The catalogue column of each mapped keypoint.
    source
        The file, for the message.

    Returns
    -------
    dict
        ``{individual: {"frames", "sure_two_or_more", "sure_one", "sure_none",
        "warned"}}`` for individuals placed in some frame: ``frames`` places the animal
        (any of its keypoints, at any likelihood); the others count those frames by how
        many keypoints reach ``pcutoff``.
    """
    cols = list(cat_idx)
    placed = np.isfinite(np.asarray(uv_cat, dtype=np.float64)[:, :, cols]).all(-1)
    sure = placed & (np.nan_to_num(np.asarray(conf_cat, dtype=np.float64)[:, :, cols])
                     >= pcutoff)
    out: dict[str, dict[str, Any]] = {}
    lines = []
    for i, ind in enumerate(individuals):
        frames = placed[:, i].any(-1)
        if not frames.any():
            continue
        n = sure[frames, i].sum(-1)
        counts = {"frames": int(frames.sum()),
                  "sure_two_or_more": int((n >= SURE_KEYPOINTS).sum()),
                  "sure_one": int((n == 1).sum()), "sure_none": int((n == 0).sum())}
        few = counts["sure_one"] + counts["sure_none"]
        warned = counts["frames"] >= CHECK_FRAMES and few > UNSURE_SHARE * counts["frames"]
        out[str(ind)] = {**counts, "warned": bool(warned)}
        if warned:
            shares = ", ".join(f"{name} {100 * sure[frames, i, k].mean():.0f} %"
                               for k, name in enumerate(names))
            lines.append(
                (f"{ind}: " if len(individuals) > 1 else "")
                + f"{counts['sure_two_or_more']} of {counts['frames']} frames; none sure in "
                f"{counts['sure_none']}, one in {counts['sure_one']} (sure: {shares})")
    if lines:
        logger.warning(
            "%s: the tracker is unsure of most of the animal. It is sure (likelihood %g or "
            "more) of two or more of the animal's keypoints in only %s. A frame with none "
            "has no 3D (NaN) and a frame with one has the rest of the body from the networks "
            "alone (flagged 'imputed'), so most of this lift is empty or guessed. Check the "
            "tracking (a network trained longer or on more labelled frames); lower pcutoff "
            "only where this tracker's likelihoods run low even where it is right.",
            source, pcutoff, "; ".join(lines[:LISTED])
            + (f"; and {len(lines) - LISTED} more individuals" if len(lines) > LISTED else ""))
    return out
