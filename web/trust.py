"""Trusted roots and the validation of Alexa's signing chain, on ``cryptography``'s X.509 path validation.

The chain must be valid now (every certificate), lead to a trusted root, name
``echo-api.amazon.com`` in the signing certificate's subject alternative names, and carry an
RSA key. Roots come from ``STRONG_BACK_TRUST_ROOTS`` (a PEM bundle) or the system's bundle.
"""

from __future__ import annotations

import re
import ssl
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from skill.errors import ConfigurationError
from web.refusal import Refusal

if TYPE_CHECKING:
    from datetime import datetime

SIGNING_DOMAIN = "echo-api.amazon.com"
MAX_CHAIN_CERTIFICATES = 8
_PEM_BLOCK = re.compile(rb"-----BEGIN CERTIFICATE-----\s.+?-----END CERTIFICATE-----", re.DOTALL)
_WELL_KNOWN_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu, Alpine
    "/etc/pki/tls/certs/ca-bundle.crt",  # Fedora, RHEL
    "/etc/ssl/cert.pem",  # macOS, BSDs
)


@dataclass(frozen=True)
class TrustRoots:
    """The roots a signing chain must lead to, and where they came from."""

    store: Store
    source: str
    count: int


@dataclass(frozen=True)
class SigningKey:
    """The public key of a validated signing certificate, good until ``expires``."""

    key: RSAPublicKey
    expires: datetime


def read_certificates(pem: bytes) -> list[x509.Certificate]:
    """Every certificate in a PEM bundle that parses; the others are skipped."""
    certificates = []
    for block in _PEM_BLOCK.findall(pem):
        with warnings.catch_warnings():
            # Some system roots have non-positive serial numbers; they still serve as anchors.
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            try:
                certificates.append(x509.load_pem_x509_certificate(block))
            except ValueError:
                continue
    return certificates


def default_bundle() -> Path | None:
    """The system's CA bundle (OpenSSL's default, a well-known path, or certifi's)."""
    paths = ssl.get_default_verify_paths()
    candidates = [paths.cafile, paths.openssl_cafile, *_WELL_KNOWN_BUNDLES]
    try:
        import certifi

        candidates.append(certifi.where())
    except ImportError:
        pass
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def load_trust_roots(path: str | Path | None = None) -> TrustRoots:
    """Roots from a PEM bundle (default: the system's); ``ConfigurationError`` if there are none."""
    bundle = Path(path).expanduser() if path else default_bundle()
    if bundle is None:
        raise ConfigurationError(
            "no CA bundle found to verify Alexa's signing certificate; install ca-certificates "
            "or set STRONG_BACK_TRUST_ROOTS to a PEM file of trusted roots"
        )
    try:
        certificates = read_certificates(bundle.read_bytes())
    except OSError as error:
        raise ConfigurationError(f"cannot read trusted roots from {bundle}: {error.strerror or error}") from None
    if not certificates:
        raise ConfigurationError(f"{bundle} holds no PEM certificates to trust")
    return TrustRoots(Store(certificates), str(bundle), len(certificates))


def _check_leaf(leaf: x509.Certificate, now: datetime) -> None:
    if now < leaf.not_valid_before_utc:
        raise Refusal("cert-not-yet-valid", leaf.not_valid_before_utc.isoformat())
    if now > leaf.not_valid_after_utc:
        raise Refusal("cert-expired", leaf.not_valid_after_utc.isoformat())
    try:
        names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        raise Refusal("cert-san", "no subject alternative names") from None
    # Exactly the name, as Amazon asks: a wildcard such as *.amazon.com is not enough.
    if SIGNING_DOMAIN not in {name.lower() for name in names.get_values_for_type(x509.DNSName)}:
        raise Refusal("cert-san", f"{SIGNING_DOMAIN} not named")
    try:
        usage: x509.KeyUsage | None = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is not None and not usage.digital_signature:
        raise Refusal("cert-key-usage", "not for digital signatures")


def validate_chain(pem: bytes, roots: TrustRoots, now: datetime) -> SigningKey:
    """The signing key from a PEM chain (signing certificate first), or ``Refusal`` saying why not."""
    certificates = read_certificates(pem)
    if not certificates:
        raise Refusal("cert-chain-unreadable", "no PEM certificate")
    if len(certificates) > MAX_CHAIN_CERTIFICATES:
        raise Refusal("cert-chain-too-long", str(len(certificates)))
    leaf, intermediates = certificates[0], certificates[1:]
    _check_leaf(leaf, now)
    verifier = PolicyBuilder().store(roots.store).time(now).build_server_verifier(x509.DNSName(SIGNING_DOMAIN))
    try:
        chain = verifier.verify(leaf, intermediates)
    except VerificationError as error:
        raise Refusal("cert-untrusted", str(error)) from None
    key = leaf.public_key()
    if not isinstance(key, RSAPublicKey):
        raise Refusal("cert-key-type", type(key).__name__)
    return SigningKey(key, min(certificate.not_valid_after_utc for certificate in chain))
