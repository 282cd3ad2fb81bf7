"""Drive a notebook in JupyterLab through playwright's sync API.

The selectors are JupyterLab 4's DOM (``.jp-CodeCell``, ``.jp-InputPrompt``,
the status bar's kernel item) and ipywidgets 8 / ipympl 0.10's
(``.widget-slider``, ``.noUi-handle``, ``.jupyter-matplotlib-canvas-div canvas``).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, Playwright

from .lab import CHROMIUM_ARGS, LabServer, chromium_path

#: A JavaScript predicate: every code cell has run (``[n]:``) and none is queued (``[*]:``).
_ALL_EXECUTED_JS = """() => {
  const prompts = [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')];
  const texts = prompts.map(p => p.textContent.trim());
  return texts.length > 0 && texts.every(t => /^\\[\\d+\\]:$/.test(t));
}"""


def launch(playwright: Playwright) -> Browser:
    """Start the system Chromium headless (never ``playwright install``)."""
    path = chromium_path()
    if path is None:
        raise RuntimeError("Chromium is missing: apt-get install chromium")
    return playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)


def open_notebook(page: Page, server: LabServer, name: str, timeout_s: float = 60) -> None:
    """Open ``name`` (relative to the server's root) and wait until its kernel is idle."""
    page.goto(server.url(f"lab/tree/{name}"), timeout=timeout_s * 1000)
    page.locator(".jp-NotebookPanel .jp-Notebook").first.wait_for(timeout=timeout_s * 1000)
    wait_kernel_idle(page, timeout_s)


def wait_kernel_idle(page: Page, timeout_s: float) -> None:
    """Wait until the status bar says the notebook's kernel is idle ("Python 3 ... | Idle")."""
    page.locator(".jp-StatusBar-Item", has_text=re.compile(r"\| Idle$")).wait_for(
        timeout=timeout_s * 1000
    )


def run_all_cells(page: Page, timeout_s: float) -> float:
    """Click Run > Run All Cells, wait until every cell ran and the kernel is idle.

    Returns the seconds it took.
    """
    start = time.monotonic()
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').click()
    page.wait_for_function(_ALL_EXECUTED_JS, timeout=timeout_s * 1000, polling=250)
    wait_kernel_idle(page, timeout_s)
    return time.monotonic() - start


def error_outputs(page: Page) -> list[str]:
    """Texts of error outputs, tracebacks on stderr and widgets that failed to display."""
    found = []
    for text in stderr_outputs(page):
        if "Traceback" in text or re.search(r"\b\w+Error\b", text):
            found.append(text)
    for text in page.locator(".jp-OutputArea-output").all_inner_texts():
        if "Error displaying widget" in text or "Error rendering" in text:
            found.append(text)
    return found


def stderr_outputs(page: Page) -> list[str]:
    """Every stderr output (warnings included), for the test's log."""
    sel = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
    return page.locator(sel).all_inner_texts()


def canvas_data_url(canvas: Locator) -> str:
    """The pixels of a ``<canvas>`` as a PNG data URL."""
    return str(canvas.evaluate("c => c.toDataURL('image/png')"))


def drag_slider(page: Page, slider: Locator, fraction: float) -> None:
    """Drag a noUiSlider handle (ipywidgets 8) by ``fraction`` of the track's width."""
    slider.scroll_into_view_if_needed()
    track = slider.locator(".noUi-base").bounding_box()
    handle = slider.locator(".noUi-handle").bounding_box()
    if track is None or handle is None:
        raise AssertionError("the slider is not visible")
    x0 = handle["x"] + handle["width"] / 2
    y0 = handle["y"] + handle["height"] / 2
    x1 = min(max(x0 + fraction * track["width"], track["x"]), track["x"] + track["width"])
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x1, y0, steps=8)
    page.mouse.up()


def save_screenshot(page: Page, folder: Path, name: str, target: Locator | None = None) -> Path:
    """Save a PNG of the page (or of ``target``) into ``folder``; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    if target is None:
        page.screenshot(path=str(path), full_page=False)
    else:
        target.scroll_into_view_if_needed()
        target.screenshot(path=str(path))
    return path
