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


def test_reference_architecture_matches_fifty_line_gan():
    g, d = build_toy_nets(ToyNetConfig.reference())
    # G: Linear(1,50) ELU, Linear(50,50) Sigmoid, Linear(50,1)
    kinds = [type(m) for m in g.net]
    assert kinds == [nn.Linear, nn.ELU, nn.Linear, nn.Sigmoid, nn.Linear]
    assert _n_params(g) == (1 * 50 + 50) + (50 * 50 + 50) + (50 + 1)
    # D per sample: Linear(1,50) ELU, Linear(50,50) ELU, Linear(50,1) (sigmoid inside the loss)
    assert [type(m) for m in d.net] == [nn.Linear, nn.ELU, nn.Linear, nn.ELU, nn.Linear]
    assert _n_params(d) == (1 * 50 + 50) + (50 * 50 + 50) + (50 + 1)


def test_minibatch_reference_sees_200_inputs():
    _, d = build_toy_nets(ToyNetConfig.reference(minibatch=True))
    assert isinstance(d, MinibatchDiscriminator)
    assert d.net[0].in_features == 200
    x = torch.randn(300, 1, generator=torch.Generator().manual_seed(0))
    assert d(x).shape == (3, 1)


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
    g = ToyGenerator(ToyNetConfig())
    z = torch.rand(64, g.noise_dim, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        before = g(z) - g.net[-1].bias
        g.net[-1].weight.mul_(100.0)
        after = g(z) - g.net[-1].bias
    assert torch.allclose(after, 100.0 * before, rtol=1e-4, atol=1e-5)


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
