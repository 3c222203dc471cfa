"""The real ``strong-back serve`` (and the app factory under another server) in a subprocess on 127.0.0.1.

Trust in the test root comes from ``STRONG_BACK_TRUST_ROOTS``; the signing chain is served by
a local server through ``STRONG_BACK_TEST_CERT_ORIGIN`` (the test-only seam). Everything else
is the production path: the server with its 5 s header and body deadlines, the verifiers with
their default timeouts, the skill. Slow and idle clients and broken framing are sent over raw
sockets.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import requests

from tests.support.alexa import check_response
from tests.support.slow_clients import SlowClients
from tests.support.web_pki import (
    CertServer,
    Sent,
    hang,
    launch_event,
    pki,
    root_file,
    serve_bytes,
    signed,
    stalled_post,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

BIN = Path(sys.executable).parent
START_WITHIN = 30.0
DEADLINE = 5.0  # the server's header and body deadlines (docs/self-hosting.md)
MARGIN = 4.0  # checked every second; and a loaded test machine


def strong_back() -> list[str]:
    script = BIN / "strong-back"
    return [str(script)] if script.exists() else [sys.executable, "-m", "local_runner"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(tmp: Path, origin: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("WORKOUT_TABLE", "DYNAMODB_ENDPOINT_URL", "SKILL_ID")}
    env.update(
        STRONG_BACK_DB=str(tmp / "serve.db"),
        STRONG_BACK_TRUST_ROOTS=str(root_file()),
        STRONG_BACK_TEST_CERT_ORIGIN=origin,
        SKILL_ID=launch_event()["context"]["System"]["application"]["applicationId"],
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def interrupt(self, timeout: float = 15) -> int:
        """Ctrl-C as a terminal sends it: SIGINT to the server's whole process group."""
        os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(timeout=timeout)


@contextmanager
def running(command: list[str], env: dict[str, str], log: Path, port: int) -> Iterator[Server]:
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=Path(__file__).parents[1],
        )
    server = Server(process, f"http://127.0.0.1:{port}/", log)
    try:
        deadline = time.monotonic() + START_WITHIN
        while True:
            if process.poll() is not None:
                raise AssertionError(f"the server stopped at start-up:\n{server.output()}")
            try:
                requests.get(f"{server.url}health", timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"the server did not start:\n{server.output()}") from None
                time.sleep(0.1)
        yield server
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture(scope="module")
def certs() -> Iterator[CertServer]:
    ca = pki()
    expired = ca.leaf(not_after=datetime.now(UTC) - timedelta(minutes=1))
    routes = {
        "/echo.api/good.pem": serve_bytes(ca.chain()),
        "/echo.api/expired.pem": serve_bytes(ca.chain(expired)),
        "/echo.api/hang.pem": hang,
    }
    with CertServer(routes) as server:
        yield server


@pytest.fixture(scope="module")
def served(certs: CertServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("serve")
    port = free_port()
    command = [*strong_back(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with running(command, environment(tmp, certs.origin), tmp / "serve.log", port) as server:
        yield server


def post(url: str, sent: Sent) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = requests.post(url, data=sent.body, headers=sent.headers, timeout=20)
    return response, time.monotonic() - started


def test_strong_back_serve_answers_a_signed_launch_with_the_welcome(served: Server) -> None:
    response, _ = post(served.url, signed(launch_event()))
    assert response.status_code == 200, response.text
    heard = check_response(response.json())
    assert "welcome to strong back" in heard
    assert not heard.ends_session


def tampered() -> Sent:
    sent = signed(launch_event())
    sent.body = sent.body.replace(b"LaunchRequest", b"IntentRequest")
    return sent


@pytest.mark.parametrize(
    ("forge", "reason"),
    [
        (lambda: signed(launch_event(), url="https://s3.amazonaws.com/echo.api/../x/good.pem"), "cert-url-path"),
        (lambda: signed(launch_event(), url="https://s3.amazonaws.com:444/echo.api/good.pem"), "cert-url-port"),
        (lambda: signed(launch_event(), "/echo.api/expired.pem"), "cert-expired"),
        (lambda: signed(launch_event(), "/echo.api/hang.pem"), "cert-fetch-timeout"),
        (tampered, "signature-mismatch"),
        (lambda: signed(launch_event(moment=datetime.now(UTC) - timedelta(minutes=5))), "timestamp-stale"),
        (lambda: signed(launch_event(skill_id="amzn1.ask.skill.not-this-one")), "skill-id"),
        (lambda: signed(b"\x00\x01 not json"), "not-json"),
    ],
    ids=["traversal", "port", "expired", "cert-url-hangs", "tampered", "stale", "skill-id", "binary"],
)
def test_strong_back_serve_refuses_forged_requests_quickly(
    served: Server, forge: Callable[[], Sent], reason: str
) -> None:
    response, took = post(served.url, forge())
    assert response.status_code == 400
    assert response.json()["reason"] == reason
    assert took < 8.0, f"took {took:.1f} s; Alexa gives up after 8"


def test_strong_back_serve_does_not_wait_forever_for_a_body(served: Server) -> None:
    reply, took = stalled_post(served.url)
    assert reply.startswith(b"HTTP/1.1 408"), reply[:200]
    assert b"body-timeout" in reply
    assert took < DEADLINE + MARGIN, f"took {took:.1f} s"
    response, _ = post(served.url, signed(launch_event()))
    assert response.status_code == 200


def port_of(server: Server) -> int:
    return int(server.url.rstrip("/").rsplit(":", 1)[1])


def test_people_are_answered_while_idle_dripping_and_slow_header_clients_hold_connections(served: Server) -> None:
    """Connections that never finish a request take no worker: a signed request is answered at once,
    and each dripped body or never-ending header is refused (408) at its deadline."""
    counts = {"idle": 40, "drip": 20, "slowloris": 20}
    with SlowClients(port_of(served), counts, until=time.monotonic() + 20, interval=0.5) as attack:
        time.sleep(1.5)  # every attacker connected and sending
        response, took = post(served.url, signed(launch_event()))
        health = requests.get(f"{served.url}health", timeout=5)
        assert response.status_code == 200, response.text
        assert "welcome to strong back" in check_response(response.json())
        assert took < 2.0, f"a signed request took {took:.1f} s while slow clients held connections"
        assert health.status_code == 200
        deadline = time.monotonic() + DEADLINE + MARGIN
        while len(attack.ended("drip")) + len(attack.ended("slowloris")) < 40 and time.monotonic() < deadline:
            time.sleep(0.2)
    for kind, reason in (("drip", b"body-timeout"), ("slowloris", b"header-timeout")):
        ended = attack.ended(kind)
        assert len(ended) == counts[kind], f"{counts[kind] - len(ended)} {kind} clients still held after the deadline"
        assert {outcome.status for outcome in ended} == {408}, ended[:3]
        assert all(reason in outcome.answer for outcome in ended), ended[:3]
        assert max(outcome.seconds for outcome in ended) < DEADLINE + MARGIN
    assert attack.ended("idle") == []  # idle connections cost nothing and are closed only after 15 s
    output = served.output()
    assert " POST / 408 refused=body-timeout " in output
    assert " - - 408 refused=header-timeout " in output
    assert "Traceback" not in output


BROKEN_CHUNKS = {
    "negative-size": b"-7\r\nabcdefg\r\n0\r\n\r\n",
    "size-not-hex": b"zz\r\nab\r\n0\r\n\r\n",
    "bad-extension": b"2;\x01bad\r\nab\r\n0\r\n\r\n",
    "missing-crlf": b"2\r\nabXX0\r\n\r\n",
    "bad-trailer": b"2\r\nab\r\n0\r\nno colon in this trailer\r\n\r\n",
}


def exchange(server: Server, request: bytes) -> tuple[bytes, bool]:
    """Send raw bytes; the whole reply, and whether the server then closed the connection."""
    with socket.create_connection(("127.0.0.1", port_of(server)), timeout=5) as connection:
        connection.sendall(request)
        reply = b""
        try:
            while chunk := connection.recv(65536):
                reply += chunk
        except TimeoutError:
            return reply, False
    return reply, True


@pytest.mark.parametrize("body", BROKEN_CHUNKS.values(), ids=BROKEN_CHUNKS.keys())
def test_broken_chunked_framing_is_refused_with_400_and_one_log_line(served: Server, body: bytes) -> None:
    head = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    reply, closed = exchange(served, head + body)
    assert reply.startswith(b"HTTP/1.1 400 "), reply[:200]
    assert json.loads(reply.split(b"\r\n\r\n", 1)[1])["error"] == "request refused"
    assert closed, "the connection stayed open after a request whose framing could not be read"
    time.sleep(0.2)
    output = served.output()
    assert "Traceback" not in output
    assert " POST / 400 refused=" in output


def test_connection_close_closes_the_connection(served: Server) -> None:
    sent = signed(launch_event())
    head = "".join(f"{name}: {value}\r\n" for name, value in sent.headers.items())
    request = (
        f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {len(sent.body)}\r\n{head}\r\n"
    ).encode() + sent.body
    reply, closed = exchange(served, request)
    assert reply.startswith(b"HTTP/1.1 200 "), reply[:200]
    assert closed


def test_strong_back_serve_logs_one_line_per_request_without_personal_data(served: Server) -> None:
    event = launch_event()
    private = [event["session"]["user"]["userId"], event["session"]["sessionId"], event["request"]["requestId"]]
    post(served.url, signed(event))
    post(served.url, signed(launch_event(), "/echo.api/expired.pem"))
    requests.get(f"{served.url}health", timeout=5)
    time.sleep(0.2)
    output = served.output()
    assert " POST / 200 LaunchRequest " in output
    assert " POST / 400 refused=cert-expired " in output
    assert " GET /health 200 " in output
    for secret in private:
        assert secret not in output
    assert "Traceback" not in output


def test_strong_back_serve_stops_cleanly_on_ctrl_c(certs: CertServer, tmp_path: Path) -> None:
    port = free_port()
    command = [*strong_back(), "serve", "--port", str(port)]
    with running(command, environment(tmp_path, certs.origin), tmp_path / "log", port) as server:
        assert server.interrupt() == 0
        output = server.output()
    assert output.count("strong-back: stopped") == 1  # from the master, not from each worker too
    assert "Traceback" not in output
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{server.url}health", timeout=2)


def test_a_taken_port_is_one_clear_line(certs: CertServer, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [*strong_back(), "serve", "--port", str(port)],
            env=environment(tmp_path, certs.origin),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_trust_roots_file_is_one_clear_line(certs: CertServer, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.pem"
    result = subprocess.run(
        [*strong_back(), "serve", "--port", str(free_port())],
        env=environment(tmp_path, certs.origin, STRONG_BACK_TRUST_ROOTS=str(missing)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert str(missing) in result.stderr
    assert "Traceback" not in result.stderr


def test_no_verify_warns_loudly_and_marks_every_reply(certs: CertServer, tmp_path: Path) -> None:
    port = free_port()
    command = [*strong_back(), "serve", "--port", str(port), "--no-verify"]
    with running(command, environment(tmp_path, certs.origin), tmp_path / "log", port) as server:
        response = requests.post(server.url, data=json.dumps(launch_event()).encode(), timeout=10)
        time.sleep(0.2)
        output = server.output()
    assert response.status_code == 200
    assert response.headers["X-Strong-Back-Verification"] == "off"
    assert "WARNING" in output and "verification is OFF" in output
    assert " POST / 200 LaunchRequest " in output and "UNVERIFIED" in output


def waitress_serve() -> list[str]:
    script = BIN / "waitress-serve"
    return [str(script)] if script.exists() else [sys.executable, "-m", "waitress"]


def test_another_wsgi_server_serves_the_app_factory(certs: CertServer, tmp_path: Path) -> None:
    port = free_port()
    command = [*waitress_serve(), f"--listen=127.0.0.1:{port}", "--call", "web.app:create_app"]
    with running(command, environment(tmp_path, certs.origin), tmp_path / "log", port) as server:
        good, _ = post(server.url, signed(launch_event()))
        forged, _ = post(server.url, signed(launch_event(), "/echo.api/expired.pem"))
    assert good.status_code == 200
    assert "welcome to strong back" in check_response(good.json())
    assert (forged.status_code, forged.json()["reason"]) == (400, "cert-expired")


def test_the_app_factory_with_missing_setup_stops_with_one_clear_line(certs: CertServer, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.pem"
    result = subprocess.run(
        [*waitress_serve(), f"--listen=127.0.0.1:{free_port()}", "--call", "web.app:create_app"],
        env=environment(tmp_path, certs.origin, STRONG_BACK_TRUST_ROOTS=str(missing)),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parents[1],
    )
    assert result.returncode != 0
    assert f"strong-back: cannot read trusted roots from {missing}" in result.stderr
    assert "Traceback" not in result.stderr
