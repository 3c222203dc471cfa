"""One builder for the request envelopes tests send by hand (the Alexa double builds its own the same way)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope

from local_runner import envelopes


def launch_event(
    user: str | None = "amzn1.ask.account.test",
    *,
    session_id: str | None = None,
    skill_id: str | None = None,
    moment: datetime | None = None,
    locale: str = "en-US",
) -> dict[str, Any]:
    """A LaunchRequest envelope opening a new session (``user=None``: a request with no user at all)."""
    event = envelopes.envelope(
        envelopes.launch_request(),
        user_id=user or "",
        session_id=session_id or envelopes.new_session_id(),
        new=True,
        attributes={},
        locale=locale,
        moment=moment or datetime.now(UTC),
    )
    if user is None:
        del event["context"]["System"]["user"]
        del event["session"]["user"]
    if skill_id is not None:
        event["session"]["application"]["applicationId"] = skill_id
        event["context"]["System"]["application"]["applicationId"] = skill_id
    return event


def request_envelope(event: dict[str, Any]) -> RequestEnvelope:
    """The envelope as ask-sdk's handlers and adapters receive it."""
    envelope = DefaultSerializer().deserialize(json.dumps(event), RequestEnvelope)
    assert isinstance(envelope, RequestEnvelope)
    return envelope
