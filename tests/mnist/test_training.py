"""ganlib.mnist.training: Algorithm 1, exact resume, Ctrl-C, NaN and config checks (tiny data)."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest
import torch

from ganlib.core.checkpoint import load_checkpoint
from ganlib.mnist.training import (
    HISTORY_KEYS,
    MNISTGANConfig,
    TrainResult,
    _Trainer,
    tile,
    to_uint8,
    train_gan,
)

CPU = torch.device("cpu")


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def images() -> torch.Tensor:
    """40 random 'images' in [-1, 1]: the mechanics do not need real digits."""
    gen = torch.Generator().manual_seed(0)
    return torch.rand(40, 1, 28, 28, generator=gen) * 2 - 1


def tiny(**changes) -> MNISTGANConfig:
    base = MNISTGANConfig(
        arch="keras_gan", steps=6, batch_size=8, log_every=2, checkpoint_every=3, grid_size=4
    )
    return dataclasses.replace(base, **changes)


def _assert_same_weights(a: TrainResult, b: TrainResult) -> None:
    for net_a, net_b in ((a.generator, b.generator), (a.discriminator, b.discriminator)):
        sa, sb = net_a.state_dict(), net_b.state_dict()
        assert sa.keys() == sb.keys()
        for key in sa:
            assert torch.equal(sa[key], sb[key]), key


@pytest.mark.parametrize("arch", ["keras_gan", "keras_gan_dropout", "tutorial_mlp"])
def test_resume_continues_exactly(images: torch.Tensor, tmp_path: Path, arch: str) -> None:
    # The global RNG is put in a different state before each run: nothing may depend on it
    # ("keras_gan_dropout" has dropout in D, whose masks must come from the run's own checkpointed
    # stream).
    torch.manual_seed(1)
    straight = train_gan(tiny(steps=12, arch=arch), images, device=CPU, progress=False)
    path = tmp_path / "ck.pt"
    torch.manual_seed(2)
    first = train_gan(
        tiny(steps=6, arch=arch), images, device=CPU, checkpoint_path=path, progress=False
    )
    assert first.status == "completed"
    assert load_checkpoint(path)["step"] == 6
    torch.manual_seed(3)
    resumed = train_gan(
        tiny(steps=12, arch=arch),
        images,
        device=CPU,
        checkpoint_path=path,
        resume=True,
        progress=False,
    )
    assert resumed.step == straight.step == 12
    assert resumed.epoch == straight.epoch
    _assert_same_weights(straight, resumed)
    timing_free = [k for k in HISTORY_KEYS if k != "seconds"]
    assert {k: resumed.history[k] for k in timing_free} == {
        k: straight.history[k] for k in timing_free
    }
    assert len(resumed.samples) == len(straight.samples)
    for a, b in zip(resumed.samples, straight.samples, strict=True):
        assert torch.equal(a, b)


def test_keyboard_interrupt_saves_a_resumable_checkpoint(
    images: torch.Tensor, tmp_path: Path
) -> None:
    def stop_at_4(result: TrainResult) -> None:
        if result.step == 4:
            raise KeyboardInterrupt

    path = tmp_path / "ck.pt"
    hit = train_gan(
        tiny(steps=8), images, device=CPU, checkpoint_path=path, callback=stop_at_4, progress=False
    )
    assert hit.status == "interrupted"
    assert hit.step == 4
    assert hit.history["step"][-1] == 4  # the history up to the interrupt is returned
    assert load_checkpoint(path)["step"] == 4
    resumed = train_gan(
        tiny(steps=8), images, device=CPU, checkpoint_path=path, resume=True, progress=False
    )
    _assert_same_weights(resumed, train_gan(tiny(steps=8), images, device=CPU, progress=False))


def test_nan_loss_stops_the_run_and_keeps_the_last_good_checkpoint(
    images: torch.Tensor, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def poison(result: TrainResult) -> None:
        if result.step == 3:
            with torch.no_grad():
                result.discriminator.body[1].weight[0, 0] = float("nan")

    path = tmp_path / "ck.pt"
    result = train_gan(
        tiny(steps=10, log_every=1), images, device=CPU, checkpoint_path=path, callback=poison,
        progress=False,
    )  # fmt: skip
    assert result.status == "diverged"
    assert result.step == 4
    assert "NaN" in result.message
    assert "lr_d" in result.message
    assert "diverged" in capsys.readouterr().out
    saved = load_checkpoint(path)
    assert saved["step"] == 3
    assert all(torch.isfinite(v).all() for v in saved["discriminator"].values())


def test_a_huge_learning_rate_is_caught(images: torch.Tensor) -> None:
    config = tiny(steps=20, lr_d=10.0, lr_g=10.0, log_every=1, beta1=0.0, beta2=0.0)
    result = train_gan(config, images, device=CPU, progress=False)
    assert result.status == "diverged"
    assert result.step < 20
    assert all(math.isfinite(v) for k in ("d_loss", "g_loss") for v in result.history[k])


def test_same_seed_same_run_other_seed_other_run(images: torch.Tensor) -> None:
    a = train_gan(tiny(steps=3), images, device=CPU, progress=False)
    b = train_gan(tiny(steps=3), images, device=CPU, progress=False)
    c = train_gan(tiny(steps=3, seed=1), images, device=CPU, progress=False)
    _assert_same_weights(a, b)
    assert not torch.equal(a.generator.body[0].weight, c.generator.body[0].weight)


def test_history_records_and_sample_grids(images: torch.Tensor) -> None:
    # 40 images, batch 8: 5 iterations per epoch; 12 iterations end inside epoch 3 (0-based 2)
    result = train_gan(
        tiny(steps=12, log_every=4, checkpoint_every=0), images, device=CPU, progress=False
    )
    h = result.history
    assert set(h) == set(HISTORY_KEYS)
    assert h["step"] == [4, 8, 12]
    assert h["epoch"] == [0, 1, 2]
    assert all(0 < v < 1 for v in h["d_real"] + h["d_fake"])
    assert result.sample_epochs == [0, 1, 2]
    assert all(s.shape == (4, 28, 28) and s.dtype == torch.uint8 for s in result.samples)
    assert not torch.equal(result.samples[0], result.samples[-1])


def test_one_iteration_is_algorithm_1_with_the_right_losses(images: torch.Tensor) -> None:
    """k D steps move only D, the G step moves only G, and the losses match a recomputation."""
    for loss in ("non-saturating", "minimax"):
        trainer = _Trainer(tiny(k=2, loss=loss, arch="tutorial_mlp"), images, CPU)
        g0 = [p.clone() for p in trainer.G.parameters()]
        d0 = [p.clone() for p in trainer.D.parameters()]
        trainer.d_step()
        assert all(torch.equal(a, b) for a, b in zip(g0, trainer.G.parameters(), strict=True))
        assert not all(torch.equal(a, b) for a, b in zip(d0, trainer.D.parameters(), strict=True))
        d1 = [p.clone() for p in trainer.D.parameters()]
        # recompute the G loss independently from the same noise stream
        twin = torch.Generator().set_state(trainer.noise_rng.get_state())
        z = torch.randn(8, trainer.G.latent_dim, generator=twin)
        with torch.no_grad():
            d_fake = torch.sigmoid(trainer.D(trainer.G(z)))
        expected = (
            -torch.log(d_fake).mean() if loss == "non-saturating" else torch.log1p(-d_fake).mean()
        )
        assert trainer.g_step().item() == pytest.approx(expected.item(), rel=1e-5)
        assert all(torch.equal(a, b) for a, b in zip(d1, trainer.D.parameters(), strict=True))


def test_d_loss_is_the_sum_of_both_bce_terms(images: torch.Tensor) -> None:
    trainer = _Trainer(tiny(arch="tutorial_mlp"), images, CPU)
    twin_noise = torch.Generator().set_state(trainer.noise_rng.get_state())
    x = images[trainer.perm[:8]]
    z = torch.randn(8, trainer.G.latent_dim, generator=twin_noise)
    with torch.no_grad():
        real, fake = torch.sigmoid(trainer.D(x)), torch.sigmoid(trainer.D(trainer.G(z)))
    expected = -(torch.log(real).mean() + torch.log1p(-fake).mean())
    loss, real_logits, _ = trainer.d_step()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    assert torch.allclose(torch.sigmoid(real_logits), real)


def test_resume_refuses_changed_settings(images: torch.Tensor, tmp_path: Path) -> None:
    path = tmp_path / "ck.pt"
    train_gan(tiny(steps=2), images, device=CPU, checkpoint_path=path, progress=False)
    with pytest.raises(ValueError, match="lr_d"):
        train_gan(
            tiny(steps=4, lr_d=1e-3), images, device=CPU, checkpoint_path=path, resume=True,
            progress=False,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "name"),
    [
        ({"arch": "vgg"}, "arch"),
        ({"loss": "wasserstein"}, "loss"),
        ({"steps": 0}, "steps"),
        ({"batch_size": 1}, "batch_size"),
        ({"k": 0}, "k"),
        ({"lr_d": 0.0}, "lr_d"),
        ({"lr_g": float("nan")}, "lr_g"),
        ({"beta1": 1.0}, "beta1"),
        ({"beta2": -0.1}, "beta2"),
        ({"seed": -1}, "seed"),
        ({"latent_dim": 0}, "latent_dim"),
        ({"log_every": 0}, "log_every"),
        ({"checkpoint_every": -1}, "checkpoint_every"),
        ({"grid_every": 0}, "grid_every"),
        ({"grid_size": 0}, "grid_size"),
        ({"steps": 2.5}, "steps"),
    ],
)
def test_config_validation_names_the_setting(changes: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        dataclasses.replace(MNISTGANConfig(), **changes).validate()


def test_config_dict_round_trip() -> None:
    config = tiny(seed=5)
    assert MNISTGANConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="unknown"):
        MNISTGANConfig.from_dict({**config.to_dict(), "lr": 1.0})


def test_bad_images_raise(images: torch.Tensor) -> None:
    with pytest.raises(ValueError, match="shape"):
        train_gan(tiny(), images[:, 0], device=CPU, progress=False)
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        train_gan(tiny(), images * 3, device=CPU, progress=False)
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        train_gan(tiny(), torch.full_like(images, float("nan")), device=CPU, progress=False)
    with pytest.raises(ValueError, match="batch_size"):
        train_gan(tiny(batch_size=64), images, device=CPU, progress=False)
    with pytest.raises(ValueError, match="float"):
        train_gan(tiny(), (images > 0).to(torch.uint8), device=CPU, progress=False)


def test_to_uint8_and_tile() -> None:
    x = torch.tensor([-1.0, 0.0, 1.0]).view(3, 1, 1, 1).expand(3, 1, 28, 28)
    pixels = to_uint8(x)
    assert pixels.shape == (3, 28, 28)
    assert pixels[:, 0, 0].tolist() == [0, 128, 255]
    grid = tile(pixels, ncols=2, pad=2)
    assert grid.shape == (2 * 30 + 2, 2 * 30 + 2)
    assert grid[2, 2] == 0
    assert grid[2, 32] == 128
    assert grid[32, 2] == 255
    assert grid[32, 32] == 0  # the empty fourth cell
