"""Widening the sound of a narrowband microphone: real espeak-ng speech passed through an 8 kHz
channel, flite's kal (a voice recorded at 8 kHz), and what the coach hears of pain reported in it."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pytest

from local_runner.listening.audio_in import read_wav
from local_runner.listening.bandwidth import is_narrowband, widen
from local_runner.listening.endpointing import SAMPLE_RATE
from local_runner.listening.hearing import Judge
from local_runner.listening.recognizer import Recognizer
from local_runner.understanding.parser import understander
from tests.support import spoken
from tests.test_audio_setup import need_espeak

if TYPE_CHECKING:
    from pathlib import Path

    from numpy.typing import NDArray

KAL = spoken.VOICES[3]  # flite's kal: a voice recorded at 8 kHz


def samples(pcm: bytes) -> NDArray[np.float64]:
    return np.frombuffer(pcm, dtype="<i2").astype(np.float64)


def through_a_telephone(pcm: bytes, cutoff_hz: float = 3800.0) -> bytes:
    """``pcm`` as an 8 kHz channel passes it: nothing above ``cutoff_hz``."""
    spectrum = np.fft.rfft(samples(pcm))
    spectrum[np.fft.rfftfreq(len(samples(pcm)), 1 / SAMPLE_RATE) > cutoff_hz] = 0
    return np.clip(np.round(np.fft.irfft(spectrum, len(samples(pcm)))), -32768, 32767).astype("<i2").tobytes()


def band_power(pcm: bytes, low: float, high: float) -> float:
    values = samples(pcm)
    frequencies = np.fft.rfftfreq(len(values), 1 / SAMPLE_RATE)
    return float((np.abs(np.fft.rfft(values)) ** 2)[(frequencies >= low) & (frequencies < high)].sum())


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clips")


@pytest.fixture(scope="module")
def wideband(clips: Path) -> bytes:
    """A command said by espeak-ng, clean, at 16 kHz with all its upper octave."""
    need_espeak()
    return read_wav(spoken.clip("start a ten minute lower back workout", spoken.VOICES[0], spoken.CLEAN, clips))


def test_wideband_speech_is_left_exactly_as_it_is(wideband: bytes) -> None:
    assert not is_narrowband(wideband)
    assert widen(wideband) == wideband


def test_speech_through_a_narrowband_channel_has_its_upper_octave_filled_from_the_one_below(wideband: bytes) -> None:
    narrow = through_a_telephone(wideband)
    assert is_narrowband(narrow)
    widened = widen(narrow)

    def upper_under_middle_db(pcm: bytes) -> float:
        return 10 * math.log10(band_power(pcm, 2000, 4000) / max(band_power(pcm, 4500, 8000), 1e-9))

    assert upper_under_middle_db(narrow) > 45  # next to nothing up there
    assert 3 < upper_under_middle_db(widened) < 25  # about as a wideband voice falls away (this one: 11 dB)
    assert upper_under_middle_db(wideband) < 25
    # What the channel carried is kept: below 3.8 kHz the widened sound is the narrow one.
    kept, before = through_a_telephone(widened), samples(narrow)
    error = samples(kept) - before
    assert 20 * math.log10(np.sqrt(np.mean(before**2)) / np.sqrt(np.mean(error**2))) > 30


def test_narrowband_speech_said_quietly_is_still_taken_for_narrowband(wideband: bytes) -> None:
    """The 16-bit rounding of quiet sound fills every band a little: it is not taken for speech."""
    for decibels in (20, 30):
        assert is_narrowband(through_a_telephone(spoken.softer(wideband, decibels))), decibels
        assert not is_narrowband(spoken.softer(wideband, decibels)), decibels


def test_wideband_voices_of_every_engine_are_not_taken_for_narrowband(clips: Path) -> None:
    need_espeak()
    for speaker in spoken.VOICES:
        if speaker != KAL and not spoken.engine_missing(speaker.engine):
            assert not is_narrowband(read_wav(spoken.clip("how much longer", speaker, spoken.CLEAN, clips))), speaker


def test_an_8_khz_voice_is_taken_for_narrowband_at_any_loudness(clips: Path) -> None:
    if why := spoken.engine_missing("flite"):
        pytest.skip(f"{why} is not installed")
    pcm = read_wav(spoken.clip("how much longer", KAL, spoken.CLEAN, clips))
    assert is_narrowband(pcm)
    assert is_narrowband(spoken.softer(pcm, 20))


def test_noise_through_a_narrowband_channel_is_widened_and_odd_or_short_sound_is_left_alone() -> None:
    """No speech engine needed: pink noise through an 8 kHz channel, and sound too short to tell."""
    quiet = bytes(SAMPLE_RATE // 5)  # a tenth of a second either side: no step at either end
    noise = quiet + spoken.int16(3000 * value for value in spoken.pink_noise(SAMPLE_RATE, seed=5)).tobytes() + quiet
    narrow = through_a_telephone(noise)
    assert not is_narrowband(noise) and widen(noise) == noise
    assert is_narrowband(narrow)
    assert band_power(widen(narrow), 4500, 8000) > 100 * band_power(narrow, 4500, 8000)
    for short in (b"", b"\x01", bytes(2 * 511), narrow[:1001]):
        assert widen(short) == short
        assert not is_narrowband(short)
    assert widen(narrow + b"\x01") == widen(narrow)  # an odd byte is no sample


@pytest.mark.slow
def test_pain_reported_through_a_narrowband_channel_is_heard_as_pain(clips: Path) -> None:
    """Said by flite's 8 kHz voice, each was heard as something else before its sound was widened:
    "ow my knee" as "go minute" (a pause), "ouch my back hurts" as the start of a workout."""
    if why := spoken.engine_missing("flite"):
        pytest.skip(f"{why} is not installed")
    recognizer, nlu = Recognizer("en-US"), understander("en-US")
    judge = Judge(nlu)
    for said in ("ow my knee", "ow that really hurts", "ouch my back hurts"):
        wav = spoken.clip(said, KAL, spoken.CLEAN, clips)
        heard = spoken.outcome(read_wav(wav), recognizer, judge, nlu)
        assert [command["intent"] for command in heard.acted] == ["ReportPainIntent"], (said, heard)
