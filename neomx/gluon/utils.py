"""``gluon.utils``: splitting batches across devices, gradient clipping, downloads."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
import urllib.error
import urllib.request
import uuid
import warnings

import numpy as np

from .. import ndarray as nd
from ..base import MXNetError, MXNetValueError
from .parameter import shape_is_known

__all__ = [
    "split_data",
    "split_and_load",
    "clip_global_norm",
    "check_sha1",
    "download",
    "shape_is_known",
    "replace_file",
]


def split_data(data, num_slice, batch_axis=0, even_split=True):
    """Split ``data`` into ``num_slice`` slices along ``batch_axis``.

    With ``even_split=False`` the first slices get one more element when the size does not
    divide evenly.

    >>> [s.shape for s in mx.gluon.utils.split_data(mx.nd.zeros((5, 2)), 2, even_split=False)]
    [(3, 2), (2, 2)]
    """
    size = data.shape[batch_axis]
    if size < num_slice:
        raise MXNetValueError(
            f"Too many slices for data with shape {data.shape}. Arguments are "
            f"num_slice={num_slice} and batch_axis={batch_axis}."
        )
    if even_split and size % num_slice != 0:
        raise MXNetValueError(
            f"data with shape {data.shape} cannot be evenly split into {num_slice} slices "
            f"along axis {batch_axis}. Use a batch size that's multiple of {num_slice} or set "
            "even_split=False to allow uneven partitioning of data."
        )
    each, extra = divmod(size, num_slice)
    bounds = np.cumsum([0] + [each + 1] * extra + [each] * (num_slice - extra)).tolist()
    if batch_axis == 0:
        return [data[bounds[i] : bounds[i + 1]] for i in range(num_slice)]
    return [
        nd.slice_axis(data, axis=batch_axis, begin=bounds[i], end=bounds[i + 1])
        for i in range(num_slice)
    ]


def split_and_load(data, ctx_list, batch_axis=0, even_split=True):
    """Split ``data`` along ``batch_axis`` and put slice i on ``ctx_list[i]``.

    >>> parts = mx.gluon.utils.split_and_load(mx.nd.ones((4, 2)), [mx.cpu(0), mx.cpu(1)])
    >>> [(p.shape, str(p.context)) for p in parts]
    [((2, 2), 'cpu(0)'), ((2, 2), 'cpu(1)')]
    """
    if isinstance(data, np.ndarray):
        data = nd.array(data, ctx=ctx_list[0])
    if len(ctx_list) == 1:
        return [data.as_in_context(ctx_list[0])]
    slices = split_data(data, len(ctx_list), batch_axis, even_split)
    return [piece.as_in_context(ctx) for piece, ctx in zip(slices, ctx_list)]


def clip_global_norm(arrays, max_norm, check_isfinite=True):
    """Scale ``arrays`` in place so that their joint 2-norm is at most ``max_norm``.

    Returns the norm before clipping (a float; an NDArray when ``check_isfinite`` is False,
    which avoids a synchronisation). A NaN or infinite norm gives a warning.

    >>> a = mx.nd.array([3., 4.])
    >>> float(mx.gluon.utils.clip_global_norm([a], 1.0))
    5.0
    """
    if len(arrays) == 0:
        raise MXNetValueError("clip_global_norm: arrays must not be empty")
    ctx = arrays[0].context
    squares = []
    for array in arrays:
        flat = array.reshape((-1,))
        squares.append(nd.dot(flat, flat).as_in_context(ctx))
    total = nd.sqrt(nd.add_n(*squares) if len(squares) > 1 else squares[0])
    if check_isfinite and not np.isfinite(total.asscalar()):
        warnings.warn(
            "nan or inf is detected. Clipping results will be undefined.",
            UserWarning,
            stacklevel=2,
        )
    scale = max_norm / (total + 1e-8)
    scale = nd.min(nd.concat(scale, nd.ones(1, ctx=ctx, dtype=scale.dtype), dim=0))
    for array in arrays:
        array *= scale.as_in_context(array.context).astype(array.dtype, copy=False)
    return total.asscalar() if check_isfinite else total


def check_sha1(filename, sha1_hash):
    """Return whether the SHA-1 of the file's contents is ``sha1_hash`` (hex)."""
    digest = hashlib.sha1()
    with open(filename, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest() == sha1_hash


def replace_file(src, dst):
    """Move ``src`` over ``dst`` atomically."""
    os.replace(src, dst)


def download(url, path=None, overwrite=False, sha1_hash=None, retries=5, verify_ssl=True):
    """Download ``url`` to ``path`` (a file, or a directory to put it in); return the file.

    An existing file is kept unless ``overwrite`` or its SHA-1 differs from ``sha1_hash``.
    Failed attempts are retried ``retries`` times; the file appears only when complete.

    >>> mx.gluon.utils.download('https://example.com/a.txt', path='data/')  # doctest: +SKIP
    'data/a.txt'
    """
    if path is None:
        fname = url.split("/")[-1]
        if not fname:
            raise MXNetValueError(
                "Can't construct file-name from this URL. Please set the `path` option manually."
            )
    else:
        path = os.path.expanduser(path)
        fname = os.path.join(path, url.split("/")[-1]) if os.path.isdir(path) else path
    if retries < 0:
        raise MXNetValueError(f"Number of retries should be at least 0, currently it's {retries}")
    if not verify_ssl:
        warnings.warn(
            "Unverified HTTPS request is being made (verify_ssl=False). Adding certificate "
            "verification is strongly advised.",
            stacklevel=2,
        )
    if not (
        overwrite or not os.path.exists(fname) or (sha1_hash and not check_sha1(fname, sha1_hash))
    ):
        return fname
    dirname = os.path.dirname(os.path.abspath(os.path.expanduser(fname)))
    os.makedirs(dirname, exist_ok=True)
    context = None
    if not verify_ssl:
        import ssl

        context = ssl._create_unverified_context()
    attempts_left = retries + 1
    while True:
        temporary = f"{fname}.{uuid.uuid4()}"
        try:
            print(f"Downloading {fname} from {url}...")
            with urllib.request.urlopen(url, timeout=60, context=context) as response:
                status = getattr(response, "status", None)
                if status is not None and status != 200 and url.startswith("http"):
                    raise MXNetError(f"Failed downloading url {url}: HTTP status {status}")
                with open(temporary, "wb") as stream:
                    shutil.copyfileobj(response, stream, 1 << 16)
            if sha1_hash and not check_sha1(temporary, sha1_hash):
                raise MXNetError(
                    f"File {fname} is downloaded but the content hash does not match. The repo "
                    "may be outdated or download may be incomplete."
                )
            replace_file(temporary, fname)
            return fname
        except (OSError, MXNetError, ValueError) as err:
            if os.path.exists(temporary):
                os.remove(temporary)
            attempts_left -= 1
            if attempts_left <= 0:
                reason = err.reason if isinstance(err, urllib.error.URLError) else err
                raise MXNetError(
                    f"download: could not fetch {url} after {retries + 1} attempt(s): "
                    f"{reason}. Check the network connection (or the URL), or put the file "
                    f"at {fname} yourself."
                ) from err
            print(
                f"download failed due to {err!r}, retrying, {attempts_left} "
                f"attempt{'s' if attempts_left > 1 else ''} left"
            )
            time.sleep(min(1.0, 0.1 * (retries + 1 - attempts_left)))


def _get_repo_url():
    """Return the base URL of the model repository (``$MXNET_GLUON_REPO``), ending in ``/``.

    Libraries written for MXNet 1.x (GluonNLP, GluonCV) build their download URLs with it.
    """
    from ..base import env_flag
    from .model_zoo.model_store import apache_repo_url

    repo_url = env_flag("MXNET_GLUON_REPO", apache_repo_url)
    return repo_url if repo_url.endswith("/") else repo_url + "/"


def _get_repo_file_url(namespace, filename):
    """Return the URL of ``filename`` under ``namespace`` in the model repository."""
    return f"{_get_repo_url()}{namespace}/{filename}"
