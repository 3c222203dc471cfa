"""Why a request is refused: one exception with a short, stable reason code."""

from __future__ import annotations

from skill.errors import StrongBackError
from web.sdk import VerificationException


class Refusal(StrongBackError, VerificationException):
    """A request that must be answered with HTTP 400.

    ``reason`` is a short code (``cert-url-host``, ``signature-mismatch``...) that goes into the
    log line and the 400 body; ``detail`` is for the server log only. It is the SDK's
    ``VerificationException`` too, so a verifier raising it is refused by flask-ask-sdk's own
    adapter as well.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
