"""Hypothesis strategies for Alexa request envelopes: valid in structure, odd in content."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from local_runner import envelopes

CONTRACT_INTENTS = [
    "StartWorkoutIntent", "SkipExerciseIntent", "DescribeExerciseIntent", "WorkoutStatusIntent",
    "ProgressIntent", "AdjustDifficultyIntent", "AMAZON.NextIntent", "AMAZON.PauseIntent",
    "AMAZON.ResumeIntent", "AMAZON.RepeatIntent", "AMAZON.StartOverIntent", "AMAZON.PreviousIntent",
    "AMAZON.YesIntent", "AMAZON.NoIntent", "AMAZON.HelpIntent", "AMAZON.StopIntent",
    "AMAZON.CancelIntent", "AMAZON.FallbackIntent", "AMAZON.NavigateHomeIntent",
]  # fmt: skip
SLOTS = {
    "area": ("BACK_AREA", ["lower_back", "upper_back", "full_back"]),
    "level": ("LEVEL", ["beginner", "intermediate", "advanced"]),
    "place": ("PLACE", ["home", "gym"]),
    "exercise": ("EXERCISE", ["glute_bridge", "plank", "side_plank", "deadlift", "seated_row"]),
    "direction": ("DIRECTION", ["easier", "harder"]),
    "duration": ("AMAZON.DURATION", ["PT10M", "PT1H", "PT30S", "P1D", "PT0M", "PT999999H", "?", "PT", "10 minutes"]),
}
BASE = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)

text = st.text(max_size=30)
json_leaf = st.none() | st.booleans() | st.integers(-(10**12), 10**12) | st.floats(allow_nan=False) | text
json_value = st.recursive(
    json_leaf, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4), max_leaves=12
)


@st.composite
def slot_values(draw: st.DrawFn) -> dict[str, Any]:
    slots: dict[str, Any] = {}
    for name in draw(st.lists(st.sampled_from(sorted(SLOTS)), unique=True, max_size=4)):
        kind, ids = SLOTS[name]
        form = draw(st.sampled_from(["resolved", "unresolved", "empty", "bogus_id", "no_value"]))
        value = draw(st.sampled_from(ids) | text)
        if form == "resolved":
            slots[name] = envelopes.slot_json(
                name, value.replace("_", " "), kind, value if kind != "AMAZON.DURATION" else None
            )
        elif form == "unresolved":
            slots[name] = envelopes.slot_json(name, value, kind, None)
        elif form == "empty":
            slots[name] = envelopes.slot_json(name, "", kind, None)
        elif form == "bogus_id":
            slots[name] = envelopes.slot_json(name, value, kind, draw(text) or "x")
        else:
            slots[name] = {"name": name, "confirmationStatus": "NONE"}
    return slots


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["LaunchRequest", "IntentRequest", "IntentRequest", "IntentRequest",
                                 "SessionEndedRequest", "CanFulfillIntentRequest", "System.ExceptionEncountered",
                                 "Alexa.Presentation.APL.UserEvent", "AudioPlayer.PlaybackStarted"]))  # fmt: skip
    if kind == "IntentRequest":
        name = draw(st.sampled_from(CONTRACT_INTENTS) | st.text(min_size=1, max_size=20))
        return envelopes.intent_request(name, draw(slot_values()))
    if kind == "Alexa.Presentation.APL.UserEvent":
        arguments = draw(st.lists(st.sampled_from(["next", "pause", "resume", "start"]) | json_value, max_size=3))
        return {"type": kind, "token": draw(st.sampled_from(["strong-back", "other"]) | text), "arguments": arguments}
    if kind == "SessionEndedRequest":
        return envelopes.session_ended_request(
            draw(st.sampled_from(["USER_INITIATED", "ERROR", "EXCEEDED_MAX_REPROMPTS"]))
        )
    return {"type": kind}


@st.composite
def session_attributes(draw: st.DrawFn, real: list[dict[str, Any]]) -> dict[str, Any]:
    choice = draw(st.sampled_from(["none", "real", "tampered", "garbage", "old"]))
    if choice == "none" or not real:
        return {}
    attributes = draw(st.sampled_from(real))
    if choice == "real":
        return attributes
    if choice == "garbage":
        return {"workout": draw(json_value), "offer": draw(json_value)}
    carried = attributes.get("workout")
    workout = dict(json.loads(carried) if isinstance(carried, str) else carried or {})
    if choice == "old":
        workout["v"] = 0
    elif workout:
        key = draw(st.sampled_from(sorted(workout)))
        workout[key] = draw(json_value)
    # as the skill carries it (JSON text), or as an older release did (an object)
    as_text = draw(st.booleans())
    return {"workout": json.dumps(workout) if as_text else workout, "offer": attributes.get("offer")}


@st.composite
def alexa_envelopes(draw: st.DrawFn, real_attributes: list[dict[str, Any]]) -> dict[str, Any]:
    new = draw(st.booleans())
    moment = BASE + timedelta(seconds=draw(st.integers(-(10**8), 10**8)))
    envelope = envelopes.envelope(
        draw(requests()),
        user_id=draw(st.sampled_from(["amzn1.ask.account.fuzz-a", "amzn1.ask.account.fuzz-b"])),
        session_id="amzn1.echo-api.session.fuzz",
        new=new,
        attributes={} if new else draw(session_attributes(real_attributes)),
        locale=draw(st.sampled_from(["en-US", "en-GB", "en-IN", "de-DE", "xx", ""])),
        moment=moment,
    )
    if draw(st.booleans()):
        envelope["request"]["locale"] = draw(st.none() | text)
    if draw(st.booleans()):  # a screen device
        envelope["context"]["System"]["device"]["supportedInterfaces"] = {
            "Alexa.Presentation.APL": {"runtime": {"maxVersion": "2023.3"}}
        }
    return envelope
