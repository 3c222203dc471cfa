"""Phrases to WAV clips through the speech worker process; each distinct phrase made once.

``Synthesizer.clip(text)`` returns a future at once, so the coach can ask for every phrase of
a reply before it starts and never wait on the engine while it counts. A worker that stops
answering within ``timeout`` seconds is killed and started again; if it fails again the phrase
fails with ``VoiceError`` and the caller carries on in text.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import wave
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from local_runner.coaching import messages
from local_runner.speaking.voices import UnknownVoiceError, VoiceError, VoiceSettings

if TYPE_CHECKING:
    from collections.abc import Sequence

START_TIMEOUT_SECONDS = 20.0
PHRASE_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Clip:
    """A synthesised phrase: its WAV file and how long it plays."""

    text: str
    path: Path
    seconds: float


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / float(wav.getframerate())


def worker_command(settings: VoiceSettings) -> list[str]:
    command = [sys.executable, "-m", "local_runner.speaking.worker", "--rate", str(settings.rate_wpm)]
    if settings.voice:
        return [*command, "--voice", settings.voice]
    return [*command, "--prefer", settings.voice_id]


class _Worker:
    """One running speech worker process and the lines it has answered."""

    def __init__(self, command: Sequence[str]) -> None:
        try:
            self.process = subprocess.Popen(
                list(command),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                encoding="utf-8",
            )
        except OSError as error:
            raise VoiceError(messages.speech_engine_failed(str(error))) from None
        self.answers: queue.Queue[dict[str, Any] | None] = queue.Queue()
        threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True).start()

    def _read(self, stream: IO[str] | None) -> None:
        assert stream is not None
        for line in stream:
            try:
                self.answers.put(json.loads(line))
            except ValueError:
                continue
        self.answers.put(None)

    def answer(self, timeout: float) -> dict[str, Any] | None:
        """The next answer; None when the worker died or said nothing within ``timeout``."""
        try:
            return self.answers.get(timeout=timeout)
        except queue.Empty:
            return None

    def ask(self, text: str, path: Path, timeout: float) -> dict[str, Any] | None:
        stdin = self.process.stdin
        if stdin is None or self.process.poll() is not None:
            return None
        try:
            stdin.write(json.dumps({"text": text, "path": str(path)}) + "\n")
            stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            return None
        return self.answer(timeout)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


class Synthesizer:
    """Makes WAV clips of phrases with one speech worker, in order of asking; caches them."""

    def __init__(
        self,
        settings: VoiceSettings,
        folder: Path | None = None,
        *,
        command: Sequence[str] | None = None,
        timeout: float = PHRASE_TIMEOUT_SECONDS,
    ) -> None:
        self.settings = settings
        self.command = list(command) if command is not None else worker_command(settings)
        self.timeout = timeout
        self._own_folder = folder is None
        self.folder = Path(tempfile.mkdtemp(prefix="strong-back-speech-")) if folder is None else folder
        self.voice_id = settings.voice_id
        self.voices: list[list[Any]] = []
        self.restarts = 0
        self._worker: _Worker | None = None
        self._clips: dict[str, Future[Clip]] = {}
        self._jobs: queue.Queue[tuple[str, Future[Clip]] | None] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    # ----- life cycle ---------------------------------------------------------------------
    def start(self) -> None:
        """Start the worker and wait until it is ready; ``VoiceError`` saying why it can't."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._worker = self._launch()
        self._thread = threading.Thread(target=self._run, name="speech-synthesis", daemon=True)
        self._thread.start()

    def _launch(self) -> _Worker:
        worker = _Worker(self.command)
        hello = worker.answer(START_TIMEOUT_SECONDS)
        if hello is None or not hello.get("ready"):
            worker.kill()
            if hello is None:
                raise VoiceError(messages.speech_engine_failed("the speech engine did not start"))
            detail = str(hello.get("error", "unknown error"))
            if detail.startswith("unknown voice"):
                raise UnknownVoiceError(messages.unknown_voice(self.settings.voice or "", hello.get("voices") or []))
            raise VoiceError(messages.speech_engine_failed(detail))
        self.voice_id = str(hello.get("voice") or self.voice_id)
        self.voices = list(hello.get("voices") or [])
        return worker

    def close(self) -> None:
        """Stop the worker and remove the clips this synthesizer made in its own folder."""
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join(timeout=2)
            self._thread = None
        if self._worker is not None:
            self._worker.kill()
            self._worker = None
        if self._own_folder:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Synthesizer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----- clips ----------------------------------------------------------------------------
    def clip(self, text: str) -> Future[Clip]:
        """A future clip of ``text``; the same future for the same text."""
        with self._lock:
            future = self._clips.get(text)
            if future is None:
                future = Future()
                self._clips[text] = future
                self._jobs.put((text, future))
            return future

    def prepare(self, texts: Sequence[str]) -> None:
        for text in texts:
            self.clip(text)

    def clip_now(self, text: str) -> Clip:
        """The clip of ``text``, waiting for it; ``VoiceError`` if it can't be made."""
        return self.clip(text).result(timeout=self.timeout * 3 + START_TIMEOUT_SECONDS)

    def _path_for(self, text: str) -> Path:
        digest = hashlib.sha1(f"{self.voice_id}|{self.settings.rate_wpm}|{text}".encode()).hexdigest()[:20]
        return self.folder / f"{digest}.wav"

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            text, future = job
            try:
                future.set_result(self._make(text))
            except VoiceError as error:
                future.set_exception(error)

    def _make(self, text: str) -> Clip:
        path = self._path_for(text)
        if path.exists():
            return Clip(text, path, wav_seconds(path))
        for attempt in range(2):
            worker = self._worker
            if worker is None:
                break
            answer = worker.ask(text, path, self.timeout)
            if answer is not None and answer.get("ok"):
                return Clip(text, path, wav_seconds(path))
            if answer is not None:  # the engine answered, but failed on this phrase
                raise VoiceError(messages.speech_phrase_failed(f"{answer.get('error')}, saying {text!r}"))
            worker.kill()  # hung or died: start a fresh worker and try once more
            self._worker = None
            if attempt == 0:
                self.restarts += 1
                self._worker = self._launch()
        raise VoiceError(messages.speech_engine_failed("the speech engine stopped answering"))
