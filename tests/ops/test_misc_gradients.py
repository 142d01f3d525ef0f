"""Gradients through autograd for operators whose case tables check first-order gradients
only: khatri_rao differentiates twice, and the densities reach samples and parameters."""

import numpy as np

import neomx as mx


def _numeric(function, value, step=1e-6):
    grad = np.zeros_like(value)
    for index in np.ndindex(*value.shape):
        up, down = value.copy(), value.copy()
        up[index] += step
        down[index] -= step
        grad[index] = (function(up) - function(down)) / (2 * step)
    return grad


def test_khatri_rao_second_order(ctx):
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(4, 3))
    head, direction = rng.normal(size=(8, 3)), rng.normal(size=(2, 3))
    left = mx.nd.array(a, ctx=ctx, dtype="float64")
    right = mx.nd.array(b, ctx=ctx, dtype="float64")
    left.attach_grad()
    right.attach_grad()
    with mx.autograd.record():
        total = mx.nd.sum(
            mx.nd.khatri_rao(left, right) * mx.nd.array(head, ctx=ctx, dtype="float64")
        )
        d_left = mx.autograd.grad(total, [left], create_graph=True)[0]
        along = mx.nd.sum(d_left * mx.nd.array(direction, ctx=ctx, dtype="float64"))
    along.backward()

    def directional(b_value):
        d_a = np.einsum("ijk,jk->ik", head.reshape(2, 4, 3), b_value)
        return np.sum(d_a * direction)

    np.testing.assert_allclose(right.grad.asnumpy(), _numeric(directional, b), atol=1e-7)


def test_density_gradients_through_autograd(ctx):
    sample = mx.nd.array([[0.5, 1.5], [2.0, 0.2]], ctx=ctx, dtype="float64")
    mu = mx.nd.array([0.1, -0.3], ctx=ctx, dtype="float64")
    sigma = mx.nd.array([1.2, 0.7], ctx=ctx, dtype="float64")
    for array in (sample, mu, sigma):
        array.attach_grad()
    with mx.autograd.record():
        log_density = mx.nd.random_pdf_normal(sample, mu, sigma, is_log=True)
    log_density.backward()
    z = (sample.asnumpy() - mu.asnumpy()[:, None]) / sigma.asnumpy()[:, None]
    np.testing.assert_allclose(sample.grad.asnumpy(), -z / sigma.asnumpy()[:, None])
    np.testing.assert_allclose(mu.grad.asnumpy(), (z / sigma.asnumpy()[:, None]).sum(1))
    np.testing.assert_allclose(
        sigma.grad.asnumpy(), ((z * z - 1) / sigma.asnumpy()[:, None]).sum(1)
    )


def test_counts_get_no_gradient(ctx):
    counts = mx.nd.array([0.0, 3.0], ctx=ctx)
    lam = mx.nd.array([1.5, 2.5], ctx=ctx)
    counts.attach_grad()
    lam.attach_grad()
    with mx.autograd.record():
        density = mx.nd.random_pdf_poisson(counts, lam, is_log=True)
    density.backward()
    np.testing.assert_array_equal(counts.grad.asnumpy(), [0.0, 0.0])
    np.testing.assert_allclose(lam.grad.asnumpy(), [0 / 1.5 - 1, 3 / 2.5 - 1], rtol=1e-6)
