"""Fixtures for the web endpoint: a test PKI made with ``cryptography``, servers, signed requests.

- ``pki()``: a root and an intermediate CA and an ``echo-api.amazon.com`` signing certificate,
  issued the way Amazon's are (RSA 2048, SAN, key usage, serverAuth), plus ways to issue
  broken ones (expired, wrong name, rogue CA...). Keys are generated once per test run.
- ``CertServer``: a local HTTP(S) server that serves chains, or misbehaves on purpose (hangs,
  drips, sends too much, redirects), counting what it was asked for.
- ``AppServer``: the Flask app behind ``strong-back serve``'s server on 127.0.0.1, for real HTTP.
- ``signed(...)``: a request exactly as Alexa sends one: envelope, Signature-256, cert URL.
"""

from __future__ import annotations

import base64
import http.server
import json
import socket
import ssl
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from waitress import wasyncore

from local_runner import envelopes
from tests.support import events
from web.server import make_server

SIGNING_NAME = "echo-api.amazon.com"
CERT_ORIGIN = "https://s3.amazonaws.com"
SKILL_ID = envelopes.APPLICATION_ID


# ----- certificates ----------------------------------------------------------------------


@dataclass(frozen=True)
class Issued:
    """A certificate and its private key."""

    key: rsa.RSAPrivateKey
    cert: x509.Certificate

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)


@cache
def rsa_key(name: str) -> rsa.RSAPrivateKey:
    """One 2048-bit key per name, generated once per test run."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Strong Back Tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def issue_ca(
    common_name: str,
    key: rsa.RSAPrivateKey,
    issuer: Issued | None = None,
    *,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> Issued:
    """A CA certificate: self-signed when ``issuer`` is None."""
    now = datetime.now(UTC)
    signer_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(issuer.cert.subject if issuer else _name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(days=30))
        .not_valid_after(not_after or now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None if issuer is None else 0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_key.public_key()), critical=False)
    )
    return Issued(key, builder.sign(signer_key, hashes.SHA256()))


def issue_leaf(
    issuer: Issued | None,
    key: rsa.RSAPrivateKey,
    *,
    names: tuple[str, ...] = (SIGNING_NAME,),
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    digital_signature: bool = True,
    ip: str | None = None,
) -> Issued:
    """A signing (or TLS server) certificate like Amazon's: SAN, key usage, serverAuth; self-signed without issuer."""
    now = datetime.now(UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0] if names else "no-name")])
    signer_key = issuer.key if issuer else key
    alt_names: list[x509.GeneralName] = [x509.DNSName(name) for name in names]
    if ip:
        import ipaddress

        alt_names.append(x509.IPAddress(ipaddress.ip_address(ip)))
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(days=1))
        .not_valid_after(not_after or now + timedelta(days=180))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=digital_signature,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_key.public_key()), critical=False)
    )
    if alt_names:
        builder = builder.add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
    return Issued(key, builder.sign(signer_key, hashes.SHA256()))


@dataclass(frozen=True)
class SigningPKI:
    """A trusted root, its intermediate, and a good signing certificate under it."""

    root: Issued
    intermediate: Issued
    signer: Issued

    @property
    def root_pem(self) -> bytes:
        return self.root.pem

    def chain(self, leaf: Issued | None = None, *intermediates: Issued) -> bytes:
        """A chain as Amazon serves it: signing certificate first, then the intermediates."""
        leaf = leaf or self.signer
        return leaf.pem + b"".join(i.pem for i in (intermediates or (self.intermediate,)))

    def leaf(self, **options: Any) -> Issued:
        """Another certificate from the intermediate, with the signer's key unless ``key`` is given."""
        key = options.pop("key", self.signer.key)
        return issue_leaf(self.intermediate, key, **options)


@cache
def pki() -> SigningPKI:
    root = issue_ca("Strong Back Test Root", rsa_key("root"))
    intermediate = issue_ca("Strong Back Test Intermediate", rsa_key("intermediate"), root)
    return SigningPKI(root, intermediate, issue_leaf(intermediate, rsa_key("signer")))


@cache
def root_file() -> Path:
    """The test root as a PEM file (for ``STRONG_BACK_TRUST_ROOTS``)."""
    path = Path(tempfile.mkdtemp(prefix="strong-back-pki-")) / "test-root.pem"
    path.write_bytes(pki().root_pem)
    return path


def sign(body: bytes, key: rsa.RSAPrivateKey | None = None) -> str:
    """Base64 RSA PKCS#1 v1.5 SHA-256 signature, as Alexa puts in ``Signature-256``."""
    signer = key or pki().signer.key
    return base64.b64encode(signer.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode()


# ----- requests ---------------------------------------------------------------------------


def launch_event(
    *, moment: datetime | None = None, skill_id: str = SKILL_ID, user: str | None = None
) -> dict[str, Any]:
    """A LaunchRequest envelope from a new user, stamped ``moment`` (default: now)."""
    return events.launch_event(user or f"amzn1.ask.account.web-{time.monotonic_ns()}", skill_id=skill_id, moment=moment)


def intent_event(intent: str, slots: dict[str, Any] | None = None, **options: Any) -> dict[str, Any]:
    event = launch_event(**options)
    event["request"] = {**event["request"], **envelopes.intent_request(intent, slots)}
    return event


@dataclass
class Sent:
    """A request's raw body and headers."""

    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def signed(
    event: dict[str, Any] | bytes,
    path: str = "/echo.api/good.pem",
    *,
    key: rsa.RSAPrivateKey | None = None,
    url: str | None = None,
) -> Sent:
    """A request as Alexa sends it: JSON body, its signature, and the chain's URL."""
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    return Sent(
        body,
        {
            "Content-Type": "application/json; charset=utf-8",
            "SignatureCertChainUrl": url or f"{CERT_ORIGIN}{path}",
            "Signature-256": sign(body, key),
        },
    )


# ----- a certificate server that can misbehave --------------------------------------------

Route = Callable[[http.server.BaseHTTPRequestHandler, threading.Event], None]


def serve_bytes(data: bytes, status: int = 200) -> Route:
    def route(handler: http.server.BaseHTTPRequestHandler, stop: threading.Event) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/x-pem-file")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    return route


def hang(handler: http.server.BaseHTTPRequestHandler, stop: threading.Event) -> None:
    """Accept the request and never answer (until the server stops)."""
    stop.wait(30)


def drip(handler: http.server.BaseHTTPRequestHandler, stop: threading.Event) -> None:
    """Answer, then send one byte every 0.2 s, never finishing in time."""
    handler.send_response(200)
    handler.send_header("Content-Length", "5000")
    handler.end_headers()
    while not stop.wait(0.2):
        try:
            handler.wfile.write(b"-")
            handler.wfile.flush()
        except OSError:
            return


def flood(declare: bool) -> Route:
    """Send far more than a certificate chain, with or without saying so up front."""

    def route(handler: http.server.BaseHTTPRequestHandler, stop: threading.Event) -> None:
        handler.send_response(200)
        if declare:
            handler.send_header("Content-Length", str(10 * 1024 * 1024))
        else:
            handler.send_header("Connection", "close")
        handler.end_headers()
        try:
            for _ in range(160):
                handler.wfile.write(b"A" * 65536)
        except OSError:
            return

    return route


def redirect(location: str) -> Route:
    def route(handler: http.server.BaseHTTPRequestHandler, stop: threading.Event) -> None:
        handler.send_response(302)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return route


class CertServer:
    """Serves ``routes`` (path -> behaviour) on 127.0.0.1; 404 for anything else. ``hits`` counts GETs."""

    def __init__(self, routes: dict[str, Route] | None = None, *, tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Route] = dict(routes or {})
        self.hits: Counter[str] = Counter()
        self.stop = threading.Event()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                owner.hits[self.path] += 1
                route = owner.routes.get(self.path) or serve_bytes(b"not here", 404)
                route(self, owner.stop)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True, do_handshake_on_connect=False)
        self.scheme = "https" if tls else "http"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def origin(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> CertServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


def tls_server_context() -> ssl.SSLContext:
    """A TLS context for ``CertServer``: a 127.0.0.1 certificate from the test intermediate."""
    ca = pki()
    server = issue_leaf(ca.intermediate, rsa_key("tls"), names=("localhost",), ip="127.0.0.1")
    folder = Path(tempfile.mkdtemp(prefix="strong-back-tls-"))
    (folder / "cert.pem").write_bytes(server.pem + ca.intermediate.pem)
    (folder / "key.pem").write_bytes(
        server.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context


def closed_port() -> int:
    """A local port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# ----- the app over real HTTP --------------------------------------------------------------


class AppServer:
    """A WSGI app on 127.0.0.1 behind the server ``strong-back serve`` uses, for real HTTP requests.

    Header and body deadlines are 1 s here (5 s in production), so tests of them are quick.
    """

    def __init__(self, app: Any, *, deadline: float = 1.0) -> None:
        self.server = make_server(app, "127.0.0.1", 0, header_timeout=deadline, body_timeout=deadline)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.effective_port}/"

    def __enter__(self) -> AppServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.task_dispatcher.shutdown()
        wasyncore.close_all(self.server._map)  # waitress's loop ends once it watches no socket
        self.thread.join(5)


def stalled_post(url: str, declared: int = 400, partial: bytes = b'{"version": "1.0", ') -> tuple[bytes, float]:
    """POST that announces ``declared`` bytes, sends only ``partial``, and waits: (reply, seconds to it)."""
    port = int(url.rstrip("/").rsplit(":", 1)[1])
    head = f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {declared}\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(head.encode() + partial)
        started = time.monotonic()
        reply = b""
        while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
            chunk = connection.recv(65536)
            if not chunk:
                break
            reply += chunk
        return reply, time.monotonic() - started


@contextmanager
def serving(app: Any) -> Iterator[str]:
    with AppServer(app) as server:
        yield server.url


# ----- Amazon's real signing chain ---------------------------------------------------------

# The chain Amazon served at the time of writing (echo-api.amazon.com from Amazon RSA 2048 M01,
# valid 2026-07-28 to 2027-02-10; then Amazon Root CA 1 cross-signed by Starfield). It is
# public; tests check it against the system's roots at a fixed moment inside its validity.
AMAZON_CHAIN_MOMENT = datetime(2026, 9, 1, tzinfo=UTC)
AMAZON_CHAIN = b"""-----BEGIN CERTIFICATE-----
MIIFxzCCBK+gAwIBAgIQD4h7C+HbtXhZNwE7PpuCJzANBgkqhkiG9w0BAQsFADA8
MQswCQYDVQQGEwJVUzEPMA0GA1UEChMGQW1hem9uMRwwGgYDVQQDExNBbWF6b24g
UlNBIDIwNDggTTAxMB4XDTI2MDcyODAwMDAwMFoXDTI3MDIxMDIzNTk1OVowHjEc
MBoGA1UEAxMTZWNoby1hcGkuYW1hem9uLmNvbTCCASIwDQYJKoZIhvcNAQEBBQAD
ggEPADCCAQoCggEBALto22k1FHbDHjmTqOvjHLSraECZ+AqIUOFZdky2f2TTBkFv
pLaG/TbZ6M+tgoIfScGK3lzBzSg2q0fYMi1dlWVrnyXHrpUNrOeEYdoG18EMPy/8
mZDMlCAzI+uRQ7Q5HW6mNhtw2ioLOfROGr4y8HR2wZf42Gxz9d3nOc5kVMLafXaA
7y6ZjdY5creh6PueLf+uyqNXaTifR9xGYt/SC0zqAlQuK4y54uLh+7LZ+cTGG6oo
dsR5Tae9kr3Xk9UGoGGsNht6ORFQAszOe16IJ3+97SjSVINisacu7dG1rmA0GcXX
6JME+1JGww0uXfXl3diDE26Rlx1cW5pjEOpikXsCAwEAAaOCAuEwggLdMB8GA1Ud
IwQYMBaAFIG4DmOKiRIY5fo7O1CVn+blkBOFMB0GA1UdDgQWBBSS3TDoKzEY/MG3
ilqLpvGMd8r7mzAeBgNVHREEFzAVghNlY2hvLWFwaS5hbWF6b24uY29tMBMGA1Ud
IAQMMAowCAYGZ4EMAQIBMA4GA1UdDwEB/wQEAwIFoDATBgNVHSUEDDAKBggrBgEF
BQcDATA7BgNVHR8ENDAyMDCgLqAshipodHRwOi8vY3JsLnIybTAxLmFtYXpvbnRy
dXN0LmNvbS9yMm0wMS5jcmwwdQYIKwYBBQUHAQEEaTBnMC0GCCsGAQUFBzABhiFo
dHRwOi8vb2NzcC5yMm0wMS5hbWF6b250cnVzdC5jb20wNgYIKwYBBQUHMAKGKmh0
dHA6Ly9jcnQucjJtMDEuYW1hem9udHJ1c3QuY29tL3IybTAxLmNlcjAMBgNVHRMB
Af8EAjAAMIIBfQYKKwYBBAHWeQIEAgSCAW0EggFpAWcAdwBMY9yY5Zwdq4j2Hoo9
3q6Pq0SjN3tfm5TD+6Gc/MG+JgAAAZ+mtyKkAAAEAwBIMEYCIQDo1nW9CNKmcwFW
1BoSi+yva6OdMkJvi68XWswhoUswEgIhAIcB6bxA3R+1JY3F97Rbcil698hfQa3q
sn4xuolwOYchAHUA1tWNqdAXU/NqSqDHV0kCr+vH3CzTjNn3ZMgMiRkenwIAAAGf
prciuAAABAMARjBEAiAx9GLJFXrRSbPLRNoLBH5X3z0eXo+MFY3yxuJ64YVlZAIg
fs18u2hHBKh+q6zuofY2g0plVmQXcjQ+0/LYjbCrRZwAdQAcn2gs6frwRWlQ+BuW
iofd2zIQ2EzmyLLjglJKxM9ZnwAAAZ+mtyL7AAAEAwBGMEQCIHZFiZ1K8hJHwo8A
VM509myfAmp20SkiX+zyYfUYMtDnAiAub0yq8H2Kp/hQgksJ8J5mlIlQ5atO0unH
d90X9zPevDANBgkqhkiG9w0BAQsFAAOCAQEAZXtQdsFhcI86RDY/3kjY0BvkSpX1
ZjUBWnwEGyItlaQ85ABTVgvxg5Z2Gt3+w2835kCSOmfSWU478UMcxNDn1o1mrQ3Q
NanoZxNABcqP6qm0yr4FmsA+brzLcyT3nNK5CsE7ZbG8uUzzyDODug8/kaHnYqBU
4doEocgSNIyjXulQDLmMuavT+eJx3DDqqfZdXZeKz7trBcqeyZDAICc3w9LPwCpd
UuiJjGPwQBqO+927qirMKs4xajarNTOHRvoHnI4wGZBOtAi8BY6VI6iyD/MPlXji
SjNjM2hKIJsXebx1xK1ee0IBQVcGL677hWpjYv/aiuY47uVoqlrZpzy3iw==
-----END CERTIFICATE-----
-----BEGIN CERTIFICATE-----
MIIEXjCCA0agAwIBAgITB3MSOAudZoijOx7Zv5zNpo4ODzANBgkqhkiG9w0BAQsF
ADA5MQswCQYDVQQGEwJVUzEPMA0GA1UEChMGQW1hem9uMRkwFwYDVQQDExBBbWF6
b24gUm9vdCBDQSAxMB4XDTIyMDgyMzIyMjEyOFoXDTMwMDgyMzIyMjEyOFowPDEL
MAkGA1UEBhMCVVMxDzANBgNVBAoTBkFtYXpvbjEcMBoGA1UEAxMTQW1hem9uIFJT
QSAyMDQ4IE0wMTCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBAOtxLKnL
H4gokjIwr4pXD3i3NyWVVYesZ1yX0yLI2qIUZ2t88Gfa4gMqs1YSXca1R/lnCKeT
epWSGA+0+fkQNpp/L4C2T7oTTsddUx7g3ZYzByDTlrwS5HRQQqEFE3O1T5tEJP4t
f+28IoXsNiEzl3UGzicYgtzj2cWCB41eJgEmJmcf2T8TzzK6a614ZPyq/w4CPAff
nAV4coz96nW3AyiE2uhuB4zQUIXvgVSycW7sbWLvj5TDXunEpNCRwC4kkZjK7rol
jtT2cbb7W2s4Bkg3R42G3PLqBvt2N32e/0JOTViCk8/iccJ4sXqrS1uUN4iB5Nmv
JK74csVl+0u0UecCAwEAAaOCAVowggFWMBIGA1UdEwEB/wQIMAYBAf8CAQAwDgYD
VR0PAQH/BAQDAgGGMB0GA1UdJQQWMBQGCCsGAQUFBwMBBggrBgEFBQcDAjAdBgNV
HQ4EFgQUgbgOY4qJEhjl+js7UJWf5uWQE4UwHwYDVR0jBBgwFoAUhBjMhTTsvAyU
lC4IWZzHshBOCggwewYIKwYBBQUHAQEEbzBtMC8GCCsGAQUFBzABhiNodHRwOi8v
b2NzcC5yb290Y2ExLmFtYXpvbnRydXN0LmNvbTA6BggrBgEFBQcwAoYuaHR0cDov
L2NydC5yb290Y2ExLmFtYXpvbnRydXN0LmNvbS9yb290Y2ExLmNlcjA/BgNVHR8E
ODA2MDSgMqAwhi5odHRwOi8vY3JsLnJvb3RjYTEuYW1hem9udHJ1c3QuY29tL3Jv
b3RjYTEuY3JsMBMGA1UdIAQMMAowCAYGZ4EMAQIBMA0GCSqGSIb3DQEBCwUAA4IB
AQCtAN4CBSMuBjJitGuxlBbkEUDeK/pZwTXv4KqPK0G50fOHOQAd8j21p0cMBgbG
kfMHVwLU7b0XwZCav0h1ogdPMN1KakK1DT0VwA/+hFvGPJnMV1Kx2G4S1ZaSk0uU
5QfoiYIIano01J5k4T2HapKQmmOhS/iPtuo00wW+IMLeBuKMn3OLn005hcrOGTad
hcmeyfhQP7Z+iKHvyoQGi1C0ClymHETx/chhQGDyYSWqB/THwnN15AwLQo0E5V9E
SJlbe4mBlqeInUsNYugExNf+tOiybcrswBy8OFsd34XOW3rjSUtsuafd9AWySa3h
xRRrwszrzX/WWGm6wyB+f7C4
-----END CERTIFICATE-----
-----BEGIN CERTIFICATE-----
MIIEkjCCA3qgAwIBAgITBn+USionzfP6wq4rAfkI7rnExjANBgkqhkiG9w0BAQsF
ADCBmDELMAkGA1UEBhMCVVMxEDAOBgNVBAgTB0FyaXpvbmExEzARBgNVBAcTClNj
b3R0c2RhbGUxJTAjBgNVBAoTHFN0YXJmaWVsZCBUZWNobm9sb2dpZXMsIEluYy4x
OzA5BgNVBAMTMlN0YXJmaWVsZCBTZXJ2aWNlcyBSb290IENlcnRpZmljYXRlIEF1
dGhvcml0eSAtIEcyMB4XDTE1MDUyNTEyMDAwMFoXDTM3MTIzMTAxMDAwMFowOTEL
MAkGA1UEBhMCVVMxDzANBgNVBAoTBkFtYXpvbjEZMBcGA1UEAxMQQW1hem9uIFJv
b3QgQ0EgMTCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBALJ4gHHKeNXj
ca9HgFB0fW7Y14h29Jlo91ghYPl0hAEvrAIthtOgQ3pOsqTQNroBvo3bSMgHFzZM
9O6II8c+6zf1tRn4SWiw3te5djgdYZ6k/oI2peVKVuRF4fn9tBb6dNqcmzU5L/qw
IFAGbHrQgLKm+a/sRxmPUDgH3KKHOVj4utWp+UhnMJbulHheb4mjUcAwhmahRWa6
VOujw5H5SNz/0egwLX0tdHA114gk957EWW67c4cX8jJGKLhD+rcdqsq08p8kDi1L
93FcXmn/6pUCyziKrlA4b9v7LWIbxcceVOF34GfID5yHI9Y/QCB/IIDEgEw+OyQm
jgSubJrIqg0CAwEAAaOCATEwggEtMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/
BAQDAgGGMB0GA1UdDgQWBBSEGMyFNOy8DJSULghZnMeyEE4KCDAfBgNVHSMEGDAW
gBScXwDfqgHXMCs4iKK4bUqc8hGRgzB4BggrBgEFBQcBAQRsMGowLgYIKwYBBQUH
MAGGImh0dHA6Ly9vY3NwLnJvb3RnMi5hbWF6b250cnVzdC5jb20wOAYIKwYBBQUH
MAKGLGh0dHA6Ly9jcnQucm9vdGcyLmFtYXpvbnRydXN0LmNvbS9yb290ZzIuY2Vy
MD0GA1UdHwQ2MDQwMqAwoC6GLGh0dHA6Ly9jcmwucm9vdGcyLmFtYXpvbnRydXN0
LmNvbS9yb290ZzIuY3JsMBEGA1UdIAQKMAgwBgYEVR0gADANBgkqhkiG9w0BAQsF
AAOCAQEAYjdCXLwQtT6LLOkMm2xF4gcAevnFWAu5CIw+7bMlPLVvUOTNNWqnkzSW
MiGpSESrnO09tKpzbeR/FoCJbM8oAxiDR3mjEH4wW6w7sGDgd9QIpuEdfF7Au/ma
eyKdpwAJfqxGF4PcnCZXmTA5YpaP7dreqsXMGz7KQ2hsVxa81Q4gLv7/wmpdLqBK
bRRYh5TmOTFffHPLkIhqhBGWJ6bt2YFGpn6jcgAKUj6DiAdjd4lpFw85hdKrCEVN
0FE6/V1dN2RMfjCyVSRCnTawXZwXgWHxyvkQAiSr6w10kY17RSlQOYiypok1JR4U
akcjMS9cmvqtmg5iUaQqqcT5NJ0hGA==
-----END CERTIFICATE-----
"""
