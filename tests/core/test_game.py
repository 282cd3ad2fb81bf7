"""ganlib.core.game: the steppable Algorithm 1 shared by the toy and plane lessons.

A minimal game (real data N(2, 1), noise N(0, 1), linear G, logistic D) is enough to check the
contract every lesson relies on; the lessons' own tests cover their data and measurements.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest
import torch
from torch import nn

from ganlib.core.game import MID_RUN, Divergence, Game, GameConfig, discriminator_output
from ganlib.core.losses import discriminator_loss


@dataclass(frozen=True)
class LineConfig(GameConfig):
    batch_size: int = 16


class LineGame(Game):
    config_class = LineConfig

    def _build_nets(self, config: LineConfig) -> tuple[nn.Module, nn.Module]:
        return nn.Linear(1, 1), nn.Linear(1, 1)

    def _on_reset(self) -> None:
        self.history: list[int] = []

    def real_batch(self, n: int, generator: torch.Generator) -> torch.Tensor:
        return 2.0 + torch.randn(n, 1, generator=generator)

    def noise(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        return torch.randn(n, 1, generator=self._gen if generator is None else generator)

    def record(self) -> None:
        self.history.append(self.step)


def _weights(m: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in m.parameters()]


def test_a_d_step_moves_only_d_and_a_g_step_only_g() -> None:
    game = LineGame()
    g0, d0 = _weights(game.G), _weights(game.D)
    game.step_d()
    assert all(torch.equal(a, b) for a, b in zip(g0, _weights(game.G), strict=True))
    assert not all(torch.equal(a, b) for a, b in zip(d0, _weights(game.D), strict=True))
    d1 = _weights(game.D)
    game.opt_d.zero_grad(set_to_none=True)
    game.step_g()
    assert all(torch.equal(a, b) for a, b in zip(d1, _weights(game.D), strict=True))
    assert all(p.grad is None for p in game.D.parameters())  # G's step computed no D gradient
    assert game.step == 1


def test_the_d_step_is_the_shared_loss_on_fresh_real_and_fake_batches() -> None:
    """Rebuild the first D step by hand from the same seed and compare the updated weights."""
    game = LineGame(LineConfig(seed=3))
    twin = LineGame(LineConfig(seed=3))
    x = twin.real_batch(16, twin._gen)
    with torch.no_grad():
        fake = twin.G(twin.noise(16))
    loss = discriminator_loss(twin.D(x), twin.D(fake), "non-saturating")
    expected = loss.item()
    twin.opt_d.zero_grad()
    loss.backward()
    twin.opt_d.step()
    assert game.step_d() == pytest.approx(expected, rel=1e-6)
    for a, b in zip(_weights(game.D), _weights(twin.D), strict=True):
        torch.testing.assert_close(a, b)


def test_train_runs_k_d_steps_per_g_step_and_records() -> None:
    game = LineGame(LineConfig(k=3))
    calls = {"d": 0}
    step_d = game.step_d

    def counting() -> float:
        calls["d"] += 1
        return step_d()

    game.step_d = counting  # type: ignore[method-assign]
    game.train(4, record_every=2)
    assert (game.step, calls["d"]) == (4, 12)
    assert game.history == [0, 2, 4]


def test_same_seed_same_run() -> None:
    a, b = LineGame(LineConfig(seed=5)), LineGame(LineConfig(seed=5))
    torch.manual_seed(123)  # the global RNG must not matter
    a.train(20, record_every=None)
    torch.manual_seed(999)
    b.train(20, record_every=None)
    for p, q in zip(_weights(a.G), _weights(b.G), strict=True):
        assert torch.equal(p, q)


def test_update_changes_only_mid_run_settings_and_keeps_adam_state() -> None:
    game = LineGame()
    game.train(3, record_every=None)
    state = game.opt_g.state_dict()["state"]
    game.update(lr_g=1e-2, k=2, betas=(0.0, 0.9))
    assert game.config.lr_g == 1e-2
    assert game.opt_g.param_groups[0]["betas"] == (0.0, 0.9)
    assert game.opt_g.state_dict()["state"].keys() == state.keys()
    assert game.step == 3
    assert "seed" not in MID_RUN
    with pytest.raises(ValueError, match="'seed' cannot change mid-run"):
        game.update(seed=1)
    with pytest.raises(ValueError, match=r"lr_d must be a finite number in \(0, 10\]"):
        game.update(lr_d=-1.0)
    assert game.config.lr_d == LineConfig().lr_d  # a refused update changes nothing


def test_inverse_time_decay() -> None:
    game = LineGame(LineConfig(lr_decay_steps=10, lr_g=1e-3))
    game.train(10, record_every=None)
    assert game.lr_factor() == pytest.approx(0.5)
    assert game.opt_g.param_groups[0]["lr"] == pytest.approx(5e-4)


@pytest.mark.parametrize(
    ("lr_d", "cause"),
    [(1.0, "learning rate too high for D (lr_d=1)"), (1e-3, "numerical overflow in the D step")],
)
def test_a_non_finite_loss_stops_the_game_and_names_the_cause(lr_d: float, cause: str) -> None:
    game = LineGame(LineConfig(lr_d=lr_d, lr_g=1e-3))
    game.train(3, record_every=None)
    with torch.no_grad():
        game.D.weight.fill_(math.nan)  # what an overflow leaves behind
    game.train(5, record_every=None)
    assert isinstance(game.diverged, Divergence)
    assert game.diverged.step == 3
    assert game.diverged.message.startswith("diverged at step 3: NaN/inf D loss, ")
    assert cause in game.diverged.message
    assert math.isnan(game.step_d())
    assert math.isnan(game.step_g())
    assert game.step == 3  # frozen until reset
    game.reset(lr_d=1e-3)
    assert game.diverged is None
    assert game.step == 0


def test_an_exploding_finite_loss_counts_as_divergence() -> None:
    game = LineGame()
    with torch.no_grad():
        game.D.weight.fill_(1e6)  # logits of order 1e6: a finite loss far beyond LOSS_LIMIT
    game.step_d()
    assert game.diverged is not None
    assert "exploding (|loss| > 10000) D loss" in game.diverged.cause


def test_the_probe_measures_without_stepping() -> None:
    """Before any step, D's outputs come from one evaluation batch (recomputed here from a copy
    of that stream), and nothing is trained."""
    game = LineGame()
    before = _weights(game.D)
    stream = torch.Generator().set_state(game._eval_gen.get_state())
    x = game.real_batch(16, stream)
    with torch.no_grad():
        real, fake = game.D(x), game.D(game.G(game.noise(16, stream)))
    d_real, d_fake = game.last_d_outputs()
    assert d_real == pytest.approx(float(torch.sigmoid(real).mean()), rel=1e-6)
    assert d_fake == pytest.approx(float(torch.sigmoid(fake).mean()), rel=1e-6)
    assert all(torch.equal(a, b) for a, b in zip(before, _weights(game.D), strict=True))
    assert game._last["g_loss"] == pytest.approx(float(torch.nn.functional.softplus(-fake).mean()))


# ---- the moving average of G ---------------------------------------------------------------------
def test_the_moving_average_follows_its_recursion() -> None:
    """theta_bar_t = beta theta_bar_{t-1} + (1 - beta) theta_t, from theta_bar_0 = theta_0."""
    beta = 0.8
    game = LineGame(LineConfig(ema_decay=beta))
    average = [p.detach().double().clone() for p in game.G.parameters()]
    for _ in range(6):
        game.step_d()
        game.step_g()
        average = [
            beta * a + (1 - beta) * p.detach().double()
            for a, p in zip(average, game.G.parameters(), strict=True)
        ]
    assert game.G_eval is game.G_ema
    for a, p in zip(average, game.G_ema.parameters(), strict=True):
        torch.testing.assert_close(p.double(), a, rtol=1e-6, atol=1e-7)
    assert all(not p.requires_grad for p in game.G_ema.parameters())


def test_without_averaging_g_itself_is_evaluated_and_update_switches_it() -> None:
    game = LineGame()
    assert game.G_ema is None
    assert game.G_eval is game.G
    game.train(3, record_every=None)
    game.update(ema_decay=0.5)  # on mid-run: the average starts at the current G
    assert all(
        torch.equal(a, b) for a, b in zip(game.G_ema.parameters(), game.G.parameters(), strict=True)
    )
    game.train(2, record_every=None)
    assert not torch.equal(game.G_ema.weight, game.G.weight)
    game.update(ema_decay=0.0)
    assert game.G_eval is game.G
    with pytest.raises(ValueError, match=r"ema_decay must be a finite number in \[0, 1\)"):
        game.update(ema_decay=1.0)


def test_the_streams_of_training_records_and_pictures_are_separate() -> None:
    """Drawing from _draw_gen leaves the training and the evaluation streams where they were."""
    a, b = LineGame(LineConfig(seed=4)), LineGame(LineConfig(seed=4))
    b.noise(1000, b._draw_gen)  # a picture
    assert torch.equal(a._eval_gen.get_state(), b._eval_gen.get_state())
    assert torch.equal(a._gen.get_state(), b._gen.get_state())
    assert not torch.equal(a.noise(5, a._draw_gen), a.noise(5, a._eval_gen))


def test_discriminator_output_is_the_sigmoid_except_for_least_squares() -> None:
    logits = torch.tensor([-2.0, 0.0, 3.0])
    torch.testing.assert_close(
        discriminator_output(logits, "minimax"), 1 / (1 + torch.exp(-logits))
    )
    torch.testing.assert_close(
        discriminator_output(logits, "non-saturating"), torch.sigmoid(logits)
    )
    assert torch.equal(discriminator_output(logits, "least-squares"), logits)


def test_equal_learning_rates_that_are_too_high_blame_both_players() -> None:
    game = LineGame(LineConfig(lr_d=1.0, lr_g=1.0))
    with torch.no_grad():
        game.D.weight.fill_(math.nan)
    game.step_d()
    assert "learning rates too high for both (lr_d=1, lr_g=1)" in game.diverged.cause
