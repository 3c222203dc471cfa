"""Sound in, for spoken commands: a WAV file, or the microphone through ALSA's ``arecord``.

Both give 16 kHz, 16-bit mono PCM, what the recogniser takes. A WAV file at another rate or with
two channels is mixed down and resampled here (linear interpolation after a short averaging
filter: plenty for speech recognition, and no extra packages). ``Microphone`` runs ``arecord``
in a child process; set ``--mic`` or ``STRONG_BACK_MIC`` to an ALSA capture device
(``arecord -L`` lists them) to choose one.
"""

from __future__ import annotations

import array
import contextlib
import os
import select
import shutil
import struct
import subprocess
import sys
from typing import TYPE_CHECKING

from skill.config import Settings
from skill.errors import StrongBackError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

SAMPLE_RATE = 16000
CHUNK_BYTES = 3200  # a tenth of a second
START_TIMEOUT_SECONDS = 3.0
WAVE_FORMAT_PCM = 1
WAVE_FORMAT_EXTENSIBLE = 0xFFFE
INSTALL_ARECORD = "sudo apt-get install alsa-utils"


class AudioInputError(StrongBackError):
    """Sound can't be read; the message says why, for the person."""


def _samples(data: bytes, width: int) -> array.array[int]:
    if width not in (2, 4):
        raise AudioInputError(f"it has {8 * width}-bit samples; save it as 16-bit PCM")
    wide = array.array("h" if width == 2 else "i")
    if wide.itemsize != width:
        raise AudioInputError(f"{8 * width}-bit samples can't be read on this machine; save it as 16-bit PCM")
    wide.frombytes(data[: len(data) // width * width])
    if sys.byteorder == "big":
        wide.byteswap()
    return wide if width == 2 else array.array("h", (value >> 16 for value in wide))


def _mono(samples: array.array[int], channels: int) -> array.array[int]:
    if channels == 1:
        return samples
    return array.array("h", (sum(samples[i : i + channels]) // channels for i in range(0, len(samples), channels)))


def resample(samples: array.array[int], rate: int, target: int = SAMPLE_RATE) -> array.array[int]:
    """``samples`` at ``rate`` as samples at ``target`` Hz."""
    if rate == target or not samples:
        return samples
    source = samples
    if rate > target:  # soften what lies above the new Nyquist frequency before dropping samples
        span = max(1, round(rate / target))
        source = array.array("h", samples)
        running = 0
        for i, value in enumerate(samples):
            running += value - (samples[i - span] if i >= span else 0)
            source[i] = int(running / min(i + 1, span))
    count = int(len(source) * target / rate)
    step = rate / target
    out = array.array("h", bytes(2 * count))
    last = len(source) - 1
    for i in range(count):
        position = i * step
        k = int(position)
        frac = position - k
        following = source[k + 1] if k < last else source[k]
        out[i] = int(source[k] + (following - source[k]) * frac)
    return out


def _wav_parts(data: bytes) -> tuple[int, int, int, bytes]:
    """Channels, sample width, rate and sample bytes of a RIFF WAV (plain or extensible PCM)."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioInputError("it is not a WAV file")
    fmt: tuple[int, int, int, int] | None = None
    position = 12
    while position + 8 <= len(data):
        kind, size = data[position : position + 4], int.from_bytes(data[position + 4 : position + 8], "little")
        body = data[position + 8 : position + 8 + size]
        if kind == b"fmt " and len(body) >= 16:
            tag, channels, rate = struct.unpack_from("<HHI", body)
            bits = struct.unpack_from("<H", body, 14)[0]
            if tag == WAVE_FORMAT_EXTENSIBLE and len(body) >= 26:
                tag = struct.unpack_from("<H", body, 24)[0]  # the sub-format's first two bytes
            fmt = (tag, channels, rate, bits)
        elif kind == b"data":
            if fmt is None:
                break
            tag, channels, rate, bits = fmt
            if tag != WAVE_FORMAT_PCM:
                raise AudioInputError(f"its samples are not PCM (format {tag}); save it as 16-bit PCM WAV")
            if channels < 1 or rate < 1000:
                raise AudioInputError(f"it says {channels} channels at {rate} Hz")
            return channels, bits // 8, rate, body
        position += 8 + size + (size & 1)
    raise AudioInputError("it has no sound data")


def read_wav(path: Path) -> bytes:
    """A WAV file as 16 kHz 16-bit mono PCM bytes (``AudioInputError`` with a reason)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise AudioInputError(f"there is no file {path}") from None
    except OSError as error:
        raise AudioInputError(f"cannot read {path} ({error.strerror or error})") from None
    try:
        channels, width, rate, body = _wav_parts(data)
        samples = resample(_mono(_samples(body[: len(body) // (2 * channels) * 2 * channels], width), channels), rate)
    except AudioInputError as error:
        raise AudioInputError(f"{path}: {error}") from None
    if sys.byteorder == "big":
        samples.byteswap()
    return samples.tobytes()


def microphone_device(choice: str | None = None) -> str | None:
    return choice or Settings.from_env().mic


class Microphone:
    """Live 16 kHz mono PCM from ``arecord``; ``open`` fails with a reason when there is no microphone."""

    def __init__(self, device: str | None = None) -> None:
        self.device = microphone_device(device)
        self._process: subprocess.Popen[bytes] | None = None
        self._first = b""

    def command(self) -> list[str]:
        device = ["-D", self.device] if self.device else []
        return ["arecord", "-q", *device, "-t", "raw", "-f", "S16_LE", "-r", str(SAMPLE_RATE), "-c", "1"]

    def open(self) -> None:
        """Start recording, or raise ``AudioInputError`` saying why it can't."""
        if shutil.which("arecord") is None:
            raise AudioInputError(f"arecord (from alsa-utils) is not installed: {INSTALL_ARECORD}")
        try:
            process = subprocess.Popen(self.command(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as error:
            raise AudioInputError(f"arecord could not run ({error.strerror or error})") from None
        assert process.stdout is not None
        # The first sound proves the device is open; an arecord that failed ends its output at once.
        ready, _, _ = select.select([process.stdout], [], [], START_TIMEOUT_SECONDS)
        first = os.read(process.stdout.fileno(), CHUNK_BYTES) if ready else b""
        if not first:
            process.kill()
            _, errors = process.communicate()
            said = errors.decode(errors="replace").strip().splitlines()
            reason = said[-1] if said else "no sound arrived within a few seconds"
            raise AudioInputError(f"no microphone could be opened ({reason})")
        self._first = first
        self._process = process

    def chunks(self) -> Iterator[bytes]:
        """Sound as it arrives, a tenth of a second at a time, until ``close`` or the device goes."""
        process = self._process
        if process is None or process.stdout is None:
            return
        first, self._first = self._first, b""
        if first:
            yield first
        while True:
            data = process.stdout.read(CHUNK_BYTES)
            if not data:
                return
            yield data

    def close(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=1)
            if process.poll() is None:
                process.kill()
                process.wait()
