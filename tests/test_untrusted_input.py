"""What a request may carry that the skill must not trust: its locale and its session attributes.

Through the real ``lambda_handler`` (the web endpoint hands the same envelope to the same skill).
A locale is only ever looked up among the supported ones; session attributes are checked against
hard bounds before anything walks them, and a forged workout is ignored like a damaged one: the
coach carries on from storage.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import pytest

from interaction_models import SOURCE_PATH
from skill.dialog import LOCALE_DIR, SUPPORTED_LOCALES
from skill.workout import MAX_STEPS
from tests.support.alexa import Alexa

PLANTED = "The planted dialog speaks."


def test_the_dialog_supports_exactly_the_locales_of_the_interaction_models() -> None:
    source = tomllib.loads(SOURCE_PATH.read_text(encoding="utf-8"))
    assert set(SUPPORTED_LOCALES) == set(source["locales"])


def plant_dialog(folder: Path) -> str:
    """A dialog.toml in ``folder`` whose every phrase is ``PLANTED``; the locale that reaches it as a path.

    The folder's path must have no capitals and no ``-``, which the old lookup changed before using it.
    """
    english = tomllib.loads((LOCALE_DIR / "en" / "dialog.toml").read_text(encoding="utf-8"))
    lines = []
    for table, entries in english.items():
        if not isinstance(entries, dict):
            continue
        lines.append(f"[{table}]")
        lines += [f'{key} = "{PLANTED}"' for key, value in entries.items() if isinstance(value, (str, list))]
    (folder / "dialog.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    ups = "/".join([".."] * len(LOCALE_DIR.resolve().parts[1:]))
    return f"{ups}{folder.resolve()}"


def test_a_locale_that_is_a_path_cannot_make_the_coach_speak_a_planted_dialog() -> None:
    folder = Path(tempfile.mkdtemp(prefix="planted"))
    try:
        locale = plant_dialog(folder)
        assert not re.search(r"[A-Z-]", locale), "choose a temporary folder without capitals or dashes"
        heard = Alexa(locale=locale).open()
    finally:
        shutil.rmtree(folder)
    assert PLANTED.lower() not in heard.text.lower()
    assert "welcome to strong back" in heard


@pytest.mark.parametrize(
    "locale", ["x" * 1_000_000, "en-ZZ", "", "EN-us", "de-DE"], ids=["1MB", "en-ZZ", "empty", "case", "de"]
)
def test_an_unsupported_locale_gets_english(locale: str) -> None:
    heard = Alexa(locale=locale).open()
    assert "welcome to strong back" in heard


def test_every_supported_locale_is_answered() -> None:
    for locale in SUPPORTED_LOCALES:
        assert "welcome to strong back" in Alexa(locale=locale).open()


def nested(depth: int) -> list[Any]:
    root: list[Any] = []
    inner = root
    for _ in range(depth - 1):
        inner.append([])
        inner = inner[0]
    return root


def started() -> Alexa:
    alexa = Alexa()
    alexa.open()
    alexa.say("StartWorkoutIntent", area="lower_back", duration="PT10M")
    return alexa


def exercises_left(heard: Any) -> str:
    found = re.search(r"(\w+) more exercises? after this one", heard.text)
    assert found, heard.text
    return found.group(1)


# The session carries the workout as JSON text; sessions begun by an older release carry it as an
# object. A forged workout is tried both ways.
CARRIED = ["text", "object"]


def carried_workout(alexa: Alexa) -> dict[str, Any]:
    return dict(json.loads(alexa.attributes["workout"]))


def carry(alexa: Alexa, workout: Any, how: str) -> None:
    alexa.attributes["workout"] = json.dumps(workout) if how == "text" else workout


@pytest.mark.parametrize("how", CARRIED)
@pytest.mark.parametrize("where", ["steps", "attribute"])
def test_session_attributes_nested_900_deep_are_ignored_not_a_crash(where: str, how: str) -> None:
    alexa = started()
    honest = exercises_left(alexa.say("WorkoutStatusIntent"))
    if where == "steps":
        workout = carried_workout(alexa)
        workout["steps"] = nested(900)
        carry(alexa, workout, how)
    else:
        alexa.attributes["padding"] = nested(900) if how == "object" else json.dumps(nested(500))
    heard = alexa.say("WorkoutStatusIntent")
    assert exercises_left(heard) == honest  # the workout goes on, from storage


@pytest.mark.parametrize("how", CARRIED)
def test_a_workout_of_ten_thousand_steps_in_the_session_is_ignored(how: str) -> None:
    alexa = started()
    honest = exercises_left(alexa.say("WorkoutStatusIntent"))
    workout = carried_workout(alexa)
    forged = copy.deepcopy(workout)
    forged["steps"] = (workout["steps"] * 10_000)[:10_000]
    forged["results"] = [None] * 10_000
    carry(alexa, forged, how)
    heard = alexa.say("WorkoutStatusIntent")
    assert exercises_left(heard) == honest
    assert "9999" not in heard.text and "nine thousand" not in heard.text


@pytest.mark.parametrize(
    "forge",
    [
        lambda w: w.update(started="2026-01-01T00:00:00.000Z" + " " * 10_000),
        lambda w: w["steps"][0].update(exercise="plank" * 1000),
        lambda w: w.update(steps=w["steps"] * (MAX_STEPS // len(w["steps"]) + 1)),
        lambda w: w.update(extra={str(n): n for n in range(5000)}),
    ],
    ids=["long-timestamp", "long-exercise-id", "too-many-steps", "huge-object"],
)
@pytest.mark.parametrize("how", CARRIED)
def test_a_workout_beyond_the_hard_bounds_is_ignored_with_a_warning(
    forge: Any, how: str, caplog: pytest.LogCaptureFixture
) -> None:
    alexa = started()
    honest = exercises_left(alexa.say("WorkoutStatusIntent"))
    workout = carried_workout(alexa)
    forge(workout)
    carry(alexa, workout, how)
    with caplog.at_level("WARNING"):
        heard = alexa.say("WorkoutStatusIntent")
    assert exercises_left(heard) == honest
    assert "ignored" in caplog.text


@pytest.mark.parametrize("damage", ["no intent", "no name"])
def test_an_intent_request_with_no_intent_is_not_understood_not_an_error(damage: str) -> None:
    from local_runner import envelopes

    alexa = started()
    request = envelopes.intent_request("AMAZON.PauseIntent")
    if damage == "no intent":
        del request["intent"]
    else:
        del request["intent"]["name"]
    heard = alexa.send(request)
    assert "didn't catch that" in heard.text and "went wrong" not in heard.text
    assert exercises_left(alexa.say("WorkoutStatusIntent"))  # the workout is still there
