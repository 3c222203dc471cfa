"""Every reply of every routine: well-formed SSML within Alexa's limits, holds that add up."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from skill.catalog import Area, Level, Place
from skill.coach import Coach, workout_scripts
from skill.planning import plan_routine
from skill.playback import Playback
from skill.speech import ssml_problems, timeline_from_ssml
from skill.workout import WorkoutState

START = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
ROUTINES = [
    (area, level, place, minutes)
    for area, level, place in itertools.product(Area, Level, Place)
    for minutes in (None, 5, 20, 60)
]


def _state(area: Area, level: Level, place: Place, minutes: int | None) -> WorkoutState:
    return WorkoutState.start(plan_routine(area, level, place, minutes), START)


@pytest.mark.parametrize(("area", "level", "place", "minutes"), ROUTINES)
def test_every_reply_is_valid_ssml_within_limits(area: Area, level: Level, place: Place, minutes: int | None) -> None:
    state = _state(area, level, place, minutes)
    for script in workout_scripts(state, first_time=True):
        ssml = script.to_ssml()
        assert ssml_problems(ssml) == [], ssml_problems(ssml)


@pytest.mark.parametrize(("area", "level", "place", "minutes"), ROUTINES[::5])
def test_holds_take_exactly_their_planned_time(area: Area, level: Level, place: Place, minutes: int | None) -> None:
    """Measured from the SSML alone: from the word that starts a hold to the word after it."""
    state = _state(area, level, place, minutes)
    checked = 0
    for script in workout_scripts(state):
        timeline = timeline_from_ssml(script.to_ssml())
        for window in script.windows:
            if window.kind != "work":
                continue
            assert any(abs(s.at - window.start) < 0.02 for s in timeline.segments), "work starts with a word"
            after = [s for s in timeline.segments if s.at >= window.end - 0.01]
            next_word = after[0].at if after else timeline.duration
            assert next_word == pytest.approx(window.end, abs=0.02)
            checked += 1
    assert checked > 0


def test_hold_is_counted_down_with_marks_a_cue_and_five_to_one() -> None:
    state = WorkoutState.start(plan_routine(Area.LOWER_BACK, Level.INTERMEDIATE, Place.HOME), START)
    plank = next(i for i, s in enumerate(state.steps) if s.exercise == "plank")
    state.pos = state.pos.__class__(plank)
    script, _ = Coach().block(state)
    hold = next(w for w in script.windows if w.kind == "work")
    said = [c for c in script.cues if hold.start <= c.at < hold.end]
    keys = [c.key for c in said]
    assert keys[0] == "hold.go"
    assert "hold.cue" in keys
    countdown = [c.text.rstrip(".").lower() for c in said if c.key == "count.number"]
    assert countdown[-5:] == ["five", "four", "three", "two", "one"]
    gaps = [b.at - a.at for a, b in itertools.pairwise(said)]
    assert max(gaps) <= 10.0


def test_side_plank_switches_sides() -> None:
    state = WorkoutState.start(plan_routine(Area.LOWER_BACK, Level.BEGINNER, Place.HOME), START)
    side = next(i for i, s in enumerate(state.steps) if s.exercise == "side_plank")
    state.pos = state.pos.__class__(side)
    script, _ = Coach().block(state)
    assert "side.switch" in script.said_keys()
    sides = {w.side for w in script.windows if w.kind == "work" and w.step == side}
    assert sides == {0, 1}


def test_rows_rotate_grips_across_sets() -> None:
    state = WorkoutState.start(plan_routine(Area.UPPER_BACK, Level.ADVANCED, Place.GYM), START)
    row = next(i for i, s in enumerate(state.steps) if s.exercise == "bent_over_row")
    state.pos = state.pos.__class__(row)
    said = []
    while state.pos.step == row:
        script, state.pos = Coach().block(state)
        said.append(script.text().lower())
    text = " ".join(said)
    assert text.index("overhand") < text.index("underhand") < text.index("neutral")


def test_first_timers_hear_the_safety_note_and_returning_users_do_not() -> None:
    state = _state(Area.LOWER_BACK, Level.BEGINNER, Place.HOME, 10)
    first = workout_scripts(state, first_time=True)[0]
    again = workout_scripts(state, first_time=False)[0]
    assert "workout.safety" in first.said_keys()
    assert "workout.safety" not in again.said_keys()


@pytest.mark.parametrize(("area", "place"), [(a, p) for a in Area for p in Place])
def test_first_hold_begins_soon_after_start(area: Area, place: Place) -> None:
    state = _state(area, Level.BEGINNER, place, 15)
    script = workout_scripts(state, first_time=False)[0]
    first_work = min(w.start for w in script.windows if w.kind == "work")
    # The opening says the workout, the equipment it needs and that a warm-up comes first; then the
    # first warm-up move's set-up, one cue and the dose, then three, two, one. Under 40 s, even when
    # the equipment line names three things (a beginner's negative pull up adds a box).
    assert first_work <= 38.0


def test_deadlift_carries_its_safety_note() -> None:
    state = _state(Area.LOWER_BACK, Level.BEGINNER, Place.GYM, None)
    text = " ".join(s.text() for s in workout_scripts(state)).lower()
    assert "start light" in text


@pytest.mark.parametrize(("area", "level", "place", "minutes"), ROUTINES[::3])
def test_every_exercise_is_set_up_before_its_first_set(
    area: Area, level: Level, place: Place, minutes: int | None
) -> None:
    """In the reply that starts an exercise, its set-up instruction comes before the first hold or rep."""
    state = _state(area, level, place, minutes)
    introduced = set()
    for script in workout_scripts(state):
        for window in script.windows:
            if window.kind != "work" or window.set or window.side or window.step in introduced:
                continue
            setup = state.steps[window.step].info.setup
            before = " ".join(c.text for c in script.cues if c.at < window.start)
            assert setup in before, f"{state.steps[window.step].exercise} starts without its set-up"
            introduced.add(window.step)
    assert introduced == set(range(len(state.steps)))


def test_reps_are_paced_at_the_tempo_and_the_last_one_is_called() -> None:
    state = _state(Area.LOWER_BACK, Level.INTERMEDIATE, Place.HOME, None)
    index = next(i for i, s in enumerate(state.steps) if s.exercise == "glute_bridge")
    step = state.steps[index]
    lift, hold, lower = (float(x) for x in (step.tempo or "").split("-"))
    state.pos = state.pos.__class__(index)
    script, _ = Coach().block(state)
    work = next(w for w in script.windows if w.kind == "work")
    rep = lift + hold + lower
    heard = [c for c in script.cues if work.start - 0.01 <= c.at <= work.end + 0.01]
    # the first lift cue starts the set on the beat, with the breathing in it
    assert heard[0].at == pytest.approx(work.start, abs=0.01) and "breathe" in heard[0].text.lower()
    said = [
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
    ]
    numbers = {f"{word.capitalize()}.": n for n, word in enumerate(said, 1)}
    counts = [c for c in heard if c.text in numbers]
    # every rep is counted as it is completed, on the beat that starts the next one
    assert [numbers[c.text] for c in counts] == list(range(1, step.reps + 1))
    assert [c.at - work.start for c in counts] == pytest.approx([n * rep for n in range(1, len(counts) + 1)], abs=0.01)
    last = next(c for c in heard if "last one" in c.text.lower())
    assert counts[step.reps - 2].at < last.at < work.start + (step.reps - 1) * rep + lift


def beat_phases(start: float, lift: float, hold: float, lower: float) -> dict[str, tuple[float, float]]:
    """Where each kind of rep cue may start, for a rep that starts at ``start``."""
    return {
        "beat.before": (start - 0.01, start + 1.0),
        "beat.lift": (start - 0.01, start + lift),
        "beat.top": (start + lift - 0.01, start + lift + hold),
        "beat.lower": (start + lift + hold - 0.01, start + lift + hold + lower),
    }


@pytest.mark.parametrize(("area", "level", "place", "minutes"), ROUTINES[::2])
def test_every_rep_cue_is_said_in_the_phase_it_describes(
    area: Area, level: Level, place: Place, minutes: int | None
) -> None:
    """Lift cues while lifting, top cues at the top, lowering cues on the way down, brace before a rep;
    between two counts nothing else. Read from what is said, against the tempo and the catalog."""
    state = _state(area, level, place, minutes)
    checked = 0
    for script in workout_scripts(state):
        for work in (w for w in script.windows if w.kind == "work"):
            step = state.steps[work.step]
            if step.is_hold:
                continue
            lift, hold, lower = (float(x) for x in (step.tempo or "").split("-"))
            rep = lift + hold + lower
            beats = step.info.beats
            for cue in (c for c in script.cues if work.start - 0.01 <= c.at < work.end - 0.01):
                if not cue.key.startswith("beat."):
                    assert cue.key in ("count.number", "rep.last"), f"{cue.text!r} said mid-set"
                    continue
                number = int((cue.at - work.start + 0.02) // rep)
                low, high = beat_phases(work.start + number * rep, lift, hold, lower)[cue.key]
                assert low <= cue.at < high, f"{cue.text!r} at {cue.at - work.start:.2f} s is out of its phase"
                phase = cue.key.removeprefix("beat.")
                assert cue.text in {c for key, cues in beats.items() if key.value == phase for c in cues}
                checked += 1
    assert checked > 0


def test_long_rests_are_counted_down() -> None:
    state = _state(Area.UPPER_BACK, Level.BEGINNER, Place.GYM, None)
    seen = 0
    for script in workout_scripts(state):
        timeline = timeline_from_ssml(script.to_ssml())
        for rest in (w for w in script.windows if w.kind == "rest" and w.seconds >= 25):
            inside = [s for s in timeline.segments if rest.start <= s.at < rest.end]
            said = {round(rest.end - s.at, 1): s.text.lower() for s in inside}
            assert "ten seconds" in said.get(10.0, ""), said
            seen += 1
    assert seen


@pytest.mark.parametrize(("area", "level", "place", "minutes"), ROUTINES[::4])
def test_a_recording_asks_nobody_to_say_next_and_keeps_the_plan_time(
    area: Area, level: Level, place: Place, minutes: int | None
) -> None:
    plan = plan_routine(area, level, place, minutes)
    scripts = workout_scripts(WorkoutState.start(plan, START), playback=Playback.RECORDING)
    heard = " ".join(script.text() for script in scripts).lower()
    assert "say next" not in heard and "when you're ready" not in heard
    assert sum(script.duration for script in scripts) == pytest.approx(plan.total_seconds, rel=0.01)


def test_a_negative_pull_up_is_coached_as_a_negative() -> None:
    """A beginner lowers from the top of the bar; nothing said from its set-up to its last rest tells
    them to pull, and each set is cued to go down slowly."""
    import re

    state = _state(Area.UPPER_BACK, Level.BEGINNER, Place.HOME, 20)
    (index,) = [i for i, step in enumerate(state.steps) if step.exercise == "pull_up"]
    assert state.steps[index].variation == "negative pull up"
    said: list[str] = []
    for script in workout_scripts(state):
        windows = [w for w in script.windows if w.step == index and w.kind in ("work", "rest")]
        if not windows:
            continue
        sets = [w for w in windows if w.kind == "work"]
        for work in sets:
            during = " ".join(c.text for c in script.cues if work.start - 0.01 <= c.at < work.end)
            assert "slowly" in during.lower(), during  # the point of a negative: a slow way down
        # from its preview to its last set (not the rest after it, which previews the next exercise)
        said += [c.text for c in script.cues if windows[0].start - 30 <= c.at < sets[-1].end]
    text = " ".join(said)
    assert "box" in text  # its set-up: something to step up from
    opening = workout_scripts(state)[0].text()
    assert "box" in opening[: opening.index("Exercise one")]  # and it is named with the equipment, before starting
    assert not re.search(r"\bpull\b(?! up)", text, re.IGNORECASE), text
    assert "elbows" not in text.lower(), text
