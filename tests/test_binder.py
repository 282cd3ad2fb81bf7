"""Binder / repo2docker: environment.yml and postBuild launch the repository as CI tests it.

repo2docker reads ``environment.yml`` and ``postBuild`` from the repository's root, unless a
``binder/`` or ``.binder/`` folder exists (then only that one). These tests check the files a
build would use: CPU-only torch from PyTorch's CPU index and no GPU package, the same Python as
constraints.txt's lock, ganlib installed from the checkout, and a ``postBuild`` that installs
``jupyter-settings/overrides.json`` (``commsOverSubshells`` off) and opens JupyterLab (it is run
here into a temporary prefix).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
GPU_NAMES = re.compile(r"cuda|cudnn|nvidia|nccl|triton|rocm|pytorch-gpu|tensorflow-gpu", re.I)


def _environment() -> dict:
    return yaml.safe_load((REPO / "environment.yml").read_text())


def _pip_section() -> list[str]:
    (pip,) = [d["pip"] for d in _environment()["dependencies"] if isinstance(d, dict)]
    return pip


def test_repo2docker_reads_the_root_files() -> None:
    for folder in ("binder", ".binder"):
        assert not (REPO / folder).exists(), f"{folder}/ would make repo2docker ignore the root"
    assert (REPO / "environment.yml").is_file()
    assert os.access(REPO / "postBuild", os.X_OK), "postBuild must be executable"


def test_torch_comes_from_the_cpu_index_and_nothing_needs_a_gpu() -> None:
    pip = _pip_section()
    index = [i for i, line in enumerate(pip) if line.split() == ["--extra-index-url", CPU_INDEX]]
    torch = [i for i, line in enumerate(pip) if line.startswith("torch==")]
    assert index, f"environment.yml's pip section needs --extra-index-url {CPU_INDEX}"
    assert torch, "environment.yml must pin torch"
    assert index[0] < torch[0]
    conda = [d for d in _environment()["dependencies"] if isinstance(d, str)]
    for name in [*conda, *pip]:
        assert not GPU_NAMES.search(name), f"a GPU package in environment.yml: {name}"


def test_binder_python_is_the_one_constraints_lock() -> None:
    (python,) = [d for d in _environment()["dependencies"] if str(d).startswith("python=")]
    assert python == "python=3.11", "constraints.txt locks the transitive pins for CPython 3.11"
    assert "pip" in _environment()["dependencies"]
    assert _pip_section()[-1] == "-e .", "ganlib is installed from the checkout, last"


def test_voila_and_lab_are_in_the_binder_image() -> None:
    names = {line.split("==")[0] for line in _pip_section() if "==" in line}
    assert {"jupyterlab", "voila", "ipympl", "ipywidgets"} <= names


@pytest.mark.skipif(shutil.which("bash") is None, reason="postBuild is a bash script")
def test_postbuild_installs_the_lab_settings_and_opens_lab(tmp_path: Path) -> None:
    env = dict(os.environ, GANLIB_PREFIX=str(tmp_path))
    subprocess.run(["bash", str(REPO / "postBuild")], check=True, env=env, cwd=tmp_path)
    installed = tmp_path / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    settings = json.loads(installed.read_text())
    assert settings == json.loads((REPO / "jupyter-settings" / "overrides.json").read_text())
    kernels = settings["@jupyterlab/apputils-extension:kernels-settings"]
    assert kernels["commsOverSubshells"] == "disabled"
    server = tmp_path / "etc" / "jupyter" / "jupyter_server_config.d" / "ganlib.json"
    url = json.loads(server.read_text())["ServerApp"]["default_url"]
    assert url.startswith("/lab/tree/notebooks/")
    assert (REPO / url.removeprefix("/lab/tree/")).is_file(), f"{url} names no notebook"
