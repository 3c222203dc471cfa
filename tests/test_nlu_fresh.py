"""The offline parser on phrasings it was not built from: tests/data/utterances_fresh_{dev,test}.toml.

Both halves were written before the models or the parser were read, and split at random. The
parser was tuned on DEV failures only; TEST was measured once, at the end (97.5%). The floors
sit a little below what was reached, so that a change that costs generalisation fails here.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from interaction_models import load_model
from local_runner.understanding.parser import understander

DATA = Path(__file__).parent / "data"
HALVES = ("dev", "test")
FLOORS = {"dev": 0.97, "test": 0.95}  # reached: DEV 277/279 = 99.3%, TEST 269/276 = 97.5%
FALLBACK = "AMAZON.FallbackIntent"
# Fallback cases known to be misread, found when TEST was first looked at (after tuning ended) and
# left unfixed so TEST stays unseen by the tuning: an unknown word where a slot value goes reads as
# an unresolved value, as Alexa would read it ("make it warmer" asks for an unknown direction).
KNOWN_MISSES = {("test", "make it warmer in here")}


def cases(half: str) -> list[dict[str, Any]]:
    with (DATA / f"utterances_fresh_{half}.toml").open("rb") as handle:
        return list(tomllib.load(handle)["case"])


def scored(half: str) -> list[dict[str, Any]]:
    return [case for case in cases(half) if not case.get("ambiguous")]


def right(case: dict[str, Any]) -> bool:
    got = understander().understand(case["text"]).to_contract()
    return got == {"intent": case["intent"], "slots": case.get("slots", {})}


@pytest.mark.parametrize("half", HALVES)
def test_accuracy_on_fresh_phrasings_stays_above_its_floor(half: str) -> None:
    found = scored(half)
    misses = [case["text"] for case in found if not right(case)]
    accuracy = 1 - len(misses) / len(found)
    print(f"{half}: {accuracy:.1%} of {len(found)} (intent and slot ids)")
    assert accuracy >= FLOORS[half], f"{half}: {accuracy:.1%} understood; missed: {misses}"


def _fallback_cases() -> list[Any]:
    params = []
    for half in HALVES:
        for case in scored(half):
            if case["intent"] == FALLBACK:
                known = (half, case["text"]) in KNOWN_MISSES
                marks = [pytest.mark.xfail(strict=True, reason="known miss, see KNOWN_MISSES")] if known else []
                params.append(pytest.param(case["text"], marks=marks, id=f"{half}: {case['text']}"))
    return params


@pytest.mark.parametrize("text", _fallback_cases())
def test_every_out_of_domain_case_falls_back(text: str) -> None:
    got = understander().understand(text)
    assert (got.intent, got.slots) == (FALLBACK, {})


# Intents the skill gained after the fresh set was written: a phrasing written now would not be
# fresh, so they are tested elsewhere (tests/data/utterances.toml, the dialog tests).
NEWER_THAN_THE_SET = frozenset({"ReportPainIntent", "RateWorkoutIntent"})


def test_the_fresh_set_is_what_it_claims_to_be() -> None:
    """At least 400 utterances, 60 of them out of domain, every intent of the model and the launch
    phrasing scored in both halves, and no utterance in both."""
    halves = {half: cases(half) for half in HALVES}
    assert sum(len(found) for found in halves.values()) >= 400
    assert sum(1 for half in HALVES for case in scored(half) if case["intent"] == FALLBACK) >= 60
    intents = {intent["name"] for intent in load_model("en-US")["intents"]} | {"LaunchRequest"}
    for half in HALVES:
        assert {case["intent"] for case in scored(half)} - NEWER_THAN_THE_SET == intents - NEWER_THAN_THE_SET, half
        for case in halves[half]:
            assert set(case) <= {"text", "intent", "slots", "ambiguous", "note"}, case
            assert not case.get("ambiguous") or case.get("note"), f"{case['text']!r}: say why it is ambiguous"
    texts = [{case["text"].lower() for case in halves[half]} for half in HALVES]
    assert not texts[0] & texts[1]
