"""A conversation with the skill, the way Alexa holds one: sessions, attributes, timestamps.

The skill works out how far a reply got from the timestamps of the request that started it
and of the next one, less ``REPLY_LAG_SECONDS`` (Alexa's delay before a reply plays, plus the
time a person takes to say a command). Locally a reply plays the moment it arrives, so the
request that follows a timed reply is stamped at exactly the reply's start plus the coach
seconds it has been playing plus that lag: the skill's estimate is then exact whether the
person interrupted mid-hold or let the reply finish, and whatever stamped the reply before.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from local_runner import envelopes
from skill.alexa.invoke import invoke
from skill.speech import Timeline, Window, timeline_from_ssml
from skill.workout import REPLY_LAG_SECONDS

if TYPE_CHECKING:
    from ask_sdk_core.skill import CustomSkill

    from local_runner.coaching.clock import VirtualClock

_LAG = timedelta(seconds=REPLY_LAG_SECONDS)
_TICK = timedelta(milliseconds=1)


@dataclass
class Reply:
    """What the skill answered: speech, reprompt, whether the session ended, attributes.

    ``started`` is the coach-clock second at which the reply starts playing.
    """

    ssml: str
    reprompt: str | None
    ends_session: bool
    attributes: dict[str, Any] = field(default_factory=dict)
    started: float = 0.0

    @classmethod
    def from_response(cls, envelope: dict[str, Any], started: float = 0.0) -> Reply:
        response = envelope.get("response") or {}
        speech = (response.get("outputSpeech") or {}).get("ssml") or "<speak></speak>"
        reprompt = ((response.get("reprompt") or {}).get("outputSpeech") or {}).get("ssml")
        return cls(
            ssml=speech,
            reprompt=reprompt,
            ends_session=response.get("shouldEndSession") is not False,
            attributes=envelope.get("sessionAttributes") or {},
            started=started,
        )

    @cached_property
    def timeline(self) -> Timeline:
        """The reply's phrases on its clock, read back from the SSML."""
        return timeline_from_ssml(self.ssml)

    @property
    def block(self) -> dict[str, Any] | None:
        """The timed block this reply performs, as the skill recorded it (None if untimed)."""
        workout = self.workout
        block = workout.get("block") if isinstance(workout, dict) else None
        return block if isinstance(block, dict) else None

    @cached_property
    def workout(self) -> dict[str, Any] | None:
        """The workout the session carries (as JSON text), read back; None when there is none."""
        text = self.attributes.get("workout")
        try:
            workout = json.loads(text) if isinstance(text, str) else text
        except ValueError:
            return None
        return workout if isinstance(workout, dict) else None

    @property
    def continues(self) -> bool:
        """Whether this reply is a block of a workout that goes on after it (the session stays open)."""
        workout = self.workout
        return (
            not self.ends_session
            and self.block is not None
            and isinstance(workout, dict)
            and (workout.get("status") == "active")
        )

    @cached_property
    def windows(self) -> list[Window]:
        """The holds, reps, rests and introductions of this reply, in reply seconds."""
        block = self.block
        if block is None:
            return []
        try:
            return [Window.from_list(raw) for raw in block.get("windows") or []]
        except (TypeError, ValueError):
            return []


class Conversation:
    """Sends launch, intent and session-ended requests to one skill object for one user."""

    def __init__(self, skill: CustomSkill, *, locale: str, user_id: str, clock: VirtualClock) -> None:
        self.skill = skill
        self.locale = locale
        self.user_id = f"amzn1.ask.account.local.{user_id}"
        self.clock = clock
        self.session_id: str | None = None
        self.attributes: dict[str, Any] = {}
        self._offset = timedelta(0)  # how far request stamps run ahead of the clock
        self._last_stamp: datetime | None = None
        self._timed_reply: tuple[datetime, datetime] | None = None  # (its request's stamp, when it began)
        self.saved: bool | None = None  # whether storage held all progress after the last request (None: unknown)

    def _stamp(self, at: float | None = None) -> datetime:
        """The timestamp of a request said now, or at coach second ``at`` (see the module notes)."""
        now = self.clock.now() if at is None else self.clock.moment(at)
        if self._timed_reply is not None:
            stamped, began = self._timed_reply
            moment = stamped + (now - began) + _LAG
        else:
            moment = now + self._offset
        if self._last_stamp is not None:
            moment = max(moment, self._last_stamp + _TICK)
        self._offset = moment - now
        self._last_stamp = moment
        return moment

    def _send(self, request: dict[str, Any], at: float | None = None) -> Reply:
        new = self.session_id is None
        if new:
            self.session_id = envelopes.new_session_id()
            self.attributes = {}
        assert self.session_id is not None
        moment = self._stamp(at)
        event = envelopes.envelope(
            request,
            user_id=self.user_id,
            session_id=self.session_id,
            new=new,
            attributes=self.attributes,
            locale=self.locale,
            moment=moment,
        )
        response = invoke(self.skill, event)
        started = self.clock.seconds()
        reply = Reply.from_response(response, started=started)
        if isinstance(reply.attributes.get("saved"), bool):
            self.saved = reply.attributes["saved"]
        began = self.clock.moment(started)
        self._timed_reply = (moment, began) if reply.block is not None and not reply.ends_session else None
        if reply.ends_session:
            self.session_id = None
            self.attributes = {}
        else:
            self.attributes = reply.attributes
        return reply

    def launch(self, at: float | None = None) -> Reply:
        self.session_id = None
        return self._send(envelopes.launch_request(), at)

    def intent(self, name: str, slots: dict[str, dict[str, Any]] | None = None, at: float | None = None) -> Reply:
        """An intent request, in this session or (when there is none) a new one; said at coach second ``at``
        (default: now)."""
        return self._send(envelopes.intent_request(name, slots or {}), at)

    def carry_on(self) -> Reply:
        """The next block of a workout whose last block played out (the laptop chains them on its own)."""
        return self.intent("AMAZON.NextIntent")

    def end(self, reason: str = "USER_INITIATED") -> None:
        """Close the session, as Alexa does when the person leaves (progress is settled and saved)."""
        if self.session_id is not None:
            self._send(envelopes.session_ended_request(reason))
            self.session_id = None
            self.attributes = {}
