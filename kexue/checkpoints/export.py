"""``save_pretrained``: write a kexue Transformer as a Hugging Face folder (``config.json``,
``model.safetensors``, ``vocab.txt``) that ``transformers`` loads with the same outputs and that
``build_transformer_model(checkpoint_path=folder)`` reads back.

The tensor names are not a second map: the family's own loading map
(``family.weight_map(spec, "hf", ...)``, see :mod:`kexue.models.families`) says which checkpoint
tensor feeds each variable and how (transposed, a slice of rows or columns); exporting runs it
backwards and assembles every tensor from its pieces (GPT-2's fused query/key/value, RoBERTa's
position rows after the padding offset). Base-model tensors get the family's prefix (``bert.``),
heads keep their names (``cls.predictions...``), so both ``AutoModel`` and ``...ForMaskedLM`` load
the folder; tied output matrices are left to ``transformers`` to tie.

Families and the ``transformers`` classes that read them: ``bert`` (``BertModel``,
``BertForMaskedLM``, ``BertLMHeadModel`` for ``application="lm"``), ``roberta`` (as BERT layout;
with ``config`` of ``model_type: roberta``, ``RobertaModel``/``RobertaForMaskedLM``), ``albert``,
``electra`` (``ElectraModel``, the generator head as ``ElectraForMaskedLM``), ``roformer``,
``gpt2`` (``GPT2LMHeadModel``). ``nezha`` is written too, but ``transformers`` 5 has no NEZHA class
any more: only kexue reads it back.

Example:
    >>> import tempfile
    >>> from kexue.models import build_transformer_model
    >>> model = build_transformer_model(dict(vocab_size=8, hidden_size=16, num_hidden_layers=1,
    ...     num_attention_heads=2, intermediate_size=32), model="bert", with_mlm=True)
    >>> vocab = {t: i for i, t in enumerate("[PAD] [UNK] [CLS] [SEP] [MASK] a b c".split())}
    >>> folder = save_pretrained(model, tempfile.mkdtemp(), vocab=vocab)
    >>> sorted(p.name for p in folder.iterdir())
    ['config.json', 'model.safetensors', 'vocab.txt']
    >>> again = build_transformer_model(checkpoint_path=folder, model="bert", with_mlm=True)
    >>> again.load_report.ok
    True
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path

import numpy as np

__all__ = ["save_pretrained", "hf_tensors"]


def _canonical_map(found, family: str, position_offset: int) -> dict:
    """``{variable path: Ref}`` of the family's Hugging Face map for this structure."""
    from kexue.models.families import get_family

    spec = found.spec.replace(position_offset=position_offset)
    return get_family(family if family != "albert" or found.shared else "albert_unshared").weight_map(
        spec, "hf", found.prefix, 1 if found.shared else spec.num_layers)


def _place(pieces: list) -> np.ndarray:
    """One tensor from its ``(ref, value)`` pieces (values already in checkpoint orientation):
    row and column slices put back where they came from, rows no variable used left at 0."""
    ref, first = pieces[0]
    if len(pieces) == 1 and ref.rows is None and ref.cols is None:
        return first
    shape = list(first.shape)
    for ref, value in pieces:
        if ref.rows:
            shape[0] = max(shape[0], ref.rows[0] + value.shape[0])
        if ref.cols:
            shape[-1] = max(shape[-1], ref.cols[0] + value.shape[-1])
    full = np.zeros(shape, dtype=first.dtype)
    for ref, value in pieces:
        index = [slice(None)] * full.ndim
        if ref.rows:
            index[0] = slice(ref.rows[0], ref.rows[0] + value.shape[0])
        if ref.cols:
            index[-1] = slice(ref.cols[0], ref.cols[0] + value.shape[-1])
        full[tuple(index)] = value
    return full


def hf_tensors(model, family: str | None = None, config: dict | None = None):
    """``(tensors, config)``: the Hugging Face tensors (names with the family prefix) and the
    ``config.json`` dict of ``model``. See :func:`save_pretrained` for the arguments."""
    from keras import ops

    from kexue.checkpoints.hf_config import HF_MODEL_TYPES, guess_family, hf_config, read_spec

    found = read_spec(model)
    family = (family or (config or {}).get("model_type") or guess_family(found)).lower()
    if family == "albert_unshared":
        family = "albert"
    if family not in HF_MODEL_TYPES:
        raise ValueError(f"save_pretrained writes {', '.join(HF_MODEL_TYPES)} models, not {family!r}.")
    roberta_layout = family == "roberta" and (config or {}).get("model_type") == "roberta"
    offset = found.spec.pad_token_id + 1 if roberta_layout else 0
    if family == "roberta" and not roberta_layout:
        family = "bert"  # positions from 0: BERT's layout (as Chinese RoBERTa checkpoints are)
    weight_map = _canonical_map(found, family, offset)
    model_type, base_prefix, _, _ = HF_MODEL_TYPES[family]
    pieces: dict[str, list] = defaultdict(list)
    seen = set()
    for variable in model.weights:
        ref = weight_map.get(variable.path)
        if ref is None or id(variable) in seen:
            continue
        seen.add(id(variable))
        if ref.fn is not None:
            raise ValueError(f"{variable.path} is loaded through a transform that cannot be inverted.")
        value = np.asarray(ops.convert_to_numpy(variable), dtype="float32")
        pieces[ref.name].append((ref, value.T if ref.transpose else value))
    tensors = {}
    for name, parts in pieces.items():
        base = name.split(".")[0] in ("embeddings", "encoder", "pooler", "embeddings_project",
                                      "wte", "wpe", "h", "ln_f")
        tensors[(base_prefix if base else "") + name] = np.ascontiguousarray(_place(parts))
    if found.spec.segment_vocab_size == 0 and family != "gpt2":  # one zero row: adds nothing
        tensors[f"{base_prefix}embeddings.token_type_embeddings.weight"] = np.zeros(
            (1, found.spec.embedding_width), "float32")
    return tensors, hf_config(found, family, offset)


def save_pretrained(model, folder: str | os.PathLike, *, model_type: str | None = None,
                    config: dict | None = None, vocab: dict | str | os.PathLike | None = None,
                    inputs=()) -> Path:
    """Write ``model`` (built by ``build_transformer_model``, heads on top are left out) to
    ``folder`` as ``config.json``, ``model.safetensors`` and, given ``vocab`` (a ``{token: id}``
    dict or a ``vocab.txt`` path), ``vocab.txt`` — all three replaced together
    (:func:`kexue.files.commit_files`).

    ``model_type``: the family (default: the one the structure implies, see
    :func:`kexue.checkpoints.hf_config.guess_family`; a RoBERTa must say ``"roberta"``).
    ``config``: the config the model was built from, if at hand (only its ``model_type`` is
    used: ``roberta`` writes Hugging Face's RoBERTa layout, whose positions start at pad + 1).
    """
    from safetensors.numpy import save_file

    from kexue.files import commit_files, prepare_output_dir
    from kexue.tokenizers import load_vocab

    tensors, hf = hf_tensors(model, model_type, config)
    folder = prepare_output_dir(folder, inputs=inputs)
    writers = {
        "config.json": lambda p: p.write_text(json.dumps(hf, indent=2) + "\n", encoding="utf-8"),
        "model.safetensors": lambda p: save_file(tensors, str(p), metadata={"format": "pt"}),
    }
    if vocab is not None:
        tokens = load_vocab(vocab) if not isinstance(vocab, dict) else vocab
        if len(tokens) != hf["vocab_size"]:
            raise ValueError(f"the vocabulary has {len(tokens)} tokens but the model {hf['vocab_size']}.")
        ordered = sorted(tokens, key=tokens.get)
        writers["vocab.txt"] = lambda p: p.write_text("".join(t + "\n" for t in ordered), encoding="utf-8")
    commit_files(folder, writers, inputs=inputs)
    return folder
