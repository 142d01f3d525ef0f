"""Datasets and their lazy views (transform, filter, shard, take, sample)."""

from __future__ import annotations

import numpy as np
import pytest

import neomx as mx
from neomx.base import MXNetTypeError, MXNetValueError
from neomx.gluon import data


def items(dataset):
    return [dataset[i] for i in range(len(dataset))]


def test_simple_dataset():
    dataset = data.SimpleDataset([3, 4, 5])
    assert len(dataset) == 3 and dataset[1] == 4
    assert isinstance(dataset, data.Dataset)


def test_array_dataset_zips_its_inputs():
    x = np.arange(12, dtype="float32").reshape(4, 3)
    dataset = data.ArrayDataset(x, mx.nd.arange(4), [10, 11, 12, 13])
    assert len(dataset) == 4
    first, second, third = dataset[2]
    np.testing.assert_array_equal(first, x[2])
    # MXNet 1.9.1 reads a 1-d NDArray as numpy: its samples are numpy scalars.
    assert isinstance(second, np.float32) and second == 2
    assert third == 12


def test_array_dataset_of_one_input_gives_bare_samples():
    dataset = data.ArrayDataset(mx.nd.ones((3, 2)))
    assert isinstance(dataset[0], mx.nd.NDArray)
    assert dataset[0].shape == (2,)


def test_array_dataset_errors():
    with pytest.raises(MXNetValueError, match="at least 1"):
        data.ArrayDataset()
    with pytest.raises(MXNetValueError, match=r"array\[0\] has length 3 while array\[1\] has 2"):
        data.ArrayDataset([1, 2, 3], [1, 2])


def test_transform_is_lazy_and_unpacks_tuples():
    calls = []

    def add(a, b):
        calls.append(a)
        return a + b

    dataset = data.SimpleDataset([(1, 2), (3, 4)]).transform(add)
    assert calls == []
    assert items(dataset) == [3, 7]
    assert items(dataset) == [3, 7] and calls == [1, 3, 1, 3]


def test_transform_eager_runs_once():
    calls = []

    def double(x):
        calls.append(x)
        return 2 * x

    dataset = data.SimpleDataset([1, 2, 3]).transform(double, lazy=False)
    assert calls == [1, 2, 3]
    assert items(dataset) == [2, 4, 6] and calls == [1, 2, 3]
    assert isinstance(dataset, data.SimpleDataset)


def test_transform_first():
    pairs = data.SimpleDataset([(1, "a"), (2, "b")])
    assert items(pairs.transform_first(lambda x: x * 10)) == [(10, "a"), (20, "b")]
    assert items(pairs.transform_first(lambda x: x * 10, lazy=False)) == [(10, "a"), (20, "b")]
    assert items(data.SimpleDataset([1, 2]).transform_first(lambda x: -x)) == [-1, -2]


def test_filter():
    dataset = data.SimpleDataset(list(range(10))).filter(lambda x: x % 3 == 0)
    assert items(dataset) == [0, 3, 6, 9]
    assert items(data.SimpleDataset([1, 2]).filter(lambda x: False)) == []


@pytest.mark.parametrize("length, shards", [(10, 3), (9, 3), (2, 3), (0, 2), (7, 1)])
def test_shards_split_the_dataset_in_order(length, shards):
    dataset = data.SimpleDataset(list(range(length)))
    parts = [items(dataset.shard(shards, i)) for i in range(shards)]
    assert sum(parts, []) == list(range(length))
    sizes = [len(part) for part in parts]
    assert max(sizes) - min(sizes) <= 1 and sizes == sorted(sizes, reverse=True)


def test_shard_errors():
    dataset = data.SimpleDataset([1, 2, 3])
    with pytest.raises(MXNetValueError, match="index 3 is out of range for 3 shards"):
        dataset.shard(3, 3)
    with pytest.raises(MXNetValueError, match="index -1"):
        dataset.shard(3, -1)
    with pytest.raises(MXNetValueError, match="num_shards must be positive"):
        dataset.shard(0, 0)


def test_take():
    dataset = data.SimpleDataset([5, 6, 7])
    assert items(dataset.take(2)) == [5, 6]
    assert items(dataset.take(10)) == [5, 6, 7]
    assert items(dataset.take(None)) == [5, 6, 7]
    assert items(dataset.take(0)) == []


def test_sample():
    dataset = data.SimpleDataset(list("abcdef"))
    assert items(dataset.sample(data.IntervalSampler(6, 2))) == list("acebdf")
    with pytest.raises(MXNetTypeError, match="invalid sampler type list"):
        dataset.sample([0, 1])


def test_views_chain():
    dataset = (
        data.SimpleDataset(list(range(20)))
        .transform(lambda x: x * 2)
        .filter(lambda x: x % 4 == 0)
        .shard(2, 1)
        .take(3)
    )
    assert items(dataset) == [20, 24, 28]


def test_dataset_base_is_abstract():
    with pytest.raises(NotImplementedError):
        data.Dataset()[0]
    with pytest.raises(NotImplementedError):
        len(data.Dataset())


def write_records(tmp_path, records):
    recordio = pytest.importorskip("neomx.recordio")
    writer = recordio.MXIndexedRecordIO(str(tmp_path / "d.idx"), str(tmp_path / "d.rec"), "w")
    for i, record in enumerate(records):
        writer.write_idx(i, record)
    writer.close()
    return str(tmp_path / "d.rec")


def test_record_file_dataset(tmp_path):
    records = [bytes([i]) * (i + 1) for i in range(6)]
    dataset = data.RecordFileDataset(write_records(tmp_path, records))
    assert len(dataset) == 6
    assert dataset[3] == records[3]
    assert items(dataset) == records
    assert items(dataset.take(2)) == records[:2]


def test_record_file_dataset_in_worker_processes(tmp_path):
    records = [b"%03d" % i * 50 for i in range(40)]
    dataset = data.RecordFileDataset(write_records(tmp_path, records))
    loader = data.DataLoader(dataset, batch_size=3, num_workers=2, batchify_fn=list)
    for _ in range(2):
        assert sum(loader, []) == records
