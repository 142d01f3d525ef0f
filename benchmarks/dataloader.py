"""Images per second of a CIFAR-like input pipeline through neomx's DataLoader, next to
PyTorch's DataLoader (and MXNet 1.9.1's, where its interpreter is found).

The dataset is decode-free: uint8 arrays of 32x32x3 (HWC) and int labels. Each sample goes
through RandomCrop(32, pad=4) + RandomFlipLeftRight + ToTensor + Normalize, written once below
in NumPy and run unchanged by every framework, so the figures compare the loaders (workers,
batching, hand-over to the main process), not the augmentation kernels; the loaders batch
with their defaults (batch 128). Where ``gluon.data.vision.transforms`` exists, one more row
runs the same pipeline built from those transforms in neomx.

Images/second is the best pass over the dataset (``--images``), after one warm-up pass; workers
are kept between passes (PyTorch: ``persistent_workers``). CPU time per image counts every
pass in the main process and the workers: on a shared machine, where wall times swing with
the load, it is the steadier figure. Run by hand::

    python benchmarks/dataloader.py [--images 10240] [--repeat 3] [--rounds 2] [--workers 0 1 2]
"""

from __future__ import annotations

import functools
import gc
import os
import resource
import sys
import time

import harness
import numpy as np

BATCH = 128
MEAN = np.array([0.4914, 0.4822, 0.4465], dtype="float32").reshape(3, 1, 1)
STD = np.array([0.2470, 0.2435, 0.2616], dtype="float32").reshape(3, 1, 1)


def augment(image, label):
    """RandomCrop(32, pad=4), RandomFlipLeftRight, ToTensor, Normalize of one HWC uint8
    image, in NumPy."""
    padded = np.pad(image, ((4, 4), (4, 4), (0, 0)))
    top, left = np.random.randint(0, 9, size=2)
    crop = padded[top : top + 32, left : left + 32]
    if np.random.rand() < 0.5:
        crop = crop[:, ::-1]
    tensor = crop.transpose(2, 0, 1).astype(np.float32) * np.float32(1 / 255)
    return (tensor - MEAN) / STD, label


def make_data(images):
    rng = np.random.default_rng(0)
    return (
        rng.integers(0, 256, size=(images, 32, 32, 3), dtype=np.uint8),
        rng.integers(0, 10, size=images).astype(np.int64),
    )


def cpu_seconds():
    """CPU seconds used so far by this process and its waited-for children (the workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(make_loader, count, repeat, touch):
    """``[images/second of the best pass, CPU microseconds per image]`` of a loader.

    One warm-up pass, then ``repeat`` timed ones. The CPU time covers all passes in every
    process (the workers are stopped and waited for first), which a busy machine does not
    inflate as it does wall time.
    """
    start_cpu = cpu_seconds()
    loader = make_loader()
    best = float("inf")
    for run in range(repeat + 1):
        start = time.perf_counter()
        seen = 0
        for data, _ in loader:
            touch(data)
            seen += data.shape[0]
        seconds = time.perf_counter() - start
        assert seen == count, (seen, count)
        if run:
            best = min(best, seconds)
    del loader, data
    gc.collect()
    cpu = cpu_seconds() - start_cpu
    return [count / best, cpu / (count * (repeat + 1)) * 1e6]


def neomx_part(options):
    import neomx as mx
    from neomx.gluon import data

    images, labels = make_data(options.images)
    pipelines = {"numpy": data.ArrayDataset(images, labels).transform(augment)}
    try:
        from neomx.gluon.data.vision import transforms
    except ImportError:
        transforms = None
    if transforms is not None:
        chain = transforms.Compose(
            [
                transforms.RandomCrop(32, pad=4),
                transforms.RandomFlipLeftRight(),
                transforms.ToTensor(),
                transforms.Normalize(MEAN.ravel().tolist(), STD.ravel().tolist()),
            ]
        )
        as_nd = data.ArrayDataset(mx.nd.array(images, dtype="uint8"), labels)
        pipelines["vision.transforms"] = as_nd.transform_first(chain)
    result = {}
    for name, dataset in pipelines.items():
        for workers in options.workers:
            result[f"{name}/{workers}"] = measure(
                functools.partial(data.DataLoader, dataset, batch_size=BATCH, num_workers=workers),
                options.images,
                options.repeat,
                lambda x: x.wait_to_read(),
            )
    return result


def torch_part(options):
    import torch
    from torch.utils.data import DataLoader, Dataset

    images, labels = make_data(options.images)

    class Augmented(Dataset):
        def __len__(self):
            return len(labels)

        def __getitem__(self, index):
            return augment(images[index], labels[index])

    result = {}
    for workers in options.workers:
        result[f"numpy/{workers}"] = measure(
            functools.partial(
                DataLoader,
                Augmented(),
                batch_size=BATCH,
                num_workers=workers,
                persistent_workers=workers > 0,
            ),
            options.images,
            options.repeat,
            lambda x: None,
        )
    result["version"] = torch.__version__
    return result


def mxnet_part(options):
    import mxnet as mx
    from mxnet.gluon import data

    images, labels = make_data(options.images)
    dataset = data.ArrayDataset(images, labels).transform(augment)
    result = {}
    for workers in options.workers:
        result[f"numpy/{workers}"] = measure(
            functools.partial(data.DataLoader, dataset, batch_size=BATCH, num_workers=workers),
            options.images,
            options.repeat,
            lambda x: x.wait_to_read(),
        )
    result["version"] = mx.__version__
    return result


PARTS = {"neomx": neomx_part, "torch": torch_part, "mxnet": mxnet_part}


def main():
    parser = harness.argument_parser(__doc__, repeat=3)
    parser.add_argument("--images", type=int, default=10240, help="images per pass")
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--rounds", type=int, default=2, help="alternating runs of each part")
    options = parser.parse_args()
    arguments = ["--images", str(options.images), "--repeat", str(options.repeat)]
    arguments += ["--workers", *map(str, options.workers)]
    if options.only:
        harness.report_part(PARTS[options.only](options))
        return
    here = sys.executable
    parts = [
        ("neomx", here, "neomx", None),
        ("torch", here, "torch", None),
        ("mxnet", harness.mxnet_python(options.mxnet_python), "mxnet", None),
    ]
    # Rounds alternate the frameworks, so that a busy spell of a shared machine does not land
    # on one of them only; each figure is the best of all rounds.
    results: dict = {}
    for _ in range(options.rounds):
        for name, result in harness.run_parts(__file__, parts, arguments):
            best = results.setdefault(name, result)
            if "error" not in result and "error" not in best:
                for key, value in result.items():
                    if key != "version":
                        best[key] = [max(best[key][0], value[0]), min(best[key][1], value[1])]
    print(
        harness.machine_line(),
        f"{options.images} images a pass, batch {BATCH}, {options.rounds} rounds, "
        f"load average {os.getloadavg()[0]:.1f}",
    )
    print("CIFAR-like pipeline: RandomCrop(pad 4) + flip + ToTensor + Normalize")
    labels = [
        ("neomx, numpy pipeline", "neomx", "numpy"),
        ("torch, numpy pipeline", "torch", "numpy"),
        ("mxnet 1.9.1, numpy pipeline", "mxnet", "numpy"),
        ("neomx, vision.transforms", "neomx", "vision.transforms"),
    ]
    for title, column in [
        ("images/second, best pass", 0),
        ("CPU microseconds per image, main process + workers", 1),
    ]:
        print(f"\n{title}")
        headers = ["loader, pipeline", *[f"{w} workers" for w in options.workers]]
        rows = []
        for label, name, pipeline in labels:
            result = results[name]
            if "error" in result:
                rows.append([label, f"n/a: {result['error']}"])
            elif f"{pipeline}/{options.workers[0]}" in result:
                cells = [result[f"{pipeline}/{w}"][column] for w in options.workers]
                rows.append([label, *[f"{cell:,.0f}" for cell in cells]])
        harness.print_table(headers, rows)
    versions = {n: r["version"] for n, r in results.items() if "version" in r}
    if versions:
        print("versions:", ", ".join(f"{n} {v}" for n, v in versions.items()))


if __name__ == "__main__":
    main()
