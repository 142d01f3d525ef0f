"""Cases of _CrossDeviceCopy: the copy graph placement inserts between devices.

MXNet 1.9.1 cannot call it imperatively ("expects 1 inputs, but got 0"), so it has no golden
files. Called imperatively it copies to its ``ctx`` (here the input's own device: the harness
makes ``out=`` arrays there); tests/graph/test_placement.py and tests/test_parallel.py cover
the copies between devices.
"""

import numpy as np

from .case import NEOMX_ONLY, Case, add, floats, ints

NEOMX_ONLY.add("_CrossDeviceCopy")


def _copy(a):
    return np.array(a, copy=True)


add(
    "_CrossDeviceCopy",
    Case(floats((2, 3)), reference=_copy, label="float32"),
    Case(floats((2, 3)), {"ctx": "cpu(0)", "src_ctx": "cpu(0)"}, _copy, label="with-contexts"),
    Case(floats((3, 2), dtype="float64"), reference=_copy, label="float64"),
    Case(floats((2, 2), dtype="float16"), reference=_copy, label="float16"),
    Case(ints((4,)), reference=_copy, label="int32", grad=False),
    Case(floats((1,)), reference=_copy, label="one-element"),
    Case(floats((0, 3)), reference=_copy, label="zero-size"),
)
