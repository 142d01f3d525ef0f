"""gluon.utils: split_data, split_and_load, clip_global_norm, check_sha1, download."""

from __future__ import annotations

import functools
import hashlib
import http.server
import threading

import numpy as np
import pytest

import neomx as mx
from neomx.base import MXNetError
from neomx.gluon import utils


def test_split_data_even_and_uneven():
    data = mx.nd.arange(10).reshape((5, 2))
    with pytest.raises(ValueError, match="even_split=False"):
        utils.split_data(data, 2)
    parts = utils.split_data(data, 2, even_split=False)
    assert [p.shape for p in parts] == [(3, 2), (2, 2)]
    np.testing.assert_array_equal(np.concatenate([p.asnumpy() for p in parts]), data.asnumpy())
    cols = utils.split_data(mx.nd.ones((2, 6)), 3, batch_axis=1)
    assert [p.shape for p in cols] == [(2, 2)] * 3
    with pytest.raises(ValueError, match="Too many slices"):
        utils.split_data(data, 6)


def test_split_and_load_places_slices():
    ctxs = [mx.cpu(0), mx.cpu(1)]
    parts = utils.split_and_load(np.arange(8, dtype="float32").reshape(4, 2), ctxs)
    assert [p.context for p in parts] == ctxs
    np.testing.assert_array_equal(parts[1].asnumpy(), [[4, 5], [6, 7]])
    (whole,) = utils.split_and_load(mx.nd.ones((3, 2)), [mx.cpu(1)])
    assert whole.context == mx.cpu(1) and whole.shape == (3, 2)
    with pytest.raises(ValueError, match="evenly"):
        utils.split_and_load(mx.nd.ones((3, 2)), ctxs)


def test_clip_global_norm():
    a, b = mx.nd.array([3.0, 0.0]), mx.nd.array([[4.0]])
    norm = utils.clip_global_norm([a, b], 1.0)
    assert norm == pytest.approx(5.0)
    np.testing.assert_allclose(a.asnumpy(), [0.6, 0.0], rtol=1e-6)
    np.testing.assert_allclose(b.asnumpy(), [[0.8]], rtol=1e-6)
    small = mx.nd.array([0.1, 0.1])
    returned = utils.clip_global_norm([small], 1.0, check_isfinite=False)
    assert isinstance(returned, mx.nd.NDArray)
    np.testing.assert_allclose(small.asnumpy(), [0.1, 0.1], rtol=1e-6)


def test_clip_global_norm_warns_on_nan():
    with pytest.warns(UserWarning, match="nan or inf"):
        norm = utils.clip_global_norm([mx.nd.array([np.nan, 1.0])], 1.0)
    assert np.isnan(norm)


def test_shape_is_known():
    assert utils.shape_is_known((2, 3))
    assert not utils.shape_is_known((2, 0))
    assert not utils.shape_is_known(None)
    assert not utils.shape_is_known(())


def _sha1(data):
    return hashlib.sha1(data).hexdigest()


def test_check_sha1(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"neomx")
    assert utils.check_sha1(str(path), _sha1(b"neomx"))
    assert not utils.check_sha1(str(path), _sha1(b"other"))


@pytest.fixture
def server(tmp_path):
    """A local HTTP server serving tmp_path/www."""
    root = tmp_path / "www"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_download_http_sha1_and_overwrite(server, tmp_path, capsys):
    root, base = server
    (root / "model.bin").write_bytes(b"weights-v1")
    target = tmp_path / "out"
    target.mkdir()
    got = utils.download(f"{base}/model.bin", path=str(target), sha1_hash=_sha1(b"weights-v1"))
    assert got == str(target / "model.bin")
    assert (target / "model.bin").read_bytes() == b"weights-v1"
    # Present with the right hash: not fetched again.
    (root / "model.bin").write_bytes(b"weights-v2")
    utils.download(f"{base}/model.bin", path=str(target), sha1_hash=_sha1(b"weights-v1"))
    assert (target / "model.bin").read_bytes() == b"weights-v1"
    utils.download(f"{base}/model.bin", path=str(target), overwrite=True)
    assert (target / "model.bin").read_bytes() == b"weights-v2"
    # A wrong hash fails after the retries and leaves no partial file behind.
    with pytest.raises(MXNetError, match="hash does not match"):
        utils.download(
            f"{base}/model.bin", path=str(tmp_path / "x.bin"), sha1_hash=_sha1(b"nope"), retries=1
        )
    assert not list(tmp_path.glob("x.bin*"))
    capsys.readouterr()


def test_download_file_url_and_missing(tmp_path, capsys):
    source = tmp_path / "src.txt"
    source.write_bytes(b"hello")
    got = utils.download(source.as_uri(), path=str(tmp_path / "copy.txt"))
    with open(got, "rb") as stream:
        assert stream.read() == b"hello"
    with pytest.raises(MXNetError, match="could not fetch.*put the file"):
        utils.download((tmp_path / "absent.txt").as_uri(), path=str(tmp_path / "a.txt"), retries=0)
    capsys.readouterr()


def test_download_http_404(server, tmp_path, capsys):
    _, base = server
    with pytest.raises(MXNetError, match="404"):
        utils.download(f"{base}/missing.bin", path=str(tmp_path / "m.bin"), retries=0)
    capsys.readouterr()
