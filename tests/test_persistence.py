"""Progress kept between steps, sessions and days, on a real DynamoDB wire API and on SQLite.

Every behavioural test runs twice: with DynamoDB (moto's server on 127.0.0.1, the table made
as template.yaml declares it, real boto3 calls) and with the SQLite file. Conversations go
through ``lambda/lambda_function.py`` loaded afresh for each test, so the module picks its
storage from the environment exactly as it does on Lambda (``WORKOUT_TABLE`` and
``DYNAMODB_ENDPOINT_URL``, or ``STRONG_BACK_DB``); the copy that tests/support/alexa.py loads once
for the other tests keeps its own SQLite file. What was stored is read back directly (boto3
``get_item``, or sqlite3), not through the skill.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import pytest
from ask_sdk_model import RequestEnvelope

from skill.alexa.builder import get_skill
from skill.alexa.persistence import dynamodb_adapter, sqlite_adapter
from skill.errors import StorageError
from tests.support.alexa import Alexa, load_lambda_handler
from tests.support.events import launch_event, request_envelope

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter

    from tests.support.moto_server import WorkoutTable

pytestmark = pytest.mark.slow


def fresh_lambda_handler() -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """lambda_function.lambda_handler from a new copy of the module: storage chosen from the environment now."""
    get_skill.cache_clear()  # the module builds the skill with get_skill(), cached per process
    try:
        handler: Callable[[dict[str, Any], Any], dict[str, Any]] = load_lambda_handler()
        return handler
    finally:
        get_skill.cache_clear()


@dataclass
class Storage:
    """One kind of storage: the skill's handler over it, its adapter, and a direct reader."""

    kind: str
    handler: Callable[[dict[str, Any], Any], dict[str, Any]]
    adapter: Callable[[], AbstractPersistenceAdapter]
    document: Callable[[str], dict[str, Any] | None]

    def person(self, user: str | None = None) -> Alexa:
        alexa = Alexa(user=user)
        alexa.handler = self.handler
        return alexa


def sqlite_document(path: Path, user: str) -> dict[str, Any] | None:
    with sqlite3.connect(path) as connection:
        row = connection.execute("SELECT body FROM attributes WHERE id = ?", (user,)).fetchone()
    return None if row is None else json.loads(row[0])


@pytest.fixture(params=["dynamodb", "sqlite"])
def storage(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Storage:
    if request.param == "dynamodb":
        table: WorkoutTable = request.getfixturevalue("workout_table")
        return Storage(
            "dynamodb", fresh_lambda_handler(), lambda: dynamodb_adapter(table.name, table.endpoint), table.document
        )
    path = tmp_path / "progress.db"
    monkeypatch.setenv("STRONG_BACK_DB", str(path))
    handler = fresh_lambda_handler()
    return Storage("sqlite", handler, lambda: sqlite_adapter(path), lambda user: sqlite_document(path, user))


def test_progress_is_saved_after_every_step(storage: Storage) -> None:
    alexa = storage.person()
    heard = alexa.say("StartWorkoutIntent", area="full_back", level="advanced", duration="PT20M")
    positions = []
    for _ in range(60):
        stored = storage.document(alexa.user)
        assert stored is not None, "nothing was saved after a step"
        if heard.finished:
            # the finished workout is kept with its last reply, so a pause during that reply can reopen it
            assert stored["workout"]["status"] == "finished" and len(stored["history"]) == 1
            break
        assert stored["workout"] == heard.attributes["workout"]
        positions.append(tuple(stored["workout"]["block"]["start"][:3]))
        heard = alexa.say("AMAZON.NextIntent")
    else:
        raise AssertionError("the workout never finished")
    assert len(positions) >= 3 and positions == sorted(set(positions)), "each step starts further on"


def test_resume_my_workout_the_next_day_in_a_new_session(storage: Storage) -> None:
    alexa = storage.person()
    first = alexa.say("StartWorkoutIntent", area="upper_back", place="gym", level="intermediate")
    alexa.say("AMAZON.NextIntent")
    assert alexa.say("AMAZON.StopIntent").ends_session
    alexa.wait(hours=22)
    back = alexa.say("AMAZON.ResumeIntent")  # a new session: Alexa sends session.new = true
    assert "welcome back" in back
    assert back.attributes["workout"]["steps"] == first.attributes["workout"]["steps"]
    assert back.attributes["workout"]["block"]["start"][0] > 0, "it should carry on past the first exercise"


def test_another_device_of_the_same_person_picks_up_the_workout(storage: Storage) -> None:
    kitchen = storage.person()
    kitchen.say("StartWorkoutIntent", area="full_back", place="home")
    kitchen.leave()
    bedroom = storage.person(user=kitchen.user)
    bedroom.wait(hours=1)
    hello = bedroom.open()
    assert "resume" in hello and "full back" in hello


def test_history_and_streak_over_three_days(storage: Storage) -> None:
    alexa = storage.person()
    for _ in range(3):
        alexa.say("StartWorkoutIntent", area="lower_back", duration="PT5M")
        for _ in range(40):
            if alexa.say("AMAZON.NextIntent").finished:
                break
        alexa.wait(days=1)
    progress = alexa.say("ProgressIntent")
    assert "three workouts" in progress and "three day streak" in progress
    stored = storage.document(alexa.user)
    assert stored is not None
    days = [date.fromisoformat(record["date"]) for record in stored["history"]]
    assert len(days) == 3 and [(b - a).days for a, b in itertools.pairwise(days)] == [1, 1]


def test_two_people_never_see_each_other_s_progress(storage: Storage) -> None:
    ana, ben = storage.person(), storage.person()
    ana.say("StartWorkoutIntent", area="lower_back", duration="PT5M")
    for _ in range(40):
        if ana.say("AMAZON.NextIntent").finished:
            break
    ben_hears = ben.say("ProgressIntent")
    assert "haven't finished a workout" in ben_hears
    ben.say("StartWorkoutIntent", area="upper_back", place="gym")
    ben.leave()
    assert "finished one workout" in ana.say("ProgressIntent")
    ana_doc, ben_doc = storage.document(ana.user), storage.document(ben.user)
    assert ana_doc is not None and ben_doc is not None
    assert len(ana_doc["history"]) == 1 and ana_doc["workout"] is None
    assert ben_doc["history"] == [] and ben_doc["workout"]["area"] == "upper_back"


# ----- the adapters themselves: same three methods, same behaviour ---------------------------
def request_for(user: str | None) -> RequestEnvelope:
    return request_envelope(launch_event(user))


DOCUMENT = {
    "v": 1,
    "workout": {"seconds": 12.5, "pos": [2, 1, 0, 7.3], "block": None, "results": ["done", None, "skipped"]},
    "history": [{"date": "2026-11-24", "minutes": 10, "completed": 4, "name": "Zoë's “plank”", "note": ""}],
    "first_seen": "2026-11-20",
    "flags": {"ok": True, "ratio": 0.1, "big": 10**12},
}


def test_adapters_store_load_and_delete_alike(storage: Storage) -> None:
    adapter = storage.adapter()
    ana, ben = request_for("amzn1.ask.account.ana"), request_for("amzn1.ask.account.ben")
    assert adapter.get_attributes(ana) == {}
    adapter.save_attributes(ana, DOCUMENT)
    loaded = adapter.get_attributes(ana)
    assert loaded == DOCUMENT and json.loads(json.dumps(loaded)) == DOCUMENT
    assert adapter.get_attributes(ben) == {}
    changed = {**DOCUMENT, "workout": None, "first_seen": "2026-11-21"}
    adapter.save_attributes(ana, changed)
    assert adapter.get_attributes(ana) == changed
    assert storage.document("amzn1.ask.account.ana") == changed
    adapter.delete_attributes(ana)
    assert adapter.get_attributes(ana) == {} and storage.document("amzn1.ask.account.ana") is None


def test_adapters_refuse_a_request_without_a_user(storage: Storage) -> None:
    with pytest.raises(StorageError):
        storage.adapter().get_attributes(request_for(None))


def test_the_item_is_keyed_as_the_template_declares(workout_table: WorkoutTable) -> None:
    from tests.support.moto_server import table_properties

    adapter = dynamodb_adapter(workout_table.name, workout_table.endpoint)
    adapter.save_attributes(request_for("amzn1.ask.account.key"), {"v": 1})
    (hash_key,) = [k["AttributeName"] for k in table_properties()["KeySchema"] if k["KeyType"] == "HASH"]
    item = workout_table.item("amzn1.ask.account.key")
    assert item is not None and item[hash_key] == "amzn1.ask.account.key" and json.loads(item["attributes"]) == {"v": 1}
