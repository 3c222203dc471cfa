"""Every phrase the coach suggests is, word for word, a sample of the intent it is meant for.

The suggestions are found in what the coach says (dialog.toml) and in the README's table of what
you can say, and mapped to intents and slot ids in tests/data/suggestions.toml (its header says
how they are found). Alexa matches samples and does not forgive the way the offline parser
does, so "say how many are left" must be a sample, not merely something the parser gets.
"""

from __future__ import annotations

import re

import pytest

from interaction_models import LOCALES
from tests.support.sample_match import readings, spoken
from tests.support.suggested import (
    ONE_SHOT,
    Suggestion,
    contains,
    dialog_texts,
    mapped,
    mapping,
    pieces,
    readme_table,
    suggestions,
)


# ---- the mapping covers every suggestion, and only words that are really there ------------------
def test_every_suggestion_in_the_dialog_ismapped() -> None:
    table = mapping()
    unmapped = []
    for key, variants in dialog_texts().items():
        phrases = {phrase for phrase in table.get(key, {}) if phrase != "answers"}
        for text in variants:
            unmapped += [f"{key}: {piece!r} in {text!r}" for piece in pieces(text) if not mapped(piece, phrases)]
    assert not unmapped, "suggestions with no line in tests/data/suggestions.toml:\n" + "\n".join(unmapped)


def test_every_question_the_coach_asks_has_its_answersmapped() -> None:
    table = mapping()
    missing = [key for key, variants in dialog_texts().items() if any("?" in t for t in variants)]
    missing = [key for key in missing if not table.get(key, {}).get("answers")]
    assert not missing, f"questions with no answers in tests/data/suggestions.toml: {missing}"


def test_every_mapped_phrase_is_in_its_text() -> None:
    texts = dialog_texts()
    stale = []
    for where, table in mapping().items():
        if where == "readme":
            continue
        if where not in texts:
            stale.append(f"{where}: no such dialog key")
            continue
        for phrase in table:
            if phrase != "answers" and not any(contains(text, phrase) for text in texts[where]):
                stale.append(f"{where}: {phrase!r} is not in {texts[where]}")
    assert not stale, "\n".join(stale)


def test_the_readme_table_is_mapped_both_ways() -> None:
    table = readme_table()
    written = set()
    for row in table.splitlines()[2:]:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        written |= {spoken(phrase) for phrase in re.findall(r"`([^`]+)`", cells[0])}
        written |= {spoken(phrase) for phrase in re.findall(r'"([^"]+)"', " ".join(cells[1:]))}
    listed = set(mapping()["readme"])
    assert written - listed == set(), "README phrases with no line in suggestions.toml"
    assert listed - written == set(), "suggestions.toml lines for phrases the README no longer has"


def test_pieces_are_cut_at_cues_commas_and_or() -> None:
    text = "Okay. Say start to begin, or stop to leave. Would you like it? You can also ask how, like this."
    assert pieces(text) == ["start to begin", "stop to leave", "how", "this"]
    assert pieces("Next time, say: ask strong back to resume my workout.") == ["ask strong back to resume my workout"]
    assert mapped("next when you're ready", {"next"}) and not mapped("next exercise", {"next"})


# ---- each suggestion is an exact sample, with the right slots, in every locale -------------------
@pytest.mark.parametrize("suggestion", suggestions(), ids=str)
def test_suggestion_is_an_exact_sample_of_its_intent(suggestion: Suggestion) -> None:
    assert "{" not in suggestion.said, f"{suggestion}: write the phrase with a value put in"
    words = ONE_SHOT.sub("", spoken(suggestion.said))
    for locale in LOCALES:
        found = readings(locale, words)
        right = [r for r in found if r.intent == suggestion.intent and dict(r.slots) == suggestion.slots]
        wrong = {(r.intent, tuple(sorted(r.slots.items())), r.sample) for r in found if r not in right}
        assert right, f"{locale}: {words!r} is no sample of {suggestion.intent} {suggestion.slots}; heard as {wrong}"
        assert not wrong, f"{locale}: {words!r} is also a sample of {wrong}"


def test_the_exact_matcher_refuses_near_misses() -> None:
    assert readings("en-US", "make it easier")[0].slots == {"direction": "easier"}
    assert readings("en-US", "start a ten minute upper back workout")[0].slots == {
        "duration": "PT10M",
        "area": "upper_back",
    }
    for near in ("make it easier please now", "start a ten minute upper bak workout", "nex"):
        assert readings("en-US", near) == [], near
