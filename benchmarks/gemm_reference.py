"""NumPy baselines of ``nn_ops.py``: the matrix products a layer's forward + backward must do.

They bound what an eager NumPy framework such as neomx can reach on those layers, since
neomx's FullyConnected and Convolution run the same BLAS products:

* FullyConnected: ``X W^T`` (forward), ``dY W`` (data gradient), ``dY^T X`` (weight gradient);
* Convolution (stride 1): im2col of the padded batch into one matrix of (channels * kernel
  area) rows and (batch * output positions) columns, the same three products against it, the
  output moved back to NCHW, and col2im, which adds the column gradient back into the data
  gradient one kernel offset at a time. Biases are left out: they cost one pass over the
  output, small against the rest.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def fc_step(data, weight, head):
    """A call running the three matrix products of a FullyConnected forward + backward."""

    def step():
        np.matmul(data, weight.T)
        np.matmul(head, weight)
        np.matmul(head.T, data)

    return step


def conv_step(data, weight, head, pad):
    """A call running a stride-1 convolution's forward + backward as im2col, three matrix
    products and col2im; it returns (output, weight gradient, data gradient)."""
    batch, channels, height, width = data.shape
    filters, _, kernel_h, kernel_w = weight.shape
    out_h, out_w = height + 2 * pad - kernel_h + 1, width + 2 * pad - kernel_w + 1
    matrix = weight.reshape(filters, channels * kernel_h * kernel_w)
    padded = np.zeros((batch, channels, height + 2 * pad, width + 2 * pad), data.dtype)
    inside = (slice(None), slice(None), slice(pad, pad + height), slice(pad, pad + width))

    def step():
        padded[inside] = data
        windows = sliding_window_view(padded, (kernel_h, kernel_w), axis=(2, 3))
        # (batch, channels, out_h, out_w, kh, kw) -> rows (channels, kh, kw), columns the rest
        columns = windows.transpose(1, 4, 5, 0, 2, 3).reshape(matrix.shape[1], -1)
        output = matrix @ columns
        output = np.ascontiguousarray(
            output.reshape(filters, batch, out_h, out_w).transpose(1, 0, 2, 3)
        )
        heads = head.transpose(1, 0, 2, 3).reshape(filters, -1)
        weight_grad = (heads @ columns.T).reshape(weight.shape)
        column_grad = (matrix.T @ heads).reshape(channels, kernel_h, kernel_w, batch, out_h, out_w)
        padded_grad = np.zeros_like(padded)
        for i in range(kernel_h):
            for j in range(kernel_w):
                window = padded_grad[:, :, i : i + out_h, j : j + out_w]
                window += column_grad[:, i, j].transpose(1, 0, 2, 3)
        return output, weight_grad, padded_grad[inside]

    return step


def conv_gemm_step(data, weight, head, pad):
    """The three matrix products of ``conv_step`` alone, on columns made once beforehand: the
    BLAS floor under any convolution that goes through im2col."""
    filters = weight.shape[0]
    matrix = weight.reshape(filters, -1)
    padded = np.pad(data, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = sliding_window_view(padded, weight.shape[2:], axis=(2, 3))
    columns = np.ascontiguousarray(windows.transpose(1, 4, 5, 0, 2, 3).reshape(matrix.shape[1], -1))
    heads = np.ascontiguousarray(head.transpose(1, 0, 2, 3).reshape(filters, -1))

    def step():
        np.matmul(matrix, columns)
        np.matmul(heads, columns.T)
        np.matmul(matrix.T, heads)

    return step
