"""Time to converge of ganlib's default toy GAN and of the 50-line GAN's loop, per problem.

Run from the repository root::

    python benchmarks/bench_toy.py             # the README's table: 20 seeds, both problems
    python benchmarks/bench_toy.py --quick     # 3 seeds, the 50-line GAN capped at 3,000 epochs
    python benchmarks/bench_toy.py --ablation  # the default with one addition removed at a time
    python benchmarks/bench_toy.py --reference-seeds 5  # the 50-line GAN on seeds 0-4 only

Two problems, each with its two setups (one table row per problem and setup):

* **the reference problem** (the 50-line GAN's): data N(4, 1.25²), **one** uniform noise input, so
  G must learn the inverse CDF 4 + 1.25·Φ⁻¹(z);
* **wider noise**: the same data from **four** uniform inputs, an easier problem (a weighted sum of
  four uniforms is already bell-shaped).

The setups are ganlib's default (``ToyGANConfig()``, ``net.noise_dim`` 1 or 4) and
:class:`FiftyLineGAN`, the 50-line GAN's loop written out independently of ganlib (its G takes
as many inputs as the problem has).

Converged means: at a check (every 100 generator steps) 10,000 fresh samples have
|mean − 4| ≤ 0.1, |std − 1.25| ≤ 0.1 and estimated JS ≤ 0.01 nats, and every check during the
next 2 s of training passes too. The time to converge is the training time at the first check of
such a streak. Training time is wall-clock time inside ``train`` only (the checks' evaluations are
timed apart); the process CPU time of training is reported too, since on a shared machine wall
time also counts other people's work.

All runs of a problem live in this one process and are **interleaved**: one block of 100 steps
of each run in turn, alternating the setups (default seed 0, 50-line seed 0, default seed 1, ...),
until every run has converged or reached its cap. Drift in the machine's speed therefore hits
both setups alike; medians are reported. ``torch.set_num_threads`` is fixed (default 1: these
nets are so small that a second thread only adds synchronisation).

:class:`FiftyLineGAN` follows the post: a minibatch D that sees 100 samples plus their squared
deviations from the batch mean as one vector of 200 (Linear 200→50 ELU→50 ELU→1 Sigmoid), G
n→50 ELU→50 Sigmoid→1 on uniform ``torch.rand`` noise, ``nn.BCELoss``, Adam 2e-4 with betas
(0.9, 0.999) for both, batch 100, one D step (real error and fake error back-propagated
separately) per G step, G trained with label 1, 30,000 epochs. Only the random numbers differ:
they come from seeded generators instead of the global ones, so that every seed reproduces.
ganlib's evaluation (``js_from_samples``) scores both.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ganlib.toy.distributions import TARGETS
from ganlib.toy.js_estimate import JS_SAMPLES, js_from_samples
from ganlib.toy.models import ToyNetConfig
from ganlib.toy.training import ToyGAN, ToyGANConfig

CHECK_EVERY = 100
HOLD_S = 2.0
PROBLEMS = {"reference problem (1 uniform input)": 1, "wider noise (4 uniform inputs)": 4}
DEFAULT, FIFTY = "ganlib default", "the 50-line GAN's loop"
TARGET = TARGETS["gaussian"]


def passes(ev: dict[str, float]) -> bool:
    """The convergence test of one check."""
    return abs(ev["mean"] - 4.0) <= 0.1 and abs(ev["std"] - 1.25) <= 0.1 and ev["js"] <= 0.01


class FiftyLineGAN:
    """The 50-line GAN's 1-D GAN ("GANs in 50 lines"), re-implemented without ganlib's training
    code, with ``noise_dim`` uniform inputs (the post: 1).

    Exposes what :func:`advance` needs: ``train(n)``, ``evaluate()``, ``step`` and ``diverged``.
    """

    MINIBATCH = 100
    MEAN, STD = 4.0, 1.25

    def __init__(self, seed: int, noise_dim: int = 1) -> None:
        self.seed, self.noise_dim = seed, noise_dim
        self.np_rng = np.random.default_rng(seed)  # real data: np.random.normal in the post
        self.torch_rng = torch.Generator().manual_seed(seed)  # noise: torch.rand in the post
        self.eval_rng = torch.Generator().manual_seed(seed + 1)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.G = nn.Sequential(
                nn.Linear(noise_dim, 50),
                nn.ELU(),
                nn.Linear(50, 50),
                nn.Sigmoid(),
                nn.Linear(50, 1),
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

    def _noise(self, n: int, generator: torch.Generator) -> torch.Tensor:
        return torch.rand(n, self.noise_dim, generator=generator)

    def train(self, n_iterations: int, record_every: int | None = None) -> None:
        """``n_iterations`` epochs of the post's loop: one D step, then one G step."""
        n, ones, zeros = self.MINIBATCH, torch.ones(1, 1), torch.zeros(1, 1)
        for _ in range(n_iterations):
            self.D.zero_grad()
            real = torch.from_numpy(self.np_rng.normal(self.MEAN, self.STD, (1, n))).float()
            d_real_error = self.criterion(self.D(self.decorate_with_diffs(real)), ones)
            d_real_error.backward()
            fake = self.G(self._noise(n, self.torch_rng)).detach()
            d_fake_error = self.criterion(self.D(self.decorate_with_diffs(fake.t())), zeros)
            d_fake_error.backward()
            self.d_optimizer.step()

            self.G.zero_grad()
            fake = self.G(self._noise(n, self.torch_rng))
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
        x = self.G(self._noise(n, self.eval_rng)).reshape(-1).double().numpy()
        return {"mean": float(x.mean()), "std": float(x.std()), "js": js_from_samples(x, TARGET)}


def default_config(seed: int, noise_dim: int) -> ToyGANConfig:
    """ganlib's default on a problem: ``ToyGANConfig()``, with the problem's noise dimension."""
    return ToyGANConfig(seed=seed, net=ToyNetConfig(noise_dim=noise_dim))


#: The default with one of its choices undone (``--ablation``, on the reference problem).
ABLATIONS: dict[str, dict[str, object]] = {
    "default": {},
    "non-saturating loss": {"loss": "non-saturating"},
    "no lr decay": {"lr_decay_steps": 0},
    "no moving average of G": {"ema_decay": 0.0},
    "batch 512": {"batch_size": 512},
    "raw units (not standardised)": {"net": ToyNetConfig(standardise=False)},
    "equal learning rates (3e-3)": {"lr_d": 3e-3},
}


def ablation_runs(seeds: Sequence[int], cap_s: float) -> list[Run]:
    """One run per (ablation, seed), interleaved seed by seed."""
    return [
        Run(name, seed, ToyGAN(ToyGANConfig(seed=seed, **change)), cap_s, None)  # type: ignore[arg-type]
        for seed in seeds
        for name, change in ABLATIONS.items()
    ]


def ablation_summary(runs: Sequence[Run], within: float) -> list[str]:
    """One markdown row per ablation: converged within ``within`` s, median time, median steps."""
    rows = []
    for name in ABLATIONS:
        mine = [r for r in runs if r.setup == name]
        n_ok = sum(r.done is not None and r.done[0] <= within for r in mine)
        steps = statistics.median(r.done[2] if r.done else r.gan.step for r in mine)
        bound = "≥ " if any(r.done is None for r in mine) else ""
        rows.append(
            f"| {name} | {n_ok} / {len(mine)} | {bound}{median_time(mine):.2f} | "
            f"{bound}{steps:.0f} |"
        )
    return rows


@dataclass
class Run:
    """One (problem, setup, seed) being trained, block by block."""

    setup: str
    seed: int
    gan: ToyGAN | FiftyLineGAN
    cap_s: float
    max_steps: int | None
    train_s: float = 0.0
    cpu_s: float = 0.0
    eval_s: float = 0.0
    streak: tuple[float, float, int] | None = None  # (wall, cpu, step) at the streak's start
    done: tuple[float, float, int] | None = None
    final: dict[str, float] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        capped = self.max_steps is not None and self.gan.step >= self.max_steps
        return (
            self.done is not None
            or self.gan.diverged is not None
            or self.train_s >= self.cap_s
            or capped
        )


def advance(run: Run) -> None:
    """Train one block of :data:`CHECK_EVERY` steps, then check (evaluation timed apart)."""
    t0, c0 = time.perf_counter(), time.process_time()
    run.gan.train(CHECK_EVERY, record_every=None)
    run.train_s += time.perf_counter() - t0
    run.cpu_s += time.process_time() - c0
    t0 = time.perf_counter()
    run.final = run.gan.evaluate()
    ok = run.gan.diverged is None and passes(run.final)
    run.eval_s += time.perf_counter() - t0
    if not ok:
        run.streak = None
    elif run.streak is None:
        run.streak = (run.train_s, run.cpu_s, run.gan.step)
    if run.streak is not None and run.train_s - run.streak[0] >= HOLD_S:
        run.done = run.streak


def interleave(runs: Sequence[Run]) -> None:
    """Round-robin: one block of each unfinished run in turn, until all are finished."""
    while True:
        active = [r for r in runs if not r.finished]
        if not active:
            return
        for run in active:
            advance(run)


def make_runs(noise_dim: int, seeds: Sequence[int], args: argparse.Namespace) -> list[Run]:
    """Both setups for every seed, alternating: default seed 0, 50-line seed 0, default 1, ..."""
    runs = []
    n_fifty = len(seeds) if args.reference_seeds is None else args.reference_seeds
    for i, seed in enumerate(seeds):
        runs.append(Run(DEFAULT, seed, ToyGAN(default_config(seed, noise_dim)), args.cap, None))
        if i < n_fifty:  # the 50-line GAN's seeds are the first n_fifty of the same seeds
            fifty = FiftyLineGAN(seed, noise_dim)
            runs.append(Run(FIFTY, seed, fifty, float("inf"), args.reference_epochs))
    return runs


def seconds(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "no"


def print_rows(runs: Sequence[Run]) -> None:
    print(
        f"{'setup':<28} {'seed':>4} {'converged (s)':>13} {'cpu (s)':>8} {'at step':>8} "
        f"{'steps':>6} {'trained (s)':>11} {'mean':>6} {'std':>6} {'JS (nats)':>9}"
    )
    for r in runs:
        step = str(r.done[2]) if r.done else "-"
        f = r.final
        print(
            f"{r.setup:<28} {r.seed:>4} {seconds(r.done[0] if r.done else None):>13} "
            f"{seconds(r.done[1] if r.done else None):>8} {step:>8} {r.gan.step:>6} "
            f"{r.train_s:>11.1f} {f['mean']:>6.3f} {f['std']:>6.3f} {f['js']:>9.4f}"
            + (f"  {r.gan.diverged}" if r.gan.diverged else "")
        )


def median_time(runs: Sequence[Run]) -> float:
    """Median time to converge; a run that never converged counts as its whole training time
    (a lower bound on its time to converge)."""
    return statistics.median(r.done[0] if r.done else r.train_s for r in runs)


def summary(problem: str, runs: Sequence[Run], within: float) -> list[str]:
    """Markdown rows for the README, one per setup, and the ratio line."""
    rows = []
    medians = {}
    for setup in (DEFAULT, FIFTY):
        mine = [r for r in runs if r.setup == setup]
        n_ok = sum(r.done is not None and r.done[0] <= within for r in mine)
        first = sum(r.done is not None and r.done[0] <= within for r in mine[:10])
        times = ", ".join(seconds(r.done[0] if r.done else None) for r in mine)
        js = [r.final["js"] for r in mine]
        medians[setup] = median_time(mine)
        bound = "≥ " if any(r.done is None for r in mine) else ""
        rows.append(
            f"| {problem} | {setup} | {n_ok} / {len(mine)} (seeds 0–9: {first} / "
            f"{min(10, len(mine))}) | {times} | {bound}{medians[setup]:.2f} | "
            f"{min(js):.4f}–{max(js):.4f} |"
        )
    ref = [r for r in runs if r.setup == FIFTY]
    bound = "≥ " if any(r.done is None for r in ref) else ""
    ratio = medians[FIFTY] / medians[DEFAULT] if medians[DEFAULT] > 0 else float("nan")
    rows.append(f"ratio on the {problem}: 50-line GAN / default {bound}{ratio:.1f}×")
    return rows


def main() -> None:
    """Parse the flags, run both problems (interleaved setups) and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 seeds, 50-line GAN 3,000 epochs")
    parser.add_argument("--seeds", type=int, default=None, help="seeds 0..N-1 (default 20)")
    parser.add_argument("--cap", type=float, default=20.0, help="training cap of the default (s)")
    parser.add_argument(
        "--reference-epochs", type=int, default=None, help="50-line GAN epochs (default 30,000)"
    )
    parser.add_argument(
        "--reference-seeds",
        type=int,
        default=None,
        help="train the 50-line GAN on the first N seeds only (default: all; each takes ~100 s)",
    )
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (1)")
    parser.add_argument("--problem", choices=("all", "reference", "wider"), default="all")
    parser.add_argument(
        "--ablation", action="store_true", help="the default minus one choice at a time (10 seeds)"
    )
    args = parser.parse_args()
    n_seeds = args.seeds or (3 if args.quick else 20)
    if args.reference_epochs is None:
        args.reference_epochs = 3_000 if args.quick else 30_000
    torch.set_num_threads(args.threads)
    sys.stdout.reconfigure(line_buffering=True)  # rows appear as problems finish
    print(
        f"torch {torch.__version__}, {args.threads} threads, {platform.processor() or '?'}, "
        f"{os.cpu_count()} CPUs visible, load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"converged = |mean-4|<=0.1, |std-1.25|<=0.1, JS<=0.01 nats on 10,000 samples at every "
        f"check (every {CHECK_EVERY} steps) for {HOLD_S:.0f} s of training; times are training "
        f"wall time, evaluation excluded; setups interleaved in blocks of {CHECK_EVERY} steps"
    )
    if args.ablation:
        run_ablation(args.seeds or 10, args.cap)
        return
    markdown = []
    for problem, noise_dim in PROBLEMS.items():
        if args.problem != "all" and (args.problem == "wider") != (noise_dim > 1):
            continue
        runs = make_runs(noise_dim, range(n_seeds), args)
        started = time.perf_counter()
        interleave(runs)
        print(f"\n{problem}  ({time.perf_counter() - started:.0f} s, load average "
              f"{os.getloadavg()[0]:.1f})")  # fmt: skip
        print_rows(sorted(runs, key=lambda r: (r.setup != DEFAULT, r.seed)))
        markdown += summary(problem, runs, within=10.0 if noise_dim == 1 else 3.0)
    print("\n| problem | setup | converged within 10 s (reference) / 3 s (wider) | time to "
          "converge (s) per seed | median (s) | final JS (nats) |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for line in markdown:
        print(line)


def run_ablation(n_seeds: int, cap_s: float) -> None:
    """The reference problem, the default against each of :data:`ABLATIONS`, interleaved."""
    runs = ablation_runs(range(n_seeds), cap_s)
    interleave(runs)
    print_rows(sorted(runs, key=lambda r: (list(ABLATIONS).index(r.setup), r.seed)))
    print(
        "\n| setup (reference problem) | converged within 10 s | median time (s) | median steps |"
    )
    print("|---|---|---|---|")
    for line in ablation_summary(runs, within=10.0):
        print(line)


if __name__ == "__main__":
    main()
