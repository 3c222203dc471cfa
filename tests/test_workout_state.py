"""The workout state machine: random command sequences never corrupt it; it survives JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from skill.catalog import Area, Level, Place
from skill.coach import Coach
from skill.planning import plan_routine
from skill.workout import REPLY_LAG_SECONDS, HistoryRecord, WorkoutState, load_state

START = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)


class WorkoutMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.coach = Coach()
        self.state: WorkoutState | None = None
        self.now = START

    @rule(area=st.sampled_from(list(Area)), level=st.sampled_from(list(Level)), place=st.sampled_from(list(Place)))
    def start(self, area: Area, level: Level, place: Place) -> None:
        self.state = WorkoutState.start(plan_routine(area, level, place), self.now)

    @precondition(lambda self: self.state is not None and not self.state.finished)
    @rule()
    def perform(self) -> None:
        assert self.state is not None
        script, end = self.coach.block(self.state)
        assert script.duration > 0
        self.state.begin_block(script.windows, end, script.duration, self.now)

    @precondition(lambda self: self.state is not None)
    @rule(seconds=st.floats(min_value=0, max_value=400))
    def later(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        assert self.state is not None
        self.state.settle(self.now)

    @precondition(lambda self: self.state is not None)
    @rule(command=st.sampled_from(["next", "skip", "previous", "repeat", "pause", "resume", "start_over"]))
    def command(self, command: str) -> None:
        assert self.state is not None
        getattr(self.state, command)()

    @precondition(lambda self: self.state is not None)
    @rule(direction=st.sampled_from(["easier", "harder"]))
    def adjust(self, direction: str) -> None:
        assert self.state is not None
        self.state.adjust(direction)

    @invariant()
    def survives_json(self) -> None:
        if self.state is None:
            return
        raw = json.loads(json.dumps(self.state.to_dict()))
        again = WorkoutState.from_dict(raw)
        assert again.to_dict() == self.state.to_dict()
        assert len(json.dumps(raw)) < 12_000  # fits comfortably in session attributes

    @invariant()
    def position_is_inside_the_workout(self) -> None:
        if self.state is None:
            return
        pos = self.state.pos
        assert 0 <= pos.step <= len(self.state.steps)
        if pos.step < len(self.state.steps):
            assert pos.set < self.state.steps[pos.step].sets
        assert len(self.state.results) == len(self.state.steps)


TestWorkoutMachine = WorkoutMachine.TestCase
TestWorkoutMachine.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)


def _started() -> WorkoutState:
    return WorkoutState.start(plan_routine(Area.LOWER_BACK, Level.BEGINNER, Place.HOME), START)


def test_pause_mid_hold_keeps_the_remaining_time() -> None:
    state = _started()
    plank = next(i for i, s in enumerate(state.steps) if s.exercise == "plank")
    state.pos = state.pos.__class__(plank)
    script, end = Coach().block(state)
    state.begin_block(script.windows, end, script.duration, START)
    hold = next(w for w in script.windows if w.kind == "work" and state.steps[w.step].hold_seconds)
    into = 12.3
    assert state.settle(START + timedelta(seconds=hold.start + into + REPLY_LAG_SECONDS))
    assert state.pos.step == hold.step and state.pos.set == hold.set
    assert state.pos.remaining is not None
    assert abs(state.pos.remaining - (hold.seconds - into)) < 0.11


def test_reply_that_played_out_moves_to_its_end() -> None:
    state = _started()
    script, end = Coach().block(state)
    state.begin_block(script.windows, end, script.duration, START)
    assert not state.settle(START + timedelta(seconds=script.duration + 30))
    assert state.pos == end
    assert all(r == "done" for r in state.results[: end.step])


def test_skip_is_recorded_and_finish_counts_it() -> None:
    state = _started()
    state.skip()
    state.next()
    record = state.finish(START + timedelta(minutes=10))
    assert record.skipped == 1
    assert record.date == "2026-11-24"


def test_the_history_remembers_the_vertical_pull_done_and_only_one_done() -> None:
    plan = plan_routine(Area.UPPER_BACK, Level.INTERMEDIATE, Place.GYM, 20, "pull_up")
    state = WorkoutState.start(plan, START)
    pull = next(i for i, s in enumerate(state.steps) if s.exercise in ("pull_up", "lat_pulldown"))
    state.results = ["done"] * len(state.steps)
    record = state.finish(START)
    assert record.vertical_pull == state.steps[pull].exercise == "lat_pulldown"
    assert HistoryRecord.from_dict(json.loads(json.dumps(record.to_dict()))) == record
    skipped = WorkoutState.start(plan, START)
    skipped.results = ["done"] * len(skipped.steps)
    skipped.results[pull] = "skipped"
    assert skipped.finish(START).vertical_pull is None
    older = record.to_dict()
    del older["vertical_pull"]  # records saved before the field exist without it, and stay as they were
    assert HistoryRecord.from_dict(older).vertical_pull is None
    assert "vertical_pull" not in HistoryRecord.from_dict(older).to_dict()
    for damaged in ("plank", "nonsense", 3):
        with pytest.raises(ValueError):
            HistoryRecord.from_dict({**older, "vertical_pull": damaged})


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
        max_leaves=20,
    )
)
@settings(max_examples=200, deadline=None)
def test_garbage_never_loads_and_never_raises(garbage: object) -> None:
    assert load_state(garbage) is None


@given(st.data())
@settings(max_examples=200, deadline=None)
def test_tampered_state_is_rejected_or_valid(data: st.DataObject) -> None:
    raw = _started().to_dict()
    key = data.draw(st.sampled_from(sorted(raw)))
    raw[key] = data.draw(
        st.none() | st.integers(-5, 50) | st.text(max_size=4) | st.lists(st.integers(-2, 9), max_size=4)
    )
    state = load_state(raw)
    if state is not None:
        assert WorkoutState.from_dict(json.loads(json.dumps(state.to_dict()))).to_dict() == state.to_dict()
