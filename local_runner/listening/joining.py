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
  heard as one utterance, and when that is a command (or a question to ask) it is what counts;
  else each part counts on its own, as before. A command of its own said just after a command
  ("start a ten minute workout ... stop", "skip this ... pause", "... my knee hurts": one that
  ends, resets or skips, pain, or one word that takes nothing more) is never swallowed by it;
- otherwise what is held counts once the stream is past that time and nothing began in it, about
  0.9 s later than it would have counted before (or when speech that began in the gap has gone
  on for ``LONGEST_WAIT`` seconds: the radio, another person).

A command of one word ("pause", "next", "stop", "yes") is acted on as soon as it is heard, and so
is pain, in any words; the rest of a report of pain said after a pause ("ow ... my knee") is not
taken for a second report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from local_runner.listening.endpointing import Utterance
from local_runner.listening.hearing import DESTRUCTIVE, Heard, Verdict

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from local_runner.listening.hearing import Judge
    from local_runner.listening.recognizer import Recognizer

# Speech that begins again within this many seconds of the end of what is held continues it: the
# detector splits on a pause of 0.2 s and more; people pause longer mid-sentence, rarely over 0.7 s.
JOIN_GAP = 0.8
# The detector says speech began up to its window (0.3 s) after it did, and is told a chunk of sound
# at a time: what is held counts once the stream is this far past the gap with no speech begun in it.
DETECTION_LAG = 0.4
# Once more speech began after what is held, it waits at most this long for that speech to end: a
# radio or another person may go on talking, and what is held is let go without them.
LONGEST_WAIT = 5.0
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
        self._reported: Decision | None = None  # pain, acted on at once: what follows may finish it
        self._began: float | None = None  # when speech last began, by the detector

    def add(self, utterance: Utterance) -> list[Decision]:
        held, self._held = self._held, None
        reported, self._reported = self._reported, None
        self._began = None
        earlier = held or reported
        if earlier is None or utterance.start - earlier.utterance.end > self.gap:
            decided = [held] if held is not None else []
            return decided + self._hold_or_decide(Decision(utterance, self.judge.listen(self.recognizer, utterance)))
        joined = _joined(earlier.utterance, utterance)
        whole = self.judge.listen(self.recognizer, joined)
        alone = self.judge.listen(self.recognizer, utterance)
        own = self._stands_alone(alone)  # "... stop the workout", "... pause": a command of its own
        if held is not None:
            # after a command, a command of its own is another; after words that meant nothing yet
            # it may end them ("something twinged ... in my hip"), if the whole means it too
            command = held.heard.verdict in (Verdict.ACT, Verdict.CONFIRM)
            ends = not own or (not command and whole.intent == alone.intent)
            if whole.verdict in (Verdict.ACT, Verdict.CONFIRM) and ends:
                return self._hold_or_decide(Decision(joined, whole))
            return [held, *self._hold_or_decide(Decision(utterance, alone))]
        if whole.intent == earlier.heard.intent and not (own and alone.intent != whole.intent):
            self._reported = Decision(joined, whole)
            return []  # the rest of a report of pain ("ow ... my knee"): not a second report
        return self._hold_or_decide(Decision(utterance, alone))

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
        if self._began is not None and end < self._began <= end + self.gap and now < self._began + LONGEST_WAIT:
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
        if decision.heard.verdict is Verdict.ACT and decision.heard.intent in NEVER_HELD:
            self._reported = decision
        return [decision]

    def _may_continue(self, heard: Heard) -> bool:
        """Whether what was heard may be the first part of a longer command: anything said in more
        than a word (but pain), speech that is no command yet or was taken for noise, and a command
        of one word with room for more ("start ... a ten minute workout")."""
        if heard.intent in NEVER_HELD or not heard.words:
            return False
        if heard.verdict in (Verdict.SORRY, Verdict.NOTHING) or len(heard.words.split()) > 1:
            return True
        return heard.verdict is Verdict.ACT and bool(self._open_slots(heard))

    def _stands_alone(self, heard: Heard) -> bool:
        """Whether what was heard is a command of its own, never the end of another: one that ends,
        resets or skips, pain, or one word that takes nothing more ("pause", "next", "yes")."""
        if heard.verdict not in (Verdict.ACT, Verdict.CONFIRM):
            return False
        if heard.intent in DESTRUCTIVE | NEVER_HELD:
            return True
        return len(heard.words.split()) == 1 and not self._takes_slots(heard)

    def _open_slots(self, heard: Heard) -> int:
        understood = self.judge.understander.understand(heard.words)
        return len(self.judge.understander.index.slot_names.get(understood.intent, {})) - len(understood.slots)

    def _takes_slots(self, heard: Heard) -> bool:
        understood = self.judge.understander.understand(heard.words)
        return bool(self.judge.understander.index.slot_names.get(understood.intent))


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
