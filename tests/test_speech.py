"""Speech timing and SSML: what Alexa receives is well-formed, within limits, and adds up."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st

from skill.speech import (
    MAX_BREAK_SECONDS,
    Script,
    estimate_seconds,
    ssml_problems,
    timeline_from_ssml,
)

words = st.lists(
    st.sampled_from(["plank", "hold", "twenty", "seconds", "squeeze", "your", "glutes", "&", "<", "rest"]),
    min_size=1,
    max_size=12,
)


def test_longer_phrases_take_longer() -> None:
    assert estimate_seconds("") == 0
    assert estimate_seconds("Go.") < estimate_seconds("Keep your hips level.")
    assert estimate_seconds("Keep your hips level.") < estimate_seconds(
        "Keep your hips level, and squeeze your glutes hard."
    )


@given(st.lists(st.tuples(words, st.floats(min_value=0, max_value=25)), min_size=1, max_size=15))
@settings(max_examples=150, deadline=None)
def test_ssml_reads_back_to_the_same_timeline(parts: list[tuple[list[str], float]]) -> None:
    script = Script()
    for tokens, pause in parts:
        script.say(" ".join(tokens), "test")
        script.wait_until(script.cursor + pause)
    ssml = script.to_ssml()
    assert ssml_problems(ssml) == [] or "audio" in " ".join(ssml_problems(ssml))
    timeline = timeline_from_ssml(ssml)
    assert [s.text for s in timeline.segments] == [c.text for c in script.cues]
    for segment, cue in zip(timeline.segments, script.cues, strict=True):
        assert abs(segment.at - cue.at) < 0.01
    assert abs(timeline.duration - script.duration) < 0.01
    for element in ET.fromstring(ssml).iter("break"):
        seconds = float(element.get("time", "0").rstrip("ms").rstrip("s"))
        assert seconds / (1000 if element.get("time", "").endswith("ms") else 1) <= MAX_BREAK_SECONDS


def test_text_is_escaped_for_ssml() -> None:
    script = Script()
    script.say("Rock & roll <loud>", "test")
    ssml = script.to_ssml()
    assert ssml_problems(ssml) == []
    assert timeline_from_ssml(ssml).segments[0].text == "Rock & roll <loud>"


def test_anchored_phrase_that_would_overlap_is_dropped() -> None:
    script = Script()
    script.say("A fairly long sentence that takes a couple of seconds to say.", "a")
    assert not script.say_at(0.5, "ten", "b")
    assert script.say_at(10.0, "ten", "c")
    assert [c.key for c in script.cues] == ["a", "c"]


def test_problems_are_reported() -> None:
    assert any("break" in p for p in ssml_problems('<speak><break time="12s"/></speak>'))
    assert any("unsupported" in p for p in ssml_problems("<speak><audio src='x'/></speak>"))
    assert any("well-formed" in p for p in ssml_problems("<speak>oops"))
    long_audio = "<speak>" + '<break time="10s"/>' * 25 + "</speak>"
    assert any("audio" in p for p in ssml_problems(long_audio))
    assert any("characters" in p for p in ssml_problems("<speak>" + "word " * 2000 + "</speak>"))
