"""Options of the fast path: top-k/top-p support and distribution (chi-square), banned ids,
no-repeat-n-gram, min length, several end ids, the substring constraint, passage voting and
the repetition penalty -- each against a NumPy or brute-force reference."""

import itertools

import keras
import numpy as np
import pytest
from decoding_models import full_logits, tiny_model
from scipy import stats

from kexue.decoding import (
    CachedDecoder,
    GenerationConfig,
    SubstringConstraint,
    restrict_support,
    samplers,
)

PROMPT = [3, 4, 5]


@pytest.fixture(scope="module")
def gpt2():
    model = tiny_model("gpt2", seed=4, std=0.3)
    return model, CachedDecoder(model)


def softmax(x):
    e = np.exp(x - x.max())
    return e / e.sum()


@pytest.mark.parametrize("options", [{"top_k": 5, "temperature": 0.7}, {"top_p": 0.8}])
def test_sampling_matches_the_renormalised_distribution(gpt2, options):
    model, decoder = gpt2
    n = 3000
    out = decoder.generate([PROMPT], max_new_tokens=1, do_sample=True, num_return_sequences=n, seed=1, **options)
    draws = np.array([s[0] for s in out.sequences[0]])
    logits = full_logits(model, "lm", PROMPT, [[]])[0, -1].astype("float64")
    p = softmax(logits / options.get("temperature", 1.0))
    expected = restrict_support(p[None], topk=options.get("top_k"), topp=options.get("top_p"))[0]
    support = np.flatnonzero(expected)
    assert set(draws) <= set(support)  # never outside the allowed tokens
    counts = np.bincount(draws, minlength=len(p))[support]
    assert stats.chisquare(counts, expected[support] * n).pvalue > 1e-3


def test_banned_ids_min_length_and_several_end_ids(gpt2):
    _, decoder = gpt2
    free = decoder.generate([PROMPT], max_new_tokens=8).sequences[0][0]
    banned = decoder.generate([PROMPT], max_new_tokens=8, banned_ids=free[:2].tolist()).sequences[0][0]
    assert not set(banned.tolist()) & set(free[:2].tolist())
    ends = [int(free[5]), int(free[2])]  # the first of them to appear stops decoding
    stop = min(free.tolist().index(e) for e in ends)
    got = decoder.generate([PROMPT], max_new_tokens=8, end_ids=ends).sequences[0][0]
    np.testing.assert_array_equal(got, free[: stop + 1])
    longer = decoder.generate([PROMPT], max_new_tokens=8, end_ids=ends, min_new_tokens=stop + 2).sequences[0][0]
    assert len(longer) >= stop + 2 and not set(longer[: stop + 1].tolist()) & set(ends)


def brute_force_ngram_ban(history, n, vocab):
    banned = set()
    seq = [t for t in history if t >= 0]
    for i in range(len(seq) - n + 1):
        if n == 1 or seq[i : i + n - 1] == seq[len(seq) - n + 1 :]:
            banned.add(seq[i + n - 1])
    return [t in banned for t in range(vocab)]


@pytest.mark.parametrize("n", [1, 2, 3])
def test_no_repeat_ngram_mask_against_brute_force(n):
    rng = np.random.default_rng(n)
    history = rng.integers(0, 4, size=(6, 12)).astype("int32")
    history[:, :3] = -1  # left padding
    index = 10
    history[:, index:] = -1  # not yet written
    got = keras.ops.convert_to_numpy(samplers.no_repeat_ngram_mask(history, index, n, 4))
    for row, mask in zip(history, got):
        assert mask.tolist() == brute_force_ngram_ban(row[:index].tolist(), n, 4)


def test_no_repeat_ngram_decoding(gpt2):
    _, decoder = gpt2
    seq = PROMPT + decoder.generate([PROMPT], max_new_tokens=12, no_repeat_ngram_size=2).sequences[0][0].tolist()
    bigrams = list(itertools.pairwise(seq))
    assert len(bigrams) == len(set(bigrams))


def test_substring_constraint_against_brute_force():
    rng = np.random.default_rng(0)
    source = rng.integers(0, 5, size=(2, 7)).astype("int32")
    source[1, 5:] = -1
    vocab, end = 6, 5
    constraint = SubstringConstraint(source, vocab, [end])
    for step in range(4):
        generated = rng.integers(0, 5, size=(2, 3, 1, 4)).astype("int32")
        generated[0, 0, 0, :step] = source[0, 1 : 1 + step]  # one prefix that does occur
        got = keras.ops.convert_to_numpy(constraint(generated, step))
        for b, k in itertools.product(range(2), range(3)):
            src = [t for t in source[b] if t >= 0]
            prefix = generated[b, k, 0, :step].tolist()
            allowed = {
                src[i + step] for i in range(len(src) - step) if src[i : i + step] == prefix
            }
            if step > 0:
                allowed.add(end)
            assert set(np.flatnonzero(got[b, k, 0]).tolist()) == allowed


def test_constrained_beam_output_is_a_substring_of_the_source(gpt2):
    _, decoder = gpt2
    source = np.array([[9, 10, 11, 12, 13, 14, 15]], "int32")
    out = decoder.generate(
        [PROMPT], max_new_tokens=5, end_ids=[1], num_beams=2,
        constraint=SubstringConstraint(source, 23, [1]),
    )
    answer = out.sequences[0][0].tolist()
    body = answer[:-1] if answer[-1] == 1 else answer
    text = source[0].tolist()
    assert body and any(text[i : i + len(body)] == body for i in range(len(text)))


def test_vote_formula_and_duplicate_passages(gpt2):
    p = np.random.default_rng(0).dirichlet(np.ones(5), size=3)
    got = keras.ops.convert_to_numpy(samplers.vote(np.log(p), axis=0))
    np.testing.assert_allclose(np.exp(got), (p**2).sum(0) / (p.sum(0) + 1), rtol=1e-5)
    _, decoder = gpt2  # Σp²/(Σp+1) of identical passages is increasing in p: same argmax
    single = decoder.generate([PROMPT], max_new_tokens=6).sequences[0][0]
    double = decoder.generate([PROMPT, PROMPT], max_new_tokens=6, passages=2).sequences
    assert len(double) == 1
    np.testing.assert_array_equal(double[0][0], single)


def test_repetition_penalty_formula():
    logits = np.array([[2.0, -1.0, 0.5, -3.0]], "float32")
    seen = np.array([[True, True, False, False]])
    got = keras.ops.convert_to_numpy(samplers.repetition_penalty(logits, seen, 2.0))
    np.testing.assert_allclose(got, [[1.0, -2.0, 0.5, -3.0]])


def test_options_are_the_config_fields(gpt2):
    """One definition: generate's keywords are GenerationConfig's fields; a config object
    plus keyword overrides gives the same output; an unknown option names the valid ones."""
    _, decoder = gpt2
    by_keywords = decoder.generate([PROMPT], max_new_tokens=3, num_beams=2, end_ids=0)
    config = GenerationConfig(max_new_tokens=9, num_beams=2, end_ids=(0,))
    by_config = decoder.generate([PROMPT], config=config, max_new_tokens=3)
    assert [s.tolist() for s in by_config.sequences[0]] == [s.tolist() for s in by_keywords.sequences[0]]
    with pytest.raises(TypeError, match=r"unknown options \['top_n'\].*max_new_tokens.*top_k.*seed"):
        decoder.generate([PROMPT], top_n=3)
    with pytest.raises(ValueError, match="end_ids"):
        decoder.generate([PROMPT], end_ids=[99])


def test_the_seed_is_an_argument_of_the_compiled_loop(gpt2):
    """A new seed draws new samples from the same compiled program; the same seed repeats."""
    model, _ = gpt2
    decoder = CachedDecoder(model)
    draw = lambda seed: [s[0].tolist() for s in decoder.generate(
        [PROMPT] * 8, max_new_tokens=6, do_sample=True, seed=seed).sequences]
    first, again, other = draw(1), draw(1), draw(2)
    assert first == again and first != other
    assert len(decoder._compiled) == 1
    with pytest.raises(ValueError, match="32-bit"):
        decoder.generate([PROMPT], do_sample=True, seed=2**31)


def test_sampled_batches_of_equal_prompts_differ():
    """``cached_generate`` gives every batch its own draws: 64 equal prompts in batches of 8
    are not 8 texts repeated (which one seed for every batch would give)."""
    from kexue.tasks.seq2seq_decoding import DecodingOptions, cached_generate

    model = tiny_model("gpt2", seed=4, std=0.3)
    options = DecodingOptions(max_new_tokens=6, end_id=0, top_p=1.0, seed=3)
    outputs = cached_generate(CachedDecoder(model), [PROMPT] * 64, options, batch_size=8, maxlen=64)
    assert len({tuple(o) for o in outputs}) > 8
    assert outputs == cached_generate(CachedDecoder(model), [PROMPT] * 64, options, batch_size=8, maxlen=64)


@pytest.mark.parametrize("options, message", [
    ({"top_p": 1.5}, "--top-p must lie in (0, 1]"),
    ({"top_k": 0}, "--top-k must be a positive integer"),
    ({"top_k": 5, "num_beams": 2}, "choose sampling (--top-k/--top-p) or beam search (--beams > 1)"),
    ({"top_p": 0.9, "temperature": 0.0}, "--temperature must be a positive number"),
    ({"num_beams": 2, "length_penalty": float("nan")}, "--length-penalty must be a finite number"),
    ({"seed": 2**31}, "--decoding-seed must be a 32-bit integer"),
])
def test_decoding_options_check_like_generation_config_in_flag_names(options, message):
    """The generation recipes' options are checked by GenerationConfig itself, its messages
    naming the command line's flags."""
    from kexue.tasks.seq2seq_decoding import DecodingOptions

    with pytest.raises(ValueError) as caught:
        DecodingOptions(max_new_tokens=4, **options)
    assert message in str(caught.value)
