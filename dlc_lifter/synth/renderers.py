"""Choose a renderer by quality: the numba rasteriser, or Blender (``bpy``) when asked for.

Kept apart from :mod:`dlc_lifter.synth.render` (the fast renderer and the shared sample
code that :mod:`dlc_lifter.synth.blender` builds on), so that neither imports the other
back.
"""

from __future__ import annotations

from typing import Any

from dlc_lifter.synth.render import QUALITIES, FastRenderer, Renderer

__all__ = ["make_renderer"]


def make_renderer(rig: Any, quality: str = "fast", **kwargs: Any) -> Renderer:
    """A renderer of ``quality`` (``fast`` or ``realistic``) for ``rig``.

    ``realistic`` imports :mod:`dlc_lifter.synth.blender` (and so ``bpy``); extra
    keyword arguments go to its :class:`~dlc_lifter.synth.blender.BlenderRenderer`.

    Raises
    ------
    ValueError
        For an unknown quality.
    """
    if quality == "fast":
        return FastRenderer(rig)
    if quality == "realistic":
        from dlc_lifter.synth.blender import BlenderRenderer  # bpy: optional, heavy

        return BlenderRenderer(rig, **kwargs)
    raise ValueError(f"quality must be one of {', '.join(QUALITIES)}, not {quality!r}.")
