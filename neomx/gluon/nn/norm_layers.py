"""Normalisation layers: BatchNorm, InstanceNorm, LayerNorm, GroupNorm."""

from __future__ import annotations

import numpy as np

from ..hybrid import HybridBlock
from .layer_errors import call_op

__all__ = ["BatchNorm", "BatchNormReLU", "InstanceNorm", "LayerNorm", "GroupNorm"]


def _settings_repr(block, settings, tail=""):
    """``Name(k1=v1, k2=v2<tail>)`` with each value as Python prints it, as MXNet does."""
    body = ", ".join(f"{key}={value!r}" for key, value in settings.items())
    return f"{block.__class__.__name__}({body}{tail})"


def _norm_param(block, name, learned, shape, init, **extra):
    """Get a normalisation parameter; ``learned=False`` keeps it at its initial value."""
    return block.params.get(
        name,
        grad_req="write" if learned else "null",
        shape=shape,
        init=init,
        allow_deferred_init=True,
        **extra,
    )


class _AffineNorm(HybridBlock):
    """Shared constructor of InstanceNorm, LayerNorm and GroupNorm: ``gamma`` and ``beta`` of
    shape ``(size,)``, learned as ``scale`` and ``center`` say; ``settings`` fill the repr."""

    def __init__(
        self, settings, size, center, scale, beta_initializer, gamma_initializer, **kwargs
    ):
        super().__init__(**kwargs)
        self._kwargs = settings
        self._epsilon = settings["eps"]
        self._center = center
        self._scale = scale
        self.gamma = _norm_param(self, "gamma", scale, (size,), gamma_initializer)
        self.beta = _norm_param(self, "beta", center, (size,), beta_initializer)

    def __repr__(self):
        return _settings_repr(self, self._kwargs, f", in_channels={self.gamma.shape[0]}")


class BatchNorm(HybridBlock):
    """Normalise each channel by its batch statistics while training, running ones otherwise.

    Parameters
    ----------
    axis : int
        The channel axis (1 for NCHW, -1 for NHWC).
    momentum : float
        Running statistics become ``momentum * running + (1 - momentum) * batch``.
    epsilon : float
        Added to the variance before the square root.
    center : bool
        Whether to learn an offset ``beta``; False keeps it at its initial value.
    scale : bool
        Whether to learn a scale ``gamma``; False fixes it at 1 (MXNet's ``fix_gamma``).
    use_global_stats : bool
        Use the running statistics while training too.
    beta_initializer, gamma_initializer, running_mean_initializer, running_variance_initializer
        Initialisers of the four parameters.
    in_channels : int
        Number of channels; 0 infers it from the first input.

    Notes
    -----
    ``running_mean`` and ``running_var`` are auxiliary states: their ``grad_req`` is
    ``'null'`` and the operator updates them during a training forward.

    Examples
    --------
    >>> mx.gluon.nn.BatchNorm()
    BatchNorm(axis=1, eps=1e-05, momentum=0.9, fix_gamma=False, use_global_stats=False, \
in_channels=None)
    """

    def __init__(
        self,
        axis=1,
        momentum=0.9,
        epsilon=1e-5,
        center=True,
        scale=True,
        use_global_stats=False,
        beta_initializer="zeros",
        gamma_initializer="ones",
        running_mean_initializer="zeros",
        running_variance_initializer="ones",
        in_channels=0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self._kwargs = {
            "axis": axis,
            "eps": epsilon,
            "momentum": momentum,
            "fix_gamma": not scale,
            "use_global_stats": use_global_stats,
        }
        if in_channels != 0:
            self.in_channels = in_channels
        channels = (in_channels,)
        self.gamma = _norm_param(
            self, "gamma", scale, channels, gamma_initializer, differentiable=scale
        )
        self.beta = _norm_param(
            self, "beta", center, channels, beta_initializer, differentiable=center
        )
        self.running_mean = _norm_param(
            self, "running_mean", False, channels, running_mean_initializer, differentiable=False
        )
        self.running_var = _norm_param(
            self, "running_var", False, channels, running_variance_initializer, differentiable=False
        )

    def cast(self, dtype):
        # MXNet keeps BatchNorm's parameters in float32 when a network is cast to float16.
        if np.dtype(dtype).name == "float16":
            dtype = "float32"
        super().cast(dtype)

    def _operator_kwargs(self):
        return self._kwargs

    def hybrid_forward(self, F, x, gamma, beta, running_mean, running_var):
        return call_op(
            self,
            F.BatchNorm,
            x,
            gamma,
            beta,
            running_mean,
            running_var,
            name="fwd",
            **self._operator_kwargs(),
        )

    def __repr__(self):
        in_channels = self.gamma.shape[0]
        return _settings_repr(self, self._kwargs, f", in_channels={in_channels or None}")


class BatchNormReLU(BatchNorm):
    """:class:`BatchNorm` followed by ``relu``; takes BatchNorm's parameters.

    MXNet fuses the two in ``contrib.BatchNormWithReLU``; neomx runs BatchNorm and relu, which
    gives the same values and gradients.
    """

    def hybrid_forward(self, F, x, gamma, beta, running_mean, running_var):
        out = super().hybrid_forward(F, x, gamma, beta, running_mean, running_var)
        return F.relu(out)


class InstanceNorm(_AffineNorm):
    """Normalise each sample's channels over their spatial positions.

    Parameters
    ----------
    axis : int
        The channel axis.
    epsilon : float
        Added to the variance before the square root.
    center : bool
        Whether to learn an offset ``beta``.
    scale : bool
        Whether to learn a scale ``gamma`` (False by default, as in MXNet).
    beta_initializer, gamma_initializer : str or Initializer
        Initialisers of ``beta`` and ``gamma``.
    in_channels : int
        Number of channels; 0 infers it from the first input.
    """

    def __init__(
        self,
        axis=1,
        epsilon=1e-5,
        center=True,
        scale=False,
        beta_initializer="zeros",
        gamma_initializer="ones",
        in_channels=0,
        **kwargs,
    ):
        settings = {"eps": epsilon, "axis": axis, "center": center, "scale": scale}
        super().__init__(
            settings, in_channels, center, scale, beta_initializer, gamma_initializer, **kwargs
        )
        self._axis = axis

    def hybrid_forward(self, F, x, gamma, beta):
        # The operator normalises with channels on axis 1; move another channel axis there.
        if self._axis != 1:
            x = F.swapaxes(x, dim1=1, dim2=self._axis)
        out = call_op(self, F.InstanceNorm, x, gamma, beta, name="fwd", eps=self._epsilon)
        if self._axis != 1:
            out = F.swapaxes(out, dim1=1, dim2=self._axis)
        return out


class LayerNorm(_AffineNorm):
    """Normalise each sample over one axis (the last by default), then scale and shift.

    Parameters
    ----------
    axis : int
        The axis to normalise over.
    epsilon : float
        Added to the variance before the square root.
    center, scale : bool
        Whether to learn ``beta`` and ``gamma``.
    beta_initializer, gamma_initializer : str or Initializer
        Initialisers of ``beta`` and ``gamma``.
    in_channels : int
        Size of ``axis``; 0 infers it from the first input.
    """

    def __init__(
        self,
        axis=-1,
        epsilon=1e-5,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        in_channels=0,
        prefix=None,
        params=None,
    ):
        settings = {"eps": epsilon, "axis": axis, "center": center, "scale": scale}
        super().__init__(
            settings,
            in_channels,
            center,
            scale,
            beta_initializer,
            gamma_initializer,
            prefix=prefix,
            params=params,
        )
        self._axis = axis

    def hybrid_forward(self, F, data, gamma, beta):
        return call_op(
            self, F.LayerNorm, data, gamma=gamma, beta=beta, axis=self._axis, eps=self._epsilon
        )


class GroupNorm(_AffineNorm):
    """Normalise each sample over groups of channels (axis 1), then scale and shift.

    Parameters
    ----------
    num_groups : int
        Number of channel groups; the channel count must divide by it.
    epsilon : float
        Added to the variance before the square root.
    center, scale : bool
        Whether to learn ``beta`` and ``gamma``.
    beta_initializer, gamma_initializer : str or Initializer
        Initialisers of ``beta`` and ``gamma``.

    Notes
    -----
    As in MXNet 1.9.1, ``gamma`` and ``beta`` hold one value per group, shape
    ``(num_groups,)``.
    """

    def __init__(
        self,
        num_groups=1,
        epsilon=1e-5,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        prefix=None,
        params=None,
    ):
        settings = {"eps": epsilon, "num_groups": num_groups, "center": center, "scale": scale}
        super().__init__(
            settings,
            num_groups,
            center,
            scale,
            beta_initializer,
            gamma_initializer,
            prefix=prefix,
            params=params,
        )
        self._num_groups = num_groups

    def hybrid_forward(self, F, data, gamma, beta):
        return call_op(
            self,
            F.GroupNorm,
            data,
            gamma=gamma,
            beta=beta,
            num_groups=self._num_groups,
            eps=self._epsilon,
        )

    def __repr__(self):
        return _settings_repr(self, self._kwargs)
