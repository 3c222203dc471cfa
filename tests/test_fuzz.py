"""Fuzzing lambda_handler: any structurally valid envelope gets a valid reply within Alexa's limits;
anything that is not an Alexa request is refused with a clear error, never a crash."""

from __future__ import annotations

import json
import logging
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skill.alexa.invoke import NotAnAlexaRequest
from tests.support.alexa import Alexa, check_response, lambda_handler
from tests.support.fuzz_envelopes import alexa_envelopes


def _real_attributes() -> list[dict]:
    alexa = Alexa()
    seen = []
    for intent, slots in [
        ("StartWorkoutIntent", {"area": "full_back"}),
        ("AMAZON.NextIntent", {}),
        ("AMAZON.PauseIntent", {}),
        ("WorkoutStatusIntent", {}),
    ]:
        seen.append(alexa.say(intent, **slots).attributes)
    return [a for a in seen if a]


REAL = _real_attributes()


class _Failures(logging.Handler):
    """Counts requests that reached the catch-all exception handler (a bug, even if it still speaks)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage() + (f" {record.exc_info[1]!r}" if record.exc_info else ""))


FAILURES = _Failures()
logging.getLogger("skill").addHandler(FAILURES)


@given(alexa_envelopes(REAL))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_alexa_envelope_gets_a_valid_reply(envelope: dict) -> None:
    FAILURES.messages.clear()
    raw = lambda_handler()(json.loads(json.dumps(envelope)), None)
    check_response(raw)
    assert FAILURES.messages == []


@given(st.binary(max_size=64) | st.text(max_size=64))
@settings(max_examples=100, deadline=None)
def test_random_bytes_are_refused_clearly(garbage: bytes | str) -> None:
    try:
        event = json.loads(garbage)
    except (ValueError, UnicodeDecodeError):
        event = garbage
    try:
        raw = lambda_handler()(event, None)
    except NotAnAlexaRequest as error:
        assert str(error)
    else:
        check_response(raw)


@pytest.mark.parametrize("seed", range(5))
def test_byte_level_mutations_of_real_envelopes(seed: int) -> None:
    rng = random.Random(seed)
    alexa = Alexa()
    alexa.say("StartWorkoutIntent", area="upper_back")
    from local_runner import envelopes

    base = json.dumps(
        envelopes.envelope(
            envelopes.intent_request("AMAZON.PauseIntent"),
            user_id=alexa.user,
            session_id="s",
            new=False,
            attributes=alexa.attributes,
            locale="en-US",
            moment=alexa.now,
        )
    ).encode()
    parsed = 0
    for _ in range(150):
        data = bytearray(base)
        for _ in range(rng.randint(1, 4)):
            position = rng.randrange(len(data))
            action = rng.choice(["flip", "insert", "delete"])
            if action == "flip":
                data[position] ^= 1 << rng.randrange(8)
            elif action == "insert":
                data.insert(position, rng.randrange(256))
            else:
                del data[position]
        try:
            event = json.loads(bytes(data))
        except (ValueError, UnicodeDecodeError):
            continue
        parsed += 1
        try:
            raw = lambda_handler()(event, None)
        except NotAnAlexaRequest:
            continue
        check_response(raw)
    assert parsed > 10
