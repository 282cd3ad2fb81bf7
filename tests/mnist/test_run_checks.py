"""ganlib.mnist.run_checks: divergence, data fingerprints, what a checkpoint may resume.

The end-to-end uses (a run refusing other data, a generator file, changed settings) are tested
through train_gan in test_training.py; here the functions themselves.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import pytest
import torch

from ganlib.mnist.models import build_gan
from ganlib.mnist.run_checks import (
    LOSS_LIMIT,
    DataMismatchError,
    ResumeError,
    check_resumable,
    check_same_data,
    data_fingerprint,
    divergence_cause,
    nonfinite_parameter,
)
from ganlib.mnist.training import MNISTGANConfig


def test_exploding_finite_losses_are_divergence_like_the_toy_trainer() -> None:
    from ganlib.toy import training as toy

    assert LOSS_LIMIT == toy.LOSS_LIMIT
    assert divergence_cause({"d_loss": 1.386, "g_loss": -50.0}) is None
    assert divergence_cause({"d_loss": LOSS_LIMIT}) is None
    assert "beyond the loss limit" in divergence_cause({"d_loss": 2.6e10})
    assert "d_loss became nan" in divergence_cause({"d_loss": math.nan})
    assert "g_loss became -inf" in divergence_cause({"d_loss": 1.0, "g_loss": -math.inf})
    assert "beyond" in divergence_cause({"d_loss": 5.0}, limit=1.0)
    with pytest.raises(ValueError, match=r"^d_loss must be a real number"):
        divergence_cause({"d_loss": "1.0"})
    with pytest.raises(ValueError, match=r"^limit must be"):
        divergence_cause({"d_loss": 1.0}, limit=-1)
    g, d = build_gan("keras_gan")
    assert nonfinite_parameter(g, d) is None
    with torch.no_grad():
        d.body[1].weight[3, 3] = float("nan")
    assert nonfinite_parameter(g, d) == "Discriminator.body.1.weight"


def test_the_fingerprint_is_the_sha256_of_the_float32_images() -> None:
    images = torch.linspace(-1, 1, 2 * 784).reshape(2, 1, 28, 28)
    expected = hashlib.sha256(images.numpy().tobytes()).hexdigest()
    assert data_fingerprint(images) == {"n_images": 2, "sha256": expected}
    assert data_fingerprint(images.double()) == data_fingerprint(images)  # float32 bytes
    assert data_fingerprint(images.flip(0))["sha256"] != expected  # the order counts


def test_other_data_is_refused_naming_both() -> None:
    saved = {
        "dataset": "mnist",
        "split": "train",
        "limit": 256,
        "n_images": 256,
        "sha256": "a" * 64,
    }
    now = {**saved, "limit": 64, "n_images": 64, "sha256": "b" * 64}
    with pytest.raises(DataMismatchError) as info:
        check_same_data(Path("ck.pt"), now, {"data": saved, "perm": torch.arange(256)})
    message = str(info.value)
    assert "mnist train first 256 (256 images, sha256 aaaaaaaaaaaa...)" in message
    assert "mnist train first 64 (64 images, sha256 bbbbbbbbbbbb...)" in message
    check_same_data(Path("ck.pt"), saved, {"data": dict(saved), "perm": torch.arange(256)})


def test_only_the_resumable_settings_may_change() -> None:
    config = MNISTGANConfig().to_dict()
    longer = {**config, "steps": 10**6, "log_every": 7, "checkpoint_every": 3, "grid_every": 2}
    check_resumable(Path("ck.pt"), longer, config)
    for key, value in (("loop", "keras_gan"), ("batch_size", 32), ("lr_g", 1e-3), ("seed", 1)):
        with pytest.raises(ResumeError, match=f"{key}: checkpoint"):
            check_resumable(Path("ck.pt"), {**config, key: value}, config)
    with pytest.raises(ResumeError, match="resume it with --arch keras_gan"):
        check_resumable(Path("ck.pt"), {**config, "arch": "tutorial_mlp"}, config)
