"""Spoken commands as sound, for the voice-input tests and ``benchmarks/bench_listen.py``.

Speech is synthesized with espeak-ng (its own WAV output, 22,050 Hz) in a few voices and rates,
optionally with a room's noise mixed in, so the recogniser hears different speakers rather than
one clean voice.
"""

from __future__ import annotations

import array
import random
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

COMMANDS_FILE = Path(__file__).parents[1] / "data" / "spoken_commands.toml"


@dataclass(frozen=True)
class Speaker:
    """An espeak-ng voice, speaking rate (words a minute), pitch and how much noise is in the room."""

    voice: str
    rate: int
    pitch: int = 50
    noise: float = 0.0  # standard deviation of the room's hiss, 16-bit sample units

    def __str__(self) -> str:
        hiss = f", noise {self.noise:g}" if self.noise else ""
        return f"{self.voice} at {self.rate} wpm{hiss}"


# The recogniser's acoustic model is US English, so the voices the targets hold for are American;
# ``OTHER_ACCENTS`` are measured by the benchmark and reported, not held to the target.
SPEAKERS = (
    Speaker("en-us", 165),
    Speaker("en-us+m3", 160, pitch=45, noise=100),
    Speaker("en-us+f2", 165, pitch=60, noise=60),
    Speaker("en-us", 185, pitch=50, noise=100),
)
OTHER_ACCENTS = (Speaker("en-gb", 150, pitch=40), Speaker("en-gb-scotland", 160, noise=60))


@dataclass(frozen=True)
class Command:
    say: str
    intent: str
    slots: dict[str, str] = field(default_factory=dict)

    def expected(self) -> dict[str, Any]:
        return {"intent": self.intent, "slots": self.slots}


def commands() -> list[Command]:
    with COMMANDS_FILE.open("rb") as source:
        rows = tomllib.load(source)["command"]
    return [Command(row["say"], row["intent"], dict(row.get("slots", {}))) for row in rows]


def synthesize(text: str, speaker: Speaker, path: Path, quiet_seconds: float = 0.5) -> Path:
    """``text`` spoken by ``speaker`` into the WAV file ``path`` (espeak-ng's 22,050 Hz mono),
    with ``quiet_seconds`` of the room before and after it, as a microphone hears a command."""
    subprocess.run(
        ["espeak-ng", "-v", speaker.voice, "-s", str(speaker.rate), "-p", str(speaker.pitch), "-w", str(path), text],
        check=True,
        capture_output=True,
    )
    header, body, rate = read_pcm(path)
    quiet = bytes(int(rate * quiet_seconds) * 2)
    write_pcm(path, header, quiet + body + quiet)
    if speaker.noise:
        add_noise(path, speaker.noise, seed=len(text))
    return path


def read_pcm(path: Path) -> tuple[bytes, bytes, int]:
    """The WAV header, its sample bytes and rate of a plain 16-bit PCM WAV file as espeak-ng writes it."""
    data = path.read_bytes()
    at = data.index(b"data") + 8
    rate = int.from_bytes(data[24:28], "little")
    return data[:at], data[at:], rate


def add_noise(path: Path, level: float, seed: int = 0) -> None:
    """Mix a hiss of standard deviation ``level`` into a 16-bit WAV file, in place."""
    header, body, _ = read_pcm(path)
    samples = array.array("h")
    samples.frombytes(body[: len(body) // 2 * 2])
    rng = random.Random(seed)
    noisy = array.array("h", (max(-32768, min(32767, int(v + rng.gauss(0, level)))) for v in samples))
    write_pcm(path, header, noisy.tobytes())


def write_pcm(path: Path, header: bytes, body: bytes) -> None:
    """A WAV file from ``read_pcm``'s header and new sample bytes (the sizes in the header fixed)."""
    fixed = bytearray(header)
    fixed[4:8] = (len(header) - 8 + len(body)).to_bytes(4, "little")
    fixed[-4:] = len(body).to_bytes(4, "little")
    path.write_bytes(bytes(fixed) + body)


def conversation(texts: list[str], speaker: Speaker, folder: Path, gap_seconds: float = 1.2) -> Path:
    """Several commands in one WAV file, with silence between them, as a person would speak them."""
    parts = []
    for number, text in enumerate(texts):
        header, body, _ = read_pcm(synthesize(text, speaker, folder / f"part{number}.wav", gap_seconds / 2))
        parts.append(body)
    out = folder / "conversation.wav"
    write_pcm(out, header, b"".join(parts))
    return out
