r"""Notebook 01's recorded run: the explorer's sliders, moved along a path and replayed.

The explorer has no training to record: its "run" is what a lecturer does with it, a sequence
of slider states. The shipped recording moves :math:`p_g` in a straight line in (mean, std)
from the explorer's start, :math:`\mathcal N(0.5, 0.6^2)`, to :math:`p_{data} =
\mathcal N(4, 1.25^2)`, the path Theorem 1 promises the game's optimum at its end: :math:`D^*`
flattens to 1/2 and :math:`C(G)` falls to :math:`-\log 4`. Each frame stores the four slider
values (and the JSD and C(G) the explorer showed); :class:`ExplorerReplay` puts the values back
into a :class:`ganlib.minimax.explorer.MinimaxExplorer`, whose own ``update`` redraws, so a
replayed frame is the explorer's picture. Any session can be recorded the same way
(``explorer.start_recording()``, then move the sliders, then ``explorer.recording.save(path)``).

The shipped file was made by::

    python -m ganlib.minimax.replay --out ganlib/minimax/recordings/explorer_path.npz
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from ganlib.live.recording import (
    Recording,
    ReplayViewer,
    animation_html,
    load_recording,
    provenance,
    set_axes_limits,
)
from ganlib.minimax.explorer import ExplorerConfig, MinimaxExplorer

SHIPPED = Path(__file__).resolve().parent / "recordings" / "explorer_path.npz"
KIND = "explorer"
SLIDERS = ("data_mean", "data_std", "g_mean", "g_std")


class ExplorerReplay:
    """Draws frame ``i`` of an explorer recording by setting a fresh explorer's sliders.

    Parameters
    ----------
    recording : Recording
        Of kind ``"explorer"``.
    """

    def __init__(self, recording: Recording) -> None:
        if recording.kind != KIND:
            raise ValueError(f"a {recording.kind!r} recording cannot be replayed as the explorer")
        self.recording = recording
        s = recording.settings
        config = ExplorerConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in s.items()})
        self.explorer = MinimaxExplorer(config)
        self.figure = self.explorer.fig

    def draw(self, i: int) -> None:
        """Set the sliders to frame ``i``'s values (the explorer redraws itself)."""
        values = self.recording.frame(i)["values"]
        self.explorer.set_values(**dict(zip(SLIDERS, map(float, values), strict=True)))
        set_axes_limits(self.figure, self.recording.limits[i])

    def render(self) -> None:
        self.figure.canvas.draw_idle()

    def status(self, i: int) -> str:
        """``"p_g N(2.25, 0.93²) · JSD 0.1234 nats · C(G) -1.1395"``."""
        _, _, mean, std = self.recording.frame(i)["values"]
        e = self.explorer
        return f"p_g N({mean:.2f}, {std:.2f}²) · JSD {e.jsd:.4f} nats · C(G) {e.criterion:.4f}"

    def close(self) -> None:
        plt.close(self.figure)


def shipped_recording() -> Recording:
    """The series' recorded explorer path (package data)."""
    return load_recording(SHIPPED, kind=KIND)


def replay(recording: Recording | None = None) -> ReplayViewer:
    """A timeline slider over ``recording`` (default: the shipped path); introduced in nb 01."""
    rec = recording if recording is not None else shipped_recording()
    return ReplayViewer(ExplorerReplay(rec))


def animation(
    recording: Recording | None = None,
    frames: list[int] | None = None,
    dpi: float = 60.0,
    fps: float = 6.0,
) -> str:
    """The recording (default: the shipped path) as a self-contained JavaScript animation."""
    painter = ExplorerReplay(recording if recording is not None else shipped_recording())
    try:
        return animation_html(painter, frames=frames, fps=fps, dpi=dpi)
    finally:
        painter.close()


def record_path(
    end: tuple[float, float] = (4.0, 1.25), frames: int = 25, config: ExplorerConfig | None = None
) -> Recording:
    r"""Move :math:`p_g` from the config's start to ``end`` = (mean, std) in ``frames`` redraws.

    The path is a straight line in (mean, std), equally spaced, recorded by the explorer.
    """
    explorer = MinimaxExplorer(config)
    try:
        explorer.start_recording()
        start = (explorer.g_mean.value, explorer.g_std.value)
        for t in np.linspace(0.0, 1.0, frames)[1:]:
            mean, std = (a + t * (b - a) for a, b in zip(start, end, strict=True))
            explorer.set_values(g_mean=round(mean, 4), g_std=round(std, 4))
        recording = explorer.recording
    finally:
        plt.close(explorer.fig)
    assert recording is not None
    recording.meta["ended"] = f"p_g reached N({end[0]}, {end[1]}²) after {frames} frames"
    return recording


def main(argv: list[str] | None = None) -> None:
    """``python -m ganlib.minimax.replay --out FILE [--frames N]``."""
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SHIPPED)
    parser.add_argument("--frames", type=int, default=25)
    args = parser.parse_args(argv)
    recording = record_path(frames=args.frames)
    recording.meta.update(provenance(argv, "ganlib.minimax.replay"))
    path = recording.save(args.out)
    print(f"{recording.n_frames} frames, {path.stat().st_size / 1024:.0f} KB: {path}")


if __name__ == "__main__":
    main()
