"""What kexue passes to the fused GPU attention kernels, checked on CPU (issue 15).

JAX: the arguments kexue gives ``jax.nn.dot_product_attention(implementation="cudnn")`` pass
JAX's own cuDNN checks (``check_layout``, ``check_is_flash_attention``), which the old padding
layout failed. torch: the mask handed to SDPA is boolean or of the query's dtype, 4-D and
broadcastable, and dropout goes in as ``dropout_p``. Both: outputs equal a NumPy softmax
attention within float32 tolerance for padding, LM, UniLM and bias masks; attention dropout is
unbiased; the mixed_bfloat16 policy keeps the kernel's inputs in bf16 and the weights in float32.
"""

import keras
import numpy as np
import pytest

from kexue.backend import dot_product_attention, fuses_attention_dropout
from kexue.backend.fused_attention import cudnn_arguments, sdpa_mask
from kexue.layers.attention import MultiHeadAttention
from kexue.models import build_transformer_model
from kexue.models.masks import attention_mask
from tests.helpers import attention_reference, backend

B, T, N, H = 2, 8, 4, 16
CASES = ("padding", "lm", "unilm", "bias")


def _mask_and_bias(case):
    valid = np.ones((B, T), bool)
    valid[1, 5:] = False
    segments = np.array([[0, 0, 0, 1, 1, 1, 1, 1], [0, 0, 1, 1, 1, 0, 0, 0]])
    application = {"lm": "lm", "unilm": "unilm"}.get(case, "encoder")
    mask = np.asarray(keras.ops.convert_to_numpy(attention_mask(valid, segments, application)))
    if case != "bias":
        return mask, None
    bias = np.random.default_rng(1).normal(size=(1, N, T, T)).astype("float32")
    return None, np.where(mask, bias, -1e9).astype("float32")  # T5: relative bias with padding folded in


def _qkv(dtype="float32"):
    rng = np.random.default_rng(0)
    return [rng.normal(size=(B, T, N, H)).astype(dtype) for _ in range(3)]


@pytest.mark.parametrize("case", CASES)
def test_fused_attention_equals_reference(case):
    q, k, v = _qkv()
    mask, bias = _mask_and_bias(case)
    out = keras.ops.convert_to_numpy(dot_product_attention(q, k, v, mask=mask, bias=bias, scale=H**-0.5))
    np.testing.assert_allclose(out, attention_reference(q, k, v, mask, bias, H**-0.5), atol=2e-5)


@pytest.mark.skipif(backend() != "jax", reason="cuDNN contract of jax.nn.dot_product_attention")
@pytest.mark.parametrize("case", CASES)
def test_cudnn_arguments_pass_jax_checks(case):
    import jax.numpy as jnp
    from jax._src.cudnn import fused_attention_stablehlo as cudnn

    q, k, v = (jnp.asarray(x, jnp.bfloat16) for x in _qkv())
    mask, bias = _mask_and_bias(case)
    args = cudnn_arguments(q, mask, bias)
    assert args["mask"] is None or args["mask"].dtype == jnp.bool_
    assert args["bias"] is None or args["bias"].dtype == jnp.bfloat16
    combined = cudnn.combine_bias_and_mask(args["bias"], args["mask"], q.dtype)  # what cuDNN receives
    layout = cudnn.AttentionLayout.BTNH
    cudnn.check_layout(q, k, v, combined, None, None, None, None, None, None, layout)
    cudnn.check_is_flash_attention(q, k, v, layout.value, 90800, has_bias=True, is_training=True)
    if case == "padding":  # the layout kexue passed before: cuDNN refuses the broadcast query axis
        old = cudnn.combine_bias_and_mask(None, jnp.asarray(mask), q.dtype)
        with pytest.raises(ValueError, match="Bias must have same seq length"):
            cudnn.check_layout(q, k, v, old, None, None, None, None, None, None, layout)
    # the same arguments through XLA (jax's generic checks included) give the reference in fp32
    import jax

    q32, k32, v32 = _qkv()
    out = jax.nn.dot_product_attention(q32, k32, v32, **cudnn_arguments(q32, mask, bias), scale=H**-0.5, implementation="xla")
    np.testing.assert_allclose(np.asarray(out), attention_reference(q32, k32, v32, mask, bias, H**-0.5), atol=2e-5)


def _record_kernel_calls(monkeypatch):
    """Record the arguments of every fused-kernel call (SDPA on torch, jax.nn's on JAX)."""
    calls = []
    if backend() == "torch":
        import torch

        module, name = torch.nn.functional, "scaled_dot_product_attention"
    else:
        import jax

        module, name = jax.nn, "dot_product_attention"
    kernel = getattr(module, name)

    def recording(q, k, v, *args, **kwargs):
        calls.append(dict(q=q, k=k, v=v, args=args, **kwargs))
        return kernel(q, k, v, *args, **kwargs)

    monkeypatch.setattr(module, name, recording)
    return calls


def _check_sdpa_call(call, dropout):
    q, mask = call["q"], call["attn_mask"]
    assert q.dtype == call["k"].dtype == call["v"].dtype and q.stride(-1) == 1
    if mask is not None:
        assert mask.dtype == q.dtype or str(mask.dtype).removeprefix("torch.") in ("bool",)
        assert mask.ndim == 4
        assert all(m in (1, t) for m, t in zip(mask.shape, (q.shape[0], q.shape[1], q.shape[2], call["k"].shape[2])))
    assert call["dropout_p"] == pytest.approx(dropout)


@pytest.mark.skipif(backend() != "torch", reason="SDPA contract")
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_sdpa_mask_contract(case, dtype):
    import torch

    q = torch.zeros((B, T, N, H), dtype=getattr(torch, dtype))
    mask, bias = _mask_and_bias(case)
    attn_mask = sdpa_mask(q, mask, bias)
    expected = torch.bool if case != "bias" else q.dtype  # a float32 bias would leave the fused kernels
    assert attn_mask.dtype == expected and attn_mask.ndim == 4


@pytest.mark.parametrize("training", [False, True])
def test_layer_reaches_fused_kernel(monkeypatch, training):
    calls = _record_kernel_calls(monkeypatch)
    layer = MultiHeadAttention(heads=N, head_size=H, attention_dropout=0.1)
    x = np.random.default_rng(0).normal(size=(B, T, 32)).astype("float32")
    mask, _ = _mask_and_bias("unilm")
    layer(x, attention_mask=mask, training=training)
    if training and not fuses_attention_dropout():
        assert calls == []  # JAX: dropout on the explicit path (cuDNN's dropout seed is static)
        return
    assert len(calls) == 1
    if backend() == "torch":
        _check_sdpa_call(calls[0], 0.1 if training else 0.0)


def test_attention_dropout_unbiased():
    layer = MultiHeadAttention(heads=N, head_size=H, attention_dropout=0.5)
    x = np.random.default_rng(0).normal(size=(1, T, 32)).astype("float32")
    mask, _ = _mask_and_bias("lm")
    mask = mask[:1]
    keras.utils.set_random_seed(0)
    plain = keras.ops.convert_to_numpy(layer(x, attention_mask=mask))
    draws = [keras.ops.convert_to_numpy(layer(x, attention_mask=mask, training=True)) for _ in range(60)]
    assert not np.allclose(draws[0], plain, atol=1e-3)  # dropout is active in training
    spread = np.std(draws, axis=0) / np.sqrt(len(draws))
    assert np.all(np.abs(np.mean(draws, axis=0) - plain) < 5 * spread + 1e-4)


def test_bf16_policy_trains_tiny_bert(monkeypatch, mixed_bfloat16):
    # attention dropout where the kernel fuses it (torch); on JAX the step then reaches cuDNN's
    # path, whose inputs are recorded when the step is traced
    attention_dropout = 0.1 if fuses_attention_dropout() else 0.0
    config = dict(vocab_size=64, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
                  hidden_dropout_prob=0.1, attention_probs_dropout_prob=attention_dropout)
    keras.utils.set_random_seed(0)
    encoder = build_transformer_model(config, model="bert")
    assert encoder.output.dtype == "bfloat16"
    first = keras.layers.Lambda(lambda h: h[:, 0])(encoder.output)
    logits = keras.layers.Dense(2, dtype="float32", name="classifier")(first)
    model = keras.Model(encoder.inputs, logits)
    model.compile(keras.optimizers.AdamW(1e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    rng = np.random.default_rng(0)
    tokens = rng.integers(1, 64, size=(8, 8)).astype("int32")
    tokens[::2, 6:] = 0
    labels = (tokens[:, 0] > 32).astype("int32")
    calls = _record_kernel_calls(monkeypatch)
    losses = [float(model.train_on_batch([tokens, np.zeros_like(tokens)], labels)) for _ in range(3)]
    assert np.all(np.isfinite(losses))
    assert all(keras.backend.standardize_dtype(w.dtype) == "float32" for w in model.weights)
    # the step's attention call (the last recorded: Keras' symbolic build before them runs
    # in float32 on torch) gets bf16 queries, keys and values
    assert calls
    for call in calls[-1:]:
        assert keras.backend.standardize_dtype(call["q"].dtype) == "bfloat16"
        if backend() == "torch":
            _check_sdpa_call(call, attention_dropout)


@pytest.mark.slow  # torch.compile of a training step: ~2-3 minutes on 2 CPU cores
@pytest.mark.skipif(backend() != "torch", reason="Keras' jit_compile=True is torch.compile on torch")
def test_torch_compiled_train_step_matches_eager():
    import torch
    from torch._dynamo.utils import counters

    config = dict(vocab_size=64, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)
    rng = np.random.default_rng(0)
    tokens = rng.integers(1, 64, size=(8, 8)).astype("int32")
    tokens[::2, 6:] = 0
    batch = [torch.tensor(tokens), torch.zeros(8, 8, dtype=torch.int32)]  # tensors: numpy inputs break the graph
    labels = torch.tensor((tokens[:, 0] > 32).astype("int32"))
    losses = {}
    for jit_compile in (False, True):
        keras.utils.set_random_seed(0)
        encoder = build_transformer_model(config, model="bert")
        logits = keras.layers.Dense(2)(keras.layers.GlobalAveragePooling1D()(encoder.output))
        model = keras.Model(encoder.inputs, logits)
        model.compile(keras.optimizers.AdamW(1e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      jit_compile=jit_compile)
        counters.clear()
        losses[jit_compile] = [float(model.train_on_batch(batch, labels)) for _ in range(3)]
    np.testing.assert_allclose(losses[True], losses[False], rtol=1e-5)
    # the only graph break left in the compiled step is the backward call itself
    assert all("backward" in reason for reason in counters["graph_break"]), list(counters["graph_break"])
