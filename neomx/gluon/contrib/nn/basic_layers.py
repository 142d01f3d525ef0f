"""Contributed basic layers: Concurrent, HybridConcurrent, Identity, SparseEmbedding,
SyncBatchNorm."""

from __future__ import annotations

import warnings

from .... import context, ndarray
from ...block import Block
from ...hybrid import HybridBlock
from ...nn import BatchNorm, HybridSequential, Sequential
from ...nn.layer_errors import call_op

__all__ = ["Concurrent", "HybridConcurrent", "Identity", "SparseEmbedding", "SyncBatchNorm"]


class Concurrent(Sequential):
    """Feed the same input to every child and concatenate their outputs along ``axis``.

    Parameters
    ----------
    axis : int
        The axis to concatenate along (the last by default).

    Examples
    --------
    >>> net = mx.gluon.contrib.nn.Concurrent(axis=1)
    >>> with net.name_scope():
    ...     net.add(mx.gluon.nn.Dense(2), mx.gluon.contrib.nn.Identity())
    """

    def __init__(self, axis=-1, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self.axis = axis

    def forward(self, x):
        outputs = [child(x) for child in self._children.values()]
        return ndarray.concat(*outputs, dim=self.axis)


class HybridConcurrent(HybridSequential):
    """Hybridizable :class:`Concurrent`: every child sees the input; outputs are concatenated.

    Parameters
    ----------
    axis : int
        The axis to concatenate along (the last by default).
    """

    def __init__(self, axis=-1, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self.axis = axis

    def hybrid_forward(self, F, x):
        outputs = [child(x) for child in self._children.values()]
        return F.concat(*outputs, dim=self.axis)


class Identity(HybridBlock):
    """Return the input unchanged (a placeholder branch in :class:`HybridConcurrent`).

    Examples
    --------
    >>> mx.gluon.contrib.nn.Identity()(mx.nd.array([1.0, 2.0])).asnumpy()
    array([1., 2.], dtype=float32)
    """

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)

    def hybrid_forward(self, F, x):
        return x


class SparseEmbedding(Block):
    """An :class:`~neomx.gluon.nn.Embedding` whose weight MXNet keeps row-sparse.

    neomx stores the weight and its gradient densely (with the same values), so this is
    Embedding with MXNet's parameter settings (``stype`` and ``grad_stype`` 'row_sparse').

    Parameters
    ----------
    input_dim : int
        Vocabulary size.
    output_dim : int
        Size of each embedding vector.
    dtype : str
        Type of the weight.
    weight_initializer : Initializer
        Initialiser of the weight.
    """

    def __init__(self, input_dim, output_dim, dtype="float32", weight_initializer=None, **kwargs):
        super().__init__(**kwargs)
        self._kwargs = {
            "input_dim": input_dim,
            "output_dim": output_dim,
            "dtype": dtype,
            "sparse_grad": True,
        }
        self.weight = self.params.get(
            "weight",
            shape=(input_dim, output_dim),
            init=weight_initializer,
            dtype=dtype,
            grad_stype="row_sparse",
            stype="row_sparse",
        )

    def forward(self, x):
        weight = self.weight.row_sparse_data(x)
        return ndarray.Embedding(x, weight, name="fwd", **self._kwargs)

    def __repr__(self):
        k = self._kwargs
        return f"{self.__class__.__name__}({k['input_dim']} -> {k['output_dim']}, {k['dtype']})"


class SyncBatchNorm(BatchNorm):
    """Batch normalisation over axis 1 with batch statistics shared across devices.

    Call the layer once per device on that device's part of the batch (as
    ``gluon.utils.split_and_load`` gives it); while training, the calls average their mean and
    mean of squares, and in backward their gradient sums, so each device normalises by the
    statistics of the whole batch, as ``BatchNorm`` on the whole batch on one device would.
    The running statistics are the same on every device.

    Parameters are those of :class:`~neomx.gluon.nn.BatchNorm` (without ``axis``), plus
    ``num_devices``: how many devices the batch is split over (default: the GPU count, at
    least 1, with a warning, as in MXNet).

    Notes
    -----
    The calls on the devices must run at the same time: with ``num_devices > 1`` run them
    under ``MXNET_ENGINE_TYPE=ThreadedEnginePerDevice`` (or inside
    ``mx.engine.engine_scope('ThreadedEnginePerDevice')``); the synchronous NaiveEngine raises
    ``MXNetError`` when training.
    """

    def __init__(
        self,
        in_channels=0,
        num_devices=None,
        momentum=0.9,
        epsilon=1e-5,
        center=True,
        scale=True,
        use_global_stats=False,
        beta_initializer="zeros",
        gamma_initializer="ones",
        running_mean_initializer="zeros",
        running_variance_initializer="ones",
        **kwargs,
    ):
        super().__init__(
            axis=1,
            momentum=momentum,
            epsilon=epsilon,
            center=center,
            scale=scale,
            use_global_stats=use_global_stats,
            beta_initializer=beta_initializer,
            gamma_initializer=gamma_initializer,
            running_mean_initializer=running_mean_initializer,
            running_variance_initializer=running_variance_initializer,
            in_channels=in_channels,
            **kwargs,
        )
        if num_devices is None:
            num_devices = self._get_num_devices()
        # The settings MXNet's SyncBatchNorm operator takes; its repr prints them all.
        self._kwargs = {
            "eps": epsilon,
            "momentum": momentum,
            "fix_gamma": not scale,
            "use_global_stats": use_global_stats,
            "ndev": num_devices,
            "key": self.prefix,
        }

    def _get_num_devices(self):
        warnings.warn(
            "Caution using SyncBatchNorm: if not using all the GPUs, please mannually set "
            "num_devices",
            UserWarning,
            stacklevel=3,
        )
        return max(context.num_gpus(), 1)

    def hybrid_forward(self, F, x, gamma, beta, running_mean, running_var):
        return call_op(
            self,
            F.contrib.SyncBatchNorm,
            x,
            gamma,
            beta,
            running_mean,
            running_var,
            name="fwd",
            **self._kwargs,
        )
