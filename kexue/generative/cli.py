"""``kexue gen``: train a model of the generative zoo and draw samples from a trained one.

    kexue gen list
    kexue gen train MODEL --data digits|FILE.npz|FILE.npy|FOLDER --out DIR
                    [--image-size HxW --epochs N --seed S --resume --quiet]
    kexue gen sample DIR [--n 100 --seed 0 --out FILE.png]

``train`` writes ``metrics.json``, ``samples.png``, ``interpolations.png`` (models with a
latent space) and ``model.keras`` into DIR as one set, and the training state after every epoch
into ``DIR/checkpoint``; ``--resume`` continues a killed run from its last epoch. ``sample``
reloads ``DIR/model.keras`` and calls its ``sample(n, seed=...)``. Keras is imported only when a
command runs.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from kexue.cli_types import integer

MAX_SAMPLES = 10_000  # `gen sample --n`: a grid of more images is unreadable and slow to draw


def register(subparsers) -> None:
    """Add the ``gen`` command group to the ``kexue`` parser."""
    gen = subparsers.add_parser("gen", help="generative-model zoo: train and sample",
                                description=__doc__.splitlines()[0])
    commands = gen.add_subparsers(dest="gen_command", metavar="COMMAND")
    gen.set_defaults(func=lambda args: gen.print_help() or 2)

    listing = commands.add_parser("list", help="list the registered models and datasets")
    listing.set_defaults(func=_list)

    train = commands.add_parser("train", help="train MODEL on a dataset and write its outputs")
    train.add_argument("model", help="registered model name (see `kexue gen list`)")
    train.add_argument("--data", default="digits",
                       help="a built-in dataset (see `kexue gen list`; default digits), an .npz "
                            "(array x: N×H×W, N×H×W×C or N×2 points; optional labels y), an .npy, "
                            "or a folder of PNG/JPEG images (class sub-folders become labels)")
    train.add_argument("--image-size", default=None, metavar="HxW",
                       help="resize the images of a folder to this size (N or HxW)")
    train.add_argument("--resume", action="store_true",
                       help="continue from DIR/checkpoint (same model, data, seed and --epochs)")
    train.add_argument("--out", required=True, type=Path, help="output directory")
    train.add_argument("--epochs", type=integer(1), default=None,
                       help="epochs (default: the model's)")
    train.add_argument("--seed", type=integer(0, 2**32 - 1), default=0,
                       help="random seed (default: 0)")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.set_defaults(func=_train)

    sample = commands.add_parser("sample", help="draw samples from a trained model directory")
    sample.add_argument("dir", type=Path, help="directory written by `kexue gen train`")
    sample.add_argument("--n", type=integer(1, MAX_SAMPLES), default=100,
                        help=f"number of samples, 1 to {MAX_SAMPLES:,} (default: 100)")
    sample.add_argument("--seed", type=integer(0, 2**32 - 1), default=0,
                        help="random seed (default: 0)")
    sample.add_argument("--out", type=Path, default=None,
                        help="PNG to write (default: DIR/samples_seed<SEED>.png)")
    sample.set_defaults(func=_sample)


def _list(args: argparse.Namespace) -> int:
    from kexue.generative.data import DATASETS
    from kexue.generative.zoo import MODELS

    print("models:  ", " ".join(sorted(MODELS)))
    print("datasets:", " ".join(DATASETS))
    return 0


def _train(args: argparse.Namespace) -> int:
    from kexue.cli import UsageError
    from kexue.files import prepare_output_dir
    from kexue.generative.data import DATASETS
    from kexue.generative.user_data import parse_image_size
    from kexue.generative.zoo import MODELS, get_trainer

    if args.model not in MODELS:
        raise UsageError(f"unknown model {args.model!r}; choose one of {', '.join(sorted(MODELS))}.")
    if args.data not in DATASETS and not Path(args.data).exists():
        raise UsageError(f"--data {args.data}: no such file or folder, and not a built-in dataset "
                         f"({', '.join(DATASETS)}).")
    try:
        image_size = parse_image_size(args.image_size) if args.image_size else None
    except ValueError as error:
        raise UsageError(str(error)) from None
    prepare_output_dir(args.out, inputs=[args.data])
    trainer = get_trainer(args.model)
    metrics = trainer(args.data, args.out, epochs=args.epochs, seed=args.seed,
                      progress=not args.quiet, resume=args.resume, image_size=image_size)
    print(json.dumps(metrics, indent=2))
    print(f"wrote {args.out}/")
    return 0


def _sample(args: argparse.Namespace) -> int:
    import importlib

    import numpy as np

    from kexue.cli import CommandError
    from kexue.files import prepare_output_file, read_json, recover_folder
    from kexue.generative.plots import save_image_grid, save_scatter
    from kexue.generative.zoo import MODELS

    if not args.dir.is_dir():
        raise CommandError(f"{args.dir} is not a folder written by `kexue gen train MODEL "
                           "--out DIR`; train a model first.")
    recover_folder(args.dir)  # finish or discard an interrupted `gen train` commit
    model_path, metrics_path = args.dir / "model.keras", args.dir / "metrics.json"
    if not model_path.is_file() or not metrics_path.is_file():
        raise CommandError(f"{args.dir} has no model.keras and metrics.json; create it with "
                           "`kexue gen train MODEL --out DIR` first.")
    out = args.out or args.dir / f"samples_seed{args.seed}.png"
    prepare_output_file(out, inputs=[model_path, metrics_path])
    name = read_json(metrics_path).get("model")
    if name in MODELS:  # importing the entry point's module registers its Keras classes
        importlib.import_module(MODELS[name].split(":")[0])
    import keras

    model = keras.saving.load_model(model_path)
    if not hasattr(model, "sample"):
        raise CommandError(f"the model in {model_path} ({type(model).__name__}) cannot sample.")
    samples = np.asarray(model.sample(args.n, seed=args.seed))
    if samples.ndim == 2:
        save_scatter(samples, out)
    else:
        save_image_grid(samples, out, ncols=10)
    print(f"wrote {out}")
    return 0
