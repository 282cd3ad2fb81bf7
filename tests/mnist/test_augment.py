"""ganlib.mnist.augment (DiffAugment) against shifts and masks written out pixel by pixel."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganlib.mnist.augment import DiffAugmentConfig, cutout, diff_augment, translate
from ganlib.mnist.data import load_offline_mnist, to_signed_unit
from ganlib.mnist.models import build_gan


@pytest.fixture(scope="module")
def digits() -> torch.Tensor:
    return to_signed_unit(load_offline_mnist("test").images[:16])


def _shift_by_hand(image: np.ndarray, dr: int, dc: int, fill: float) -> np.ndarray:
    """out[r, c] = image[r - dr, c - dc], or ``fill`` where that pixel lies outside."""
    h, w = image.shape
    out = np.full_like(image, fill)
    for r in range(h):
        for c in range(w):
            if 0 <= r - dr < h and 0 <= c - dc < w:
                out[r, c] = image[r - dr, c - dc]
    return out


def _cutout_by_hand(image: np.ndarray, cr: int, cc: int, size: int, fill: float) -> np.ndarray:
    out = image.copy()
    for r in range(cr - size // 2, cr - size // 2 + size):
        for c in range(cc - size // 2, cc - size // 2 + size):
            if 0 <= r < image.shape[0] and 0 <= c < image.shape[1]:
                out[r, c] = fill
    return out


def test_translate_moves_content_like_a_hand_shift(digits: torch.Tensor) -> None:
    shifts = torch.tensor([[0, 0], [3, -2], [-4, 4], [1, 0], [0, -1], [27, 0], [-28, 5], [2, 2]])
    out = translate(digits[:8], shifts, fill=-1.0).numpy()
    for i, (dr, dc) in enumerate(shifts.tolist()):
        expected = _shift_by_hand(digits[i, 0].numpy(), dr, dc, -1.0)
        np.testing.assert_array_equal(out[i, 0], expected)


def test_cutout_matches_a_hand_mask(digits: torch.Tensor) -> None:
    centres = torch.tensor([[14, 14], [0, 0], [27, 3], [5, 26]])
    sizes = torch.tensor([14, 14, 3, 0])
    out = cutout(digits[:4], centres, sizes, fill=0.5).numpy()
    for i in range(4):
        cr, cc = centres[i].tolist()
        expected = _cutout_by_hand(digits[i, 0].numpy(), cr, cc, int(sizes[i]), 0.5)
        np.testing.assert_array_equal(out[i, 0], expected)
    assert (out[0, 0] == 0.5).sum() == 14 * 14  # a whole square inside the image
    assert (out[1, 0] == 0.5).sum() == 7 * 7  # only its bottom-right quarter is inside


def test_diff_augment_applies_the_offsets_it_draws(digits: torch.Tensor) -> None:
    config = DiffAugmentConfig(policy=("translation",))
    out = diff_augment(digits, config, torch.Generator().manual_seed(3))
    # the same draws, in the documented order: the apply coins, then the offsets in -4..4
    rng = torch.Generator().manual_seed(3)
    coins = torch.rand(len(digits), 1, generator=rng) < 1.0
    shifts = torch.randint(-4, 5, (len(digits), 2), generator=rng) * coins
    assert shifts.abs().max() == 4
    assert (shifts != 0).any(1).sum() >= 12  # most images really move
    for i, (dr, dc) in enumerate(shifts.tolist()):
        expected = _shift_by_hand(digits[i, 0].numpy(), dr, dc, -1.0)
        np.testing.assert_array_equal(out[i, 0].numpy(), expected)


def test_offsets_are_uniform_and_applied_with_probability_p() -> None:
    n = 4000
    dot = torch.full((n, 1, 28, 28), -1.0)
    dot[:, 0, 14, 14] = 1.0  # one ink pixel: where it lands is the offset
    for p in (1.0, 0.5):
        config = DiffAugmentConfig(policy=("translation",), p=p)
        out = diff_augment(dot, config, torch.Generator().manual_seed(0))
        where = out[:, 0].flatten(1).argmax(1)
        dr, dc = where // 28 - 14, where % 28 - 14
        assert dr.abs().max() == 4
        assert dc.abs().max() == 4
        counts = torch.bincount((dr + 4) * 9 + (dc + 4), minlength=81).double() / n
        # applied: uniform over the 81 offsets; not applied: offset (0, 0)
        expected = torch.full((81,), p / 81)
        expected[40] += 1 - p
        assert (counts - expected).abs().max() < 0.012  # about 4 standard errors
        assert float(counts[40]) == pytest.approx(1 - p + p / 81, abs=0.03)


def test_gradients_flow_to_the_input_and_to_g() -> None:
    gen = torch.Generator().manual_seed(0)
    x = (torch.rand(6, 1, 28, 28, generator=gen) * 2 - 1).double().requires_grad_()
    config = DiffAugmentConfig()
    out = diff_augment(x, config, torch.Generator().manual_seed(1))
    out.sum().backward()
    # each input pixel is copied to at most one output pixel: its gradient is 1 if it stays
    # visible after the shift and outside the hole, else 0; the visible ones are exactly the
    # non-fill outputs of the same transform applied to an all-ones image
    seen = diff_augment(torch.ones_like(x), config, torch.Generator().manual_seed(1))
    assert set(x.grad.unique().tolist()) <= {0.0, 1.0}
    assert x.grad.sum() == (seen == 1).sum()
    assert 0 < x.grad.sum() < x.numel()

    def fixed_draws(t: torch.Tensor) -> torch.Tensor:
        return diff_augment(t, config, torch.Generator().manual_seed(1))

    small = (torch.rand(2, 1, 12, 12, generator=gen) * 2 - 1).double().requires_grad_()
    assert torch.autograd.gradcheck(fixed_draws, (small,))  # numerical Jacobian, 288 inputs
    G, D = build_gan("dcgan", generator=torch.Generator().manual_seed(0))
    z = torch.randn(4, G.latent_dim, generator=gen)
    D(diff_augment(G(z), config, torch.Generator().manual_seed(2))).sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in G.parameters())


def test_shape_dtype_and_range_are_kept(digits: torch.Tensor) -> None:
    out = diff_augment(digits, DiffAugmentConfig(), torch.Generator().manual_seed(0))
    assert out.shape == digits.shape
    assert out.dtype == digits.dtype
    assert out.min() >= -1.0
    assert out.max() <= digits.max()
    assert not torch.equal(out, digits)
    assert (out == -1.0).sum() > (digits == -1.0).sum()  # shifted border and holes: background


def test_seeded_and_independent_of_the_global_rng(digits: torch.Tensor) -> None:
    config = DiffAugmentConfig()
    state = torch.get_rng_state()
    torch.manual_seed(0)
    a = diff_augment(digits, config, torch.Generator().manual_seed(5))
    torch.manual_seed(1)
    b = diff_augment(digits, config, torch.Generator().manual_seed(5))
    c = diff_augment(digits, config, torch.Generator().manual_seed(6))
    torch.set_rng_state(state)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    # one generator drawn from twice (the real batch, then the fake batch): new draws each time
    rng = torch.Generator().manual_seed(5)
    first, second = diff_augment(digits, config, rng), diff_augment(digits, config, rng)
    assert torch.equal(first, a)
    assert not torch.equal(first, second)


def test_probability_zero_is_the_identity(digits: torch.Tensor) -> None:
    out = diff_augment(digits, DiffAugmentConfig(p=0.0), torch.Generator().manual_seed(0))
    assert torch.equal(out, digits)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"policy": ("color",)}, "policy"),
        ({"policy": ()}, "policy"),
        ({"p": 1.5}, "p must"),
        ({"translation_ratio": 0.7}, "translation_ratio"),
        ({"cutout_ratio": -0.1}, "cutout_ratio"),
    ],
)
def test_bad_settings_raise(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        DiffAugmentConfig(**kwargs)
