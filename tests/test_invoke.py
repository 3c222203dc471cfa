"""Reading a request envelope: the skill's faster reading gives exactly what ask-sdk's own would."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope

from local_runner import envelopes
from skill.alexa.invoke import NotAnAlexaRequest, parse_envelope


def event_at(stamp: str) -> dict:
    event = envelopes.envelope(
        envelopes.intent_request("AMAZON.PauseIntent"),
        user_id="amzn1.ask.account.test",
        session_id="s",
        new=False,
        attributes={"workout": "{}"},
        locale="en-US",
        moment=datetime(2026, 11, 24, 7, 0, tzinfo=UTC),
    )
    event["request"]["timestamp"] = stamp
    return event


@pytest.mark.parametrize(
    "stamp",
    ["2026-11-24T07:00:00Z", "2026-11-24T07:00:00.123Z", "2026-11-24T07:00:00+01:00", "24 Nov 2026 07:00:00 GMT"],
)
def test_an_envelope_reads_as_the_sdk_reads_it(stamp: str) -> None:
    event = event_at(stamp)
    sdk = DefaultSerializer().deserialize(json.dumps(event), RequestEnvelope)
    ours = parse_envelope(json.loads(json.dumps(event)))
    assert ours.request.timestamp == sdk.request.timestamp
    assert ours.request.timestamp.tzinfo is not None
    assert ours.to_dict() == sdk.to_dict()


def test_a_timestamp_that_is_no_time_is_refused_clearly() -> None:
    with pytest.raises(NotAnAlexaRequest):
        parse_envelope(event_at("not a time"))
