r"""Notebook 02's live dashboard: train the toy GAN, watch :math:`p_g` chase :math:`p_\text{data}`.

One persistent ipympl figure (Figure-1 panel, generated mean/std, JS on a log scale) is updated
in place while :class:`ganlib.toy_training.ToyGAN` trains; ipywidgets set the learning rates,
k, the batch size, the generator loss, the noise and the target, and Play/Pause, Step D, Step G
and Reset drive the game.

How it trains without freezing the page
---------------------------------------
Training runs **on the kernel's own asyncio event loop, in short chunks**: Play schedules a task
(:meth:`ToyDashboard.run`) that repeatedly trains for about ``chunk_seconds`` (40 ms), records
the history, moves the lines and blits them (:class:`LiveFigure`: only the moving lines are
re-rendered, a frame costs milliseconds where a full draw costs 100-200 ms), then ``await``\ s a
few milliseconds. While it waits, the kernel handles the messages that arrived meanwhile: a
slider move, a Pause click, ipympl's request for a full draw. So the page redraws about ten or
more times a second and stays responsive, and every setting takes effect at the next chunk.

The alternative, a training thread, was rejected: matplotlib and ipywidgets are not
thread-safe, so a thread could only train, and the main thread would still need a timer to draw;
two threads would also contend for the GIL and PyTorch's locks on a 2-core laptop. With chunks,
one thread does everything in a fixed order and nothing can race.

Outside Jupyter (tests, scripts) nothing needs an event loop: call :meth:`ToyDashboard.run_chunk`
directly, or ``asyncio.run(dashboard.run(max_chunks=...))``.

Every setting goes through :meth:`ToyGAN.update` (mid-run settings) or :meth:`ToyGAN.reset`
(target and noise). A setting the library refuses is shown in the status line and the widget
snaps back; a run that blows up (NaN or infinite loss, e.g. at lr = 1) stops with
"diverged at step N: ...; press Reset" and the figure keeps its last finite state.
"""

from __future__ import annotations

import asyncio
import html
import math
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from ganlib.distributions import NOISE_KINDS, TARGETS, Density
from ganlib.toy_plots import StageArtists, draw_stage, reference_style, support_limits
from ganlib.toy_training import LOSSES, ToyGAN, ToyGANConfig

BATCH_SIZES: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
RESET_SETTINGS = ("target", "noise")  # these need new networks: ToyGAN.reset
MID_RUN_SETTINGS = ("lr_d", "lr_g", "k", "batch_size", "loss")  # ToyGAN.update
STAGE_TITLE = "densities and D(x)"
LIVE_DENSITY_TOP = 2.2  # the live density axis shows up to this multiple of p_data's peak
TRACE_STEPS = 500  # initial width of the trace panels, in generator steps (doubles as needed)
JS_LIMITS = (1e-4, 1.0)  # y-range of the live JS panel (the estimator's floor is about 3e-4)


@dataclass(frozen=True)
class DashboardSettings:
    """How the dashboard trains and draws (not the GAN's own settings).

    Attributes
    ----------
    chunk_seconds : float
        Training time between two redraws (at least one iteration is always run).
    yield_seconds : float
        Sleep after each chunk, so the kernel can handle widget and ipympl messages.
    snapshot_samples : int
        Generator samples behind the plotted :math:`p_g` (the status line's numbers use the
        history's 10,000).
    lr_exponents : (float, float)
        The learning-rate sliders span ``10**lo`` to ``10**hi``.
    max_k : int
        Largest k on the k slider.
    figsize : (float, float)
        Inches; the figure is created once and updated in place.
    """

    chunk_seconds: float = 0.04
    yield_seconds: float = 0.005
    snapshot_samples: int = 4000
    lr_exponents: tuple[float, float] = (-5.0, 0.0)
    max_k: int = 20
    figsize: tuple[float, float] = (9.6, 3.4)

    def validate(self) -> None:
        """Raise ``ValueError`` naming a bad setting and its valid range."""
        if not 0.001 <= self.chunk_seconds <= 1.0:
            raise ValueError(f"chunk_seconds must be in [0.001, 1], got {self.chunk_seconds}")
        if not 0.0 <= self.yield_seconds <= 1.0:
            raise ValueError(f"yield_seconds must be in [0, 1], got {self.yield_seconds}")
        if self.snapshot_samples < 100:
            raise ValueError(f"snapshot_samples must be >= 100, got {self.snapshot_samples}")
        lo, hi = self.lr_exponents
        if not lo < hi <= 0.0:
            raise ValueError(f"lr_exponents must satisfy lo < hi <= 0, got {self.lr_exponents}")
        if not 1 <= self.max_k <= 1000:
            raise ValueError(f"max_k must be in [1, 1000], got {self.max_k}")


def _send_whole_frames(canvas: Any) -> None:
    """Make ipympl send the next frame as a whole image, not as a diff of the previous one.

    ipympl's browser side keeps only the newest image it was sent: when frames arrive faster than
    it decodes them, older ones are dropped, and a dropped *diff* leaves stale lines on screen.
    A whole frame is always right on its own. (``_force_full`` is matplotlib's WebAgg flag; other
    canvases do not have it and need nothing.)
    """
    if hasattr(canvas, "_force_full"):
        canvas._force_full = True


class LiveFigure:
    """The dashboard's one figure, redrawn by *blitting*: only the moving lines are re-rendered.

    A full matplotlib draw of three panels (ticks, labels, legends) takes 100-200 ms on a laptop
    core, too slow for ten frames a second. So the lines that move (:math:`p_g`, D, D*, and the
    three traces) are *animated* artists: after each full draw the static background is copied
    (``copy_from_bbox``), and a frame is the background pasted back, six lines drawn on it and
    ``canvas.blit`` (ipympl then sends the new image). A full draw happens only when
    the static part changes: a new target, a trace outgrowing its axes (the step axis doubles),
    or a divergence. With a non-interactive backend (Agg, in tests) the same code simply renders
    off-screen.

    Parameters
    ----------
    snap : dict
        A :meth:`ToyGAN.snapshot` to start from.
    target : Density
        The data distribution (its mean and std give the reference lines).
    figsize : (float, float)
    """

    def __init__(self, snap: dict[str, np.ndarray], target: Density, figsize: tuple[float, float]):
        with plt.ioff():  # ipympl would otherwise display the figure a second time
            fig = plt.figure(figsize=figsize)
        grid = fig.add_gridspec(1, 3, width_ratios=(1.5, 1.0, 1.0))
        ax_stage, self.ax_ms, self.ax_js = (fig.add_subplot(grid[0, i]) for i in range(3))
        self.stage: StageArtists = draw_stage(ax_stage, snap, title=STAGE_TITLE)
        (self.mean_line,) = self.ax_ms.plot([], [], color="C0", label="mean")
        (self.std_line,) = self.ax_ms.plot([], [], color="C1", label="std")
        ref = reference_style()
        self.mean_ref = self.ax_ms.axhline(0.0, color="C0", **ref)
        self.std_ref = self.ax_ms.axhline(0.0, color="C1", **ref)
        self.ax_ms.set_title("generated mean and std")
        self.ax_ms.legend(loc="lower right", fontsize="small")
        (self.js_line,) = self.ax_js.plot([], [], color="purple")
        self.ax_js.set_yscale("log")
        self.ax_js.set_ylim(*JS_LIMITS)  # fixed, so the fall towards 0 is visible at a glance
        self.ax_js.axhline(math.log(2.0), color="purple", **ref)  # JS <= ln 2
        self.ax_js.set_title("JS (nats; dashed: ln 2)")
        for ax in (self.ax_ms, self.ax_js):
            ax.set_xlabel("generator step")
        fig.tight_layout()
        for attr in ("header_visible", "footer_visible"):
            if hasattr(fig.canvas, attr):  # ipympl's canvas widget only
                setattr(fig.canvas, attr, False)
        self.figure = fig
        s = self.stage
        self.moving = [s.p_g, s.d, s.d_star, self.mean_line, self.std_line, self.js_line]
        for artist in self.moving:
            artist.set_animated(True)
        self.full_draws = self.blits = 0
        self._background: Any = None
        self._requested = -math.inf  # when the last full draw was asked for
        fig.canvas.mpl_connect("draw_event", self._on_draw)
        self.set_target(snap, target)

    def set_target(self, snap: dict[str, np.ndarray], target: Density) -> None:
        """Fixed axes for a (new) target: x-range, density height, reference lines, traces."""
        self.stage.update(snap)
        self.stage.ax.set_xlim(*support_limits(snap["x"], snap["p_data"]))
        self.stage.ax.set_ylim(0.0, LIVE_DENSITY_TOP * float(np.max(snap["p_data"])))
        self.mean_ref.set_ydata([target.mean, target.mean])
        self.std_ref.set_ydata([target.std, target.std])
        self.ax_ms.set_ylim(min(0.0, target.mean - 3 * target.std), target.mean + 3 * target.std)
        for ax in (self.ax_ms, self.ax_js):
            ax.set_xlim(0, TRACE_STEPS)
        self.stage.ax.set_title(STAGE_TITLE, color="black")
        self._background = None

    def show(
        self, snap: dict[str, np.ndarray] | None, history: Any, diverged_at: int | None
    ) -> None:
        """Put ``snap`` and the history's curves on screen (``snap=None`` keeps the panel)."""
        if snap is not None:
            self.stage.update(snap, rescale=False)
        self.mean_line.set_data(history.step, history.mean)
        self.std_line.set_data(history.step, history.std)
        js = np.asarray(history.js, dtype=np.float64)
        self.js_line.set_data(history.step, np.where(js > 0, js, np.nan))
        if diverged_at is not None:
            title = f"diverged at step {diverged_at}"
            if self.stage.ax.get_title() != title:
                self.stage.ax.set_title(title, color="red")
                self._background = None
        if self._grow_limits(history):
            self._background = None
        self._render()

    def _grow_limits(self, history: Any) -> bool:
        """Widen the trace axes when the curves leave them; True if anything changed."""
        if len(history.step) == 0:
            return False
        changed = False
        last, (_, right) = history.step[-1], self.ax_ms.get_xlim()
        if last > right:
            for ax in (self.ax_ms, self.ax_js):
                ax.set_xlim(0, max(2 * right, 1.25 * last))
            changed = True
        ys = np.asarray([*history.mean, *history.std], dtype=np.float64)
        ys = ys[np.isfinite(ys)]
        lo, hi = self.ax_ms.get_ylim()
        if ys.size and (ys.min() < lo or ys.max() > hi):
            pad = 0.1 * (max(hi, ys.max()) - min(lo, ys.min()))
            self.ax_ms.set_ylim(min(lo, ys.min() - pad), max(hi, ys.max() + pad))
            changed = True
        return changed

    def _render(self) -> None:
        canvas = self.figure.canvas
        if self._background is None:
            # ipympl draws when the browser asks; ask again if no draw came within a second
            if time.perf_counter() - self._requested > 1.0:
                self._requested = time.perf_counter()
                canvas.draw_idle()
            return
        canvas.restore_region(self._background)
        for artist in self.moving:
            self.figure.draw_artist(artist)
        _send_whole_frames(canvas)
        canvas.blit(self.figure.bbox)
        self.blits += 1

    def _on_draw(self, event: Any) -> None:
        """After every full draw: keep the background, then draw the moving lines on it."""
        if event is not None and event.canvas.is_saving():  # savefig: just add the lines
            for artist in self.moving:
                artist.draw(event.renderer)
            return
        self.full_draws += 1
        self._requested = -math.inf
        _send_whole_frames(self.figure.canvas)
        self._background = self.figure.canvas.copy_from_bbox(self.figure.bbox)
        for artist in self.moving:
            self.figure.draw_artist(artist)


class ToyDashboard:
    """Sliders, buttons, a status line and one live figure over a :class:`ToyGAN`.

    Parameters
    ----------
    config : ToyGANConfig, optional
        The GAN's starting settings (default: ``ToyGANConfig()``).
    settings : DashboardSettings, optional
    device : str or torch.device
        Where the toy nets live (the CPU is fastest for them).

    Attributes
    ----------
    gan : ToyGAN
    lr_d, lr_g, k, batch_size, loss, noise, target : ipywidgets
        The controls; setting ``.value`` from code has the same effect as moving them.
    play_button, step_d_button, step_g_button, reset_button : ipywidgets.Button
    status : ipywidgets.HTML
        The status line; :attr:`status_text` is its plain text.
    figure : matplotlib.figure.Figure
    widget : ipywidgets.VBox
        The whole dashboard; a notebook cell ending in the dashboard displays it.
    last_error : Exception or None
        An unexpected error that stopped :meth:`run` (shown in the status line).

    Notes
    -----
    Introduced in notebook 02. Use it inside ``%matplotlib widget`` for a live figure; under a
    non-interactive backend (Agg, in tests) the figure is drawn off-screen.
    """

    def __init__(
        self,
        config: ToyGANConfig | None = None,
        settings: DashboardSettings | None = None,
        device: str | torch.device = "cpu",
    ) -> None:
        self.settings = settings if settings is not None else DashboardSettings()
        self.settings.validate()
        self.gan = ToyGAN(config if config is not None else ToyGANConfig(), device=device)
        self.last_error: Exception | None = None
        self.status_text = ""
        self.redraws = 0
        self._redraw_times: deque[float] = deque(maxlen=20)
        self._playing = False
        self._task: asyncio.Task[None] | None = None
        self._syncing = False
        self._build_controls()
        self._sync_widgets()
        snap = self.gan.snapshot(n=self.settings.snapshot_samples)
        self.live = LiveFigure(snap, self.gan.target, self.settings.figsize)
        self.widget = self._layout()
        self.gan.record()
        self.redraw()

    # ---- widgets --------------------------------------------------------------------------
    def _build_controls(self) -> None:
        c, s = self.gan.config, self.settings
        lo, hi = s.lr_exponents
        log = {"base": 10, "min": lo, "max": hi, "step": 0.1, "readout_format": ".1e"}
        common: dict[str, Any] = {
            "continuous_update": False,
            "style": {"description_width": "70px"},
        }
        self.lr_d = widgets.FloatLogSlider(value=c.lr_d, description="lr_D", **log, **common)
        self.lr_g = widgets.FloatLogSlider(value=c.lr_g, description="lr_G", **log, **common)
        self.k = widgets.IntSlider(
            value=min(c.k, s.max_k), min=1, max=s.max_k, description="k", **common
        )
        self.batch_size = widgets.SelectionSlider(
            options=BATCH_SIZES, value=BATCH_SIZES[0], description="batch", **common
        )
        self.loss = widgets.Dropdown(options=LOSSES, value=c.loss, description="G loss")
        self.noise = widgets.Dropdown(options=NOISE_KINDS, value=c.noise, description="noise z")
        self.target = widgets.Dropdown(options=tuple(TARGETS), value=c.target, description="target")
        for name in (*MID_RUN_SETTINGS, *RESET_SETTINGS):
            getattr(self, name).observe(self._on_setting, names="value")
        self.play_button = widgets.Button(description="Play", icon="play", button_style="success")
        self.step_d_button = widgets.Button(description="Step D", tooltip="one discriminator step")
        self.step_g_button = widgets.Button(description="Step G", tooltip="one generator step")
        self.reset_button = widgets.Button(description="Reset", icon="undo", button_style="warning")
        self.play_button.on_click(lambda _: self.toggle())
        self.step_d_button.on_click(lambda _: self.step_d())
        self.step_g_button.on_click(lambda _: self.step_g())
        self.reset_button.on_click(lambda _: self.reset())
        self.status = widgets.HTML(value="")
        self.status.add_class("ganlib-dashboard-status")  # a handle for tests/test_browser.py

    def _layout(self) -> widgets.VBox:
        canvas = self.figure.canvas
        view = canvas if isinstance(canvas, widgets.DOMWidget) else widgets.Output()
        buttons = [self.play_button, self.step_d_button, self.step_g_button, self.reset_button]
        box = widgets.VBox(
            [
                widgets.HBox(buttons),
                widgets.HBox([self.lr_d, self.lr_g, self.k]),
                widgets.HBox([self.batch_size, self.loss, self.noise, self.target]),
                self.status,
                view,
            ]
        )
        box.add_class("ganlib-dashboard")
        return box

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    # ---- the figure -----------------------------------------------------------------------
    @property
    def figure(self) -> Figure:
        """The one persistent matplotlib figure (an ipympl canvas under ``%matplotlib widget``)."""
        return self.live.figure

    @property
    def stage(self) -> StageArtists:
        """The lines of the Figure-1 panel."""
        return self.live.stage

    def redraw(self) -> None:
        """Move the lines to the current state, refresh the status line and the canvas."""
        snap = None
        if self.gan.diverged is None:
            snap = self.gan.snapshot(n=self.settings.snapshot_samples)
        diverged_at = None if self.gan.diverged is None else self.gan.diverged.step
        self.live.show(snap, self.gan.history, diverged_at)
        self._redraw_times.append(time.perf_counter())
        self.redraws += 1
        self._update_status()

    def describe(self) -> str:
        """The GAN's current settings on one line (for notebooks and logs)."""
        c = self.gan.config
        return (
            f"lr_D {c.lr_d:.1e} · lr_G {c.lr_g:.1e} · k {c.k} · batch {c.batch_size} · "
            f"loss {c.loss} · noise {c.noise} · target {c.target} · seed {c.seed}"
        )

    @property
    def redraw_rate(self) -> float:
        """Redraws per second over the last (up to) 20 redraws; NaN before two."""
        t = self._redraw_times
        return (len(t) - 1) / (t[-1] - t[0]) if len(t) > 1 and t[-1] > t[0] else math.nan

    def _update_status(self, note: str = "") -> None:
        gan, h = self.gan, self.gan.history
        if gan.diverged is not None:
            text, colour = gan.diverged.message, "#b00020"
        elif len(h) == 0:
            text, colour = f"step {gan.step}", "black"
        else:
            text = f"step {gan.step} · JS {h.js[-1]:.4f} nats · mean {h.mean[-1]:.3f}"
            text += f" · std {h.std[-1]:.3f}"
            if self._playing and not math.isnan(self.redraw_rate):
                text += f" · {self.redraw_rate:.0f} redraws/s"
            colour = "black"
        if note:
            text += f" · {note}"
        self.status_text = text
        self.status.value = f'<span style="color:{colour}">{html.escape(text)}</span>'

    # ---- settings -------------------------------------------------------------------------
    def _on_setting(self, change: dict[str, Any]) -> None:
        if self._syncing:
            return
        name = next(
            n for n in (*MID_RUN_SETTINGS, *RESET_SETTINGS) if getattr(self, n) is change["owner"]
        )
        self.apply(**{name: change["new"]})

    def apply(self, **settings: Any) -> bool:
        """Change settings: mid-run ones via ``ToyGAN.update``, target/noise via a reset.

        Returns False, shows why in the status line and puts the widgets back, if the library
        refuses a value (``ValueError``).
        """
        later = {k: v for k, v in settings.items() if k in RESET_SETTINGS}
        now = {k: v for k, v in settings.items() if k not in RESET_SETTINGS}
        try:
            if now:
                self.gan.update(**now)
            if later:
                self.reset(**later)
        except ValueError as exc:
            self._sync_widgets()
            self._update_status(note=f"not applied: {exc}")
            return False
        self._sync_widgets()
        if not later:
            self._update_status()
        return True

    @contextmanager
    def _quiet(self) -> Iterator[None]:
        self._syncing = True
        try:
            yield
        finally:
            self._syncing = False

    def _sync_widgets(self) -> None:
        """Make every control show the GAN's actual config."""
        with self._quiet():
            batch = self.gan.config.batch_size
            if batch not in self.batch_size.options:
                self.batch_size.options = sorted({*self.batch_size.options, batch})
            for name in (*MID_RUN_SETTINGS, *RESET_SETTINGS):
                getattr(self, name).value = getattr(self.gan.config, name)

    # ---- playing --------------------------------------------------------------------------
    def reset(self, seed: int | None = None, **settings: Any) -> None:
        """New networks and history (same seed unless given); keeps playing if it was."""
        self.gan.reset(seed=seed, **settings)
        self._sync_widgets()
        self.gan.record()
        self.live.set_target(self.gan.snapshot(n=self.settings.snapshot_samples), self.gan.target)
        self.redraw()

    def step_d(self) -> float:
        """One discriminator step (the plot's D moves; the step count does not)."""
        loss = self.gan.step_d()
        self.redraw()
        if self.gan.diverged is None:
            self._update_status(note=f"D step, D loss {loss:.3f}")
        return loss

    def step_g(self) -> float:
        """One generator step, recorded in the history."""
        loss = self.gan.step_g()
        if self.gan.diverged is None:
            self.gan.record()
        self.redraw()
        if self.gan.diverged is None:
            self._update_status(note=f"G step, G loss {loss:.3f}")
        return loss

    def run_chunk(self, seconds: float | None = None) -> int:
        """Train for about ``seconds`` (default ``chunk_seconds``), record, redraw.

        At least one iteration (k D steps + 1 G step) is run. Returns the generator steps taken.
        """
        budget = self.settings.chunk_seconds if seconds is None else seconds
        deadline = time.perf_counter() + budget
        before = self.gan.step
        done = [0]

        def should_stop() -> bool:
            done[0] += 1
            return done[0] > 1 and time.perf_counter() >= deadline

        self.gan.train(10**9, record_every=0, should_stop=should_stop)
        if self.gan.step > before and self.gan.diverged is None:
            self.gan.record()
        self.redraw()
        return self.gan.step - before

    @property
    def playing(self) -> bool:
        return self._playing

    async def run(self, max_chunks: int | None = None) -> None:
        """Play: chunks of training and redraws, yielding to the event loop in between.

        Stops on :meth:`pause`, on divergence, after ``max_chunks`` chunks, or on an unexpected
        error (kept in :attr:`last_error` and shown in the status line, never lost in a task).
        """
        self._playing = True
        self._show_play_state()
        chunks = 0
        try:
            while self._playing and self.gan.diverged is None:
                if max_chunks is not None and chunks >= max_chunks:
                    break
                self.run_chunk()
                chunks += 1
                await asyncio.sleep(self.settings.yield_seconds)
        except Exception as exc:  # a task's exception would otherwise vanish silently
            self.last_error = exc
            self._update_status(note=f"stopped by an error: {exc!r}")
        finally:
            self._playing = False
            self._show_play_state()
            if self.last_error is None:
                self._update_status()

    def play(self) -> None:
        """Start :meth:`run` as a task on the running event loop (Jupyter's kernel has one)."""
        if self.gan.diverged is not None:
            self._update_status()
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError as exc:
            raise RuntimeError(
                "play() needs a running asyncio event loop, as in a Jupyter kernel; in a script "
                "call run_chunk() in a loop or asyncio.run(dashboard.run(max_chunks=...))"
            ) from exc
        self._playing = True
        self._show_play_state()
        if self._task is None or self._task.done():  # else the running task simply goes on
            self._task = loop.create_task(self.run())

    def pause(self) -> None:
        """Stop after the current chunk (at once, between chunks)."""
        self._playing = False
        self._show_play_state()

    def toggle(self) -> None:
        """The Play/Pause button."""
        if self._playing:
            self.pause()
        else:
            self.play()

    def _show_play_state(self) -> None:
        button = self.play_button
        button.description, button.icon = ("Pause", "pause") if self._playing else ("Play", "play")
        button.button_style = "" if self._playing else "success"

    def close(self) -> None:
        """Pause and release the figure (``plt.close``) and the widgets."""
        self.pause()
        plt.close(self.figure)
        self.widget.close()
