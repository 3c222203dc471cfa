"""Reading a request body with a size limit.

``strong-back serve`` (``web.server``) hands the app only requests that have fully
arrived, within their header and body deadlines, and refuses bodies over 1 MiB itself; so
reading here never waits on a client. Under another WSGI server the same limit applies, but
slow clients are that server's business.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from werkzeug.exceptions import ClientDisconnected

from web.refusal import Refusal

if TYPE_CHECKING:
    from typing import IO

    from flask import Request

_CHUNK = 64 * 1024


def _read_up_to(stream: IO[bytes], count: int) -> bytes:
    body = bytearray()
    while len(body) < count:
        chunk = stream.read(min(_CHUNK, count - len(body)))
        if not chunk:
            break
        body += chunk
    return bytes(body)


def read_body(request: Request, limit: int) -> bytes:
    """The raw body, at most ``limit`` bytes; else ``Refusal``."""
    declared = request.content_length
    if declared is not None and declared > limit:
        raise Refusal("body-too-large", f"{declared} bytes declared")
    try:
        body = _read_up_to(request.stream, limit + 1)
    except (OSError, ClientDisconnected) as error:
        raise Refusal("body-incomplete", type(error).__name__) from None
    if len(body) > limit:
        raise Refusal("body-too-large", f"over {limit} bytes")
    return body
