"""Build image lists (``.lst``) and RecordIO files (``.rec`` + ``.idx``) from a folder of
images; the command line of MXNet's ``tools/im2rec.py``.

Make a list, one class per sub-folder::

    python -m neomx.tools.im2rec data/train images/ --list --recursive

then pack every ``data/train*.lst`` into ``.rec``/``.idx``::

    python -m neomx.tools.im2rec data/train images/ --resize 256 --quality 90
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .. import recordio
from ..image.codec import decode_to_numpy
from ..image.resize import resize_array

__all__ = ["list_image", "write_list", "make_list", "read_list", "encode_item", "main"]


def list_image(root, recursive, exts):
    """Yield (index, relative path, label) for the images under ``root``.

    With ``recursive`` every folder that holds images is a class, numbered in walk order;
    otherwise only the files directly in ``root`` are listed, all with label 0.
    """
    index = 0
    if recursive:
        classes = {}
        for path, dirs, files in os.walk(root, followlinks=True):
            dirs.sort()
            for fname in sorted(files):
                fpath = os.path.join(path, fname)
                if os.path.isfile(fpath) and os.path.splitext(fname)[1].lower() in exts:
                    label = classes.setdefault(path, len(classes))
                    yield index, os.path.relpath(fpath, root), label
                    index += 1
        for path, label in sorted(classes.items(), key=lambda item: item[1]):
            print(os.path.relpath(path, root), label)
    else:
        for fname in sorted(os.listdir(root)):
            fpath = os.path.join(root, fname)
            if os.path.isfile(fpath) and os.path.splitext(fname)[1].lower() in exts:
                yield index, os.path.relpath(fpath, root), 0
                index += 1


def write_list(path_out, image_list):
    """Write ``index\\tlabel...\\tpath`` lines (labels as ``%f``, as MXNet writes them)."""
    with open(path_out, "w") as stream:
        for item in image_list:
            labels = "".join(f"{label:f}\t" for label in item[2:])
            stream.write(f"{item[0]:d}\t{labels}{item[1]}\n")


def make_list(args):
    """Write the ``.lst`` file(s) for ``args.root``: chunks and train/val/test splits."""
    image_list = list(list_image(args.root, args.recursive, args.exts))
    if args.shuffle:
        # MXNet's im2rec shuffles with Python's random seeded 100; the same lists come out.
        random.Random(100).shuffle(image_list)
    total = len(image_list)
    chunk_size = (total + args.chunks - 1) // args.chunks
    for chunk_index in range(args.chunks):
        chunk = image_list[chunk_index * chunk_size : (chunk_index + 1) * chunk_size]
        suffix = f"_{chunk_index}" if args.chunks > 1 else ""
        train = int(chunk_size * args.train_ratio)
        test = int(chunk_size * args.test_ratio)
        if args.train_ratio == 1.0:
            write_list(args.prefix + suffix + ".lst", chunk)
            continue
        if args.test_ratio:
            write_list(args.prefix + suffix + "_test.lst", chunk[:test])
        if args.train_ratio + args.test_ratio < 1.0:
            write_list(args.prefix + suffix + "_val.lst", chunk[test + train :])
        write_list(args.prefix + suffix + "_train.lst", chunk[test : test + train])


def read_list(path_in):
    """Yield [index, path, label, ...] for each valid line of a ``.lst`` file."""
    with open(path_in) as stream:
        for line in stream:
            fields = [field.strip() for field in line.strip().split("\t")]
            if len(fields) < 3:
                print(f"lst line needs at least 3 fields, got {len(fields)}: {fields}")
                continue
            try:
                yield [int(fields[0]), fields[-1]] + [float(x) for x in fields[1:-1]]
            except ValueError as err:
                print(f"cannot parse lst line {fields}: {err}")


def encode_item(args, item):
    """Return the packed record of one list item, or None (with a message) if it fails."""
    fullpath = os.path.join(args.root, item[1])
    label = item[2:] if len(item) > 3 and args.pack_label else item[2]
    header = recordio.IRHeader(0, label, item[0], 0)
    try:
        with open(fullpath, "rb") as stream:
            raw = stream.read()
        if args.pass_through:
            return recordio.pack(header, raw)
        mode = {1: "color", 0: "gray", -1: "unchanged"}[args.color]
        img = decode_to_numpy(raw, mode=mode, rgb=False)
        if args.center_crop:
            h, w = img.shape[:2]
            if h > w:
                margin = (h - w) // 2
                img = img[margin : margin + w]
            else:
                margin = (w - h) // 2
                img = img[:, margin : margin + h]
        if args.resize:
            h, w = img.shape[:2]
            if h > w:
                new_w, new_h = args.resize, h * args.resize // w
            else:
                new_w, new_h = w * args.resize // h, args.resize
            img = resize_array(img, new_w, new_h, interp=1)
        return recordio.pack_img(header, np.ascontiguousarray(img), args.quality, args.encoding)
    except Exception as err:  # noqa: BLE001 - report the file and go on, as MXNet's tool
        print(f"pack_img error on file {fullpath}: {err}")
        return None


def write_record(args, lst_path, working_dir):
    """Pack the images of one ``.lst`` file into ``<name>.rec`` and ``<name>.idx``."""
    base = os.path.splitext(os.path.basename(lst_path))[0]
    items = list(read_list(lst_path))
    writer = recordio.MXIndexedRecordIO(
        os.path.join(working_dir, base + ".idx"), os.path.join(working_dir, base + ".rec"), "w"
    )
    with writer, ThreadPoolExecutor(max(1, args.num_thread)) as pool:
        for count, (item, packed) in enumerate(
            zip(items, pool.map(lambda it: encode_item(args, it), items))
        ):
            if packed is not None:
                writer.write_idx(item[0], packed)
            if count % 1000 == 0:
                print("count:", count)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        description="Create an image list, or a RecordIO database from an image list",
    )
    parser.add_argument("prefix", help="prefix of input/output lst and rec files")
    parser.add_argument("root", help="folder that holds the images")
    lists = parser.add_argument_group("Options for creating image lists")
    lists.add_argument("--list", action="store_true", help="make a .lst file instead of a .rec")
    lists.add_argument(
        "--exts", nargs="+", default=[".jpeg", ".jpg", ".png"], help="file extensions of images"
    )
    lists.add_argument("--chunks", type=int, default=1, help="number of chunks")
    lists.add_argument("--train-ratio", type=float, default=1.0, help="fraction for training")
    lists.add_argument("--test-ratio", type=float, default=0, help="fraction for testing")
    lists.add_argument(
        "--recursive", action="store_true", help="one label per sub-folder, walking all sub-folders"
    )
    lists.add_argument(
        "--no-shuffle", dest="shuffle", action="store_false", help="keep the listing order"
    )
    records = parser.add_argument_group("Options for creating database")
    records.add_argument(
        "--pass-through",
        action="store_true",
        help="store the image files as they are, without decoding",
    )
    records.add_argument(
        "--resize", type=int, default=0, help="resize the shorter edge to this size (0: keep)"
    )
    records.add_argument("--center-crop", action="store_true", help="crop the centre square")
    records.add_argument(
        "--quality", type=int, default=95, help="JPEG quality, or PNG compression level (0-9)"
    )
    records.add_argument("--num-thread", type=int, default=1, help="encoding threads")
    records.add_argument(
        "--color",
        type=int,
        default=1,
        choices=[-1, 0, 1],
        help="1: colour, 0: grayscale, -1: as stored (alpha kept)",
    )
    records.add_argument(
        "--encoding",
        type=str,
        default=".jpg",
        choices=[".jpg", ".png"],
        help="encoding of the stored images",
    )
    records.add_argument(
        "--pack-label", action="store_true", help="store every label of a multi-label line"
    )
    args = parser.parse_args(argv)
    args.prefix = os.path.abspath(args.prefix)
    args.root = os.path.abspath(args.root)
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.list:
        make_list(args)
        return 0
    working_dir = args.prefix if os.path.isdir(args.prefix) else os.path.dirname(args.prefix)
    found = 0
    for fname in sorted(os.listdir(working_dir)):
        path = os.path.join(working_dir, fname)
        if os.path.isfile(path) and path.startswith(args.prefix) and path.endswith(".lst"):
            print("Creating .rec file from", path, "in", working_dir)
            write_record(args, path, working_dir)
            found += 1
    if not found:
        print(f"Did not find any list file with prefix {args.prefix}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
