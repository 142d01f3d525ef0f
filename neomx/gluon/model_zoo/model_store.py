"""Where pretrained model-zoo weights live: the local store and MXNet's public download site.

A file is ``{root}/{name}-{first 8 hex digits of its SHA-1}.params``, the same name MXNet 1.9.1
uses, so a store filled by MXNet (``~/.mxnet/models``) serves neomx unchanged. A missing file is
fetched as ``{repo}gluon/models/{name}-{short hash}.zip`` (``$MXNET_GLUON_REPO`` overrides the
Apache repository) and checked against the SHA-1 table below.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import uuid
import zipfile

from ...base import MXNetError, MXNetValueError, env_flag
from ..utils import check_sha1, download, replace_file

__all__ = ["get_model_file", "purge", "short_hash", "data_dir", "default_root"]

# The SHA-1 of each pretrained file MXNet 1.9.1 publishes (the files' identity; the first eight
# hex digits are part of the file name).
_model_sha1 = {
    "alexnet": "44335d1f0046b328243b32a26a4fbd62d9057b45",
    "densenet121": "f27dbf2dbd5ce9a80b102d89c7483342cd33cb31",
    "densenet161": "b6c8a95717e3e761bd88d145f4d0a214aaa515dc",
    "densenet169": "2603f878403c6aa5a71a124c4a3307143d6820e9",
    "densenet201": "1cdbc116bc3a1b65832b18cf53e1cb8e7da017eb",
    "inceptionv3": "ed47ec45a937b656fcc94dabde85495bbef5ba1f",
    "mobilenet0.25": "9f83e440996887baf91a6aff1cccc1c903a64274",
    "mobilenet0.5": "8e9d539cc66aa5efa71c4b6af983b936ab8701c3",
    "mobilenet0.75": "529b2c7f4934e6cb851155b22c96c9ab0a7c4dc2",
    "mobilenet1.0": "6b8c5106c730e8750bcd82ceb75220a3351157cd",
    "mobilenetv2_1.0": "36da4ff1867abccd32b29592d79fc753bca5a215",
    "mobilenetv2_0.75": "e2be7b72a79fe4a750d1dd415afedf01c3ea818d",
    "mobilenetv2_0.5": "aabd26cd335379fcb72ae6c8fac45a70eab11785",
    "mobilenetv2_0.25": "ae8f9392789b04822cbb1d98c27283fc5f8aa0a7",
    "resnet18_v1": "a0666292f0a30ff61f857b0b66efc0228eb6a54b",
    "resnet34_v1": "48216ba99a8b1005d75c0f3a0c422301a0473233",
    "resnet50_v1": "0aee57f96768c0a2d5b23a6ec91eb08dfb0a45ce",
    "resnet101_v1": "d988c13d6159779e907140a638c56f229634cb02",
    "resnet152_v1": "671c637a14387ab9e2654eafd0d493d86b1c8579",
    "resnet18_v2": "a81db45fd7b7a2d12ab97cd88ef0a5ac48b8f657",
    "resnet34_v2": "9d6b80bbc35169de6b6edecffdd6047c56fdd322",
    "resnet50_v2": "ecdde35339c1aadbec4f547857078e734a76fb49",
    "resnet101_v2": "18e93e4f48947e002547f50eabbcc9c83e516aa6",
    "resnet152_v2": "f2695542de38cf7e71ed58f02893d82bb409415e",
    "squeezenet1.0": "264ba4970a0cc87a4f15c96e25246a1307caf523",
    "squeezenet1.1": "33ba0f93753c83d86e1eb397f38a667eaf2e9376",
    "vgg11": "dd221b160977f36a53f464cb54648d227c707a05",
    "vgg11_bn": "ee79a8098a91fbe05b7a973fed2017a6117723a8",
    "vgg13": "6bc5de58a05a5e2e7f493e2d75a580d83efde38c",
    "vgg13_bn": "7d97a06c3c7a1aecc88b6e7385c2b373a249e95e",
    "vgg16": "e660d4569ccb679ec68f1fd3cce07a387252a90a",
    "vgg16_bn": "7f01cf050d357127a73826045c245041b0df7363",
    "vgg19": "ad2f660d101905472b83590b59708b71ea22b2e5",
    "vgg19_bn": "f360b758e856f1074a85abd5fd873ed1d98297c3",
}

apache_repo_url = "https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/"
_url_format = "{repo_url}gluon/models/{file_name}.zip"

_log = logging.getLogger(__name__)


def data_dir():
    """Return neomx's data directory: ``$MXNET_HOME``, else ``~/.mxnet`` (as MXNet 1.9.1)."""
    if os.name == "nt":
        default = os.path.join(os.environ.get("APPDATA", "~"), "mxnet")
    else:
        default = os.path.join(os.path.expanduser("~"), ".mxnet")
    return env_flag("MXNET_HOME", default)


def default_root():
    """Return the default store of pretrained weights, ``$MXNET_HOME/models``."""
    return os.path.join(data_dir(), "models")


def short_hash(name):
    """Return the eight-digit hash that names the pretrained file of model ``name``.

    >>> short_hash('resnet18_v1')
    'a0666292'
    """
    if name not in _model_sha1:
        raise MXNetValueError(
            f"Pretrained model for {name} is not available. Models with pretrained weights: "
            + ", ".join(sorted(_model_sha1))
        )
    return _model_sha1[name][:8]


def get_model_file(name, root=None):
    """Return the path of the pretrained weights of model ``name``, downloading them if needed.

    The file is looked for in ``root`` (default ``$MXNET_HOME/models``); a missing file, or one
    whose SHA-1 does not match, is downloaded from MXNet's model repository
    (``$MXNET_GLUON_REPO`` overrides it) and checked.

    Parameters
    ----------
    name : str
        The model's name, as ``vision.get_model`` takes it (``'resnet18_v1'``).
    root : str, optional
        The directory holding the ``.params`` files.

    Returns
    -------
    str
        The path of ``{name}-{short hash}.params`` in ``root``.

    Examples
    --------
    >>> get_model_file('resnet18_v1', root='~/.mxnet/models')  # doctest: +SKIP
    '/home/me/.mxnet/models/resnet18_v1-a0666292.params'
    """
    file_name = f"{name}-{short_hash(name)}"
    root = os.path.expanduser(default_root() if root is None else root)
    file_path = os.path.join(root, file_name + ".params")
    sha1_hash = _model_sha1[name]
    if os.path.exists(file_path):
        if check_sha1(file_path, sha1_hash):
            return file_path
        _log.warning(
            "Mismatch in the content of model file %s detected. Downloading again.", file_path
        )
    else:
        _log.info("Model file not found. Downloading to %s.", file_path)

    os.makedirs(root, exist_ok=True)
    repo_url = env_flag("MXNET_GLUON_REPO", apache_repo_url)
    if not repo_url.endswith("/"):
        repo_url += "/"
    url = _url_format.format(repo_url=repo_url, file_name=file_name)
    zip_path = os.path.join(root, f"{file_name}.zip{uuid.uuid4()}")
    try:
        download(url, path=zip_path, overwrite=True)
    except MXNetError as err:
        # The underlying failure (say, a name-resolution error), not download()'s advice about
        # the temporary zip file.
        cause = err.__cause__ if err.__cause__ is not None else err
        reason = getattr(cause, "reason", cause)
        raise MXNetError(
            f"get_model_file: could not download the pretrained weights of '{name}' from "
            f"{url}: {reason}. Offline, put the file {file_name}.params (SHA-1 {sha1_hash}) in "
            f"{root}, or pass root= (or set MXNET_HOME) to the directory that holds it."
        ) from err
    try:
        with zipfile.ZipFile(zip_path) as archive:
            extract_dir = tempfile.mkdtemp(dir=root)
            try:
                archive.extractall(extract_dir)
                replace_file(os.path.join(extract_dir, file_name + ".params"), file_path)
            finally:
                shutil.rmtree(extract_dir, ignore_errors=True)
    finally:
        os.remove(zip_path)
    if not check_sha1(file_path, sha1_hash):
        raise MXNetValueError(
            f"get_model_file: the downloaded {file_path} has a different SHA-1 than "
            f"{sha1_hash}. Please try again."
        )
    return file_path


def purge(root=None):
    """Delete every ``.params`` file in the pretrained-weights store ``root``."""
    root = os.path.expanduser(default_root() if root is None else root)
    for file_name in os.listdir(root):
        if file_name.endswith(".params"):
            os.remove(os.path.join(root, file_name))


def load_pretrained(net, name, ctx=None, root=None):
    """Load the pretrained weights of model ``name`` into ``net`` (on ``ctx``); return ``net``."""
    net.load_parameters(get_model_file(name, root=root), ctx=ctx)
    return net
