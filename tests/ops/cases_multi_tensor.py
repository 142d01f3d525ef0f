"""Cases of multi_sum_sq, multi_lars, all_finite, multi_all_finite and reset_arrays.

reset_arrays writes its inputs, which the harness does not see: tests/ops/test_multi_tensor.py
checks that, and all_finite's init_output=False with out=.
"""

import numpy as np

from .case import MIXED_DTYPES_OK, Case, ErrorCase, add, add_errors, fixed, floats, ints

# Lists of arrays may mix float dtypes (float16 and float32 gradients under AMP); MXNet 1.9.1
# wants one dtype.
MIXED_DTYPES_OK.update({"multi_sum_sq", "multi_all_finite", "reset_arrays"})


def _sum_sq(*arrays):
    # Squares in the array's dtype (float16 ones may overflow, as in MXNet), sums in float32
    # or wider.
    with np.errstate(over="ignore"):
        return np.array(
            [np.sum(np.square(a), dtype=np.promote_types(a.dtype, np.float32)) for a in arrays],
            dtype=np.float32,
        )


add(
    "multi_sum_sq",
    Case(floats((3,), (2, 2)), {"num_arrays": 2}, _sum_sq, label="two"),
    Case(floats((4, 3)), {"num_arrays": 1}, _sum_sq, label="one"),
    Case(floats((2,), (3,), (1, 1), dtype="float64"), {"num_arrays": 3}, _sum_sq,
         label="float64"),
    Case(fixed([1, 2, 3], [300, 300], dtype="float16"), {"num_arrays": 2}, _sum_sq,
         label="float16-overflow"),
    Case(fixed([np.nan, 1], [np.inf], dtype="float32"), {"num_arrays": 2}, _sum_sq,
         label="not-finite"),
)
add_errors(
    "multi_sum_sq",
    ErrorCase(floats((3,), (2,)), {"num_arrays": 1}, match=r"multi_sum_sq.*num_arrays=1.*2"),
    ErrorCase(ints((3,)), {"num_arrays": 1}, match=r"multi_sum_sq.*array_0.*floating"),
)


def _finite(*arrays):
    return np.array([float(all(np.isfinite(a).all() for a in arrays))], np.float32)


add(
    "all_finite",
    Case(floats((2, 3)), reference=_finite, label="finite"),
    Case(fixed([1, np.inf, 3], dtype="float32"), reference=_finite, label="inf"),
    Case(fixed([1, np.nan], dtype="float16"), reference=_finite, label="nan-float16"),
    Case(floats((3,), dtype="float64"), reference=_finite, label="float64"),
    # With init_output=False only a non-finite value writes the output.
    Case(fixed([np.nan, 1], dtype="float32"), {"init_output": False}, _finite,
         label="no-init-nan"),
    # MXNet 1.x cannot make zero-size arrays, so no golden file.
    Case(floats((0, 2)), reference=_finite, label="zero-size", golden=False),
)
add_errors("all_finite", ErrorCase(ints((3,)), match=r"all_finite.*data.*floating"))
add(
    "multi_all_finite",
    Case(floats((3,), (2, 2)), {"num_arrays": 2}, _finite, label="finite"),
    Case(lambda rng: [np.ones(3, "float32"), np.array([1, -np.inf], "float32")],
         {"num_arrays": 2}, _finite, label="inf-in-second"),
    Case(floats((3,)), reference=_finite, label="default-one-array"),
    Case(fixed([np.nan], [1.0], dtype="float32"), {"num_arrays": 2, "init_output": False},
         _finite, label="no-init-nan"),
)
add_errors(
    "multi_all_finite",
    ErrorCase(floats((3,), (2,)), match=r"multi_all_finite.*num_arrays=1.*2"),
)


def _lars(eta, eps, rescale_grad=1.0):
    def reference(lrs, weights_sum_sq, grads_sum_sq, wds):
        result = lrs.astype(np.float64).copy()
        for i in range(lrs.size):
            w = np.sqrt(float(weights_sum_sq.flat[i]))
            g = np.sqrt(float(grads_sum_sq.flat[i]))
            if w > 0 and g > 0:
                result.flat[i] *= eta * w / (g * rescale_grad + float(wds.flat[i]) * w + eps)
        return result.astype(lrs.dtype)

    return reference


def lars_inputs(size, dtype="float32"):
    def make(rng):
        lrs = rng.uniform(0.01, 0.5, size=size)
        weights = rng.uniform(0, 10, size=size)
        grads = rng.uniform(0, 4, size=size)
        wds = rng.uniform(0, 0.1, size=size)
        return [a.astype(dtype) for a in (lrs, weights, grads, wds)]

    return make


add(
    "multi_lars",
    Case(fixed([0.1, 0.2, 0.3, 0.4], [4, 0, 9, 16], [1, 4, 0, 4], [0.01, 0.1, 0.2, 0],
               dtype="float32"),
         {"eta": 0.5, "eps": 1e-3}, _lars(0.5, 1e-3), label="zero-norms"),
    Case(lars_inputs(5), {"eta": 0.001, "eps": 1e-8, "rescale_grad": 0.5},
         _lars(0.001, 1e-8, 0.5), label="rescaled"),
    Case(lars_inputs((2, 3)), {"eta": 1.0, "eps": 0.0}, _lars(1.0, 0.0), label="2d"),
    # MXNet 1.9.1 computes float32 only.
    Case(lars_inputs(3, "float64"), {"eta": 0.1, "eps": 1e-6}, _lars(0.1, 1e-6),
         label="float64", golden=False),
)
add_errors(
    "multi_lars",
    ErrorCase(lambda rng: [np.ones(3, "float32")] * 3 + [np.ones(2, "float32")],
              {"eta": 1.0, "eps": 0.0}, match=r"multi_lars.*wds.*\(2,\)"),
    ErrorCase(lars_inputs(3, "int32"), {"eta": 1.0, "eps": 0.0}, match=r"multi_lars.*floating"),
)

# No golden files: MXNet 1.9.1 crashes (segmentation fault) when make_golden records
# reset_arrays under autograd, and there is no output to compare.
add(
    "reset_arrays",
    Case(floats((3,), (2, 2)), {"num_arrays": 2}, lambda *arrays: (), label="two",
         golden=False),
    Case(ints((4,)), {"num_arrays": 1}, lambda *arrays: (), label="int32", golden=False),
)
add_errors(
    "reset_arrays",
    ErrorCase(floats((3,), (2,)), {"num_arrays": 1}, match=r"reset_arrays.*num_arrays=1.*2"),
)
