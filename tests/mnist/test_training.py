"""ganlib.mnist.training: Algorithm 1, exact resume, Ctrl-C, NaN and config checks (tiny data)."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import os
import signal
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from ganlib.core.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from ganlib.core.losses import generator_loss
from ganlib.mnist.models import build_gan
from ganlib.mnist.steps import GANStep
from ganlib.mnist.training import (
    HISTORY_KEYS,
    LOSS_LIMIT,
    DataMismatchError,
    MNISTGANConfig,
    ResumeError,
    TrainResult,
    _Trainer,
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
    pairs = [(a.generator, b.generator), (a.discriminator, b.discriminator)]
    assert (a.ema_generator is None) == (b.ema_generator is None)
    if a.ema_generator is not None:
        pairs.append((a.ema_generator, b.ema_generator))
    for net_a, net_b in pairs:
        sa, sb = net_a.state_dict(), net_b.state_dict()
        assert sa.keys() == sb.keys()
        for key in sa:
            assert torch.equal(sa[key], sb[key]), key


RESUME_CASES = {
    "keras_gan": {"arch": "keras_gan"},
    "keras_gan_dropout": {"arch": "keras_gan_dropout"},
    "tutorial_mlp": {"arch": "tutorial_mlp"},
    "dcgan+augment+ema": {"arch": "dcgan", "augment_p": 0.5, "ema_decay": 0.9},
    # lazy R1 every 4th D step: the checkpoint at step 6 falls between two penalised steps
    "dcgan+lazy R1": {"arch": "dcgan", "r1_gamma": 2.0, "r1_every": 4, "one_d_call": True},
}


@pytest.mark.parametrize("case", RESUME_CASES)
def test_resume_continues_exactly(images: torch.Tensor, tmp_path: Path, case: str) -> None:
    # The global RNG is put in a different state before each run: nothing may depend on it
    # ("keras_gan_dropout" has dropout in D and the DCGAN run DiffAugment, whose random numbers
    # must come from the run's own checkpointed streams; the averaged G is checkpointed too).
    settings = RESUME_CASES[case]
    torch.manual_seed(1)
    straight = train_gan(tiny(steps=12, **settings), images, device=CPU, progress=False)
    path = tmp_path / "ck.pt"
    torch.manual_seed(2)
    first = train_gan(
        tiny(steps=6, **settings), images, device=CPU, checkpoint_path=path, progress=False
    )
    assert first.status == "completed"
    assert load_checkpoint(path)["step"] == 6
    torch.manual_seed(3)
    resumed = train_gan(
        tiny(steps=12, **settings),
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


def test_a_signal_inside_an_iteration_stops_at_its_end_and_resumes_exactly(
    images: torch.Tensor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """SIGINT and SIGTERM arriving between D's and G's step of iteration 4: that iteration is
    finished, then the run saves and stops; resuming gives the uninterrupted run's weights."""
    straight = train_gan(tiny(steps=8), images, device=CPU, progress=False)
    before = signal.getsignal(signal.SIGINT)  # default_int_handler, or SIG_IGN under `cmd &`
    for signum in (signal.SIGINT, signal.SIGTERM):
        path = tmp_path / f"{signum.name}.pt"

        calls = [0]  # G steps so far in this run

        def g_step_with_signal(self, z, signum=signum, original=GANStep.g_step, calls=calls):
            calls[0] += 1
            if calls[0] == 4:  # the 4th iteration, after its D step
                os.kill(os.getpid(), signum)
            return original(self, z)

        monkeypatch.setattr(GANStep, "g_step", g_step_with_signal)
        hit = train_gan(
            tiny(steps=8), images, device=CPU, checkpoint_path=path, progress=False,
            history_path=tmp_path / f"{signum.name}.json",
        )  # fmt: skip
        monkeypatch.undo()
        assert (hit.status, hit.step) == ("interrupted", 4)
        assert f"stopped by {signum.name} after iteration 4" in hit.message
        assert "checkpoint saved at step 4" in capsys.readouterr().out
        assert load_checkpoint(path)["step"] == 4
        assert json.loads((tmp_path / f"{signum.name}.json").read_text())["status"] == (
            "interrupted"
        )
        resumed = train_gan(
            tiny(steps=8), images, device=CPU, checkpoint_path=path, resume=True, progress=False
        )
        _assert_same_weights(straight, resumed)
        timing_free = [k for k in HISTORY_KEYS if k != "seconds"]
        assert {k: resumed.history[k] for k in timing_free} == {
            k: straight.history[k] for k in timing_free
        }
    assert signal.getsignal(signal.SIGINT) is before  # handlers restored


def test_an_interrupt_after_a_blow_up_keeps_the_last_good_checkpoint(
    images: torch.Tensor, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def poison_then_stop(result: TrainResult) -> None:
        if result.step == 4:  # after the checkpoint of step 3, before any history record
            with torch.no_grad():
                result.discriminator.body[1].weight[0, 0] = float("nan")
        if result.step == 5:
            raise KeyboardInterrupt

    path = tmp_path / "ck.pt"
    result = train_gan(
        tiny(steps=10, log_every=100), images, device=CPU, checkpoint_path=path,
        callback=poison_then_stop, progress=False,
    )  # fmt: skip
    assert result.status == "diverged"
    assert "when KeyboardInterrupt stopped the run" in result.message
    assert "the last good checkpoint (step 3" in result.message
    out = capsys.readouterr().out
    assert "checkpoint saved at step 5" not in out
    saved = load_checkpoint(path)
    assert saved["step"] == 3
    assert all(torch.isfinite(v).all() for v in saved["discriminator"].values())


def test_a_nonfinite_buffer_with_finite_losses_is_divergence(
    images: torch.Tensor, tmp_path: Path
) -> None:
    """BatchNorm in training mode ignores its running variance: the losses stay finite, but the
    generator in eval mode (sample grids, export) would draw NaN."""

    def poison(result: TrainResult) -> None:
        if result.step == 2:
            result.generator.body[2].running_var[0] = float("inf")

    result = train_gan(
        tiny(steps=6, log_every=3), images, device=CPU, checkpoint_path=tmp_path / "ck.pt",
        callback=poison, progress=False,
    )  # fmt: skip
    assert result.status == "diverged"
    assert result.step == 3
    assert "Generator.body.2.running_var holds NaN or inf" in result.message
    assert all(math.isfinite(v) for v in result.history["d_loss"] + result.history["g_loss"])
    assert not (tmp_path / "ck.pt").exists()  # the step-3 checkpoint was not written


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
    assert "nan" in result.message
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
    # every recorded loss is sane: the record that exploded was refused, not plotted
    assert all(abs(v) <= LOSS_LIMIT for k in ("d_loss", "g_loss") for v in result.history[k])


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
    assert result.sample_epochs == [0, 1, 2]
    assert all(s.shape == (4, 28, 28) and s.dtype == torch.uint8 for s in result.samples)
    assert not torch.equal(result.samples[0], result.samples[-1])


def test_one_iteration_is_algorithm_1_with_the_right_losses(images: torch.Tensor) -> None:
    """k D steps move only D, the G step moves only G, and the losses match a recomputation."""
    for loss in ("non-saturating", "minimax"):
        trainer = _Trainer(tiny(k=2, loss=loss, arch="tutorial_mlp"), images, CPU)
        g0 = [p.clone() for p in trainer.G.parameters()]
        d0 = [p.clone() for p in trainer.D.parameters()]
        trainer.step.d_step(trainer.real_batch(), trainer.noise((8,)))
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
        g_loss = trainer.step.g_step(trainer.noise((8,)))
        assert g_loss.item() == pytest.approx(expected.item(), rel=1e-5)
        assert all(torch.equal(a, b) for a, b in zip(d1, trainer.D.parameters(), strict=True))


def test_d_loss_is_the_sum_of_both_bce_terms(images: torch.Tensor) -> None:
    trainer = _Trainer(tiny(arch="tutorial_mlp"), images, CPU)
    twin_noise = torch.Generator().set_state(trainer.noise_rng.get_state())
    x = images[trainer.perm[:8]]
    z = torch.randn(8, trainer.G.latent_dim, generator=twin_noise)
    with torch.no_grad():
        real, fake = torch.sigmoid(trainer.D(x)), torch.sigmoid(trainer.D(trainer.G(z)))
    expected = -(torch.log(real).mean() + torch.log1p(-fake).mean())
    loss, real_logits, _ = trainer.step.d_step(trainer.real_batch(), trainer.noise((8,)))
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    assert torch.allclose(torch.sigmoid(real_logits), real)


def test_resume_refuses_changed_settings(images: torch.Tensor, tmp_path: Path) -> None:
    path = tmp_path / "ck.pt"
    train_gan(tiny(steps=2), images, device=CPU, checkpoint_path=path, progress=False)
    with pytest.raises(ResumeError, match=r"lr_d: checkpoint 0\.0002 vs now 0\.001"):
        train_gan(
            tiny(steps=4, lr_d=1e-3), images, device=CPU, checkpoint_path=path, resume=True,
            progress=False,
        )  # fmt: skip
    with pytest.raises(
        ResumeError, match="is a checkpoint of arch 'keras_gan', not 'tutorial_mlp'"
    ):
        train_gan(
            tiny(steps=4, arch="tutorial_mlp"), images, device=CPU, checkpoint_path=path,
            resume=True, progress=False,
        )  # fmt: skip


def test_no_checkpoint_is_replaced_silently_and_resume_needs_one(
    images: torch.Tensor, tmp_path: Path
) -> None:
    path = tmp_path / "run" / "ck.pt"
    with pytest.raises(ResumeError, match=f"nothing to resume in {tmp_path / 'run'}"):
        train_gan(tiny(), images, device=CPU, checkpoint_path=path, resume=True, progress=False)
    train_gan(tiny(steps=4), images, device=CPU, checkpoint_path=path, progress=False)
    with pytest.raises(ResumeError, match=r"already holds a checkpoint \(ck.pt, step 4 of 4\)"):
        train_gan(tiny(steps=2), images, device=CPU, checkpoint_path=path, progress=False)
    assert load_checkpoint(path)["step"] == 4  # untouched
    train_gan(
        tiny(steps=2), images, device=CPU, checkpoint_path=path, overwrite=True, progress=False
    )
    assert load_checkpoint(path)["step"] == 2


def test_a_checkpoint_records_its_data_and_refuses_other_data(
    images: torch.Tensor, tmp_path: Path
) -> None:
    path = tmp_path / "ck.pt"
    info = {"dataset": "mnist", "split": "train", "limit": 40, "source": "test"}
    train_gan(tiny(steps=2), images, device=CPU, checkpoint_path=path, progress=False,
              data_info=info)  # fmt: skip
    saved = load_checkpoint(path)
    flat = images.to(torch.float32).contiguous().numpy().tobytes()
    import hashlib

    assert saved["data"] == {**info, "n_images": 40, "sha256": hashlib.sha256(flat).hexdigest()}
    assert saved["config"] == tiny(steps=2).to_dict()
    for other in (images[:24], images.flip(0)):  # fewer images; the same ones, reordered
        with pytest.raises(DataMismatchError, match=r"trained on mnist train first 40 \(40 images"):
            train_gan(
                tiny(steps=4), other, device=CPU, checkpoint_path=path, resume=True,
                progress=False, data_info={**info, "limit": len(other)},
            )  # fmt: skip


def test_a_generator_file_or_damaged_file_is_no_training_checkpoint(
    images: torch.Tensor, tmp_path: Path
) -> None:
    g, _ = build_gan("keras_gan")
    bare = tmp_path / "bare.pt"
    torch.save(g.state_dict(), bare)  # a plain state_dict, no header
    with pytest.raises(CheckpointError, match="only a model's weights"):
        train_gan(tiny(), images, device=CPU, checkpoint_path=bare, resume=True, progress=False)
    exported = save_checkpoint(tmp_path / "gen.pt", g.state_dict(), kind="generator")
    with pytest.raises(CheckpointError, match="holds a generator's weights"):
        train_gan(tiny(), images, device=CPU, checkpoint_path=exported, resume=True,
                  progress=False)  # fmt: skip
    truncated = tmp_path / "cut.pt"
    train_gan(tiny(steps=2), images, device=CPU, checkpoint_path=truncated, progress=False)
    truncated.write_bytes(truncated.read_bytes()[:5000])
    with pytest.raises(CheckpointError, match="truncated"):
        train_gan(tiny(), images, device=CPU, checkpoint_path=truncated, resume=True,
                  progress=False)  # fmt: skip


def test_stale_temporaries_of_a_killed_save_are_removed_at_the_next_start(
    images: torch.Tensor, tmp_path: Path
) -> None:
    import tempfile

    path = tmp_path / "ck.pt"
    train_gan(tiny(steps=2), images, device=CPU, checkpoint_path=path, progress=False)
    fd, _ = tempfile.mkstemp(prefix=".ck.pt.", suffix=".tmp", dir=tmp_path)
    os.close(fd)
    train_gan(tiny(steps=4), images, device=CPU, checkpoint_path=path, resume=True,
              progress=False)  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck.pt"]


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


# ---------------------------------------------------------------------------------------------
# The reference recipes, each against its loop written out in plain PyTorch


def _plain_setup(config: MNISTGANConfig, n_images: int):
    """The run's initial weights, optimisers and random streams, built without ganlib's trainer."""
    G, D = build_gan(config.arch, generator=torch.Generator().manual_seed(config.seed))
    betas = (config.beta1, config.beta2)  # fused: ganlib's Adam on the CPU (same maths)
    opt_g = torch.optim.Adam(G.parameters(), lr=config.lr_g, betas=betas, fused=True)
    opt_d = torch.optim.Adam(D.parameters(), lr=config.lr_d, betas=betas, fused=True)
    data = torch.Generator().manual_seed(config.seed + 1)
    noise = torch.Generator().manual_seed(config.seed + 2)
    order = {"perm": torch.randperm(n_images, generator=data), "cursor": 0}

    def batch(images: torch.Tensor) -> torch.Tensor:
        m = config.batch_size
        if order["cursor"] + m > n_images:  # a new epoch; the short rest is skipped
            order["perm"], order["cursor"] = torch.randperm(n_images, generator=data), 0
        idx = order["perm"][order["cursor"] : order["cursor"] + m]
        order["cursor"] += m
        return images[idx]

    def z() -> torch.Tensor:
        return torch.randn(config.batch_size, G.latent_dim, generator=noise)

    return G, D, opt_g, opt_d, batch, z


def plain_keras_gan(config: MNISTGANConfig, images: torch.Tensor) -> tuple[nn.Module, nn.Module]:
    """Keras-GAN's gan/gan.py train(), iteration by iteration."""
    G, D, opt_g, opt_d, batch, z = _plain_setup(config, len(images))
    bce = nn.BCEWithLogitsLoss()
    valid, fake = torch.ones(config.batch_size), torch.zeros(config.batch_size)
    for _ in range(config.steps):
        imgs = batch(images)
        noise = z()
        G.eval()  # gen_imgs = self.generator.predict(noise)
        with torch.no_grad():
            gen_imgs = G(noise)
        G.train()
        opt_d.zero_grad()  # d_loss_real = self.discriminator.train_on_batch(imgs, valid)
        bce(D(imgs), valid).backward()
        opt_d.step()
        opt_d.zero_grad()  # d_loss_fake = self.discriminator.train_on_batch(gen_imgs, fake)
        bce(D(gen_imgs), fake).backward()
        opt_d.step()
        noise = z()  # g_loss = self.combined.train_on_batch(noise, valid), D frozen
        D.requires_grad_(False)
        opt_g.zero_grad()
        bce(D(G(noise)), valid).backward()
        opt_g.step()
        D.requires_grad_(True)
    return G, D


def plain_tutorial(config: MNISTGANConfig, images: torch.Tensor) -> tuple[nn.Module, nn.Module]:
    """The PyTorch tutorial MLP GAN's loop: D on real + detached fakes, G on the same fakes."""
    G, D, opt_g, opt_d, batch, z = _plain_setup(config, len(images))
    bce = nn.BCEWithLogitsLoss()
    real_labels, fake_labels = torch.ones(config.batch_size), torch.zeros(config.batch_size)
    for _ in range(config.steps):
        x = batch(images)
        fake_images = G(z())
        d_loss = bce(D(x), real_labels) + bce(D(fake_images.detach()), fake_labels)
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        g_loss = bce(D(fake_images), real_labels)
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
    return G, D


def plain_joint(config: MNISTGANConfig, images: torch.Tensor) -> tuple[nn.Module, nn.Module]:
    """ganlib's own "joint" loop: one summed D step (fakes from G in training mode), G on new z."""
    G, D, opt_g, opt_d, batch, z = _plain_setup(config, len(images))
    bce = nn.BCEWithLogitsLoss()
    ones, zeros = torch.ones(config.batch_size), torch.zeros(config.batch_size)
    for _ in range(config.steps):
        x = batch(images)
        with torch.no_grad():
            fakes = G(z())
        d_loss = bce(D(x), ones) + bce(D(fakes), zeros)
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        g_loss = bce(D(G(z())), ones)
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
    return G, D


def _same_modules(trained: TrainResult, G: nn.Module, D: nn.Module) -> None:
    for ours, theirs in ((trained.generator, G), (trained.discriminator, D)):
        a, b = ours.state_dict(), theirs.state_dict()
        assert a.keys() == b.keys()
        for key in a:  # BatchNorm's running statistics included
            assert torch.equal(a[key], b[key]), key


@pytest.mark.parametrize(
    ("recipe", "plain", "n_images"),
    [
        (MNISTGANConfig.keras_gan, plain_keras_gan, 3 * 32 + 5),
        (MNISTGANConfig.tutorial, plain_tutorial, 2 * 64 + 9),
        (lambda **kw: MNISTGANConfig(batch_size=16, **kw), plain_joint, 40),
    ],
    ids=["keras_gan", "tutorial", "joint"],
)
def test_each_recipe_runs_its_reference_loop(recipe, plain, n_images: int) -> None:
    """Seven iterations (over two epochs) of ganlib's trainer and of the loop written out give
    identical weights: the recipes are the reference loops, step for step."""
    gen = torch.Generator().manual_seed(5)
    images = torch.rand(n_images, 1, 28, 28, generator=gen) * 2 - 1
    config = recipe(steps=7, log_every=7, checkpoint_every=0, grid_size=4, seed=3)
    trained = train_gan(config, images, device=CPU, progress=False)
    _same_modules(trained, *plain(config, images))


@pytest.mark.parametrize("loop", ["joint", "keras_gan", "tutorial"])
def test_the_generator_step_computes_no_gradient_of_d(images: torch.Tensor, loop: str) -> None:
    """After a G step D has no .grad; G's update equals the plain ``loss.backward()`` one; and
    the FLOPs saved are exactly D's weight gradients, 2 m n_in n_out per dense layer."""
    config = tiny(loop=loop, batch_size=8)
    trainer = _Trainer(config, images, CPU)
    G, opt_g, noise = trainer.G, trainer.opt_g, trainer.noise_rng
    snapshots = [(copy.deepcopy((G.state_dict(), opt_g.state_dict())), noise.get_state())]
    trainer.step.d_step(trainer.real_batch(), trainer.noise((8,)))
    snapshots.append((copy.deepcopy((G.state_dict(), opt_g.state_dict())), noise.get_state()))
    assert all(p.grad is None for p in trainer.D.parameters())
    with FlopCounterMode(display=False) as ours:
        trainer.step.g_step(None if loop == "tutorial" else trainer.noise((8,)))
    assert all(p.grad is None for p in trainer.D.parameters())
    after = copy.deepcopy(G.state_dict())

    # the same G step the plain way; the tutorial's G step reuses the D step's fakes
    (g_state, opt_state), noise_state = snapshots[0 if loop == "tutorial" else 1]
    G.load_state_dict(g_state)
    opt_g.load_state_dict(opt_state)
    noise.set_state(noise_state)
    fake = G(trainer.noise((8,))) if loop == "tutorial" else None
    with FlopCounterMode(display=False) as naive:
        x = fake if fake is not None else G(trainer.noise((8,)))
        loss = generator_loss(trainer.D(x), config.loss)
        opt_g.zero_grad()
        loss.backward()  # also fills D's .grad
        opt_g.step()
    assert all(p.grad is not None for p in trainer.D.parameters())
    for key, value in trainer.G.state_dict().items():
        assert torch.equal(after[key], value), key
    dense = [m for m in trainer.D.modules() if isinstance(m, nn.Linear)]
    saved = sum(2 * 8 * m.in_features * m.out_features for m in dense)
    assert naive.get_total_flops() - ours.get_total_flops() == saved
