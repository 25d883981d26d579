"""``CachedDecoder(model, compile=True)``: on torch the loop body is compiled with
``torch.compile`` (one graph for every step); it must produce exactly the eager loop's tokens
and, to float tolerance, its scores. On JAX the option changes nothing (the loop is always
compiled), so the same comparisons hold trivially there."""

import keras
import numpy as np
import pytest
from decoding_models import tiny_model, tiny_t5

from kexue.decoding import CachedDecoder

PROMPTS = [[3, 4, 5, 6], [7, 8]]  # ragged: left padding and per-row positions are exercised
TORCH = keras.backend.backend() == "torch"


def _graphs() -> int:
    """Graphs torch.compile has built so far in this process (0 on other backends)."""
    if not TORCH:
        return 0
    from torch._dynamo.utils import counters

    return counters["stats"]["unique_graphs"]


@pytest.fixture(scope="module")
def model():
    return tiny_model("gpt2")


def _same(eager, compiled):
    assert len(eager.sequences) == len(compiled.sequences)
    for e_rows, c_rows in zip(eager.sequences, compiled.sequences):
        for e, c in zip(e_rows, c_rows):
            np.testing.assert_array_equal(e, c)
    np.testing.assert_allclose(eager.scores, compiled.scores, rtol=1e-4, atol=1e-4)


def test_compiled_greedy_equals_eager_with_one_graph_set_for_all_steps(model):
    options = {"max_new_tokens": 10, "end_ids": [1], "min_new_tokens": 2, "repetition_penalty": 1.3}
    eager = CachedDecoder(model).generate(PROMPTS, **options)
    decoder = CachedDecoder(model, compile=True)
    before = _graphs()
    _same(eager, decoder.generate(PROMPTS, **options))
    built = _graphs() - before
    _same(eager, decoder.generate(PROMPTS, **options))  # reused: nothing new to compile
    again = CachedDecoder(model, compile=True).generate(PROMPTS, **options)  # another decoder
    _same(eager, again)
    if TORCH:  # one graph, or (2 or more rows: the output embedding multiplied by oneDNN between
        # graphs) the graph before it and the resumed rest of the frames it returns through
        # (at most 4; fewer when an earlier test already compiled some of those resumptions)
        assert 1 <= built <= 4, f"{built} graphs: the step should compile once for every step"
        assert _graphs() - before == built, "a second call recompiled the step"


@pytest.mark.slow  # torch.compile of the beam step takes about a minute on 2 CPU cores
def test_compiled_beam_search_equals_eager(model):
    options = {"max_new_tokens": 8, "num_beams": 3, "num_return_sequences": 2, "end_ids": [1],
               "no_repeat_ngram_size": 2}
    eager = CachedDecoder(model).generate(PROMPTS, **options)
    _same(eager, CachedDecoder(model, compile=True).generate(PROMPTS, **options))


@pytest.mark.slow  # two torch.compile runs of the T5 step: about 90 s on 2 CPU cores
@pytest.mark.parametrize("options", [
    {"max_new_tokens": 6, "end_ids": [1, 2]},
    {"max_new_tokens": 5, "end_ids": [1, 2], "num_beams": 3, "num_return_sequences": 2},
], ids=["greedy", "beam"])
def test_compiled_t5_equals_eager(options):
    t5 = tiny_t5(seed=1)
    sources = [[3, 4, 5, 6, 7, 8, 1], [9, 10, 1]]  # ragged: the source is left-padded
    eager = CachedDecoder(t5).generate(sources, **options)
    decoder = CachedDecoder(t5, compile=True)
    before = _graphs()
    _same(eager, decoder.generate(sources, **options))
    built = _graphs() - before
    _same(eager, decoder.generate(sources, **options))
    if TORCH:  # see test_compiled_greedy_equals_eager_with_one_graph_set_for_all_steps
        assert 1 <= built <= 4, f"{built} graphs: the T5 step should compile once for every step"
        assert _graphs() - before == built, "a second call recompiled the T5 step"


def test_sampling_with_compile_runs_eagerly_and_matches(model):
    options = {"max_new_tokens": 6, "do_sample": True, "top_k": 5, "seed": 3, "num_return_sequences": 2}
    before = _graphs()
    eager = CachedDecoder(model).generate(PROMPTS, **options)
    _same(eager, CachedDecoder(model, compile=True).generate(PROMPTS, **options))
    assert _graphs() == before  # sampling is never handed to torch.compile
