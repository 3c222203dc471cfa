"""Bespoken's virtual-alexa (npm) as a real Alexa client, driven from Python.

``tests/virtual_alexa/driver.js`` runs in node: it maps words to an intent and slots with
virtual-alexa's sample matcher, builds the request envelope with virtual-alexa and POSTs it
to the skill's URL. Its header lists the limits of virtual-alexa it works around. The npm
packages are installed by ``make test`` (``npm ci`` from the lock file), never at test time.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from interaction_models import model_path

DRIVER_DIR = Path(__file__).resolve().parents[1] / "virtual_alexa"
DRIVER = DRIVER_DIR / "driver.js"
ANSWER_WITHIN = 60.0  # seconds for one command (a first match compiles the model's patterns)


class VirtualAlexaError(RuntimeError):
    """The driver failed: the message has its stack trace."""


def require_virtual_alexa() -> str:
    """The node binary; skips the test when node or the npm packages are missing (fails in CI)."""
    node = shutil.which("node")
    missing = "node" if node is None else None
    if missing is None and not (DRIVER_DIR / "node_modules" / "virtual-alexa").is_dir():
        missing = "virtual-alexa (npm ci in tests/virtual_alexa)"
    if missing:
        message = f"{missing} is not installed: make test installs it"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    assert node is not None
    return node


@dataclass
class Turn:
    """One request virtual-alexa sent and the skill's reply."""

    said: str
    intent: str | None  # None: a LaunchRequest or SessionEndedRequest; "" when nothing matched
    slots: dict[str, Any] = field(default_factory=dict)
    request: dict[str, Any] = field(default_factory=dict)
    response: dict[str, Any] = field(default_factory=dict)

    @property
    def speech(self) -> str:
        """What the person hears, as plain text."""
        ssml = (self.response.get("response", {}).get("outputSpeech") or {}).get("ssml", "")
        return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", ssml)).split())

    @property
    def ends_session(self) -> bool:
        return bool(self.response.get("response", {}).get("shouldEndSession"))

    def slot_values(self) -> dict[str, str]:
        """Slot name -> resolved id (or the value, e.g. an ISO duration), as the skill received them."""
        values = {}
        for name, slot in ((self.request.get("request", {}).get("intent") or {}).get("slots") or {}).items():
            if not slot.get("value"):
                continue
            authorities = (slot.get("resolutions") or {}).get("resolutionsPerAuthority") or []
            ids = [a["values"][0]["value"]["id"] for a in authorities if a["status"]["code"] == "ER_SUCCESS_MATCH"]
            values[name] = ids[0] if ids else slot["value"]
        return values


class VirtualAlexa:
    """One virtual Echo for one locale, talking to the skill at ``url``."""

    def __init__(self, locale: str, url: str) -> None:
        node = require_virtual_alexa()
        self.locale = locale
        self.process = subprocess.Popen(
            [node, str(DRIVER)],
            cwd=DRIVER_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._call({"op": "start", "locale": locale, "model": str(model_path(locale)), "url": url})

    def _call(self, command: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            stderr = self.process.stderr.read() if self.process.stderr else ""
            raise VirtualAlexaError(f"the virtual-alexa driver stopped: {stderr}")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise VirtualAlexaError(answer["error"])
        return answer

    def match(self, texts: list[str]) -> list[dict[str, Any] | None]:
        """What virtual-alexa's matcher makes of each text: intent and slot ids, or None."""
        results: list[dict[str, Any] | None] = self._call({"op": "match", "texts": texts})["results"]
        return results

    def launch(self) -> Turn:
        answer = self._call({"op": "launch"})
        return Turn("open strong back", None, request=answer["request"], response=answer["response"])

    def say(self, text: str) -> Turn:
        answer = self._call({"op": "utter", "text": text})
        if "unmatched" in answer:
            return Turn(text, "")
        request = answer["request"]
        intent = (request.get("request", {}).get("intent") or {}).get("name")
        turn = Turn(text, intent, request=request, response=answer["response"])
        turn.slots = turn.slot_values()
        return turn

    def new_user(self) -> None:
        self._call({"op": "new_user"})

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdout, self.process.stderr):
            if stream:
                stream.close()
