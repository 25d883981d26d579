"""The KV-cached fast path against uncached decoding of the same models: per-step logits,
greedy tokens (vs AutoRegressiveDecoder) and beam search (vs a plain-Python beam search and,
on a tiny vocabulary, brute-force enumeration)."""

import itertools

import keras
import numpy as np
import pytest
from decoding_models import FAMILIES, GPT2, full_logits, log_softmax, reference_beam, tiny_model

from kexue.backend import jit_with_variables
from kexue.decoding import AutoRegressiveDecoder, CachedDecoder
from kexue.decoding.cache import CachedTransformer
from kexue.models import build_transformer_model

SOURCE, TARGET = [3, 4, 5, 6], [7, 8, 9, 10, 11]


def families(*fast):
    """Every family; those not in ``fast`` only in the slow suite (JAX compiles each loop)."""
    return [name if name in fast else pytest.param(name, marks=pytest.mark.slow) for name in FAMILIES]


@pytest.mark.parametrize("name", families("gpt2", "bert-unilm", "roformer-unilm"))
def test_cached_steps_give_the_full_model_logits(name):
    model, application = tiny_model(name), FAMILIES[name][2]
    net = CachedTransformer(model)
    full = full_logits(model, application, SOURCE, [TARGET])[0]
    n, max_len = len(SOURCE), len(SOURCE) + len(TARGET)
    key_valid = np.ones((1, max_len), bool)

    def run(tokens, segments, positions, cache, index, causal):
        mask = net.step_mask(key_valid, index, tokens.shape[1], causal=causal)
        return net.step(tokens, segments, positions, cache, index, mask)

    prefill = jit_with_variables(lambda *a: run(*a, causal=application == "lm"), net.variables)
    step = jit_with_variables(lambda *a: run(*a, causal=True), net.variables)
    source = np.array([SOURCE], "int32")
    logits, cache = prefill(source, np.zeros_like(source), np.arange(n)[None], net.init_cache(1, max_len), 0)
    got = [keras.ops.convert_to_numpy(logits)[0]]
    segment = np.array([[1 if application == "unilm" else 0]], "int32")
    for i, token in enumerate(TARGET[:-1]):
        logits, cache = step(np.array([[token]], "int32"), segment, np.array([[n + i]]), cache, n + i)
        got.append(keras.ops.convert_to_numpy(logits)[0])
    np.testing.assert_allclose(np.array(got), full[n - 1 : max_len - 1], atol=1e-5, rtol=1e-5)


class Uncached(AutoRegressiveDecoder):
    """bert4keras-style decoder re-running the whole model at every step."""

    def __init__(self, model, application, **kwargs):
        super().__init__(**kwargs)
        self.model, self.application = model, application

    @AutoRegressiveDecoder.wraps(default_rtype="logits")
    def predict(self, inputs, output_ids, states):
        return full_logits(self.model, self.application, inputs[0][0], output_ids)[:, -1]


PROMPTS = [[3, 4, 5, 6, 7], [8, 9]]



@pytest.mark.parametrize("name", families("gpt2", "roformer-unilm"))
def test_greedy_tokens_match_uncached_decoding(name):
    model, application = tiny_model(name, seed=1), FAMILIES[name][2]
    out = CachedDecoder(model).generate(PROMPTS, max_new_tokens=6, end_ids=[1, 2])
    reference = Uncached(model, application, start_id=None, end_id=[1, 2], maxlen=6)
    for prompt, got in zip(PROMPTS, out.sequences):
        np.testing.assert_array_equal(got[0], reference.beam_search([prompt], topk=1))


@pytest.mark.parametrize("name", ["gpt2", pytest.param("bert-unilm", marks=pytest.mark.slow)])
def test_beam_search_matches_uncached_reference(name):
    model, application = tiny_model(name, seed=2, std=0.35), FAMILIES[name][2]
    out = CachedDecoder(model).generate(
        PROMPTS, max_new_tokens=5, end_ids=[1, 2], num_beams=3, num_return_sequences=2, length_penalty=0.7
    )
    for prompt, got, scores in zip(PROMPTS, out.sequences, out.scores):
        logits_fn = lambda seqs: full_logits(model, application, prompt, seqs)[:, -1]  # noqa: E731
        expected = reference_beam(logits_fn, 3, 5, (1, 2), 0.7)[:2]
        assert [tuple(s.tolist()) for s in got] == [s for s, _ in expected]
        np.testing.assert_allclose(scores, [v for _, v in expected], atol=1e-4)


@pytest.mark.parametrize("alpha", [pytest.param(0.0, marks=pytest.mark.slow), 1.0])
def test_wide_beam_equals_brute_force_enumeration(alpha):
    vocab, max_new, end = 5, 3, 0
    model = build_transformer_model(dict(GPT2, vocab_size=vocab), model="gpt2", with_mlm="linear")
    rng = np.random.default_rng(3)
    model.set_weights([rng.normal(0, 0.5, w.shape).astype("float32") for w in model.get_weights()])
    prompt = [1, 2, 3]
    prefixes = list(itertools.product(range(vocab), repeat=max_new - 1))
    logp = log_softmax(full_logits(model, "lm", prompt, prefixes)[:, len(prompt) - 1 :].astype("float64"))
    logp = dict(zip(prefixes, logp))  # logp[prefix][i] scores token i + 1 after any prefix[:i]
    every = []
    for n in range(1, max_new + 1):
        for seq in itertools.product(range(vocab), repeat=n):
            if end in seq[:-1] or (n < max_new and seq[-1] != end):
                continue
            rows = logp[(seq[:-1] + (0,) * max_new)[: max_new - 1]]
            every.append((seq, sum(rows[i, t] for i, t in enumerate(seq)) / n**alpha))
    every.sort(key=lambda c: -c[1])
    beams = (vocab - 1) ** (max_new - 1)
    out = CachedDecoder(model).generate(
        [prompt], max_new_tokens=max_new, end_ids=[end], num_beams=beams, num_return_sequences=3,
        length_penalty=alpha,
    )
    assert [tuple(s.tolist()) for s in out.sequences[0]] == [s for s, _ in every[:3]]
    np.testing.assert_allclose(out.scores[0], [v for _, v in every[:3]], atol=1e-4)


def test_decoder_sees_weights_changed_between_calls():
    """A reused CachedDecoder prepares the output embedding once (oneDNN-packed on torch); a
    weight update between calls must reach the next call, as with a fresh decoder."""
    model = tiny_model("gpt2", seed=3)
    decoder = CachedDecoder(model)
    prompts = [[3, 4, 5], [6, 7, 8], [9, 10, 11], [12, 13, 14]]  # 4 rows: the packed path
    before = decoder.generate(prompts, max_new_tokens=4)
    rng = np.random.default_rng(4)
    model.set_weights([rng.normal(0, 0.5, w.shape).astype("float32") for w in model.get_weights()])
    after = decoder.generate(prompts, max_new_tokens=4)
    fresh = CachedDecoder(model).generate(prompts, max_new_tokens=4)
    np.testing.assert_allclose(after.scores, fresh.scores, rtol=1e-5)
    assert [s[0].tolist() for s in after.sequences] == [s[0].tolist() for s in fresh.sequences]
    assert not np.allclose(before.scores, after.scores)


def test_mixed_bfloat16_model_decodes_like_its_uncached_forward(mixed_bfloat16):
    """The cached step runs the blocks' sublayers directly; under mixed_bfloat16 it must still
    compute in bfloat16 with float32 variables and follow the model's own greedy choice."""
    model = build_transformer_model(GPT2, model="gpt2", with_mlm="linear")
    assert all(v.dtype == "float32" for v in model.weights)
    out = CachedDecoder(model).generate([[5, 6, 7]], max_new_tokens=4)
    tokens = [5, 6, 7]
    for _ in range(4):  # greedy by the full forward pass
        logits = keras.ops.convert_to_numpy(keras.ops.cast(model(np.array([tokens])), "float32"))
        tokens.append(int(np.argmax(logits[0, -1])))
    assert list(np.asarray(out.sequences[0][0]).ravel()[-4:]) == tokens[3:]
