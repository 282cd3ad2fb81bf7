"""ganlib.core.losses against hand-written formulas, autograd and the equilibrium values."""

from __future__ import annotations

import math

import pytest
import torch

from ganlib.core.losses import (
    EQUILIBRIUM,
    LOSSES,
    discriminator_loss,
    discriminator_loss_term,
    generator_loss,
    r1_penalty,
)

LOGITS = torch.linspace(-8.0, 8.0, 33, dtype=torch.float64).reshape(-1, 1)


def test_the_games_on_offer() -> None:
    assert LOSSES == ("non-saturating", "minimax", "least-squares")
    assert set(EQUILIBRIUM) == set(LOSSES)


def test_generator_losses_are_the_formulas_of_the_paper_and_of_lsgan() -> None:
    d = torch.sigmoid(LOGITS)
    torch.testing.assert_close(generator_loss(LOGITS, "non-saturating"), -torch.log(d).mean())
    torch.testing.assert_close(generator_loss(LOGITS, "minimax"), torch.log1p(-d).mean())
    torch.testing.assert_close(
        generator_loss(LOGITS, "least-squares"), 0.5 * ((LOGITS - 1) ** 2).mean()
    )


def test_discriminator_loss_is_minus_the_empirical_value_function() -> None:
    real = torch.tensor([[2.0], [-1.0]], dtype=torch.float64)
    fake = torch.tensor([[0.5], [-3.0], [1.0]], dtype=torch.float64)
    v_hat = torch.log(torch.sigmoid(real)).mean() + torch.log1p(-torch.sigmoid(fake)).mean()
    for kind in ("non-saturating", "minimax"):
        torch.testing.assert_close(discriminator_loss(real, fake, kind), -v_hat)
    ls = 0.5 * ((real - 1) ** 2).mean() + 0.5 * (fake**2).mean()
    torch.testing.assert_close(discriminator_loss(real, fake, "least-squares"), ls)


def test_minimax_generator_descends_what_the_discriminator_ascends() -> None:
    """The zero-sum game: G's minimax loss is minus D's fake term, for every logit."""
    zero_real = torch.full((1, 1), 50.0, dtype=torch.float64)  # D(x) = 1: real term vanishes
    torch.testing.assert_close(
        generator_loss(LOGITS, "minimax"), -discriminator_loss(zero_real, LOGITS, "minimax")
    )


@pytest.mark.parametrize("kind", ["non-saturating", "minimax", "least-squares"])
def test_equilibrium_values(kind: str) -> None:
    best = torch.zeros(4, 1) if kind != "least-squares" else torch.full((4, 1), 0.5)
    d_loss, g_loss = EQUILIBRIUM[kind]
    assert float(discriminator_loss(best, best, kind)) == pytest.approx(d_loss)
    assert float(generator_loss(best, kind)) == pytest.approx(g_loss)


def test_the_least_squares_optimum_is_the_mixture_weight() -> None:
    """For fixed G, the LSGAN D minimising its loss pointwise is p_data / (p_data + p_g)."""
    a, b = 0.3, 0.9  # p_data and p_g at one x
    out = torch.linspace(-1.0, 2.0, 30_001, dtype=torch.float64)
    pointwise = 0.5 * a * (out - 1) ** 2 + 0.5 * b * out**2
    assert float(out[pointwise.argmin()]) == pytest.approx(a / (a + b), abs=1e-4)


@pytest.mark.parametrize("kind", ["non-saturating", "minimax", "least-squares"])
def test_generator_gradients_match_a_hand_derivation(kind: str) -> None:
    """d L_G / d l per sample: sigma(l) - 1, -sigma(l) and l - 1, divided by the batch size."""
    logits = LOGITS.clone().requires_grad_(True)
    generator_loss(logits, kind).backward()
    s = torch.sigmoid(LOGITS)
    by_hand = {"non-saturating": s - 1, "minimax": -s, "least-squares": LOGITS - 1}[kind]
    torch.testing.assert_close(logits.grad, by_hand / len(LOGITS))


def test_the_minimax_gradient_saturates_and_the_other_does_not() -> None:
    rejected = torch.tensor([[-30.0]], dtype=torch.float64, requires_grad=True)
    generator_loss(rejected, "minimax").backward()
    assert abs(float(rejected.grad)) < 1e-12
    rejected.grad = None
    generator_loss(rejected, "non-saturating").backward()
    assert float(rejected.grad) == pytest.approx(-1.0)


def test_log_losses_never_take_log_of_zero() -> None:
    extreme = torch.tensor([[-200.0], [200.0]])
    for kind in LOSSES:
        assert math.isfinite(float(discriminator_loss(extreme, extreme, kind)))
        assert math.isfinite(float(generator_loss(extreme, kind)))


def test_unknown_loss_names_the_setting() -> None:
    with pytest.raises(ValueError, match="loss='wasserstein' is not known"):
        generator_loss(LOGITS, "wasserstein")
    with pytest.raises(ValueError, match="loss="):
        discriminator_loss(LOGITS, LOGITS, "hinge!")


def test_r1_is_the_mean_squared_input_gradient() -> None:
    x = torch.tensor([[1.0, 2.0], [0.5, -1.0], [3.0, 0.0]], dtype=torch.float64)
    x.requires_grad_(True)
    w = torch.tensor([0.7, -0.2], dtype=torch.float64)
    logits = (x**2 * w).sum(dim=1)  # d logit / dx = 2 w x
    by_hand = ((2 * w * x.detach()) ** 2).sum(dim=1).mean()
    torch.testing.assert_close(r1_penalty(logits, x), by_hand)
    with pytest.raises(ValueError, match="requires_grad"):
        r1_penalty(logits.detach(), x.detach())


@pytest.mark.parametrize("kind", LOSSES)
def test_the_two_terms_of_d_s_loss_are_its_real_and_fake_parts(kind: str) -> None:
    """Keras-GAN's loop steps D on each term: they are the formulas and add up to L_D."""
    real, fake = LOGITS, LOGITS.flip(0) * 0.5
    d_real, d_fake = torch.sigmoid(real), torch.sigmoid(fake)
    by_hand = {
        "non-saturating": (-torch.log(d_real).mean(), -torch.log1p(-d_fake).mean()),
        "minimax": (-torch.log(d_real).mean(), -torch.log1p(-d_fake).mean()),
        "least-squares": (0.5 * ((real - 1) ** 2).mean(), 0.5 * (fake**2).mean()),
    }[kind]
    got = (discriminator_loss_term(real, True, kind), discriminator_loss_term(fake, False, kind))
    torch.testing.assert_close(got[0], by_hand[0])
    torch.testing.assert_close(got[1], by_hand[1])
    torch.testing.assert_close(got[0] + got[1], discriminator_loss(real, fake, kind))
