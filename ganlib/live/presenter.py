r"""Projector sizes for the dashboards: bigger fonts and figure, thick lines, Okabe–Ito colours.

Every dashboard (notebook 01's explorer, notebook 02's and notebook 03's dashboards) takes a
``size``: ``"laptop"`` (the default, the notebook's own layout), ``"presenter"`` (a projector at
1280 × 720) or ``"presenter-hd"`` (1920 × 1080). A presenter size

- lays the dashboard out for its screen: the buttons, controls and status line in a column on
  the left, the figure filling the rest, the whole page without scroll bars (the Voilà browser
  test checks ``scrollWidth``/``scrollHeight`` against the window at both screen sizes);
- raises every font of the figure to at least :attr:`Screen.font_pt` and the controls' to
  :attr:`Screen.widget_px`;
- thickens lines (×1.6, at least :attr:`Screen.line_floor`) and points (×3), because a washed-out
  projector eats thin lines first;
- maps the lessons' colours to the Okabe–Ito palette (Okabe & Ito 2008, "Color Universal
  Design"), which stays distinct for the common colour-vision deficiencies, without its light
  colours (orange becomes vermillion, yellow and sky blue are not used), and darkens the greys
  of reference lines: every line keeps a contrast of at least 3:1 on white, so it survives a
  projector's low contrast (``tests/live/test_presenter.py`` checks both, with simulated
  colour-vision deficiencies).

The restyling works on a finished figure (:func:`restyle_figure`), so each lesson keeps one way
of drawing its figure; it is idempotent and is applied again after a reset, when a lesson sets
new titles. Used by :mod:`ganlib.live.dashboard`, :mod:`ganlib.minimax.explorer`,
:mod:`ganlib.toy.dashboard` and :mod:`ganlib.plane.dashboard`; the Voilà apps in ``apps/``
choose the size from the page's address (``?size=presenter-hd``, :func:`size_from_query`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs

import ipywidgets as widgets
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from ganlib.core.validation import check_choice

#: The Okabe–Ito palette (black omitted).
OKABE_ITO: dict[str, str] = {
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}
#: The lessons' colours and their Okabe–Ito replacement (keys: any matplotlib colour).
RECOLOUR: dict[str, str] = {
    "green": OKABE_ITO["bluish green"],
    "tab:green": OKABE_ITO["bluish green"],
    "C2": OKABE_ITO["bluish green"],
    "blue": OKABE_ITO["blue"],
    "tab:blue": OKABE_ITO["blue"],
    "C0": OKABE_ITO["blue"],
    # Okabe–Ito's orange has a contrast of 2.2 on white, too little for a washed-out projector
    "tab:orange": OKABE_ITO["vermillion"],
    "C1": OKABE_ITO["vermillion"],
    OKABE_ITO["orange"]: OKABE_ITO["vermillion"],
    "tab:red": OKABE_ITO["vermillion"],
    "C3": OKABE_ITO["vermillion"],
    "purple": OKABE_ITO["reddish purple"],
    "#AA3377": OKABE_ITO["reddish purple"],
    "grey": "#333333",
    "gray": "#333333",
    "0.75": "#777777",
    "0.8": "#777777",
    "#555555": "#333333",
    "0.4": "#333333",
}
_RECOLOUR_HEX = {to_hex(k): v for k, v in RECOLOUR.items()}
_DONE = "_ganlib_presenter"  # marks an artist already restyled (restyling is idempotent)


@dataclass(frozen=True)
class Screen:
    """A presenter size: the screen it fills and the minimum sizes on it.

    Attributes
    ----------
    width, height : int
        The browser window's inner size in CSS pixels.
    sidebar_px : int
        Width of the column of buttons, controls and status line.
    font_pt : float
        Smallest font in the figure (points at 100 dpi: 1 pt = 1.39 px).
    widget_px : int
        Font size of the controls and the status line.
    line_floor : float
        Thinnest plotted line, in points.
    """

    width: int
    height: int
    sidebar_px: int
    font_pt: float
    widget_px: int
    line_floor: float
    row_px: int = 30  # height of one control row (ipywidgets' inline height)

    @property
    def figsize(self) -> tuple[float, float]:
        """The figure in inches at 100 dpi: the window less the sidebar and margins."""
        margin = 24  # page padding, the gap beside the sidebar, the figure's own border
        return ((self.width - self.sidebar_px - 2 * margin) / 100, (self.height - margin) / 100)


#: The sizes a dashboard accepts; ``"laptop"`` keeps the notebook layout.
SCREENS: dict[str, Screen] = {
    "presenter": Screen(1280, 720, sidebar_px=330, font_pt=13, widget_px=16, line_floor=2.5),
    "presenter-hd": Screen(
        1920, 1080, sidebar_px=460, font_pt=19, widget_px=23, line_floor=3.5, row_px=40
    ),
}
SIZES: tuple[str, ...] = ("laptop", *SCREENS)


def check_size(size: str) -> str:
    """Return ``size`` if it is one of :data:`SIZES`, else a ``ValueError`` listing them."""
    try:
        return check_choice("size", size, SIZES)
    except ValueError as exc:
        raise ValueError(
            f"{exc}. Use 'laptop' in a notebook, 'presenter' on a 1280x720 projector or "
            "'presenter-hd' on a 1920x1080 one"
        ) from None


def screen_for(size: str) -> Screen | None:
    """The :class:`Screen` of a presenter size; ``None`` for ``"laptop"``."""
    return SCREENS.get(check_size(size))


def size_from_query(default: str = "presenter", query: str | None = None) -> str:
    """The ``size`` in a page address's query (``?size=presenter-hd``), else ``default``.

    Voilà passes the page's query string to the kernel as ``QUERY_STRING``; ``query`` overrides
    it (tests). An unknown size raises :func:`check_size`'s ``ValueError``.
    """
    text = os.environ.get("QUERY_STRING", "") if query is None else query
    values = parse_qs(text).get("size", [default])
    return check_size(values[-1])


def _recolour(colour: object) -> str | None:
    try:
        return _RECOLOUR_HEX.get(to_hex(colour))  # type: ignore[arg-type]
    except ValueError:
        return None


def _restyle_line(line: Line2D, floor: float) -> None:
    new = _recolour(line.get_color())
    if new is not None:
        line.set_color(new)
    line.set_linewidth(max(1.6 * line.get_linewidth(), floor if line.get_linewidth() > 1.5 else 2))
    line.set_markersize(1.5 * line.get_markersize())


def restyle_figure(figure: Figure, screen: Screen) -> None:
    """Fonts, line widths, point sizes and colours of ``figure`` for ``screen`` (in place).

    Artists restyled before are left alone, so calling it again (after a reset that set new
    titles) only touches what is new.
    """
    for ax in figure.axes:
        ax.tick_params(labelsize=screen.font_pt, width=1.5, length=6)
    for artist in figure.findobj(
        lambda a: isinstance(a, Line2D | PathCollection | LineCollection | Rectangle | Text)
    ):
        if isinstance(artist, Text):  # fonts are floors, so they are always re-applied
            artist.set_fontsize(max(artist.get_fontsize(), screen.font_pt))
            new = _recolour(artist.get_color())
            if new is not None:
                artist.set_color(new)
            continue
        if getattr(artist, _DONE, False):
            continue
        setattr(artist, _DONE, True)
        if isinstance(artist, Line2D):
            _restyle_line(artist, screen.line_floor)
        elif isinstance(artist, Rectangle):  # bars
            new = _recolour(artist.get_facecolor())
            if new is not None:
                artist.set_facecolor(new)
        elif isinstance(artist, LineCollection):
            artist.set_color([_recolour(c) or c for c in artist.get_colors()])
            artist.set_linewidths(1.6 * artist.get_linewidths())
        else:
            artist.set_sizes(3.0 * artist.get_sizes())
            colours = [_recolour(c) or c for c in artist.get_facecolors()]
            if len(colours):
                artist.set_facecolors(colours)


def presenter_css(css_class: str, screen: Screen) -> str:
    """A ``<style>`` for a presenter dashboard: bigger controls, no page margins."""
    s, row = screen, screen.row_px
    return f"""<style>
body, .jp-Notebook, #rendered_cells, .jp-Cell, .jp-OutputArea-output {{
  margin: 0 !important; padding: 0 !important; }}
.jp-Cell-inputWrapper, .jp-OutputPrompt, .jp-InputPrompt {{ display: none !important; }}
.{css_class} {{ --jp-widgets-font-size: {s.widget_px}px; --jp-ui-font-size1: {s.widget_px}px;
  --jp-widgets-inline-height: {row}px; --jp-widgets-inline-label-width: {s.sidebar_px // 3}px;
  font-size: {s.widget_px}px; padding: 8px; gap: 16px; }}
.{css_class} .widget-label, .{css_class} .widget-readout, .{css_class} button,
.{css_class} select, .{css_class} .widget-html-content {{ font-size: {s.widget_px}px; }}
.{css_class} button {{ height: {row + 6}px; }}
.{css_class}-status {{ line-height: 1.3; white-space: normal; }}
</style>"""


def _column(controls: Sequence[widgets.Widget], width: int) -> list[widgets.Widget]:
    """One control per row; consecutive check boxes share wrapping rows."""
    rows: list[widgets.Widget] = []
    boxes: list[widgets.Widget] = []
    for control in controls:
        if isinstance(control, widgets.Checkbox):
            boxes.append(control)
            continue
        control.layout.width = f"{width}px"
        if hasattr(control.style, "description_width"):  # room for "p_data mean", "noise dim"
            control.style.description_width = f"{int(0.4 * width)}px"
        rows.append(control)
    if boxes:
        rows.append(widgets.HBox(boxes, layout=widgets.Layout(flex_flow="row wrap")))
    return rows


def flatten_rows(rows: Sequence[widgets.Widget]) -> list[widgets.Widget]:
    """The controls inside a laptop layout's rows (an ``HBox`` gives its children)."""
    out: list[widgets.Widget] = []
    for row in rows:
        out.extend(row.children if isinstance(row, widgets.HBox) else [row])
    return out


def presenter_layout(
    css_class: str,
    screen: Screen,
    buttons: Sequence[widgets.Widget],
    controls: Sequence[widgets.Widget],
    view: widgets.Widget,
) -> widgets.HBox:
    """The presenter page: a sidebar (buttons, controls, status line) beside the figure.

    ``controls`` are stacked one per row at the sidebar's width, the last of them usually the
    status line; ``view`` is the figure's canvas widget.
    """
    width = screen.sidebar_px - 16
    for button in buttons:
        button.layout.width = f"{width // 2 - 4}px"
    grid = widgets.HBox(list(buttons), layout=widgets.Layout(flex_flow="row wrap"))
    side = widgets.VBox(
        [widgets.HTML(presenter_css(css_class, screen)), grid, *_column(controls, width)],
        layout=widgets.Layout(width=f"{screen.sidebar_px}px", flex="0 0 auto"),
    )
    box = widgets.HBox([side, view], layout=widgets.Layout(align_items="flex-start"))
    box.add_class(css_class)
    box.add_class("ganlib-presenter")
    return box
