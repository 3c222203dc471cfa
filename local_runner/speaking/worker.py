"""The text-to-speech worker: a child process that turns phrases into WAV files with pyttsx3.

Run as ``python -m local_runner.speaking.worker --rate 170 [--voice ID | --prefer ID]``. It speaks a small
JSON-lines protocol on its standard input and output:

- on start, one line: ``{"ready": true, "voice": ID, "voices": [[id, name, languages], ...]}``
  or ``{"error": "..."}`` (and exit status 1) when the engine can't start or the voice is unknown;
- then, for each request ``{"text": ..., "path": ...}``, one line ``{"ok": true, "path": ...}``
  or ``{"ok": false, "path": ..., "error": ...}``.

Synthesis lives in its own process so that a hung engine (pyttsx3's ``runAndWait`` is known to
hang on some set-ups) can be killed and restarted, and so that nothing it does can hold up the
coach's clock. pyttsx3 prints to standard output ("Audio saved to ..."), so the protocol uses a
private copy of the original output and everything else printed goes to standard error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, Any

FINISH_TIMEOUT_SECONDS = 8.0
ATTEMPTS = 4
RETRY_PAUSE_SECONDS = 0.02
WAV_HEADER_BYTES = 44
IDLE_TIMEOUT_SECONDS = 2.0
WARM_UP = "Ready."


def _voice_rows(engine: Any) -> list[list[Any]]:
    rows = []
    for voice in engine.getProperty("voices") or []:
        languages = [str(lang) for lang in (getattr(voice, "languages", None) or [])]
        rows.append([str(voice.id), str(getattr(voice, "name", "") or voice.id), languages])
    return rows


def pick_voice(wanted: str, rows: list[list[Any]]) -> str | None:
    """The voice id for ``wanted``: an id, a name, or a language code, case-insensitive."""
    key = wanted.strip().lower()
    for column in (0, 1):
        for row in rows:
            if str(row[column]).lower() == key:
                return str(row[0])
    for row in rows:
        if str(row[0]).lower().rsplit("/", 1)[-1] == key or key in (lang.lower() for lang in row[2]):
            return str(row[0])
    return None


def _send(out: IO[str], message: dict[str, Any]) -> None:
    out.write(json.dumps(message) + "\n")
    out.flush()


class Utterances:
    """pyttsx3's reports on the phrase being made: finished, and whether it was cancelled."""

    def __init__(self) -> None:
        self.finished = threading.Event()
        self.cancelled = threading.Event()

    def reset(self) -> None:
        self.finished.clear()
        self.cancelled.clear()

    def on_finished(self, completed: bool = True, **_: Any) -> None:
        (self.finished if completed else self.cancelled).set()


def espeak_idle(timeout: float = IDLE_TIMEOUT_SECONDS) -> None:
    """Wait until espeak-ng has no command pending (see ``_synthesize``)."""
    try:
        from pyttsx3.drivers import _espeak
    except ImportError:  # another engine: nothing to wait for
        return
    deadline = time.monotonic() + timeout
    while _espeak.IsPlaying() and time.monotonic() < deadline:
        time.sleep(0.002)


def synthesize_to_file(engine: Any, utterances: Utterances, text: str, path: str) -> dict[str, Any]:
    """Make one WAV file, working around faults of pyttsx3 2.99's espeak-ng driver.

    espeak-ng runs its commands on a thread of its own. pyttsx3's ``runAndWait`` returns
    before the file is written, so the file is only read once the phrase is reported finished.
    And ``runAndWait`` first cancels whatever espeak-ng still has pending: a setting not yet
    applied is lost, and the phrase then made comes out empty (reported as not completed). So
    each phrase waits until espeak-ng is idle, and a cancelled phrase is made again.
    """
    target = Path(path)
    for _attempt in range(ATTEMPTS):
        espeak_idle()
        target.unlink(missing_ok=True)
        utterances.reset()
        try:
            engine.save_to_file(text, str(target))
            engine.runAndWait()
        except Exception as error:  # the engine's own failures are reported, not raised
            return {"ok": False, "path": path, "error": f"{type(error).__name__}: {error}"}
        if not utterances.finished.wait(FINISH_TIMEOUT_SECONDS):
            return {"ok": False, "path": path, "error": "the speech engine did not finish the phrase"}
        if utterances.cancelled.is_set() or not target.exists() or target.stat().st_size <= WAV_HEADER_BYTES:
            time.sleep(RETRY_PAUSE_SECONDS)
            continue
        return {"ok": True, "path": path}
    return {"ok": False, "path": path, "error": f"the speech engine gave no audio after {ATTEMPTS} tries"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="speech_worker")
    parser.add_argument("--rate", type=int, required=True)
    parser.add_argument("--voice", default=None, help="the voice to use; an error if there is none such")
    parser.add_argument("--prefer", default=None, help="the voice to use if there is one such")
    args = parser.parse_args(argv)

    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints go to standard error
    sys.stdout = sys.stderr
    try:
        import pyttsx3

        engine = pyttsx3.init()
        rows = _voice_rows(engine)
    except Exception as error:  # missing libespeak-ng, broken install
        _send(protocol, {"error": f"{type(error).__name__}: {error}"})
        return 1
    wanted = args.voice or args.prefer
    voice = pick_voice(wanted, rows) if wanted else None
    if args.voice and voice is None:
        _send(protocol, {"error": f"unknown voice {args.voice!r}", "voices": rows})
        return 1
    utterances = Utterances()
    engine.connect("finished-utterance", utterances.on_finished)
    # The first phrase pumps pyttsx3's own start-up settings, which can cancel what follows;
    # the voice and rate are set after it, on an idle engine, so that they hold.
    with tempfile.TemporaryDirectory(prefix="strong-back-warm-up-") as folder:
        synthesize_to_file(engine, utterances, WARM_UP, str(Path(folder) / "warm-up.wav"))
    if voice:
        engine.setProperty("voice", voice)
    engine.setProperty("rate", args.rate)
    espeak_idle()
    current = voice or str(engine.getProperty("voice") or "")
    _send(protocol, {"ready": True, "voice": current, "voices": rows})
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            text, path = str(request["text"]), str(request["path"])
        except (ValueError, KeyError, TypeError):
            _send(protocol, {"ok": False, "path": "", "error": "bad request"})
            continue
        _send(protocol, synthesize_to_file(engine, utterances, text, path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
