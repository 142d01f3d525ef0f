"""``mx.lr_scheduler``: the learning rate as a function of the number of updates.

A scheduler is called with ``num_update``, the largest number of updates any parameter has had,
and returns the learning rate; an optional warm-up comes first. As in MXNet 1.9.1 the
schedulers keep state between calls (they count down from where they were), so they expect
``num_update`` not to go back.
"""

from __future__ import annotations

import logging
from math import cos, pi

from .base import MXNetTypeError, MXNetValueError

__all__ = [
    "LRScheduler",
    "FactorScheduler",
    "MultiFactorScheduler",
    "PolyScheduler",
    "CosineScheduler",
]


class LRScheduler:
    """Base class of the learning-rate schedulers.

    Parameters
    ----------
    base_lr : float, default 0.01
        The learning rate after the warm-up.
    warmup_steps : int, default 0
        The number of warm-up updates.
    warmup_begin_lr : float, default 0
        The learning rate the warm-up starts from.
    warmup_mode : {'linear', 'constant'}, default 'linear'
        Rise linearly from warmup_begin_lr to base_lr, or stay at warmup_begin_lr.
    """

    def __init__(self, base_lr=0.01, warmup_steps=0, warmup_begin_lr=0, warmup_mode="linear"):
        self.base_lr = base_lr
        if not isinstance(warmup_steps, int):
            raise MXNetTypeError(
                f"{type(self).__name__}: warmup_steps must be an int, got {warmup_steps!r}"
            )
        self.warmup_steps = warmup_steps
        self.warmup_final_lr = base_lr
        self.warmup_begin_lr = warmup_begin_lr
        if self.warmup_begin_lr > self.warmup_final_lr:
            raise MXNetValueError(
                f"Base lr has to be higher than warmup_begin_lr (base_lr={base_lr}, "
                f"warmup_begin_lr={warmup_begin_lr})"
            )
        if self.warmup_steps < 0:
            raise MXNetValueError(f"Warmup steps has to be positive or 0, got {warmup_steps}")
        if warmup_mode not in ("linear", "constant"):
            raise MXNetValueError(
                f"Supports only linear and constant modes of warmup, got {warmup_mode!r}"
            )
        self.warmup_mode = warmup_mode

    def get_warmup_lr(self, num_update):
        """The learning rate at update ``num_update`` of the warm-up."""
        if num_update >= self.warmup_steps:
            raise MXNetValueError(
                f"get_warmup_lr: update {num_update} is past the {self.warmup_steps} warm-up steps"
            )
        if self.warmup_mode == "linear":
            increase = (
                (self.warmup_final_lr - self.warmup_begin_lr)
                * float(num_update)
                / float(self.warmup_steps)
            )
            return self.warmup_begin_lr + increase
        if self.warmup_mode == "constant":
            return self.warmup_begin_lr
        raise MXNetValueError(f"Invalid warmup mode {self.warmup_mode}")

    def __call__(self, num_update):
        """Return the learning rate after ``num_update`` updates."""
        raise NotImplementedError("must override this")


def _check_max_update(name, max_update):
    if not isinstance(max_update, int):
        raise MXNetTypeError(f"{name}: max_update must be an int, got {max_update!r}")
    if max_update < 1:
        raise MXNetValueError(
            f"{name}: maximum number of updates must be strictly positive, got {max_update}"
        )


def _check_factor(name, factor):
    if factor > 1.0:
        raise MXNetValueError(
            f"{name}: Factor must be no more than 1 to make lr reduce, got {factor}"
        )


class FactorScheduler(LRScheduler):
    """Multiply the learning rate by ``factor`` every ``step`` updates, down to
    ``stop_factor_lr``: ``base_lr * factor ** floor((num_update - 1) / step)``.

    >>> scheduler = mx.lr_scheduler.FactorScheduler(step=2, factor=0.5, base_lr=1.0)
    >>> [scheduler(n) for n in range(1, 6)]
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(
        self,
        step,
        factor=1,
        stop_factor_lr=1e-8,
        base_lr=0.01,
        warmup_steps=0,
        warmup_begin_lr=0,
        warmup_mode="linear",
    ):
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        if step < 1:
            raise MXNetValueError(
                f"FactorScheduler: Schedule step must be greater or equal than 1 round, got {step}"
            )
        _check_factor("FactorScheduler", factor)
        self.step = step
        self.factor = factor
        self.stop_factor_lr = stop_factor_lr
        self.count = 0

    def __call__(self, num_update):
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        # A loop, not a test: resuming may jump several steps at once.
        while num_update > self.count + self.step:
            self.count += self.step
            self.base_lr *= self.factor
            if self.base_lr < self.stop_factor_lr:
                self.base_lr = self.stop_factor_lr
                logging.info(
                    "Update[%d]: now learning rate arrived at %0.5e, will not change in the future",
                    num_update,
                    self.base_lr,
                )
            else:
                logging.info("Update[%d]: Change learning rate to %0.5e", num_update, self.base_lr)
        return self.base_lr


class MultiFactorScheduler(LRScheduler):
    """Multiply the learning rate by ``factor`` after each update count in ``step``.

    >>> scheduler = mx.lr_scheduler.MultiFactorScheduler(step=[2, 4], factor=0.1, base_lr=1.0)
    >>> [round(scheduler(n), 6) for n in range(1, 6)]
    [1.0, 1.0, 0.1, 0.1, 0.01]
    """

    def __init__(
        self, step, factor=1, base_lr=0.01, warmup_steps=0, warmup_begin_lr=0, warmup_mode="linear"
    ):
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        if not isinstance(step, list) or len(step) < 1:
            raise MXNetValueError(
                "MultiFactorScheduler: step must be a non-empty list of update counts, "
                f"got {step!r}"
            )
        for i, value in enumerate(step):
            if i != 0 and step[i] <= step[i - 1]:
                raise MXNetValueError(
                    f"MultiFactorScheduler: Schedule step must be an increasing integer list, got "
                    f"{step}"
                )
            if value < 1:
                raise MXNetValueError(
                    "MultiFactorScheduler: Schedule step must be greater or equal than 1 round, "
                    f"got {step}"
                )
        _check_factor("MultiFactorScheduler", factor)
        self.step = step
        self.cur_step_ind = 0
        self.factor = factor
        self.count = 0

    def __call__(self, num_update):
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        while self.cur_step_ind <= len(self.step) - 1:
            if num_update > self.step[self.cur_step_ind]:
                self.count = self.step[self.cur_step_ind]
                self.cur_step_ind += 1
                self.base_lr *= self.factor
                logging.info("Update[%d]: Change learning rate to %0.5e", num_update, self.base_lr)
            else:
                return self.base_lr
        return self.base_lr


class PolyScheduler(LRScheduler):
    """Decay polynomially after the warm-up: ``final_lr + (base_lr - final_lr) * (1 - n /
    max_steps) ** pwr`` with ``n = num_update - warmup_steps`` and ``max_steps = max_update -
    warmup_steps``; ``final_lr`` from ``max_update`` on.

    >>> scheduler = mx.lr_scheduler.PolyScheduler(max_update=4, base_lr=1.0, pwr=1)
    >>> [scheduler(n) for n in range(6)]
    [1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    """

    def __init__(
        self,
        max_update,
        base_lr=0.01,
        pwr=2,
        final_lr=0,
        warmup_steps=0,
        warmup_begin_lr=0,
        warmup_mode="linear",
    ):
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        _check_max_update("PolyScheduler", max_update)
        self.power = pwr
        self.base_lr_orig = self.base_lr
        self.max_update = max_update
        self.final_lr = final_lr
        self.max_steps = self.max_update - self.warmup_steps

    def __call__(self, num_update):
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        if num_update <= self.max_update:
            progress = float(num_update - self.warmup_steps) / float(self.max_steps)
            self.base_lr = self.final_lr + (self.base_lr_orig - self.final_lr) * pow(
                1 - progress, self.power
            )
        return self.base_lr


class CosineScheduler(LRScheduler):
    """Decay along half a cosine after the warm-up: ``final_lr + (base_lr - final_lr) * (1 +
    cos(pi * n / max_steps)) / 2``, with ``n`` and ``max_steps`` as in PolyScheduler.

    >>> scheduler = mx.lr_scheduler.CosineScheduler(max_update=2, base_lr=1.0)
    >>> [round(scheduler(n), 6) for n in range(4)]
    [1.0, 0.5, 0.0, 0.0]
    """

    def __init__(
        self,
        max_update,
        base_lr=0.01,
        final_lr=0,
        warmup_steps=0,
        warmup_begin_lr=0,
        warmup_mode="linear",
    ):
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        _check_max_update("CosineScheduler", max_update)
        self.base_lr_orig = base_lr
        self.max_update = max_update
        self.final_lr = final_lr
        self.max_steps = self.max_update - self.warmup_steps

    def __call__(self, num_update):
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        if num_update <= self.max_update:
            # pi * n / max_steps, in this order, as MXNet rounds it.
            angle = pi * (num_update - self.warmup_steps) / self.max_steps
            self.base_lr = (
                self.final_lr + (self.base_lr_orig - self.final_lr) * (1 + cos(angle)) / 2
            )
        return self.base_lr
