"""``neomx summary``: the layer table of a saved model (neomx's or MXNet's checkpoints).

neomx summary runs/lenet                 # the latest runs/lenet-NNNN.params
neomx summary resnet-0010 --shape 1,3,224,224
"""

from __future__ import annotations

import numpy as np

from .. import ndarray as nd
from .. import symbol as sym
from .. import visualization
from .common import DATA_NAME, CLIError, checkpoint_files, input_shape, parse_shape

HELP = "print the layer table of a saved model (PREFIX-symbol.json + PREFIX-NNNN.params)"


def add_arguments(parser):
    parser.add_argument("prefix", metavar="PREFIX", help="PREFIX, PREFIX-EPOCH or a -symbol.json")
    parser.add_argument(
        "--shape",
        help="input shape, e.g. 1,3,32,32 (default: the one saved with the model, if any)",
    )
    parser.add_argument("--line-length", type=int, default=100, help="width of the table")


def run(args):
    symbol_file, params_file, epoch = checkpoint_files(args.prefix, need_params=False)
    symbol = sym.load(symbol_file)
    shape = parse_shape(args.shape) if args.shape else input_shape(symbol)
    if shape is not None:
        if DATA_NAME not in symbol.list_arguments():
            raise CLIError(f"{symbol_file}: the model has no input called {DATA_NAME!r}")
        shape = (shape[0] or 1, *shape[1:])  # a saved shape leaves the batch axis open (0)
    print(f"model {symbol_file}" + (f", input {shape}" if shape else ""))
    visualization.print_summary(
        symbol,
        shape={DATA_NAME: shape} if shape else None,
        line_length=args.line_length,
    )
    if shape is None:
        print("(output shapes and parameter counts need the input shape: --shape 1,C,H,W)")
    if params_file:
        arrays = nd.load(params_file)
        count = sum(int(np.prod(array.shape)) for array in arrays.values())
        print(f"parameters: {params_file} (epoch {epoch}): {len(arrays)} arrays, {count:,} values")
    else:
        print("parameters: none saved next to the model")
    return 0
