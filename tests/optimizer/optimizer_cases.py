"""The optimizer trajectories recorded from MXNet 1.9.1 (tools/make_optimizer_golden.py) and
replayed in neomx (test_optimizer_golden.py). Plain data: the generator imports it without neomx.

Every case trains two parameters, ``fc_weight`` (index 0) and ``fc_bias`` (index 1), for
``STEPS`` steps through an Updater: ``mode="updater"`` passes both in one call (the aggregated
multi-tensor path of SGD, LARS and LAMB), ``mode="single"`` one call per parameter. The
optimizer gets ``param_idx2name``, then ``set_lr_mult`` / ``set_wd_mult`` from ``MULTS``.
"""

from __future__ import annotations

STEPS = 20
NAMES = {0: "fc_weight", 1: "fc_bias"}
MULTS = {"lr": {"fc_bias": 0.5}, "wd": {"fc_bias": 2.0}}
SHAPES = ((3, 4), (4,))
# The step after which MXNet's Updater.get_states(dump_optimizer=True) is recorded.
PICKLE_STEP = 10

FULL = {"wd": 0.01, "rescale_grad": 0.5, "clip_gradient": 0.8}


def case(case_id, name, mode="updater", dtype="float32", scheduler=None, shapes=SHAPES, **kw):
    return {
        "id": case_id,
        "name": name,
        "kwargs": kw,
        "mode": mode,
        "dtype": dtype,
        "scheduler": scheduler,
        "shapes": shapes,
    }


FACTOR = ("FactorScheduler", {"step": 4, "factor": 0.7, "base_lr": 0.05})
POLY = ("PolyScheduler", {"max_update": 15, "base_lr": 0.01, "pwr": 2, "warmup_steps": 3})
COSINE = ("CosineScheduler", {"max_update": 16, "base_lr": 0.02, "final_lr": 0.001})
MULTI = ("MultiFactorScheduler", {"step": [3, 7, 12], "factor": 0.5, "base_lr": 0.1})

CASES = [
    case("sgd-default", "sgd"),
    case("sgd-single", "sgd", mode="single", learning_rate=0.1, **FULL),
    case("sgd-momentum", "sgd", momentum=0.9, learning_rate=0.05, **FULL),
    case("sgd-momentum-single", "sgd", mode="single", momentum=0.9, learning_rate=0.05, **FULL),
    case("sgd-lazy-false", "sgd", lazy_update=False, momentum=0.5, learning_rate=0.1),
    case("sgd-factor", "sgd", scheduler=FACTOR, momentum=0.9, wd=0.001),
    case("sgd-mp", "sgd", dtype="float16", multi_precision=True, learning_rate=0.1, **FULL),
    case(
        "sgd-mp-momentum",
        "sgd",
        dtype="float16",
        multi_precision=True,
        momentum=0.9,
        learning_rate=0.05,
        **FULL,
    ),
    case(
        "sgd-mp-single", "sgd", mode="single", dtype="float16", multi_precision=True, momentum=0.9
    ),
    case("sgd-float32-mp", "sgd", multi_precision=True, momentum=0.9),
    case("ccsgd", "ccsgd", momentum=0.9, wd=0.001),
    case("nag-default", "nag", learning_rate=0.1, **FULL),
    case("nag-momentum", "nag", momentum=0.9, learning_rate=0.05, **FULL),
    case("nag-mp", "nag", dtype="float16", multi_precision=True, momentum=0.9, **FULL),
    case("nag-mp-nomom", "nag", dtype="float16", multi_precision=True, **FULL),
    case("adam-default", "adam"),
    case("adam-full", "adam", beta1=0.8, beta2=0.99, epsilon=1e-6, learning_rate=0.01, **FULL),
    case("adam-lazy-false", "adam", lazy_update=False, wd=0.1),
    case("adam-poly", "adam", scheduler=POLY, wd=0.01),
    case("adam-mp", "adam", dtype="float16", multi_precision=True, learning_rate=0.01, **FULL),
    case("adagrad-default", "adagrad", learning_rate=0.1),
    case("adagrad-full", "adagrad", eps=1e-5, learning_rate=0.1, **FULL),
    case("adadelta-default", "adadelta"),
    case("adadelta-full", "adadelta", rho=0.8, epsilon=1e-4, **FULL),
    case("adamax-default", "adamax"),
    case("adamax-full", "adamax", beta1=0.8, beta2=0.99, learning_rate=0.01, **FULL),
    case("nadam-default", "nadam"),
    case("nadam-full", "nadam", schedule_decay=0.01, learning_rate=0.01, **FULL),
    case("rmsprop-default", "rmsprop"),
    case("rmsprop-full", "rmsprop", gamma1=0.8, clip_weights=1.5, learning_rate=0.01, **FULL),
    case("rmsprop-centered", "rmsprop", centered=True, learning_rate=0.01),
    case(
        "rmsprop-centered-full",
        "rmsprop",
        centered=True,
        gamma1=0.85,
        gamma2=0.8,
        clip_weights=1.2,
        learning_rate=0.01,
        **FULL,
    ),
    case("ftrl-default", "ftrl"),
    case("ftrl-full", "ftrl", lamda1=0.02, beta=0.5, learning_rate=0.2, **FULL),
    case("ftml-default", "ftml", learning_rate=0.01),
    case("ftml-full", "ftml", beta1=0.5, beta2=0.99, epsilon=1e-6, learning_rate=0.01, **FULL),
    case("signum-default", "signum"),
    case("signum-full", "signum", momentum=0.8, wd_lh=0.01, **FULL),
    case("signsgd", "signum", momentum=0.0, **FULL),
    case("sgld-default", "sgld", learning_rate=0.001),
    case("sgld-full", "sgld", learning_rate=0.001, **FULL),
    case("dcasgd-default", "dcasgd", learning_rate=0.1),
    # MXNet 1.9.1's DCASGD fails with momentum > 0 (it tests ``if mom:`` on an array), so
    # its momentum path is checked against a NumPy reference in test_optimizer_api.py.
    case("dcasgd-full", "dcasgd", lamda=0.1, learning_rate=0.05, **FULL),
    case("lamb-default", "lamb"),
    case("lamb-single", "lamb", mode="single", learning_rate=0.01, **FULL),
    case("lamb-full", "lamb", learning_rate=0.01, lower_bound=0.5, upper_bound=2.0, **FULL),
    case(
        "lamb-bounds-single",
        "lamb",
        mode="single",
        lower_bound=0.5,
        upper_bound=1.5,
        bias_correction=False,
    ),
    case("lamb-mp-single", "lamb", mode="single", dtype="float16", multi_precision=True, wd=0.01),
    case("lamb-mp", "lamb", dtype="float16", multi_precision=True, learning_rate=0.01, **FULL),
    case("lars-default", "lars", learning_rate=0.1),
    case("lars-momentum", "lars", momentum=0.9, eta=0.01, eps=1e-8, learning_rate=0.1, **FULL),
    case("lars-factor", "lars", scheduler=FACTOR, momentum=0.9, wd=0.001),
    case(
        "lars-no-correction",
        "lars",
        scheduler=FACTOR,
        momentum=0.9,
        momentum_correction=False,
        wd=0.001,
    ),
    case("lars-mp", "lars", dtype="float16", multi_precision=True, momentum=0.9, **FULL),
    case("lars-mp-nomom", "lars", dtype="float16", multi_precision=True, learning_rate=0.1),
    case("lbsgd-default", "lbsgd", learning_rate=0.1),
    case(
        "lbsgd-linear",
        "lbsgd",
        momentum=0.9,
        batch_scale=2,
        warmup_epochs=2,
        updates_per_epoch=4,
        **FULL,
    ),
    case("lbsgd-lars", "lbsgd", warmup_strategy="lars", batch_scale=2, momentum=0.5, wd=0.01),
    case("lbsgd-power2", "lbsgd", warmup_strategy="power2", batch_scale=3, updates_per_epoch=2),
    case("lbsgd-sqrt", "lbsgd", warmup_strategy="sqrt", batch_scale=2, begin_epoch=1),
    case("lbsgd-mp", "lbsgd", dtype="float16", multi_precision=True, momentum=0.9, **FULL),
    case("groupadagrad-default", "groupadagrad", shapes=((3, 4), (4, 2)), learning_rate=0.1),
    case(
        "groupadagrad-full",
        "groupadagrad",
        shapes=((3, 4), (4, 2)),
        eps=1e-3,
        learning_rate=0.1,
        rescale_grad=0.5,
        clip_gradient=0.8,
    ),
    case("test", "test"),
    case("sgd-cosine", "sgd", scheduler=COSINE, momentum=0.5),
    case("sgd-multifactor", "sgd", mode="single", scheduler=MULTI),
]

# LR schedulers: each is called with num_update 0, 1, ..., SCHEDULE_STEPS in order, then with
# the jumps of SCHEDULE_JUMPS on a fresh instance (they keep state between calls).
SCHEDULE_STEPS = 100
SCHEDULE_JUMPS = [0, 5, 40, 39, 100, 7, 250, 3]
SCHEDULERS = {
    "factor": ("FactorScheduler", {"step": 10, "factor": 0.9}),
    "factor-stop": ("FactorScheduler", {"step": 3, "factor": 0.5, "stop_factor_lr": 1e-4}),
    "factor-warmup": (
        "FactorScheduler",
        {"step": 7, "factor": 0.8, "base_lr": 0.1, "warmup_steps": 10, "warmup_begin_lr": 0.01},
    ),
    "factor-warmup-constant": (
        "FactorScheduler",
        {"step": 7, "factor": 0.8, "base_lr": 0.1, "warmup_steps": 5, "warmup_mode": "constant"},
    ),
    "multifactor": ("MultiFactorScheduler", {"step": [10, 30, 60], "factor": 0.3}),
    "multifactor-warmup": (
        "MultiFactorScheduler",
        {"step": [20, 50], "factor": 0.5, "base_lr": 1.0, "warmup_steps": 15},
    ),
    "poly": ("PolyScheduler", {"max_update": 80}),
    "poly-full": (
        "PolyScheduler",
        {
            "max_update": 90,
            "base_lr": 0.5,
            "pwr": 3,
            "final_lr": 0.01,
            "warmup_steps": 12,
            "warmup_begin_lr": 0.05,
        },
    ),
    "poly-constant-warmup": (
        "PolyScheduler",
        {"max_update": 60, "pwr": 1, "warmup_steps": 20, "warmup_mode": "constant"},
    ),
    "cosine": ("CosineScheduler", {"max_update": 70}),
    "cosine-full": (
        "CosineScheduler",
        {
            "max_update": 95,
            "base_lr": 0.3,
            "final_lr": 0.02,
            "warmup_steps": 25,
            "warmup_begin_lr": 0.1,
        },
    ),
}
