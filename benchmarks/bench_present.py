"""Presenter sizes under Voilà: redraws per second at each size, in interleaved blocks.

One private Voilà server (``python3 dev.py present``'s command) serves ``apps/``; headless
Chromium opens the 1-D and the 2-D dashboard at ``?size=laptop``, ``presenter`` and
``presenter-hd`` in turn (each block: a fresh page and kernel, Play for ``--seconds``, read the
status line's redraw rate and step count, Pause), ``--repeats`` rounds in interleaved order, and
prints the medians. The three sizes thus share the machine's state; the numbers are what a
lecturer sees, kernel and browser together (the blitted frame is larger at a presenter size).

    python benchmarks/bench_present.py --repeats 3 --seconds 8

Needs the system Chromium (never downloads a browser).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.browser import page as ui  # noqa: E402
from tests.browser.voila import VoilaServer  # noqa: E402

SIZES = {"laptop": (1400, 1000), "presenter": (1280, 720), "presenter-hd": (1920, 1080)}
APPS = ("02_toy.ipynb", "03_plane.ipynb")
STEP = re.compile(r"^step (\d+)")
RATE = re.compile(r"(\d+) redraws/s")


def one_block(browser: object, server: VoilaServer, app: str, size: str, seconds: float) -> dict:
    """Open ``app`` at ``size``, Play for ``seconds``; the redraw rate and steps per second."""
    width, height = SIZES[size]
    page = browser.new_page(viewport={"width": width, "height": height})  # type: ignore[attr-defined]
    page.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), lambda r: r.fulfill(body=""))
    try:
        page.goto(server.app_url(app, size), timeout=300_000)
        page.locator(".jupyter-matplotlib-canvas-div canvas").first.wait_for(timeout=300_000)
        page.wait_for_timeout(1500)
        box = page.locator(".ganlib-dashboard").first
        status = box.locator(".ganlib-dashboard-status")
        step0 = int(STEP.match(status.inner_text()).group(1))
        box.locator("button", has_text="Play").click()
        page.wait_for_timeout(seconds * 1000)
        text = status.inner_text()
        box.locator("button", has_text="Pause").click()
        rate = RATE.search(text)
        steps = int(STEP.match(text).group(1)) - step0
        return {"redraws_per_s": int(rate.group(1)) if rate else 0, "steps_per_s": steps / seconds}
    finally:
        page.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    results: dict[tuple[str, str], list[dict]] = {}
    with tempfile.TemporaryDirectory() as work:
        server = VoilaServer(root=REPO / "apps", workdir=Path(work)).start()
        try:
            with sync_playwright() as pw:
                browser = ui.launch(pw)
                for round_ in range(args.repeats):
                    order = list(SIZES) if round_ % 2 == 0 else list(reversed(SIZES))
                    for app in APPS:
                        for size in order:
                            block = one_block(browser, server, app, size, args.seconds)
                            results.setdefault((app, size), []).append(block)
                            print(f"round {round_ + 1} {app} {size}: {block}", flush=True)
                browser.close()
        finally:
            server.stop()
    print("\n| app | size | redraws/s (median) | generator steps/s (median) |")
    print("|---|---|---:|---:|")
    for (app, size), blocks in results.items():
        redraws = statistics.median(b["redraws_per_s"] for b in blocks)
        steps = statistics.median(b["steps_per_s"] for b in blocks)
        print(f"| {app} | {size} | {redraws:.0f} | {steps:.0f} |")


if __name__ == "__main__":
    main()
