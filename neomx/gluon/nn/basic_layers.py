"""Basic layers: Dense, Dropout, Embedding, Flatten."""

from __future__ import annotations

from ..hybrid import HybridBlock
from .activations import Activation
from .layer_errors import call_op

__all__ = ["Dense", "Dropout", "Embedding", "Flatten"]


class Dense(HybridBlock):
    """A fully connected layer: ``activation(dot(x, weight.T) + bias)``.

    Parameters
    ----------
    units : int
        Output size (``num_hidden``).
    activation : str, optional
        An ``Activation`` act_type applied to the output; None applies nothing.
    use_bias : bool
        Whether to add a bias.
    flatten : bool
        True flattens all but the first input axis; False applies the layer to the last axis
        and keeps the others.
    dtype : str
        Type of the weight and bias.
    weight_initializer, bias_initializer : str or Initializer
        Initialisers; the bias starts at zeros.
    in_units : int
        Input size; 0 (the default) infers it from the first input.

    Examples
    --------
    >>> layer = mx.gluon.nn.Dense(10)
    >>> layer
    Dense(None -> 10, linear)
    >>> layer.initialize()
    >>> layer(mx.nd.ones((2, 3))).shape
    (2, 10)
    """

    def __init__(
        self,
        units,
        activation=None,
        use_bias=True,
        flatten=True,
        dtype="float32",
        weight_initializer=None,
        bias_initializer="zeros",
        in_units=0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self._flatten = flatten
        with self.name_scope():
            self._units = units
            self._in_units = in_units
            self.weight = self.params.get(
                "weight",
                shape=(units, in_units),
                init=weight_initializer,
                dtype=dtype,
                allow_deferred_init=True,
            )
            self.bias = None
            if use_bias:
                self.bias = self.params.get(
                    "bias",
                    shape=(units,),
                    init=bias_initializer,
                    dtype=dtype,
                    allow_deferred_init=True,
                )
            # MXNet names the activation child '<act_type>_' inside this scope ('dense0_relu_').
            self.act = None
            if activation is not None:
                self.act = Activation(activation, prefix=activation + "_")

    def hybrid_forward(self, F, x, weight, bias=None):
        out = call_op(
            self,
            F.FullyConnected,
            x,
            weight,
            bias,
            no_bias=bias is None,
            num_hidden=self._units,
            flatten=self._flatten,
            name="fwd",
        )
        if self.act is not None:
            out = self.act(out)
        return out

    def __repr__(self):
        out_units, in_units = self.weight.shape
        act = self.act if self.act else "linear"
        return f"{self.__class__.__name__}({in_units if in_units else None} -> {out_units}, {act})"


class Dropout(HybridBlock):
    """Zero a random fraction ``rate`` of the inputs while training, scaling the rest up.

    Parameters
    ----------
    rate : float
        Probability of zeroing an element.
    axes : tuple of int
        Axes along which the same mask is shared (variational dropout).

    Examples
    --------
    >>> mx.gluon.nn.Dropout(0.5)
    Dropout(p = 0.5, axes=())
    """

    def __init__(self, rate, axes=(), **kwargs):
        super().__init__(**kwargs)
        self._rate = rate
        self._axes = axes

    def hybrid_forward(self, F, x):
        if self._rate > 0:
            return call_op(
                self, F.Dropout, x, p=self._rate, axes=self._axes, name="fwd", cudnn_off=False
            )
        return F.identity(x)

    def __repr__(self):
        return f"{self.__class__.__name__}(p = {self._rate}, axes={self._axes})"


class Embedding(HybridBlock):
    """Map integer indices to rows of a learned ``(input_dim, output_dim)`` matrix.

    Parameters
    ----------
    input_dim : int
        Vocabulary size: indices run over ``[0, input_dim)``.
    output_dim : int
        Size of each embedding vector.
    dtype : str
        Type of the weight.
    weight_initializer : Initializer
        Initialiser of the weight.
    sparse_grad : bool
        Accepted for MXNet compatibility (MXNet then keeps a row-sparse gradient); neomx stores
        the gradient densely, with the same values.

    Examples
    --------
    >>> layer = mx.gluon.nn.Embedding(10, 4)
    >>> layer
    Embedding(10 -> 4, float32)
    """

    def __init__(
        self,
        input_dim,
        output_dim,
        dtype="float32",
        weight_initializer=None,
        sparse_grad=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self._kwargs = {
            "input_dim": input_dim,
            "output_dim": output_dim,
            "dtype": dtype,
            "sparse_grad": sparse_grad,
        }
        self.weight = self.params.get(
            "weight",
            shape=(input_dim, output_dim),
            init=weight_initializer,
            dtype=dtype,
            allow_deferred_init=True,
            grad_stype="row_sparse" if sparse_grad else "default",
        )

    def hybrid_forward(self, F, x, weight):
        return call_op(self, F.Embedding, x, weight, name="fwd", **self._kwargs)

    def __repr__(self):
        k = self._kwargs
        return f"{self.__class__.__name__}({k['input_dim']} -> {k['output_dim']}, {k['dtype']})"


class Flatten(HybridBlock):
    """Reshape ``(N, d1, d2, ...)`` input to ``(N, d1 * d2 * ...)``.

    Examples
    --------
    >>> mx.gluon.nn.Flatten()(mx.nd.ones((2, 3, 4))).shape
    (2, 12)
    """

    def hybrid_forward(self, F, x):
        return call_op(self, F.flatten, x)

    def __repr__(self):
        return self.__class__.__name__
