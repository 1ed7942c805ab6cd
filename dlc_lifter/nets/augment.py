"""Appearance (and mild geometric) augmentation of the depth network's training crops.

Rendered crops look cleaner and more uniform than video: :func:`augment_batch` varies the
grey conversion, coat, floor, illumination, optics, noise and compression of each crop,
and turns and flips it together with its targets, so a network trained on renders meets
real video without style transfer. OpenCV is imported lazily (heavy, and only training
needs it).
"""

from __future__ import annotations

import numpy as np

from dlc_lifter.nets.crops import to_gray

__all__ = ["augment_batch"]


def _smooth_field(rng: np.random.Generator, size: int, cells: int) -> np.ndarray:
    import cv2

    coarse = rng.standard_normal((cells, cells)).astype(np.float32)
    f = cv2.resize(coarse, (size, size), interpolation=cv2.INTER_CUBIC)
    return f / (np.abs(f).max() + 1e-6)


def _lens_maps(rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Remap grids of a random radial (barrel / pincushion) distortion about a random centre."""
    k1 = rng.uniform(-0.25, 0.25)
    c = (size - 1) / 2 + rng.uniform(-0.5, 0.5, 2) * size
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    dx, dy = (xx - c[0]) / size, (yy - c[1]) / size
    f = 1.0 + k1 * (dx * dx + dy * dy)
    return (c[0] + dx * f * size).astype(np.float32), (c[1] + dy * f * size).astype(np.float32)


def augment_batch(rgb: np.ndarray, height: np.ndarray, mask: np.ndarray,
                  rng: np.random.Generator, *, strength: float = 1.0,
                  landmark: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """Heavy appearance (and mild geometric) augmentation of training crops.

    Per crop: random grey conversion weights (colour, grey and IR-like sensors), coat
    re-colouring (the mouse's pixels get a new brightness and contrast: black, agouti,
    white coats), floor textures on the background, smooth illumination gradients and
    vignetting, gamma / contrast / brightness, Gaussian blur, sensor noise, JPEG
    compression, lens distortion (image and targets), rotations by 90 degrees and flips.

    Parameters
    ----------
    rgb
        ``(B, S, S, 3)`` uint8 crops.
    height, mask
        ``(B, S, S)`` targets.
    rng
        The only randomness.
    strength
        0 gives plain grey conversion (no augmentation), 1 the full set.
    landmark
        Optional ``(B, S, S)`` landmark-height targets (NaN where none), transformed like
        ``height``.

    Returns
    -------
    gray : numpy.ndarray
        ``(B, S, S)`` float32 in [0, 255].
    height, mask : numpy.ndarray
        Targets, transformed like the image.
    landmark : numpy.ndarray
        Only when ``landmark`` is given: transformed like the image.
    """
    import cv2

    b, s = rgb.shape[:2]
    gray = np.empty((b, s, s), np.float32)
    hs = np.asarray(height, dtype=np.float32).copy()
    ms = np.asarray(mask, dtype=bool).copy()
    ls = (np.asarray(landmark, dtype=np.float32).copy() if landmark is not None
          else np.zeros((b, 1, 1), np.float32))
    for i in range(b):
        if strength <= 0:
            gray[i] = to_gray(rgb[i])
            continue
        w = rng.dirichlet((2.0, 2.0, 2.0)) if rng.uniform() < 0.6 else (0.299, 0.587, 0.114)
        g = to_gray(rgb[i], w) / 255.0
        m = ms[i].astype(np.float32)
        if rng.uniform() < 0.5:  # coat re-colouring
            soft = cv2.GaussianBlur(m, (0, 0), 0.8)
            mean = float((g * m).sum() / max(m.sum(), 1.0))
            target = rng.uniform(0.02, 0.9)
            coat = np.clip((g - mean) * rng.uniform(0.5, 2.0) + target, 0, 1)
            g = soft * coat + (1 - soft) * g
        if rng.uniform() < 0.5:  # floor texture on the background
            tex = _smooth_field(rng, s, int(rng.integers(4, 40)))
            if rng.uniform() < 0.4:
                tex = np.sign(tex) * (np.abs(tex) > rng.uniform(0.2, 0.7))
            amp = rng.uniform(0.03, 0.3)
            g = g + (1 - m) * amp * tex
        if rng.uniform() < 0.5:  # illumination gradient / vignetting
            yy, xx = np.mgrid[0:s, 0:s].astype(np.float32) / s - 0.5
            a = rng.uniform(-0.5, 0.5, 2)
            r2 = (xx - rng.uniform(-1, 1)) ** 2 + (yy - rng.uniform(-1, 1)) ** 2
            g = g * (1 + a[0] * xx + a[1] * yy) * (1 - rng.uniform(0, 0.4) * r2)
        if rng.uniform() < 0.15:  # a few bright specks (reflections, bedding)
            for _ in range(int(rng.integers(1, 6))):
                c = rng.integers(0, s, 2)
                cv2.circle(g, (int(c[0]), int(c[1])), int(rng.integers(1, 4)),
                           float(rng.uniform(0, 1)), -1)
        g = np.clip(g, 0, 1)
        g = np.power(g, rng.uniform(0.6, 1.6))
        g = (g - 0.5) * rng.uniform(0.5, 1.5) + 0.5 + rng.uniform(-0.2, 0.2)
        if rng.uniform() < 0.6:
            g = cv2.GaussianBlur(g, (0, 0), rng.uniform(0.3, 2.0))
        if rng.uniform() < 0.7:
            g = g + rng.normal(0, rng.uniform(0.0, 0.06), g.shape).astype(np.float32)
        g = np.clip(g * 255 + 0.5, 0, 255).astype(np.uint8)
        if rng.uniform() < 0.5:  # JPEG
            ok, enc = cv2.imencode(".jpg", g, [cv2.IMWRITE_JPEG_QUALITY,
                                               int(rng.integers(15, 90))])
            if ok:
                g = cv2.imdecode(enc, cv2.IMREAD_GRAYSCALE)
        gi = g.astype(np.float32)
        hi, mi, li = hs[i], ms[i], ls[i]
        if rng.uniform() < 0.3:  # lens distortion
            mx, my = _lens_maps(rng, s)
            gi = cv2.remap(gi, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            hi = cv2.remap(hi, mx, my, cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE)
            mi = cv2.remap(mi.astype(np.uint8), mx, my, cv2.INTER_NEAREST,
                           borderMode=cv2.BORDER_REPLICATE).astype(bool)
            if landmark is not None:
                li = cv2.remap(li, mx, my, cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT,
                               borderValue=float("nan"))
        k = int(rng.integers(4))
        gi, hi, mi, li = np.rot90(gi, k), np.rot90(hi, k), np.rot90(mi, k), np.rot90(li, k)
        if rng.uniform() < 0.5:
            gi, hi, mi, li = gi[:, ::-1], hi[:, ::-1], mi[:, ::-1], li[:, ::-1]
        gray[i], hs[i], ms[i] = gi, hi, mi
        if landmark is not None:
            ls[i] = li
    if landmark is not None:
        return gray, hs, ms, ls
    return gray, hs, ms

