"""ganlib: the code behind the GAN notebook series.

Each module holds one concept, introduced by one notebook:

- :mod:`ganlib.theory`, :mod:`ganlib.divergences`: the minimax game and its optimum (notebook 01)
- toy 1-D GAN modules (notebook 02)
- MNIST data, models, training and metrics (notebook 03)
- :mod:`ganlib.device`: picking a device at run time and explicit seeding (all notebooks)
"""

__version__ = "0.1.0"
