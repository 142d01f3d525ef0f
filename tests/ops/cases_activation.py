"""Cases of the activation layers (neomx/ops/nn/activation.py): Activation and LeakyReLU.

Inputs for the gradient checks stay away from the kinks at 0 (relu, leaky, prelu, rrelu).
rrelu's cases run outside training, where its slope is the mean of its bounds, and have no
golden files: MXNet 1.9.1's CPU rrelu fails in training (where make_golden records the
gradient) and leaves its mask output unwritten otherwise. Its numeric gradient check (run in
training mode) uses equal bounds, so the random slope is fixed.
"""

import math

import numpy as np

from .case import Case, ErrorCase, add, add_errors, fixed, floats, nonzero

_SELU_SCALE = 1.0507009873554805
_SELU_ALPHA = 1.6732632423543772


def _in_float64(function):
    return lambda x: function(x.astype(np.float64)).astype(x.dtype)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softrelu(x):
    return np.where(x > 20, x, np.log1p(np.exp(np.minimum(x, 20))))


_ACTIVATIONS = {
    "relu": lambda x: np.maximum(x, 0),
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "softrelu": _softrelu,
    "softsign": lambda x: x / (1 + np.abs(x)),
}

for _act, _function in _ACTIVATIONS.items():
    _reference = _in_float64(_function)
    _params = {"act_type": _act}
    add(
        "Activation",
        Case(nonzero((2, 3, 4)), _params, _reference, label=_act),
        Case(nonzero((3, 2), dtype="float64"), _params, _reference, label=f"{_act}-float64"),
        Case(nonzero((2, 3), dtype="float16"), _params, _reference, label=f"{_act}-float16",
             grad=False),
        Case(fixed([0.7]), _params, _reference, label=f"{_act}-one-element"),
        # MXNet 1.x refuses zero-size inputs (0 is an unknown dimension there).
        Case(floats((0, 3)), _params, _reference, label=f"{_act}-zero-size", golden=False),
    )
add(
    "Activation",
    # Beyond softrelu's switch to the identity at 20, and sigmoid's saturation.
    Case(fixed([-30.0, -8.0, 19.5, 21.0, 40.0], dtype="float64"), {"act_type": "softrelu"},
         _in_float64(_softrelu), label="softrelu-large", grad=False),
    Case(fixed([-30.0, -8.0, 8.0, 30.0], dtype="float64"), {"act_type": "sigmoid"},
         _in_float64(_sigmoid), label="sigmoid-large"),
)
add_errors(
    "Activation",
    ErrorCase(floats((2, 3)), {"act_type": "swish"}, match=r"Activation.*act_type.*swish"),
    ErrorCase(fixed([1, -2], dtype="int32"), {"act_type": "relu"},
              match=r"Activation.*floating.*int32"),
)


# ---- LeakyReLU --------------------------------------------------------------------------------


def _leaky(slope):
    slope = np.float32(slope)
    return _in_float64(lambda x: np.where(x > 0, x, slope * x))


def _elu(slope):
    slope = np.float32(slope)
    return _in_float64(lambda x: np.where(x > 0, x, slope * np.expm1(x)))


def _selu(x):
    return _SELU_SCALE * np.where(x > 0, x, _SELU_ALPHA * np.expm1(x))


def _gelu(x):
    erf = np.vectorize(math.erf, otypes=[np.float64])
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def _channel_view(gamma, ndim):
    """gamma (C,) as (1, C, 1, ...); a single slope stays as it is."""
    return gamma if gamma.size == 1 else gamma.reshape((1, -1) + (1,) * (ndim - 2))


def _prelu(x, gamma):
    slopes = _channel_view(gamma, x.ndim).astype(np.float64)
    wide = x.astype(np.float64)
    return np.where(wide > 0, wide, slopes * wide).astype(x.dtype)


def _prelu_batch_axis(x, gamma):
    """prelu with a gamma of the batch size: MXNet aligns it with axis 0."""
    return np.where(x > 0, x, gamma.reshape((-1,) + (1,) * (x.ndim - 1)) * x)


def _rrelu_predict(lower, upper):
    """rrelu outside training: the mean slope, and a mask holding it."""
    mean = (np.float32(lower) + np.float32(upper)) / 2

    def reference(x):
        return np.where(x > 0, x, mean * x).astype(x.dtype), np.full(x.shape, mean, x.dtype)

    return reference


def _prelu_inputs(data_shape, gamma_shape, dtype="float32"):
    def make(rng):
        data = nonzero(data_shape, dtype=dtype)(rng)[0]
        gamma = rng.uniform(0.05, 0.5, size=gamma_shape).astype(dtype)
        return [data, gamma]

    return make


add(
    "LeakyReLU",
    Case(nonzero((2, 3, 4)), reference=_leaky(0.25), label="leaky-default"),
    Case(nonzero((3, 4)), {"act_type": "leaky", "slope": 0.1}, _leaky(0.1), label="leaky-0.1"),
    Case(nonzero((3, 4)), {"slope": 1.5}, _leaky(1.5), label="leaky-steep"),
    Case(nonzero((3, 4)), {"slope": -0.5}, _leaky(-0.5), label="leaky-negative"),
    Case(nonzero((2, 3), dtype="float64"), {"slope": 0.3}, _leaky(0.3), label="leaky-float64"),
    Case(nonzero((2, 3), dtype="float16"), reference=_leaky(0.25), label="leaky-float16",
         grad=False),
    Case(floats((0, 3)), reference=_leaky(0.25), label="leaky-zero-size", golden=False),
    Case(floats((2, 3, 4), low=-2, high=2), {"act_type": "elu"}, _elu(0.25), label="elu"),
    Case(floats((3, 4), low=-2, high=2), {"act_type": "elu", "slope": 2.0}, _elu(2.0),
         label="elu-slope2"),
    Case(floats((3, 4), low=-2, high=2, dtype="float64"), {"act_type": "elu"}, _elu(0.25),
         label="elu-float64"),
    Case(floats((2, 3, 4), low=-2, high=2), {"act_type": "selu"}, _in_float64(_selu),
         label="selu"),
    Case(floats((3, 4), low=-2, high=2, dtype="float64"), {"act_type": "selu"},
         _in_float64(_selu), label="selu-float64"),
    Case(floats((2, 3, 4), low=-3, high=3), {"act_type": "gelu"}, _in_float64(_gelu),
         label="gelu"),
    Case(floats((3, 4), low=-3, high=3, dtype="float64"), {"act_type": "gelu"},
         _in_float64(_gelu), label="gelu-float64"),
    Case(floats((2, 3), low=-3, high=3, dtype="float16"), {"act_type": "gelu"},
         _in_float64(_gelu), label="gelu-float16", grad=False),
    Case(_prelu_inputs((2, 3, 4), (3,)), {"act_type": "prelu"}, _prelu, label="prelu"),
    Case(_prelu_inputs((2, 3, 2, 2), (3,)), {"act_type": "prelu"}, _prelu, label="prelu-4d"),
    Case(_prelu_inputs((4, 3), (3,)), {"act_type": "prelu"}, _prelu, label="prelu-2d"),
    Case(_prelu_inputs((2, 3, 4), (1,)), {"act_type": "prelu"}, _prelu, label="prelu-shared"),
    Case(_prelu_inputs((2, 3, 4), (2,)), {"act_type": "prelu"}, _prelu_batch_axis,
         label="prelu-batch-axis"),
    Case(_prelu_inputs((2, 3), (3,), "float64"), {"act_type": "prelu"}, _prelu,
         label="prelu-float64"),
    Case(nonzero((2, 3, 4)), {"act_type": "rrelu"}, _rrelu_predict(0.125, 0.334),
         label="rrelu-predict", grad=False, golden=False),
    Case(nonzero((3, 4)), {"act_type": "rrelu", "lower_bound": 0.2, "upper_bound": 0.2},
         _rrelu_predict(0.2, 0.2), label="rrelu-fixed-slope", golden=False),
)
add_errors(
    "LeakyReLU",
    ErrorCase(floats((2, 3)), {"act_type": "swish"}, match=r"LeakyReLU.*act_type.*swish"),
    ErrorCase(fixed([1, -2], dtype="int32"), match=r"LeakyReLU.*floating.*int32"),
    ErrorCase(_prelu_inputs((2, 3, 4), (4,)), {"act_type": "prelu"},
              match=r"LeakyReLU.*gamma.*\(4,\).*\(2, 3, 4\)"),
    ErrorCase(_prelu_inputs((2, 3, 4), (1, 3, 1)), {"act_type": "prelu"},
              match=r"LeakyReLU.*gamma.*\(1, 3, 1\)"),
)
