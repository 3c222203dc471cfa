"""One log line per request, without personal data.

``POST / 200 IntentRequest:StartWorkoutIntent 41.2ms`` or
``POST / 400 refused=cert-expired (2026-01-01T00:00:00+00:00) 3.1ms``: method, path, status,
request type and intent name (accepted requests only), the refusal reason, latency. Never
user or device ids, slot values, addresses or bodies. Anything taken from the request is
cut short and stripped to printable ASCII, so a request cannot forge log lines.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from typing import TYPE_CHECKING

from flask import g, request

if TYPE_CHECKING:
    from flask import Flask, Response

log = logging.getLogger("strong_back.web.requests")
_UNSAFE = re.compile(r"[^\x21-\x7e]")
_UNSAFE_IN_PROSE = re.compile(r"[^\x20-\x7e]")


def clean(text: str, limit: int, *, spaces: bool = False) -> str:
    """Printable ASCII (spaces only if allowed), at most ``limit`` characters."""
    cleaned = (_UNSAFE_IN_PROSE if spaces else _UNSAFE).sub("?", text)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 3] + "..."


def line(
    method: str,
    path: str,
    status: int,
    millis: float | None,
    *,
    kind: str | None,
    refusal: str | None,
    detail: str,
    verified: bool,
) -> str:
    parts = [clean(method, 10), clean(path, 64), str(status)]
    if kind:
        parts.append(kind)
    if refusal:
        parts.append(f"refused={refusal}" + (f" ({clean(detail, 120, spaces=True)})" if detail else ""))
    if millis is not None:  # None: refused by the server before the app
        parts.append(f"{millis:.1f}ms")
    if not verified:
        parts.append("UNVERIFIED")
    return " ".join(parts)


def install(app: Flask, *, verified: bool) -> None:
    """Log every request the app answers in one line; mark replies when verification is off."""

    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _log(response: Response) -> Response:
        started = g.get("started", time.perf_counter())
        log.info(
            line(
                request.method,
                request.path,
                response.status_code,
                (time.perf_counter() - started) * 1000,
                kind=g.get("request_kind"),
                refusal=g.get("refusal"),
                detail=g.get("refusal_detail", ""),
                verified=verified,
            )
        )
        if not verified:
            response.headers["X-Strong-Back-Verification"] = "off"
        return response


def configure() -> None:
    """Request lines (INFO) and warnings to stderr, unless the process has set up logging itself."""
    web = logging.getLogger("strong_back.web")
    if web.level == logging.NOTSET:
        web.setLevel(logging.INFO)
    # waitress warns on every request queued while all workers are busy: the request lines say enough.
    queue = logging.getLogger("waitress.queue")
    if queue.level == logging.NOTSET:
        queue.setLevel(logging.ERROR)
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        root.addHandler(handler)
