"""One persistent figure, redrawn by *blitting*: the frame machinery of every live dashboard.

A full matplotlib draw of a few panels (ticks, labels, legends, a heat map) takes 100-200 ms on
a laptop core, too slow for ten frames a second. So the artists that move are *animated*: after
each full draw the static background is copied (``copy_from_bbox``), and a frame is that
background pasted back, the moving artists drawn on it and ``canvas.blit`` (ipympl then sends
the new image). A full draw happens only when the static part changes (a new target, an axis
that must grow, a divergence): call :meth:`BlitFigure.invalidate`. With a non-interactive
backend (Agg, in tests) the same code renders off-screen.

Used by notebook 02's and notebook 03's dashboards (:mod:`ganlib.toy.dashboard`,
:mod:`ganlib.plane.dashboard`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

from matplotlib.artist import Artist
from matplotlib.figure import Figure

#: Ask the browser again for a full draw if none came within this many seconds.
FULL_DRAW_RETRY_S = 1.0


def send_whole_frames(canvas: Any) -> None:
    """Make ipympl send the next frame as a whole image, not as a diff of the previous one.

    ipympl's browser side keeps only the newest image it was sent: when frames arrive faster than
    it decodes them, older ones are dropped, and a dropped *diff* leaves stale pixels on screen.
    A whole frame is always right on its own. (``_force_full`` is matplotlib's WebAgg flag; other
    canvases do not have it and need nothing.)
    """
    if hasattr(canvas, "_force_full"):
        canvas._force_full = True


def hide_canvas_chrome(figure: Figure) -> None:
    """Hide ipympl's header and footer (the figure number and the cursor readout)."""
    for attr in ("header_visible", "footer_visible"):
        if hasattr(figure.canvas, attr):  # ipympl's canvas widget only
            setattr(figure.canvas, attr, False)


class BlitFigure:
    """A figure and its moving artists; :meth:`render` shows the current state of the artists.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
        Created once (inside ``plt.ioff()`` so ipympl does not display it twice).
    moving : sequence of Artist
        The artists that change every frame; they are marked animated.

    Attributes
    ----------
    full_draws, blits : int
        How many full draws and how many blitted frames were rendered.
    """

    def __init__(self, figure: Figure, moving: Sequence[Artist]) -> None:
        self.figure = figure
        self.moving = list(moving)
        for artist in self.moving:
            artist.set_animated(True)
        self.full_draws = self.blits = 0
        self._background: Any = None
        self._requested = -math.inf  # when the last full draw was asked for
        hide_canvas_chrome(figure)
        figure.canvas.mpl_connect("draw_event", self._on_draw)

    def invalidate(self) -> None:
        """The static part changed: the next :meth:`render` asks for a full draw."""
        self._background = None

    def render(self) -> None:
        """Blit the moving artists onto the saved background (or ask for a full draw)."""
        canvas = self.figure.canvas
        if self._background is None:
            # ipympl draws when the browser asks; ask again if no draw came within a second
            if time.perf_counter() - self._requested > FULL_DRAW_RETRY_S:
                self._requested = time.perf_counter()
                canvas.draw_idle()
            return
        canvas.restore_region(self._background)
        for artist in self.moving:
            self.figure.draw_artist(artist)
        send_whole_frames(canvas)
        canvas.blit(self.figure.bbox)
        self.blits += 1

    def _on_draw(self, event: Any) -> None:
        """After every full draw: keep the background, then draw the moving artists on it."""
        if event is not None and event.canvas.is_saving():  # savefig: just add the artists
            for artist in self.moving:
                artist.draw(event.renderer)
            return
        self.full_draws += 1
        self._requested = -math.inf
        send_whole_frames(self.figure.canvas)
        self._background = self.figure.canvas.copy_from_bbox(self.figure.bbox)
        for artist in self.moving:
            self.figure.draw_artist(artist)
