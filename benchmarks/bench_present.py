"""Presenter sizes: what a frame costs the kernel, and redraws per second under Voilà.

``--play`` (no browser): a kernel with ipympl (nbclient), the dashboards at each size playing
for ``--seconds`` in interleaved blocks: redraws and generator steps per second, the medians.
What bounds them is the game (training and the history's record), not the frame.

``--frames`` (no browser): the 1-D and 2-D dashboards at each size in one process, Agg backend,
one thread; each block redraws every dashboard once (state, blit) and encodes the frame to PNG
as ipympl's WebAgg core does (PIL), in interleaved order; the medians of process CPU time.

One private Voilà server (``python3 dev.py present``'s command) serves ``apps/``; headless
Chromium opens the 1-D and the 2-D dashboard at ``?size=laptop``, ``presenter`` and
``presenter-hd`` in turn (each block: a fresh page and kernel, Play for ``--seconds``, read the
status line's redraw rate and step count, Pause), ``--repeats`` rounds in interleaved order, and
prints the medians. The three sizes thus share the machine's state; the numbers are what a
lecturer sees, kernel and browser together (the blitted frame is larger at a presenter size).

    python benchmarks/bench_present.py --frames --repeats 20
    python benchmarks/bench_present.py --play --repeats 3 --seconds 5
    python benchmarks/bench_present.py --repeats 3 --seconds 8

Needs the system Chromium (never downloads a browser).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
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


def frame_costs(repeats: int) -> None:
    """Median CPU ms of a redraw and of its PNG, per dashboard and size (see the docstring)."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import numpy as np
    import torch
    from PIL import Image

    from ganlib.live.dashboard import DashboardSettings
    from ganlib.plane.dashboard import PlaneDashboard
    from ganlib.toy.dashboard import ToyDashboard

    torch.set_num_threads(1)
    dashes = {
        (name, size): cls(settings=DashboardSettings(size=size, figsize=cls_size))
        for name, cls, cls_size in (
            ("1-D", ToyDashboard, (9.8, 5.0)),
            ("2-D", PlaneDashboard, (8.4, 4.0)),
        )
        for size in SIZES
    }
    for dash in dashes.values():
        dash.figure.canvas.draw()  # the full draw that saves the background
    costs: dict[tuple[str, str], list[tuple[float, float]]] = {k: [] for k in dashes}
    for _ in range(repeats):
        for key, dash in dashes.items():
            start = time.process_time()
            dash.redraw()
            mid = time.process_time()
            frame = np.asarray(dash.figure.canvas.buffer_rgba())
            Image.fromarray(frame).save(io.BytesIO(), format="png")
            costs[key].append((mid - start, time.process_time() - mid))
    print("| dashboard | size | frame (px) | redraw (ms CPU) | PNG (ms CPU) |")
    print("|---|---|---|---:|---:|")
    for (name, size), values in costs.items():
        w, h = dashes[(name, size)].figure.canvas.get_width_height()
        redraw = 1000 * statistics.median(v[0] for v in values)
        png = 1000 * statistics.median(v[1] for v in values)
        print(f"| {name} | {size} | {w} x {h} | {redraw:.1f} | {png:.1f} |")


_PLAY_CELLS = (
    "%matplotlib widget\nimport asyncio, time\nfrom ganlib.live.dashboard import DashboardSettings"
    "\nfrom ganlib.plane.dashboard import PlaneDashboard\nfrom ganlib.toy.dashboard import "
    "ToyDashboard\nimport torch\ntorch.set_num_threads(1)",
    """async def block(cls, size, inches, seconds):
    d = cls(settings=DashboardSettings(size=size, figsize=inches))
    d.figure.canvas.draw()
    r0, s0, t0 = d.redraws, d.gan.step, time.perf_counter()
    d.play()
    await asyncio.sleep(seconds)
    d.pause()
    await asyncio.sleep(0.2)
    dt = time.perf_counter() - t0
    d.close()
    return (d.redraws - r0) / dt, (d.gan.step - s0) / dt""",
)


def play_rates(repeats: int, seconds: float) -> None:
    """Redraws and steps per second of the play loop in a kernel, per dashboard and size."""
    import ast

    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell, new_notebook

    games = "(('1-D', ToyDashboard, (9.8, 5.0)), ('2-D', PlaneDashboard, (8.4, 4.0)))"
    loop = (
        f"out, sizes = [], {list(SIZES)!r}\nfor r in range({repeats}):\n"
        f"    for name, cls, inches in {games}:\n"
        "        for size in sizes[:: 1 if r % 2 == 0 else -1]:\n"
        f"            out.append((name, size, *(await block(cls, size, inches, {seconds}))))\n"
        "print(out)"
    )
    nb = new_notebook(cells=[new_code_cell(c) for c in (*_PLAY_CELLS, loop)])
    NotebookClient(nb, timeout=3600, kernel_name="python3").execute()
    rows = ast.literal_eval(nb.cells[-1].outputs[0]["text"])
    print("| dashboard | size | redraws/s (median) | generator steps/s (median) |")
    print("|---|---|---:|---:|")
    for name in ("1-D", "2-D"):
        for size in SIZES:
            mine = [r for r in rows if r[:2] == (name, size)]
            redraws = statistics.median(r[2] for r in mine)
            steps = statistics.median(r[3] for r in mine)
            print(f"| {name} | {size} | {redraws:.1f} | {steps:.1f} |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--frames", action="store_true", help="kernel cost per frame only")
    parser.add_argument("--play", action="store_true", help="the play loop in a kernel only")
    args = parser.parse_args(argv)
    if args.play:
        play_rates(args.repeats, args.seconds)
        return
    if args.frames:
        frame_costs(args.repeats)
        return
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
