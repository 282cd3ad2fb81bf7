"""pyproject.toml, constraints.txt and environment.yml must describe the same environment."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest itself depends on tomli there
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]


def _name(spec: str) -> str:
    return Requirement(spec).name.lower().replace("_", "-")


def _pyproject_names() -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        specs += extra
    return {_name(s) for s in specs}


def _environment_pins() -> dict[str, str]:
    pins = {}
    for line in (REPO / "environment.yml").read_text().splitlines():
        item = line.strip().removeprefix("- ").strip()
        if "==" in item and not item.startswith("-"):
            name, version = item.split("==")
            pins[_name(name)] = version
    return pins


def _constraint_pins(marker_env: dict[str, str]) -> dict[str, str]:
    pins = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        req = Requirement(line)
        if req.marker is None or req.marker.evaluate(marker_env):
            (spec,) = req.specifier
            assert spec.operator == "==", f"{line}: constraints must pin with =="
            pins[_name(req.name)] = spec.version
    return pins


PY311 = {"python_version": "3.11", "python_full_version": "3.11.7"}
PY310 = {"python_version": "3.10", "python_full_version": "3.10.13"}


def test_environment_yml_lists_exactly_the_pyproject_packages() -> None:
    env = set(_environment_pins())
    deps = _pyproject_names()
    assert env == deps, f"only in environment.yml: {env - deps}; only in pyproject: {deps - env}"


def test_environment_yml_pins_agree_with_constraints() -> None:
    constraints = _constraint_pins(PY311)
    for name, version in _environment_pins().items():
        pinned = constraints[name]
        assert pinned == version, f"{name}: environment.yml {version}, constraints {pinned}"


def test_every_direct_dependency_is_pinned_for_each_supported_python() -> None:
    for env in (PY311, PY310):
        pinned = _constraint_pins(env)
        missing = _pyproject_names() - set(pinned)
        assert not missing, f"not pinned for Python {env['python_version']}: {missing}"


def test_torch_is_pinned_to_the_cpu_tested_release() -> None:
    assert _constraint_pins(PY311)["torch"] == "2.13.0"


def test_installed_versions_match_the_pins() -> None:
    from importlib.metadata import version

    pinned = _constraint_pins(PY311)
    for name in _pyproject_names():
        installed = version(name).split("+")[0]
        assert installed == pinned[name], f"{name}: installed {installed}, pinned {pinned[name]}"


def test_lab_overrides_are_installed_into_the_environment() -> None:
    installed = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    assert installed.is_file(), (
        "run `python3 dev.py install`: it copies jupyter-settings/overrides.json there"
    )
    settings = json.loads(installed.read_text())
    assert settings == json.loads((REPO / "jupyter-settings" / "overrides.json").read_text())
    kernels = settings["@jupyterlab/apputils-extension:kernels-settings"]
    news = settings["@jupyterlab/apputils-extension:notification"]
    assert kernels["commsOverSubshells"] == "disabled"
    assert news["fetchNews"] == "false"
    assert news["checkForUpdates"] is False


def test_overrides_name_settings_that_jupyterlab_knows() -> None:
    schemas = Path(sys.prefix) / "share" / "jupyter" / "lab" / "schemas"
    settings = json.loads((REPO / "jupyter-settings" / "overrides.json").read_text())
    for plugin, values in settings.items():
        package, name = plugin.split(":")
        schema = json.loads((schemas / package / f"{name}.json").read_text())
        assert set(values) <= set(schema["properties"]), f"{plugin}: unknown keys"


def test_ci_runs_the_readme_test_command() -> None:
    readme = (REPO / "README.md").read_text()
    ci = (REPO / ".ci" / "run").read_text()
    command = "python3 dev.py test"
    assert re.search(rf"^{command}$", readme, re.MULTILINE), f"README must give `{command}`"
    assert re.search(rf"^{command}$", ci, re.MULTILINE), f".ci/run must call `{command}`"
    assert re.search(r"^python3 dev.py lab$", readme, re.MULTILINE)


# ---- the wheel: what a non-editable install contains ----------------------------------------
@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel of the checkout, built without network (the venv's setuptools)."""
    out = tmp_path_factory.mktemp("wheel")
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    subprocess.run([*cmd, "-w", str(out), str(REPO)], check=True, capture_output=True)
    (path,) = out.glob("ganlib-*.whl")
    return path


def test_the_wheel_holds_every_module_and_the_shipped_weights(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    sources = {str(p.relative_to(REPO)) for p in (REPO / "ganlib").rglob("*.py")}
    assert sources <= names, f"missing from the wheel: {sorted(sources - names)}"
    weights = {
        str(p.relative_to(REPO))
        for p in (REPO / "ganlib" / "mnist" / "weights").iterdir()
        if p.suffix in (".pt", ".json")
    }
    assert weights, "no shipped weights found in the checkout"
    assert weights <= names, f"shipped weights missing from the wheel: {sorted(weights - names)}"
    assert "ganlib/py.typed" in names
    recordings = {str(p.relative_to(REPO)) for p in (REPO / "ganlib").glob("*/recordings/*.npz")}
    assert len(recordings) == 3, f"one recorded run per dashboard expected: {recordings}"
    assert recordings <= names, f"recordings missing from the wheel: {recordings - names}"


def test_an_installed_wheel_loads_its_shipped_weights(wheel: Path, tmp_path: Path) -> None:
    """Unpack the wheel as pip would (a pure wheel is a zip of site-packages) and use it from a
    folder outside the repository, so every path computed from ``__file__`` is the installed one.
    """
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    script = (
        "import ganlib, torch\n"
        "from ganlib.mnist import pretrained\n"
        "g = pretrained.load_pretrained_generator()\n"
        "c = pretrained.load_pretrained_classifier()\n"
        "z = torch.randn(4, g.latent_dim, generator=torch.Generator().manual_seed(0))\n"
        "with torch.no_grad():\n"
        "    print(ganlib.__file__)\n"
        "    print(tuple(c(g(z)).shape))\n"
        "from ganlib.minimax import replay as m\n"
        "from ganlib.plane import replay as p\n"
        "from ganlib.toy import replay as t\n"
        "print([r.shipped_recording().n_frames for r in (m, t, p)])\n"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    location, shape, frames = run.stdout.splitlines()
    assert Path(location).is_relative_to(site), f"imported {location}, not the wheel's copy"
    assert shape == "(4, 10)"
    assert frames == "[25, 16, 17]"  # the recorded runs of notebooks 01, 02 and 03
    help_run = subprocess.run(
        [sys.executable, "-m", "ganlib.mnist.train", "--help"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert help_run.returncode == 0, help_run.stderr
    assert "--resume" in help_run.stdout
