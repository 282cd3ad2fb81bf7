"""Tests for ganlib.mnist.config: every setting checked, the reference recipes' values."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torch import nn

from ganlib.mnist.config import MNISTGANConfig


def tiny(**changes) -> MNISTGANConfig:
    base = MNISTGANConfig(
        arch="keras_gan", steps=6, batch_size=8, log_every=2, checkpoint_every=3, grid_size=4
    )
    return dataclasses.replace(base, **changes)


@pytest.mark.parametrize(
    ("changes", "name"),
    [
        ({"arch": "vgg"}, "arch"),
        ({"loss": "wasserstein"}, "loss"),
        ({"loop": "pytorch"}, "loop"),
        ({"lr_d": 1e39}, "lr_d"),
        ({"lr_g": True}, "lr_g"),
        ({"beta1": "0.5"}, "beta1"),
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
        ({"augment_p": 1.5}, "augment_p"),
        ({"augment_p": -0.1}, "augment_p"),
        ({"ema_decay": 1.0}, "ema_decay"),
        ({"ema_decay": -0.5}, "ema_decay"),
        ({"one_d_call": 1}, "one_d_call"),
        ({"cuda_graph": "yes"}, "cuda_graph"),
        ({"one_d_call": True, "loop": "keras_gan"}, "one_d_call"),
        ({"r1_gamma": -1.0}, "r1_gamma"),
        ({"r1_gamma": float("inf")}, "r1_gamma"),
        ({"r1_every": 0}, "r1_every"),
        ({"r1_every": 1.5}, "r1_every"),
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


def test_the_recipes_hold_the_reference_settings() -> None:
    keras = MNISTGANConfig.keras_gan()
    assert (keras.arch, keras.loop, keras.batch_size, keras.steps) == (
        "keras_gan", "keras_gan", 32, 30_000,
    )  # fmt: skip
    assert (keras.lr_d, keras.lr_g, keras.beta1, keras.beta2, keras.k) == (
        2e-4,
        2e-4,
        0.5,
        0.999,
        1,
    )
    tutorial = MNISTGANConfig.tutorial()
    assert (tutorial.arch, tutorial.loop, tutorial.batch_size) == ("tutorial_mlp", "tutorial", 64)
    betas = torch.optim.Adam([nn.Parameter(torch.zeros(1))]).defaults["betas"]
    assert (tutorial.beta1, tutorial.beta2) == betas  # PyTorch's default betas
    assert (tutorial.lr_d, tutorial.lr_g) == (1e-4, 1e-4)
    assert tutorial.steps == 100 * 937  # 100 epochs of 60,000 digits in full batches of 64
    assert MNISTGANConfig.keras_gan(steps=5).steps == 5
    with pytest.raises(ValueError, match=r"^loop="):
        MNISTGANConfig.keras_gan(loop="keras")


def test_a_record_without_a_loop_was_trained_with_the_joint_loop() -> None:
    record = MNISTGANConfig().to_dict()
    del record["loop"]
    assert MNISTGANConfig.from_dict(record).loop == "joint"


def test_a_record_without_the_new_settings_used_none_of_them() -> None:
    record = MNISTGANConfig().to_dict()
    for key in ("augment_p", "ema_decay", "one_d_call", "cuda_graph", "r1_gamma", "r1_every"):
        del record[key]
    config = MNISTGANConfig.from_dict(record)
    assert (config.augment_p, config.ema_decay, config.one_d_call, config.cuda_graph) == (
        0.0, 0.0, False, False,
    )  # fmt: skip
    assert (config.r1_gamma, config.r1_every) == (0.0, 1)
