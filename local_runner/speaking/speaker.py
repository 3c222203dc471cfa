"""Sound out of the laptop: find out whether it can play at all, and play clips without blocking.

``audio_problem()`` plays a twentieth of a second of silence through ``aplay`` (from
alsa-utils): only a real probe tells whether a sound device is there, whatever ALSA, PulseAudio
or PipeWire sit behind it. ``Speaker`` plays each phrase in its own ``aplay`` process, so a
phrase can be cut off at once (when the person interrupts, or when the next phrase is due) and
nothing the audio does can delay the coach's clock. ``STRONG_BACK_AUDIO_DEVICE`` picks an ALSA
device (``aplay -D``), e.g. ``plughw:1`` or ``null``.
"""

from __future__ import annotations

import queue
import shutil
import subprocess
import tempfile
import threading
import time
import wave
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import TYPE_CHECKING

from local_runner.speaking.voices import VoiceError
from skill.config import Settings

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from local_runner.speaking.synthesis import Synthesizer

PROBE_TIMEOUT_SECONDS = 5.0
# A phrase whose audio is not ready this long after it was due is dropped (it is printed anyway).
MAX_LATE_SECONDS = 0.6


def audio_device() -> str | None:
    return Settings.from_env().audio_device


def aplay_command(path: Path, device: str | None) -> list[str]:
    device_args = ["-D", device] if device else []
    return ["aplay", "-q", *device_args, str(path)]


def _silent_wav(path: Path, seconds: float = 0.05, rate: int = 22050) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(b"\0\0" * int(rate * seconds))


def audio_problem(device: str | None = None) -> str | None:
    """Why sound can't play here (for the person to read), or None when a probe played."""
    if shutil.which("aplay") is None:
        return "aplay (from alsa-utils) is not installed"
    with tempfile.TemporaryDirectory(prefix="strong-back-probe-") as folder:
        probe = Path(folder) / "silence.wav"
        _silent_wav(probe)
        try:
            done = subprocess.run(
                aplay_command(probe, device or audio_device()),
                capture_output=True,
                text=True,
                timeout=PROBE_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return "the sound device did not respond"
        except OSError as error:
            return f"aplay could not run ({error.strerror or error})"
    if done.returncode == 0:
        return None
    said = " ".join(done.stderr.split())
    if "no soundcards" in said or not Path("/proc/asound/cards").exists():
        return "no sound card was found"
    last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit status {done.returncode}"
    return f"the sound device could not be opened ({last.strip()})"


class Speaker:
    """Says phrases out loud as clips from a synthesizer; ``say`` and ``stop`` return at once.

    A phrase that is due while the one before is still sounding cuts that one off: the
    schedule, not the speech engine, decides when things are said.
    """

    def __init__(
        self,
        synthesizer: Synthesizer,
        on_failure: Callable[[str], None],
        device: str | None = None,
    ) -> None:
        self.synthesizer = synthesizer
        self.on_failure = on_failure
        self.device = device if device is not None else audio_device()
        self.working = True
        self.played = 0
        self._commands: queue.Queue[tuple[str, str, float] | None] = queue.Queue()
        self._lock = threading.Lock()
        self._playing: subprocess.Popen[bytes] | None = None
        self._thread = threading.Thread(target=self._run, name="speaker", daemon=True)
        self._thread.start()

    # ----- called by the player (never blocks) ----------------------------------------------
    def prepare(self, texts: Sequence[str]) -> None:
        if self.working:
            self.synthesizer.prepare(texts)

    def say(self, text: str) -> None:
        if self.working:
            self._commands.put(("say", text, time.monotonic()))

    def stop(self) -> None:
        """Silence at once (the person interrupted)."""
        self._commands.put(("stop", "", time.monotonic()))
        self._cut()

    def talking(self) -> bool:
        """True while a phrase is sounding (the microphone listener ignores the coach's own voice)."""
        with self._lock:
            playing = self._playing
        return playing is not None and playing.poll() is None

    def close(self) -> None:
        self._commands.put(None)
        self._thread.join(timeout=2)
        self._cut()

    # ----- the speaker thread -----------------------------------------------------------------
    def _cut(self) -> None:
        with self._lock:
            playing, self._playing = self._playing, None
        if playing is not None and playing.poll() is None:
            playing.kill()
            playing.wait()

    def _fail(self, reason: str) -> None:
        if self.working:
            self.working = False
            self.on_failure(reason)

    def _check_finished(self) -> None:
        """Notice a phrase that ended with an error (the device went away)."""
        with self._lock:
            playing = self._playing
        if playing is None or playing.poll() is None or playing.returncode in (0, -9, -15):
            return
        said = playing.stderr.read().decode(errors="replace").strip() if playing.stderr else ""
        self._fail(said.splitlines()[-1] if said else f"aplay exit status {playing.returncode}")

    def _newer_waiting(self) -> bool:
        return not self._commands.empty()

    def _run(self) -> None:
        while True:
            command = self._commands.get()
            if command is None:
                return
            kind, text, asked = command
            self._check_finished()
            if kind != "say" or not self.working:
                continue
            try:
                clip = self._wait_for_clip(text, asked)
            except VoiceError as error:
                self._fail(str(error))
                continue
            if clip is None:
                continue
            self._cut()
            try:
                process = subprocess.Popen(
                    aplay_command(clip, self.device),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
            except OSError as error:
                self._fail(f"aplay could not run ({error.strerror or error})")
                continue
            with self._lock:
                self._playing = process
            self.played += 1

    def _wait_for_clip(self, text: str, asked: float) -> Path | None:
        """The clip's file, or None when it came too late or something newer is waiting."""
        future = self.synthesizer.clip(text)
        while True:
            try:
                return future.result(timeout=0.02).path
            except FutureTimeout:
                if self._newer_waiting() or time.monotonic() - asked > MAX_LATE_SECONDS:
                    return None
