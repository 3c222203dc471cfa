"""What to do with what was heard: act on it, ask first, say "Sorry?", or nothing at all.

Each utterance is decoded twice (``local_runner.listening.recognizer``): freely, with the
commands' language model and general English around it, and strictly, with the command grammar.
Both readings go through the offline parser. How far they agree is the confidence measure:

- the two readings mean the same command: act on it;
- the free reading is a command of three words or more that the parser is sure of, that ends
  nothing, and that most of the free search's n-best list means too: act on it;
- otherwise the readings vote: the grammar's reading (2 votes), the free reading (1) and the free
  search's n-best list (1, 1/2, 1/3... by rank) each count for the command they mean; a command
  with at least half of all the votes is acted on ("tell me how to do the lat" heard freely,
  "... a pullup" by the grammar and by most of the n-best list: the pull up);
- both readings are a word or two: act on the grammar's (the free reading is weakest on one-word
  commands: "pause" heard freely as "close");
- only the free reading is a command the parser is sure of (a paraphrase the grammar has no
  sentence for): act on it;
- the grammar's sentence is borne out by the free reading (a third of its meaningful words were
  heard freely too, in order): act on the grammar's reading, the steadier one in noise;
- otherwise: "Sorry?" if words were heard, nothing if it was only the room. A word or two that
  only one of the searches made out of the sound is how noise is heard: nothing.

Commands that end or reset the session, or skip an exercise, need more: both readings must mean
that command, and so must the best sentence of the free search's n-best list (flite's Scottish
voice saying "start the workout" was heard as "stop the workout" by both searches, while the
list's best sentence was "start the workout"). Heard with doubt, the coach asks first ("Stop the
workout?"). Sound that stands only a little above the room's noise floor
(``Utterance.above_floor_db``) is never a command.
"""

from __future__ import annotations

import enum
import functools
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from local_runner.understanding.text import FUNCTION_WORDS

if TYPE_CHECKING:
    from local_runner.listening.endpointing import Utterance
    from local_runner.listening.recognizer import Hypotheses, Recognizer
    from local_runner.understanding.parser import Understander

FALLBACK = "AMAZON.FallbackIntent"
YES, NO = "AMAZON.YesIntent", "AMAZON.NoIntent"
# Commands that end or reset the session or skip an exercise: never on a doubtful hearing.
DESTRUCTIVE = frozenset({"AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.StartOverIntent", "SkipExerciseIntent"})


class Verdict(enum.Enum):
    ACT = "act"  # send the words to the coach
    CONFIRM = "confirm"  # ask first ("Stop the workout?")
    SORRY = "sorry"  # speech, but no command the coach is sure of
    NOTHING = "nothing"  # only the room


@dataclass(frozen=True)
class Settings:
    """The thresholds, chosen on the tune set of tests/data/natural_commands.toml (never the test set)."""

    above_floor_db: float = 9.0  # sound that stands less above the room's noise is the room (noise alone: <= 7.5 dB)
    support: float = 0.34  # share of the grammar's words the free reading also heard, in order
    short: int = 2  # or: both readings this short (a one-word command in noise defeats the free reading)
    free_confidence: float = 0.6  # the parser's confidence in a command only the free reading has
    grammar_votes: float = 2.0  # the grammar's reading counts this much; the free reading 1, its n-best 1/rank
    majority: float = 0.5  # the share of all the votes a command needs to be acted on that way


@dataclass(frozen=True)
class Heard:
    """The verdict on one utterance, the words to act on (or ask about) and their intent."""

    verdict: Verdict
    words: str = ""
    intent: str = FALLBACK


def _meaningful(words: str) -> list[str]:
    """The words that carry meaning ("next", "weather"), not "the", "i" or "what's"."""
    every = words.split()
    kept = [
        word
        for word in every
        if word not in FUNCTION_WORDS and word.split("'")[0] not in FUNCTION_WORDS | {"what", "let", "how", "where"}
    ]
    return kept or every


def agreement(free: str, grammar: str) -> float:
    """The share of the grammar reading's meaningful words that the free reading also has, in order."""
    said, forced = _meaningful(free), _meaningful(grammar)
    if not forced:
        return 0.0
    longest = [0] * (len(forced) + 1)
    for word in said:
        previous = 0
        for j, other in enumerate(forced, 1):
            current = longest[j]
            longest[j] = previous + 1 if word == other else max(longest[j], longest[j - 1])
            previous = current
    return longest[-1] / len(forced)


class Judge:
    """Weighs the two readings of each utterance with the offline parser."""

    def __init__(self, understander: Understander, settings: Settings | None = None) -> None:
        self.understander = understander
        self.settings = settings or Settings()
        # each utterance's dozen readings share many sentences, and "next" is said a hundred times
        self._parse = functools.lru_cache(maxsize=512)(self._parse_words)

    def _parse_words(self, words: str) -> tuple[str, dict[str, Any], float]:
        if not words:
            return FALLBACK, {}, 0.0
        understood = self.understander.understand(words)
        return understood.intent, understood.to_contract()["slots"], understood.confidence

    def listen(self, recognizer: Recognizer, utterance: Utterance) -> Heard:
        """The verdict on one utterance, decoding no more than it takes: nothing for the room's own
        noise; only the free reading when it settles it alone (``_free_is_clear``: a sure command of a
        few words that ends nothing, borne out by the free search's own n-best list; the grammar's
        reading is then not decoded, as it rarely changes the verdict); both readings otherwise."""
        from local_runner.listening.recognizer import FREE, GRAMMAR, Hypotheses

        if utterance.above_floor_db < self.settings.above_floor_db:
            return Heard(Verdict.NOTHING)
        free = recognizer.transcribe(utterance.pcm, FREE)
        alternatives = recognizer.alternatives()  # read now: the grammar's decode replaces them
        if self._free_is_clear(free, alternatives):
            return Heard(Verdict.ACT, free, self._parse(free)[0])
        heard = Hypotheses(free, recognizer.transcribe(utterance.pcm, GRAMMAR), alternatives)
        return self.judge(heard, utterance.above_floor_db)

    def _free_is_clear(self, free: str, alternatives: tuple[str, ...]) -> bool:
        """Whether the free reading alone settles it: a command of a few words that the parser is
        sure of, that ends nothing, and that most of the free search's n-best list means too."""
        intent, slots, confidence = self._parse(free)
        if len(free.split()) <= self.settings.short or intent in DESTRUCTIVE | {FALLBACK}:
            return False
        if confidence < self.settings.free_confidence:
            return False
        if not alternatives:  # no n-best list to bear it out or not (a decoder that keeps none)
            return True
        voted = self.vote(free, "", alternatives)
        return voted is not None and self._parse(voted.words)[:2] == (intent, slots)

    def vote(self, free: str, grammar: str, alternatives: tuple[str, ...]) -> Heard | None:
        """The command most of the readings mean, if it has ``majority`` of the votes: the grammar's
        reading counts ``grammar_votes``, the free reading 1, the n-best's sentences 1, 1/2, 1/3...
        by rank. Readings that mean no command (or one the parser is unsure of) count against all."""
        if not alternatives:  # without the n-best list, two readings are no majority to go by
            return None
        votes: dict[tuple[str, tuple[tuple[str, Any], ...]], float] = defaultdict(float)
        words: dict[tuple[str, tuple[tuple[str, Any], ...]], str] = {}
        total = 0.0
        weighed = [(free, 1.0), (grammar, self.settings.grammar_votes)]
        weighed += [(sentence, 1 / rank) for rank, sentence in enumerate(alternatives, 1)]
        for sentence, weight in weighed:
            if not sentence:
                continue
            total += weight
            intent, slots, confidence = self._parse(sentence)
            if intent == FALLBACK or confidence < self.settings.free_confidence:
                continue
            command = (intent, tuple(sorted(slots.items())))
            votes[command] += weight
            words.setdefault(command, sentence)
        if not votes:
            return None
        command, weight = max(votes.items(), key=lambda item: item[1])
        if weight < self.settings.majority * total:
            return None
        verdict = Verdict.CONFIRM if command[0] in DESTRUCTIVE else Verdict.ACT
        return Heard(verdict, words[command], command[0])

    def judge(self, heard: Hypotheses, above_floor_db: float = 99.0) -> Heard:
        """The verdict on one utterance's two readings, ``above_floor_db`` over the room's noise."""
        settings = self.settings
        if above_floor_db < settings.above_floor_db or not (heard.free or heard.grammar):
            return Heard(Verdict.NOTHING)
        free_intent, free_slots, free_confidence = self._parse(heard.free)
        grammar_intent, grammar_slots, _ = self._parse(heard.grammar)
        if free_intent == grammar_intent != FALLBACK and free_slots == grammar_slots:
            if grammar_intent in DESTRUCTIVE and heard.alternatives:
                best = self._parse(heard.alternatives[0])
                if best[:2] != (grammar_intent, grammar_slots):  # the lattice's best sentence doubts it
                    return Heard(Verdict.CONFIRM, heard.grammar, grammar_intent)
            return Heard(Verdict.ACT, heard.grammar, grammar_intent)
        if self._free_is_clear(heard.free, heard.alternatives):
            return Heard(Verdict.ACT, heard.free, free_intent)
        voted = self.vote(heard.free, heard.grammar, heard.alternatives)
        if voted is not None:
            return voted
        free_words, grammar_words = len(heard.free.split()), len(heard.grammar.split())
        lone = not (free_words and grammar_words) and max(free_words, grammar_words) <= settings.short
        short = 0 < free_words <= settings.short and grammar_words <= settings.short
        if short and grammar_intent != FALLBACK:
            chosen = Heard(Verdict.ACT, heard.grammar, grammar_intent)
        elif free_intent != FALLBACK and free_confidence >= settings.free_confidence and not lone:
            chosen = Heard(Verdict.ACT, heard.free, free_intent)
        elif grammar_intent != FALLBACK and agreement(heard.free, heard.grammar) >= settings.support:
            chosen = Heard(Verdict.ACT, heard.grammar, grammar_intent)
        else:
            verdict = Verdict.SORRY if heard.free and not lone else Verdict.NOTHING
            return Heard(verdict, heard.free or heard.grammar)
        if chosen.intent in DESTRUCTIVE:
            return Heard(Verdict.CONFIRM, chosen.words, chosen.intent)
        return chosen
