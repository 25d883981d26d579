"""bert4keras example scripts, written the way their users write them, learn tiny tasks with
kexue: the patterns of task_sentiment_albert (a Loss layer, DataGenerator.forfit),
task_sequence_labeling_ner_crf (BERT + CRF, per-batch padding, ViterbiDecoder on to_array),
task_seq2seq_autotitle (UniLM, keep_tokens, AutoRegressiveDecoder) and
task_seq2seq_autotitle_csl_mt5 (mT5, keep_tokens, the decoder's own mask in the loss).

No explicit masks and no fixed padding anywhere: the padding mask travels with the outputs,
and sequence_padding picks the lengths. Only kexue is imported besides NumPy and Keras itself
(``keras.layers`` / ``keras.ops`` replace bert4keras' ``keras`` / ``K``).
"""

import json

import keras
import numpy as np
import pytest
from keras import ops

from kexue.layers import ConditionalRandomField, Loss
from kexue.models import build_transformer_model
from kexue.optimizers import extend_with_piecewise_linear_lr
from kexue.snippets import AutoRegressiveDecoder, DataGenerator, ViterbiDecoder, sequence_padding, to_array

pytestmark = pytest.mark.slow

CONFIG = dict(
    vocab_size=40,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=64,
    max_position_embeddings=64,
)
PAD, CLS, SEP = 0, 1, 2


def sentences(rng, count, low=4, high=40, min_len=2, max_len=10):
    return [list(rng.integers(low, high, rng.integers(min_len, max_len + 1))) for _ in range(count)]


# --------------------------------------------------------------------- task_sentiment_albert
def test_classification_with_a_loss_layer_and_forfit():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    data = []
    for text in sentences(rng, 640):  # label: does token 5 occur?
        label = int(rng.integers(2))
        text = [t for t in text if t != 5]
        if label:
            text.insert(int(rng.integers(len(text) + 1)), 5)
        data.append((text, label))
    train_data, valid_data = data[:512], data[512:]

    class data_generator(DataGenerator):
        def __iter__(self, random=False):
            batch_token_ids, batch_segment_ids, batch_labels = [], [], []
            for is_end, (text, label) in self.sample(random):
                token_ids = [CLS] + text + [SEP]
                batch_token_ids.append(token_ids)
                batch_segment_ids.append([0] * len(token_ids))
                batch_labels.append([label])
                if len(batch_token_ids) == self.batch_size or is_end:
                    batch_token_ids = sequence_padding(batch_token_ids)
                    batch_segment_ids = sequence_padding(batch_segment_ids)
                    batch_labels = sequence_padding(batch_labels)
                    yield [batch_token_ids, batch_segment_ids, batch_labels], None
                    batch_token_ids, batch_segment_ids, batch_labels = [], [], []

    class SparseCrossEntropy(Loss):
        def compute_loss(self, inputs, mask=None):
            y_true, y_pred = inputs
            return ops.mean(ops.sparse_categorical_crossentropy(y_true[:, 0], y_pred))

    bert = build_transformer_model(
        dict(CONFIG, embedding_size=16), model="albert", hidden_act="gelu_tanh", return_keras_model=False
    )
    output = keras.layers.Lambda(lambda x: x[:, 0], name="CLS-token")(bert.model.output)
    output = keras.layers.Dense(2, activation="softmax", kernel_initializer=bert.initializer)(output)
    labels = keras.Input((1,), dtype="int32")
    output = SparseCrossEntropy(1)([labels, output])
    model = keras.Model(bert.model.inputs + [labels], output)
    AdamLR = extend_with_piecewise_linear_lr(keras.optimizers.Adam, name="AdamLR")
    model.compile(optimizer=AdamLR(learning_rate=3e-3, lr_schedule={50: 1, 300: 0.1}))

    train_generator = data_generator(train_data, 32)
    model.fit(train_generator.forfit(), steps_per_epoch=len(train_generator), epochs=12, verbose=0)

    right = 0
    for x_true, _ in data_generator(valid_data, 32):
        y_pred = model.predict(x_true, verbose=0).argmax(axis=1)
        right += (y_pred == x_true[2][:, 0]).sum()
    assert right / len(valid_data) > 0.9


# ----------------------------------------------------------- task_sequence_labeling_ner_crf
CATEGORIES = ["LOC", "PER"]


def tag(tokens):
    """Entities are runs of tokens in 20..29 (LOC) or 30..39 (PER): (start, end, type)."""
    spans, start = [], None
    kinds = [("LOC" if 20 <= t < 30 else "PER" if t >= 30 else None) for t in tokens]
    for i, kind in enumerate(kinds + [None]):
        if start is not None and kind != kinds[start]:
            spans.append((start, i - 1, kinds[start]))
            start = None
        if start is None and kind is not None:
            start = i
    return spans


def test_bert_crf_ner_with_per_batch_padding():
    keras.utils.set_random_seed(1)
    rng = np.random.default_rng(1)
    data = [[text] + tag(text) for text in sentences(rng, 700, min_len=3, max_len=14)]
    train_data, valid_data = data[:600], data[600:]

    class data_generator(DataGenerator):
        def __iter__(self, random=False):
            batch_token_ids, batch_segment_ids, batch_labels = [], [], []
            for is_end, d in self.sample(random):
                token_ids = [CLS] + d[0] + [SEP]
                labels = np.zeros(len(token_ids))
                for start, end, label in d[1:]:
                    labels[start + 1] = CATEGORIES.index(label) * 2 + 1
                    labels[start + 2 : end + 2] = CATEGORIES.index(label) * 2 + 2
                batch_token_ids.append(token_ids)
                batch_segment_ids.append([0] * len(token_ids))
                batch_labels.append(labels)
                if len(batch_token_ids) == self.batch_size or is_end:
                    batch_token_ids = sequence_padding(batch_token_ids)
                    batch_segment_ids = sequence_padding(batch_segment_ids)
                    batch_labels = sequence_padding(batch_labels)
                    yield [batch_token_ids, batch_segment_ids], batch_labels
                    batch_token_ids, batch_segment_ids, batch_labels = [], [], []

    model = build_transformer_model(CONFIG)
    output = model.get_layer("layer_1").output  # bert4keras: 'Transformer-1-FeedForward-Norm'
    output = keras.layers.Dense(len(CATEGORIES) * 2 + 1)(output)
    CRF = ConditionalRandomField(lr_multiplier=100)
    output = CRF(output)
    model = keras.Model(model.input, output)
    model.compile(loss=CRF.sparse_loss, optimizer=keras.optimizers.Adam(3e-3), metrics=[CRF.sparse_accuracy])

    class NamedEntityRecognizer(ViterbiDecoder):
        def recognize(self, text):
            token_ids = [CLS] + text + [SEP]
            segment_ids = [0] * len(token_ids)
            token_ids, segment_ids = to_array([token_ids], [segment_ids])
            nodes = model.predict([token_ids, segment_ids], verbose=0)[0]
            labels = self.decode(nodes)
            assert len(labels) == len(text) + 2  # padded positions are dropped
            entities, starting = [], False
            for i, label in enumerate(labels):
                if label > 0:
                    if label % 2 == 1:
                        starting = True
                        entities.append([[i], CATEGORIES[(label - 1) // 2]])
                    elif starting:
                        entities[-1][0].append(i)
                    else:
                        starting = False
                else:
                    starting = False
            return [(w[0] - 1, w[-1] - 1, t) for w, t in entities]

    train_generator = data_generator(train_data, 32)
    model.fit(train_generator.forfit(), steps_per_epoch=len(train_generator), epochs=6, verbose=0)

    NER = NamedEntityRecognizer(trans=CRF.trans, starts=[0], ends=[0])
    X, Y, Z = 1e-10, 1e-10, 1e-10
    for d in valid_data:
        R, T = set(NER.recognize(d[0])), set(d[1:])
        X, Y, Z = X + len(R & T), Y + len(R), Z + len(T)
    assert 2 * X / (Y + Z) > 0.9


# ------------------------------------------------------------------- task_seq2seq_autotitle
def save_hf(tmp_path, config_name, model_name, **config):
    transformers = pytest.importorskip("transformers")
    model = getattr(transformers, model_name)(getattr(transformers, config_name)(**config))
    model.save_pretrained(tmp_path)
    return tmp_path


def test_unilm_seq2seq_with_keep_tokens_and_autoregressive_decoder(tmp_path):
    keras.utils.set_random_seed(2)
    rng = np.random.default_rng(2)
    checkpoint = save_hf(tmp_path, "BertConfig", "BertForMaskedLM", **dict(CONFIG, vocab_size=60))
    keep_tokens = [0, 1, 2, 3] + list(range(30, 50))  # load_vocab(simplified=True) would give these
    vocab = len(keep_tokens)
    train_data = sentences(rng, 640, high=vocab, max_len=6)

    class data_generator(DataGenerator):
        def __iter__(self, random=False):
            batch_token_ids, batch_segment_ids = [], []
            for is_end, content in self.sample(random):
                title = content[::-1]  # the "title" is the text reversed
                token_ids = [CLS] + content + [SEP] + title + [SEP]
                segment_ids = [0] * (len(content) + 2) + [1] * (len(title) + 1)
                batch_token_ids.append(token_ids)
                batch_segment_ids.append(segment_ids)
                if len(batch_token_ids) == self.batch_size or is_end:
                    batch_token_ids = sequence_padding(batch_token_ids)
                    batch_segment_ids = sequence_padding(batch_segment_ids)
                    yield [batch_token_ids, batch_segment_ids], None
                    batch_token_ids, batch_segment_ids = [], []

    class CrossEntropy(Loss):
        def compute_loss(self, inputs, mask=None):
            y_true, y_mask, y_pred = inputs
            y_true = y_true[:, 1:]
            y_mask = ops.cast(y_mask[:, 1:], "float32")
            y_pred = y_pred[:, :-1]
            loss = ops.sparse_categorical_crossentropy(y_true, y_pred)
            return ops.sum(loss * y_mask) / ops.sum(y_mask)

    model = build_transformer_model(checkpoint_path=checkpoint, application="unilm", keep_tokens=keep_tokens)
    output = CrossEntropy(2)(model.inputs + model.outputs)
    model = keras.Model(model.inputs, output)
    model.compile(optimizer=keras.optimizers.Adam(3e-3))

    class AutoTitle(AutoRegressiveDecoder):
        @AutoRegressiveDecoder.wraps(default_rtype="probas")
        def predict(self, inputs, output_ids, states):
            token_ids, segment_ids = inputs
            token_ids = np.concatenate([token_ids, output_ids], 1)
            segment_ids = np.concatenate([segment_ids, np.ones_like(output_ids)], 1)
            return self.last_token(model).predict([token_ids, segment_ids])

        def generate(self, content, topk=1):
            token_ids = [CLS] + content + [SEP]
            return self.beam_search([token_ids, [0] * len(token_ids)], topk=topk)

    train_generator = data_generator(train_data, 32)
    model.fit(train_generator.forfit(), steps_per_epoch=len(train_generator), epochs=30, verbose=0)
    autotitle = AutoTitle(start_id=None, end_id=SEP, maxlen=10)
    tests = sentences(np.random.default_rng(20), 20, high=vocab, max_len=6)
    right = sum(list(autotitle.generate(c, topk=2)) == c[::-1] + [SEP] for c in tests)
    assert right >= 16


# -------------------------------------------------------- task_seq2seq_autotitle_csl_mt5
def test_mt5_with_keep_tokens_and_the_decoders_own_mask(tmp_path):
    keras.utils.set_random_seed(3)
    rng = np.random.default_rng(3)
    t5_config = dict(
        vocab_size=80, d_model=32, d_kv=8, d_ff=64, num_layers=2, num_heads=4,
        relative_attention_num_buckets=8, relative_attention_max_distance=16, dropout_rate=0.0,
        feed_forward_proj="gated-gelu", tie_word_embeddings=False, decoder_start_token_id=0,
    )
    checkpoint = save_hf(tmp_path / "mt5", "MT5Config", "MT5ForConditionalGeneration", **t5_config)
    keep_tokens_path = tmp_path / "keep_tokens.json"
    keep_tokens_path.write_text(json.dumps([0, 1, 2] + list(range(40, 61))))
    keep_tokens = json.load(open(keep_tokens_path))
    END = 1  # </s>
    train_data = [(c[::-1], c) for c in sentences(rng, 1600, low=3, high=len(keep_tokens), max_len=6)]

    class data_generator(DataGenerator):
        def __iter__(self, random=False):
            batch_c_token_ids, batch_t_token_ids = [], []
            for is_end, (title, content) in self.sample(random):
                batch_c_token_ids.append(content + [END])
                batch_t_token_ids.append([0] + title + [END])
                if len(batch_c_token_ids) == self.batch_size or is_end:
                    batch_c_token_ids = sequence_padding(batch_c_token_ids)
                    batch_t_token_ids = sequence_padding(batch_t_token_ids)
                    yield [batch_c_token_ids, batch_t_token_ids], None
                    batch_c_token_ids, batch_t_token_ids = [], []

    class CrossEntropy(Loss):
        def compute_loss(self, inputs, mask=None):
            y_true, y_pred = inputs
            y_true = y_true[:, 1:]
            y_mask = ops.cast(mask[1], "float32")[:, 1:]  # the decoder's own mask
            y_pred = y_pred[:, :-1]
            loss = ops.sparse_categorical_crossentropy(y_true, y_pred)
            return ops.sum(loss * y_mask) / ops.sum(y_mask)

    t5 = build_transformer_model(
        checkpoint_path=checkpoint, keep_tokens=keep_tokens, model="mt5.1.1",
        return_keras_model=False, name="T5",
    )
    encoder, decoder, model = t5.encoder, t5.decoder, t5.model
    output = CrossEntropy(1)([model.inputs[1], model.outputs[0]])
    model = keras.Model(model.inputs, output)
    model.compile(optimizer=keras.optimizers.Adam(2e-3))

    class AutoTitle(AutoRegressiveDecoder):
        @AutoRegressiveDecoder.wraps(default_rtype="probas")
        def predict(self, inputs, output_ids, states):
            c_encoded = inputs[0]
            return self.last_token(decoder).predict([c_encoded, output_ids])

        def generate(self, content, topk=1):
            c_encoded = encoder.predict(np.array([content + [END]]), verbose=0)[0]
            return [int(i) for i in self.beam_search([c_encoded], topk=topk)]

    train_generator = data_generator(train_data, 32)
    model.fit(train_generator.forfit(), steps_per_epoch=len(train_generator), epochs=16, verbose=0)
    autotitle = AutoTitle(start_id=0, end_id=END, maxlen=10)
    tests = sentences(np.random.default_rng(30), 20, low=3, high=len(keep_tokens), max_len=6)
    right = sum(autotitle.generate(c) == [0] + c[::-1] + [END] for c in tests)
    assert right >= 14
