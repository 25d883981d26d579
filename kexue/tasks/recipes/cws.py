"""Chinese word segmentation: BMES tagging with a CRF (bert4keras's task_sequence_labeling_cws_crf.py).

Every token of a sentence gets S (a one-token word), B, M or E (begin, middle, end of a longer
word); a CRF on the Transformer learns the tags and their transitions, and a constrained
Viterbi decodes well-formed words (:mod:`kexue.tasks.crf_tagging`). Tags are given to tokens
through their character offsets, so a token covering several characters (a Latin word, a
number) is tagged by whether it starts and ends a word.

Data: one sentence per line, words separated by spaces (the PKU gold file's two spaces and
CRLF line ends read as they are). Training lines longer than ``SPLIT`` characters are cut
into sentences at word boundaries after 。！？； (a People's Daily line is a paragraph).
``predict`` prints each input line segmented with single spaces; ``eval`` prints word
precision, recall and F1 (the SIGHAN scoring: a word counts when both ends match).
From scratch the backbone is a RoFormer unless ``--model`` says otherwise (rotary positions:
People's Daily dev F1 0.896 after one epoch, BERT's learned positions 0.831).

    kexue task cws train --train pd199801.txt --dev dev.txt --out runs/cws --scratch small
    echo 共同创造美好的新世纪 | kexue task cws predict --model runs/cws

Example:
    >>> bmes_of_tokens([(0, 0), (0, 1), (1, 2), (2, 3), (0, 0)], [(0, 2), (2, 3)])
    ['B', 'E', 'S']
"""

from __future__ import annotations


from kexue.tasks.crf_tagging import build_crf_tagger, crf_layer, viterbi_tags
from kexue.tasks.offsets import pieces
from kexue.tasks.prf import set_scores
from kexue.tasks.recipe import Recipe
from kexue.tasks.sequence_data import Segmented, read_segmented
from kexue.tasks.span_tagging import content_positions, encode_text, predict_pieces
from kexue.tasks.tagging import BMES, words_from_bmes

__all__ = ["WordSegmentation", "RECIPE", "bmes_of_tokens", "split_segmented", "SPLIT"]

SPLIT = 126  # training sentences longer than this are cut (default maxlen 128)


def bmes_of_tokens(offsets, words) -> list[str]:
    """BMES tags of the content tokens of an encoding, from the words' character ranges."""
    starts = {a for a, _ in words}
    ends = {b for _, b in words}
    tags = []
    for position in content_positions(offsets):
        a, b = offsets[position]
        tags.append({(True, True): "S", (True, False): "B", (False, True): "E",
                     (False, False): "M"}[(a in starts, b in ends)])
    return tags


def split_segmented(example: Segmented, limit: int = SPLIT) -> list[Segmented]:
    """A long segmented sentence as consecutive shorter ones, cut only between words."""
    if len(example.text) <= limit or example.words is None:
        return [example]
    cuts = [b for _, b in example.words[:-1]]
    out = []
    for start, end in pieces(example.text, limit, cuts=cuts):
        words = tuple((a - start, b - start) for a, b in example.words if start <= a and b <= end)
        out.append(Segmented(example.text[start:end], words, example.where))
    return out


class WordSegmentation(Recipe):
    name = "cws"
    description = "Chinese word segmentation, BMES + CRF (bert4keras task_sequence_labeling_cws_crf.py)"
    metric = "f1"
    scratch_model = "roformer"  # rotary positions: see Recipe.scratch_model
    defaults = {**Recipe.defaults, "epochs": 5, "maxlen": 128, "scratch_lr": 1e-3}

    def add_arguments(self, options):
        options.add("--crf-lr-multiplier", type=float, default=10.0,
                    help="learning-rate multiplier of the CRF transitions")
        options.add("--dropout", type=float, default=0.1, help="dropout before the tag layer")

    def read(self, path, labelled=True):
        examples = read_segmented(path, labelled)
        return [piece for example in examples for piece in split_segmented(example)]

    def read_inputs(self, path):
        from kexue.tasks.data import read_input_lines

        return [Segmented(e.text, None, e.where) for e in read_input_lines(path)]

    def encode(self, example, ctx):
        encoded = encode_text(ctx, example.text)
        tags = None
        if example.words is not None:
            tags = [0] * len(encoded.token_ids)  # special tokens: masked out of the CRF
            for position, tag in zip(content_positions(encoded.offsets),
                                     bmes_of_tokens(encoded.offsets, example.words)):
                tags[position] = BMES.index(tag)
        return (encoded.token_ids, encoded.segment_ids), tags, example.text

    def build(self, ctx):
        return build_crf_tagger(ctx, len(BMES), ctx.options["crf_lr_multiplier"], ctx.options["dropout"])

    def compile_loss(self, ctx, model):
        return crf_layer(model).sparse_loss

    def predict(self, ctx, model, items):
        import keras

        trans = keras.ops.convert_to_numpy(crf_layer(model).trans)

        def decode(nodes, encoded):
            positions = content_positions(encoded.offsets)
            tags = viterbi_tags(nodes[positions], trans, BMES, "BMES")
            return [(encoded.offsets[positions[a]][0], encoded.offsets[positions[b - 1]][1])
                    for a, b in words_from_bmes([BMES[t] for t in tags])]

        texts = [item[2] for item in items]
        words = predict_pieces(ctx, model, texts, decode)
        return [(text, tuple(ws)) for text, ws in zip(texts, words)]  # (text, words)

    def score(self, ctx, predictions, examples):
        scores = set_scores([words for _, words in predictions], [e.words for e in examples])
        return {k: scores[k] for k in ("f1", "precision", "recall")}

    def format(self, ctx, prediction):
        text, words = prediction
        return " ".join(text[a:b] for a, b in words)


RECIPE = WordSegmentation()
