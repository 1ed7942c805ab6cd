"""The lifting networks: model and geometry (:mod:`.lifter`), synthetic samples
(:mod:`.data`), training and evaluation (:mod:`.train`). Imports torch."""

from dlc_lifter.nets.lifter import MODES, LifterNet, LiftingModel, ModelLoadError

__all__ = ["MODES", "LifterNet", "LiftingModel", "ModelLoadError"]
