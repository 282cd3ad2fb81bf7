"""Checked downloads of data files with ``pooch``: mirrors in turn, retries, SHA-256 (notebook 04).

:func:`download_file` asks each mirror of a :class:`DownloadSpec` in order. For one mirror,
``pooch`` streams the file, checks its SHA-256 and retries a failed try (a dropped connection, a
5xx answer, a wrong digest) after 1 s, 2 s, ... (pooch's schedule); an answer that retrying
cannot change (HTTP 4xx, an unknown host name) moves on to the next mirror at once.

``pooch`` writes its files itself (private, mode 0600, under a name of its own). So it downloads
into a :func:`~ganlib.core.files.temporary_folder` beside the destination, and the verified
file is then moved into place by :func:`~ganlib.core.files.atomic_replace`: it appears under its
final name only when complete and checked, with mode 0644, and a killed download leaves only a
temporary folder that the next download removes.

When every mirror fails, :class:`DownloadError` lists one line per mirror saying what failed:
a connection that could not be made (:attr:`DownloadError.offline`), an HTTP status, a
connection closed early, or a file whose SHA-256 differs from the expected one.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ganlib.core.files import atomic_replace, remove_stale_temporaries, temporary_folder

#: What failed on one mirror.
FAILURE_KINDS = ("network", "http", "incomplete", "checksum", "other")


@dataclass(frozen=True)
class DownloadSpec:
    """Where to download a data set's files from and how to check them.

    Parameters
    ----------
    mirrors : tuple of str
        Base URLs tried in order; a file's URL is ``mirror + file name``.
    sha256 : dict
        ``{"train-images-idx3-ubyte.gz": "<hex digest>", ...}`` for every file.
    timeout : float
        Seconds to wait for the server to connect or send more data.
    attempts : int
        Tries per mirror (pooch waits 1 s, 2 s, ... between them); a 4xx answer or an unknown
        host moves to the next mirror at once.
    """

    mirrors: tuple[str, ...]
    sha256: dict[str, str]
    timeout: float = 30.0
    attempts: int = 3

    def __post_init__(self) -> None:
        if not self.mirrors:
            raise ValueError("DownloadSpec.mirrors is empty; give at least one base URL")
        if not self.timeout > 0 or self.attempts < 1:
            raise ValueError(
                f"DownloadSpec needs timeout > 0 and attempts >= 1; got "
                f"timeout={self.timeout}, attempts={self.attempts}"
            )


@dataclass(frozen=True)
class MirrorFailure:
    """Why one mirror did not deliver: ``kind`` is one of :data:`FAILURE_KINDS`."""

    url: str
    tries: int
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.url} ({self.tries} {'try' if self.tries == 1 else 'tries'}): {self.detail}"


class DownloadError(OSError):
    """No mirror delivered a complete file with the expected SHA-256 digest."""

    def __init__(self, message: str, failures: tuple[MirrorFailure, ...] = ()) -> None:
        super().__init__(message)
        self.failures = failures

    @property
    def offline(self) -> bool:
        """True when no mirror could even be reached (no network, or no such hosts)."""
        return bool(self.failures) and all(f.kind == "network" for f in self.failures)


class _Final(Exception):
    """A failure retrying cannot fix. Not a ValueError or RequestException: pooch passes it on."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind, self.detail = kind, detail


def _root_cause(err: BaseException) -> BaseException:
    """The innermost exception behind requests' and urllib3's wrappers."""
    seen = set()
    while id(err) not in seen:
        seen.add(id(err))
        inner = err.__cause__ or err.__context__ or getattr(err, "reason", None)
        if not isinstance(inner, BaseException):
            args = [a for a in getattr(err, "args", ()) if isinstance(a, BaseException)]
            inner = args[0] if args else None
        if inner is None:
            break
        err = inner
    return err


@functools.cache
def _downloader_class() -> type:
    """pooch's HTTP downloader that counts tries and stops retrying where retrying is futile.

    pooch and requests are imported here, when a download starts, so that reading local data
    (and training) works where they are not installed.
    """
    import pooch
    import requests

    class _Downloader(pooch.HTTPDownloader):
        def __init__(self, timeout: float) -> None:
            super().__init__(progressbar=False, timeout=timeout)
            self.tries = 0

        def __call__(self, url, output_file, pooch_, check_only=False):
            self.tries += 1
            try:
                return super().__call__(url, output_file, pooch_, check_only=check_only)
            except requests.exceptions.HTTPError as err:
                status = err.response.status_code if err.response is not None else 0
                if 400 <= status < 500:  # 404, 403: this mirror will not have it
                    reason = err.response.reason if err.response is not None else ""
                    raise _Final("http", f"HTTP {status} {reason}".strip()) from None
                raise
            except requests.exceptions.ConnectionError as err:
                root = _root_cause(err)
                if isinstance(root, socket.gaierror) or "NameResolution" in type(root).__name__:
                    what = f"unknown host ({type(root).__name__}: {root})"
                    raise _Final("network", what) from None
                raise

    return _Downloader


def _describe(err: BaseException, timeout: float) -> tuple[str, str]:
    """``(kind, detail)`` of an exception that pooch passed on after its last try."""
    import requests

    if isinstance(err, _Final):
        return err.kind, err.detail
    if isinstance(err, ValueError) and "hash" in str(err).lower():
        got = re.search(r"but got (\w+)", str(err))
        return "checksum", (
            f"SHA-256 mismatch: the file's digest is {got.group(1) if got else '?'}, not the "
            "expected one; the mirror serves another or a damaged file"
        )
    if isinstance(err, requests.exceptions.HTTPError):
        status = err.response.status_code if err.response is not None else "?"
        return "http", f"HTTP {status}"
    if isinstance(
        err, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError
    ):
        root = _root_cause(err)
        return "incomplete", f"the connection closed before the file was complete ({root})"
    if isinstance(err, requests.exceptions.Timeout):
        return "network", f"timed out after {timeout:g} s"
    if isinstance(err, requests.exceptions.ConnectionError):
        root = _root_cause(err)
        return "network", f"could not connect ({type(root).__name__}: {root})"
    return "other", f"{type(err).__name__}: {err}"


@contextmanager
def _quiet_pooch() -> Iterator[None]:
    """pooch logs every download at INFO level; ganlib prints its own one line."""
    import pooch

    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _from_mirror(
    mirror: str, filename: str, dest: Path, spec: DownloadSpec
) -> MirrorFailure | None:
    """Try one mirror (with pooch's retries); ``None`` on success, else what failed."""
    import pooch
    import requests

    base = mirror if mirror.endswith("/") else mirror + "/"
    downloader = _downloader_class()(spec.timeout)
    with temporary_folder(dest) as staging, _quiet_pooch():
        store = pooch.create(
            path=staging,
            base_url=base,
            registry={filename: f"sha256:{spec.sha256[filename]}"},
            retry_if_failed=spec.attempts - 1,
        )
        try:
            fetched = store.fetch(filename, downloader=downloader)
        except (_Final, ValueError, requests.exceptions.RequestException) as err:
            kind, detail = _describe(err, spec.timeout)
            return MirrorFailure(base + filename, max(downloader.tries, 1), kind, detail)
        atomic_replace(fetched, dest)  # pooch's file is 0600: ours is 0644, renamed in place
    return None


def download_file(spec: DownloadSpec, filename: str, folder: str | os.PathLike[str]) -> str:
    """Download ``filename`` into ``folder`` from the first mirror that delivers it intact.

    The file appears under its final name only after its SHA-256 digest is checked (see the
    module docstring), so an interrupted download leaves nothing under that name.

    Returns
    -------
    str
        The URL the file came from.

    Raises
    ------
    DownloadError
        Every mirror failed; the message lists one line per mirror, and ``.failures`` the same.
    """
    if filename not in spec.sha256:
        raise ValueError(f"{filename!r} has no SHA-256 in the DownloadSpec; known: {spec.sha256}")
    folder = Path(folder)
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / filename
    remove_stale_temporaries(dest)  # what a killed download left behind
    failures = []
    for mirror in spec.mirrors:
        url = (mirror if mirror.endswith("/") else mirror + "/") + filename
        print(f"ganlib: downloading {url}")
        failure = _from_mirror(mirror, filename, dest, spec)
        if failure is None:
            return url
        failures.append(failure)
    if created and not any(folder.iterdir()):
        folder.rmdir()
    lines = "\n  ".join(str(f) for f in failures)
    raise DownloadError(f"could not download {filename}:\n  {lines}", tuple(failures))
