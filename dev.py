#!/usr/bin/env python3
"""The project's single entry point; needs nothing but Python 3.10+ (and pip in its venv module).

    python3 dev.py lab        install if needed, then open JupyterLab on notebooks/
    python3 dev.py present    install if needed, then serve the dashboards as Voilà apps (apps/)
                              on 127.0.0.1 and print one URL per app (--port N to choose)
    python3 dev.py test       install if needed, then ruff (check and format), unit tests, the
                              browser tests and nbval on every notebook
    python3 dev.py install    create .venv/ and install the pinned dependencies and ganlib
    python3 dev.py lint       ruff check and ruff format --check
    python3 dev.py notebooks  re-execute every notebook in place (full settings), for committing
    python3 dev.py html       export every notebook, outputs and animations, to build/html/
    python3 dev.py bench      run the benchmarks
    python3 dev.py clean      remove .venv/ and the tool caches

Extra arguments after ``lab`` go to ``jupyter lab``, after ``present`` to ``voila`` and after
``test`` to ``pytest``, e.g.
``python3 dev.py test -k theory``. ``make <target>`` does the same for those who have make.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".ganlib-installed"
OVERRIDES = ROOT / "jupyter-settings" / "overrides.json"
INPUTS = [ROOT / "pyproject.toml", ROOT / "constraints.txt", OVERRIDES]
LAB_SETTINGS = VENV / "share" / "jupyter" / "lab" / "settings"

# Jupyter's future default config paths (silences its deprecation warning), and no debugger nag.
ENV = {"JUPYTER_PLATFORM_DIRS": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}


def _exe(name: str) -> str:
    return str(BIN / (f"{name}.exe" if os.name == "nt" else name))


def _run(*cmd: str, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(cmd), flush=True)
    full_env = {**os.environ, **ENV, **(env or {})}
    code = subprocess.call(list(cmd), cwd=ROOT, env=full_env)
    if code:
        sys.exit(code)


def _create_venv() -> None:
    """``python -m venv .venv``; where the venv module lacks ensurepip, fall back to virtualenv."""
    if subprocess.call([sys.executable, "-m", "venv", str(VENV)]) == 0:
        return
    shutil.rmtree(VENV, ignore_errors=True)
    print(
        "python -m venv failed (on Debian/Ubuntu `sudo apt install python3-venv` fixes it); "
        "trying virtualenv instead",
        flush=True,
    )
    user_pip = [sys.executable, "-m", "pip", "install", "--user", "--quiet", "virtualenv"]
    if subprocess.call(user_pip) or subprocess.call(
        [sys.executable, "-m", "virtualenv", str(VENV)]
    ):
        sys.exit(
            "could not create .venv/: install python3-venv (Debian/Ubuntu) or virtualenv, then "
            "run this command again"
        )


def install() -> None:
    """Create .venv/ and install everything, unless it is up to date with its inputs."""
    if STAMP.is_file() and all(STAMP.stat().st_mtime >= p.stat().st_mtime for p in INPUTS):
        return
    if sys.version_info < (3, 10):  # noqa: UP036 (dev.py runs under whatever python3 is)
        sys.exit(f"Python 3.10 or newer is needed; this is {sys.version.split()[0]}")
    if not Path(_exe("python")).exists():
        _create_venv()
    sys.path.insert(0, str(ROOT / "tools"))
    from pip_torch_args import torch_index_args  # stdlib only, like this file

    torch_args = torch_index_args()
    _run(
        _exe("python"),
        "-m",
        "pip",
        "install",
        "--quiet",
        "-c",
        "constraints.txt",
        *torch_args,
        "-e",
        ".[lab,dev]",
    )
    LAB_SETTINGS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(OVERRIDES, LAB_SETTINGS / "overrides.json")
    STAMP.touch()


def lab(args: list[str]) -> None:
    """JupyterLab on notebooks/ (``--allow-root`` when run as root, as in containers)."""
    install()
    root = ["--allow-root"] if hasattr(os, "getuid") and os.getuid() == 0 else []
    cmd = [_exe("jupyter"), "lab", "--notebook-dir=notebooks", *root, *args]
    if os.name == "posix":  # become JupyterLab: its PID is this command's PID, Ctrl-C goes to it
        print("+", " ".join(cmd), flush=True)
        os.chdir(ROOT)
        os.execve(cmd[0], cmd, {**os.environ, **ENV})
    _run(*cmd)


APPS = ROOT / "apps"
VOILA_PORT = 8866  # Voilà's usual port; another free one when it is taken


def voila_command(python: str, root: str, port: int, token: str) -> list[str]:
    """The Voilà server of ``present`` (and of tests/test_browser_voila.py): ``root``'s tree."""
    return [
        python, "-m", "voila", root, "--no-browser", "--Voila.ip=127.0.0.1",
        f"--Voila.port={port}", "--Voila.port_retries=0", f"--Voila.token={token}",
        "--VoilaConfiguration.show_tracebacks=True",
    ]  # fmt: skip


def _port(wanted: int) -> int:
    """``wanted`` if it is free on 127.0.0.1, else any free port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", wanted))
        except OSError:
            sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def present(args: list[str]) -> None:
    """The dashboards as Voilà apps, one URL each (``--port N`` picks the port)."""
    wanted = VOILA_PORT
    for i, arg in enumerate(args):
        if arg.startswith("--port"):
            value = arg.partition("=")[2] or (args[i + 1] if i + 1 < len(args) else "")
            if not value.isdigit():
                sys.exit(f"--port needs a number, e.g. python3 dev.py present --port {VOILA_PORT}")
            wanted = int(value)
            args = args[:i] + args[i + (1 if "=" in arg else 2) :]
            break
    install()
    port, token = _port(wanted), secrets.token_hex(16)
    base = f"http://127.0.0.1:{port}/voila/render"
    print("The dashboards as apps (add &size=presenter-hd on a 1920x1080 projector):")
    for nb in sorted(APPS.glob("*.ipynb")):
        print(f"  {nb.stem:12s} {base}/{nb.name}?token={token}&size=presenter")
    print("Each page starts its own kernel (10-45 s). Ctrl-C stops the server.", flush=True)
    cmd = [*voila_command(_exe("python"), str(APPS), port, token), *args]
    if os.name == "posix":  # become Voilà, as ``lab`` becomes JupyterLab: Ctrl-C goes to it
        print("+", " ".join(cmd), flush=True)
        os.chdir(ROOT)
        os.execve(cmd[0], cmd, {**os.environ, **ENV})
    _run(*cmd)


def _ruff() -> None:
    """ruff check and ruff format --check over the whole tree, notebooks included."""
    _run(_exe("ruff"), "check", ".")
    _run(_exe("ruff"), "format", "--check", ".")


def lint() -> None:
    install()
    _ruff()


def test(args: list[str]) -> None:
    """ruff, then pytest: unit tests, the browser test and nbval on every notebook (smoke mode)."""
    install()
    _ruff()
    _run(
        _exe("python"), "-m", "pytest", *args, env={"GANLIB_SMOKE": "1", "GANLIB_NO_DOWNLOAD": "1"}
    )


def notebooks() -> None:
    install()
    for nb in sorted((ROOT / "notebooks").glob("[0-9]*.ipynb")):
        rel = str(nb.relative_to(ROOT))
        _run(
            _exe("jupyter"),
            "nbconvert",
            "--to",
            "notebook",
            "--execute",
            "--inplace",
            "--ExecutePreprocessor.timeout=1200",
            rel,
        )
        _run(_exe("python"), "tools/clean_notebook.py", rel)


HTML_DIR = ROOT / "build" / "html"


def html_command(python: str, notebooks: list[str], out: Path) -> list[str]:
    """The nbconvert call of ``html`` (the browser test runs the same one on one notebook)."""
    return [python, "-m", "nbconvert", "--to", "html", "--output-dir", str(out), *notebooks]


def html() -> None:
    """Static HTML of every notebook as committed (no re-execution), into build/html/."""
    install()
    notebooks = sorted(
        str(nb.relative_to(ROOT)) for nb in (ROOT / "notebooks").glob("[0-9]*.ipynb")
    )
    _run(*html_command(_exe("python"), notebooks, HTML_DIR))
    print(
        f"open {HTML_DIR / Path(notebooks[0]).with_suffix('.html').name} in a browser", flush=True
    )


def bench() -> None:
    install()
    _run(_exe("python"), "benchmarks/bench_toy.py")
    _run(_exe("python"), "benchmarks/bench_plane.py")
    _run(_exe("python"), "benchmarks/bench_mnist.py")


def clean() -> None:
    for path in (VENV, ROOT / ".pytest_cache", ROOT / ".ruff_cache"):
        shutil.rmtree(path, ignore_errors=True)


def main(argv: list[str]) -> None:
    passes_args = {"lab": lab, "test": test, "present": present}  # the rest: to the tool
    plain = {
        "install": install,
        "lint": lint,
        "notebooks": notebooks,
        "html": html,
        "bench": bench,
        "clean": clean,
    }
    if not argv or argv[0] not in passes_args | plain:
        sys.exit(__doc__)
    command, rest = argv[0], argv[1:]
    if command in passes_args:
        passes_args[command](rest)
    else:
        plain[command]()


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except KeyboardInterrupt:
        sys.exit(130)
