"""A whole guided workout rendered to one WAV file (16-bit PCM, mono, 22,050 Hz).

Each distinct phrase is synthesised once (a workout says "Five." dozens of times), by as
many speech workers as there are processor cores, and every phrase is placed at its moment on
the workout's timeline. espeak-ng ends each phrase with a short silence; that tail may run
under the next phrase. Should a phrase's speech itself run past the moment of the next one,
the next waits until it is over and the silence after takes up the difference, so no words
overlap and the file keeps the plan's length.
"""

from __future__ import annotations

import array
import contextlib
import os
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from local_runner.speaking.synthesis import Clip, Synthesizer
from local_runner.speaking.voices import DEFAULT_RATE_WPM, VoiceError, VoiceSettings
from skill.errors import StrongBackError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from skill.speech import Timeline

SAMPLE_RATE = 22050
SAMPLE_WIDTH = 2
SILENCE_LEVEL = 300  # |sample| at or below this counts as silence when trimming a phrase's tail
TAIL_SECONDS = 0.05  # kept after the last sound of a phrase
PUSH_GAP_SECONDS = 0.1  # between a phrase that ran long and the one it held back
CHUNK_FRAMES = SAMPLE_RATE * 10


class ExportError(StrongBackError, RuntimeError):
    """The workout could not be written; the message says why and what to do."""


@dataclass(frozen=True)
class ExportResult:
    """What was written."""

    path: Path
    seconds: float
    planned_seconds: float
    phrases: int
    distinct_phrases: int
    held_back: int  # phrases that waited for the one before to finish


@dataclass(frozen=True)
class Sound:
    """A phrase's samples with its trailing silence trimmed off."""

    frames: bytes

    @property
    def seconds(self) -> float:
        return len(self.frames) / SAMPLE_WIDTH / SAMPLE_RATE


def load_sound(clip: Clip) -> Sound:
    """A clip's samples as 16-bit mono at ``SAMPLE_RATE``, its silent tail trimmed."""
    with wave.open(str(clip.path), "rb") as wav:
        if wav.getsampwidth() != SAMPLE_WIDTH or wav.getnchannels() != 1 or wav.getframerate() != SAMPLE_RATE:
            raise ExportError(
                f"the speech engine wrote {wav.getframerate()} Hz, {wav.getnchannels()} channel audio; "
                f"expected {SAMPLE_RATE} Hz mono"
            )
        samples = array.array("h", wav.readframes(wav.getnframes()))
    end = len(samples)
    while end > 0 and abs(samples[end - 1]) <= SILENCE_LEVEL:
        end -= 1
    keep = min(len(samples), end + int(TAIL_SECONDS * SAMPLE_RATE)) if end else 0
    return Sound(samples[:keep].tobytes())


@dataclass(frozen=True)
class Placed:
    """A phrase at its moment in the file, in frames."""

    start: int
    text: str


def place(timelines: Sequence[Timeline], sounds: dict[str, Sound]) -> tuple[list[Placed], int, int]:
    """Each phrase's start frame (held back past a phrase still speaking); total frames; held-back count."""
    placed: list[Placed] = []
    offset = 0.0
    busy_until = 0  # frame where the last placed phrase's speech ends
    held = 0
    gap = int(PUSH_GAP_SECONDS * SAMPLE_RATE)
    for timeline in timelines:
        for segment in timeline.segments:
            planned = round((offset + segment.at) * SAMPLE_RATE)
            start = planned
            if placed and start < busy_until:
                start = busy_until + gap
                held += 1
            placed.append(Placed(start, segment.text))
            busy_until = start + len(sounds[segment.text].frames) // SAMPLE_WIDTH
        offset += timeline.duration
    total = max(round(offset * SAMPLE_RATE), busy_until)
    return placed, total, held


def _frames(placed: Sequence[Placed], sounds: dict[str, Sound], total: int) -> Iterator[bytes]:
    """The file's samples in order: silence, phrase, silence, ..."""
    cursor = 0
    for item in placed:
        yield from _silence(item.start - cursor)
        yield sounds[item.text].frames
        cursor = item.start + len(sounds[item.text].frames) // SAMPLE_WIDTH
    yield from _silence(total - cursor)


def _silence(frames: int) -> Iterator[bytes]:
    while frames > 0:
        chunk = min(frames, CHUNK_FRAMES)
        yield b"\0" * (chunk * SAMPLE_WIDTH)
        frames -= chunk


def synthesize_all(
    texts: Sequence[str],
    settings: VoiceSettings,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> dict[str, Sound]:
    """Every distinct phrase as samples, spread over ``workers`` speech workers (one per core)."""
    distinct = list(dict.fromkeys(texts))
    count = max(1, min(workers or os.cpu_count() or 1, 4, len(distinct) or 1))
    with tempfile.TemporaryDirectory(prefix="strong-back-export-") as folder, contextlib.ExitStack() as stack:
        synthesizers = []
        try:
            for _ in range(count):
                synthesizer = Synthesizer(settings, Path(folder))
                stack.callback(synthesizer.close)
                synthesizer.start()
                synthesizers.append(synthesizer)
        except VoiceError as error:
            raise ExportError(str(error)) from None
        futures = [synthesizers[i % count].clip(text) for i, text in enumerate(distinct)]
        sounds: dict[str, Sound] = {}
        for done, (text, future) in enumerate(zip(distinct, futures, strict=True), 1):
            try:
                sounds[text] = load_sound(future.result())
            except VoiceError as error:
                raise ExportError(str(error)) from None
            if progress is not None:
                progress(done, len(distinct))
    return sounds


def write_wav(path: Path, placed: Sequence[Placed], sounds: dict[str, Sound], total: int) -> None:
    """Write the file next to ``path`` first, then move it into place (no half-written file left)."""
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as error:
        raise ExportError(f"can't write to {path.parent}: {error.strerror or error}") from None
    os.close(handle)
    part = Path(temporary)
    try:
        with wave.open(str(part), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(SAMPLE_WIDTH)
            wav.setframerate(SAMPLE_RATE)
            for chunk in _frames(placed, sounds, total):
                wav.writeframesraw(chunk)
        part.chmod(0o644)
        part.replace(path)
    except OSError as error:
        part.unlink(missing_ok=True)
        raise ExportError(f"can't write {path}: {error.strerror or error}") from None
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def check_output(output: Path) -> None:
    """``ExportError`` unless a WAV file can be written at ``output``."""
    if output.suffix.lower() != ".wav":
        raise ExportError(f"the output file must end in .wav, like workout.wav (got {output.name})")
    if output.is_dir():
        raise ExportError(f"{output} is a folder; give a file name ending in .wav")
    if not output.parent.is_dir():
        raise ExportError(f"the folder {output.parent} does not exist")
    if not os.access(output.parent, os.W_OK) or (output.exists() and not os.access(output, os.W_OK)):
        raise ExportError(f"can't write to {output}: permission denied")


def render_wav(
    timelines: Sequence[Timeline],
    output: Path,
    *,
    rate_wpm: int = DEFAULT_RATE_WPM,
    voice_id: str | None = None,
    locale: str = "en-US",
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> ExportResult:
    """Render the replies ``timelines`` (played back to back) into one WAV file at ``output``."""
    output = Path(output)
    check_output(output)
    texts = [segment.text for timeline in timelines for segment in timeline.segments]
    settings = VoiceSettings(locale, voice_id, rate_wpm)
    sounds = synthesize_all(texts, settings, progress, workers)
    placed, total, held = place(timelines, sounds)
    write_wav(output, placed, sounds, total)
    return ExportResult(
        path=output,
        seconds=total / SAMPLE_RATE,
        planned_seconds=sum(t.duration for t in timelines),
        phrases=len(texts),
        distinct_phrases=len(sounds),
        held_back=held,
    )
