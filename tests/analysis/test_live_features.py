"""Live features (``dlc_lifter.analysis.live_features``): LiveFeatures and StreamingFeatures
agree with the batch features."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dlc_lifter.analysis.features import compute_features
from dlc_lifter.analysis.live_features import StreamingFeatures
from dlc_lifter.errors import DLCLifterError
from dlc_lifter.poses import PoseMetadata, Poses
from tests.fixtures.live import (
    DLC_NAMES,
    FPS,
    N_FRAMES,
)


def _as_poses(points: np.ndarray, names: list[str]) -> Poses:
    meta = PoseMetadata(fps=FPS, frame="camera-floor", units="mm")
    return Poses(coords=points[:, None], keypoints=names, meta=meta)


# ----------------------------------------------------------------------------- features
def test_streaming_features_match_compute_features(streamed) -> None:
    """delay=0: each frame's features are the last row of compute_features so far."""
    live, results = streamed
    points = np.stack([r.pose_3d for r in results])
    poses = _as_poses(points, live.live_lifter.keypoints_out)
    cols = live.columns
    assert cols == live.feature_stream.columns
    assert {"head_speed_mm_s", "tail_base_speed_mm_s", "body_pitch_rad", "bend_ratio",
            "bend_ratio_3d", "height_nose_mm", "head_speed_std15_mm_s",
            "body_pitch_std15_rad", "height_nose_std15_mm", "bend_ratio_std15"} <= set(cols)
    full = compute_features(poses)
    # instantaneous columns match the whole-recording batch on every frame
    inst = [c for c in cols if "speed" not in c]
    got = pd.DataFrame([r.features for r in results])
    np.testing.assert_allclose(got[inst].to_numpy(), full[inst].to_numpy(), rtol=1e-9,
                               atol=1e-9, equal_nan=True)
    # everything matches the batch of the recording so far (speeds: backward difference)
    for i in (0, 1, 2, 14, 15, 30, N_FRAMES - 1):
        prefix = compute_features(poses[: i + 1]).iloc[-1]
        expect = prefix[cols].to_numpy(dtype=float)
        np.testing.assert_allclose([results[i].features[c] for c in cols], expect,
                                   rtol=1e-7, atol=1e-7, equal_nan=True, err_msg=f"frame {i}")
    assert np.isnan(results[0].features["head_speed_mm_s"])  # no speed from one frame
    assert [r.features_frame for r in results] == list(range(N_FRAMES))
    assert np.isfinite(results[-1].features["head_speed_std15_mm_s"])


def test_delayed_streaming_features_equal_whole_recording_batch(streamed) -> None:
    """delay=1 (plus flush) gives exactly the rows of compute_features on everything."""
    live, results = streamed
    names = live.live_lifter.keypoints_out
    points = np.stack([r.pose_3d for r in results])
    full = compute_features(_as_poses(points, names))
    sf = StreamingFeatures(names, fps=FPS, delay=1)
    rows = []
    for i, p in enumerate(points):
        out = sf.update(p)
        assert (out == {}) if i == 0 else bool(out)
        if out:
            rows.append(out)
    rows.append(sf.flush())
    got = pd.DataFrame(rows)[sf.columns].to_numpy()
    np.testing.assert_allclose(got, full[sf.columns].to_numpy(), rtol=1e-7, atol=1e-7,
                               equal_nan=True)


def test_streaming_features_follow_keypoint_fallbacks() -> None:
    """Missing points fall back as in compute_features (tail base -> mid_backend3...)."""
    rng = np.random.default_rng(0)
    names = ["nose", "left_ear", "right_ear", "mid_back", "mid_backend3", "tail_base"]
    pts = rng.normal(size=(40, len(names), 3)) * 5 + np.arange(len(names))[None, :, None] * 10
    pts[10:14, 5] = np.nan  # tail base lost: origin falls back to mid_backend3
    pts[20, :] = np.nan  # a frame with nothing
    full = compute_features(_as_poses(pts, names), window=5)
    sf = StreamingFeatures(names, fps=FPS, window=5, delay=1)
    rows = [r for r in (sf.update(p) for p in pts) if r] + [sf.flush()]
    got = pd.DataFrame(rows)[sf.columns].to_numpy()
    np.testing.assert_allclose(got, full[sf.columns].to_numpy(), rtol=1e-7, atol=1e-7,
                               equal_nan=True)


def test_streaming_features_validate_arguments() -> None:
    with pytest.raises(DLCLifterError, match="window"):
        StreamingFeatures(DLC_NAMES, window=1)
    with pytest.raises(DLCLifterError, match="delay"):
        StreamingFeatures(DLC_NAMES, delay=2)
