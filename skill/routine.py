"""A planned routine: ordered steps of exercises with their dose, and its planned length."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from functools import cache
from typing import Any

from skill.catalog import CATALOG, Area, Exercise, Level, Mode, Phase, Place, Tempo

MIN_REST, MAX_REST = 10, 120  # seconds of rest after a set, whatever the plan or the adjustments


PHASES = frozenset(phase.value for phase in Phase)


@cache
def _in_form(exercise: str, variation: str | None) -> Exercise:
    return CATALOG[exercise].in_form(variation)


@dataclass(frozen=True)
class Step:
    """One exercise of a routine: sets of holds (seconds) or reps at a tempo, then rest; in which phase
    of the session (warm-up, main work, cool-down), and in which of its catalog forms (``variation``,
    the name of its easier or harder form, when the step uses one)."""

    exercise: str
    sets: int
    sides: int
    hold_seconds: int | None
    reps: int | None
    tempo: str | None
    rest_seconds: int
    phase: str = Phase.MAIN.value
    variation: str | None = None

    def __post_init__(self) -> None:
        if self.exercise not in CATALOG:
            raise ValueError(f"unknown exercise {self.exercise!r}")
        if self.phase not in PHASES:
            raise ValueError(f"bad phase for {self.exercise}: {self.phase!r}")
        info = CATALOG[self.exercise]
        if self.variation is not None and self.variation not in (info.easier.name, info.harder.name):
            raise ValueError(f"{self.exercise} has no variation {self.variation!r}")
        if not 1 <= self.sets <= 10 or self.sides not in (1, 2):
            raise ValueError(f"bad sets/sides for {self.exercise}: {self.sets}/{self.sides}")
        if (self.hold_seconds is None) == (self.reps is None):
            raise ValueError(f"{self.exercise} needs either hold seconds or reps")
        if self.hold_seconds is not None and not 3 <= self.hold_seconds <= 300:
            raise ValueError(f"bad hold for {self.exercise}: {self.hold_seconds}")
        if self.reps is not None:
            if not 1 <= self.reps <= 50 or self.tempo is None:
                raise ValueError(f"bad reps or tempo for {self.exercise}")
            Tempo.parse(self.tempo)
        if not 0 <= self.rest_seconds <= 300:
            raise ValueError(f"bad rest for {self.exercise}: {self.rest_seconds}")

    @property
    def info(self) -> Exercise:
        """The exercise as this step teaches it: in its form (``variation``), with that form's own words."""
        return _in_form(self.exercise, self.variation)

    @property
    def is_hold(self) -> bool:
        return self.hold_seconds is not None

    @property
    def rep_seconds(self) -> float:
        """Seconds one rep takes at this step's tempo (0 for holds)."""
        return Tempo.parse(self.tempo).seconds if self.tempo else 0.0

    @property
    def work_seconds(self) -> float:
        """Seconds of one side of one set."""
        if self.hold_seconds is not None:
            return float(self.hold_seconds)
        return (self.reps or 0) * self.rep_seconds

    def to_dict(self) -> dict[str, Any]:
        """The step as stored with a workout: a main step in the exercise's own form leaves out its
        ``phase`` and ``variation`` (the defaults), which keeps every request's state small."""
        data: dict[str, Any] = {
            "exercise": self.exercise,
            "sets": self.sets,
            "sides": self.sides,
            "hold_seconds": self.hold_seconds,
            "reps": self.reps,
            "tempo": self.tempo,
            "rest_seconds": self.rest_seconds,
        }  # built by hand: ``asdict`` costs several times as much, on every request
        if self.phase != Phase.MAIN.value:
            data["phase"] = self.phase
        if self.variation is not None:
            data["variation"] = self.variation
        return data

    def to_contract(self) -> dict[str, Any]:
        """Every field, as ``strong-back plan --json`` shows a step (design.md)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Step:
        return cls(
            exercise=str(raw["exercise"]),
            sets=int(raw["sets"]),
            sides=int(raw["sides"]),
            hold_seconds=None if raw.get("hold_seconds") is None else int(raw["hold_seconds"]),
            reps=None if raw.get("reps") is None else int(raw["reps"]),
            tempo=None if raw.get("tempo") is None else str(raw["tempo"]),
            rest_seconds=int(raw["rest_seconds"]),
            phase=str(raw.get("phase") or Phase.MAIN.value),
            variation=None if raw.get("variation") is None else str(raw["variation"]),
        )

    @classmethod
    def from_exercise(cls, exercise: Exercise, level: Level, easier_form: bool = False) -> Step:
        """The exercise at the level's dose; ``easier_form``: as its easier form (e.g. the negative pull
        up), with that form's reps and tempo, when the catalog gives it a dose."""
        dose = exercise.dose(level)
        hold = exercise.mode is Mode.HOLD
        variation = exercise.easier if easier_form and exercise.easier.plannable else None
        return cls(
            exercise=exercise.id,
            sets=dose.sets,
            sides=exercise.sides,
            hold_seconds=dose.hold_seconds if hold else None,
            reps=None if hold else (variation.reps if variation else dose.reps),
            tempo=None if hold or dose.tempo is None else str(variation.tempo if variation else dose.tempo),
            rest_seconds=dose.rest_seconds,
            phase=exercise.phase.value,
            variation=variation.name if variation else None,
        )


@dataclass(frozen=True)
class Plan:
    """The routine the coach will run, and how long it takes with everything the coach says.

    ``minutes`` is the length planned; ``minutes_asked`` what the person asked for. They differ only
    when more time would have meant more of the same (``capped``, the reason: ``"volume"``, every
    exercise that suits the area, level and place already has the sets one session should hold)."""

    area: Area
    level: Level
    place: Place
    minutes: int | None
    steps: tuple[Step, ...]
    total_seconds: int
    minutes_asked: int | None = None
    capped: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "area": self.area.value,
            "level": self.level.value,
            "place": self.place.value,
            "minutes": self.minutes,
            "minutes_asked": self.minutes_asked,
            "capped": self.capped,
            "total_seconds": self.total_seconds,
            "steps": [step.to_contract() for step in self.steps],
        }


@dataclass(frozen=True)
class Position:
    """Where the workout stands: the next set to do, and what is left of a hold cut short."""

    step: int = 0
    set: int = 0
    side: int = 0
    remaining: float | None = None

    def to_list(self) -> list[Any]:
        return [self.step, self.set, self.side, self.remaining]

    @classmethod
    def from_list(cls, raw: Any) -> Position:
        step, set_, side, remaining = raw
        left = None if remaining is None else float(remaining)
        pos = cls(int(step), int(set_), int(side), left)
        bad_left = left is not None and not (math.isfinite(left) and 0 < left <= 1000)
        if min(pos.step, pos.set, pos.side) < 0 or bad_left:
            raise ValueError(f"bad position {raw!r}")
        return pos


def adjust_step(step: Step, direction: str) -> Step:
    """The same exercise made easier (shorter, fewer, more rest) or harder."""
    if direction not in ("easier", "harder"):
        raise ValueError(f"direction must be easier or harder, not {direction!r}")
    harder = direction == "harder"
    factor = 1.25 if harder else 0.75
    rest = step.rest_seconds + (-5 if harder else 10)
    rest = max(MIN_REST, min(MAX_REST, rest))
    if step.hold_seconds is not None:
        hold = max(10, min(120, round(step.hold_seconds * factor / 5) * 5))
        return replace(step, hold_seconds=hold, rest_seconds=rest)
    reps = max(3, min(25, round((step.reps or 0) * factor)))
    return replace(step, reps=reps, rest_seconds=rest)


def change_form(step: Step, level: Level | str, direction: str) -> Step | None:
    """ "I can't do a pull up": the step in its easier form, when the catalog gives that form a dose
    (easier), or back from that form to the exercise itself (harder); sets, rest and phase kept.
    None when the exercise has no such form to change to."""
    info = step.info
    if direction == "easier" and step.variation is None and info.easier.plannable:
        changed = Step.from_exercise(info, Level(level), easier_form=True)
    elif direction == "harder" and step.variation is not None and step.variation == info.easier.name:
        changed = Step.from_exercise(info, Level(level))
    else:
        return None
    return replace(changed, sets=step.sets, rest_seconds=step.rest_seconds, phase=step.phase)
