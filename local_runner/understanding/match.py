"""Scoring what was said against every sample utterance of every intent.

Each sample becomes a bag of words (slots as ``<TYPE>`` placeholders) plus its word pairs.
A word weighs more the fewer intents use it (inverse intent frequency), so "skip" or
"streak" decide more than "my" or "is"; unknown words weigh the most. The score is the
weighted Dice overlap of the two bags blended with the overlap of word pairs (order).
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from local_runner.understanding.text import FUNCTION_WORDS, filler_words, words

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

BAG_SHARE = 0.75  # the rest of the score is word order (shared word pairs)
UNKNOWN_FACTOR = 3.0  # a word no sample uses weighs this much more than the rarest known word
FUNCTION_WEIGHT = 0.7  # at most this for a grammatical word ("my", "at", "be"), known or not
# Credit for a word matched only after repair: another form of a known word ("exercises"), or a
# typo's nearest known word ("wokrout"). A typo repair may be a different word altogether
# ("movies" -> "moves"), so what was said also keeps half the weight of an unknown word for it.
FORM_CREDIT = 0.95
TYPO_CREDIT = 0.85
START, END = "^", "$"


def placeholder(slot_type: str) -> str:
    return f"<{slot_type}>"


def is_placeholder(word: str) -> bool:
    return word.startswith("<")


def pairs(sequence: Sequence[str]) -> frozenset[tuple[str, str]]:
    padded = (START, *sequence, END)
    return frozenset(itertools.pairwise(padded))


@dataclass(frozen=True)
class Sample:
    """One sample utterance as compared."""

    intent: str
    text: str
    words: tuple[str, ...]
    bag: frozenset[str]
    weight: float
    pairs: frozenset[tuple[str, str]]
    # its distinct words in the order they come: sums over them come out the same in every process
    # (a set's order changes with the process's string hashing, and a float sum's last bits with it)
    distinct: tuple[str, ...] = ()


@dataclass(frozen=True)
class Said:
    """What was said, as compared: words (slots replaced by placeholders) and how sure each word is."""

    words: tuple[str, ...]
    credit: Mapping[str, float]
    weight: float
    pairs: frozenset[tuple[str, str]]
    context: tuple[str, str, str] | None = None  # (left word, placeholder, right word) a wildcard must fit
    shares: Mapping[str, float] = field(default_factory=dict)  # each word's weight times its credit
    bag: frozenset[str] = frozenset()  # the words, once each


class IntentIndex:
    """Every intent's samples, word weights and an inverted index for quick candidate lookup."""

    def __init__(self, intents: Iterable[Mapping[str, Any]], domain: Iterable[str] = ()) -> None:
        """``domain``: other words the model knows (slot values), which weigh as a rare word."""
        self.slot_names: dict[str, dict[str, str]] = {}
        self.samples: dict[str, list[Sample]] = {}
        raw: dict[str, dict[tuple[str, ...], str]] = {}
        # (intent, the sample kept) -> the filler words of each sample that compares the same
        # ("{rating}" and "honestly {rating}" compare alike; said with "honestly", the second fits)
        self.fillers: dict[tuple[str, str], set[tuple[str, ...]]] = {}
        for intent in intents:
            name = intent["name"]
            by_type: dict[str, str] = {}
            for slot in intent.get("slots", []):
                by_type.setdefault(slot["type"], slot["name"])
            self.slot_names[name] = by_type
            to_type = {"{" + slot["name"] + "}": placeholder(slot["type"]) for slot in intent.get("slots", [])}
            seen = raw.setdefault(name, {})
            for text in intent.get("samples", []):
                key = tuple(to_type.get(word, word) for word in words(text))
                if key:
                    self.fillers.setdefault((name, seen.setdefault(key, text)), set()).add(filler_words(text))
        frequency = Counter(word for samples in raw.values() for word in {w for key in samples for w in key})
        self.intent_count = max(1, sum(1 for samples in raw.values() if samples))
        self.weights = {word: self._weight(count) for word, count in frequency.items()}
        self.rare_weight = self._weight(1)
        self.unknown_weight = self.rare_weight * UNKNOWN_FACTOR
        self.domain = frozenset(domain)
        self.carrier: dict[str, frozenset[str]] = {}
        self.postings: dict[str, dict[str, list[int]]] = {}
        self.slot_pairs: dict[str, dict[tuple[str, str], frozenset[int]]] = {}  # pairs with a slot in them
        for name, samples in raw.items():
            built = [self._sample(name, text, key) for key, text in samples.items()]
            self.samples[name] = built
            postings: dict[str, list[int]] = {}
            slot_pairs: dict[tuple[str, str], set[int]] = {}
            for number, sample in enumerate(built):
                for word in sample.bag:
                    postings.setdefault(word, []).append(number)
                for pair in sample.pairs:
                    if is_placeholder(pair[0]) or is_placeholder(pair[1]):
                        slot_pairs.setdefault(pair, set()).add(number)
            self.postings[name] = postings
            self.slot_pairs[name] = {pair: frozenset(numbers) for pair, numbers in slot_pairs.items()}
            self.carrier[name] = frozenset(w for key in samples for w in key if not is_placeholder(w))
        self.word_counts = Counter(w for samples in raw.values() for key in samples for w in key if w.isalpha())

    def _weight(self, intents_using: int) -> float:
        return math.log(1 + self.intent_count / intents_using)

    def weight(self, word: str) -> float:
        if word in FUNCTION_WORDS:
            return min(self.weights.get(word, FUNCTION_WEIGHT), FUNCTION_WEIGHT)
        known = self.weights.get(word)
        if known is not None:
            return known
        return self.rare_weight if word in self.domain else self.unknown_weight

    def _sample(self, intent: str, text: str, key: tuple[str, ...]) -> Sample:
        bag = frozenset(key)
        distinct = tuple(dict.fromkeys(key))
        return Sample(intent, text, key, bag, math.fsum(self.weight(w) for w in distinct), pairs(key), distinct)

    def said(
        self, sequence: Sequence[str], credit: Mapping[str, float], context: tuple[str, str, str] | None = None
    ) -> Said:
        words_ = tuple(sequence)
        weight = 0.0
        shares = {}
        # each distinct word in the order said, not a set's order: that changes with each process's
        # string hashing, and a float sum's last bits with it (ties then broke both ways)
        for word in dict.fromkeys(words_):
            known = self.weight(word)
            weight += (known + self.unknown_weight) / 2 if credit.get(word, 1.0) <= TYPO_CREDIT else known
            shares[word] = known * credit.get(word, 1.0)
        return Said(words_, credit, weight, pairs(words_), context, shares, frozenset(words_))

    def best(self, intent: str, said: Said) -> tuple[float, Sample | None]:
        """The best score of ``said`` against the intent's samples, and that sample (the first in
        the model's order when two score the same)."""
        postings = self.postings.get(intent, {})
        # Samples sharing a meaningful word (grammatical words alone rarely decide); else any word.
        sharing = [word for word in said.bag if word not in FUNCTION_WORDS and word in postings]
        if not sharing:
            sharing = [word for word in said.bag if word in postings]
        samples = self.samples[intent]
        if said.context is not None:  # only the samples with the wildcard's slot between the same words
            left, slot, right = said.context
            fitting = self.slot_pairs[intent].get((left, slot), frozenset()) & self.slot_pairs[intent].get(
                (slot, right), frozenset()
            )
            wanted = frozenset(sharing)
            candidates = sorted(number for number in fitting if not wanted.isdisjoint(samples[number].bag))
        else:
            candidates = sorted({number for word in sharing for number in postings[word]})
        best_score, best_sample = 0.0, None
        shares, bag, said_pairs = said.shares, said.bag, said.pairs
        said_weight, said_pair_count = said.weight, len(said_pairs)
        for number in candidates:  # compare(), inline: the parser spends most of its time here
            sample = samples[number]
            shared = 0.0
            for word in sample.distinct:  # in the sample's order, not a set's: the same sum in every process
                if word in bag:
                    shared += shares[word]
            total = said_weight + sample.weight
            overlap = 2 * shared / total if total else 0.0
            order = 2 * len(said_pairs & sample.pairs) / (said_pair_count + len(sample.pairs))
            score = BAG_SHARE * overlap + (1 - BAG_SHARE) * order
            if score > best_score:
                best_score, best_sample = score, sample
        return best_score, best_sample

    def evidence(self, said: Said, sample: Sample) -> tuple[float, float]:
        """(weight of the meaningful words the sample shares with what was said, weight of the
        meaningful words said that the sample leaves unexplained); grammatical words count in neither."""
        support = unexplained = 0.0
        for word in dict.fromkeys(said.words):  # in the order said: the same sums in every process
            if word in FUNCTION_WORDS:
                continue
            if word in sample.bag:
                support += self.weight(word) * said.credit.get(word, 1.0)
            elif said.credit.get(word, 1.0) <= TYPO_CREDIT:
                unexplained += self.unknown_weight  # a repair nothing confirms: as unknown as the word typed
            else:
                unexplained += self.weight(word)
        return support, unexplained
