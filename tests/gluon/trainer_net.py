"""The net of the Trainer tests, shared with tools/make_trainer_golden.py (which builds it in
MXNet 1.9.1): ``define_net(gluon)`` makes it for ``mxnet.gluon`` or ``neomx.gluon``."""

from __future__ import annotations


def define_net(gluon):
    """Return the class Net built on ``gluon``."""

    class Net(gluon.Block):
        """fc2(tanh(fc1(x))), plus fc3 of the same hidden layer on even steps (with ``branch``)."""

        def __init__(self, branch, **kwargs):
            super().__init__(**kwargs)
            self.branch = branch
            self.step = 0
            with self.name_scope():
                self.fc1 = gluon.nn.Dense(5, in_units=4, activation="tanh", prefix="fc1_")
                self.fc2 = gluon.nn.Dense(3, in_units=5, prefix="fc2_")
                if branch:
                    self.fc3 = gluon.nn.Dense(3, in_units=5, prefix="fc3_")

        def forward(self, x):
            hidden = self.fc1(x)
            out = self.fc2(hidden)
            if self.branch and self.step % 2 == 0:
                out = out + self.fc3(hidden)
            return out

    return Net
