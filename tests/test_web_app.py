"""The endpoint over real HTTP: forged requests refused with 400, fast; signed ones answered.

The app runs behind the server ``strong-back serve`` uses (1 s deadlines) on 127.0.0.1 and is called with ``requests``.
Certificates come from a local server through the real fetcher (the test-origin seam), so
every step Alexa's requests go through is the production code.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
import requests
from cryptography.x509.verification import Store

from skill.alexa.builder import build_skill
from skill.alexa.persistence import sqlite_adapter
from skill.errors import ConfigurationError
from tests.support.alexa import check_response
from tests.support.web_pki import (
    SKILL_ID,
    CertServer,
    Sent,
    closed_port,
    flood,
    hang,
    intent_event,
    issue_ca,
    issue_leaf,
    launch_event,
    pki,
    rsa_key,
    serve_bytes,
    serving,
    signed,
    stalled_post,
)
from web.app import build_app
from web.fetch import HttpFetcher
from web.sdk import EXTENSION_NAME, SkillAdapter
from web.settings import MAX_BODY_BYTES, WebSettings
from web.signing_keys import FETCH_BURST, FetchBudget
from web.trust import TrustRoots
from web.verifiers import SignatureVerifier, SkillIdVerifier, TimestampVerifier

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

QUICK_FETCH: dict[str, Any] = {"step_timeout": 0.5, "total_timeout": 1.0}
ANSWER_WITHIN = 5.0  # seconds; the certificate download gives up after 1 s here


def chains() -> dict[str, Any]:
    """What the certificate server serves, by path."""
    ca = pki()
    now = datetime.now(UTC)
    rogue_root = issue_ca("Rogue Root", rsa_key("rogue-root"))
    rogue_intermediate = issue_ca("Rogue Intermediate", rsa_key("rogue-intermediate"), rogue_root)
    rogue = issue_leaf(rogue_intermediate, ca.signer.key)
    return {
        "/echo.api/good.pem": serve_bytes(ca.chain()),
        "/echo.api/cached.pem": serve_bytes(ca.chain()),
        "/echo.api/expired.pem": serve_bytes(ca.chain(ca.leaf(not_after=now - timedelta(minutes=1)))),
        "/echo.api/not-yet-valid.pem": serve_bytes(ca.chain(ca.leaf(not_before=now + timedelta(hours=1)))),
        "/echo.api/wrong-name.pem": serve_bytes(ca.chain(ca.leaf(names=("echo-api.amazon.com.evil.example",)))),
        "/echo.api/wildcard.pem": serve_bytes(ca.chain(ca.leaf(names=("*.amazon.com",)))),
        "/echo.api/self-signed.pem": serve_bytes(issue_leaf(None, ca.signer.key).pem),
        "/echo.api/rogue.pem": serve_bytes(rogue.pem + rogue_intermediate.pem + rogue_root.pem),
        "/echo.api/no-intermediate.pem": serve_bytes(ca.signer.pem),
        "/echo.api/garbage.pem": serve_bytes(b"this is not a certificate\n"),
        "/echo.api/hang.pem": hang,
        "/echo.api/hang-too.pem": hang,
        "/echo.api/huge.pem": flood(declare=False),
    }


@pytest.fixture(scope="module")
def cert_server() -> Iterator[CertServer]:
    with CertServer(chains()) as server:
        yield server


def make_app(tmp: Path, origin: str, budget: FetchBudget | None = None, **settings: Any) -> Any:
    """The app with a quick fetcher; by default a download budget large enough for every forged URL here."""
    skill = build_skill(sqlite_adapter(tmp / "web.db"))
    roots = TrustRoots(Store([pki().root.cert]), "test root", 1)
    fetcher = HttpFetcher(origin, **QUICK_FETCH)
    settings = {"skill_id": SKILL_ID, **settings}
    budget = budget or FetchBudget(per_minute=600, burst=100)
    return build_app(WebSettings(**settings), skill, roots=roots, fetcher=fetcher, budget=budget)


@pytest.fixture(scope="module")
def app(cert_server: CertServer, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return make_app(tmp_path_factory.mktemp("web"), cert_server.origin)


@pytest.fixture(scope="module")
def url(app: Any) -> Iterator[str]:
    with serving(app) as address:
        yield address


def post(url: str, sent: Sent) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = requests.post(url, data=sent.body, headers=sent.headers, timeout=15)
    return response, time.monotonic() - started


# ----- forged requests, one rule broken each ----------------------------------------------------


def with_url(cert_url: str) -> Callable[[], Sent]:
    return lambda: signed(launch_event(), url=cert_url)


def with_chain(path: str) -> Callable[[], Sent]:
    return lambda: signed(launch_event(), path)


def tampered() -> Sent:
    sent = signed(launch_event())
    sent.body = sent.body.replace(b'"en-US"', b'"en-GB"')
    return sent


def signature_of_another_body() -> Sent:
    sent = signed(launch_event())
    sent.headers["Signature-256"] = signed(launch_event()).headers["Signature-256"]
    return sent


def header_changed(name: str, value: str | None, rename: str | None = None) -> Callable[[], Sent]:
    def forge() -> Sent:
        sent = signed(launch_event())
        old = sent.headers.pop(name)
        if rename:
            sent.headers[rename] = old
        elif value is not None:
            sent.headers[name] = value
        return sent

    return forge


def no_headers() -> Sent:
    return Sent(signed(launch_event()).body, {"Content-Type": "application/json"})


def stamped(seconds: int) -> Callable[[], Sent]:
    return lambda: signed(launch_event(moment=datetime.now(UTC) + timedelta(seconds=seconds)))


def oversized() -> Sent:
    event = launch_event()
    event["session"]["attributes"] = {"padding": "x" * MAX_BODY_BYTES}
    return signed(event)


def raw(body: bytes) -> Callable[[], Sent]:
    return lambda: signed(body)


FORGED: dict[str, tuple[Callable[[], Sent], str]] = {
    "http-scheme": (with_url("http://s3.amazonaws.com/echo.api/good.pem"), "cert-url-scheme"),
    "other-host": (with_url("https://evil.example/echo.api/good.pem"), "cert-url-host"),
    "look-alike-host": (with_url("https://s3.amazonaws.com.evil.example/echo.api/good.pem"), "cert-url-host"),
    "other-port": (with_url("https://s3.amazonaws.com:8443/echo.api/good.pem"), "cert-url-port"),
    "path-in-other-case": (with_url("https://s3.amazonaws.com/ECHO.API/good.pem"), "cert-url-path"),
    "path-traversal": (with_url("https://s3.amazonaws.com/echo.api/../evil/good.pem"), "cert-url-path"),
    "encoded-traversal": (with_url("https://s3.amazonaws.com/echo.api/%2e%2e/evil/good.pem"), "cert-url-path"),
    "expired-certificate": (with_chain("/echo.api/expired.pem"), "cert-expired"),
    "not-yet-valid-certificate": (with_chain("/echo.api/not-yet-valid.pem"), "cert-not-yet-valid"),
    "wrong-name-in-certificate": (with_chain("/echo.api/wrong-name.pem"), "cert-san"),
    "wildcard-certificate": (with_chain("/echo.api/wildcard.pem"), "cert-san"),
    "self-signed-certificate": (with_chain("/echo.api/self-signed.pem"), "cert-untrusted"),
    "untrusted-root": (with_chain("/echo.api/rogue.pem"), "cert-untrusted"),
    "missing-intermediate": (with_chain("/echo.api/no-intermediate.pem"), "cert-untrusted"),
    "not-a-certificate": (with_chain("/echo.api/garbage.pem"), "cert-chain-unreadable"),
    "certificate-url-404": (with_chain("/echo.api/missing.pem"), "cert-fetch-status"),
    "certificate-url-hangs": (with_chain("/echo.api/hang.pem"), "cert-fetch-timeout"),
    "certificate-too-big": (with_chain("/echo.api/huge.pem"), "cert-fetch-too-big"),
    "tampered-body": (tampered, "signature-mismatch"),
    "signed-by-another-key": (lambda: signed(launch_event(), key=rsa_key("someone-else")), "signature-mismatch"),
    "signature-of-another-body": (signature_of_another_body, "signature-mismatch"),
    "signature-not-base64": (header_changed("Signature-256", "not*base64!"), "signature-malformed"),
    "only-the-old-sha1-header": (header_changed("Signature-256", None, rename="Signature"), "signature-missing"),
    "no-signature": (header_changed("Signature-256", None), "signature-missing"),
    "no-certificate-url": (header_changed("SignatureCertChainUrl", None), "cert-url-missing"),
    "no-headers-at-all": (no_headers, "cert-url-missing"),
    "old-timestamp": (stamped(-200), "timestamp-stale"),
    "future-timestamp": (stamped(200), "timestamp-stale"),
    "wrong-skill-id": (lambda: signed(launch_event(skill_id="amzn1.ask.skill.someone-else")), "skill-id"),
    "oversized-body": (oversized, "body-too-large"),
    "not-json": (raw(b"hello alexa"), "not-json"),
    "empty-body": (raw(b""), "not-json"),
    "json-but-not-an-envelope": (raw(b'{"hello": "alexa"}'), "not-an-alexa-request"),
    "unknown-request-type": (raw(b'{"version": "1.0", "request": {"type": "NoSuchRequest"}}'), "not-an-alexa-request"),
    "not-utf8": (raw(b'{"request": {"type": "LaunchRequest", "locale": "\xff"}}'), "body-not-utf8"),
    "deeply-nested-json": (raw(b"[" * 50000 + b"]" * 50000), "not-json"),
}


@pytest.mark.parametrize(("forge", "reason"), FORGED.values(), ids=FORGED.keys())
def test_a_forged_request_is_refused_with_400_quickly(url: str, forge: Callable[[], Sent], reason: str) -> None:
    response, took = post(url, forge())
    assert response.status_code == 400, response.text
    assert response.json() == {"error": "request refused", "reason": reason}
    assert took < ANSWER_WITHIN, f"took {took:.1f} s"


def test_an_unreachable_certificate_host_is_refused_quickly(cert_server: CertServer, tmp_path: Path) -> None:
    with serving(make_app(tmp_path, f"http://127.0.0.1:{closed_port()}")) as address:
        response, took = post(address, signed(launch_event()))
    assert response.status_code == 400
    assert response.json()["reason"] == "cert-fetch-failed"
    assert took < ANSWER_WITHIN


def test_a_huge_body_is_cut_off_without_hurting_the_server(url: str) -> None:
    huge = Sent(b"{" + b" " * (4 * 1024 * 1024) + b"}", {"Content-Type": "application/json"})
    started = time.monotonic()
    try:
        response = requests.post(url, data=huge.body, headers=huge.headers, timeout=15)
        assert response.status_code == 413  # refused by the server: the app never sees it
        assert response.json()["reason"] == "body-too-large"
    except requests.ConnectionError:
        pass  # the server may close the connection before taking 4 MB; either way, no answer from the skill
    assert time.monotonic() - started < ANSWER_WITHIN
    assert requests.get(f"{url}health", timeout=5).status_code == 200


def test_a_body_that_never_arrives_is_refused_at_the_deadline(url: str) -> None:
    reply, took = stalled_post(url)
    assert reply.startswith(b"HTTP/1.1 408"), reply[:200]
    assert b'"reason": "body-timeout"' in reply
    assert took < 4.0, f"took {took:.1f} s with a 1 s limit"


# ----- forged requests must not turn into downloads -----------------------------------------------


def with_signature(sent: Sent, signature: bytes) -> Sent:
    sent.headers["Signature-256"] = base64.b64encode(signature).decode()
    return sent


def test_forged_requests_each_naming_a_new_certificate_url_cost_a_few_downloads(tmp_path: Path) -> None:
    """Fresh timestamp, the right skill id, a garbage signature of the right length, a new URL each time."""
    with CertServer() as certs, serving(make_app(tmp_path, certs.origin, budget=FetchBudget())) as address:
        replies = [
            post(address, with_signature(signed(launch_event(), f"/echo.api/nothing-{i}.pem"), os.urandom(256)))[0]
            for i in range(60)
        ]
        downloads = sum(certs.hits.values())
    assert {reply.status_code for reply in replies} == {400}
    assert downloads <= FETCH_BURST, f"{downloads} certificate downloads for 60 forged requests"
    assert sum(reply.json()["reason"] == "cert-fetch-budget" for reply in replies) >= 60 - FETCH_BURST


def test_a_signature_of_no_rsa_length_is_refused_without_a_download(tmp_path: Path) -> None:
    with CertServer() as certs, serving(make_app(tmp_path, certs.origin, budget=FetchBudget())) as address:
        sent = with_signature(signed(launch_event(), "/echo.api/nothing.pem"), os.urandom(100))
        response, _ = post(address, sent)
        assert (response.status_code, response.json()["reason"]) == (400, "signature-malformed")
        assert sum(certs.hits.values()) == 0


def test_requests_needing_the_same_new_certificate_share_one_download(tmp_path: Path) -> None:
    chain = pki().chain()

    def slowly(handler: Any, stop: threading.Event) -> None:
        stop.wait(0.3)  # long enough for every request to be waiting on this download (the fetcher waits 0.5 s)
        serve_bytes(chain)(handler, stop)

    with CertServer({"/echo.api/shared.pem": slowly}) as certs, serving(make_app(tmp_path, certs.origin)) as address:
        events = [launch_event() for _ in range(8)]
        with ThreadPoolExecutor(max_workers=8) as pool:
            replies = list(pool.map(lambda event: post(address, signed(event, "/echo.api/shared.pem"))[0], events))
        assert [reply.status_code for reply in replies] == [200] * 8, [reply.text for reply in replies]
        assert certs.hits["/echo.api/shared.pem"] == 1


def test_a_client_that_hangs_up_mid_body_does_not_hurt_the_server(url: str) -> None:
    port = int(url.rstrip("/").rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{")
    assert requests.get(f"{url}health", timeout=5).status_code == 200
    response, _ = post(url, signed(launch_event()))
    assert response.status_code == 200


def test_a_slow_certificate_does_not_hold_up_other_requests(url: str) -> None:
    slow: dict[str, float] = {}

    def send_slow() -> None:
        _, slow["took"] = post(url, with_chain("/echo.api/hang-too.pem")())

    worker = threading.Thread(target=send_slow)
    worker.start()
    time.sleep(0.1)
    response, took = post(url, signed(launch_event()))
    still_waiting = worker.is_alive()
    worker.join()
    assert response.status_code == 200
    assert still_waiting, "the good request should have been answered while the slow one was still waiting"
    assert took < slow["took"]


# ----- signed requests are answered ----------------------------------------------------------------


def test_a_signed_launch_is_answered_with_the_welcome(url: str) -> None:
    response, _ = post(url, signed(launch_event()))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    heard = check_response(response.json())
    assert "welcome to strong back" in heard
    assert not heard.ends_session and heard.reprompt


def test_a_signed_question_about_an_exercise_is_answered(url: str) -> None:
    slots = {"exercise": {"name": "exercise", "value": "side plank", "confirmationStatus": "NONE",
                          "resolutions": {"resolutionsPerAuthority": [{
                              "authority": f"amzn1.er-authority.echo-sdk.{SKILL_ID}.EXERCISE",
                              "status": {"code": "ER_SUCCESS_MATCH"},
                              "values": [{"value": {"name": "side plank", "id": "side_plank"}}]}]}}}  # fmt: skip
    response, _ = post(url, signed(intent_event("DescribeExerciseIntent", slots)))
    assert response.status_code == 200
    heard = check_response(response.json())
    assert "side plank" in heard


def test_the_signature_is_checked_over_the_exact_bytes_sent(url: str) -> None:
    event = launch_event()
    event["session"]["attributes"] = {"note": "Übung für den Rücken ✓"}
    body = json.dumps(event, ensure_ascii=False, indent=1).encode("utf-8")
    assert not body.isascii()
    response, _ = post(url, signed(body))
    assert response.status_code == 200, response.text
    assert "welcome to strong back" in check_response(response.json())


def test_the_certificate_is_downloaded_once_for_many_requests(url: str, cert_server: CertServer) -> None:
    for _ in range(3):
        response, _ = post(url, signed(launch_event(), "/echo.api/cached.pem"))
        assert response.status_code == 200
    assert cert_server.hits["/echo.api/cached.pem"] == 1


def test_the_real_flask_ask_sdk_adapter_is_serving(app: Any, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Imported here, after web.sdk made the SDK importable (see test_web_sdk_import.py).
    from ask_sdk_webservice_support.verifier import RequestVerifier as SdkRequestVerifier
    from ask_sdk_webservice_support.verifier import TimestampVerifier as SdkTimestampVerifier
    from ask_sdk_webservice_support.webservice_handler import WebserviceSkillHandler

    adapter = app.extensions[EXTENSION_NAME][SKILL_ID]
    assert isinstance(adapter, SkillAdapter)
    assert app.view_functions["alexa"].__self__ is adapter
    handler = adapter._webservice_handler
    assert type(handler) is WebserviceSkillHandler
    kinds = [type(verifier) for verifier in handler._verifiers]
    assert kinds == [TimestampVerifier, SkillIdVerifier, SignatureVerifier]
    assert not any(issubclass(kind, (SdkRequestVerifier, SdkTimestampVerifier)) for kind in kinds)
    # The SDK's handler and adapter name themselves on the skill when they are set up.
    assert "ask-webservice" in handler._skill.custom_user_agent
    assert "flask-ask-sdk" in handler._skill.custom_user_agent
    # And a request really goes through the SDK's handler (a spy that calls through).
    seen: list[str] = []
    original = handler.verify_request_and_dispatch

    def spy(**kwargs: Any) -> Any:
        seen.append(kwargs["http_request_body"])
        return original(**kwargs)

    monkeypatch.setattr(handler, "verify_request_and_dispatch", spy)
    sent = signed(launch_event())
    response, _ = post(url, sent)
    assert response.status_code == 200
    assert seen == [sent.body.decode()]


# ----- the rest of the HTTP surface ----------------------------------------------------------------


@pytest.mark.parametrize("path", ["", "health"])
def test_health_checks_answer_get(url: str, path: str) -> None:
    response = requests.get(f"{url}{path}", timeout=5)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["verification"] == "on"


@pytest.mark.parametrize(("method", "path", "status"), [("PUT", "", 405), ("POST", "health", 405), ("GET", "x", 404)])
def test_other_methods_and_paths_get_plain_json_errors(url: str, method: str, path: str, status: int) -> None:
    response = requests.request(method, f"{url}{path}", timeout=5)
    assert response.status_code == status
    assert "error" in response.json()
    assert "Traceback" not in response.text


# ----- the request log --------------------------------------------------------------------------


def test_each_request_is_logged_in_one_line_without_personal_data(url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="strong_back.web")
    event = intent_event("AMAZON.HelpIntent")
    private = [event["session"]["user"]["userId"], event["session"]["sessionId"], event["request"]["requestId"],
               event["context"]["System"]["device"]["deviceId"], SKILL_ID]  # fmt: skip
    assert post(url, signed(event))[0].status_code == 200
    assert post(url, with_chain("/echo.api/expired.pem")())[0].status_code == 400
    lines = [r.getMessage() for r in caplog.records if r.name == "strong_back.web.requests"]
    assert len(lines) == 2
    assert lines[0].startswith("POST / 200 IntentRequest:AMAZON.HelpIntent ")
    assert lines[1].startswith("POST / 400 refused=cert-expired ")
    assert all(line.endswith("ms") and "\n" not in line for line in lines)
    for record in caplog.records:
        for secret in private:
            assert secret not in record.getMessage()


def test_the_log_cannot_be_forged_through_the_path(url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="strong_back.web")
    requests.get(f"{url}x%0aPOST%20/%20200%20fake", timeout=5)
    lines = [r.getMessage() for r in caplog.records if r.name == "strong_back.web.requests"]
    assert len(lines) == 1 and "\n" not in lines[0] and " 404 " in lines[0]


# ----- --no-verify ---------------------------------------------------------------------------


def test_without_verification_unsigned_requests_are_answered_and_marked(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="strong_back.web")
    unverified = make_app(tmp_path, "http://127.0.0.1:9", verify=False)
    with serving(unverified) as address:
        body = json.dumps(launch_event(moment=datetime.now(UTC) - timedelta(days=1))).encode()
        response = requests.post(address, data=body, timeout=5)
        health = requests.get(f"{address}health", timeout=5)
        wrong_skill = requests.post(address, data=json.dumps(launch_event(skill_id="amzn1.other")).encode(), timeout=5)
        garbage = requests.post(address, data=b"nope", timeout=5)
    assert response.status_code == 200
    assert "welcome to strong back" in check_response(response.json())
    assert response.headers["X-Strong-Back-Verification"] == "off"
    assert health.json()["verification"] == "off"
    assert any("UNVERIFIED" in r.getMessage() for r in caplog.records)
    # The skill id (when set) and the shape of the body are still checked.
    assert (wrong_skill.status_code, wrong_skill.json()["reason"]) == (400, "skill-id")
    assert (garbage.status_code, garbage.json()["reason"]) == (400, "not-json")


def test_settings_come_from_the_environment() -> None:
    settings = WebSettings.from_env({"SKILL_ID": " amzn1.ask.skill.x ", "STRONG_BACK_TRUST_ROOTS": "/roots.pem"})
    assert (settings.skill_id, settings.trust_roots, settings.test_cert_origin) == (
        "amzn1.ask.skill.x",
        "/roots.pem",
        None,
    )
    assert settings.warnings() == []


def test_risky_settings_are_warned_about() -> None:
    assert any("SKILL_ID" in warning for warning in WebSettings.from_env({}).warnings())
    assert any("OFF" in warning for warning in WebSettings.from_env({"SKILL_ID": "x"}, verify=False).warnings())
    testing = WebSettings.from_env({"SKILL_ID": "x", "STRONG_BACK_TEST_CERT_ORIGIN": "http://127.0.0.1:9"})
    assert testing.test_cert_origin == "http://127.0.0.1:9"
    assert any("tests only" in warning for warning in testing.warnings())


@pytest.mark.parametrize("origin", ["ftp://127.0.0.1", "http://", "http://127.0.0.1/echo.api/"])
def test_a_bad_test_origin_is_a_configuration_error(origin: str) -> None:
    with pytest.raises(ConfigurationError, match="STRONG_BACK_TEST_CERT_ORIGIN"):
        WebSettings.from_env({"STRONG_BACK_TEST_CERT_ORIGIN": origin})
