"""The casts that automatic mixed precision (AMP) inserts into graphs: amp_cast and
amp_multicast. Both change only float16 and float32 arrays; every other dtype passes through."""

from __future__ import annotations

import numpy as np

from ..base import MXNetValueError
from .infer import is_known
from .params import Bool, DType, Int, Params
from .registry import Op, register

# The dtypes AMP moves between. MXNet also counts bfloat16, which NumPy does not have.
_LOW_OR_FULL = (np.dtype(np.float16), np.dtype(np.float32))


def _cast(xp, data, dtype, out):
    """``data`` as ``dtype`` (a fresh array, or written into ``out``)."""
    with np.errstate(over="ignore", invalid="ignore"):
        if out is None:
            return data.astype(dtype)
        xp.copyto(out, data, casting="unsafe")
    return out


def _cast_back(F, grad, dtype):
    """The gradient ``grad`` in the input's ``dtype``."""
    if grad is None or np.dtype(grad.dtype) == np.dtype(dtype):
        return grad
    return F.Cast(grad, dtype=np.dtype(dtype).name)


@register("amp_cast")
class AmpCast(Op):
    """Cast a float16 or float32 array to ``dtype``; arrays of other dtypes (float64
    included) are returned unchanged, as in MXNet 1.9.1.

    >>> mx.nd.amp_cast(mx.nd.ones((2,)), dtype="float16").dtype
    <class 'numpy.float16'>
    """

    params = Params(
        dtype=DType(
            choices=("float16", "float32", "float64", "int32", "int64", "int8", "uint8"),
            doc="The dtype float16 and float32 inputs are cast to.",
        )
    )
    saves = ()

    def infer_type(self, p, dtype):
        if dtype is None:
            return None
        out = np.dtype(p.dtype) if np.dtype(dtype) in _LOW_OR_FULL else dtype
        return (dtype,), (out,)

    def forward(self, xp, p, data, out=None):
        dtype = self.infer_type(p, data.dtype)[1][0]
        return _cast(xp, data, dtype, out)

    def gradient(self, p, F, inputs, outputs, dy):
        return (_cast_back(F, dy[0], inputs[0].dtype),)


@register("amp_multicast")
class AmpMulticast(Op):
    """Cast float16 and float32 inputs to one common dtype; other inputs pass through.

    The common dtype starts as the first input's dtype and becomes float32 when any input is
    float32 (with ``cast_narrow=True`` it starts as float32 and becomes float16 when any
    input is float16). This is MXNet 1.9.1's rule, quirks included: with a float64 or integer
    first input and no float32 input, the float16 inputs are cast to that dtype.

    >>> a, b = mx.nd.amp_multicast(mx.nd.ones((2,)), mx.nd.ones((2,), dtype="float16"),
    ...                            num_outputs=2)
    >>> b.dtype
    <class 'numpy.float32'>
    """

    variadic = True
    params = Params(
        num_outputs=Int(min=1, doc="The number of inputs (and outputs)."),
        cast_narrow=Bool(False, doc="Cast to the narrowest dtype instead of the widest."),
    )
    saves = ()

    def arguments(self, p):
        return tuple(f"data_{i}" for i in range(p.num_outputs))

    def num_outputs(self, p):
        return p.num_outputs

    def _check_count(self, p, count):
        if count != p.num_outputs:
            raise MXNetValueError(
                f"{self.name}: num_outputs={p.num_outputs} but {count} input(s) were given; "
                "they must be equal"
            )

    def infer_shape(self, p, *shapes):
        self._check_count(p, len(shapes))
        if not all(is_known(shape) for shape in shapes):
            return None
        return shapes, shapes

    def infer_type(self, p, *dtypes):
        self._check_count(p, len(dtypes))
        if any(dtype is None for dtype in dtypes):
            return None
        dtypes = tuple(np.dtype(dtype) for dtype in dtypes)
        if p.cast_narrow:
            common = _LOW_OR_FULL[0] if _LOW_OR_FULL[0] in dtypes else _LOW_OR_FULL[1]
        else:
            common = _LOW_OR_FULL[1] if _LOW_OR_FULL[1] in dtypes else dtypes[0]
        outs = tuple(common if dtype in _LOW_OR_FULL else dtype for dtype in dtypes)
        return dtypes, outs

    def forward(self, xp, p, *arrays, out=None):
        dtypes = self.infer_type(p, *(a.dtype for a in arrays))[1]
        if out is None:
            outs = (None,) * len(arrays)
        else:
            # The call path passes a lone output as an array, several as a tuple.
            outs = (out,) if len(arrays) == 1 else out
        results = tuple(_cast(xp, a, dtype, buf) for a, dtype, buf in zip(arrays, dtypes, outs))
        return results[0] if len(arrays) == 1 else results

    def gradient(self, p, F, inputs, outputs, dy):
        return tuple(_cast_back(F, grad, x.dtype) for grad, x in zip(dy, inputs))
