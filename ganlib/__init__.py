"""ganlib: the code behind the GAN notebook series. The tree is the notebook map.

``ganlib/core/`` — shared by every lesson
    :mod:`~ganlib.core.validation` (one set of setting checks), :mod:`~ganlib.core.losses`
    (the generator and discriminator losses, one implementation for every trainer),
    :mod:`~ganlib.core.device` (device choice at run time, explicit seeding),
    :mod:`~ganlib.core.files` (atomic writes, hashes), :mod:`~ganlib.core.checkpoint`
    (self-checking checkpoints of plain state_dicts), :mod:`~ganlib.core.interrupts` (Ctrl-C and
    SIGTERM as a stop request), :mod:`~ganlib.core.densities` (closed-form densities),
    :mod:`~ganlib.core.game` (Algorithm 1, one move at a time: the toy's and the plane's game).
``ganlib/live/`` — the live-dashboard framework (notebooks 01-03 and the presenter mode)
    :mod:`~ganlib.live.figure` (one figure, redrawn by blitting), :mod:`~ganlib.live.dashboard`
    (controls, Play / Pause / Step D / Step G / Reset, the status line),
    :mod:`~ganlib.live.recording` (recorded runs, the replay viewer, kernel-free animations).
    Projector sizes of every dashboard: :mod:`~ganlib.live.presenter`.
``ganlib/minimax/`` — notebook 01, the minimax game
    :mod:`~ganlib.minimax.claims` (claims that sympy must prove, and where they live),
    :mod:`~ganlib.minimax.theory` (the derivation as claims),
    :mod:`~ganlib.minimax.divergences` (TV, KL, JS, D* and C(G) on a grid),
    :mod:`~ganlib.minimax.explorer` (the p_data / p_g / D* explorer),
    :mod:`~ganlib.minimax.replay` (its recorded path, ``recordings/``).
``ganlib/toy/`` — notebook 02, a 1-D GAN
    :mod:`~ganlib.toy.distributions`, :mod:`~ganlib.toy.models`, :mod:`~ganlib.toy.training`,
    :mod:`~ganlib.toy.js_estimate`, :mod:`~ganlib.toy.plots`, :mod:`~ganlib.toy.exercises`,
    :mod:`~ganlib.toy.dashboard`, :mod:`~ganlib.toy.replay` (its recorded run, ``recordings/``).
``ganlib/plane/`` — notebook 03, the game in the plane (2-D targets, mode collapse)
    :mod:`~ganlib.plane.targets` (exact 2-D mixtures, 2-D noise), :mod:`~ganlib.plane.models`,
    :mod:`~ganlib.plane.training` (``PlaneGAN`` and the remedies), :mod:`~ganlib.plane.metrics`
    (modes covered, high-quality share), :mod:`~ganlib.plane.kde` (2-D KDE and JS),
    :mod:`~ganlib.plane.bilinear` (the game ``min_x max_y xy``), :mod:`~ganlib.plane.plots`,
    :mod:`~ganlib.plane.dashboard`, :mod:`~ganlib.plane.replay` (its recorded run, ``recordings/``).
``ganlib/mnist/`` — notebook 04, an MNIST GAN
    :mod:`~ganlib.mnist.data`, :mod:`~ganlib.mnist.download`, :mod:`~ganlib.mnist.models`,
    :mod:`~ganlib.mnist.training`, :mod:`~ganlib.mnist.run_checks`,
    :mod:`~ganlib.mnist.train` (``python -m ganlib.mnist.train``), :mod:`~ganlib.mnist.classifier`,
    :mod:`~ganlib.mnist.metrics`, :mod:`~ganlib.mnist.pretrained` (the shipped weights).

Imports run one way, down this list: ``core`` imports nothing else of ganlib, ``live`` only
``core``, and a lesson imports ``core``, ``live`` and earlier lessons, never a later one
(``tests/test_layout.py`` parses every import and fails on a cycle or a backward arrow).
"""

__version__ = "0.2.0"
