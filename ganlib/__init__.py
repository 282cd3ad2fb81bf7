"""ganlib: the code behind the GAN notebook series. The tree is the notebook map.

``ganlib/core/`` — shared by every lesson
    :mod:`~ganlib.core.validation` (one set of setting checks), :mod:`~ganlib.core.losses`
    (the generator and discriminator losses, one implementation for every trainer),
    :mod:`~ganlib.core.device` (device choice at run time, explicit seeding),
    :mod:`~ganlib.core.files` (atomic writes, hashes), :mod:`~ganlib.core.checkpoint`
    (checkpoints of plain state_dicts), :mod:`~ganlib.core.densities` (closed-form densities),
    :mod:`~ganlib.core.game` (Algorithm 1, one move at a time: the toy's and the plane's game).
``ganlib/live/`` — the live-dashboard framework (notebooks 01-03 and the presenter mode)
    :mod:`~ganlib.live.figure` (one figure, redrawn by blitting), :mod:`~ganlib.live.dashboard`
    (controls, Play / Pause / Step D / Step G / Reset, the status line).
``ganlib/minimax/`` — notebook 01, the minimax game
    :mod:`~ganlib.minimax.theory` (the derivation as sympy claims),
    :mod:`~ganlib.minimax.divergences` (KL, JS, D* and C(G) on a grid),
    :mod:`~ganlib.minimax.explorer` (the p_data / p_g / D* explorer).
``ganlib/toy/`` — notebook 02, a 1-D GAN
    :mod:`~ganlib.toy.distributions`, :mod:`~ganlib.toy.models`, :mod:`~ganlib.toy.training`,
    :mod:`~ganlib.toy.js_estimate`, :mod:`~ganlib.toy.plots`, :mod:`~ganlib.toy.exercises`,
    :mod:`~ganlib.toy.dashboard`.
``ganlib/plane/`` — notebook 03, the game in the plane (2-D targets, mode collapse)
``ganlib/mnist/`` — notebook 04, an MNIST GAN
    :mod:`~ganlib.mnist.data`, :mod:`~ganlib.mnist.models`, :mod:`~ganlib.mnist.training`,
    :mod:`~ganlib.mnist.train` (``python -m ganlib.mnist.train``), :mod:`~ganlib.mnist.classifier`,
    :mod:`~ganlib.mnist.metrics`, :mod:`~ganlib.mnist.pretrained` (the shipped weights).

Imports run one way, down this list: ``core`` imports nothing else of ganlib, ``live`` only
``core``, and a lesson imports ``core``, ``live`` and earlier lessons, never a later one
(``tests/test_layout.py`` parses every import and fails on a cycle or a backward arrow).
"""

__version__ = "0.2.0"
