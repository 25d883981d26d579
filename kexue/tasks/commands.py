"""The ``train``, ``predict`` and ``eval`` actions every recipe gets on the command line
(``kexue task NAME ACTION ...``), as thin layers over :func:`kexue.tasks.runner.train` and
:func:`kexue.tasks.trained.load_task`. Keras is imported only when an action runs.

Example:
    >>> import argparse
    >>> from kexue.tasks.registry import get_recipe
    >>> parser = argparse.ArgumentParser(prog="kexue task classify")
    >>> add_standard_actions(get_recipe("classify"), parser.add_subparsers(dest="action"))
    >>> args = parser.parse_args(["train", "--train", "a.tsv", "--dev", "b.tsv", "--out", "run",
    ...                           "--scratch", "tiny", "--pooling", "mean"])
    >>> args.scratch, args.epochs, args.pooling
    ('tiny', None, 'mean')
"""

from __future__ import annotations

import argparse
import json
import sys

__all__ = ["add_standard_actions", "add_train_arguments", "run_train", "train_options", "backbone_arguments"]


def backbone_arguments(parser: argparse.ArgumentParser) -> None:
    """``--checkpoint PATH`` | ``--scratch SIZE`` and ``--model FAMILY``."""
    from kexue.tasks.backbone import FAMILIES, SCRATCH_SIZES

    group = parser.add_argument_group("backbone (one of --checkpoint and --scratch; "
                                      "neither with --resume)")
    choice = group.add_mutually_exclusive_group()
    choice.add_argument("--checkpoint", metavar="PATH",
                        help="Hugging Face folder (config.json, model.safetensors, vocab.txt), "
                             "TF1 checkpoint prefix, or a folder written by `kexue task pretrain`")
    choice.add_argument("--scratch", metavar="SIZE",
                        help=f"random weights: {' or '.join(SCRATCH_SIZES)} "
                             "(tiny: 4 layers x 256 x 4 heads; small: 6 x 384 x 6) or LAYERSxHIDDENxHEADS, "
                             "with a character vocabulary of the training texts")
    group.add_argument("--model", choices=sorted(FAMILIES), default=None,
                       help="backbone family (default: the checkpoint config's model_type; from "
                       "scratch, the recipe's: roformer for cws, ner and triples, else bert)")


def add_train_arguments(parser: argparse.ArgumentParser, recipe, data: bool = True) -> None:
    """The shared training options (and the recipe's own, in a group of their own)."""
    from kexue.tasks.recipe import RecipeOptions

    d = recipe.defaults
    if data:
        parser.add_argument("--train", required=True, metavar="FILE", help="training data")
        parser.add_argument("--dev", required=True, metavar="FILE",
                            help="development data (picks the best epoch)")
        parser.add_argument("--test", metavar="FILE", help="test data (scored every epoch)")
    parser.add_argument("--out", required=True, metavar="DIR", help="the run folder to write")
    backbone_arguments(parser)
    training = parser.add_argument_group("training")
    training.add_argument("--epochs", type=int, help=f"passes over the data (default {d['epochs']})")
    training.add_argument("--batch-size", type=int, help=f"examples per step (default {d['batch_size']})")
    training.add_argument("--maxlen", type=int, help=f"longest input in tokens (default {d['maxlen']})")
    training.add_argument("--lr", type=float, help=f"peak learning rate (default {d['lr']:g} from a "
                          f"checkpoint, {d['scratch_lr']:g} from scratch)")
    training.add_argument("--warmup", type=float, default=0.1,
                          help="fraction of the steps with a linear warm-up (then linear decay to 0)")
    training.add_argument("--ema", type=float, metavar="MOMENTUM",
                          help="evaluate and save an exponential moving average of the weights")
    training.add_argument("--seed", type=int, default=0, help="seed of initialisation, order and dropout")
    training.add_argument("--resume", action="store_true",
                          help="continue the interrupted run in --out (same options and data)")
    training.add_argument("--save-every", type=int, default=0, metavar="STEPS",
                          help="snapshot the training state every STEPS steps (default: every 5 minutes)")
    training.add_argument("--quiet", action="store_true", help="no progress bars or epoch lines")
    own = RecipeOptions(parser.add_argument_group(f"{recipe.name} options"))
    recipe.add_arguments(own)
    parser.set_defaults(recipe_options=own.dests)


def train_options(args: argparse.Namespace) -> dict:
    """The keyword arguments of :func:`kexue.tasks.runner.train` from parsed options."""
    return dict(
        out=args.out, checkpoint=args.checkpoint, scratch=args.scratch, model=args.model,
        epochs=args.epochs, batch_size=args.batch_size, maxlen=args.maxlen, lr=args.lr,
        seed=args.seed, resume=args.resume, ema=args.ema, warmup=args.warmup,
        save_every=args.save_every, progress=not args.quiet,
        options={name: getattr(args, name) for name in args.recipe_options},
        command=["kexue", *sys.argv[1:]],
    )


def _usage_errors():
    from kexue.cli import UsageError
    from kexue.tasks.backbone import BackboneError
    from kexue.tasks.runner import RunError

    return (RunError, BackboneError), UsageError


def run_train(recipe, args: argparse.Namespace) -> int:
    from kexue.tasks.runner import train

    usage, UsageError = _usage_errors()
    try:
        metrics = train(recipe, train=args.train, dev=args.dev, test=args.test, **train_options(args))
    except usage as error:
        raise UsageError(str(error)) from None
    print(summary_line(metrics, args.out))
    return 0


def summary_line(metrics: dict, out) -> str:
    """The one line ``train`` prints at the end."""
    best, metric = metrics["best"], metrics["metric"]
    text = f"best epoch {best['epoch']}: dev {metric} {best['dev'][metric]:.4f}"
    if best.get("test"):
        text += f", test {metric} {best['test'][metric]:.4f}"
    return text + f" ({metrics['steps']} steps, {metrics['train_seconds']:.0f} s); saved in {out}"


def run_predict(recipe, args: argparse.Namespace) -> int:
    task = _load(recipe, args)
    out = sys.stdout
    for line in task.predict_lines(args.input):
        out.write(line + "\n")
    return 0


def run_eval(recipe, args: argparse.Namespace) -> int:
    task = _load(recipe, args)
    print(json.dumps(task.evaluate(args.input), ensure_ascii=False))
    return 0


def _load(recipe, args):
    from kexue.cli import UsageError
    from kexue.tasks.rundir import read_task
    from kexue.tasks.trained import load_task

    stored = read_task(args.model)
    if stored.get("task") != recipe.name:
        raise UsageError(f"--model {args.model} holds a {stored.get('task')!r} run; use "
                         f"`kexue task {stored.get('task')} ...`.")
    return load_task(args.model, batch_size=args.batch_size)


def add_standard_actions(recipe, actions) -> None:
    """``train``, ``predict`` and ``eval`` parsers for ``recipe``."""
    train = actions.add_parser("train", help="train and keep the best model on dev",
                               description=f"Train {recipe.name}: {recipe.description}")
    add_train_arguments(train, recipe)
    train.set_defaults(func=run_train)
    line = "a<TAB>b per line" if recipe.pair_input else "one text per line"
    predict = actions.add_parser("predict", help=f"predict for inputs ({line})",
                                 description=f"Predict with a trained {recipe.name} model; reads {line}.")
    predict.add_argument("--model", required=True, metavar="DIR", help="the --out folder of train")
    predict.add_argument("input", nargs="?", default="-", metavar="FILE", help="inputs (default: stdin)")
    predict.add_argument("--batch-size", type=int, help="examples per batch")
    predict.set_defaults(func=run_predict)
    evaluate = actions.add_parser("eval", help="score a trained model on labelled data (JSON)",
                                  description=f"Score a trained {recipe.name} model on a labelled file.")
    evaluate.add_argument("--model", required=True, metavar="DIR", help="the --out folder of train")
    evaluate.add_argument("input", metavar="FILE", help="labelled data in the training format")
    evaluate.add_argument("--batch-size", type=int, help="examples per batch")
    evaluate.set_defaults(func=run_eval)
