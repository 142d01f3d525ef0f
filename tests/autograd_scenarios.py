"""Autograd scenarios run both by real MXNet 1.9.1 (tools/make_autograd_golden.py writes their
results to tests/golden/autograd/) and by neomx (tests/test_autograd_golden.py compares).

Each scenario is a function ``run(mx, inputs)``: ``mx`` is the framework module (mxnet or
neomx), ``inputs`` a dict of numpy arrays; it returns a dict of result name -> NDArray. Only
API the two share is used, so the same code runs on both. This module imports neither (the
oracle venv has no neomx, and tests never import mxnet).
"""

from __future__ import annotations

# name -> {input name: (shape, low, high)}: float32 inputs drawn uniformly.
INPUTS: dict[str, dict] = {}
SCENARIOS: dict[str, object] = {}


def scenario(**inputs):
    """Register the decorated function as a scenario with inputs of these specs."""

    def register(function):
        SCENARIOS[function.__name__] = function
        INPUTS[function.__name__] = inputs
        return function

    return register


def _arrays(mx, inputs, grad_req="write"):
    """The inputs as float32 NDArrays with gradient buffers (the h* ones without)."""
    arrays = {}
    for name, value in inputs.items():
        arrays[name] = mx.nd.array(value, dtype="float32")
        if not name.startswith("h"):
            arrays[name].attach_grad(grad_req)
    return arrays


_MATRIX = ((2, 3), -1.0, 1.0)
_POSITIVE = ((2, 3), 0.5, 2.0)


@scenario(x=_MATRIX, w=((1, 3), 0.5, 1.5), h=((2,), -1.0, 1.0))
def broadcast_exp_log(mx, inputs):
    a = _arrays(mx, inputs)
    x, w = a["x"], a["w"]
    with mx.autograd.record():
        y = mx.nd.exp(x) * w + 2
        z = mx.nd.log(y).sum(axis=1)
    z.backward(a["h"])
    return {"z": z, "dx": x.grad, "dw": w.grad}


@scenario(x=_MATRIX, h=((2, 5), -1.0, 1.0))
def reshape_transpose_slice_concat_clip(mx, inputs):
    a = _arrays(mx, inputs)
    x = a["x"]
    with mx.autograd.record():
        t = x.reshape((3, 2)).T  # (2, 3)
        c = mx.nd.concat(t, t * 2, x[1:2] - 1, dim=0)  # (5, 3)
        y = mx.nd.clip(c, -0.8, 1.2)
        z = mx.nd.transpose(y)[0:2] * x[:, 2:3]  # (2, 5) * (2, 1)
    z.backward(a["h"])
    return {"z": z, "dx": x.grad}


@scenario(x=_POSITIVE)
def scalar_operators(mx, inputs):
    a = _arrays(mx, inputs)
    x = a["x"]
    with mx.autograd.record():
        y = (x * 3 - 1) / 2 + x**2 + 1 / (x + 2) + 2**x - (5 - x) + x % 0.7
    y.backward()
    return {"y": y, "dx": x.grad}


@scenario(x=_MATRIX, w=_MATRIX, h1=((2, 3), -1.0, 1.0), h2=((2,), -1.0, 1.0))
def multiple_heads(mx, inputs):
    a = _arrays(mx, inputs)
    x, w = a["x"], a["w"]
    with mx.autograd.record():
        p = x * w
        q = (mx.nd.exp(x) - w).sum(axis=1)
        r = w * 3
    mx.autograd.backward([p, q, r], [a["h1"], a["h2"], None])
    return {"p": p, "q": q, "dx": x.grad, "dw": w.grad}


@scenario(x=_MATRIX, w=_MATRIX)
def grad_req_add_twice(mx, inputs):
    a = _arrays(mx, inputs, "add")
    x, w = a["x"], a["w"]
    with mx.autograd.record():
        y = x * w + mx.nd.exp(x)
    y.backward()
    with mx.autograd.record():
        y = (x - w) * (x - w)
    y.backward()
    return {"dx": x.grad, "dw": w.grad}


@scenario(x=_MATRIX, w=_MATRIX)
def retain_graph_twice(mx, inputs):
    a = _arrays(mx, inputs, "add")
    x, w = a["x"], a["w"]
    with mx.autograd.record():
        y = mx.nd.exp(x * w)
    y.backward(retain_graph=True)
    y.backward()
    return {"dx": x.grad, "dw": w.grad}


@scenario(x=_MATRIX, w=_MATRIX, h=((2, 3), -1.0, 1.0))
def autograd_grad(mx, inputs):
    a = _arrays(mx, inputs)
    x, w = a["x"], a["w"]
    with mx.autograd.record():
        y = mx.nd.exp(x) * w * w
    gx, gw = mx.autograd.grad(y, [x, w], head_grads=a["h"])
    return {"gx": gx, "gw": gw, "x_grad_untouched": x.grad}


@scenario(x=_MATRIX, w=_MATRIX)
def dropout_predict_mode(mx, inputs):
    a = _arrays(mx, inputs)
    x, w = a["x"], a["w"]
    with mx.autograd.record(train_mode=False):
        y = mx.nd.Dropout(x * w, p=0.5) + mx.nd.Dropout(x, p=0.3, axes=(1,))
    y.backward()
    return {"y": y, "dx": x.grad, "dw": w.grad}


@scenario(x=((2, 3), 0.6, 2.4), w=_MATRIX)
def floor_writes_zero_gradient(mx, inputs):
    a = _arrays(mx, inputs)
    x, w = a["x"], a["w"]
    with mx.autograd.record():
        y = x * w
    y.backward()
    with mx.autograd.record():
        y = mx.nd.floor(x) * w
    y.backward()
    return {"dx": x.grad, "dw": w.grad}


@scenario(x=_MATRIX)
def variable_as_head(mx, inputs):
    a = _arrays(mx, inputs)
    x = a["x"]
    with mx.autograd.record():
        y = x * x
    mx.autograd.backward([y, x])
    return {"dx": x.grad}


@scenario(x=_MATRIX, w=_MATRIX)
def custom_function(mx, inputs):
    class Sigmoid(mx.autograd.Function):
        def forward(self, x):
            y = 1 / (1 + mx.nd.exp(-x))
            self.save_for_backward(y)
            return y

        def backward(self, dy):
            (y,) = self.saved_tensors
            return dy * y * (1 - y)

    a = _arrays(mx, inputs)
    x, w = a["x"], a["w"]
    with mx.autograd.record():
        y = Sigmoid()(x * w) * 3 + x
    y.backward()
    return {"y": y, "dx": x.grad, "dw": w.grad}


def _second_order(mx, inputs, f):
    a = _arrays(mx, inputs)
    x = a["x"]
    with mx.autograd.record():
        y = f(mx.nd, x)
        (dx,) = mx.autograd.grad(y, [x], head_grads=a["h1"], create_graph=True)
    dx.backward(a["h2"])
    return {"y": y, "dx": dx, "d2x": x.grad}


# MXNet 1.9.1 differentiates these gradients again (its broadcast arithmetic, scalar ops,
# sum and slicing have no second-order gradient, so the chains stay within these).
_SECOND = {"x": _MATRIX, "h1": _MATRIX, "h2": _MATRIX}


@scenario(**_SECOND)
def second_order_log_sigmoid(mx, inputs):
    return _second_order(mx, inputs, lambda F, x: F.log(F.sigmoid(x)))


@scenario(**_SECOND)
def second_order_exp_sin(mx, inputs):
    return _second_order(mx, inputs, lambda F, x: F.exp(F.sin(x)))


@scenario(**_SECOND)
def second_order_tanh_relu(mx, inputs):
    return _second_order(mx, inputs, lambda F, x: F.tanh(F.relu(x)))


@scenario(x=_MATRIX, h1=((3, 2), -1.0, 1.0), h2=_MATRIX)
def second_order_cos_transpose(mx, inputs):
    return _second_order(mx, inputs, lambda F, x: F.cos(F.transpose(x)))


@scenario(**_SECOND)
def second_order_log_exp(mx, inputs):
    return _second_order(mx, inputs, lambda F, x: F.log(F.exp(x) + 1))
