"""The text-to-speech worker: a child process that turns phrases into WAV files with pyttsx3.

Run as ``python -m local_runner.speech_worker --rate 170 [--voice ID | --prefer ID]``. It speaks a small
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
import threading
from pathlib import Path
from typing import IO, Any

FINISH_TIMEOUT_SECONDS = 8.0


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


def _synthesize(engine: Any, finished: threading.Event, text: str, path: str) -> dict[str, Any]:
    target = Path(path)
    target.unlink(missing_ok=True)
    finished.clear()
    try:
        engine.save_to_file(text, str(target))
        engine.runAndWait()
    except Exception as error:  # the engine's own failures are reported, not raised
        return {"ok": False, "path": path, "error": f"{type(error).__name__}: {error}"}
    # With espeak-ng, pyttsx3's runAndWait returns before the file is written (synthesis runs on
    # espeak's own thread); the file is complete when the utterance is reported finished.
    if not finished.wait(FINISH_TIMEOUT_SECONDS):
        return {"ok": False, "path": path, "error": "the speech engine did not finish the phrase"}
    if not target.exists() or target.stat().st_size <= 44:
        return {"ok": False, "path": path, "error": "the speech engine wrote no audio"}
    return {"ok": True, "path": path}


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
    finished = threading.Event()
    engine.connect("finished-utterance", lambda **_: finished.set())
    if voice:
        engine.setProperty("voice", voice)
    engine.setProperty("rate", args.rate)
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
        _send(protocol, _synthesize(engine, finished, text, path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
