"""Gillespie SSA: kexue's vectorised simulator vs a straightforward pure-Python SSA.

Both simulate the gene-expression model (∅ →20 m, m →2.5 m + n, m →1 ∅,
n →1 ∅) in the same run; speed is reactions fired per second. The kexue run
also prints the time-weighted stationary means and Fano factors (exact: 20,
50, 1, 2.25).

    KERAS_BACKEND=jax nice -n 10 .venv/bin/python benchmarks/gillespie.py
"""

from __future__ import annotations

import argparse
import math
import random
import time

from kexue.sim import gene_expression, simulate


def python_ssa(
    t_max: float, seed: int, m: int = 20, n: int = 50
) -> tuple[int, float, float]:
    """The textbook direct method in plain Python; returns (events, time-weighted mean m, mean n)."""
    rng = random.Random(seed)
    t = 0.0
    events = 0
    area_m = area_n = 0.0
    while True:
        a = (20.0, 2.5 * m, 1.0 * m, 1.0 * n)
        total = a[0] + a[1] + a[2] + a[3]
        tau = -math.log(1.0 - rng.random()) / total
        dt = min(tau, t_max - t)
        area_m += m * dt
        area_n += n * dt
        t += tau
        if t >= t_max:
            return events, area_m / t_max, area_n / t_max
        u = rng.random() * total
        if u < a[0]:
            m += 1
        elif u < a[0] + a[1]:
            n += 1
        elif u < a[0] + a[1] + a[2]:
            m -= 1
        else:
            n -= 1
        events += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trajectories", type=int, default=10000)
    parser.add_argument("--t-max", type=float, default=20.0)
    parser.add_argument(
        "--python-t-max",
        type=float,
        default=2000.0,
        help="length of the pure-Python run",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="alternating runs; the best rate of each is kept",
    )
    args = parser.parse_args()

    python_rate = ours_rate = 0.0
    for _ in range(args.repeats):  # alternate, so both see the same machine load
        start = time.perf_counter()
        events, mean_m, mean_n = python_ssa(args.python_t_max, seed=1)
        python_s = time.perf_counter() - start
        python_rate = max(python_rate, events / python_s)

        start = time.perf_counter()
        result = simulate(
            gene_expression(),
            {"m": 20, "n": 50},
            t_max=args.t_max,
            n_trajectories=args.trajectories,
            seed=0,
            burn_in=10.0,
        )
        ours_s = time.perf_counter() - start
        ours_rate = max(ours_rate, result.n_events / ours_s)

    print(
        f"pure-Python SSA : {events:>10} events, best {python_rate / 1e6:6.3f} M events/s (means m {mean_m:.2f}, n {mean_n:.2f})"
    )
    print(
        f"kexue.sim       : {result.n_events:>10} events, best {ours_rate / 1e6:6.3f} M events/s "
        f"({args.trajectories} trajectories, t_max {args.t_max:g})"
    )
    print(f"speed-up        : {ours_rate / python_rate:.1f}x")
    for name, stats in result.summary().items():
        print(f"  {name}: mean {stats['mean']:.3f}  Fano {stats['fano']:.3f}")


if __name__ == "__main__":
    main()
