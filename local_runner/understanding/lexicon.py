"""The words a model knows: spelling repair for typed words, and slot values by their synonyms."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from local_runner.understanding.text import ARTICLES, words

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def osa_distance(a: str, b: str) -> int:
    """Edit distance counting an adjacent swap as one edit (optimal string alignment)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            cost = char_a != char_b
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


class Corrector:
    """Maps an unknown typed word to a known one: plural and -ing forms, then one typo (SymSpell)."""

    MIN_LENGTH = 3
    CACHE_SIZE = 10_000

    def __init__(self, counts: Mapping[str, int]) -> None:
        self.counts = dict(counts)
        self._by_delete: dict[str, list[str]] = {}
        for word in self.counts:
            if len(word) >= self.MIN_LENGTH and word.isalpha():
                for key in {word, *_deletes(word)}:
                    self._by_delete.setdefault(key, []).append(word)
        self._cache: dict[str, tuple[str, bool] | None] = {}
        self._longest = max((len(word) for word in self.counts), default=0)

    def __contains__(self, word: str) -> bool:
        return word in self.counts

    def correct(self, word: str) -> tuple[str, bool] | None:
        """(the known word meant, whether it was a typo rather than another form of the word);
        None when the word is known or nothing is close enough."""
        if word in self.counts or not word.isalpha():
            return None
        if word not in self._cache:
            if len(self._cache) >= self.CACHE_SIZE:
                self._cache.clear()
            form = self._morphology(word)
            typo = None if form else self._typo(word)
            self._cache[word] = (form, False) if form else (typo, True) if typo else None
        return self._cache[word]

    def _morphology(self, word: str) -> str | None:
        stems = []
        if word.endswith("s"):
            stems += [word[:-1], word[:-2] if word.endswith("es") else ""]
        if word.endswith("ing"):
            stems += [word[:-3], word[:-3] + "e", word[:-4] if word[-4:-3] == word[-5:-4] else ""]
        if word.endswith("ed"):
            stems += [word[:-2], word[:-1]]
        stems.append(word + "s")
        return next((stem for stem in stems if stem and stem in self.counts), None)

    def _typo(self, word: str) -> str | None:
        if not self.MIN_LENGTH <= len(word) <= self._longest + 1:
            return None
        candidates = set(self._by_delete.get(word, ()))
        for key in _deletes(word):
            candidates.update(self._by_delete.get(key, ()))
        best = [
            c
            for c in candidates
            if abs(len(c) - len(word)) <= 1
            and (c[0] == word[0] or c[:2] == word[1::-1])  # typos rarely hit the first letter
            and osa_distance(c, word) == 1
        ]
        if len(word) == self.MIN_LENGTH:  # three letters: only a missing letter ("bak", "skp")
            best = [c for c in best if len(c) == 4 and c[0] == word[0]]
        if not best:
            return None
        return max(best, key=lambda c: (self.counts[c], c))


@dataclass(frozen=True)
class SlotValue:
    """A custom slot type's value, found by one of its synonyms."""

    type: str
    id: str
    name: str


class SlotLexicon:
    """Normalised synonym word sequences of every custom slot type, to their values."""

    def __init__(self, types: Iterable[Mapping[str, Any]]) -> None:
        self.phrases: dict[tuple[str, ...], dict[str, SlotValue]] = {}
        # values listed with a filler word in them ("really hard", "just a mat"): said that way,
        # the filler is part of the value, not dropped
        self.with_fillers: set[tuple[str, ...]] = set()
        self.names: dict[tuple[str, str], str] = {}
        loose: set[tuple[str, ...]] = set()
        listed: list[str] = []
        for slot_type in types:
            for value in slot_type.get("values", []):
                name = value["name"]["value"]
                entry = SlotValue(slot_type["name"], value.get("id") or name, name)
                self.names[(entry.type, entry.id)] = name
                for synonym in (name, *value["name"].get("synonyms", [])):
                    listed.append(synonym)
                    key, literal = words(synonym), words(synonym, fillers=True)
                    for form in (key, literal) if literal != key else (key,):
                        if form:
                            self.phrases.setdefault(form, {}).setdefault(entry.type, entry)
                    if literal != key:
                        self.with_fillers.add(literal)
                        loose.add(key)
        # forms no value is listed as, only found by dropping a filler ("not hard" of "not so hard")
        self.loose = frozenset(loose - {words(text, fillers=True) for text in listed})
        self.longest = max((len(key) for key in self.phrases), default=1)
        self.word_counts: Counter[str] = Counter(word for key in self.phrases for word in key)

    def kept_fillers(self, said: Sequence[str]) -> set[int]:
        """Where in ``said`` (words before fillers are dropped) a filler word or phrase is part of a
        slot value listed with it: "really" in "really hard" and "kind of" in "kind of hard", not
        "really" in "really make it harder"."""
        at = [i for i, word in enumerate(said) if word not in ARTICLES]
        sequence = [said[i] for i in at]
        kept: set[int] = set()
        for start in range(len(sequence)):
            for end in range(min(len(sequence), start + self.longest), start + 1, -1):
                if tuple(sequence[start:end]) in self.with_fillers:
                    kept.update(at[i] for i in range(start, end))  # the value's words: none is dropped
                    break
        return kept

    def matches(self, sequence: list[str]) -> list[tuple[int, int, SlotValue]]:
        """Every (start, end, value) whose synonym appears in ``sequence`` (a plural last word also
        matches its singular: "side bridges" is "side bridge")."""
        found: list[tuple[int, int, SlotValue]] = []
        for start in range(len(sequence)):
            for end in range(min(len(sequence), start + self.longest), start, -1):
                window = tuple(sequence[start:end])
                for form in _forms(window):
                    if form in self.phrases:
                        found.extend((start, end, value) for value in self.phrases[form].values())
                        break
        return found


def _forms(window: tuple[str, ...]) -> list[tuple[str, ...]]:
    last = window[-1]
    forms = [window]
    if len(last) > 3 and last.endswith("s") and not last.endswith("ss"):
        forms.append((*window[:-1], last[:-1]))
        if last.endswith("es"):
            forms.append((*window[:-1], last[:-2]))
    return forms
