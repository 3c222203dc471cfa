"""Storage faults, caused for real: DynamoDB stopped, missing, throttled or silent, and SQLite
files killed mid-write or damaged. The coach must keep coaching, answer inside Alexa's 8
seconds, tell the person honestly, and save the progress once storage is back without
replacing newer stored data with less.

DynamoDB faults happen on the wire: moto's server is stopped and started again; a table is
missing; a small HTTP proxy in front of moto answers chosen operations with DynamoDB's own
throttling or server-error responses, or holds them without answering; a socket that accepts
connections never replies. Nothing in the skill is patched.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pytest

from tests.support.alexa import Alexa, Heard
from tests.support.moto_server import DynamoProxy, MotoServer, Reply, WorkoutTable, make_table
from tests.test_persistence import fresh_lambda_handler

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
# Alexa waits about 8 seconds; a reply must leave room for the network and Lambda's own overhead.
REPLY_BOUND_SECONDS = 6.0
UNSAVED = "couldn't save your progress"


class TimedHandler:
    """The skill's lambda_handler, timed per request; every request must answer within the bound."""

    def __init__(self, handler: Callable[[dict[str, Any], Any], dict[str, Any]]) -> None:
        self.handler = handler
        self.seconds: list[float] = []

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        start = time.monotonic()
        response = self.handler(event, context)
        self.seconds.append(time.monotonic() - start)
        assert self.seconds[-1] < REPLY_BOUND_SECONDS, f"a reply took {self.seconds[-1]:.1f} s"
        return response


def person(handler: TimedHandler, user: str | None = None) -> Alexa:
    alexa = Alexa(user=user)
    alexa.handler = handler
    return alexa


def carries_on(heard: Heard) -> bool:
    """The reply goes on with the workout: a block of exercise, session open."""
    block = (heard.attributes.get("workout") or {}).get("block") or {}
    return not heard.ends_session and any(w[0] == "work" for w in block.get("windows", []))


def finish(alexa: Alexa) -> Heard:
    for _ in range(60):
        heard = alexa.say("AMAZON.NextIntent")
        if heard.finished:
            return heard
    raise AssertionError("the workout never finished")


# ----- a DynamoDB endpoint that misbehaves on request ------------------------------------------
class FaultyProxy(DynamoProxy):
    """A proxy in front of moto's server that can fail or hold chosen DynamoDB operations.

    ``rules[operation]`` is a list of what to do with the next requests for that operation, one
    entry each ("throttle", "error", "hang"); when it is empty, requests are passed on. ``always``
    applies a fault to every request of an operation until cleared.
    """

    ERRORS: ClassVar[dict[str, tuple[int, str, str]]] = {
        "throttle": (400, "ProvisionedThroughputExceededException", "The level of configured provisioned throughput"),
        "error": (500, "InternalServerError", "Internal server error"),
    }

    def __init__(self, upstream: MotoServer) -> None:
        self.rules: dict[str, list[str]] = {}
        self.always: dict[str, str] = {}
        self.seen: dict[str, int] = {}
        self.released = threading.Event()
        super().__init__(upstream.port)

    def intercept(self, operation: str) -> Reply | str | None:
        self.seen[operation] = self.seen.get(operation, 0) + 1
        queued = self.rules.get(operation) or []
        fault = queued.pop(0) if queued else self.always.get(operation)
        if fault == "hang":
            self.released.wait(30)
            return "drop"
        if fault in self.ERRORS:
            status, code, message = self.ERRORS[fault]
            payload = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message})
            return status, {"Content-Type": "application/x-amz-json-1.0"}, payload.encode()
        return None

    def close(self) -> None:
        self.released.set()
        super().close()


class SilentServer:
    """Accepts TCP connections (the kernel completes the handshake) and never answers."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"

    def close(self) -> None:
        self.socket.close()


@pytest.fixture
def own_moto() -> Iterator[MotoServer]:
    """A moto server this test may stop and start."""
    server = MotoServer()
    yield server
    server.stop()


@pytest.fixture
def proxy(own_moto: MotoServer) -> Iterator[FaultyProxy]:
    faulty = FaultyProxy(own_moto)
    yield faulty
    faulty.close()


def skill_on(endpoint: str, table: str, monkeypatch: pytest.MonkeyPatch) -> TimedHandler:
    """The real lambda_handler, its storage the given table behind the given endpoint."""
    monkeypatch.setenv("WORKOUT_TABLE", table)
    monkeypatch.setenv("DYNAMODB_ENDPOINT_URL", endpoint)
    return TimedHandler(fresh_lambda_handler())


@pytest.fixture
def table(own_moto: MotoServer, aws_env: dict[str, str]) -> WorkoutTable:
    return make_table(own_moto)


# ----- DynamoDB -------------------------------------------------------------------------------
def test_server_stopped_mid_workout_the_coach_carries_on_and_saves_when_it_is_back(
    own_moto: MotoServer, table: WorkoutTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = skill_on(own_moto.url, table.name, monkeypatch)
    alexa = person(handler)
    alexa.say("StartWorkoutIntent", area="lower_back", duration="PT5M")
    finish(alexa)  # yesterday's workout: history that must survive the outage
    alexa.wait(days=1)
    alexa.say("StartWorkoutIntent", area="full_back", level="advanced", duration="PT20M")
    before = table.document(alexa.user)
    assert before is not None and len(before["history"]) == 1

    own_moto.stop()
    first = alexa.say("AMAZON.NextIntent")
    assert UNSAVED in first and carries_on(first)
    second = alexa.say("AMAZON.NextIntent")
    assert UNSAVED not in second and carries_on(second), "said once per session, not at every step"
    assert second.attributes["workout"]["block"]["start"] > first.attributes["workout"]["block"]["start"]

    own_moto.start()
    third = alexa.say("AMAZON.NextIntent")
    assert UNSAVED not in third and carries_on(third)
    after = table.document(alexa.user)
    assert after is not None and after["workout"] == third.attributes["workout"]
    assert after["history"] == before["history"]


def test_stopping_during_an_outage_does_not_claim_the_progress_is_saved(
    own_moto: MotoServer, table: WorkoutTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    alexa = person(skill_on(own_moto.url, table.name, monkeypatch))
    alexa.say("StartWorkoutIntent", area="upper_back", place="gym")
    own_moto.stop()
    bye = alexa.say("AMAZON.StopIntent")
    assert bye.ends_session and UNSAVED in bye and "progress is saved" not in bye


def test_stopping_when_reads_work_but_every_write_fails_does_not_claim_the_progress_is_saved(
    proxy: FaultyProxy, table: WorkoutTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    alexa = person(skill_on(proxy.url, table.name, monkeypatch))
    alexa.say("StartWorkoutIntent", area="upper_back", place="gym")
    proxy.always = {"PutItem": "error"}
    bye = alexa.say("AMAZON.StopIntent")
    assert proxy.seen.get("GetItem") and bye.ends_session
    assert UNSAVED in bye and "progress is saved" not in bye


def test_a_missing_table_is_told_and_the_workout_still_runs(
    proxy: FaultyProxy, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    alexa = person(skill_on(proxy.url, "NoSuchTable", monkeypatch))
    start = alexa.say("StartWorkoutIntent", area="lower_back", level="beginner")
    assert UNSAVED in start and carries_on(start)
    assert carries_on(alexa.say("AMAZON.NextIntent"))
    assert proxy.seen == {"GetItem": 2}, "one read a step, not retried; nothing written after a failed read"


def test_on_a_screen_the_countdown_waits_for_the_storage_notice(
    proxy: FaultyProxy, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from skill.speech import timeline_from_ssml
    from tests.test_screen import assert_screen_counts_with_the_coach

    alexa = person(skill_on(proxy.url, "NoSuchTable", monkeypatch))
    alexa.screen = True
    heard = alexa.say("StartWorkoutIntent", area="lower_back", level="intermediate")
    assert heard.text.lower().startswith("i couldn't save")
    notice = timeline_from_ssml(heard.ssml).segments[1].at  # the reply proper starts after the notice
    assert assert_screen_counts_with_the_coach(heard, offset=notice) > 5


def test_a_server_that_never_answers_costs_one_timeout_not_the_reply(
    aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    silent = SilentServer()
    try:
        handler = skill_on(silent.url, "StrongBackProgress", monkeypatch)
        alexa = person(handler)
        start = alexa.say("StartWorkoutIntent", area="upper_back", duration="PT10M")
        assert UNSAVED in start and carries_on(start)
        assert carries_on(alexa.say("AMAZON.NextIntent"))
        assert carries_on(alexa.say("AMAZON.NextIntent"))
    finally:
        silent.close()
    assert len(handler.seconds) == 3  # each one under the bound (TimedHandler checks)


def test_throttled_reads_and_writes_are_retried_inside_the_budget(
    proxy: FaultyProxy, table: WorkoutTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    alexa = person(skill_on(proxy.url, table.name, monkeypatch))
    proxy.rules = {"GetItem": ["throttle", "error"], "PutItem": ["throttle"]}
    heard = alexa.say("StartWorkoutIntent", area="full_back", place="home")
    assert UNSAVED not in heard and carries_on(heard)
    assert proxy.seen == {"GetItem": 3, "PutItem": 2}
    stored = table.document(alexa.user)
    assert stored is not None and stored["workout"] == heard.attributes["workout"]


def test_throttled_without_end_gives_up_in_time_and_says_so(
    proxy: FaultyProxy, table: WorkoutTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = skill_on(proxy.url, table.name, monkeypatch)
    alexa = person(handler)
    alexa.say("StartWorkoutIntent", area="lower_back", duration="PT10M")
    proxy.always = {"PutItem": "throttle"}
    heard = alexa.say("AMAZON.NextIntent")
    assert UNSAVED in heard and carries_on(heard)
    assert proxy.seen["PutItem"] > 2, "throttling is retried"
    assert handler.seconds[-1] < 3.0, "but only within the storage budget (2 s a call)"


def test_a_write_that_hangs_is_abandoned_and_the_next_step_saves(
    proxy: FaultyProxy, table: WorkoutTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    alexa = person(skill_on(proxy.url, table.name, monkeypatch))
    alexa.say("StartWorkoutIntent", area="upper_back", place="gym", level="advanced")
    proxy.rules = {"PutItem": ["hang"]}
    stuck = alexa.say("AMAZON.NextIntent")
    assert UNSAVED in stuck and carries_on(stuck)
    later = alexa.say("AMAZON.NextIntent")
    stored = table.document(alexa.user)
    assert stored is not None and stored["workout"] == later.attributes["workout"]


def test_a_step_that_could_not_read_storage_writes_nothing_over_it(
    proxy: FaultyProxy, table: WorkoutTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reads fail while writes work: writing then would replace the stored history with none."""
    alexa = person(skill_on(proxy.url, table.name, monkeypatch))
    alexa.say("StartWorkoutIntent", area="lower_back", duration="PT5M")
    finish(alexa)
    alexa.wait(days=1)
    alexa.say("StartWorkoutIntent", area="lower_back", duration="PT20M")
    stored = table.document(alexa.user)
    proxy.always = {"GetItem": "error"}
    heard = alexa.say("AMAZON.NextIntent")
    assert UNSAVED in heard and carries_on(heard)
    assert table.document(alexa.user) == stored, "nothing may be written by a step that could not read"
    proxy.always = {}
    back = alexa.say("AMAZON.NextIntent")
    now = table.document(alexa.user)
    assert now is not None and now["history"] == stored["history"] and now["workout"] == back.attributes["workout"]
    assert "finished one workout" in alexa.say("ProgressIntent")


# ----- SQLite ---------------------------------------------------------------------------------
WRITER = """
import hashlib, json, sys
from skill.alexa.persistence import sqlite_adapter
adapter = sqlite_adapter(sys.argv[1], key=lambda user: user)
users = [f"user-{n}" for n in range(4)]
step = int(sys.argv[2])  # where the last writer got to: every step is newer than anything stored
while True:
    for user in users:
        payload = [step] * (1 + step % 300)  # documents of changing size, across page boundaries
        digest = hashlib.sha256(json.dumps(payload).encode()).hexdigest()
        adapter.save_attributes(user, {"v": 1, "step": step, "payload": payload, "digest": digest})
    step += 1
"""


def test_a_writer_killed_at_any_moment_leaves_whole_documents(tmp_path: Path) -> None:
    import hashlib

    from skill.alexa.persistence import sqlite_adapter

    path = tmp_path / "progress.db"
    rng = random.Random(int(os.environ.get("KILL_SEED", "20261125")))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    last: dict[str, int] = {}
    for _ in range(25):
        start = max(last.values(), default=0) + 1
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(start)], env=env)
        time.sleep(rng.uniform(0.0, 0.6))  # sometimes before the first write, sometimes mid-stream
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        with sqlite3.connect(path) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        reader = sqlite_adapter(path, key=lambda user: user)
        for user in (f"user-{n}" for n in range(4)):
            document = reader.get_attributes(user)  # type: ignore[arg-type]
            if not document:
                assert user not in last, "a committed document disappeared"
                continue
            digest = hashlib.sha256(json.dumps(document["payload"]).encode()).hexdigest()
            assert document["digest"] == digest and document["payload"][0] == document["step"]
            assert document["step"] >= last.get(user, 0), "a committed write was lost"
            last[user] = document["step"]
        assert reader.store.moved_aside is None
    assert last, "the writer never got to write anything; the kill timing is off"


def damage(path: Path, how: str) -> None:
    if how == "not a database":
        path.write_bytes(b"this is not a database, it is a shopping list\n" * 200)
        return
    with sqlite3.connect(path) as connection:  # a real database with several pages, then a page trampled
        connection.execute("CREATE TABLE attributes (id TEXT PRIMARY KEY, body TEXT NOT NULL, updated REAL NOT NULL)")
        for n in range(200):
            connection.execute("INSERT INTO attributes VALUES (?, ?, 0)", (f"user-{n}", json.dumps({"v": 1, "n": n})))
    data = bytearray(path.read_bytes())
    data[4096 + 8 : 4096 + 600] = os.urandom(592)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("how", ["not a database", "a damaged page"])
def test_a_damaged_progress_file_is_moved_aside_and_the_person_told_where(
    how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "strong-back.db"
    damage(path, how)
    damaged = path.read_bytes()
    monkeypatch.setenv("STRONG_BACK_DB", str(path))
    alexa = person(TimedHandler(fresh_lambda_handler()))
    hello = alexa.open()
    (aside,) = tmp_path.glob("strong-back.db.corrupt-*")
    assert aside.read_bytes() == damaged
    assert "couldn't be read" in hello and str(aside) in hello.text and not hello.ends_session
    start = alexa.say("StartWorkoutIntent", area="lower_back")
    assert "couldn't be read" not in start and carries_on(start)
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT count(*) FROM attributes").fetchone() == (1,)


def test_a_threads_first_client_is_made_before_its_calls_budget_starts(proxy: FaultyProxy, table: WorkoutTable) -> None:
    """Making a client (botocore loads its service model) is set-up, not waiting on DynamoDB: on a
    new thread, a throttled read is still retried within the budget however long that took."""
    import threading
    import time

    from skill.progress import merge_attributes
    from skill.storage.dynamodb import DynamoDBStore, make_client

    clients = make_client(proxy.url)
    make = clients._make

    def slow_make() -> object:  # a slow set-up (a cold disk, a busy machine): the fault to cause
        time.sleep(0.8)
        return make()

    clients._make = slow_make
    store = DynamoDBStore(table.name, clients, merge_attributes)
    proxy.rules = {"GetItem": ["throttle"]}
    outcome: list[object] = []
    reader = threading.Thread(target=lambda: outcome.append(store.read("amzn1.ask.account.new")))
    reader.start()
    reader.join(timeout=10)
    assert outcome and proxy.seen == {"GetItem": 2}, (outcome, proxy.seen)  # throttled, then retried
