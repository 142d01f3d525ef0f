"""What the model-zoo getters share: the pretrained-weight parameters' docs and named variants.

MXNet 1.9.1 writes ``resnet18_v1``, ``vgg11_bn``, ... as one-line functions over a family's
getter; :func:`variant` makes each such function, with its own name and docstring.
"""

from __future__ import annotations

_PRETRAINED_PARAMETERS = """\
    pretrained : bool, default False
        Load MXNet's ImageNet weights (from ``root``, downloading them if missing).
    ctx : Context, default cpu()
        Where to load the pretrained weights.
    root : str, default '$MXNET_HOME/models'
        The store of pretrained weights."""


def document_pretrained(getter):
    """Put the docs of ``pretrained``, ``ctx`` and ``root`` in the slot of ``getter``'s docstring.

    The slot is a line that holds only ``{pretrained_parameters}``.
    """
    getter.__doc__ = getter.__doc__.replace("    {pretrained_parameters}", _PRETRAINED_PARAMETERS)
    return getter


def variant(name, description, getter, *args, **fixed):
    """Return the function ``name(**kwargs)`` that calls ``getter(*args, **fixed, **kwargs)``.

    Examples
    --------
    >>> vgg11_bn = variant("vgg11_bn", "VGG-11 with BatchNorm", get_vgg, 11, batch_norm=True)
    """

    def build(**kwargs):
        return getter(*args, **fixed, **kwargs)

    build.__name__ = build.__qualname__ = name
    build.__module__ = getter.__module__
    build.__doc__ = f"Return {description}; arguments as :func:`{getter.__name__}`."
    return build
