"""LAMB over many parameters per call: what MXNet 1.9.1's ``multi_lamb_update`` and
``multi_mp_lamb_update`` compute (the path an Updater takes, up to 45 parameters at once).

neomx has no fused multi-tensor LAMB operator yet, so this spells its steps out with NDArray
arithmetic in the kernel's order and precision: moments and direction in float32 (from the
float32 master copy under mixed precision), the bias corrections ``1 - beta**t`` in float32,
the norms from one ``multi_sum_sq`` per list (the weight norms from the weights themselves, even
under mixed precision), and ``lr * r1 / r2`` (not ``lr * (r1 / r2)``).
"""

from __future__ import annotations

import numpy as np

from .. import ndarray as nd
from ..ndarray import cast, clip, sqrt

__all__ = ["multi_lamb"]

_F32 = np.float32


def _direction(opt, weight, grad, mean, var, wd, t):
    """Update ``mean`` and ``var`` in place and return LAMB's direction for one tensor."""
    one = _F32(1.0)
    beta1, beta2 = _F32(opt.beta1), _F32(opt.beta2)
    scaled = grad * opt.rescale_grad
    if opt.clip_gradient:
        bound = opt.clip_gradient
        if bound >= 0:
            scaled = clip(scaled, -bound, bound)
    mean[:] = float(beta1) * mean + float(one - beta1) * scaled
    var[:] = float(beta2) * var + float(one - beta2) * scaled * scaled
    if opt.bias_correction:
        mean_hat = mean / float(one - beta1 ** _F32(t))
        var_hat = var / float(one - beta2 ** _F32(t))
        return mean_hat / (sqrt(var_hat) + opt.epsilon) + wd * weight
    return mean / (sqrt(var) + opt.epsilon) + wd * weight


def _trust_lr(opt, lr, r1, r2):
    """``lr * r1 / r2`` in float32, with r1 clamped to the bounds; ``lr`` if a norm is 0."""
    r1, r2, lr = _F32(r1), _F32(r2), _F32(lr)
    if opt.lower_bound and opt.lower_bound >= 0:
        r1 = max(r1, _F32(opt.lower_bound))
    if opt.upper_bound and opt.upper_bound >= 0:
        r1 = min(r1, _F32(opt.upper_bound))
    if r1 == 0 or r2 == 0:
        return lr
    return lr * r1 / r2


def multi_lamb(opt, indices, weights, grads, states, multi_precision):
    """Update the parameters ``indices`` as MXNet's aggregated LAMB does."""
    steps, lrs, wds = [], [], []
    for index in indices:
        opt._update_count(index)
        steps.append(opt._index_update_count[index])
        lrs.append(opt._get_lr(index))
        wds.append(opt._get_wd(index))
    for start in range(0, len(weights), opt.aggregate_num):
        chunk = slice(start, min(start + opt.aggregate_num, len(weights)))
        if multi_precision:
            masters = [state[0] for state in states[chunk]]
            moments = [state[1] for state in states[chunk]]
            grads32 = [g.astype(_F32) for g in grads[chunk]]
        else:
            masters = list(weights[chunk])
            moments = list(states[chunk])
            grads32 = list(grads[chunk])
        directions = [
            _direction(opt, w, g, mean, var, float(_F32(wd)), t)
            for w, g, (mean, var), wd, t in zip(masters, grads32, moments, wds[chunk], steps[chunk])
        ]
        count = len(masters)
        # NOTE: the weight norms come from the weights themselves (float16 under mixed
        # precision, squared in float16), not from the master copies, as in MXNet 1.9.1.
        weight_sq = nd.multi_sum_sq(*weights[chunk], num_arrays=count).asnumpy()
        direction_sq = nd.multi_sum_sq(*directions, num_arrays=count).asnumpy()
        for k, (master, direction) in enumerate(zip(masters, directions)):
            lr = _trust_lr(opt, lrs[chunk][k], np.sqrt(weight_sq[k]), np.sqrt(direction_sq[k]))
            master[:] -= float(lr) * direction
            if multi_precision:
                weight = weights[chunk][k]
                cast(master, dtype=weight.dtype, out=weight)
