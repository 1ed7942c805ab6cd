"""Real-time lifting (``dlc_lifter.lift.live``): LiveLifter step by step, with and without
the depth path."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from dlc_lifter.errors import DLCLifterError
from dlc_lifter.lift.live import LiveLifter
from dlc_lifter.mouse.catalogue import CATALOGUE, KEYPOINT_SETS
from tests.fixtures.live import (
    ANY_IMAGE,
    DEPTH_FRAMES,
    DLC_NAMES,
    N_FRAMES,
    Clip,
    DepthClip,
    read_snout_at,
)


# ----------------------------------------------------------------------------- lifting
def test_step_output_shape_names_finite(streamed) -> None:
    ll, results = streamed[0].live_lifter, streamed[1]
    assert ll.keypoints_out[:4] == DLC_NAMES
    assert len(ll.keypoints_out) == len(CATALOGUE)
    assert set(ll.catalogue_names) == set(CATALOGUE)
    for i, r in enumerate(results):
        assert r.frame == i
        assert r.pose_3d.shape == (len(CATALOGUE), 3)
        assert np.isfinite(r.pose_3d).all()
        assert r.imputed.shape == (len(CATALOGUE),)
        assert r.imputed[4:].all()  # untracked catalogue points are imputed
        assert (r.pose_3d[:, 2] >= 0).all()  # nothing below the floor


def test_step_equals_batch_causal_lift(clip: Clip, shipped_lifter, streamed) -> None:
    ll, results = streamed[0].live_lifter, streamed[1]
    stream = np.stack([r.pose_3d for r in results])
    batch = shipped_lifter.lift(clip.uv, clip.conf, DLC_NAMES, clip.camera, mode="causal")
    cat = [CATALOGUE.index(n) for n in ll.catalogue_names]
    np.testing.assert_allclose(stream, batch[:, cat], atol=1e-3, rtol=0)
    # and the causal lift really differs from the symmetric (temporal) one
    temporal = shipped_lifter.lift(clip.uv, clip.conf, DLC_NAMES, clip.camera, mode="temporal")
    assert np.abs(temporal[:, cat] - stream).max() > 1e-3


def test_tracked_points_reproject_onto_their_pixels(clip: Clip, streamed) -> None:
    _, results = streamed
    for i in (0, N_FRAMES // 2, N_FRAMES - 1):
        r = results[i]
        ok = ~r.imputed[:4]
        uv = clip.camera.project(r.pose_3d[:4][ok])
        np.testing.assert_allclose(uv, clip.uv[i][ok], atol=1e-6)


def test_reset_restarts_the_stream(clip: Clip, shipped_lifter, streamed) -> None:
    _, results = streamed
    ll = LiveLifter(clip.camera, DLC_NAMES, shipped_lifter)
    for i in range(5):
        ll.step(clip.pose(i))
    ll.reset()
    r = ll.step(clip.pose(0))
    assert r.frame == 0 and r.features == {} and r.features_frame is None
    np.testing.assert_allclose(r.pose_3d, results[0].pose_3d, atol=1e-6)


def test_the_networks_run_once_at_set_up(clip: Clip, shipped_lifter,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The first live frame paid for torch's first call (0.3 s from keypoints, 0.4 s and
    more with depth): set-up runs the networks once on a throwaway stream, and the live
    stream starts untouched (its lift equals the offline one, above)."""
    from dlc_lifter.lift.stream import LiftStream

    calls = []
    step = LiftStream.step
    monkeypatch.setattr(LiftStream, "step",
                        lambda self, *a, **k: calls.append(self) or step(self, *a, **k))
    ll = LiveLifter(clip.camera, DLC_NAMES, shipped_lifter)
    assert len(calls) == 1 and calls[0] is not ll._stream
    ll.step(np.concatenate([clip.uv[0], clip.conf[0][:, None]], axis=1))
    assert len(calls) == 2 and calls[1] is ll._stream


def test_bad_pose_shape_is_a_clear_error(clip: Clip, shipped_lifter) -> None:
    ll = LiveLifter(clip.camera, DLC_NAMES, shipped_lifter)
    with pytest.raises(DLCLifterError, match=r"pose_2d must be \(4, 2\|3\)"):
        ll.step(np.zeros((3, 3)))
    with pytest.raises(DLCLifterError, match="holds 2 animals.*one LiveLifter per animal"):
        ll.step(np.zeros((2, 4, 3)))  # a multi-animal pose


# ----------------------------------------------------------------------------- depth
def test_depth_step_equals_offline_causal_fused_lift(depth_clip: DepthClip) -> None:
    dc = depth_clip
    ll = LiveLifter(dc.camera, DLC_NAMES, depth=True,
                    px_per_mm=dc.px_per_mm)
    results = [ll.step(dc.pose(i), dc.frames[i]) for i in range(DEPTH_FRAMES)]
    assert ll.keypoints_out == list(dc.offline.keypoints)
    live3d = np.stack([r.pose_3d for r in results])
    np.testing.assert_allclose(live3d, dc.offline.coords[:, 0], atol=1e-3, rtol=0,
                               equal_nan=True)
    used = np.array([r.depth_used for r in results])
    assert used.sum() == DEPTH_FRAMES - 1 and not used[50]  # frame 50: nothing tracked
    assert np.isnan(live3d[50]).all() and np.isfinite(np.delete(live3d, 50, 0)).all()
    # the depth path is really taken: keypoints-only streaming gives something else
    kp = LiveLifter(dc.camera, DLC_NAMES)
    kp3d = np.stack([kp.step(dc.pose(i), dc.frames[i]).pose_3d for i in range(DEPTH_FRAMES)])
    assert np.nanmax(np.abs(kp3d - live3d)) > 1.0


def test_depth_frames_without_image_fall_back_to_keypoints(depth_clip: DepthClip,
                                                           caplog) -> None:
    """No image: that frame gets no cues (available = 0), as the offline path does for
    frames without a crop; the stream goes on and equals the offline lift of those cues."""
    from dlc_lifter.lift.depth_path import load_depth_models, video_depth_cues
    from dlc_lifter.mouse.catalogue import catalogue_index as cidx

    dc = depth_clip
    no_image = set(range(30, 40)) | {70}
    ll = LiveLifter(dc.camera, DLC_NAMES, depth=True,
                    px_per_mm=dc.px_per_mm)
    with caplog.at_level(logging.WARNING, logger="dlc_lifter.lift.live"):
        results = [ll.step(dc.pose(i), None if i in no_image else dc.frames[i])
                   for i in range(DEPTH_FRAMES)]
    assert caplog.text.count("without an image") == 1  # said once
    assert caplog.text.count("no crop") == 1  # frame 50
    used = np.array([r.depth_used for r in results])
    assert not used[sorted(no_image)].any() and used[:30].all() and used[40:50].all()
    # offline reference: the depth path's cues, dropped on those frames, causal fused lift
    depth_model, fused = load_depth_models()
    idx = cidx(list(KEYPOINT_SETS["openfield"]))
    uv_cat = np.full((DEPTH_FRAMES, 1, len(CATALOGUE), 2), np.nan)
    c_cat = np.full((DEPTH_FRAMES, 1, len(CATALOGUE)), np.nan)
    uv_cat[:, 0, idx], c_cat[:, 0, idx] = dc.uv, dc.conf
    vd = video_depth_cues(dc.video, uv_cat, c_cat, np.arange(DEPTH_FRAMES),
                          depth_model=depth_model, pair_length_mm=fused.pair_length_mm)
    assert vd.px_per_mm[0] == pytest.approx(dc.px_per_mm)
    cues = vd.cues[:, 0].copy()
    cues[sorted(no_image)] = 0.0
    ref, _, _ = fused.predict(uv_cat[:, 0], c_cat[:, 0], dc.camera, mode="causal",
                              pcutoff=0.6, extra=cues)
    cat = [CATALOGUE.index(n) for n in ll.catalogue_names]
    live3d = np.stack([r.pose_3d for r in results])
    np.testing.assert_allclose(live3d, ref[:, cat], atol=1e-3, rtol=0, equal_nan=True)
    assert np.abs(live3d[35] - dc.offline.coords[35, 0]).max() > 1e-3  # cues were dropped


def test_depth_scale_is_estimated_from_the_first_frames(depth_clip: DepthClip) -> None:
    dc = depth_clip
    ll = LiveLifter(dc.camera, DLC_NAMES, depth=True,
                    scale_frames=DEPTH_FRAMES)
    assert ll.px_per_mm is None  # nothing seen yet
    ll.step(dc.pose(0), dc.frames[0])
    first = ll.px_per_mm
    assert first is not None and first == pytest.approx(dc.px_per_mm, rel=0.2)
    for i in range(1, DEPTH_FRAMES):
        ll.step(dc.pose(i), dc.frames[i])
    # over the same frames, the estimate is the offline path's (whole-file) one
    assert ll.px_per_mm == pytest.approx(dc.px_per_mm, rel=1e-12)
    ll.reset()
    assert ll.px_per_mm is None
    # BGR and grey frames are read too (same grey conversion, so the same cues)
    bgr = LiveLifter(dc.camera, DLC_NAMES, depth=True,
                     px_per_mm=dc.px_per_mm, image_color="bgr")
    rgb = LiveLifter(dc.camera, DLC_NAMES, depth=True,
                     px_per_mm=dc.px_per_mm)
    for i in range(5):
        a = bgr.step(dc.pose(i), np.ascontiguousarray(dc.frames[i][..., ::-1]))
        b = rgb.step(dc.pose(i), dc.frames[i])
        np.testing.assert_allclose(a.pose_3d, b.pose_3d, atol=1e-3)
    grey = LiveLifter(dc.camera, DLC_NAMES, depth=True,
                      px_per_mm=dc.px_per_mm)
    assert grey.step(dc.pose(0), dc.frames[0].mean(-1).astype(np.uint8)).depth_used


def test_depth_arguments_and_missing_weights(depth_clip: DepthClip, tmp_path) -> None:
    from dlc_lifter.nets.lifter import ModelLoadError

    dc = depth_clip
    with pytest.raises(ModelLoadError):
        LiveLifter(dc.camera, DLC_NAMES, depth=True, depth_weights=tmp_path / "none.pt")
    with pytest.raises(DLCLifterError, match="image_color"):
        LiveLifter(dc.camera, DLC_NAMES, depth=True, image_color="hsv")
    with pytest.raises(DLCLifterError, match="px_per_mm"):
        LiveLifter(dc.camera, DLC_NAMES, depth=True, px_per_mm=-1.0)
    # a calibration that does not record its image size (DLC 3D's intrinsics pickle)
    import dataclasses

    with pytest.raises(DLCLifterError, match="does not record the size of its images"):
        LiveLifter(dataclasses.replace(dc.camera, image_size=(0, 0)), DLC_NAMES)
    # depth off: an image changes nothing
    a = LiveLifter(dc.camera, DLC_NAMES)
    b = LiveLifter(dc.camera, DLC_NAMES)
    for i in range(3):
        ra, rb = a.step(dc.pose(i), dc.frames[i]), b.step(dc.pose(i))
        assert not ra.depth_used
        np.testing.assert_array_equal(ra.pose_3d, rb.pose_3d)


def test_live_follows_the_first_of_two_prefixed_animals(clip: Clip, shipped_lifter,
                                                        caplog) -> None:
    names = [f"moth_{n}" for n in DLC_NAMES] + [f"pup_{n}" for n in DLC_NAMES]
    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        ll = LiveLifter(clip.camera, names, shipped_lifter)
    assert "follows one animal: 'moth'; not lifted: pup_snout" in caplog.text
    assert ll.keypoints_out[: len(DLC_NAMES)] == [f"moth_{n}" for n in DLC_NAMES]
    assert not any(k.startswith("pup_") for k in ll.keypoints_out)
    one = LiveLifter(clip.camera, DLC_NAMES, shipped_lifter)
    lost = np.tile([0.0, 0.0, 0.01], (len(DLC_NAMES), 1))  # DLC-Live's lost points
    pose = np.concatenate([clip.pose(0), lost])
    np.testing.assert_allclose(ll.step(pose).pose_3d, one.step(clip.pose(0)).pose_3d)


def test_a_camera_below_the_floor_streams_like_its_batch_lift(clip: Clip,
                                                              shipped_lifter) -> None:
    """Filmed through a glass floor: the same floor points, the camera under the floor."""
    axis = clip.camera.image_size[0] / 2.0
    below = clip.camera.mirrored_below(axis)
    uv = clip.uv.copy()
    uv[..., 0] = 2.0 * axis - uv[..., 0]
    ll = LiveLifter(below, DLC_NAMES, shipped_lifter)
    results = [ll.step(np.concatenate([uv[i], clip.conf[i][:, None]], axis=1))
               for i in range(N_FRAMES)]
    stream = np.stack([r.pose_3d for r in results])
    batch = shipped_lifter.lift(uv, clip.conf, DLC_NAMES, below, mode="causal")
    cat = [CATALOGUE.index(n) for n in ll.catalogue_names]
    np.testing.assert_allclose(stream, batch[:, cat], atol=1e-3, rtol=0)
    assert (stream[..., 2] >= 0).all()
    for i in (0, N_FRAMES - 1):
        ok = ~results[i].imputed[:4]
        np.testing.assert_allclose(below.project(stream[i, :4][ok]), uv[i][ok], atol=1e-6)


def test_the_animals_size_is_measured_once_after_size_frames(
        clip: Clip, shipped_lifter, caplog: pytest.LogCaptureFixture) -> None:
    """As a file's lift measures it (lift.body_size): the clip's own camera gives a mouse's
    size and no warning; the same camera with its translation in cm (a calibration in cm)
    a mouse a few mm long, said once, after ``size_frames`` frames, with the units."""
    from dlc_lifter.camera import Camera

    cm = clip.camera
    cm = Camera(cm.K, cm.R, cm.t / 10.0, cm.image_size)
    for camera, warned in ((clip.camera, False), (cm, True)):
        ll = LiveLifter(camera, DLC_NAMES, shipped_lifter, size_frames=60)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
            for i in range(59):
                ll.step(clip.pose(i))
            assert ll.animal_size is None and not caplog.records
            for i in range(59, 75):
                ll.step(clip.pose(i))
        msgs = [r.getMessage() for r in caplog.records if r.name.endswith("body_size")]
        assert ll.animal_size is not None and ll.animal_size.in_range != warned
        assert len(msgs) == int(warned), msgs
        if warned:
            assert msgs[0].startswith(
                "LiveLifter (first 60 frames with the animal): the animal measures")
            assert "10 times the length is a mouse's" in msgs[0]
    ll.reset()
    assert ll.animal_size is None
    # an empty arena first (no keypoint at the cutoff): those frames are not the session's
    # (before: 60 empty frames used the window up, and nothing was ever measured or said)
    empty = clip.pose(0).copy()
    empty[:, 2] = 0.01
    for _ in range(100):
        ll.step(empty)
    assert ll.animal_size is None
    for i in range(60):
        ll.step(clip.pose(i))
    assert ll.animal_size is not None


def test_the_raised_nose_is_counted_once_after_size_frames_as_offline(
        clip: Clip, shipped_lifter, caplog: pytest.LogCaptureFixture) -> None:
    """As a file's lift counts them (lift.raised): over the first ``size_frames`` frames the
    streamed noses are counted, the measure kept as ``raised`` (the counts of the offline
    causal lift of those frames), and a camera that raises them in most frames (its height
    and focal length a third of the clip's: the same floor scale, a camera placed too
    close) is warned about once, without a pose file to name."""
    from dlc_lifter.camera import Camera
    from dlc_lifter.lift.raised import FLAT_SNOUT_MM

    ll = LiveLifter(clip.camera, DLC_NAMES, shipped_lifter, size_frames=60)
    for i in range(59):
        ll.step(clip.pose(i))
    assert ll.raised is None
    ll.step(clip.pose(59))
    batch = shipped_lifter.lift(clip.uv[:60], clip.conf[:60], DLC_NAMES, clip.camera,
                                mode="causal")
    nose = batch[:, CATALOGUE.index("nose"), 2]
    seen = clip.conf[:60, DLC_NAMES.index("snout")] >= shipped_lifter.pcutoff
    assert ll.raised["frames"] == int(seen.sum())
    assert ll.raised["raised_share"] == pytest.approx(np.mean(nose[seen] >= FLAT_SNOUT_MM),
                                                      abs=1e-3)
    assert not ll.raised["warned"]
    ll.reset()
    assert ll.raised is None
    cam = clip.camera
    close = Camera(cam.K * np.array([[1 / 3], [1 / 3], [1.0]]), cam.R, cam.t / 3,
                   cam.image_size)
    ll = LiveLifter(close, DLC_NAMES, shipped_lifter, size_frames=60)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="dlc_lifter"):
        for i in range(75):
            ll.step(clip.pose(i))
    msgs = [r.getMessage() for r in caplog.records if r.name.endswith("raised")]
    assert ll.raised["warned"] and ll.raised["raised_share"] > 0.5 and len(msgs) == 1
    assert msgs[0].startswith(
        "LiveLifter (first 60 frames with the animal): the nose is lifted 30 mm")
    assert "LiveLifter's camera" in msgs[0] and "dlc-lifter info" not in msgs[0]


# ------------------------------------------------------------- the session's depth judged
def test_a_session_read_raised_goes_on_from_keypoints_only(
        clip: Clip, shipped_lifter, monkeypatch: pytest.MonkeyPatch, caplog) -> None:
    """The depth network reads the snout raised in every frame (a video unlike its
    training): after the 30th reading, one warning (none at the 60th, the same decision),
    and from that frame on the lift is the keypoint-only live lift of the same frames,
    exactly (its stream ran alongside from the first frame); before, the fused lift with
    the cues. Frames 5-9 bring no image (no
    reading), so the judgement comes at frame 34."""
    from dlc_lifter.lift.depth_path import DEPTH_CHECK_READINGS

    no_image = set(range(5, 10))
    ll = LiveLifter(clip.camera, DLC_NAMES, shipped_lifter, depth=True, px_per_mm=1.5)
    read_snout_at(ll, monkeypatch, 65.0)
    kp = LiveLifter(clip.camera, DLC_NAMES, shipped_lifter)
    with caplog.at_level(logging.WARNING, logger="dlc_lifter.lift.live"):
        res = [ll.step(clip.pose(i), None if i in no_image else ANY_IMAGE) for i in range(N_FRAMES)]
    ref = [kp.step(clip.pose(i)) for i in range(N_FRAMES)]
    switch = DEPTH_CHECK_READINGS + len(no_image) - 1
    used = np.array([r.depth_used for r in res])
    assert used[:switch].sum() == switch - len(no_image) and not used[switch:].any()
    said = [r.getMessage() for r in caplog.records if "unlike those it learned" in r.getMessage()]
    assert len(said) == 1 and said[0].startswith("LiveLifter:")
    assert f"from frame {switch}" in said[0] and "keypoints only" in said[0]
    assert "depth=False" in said[0] and "100 %" in said[0]
    for a, b in zip(res[switch:], ref[switch:], strict=True):
        np.testing.assert_allclose(a.pose_3d, b.pose_3d, atol=1e-9, rtol=0)
        np.testing.assert_array_equal(a.imputed, b.imputed)
    # before the switch the cues were used: another lift than the keypoints'
    assert max(np.abs(a.pose_3d - b.pose_3d).max() for a, b in zip(res[:switch], ref[:switch],
                                                                     strict=True)) > 1e-3
    j = ll.depth_judgement
    assert j["used"] is False and j["judged"] and j["from_frame"] == switch
    # judged again at 60 readings (70 in 75 frames): the same decision, said once
    assert j["snout_reading"] == {"readings": 2 * DEPTH_CHECK_READINGS, "median_mm": 65.0,
                                  "raised_share": 1.0}
    assert j["final"] is False
    assert j["changes"] == [{"frame": switch, "used": False, "readings": DEPTH_CHECK_READINGS}]
    assert "unlike those it learned" in j["reason"]


def _judged_messages(caplog: pytest.LogCaptureFixture) -> tuple[list[str], list[str]]:
    """The live lifter's messages that depth is switched off (WARNING) and on (INFO)."""
    recs = [r for r in caplog.records if r.name == "dlc_lifter.lift.live"]
    return ([r.getMessage() for r in recs if r.levelno == logging.WARNING
             and "unlike those it learned" in r.getMessage()],
            [r.getMessage() for r in recs if r.levelno == logging.INFO
             and "with depth cues again" in r.getMessage()])


def _fused_all_along(clip: Clip, shipped_lifter, monkeypatch: pytest.MonkeyPatch,
                     readings: list[float]) -> list:
    """The fused live lift of the clip with these readings, never judged (depth on every
    frame): what a session whose depth comes back lifts from then on."""
    ref = LiveLifter(clip.camera, DLC_NAMES, shipped_lifter, depth=True, px_per_mm=1.5)
    read_snout_at(ref, monkeypatch, readings)
    ref._judges_depth = False
    return [ref.step(clip.pose(i), ANY_IMAGE) for i in range(N_FRAMES)]


def test_a_session_read_raised_first_gets_its_depth_back_at_a_later_doubling(
        clip: Clip, shipped_lifter, monkeypatch: pytest.MonkeyPatch, caplog) -> None:
    """The mouse rears in 20 of the first 30 readings: judged raised (frame 29, one warning),
    the keypoints lift. Flat after, the 60 readings are judged again at frame 59 (a third
    raised): depth is back, said once at INFO, and the lift is the fused lift of every
    frame's cues from there on, exactly (its stream ran on while the keypoints lifted)."""
    readings = [65.0] * 20 + [12.0] * (N_FRAMES - 20)
    ll = LiveLifter(clip.camera, DLC_NAMES, shipped_lifter, depth=True, px_per_mm=1.5)
    read_snout_at(ll, monkeypatch, readings)
    with caplog.at_level(logging.INFO, logger="dlc_lifter.lift.live"):
        res = [ll.step(clip.pose(i), ANY_IMAGE) for i in range(N_FRAMES)]
    fused = _fused_all_along(clip, shipped_lifter, monkeypatch, readings)
    kp = LiveLifter(clip.camera, DLC_NAMES, shipped_lifter)
    keypoints = [kp.step(clip.pose(i)) for i in range(N_FRAMES)]
    off, on = _judged_messages(caplog)
    assert len(off) == 1 and "67 % of its 30 readings" in off[0] and "from frame 29" in off[0]
    assert len(on) == 1 and on[0].startswith("LiveLifter:")
    assert "33 % of its 60 readings (median 12 mm)" in on[0] and "from frame 59" in on[0]
    assert [r.depth_used for r in res] == [not 29 <= i < 59 for i in range(N_FRAMES)]
    for i, r in enumerate(res):
        ref = keypoints[i] if 29 <= i < 59 else fused[i]
        np.testing.assert_allclose(r.pose_3d, ref.pose_3d, atol=1e-9, rtol=0)
        np.testing.assert_array_equal(r.imputed, ref.imputed)
    assert ll.depth_judgement == {
        "used": True, "judged": True, "final": False,
        "snout_reading": {"readings": 60, "median_mm": 12.0, "raised_share": 0.333},
        "changes": [{"frame": 29, "used": False, "readings": 30},
                    {"frame": 59, "used": True, "readings": 60}]}


def test_a_session_read_flat_first_and_raised_later_loses_its_depth_later(
        clip: Clip, shipped_lifter, monkeypatch: pytest.MonkeyPatch, caplog) -> None:
    """Flat in the first 20 readings, raised after (the lights changed): kept at 30 (a third
    raised, nothing said), given up at 60 (two thirds), one warning; from frame 59 the
    keypoints' live lift of the same frames, exactly (its stream ran all along)."""
    ll = LiveLifter(clip.camera, DLC_NAMES, shipped_lifter, depth=True, px_per_mm=1.5)
    read_snout_at(ll, monkeypatch, [12.0] * 20 + [65.0] * (N_FRAMES - 20))
    with caplog.at_level(logging.INFO, logger="dlc_lifter.lift.live"):
        res = [ll.step(clip.pose(i), ANY_IMAGE) for i in range(N_FRAMES)]
    kp = LiveLifter(clip.camera, DLC_NAMES, shipped_lifter)
    keypoints = [kp.step(clip.pose(i)) for i in range(N_FRAMES)]
    off, on = _judged_messages(caplog)
    assert not on and len(off) == 1
    assert "67 % of its 60 readings" in off[0] and "from frame 59" in off[0]
    assert [r.depth_used for r in res] == [i < 59 for i in range(N_FRAMES)]
    for a, b in zip(res[59:], keypoints[59:], strict=True):
        np.testing.assert_allclose(a.pose_3d, b.pose_3d, atol=1e-9, rtol=0)
    j = ll.depth_judgement
    assert j["used"] is False and j["from_frame"] == 59 and not j["final"]
    assert j["changes"] == [{"frame": 59, "used": False, "readings": 60}]


def test_no_judgement_after_the_final_one_and_only_the_lifting_stream_runs(
        clip: Clip, shipped_lifter, monkeypatch: pytest.MonkeyPatch, caplog) -> None:
    """LIVE_FINAL_READINGS at 60: read flat in the 60 readings, the final judgement keeps
    depth, and readings raised after it change nothing (nothing said); the keypoints' stream
    stops at it. Read raised all along: given up at 30, kept off at 60 (said once), and
    from then on neither the depth network nor the fused stream runs."""
    from dlc_lifter.lift import live

    monkeypatch.setattr(live, "LIVE_FINAL_READINGS", 60)
    ll = LiveLifter(clip.camera, DLC_NAMES, shipped_lifter, depth=True, px_per_mm=1.5)
    net = read_snout_at(ll, monkeypatch, [12.0] * 60 + [65.0] * (N_FRAMES - 60))
    kp_steps: list[int] = []
    step = ll._stream.step
    monkeypatch.setattr(ll._stream, "step", lambda *a, **k: kp_steps.append(1) or step(*a, **k))
    with caplog.at_level(logging.INFO, logger="dlc_lifter.lift.live"):
        res = [ll.step(clip.pose(i), ANY_IMAGE) for i in range(N_FRAMES)]
    assert all(r.depth_used for r in res) and _judged_messages(caplog) == ([], [])
    assert len(kp_steps) == 59 and len(net) == N_FRAMES  # not on the final frame, nor after
    assert ll.depth_judgement == {
        "used": True, "judged": True, "final": True,
        "snout_reading": {"readings": 60, "median_mm": 12.0, "raised_share": 0.0},
        "changes": []}

    caplog.clear()
    ll = LiveLifter(clip.camera, DLC_NAMES, shipped_lifter, depth=True, px_per_mm=1.5)
    net = read_snout_at(ll, monkeypatch, 65.0)
    assert ll._fused is not None
    fused_steps: list[int] = []
    fstep = ll._fused.step_catalogue
    monkeypatch.setattr(ll._fused, "step_catalogue",
                        lambda *a, **k: fused_steps.append(1) or fstep(*a, **k))
    with caplog.at_level(logging.INFO, logger="dlc_lifter.lift.live"):
        res = [ll.step(clip.pose(i), ANY_IMAGE) for i in range(N_FRAMES)]
    off, on = _judged_messages(caplog)
    assert len(off) == 1 and not on and "from frame 29" in off[0]
    assert len(net) == 60 and len(fused_steps) == 59  # not on the final frame, nor after
    assert [r.depth_used for r in res] == [i < 29 for i in range(N_FRAMES)]
    j = ll.depth_judgement
    assert j["final"] and j["snout_reading"]["readings"] == 60 and j["from_frame"] == 29


def test_a_session_read_flat_keeps_its_depth_and_reset_judges_again(
        clip: Clip, shipped_lifter, monkeypatch: pytest.MonkeyPatch, caplog) -> None:
    """Snout read flat: depth kept on every frame, nothing said; judged at 30 and 60
    readings (the final judgement, LIVE_FINAL_READINGS at 60 here). After reset() a new
    recording is judged anew from its first reading: read raised, it goes on from keypoints
    only at its 30th, and is judged again (and finally) at its 60th."""
    from dlc_lifter.lift import live
    from dlc_lifter.lift.depth_path import DEPTH_CHECK_READINGS

    monkeypatch.setattr(live, "LIVE_FINAL_READINGS", 2 * DEPTH_CHECK_READINGS)
    ll = LiveLifter(clip.camera, DLC_NAMES, shipped_lifter, depth=True, px_per_mm=1.5)
    read_snout_at(ll, monkeypatch, 12.0)
    unjudged = {"used": True, "judged": False, "final": False,
                "snout_reading": {"readings": 0}, "changes": []}
    assert ll.depth_judgement == unjudged
    with caplog.at_level(logging.INFO, logger="dlc_lifter.lift.live"):
        res = [ll.step(clip.pose(i), ANY_IMAGE) for i in range(N_FRAMES)]
    assert all(r.depth_used for r in res) and _judged_messages(caplog) == ([], [])
    assert ll.depth_judgement == {"used": True, "judged": True, "final": True,
                                  "snout_reading": {"readings": 2 * DEPTH_CHECK_READINGS,
                                                    "median_mm": 12.0, "raised_share": 0.0},
                                  "changes": []}
    ll.reset()
    assert ll.depth_judgement == unjudged
    read_snout_at(ll, monkeypatch, 65.0)
    res = [ll.step(clip.pose(i), ANY_IMAGE) for i in range(N_FRAMES)]
    used = np.array([r.depth_used for r in res])
    assert used[:DEPTH_CHECK_READINGS - 1].all() and not used[DEPTH_CHECK_READINGS - 1:].any()
    j = ll.depth_judgement
    assert j["used"] is False and j["final"] and j["from_frame"] == DEPTH_CHECK_READINGS - 1
    assert j["changes"] == [{"frame": DEPTH_CHECK_READINGS - 1, "used": False,
                             "readings": DEPTH_CHECK_READINGS}]
