"""Time-to-converge of ganlib's default toy GAN against the 50-line GAN's reference experiment.

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

The reference, :class:`FiftyLineGAN`, is the 50-line GAN's loop written out independently of
ganlib, the way the post writes it: a minibatch D that sees 100 samples plus their squared
deviations from the batch mean as one vector of 200 (Linear 200→50 ELU→50 ELU→1 Sigmoid), G 1→50
ELU→50 Sigmoid→1 on uniform ``torch.rand`` noise, ``nn.BCELoss``, Adam 2e-4 with betas (0.9, 0.999)
for both, batch 100, one D step (real error and fake error back-propagated separately) per G step,
G trained with label 1. Only the random numbers differ: they come from seeded generators instead of
the global ones, so that every seed is reproducible. ganlib's evaluation (``js_from_samples``)
scores both.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ganlib.toy.distributions import TARGETS
from ganlib.toy.js_estimate import JS_SAMPLES, js_from_samples
from ganlib.toy.training import ToyGAN, ToyGANConfig

CHECK_EVERY = 100
HOLD_S = 2.0


@dataclass
class Result:
    seed: int
    converged_s: float | None  # training wall time at the start of the holding streak
    converged_cpu_s: float | None
    converged_step: int | None
    steps: int  # generator steps (epochs, in the post's words) trained in all
    train_s: float
    eval_s: float
    final: dict[str, float]
    diverged: str | None


def passes(ev: dict[str, float]) -> bool:
    """The convergence test of one check."""
    return abs(ev["mean"] - 4.0) <= 0.1 and abs(ev["std"] - 1.25) <= 0.1 and ev["js"] <= 0.01


class FiftyLineGAN:
    """The 50-line GAN's 1-D GAN ("GANs in 50 lines"), re-implemented without ganlib's training
    code.

    Exposes the three things :func:`run` needs: ``train(n)``, ``evaluate()`` and ``diverged``.
    """

    MINIBATCH = 100
    MEAN, STD = 4.0, 1.25

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.np_rng = np.random.default_rng(seed)  # real data: np.random.normal in the post
        self.torch_rng = torch.Generator().manual_seed(seed)  # noise: torch.rand in the post
        self.eval_rng = torch.Generator().manual_seed(seed + 1)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.G = nn.Sequential(
                nn.Linear(1, 50), nn.ELU(), nn.Linear(50, 50), nn.Sigmoid(), nn.Linear(50, 1)
            )
            self.D = nn.Sequential(
                nn.Linear(2 * self.MINIBATCH, 50), nn.ELU(),
                nn.Linear(50, 50), nn.ELU(),
                nn.Linear(50, 1), nn.Sigmoid(),
            )  # fmt: skip
        self.criterion = nn.BCELoss()
        self.d_optimizer = torch.optim.Adam(self.D.parameters(), lr=2e-4, betas=(0.9, 0.999))
        self.g_optimizer = torch.optim.Adam(self.G.parameters(), lr=2e-4, betas=(0.9, 0.999))
        self.step = 0
        self.diverged: str | None = None

    @staticmethod
    def decorate_with_diffs(data: torch.Tensor) -> torch.Tensor:
        """(1, n) -> (1, 2n): the samples, then their squared deviations from the batch mean."""
        mean = data.mean(dim=1, keepdim=True)
        return torch.cat([data, (data - mean) ** 2], dim=1)

    def train(self, n_iterations: int, record_every: int | None = None) -> None:
        """``n_iterations`` epochs of the post's loop: one D step, then one G step."""
        n, ones, zeros = self.MINIBATCH, torch.ones(1, 1), torch.zeros(1, 1)
        for _ in range(n_iterations):
            self.D.zero_grad()
            real = torch.from_numpy(self.np_rng.normal(self.MEAN, self.STD, (1, n))).float()
            d_real_error = self.criterion(self.D(self.decorate_with_diffs(real)), ones)
            d_real_error.backward()
            fake = self.G(torch.rand(n, 1, generator=self.torch_rng)).detach()
            d_fake_error = self.criterion(self.D(self.decorate_with_diffs(fake.t())), zeros)
            d_fake_error.backward()
            self.d_optimizer.step()

            self.G.zero_grad()
            fake = self.G(torch.rand(n, 1, generator=self.torch_rng))
            g_error = self.criterion(self.D(self.decorate_with_diffs(fake.t())), ones)
            g_error.backward()
            self.g_optimizer.step()
            self.step += 1
            errors = (d_real_error.item(), d_fake_error.item(), g_error.item())
            if not all(np.isfinite(errors)):
                self.diverged = f"non-finite loss at epoch {self.step}"
                return

    @torch.no_grad()
    def evaluate(self, n: int = JS_SAMPLES) -> dict[str, float]:
        """Mean, std and ganlib's JS estimate (nats) of ``n`` generator samples."""
        x = self.G(torch.rand(n, 1, generator=self.eval_rng)).reshape(-1).double().numpy()
        return {"mean": float(x.mean()), "std": float(x.std()), "js": js_from_samples(x, TARGET)}


TARGET = TARGETS["gaussian"]


def run(config: ToyGANConfig | int, cap_s: float, max_steps: int | None = None) -> Result:
    """Train until converged-and-held, or until ``cap_s`` seconds or ``max_steps`` steps.

    ``config`` is a :class:`ToyGANConfig` (ganlib's loop) or a seed (:class:`FiftyLineGAN`).
    """
    gan: ToyGAN | FiftyLineGAN = (
        ToyGAN(config) if isinstance(config, ToyGANConfig) else FiftyLineGAN(config)
    )
    seed = config.seed if isinstance(config, ToyGANConfig) else config
    train_s = cpu_s = eval_s = 0.0
    streak: tuple[float, float, int] | None = None  # (wall, cpu, step) at the streak's start
    done: tuple[float, float, int] | None = None
    while (
        train_s < cap_s
        and (max_steps is None or gan.step < max_steps)
        and done is None
        and gan.diverged is None
    ):
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
    diverged = gan.diverged  # a message (FiftyLineGAN) or a Divergence (ganlib)
    return Result(
        seed,
        *(done or (None, None, None)),  # converged wall s, cpu s and step, or never
        gan.step,
        train_s,
        eval_s,
        final,
        str(diverged) if diverged else None,
    )


def print_table(name: str, results: list[Result]) -> None:
    print(f"\n{name}")
    print(
        f"{'seed':>4} {'converged (s)':>13} {'cpu (s)':>8} {'at step':>8} {'steps':>6} "
        f"{'trained (s)':>11} "
        f"{'mean':>6} {'std':>6} {'JS (nats)':>9}"
    )
    for r in results:
        conv = f"{r.converged_s:.2f}" if r.converged_s is not None else "no"
        cpu = f"{r.converged_cpu_s:.2f}" if r.converged_cpu_s is not None else "-"
        step = str(r.converged_step) if r.converged_step is not None else "-"
        f = r.final
        print(
            f"{r.seed:>4} {conv:>13} {cpu:>8} {step:>8} {r.steps:>6} {r.train_s:>11.1f} "
            f"{f['mean']:>6.3f} {f['std']:>6.3f} {f['js']:>9.4f}"
            + (f"  {r.diverged}" if r.diverged else "")
        )


def median_time(results: list[Result]) -> float:
    """Median time to converge; a run that never converged counts as its whole training time
    (a lower bound on its time to converge)."""
    return statistics.median(
        r.converged_s if r.converged_s is not None else r.train_s for r in results
    )


def main() -> None:
    """Parse the flags, run both setups and print the tables and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 seeds each, reference cap 15 s")
    parser.add_argument("--seeds", type=int, default=None, help="seeds per setup (default 10)")
    parser.add_argument("--cap", type=float, default=None, help="reference cap in s (default 60)")
    parser.add_argument("--default-cap", type=float, default=15.0, help="cap for the default")
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (1)")
    parser.add_argument(
        "--reference-epochs",
        type=int,
        default=None,
        help="train the reference for this many epochs (the post: 30000) instead of --cap seconds",
    )
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
    if args.reference_epochs:
        cap, limit = float("inf"), f"{args.reference_epochs:,} epochs"
    else:
        limit = f"cap {cap:.0f} s"
    ref = [run(s, cap, args.reference_epochs) for s in range(seeds)]
    print_table(f"the 50-line GAN's loop, re-implemented (minibatch D; {limit})", ref)
    m_ours, m_ref = median_time(ours), median_time(ref)
    bound = ">= " if any(r.converged_s is None for r in ref) else ""
    print(
        f"\nmedian time to converge: default {m_ours:.2f} s, reference {bound}{m_ref:.1f} s; "
        f"ratio reference/default {bound}{m_ref / m_ours:.1f}"
        if m_ours > 0
        else "ratio n/a"
    )


if __name__ == "__main__":
    main()
