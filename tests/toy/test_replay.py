"""Tests for ganlib.toy.replay: a recorded run replays the live dashboard's pictures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ganlib.live.recording import load_recording
from ganlib.toy.dashboard import FIGSIZE, DashboardSettings, ToyDashboard
from ganlib.toy.replay import SHIPPED, ToyReplay, replay, shipped_recording
from ganlib.toy.training import ToyGANConfig

pytestmark = pytest.mark.usefixtures("agg_backend", "one_torch_thread")
FAST = DashboardSettings(snapshot_samples=500, figsize=FIGSIZE)


def pixels(figure) -> np.ndarray:
    """The figure as Agg renders it in full (the moving artists included), RGBA."""
    figure.canvas.draw()
    return np.asarray(figure.canvas.buffer_rgba()).copy()


def test_scrubbing_to_a_frame_draws_what_the_live_dashboard_drew(tmp_path: Path) -> None:
    dash = ToyDashboard(ToyGANConfig(seed=1, batch_size=64), settings=FAST)
    live = {}
    try:
        dash.start_recording(every=100)
        live[0] = pixels(dash.figure)
        for chunk in range(6):  # steps 100-600: past 500 the step axis doubles
            if chunk == 2:
                dash.lr_g.value = 1e-3  # a mid-run setting: the next frame's meta says so
            dash.run_chunk(iterations=100)
            live[dash.gan.step] = pixels(dash.figure)
        recording = dash.stop_recording()
    finally:
        dash.close()
    assert recording is not None
    assert list(recording.steps) == sorted(live) == list(range(0, 601, 100))
    assert recording.meta["settings_changes"] == [{"step": 300, "changed": {"lr_g": 1e-3}}]
    back = load_recording(recording.save(tmp_path / "run.npz"), kind="toy")
    viewer = replay(back)
    try:
        for i in (6, 0, 5, 2):  # forwards and backwards, across the axis doubling
            viewer.timeline.value = i
            shown = pixels(viewer.figure)
            step = int(back.steps[i])
            assert np.array_equal(shown, live[step]), f"frame {i} (step {step}) differs"
            assert viewer.status_text.startswith(f"replay · frame {i + 1}/7 · step {step} · JS")
    finally:
        viewer.painter.close()
    assert not np.array_equal(live[0], live[100])  # the comparison can tell frames apart


def test_a_reset_ends_the_recording_and_a_divergence_is_not_recorded() -> None:
    dash = ToyDashboard(ToyGANConfig(seed=1, batch_size=64), settings=FAST)
    try:
        dash.start_recording(every=5)
        dash.run_chunk(iterations=5)
        dash.reset()
        dash.run_chunk(iterations=5)
        rec = dash.recording
    finally:
        dash.close()
    assert rec is not None
    assert list(rec.steps) == [0, 5]
    assert rec.meta["ended"] == "stopped at step 5: the run was reset"


def test_the_shipped_run_is_small_reproducible_and_converges() -> None:
    rec = shipped_recording()
    assert SHIPPED.stat().st_size < 400_000
    assert rec.meta["command"] == (
        "python -m ganlib.toy.replay --out ganlib/toy/recordings/toy_default.npz"
    )
    assert rec.settings["target"] == "gaussian"
    assert rec.settings["seed"] == 0
    assert list(rec.steps) == list(range(0, 3001, 200))
    # the recorded p_g: its mean and std from the drawn density, against N(4, 1.25^2)
    x, p_g = rec.frames["x"][-1], rec.frames["p_g"][-1]
    mass = np.trapezoid(p_g, x)
    mean = np.trapezoid(x * p_g, x) / mass
    std = np.sqrt(np.trapezoid((x - mean) ** 2 * p_g, x) / mass)
    assert abs(mean - 4.0) < 0.1, mean
    assert abs(std - 1.25) < 0.1, std
    first = rec.frames["p_g"][0]
    assert np.trapezoid(np.abs(first - rec.frames["p_data"][0]), x) > 1.0  # far at step 0
    assert rec.curves_until(rec.n_frames - 1)["js"][-1] < 0.01


def test_a_recording_of_another_kind_cannot_be_replayed_here() -> None:
    from ganlib.minimax.replay import shipped_recording as explorer_recording

    with pytest.raises(ValueError, match="cannot be replayed as the toy's"):
        ToyReplay(explorer_recording())


def test_the_record_command_is_reproducible() -> None:
    from ganlib.toy.replay import record_run

    config = ToyGANConfig(seed=1, batch_size=64)
    one, two = (record_run(config, steps=40, every=20, chunk=20) for _ in range(2))
    assert list(one.steps) == [0, 20, 40]
    for name in one.frames:
        np.testing.assert_array_equal(one.frames[name], two.frames[name])
    np.testing.assert_array_equal(one.curves["js"], two.curves["js"])
