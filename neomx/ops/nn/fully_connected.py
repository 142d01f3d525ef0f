"""FullyConnected: a dense layer, one matrix product plus a bias."""

from __future__ import annotations

import math

import numpy as np

from ...base import MXNetValueError
from ..infer import is_known, shape_str
from ..params import Bool, Int, Params
from ..registry import Op, register
from ..spatial import float_type
from .conv_common import refuse_bias, unify_in_context


@register("FullyConnected", aliases=("_npx_fully_connected", "_sparse_FullyConnected"))
class FullyConnected(Op):
    """Apply a linear transformation: ``out = dot(data, weight.T) + bias``.

    With ``flatten`` (the default) ``data`` of shape (N, x1, ..., xk) is read as a matrix
    (N, x1 * ... * xk) and the output has shape (N, num_hidden); without it the product runs
    over the last axis only: (x1, ..., xk) gives (x1, ..., x(k-1), num_hidden). ``weight``
    has shape (num_hidden, features) and ``bias`` (num_hidden,). float16 is computed in
    float32 (MXNet 1.9.1 refuses float16 on CPU).

    >>> mx.nd.FullyConnected(mx.nd.ones((2, 3)), mx.nd.ones((4, 3)), mx.nd.ones((4,)),
    ...                      num_hidden=4)
    <BLANKLINE>
    [[4. 4. 4. 4.]
     [4. 4. 4. 4.]]
    <NDArray 2x4 @cpu(0)>
    """

    inputs = ("data", "weight", "bias")
    params = Params(
        num_hidden=Int(min=1, doc="The number of output features."),
        no_bias=Bool(False, doc="Whether to leave out the bias."),
        flatten=Bool(True, doc="Whether to collapse all axes but the first of data."),
    )
    saves = ("data", "weight")

    def arguments(self, p):
        return self.inputs[:2] if p.no_bias else self.inputs

    def infer_shape(self, p, data, weight, bias=None):
        refuse_bias(self.name, p, bias)
        if data is None:
            return None
        if len(data) == 0:
            raise MXNetValueError(f"{self.name}: data must have at least one dimension, got ()")
        # An unknown (0) feature dimension leaves the weight's second dimension unknown.
        features = data[1:] if p.flatten else data[-1:]
        known = is_known(features)
        columns = math.prod(features) if known else 0
        context = f"from data {shape_str(data)} with flatten={p.flatten}, num_hidden={p.num_hidden}"
        weight = unify_in_context(self.name, "weight", weight, (p.num_hidden, columns), context)
        out = (data[:1] if p.flatten else tuple(data[:-1])) + (p.num_hidden,)
        if p.no_bias:
            return (tuple(data), weight), (tuple(out),)
        bias = unify_in_context(self.name, "bias", bias, (p.num_hidden,), context)
        return (tuple(data), weight, bias), (tuple(out),)

    def infer_type(self, p, *dtypes):
        dtype = float_type(self, p, dtypes)
        return None if dtype is None else ((dtype,) * len(dtypes), (dtype,))

    def forward(self, xp, p, data, weight, bias=None, out=None):
        if p.flatten:
            rows, columns = data.shape[0], math.prod(data.shape[1:])
            out_shape = (rows, p.num_hidden)
        else:
            columns = data.shape[-1]
            rows = math.prod(data.shape[:-1])
            out_shape = data.shape[:-1] + (p.num_hidden,)
        matrix = data.reshape(rows, columns)
        if data.dtype == np.float16:
            # NumPy has no float16 BLAS (a plain loop): compute in float32, round once.
            result = xp.matmul(matrix.astype(np.float32), weight.T.astype(np.float32))
            if bias is not None:
                result += bias
            result = result.astype(np.float16).reshape(out_shape)
            if out is None:
                return result
            xp.copyto(out, result)
            return out
        direct = out is not None and out.flags.c_contiguous
        # A contiguous out= is reshaped as a view: BLAS writes the product in place.
        result = xp.matmul(
            matrix, weight.T, out=out.reshape(rows, p.num_hidden) if direct else None
        )
        if bias is not None:
            xp.add(result, bias, out=result)
        if direct:
            return out
        if out is None:
            return result.reshape(out_shape)
        xp.copyto(out, result.reshape(out_shape))
        return out

    def gradient(self, p, F, inputs, outputs, dy):
        data, weight = inputs[:2]
        if 0 in data.shape:
            # Empty sums: the gradients are zeros (and reshape would misread a 0 as "copy").
            return tuple(F.zeros_like(x) for x in inputs)
        head = dy[0]
        if p.flatten:
            rows, columns = data.shape[0], math.prod(data.shape[1:])
        else:
            rows, columns = math.prod(data.shape[:-1]), data.shape[-1]
            head = head if len(head.shape) == 2 else F.reshape(head, shape=(rows, p.num_hidden))
        matrix = data if len(data.shape) == 2 else F.reshape(data, shape=(rows, columns))
        d_data = F.dot(head, weight)
        if len(data.shape) != 2:
            d_data = F.reshape(d_data, shape=data.shape)
        d_weight = F.dot(head, matrix, transpose_a=True)
        if p.no_bias:
            return d_data, d_weight
        return d_data, d_weight, F.sum(head, axis=0)
