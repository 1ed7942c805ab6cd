"""The learning-rate schedule every training of the package uses: one cycle.

One function for the lifter's, the depth network's and the fused lifter's trainings, so a
step count they share behaves alike: torch's ``OneCycleLR`` divides by the length of its
warm-up phase, ``warm * steps - 1`` steps, and fails with ``ZeroDivisionError`` mid-training
where that is exactly 0 (10 steps at the usual 10 % warm-up); the warm-up is then nudged
by a hundredth, which changes no step count with a warm-up of its own.
"""

from __future__ import annotations

import torch

__all__ = ["one_cycle"]


def one_cycle(opt: torch.optim.Optimizer, lr: float, steps: int, warm: float
              ) -> torch.optim.lr_scheduler.OneCycleLR:
    """``OneCycleLR`` over ``steps`` steps peaking at ``lr`` after ``warm`` of them.

    Examples
    --------
    >>> net = torch.nn.Linear(1, 1)
    >>> opt = torch.optim.SGD(net.parameters(), lr=0.1)
    >>> sched = one_cycle(opt, 0.1, 10, 0.1)
    >>> for _ in range(10):
    ...     opt.step(); sched.step()
    """
    if abs(warm * steps - 1.0) < 1e-9:
        warm += 0.01
    return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=int(steps),
                                               pct_start=warm)
