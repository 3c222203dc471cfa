"""The grammar of spoken commands for ``strong-back --listen``, built from ``interaction_models/``.

Every sample utterance of the locale's model is a path through a finite-state grammar; each
``{slot}`` in a sample is the set of ways to say that slot (the slot type's values and synonyms, or
spoken durations for ``AMAZON.DURATION``). The launch phrases ("open strong back") are added. The
samples of one intent are merged into a minimised word graph, so the thousands of workout
phrasings share their common parts and the recogniser stays fast.

Probabilities: every intent is equally likely a priori, and within an intent every sample is
equally likely; slot values are equally likely. Without the first rule the intents with many
short one-word phrasings ("yep", "nope") would crowd out "next" and "help".

The recogniser only hears word sequences in this grammar; ``local_runner.understanding.parser`` then resolves the
words to an intent and slots exactly as it does for typed text, so there is still one source of
phrases and one understanding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from interaction_models import load_model
from local_runner.understanding.numbers import NUMBERS

INVOCATION_PREFIXES = ("open", "launch", "start", "talk to", "ask")
LAUNCH = "LaunchRequest"
# Word transitions carry probabilities; a transition without a word (None) is a free step.
Transition = tuple[int, int, float, str] | tuple[int, int, float]


def _spoken_numbers(low: int, high: int) -> list[str]:
    by_value = {value: word for word, value in NUMBERS.items() if word != "fourty"}
    words = []
    for value in range(low, high + 1):
        if value in by_value:
            words.append(by_value[value])
        else:
            tens, ones = divmod(value, 10)
            words.append(f"{by_value[tens * 10]} {by_value[ones]}")
    return words


def spoken_durations() -> list[str]:
    """How people say a workout length: "ten minutes", "a ten minute", "half an hour"."""
    phrases = []
    for number in _spoken_numbers(1, 60):
        phrases += [f"{number} minute", f"{number} minutes"]
    phrases += ["half an hour", "a half hour", "half hour", "an hour", "one hour"]
    phrases += ["a quarter of an hour", "quarter of an hour"]
    phrases += ["forty five minutes", "an hour and a half", "a minute"]
    return sorted(set(phrases))


@dataclass
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    final: bool = False

    def paths(self) -> int:
        """How many phrases end in or below this node."""
        return int(self.final) + sum(child.paths() for child in self.children.values())


def _trie(phrases: list[tuple[str, ...]]) -> _Node:
    root = _Node()
    for words in phrases:
        node = root
        for word in words:
            node = node.children.setdefault(word, _Node())
        node.final = True
    return root


@dataclass
class Grammar:
    """A finite-state grammar: states are numbers, ``transitions`` as pocketsphinx takes them."""

    start: int
    final: int
    states: int
    transitions: list[Transition]
    words: set[str]

    def describe(self) -> str:
        return f"{self.states} states, {len(self.transitions)} transitions, {len(self.words)} words"


class _Builder:
    def __init__(self, slot_phrases: dict[str, list[str]]) -> None:
        self.slot_phrases = slot_phrases
        self.transitions: list[Transition] = []
        self.words: set[str] = set()
        self.states = 2  # 0: start, 1: final
        self._shared: dict[tuple[Any, ...], int] = {}  # (final, outgoing words and states) -> state
        self._slot_entries: dict[tuple[str, int], int] = {}  # (slot, state after it) -> its first state

    def new_state(self) -> int:
        self.states += 1
        return self.states - 1

    def word(self, source: int, target: int, probability: float, word: str) -> None:
        self.words.add(word)
        self.transitions.append((source, target, probability, word))

    def intent(self, phrases: list[tuple[str, ...]], weight: float) -> None:
        """Add one intent's phrases, entered from the start state with ``weight``."""
        self.transitions.append((0, self._state_for(_trie(phrases)), weight))

    def _state_for(self, node: _Node) -> int:
        """The state for ``node``; nodes with the same phrases after them share one state."""
        targets = {word: self._state_for(child) for word, child in node.children.items()}
        key = (node.final, tuple(sorted(targets.items())))
        if key in self._shared:
            return self._shared[key]
        state = self._shared[key] = self.new_state()
        total = node.paths()
        if node.final:
            self.transitions.append((state, 1, 1 / total))
        for word, child in node.children.items():
            share = child.paths() / total
            if word.startswith("{"):
                self._slot(state, targets[word], share, word[1:-1])
            else:
                self.word(state, targets[word], share, word)
        return state

    def _slot(self, source: int, target: int, probability: float, slot: str) -> None:
        """Every way to say ``slot``, as a small word graph from ``source`` to ``target``: one graph
        for each slot and target, entered by a free step, so the many samples that reach the same
        place after "{duration}" share its ways of saying it (the same sentences, far fewer states:
        pocketsphinx's grammar search costs time in proportion to the states, whatever the beams)."""
        entry = self._slot_entries.get((slot, target))
        if entry is None:
            phrases = [tuple(phrase.split()) for phrase in self.slot_phrases[slot]]
            entry = self._slot_entries[(slot, target)] = self._slot_state(_trie(phrases), target)
        self.transitions.append((source, entry, probability))

    def _slot_state(self, node: _Node, target: int) -> int:
        """The state for ``node`` of a slot's phrases that end in ``target``; nodes with the same
        words after them share one state ("twenty" and "thirty" before "minute" or "minutes")."""
        targets = {
            word: target if child.final and not child.children else self._slot_state(child, target)
            for word, child in node.children.items()
        }
        key = ("slot", target, node.final, tuple(sorted(targets.items())))
        if key in self._shared:
            return self._shared[key]
        state = self._shared[key] = self.new_state()
        total = node.paths()
        if node.final:
            self.transitions.append((state, target, 1 / total))
        for word, child in node.children.items():
            self.word(state, targets[word], child.paths() / total, word)
        return state


def _words(text: str) -> tuple[str, ...]:
    return tuple(re.sub(r"[^a-z_' {}]", " ", text.lower()).split())  # (slot names have underscores)


def slot_phrases(model: dict[str, Any]) -> dict[str, list[str]]:
    """Slot name to every way of saying a value of it, from the model's slot types."""
    types = {}
    for kind in model["types"]:
        names = [(value["name"]["value"], *value["name"].get("synonyms", [])) for value in kind["values"]]
        types[kind["name"]] = sorted({" ".join(_words(text)) for texts in names for text in texts})
    phrases: dict[str, list[str]] = {}
    for intent in model["intents"]:
        for slot in intent.get("slots", []):
            phrases[slot["name"]] = types.get(slot["type"]) or spoken_durations()
    return phrases


def command_grammar(locale: str = "en-US") -> Grammar:
    """The grammar of everything the coach understands when spoken, for ``locale``'s model."""
    model = load_model(locale)
    invocation = str(model.get("invocationName", "strong back"))
    by_intent: dict[str, list[tuple[str, ...]]] = {}
    for intent in model["intents"]:
        samples = [_words(sample) for sample in intent.get("samples", [])]
        if samples:
            by_intent[intent["name"]] = samples
    by_intent[LAUNCH] = [_words(f"{prefix} {invocation}") for prefix in INVOCATION_PREFIXES] + [_words(invocation)]
    builder = _Builder(slot_phrases(model))
    for phrases in by_intent.values():
        builder.intent(phrases, 1 / len(by_intent))
    return Grammar(0, 1, builder.states, builder.transitions, builder.words)
