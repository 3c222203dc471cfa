"""Alexa request envelopes for the local coach, built the way Alexa builds them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

APPLICATION_ID = "amzn1.ask.skill.strong-back-local"
ER_AUTHORITY = "amzn1.er-authority.echo-sdk.{app}.{type}"


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def slot_json(
    name: str, heard: str, slot_type: str, resolved_id: str | None, canonical: str | None = None
) -> dict[str, Any]:
    """One slot as Alexa sends it, with entity resolution for custom types."""
    slot: dict[str, Any] = {"name": name, "value": heard, "confirmationStatus": "NONE", "source": "USER"}
    if not slot_type.startswith("AMAZON."):
        authority: dict[str, Any] = {
            "authority": ER_AUTHORITY.format(app=APPLICATION_ID, type=slot_type),
            "status": {"code": "ER_SUCCESS_MATCH" if resolved_id else "ER_SUCCESS_NO_MATCH"},
        }
        if resolved_id:
            authority["values"] = [{"value": {"name": canonical or heard, "id": resolved_id}}]
        slot["resolutions"] = {"resolutionsPerAuthority": [authority]}
    return slot


def envelope(
    request: dict[str, Any],
    *,
    user_id: str,
    session_id: str,
    new: bool,
    attributes: dict[str, Any] | None,
    locale: str,
    moment: datetime,
) -> dict[str, Any]:
    """A full request envelope around a request body."""
    application = {"applicationId": APPLICATION_ID}
    user = {"userId": user_id}
    request = {
        "requestId": f"local.request.{uuid.uuid4()}",
        "timestamp": timestamp(moment),
        "locale": locale,
        **request,
    }
    return {
        "version": "1.0",
        "session": {
            "new": new,
            "sessionId": session_id,
            "application": application,
            "attributes": attributes or {},
            "user": user,
        },
        "context": {
            "System": {
                "application": application,
                "user": user,
                "device": {"deviceId": "local.device", "supportedInterfaces": {}},
                "apiEndpoint": "https://localhost",
            }
        },
        "request": request,
    }


def launch_request() -> dict[str, Any]:
    return {"type": "LaunchRequest"}


def intent_request(intent: str, slots: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "type": "IntentRequest",
        "dialogState": "COMPLETED",
        "intent": {"name": intent, "confirmationStatus": "NONE", "slots": slots or {}},
    }


def session_ended_request(reason: str = "USER_INITIATED") -> dict[str, Any]:
    return {"type": "SessionEndedRequest", "reason": reason}


def new_session_id() -> str:
    return f"local.session.{uuid.uuid4()}"
