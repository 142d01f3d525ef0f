"""mx.image augmenters and ImageIter: ranges of the random ones, reproducibility under
mx.random.seed, and the last-batch policies."""

import os

import numpy as np
import pytest

import neomx as mx
from neomx.base import MXNetError

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "image")
REC = os.path.join(FIXTURES, "images.rec")
IDX = os.path.join(FIXTURES, "images.idx")


def _image(h=8, w=10):
    return mx.nd.array(np.random.RandomState(0).randint(0, 256, (h, w, 3)), dtype="uint8")


def test_create_augmenter_lists():
    names = [
        type(a).__name__
        for a in mx.image.CreateAugmenter(
            (3, 4, 4),
            resize=6,
            rand_crop=True,
            rand_resize=True,
            rand_mirror=True,
            mean=True,
            std=True,
            brightness=0.1,
            contrast=0.1,
            saturation=0.1,
            hue=0.1,
            pca_noise=0.1,
            rand_gray=0.1,
        )
    ]
    assert names == [
        "ResizeAug",
        "RandomSizedCropAug",
        "HorizontalFlipAug",
        "CastAug",
        "ColorJitterAug",
        "HueJitterAug",
        "LightingAug",
        "RandomGrayAug",
        "ColorNormalizeAug",
    ]
    with pytest.raises(MXNetError, match="rand_crop"):
        mx.image.CreateAugmenter((3, 4, 4), rand_resize=True)


def test_random_augmenters_reproducible_and_shaped():
    augs = mx.image.CreateAugmenter(
        (3, 4, 5),
        rand_crop=True,
        rand_mirror=True,
        brightness=0.3,
        contrast=0.3,
        saturation=0.3,
        hue=0.1,
        pca_noise=0.1,
        rand_gray=0.5,
        mean=True,
        std=True,
    )
    runs = []
    for _ in range(2):
        mx.random.seed(4)
        x = _image()
        for aug in augs:
            x = aug(x)
        runs.append(x.asnumpy())
    assert runs[0].shape == (4, 5, 3) and runs[0].dtype == np.float32
    np.testing.assert_array_equal(runs[0], runs[1])


def test_jitter_ranges():
    x = _image().astype("float32")
    mx.random.seed(1)
    for _ in range(5):
        out = mx.image.BrightnessJitterAug(0.2)(x.copy()).asnumpy()
        ratio = out[x.asnumpy() > 0] / x.asnumpy()[x.asnumpy() > 0]
        assert np.allclose(ratio, ratio[0], rtol=1e-5) and 0.8 <= ratio[0] <= 1.2
    out = mx.image.RandomGrayAug(1.0)(x).asnumpy()
    assert np.allclose(out[..., 0], out[..., 1]) and np.allclose(out[..., 1], out[..., 2])
    flipped = mx.image.HorizontalFlipAug(1.0)(x).asnumpy()
    np.testing.assert_array_equal(flipped, x.asnumpy()[:, ::-1])
    crop = mx.image.RandomSizedCropAug((3, 3), 0.3, (0.75, 1.33))(_image())
    assert crop.shape == (3, 3, 3)
    assert mx.image.RandomCropAug((4, 2))(_image()).shape == (2, 4, 3)
    assert mx.image.ResizeAug(4)(_image()).shape == (4, 5, 3)
    assert mx.image.HueJitterAug(0.1)(x).shape == x.shape
    shifted = mx.image.LightingAug(0.1, [55.46, 4.794, 1.148], np.eye(3))(x.copy()).asnumpy()
    delta = shifted - x.asnumpy()
    assert np.allclose(delta, delta[0, 0], atol=1e-4)


def test_random_crop_and_helpers():
    x = _image()
    mx.random.seed(0)
    out, (x0, y0, w, h) = mx.image.random_crop(x, (4, 3))
    np.testing.assert_array_equal(out.asnumpy(), x.asnumpy()[y0 : y0 + 3, x0 : x0 + 4])
    assert mx.image.scale_down((640, 480), (720, 120)) == (640, 106)
    with pytest.raises(MXNetError, match="cannot decode"):
        mx.image.imdecode(b"not an image")
    with pytest.raises(MXNetError, match="cannot read"):
        mx.image.imread(os.path.join(FIXTURES, "missing.png"))
    with pytest.raises(ValueError, match="interp"):
        mx.image.imresize(x, 3, 3, interp=7)


@pytest.mark.parametrize("handle, pads", [("pad", [0, 1]), ("discard", [0])])
def test_image_iter_last_batch(handle, pads):
    it = mx.image.ImageIter(
        2,
        (3, 4, 4),
        path_imgrec=REC,
        path_imgidx=IDX,
        last_batch_handle=handle,
        aug_list=[mx.image.ForceResizeAug((4, 4)), mx.image.CastAug()],
    )
    it2 = mx.image.ImageIter(
        2,
        (3, 4, 4),
        path_imgrec=REC,
        path_imgidx=IDX,
        last_batch_handle=handle,
        aug_list=[mx.image.ForceResizeAug((4, 4)), mx.image.CastAug()],
    )
    assert it.provide_data[0].shape == (2, 3, 4, 4)
    # Keep 3 of the 4 records: with batch 2 the last batch is short.
    it.seq = it.seq[:3]
    it.num_image = 3
    batches = list(it)
    assert [b.pad for b in batches] == pads
    it.reset()
    assert len(list(it)) == len(batches)
    assert len(list(it2)) == 2


def test_image_iter_roll_over_and_shuffle():
    aug = [mx.image.ForceResizeAug((4, 4)), mx.image.CastAug()]
    it = mx.image.ImageIter(
        3, (3, 4, 4), path_imgrec=REC, path_imgidx=IDX, last_batch_handle="roll_over", aug_list=aug
    )
    assert [b.pad for b in it] == [0]
    it.reset()
    # The remainder (1 image) is completed from the new epoch; MXNet reports pad=2 for it.
    first = it.next()
    assert first.pad == 2 and first.data[0].shape == (3, 3, 4, 4)
    labels = []
    for seed in (1, 1):
        mx.random.seed(seed)
        shuffled = mx.image.ImageIter(
            4, (3, 4, 4), path_imgrec=REC, path_imgidx=IDX, shuffle=True, aug_list=aug
        )
        labels.append(shuffled.next().label[0].asnumpy())
    np.testing.assert_array_equal(labels[0], labels[1])
    assert sorted(labels[0]) == [1.0, 1.0, 3.0, 7.0]


def test_image_iter_from_list(tmp_path):
    lst = tmp_path / "imgs.lst"
    lst.write_text("0\t1.000000\trgb.png\n1\t0.000000\tbig.jpg\n")
    it = mx.image.ImageIter(
        2, (3, 5, 5), path_imglist=str(lst), path_root=os.path.join(FIXTURES, "src")
    )
    batch = it.next()
    assert batch.data[0].shape == (2, 3, 5, 5)
    np.testing.assert_array_equal(batch.label[0].asnumpy(), [1.0, 0.0])
    listed = mx.image.ImageIter(
        1, (3, 5, 5), imglist=[[2.0, "rgb.png"]], path_root=os.path.join(FIXTURES, "src")
    )
    assert listed.next().label[0].asnumpy()[0] == 2.0
