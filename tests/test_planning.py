"""Routine planning: any request gives a valid plan, inside its time box and its equipment."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skill.catalog import CATALOG, Area, Level, Place
from skill.planning import PlanError, plan_routine

areas = st.sampled_from(list(Area))
levels = st.sampled_from(list(Level))
places = st.sampled_from(list(Place))


@given(areas, levels, places, st.integers(min_value=5, max_value=60))
@settings(max_examples=60, deadline=None)
def test_timed_plans_land_within_ten_percent(area: Area, level: Level, place: Place, minutes: int) -> None:
    plan = plan_routine(area, level, place, minutes)
    assert abs(plan.total_seconds - minutes * 60) <= minutes * 6, plan.to_dict()


@given(areas, levels, places, st.one_of(st.none(), st.integers(min_value=5, max_value=60)))
@settings(max_examples=60, deadline=None)
def test_plans_use_only_what_the_place_has(area: Area, level: Level, place: Place, minutes: int | None) -> None:
    plan = plan_routine(area, level, place, minutes)
    assert plan.steps
    for step in plan.steps:
        exercise = CATALOG[step.exercise]
        assert place in exercise.places
        if area is not Area.FULL_BACK:
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
        for step in plan_routine(area, Level.INTERMEDIATE, place).steps
    }
    assert reachable == set(CATALOG)


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
    assert {"area", "level", "place", "total_seconds", "steps"} <= set(plan)
    assert (plan["area"], plan["level"], plan["place"]) == ("upper_back", "advanced", "gym")
    assert abs(plan["total_seconds"] - 1200) <= 120
    for step in plan["steps"]:
        assert set(step) >= {"exercise", "sets", "sides", "hold_seconds", "reps", "tempo", "rest_seconds"}
        assert step["exercise"] in CATALOG


def test_plan_command_reads_as_a_table_and_refuses_bad_minutes() -> None:
    table = _cli("plan", "--area", "lower_back")
    assert table.returncode == 0 and "plank" in table.stdout
    bad = _cli("plan", "--minutes", "500")
    assert bad.returncode != 0
    assert "Traceback" not in bad.stderr and "60" in bad.stderr
