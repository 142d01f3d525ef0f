"""Model-parallel placement: contexts from ctx_group/group2ctx and copies at device boundaries.

The expected placements are what MXNet 1.9.1 gives for the same graphs (simple_bind with
group2ctx, read back from its debug_str and arg_arrays).
"""

import numpy as np
import pytest

import neomx as mx
from neomx.base import MXNetError
from neomx.graph.node import topo_order
from neomx.graph.placement import place
from neomx.ops import lookup
from neomx.ops.device_copy import transfer
from neomx.ops.invoke import invoke_all
from neomx.symbol.symbol import Symbol

SHAPE = (2, 3)
GROUPS = {"dev1": mx.cpu(1), "dev2": mx.cpu(2)}
DEFAULT = mx.cpu(0)


def evaluate(entries, feed, placement=None):
    """Run the graph node by node, each on its device: an operator whose inputs sit on
    different devices raises, so this also checks that copies sit where devices meet."""
    values = {}
    with mx.autograd.pause():
        for node in topo_order(entries):
            ctx = placement[node] if placement else DEFAULT
            if node.op is None:
                values[id(node)] = [mx.nd.array(feed[node.name], ctx=ctx)]
                continue
            arrays = [values[id(src)][index] for src, index in node.inputs]
            if node.op.name == "_CrossDeviceCopy":
                values[id(node)] = [arrays[0].as_in_context(ctx)]
                continue
            assert all(a.context == ctx for a in arrays), node
            with ctx:
                outs = invoke_all(node.op, arrays, node.p)
            assert all(o.context == ctx for o in outs), node
            values[id(node)] = outs
    return [values[id(node)][index] for node, index in entries]


def feed_for(entries, seed=0, **shapes):
    """Random values for the variables: SHAPE, or what inference gives from ``shapes``."""
    rng = np.random.default_rng(seed)
    symbol = Symbol(entries)
    names = symbol.list_arguments()
    known = symbol.infer_shape(**shapes)[0] if shapes else [SHAPE] * len(names)
    return {name: rng.uniform(-1, 1, shape).astype("float32") for name, shape in zip(names, known)}


def layout(entries, placement):
    """(name, op, device, input names) of every node, in topological order."""
    return [
        (
            node.name,
            node.op.name if node.op else None,
            str(placement[node]),
            [src.name for src, _ in node.inputs],
        )
        for node in topo_order(entries)
    ]


def check_values(entries, placed, placement, **shapes):
    feed = feed_for(entries, **shapes)
    want = evaluate(entries, feed)
    got = evaluate(placed, feed, placement)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g.asnumpy(), w.asnumpy())
    return got


def snapshot(entries):
    return [(node, list(node.inputs), dict(node.attrs)) for node in topo_order(entries)]


def test_two_groups_copy_once_at_the_boundary():
    with mx.AttrScope(ctx_group="dev1"):
        a = mx.sym.var("a")
        b = mx.sym.var("b")
        c = mx.sym.elemwise_add(a, b, name="c")
    with mx.AttrScope(ctx_group="dev2"):
        d = mx.sym.FullyConnected(c, num_hidden=4, name="fc")
    y = d * 2
    entries = y._outputs
    before = snapshot(entries)
    placed, placement = place(entries, GROUPS, DEFAULT)
    name = y.name
    assert layout(placed, placement) == [
        ("a", None, "cpu(1)", []),
        ("b", None, "cpu(1)", []),
        ("c", "elemwise_add", "cpu(1)", ["a", "b"]),
        ("c_0_copy", "_CrossDeviceCopy", "cpu(2)", ["c"]),
        ("fc_weight", None, "cpu(2)", []),
        ("fc_bias", None, "cpu(2)", []),
        ("fc", "FullyConnected", "cpu(2)", ["c_0_copy", "fc_weight", "fc_bias"]),
        # MXNet: an ungrouped node runs where its first input runs.
        (name, "_mul_scalar", "cpu(2)", ["fc"]),
    ]
    assert set(placement) == set(topo_order(placed))
    copy = placed[0][0].inputs[0][0].inputs[0][0]
    assert (copy.p.ctx, copy.p.src_ctx) == (mx.cpu(2), mx.cpu(1))
    assert snapshot(entries) == before
    # Variables keep their identity; so do nodes whose inputs did not change.
    old, new = topo_order(entries), topo_order(placed)
    assert new[0] is old[0] and new[2] is old[2]
    (out,) = check_values(entries, placed, placement, a=SHAPE, b=SHAPE)
    assert out.context == mx.cpu(2)


def test_ungrouped_nodes_follow_their_first_input_and_variables_the_default():
    x = mx.sym.var("x")
    with mx.AttrScope(ctx_group="dev1"):
        h1 = mx.sym.relu(mx.sym.var("a"), name="h1")
    with mx.AttrScope(ctx_group="dev2"):
        h2 = mx.sym.sigmoid(x, name="h2")
    m = mx.sym.elemwise_add(h2, h1, name="m")
    m2 = mx.sym.elemwise_add(h1, h2, name="m2")
    entries = mx.sym.Group([m, m2])._outputs
    placed, placement = place(entries, GROUPS, DEFAULT)
    assert layout(placed, placement) == [
        ("x", None, "cpu(0)", []),
        ("x_0_copy", "_CrossDeviceCopy", "cpu(2)", ["x"]),
        ("h2", "sigmoid", "cpu(2)", ["x_0_copy"]),
        ("a", None, "cpu(1)", []),
        ("h1", "relu", "cpu(1)", ["a"]),
        ("h1_0_copy", "_CrossDeviceCopy", "cpu(2)", ["h1"]),
        ("m", "elemwise_add", "cpu(2)", ["h2", "h1_0_copy"]),
        ("h2_0_copy", "_CrossDeviceCopy", "cpu(1)", ["h2"]),
        ("m2", "elemwise_add", "cpu(1)", ["h1", "h2_0_copy"]),
    ]
    outs = check_values(entries, placed, placement)
    assert [o.context for o in outs] == [mx.cpu(2), mx.cpu(1)]


def test_sources_follow_their_last_consumer_and_copies_are_shared():
    ones = mx.sym.ones(SHAPE, name="o")
    with mx.AttrScope(ctx_group="dev1"):
        p1 = mx.sym.elemwise_add(mx.sym.var("a"), ones, name="p1")
    with mx.AttrScope(ctx_group="dev2"):
        p2 = mx.sym.elemwise_mul(p1, p1, name="p2")
        p3 = mx.sym.elemwise_sub(p1, ones, name="p3")
    entries = mx.sym.Group([p2, p3])._outputs
    placed, placement = place(entries, GROUPS, DEFAULT)
    assert layout(placed, placement) == [
        ("a", None, "cpu(1)", []),
        ("o", "_ones", "cpu(2)", []),
        ("o_0_copy", "_CrossDeviceCopy", "cpu(1)", ["o"]),
        ("p1", "elemwise_add", "cpu(1)", ["a", "o_0_copy"]),
        ("p1_0_copy", "_CrossDeviceCopy", "cpu(2)", ["p1"]),
        ("p2", "elemwise_mul", "cpu(2)", ["p1_0_copy", "p1_0_copy"]),
        ("p3", "elemwise_sub", "cpu(2)", ["p1_0_copy", "o"]),
    ]
    check_values(entries, placed, placement)


def test_an_entry_read_on_two_other_devices_gets_one_copy_each():
    with mx.AttrScope(ctx_group="dev1"):
        h = mx.sym.exp(mx.sym.var("x"), name="h")
    y1 = mx.sym.relu(h, name="y1", attr={"ctx_group": "dev2"})
    y2 = mx.sym.sigmoid(h, name="y2", attr={"ctx_group": "dev3"})
    y3 = mx.sym.negative(h, name="y3", attr={"ctx_group": "dev2"})
    entries = mx.sym.Group([y1, y2, y3])._outputs
    groups = {**GROUPS, "dev3": mx.cpu(3)}
    placed, placement = place(entries, groups, DEFAULT)
    copies = [n for n in topo_order(placed) if n.op is not None and n.op.name == "_CrossDeviceCopy"]
    assert sorted(str(placement[c]) for c in copies) == ["cpu(2)", "cpu(3)"]
    assert placed[0][0].inputs[0][0] is placed[2][0].inputs[0][0]
    check_values(entries, placed, placement)


def test_multi_output_entries_are_copied_by_index():
    with mx.AttrScope(ctx_group="dev1"):
        parts = mx.sym.split(mx.sym.var("x"), num_outputs=3, axis=1, name="parts")
    with mx.AttrScope(ctx_group="dev2"):
        y = mx.sym.elemwise_add(parts[2], parts[0], name="y")
    placed, placement = place(y._outputs, GROUPS, DEFAULT)
    sources = [(c.name, c.inputs[0][1]) for c, _ in placed[0][0].inputs]
    assert sources == [("parts_2_copy", 2), ("parts_0_copy", 0)]
    check_values(y._outputs, placed, placement)


def test_without_group2ctx_everything_runs_on_the_default_context():
    with mx.AttrScope(ctx_group="dev1"):
        h = mx.sym.relu(mx.sym.var("a"), name="h")
    y = h * 2
    for groups in (None, {}):
        placed, placement = place(y._outputs, groups, mx.cpu(5))
        assert placed == y._outputs
        assert set(placement.values()) == {mx.cpu(5)}


def test_a_group_missing_from_group2ctx_is_an_error():
    with mx.AttrScope(ctx_group="dev9"):
        y = mx.sym.relu(mx.sym.var("z"), name="r")
    with pytest.raises(MXNetError, match="'z'.*dev9"):
        place(y._outputs, GROUPS, DEFAULT)


def test_fixed_nodes_stay_where_bind_put_their_arrays():
    b = mx.sym.var("b")
    with mx.AttrScope(ctx_group="dev1"):
        f = mx.sym.elemwise_add(b, b, name="f")
    placed, placement = place(
        f._outputs, {"dev1": mx.cpu(1)}, DEFAULT, fixed={b._outputs[0][0]: mx.cpu(3)}
    )
    # MXNet bind: one b_0_copy feeds both inputs of f.
    assert layout(placed, placement) == [
        ("b", None, "cpu(3)", []),
        ("b_0_copy", "_CrossDeviceCopy", "cpu(1)", ["b"]),
        ("f", "elemwise_add", "cpu(1)", ["b_0_copy", "b_0_copy"]),
    ]


def test_placing_a_placed_graph_changes_nothing():
    with mx.AttrScope(ctx_group="dev1"):
        h = mx.sym.relu(mx.sym.var("a"), name="h")
    y = mx.sym.exp(h, name="y", attr={"ctx_group": "dev2"})
    placed, placement = place(y._outputs, GROUPS, DEFAULT)
    again, placement_again = place(placed, GROUPS, DEFAULT)
    assert again == placed and placement_again == placement
    # A copy's own ``ctx`` pins it even without group2ctx.
    _, pinned = place(placed, None, DEFAULT)
    copy = placed[0][0].inputs[0][0]
    assert pinned[copy] == mx.cpu(2)


def test_the_gradient_of_a_copy_is_placed_on_the_copy_source():
    with mx.AttrScope(ctx_group="dev1"):
        h = mx.sym.relu(mx.sym.var("a"), name="h")
    y = mx.sym.exp(h, name="y", attr={"ctx_group": "dev2"})
    placed, placement = place(y._outputs, GROUPS, DEFAULT)
    copy = placed[0][0].inputs[0][0]
    dy = mx.sym.var("dy")
    op = copy.op
    (dx,) = op.gradient(copy.p, mx.sym, [None], [None], (dy,))
    back = dx._outputs[0][0]
    assert (back.op.name, back.p.ctx, back.p.src_ctx) == ("_CrossDeviceCopy", mx.cpu(1), mx.cpu(2))
    # Placing forward and backward together, the forward placement fixed.
    dx_relu = mx.sym.elemwise_mul(dx, mx.sym.var("mask"), name="relu_grad")
    fixed = {**placement, dy._outputs[0][0]: mx.cpu(2)}
    entries = placed + dx_relu._outputs
    both, where = place(entries, GROUPS, DEFAULT, fixed=fixed)
    assert where[both[1][0].inputs[0][0]] == mx.cpu(1)
    assert where[both[1][0]] == mx.cpu(1)
    # Only the ungrouped variable "mask" (default context) needs a new copy.
    new_copies = [
        n.name
        for n in topo_order(both)
        if n.op is not None
        and n.op.name == "_CrossDeviceCopy"
        and n not in placement
        and n is not back
    ]
    assert new_copies == ["mask_0_copy"]


def test_cross_device_copy_runs_into_out_and_imperatively():
    data = np.arange(6, dtype=np.float32).reshape(SHAPE)
    out = np.zeros(SHAPE, dtype=np.float32)
    assert transfer(data, out) is out
    np.testing.assert_array_equal(out, data)
    op = lookup("_CrossDeviceCopy")
    p = op.params.parse(op.name, {"ctx": "cpu(1)", "src_ctx": "cpu(0)"})
    result = op.forward(np, p, data)
    assert result is not data
    np.testing.assert_array_equal(result, data)
    x = mx.nd.array(data, ctx=mx.cpu(1))
    np.testing.assert_array_equal(mx.nd._internal._CrossDeviceCopy(x).asnumpy(), data)
