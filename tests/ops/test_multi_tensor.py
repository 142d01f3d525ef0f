"""What the case tables cannot show of the multi-tensor operators: reset_arrays writing its
inputs (in engine order) and all_finite's init_output=False carrying a flag through out=."""

import numpy as np
import pytest

import neomx as mx


def test_reset_arrays_zeroes_its_inputs(ctx, engine_type):
    first = mx.nd.array([1, 2, 3], ctx=ctx)
    second = mx.nd.array([[4, 5]], ctx=ctx, dtype="float16")
    assert mx.nd.reset_arrays(first, second, num_arrays=2) == []
    np.testing.assert_array_equal(first.asnumpy(), np.zeros(3, np.float32))
    np.testing.assert_array_equal(second.asnumpy(), np.zeros((1, 2), np.float16))


def test_reset_arrays_runs_after_earlier_reads_and_before_later_ones(ctx, engine_type):
    weights = mx.nd.array([1.0, 2.0], ctx=ctx)
    doubled = weights * 2
    mx.nd.reset_arrays(weights, num_arrays=1)
    plus_one = weights + 1
    np.testing.assert_array_equal(doubled.asnumpy(), [2.0, 4.0])
    np.testing.assert_array_equal(plus_one.asnumpy(), [1.0, 1.0])


def test_reset_arrays_of_a_view_writes_the_base(ctx):
    base = mx.nd.ones((2, 3), ctx=ctx)
    mx.nd.reset_arrays(base[1], num_arrays=1)
    np.testing.assert_array_equal(base.asnumpy(), [[1, 1, 1], [0, 0, 0]])


@pytest.mark.parametrize("op", ["all_finite", "multi_all_finite"])
def test_init_output_false_only_lowers_the_flag(op, ctx, engine_type):
    check = getattr(mx.nd, op)
    flag = mx.nd.array([1.0], ctx=ctx)
    finite = mx.nd.array([1.0, 2.0], ctx=ctx)
    infinite = mx.nd.array([np.inf], ctx=ctx)
    check(finite, init_output=False, out=flag)
    assert flag.asnumpy()[0] == 1.0
    check(infinite, init_output=False, out=flag)
    assert flag.asnumpy()[0] == 0.0
    check(finite, init_output=False, out=flag)
    assert flag.asnumpy()[0] == 0.0
    check(finite, out=flag)
    assert flag.asnumpy()[0] == 1.0


def test_multi_all_finite_over_a_gradient_list(ctx):
    grads = [mx.nd.ones((2, 2), ctx=ctx), mx.nd.array([1.0, np.nan], ctx=ctx)]
    flag = mx.nd.multi_all_finite(*grads, num_arrays=2)
    assert flag.dtype == np.float32 and flag.shape == (1,)
    assert flag.asnumpy()[0] == 0.0
