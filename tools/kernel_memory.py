"""Memory per student: the kernel's resident memory after running each notebook (and app).

For every notebook (``notebooks/0*.ipynb``, then the presenter apps in ``apps/``, which Voilà
runs once per visitor) this starts a fresh kernel with nbclient, runs every cell, and reads the
kernel process's ``VmRSS`` (resident now) and ``VmHWM`` (the peak) from ``/proc/<pid>/status``
(Linux only). ``--mode smoke`` sets ``GANLIB_SMOKE=1`` (CI's settings); ``--mode full`` runs the
notebooks as committed. ``GANLIB_NO_DOWNLOAD=1`` always: nothing is fetched.

    python tools/kernel_memory.py --mode smoke            # every notebook and app
    python tools/kernel_memory.py --mode full 01 02        # only those whose name starts so

Prints a Markdown table (README's "Memory per student" quotes it). The kernel is the student's
whole Python side; a JupyterHub or Binder pod adds its Jupyter server (README gives both).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]


def proc_memory_mib(pid: int) -> dict[str, float]:
    """``VmRSS`` and ``VmHWM`` of process ``pid`` in MiB (from ``/proc/<pid>/status``)."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024  # kB -> MiB
    return values


def run_and_measure(path: Path, timeout: int) -> dict[str, float]:
    """Run every cell of ``path`` in a fresh kernel; the kernel's memory and the wall time."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": path.parent}}
    )
    started = time.monotonic()
    with client.setup_kernel():
        pid = client.km.provisioner.process.pid
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        memory = proc_memory_mib(pid)
    return {**memory, "seconds": time.monotonic() - started}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=("smoke", "full"), default="smoke")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    parser.add_argument("prefixes", nargs="*", help="only notebooks whose name starts so")
    args = parser.parse_args(argv)
    if not Path("/proc/self/status").is_file():
        sys.exit("this reads /proc/<pid>/status: run it on Linux")
    os.environ["GANLIB_NO_DOWNLOAD"] = "1"
    if args.mode == "smoke":
        os.environ["GANLIB_SMOKE"] = "1"
    else:
        os.environ.pop("GANLIB_SMOKE", None)
    paths = sorted((REPO / "notebooks").glob("0*.ipynb")) + sorted((REPO / "apps").glob("*.ipynb"))
    if args.prefixes:
        paths = [p for p in paths if p.name.startswith(tuple(args.prefixes))]
    print(f"| notebook ({args.mode}) | kernel RSS after (MiB) | kernel peak RSS (MiB) | run (s) |")
    print("|---|---:|---:|---:|")
    for path in paths:
        m = run_and_measure(path, args.timeout)
        name = path.relative_to(REPO)
        print(f"| {name} | {m['VmRSS']:.0f} | {m['VmHWM']:.0f} | {m['seconds']:.0f} |", flush=True)


if __name__ == "__main__":
    main()
