"""Graph passes: dead nodes, common subexpressions, constant folding, and ``optimize``."""

import numpy as np
import pytest

import neomx as mx
from neomx.graph.node import Node, topo_order
from neomx.graph.passes import (
    eliminate_common_subexpressions,
    eliminate_dead_nodes,
    fold_constants,
    optimize,
)
from neomx.ops import lookup
from neomx.ops.invoke import invoke_all
from neomx.symbol.symbol import Symbol

SHAPE = (2, 3)


def evaluate(entries, feed, constants=None):
    """A tiny interpreter: run each node's registry operator in topological order."""
    constants = constants or {}
    values = {}
    with mx.autograd.pause():
        for node in topo_order(entries):
            if node.op is None:
                value = constants[node] if node in constants else mx.nd.array(feed[node.name])
                values[id(node)] = [value]
            else:
                arrays = [values[id(src)][index] for src, index in node.inputs]
                values[id(node)] = invoke_all(node.op, arrays, node.p)
    return [values[id(node)][index].asnumpy() for node, index in entries]


def feed_for(*names, seed=0):
    rng = np.random.default_rng(seed)
    return {name: rng.uniform(-1, 1, SHAPE).astype("float32") for name in names}


def snapshot(entries):
    """What a pass must not change: every node's inputs, attributes and parameters."""
    return [
        (node, list(node.inputs), dict(node.attrs), node.p, list(node.subgraphs))
        for node in topo_order(entries)
    ]


def assert_same_values(before, after, feed, constants=None):
    for got, want in zip(evaluate(after, feed, constants), evaluate(before, feed)):
        np.testing.assert_array_equal(got, want)


def names(entries):
    return [node.name for node in topo_order(entries)]


def ops(entries):
    return [node.op.name if node.op else None for node in topo_order(entries)]


# ---- dead nodes -------------------------------------------------------------------------


def test_dead_node_elimination_keeps_what_the_outputs_reach():
    x = mx.sym.var("x")
    hidden = mx.sym.exp(x, name="hidden")
    y = mx.sym.relu(hidden, name="y")
    mx.sym.sigmoid(hidden, name="unused")  # built, never an output
    entries = y._outputs
    result = eliminate_dead_nodes(entries)
    assert result == entries and result is not entries
    assert names(result) == ["x", "hidden", "y"]
    assert all(a is b for a, b in zip(topo_order(result), topo_order(entries)))


def test_dead_node_elimination_keeps_only_used_outputs_of_a_group():
    x = mx.sym.var("x")
    group = mx.sym.Group([mx.sym.exp(x, name="a"), mx.sym.relu(x, name="b")])
    result = eliminate_dead_nodes(group[1]._outputs)
    assert names(result) == ["x", "b"]


# ---- common subexpressions --------------------------------------------------------------


def test_cse_merges_repeats_and_keeps_the_first_name():
    x = mx.sym.var("x")
    y = mx.sym.elemwise_add(mx.sym.relu(x, name="first"), mx.sym.relu(x, name="second"), name="s")
    before = snapshot(y._outputs)
    result = eliminate_common_subexpressions(y._outputs)
    assert names(result) == ["x", "first", "s"]
    add = result[0][0]
    assert add.inputs[0] == add.inputs[1]
    assert topo_order(result)[0] is topo_order(y._outputs)[0]  # the variable is shared
    assert snapshot(y._outputs) == before  # the input graph is untouched
    assert_same_values(y._outputs, result, feed_for("x"))


def test_cse_merges_chains_transitively():
    x = mx.sym.var("x")
    w = mx.sym.var("w")

    def branch(tag):
        return mx.sym.exp(mx.sym.elemwise_mul(x, w, name=f"mul_{tag}"), name=f"exp_{tag}")

    y = mx.sym.elemwise_sub(branch("a"), branch("b"), name="out")
    result = eliminate_common_subexpressions(y._outputs)
    assert names(result) == ["x", "w", "mul_a", "exp_a", "out"]
    assert_same_values(y._outputs, result, feed_for("x", "w"))


def test_cse_compares_parameters_as_values():
    x = mx.sym.var("x")
    one = mx.sym.sum(x, axis=1, name="one")
    tuple_one = mx.sym.sum(x, axis=(1,), name="tuple_one")
    zero = mx.sym.sum(x, axis=0, name="zero")
    group = mx.sym.Group([one + tuple_one, zero])
    result = eliminate_common_subexpressions(group._outputs)
    assert [n for n in names(result) if n in ("one", "tuple_one", "zero")] == ["one", "zero"]
    assert_same_values(group._outputs, result, feed_for("x"))


def test_cse_keeps_nodes_with_different_parameters_or_attributes():
    x = mx.sym.var("x")
    a = mx.sym.clip(x, a_min=0.0, a_max=1.0, name="a")
    b = mx.sym.clip(x, a_min=0.0, a_max=2.0, name="b")
    c = mx.sym.relu(x, name="c", attr={"ctx_group": "dev1"})
    d = mx.sym.relu(x, name="d", attr={"ctx_group": "dev2"})
    e = mx.sym.relu(x, name="e", attr={"ctx_group": "dev2"})
    group = mx.sym.Group([a, b, c, d, e])
    result = eliminate_common_subexpressions(group._outputs)
    # e merges into d; the merged output is then a distinct copy of d's.
    assert names(result) == ["x", "a", "b", "c", "d", "d_0_copy"]


def test_cse_keeps_zero_and_negative_zero_apart():
    x = mx.sym.var("x")
    group = mx.sym.Group([x * 0.0, x * -0.0])
    result = eliminate_common_subexpressions(group._outputs)
    assert ops(result).count("_mul_scalar") == 2


def test_cse_merges_multi_output_nodes_entry_by_entry():
    x = mx.sym.var("x")
    first = mx.sym.split(x, num_outputs=3, axis=1, name="first")
    second = mx.sym.split(x, num_outputs=3, axis=1, name="second")
    y = mx.sym.elemwise_add(first[0], second[2], name="y")
    result = eliminate_common_subexpressions(y._outputs)
    assert names(result) == ["x", "first", "y"]
    assert [index for _, index in result[0][0].inputs] == [0, 2]
    assert_same_values(y._outputs, result, feed_for("x"))


@pytest.mark.parametrize(
    "make",
    [
        lambda x: mx.sym.random_uniform(shape=SHAPE),
        lambda x: mx.sym.Dropout(x, p=0.5),
        lambda x: mx.sym.random_normal(shape=SHAPE) + x,
    ],
    ids=["random-creation", "dropout", "random-then-add"],
)
def test_cse_never_merges_random_operators(make):
    x = mx.sym.var("x")
    group = mx.sym.Group([make(x), make(x)])
    result = eliminate_common_subexpressions(group._outputs)
    assert len(topo_order(result)) == len(topo_order(group._outputs))
    assert result == group._outputs


def test_cse_never_merges_operators_that_write_their_inputs():
    weight, grad, mom = (mx.sym.var(n) for n in ("weight", "grad", "mom"))
    group = mx.sym.Group(
        [
            mx.sym.sgd_mom_update(weight, grad, mom, lr=0.1, name="u1"),
            mx.sym.sgd_mom_update(weight, grad, mom, lr=0.1, name="u2"),
        ]
    )
    result = eliminate_common_subexpressions(group._outputs)
    assert names(result) == ["weight", "grad", "mom", "u1", "u2"]


def test_cse_never_merges_operators_with_auxiliary_state():
    x = mx.sym.var("x")
    gamma, beta, mean, var = (mx.sym.var(n) for n in ("gamma", "beta", "mean", "var"))
    group = mx.sym.Group(
        [mx.sym.BatchNorm(x, gamma, beta, mean, var, name=f"bn{i}") for i in range(2)]
    )
    result = eliminate_common_subexpressions(group._outputs)
    assert [n for n in names(result) if n.startswith("bn")] == ["bn0", "bn1"]


def test_cse_never_merges_variables_or_nodes_with_subgraphs():
    first, second = mx.sym.var("x"), mx.sym.var("x")
    relu = lookup("relu")
    p = relu.params.parse("relu", {})
    body = mx.sym.var("body")
    looped = [Node(relu, f"loop{i}", {}, p, [first._outputs[0]], [body]) for i in range(2)]
    group = mx.sym.Group([first, second] + [Symbol([(node, 0)]) for node in looped])
    result = eliminate_common_subexpressions(group._outputs)
    assert names(result) == ["x", "x", "loop0", "loop1"]


def test_cse_gives_repeated_outputs_their_own_copies():
    x = mx.sym.var("x")
    a = mx.sym.relu(x, name="a")
    group = mx.sym.Group([a, mx.sym.relu(x, name="b"), mx.sym.relu(x, name="c"), a + a])
    result = eliminate_common_subexpressions(group._outputs)
    # MXNet 1.9.1 (MXNET_ELIMINATE_COMMON_EXPR): output[1]=a_0_copy, output[2]=a_1_copy.
    assert [node.name for node, _ in result[:3]] == ["a", "a_0_copy", "a_1_copy"]
    assert [node.op.name for node, _ in result[1:3]] == ["_copy", "_copy"]
    assert len({(id(node), index) for node, index in result}) == 4
    assert_same_values(group._outputs, result, feed_for("x"))


def test_cse_leaves_a_graph_without_repeats_as_it_is():
    x = mx.sym.var("x")
    y = mx.sym.exp(mx.sym.relu(x)) + x
    result = eliminate_common_subexpressions(y._outputs)
    assert all(a is b for a, b in zip(topo_order(result), topo_order(y._outputs)))


# ---- constant folding ---------------------------------------------------------------------


def test_fold_constants_evaluates_the_variable_free_part_once():
    x = mx.sym.var("x")
    constant = mx.sym.ones(SHAPE, name="ones") * 2 + mx.sym.arange(6, name="ar").reshape(SHAPE)
    y = mx.sym.elemwise_mul(x, constant, name="y")
    before = snapshot(y._outputs)
    result, constants = fold_constants(y._outputs)
    assert len(constants) == 1
    ((variable, value),) = constants.items()
    assert variable.op is None and variable.name.endswith("_0_const")
    np.testing.assert_array_equal(value.asnumpy(), 2 + np.arange(6).reshape(SHAPE))
    assert variable.attrs["__shape__"] == str(SHAPE)
    assert [n.op is None for n in topo_order(result)] == [True, True, False]
    assert topo_order(result)[0] is topo_order(y._outputs)[0]  # x is shared
    assert snapshot(y._outputs) == before
    assert_same_values(y._outputs, result, feed_for("x"), constants)
    assert Symbol(result).infer_shape(x=SHAPE)[1] == [SHAPE]


def test_fold_constants_folds_only_where_constants_meet_variables():
    x = mx.sym.var("x")
    shared = mx.sym.exp(mx.sym.ones(SHAPE, name="ones"), name="shared")
    y = mx.sym.Group([x + shared, x - shared])
    result, constants = fold_constants(y._outputs)
    assert [v.name for v in constants] == ["shared_0_const"]
    assert "ones" not in names(result)
    assert_same_values(y._outputs, result, feed_for("x"), constants)


def test_fold_constants_folds_constant_outputs():
    y = mx.sym.Group([mx.sym.ones(SHAPE, name="o") * 3, mx.sym.var("x")])
    result, constants = fold_constants(y._outputs)
    variable = result[0][0]
    assert variable in constants and variable.op is None
    np.testing.assert_array_equal(constants[variable].asnumpy(), np.full(SHAPE, 3.0))
    assert result[1] == y._outputs[1]


def test_fold_constants_keeps_multi_output_entries_apart():
    x = mx.sym.var("x", shape=(2, 2))
    parts = mx.sym.split(mx.sym.arange(4).reshape((2, 2)), num_outputs=2, axis=1, name="parts")
    y = mx.sym.broadcast_add(x, parts[1], name="y")
    result, constants = fold_constants(y._outputs)
    assert [v.name for v in constants] == ["parts_1_const"]
    np.testing.assert_array_equal(list(constants.values())[0].asnumpy(), [[1.0], [3.0]])


@pytest.mark.parametrize(
    "make",
    [
        lambda: mx.sym.random_uniform(shape=SHAPE) * 2,
        lambda: mx.sym.Dropout(mx.sym.ones(SHAPE), p=0.5),
    ],
    ids=["random", "dropout"],
)
def test_fold_constants_never_folds_random_or_training_dependent_values(make):
    x = mx.sym.var("x")
    y = x + make()
    result, constants = fold_constants(y._outputs)
    assert not any(v.name.startswith("_random") for v in constants)
    assert all("random" not in v.name and "dropout" not in v.name for v in constants)
    random_nodes = [n for n in topo_order(result) if n.op is not None and n.op.runtime]
    assert len(random_nodes) == 1


def test_fold_constants_without_constants_returns_the_graph():
    x = mx.sym.var("x")
    y = mx.sym.exp(x) * 2
    result, constants = fold_constants(y._outputs)
    assert constants == {} and result == y._outputs


def test_fold_constants_keeps_user_attributes_and_unique_names():
    x = mx.sym.var("m_0_const")
    with mx.AttrScope(ctx_group="dev1"):
        constant = mx.sym.ones(SHAPE, name="o") * 2
    constant = mx.sym.identity(constant, name="m")
    y = x + constant
    result, constants = fold_constants(y._outputs)
    (variable,) = constants
    assert variable.name == "m_0_const1"
    y2 = mx.sym.var("z") + mx.sym.exp(mx.sym.ones(SHAPE), name="e", attr={"ctx_group": "dev1"})
    _, constants = fold_constants(y2._outputs)
    assert list(constants)[0].attrs["__ctx_group__"] == "dev1"


def test_fold_constants_puts_values_on_the_given_context():
    y = mx.sym.var("x") + mx.sym.ones(SHAPE)
    _, constants = fold_constants(y._outputs, ctx=mx.cpu(1))
    assert [v.context for v in constants.values()] == [mx.cpu(1)]


def test_fold_constants_records_nothing_on_the_tape():
    y = mx.sym.var("x") + mx.sym.ones(SHAPE) * 2
    with mx.autograd.record():
        _, constants = fold_constants(y._outputs)
    (value,) = constants.values()
    with pytest.raises(mx.base.MXNetError):
        value.backward()


# ---- optimize -----------------------------------------------------------------------------


def test_optimize_is_dead_nodes_then_cse():
    x = mx.sym.var("x")
    y = mx.sym.elemwise_mul(mx.sym.exp(x, name="e1"), mx.sym.exp(x, name="e2"), name="y")
    result = optimize(y._outputs)
    assert names(result) == ["x", "e1", "y"]
    assert_same_values(y._outputs, result, feed_for("x"))
