"""Time-to-converge of ganlib's default toy GAN against seed 002's reference experiment.

Run from the repository root::

    python benchmarks/bench_toy.py            # 10 seeds each, reference capped at 60 s a seed
    python benchmarks/bench_toy.py --quick    # 3 seeds each, reference capped at 15 s

Both runs happen in this one process, with ``torch.set_num_threads`` fixed (default 1: these
nets are so small that a second thread only adds synchronisation, and on a busy machine
OpenMP threads waiting for each other make it 10-20 times slower).

Converged means: at a check (every 100 generator steps) 10,000 fresh samples have
|mean − 4| ≤ 0.1, |std − 1.25| ≤ 0.1 and estimated JS ≤ 0.01 nats, and every later check during
the next 2 s of training passes too. The time to converge is the training time at the first
check of such a streak. Training time is wall-clock time spent inside ``ToyGAN.train`` only:
the evaluations at the checks are not counted (they are timed separately and reported). The
process CPU time of training is reported too, since on a shared machine wall time also counts
other people's work.

The reference is ganlib's :meth:`ToyGANConfig.reference`: minibatch D over 100 samples plus
their squared deviations (input 200), G 1→50 ELU→50 Sigmoid→1 on uniform ``torch.rand`` noise,
Adam 2e-4 with betas (0.9, 0.999) for both, batch 100, one D step per G step, binary
cross-entropy. (The loss is ganlib's non-saturating one; seed 002 also trains G with label 1.)
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass

import torch

from ganlib.toy_training import ToyGAN, ToyGANConfig

CHECK_EVERY = 100
HOLD_S = 2.0


@dataclass
class Result:
    seed: int
    converged_s: float | None  # training wall time at the start of the holding streak
    converged_cpu_s: float | None
    converged_step: int | None
    train_s: float
    eval_s: float
    final: dict[str, float]
    diverged: str | None


def passes(ev: dict[str, float]) -> bool:
    """The convergence test of one check."""
    return abs(ev["mean"] - 4.0) <= 0.1 and abs(ev["std"] - 1.25) <= 0.1 and ev["js"] <= 0.01


def run(config: ToyGANConfig, cap_s: float) -> Result:
    """Train until converged-and-held, or until ``cap_s`` seconds of training."""
    gan = ToyGAN(config)
    train_s = cpu_s = eval_s = 0.0
    streak: tuple[float, float, int] | None = None  # (wall, cpu, step) at the streak's start
    done: tuple[float, float, int] | None = None
    while train_s < cap_s and done is None and gan.diverged is None:
        t0, c0 = time.perf_counter(), time.process_time()
        gan.train(CHECK_EVERY, record_every=None)
        train_s += time.perf_counter() - t0
        cpu_s += time.process_time() - c0
        t0 = time.perf_counter()
        ok = gan.diverged is None and passes(gan.evaluate())
        eval_s += time.perf_counter() - t0
        if not ok:
            streak = None
        elif streak is None:
            streak = (train_s, cpu_s, gan.step)
        if streak is not None and train_s - streak[0] >= HOLD_S:
            done = streak
    final = gan.evaluate()
    return Result(
        config.seed,
        done[0] if done else None,
        done[1] if done else None,
        done[2] if done else None,
        train_s,
        eval_s,
        final,
        gan.diverged.message if gan.diverged else None,
    )


def print_table(name: str, results: list[Result]) -> None:
    print(f"\n{name}")
    print(
        f"{'seed':>4} {'converged (s)':>13} {'cpu (s)':>8} {'at step':>8} {'trained (s)':>11} "
        f"{'mean':>6} {'std':>6} {'JS (nats)':>9}"
    )
    for r in results:
        conv = f"{r.converged_s:.2f}" if r.converged_s is not None else "no"
        cpu = f"{r.converged_cpu_s:.2f}" if r.converged_cpu_s is not None else "-"
        step = str(r.converged_step) if r.converged_step is not None else "-"
        f = r.final
        print(
            f"{r.seed:>4} {conv:>13} {cpu:>8} {step:>8} {r.train_s:>11.1f} "
            f"{f['mean']:>6.3f} {f['std']:>6.3f} {f['js']:>9.4f}"
            + (f"  {r.diverged}" if r.diverged else "")
        )


def median_time(results: list[Result], cap_s: float) -> float:
    """Median time to converge, counting a run that never converged as the cap (a lower bound)."""
    return statistics.median(r.converged_s if r.converged_s is not None else cap_s for r in results)


def main() -> None:
    """Parse the flags, run both setups and print the tables and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 seeds each, reference cap 15 s")
    parser.add_argument("--seeds", type=int, default=None, help="seeds per setup (default 10)")
    parser.add_argument("--cap", type=float, default=None, help="reference cap in s (default 60)")
    parser.add_argument("--default-cap", type=float, default=15.0, help="cap for the default")
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (1)")
    parser.add_argument("--skip-reference", action="store_true")
    args = parser.parse_args()
    seeds = args.seeds or (3 if args.quick else 10)
    cap = args.cap or (15.0 if args.quick else 60.0)
    torch.set_num_threads(args.threads)
    sys.stdout.reconfigure(line_buffering=True)  # rows appear as runs finish
    print(
        f"torch {torch.__version__}, {args.threads} threads, {platform.processor() or '?'}, "
        f"{os.cpu_count()} CPUs visible, load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"converged = |mean-4|<=0.1, |std-1.25|<=0.1, JS<=0.01 nats on 10,000 samples at every "
        f"check (every {CHECK_EVERY} steps) for {HOLD_S:.0f} s of training; times are training "
        f"wall time, evaluation excluded"
    )
    ours = [run(ToyGANConfig(seed=s), args.default_cap) for s in range(seeds)]
    print_table(f"ganlib default ToyGANConfig() (cap {args.default_cap:.0f} s)", ours)
    n_ok = sum(r.converged_s is not None and r.converged_s <= 3.0 for r in ours)
    print(f"default: {n_ok}/{seeds} seeds converged within 3 s")
    if args.skip_reference:
        return
    ref = [run(ToyGANConfig.reference(seed=s), cap) for s in range(seeds)]
    print_table(f"seed 002 reference, minibatch D (cap {cap:.0f} s)", ref)
    m_ours, m_ref = median_time(ours, args.default_cap), median_time(ref, cap)
    bound = ">= " if any(r.converged_s is None for r in ref) else ""
    print(
        f"\nmedian time to converge: default {m_ours:.2f} s, reference {bound}{m_ref:.1f} s; "
        f"ratio reference/default {bound}{m_ref / m_ours:.1f}"
        if m_ours > 0
        else "ratio n/a"
    )


if __name__ == "__main__":
    main()
