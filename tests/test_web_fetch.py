"""The real certificate fetcher against a local server that misbehaves on purpose.

The fetcher is given Amazon's canonical URL and a test origin (the seam the endpoint uses
under ``STRONG_BACK_TEST_CERT_ORIGIN``), so the request path is exactly what Amazon's would be.
"""

from __future__ import annotations

import ssl
import time
from typing import Any

import pytest

from tests.support.web_pki import (
    CertServer,
    Route,
    closed_port,
    drip,
    flood,
    hang,
    pki,
    redirect,
    serve_bytes,
    tls_server_context,
)
from web.fetch import HttpFetcher
from web.refusal import Refusal

URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-12.pem"
PATH = "/echo.api/echo-api-cert-12.pem"
QUICK: dict[str, Any] = {"step_timeout": 0.5, "total_timeout": 1.0}


def refusal_of(fetcher: HttpFetcher, url: str = URL) -> tuple[str, float]:
    started = time.monotonic()
    with pytest.raises(Refusal) as refused:
        fetcher(url)
    return refused.value.reason, time.monotonic() - started


def test_the_chain_is_fetched_byte_for_byte_from_the_path_amazon_gave() -> None:
    chain = pki().chain()
    with CertServer({PATH: serve_bytes(chain)}) as server:
        assert HttpFetcher(server.origin)(URL) == chain
        assert server.hits == {PATH: 1}


def test_a_query_string_is_kept() -> None:
    with CertServer({f"{PATH}?v=2": serve_bytes(b"chain v2")}) as server:
        assert HttpFetcher(server.origin)(f"{URL}?v=2") == b"chain v2"


@pytest.mark.parametrize(
    ("route", "reason"),
    [
        (serve_bytes(b"gone", 404), "cert-fetch-status"),
        (serve_bytes(b"oops", 500), "cert-fetch-status"),
        (redirect("https://evil.example/echo.api/cert.pem"), "cert-fetch-status"),
        (flood(declare=True), "cert-fetch-too-big"),
        (flood(declare=False), "cert-fetch-too-big"),
    ],
    ids=["404", "500", "redirect-not-followed", "declared-too-big", "streamed-too-big"],
)
def test_bad_answers_are_refused(route: Route, reason: str) -> None:
    with CertServer({PATH: route}) as server:
        assert refusal_of(HttpFetcher(server.origin, **QUICK))[0] == reason


@pytest.mark.parametrize("route", [hang, drip], ids=["never-answers", "drips-one-byte-at-a-time"])
def test_a_slow_server_is_given_up_on_at_the_deadline(route: Route) -> None:
    with CertServer({PATH: route}) as server:
        reason, took = refusal_of(HttpFetcher(server.origin, **QUICK))
    assert reason == "cert-fetch-timeout"
    assert took < 3.0, f"took {took:.1f} s with a 1 s deadline"


def test_an_unreachable_host_is_refused_at_once() -> None:
    reason, took = refusal_of(HttpFetcher(f"http://127.0.0.1:{closed_port()}", **QUICK))
    assert reason == "cert-fetch-failed"
    assert took < 3.0


def test_https_is_verified_against_the_trust_it_is_given() -> None:
    chain = pki().chain()
    with CertServer({PATH: serve_bytes(chain)}, tls=tls_server_context()) as server:
        trusting = ssl.create_default_context(cadata=pki().root_pem.decode())
        assert HttpFetcher(server.origin, ssl_context=trusting)(URL) == chain
        # With the system's roots (the default), the test server's certificate is not trusted.
        assert refusal_of(HttpFetcher(server.origin, **QUICK))[0] == "cert-fetch-failed"


def test_a_bad_test_origin_is_rejected_up_front() -> None:
    with pytest.raises(ValueError, match="origin"):
        HttpFetcher("ftp://127.0.0.1:21")
