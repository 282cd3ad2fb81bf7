"""ganlib: the code behind the GAN notebook series.

Each module holds one concept, introduced by one notebook:

Notebook 01, the minimax game
    :mod:`ganlib.theory` (every step of the derivation as sympy claims),
    :mod:`ganlib.divergences` (KL, JS, D* and C(G) for densities on a grid),
    :mod:`ganlib.explorer` (the interactive p_data / p_g / D* explorer).
Notebook 02, a 1-D toy GAN
    :mod:`ganlib.distributions` (targets and noise), :mod:`ganlib.toy_models` (G and D),
    :mod:`ganlib.toy_training` (Algorithm 1, step by step), :mod:`ganlib.js_estimate`
    (JS from samples), :mod:`ganlib.toy_plots` (Figure 1 and traces), :mod:`ganlib.dashboard`
    (the live dashboard).
Notebook 03, an MNIST GAN
    :mod:`ganlib.data` (IDX files, checked downloads, offline digits), :mod:`ganlib.mnist_models`
    (the reference MLPs), :mod:`ganlib.mnist_training` and :mod:`ganlib.train` (training and its
    command line), :mod:`ganlib.checkpoint` (atomic checkpoints), :mod:`ganlib.pretrained`
    (shipped generators), :mod:`ganlib.classifier` and :mod:`ganlib.metrics` (quality numbers).
All notebooks
    :mod:`ganlib.device`: picking a device at run time and explicit seeding.
"""

__version__ = "0.1.0"
