"""Tests for ganlib.mnist.classifier: shapes, seeding, augmentation and the shipped weights."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from ganlib.mnist import WEIGHTS_DIR
from ganlib.mnist.classifier import (
    ClassifierConfig,
    MNISTClassifier,
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
    assert json.loads(path.with_suffix(".json").read_text()) == info
    with pytest.raises(FileNotFoundError, match=r"python -m ganlib\.mnist\.classifier"):
        load_pretrained_classifier("missing", root=tmp_path)


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
