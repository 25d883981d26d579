"""DataGenerator: bert4keras' iteration semantics, and ``model.fit`` consuming it directly."""

import keras
import numpy as np
import pytest

from kexue.data import DataGenerator, sequence_padding


class Batches(DataGenerator):
    """bert4keras' canonical subclass: fill a batch from sample(), flush at batch_size/is_end."""

    def __iter__(self, random=False):
        xs, ys = [], []
        for is_end, (x, y) in self.sample(random):
            xs.append(x)
            ys.append(y)
            if len(xs) == self.batch_size or is_end:
                yield sequence_padding(xs).astype("float32"), np.array(ys, dtype="float32")
                xs, ys = [], []


def regression_data(n=50, seed=0):
    rng = np.random.default_rng(seed)
    w = np.array([1.5, -2.0, 0.5], dtype="float32")
    x = rng.normal(size=(n, 3)).astype("float32")
    return [(xi, np.float32(xi @ w)) for xi in x], w


def test_len_sample_and_iteration():
    data = list(range(10))
    gen = Batches([([i], i) for i in data], batch_size=4, seed=0)
    assert len(gen) == 3 and gen.num_batches == 3
    flags = [is_end for is_end, _ in gen.sample()]
    assert flags == [False] * 9 + [True]
    assert [x for _, (x, _) in gen.sample()] == [[i] for i in data]
    shuffled = [y for _, (_, y) in gen.sample(random=True)]
    assert sorted(shuffled) == data and shuffled != data
    sizes = [len(y) for _, y in gen]  # plain iteration is __iter__(random=False)
    assert sizes == [4, 4, 2]
    first = next(gen.forfit())
    assert first[0].shape[0] == 4
    test_batch = next(gen.fortest())
    assert test_batch.shape == (4, 1)
    assert list(DataGenerator([1], batch_size=1).sample()) == [(True, 1)]


def test_getitem_serves_one_epoch_in_order_and_out_of_order():
    data, _ = regression_data(23)
    gen = Batches(data, batch_size=5, seed=3)
    in_order = [gen[i] for i in range(len(gen))]
    # Each epoch is a permutation of all samples, in batches of the subclass's making.
    seen = np.concatenate([y for _, y in in_order])
    np.testing.assert_array_equal(np.sort(seen), np.sort([y for _, y in data]))
    assert [len(y) for _, y in in_order] == [5, 5, 5, 5, 3]
    # Asking again for the same epoch, in any order and twice, gives the same batches.
    for i in [3, 0, 4, 4, 1, 2, 0]:
        np.testing.assert_array_equal(gen[i][1], in_order[i][1])
    gen.on_epoch_end()
    next_epoch = np.concatenate([gen[i][1] for i in range(len(gen))])
    np.testing.assert_array_equal(np.sort(next_epoch), np.sort(seen))
    assert not np.array_equal(next_epoch, seen)  # reshuffled
    with pytest.raises(IndexError, match="out of range"):
        gen[len(gen)]


def test_pickles_for_worker_processes():
    import pickle

    data, _ = regression_data(12)
    gen = Batches(data, batch_size=5, seed=4)
    first = gen[0]
    copy = pickle.loads(pickle.dumps(gen))
    np.testing.assert_array_equal(copy[0][1], first[1])  # same seed, same epoch, same batch
    np.testing.assert_array_equal(copy[2][1], gen[2][1])


def test_short_iter_and_missing_iter_are_reported():
    class TooFew(DataGenerator):
        def __iter__(self, random=False):
            yield np.zeros((1, 1)), np.zeros(1)

    with pytest.raises(IndexError, match="yielded only 1 batches"):
        TooFew(list(range(10)), batch_size=2)[3]
    with pytest.raises(NotImplementedError, match="subclass DataGenerator"):
        DataGenerator([1, 2])[0]
    with pytest.raises(ValueError, match="batch_size"):
        DataGenerator([1], batch_size=0)


def linear_model():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")])
    model.compile(optimizer=keras.optimizers.SGD(0.3), loss="mse")
    return model


@pytest.mark.parametrize("shuffle", [True, False])
def test_fit_consumes_the_generator_directly(shuffle):
    """On the current backend (the suite runs on JAX and torch), fit reaches the least-squares
    solution, which NumPy gives in closed form."""
    data, true_w = regression_data(64)
    gen = Batches(data, batch_size=16, seed=1)
    model = linear_model()
    history = model.fit(gen, epochs=10, shuffle=shuffle, verbose=0)
    x = np.stack([d[0] for d in data])
    y = np.array([d[1] for d in data])
    w_ls = np.linalg.lstsq(x, y, rcond=None)[0]
    np.testing.assert_allclose(model.get_weights()[0][:, 0], w_ls, atol=1e-3)
    np.testing.assert_allclose(w_ls, true_w, atol=1e-5)
    assert history.history["loss"][-1] < 1e-5 < history.history["loss"][0]
    assert gen._epoch >= 10  # a fresh order at least once per epoch
    assert model.evaluate(gen, verbose=0) < 1e-5


def test_fit_with_a_stream_and_worker_threads():
    data, _ = regression_data(40)

    def stream():
        yield from data

    class Stream:
        def __iter__(self):
            return stream()

    gen = Batches(Stream(), batch_size=8, seed=2)
    assert gen.num_batches is None
    with pytest.raises(TypeError, match="steps_per_epoch"):
        len(gen)
    model = linear_model()
    history = model.fit(gen, epochs=4, steps_per_epoch=10, shuffle=False, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    threaded = Batches(data, batch_size=8, seed=2, workers=2)
    history = linear_model().fit(threaded, epochs=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
