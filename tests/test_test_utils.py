"""mx.test_utils: MXNet's tolerances, comparisons, random helpers, environment, numeric
gradient checks."""

import os

import numpy as np
import pytest

import neomx as mx
from neomx.base import MXNetNotImplementedError, MXNetTypeError, MXNetValueError
from neomx.ops.registry import Op
from neomx.test_utils import (
    almost_equal,
    assert_almost_equal,
    assert_exception,
    check_numeric_gradient,
    default_atols,
    default_context,
    default_rtols,
    environment,
    get_tols,
    rand_ndarray,
    rand_shape_2d,
    rand_shape_3d,
    rand_shape_nd,
    same,
    set_default_context,
)


def test_default_tolerances_are_mxnets():
    rtols, atols = default_rtols(), default_atols()
    assert rtols[np.dtype("float16")] == 1e-2 and atols[np.dtype("float16")] == 1e-1
    assert rtols[np.dtype("float32")] == 1e-4 and atols[np.dtype("float32")] == 1e-3
    assert rtols[np.dtype("float64")] == 1e-5 and atols[np.dtype("float64")] == 1e-20
    assert rtols[np.dtype("int32")] == 0 and atols[np.dtype("uint8")] == 0


def test_tolerances_take_the_looser_dtype_unless_given():
    half, single = np.ones(2, "float16"), np.ones(2, "float32")
    assert get_tols(half, single, None, None) == (1e-2, 1e-1)
    assert get_tols(single, single, 1e-3, None) == (1e-3, 1e-3)
    assert get_tols(single, single, {np.float32: 0.5}, None) == (0.5, 1e-3)
    assert get_tols(np.ones(2, "int32"), np.ones(2, "int32"), None, None) == (0, 0)


def test_assert_almost_equal_passes_within_tolerance():
    assert_almost_equal(np.array([1.0, 2.0], "float32"), np.array([1.0, 2.0001], "float32"))
    assert_almost_equal(mx.nd.array([1, 2]), np.array([1.0, 2.0], "float32"))
    assert_almost_equal(np.ones((2, 3)), np.ones(3))  # broadcasts by default
    assert_almost_equal(np.array([np.inf, -np.inf]), np.array([np.inf, -np.inf]))


def test_assert_almost_equal_message_names_the_worst_element():
    a = np.array([[1.0, 2.0], [3.0, 4.0]], "float32")
    b = np.array([[1.0, 2.1], [3.0, 4.5]], "float32")
    with pytest.raises(AssertionError) as info:
        assert_almost_equal(a, b, names=("x", "y"))
    message = str(info.value)
    assert "Location of maximum error: (1, 1), x=4.00000000, y=4.50000000" in message
    assert "exceeds tolerance rtol=1.000000e-04, atol=1.000000e-03 (mismatch 50.000000%)" in message
    assert "2: Error" in message and "(0, 1)" in message


def test_assert_almost_equal_limits_the_listed_mismatches():
    with pytest.raises(AssertionError) as info:
        assert_almost_equal(np.zeros(20), np.arange(1.0, 21.0), mismatches=(3, 5))
    assert "3: Error" in str(info.value) and "4: Error" not in str(info.value)


def test_integers_compare_exactly():
    assert not almost_equal(np.array([1, 2], "int32"), np.array([1, 3], "int32"))
    assert almost_equal(np.array([1, 2], "int32"), np.array([1, 2], "int32"))


def test_nan_needs_equal_nan():
    a, b = np.array([1.0, np.nan]), np.array([1.0, np.nan])
    assert not almost_equal(a, b)
    assert almost_equal(a, b, equal_nan=True)
    with pytest.raises(AssertionError):
        assert_almost_equal(np.array([np.nan]), np.array([1.0]), equal_nan=True)


def test_shape_mismatch_without_broadcast_fails():
    assert not almost_equal(np.ones((2, 3)), np.ones(3), use_broadcast=False)
    with pytest.raises(AssertionError, match=r"Shapes differ: a \(2, 3\) vs b \(3,\)"):
        assert_almost_equal(np.ones((2, 3)), np.ones(3), use_broadcast=False)
    with pytest.raises(AssertionError, match="do not broadcast"):
        assert_almost_equal(np.ones((2, 3)), np.ones(2))


def test_same_and_assert_exception():
    assert same(np.array([1, 2]), mx.nd.array([1, 2]))
    assert not same(np.array([1, 2]), np.array([1, 2, 3]))
    assert_exception(int, ValueError, "x")
    with pytest.raises(AssertionError, match="did not raise ValueError"):
        assert_exception(int, ValueError, "3")


def test_random_helpers(seed):
    array = rand_ndarray((2, 3), dtype="float16")
    assert array.shape == (2, 3) and array.dtype == np.float16
    assert rand_ndarray((4,)).dtype == np.float32
    assert rand_ndarray(5, ctx=mx.cpu(1)).context == mx.cpu(1)
    assert all(1 <= d <= 3 for d in rand_shape_nd(4, dim=3))
    assert all(0 <= d <= 2 for d in rand_shape_3d(2, 2, 2, allow_zero_size=True))
    assert len(rand_shape_2d()) == 2
    with pytest.raises(MXNetNotImplementedError, match="row_sparse"):
        rand_ndarray((2, 2), stype="row_sparse")


def test_set_default_context_sits_below_with_blocks():
    try:
        set_default_context(mx.cpu(2))
        assert default_context() == mx.cpu(2) and mx.nd.zeros(1).context == mx.cpu(2)
        with mx.cpu(3):
            assert default_context() == mx.cpu(3)
        set_default_context(mx.cpu(1))
        assert default_context() == mx.cpu(1)
    finally:
        set_default_context(mx.cpu(0))
    assert mx.current_context() == mx.cpu(0)
    with pytest.raises(MXNetTypeError):
        set_default_context("cpu(0)")


def test_environment_sets_and_restores():
    os.environ["NEOMX_TEST_A"] = "old"
    try:
        with environment({"NEOMX_TEST_A": "new", "NEOMX_TEST_B": 1}):
            assert os.environ["NEOMX_TEST_A"] == "new" and os.environ["NEOMX_TEST_B"] == "1"
        assert os.environ["NEOMX_TEST_A"] == "old" and "NEOMX_TEST_B" not in os.environ
        with pytest.raises(KeyError), environment("NEOMX_TEST_A", None):
            assert "NEOMX_TEST_A" not in os.environ
            raise KeyError
        assert os.environ["NEOMX_TEST_A"] == "old"
    finally:
        del os.environ["NEOMX_TEST_A"]


def test_environment_decorates_functions():
    @environment("NEOMX_TEST_C", "on")
    def read():
        return os.environ["NEOMX_TEST_C"]

    assert read() == "on" and "NEOMX_TEST_C" not in os.environ
    with pytest.raises(MXNetValueError):
        with environment("a", "b", "c"):
            pass


class _WrongSquare(Op):
    """x * x with the gradient off by a factor (for checking the checker)."""

    def forward(self, xp, p, data, out=None):
        return xp.multiply(data, data, out=out)

    def gradient(self, p, F, inputs, outputs, dy):
        return (F.broadcast_mul(dy[0], F._mul_scalar(inputs[0], scalar=self.factor)),)


def _square(factor):
    op = _WrongSquare()
    op.name, op.plans, op.factor = "square_for_test", {}, factor
    return op


def test_check_numeric_gradient_accepts_names_ops_and_dicts(seed):
    x, y = np.random.rand(2, 3), np.random.rand(1, 3) + 0.5
    check_numeric_gradient("broadcast_div", [x, y])
    check_numeric_gradient(
        ("broadcast_div", {}),
        {"lhs": x, "rhs": y},
        dtype=np.float64,
        atol=1e-6,
        rtol=1e-5,
        numeric_eps=1e-5,
    )
    check_numeric_gradient(("sum", {"axis": 1}), [x], grad_nodes=["data"])
    check_numeric_gradient(
        ("concat", {"dim": 0}), [x, x], grad_nodes={"arg0": "write", "arg1": "null"}
    )
    check_numeric_gradient(_square(2.0), [x])


def test_check_numeric_gradient_reports_a_wrong_gradient(seed):
    x = np.random.rand(2, 3) + 0.5
    with pytest.raises(AssertionError, match=r"NUMERICAL_data=.*BACKWARD_data="):
        check_numeric_gradient(_square(3.0), [x])


def test_check_numeric_gradient_uses_a_direction_for_large_inputs(seed):
    x = np.random.rand(30, 30) + 0.5
    check_numeric_gradient(_square(2.0), [x])
    with pytest.raises(AssertionError, match="NUMERICAL_direction_data"):
        check_numeric_gradient(_square(2.5), [x])


def test_check_numeric_gradient_checks_zero_gradients(seed):
    x = np.random.rand(2, 3) * 0.5 + 0.2  # away from integers: floor's gradient is 0
    check_numeric_gradient("floor", [x])
    check_numeric_gradient(("one_hot", {"depth": 3}), [np.array([0.5, 2.5])])


def test_check_numeric_gradient_rejects_bad_input():
    with pytest.raises(MXNetTypeError, match="got int"):
        check_numeric_gradient(3, [np.ones(2)])
    with pytest.raises(MXNetValueError, match="broadcast_add takes 2 input"):
        check_numeric_gradient("broadcast_add", [np.ones(2)])
    with pytest.raises(MXNetValueError, match="missing.*rhs"):
        check_numeric_gradient("broadcast_add", {"lhs": np.ones(2)})
    with pytest.raises(MXNetValueError, match="no input 'x'"):
        check_numeric_gradient("exp", [np.ones(2)], grad_nodes=["x"])
    with pytest.raises(MXNetNotImplementedError, match="auxiliary"):
        check_numeric_gradient("exp", [np.ones(2)], aux_states=[np.ones(1)])
    with pytest.raises(MXNetValueError, match=r"no operator named 'nope'"):
        check_numeric_gradient("nope", [np.ones(2)])
