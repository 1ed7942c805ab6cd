"""``dlc-lifter train`` (lifter, depth, fused) and ``evaluate``: the shipped weights' commands.

``dlc-lifter train`` alone (or ``train lifter``) trains the keypoint lifter
(:func:`~dlc_lifter.nets.train.train_lifter_weights`); ``train depth`` the depth network
(:func:`~dlc_lifter.nets.depth_train.train_depth_weights`, :class:`DepthRecipe`) and
``train fused`` the fused lifter (:func:`~dlc_lifter.nets.fusion_train.train_fused_weights`,
:class:`FusedRecipe`). Every field of a recipe is a flag of the same name (``clip_seed``:
``--clip-seed``; ``max_minutes``: ``--minutes``; tuples comma-separated), and the flags'
defaults are the shipped recipe. Each writes the weights' JSON sidecar with the command
line that ran it, every option with its value (:func:`~dlc_lifter.cli.options.command_line`).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from dlc_lifter.cli.options import MODE, MODEL, command_line, weights_out_option
from dlc_lifter.errors import DLCLifterError

__all__ = ["evaluate_command", "train_app", "train_depth_command", "train_fused_command",
           "train_lifter_command"]

#: Recipe fields whose flag has another name.
_FLAG_OF = {"max_minutes": "minutes"}
#: ``TrainConfig.chunk``, the temporal networks' training window in frames (said here so
#: that ``--help`` needs no torch; tests/cli/test_train.py checks the two agree).
TRAIN_WINDOW = 64


OVERWRITE = typer.Option(False, "--overwrite", help="Replace the weights (and their sidecar) "
                         "already at --out (default: refused before any training).")


def _numbers(text: str, cast: Callable[[str], Any]) -> tuple[Any, ...] | None:
    """Comma-separated numbers (``"3, 3,3"``) cast one by one; None where one is not a number."""
    try:
        return tuple(cast(v) for v in text.replace(" ", "").split(",") if v)
    except ValueError:
        return None


def _check_out(out: Path, overwrite: bool) -> None:
    """Refuse, before any training, weights (or their sidecar) already at ``--out`` unless
    ``--overwrite``: a finished run replaces them only when asked."""
    from dlc_lifter.io.weights import sidecar_path

    there = [p for p in (out, sidecar_path(out)) if p.exists()]
    if there and not overwrite:
        what = " and ".join(str(p) for p in there)
        verb = "exists" if len(there) == 1 else "exist"
        raise DLCLifterError(f"--out {out}: {what} already {verb}; training would replace "
                             "it. Give another --out, or --overwrite to replace it.")


def _parse_kernels(text: str) -> tuple[int, ...]:
    kernels = _numbers(text, int)
    if not kernels or any(k < 1 for k in kernels):
        raise DLCLifterError(f"--kernels must be comma-separated positive kernel sizes such "
                             f"as 3,3,3,3 (receptive field 81); got '{text}'.")
    return kernels


def _from_flags(cls: type, params: dict[str, Any], **given: Any) -> Any:
    """``cls(...)`` (a recipe dataclass) from the parsed flags named as its fields.

    A field missing from ``params`` (and not ``given``) raises ``KeyError``: every field
    must have its flag. Tuple fields come comma-separated.
    """
    values = dict(given)
    for f in dataclasses.fields(cls):
        if f.name in values:
            continue
        value = params[_FLAG_OF.get(f.name, f.name)]
        if str(f.type).startswith("tuple") and isinstance(value, str):
            value = tuple(v.strip() for v in value.split(",") if v.strip())
        values[f.name] = value
    return cls(**values)


def _parse_seeds(text: str) -> list[int]:
    """``--seeds 0,1,2`` as integers (how many, and that they differ, the training checks)."""
    seeds = _numbers(text, int)
    if seeds is None:
        raise DLCLifterError(f"--seeds takes integers, comma-separated such as 0,1,2; got "
                             f"'{text}'.")
    return list(seeds)


def _parse_span(text: str) -> tuple[float, float]:
    """``--image-span 0.5,2.0`` as ``(lo, hi)`` with ``0 < lo <= hi``."""
    span = _numbers(text, float)
    if span is None or len(span) != 2:
        raise DLCLifterError(f"--image-span takes two numbers, LO,HI such as 0.5,2.0; got "
                             f"'{text}'.")
    if not 0 < span[0] <= span[1]:
        raise DLCLifterError(f"--image-span needs 0 < LO <= HI; got '{text}'.")
    return span[0], span[1]


def _parse_lo_hi(text: str, option: str, example: str = "-6,3") -> tuple[float, float]:
    """``option``'s ``-6,3`` (``--ear-forward-mm``, ``--shoulder-forward-mm``,
    ``--miss-prob``) as ``(lo, hi)`` with ``lo <= hi``; ``example`` shows a valid value in
    the message."""
    span = _numbers(text, float)
    if span is None or len(span) != 2 or span[0] > span[1]:
        raise DLCLifterError(f"{option} takes two numbers, LO,HI with LO <= HI such as "
                             f"{example}; got '{text}'.")
    return span[0], span[1]


def _parse_miss_prob(text: str) -> tuple[float, float]:
    """``--miss-prob 0,0.3`` as ``(lo, hi)`` with ``0 <= lo <= hi < 1``."""
    lo, hi = _parse_lo_hi(text, "--miss-prob", "0,0.3")
    if not 0 <= lo <= hi < 1:
        raise DLCLifterError(f"--miss-prob needs 0 <= LO <= HI < 1 (rates of missing points); "
                             f"got '{text}'.")
    return lo, hi


def _parse_view_deg(text: str, option: str = "--view-deg") -> tuple[float, float]:
    """``--view-deg 15,55`` (or ``option``) as ``(lo, hi)`` with ``0 <= lo <= hi < 80``."""
    span = _numbers(text, float)
    if span is None or len(span) != 2 or not 0 <= span[0] <= span[1] < 80:
        raise DLCLifterError(f"{option} takes two angles, LO,HI with 0 <= LO <= HI < 80 "
                             f"(degrees off the vertical), such as 15,55; got '{text}'.")
    return span[0], span[1]


# --------------------------------------------------------------------------- the lifter
def train_lifter_command(
    ctx: typer.Context,
    out: Path = weights_out_option("lifter.pt", "held-out errors"),
    minutes: float | None = typer.Option(9.5, "--minutes", min=0.01,
                                         help="Stop training after this many minutes (a "
                                         "cap; results are deterministic when it is not "
                                         "reached)."),
    seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same weights)."),
    seeds: str | None = typer.Option(None, "--seeds", help="Train one network per seed "
                                     "(comma-separated, e.g. 0,1,2; replaces --seed) and save "
                                     "their average as one model: an ensemble."),
    workdir: Path | None = typer.Option(None, "--workdir", help="With --seeds: keep each "
                                        "member's weights here and reuse those already "
                                        "trained with the same settings (resume)."),
    steps: int = typer.Option(3600, "--steps", min=1, help="Optimiser steps of the temporal "
                              "network."),
    causal_steps: int = typer.Option(3000, "--causal-steps", min=1, help="Optimiser steps of the "
                                     "causal (live) network."),
    frame_steps: int = typer.Option(1500, "--frame-steps", min=1, help="Optimiser steps of the "
                                    "per-frame network."),
    frame_sequences: int | None = typer.Option(None, "--frame-sequences", min=1, help="Training "
                                               "sequences of the per-frame network (default: "
                                               "--n-sequences)."),
    frame_channels: int | None = typer.Option(None, "--frame-channels", min=1, help="Width of the "
                                              "per-frame network (default: --channels)."),
    n_sequences: int = typer.Option(400, "--n-sequences", min=1, help="Synthetic training "
                                    "sequences."),
    n_frames: int = typer.Option(300, "--n-frames", min=TRAIN_WINDOW, help="Frames per "
                                 f"sequence (at least {TRAIN_WINDOW}: the temporal networks' "
                                 "training window)."),
    channels: int = typer.Option(128, "--channels", min=1, help="Network width."),
    kernels: str = typer.Option("3,3,3,3", "--kernels", help="Kernel sizes of the temporal "
                                "and causal networks (3,3,3,3: receptive field 81 frames; "
                                "3,3,3: 27)."),
    ear_label_mm: float = typer.Option(0.0, "--ear-label-mm", help="Ear labels placed up to "
                                       "this far (mm) above the ear base, one draw per "
                                       "sequence, as labellers place them (0: at the base)."),
    ear_forward_mm: str = typer.Option("0,0", "--ear-forward-mm", help="Ear labels moved "
                                       "along the head by LO..HI mm (> 0: towards the "
                                       "snout), one draw per sequence, as labs place them "
                                       "nearer or further from the snout (0,0: none)."),
    shoulder_forward_mm: str = typer.Option("0,0", "--shoulder-forward-mm", help="Shoulder "
                                            "labels moved along the trunk by LO..HI mm (> 0: "
                                            "towards the head), one draw per sequence, as "
                                            "labellers place them ahead of the joint (0,0: "
                                            "none)."),
    neck_back_mm: str = typer.Option("0,0", "--neck-back-mm", help="Neck labels moved back "
                                     "along the trunk by LO..HI mm (> 0: towards the tail), "
                                     "one draw per sequence, as DANNCE's labellers place "
                                     "SpineF behind the neck (0,0: none)."),
    steep_snout_miss: float = typer.Option(0.0, "--steep-snout-miss", min=0.0, max=1.0,
                                           help="Probability that the training snout is "
                                           "missing where the head points steeply down, as "
                                           "labellers and trackers lose a snout the head "
                                           "hides (0: missing points at random only)."),
    limb_dropout: float = typer.Option(0.0, "--limb-dropout", min=0.0, max=1.0,
                                       help="Probability that a training window loses all "
                                       "its forelimb points (elbows, wrists, forepaws), and "
                                       "on its own draw all its hind-limb points, as "
                                       "trackers lose paws under the body (0: none)."),
    miss_prob: str = typer.Option("0,0.06", "--miss-prob", help="Range LO,HI of the rate "
                                  "at which training points go missing at random, one draw "
                                  "per clip, as trackers and labellers leave points out "
                                  "(0,0.06: the default)."),
    nose_down_share: float = typer.Option(0.0, "--nose-down-share", min=0.0, max=1.0,
                                          help="Share of the synthetic walk, turn and sniff "
                                          "behaviours in the real mouse's nose-down exploring "
                                          "posture (front raised, head steep, trunk short; "
                                          "0: none)."),
    head_up_share: float = typer.Option(0.0, "--head-up-share", min=0.0, max=1.0,
                                        help="Share of the synthetic sniff bouts with the "
                                        "head raised, forepaws near the floor, as real mice "
                                        "scan between flat and rearing (0: none)."),
    low_rear_share: float = typer.Option(0.0, "--low-rear-share", min=0.0, max=1.0,
                                         help="Share of the synthetic free rears that are "
                                         "low and hunched (0: none)."),
    tail_curl_share: float = typer.Option(0.0, "--tail-curl-share", min=0.0, max=1.0,
                                          help="Share of the synthetic behaviours (any) "
                                          "whose tail lies curled sideways, as real tails "
                                          "lie whatever the mouse does (0: none)."),
    high_hips_share: float = typer.Option(0.0, "--high-hips-share", min=0.0, max=1.0,
                                          help="Share of the synthetic rears standing with "
                                          "the hips raised and the trunk shorter, as real "
                                          "tall rears do (0: none)."),
    elbow_out: float = typer.Option(0.0, "--elbow-out", min=0.0, max=1.0,
                                    help="Largest outward swing of the synthetic elbows, "
                                    "one draw per sequence from 0 to it, as real mice hold "
                                    "their elbows out from the body (0: none)."),
    low_paws_share: float = typer.Option(0.0, "--low-paws-share", min=0.0, max=1.0,
                                         help="Share of the synthetic rears holding the "
                                         "forepaws low against the chest, as real rears "
                                         "do (0: none)."),
    image_span: str | None = typer.Option(None, "--image-span", help="Range of arena widths "
                                          "the shorter side of a training camera's image "
                                          "spans (LO,HI; default 0.5,1.1; 0.5,2.0 includes "
                                          "mice of 40 px in a 480 px video)."),
    view: str = typer.Option("above", "--view", help="Train for cameras above the floor "
                             "(above) or under a glass floor looking up (below: the "
                             "networks of lifter_below.pt)."),
    view_deg: str | None = typer.Option(None, "--view-deg", help="Train for oblique views: "
                                        "every camera sees the arena's centre LO-HI degrees "
                                        "off the vertical (LO,HI; the networks of "
                                        "lifter_oblique.pt: 15,55)."),
    frame_view_deg: str | None = typer.Option(None, "--frame-view-deg", help="The same for "
                                              "the per-frame network's training sequences "
                                              "only (LO,HI; default: as --view-deg)."),
    modes: str = typer.Option("temporal,causal,frame", "--modes", help="The networks to "
                              "train (comma-separated among temporal, causal, frame)."),
    extend: Path | None = typer.Option(None, "--extend", help="Existing lifter weights: the "
                                       "networks trained here join its networks of the same "
                                       "modes as more ensemble members (its other networks "
                                       "kept), and --out is that lifter so extended "
                                       "(its companions X_below.pt, X_oblique.pt copied "
                                       "beside --out where there are any)."),
    replace_modes: bool = typer.Option(False, "--replace", help="With --extend: the "
                                       "networks trained take the place of its networks of "
                                       "the same modes instead of joining them (a new recipe "
                                       "for one stage, its other networks kept)."),
    eval_sequences: int = typer.Option(24, "--eval-sequences", min=0, help="Held-out sequences "
                                       "evaluated after training (0: skip)."),
    threads: int | None = typer.Option(None, "--threads", min=1, help="torch threads (part of the "
                                       "recipe: a seed gives the same weights with the same "
                                       "thread count; another count sums in another order, "
                                       "and training drifts apart)."),
    overwrite: bool = OVERWRITE,
) -> None:
    """Train the keypoint lifter on synthetic mice (or: train depth, train fused).

    The weights' .json sidecar records this command with every option's value.

    Example: dlc-lifter train --out lifter.pt --seed 0 --minutes 30 --threads 2

    Three seeds averaged as one model: dlc-lifter train --out lifter.pt --seeds 0,1,2
    --channels 74 (the shipped lifter's full command is in its .json sidecar).

    Three more per-frame members for a lifter: dlc-lifter train --out more.pt --extend
    lifter.pt --modes frame --seeds 3,4,5 (with the lifter's recipe flags); with --replace
    they take the place of its per-frame networks.
    """
    if ctx.invoked_subcommand is not None:
        _refuse_lifter_options(ctx)
        return
    from dlc_lifter.nets.train import (  # torch
        TrainConfig,
        format_report,
        train_ensemble_weights,
        train_lifter_weights,
    )

    t0 = time.monotonic()
    seed_list = _parse_seeds(seeds) if seeds is not None else None
    if workdir is not None and seed_list is None:
        raise DLCLifterError("--workdir keeps the members of an ensemble; give --seeds too "
                             "(e.g. --seeds 0,1,2) or leave --workdir out.")
    cfg = TrainConfig(seed=seed, steps=steps, causal_steps=causal_steps,
                      frame_steps=frame_steps, frame_sequences=frame_sequences,
                      frame_channels=frame_channels, n_sequences=n_sequences, n_frames=n_frames,
                      channels=channels, kernels=_parse_kernels(kernels), max_minutes=minutes,
                      threads=threads, ear_label_mm=ear_label_mm,
                      ear_forward_mm=_parse_lo_hi(ear_forward_mm, "--ear-forward-mm"),
                      shoulder_forward_mm=_parse_lo_hi(shoulder_forward_mm,
                                                       "--shoulder-forward-mm"),
                      neck_back_mm=_parse_lo_hi(neck_back_mm, "--neck-back-mm"),
                      steep_snout_miss=steep_snout_miss,
                      miss_prob=_parse_miss_prob(miss_prob), limb_dropout=limb_dropout,
                      nose_down_share=nose_down_share, head_up_share=head_up_share,
                      low_rear_share=low_rear_share, tail_curl_share=tail_curl_share,
                      high_hips_share=high_hips_share, elbow_out=elbow_out,
                      low_paws_share=low_paws_share,
                      view=_train_view(view),
                      image_span=None if image_span is None else _parse_span(image_span),
                      view_deg=None if view_deg is None else _parse_view_deg(view_deg),
                      frame_view_deg=None if frame_view_deg is None
                      else _parse_view_deg(frame_view_deg, "--frame-view-deg"),
                      modes=_parse_modes(modes))
    if extend is not None and not extend.is_file():
        raise DLCLifterError(f"--extend {extend}: no such weights file; give lifter weights "
                             "written by 'dlc-lifter train' (the shipped ones are "
                             "dlc_lifter/data/weights/lifter.pt).")
    if extend is not None and out.resolve() == extend.resolve():
        raise DLCLifterError(f"--out {out} is the --extend weights themselves: training would "
                             "overwrite them (and their sidecar). Give another --out; the "
                             "weights written keep the networks of --extend they do not "
                             "replace.")
    _check_out(out, overwrite)
    if seed_list is None:
        _, report = train_lifter_weights(cfg, out, eval_sequences=eval_sequences,
                                         command=command_line(ctx), extend=extend,
                                         replace_modes=replace_modes)
    else:
        _, report = train_ensemble_weights(cfg, seed_list, out, eval_sequences=eval_sequences,
                                           command=command_line(ctx), workdir=workdir,
                                           extend=extend, replace_modes=replace_modes)
    if report is not None:
        typer.echo(format_report(report))
    typer.echo(f"Trained in {time.monotonic() - t0:.0f} s; weights: {out}")


def _parse_modes(text: str) -> tuple[str, ...]:
    """``--modes frame`` or ``temporal,causal,frame`` as a tuple in the training's order."""
    from dlc_lifter.nets.lifter import MODES

    given = {m.strip() for m in text.split(",") if m.strip()}
    if not given or given - set(MODES):
        raise DLCLifterError(f"--modes takes networks among {', '.join(MODES)}, comma-"
                             f"separated; got '{text}'.")
    return tuple(m for m in MODES if m in given)


def _train_view(view: str) -> str:
    """``--view`` of ``train``: above or below (auto decides per file, not per training)."""
    if view not in ("above", "below"):
        raise DLCLifterError(f"--view of train must be above or below; got {view!r}.")
    return view


def _refuse_lifter_options(ctx: typer.Context) -> None:
    """The lifter's options given before a subcommand (``train --seed 1 depth``) are an error."""
    given = [max(p.opts, key=len) for p in ctx.command.params
             if ctx.get_parameter_source(p.name).name not in ("DEFAULT", "DEFAULT_MAP")]
    if given:
        sub = ctx.invoked_subcommand
        raise typer.BadParameter(f"an option of the keypoint lifter's training, given before "
                                 f"'{sub}'; give the options of 'train {sub}' after '{sub}'.",
                                 ctx=ctx, param_hint=", ".join(given))


# --------------------------------------------------------------------------- depth
BASE = typer.Option(None, "--base", help="The keypoints-only lifter weights it builds on "
                    "(default: the shipped lifter.pt).")
RENDER_WORKERS = typer.Option(2, "--workers", "-j", help="Processes rendering the training "
                              "data (does not change the weights).")
TRAIN_MINUTES = typer.Option(None, "--minutes", min=0.01,
                             help="Stop training after this many minutes (then the weights "
                             "are not reproducible; default: no cap).")


def train_depth_command(
    ctx: typer.Context,
    out: Path = weights_out_option("depth_net.pt", "recipe"),
    base: Path | None = BASE,
    workdir: Path = typer.Option(Path("dlc_lifter_train"), "--workdir", help="Folder for the "
                                 "rendered dataset (reused when already complete)."),
    workers: int = RENDER_WORKERS,
    synth_frames: int = typer.Option(6144, "--synth-frames", help="Frames of the rendered "
                                     "dataset."),
    synth_seed: int = typer.Option(11, "--synth-seed", help="Seed of the rendered dataset."),
    crop_seed: int = typer.Option(5, "--crop-seed", help="Seed of the crops' scale and "
                                  "position jitter."),
    clips: int = typer.Option(288, "--clips", help="Extra rendered sequences (0: none)."),
    clip_frames: int = typer.Option(12, "--clip-frames", help="Frames rendered per extra "
                                    "sequence."),
    clip_stride: int = typer.Option(4, "--clip-stride", help="Render every this-many-th frame "
                                    "of an extra sequence."),
    clip_seed: int = typer.Option(9100, "--clip-seed", help="Seed of the extra sequences."),
    clip_behaviours: str = typer.Option("rear,rear_wall,groom,sniff,crouch",
                                        "--clip-behaviours", help="Behaviours of the extra "
                                        "sequences, comma-separated."),
    tracking_seed: int = typer.Option(7, "--tracking-seed", help="Seed of the simulated "
                                      "tracking that places the extra sequences' crops."),
    seed: int = typer.Option(0, "--seed", help="Seed of initialisation, batches and "
                             "augmentation."),
    steps: int = typer.Option(6500, "--steps", min=1, help="Optimiser steps."),
    batch: int = typer.Option(24, "--batch", help="Crops per step."),
    lr: float = typer.Option(3e-3, "--lr", help="Peak learning rate (one-cycle)."),
    weight_decay: float = typer.Option(1e-4, "--weight-decay", help="AdamW weight decay."),
    width: int = typer.Option(24, "--width", help="Network width."),
    floor_weight: float = typer.Option(0.2, "--floor-weight", help="Loss weight of non-mouse "
                                       "pixels' heights (mouse pixels: 1)."),
    mask_weight: float = typer.Option(0.5, "--mask-weight", help="Weight of the mask loss."),
    rear_weight: float = typer.Option(4.0, "--rear-weight", help="Sampling weight of crops of "
                                      "rearing mice (others: 1)."),
    top_weight: float = typer.Option(1.0, "--top-weight", help="Extra loss weight of mouse "
                                     "pixels per unit of true height."),
    landmark_weight: float = typer.Option(1.0, "--landmark-weight", help="Weight of the "
                                          "landmark-height loss (0: a 2-output network)."),
    augment: float = typer.Option(1.0, "--augment", help="Strength of the appearance "
                                  "augmentation (0: plain renders)."),
    threads: int = typer.Option(2, "--threads", min=1, help="torch threads."),
    minutes: float | None = TRAIN_MINUTES,
    overwrite: bool = OVERWRITE,
) -> None:
    """Train the depth network on rendered mice (defaults: the shipped weights' recipe).

    The weights' .json sidecar records this command with every option's value.

    Example: dlc-lifter train depth --out depth_net.pt --workdir /tmp/depth --workers 2
    """
    from dlc_lifter.nets.depth_train import DepthRecipe, DepthTrainConfig, train_depth_weights

    _check_out(out, overwrite)
    recipe = _from_flags(DepthRecipe, ctx.params, train=_from_flags(DepthTrainConfig,
                                                                    ctx.params))
    train_depth_weights(recipe, out, base=_lifter(base), workdir=workdir,
                        command=command_line(ctx), workers=workers, progress=True)
    typer.echo(f"Depth network: {out}")


# --------------------------------------------------------------------------- fused
def train_fused_command(
    ctx: typer.Context,
    out: Path = weights_out_option("depth_fused_lifter.pt", "recipe"),
    base: Path | None = BASE,
    depth_model: Path | None = typer.Option(None, "--depth-model", help="The depth network "
                                            "that reads the training cues (default: the "
                                            "shipped depth_net.pt)."),
    workers: int = RENDER_WORKERS,
    clips: int = typer.Option(768, "--clips", help="Rendered sequences drawn."),
    frames: int = typer.Option(48, "--frames", help="Frames per sequence."),
    views: int = typer.Option(2, "--views", help="Tracking simulations per sequence."),
    render_seed: int = typer.Option(1000, "--render-seed", help="Seed of clip 0's rendering "
                                    "(clip i: this + i)."),
    tracking_seed: int = typer.Option(23, "--tracking-seed", help="Seed of the simulated "
                                      "tracking."),
    rear_every: int = typer.Option(0, "--rear-every", help="Every this-many-th clip draws "
                                   "from the rearing mix (0: none)."),
    groom_every: int = typer.Option(3, "--groom-every", help="Every this-many-th clip draws "
                                    "from the grooming mix (0: none)."),
    groom_keep: int = typer.Option(2, "--groom-keep", help="Use every this-many-th grooming "
                                   "clip."),
    seed: int = typer.Option(0, "--seed", help="Seed of batches and cue dropout (the soup: "
                             "seed, seed + 1, ...)."),
    steps: int = typer.Option(800, "--steps", min=1, help="Optimiser steps per mode and soup "
                              "member."),
    batch: int = typer.Option(32, "--batch", help="Windows per step."),
    chunk: int = typer.Option(32, "--chunk", help="Output frames per window."),
    lr: float = typer.Option(1e-3, "--lr", help="Peak learning rate (one-cycle)."),
    weight_decay: float = typer.Option(1e-4, "--weight-decay", help="AdamW weight decay."),
    clip_drop: float = typer.Option(0.1, "--clip-drop", help="Probability of dropping a "
                                    "view's cues."),
    frame_drop: float = typer.Option(0.05, "--frame-drop", help="Probability of dropping a "
                                     "frame's cues."),
    rear_weight: float = typer.Option(1.0, "--rear-weight", help="Extra sampling weight of "
                                      "windows with rearing."),
    modes: str = typer.Option("temporal,causal,frame", "--modes", help="Network modes to "
                              "fine-tune, comma-separated."),
    scope: str = typer.Option("all", "--scope", help="What is trained: cues, first or all."),
    cue_l2: float = typer.Option(1e-2, "--cue-l2", help="L2 penalty on the cue weights."),
    base_l2: float = typer.Option(1.0, "--base-l2", help="L2 pull of the keypoint weights "
                                  "towards the base lifter's."),
    cue_jitter: float = typer.Option(0.1, "--cue-jitter", help="Per-view log-normal scale "
                                     "error of the height cues."),
    anchor_sequences: int = typer.Option(64, "--anchor-sequences", help="Generated cue-free "
                                         "sequences mixed in."),
    anchor_frames: int = typer.Option(300, "--anchor-frames", help="Frames per anchor "
                                      "sequence."),
    soup: int = typer.Option(4, "--soup", help="Fine-tunes averaged into the weights."),
    threads: int = typer.Option(1, "--threads", min=1, help="torch threads."),
    overwrite: bool = OVERWRITE,
) -> None:
    """Fine-tune the fused lifter on rendered mice (defaults: the shipped weights' recipe).

    The fused lifter lifts from keypoints and depth cues.

    The weights' .json sidecar records this command with every option's value.

    Example: dlc-lifter train fused --out depth_fused_lifter.pt --workers 2
    """
    from dlc_lifter.lift.depth_path import default_depth_weights
    from dlc_lifter.nets.depth import DepthModel
    from dlc_lifter.nets.fusion_train import FusedRecipe, FusedTrainConfig, train_fused_weights

    _check_out(out, overwrite)
    recipe = _from_flags(FusedRecipe, ctx.params, train=_from_flags(FusedTrainConfig,
                                                                    ctx.params))
    depth = DepthModel.load(depth_model or default_depth_weights())
    train_fused_weights(recipe, out, base=_lifter(base), depth_model=depth,
                        command=command_line(ctx), workers=workers)
    typer.echo(f"Fused lifter: {out}")


def _lifter(path: Path | None) -> Any:
    """The keypoints-only lifter at ``path`` (``None``: the shipped one)."""
    from dlc_lifter.lift.lifter import default_model_path
    from dlc_lifter.nets.lifter import LiftingModel  # torch

    return LiftingModel.load(path or default_model_path())


train_app = typer.Typer(no_args_is_help=False, add_completion=False)
train_app.callback(invoke_without_command=True)(train_lifter_command)
train_app.command("lifter")(train_lifter_command)
train_app.command("depth")(train_depth_command)
train_app.command("fused")(train_fused_command)


# --------------------------------------------------------------------------- evaluate
def evaluate_command(
    model: Path | None = MODEL,
    n_sequences: int = typer.Option(40, "--n-sequences", min=1, help="Held-out sequences."),
    n_frames: int = typer.Option(300, "--n-frames", help="Frames per sequence."),
    seed: int = typer.Option(12345, "--seed", help="Seed of the held-out set (use one the "
                             "model was not trained with)."),
    mode: str = MODE,
) -> None:
    """Held-out synthetic errors (MPJPE, PA-MPJPE, height) against two baselines.

    Example: dlc-lifter evaluate --model lifter.pt --n-sequences 40 --mode causal
    """
    from dlc_lifter.lift import Lifter
    from dlc_lifter.nets.train import evaluate, format_report  # torch

    lifter = Lifter.load(model)
    report = evaluate(lifter.model, n_sequences=n_sequences, n_frames=n_frames, seed=seed,
                      mode=mode)
    typer.echo(format_report(report))
