"""Executor results on saved MXNet 1.9.1 models equal MXNet's own (tools/make_symbol_fixtures.py).

Each model is loaded from its ``-symbol.json`` and ``-0000.params``, bound with
``simple_bind(grad_req='write')`` like MXNet's run, and checked against ``-io.npz``: outputs of
``forward(is_train=False)`` and ``forward(is_train=True)``, the gradients of ``backward()`` and
the auxiliary states after the training step.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import neomx as mx

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "symbol")
MODELS = ["mlp", "lenet", "resnet"]


def _load(model):
    prefix = os.path.join(FIXTURES, model)
    if not os.path.exists(prefix + "-io.npz"):
        pytest.skip(f"fixture {model}-io.npz not written yet")
    net = mx.sym.load(prefix + "-symbol.json")
    params = mx.nd.load(prefix + "-0000.params")
    with np.load(prefix + "-io.npz") as stored:
        io = dict(stored)
    return net, params, io


@pytest.mark.parametrize("model", MODELS)
def test_saved_model_runs_as_in_mxnet(model):
    net, params, io = _load(model)
    ex = net.simple_bind(
        mx.cpu(), grad_req="write", data=io["data"].shape, softmax_label=io["softmax_label"].shape
    )
    ex.copy_params_from(
        {k[4:]: v for k, v in params.items() if k.startswith("arg:")},
        {k[4:]: v for k, v in params.items() if k.startswith("aux:")},
    )
    ex.arg_dict["data"][:] = io["data"]
    ex.arg_dict["softmax_label"][:] = io["softmax_label"]
    names = net.list_outputs()
    for name, out in zip(names, ex.forward(is_train=False)):
        np.testing.assert_allclose(out.asnumpy(), io[f"predict:{name}"], rtol=1e-4, atol=1e-6)
    for name, out in zip(names, ex.forward(is_train=True)):
        np.testing.assert_allclose(out.asnumpy(), io[f"train:{name}"], rtol=1e-4, atol=1e-6)
    ex.backward()
    for name, grad in ex.grad_dict.items():
        np.testing.assert_allclose(
            grad.asnumpy(), io[f"grad:{name}"], rtol=1e-3, atol=1e-5, err_msg=name
        )
    for name, aux in ex.aux_dict.items():
        np.testing.assert_allclose(
            aux.asnumpy(), io[f"aux:{name}"], rtol=1e-4, atol=1e-6, err_msg=name
        )
