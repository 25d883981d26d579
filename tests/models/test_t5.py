"""T5 v1.0, v1.1 and mT5 against ``transformers``: tiny random models built and saved in the
test, loaded through ``build_transformer_model``; encoder and decoder hidden states and LM
logits must agree within 1e-4 on non-padded positions."""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from helpers import random_ids  # noqa: E402
from safetensors.torch import save_file  # noqa: E402

from kexue.checkpoints.loader import CheckpointMismatch  # noqa: E402
from kexue.models import build_transformer_model  # noqa: E402

TINY = dict(
    vocab_size=64,
    d_model=24,
    d_kv=5,  # heads * d_kv != d_model, as in real T5 configs' freedom
    d_ff=40,
    num_layers=2,
    num_decoder_layers=3,
    num_heads=4,
    relative_attention_num_buckets=8,
    relative_attention_max_distance=12,  # short, so the test lengths reach the log buckets
    dropout_rate=0.0,
    layer_norm_epsilon=1e-6,
    decoder_start_token_id=0,
)
# name -> (kexue model, transformers classes, config changes, untied lm_head saved separately)
CASES = {
    "t5.1.0": ("t5.1.0", "T5Config", "T5ForConditionalGeneration", dict(feed_forward_proj="relu"), False),
    "t5.1.1": ("t5.1.1", "T5Config", "T5ForConditionalGeneration", dict(feed_forward_proj="gated-gelu"), True),
    "t5.1.1-tied": ("t5.1.1", "T5Config", "T5ForConditionalGeneration", dict(feed_forward_proj="gated-gelu"), False),
    "mt5.1.1": ("mt5.1.1", "MT5Config", "MT5ForConditionalGeneration", dict(feed_forward_proj="gated-gelu"), True),
}


def save_random_t5(case: str, folder, seed: int = 0):
    """A random HF model saved as safetensors + config.json. With ``untied``, the LM head gets
    its own weights and the config says ``tie_word_embeddings: false``: the layout of the T5
    v1.1 / mT5 checkpoints published with transformers 4 (transformers 5 always ties)."""
    _, config_cls, model_cls, changes, untied = CASES[case]
    if untied:  # transformers 5 then skips the d_model**-0.5 output scaling, as v1.1 needs
        changes = dict(changes, tie_word_embeddings=False)
    config = getattr(transformers, config_cls)(**TINY, **changes)
    torch.manual_seed(seed)
    model = getattr(transformers, model_cls)(config).eval()
    with torch.no_grad():
        for p in model.parameters():  # larger than the default init, so errors show
            p.normal_(0.0, 0.5)
        if untied:
            model.lm_head.weight = torch.nn.Parameter(torch.randn(config.vocab_size, config.d_model) * 0.5)
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    if not untied:
        state.pop("lm_head.weight", None)
    for name in ("encoder.embed_tokens.weight", "decoder.embed_tokens.weight"):
        state.pop(name, None)
    save_file(state, str(folder / "model.safetensors"))
    saved = config.to_dict()
    if untied:
        saved["tie_word_embeddings"] = False
        saved.pop("scale_decoder_outputs", None)
    (folder / "config.json").write_text(json.dumps(saved))
    return model


def reference(model, source, target):
    with torch.no_grad():
        out = model(
            input_ids=torch.tensor(source, dtype=torch.long),
            attention_mask=torch.tensor(source != 0, dtype=torch.long),
            decoder_input_ids=torch.tensor(target, dtype=torch.long),
            output_hidden_states=True,
        )
    return (
        out.encoder_last_hidden_state.numpy(),
        out.decoder_hidden_states[-1].numpy(),
        out.logits.numpy(),
    )


def inputs(seed=1):
    """Ids from the whole vocabulary: a 0 inside a source is padding for kexue and for the
    reference (``attention_mask = source != 0``); zeros inside a target are real decoder inputs
    for both (the decoder's keys are never masked as padding)."""
    rng = np.random.default_rng(seed)
    source = random_ids(rng, 3, [17, 9, 3], TINY["vocab_size"], low=0)
    source[:, 0] = np.maximum(source[:, 0], 1)
    source[0, 4] = 0
    target = np.concatenate([np.zeros((3, 1), "int32"), rng.integers(0, TINY["vocab_size"], (3, 15))], 1)
    target[:, 5] = 0
    return source, target


@pytest.mark.parametrize("case", sorted(CASES))
def test_t5_matches_transformers(case, tmp_path):
    hf = save_random_t5(case, tmp_path / case)
    source, target = inputs()
    enc_ref, dec_ref, logits_ref = reference(hf, source, target)
    name = CASES[case][0]
    t5 = build_transformer_model(
        checkpoint_path=tmp_path / case, model=name, with_lm="linear", return_keras_model=False
    )
    assert not t5.model.load_report.unused
    valid = source != 0
    encoded = t5.encoder.predict(source, verbose=0)
    np.testing.assert_allclose(encoded[valid], enc_ref[valid], atol=1e-4, rtol=0)
    logits = t5.model.predict([source, target], verbose=0)
    np.testing.assert_allclose(logits, logits_ref, atol=1e-4, rtol=0)
    np.testing.assert_allclose(
        t5.decoder.predict([encoded, target], verbose=0), logits_ref, atol=1e-4, rtol=0
    )
    hidden = build_transformer_model(checkpoint_path=tmp_path / case, model=name, with_lm=False)
    np.testing.assert_allclose(hidden.predict([source, target], verbose=0), dec_ref, atol=1e-4, rtol=0)
    if case == "t5.1.0":  # the default head is a softmax
        probs = build_transformer_model(checkpoint_path=tmp_path / case, model=name)
        expected = np.exp(logits_ref - logits_ref.max(-1, keepdims=True))
        expected /= expected.sum(-1, keepdims=True)
        np.testing.assert_allclose(probs.predict([source, target], verbose=0), expected, atol=1e-5)


def test_t5_version_contradiction_and_strict_loading(tmp_path):
    save_random_t5("t5.1.0", tmp_path / "v10")
    with pytest.raises(ValueError, match="model='t5.1.0'"):
        build_transformer_model(checkpoint_path=tmp_path / "v10", model="t5.1.1")
    save_random_t5("t5.1.1", tmp_path / "v11")
    with pytest.raises(ValueError, match="model='t5.1.1 or mt5.1.1'"):
        build_transformer_model(checkpoint_path=tmp_path / "v11", model="t5")
    # an untied config without its lm_head tensor: listed as missing, nothing loaded
    from safetensors.numpy import load_file
    from safetensors.numpy import save_file as save_numpy

    tensors = load_file(str(tmp_path / "v11" / "model.safetensors"))
    del tensors["lm_head.weight"]
    del tensors["decoder.block.1.layer.1.EncDecAttention.k.weight"]
    save_numpy(tensors, str(tmp_path / "v11" / "model.safetensors"))
    with pytest.raises(CheckpointMismatch) as error:
        build_transformer_model(checkpoint_path=tmp_path / "v11", model="t5.1.1")
    message = str(error.value)
    assert "lm_head.weight" in message and "decoder.block.1.layer.1.EncDecAttention.k.weight" in message
    with pytest.raises(TypeError, match="encoder-decoder"):
        build_transformer_model(TINY | {"feed_forward_proj": "relu"}, model="t5", with_pool=True)


def test_t5_keep_tokens_slices_the_untied_head(tmp_path):
    hf = save_random_t5("t5.1.1", tmp_path / "m")
    keep = [0, 1, 7, 3, 20, 33]
    t5 = build_transformer_model(checkpoint_path=tmp_path / "m", model="t5.1.1", keep_tokens=keep, with_lm="linear")
    source, target = np.array([[2, 3, 1]]), np.array([[0, 4, 2, 5]])
    full_vocab = np.asarray(keep)
    # map kept positions back to original ids to build the reference inputs
    _, _, logits_ref = reference(hf, full_vocab[source], full_vocab[target])
    np.testing.assert_allclose(t5.predict([source, target], verbose=0), logits_ref[..., keep], atol=1e-4)


def test_t5_saves_and_reloads_as_keras(tmp_path):
    import keras

    save_random_t5("t5.1.0", tmp_path / "m")
    model = build_transformer_model(checkpoint_path=tmp_path / "m", model="t5", with_lm="linear")
    source, target = inputs()
    expected = model.predict([source, target], verbose=0)
    model.save(tmp_path / "t5.keras")
    reloaded = keras.saving.load_model(tmp_path / "t5.keras")
    np.testing.assert_allclose(reloaded.predict([source, target], verbose=0), expected, atol=1e-6)


def mesh_tf_name(name: str, v11: bool) -> tuple[str, bool]:
    """The original Mesh TensorFlow T5 release's name for a Hugging Face tensor, and whether
    the tensor is stored transposed there (kernels [in, out]; position tables [heads, buckets])."""
    import re

    norm = "rms_norm" if v11 else "layer_norm"
    if name == "shared.weight":
        return "shared/embedding", False
    if name == "lm_head.weight":
        return "decoder/logits/kernel", True
    final = re.fullmatch(r"(encoder|decoder)\.final_layer_norm\.weight", name)
    if final:
        return f"{final[1]}/{'rms_norm' if v11 else 'final_layer_norm'}/scale", False
    block = re.fullmatch(r"(encoder|decoder)\.block\.(\d+)\.layer\.(\d+)\.(.*)", name)
    stack, i, j, rest = block[1], int(block[2]), int(block[3]), block[4]
    head = f"{stack}/block_{i:03d}/layer_{j:03d}"
    if rest == "layer_norm.weight":
        return f"{head}/{norm}/scale", False
    if rest.endswith("relative_attention_bias.weight"):
        return f"{head}/SelfAttention/relative_attention_bias", True
    module, part, _ = rest.split(".")
    if module == "DenseReluDense":
        return f"{head}/DenseReluDense/{part}/kernel", True
    return f"{head}/{module}/{part}", True


@pytest.mark.parametrize("case", ["t5.1.0", "t5.1.1"])
def test_t5_reads_mesh_tensorflow_checkpoints(case, tmp_path):
    from helpers_tf1 import write_checkpoint
    from safetensors.numpy import load_file

    save_random_t5(case, tmp_path / "hf")
    tensors = {}
    for name, array in load_file(str(tmp_path / "hf" / "model.safetensors")).items():
        mesh, transpose = mesh_tf_name(name, v11=case != "t5.1.0")
        tensors[mesh] = array.T.copy() if transpose else array
    tensors["encoder/block_000/layer_000/SelfAttention/q_slot_vc"] = np.zeros(3, "float32")
    (tmp_path / "tf").mkdir()
    write_checkpoint(tmp_path / "tf" / "model.ckpt", tensors)
    model = CASES[case][0]
    from_hf = build_transformer_model(checkpoint_path=tmp_path / "hf", model=model, with_lm="linear")
    from_tf = build_transformer_model(
        tmp_path / "hf" / "config.json", tmp_path / "tf" / "model.ckpt", model=model, with_lm="linear"
    )
    for a, b in zip(from_hf.weights, from_tf.weights):
        assert a.path == b.path
        np.testing.assert_array_equal(np.asarray(a.numpy()), np.asarray(b.numpy()), err_msg=a.path)


def test_t5_spec_reads_bert4keras_style_configs():
    from kexue.models.families.t5 import t5_spec

    config = dict(vocab_size=50, hidden_size=16, num_attention_heads=2, attention_head_size=4,
                  intermediate_size=24, num_hidden_layers=2)
    spec = t5_spec(dict(config, hidden_act=["gelu", "linear"]), "1.1")
    assert spec.gated_feedforward and spec.hidden_act == "gelu_new" and spec.head_size == 4
    assert not spec.tie_output and spec.output_scale == 1.0  # v1.1 default: separate head
    spec = t5_spec(dict(config, hidden_act="relu"), "1.0")
    assert not spec.gated_feedforward and spec.tie_output and spec.output_scale == 16**-0.5
    assert spec.num_decoder_layers == 2
