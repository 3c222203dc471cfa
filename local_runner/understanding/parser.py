"""Offline understanding: what the person typed -> an intent and entity-resolved slots.

The interaction models in ``interaction_models/`` are the only source of phrases. Steps:
wake word and invocation ("alexa, ask strong back to ..."); words normalised (contractions,
fillers, articles) and typos repaired against the model's vocabulary; durations and slot
synonyms found (longest match) and replaced by slot placeholders; the result scored against
every sample of every intent (``nlu_match``); AMAZON.FallbackIntent below a threshold set by
the model's fallback sensitivity. A word the model doesn't know, sitting exactly where a
sample expects a custom slot ("how do I do a pilates hundred"), becomes an unresolved slot.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from interaction_models import ModelError, load_model
from local_runner.envelopes import slot_json
from local_runner.understanding.invocation import strip_invocation
from local_runner.understanding.lexicon import Corrector, SlotLexicon
from local_runner.understanding.match import (
    FORM_CREDIT,
    TYPO_CREDIT,
    IntentIndex,
    Said,
    Sample,
    is_placeholder,
    placeholder,
)
from local_runner.understanding.numbers import WORDS as NUMBER_WORDS
from local_runner.understanding.numbers import find_durations
from local_runner.understanding.text import (
    ARTICLES,
    DANGLING,
    FUNCTION_WORDS,
    NEGATIONS,
    Token,
    drop_fillers,
    dropped,
    tokenize,
    words,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["Candidate", "ModelError", "SlotMatch", "Understander", "Understood", "understander"]

FALLBACK = "AMAZON.FallbackIntent"
LAUNCH = "LaunchRequest"
DURATION = "AMAZON.DURATION"
# Lowest score that still counts as understood, by the model's fallbackIntentSensitivity.
THRESHOLDS = {"LOW": 0.45, "MEDIUM": 0.52, "HIGH": 0.6}
WILDCARD = 0.85  # score factor for reading unknown words as an unresolved slot value
WILDCARD_FIT = 0.85  # ... which needs a sample that fits the rest of the words this well
# Known words a sample must share before unknown words may fill its slot: this much weight,
# or one word only this intent uses ("explain"). "what is" alone is not enough.
WILDCARD_SUPPORT = 2.8
MAX_WILDCARD_WORDS = 3
MAX_MODIFIERS = 2  # unknown words just before a slot value that may describe it ("knee plank")
# A match that isn't word for word needs evidence: meaningful words it shares with its sample
# weighing at least this much, and at least BALANCE times the meaningful words it leaves
# unexplained ("set a timer for ten minutes" is not a ten minute workout). Else its score is cut.
MIN_SUPPORT = 2.2
BALANCE = 0.8
UNSUPPORTED = 0.6
MAX_CLAUSES = 4  # a request with a remark has a few clauses; more is no request (and costs time)
BEST_CACHE = 4096  # normalised utterances whose best intent is remembered (a few hundred bytes each)
MAX_CHARS = 300  # what one spoken request can hold; longer text is cut here (Alexa's are shorter)

_CLAUSE = re.compile(r"[^,;.!?]+(?:[.](?=\d)[^,;.!?]*)*")  # a stretch between punctuation (not "1.5")
_CLAUSE_END = re.compile(r"[,;.!?](?!\d)")

_NAMES: dict[tuple[str, str], str] = {}  # (slot type, id) -> value name, from every loaded model


@dataclass(frozen=True)
class SlotMatch:
    """One slot as understood."""

    name: str  # slot name, e.g. "area"
    type: str  # slot type, e.g. "BACK_AREA" or "AMAZON.DURATION"
    heard: str  # the words heard for it, e.g. "top of my back"
    id: str | None  # entity-resolution id ("upper_back"), ISO-8601 for durations; None if unresolved


@dataclass(frozen=True)
class Understood:
    """An intent (or "LaunchRequest"), its slots and how sure the parser is (0 to 1)."""

    intent: str
    slots: dict[str, SlotMatch] = field(default_factory=dict)
    confidence: float = 1.0

    def to_contract(self) -> dict[str, Any]:
        """The contract's JSON: intent and resolved slot ids (durations as ISO-8601)."""
        resolved = {name: match.id for name, match in self.slots.items() if match.id is not None}
        return {"intent": self.intent, "slots": resolved}

    def request_slots(self) -> dict[str, dict[str, Any]]:
        """The slots of an Alexa IntentRequest, with entity resolution as Alexa sends it."""
        built = {}
        for name, match in self.slots.items():
            if match.type.startswith("AMAZON."):
                built[name] = slot_json(name, match.id or match.heard, match.type, None)
            else:
                canonical = _NAMES.get((match.type, match.id)) if match.id else None
                built[name] = slot_json(name, match.heard, match.type, match.id, canonical)
        return built


@dataclass(frozen=True)
class Candidate:
    """How well one intent fits what was said, and the sample utterance that fits it best."""

    intent: str
    score: float
    sample: str | None


@dataclass(frozen=True)
class _Span:
    """A slot value found in the words: positions ``start`` to ``end`` (exclusive)."""

    start: int
    end: int
    type: str
    id: str | None
    loose: bool = False  # found only with a filler of the listed value left out ("not hard": "not so hard")


class Understander:
    """Understands typed or transcribed requests using one locale's interaction model."""

    def __init__(self, locale: str = "en-US", model: Mapping[str, Any] | None = None) -> None:
        """Load ``interaction_models/<locale>.json`` (or use ``model``, a ``languageModel`` object)."""
        if model is None:
            model = load_model(locale)
        self.locale = locale
        self.invocation = words(str(model.get("invocationName", "")))
        self.lexicon = SlotLexicon(model.get("types", []))
        _NAMES.update(self.lexicon.names)
        self.index = IntentIndex(model["intents"], self.lexicon.word_counts)
        counts = self.index.word_counts + self.lexicon.word_counts
        counts.update({word: 1 for word in NUMBER_WORDS})
        self.corrector = Corrector(counts)
        sensitivity = model.get("modelConfiguration", {}).get("fallbackIntentSensitivity", {}).get("level", "LOW")
        self.threshold = THRESHOLDS.get(sensitivity, THRESHOLDS["LOW"])
        self.intents = [name for name, samples in self.index.samples.items() if samples]
        self._best = functools.lru_cache(maxsize=BEST_CACHE)(self._best)  # type: ignore[method-assign]

    def understand(self, text: str) -> Understood:
        """The intent and slots of one utterance (AMAZON.FallbackIntent when nothing fits).

        Typed text that fits nothing as a whole may be a request with a remark before or after
        it ("my wrist hurts, skip this one"): then its best clause counts."""
        complete = len(text) <= MAX_CHARS  # a cut text may end mid-phrase: no sign it was left unfinished
        text = text[:MAX_CHARS]
        whole = self._understand(text, complete)
        if whole.intent != FALLBACK:
            return whole
        pieces = list(_CLAUSE.finditer(text)) if _CLAUSE_END.search(text) else []
        if len(pieces) > MAX_CLAUSES:
            return whole
        clauses = [self._understand(m.group(), complete or m.end() < len(text)) for m in pieces]
        found = [clause for clause in clauses if clause.intent != FALLBACK]
        if not found or len({clause.intent for clause in found}) > 1:
            return whole  # nothing, or clauses asking for different things
        return max(found, key=lambda clause: clause.confidence)

    def _understand(self, text: str, complete: bool = True) -> Understood:
        """One piece of text; ``complete`` when the person finished it (it may not end on "the")."""
        tokens = tokenize(text)
        launch, said = strip_invocation(tokens, self.invocation)
        tokens = self._without_fillers(said)
        if launch:
            return Understood(LAUNCH, {}, 1.0)
        if not tokens or (complete and tokens[-1].word in DANGLING):
            return Understood(FALLBACK, {}, 1.0)
        sequence, credit, origin = self._words(tokens)
        articles = sum(token.word in ARTICLES for token in tokens)
        score, intent, chosen = self._best(tuple(sequence), tuple(credit), articles, dropped(said, tokens))
        if score < self.threshold:
            return Understood(FALLBACK, {}, round(1 - score, 3))
        lowered = text.lower()
        slots = {}
        names = self.index.slot_names[intent]
        for span in chosen:
            first, last = tokens[origin[span.start]], tokens[origin[span.end - 1]]
            heard = " ".join(lowered[first.start : last.end].split())
            slots[names[span.type]] = SlotMatch(names[span.type], span.type, heard, span.id)
        return Understood(intent, slots, round(min(score, 1.0), 3))

    def _best(
        self, sequence: tuple[str, ...], credit: tuple[float, ...], articles: int, fillers: tuple[str, ...] = ()
    ) -> tuple[float, str, tuple[_Span, ...]]:
        """The best-fitting intent for the normalised words, its score and slot values (cached by
        ``__init__``: a spoken utterance's readings often differ only in articles and fillers).

        Articles and fillers are left out to match; when that makes two samples tie, the one that
        has the fillers said ("honestly {rating}", not "{direction}", for "honestly hard"), then the
        articles said ("easy the level" is not "easy level"), is the one Alexa would match."""
        words_, credits = list(sequence), list(credit)
        spans = self._spans(words_, credits)
        best: tuple[float, str, list[_Span]] = (0.0, FALLBACK, [])
        best_sample: str | None = None

        def fits(intent: str, sample: str | None) -> tuple[bool, bool]:
            said_fillers = fillers in self.index.fillers.get((intent, sample or ""), ())
            return said_fillers, _articles(sample) == articles

        for intent in self.intents:
            score, chosen, sample = self._score(intent, words_, credits, spans)
            if score > best[0] or (score == best[0] > 0 and fits(intent, sample) > fits(best[1], best_sample)):
                best, best_sample = (score, intent, chosen), sample
        return best[0], best[1], tuple(best[2])

    def forget(self) -> None:
        """Forget the remembered best intents (a benchmark times parses done for the first time)."""
        self._best.cache_clear()  # type: ignore[attr-defined]

    def candidates(self, text: str) -> list[Candidate]:
        """Every intent's score for an utterance (after the invocation), best first: for tuning."""
        tokens = strip_invocation(tokenize(text[:MAX_CHARS]), self.invocation)[1]
        tokens = self._without_fillers(tokens)
        sequence, credit, _ = self._words(tokens)
        spans = self._spans(sequence, credit)
        ranked = []
        for intent in self.intents:
            score, _, sample = self._score(intent, sequence, credit, spans)
            ranked.append(Candidate(intent, round(min(score, 1.0), 3), sample))
        return sorted(ranked, key=lambda c: -c.score)

    # ----- steps ---------------------------------------------------------------------
    def _without_fillers(self, tokens: list[Token]) -> list[Token]:
        """``tokens`` without filler words, except those inside a slot value listed with them ("really hard")."""
        return drop_fillers(tokens, self.lexicon.kept_fillers([token.word for token in tokens]))

    def _words(self, tokens: list[Token]) -> tuple[list[str], list[float], list[int]]:
        """Words with typos repaired, articles dropped (except inside durations), and their token index."""
        repairs = [self.corrector.correct(t.word) for t in tokens]
        repaired = [repair[0] if repair else t.word for repair, t in zip(repairs, tokens, strict=True)]
        in_duration = {i for d in find_durations(repaired) for i in range(d.start, d.end)}
        sequence, credit, origin = [], [], []
        for i, word in enumerate(repaired):
            if word in ARTICLES and i not in in_duration:
                continue
            repair = repairs[i]
            sequence.append(word)
            credit.append(1.0 if repair is None else TYPO_CREDIT if repair[1] else FORM_CREDIT)
            origin.append(i)
        return sequence, credit, origin

    def _spans(self, sequence: list[str], credit: list[float]) -> list[_Span]:
        """Every duration and custom slot value in the words (they may overlap)."""
        spans = [_Span(d.start, d.end, DURATION, d.iso) for d in find_durations(sequence)]
        found = self.lexicon.matches(sequence)
        taken = {i for start, end, _ in found for i in range(start, end)} | {
            i for s in spans for i in range(s.start, s.end)
        }
        for start, end, value in found:
            exact = all(c == 1.0 for c in credit[start:end])
            first = self._modifiers(sequence, start, taken) if exact else start
            loose = tuple(sequence[start:end]) in self.lexicon.loose
            spans.append(_Span(first, end, value.type, value.id, loose))
        return spans

    def _modifiers(self, sequence: list[str], start: int, taken: set[int]) -> int:
        """Where a value starts with the words before it that only describe it: up to two words no
        sample uses, after a word samples do ("do a knee plank", "explain the wide grip lat pulldown")."""
        first = start
        while start - first < MAX_MODIFIERS and first > 0 and first - 1 not in taken:
            word = sequence[first - 1]
            if word in self.index.weights or word in FUNCTION_WORDS or word in NUMBER_WORDS or not word.isalpha():
                break
            first -= 1
        if first == start or first == 0 or sequence[first - 1] not in self.index.weights:
            return start
        return first

    def _score(
        self, intent: str, sequence: list[str], credit: list[float], spans: list[_Span]
    ) -> tuple[float, list[_Span], str | None]:
        """The intent's best score with its slot types in place, the slot values used, the sample.

        When a slot type is said more than once ("i'm up for something easier": "up" and "easier"
        both name a direction), each of its values is tried in the slot and the best fit wins."""
        types = self.index.slot_names[intent]
        own = [s for s in spans if s.type in types]
        best = self._score_with(intent, sequence, credit, spans, _choose(own))
        repeated = [s for s in own if sum(other.type == s.type for other in own) > 1]
        for span in repeated:
            trial = self._score_with(intent, sequence, credit, spans, _choose(own, first=span))
            # on a tie, a value said as listed beats one found by leaving out its filler ("is there
            # not a hard version": "hard", harder, not "not (so) hard", easier)
            if trial[0] > best[0] or (trial[0] == best[0] and _loose(best[1]) > _loose(trial[1])):
                best = trial
        return best

    def _score_with(
        self, intent: str, sequence: list[str], credit: list[float], spans: list[_Span], chosen: list[_Span]
    ) -> tuple[float, list[_Span], str | None]:
        """``_score`` with the intent's own slot values ``chosen``."""
        types = self.index.slot_names[intent]
        carrier = self.index.carrier[intent]
        taken = {i for s in chosen for i in range(s.start, s.end)}
        # Values of other slot types are known words of the domain, not unknown ones ("skip the
        # side plank"), unless this intent's own phrasing uses their words ("back up").
        foreign = [
            s
            for s in spans
            if s.type not in types and s.type != DURATION and carrier.isdisjoint(sequence[s.start : s.end])
        ]
        replaced, place, credits = _replace(sequence, credit, chosen + _choose(foreign, taken))
        said = self.index.said(replaced, credits)
        score, best = self.index.best(intent, said)
        open_types = [t for t in types if t != DURATION and t not in {s.type for s in chosen}]
        # A value of another slot type where this intent has an open slot is what was heard for it
        # ("start a neck workout": no area called neck), as Alexa would send it, unresolved.
        own = {placeholder(t) for t in types}
        foreign_runs = [(i, i + 1) for i, word in enumerate(replaced) if is_placeholder(word) and word not in own]
        for start, end in [*self._unknown_runs(replaced, carrier), *foreign_runs] if open_types else []:
            for slot_type in open_types:
                mark = placeholder(slot_type)
                trial = [*replaced[:start], mark, *replaced[end:]]
                left = replaced[start - 1] if start else "^"
                right = replaced[end] if end < len(replaced) else "$"
                if not any(word in carrier for word in (left, right)):
                    continue  # an unknown value needs a known word beside it
                trial_said = self.index.said(trial, credits, (left, mark, right))
                wild, sample = self.index.best(intent, trial_said)
                if sample is None or wild < WILDCARD_FIT or not self._supports(sample, trial):
                    continue
                if wild * WILDCARD > score:
                    first, last = place[start], place[end - 1]
                    unresolved = _Span(first[0], last[1], slot_type, None)
                    score, chosen, best, said = wild * WILDCARD, [*chosen, unresolved], sample, trial_said
        if best is not None and said.words != best.words and not self._evident(said, best):
            score *= UNSUPPORTED
        if best is not None and NEGATIONS.isdisjoint(said.words) != NEGATIONS.isdisjoint(best.words):
            score *= UNSUPPORTED  # "don't skip this one" is no way to skip it

        return score, chosen, best.text if best else None

    def _evident(self, said: Said, sample: Sample) -> bool:
        """Whether what was said shares enough meaning with the sample, and brings little it doesn't explain."""
        support, unexplained = self.index.evidence(said, sample)
        return support >= MIN_SUPPORT and support >= BALANCE * unexplained

    def _unknown_runs(self, sequence: list[str], carrier: frozenset[str]) -> list[tuple[int, int]]:
        """Runs of up to three words the intent's samples never use and that mean nothing else to
        the model (candidates for an unknown value: "pilates hundred", not "my progress")."""
        runs = []
        i = 0
        while i < len(sequence):
            if sequence[i] in carrier or is_placeholder(sequence[i]):
                i += 1
                continue
            j = i
            while j < len(sequence) and sequence[j] not in carrier and not is_placeholder(sequence[j]):
                j += 1
            foreign = [w for w in sequence[i:j] if w in self.index.weights and w not in FUNCTION_WORDS]
            if j - i <= MAX_WILDCARD_WORDS and not foreign:
                runs.append((i, j))
            i = j
        return runs

    def _supports(self, sample: Sample, trial: list[str]) -> bool:
        shared = [self.index.weight(w) for w in sample.bag.intersection(trial) if not is_placeholder(w)]
        return math.fsum(shared) >= WILDCARD_SUPPORT or max(shared, default=0) >= self.index.rare_weight


def _loose(spans: list[_Span]) -> int:
    return sum(span.loose for span in spans)


def _articles(sample: str | None) -> int:
    return sum(word in ARTICLES for word in sample.split()) if sample else -1


def _choose(spans: list[_Span], taken: set[int] | None = None, first: _Span | None = None) -> list[_Span]:
    """Longest values first, one per slot type, none overlapping (nor overlapping ``taken``);
    ``first`` before all others."""
    chosen: list[_Span] = []
    taken = set() if taken is None else set(taken)
    ordered = sorted(spans, key=lambda s: (s.start - s.end, s.start))
    if first is not None:
        ordered = [first, *(span for span in ordered if span is not first)]
    for span in ordered:
        if span.type in {c.type for c in chosen} or taken.intersection(range(span.start, span.end)):
            continue
        chosen.append(span)
        taken.update(range(span.start, span.end))
    return sorted(chosen, key=lambda s: s.start)


def _replace(
    sequence: list[str], credit: list[float], chosen: list[_Span]
) -> tuple[list[str], list[tuple[int, int]], dict[str, float]]:
    """The words with slot values replaced by placeholders; where each word came from; word credits."""
    replaced: list[str] = []
    place: list[tuple[int, int]] = []
    credits: dict[str, float] = {}
    starts = {span.start: span for span in chosen}
    i = 0
    while i < len(sequence):
        span = starts.get(i)
        if span is not None:
            replaced.append(placeholder(span.type))
            place.append((span.start, span.end))
            i = span.end
            continue
        if sequence[i] in ARTICLES:  # kept only for a duration ("a minute") this intent doesn't take
            i += 1
            continue
        replaced.append(sequence[i])
        place.append((i, i + 1))
        credits[sequence[i]] = min(credits.get(sequence[i], 1.0), credit[i])
        i += 1
    return replaced, place, credits


@cache
def understander(locale: str = "en-US") -> Understander:
    """The understander for a locale, loaded once."""
    return Understander(locale)
