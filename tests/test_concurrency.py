"""Isolation and concurrency: many people at once, and two devices of one person racing.

- The adapters themselves, on moto's server (a process of its own, tests/support/moto_server.py) and on
  a SQLite file: saves made from the same revision are merged, never lost; many devices saving
  at once lose no acknowledged write; documents from before revisions are saved conditionally.
- The skill in this process over SQLite, on threads (the local coach, a single-worker serve):
  twenty people doing whole workouts at once each hear only their own workout and progress,
  and each stored document holds exactly their own history.
- Two devices of one person finishing workouts in the same moment, the race made certain on
  the wire (a proxy holds both PutItems until both have arrived) or on the file (the test holds
  SQLite's write lock until both requests wait for it): both workouts are kept.
- The real ``strong-back serve`` (8 worker threads, on DynamoDB and on SQLite), with real HTTP
  requests signed with the test PKI and verified as in production: twenty people at once, and
  pairs of devices of one person in lockstep.
"""

from __future__ import annotations

import copy
import json
import sqlite3
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import pytest
from ask_sdk_model import RequestEnvelope

from skill.alexa.persistence import dynamodb_adapter, sqlite_adapter
from skill.errors import WriteConflict
from skill.progress import UserData
from skill.storage.base import StoredDocument
from skill.storage.sqlite import SQLiteStore
from skill.workout import HistoryRecord
from tests.support.alexa import Alexa
from tests.support.events import launch_event, request_envelope
from tests.support.moto_server import DynamoProxy, MotoProcess, Reply, WorkoutTable, make_table
from tests.support.people import ClockWindow, Person, Routine, SignedHttp, check_stored
from tests.test_persistence import fresh_lambda_handler, sqlite_document

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter

    from tests.support.web_pki import CertServer
    from tests.test_web_serve import Server

pytestmark = pytest.mark.slow
REPLY_BOUND_SECONDS = 6.0  # Alexa waits about 8 s; every reply, under load too, well inside it
PEOPLE = 20
DEVICES = 4  # a household with an Echo in every room, all saving at once


def run_all(jobs: list[Callable[[], None]], threads: int | None = None) -> None:
    """Run the jobs at once on threads; re-raise the first failure after all have ended."""
    with ThreadPoolExecutor(max_workers=threads or len(jobs)) as pool:
        futures = [pool.submit(job) for job in jobs]
    for future in futures:
        future.result()


# ----- the adapters ----------------------------------------------------------------------------
@pytest.fixture
def table(moto_process: MotoProcess, aws_env: dict[str, str]) -> WorkoutTable:
    return make_table(moto_process)


@pytest.fixture(params=["dynamodb", "sqlite"])
def adapter(request: pytest.FixtureRequest, tmp_path: Path) -> AbstractPersistenceAdapter:
    if request.param == "dynamodb":
        table: WorkoutTable = request.getfixturevalue("table")
        return dynamodb_adapter(table.name, table.endpoint)
    return sqlite_adapter(tmp_path / "progress.db")


def envelope_for(user: str) -> RequestEnvelope:
    return request_envelope(launch_event(user))


def record(workout_id: str, day: int = 1) -> dict[str, Any]:
    return HistoryRecord(f"2026-11-{day:02d}", "lower_back", "beginner", "home", 5, 4, 0, 300, workout_id).to_dict()


def document(*records: dict[str, Any], first_seen: str = "2026-11-01") -> dict[str, Any]:
    return {"v": 1, "workout": None, "history": list(records), "first_seen": first_seen}


def test_saves_from_the_same_revision_are_merged_not_lost(adapter: AbstractPersistenceAdapter) -> None:
    me = envelope_for("amzn1.ask.account.merge")
    adapter.save_attributes(me, document(record("old")))
    kitchen, bedroom = adapter.get_attributes(me), adapter.get_attributes(me)
    assert isinstance(kitchen, StoredDocument) and kitchen.revision == bedroom.revision == 1
    adapter.save_attributes(me, StoredDocument(document(record("old"), record("kitchen", 2)), kitchen.revision))
    adapter.save_attributes(
        me, StoredDocument(document(record("old"), record("bedroom", 3), first_seen="2026-10-30"), bedroom.revision)
    )
    stored = adapter.get_attributes(me)
    assert [r["id"] for r in stored["history"]] == ["old", "kitchen", "bedroom"]
    assert stored["first_seen"] == "2026-10-30" and stored.revision == 3


def test_many_devices_saving_at_once_lose_no_acknowledged_write(adapter: AbstractPersistenceAdapter) -> None:
    """Four devices of one person, ten workouts each, every one read-change-save at once."""
    me = envelope_for("amzn1.ask.account.busy")
    acknowledged: list[str] = []
    refused: list[str] = []
    lock = threading.Lock()

    def device(number: int) -> None:
        for n in range(10):
            workout_id = f"d{number}-w{n}"
            stored = adapter.get_attributes(me)
            assert isinstance(stored, StoredDocument)
            mine = UserData.from_attributes(stored)
            mine.record(HistoryRecord.from_dict(record(workout_id)))
            try:
                adapter.save_attributes(me, StoredDocument(mine.to_attributes(), stored.revision))
            except WriteConflict:  # reported to the caller, who says it could not save: never silent
                with lock:
                    refused.append(workout_id)
                continue
            with lock:
                acknowledged.append(workout_id)

    run_all([lambda number=number: device(number) for number in range(DEVICES)])  # type: ignore[misc]
    stored = adapter.get_attributes(me)
    kept = [r["id"] for r in stored["history"]]
    assert len(kept) == len(set(kept)), "no workout twice"
    assert set(acknowledged) <= set(kept), f"acknowledged saves lost: {sorted(set(acknowledged) - set(kept))}"
    assert len(acknowledged) + len(refused) == 10 * DEVICES
    if isinstance(adapter.store, SQLiteStore):
        assert not refused, "SQLite merges under its write lock: every save goes through"
    else:  # four writers in a tight loop: a save can run out of its time budget, but most go through
        assert len(acknowledged) >= 5 * DEVICES, f"only {len(acknowledged)} of {10 * DEVICES} saves went through"


def test_a_plain_save_moves_the_revision_on_so_a_reader_before_it_merges(adapter: AbstractPersistenceAdapter) -> None:
    me = envelope_for("amzn1.ask.account.plain")
    before = adapter.get_attributes(me)
    assert before == {} and isinstance(before, StoredDocument) and before.revision == 0
    adapter.save_attributes(me, document(record("set-up")))  # a tool writing a document over everything
    adapter.save_attributes(me, StoredDocument(document(record("mine")), before.revision))
    stored = adapter.get_attributes(me)
    assert [r["id"] for r in stored["history"]] == ["set-up", "mine"] and stored.revision == 2


def test_documents_from_before_revisions_are_revision_0_and_saved_conditionally(
    moto_process: MotoProcess, aws_env: dict[str, str], tmp_path: Path
) -> None:
    user = "amzn1.ask.account.old"
    old = document(record("before-revisions"))
    table = make_table(moto_process)  # an item as ask-sdk's adapter wrote it: a map, no revision attribute
    table.client.put_item(TableName=table.name, Item={"id": {"S": user}, "attributes": {"M": _wire(old)}})
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as connection:  # a file as the first release wrote it: no revision column
        connection.execute("CREATE TABLE attributes (id TEXT PRIMARY KEY, body TEXT NOT NULL, updated REAL NOT NULL)")
        connection.execute("INSERT INTO attributes VALUES (?, ?, 0)", (user, json.dumps(old)))
    for adapter in (dynamodb_adapter(table.name, table.endpoint), sqlite_adapter(path)):
        me = envelope_for(user)
        first, second = adapter.get_attributes(me), adapter.get_attributes(me)
        assert first == old and isinstance(first, StoredDocument) and first.revision == 0
        adapter.save_attributes(me, StoredDocument(document(record("before-revisions"), record("a", 2)), 0))
        adapter.save_attributes(me, StoredDocument(document(record("before-revisions"), record("b", 3)), 0))
        stored = adapter.get_attributes(me)
        assert [r["id"] for r in stored["history"]] == ["before-revisions", "a", "b"] and stored.revision == 2
        assert second.revision == 0


def _wire(value: dict[str, Any]) -> dict[str, Any]:
    """A document as a DynamoDB map in wire format, as items were stored before documents became strings."""
    from decimal import Decimal

    from boto3.dynamodb.types import TypeSerializer

    serializer = TypeSerializer()
    return {key: serializer.serialize(item) for key, item in json.loads(json.dumps(value), parse_float=Decimal).items()}


# ----- the skill in this process, on threads, over SQLite --------------------------------------------
class TimedHandler:
    """lambda_handler with every reply timed against the bound."""

    def __init__(self, handler: Callable[[dict[str, Any], Any], dict[str, Any]]) -> None:
        self.handler = handler
        self.slowest = 0.0

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        started = time.monotonic()
        response = self.handler(event, context)
        took = time.monotonic() - started
        self.slowest = max(self.slowest, took)
        assert took < REPLY_BOUND_SECONDS, f"a reply took {took:.1f} s"
        return response


@pytest.fixture
def sqlite_skill(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[TimedHandler, Path]:
    path = tmp_path / "progress.db"
    monkeypatch.setenv("STRONG_BACK_DB", str(path))
    return TimedHandler(fresh_lambda_handler()), path


def person(handler: Any, number: int, user: str | None = None, **options: Any) -> Person:
    alexa = Alexa(user=user or f"amzn1.ask.account.many-{uuid.uuid4()}")
    alexa.handler = handler
    return Person(alexa, Routine.number(number), **options)


def whole_life(who: Person, workouts: int) -> None:
    """Open the skill, do ``workouts`` whole workouts, then ask how it is going."""
    who.open()
    for _ in range(workouts):
        who.whole_workout()
        who.rest()
    who.progress()


def test_twenty_people_at_once_hear_only_their_own_and_keep_exactly_theirs(
    sqlite_skill: tuple[TimedHandler, Path],
) -> None:
    from skill.screen import document as screen_document

    handler, path = sqlite_skill
    shared_before = copy.deepcopy(screen_document())
    people = [person(handler, n, skip_every=3 if n % 2 else 0, ask_every=5 if n % 3 else 0) for n in range(PEOPLE)]
    run_all([lambda who=who, n=n: whole_life(who, 1 + n % 2) for n, who in enumerate(people)])  # type: ignore[misc]
    for who in people:
        check_stored(who.user, sqlite_document(path, who.user), who.expected())
    assert sum(len(who.done) for who in people) == PEOPLE + PEOPLE // 2
    assert screen_document() == shared_before, "the cached screen document was changed by a request"


# ----- two devices of one person, racing for certain ------------------------------------------------
class PutGate(DynamoProxy):
    """A proxy in front of moto's server that holds PutItems until ``arm(n)``'s n have arrived.

    Then it lets them all through at once; anything after goes straight through. It counts the
    conditional puts that failed (``conflicts``): proof that the race was real.
    """

    def __init__(self, upstream_port: int) -> None:
        self.condition = threading.Condition()
        self.armed = 0
        self.waiting = 0
        self.conflicts = 0
        self.operations: set[str] = set()
        super().__init__(upstream_port)

    def intercept(self, operation: str) -> Reply | str | None:
        self.operations.add(operation)
        if operation == "PutItem":
            self.hold()
        return None

    def observe(self, operation: str, reply: Reply) -> None:
        if b"ConditionalCheckFailedException" in reply[2]:
            with self.condition:
                self.conflicts += 1

    def arm(self, count: int) -> None:
        with self.condition:
            self.armed, self.waiting = count, 0

    def hold(self) -> None:
        with self.condition:
            if not self.armed:
                return
            self.waiting += 1
            if self.waiting >= self.armed:
                self.armed = 0
                self.condition.notify_all()
                return
            # under the adapter's 1 s read timeout: a step that writes nothing must not cost a retry
            if not self.condition.wait_for(lambda: self.armed == 0, timeout=0.7):
                self.armed = 0


@pytest.fixture
def gate(moto_process: MotoProcess) -> Iterator[PutGate]:
    proxy = PutGate(moto_process.port)
    yield proxy
    proxy.close()


def function_role_actions() -> set[str]:
    """The DynamoDB actions template.yaml lets the Lambda function's role take."""
    from tests.support.moto_server import template

    functions = [r for r in template()["Resources"].values() if r["Type"] == "AWS::Serverless::Function"]
    statements = [s for f in functions for p in f["Properties"].get("Policies", []) for s in p.get("Statement", [])]
    actions = {action for statement in statements for action in statement.get("Action", [])}
    assert actions, "template.yaml gives the function no actions"
    return {action for action in actions if action.startswith("dynamodb:")}


class HeldWriteLock:
    """The test holds SQLite's write lock while both devices' requests run, then lets go."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def around(self, steps: Callable[[], None]) -> None:
        blocker = sqlite3.connect(self.path, isolation_level=None)
        try:
            blocker.execute("BEGIN IMMEDIATE")
            runner = threading.Thread(target=steps)
            runner.start()
            time.sleep(0.4)  # both requests have read (WAL readers do not wait) and wait to write
            blocker.execute("COMMIT")
            runner.join()
        finally:
            blocker.close()


def pair_in_lockstep(kitchen: Person, bedroom: Person, race: Callable[[Callable[[], None]], None]) -> None:
    """Both devices open, start and step at the same moments, every round raced by ``race``."""
    with ThreadPoolExecutor(max_workers=2) as pool:

        def both(action: Callable[[Person], Any]) -> Callable[[], None]:
            def run() -> None:
                busy = [d for d in (kitchen, bedroom) if not d.finished]
                for future in [pool.submit(action, d) for d in busy]:
                    future.result()

            return run

        both(lambda d: d.open())()
        race(both(lambda d: d.start()))
        for _ in range(80):
            if kitchen.finished and bedroom.finished:
                return
            race(both(lambda d: d.step()))
    raise AssertionError("the workouts did not finish")


def two_devices(handler: Any, same_routine: bool) -> tuple[Person, Person]:
    user = f"amzn1.ask.account.pair-{uuid.uuid4()}"
    done: list[Any] = []  # one person: both devices' workouts count for them
    kitchen = person(handler, 7, user, earlier=done)
    bedroom = person(handler, 7 if same_routine else 11, user, earlier=done)
    return kitchen, bedroom


def test_two_devices_finishing_in_the_same_moment_keep_both_workouts_dynamodb(
    gate: PutGate, moto_process: MotoProcess, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    table = make_table(moto_process)
    monkeypatch.setenv("WORKOUT_TABLE", table.name)
    monkeypatch.setenv("DYNAMODB_ENDPOINT_URL", gate.url)
    kitchen, bedroom = two_devices(TimedHandler(fresh_lambda_handler()), same_routine=True)

    def race(steps: Callable[[], None]) -> None:
        gate.arm(2)
        steps()

    pair_in_lockstep(kitchen, bedroom, race)
    assert gate.conflicts >= 2, "the saves did race (the start and the finish at least)"
    allowed = {action.removeprefix("dynamodb:") for action in function_role_actions()}
    assert gate.operations <= allowed, f"the function's role does not allow {gate.operations - allowed}"
    check_stored(kitchen.user, table.document(kitchen.user), kitchen.expected())
    assert len(kitchen.done) == 2
    kitchen.progress()


def test_two_devices_finishing_in_the_same_moment_keep_both_workouts_sqlite(
    sqlite_skill: tuple[TimedHandler, Path],
) -> None:
    handler, path = sqlite_skill
    kitchen, bedroom = two_devices(handler, same_routine=True)
    pair_in_lockstep(kitchen, bedroom, HeldWriteLock(path).around)
    check_stored(kitchen.user, sqlite_document(path, kitchen.user), kitchen.expected())
    assert len(kitchen.done) == 2
    kitchen.progress()


# ----- the real server: strong-back serve, DynamoDB or SQLite, signed HTTP ----------------------------
@pytest.fixture(scope="module")
def certs() -> Iterator[CertServer]:
    from tests.support.web_pki import CertServer, pki, serve_bytes

    with CertServer({"/echo.api/good.pem": serve_bytes(pki().chain())}) as server:
        yield server


@dataclass
class Served:
    """The running server and a way to read what it stored, not through the skill."""

    server: Server
    document: Callable[[str], dict[str, Any] | None]


@pytest.fixture(scope="module", params=["dynamodb", "sqlite"])
def served(
    request: pytest.FixtureRequest,
    certs: CertServer,
    moto_process: MotoProcess,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Served]:
    """The server's 8 worker threads over DynamoDB, and over a SQLite file."""
    from tests.test_web_serve import environment, free_port, running, strong_back

    tmp = tmp_path_factory.mktemp(f"serve-{request.param}")
    port = free_port()
    if request.param == "dynamodb":
        table = make_table(moto_process)
        env = environment(tmp, certs.origin, **table.env)
        stored: Callable[[str], dict[str, Any] | None] = table.document
    else:
        env = environment(tmp, certs.origin)
        stored = partial(sqlite_document, tmp / "serve.db")
    command = [*strong_back(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with running(command, env, tmp / "serve.log", port) as server:
        yield Served(server, stored)


def http_person(url: str, number: int, user: str | None = None, **options: Any) -> Person:
    """A device on the served endpoint: longer routines, and "how many are left?" every fourth request."""
    window = ClockWindow()
    alexa = Alexa(user=user or f"amzn1.ask.account.http-{uuid.uuid4()}", start=window.lowest())
    alexa.handler = SignedHttp(url)
    return Person(alexa, Routine.number(number, ("PT15M", "PT20M")), window=window, ask_every=4, **options)


def test_twenty_people_at_once_through_serve(served: Served) -> None:
    """One workout each: requests must be stamped within 150 s of the server's clock either way, and
    a workout's long last reply must be heard out before the next request (one that cut it short
    would reopen the workout), so two finishes in a row do not fit in the 300 s a person has."""
    people = [http_person(served.server.url, n) for n in range(PEOPLE)]
    run_all([lambda who=who: whole_life(who, 1) for who in people])  # type: ignore[misc]
    for who in people:
        check_stored(who.user, served.document(who.user), who.expected())
        transport = who.alexa.handler
        assert isinstance(transport, SignedHttp)
        assert max(transport.latency.seconds) < REPLY_BOUND_SECONDS
    assert sum(len(who.done) for who in people) == PEOPLE
    log = served.server.output()
    assert "Traceback" not in log and " 500 " not in log and "refused=" not in log, log[-2000:]


def test_two_devices_of_each_person_in_lockstep_through_serve(served: Served) -> None:
    pairs = []
    for n in range(6):
        user = f"amzn1.ask.account.http-pair-{uuid.uuid4()}"
        done: list[Any] = []
        same = n % 2 == 0  # same routine: both finish in the same round; else they interleave
        pairs.append(
            (
                http_person(served.server.url, n, user, earlier=done),
                http_person(served.server.url, n if same else n + 5, user, earlier=done),
            )
        )
    run_all([lambda a=a, b=b: pair_in_lockstep(a, b, lambda steps: steps()) for a, b in pairs])  # type: ignore[misc]
    for kitchen, _ in pairs:
        assert len(kitchen.done) == 2
        check_stored(kitchen.user, served.document(kitchen.user), kitchen.expected())
        kitchen.progress()
