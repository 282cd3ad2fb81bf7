"""Notebook 03 in a real browser: JupyterLab + headless Chromium, driven by playwright.

The test copies notebook 03 into a temporary folder, starts a private JupyterLab (the helpers of
``tests/browser``), runs every cell through the Run menu in a 1280 × 720 window and checks that
no cell shows an error and that the dashboard fits without horizontal scrolling. On the live
dashboard it switches every layer off and on, takes a D step and a G step, drags the lr_G
slider and presses Play, checking each time that the ipympl canvas changes. It measures the
redraw rate while playing (the 64 × 64 heat map, 512 points and their arrows: the notebook's
defaults), both as the dashboard's own count and as images the browser actually drew, and
reports both in ``artifacts/browser/plane-log.json`` without asserting them (a speed is a
benchmark's business). Finally the extreme settings lr = 1, batch 1, k = 20 must end in the
divergence message, never a traceback.

The notebook runs in smoke mode (``GANLIB_SMOKE=1``, set for the server), as in CI: its full
settings train for about ten minutes before the dashboard cell.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.lab import LabServer, chromium_path

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = "03_plane_gan.ipynb"
ARTIFACTS = REPO / "artifacts" / "browser"
STEP = re.compile(r"^step (\d+)")
RATE = re.compile(r"(\d+) redraws/s")
LAYERS = ("D heat map", "real", "fake", "arrows", "noise grid", "D* contours")

#: Counts the images drawn onto each visible canvas (ipympl draws every frame it receives).
COUNT_FRAMES_JS = """
window.__frames = new Map();
const draw = CanvasRenderingContext2D.prototype.drawImage;
CanvasRenderingContext2D.prototype.drawImage = function (...args) {
  if (this.canvas.isConnected) {
    window.__frames.set(this.canvas, (window.__frames.get(this.canvas) || 0) + 1);
  }
  return draw.apply(this, args);
};
"""
#: The most images any one canvas has received so far (the dashboard's, while it plays).
FRAMES_JS = "() => Math.max(0, ...window.__frames.values())"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """A JupyterLab server on a copy of notebook 03, in smoke mode; stopped by PID."""
    if chromium_path() is None:
        pytest.skip(
            "Chromium is missing: install it with `apt-get install chromium` "
            "(Debian/Ubuntu; .ci/run does this) to run the real-browser test"
        )
    pytest.importorskip(
        "playwright.sync_api", reason="playwright is missing: pip install -e .[dev]"
    )
    root = tmp_path_factory.mktemp("notebooks")
    shutil.copy(REPO / "notebooks" / NOTEBOOK, root / NOTEBOOK)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GANLIB_SMOKE", "1")  # the server's kernels inherit it
        server = LabServer(root=root, workdir=tmp_path_factory.mktemp("jupyterlab")).start()
    yield server
    server.stop()


def _step(text: str) -> int:
    match = STEP.match(text)
    assert match, f"the status line does not start with 'step N': {text!r}"
    return int(match.group(1))


def _changes(page, canvas, before: str, what: str, timeout_s: float = 30.0) -> str:
    """Wait until the canvas shows something other than ``before``; return its new pixels."""
    from tests.browser import page as ui

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        now = ui.canvas_data_url(canvas)
        if now != before:
            return now
        page.wait_for_timeout(100)
    raise AssertionError(f"the dashboard's canvas did not change after {what}")


def _settled(page, canvas, quiet_s: float = 1.0, timeout_s: float = 30.0) -> str:
    """The canvas's pixels once they have not changed for ``quiet_s`` (a frame the play loop
    sent before Pause may still be on its way; comparing against it would race)."""
    from tests.browser import page as ui

    deadline = time.monotonic() + timeout_s
    last, since = ui.canvas_data_url(canvas), time.monotonic()
    while time.monotonic() < deadline:
        page.wait_for_timeout(200)
        now = ui.canvas_data_url(canvas)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return now
    raise AssertionError(f"the dashboard's canvas kept changing for {timeout_s:.0f} s")


def _drag_to_end(page, slider, right: bool) -> None:
    from tests.browser import page as ui

    ui.drag_slider(page, slider, 2.0 if right else -2.0)  # clamped to the track's ends


def test_notebook_03_runs_and_its_dashboard_responds(lab: LabServer) -> None:
    from playwright.sync_api import sync_playwright

    from tests.browser import page as ui

    log: dict[str, object] = {"console": []}
    started = time.monotonic()
    with sync_playwright() as pw:
        browser = ui.launch(pw)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.add_init_script(COUNT_FRAMES_JS)
            page.on("console", lambda m: log["console"].append(f"{m.type}: {m.text}"))  # type: ignore[union-attr]
            page.on("pageerror", lambda e: log["console"].append(f"pageerror: {e}"))  # type: ignore[union-attr]
            ui.open_notebook(page, lab, NOTEBOOK, timeout_s=90)
            log["run_all_s"] = round(ui.run_all_cells(page, timeout_s=600), 1)
            ui.save_screenshot(page, ARTIFACTS, "plane-01-after-run-all")
            log["stderr"] = ui.stderr_outputs(page)
            assert ui.error_outputs(page) == []

            dash = page.locator(".ganlib-dashboard").first
            status = dash.locator(".ganlib-dashboard-status")
            canvas = dash.locator(".jupyter-matplotlib-canvas-div canvas").first
            dash.scroll_into_view_if_needed()
            canvas.wait_for()
            box = dash.bounding_box()
            assert box is not None
            log["dashboard_px"] = [round(box["x"]), round(box["width"]), round(box["height"])]
            assert box["x"] + box["width"] <= 1280, "the dashboard is wider than the window"
            scroll = page.evaluate(
                "() => [...document.querySelectorAll('.jp-NotebookPanel .jp-WindowedPanel-outer,"
                " .jp-NotebookPanel .jp-Notebook')].map(e => e.scrollWidth - e.clientWidth)"
            )
            log["horizontal_overflow_px"] = scroll
            assert max(scroll) <= 1, f"the notebook scrolls sideways at 1280 px: {scroll}"
            ui.save_screenshot(page, ARTIFACTS, "plane-02-dashboard", target=dash)
            pixels = ui.canvas_data_url(canvas)

            step0 = _step(status.inner_text())
            dash.locator("button", has_text="Step D").click()
            page.wait_for_function("el => el.textContent.includes('D step')",
                                   arg=status.element_handle(), timeout=10_000)  # fmt: skip
            pixels = _changes(page, canvas, pixels, "Step D")
            dash.locator("button", has_text="Step G").click()
            page.wait_for_function("el => el.textContent.includes('G step')",
                                   arg=status.element_handle(), timeout=10_000)  # fmt: skip
            assert _step(status.inner_text()) == step0 + 1
            pixels = _changes(page, canvas, pixels, "Step G")

            slider = dash.locator(".widget-slider", has_text="lr_G").first
            readout = slider.locator(".widget-readout")
            lr_before = readout.inner_text()
            ui.drag_slider(page, slider, -0.2)
            log["lr_G"] = [lr_before, readout.inner_text()]
            assert readout.inner_text() != lr_before, "the lr_G slider did not move"

            dash.locator("button", has_text="Play").click()
            page.wait_for_function(
                "([el, s]) => parseInt(el.textContent.replace(/^\\D*/, '')) > s",
                arg=[status.element_handle(), step0 + 20],
                timeout=60_000,
            )
            frames0, t0 = page.evaluate(FRAMES_JS), time.monotonic()
            page.wait_for_timeout(5_000)
            frames1, t1 = page.evaluate(FRAMES_JS), time.monotonic()
            playing = status.inner_text()
            rate = RATE.search(playing)
            log["status_while_playing"] = playing
            log["redraws_per_s_kernel"] = int(rate.group(1)) if rate else None
            log["images_per_s_browser"] = round((frames1 - frames0) / (t1 - t0), 1)
            ui.save_screenshot(page, ARTIFACTS, "plane-03-playing", target=dash)
            pixels = _changes(page, canvas, pixels, "Play")
            dash.locator("button", has_text="Pause").click()
            dash.locator("button", has_text="Play").wait_for(timeout=10_000)
            ui.wait_kernel_idle(page, 30)
            assert _step(status.inner_text()) > step0 + 20
            assert ui.error_outputs(page) == []

            # every layer off and back on (G has reached the ring: D* has contours by now);
            # each switch must change the picture
            pixels = _settled(page, canvas)
            for name in LAYERS:
                switch = dash.locator(".widget-checkbox", has_text=name).locator("input")
                switch.uncheck()
                _changes(page, canvas, pixels, f"hiding {name}")
                pixels = _settled(page, canvas)
                switch.check()
                _changes(page, canvas, pixels, f"showing {name}")
                pixels = _settled(page, canvas)

            # extreme settings: lr = 1 (the sliders' right end), batch 1, k = 20
            sliders = dash.locator(".widget-slider")  # in order: lr_D, lr_G, k, batch
            for index, right in ((0, True), (1, True), (2, True), (3, False)):
                _drag_to_end(page, sliders.nth(index), right)
            readouts = dash.locator(".widget-slider .widget-readout").all_inner_texts()
            log["extreme_readouts"] = readouts
            assert readouts[:4] == ["1.0e+0", "1.0e+0", "20", "1"], readouts  # lr_D, lr_G, k, batch
            dash.locator("button", has_text="Play").click()
            page.wait_for_function("el => el.textContent.startsWith('diverged at step')",
                                   arg=status.element_handle(), timeout=60_000)  # fmt: skip
            log["diverged_status"] = status.inner_text()
            assert status.inner_text().endswith("press Reset")
            dash.locator("button", has_text="Play").wait_for(timeout=10_000)
            ui.wait_kernel_idle(page, 30)
            ui.save_screenshot(page, ARTIFACTS, "plane-04-diverged", target=dash)
            assert ui.error_outputs(page) == [], "a divergence must not show a traceback"
        finally:
            browser.close()
            log["total_s"] = round(time.monotonic() - started, 1)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            (ARTIFACTS / "plane-log.json").write_text(json.dumps(log, indent=1))
    print(
        f"redraw rate while playing: {log['redraws_per_s_kernel']} redraws/s (the dashboard's "
        f"count), {log['images_per_s_browser']} images/s drawn by the browser"
    )
