"""Notebook 02 in a real browser: JupyterLab + headless Chromium, driven by playwright.

The test copies notebook 02 into a temporary folder (so JupyterLab's autosave cannot touch the
committed file), starts a private JupyterLab on 127.0.0.1 with a random token, runs every cell
through the Run menu, checks that no cell shows an error, then drives the live dashboard at the
end of the notebook: it has the noise-dimension control at 1 (the reference problem); dragging the
lr_G slider while paused shows the setting as pending in the status line; Play makes the status
line's step count advance and the ipympl canvas change (the Figure-1 panel, its z -> x arrows and
G's map are drawn there); a slider moved while playing is applied; Pause says where it stopped.
Screenshots and a log go to ``artifacts/browser/``. The server and its kernels
are stopped by PID.

Needs the system Chromium (``apt-get install chromium``; ``.ci/run`` installs it) and never
downloads a browser. Run it alone with ``python -m pytest tests/test_browser.py``.
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
NOTEBOOK = "02_toy_gan.ipynb"
ARTIFACTS = REPO / "artifacts" / "browser"
STEP = re.compile(r"^step (\d+)")
PENDING = re.compile(r"lr_G \d\.\de-\d, applies at the next step$")
RATE = re.compile(r"(\d+) redraws/s")

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """A JupyterLab server on a copy of notebook 02; stopped (kernels included) by PID."""
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
    server = LabServer(root=root, workdir=tmp_path_factory.mktemp("jupyterlab")).start()
    yield server
    server.stop()


def _step(text: str) -> int:
    match = STEP.match(text)
    assert match, f"the status line does not start with 'step N': {text!r}"
    return int(match.group(1))


def test_notebook_02_runs_in_jupyterlab_and_its_dashboard_plays(lab: LabServer) -> None:
    from playwright.sync_api import sync_playwright

    from tests.browser import page as ui

    log: dict[str, object] = {"console": []}
    started = time.monotonic()
    comms = lab.setting("@jupyterlab/apputils-extension:kernels-settings", "commsOverSubshells")
    assert comms == "disabled", "jupyter-settings/overrides.json is not honoured"
    with sync_playwright() as pw:
        browser = ui.launch(pw)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("console", lambda m: log["console"].append(f"{m.type}: {m.text}"))  # type: ignore[union-attr]
            page.on("pageerror", lambda e: log["console"].append(f"pageerror: {e}"))  # type: ignore[union-attr]
            ui.open_notebook(page, lab, NOTEBOOK, timeout_s=90)
            log["run_all_s"] = round(ui.run_all_cells(page, timeout_s=900), 1)
            ui.save_screenshot(page, ARTIFACTS, "01-after-run-all")
            log["stderr"] = ui.stderr_outputs(page)
            assert ui.error_outputs(page) == []

            dash = page.locator(".ganlib-dashboard").first
            status = dash.locator(".ganlib-dashboard-status")
            canvas = dash.locator(".jupyter-matplotlib-canvas-div canvas").first
            dash.scroll_into_view_if_needed()
            canvas.wait_for()
            ui.save_screenshot(page, ARTIFACTS, "02-dashboard-before-play", target=dash)
            step0, pixels0 = _step(status.inner_text()), ui.canvas_data_url(canvas)
            noise_dim = dash.locator(".widget-dropdown", has_text="noise dim").locator("select")
            log["noise_dim"] = noise_dim.input_value()
            assert log["noise_dim"] == "1", "the dashboard must start on the reference problem"

            paused_slider = dash.locator(".widget-slider", has_text="lr_G").first
            ui.drag_slider(page, paused_slider, 0.15)  # moved while paused: pending
            page.wait_for_function(
                "el => /applies at the next step$/.test(el.textContent)",
                arg=status.element_handle(),
                timeout=15_000,
            )
            log["status_pending"] = status.inner_text()
            assert PENDING.search(log["status_pending"]), log["status_pending"]
            assert _step(log["status_pending"]) == step0  # nothing trained yet

            dash.locator("button", has_text="Play").click()
            page.wait_for_function(
                "([el, s]) => parseInt(el.textContent.replace(/^\\D*/, '')) > s",
                arg=[status.element_handle(), step0 + 10],
                timeout=30_000,
            )
            slider = dash.locator(".widget-slider", has_text="lr_G").first
            readout = slider.locator(".widget-readout")
            lr_before = readout.inner_text()
            ui.drag_slider(page, slider, -0.3)
            page.wait_for_function(  # the note shows for a few seconds while playing
                "el => /applied at step/.test(el.textContent)",
                arg=status.element_handle(),
                timeout=15_000,
            )
            log["status_applied"] = status.inner_text()
            time.sleep(2.0)  # let it train and redraw at the new learning rate
            log["lr_G"] = [lr_before, readout.inner_text()]
            assert readout.inner_text() != lr_before, "the lr_G slider did not move"
            playing_status = status.inner_text()
            ui.save_screenshot(page, ARTIFACTS, "03-dashboard-playing", target=dash)
            step1, pixels1 = _step(playing_status), ui.canvas_data_url(canvas)
            rate = RATE.search(playing_status)
            log["status_while_playing"] = playing_status
            log["redraws_per_s"] = int(rate.group(1)) if rate else None

            dash.locator("button", has_text="Pause").click()
            dash.locator("button", has_text="Play").wait_for(timeout=10_000)
            ui.wait_kernel_idle(page, 30)
            page.wait_for_function(
                "el => /paused at step \\d+/.test(el.textContent)",
                arg=status.element_handle(),
                timeout=15_000,
            )
            log["status_paused"] = status.inner_text()
            ui.save_screenshot(page, ARTIFACTS, "04-after-pause")
            log["steps"] = [step0, step1]
            assert step1 > step0, "the status line's step did not advance"
            assert pixels1 != pixels0, "the figure's canvas did not change"
            assert "error" not in status.inner_text(), status.inner_text()
            assert ui.error_outputs(page) == []
        finally:
            browser.close()
            log["total_s"] = round(time.monotonic() - started, 1)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            (ARTIFACTS / "browser-log.json").write_text(json.dumps(log, indent=1))
