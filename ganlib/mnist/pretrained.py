"""Weights the project trained with its own code, shipped in ``ganlib/mnist/weights/``.

Each ``generator_<name>.pt`` is a float16 ``state_dict`` (half the size of float32; the loader
converts back to float32; float32 when a value does not fit float16), and
``generator_<name>.json`` records the architecture, the training config, the exact
``python -m ganlib.mnist.train`` command, the training time and device, the file's SHA-256 and
the quality numbers of :func:`ganlib.mnist.metrics.evaluate_generator`. The loaders check the
SHA-256 before they read a byte of the weights, so a damaged or swapped file is refused with a
message instead of drawing wrong digits. Notebook 04 starts from
:func:`load_pretrained_generator`, so a learner sees good digits within seconds on a laptop.

Shipped (each trained on the 4,000 offline digits by ``python -m ganlib.mnist.train``, batch 64,
ganlib's ``"joint"`` loop, CPU, one thread; numbers for 10,000 samples against the 1,000
held-out digits, by the CNN and the MLP judge):

``"default"``
    The DCGAN (``"dcgan"``), 35,000 iterations with the lazy R1 penalty (``--r1 5 --r1-every
    4``), the moving average of G's weights (``--ema 0.999``). Fréchet 8.3 (CNN) and 12.2 (MLP);
    every digit within 7-13 % by both judges (8.5-11.0 % and 8.6-11.9 %).
``"dcgan_r1_10k"``
    The same run at iteration 10,000. Fréchet 19.6 (CNN) and 29.8 (MLP); 7.7-12.8 % by the CNN
    judge, 13.6 % 9s by the MLP judge.
``"dcgan_no_r1"``
    The same recipe without R1, 12,000 iterations (the default before R1). Fréchet 31.9 (CNN)
    and 49.2 (MLP); both judges find 15.7 % 9s, so the 7-13 % band is missed.
``"keras_gan"``
    Keras-GAN's MLPs, 6,000 iterations. Fréchet 45.5 (CNN) and 21.2 (MLP); the MLP judge finds
    every digit within 7-13 %, the CNN judge 15.1 % 3s.
``"keras_gan_dropout"``
    Keras-GAN's MLPs with dropout in D, 6,000 iterations (the default before the DCGAN).
    Fréchet 51.4 (CNN) and 24.4 (MLP); within the band for the MLP judge, 6.6-14.2 % for the
    CNN judge.

The numbers are in each JSON's ``quality`` field; ``python -m ganlib.mnist.pretrained`` lists them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ganlib.core.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from ganlib.core.files import atomic_write_text, sha256_file
from ganlib.core.validation import check_choice, check_file_stem
from ganlib.mnist import WEIGHTS_DIR
from ganlib.mnist.classifier import MLPClassifier, MNISTClassifier, classifier_from_record
from ganlib.mnist.models import Generator, build_gan

KINDS = ("generator", "classifier")
#: Export dtypes: ``"auto"`` is float16 when every value fits, else float32.
EXPORT_DTYPES = ("auto", "float16", "float32")


def _paths(kind: str, name: str, root: str | Path | None) -> tuple[Path, Path]:
    """``<root>/<kind>_<name>.pt`` and its ``.json`` record."""
    check_file_stem("name", name)
    folder = WEIGHTS_DIR if root is None else Path(root)
    return folder / f"{kind}_{name}.pt", folder / f"{kind}_{name}.json"


def available(kind: str = "generator", root: str | Path | None = None) -> list[str]:
    """Names of the shipped weights of one kind (``<kind>_<name>.json`` files)."""
    if kind not in KINDS:
        raise ValueError(f"kind={kind!r} is not known; valid: {KINDS}")
    folder = WEIGHTS_DIR if root is None else Path(root)
    return sorted(p.stem.removeprefix(f"{kind}_") for p in folder.glob(f"{kind}_*.json"))


def _info(kind: str, name: str, root: str | Path | None) -> dict[str, Any]:
    _, meta = _paths(kind, name, root)
    if not meta.is_file():
        raise FileNotFoundError(
            f"no shipped {kind} {name!r} ({meta} is missing); available: {available(kind, root)}"
        )
    return json.loads(meta.read_text())


def pretrained_info(name: str = "default", root: str | Path | None = None) -> dict[str, Any]:
    """The JSON record of a shipped generator: arch, config, command, timing, quality."""
    return _info("generator", name, root)


def classifier_info(name: str = "default", root: str | Path | None = None) -> dict[str, Any]:
    """The JSON record of a shipped classifier: architecture, training config, accuracy."""
    return _info("classifier", name, root)


def load_pretrained_generator(
    name: str = "default", *, device: str | torch.device = "cpu", root: str | Path | None = None
) -> Generator:
    """Load a shipped generator, in eval mode, with ``torch.load(weights_only=True)``.

    Parameters
    ----------
    name : str
        ``"default"`` or another of :func:`available`.
    device : str or torch.device
        Where the module is put.
    root : path-like, optional
        Folder of the weights (default :data:`ganlib.mnist.WEIGHTS_DIR`).

    Returns
    -------
    Generator
        ``G: z (N, G.latent_dim) -> images (N, 1, 28, 28)`` in ``[-1, 1]``; draw
        :math:`z \\sim \\mathcal{N}(0, I)` with ``torch.randn(n, G.latent_dim, generator=...)``.
    """
    weights, meta = _paths("generator", name, root)
    info = pretrained_info(name, root)
    generator, _ = build_gan(info["arch"], info["latent_dim"])
    state = _load_weights(weights, info, kind="generator")
    _fill(generator, state, weights, meta, f"a {info['arch']!r} generator")
    return generator.to(device).eval()


def _load_weights(weights: Path, info: dict[str, Any], kind: str | None) -> dict[str, Any]:
    """The state_dict in ``weights``, checked against the record's SHA-256 (and its header)."""
    state = load_checkpoint(weights, map_location="cpu", sha256=info.get("sha256"), kind=kind)
    return {k: v.float() if v.is_floating_point() else v for k, v in state.items()}


def _fill(module: torch.nn.Module, state: dict[str, Any], weights: Path, meta: Path, what: str):
    """``module.load_state_dict(state)``, or a message that says which file does not fit."""
    try:
        module.load_state_dict(state)
    except RuntimeError as err:
        first = str(err).strip().splitlines()
        raise CheckpointError(
            f"{weights} does not hold {what}, as {meta.name} says ({' '.join(first[:2])}); "
            "the weights belong to another architecture. Export them again, or fix the record."
        ) from None


def load_pretrained_classifier(
    name: str = "default", *, device: str | torch.device = "cpu", root: str | Path | None = None
) -> MNISTClassifier | MLPClassifier:
    """Load a shipped classifier (a judge of generated digits) in eval mode.

    Same arguments as :func:`load_pretrained_generator` (``"default"``: the CNN, ``"mlp"``: the
    MLP). The weights are a plain state_dict read with ``torch.load(weights_only=True)`` after
    their SHA-256 is checked against the JSON record's; the record's ``architecture`` builds the
    module (:func:`ganlib.mnist.classifier.classifier_from_record`).
    """
    weights, _ = _paths("classifier", name, root)
    if not weights.is_file():
        raise FileNotFoundError(
            f"no classifier weights at {weights}; train them with "
            f"`python -m ganlib.mnist.classifier --out {weights}`"
        )
    info = classifier_info(name, root)
    try:
        model = classifier_from_record(info["architecture"])
    except (KeyError, TypeError, ValueError) as err:
        raise CheckpointError(
            f"{weights.with_suffix('.json')} does not describe a classifier ganlib knows "
            f"({err}); train it again with `python -m ganlib.mnist.classifier`"
        ) from None
    state = _load_weights(weights, info, kind=None)
    _fill(model, state, weights, weights.with_suffix(".json"), "this classifier")
    return model.to(device).eval()


def export_generator(
    generator: Generator,
    config: Any,
    folder: str | Path,
    name: str = "default",
    info: dict[str, Any] | None = None,
    dtype: str = "auto",
) -> Path:
    """Write ``generator_<name>.pt`` (a state_dict) and ``generator_<name>.json`` with its SHA-256.

    Parameters
    ----------
    generator : Generator
        The trained generator.
    config : MNISTGANConfig
        Its training config (``arch`` and ``latent_dim`` rebuild the module).
    folder : path-like
        Destination folder (:data:`ganlib.mnist.WEIGHTS_DIR` for the shipped ones).
    info : dict, optional
        Extra JSON fields (command, device, timing, quality).
    dtype : {"auto", "float16", "float32"}
        float16 halves the file; ``"auto"`` uses it when every value lies within float16's
        range (:math:`|v| \\le 65504`) and float32 otherwise (printed); ``"float16"`` refuses
        values it cannot hold. A NaN or infinite value is always refused.

    Raises
    ------
    ValueError
        A parameter or buffer holds NaN or inf, or does not fit ``dtype="float16"``.
    """
    check_choice("dtype", dtype, EXPORT_DTYPES)
    weights, meta = _paths("generator", name, folder)
    state = {k: v.detach().cpu() for k, v in generator.state_dict().items()}
    chosen = _export_dtype(state, dtype)
    target = torch.float16 if chosen == "float16" else torch.float32
    state = {k: v.to(target) if v.is_floating_point() else v for k, v in state.items()}
    save_checkpoint(weights, state, kind="generator")  # temporary file, then rename
    record = {
        "name": name,
        "arch": config.arch,
        "latent_dim": generator.latent_dim,
        "weights": weights.name,
        "dtype": chosen,
        "sha256": sha256_file(weights),
        "config": config.to_dict(),
        **(info or {}),
    }
    record.setdefault("quality", None)
    atomic_write_text(meta, json.dumps(record, indent=2) + "\n")
    return weights


def _export_dtype(state: dict[str, torch.Tensor], dtype: str) -> str:
    """The dtype to export in: refuses NaN/inf, and float16 for values beyond its range."""
    limit = torch.finfo(torch.float16).max
    too_big = None
    for key, value in state.items():
        if not value.is_floating_point():
            continue
        if not torch.isfinite(value).all():
            raise ValueError(
                f"generator: {key} holds NaN or inf (the run diverged); export a healthy "
                "checkpoint's generator instead"
            )
        peak = value.abs().max().item() if value.numel() else 0.0
        if peak > limit and too_big is None:
            too_big = (key, peak)
    if too_big is None:
        return "float32" if dtype == "float32" else "float16"
    key, peak = too_big
    reason = f"{key} reaches {peak:.3g}, beyond float16's largest value {limit:g}"
    if dtype == "float16":
        raise ValueError(f"dtype='float16' cannot hold the weights: {reason}; use 'float32'")
    if dtype == "auto":
        print(f"ganlib: exporting in float32, not float16: {reason}")
    return "float32"


def evaluate_pretrained(
    name: str = "default",
    root: str | Path | None = None,
    n: int = 10_000,
    seed: int = 0,
    data_root: str | Path | None = None,
    *,
    save: bool = True,
) -> dict[str, Any]:
    """Measure a shipped generator with both judges and the memorisation check; save it.

    ``n`` samples (seed ``seed``) are judged against the MNIST test split (held out) with the
    train split as the real-vs-real baseline and Parzen's validation set, both from
    :func:`ganlib.mnist.data.load_dataset` without downloading (the local files or the offline
    subset):

    * :func:`ganlib.mnist.metrics.evaluate_samples` with the CNN judge (class histogram,
      Fréchet distance, Parzen log-likelihood), the top-level fields;
    * :func:`ganlib.mnist.judges.evaluate_with_judges` with both shipped judges (``judges``,
      ``disagreement``, ``coverage_ok_all_judges``);
    * :func:`ganlib.mnist.memorisation.memorisation_check` against the training digits
      (``memorisation``, without its per-sample arrays).

    With ``save`` the numbers go into the ``quality`` field of ``generator_<name>.json``.
    """
    from ganlib.mnist.data import load_dataset, to_signed_unit
    from ganlib.mnist.judges import evaluate_with_judges
    from ganlib.mnist.memorisation import memorisation_check
    from ganlib.mnist.metrics import evaluate_samples, generate_samples

    test = load_dataset("mnist", "test", root=data_root, download=False)
    train = load_dataset("mnist", "train", root=data_root, download=False)
    held_out, x_train = to_signed_unit(test.images), to_signed_unit(train.images)
    samples = generate_samples(load_pretrained_generator(name, root=root), n, seed)
    judges = {"cnn": load_pretrained_classifier(), "mlp": load_pretrained_classifier("mlp")}
    quality = evaluate_samples(
        samples, judges["cnn"], held_out, validation=x_train[:1000], baseline=x_train, seed=seed
    )
    quality["seed"] = seed
    by_judges = evaluate_with_judges(samples, judges, held_out, train=x_train, seed=seed)
    quality["judges"] = by_judges["judges"]
    quality["disagreement"] = by_judges["disagreement"]
    quality["coverage_ok_all_judges"] = by_judges["coverage_ok"]
    check = memorisation_check(samples, x_train, held_out)
    quality["memorisation"] = {k: v for k, v in check.items() if not isinstance(v, np.ndarray)}
    quality["real_test"] = f"{test.source} ({len(test):,} images)"
    quality["real_train"] = f"{train.source} ({len(train):,} images)"
    quality["command"] = f"python -m ganlib.mnist.pretrained --evaluate {name}"
    if save:
        _, meta = _paths("generator", name, root)
        record = pretrained_info(name, root)
        record["quality"] = quality
        atomic_write_text(meta, json.dumps(record, indent=2) + "\n")
    return quality


def describe_quality(quality: dict[str, Any]) -> str:
    """Lines for the command line: both judges' histograms and distances, the verdict."""
    lines = []
    for judge, q in quality["judges"].items():
        shares = " ".join(f"{100 * f:.1f}" for f in q["label_fractions"])
        lines.append(
            f"{judge}: digits (%) {shares}; in 7-13 %: {q['coverage_ok']}; Fréchet "
            f"{q['frechet_distance']:.2f} (real vs real {q['frechet_real_baseline']:.2f})"
        )
    for pair, rates in quality["disagreement"].items():
        lines.append(
            f"{pair} disagree on {100 * rates['generated']:.1f} % of samples, "
            f"{100 * rates['real']:.1f} % of held-out digits"
        )
    lines.append(
        f"Parzen {quality['parzen_mean']:.0f} ± {quality['parzen_stderr']:.0f} nats; "
        f"{quality['memorisation']['verdict']}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m ganlib.mnist.pretrained [--evaluate NAME]``: list or measure the generators."""
    import argparse

    parser = argparse.ArgumentParser(description="List or evaluate ganlib's shipped generators.")
    parser.add_argument("--evaluate", metavar="NAME", default=None)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    if args.evaluate is None:
        for name in available():
            info = pretrained_info(name)
            print(
                f"{name}: {info['arch']}, {info['config']['steps']} iterations: {info['command']}"
            )
        return 0
    print(describe_quality(evaluate_pretrained(args.evaluate)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
