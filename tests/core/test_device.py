"""ganlib.core.device: run-time device choice with a CPU fallback, explicit seeding."""

from __future__ import annotations

import pytest
import torch

from ganlib.core.device import make_generator, pick_device


def test_pick_device_falls_back_to_cpu_when_cuda_is_missing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    device = pick_device("cuda")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert device.type == expected
    assert f"using device {device.type}" in capsys.readouterr().out


def test_pick_device_best_available_is_a_real_device() -> None:
    device = pick_device(verbose=False)
    torch.zeros(1, device=device)  # allocates on it, so the choice is usable


def test_pick_device_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match="not a device type"):
        pick_device("tpu")


def test_make_generator_is_reproducible_and_independent_of_global_state() -> None:
    a = torch.rand(5, generator=make_generator(3))
    torch.manual_seed(123)
    b = torch.rand(5, generator=make_generator(3))
    assert torch.equal(a, b)
    assert not torch.equal(a, torch.rand(5, generator=make_generator(4)))


@pytest.mark.parametrize("seed", [-1, 1.5, True])
def test_make_generator_rejects_bad_seeds(seed: object) -> None:
    with pytest.raises(ValueError, match="seed"):
        make_generator(seed)  # type: ignore[arg-type]
