"""The bad inputs of issue 13 (outside ``kexue words`` / ``kexue gen``) as one table.

Each :class:`Case` calls public kexue API the way a user would, with one bad input, and says
which error a careful library gives: its type and a pattern the message must contain (the
argument, the value or the file). ``test_input_cases.py`` asserts every case; ``survey.py`` runs
the same table against any kexue checkout and counts the outcomes (clear error, confusing error,
silently wrong, hang) for docs/reliability.md.

Cases only use API that existed before the fixes, so the survey can measure the old code too.
"""

from __future__ import annotations

import json
import pickle
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

TINY_BERT = dict(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                 intermediate_size=32, max_position_embeddings=16, type_vocab_size=2, model_type="bert")
TINY_GPT2 = dict(vocab_size=30, n_embd=16, n_layer=1, n_head=2, n_positions=12)
TINY_T5 = dict(vocab_size=40, d_model=16, d_kv=4, d_ff=24, num_layers=1, num_heads=2, model_type="t5",
               feed_forward_proj="gated-gelu", tie_word_embeddings=False)
VOCAB = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4, "h": 5, "##ello": 6, "hello": 7}


@dataclass
class Case:
    item: str  # the item number
    area: str  # "model inputs", "generate", "tokenizer", ...
    name: str
    run: Callable[["World"], Any]
    error: type | tuple = ValueError
    match: str = ""  # regular expression the message must contain


class World:
    """Lazily built models, tokenizers and files shared by the cases (one per test session)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._cache: dict[str, Any] = {}

    def reset(self) -> None:
        """Forget the models (the survey gives each case fresh ones, so that one case breaking
        a model -- Keras' JAX bug of item 3 -- does not decide the next cases' outcomes)."""
        for key in ("bert", "t5", "decoder"):
            self._cache.pop(key, None)

    def _get(self, key: str, make: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    @property
    def bert(self):
        def make():
            import keras

            from kexue.models import build_transformer_model

            model = build_transformer_model(TINY_BERT, with_pool=True)
            model.compile("sgd", "mse")
            return model

        return self._get("bert", make)

    @property
    def t5(self):
        from kexue.models import build_transformer_model

        return self._get("t5", lambda: build_transformer_model(TINY_T5, model="t5.1.1", return_keras_model=False))

    @property
    def decoder(self):
        def make():
            from kexue.decoding import CachedDecoder
            from kexue.models import build_transformer_model

            return CachedDecoder(build_transformer_model(TINY_GPT2, model="gpt2", with_mlm="linear"))

        return self._get("decoder", make)

    @property
    def tokenizer(self):
        from kexue.tokenizers import Tokenizer

        return self._get("tokenizer", lambda: Tokenizer(VOCAB, do_lower_case=True))

    def path(self, name: str) -> Path:
        path = self.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def hf_folder(self) -> Path:
        """A Hugging Face BERT folder (config.json + model.safetensors) matching TINY_BERT."""

        def make():
            from safetensors.numpy import save_file

            folder = self.path("hf_bert/x").parent
            rng = np.random.default_rng(0)
            h, f, v = 16, 32, 50
            tensors = {
                "embeddings.word_embeddings.weight": (v, h),
                "embeddings.position_embeddings.weight": (16, h),
                "embeddings.token_type_embeddings.weight": (2, h),
                "embeddings.LayerNorm.weight": (h,),
                "embeddings.LayerNorm.bias": (h,),
                "pooler.dense.weight": (h, h),
                "pooler.dense.bias": (h,),
            }
            layer = "encoder.layer.0."
            for part in ("attention.self.query", "attention.self.key", "attention.self.value",
                         "attention.output.dense"):
                tensors[layer + part + ".weight"] = (h, h)
                tensors[layer + part + ".bias"] = (h,)
            tensors[layer + "intermediate.dense.weight"] = (f, h)
            tensors[layer + "intermediate.dense.bias"] = (f,)
            tensors[layer + "output.dense.weight"] = (h, f)
            tensors[layer + "output.dense.bias"] = (h,)
            for norm in ("attention.output.LayerNorm", "output.LayerNorm"):
                tensors[layer + norm + ".weight"] = (h,)
                tensors[layer + norm + ".bias"] = (h,)
            save_file({k: rng.normal(0, 0.02, s).astype("float32") for k, s in tensors.items()},
                      str(folder / "model.safetensors"))
            (folder / "config.json").write_text(json.dumps(TINY_BERT))
            return folder

        return self._get("hf", make)


# -- model inputs (items 2 and 3) -------------------------------------------------------------

def _ids(*rows):
    return np.array(rows, dtype="int32")


GOOD = _ids([2, 5, 6, 3], [2, 7, 3, 0])
SEGMENTS = np.zeros_like(GOOD)
BAD_MODEL_INPUTS = {
    "token id >= vocab_size": ([_ids([2, 50, 6, 3], [2, 7, 3, 0]), SEGMENTS], "token_ids.*50.*vocab_size"),
    "segment id >= segment_vocab_size": ([GOOD, _ids([0, 0, 2, 0], [0, 0, 0, 0])], "segment_ids.*2.*segment_vocab_size"),
    "sequence longer than max_position": ([np.ones((2, 17), "int32"), np.zeros((2, 17), "int32")], "17 positions.*16"),
    "negative token id": ([_ids([2, -1, 6, 3], [2, 7, 3, 0]), SEGMENTS], "token_ids.*-1"),
    "float token ids": ([GOOD + 0.5, SEGMENTS], "token_ids.*whole numbers"),
    "batch of 1 against a batch of 2": ([GOOD[:1], SEGMENTS], "batch size"),
    "segment ids shorter than token ids": ([GOOD, SEGMENTS[:, :3]], "segment_ids.*shape"),
    "empty batch": ([GOOD[:0], SEGMENTS[:0]], "empty batch"),
}
ENTRY_POINTS = {
    "model(x)": lambda m, x: m(x),
    "predict": lambda m, x: m.predict(x, verbose=0),
    "predict_on_batch": lambda m, x: m.predict_on_batch(x),
    "fit": lambda m, x: m.fit(x, np.zeros((len(x[1]), 16)), verbose=0),
    "evaluate": lambda m, x: m.evaluate(x, np.zeros((len(x[1]), 16)), verbose=0),
    "train_on_batch": lambda m, x: m.train_on_batch(x, np.zeros((len(x[1]), 16))),
}


def _model_case(entry: str, bad: str) -> Case:
    x, match = BAD_MODEL_INPUTS[bad]
    call = ENTRY_POINTS[entry]
    return Case("2", "model inputs", f"{entry}: {bad}", lambda w: call(w.bert, x), ValueError, match)


def _then_usable(first) -> Callable[["World"], Any]:
    """Item 3: after a failed call, the model still predicts what it predicted before."""

    def run(w):
        model = w.bert
        before = model.predict([GOOD, SEGMENTS], verbose=0)
        try:
            first(model)
        except Exception:
            pass
        after = model.predict([GOOD, SEGMENTS], verbose=0)
        if not np.allclose(before, after, atol=1e-6):
            raise AssertionError("the model changed after a failed call")
        raise ValueError("usable after the failure")  # the expected outcome, as an error to match

    return run


MODEL_CASES = [_model_case(e, b) for e in ENTRY_POINTS for b in BAD_MODEL_INPUTS] + [
    Case("2", "model inputs", "T5 encoder: token id >= vocab_size",
         lambda w: w.t5.encoder.predict(_ids([5, 40]), verbose=0), ValueError, "encoder_token_ids.*40"),
    Case("2", "model inputs", "T5 decoder view: context and target batch sizes disagree",
         lambda w: w.t5.decoder.predict([np.zeros((2, 3, 16), "float32"), _ids([0])], verbose=0),
         ValueError, "encoder_output 2"),
    Case("2", "model inputs", "ragged python lists", lambda w: w.bert.predict([[[2, 5], [2]], [[0, 0], [0]]], verbose=0),
         ValueError, "different lengths"),
    Case("2", "model inputs", "one array for a two-input model", lambda w: w.bert.predict(GOOD, verbose=0),
         ValueError, "takes 2 inputs"),
    Case("3", "model inputs", "usable after failed predict (segment ids shorter)",
         _then_usable(lambda m: m.predict([GOOD, SEGMENTS[:, :3]], verbose=0)), ValueError, "usable"),
    Case("3", "model inputs", "usable after failed predict (empty batch)",
         _then_usable(lambda m: m.predict([GOOD[:0], SEGMENTS[:0]], verbose=0)), ValueError, "usable"),
    Case("3", "model inputs", "usable after failed fit (wrong label shape)",
         _then_usable(lambda m: m.fit([GOOD, SEGMENTS], np.zeros((2, 3, 5)), verbose=0)), ValueError, "usable"),
]

# -- generate (item 2) ----------------------------------------------------------------------

def _generate(prompts, **options):
    return lambda w: w.decoder.generate(prompts, max_new_tokens=options.pop("max_new_tokens", 4), **options)


GENERATE_CASES = [
    Case("2", "generate", "prompt id >= vocab_size", _generate([[3, 30]]), ValueError, r"inputs\[0\].*30.*vocab_size"),
    Case("2", "generate", "negative prompt id", _generate([[3, -2]]), ValueError, r"inputs\[0\].*-2"),
    Case("2", "generate", "float prompt ids", _generate([[3.7, 4]]), ValueError, "whole numbers"),
    Case("2", "generate", "prompt + new tokens > positions", _generate([[3] * 10], max_new_tokens=4),
         ValueError, "12 positions"),
    Case("2", "generate", "empty prompt", _generate([[]]), ValueError, "empty"),
    Case("2", "generate", "end id >= vocab_size", _generate([[3]], end_ids=[30]), ValueError, "end_ids.*30"),
    Case("2", "generate", "top_p > 1", _generate([[3]], do_sample=True, top_p=1.5), ValueError, "top_p"),
    Case("2", "generate", "temperature NaN", _generate([[3]], temperature=float("nan")), ValueError, "temperature"),
]

# -- tokenizer (item 5) and sequence_padding ----------------------------------------------------

TOKENIZER_CASES = [
    Case("5", "tokenizer", "encode(bytes)", lambda w: w.tokenizer.encode(b"hello"), TypeError, "first_text.*bytes"),
    Case("5", "tokenizer", "encode(text, bytes)", lambda w: w.tokenizer.encode("hello", b"x"), TypeError, "second_text.*bytes"),
    Case("5", "tokenizer", "encode_batch(a string)", lambda w: w.tokenizer.encode_batch("abc"), TypeError, "single str"),
    Case("5", "tokenizer", "decode([1.5])", lambda w: w.tokenizer.decode([1.5]), ValueError, "1.5"),
    Case("5", "tokenizer", "encode(None)", lambda w: w.tokenizer.encode(None), TypeError, "first_text.*NoneType"),
    Case("5", "tokenizer", "token list holding an int", lambda w: w.tokenizer.encode(["[CLS]", 7]), TypeError, r"first_text\[1\]"),
    Case("5", "tokenizer", "decode(a string)", lambda w: w.tokenizer.decode("hello"), TypeError, "ids"),
    Case("5", "tokenizer", "encode_batch([bytes])", lambda w: w.tokenizer.encode_batch([b"x"]), TypeError, r"texts\[0\].*bytes"),
    Case("5", "tokenizer", "vocab file not UTF-8",
         lambda w: __import__("kexue.tokenizers", fromlist=["Tokenizer"]).Tokenizer(
             str(_write(w.path("gbk_vocab.txt"), "[UNK]\n[CLS]\n[SEP]\n中\n".encode("gbk")))),
         ValueError, "gbk_vocab.txt.*byte"),
]


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _pad(*args, **kwargs):
    def run(w):
        from kexue.data import sequence_padding

        return sequence_padding(*args, **kwargs)

    return run


def _pad_all_empty(w):
    from kexue.data import sequence_padding

    out = sequence_padding([[], []])
    if out.dtype.kind != "i":
        return out  # a float array of "ids": silently wrong
    raise ValueError("integer result")


PADDING_CASES = [
    Case("2", "sequence_padding", "a string", _pad("abc"), TypeError, "list of sequences"),
    Case("2", "sequence_padding", "one flat sequence", _pad([1, 2, 3]), ValueError, "wrap it"),
    Case("2", "sequence_padding", "length=2.5", _pad([[1, 2]], length=2.5), TypeError, "length"),
    Case("2", "sequence_padding", "value 0.5 into integers", _pad([[1, 2]], length=3, value=0.5), ValueError, "0.5"),
    Case("2", "sequence_padding", "value NaN into integers", _pad([[1, 2]], length=3, value=float("nan")), ValueError, "nan"),
    Case("2", "sequence_padding", "value outside int8", _pad([np.array([1], "int8")], length=3, value=1000), ValueError, "int8"),
    Case("2", "sequence_padding", "ragged inner axis", _pad([[[1, 2], [3]]]), ValueError, "ragged"),
    Case("2", "sequence_padding", "None inside", _pad([[1, None]]), ValueError, "ragged or not numeric"),
    Case("2", "sequence_padding", "all sequences empty", _pad_all_empty, ValueError, "integer result"),
]

# -- fit_resumable (item 4) ---------------------------------------------------------------------

def _resumable_model(units: int = 4, learning_rate: float = 1e-3):
    import keras

    keras.utils.set_random_seed(0)
    optimizer = keras.optimizers.Adam(learning_rate)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(units), keras.layers.Dense(1)])
    model.compile(optimizer, "mse")
    return model


def _resume(w, name: str, first: dict, second: dict, model=None, corrupt: Callable[[Path], None] | None = None):
    from kexue.training import fit_resumable

    folder = w.path(f"resume_{name}/x").parent
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 3)), rng.normal(size=(16, 1))

    def fit(model, options):
        n = options.pop("n", 16)
        base = dict(batch_size=4, epochs=2, checkpoint_dir=folder, save_every=2)
        return fit_resumable(model, x[:n], y[:n], **{**base, **options})

    fit(_resumable_model(), dict(first))
    if corrupt is not None:
        corrupt(folder / "state.npz")
    other = model or _resumable_model()
    before = [np.array(v) for v in other.get_weights()]
    try:
        fit(other, dict(second))
    finally:
        after = other.get_weights()
        if any(not np.array_equal(a, b) for a, b in zip(before, after)) and model is not None:
            raise AssertionError("part of the state was assigned before the error")


def _counter_rewound(w):
    from kexue.training import fit_resumable, load_training_state

    folder = w.path("resume_rewind/x").parent
    x, y = np.ones((8, 3)), np.ones((8, 1))
    fit_resumable(_resumable_model(), x, y, batch_size=4, epochs=3, checkpoint_dir=folder, save_every=1)
    try:
        fit_resumable(_resumable_model(), x, y, batch_size=4, epochs=1, checkpoint_dir=folder, save_every=1)
    finally:
        epoch = load_training_state(folder, _resumable_model())["epoch"]
        if epoch != 3:
            return f"saved epoch counter rewound to {epoch}"  # silently wrong
    return None


def _flip_array_byte(path: Path) -> None:
    """Flip a byte inside the first array's data (zip headers have fields no reader checks)."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        info = archive.infolist()[0]
    data = bytearray(path.read_bytes())
    data[info.header_offset + 30 + len(info.filename) + len(info.extra) + info.compress_size - 2] ^= 0xFF
    path.write_bytes(bytes(data))


RESUMABLE_CASES = [
    Case("4", "fit_resumable", "fewer epochs than the checkpoint holds", _counter_rewound, ValueError, "already trained 3 epochs"),
    Case("4", "fit_resumable", "dataset size changed", lambda w: _resume(w, "size", {}, {"n": 12}), ValueError, "dataset size"),
    Case("4", "fit_resumable", "optimizer configuration changed (learning rate)",
         lambda w: _resume(w, "opt", {}, {}, model=_resumable_model(learning_rate=0.01)), ValueError, "optimizer"),
    Case("4", "fit_resumable", "batch size changed", lambda w: _resume(w, "batch", {}, {"batch_size": 8}), ValueError, "batch"),
    Case("4", "fit_resumable", "model shapes changed (no partial assignment)",
         lambda w: _resume(w, "shape", {}, {}, model=_resumable_model(units=5)), ValueError, "state.npz"),
    Case("4", "fit_resumable", "corrupt state.npz names the file",
         lambda w: _resume(w, "corrupt", {}, {}, corrupt=_flip_array_byte), ValueError, "state.npz"),
    Case("4", "fit_resumable", "truncated state.npz names the file",
         lambda w: _resume(w, "cut", {}, {}, corrupt=lambda p: p.write_bytes(p.read_bytes()[:100])), ValueError, "state.npz"),
    Case("4", "fit_resumable", "x and y of different lengths",
         lambda w: __import__("kexue.training", fromlist=["x"]).fit_resumable(
             _resumable_model(), np.ones((8, 3)), np.ones((7, 1)), batch_size=4, epochs=1,
             checkpoint_dir=w.path("resume_xy/x").parent, save_every=1), ValueError, "lengths"),
]

# -- simulation (item 6) ------------------------------------------------------------------------

def _simulate(initial=None, **options):
    def run(w):
        from kexue.sim import gene_expression, simulate

        return simulate(gene_expression(), initial if initial is not None else {"m": 0}, **options)

    return run


SIM_CASES = [
    Case("6", "simulate", "t_max = inf", _simulate(t_max=float("inf")), ValueError, "t_max.*finite"),
    Case("6", "simulate", "record_every = 1e-9", _simulate(t_max=100, n_trajectories=1000, record_every=1e-9), ValueError, "record_every"),
    Case("6", "simulate", "record_every = 0", _simulate(t_max=10, record_every=0.0), ValueError, "record_every"),
    Case("6", "simulate", "burn_in >= t_max", _simulate(t_max=10, burn_in=10), ValueError, "burn_in"),
    Case("6", "simulate", "negative initial count", _simulate([3, -1], t_max=1), ValueError, "non-negative"),
    Case("6", "simulate", "fractional initial count", _simulate([3.5, 1], t_max=1), ValueError, "whole"),
    Case("6", "simulate", "initial vector of the wrong length", _simulate([1, 2, 3], t_max=1), ValueError, "2 counts"),
    Case("6", "simulate", "t_max = NaN", _simulate(t_max=float("nan")), ValueError, "t_max"),
]

# -- checkpoints (item 7) -----------------------------------------------------------------------

def _build(config=None, checkpoint=None, **kwargs):
    from kexue.models import build_transformer_model

    return build_transformer_model(config, checkpoint, **kwargs)


def _config_file(w, name: str, content: bytes | dict) -> Path:
    data = json.dumps(content).encode() if isinstance(content, dict) else content
    return _write(w.path(f"configs/{name}"), data)


def _safetensors(w, name: str, header: Any, payload: bytes = b"\0" * 8) -> Path:
    raw = json.dumps(header).encode()
    return _write(w.path(f"st/{name}"), struct.pack("<Q", len(raw)) + raw + payload)


def _open(path_of: Callable[["World"], Path]):
    def run(w):
        from kexue.checkpoints import open_checkpoint

        source = open_checkpoint(path_of(w))
        return {name: source.read(name) for name in source.shapes}

    return run


def _sharded(w, index: dict) -> Path:
    folder = w.path(f"sharded_{len(w._cache)}/x").parent
    w._cache[str(folder)] = True
    (folder / "model.safetensors.index.json").write_text(json.dumps(index))
    return folder


def _with_own_config(w, change: dict) -> Path:
    """A checkpoint folder whose config.json is TINY_BERT, and a user config that differs."""
    return _config_file(w, "user_" + "_".join(change) + ".json", {**TINY_BERT, **change})


def _smaller_positions(w):
    folder = w.path("positions/x").parent
    source = w.hf_folder()
    if not (folder / "model.safetensors").exists():
        (folder / "model.safetensors").symlink_to(source / "model.safetensors")
    (folder / "config.json").write_text(json.dumps({**TINY_BERT, "max_position_embeddings": 8}))
    return _build(None, folder)


def _tf1_state_outside(w):
    folder = w.path("tf1_outside/x").parent
    (folder / "checkpoint").write_text('model_checkpoint_path: "../elsewhere/bert_model.ckpt"\n')
    elsewhere = w.path("elsewhere/x").parent
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from helpers_tf1 import write_checkpoint

    write_checkpoint(elsewhere / "bert_model.ckpt", {"a": np.zeros(2, "float32")})
    return _open(lambda _: folder)(w)


def _pickle_renamed(w):
    return _open(lambda w: _write(w.path("st/pickle.safetensors"), pickle.dumps({"w": [1.0] * 50})))(w)


CHECKPOINT_CASES = [
    Case("7", "checkpoints", "config.json is invalid JSON", lambda w: _build(_config_file(w, "bad.json", b"{oops")), ValueError, "bad.json.*JSON"),
    Case("7", "checkpoints", "config.json is not UTF-8", lambda w: _build(_config_file(w, "gbk.json", b"\xff\xfe{}")), ValueError, "gbk.json.*UTF-8"),
    Case("7", "checkpoints", 'hidden_size is "32"', lambda w: _build(_config_file(w, "str.json", {**TINY_BERT, "hidden_size": "32"})),
         ValueError, "str.json.*hidden_size"),
    Case("7", "checkpoints", "num_attention_heads 0", lambda w: _build(_config_file(w, "zero.json", {**TINY_BERT, "num_attention_heads": 0})),
         ValueError, "zero.json.*num_attention_heads"),
    Case("7", "checkpoints", "safetensors entry without data_offsets",
         _open(lambda w: _safetensors(w, "nooff.safetensors", {"a": {"dtype": "F32", "shape": [2]}})), ValueError, "nooff.safetensors.*data_offsets"),
    Case("7", "checkpoints", "safetensors offsets reversed",
         _open(lambda w: _safetensors(w, "rev.safetensors", {"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}})),
         ValueError, "rev.safetensors.*offsets"),
    Case("7", "checkpoints", "safetensors offsets disagree with shape",
         _open(lambda w: _safetensors(w, "size.safetensors", {"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}})),
         ValueError, "size.safetensors.*bytes"),
    Case("7", "checkpoints", "shard index without weight_map", _open(lambda w: _sharded(w, {"metadata": {}})), ValueError, "weight_map"),
    Case("7", "checkpoints", "shard index pointing outside the folder",
         _open(lambda w: _sharded(w, {"weight_map": {"a": "../hf_bert/model.safetensors"}})), ValueError, "outside|not a file of the checkpoint folder"),
    Case("7", "checkpoints", "a folder named *.pt is read as a folder",
         lambda w: _expect_folder(w), ValueError, "folder read"),
    Case("7", "checkpoints", "pickle renamed .safetensors", _pickle_renamed, ValueError, "pickle"),
    Case("7", "checkpoints", "TF1 'checkpoint' file naming a prefix outside the folder", _tf1_state_outside, (ValueError, OSError), "outside"),
    Case("7", "checkpoints", "wrong num_attention_heads vs the checkpoint's config",
         lambda w: _build(_with_own_config(w, {"num_attention_heads": 4}), w.hf_folder()), ValueError, "num_attention_heads"),
    Case("7", "checkpoints", "wrong hidden_act vs the checkpoint's config",
         lambda w: _build(_with_own_config(w, {"hidden_act": "relu"}), w.hf_folder()), ValueError, "hidden_act"),
    Case("7", "checkpoints", "wrong layer_norm_eps vs the checkpoint's config",
         lambda w: _build(_with_own_config(w, {"layer_norm_eps": 1e-5}), w.hf_folder()), ValueError, "layer_norm_eps"),
    Case("7", "checkpoints", "smaller max_position_embeddings than the checkpoint", _smaller_positions, ValueError, "max_position"),
]


def _expect_folder(w):
    from kexue.checkpoints import open_checkpoint

    folder = w.path("weights.pt/x").parent
    if not (folder / "model.safetensors").exists():
        (folder / "model.safetensors").symlink_to(w.hf_folder() / "model.safetensors")
    open_checkpoint(folder)
    raise ValueError("folder read")


# -- writers under a file-size limit (item 1) ----------------------------------------------------

class DataLost(Exception):
    """The previous output is gone or damaged after an interrupted write."""


def _limited(write: Callable[[int], None], check: Callable[[], bool], limit: int = 2048) -> None:
    """Write version 0, then version 1 under ``RLIMIT_FSIZE`` (like ``ulimit -f``): the
    second write must fail and leave version 0 complete."""
    limited_write(write, limit)
    try:
        intact = check()
    except Exception as error:  # noqa: BLE001 - an unreadable file is lost data
        raise DataLost(f"{type(error).__name__}: {error}") from None
    if not intact:
        raise DataLost("the previous output changed")
    raise ValueError("previous output kept")


def limited_write(write: Callable[[int], None], limit: int = 2048) -> None:
    """Version 0, then version 1 under the file-size limit (an OSError there is expected)."""
    import resource

    write(0)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        write(1)
    except OSError:
        pass
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


def _vocab_versions():
    return {k: {f"v{k}_{i}_中文": i for i in range(2000)} for k in (0, 1)}


def _vocab_write(w, k):
    from kexue.tokenizers import save_vocab

    save_vocab(w.path("writers/vocab.txt"), _vocab_versions()[k])


def _vocab_check(w):
    from kexue.tokenizers import load_vocab

    return load_vocab(w.path("writers/vocab.txt")) == _vocab_versions()[0]


def _plot_write(w, k):
    from kexue.sim import gene_expression, plot_simulation, simulate

    result = simulate(gene_expression(), {"m": 3}, t_max=2, n_trajectories=3, record_every=0.05, seed=k)
    plot_simulation(result, w.path("writers/ssa.png"))


def _plot_check(w):
    return w.path("writers/ssa.png").read_bytes()[-8:-4] == b"IEND"


def _small_model(k: int = 0):
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(64), keras.layers.Dense(2)])
    model.compile("adam", "mse")
    model.optimizer.build(model.trainable_variables)
    model.set_weights([np.full(v.shape, float(k), "float32") for v in model.get_weights()])
    return model


def _state_write(w, k):
    from kexue.training import save_training_state

    save_training_state(w.path("writers/state/x").parent, _small_model(k), {"k": k})


def _state_check(w):
    from kexue.training import load_training_state

    return load_training_state(w.path("writers/state/x").parent, _small_model())["k"] == 0


def _evaluator_write(w, k):
    from kexue.callbacks import Evaluator

    evaluator = Evaluator("loss", str(w.path("writers/best.weights.h5")), mode="min")
    evaluator.set_model(_small_model(k))
    evaluator.on_epoch_end(0, {"loss": 1.0})


def _evaluator_check(w):
    other = _small_model(7)
    other.load_weights(w.path("writers/best.weights.h5"))
    return all(np.all(v == 0) for v in other.get_weights())


WRITERS = {  # name -> (write version k, check that version 0 is intact)
    "save_vocab": (_vocab_write, _vocab_check),
    "plot_simulation": (_plot_write, _plot_check),
    "save_training_state": (_state_write, _state_check),
    "Evaluator best weights": (_evaluator_write, _evaluator_check),
}


def _writer_case(name: str) -> Case:
    write, check = WRITERS[name]
    return Case("1", "writers", f"{name} under a file-size limit",
                lambda w: _limited(lambda k: write(w, k), lambda: check(w)), ValueError, "kept")


WRITER_CASES = [_writer_case(name) for name in WRITERS]

ALL_CASES = MODEL_CASES + GENERATE_CASES + TOKENIZER_CASES + PADDING_CASES + RESUMABLE_CASES + SIM_CASES + CHECKPOINT_CASES + WRITER_CASES
