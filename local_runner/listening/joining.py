"""A command said with a pause in it is one command: "start a ten minute ... lower back workout".

The voice activity detector ends an utterance after a fifth of a second without speech, and people
stop longer than that mid-sentence while they think what they want. Heard apart, the halves were
two commands: "start a ten minute" began a ten minute full back workout and "lower back workout"
at once put one of the usual length in its place; "take a break ... for a minute" paused and then
began a one minute workout; "i'm done ... with this exercise" ended the session. (Spoken with half
a second's pause mid-sentence, the dev set's commands were understood 27 % of the time, against
75 % said straight through, and 8 of 372 clips ended a session nobody meant to end.)

So what may be only the first part of a longer command is held a moment before it is acted on:

- anything said in more than a word, speech that is no command yet ("can you make it") or that was
  taken for noise, and a command of one word with room for more ("start ...") are held;
- when speech begins again within ``JOIN_GAP`` seconds of the end of what is held, the two are
  heard as one utterance; when that is a command (or a question to ask), it is what counts, else
  each part counts on its own, as before;
- otherwise what is held counts once the stream is past that time and nothing began in it: about
  0.8 s after it would have counted before.

A command of one word ("pause", "next", "stop", "yes") is acted on as soon as it is heard, and so
is pain, in any words: what follows those at once is heard on its own, except what only finishes
the report of pain ("my knee is ... hurting on this one" is one report, not two).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from local_runner.listening.endpointing import Utterance
from local_runner.listening.hearing import Heard, Verdict

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from local_runner.listening.hearing import Judge
    from local_runner.listening.recognizer import Recognizer

# Speech that begins again within this many seconds of the end of what is held continues it: the
# detector splits on a pause of 0.2 s and more; people pause longer mid-sentence, rarely over 0.7 s.
JOIN_GAP = 0.8
# The detector says speech began this long after it did (its window): what is held counts once the
# stream is this far past the gap with no speech begun in it.
DETECTION_LAG = 0.3
# Acted on at once, whatever is left unsaid: pain stops the set (the coach asks where it hurts).
NEVER_HELD = frozenset({"ReportPainIntent"})


@dataclass(frozen=True)
class Decision:
    """What was heard in one stretch of speech (one utterance, or a held one and what continued it)."""

    utterance: Utterance
    heard: Heard


class Joiner:
    """Holds what may be the first part of a longer command until it is clear whether more came.

    ``add`` each utterance as it ends; ``speech_began`` when the detector hears speech begin (the
    live microphone, so that what is held is not let go while its continuation is being said);
    ``due`` as the stream goes on; ``finish`` at its end. Each returns the decisions now final, in
    order."""

    def __init__(self, judge: Judge, recognizer: Recognizer, gap: float = JOIN_GAP) -> None:
        self.judge = judge
        self.recognizer = recognizer
        self.gap = gap
        self._held: Decision | None = None
        self._acted: Decision | None = None  # acted on at once: what follows at once may be its rest
        self._began: float | None = None  # when speech last began, by the detector

    def add(self, utterance: Utterance) -> list[Decision]:
        held, self._held = self._held, None
        acted, self._acted = self._acted, None
        self._began = None
        if acted is not None and len(acted.heard.words.split()) < 2:
            acted = None  # a command said in a word is whole: what follows is another ("pause ... next")
        earlier = held or acted
        if earlier is not None and utterance.start - earlier.utterance.end <= self.gap:
            joined = _joined(earlier.utterance, utterance)
            whole = Decision(joined, self.judge.listen(self.recognizer, joined))
            if whole.heard.verdict in (Verdict.ACT, Verdict.CONFIRM):
                if held is not None:
                    return self._hold_or_decide(whole)
                return self._after(earlier, whole, utterance)
        decided = [held] if held is not None else []
        heard = self.judge.listen(self.recognizer, utterance)
        return decided + self._hold_or_decide(Decision(utterance, heard))

    def _after(self, acted: Decision, whole: Decision, rest: Utterance) -> list[Decision]:
        """``rest``, said just after ``acted`` was acted on, where the two heard as one (``whole``)
        are a command too. When the whole means what was acted on, ``rest`` was only the rest of it
        ("wait i need ... to catch my breath"), unless alone it is surer of something else; when the
        whole means something new, it counts, or ``rest`` alone if the parser is surer of that."""
        alone = self.judge.listen(self.recognizer, rest)
        whole_means = self._reading(whole.heard)
        alone_means = self._reading(alone) if alone.verdict in (Verdict.ACT, Verdict.CONFIRM) else None
        surer_alone = alone_means is not None and alone_means[2] > whole_means[2]
        if whole_means[:2] == self._reading(acted.heard)[:2]:
            if surer_alone and alone_means is not None and alone_means[:2] != whole_means[:2]:
                return self._hold_or_decide(Decision(rest, alone))
            self._acted = whole
            return []
        return self._hold_or_decide(Decision(rest, alone) if surer_alone else whole)

    def speech_began(self, at: float | None) -> None:
        """The detector heard speech begin at stream time ``at`` (seconds); None: what it heard
        came to no utterance after all (a knock: what is held need not wait for it)."""
        self._began = at

    def due(self, now: float) -> list[Decision]:
        """What is held, once the stream (at ``now`` seconds) is past the time its continuation
        could have begun and none did."""
        held = self._held
        if held is None:
            return []
        end = held.utterance.end
        if self._began is not None and end < self._began <= end + self.gap:
            return []  # more is being said: it is joined when it ends
        if now < end + self.gap + DETECTION_LAG:
            return []
        self._held = None
        return [held]

    def finish(self) -> list[Decision]:
        """What is still held at the end of the stream."""
        held, self._held = self._held, None
        return [held] if held is not None else []

    def _hold_or_decide(self, decision: Decision) -> list[Decision]:
        if self._may_continue(decision.heard):
            self._held = decision
            return []
        if decision.heard.verdict is Verdict.ACT:  # not a question: what follows it is its answer
            self._acted = decision
        return [decision]

    def _may_continue(self, heard: Heard) -> bool:
        """Whether what was heard may be the first part of a longer command: anything said in more
        than a word (but pain), speech that is no command yet or was taken for noise, and a command
        with room for more that was not said ("start ... a ten minute workout")."""
        if heard.intent in NEVER_HELD or not heard.words:
            return False
        if heard.verdict is not Verdict.ACT or len(heard.words.split()) > 1:
            return True
        understood = self.judge.understander.understand(heard.words)
        takes = self.judge.understander.index.slot_names.get(understood.intent, {})
        return len(understood.slots) < len(takes)

    def _reading(self, heard: Heard) -> tuple[str, dict[str, Any], float]:
        """What the words heard mean (intent, slots) and how sure the parser is of it."""
        understood = self.judge.understander.understand(heard.words)
        contract = understood.to_contract()
        return contract["intent"], contract["slots"], understood.confidence


def decisions(judge: Judge, recognizer: Recognizer, utterances: Iterable[Utterance]) -> Iterator[Decision]:
    """The decisions on a stream of utterances (a recording: no clock to wait on)."""
    joiner = Joiner(judge, recognizer)
    for utterance in utterances:
        yield from joiner.add(utterance)
    yield from joiner.finish()


def _joined(first: Utterance, then: Utterance) -> Utterance:
    """Two utterances heard as one: the sound of both, one after the other (the pause between them
    mostly dropped: each keeps a little of the quiet around it)."""
    return Utterance(
        first.start,
        then.end,
        first.pcm + then.pcm,
        max(first.above_floor_db, then.above_floor_db),
        first.room,
    )
