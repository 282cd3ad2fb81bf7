"""The replay viewer in a real browser: JupyterLab + headless Chromium, driven by playwright.

A one-cell notebook shows notebook 02's shipped recording in a
:class:`ganlib.live.recording.ReplayViewer` (``%matplotlib widget``). Dragging the timeline
slider to its end must change the drawn picture and the status line (frame 16/16, step 3000)
without any training; dragging it back to the start must redraw again, and the Play widget's
play button must then advance the timeline. No uncaught error and no console error other than a
resource that failed to load (JupyterLab asks for a few that a private server lacks) may
appear; the console goes to ``artifacts/browser/replay-log.json``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from tests.browser.lab import LabServer, chromium_path

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "artifacts" / "browser"
NOTEBOOK = "replay.ipynb"
FRAME = re.compile(r"frame (\d+)/(\d+) · step (\d+)")
CELL = "%matplotlib widget\nfrom ganlib.toy import replay\n\nviewer = replay.replay()\nviewer"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """A JupyterLab server on a one-cell notebook showing the toy's recorded run."""
    if chromium_path() is None:
        pytest.skip("Chromium is missing: install it with `apt-get install chromium`")
    pytest.importorskip(
        "playwright.sync_api", reason="playwright is missing: pip install -e .[dev]"
    )
    root = tmp_path_factory.mktemp("notebooks")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CELL)])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, root / NOTEBOOK)
    server = LabServer(root=root, workdir=tmp_path_factory.mktemp("jupyterlab")).start()
    yield server
    server.stop()


def _frame(status: str) -> tuple[int, int, int]:
    match = FRAME.search(status)
    assert match, f"the replay's status line names no frame: {status!r}"
    return int(match.group(1)), int(match.group(2)), int(match.group(3))


def _wait(page, predicate, what: str, timeout_s: float = 30.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        page.wait_for_timeout(100)
    raise AssertionError(f"timed out waiting for {what}")


def test_the_timeline_slider_scrubs_the_recording(lab: LabServer) -> None:
    from playwright.sync_api import sync_playwright

    from tests.browser import page as ui

    log: dict[str, list[str]] = {"console": [], "errors": []}

    def on_console(message) -> None:
        log["console"].append(f"{message.type}: {message.text}")
        if message.type == "error" and "Failed to load resource" not in message.text:
            log["errors"].append(message.text)

    with sync_playwright() as pw:
        browser = ui.launch(pw)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.on("console", on_console)
            page.on("pageerror", lambda e: log["errors"].append(f"pageerror: {e}"))
            ui.open_notebook(page, lab, NOTEBOOK, timeout_s=90)
            ui.run_all_cells(page, timeout_s=180)
            assert ui.error_outputs(page) == []
            viewer = page.locator(".ganlib-replay").first
            status = viewer.locator(".ganlib-replay-status")
            canvas = viewer.locator(".jupyter-matplotlib-canvas-div canvas").first
            canvas.wait_for(timeout=60_000)
            assert _frame(status.inner_text()) == (1, 16, 0)
            page.wait_for_timeout(1500)  # let ipympl's first full draw land
            first = ui.canvas_data_url(canvas)
            ui.drag_slider(page, viewer.locator(".widget-slider").first, 2.0)  # to the end
            _wait(page, lambda: _frame(status.inner_text()) == (16, 16, 3000), "frame 16")
            last = _wait(
                page,
                lambda: (u := ui.canvas_data_url(canvas)) != first and u,
                "the canvas to show the last frame",
            )
            ui.save_screenshot(page, ARTIFACTS, "replay-last-frame", viewer)
            ui.drag_slider(page, viewer.locator(".widget-slider").first, -2.0)  # back to the start
            _wait(page, lambda: _frame(status.inner_text())[0] == 1, "the slider to rewind")
            _wait(page, lambda: ui.canvas_data_url(canvas) != last, "the canvas to rewind")
            viewer.locator(".widget-play button").first.click()  # the Play widget's play
            _wait(page, lambda: _frame(status.inner_text())[0] > 2, "Play to advance")
        finally:
            browser.close()
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            (ARTIFACTS / "replay-log.json").write_text(json.dumps(log, indent=1))
    assert log["errors"] == [], log["errors"]
