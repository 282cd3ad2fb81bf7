"""What a training run keeps: its checkpoint, its ``history.json`` and how it stops (notebook 04).

:class:`RunRecords` is the part of :class:`ganlib.mnist.training._Trainer` that writes and reads
the state of a run: everything that determines its future (the networks, the averaged
generator, both optimisers, the four random streams, the data order and the position in it, the
buffered statistics) goes into one self-checking checkpoint (:mod:`ganlib.core.checkpoint`),
so resuming from it continues bit for bit. A diverged state is never written; an I/O error
keeps the previous checkpoint and says so.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ganlib.core.checkpoint import CheckpointError, save_checkpoint
from ganlib.core.files import atomic_write_text
from ganlib.mnist.progress import tqdm
from ganlib.mnist.run_checks import CHECKPOINT_KIND, SaveError

__all__ = ["RNG_OFFSETS", "RunRecords"]

#: Each random stream of a run and its seed offset: seed + offset seeds it.
RNG_OFFSETS = {"data": 1, "noise": 2, "dropout": 4, "augment": 5}


class RunRecords:
    """Checkpoints, history and the end of a run, for :class:`~ganlib.mnist.training._Trainer`.

    It uses the trainer's ``config``, ``device``, ``step`` (the :class:`GANStep`), ``G_ema``,
    the ``*_rng`` generators, ``perm``, ``cursor``, ``fixed_noise``, ``stats``, ``elapsed``,
    ``result``, ``data``, ``history_path``, ``written_step`` and ``stop``.
    """

    def rngs(self) -> dict[str, Any]:
        """The run's random streams by name (see :data:`RNG_OFFSETS`)."""
        return {name: getattr(self, f"{name}_rng") for name in RNG_OFFSETS}

    def state_dict(self) -> dict[str, Any]:
        r = self.result
        return {
            "generator": self.G.state_dict(),
            "discriminator": self.D.state_dict(),
            "ema_generator": None if self.G_ema is None else self.G_ema.state_dict(),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "config": self.config.to_dict(),
            "data": self.data,
            "rng": {name: rng.get_state() for name, rng in self.rngs().items()},
            "device_type": self.device.type,
            "perm": self.perm.cpu(),
            "cursor": self.cursor,
            "fixed_noise": self.fixed_noise.cpu(),
            "pending_stats": [s.cpu() for s in self.stats],
            "step": r.step,
            "epoch": r.epoch,
            "elapsed": self.elapsed,
            "history": r.history,
            "samples": r.samples,
            "sample_epochs": r.sample_epochs,
        }

    def load_state_dict(self, state: dict[str, Any], path: Path | str = "the checkpoint") -> None:
        try:
            self.G.load_state_dict(state["generator"])
            self.D.load_state_dict(state["discriminator"])
            self.opt_g.load_state_dict(state["opt_g"])
            self.opt_d.load_state_dict(state["opt_d"])
            if self.G_ema is not None:
                self.G_ema.load_state_dict(state["ema_generator"])
        except (RuntimeError, ValueError, KeyError, TypeError) as err:
            first = str(err).strip().splitlines()[0]
            raise CheckpointError(
                f"{path}: its weights do not fit arch {self.config.arch!r} ({first}); it was not "
                "written by this version of ganlib for this architecture. Start a new run."
            ) from None
        self._load_rng(state)
        self.perm, self.cursor = state["perm"].to(self.device), state["cursor"]
        self.fixed_noise = state["fixed_noise"].to(self.device)
        self.stats = [s.to(self.device) for s in state.get("pending_stats", [])]
        self.elapsed = state["elapsed"]
        r = self.result
        r.step, r.epoch, r.history = state["step"], state["epoch"], state["history"]
        r.samples, r.sample_epochs = state["samples"], state["sample_epochs"]
        r.saved_step = r.step

    def _load_rng(self, state: dict[str, Any]) -> None:
        if state["device_type"] == self.device.type:
            # set_state wants a CPU ByteTensor, also for a CUDA generator; map_location may have
            # moved the saved states to the GPU with everything else.
            saved = {name: s.cpu() for name, s in state["rng"].items()}
            for name, rng in self.rngs().items():
                if name in saved:  # "dropout", "augment": absent in older checkpoints
                    rng.set_state(saved[name])
            return
        # a CUDA generator state cannot seed a CPU generator: continue, not bit-exact
        print(
            f"ganlib: checkpoint was written on {state['device_type']}, resuming on "
            f"{self.device.type}; random streams are reseeded, so not bit-identical"
        )
        for name, rng in self.rngs().items():
            rng.manual_seed(self.config.seed + RNG_OFFSETS[name] + 1000 * state["step"])

    def write_history(self) -> None:
        """``history.json``: config, data, status, the history and the last checkpoint's step."""
        if self.history_path is None:
            return
        r = self.result
        record = {
            "config": self.config.to_dict(),
            "data": self.data,
            "status": r.status,
            "message": r.message,
            "step": r.step,
            "checkpoint_step": r.saved_step,
            "history": r.history,
        }
        atomic_write_text(self.history_path, json.dumps(record, indent=1) + "\n")

    def save(self, where: str = "at a scheduled save") -> bool:
        """Checkpoint and history, unless the state has diverged (then status is "diverged")."""
        r = self.result
        cause = self.unhealthy()
        if cause is not None:
            self.diverged(cause, where)
            return False
        path = r.checkpoint_path
        try:
            if path is not None and r.saved_step != r.step:
                save_checkpoint(path, self.state_dict(), kind=CHECKPOINT_KIND)
                r.saved_step = self.written_step = r.step
            self.write_history()
        except OSError as err:
            raise SaveError(
                f"could not write {err.filename or path}: {err.strerror or err}; the last "
                f"checkpoint ({self.describe_saved()}) is kept. Free some space or fix the "
                "permissions, then resume."
            ) from err
        return True

    def describe_saved(self) -> str:
        s = self.result.saved_step
        return "none yet" if s is None else f"step {s} in {self.result.checkpoint_path}"

    def diverged(self, cause: str, where: str) -> None:
        """Mark the run diverged, say why and what is kept; write the history (no checkpoint)."""
        c, r = self.config, self.result
        last = r.history["step"][-1] if r.history["step"] else 0
        kept = (
            f"the last good checkpoint ({self.describe_saved()}) is kept"
            if r.saved_step is not None
            else "no checkpoint was written before"
        )
        r.status = "diverged"
        r.message = (
            f"training diverged: {cause} ({where}, between iterations {last} and {r.step}); no "
            f"checkpoint is written from this state and {kept}. Lower lr_d/lr_g (now "
            f"{c.lr_d:g}/{c.lr_g:g}) or change the seed."
        )
        tqdm.write(f"ganlib: {r.message}")
        try:
            self.write_history()
        except OSError as err:  # the run has stopped anyway; say so rather than hide it
            tqdm.write(f"ganlib: could not write {self.history_path}: {err}")

    def finish(self) -> None:
        """The last save, at a boundary: after the last iteration or a stop request."""
        r = self.result
        if r.status != "running":  # diverged: history written, last good checkpoint kept
            return
        reason = self.stop.reason
        r.status = "interrupted" if reason is not None else "completed"
        if reason is not None:
            r.message = f"stopped by {reason} after iteration {r.step}"
        if not self.save(f"when {reason} stopped the run" if reason else "at the end"):
            return
        where = ""
        if r.checkpoint_path is not None:
            done = "saved" if self.written_step == r.step else "up to date (resumed at the end)"
            where = f"checkpoint {done} at step {r.step}"
        if reason is not None:
            r.message += f"; {where or 'nothing saved (no checkpoint path)'}"
            tqdm.write(f"ganlib: {r.message} ({r.checkpoint_path})" if where else r.message)
        elif where:
            tqdm.write(f"ganlib: {where} ({r.checkpoint_path})")
        if self.stop.count > 1:
            tqdm.write(f"ganlib: {self.stop.count - 1} further interrupt(s) waited for the save")
