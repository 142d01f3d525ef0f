"""What several subcommands share: contexts from text, saved models (checkpoints) on disk."""

from __future__ import annotations

import ast
import glob
import os
import re

from .. import context, gluon
from .. import ndarray as nd
from .. import symbol as sym

# A checkpoint is MXNet's pair PREFIX-symbol.json + PREFIX-NNNN.params (HybridBlock.export,
# mx.model.save_checkpoint). ``neomx train`` adds PREFIX-NNNN.states (the Trainer's state).
SYMBOL_SUFFIX = "-symbol.json"
DATA_NAME = "data"
# The input shape (batch axis 0 = any) is kept as the data variable's ``__shape__`` attribute,
# which MXNet 1.x itself writes for ``mx.sym.var('data', shape=...)`` and reads back.
SHAPE_ATTR = "__shape__"

_CONTEXT = re.compile(r"^(cpu|gpu|cpu_pinned)(?:\((\d+)\))?$")


class CLIError(Exception):
    """An error the user can fix; the command line prints it as one line and exits with 2."""


def require(module, extra, package=None):
    """Import and return ``module``, or raise CLIError naming the extra that installs it."""
    try:
        return __import__(module)
    except ImportError as err:
        raise CLIError(
            f"{package or module} is needed here and is not installed: pip install 'neomx[{extra}]'"
        ) from err


def parse_contexts(text):
    """``'cpu(0),cpu(1)'`` -> [cpu(0), cpu(1)]; also ``cpu``, ``gpu(1)``, ``cpu_pinned(0)``."""
    contexts = []
    for item in text.split(","):
        match = _CONTEXT.match(item.strip())
        if not match:
            raise CLIError(
                f"bad --ctx {text!r}: {item.strip()!r} is not a device; "
                "write e.g. cpu(0) or cpu(0),cpu(1) or gpu(0)"
            )
        kind, index = match.group(1), int(match.group(2) or 0)
        if kind == "gpu" and index >= context.num_gpus():
            raise CLIError(
                f"bad --ctx {text!r}: gpu({index}) requested, but {context.num_gpus()} GPU(s) "
                "are available (GPUs need CuPy: pip install 'neomx[gpu]')"
            )
        contexts.append(context.Context(kind, index))
    if len(set(contexts)) != len(contexts):
        raise CLIError(f"bad --ctx {text!r}: a device is listed twice")
    return contexts


def parse_shape(text):
    """``'1,3,32,32'`` or ``'(1, 3, 32, 32)'`` -> (1, 3, 32, 32)."""
    try:
        shape = tuple(int(part) for part in text.strip("()[] ").split(",") if part.strip())
    except ValueError:
        shape = ()
    if not shape or any(size < 0 for size in shape):
        raise CLIError(f"bad --shape {text!r}: write the input shape as e.g. 1,1,28,28")
    return shape


# ---- checkpoints --------------------------------------------------------------------------


def split_checkpoint(name):
    """``'runs/lenet-0003'`` -> ('runs/lenet', 3); ``'runs/lenet'`` -> ('runs/lenet', None)."""
    name = os.fspath(name)
    if name.endswith(SYMBOL_SUFFIX):
        return name[: -len(SYMBOL_SUFFIX)], None
    if name.endswith(".params"):
        name = name[: -len(".params")]
    prefix, dash, epoch = name.rpartition("-")
    if dash and epoch.isdigit() and not os.path.exists(name + SYMBOL_SUFFIX):
        return prefix, int(epoch)
    return name, None


def latest_epoch(prefix):
    """The highest NNNN of the files PREFIX-NNNN.params, or None when there are none."""
    pattern = re.compile(re.escape(os.path.basename(prefix)) + r"-(\d+)\.params$")
    epochs = [
        int(match.group(1))
        for path in glob.glob(glob.escape(prefix) + "-*.params")
        if (match := pattern.match(os.path.basename(path)))
    ]
    return max(epochs, default=None)


def checkpoint_files(name, need_params=True):
    """(symbol file, params file or None, epoch) of the checkpoint ``name``.

    ``name`` is PREFIX (then the latest epoch), PREFIX-NNNN, or one of the files itself.
    """
    prefix, epoch = split_checkpoint(name)
    symbol_file = prefix + SYMBOL_SUFFIX
    if not os.path.isfile(symbol_file):
        raise CLIError(f"no saved model at {name!r}: {symbol_file} does not exist")
    explicit = epoch is not None
    if epoch is None:
        epoch = latest_epoch(prefix)
    params_file = None if epoch is None else f"{prefix}-{epoch:04d}.params"
    if params_file is None or not os.path.isfile(params_file):
        if need_params or explicit:
            wanted = params_file or f"{prefix}-NNNN.params"
            raise CLIError(f"no parameters for the model {symbol_file}: {wanted} does not exist")
        params_file = None
    return symbol_file, params_file, epoch


def input_shape(symbol):
    """The data input's shape recorded in ``symbol`` (``__shape__``), or None."""
    try:
        text = symbol.get_internals()[DATA_NAME].attr(SHAPE_ATTR)
    except (KeyError, ValueError, IndexError):
        return None
    return tuple(ast.literal_eval(text)) if text else None


def extra_inputs(symbol, params_file):
    """The inputs of ``symbol`` other than data that the params file does not hold (the
    ``softmax_label`` of a model trained with SoftmaxOutput, say)."""
    saved = set()
    if params_file:
        saved = {key.split(":", 1)[-1] for key in nd.load(params_file)}
    inputs = symbol.list_arguments() + symbol.list_auxiliary_states()
    return [name for name in inputs if name != DATA_NAME and name not in saved]


def load_model(name, ctx=None):
    """(SymbolBlock, symbol, params file, epoch, names of extra inputs) of a checkpoint."""
    symbol_file, params_file, epoch = checkpoint_files(name)
    symbol = sym.load(symbol_file)
    if DATA_NAME not in symbol.list_arguments():
        raise CLIError(f"{symbol_file}: the model has no input called {DATA_NAME!r}")
    extras = extra_inputs(symbol, params_file)
    block = gluon.SymbolBlock.imports(symbol_file, [DATA_NAME, *extras], params_file, ctx=ctx)
    return block, symbol, params_file, epoch, extras


def save_model(net, prefix, epoch, shape):
    """Save ``net`` as the checkpoint PREFIX-symbol.json + PREFIX-NNNN.params.

    The graph is traced from a data variable carrying ``shape`` (batch axis 0), hybridized or
    not; the parameters are split into ``arg:`` and ``aux:`` entries as MXNet writes them.
    Returns the two file names.
    """
    symbol = net(sym.var(DATA_NAME, shape=(0, *shape[1:])))
    if isinstance(symbol, (list, tuple)):
        symbol = symbol[0]
    directory = os.path.dirname(prefix)
    if directory:
        os.makedirs(directory, exist_ok=True)
    symbol_file = prefix + SYMBOL_SUFFIX
    symbol.save(symbol_file)
    auxiliary = set(symbol.list_auxiliary_states())
    wanted = set(symbol.list_arguments()) | auxiliary
    arrays = {}
    for name, param in net.collect_params().items():
        if name in wanted:
            kind = "aux" if name in auxiliary else "arg"
            arrays[f"{kind}:{name}"] = param.list_data()[0].copyto(context.cpu())
    params_file = f"{prefix}-{epoch:04d}.params"
    nd.save(params_file, arrays)
    return symbol_file, params_file
