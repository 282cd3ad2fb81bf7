"""Tests for ganlib.toy.models: shapes, the reference architecture, the minibatch D."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ganlib.toy.models import (
    MinibatchDiscriminator,
    ToyDiscriminator,
    ToyGenerator,
    ToyNetConfig,
    build_toy_nets,
)


def _n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_shapes_of_default_nets():
    cfg = ToyNetConfig(noise_dim=3)
    g, d = build_toy_nets(cfg)
    assert isinstance(d, ToyDiscriminator)
    z = torch.rand(7, 3, generator=torch.Generator().manual_seed(0))
    x = g(z)
    assert x.shape == (7, 1)
    assert d(x).shape == (7, 1)


def test_reference_nets_are_the_fifty_line_gans():
    """G 1-50 ELU-50 Sigmoid-1; D the minibatch D on 100 samples + 100 squared deviations."""
    g, d = build_toy_nets(ToyNetConfig.reference())
    kinds = [type(m) for m in g.net]
    assert kinds == [nn.Linear, nn.ELU, nn.Linear, nn.Sigmoid, nn.Linear]
    assert _n_params(g) == (1 * 50 + 50) + (50 * 50 + 50) + (50 + 1) == 2_701
    # D: Linear(200,50) ELU, Linear(50,50) ELU, Linear(50,1) (its sigmoid is inside the loss)
    assert isinstance(d, MinibatchDiscriminator)
    assert [type(m) for m in d.net] == [nn.Linear, nn.ELU, nn.Linear, nn.ELU, nn.Linear]
    assert d.net[0].in_features == 200
    assert _n_params(d) == (200 * 50 + 50) + (50 * 50 + 50) + (50 + 1) == 12_651
    x = torch.randn(300, 1, generator=torch.Generator().manual_seed(0))
    assert d(x).shape == (3, 1)  # one logit per group of 100
    assert not ToyNetConfig.reference().standardise  # the post feeds raw numbers


def test_per_sample_variant_of_the_reference_d_has_its_layers_on_one_input():
    _, d = build_toy_nets(ToyNetConfig.reference(minibatch=False))
    assert isinstance(d, ToyDiscriminator)
    assert [type(m) for m in d.net] == [nn.Linear, nn.ELU, nn.Linear, nn.ELU, nn.Linear]
    assert _n_params(d) == (1 * 50 + 50) + (50 * 50 + 50) + (50 + 1)


def test_standardised_nets_work_in_the_data_units():
    """G's output is mean + std * mlp(2z - 1); D sees (x - mean) / std: checked by hand."""
    cfg = ToyNetConfig(noise_dim=1)
    g, d = build_toy_nets(cfg, data_units=(4.0, 1.25), noise_units=(0.5, 0.5))
    z = torch.rand(9, 1, generator=torch.Generator().manual_seed(2))
    x = torch.randn(9, 1, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        torch.testing.assert_close(g(z), 4.0 + 1.25 * g.net(2 * z - 1))
        torch.testing.assert_close(d(x), d.net((x - 4.0) / 1.25))
    raw_g, raw_d = build_toy_nets(ToyNetConfig(standardise=False), (4.0, 1.25), (0.5, 0.5))
    with torch.no_grad():
        torch.testing.assert_close(raw_g(z), raw_g.net(z))  # the units are ignored
        torch.testing.assert_close(raw_d(x), raw_d.net(x))
    mb = MinibatchDiscriminator(ToyNetConfig(minibatch=True, minibatch_group=9), 4.0, 1.25)
    flat = ((x - 4.0) / 1.25).reshape(1, 9)
    expected = mb.net(torch.cat([flat, (flat - flat.mean()) ** 2], dim=1))
    with torch.no_grad():
        torch.testing.assert_close(mb(x), expected)
    with pytest.raises(ValueError, match="data_std"):
        ToyGenerator(cfg, 0.0, 0.0)


def test_minibatch_features_are_values_and_squared_deviations():
    cfg = ToyNetConfig(minibatch=True, minibatch_group=4, d_hidden=(), d_activations=())
    d = MinibatchDiscriminator(cfg)
    lin = d.net[0]
    x = torch.tensor([[1.0], [2.0], [3.0], [6.0]])
    expected_in = torch.tensor([1.0, 2.0, 3.0, 6.0, 4.0, 1.0, 0.0, 9.0])  # mean is 3
    with torch.no_grad():
        assert torch.allclose(d(x), lin(expected_in.unsqueeze(0)))


def test_minibatch_without_deviations():
    cfg = ToyNetConfig(minibatch=True, minibatch_group=5, minibatch_deviations=False)
    d = MinibatchDiscriminator(cfg)
    assert d.net[0].in_features == 5


def test_minibatch_rejects_ragged_batch():
    d = MinibatchDiscriminator(ToyNetConfig(minibatch=True, minibatch_group=4))
    with pytest.raises(ValueError, match="multiple"):
        d(torch.zeros(6, 1))


def test_default_generator_output_is_unbounded():
    """A linear last layer can reach any value: scaling the last layer scales the output."""
    g = ToyGenerator(ToyNetConfig(), shift=4.0, scale=1.25)
    z = torch.rand(64, g.noise_dim, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        before = g(z) - 4.0 - 1.25 * g.net[-1].bias
        g.net[-1].weight.mul_(100.0)
        after = g(z) - 4.0 - 1.25 * g.net[-1].bias
    assert torch.allclose(after, 100.0 * before, rtol=1e-4, atol=1e-4)


def test_generator_gradient_matches_finite_differences():
    g = ToyGenerator(ToyNetConfig()).double()
    z = torch.rand(5, g.noise_dim, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    assert torch.autograd.gradcheck(lambda t: g(t), (z.requires_grad_(),))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"noise_dim": 0}, "noise_dim"),
        ({"g_hidden": (8,), "g_activations": ("tanh", "tanh")}, "one activation"),
        ({"d_activations": ("swish", "tanh")}, "d_activations"),
        ({"g_hidden": (0, 8)}, "g_hidden"),
        ({"minibatch_group": 0}, "minibatch_group"),
    ],
)
def test_bad_net_config_raises(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ToyNetConfig(**kwargs).validate()
