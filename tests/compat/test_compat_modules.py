"""The pieces of MXNet 1.9.1 that neomx.compat and the compat work added."""

from __future__ import annotations

import collections
import json

import numpy as np
import pytest

import neomx as mx
from neomx.base import MXNetError, MXNetNotImplementedError
from neomx.compat import contrib_autograd, registry
from neomx.compat.text import embedding, utils, vocab


# ---- mx.operator: custom Python operators -------------------------------------------------------
class _Square(mx.operator.CustomOp):
    def forward(self, is_train, req, in_data, out_data, aux):
        self.assign(out_data[0], req[0], in_data[0] * in_data[0])

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        self.assign(in_grad[0], req[0], 2 * in_data[0] * out_grad[0])


@mx.operator.register("compat_test_square")
class _SquareProp(mx.operator.CustomOpProp):
    def __init__(self, scale="1"):
        super().__init__(need_top_grad=True)
        assert isinstance(scale, str)  # MXNet hands parameters over as strings

    def create_operator(self, ctx, in_shapes, in_dtypes):
        return _Square()


def test_custom_op_forward_and_gradient():
    x = mx.nd.array([1.0, -2.0, 3.0])
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.Custom(x, op_type="compat_test_square", scale=2)
    y.backward()
    assert y.asnumpy().tolist() == [1.0, 4.0, 9.0]
    assert x.grad.asnumpy().tolist() == [2.0, -4.0, 6.0]
    assert "compat_test_square" in mx.operator.get_all_registered_operators()


def test_custom_op_errors():
    with pytest.raises(MXNetError, match="not registered"):
        mx.nd.Custom(mx.nd.ones(2), op_type="nope")
    with pytest.raises(MXNetError, match="2 inputs given"):
        mx.nd.Custom(mx.nd.ones(2), mx.nd.ones(2), op_type="compat_test_square")


def test_custom_op_assign_add():
    dst = mx.nd.ones(2)
    mx.operator.CustomOp().assign(dst, "add", mx.nd.ones(2))
    assert dst.asnumpy().tolist() == [2.0, 2.0]


# ---- mx.profiler ---------------------------------------------------------------------------------
def test_profiler_records_user_events(tmp_path):
    path = tmp_path / "trace.json"
    mx.profiler.set_config(filename=str(path), profile_all=True, aggregate_stats=True)
    domain = mx.profiler.Domain("compat")
    mx.profiler.set_state("run")
    with mx.profiler.Task(domain, "work"):
        mx.nd.ones((2, 2)).asnumpy()
    counter = mx.profiler.Counter(domain, "items", 1)
    counter += 2
    mx.profiler.Marker(domain, "here").mark()
    mx.profiler.pause()
    mx.profiler.Event("ignored").start()
    mx.profiler.resume()
    mx.profiler.set_state("stop")
    assert "compat::work" in mx.profiler.dumps()
    mx.profiler.dump()
    events = json.loads(path.read_text())["traceEvents"]
    assert {e["name"] for e in events} == {"work", "items", "here"} and counter.value == 3
    with pytest.raises(MXNetError, match="unknown option"):
        mx.profiler.set_config(filenam="x")


# ---- contrib.text --------------------------------------------------------------------------------
def test_vocabulary_order_and_limits():
    counter = utils.count_tokens_from_str("b a b c\nc b d", to_lower=True)
    v = vocab.Vocabulary(counter, most_freq_count=2, min_freq=1, reserved_tokens=["<pad>"])
    assert v.idx_to_token == ["<unk>", "<pad>", "b", "c"]
    assert v.to_indices(["c", "zz"]) == [3, 0] and v.to_tokens(2) == "b" and len(v) == 4
    assert vocab.Vocabulary(counter, min_freq=2).idx_to_token == ["<unk>", "b", "c"]


def test_custom_embedding_offline(tmp_path):
    path = tmp_path / "vecs.txt"
    path.write_text("hello 1 2\nworld 3 4\n")
    emb = embedding.CustomEmbedding(str(path))
    assert emb.vec_len == 2 and emb.get_vecs_by_tokens("world").asnumpy().tolist() == [3, 4]
    assert emb.get_vecs_by_tokens(["nope", "hello"]).asnumpy().tolist() == [[0, 0], [1, 2]]
    v = vocab.Vocabulary(collections.Counter(["world", "x"]))
    both = embedding.CompositeEmbedding(v, [emb, emb])
    assert both.idx_to_token == v.idx_to_token and both.vec_len == 4
    emb.update_token_vectors(["hello"], mx.nd.array([[5, 6]]))
    assert emb.get_vecs_by_tokens("hello").asnumpy().tolist() == [5, 6]


def test_pretrained_embedding_never_downloads(tmp_path):
    with pytest.raises(MXNetError, match="does not download"):
        embedding.create(
            "glove", pretrained_file_name="glove.6B.50d.txt", embedding_root=str(tmp_path)
        )
    (tmp_path / "glove").mkdir()
    (tmp_path / "glove" / "glove.6B.50d.txt").write_text("a 1 1\n")
    glove = embedding.GloVe("glove.6B.50d.txt", embedding_root=str(tmp_path))
    assert glove.token_to_idx["a"] == 1
    assert "glove.6B.50d.txt" in embedding.get_pretrained_file_names("glove")


# ---- mxnet.registry, contrib.autograd, notebook -----------------------------------------------
def test_registry_create():
    class Base:
        def __init__(self, value=0):
            self.value = value

    register = registry.get_register_func(Base, "thing")
    create = registry.get_create_func(Base, "thing")

    @register
    class Special(Base):
        pass

    assert isinstance(create("special", value=3), Special) and create("SPECIAL").value == 0
    assert create('["special", {"value": 4}]').value == 4
    made = Special()
    assert create(made) is made
    with pytest.raises(MXNetError, match="not registered"):
        create("other")


def test_contrib_autograd_grad_and_loss():
    grads, loss = contrib_autograd.grad_and_loss(lambda x: (x * x).sum())(mx.nd.array([1, 2]))
    assert grads[0].asnumpy().tolist() == [2, 4] and loss.asscalar() == 5


def test_notebook_pandas_logger_needs_pandas_or_works():
    from neomx.compat import notebook_callback

    try:
        logger = notebook_callback.PandasLogger(batch_size=4, frequent=1)
    except ImportError as err:
        assert "pandas" in str(err)
        return
    logger.append_metrics({"accuracy": 0.5}, "train")
    assert logger.train_df["accuracy"].tolist() == [0.5]
    assert set(logger.callback_args()) == {"batch_end_callback", "eval_end_callback",
                                           "epoch_end_callback"}  # fmt: skip


def test_amp_refuses():
    from neomx.compat import amp

    assert amp._amp_initialized is False and amp.amp is amp
    with pytest.raises(MXNetNotImplementedError, match="mixed precision"):
        amp.init()


# ---- gaps filled in neomx for the third-party programs -------------------------------------------
def test_freed_graph_outputs_enter_new_recordings_as_constants():
    # gluonbook carries an LSTM state across batches without detaching it (s.detach() result
    # is dropped); MXNet 1.x treats outputs of a graph freed by backward() as constants.
    w = mx.nd.array([2.0])
    w.attach_grad()
    with mx.autograd.record():
        state = w * 3
        loss = state.sum()
    loss.backward()
    with mx.autograd.record():
        loss2 = (state * w).sum()
    loss2.backward()
    assert w.grad.asnumpy().tolist() == [6.0]  # d(state * w)/dw with state constant


def test_sync_batch_norm_op_matches_batch_norm():
    x = mx.nd.array(np.random.RandomState(0).randn(4, 3, 2).astype("float32"))
    gamma, beta = mx.nd.ones(3), mx.nd.zeros(3)
    args = (x, gamma, beta, mx.nd.zeros(3), mx.nd.ones(3))
    with mx.autograd.train_mode():
        expected = mx.nd.BatchNorm(*args, fix_gamma=False)
        got = mx.nd.contrib.SyncBatchNorm(*args, fix_gamma=False, ndev=1, key="k")
    np.testing.assert_allclose(got.asnumpy(), expected.asnumpy(), rtol=1e-6)
    assert mx.sym.contrib.SyncBatchNorm(mx.sym.var("data"), name="bn").list_arguments()[0] == "data"


def test_gluon_internal_names_libraries_import():
    from neomx.gluon.data.dataloader import ForkingPickler, _as_in_context, _MultiWorkerIter
    from neomx.gluon.utils import _get_repo_file_url, _get_repo_url

    assert _get_repo_url().endswith("/") and _get_repo_file_url("ns", "f.zip").endswith("ns/f.zip")
    moved = _as_in_context([mx.nd.ones(1), (mx.nd.zeros(1),)], mx.cpu())
    assert moved[1][0].context == mx.cpu() and ForkingPickler is not None
    with pytest.raises(MXNetNotImplementedError, match="_MultiWorkerIter"):
        _MultiWorkerIter()
