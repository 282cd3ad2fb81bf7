"""Tests for ganlib.mnist.steps: one D call on both batches, DiffAugment in both updates, Adam."""

from __future__ import annotations

import copy
import dataclasses

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from ganlib.mnist import steps
from ganlib.mnist.config import MNISTGANConfig
from ganlib.mnist.models import Discriminator, build_gan
from ganlib.mnist.steps import GANStep, make_adam
from ganlib.mnist.training import train_gan

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def images() -> torch.Tensor:
    return torch.rand(64, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1


@pytest.mark.parametrize("loop", ["joint", "tutorial"])
def test_one_d_call_is_the_same_maths_as_two(images: torch.Tensor, loop: str) -> None:
    """Scoring torch.cat([x, fake]) in one call gives the two calls' losses and weights, up to
    rounding, and the same multiply-adds (one product of 2m rows instead of two of m)."""
    config = MNISTGANConfig(
        arch="tutorial_mlp", loop=loop, steps=6, batch_size=16, log_every=1, checkpoint_every=0,
        grid_size=2,
    )  # fmt: skip
    runs, flops = {}, {}
    for joined in (False, True):
        with FlopCounterMode(display=False) as counter:
            runs[joined] = train_gan(
                dataclasses.replace(config, one_d_call=joined), images, device=CPU, progress=False
            )
        flops[joined] = counter.get_total_flops()
    assert flops[True] == flops[False]
    for key in ("d_loss", "g_loss", "d_real", "d_fake"):
        torch.testing.assert_close(
            torch.tensor(runs[True].history[key]), torch.tensor(runs[False].history[key]),
            rtol=1e-4, atol=1e-5,
        )  # fmt: skip
    for net in ("generator", "discriminator"):
        a, b = getattr(runs[True], net).state_dict(), getattr(runs[False], net).state_dict()
        for key in a:
            torch.testing.assert_close(a[key], b[key], rtol=1e-4, atol=1e-5)
    differs = any(
        not torch.equal(a, b)
        for a, b in zip(runs[True].discriminator.state_dict().values(),
                        runs[False].discriminator.state_dict().values(), strict=True)
    )  # fmt: skip
    assert differs, "the joined call should round differently (else the test compares nothing)"


def test_diffaugment_reaches_every_image_d_sees(images: torch.Tensor, monkeypatch) -> None:
    """With augment_p > 0 the real batch, the fakes of the D step and the G step's fakes all go
    through DiffAugment (three calls per iteration of the joint loop), from the run's stream."""
    seen = []
    original = steps.diff_augment

    def spy(x, config, generator):
        seen.append((x.requires_grad, generator))
        return original(x, config, generator)

    monkeypatch.setattr(steps, "diff_augment", spy)
    config = MNISTGANConfig(arch="dcgan", steps=2, batch_size=8, log_every=2,
                            checkpoint_every=0, grid_size=2, augment_p=1.0)  # fmt: skip
    run = train_gan(config, images, device=CPU, progress=False)
    assert run.status == "completed"
    assert len(seen) == 3 * 2
    assert [g for _, g in seen[:3]] == [seen[0][1]] * 3  # one stream, never the global RNG
    assert [grad for grad, _ in seen[:3]] == [False, False, True]  # G(z') carries its gradient


def test_augmentation_changes_the_run_and_p_zero_is_no_augmentation(images: torch.Tensor) -> None:
    config = MNISTGANConfig(arch="dcgan", steps=3, batch_size=8, log_every=3,
                            checkpoint_every=0, grid_size=2)  # fmt: skip
    plain = train_gan(config, images, device=CPU, progress=False)
    zero = train_gan(dataclasses.replace(config, augment_p=0.0), images, device=CPU,
                     progress=False)  # fmt: skip
    half = train_gan(dataclasses.replace(config, augment_p=0.5), images, device=CPU,
                     progress=False)  # fmt: skip
    assert plain.history["d_loss"] == zero.history["d_loss"]
    assert plain.history["d_loss"] != half.history["d_loss"]


def test_adam_is_fused_on_the_cpu() -> None:
    G, _ = build_gan("tutorial_mlp")
    opt = make_adam(G.parameters(), 1e-4, (0.9, 0.999), CPU)
    assert opt.defaults["fused"] is True
    assert opt.defaults["lr"] == 1e-4
    assert opt.defaults["betas"] == (0.9, 0.999)


def test_the_tutorial_g_step_needs_its_fakes() -> None:
    config = MNISTGANConfig(arch="tutorial_mlp", loop="tutorial")
    G, D = build_gan("tutorial_mlp")
    with pytest.raises(ValueError, match="tutorial"):
        GANStep(config, G, D, CPU).g_step(None)


def _linear_d_step(linear: torch.nn.Linear, loop: str, r1_gamma: float, one_d_call: bool):
    """A GANStep whose D has a logit linear in x (a copy of ``linear``), with plain SGD (lr 1)
    in place of Adam, so that the weight change is the gradient itself."""
    config = MNISTGANConfig(
        arch="tutorial_mlp", loop=loop, batch_size=16, r1_gamma=r1_gamma, r1_every=2,
        one_d_call=one_d_call,
    )  # fmt: skip
    G, _ = build_gan("tutorial_mlp", generator=torch.Generator().manual_seed(0))
    D = Discriminator(torch.nn.Sequential(torch.nn.Flatten(), copy.deepcopy(linear)))
    step = GANStep(config, G, D, CPU)
    step.opt_d = torch.optim.SGD(D.parameters(), lr=1.0)
    return step, D.body[1]


@pytest.mark.parametrize(("loop", "one_d_call"), [("joint", False), ("joint", True),
                                                  ("tutorial", False)])  # fmt: skip
def test_r1_adds_gamma_n_times_w_to_a_linear_d(images: torch.Tensor, loop, one_d_call) -> None:
    """For a linear logit l(x) = w.x + b, grad_x l = w for every image, so R1 = |w|^2 and the
    lazy penalty (gamma n / 2) |w|^2 adds gamma n w to the weight gradient and nothing to b.
    With SGD at lr 1 the weights after one D step then differ by exactly gamma n w."""
    x, z = images[:16], torch.randn(16, 128, generator=torch.Generator().manual_seed(1))
    linear = torch.nn.Linear(784, 1)
    torch.nn.init.normal_(linear.weight, 0.0, 0.05, generator=torch.Generator().manual_seed(2))
    gamma, every = 0.3, 2
    plain, lin_plain = _linear_d_step(linear, loop, 0.0, one_d_call)
    with_r1, lin_r1 = _linear_d_step(linear, loop, gamma, one_d_call)
    with_r1.d_steps = every - 1  # the next D step is the penalised one
    reported = with_r1.d_step(x, z)[0]
    assert with_r1.d_steps == every
    assert reported == plain.d_step(x, z)[0], "the reported L_D leaves the penalty out"
    torch.testing.assert_close(lin_plain.weight - lin_r1.weight, gamma * every * linear.weight,
                               rtol=1e-4, atol=1e-7)  # fmt: skip
    torch.testing.assert_close(lin_plain.bias, lin_r1.bias)
    unpenalised, lin_next = _linear_d_step(linear, loop, gamma, one_d_call)
    unpenalised.d_step(x, z)  # D step 1 of every 2: no penalty, the plain step's weights
    assert torch.equal(lin_next.weight, lin_plain.weight)


@pytest.mark.parametrize("loop", ["joint", "keras_gan"])
def test_lazy_r1_penalises_every_nth_d_step_only(images, loop, monkeypatch) -> None:
    """r1_every = 3 with k = 2: of three iterations' six D steps, the 3rd and 6th carry it."""
    calls = []
    real = steps.r1_penalty

    def counting(logits, inputs):
        calls.append(inputs.shape[0])
        return real(logits, inputs)

    monkeypatch.setattr(steps, "r1_penalty", counting)
    config = MNISTGANConfig(
        arch="tutorial_mlp", loop=loop, steps=3, k=2, batch_size=16, r1_gamma=1.0, r1_every=3,
        log_every=1, checkpoint_every=0, grid_size=2,
    )  # fmt: skip
    train_gan(config, images, device=CPU, progress=False)
    assert calls == [16, 16], "twice, on the real batch of 16 only"
    calls.clear()
    train_gan(dataclasses.replace(config, r1_gamma=0.0), images, device=CPU, progress=False)
    assert calls == [], "gamma 0 turns R1 off"
