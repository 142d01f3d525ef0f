"""Cases of the neural-network layers: Dropout.

Dropout draws a random mask while training, so this table holds only its deterministic
calls: p=0 (the identity in every mode; the numeric gradient check runs in training mode) and
calls the harness makes outside ``autograd.record()`` (predict mode, also the identity). Its
random behaviour (masks, scaling, the shared stream, training vs predict mode) is tested
apart, in tests/test_autograd_dropout.py.
"""

from .case import Case, ErrorCase, add, add_errors, fixed, floats


def _identity(x):
    return x.copy()


add(
    "Dropout",
    Case(floats((2, 3)), {"p": 0.0}, _identity, label="p0"),
    Case(floats((2, 3, 4)), {"p": 0.0, "mode": "always"}, _identity, label="p0-always"),
    Case(floats((2, 3, 4)), {"p": 0.0, "axes": [1]}, _identity, label="p0-axes"),
    Case(fixed([1.5]), {"p": 0.0}, _identity, label="one-element"),
    Case(floats((2, 3), dtype="float64"), {"p": 0.0}, _identity, label="float64"),
    # MXNet 1.x refuses zero-size inputs (0 is an unknown dimension there): no golden file.
    Case(floats((0, 3)), {"p": 0.0}, _identity, label="zero-size", golden=False),
    # Predict mode: the identity here, but random in training mode, where the gradient check
    # and make_golden's backward run; so no gradient check and no golden file.
    Case(
        floats((3, 4)),
        {"p": 0.5},
        _identity,
        label="predict-random-in-training",
        grad=False,
        golden=False,
    ),
)
add_errors(
    "Dropout",
    ErrorCase(floats((2, 3)), {"p": 1.5}, match=r"Dropout.*p=1\.5"),
    ErrorCase(floats((2, 3)), {"p": -0.1}, match=r"Dropout.*p=-0\.1"),
    ErrorCase(floats((2, 3)), {"p": 0.5, "axes": [2]}, match=r"Dropout.*axes"),
)
