"""The presenter apps in a real browser: Voilà (``python3 dev.py present``'s server) + Chromium.

A private Voilà server on 127.0.0.1 (free port, random token) serves ``apps/``. For each app
(notebook 01's explorer, notebook 02's and notebook 03's dashboards) the test opens the page at
``?size=presenter`` in a 1280 × 720 window and checks that

- the page shows the controls and the ipympl canvas with the figure drawn on it, and no code;
- the page has no scroll bars (``document.scrollingElement``'s scroll size is the window's), also
  when the same page is shown at 1920 × 1080, and for ``?size=presenter-hd`` at 1920 × 1080;
- a slider moved by the mouse changes what the status line shows (the explorer: the JSD; a
  dashboard: the setting, pending until the next step);
- Play (the dashboards) makes the status line's step count advance and the canvas change: ipympl
  renders and blits under Voilà;
- the page's console has no error and no uncaught exception.

Screenshots of every size go to ``artifacts/presenter/`` with a log. Requests to other hosts
(Voilà's template asks a CDN for Font Awesome) are answered with an empty stylesheet, so the test
runs offline; the log lists them. Needs the system Chromium; never downloads a browser.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.lab import chromium_path
from tests.browser.voila import VoilaServer

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "artifacts" / "presenter"
CANVAS = ".jupyter-matplotlib-canvas-div canvas"
STEP = re.compile(r"^step (\d+)")
RATE = re.compile(r"(\d+) redraws/s")
SCREENS = {"presenter": (1280, 720), "presenter-hd": (1920, 1080)}
#: app notebook, CSS class of its box, the slider the test drags
APPS = {
    "01_explorer.ipynb": ("ganlib-explorer", "p_g mean"),
    "02_toy.ipynb": ("ganlib-dashboard", "lr_G"),
    "03_plane.ipynb": ("ganlib-dashboard", "lr_G"),
}
#: True once the canvas shows a drawing: some pixel that is neither white nor transparent.
_DRAWN_JS = """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  for (let i = 0; i < d.length; i += 4 * 97) {
    if (d[i + 3] > 0 && (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200)) return true; }
  return false; }"""
_SCROLL_JS = """() => { const e = document.scrollingElement;
  return {scrollWidth: e.scrollWidth, scrollHeight: e.scrollHeight,
          innerWidth: window.innerWidth, innerHeight: window.innerHeight}; }"""

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def voila(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VoilaServer]:
    """Voilà on ``apps/``; stopped (kernels included) by PID."""
    if chromium_path() is None:
        pytest.skip(
            "Chromium is missing: install it with `apt-get install chromium` "
            "(Debian/Ubuntu; .ci/run does this) to run the Voilà browser tests"
        )
    pytest.importorskip(
        "playwright.sync_api", reason="playwright is missing: pip install -e .[dev]"
    )
    pytest.importorskip("voila", reason="Voilà is missing: pip install -e .[lab]")
    server = VoilaServer(root=REPO / "apps", workdir=tmp_path_factory.mktemp("voila")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser(voila: VoilaServer) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    from tests.browser import page as ui

    with sync_playwright() as pw:
        chromium = ui.launch(pw)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def log() -> Iterator[dict[str, Any]]:
    record: dict[str, Any] = {}
    yield record
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "voila-log.json").write_text(json.dumps(record, indent=1))


def _open(browser: Any, voila: VoilaServer, app: str, size: str, entry: dict[str, Any]) -> Any:
    """Start loading ``app`` at ``size`` in its screen's window (console and requests logged).

    Returns at once, so that Voilà runs this page's kernel while the test drives another;
    :func:`_ready` waits for the figure.
    """
    width, height = SCREENS[size]
    page = browser.new_page(viewport={"width": width, "height": height})
    console: list[str] = entry.setdefault("console", [])
    outside: list[str] = entry.setdefault("other_hosts", [])
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))

    def offline(route: Any) -> None:
        outside.append(route.request.url)
        route.fulfill(status=200, content_type="text/css", body="")

    page.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), offline)
    page.goto(voila.app_url(app, size), timeout=180_000, wait_until="commit")
    return page


def _ready(page: Any, size: str, entry: dict[str, Any], started: float) -> None:
    """Wait until the page's canvas shows the figure (ipympl's first full draw); note when."""
    canvas = page.locator(CANVAS).first
    canvas.wait_for(timeout=180_000)
    page.wait_for_function(_DRAWN_JS, arg=canvas.element_handle(), timeout=120_000, polling=500)
    entry[f"ready_s_{size}"] = round(time.monotonic() - started, 1)


def _check_fits(page: Any, name: str, entry: dict[str, Any]) -> None:
    """No scroll bar at the window's size; save the screenshot."""
    from tests.browser import page as ui

    dims = page.evaluate(_SCROLL_JS)
    entry[f"scroll_{name}"] = dims
    ui.save_screenshot(page, ARTIFACTS, name)
    assert dims["scrollWidth"] <= dims["innerWidth"], f"{name}: horizontal scroll {dims}"
    assert dims["scrollHeight"] <= dims["innerHeight"], f"{name}: vertical scroll {dims}"


def _errors(entry: dict[str, Any]) -> list[str]:
    return [m for m in entry.get("console", []) if m.startswith(("error", "pageerror"))]


def _drag_and_wait(page: Any, box: Any, slider_label: str, status: Any) -> tuple[str, str]:
    """Drag the slider, wait until the status line changes; returns (before, after)."""
    from tests.browser import page as ui

    before = status.inner_text()
    ui.drag_slider(page, box.locator(".widget-slider", has_text=slider_label).first, 0.2)
    page.wait_for_function(
        "([el, t]) => el.textContent !== t", arg=[status.element_handle(), before], timeout=60_000
    )
    return before, status.inner_text()


def _play(page: Any, box: Any, status: Any, canvas: Any, entry: dict[str, Any]) -> None:
    """Play until the step count moved on by 10, note the redraw rate, then Pause."""
    from tests.browser import page as ui

    step0, pixels0 = int(STEP.match(status.inner_text()).group(1)), ui.canvas_data_url(canvas)
    box.locator("button", has_text="Play").click()
    page.wait_for_function(
        "([el, s]) => parseInt(el.textContent.replace(/^\\D*/, '')) > s",
        arg=[status.element_handle(), step0 + 10],
        timeout=60_000,
    )
    page.wait_for_timeout(2000)
    playing = status.inner_text()
    rate = RATE.search(playing)
    entry["status_playing"], entry["redraws_per_s"] = playing, int(rate.group(1)) if rate else None
    pixels1 = ui.canvas_data_url(canvas)
    box.locator("button", has_text="Pause").click()
    page.wait_for_function(
        "el => /paused at step \\d+/.test(el.textContent)",
        arg=status.element_handle(),
        timeout=60_000,
    )
    assert int(STEP.match(playing).group(1)) > step0 + 10, playing
    assert pixels1 != pixels0, "the canvas did not change while playing (ipympl under Voilà)"


@pytest.mark.parametrize("app", list(APPS))
def test_app_renders_fits_and_responds(
    app: str, voila: VoilaServer, browser: Any, log: dict[str, Any]
) -> None:
    css, slider = APPS[app]
    entry: dict[str, Any] = log.setdefault(app, {})
    stem = app.removesuffix(".ipynb")
    started = time.monotonic()
    page = _open(browser, voila, app, "presenter", entry)
    hd_page = _open(browser, voila, app, "presenter-hd", entry)  # its kernel starts meanwhile
    try:
        _ready(page, "presenter", entry, started)
        box = page.locator(f".{css}.ganlib-presenter").first
        status = box.locator(f".{css}-status")
        canvas = box.locator(CANVAS).first
        assert box.is_visible(), "the app's controls are not shown"
        assert canvas.is_visible(), "the figure's canvas is not shown"
        assert "size_from_query" not in page.inner_text("body"), "the app shows its code"
        _check_fits(page, f"{stem}-presenter-1280x720", entry)
        pixels0 = canvas.evaluate("c => c.toDataURL('image/png')")
        entry["slider"] = _drag_and_wait(page, box, slider, status)
        if css == "ganlib-explorer":
            assert entry["slider"][1].split("nats")[0] != entry["slider"][0].split("nats")[0]
            page.wait_for_timeout(1000)
            assert canvas.evaluate("c => c.toDataURL('image/png')") != pixels0
        else:
            assert re.search(rf"{slider} \S+, applies at the next step$", entry["slider"][1])
            _play(page, box, status, canvas, entry)
        page.set_viewport_size({"width": 1920, "height": 1080})
        page.wait_for_timeout(500)
        _check_fits(page, f"{stem}-presenter-1920x1080", entry)
        page.close()
        _ready(hd_page, "presenter-hd", entry, started)
        hd_page.locator(f".{css}.ganlib-presenter").first.wait_for()
        _check_fits(hd_page, f"{stem}-presenter-hd-1920x1080", entry)
    finally:
        for each in (page, hd_page):
            if not each.is_closed():
                each.close()
    assert _errors(entry) == [], _errors(entry)
