"""Image and RecordIO fixtures from real MXNet 1.9.1, checked in both directions.

Four steps::

    # 1. source images (PNG, JPEG) encoded with Pillow (MXNet's wheel has no encoder in Python)
    /opt/devvenv/bin/python tools/make_image_fixtures.py sources tests/fixtures/image
    # 2. MXNet -> neomx: .rec/.idx written by mxnet and expected outputs of its image functions
    /opt/mxvenv/bin/python tools/make_image_fixtures.py write tests/fixtures/image
    # 3. neomx -> MXNet: the same records written by neomx (+ pack_img records and decodes) ...
    /opt/devvenv/bin/python tools/make_image_fixtures.py neomx-write /tmp/neomx_image
    # 4. ... which mxnet must read back identical
    /opt/mxvenv/bin/python tools/make_image_fixtures.py check /tmp/neomx_image tests/fixtures/image

Outputs in the fixture folder: ``src/*.png|jpg``, ``mx.rec``/``mx.idx`` (records below),
``vector.rec``/``vector.idx`` (shared/FORMATS.md 3.5) and ``expected.npz``.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np

SOURCES = ("rgb.png", "rgb.jpg", "gray.png", "rgba.png", "big.jpg")
MAGIC = b"\x0a\x23\xd7\xce"


def make_pixels():
    """Small deterministic images: smooth gradients plus noise (JPEG-friendly)."""
    rng = np.random.RandomState(7)
    yy, xx = np.mgrid[0:10, 0:13]
    rgb = np.stack([xx * 18, yy * 24, (xx + yy) * 10], axis=-1) + rng.randint(0, 20, (10, 13, 3))
    yy, xx = np.mgrid[0:24, 0:20]
    big = np.stack([xx * 12, yy * 10, 255 - xx * 6 - yy * 4], axis=-1) + rng.randint(
        0, 9, (24, 20, 3)
    )
    gray = rng.randint(0, 256, (6, 7))
    rgba = np.concatenate([rgb[:5, :6], rng.randint(0, 256, (5, 6, 1))], axis=-1)
    clip = lambda a: np.clip(a, 0, 255).astype(np.uint8)  # noqa: E731
    return {"rgb": clip(rgb), "big": clip(big), "gray": clip(gray), "rgba": clip(rgba)}


def records(src):
    """(key, header, payload) of the records in mx.rec: image files and edge cases."""
    data = {name: open(os.path.join(src, name), "rb").read() for name in SOURCES}
    return [
        (0, (0, 3.0, 100, 0), data["rgb.png"]),
        (1, (0, [1.0, 2.0, 5.0], 101, 0), data["rgb.jpg"]),
        (2, (0, 7.0, 102, 0), data["gray.png"]),
        (5, (0, 1.0, 103, 0), data["big.jpg"]),
        (7, (0, 0.5, 104, 0), b"abc" + MAGIC + b"d" + MAGIC * 2 + b"efgh"),
        (9, (0, [4.0], 105, 0), b""),
    ]


def cmd_sources(out):
    from PIL import Image

    os.makedirs(os.path.join(out, "src"), exist_ok=True)
    pixels = make_pixels()
    Image.fromarray(pixels["rgb"]).save(os.path.join(out, "src", "rgb.png"))
    Image.fromarray(pixels["rgb"]).save(os.path.join(out, "src", "rgb.jpg"), quality=90)
    Image.fromarray(pixels["big"]).save(os.path.join(out, "src", "big.jpg"), quality=95)
    Image.fromarray(pixels["gray"]).save(os.path.join(out, "src", "gray.png"))
    Image.fromarray(pixels["rgba"], "RGBA").save(os.path.join(out, "src", "rgba.png"))


def write_records(mx, out):
    src = os.path.join(out, "src") if os.path.isdir(os.path.join(out, "src")) else None
    writer = mx.recordio.MXIndexedRecordIO(
        os.path.join(out, "mx.idx"), os.path.join(out, "mx.rec"), "w"
    )
    for key, header, payload in records(src or FIXTURES_SRC):
        writer.write_idx(key, mx.recordio.pack(mx.recordio.IRHeader(*header), payload))
    writer.close()
    writer = mx.recordio.MXIndexedRecordIO(
        os.path.join(out, "vector.idx"), os.path.join(out, "vector.rec"), "w"
    )
    writer.write_idx(0, mx.recordio.pack(mx.recordio.IRHeader(0, 3.0, 7, 0), b"abcde"))
    writer.write_idx(1, mx.recordio.pack(mx.recordio.IRHeader(0, [1.0, 2.0], 8, 0), MAGIC + b"xyz"))
    writer.close()


FIXTURES_SRC = ""


def cmd_write(out):
    import mxnet as mx

    global FIXTURES_SRC
    FIXTURES_SRC = os.path.join(out, "src")
    write_records(mx, out)
    expected = {}
    raw = {name: open(os.path.join(out, "src", name), "rb").read() for name in SOURCES}
    for name, buf in raw.items():
        for flag in (0, 1):
            for to_rgb in (0, 1):
                key = f"decode.{name}.flag{flag}.rgb{to_rgb}"
                expected[key] = mx.image.imdecode(buf, flag=flag, to_rgb=to_rgb).asnumpy()
    img = mx.image.imdecode(raw["rgb.png"])
    big = mx.image.imdecode(raw["big.jpg"])
    for interp in range(5):
        for w, h in ((5, 4), (29, 23), (17, 3), (6, 5)):
            expected[f"resize.u8.{interp}.{w}x{h}"] = mx.image.imresize(img, w, h, interp).asnumpy()
            expected[f"resize.f32.{interp}.{w}x{h}"] = mx.image.imresize(
                img.astype("float32"), w, h, interp
            ).asnumpy()
        expected[f"resize.big.{interp}"] = mx.image.imresize(big, 7, 9, interp).asnumpy()
    expected["resize_short.5"] = mx.image.resize_short(img, 5).asnumpy()
    expected["resize_short.15"] = mx.image.resize_short(img, 15, interp=1).asnumpy()
    expected["center_crop.4x3"] = mx.image.center_crop(img, (4, 3))[0].asnumpy()
    expected["center_crop.20x8"] = mx.image.center_crop(img, (20, 8))[0].asnumpy()
    expected["fixed_crop"] = mx.image.fixed_crop(img, 2, 1, 6, 5, size=(8, 7), interp=1).asnumpy()
    for border in range(5):
        expected[f"border.{border}"] = mx.image.copyMakeBorder(
            img, 1, 2, 3, 1, type=border, value=7
        ).asnumpy()
    fimg = img.astype("float32")
    expected["to_tensor"] = mx.nd.image.to_tensor(img).asnumpy()
    expected["to_tensor.batch"] = mx.nd.image.to_tensor(mx.nd.stack(img, img)).asnumpy()
    tensor = mx.nd.image.to_tensor(img)
    expected["normalize"] = mx.nd.image.normalize(
        tensor, mean=(0.1, 0.2, 0.3), std=(0.5, 0.6, 0.7)
    ).asnumpy()
    for size, keep in (((5, 4), False), (6, True), (8, False)):
        name = f"image_resize.{size}.{int(keep)}"
        expected[name] = mx.nd.image.resize(img, size=size, keep_ratio=keep).asnumpy()
    expected["image_resize.interp2"] = mx.nd.image.resize(img, size=(9, 7), interp=2).asnumpy()
    expected["image_crop"] = mx.nd.image.crop(img, 2, 1, 5, 4).asnumpy()
    for kind, source in (("u8", img), ("f32", fimg)):
        expected[f"brightness.{kind}"] = mx.nd.image.random_brightness(source, 1.3, 1.3).asnumpy()
        expected[f"contrast.{kind}"] = mx.nd.image.random_contrast(source, 0.6, 0.6).asnumpy()
        expected[f"saturation.{kind}"] = mx.nd.image.random_saturation(source, 1.4, 1.4).asnumpy()
        expected[f"hue.{kind}"] = mx.nd.image.random_hue(source, 0.15, 0.15).asnumpy()
        expected[f"lighting.{kind}"] = mx.nd.image.adjust_lighting(
            source, alpha=(0.1, -0.2, 0.3)
        ).asnumpy()
    for zoom in ("none", "in", "out"):
        expected[f"rotate.{zoom}"] = mx.image.imrotate(
            tensor, 30, zoom_in=zoom == "in", zoom_out=zoom == "out"
        ).asnumpy()
    aug = mx.image.ColorNormalizeAug(mx.nd.array([1, 2, 3]), mx.nd.array([2, 4, 8]))
    expected["aug.color_normalize"] = aug(fimg.copy()).asnumpy()
    expected["aug.force_resize"] = mx.image.ForceResizeAug((6, 8))(img).asnumpy()
    expected["aug.dumps"] = np.frombuffer(
        json.dumps([a.dumps() for a in mx.image.CreateAugmenter((3, 4, 4), resize=6)]).encode(),
        np.uint8,
    )
    it = mx.image.ImageIter(
        2,
        (3, 4, 4),
        path_imgrec=os.path.join(out, "mx.rec"),
        path_imgidx=os.path.join(out, "mx.idx"),
    )
    # Records 7 and 9 are not images; the iterator reads a rec of image records only.
    img_writer = mx.recordio.MXIndexedRecordIO(
        os.path.join(out, "images.idx"), os.path.join(out, "images.rec"), "w"
    )
    for key, header, payload in records(os.path.join(out, "src"))[:4]:
        img_writer.write_idx(
            key,
            mx.recordio.pack(
                mx.recordio.IRHeader(
                    *header[:1], header[1] if np.isscalar(header[1]) else header[1][0], *header[2:]
                ),
                payload,
            ),
        )
    img_writer.close()
    del it
    it = mx.image.ImageIter(
        2, (3, 4, 4), path_imgrec=os.path.join(out, "images.rec"), last_batch_handle="pad"
    )
    for index, batch in enumerate(it):
        expected[f"iter.{index}.data"] = batch.data[0].asnumpy()
        expected[f"iter.{index}.label"] = batch.label[0].asnumpy()
        expected[f"iter.{index}.pad"] = np.array(batch.pad)
    np.savez_compressed(os.path.join(out, "expected.npz"), **expected)
    print(f"wrote {len(expected)} expected arrays to {out}")


def cmd_neomx_write(out):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import neomx as mx

    global FIXTURES_SRC
    FIXTURES_SRC = os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        "tests",
        "fixtures",
        "image",
        "src",
    )
    os.makedirs(out, exist_ok=True)
    write_records(mx, out)
    pixels = make_pixels()
    writer = mx.recordio.MXIndexedRecordIO(
        os.path.join(out, "packed.idx"), os.path.join(out, "packed.rec"), "w"
    )
    decoded = {}
    bgr = pixels["big"][:, :, ::-1]
    for key, fmt in enumerate((".jpg", ".png")):
        packed = mx.recordio.pack_img(mx.recordio.IRHeader(0, float(key), key, 0), bgr, 95, fmt)
        writer.write_idx(key, packed)
        decoded[f"packed.{key}"] = mx.recordio.unpack_img(packed, 1)[1]
    writer.close()
    np.savez(os.path.join(out, "decoded.npz"), **decoded)


def cmd_check(ours, fixtures):
    import mxnet as mx

    for name in ("mx", "vector"):
        for ext in (".rec", ".idx"):
            a = open(os.path.join(ours, name + ext), "rb").read()
            b = open(os.path.join(fixtures, name + ext), "rb").read()
            assert a == b, f"{name}{ext}: neomx bytes differ from mxnet's"
    reader = mx.recordio.MXIndexedRecordIO(
        os.path.join(ours, "mx.idx"), os.path.join(ours, "mx.rec"), "r"
    )
    for key, header, payload in records(os.path.join(fixtures, "src")):
        got_header, got_payload = mx.recordio.unpack(reader.read_idx(key))
        assert got_payload == payload, key
        assert np.allclose(got_header.label, header[1]) and got_header.id == header[2], key
    decoded = np.load(os.path.join(ours, "decoded.npz"))
    reader = mx.recordio.MXIndexedRecordIO(
        os.path.join(ours, "packed.idx"), os.path.join(ours, "packed.rec"), "r"
    )
    for key in reader.keys:
        header, payload = mx.recordio.unpack(reader.read_idx(key))
        theirs = mx.image.imdecode(payload, to_rgb=False).asnumpy()
        mine = decoded[f"packed.{key}"]
        diff = np.abs(theirs.astype(int) - mine.astype(int)).max()
        assert header.label == float(key) and diff <= 1, (key, diff)
    print("mxnet reads the neomx-written records: OK")


def main(argv):
    mode, *paths = argv
    {
        "sources": cmd_sources,
        "write": cmd_write,
        "neomx-write": cmd_neomx_write,
        "check": cmd_check,
    }[mode](*paths)


if __name__ == "__main__":
    main(sys.argv[1:])
