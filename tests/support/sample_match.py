"""Exact sample matching: is this phrase, word for word, a sample of the model?

A phrase matches a sample when the sample's words are the phrase's words and each ``{slot}``
is filled by a value of the slot's type: a value or synonym of a custom type (what entity
resolution turns into an id), or a spoken duration for AMAZON.DURATION (turned into ISO-8601).
Nothing is forgiven: no dropped words, no stemming, no fuzzy matching. That is what the
coach's suggestions must be, since Alexa matches samples; the offline parser is kinder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from interaction_models import load_model
from local_runner.understanding.numbers import find_durations

if TYPE_CHECKING:
    from collections.abc import Mapping

SLOT = re.compile(r"\{([A-Za-z_]+)\}")
_DURATION_WORDS = (
    r"(?:[a-z]+ )*?(?:seconds?|minutes?|hours?)(?: and a half)?(?: (?:and )?[a-z ]+? (?:seconds?|minutes?))?"
    r"|(?:a |three )?(?:half|quarters?) (?:of )?an? hour|a half hour"
)


@dataclass(frozen=True)
class Reading:
    """One way the phrase is a sample: the intent, its slots (id or ISO duration) and the sample."""

    intent: str
    slots: Mapping[str, str]
    sample: str


def spoken(text: str) -> str:
    """The words as an ASR would hand them over: lower case, no punctuation but apostrophes."""
    text = text.lower().replace("\u2019", "'")
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", text).split())


def duration_iso(words: str) -> str | None:
    """ISO-8601 for words that are exactly one spoken duration ("ten minute" -> PT10M), else None."""
    tokens = words.split()
    found = find_durations(tokens)
    if len(found) == 1 and found[0].start == 0 and found[0].end == len(tokens):
        return found[0].iso
    return None


@cache
def _vocabulary(locale: str) -> dict[str, dict[str, str]]:
    """Slot type -> spoken value (name or synonym, normalised) -> id."""
    return {
        kind["name"]: {
            spoken(word): value["id"]
            for value in kind["values"]
            for word in (value["name"]["value"], *value["name"]["synonyms"])
        }
        for kind in load_model(locale).get("types", [])
    }


@dataclass(frozen=True)
class _Sample:
    intent: str
    text: str
    slot_types: tuple[tuple[str, str], ...]


@cache
def _pattern(locale: str, sample: _Sample) -> re.Pattern[str]:
    vocabulary = _vocabulary(locale)
    parts = []
    for index, piece in enumerate(SLOT.split(sample.text)):
        if index % 2 == 0:
            parts.append(re.escape(piece))
            continue
        kind = dict(sample.slot_types)[piece]
        if kind == "AMAZON.DURATION":
            words = _DURATION_WORDS
        else:
            words = "|".join(re.escape(w) for w in sorted(vocabulary[kind], key=len, reverse=True))
        parts.append(f"(?P<{piece}>{words})")
    return re.compile("".join(parts))


@cache
def _samples(locale: str) -> dict[str | None, list[_Sample]]:
    """Samples by their first word (None: the sample starts with a slot)."""
    found: dict[str | None, list[_Sample]] = {}
    for intent in load_model(locale)["intents"]:
        slot_types = tuple((slot["name"], slot["type"]) for slot in intent.get("slots", []))
        for text in intent["samples"]:
            first = text.split()[0]
            found.setdefault(None if first.startswith("{") else first, []).append(
                _Sample(intent["name"], text, slot_types)
            )
    return found


def readings(locale: str, text: str) -> list[Reading]:
    """Every way ``text`` is exactly a sample of the locale's model, with its slots resolved."""
    words = spoken(text)
    vocabulary = _vocabulary(locale)
    found = []
    samples = _samples(locale)
    for sample in [*samples.get(words.split(" ")[0], []), *samples.get(None, [])]:
        match = _pattern(locale, sample).fullmatch(words)
        if not match:
            continue
        slots: dict[str, str] = {}
        for name, value in match.groupdict().items():
            kind = dict(sample.slot_types)[name]
            resolved = duration_iso(value) if kind == "AMAZON.DURATION" else vocabulary[kind].get(value)
            if resolved is None:
                break
            slots[name] = resolved
        else:
            found.append(Reading(sample.intent, slots, sample.text))
    return found
