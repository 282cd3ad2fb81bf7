"""Notebook 04, an MNIST GAN: real digits, the reference MLP GANs, shipped weights, honest numbers.

Modules, in the order the notebook meets them:

:mod:`~ganlib.mnist.data`
    MNIST / Fashion-MNIST IDX files, checked downloads, the offline 5,000-digit subset.
:mod:`~ganlib.mnist.download`
    Downloads with ``pooch``: SHA-256, mirrors in turn, retries, atomic 0644 files.
:mod:`~ganlib.mnist.models`
    The reference GANs (the PyTorch tutorial MLP GAN, Keras-GAN's MLP GAN) and a small DCGAN as
    PyTorch modules, with their multiply-add counts.
:mod:`~ganlib.mnist.training`
    Algorithm 1 on images (the reference recipes' loops), with exact resume from atomic
    checkpoints and stops at iteration boundaries on Ctrl-C or SIGTERM.
:mod:`~ganlib.mnist.run_checks`
    Divergence, the data a checkpoint was trained on, what a checkpoint may resume.
:mod:`~ganlib.mnist.train`
    The command line for long runs: ``python -m ganlib.mnist.train``.
:mod:`~ganlib.mnist.augment`
    DiffAugment: differentiable translation and cutout, against a D that memorises its digits.
:mod:`~ganlib.mnist.classifier`
    Two judges of generated digits: a small CNN and an MLP.
:mod:`~ganlib.mnist.metrics`
    Class coverage, Fréchet distance, Parzen log-likelihood; several judges, the memorisation
    check and the D(x) gap.
:mod:`~ganlib.mnist.pretrained`
    The weights shipped in :data:`WEIGHTS_DIR`: loaders, export, evaluation.
"""

from pathlib import Path

#: The shipped weights and their JSON records (package data: installed with the wheel).
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
