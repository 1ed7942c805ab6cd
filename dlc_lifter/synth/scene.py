"""Randomised scene parameters for synthetic renders: camera, arena, light, coat, image look.

A :class:`SceneParams` is plain data (numpy and floats): both renderers, the fast numba
rasteriser (:mod:`dlc_lifter.synth.raster`) and Blender Cycles
(:mod:`dlc_lifter.synth.blender`), draw the same scene from it. :func:`sample_scene`
draws one from a :class:`numpy.random.Generator`, so a seed fixes every pixel.

Ranges follow how labs film mice from above: camera 0.25-2.0 m above the floor, the
optical axis tilted 0-15 degrees from straight down and rolled at any angle, a square
open-field arena with walls, floors from white plastic to bedding, one key light plus
ambient light, and coats black (C57BL/6), white (albino), agouti and brown. Image effects
(sensor noise, blur, gamma, grayscale / infrared look, vignetting) are applied after
rendering by :func:`apply_image_effects`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dlc_lifter.camera import TOP_VIEW_HEIGHTS_MM, Camera, random_top_view

__all__ = [
    "COATS",
    "FLOOR_KINDS",
    "SceneParams",
    "apply_image_effects",
    "floor_texture",
    "linear_to_srgb",
    "sample_scene",
]

#: Coat names and their linear-RGB fur albedo, skin (ears, tail, paws, snout) albedo and
#: eye albedo.
COATS: dict[str, dict[str, tuple[float, float, float]]] = {
    "black": {"fur": (0.018, 0.016, 0.015), "skin": (0.09, 0.065, 0.06),
              "eye": (0.004, 0.004, 0.004)},
    "white": {"fur": (0.78, 0.75, 0.66), "skin": (0.80, 0.42, 0.38),
              "eye": (0.35, 0.03, 0.04)},
    "agouti": {"fur": (0.16, 0.10, 0.055), "skin": (0.55, 0.33, 0.28),
               "eye": (0.004, 0.004, 0.004)},
    "brown": {"fur": (0.22, 0.11, 0.05), "skin": (0.60, 0.36, 0.30),
              "eye": (0.004, 0.004, 0.004)},
}

#: Floor looks: ``plain`` plastic, ``speckle`` (fine noise), ``bedding`` (coarse chips),
#: ``grid`` (tiles).
FLOOR_KINDS: tuple[str, ...] = ("plain", "speckle", "bedding", "grid")

_FLOOR_COLOURS = np.array([
    [0.80, 0.80, 0.80],  # white plastic
    [0.30, 0.30, 0.32],  # grey
    [0.03, 0.03, 0.035],  # black
    [0.10, 0.18, 0.45],  # blue
    [0.55, 0.42, 0.25],  # bedding / wood chips
    [0.60, 0.55, 0.45],  # paper
])


@dataclass(frozen=True)
class SceneParams:
    """Everything random about one rendered frame except the mouse itself.

    Colours are linear RGB albedos in [0, 1]; lengths in mm; directions are unit vectors
    in the world frame (``z`` up).

    Attributes
    ----------
    camera
        The camera (OpenCV intrinsics, world -> camera pose, image size).
    arena_xy
        Arena floor rectangle ``(x_min, y_min, x_max, y_max)`` (mm); walls stand on its
        border. Behaviour sequences put the origin at an arena corner.
    wall_height_mm
        Height of the arena walls.
    floor_kind
        One of :data:`FLOOR_KINDS`.
    floor_rgb, floor_rgb2
        Floor base colour and the colour its texture mixes in.
    floor_scale_mm
        Size of the floor texture's features.
    outside_rgb
        Colour of the lab floor outside the arena.
    wall_rgb
        Wall colour.
    coat
        One of :data:`COATS`.
    fur_rgb, skin_rgb, eye_rgb
        Coat albedos after a random tint.
    fur_contrast
        Amplitude of the fur-like noise on the coat (fraction of the albedo).
    light_dir
        Unit vector towards the key light.
    light_intensity
        Key light irradiance (1 = albedo shows at full brightness).
    ambient
        Ambient light level.
    shadows
        Whether the key light casts the mouse's shadow on the floor.
    specular
        Strength of the coat's sheen.
    noise_sigma
        Standard deviation of Gaussian sensor noise (on [0, 1] intensities).
    blur_sigma_px
        Gaussian blur (px); 0 for none.
    gamma
        Extra display gamma applied after the sRGB curve.
    exposure
        Exposure multiplier on linear intensities.
    grayscale
        Whether the camera is monochrome.
    infrared
        Infrared look (monochrome, flat, bright fur); implies ``grayscale``.
    vignette
        Darkening at the image corners (0: none).
    texture_seed
        Seed of the floor and fur textures.
    """

    camera: Camera
    arena_xy: tuple[float, float, float, float] = (-250.0, -250.0, 250.0, 250.0)
    wall_height_mm: float = 300.0
    floor_kind: str = "plain"
    floor_rgb: tuple[float, float, float] = (0.8, 0.8, 0.8)
    floor_rgb2: tuple[float, float, float] = (0.6, 0.6, 0.6)
    floor_scale_mm: float = 4.0
    outside_rgb: tuple[float, float, float] = (0.25, 0.25, 0.25)
    wall_rgb: tuple[float, float, float] = (0.7, 0.7, 0.7)
    coat: str = "black"
    fur_rgb: tuple[float, float, float] = COATS["black"]["fur"]
    skin_rgb: tuple[float, float, float] = COATS["black"]["skin"]
    eye_rgb: tuple[float, float, float] = COATS["black"]["eye"]
    fur_contrast: float = 0.35
    light_dir: tuple[float, float, float] = (0.3, 0.2, 0.93)
    light_intensity: float = 1.0
    ambient: float = 0.35
    shadows: bool = True
    specular: float = 0.08
    noise_sigma: float = 0.01
    blur_sigma_px: float = 0.5
    gamma: float = 1.0
    exposure: float = 1.0
    grayscale: bool = False
    infrared: bool = False
    vignette: float = 0.0
    texture_seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (the camera as :meth:`Camera.as_dict`)."""
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["camera"] = self.camera.as_dict()
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in d.items()}

    @property
    def coat_index(self) -> int:
        """Index of :attr:`coat` in :data:`COATS` (stored in datasets)."""
        return list(COATS).index(self.coat)


def _tint(rng: np.random.Generator, rgb: tuple[float, ...], amount: float) -> tuple[float, ...]:
    c = np.asarray(rgb) * np.exp(rng.normal(0.0, amount, 3)) * np.exp(rng.normal(0.0, amount))
    return tuple(float(v) for v in np.clip(c, 0.0, 1.0))


def sample_scene(
    rng: np.random.Generator,
    *,
    image_size: tuple[int, int] = (256, 256),
    target_xy: tuple[float, float] = (0.0, 0.0),
    height_range_mm: tuple[float, float] = TOP_VIEW_HEIGHTS_MM,
    span_range_mm: tuple[float, float] = (160.0, 600.0),
    max_tilt_deg: float = 15.0,
    arena_xy: tuple[float, float, float, float] | None = None,
    arena_range_mm: tuple[float, float] = (380.0, 700.0),
    coat: str | None = None,
) -> SceneParams:
    """Draw a random scene whose camera looks at ``target_xy`` from above.

    Parameters
    ----------
    rng
        The only source of randomness.
    image_size
        ``(width, height)`` of the rendered image.
    target_xy
        Floor point (mm) the camera is aimed near, usually the mouse's position; the
        optical axis meets the floor within 20 % of the field of view of it.
    height_range_mm
        Camera height above the floor, drawn log-uniformly.
    span_range_mm
        Field of view across the image's shorter side at the floor, drawn log-uniformly;
        sets the focal length together with the height.
    max_tilt_deg
        Largest angle between the optical axis and straight down.
    arena_xy
        The arena rectangle ``(x_min, y_min, x_max, y_max)``, e.g. the one a behaviour
        sequence was generated in; by default a random square centred on the target.
    arena_range_mm
        Side of the random square arena, drawn uniformly.
    coat
        Force a coat (one of :data:`COATS`); random otherwise.

    Returns
    -------
    SceneParams
    """
    w, h = image_size
    span = float(np.exp(rng.uniform(*np.log(span_range_mm))))
    cam = random_top_view(
        rng, image_size=(w, h), height_range_mm=height_range_mm, arena_fraction=(1.0, 1.0),
        arena_mm=span, max_tilt_deg=max_tilt_deg, centre_jitter_mm=0.0)
    # Move the camera (keeping its orientation) so that its optical axis meets the floor
    # near the target.
    aim = cam.points_at_height(np.array([cam.cx, cam.cy]), 0.0)
    jitter = rng.uniform(-0.2, 0.2, 2) * span
    offset = np.array([target_xy[0] + jitter[0] - aim[0], target_xy[1] + jitter[1] - aim[1], 0.0])
    cam = Camera(K=cam.K, R=cam.R, t=cam.t - cam.R @ offset, image_size=cam.image_size,
                 dist=cam.dist, name="synthetic")
    if arena_xy is None:
        half = float(rng.uniform(*arena_range_mm)) / 2
        arena_xy = (target_xy[0] - half, target_xy[1] - half, target_xy[0] + half,
                    target_xy[1] + half)
    kind = FLOOR_KINDS[int(rng.integers(len(FLOOR_KINDS)))]
    base = _FLOOR_COLOURS[int(rng.integers(len(_FLOOR_COLOURS)))]
    floor = _tint(rng, tuple(base), 0.15)
    floor2 = tuple(float(v) for v in np.clip(np.asarray(floor) * rng.uniform(0.4, 1.6), 0, 1))
    wall = _tint(rng, tuple(_FLOOR_COLOURS[int(rng.integers(len(_FLOOR_COLOURS)))]), 0.15)
    coat_name = coat if coat is not None else list(COATS)[int(rng.integers(len(COATS)))]
    c = COATS[coat_name]
    # Light: mostly from above, up to 60 degrees off vertical.
    elev = math.radians(float(rng.uniform(30.0, 90.0)))
    azim = float(rng.uniform(0.0, 2.0 * math.pi))
    light = (math.cos(elev) * math.cos(azim), math.cos(elev) * math.sin(azim), math.sin(elev))
    infrared = bool(rng.uniform() < 0.15)
    grayscale = infrared or bool(rng.uniform() < 0.25)
    return SceneParams(
        camera=cam,
        arena_xy=tuple(float(v) for v in arena_xy),
        wall_height_mm=float(rng.uniform(150.0, 400.0)),
        floor_kind=kind,
        floor_rgb=floor,
        floor_rgb2=floor2,
        floor_scale_mm=float(np.exp(rng.uniform(np.log(1.5), np.log(12.0)))),
        outside_rgb=_tint(rng, (0.2, 0.2, 0.2), 0.4),
        wall_rgb=wall,
        coat=coat_name,
        fur_rgb=_tint(rng, c["fur"], 0.12),
        skin_rgb=_tint(rng, c["skin"], 0.1),
        eye_rgb=c["eye"],
        fur_contrast=float(rng.uniform(0.15, 0.5)),
        light_dir=light,
        light_intensity=float(rng.uniform(0.6, 1.4)),
        ambient=float(rng.uniform(0.15, 0.6)),
        shadows=bool(rng.uniform() < 0.7),
        specular=float(rng.uniform(0.0, 0.15)),
        noise_sigma=float(rng.uniform(0.0, 0.035)),
        blur_sigma_px=float(rng.uniform(0.0, 1.2)),
        gamma=float(np.exp(rng.uniform(np.log(0.8), np.log(1.25)))),
        exposure=float(np.exp(rng.uniform(np.log(0.7), np.log(1.4)))),
        grayscale=grayscale,
        infrared=infrared,
        vignette=float(rng.uniform(0.0, 0.35)),
        texture_seed=int(rng.integers(2**31 - 1)),
    )


# ---------------------------------------------------------------------- textures
def floor_texture(scene: SceneParams, size: int = 256) -> np.ndarray:
    """A tileable ``(size, size)`` texture in [0, 1] for the floor, one texel per
    ``scene.floor_scale_mm / 4`` mm; mixes :attr:`SceneParams.floor_rgb` (0) and
    :attr:`SceneParams.floor_rgb2` (1).
    """
    import cv2

    rng = np.random.default_rng(scene.texture_seed)
    kind = scene.floor_kind
    if kind == "plain":
        tex = 0.5 + 0.05 * _smooth_noise(rng, size, 32.0)
    elif kind == "speckle":
        tex = np.clip(0.5 + 0.5 * rng.standard_normal((size, size)) * 0.6, 0.0, 1.0)
        tex = 0.7 * tex + 0.3 * (0.5 + _smooth_noise(rng, size, 24.0))
    elif kind == "bedding":
        # Chips: random elongated blobs at random orientations over a darker base.
        tex = np.zeros((size, size), np.float32)
        n = size * size // 40
        centres = rng.uniform(0, size, (n, 2))
        angles = rng.uniform(0, 180, n)
        lengths = rng.uniform(2.0, 6.0, n)
        shades = rng.uniform(0.2, 1.0, n)
        for (x, y), a, ln, s in zip(centres, angles, lengths, shades, strict=True):
            cv2.ellipse(tex, (int(x), int(y)), (int(ln), max(1, int(ln / 3))), float(a), 0,
                        360, float(s), -1)
        tex = cv2.GaussianBlur(tex, (0, 0), 0.7)
    else:  # grid
        yy, xx = np.mgrid[0:size, 0:size]
        period = size // 8
        lines = ((xx % period) < 2) | ((yy % period) < 2)
        tex = np.where(lines, 1.0, 0.0) + 0.05 * _smooth_noise(rng, size, 16.0)
    return np.clip(tex, 0.0, 1.0).astype(np.float32)


def _smooth_noise(rng: np.random.Generator, size: int, feature_px: float) -> np.ndarray:
    """Zero-mean, roughly unit-range smooth noise: coarse random values, cubic upsampling."""
    import cv2

    coarse = max(2, int(round(size / feature_px)))
    n = rng.standard_normal((coarse, coarse)).astype(np.float32)
    out = cv2.resize(n, (size, size), interpolation=cv2.INTER_CUBIC)
    return out / (np.abs(out).max() + 1e-9)


# ---------------------------------------------------------------------- image effects
def linear_to_srgb(x: np.ndarray) -> np.ndarray:
    """The sRGB transfer curve on linear intensities in [0, 1]."""
    x = np.clip(x, 0.0, 1.0)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, 1.0 / 2.4) - 0.055)


def apply_image_effects(
    linear_rgb: np.ndarray, scene: SceneParams, rng: np.random.Generator
) -> np.ndarray:
    """Turn a linear-RGB render into the camera's 8-bit image.

    Exposure, vignetting, monochrome / infrared look, the sRGB curve and an extra
    gamma, blur and sensor noise, in that order.

    Parameters
    ----------
    linear_rgb
        ``(H, W, 3)`` linear intensities.
    scene
        Supplies the effect parameters.
    rng
        Draws the sensor noise.

    Returns
    -------
    numpy.ndarray
        ``(H, W, 3)`` uint8 RGB.
    """
    import cv2

    img = np.asarray(linear_rgb, dtype=np.float32) * np.float32(scene.exposure)
    h, w = img.shape[:2]
    if scene.vignette > 0:
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        r2 = ((xx - (w - 1) / 2) ** 2 + (yy - (h - 1) / 2) ** 2) / (0.25 * (w * w + h * h))
        img *= (1.0 - scene.vignette * r2)[..., None]
    if scene.grayscale:
        g = img @ np.array([0.2126, 0.7152, 0.0722], np.float32)
        if scene.infrared:  # flat IR illumination: low contrast, fur reflects more
            g = 0.25 * float(np.mean(g)) + 0.75 * g
            g = np.power(np.clip(g, 0, 1), 0.8)
        img = np.repeat(g[..., None], 3, axis=2)
    img = linear_to_srgb(img).astype(np.float32)
    if scene.gamma != 1.0:
        img = np.power(img, np.float32(1.0 / scene.gamma))
    if scene.blur_sigma_px > 0.05:
        img = cv2.GaussianBlur(img, (0, 0), scene.blur_sigma_px)
    if scene.noise_sigma > 0:
        noise = rng.standard_normal((h, w, 1 if scene.grayscale else 3)).astype(np.float32)
        img = img + np.float32(scene.noise_sigma) * noise
    return np.clip(img * 255.0 + 0.5, 0, 255).astype(np.uint8)
