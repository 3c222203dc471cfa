"""Cutting a stream of sound into utterances, against the room's own noise.

pocketsphinx's voice activity detector (``Endpointer``) says where speech seems to begin and end;
where it hears speech in sound that does not stand out from the room (``LoudnessGate``: alone, it
takes music for speech that never ends), the utterance is cut down to what does. Beside it,
``NoiseFloor`` follows how loud the room is while nobody speaks (a fan, pink noise, music): the
median loudness of the last few seconds of non-speech. Each utterance carries how far its loud
part stands above that floor, so what the detector took for speech but is only the room getting a
little louder (the next bar of the music) can be set aside before it is decoded. It carries the
room's recent sound too, for ``denoising`` to take the room's steady noise out of it.
"""

from __future__ import annotations

import array
import math
import operator
import sys
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

SAMPLE_RATE = 16000
BYTES_PER_SECOND = SAMPLE_RATE * 2
# Speech begins once 3/4 of the detector's 0.3 s window sounds like speech (default 0.9), so a short
# word before a pause ("next ... exercise") is not lost.
ENDPOINTER_SETTINGS: dict[str, Any] = {"ratio": 0.75}
UTTERANCE_MARGINS = (0.15, 0.05)  # seconds of sound kept before and after the detected speech
FLOOR_SECONDS = 4.0  # how much of the recent non-speech the floor is the median of
KNOWN_AFTER_SECONDS = 0.5  # the floor is known once this much of the room was heard
QUIETEST_FLOOR_DB = 30.0  # the quietest a frame counts as (digital silence; 16-bit sample units, dB)
LOUD_SHARE = 0.1  # an utterance's loudness: the level its loudest tenth of frames reach
# Sound stands out from the room this far above the quietest tenth of the last few seconds: 9 dB
# keeps music and loud pink noise out and speech at 10 dB SNR in (6 dB let bars of music through).
GATE_SHARE = 0.1
GATE_DB = 9.0
EDGE_SECONDS = 0.3  # an utterance the detector overreached keeps this much either side of what stood out
QUIET_END_SECONDS = 0.6  # an utterance ends once nothing stood out from the room for this long


def frame_db(pcm: bytes) -> float:
    """The loudness of a frame of 16-bit PCM: its RMS in dB of sample units (0 dB = 1)."""
    samples = array.array("h")
    samples.frombytes(pcm[: len(pcm) // 2 * 2])
    if sys.byteorder == "big":
        samples.byteswap()
    if not samples:
        return QUIETEST_FLOOR_DB
    power = sum(map(operator.mul, samples, samples)) / len(samples)
    return max(QUIETEST_FLOOR_DB, 10 * math.log10(power + 1e-9))


class NoiseFloor:
    """The room's loudness while nobody speaks: by default the median of the recent non-speech
    frames (``share`` picks another point of their spread: 0.1, the quietest tenth)."""

    def __init__(self, frames: int, known_after: int = 1, share: float = 0.5) -> None:
        self.recent: deque[float] = deque(maxlen=frames)
        self.known_after = known_after
        self.share = share

    def add(self, level_db: float) -> None:
        self.recent.append(level_db)

    @property
    def db(self) -> float | None:
        """The floor in dB, or None while less than ``KNOWN_AFTER_SECONDS`` of the room was heard."""
        if len(self.recent) < self.known_after:
            return None
        ordered = sorted(self.recent)
        return ordered[int(len(ordered) * self.share)]


class LoudnessGate:
    """Which frames stand out from the room: ``GATE_DB`` above its quiet moments.

    pocketsphinx's detector takes steady music, or loud pink noise, for speech that never ends:
    over a radio nothing would ever be heard as said. The room's quiet moments are a low share
    (``GATE_SHARE``) of the loudness of every frame of the last few seconds, speech or not, so
    they are known even when the detector hears speech everywhere. Until the room is known (the
    first half second), every frame stands out.
    """

    def __init__(self, frames: int, known_after: int = 1) -> None:
        self.quiet = NoiseFloor(frames, known_after, GATE_SHARE)  # of every frame, speech or not

    def passes(self, level_db: float) -> bool:
        """Whether a frame this loud stands out from the room (all do until the room is known)."""
        self.quiet.add(level_db)
        floor = self.quiet.db
        return floor is None or level_db >= floor + GATE_DB


@dataclass(frozen=True)
class Utterance:
    """A stretch of speech cut from a stream: where it was (seconds), its audio, and how far its
    loud part stood above the room's noise floor (dB)."""

    start: float
    end: float
    pcm: bytes
    above_floor_db: float = 99.0
    room: bytes = b""  # the room's sound while nobody spoke, up to FLOOR_SECONDS of it, before the utterance


def segments(
    new_endpointer: Callable[[], Any],
    chunks: Iterable[bytes],
    on_speech: Callable[[float | None], None] | None = None,
) -> Iterator[Utterance]:
    """Utterances found in a stream of PCM chunks of any size, as each one ends.

    The voice activity detector decides a little after speech has begun, so each utterance is
    cut from the raw stream with a margin before and after: the first consonant of "start" or
    "skip" is what tells them apart from "art" or "kip". Where the detector hears speech in sound
    that does not stand out from the room (``LoudnessGate``: music, a loud fan), the utterance is
    cut down to the sound that does, and once nothing has stood out for ``QUIET_END_SECONDS`` it
    ends (the detector is started afresh): over a radio, the detector alone never ends one.
    ``on_speech`` is told the stream time (seconds) at which speech began, as soon as the detector
    says so (before the utterance ends), and None when what it took for speech ended as no
    utterance (nothing in it stood out from the room).
    """
    endpointer = new_endpointer()
    size = endpointer.frame_bytes
    frame_seconds = size / BYTES_PER_SECOND
    # The detector looks back over its window before it says speech began: keep that much too.
    before = int((UTTERANCE_MARGINS[0] + 2 * endpointer.DEFAULT_WINDOW) * SAMPLE_RATE) * 2
    floor = NoiseFloor(int(FLOOR_SECONDS / frame_seconds), int(KNOWN_AFTER_SECONDS / frame_seconds))
    gate = LoudnessGate(int(FLOOR_SECONDS / frame_seconds), int(KNOWN_AFTER_SECONDS / frame_seconds))
    room: deque[bytes] = deque(maxlen=int(FLOOR_SECONDS / frame_seconds))  # the frames the floor heard
    levels: deque[_Frame] = deque()  # the frames kept in ``sound``
    silence = bytes(size)  # a muted microphone (while the coach talks)
    pending = b""
    sound = _Sound()
    speaking = False
    began = 0.0
    since = 0.0  # stream time when the detector started: it counts its own time from there
    for chunk in chunks:
        pending += chunk
        while len(pending) >= size:
            frame, pending = pending[:size], pending[size:]
            level = frame_db(frame)
            muted = frame == silence
            levels.append(_Frame(sound.end, level, frame, muted, not muted and gate.passes(level)))
            sound.add(frame)
            endpointer.process(frame)
            if endpointer.in_speech and not speaking:
                began = since + endpointer.speech_start
                if on_speech is not None:
                    on_speech(began)
            ended = speaking and not endpointer.in_speech
            endless = speaking and not ended and _quiet_for(levels, began) >= QUIET_END_SECONDS
            if ended or endless:
                stretch = _loud_part(levels, began, since + endpointer.speech_end if ended else sound.end)
                if stretch is not None:
                    yield _cut(sound, levels, floor, room, *stretch)
                elif on_speech is not None:
                    on_speech(None)
                while levels and levels[0].at <= (stretch[1] if stretch else began):
                    levels.popleft()  # speech is not the room's noise
                if endless:
                    endpointer, since = new_endpointer(), sound.end
            speaking = endpointer.in_speech
            if not speaking:
                sound.keep_last(before)
                while levels and levels[0].at < sound.start - 1e-6:
                    old = levels.popleft()
                    if not old.muted:
                        floor.add(old.level)
                        room.append(old.sound)
    sound.add(pending)
    endpointer.end_stream(pending.ljust(size, b"\0") if pending else b"\0" * size)
    if speaking:
        stretch = _loud_part(levels, began, max(since + endpointer.speech_end, sound.end))
        if stretch is not None:
            yield _cut(sound, levels, floor, room, *stretch)


@dataclass(frozen=True)
class _Frame:
    at: float  # stream time, seconds
    level: float  # dB
    sound: bytes
    muted: bool  # digital silence: the microphone muted while the coach talks, not the room
    loud: bool  # it stands out from the room (``LoudnessGate``)


def _quiet_for(levels: deque[_Frame], since: float) -> float:
    """How long (seconds) nothing has stood out from the room, counting from ``since`` at most."""
    last = next((frame.at for frame in reversed(levels) if frame.loud), since)
    return levels[-1].at - max(last, since) if levels else 0.0


def _loud_part(levels: deque[_Frame], start: float, end: float) -> tuple[float, float] | None:
    """``start`` to ``end`` cut down to the sound in it that stands out from the room, with
    ``EDGE_SECONDS`` either side (the soft edges of a word stand out less); None if none does."""
    loud = [frame.at for frame in levels if frame.loud and start <= frame.at <= end]
    if not loud:
        return None
    return max(start, loud[0] - EDGE_SECONDS), min(end, loud[-1] + EDGE_SECONDS)


def _cut(
    sound: _Sound,
    levels: deque[_Frame],
    floor: NoiseFloor,
    room: deque[bytes],
    start: float,
    end: float,
) -> Utterance:
    """The utterance from ``start`` to ``end``, with how far its loud part stands above the floor:
    the room's, or the quiet moments of the utterance itself where they are quieter (when the
    sound began as the stream did, there was no room to learn the floor from); and the room's
    recent sound: what the floor heard and what came after it, before the utterance."""
    before = start - UTTERANCE_MARGINS[0]
    heard = b"".join([*room, *(frame.sound for frame in levels if frame.at < before and not frame.muted)])
    heard = heard[-int(FLOOR_SECONDS * BYTES_PER_SECOND) :]
    inside = sorted(frame.level for frame in levels if before <= frame.at <= end + UTTERANCE_MARGINS[1])
    if not inside:
        return sound.cut(start, end, 0.0, heard)
    loud = inside[min(len(inside) - 1, int(len(inside) * (1 - LOUD_SHARE)))]
    quiet = inside[int(len(inside) * LOUD_SHARE)]
    known = floor.db
    return sound.cut(start, end, loud - (quiet if known is None else min(known, quiet)), heard)


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

    def cut(self, start: float, end: float, above_floor_db: float, room: bytes = b"") -> Utterance:
        first = max(0, int((start - UTTERANCE_MARGINS[0] - self.start) * SAMPLE_RATE)) * 2
        last = max(first, int((end + UTTERANCE_MARGINS[1] - self.start) * SAMPLE_RATE)) * 2
        return Utterance(start, end, bytes(self.data[first:last]), above_floor_db, room)
