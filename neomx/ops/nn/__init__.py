"""Neural-network operators. Importing this package registers them."""

from . import (  # noqa: F401 - imported to register
    activation,
    batch_norm,
    convolution,
    correlation,
    crop,
    ctc,
    deconvolution,
    dropout,
    embedding,
    fully_connected,
    layer_norm,
    normalize,
    output,
    pooling,
    resize,
    rnn,
    roi_align,
    softmax,
    sparse_reg,
    sync_batch_norm,
)
