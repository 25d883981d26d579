"""GPT-2 has no padding token: id 0 ("!" in its vocabulary) is a real token. A GPT-2 saved by
``transformers`` gives the same LM logits in kexue on sequences containing id 0, and greedy
generation that produces id 0 is identical to ``transformers.generate`` (cached decoding and
bert4keras' ``AutoRegressiveDecoder`` alike)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from kexue.decoding import AutoRegressiveDecoder, CachedDecoder  # noqa: E402
from kexue.models import build_transformer_model  # noqa: E402

VOCAB = 50
END = 49


@pytest.fixture(scope="module")
def saved_gpt2(tmp_path_factory):
    """A random GPT-2 whose token 0 is likely: its embedding row (also the output row, tied)
    points along the final LayerNorm's bias, so greedy decoding emits it now and then."""
    folder = tmp_path_factory.mktemp("gpt2")
    config = transformers.GPT2Config(
        vocab_size=VOCAB, n_embd=32, n_layer=2, n_head=4, n_positions=64,
        bos_token_id=END, eos_token_id=END, pad_token_id=0,  # a pad id in the config masks nothing
    )
    torch.manual_seed(1)
    model = transformers.GPT2LMHeadModel(config).eval()
    with torch.no_grad():
        for param in model.parameters():
            param.normal_(0.0, 0.5)
        model.transformer.wte.weight[0] = 0.3 * model.transformer.ln_f.bias
    model.save_pretrained(folder)
    return model, folder


@pytest.fixture(scope="module")
def kexue_gpt2(saved_gpt2):
    return build_transformer_model(None, saved_gpt2[1], model="gpt2", final_activation="linear")


def test_logits_match_on_sequences_with_id_zero(saved_gpt2, kexue_gpt2):
    hf, _ = saved_gpt2
    rng = np.random.default_rng(0)
    ids = rng.integers(0, VOCAB, size=(3, 12)).astype("int32")
    ids[:, [1, 5, 6]] = 0
    with torch.no_grad():
        expected = hf(torch.tensor(ids).long()).logits.numpy()
    got = kexue_gpt2.predict(ids, verbose=0)
    assert np.abs(got - expected).max() <= 1e-5


PROMPTS = [[5, 0, 7], [0], [12, 3, 0, 0, 8]]
STEPS = 12


def hf_greedy(hf, prompt):
    with torch.no_grad():
        out = hf.generate(
            torch.tensor([prompt]).long(), attention_mask=torch.ones(1, len(prompt)).long(),
            max_new_tokens=STEPS, do_sample=False, num_beams=1, eos_token_id=None, pad_token_id=0,
        )
    generated = out[0, len(prompt):].numpy().tolist()
    assert 0 in generated and len(set(generated)) > 1, "the test model should generate id 0 among others"
    return generated


def test_cached_greedy_generation_matches_transformers(saved_gpt2, kexue_gpt2):
    """One left-padded batch of prompts of different lengths (the decoder's own padding)."""
    expected = [hf_greedy(saved_gpt2[0], prompt) for prompt in PROMPTS]
    out = CachedDecoder(kexue_gpt2).generate(PROMPTS, max_new_tokens=STEPS)
    assert [seqs[0].tolist() for seqs in out.sequences] == expected


def test_autoregressive_decoder_matches_transformers(saved_gpt2, kexue_gpt2):
    class Greedy(AutoRegressiveDecoder):
        @AutoRegressiveDecoder.wraps(default_rtype="logits")
        def predict(self, inputs, output_ids, states):
            token_ids = np.concatenate([inputs[0], output_ids], 1)
            return self.last_token(kexue_gpt2).predict([token_ids])

    greedy = Greedy(start_id=None, end_id=-1, maxlen=STEPS)
    for prompt in PROMPTS:
        decoded = greedy.beam_search([np.array(prompt)], topk=1)
        assert decoded.tolist() == hf_greedy(saved_gpt2[0], prompt)
