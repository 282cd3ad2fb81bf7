r"""Notebook 03's recorded run: replay the plane dashboard without training, or record a run.

:class:`PlaneReplay` draws a frame of a :class:`ganlib.live.recording.Recording` into the live
dashboard's own figure class (:class:`ganlib.plane.dashboard.PlaneFigure`): the recorded view
(D's heat map, D*'s contours, real and fake points, G's gradient arrows, the warped noise grid)
and the curves up to that step, with the axes limits and layers the live figure had.
:func:`replay` wraps it in a timeline slider, :func:`animation` in a self-contained JavaScript
animation.

The series ships one run, the dashboard's defaults (``PlaneGANConfig()``, seed 0, the ring of
eight modes) for 4,000 steps: G starts spread out at the centre, its points reach the ring and
cover all eight modes from step 600 on, and the seams between them thin until at least 90 % of
the points are high quality, from about step 1,550. It was made by::

    python -m ganlib.plane.replay --out ganlib/plane/recordings/plane_default.npz

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
from ganlib.plane.dashboard import PlaneDashboard, PlaneFigure, ViewSettings
from ganlib.plane.targets import TARGETS
from ganlib.plane.training import PlaneGANConfig

SHIPPED = Path(__file__).resolve().parent / "recordings" / "plane_default.npz"
KIND = "plane"
#: The shipped run's view: a 48 × 48 heat map and 256 points keep the file near 0.5 MB.
RECORDED_VIEW = ViewSettings(lattice=48, samples=256, grid_lines=12, line_points=20)


class PlaneReplay:
    """Draws frame ``i`` of a plane recording with the live dashboard's figure.

    Parameters
    ----------
    recording : Recording
        Of kind ``"plane"``.
    figsize : (float, float), optional
        Default: the recorded dashboard's.
    """

    def __init__(self, recording: Recording, figsize: tuple[float, float] | None = None) -> None:
        if recording.kind != KIND:
            raise ValueError(f"a {recording.kind!r} recording cannot be replayed as the plane's")
        self.recording = recording
        s = recording.settings
        self.target = TARGETS[s["target"]]
        size = tuple(figsize if figsize is not None else s["figsize"])
        self.live = PlaneFigure(recording.frame(0), self.target, size)
        for name, visible in s.get("layers", {}).items():
            self.live.set_layer(name, visible)
        self.figure = self.live.figure

    def draw(self, i: int) -> None:
        """Put frame ``i``'s view, curves and axes limits into the figure."""
        changed = set_axes_limits(self.figure, self.recording.limits[i])
        curves = SimpleNamespace(**self.recording.curves_until(i))
        self.live.put(self.recording.frame(i), curves, None)
        if changed:
            self.live.invalidate()

    def render(self) -> None:
        self.live.render()

    def status(self, i: int) -> str:
        """``"step 400 · modes 1/8 · high quality 97 % · JS 0.512 nats"`` (the live status)."""
        c = self.recording.curves_until(i)
        if len(c.get("step", ())) == 0:
            return f"step {self.recording.steps[i]}"
        return (
            f"step {self.recording.steps[i]} · modes {c['modes'][-1]:.0f}/{self.target.n_modes}"
            f" · high quality {100 * c['hq'][-1]:.0f} % · JS {c['js'][-1]:.3f} nats"
        )

    def close(self) -> None:
        plt.close(self.figure)


def shipped_recording() -> Recording:
    """The series' recorded run of the plane dashboard (package data)."""
    return load_recording(SHIPPED, kind=KIND)


def replay(recording: Recording | None = None) -> ReplayViewer:
    """A timeline slider over ``recording`` (default: the shipped run); introduced in nb 03."""
    return ReplayViewer(PlaneReplay(recording if recording is not None else shipped_recording()))


def animation(
    recording: Recording | None = None,
    frames: list[int] | None = None,
    dpi: float = 60.0,
    fps: float = 4.0,
) -> str:
    """The recording (default: the shipped run) as a self-contained JavaScript animation."""
    painter = PlaneReplay(recording if recording is not None else shipped_recording())
    try:
        return animation_html(painter, frames=frames, fps=fps, dpi=dpi)
    finally:
        painter.close()


def record_run(
    config: PlaneGANConfig | None = None,
    steps: int = 4000,
    every: int = 250,
    chunk: int = 50,
    view: ViewSettings = RECORDED_VIEW,
) -> Recording:
    """Play a :class:`PlaneDashboard` for ``steps`` generator steps, recording every ``every``.

    Training runs in chunks of exactly ``chunk`` iterations (one history record each), so the
    recording is reproducible.
    """
    dash = PlaneDashboard(config, view=view)
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
    """``python -m ganlib.plane.replay --out FILE [--steps N --every N --seed N]``."""
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SHIPPED)
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--every", type=int, default=250)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    recording = record_run(PlaneGANConfig(seed=args.seed), args.steps, args.every)
    recording.meta.update(provenance(argv, "ganlib.plane.replay"))
    path = recording.save(args.out)
    size = path.stat().st_size / 1024
    print(
        f"{recording.n_frames} frames, steps {recording.steps[0]}-{recording.steps[-1]}, "
        f"{size:.0f} KB: {path}"
    )


if __name__ == "__main__":
    main()
