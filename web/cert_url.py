"""Amazon's rules for the ``SignatureCertChainUrl`` header.

https only; host ``s3.amazonaws.com`` (any case); port 443 if one is given; the path, once
dot segments are resolved, starts with ``/echo.api/`` (case-sensitive). The URL we fetch is
the canonical form built from the checked parts, so what is fetched is what was checked.
"""

from __future__ import annotations

import posixpath
import re
from urllib.parse import urlsplit

from web.refusal import Refusal

CERT_HOST = "s3.amazonaws.com"
CERT_PORT = 443
CERT_PATH_PREFIX = "/echo.api/"
MAX_URL_LENGTH = 1024
# No percent-escapes, backslashes, spaces or control characters: Amazon's URLs have none,
# and each is a way to make the path mean one thing here and another at the server.
_PATH_CHARACTERS = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:@/-]*")
_URL_CHARACTERS = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:@/?-]*")


def canonical_cert_url(url: str) -> str:
    """The URL to fetch the signing chain from, if ``url`` follows Amazon's rules; else ``Refusal``."""
    if len(url) > MAX_URL_LENGTH:
        raise Refusal("cert-url-too-long")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise Refusal("cert-url-malformed", str(error)) from None
    if parts.scheme.lower() != "https":
        raise Refusal("cert-url-scheme", parts.scheme)
    if parts.username is not None or parts.password is not None:
        raise Refusal("cert-url-userinfo")
    if (parts.hostname or "").lower() != CERT_HOST:
        raise Refusal("cert-url-host", parts.hostname or "")
    if port is not None and port != CERT_PORT:
        raise Refusal("cert-url-port", str(port))
    if not _PATH_CHARACTERS.fullmatch(parts.path):
        raise Refusal("cert-url-path", "unexpected characters")
    path = posixpath.normpath(parts.path) if parts.path else ""
    if not path.startswith(CERT_PATH_PREFIX):
        raise Refusal("cert-url-path", path)
    if not _URL_CHARACTERS.fullmatch(parts.query):
        raise Refusal("cert-url-query", "unexpected characters")
    query = f"?{parts.query}" if parts.query else ""
    return f"https://{CERT_HOST}{path}{query}"
