"""Reading a request body with a size limit and a time limit, so no client can hold a thread.

An oversized body is read and dropped up to ``DRAIN_LIMIT`` (so the client gets our 400 rather
than a reset connection); a body announced as larger than that is refused unread. Reading
stops at a deadline: each wait on the socket is bounded (gunicorn and werkzeug both expose
the client socket to the app) and the deadline is checked between chunks. Against clients
that drip bytes on purpose, a buffering proxy in front (nginx) is the real protection.
"""

from __future__ import annotations

import socket
import time
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import ClientDisconnected

from web.refusal import Refusal

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from typing import IO

    from flask import Request

DRAIN_LIMIT = 1024 * 1024
UNREAD_BODY_REASONS = ("body-too-large", "body-timeout", "body-incomplete")  # the connection cannot be reused
BODY_TIMEOUT = 5.0  # Alexa sends the whole body at once and gives up on the reply after 8 s
_CHUNK = 16 * 1024


def client_socket(environ: Mapping[str, Any]) -> socket.socket | None:
    """The connection's socket, where the server exposes it."""
    for key in ("gunicorn.socket", "werkzeug.socket"):
        candidate = environ.get(key)
        if isinstance(candidate, socket.socket):
            return candidate
    return None


@contextmanager
def waits_bounded(sock: socket.socket | None, seconds: float) -> Iterator[None]:
    """Each read on ``sock`` waits at most ``seconds`` inside the block; as before, after."""
    if sock is None:
        yield
        return
    previous = sock.gettimeout()
    sock.settimeout(seconds)
    try:
        yield
    finally:
        with suppress(OSError):  # the client may be gone already
            sock.settimeout(previous)


def _read_up_to(stream: IO[bytes], count: int, deadline: float) -> bytes:
    body = bytearray()
    while len(body) < count:
        if time.monotonic() > deadline:
            raise TimeoutError
        chunk = stream.read(min(_CHUNK, count - len(body)))
        if not chunk:
            break
        body += chunk
    return bytes(body)


def read_body(request: Request, limit: int, timeout: float = BODY_TIMEOUT) -> bytes:
    """The raw body, at most ``limit`` bytes, read within ``timeout`` seconds; else ``Refusal``."""
    declared = request.content_length
    if declared is not None and declared > DRAIN_LIMIT:
        raise Refusal("body-too-large", f"{declared} bytes declared")
    deadline = time.monotonic() + timeout
    with waits_bounded(client_socket(request.environ), timeout):
        try:
            body = _read_up_to(request.stream, limit + 1, deadline)
            if len(body) > limit:
                _read_up_to(request.stream, DRAIN_LIMIT - len(body), deadline)
                raise Refusal("body-too-large", f"over {limit} bytes")
        except (OSError, ClientDisconnected) as error:
            if _timed_out(error):
                raise Refusal("body-timeout", f"not received within {timeout:g} s") from None
            raise Refusal("body-incomplete", type(error).__name__) from None
    return body


def _timed_out(error: BaseException | None) -> bool:
    """Whether a socket timeout is behind ``error`` (werkzeug reports one as ClientDisconnected)."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, TimeoutError):
            return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False
