"""Widening the sound of a narrowband microphone before it is decoded.

A Bluetooth headset on its hands-free profile, a telephone line or a cheap microphone may carry
nothing above 4 kHz: the sound reaches the coach at 16 kHz, with its upper half empty. The acoustic
model learnt speech with that half in it (the hiss of "s", "f" and "sh", the burst of "t"), and
without it hears "ow my knee" as "go minute". So when the band above 4.5 kHz stands at least
``NARROW_DB`` under the band from 2 to 4 kHz, which no wideband voice came near (at most 35 dB, in
flite's Scottish voice; noise in the room fills it too), each 32 ms frame's 2-4 kHz is copied,
``COPY_DB`` down, to 4-6 kHz, and 6 dB less again to 6-8 kHz: the upper octave then falls away
from the one below about as a wideband voice's does. Chosen on the tune and dev sets of
``benchmarks/bench_listen.py``: flite's kal, an 8 kHz voice, clean, was understood 83.4 % of the
time, and 87.7 % widened (235 clips); a first version with the copy 12 or 18 dB down gave 86.4 and
85.1 %.

Wideband sound is left exactly as it is. The 16-bit rounding of the samples is a faint hiss in every
band; it is not taken for sound above 4.5 kHz, so quiet narrowband speech is widened too. (A loud
narrowband tone can reach full scale once widened: the sound is clipped there, as any 16-bit sound.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from local_runner.listening.denoising import FRAME, SAMPLE_RATE, WINDOW, frames_of, resynthesise, samples_of

if TYPE_CHECKING:
    from numpy.typing import NDArray

NARROW_DB = 45.0  # the upper band this far under 2-4 kHz: a narrowband channel
COPY_DB = -6.0  # how loud the copy of 2-4 kHz is put into 4-6 kHz (and 6 dB less into 6-8 kHz)
_BIN_HZ = SAMPLE_RATE / FRAME
_MIDDLE = slice(round(2000 / _BIN_HZ), round(4000 / _BIN_HZ))  # the band copied up
_COPY_TO = round(4000 / _BIN_HZ)  # where the copy goes
_UPPER = round(4500 / _BIN_HZ)  # where a narrowband channel has nothing
_ROUNDING = float((WINDOW**2).sum()) / 12  # the power 16-bit rounding puts in each bin of a frame
_TINY = 1e-9


def _is_narrowband(power: NDArray[np.float64]) -> bool:
    """Whether frames of these powers carry next to nothing above 4.5 kHz, against 2-4 kHz."""
    middle = power[:, _MIDDLE].sum()
    upper = max(power[:, _UPPER:].sum() - _ROUNDING * power[:, _UPPER:].size, _TINY)
    return bool(middle > _TINY and 10 * np.log10(middle / upper) >= NARROW_DB)


def is_narrowband(pcm: bytes) -> bool:
    """Whether ``pcm`` (16 kHz 16-bit PCM) carries next to nothing above 4.5 kHz, against 2-4 kHz."""
    samples = samples_of(pcm)
    return len(samples) >= FRAME and _is_narrowband(np.abs(np.fft.rfft(frames_of(samples), axis=1)) ** 2)


def widen(pcm: bytes) -> bytes:
    """``pcm`` with its upper octave filled from the one below when it is narrowband; else ``pcm``."""
    samples = samples_of(pcm)
    if len(samples) < FRAME:
        return pcm
    spectra = np.fft.rfft(frames_of(samples), axis=1)
    if not _is_narrowband(np.abs(spectra) ** 2):
        return pcm
    copy = spectra[:, _MIDDLE] * 10 ** (COPY_DB / 20)
    width = copy.shape[1]
    spectra[:, _COPY_TO : _COPY_TO + width] += copy
    spectra[:, _COPY_TO + width : _COPY_TO + 2 * width] += copy / 2
    return resynthesise(spectra, len(samples))
