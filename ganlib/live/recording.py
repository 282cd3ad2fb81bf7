r"""Record a live run and replay it without training: the series' recorded runs.

A :class:`Recording` holds what a dashboard *drew*, every few steps: one frame of arrays per
snapshot (the densities and D of notebook 02, the heat map, points and arrows of notebook 03,
the four slider values of notebook 01's explorer), the limits of every axes of the figure at
that moment, the training curves (one entry per history record, truncated per frame by step),
the settings of the run and free metadata (the command that made it, what changed mid-run).

It is saved as one ``.npz`` file (numpy arrays only, JSON text for the settings and metadata),
written atomically (:func:`ganlib.core.files.atomic_open`) and read back with
``allow_pickle=False``, so a recording cannot run code when it is loaded; :func:`load_recording`
checks its format, version, kind and shapes and says what is wrong with a bad or foreign file.

A :class:`Recorder` collects the frames while a run plays (:meth:`Dashboard.start_recording
<ganlib.live.dashboard.Dashboard.start_recording>`), and a :class:`ReplayViewer` scrubs through
a recording with a timeline slider and a Play widget. Replaying never trains: each lesson's
*painter* puts the recorded arrays into the **same figure class** the live dashboard draws with
(``ganlib.toy.replay``, ``ganlib.plane.replay``, ``ganlib.minimax.replay``), so frame ``i``
of a replay is the picture the live dashboard showed at that step. :func:`animation_html`
turns a replay into a self-contained JavaScript animation (matplotlib's ``to_jshtml``) for
notebooks read without a kernel.
"""

from __future__ import annotations

import io
import json
import os
import platform
import shlex
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from ganlib.core.files import atomic_open
from ganlib.core.validation import check_choice, check_int

FORMAT = "ganlib-recording"
VERSION = 1
KINDS = ("explorer", "toy", "plane")
_META_KEY = "__recording__"  # the JSON header, stored as a 0-d unicode array
_FRAME = "frame/"  # key prefixes inside the npz
_CURVE = "curve/"


@dataclass
class Recording:
    """A recorded run: frames of drawn arrays, axes limits, curves, settings and metadata.

    Attributes
    ----------
    kind : str
        Which dashboard drew it, one of :data:`KINDS`.
    settings : dict
        JSON-compatible settings of the run (the game's config as a dict, the view's sizes).
    steps : ndarray, shape (F,)
        The generator step (the explorer: the frame number) of each frame.
    frames : dict of ndarray
        One array per drawn quantity, each of shape ``(F, ...)``.
    limits : ndarray, shape (F, A, 4)
        ``(x0, x1, y0, y1)`` of each of the figure's ``A`` axes, per frame.
    curves : dict of ndarray
        The training curves, each ``(R,)`` with ``curves["step"]`` non-decreasing (may be empty).
    meta : dict
        JSON-compatible free metadata: ``command`` (how the file was made), ``ended``, notes.
    """

    kind: str
    settings: dict[str, Any]
    steps: np.ndarray
    frames: dict[str, np.ndarray]
    limits: np.ndarray
    curves: dict[str, np.ndarray] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.validate()

    @property
    def n_frames(self) -> int:
        return len(self.steps)

    def validate(self) -> None:
        """Raise ``ValueError`` naming what is inconsistent (kind, shapes, steps, JSON)."""
        check_choice("kind", self.kind, KINDS)
        self.steps = np.asarray(self.steps)
        if self.steps.ndim != 1 or len(self.steps) == 0 or self.steps.dtype.kind not in "iu":
            raise ValueError(f"steps must be a non-empty 1-D integer array, got {self.steps!r}")
        if np.any(np.diff(self.steps) < 0):
            raise ValueError("steps must not decrease: a recording holds one run")
        n = len(self.steps)
        for name, array in self.frames.items():
            if np.asarray(array).shape[:1] != (n,):
                raise ValueError(
                    f"frame array {name!r} must have {n} frames, got shape "
                    f"{np.asarray(array).shape}"
                )
        self.limits = np.asarray(self.limits, dtype=np.float64)
        if self.limits.ndim != 3 or self.limits.shape[0] != n or self.limits.shape[2] != 4:
            raise ValueError(f"limits must have shape ({n}, axes, 4), got {self.limits.shape}")
        lengths = {np.asarray(c).shape for c in self.curves.values()}
        if self.curves and ("step" not in self.curves or len(lengths) != 1):
            raise ValueError("curves need a 'step' curve and equal 1-D lengths")
        for name, value in (("settings", self.settings), ("meta", self.meta)):
            try:
                json.dumps(value)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{name} must be JSON-compatible: {exc}") from exc

    def frame(self, i: int) -> dict[str, np.ndarray]:
        """The drawn arrays of frame ``i`` (``0 <= i < n_frames``)."""
        check_int("frame", i, 0, self.n_frames - 1)
        return {name: array[i] for name, array in self.frames.items()}

    def curves_until(self, i: int) -> dict[str, np.ndarray]:
        """The curves as the live dashboard had them at frame ``i``: records up to its step."""
        check_int("frame", i, 0, self.n_frames - 1)
        if not self.curves:
            return {}
        keep = np.asarray(self.curves["step"]) <= self.steps[i]
        return {name: np.asarray(c)[keep] for name, c in self.curves.items()}

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the recording to ``path`` (``.npz``, compressed) atomically; returns the path."""
        self.validate()
        header = {
            "format": FORMAT,
            "version": VERSION,
            "kind": self.kind,
            "settings": self.settings,
            "meta": self.meta,
        }
        arrays = {
            _META_KEY: np.array(json.dumps(header)),
            "steps": self.steps,
            "limits": self.limits,
        }
        arrays |= {_FRAME + k: np.asarray(v) for k, v in self.frames.items()}
        arrays |= {_CURVE + k: np.asarray(v) for k, v in self.curves.items()}
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        path = Path(path)
        with atomic_open(path, "wb") as f:
            f.write(buffer.getvalue())
        return path


def load_recording(path: str | os.PathLike[str], kind: str | None = None) -> Recording:
    """Read a recording written by :meth:`Recording.save`.

    Parameters
    ----------
    path : path-like
    kind : str, optional
        The dashboard it must come from; another kind is refused.

    Raises
    ------
    ValueError
        The file is not a ganlib recording (not an npz, no header, an object array, another
        format or a newer version, the wrong kind, inconsistent shapes); the message says which.
    FileNotFoundError
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no recording at {path}")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path} is not a ganlib recording (not an .npz file)")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ValueError(f"{path} is not a ganlib recording (not an .npz file): {exc}") from exc
    except ValueError as exc:  # an object array would need pickle, which is never used
        raise ValueError(
            f"{path} is not a ganlib recording: it holds a pickled object, which is never loaded"
        ) from exc
    if not isinstance(arrays, Mapping) or _META_KEY not in arrays:
        raise ValueError(
            f"{path} is not a ganlib recording: it has no {_META_KEY!r} header "
            "(make one with Dashboard.start_recording() and .recording.save())"
        )
    header = _read_header(path, arrays[_META_KEY])
    if kind is not None and header["kind"] != kind:
        raise ValueError(
            f"{path} is a recording of the {header['kind']!r} dashboard, not of the {kind!r} one"
        )
    try:
        return Recording(
            kind=header["kind"],
            settings=header.get("settings", {}),
            steps=arrays["steps"],
            limits=arrays["limits"],
            meta=header.get("meta", {}),
            frames={k[len(_FRAME) :]: v for k, v in arrays.items() if k.startswith(_FRAME)},
            curves={k[len(_CURVE) :]: v for k, v in arrays.items() if k.startswith(_CURVE)},
        )
    except (KeyError, ValueError) as exc:
        raise ValueError(f"{path} is a damaged ganlib recording: {exc}") from exc


def _read_header(path: Path, raw: np.ndarray) -> dict[str, Any]:
    try:
        header = json.loads(str(raw))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: the recording's header is not JSON: {exc}") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ValueError(f"{path} is not a ganlib recording (format {header!r:.80})")
    if header.get("version") != VERSION:
        raise ValueError(
            f"{path} is a version-{header.get('version')} recording; this ganlib "
            f"reads version {VERSION}: upgrade ganlib or record the run again"
        )
    if header.get("kind") not in KINDS:
        raise ValueError(f"{path}: unknown recording kind {header.get('kind')!r}; one of {KINDS}")
    return header


def axes_limits(figure: Figure) -> np.ndarray:
    """``(x0, x1, y0, y1)`` of every axes of ``figure``, shape ``(A, 4)``."""
    return np.array([[*ax.get_xlim(), *ax.get_ylim()] for ax in figure.axes], dtype=np.float64)


def set_axes_limits(figure: Figure, limits: np.ndarray) -> bool:
    """Give ``figure``'s axes the recorded ``limits`` ``(A, 4)``; True if any changed."""
    if len(figure.axes) != len(limits):
        raise ValueError(
            f"the recording has limits for {len(limits)} axes, the figure has "
            f"{len(figure.axes)}: it was recorded from another figure"
        )
    changed = not np.array_equal(axes_limits(figure), limits)
    for ax, (x0, x1, y0, y1) in zip(figure.axes, limits, strict=True):
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
    return changed


class Recorder:
    """Collects frames while a run plays: one every ``every`` steps, at most ``max_frames``.

    Parameters
    ----------
    kind : str
    settings : dict
        The run's settings at the start (JSON-compatible).
    every : int
        Generator steps between two frames (the first frame is taken at once).
    max_frames : int
        Later frames are dropped (and ``meta["ended"]`` says so).
    """

    def __init__(
        self, kind: str, settings: dict[str, Any], every: int = 1, max_frames: int = 500
    ) -> None:
        self.kind = check_choice("kind", kind, KINDS)
        self.settings = settings
        self.every = check_int("every", every, 1, 10**9)
        self.max_frames = check_int("max_frames", max_frames, 1, 100_000)
        self.steps: list[int] = []
        self.frames: list[dict[str, np.ndarray]] = []
        self.limits: list[np.ndarray] = []
        self.curves: dict[str, np.ndarray] = {}
        self.meta: dict[str, Any] = {"settings_changes": []}
        self.active = True
        self._last_settings = settings

    def due(self, step: int) -> bool:
        """Whether a frame should be taken at ``step``."""
        if not self.active:
            return False
        if self.steps and step < self.steps[-1]:
            self.stop(f"stopped at step {self.steps[-1]}: the run was reset")
            return False
        if len(self.frames) >= self.max_frames:
            self.stop(f"stopped after {self.max_frames} frames (max_frames)")
            return False
        return not self.steps or step - self.steps[-1] >= self.every

    def add(
        self,
        step: int,
        arrays: dict[str, np.ndarray],
        limits: np.ndarray,
        settings: dict[str, Any] | None = None,
    ) -> None:
        """Append one frame (arrays are copied), noting settings that changed since the last."""
        if self.frames and set(arrays) != set(self.frames[0]):
            raise ValueError(f"frame arrays {sorted(arrays)} differ from the first frame's")
        if settings is not None and settings != self._last_settings:
            changed = {k: v for k, v in settings.items() if self._last_settings.get(k) != v}
            self.meta["settings_changes"].append({"step": int(step), "changed": changed})
            self._last_settings = settings
        self.steps.append(int(step))
        self.frames.append({k: np.array(v, copy=True) for k, v in arrays.items()})
        self.limits.append(np.asarray(limits, dtype=np.float64))

    def stop(self, why: str) -> None:
        """Take no more frames; ``why`` goes to ``meta["ended"]``."""
        if self.active:
            self.active = False
            self.meta["ended"] = why

    def recording(
        self,
        curves: Mapping[str, Sequence[float]] | None = None,
        meta: dict[str, Any] | None = None,
    ) -> Recording:
        """The frames so far as a :class:`Recording` (curves truncated to the last frame)."""
        if not self.frames:
            raise ValueError("no frame recorded yet")
        steps = np.asarray(self.steps, dtype=np.int64)
        arrays = {k: np.stack([f[k] for f in self.frames]) for k in self.frames[0]}
        kept = {}
        if curves:
            step = np.asarray(curves["step"])
            keep = step <= steps[-1]
            kept = {k: np.asarray(v, dtype=np.float64)[keep] for k, v in curves.items()}
            kept["step"] = step[keep].astype(np.int64)
        return Recording(
            self.kind,
            self.settings,
            steps,
            arrays,
            np.stack(self.limits),
            kept,
            {**self.meta, **(meta or {})},
        )


class Painter(Protocol):
    """What a :class:`ReplayViewer` needs from a lesson: a figure that draws frame ``i``."""

    recording: Recording
    figure: Figure

    def draw(self, i: int) -> None:
        """Move the figure's artists to frame ``i`` (no rendering)."""

    def render(self) -> None:
        """Show the artists' current state on the canvas."""

    def status(self, i: int) -> str:
        """The status line for frame ``i``."""


class ReplayViewer:
    """A timeline slider and a Play widget over a recording: scrubbing redraws, never trains.

    Parameters
    ----------
    painter : Painter
        The lesson's drawing of a frame (the live dashboard's figure class).
    interval_ms : int
        Time between two frames while the Play widget plays.

    Attributes
    ----------
    timeline : ipywidgets.IntSlider
        The frame shown; setting ``.value`` redraws.
    play : ipywidgets.Play
        Linked to the timeline in the browser (``jslink``).
    status : ipywidgets.HTML
        The frame's step and numbers; :attr:`status_text` is its plain text.
    widget : ipywidgets.VBox
    """

    CSS_CLASS = "ganlib-replay"

    def __init__(self, painter: Painter, interval_ms: int = 250) -> None:
        self.painter = painter
        n = painter.recording.n_frames
        self.timeline = widgets.IntSlider(
            value=0,
            min=0,
            max=n - 1,
            description="frame",
            continuous_update=True,
            layout=widgets.Layout(width="520px"),
        )
        self.play = widgets.Play(
            value=0, min=0, max=n - 1, interval=interval_ms, description="play the recording"
        )
        widgets.jslink((self.play, "value"), (self.timeline, "value"))
        self.status = widgets.HTML()
        self.status.add_class(f"{self.CSS_CLASS}-status")
        self.status_text = ""
        self.timeline.observe(lambda ch: self.show(ch["new"]), names="value")
        canvas = painter.figure.canvas
        view = [canvas] if isinstance(canvas, widgets.DOMWidget) else []
        self.widget = widgets.VBox([widgets.HBox([self.play, self.timeline]), self.status, *view])
        self.widget.add_class(self.CSS_CLASS)
        self.show(0)

    @property
    def recording(self) -> Recording:
        return self.painter.recording

    @property
    def figure(self) -> Figure:
        return self.painter.figure

    def show(self, i: int) -> None:
        """Draw frame ``i`` and update the status line (the timeline calls this)."""
        self.painter.draw(i)
        self.painter.render()
        self.status_text = f"replay · frame {i + 1}/{self.recording.n_frames} · " + (
            self.painter.status(i)
        )
        self.status.value = self.status_text

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
        if not isinstance(self.figure.canvas, widgets.DOMWidget):
            display(self.figure)


def animation_html(
    painter: Painter, frames: Sequence[int] | None = None, fps: float = 4.0, dpi: float = 60.0
) -> str:
    """A self-contained HTML/JavaScript animation of a replay (``FuncAnimation.to_jshtml``).

    Each frame is drawn by ``painter.draw`` (the live figure's code) and embedded as a PNG at
    ``dpi``; the HTML needs no kernel, so nbviewer and static exports play it.

    Parameters
    ----------
    painter : Painter
    frames : sequence of int, optional
        Which frames (default: all).
    fps : float
    dpi : float
        Resolution of the embedded JPEG images (60 keeps a 10 × 5 inch figure near 45 KB a
        frame).
    """
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation

    order = list(range(painter.recording.n_frames) if frames is None else frames)
    anim = FuncAnimation(
        painter.figure, painter.draw, frames=order, init_func=lambda: None, blit=False, repeat=False
    )
    rc = {"savefig.dpi": dpi, "animation.embed_limit": 8.0, "animation.frame_format": "jpeg"}
    with plt.rc_context(rc):
        return str(anim.to_jshtml(fps=fps, default_mode="once"))


def provenance(argv: Sequence[str], module: str) -> dict[str, Any]:
    """The command that made a recording and the versions it ran with (for ``meta``)."""
    import matplotlib

    versions = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "matplotlib": matplotlib.__version__,
    }
    try:
        import torch

        versions["torch"] = torch.__version__
    except ImportError:  # notebook 01's explorer needs no torch
        pass
    return {"command": shlex.join(["python", "-m", module, *argv]), **versions}
