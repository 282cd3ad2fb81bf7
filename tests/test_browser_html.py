"""The static HTML export in a real browser: notebook 01's recorded-run animation plays.

``python3 dev.py html`` exports the committed notebooks with nbconvert; this test runs the same
command (``dev.html_command``) on notebook 01, opens the page in headless Chromium from a
``file://`` URL (no server, no kernel) and presses the animation's Play button: the frame
slider must advance and the displayed frame's image must change. The page's console is saved
in ``artifacts/browser/html-log.json``; an uncaught script error fails the test.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser.lab import chromium_path

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "01_minimax_game.ipynb"
ARTIFACTS = REPO / "artifacts" / "browser"

pytestmark = pytest.mark.browser


def _dev():
    spec = importlib.util.spec_from_file_location("dev", REPO / "dev.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_exported_notebook_plays_its_animation(tmp_path: Path) -> None:
    if chromium_path() is None:
        pytest.skip("Chromium is missing: install it with `apt-get install chromium`")
    pytest.importorskip(
        "playwright.sync_api", reason="playwright is missing: pip install -e .[dev]"
    )
    from playwright.sync_api import sync_playwright

    from tests.browser import page as ui

    cmd = _dev().html_command(sys.executable, [str(NOTEBOOK)], tmp_path)
    subprocess.run(cmd, check=True, capture_output=True, cwd=REPO)
    exported = tmp_path / "01_minimax_game.html"
    assert exported.is_file()
    log: dict[str, list[str]] = {"console": [], "pageerrors": []}
    with sync_playwright() as pw:
        browser = ui.launch(pw)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.on("console", lambda m: log["console"].append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: log["pageerrors"].append(str(e)))
            page.goto(exported.as_uri(), wait_until="load")
            slider = page.locator("input.anim-slider").first
            image = page.locator("img[id^='_anim_img']").first
            slider.wait_for(timeout=20_000)
            assert int(slider.input_value()) == 0
            first = image.get_attribute("src")
            assert first
            assert first.startswith("data:image/jpeg;base64,")
            frames = int(slider.get_attribute("max") or 0) + 1
            assert frames == 25, "the committed notebook animates all 25 frames of the path"
            page.locator("button[title='Play']").first.click()
            page.wait_for_function(
                "s => Number(s.value) > 0", arg=slider.element_handle(), timeout=20_000
            )
            assert image.get_attribute("src") != first, "the slider moved but the frame did not"
            ui.save_screenshot(page, ARTIFACTS, "html-01-animation", image)
        finally:
            browser.close()
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            (ARTIFACTS / "html-log.json").write_text(json.dumps(log, indent=1))
    assert log["pageerrors"] == [], log["pageerrors"]
