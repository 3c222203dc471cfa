"""Taking the room's steady noise out of speech before it is decoded: real espeak-ng speech under
pink noise, measured against the same speech heard clean, and the room's sound each utterance
carries from the stream it was cut from."""

from __future__ import annotations

import array
import math
from typing import TYPE_CHECKING

import pytest

from local_runner.listening.denoising import ROOM_SECONDS, denoise, room_spectrum
from local_runner.listening.endpointing import BYTES_PER_SECOND, FLOOR_SECONDS, SAMPLE_RATE
from local_runner.listening.recognizer import Recognizer
from tests.support import spoken
from tests.test_audio_setup import need_espeak

if TYPE_CHECKING:
    from pathlib import Path

NOISE_SECONDS = 1.0  # of the room heard before the speech


def pcm(samples: list[float] | array.array[int]) -> bytes:
    return spoken.int16(samples).tobytes()


def samples_of(data: bytes) -> array.array[int]:
    values = array.array("h")
    values.frombytes(data)
    return values


def snr_db(reference: array.array[int] | list[float], heard: array.array[int]) -> float:
    """How far ``heard`` stands above its difference from ``reference`` (dB)."""
    error = [a - b for a, b in zip(heard, reference, strict=True)]
    return 20 * math.log10(spoken.rms(reference) / max(spoken.rms(error), 1e-9))


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> array.array[int]:
    """A command said by espeak-ng, clean: 16 kHz samples, with half a second of quiet either side."""
    need_espeak()
    folder: Path = tmp_path_factory.mktemp("clips")
    return spoken.pcm_of(spoken.clip("start a ten minute lower back workout", spoken.VOICES[0], spoken.CLEAN, folder))


def noisy(speech: array.array[int], snr: float, seed: int = 3) -> tuple[list[float], list[float]]:
    """The room's pink noise alone (``NOISE_SECONDS``), and then under ``speech`` at ``snr`` dB."""
    level = spoken.SPEECH_RMS / 10 ** (snr / 20)
    noise = [level * value for value in spoken.pink_noise(int(NOISE_SECONDS * SAMPLE_RATE) + len(speech), seed)]
    before, under = noise[: int(NOISE_SECONDS * SAMPLE_RATE)], noise[int(NOISE_SECONDS * SAMPLE_RATE) :]
    return before, [a + b for a, b in zip(speech, under, strict=True)]


@pytest.mark.parametrize("snr", [15.0, 10.0])
def test_the_rooms_noise_is_turned_down_and_the_speech_kept(speech: array.array[int], snr: float) -> None:
    before, mixed = noisy(speech, snr)
    cleaned = samples_of(denoise(pcm(mixed), room_spectrum(pcm(before))))
    assert len(cleaned) == len(speech)
    heard = samples_of(pcm(mixed))
    # Closer to the clean speech than what was heard, by a clear margin ...
    assert snr_db(speech, cleaned) >= snr_db(speech, heard) + 3.0
    # ... with the quiet before the words quieter by far (the room alone: at least 6 dB down) ...
    quiet = slice(0, int(0.4 * SAMPLE_RATE))
    assert spoken.rms(cleaned[quiet]) <= spoken.rms(heard[quiet]) / 2
    # ... and the words themselves about as loud as they were said (within 3 dB).
    words = slice(int(0.5 * SAMPLE_RATE), len(speech) - int(0.5 * SAMPLE_RATE))
    assert abs(20 * math.log10(spoken.rms(cleaned[words]) / spoken.rms(speech[words]))) <= 3.0


def test_speech_in_a_quiet_room_comes_out_as_it_went_in(speech: array.array[int]) -> None:
    hiss = [value * 3 for value in spoken.pink_noise(SAMPLE_RATE // 2, 5)]  # a quiet room: about -80 dBFS
    cleaned = samples_of(denoise(pcm(speech), room_spectrum(pcm(hiss))))
    assert snr_db(speech, cleaned) >= 30.0


def test_without_enough_of_the_room_heard_nothing_is_changed(speech: array.array[int]) -> None:
    assert room_spectrum(bytes(2 * int(ROOM_SECONDS * SAMPLE_RATE) - 2)) is None
    assert denoise(speech.tobytes(), None) == speech.tobytes()
    assert denoise(b"\x01\x00" * 100, room_spectrum(bytes(SAMPLE_RATE))) == b"\x01\x00" * 100  # too short to filter


def test_an_utterance_carries_the_rooms_sound_from_before_it_not_its_own(
    speech: array.array[int], recognizer: Recognizer
) -> None:
    level = spoken.SPEECH_RMS / 10 ** (15.0 / 20)
    before, mixed = noisy(speech, 15.0)
    # Six seconds of the room, then the command: the utterance keeps at most FLOOR_SECONDS of it.
    room = [level * value for value in spoken.pink_noise(6 * SAMPLE_RATE, 9)] + before
    utterances = list(recognizer.segments([pcm(room + mixed)]))
    assert len(utterances) == 1
    utterance = utterances[0]
    assert 0.5 * BYTES_PER_SECOND <= len(utterance.room) <= FLOOR_SECONDS * BYTES_PER_SECOND
    assert spoken.rms(samples_of(utterance.room)) == pytest.approx(level, rel=0.25)  # the noise, not the words
    # The utterance's own sound is the sound with the room's noise taken out: quiet before the words.
    assert spoken.rms(samples_of(utterance.pcm)[: SAMPLE_RATE // 10]) < level / 2
