"""Crop: MXNet's legacy layer that cuts a window out of the spatial axes of NCHW images."""

from __future__ import annotations

from ...base import MXNetValueError
from ..infer import is_known, shape_str
from ..kernels import into
from ..params import Bool, Int, Params, Shape
from ..registry import Op, register

__all__ = ["Crop"]


def _pair(op_name: str, name: str, value) -> tuple[int, int]:
    """The first two values of a (height, width) parameter; MXNet 1.9.1 ignores the rest."""
    if len(value) < 2:
        raise MXNetValueError(
            f"{op_name}: {name} must hold two values (height, width), got {value}"
        )
    return value[0], value[1]


@register("Crop")
class Crop(Op):
    """Cut a (height, width) window out of axes 2 and 3 of 4-D ``data`` (NCHW).

    With one input the window's size is ``h_w``; with two (``num_args=2``) it is the size of
    axes 2 and 3 of ``crop_like``, whose values are not used (its gradient is zero). The
    window starts at ``offset`` (y, x), or is centred with ``center_crop=True``, which
    ignores ``offset`` and rounds the margins down. The data gradient is the output gradient
    put back in the window, zeros elsewhere. Deprecated in MXNet: use ``slice`` instead.

    >>> x = mx.nd.arange(16).reshape((1, 1, 4, 4))
    >>> mx.nd.Crop(x, h_w=(2, 2), offset=(1, 2))
    <BLANKLINE>
    [[[[ 6.  7.]
       [10. 11.]]]]
    <NDArray 1x1x2x2 @cpu(0)>
    """

    inputs = ("data", "crop_like")
    variadic = True
    params = Params(
        num_args=Int(min=1, max=2, doc="The number of inputs: 1, or 2 with crop_like."),
        offset=Shape((0, 0), doc="Where the window starts: (y, x)."),
        h_w=Shape((0, 0), doc="The window's (height, width) when there is no crop_like."),
        center_crop=Bool(False, doc="Centre the window instead of starting at offset."),
    )
    saves = ()

    def arguments(self, p):
        # MXNet 1.9.1 names Crop's inputs arg0 (data) and arg1 (crop_like).
        return tuple(f"arg{i}" for i in range(p.num_args))

    def window(self, p, data, like=None):
        """(top, left, height, width) of the window in ``data``, after checking it fits."""
        data = tuple(data)
        if len(data) != 4:
            raise MXNetValueError(
                f"{self.name}: data must be 4-D (batch, channel, height, width), got shape "
                f"{shape_str(data)}"
            )
        if like is None:
            height, width = _pair(self.name, "h_w", p.h_w)
            for axis, size in (("height", height), ("width", width)):
                if size < 1:
                    raise MXNetValueError(
                        f"{self.name}: h_w {p.h_w} asks for a crop {axis} of {size}; it must "
                        "be at least 1 (or pass crop_like with num_args=2)"
                    )
            source = f"h_w {p.h_w}"
        else:
            if len(like) < 4:
                raise MXNetValueError(
                    f"{self.name}: crop_like must have at least 4 axes (its axes 2 and 3 give "
                    f"the crop size), got shape {shape_str(like)}"
                )
            height, width = like[2], like[3]
            source = f"crop_like {shape_str(like)}"
        if height > data[2] or width > data[3]:
            raise MXNetValueError(
                f"{self.name}: the crop ({height}, {width}) from {source} is larger than the "
                f"height and width of data {shape_str(data)}"
            )
        if p.center_crop:
            return (data[2] - height) // 2, (data[3] - width) // 2, height, width
        top, left = _pair(self.name, "offset", p.offset)
        if top < 0 or left < 0 or top + height > data[2] or left + width > data[3]:
            raise MXNetValueError(
                f"{self.name}: offset {p.offset} puts the crop ({height}, {width}) outside "
                f"the height and width of data {shape_str(data)}; offsets must lie in "
                f"[0, {data[2] - height}] and [0, {data[3] - width}]"
            )
        return top, left, height, width

    def infer_shape(self, p, *shapes):
        if len(shapes) != p.num_args:
            raise MXNetValueError(
                f"{self.name}: num_args={p.num_args} but {len(shapes)} input(s) given"
            )
        data = shapes[0]
        like = shapes[1] if p.num_args == 2 else None
        if not is_known(data) or (p.num_args == 2 and not is_known(like)):
            return None
        _, _, height, width = self.window(p, data, like)
        return shapes, (tuple(data[:2]) + (height, width),)

    def infer_type(self, p, data, like=None):
        # Only the shape of crop_like matters, so its dtype may differ.
        if data is None:
            return None
        if p.num_args == 1:
            return (data,), (data,)
        return (data, data if like is None else like), (data,)

    def forward(self, xp, p, data, like=None, out=None):
        top, left, height, width = self.window(p, data.shape, None if like is None else like.shape)
        return into(xp, data[:, :, top : top + height, left : left + width], out)

    def gradient(self, p, F, inputs, outputs, dy):
        data = inputs[0]
        like = inputs[1].shape if p.num_args == 2 else None
        top, left, height, width = self.window(p, data.shape, like)
        bottom, right = data.shape[2] - top - height, data.shape[3] - left - width
        pad_width = (0, 0, 0, 0, top, bottom, left, right)
        d_data = F.Pad(dy[0], mode="constant", pad_width=pad_width)
        return (d_data,) if p.num_args == 1 else (d_data, None)
