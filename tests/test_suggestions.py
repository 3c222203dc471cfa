"""Every phrase the coach suggests is, word for word, a sample of the intent it is meant for.

The suggestions are found in what the coach says (dialog.toml) and in the README's table of what
you can say, and mapped to intents and slot ids in tests/data/suggestions.toml (its header says
how they are found). Alexa matches samples and does not forgive the way the offline parser
does, so "say how many are left" must be a sample, not merely something the parser gets.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

import pytest

from interaction_models import LOCALES
from skill.dialog import DEFAULT_LANGUAGE, LOCALE_DIR
from tests.alexa import ROOT
from tests.sample_match import readings, spoken

SUGGESTIONS_PATH = ROOT / "tests" / "data" / "suggestions.toml"
README_PATH = ROOT / "README.md"
DIALOG_PATH = LOCALE_DIR / DEFAULT_LANGUAGE / "dialog.toml"
README_TABLE = "## Talking to the coach"
CUE = re.compile(r"\b(?:say:?|try:|ask)\s+", re.IGNORECASE)
SENTENCE_END = re.compile(r"[.?!](?=\s|$)")
PIECE_BREAK = re.compile(r",\s+or\s+|,\s+|\s+or\s+", re.IGNORECASE)
PIECE_LEAD = re.compile(r"^(?:or|like|try:)\s+", re.IGNORECASE)
GOES_ON = ("to ", "when ", "whenever ")  # "say next when you're ready": the phrase is "next"
ONE_SHOT = re.compile(r"^(?:ask|tell) strong back (?:to )?")
NOT_SAID = "not said"


@dataclass(frozen=True)
class Suggestion:
    where: str  # dialog key, or "readme"
    written: str
    said: str
    intent: str
    slots: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.where}: {self.said!r}"


def _dialog_texts() -> dict[str, list[str]]:
    """Dialog key -> its variants."""
    with DIALOG_PATH.open("rb") as handle:
        table = tomllib.load(handle)
    texts: dict[str, list[str]] = {}

    def walk(node: dict[str, Any], prefix: str) -> None:
        for name, value in node.items():
            key = f"{prefix}.{name}" if prefix else name
            if isinstance(value, dict):
                walk(value, key)
            else:
                texts[key] = value if isinstance(value, list) else [value]

    walk(table, "")
    return texts


def _readme_table() -> str:
    text = README_PATH.read_text(encoding="utf-8")
    assert README_TABLE in text, f"the README has no section {README_TABLE!r}"
    section = text.split(README_TABLE, 1)[1]
    return "\n".join(line for line in section.split("\n## ", 1)[0].splitlines() if line.startswith("|"))


def _mapping() -> dict[str, dict[str, Any]]:
    with SUGGESTIONS_PATH.open("rb") as handle:
        return tomllib.load(handle)


def _suggestion(where: str, written: str, entry: str | dict[str, Any]) -> Suggestion | None:
    if entry == NOT_SAID:
        return None
    if isinstance(entry, str):
        return Suggestion(where, written, written, entry)
    slots = {name: value for name, value in entry.items() if name not in ("intent", "said")}
    return Suggestion(where, written, entry.get("said", written), entry["intent"], slots)


def suggestions() -> list[Suggestion]:
    found = []
    for where, table in _mapping().items():
        for written, entry in table.items():
            entries = entry.items() if written == "answers" else [(written, entry)]
            for phrase, value in entries:
                suggestion = _suggestion(where, phrase, value)
                if suggestion:
                    found.append(suggestion)
    return found


def pieces(text: str) -> list[str]:
    """The suggested pieces of one dialog text: each clause after a cue, cut at commas and "or"."""
    found = []
    position = 0
    while cue := CUE.search(text, position):
        end = SENTENCE_END.search(text, cue.end())
        stop = end.start() if end else len(text)
        for piece in PIECE_BREAK.split(text[cue.end() : stop]):
            piece = PIECE_LEAD.sub("", piece.strip())
            if piece:
                found.append(" ".join(piece.lower().split()))
        position = stop
    return found


def _mapped(piece: str, phrases: set[str]) -> bool:
    return any(piece == phrase or any(piece.startswith(f"{phrase} {more}") for more in GOES_ON) for phrase in phrases)


def _contains(text: str, phrase: str) -> bool:
    return re.search(rf"(?<![\w']){re.escape(phrase)}(?![\w'])", text, re.IGNORECASE) is not None


# ---- the mapping covers every suggestion, and only words that are really there ------------------
def test_every_suggestion_in_the_dialog_is_mapped() -> None:
    mapping = _mapping()
    unmapped = []
    for key, variants in _dialog_texts().items():
        phrases = {phrase for phrase in mapping.get(key, {}) if phrase != "answers"}
        for text in variants:
            unmapped += [f"{key}: {piece!r} in {text!r}" for piece in pieces(text) if not _mapped(piece, phrases)]
    assert not unmapped, "suggestions with no line in tests/data/suggestions.toml:\n" + "\n".join(unmapped)


def test_every_question_the_coach_asks_has_its_answers_mapped() -> None:
    mapping = _mapping()
    missing = [key for key, variants in _dialog_texts().items() if any("?" in t for t in variants)]
    missing = [key for key in missing if not mapping.get(key, {}).get("answers")]
    assert not missing, f"questions with no answers in tests/data/suggestions.toml: {missing}"


def test_every_mapped_phrase_is_in_its_text() -> None:
    texts = _dialog_texts()
    stale = []
    for where, table in _mapping().items():
        if where == "readme":
            continue
        if where not in texts:
            stale.append(f"{where}: no such dialog key")
            continue
        for phrase in table:
            if phrase != "answers" and not any(_contains(text, phrase) for text in texts[where]):
                stale.append(f"{where}: {phrase!r} is not in {texts[where]}")
    assert not stale, "\n".join(stale)


def test_the_readme_table_is_mapped_both_ways() -> None:
    table = _readme_table()
    written = set()
    for row in table.splitlines()[2:]:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        written |= {spoken(phrase) for phrase in re.findall(r"`([^`]+)`", cells[0])}
        written |= {spoken(phrase) for phrase in re.findall(r'"([^"]+)"', " ".join(cells[1:]))}
    mapped = set(_mapping()["readme"])
    assert written - mapped == set(), "README phrases with no line in suggestions.toml"
    assert mapped - written == set(), "suggestions.toml lines for phrases the README no longer has"


def test_pieces_are_cut_at_cues_commas_and_or() -> None:
    text = "Okay. Say start to begin, or stop to leave. Would you like it? You can also ask how, like this."
    assert pieces(text) == ["start to begin", "stop to leave", "how", "this"]
    assert pieces("Next time, say: ask strong back to resume my workout.") == ["ask strong back to resume my workout"]
    assert _mapped("next when you're ready", {"next"}) and not _mapped("next exercise", {"next"})


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
