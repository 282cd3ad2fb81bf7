"""The pieces of benchmarks/bench_plane.py: the criterion, the hold rule, interleaving, setups.

Speed itself is not tested (it belongs to the benchmark); these check that what the benchmark
runs and reports is what it says.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ganlib.plane.metrics import mode_metrics
from ganlib.plane.models import PlaneNetConfig
from ganlib.plane.targets import TARGETS
from ganlib.plane.training import DEFAULT_EMA, DEFAULT_REMEDY, REMEDIES, PlaneGANConfig


@pytest.fixture(scope="module")
def bench(load_benchmark):
    return load_benchmark("bench_plane")


@pytest.mark.parametrize(
    ("modes", "hq", "ok"),
    [(8, 0.95, True), (8, 0.90, True), (8, 0.899, False), (7, 0.99, False), (0, 0.0, False)],
)
def test_the_criterion_of_one_check(bench, modes: float, hq: float, ok: bool) -> None:
    assert bench.passes({"modes": float(modes), "hq": hq}) is ok


def test_samples_of_the_ring_pass_and_a_collapsed_generator_fails(bench) -> None:
    ring = TARGETS["ring"]
    rng = np.random.default_rng(0)
    good = ring.means[rng.integers(8, size=10_000)] + rng.normal(scale=ring.std, size=(10_000, 2))
    assert bench.passes(mode_metrics(good, ring))
    one = ring.means[:1] + rng.normal(scale=ring.std, size=(10_000, 2))
    assert not bench.passes(mode_metrics(one, ring))


def test_the_hold_rule_needs_two_seconds_of_passes_in_a_row(bench) -> None:
    streak = bench.Streak(hold_s=2.0)
    for t, ok in [(0.5, True), (1.0, True), (1.5, False), (2.0, True), (3.0, True)]:
        streak.check(ok, t, t / 2, int(t * 100))
    assert streak.reached is None  # the break at 1.5 s restarted the streak at 2.0 s
    streak.check(True, 4.0, 2.0, 400)
    assert streak.reached == (2.0, 1.0, 200)  # reported at the streak's start, not its end
    streak.check(False, 5.0, 2.5, 500)
    assert streak.reached == (2.0, 1.0, 200)  # once reached, it stays


def test_setups_take_turns_block_by_block(bench) -> None:
    order: list[str] = []

    @dataclasses.dataclass
    class Fake:
        name: str
        blocks: int

        def block(self) -> None:
            order.append(self.name)
            self.blocks -= 1

        @property
        def done(self) -> bool:
            return self.blocks == 0

    finished = [r.name for r in bench.interleave([Fake("a", 3), Fake("b", 1), Fake("c", 2)])]
    assert order == ["a", "b", "c", "a", "c", "a"]
    assert finished == ["b", "c", "a"]


def test_each_remedy_is_plain_training_with_one_change(bench) -> None:
    plain = bench.config_for("plain", 4)
    assert plain == PlaneGANConfig.plain(seed=4)
    assert plain.lr_d == plain.lr_g
    for remedy in REMEDIES:
        config = bench.config_for(remedy, 4)
        changed = {
            f.name
            for f in dataclasses.fields(config)
            if getattr(config, f.name) != getattr(plain, f.name)
        }
        assert len(changed) == 1, (remedy, changed)
        assert config.seed == 4
    assert plain.ema_decay == 0, "plain training evaluates G itself"
    default = bench.config_for("default", 3)
    assert default == PlaneGANConfig(seed=3)
    averaged = bench.config_for("averaged", 3)
    # "averaged": the default remedy, and the moving average of G is what is evaluated
    assert averaged == dataclasses.replace(
        bench.config_for(DEFAULT_REMEDY, 3), ema_decay=DEFAULT_EMA
    )
    assert DEFAULT_EMA > 0
    # the defaults: that, with a G that starts spread out and twice the learning rates
    assert default == dataclasses.replace(
        averaged,
        noise="uniform",
        lr_d=2 * averaged.lr_d,
        lr_g=2 * averaged.lr_g,
        net=PlaneNetConfig(g_init="he"),
    )
    assert default.lr_d == 3 * default.lr_g, "still two time scales"
    # the tables' headers name what differs: the noise and G's initialisation too
    assert default.describe().endswith("uniform noise, G init he")
    assert averaged.describe().endswith("normal noise, G init pytorch")
    assert bench.check_setups(list(bench.SETUPS)) == ["plain", *REMEDIES, "averaged", "default"]
    with pytest.raises(SystemExit, match="unknown setup"):
        bench.check_setups(["plain", "unrolled"])


def test_a_run_checks_the_generator_that_is_evaluated(bench, monkeypatch) -> None:
    """Each check samples through ``PlaneGAN.sample``: the moving average, in the defaults."""
    run = bench.Run("default", bench.config_for("default", 0), cap_s=10.0)
    ring = run.gan.target
    perfect = np.repeat(ring.means, bench.EVAL_SAMPLES // 8, axis=0)
    asked: list[int] = []
    monkeypatch.setattr(run.gan, "sample", lambda n: asked.append(n) or perfect)
    for _ in range(2):
        run.block()
    assert asked == [bench.EVAL_SAMPLES] * 2
    assert run.streak.start is not None, "the checks passed on what sample() returned"
    assert run.gan.step == 2 * bench.CHECK_EVERY


def test_medians_count_unfinished_runs_as_a_lower_bound(bench) -> None:
    @dataclasses.dataclass
    class Done:
        reached: tuple[float, float, int] | None
        train_s: float
        config: PlaneGANConfig = dataclasses.field(default_factory=PlaneGANConfig)

    runs = [Done((3.0, 2.5, 900), 5.0), Done(None, 30.0), Done((8.0, 7.0, 2000), 10.0)]
    assert bench.median_time(runs) == 8.0
    row = bench.summary_row("x", runs)
    assert row == "| x | 2 / 3 | 3.0, –, 8.0 | ≥ 8.0 | 4.8 | 900, –, 2000 |"
    assert bench.summary_row("r1", runs).startswith("| R1, γ = 0.1 (Mescheder et al. 2018) |")
