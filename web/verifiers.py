"""Our request verifiers, in flask-ask-sdk's verifier hook (``AbstractVerifier``).

- ``TimestampVerifier``: the request's timestamp is within 150 s of now (either way).
- ``SkillIdVerifier``: the request is for this skill (``SKILL_ID``).
- ``SignatureVerifier``: ``Signature-256`` is a valid RSA PKCS#1 v1.5 SHA-256 signature of the
  raw body by a certificate that passes ``SigningKeys`` (URL rules, chain, SAN, expiry).

Each raises ``Refusal`` (the SDK's ``VerificationException``, with our reason code); an
unexpected error inside a check is a refusal too, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256

from web.refusal import Refusal
from web.sdk import AbstractVerifier, verifier_constants
from web.signing_keys import utc_now

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from ask_sdk_model import RequestEnvelope

    from web.signing_keys import SigningKeys

log = logging.getLogger(__name__)

CERT_URL_HEADER = verifier_constants.SIGNATURE_CERT_CHAIN_URL_HEADER  # "SignatureCertChainUrl"
SIGNATURE_HEADER = verifier_constants.SIGNATURE_HEADER  # "Signature-256"
TIMESTAMP_TOLERANCE = timedelta(milliseconds=verifier_constants.MAX_NORMAL_REQUEST_TOLERANCE_IN_MILLIS)
MAX_SIGNATURE_LENGTH = 2048  # base64 of a 8192-bit signature is 1368 characters
# An RSA signature is as long as the key: 2048 bits (what Amazon uses), 3072 or 4096. Checked before
# the certificate is fetched, so garbage never costs a download.
SIGNATURE_BYTES = (256, 384, 512)


class CheckingVerifier(AbstractVerifier):
    """A verifier whose ``check`` may raise ``Refusal``; any other failure comes out as a ``Refusal`` too."""

    def verify(
        self, headers: Mapping[str, Any], serialized_request_env: str, deserialized_request_env: RequestEnvelope
    ) -> None:
        try:
            self.check(headers, serialized_request_env, deserialized_request_env)
        except Refusal:
            raise
        except Exception as error:
            log.exception("verifier %s failed unexpectedly", type(self).__name__)
            raise Refusal("verifier-error", type(error).__name__) from None

    def check(self, headers: Mapping[str, Any], body: str, envelope: RequestEnvelope) -> None:
        raise NotImplementedError


def header(headers: Mapping[str, Any], name: str) -> str | None:
    """A header by name, in any case (Flask's headers or a plain dict)."""
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if str(k).lower() == lowered), None)
    return None if value is None else str(value)


class TimestampVerifier(CheckingVerifier):
    """The request was sent within the tolerance of now (Amazon's rule: 150 seconds)."""

    def __init__(self, tolerance: timedelta = TIMESTAMP_TOLERANCE, now: Callable[[], datetime] = utc_now) -> None:
        self.tolerance = min(tolerance, TIMESTAMP_TOLERANCE)
        self.now = now

    def check(self, headers: Mapping[str, Any], body: str, envelope: RequestEnvelope) -> None:
        request = envelope.request
        stamp = getattr(request, "timestamp", None)
        if not isinstance(stamp, datetime):
            raise Refusal("timestamp-missing")
        if stamp.tzinfo is None:
            raise Refusal("timestamp-no-zone")
        skew = abs(self.now() - stamp.astimezone(UTC))
        if skew > self.tolerance:
            raise Refusal("timestamp-stale", f"{skew.total_seconds():.0f} s off")


class SkillIdVerifier(CheckingVerifier):
    """The request is addressed to this skill (context, and session when there is one)."""

    def __init__(self, skill_id: str) -> None:
        self.skill_id = skill_id

    def check(self, headers: Mapping[str, Any], body: str, envelope: RequestEnvelope) -> None:
        system = getattr(envelope.context, "system", None)
        application = getattr(system, "application", None)
        if getattr(application, "application_id", None) != self.skill_id:
            raise Refusal("skill-id")
        session_application = getattr(envelope.session, "application", None)
        if session_application is not None and session_application.application_id != self.skill_id:
            raise Refusal("skill-id", "session")


def decode_signature(value: str) -> bytes:
    if len(value) > MAX_SIGNATURE_LENGTH:
        raise Refusal("signature-malformed", "too long")
    try:
        signature = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise Refusal("signature-malformed", "not base64") from None
    if not signature:
        raise Refusal("signature-malformed", "empty")
    if len(signature) not in SIGNATURE_BYTES:
        raise Refusal("signature-malformed", f"{len(signature)} bytes is no RSA signature length")
    return signature


class SignatureVerifier(CheckingVerifier):
    """``Signature-256`` over the raw body, by the certificate at ``SignatureCertChainUrl``."""

    def __init__(self, keys: SigningKeys) -> None:
        self.keys = keys

    def check(self, headers: Mapping[str, Any], body: str, envelope: RequestEnvelope) -> None:
        url = header(headers, CERT_URL_HEADER)
        if not url:
            raise Refusal("cert-url-missing")
        value = header(headers, SIGNATURE_HEADER)
        if not value:
            raise Refusal("signature-missing")
        signature = decode_signature(value)
        key = self.keys.key_for(url)
        # ``body`` was decoded from the raw bytes as strict UTF-8, so encoding gives them back exactly.
        try:
            key.verify(signature, body.encode("utf-8"), PKCS1v15(), SHA256())
        except InvalidSignature:
            raise Refusal("signature-mismatch") from None
