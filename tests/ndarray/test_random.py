"""``mx.nd.random`` and the random operators: the distributions (means and variances of 20000
seeded draws within generous bounds), seeding and per-device streams, dtypes and shapes, the
dispatch between numbers and NDArrays, errors and gradients."""

import numpy as np
import pytest
from ops import harness  # noqa: F401 - loads the case tables (tests/ is on sys.path)
from ops.case import RANDOM

import neomx as mx
from neomx.base import MXNetError

N = 20000
SEED = 1234
# mx.nd.random.<name>: (its parameters, the mean and variance they give)
DISTRIBUTIONS = {
    "uniform": ({"low": -2.0, "high": 3.0}, 0.5, 25 / 12),
    "normal": ({"loc": 1.5, "scale": 2.0}, 1.5, 4.0),
    "gamma": ({"alpha": 2.0, "beta": 0.5}, 1.0, 0.5),
    "exponential": ({"scale": 2.0}, 2.0, 4.0),
    "poisson": ({"lam": 3.5}, 3.5, 3.5),
    "negative_binomial": ({"k": 3, "p": 0.4}, 4.5, 11.25),
    "generalized_negative_binomial": ({"mu": 2.0, "alpha": 0.3}, 2.0, 3.2),
}
# The same distributions with the parameter names of their operators (exponential: rate).
OPERATOR_PARAMS = {
    **{name: params for name, (params, _, _) in DISTRIBUTIONS.items()},
    "exponential": {"lam": 0.5},
}


def assert_moments(values, mean, variance, what):
    """The sample mean lies within 5 standard errors, the variance within 10%."""
    values = np.asarray(values, dtype=np.float64)
    error = 5 * np.sqrt(variance / values.size)
    assert abs(values.mean() - mean) < error, f"{what}: mean {values.mean()} vs {mean}"
    assert abs(values.var() - variance) < 0.1 * variance, f"{what}: var {values.var()}"


# ---- distributions --------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_numbers_draw_from_the_distribution(name, engine_type):
    params, mean, variance = DISTRIBUTIONS[name]
    mx.random.seed(SEED)
    draws = getattr(mx.nd.random, name)(**params, shape=(N,))
    assert draws.shape == (N,) and draws.dtype == np.float32
    assert_moments(draws.asnumpy(), mean, variance, name)


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_like_draws_from_the_distribution(name):
    params, mean, variance = DISTRIBUTIONS[name]
    mx.random.seed(SEED)
    like = getattr(mx.nd.random, f"{name}_like")
    draws = like(mx.nd.zeros((N // 100, 100), dtype="float64"), **OPERATOR_PARAMS[name])
    assert draws.shape == (N // 100, 100) and draws.dtype == np.float64
    assert_moments(draws.asnumpy(), mean, variance, f"{name}_like")


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_arrays_draw_per_element(name):
    """NDArray parameters: each element draws its own ``shape`` values (two elements with the
    table's parameters here)."""
    params, mean, variance = DISTRIBUTIONS[name]
    arrays = [mx.nd.array([value, value]) for value in params.values()]
    mx.random.seed(SEED)
    draws = getattr(mx.nd.random, name)(*arrays, shape=(N // 2,))
    assert draws.shape == (2, N // 2) and draws.dtype == np.float32
    for row in draws.asnumpy():
        assert_moments(row, mean, variance, f"{name} with NDArray parameters")


def test_arrays_keep_their_elements_apart():
    mx.random.seed(SEED)
    draws = mx.nd.random.normal(mx.nd.array([[0.0], [100.0]]), mx.nd.array([[1.0], [0.1]]), 500)
    assert draws.shape == (2, 1, 500)
    rows = draws.asnumpy()
    assert abs(rows[0].mean()) < 0.3 and abs(rows[1].mean() - 100) < 0.03
    assert rows[1].std() < 0.2


def test_randint():
    mx.random.seed(SEED)
    draws = mx.nd.random.randint(-3, 5, shape=(N,))
    assert draws.dtype == np.int32
    values = draws.asnumpy()
    assert set(np.unique(values)) == set(range(-3, 5))
    assert_moments(values, 0.5, (8**2 - 1) / 12, "randint")
    wide = mx.nd.random.randint(0, 2**40, shape=(1000,), dtype="int64").asnumpy()
    assert wide.dtype == np.int64 and wide.max() > 2**32


def test_multinomial_frequencies_and_log_probabilities():
    probabilities = np.array([[0.1, 0.2, 0.7], [0.5, 0.0, 0.5]], dtype=np.float32)
    mx.random.seed(SEED)
    samples, log_prob = mx.nd.random.multinomial(
        mx.nd.array(probabilities), shape=N // 2, get_prob=True
    )
    samples, log_prob = samples.asnumpy(), log_prob.asnumpy()
    assert samples.shape == log_prob.shape == (2, N // 2) and samples.dtype == np.int32
    for row, p in zip(samples, probabilities):
        frequencies = np.bincount(row, minlength=3) / row.size
        np.testing.assert_allclose(frequencies, p, atol=0.02)
    picked = np.take_along_axis(probabilities, samples, axis=1)
    np.testing.assert_allclose(log_prob, np.log(picked), rtol=1e-6)


def test_multinomial_follows_mxnet_for_rows_summing_below_one():
    """MXNet does not normalise: past the row's total it returns K, one past the last index."""
    mx.random.seed(SEED)
    samples, log_prob = mx.nd.random.multinomial(mx.nd.array([0.1, 0.1]), shape=1000, get_prob=True)
    counts = np.bincount(samples.asnumpy(), minlength=3)
    assert counts[2] > 700 and counts[0] > 50 and counts[1] > 50
    assert np.all(np.isneginf(log_prob.asnumpy()[samples.asnumpy() == 2]))


def test_shuffle_permutes_the_first_axis():
    data = np.arange(30, dtype=np.float32).reshape(10, 3)
    mx.random.seed(SEED)
    orders = set()
    for _ in range(5):
        shuffled = mx.nd.random.shuffle(mx.nd.array(data)).asnumpy()
        assert sorted(map(tuple, shuffled)) == sorted(map(tuple, data))
        orders.add(tuple(shuffled[:, 0]))
    assert len(orders) == 5


def test_every_random_operator_is_checked_here():
    """The statistical checks above cover each operator of the harness's RANDOM category."""
    covered = {f"_random_{name}" for name in DISTRIBUTIONS}
    covered |= {f"_random_{name}_like" for name in DISTRIBUTIONS}
    covered |= {f"_sample_{name}" for name in DISTRIBUTIONS}
    covered |= {"_random_randint", "_sample_multinomial", "_shuffle"}
    covered |= {f"_image_random_{name}" for name in IMAGE_RANDOM}
    assert RANDOM == covered


IMAGE_RANDOM = ("flip_left_right", "flip_top_bottom", "lighting", "color_jitter")


@pytest.mark.parametrize("axis, name", [(1, "flip_left_right"), (0, "flip_top_bottom")])
def test_random_flips_flip_about_half_the_time(axis, name):
    image = mx.nd.array(np.arange(24).reshape(2, 4, 3), dtype="uint8")
    flipped = np.flip(image.asnumpy(), axis=axis)
    outcomes = []
    for _ in range(200):
        result = getattr(mx.nd.image, f"random_{name}")(image).asnumpy()
        if np.array_equal(result, flipped):
            outcomes.append(True)
        else:
            np.testing.assert_array_equal(result, image.asnumpy())
            outcomes.append(False)
    # Binomial(200, 0.5): 60..140 holds with probability 1 - 1e-8.
    assert 60 <= sum(outcomes) <= 140


def test_random_lighting_shifts_each_channel_by_a_normal_amount():
    image = mx.nd.ones((3, 3, 3)) * 100
    shifts = np.array(
        [(mx.nd.image.random_lighting(image, alpha_std=0.1) - image).asnumpy() for _ in range(400)]
    )
    # One shift per channel, the same at every pixel, centred on 0 and not constant.
    np.testing.assert_allclose(shifts, shifts[:, :1, :1, :].repeat(3, 1).repeat(3, 2), atol=1e-4)
    per_channel = shifts[:, 0, 0, :]
    assert np.all(np.abs(per_channel.mean(axis=0)) < 4 * per_channel.std(axis=0) / 20)
    assert np.all(per_channel.std(axis=0) > 0)


# ---- seeding and streams ----------------------------------------------------------------------


def test_seed_reproduces_draws(engine_type):
    mx.random.seed(7)
    first = [mx.nd.random.uniform(shape=(50,)).asnumpy(), mx.nd.random.poisson(2, (50,))]
    mx.random.seed(7)
    again = [mx.nd.random.uniform(shape=(50,)).asnumpy(), mx.nd.random.poisson(2, (50,))]
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1].asnumpy(), again[1].asnumpy())
    mx.random.seed(8)
    assert not np.array_equal(mx.nd.random.uniform(shape=(50,)).asnumpy(), first[0])


def test_engines_draw_alike():
    results = []
    for engine in ("NaiveEngine", "ThreadedEnginePerDevice"):
        with mx.engine.engine_scope(engine):
            mx.random.seed(11)
            draws = [mx.nd.random.normal(shape=(20,)) for _ in range(3)]
            results.append(np.stack([d.asnumpy() for d in draws]))
    np.testing.assert_array_equal(*results)


def test_each_context_has_its_own_stream():
    mx.random.seed(7)
    on0 = mx.nd.random.uniform(shape=(50,), ctx=mx.cpu(0)).asnumpy()
    on1 = mx.nd.random.uniform(shape=(50,), ctx=mx.cpu(1)).asnumpy()
    assert not np.array_equal(on0, on1)
    # Reseeding one device restarts only its stream.
    mx.random.seed(7, ctx=mx.cpu(1))
    np.testing.assert_array_equal(mx.nd.random.uniform(shape=(50,), ctx=mx.cpu(1)).asnumpy(), on1)
    assert not np.array_equal(mx.nd.random.uniform(shape=(50,), ctx=mx.cpu(0)).asnumpy(), on0)


def test_arrays_draw_on_their_device():
    mx.random.seed(3)
    low = mx.nd.zeros(4, ctx=mx.cpu(1))
    draws = mx.nd.random.uniform(low, low + 1, shape=2)
    assert draws.context == mx.cpu(1)
    mx.random.seed(3)
    on0 = mx.nd.random.uniform(low.copyto(mx.cpu(0)), low.copyto(mx.cpu(0)) + 1, shape=2)
    assert not np.array_equal(draws.asnumpy(), on0.asnumpy())


# ---- the mx.nd.random front end ---------------------------------------------------------------


def test_defaults_and_dtypes():
    assert mx.nd.random.uniform().shape == (1,)
    assert mx.nd.random.normal(shape=3).shape == (3,)
    assert mx.nd.random.randn(2, 3).shape == (2, 3)
    assert mx.nd.random.uniform(shape=(2,), dtype="float64").dtype == np.float64
    assert mx.nd.random.gamma(shape=(2,), dtype="float16").dtype == np.float16
    assert mx.nd.random.randint(0, 3, shape=(2,), dtype="int64").dtype == np.int64
    assert mx.nd.random.multinomial(mx.nd.array([0.5, 0.5]), dtype="float32").dtype == np.float32
    assert mx.nd.random.uniform(ctx=mx.cpu(1)).context == mx.cpu(1)
    # MXNet 1.9.1: NDArray parameters give float32 draws whatever their dtype.
    low = mx.nd.zeros(2, dtype="float64")
    assert mx.nd.random.uniform(low, low + 1).dtype == np.float32


def test_randn_takes_loc_and_scale():
    mx.random.seed(SEED)
    draws = mx.nd.random.randn(N, loc=5.0, scale=0.5).asnumpy()
    assert_moments(draws, 5.0, 0.25, "randn")


def test_out_gives_shape_and_dtype():
    out = mx.nd.zeros((3, 4), dtype="float64")
    assert mx.nd.random.uniform(-1, 1, out=out) is out
    values = out.asnumpy()
    assert np.all((values >= -1) & (values < 1)) and np.unique(values).size == 12


def test_mx_random_has_the_sampling_functions():
    for name in ("uniform", "normal", "randn", "poisson", "multinomial", "shuffle", "randint"):
        assert getattr(mx.random, name) is getattr(mx.nd.random, name)


def test_aliases_share_the_operator():
    mx.random.seed(5)
    a = mx.nd.uniform(shape=(4,)).asnumpy()
    mx.random.seed(5)
    b = mx.nd.random_uniform(shape=(4,)).asnumpy()
    mx.random.seed(5)
    c = mx.nd._internal._random_uniform(shape=(4,)).asnumpy()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)
    assert mx.nd.sample_normal is not None and mx.nd.shuffle is not None


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: mx.nd.random.uniform(mx.nd.zeros(2), 1.0), r"random.uniform.*NDArray"),
        (lambda: mx.nd.random.normal(0.0, mx.nd.ones(2)), r"random.normal.*NDArray"),
        (lambda: mx.nd.random.randint(mx.nd.zeros(1), 3), r"random.randint.*numbers"),
        (lambda: mx.nd.random.uniform(2, 1, shape=2), r"_random_uniform.*low=2.0.*high=1.0"),
        (lambda: mx.nd.random.normal(0, -1, shape=2), r"_random_normal.*scale"),
        (lambda: mx.nd.random.exponential(-1.0, shape=2), r"_random_exponential.*lam"),
        (lambda: mx.nd.random.randint(5, 5, shape=2), r"_random_randint.*low"),
        (lambda: mx.nd.random.negative_binomial(2, 1.5, shape=2), r"_random_negative_bin.*p"),
        (lambda: mx.nd.random.uniform(shape=2, dtype="int32"), r"_random_uniform.*dtype"),
        (lambda: mx.nd._internal._random_normal(), r"_random_normal.*shape"),
        (lambda: mx.nd.random.uniform_like(mx.nd.zeros(2, dtype="int32")), r"uniform_like.*float"),
        (lambda: mx.nd.random.multinomial(mx.nd.array(0.5)), r"_sample_multinomial.*axis"),
        (lambda: mx.nd.random.shuffle(mx.nd.array(1.0)), r"_shuffle.*axis"),
    ],
)
def test_errors_name_the_call(call, match):
    with pytest.raises(MXNetError, match=match):
        call()


def test_bad_array_parameters_fail_at_the_next_read():
    """Like MXNet, NDArray parameters are not checked before the draw; a value the
    distribution cannot take fails the draw itself."""
    with pytest.raises(MXNetError, match="_sample_gamma"):
        mx.nd.random.gamma(mx.nd.array([-1.0]), mx.nd.array([1.0])).asnumpy()


# ---- gradients ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_sampling_gives_zero_gradients(name):
    """MXNet 1.9.1 has no reparameterised gradients: the parameters get zeros."""
    arrays = [mx.nd.array([value, value]) for value in DISTRIBUTIONS[name][0].values()]
    for array in arrays:
        array.attach_grad()
    with mx.autograd.record():
        draws = getattr(mx.nd, f"sample_{name}")(*arrays, shape=3)
        like = getattr(mx.nd.random, f"{name}_like")(arrays[0] * 1)
        total = draws.sum() + like.sum()
    total.backward()
    for array in arrays:
        np.testing.assert_array_equal(array.grad.asnumpy(), np.zeros(2))


def test_multinomial_log_probability_gradient():
    """d log p[i] / d p[i] = 1 / p[i] at each drawn index, summed over draws."""
    probabilities = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]], dtype=np.float64)
    data = mx.nd.array(probabilities, dtype="float64")
    data.attach_grad()
    with mx.autograd.record():
        samples, log_prob = mx.nd.random.multinomial(data, shape=6, get_prob=True)
    head = np.arange(12, dtype=np.float64).reshape(2, 6)
    log_prob.backward(mx.nd.array(head, dtype="float64"))
    want = np.zeros_like(probabilities)
    for row, drawn in enumerate(samples.asnumpy()):
        for column, index in enumerate(drawn):
            want[row, index] += head[row, column] / probabilities[row, index]
    np.testing.assert_allclose(data.grad.asnumpy(), want, rtol=1e-12)


def test_shuffle_is_not_differentiable():
    data = mx.nd.arange(4)
    data.attach_grad()
    with mx.autograd.record():
        shuffled = mx.nd.random.shuffle(data)
    with pytest.raises(MXNetError, match="_shuffle.*not differentiable"):
        shuffled.backward()


def test_random_color_jitter_brightness_scales_by_a_uniform_factor():
    image = mx.nd.ones((2, 2, 3)) * 100
    factors = np.array(
        [mx.nd.image.random_color_jitter(image, 0.3, 0, 0, 0).asnumpy() / 100 for _ in range(300)]
    )
    # One factor per call, 1 + U(-0.3, 0.3), spread over the whole range.
    np.testing.assert_allclose(factors, factors[:, :1, :1, :1] * np.ones_like(factors), rtol=1e-5)
    drawn = factors[:, 0, 0, 0]
    assert drawn.min() >= 0.7 - 1e-5 and drawn.max() <= 1.3 + 1e-5
    assert drawn.min() < 0.8 and drawn.max() > 1.2
