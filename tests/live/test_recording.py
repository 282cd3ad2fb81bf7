"""Tests for ganlib.live.recording: the file format, its checks, the recorder and the viewer."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from ganlib.live.recording import (
    FORMAT,
    Recorder,
    Recording,
    axes_limits,
    load_recording,
    set_axes_limits,
)

pytestmark = pytest.mark.usefixtures("agg_backend")


def sample_recording() -> Recording:
    rng = np.random.default_rng(0)
    return Recording(
        kind="toy",
        settings={"target": "gaussian", "lr_d": 0.01, "betas": [0.5, 0.99], "net": {"h": 16}},
        steps=np.array([0, 10, 20]),
        frames={"p_g": rng.normal(size=(3, 7)), "grid": rng.normal(size=(3, 2, 4, 2))},
        limits=rng.normal(size=(3, 2, 4)),
        curves={"step": np.array([0, 5, 10, 15, 20, 25]), "js": rng.random(6)},
        meta={"command": "python -m ganlib.toy.replay --out x.npz", "ended": "stopped"},
    )


def test_save_and_load_give_back_every_array_and_setting(tmp_path: Path) -> None:
    rec = sample_recording()
    path = rec.save(tmp_path / "sub" / "run.npz")
    assert sorted(p.name for p in path.parent.iterdir()) == ["run.npz"]  # no temporary left
    back = load_recording(path, kind="toy")
    assert back.kind == "toy"
    assert back.settings == rec.settings
    assert back.meta == rec.meta
    np.testing.assert_array_equal(back.steps, rec.steps)
    np.testing.assert_array_equal(back.limits, rec.limits)
    assert back.frames.keys() == rec.frames.keys()
    assert back.curves.keys() == rec.curves.keys()
    for name in rec.frames:
        np.testing.assert_array_equal(back.frames[name], rec.frames[name])
        assert back.frames[name].dtype == rec.frames[name].dtype
    for name in rec.curves:
        np.testing.assert_array_equal(back.curves[name], rec.curves[name])


def test_curves_until_a_frame_stop_at_its_step() -> None:
    rec = sample_recording()
    np.testing.assert_array_equal(rec.curves_until(1)["step"], [0, 5, 10])
    np.testing.assert_array_equal(rec.curves_until(1)["js"], rec.curves["js"][:3])
    assert len(rec.curves_until(2)["step"]) == 5  # 25 is after the last frame
    with pytest.raises(ValueError, match="frame"):
        rec.frame(3)


def _npz(path: Path, **arrays: object) -> Path:
    np.savez(path, **arrays)
    return path


def _header(**changes: object) -> np.ndarray:
    header = {"format": FORMAT, "version": 1, "kind": "toy", "settings": {}, "meta": {}}
    return np.array(json.dumps({**header, **changes}))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_text("hello") and p, "not an .npz file"),
        (lambda p: _npz(p, steps=np.arange(3)), "has no '__recording__' header"),
        (lambda p: _npz(p, __recording__=np.array("{oops")), "header is not JSON"),
        (lambda p: _npz(p, __recording__=_header(format="other")), "not a ganlib recording"),
        (lambda p: _npz(p, __recording__=_header(version=2)), "version-2 recording"),
        (lambda p: _npz(p, __recording__=_header(kind="mnist")), "unknown recording kind"),
        (lambda p: _npz(p, __recording__=_header(), limits=np.zeros((1, 1, 4))), "damaged"),
        (
            lambda p: _npz(
                p, __recording__=_header(), steps=np.arange(2), limits=np.zeros((3, 1, 4))
            ),
            "damaged.*limits",
        ),
        (
            lambda p: _npz(p, __recording__=np.array([{"a": 1}], dtype=object)),
            "not a ganlib recording",
        ),
    ],
)
def test_a_bad_or_foreign_file_is_refused_with_a_clear_message(
    tmp_path: Path, make: object, message: str
) -> None:
    path = make(tmp_path / "bad.npz")  # type: ignore[operator]
    with pytest.raises(ValueError, match=message):
        load_recording(path)


def test_a_recording_of_another_dashboard_is_refused(tmp_path: Path) -> None:
    path = sample_recording().save(tmp_path / "toy.npz")
    with pytest.raises(ValueError, match="recording of the 'toy' dashboard, not of the 'plane'"):
        load_recording(path, kind="plane")
    with pytest.raises(FileNotFoundError, match="no recording at"):
        load_recording(tmp_path / "missing.npz")


def test_a_zip_that_is_no_npz_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "not numpy")
    with pytest.raises(ValueError, match="not a ganlib recording"):
        load_recording(path)


def test_inconsistent_recordings_cannot_be_made() -> None:
    good = sample_recording()
    with pytest.raises(ValueError, match="'p_g' must have 3 frames"):
        Recording("toy", {}, good.steps, {"p_g": np.zeros((2, 7))}, good.limits)
    with pytest.raises(ValueError, match="steps must not decrease"):
        Recording("toy", {}, np.array([0, 5, 3]), {}, good.limits)
    with pytest.raises(ValueError, match="kind"):
        Recording("mnist", {}, good.steps, {}, good.limits)
    with pytest.raises(ValueError, match="settings must be JSON"):
        Recording("toy", {"f": object()}, good.steps, {}, good.limits)


def test_the_recorder_takes_a_frame_every_n_steps_and_stops_at_a_reset() -> None:
    rec = Recorder("toy", {"lr": 1.0}, every=10)
    limits = np.zeros((1, 4))
    for step in range(0, 35):
        if rec.due(step):
            rec.add(step, {"v": np.array([step])}, limits, {"lr": 1.0 if step < 20 else 2.0})
    assert rec.steps == [0, 10, 20, 30]
    assert rec.meta["settings_changes"] == [{"step": 20, "changed": {"lr": 2.0}}]
    assert not rec.due(5)
    assert not rec.active
    assert "reset" in rec.meta["ended"]
    out = rec.recording({"step": [0, 10, 20, 30, 40], "js": [1, 2, 3, 4, 5]})
    np.testing.assert_array_equal(out.frames["v"][:, 0], [0, 10, 20, 30])
    np.testing.assert_array_equal(out.curves["step"], [0, 10, 20, 30])  # none past the last frame


def test_axes_limits_round_trip_and_refuse_another_figure() -> None:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2)
    axes[0].set_xlim(1, 2)
    limits = axes_limits(fig)
    axes[0].set_xlim(5, 6)
    assert set_axes_limits(fig, limits) is True
    assert axes[0].get_xlim() == (1.0, 2.0)
    assert set_axes_limits(fig, limits) is False
    with pytest.raises(ValueError, match="recorded from another figure"):
        set_axes_limits(fig, limits[:1])
