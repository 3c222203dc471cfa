"""The player on a controllable clock: phrases and windows land at their moments whatever the
speech engine does, a typed line cuts a reply short at once, and pause/resume through the real
skill keeps what is left of a hold."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from local_runner.coaching.clock import Inbox, ScriptedWaiter, Typed, VirtualClock, scripted_cut
from local_runner.coaching.conversation import Conversation, Reply
from local_runner.coaching.player import Player
from skill.alexa.builder import get_skill
from skill.coach import Coach
from skill.routine import Step
from skill.speech import Timeline, Window, timeline_from_ssml
from skill.workout import WorkoutState


class FakeTime:
    """A monotonic clock that only moves when told to."""

    def __init__(self) -> None:
        self.t = 1000.0

    def monotonic(self) -> float:
        return self.t


class FakeWaiter:
    """Waits by jumping the fake clock to the moment; lines are 'typed' at set coach seconds."""

    def __init__(self, clock: VirtualClock, time: FakeTime, typed: list[tuple[float, str]] | None = None) -> None:
        self.clock = clock
        self.time = time
        self.typed = sorted(typed or [])
        self.waits = 0

    def now(self) -> float:
        return self.clock.seconds()

    def advance_to(self, moment: float) -> None:
        if moment > self.now():
            self.time.t += (moment - self.now()) / self.clock.speed

    def wait_until(self, moment: float) -> Typed | None:
        self.waits += 1
        if self.typed and self.typed[0][0] <= moment:
            at, text = self.typed.pop(0)
            self.advance_to(at)
            return Typed(text)
        self.advance_to(moment)
        return None


class SlowSpeech:
    """Speech that holds up its caller for a while on every phrase, like a blocking engine."""

    def __init__(self, waiter: FakeWaiter, seconds: float) -> None:
        self.waiter = waiter
        self.seconds = seconds
        self.said: list[tuple[float, str]] = []
        self.stopped_at: float | None = None

    def prepare(self, texts: object) -> None:
        return None

    def say(self, text: str) -> None:
        self.said.append((self.waiter.now(), text))
        self.waiter.time.t += self.seconds / self.waiter.clock.speed

    def stop(self) -> None:
        self.stopped_at = self.waiter.now()


class Recorder:
    """A screen that notes when each thing happened, in reply seconds."""

    def __init__(self) -> None:
        self.phrases: list[tuple[float, str]] = []
        self.started: list[tuple[float, Window]] = []
        self.ended: list[tuple[float, Window]] = []
        self.ticks: list[float] = []

    def reply_started(self, windows: object) -> None:
        return None

    def said(self, text: str, at: float) -> None:
        self.phrases.append((at, text))

    def window_started(self, window: Window, at: float) -> None:
        self.started.append((at, window))

    def window_ended(self, window: Window, at: float) -> None:
        self.ended.append((at, window))

    def tick(self, at: float) -> None:
        self.ticks.append(at)

    def reply_ended(self, at: float, interrupted: bool) -> None:
        return None


def thirty_second_hold() -> tuple[Timeline, list[Window]]:
    """The coach's reply for one 30 s plank, as the skill would send it."""
    step = Step("plank", sets=1, sides=1, hold_seconds=30, reps=None, tempo=None, rest_seconds=20)
    state = WorkoutState("lower_back", "beginner", "home", None, [step], "2026-01-05T07:00:00.000Z", results=[None])
    script, _ = Coach("en-US").block(state)
    # Windows travel in the session attributes, rounded to the millisecond like the SSML.
    return timeline_from_ssml(script.to_ssml()), [Window.from_list(w.to_list()) for w in script.windows]


def setup(speed: float = 1.0, typed: list[tuple[float, str]] | None = None) -> tuple[FakeWaiter, VirtualClock]:
    time = FakeTime()
    clock = VirtualClock(speed, monotonic=time.monotonic)
    return FakeWaiter(clock, time, typed), clock


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.mark.parametrize("speech_seconds", [0.0, 0.4, 0.9])
def test_phrases_of_a_30_second_hold_land_at_their_moments_however_long_speech_takes(
    recorder: Recorder, speech_seconds: float
) -> None:
    timeline, windows = thirty_second_hold()
    hold = next(w for w in windows if w.kind == "work")
    assert hold.seconds == 30
    waiter, _ = setup()
    speech = SlowSpeech(waiter, speech_seconds)
    start = waiter.now()
    outcome = Player(speech, recorder).perform(timeline, windows, start, waiter)

    assert not outcome.interrupted
    assert [text for _, text in speech.said] == [s.text for s in timeline.segments]
    # Each phrase starts at its moment, or as soon as the (blocking) phrase before it let go:
    # the delay of one phrase never carries over to the next.
    expected = -1.0
    for (at, _), segment in zip(speech.said, timeline.segments, strict=True):
        expected = max(segment.at, expected + speech_seconds)
        assert at - start == pytest.approx(expected, abs=1e-3)
    started = next(at for at, w in recorder.started if w == hold)
    ended = next(at for at, w in recorder.ended if w == hold)
    assert ended - started == pytest.approx(30.0, abs=1e-6)
    assert outcome.at == pytest.approx(timeline.duration, abs=2e-3)


def test_speed_runs_the_same_reply_on_a_faster_clock(recorder: Recorder) -> None:
    timeline, windows = thirty_second_hold()
    waiter, _ = setup(speed=10.0)
    real_start = waiter.time.t
    outcome = Player(SlowSpeech(waiter, 0.0), recorder).perform(timeline, windows, waiter.now(), waiter)
    assert outcome.at == pytest.approx(timeline.duration, abs=2e-3)
    assert waiter.time.t - real_start == pytest.approx(timeline.duration / 10.0, abs=2e-3)


def test_a_typed_line_ends_the_reply_at_once_and_silences_speech(recorder: Recorder) -> None:
    timeline, windows = thirty_second_hold()
    hold = next(w for w in windows if w.kind == "work")
    cut = hold.start + 12.0
    waiter, _ = setup(typed=[(cut, "pause")])
    speech = SlowSpeech(waiter, 0.0)
    outcome = Player(speech, recorder).perform(timeline, windows, waiter.now(), waiter)
    assert outcome.typed == Typed("pause")
    assert outcome.at == pytest.approx(cut)
    assert speech.stopped_at == pytest.approx(cut)
    assert all(at <= cut for at, _ in speech.said)
    assert not any(w == hold for _, w in recorder.ended)


def test_a_live_screen_gets_ticks_between_phrases(recorder: Recorder) -> None:
    timeline, windows = thirty_second_hold()
    waiter, _ = setup()
    Player(SlowSpeech(waiter, 0.0), recorder, tick_seconds=0.25).perform(timeline, windows, waiter.now(), waiter)
    gaps = [b - a for a, b in zip(recorder.ticks, recorder.ticks[1:], strict=False)]
    assert recorder.ticks and max(gaps) <= 0.25 + 1e-6


def test_piped_at_lines_are_parsed() -> None:
    assert scripted_cut("@12 pause") == (12.0, "pause")
    assert scripted_cut("@ 2.5s  skip this one ") == (2.5, "skip this one")
    assert scripted_cut("pause") is None
    assert scripted_cut("@12") is None
    assert scripted_cut("email me @12 pause") is None


def test_scripted_waiter_cuts_only_at_its_moment_and_leaves_other_lines() -> None:
    clock = VirtualClock(1000.0)  # real clock, 1000 times faster: the waits take milliseconds
    inbox = Inbox()
    inbox.put("@5 pause")
    start = clock.seconds()
    waiter = ScriptedWaiter(clock, inbox, start)
    assert waiter.wait_until(start + 2) is None
    assert waiter.wait_until(start + 9) == Typed("pause")
    assert clock.seconds() - start >= 5
    inbox.put("resume")  # an ordinary line waits for the reply to end
    assert waiter.wait_until(start + 12) is None
    assert inbox.take(0) == Typed("resume")


# ----- through the real skill ----------------------------------------------------------------------
def skill_conversation(waiter: FakeWaiter, clock: VirtualClock, user: str) -> Conversation:
    return Conversation(get_skill(), locale="en-US", user_id=user, clock=clock)


def start_intermediate_plank(conversation: Conversation, waiter: FakeWaiter, recorder: Recorder) -> Reply:
    """Start an intermediate lower back workout and skip to the plank (a 35 s hold)."""
    from local_runner import envelopes

    slots = {
        "area": envelopes.slot_json("area", "lower back", "BACK_AREA", "lower_back"),
        "level": envelopes.slot_json("level", "intermediate", "LEVEL", "intermediate"),
        "duration": envelopes.slot_json("duration", "PT20M", "AMAZON.DURATION", None),
    }
    reply = conversation.intent("StartWorkoutIntent", slots)
    for _ in range(8):  # the warm-up, then the glute bridge
        waiter.typed = [(reply.started + 3.0, "skip")]
        player = Player(SlowSpeech(waiter, 0.0), recorder)
        assert player.perform(reply.timeline, reply.windows, reply.started, waiter).interrupted
        reply = conversation.intent("SkipExerciseIntent")
        said = " ".join(segment.text for segment in reply.timeline.segments).lower()
        if re.search(r"exercise \w+ of \w+(:|, the) plank\.", said):
            return reply
    raise AssertionError("never reached the plank")


def test_pause_mid_hold_keeps_the_time_left_and_resume_holds_just_that_long(recorder: Recorder) -> None:
    waiter, clock = setup()
    conversation = skill_conversation(waiter, clock, f"player-{datetime.now(UTC).timestamp()}")
    plank = start_intermediate_plank(conversation, waiter, recorder)
    hold = next(w for w in plank.windows if w.kind == "work")
    assert hold.seconds == 35
    assert "plank" in " ".join(s.text for s in plank.timeline.segments).lower()

    waiter.typed = [(plank.started + hold.start + 12.0, "pause")]
    outcome = Player(SlowSpeech(waiter, 0.3), recorder).perform(plank.timeline, plank.windows, plank.started, waiter)
    assert outcome.interrupted
    paused = conversation.intent("AMAZON.PauseIntent")
    heard = " ".join(s.text for s in paused.timeline.segments).lower()
    assert "twenty three seconds" in heard  # 35 s hold, paused 12 s in

    waiter.advance_to(waiter.now() + 600)  # a long break: a paused hold does not run down
    resumed = conversation.intent("AMAZON.ResumeIntent")
    rest_of_hold = next(w for w in resumed.windows if w.kind == "work")
    assert rest_of_hold.seconds == pytest.approx(23.0, abs=0.15)
    screen = Recorder()
    Player(SlowSpeech(waiter, 0.3), screen).perform(resumed.timeline, resumed.windows, resumed.started, waiter)
    began = next(at for at, w in screen.started if w == rest_of_hold)
    ended = next(at for at, w in screen.ended if w == rest_of_hold)
    assert ended - began == pytest.approx(rest_of_hold.seconds, abs=1e-6)


def test_interrupting_a_reply_that_itself_interrupted_is_settled_exactly(recorder: Recorder) -> None:
    """The skip reply was started by an interruption; a pause 12 s into its hold still leaves 23 s."""
    waiter, clock = setup(speed=7.0)
    conversation = skill_conversation(waiter, clock, f"player-x-{datetime.now(UTC).timestamp()}")
    plank = start_intermediate_plank(conversation, waiter, recorder)
    hold = next(w for w in plank.windows if w.kind == "work")
    waiter.typed = [(plank.started + hold.start + 12.0, "stop")]
    Player(SlowSpeech(waiter, 0.0), recorder).perform(plank.timeline, plank.windows, plank.started, waiter)
    stopped = conversation.intent("AMAZON.StopIntent")
    assert stopped.ends_session
    # The next day, in a new session: resume picks up with what was left.
    waiter.advance_to(waiter.now() + 86_400 * 7)
    resumed = conversation.intent("AMAZON.ResumeIntent")
    rest_of_hold = next(w for w in resumed.windows if w.kind == "work")
    assert rest_of_hold.seconds == pytest.approx(23.0, abs=0.15)
    assert "twenty three seconds" in " ".join(s.text for s in resumed.timeline.segments).lower()
