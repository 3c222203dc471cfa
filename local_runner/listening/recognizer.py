"""Offline recognition of spoken commands with pocketsphinx and its bundled US English model.

``Recognizer`` decodes 16 kHz, 16-bit mono PCM against the command grammar
(``local_runner.listening.grammar``), so it only ever hears word sequences the interaction models
contain; ``segments`` cuts a stream of audio into utterances with pocketsphinx's voice activity
detector. The pronunciation dictionary is the wheel's CMU dictionary, cut down to the grammar's
words, plus ``pronunciations.dict`` for the words it lacks ("glute", "deadlift", "pulldown").
"""

from __future__ import annotations

import array
import os
import random
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local_runner.listening.grammar import Grammar, command_grammar
from skill.errors import StrongBackError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

SAMPLE_RATE = 16000
BYTES_PER_SECOND = SAMPLE_RATE * 2
EXTRA_PRONUNCIATIONS = Path(__file__).with_name("pronunciations.dict")
# Tuned with benchmarks/bench_listen.py on synthesized voices with noise. A language weight below
# the default 6.5 lets the sound, not the grammar's branching, choose between long and short
# commands; no second lattice pass (it costs time and found nothing better).
DECODER_SETTINGS: dict[str, Any] = {"lw": 4.0, "bestpath": False, "loglevel": "FATAL"}
# Speech begins once 3/4 of the detector's 0.3 s window sounds like speech (default 0.9), so a short
# word before a pause ("next ... exercise") is not lost.
ENDPOINTER_SETTINGS: dict[str, Any] = {"ratio": 0.75}
UTTERANCE_MARGINS = (0.15, 0.05)  # seconds of sound kept before and after the detected speech
INSTALL_HINT = "pip install 'pocketsphinx>=5,<6' (make coach installs it)"


# A faint, fixed hiss added to every utterance: the acoustic model was trained on recordings, which
# always have a noise floor, and decodes the digital silence of synthesized or edited files badly
# ("pause" heard as "lats"). At about -55 dB it is far below any room's own noise.
_HISS = random.Random(16000)
NOISE_FLOOR = array.array("h", (round(_HISS.gauss(0, 60)) for _ in range(SAMPLE_RATE)))


def with_noise_floor(pcm: bytes) -> bytes:
    """``pcm`` with ``NOISE_FLOOR`` mixed in."""
    samples = array.array("h")
    samples.frombytes(pcm[: len(pcm) // 2 * 2])
    if sys.byteorder == "big":
        samples.byteswap()
    floor = NOISE_FLOOR
    size = len(floor)
    mixed = array.array("h", (max(-32768, min(32767, value + floor[i % size])) for i, value in enumerate(samples)))
    if sys.byteorder == "big":
        mixed.byteswap()
    return mixed.tobytes()


class RecognizerError(StrongBackError):
    """Speech recognition can't start; the message says why, for the person."""


@dataclass(frozen=True)
class Utterance:
    """A stretch of speech cut from a stream: where it was, in seconds, and its audio."""

    start: float
    end: float
    pcm: bytes


def _pocketsphinx() -> Any:
    try:
        import pocketsphinx
    except ImportError as error:
        raise RecognizerError(f"pocketsphinx is not installed ({error}); {INSTALL_HINT}") from None
    return pocketsphinx


def _base_word(entry: str) -> str:
    return re.sub(r"\(\d+\)$", "", entry)


def read_dictionary(path: Path) -> dict[str, list[str]]:
    """A pronunciation dictionary: word -> its pronunciations (``;`` starts a comment line)."""
    entries: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith(";"):
            continue
        entry, _, phones = line.strip().partition(" ")
        entries.setdefault(_base_word(entry), []).append(" ".join(phones.split()))
    return entries


def pronunciations(words: Iterable[str]) -> dict[str, list[str]]:
    """Every pronunciation of ``words``; ``RecognizerError`` names any word with none."""
    wanted = set(words)
    found: dict[str, list[str]] = {}
    bundled = Path(_pocketsphinx().get_model_path("en-us/cmudict-en-us.dict"))
    with bundled.open(encoding="utf-8") as lines:
        for line in lines:
            entry, _, phones = line.partition(" ")
            word = _base_word(entry)
            if word in wanted:
                found.setdefault(word, []).append(phones.strip())
    for word, extra in read_dictionary(EXTRA_PRONUNCIATIONS).items():
        if word in wanted:
            found[word] = extra + [phones for phones in found.get(word, []) if phones not in extra]
    missing = sorted(wanted - set(found))
    if missing:
        raise RecognizerError(f"no pronunciation for {', '.join(missing)}: add them to {EXTRA_PRONUNCIATIONS}")
    return found


def _dictionary_text(entries: dict[str, list[str]]) -> str:
    lines = []
    for word in sorted(entries):
        for number, phones in enumerate(entries[word], 1):
            lines.append(f"{word if number == 1 else f'{word}({number})'} {phones}")
    return "\n".join(lines) + "\n"


def decode(decoder: Any, pcm: bytes) -> str:
    """The words a pocketsphinx decoder hears in one utterance, with the noise floor mixed in."""
    if len(pcm) < 2:
        return ""
    decoder.start_utt()
    decoder.process_raw(with_noise_floor(pcm), full_utt=True)
    decoder.end_utt()
    hypothesis = decoder.hyp()
    return hypothesis.hypstr.strip() if hypothesis is not None else ""


class Recognizer:
    """Spoken commands to words, offline: ``transcribe`` an utterance, ``segments`` a stream."""

    def __init__(self, locale: str = "en-US", grammar: Grammar | None = None, **settings: Any) -> None:
        ps = _pocketsphinx()
        self.grammar = grammar or command_grammar(locale)
        text = _dictionary_text(pronunciations(self.grammar.words))
        handle, dictionary = tempfile.mkstemp(prefix="strong-back-", suffix=".dict")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            config = {**DECODER_SETTINGS, **settings}
            self.decoder = ps.Decoder(hmm=ps.get_model_path("en-us/en-us"), dict=dictionary, lm=None, **config)
        except (RuntimeError, ValueError, OSError) as error:
            raise RecognizerError(f"pocketsphinx could not start ({error})") from None
        finally:
            Path(dictionary).unlink()
        fsg = self.decoder.create_fsg("commands", self.grammar.start, self.grammar.final, self.grammar.transitions)
        self.decoder.add_fsg("commands", fsg)
        self.decoder.activate_search("commands")
        self._endpointer_class = ps.Endpointer

    def transcribe(self, pcm: bytes) -> str:
        """The words of one utterance (16 kHz 16-bit mono PCM); "" when nothing fits the grammar."""
        return decode(self.decoder, pcm)

    def segments(self, chunks: Iterable[bytes]) -> Iterator[Utterance]:
        """Utterances found in a stream of PCM chunks of any size, as each one ends.

        The voice activity detector decides a little after speech has begun, so each utterance is
        cut from the raw stream with a margin before and after: the first consonant of "start" or
        "skip" is what tells them apart from "art" or "kip".
        """
        endpointer = self._endpointer_class(sample_rate=SAMPLE_RATE, **ENDPOINTER_SETTINGS)
        size = endpointer.frame_bytes
        # The detector looks back over its window before it says speech began: keep that much too.
        before = int((UTTERANCE_MARGINS[0] + 2 * endpointer.DEFAULT_WINDOW) * SAMPLE_RATE) * 2
        pending = b""
        sound = _Sound()
        speaking = False
        began = 0.0
        for chunk in chunks:
            pending += chunk
            while len(pending) >= size:
                frame, pending = pending[:size], pending[size:]
                sound.add(frame)
                endpointer.process(frame)
                if endpointer.in_speech and not speaking:
                    began = endpointer.speech_start
                elif speaking and not endpointer.in_speech:
                    yield sound.cut(began, endpointer.speech_end)
                speaking = endpointer.in_speech
                if not speaking:
                    sound.keep_last(before)
        sound.add(pending)
        endpointer.end_stream(pending.ljust(size, b"\0") if pending else b"\0" * size)
        if speaking:
            yield sound.cut(began, max(endpointer.speech_end, sound.end))


class _Sound:
    """The recent stretch of a stream, to cut utterances from by stream time."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.start = 0.0  # stream time of data[0], in seconds

    @property
    def end(self) -> float:
        return self.start + len(self.data) / BYTES_PER_SECOND

    def add(self, pcm: bytes) -> None:
        self.data += pcm

    def keep_last(self, size: int) -> None:
        if len(self.data) > size:
            self.start += (len(self.data) - size) / BYTES_PER_SECOND
            del self.data[: len(self.data) - size]

    def cut(self, start: float, end: float) -> Utterance:
        first = max(0, int((start - UTTERANCE_MARGINS[0] - self.start) * SAMPLE_RATE)) * 2
        last = max(first, int((end + UTTERANCE_MARGINS[1] - self.start) * SAMPLE_RATE)) * 2
        return Utterance(start, end, bytes(self.data[first:last]))
