"""One training iteration captured in a CUDA graph and replayed (notebook 04, "faster").

A small GAN at batch 64 is too small for a GPU: each of its few hundred kernels (forward,
backward and Adam of two networks) finishes in microseconds, and the time goes into launching
them from Python. A CUDA graph records the kernels of one iteration once and replays them with
a single launch. What a graph needs, and how :mod:`ganlib.mnist.training` provides it:

* **static memory**: every replay reads its inputs from the same buffers. The real batches and
  the noise are drawn outside the graph, by the same seeded generators and in the same order as
  the plain loop, and copied into :attr:`GraphedIteration.inputs` (two copies per iteration,
  asynchronous);
* **no host synchronisation**: nothing in an iteration reads a value back to Python. The
  statistics of each iteration stay on the device and are read every ``log_every``
  iterations, as in the plain loop (the whole data set and its per-epoch permutation are on
  the device too);
* **no random numbers inside**: dropout masks and DiffAugment's offsets would be frozen into
  the graph, so an iteration that draws them (:func:`why_not`) runs the plain loop; so does
  lazy R1, whose iterations are not all the same;
* **optimisers with their step count on the device** (``capturable=True``).

Capturing needs a few warm-up iterations (CUDA's libraries choose their kernels then); they
train the networks, so :class:`GraphedIteration` saves every parameter, buffer and optimiser
state before them and puts them back, in place (the graph holds their addresses), afterwards:
the first replayed iteration starts from exactly the state the plain loop would have had.

Where CUDA is missing or the capture fails, :func:`graph_or_none` says why and the plain loop
runs; the unit tests check the buffered path without a graph against the plain loop on the
CPU, which is everything but the capture itself.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ganlib.mnist.models import SeededDropout
from ganlib.mnist.steps import GANStep

__all__ = ["GraphedIteration", "graph_or_none", "why_not"]

#: Eager iterations before the capture (the PyTorch documentation's whole-network example uses 3).
WARMUP_ITERATIONS = 3


def why_not(step: GANStep, device: torch.device) -> str | None:
    """Why one iteration of ``step`` cannot be captured on ``device``, or ``None`` if it can."""
    if device.type != "cuda":
        return f"CUDA graphs need a CUDA device, this run is on {device.type}"
    if step.augment is not None:
        return "DiffAugment draws random offsets inside the iteration (augment_p > 0)"
    if any(isinstance(m, SeededDropout) and m.p > 0 for m in step.D.modules()):
        return "the discriminator's dropout draws random masks inside the iteration"
    if step.config.r1_gamma > 0 and step.config.r1_every > 1:
        return "lazy R1 (r1_every > 1) makes one iteration in r1_every differ from the others"
    return None


class GraphedIteration:
    """``step.iteration`` on static input buffers, run eagerly or replayed from a CUDA graph.

    Parameters
    ----------
    step : GANStep
        The networks and optimisers; their state is unchanged by the construction.
    example : tuple of tensors (or None)
        ``(xs, zs, z_g)`` of the shapes every iteration will have; they fix the buffers.
    capture : bool
        Record a CUDA graph (needs CUDA); ``False`` runs the same buffered computation eagerly,
        which is what the CPU tests check against the plain loop.
    """

    def __init__(
        self,
        step: GANStep,
        example: tuple[torch.Tensor, torch.Tensor, torch.Tensor | None],
        *,
        capture: bool,
    ) -> None:
        self.step = step
        self.inputs = tuple(None if t is None else t.detach().clone() for t in example)
        self.graph: torch.cuda.CUDAGraph | None = None
        self.output: torch.Tensor | None = None
        if capture:
            self._capture()

    def _compute(self) -> torch.Tensor:
        return self.step.iteration(*self.inputs)

    def _capture(self) -> None:
        saved = _snapshot(self.step)
        try:
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                for _ in range(WARMUP_ITERATIONS):
                    self._compute()
            torch.cuda.current_stream().wait_stream(side)
            graph = torch.cuda.CUDAGraph()
            for opt in (self.step.opt_d, self.step.opt_g):
                opt.zero_grad(set_to_none=True)  # gradients live in the graph's memory pool
            with torch.cuda.graph(graph):
                self.output = self._compute()
            self.graph = graph
        finally:  # also when the capture fails: the plain loop then starts from this state
            _restore(self.step, saved)

    def __call__(
        self, xs: torch.Tensor, zs: torch.Tensor, z_g: torch.Tensor | None
    ) -> torch.Tensor:
        """One iteration on these inputs; returns a fresh (4,) tensor of its statistics."""
        for buffer, value in zip(self.inputs, (xs, zs, z_g), strict=True):
            if buffer is not None:
                buffer.copy_(value, non_blocking=True)
        if self.graph is None:
            return self._compute()
        self.graph.replay()
        return self.output.clone()


def _tensors(step: GANStep) -> list[torch.Tensor]:
    """Every tensor an iteration changes: parameters, buffers, the optimisers' state."""
    tensors = [*step.G.state_dict().values(), *step.D.state_dict().values()]
    for opt in (step.opt_d, step.opt_g):
        for state in opt.state.values():
            tensors += [v for v in state.values() if isinstance(v, torch.Tensor)]
    return tensors


def _snapshot(step: GANStep) -> dict[str, object]:
    """Copies of the state before the warm-up (the optimisers may have no state yet)."""
    return {
        "tensors": [t.detach().clone() for t in _tensors(step)],
        "had_state": [bool(opt.state) for opt in (step.opt_d, step.opt_g)],
    }


def _restore(step: GANStep, saved: dict[str, object]) -> None:
    """Put the state back in place; a fresh optimiser's warm-up state becomes zeros (Adam's
    first step from zero moments and step 0 is the same as from no state)."""
    with torch.no_grad():
        for opt, had in zip((step.opt_d, step.opt_g), saved["had_state"], strict=True):
            if not had:
                for state in opt.state.values():
                    for v in state.values():
                        if isinstance(v, torch.Tensor):
                            v.zero_()
        tensors = _tensors(step)
        before = saved["tensors"]
        # a fresh optimiser's state tensors were created by the warm-up: they come after the
        # networks' and are already zeroed above
        for now, then in zip(tensors[: len(before)], before, strict=False):
            now.copy_(then)


def graph_or_none(
    step: GANStep,
    example: tuple[torch.Tensor, torch.Tensor, torch.Tensor | None],
    device: torch.device,
    note: Callable[[str], None] = print,
) -> GraphedIteration | None:
    """A captured :class:`GraphedIteration`, or ``None`` (and a note saying why) to run plain."""
    reason = why_not(step, device)
    if reason is None:
        try:
            graphed = GraphedIteration(step, example, capture=True)
        except RuntimeError as err:  # an unsupported op or driver: the plain loop still works
            reason = f"the capture failed ({str(err).splitlines()[0]})"
        else:
            note("ganlib: one iteration is captured in a CUDA graph and replayed")
            return graphed
    note(f"ganlib: cuda_graph=True, but {reason}; running the plain loop")
    return None
