"""Spoken commands for the coach: ``--listen`` (the microphone) and ``--listen-from FILE`` (a WAV).

What is heard goes into the same ``Inbox`` as typed lines, as the words recognised, so the coach
treats "pause" said during a plank exactly as "pause" typed. ``local_runner.listening.hearing`` decides what
an utterance is worth: speech that is no command the coach is sure of gets a spoken "Sorry?" and
is sent nowhere; the room's own noise gets nothing; a command that would end, reset or skip,
heard with doubt, is asked about first ("Stop the workout?") and sent only on a "yes".

The coach does not listen to itself: while its own voice is playing, the microphone's sound is
replaced by silence (and for a moment after, for the room's echo), so "Next up, the plank" from
the speaker is never taken as "next". Holds and rests are silent, so commands said during them
are heard; with headphones nothing is lost either way.
"""

from __future__ import annotations

import io
import threading
import time
from typing import TYPE_CHECKING

from local_runner.listening.endpointing import BYTES_PER_SECOND

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from local_runner.coaching.clock import Inbox
    from local_runner.listening.adaptation import Learner
    from local_runner.listening.audio_in import Microphone
    from local_runner.listening.endpointing import Utterance
    from local_runner.listening.hearing import Heard
    from local_runner.listening.joining import Decision
    from local_runner.listening.recognizer import Recognizer
    from local_runner.understanding.parser import Understander

ECHO_TAIL_SECONDS = 0.3  # the room still rings this long after the coach stops talking
CONFIRM_SECONDS = 10.0  # how long a "Stop the workout?" waits for its yes
QUESTIONS = {
    "AMAZON.StopIntent": "listen.confirm.stop",
    "AMAZON.CancelIntent": "listen.confirm.stop",
    "AMAZON.StartOverIntent": "listen.confirm.start_over",
    "SkipExerciseIntent": "listen.confirm.skip",
}


class SpokenCommands:
    """Utterances to the commands to send the coach (``hear``, ``due``, ``finish``: what may be the
    first part of a longer command is held a moment, ``joining``).

    ``on_unclear(words)`` is told of speech that was no command (for a note on screen), and
    ``say(text)`` speaks the coach's short answers: "Sorry?", and the question before a command
    that ends the session when it was heard with doubt. ``learn(sound, words)`` is given each
    command acted on (``adaptation.Learner``: the coach learns the person's voice).
    """

    def __init__(
        self,
        recognizer: Recognizer,
        understander: Understander,
        on_unclear: Callable[[str], None],
        say: Callable[[str], None] | None = None,
        locale: str = "en-US",
        learn: Callable[[bytes, str], None] | None = None,
    ) -> None:
        from local_runner.listening.hearing import Judge
        from local_runner.listening.joining import Joiner
        from skill.dialog import dialog_for

        self.recognizer = recognizer
        self.judge = Judge(understander)
        self.joiner = Joiner(self.judge, recognizer)
        self.on_unclear = on_unclear
        self.say = say or (lambda text: None)
        self.learn = learn
        self.dialog = dialog_for(locale)
        self._asked: tuple[Heard, float] | None = None  # a question waiting for its yes, and when

    def hear(self, utterance: Utterance) -> list[str]:
        """The commands to send now that ``utterance`` has ended (none while what may be the first
        part of a longer command is held: ``joining``)."""
        return self._answer(self.joiner.add(utterance))

    def speech_began(self, at: float | None) -> None:
        """The detector heard speech begin at stream time ``at``: a held command may go on (None:
        it came to nothing)."""
        self.joiner.speech_began(at)

    def due(self, now: float) -> list[str]:
        """The held command, once the stream (at ``now`` seconds) shows nothing more was said."""
        return self._answer(self.joiner.due(now))

    def finish(self) -> list[str]:
        """What is still held when the sound ends."""
        return self._answer(self.joiner.finish())

    def _answer(self, decisions: list[Decision]) -> list[str]:
        return [words for decision in decisions if (words := self._respond(decision)) is not None]

    def _respond(self, decision: Decision) -> str | None:
        from local_runner.listening.hearing import NO, YES, Verdict

        heard, utterance = decision.heard, decision.utterance
        if self.learn is not None and heard.verdict is Verdict.ACT:
            self.learn(utterance.pcm, heard.words)
        asked, self._asked = self._asked, None
        if asked is not None and utterance.start - asked[1] <= CONFIRM_SECONDS:
            if heard.verdict is Verdict.ACT and heard.intent == YES:
                return asked[0].words
            if heard.verdict is Verdict.ACT and heard.intent == NO:
                self.say(self.dialog.text("listen.carry_on"))
                return None
        if heard.verdict is Verdict.ACT:
            return heard.words
        if heard.verdict is Verdict.CONFIRM:
            self._asked = (heard, utterance.end)
            self.say(self.dialog.text(QUESTIONS[heard.intent]))
        elif heard.verdict is Verdict.SORRY:
            self.on_unclear(heard.words)
            self.say(self.dialog.text("listen.sorry"))
        return None


def commands_in_file(path: Path, recognizer: Recognizer, commands: SpokenCommands) -> list[str]:
    """Every command spoken in a WAV file, in order (``AudioInputError`` if it can't be read)."""
    from local_runner.listening.audio_in import read_wav

    pcm = read_wav(path)
    found = [text for utterance in recognizer.segments([pcm]) for text in commands.hear(utterance)]
    return found + commands.finish()


def script_stream(lines: list[str]) -> io.StringIO:
    """Recognised commands as a script for ``PipeReader``, one line each."""
    return io.StringIO("".join(f"{line}\n" for line in lines))


class MicrophoneListener:
    """Listens on a thread of its own and puts each spoken command into the inbox."""

    def __init__(
        self,
        microphone: Microphone,
        recognizer: Recognizer,
        commands: SpokenCommands,
        inbox: Inbox,
        coach_talking: Callable[[], bool],
        learner: Learner | None = None,
    ) -> None:
        self.microphone = microphone
        self.learner = learner
        self.recognizer = recognizer
        self.commands = commands
        self.inbox = inbox
        self.coach_talking = coach_talking
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="listener", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self.microphone.close()
        self._thread.join(timeout=1)
        if self.learner is not None:
            self.learner.close()

    def _run(self) -> None:
        for utterance in self.recognizer.segments(self._sound(), on_speech=self.commands.speech_began):
            if self._stop.is_set():
                return
            self._send(self.commands.hear(utterance))
        if not self._stop.is_set():
            self._send(self.commands.finish())

    def _send(self, commands: list[str]) -> None:
        for text in commands:
            self.inbox.put(text)

    def _sound(self) -> Iterator[bytes]:
        """The microphone's sound, silenced while (and just after) the coach itself talks."""
        quiet_until = 0.0
        heard = 0.0  # stream time, seconds: as the detector counts it
        for chunk in self.microphone.chunks():
            if self._stop.is_set():
                return
            self._send(self.commands.due(heard))  # a held command nothing more followed
            heard += len(chunk) / BYTES_PER_SECOND
            now = time.monotonic()
            if self.coach_talking():
                quiet_until = now + ECHO_TAIL_SECONDS
            yield bytes(len(chunk)) if now < quiet_until else chunk
