"""ganlib.mnist.models against the reference architectures' published parameter counts."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from ganlib.mnist.models import (
    ARCHITECTURES,
    IMAGE_SHAPE,
    SeededDropout,
    build_gan,
    count_parameters,
    forward_macs,
    layer_macs,
)


def _by_hand(layer_sizes: list[tuple[int, int]]) -> int:
    """Weights plus biases of a stack of dense layers, from their sizes alone."""
    return sum(n_in * n_out + n_out for n_in, n_out in layer_sizes)


def _trainable(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def test_keras_gan_matches_the_keras_summary_of_keras_gan() -> None:
    g, d = build_gan("keras_gan")
    running = sum(
        b.numel() for n, b in g.named_buffers() if n.endswith(("running_mean", "running_var"))
    )
    # numbers printed by Keras's model.summary() in Keras-GAN's MLP GAN
    assert _trainable(g) == 1_489_936
    assert running == 3_584
    assert _trainable(g) + running == 1_493_520
    assert _trainable(d) == 533_505
    assert count_parameters(g) == {
        "trainable": 1_489_936,
        "non_trainable": 3_584,
        "total": 1_493_520,
    }
    assert count_parameters(d) == {"trainable": 533_505, "non_trainable": 0, "total": 533_505}


def test_tutorial_counts_match_a_count_by_hand() -> None:
    g, d = build_gan("tutorial_mlp")
    assert _trainable(g) == _by_hand([(128, 256), (256, 512), (512, 784)]) == 566_800
    assert _trainable(d) == _by_hand([(784, 512), (512, 256), (256, 128), (128, 1)]) == 566_273
    assert not list(g.buffers())


def test_keras_batchnorm_momentum_0_8_is_pytorch_momentum_0_2_with_keras_eps() -> None:
    for arch in ("keras_gan", "keras_gan_dropout"):
        g, _ = build_gan(arch)
        norms = [m for m in g.modules() if isinstance(m, nn.BatchNorm1d)]
        assert [m.num_features for m in norms] == [256, 512, 1024]
        for m in norms:
            assert m.momentum == pytest.approx(0.2)  # not 0.8: PyTorch weights the new batch
            assert m.eps == pytest.approx(1e-3)  # Keras's default, and not 0.8 (the port bug)


def test_keras_gan_layer_order_is_dense_leakyrelu_batchnorm() -> None:
    g, d = build_gan("keras_gan")
    kinds = [type(m) for m in g.body]
    block = [nn.Linear, nn.LeakyReLU, nn.BatchNorm1d]
    assert kinds == block * 3 + [nn.Linear, nn.Tanh]
    assert [type(m) for m in d.body] == [
        nn.Flatten, nn.Linear, nn.LeakyReLU, nn.Linear, nn.LeakyReLU, nn.Linear
    ]  # fmt: skip
    slopes = [m.negative_slope for m in [*g.modules(), *d.modules()] if isinstance(m, nn.LeakyReLU)]
    assert slopes == [0.2] * 5


def test_tutorial_layers_and_activations() -> None:
    g, d = build_gan("tutorial_mlp")
    assert [type(m) for m in g.body] == [nn.Linear, nn.Tanh, nn.Linear, nn.ReLU, nn.Linear, nn.Tanh]
    assert [type(m) for m in d.body][1:] == [nn.Linear, nn.Tanh] * 3 + [nn.Linear]


def test_mlp_differs_from_keras_gan_only_by_discriminator_dropout() -> None:
    g_mlp, d_mlp = build_gan("keras_gan_dropout")
    g_ref, d_ref = build_gan("keras_gan")
    assert count_parameters(g_mlp) == count_parameters(g_ref)
    assert count_parameters(d_mlp) == count_parameters(d_ref)
    assert [m.p for m in d_mlp.modules() if isinstance(m, nn.Dropout)] == [0.3, 0.3]


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_shapes_ranges_and_logits(arch: str) -> None:
    gen = torch.Generator().manual_seed(0)
    g, d = build_gan(arch, generator=gen)
    assert g.latent_dim == {"tutorial_mlp": 128}.get(arch, 100)
    z = torch.randn(5, g.latent_dim, generator=gen)
    x = g(z)
    assert x.shape == (5, 1, 28, 28)
    assert x.abs().max() <= 1
    logits = d(x)
    assert logits.shape == (5,)
    assert not any(isinstance(m, nn.Sigmoid) for m in d.modules())


def test_sigmoid_plus_bce_equals_bce_with_logits_on_the_logits() -> None:
    gen = torch.Generator().manual_seed(1)
    _, d = build_gan("keras_gan", generator=gen)
    x = torch.rand(16, 1, 28, 28, generator=gen) * 2 - 1
    target = (torch.rand(16, generator=gen) > 0.5).float()
    logits = d(x)
    reference = nn.BCELoss()(torch.sigmoid(logits), target)
    assert torch.allclose(nn.BCEWithLogitsLoss()(logits, target), reference, atol=1e-6)


def test_custom_latent_dim() -> None:
    g, _ = build_gan("tutorial_mlp", latent_dim=7)
    assert g.latent_dim == 7
    assert g(torch.zeros(2, 7)).shape == (2, 1, 28, 28)


def test_seeded_initialisation_leaves_global_rng_alone() -> None:
    before = torch.get_rng_state()
    g1, _d1 = build_gan("keras_gan_dropout", generator=torch.Generator().manual_seed(3))
    g2, _d2 = build_gan("keras_gan_dropout", generator=torch.Generator().manual_seed(3))
    g3, _ = build_gan("keras_gan_dropout", generator=torch.Generator().manual_seed(4))
    assert torch.equal(torch.get_rng_state(), before)
    for a, b in zip(g1.state_dict().values(), g2.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert not torch.equal(g1.body[0].weight, g3.body[0].weight)


def test_initialisations_follow_keras_and_pytorch_defaults() -> None:
    g, d = build_gan("keras_gan")
    for layer in [m for m in [*g.modules(), *d.modules()] if isinstance(m, nn.Linear)]:
        bound = math.sqrt(6 / (layer.in_features + layer.out_features))  # Glorot uniform
        assert layer.weight.abs().max() <= bound
        assert layer.weight.abs().max() > 0.9 * bound
        assert torch.count_nonzero(layer.bias) == 0
    g, _ = build_gan("tutorial_mlp")
    for layer in [m for m in g.modules() if isinstance(m, nn.Linear)]:
        bound = 1 / math.sqrt(layer.in_features)  # PyTorch's nn.Linear default
        assert layer.weight.abs().max() <= bound
        assert 0 < layer.bias.abs().max() <= bound


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"arch": "dcgan9"}, "arch"),
        ({"arch": "keras_gan_dropout", "latent_dim": 0}, "latent_dim"),
        ({"arch": "keras_gan_dropout", "latent_dim": 2.5}, "latent_dim"),
    ],
)
def test_bad_settings_raise(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        build_gan(**kwargs)


def test_wrong_input_shapes_raise() -> None:
    g, d = build_gan("tutorial_mlp")
    with pytest.raises(ValueError, match=r"\(N, 128\)"):
        g(torch.zeros(2, 100))
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        d(torch.zeros(2, 784))


def test_seeded_dropout_draws_from_its_own_generator() -> None:
    layer = SeededDropout(0.3)
    x = torch.ones(2_000, 8)
    layer.generator = torch.Generator().manual_seed(5)
    torch.manual_seed(0)
    a = layer(x)
    layer.generator = torch.Generator().manual_seed(5)
    torch.manual_seed(1)  # a different global state changes nothing
    b = layer(x)
    assert torch.equal(a, b)
    # the same mask as a Bernoulli(0.7) draw from that generator, kept values scaled by 1/0.7
    keep = torch.empty_like(x).bernoulli_(0.7, generator=torch.Generator().manual_seed(5))
    torch.testing.assert_close(a, keep / 0.7)
    assert abs((a == 0).float().mean().item() - 0.3) < 0.02
    layer.eval()
    assert torch.equal(layer(x), x)


def test_seeded_dropout_without_generator_is_nn_dropout() -> None:
    x = torch.randn(64, 16, generator=torch.Generator().manual_seed(0))
    torch.manual_seed(7)
    ours = SeededDropout(0.3)(x)
    torch.manual_seed(7)
    reference = nn.Dropout(0.3)(x)
    assert torch.equal(ours, reference)


# --------------------------------------------------------------------------------------------
# The DCGAN

#: Forward multiply-adds per sample of the DCGAN, layer by layer, from the layer sizes alone:
#: a transposed conv scatters each input pixel into (c_out k^2) outputs, a conv gathers
#: (c_in k^2) inputs into each output pixel.
DCGAN_G_MACS = [
    100 * (1 * 1) * 128 * 7 * 7,  # ConvT 100 -> 128, 7x7 kernel on a 1x1 input
    128 * (7 * 7) * 64 * 4 * 4,  # ConvT 128 -> 64, 4x4 kernel on 7x7 inputs
    64 * (14 * 14) * 1 * 4 * 4,  # ConvT 64 -> 1, 4x4 kernel on 14x14 inputs
]
DCGAN_D_MACS = [
    64 * (14 * 14) * 1 * 4 * 4,  # Conv 1 -> 64, 14x14 outputs of a 4x4 kernel
    128 * (7 * 7) * 64 * 4 * 4,  # Conv 64 -> 128, 7x7 outputs
    1 * (1 * 1) * 128 * 7 * 7,  # Conv 128 -> 1, one output of a 7x7 kernel
]


def test_dcgan_layers_follow_radford_et_al() -> None:
    g, d = build_gan("dcgan")
    assert g.latent_dim == 100
    kinds = [type(m) for m in g.body]
    assert kinds == [
        nn.Unflatten,
        nn.ConvTranspose2d, nn.BatchNorm2d, nn.ReLU,
        nn.ConvTranspose2d, nn.BatchNorm2d, nn.ReLU,
        nn.ConvTranspose2d, nn.Tanh,
    ]  # fmt: skip
    assert [type(m) for m in d.body] == [
        nn.Conv2d, nn.LeakyReLU, nn.Conv2d, nn.LeakyReLU, nn.Conv2d
    ]  # fmt: skip
    convs = [m for m in d.body if isinstance(m, nn.Conv2d)]
    assert [(c.stride, c.padding) for c in convs[:2]] == [((2, 2), (1, 1))] * 2  # no pooling
    assert [m.negative_slope for m in d.modules() if isinstance(m, nn.LeakyReLU)] == [0.2, 0.2]
    assert not any(isinstance(m, nn.BatchNorm2d | nn.Linear) for m in d.modules())


def test_dcgan_parameter_counts_by_hand() -> None:
    g, d = build_gan("dcgan")
    # weights c_in * c_out * k^2; no bias before BatchNorm; BatchNorm has a scale and a shift
    g_by_hand = (100 * 128 * 49) + 2 * 128 + (128 * 64 * 16) + 2 * 64 + (64 * 1 * 16 + 1)
    d_by_hand = (1 * 64 * 16 + 64) + (64 * 128 * 16 + 128) + (128 * 1 * 49 + 1)
    assert g_by_hand == 759_681
    assert d_by_hand == 138_561
    assert count_parameters(g) == {
        "trainable": g_by_hand,
        "non_trainable": 2 * (128 + 64),  # running means and variances
        "total": g_by_hand + 384,
    }
    assert count_parameters(d) == {"trainable": d_by_hand, "non_trainable": 0, "total": d_by_hand}


def test_forward_macs_by_hand() -> None:
    g, d = build_gan("dcgan")
    assert [m for _, m in layer_macs(g, (100,))] == DCGAN_G_MACS
    assert [m for _, m in layer_macs(d, IMAGE_SHAPE)] == DCGAN_D_MACS
    assert forward_macs(g, (100,)) == sum(DCGAN_G_MACS) == 7_250_432
    assert forward_macs(d, IMAGE_SHAPE) == sum(DCGAN_D_MACS) == 6_629_504
    g, d = build_gan("keras_gan")
    assert forward_macs(g, (100,)) == 100 * 256 + 256 * 512 + 512 * 1024 + 1024 * 784
    assert forward_macs(d, IMAGE_SHAPE) == 784 * 512 + 512 * 256 + 256 * 1


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_forward_macs_match_pytorchs_flop_counter(arch: str) -> None:
    """FlopCounterMode counts the matmuls and convolutions PyTorch actually runs (2 FLOP/MAC)."""
    gen = torch.Generator().manual_seed(0)
    g, d = build_gan(arch, generator=gen)
    m = 6
    z = torch.randn(m, g.latent_dim, generator=gen)
    with FlopCounterMode(display=False) as counter:
        x = g(z)
    assert counter.get_total_flops() == 2 * m * forward_macs(g, (g.latent_dim,))
    with FlopCounterMode(display=False) as counter:
        d(x)
    assert counter.get_total_flops() == 2 * m * forward_macs(d, IMAGE_SHAPE)


def test_layer_macs_restores_the_training_mode() -> None:
    g, _ = build_gan("dcgan")
    running = g.body[2].running_mean.clone()
    layer_macs(g, (100,))
    assert g.training
    assert torch.equal(g.body[2].running_mean, running)  # ran in eval mode: statistics untouched


def test_dcgan_initialisation_is_normal_0_02() -> None:
    before = torch.get_rng_state()
    g, d = build_gan("dcgan", generator=torch.Generator().manual_seed(0))
    assert torch.equal(torch.get_rng_state(), before)
    big = g.body[1].weight  # 627,200 draws: the sample std is within 1 % of 0.02
    assert abs(big.std().item() - 0.02) < 2e-4
    assert abs(big.mean().item()) < 2e-4
    for layer in [*g.modules(), *d.modules()]:
        if isinstance(layer, nn.Conv2d | nn.ConvTranspose2d) and layer.bias is not None:
            assert torch.count_nonzero(layer.bias) == 0
    gamma = torch.cat([m.weight for m in g.modules() if isinstance(m, nn.BatchNorm2d)])
    assert abs(gamma.mean().item() - 1.0) < 0.01
    assert 0.01 < gamma.std().item() < 0.03
    g2, d2 = build_gan("dcgan", generator=torch.Generator().manual_seed(0))
    assert torch.equal(g2.body[1].weight, big)
    assert torch.equal(d2.body[0].weight, d.body[0].weight)


def test_dcgan_discriminator_scores_each_image_alone() -> None:
    gen = torch.Generator().manual_seed(2)
    _, d = build_gan("dcgan", generator=gen)
    x = torch.rand(8, 1, 28, 28, generator=gen) * 2 - 1
    torch.testing.assert_close(d(x)[:3], d(x[:3]))  # no BatchNorm mixing the batch
