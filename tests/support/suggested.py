"""The phrases the coach suggests, found in what it says and mapped to what they must mean.

tests/data/suggestions.toml maps each suggestion in dialog.toml and in the README's table of
what you can say to its intent and slot ids; its header says how suggestions are found.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

from skill.dialog import DEFAULT_LANGUAGE, LOCALE_DIR
from tests.support.alexa import ROOT

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


def dialog_texts() -> dict[str, list[str]]:
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


def readme_table() -> str:
    text = README_PATH.read_text(encoding="utf-8")
    assert README_TABLE in text, f"the README has no section {README_TABLE!r}"
    section = text.split(README_TABLE, 1)[1]
    return "\n".join(line for line in section.split("\n## ", 1)[0].splitlines() if line.startswith("|"))


def mapping() -> dict[str, dict[str, Any]]:
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
    for where, table in mapping().items():
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


def mapped(piece: str, phrases: set[str]) -> bool:
    return any(piece == phrase or any(piece.startswith(f"{phrase} {more}") for more in GOES_ON) for phrase in phrases)


def contains(text: str, phrase: str) -> bool:
    return re.search(rf"(?<![\w']){re.escape(phrase)}(?![\w'])", text, re.IGNORECASE) is not None


def heard_suggestions(speech: str) -> list[Suggestion]:
    """The mapped suggestions in what the person just heard, in the order heard."""
    known = {s.written: s for s in suggestions()}
    found = []
    for piece in pieces(speech):
        phrases = [phrase for phrase in known if mapped(piece, {phrase})]
        if phrases:
            found.append(known[max(phrases, key=len)])
    return found
