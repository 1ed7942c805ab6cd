"""Training windows: sequences packed once, windows of a network's receptive field drawn from them.

Both trainers (the keypoint lifter, :mod:`dlc_lifter.nets.train`, and the fused lifter's
fine-tuning, :mod:`dlc_lifter.nets.fusion_train`) train on windows of ``chunk`` outputs
drawn from many sequences. :class:`PackedSequences` stacks every sequence's features, edge-
padded as inference pads a whole sequence (:func:`~dlc_lifter.nets.lifter.window_pads`: the
first and last frames replicated), with its targets and loss weights, and
:meth:`PackedSequences.windows` gathers a batch of windows from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import torch

from dlc_lifter.nets.lifter import LifterNet, window_pads

__all__ = ["PackedSequences"]


@dataclass(frozen=True)
class PackedSequences:
    """Sequences stacked for drawing training windows of one network.

    Attributes
    ----------
    x
        ``(sum(T_i + receptive_field - 1), in_features)`` features, each sequence padded.
    y, w
        ``(sum(T_i), 3K)`` targets and loss weights.
    starts, ystarts
        Row of each sequence's first (padded) frame in ``x`` and first frame in ``y``.
    lengths
        Frames ``T_i`` of each sequence.
    receptive_field
        Frames one output of the network sees.
    """

    x: torch.Tensor
    y: torch.Tensor
    w: torch.Tensor
    starts: np.ndarray
    ystarts: np.ndarray
    lengths: np.ndarray
    receptive_field: int

    @classmethod
    def pack(cls, arrays: Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]],
             net: LifterNet) -> PackedSequences:
        """Stack ``(features, targets, weights)`` per sequence, padded for ``net``'s window."""
        left, right = window_pads(net)
        xs, ys, ws, lengths = [], [], [], []
        for f, y, w in arrays:
            xs.append(np.concatenate([np.repeat(f[:1], left, 0), f,
                                      np.repeat(f[-1:], right, 0)]))
            ys.append(y)
            ws.append(w)
            lengths.append(len(f))
        n = np.array(lengths)
        starts = np.concatenate([[0], np.cumsum(n + left + right)[:-1]]).astype(np.int64)
        ystarts = np.concatenate([[0], np.cumsum(n)[:-1]]).astype(np.int64)
        return cls(x=torch.from_numpy(np.concatenate(xs)), y=torch.from_numpy(np.concatenate(ys)),
                   w=torch.from_numpy(np.concatenate(ws)), starts=starts, ystarts=ystarts,
                   lengths=n, receptive_field=int(net.receptive_field))

    def windows(self, seq: np.ndarray, start: np.ndarray, chunk: int
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """A batch of windows: ``chunk`` outputs of sequence ``seq[b]`` from frame ``start[b]``.

        Returns
        -------
        x : torch.Tensor
            ``(B, in_features, chunk + receptive_field - 1)`` network input.
        y, w : torch.Tensor
            ``(B, 3K, chunk)`` targets and loss weights of the outputs.
        """
        win = np.arange(chunk + self.receptive_field - 1)
        xi = torch.from_numpy(self.starts[seq][:, None] + start[:, None] + win)
        yi = torch.from_numpy(self.ystarts[seq][:, None] + start[:, None] + np.arange(chunk))
        return (self.x[xi].transpose(1, 2), self.y[yi].transpose(1, 2),
                self.w[yi].transpose(1, 2))
