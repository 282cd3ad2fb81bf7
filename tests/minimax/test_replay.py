"""Tests for ganlib.minimax.replay: the explorer's recorded path, replayed."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from ganlib.live.recording import load_recording
from ganlib.minimax.explorer import MinimaxExplorer
from ganlib.minimax.replay import SHIPPED, record_path, replay, shipped_recording

pytestmark = pytest.mark.usefixtures("agg_backend")


def pixels(figure) -> np.ndarray:
    figure.canvas.draw()
    return np.asarray(figure.canvas.buffer_rgba()).copy()


def test_scrubbing_the_path_draws_what_the_explorer_drew(tmp_path: Path) -> None:
    explorer = MinimaxExplorer()
    explorer.start_recording()
    live = [pixels(explorer.fig)]
    for mean, std in ((1.5, 0.8), (3.0, 1.0), (4.0, 1.25)):
        explorer.set_values(g_mean=mean, g_std=std)  # one redraw, one frame
        live.append(pixels(explorer.fig))
    explorer.data_std.value = 1.5  # a slider moved by hand is a frame too
    live.append(pixels(explorer.fig))
    rec = load_recording(explorer.recording.save(tmp_path / "path.npz"), kind="explorer")
    assert rec.n_frames == 5
    np.testing.assert_allclose(rec.frames["values"][3], [4.0, 1.25, 4.0, 1.25])
    viewer = replay(rec)
    try:
        for i in (3, 0, 4, 1):
            viewer.timeline.value = i
            assert np.array_equal(pixels(viewer.figure), live[i]), f"frame {i}"
            # the replay recomputes JSD from the values; the recording kept the live one
            assert viewer.painter.explorer.jsd == pytest.approx(float(rec.frames["jsd"][i]))
    finally:
        viewer.painter.close()
    assert not np.array_equal(live[0], live[1])


def test_the_shipped_path_ends_at_p_data_with_c_of_g_at_minus_log_4() -> None:
    rec = shipped_recording()
    assert SHIPPED.stat().st_size < 50_000
    assert rec.meta["command"] == (
        "python -m ganlib.minimax.replay --out ganlib/minimax/recordings/explorer_path.npz"
    )
    values = rec.frames["values"]
    np.testing.assert_allclose(values[0], [4.0, 1.25, 0.5, 0.6])
    np.testing.assert_allclose(values[-1], [4.0, 1.25, 4.0, 1.25])
    jsd = rec.frames["jsd"]
    assert jsd[0] > 0.5
    assert jsd[-1] < 1e-9
    assert np.all(np.diff(jsd) < 0)  # each step along the line brings p_g closer
    assert rec.frames["criterion"][-1] == pytest.approx(-math.log(4.0), abs=1e-9)


def test_record_path_takes_the_frames_asked_for() -> None:
    rec = record_path(end=(2.0, 1.0), frames=4)
    np.testing.assert_allclose(rec.frames["values"][:, 2], [0.5, 1.0, 1.5, 2.0])
    np.testing.assert_allclose(rec.frames["values"][:, 3], [0.6, 0.7333, 0.8667, 1.0], atol=1e-4)
