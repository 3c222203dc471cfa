"""A conversation with the skill, the way Alexa holds one: sessions, attributes, timestamps."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from local_runner import envelopes
from skill.alexa.invoke import invoke
from skill.workout import REPLY_LAG_SECONDS

if TYPE_CHECKING:
    from collections.abc import Callable

    from ask_sdk_core.skill import CustomSkill


class VirtualClock:
    """Wall time that runs ``speed`` times faster than real time (for --speed and tests)."""

    def __init__(self, speed: float = 1.0, monotonic: Callable[[], float] = time.monotonic) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._monotonic = monotonic
        self._origin = monotonic()
        self._start = datetime.now(UTC)

    def now(self) -> datetime:
        return self._start + timedelta(seconds=(self._monotonic() - self._origin) * self.speed)


@dataclass
class Reply:
    """What the skill answered: speech, reprompt, whether the session ended, attributes."""

    ssml: str
    reprompt: str | None
    ends_session: bool
    attributes: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_response(cls, envelope: dict[str, Any]) -> Reply:
        response = envelope.get("response") or {}
        speech = (response.get("outputSpeech") or {}).get("ssml") or "<speak></speak>"
        reprompt = ((response.get("reprompt") or {}).get("outputSpeech") or {}).get("ssml")
        return cls(
            ssml=speech,
            reprompt=reprompt,
            ends_session=response.get("shouldEndSession") is not False,
            attributes=envelope.get("sessionAttributes") or {},
        )


class Conversation:
    """Sends launch, intent and session-ended requests to one skill object for one user."""

    def __init__(self, skill: CustomSkill, *, locale: str, user_id: str, clock: VirtualClock) -> None:
        self.skill = skill
        self.locale = locale
        self.user_id = f"amzn1.ask.account.local.{user_id}"
        self.clock = clock
        self.session_id: str | None = None
        self.attributes: dict[str, Any] = {}

    @property
    def in_session(self) -> bool:
        return self.session_id is not None

    def _send(self, request: dict[str, Any], interrupting: bool = False) -> Reply:
        new = self.session_id is None
        if new:
            self.session_id = envelopes.new_session_id()
            self.attributes = {}
        assert self.session_id is not None
        moment = self.clock.now()
        if interrupting:
            # Alexa's timestamp comes after the person has said the command; the skill
            # subtracts that lag, so add it here to keep the local estimate exact.
            moment += timedelta(seconds=REPLY_LAG_SECONDS)
        event = envelopes.envelope(
            request,
            user_id=self.user_id,
            session_id=self.session_id,
            new=new,
            attributes=self.attributes,
            locale=self.locale,
            moment=moment,
        )
        reply = Reply.from_response(invoke(self.skill, event))
        if reply.ends_session:
            self.session_id = None
            self.attributes = {}
        else:
            self.attributes = reply.attributes
        return reply

    def launch(self) -> Reply:
        self.session_id = None
        return self._send(envelopes.launch_request())

    def intent(self, name: str, slots: dict[str, dict[str, Any]], interrupting: bool = False) -> Reply:
        return self._send(envelopes.intent_request(name, slots), interrupting)

    def end(self, reason: str = "USER_INITIATED") -> None:
        """Close the session, as Alexa does when the person leaves."""
        if self.session_id is not None:
            self._send(envelopes.session_ended_request(reason))
            self.session_id = None
