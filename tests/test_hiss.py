"""The faint hiss mixed into every utterance before it is decoded: under the speech wherever the
speech stands, never louder than it was when it was fixed, and never a wrapped-around sample."""

from __future__ import annotations

import math

import numpy as np
import pytest

from local_runner.listening.endpointing import SAMPLE_RATE
from local_runner.listening.recognizer import with_noise_floor


def tone(amplitude: float, seconds: float = 1.0) -> bytes:
    times = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return np.round(amplitude * np.sin(2 * math.pi * 440 * times)).astype("<i2").tobytes()


def hiss_in(pcm: bytes) -> float:
    """The RMS of what ``with_noise_floor`` added to ``pcm``."""
    added = np.frombuffer(with_noise_floor(pcm), "<i2").astype(float) - np.frombuffer(pcm, "<i2")
    return float(np.sqrt(np.mean(added**2)))


@pytest.mark.parametrize("amplitude", [300.0, 1000.0, 3000.0])
def test_the_hiss_stands_39_db_under_the_sound_wherever_it_stands(amplitude: float) -> None:
    under = 20 * math.log10(amplitude / math.sqrt(2) / hiss_in(tone(amplitude)))
    assert under == pytest.approx(39, abs=0.5)


def test_the_hiss_is_never_louder_than_when_it_was_fixed() -> None:
    assert hiss_in(tone(12000)) == pytest.approx(60, rel=0.05)
    assert hiss_in(tone(30000)) <= 60 * 1.05


def test_digital_silence_gets_a_hiss_all_the_same() -> None:
    assert 0.5 < hiss_in(bytes(2 * SAMPLE_RATE)) < 2


def test_odd_empty_short_and_full_scale_sound_is_mixed_without_wrapping_around() -> None:
    assert with_noise_floor(b"") == b""
    assert len(with_noise_floor(tone(1000) + b"\x01")) == len(tone(1000))
    assert 10 < hiss_in(tone(20000, seconds=0.005)) <= 60 * 1.05  # under 10 ms: its own loudness
    full = np.full(SAMPLE_RATE, 32767, "<i2").tobytes() + np.full(SAMPLE_RATE, -32768, "<i2").tobytes()
    mixed = np.frombuffer(with_noise_floor(full), "<i2")
    assert mixed[:SAMPLE_RATE].min() > 32000 and mixed[SAMPLE_RATE:].max() < -32000  # clipped, not wrapped
