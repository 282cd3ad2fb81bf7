"""ganlib.plane.models: sizes counted by hand, the minibatch std against a direct computation."""

from __future__ import annotations

import pytest
import torch

from ganlib.plane.models import (
    MinibatchStdDiscriminator,
    PlaneDiscriminator,
    PlaneGenerator,
    PlaneNetConfig,
    build_plane_nets,
)


def _n_params(m: torch.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def test_default_nets_have_the_sizes_counted_by_hand() -> None:
    g, d = build_plane_nets(PlaneNetConfig())
    assert isinstance(g, PlaneGenerator)
    assert isinstance(d, PlaneDiscriminator)
    two_layers = (2 * 128 + 128) + (128 * 128 + 128)
    # G: 2 -> 128 -> 128 -> 128 -> 2; D: 2 -> 128 -> 128 -> 1
    assert _n_params(g) == two_layers + (128 * 128 + 128) + (128 * 2 + 2) == 33_666
    assert _n_params(d) == two_layers + (128 * 1 + 1) == 17_025
    z = torch.randn(5, 2, generator=torch.Generator().manual_seed(0))
    assert g(z).shape == (5, 2)
    assert d(g(z)).shape == (5, 1)


def test_minibatch_std_d_adds_one_input_to_its_last_hidden_layer() -> None:
    _, d = build_plane_nets(PlaneNetConfig(d_kind="minibatch-std", group=4))
    assert isinstance(d, MinibatchStdDiscriminator)
    per_sample = _n_params(build_plane_nets(PlaneNetConfig())[1])
    assert _n_params(d) == per_sample + 128  # one more input column of the second layer


def test_the_statistic_is_the_mean_feature_std_of_each_group() -> None:
    torch.manual_seed(0)
    d = MinibatchStdDiscriminator(PlaneNetConfig(d_kind="minibatch-std", group=4))
    x = torch.randn(12, 2, generator=torch.Generator().manual_seed(1))
    h = d.body(x).detach().numpy()
    expected = [h[i : i + 4].std(axis=0).mean() for i in range(0, 12, 4)]  # numpy, ddof 0
    assert d.statistic(x).detach().numpy() == pytest.approx(expected, rel=1e-5)


def test_a_collapsed_batch_is_judged_differently_and_pushed_apart() -> None:
    torch.manual_seed(0)
    d = MinibatchStdDiscriminator(PlaneNetConfig(d_kind="minibatch-std", group=8))
    same = torch.zeros(8, 2)
    assert float(d.statistic(same)[0].detach()) < 1e-3  # sqrt(eps): no spread at all
    spread = torch.randn(8, 2, generator=torch.Generator().manual_seed(2))
    # score() with the group's own statistic is exactly forward()
    torch.testing.assert_close(d.score(spread, d.statistic(spread)[0]), d(spread))
    # through the statistic, one point's logit depends on where the others are
    x = spread.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(d(x)[0, 0], x)
    assert grad[1:].abs().sum() > 0
    per_sample = PlaneDiscriminator(PlaneNetConfig())
    x2 = spread.clone().requires_grad_(True)
    (grad2,) = torch.autograd.grad(per_sample(x2)[0, 0], x2)
    assert grad2[1:].abs().sum() == 0  # a per-sample D does not look at the others


def test_batches_must_fill_whole_groups() -> None:
    d = MinibatchStdDiscriminator(PlaneNetConfig(d_kind="minibatch-std", group=8))
    with pytest.raises(ValueError, match=r"multiple of net\.group=8"):
        d(torch.zeros(12, 2))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"g_hidden": ()}, "net.g_hidden"),
        ({"d_hidden": (0,)}, "net.d_hidden"),
        ({"activation": "swish"}, "net.activation"),
        ({"d_kind": "pacgan"}, "net.d_kind"),
        ({"group": 1}, "net.group"),
    ],
)
def test_bad_architectures_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PlaneNetConfig(**kwargs)


def test_he_init_draws_hidden_weights_with_he_variance_and_spreads_a_fresh_g() -> None:
    torch.manual_seed(0)
    pytorch = PlaneGenerator(PlaneNetConfig())
    torch.manual_seed(0)
    he = PlaneGenerator(PlaneNetConfig(g_init="he"))
    linears = [m for m in he.net if isinstance(m, torch.nn.Linear)]
    for layer in linears[:-1]:  # He et al.: std = sqrt(2 / (1 + 0.01^2)) / sqrt(fan_in)
        want = (2 / (1 + 0.01**2)) ** 0.5 / layer.in_features**0.5
        assert float(layer.weight.detach().std()) == pytest.approx(want, rel=0.1)
    default = [m for m in pytorch.net if isinstance(m, torch.nn.Linear)]
    # the output layer keeps PyTorch's U(+-1/sqrt(fan_in)) (std 1/sqrt(3 fan_in)); biases too
    assert float(linears[-1].weight.detach().std()) == pytest.approx(1 / (3 * 128) ** 0.5, rel=0.3)
    assert float(linears[-1].weight.detach().abs().max()) <= 1 / 128**0.5
    z = torch.randn(5_000, 2, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        spread_he, spread_pytorch = float(he(z).std(0).min()), float(pytorch(z).std(0).max())
    assert spread_pytorch < 0.06, "PyTorch's default: a fresh G is a blob a few hundredths wide"
    assert spread_he > 3 * spread_pytorch, "He's: spread over tenths"
    assert float(default[0].weight.detach().abs().max()) <= 1 / 2**0.5  # PyTorch's bound, fan_in 2
    with pytest.raises(ValueError, match=r"net\.g_init"):
        PlaneNetConfig(g_init="xavier")
