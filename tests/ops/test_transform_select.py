"""What the case tables do not reach for transform.py, pad.py, select.py and amp.py: second
order gradients through autograd, graph inference with unknown dimensions, the MXNet names
(aliases) and the fluent NDArray methods."""

import numpy as np
import pytest

import neomx as mx
from neomx.ops import REGISTRY
from neomx.test_utils import assert_almost_equal

_W = [0, 0, 0, 0, 1, 2, 2, 1]

# (operator, params, input shapes (None where fixed), the differentiated input, fixed inputs)
SECOND_ORDER = [
    ("squeeze", {}, [(1, 3, 1)], 0, {}),
    ("SwapAxis", {"dim1": 0, "dim2": 2}, [(2, 3, 4)], 0, {}),
    ("reverse", {"axis": [0, 1]}, [(2, 3)], 0, {}),
    ("repeat", {"repeats": 2}, [(2, 3)], 0, {}),
    ("repeat", {"repeats": 3, "axis": 0}, [(2, 3)], 0, {}),
    ("Pad", {"mode": "constant", "pad_width": _W}, [(1, 2, 3, 4)], 0, {}),
    ("Pad", {"mode": "edge", "pad_width": _W}, [(1, 2, 3, 4)], 0, {}),
    ("Pad", {"mode": "reflect", "pad_width": _W}, [(1, 2, 3, 4)], 0, {}),
    ("depth_to_space", {"block_size": 2}, [(1, 8, 2, 3)], 0, {}),
    ("space_to_depth", {"block_size": 2}, [(1, 2, 4, 6)], 0, {}),
    ("diag", {"k": 1}, [(4,)], 0, {}),
    ("diag", {"k": -1}, [(3, 4)], 0, {}),
    ("diag", {"k": 1, "axis1": 2, "axis2": 0}, [(3, 2, 4)], 0, {}),
    ("slice_like", {"axes": [1]}, [(3, 4), (5, 2)], 0, {}),
    ("pick", {"axis": 0, "mode": "wrap"}, [(3, 4), None], 0, {1: np.array([5, -1, 0, 2], "int32")}),
    ("pick", {"keepdims": True}, [(3, 4), None], 0, {1: np.array([0, 9, 2], "int32")}),
    ("where", {}, [None, (3, 2), (3, 2)], 1, {0: np.array([1, 0, 1], "int32")}),
    ("broadcast_axis", {"axis": [0, 2], "size": [2, 3]}, [(1, 2, 1)], 0, {}),
    ("amp_cast", {"dtype": "float16"}, [(2, 3)], 0, {}),
    ("amp_multicast", {"num_outputs": 2}, [(2,), (3,)], 0, {}),
]


@pytest.mark.parametrize(
    "op_name,params,shapes,wrt,fixed",
    SECOND_ORDER,
    ids=[f"{case[0]}-{i}" for i, case in enumerate(SECOND_ORDER)],
)
def test_gradient_is_differentiable(op_name, params, shapes, wrt, fixed):
    # For an operator f linear in x, y = f(x * x) has dy/dx . h = 2 x * f'(h); differentiating
    # sum(g * that) again gives 2 g * f'(h) = (dy/dx . h) * g / x, which needs the gradient
    # graph itself to be recorded and differentiable.
    rng = np.random.default_rng(0)
    arrays = [
        fixed[i] if i in fixed else rng.uniform(0.5, 1.5, shape).astype("float32")
        for i, shape in enumerate(shapes)
    ]
    inputs = [mx.nd.array(a, dtype=a.dtype) for a in arrays]
    x = inputs[wrt]
    x.attach_grad()
    function = getattr(mx.nd, op_name)
    with mx.autograd.record():
        squared = list(inputs)
        squared[wrt] = x * x
        out = function(*squared, **params)
        outs = out if isinstance(out, list) else [out]
        heads = [mx.nd.array(rng.standard_normal(o.shape), dtype=o.dtype) for o in outs]
        first = mx.autograd.grad(outs, [x], head_grads=heads, create_graph=True)[0]
    g = rng.standard_normal(x.shape).astype("float32")
    first.backward(mx.nd.array(g))
    want = first.asnumpy() * g / arrays[wrt]
    assert_almost_equal(x.grad.asnumpy(), want, rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize(
    "op_name,params,shapes",
    [
        ("squeeze", {"axis": 0}, [(1, 0)]),
        ("SwapAxis", {"dim2": 1}, [(0, 3)]),
        ("reverse", {"axis": [0]}, [(2, 0)]),
        ("repeat", {"repeats": 2}, [(0, 3)]),
        ("Pad", {"mode": "edge", "pad_width": _W}, [(0, 2, 3, 4)]),
        ("depth_to_space", {"block_size": 2}, [(0, 4, 2, 2)]),
        ("diag", {}, [(3, 0)]),
        ("slice_like", {}, [(3, 0), (2, 0)]),
        ("pick", {}, [(2, 0), (2,)]),
        ("where", {}, [(0, 2), (0, 2), (0, 2)]),
        ("broadcast_axis", {"axis": [1], "size": [3]}, [(0, 1)]),
        ("fill_element_0index", {}, [(0, 2), (0,), (0,)]),
    ],
)
def test_unknown_dimensions_defer_inference(op_name, params, shapes):
    # In graph inference (MXNet 1.x) a 0 dimension is unknown: inference waits for it.
    op = REGISTRY[op_name]
    assert op.infer_shape(op.params.parse(op.name, params), *shapes) is None


def test_shape_array_needs_only_the_number_of_axes():
    op = REGISTRY["shape_array"]
    assert op.infer_shape(op.params.parse(op.name, {}), (0, 3)) == (((0, 3),), ((2,),))


@pytest.mark.parametrize(
    "alias,name",
    [
        ("swapaxes", "SwapAxis"),
        ("flip", "reverse"),
        ("pad", "Pad"),
        ("broadcast_axes", "broadcast_axis"),
        ("crop", "slice"),
    ],
)
def test_mxnet_aliases(alias, name):
    assert REGISTRY[alias] is REGISTRY[name]
    assert REGISTRY[alias].name == name
    assert callable(getattr(mx.nd, alias))


FLUENT = [
    ("squeeze", (), {}),
    ("swapaxes", (0, 2), {}),
    ("flip", (), {"axis": 1}),
    ("repeat", (2,), {"axis": 0}),
    ("pad", (), {"mode": "reflect", "pad_width": (0, 0, 0, 0, 0, 0, 1, 1)}),
    ("diag", (), {"axis1": 1, "axis2": 2}),
    ("depth_to_space", (), {"block_size": 1}),
    ("space_to_depth", (), {"block_size": 1}),
    ("broadcast_axes", (), {"axis": 0, "size": 3}),
    ("shape_array", (), {}),
    ("size_array", (), {}),
]


@pytest.mark.parametrize("method,args,kwargs", FLUENT, ids=[f[0] for f in FLUENT])
def test_fluent_methods(method, args, kwargs):
    x = mx.nd.array(np.arange(12, dtype="float32").reshape(1, 1, 3, 4))
    got = getattr(x, method)(*args, **kwargs)
    want = getattr(mx.nd, method)(x, *args, **kwargs)
    assert_almost_equal(got.asnumpy(), want.asnumpy())


def test_fluent_methods_with_a_second_input():
    x = mx.nd.array(np.arange(12, dtype="float32").reshape(3, 4))
    index = mx.nd.array([0, 3, 1])
    assert x.pick(index).asnumpy().tolist() == [0.0, 7.0, 9.0]
    assert x.slice_like(mx.nd.zeros((2, 2))).shape == (2, 2)


def test_pad_constant_value_is_cast_like_mxnet():
    # float16 cannot hold 1e6: the padding becomes infinity, as MXNet's C++ cast makes it.
    x = mx.nd.ones((1, 1, 1, 1), dtype="float16")
    padded = mx.nd.pad(x, mode="constant", pad_width=(0, 0, 0, 0, 1, 0, 0, 0), constant_value=1e6)
    assert padded.asnumpy().tolist() == [[[[np.inf], [1.0]]]]
