"""``python3 dev.py present`` and the app notebooks it serves (without a browser).

The Voilà pages themselves are tested in ``tests/test_browser_voila.py``.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

import dev

REPO = Path(__file__).resolve().parents[1]
APPS = sorted((REPO / "apps").glob("*.ipynb"))


def test_there_is_one_app_per_dashboard() -> None:
    assert [p.name for p in APPS] == ["01_explorer.ipynb", "02_toy.ipynb", "03_plane.ipynb"]


@pytest.mark.parametrize("path", APPS, ids=lambda p: p.name)
def test_an_app_is_a_few_lines_of_ganlib_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    assert all(c.cell_type == "code" and not c.outputs for c in nb.cells)
    source = "\n".join(c.source for c in nb.cells)
    assert "%matplotlib widget" in source
    assert "size=size_from_query()" in source, "the page address must choose the size"
    imports = re.findall(r"^(?:from|import) (\S+)", source, flags=re.M)
    assert imports, path
    assert all(name.startswith("ganlib.") or name == "torch" for name in imports), imports
    assert len(source.splitlines()) <= 10, "an app holds no code of its own"


@pytest.mark.parametrize("path", APPS, ids=lambda p: p.name)
@pytest.mark.parametrize("size", ["presenter", "presenter-hd"])
def test_an_app_builds_its_dashboard_at_the_size_the_address_asks_for(
    path: Path, size: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ipywidgets as widgets
    import torch

    monkeypatch.setenv("QUERY_STRING", f"token=t&size={size}")
    monkeypatch.setattr(torch, "set_num_threads", lambda n: None)  # leave this process alone
    nb = nbformat.read(path, as_version=4)
    source = "\n".join(c.source for c in nb.cells).replace("%matplotlib widget", "")
    *body, last = source.strip().splitlines()
    namespace: dict = {}
    exec("\n".join(body), namespace)  # the Agg backend of the tests stands in for ipympl
    app = eval(last, namespace)
    box = app.widget
    assert isinstance(box, widgets.HBox)
    assert "ganlib-presenter" in box._dom_classes
    inches = tuple(
        app.fig.get_size_inches() if hasattr(app, "fig") else app.figure.get_size_inches()
    )
    from ganlib.live.presenter import SCREENS

    assert inches == pytest.approx(SCREENS[size].figsize)


def test_present_serves_the_apps_on_localhost_with_a_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ran: list[list[str]] = []
    monkeypatch.setattr(dev, "install", lambda: None)

    def become(exe: str, cmd: list[str], env: dict[str, str]) -> None:
        ran.append(cmd)
        raise SystemExit(0)  # execve does not return

    monkeypatch.setattr(dev.os, "execve", become)
    monkeypatch.setattr(dev, "_run", lambda *cmd, **kw: ran.append(list(cmd)))
    monkeypatch.setattr(dev, "_port", lambda wanted: wanted)
    with pytest.raises(SystemExit):
        dev.main(["present", "--port", "8999"])
    (cmd,) = ran
    token = next(a.split("=", 1)[1] for a in cmd if a.startswith("--Voila.token="))
    assert len(token) == 32
    assert "--Voila.ip=127.0.0.1" in cmd
    assert "--Voila.port=8999" in cmd
    assert cmd[cmd.index("voila") + 1] == str(REPO / "apps")
    urls = re.findall(r"http://\S+", capsys.readouterr().out)
    expected = [
        f"http://127.0.0.1:8999/voila/render/{p.name}?token={token}&size=presenter" for p in APPS
    ]
    assert urls == expected


def test_present_refuses_a_port_that_is_no_number() -> None:
    with pytest.raises(SystemExit, match="--port needs a number"):
        dev.main(["present", "--port", "eighty"])
