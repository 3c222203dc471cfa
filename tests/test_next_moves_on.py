""" "Next" always moves forward, whenever it comes: an impatient person (or the screen's Next button)
at random moments of every reply finishes any plan in at most as many requests as it has sets
(each side of a two-sided set counted) plus exercises, and no reply after a "next" starts again the
window that "next" cut short. Checked on every front end: the Lambda handler, the HTTP endpoint,
the screen's buttons, and the laptop coach's conversation.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from local_runner.coaching.clock import VirtualClock
from local_runner.coaching.conversation import Conversation
from local_runner.envelopes import slot_json
from skill.alexa.builder import build_skill
from skill.alexa.persistence import sqlite_adapter
from skill.catalog import Area, Level, Place
from skill.playback import Playback
from skill.speech import Window
from tests.support.alexa import Alexa, Heard, readable

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]
PLANS = st.tuples(
    st.sampled_from(list(Area)),
    st.sampled_from(list(Level)),
    st.sampled_from(list(Place)),
    st.sampled_from([None, 5, 10, 15]),
)
GAPS = st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=12)
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def bound(workout: dict[str, Any]) -> int:
    """Sets (each side of a two-sided set counted) plus exercises."""
    return sum(step["sets"] * step["sides"] + 1 for step in workout["steps"])


def windows_of(attributes: dict[str, Any]) -> list[Window]:
    block = (attributes.get("workout") or {}).get("block") or {}
    return [Window.from_list(w) for w in block.get("windows", [])]


def cut_window(windows: list[Window], at: float) -> Window | None:
    """The window a request ``at`` seconds into a reply cuts short (None: the reply had played out)."""
    inside = [w for w in windows if w.start <= at < w.end]
    return inside[-1] if inside else None


def assert_no_restart(cut: Window | None, after: list[Window]) -> None:
    """The reply after a "next" never starts again the window that "next" cut short."""
    if cut is None or not after:
        return
    same = (after[0].kind, after[0].step, after[0].set, after[0].side) == (cut.kind, cut.step, cut.set, cut.side)
    assert not same, f"'next' in {cut} started it again"


def walk(start: Callable[[], Heard], say_next: Callable[[float], Heard], gaps: list[float]) -> None:
    """Start a workout, then say next at moments drawn from ``gaps`` (fractions of each reply) until it ends."""
    heard = start()
    workout = heard.attributes["workout"]
    limit = bound(workout)
    requests_made = 0
    while not heard.finished:
        fraction = gaps[requests_made % len(gaps)]
        at = fraction * heard.duration
        cut = cut_window(windows_of(heard.attributes), at)
        heard = say_next(at)
        requests_made += 1
        assert requests_made <= limit, f"{requests_made} nexts and still going (bound {limit})"
        assert_no_restart(cut, windows_of(heard.attributes))
    assert "workout done" in heard or "your workout" in heard or "every exercise was skipped" in heard


# ----- the Lambda handler, and the screen's Next button ----------------------------------------------
@SETTINGS
@given(plan=PLANS, gaps=GAPS)
def test_on_alexa_next_at_any_moment_finishes_any_plan(
    plan: tuple[Area, Level, Place, int | None], gaps: list[float]
) -> None:
    area, level, place, minutes = plan
    alexa = Alexa()
    slots = {"area": area.value, "level": level.value, "place": place.value}
    if minutes:
        slots["duration"] = f"PT{minutes}M"
    walk(lambda: alexa.say("StartWorkoutIntent", **slots), lambda at: alexa.interrupt(at, "AMAZON.NextIntent"), gaps)


@SETTINGS
@given(plan=PLANS, gaps=GAPS)
def test_the_screens_next_button_at_any_moment_finishes_any_plan(
    plan: tuple[Area, Level, Place, int | None], gaps: list[float]
) -> None:
    area, level, place, minutes = plan
    alexa = Alexa(screen=True)
    slots = {"area": area.value, "level": level.value, "place": place.value}
    if minutes:
        slots["duration"] = f"PT{minutes}M"
    walk(lambda: alexa.say("StartWorkoutIntent", **slots), lambda at: alexa.touch("next", after=at), gaps)


# ----- the HTTP endpoint ---------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``strong-back serve --no-verify`` in a subprocess, on its own progress file."""
    port = free_port()
    env = {**os.environ, "STRONG_BACK_DB": str(tmp_path_factory.mktemp("serve") / "progress.db")}
    command = [sys.executable, "-m", "local_runner", "serve", "--no-verify", "--port", str(port)]
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{url}/health", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "the endpoint never came up"
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


@SETTINGS
@given(plan=PLANS, gaps=GAPS)
def test_over_http_next_at_any_moment_finishes_any_plan(
    endpoint: str, plan: tuple[Area, Level, Place, int | None], gaps: list[float]
) -> None:
    area, level, place, minutes = plan
    alexa = Alexa()
    session = requests.Session()
    alexa.handler = lambda event, context: session.post(f"{endpoint}/", json=event, timeout=10).json()
    slots = {"area": area.value, "level": level.value, "place": place.value}
    if minutes:
        slots["duration"] = f"PT{minutes}M"
    walk(lambda: alexa.say("StartWorkoutIntent", **slots), lambda at: alexa.interrupt(at, "AMAZON.NextIntent"), gaps)


# ----- the laptop coach --------------------------------------------------------------------------------
class FakeTime:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.t = 1000.0

    def monotonic(self) -> float:
        return self.t


@pytest.fixture(scope="module")
def laptop_skill(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return build_skill(sqlite_adapter(tmp_path_factory.mktemp("laptop") / "progress.db"), playback=Playback.LAPTOP)


@SETTINGS
@given(plan=PLANS, gaps=GAPS)
def test_on_the_laptop_next_at_any_moment_finishes_any_plan(
    laptop_skill: Any, plan: tuple[Area, Level, Place, int | None], gaps: list[float]
) -> None:
    area, level, place, minutes = plan
    fake = FakeTime()
    clock = VirtualClock(1.0, monotonic=fake.monotonic)
    user = f"next-{time.monotonic_ns()}"
    conversation = Conversation(laptop_skill, locale="en-US", user_id=user, clock=clock)
    slots: dict[str, Any] = {}  # as the offline parser sends them
    for name, value, kind in (("area", area, "BACK_AREA"), ("level", level, "LEVEL"), ("place", place, "PLACE")):
        slots[name] = slot_json(name, value.value.replace("_", " "), kind, value.value)
    if minutes:
        slots["duration"] = slot_json("duration", f"PT{minutes}M", "AMAZON.DURATION", None)

    def reply_as_heard(reply: Any) -> Heard:
        text = " ".join(segment.text for segment in reply.timeline.segments)
        attributes = readable(reply.attributes)
        return Heard(reply.ssml, text, reply.timeline.duration, reply.ends_session, reply.reprompt, attributes)

    def start() -> Heard:
        return reply_as_heard(conversation.intent("StartWorkoutIntent", slots))

    def say_next(at: float) -> Heard:
        fake.t += at  # the reply played this far when the person said next
        return reply_as_heard(conversation.intent("AMAZON.NextIntent"))

    walk(start, say_next, gaps)
