"""Timed speech: build what the coach says on a timeline, render it as SSML, read SSML back.

One estimate of how long a phrase takes to say (``estimate_seconds``) sizes the ``<break>``s
for Alexa and places each phrase on a player's clock, so a 30-second hold takes 30 seconds
including the words spoken inside it.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

# Speaking-rate model, calibrated against espeak-ng at the local voice's rate (see
# scripts/calibrate_speech.py); Alexa's default voice speaks at a similar pace.
WORDS_PER_SECOND = 2.75
PHRASE_SECONDS = 0.12
COMMA_SECONDS = 0.12
SENTENCE_SECONDS = 0.28

MAX_BREAK_SECONDS = 10.0
MAX_SSML_CHARS = 8000
MAX_AUDIO_SECONDS = 240.0
ALLOWED_TAGS = frozenset({"speak", "s", "p", "break"})

# The timed parts of a reply, in the order a set goes through them: the talk before a first set,
# the get-ready count, the work (a hold or reps), the change-over between sides, the rest after
# the set, and the closing prompt of a reply that waits for "next".
WINDOW_KINDS = ("intro", "lead", "work", "switch", "rest", "prompt")

_WORD = re.compile(r"[A-Za-z0-9']+")
# Characters XML cannot carry (control characters, lone surrogates, non-characters).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def escape(text: str) -> str:
    """Text made safe inside SSML (xml.sax.saxutils would import urllib for this: slow cold starts)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@lru_cache(maxsize=8192)
def clean(text: str) -> str:
    """Text safe to speak: no characters XML can't carry, white space folded."""
    return " ".join(_NOT_XML.sub(" ", text).split())


_INNER_SENTENCE_END = re.compile(r"[.!?;:](?=\s+\S)")


@lru_cache(maxsize=8192)
def estimate_seconds(text: str) -> float:
    """How long a phrase takes to say, in seconds (0 for nothing to say).

    Cached: a workout repeats a few hundred phrases ("Five.", "And back.") thousands of times."""
    words = len(_WORD.findall(text))
    if not words:
        return 0.0
    pauses = text.count(",") * COMMA_SECONDS + len(_INNER_SENTENCE_END.findall(text)) * SENTENCE_SECONDS
    return PHRASE_SECONDS + words / WORDS_PER_SECOND + pauses


@dataclass(frozen=True)
class Cue:
    """A phrase said at ``at`` seconds from the start of a reply."""

    at: float
    text: str
    key: str

    @property
    def end(self) -> float:
        return self.at + estimate_seconds(self.text)


@dataclass(frozen=True)
class Window:
    """A timed part of a reply: a hold, a set of reps, a rest, an introduction."""

    kind: str  # one of WINDOW_KINDS
    start: float
    seconds: float
    step: int
    set: int
    side: int = 0

    @property
    def end(self) -> float:
        return self.start + self.seconds

    def to_list(self) -> list[object]:
        return [self.kind, round(self.start, 3), round(self.seconds, 3), self.step, self.set, self.side]

    @classmethod
    def from_list(cls, raw: Any) -> Window:
        kind, start, seconds, step, set_, side = raw
        if kind not in WINDOW_KINDS:
            raise ValueError(f"unknown window kind {kind!r}")
        numbers = [float(v) for v in (start, seconds, step, set_, side)]
        if not all(math.isfinite(v) and 0 <= v <= 10_000 for v in numbers):
            raise ValueError("window numbers out of range")
        return cls(str(kind), numbers[0], numbers[1], int(numbers[2]), int(numbers[3]), int(numbers[4]))


@dataclass
class Script:
    """Phrases placed on a timeline, plus the timed windows they belong to."""

    cues: list[Cue] = field(default_factory=list)
    windows: list[Window] = field(default_factory=list)
    cursor: float = 0.0
    ahead: frozenset[str] = frozenset()  # what its last rest already said of the exercise that comes next

    @property
    def duration(self) -> float:
        return self.cursor

    def say(self, text: str, key: str) -> None:
        """Say ``text`` now; the cursor moves past it."""
        text = clean(text)
        if not text:
            return
        self.cues.append(Cue(self.cursor, text, key))
        self.cursor += estimate_seconds(text)

    def say_at(self, at: float, text: str, key: str, gap: float = 0.1) -> bool:
        """Say ``text`` at an exact time, unless the previous phrase would still be running."""
        text = clean(text)
        if at < self.cursor - 1e-6:
            return False
        if self.cues and at < self.cues[-1].end + gap - 1e-6 and at > self.cues[-1].end + 1e-6:
            return False
        self.cues.append(Cue(at, text, key))
        self.cursor = max(self.cursor, at + estimate_seconds(text))
        return True

    def fits_at(self, at: float, text: str, until: float, gap: float = 0.15) -> bool:
        """Whether ``text`` said at ``at`` ends before ``until`` without overlapping."""
        after_previous = not self.cues or at >= self.cues[-1].end + gap - 1e-9
        return after_previous and at + estimate_seconds(text) <= until + 1e-9

    def wait_until(self, at: float) -> None:
        self.cursor = max(self.cursor, at)

    def window(self, kind: str, seconds: float, step: int, set_: int, side: int = 0) -> Window:
        """Open a timed window starting at the cursor (the caller fills it with cues)."""
        win = Window(kind, self.cursor, seconds, step, set_, side)
        self.windows.append(win)
        return win

    def extend(self, other: Script) -> None:
        """Append another script after this one."""
        offset = self.cursor
        self.cues.extend(Cue(c.at + offset, c.text, c.key) for c in other.cues)
        self.windows.extend(Window(w.kind, w.start + offset, w.seconds, w.step, w.set, w.side) for w in other.windows)
        self.cursor += other.cursor

    def said_keys(self) -> list[str]:
        return [cue.key for cue in self.cues]

    def text(self) -> str:
        """Plain text of everything said, for cards, logs and tests."""
        return " ".join(cue.text for cue in self.cues)

    def to_ssml(self) -> str:
        return render_ssml(self.cues, self.duration)


def _breaks(seconds: float) -> str:
    parts = []
    remaining = round(seconds * 1000)
    while remaining > 0:
        chunk = min(remaining, int(MAX_BREAK_SECONDS * 1000))
        time = f"{chunk // 1000}s" if chunk % 1000 == 0 else f"{chunk}ms"
        parts.append(f'<break time="{time}"/>')
        remaining -= chunk
    return "".join(parts)


def render_ssml(cues: list[Cue], duration: float) -> str:
    """SSML for Alexa: each phrase a sentence, the silences between them as breaks."""
    out = ["<speak>"]
    clock = 0.0
    for cue in cues:
        if cue.at > clock + 0.005:
            pause = round((cue.at - clock) * 1000) / 1000  # what the break really lasts: whole milliseconds
            out.append(_breaks(pause))
            clock += pause
        out.append(f"<s>{escape(cue.text)}</s>")
        clock += estimate_seconds(cue.text)
    if duration > clock + 0.005:
        out.append(_breaks(duration - clock))
    out.append("</speak>")
    return "".join(out)


@dataclass(frozen=True)
class Segment:
    """Text a player says at ``at`` seconds from the start of a reply."""

    at: float
    text: str


@dataclass(frozen=True)
class Timeline:
    """What a player performs for one reply: phrases on a clock, and when the reply ends."""

    segments: tuple[Segment, ...]
    duration: float


_BREAK_TIME = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s)\s*$")
_BREAK_STRENGTH = {"none": 0.0, "x-weak": 0.1, "weak": 0.25, "medium": 0.4, "strong": 0.75, "x-strong": 1.0}


def break_seconds(element: ET.Element) -> float:
    """Seconds of silence a ``<break>`` element asks for."""
    time = element.get("time")
    if time:
        match = _BREAK_TIME.match(time)
        if not match:
            raise ValueError(f"bad break time {time!r}")
        value = float(match.group(1))
        return value / 1000 if match.group(2) == "ms" else value
    return _BREAK_STRENGTH.get(element.get("strength", "medium"), 0.4)


def _tokens(element: ET.Element) -> list[tuple[str, float | str]]:
    tokens: list[tuple[str, float | str]] = []
    if element.tag == "break":
        tokens.append(("break", break_seconds(element)))
    elif element.tag in {"s", "p"} and not element.findall(".//break"):
        tokens.append(("text", " ".join("".join(element.itertext()).split())))
    else:
        if element.text and element.text.strip():
            tokens.append(("text", " ".join(element.text.split())))
        for child in element:
            tokens.extend(_tokens(child))
            if child.tail and child.tail.strip():
                tokens.append(("text", " ".join(child.tail.split())))
    return tokens


def timeline_from_ssml(ssml: str) -> Timeline:
    """Read SSML back into phrases on a clock, with the same estimate the skill used."""
    root = ET.fromstring(ssml)
    clock = 0.0
    segments = []
    for kind, value in _tokens(root):
        if kind == "break":
            clock += float(value)
        elif value:
            segments.append(Segment(round(clock, 3), str(value)))
            clock += estimate_seconds(str(value))
    return Timeline(tuple(segments), round(clock, 3))


def ssml_problems(ssml: str) -> list[str]:
    """What in this SSML Alexa would refuse or cut: empty list when it is fine."""
    problems = []
    if len(ssml) > MAX_SSML_CHARS:
        problems.append(f"{len(ssml)} characters of SSML (limit {MAX_SSML_CHARS})")
    try:
        root = ET.fromstring(ssml)
    except ET.ParseError as error:
        return [*problems, f"not well-formed: {error}"]
    if root.tag != "speak":
        problems.append(f"root element is <{root.tag}>, not <speak>")
    for element in root.iter():
        if element.tag not in ALLOWED_TAGS:
            problems.append(f"unsupported tag <{element.tag}>")
        elif element.tag == "break":
            try:
                seconds = break_seconds(element)
            except ValueError as error:
                problems.append(str(error))
                continue
            if seconds > MAX_BREAK_SECONDS:
                problems.append(f"break of {seconds} s (limit {MAX_BREAK_SECONDS} s)")
    duration = timeline_from_ssml(ssml).duration
    if duration > MAX_AUDIO_SECONDS:
        problems.append(f"{duration:.0f} s of audio (limit {MAX_AUDIO_SECONDS:.0f} s)")
    return problems
