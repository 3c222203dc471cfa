"""Run one Alexa request envelope (as JSON) through a skill object and return the response JSON."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope

from skill.errors import StrongBackError

if TYPE_CHECKING:
    from ask_sdk_core.skill import CustomSkill

_serializer = DefaultSerializer()


class NotAnAlexaRequest(StrongBackError, ValueError):
    """The event is not an Alexa request envelope."""


def parse_envelope(event: Any) -> RequestEnvelope:
    """A RequestEnvelope from a decoded JSON event; ``NotAnAlexaRequest`` if it isn't one."""
    if not isinstance(event, dict) or not isinstance(event.get("request"), dict):
        raise NotAnAlexaRequest("expected an Alexa request envelope with a 'request' object")
    if not isinstance(event["request"].get("type"), str):
        raise NotAnAlexaRequest("the request has no type")
    try:
        envelope = _serializer.deserialize(json.dumps(event), RequestEnvelope)
    except Exception as error:
        raise NotAnAlexaRequest(f"malformed Alexa request: {type(error).__name__}") from None
    if envelope is None or envelope.request is None:
        raise NotAnAlexaRequest("malformed Alexa request")
    return envelope


def invoke(skill: CustomSkill, event: dict[str, Any], context: object = None) -> dict[str, Any]:
    """The skill's response envelope for one request envelope, as a JSON-safe dict."""
    envelope = parse_envelope(event)
    response = skill.invoke(request_envelope=envelope, context=context)
    result = _serializer.serialize(response)
    assert isinstance(result, dict)
    return result
