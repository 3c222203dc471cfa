"""Run one Alexa request envelope (as JSON) through a skill object and return the response JSON."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope

from skill.errors import StrongBackError

if TYPE_CHECKING:
    from ask_sdk_core.skill import CustomSkill


class _Serializer(DefaultSerializer):
    """ask-sdk's serializer, with two costs of every request taken out: a request's timestamps are
    read by the standard library (ISO 8601, as Alexa sends them; anything else still goes to the
    SDK's dateutil parser, which took a tenth of a warm request), and a decoded event is read as it
    is, without a round trip through JSON text."""

    def _DefaultSerializer__deserialize_datetime(self, payload: Any, obj_type: Any) -> Any:  # the SDK's hook
        if isinstance(payload, str):
            try:
                parsed = datetime.fromisoformat(payload)
            except ValueError:
                pass
            else:
                return parsed.date() if obj_type is date else parsed
        return super()._DefaultSerializer__deserialize_datetime(payload, obj_type)  # type: ignore[misc]

    def request_envelope(self, event: dict[str, Any]) -> RequestEnvelope | None:
        found = self._DefaultSerializer__deserialize(event, RequestEnvelope)  # type: ignore[attr-defined]
        return found if isinstance(found, RequestEnvelope) or found is None else None


_serializer = _Serializer()


class NotAnAlexaRequest(StrongBackError, ValueError):
    """The event is not an Alexa request envelope."""


def parse_envelope(event: Any) -> RequestEnvelope:
    """A RequestEnvelope from a decoded JSON event; ``NotAnAlexaRequest`` if it isn't one."""
    if not isinstance(event, dict) or not isinstance(event.get("request"), dict):
        raise NotAnAlexaRequest("expected an Alexa request envelope with a 'request' object")
    if not isinstance(event["request"].get("type"), str):
        raise NotAnAlexaRequest("the request has no type")
    try:
        envelope = _serializer.request_envelope(event)
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
