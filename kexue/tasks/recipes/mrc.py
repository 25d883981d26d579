"""Reading comprehension (CMRC 2018): answers by MLM slot filling (post 7148) or UniLM seq2seq generation (post 7115), voted across passages.

``--method mlm``: the input is ``[CLS] [MASK]×A [SEP] question [SEP] passage [SEP]`` and the
MLM head fills the A slots with the answer and ``[SEP]`` (bert4keras's
task_reading_comprehension_by_mlm.py). ``--method seq2seq``: ``[CLS] passage [SEP] question
[SEP]`` is the source of a UniLM model that generates the answer token by token
(task_reading_comprehension_by_seq2seq.py), decoded by
:class:`~kexue.decoding.AutoRegressiveDecoder`. Either way the answer must be a contiguous run
of the passage's tokens (at each step only the tokens that extend it, or ``[SEP]``, are
allowed), so it maps back to an exact substring of the context.

A context longer than one window is cut into overlapping windows (:mod:`kexue.tasks.mrc_data`).
Training reads one window per question per step, chosen at random (a window without the answer
teaches the empty answer). At prediction every window answers; the post's vote Σp²/(Σp+1)
combines them (MLM: each window's answer scored by its mean token probability; seq2seq: the
next-token distributions of the windows that do not answer "nothing" first, at every step).
``--no-vote`` keeps instead the single best-scoring window's answer (MLM) or lets the most
confident window alone choose each token (seq2seq). When every window abstains, the answer is
the most likely non-empty one all the same (every CMRC 2018 / SQuAD 1.1 question has an answer
in its context); ``--allow-no-answer`` prints an empty answer instead (SQuAD 2.0-style data).

Data: SQuAD-style JSON (CMRC 2018) or JSON lines ``{"question", "context", "answers"}``.
``predict`` reads ``question<TAB>context`` lines and prints the answers; ``eval`` prints the
official CMRC 2018 EM and F1 (:mod:`kexue.tasks.cmrc_eval`).

    kexue task mrc train --train cmrc2018_trial.json --dev dev.json --out runs/mrc --scratch small
    printf '谁写了红楼梦？\\t红楼梦的作者是曹雪芹。\\n' | kexue task mrc predict --model runs/mrc

Example:
    >>> MachineReading.layout("mlm", 3, (2, 3, 4), [10, 11], [20, 21, 22], [21])
    ([2, 4, 4, 4, 3, 10, 11, 3, 20, 21, 22, 3], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [-1, 21, 3, -1, -1, -1, -1, -1, -1, -1, -1, -1])
"""

from __future__ import annotations

import numpy as np

from kexue.decoding import AutoRegressiveDecoder
from kexue.tasks.batching import pad_batch, pad_field
from kexue.tasks.cmrc_eval import evaluate as cmrc_evaluate
from kexue.tasks.data import DataError
from kexue.tasks.mrc_data import Question, next_tokens, read_questions, vote, windows
from kexue.tasks.offsets import token_span
from kexue.tasks.recipe import Recipe
from kexue.tasks.span_tagging import encode_text
from kexue.tasks.token_targets import MaskedSparseCrossentropy, unilm_targets

__all__ = ["MachineReading", "RECIPE"]


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


class PassageVoteReader(AutoRegressiveDecoder):
    """The seq2seq answer decoder: every window of a question runs as one row, the
    substring constraint keeps each row's output inside its passage, and the rows' next-token
    probabilities are combined by the vote (or by the most confident row)."""

    def __init__(self, ctx, model, sources, passages, max_answer: int, use_vote: bool,
                 always_answer: bool = True):
        sep = ctx.tokenizer.token_to_id("[SEP]")
        super().__init__(start_id=None, end_id=sep, maxlen=max_answer)
        self.ctx, self.model, self.sources, self.passages = ctx, model, sources, passages
        self.use_vote, self.always_answer = use_vote, always_answer

    @AutoRegressiveDecoder.wraps(default_rtype="probas", use_states=True)
    def predict(self, inputs, output_ids, states):
        live = states  # the windows still answering
        rows, segments, ends = [], [], []
        for w in live:
            for out in output_ids:
                ids = list(self.sources[w]) + [int(t) for t in out]
                rows.append(ids)
                segments.append([0] * len(self.sources[w]) + [1] * len(out))
                ends.append(len(ids) - 1)
        length = self.ctx.bucket(max(len(r) for r in rows))
        x, _ = pad_batch([((r, s), None) for r, s in zip(rows, segments)], length, self.ctx.pad_id)
        logits = np.asarray(self.model.predict_on_batch(x))[np.arange(len(rows)), ends]
        probas = _softmax(logits.astype("float64")).reshape(len(live), len(output_ids), -1)
        may_end = {self.end_id}
        if len(output_ids[0]) == 0:  # windows whose best first token is the end answer nothing
            answering = [i for i, w in enumerate(live) if probas[i, 0].argmax() != self.end_id]
            if answering:
                probas, live = probas[answering], [live[i] for i in answering]
            elif self.always_answer:  # all abstain: every window's best non-empty answer
                may_end = set()
            else:
                only_end = np.zeros_like(probas[0])
                only_end[:, self.end_id] = 1.0
                return only_end, live
        allowed = np.zeros_like(probas)
        for i, w in enumerate(live):
            for j, out in enumerate(output_ids):
                for token in next_tokens(self.passages[w], tuple(int(t) for t in out)) | may_end:
                    allowed[i, j, token] = probas[i, j, token]
        if self.use_vote:
            return (allowed ** 2).sum(0) / (allowed.sum(0) + 1.0), live
        best = allowed.max(axis=-1).argmax(axis=0)  # per hypothesis, the most confident window
        return allowed[best, np.arange(len(output_ids))], live


class MachineReading(Recipe):
    name = "mrc"
    description = "reading comprehension by MLM or UniLM seq2seq with passage voting (posts 7148, 7115)"
    metric = "f1"
    pair_input = True
    defaults = {**Recipe.defaults, "epochs": 10, "maxlen": 256, "scratch_lr": 1e-3}

    def add_arguments(self, options):
        options.add("--method", choices=("mlm", "seq2seq"), default="mlm", help="answer by MLM or seq2seq")
        options.add("--max-question", type=int, default=32, help="question tokens kept")
        options.add("--max-answer", type=int, default=16, help="answer tokens (with the end token)")
        options.add("--no-vote", action="store_true", help="best single window instead of the vote")
        options.add("--beams", type=int, default=1, help="seq2seq beam size")
        options.add("--allow-no-answer", action="store_true",
                    help="print an empty answer when every window abstains (SQuAD 2.0-style data); "
                         "by default the most likely non-empty answer is given")

    def read(self, path, labelled=True):
        return read_questions(path, labelled)

    def read_inputs(self, path):
        from kexue.tasks.data import read_input_lines

        return [Question(str(i), e.first, e.second, None, -1, e.where)
                for i, e in enumerate(read_input_lines(path, pair=True))]

    def texts(self, examples):
        for example in examples:
            yield example.question
            yield example.context

    def setup(self, examples, ctx):
        window = ctx.maxlen - ctx.options["max_question"] - ctx.options["max_answer"] - 4
        if window < 16:
            raise DataError(f"--maxlen {ctx.maxlen} leaves {window} tokens for the passage after "
                            "--max-question and --max-answer; raise --maxlen.")
        return {"window": window}

    @staticmethod
    def layout(method: str, slots: int, specials: tuple[int, int, int], question, passage, answer):
        """``(token_ids, segment_ids, targets)`` of one window; ``specials`` are the ids of
        ``[CLS]``, ``[SEP]`` and ``[MASK]``; ``answer`` ``None`` when predicting (for seq2seq,
        the source alone)."""
        cls, sep, mask = specials
        if method == "mlm":
            ids = [cls] + [mask] * slots + [sep] + list(question) + [sep] + list(passage) + [sep]
            targets = [-1] * len(ids)
            for i, token in enumerate(list(answer or [])[: slots - 1] + [sep]):
                targets[1 + i] = token
            return ids, [0] * len(ids), targets
        source = [cls] + list(passage) + [sep] + list(question) + [sep]
        if answer is None:
            return source, [0] * len(source), None
        ids = source + list(answer)[: slots - 1] + [sep]
        segments = [0] * len(source) + [1] * (len(ids) - len(source))
        return ids, segments, unilm_targets(ids, segments)

    # -- encoding ----------------------------------------------------------------------------
    def _specials(self, ctx) -> tuple[int, int, int]:
        return tuple(ctx.tokenizer.token_to_id(t) for t in ("[CLS]", "[SEP]", "[MASK]"))

    def encode(self, example, ctx):
        def content(text, limit):
            encoded = encode_text(ctx, text, maxlen=limit + 2)
            return encoded.token_ids[1:-1], encoded.offsets[1:-1]

        question = content(example.question, ctx.options["max_question"])[0]
        size = ctx.settings["window"]
        chosen = []
        for a, b in windows(example.context, size):
            passage, offsets = content(example.context[a:b], size)
            answer = None
            if example.answers is not None:
                answer, end = [], example.start + len(example.answers[0])
                if example.start >= 0 and a <= example.start and end <= b:
                    hit = token_span(offsets, example.start - a, end - a)
                    answer = passage[hit[0]:hit[1] + 1] if hit else []
            ids, segments, targets = self.layout(ctx.options["method"], ctx.options["max_answer"],
                                                 self._specials(ctx), question, passage, answer)
            chosen.append({"start": a, "passage": passage, "offsets": offsets,
                           "inputs": (ids, segments), "targets": targets})
        labelled = None if example.answers is None else len(chosen)
        return chosen[0]["inputs"], labelled, {"context": example.context, "windows": chosen}

    def length(self, item):
        if len(item) < 3:  # a single window (prediction batches)
            return len(item[0][0])
        return max(len(w["inputs"][0]) for w in item[2]["windows"])

    def collate(self, ctx, items, length, rng):
        if items[0][1] is None:
            return pad_batch(items, length, ctx.pad_id)
        chosen = [item[2]["windows"][rng.integers(len(item[2]["windows"]))] for item in items]
        x, _ = pad_batch([(w["inputs"], None) for w in chosen], length, ctx.pad_id)
        return x, pad_field([w["targets"] for w in chosen], length, value=-1)

    # -- model ---------------------------------------------------------------------------------
    def build(self, ctx):
        if ctx.options["method"] == "mlm":
            return ctx.transformer(with_mlm="linear")
        return ctx.transformer(application="unilm", with_mlm="linear")

    def loss(self, ctx):
        return MaskedSparseCrossentropy()

    # -- prediction ------------------------------------------------------------------------------
    def predict(self, ctx, model, items):
        if ctx.options["method"] == "mlm":
            found = self._fill_slots(ctx, model, items)
        else:
            found = [self._generate(ctx, model, item) for item in items]
        return [self._choose(answers, ctx) for answers in found]

    def _choose(self, answers: dict, ctx) -> str:
        """The answer text with the best voted (or single best) score; ``""`` if none."""
        if not answers:
            return ""
        combine = max if ctx.options["no_vote"] else vote
        return max(answers, key=lambda text: combine(answers[text]))

    @staticmethod
    def _text(context: str, window: dict, tokens) -> str:
        """The context characters of the first run of ``tokens`` in the window's passage."""
        passage, n = window["passage"], len(tokens)
        for i in range(len(passage) - n + 1):
            if n and list(passage[i:i + n]) == list(tokens):
                offsets = window["offsets"]
                return context[window["start"] + offsets[i][0]:window["start"] + offsets[i + n - 1][1]]
        return ""

    @staticmethod
    def _read_slots(probas, passage, sep: int, may_abstain: bool) -> tuple[tuple, float]:
        """Greedy reading of one window's slots under the substring constraint: the answer
        tokens and their mean probability (the end token included). Without ``may_abstain``
        the first slot cannot end the answer."""
        answer, score = (), 0.0
        for step in range(len(probas)):
            allowed = next_tokens(passage, answer) | ({sep} if step or may_abstain else set())
            allowed = sorted(allowed)
            token = allowed[int(np.argmax(probas[step, allowed]))]
            score += probas[step, token]
            if token == sep:
                break
            answer += (token,)
        return answer, score / (step + 1)

    def _fill_slots(self, ctx, model, items) -> list[dict]:
        """MLM: each window's slots read greedily under the substring constraint; a question
        all of whose windows abstain gets their best non-empty answers (unless
        ``--allow-no-answer``)."""
        sep, slots = self._specials(ctx)[1], ctx.options["max_answer"]
        always = not ctx.options["allow_no_answer"]
        rows = [(q, w) for q, item in enumerate(items) for w in range(len(item[2]["windows"]))]
        inputs = [(items[q][2]["windows"][w]["inputs"], None) for q, w in rows]
        found: list[dict] = [{} for _ in items]
        fallback: list[dict] = [{} for _ in items]
        for batch, x, _ in ctx.batches(inputs):
            probas = _softmax(np.asarray(model.predict_on_batch(x), "float64")[:, 1:slots + 1])
            for row, r in enumerate(batch):
                q, w = rows[r]
                window, context = items[q][2]["windows"][w], items[q][2]["context"]
                answer, score = self._read_slots(probas[row], window["passage"], sep, True)
                if not answer and always and window["passage"]:
                    answer, score = self._read_slots(probas[row], window["passage"], sep, False)
                    target = fallback[q]
                else:
                    target = found[q]
                text = self._text(context, window, answer)
                if text:
                    target.setdefault(text, []).append(score)
        return [answers or backup for answers, backup in zip(found, fallback)]

    def _generate(self, ctx, model, item) -> dict:
        """seq2seq: one answer per question from all its windows at once."""
        chosen = item[2]["windows"]
        sources = [w["inputs"][0] for w in chosen]
        reader = PassageVoteReader(ctx, model, sources, [w["passage"] for w in chosen],
                                   ctx.options["max_answer"], not ctx.options["no_vote"],
                                   not ctx.options["allow_no_answer"])
        tokens = [int(t) for t in reader.beam_search([], topk=ctx.options["beams"],
                                                     states=list(range(len(chosen))))]
        tokens = tokens[:-1] if tokens and tokens[-1] == reader.end_id else tokens
        for window in chosen:
            text = self._text(item[2]["context"], window, tokens)
            if text:
                return {text: [1.0]}
        return {}

    def score(self, ctx, predictions, examples):
        return cmrc_evaluate(predictions, [e.answers for e in examples])

    def format(self, ctx, prediction):
        return prediction


RECIPE = MachineReading()
