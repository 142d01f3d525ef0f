"""Activation layers: Activation, LeakyReLU, PReLU, ELU, SELU, Swish, GELU."""

from __future__ import annotations

from ... import initializer
from ..hybrid import HybridBlock
from .layer_errors import call_op

__all__ = ["Activation", "LeakyReLU", "PReLU", "ELU", "SELU", "Swish", "GELU"]


class Activation(HybridBlock):
    """Apply an element-wise activation function.

    Parameters
    ----------
    activation : str
        The ``act_type`` of the ``Activation`` operator: ``'relu'``, ``'sigmoid'``, ``'tanh'``,
        ``'softrelu'``, ``'softsign'`` (and whatever else the operator accepts).

    Examples
    --------
    >>> act = mx.gluon.nn.Activation('relu')
    >>> act(mx.nd.array([-1.0, 2.0])).asnumpy()
    array([0., 2.], dtype=float32)
    """

    def __init__(self, activation, **kwargs):
        # MXNet sets this before Block.__init__: _alias() names the block after it ('relu0').
        self._act_type = activation
        super().__init__(**kwargs)

    def _alias(self):
        return self._act_type

    def hybrid_forward(self, F, x):
        return call_op(self, F.Activation, x, act_type=self._act_type, name="fwd")

    def __repr__(self):
        return f"{self.__class__.__name__}({self._act_type})"


class LeakyReLU(HybridBlock):
    """Leaky rectifier: ``x`` where positive, ``alpha * x`` elsewhere.

    Parameters
    ----------
    alpha : float
        The slope for negative inputs; must be at least 0.

    Examples
    --------
    >>> mx.gluon.nn.LeakyReLU(0.1)(mx.nd.array([-1.0, 2.0])).asnumpy()
    array([-0.1,  2. ], dtype=float32)
    """

    def __init__(self, alpha, **kwargs):
        if alpha < 0:
            raise ValueError(f"LeakyReLU: alpha (the negative slope) must be >= 0, got {alpha}")
        super().__init__(**kwargs)
        self._alpha = alpha

    def hybrid_forward(self, F, x):
        return call_op(self, F.LeakyReLU, x, act_type="leaky", slope=self._alpha, name="fwd")

    def __repr__(self):
        return f"{self.__class__.__name__}({self._alpha})"


class PReLU(HybridBlock):
    """Parametric leaky rectifier with a learned slope per channel (axis 1).

    Parameters
    ----------
    alpha_initializer : Initializer
        Initialiser of the slopes, ``Constant(0.25)`` by default.
    in_channels : int
        Number of slopes: 1 shares one slope across all channels.
    """

    def __init__(self, alpha_initializer=initializer.Constant(0.25), in_channels=1, **kwargs):  # noqa: B008
        super().__init__(**kwargs)
        with self.name_scope():
            self.alpha = self.params.get("alpha", shape=(in_channels,), init=alpha_initializer)

    def hybrid_forward(self, F, x, alpha):
        return call_op(self, F.LeakyReLU, x, gamma=alpha, act_type="prelu", name="fwd")


class ELU(HybridBlock):
    """Exponential linear unit: ``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere.

    Parameters
    ----------
    alpha : float
        The scale of the negative part.
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self._alpha = alpha

    def hybrid_forward(self, F, x):
        return call_op(self, F.LeakyReLU, x, act_type="elu", slope=self._alpha)


class SELU(HybridBlock):
    """Scaled exponential linear unit (Klambauer et al., 2017)."""

    def hybrid_forward(self, F, x):
        return call_op(self, F.LeakyReLU, x, act_type="selu", name="fwd")


class GELU(HybridBlock):
    """Gaussian error linear unit, ``x * Phi(x)`` (the erf form, as MXNet computes it)."""

    def hybrid_forward(self, F, x):
        return call_op(self, F.LeakyReLU, x, act_type="gelu", name="fwd")


class Swish(HybridBlock):
    """Swish activation, ``x * sigmoid(beta * x)``.

    Parameters
    ----------
    beta : float
        The scale inside the sigmoid.
    """

    def __init__(self, beta=1.0, **kwargs):
        super().__init__(**kwargs)
        self._beta = beta

    def hybrid_forward(self, F, x):
        return x * F.sigmoid(self._beta * x, name="fwd")
