"""DataDesc, DataBatch, NDArrayIter details and the wrapping iterators."""

from __future__ import annotations

import numpy as np
import pytest

import neomx as mx


def test_data_desc_is_a_named_pair_with_dtype_and_layout():
    desc = mx.io.DataDesc("data", (2, 3), dtype=np.int32, layout="NC")
    name, shape = desc
    assert (name, shape, desc.dtype, desc.layout) == ("data", (2, 3), np.int32, "NC")
    assert repr(desc) == "DataDesc[data,(2, 3),<class 'numpy.int32'>,NC]"
    assert mx.io.DataDesc.get_batch_axis(None) == 0
    assert mx.io.DataDesc.get_batch_axis("TNC") == 1
    descs = mx.io.DataDesc.get_list([("a", (1,)), ("b", (2,))], [("a", np.int8), ("b", np.int64)])
    assert [d.dtype for d in descs] == [np.int8, np.int64]


def test_data_batch_str_and_type_checks():
    batch = mx.io.DataBatch([mx.nd.ones((2, 3))], None, pad=0)
    assert str(batch) == "DataBatch: data shapes: [(2, 3)] label shapes: None"
    with pytest.raises(TypeError):
        mx.io.DataBatch(mx.nd.ones((2,)))


def test_ndarray_iter_rejects_bad_arguments():
    with pytest.raises(ValueError, match="last_batch_handle"):
        mx.io.NDArrayIter(np.ones((4, 2)), batch_size=2, last_batch_handle="wrap")
    with pytest.raises(ValueError, match="examples"):
        mx.io.NDArrayIter(np.ones((4, 2)), np.ones(3), batch_size=2)
    with pytest.raises(TypeError):
        mx.io.NDArrayIter("not an array", batch_size=2)


def test_ndarray_iter_hard_reset_drops_rolled_over_examples():
    it = mx.io.NDArrayIter(np.arange(5.0), batch_size=2, last_batch_handle="roll_over")
    assert len(list(it)) == 2
    it.hard_reset()
    first = next(it)
    assert first.pad == 0 and first.data[0].asnumpy().tolist() == [0.0, 1.0]


def test_ndarray_iter_layout_puts_batch_on_axis_1():
    data = np.arange(12.0).reshape(3, 4)
    it = mx.io.NDArrayIter(data, batch_size=2, layout="TN", last_batch_handle="discard")
    assert it.provide_data[0].shape == (3, 2)
    assert next(it).data[0].asnumpy().tolist() == data[:, :2].tolist()


def test_resize_iter_repeats_or_cuts_the_epoch():
    base = mx.io.NDArrayIter(np.arange(6.0), batch_size=2)
    longer = mx.io.ResizeIter(base, 5)
    assert [b.data[0].asnumpy()[0] for b in longer] == [0.0, 2.0, 4.0, 0.0, 2.0]
    longer.reset()
    assert len(list(longer)) == 5
    shorter = mx.io.ResizeIter(
        mx.io.NDArrayIter(np.arange(6.0), batch_size=2), 2, reset_internal=False
    )
    assert [b.data[0].asnumpy()[0] for b in shorter] == [0.0, 2.0]
    shorter.reset()
    assert [b.data[0].asnumpy()[0] for b in shorter] == [4.0, 0.0]


def test_prefetching_iter_joins_and_renames():
    a = mx.io.NDArrayIter({"data": np.arange(10.0).reshape(5, 2)}, np.arange(5.0), batch_size=2)
    b = mx.io.NDArrayIter({"data": np.ones((5, 3))}, batch_size=2)
    it = mx.io.PrefetchingIter([a, b], rename_data=[{"data": "x"}, {"data": "y"}])
    assert [(d.name, d.shape) for d in it.provide_data] == [("x", (2, 2)), ("y", (2, 3))]
    assert it.batch_size == 2
    for _ in range(2):
        batches = list(it)
        assert [b.pad for b in batches] == [0, 0, 1]
        assert [len(b.data) for b in batches] == [2, 2, 2]
        assert batches[1].data[0].asnumpy().tolist() == [[4.0, 5.0], [6.0, 7.0]]
        it.reset()


def test_prefetching_iter_surfaces_errors_from_the_thread():
    class Broken(mx.io.DataIter):
        provide_data = [mx.io.DataDesc("data", (1,))]
        provide_label = []

        def next(self):
            raise RuntimeError("disk on fire")

    it = mx.io.PrefetchingIter(Broken())
    with pytest.raises(RuntimeError, match="disk on fire"):
        next(it)


def test_data_iter_protocol_from_hooks():
    class Counting(mx.io.DataIter):
        def __init__(self):
            super().__init__(batch_size=1)
            self.count = 0

        def iter_next(self):
            self.count += 1
            return self.count <= 2

        def getdata(self):
            return [mx.nd.array([self.count])]

        def getpad(self):
            return 0

    assert [b.data[0].asscalar() for b in Counting()] == [1.0, 2.0]


def test_csv_iter_checks_columns(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("1,2,3\n4,5,6\n")
    with pytest.raises(ValueError, match="columns"):
        mx.io.CSVIter(data_csv=str(path), data_shape=(2,), batch_size=1)


def test_mnist_iter_rejects_non_idx(tmp_path):
    path = tmp_path / "x"
    path.write_bytes(b"hello world")
    with pytest.raises(ValueError, match="IDX"):
        mx.io.MNISTIter(image=str(path), label=str(path))
