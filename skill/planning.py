"""Routine planning: from area, level, place and minutes to an ordered plan of steps.

How a routine is built, as a coach would (the README's exercise section explains why):

- **What**: the main exercises of the area that the place allows. One vertical pull a session
  (wide pull-ups or lat pulldowns, the other one than last time); a beginner pulls with the
  catalog's easier form (the negative pull up). The loaded hinge (deadlift) comes first, while
  fresh, and only in a session with a warm-up; then the vertical pull, then the rest in the
  blog's order. A full back session alternates lower and upper back.
- **Warm-up and cool-down**: a session of 10 minutes or more opens with warm-up moves and
  closes with a cool-down (more of each from 20 minutes). A shorter one leaves out what asks most
  of a cold body: the deadlift, and a beginner's negative pull ups.
- **How much**: never more sets of one exercise than the level's ``SESSION_SETS``, and rows keep
  at least two sets, so that their grip changes. The big lifts (hinge, pull, row) come in first
  and reach their full dose before the rest come in; a short session has fewer exercises; a
  longer one adds exercises, then sets up to the cap, never rounds of the same exercises. Rests
  are only ever shortened (to half the catalog's dose at most) to land on the minutes. When the
  most a session should hold is short of the minutes asked, the plan is that, and says so
  (``Plan.capped``).

A timed plan's length is measured by rendering what the coach would actually say
(``coach.workout_scripts``), so it lands within 10 % of the minutes it plans.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from functools import lru_cache

from skill.catalog import CATALOG, SESSION_SETS, Area, Exercise, Level, Pattern, Phase, Place, exercises_for
from skill.coach import workout_scripts
from skill.errors import StrongBackError
from skill.routine import MIN_REST, Plan, Step
from skill.workout import HistoryRecord, WorkoutState

MIN_MINUTES = 5
MAX_MINUTES = 60
WARMUP_FROM_MINUTES = 10  # shorter sessions go straight to work (and leave out the loaded hinge)
FULL_WARMUP_FROM_MINUTES = 20  # from here, every warm-up and cool-down move that suits the session
MIN_REST_FACTOR = 0.5  # rests are shortened to fit the minutes, never below half their dose
AIM = 0.04  # a plan aims within 4 % of its minutes; it is promised within 10 %
CLOSE = 0.07  # close enough to keep full rests
PROMISE = 0.10
DEFAULT_AREA = Area.LOWER_BACK
DEFAULT_LEVEL = Level.BEGINNER
DEFAULT_PLACE = Place.HOME
CAPPED_BY_VOLUME = "volume"


class PlanError(StrongBackError, ValueError):
    """A routine that cannot be planned (e.g. minutes out of range)."""


def workout_seconds(area: Area, level: Level, place: Place, minutes: int | None, steps: list[Step]) -> float:
    """Seconds of the whole workout, everything the coach says included."""
    return _workout_seconds(area, level, place, minutes, tuple(steps))


@lru_cache(maxsize=4096)
def _workout_seconds(area: Area, level: Level, place: Place, minutes: int | None, steps: tuple[Step, ...]) -> float:
    """A pure function of its inputs: "how long is left" asks it again for the same steps, request after
    request of one workout (and planning for the same candidate routines)."""
    plan = Plan(area, level, place, minutes, steps, 0)
    state = WorkoutState.start(plan, datetime(2000, 1, 1, tzinfo=UTC))
    return sum(script.duration for script in workout_scripts(state))


def previous_vertical_pull(history: Iterable[HistoryRecord]) -> str | None:
    """The vertical pull (pull up or lat pulldown) of the person's most recent workout that had one."""
    return next((record.vertical_pull for record in reversed(list(history)) if record.vertical_pull), None)


def plan_routine(
    area: Area | str = DEFAULT_AREA,
    level: Level | str = DEFAULT_LEVEL,
    place: Place | str = DEFAULT_PLACE,
    minutes: int | None = None,
    previous_pull: str | None = None,
) -> Plan:
    """The routine the coach would run. With ``minutes`` it lands within 10 % of that time, unless that
    is more than the area, level and place should hold (then ``Plan.minutes`` says what was planned).
    ``previous_pull``: the vertical pull of the person's last session (``previous_vertical_pull``);
    this one takes the other, where the place has both."""
    pull = previous_pull if previous_pull in CATALOG else None
    return _plan(Area(area), Level(level), Place(place), minutes, pull)


@lru_cache(maxsize=2048)
def _plan(area: Area, level: Level, place: Place, minutes: int | None, previous_pull: str | None) -> Plan:
    """Plans are pure functions of their inputs, so a warm process plans each one once."""
    if minutes is not None and not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise PlanError(f"workouts run from {MIN_MINUTES} to {MAX_MINUTES} minutes, not {minutes}")
    warmed = minutes is None or minutes >= WARMUP_FROM_MINUTES
    main = main_exercises(
        area, place, previous_pull, loaded_hinge=warmed, negatives=warmed or level is not Level.BEGINNER
    )
    if not main:
        raise PlanError(f"no {area.value} exercises can be done {place.value}")
    full = minutes is None or minutes >= FULL_WARMUP_FROM_MINUTES
    warmup = _bookend(Phase.WARMUP, area, level, place, main, warmed, full)
    cooldown = _bookend(Phase.COOLDOWN, area, level, place, main, warmed, full)
    rungs = _ladder(main, level)

    def measure(steps: list[Step]) -> float:
        return workout_seconds(area, level, place, minutes, [*warmup, *steps, *cooldown])

    if minutes is None:
        steps = [replace(step, sets=max(step.sets, _least_sets(step))) for step in _first_form(main, level)]
        return Plan(area, level, place, None, (*warmup, *steps, *cooldown), round(measure(steps)))
    steps, seconds = _fit(rungs, SESSION_SETS[level], minutes * 60.0, measure)
    if seconds < minutes * 60.0 * (1 - PROMISE) and steps == rungs[-1]:  # the most it should hold is shorter
        planned = max(MIN_MINUTES, round(seconds / 60))
        return Plan(
            area, level, place, planned, (*warmup, *steps, *cooldown), round(seconds), minutes, CAPPED_BY_VOLUME
        )
    return Plan(area, level, place, minutes, (*warmup, *steps, *cooldown), round(seconds), minutes)


def main_exercises(
    area: Area, place: Place, previous_pull: str | None, loaded_hinge: bool, negatives: bool = True
) -> list[Exercise]:
    """The main work in the order it is done: the hinge, then the vertical pull, then the blog's order;
    a full back session spreads the upper back moves evenly through the lower back ones. Without a
    warm-up there is no loaded hinge (``loaded_hinge``), and no exercise a beginner would do as its
    slow-lowering easier form, the negative pull up (``negatives``): both ask most of cold tissue."""
    chosen = [
        e
        for e in exercises_for(area, place)
        if (loaded_hinge or e.pattern is not Pattern.HINGE) and (negatives or not e.easier.plannable)
    ]
    pulls = [e for e in chosen if e.pattern is Pattern.VERTICAL_PULL]
    if len(pulls) > 1:  # "wide pull-ups or lat pulldowns": one of them, the other one than last time
        ids = [e.id for e in pulls]
        keep = pulls[(ids.index(previous_pull) + 1) % len(pulls)] if previous_pull in ids else pulls[0]
        chosen = [e for e in chosen if e.pattern is not Pattern.VERTICAL_PULL or e is keep]

    def first_the_big_lifts(exercise: Exercise) -> int:
        return 0 if exercise.pattern in (Pattern.HINGE, Pattern.VERTICAL_PULL) else 1

    lower = sorted((e for e in chosen if e.region is Area.LOWER_BACK), key=first_the_big_lifts)
    upper = sorted((e for e in chosen if e.region is Area.UPPER_BACK), key=first_the_big_lifts)
    if area is not Area.FULL_BACK:
        return lower or upper
    spread = [((i + 0.5) / len(group), g, e) for g, group in enumerate((lower, upper)) for i, e in enumerate(group)]
    return [exercise for _, _, exercise in sorted(spread, key=lambda item: (item[0], item[1]))]


def _bookend(
    phase: Phase, area: Area, level: Level, place: Place, main: list[Exercise], warmed: bool, full: bool
) -> list[Step]:
    """The warm-up or cool-down: every move that suits the session, or in a shorter one the first and
    the last (so the warm-up keeps the hinge drill when there is a hinge to prepare for)."""
    if not warmed:
        return []
    ids = {e.id for e in main}
    moves = [e for e in exercises_for(area, place, phase) if not e.prepares or ids.intersection(e.prepares)]
    if not full and len(moves) > 1:
        moves = [moves[0], moves[-1]] if phase is Phase.WARMUP else [moves[-1]]
    return [Step.from_exercise(e, level) for e in moves]


def _first_form(main: list[Exercise], level: Level) -> list[Step]:
    """The main exercises at the level's dose; a beginner takes the easier form where the catalog has
    one a plan can use (the negative pull up)."""
    return [Step.from_exercise(e, level, easier_form=level is Level.BEGINNER) for e in main]


def _least_sets(step: Step) -> int:
    """The fewest sets worth planning on the ladder: two (or the dose's one). Rows always keep at least
    two, so that their grips still rotate from set to set when sets are cut."""
    return 2 if step.info.grips else min(step.sets, 2)


def _ladder(main: list[Exercise], level: Level) -> list[list[Step]]:
    """The main work from least to most, one exercise or one set more at each rung. The big lifts (the
    hinge, the vertical pull, the row with its grips) come in first, at their fewest sets, so that a
    short full back session still hinges, pulls and rows; they grow to their full dose before the other
    exercises come in at their fewest sets; then all grow in turn, a set at a time, to their dose and
    then to the level's cap. Never more of one exercise than the cap, however long the session. Each
    rung keeps the order the exercises are done in (``main``)."""
    steps = _first_form(main, level)
    cap = SESSION_SETS[level]
    dose = [min(cap, step.sets) for step in steps]

    def is_big(index: int) -> bool:
        info = steps[index].info
        return info.pattern in (Pattern.HINGE, Pattern.VERTICAL_PULL) or bool(info.grips)

    big = [index for index in range(len(steps)) if is_big(index)]
    rest = [index for index in range(len(steps)) if not is_big(index)]
    sets = [0] * len(steps)
    rungs: list[list[int]] = []

    def enter(indices: list[int]) -> None:
        for index in indices:
            sets[index] = min(dose[index], _least_sets(steps[index]))
            rungs.append(list(sets))

    def grow(indices: list[int], ceilings: list[int]) -> None:
        grew = True
        while grew:
            grew = False
            for index in indices:
                if sets[index] < ceilings[index]:
                    sets[index] += 1
                    rungs.append(list(sets))
                    grew = True

    enter(big)
    grow(big, dose)
    enter(rest)
    grow(big + rest, dose)
    grow(big + rest, [cap] * len(steps))
    return [[replace(steps[i], sets=count) for i, count in enumerate(rung) if count] for rung in rungs]


Measure = Callable[[list[Step]], float]


class _Fitter:
    """Finds the main work that fills ``target`` seconds (see ``_fit``)."""

    def __init__(self, rungs: list[list[Step]], cap: int, target: float, measure: Measure) -> None:
        self.rungs, self.cap, self.target, self.measure = rungs, cap, target, measure
        self.pool = rungs[-1]  # every main exercise, with its dose
        self._seconds: dict[tuple[int, ...], float] = {}

    def counts(self, steps: list[Step]) -> tuple[int, ...]:
        sets = {step.exercise: step.sets for step in steps}
        return tuple(sets.get(step.exercise, 0) for step in self.pool)

    def steps(self, counts: tuple[int, ...]) -> list[Step]:
        return [replace(step, sets=count) for step, count in zip(self.pool, counts, strict=True) if count]

    def length(self, counts: tuple[int, ...]) -> float:
        if counts not in self._seconds:
            self._seconds[counts] = self.measure(self.steps(counts))
        return self._seconds[counts]

    def error(self, seconds: float) -> float:
        return abs(seconds - self.target) / self.target

    def land(self, counts: tuple[int, ...]) -> tuple[list[Step], float]:
        """These sets with full rests when that is close enough, else with rests shortened just enough."""
        if self.length(counts) <= self.target * (1 + CLOSE):
            return self.steps(counts), self.length(counts)
        return _shorten_rests(self.steps(counts), self.target * (1 + AIM), self.measure)

    def fit(self) -> tuple[list[Step], float]:
        ladder = [self.counts(rung) for rung in self.rungs]
        top = ladder[-1]
        if self.length(top) < self.target * (1 - AIM):
            return self.steps(top), self.length(top)
        low, high = 0, len(ladder) - 1  # the first rung that reaches the target, at full rests
        while low < high:
            middle = (low + high) // 2
            if self.length(ladder[middle]) >= self.target * (1 - AIM):
                high = middle
            else:
                low = middle + 1
        if self.length(ladder[low]) <= self.target * (1 + CLOSE):
            return self.land(ladder[low])
        if low > 0 and self.length(ladder[low - 1]) >= self.target * (1 - CLOSE):
            return self.land(ladder[low - 1])
        options = [self.land(ladder[low])] + ([self.land(ladder[low - 1])] if low > 0 else [])
        best = min(options, key=lambda option: self.error(option[1]))
        if self.error(best[1]) <= CLOSE:
            return best
        return self.nudge(self.counts(best[0]))

    def nudge(self, counts: tuple[int, ...]) -> tuple[list[Step], float]:
        """When no rung lands close enough (a short session of long sets): the plan one or two set changes
        away (a set more or less, an exercise in or out, a set moved between two) that lands closest."""

        def reach(seconds_full: float, seconds_short: float) -> float:
            if seconds_short <= self.target * (1 + AIM) and seconds_full >= self.target * (1 - AIM):
                return 0.0
            return min(self.error(seconds_full), self.error(seconds_short))

        def shortest(option: tuple[int, ...]) -> float:
            steps = self.steps(option)
            return self.measure([replace(s, rest_seconds=_rest(s.rest_seconds, MIN_REST_FACTOR)) for s in steps])

        scores = {counts: reach(self.length(counts), shortest(counts))}
        frontier = [counts]
        for _ in range(2):  # two moves deep, from the three closest plans of the first
            for start in frontier:
                for option in self._neighbours(start):
                    if option not in scores:
                        scores[option] = reach(self.length(option), shortest(option))
            # Closest first; of plans that land alike, the one with fewer exercises done for a single set.
            frontier = sorted(scores, key=lambda option: (scores[option], option.count(1)))[:3]
            if scores[frontier[0]] == 0.0:
                break
        return self.land(frontier[0])

    def _neighbours(self, counts: tuple[int, ...]) -> list[tuple[int, ...]]:
        used = [i for i, count in enumerate(counts) if count]
        unused = [i for i, count in enumerate(counts) if not count][:2]  # the next exercises in order
        indices = used + unused

        def moved(values: list[int], index: int, up: bool) -> bool:
            least = 2 if self.pool[index].info.grips else 1
            value = values[index]
            if up:
                values[index] = least if value == 0 else value + 1
                return values[index] <= self.cap
            values[index] = 0 if value <= least else value - 1
            return value > 0

        options = []
        for i in indices:
            for up in (True, False):
                values = list(counts)
                if moved(values, i, up):
                    options.append(tuple(values))
            for j in indices:
                values = list(counts)
                if i != j and moved(values, i, False) and moved(values, j, True):
                    options.append(tuple(values))
        return [option for option in dict.fromkeys(options) if any(option)]


def _fit(rungs: list[list[Step]], cap: int, target: float, measure: Measure) -> tuple[list[Step], float]:
    """The main work that fills ``target`` seconds: the rung of the ladder that reaches it, with full rests
    when that lands close enough, else with rests shortened just enough; when no rung lands close (long
    sets in a short session), the nearest plan a set change or two away. When even the top rung is shorter,
    the top rung. Returns the main steps and the whole plan's measured seconds."""
    return _Fitter(rungs, cap, target, measure).fit()


def _rest(seconds: int, factor: float) -> int:
    """A rest scaled down by ``factor``, in steps of five seconds: never longer than it was, nor shorter than
    ``MIN_REST_FACTOR`` of it (rounded up) or ``MIN_REST``."""
    floor = 5 * math.ceil(seconds * MIN_REST_FACTOR / 5)
    return max(MIN_REST, min(seconds, max(floor, 5 * round(seconds * factor / 5))))


def _shorten_rests(steps: list[Step], target: float, measure: Measure) -> tuple[list[Step], float]:
    """The main work with every rest scaled by one factor, from its dose down to ``MIN_REST_FACTOR`` of it:
    the longest rests that bring the plan down to the target (the shortest allowed, if none do)."""

    def scaled(factor: float) -> list[Step]:
        return [replace(s, rest_seconds=_rest(s.rest_seconds, factor)) for s in steps]

    fits, fits_seconds = scaled(MIN_REST_FACTOR), measure(scaled(MIN_REST_FACTOR))
    if fits_seconds > target:
        return fits, fits_seconds
    low, high = MIN_REST_FACTOR, 1.0  # scaled(low) fits, scaled(high) is too long
    for _ in range(5):
        middle = (low + high) / 2
        candidate = scaled(middle)
        seconds = measure(candidate)
        if seconds <= target:
            low, fits, fits_seconds = middle, candidate, seconds
        else:
            high = middle
    return fits, fits_seconds
