"""HybridBlocks shared by the Gluon-core tests and tools/make_gluon_core_fixtures.py, which
builds them in MXNet 1.9.1: ``define_blocks(mx)`` makes them for the framework module ``mx``
(``mxnet`` or ``neomx``), so both sides run the same code. It imports neither framework."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np


def define_blocks(mx):
    """Return Dense, Norm, Tower, make_net and set_params built on ``mx.gluon``."""
    gluon = mx.gluon

    class Dense(gluon.HybridBlock):
        def __init__(self, units, in_units=0, act=None, **kwargs):
            super().__init__(**kwargs)
            self._units, self._act = units, act
            with self.name_scope():
                self.weight = self.params.get(
                    "weight", shape=(units, in_units), allow_deferred_init=True
                )
                self.bias = self.params.get(
                    "bias", shape=(units,), init="zeros", allow_deferred_init=True
                )

        def hybrid_forward(self, F, x, weight, bias):
            y = F.FullyConnected(x, weight, bias, num_hidden=self._units, name="fwd")
            return F.Activation(y, act_type=self._act, name="act") if self._act else y

    class Norm(gluon.HybridBlock):
        def __init__(self, channels=0, **kwargs):
            super().__init__(**kwargs)
            with self.name_scope():
                self.gamma = self.params.get(
                    "gamma", shape=(channels,), init="ones", allow_deferred_init=True
                )
                self.beta = self.params.get(
                    "beta", shape=(channels,), init="zeros", allow_deferred_init=True
                )
                self.running_mean = self.params.get(
                    "running_mean",
                    grad_req="null",
                    shape=(channels,),
                    init="zeros",
                    allow_deferred_init=True,
                    differentiable=False,
                )
                self.running_var = self.params.get(
                    "running_var",
                    grad_req="null",
                    shape=(channels,),
                    init="ones",
                    allow_deferred_init=True,
                    differentiable=False,
                )

        def hybrid_forward(self, F, x, gamma, beta, running_mean, running_var):
            return F.BatchNorm(
                x, gamma, beta, running_mean, running_var, fix_gamma=False, name="fwd"
            )

    class Tower(gluon.Block):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            with self.name_scope():
                self.features = gluon.nn.HybridSequential()
                with self.features.name_scope():
                    self.features.add(Dense(4, act="relu"), Dense(4))
                self.head = Dense(2)
                self.scale = self.params.get("scale", shape=(1,))

        def forward(self, x):
            return self.head(self.features(x)) * self.scale.data()

    def make_net():
        net = gluon.nn.HybridSequential()
        with net.name_scope():
            net.add(Dense(8, act="relu"), Norm(), Dense(3))
        return net

    def set_params(net, seed):
        """Deterministic parameter values (names sorted), the same in both frameworks."""
        rng = np.random.RandomState(seed)
        for name in sorted(net.collect_params().keys()):
            param = net.collect_params()[name]
            value = rng.uniform(-1, 1, size=param.shape).astype("float32")
            if name.endswith("running_var"):
                value = np.abs(value) + 0.5
            param.set_data(mx.nd.array(value))

    return SimpleNamespace(
        Dense=Dense, Norm=Norm, Tower=Tower, make_net=make_net, set_params=set_params
    )
