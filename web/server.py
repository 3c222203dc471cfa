"""The HTTP server behind ``strong-back serve``: waitress, with total deadlines for each request.

waitress reads every connection on one I/O thread with non-blocking sockets and buffers each
request whole, headers and body, before a worker thread sees it; replies are written from
buffers by the same I/O thread. So an idle client, or one that sends a byte a second, costs a
socket and a little memory, never a worker: the 8 workers only ever run requests that have
fully arrived. Malformed framing (a bad chunk size, extension or trailer, a missing CRLF) is
refused by waitress's parser before the app, and ``Connection: close`` closes the connection.

What waitress lacks is a limit on how long a request may take to arrive: its
``channel_timeout`` is an inactivity timeout, which a client dripping a byte a second never
trips. ``DeadlineServer`` adds two totals, checked on the I/O thread every second: the headers
must be complete within ``HEADER_TIMEOUT`` of the request's first byte, and the body within
``BODY_TIMEOUT`` of the end of the headers. A late request is answered 408 and its connection
closed. Every request refused here (408, 400 for bad framing, 413, 431) gets a JSON body with a
reason code and one log line, like the app's own refusals.
"""

from __future__ import annotations

import json
import logging
import re
import time
from typing import TYPE_CHECKING, Any

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask
from waitress.utilities import (
    BadRequest,
    Error,
    InternalServerError,
    RequestEntityTooLarge,
    RequestHeaderFieldsTooLarge,
)

from web import requestlog

if TYPE_CHECKING:
    from waitress.adjustments import Adjustments

log = logging.getLogger("strong_back.web.requests")

HEADER_TIMEOUT = 5.0  # seconds from a request's first byte to the end of its headers
BODY_TIMEOUT = 5.0  # seconds from the end of the headers to the end of the body
IDLE_TIMEOUT = 15  # seconds a connection may sit between requests (or before its first one)
MAX_BODY_BYTES = 1024 * 1024  # anything larger is refused (413) without reaching the app
MAX_HEADER_BYTES = 32 * 1024
THREADS = 8
CONNECTION_LIMIT = 1000  # open connections; beyond that new ones wait in the listen backlog
_FIELD_LINE = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+:[ \t]*[^\r\n\x00]*")


class RequestTimeout(Error):
    """A request that did not arrive in time; ``part`` is ``header`` or ``body``."""

    code = 408
    reason = "Request Timeout"

    def __init__(self, part: str, seconds: float) -> None:
        super().__init__(f"{part} not received within {seconds:g} s")
        self.part = part


def refusal_reason(error: Error) -> str:
    """The reason code for a request refused by the server, before the app."""
    if isinstance(error, RequestTimeout):
        return f"{error.part}-timeout"
    if isinstance(error, RequestEntityTooLarge):
        return "body-too-large"
    if isinstance(error, RequestHeaderFieldsTooLarge):
        return "headers-too-large"
    if isinstance(error, InternalServerError):
        return "internal-error"
    return "bad-request"  # waitress's BadRequest: malformed request line, headers or chunked framing


def trailer_is_valid(trailer: bytes) -> bool:
    """Whether a chunked body's trailer is field lines (``name: value``), as RFC 9112 requires."""
    return all(_FIELD_LINE.fullmatch(line) for line in trailer.split(b"\r\n") if line)


class TimedParser(HTTPRequestParser):
    """waitress's request parser, noting when the request began and when its headers ended."""

    def __init__(self, adj: Adjustments) -> None:
        super().__init__(adj)
        self.begun = time.monotonic()
        self.headers_at: float | None = None

    def received(self, data: bytes) -> int:
        consumed: int = super().received(data)
        if self.headers_finished and self.headers_at is None:
            self.headers_at = time.monotonic()
        if (
            self.completed
            and getattr(self, "error", None) is None
            and not trailer_is_valid(getattr(self.body_rcv, "trailer", b""))
        ):
            self.error = BadRequest("Invalid chunked trailer")  # waitress reads trailers but does not check them
        return consumed

    def overdue(self, now: float, header_timeout: float, body_timeout: float) -> RequestTimeout | None:
        """Why this unfinished request is too late at ``now``, or None."""
        if self.headers_at is None:
            return RequestTimeout("header", header_timeout) if now - self.begun > header_timeout else None
        return RequestTimeout("body", body_timeout) if now - self.headers_at > body_timeout else None


class RefusingErrorTask(ErrorTask):
    """waitress's error reply as our JSON refusal, with one log line, and the connection closed."""

    def execute(self) -> None:
        error: Error = self.request.error
        reason = refusal_reason(error)
        body = json.dumps({"error": "request refused", "reason": reason}).encode()
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", "application/json"))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)
        detail = str(error.body).splitlines()[0] if error.body else ""
        method = getattr(self.request, "command", None) or "-"  # unknown when the headers never came
        path = getattr(self.request, "path", None) or "-"
        log.info(
            requestlog.line(method, path, error.code, None, kind=None, refusal=reason, detail=detail, verified=True)
        )


class DeadlineChannel(HTTPChannel):
    """A connection whose request in progress can be timed out from the I/O thread."""

    parser_class = TimedParser
    error_task_class = RefusingErrorTask

    def time_out_if_late(self, now: float, header_timeout: float, body_timeout: float) -> None:
        with self.requests_lock:
            request = getattr(self, "request", None)  # the request still arriving, if any
            if not isinstance(request, TimedParser) or request.completed or self.will_close or self.close_when_flushed:
                return
            late = request.overdue(now, header_timeout, body_timeout)
            if late is None:
                return
            # As waitress does with a request that failed to parse: complete it with an error, queue it.
            request.error = late
            request.completed = True
            self.request = None
            self.requests.append(request)
            if len(self.requests) == 1:
                self.server.add_task(self)


class DeadlineServer(TcpWSGIServer):
    """waitress's TCP server whose periodic maintenance also enforces the header and body deadlines."""

    channel_class = DeadlineChannel

    def __init__(
        self,
        application: Any,
        *,
        header_timeout: float = HEADER_TIMEOUT,
        body_timeout: float = BODY_TIMEOUT,
        **options: Any,
    ) -> None:
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout
        super().__init__(application, **options)

    def maintenance(self, now: float) -> None:
        super().maintenance(now)  # closes connections idle for longer than channel_timeout
        checked = time.monotonic()
        for channel in list(self.active_channels.values()):
            if isinstance(channel, DeadlineChannel):
                channel.time_out_if_late(checked, self.header_timeout, self.body_timeout)


def make_server(
    app: Any,
    host: str,
    port: int,
    *,
    threads: int = THREADS,
    header_timeout: float = HEADER_TIMEOUT,
    body_timeout: float = BODY_TIMEOUT,
    idle_timeout: int = IDLE_TIMEOUT,
) -> DeadlineServer:
    """A listening server for ``app`` on ``host:port`` (port 0: any free port); ``run()`` serves it."""
    return DeadlineServer(
        app,
        header_timeout=header_timeout,
        body_timeout=body_timeout,
        host=host,
        port=port,
        threads=threads,
        channel_timeout=idle_timeout,
        cleanup_interval=1,  # how often the deadlines are checked
        connection_limit=CONNECTION_LIMIT,
        asyncore_use_poll=True,  # select() cannot watch more than 1024 sockets
        max_request_body_size=MAX_BODY_BYTES,
        max_request_header_size=MAX_HEADER_BYTES,
        expose_tracebacks=False,
        ident="strong-back",
    )
