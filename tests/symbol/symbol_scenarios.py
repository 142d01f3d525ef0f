"""Scenarios of the Symbol API, run by real MXNet 1.9.1 (tools/make_symbol_api_fixture.py) and
by neomx (test_symbol_api.py), which must give the same JSON-friendly results.

Each scenario is a function of the ``mx`` module (mxnet or neomx) and uses only the API the
two share. A scenario that raises is recorded as its error; one that warns, with its warnings.
Every scenario runs in a fresh ``NameManager`` so automatic names do not depend on order.
"""

from __future__ import annotations

import numpy as np

SCENARIOS = {}


def scenario(function):
    """Register ``function`` under its name."""

    def run(mx):
        with mx.name.NameManager():
            return function(mx)

    run.__name__ = function.__name__
    SCENARIOS[function.__name__] = run
    return function


def jsonable(value):
    """``value`` with tuples as lists and dtypes as names."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, type) and issubclass(value, np.generic):
        return np.dtype(value).name
    if isinstance(value, np.dtype):
        return value.name
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def error_of(function):
    """Call ``function``; return "ok" or "error" (whether it raised)."""
    try:
        function()
    except Exception:  # noqa: BLE001 - both libraries raise their own error types
        return "error"
    return "ok"


def ops_of(sym):
    """[(op, name)] of every operator node, read from debug_str ("Op:X, Name=Y" lines)."""
    found = []
    for line in sym.debug_str().splitlines():
        if line.startswith("Op:"):
            op, name = line[3:].split(", Name=")
            found.append([op, name])
    return found


def summary(sym):
    return {
        "arguments": sym.list_arguments(),
        "outputs": sym.list_outputs(),
        "auxiliary": sym.list_auxiliary_states(),
        "inputs": sym.list_inputs(),
    }


# ---- naming --------------------------------------------------------------------------------


@scenario
def naming_counters(mx):
    x = mx.sym.var("x")
    a = mx.sym.FullyConnected(x, num_hidden=2)
    b = mx.sym.FullyConnected(a, num_hidden=2)
    c = mx.sym.Activation(b, act_type="relu")
    d = mx.sym.broadcast_add(c, c)
    e = mx.sym.elemwise_add(d, d)
    f = mx.sym.Convolution(e, kernel=(1, 1), num_filter=2)
    g = mx.sym.SoftmaxOutput(f)
    h = mx.sym.concat(g, g, dim=1)
    i = mx.sym.Concat(h, h, dim=1)
    j = mx.sym.sum(i)
    k = mx.sym._internal._plus(j, j)
    return [s.name for s in (a, b, c, d, e, f, g, h, i, j, k)] + summary(k)["arguments"]


@scenario
def naming_namespaces(mx):
    x = mx.sym.var("x")
    y = mx.sym.var("y")
    return [
        mx.sym.linalg.gemm2(x, y).name,
        mx.sym.linalg.gemm2(x, y).name,
        mx.sym.contrib.box_nms(x).name,
        mx.sym.op.FullyConnected(x, num_hidden=1).name,
        mx.sym.LinearRegressionOutput(x).list_arguments(),
        mx.sym.SoftmaxOutput(x).list_arguments(),
        mx.sym.Embedding(x, input_dim=3, output_dim=2).list_arguments(),
    ]


@scenario
def naming_prefix(mx):
    x = mx.sym.var("x")
    with mx.name.Prefix("net_"):
        a = mx.sym.FullyConnected(x, num_hidden=2)
        b = mx.sym.FullyConnected(a, num_hidden=2, name="out")
        v = mx.sym.var("v")
        c = a + b
    return [a.name, b.name, v.name, c.name, summary(c)]


@scenario
def naming_nested_managers(mx):
    x = mx.sym.var("x")
    names = [mx.sym.relu(x).name]
    with mx.name.NameManager():
        names.append(mx.sym.relu(x).name)
        with mx.name.Prefix("inner_"):
            names.append(mx.sym.relu(x).name)
            names.append(mx.sym.relu(x).name)
        names.append(mx.sym.relu(x).name)
    names.append(mx.sym.relu(x).name)
    with mx.name.Prefix("a_"):
        with mx.name.Prefix("b_"):
            names.append(mx.sym.relu(x).name)
        names.append(mx.sym.relu(x).name)
    return names


@scenario
def naming_given_names(mx):
    x = mx.sym.var("x")
    fc = mx.sym.FullyConnected(data=x, num_hidden=3, name="fc1")
    act = mx.sym.Activation(data=fc, act_type="tanh", name="act")
    return [fc.name, act.name, summary(act), act.get_internals().list_outputs()]


# ---- attributes ----------------------------------------------------------------------------


@scenario
def attr_scope_basic(mx):
    x = mx.sym.var("x")
    with mx.AttrScope(ctx_group="dev1", lr_mult="0.1", __group__="4"):
        v = mx.sym.var("v")
        fc = mx.sym.FullyConnected(x, num_hidden=4, name="fc")
    out = mx.sym.relu(fc, name="r")
    return {
        "v": v.list_attr(),
        "fc": fc.list_attr(),
        "r": out.list_attr(),
        "x": x.list_attr(),
        "attr_dict": out.attr_dict(),
        "fc.attr": [fc.attr("ctx_group"), fc.attr("__ctx_group__"), fc.attr("lr_mult")],
        "fc.attr.more": [fc.attr("__group__"), fc.attr("num_hidden"), fc.attr("missing")],
    }


@scenario
def attr_scope_nested(mx):
    with mx.AttrScope(ctx_group="outer", a="1"):
        a = mx.sym.var("a")
        with mx.AttrScope(ctx_group="inner", b="2"):
            b = mx.sym.var("b")
            c = mx.sym.var("c", attr={"a": "own"})
        d = mx.sym.var("d")
    e = mx.sym.var("e")
    return [s.list_attr() for s in (a, b, c, d, e)]


@scenario
def attr_given_to_op(mx):
    x = mx.sym.var("x")
    fc = mx.sym.FullyConnected(
        x, num_hidden=2, name="fc", attr={"lr_mult": "2", "__mood__": "calm"}, no_bias=True
    )
    conv = mx.sym.Convolution(x, kernel=(3, 3), num_filter=4, stride=(2, 2), name="conv")
    bn = mx.sym.BatchNorm(x, fix_gamma=False, eps=1e-3, name="bn")
    return {
        "fc": fc.list_attr(),
        "conv": conv.list_attr(),
        "bn": bn.list_attr(),
        "all": mx.sym.Group([fc, conv, bn]).attr_dict(),
    }


@scenario
def attr_set(mx):
    x = mx.sym.var("x")
    y = mx.sym.relu(x, name="y")
    y._set_attr(mood="calm", lr_mult="3")
    return [y.list_attr(), y.attr("lr_mult"), y.attr("mood")]


@scenario
def attr_scope_rejects_non_strings(mx):
    def build():
        with mx.AttrScope(lr_mult=2):
            mx.sym.var("x")

    return error_of(build)


@scenario
def attr_plain_key_on_op(mx):
    # Operators parse their attributes as parameters: only __key__ and hidden keys pass.
    x = mx.sym.var("x")
    return [
        error_of(lambda: mx.sym.relu(x, attr={"mood": "calm"})),
        mx.sym.relu(x, attr={"__mood__": "calm"}, name="r").list_attr(),
    ]


@scenario
def attr_list_recursive(mx):
    return error_of(lambda: mx.sym.var("x").list_attr(recursive=True))


# ---- variables -----------------------------------------------------------------------------


@scenario
def variable_attributes(mx):
    w = mx.sym.var(
        "w",
        shape=(2, 3),
        dtype="float16",
        lr_mult=0.5,
        wd_mult=2,
        init=mx.init.Xavier(),
        stype="csr",
        attr={"mood": "calm"},
        __layout__="NC",
    )
    return [w.list_attr(), w.attr("lr_mult"), w.attr("__shape__"), summary(w)]


@scenario
def variable_dtype_flags(mx):
    names = ["float32", "float64", "float16", "uint8", "int32", "int8", "int64"]
    found = [mx.sym.var("v", dtype=name).attr("__dtype__") for name in names]
    found.append(mx.sym.var("v", dtype=np.float64).attr("__dtype__"))
    found.append(mx.sym.var("v", stype="row_sparse").attr("__storage_type__"))
    found.append(mx.sym.var("v", stype="default").attr("__storage_type__"))
    return found


@scenario
def variable_init_strings(mx):
    return [
        mx.sym.var("a", init=mx.init.Zero()).attr("__init__"),
        mx.sym.var("b", init=mx.init.Uniform(0.5)).attr("__init__"),
        mx.sym.var("c", init="zeros").attr("__init__"),
        mx.sym.var("d", shape=3).attr("__shape__"),
        mx.sym.var("e", shape=(0, 3)).attr("__shape__"),
    ]


@scenario
def variable_bad_kwargs(mx):
    return [
        error_of(lambda: mx.sym.var("x", mood="calm")),
        error_of(lambda: mx.sym.var(3)),
        error_of(lambda: mx.sym.var("x", attr={"a": 1})),
    ]


@scenario
def variable_is_its_own_output(mx):
    x = mx.sym.var("x")
    return [summary(x), x.name, x.get_internals().list_outputs(), x.get_children() is None]


# ---- arithmetic ----------------------------------------------------------------------------


@scenario
def arithmetic_node_names(mx):
    a = mx.sym.var("a")
    b = mx.sym.var("b")
    results = [
        a + b, a - b, a * b, a / b, a % b, a ** b,
        a + 1, 1 + a, a - 1, 1 - a, a * 2, 2 * a, a / 2, 2 / a, a % 2, 2 % a, a ** 2, 2 ** a,
        -a, abs(a),
        a == b, a != b, a > b, a >= b, a < b, a <= b,
        a == 1, a != 1, a > 1, a >= 1, a < 1, a <= 1, 1 < a, 1 >= a,
    ]  # fmt: skip
    group = mx.sym.Group(results)
    return {"outputs": group.list_outputs(), "ops": ops_of(group)}


@scenario
def arithmetic_scalars_recorded(mx):
    a = mx.sym.var("a")
    return [
        (a + 1).list_attr(),
        (a * 2.5).list_attr(),
        (2**a).list_attr(),
        (-a).list_attr(),
        (a > 1).list_attr(),
    ]


@scenario
def arithmetic_module_functions(mx):
    a = mx.sym.var("a")
    b = mx.sym.var("b")
    results = [
        mx.sym.pow(a, b), mx.sym.pow(a, 2), mx.sym.pow(2, a),
        mx.sym.maximum(a, b), mx.sym.maximum(a, 2), mx.sym.maximum(2, a),
        mx.sym.minimum(a, b), mx.sym.minimum(a, 2), mx.sym.minimum(2, a),
        mx.sym.hypot(a, b), mx.sym.hypot(a, 2), mx.sym.hypot(2, a),
    ]  # fmt: skip
    group = mx.sym.Group(results)
    return {
        "outputs": group.list_outputs(),
        "ops": ops_of(group),
        "numbers": [mx.sym.pow(2, 3), mx.sym.maximum(2, 3), mx.sym.minimum(2, 3)],
    }


@scenario
def arithmetic_bad_operand(mx):
    a = mx.sym.var("a")
    return [error_of(lambda: a + "x"), error_of(lambda: a + [1])]


# ---- creation helpers ----------------------------------------------------------------------


@scenario
def creation_functions(mx):
    results = [
        mx.sym.zeros((2, 3)),
        mx.sym.ones((2,), dtype="int32"),
        mx.sym.full((2, 2), 7),
        mx.sym.arange(0, 5, 2),
        mx.sym.eye(3),
        mx.sym.linspace(0, 1, 5),
    ]
    group = mx.sym.Group(results)
    return {
        "outputs": group.list_outputs(),
        "ops": ops_of(group),
        "attrs": [s.list_attr() for s in results],
        "shapes": group.infer_shape()[1],
        "types": group.infer_type()[1],
    }


# ---- structure -----------------------------------------------------------------------------


def _small_net(mx):
    data = mx.sym.var("data")
    fc = mx.sym.FullyConnected(data, num_hidden=4, name="fc1")
    bn = mx.sym.BatchNorm(fc, name="bn")
    act = mx.sym.Activation(bn, act_type="relu", name="relu")
    out = mx.sym.FullyConnected(act, num_hidden=2, name="fc2")
    return mx.sym.SoftmaxOutput(out, name="softmax")


@scenario
def structure_lists(mx):
    net = _small_net(mx)
    return summary(net)


@scenario
def structure_internals(mx):
    net = _small_net(mx)
    internals = net.get_internals()
    return {
        "outputs": internals.list_outputs(),
        "len": len(internals),
        "fc1": summary(internals["fc1_output"]),
        "by_index": summary(internals[3]),
        "bn_outputs": mx.sym.BatchNorm(mx.sym.var("x"), output_mean_var=True, name="b")
        .get_internals()
        .list_outputs(),
    }


@scenario
def structure_children(mx):
    net = _small_net(mx)
    children = net.get_children()
    grand = children[0].get_children()
    return {
        "children": children.list_outputs(),
        "grand": grand.list_outputs(),
        "bn": net.get_internals()["bn_output"].get_children().list_outputs(),
        "variable": mx.sym.var("x").get_children() is None,
        "group_of_two": mx.sym.Group([mx.sym.var("a"), mx.sym.var("b")]).get_children() is None,
    }


@scenario
def structure_indexing(mx):
    x = mx.sym.var("x")
    split = mx.sym.split(x, num_outputs=3, name="s")
    group = mx.sym.Group([split[0], split[2], x])
    return {
        "len": len(split),
        "outputs": split.list_outputs(),
        "by_int": split[1].list_outputs(),
        "by_name": split["s_output2"].list_outputs(),
        "iterate": [s.list_outputs() for s in split],
        "group": group.list_outputs(),
        "group_args": group.list_arguments(),
        "missing_name": error_of(lambda: split["nope"]),
        "out_of_range": error_of(lambda: split[3]),
        "name_of_group": split.name,
    }


@scenario
def structure_group(mx):
    a = mx.sym.var("a")
    b = mx.sym.var("b")
    c = a + b
    group = mx.sym.Group([c, a, mx.sym.relu(b, name="r")])
    nested = mx.sym.Group([group, c])
    return {
        "group": summary(group),
        "nested": summary(nested),
        "internals": group.get_internals().list_outputs(),
        "empty": error_of(lambda: mx.sym.Group([])),
        "not_symbols": error_of(lambda: mx.sym.Group([a, 1])),
    }


@scenario
def structure_hidden_outputs(mx):
    x = mx.sym.var("x")
    results = [
        mx.sym.Dropout(x, p=0.5, name="d"),
        mx.sym.BatchNorm(x, name="bn"),
        mx.sym.topk(x, k=2, ret_typ="value", name="t"),
        mx.sym.topk(x, k=2, ret_typ="both", name="tb"),
        mx.sym.sort(x, name="s"),
        mx.sym.LRN(x, nsize=3, name="lrn"),
    ]
    return [[summary(s), s.get_internals().list_outputs()] for s in results]


# ---- composition ---------------------------------------------------------------------------


@scenario
def compose_by_name_and_position(mx):
    data = mx.sym.var("data")
    net = mx.sym.FullyConnected(data, num_hidden=4, name="fc")
    net = mx.sym.Activation(net, act_type="relu", name="act")
    other = mx.sym.var("other")
    by_name = net(data=other)
    inner = mx.sym.FullyConnected(mx.sym.var("z"), num_hidden=3, name="pre")
    renamed = net(data=other, name="renamed")
    return {
        "by_name": summary(by_name),
        "by_position": error_of(lambda: net(inner)),
        "nested": summary(net(data=inner)),
        "original": summary(net),
        "renamed": [renamed.name, summary(renamed)],
    }


@scenario
def compose_weight(mx):
    data = mx.sym.var("data")
    net = mx.sym.FullyConnected(data, num_hidden=4, name="fc")
    shared = mx.sym.var("shared_weight")
    out = net(fc_weight=shared)
    return summary(out)


@scenario
def compose_errors(mx):
    a = mx.sym.var("a")
    b = mx.sym.var("b")
    net = a + b
    pair = mx.sym.Group([a, b])
    return {
        "both": error_of(lambda: net(a, b=b)),
        "non_symbol": error_of(lambda: net(a=1)),
        "group_input": error_of(lambda: net(a=pair)),
        "unknown_name": error_of(lambda: net(zzz=a)),
        "too_many": error_of(lambda: net(a, b, a)),
    }


@scenario
def compose_operator_inputs(mx):
    x = mx.sym.var("x")
    pair = mx.sym.Group([x, x])
    return {
        "group_as_input": error_of(lambda: mx.sym.relu(pair)),
        "number_as_input": error_of(lambda: mx.sym.relu(3)),
        "keyword_data": summary(mx.sym.FullyConnected(data=x, num_hidden=2, name="f")),
        "weight_given": summary(
            mx.sym.FullyConnected(x, weight=mx.sym.var("w"), num_hidden=2, name="g")
        ),
        "no_bias": summary(mx.sym.FullyConnected(x, num_hidden=2, no_bias=True, name="h")),
    }


# ---- inference -----------------------------------------------------------------------------


@scenario
def infer_shape_forward(mx):
    net = _small_net(mx)
    return net.infer_shape(data=(5, 7))


@scenario
def infer_shape_backward(mx):
    # The shape of a weight determines the shape of the data that feeds it.
    a = mx.sym.var("a")
    b = mx.sym.var("b")
    net = mx.sym.elemwise_add(a, b)
    fc = mx.sym.FullyConnected(mx.sym.var("x"), num_hidden=3, name="fc")
    return {
        "elemwise": net.infer_shape(b=(2, 3)),
        "fc_from_output_only": fc.infer_shape_partial(fc_weight=(3, 4)),
        "declared": (mx.sym.var("v", shape=(2, 2)) * mx.sym.var("w")).infer_shape(),
    }


@scenario
def infer_shape_partial(mx):
    net = _small_net(mx)
    a = mx.sym.var("a")
    b = mx.sym.var("b")
    return {
        "nothing": net.infer_shape_partial(),
        "add": (a + b).infer_shape_partial(a=(2, 0)),
    }


@scenario
def infer_shape_partial_unknown_batch(mx):
    return _small_net(mx).infer_shape_partial(data=(0, 7))


@scenario
def infer_shape_incomplete(mx):
    a = mx.sym.var("a")
    b = mx.sym.var("b")
    return mx.sym.dot(a, b).infer_shape(a=(2, 3))


@scenario
def infer_shape_incomplete_partial_dims(mx):
    net = _small_net(mx)
    return net.infer_shape(data=(0, 7))


@scenario
def infer_shape_errors(mx):
    a = mx.sym.var("a")
    b = mx.sym.var("b")
    fc = mx.sym.FullyConnected(a, num_hidden=3, name="fc")
    return {
        "mismatch": error_of(lambda: (a + b).infer_shape(a=(2, 3), b=(3, 2))),
        "weight": error_of(lambda: fc.infer_shape(a=(2, 5), fc_weight=(3, 4))),
        "unknown_input": error_of(lambda: fc.infer_shape(zzz=(2, 5))),
    }


@scenario
def infer_shape_given_beats_declared(mx):
    return mx.sym.var("v", shape=(2,)).infer_shape(v=(3,))


@scenario
def infer_type_basic(mx):
    net = _small_net(mx)
    a = mx.sym.var("a")
    return {
        "float64": net.infer_type(data="float64"),
        "cast": mx.sym.Cast(a, dtype="int32").infer_type(a="float32"),
        "declared": (mx.sym.var("v", dtype="float16") + a).infer_type(),
        "nothing": (a + mx.sym.var("b")).infer_type(),
        "partial": (a + mx.sym.var("b")).infer_type_partial(),
        "argmax": mx.sym.argmax(a, axis=1).infer_type(a="float64"),
    }


@scenario
def infer_type_errors(mx):
    a = mx.sym.var("a")
    b = mx.sym.var("b")
    return error_of(lambda: (a + b).infer_type(a="float32", b="float64"))


# ---- text and copies -----------------------------------------------------------------------


@scenario
def debug_str_text(mx):
    x = mx.sym.var("x")
    with mx.AttrScope(ctx_group="dev1"):
        fc = mx.sym.FullyConnected(x, num_hidden=4, name="fc")
    bn = mx.sym.BatchNorm(fc, name="bn")
    out = (bn + 1) * x
    return out.debug_str()


@scenario
def debug_str_group(mx):
    a = mx.sym.var("a")
    split = mx.sym.split(a, num_outputs=2, name="s")
    return mx.sym.Group([split[1], a]).debug_str()


@scenario
def copy_and_deepcopy(mx):
    import copy

    x = mx.sym.var("x")
    net = mx.sym.FullyConnected(x, num_hidden=4, name="fc", attr={"__mood__": "calm"})
    copied = net.__copy__()
    deep = copy.deepcopy(net)
    composed = copied(x=mx.sym.var("y"))
    return {
        "copies": [summary(s) for s in (copied, deep)],
        "attrs": [s.attr_dict() for s in (copied, deep)],
        "copy_method": error_of(net.copy),
        "composed": summary(composed),
        "original_untouched": summary(net),
    }


@scenario
def repr_text(mx):
    x = mx.sym.var("x")
    net = mx.sym.FullyConnected(x, num_hidden=4, name="fc")
    group = mx.sym.Group([net, x])
    return [repr(x), repr(net), repr(group)]


@scenario
def fluent_methods(mx):
    x = mx.sym.var("x")
    results = [
        x.reshape((2, 3)),
        x.reshape(shape=(3, -1)),
        x.astype("float16"),
        x.sum(axis=1),
        x.mean(),
        x.transpose(),
        x.expand_dims(axis=0),
        x.flatten(),
        x.softmax(),
        x.relu(),
        x.exp(),
        x.clip(0, 1),
        x.slice_axis(axis=0, begin=0, end=1),
        x.split(num_outputs=2)[0],
        x.zeros_like(),
        x.one_hot(3),
        x.topk(k=1),
    ]
    group = mx.sym.Group(results)
    return {"outputs": group.list_outputs(), "ops": ops_of(group)}


# ---- mx.sym.random and helpers -------------------------------------------------------------


@scenario
def random_functions(mx):
    r = mx.sym.random
    mu = mx.sym.var("mu")
    sd = mx.sym.var("sd")
    results = [
        r.uniform(0, 1, shape=(2,)),
        r.uniform(mu, sd, shape=(2,)),
        r.normal(),
        r.normal(mu, sd),
        r.randn(2, 3, loc=1),
        r.exponential(2),
        r.exponential(mu),
        r.gamma(mu, sd),
        r.gamma(2, 3, shape=(4,), dtype="float64"),
        r.poisson(mu),
        r.poisson(2.5),
        r.negative_binomial(3, 0.5),
        r.negative_binomial(mu, sd),
        r.generalized_negative_binomial(mu, sd),
        r.generalized_negative_binomial(1.5, 0.5),
        r.multinomial(mu, get_prob=True),
        r.multinomial(mu, shape=(3,), get_prob=False),
        r.shuffle(mu),
        r.randint(0, 5, shape=(2,)),
        r.uniform_like(mu),
        r.normal_like(mu, loc=1.0),
        r.exponential_like(mu),
        r.gamma_like(mu),
        r.poisson_like(mu),
        r.negative_binomial_like(mu),
        r.generalized_negative_binomial_like(mu),
    ]
    return {
        "lists": [summary(s) for s in results],
        "attrs": [s.attr_dict() for s in results],
        "mixed": error_of(lambda: r.uniform(mu, 1)),
        "strings": error_of(lambda: r.uniform("a", 1)),
        "shapes": r.uniform(0, 1, shape=(2, 3)).infer_shape()[1],
        "sample_shapes": r.normal(mu, sd, shape=(3,)).infer_shape(mu=(2,), sd=(2,))[1],
    }


@scenario
def split_v2_and_histogram(mx):
    a = mx.sym.var("a")
    parts = mx.sym.split_v2(a, (1, 3), axis=1)
    equal = mx.sym.split_v2(a, 2)
    counts = mx.sym.histogram(a, bins=3, range=(0, 1))
    edges = mx.sym.histogram(a, bins=mx.sym.var("b"))
    return {
        "parts": [summary(parts), parts.infer_shape(a=(2, 5))[1]],
        "equal": [summary(equal), equal.infer_shape(a=(4, 3))[1]],
        "counts": [summary(counts), counts.list_attr()],
        "edges": summary(edges),
        "no_range": error_of(lambda: mx.sym.histogram(a, bins=3)),
        "bad_split": error_of(lambda: mx.sym.split_v2(a, [1, 2])),
    }
