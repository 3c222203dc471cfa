"""Routine planning: any request gives a valid plan, inside its time box and its equipment, and a
program a strength coach would sign off (volume, order, warm-up and cool-down, rests, grips)."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skill.catalog import CATALOG, SESSION_SETS, Area, Level, Pattern, Place, exercises_for
from skill.planning import PlanError, plan_routine
from skill.routine import Plan

areas = st.sampled_from(list(Area))
levels = st.sampled_from(list(Level))
places = st.sampled_from(list(Place))


@given(areas, levels, places, st.integers(min_value=5, max_value=60))
@settings(max_examples=60, deadline=None)
def test_timed_plans_land_within_ten_percent(area: Area, level: Level, place: Place, minutes: int) -> None:
    plan = plan_routine(area, level, place, minutes)
    planned = minutes if plan.capped is None else plan.minutes
    assert planned is not None and planned <= minutes
    assert abs(plan.total_seconds - planned * 60) <= planned * 6, plan.to_dict()


@given(areas, levels, places, st.one_of(st.none(), st.integers(min_value=5, max_value=60)))
@settings(max_examples=60, deadline=None)
def test_plans_use_only_what_the_place_has(area: Area, level: Level, place: Place, minutes: int | None) -> None:
    plan = plan_routine(area, level, place, minutes)
    assert plan.steps
    for step in plan.steps:
        exercise = CATALOG[step.exercise]
        assert place in exercise.places
        if area is not Area.FULL_BACK and step.phase == "main":
            assert exercise.region is area
        assert (step.hold_seconds is None) != (step.reps is None)
        assert step.sides == exercise.sides
    # The coach's time can never be shorter than the timed work and rests it runs.
    work = sum(s.sets * s.sides * s.work_seconds + (s.sets - 1) * s.rest_seconds for s in plan.steps)
    assert plan.total_seconds >= work


def test_home_plans_never_need_a_gym_machine() -> None:
    for area in Area:
        for level in Level:
            names = {step.exercise for step in plan_routine(area, level, Place.HOME).steps}
            assert not names & {"lat_pulldown", "seated_row"}


def test_every_exercise_is_reachable_from_some_plan() -> None:
    reachable = {
        step.exercise
        for area in Area
        for place in Place
        for previous in (None, "pull_up")
        for step in plan_routine(area, Level.INTERMEDIATE, place, None, previous).steps
    }
    assert reachable == set(CATALOG)


MINUTES = (5, 10, 20, 30, 45, 60)
ALL = list(itertools.product(Area, Level, Place, MINUTES))


def _positions(plan: Plan, exercise: str) -> list[int]:
    return [i for i, step in enumerate(plan.steps) if step.exercise == exercise]


@pytest.mark.parametrize(("area", "level", "place", "minutes"), ALL)
def test_every_plan_is_one_a_coach_would_sign_off(area: Area, level: Level, place: Place, minutes: int) -> None:
    plan = plan_routine(area, level, place, minutes)
    steps = plan.steps
    ids = [step.exercise for step in steps]
    # Volume: never more sets of one exercise than the level's cap, across all its steps.
    sets = Counter[str]()
    for step in steps:
        sets[step.exercise] += step.sets
    assert max(sets.values()) <= SESSION_SETS[level], sets
    # Phases: warm-up first and cool-down last from ten minutes on; every step in its catalog phase.
    phases = [step.phase for step in steps]
    assert all(step.phase == CATALOG[step.exercise].phase.value for step in steps)
    assert phases == sorted(phases, key=["warmup", "main", "cooldown"].index)
    if minutes >= 10:
        assert phases[0] == "warmup" and phases[-1] == "cooldown"
    else:
        assert set(phases) == {"main"}
    # Order: the loaded hinge early (never cold), before supermans and reverse planks.
    for hinge in _positions(plan, "deadlift"):
        assert minutes >= 10 and phases[hinge - 1] == "warmup"
        assert all(hinge < later for name in ("superman", "reverse_plank") for later in _positions(plan, name))
    pulls = {i for i in ids if CATALOG[i].pattern is Pattern.VERTICAL_PULL}
    assert len(pulls) <= 1, pulls
    # Rests: shortened to fit at most (to no less than half), never longer than the catalog's dose.
    for step in steps:
        dose = CATALOG[step.exercise].dose(level).rest_seconds
        assert min(dose, max(10, dose // 2)) <= step.rest_seconds <= dose, step
    # Rows keep their rotating grips: never cut to a single set.
    for step in steps:
        if CATALOG[step.exercise].grips:
            assert step.sets >= 2, step
    # Equipment: only what the place has; nothing at all for bodyweight.
    for step in steps:
        exercise = CATALOG[step.exercise]
        assert place in exercise.places
        if place is Place.BODYWEIGHT:
            assert exercise.equipment[place] == ""
    # A beginner does the pull up as its easier form, the negative, and never cold (it asks most of the
    # elbows and shoulders on the way down): only in a session with a warm-up.
    for step in steps:
        if step.exercise == "pull_up":
            assert (step.variation == CATALOG["pull_up"].easier.name) == (level is Level.BEGINNER)
        if step.variation is not None:
            assert minutes >= 10, step
    # Time: within 10 % of the minutes asked; or, when that is more than the session should hold,
    # all of it: every main exercise that suits, at the cap, and the minutes planned said in the plan.
    assert plan.minutes_asked == minutes
    if plan.capped is None:
        assert plan.minutes == minutes
        assert abs(plan.total_seconds - minutes * 60) <= minutes * 6, plan.to_dict()
    else:
        assert plan.minutes is not None and plan.minutes < minutes
        assert plan.total_seconds < minutes * 60 * 0.9
        assert abs(plan.total_seconds - plan.minutes * 60) <= 30
        suits = {e.id for e in exercises_for(area, place)} - {p for p in {"pull_up", "lat_pulldown"} if p not in ids}
        main = [step for step in steps if step.phase == "main"]
        assert {step.exercise for step in main} == suits
        assert all(step.sets == SESSION_SETS[level] for step in main)


@pytest.mark.parametrize(("level", "place"), list(itertools.product(Level, Place)))
def test_a_full_back_session_of_twenty_minutes_hinges_pulls_and_rows(level: Level, place: Place) -> None:
    """A balanced back session covers the movement patterns before the accessories: from 20 minutes, a
    full back session has the loaded hinge, a vertical pull and a row wherever the place has them."""
    available = exercises_for(Area.FULL_BACK, place)
    wanted = {
        "hinge": any(e.pattern is Pattern.HINGE for e in available),
        "vertical pull": any(e.pattern is Pattern.VERTICAL_PULL for e in available),
        "row": any(e.grips for e in available),
    }
    for minutes in (20, 30, 45, 60):
        plan = plan_routine(Area.FULL_BACK, level, place, minutes)
        main = [CATALOG[s.exercise] for s in plan.steps if s.phase == "main"]
        had = {
            "hinge": any(e.pattern is Pattern.HINGE for e in main),
            "vertical pull": any(e.pattern is Pattern.VERTICAL_PULL for e in main),
            "row": any(e.grips for e in main),
        }
        assert had == wanted, (minutes, [e.id for e in main])


@pytest.mark.parametrize("area", [Area.UPPER_BACK, Area.FULL_BACK])
@pytest.mark.parametrize("minutes", [None, 20, 45])
def test_pull_ups_and_lat_pulldowns_alternate_between_sessions(area: Area, minutes: int | None) -> None:
    def pull(previous: str | None) -> str:
        (chosen,) = {s.exercise for s in plan_routine(area, Level.INTERMEDIATE, Place.GYM, minutes, previous).steps} & {
            "pull_up",
            "lat_pulldown",
        }
        return chosen

    assert pull("pull_up") == "lat_pulldown"
    assert pull("lat_pulldown") == "pull_up"
    assert pull(None) in ("pull_up", "lat_pulldown")
    # Where there is only one, it is always that one.
    home = {s.exercise for s in plan_routine(area, Level.INTERMEDIATE, Place.HOME, minutes, "pull_up").steps}
    assert "pull_up" in home


def test_longer_sessions_add_sets_not_rounds() -> None:
    for area, level, place in itertools.product(Area, Level, Place):
        plans = [plan_routine(area, level, place, minutes) for minutes in MINUTES]
        for plan in plans:
            main = [s.exercise for s in plan.steps if s.phase == "main"]
            assert len(main) == len(set(main)), main  # each exercise once: no second round
        # From 20 minutes on the warm-up and cool-down stay the same: more time is more sets, never fewer.
        work = [sum(s.sets for s in plan.steps if s.phase == "main") for plan in plans[2:]]
        assert work == sorted(work), (area, level, place, work)


def test_untimed_plans_warm_up_and_cool_down_at_the_catalog_dose() -> None:
    plan = plan_routine(Area.FULL_BACK, Level.INTERMEDIATE, Place.GYM)
    assert plan.minutes is None and plan.capped is None
    assert plan.steps[0].phase == "warmup" and plan.steps[-1].phase == "cooldown"
    for step in plan.steps:
        assert step.rest_seconds == CATALOG[step.exercise].dose(Level.INTERMEDIATE).rest_seconds


def test_the_hip_hinge_drill_warms_up_only_for_a_hinge() -> None:
    lower = plan_routine(Area.LOWER_BACK, Level.BEGINNER, Place.HOME, 20)
    assert lower.steps[_positions(lower, "hip_hinge")[0] + 1].exercise == "deadlift"
    bodyweight = plan_routine(Area.LOWER_BACK, Level.BEGINNER, Place.BODYWEIGHT, 20)
    assert not _positions(bodyweight, "hip_hinge")
    assert [s.phase for s in bodyweight.steps].count("warmup") >= 2


def test_levels_get_harder() -> None:
    def work(level: Level) -> float:
        return sum(s.sets * s.sides * s.work_seconds for s in plan_routine(Area.FULL_BACK, level, Place.GYM).steps)

    assert work(Level.BEGINNER) < work(Level.INTERMEDIATE) < work(Level.ADVANCED)


@pytest.mark.parametrize("minutes", [0, 4, 61, 600, -5])
def test_minutes_out_of_range_are_refused(minutes: int) -> None:
    with pytest.raises(PlanError):
        plan_routine(minutes=minutes)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "local_runner", *args], capture_output=True, text=True, timeout=60)


def test_plan_command_prints_the_contract_json() -> None:
    result = _cli("plan", "--area", "upper_back", "--level", "advanced", "--place", "gym", "--minutes", "20", "--json")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert {"area", "level", "place", "total_seconds", "steps", "minutes", "minutes_asked"} <= set(plan)
    assert (plan["area"], plan["level"], plan["place"]) == ("upper_back", "advanced", "gym")
    assert abs(plan["total_seconds"] - 1200) <= 120
    for step in plan["steps"]:
        assert set(step) >= {
            "exercise", "sets", "sides", "hold_seconds", "reps", "tempo", "rest_seconds", "phase", "variation"
        }  # fmt: skip
        assert step["exercise"] in CATALOG
        assert step["phase"] in ("warmup", "main", "cooldown")
    assert [s["phase"] for s in plan["steps"]][:: len(plan["steps"]) - 1] == ["warmup", "cooldown"]


def test_plan_command_says_what_a_capped_plan_and_a_variation_are() -> None:
    capped = json.loads(_cli("plan", "--area", "upper_back", "--minutes", "60", "--json").stdout)
    assert capped["minutes_asked"] == 60 and capped["minutes"] < 60 and capped["capped"] == "volume"
    assert "negative pull up" in {s["variation"] for s in capped["steps"]}
    table = _cli("plan", "--area", "upper_back", "--minutes", "60")
    assert table.returncode == 0
    assert "60 minutes asked" in table.stdout and "negative pull up" in table.stdout and "warmup" in table.stdout


def test_plan_command_reads_as_a_table_and_refuses_bad_minutes() -> None:
    table = _cli("plan", "--area", "lower_back")
    assert table.returncode == 0 and "plank" in table.stdout
    bad = _cli("plan", "--minutes", "500")
    assert bad.returncode != 0
    assert "Traceback" not in bad.stderr and "60" in bad.stderr
