"""The networks, and how they are trained. Imports torch.

Keypoints-only lifting: the network and its geometry (:mod:`.lifter`), synthetic samples
(:mod:`.data`), training and evaluation (:mod:`.train`).

Depth from the video: crops around the animal (:mod:`.crops`), the depth network
(:mod:`.depth`), the cues read from it at the keypoints (:mod:`.cues`, the one cue
extractor), the fused lifter that reads them (:mod:`.fusion`). Their training: rendered
sequences (:mod:`.clips`), augmentation (:mod:`.augment`), the depth network's training
(:mod:`.depth_train`) and the fused lifter's (:mod:`.fusion_train`), each with the recipe
of the shipped weights and a function that trains from it and writes weights + sidecar.
"""

from dlc_lifter.nets.lifter import MODES, LifterNet, LiftingModel, ModelLoadError

__all__ = ["MODES", "LifterNet", "LiftingModel", "ModelLoadError"]
