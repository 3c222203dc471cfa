"""Downloading the signing certificate chain: short timeouts, a size cap, no redirects.

A ``Fetcher`` is any ``Callable[[str], bytes]`` from a canonical certificate URL to the PEM
bytes, raising ``Refusal`` on any failure; tests inject their own. ``HttpFetcher`` is the real
one. Its ``origin`` replaces ``https://s3.amazonaws.com`` in the URL it is given: that is the
seam tests use to serve the chain from a local server (``STRONG_BACK_TEST_CERT_ORIGIN``);
in production it is unset.
"""

from __future__ import annotations

import http.client
import os
import ssl
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from urllib.parse import urlsplit

from web.refusal import Refusal

Fetcher = Callable[[str], bytes]

MAX_CHAIN_BYTES = 64 * 1024  # Amazon's chain is about 5 KB
STEP_TIMEOUT = 2.0  # the longest wait for any one step: connecting, the TLS handshake, each read
TOTAL_TIMEOUT = 3.0  # Alexa waits about 8 s for the whole reply
_CHUNK = 8192


class HttpFetcher:
    """GET over https (or http, for a test origin) with a deadline for the whole download.

    Socket timeouts bound each step and the loop checks the deadline between reads, so a
    server that drips bytes cannot hold a thread; the download itself runs on a small pool
    and the caller stops waiting at the deadline, which also bounds a slow name lookup.
    """

    _pool_lock = threading.Lock()
    _pool: ThreadPoolExecutor | None = None

    def __init__(
        self,
        origin: str | None = None,
        *,
        step_timeout: float = STEP_TIMEOUT,
        total_timeout: float = TOTAL_TIMEOUT,
        max_bytes: int = MAX_CHAIN_BYTES,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.origin = urlsplit(origin) if origin else None
        if self.origin is not None and (self.origin.scheme not in ("http", "https") or not self.origin.hostname):
            raise ValueError(f"certificate origin must be an http(s) URL with a host, not {origin!r}")
        self.step_timeout = step_timeout
        self.total_timeout = total_timeout
        self.max_bytes = max_bytes
        self._ssl_context = ssl_context
        self._context_lock = threading.Lock()

    def ssl_context(self) -> ssl.SSLContext:
        """The given TLS context, else the system's defaults (certificates and host name checked), made once."""
        with self._context_lock:
            if self._ssl_context is None:
                self._ssl_context = ssl.create_default_context()
            return self._ssl_context

    @classmethod
    def _executor(cls) -> ThreadPoolExecutor:
        with cls._pool_lock:
            if cls._pool is None:
                cls._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="cert-fetch")
            return cls._pool

    def __call__(self, url: str) -> bytes:
        future = self._executor().submit(self.download, url, time.monotonic() + self.total_timeout)
        try:
            return future.result(timeout=self.total_timeout + 0.5)
        except FutureTimeout:
            future.cancel()
            raise Refusal("cert-fetch-timeout", "no answer in time") from None

    def _target(self, url: str) -> tuple[str, str, int | None, str]:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        where = self.origin or parts
        return where.scheme, where.hostname or "", where.port, path

    def download(self, url: str, deadline: float) -> bytes:
        """The body at ``url``, or ``Refusal`` (HTTP error, timeout, too big, unreachable)."""
        scheme, host, port, path = self._target(url)
        connection: http.client.HTTPConnection
        if scheme == "https":
            context = self.ssl_context()
            connection = http.client.HTTPSConnection(host, port, timeout=self.step_timeout, context=context)
        else:
            connection = http.client.HTTPConnection(host, port, timeout=self.step_timeout)
        try:
            connection.request("GET", path, headers={"Accept": "*/*", "User-Agent": "strong-back"})
            response = self._response(connection, deadline)
            return self._read(connection, response, deadline)
        except TimeoutError:
            raise Refusal("cert-fetch-timeout", host) from None
        except (OSError, http.client.HTTPException) as error:
            raise Refusal("cert-fetch-failed", f"{type(error).__name__}: {error}") from None
        finally:
            connection.close()

    def _remaining(self, connection: http.client.HTTPConnection, deadline: float) -> None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        if connection.sock is not None:
            connection.sock.settimeout(min(left, self.step_timeout))

    def _response(self, connection: http.client.HTTPConnection, deadline: float) -> http.client.HTTPResponse:
        self._remaining(connection, deadline)
        response = connection.getresponse()
        if response.status != 200:
            raise Refusal("cert-fetch-status", f"HTTP {response.status}")
        declared = response.getheader("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise Refusal("cert-fetch-too-big", f"{declared} bytes")
        return response

    def _read(
        self, connection: http.client.HTTPConnection, response: http.client.HTTPResponse, deadline: float
    ) -> bytes:
        body = bytearray()
        while True:
            self._remaining(connection, deadline)
            chunk = response.read1(_CHUNK)
            if not chunk:
                return bytes(body)
            body += chunk
            if len(body) > self.max_bytes:
                raise Refusal("cert-fetch-too-big", f"more than {self.max_bytes} bytes")


def _forget_pool_in_child() -> None:
    """A forked process starts its own download threads."""
    HttpFetcher._pool = None
    HttpFetcher._pool_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_pool_in_child)
