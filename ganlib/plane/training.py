r"""The game in the plane (notebook 03): Algorithm 1 on 2-D points, and what the dashboard draws.

:class:`PlaneGAN` is the series' steppable game (:class:`ganlib.core.game.Game`: k D steps,
one G step, settings mid-run, divergence detection, R1, learning-rate decay) on points of the
plane: real samples from a target of :mod:`ganlib.plane.targets`, 2-D noise, the MLPs of
:mod:`ganlib.plane.models`, and a history of the mode metrics of :mod:`ganlib.plane.metrics`.
Its view methods compute what notebook 03 draws: D's heat map, each fake sample's gradient
arrow, the noise grid warped by G, and :math:`D^*` where :math:`p_g` is estimated.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ganlib.core.device import make_generator
from ganlib.core.game import Game, GameConfig
from ganlib.core.losses import generator_loss
from ganlib.core.validation import check_choice, check_instance, check_int
from ganlib.minimax.divergences import optimal_discriminator
from ganlib.plane.kde import JS_SAMPLES, kde_on_grid
from ganlib.plane.metrics import evaluate_samples
from ganlib.plane.models import PlaneNetConfig, build_plane_nets
from ganlib.plane.targets import NOISE_KINDS, TARGETS, noise_quantiles, sample_noise

__all__ = [
    "DEFAULT_REMEDY",
    "REMEDIES",
    "PlaneGAN",
    "PlaneGANConfig",
    "PlaneHistory",
    "RecordedRun",
    "run_recorded",
]

#: The remedies for mode collapse notebook 03 measures, each one change to plain training.
REMEDIES: dict[str, str] = {
    "two-time-scales": "D learns 3x faster than G: lr_D 3e-3, lr_G 1e-3 (Heusel et al. 2017)",
    "minibatch-std": "D sees each group of 8 samples' spread (Karras et al. 2018)",
    "r1": "D's loss + (γ/2) E|∇_x logit|² on real points, γ = 0.1 (Mescheder et al. 2018)",
}
#: The remedy in ``PlaneGANConfig()``'s defaults (the fastest and most reliable, measured by
#: ``benchmarks/bench_plane.py``); the defaults add a moving average of G (:data:`DEFAULT_EMA`).
DEFAULT_REMEDY = "two-time-scales"
#: ``ema_decay`` of the defaults: G's weights averaged over about 1/(1 - 0.99) = 100 steps.
DEFAULT_EMA = 0.99
PLAIN_LR = 1e-3
#: The defaults' G learning rate (D's is 3x it): twice plain training's, since a G that starts
#: spread out (:data:`DEFAULT_G_INIT`) has less far to go and takes the larger steps.
DEFAULT_LR_G = 2e-3
#: The defaults' noise: uniform on the square, whose bounded support leaves no tail of noise
#: to be mapped far from every mode.
DEFAULT_NOISE = "uniform"
#: The defaults' initialisation of G's hidden layers (:func:`ganlib.plane.models.he_init`).
DEFAULT_G_INIT = "he"

D_STAR_FLOOR = 1e-3  # D* is drawn where p_data + p_g exceeds this share of its peak


@dataclass(frozen=True)
class PlaneGANConfig(GameConfig):
    r"""Settings of the game in the plane; the defaults: two time scales, a spread-out G, an EMA.

    The shared settings (loss, optimizer, learning rates, betas, k, batch size, seed, R1, the
    learning-rate decay, the moving average of G) are those of
    :class:`ganlib.core.game.GameConfig`; the plane adds
    its target, noise and networks.

    Attributes
    ----------
    target : str
        Key of :data:`ganlib.plane.targets.TARGETS` (``"ring"``, ``"grid"``, ``"spiral"``).
    noise : {"normal", "uniform"}
        2-D noise :math:`p_z`.
    net : PlaneNetConfig
        G and D (``net.d_kind="minibatch-std"``: the D that sees batch statistics).

    Notes
    -----
    :meth:`plain` is *plain training*: Adam(1e-3, betas (0.5, 0.999)) for both players, one D
    step per G step, the non-saturating loss, a per-sample D, batch 256, and both learning
    rates decayed as :math:`\tau/(\tau + t)` with :math:`\tau` = 1,000 steps. On the ring it
    collapses: all of G's samples sit in one thin streak next to one mode, which hops from
    mode to mode. :meth:`with_remedy` changes one thing (:data:`REMEDIES`).

    The defaults are the default remedy, **two time scales** (Heusel et al. 2017: lr_D is 3×
    lr_G, so D stays near :math:`D^*` and pulls G towards every mode it misses), an
    **exponential moving average of G's weights** (``ema_decay`` 0.99; Yazıcı et al. 2019,
    "The Unusual Effectiveness of Averaging in GAN Training"), which is what is evaluated and
    sampled (:attr:`G_eval`), and **a G that starts spread out**: He et al.'s (2015)
    initialisation of G's hidden layers (``net.g_init="he"``, :func:`ganlib.plane.models.he_init`),
    uniform noise (:data:`DEFAULT_NOISE`) and twice plain training's learning rates
    (lr_D 6e-3, lr_G 2e-3).

    Why each: two time scales alone tear G's plane into 8 pieces within about 2,000 steps on
    most seeds, but G keeps oscillating around that answer, its high-quality share in and out
    of the 90 % line; the average over the last ~100 steps sits near the centre of the
    oscillation and holds the benchmark's criterion sooner. It costs one ``lerp`` of G's weights
    per step and does not change training: D plays against G, never against the average. What
    neither fixes is a mode G never tears a piece of its plane for (2 of seeds 0–9, 3 of
    10–19, with PyTorch's default weights). That failure starts at step 0: PyTorch's
    ``nn.Linear`` weights squeeze a fresh G's whole noise plane into a blob a few hundredths
    wide, which is torn apart on its way out to the ring. He's weights spread a fresh G's
    samples over a few tenths, so every mode faces a part of the noise plane from the start;
    with uniform noise (no tails) and the larger rates, G holds all 8 modes with ≥ 90 %
    high-quality samples within 10 s on 9 of seeds 0–9 (README, ``benchmarks/bench_plane.py``).

    G has three hidden layers: to put 90 % of its samples within 3σ = 0.06 of 8 points, G must
    *tear* its noise plane into 8 pieces, and the mass left on the seams between them is what
    the high-quality share misses. A third layer makes sharp seams reachable in a few thousand
    steps (two layers needed about twice as many; ``benchmarks/bench_plane.py``).
    """

    target: str = "ring"
    noise: str = DEFAULT_NOISE
    lr_d: float = 3 * DEFAULT_LR_G
    lr_g: float = DEFAULT_LR_G
    betas_d: tuple[float, float] = (0.5, 0.999)
    betas_g: tuple[float, float] = (0.5, 0.999)
    batch_size: int = 256
    lr_decay_steps: int = 1000
    ema_decay: float = DEFAULT_EMA
    net: PlaneNetConfig = field(default_factory=lambda: PlaneNetConfig(g_init=DEFAULT_G_INIT))

    @classmethod
    def plain(cls, seed: int = 0, **settings: object) -> PlaneGANConfig:
        """Plain training (equal learning rates, normal noise, PyTorch's initialisation,
        per-sample D, no penalty, no EMA) on ``seed``."""
        plain = {"lr_d": PLAIN_LR, "lr_g": PLAIN_LR, "ema_decay": 0.0, "seed": seed,
                 "noise": "normal", "net": PlaneNetConfig()}  # fmt: skip
        return cls(**{**plain, **settings})  # type: ignore[arg-type]

    @classmethod
    def with_remedy(cls, remedy: str, seed: int = 0, **settings: object) -> PlaneGANConfig:
        """Plain training with one remedy of :data:`REMEDIES` on ``seed``."""
        check_choice("remedy", remedy, tuple(REMEDIES))
        change: dict[str, object] = {
            "two-time-scales": {"lr_d": 3 * PLAIN_LR},
            "minibatch-std": {"net": PlaneNetConfig(d_kind="minibatch-std")},
            "r1": {"r1_gamma": 0.1},
        }[remedy]
        return cls.plain(seed=seed, **{**change, **settings})

    def describe(self) -> str:
        """The settings that differ between plain training, the remedies and the defaults, on
        one line."""
        return (
            f"lr_D {self.lr_d:g}, lr_G {self.lr_g:g}, k {self.k}, batch {self.batch_size}, "
            f"{self.loss}, D {self.net.d_kind}, R1 γ {self.r1_gamma:g}, τ {self.lr_decay_steps}, "
            f"EMA {self.ema_decay:g}, {self.noise} noise, G init {self.net.g_init}"
        )

    @property
    def d_kind(self) -> str:
        """``net.d_kind``: what D sees (``reset(d_kind=...)`` changes it)."""
        return self.net.d_kind

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first invalid setting, its valid range and value."""
        super().validate()
        check_choice("target", self.target, tuple(TARGETS))
        check_choice("noise", self.noise, NOISE_KINDS)
        check_instance("net", self.net, PlaneNetConfig)
        if self.net.d_kind == "minibatch-std" and self.batch_size % self.net.group:
            raise ValueError(
                f"batch_size must be a multiple of net.group={self.net.group} for the "
                f"minibatch-std discriminator, got {self.batch_size}"
            )


@dataclass
class PlaneHistory:
    r"""Training curves, one entry per record.

    ``d_loss`` / ``g_loss`` are the last losses (``d_loss`` is :math:`\ln 4` at the equilibrium
    of the log losses); ``d_real`` / ``d_fake`` mean :math:`D(x)` and :math:`D(G(z))` on the
    last D batch; ``modes`` (covered, 0 to K), ``hq`` (share of high-quality samples) and ``js``
    (nats) describe 10,000 fresh generator samples (:mod:`ganlib.plane.metrics`).
    """

    step: list[int] = field(default_factory=list)
    d_loss: list[float] = field(default_factory=list)
    g_loss: list[float] = field(default_factory=list)
    d_real: list[float] = field(default_factory=list)
    d_fake: list[float] = field(default_factory=list)
    modes: list[float] = field(default_factory=list)
    hq: list[float] = field(default_factory=list)
    js: list[float] = field(default_factory=list)

    def append(self, record: dict[str, float]) -> None:
        """Add one record; ``record`` has one value per field."""
        for f in dataclasses.fields(self):
            getattr(self, f.name).append(record[f.name])

    def as_dict(self) -> dict[str, list[float]]:
        """The curves as a plain dict of lists (copies)."""
        return {f.name: list(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def __len__(self) -> int:
        return len(self.step)


class PlaneGAN(Game):
    """G, D, their optimisers and the history of one run in the plane.

    Parameters
    ----------
    config : PlaneGANConfig
        Validated here; ``ValueError`` on a bad setting.
    device : str or torch.device
        Where the nets and samples live (these small nets are fastest on the CPU).
    record_samples : int
        Generator samples behind each history record (10,000; the live dashboard uses fewer).

    Attributes
    ----------
    step : int
        Generator steps taken so far.
    history : PlaneHistory
    diverged : Divergence or None
    """

    config_class = PlaneGANConfig

    def __init__(
        self,
        config: PlaneGANConfig | None = None,
        device: str | torch.device = "cpu",
        record_samples: int = JS_SAMPLES,
    ) -> None:
        self.record_samples = check_int("record_samples", record_samples, 100, 10**7)
        super().__init__(config, device)

    # ---- the plane's data, noise and nets -----------------------------------------------------
    def _build_nets(self, config: PlaneGANConfig) -> tuple[nn.Module, nn.Module]:
        return build_plane_nets(config.net)

    def _on_reset(self) -> None:
        self.target = TARGETS[self.config.target]
        self.history = PlaneHistory()
        self._fixed: dict[str, object] = {}  # the view's real points and noise, per reset

    def real_batch(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """``n`` samples of the target, ``(n, 2)``."""
        return self.target.sample(n, generator)

    def noise(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` noise draws ``(n, 2)`` from ``generator`` (default: the training one)."""
        return sample_noise(self.config.noise, n, self._gen if generator is None else generator)

    def _replaced(self, settings: dict[str, object]) -> PlaneGANConfig:
        """As the game's, and ``d_kind`` / ``group`` are accepted for the fields of ``net``."""
        net_fields = {k: settings.pop(k) for k in ("d_kind", "group") if k in settings}
        if net_fields:
            settings["net"] = dataclasses.replace(self.config.net, **net_fields)  # type: ignore[arg-type]
        return super()._replaced(settings)

    # ---- measuring ----------------------------------------------------------------------------
    @torch.no_grad()
    def sample(self, n: int) -> np.ndarray:
        """``n`` samples of the evaluated G (:attr:`G_eval`), float64 ``(n, 2)``.

        They come from the evaluation stream, so they are what the history and the benchmark
        measure: the moving average of G's weights when ``ema_decay`` is on (the defaults),
        else G itself.
        """
        return self.G_eval(self.noise(n, self._eval_gen)).double().cpu().numpy()

    def evaluate(self, n: int = JS_SAMPLES) -> dict[str, float]:
        """Modes covered, high-quality share and estimated JS of ``n`` fresh samples."""
        return evaluate_samples(self.sample(n), self.target)

    def record(self) -> None:
        """Append one history record (skipped, diverging, if G's samples are not finite)."""
        x = self.sample(self.record_samples)
        if not (self.parameters_finite() and np.isfinite(x).all()):
            self._diverge("G", "non-finite parameters or generator samples")
            return
        d_real, d_fake = self.last_d_outputs()
        self.history.append(
            {
                "step": self.step,
                "d_loss": self._last["d_loss"],
                "g_loss": self._last["g_loss"],
                "d_real": d_real,
                "d_fake": d_fake,
                **evaluate_samples(x, self.target),
            }
        )

    # ---- what notebook 03 draws -----------------------------------------------------------------
    def view(
        self,
        lattice: int = 64,
        n_samples: int = 512,
        n_lines: int = 20,
        line_points: int = 60,
        d_star_samples: int = 2048,
    ) -> dict[str, np.ndarray]:
        r"""Everything the landscape panel draws, for the current G and D.

        The landscape is the *game*: D and the training G it plays against (its points, arrows,
        warped grid, and D* for its :math:`p_g`), not the moving average that
        :meth:`sample` and the history measure; the two coincide when ``ema_decay`` is 0.
        The real points and the noise behind the fake points are drawn once per reset, so from
        frame to frame each fake point moves, along its arrow, instead of being redrawn anew.
        ``n_lines`` noise-grid lines per axis, of ``line_points`` points each; D* from the KDE
        of ``d_star_samples`` fresh samples (drawing stream: drawing never changes the records).

        Returns
        -------
        dict
            ``x`` the lattice ``(L,)``; ``d`` :math:`D(x)` on it ``(L, L)``; ``d_star``
            :math:`D^*` where :math:`p_g` is estimated (NaN elsewhere) ``(L, L)``; ``real`` and
            ``fake`` points ``(n, 2)``; ``arrows`` each fake point's gradient ``(n, 2)``;
            ``grid`` the warped noise grid ``(2 n_lines, P, 2)``.
        """
        x = self.view_lattice(lattice)
        fake, arrows = self.generator_arrows(self._view_noise(n_samples))
        return {
            "x": x,
            "d": self.discriminator_map(x),
            "d_star": self.d_star_map(x, self._game_samples(d_star_samples)),
            "real": self._view_real(n_samples),
            "fake": fake,
            "arrows": arrows,
            "grid": self.warped_noise_grid(n_lines, line_points),
        }

    @torch.no_grad()
    def _game_samples(self, n: int) -> np.ndarray:
        """``n`` samples of the training G, the player D faces, from the drawing stream."""
        return self.G(self.noise(n, self._draw_gen)).double().cpu().numpy()

    def _view_noise(self, n: int) -> torch.Tensor:
        n = self._group_multiple(n)
        if self._fixed.get("z") is None or len(self._fixed["z"]) != n:
            self._fixed["z"] = self.noise(n, make_generator(self.config.seed + 2, self.device))
        return self._fixed["z"]

    def _view_real(self, n: int) -> np.ndarray:
        if self._fixed.get("real") is None or len(self._fixed["real"]) != n:
            gen = make_generator(self.config.seed + 3, self.device)
            self._fixed["real"] = self.real_batch(n, gen).double().cpu().numpy()
        return self._fixed["real"]

    def view_lattice(self, n: int = 64) -> np.ndarray:
        """``n`` equally spaced coordinates across the target's square view, ``(n,)``."""
        check_int("lattice", n, 2, 4096)
        lo, hi = self.target.limits
        return np.linspace(lo, hi, n)

    @torch.no_grad()
    def discriminator_map(self, x: np.ndarray) -> np.ndarray:
        r""":math:`D(x)` on the lattice ``x`` × ``x``, shape ``(L, L)`` (rows are y).

        A minibatch-std D is evaluated with its statistic held at a real batch's value: "how
        real does a point look in a batch as spread out as the data".
        """
        xx, yy = np.meshgrid(x, x)
        pts = torch.as_tensor(np.stack([xx.ravel(), yy.ravel()], 1), dtype=torch.float32)
        pts = pts.to(self.device)
        stat = None
        if hasattr(self.D, "statistic"):
            stat = self.D.statistic(self._real_tensor()).mean()
        logits = self.D.score(pts, stat)
        return torch.sigmoid(logits).reshape(len(x), len(x)).double().cpu().numpy()

    def _real_tensor(self) -> torch.Tensor:
        n = self._group_multiple(self.config.batch_size)
        return torch.as_tensor(self._view_real(n), dtype=torch.float32, device=self.device)

    def generator_arrows(self, z: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        r"""Fake points :math:`x_i = G(z_i)` and the direction the generator loss moves each.

        The arrow of :math:`x_i` is :math:`-n\,\partial L_G / \partial x_i`, the descent
        direction of the sample's own term of :math:`L_G = \frac1n \sum_i \ell(x_i)` (for a
        minibatch-std D, the group's statistic included); G's parameters follow these arrows
        through :math:`\partial x_i / \partial \theta_g`. ``z`` is ``(n, 2)``; both arrays
        returned are ``(n, 2)``.
        """
        with torch.no_grad():
            x = self.G(z)
        x.requires_grad_(True)
        loss = generator_loss(self.D(x), self.config.loss)
        (grad,) = torch.autograd.grad(loss, x)
        return x.detach().double().cpu().numpy(), (-len(z) * grad).double().cpu().numpy()

    def _group_multiple(self, n: int) -> int:
        group = self.config.net.group if self.config.net.d_kind == "minibatch-std" else 1
        return max(group, n - n % group)

    @torch.no_grad()
    def warped_noise_grid(self, n_lines: int = 20, n_points: int = 60) -> np.ndarray:
        r"""The noise grid mapped by G: ``(2 n_lines, n_points, 2)`` polylines.

        The lines sit at equal-probability quantiles of :math:`p_z`
        (:func:`ganlib.plane.targets.noise_quantiles`), so every warped cell holds the same
        share of G's samples; a stretched cell is probability spread thin.
        """
        q = noise_quantiles(self.config.noise, n_lines)
        t = noise_quantiles(self.config.noise, n_points)
        a, b = np.meshgrid(q, t, indexing="ij")  # (n_lines, n_points)
        z = np.concatenate([np.stack([a, b], -1), np.stack([b, a], -1)])  # vertical, horizontal
        zt = torch.as_tensor(z.reshape(-1, 2), dtype=torch.float32, device=self.device)
        return self.G(zt).double().cpu().numpy().reshape(z.shape)

    def d_star_map(self, x: np.ndarray, samples: np.ndarray) -> np.ndarray:
        r""":math:`D^* = p_b / (p_b + \hat p_{g,b})` on the lattice ``x`` × ``x``, ``(L, L)``.

        Both densities are smoothed to the lattice's resolution :math:`b` = its spacing (the
        exact target convolved with :math:`\mathcal N(0, b^2 I)`, the KDE of ``samples`` with
        bandwidth :math:`b`), since the ring's modes are narrower than a heat-map cell. Where
        :math:`p_g` is not estimated (both smoothed densities below :data:`D_STAR_FLOOR` of
        their peak) the map is NaN: D* is undefined there, and the contours stop.
        """
        b = float(x[1] - x[0])
        p_data = self.target.smoothed(b).pdf_on_lattice(x, x)
        p_g = kde_on_grid(samples, x, x, b)
        d_star = optimal_discriminator(p_data, p_g)
        mix = p_data + p_g
        return np.where(mix > D_STAR_FLOOR * mix.max(), d_star, np.nan)


@dataclass
class RecordedRun:
    """One seeded run of notebook 03: its history, snapshots of G's samples, its wall time.

    Attributes
    ----------
    config : PlaneGANConfig
    history : PlaneHistory
    frames : dict of int to np.ndarray
        Generator step -> ``(n, 2)`` samples drawn at that step (the filmstrips).
    seconds : float
        Wall time of the whole run, records included.
    gan : PlaneGAN
        The trained game, for further pictures.
    """

    config: PlaneGANConfig
    history: PlaneHistory
    frames: dict[int, np.ndarray]
    seconds: float
    gan: PlaneGAN


def run_recorded(
    config: PlaneGANConfig,
    n_steps: int,
    record_every: int = 100,
    frame_every: int = 100,
    frame_samples: int = 2_000,
) -> RecordedRun:
    """Train ``config`` for ``n_steps`` generator steps, recording and keeping frames.

    The run is :meth:`PlaneGAN.train` in pieces of ``frame_every`` steps; after each piece
    ``frame_samples`` samples are kept (from the evaluation stream, so the training is the
    same as one ``train(n_steps)``).
    """
    check_int("n_steps", n_steps, 0)
    check_int("frame_every", frame_every, 1)
    start = time.perf_counter()
    gan = PlaneGAN(config)
    frames = {0: gan.sample(frame_samples)}
    while gan.step < n_steps and gan.diverged is None:
        gan.train(min(frame_every, n_steps - gan.step), record_every=record_every)
        if gan.diverged is None:
            frames[gan.step] = gan.sample(frame_samples)
    return RecordedRun(config, gan.history, frames, time.perf_counter() - start, gan)
