"""What to do with what was heard: act on it, ask first, say "Sorry?", or nothing at all.

Each utterance is decoded twice (``local_runner.listening.recognizer``): freely, with the
commands' language model and general English around it, and strictly, with the command grammar.
Both readings go through the offline parser. How far they agree is the confidence measure:

- the two readings mean the same command: act on it;
- both readings are a word or two: act on the grammar's (the free reading is weakest on one-word
  commands: "pause" heard freely as "close");
- only the free reading is a command the parser is sure of (a paraphrase the grammar has no
  sentence for): act on it;
- the grammar's sentence is borne out by the free reading (a third of its meaningful words were
  heard freely too, in order): act on the grammar's reading, the steadier one in noise;
- otherwise: "Sorry?" if words were heard, nothing if it was only the room. A word or two that
  only one of the searches made out of the sound is how noise is heard: nothing.

Commands that end or reset the session, or skip an exercise, need more: both readings must mean
that command. Heard with doubt, the coach asks first ("Stop the workout?"). Sound that stands
only a little above the room's noise floor (``Utterance.above_floor_db``) is never a command.
"""

from __future__ import annotations

import enum
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

    def _parse(self, words: str) -> tuple[str, dict[str, Any], float]:
        if not words:
            return FALLBACK, {}, 0.0
        understood = self.understander.understand(words)
        return understood.intent, understood.to_contract()["slots"], understood.confidence

    def listen(self, recognizer: Recognizer, utterance: Utterance) -> Heard:
        """The verdict on one utterance, decoding no more than it takes: nothing for the room's own
        noise; only the free reading when it is a command of a few words the parser is sure of and
        that ends nothing (the grammar's reading could not change the verdict: agreeing, it means
        the same command; disagreeing, the free reading is taken anyway); both readings otherwise."""
        from local_runner.listening.recognizer import FREE, GRAMMAR, Hypotheses

        if utterance.above_floor_db < self.settings.above_floor_db:
            return Heard(Verdict.NOTHING)
        free = recognizer.transcribe(utterance.pcm, FREE)
        intent, _, confidence = self._parse(free)
        if (
            len(free.split()) > self.settings.short
            and intent not in DESTRUCTIVE | {FALLBACK}
            and confidence >= self.settings.free_confidence
        ):
            return Heard(Verdict.ACT, free, intent)
        heard = Hypotheses(free, recognizer.transcribe(utterance.pcm, GRAMMAR))
        return self.judge(heard, utterance.above_floor_db)

    def judge(self, heard: Hypotheses, above_floor_db: float = 99.0) -> Heard:
        """The verdict on one utterance's two readings, ``above_floor_db`` over the room's noise."""
        settings = self.settings
        if above_floor_db < settings.above_floor_db or not (heard.free or heard.grammar):
            return Heard(Verdict.NOTHING)
        free_intent, free_slots, free_confidence = self._parse(heard.free)
        grammar_intent, grammar_slots, _ = self._parse(heard.grammar)
        if free_intent == grammar_intent != FALLBACK and free_slots == grammar_slots:
            return Heard(Verdict.ACT, heard.grammar, grammar_intent)
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
