"""What the generation recipes (``seq2seq``, ``cond-gen``) share on the command line and
around their decoders: the decoding options (declared once for ``train``, where they set how
dev is decoded and are stored in ``task.json``, and again for ``predict`` and ``eval``, where
they override the stored ones for that call), and one compiled decoder kept per trained
model.

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser()
    >>> add_decoding_overrides(parser)
    >>> overrides(parser.parse_args(["--beams", "4", "--top-p", "0.9"]))
    {'beams': 4, 'top_p': 0.9}
"""

from __future__ import annotations

import argparse
import json
import sys
import weakref

__all__ = ["declare_decoding", "add_decoding_overrides", "overrides", "decoding_options",
           "add_generation_actions", "DecoderCache", "GenerationRecipe"]

DECODING = ("beams", "length_penalty", "top_k", "top_p", "temperature", "greedy", "decoder")


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return number


def _flags(add, defaults: dict) -> None:
    add("--beams", type=_positive_int, default=defaults.get("beams"), help="beam size (1: greedy)")
    add("--length-penalty", type=float, default=None,
        help="beam search: finished beams are scored sum(log p) / length**A (cached decoding; "
             "default 1.0)")
    add("--top-k", type=_positive_int, default=defaults.get("top_k"),
        help="sample from the K most probable tokens")
    add("--top-p", type=float, default=defaults.get("top_p"),
        help="sample from the smallest set of tokens with probability mass P (nucleus)")
    add("--temperature", type=float, default=defaults.get("temperature"), help="sampling temperature")
    add("--greedy", action="store_const", const=True, default=defaults.get("greedy"),
        help="no sampling: take the most probable token (overrides --top-k/--top-p)")
    add("--decoder", choices=("auto", "cached", "uncached"), default=defaults.get("decoder"),
        help="cached: KV-cache CachedDecoder; uncached: re-run the model per token "
             "(AutoRegressiveDecoder); auto: cached where the model allows it")


def declare_decoding(options, **defaults) -> None:
    """The decoding options of ``train`` (a recipe's :class:`~kexue.tasks.recipe.RecipeOptions`)."""
    base = {"beams": 1, "temperature": 1.0, "decoder": "auto", "greedy": False, **defaults}
    _flags(options.add, base)
    options.add("--decoding-seed", type=int, default=0, help="seed of sampled decoding")


def add_decoding_overrides(parser: argparse.ArgumentParser) -> None:
    """The same options on ``predict`` / ``eval``, all defaulting to "as trained"."""
    group = parser.add_argument_group("decoding (default: as in task.json)")
    _flags(group.add_argument, {})


def overrides(args: argparse.Namespace) -> dict:
    """The decoding options given on the command line."""
    return {name: getattr(args, name) for name in DECODING if getattr(args, name, None) is not None}


def decoding_options(ctx, max_new_tokens: int, end_id: int):
    """:class:`~kexue.tasks.seq2seq_decoding.DecodingOptions` from ``ctx.options``."""
    from kexue.tasks.seq2seq_decoding import DecodingOptions

    o = ctx.options
    penalty, greedy = o.get("length_penalty"), bool(o.get("greedy"))
    return DecodingOptions(max_new_tokens=max_new_tokens, end_id=end_id, num_beams=o["beams"],
                           length_penalty=1.0 if penalty is None else penalty,
                           top_k=None if greedy else o.get("top_k"),
                           top_p=None if greedy else o.get("top_p"), temperature=o["temperature"],
                           seed=int(o.get("decoding_seed") or 0))


def _load(recipe, args):
    from kexue.tasks.trained import load_task

    task = load_task(args.model, batch_size=args.batch_size, recipe=recipe)
    task.ctx.options.update(overrides(args))
    return task


def _predict(recipe, args) -> int:
    for line in _load(recipe, args).predict_lines(args.input):
        sys.stdout.write(line + "\n")
    return 0


def _eval(recipe, args) -> int:
    print(json.dumps(_load(recipe, args).evaluate(args.input), ensure_ascii=False))
    return 0


def add_generation_actions(recipe, actions) -> None:
    """``train``, ``predict`` and ``eval``, the last two taking decoding overrides."""
    from kexue.tasks.commands import add_standard_actions

    add_standard_actions(recipe, actions)
    for name, run in (("predict", _predict), ("eval", _eval)):
        parser = actions.choices[name]
        add_decoding_overrides(parser)
        parser.set_defaults(func=run)


class DecoderCache:
    """One decoder per live model (a trained model is decoded once per epoch: its compiled
    loops are reused); entries go with their models."""

    def __init__(self):
        self._decoders: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def get(self, model, make):
        """The decoder of ``model``, made by ``make(model)`` the first time."""
        if model not in self._decoders:
            self._decoders[model] = make(model)
        return self._decoders[model]


class GenerationRecipe:
    """Mixed into the generation recipes: the predict/eval actions with decoding overrides,
    a decoder cache, the next-token loss, and predictions printed as they are."""

    # generated text is decoded from tokens: a folded vocabulary would write ASCII where the
    # training targets had full-width forms
    fold_width = False

    def __init__(self):
        self.decoders = DecoderCache()

    def command_line(self, actions):
        add_generation_actions(self, actions)

    def loss(self, ctx):
        from kexue.tasks.next_token_loss import NextTokenCrossentropy

        return NextTokenCrossentropy()

    def format(self, ctx, prediction):
        return prediction
