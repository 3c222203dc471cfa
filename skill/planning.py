"""Routine planning: from area, level, place and minutes to an ordered plan of steps.

A timed plan is fitted to the minutes asked by changing rounds, sets and rests, and its
length is measured by rendering what the coach would actually say (``coach.workout_scripts``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from functools import lru_cache

from skill.catalog import Area, Level, Place, exercises_for
from skill.coach import workout_scripts
from skill.errors import StrongBackError
from skill.routine import MAX_REST, MIN_REST, Plan, Step, adjust_step
from skill.workout import WorkoutState

MIN_MINUTES = 5
MAX_MINUTES = 60
MAX_SETS = 5
MAX_ROUNDS = 4
DEFAULT_AREA = Area.LOWER_BACK
DEFAULT_LEVEL = Level.BEGINNER
DEFAULT_PLACE = Place.HOME


class PlanError(StrongBackError, ValueError):
    """A routine that cannot be planned (e.g. minutes out of range)."""


def workout_seconds(area: Area, level: Level, place: Place, minutes: int | None, steps: list[Step]) -> float:
    """Seconds of the whole workout, everything the coach says included."""
    plan = Plan(area, level, place, minutes, tuple(steps), 0)
    state = WorkoutState.start(plan, datetime(2000, 1, 1, tzinfo=UTC))
    return sum(script.duration for script in workout_scripts(state))


def plan_routine(
    area: Area | str = DEFAULT_AREA,
    level: Level | str = DEFAULT_LEVEL,
    place: Place | str = DEFAULT_PLACE,
    minutes: int | None = None,
) -> Plan:
    """The routine the coach would run; with ``minutes`` it lands within 10 % of that time."""
    return _plan(Area(area), Level(level), Place(place), minutes)


@lru_cache(maxsize=2048)
def _plan(area: Area, level: Level, place: Place, minutes: int | None) -> Plan:
    """Plans are pure functions of their inputs, so a warm process plans each one once."""
    if minutes is not None and not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise PlanError(f"workouts run from {MIN_MINUTES} to {MAX_MINUTES} minutes, not {minutes}")
    exercises = exercises_for(area, place)
    if not exercises:
        raise PlanError(f"no {area.value} exercises can be done {place.value}")
    base = [Step.from_exercise(exercise, level) for exercise in exercises]

    def total(steps: list[Step]) -> float:
        return workout_seconds(area, level, place, minutes, steps)

    steps = list(base)
    if minutes is not None:
        steps = _fit(base, minutes * 60.0, total)
    return Plan(area, level, place, minutes, tuple(steps), round(total(steps)))


Measure = Callable[[list[Step]], float]


def _fit(base: list[Step], target: float, measure: Measure) -> list[Step]:
    steps = list(base)
    rounds = 1
    while rounds < MAX_ROUNDS and measure(steps) < target * 0.7:
        rounds += 1
        steps = base * rounds
    # Too long: take sets away (from the step with most), then whole exercises from the end.
    while measure(steps) > target * 1.04 and (len(steps) > 1 or steps[0].sets > 1):
        widest = max(range(len(steps)), key=lambda i: (steps[i].sets, i))
        if steps[widest].sets > 1:
            steps[widest] = replace(steps[widest], sets=steps[widest].sets - 1)
        else:
            steps.pop()
    # Too short: add sets (to the step with fewest), then lengthen the work, never overshooting;
    # the rests take up what is left.
    while measure(steps) < target * 0.96:
        narrowest = min(range(len(steps)), key=lambda i: (steps[i].sets, i))
        if steps[narrowest].sets < MAX_SETS:
            candidate = list(steps)
            candidate[narrowest] = replace(steps[narrowest], sets=steps[narrowest].sets + 1)
        else:
            candidate = [adjust_step(s, "harder") for s in steps]
        if candidate == steps or measure(candidate) > target * 1.03:
            break
        steps = candidate
    steps = _tune_rests(steps, target, measure)
    for _ in range(2):
        if abs(measure(steps) - target) <= target * 0.04:
            break
        steps = _tune_rests(_best_single_change(steps, target, measure), target, measure)
    return steps


def _best_single_change(steps: list[Step], target: float, measure: Measure) -> list[Step]:
    """The one change to one step (a set more or less, harder or easier) closest to the target."""
    options = [steps]
    for index, step in enumerate(steps):
        changes = [adjust_step(step, "harder"), adjust_step(step, "easier")]
        if step.sets < MAX_SETS:
            changes.append(replace(step, sets=step.sets + 1))
        if step.sets > 1:
            changes.append(replace(step, sets=step.sets - 1))
        options.extend([*steps[:index], change, *steps[index + 1 :]] for change in changes)
    return min(options, key=lambda option: abs(measure(option) - target))


def _tune_rests(steps: list[Step], target: float, measure: Measure) -> list[Step]:
    """Scale every rest so the plan lands as close to the target as rests allow."""

    def scaled(factor: float) -> list[Step]:
        return [
            replace(s, rest_seconds=max(MIN_REST, min(MAX_REST, round(s.rest_seconds * factor / 5) * 5))) for s in steps
        ]

    low, high = 0.3, 3.0
    best = steps
    best_error = abs(measure(steps) - target)
    for _ in range(12):
        mid = (low + high) / 2
        candidate = scaled(mid)
        seconds = measure(candidate)
        if abs(seconds - target) < best_error:
            best, best_error = candidate, abs(seconds - target)
        if seconds < target:
            low = mid
        else:
            high = mid
    return best
