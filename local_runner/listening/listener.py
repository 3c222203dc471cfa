"""Spoken commands for the coach: ``--listen`` (the microphone) and ``--listen-from FILE`` (a WAV).

What is heard goes into the same ``Inbox`` as typed lines, as the words recognised, so the coach
treats "pause" said during a plank exactly as "pause" typed. Sound that is not a command (a cough,
a word the grammar does not know) is dropped with a short note rather than sent to the skill.

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

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from local_runner.coaching.clock import Inbox
    from local_runner.listening.audio_in import Microphone
    from local_runner.listening.recognizer import Recognizer
    from local_runner.understanding.parser import Understander

FALLBACK = "AMAZON.FallbackIntent"
ECHO_TAIL_SECONDS = 0.3  # the room still rings this long after the coach stops talking


class SpokenCommands:
    """An utterance's audio to the command said, or None (with ``on_unclear`` told) if none."""

    def __init__(self, recognizer: Recognizer, understander: Understander, on_unclear: Callable[[str], None]) -> None:
        self.recognizer = recognizer
        self.understander = understander
        self.on_unclear = on_unclear

    def command(self, pcm: bytes) -> str | None:
        words = self.recognizer.transcribe(pcm)
        if not words or self.understander.understand(words).intent == FALLBACK:
            self.on_unclear(words)
            return None
        return words


def commands_in_file(path: Path, recognizer: Recognizer, commands: SpokenCommands) -> list[str]:
    """Every command spoken in a WAV file, in order (``AudioInputError`` if it can't be read)."""
    from local_runner.listening.audio_in import read_wav

    pcm = read_wav(path)
    return [text for utterance in recognizer.segments([pcm]) if (text := commands.command(utterance.pcm))]


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
    ) -> None:
        self.microphone = microphone
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

    def _run(self) -> None:
        for utterance in self.recognizer.segments(self._sound()):
            if self._stop.is_set():
                return
            text = self.commands.command(utterance.pcm)
            if text is not None:
                self.inbox.put(text)

    def _sound(self) -> Iterator[bytes]:
        """The microphone's sound, silenced while (and just after) the coach itself talks."""
        quiet_until = 0.0
        for chunk in self.microphone.chunks():
            if self._stop.is_set():
                return
            now = time.monotonic()
            if self.coach_talking():
                quiet_until = now + ECHO_TAIL_SECONDS
            yield bytes(len(chunk)) if now < quiet_until else chunk
