"""Notebook 04, an MNIST GAN: real digits, three architectures, two judges, honest numbers.

Modules, in the order the notebook meets them:

:mod:`~ganlib.mnist.data`
    MNIST / Fashion-MNIST IDX files, checked downloads, the offline 5,000-digit subset.
:mod:`~ganlib.mnist.download`
    Downloads with ``pooch``: SHA-256, mirrors in turn, retries, atomic 0644 files.
:mod:`~ganlib.mnist.grids`
    Many digits tiled into one picture, on screen or as a PNG.
:mod:`~ganlib.mnist.models`
    The reference GANs (the PyTorch tutorial MLP GAN, Keras-GAN's MLP GAN) and a small DCGAN as
    PyTorch modules, with their multiply-add counts.
:mod:`~ganlib.mnist.config`
    :class:`~ganlib.mnist.config.MNISTGANConfig`, the settings of a run, and the reference
    recipes.
:mod:`~ganlib.mnist.steps`
    One iteration of Algorithm 1 on images, in the order of each reference loop (fused Adam,
    G's update without D's weight gradients, DiffAugment, one D call on both batches).
:mod:`~ganlib.mnist.augment`
    DiffAugment: differentiable translation and cutout, against a D that memorises its digits.
:mod:`~ganlib.mnist.ema`
    A moving average of G's weights, the generator that is sampled and exported.
:mod:`~ganlib.mnist.cuda_graph`
    One iteration captured in a CUDA graph and replayed, with a plain fallback.
:mod:`~ganlib.mnist.training`
    A run: the data order and noise from seeded streams on the device, the history, sample grids;
    :func:`~ganlib.mnist.training.train_gan`.
:mod:`~ganlib.mnist.run_state`
    What a run keeps: self-checking checkpoints that resume bit for bit, ``history.json``, the
    save at the end or at a stop request.
:mod:`~ganlib.mnist.run_checks`
    Divergence, the data a checkpoint was trained on, what a checkpoint may resume.
:mod:`~ganlib.mnist.progress`
    The progress bar (``tqdm``, or a silent stand-in where it is missing).
:mod:`~ganlib.mnist.train`
    The command line for long runs: ``python -m ganlib.mnist.train``.
:mod:`~ganlib.mnist.classifier`
    Two judges of generated digits: a small CNN and an MLP.
:mod:`~ganlib.mnist.metrics`
    Class coverage (the 7-13 % band), sampling, classifying, a generator's quality numbers.
:mod:`~ganlib.mnist.frechet`
    The Fréchet distance between Gaussians fitted to two feature sets.
:mod:`~ganlib.mnist.parzen`
    The Parzen-window log-likelihood of the paper's Table 1.
:mod:`~ganlib.mnist.judges`
    Coverage and Fréchet distance by several judges, and how often they disagree.
:mod:`~ganlib.mnist.memorisation`
    Do the samples copy training digits (nearest neighbours)? Does D know its training digits by
    heart (the D(x) gap)?
:mod:`~ganlib.mnist.pretrained`
    The weights shipped in :data:`WEIGHTS_DIR`: loaders, export, evaluation.
"""

from pathlib import Path

#: The shipped weights and their JSON records (package data: installed with the wheel).
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
