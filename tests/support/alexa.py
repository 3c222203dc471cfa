"""A test double for the person and the Echo: sends envelopes exactly as Alexa does to the
real ``lambda_handler``, carries session attributes, keeps time, and reads the speech back."""

from __future__ import annotations

import importlib.util
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import ResponseEnvelope

from interaction_models import load_model
from local_runner import envelopes
from skill.speech import Window, ssml_problems, timeline_from_ssml
from skill.workout import REPLY_LAG_SECONDS

ROOT = Path(__file__).resolve().parents[2]
# Slot name -> slot type, as the en-US interaction model defines them.
SLOT_TYPES = {
    slot["name"]: slot["type"] for intent in load_model("en-US")["intents"] for slot in intent.get("slots", [])
}


def load_lambda_handler() -> Any:
    spec = importlib.util.spec_from_file_location("lambda_function", ROOT / "lambda" / "lambda_function.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.lambda_handler


_HANDLER: Any = None


def lambda_handler() -> Any:
    global _HANDLER
    if _HANDLER is None:
        _HANDLER = load_lambda_handler()
    return _HANDLER


@dataclass(frozen=True)
class Unresolved:
    """A slot value Alexa heard but could not resolve (ER_SUCCESS_NO_MATCH)."""

    heard: str


@dataclass
class Heard:
    """What the person heard in one reply."""

    ssml: str
    text: str
    duration: float
    ends_session: bool
    reprompt: str | None
    attributes: dict[str, Any]  # the session attributes, the workout read back from its JSON text
    directives: list[dict[str, Any]] = field(default_factory=list)
    carried: dict[str, Any] = field(default_factory=dict)  # the session attributes exactly as sent

    def __contains__(self, words: str) -> bool:
        return words.lower() in self.text.lower()

    @property
    def finished(self) -> bool:
        """The workout is over: the session ended, or the coach asked how it felt (a workout's last reply)."""
        return self.ends_session or self.attributes.get("offer") == "rate"


class Alexa:
    """One person talking to the skill through Alexa, with a clock of their own."""

    def __init__(
        self,
        locale: str = "en-US",
        user: str | None = None,
        start: datetime | None = None,
        screen: bool = False,
        device: str = "amzn1.ask.device.test-echo",
    ) -> None:
        self.locale = locale
        self.device = device
        self.screen = screen  # an Echo Show: the device supports APL
        self.user = user or f"amzn1.ask.account.test-{uuid.uuid4()}"
        self.now = start or datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
        self.session: str | None = None
        self.attributes: dict[str, Any] = {}
        self.last: Heard | None = None
        self.handler = lambda_handler()
        self._reply_started = self.now

    # ----- what the person does ------------------------------------------------------
    def open(self) -> Heard:
        self.session = None
        return self._send(envelopes.launch_request())

    def say(self, intent: str, **slots: str | Unresolved) -> Heard:
        """Say something after the last reply has played out."""
        return self._send(envelopes.intent_request(intent, self._slots(slots)))

    def interrupt(self, after: float, intent: str, **slots: str | Unresolved) -> Heard:
        """Say "Alexa, ..." ``after`` seconds into the last reply."""
        assert self.last is not None
        self.now = self._reply_started + timedelta(seconds=after + REPLY_LAG_SECONDS)
        return self._send(envelopes.intent_request(intent, self._slots(slots)), listened=False)

    def touch(self, button: str, after: float | None = None) -> Heard:
        """Touch a button on the screen (``after`` seconds into the last reply, or once it has played)."""
        request = {"type": "Alexa.Presentation.APL.UserEvent", "token": "strong-back", "arguments": [button]}
        if after is None:
            return self._send(request)
        assert self.last is not None
        self.now = self._reply_started + timedelta(seconds=after + REPLY_LAG_SECONDS)
        return self._send(request, listened=False)

    def send(self, request: dict[str, Any]) -> Heard:
        """Send a request built by hand (one Alexa would not send: forged or damaged), after the last reply."""
        return self._send(request)

    def leave(self) -> None:
        """Walk away: the session times out."""
        if self.session:
            self._send(envelopes.session_ended_request("EXCEEDED_MAX_REPROMPTS"))
        self.session = None

    def wait(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def stored(self) -> dict[str, Any] | None:
        """This person's progress document as the skill stored it (the SQLite file of this test run)."""
        from skill.config import Settings
        from skill.storage import sqlite_store

        document = sqlite_store(Settings.from_env().db_path).read(self.user)
        return dict(document) if document else None

    # ----- plumbing ------------------------------------------------------------------
    def _slots(self, slots: dict[str, str | Unresolved]) -> dict[str, Any]:
        built = {}
        for name, value in slots.items():
            kind = SLOT_TYPES[name]
            if isinstance(value, Unresolved):
                built[name] = envelopes.slot_json(name, value.heard, kind, None)
            elif kind.startswith("AMAZON."):
                built[name] = envelopes.slot_json(name, value, kind, None)
            else:
                built[name] = envelopes.slot_json(name, value.replace("_", " "), kind, value)
        return built

    def _send(self, request: dict[str, Any], listened: bool = True) -> Heard:
        if listened and self.last is not None:
            # the reply has played out, and the person takes a moment before Alexa hears them
            played = self.last.duration + REPLY_LAG_SECONDS + 1
            self.now = max(self.now, self._reply_started + timedelta(seconds=played))
        new = self.session is None
        if new:
            self.session = f"amzn1.echo-api.session.{uuid.uuid4()}"
            self.attributes = {}
        assert self.session is not None
        event = envelopes.envelope(
            request,
            user_id=self.user,
            session_id=self.session,
            new=new,
            attributes=self.attributes,
            locale=self.locale,
            moment=self.now,
        )
        event["context"]["System"]["device"]["deviceId"] = self.device
        if self.screen:
            event["context"]["System"]["device"]["supportedInterfaces"] = {
                "Alexa.Presentation.APL": {"runtime": {"maxVersion": "2023.3"}}
            }
        event = json.loads(json.dumps(event))
        raw = self.handler(event, None)
        heard = check_response(raw)
        self._reply_started = self.now
        if heard.ends_session:
            self.session = None
            self.attributes = {}
        else:
            self.attributes = heard.carried
        self.last = heard
        return heard


def check_response(raw: dict[str, Any]) -> Heard:
    """Everything Alexa itself would check on a response; returns what the person hears."""
    json.dumps(raw)
    envelope = DefaultSerializer().deserialize(json.dumps(raw), ResponseEnvelope)
    assert envelope is not None and envelope.version == "1.0"
    response = raw.get("response") or {}
    speech = (response.get("outputSpeech") or {}).get("ssml")
    ends = response.get("shouldEndSession") is not False
    reprompt = ((response.get("reprompt") or {}).get("outputSpeech") or {}).get("ssml")
    directives = response.get("directives") or []
    carried = raw.get("sessionAttributes") or {}
    attributes = readable(carried)
    if speech is None:
        return Heard("", "", 0.0, True, None, attributes, directives, carried)
    assert ssml_problems(speech) == [], ssml_problems(speech)
    if not ends:
        assert reprompt, "a reply that expects an answer carries a reprompt"
        assert ssml_problems(reprompt) == []
    timeline = timeline_from_ssml(speech)
    text = " ".join(segment.text for segment in timeline.segments)
    return Heard(speech, text, timeline.duration, ends, reprompt, attributes, directives, carried)


def readable(carried: dict[str, Any]) -> dict[str, Any]:
    """Session attributes with the workout (carried as JSON text) read back into an object, for assertions."""
    workout = carried.get("workout")
    return {**carried, "workout": json.loads(workout)} if isinstance(workout, str) else dict(carried)


def windows(heard: Heard) -> list[Window]:
    """The timed windows of what a reply performs (talk, count, work, switch, rest, prompt), as the
    workout state records them; none for a reply that performs nothing."""
    block = (heard.attributes.get("workout") or {}).get("block") or {}
    return [Window.from_list(w) for w in block.get("windows", [])]


def walk_to_work_of(alexa: Alexa, exercise: str, heard: Heard, limit: int = 40) -> tuple[Heard, Window]:
    """Say "next" after each reply until one performs ``exercise``; that reply and its first work window."""
    for _ in range(limit):
        steps = heard.attributes["workout"]["steps"]
        work = [w for w in windows(heard) if w.kind == "work" and steps[w.step]["exercise"] == exercise]
        if work:
            return heard, work[0]
        heard = alexa.say("AMAZON.NextIntent")
    raise AssertionError(f"never reached the {exercise}")
