"""Tests of the behaviour-driven pose generator."""

from __future__ import annotations

import numpy as np
import pytest

from dlc_lifter.mouse import (
    BEHAVIOURS,
    CATALOGUE,
    MouseRig,
    generate_sequence,
    generate_sequences,
    sample_poses,
)
from dlc_lifter.mouse.behaviour import TRUNK_STRETCH
from dlc_lifter.mouse.catalogue import catalogue_index
from tests.fixtures.compare import assert_same_draws

PAWS = catalogue_index(["left_forepaw", "right_forepaw", "left_hindpaw", "right_hindpaw"])
NOSE = CATALOGUE.index("nose")
TAIL_BASE = CATALOGUE.index("tail_base")


@pytest.fixture(scope="module")
def seq():
    return generate_sequence(2400, rng=np.random.default_rng(7))


def test_shapes_labels_and_consistency(seq) -> None:
    t = len(seq)
    assert seq.landmarks.shape == (t, len(CATALOGUE), 3)
    assert np.isfinite(seq.landmarks).all()
    assert seq.behaviour.shape == (t,)
    assert set(np.unique(seq.behaviour)) <= set(range(len(BEHAVIOURS)))
    assert len(np.unique(seq.behaviour)) >= 5
    assert seq.behaviour_names()[0] in BEHAVIOURS
    rig = MouseRig(seq.shape)
    np.testing.assert_allclose(rig.landmarks(seq.pose[::97]), seq.landmarks[::97], atol=1e-9)


def test_joint_limits_respected(seq) -> None:
    rig = MouseRig(seq.shape)
    _, _, e = rig.split_pose(seq.pose)
    assert np.all(e >= rig.joint_limits[None, :, :, 0] - 1e-9)
    assert np.all(e <= rig.joint_limits[None, :, :, 1] + 1e-9)


def test_nothing_below_floor(seq) -> None:
    assert seq.landmarks[..., 2].min() >= -0.5
    rig = MouseRig(seq.shape)
    skin = rig.skin(seq.pose[::23])
    assert skin[..., 2].min() >= -0.5


def test_inside_arena(seq) -> None:
    xy = seq.landmarks[:, [NOSE, CATALOGUE.index("mouse_center")], :2]
    # the nose may touch (poke a few mm into) the wall when rearing on it
    assert xy.min() > -10 and (xy[..., 0].max() < seq.arena_mm[0] + 10)
    assert xy[..., 1].max() < seq.arena_mm[1] + 10


def test_smooth_motion(seq) -> None:
    step = np.linalg.norm(np.diff(seq.landmarks[:, NOSE], axis=0), axis=-1)
    assert step.max() < 40.0  # mm per frame at 30 fps (< 1.2 m/s)


def test_walking_paws_planted() -> None:
    s = generate_sequence(600, rng=np.random.default_rng(3), behaviours=("walk", "trot"))
    z = s.landmarks[:, PAWS, 2]
    on_floor = z < 3.5  # paw centre: paw radius (1.2-1.4 mm) + clearance
    # nearly every frame has at least two paws on the floor; most paw-frames are stance
    assert np.mean(on_floor.sum(1) >= 2) > 0.9
    assert on_floor.sum(1).max() == 4
    assert on_floor.mean() > 0.45
    # planted paws do not slide: consecutive on-floor frames move < 1 mm
    both = on_floor[1:] & on_floor[:-1]
    slide = np.linalg.norm(np.diff(s.landmarks[:, PAWS, :2], axis=0), axis=-1)[both]
    assert np.median(slide) < 0.5
    speed = np.linalg.norm(np.diff(s.landmarks[:, CATALOGUE.index("mouse_center"), :2], axis=0),
                           axis=-1) * s.fps
    assert np.median(speed) > 40


def test_rear_and_groom() -> None:
    r = generate_sequence(240, rng=np.random.default_rng(4), behaviours=("rear",))
    core = r.landmarks[60:-30]
    assert core[:, NOSE, 2].max() >= 60.0
    assert np.all(core[:, PAWS[2:], 2] < 3.0)  # hind paws planted
    g = generate_sequence(240, rng=np.random.default_rng(5), behaviours=("groom",))
    d = np.linalg.norm(g.landmarks[30:, PAWS[:2]] - g.landmarks[30:, [NOSE]], axis=-1)
    assert np.median(d) < 20.0
    assert np.median(d) < np.median(
        np.linalg.norm(r.landmarks[:, PAWS[:2]] - r.landmarks[:, [NOSE]], axis=-1)
    )


def test_trunk_is_hunched_or_stretched_by_behaviour() -> None:
    length = {}
    for b, seed in (("rear", 7), ("crouch", 8), ("groom", 9)):
        s = generate_sequence(240, rng=np.random.default_rng(seed), behaviours=(b,))
        lo, hi = TRUNK_STRETCH[b]
        core = s.pose[60:-30, -1]
        assert lo - 0.08 <= core.min() and core.max() <= hi + 0.08, b
        length[b] = np.median(np.linalg.norm(s.landmarks[:, NOSE] - s.landmarks[:, TAIL_BASE],
                                             axis=-1))
    # nose to tail base: rearing mice are long, hunched ones short (real mice change ~40 %)
    assert length["rear"] > 1.1 * length["crouch"]
    assert length["rear"] > 1.1 * length["groom"]


def test_nose_down_posture_raises_the_front_steepens_the_head_and_shortens_the_trunk() -> None:
    """``nose_down_share``: walk, turn and sniff take the real nose-down explorer's posture
    (DANNCE mice: shoulders high, snout 12-13 mm ahead of the ears, 68 mm from the tail
    base); 0 draws nothing, so the sequences are those of the default."""
    ears = catalogue_index(["left_ear", "right_ear"])
    neck = CATALOGUE.index("neck")
    kw = {"behaviours": ("walk", "turn", "sniff")}

    def nose_down(share: float) -> dict[str, float]:
        seqs = generate_sequences(6, 240, seed=3, nose_down_share=share, **kw)
        lm = np.concatenate([s.landmarks for s in seqs])
        lm = lm[lm[:, NOSE, 2] < 15]  # frames with the snout low
        ear = lm[:, ears].mean(axis=1)
        return {"length": np.median(np.linalg.norm(lm[:, NOSE] - lm[:, TAIL_BASE], axis=-1)),
                "ahead": np.median(np.linalg.norm(lm[:, NOSE, :2] - ear[:, :2], axis=-1)),
                "neck": np.median(lm[:, neck, 2])}

    flat, down = nose_down(0.0), nose_down(1.0)
    assert down["length"] < flat["length"] - 8.0
    assert down["ahead"] < flat["ahead"] - 3.0
    assert down["neck"] > flat["neck"] + 1.0
    a = generate_sequences(2, 90, seed=5, nose_down_share=0.0, **kw)
    b = generate_sequences(2, 90, seed=5, **kw)
    assert_same_draws(a[0].landmarks, b[0].landmarks)
    with pytest.raises(ValueError, match="nose_down_share"):
        generate_sequence(10, rng=np.random.default_rng(0), nose_down_share=1.5)


def test_head_up_and_low_rear_postures_fill_the_band_between_flat_and_rearing() -> None:
    """``head_up_share``: sniffs raise the neck and head with the forepaws near the floor;
    ``low_rear_share``: free rears are lower and hunched, forepaws off the floor (the real
    mice's snout 30-60 mm band, DANNCE); 0 draws nothing."""
    neck = CATALOGUE.index("neck")
    paws = catalogue_index(["left_forepaw", "right_forepaw"])

    def medians(behaviour: str, **shares: float) -> dict[str, float]:
        seqs = generate_sequences(6, 240, seed=4, behaviours=(behaviour,), **shares)
        lm = np.concatenate([s.landmarks[60:] for s in seqs])
        return {"nose": float(np.median(lm[:, NOSE, 2])),
                "neck": float(np.median(lm[:, neck, 2])),
                "paws": float(np.median(lm[:, paws, 2]))}

    sniff, head_up = medians("sniff"), medians("sniff", head_up_share=1.0)
    assert head_up["neck"] > sniff["neck"] + 5.0
    assert head_up["nose"] > sniff["nose"] + 10.0
    assert head_up["paws"] < 10.0
    rear, low = medians("rear"), medians("rear", low_rear_share=1.0)
    assert low["nose"] < rear["nose"] - 20.0
    assert low["paws"] > 20.0
    for name in ("head_up_share", "low_rear_share"):
        a = generate_sequences(2, 90, seed=5, behaviours=("sniff", "rear"), **{name: 0.0})
        b = generate_sequences(2, 90, seed=5, behaviours=("sniff", "rear"))
        assert_same_draws(a[0].landmarks, b[0].landmarks)
        with pytest.raises(ValueError, match=name):
            generate_sequence(10, rng=np.random.default_rng(0), **{name: -0.1})


def test_high_hips_raise_the_rears_tail_base_not_their_snout() -> None:
    """``high_hips_share``: rears stand with the hips raised and the trunk shorter (real
    tall rears: tail base 12-18 mm up, the synthetic 8), the snout about as high and the
    hind paws on the floor; 0 draws nothing."""
    hind = catalogue_index(["left_hindpaw", "right_hindpaw"])

    def medians(**shares: float) -> dict[str, float]:
        seqs = generate_sequences(6, 240, seed=4, behaviours=("rear", "rear_wall"), **shares)
        lm = np.concatenate([s.landmarks[60:] for s in seqs])
        tall = lm[:, NOSE, 2] > 60.0
        return {"tail_base": float(np.median(lm[tall, TAIL_BASE, 2])),
                "nose": float(np.median(lm[:, NOSE, 2])),
                "hind": float(np.median(lm[tall][:, hind, 2]))}

    rear, high = medians(), medians(high_hips_share=1.0)
    assert high["tail_base"] > rear["tail_base"] + 3.0
    assert abs(high["nose"] - rear["nose"]) < 6.0
    assert high["hind"] < 4.0
    a = generate_sequences(2, 90, seed=5, behaviours=("rear",), high_hips_share=0.0)
    b = generate_sequences(2, 90, seed=5, behaviours=("rear",))
    assert_same_draws(a[0].landmarks, b[0].landmarks)
    with pytest.raises(ValueError, match="high_hips_share"):
        generate_sequence(10, rng=np.random.default_rng(0), high_hips_share=1.5)


def test_low_paws_hold_the_rears_forepaws_low_against_the_chest() -> None:
    """``low_paws_share``: rears hold the forepaws below the shoulders and nearer the chest,
    the elbows no longer ahead of the shoulders (real tall rears: forepaws 6 mm below and
    13 ahead of the shoulders, elbows under them; the generator's free rears held the paws
    2 mm above and 18 ahead); the snout stays; 0 draws nothing."""
    sh = catalogue_index(["left_shoulder", "right_shoulder"])
    el = catalogue_index(["left_elbow", "right_elbow"])
    fp = catalogue_index(["left_forepaw", "right_forepaw"])

    def offsets(**shares: float) -> dict[str, float]:
        seqs = generate_sequences(6, 240, seed=4, behaviours=("rear",), **shares)
        lm = np.concatenate([s.landmarks[60:] for s in seqs])
        lm = lm[lm[:, NOSE, 2] > 75.0]
        fwd = np.cross(lm[:, sh[0]] - lm[:, sh[1]], [0.0, 0.0, 1.0])
        fwd /= np.linalg.norm(fwd, axis=1, keepdims=True)
        s_mid = lm[:, sh].mean(1)
        paw, elbow = lm[:, fp].mean(1) - s_mid, lm[:, el].mean(1) - s_mid
        return {"paw_up": float(np.median(paw[:, 2])),
                "paw_ahead": float(np.median((paw * fwd).sum(1))),
                "elbow_ahead": float(np.median((elbow * fwd).sum(1))),
                "nose": float(np.median(lm[:, NOSE, 2])), "n": len(lm)}

    rear, low = offsets(), offsets(low_paws_share=1.0)
    assert rear["n"] > 100 and low["n"] > 100
    assert low["paw_up"] < rear["paw_up"] - 5.0 and low["paw_up"] < 0.0
    assert low["paw_ahead"] < rear["paw_ahead"] - 3.0
    assert low["elbow_ahead"] < rear["elbow_ahead"] - 5.0 and abs(low["elbow_ahead"]) < 6.0
    assert abs(low["nose"] - rear["nose"]) < 3.0
    a = generate_sequences(2, 90, seed=5, behaviours=("rear", "rear_wall"), low_paws_share=0.0)
    b = generate_sequences(2, 90, seed=5, behaviours=("rear", "rear_wall"))
    assert_same_draws(a[0].landmarks, b[0].landmarks)
    with pytest.raises(ValueError, match="low_paws_share"):
        generate_sequence(10, rng=np.random.default_rng(0), low_paws_share=1.5)


def test_elbow_out_holds_the_elbows_out_as_real_mice_do() -> None:
    """``elbow_out``: the elbows bend out from the body too (real mice hold them about 20
    mm apart seen from above, rearing or not; the generator's came 10 mm apart in rears);
    0 draws nothing (the same sequences); the rest of the body stays."""
    elbows = catalogue_index(["left_elbow", "right_elbow"])
    paws = catalogue_index(["left_forepaw", "right_forepaw"])

    def apart(seqs: list, idx: list[int]) -> float:
        lm = np.concatenate([s.landmarks[30:] for s in seqs])
        return float(np.median(np.linalg.norm(lm[:, idx[0], :2] - lm[:, idx[1], :2], axis=1)))

    kw = {"behaviours": ("rear", "walk"), "seed": 6}
    before, out = generate_sequences(6, 150, **kw), generate_sequences(6, 150, elbow_out=1.0, **kw)
    assert apart(out, elbows) > apart(before, elbows) + 5.0
    assert abs(apart(out, paws) - apart(before, paws)) < 2.0
    nose = np.abs(np.concatenate([a.landmarks[:, NOSE] - b.landmarks[:, NOSE]
                                  for a, b in zip(before, out, strict=True)]))
    assert np.median(nose) < 0.01 and nose.max() < 6.0  # only where the floor lifts it less
    again = generate_sequences(6, 150, elbow_out=0.0, **kw)
    assert_same_draws(again[0].landmarks, before[0].landmarks)
    with pytest.raises(ValueError, match="elbow_out"):
        generate_sequence(10, rng=np.random.default_rng(0), elbow_out=1.5)


def test_tail_curl_bends_the_tail_whatever_the_behaviour() -> None:
    """``tail_curl_share``: tails lie curled sideways in still behaviours too (real tails do,
    the default generator's only bend in walking and turning); 0 draws nothing."""
    tail_mid = CATALOGUE.index("tail3")
    kw = {"behaviours": ("crouch", "groom", "rear")}

    def bent_share(share: float) -> float:
        seqs = generate_sequences(6, 200, seed=6, tail_curl_share=share, **kw)
        lm = np.concatenate([s.landmarks[40:] for s in seqs])
        axis = lm[:, TAIL_BASE, :2] - lm[:, NOSE, :2]
        tail = lm[:, tail_mid, :2] - lm[:, TAIL_BASE, :2]
        cos = (axis * tail).sum(-1) / (np.linalg.norm(axis, axis=-1)
                                       * np.linalg.norm(tail, axis=-1))
        return float(np.mean(cos < 0.8))

    assert bent_share(0.0) < 0.02
    assert bent_share(1.0) > 0.3
    a = generate_sequences(2, 90, seed=5, tail_curl_share=0.0, **kw)
    b = generate_sequences(2, 90, seed=5, **kw)
    assert_same_draws(a[0].landmarks, b[0].landmarks)
    with pytest.raises(ValueError, match="tail_curl_share"):
        generate_sequence(10, rng=np.random.default_rng(0), tail_curl_share=2.0)


def test_rear_wall_at_wall() -> None:
    s = generate_sequence(900, rng=np.random.default_rng(6), behaviours=("walk", "rear_wall"))
    m = s.behaviour == BEHAVIOURS.index("rear_wall")
    assert m.any()
    paws = s.landmarks[m][:, PAWS[:2], :2]
    w, h = s.arena_mm
    dist = np.minimum.reduce([paws[..., 0], w - paws[..., 0], paws[..., 1], h - paws[..., 1]])
    assert np.median(dist) < 15.0
    assert np.median(s.landmarks[m][:, NOSE, 2]) > 50.0


def test_deterministic() -> None:
    a = generate_sequences(2, 90, seed=11)
    b = generate_sequences(2, 90, seed=11)
    c = generate_sequences(2, 90, seed=12)
    for x, y in zip(a, b, strict=True):
        # The same seed draws the same sequence. Floating point may differ in the last bit:
        # a fresh-clone CI run saw a 2.8e-14 mm difference in one landmark when other
        # processes were compiling the numba kernels at the same moment (cause not found).
        # 1e-9 mm is far below anything a seed change could produce.
        np.testing.assert_allclose(x.landmarks, y.landmarks, rtol=0, atol=1e-9)
        np.testing.assert_allclose(x.pose, y.pose, rtol=0, atol=1e-9)
        assert np.array_equal(x.behaviour, y.behaviour)
    assert not np.array_equal(a[0].landmarks, c[0].landmarks)
    assert not np.array_equal(a[0].landmarks, a[1].landmarks)


def test_sample_poses() -> None:
    lm, beh, shapes, pose = sample_poses(40, rng=np.random.default_rng(0), return_pose=True)
    assert lm.shape == (40, len(CATALOGUE), 3) and beh.shape == (40,)
    assert len(shapes) == 40 and pose.shape[0] == 40
    np.testing.assert_allclose(MouseRig(shapes[0]).landmarks(pose[:1]), lm[:1], atol=1e-9)
    assert lm[..., 2].min() >= -0.5


def test_bad_input() -> None:
    with pytest.raises(ValueError):
        generate_sequence(10, rng=np.random.default_rng(0), behaviours=("fly",))
    with pytest.raises(ValueError):
        generate_sequence(10, rng=np.random.default_rng(0), arena_mm=(50.0, 50.0))
