"""pytest plugin: a real DynamoDB wire API (moto's server on 127.0.0.1) and tables made as
template.yaml declares them. Loaded by tests/conftest.py.

Fixtures:
- ``moto_server``: one server for the session (``MotoServer``; fault tests make their own).
- ``moto_process``: one server in a process of its own, answering one request at a time
  (``MotoProcess``), for many clients at once: concurrency tests, the load benchmark.
- ``aws_env``: dummy credentials and region, set only for the test that asks for them.
- ``workout_table``: a fresh table per test, created from template.yaml's declaration, with
  ``WORKOUT_TABLE`` and ``DYNAMODB_ENDPOINT_URL`` set as the skill reads them.
"""

from __future__ import annotations

import json
import os
import select
import uuid
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
REGION = "us-east-1"
DUMMY_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    # never read the machine's own AWS configuration
    "AWS_CONFIG_FILE": str(ROOT / "tests" / "no-aws-config"),
    "AWS_SHARED_CREDENTIALS_FILE": str(ROOT / "tests" / "no-aws-credentials"),
}


@cache
def template() -> dict[str, Any]:
    """template.yaml as data (CloudFormation's short-form tags included)."""
    from cfnlint.decode import decode

    decoded, problems = decode(str(TEMPLATE))
    assert decoded is not None and not problems, problems
    return dict(decoded)


def table_properties() -> dict[str, Any]:
    """The Properties of the one DynamoDB table template.yaml declares."""
    tables = [r for r in template()["Resources"].values() if r["Type"] == "AWS::DynamoDB::Table"]
    assert len(tables) == 1, "template.yaml declares exactly one DynamoDB table"
    return dict(tables[0]["Properties"])


def create_table_as_declared(client: Any, name: str) -> None:
    """Create ``name`` with template.yaml's keys, billing, encryption and point-in-time recovery."""
    declared = table_properties()
    options: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": declared["AttributeDefinitions"],
        "KeySchema": declared["KeySchema"],
        "BillingMode": declared["BillingMode"],
    }
    sse = declared.get("SSESpecification")
    if sse:
        options["SSESpecification"] = {"Enabled": bool(sse["SSEEnabled"])}
    client.create_table(**options)
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})
    pitr = declared.get("PointInTimeRecoverySpecification")
    if pitr:
        client.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification=dict(pitr))


class MotoServer:
    """moto's DynamoDB server on 127.0.0.1; can be stopped and started again on the same port.

    moto keeps its data in this process, so tables and items survive a stop and start, as a
    real service's do across an outage.
    """

    def __init__(self) -> None:
        self.port = 0
        self._server: Any = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> None:
        from moto.server import ThreadedMotoServer

        server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        server.start()
        self.port = server.get_host_and_port()[1]
        self._server = server

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer()
    yield server
    server.stop()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Dummy AWS credentials and region for this test only."""
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for name, value in DUMMY_AWS.items():
        monkeypatch.setenv(name, value)
    return dict(DUMMY_AWS)


def plain(value: Any) -> Any:
    """DynamoDB's Decimals as ints and floats, for comparing with JSON."""
    return json.loads(json.dumps(value, default=lambda d: float(d) if isinstance(d, Decimal) else str(d)))


@dataclass
class WorkoutTable:
    """A table on a moto server, and a way to read its items that does not go through the skill."""

    name: str
    endpoint: str
    client: Any

    def item(self, user_id: str) -> dict[str, Any] | None:
        from boto3.dynamodb.types import TypeDeserializer

        raw = self.client.get_item(TableName=self.name, Key={"id": {"S": user_id}}, ConsistentRead=True).get("Item")
        if raw is None:
            return None
        deserializer = TypeDeserializer()
        return {key: plain(deserializer.deserialize(value)) for key, value in raw.items()}

    def document(self, user_id: str) -> dict[str, Any] | None:
        """The progress document stored for a user (None when there is none)."""
        item = self.item(user_id)
        stored = None if item is None else item.get("attributes")
        return json.loads(stored) if isinstance(stored, str) else stored  # a string; a map in items from before

    @property
    def env(self) -> dict[str, str]:
        """What a process needs to use this table as the skill does."""
        return {**DUMMY_AWS, "WORKOUT_TABLE": self.name, "DYNAMODB_ENDPOINT_URL": self.endpoint}


def make_table(server: MotoServer | MotoProcess) -> WorkoutTable:
    import boto3

    client = boto3.session.Session().client(
        "dynamodb",
        endpoint_url=server.url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    name = f"StrongBackProgress-{uuid.uuid4().hex[:12]}"
    create_table_as_declared(client, name)
    return WorkoutTable(name, server.url, client)


@pytest.fixture
def workout_table(moto_server: MotoServer, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> WorkoutTable:
    """A fresh table as template.yaml declares it; the skill's environment points at it."""
    table = make_table(moto_server)
    monkeypatch.setenv("WORKOUT_TABLE", table.name)
    monkeypatch.setenv("DYNAMODB_ENDPOINT_URL", table.endpoint)
    return table


# ----- a server in its own process, for many clients at once -------------------------------------
def serial_app() -> Any:
    """moto's server app answering one request at a time.

    DynamoDB applies each item operation atomically (a conditional put is checked and written as
    one step). moto checks the condition, then writes, as two Python steps, and its server runs
    requests on threads: two racing puts could in principle both pass. One request at a time gives
    the atomicity that the concurrency tests rely on, and keeps moto out of the way of the clients'
    threads.
    """
    import threading

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def serial(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        with lock:
            return list(app(environ, start_response))

    return serial


def serve(port: int = 0) -> None:
    """``python -m tests.support.moto_server [PORT]``: serve on 127.0.0.1, print the port, run until killed."""
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    class Quiet(MotoRequestHandler):
        def log_request(self, *args: Any, **kwargs: Any) -> None:
            pass

    server = make_server("127.0.0.1", port, serial_app(), threaded=True, request_handler=Quiet)
    print(server.server_port, flush=True)
    server.serve_forever()


class MotoProcess:
    """moto's server (``serial_app``) in a child process on 127.0.0.1; ``stop()`` ends it."""

    def __init__(self, start_within: float = 30.0) -> None:
        import subprocess
        import sys

        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.moto_server"], stdout=subprocess.PIPE, env=env, cwd=ROOT
        )
        assert self.process.stdout is not None
        ready = select.select([self.process.stdout], [], [], start_within)[0]
        line = self.process.stdout.readline() if ready else b""
        if not line.strip().isdigit():
            self.stop()
            raise RuntimeError(f"moto's server did not start within {start_within:.0f} s")
        self.port = int(line)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except Exception:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="session")
def moto_process() -> Iterator[MotoProcess]:
    server = MotoProcess()
    yield server
    server.stop()


if __name__ == "__main__":
    import sys

    serve(int(sys.argv[1]) if len(sys.argv) > 1 else 0)


Reply = tuple[int, dict[str, str], bytes]


class DynamoProxy:
    """An HTTP proxy on 127.0.0.1 in front of a DynamoDB endpoint, for causing faults on the wire.

    Subclasses decide per request through ``intercept`` (answer it themselves, drop it, or pass
    it on) and see what came back through ``observe``. Requests run on threads of their own.
    """

    def __init__(self, upstream_port: int) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.upstream_port = upstream_port
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                operation = self.headers.get("X-Amz-Target", "").rpartition(".")[2]
                action = proxy.intercept(operation)
                if isinstance(action, str):  # "drop": hang up without an answer
                    self.close_connection = True
                    return
                reply = action if action is not None else proxy.forward(self.path, dict(self.headers.items()), body)
                proxy.observe(operation, reply)
                status, headers, content = reply
                self.send_response(status)
                for key, value in headers.items():
                    if key.lower() not in {"connection", "transfer-encoding", "content-length"}:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def forward(self, path: str, headers: dict[str, str], body: bytes) -> Reply:
        """Pass a request on to the real endpoint and return its answer."""
        import http.client

        connection = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=10)
        try:
            sent = {k: v for k, v in headers.items() if k.lower() not in {"host", "connection"}}
            connection.request("POST", path, body=body, headers=sent)
            answer = connection.getresponse()
            return answer.status, dict(answer.getheaders()), answer.read()
        finally:
            connection.close()

    def intercept(self, operation: str) -> Reply | str | None:
        """A reply to send instead, "drop" to hang up without one, or None to pass the request on."""
        return None

    def observe(self, operation: str, reply: Reply) -> None:
        """Called with every reply that is sent back."""

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
