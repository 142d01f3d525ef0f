"""Cases of Crop (neomx/ops/nn/crop.py), MXNet's legacy NCHW window crop.

MXNet 1.9.1 crops only float32 (it refuses float64, float16 and integers); neomx crops any
dtype (the float64 golden file records MXNet's refusal, a known difference). Only the shape of
crop_like matters, so its dtype may differ from the data's; it gets a zero gradient.
"""

from .case import MIXED_DTYPES_OK, Case, ErrorCase, add, add_errors, fixed, floats, ints

MIXED_DTYPES_OK.add("Crop")


def crop_reference(offset=(0, 0), h_w=(0, 0), center_crop=False, **_):
    """The window of axes 2 and 3: h_w's size, or crop_like's; at offset, or centred."""

    def reference(data, like=None):
        height, width = (h_w[0], h_w[1]) if like is None else like.shape[2:4]
        if center_crop:
            top, left = (data.shape[2] - height) // 2, (data.shape[3] - width) // 2
        else:
            top, left = offset[0], offset[1]
        return data[:, :, top : top + height, left : left + width].copy()

    return reference


_IMAGES = (2, 3, 5, 6)
_CROP_CASES = (
    ("h-w", floats(_IMAGES), {"h_w": [2, 3]}),
    ("offset", floats(_IMAGES), {"h_w": [2, 3], "offset": [1, 2]}),
    ("offset-at-the-edge", floats(_IMAGES), {"h_w": [2, 3], "offset": [3, 3]}),
    ("whole", floats(_IMAGES), {"h_w": [5, 6]}),
    ("center", floats(_IMAGES), {"h_w": [2, 4], "center_crop": True}),
    # The margins (3, 3) are halved rounding down; the offset is ignored, also out of range.
    (
        "center-odd-ignores-offset",
        floats(_IMAGES),
        {"h_w": [2, 3], "offset": [10, -1], "center_crop": True},
    ),
    # MXNet 1.9.1 reads the first two values only.
    ("h-w-extra-values", floats(_IMAGES), {"h_w": [2, 2, 7], "offset": [1, 1, 9]}),
    ("crop-like", floats(_IMAGES, (1, 1, 3, 2)), {}),
    # With crop_like, h_w is ignored; the offset applies.
    ("crop-like-offset", floats(_IMAGES, (4, 5, 3, 2)), {"offset": [1, 2], "h_w": [1, 1]}),
    ("crop-like-center", floats(_IMAGES, (1, 1, 3, 2)), {"center_crop": True}),
    # MXNet 1.9.1 reads axes 2 and 3 of a 5-D crop_like, but its backward then fails (the
    # golden file records the error); neomx differentiates.
    ("crop-like-5d", floats(_IMAGES, (1, 1, 2, 4, 3)), {"offset": [2, 1]}),
    ("crop-like-whole", floats((1, 2, 3, 4), (1, 1, 3, 4)), {}),
    ("one-element", fixed([[[[1.5]]]], dtype="float32"), {"h_w": [1, 1]}),
    ("float64", floats(_IMAGES, dtype="float64"), {"h_w": [3, 3], "offset": [1, 1]}),
)
for _label, _make, _params in _CROP_CASES:
    add("Crop", Case(_make, _params, crop_reference(**_params), label=_label))
add(
    "Crop",
    Case(
        ints(_IMAGES),
        {"h_w": [2, 2], "offset": [1, 1]},
        crop_reference(h_w=(2, 2), offset=(1, 1)),
        label="int32",
        grad=False,
        golden=False,
    ),
    # MXNet 1.x refuses zero-size arrays (0 is an unknown dimension in its inference).
    Case(
        floats((0, 3, 5, 6)),
        {"h_w": [2, 2]},
        crop_reference(h_w=(2, 2)),
        label="zero-size",
        golden=False,
    ),
    Case(
        floats(_IMAGES, (1, 1, 0, 2)),
        {},
        crop_reference(),
        label="crop-like-zero-size",
        golden=False,
    ),
)

# MXNet's refusals, recorded in golden files (no reference: neomx must raise too).
add(
    "Crop",
    Case(floats(_IMAGES), {"h_w": [6, 3]}, label="taller-than-data", grad=False),
    Case(floats(_IMAGES), {"h_w": [2, 7]}, label="wider-than-data", grad=False),
    Case(floats(_IMAGES, (1, 1, 3, 9)), {}, label="crop-like-wider-than-data", grad=False),
    Case(
        floats(_IMAGES), {"h_w": [2, 3], "offset": [4, 0]}, label="offset-past-the-end", grad=False
    ),
    Case(floats(_IMAGES), {"h_w": [2, 3], "offset": [0, -1]}, label="negative-offset", grad=False),
    Case(floats(_IMAGES), {}, label="no-h-w", grad=False),
    Case(floats((3, 5, 6)), {"h_w": [2, 2]}, label="3d-data", grad=False),
)

add_errors(
    "Crop",
    ErrorCase(
        floats(_IMAGES), {"h_w": [6, 3]}, match=r"Crop.*\(6, 3\) from h_w.*larger.*\(2, 3, 5, 6\)"
    ),
    ErrorCase(
        floats(_IMAGES, (1, 1, 3, 9)),
        {},
        match=r"Crop.*\(3, 9\) from crop_like \(1, 1, 3, 9\).*larger",
    ),
    ErrorCase(
        floats(_IMAGES),
        {"h_w": [2, 3], "offset": [4, 0]},
        match=r"Crop.*offset \(4, 0\).*\[0, 3\] and \[0, 3\]",
    ),
    ErrorCase(floats(_IMAGES), {"h_w": [2, 0]}, match=r"Crop.*h_w \(2, 0\).*width of 0"),
    ErrorCase(floats(_IMAGES), {"h_w": [2]}, match=r"Crop.*h_w.*two values"),
    ErrorCase(floats(_IMAGES), {"h_w": [2, 2], "offset": [1]}, match=r"Crop.*offset.*two values"),
    ErrorCase(floats((5, 6)), {"h_w": [2, 2]}, match=r"Crop.*4-D.*\(5, 6\)"),
    ErrorCase(floats(_IMAGES, (3, 2)), {}, match=r"Crop.*crop_like.*4 axes.*\(3, 2\)"),
    ErrorCase(floats(_IMAGES), {"num_args": 2, "h_w": [2, 2]}, match=r"Crop.*num_args=2.*1 input"),
    ErrorCase(
        floats(_IMAGES, (1, 1, 2, 2)),
        {"num_args": 1, "h_w": [2, 2]},
        match=r"Crop.*num_args=1.*2 input",
    ),
    ErrorCase(floats(_IMAGES), {"num_args": 3, "h_w": [2, 2]}, match=r"Crop.*num_args"),
)
