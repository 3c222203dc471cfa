"""Cutting a stream of sound into utterances, against the room's own noise.

pocketsphinx's voice activity detector (``Endpointer``) says where speech seems to begin and end.
Beside it, ``NoiseFloor`` follows how loud the room is while nobody speaks (a fan, pink noise,
music): the median loudness of the last few seconds of non-speech. Each utterance carries how far
its loud part stands above that floor, so what the detector took for speech but is only the room
getting a little louder (the next bar of the music) can be set aside before it is decoded. It
carries the room's recent sound too, for ``denoising`` to take the room's steady noise out of it.
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
    from collections.abc import Iterable, Iterator

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
    """The room's loudness while nobody speaks: the median of the recent non-speech frames."""

    def __init__(self, frames: int, known_after: int = 1) -> None:
        self.recent: deque[float] = deque(maxlen=frames)
        self.known_after = known_after

    def add(self, level_db: float) -> None:
        self.recent.append(level_db)

    @property
    def db(self) -> float | None:
        """The floor in dB, or None while less than ``KNOWN_AFTER_SECONDS`` of the room was heard."""
        if len(self.recent) < self.known_after:
            return None
        ordered = sorted(self.recent)
        return ordered[len(ordered) // 2]


@dataclass(frozen=True)
class Utterance:
    """A stretch of speech cut from a stream: where it was (seconds), its audio, and how far its
    loud part stood above the room's noise floor (dB)."""

    start: float
    end: float
    pcm: bytes
    above_floor_db: float = 99.0
    room: bytes = b""  # the room's sound while nobody spoke, up to FLOOR_SECONDS of it, before the utterance


def segments(endpointer: Any, chunks: Iterable[bytes]) -> Iterator[Utterance]:
    """Utterances found in a stream of PCM chunks of any size, as each one ends.

    The voice activity detector decides a little after speech has begun, so each utterance is
    cut from the raw stream with a margin before and after: the first consonant of "start" or
    "skip" is what tells them apart from "art" or "kip".
    """
    size = endpointer.frame_bytes
    frame_seconds = size / BYTES_PER_SECOND
    # The detector looks back over its window before it says speech began: keep that much too.
    before = int((UTTERANCE_MARGINS[0] + 2 * endpointer.DEFAULT_WINDOW) * SAMPLE_RATE) * 2
    floor = NoiseFloor(int(FLOOR_SECONDS / frame_seconds), int(KNOWN_AFTER_SECONDS / frame_seconds))
    room: deque[bytes] = deque(maxlen=int(FLOOR_SECONDS / frame_seconds))  # the frames the floor heard
    levels: deque[tuple[float, float, bytes]] = deque()  # (stream time, dB, sound) of the frames in ``sound``
    pending = b""
    sound = _Sound()
    speaking = False
    began = 0.0
    for chunk in chunks:
        pending += chunk
        while len(pending) >= size:
            frame, pending = pending[:size], pending[size:]
            level = frame_db(frame)
            levels.append((sound.end, level, frame))
            sound.add(frame)
            endpointer.process(frame)
            if endpointer.in_speech and not speaking:
                began = endpointer.speech_start
            elif speaking and not endpointer.in_speech:
                yield _cut(sound, levels, floor, room, began, endpointer.speech_end)
                while levels and levels[0][0] <= endpointer.speech_end:
                    levels.popleft()  # speech is not the room's noise
            speaking = endpointer.in_speech
            if not speaking:
                sound.keep_last(before)
                while levels and levels[0][0] < sound.start - 1e-6:
                    _, level, frame = levels.popleft()
                    floor.add(level)
                    room.append(frame)
    sound.add(pending)
    endpointer.end_stream(pending.ljust(size, b"\0") if pending else b"\0" * size)
    if speaking:
        yield _cut(sound, levels, floor, room, began, max(endpointer.speech_end, sound.end))


def _cut(
    sound: _Sound,
    levels: deque[tuple[float, float, bytes]],
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
    heard = b"".join([*room, *(frame for at, _, frame in levels if at < before)])
    heard = heard[-int(FLOOR_SECONDS * BYTES_PER_SECOND) :]
    inside = sorted(level for at, level, _ in levels if before <= at <= end + UTTERANCE_MARGINS[1])
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
