r"""Notebook 02's recorded run: replay the toy dashboard without training, or record a new run.

:class:`ToyReplay` draws a frame of a :class:`ganlib.live.recording.Recording` into the live
dashboard's own figure class (:class:`ganlib.toy.dashboard.LiveFigure`): the recorded
snapshot (:math:`p_g`, D, D*, G's map and arrows) and the curves up to that step, with the
axes limits the live figure had. :func:`replay` wraps it in a timeline slider,
:func:`animation` in a self-contained JavaScript animation.

The series ships one run, the reference problem with ``ToyGANConfig()`` (seed 0), made by::

    python -m ganlib.toy.replay --out ganlib/toy/recordings/toy_default.npz

(the command and the versions are stored in the file's ``meta``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from types import SimpleNamespace

import matplotlib.pyplot as plt

from ganlib.live.recording import (
    Recording,
    ReplayViewer,
    animation_html,
    load_recording,
    provenance,
    set_axes_limits,
)
from ganlib.toy.dashboard import LiveFigure, ToyDashboard
from ganlib.toy.distributions import TARGETS
from ganlib.toy.training import ToyGANConfig

SHIPPED = Path(__file__).resolve().parent / "recordings" / "toy_default.npz"
KIND = "toy"


class ToyReplay:
    """Draws frame ``i`` of a toy recording with the live dashboard's figure.

    Parameters
    ----------
    recording : Recording
        Of kind ``"toy"``.
    figsize : (float, float), optional
        Default: the recorded dashboard's.
    """

    def __init__(self, recording: Recording, figsize: tuple[float, float] | None = None) -> None:
        if recording.kind != KIND:
            raise ValueError(f"a {recording.kind!r} recording cannot be replayed as the toy's")
        self.recording = recording
        s = recording.settings
        size = tuple(figsize if figsize is not None else s["figsize"])
        self.live = LiveFigure(recording.frame(0), TARGETS[s["target"]], s["noise"], size)
        self.figure = self.live.figure

    def draw(self, i: int) -> None:
        """Put frame ``i``'s snapshot, curves and axes limits into the figure."""
        changed = set_axes_limits(self.figure, self.recording.limits[i])
        curves = SimpleNamespace(**self.recording.curves_until(i))
        self.live.put(self.recording.frame(i), curves, None)
        if changed:
            self.live.invalidate()

    def render(self) -> None:
        self.live.render()

    def status(self, i: int) -> str:
        """``"step 300 · JS 0.0123 nats · mean 3.998 · std 1.201"`` (the live status line)."""
        c = self.recording.curves_until(i)
        if len(c.get("step", ())) == 0:
            return f"step {self.recording.steps[i]}"
        return (
            f"step {self.recording.steps[i]} · JS {c['js'][-1]:.4f} nats · "
            f"mean {c['mean'][-1]:.3f} · std {c['std'][-1]:.3f}"
        )

    def close(self) -> None:
        plt.close(self.figure)


def shipped_recording() -> Recording:
    """The series' recorded run of the toy dashboard (package data)."""
    return load_recording(SHIPPED, kind=KIND)


def replay(recording: Recording | None = None) -> ReplayViewer:
    """A timeline slider over ``recording`` (default: the shipped run); introduced in nb 02."""
    return ReplayViewer(ToyReplay(recording if recording is not None else shipped_recording()))


def animation(
    recording: Recording | None = None,
    frames: list[int] | None = None,
    dpi: float = 60.0,
    fps: float = 4.0,
) -> str:
    """The recording (default: the shipped run) as a self-contained JavaScript animation."""
    painter = ToyReplay(recording if recording is not None else shipped_recording())
    try:
        return animation_html(painter, frames=frames, fps=fps, dpi=dpi)
    finally:
        painter.close()


def record_run(
    config: ToyGANConfig | None = None, steps: int = 3000, every: int = 200, chunk: int = 25
) -> Recording:
    """Play a :class:`ToyDashboard` for ``steps`` generator steps, recording every ``every``.

    Training runs in chunks of exactly ``chunk`` iterations (one history record each), so the
    recording is reproducible.
    """
    dash = ToyDashboard(config)
    try:
        dash.start_recording(every=every)
        while dash.gan.step < steps and dash.gan.diverged is None:
            dash.run_chunk(iterations=min(chunk, steps - dash.gan.step))
        dash.stop_recording()
        recording = dash.recording
    finally:
        dash.close()
    assert recording is not None
    return recording


def main(argv: list[str] | None = None) -> None:
    """``python -m ganlib.toy.replay --out FILE [--steps N --every N --seed N]``."""
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SHIPPED)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--every", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    recording = record_run(ToyGANConfig(seed=args.seed), args.steps, args.every)
    recording.meta.update(provenance(argv, "ganlib.toy.replay"))
    path = recording.save(args.out)
    print(
        f"{recording.n_frames} frames, steps {recording.steps[0]}-{recording.steps[-1]}, "
        f"{path.stat().st_size / 1024:.0f} KB: {path}"
    )


if __name__ == "__main__":
    main()
