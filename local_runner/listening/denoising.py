"""Taking the room's steady noise out of an utterance before it is decoded.

A fan, traffic or the hum of a gym stands under every word, and the acoustic model hears it as part
of the speech: at 15 dB SNR, pink noise cost the commands a sixth of what they were understood
clean. The room is heard before anyone speaks (``endpointing.segments`` keeps its recent sound), so
its spectrum is known; each frequency of each 32 ms frame of the utterance is then turned down by
how much of it is likely the room (a Wiener filter, with the speech-to-noise ratio estimated the
"decision-directed" way of Ephraim and Malah, which keeps the filter from chattering), never below a
fifth. Turned down gently: taking out all of the estimated noise, or more of it, made the words
harder to hear, not easier (chosen on the tune and dev sets of ``benchmarks/bench_listen.py``).

Where the room is quiet (or only digital silence was heard), the filter leaves the sound as it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

SAMPLE_RATE = 16000
FRAME = 512  # samples in each analysed frame: 32 ms
HOP = 128  # samples between frames: each sample is in four of them
GAIN_FLOOR = 0.2  # no frequency is turned down below a fifth of its amplitude (gentler understood more)
SHARE_OF_NOISE = 0.7  # how much of the room's estimated noise is taken out (all of it, or twice, was worse)
SMOOTHING = 0.98  # how much the estimated speech-to-noise ratio follows the last frame's cleaned sound
ROOM_SECONDS = 0.1  # the least of the room heard before the spectrum is trusted
WINDOW = np.hanning(FRAME + 1)[:-1]
_TINY = 1e-9


def samples_of(pcm: bytes) -> NDArray[np.float64]:
    """The samples of 16-bit little-endian PCM, as floats."""
    return np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.float64)


def frames_of(samples: NDArray[np.float64]) -> NDArray[np.float64]:
    """Overlapping windowed frames of ``samples``, padded so that every sample is in four."""
    padded = np.concatenate([np.zeros(FRAME), samples, np.zeros(FRAME)])
    return np.lib.stride_tricks.sliding_window_view(padded, FRAME)[::HOP] * WINDOW


def room_spectrum(pcm: bytes) -> NDArray[np.float64] | None:
    """The room's power at each frequency, from its sound (16 kHz 16-bit PCM) while nobody spoke;
    None when less than ``ROOM_SECONDS`` of it was heard."""
    samples = samples_of(pcm)
    if len(samples) < max(FRAME, ROOM_SECONDS * SAMPLE_RATE):
        return None
    edge = FRAME // HOP  # the padded frames at either end hear only part of the sound
    power = np.abs(np.fft.rfft(frames_of(samples)[edge:-edge], axis=1)) ** 2
    result: NDArray[np.float64] = power.mean(axis=0) + _TINY
    return result


def denoise(pcm: bytes, room: NDArray[np.float64] | None) -> bytes:
    """``pcm`` (16 kHz 16-bit PCM) with the steady noise whose spectrum is ``room`` turned down;
    ``pcm`` itself when the room is unknown or the sound too short to filter."""
    samples = samples_of(pcm)
    if room is None or len(samples) < 2 * FRAME:
        return pcm
    spectra = np.fft.rfft(frames_of(samples), axis=1)
    power = np.abs(spectra) ** 2
    noise = room * SHARE_OF_NOISE
    gains = np.empty_like(power)
    gain, cleaned = np.ones(len(noise)), noise
    for index, frame in enumerate(power):
        # The speech-to-noise ratio: mostly what the last frame kept, partly this frame's excess.
        ratio = SMOOTHING * gain**2 * cleaned / noise + (1 - SMOOTHING) * np.maximum(frame / noise - 1, 0)
        gain = np.maximum(ratio / (1 + ratio), GAIN_FLOOR)
        gains[index], cleaned = gain, frame
    return resynthesise(spectra * gains, len(samples))


def resynthesise(spectra: NDArray[np.complex128], length: int) -> bytes:
    """The 16-bit PCM of ``length`` samples whose frames (``frames_of``) have the given ``spectra``."""
    frames = np.fft.irfft(spectra, n=FRAME, axis=1) * WINDOW
    total = np.zeros(length + 2 * FRAME)
    weight = np.zeros_like(total)
    for index, frame in enumerate(frames):
        total[index * HOP : index * HOP + FRAME] += frame
        weight[index * HOP : index * HOP + FRAME] += WINDOW**2
    restored = (total / np.maximum(weight, _TINY))[FRAME : FRAME + length]
    return np.clip(np.round(restored), -32768, 32767).astype("<i2").tobytes()
