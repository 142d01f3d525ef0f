"""``neomx predict``: classify a batch saved as .npy, or an image, with a saved model.

    neomx predict runs/lenet --input batch.npy          # (N, C, H, W) or one (C, H, W)
    neomx predict runs/lenet-0010 --input digit.png --top-k 3
    neomx predict mxnet_model --input x.npy --output probabilities.npy

Images are decoded (grey for one-channel models), resized to the model's input size and
scaled to [0, 1], as ``neomx train`` feeds its datasets; a model saved without its input
shape needs ``--shape``.
"""

from __future__ import annotations

import json
import os

import numpy as np

from .common import CLIError, input_shape, load_model, parse_contexts, parse_shape

HELP = "classify a .npy batch or an image with a saved model; print the top classes"
# Models whose output already holds probabilities (MXNet's classic symbolic heads).
PROBABILITY_OPS = ("SoftmaxOutput", "softmax", "SoftmaxActivation")


def add_arguments(parser):
    parser.add_argument("prefix", metavar="PREFIX", help="PREFIX, PREFIX-EPOCH or a -symbol.json")
    parser.add_argument("--input", required=True, help="a .npy array or an image file")
    parser.add_argument("--shape", help="model input shape, e.g. 1,3,32,32 (default: saved one)")
    parser.add_argument("--top-k", type=int, default=3, help="classes to print per sample")
    parser.add_argument("--ctx", default="cpu(0)", help="device to run on")
    parser.add_argument("--output", help="also save the class probabilities to this .npy file")


def read_npy(path, shape):
    """The array in ``path`` as float32, with a batch axis added to a single sample."""
    try:
        array = np.load(path, allow_pickle=False)  # never unpickle a user's file
    except ValueError as err:
        raise CLIError(f"{path}: not a NumPy .npy array ({err})") from err
    if shape is not None and array.ndim == len(shape) - 1:
        array = array[None]
    if shape is not None and array.ndim != len(shape):
        raise CLIError(f"{path}: array of shape {array.shape}; the model takes {shape}")
    return array.astype(np.float32)


def read_image(path, shape):
    """The image in ``path`` as a (1, C, H, W) float32 batch in [0, 1] for input ``shape``."""
    from .. import image

    if shape is None or len(shape) != 4:
        raise CLIError("the model's input shape is not saved with it: give --shape 1,C,H,W")
    channels, height, width = shape[1:]
    if channels not in (1, 3):
        raise CLIError(f"the model takes {channels}-channel input; images give 1 or 3")
    with open(path, "rb") as stream:
        raw = stream.read()
    picture = image.imdecode(raw, flag=0 if channels == 1 else 1)
    picture = image.imresize(picture, width, height).asnumpy().astype(np.float32) / 255.0
    return picture.transpose(2, 0, 1)[None]


def _gives_probabilities(symbol):
    graph = json.loads(symbol.tojson())
    head = graph["heads"][0][0]
    return graph["nodes"][head]["op"] in PROBABILITY_OPS


def _softmax(scores):
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def run(args):
    from .. import nd

    if not os.path.isfile(args.input):
        raise CLIError(f"--input {args.input}: no such file")
    (ctx,) = parse_contexts(args.ctx)[:1]
    net, symbol, params_file, _, extras = load_model(args.prefix, ctx=ctx)
    shape = parse_shape(args.shape) if args.shape else input_shape(symbol)
    if args.input.lower().endswith(".npy"):
        batch = read_npy(args.input, shape)
    else:
        batch = read_image(args.input, shape)
    inputs = [nd.array(batch, ctx=ctx)]
    inputs += [nd.zeros((len(batch),), ctx=ctx) for _ in extras]  # e.g. softmax_label
    output = net(*inputs)
    if isinstance(output, (list, tuple)):
        output = output[0]
    scores = output.asnumpy().reshape(len(batch), -1)
    probabilities = scores if _gives_probabilities(symbol) else _softmax(scores)
    top = np.argsort(-probabilities, axis=1)[:, : max(args.top_k, 1)]
    print(f"model {params_file}, input {args.input} {tuple(batch.shape)}")
    for index, (row, best) in enumerate(zip(probabilities, top)):
        ranked = ", ".join(f"{k} ({row[k]:.3f})" for k in best)
        print(f"{index}: class {best[0]}   top: {ranked}")
    if args.output:
        np.save(args.output, probabilities)
        print(f"probabilities saved to {args.output}")
    return 0
