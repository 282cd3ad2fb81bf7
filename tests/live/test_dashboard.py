"""ganlib.live.dashboard on a minimal game: the framework's feedback, ranges and close guard
work for any Game and Dashboard subclass, not only the toy's."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib.pyplot as plt
import pytest
import torch
from torch import nn

from ganlib.core.game import Game, GameConfig
from ganlib.live.dashboard import Dashboard, DashboardSettings, fit_widget_to
from ganlib.live.figure import BlitFigure

pytestmark = pytest.mark.usefixtures("agg_backend", "one_torch_thread")


@dataclass(frozen=True)
class LineConfig(GameConfig):
    batch_size: int = 8


class LineGame(Game):
    config_class = LineConfig

    def _build_nets(self, config: LineConfig) -> tuple[nn.Module, nn.Module]:
        return nn.Linear(1, 1), nn.Linear(1, 1)

    def _on_reset(self) -> None:
        self.history: list[int] = []

    def real_batch(self, n: int, generator: torch.Generator) -> torch.Tensor:
        return 2.0 + torch.randn(n, 1, generator=generator)

    def noise(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        return torch.randn(n, 1, generator=self._gen if generator is None else generator)

    def record(self) -> None:
        self.history.append(self.step)


class LineDashboard(Dashboard):
    MID_RUN_SETTINGS = ("lr_d", "k", "loss")
    RESET_SETTINGS = ("seed",)

    def _build_setting_controls(self) -> None:
        self.lr_d = widgets.FloatLogSlider(value=1e-3, min=-4, max=-1, description="lr_D")
        self.k = widgets.IntSlider(value=1, min=1, max=5, description="k")
        self.loss = widgets.Dropdown(options=("non-saturating",), description="loss")
        self.seed = widgets.BoundedIntText(value=0, min=0, max=10, description="seed")

    def _build_figure(self) -> BlitFigure:
        with plt.ioff():
            fig = plt.figure()
        (self.line,) = fig.add_subplot().plot([0, 1], [0, 1])
        return BlitFigure(fig, [self.line])

    def _show(self) -> None:
        self.line.set_ydata([0, float(self.gan.G.weight.detach())])


@pytest.fixture
def dash() -> Iterator[LineDashboard]:
    d = LineDashboard(LineGame(LineConfig(k=7, lr_d=0.5, loss="minimax")), DashboardSettings())
    yield d
    d.close()


def test_every_widget_is_widened_to_show_the_games_config(dash: LineDashboard) -> None:
    assert (dash.k.value, dash.k.max) == (7, 7)  # ipywidgets alone would show 5
    assert dash.lr_d.value == pytest.approx(0.5)
    assert dash.lr_d.max == 0  # 10^0 >= 0.5
    assert dash.loss.value == "minimax"
    assert dash.loss.options == ("non-saturating", "minimax")
    assert dash.apply(seed=25)  # beyond the text box's max
    assert (dash.seed.value, dash.gan.config.seed) == (25, 25)


def test_fit_widget_to_widens_down_as_well() -> None:
    slider = widgets.FloatLogSlider(value=1e-2, min=-3, max=-1)
    fit_widget_to(slider, 2e-6)
    assert slider.min == -6
    box = widgets.IntSlider(value=3, min=2, max=9)
    fit_widget_to(box, -4)
    assert box.min == -4
    pick = widgets.SelectionSlider(options=(1, 4, 16), value=4)
    fit_widget_to(pick, 8)
    assert pick.options == (1, 4, 8, 16)


def test_pending_applied_and_refused_notes(dash: LineDashboard) -> None:
    dash.k.value = 3
    assert dash.status_text == "step 0 · k 3, applies at the next step"
    dash.run_chunk()
    assert dash.status_text == f"step {dash.gan.step}"
    assert not dash.apply(k=0)
    assert dash.status_text.startswith(f"step {dash.gan.step} · not applied: k must be an int")
    assert dash.format_setting("lr_d", 1.6e-3) == "lr_D 1.6e-3"
    assert dash.format_setting("lr_d", 0.0199526) == "lr_D 2.0e-2"
    assert dash.format_setting("lr_d", 0.5) == "lr_D 0.5"
    assert dash.format_setting("k", 3) == "k 3"


def test_a_closed_dashboard_refuses_every_call(dash: LineDashboard) -> None:
    dash.close()
    with pytest.raises(RuntimeError, match=r"LineDashboard was closed.*LineDashboard\(\)"):
        dash.run_chunk()
    with pytest.raises(RuntimeError, match="was closed"):
        dash.apply(k=2)
