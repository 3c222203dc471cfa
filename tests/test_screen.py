"""Echo Show and other screens: the APL card, its countdown in step with the spoken hold, touch."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import pytest

from skill.catalog import CATALOG
from skill.screen import DOCUMENT_PATH
from skill.speech import timeline_from_ssml
from tests.support.alexa import Alexa, Heard, windows
from tests.support.apl_sim import Runner, payload_references

SPOKEN_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50,
}  # fmt: skip


def render(heard: Heard) -> dict[str, Any]:
    documents = [d for d in heard.directives if d["type"] == "Alexa.Presentation.APL.RenderDocument"]
    assert len(documents) == 1, heard.directives
    return documents[0]


def number_said(text: str) -> int | None:
    """The seconds or rep a short count phrase names: "Five." -> 5, "Twenty seconds left." -> 20."""
    words = re.findall(r"[a-z]+", text.lower())
    if not words or words[0] not in SPOKEN_NUMBERS or len(words) > 4:
        return None
    value = SPOKEN_NUMBERS[words[0]]
    if len(words) > 1 and words[1] in SPOKEN_NUMBERS:
        value += SPOKEN_NUMBERS[words[1]]
    return value


def test_the_document_is_well_formed_and_reads_only_what_the_skill_sends() -> None:
    document = json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))
    assert document["type"] == "APL" and document["mainTemplate"]["parameters"] == ["payload"]
    alexa = Alexa(screen=True)
    for heard in (alexa.open(), alexa.say("StartWorkoutIntent", area="lower_back"), alexa.say("AMAZON.PauseIntent")):
        sent = render(heard)
        assert sent["document"] == document
        sources = sent["datasources"]
        for path in payload_references(document):
            node: Any = sources
            for part in path.strip(".").split("."):
                assert isinstance(node, dict) and part in node, f"the document reads payload{path}, which is not sent"
                node = node[part]
        Runner(sent["document"], sources).mount()  # every command and component it uses exists


def assert_screen_counts_with_the_coach(heard: Heard, offset: float = 0.0) -> int:
    """Play the reply's screen and check the clock against every count the coach says; how many were checked.

    ``offset``: seconds said before the reply's own speech (its windows count from after them)."""
    sent = render(heard)
    shown = Runner(sent["document"], sent["datasources"]).mount()
    segments = timeline_from_ssml(heard.ssml).segments
    steps = heard.attributes["workout"]["steps"]
    checked = 0
    for window in (replace(w, start=w.start + offset) for w in windows(heard)):
        if window.kind != "work":
            continue
        step = steps[window.step]
        name = CATALOG[step["exercise"]].name
        assert shown.shown("exercise", window.start * 1000 + 1).lower() == name
        for segment in segments:
            if not window.start - 0.01 <= segment.at < window.end - 0.01:
                continue
            said = number_said(segment.text)
            if said is None:
                continue
            clock = shown.shown("clock", segment.at * 1000 + 20)
            if step["hold_seconds"]:
                assert int(clock) == said, f"said {segment.text!r} while the screen showed {clock}"
            else:
                done = int((segment.at - window.start + 0.05) // (window.seconds / step["reps"]))
                assert int(clock) == done == said  # the reps done, as the coach counts each one completed
            checked += 1
        if step["hold_seconds"]:  # the last second of the hold shows one, as the coach says "One."
            assert int(shown.shown("clock", window.end * 1000 - 20)) == 1
    return checked


@pytest.mark.parametrize(("area", "level"), [("lower_back", "advanced"), ("upper_back", "beginner")])
def test_the_countdown_shows_what_the_coach_is_counting(area: str, level: str) -> None:
    alexa = Alexa(screen=True)
    heard = alexa.say("StartWorkoutIntent", area=area, level=level, place="gym")
    checked = 0
    for _ in range(4):
        checked += assert_screen_counts_with_the_coach(heard)
        heard = alexa.say("AMAZON.NextIntent")
        if heard.finished:
            break
    assert checked > 10


def test_cues_appear_when_they_are_said_and_rests_show_what_is_next() -> None:
    alexa = Alexa(screen=True)
    heard = alexa.say("StartWorkoutIntent", area="lower_back", level="intermediate", place="home")
    sent = render(heard)
    shown = Runner(sent["document"], sent["datasources"]).mount()
    said_cues = [s for s in timeline_from_ssml(heard.ssml).segments if s.text in _all_cues()]
    assert said_cues
    for segment in said_cues:
        assert shown.shown("cue", segment.at * 1000 + 20) == segment.text
    steps = heard.attributes["workout"]["steps"]
    for window in windows(heard):
        if window.kind == "rest" and window.step + 1 < len(steps) and window.set + 1 == steps[window.step]["sets"]:
            upcoming = CATALOG[steps[window.step + 1]["exercise"]].name
            assert upcoming in shown.shown("next", window.start * 1000 + 20).lower()
            assert shown.shown("phase", window.start * 1000 + 20).lower() == "rest"


def _all_cues() -> set[str]:
    return {cue for e in CATALOG.values() for cue in (*e.cues, *e.work_cues)}


def test_touching_pause_mid_hold_and_then_resume() -> None:
    alexa = Alexa(screen=True)
    first = alexa.say("StartWorkoutIntent", area="lower_back", level="intermediate")
    steps = first.attributes["workout"]["steps"]
    holds = [w for w in windows(first) if w.kind == "work" and steps[w.step]["hold_seconds"]]
    while not holds:  # walk on to the first hold
        first = alexa.say("AMAZON.NextIntent")
        holds = [w for w in windows(first) if w.kind == "work" and steps[w.step]["hold_seconds"]]
    hold = holds[0]
    paused = alexa.touch("pause", after=hold.start + 12)
    assert "paused" in paused and not paused.ends_session
    card = render(paused)["datasources"]["card"]
    assert card["phase"].lower() == "paused"
    assert int(card["clock"]) == pytest.approx(hold.seconds - 12, abs=1)
    assert [b["event"] for b in card["buttons"]] == ["resume", "next"]
    resumed = alexa.touch("resume")
    work = next(w for w in windows(resumed) if w.kind == "work")
    assert work.step == hold.step and work.seconds == pytest.approx(hold.seconds - 12, abs=0.2)


def test_touching_next_moves_on_and_start_begins_a_workout() -> None:
    alexa = Alexa(screen=True)
    menu = alexa.open()
    assert [b["event"] for b in render(menu)["datasources"]["card"]["buttons"]] == ["start"]
    started = alexa.touch("start")
    assert any(w.kind == "work" for w in windows(started))
    work = next(w for w in windows(started) if w.kind == "work")
    moved = alexa.touch("next", after=work.start + 4)
    first = windows(moved)[0]
    steps = started.attributes["workout"]["steps"]
    expected = (work.step, work.set + 1) if work.set + 1 < steps[work.step]["sets"] else (work.step + 1, 0)
    assert (first.step, first.set) == expected


def test_devices_without_a_screen_hear_exactly_the_same_and_get_no_directives() -> None:
    plain, screen = Alexa(user="amzn1.ask.account.same-a"), Alexa(user="amzn1.ask.account.same-b", screen=True)
    for alexa in (plain, screen):
        alexa.say("StartWorkoutIntent", area="full_back", level="beginner", place="home")
        alexa.say("AMAZON.NextIntent")
        alexa.interrupt(20, "AMAZON.PauseIntent")
    assert plain.last is not None and screen.last is not None
    assert plain.last.ssml == screen.last.ssml
    assert plain.last.directives == []
    assert render(screen.last)
