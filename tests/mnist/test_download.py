"""ganlib.mnist.download (and load_dataset's download path), against a server on 127.0.0.1.

The server is Python's http.server in a thread; an autouse fixture fails any test that tries to
resolve another host. pooch's pause between retries is recorded instead of slept.
"""

from __future__ import annotations

import hashlib
import http.server
import socket
import stat
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pooch.core
import pytest

from ganlib.mnist import data
from ganlib.mnist.data import load_dataset, read_idx
from ganlib.mnist.download import DownloadError, DownloadSpec, download_file
from tests.mnist.test_data import gz, idx_bytes


@pytest.fixture(autouse=True)
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """No internet, no environment settings from the shell; pooch's pauses recorded."""
    monkeypatch.delenv(data.ENV_DATA_DIR, raising=False)
    monkeypatch.delenv(data.ENV_NO_DOWNLOAD, raising=False)
    real = socket.getaddrinfo

    def local_only(host, *args, **kwargs):
        if host not in ("127.0.0.1", "localhost"):
            pytest.fail(f"a test tried to reach {host}: tests must stay on 127.0.0.1")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", local_only)
    sleeps: list[float] = []
    monkeypatch.setattr(pooch.core.time, "sleep", sleeps.append)
    return sleeps


@pytest.fixture
def digits() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(50, 28, 28), dtype=np.uint8)
    labels = (np.arange(50) % 10).astype(np.uint8)
    return images, labels


@dataclass
class Server:
    url: str
    routes: dict[str, tuple[bytes, int]] = field(default_factory=dict)  # path -> body, length
    hits: list[str] = field(default_factory=list)


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        state: Server = self.server.state  # type: ignore[attr-defined]
        state.hits.append(self.path)
        if self.path not in state.routes:
            self.send_error(404)
            return
        body, announced = state.routes[self.path]
        self.send_response(200)
        self.send_header("Content-Length", str(announced))
        self.end_headers()
        self.wfile.write(body)  # with announced > len(body) the connection then just closes

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server() -> Iterator[Server]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.state = Server(url=f"http://127.0.0.1:{httpd.server_address[1]}/")  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield httpd.state  # type: ignore[attr-defined]
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def serve_split(server: Server, images, labels, split="train", prefix="") -> dict[str, str]:
    """Serve the split's two .gz files; return their SHA-256 digests (computed with hashlib)."""
    digests = {}
    for stem, array in zip(data.IDX_STEMS[split], (images, labels), strict=True):
        body = gz(idx_bytes(array))
        server.routes[f"/{prefix}{stem}.gz"] = (body, len(body))
        digests[f"{stem}.gz"] = hashlib.sha256(body).hexdigest()
    return digests


def local_spec(server: Server, digests: dict[str, str], **kw) -> DownloadSpec:
    return DownloadSpec(**({"mirrors": (server.url,), "sha256": digests, "timeout": 5.0} | kw))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_good_files_atomically_with_ordinary_permissions(tmp_path, server, digits):
    images, labels = digits
    spec = local_spec(server, serve_split(server, images, labels))
    ds = load_dataset("mnist", "train", root=tmp_path, spec=spec)
    np.testing.assert_array_equal(ds.images, images)
    np.testing.assert_array_equal(ds.labels, labels)
    assert server.url in ds.source
    folder = tmp_path / "mnist"
    assert leftovers(folder) == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
    for name in leftovers(folder):  # pooch writes 0600 files; the final ones are 0644
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o644
    stored = (folder / "train-images-idx3-ubyte.gz").read_bytes()
    assert stored == server.routes["/train-images-idx3-ubyte.gz"][0]
    hits = len(server.hits)
    load_dataset("mnist", "train", root=tmp_path, spec=spec)  # now local: no new request
    assert len(server.hits) == hits == 2


def test_download_fetches_only_missing_files(tmp_path, server, digits):
    images, labels = digits
    spec = local_spec(server, serve_split(server, images, labels))
    folder = tmp_path / "mnist"
    folder.mkdir()
    (folder / "train-images-idx3-ubyte").write_bytes(idx_bytes(images))  # raw, already here
    ds = load_dataset("mnist", "train", root=tmp_path, spec=spec)
    assert server.hits == ["/train-labels-idx1-ubyte.gz"]
    np.testing.assert_array_equal(ds.labels, labels)


def test_wrong_checksum_keeps_nothing_retries_and_says_so(tmp_path, server, digits, pauses):
    digests = serve_split(server, *digits)
    served = digests["train-images-idx3-ubyte.gz"]
    digests["train-images-idx3-ubyte.gz"] = "0" * 64
    spec = local_spec(server, digests, attempts=3)
    with pytest.raises(DownloadError, match=f"SHA-256 mismatch: the file's digest is {served}"):
        download_file(spec, "train-images-idx3-ubyte.gz", tmp_path)
    assert server.hits == ["/train-images-idx3-ubyte.gz"] * 3
    assert pauses == [1, 2]  # pooch's pauses between the three tries
    assert leftovers(tmp_path) == []  # neither the final name nor a temporary


def test_a_checksum_mismatch_is_not_called_offline(tmp_path, server, digits, capsys):
    digests = serve_split(server, *digits, split="test")
    digests["t10k-labels-idx1-ubyte.gz"] = "1" * 64
    ds = load_dataset("mnist", "test", root=tmp_path, spec=local_spec(server, digests, attempts=1))
    out = capsys.readouterr().out
    assert "SHA-256 mismatch" in out
    assert "offline?" not in out
    assert ds.source.startswith("offline subset")  # still the fallback, with the right reason


def test_404_moves_to_next_mirror_without_retrying(tmp_path, server, digits, pauses):
    digests = serve_split(server, *digits, prefix="good/")
    spec = local_spec(server, digests, mirrors=(server.url + "gone/", server.url + "good"))
    url = download_file(spec, "train-labels-idx1-ubyte.gz", tmp_path)
    assert url == server.url + "good/train-labels-idx1-ubyte.gz"
    assert server.hits == ["/gone/train-labels-idx1-ubyte.gz", "/good/train-labels-idx1-ubyte.gz"]
    assert pauses == []
    np.testing.assert_array_equal(read_idx(tmp_path / "train-labels-idx1-ubyte.gz"), digits[1])


def test_404_everywhere(tmp_path, server):
    spec = local_spec(server, {"t10k-images-idx3-ubyte.gz": "0" * 64})
    with pytest.raises(DownloadError, match=r"\(1 try\): HTTP 404") as info:
        download_file(spec, "t10k-images-idx3-ubyte.gz", tmp_path)
    assert [f.kind for f in info.value.failures] == ["http"]
    assert not info.value.offline
    assert leftovers(tmp_path) == []


def test_truncated_body(tmp_path, server, digits):
    digests = serve_split(server, *digits)
    body, _ = server.routes["/train-images-idx3-ubyte.gz"]
    server.routes["/train-images-idx3-ubyte.gz"] = (body[:1000], len(body))  # closes early
    spec = local_spec(server, digests, attempts=2)
    with pytest.raises(DownloadError, match=r"\(2 tries\): the connection closed before the file"):
        download_file(spec, "train-images-idx3-ubyte.gz", tmp_path)
    assert len(server.hits) == 2
    assert leftovers(tmp_path) == []


def test_a_killed_download_leaves_a_temporary_that_the_next_one_removes(tmp_path, server, digits):
    spec = local_spec(server, serve_split(server, *digits))
    name = "train-labels-idx1-ubyte.gz"
    stale = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".tmp", dir=tmp_path))
    (stale / "tmpabcd").write_bytes(b"half a download")
    download_file(spec, name, tmp_path)
    assert leftovers(tmp_path) == [name]


def test_no_network_falls_back_to_offline_mnist(tmp_path, capsys, pauses):
    refused = Server(url=f"http://127.0.0.1:{free_port()}/")
    spec = local_spec(refused, data.MNIST_DOWNLOAD.sha256, attempts=2)
    ds = load_dataset("mnist", "test", root=tmp_path, spec=spec)
    out = capsys.readouterr().out
    assert "is this machine offline?" in out
    assert "(2 tries): could not connect (ConnectionRefusedError" in out
    assert "offline MNIST subset" in out
    assert f"{tmp_path / 'mnist'}/" in out  # says where to put the files
    assert (len(ds), ds.source.startswith("offline subset")) == (1000, True)
    assert pauses == [1]
    assert not (tmp_path / "mnist").exists()  # the folder made for the download is gone again


def test_unknown_host_is_not_retried(tmp_path, monkeypatch, pauses):
    def no_dns(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    spec = DownloadSpec(("http://mirror.invalid/",), data.MNIST_DOWNLOAD.sha256, attempts=3)
    with pytest.raises(DownloadError, match=r"\(1 try\): unknown host") as info:
        download_file(spec, "t10k-labels-idx1-ubyte.gz", tmp_path / "mnist")
    assert info.value.offline
    assert pauses == []
    assert not (tmp_path / "mnist").exists()


def test_no_network_fashion_mnist_names_the_fix(tmp_path):
    refused = Server(url=f"http://127.0.0.1:{free_port()}/")
    spec = local_spec(refused, data.FASHION_MNIST_DOWNLOAD.sha256, attempts=1)
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist") as info:
        load_dataset("fashion-mnist", "train", root=tmp_path, spec=spec, system_dirs=False)
    assert "ConnectionRefusedError" in str(info.value)
    assert str(tmp_path / "fashion-mnist") in str(info.value)


@pytest.mark.parametrize("how", ["argument", "environment"])
def test_download_can_be_switched_off(tmp_path, server, digits, monkeypatch, capsys, how):
    spec = local_spec(server, serve_split(server, *digits))
    if how == "environment":
        monkeypatch.setenv(data.ENV_NO_DOWNLOAD, "1")
    ds = load_dataset("mnist", "train", root=tmp_path, spec=spec, download=how != "argument")
    assert server.hits == []
    assert len(ds) == 4000
    assert "offline MNIST subset" in capsys.readouterr().out


def test_download_spec_validates():
    with pytest.raises(ValueError, match="mirrors is empty"):
        DownloadSpec(mirrors=(), sha256={})
    with pytest.raises(ValueError, match="attempts >= 1"):
        DownloadSpec(mirrors=("http://127.0.0.1/",), sha256={}, attempts=0)
    with pytest.raises(ValueError, match="no SHA-256"):
        download_file(DownloadSpec(("http://127.0.0.1/",), {}), "x.gz", "unused")


def test_shipped_digests_are_well_formed():
    for spec in data.DOWNLOADS.values():
        names = {f"{stem}.gz" for stems in data.IDX_STEMS.values() for stem in stems}
        assert set(spec.sha256) == names
        assert all(len(d) == 64 and int(d, 16) >= 0 for d in spec.sha256.values())
    every = set(data.MNIST_DOWNLOAD.sha256.values()) | set(
        data.FASHION_MNIST_DOWNLOAD.sha256.values()
    )
    assert len(every) == 8
