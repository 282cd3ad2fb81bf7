r"""The dashboard framework: controls, Play / Pause / Step D / Step G / Reset, a status line.

A :class:`Dashboard` drives a *game*: any object with the interface of :class:`Game`
(:class:`ganlib.toy.training.ToyGAN` in notebook 02, :class:`ganlib.plane.training.PlaneGAN` in
notebook 03). A lesson's dashboard subclasses it and adds its controls and its figure; the
playing, the settings and the status line are the same for every game.

How it trains without freezing the page
---------------------------------------
Training runs **on the kernel's own asyncio event loop, in short chunks**: Play schedules a task
(:meth:`Dashboard.run`) that repeatedly trains for about ``chunk_seconds`` (40 ms), records
the history, moves the artists and blits them (:class:`ganlib.live.figure.BlitFigure`), then
``await``\ s a few milliseconds. While it waits, the kernel handles the messages that arrived
meanwhile: a slider move, a Pause click, ipympl's request for a full draw. So the page redraws
ten or more times a second and stays responsive, and every setting takes effect at the next
chunk.

A training thread was rejected: matplotlib and ipywidgets are not thread-safe, so a thread
could only train and the main thread would still need a timer to draw; two threads would also
contend for the GIL and PyTorch's locks on a 2-core laptop. With chunks, one thread does
everything in a fixed order and nothing can race.

Outside Jupyter (tests, scripts) nothing needs an event loop: call :meth:`Dashboard.run_chunk`
directly, or ``asyncio.run(dashboard.run(max_chunks=...))``.

Every setting goes through the game's ``update`` (mid-run settings) or ``reset`` (the others).
A setting the game refuses is shown in the status line and the widget snaps back; a run that
blows up stops with "diverged at step N: ...; press Reset" and the figure keeps its last
finite state.

Every control answers in the status line: a setting changed while paused shows as pending
("lr_D 1.6e-3, applies at the next step") until the next step takes it; while playing it shows
as applied for a few seconds; Pause, Reset and the step buttons say what they did. A widget
always shows the game's actual value: a config outside a slider's range (``k=50`` on a slider
up to 20, ``lr_d=5`` beyond the learning-rate slider) widens the slider, and a value a
drop-down lacks is added to it. After :meth:`Dashboard.close` every method raises a
``RuntimeError`` that says to make a new dashboard.

Any run can be recorded: :meth:`Dashboard.start_recording` keeps what each redraw drew, every
N steps, until a reset or a divergence; :attr:`Dashboard.recording` is a
:class:`ganlib.live.recording.Recording` (saved with ``.save(path)``, replayed without training
by the lesson's ``replay`` module).
"""

from __future__ import annotations

import asyncio
import dataclasses
import html
import json
import math
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import ipywidgets as widgets
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine

from ganlib.core.validation import check_float, check_int, check_sequence
from ganlib.live.figure import BlitFigure
from ganlib.live.presenter import (
    Screen,
    check_size,
    flatten_rows,
    presenter_layout,
    restyle_figure,
    screen_for,
)
from ganlib.live.recording import Recorder, Recording, axes_limits


class Game(Protocol):
    """What a dashboard needs from a GAN: steps, whole iterations, a history and settings."""

    step: int
    config: Any
    diverged: Any

    def step_d(self) -> float: ...

    def step_g(self) -> float: ...

    def record(self) -> None: ...

    def train(
        self,
        n_iterations: int,
        record_every: int | None = ...,
        should_stop: Callable[[], bool] | None = ...,
    ) -> Any: ...

    def update(self, **settings: Any) -> None: ...

    def reset(self, seed: int | None = None, **settings: Any) -> None: ...


@dataclass(frozen=True)
class DashboardSettings:
    """How a dashboard trains and draws (not the GAN's own settings).

    Attributes
    ----------
    chunk_seconds : float
        Training time between two redraws (at least one iteration is always run).
    yield_seconds : float
        Sleep after each chunk, so the kernel can handle widget and ipympl messages.
    snapshot_samples : int
        Generator samples behind the plotted densities (the status line's numbers use the
        history's).
    lr_exponents : (float, float)
        The learning-rate sliders span ``10**lo`` to ``10**hi`` (widened to show a config
        outside it).
    max_k : int
        Largest k on the k slider (a config with a larger k widens it).
    figsize : (float, float)
        Inches; the figure is created once and updated in place. A presenter ``size`` sets its
        own (:attr:`figure_inches`).
    note_seconds : float
        How long a note (a setting applied while playing, a reset) stays in the status line.
    size : str
        ``"laptop"`` (the notebook layout), ``"presenter"`` (a 1280 × 720 projector) or
        ``"presenter-hd"`` (1920 × 1080): see :mod:`ganlib.live.presenter`.
    """

    chunk_seconds: float = 0.04
    yield_seconds: float = 0.005
    snapshot_samples: int = 4000
    lr_exponents: tuple[float, float] = (-5.0, 0.0)
    max_k: int = 20
    figsize: tuple[float, float] = (9.6, 3.4)
    note_seconds: float = 4.0
    size: str = "laptop"

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ``ValueError`` naming a bad setting and its valid range."""
        check_float("chunk_seconds", self.chunk_seconds, 0.001, 1.0)
        check_float("yield_seconds", self.yield_seconds, 0.0, 1.0)
        check_int("snapshot_samples", self.snapshot_samples, 100, 10**7)
        lo, hi = check_sequence("lr_exponents", self.lr_exponents, 2)
        check_float("lr_exponents", hi, -10.0, 0.0)
        check_float("lr_exponents", lo, -10.0, hi, high_open=True)
        check_int("max_k", self.max_k, 1, 1000)
        for size in check_sequence("figsize", self.figsize, 2):
            check_float("figsize", size, 1.0, 40.0)
        check_float("note_seconds", self.note_seconds, 0.0, 3600.0)
        check_size(self.size)

    @property
    def screen(self) -> Screen | None:
        """The presenter screen of :attr:`size`; ``None`` for ``"laptop"``."""
        return screen_for(self.size)

    @property
    def figure_inches(self) -> tuple[float, float]:
        """:attr:`figsize`, or the presenter screen's figure size."""
        screen = self.screen
        return self.figsize if screen is None else screen.figsize


class Dashboard:
    """Buttons, a status line and the play loop over a :class:`Game`.

    Subclasses set :attr:`MID_RUN_SETTINGS` and :attr:`RESET_SETTINGS` (names of config fields
    that have a widget attribute of the same name), create those widgets in
    :meth:`_build_setting_controls`, return the live figure from :meth:`_build_figure`, draw
    the game's state in :meth:`_show` and describe it in :meth:`_status_body`. The status
    line's notes name a setting by its widget's ``description`` and format its value with
    :meth:`format_setting`.

    Attributes
    ----------
    gan : Game
    play_button, step_d_button, step_g_button, reset_button : ipywidgets.Button
    status : ipywidgets.HTML
        The status line; :attr:`status_text` is its plain text.
    live : BlitFigure
    widget : ipywidgets.Box
        The whole dashboard (a ``VBox``; at a presenter size an ``HBox``: a sidebar beside the
        figure); a notebook cell ending in the dashboard displays it.
    last_error : Exception or None
        An unexpected error that stopped :meth:`run` (shown in the status line).
    """

    MID_RUN_SETTINGS: tuple[str, ...] = ()
    RESET_SETTINGS: tuple[str, ...] = ()
    CSS_CLASS = "ganlib-dashboard"
    RECORDING_KIND = ""  # a lesson that can be recorded names its kind (ganlib.live.recording)

    def __init__(self, game: Game, settings: DashboardSettings | None = None) -> None:
        self.settings = settings if settings is not None else DashboardSettings()
        self.gan = game
        self.last_error: Exception | None = None
        self.status_text = ""
        self.redraws = 0
        self._redraw_times: deque[float] = deque(maxlen=20)
        self._playing = False
        self._task: asyncio.Task[None] | None = None
        self._syncing = False
        self._closed = False
        self._note = ""  # the status line's note and until when it shows (inf: the next step)
        self._note_until = 0.0
        self._recorder: Recorder | None = None
        self._build_buttons()
        self._build_setting_controls()
        for name in self.setting_names:
            getattr(self, name).observe(self._on_setting, names="value")
        self._sync_widgets()
        self.live = self._build_figure()
        self._restyle()
        self.widget = self._layout()
        self.gan.record()
        self.redraw()

    # ---- what a lesson provides ---------------------------------------------------------------
    def _build_setting_controls(self) -> None:
        """Create one widget attribute per name in the two settings tuples."""
        raise NotImplementedError

    def _build_figure(self) -> BlitFigure:
        """Create the one persistent figure (inside ``plt.ioff()``)."""
        raise NotImplementedError

    def _show(self) -> None:
        """Move the figure's artists to the game's current state (no rendering)."""
        raise NotImplementedError

    def _status_body(self) -> str:
        """The status line's text for a healthy run, e.g. ``"step 120 · JS 0.0123 nats"``."""
        return f"step {self.gan.step}"

    def _control_rows(self) -> list[widgets.Widget]:
        """Rows of setting widgets under the buttons (default: all on one row)."""
        return [widgets.HBox([getattr(self, n) for n in self.setting_names])]

    def _after_reset(self) -> None:
        """Fix the figure's static part after a reset (new target, new axes)."""
        self.live.invalidate()

    def describe(self) -> str:
        """The game's current settings on one line (for notebooks and logs)."""
        c = self.gan.config
        return " · ".join(f"{n} {getattr(c, n)}" for n in self.setting_names)

    # ---- widgets ------------------------------------------------------------------------------
    @property
    def setting_names(self) -> tuple[str, ...]:
        return (*self.MID_RUN_SETTINGS, *self.RESET_SETTINGS)

    def _build_buttons(self) -> None:
        self.play_button = widgets.Button(description="Play", icon="play", button_style="success")
        self.step_d_button = widgets.Button(description="Step D", tooltip="one discriminator step")
        self.step_g_button = widgets.Button(description="Step G", tooltip="one generator step")
        self.reset_button = widgets.Button(description="Reset", icon="undo", button_style="warning")
        self.play_button.on_click(lambda _: self.toggle())
        self.step_d_button.on_click(lambda _: self.step_d())
        self.step_g_button.on_click(lambda _: self.step_g())
        self.reset_button.on_click(lambda _: self.reset())
        self.status = widgets.HTML(value="")
        self.status.add_class(f"{self.CSS_CLASS}-status")  # a handle for the browser tests

    def _restyle(self) -> None:
        """Presenter sizes: restyle the figure (fonts, lines, colours); a no-op on a laptop."""
        screen = self.settings.screen
        if screen is not None:
            restyle_figure(self.figure, screen)
            if not isinstance(self.figure.get_layout_engine(), ConstrainedLayoutEngine):
                self.figure.tight_layout(pad=0.6)  # the bigger fonts need room

    def _layout(self) -> widgets.Box:
        canvas = self.figure.canvas
        view = canvas if isinstance(canvas, widgets.DOMWidget) else widgets.Output()
        buttons = [self.play_button, self.step_d_button, self.step_g_button, self.reset_button]
        screen = self.settings.screen
        if screen is not None:
            controls = [*flatten_rows(self._control_rows()), self.status]
            return presenter_layout(self.CSS_CLASS, screen, buttons, controls, view)
        box = widgets.VBox([widgets.HBox(buttons), *self._control_rows(), self.status, view])
        box.add_class(self.CSS_CLASS)
        return box

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        self._check_open()
        return self.widget._repr_mimebundle_(**kwargs)

    def _check_open(self) -> None:
        """Raise ``RuntimeError`` once :meth:`close` has released the figure and widgets."""
        if self._closed:
            name = type(self).__name__
            raise RuntimeError(
                f"this {name} was closed: close() released its figure and widgets. "
                f"Make a new one, e.g. dash = {name}(), and display it"
            )

    @property
    def figure(self) -> Figure:
        """The one persistent matplotlib figure (an ipympl canvas under ``%matplotlib widget``)."""
        return self.live.figure

    # ---- drawing ------------------------------------------------------------------------------
    def redraw(self) -> None:
        """Move the artists to the current state, refresh the status line and the canvas."""
        self._check_open()
        self._show()
        self._capture()
        self.live.render()
        self._redraw_times.append(time.perf_counter())
        self.redraws += 1
        self._update_status()

    @property
    def redraw_rate(self) -> float:
        """Redraws per second over the last (up to) 20 redraws; NaN before two."""
        t = self._redraw_times
        return (len(t) - 1) / (t[-1] - t[0]) if len(t) > 1 and t[-1] > t[0] else math.nan

    def _update_status(self, note: str = "") -> None:
        """Show the game's state, then ``note`` (this render only) or the standing note."""
        if self.gan.diverged is not None:
            text, colour = self.gan.diverged.message, "#b00020"
        else:
            text, colour = self._status_body(), "black"
            if self._playing and not math.isnan(self.redraw_rate):
                text += f" · {self.redraw_rate:.0f} redraws/s"
        if not note and self._note and time.perf_counter() < self._note_until:
            note = self._note
        if note:
            text += f" · {note}"
        self.status_text = text
        self.status.value = f'<span style="color:{colour}">{html.escape(text)}</span>'

    def note(self, text: str, until_next_step: bool = False) -> None:
        """Show ``text`` after the state in the status line.

        It stays for ``settings.note_seconds``, or until the next step of training when
        ``until_next_step`` (a setting changed while paused is pending until then).
        """
        self._note = text
        wait = math.inf if until_next_step else self.settings.note_seconds
        self._note_until = time.perf_counter() + wait
        self._update_status()

    def _stepped(self) -> None:
        """Training moved on: a note that waited for the next step has been answered."""
        if self._note_until == math.inf:
            self._note, self._note_until = "", 0.0

    def format_setting(self, name: str, value: Any) -> str:
        """``"lr_D 1.6e-3"``: the widget's label and the value as the status line shows it."""
        label = getattr(getattr(self, name, None), "description", "") or name
        if isinstance(value, float):
            text = f"{value:.1e}" if value != 0 and abs(value) < 0.1 else f"{value:.3g}"
            text = text.replace("e-0", "e-").replace("e+0", "e+")
        else:
            text = str(value)
        return f"{label} {text}"

    # ---- settings -----------------------------------------------------------------------------
    def _on_setting(self, change: dict[str, Any]) -> None:
        if self._syncing or self._closed:
            return
        name = next(n for n in self.setting_names if getattr(self, n) is change["owner"])
        self.apply(**{name: change["new"]})

    def apply(self, **settings: Any) -> bool:
        """Change settings: mid-run ones through the game's ``update``, the others by a reset.

        The status line says what happened: a mid-run setting changed while paused is pending
        ("lr_D 1.6e-3, applies at the next step"), while playing it is applied; a reset setting
        starts a new run. Returns False, shows why in the status line and puts the widgets
        back, if the game refuses a value (``ValueError``).
        """
        self._check_open()
        later = {k: v for k, v in settings.items() if k in self.RESET_SETTINGS}
        now = {k: v for k, v in settings.items() if k not in self.RESET_SETTINGS}
        try:
            if now:
                self.gan.update(**now)
            if later:
                self.reset(**later)
        except ValueError as exc:
            self._sync_widgets()
            self.note(f"not applied: {exc}", until_next_step=True)
            return False
        self._sync_widgets()
        shown = ", ".join(self.format_setting(k, self._config_value(k)) for k in (*now, *later))
        if later:
            self.note(f"{shown}: new networks, step 0")
        elif self._playing:
            self.note(f"{shown}, applied at step {self.gan.step}")
        elif now:
            self.note(f"{shown}, applies at the next step", until_next_step=True)
        return True

    def _config_value(self, name: str) -> Any:
        """The game's value of the setting behind widget ``name``."""
        return getattr(self.gan.config, name)

    @contextmanager
    def _quiet(self) -> Iterator[None]:
        self._syncing = True
        try:
            yield
        finally:
            self._syncing = False

    def _sync_widgets(self) -> None:
        """Make every control show the game's actual config."""
        with self._quiet():
            for name in self.setting_names:
                self._set_widget(name, self._config_value(name))

    def _set_widget(self, name: str, value: Any) -> None:
        """Show ``value`` on widget ``name``, widening its range or options to hold it."""
        widget = getattr(self, name)
        fit_widget_to(widget, value)
        widget.value = value

    # ---- playing ------------------------------------------------------------------------------
    def reset(self, seed: int | None = None, **settings: Any) -> None:
        """New networks and history (same seed unless given); keeps playing if it was."""
        self._check_open()
        if self._recorder is not None:
            self._recorder.stop(f"stopped at step {self.gan.step}: the run was reset")
        self.gan.reset(seed=seed, **settings)
        self._sync_widgets()
        self.gan.record()
        self._after_reset()
        self._restyle()
        self._note = f"reset: new networks (seed {self.gan.config.seed})"
        self._note_until = time.perf_counter() + self.settings.note_seconds
        self.redraw()

    def step_d(self) -> float:
        """One discriminator step (the figure's D moves; the step count does not)."""
        self._check_open()
        loss = self.gan.step_d()
        self._stepped()
        self.redraw()
        if self.gan.diverged is None:
            self._update_status(note=f"D step, D loss {loss:.3f}")
        return loss

    def step_g(self) -> float:
        """One generator step, recorded in the history."""
        self._check_open()
        loss = self.gan.step_g()
        self._stepped()
        if self.gan.diverged is None:
            self.gan.record()
        self.redraw()
        if self.gan.diverged is None:
            self._update_status(note=f"G step, G loss {loss:.3f}")
        return loss

    def run_chunk(self, seconds: float | None = None, iterations: int | None = None) -> int:
        """Train for about ``seconds`` (default ``chunk_seconds``), record, redraw.

        At least one iteration (k D steps + 1 G step) is run; ``iterations`` runs exactly that
        many instead (a reproducible chunk, for recorded runs). Returns the generator steps taken.
        """
        self._check_open()
        if iterations is not None:
            before = self.gan.step
            self.gan.train(check_int("iterations", iterations, 1, 10**9), record_every=0)
            self._stepped()
            if self.gan.diverged is None:
                self.gan.record()
            self.redraw()
            return self.gan.step - before
        budget = self.settings.chunk_seconds if seconds is None else seconds
        deadline = time.perf_counter() + budget
        before = self.gan.step
        done = [0]

        def should_stop() -> bool:
            done[0] += 1
            return done[0] > 1 and time.perf_counter() >= deadline

        self.gan.train(10**9, record_every=0, should_stop=should_stop)
        self._stepped()
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
        self._check_open()
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
            if not self._closed:
                self._show_play_state()
                if self.last_error is None:
                    self._update_status()

    def play(self) -> None:
        """Start :meth:`run` as a task on the running event loop (Jupyter's kernel has one)."""
        self._check_open()
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
        self._check_open()
        was_playing, self._playing = self._playing, False
        self._show_play_state()
        if was_playing:
            self.note(f"paused at step {self.gan.step}", until_next_step=True)

    def toggle(self) -> None:
        """The Play/Pause button."""
        self._check_open()
        if self._playing:
            self.pause()
        else:
            self.play()

    def _show_play_state(self) -> None:
        button = self.play_button
        button.description, button.icon = ("Pause", "pause") if self._playing else ("Play", "play")
        button.button_style = "" if self._playing else "success"

    # ---- recording (ganlib.live.recording) ----------------------------------------------------
    def _recorded_frame(self) -> dict[str, Any]:
        """The arrays the last :meth:`_show` drew (a lesson that can be recorded provides it)."""
        raise NotImplementedError(f"{type(self).__name__} cannot be recorded")

    def recording_settings(self) -> dict[str, Any]:
        """The game's config and the figure size as JSON-compatible data (for a recording)."""
        config = json.loads(json.dumps(dataclasses.asdict(self.gan.config)))
        return {**config, "figsize": list(self.settings.figsize)}

    def start_recording(self, every: int = 1, max_frames: int = 500) -> None:
        """Record what the figure draws every ``every`` steps from now on (and now).

        The recording ends at a reset, a divergence or after ``max_frames`` frames; read it
        with :attr:`recording` (save it with ``dash.recording.save(path)``).
        """
        self._check_open()
        if not self.RECORDING_KIND:
            raise NotImplementedError(f"{type(self).__name__} cannot be recorded")
        self._recorder = Recorder(self.RECORDING_KIND, self.recording_settings(), every,
                                  max_frames)  # fmt: skip
        self._capture()

    def stop_recording(self) -> Recording | None:
        """Take no more frames; returns :attr:`recording`."""
        if self._recorder is not None:
            self._recorder.stop(f"stopped at step {self.gan.step}")
        return self.recording

    @property
    def recording(self) -> Recording | None:
        """The frames recorded so far (None before :meth:`start_recording`)."""
        if self._recorder is None or not self._recorder.frames:
            return None
        return self._recorder.recording(self.gan.history.as_dict())

    def _capture(self) -> None:
        """Give the recorder the frame just drawn, if one is due."""
        rec = self._recorder
        if rec is None or not rec.active:
            return
        if self.gan.diverged is not None:
            rec.stop(self.gan.diverged.message)
        elif rec.due(self.gan.step):
            limits = axes_limits(self.figure)
            rec.add(self.gan.step, self._recorded_frame(), limits, self.recording_settings())

    def close(self) -> None:
        """Pause and release the figure (``plt.close``) and the widgets; a second call is a no-op.

        The game (``.gan``) stays usable; every method of the dashboard raises
        ``RuntimeError`` from now on.
        """
        if self._closed:
            return
        self._playing = False
        self._closed = True
        plt.close(self.figure)
        self.widget.close()


def fit_widget_to(widget: widgets.Widget, value: Any) -> None:
    """Widen ``widget``'s range, or add to its options, so that it can show ``value``.

    ipywidgets silently clip a slider's value to its range (a slider up to 20 shows 20 for
    k = 50) and refuse a value a drop-down does not list; here the slider's ``min``/``max``
    (a log slider's exponents) move out to ``value`` and a missing option is added, so the
    widget always shows what the game really runs.
    """
    if isinstance(widget, widgets.FloatLogSlider):
        if not (isinstance(value, int | float) and value > 0):
            return
        exponent = math.log(value, widget.base)
        if exponent > widget.max:
            widget.max = math.ceil(exponent)
        if exponent < widget.min:
            widget.min = math.floor(exponent)
    elif hasattr(widget, "options"):
        options = tuple(widget.options)
        labels = [o[1] if isinstance(o, tuple) and len(o) == 2 else o for o in options]
        if value not in labels:
            numeric = all(isinstance(o, int | float) for o in (*labels, value))
            widget.options = tuple(sorted((*labels, value))) if numeric else (*options, value)
    elif hasattr(widget, "max") and hasattr(widget, "min") and isinstance(value, int | float):
        if value > widget.max:
            widget.max = value
        if value < widget.min:
            widget.min = value
