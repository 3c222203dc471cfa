"""Spoken commands as sound, for the voice-input tests and ``benchmarks/bench_listen.py``.

Speech comes from three synthesis engines that Debian ships in main: espeak-ng (formant voices,
several accents), flite (CMU's diphone and cluster-unit voices) and festival (diphone and HTS
voices). Each clip is 16 kHz mono, its speech brought to one loudness, with half a second of the
room before and after, then put through a condition: clean, a faster or slower speaking tempo
(sox), or pink noise or music under the voice at a given signal-to-noise ratio. The pink noise
is made here (Paul Kellet's filter on seeded white noise); the music is chords, a bass line and
a beat synthesized with sox: nothing is downloaded. Clips are cached by what they are, so a
session synthesizes each one once.

The commands: ``spoken_commands.toml`` (phrased the way the models list them: "exact") and
``natural_commands.toml`` (phrased as people say them: "paraphrase", in a tune set and a held-out
test set, plus speech that is no command).
"""

from __future__ import annotations

import array
import hashlib
import math
import random
import shutil
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Iterable

DATA = Path(__file__).parents[1] / "data"
COMMANDS_FILE = DATA / "spoken_commands.toml"
NATURAL_FILE = DATA / "natural_commands.toml"
RATE = 16000
SPEECH_RMS = 3000.0  # every clip's speech is brought to this loudness (about -21 dBFS)
QUIET_SECONDS = 0.5
ENGINES = ("espeak-ng", "flite", "festival")
ENGINE_PROGRAMS = {"espeak-ng": "espeak-ng", "flite": "flite", "festival": "text2wave"}


@dataclass(frozen=True)
class Speaker:
    """A voice of one engine: espeak-ng's with rate (words a minute), pitch and a room's hiss."""

    voice: str
    rate: int = 165
    pitch: int = 50
    noise: float = 0.0  # standard deviation of the room's hiss, 16-bit sample units
    engine: str = "espeak-ng"

    def __str__(self) -> str:
        if self.engine != "espeak-ng":
            return f"{self.engine} {self.voice}"
        hiss = f", noise {self.noise:g}" if self.noise else ""
        return f"{self.voice} at {self.rate} wpm{hiss}"


@dataclass(frozen=True)
class Condition:
    """What happens to a clip: nothing, another tempo, noise of a kind at a signal-to-noise ratio, or
    a room's echo."""

    name: str
    noise: str | None = None  # "pink" or "music"
    snr_db: float = 0.0
    tempo: float = 1.0
    # sox's reverb effect, its reverberance in % (0: none); out of the repr, so that the clip cache's
    # keys of the other conditions stay as they were (``clip`` adds it to the key when it is set)
    reverberance: int = field(default=0, repr=False)
    # seconds of silence in the middle of a command of three words or more, as a person stops to
    # think mid-sentence ("start a ... ten minute workout"); out of the repr as the echo is
    pause: float = field(default=0.0, repr=False)


# The recogniser's acoustic model is US English, so the voices the first targets held for are
# American; ``OTHER_ACCENTS`` are measured and reported.
SPEAKERS = (
    Speaker("en-us", 165),
    Speaker("en-us+m3", 160, pitch=45, noise=100),
    Speaker("en-us+f2", 165, pitch=60, noise=60),
    Speaker("en-us", 185, pitch=50, noise=100),
)
OTHER_ACCENTS = (Speaker("en-gb", 150, pitch=40), Speaker("en-gb-scotland", 160, noise=60))
# Voices of every engine: American and British espeak-ng, flite's awb (Scottish English), kal (an
# 8 kHz voice) and slt, festival's two diphone voices and its HTS voice.
VOICES = (
    Speaker("en-us", 165),
    Speaker("en-us+f2", 170, pitch=60),
    Speaker("en-gb", 155, pitch=40),
    Speaker("kal", engine="flite"),
    Speaker("awb", engine="flite"),
    Speaker("slt", engine="flite"),
    Speaker("kal_diphone", engine="festival"),
    Speaker("ked_diphone", engine="festival"),
    Speaker("cmu_us_slt_arctic_hts", engine="festival"),
)
CLEAN = Condition("clean")
CONDITIONS = (
    CLEAN,
    Condition("pink 15 dB", "pink", 15),
    Condition("pink 10 dB", "pink", 10),
    Condition("music 15 dB", "music", 15),
    Condition("music 10 dB", "music", 10),
    Condition("tempo 0.9", tempo=0.9),
    Condition("tempo 1.1", tempo=1.1),
    Condition("room echo", reverberance=50),  # a room with bare walls (sox's reverb, 50 %)
    Condition("pause mid-sentence", pause=0.5),  # half a second's thought between two halves
)


@dataclass(frozen=True)
class Command:
    say: str
    intent: str
    slots: dict[str, str] = field(default_factory=dict)
    phrasing: str = "exact"  # or "paraphrase"
    part: str = "tune"  # or "test": held out, never tuned on
    accept: tuple[str, ...] = ()  # other intents a person would take as right

    def expected(self) -> dict[str, Any]:
        return {"intent": self.intent, "slots": self.slots}

    def is_right(self, understood: dict[str, Any]) -> bool:
        return understood == self.expected() or (understood["intent"] in self.accept)


NOT_A_COMMAND = "(none)"


def commands() -> list[Command]:
    """The commands phrased the way the models list them (all of them used in tuning)."""
    with COMMANDS_FILE.open("rb") as source:
        rows = tomllib.load(source)["command"]
    return [Command(row["say"], row["intent"], dict(row.get("slots", {}))) for row in rows]


def natural_commands(part: str) -> list[Command]:
    """The commands phrased as people say them, of ``part`` ("tune" or "test"), and the speech in
    that part that is no command (``intent`` ``NOT_A_COMMAND``)."""
    with NATURAL_FILE.open("rb") as source:
        data = tomllib.load(source)
    made = [
        Command(row["say"], row["intent"], dict(row.get("slots", {})), "paraphrase", part, tuple(row.get("accept", ())))
        for row in data[part]
    ]
    made += [Command(row["say"], NOT_A_COMMAND, {}, "no command", part) for row in data["other"] if row["set"] == part]
    return made


def engine_missing(engine: str) -> str | None:
    """Why ``engine`` can't speak here (the program to install), or None."""
    program = ENGINE_PROGRAMS[engine]
    return None if shutil.which(program) else f"{program} ({engine})"


# ----- making clips ----------------------------------------------------------------------------
def _raw_speech(text: str, speaker: Speaker, path: Path) -> None:
    if speaker.engine == "espeak-ng":
        command = [
            "espeak-ng",
            "-v",
            speaker.voice,
            "-s",
            str(speaker.rate),
            "-p",
            str(speaker.pitch),
            "-w",
            str(path),
            text,
        ]
        subprocess.run(command, check=True, capture_output=True)
    elif speaker.engine == "flite":
        subprocess.run(["flite", "-voice", speaker.voice, "-t", text, "-o", str(path)], check=True, capture_output=True)
    else:
        command = ["text2wave", "-eval", f"(voice_{speaker.voice})", "-o", str(path)]
        subprocess.run(command, input=text.encode(), check=True, capture_output=True)


def _to_16k(source: Path, target: Path, tempo: float, reverberance: int = 0) -> array.array[int]:
    effects = ["tempo", "-s", f"{tempo:g}"] if tempo != 1.0 else []
    effects += ["pad", "0", "0.5", "reverb", str(reverberance)] if reverberance else []  # the echo outlasts the voice
    subprocess.run(
        ["sox", str(source), "-r", str(RATE), "-c", "1", "-b", "16", "-e", "signed-integer", str(target), *effects],
        check=True,
        capture_output=True,
    )
    return pcm_of(target)


def pcm_of(path: Path) -> array.array[int]:
    """The samples of a 16-bit mono WAV file."""
    data = path.read_bytes()
    at = data.index(b"data") + 8
    samples = array.array("h")
    samples.frombytes(data[at : at + (len(data) - at) // 2 * 2])
    return samples


def int16(values: Iterable[float]) -> array.array[int]:
    """``values`` rounded to 16-bit samples, clipped where they would overflow."""
    return array.array("h", (max(-32768, min(32767, round(value))) for value in values))


def softer(pcm: bytes, decibels: float) -> bytes:
    """16-bit little-endian ``pcm`` ``decibels`` quieter, rounded to 16 bits as a quieter recording is."""
    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], "<i2")
    return np.round(samples / 10 ** (decibels / 20)).astype("<i2").tobytes()


def rms(samples: array.array[int] | list[float]) -> float:
    return math.sqrt(sum(value * value for value in samples) / max(1, len(samples)))


def pink_noise(count: int, seed: int) -> list[float]:
    """Pink (1/f) noise of unit loudness: Paul Kellet's filter on seeded white noise."""
    rng = random.Random(seed)
    b = [0.0] * 7
    out = []
    for _ in range(count):
        white = rng.gauss(0, 1)
        b[0] = 0.99886 * b[0] + white * 0.0555179
        b[1] = 0.99332 * b[1] + white * 0.0750759
        b[2] = 0.96900 * b[2] + white * 0.1538520
        b[3] = 0.86650 * b[3] + white * 0.3104856
        b[4] = 0.55000 * b[4] + white * 0.5329522
        b[5] = -0.7616 * b[5] - white * 0.0168980
        out.append(sum(b[:6]) + b[6] + white * 0.5362)
        b[6] = white * 0.115926
    level = rms(out)
    return [value / level for value in out]


_MUSIC: dict[Path, list[float]] = {}
# Chords (semitones from A4), a bass note for each, played twice round at 100 beats a minute.
_CHORDS = ((-9, -5, -2), (-2, 2, 5), (0, 3, 7), (-4, 0, 3))  # C, G, Am, F


def music(folder: Path) -> list[float]:
    """About 20 seconds of music of unit loudness: chords, a bass line and a hi-hat, made with sox."""
    bed = folder / "music-bed.wav"
    if bed in _MUSIC:
        return _MUSIC[bed]
    if not bed.exists():
        parts = []
        for bar in range(8):
            chord = _CHORDS[bar % len(_CHORDS)]
            part = folder / f"music-{bar}.wav"
            tones = [("pluck", note) for note in chord] + [("square", chord[0] - 24), ("sine", chord[2] + 12)]
            synth = [word for kind, note in tones for word in (kind, f"%{note}")]
            effects = ["remix", "-", "tremolo", "6.66", "60", "fade", "q", "0.02", "2.4", "0.3", "norm", "-6"]
            subprocess.run(
                ["sox", "-R", "-n", "-r", str(RATE), "-b", "16", str(part), "synth", "2.4", *synth, *effects],
                check=True,
                capture_output=True,
            )
            parts.append(str(part))
        subprocess.run(["sox", *parts, str(bed)], check=True, capture_output=True)
    samples = [float(value) for value in pcm_of(bed)]
    level = rms(samples)
    _MUSIC[bed] = [value / level for value in samples]
    return _MUSIC[bed]


def _noise(kind: str, count: int, seed: int, folder: Path) -> list[float]:
    if kind == "pink":
        return pink_noise(count, seed)
    bed = music(folder)
    start = random.Random(seed).randrange(len(bed))
    return [bed[(start + i) % len(bed)] for i in range(count)]


def write_wav(path: Path, samples: array.array[int]) -> Path:
    import wave

    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.tobytes())
    return path


def clip(text: str, speaker: Speaker, condition: Condition, cache: Path) -> Path:
    """``text`` said by ``speaker`` under ``condition``: a 16 kHz WAV in ``cache`` (made once)."""
    extra: tuple[object, ...] = (
        (condition.reverberance,) if condition.reverberance else ()
    )  # (other conditions' keys as they were)
    extra += ("pause", condition.pause) if condition.pause else ()
    key = hashlib.sha1(repr((text, speaker, condition, SPEECH_RMS, *extra)).encode()).hexdigest()[:16]
    path = cache / f"{key}.wav"
    if path.exists():
        return path
    words = text.split()
    halves = (
        [text]
        if not condition.pause or len(words) < 3
        else [" ".join(words[: len(words) // 2]), " ".join(words[len(words) // 2 :])]
    )
    parts = []
    for number, said in enumerate(halves):
        raw = cache / f"{key}.raw{number}.wav"
        _raw_speech(said, speaker, raw)
        parts.append(_to_16k(raw, raw.with_suffix(".16k.wav"), condition.tempo, condition.reverberance))
        raw.unlink()
        raw.with_suffix(".16k.wav").unlink()
    gain = SPEECH_RMS / max(1.0, rms(array.array("h", b"".join(part.tobytes() for part in parts))))
    speech = array.array("h", (b"\0\0" * int(condition.pause * RATE)).join(part.tobytes() for part in parts))
    quiet = [0.0] * int(QUIET_SECONDS * RATE)
    mixed = quiet + [value * gain for value in speech] + quiet
    seed = int(key[:8], 16)
    if speaker.noise:
        rng = random.Random(seed)
        mixed = [value + rng.gauss(0, speaker.noise) for value in mixed]
    if condition.noise:
        level = SPEECH_RMS / 10 ** (condition.snr_db / 20)
        noise = _noise(condition.noise, len(mixed), seed, cache)
        mixed = [value + level * extra for value, extra in zip(mixed, noise, strict=True)]
    write_wav(path.with_suffix(".part"), int16(mixed))
    path.with_suffix(".part").rename(path)
    return path


def noise_clip(kind: str, snr_db: float, seconds: float, seed: int, cache: Path) -> Path:
    """Noise alone, as loud as under a voice at ``snr_db``: what the microphone hears when nobody speaks."""
    path = cache / f"noise-{kind}-{snr_db:g}-{seconds:g}-{seed}.wav"
    if not path.exists():
        level = SPEECH_RMS / 10 ** (snr_db / 20)
        noise = _noise(kind, int(seconds * RATE), seed, cache)
        write_wav(path, int16(level * value for value in noise))
    return path


# ----- the clips the first tests used (espeak-ng, at its own 22,050 Hz) ---------------------------
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


# ----- what the coach makes of a clip ----------------------------------------------------------
ENDING = frozenset({"AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.StartOverIntent"})


@dataclass(frozen=True)
class Outcome:
    """What the coach did with one clip: the commands it would act on at once, those it would ask
    about first, and whether it said "Sorry?"."""

    acted: tuple[dict[str, Any], ...]
    asked: tuple[dict[str, Any], ...]
    sorry: bool

    def understood(self, command: Command) -> bool:
        """Right: the one command meant, at once or after its question (a "yes" away)."""
        if command.intent == NOT_A_COMMAND:
            return not self.acted
        done = self.acted + self.asked
        return len(done) == 1 and command.is_right(done[0])

    def ended_by_mistake(self, command: Command) -> bool:
        """A session ended or reset at once though that is not what the person meant."""
        meant = {command.intent, *command.accept}
        return any(act["intent"] in ENDING for act in self.acted) and not meant & ENDING


def outcome(pcm: bytes, recognizer: Any, judge: Any, nlu: Any, seen: Any = None) -> Outcome:
    """The coach's verdicts on every utterance in ``pcm``, as ``strong-back --listen`` reaches them
    (each ``joining.Decision`` is shown to ``seen`` too, when given)."""
    from local_runner.listening.hearing import Verdict
    from local_runner.listening.joining import decisions

    acted, asked, sorry = [], [], False
    for decision in decisions(judge, recognizer, recognizer.segments([pcm])):
        if seen is not None:
            seen(decision)
        heard = decision.heard
        if heard.verdict is Verdict.ACT:
            acted.append(nlu.understand(heard.words).to_contract())
        elif heard.verdict is Verdict.CONFIRM:
            asked.append(nlu.understand(heard.words).to_contract())
        sorry = sorry or heard.verdict is Verdict.SORRY
    return Outcome(tuple(acted), tuple(asked), sorry)
