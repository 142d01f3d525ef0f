"""gluon.data.vision.transforms: shapes, ranges of the random transforms, reproducibility under
mx.random.seed, correct flips, hybridized == imperative, and the image operators' gradients."""

import json

import numpy as np
import pytest

import neomx as mx
from neomx.base import MXNetError
from neomx.gluon.data.vision import transforms as T
from neomx.image import adjust


def _image(h=6, w=8, seed=0):
    rng = np.random.RandomState(seed)
    return mx.nd.array(rng.randint(0, 256, (h, w, 3)), dtype="uint8")


def test_compose_groups_hybrid_blocks():
    t = T.Compose([T.Resize(4), T.CenterCrop(2), T.ToTensor(), T.Cast("float16")])
    assert isinstance(t[2], mx.gluon.nn.HybridSequential) and len(t) == 3
    out = t(_image())
    assert out.shape == (3, 2, 2) and out.dtype == np.float16
    with pytest.raises(MXNetError, match="HybridCompose"):
        T.HybridCompose([T.CenterCrop(2)])


def test_hybridize_keeps_numbers():
    t = T.HybridCompose([T.Resize((5, 3)), T.ToTensor(), T.Normalize(0.5, 0.25)])
    x = _image()
    eager = t(x).asnumpy()
    t.hybridize()
    np.testing.assert_array_equal(t(x).asnumpy(), eager)
    assert eager.shape == (3, 3, 5)


def test_flips_are_correct():
    x = _image()
    seen = set()
    for seed in range(12):
        mx.random.seed(seed)
        lr = T.RandomFlipLeftRight()(x).asnumpy()
        tb = T.RandomFlipTopBottom()(x).asnumpy()
        for out, flipped in ((lr, x.asnumpy()[:, ::-1]), (tb, x.asnumpy()[::-1])):
            flip = np.array_equal(out, flipped)
            assert flip or np.array_equal(out, x.asnumpy())
            seen.add(flip)
    assert seen == {True, False}
    batch = mx.nd.stack(x, x)
    mx.random.seed(3)
    out = T.RandomFlipLeftRight()(batch).asnumpy()
    assert np.array_equal(out, batch.asnumpy()) or np.array_equal(out, batch.asnumpy()[:, :, ::-1])


RANDOM = [
    (T.RandomBrightness(0.3), adjust.adjust_brightness, (0.7, 1.3)),
    (T.RandomContrast(0.3), adjust.adjust_contrast, (0.7, 1.3)),
    (T.RandomSaturation(0.3), adjust.adjust_saturation, (0.7, 1.3)),
    (T.RandomHue(0.2), adjust.adjust_hue, (0.8, 1.2)),
]


@pytest.mark.parametrize("block, kernel, bounds", RANDOM, ids=lambda v: getattr(v, "__name__", ""))
def test_color_jitter_in_range_and_seeded(block, kernel, bounds):
    x = _image().astype("float32")
    mx.random.seed(11)
    first = block(x).asnumpy()
    mx.random.seed(11)
    np.testing.assert_array_equal(block(x).asnumpy(), first)
    # The output is the kernel at some factor in the range: find it on a grid.
    grid = np.linspace(*bounds, 401)
    errors = [np.abs(kernel(x.asnumpy(), a) - first).max() for a in grid]
    assert min(errors) < 2.0


def test_lighting_and_color_jitter_and_gray():
    x = _image().astype("float32")
    mx.random.seed(5)
    out = T.RandomLighting(0.1)(x).asnumpy()
    shift = out - x.asnumpy()
    assert np.allclose(shift, shift[0, 0], atol=1e-4)  # one shift per channel
    jitter = T.RandomColorJitter(0.2, 0.2, 0.2, 0.1)(x)
    assert jitter.shape == x.shape
    gray = T.RandomGray(p=1.0)(_image()).asnumpy()
    assert (gray[..., 0] == gray[..., 1]).all() and (gray[..., 1] == gray[..., 2]).all()
    assert np.array_equal(T.RandomGray(p=0.0)(_image()).asnumpy(), _image().asnumpy())


def test_crops():
    x = _image(8, 10)
    mx.random.seed(2)
    out = T.RandomResizedCrop(4)(x)
    assert out.shape == (4, 4, 3) and out.dtype == np.uint8
    out = T.RandomCrop((6, 5))(x).asnumpy()
    assert out.shape == (5, 6, 3)
    source = x.asnumpy()
    # The crop is a window of the source.
    assert any(
        np.array_equal(source[y : y + 5, c : c + 6], out) for y in range(4) for c in range(5)
    )
    padded = T.RandomCrop(10, pad=2)(mx.nd.ones((8, 10, 3), dtype="uint8")).asnumpy()
    assert padded.shape == (10, 10, 3) and set(np.unique(padded)) <= {0, 1}
    assert T.CenterCrop((4, 2))(x).shape == (2, 4, 3)
    out = T.CropResize(1, 2, 4, 3, size=(8, 6))(x)
    assert out.shape == (6, 8, 3)


def test_rotation_and_apply():
    x = mx.nd.array(np.random.RandomState(0).rand(3, 5, 5).astype(np.float32))
    mx.random.seed(0)
    out = T.RandomRotation((-30, 30))(x)
    assert out.shape == x.shape
    np.testing.assert_allclose(T.Rotate(0)(x).asnumpy(), x.asnumpy(), atol=1e-6)
    with pytest.raises(ValueError, match="angle_limits"):
        T.RandomRotation((10, 5))
    always = T.RandomApply(T.Cast("float16"), p=1.0)
    never = T.RandomApply(T.Cast("float16"), p=0.0)
    assert always(x).dtype == np.float16 and never(x).dtype == np.float32


def test_to_tensor_and_normalize_errors():
    with pytest.raises(MXNetError, match="normalize: mean has 2 values"):
        T.Normalize((0.1, 0.2), 1.0)(mx.nd.ones((3, 2, 2)))
    with pytest.raises(MXNetError, match="to_tensor"):
        T.ToTensor()(mx.nd.ones((2, 2)))


# ---- hybridized == imperative: the transforms trace to mx.sym.image operators -------------

DETERMINISTIC = [
    T.Cast("float16"),
    T.ToTensor(),
    T.Resize((5, 3)),
    T.Resize(4, keep_ratio=True, interpolation=2),
    T.CropResize(1, 2, 4, 3),
    T.CropResize(1, 2, 4, 3, size=(8, 6), interpolation=0),
    T.HybridCompose([T.ToTensor(), T.Normalize((0.1, 0.2, 0.3), (0.5, 0.6, 0.7))]),
]


@pytest.mark.parametrize("block", DETERMINISTIC, ids=lambda b: type(b).__name__)
@pytest.mark.parametrize("dtype", ["uint8", "float32"])
def test_hybridized_equals_imperative(block, dtype):
    x = _image().astype(dtype)
    eager = block(x).asnumpy()
    block.hybridize()
    try:
        hybrid = block(x).asnumpy()
    finally:
        block.hybridize(False)
    assert hybrid.dtype == eager.dtype
    np.testing.assert_array_equal(hybrid, eager)


RANDOM_BLOCKS = [
    T.RandomFlipLeftRight(),
    T.RandomFlipTopBottom(),
    T.RandomBrightness(0.3),
    T.RandomContrast(0.3),
    T.RandomSaturation(0.3),
    T.RandomHue(0.2),
    T.RandomColorJitter(0.2, 0.2, 0.2, 0.1),
    T.RandomLighting(0.1),
]


@pytest.mark.parametrize("block", RANDOM_BLOCKS, ids=lambda b: type(b).__name__)
def test_random_hybridized_equals_imperative_under_one_seed(block):
    x = _image().astype("float32")
    mx.random.seed(7)
    eager = [block(x).asnumpy() for _ in range(3)]
    block.hybridize()
    try:
        mx.random.seed(7)
        hybrid = [block(x).asnumpy() for _ in range(3)]
    finally:
        block.hybridize(False)
    for want, got in zip(eager, hybrid):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-4)


def test_hybridized_transforms_are_traced_to_image_operators():
    net = T.HybridCompose([T.RandomFlipLeftRight(), T.ToTensor(), T.Normalize(0.5, 0.25)])
    symbol = net(mx.sym.var("data"))
    ops = [node["op"] for node in json.loads(symbol.tojson())["nodes"]]
    assert ops == ["null", "_image_random_flip_left_right", "_image_to_tensor", "_image_normalize"]
    net.hybridize()
    assert net(_image()).shape == (3, 6, 8)


def test_flip_gradient_follows_the_draw():
    x = mx.nd.array(np.arange(24, dtype=np.float32).reshape(2, 4, 3))
    head = mx.nd.array(np.random.RandomState(0).rand(2, 4, 3))
    seen = set()
    for seed in range(8):
        mx.random.seed(seed)
        x.attach_grad()
        with mx.autograd.record():
            out = mx.nd.image.random_flip_left_right(x)
        out.backward(head)
        flipped = not np.array_equal(out.asnumpy(), x.asnumpy())
        want = head.asnumpy()[:, ::-1] if flipped else head.asnumpy()
        np.testing.assert_array_equal(x.grad.asnumpy(), want)
        seen.add(flipped)
    assert seen == {True, False}


def test_brightness_and_lighting_gradients():
    x = mx.nd.array(np.random.RandomState(1).rand(3, 4, 3) * 255)
    x.attach_grad()
    mx.random.seed(3)
    with mx.autograd.record():
        out = mx.nd.image.random_brightness(x, 0.5, 1.5)
    out.backward(mx.nd.ones_like(out))
    factor = (out / x).asnumpy().mean()
    np.testing.assert_allclose(x.grad.asnumpy(), np.full(x.shape, factor), rtol=1e-5)
    with mx.autograd.record():
        out = mx.nd.image.random_lighting(x, 0.1)
    out.backward(mx.nd.ones_like(out) * 2)
    np.testing.assert_array_equal(x.grad.asnumpy(), np.full(x.shape, 2.0, np.float32))


def test_image_operators_on_symbols_match_ndarrays():
    x = _image().astype("float32")
    data = mx.sym.var("data")
    symbol = mx.sym.image.normalize(
        mx.sym.image.to_tensor(mx.sym.image.crop(data, 1, 1, 4, 3)),
        mean=(0.1, 0.2, 0.3),
        std=(0.5, 0.5, 0.5),
    )
    executor = symbol.bind(mx.cpu(), {"data": x})
    got = executor.forward()[0].asnumpy()
    want = mx.nd.image.normalize(
        mx.nd.image.to_tensor(mx.nd.image.crop(x, 1, 1, 4, 3)),
        mean=(0.1, 0.2, 0.3),
        std=(0.5, 0.5, 0.5),
    ).asnumpy()
    np.testing.assert_array_equal(got, want)
