"""``kexue sim gillespie``: simulate the two-stage gene-expression model.

    kexue sim gillespie --t-max 100 --trajectories 1000 --plot ssa.png

Prints the time-weighted stationary mean, variance and Fano factor of mRNA (m)
and protein (n) with the exact values beside them. Keras is never imported.
Option values are checked before any work (finite, in range; decays positive),
and the plot is written atomically.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path


# option -> (lowest allowed value, whether the lowest is excluded); all must be finite
_BOUNDS = {
    "t_max": (0.0, True),
    "burn_in": (0.0, False),
    "trajectories": (1, False),
    "transcription": (0.0, False),
    "translation": (0.0, False),
    "mrna_decay": (0.0, True),
    "protein_decay": (0.0, True),
    "record_every": (0.0, True),
}


def check_options(args: argparse.Namespace) -> None:
    """Refuse option values before any work (exit code 2, naming the option)."""
    from kexue.cli import UsageError

    for name, (low, excluded) in _BOUNDS.items():
        value, option = getattr(args, name), "--" + name.replace("_", "-")
        if not math.isfinite(value) or value < low or (excluded and value == low):
            rule = f"> {low:g}" if excluded else f">= {low:g}"
            why = " (the stationary state needs decay)" if name.endswith("decay") else ""
            raise UsageError(f"{option} must be a finite number {rule}{why}, got {value}")
    if args.burn_in >= args.t_max:
        raise UsageError(f"--burn-in must be below --t-max ({args.t_max:g}), got {args.burn_in:g}")
    if args.plot:
        from kexue.files import prepare_output_dir, refuse_inputs
        from kexue.sim.gillespie import check_record_size

        try:
            check_record_size(args.t_max, args.record_every, args.trajectories, 2)
        except ValueError as error:
            raise UsageError(f"--record-every: {error}") from None

        plot = Path(args.plot)
        refuse_inputs(plot)
        if plot.is_dir():
            raise UsageError(f"--plot {plot} is a folder; give a file name such as ssa.png")
        prepare_output_dir(plot.parent if str(plot.parent) else ".")
        if plot.suffix.lower() not in ("", ".png", ".pdf", ".svg", ".jpg", ".jpeg"):
            raise UsageError(f"--plot {plot}: write .png, .pdf, .svg or .jpg, not {plot.suffix}")


def gillespie(args: argparse.Namespace) -> int:
    from kexue.sim import gene_expression, plot_simulation, simulate

    check_options(args)
    network = gene_expression(
        args.transcription, args.translation, args.mrna_decay, args.protein_decay
    )
    mean_m = args.transcription / args.mrna_decay
    exact = {
        "m": (mean_m, 1.0),
        "n": (
            mean_m * args.translation / args.protein_decay,
            1.0 + args.translation / (args.mrna_decay + args.protein_decay),
        ),
    }
    result = simulate(
        network,
        {"m": 0, "n": 0},
        t_max=args.t_max,
        n_trajectories=args.trajectories,
        seed=args.seed,
        burn_in=args.burn_in,
        record_every=args.record_every if args.plot else None,
        progress=True,
    )
    print(
        f"{result.n_events} reactions over {args.trajectories} trajectories (t_max {args.t_max:g}, burn-in {args.burn_in:g})"
    )
    print(
        f"{'species':<8}{'mean':>10}{'exact':>10}{'variance':>11}{'Fano':>8}{'exact':>8}"
    )
    for name, stats in result.summary().items():
        print(
            f"{name:<8}{stats['mean']:10.3f}{exact[name][0]:10.3f}{stats['variance']:11.3f}{stats['fano']:8.3f}{exact[name][1]:8.3f}"
        )
    if args.plot:
        print(f"plot written to {plot_simulation(result, args.plot)}")
    return 0


def register(subparsers) -> None:
    """Add ``kexue sim gillespie``."""
    sim = subparsers.add_parser(
        "sim", help="small scientific simulations (Gillespie SSA)"
    )
    commands = sim.add_subparsers(dest="sim_command", metavar="SUBCOMMAND")
    sim.set_defaults(func=lambda args: (sim.print_help(), 2)[1])
    p = commands.add_parser(
        "gillespie", help="gene expression: 0 -> m, m -> m + n, m -> 0, n -> 0"
    )
    p.add_argument("--t-max", type=float, default=100.0)
    p.add_argument(
        "--burn-in", type=float, default=10.0, help="statistics start after this time"
    )
    p.add_argument("--trajectories", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--transcription", type=float, default=20.0)
    p.add_argument("--translation", type=float, default=2.5)
    p.add_argument("--mrna-decay", type=float, default=1.0)
    p.add_argument("--protein-decay", type=float, default=1.0)
    p.add_argument(
        "--plot", help="write trajectories and stationary histograms to this PNG"
    )
    p.add_argument(
        "--record-every",
        type=float,
        default=0.1,
        help="trajectory sampling step for the plot",
    )
    p.set_defaults(func=gillespie)
