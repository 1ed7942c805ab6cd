"""``dlc-lifter info`` and ``dlc-lifter catalogue``: pose files and the landmark catalogue."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import typer

from dlc_lifter.cli.options import (
    ARENA_SIZE_MM,
    CALIBRATION,
    CAMERA,
    CAMERA_HEIGHT_MM,
    FLOOR_SCALE,
    FOCAL_PX,
    IMAGE_SIZE,
    KEYPOINT_MAP,
    POSE_FILE_HELP,
    SLEAP_VIDEO,
    VIEW,
    camera_spec,
    pcutoff_option,
)
from dlc_lifter.errors import DLCLifterError

if TYPE_CHECKING:
    from dlc_lifter.lift.labelled_pool import Project
    from dlc_lifter.lift.options import CameraSpec
    from dlc_lifter.mouse.keypoint_map import KeypointMap
    from dlc_lifter.poses import PoseMetadata, Poses

__all__ = ["catalogue_command", "info_command"]


#: What ``dlc-lifter info`` says of a file that does not record its frames' size.
_UNKNOWN_SIZE = "unknown (lift with --video, or give it: --image-size WxH)"


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
            for r in rows]
    return "\n".join(out)


def info_command(
    file: Path = typer.Argument(..., help=POSE_FILE_HELP),
    config: Path | None = typer.Option(
        None, "--config", "-c", help="DeepLabCut config.yaml (for pcutoff and skeleton)."),
    keypoint_map: Path | None = KEYPOINT_MAP,
    pcutoff: float | None = pcutoff_option(None),
    calibration: Path | None = CALIBRATION,
    camera: str | None = CAMERA,
    camera_height_mm: float | None = CAMERA_HEIGHT_MM,
    focal_px: float | None = FOCAL_PX,
    arena_size_mm: str | None = ARENA_SIZE_MM,
    floor_scale: str | None = FLOOR_SCALE,
    image_size: str | None = IMAGE_SIZE,
    view: str = VIEW,
    sleap_video: str | None = SLEAP_VIDEO,
) -> None:
    """Show a pose file's format, frames, individuals, keypoints and their catalogue names.

    With the camera flags of ``lift`` it also shows the camera a lift would use, how it sees
    the animal and how big the animal comes out (before lifting a whole project: a
    calibration in cm shows here as a mouse a few mm long).

    Example: dlc-lifter info videoDLC_resnet50.h5 --keypoint-map map.yaml
    --calibration calibration.toml
    """
    from dlc_lifter.io import DEFAULT_PCUTOFF, read_dlc_config, read_poses
    from dlc_lifter.lift.keypoints import (
        file_keypoint_plan,
        lifted_keypoint_map,
        resolve_keypoint_map,
    )

    cfg = read_dlc_config(config) if config is not None else None
    poses = read_poses(file, config=cfg, sleap_video=sleap_video)
    mapping = resolve_keypoint_map(keypoint_map)
    if mapping is None:  # a lift's own output: as lifted
        mapping = lifted_keypoint_map(poses)
    cutoff = pcutoff if pcutoff is not None else (cfg.pcutoff if cfg else DEFAULT_PCUTOFF)
    plan = file_keypoint_plan(poses, mapping)  # as the lift plans it
    mapped = plan.mapped
    m = poses.meta
    lines = [
        f"File:        {file}",
        f"Format:      {m.source_format}  ({poses.ndim}D, {m.units}, frame {m.frame})",
        f"Scorer:      {_scorer_line(m)}",
        f"Frames:      {_frames_line(poses)}",
        f"fps:         {m.fps if m.fps else 'unknown'}",
        f"Image size:  {'x'.join(map(str, m.image_size)) if m.image_size else _UNKNOWN_SIZE}",
        f"Video:       {_video_line(m)}",
        f"Individuals: {poses.n_individuals} ({_individuals_line(poses)})"
        + _animals_split(poses, plan),
        f"Keypoints:   {poses.n_keypoints}, {len(mapped)} mapped to the catalogue"
        + (f", {len(plan.arena)} arena landmarks" if plan.arena else "")
        + (f", {len(plan.dropped)} not lifted" if plan.dropped else ""),
        f"Skeleton:    {_skeleton_line(plan.skeleton, poses.keypoints)}",
        "",
    ]
    typer.echo("\n".join(lines))
    missing = poses.missing
    conf = poses.confidence
    rows = []
    for k, kp in enumerate(poses.keypoints):
        # over the individuals that track it at all: a multi-animal DeepLabCut file's
        # unique bodyparts are only ever under 'single', the others' never are
        carry = ~missing[:, :, k].all(0)
        carry = carry if carry.any() else np.ones_like(carry)
        miss = missing[:, carry, k]
        c = conf[:, carry, k]
        below = np.where(np.isnan(c), False, c < cutoff)
        use = (mapped[kp] if kp in mapped else f"arena: {plan.arena[kp]}"
               if kp in plan.arena else "not lifted")
        rows.append([kp, use, f"{miss.mean():.1%}", f"{below.mean():.1%}"])
    typer.echo(_table(["keypoint", "catalogue", "missing", f"p<{cutoff:g}"], rows))
    from dlc_lifter.lift.keypoints import split_animals

    split = split_animals(poses, plan)  # the animals as the lift takes them apart
    typer.echo(f"\nSeen from:   {_seen_from(split, plan, cutoff)}")
    if not poses.is_3d:
        from dlc_lifter.lift.keypoints import catalogue_arrays

        # catalogue_arrays works out which names each animal is lifted from when not told
        from dlc_lifter.lift.labelled_pool import project_label_frames

        uv, conf, _ = catalogue_arrays(split, plan)
        typer.echo(f"Far off:     {_far_off(uv, conf, plan, cutoff)}")
        project = project_label_frames(split, plan, cutoff)  # as the lift reads them
        back = _on_the_back(uv, conf, plan, cutoff, project)
        if back:
            typer.echo(f"On the back: {back}")
        order = _back_order(uv, conf, plan, cutoff, project, list(split.individuals))
        if order:
            typer.echo(f"Back order:  {order}")
    if plan.dropped:
        typer.echo("\nNot lifted:")
        for kp, why in plan.dropped.items():
            typer.echo(f"  {kp}: {why}")
    for line in plan.warnings:
        if "both name" in line or "keypoint map entries" in line or "side view" in line:
            typer.echo(line)
    if plan.dropped:
        typer.echo("Map them with --keypoint-map map.yaml ('name: catalogue_name', or "
                   "'name: null' to drop); 'dlc-lifter catalogue' lists the names.")
    try:
        plan.require_liftable(str(file))
    except DLCLifterError as exc:
        typer.echo(f"\nCannot be lifted as it is: {exc}")
        return
    if poses.ndim == 2 and any(v is not None for v in (calibration, camera_height_mm,
                                                       focal_px, arena_size_mm,
                                                       floor_scale)):
        spec = camera_spec(calibration, camera, camera_height_mm, focal_px, arena_size_mm,
                           None, image_size, view, floor_scale)
        typer.echo("\n" + "\n".join(_camera_lines(poses, mapping, spec, cutoff)))


def _skeleton_line(skeleton: str | None, names: list[str]) -> str:
    """The known skeleton the names were matched to, or whose names they are."""
    from dlc_lifter.mouse.skeletons import skeleton_of_catalogue_names

    if skeleton:
        return skeleton
    same = skeleton_of_catalogue_names(names)
    if same is not None:  # SuperAnimal's names are the catalogue's: mapped one by one
        return f"{same.name} (its names are the catalogue's own)"
    return "no known skeleton (names matched one by one)"


def _video_line(m: PoseMetadata) -> str:
    """The video of the file, said not to be there where it is not found, or where its
    images are (a SLEAP labels package's own: the lift's words,
    :func:`~dlc_lifter.lift.pipeline.embedded_images_whence`)."""
    from dlc_lifter.lift.pipeline import embedded_images_whence

    embedded = embedded_images_whence(m)
    if embedded:
        return f"none: {embedded}"
    if m.video and not Path(m.video).is_file():  # as the file records it
        return f"{m.video} (not there, nor beside the file: give it to lift with --video)"
    return str(m.video or "unknown")


def _animals_split(poses: Poses, plan: KeypointMap) -> str:
    """``"; lifted as 2 animals (...)"`` where one individual tracks several animals'
    names (SimBA's ``Nose_1, Nose_2``; :func:`~dlc_lifter.lift.keypoints.split_animals`)."""
    from dlc_lifter.lift.keypoints import split_animals

    if poses.ndim != 2:
        return ""
    split = split_animals(poses, plan)
    if split is poses:
        return ""
    return (f"; lifted as {split.n_individuals} animals ({', '.join(split.individuals)}: "
            "the names' animal prefixes or numbers)")


def _camera_lines(poses: Poses, mapping: dict[str, str | None] | None, spec: CameraSpec,
                  cutoff: float) -> list[str]:
    """What :func:`~dlc_lifter.lift.lift_camera` makes of the camera flags, in words."""
    from dlc_lifter.lift import Lifter, lift_camera
    from dlc_lifter.lift.body_size import TRAINED_LENGTH_SHARE

    lifter = Lifter.load().with_mode("temporal", cutoff)
    choice = lift_camera(poses, lifter=lifter, keypoint_map=mapping,
                         calibration=spec.calibration, camera=spec.camera_name,
                         camera_height_mm=spec.camera_height_mm, focal_px=spec.focal_px,
                         arena_size_mm=spec.arena_size_mm, image_size=spec.image_size,
                         view=spec.view, floor_mm_per_px=spec.floor_scale)
    cam = choice.camera
    where = "below" if cam.below_floor else "above"
    lines = [f"Camera:      {choice.source}: {abs(float(cam.centre[2])):.0f} mm {where} the "
             f"floor, focal {cam.fx:.0f} px"]
    if choice.details.get("turned_over"):  # as the lift warns it
        lines[0] += ("  <- the calibration's z axis points down, it seems (the camera below "
                     "its floor, the animal's sides the wrong way round as seen from there): "
                     "lifted in its world turned over, y and z reversed; give it with z up "
                     "to keep its axes")
    elif cam.below_floor and spec.calibration is not None and spec.view == "auto":
        lines[0] += ("  <- lifted as filmed through a glass floor; if the camera is above "
                     "the floor, the calibration's z points down: --view above turns it over")
    view = choice.details.get("view")
    if view:
        lines.append(f"View:        {view['angle_deg']:.0f} deg off the vertical (median; 95 % "
                     f"within {view['angle_p95_deg']:.0f})")
    slant = choice.details.get("slant")
    if slant:
        lines.append(f"Slant:       the animal {100 * abs(slant['aspect'] - 1):.0f} % "
                     f"{'shorter' if slant['aspect'] < 1 else 'longer'} heading up the image "
                     f"than across it: the floor filmed at a slant (about {slant['deg']:.0f} "
                     "deg), not from above  <- see the warning above")
    lo, hi = TRAINED_LENGTH_SHARE
    for name, size in (choice.details.get("animal_size") or {}).items():
        who = "" if poses.n_individuals == 1 else f"{name}: "
        flag = "" if size["in_range"] else "  <- outside; see the warning above"
        lines.append(f"Animal size: {who}{size['length_mm']:.0f} mm "
                     f"{size['pair_words']} seen from above, "
                     f"{100 * size['share']:.0f} % of the synthetic mice's "
                     f"{size['population_mm']:.0f} mm (the lift warns outside "
                     f"{100 * lo:.0f}-{100 * hi:.0f} %){flag}")
    return lines


def _individuals_line(poses: Poses) -> str:
    """The individuals' names; where there are several, with the share of frames each
    tracks (the keypoint table below pools them)."""
    if poses.n_individuals < 2 or not poses.n_frames:
        return ", ".join(map(str, poses.individuals))
    seen = np.isfinite(poses.coords).all(-1).any(-1).mean(0)  # (N,) share of frames
    return ", ".join(f"{ind} {'never tracked' if share == 0 else f'in {100 * share:.0f}%'}"
                     for ind, share in zip(poses.individuals, seen, strict=True))


def _frames_line(poses: Poses) -> str:
    """How many rows and what they are: a video's frame numbers, or images (labelled data,
    a tracker's predictions on a folder of images, a SLEAP labels package's embedded
    frames), each lifted alone: DeepLabCut's named by their files."""
    from dlc_lifter.lift.frames import frames_out_of_order, repeated_frames

    n = poses.n_frames
    frames = f"frame {int(poses.frame_indices[0])}..{int(poses.frame_indices[-1])}" if n else ""
    images = poses.meta.extra.get("image_paths") or []
    if len(images) != n or not n:
        again = (repeated_frames(poses.frame_indices)
                 or frames_out_of_order(poses.frame_indices)) if n else None
        return (f"{n} ({frames}{'; ' + again if again else ''})") if n else "0"
    if poses.meta.source_format in ("dlc-labels", "dlc-h5", "dlc-csv"):
        # the image's file name, its path recorded with / or with \\ (Windows)
        first, last = (str(images[i]).replace("\\", "/").rsplit("/", 1)[-1] for i in (0, -1))
        frames = first if n == 1 else f"{first} .. {last}"
    return f"{n} images ({frames}), each lifted alone"


def _scorer_line(meta: PoseMetadata) -> str:
    """The file's scorer; a flat table (SimBA's, a tracker's csv) names none, and the
    package's own default (the name its outputs carry) is not the file's."""
    from dlc_lifter.poses import PoseMetadata as Meta

    if meta.source_format == "flat-csv" and meta.scorer == Meta.scorer:
        return f"none in the file (a flat table; outputs name {meta.scorer})"
    return str(meta.scorer)


def _seen_from(poses: Poses, plan: KeypointMap, cutoff: float) -> str:
    """Whether the animal's left keypoints lie on its left as seen from above, or on one side
    of its body as seen from the side."""
    from dlc_lifter.lift.handedness import measure_handedness
    from dlc_lifter.lift.keypoints import catalogue_arrays

    if poses.is_3d:
        return "3D poses"
    uv, conf, _ = catalogue_arrays(poses, plan)
    hand = measure_handedness(uv, np.nan_to_num(conf) >= cutoff)
    if hand.looks_side_on:
        return (f"the side, it seems ({hand.side_on} of {hand.sided} frames with the left and "
                "right keypoints on one side of the nose-to-tail line, as a side view shows "
                "them): a lift's heights will not be meaningful  <- dlc-lifter lifts mice "
                "filmed from above or below")
    if hand.frames == 0:
        return "not told (no left and right keypoints on the body tracked)"
    # each animal of a frame votes: a count over frames would exceed the file's own
    frames = "frames" if uv.shape[1] == 1 else "animal-frames"
    counts = f"{hand.mirrored} of {hand.frames} {frames} with left keypoints on its right"
    if hand.looks_mirrored:
        return (f"below, or a mirrored video ({counts}); lifted as filmed from below "
                f"unless --view above or a calibration says otherwise")
    return f"above ({counts})"


def _far_off(uv: np.ndarray, conf: np.ndarray, plan: KeypointMap, cutoff: float) -> str:
    """The confident detections a lift takes as untracked (confident mistracks), from the
    animals' catalogue arrays."""
    from dlc_lifter.lift.mistracks import drop_mistracks

    _, counts = drop_mistracks(uv, conf, cutoff)
    if not counts:
        return "no detection lies farther from the rest of the animal than its body reaches"
    yours = {cat: name for name, cat in plan.mapped.items()}  # the file's own names
    worst = ", ".join(f"{yours.get(k, k)} {n}"
                      for k, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    return (f"{sum(counts.values())} detections lie farther from the rest of the animal than "
            f"its body reaches ({worst}); a lift takes them as untracked")


def _on_the_back(uv: np.ndarray, conf: np.ndarray, plan: KeypointMap, cutoff: float,
                 project: Project | None) -> str:
    """Where the labels on the back sit against their landmarks (empty: none tracked), from
    the animals' catalogue arrays, as the lift measures it (a labelled-data file of few
    frames over its ``project``'s other folders too)."""
    from dlc_lifter.lift.labelled_pool import back_labels_off
    from dlc_lifter.lift.midline import ON_THE_BACK, SYNTHETIC_SHARE
    from dlc_lifter.mouse.catalogue import CATALOGUE

    on_back = {name: CATALOGUE.index(cat) for name, cat in plan.mapped.items()
               if cat in CATALOGUE and CATALOGUE.index(cat) in ON_THE_BACK}
    if not on_back:
        return ""
    off: dict[int, float] = {}
    for each in back_labels_off(uv, conf >= cutoff, project, cutoff):
        for c, share in each.items():
            off.setdefault(c, share)
    parts = []
    for name, c in on_back.items():
        landmark = CATALOGUE[c]
        where = (f"{off[c]:.2f} of the way from the nose, where {landmark} is at "
                 f"{SYNTHETIC_SHARE[landmark]:.2f}: lifted where it lies on the back"
                 if c in off else f"at {landmark} (or not measurable): the networks' height")
        parts.append(f"{name} {where}")
    return "; ".join(parts)


def _back_order(uv: np.ndarray, conf: np.ndarray, plan: KeypointMap, cutoff: float,
                project: Project | None, individuals: list[str]) -> str:
    """The midline labels that lie the wrong way round, as the lift finds and warns about
    them (empty: none)."""
    from dlc_lifter.lift.labelled_pool import back_order_named, describe_back_order

    named = back_order_named(uv, conf >= cutoff, project, cutoff, plan.mapped, individuals)
    if not named:
        return ""
    return "; ".join(
        (f"{ind}: " if len(individuals) > 1 else "") + describe_back_order(pairs)
        for ind, pairs in named.items()) + (
        " (on a mouse it comes after it: at least one is not where its landmark is; the "
        "networks read such a back as bent)")


def _skeleton_table(name: str) -> None:
    """Print a known skeleton's names and the catalogue (or arena) landmark of each."""
    from dlc_lifter.mouse.catalogue import LANDMARKS
    from dlc_lifter.mouse.skeletons import KNOWN_SKELETONS

    sk = next(k for k in KNOWN_SKELETONS if k.name == name)
    region = {lm.name: lm.region for lm in LANDMARKS}
    typer.echo(f"Known skeleton '{sk.name}': {sk.description}; filmed from {sk.view} "
               f"({len(sk.keypoints) + len(sk.arena)} names):")
    rows = [[k, v or "(none: not lifted)", region.get(v, "") if v else ""]
            for k, v in sk.keypoints.items()]
    rows += [[k, f"arena {v}", "arena (not lifted)"] for k, v in sk.arena.items()]
    typer.echo(_table(["name", "landmark", "region"], rows))
    if sk.aliases:
        typer.echo("Also matched: " + ", ".join(
            f"{k} -> {v or '(not lifted)'}" for k, v in sk.aliases.items()))


def catalogue_command(
    set_name: str | None = typer.Option(
        None, "--set", "-s", metavar="NAME",
        help="Show only this named keypoint set (training sets: openfield, "
             "superanimal_topviewmouse, all), or a known skeleton's names and the "
             "landmark each maps to (the 'Skeleton:' that info prints: dlc_openfield, "
             "deepof, sleap_mouse, ...; 'dlc-lifter catalogue' lists them all)."),
) -> None:
    """List the mouse landmark catalogue, the named keypoint sets and the known skeletons.

    Example: dlc-lifter catalogue --set openfield; dlc-lifter catalogue --set deepof
    """
    from dlc_lifter.mouse.catalogue import KEYPOINT_SETS, LANDMARKS
    from dlc_lifter.mouse.skeletons import KNOWN_SKELETONS

    skeletons = [k.name for k in KNOWN_SKELETONS]
    if set_name is not None and set_name not in KEYPOINT_SETS:
        if set_name not in skeletons:
            raise DLCLifterError(
                f"No keypoint set or known skeleton named '{set_name}'. Keypoint sets: "
                f"{', '.join(KEYPOINT_SETS)}. Known skeletons: {', '.join(skeletons)}.")
        _skeleton_table(set_name)
        return
    if set_name is not None:
        wanted = set(KEYPOINT_SETS[set_name])
        landmarks = [lm for lm in LANDMARKS if lm.name in wanted]
        typer.echo(f"Keypoint set '{set_name}' ({len(landmarks)} landmarks):")
    else:
        landmarks = list(LANDMARKS)
        typer.echo(f"Mouse landmark catalogue ({len(landmarks)} landmarks):")
    rows = [[str(i), lm.name, lm.region, lm.kind, lm.description]
            for i, lm in enumerate(landmarks)]
    typer.echo(_table(["#", "name", "region", "kind", "description"], rows))
    if set_name is None:
        typer.echo("\nNamed sets:")
        for name, names in KEYPOINT_SETS.items():
            typer.echo(f"  {name} ({len(names)}): {', '.join(names)}")
        typer.echo("\nKnown skeletons (mapped with no keypoint map; --set NAME shows one):")
        for sk in KNOWN_SKELETONS:
            typer.echo(f"  {sk.name}: {sk.description}")
