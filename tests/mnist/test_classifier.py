"""Tests for ganlib.mnist.classifier: shapes, seeding, augmentation and the shipped weights."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
import torch
from torch import nn

from ganlib.core.checkpoint import CheckpointError, load_checkpoint
from ganlib.mnist import WEIGHTS_DIR
from ganlib.mnist.classifier import (
    ClassifierConfig,
    MLPClassifier,
    MNISTClassifier,
    accuracy,
    architecture_record,
    classifier_from_record,
    make_classifier,
    random_shift,
    save_classifier,
    train_classifier,
)
from ganlib.mnist.data import ImageDataset, load_offline_mnist, to_signed_unit
from ganlib.mnist.models import torch_default_init
from ganlib.mnist.pretrained import classifier_info, load_pretrained_classifier


@pytest.fixture(scope="module")
def offline_test() -> ImageDataset:
    return load_offline_mnist("test")


def _seeded_model(seed: int) -> MNISTClassifier:
    return MNISTClassifier(generator=torch.Generator().manual_seed(seed))


def test_shapes_of_logits_and_features() -> None:
    model = _seeded_model(0)
    x = torch.rand(5, 1, 28, 28, generator=torch.Generator().manual_seed(1)) * 2 - 1
    assert model(x).shape == (5, 10)
    assert model.features(x).shape == (5, model.feature_dim)
    assert model.predict(x, batch_size=2).shape == (5,)
    # forward is the head applied to the features (the Fréchet space is the penultimate layer)
    torch.testing.assert_close(model(x), model.head(model.features(x)))
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        model(torch.zeros(5, 784))


def test_parameter_count_matches_architecture() -> None:
    c1, c2, f = 8, 16, 128
    expected = (9 * c1 + c1) + (9 * c1 * c2 + c2) + (c2 * 49 * f + f) + (f * 10 + 10)
    model = MNISTClassifier((c1, c2), f)
    assert sum(p.numel() for p in model.parameters()) == expected


def test_init_is_seeded_without_global_rng() -> None:
    state = torch.random.get_rng_state()
    a, b, c = _seeded_model(3), _seeded_model(3), _seeded_model(4)
    assert torch.equal(torch.random.get_rng_state(), state)
    for (name, pa), pb, pc in zip(
        a.state_dict().items(), b.state_dict().values(), c.state_dict().values(), strict=True
    ):
        assert torch.equal(pa, pb), name
        assert not torch.equal(pa, pc), name
    # re-initialising with the same seed reproduces the weights
    torch_default_init(c, torch.Generator().manual_seed(3))
    for pa, pc in zip(a.parameters(), c.parameters(), strict=True):
        assert torch.equal(pa, pc)


def test_random_shift_is_a_padded_crop(offline_test: ImageDataset) -> None:
    x = to_signed_unit(offline_test.images[:20])
    rng = torch.Generator().manual_seed(0)
    assert random_shift(x, 0, rng) is x
    shifted = random_shift(x, 2, rng).numpy()
    padded = np.pad(x.numpy(), ((0, 0), (0, 0), (2, 2), (2, 2)), constant_values=-1.0)
    for i in range(len(x)):  # each output is one of the 25 crops of the padded image
        crops = [padded[i, 0, r : r + 28, c : c + 28] for r in range(5) for c in range(5)]
        assert any(np.array_equal(shifted[i, 0], crop) for crop in crops)
    # MNIST digits sit in a centred 20x20 box, so shifts of 2 pixels keep all the ink
    np.testing.assert_allclose(shifted.sum((1, 2, 3)), x.numpy().sum((1, 2, 3)), rtol=1e-6)


def test_config_validation_names_the_setting() -> None:
    with pytest.raises(ValueError, match="max_shift"):
        ClassifierConfig(max_shift=-1).validate()
    with pytest.raises(ValueError, match="lr"):
        ClassifierConfig(lr=0.0).validate()


def test_training_is_seeded_and_learns() -> None:
    train = load_offline_mnist("train")
    small = ImageDataset(train.images[:300], train.labels[:300], "mnist", "train", "first 300")
    config = ClassifierConfig(epochs=2, batch_size=50, seed=1)
    a, b = train_classifier(small, config), train_classifier(small, config)
    for pa, pb in zip(a.state_dict().values(), b.state_dict().values(), strict=True):
        assert torch.equal(pa, pb)
    logits = a(to_signed_unit(small.images)).detach().numpy()
    assert (logits.argmax(1) == small.labels).mean() > 0.3  # chance is 0.1


def test_save_and_load_round_trip(tmp_path) -> None:
    model = _seeded_model(2).eval()
    info = {"architecture": {"channels": [8, 16], "feature_dim": 128}}
    path = save_classifier(model, tmp_path / "classifier_rt.pt", info)
    loaded = load_pretrained_classifier("rt", root=tmp_path)
    x = torch.zeros(3, 1, 28, 28)
    torch.testing.assert_close(loaded(x), model(x))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert json.loads(path.with_suffix(".json").read_text()) == {**info, "sha256": digest}
    with pytest.raises(FileNotFoundError, match=r"python -m ganlib\.mnist\.classifier"):
        load_pretrained_classifier("missing", root=tmp_path)


def test_the_mlp_judge_loads_from_its_record_and_a_changed_byte_is_refused(tmp_path) -> None:
    """The loader builds the judge its JSON names (the MLP has no convolutions) and checks the
    file's SHA-256 before reading it."""
    model = make_classifier(ClassifierConfig(architecture="mlp", hidden=32), torch.Generator())
    info = {"architecture": architecture_record(model)}
    path = save_classifier(model.eval(), tmp_path / "classifier_small.pt", info)
    loaded = load_pretrained_classifier("small", root=tmp_path)
    assert type(loaded).__name__ == "MLPClassifier"
    x = torch.rand(3, 1, 28, 28) * 2 - 1
    torch.testing.assert_close(loaded(x), model(x))
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=r"SHA-256|sha256|damaged|CRC"):
        load_pretrained_classifier("small", root=tmp_path)


def test_shipped_weights_reach_recorded_accuracy(offline_test: ImageDataset) -> None:
    info = classifier_info()
    state = torch.load(WEIGHTS_DIR / "classifier_default.pt", weights_only=True)
    assert all(v.dtype == torch.float32 for v in state.values())
    model = load_pretrained_classifier()
    assert not model.training
    logits = model(to_signed_unit(offline_test.images)).detach().numpy()
    acc = float((logits.argmax(1) == offline_test.labels).mean())
    assert len(offline_test) == 1000
    assert acc > 0.95
    assert acc == pytest.approx(info["test_accuracy"], abs=2e-3)
    assert info["architecture"]["parameters"] == sum(v.numel() for v in state.values())


# --------------------------------------------------------------------------------------------
# The second judge, an MLP


def test_mlp_shapes_and_parameter_count_by_hand() -> None:
    model = MLPClassifier(generator=torch.Generator().manual_seed(0))
    x = torch.rand(5, 1, 28, 28, generator=torch.Generator().manual_seed(1)) * 2 - 1
    assert model(x).shape == (5, 10)
    assert model.features(x).shape == (5, 128)
    torch.testing.assert_close(model(x), model.head(model.features(x)))
    assert model.predict(x, batch_size=2).tolist() == model(x).argmax(1).tolist()
    expected = (784 * 256 + 256) + (256 * 128 + 128) + (128 * 10 + 10)
    assert sum(p.numel() for p in model.parameters()) == expected == 235_146
    assert not any(isinstance(m, nn.Conv2d) for m in model.modules())
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        model(torch.zeros(5, 784))


def test_mlp_init_is_seeded_without_global_rng() -> None:
    state = torch.random.get_rng_state()
    a, b = (MLPClassifier(generator=torch.Generator().manual_seed(1)) for _ in range(2))
    c = MLPClassifier(generator=torch.Generator().manual_seed(2))
    assert torch.equal(torch.random.get_rng_state(), state)
    for pa, pb, pc in zip(a.parameters(), b.parameters(), c.parameters(), strict=True):
        assert torch.equal(pa, pb)
        assert not torch.equal(pa, pc)


def test_make_classifier_follows_the_config() -> None:
    assert type(make_classifier(ClassifierConfig())) is MNISTClassifier
    mlp = make_classifier(ClassifierConfig(architecture="mlp", hidden=64, feature_dim=32))
    assert type(mlp) is MLPClassifier
    assert (mlp.body[1].out_features, mlp.feature_dim) == (64, 32)
    with pytest.raises(ValueError, match="architecture"):
        ClassifierConfig(architecture="resnet")


@pytest.mark.parametrize("model", [MNISTClassifier((4, 8), 16), MLPClassifier(32, 16)])
def test_architecture_record_rebuilds_the_model(model: nn.Module, tmp_path) -> None:
    record = json.loads(json.dumps(architecture_record(model)))  # through JSON, as shipped
    rebuilt = classifier_from_record(record)
    assert type(rebuilt) is type(model)
    path = save_classifier(model.eval(), tmp_path / "judge.pt", {"architecture": record})
    rebuilt.load_state_dict(load_checkpoint(path))
    x = torch.rand(3, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    torch.testing.assert_close(rebuilt.eval()(x), model(x))
    assert record["parameters"] == sum(p.numel() for p in model.parameters())
    with pytest.raises(ValueError, match="unknown classifier class"):
        classifier_from_record({**record, "class": "ganlib.mnist.classifier.ResNet"})


def test_shipped_default_record_is_what_architecture_record_writes() -> None:
    assert architecture_record(load_pretrained_classifier()) == classifier_info()["architecture"]


def test_mlp_training_is_seeded_and_learns() -> None:
    train = load_offline_mnist("train")
    small = ImageDataset(train.images[:300], train.labels[:300], "mnist", "train", "first 300")
    config = ClassifierConfig(architecture="mlp", epochs=2, batch_size=50, seed=1)
    a, b = train_classifier(small, config), train_classifier(small, config)
    assert type(a) is MLPClassifier
    for pa, pb in zip(a.state_dict().values(), b.state_dict().values(), strict=True):
        assert torch.equal(pa, pb)
    assert accuracy(a, to_signed_unit(small.images), torch.as_tensor(small.labels)) > 0.3


def _shipped_mlp() -> tuple[MLPClassifier, dict]:
    info = classifier_info("mlp")
    model = classifier_from_record(info["architecture"])
    model.load_state_dict(torch.load(WEIGHTS_DIR / "classifier_mlp.pt", weights_only=True))
    return model.eval(), info


def test_shipped_mlp_is_a_different_judge_of_the_training_split(
    offline_test: ImageDataset,
) -> None:
    model, info = _shipped_mlp()
    assert type(model) is MLPClassifier
    assert info["training_config"]["architecture"] == "mlp"
    assert info["training_config"]["seed"] != classifier_info()["training_config"]["seed"]
    assert "4,000 train digits" in info["data"]["train"]
    x, y = to_signed_unit(offline_test.images), torch.as_tensor(offline_test.labels)
    acc = accuracy(model, x, y)  # recomputed from the weights, not read back
    assert acc > 0.93
    assert acc == pytest.approx(info["test_accuracy"], abs=2e-3)
    # two judges that mostly agree on real digits, but not always (they are not copies)
    default = load_pretrained_classifier()
    agree = float((model.predict(x) == default.predict(x)).double().mean())
    assert 0.9 < agree < 1.0
