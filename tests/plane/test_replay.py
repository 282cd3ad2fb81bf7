"""Tests for ganlib.plane.replay: a recorded run replays the live dashboard's pictures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ganlib.live.recording import load_recording
from ganlib.plane.dashboard import PlaneDashboard, ViewSettings
from ganlib.plane.replay import SHIPPED, replay, shipped_recording
from ganlib.plane.training import PlaneGANConfig

pytestmark = pytest.mark.usefixtures("agg_backend", "one_torch_thread")
SMALL = ViewSettings(lattice=24, samples=64, grid_lines=4, line_points=8, d_star_samples=256)


def pixels(figure) -> np.ndarray:
    figure.canvas.draw()
    return np.asarray(figure.canvas.buffer_rgba()).copy()


def test_scrubbing_to_a_frame_draws_what_the_live_dashboard_drew(tmp_path: Path) -> None:
    dash = PlaneDashboard(PlaneGANConfig(seed=2, batch_size=64), view=SMALL)
    dash.layers["noise grid"].value = False  # the replay shows the layers that were shown
    live = {}
    try:
        dash.start_recording(every=60)
        live[0] = pixels(dash.figure)
        for _ in range(3):
            dash.run_chunk(iterations=60)
            live[dash.gan.step] = pixels(dash.figure)
        recording = dash.recording
    finally:
        dash.close()
    assert recording is not None
    assert list(recording.steps) == [0, 60, 120, 180]
    assert recording.frames["d"].shape == (4, 24, 24)
    back = load_recording(recording.save(tmp_path / "plane.npz"), kind="plane")
    assert back.settings["layers"]["noise grid"] is False
    viewer = replay(back)
    try:
        for i in (3, 0, 2):
            viewer.timeline.value = i
            assert np.array_equal(pixels(viewer.figure), live[int(back.steps[i])]), f"frame {i}"
        assert viewer.status_text.startswith("replay · frame 3/4 · step 120 · modes ")
    finally:
        viewer.painter.close()
    assert not np.array_equal(live[0], live[60])


def test_the_shipped_run_covers_the_ring() -> None:
    from ganlib.plane.targets import TARGETS

    rec = shipped_recording()
    assert SHIPPED.stat().st_size < 600_000
    assert rec.meta["command"] == (
        "python -m ganlib.plane.replay --out ganlib/plane/recordings/plane_default.npz"
    )
    assert rec.settings["target"] == "ring"
    assert rec.settings["seed"] == 0
    assert list(rec.steps) == list(range(0, 4001, 250))
    ring = TARGETS["ring"]
    centres = np.asarray(ring.means)

    def shares_near_modes(fake: np.ndarray) -> np.ndarray:
        # recomputed from the drawn points: share of points within 3 sigma of each centre
        dist = np.sqrt(((fake[:, None, :] - centres[None]) ** 2).sum(-1))
        return (dist < 3 * ring.std).mean(axis=0)

    first, last = (
        shares_near_modes(rec.frames["fake"][0]),
        shares_near_modes(rec.frames["fake"][-1]),
    )
    assert first.sum() < 0.05, first  # at step 0 G's points are nowhere near the ring
    assert np.all(last > 0.25 / len(centres)), last  # at step 4,000 every mode is covered
    assert last.sum() > 0.8, last  # and most points are close to one
    assert rec.curves_until(rec.n_frames - 1)["modes"][-1] == len(centres)
