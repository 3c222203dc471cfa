"""The workout as an explicit, serializable state machine.

A ``WorkoutState`` lives in Alexa session attributes and in storage as a small JSON dict.
Handlers only translate requests into its transitions: start, settle (how far the last
reply got), next, skip, previous, repeat, pause, resume, start over, adjust, finish.
Anything invalid or stale from storage or the client is detected by ``load_state``.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from skill.catalog import CATALOG, Area, BodyPart, Level, Pattern, Place
from skill.errors import StrongBackError
from skill.routine import Plan, Position, Step, adjust_step, change_form
from skill.speech import WINDOW_KINDS, Window

STATE_VERSION = 1
MAX_STATE_KEYS = 40  # a state has some twenty fields
PREVIEW_PARTS = ("setup", "cue", "safety")  # what a rest may say ahead of the next exercise
# Seconds between a request's timestamp and the moment its reply starts playing, plus the
# time a person takes to say a command after interrupting: subtracted when estimating how
# far a reply got before the next request arrived.
REPLY_LAG_SECONDS = 2.0
# A hold interrupted with less than this left counts as finished.
MIN_REMAINING_SECONDS = 3.0
STATUSES = ("active", "paused", "finished")
RESULTS = (None, "done", "skipped")
_WORKOUT_ID = re.compile(r"[A-Za-z0-9._:+-]{1,40}")  # new ids are 12 hex digits; older states use their start time


class StateError(StrongBackError, ValueError):
    """Stored or client-sent workout state that cannot be trusted."""


def _number(value: Any, low: float, high: float) -> float:
    """A finite float within bounds, or ``StateError``."""
    number = float(value)
    if not (math.isfinite(number) and low <= number <= high):
        raise StateError(f"number {value!r} is out of range")
    return number


def parse_timestamp(value: str | datetime) -> datetime:
    """A timezone-aware UTC datetime from an Alexa ISO-8601 timestamp."""
    stamp = value if isinstance(value, datetime) else datetime.fromisoformat(value.replace("Z", "+00:00"))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.astimezone(UTC)


def format_timestamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Block:
    """The reply being performed: when it started, where it starts and ends, its windows."""

    ts: str
    start: Position
    end: Position
    duration: float
    windows: tuple[Window, ...]
    device: str | None = None  # a short tag of the device playing it (``device_tag``)
    ahead: tuple[str, ...] = ()  # what its last rest said of the exercise that comes next (set-up, cue)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "ts": self.ts,
            "start": self.start.to_list(),
            "end": self.end.to_list(),
            "duration": round(self.duration, 3),
            "windows": [w.to_list() for w in self.windows],
        }
        if self.device is not None:
            data["device"] = self.device
        if self.ahead:
            data["ahead"] = list(self.ahead)
        return data

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Block:
        parse_timestamp(raw["ts"])
        return cls(
            ts=str(raw["ts"]),
            start=Position.from_list(raw["start"]),
            end=Position.from_list(raw["end"]),
            duration=_number(raw["duration"], 0, 1000),
            windows=tuple(Window.from_list(w) for w in raw["windows"]),
            device=_device(raw.get("device")),
            ahead=tuple(part for part in raw.get("ahead") or () if part in PREVIEW_PARTS),
        )


def device_tag(device_id: str | None) -> str | None:
    """A short, one-way tag of an Alexa device id: enough to tell devices apart, nothing to read back."""
    return hashlib.sha256(device_id.encode()).hexdigest()[:16] if device_id else None


def _device(raw: Any) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or not 1 <= len(raw) <= 64:
        raise StateError("block device is damaged")
    return raw


RATINGS = ("too_easy", "about_right", "too_hard")  # the RATING slot's ids


def _rating(raw: Any) -> str | None:
    if raw is None:
        return None
    if raw not in RATINGS:
        raise StateError("workout rating is damaged")
    return str(raw)


def new_workout_id() -> str:
    """A fresh workout identity: random, so two devices starting in the same second differ."""
    return secrets.token_hex(6)


def _workout_id(raw: Any) -> str:
    """A stored workout identity; ``StateError`` unless it is a short plain token."""
    if not isinstance(raw, str) or not _WORKOUT_ID.fullmatch(raw):
        raise StateError("workout id is damaged")
    return raw


@dataclass(frozen=True)
class HistoryRecord:
    """One finished (or stopped) workout, for progress and streaks.

    ``id`` is the id of the workout it records: two devices that finish the same workout produce
    records with the same id, and a workout whose id is in the history is over. Records saved
    before ids existed have none (``None``) and are told apart by their whole content.
    """

    date: str
    area: str
    level: str
    place: str
    minutes: int | None
    completed: int
    skipped: int
    seconds: int
    id: str | None = None
    rating: str | None = None  # how it felt, when the person said: RATINGS
    vertical_pull: str | None = None  # the pull up or lat pulldown done, so the next session takes the other

    def to_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        for optional in ("id", "rating", "vertical_pull"):
            if data[optional] is None:
                del data[optional]  # records from before these fields stay as they were stored
        return data

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> HistoryRecord:
        datetime.strptime(str(raw["date"]), "%Y-%m-%d")
        _check_choices(str(raw["area"]), str(raw["level"]), str(raw["place"]))
        return cls(
            date=str(raw["date"]),
            area=str(raw["area"]),
            level=str(raw["level"]),
            place=str(raw["place"]),
            minutes=None if raw.get("minutes") is None else int(raw["minutes"]),
            completed=int(raw["completed"]),
            skipped=int(raw["skipped"]),
            seconds=int(raw["seconds"]),
            id=None if raw.get("id") is None else _workout_id(raw["id"]),
            rating=_rating(raw.get("rating")),
            vertical_pull=_vertical_pull(raw.get("vertical_pull")),
        )


def _vertical_pull(raw: Any) -> str | None:
    if raw is not None and (raw not in CATALOG or CATALOG[raw].pattern is not Pattern.VERTICAL_PULL):
        raise StateError("vertical pull is damaged")
    return raw


class Entry(StrEnum):
    """How the next reply enters the set the workout stands at: which of its opening parts it says."""

    TALK = "talk"  # before a first set, the exercise's introduction in full (set-up, form cue, dose)
    BRIEF = "brief"  # the introduction without the set-up and cue: heard a moment ago
    LEAD = "lead"  # no introduction: the set's get-ready count starts at once
    WORK = "work"  # not even the count: the work starts at once


@dataclass
class WorkoutState:
    """A workout in progress. Mutated in place by its transitions; ``to_dict`` for storage.

    ``base`` holds the planned doses; ``steps`` are those doses made ``difficulty`` steps easier
    (negative) or harder from where each adjustment was made, so that easier and then harder
    returns exactly to the planned doses. ``held`` is the kind of window the last reply was cut
    short in, while the workout waits there (a pause, a question): "next" then knows what it cuts.
    """

    area: str
    level: str
    place: str
    minutes: int | None
    steps: list[Step]
    started: str
    pos: Position = field(default_factory=Position)
    results: list[str | None] = field(default_factory=list)
    status: str = "active"
    difficulty: int = 0
    seconds: float = 0.0
    block: Block | None = None
    id: str = ""  # which workout this is (``new_workout_id``); its history record carries the same id
    base: list[Step] = field(default_factory=list)
    held: str | None = None
    left_out: list[str] = field(default_factory=list)  # exercises taken out of the plan (pain), for the summary
    preview: tuple[Position, frozenset[str]] | None = None  # what the last reply said of the exercise at a position

    def __post_init__(self) -> None:
        if not self.base:
            self.base = list(self.steps)

    # ----- creation and storage -------------------------------------------------------
    @classmethod
    def start(cls, plan: Plan, now: datetime) -> WorkoutState:
        return cls(
            area=plan.area.value,
            level=plan.level.value,
            place=plan.place.value,
            minutes=plan.minutes,
            steps=list(plan.steps),
            started=format_timestamp(now),
            results=[None] * len(plan.steps),
            id=new_workout_id(),
        )

    def to_dict(self) -> dict[str, Any]:
        data = {
            "v": STATE_VERSION,
            "area": self.area,
            "level": self.level,
            "place": self.place,
            "minutes": self.minutes,
            "steps": [s.to_dict() for s in self.steps],
            "started": self.started,
            "pos": self.pos.to_list(),
            "results": list(self.results),
            "status": self.status,
            "difficulty": self.difficulty,
            "seconds": round(self.seconds, 3),
            "block": self.block.to_dict() if self.block else None,
            "id": self.id,
            "held": self.held,
            "left_out": list(self.left_out),
        }
        if self.base != self.steps:  # only once the doses were adjusted
            data["base"] = [s.to_dict() for s in self.base]
        return data

    @classmethod
    def from_dict(cls, raw: Any) -> WorkoutState:
        """Rebuild a state from storage; ``StateError`` if anything is off."""
        if not isinstance(raw, dict):
            raise StateError("workout state is not an object")
        if len(raw) > MAX_STATE_KEYS:
            raise StateError("workout state has more fields than any state has")
        if raw.get("v") != STATE_VERSION:
            raise StateError(f"workout state version {raw.get('v')!r} is not {STATE_VERSION}")
        try:
            steps = [Step.from_dict(s) for s in raw["steps"]]
            state = cls(
                area=str(raw["area"]),
                level=str(raw["level"]),
                place=str(raw["place"]),
                minutes=None if raw.get("minutes") is None else int(raw["minutes"]),
                steps=steps,
                started=str(raw["started"]),
                pos=Position.from_list(raw["pos"]),
                results=list(raw["results"]),
                status=str(raw["status"]),
                difficulty=int(raw["difficulty"]),
                seconds=_number(raw["seconds"], 0, 10**7),
                block=Block.from_dict(raw["block"]) if raw.get("block") else None,
                # a state saved before workouts had ids is known by its start time
                id=_workout_id(raw["id"] if raw.get("id") is not None else raw["started"]),
                base=[Step.from_dict(s) for s in raw["base"]] if raw.get("base") else list(steps),
                held=None if raw.get("held") is None else str(raw["held"]),
                left_out=[str(name) for name in raw.get("left_out") or []],
            )
            parse_timestamp(state.started)
        except StateError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as error:
            raise StateError(f"workout state is damaged: {error}") from None
        state._validate()
        return state

    def _validate(self) -> None:
        _check_choices(self.area, self.level, self.place)
        if self.minutes is not None and not 1 <= self.minutes <= 600:
            raise StateError("workout minutes are out of range")
        count = len(self.steps)
        if not count:
            raise StateError("workout has no steps")
        if len(self.base) != count or any(b.exercise != s.exercise for b, s in zip(self.base, self.steps, strict=True)):
            raise StateError("workout base doses do not match its steps")
        if len(self.results) != count or any(r not in RESULTS for r in self.results):
            raise StateError("workout results do not match its steps")
        if self.status not in STATUSES or not -3 <= self.difficulty <= 3 or self.seconds < 0:
            raise StateError("workout status is damaged")
        if self.held is not None and self.held not in WINDOW_KINDS:
            raise StateError("workout held window is damaged")
        if len(self.left_out) > 50 or any(name not in CATALOG for name in self.left_out):
            raise StateError("workout left-out exercises are damaged")
        for pos in filter(None, (self.pos, *self._block_positions())):
            if pos.step > count or (pos.step < count and pos.set >= self.steps[pos.step].sets):
                raise StateError(f"position {pos.to_list()} is outside the workout")
            if pos.step < count and pos.side >= self.steps[pos.step].sides:
                raise StateError(f"side {pos.side} is outside the workout")
        if self.block and any(w.step >= count for w in self.block.windows):
            raise StateError("block refers to a step outside the workout")

    def _block_positions(self) -> tuple[Position, ...]:
        return (self.block.start, self.block.end) if self.block else ()

    def start_from(self, offsets: dict[str, int]) -> bool:
        """Start each exercise's doses the learned number of steps harder (or easier); True if any moved."""
        moved = [dosed(step, offsets.get(step.exercise, 0)) for step in self.steps]
        changed = moved != self.steps
        self.steps, self.base = moved, list(moved)
        return changed

    # ----- queries --------------------------------------------------------------------
    @property
    def finished(self) -> bool:
        return self.pos.step >= len(self.steps)

    @property
    def current(self) -> Step | None:
        return None if self.finished else self.steps[self.pos.step]

    @property
    def previewed(self) -> frozenset[str]:
        """What the last reply, played out, already said of the exercise the workout now stands at."""
        if self.preview is None or self.preview[0] != self.pos:
            return frozenset()
        return self.preview[1]

    def count(self, result: str) -> int:
        return sum(1 for r in self.results if r == result)

    # ----- performing and settling ------------------------------------------------------
    def begin_block(
        self,
        windows: list[Window],
        end: Position,
        duration: float,
        now: datetime,
        device: str | None = None,
        ahead: frozenset[str] = frozenset(),
    ) -> None:
        """Record the reply that starts playing now (on ``device``), covering ``pos`` up to ``end``;
        ``ahead``: what it says, in its last rest, of the exercise at ``end``."""
        self.status = "active"
        self.held = None
        self.preview = None
        self.block = Block(format_timestamp(now), self.pos, end, duration, tuple(windows), device, tuple(sorted(ahead)))

    def settle(self, now: datetime) -> Window | None:
        """Work out how far the last reply got before this request: the window it was cut short in, if any.

        Called once for every request (before any handler). A reply that played out moves the workout
        to where it ended; one cut short leaves it where the cut came, ``held`` in that window."""
        block, self.block = self.block, None
        if block is None:
            return None
        elapsed = (now - parse_timestamp(block.ts)).total_seconds() - REPLY_LAG_SECONDS
        if elapsed >= block.duration - 0.5 or not block.windows:
            self._mark_done(block.start.step, block.end.step)
            self.pos = block.end
            self.seconds += block.duration
            self.held = None
            self.preview = (block.end, frozenset(block.ahead))  # heard: the next talk need not repeat it
            return None
        elapsed = max(elapsed, 0.0)
        self.seconds += elapsed
        window = max((w for w in block.windows if w.start <= elapsed), default=block.windows[0], key=lambda w: w.start)
        self.pos = self._position_in(window, elapsed, block)
        self._mark_done(block.start.step, self.pos.step)
        self.held = window.kind
        return window

    def _position_in(self, window: Window, elapsed: float, block: Block) -> Position:
        """Where the workout stands after a reply was cut ``elapsed`` seconds in, inside ``window``."""
        if window.kind == "prompt":
            return block.end
        if window.kind == "rest":
            return self._after_set(window.step, window.set)
        unit = Position(window.step, window.set, window.side)
        if window.kind in ("intro", "lead", "switch"):
            start = block.start
            same_unit = (start.step, start.set, start.side) == (unit.step, unit.set, unit.side)
            return start if same_unit else unit  # (a hold resumed part way keeps what was left of it)
        step = self.steps[window.step]
        left = window.end - elapsed
        if left >= MIN_REMAINING_SECONDS:
            return replace(unit, remaining=round(left, 1)) if step.is_hold else unit
        return self._after_unit(window.step, window.set, window.side)

    def _after_unit(self, step_index: int, set_index: int, side: int) -> Position:
        """What follows one side of one set: the other side, or the next set."""
        if side + 1 < self.steps[step_index].sides:
            return Position(step_index, set_index, side + 1)
        return self._after_set(step_index, set_index)

    def _after_set(self, step_index: int, set_index: int) -> Position:
        if set_index + 1 < self.steps[step_index].sets:
            return Position(step_index, set_index + 1)
        return Position(step_index + 1)

    def _mark_done(self, first: int, upto: int) -> None:
        for index in range(first, min(upto, len(self.steps))):
            if self.results[index] is None:
                self.results[index] = "done"

    # ----- transitions ----------------------------------------------------------------
    def next(self) -> Entry:
        """'Next': always forward, never back into the window it cut short.

        In an introduction the talk is skipped and the set's count starts; in the count or the work
        that side of the set is over and the next one follows; in the change-over between sides the
        other side starts at once; in a rest, a closing prompt or after a reply that played out, the
        workout already stands at what comes next. Returns how the next reply enters it."""
        held, self.held = self.held, None
        if self.finished:
            return Entry.TALK
        if held == "intro":
            return Entry.LEAD
        if held == "switch":
            return Entry.WORK
        if held in ("lead", "work") or self.pos.remaining is not None:
            pos = self.pos
            self.pos = self._after_unit(pos.step, pos.set, pos.side)
            self._mark_done(pos.step, self.pos.step)
        return Entry.TALK

    def skip(self) -> None:
        """Skip the current exercise; it is recorded as skipped."""
        self.held = None
        if not self.finished:
            self.results[self.pos.step] = "skipped"
            self.pos = Position(self.pos.step + 1)

    def previous(self) -> None:
        """Go back to the start of the previous exercise (or this one's start if it's the first)."""
        self.held = None
        at_start = self.pos.set == 0 and self.pos.side == 0 and not self.pos.remaining
        target = max(0, min(self.pos.step - 1 if at_start else self.pos.step, len(self.steps) - 1))
        for index in range(target, min(self.pos.step + 1, len(self.steps))):
            self.results[index] = None
        self.pos = Position(target)

    def repeat(self) -> None:
        """Back to the start of the set (the side) the workout stands at, to hear and do it again."""
        self.held = None
        if not self.finished:
            self.pos = Position(self.pos.step, self.pos.set, self.pos.side)

    def leave_out(self, part: BodyPart | None) -> list[Step]:
        """Take the current exercise, and every later one that loads ``part``, out of today's plan."""
        self.held = None
        if self.finished:
            return []
        first = self.pos.step
        out = [
            index
            for index in range(first, len(self.steps))
            if index == first or (part is not None and part in self.steps[index].info.loads)
        ]
        gone = [self.steps[index] for index in out]
        keep = [index for index in range(len(self.steps)) if index not in out]
        self.left_out += [step.exercise for step in gone]
        self.steps = [self.steps[index] for index in keep]
        self.base = [self.base[index] for index in keep]
        self.results = [self.results[index] for index in keep]
        self.pos = Position(first)
        return gone

    def pause(self) -> None:
        self.status = "paused"

    def resume(self) -> Entry:
        """Carry on where the workout stands: a talk cut short is said again briefly, a set cut short
        starts again from its count (a hold with what was left of it), and what was not heard yet in full."""
        held, self.held = self.held, None
        self.status = "active"
        if held == "intro":
            return Entry.BRIEF
        return Entry.LEAD if held in ("lead", "work", "switch") else Entry.TALK

    def start_over(self) -> None:
        self.pos = Position()
        self.results = [None] * len(self.steps)
        self.seconds = 0.0
        self.status = "active"
        self.block = None
        self.held = None

    def adjust(self, direction: str) -> bool:
        """Easier or harder from here on; False when already at the limit.

        Each step from here is its planned dose moved ``difficulty`` steps, so easier then harder
        gives back exactly the doses there were before."""
        change = 1 if direction == "harder" else -1
        if not -3 <= self.difficulty + change <= 3:
            return False
        self.difficulty += change
        first = self.pos.step
        self.steps = self.steps[:first] + [dosed(base, self.difficulty) for base in self.base[first:]]
        if self.pos.step < len(self.steps):
            step = self.steps[self.pos.step]
            remaining = self.pos.remaining
            if remaining is not None and step.hold_seconds is not None:
                remaining = min(remaining, float(step.hold_seconds))
            self.pos = replace(self.pos, set=min(self.pos.set, step.sets - 1), remaining=remaining)
        return True

    def finish(self, now: datetime) -> HistoryRecord:
        """End the workout and produce its history record."""
        self.status = "finished"
        self.block = None
        self.held = None
        return HistoryRecord(
            date=parse_timestamp(now).date().isoformat(),
            area=self.area,
            level=self.level,
            place=self.place,
            minutes=self.minutes,
            completed=self.count("done"),
            skipped=self.count("skipped") + len(self.left_out),
            seconds=round(self.seconds),
            id=self.id or None,
            vertical_pull=self.vertical_pull_done(),
        )

    def vertical_pull_done(self) -> str | None:
        """The vertical pull (pull up or lat pulldown) this workout did, if it did one."""
        done = (s.exercise for s, r in zip(self.steps, self.results, strict=True) if r == "done")
        return next((e for e in done if CATALOG[e].pattern is Pattern.VERTICAL_PULL), None)

    def change_form(self, direction: str) -> Step | None:
        """The current exercise in its easier form ("I can't do a pull up") or back from it (harder),
        when the catalog has such a form; the set it stands at starts again. None when it has none."""
        if self.finished:
            return None
        index = self.pos.step
        planned = self.base[index]
        changed = change_form(planned, self.level, direction)
        if changed is not None:
            self.base[index] = changed  # the planned form changes; an adjusted dose stays adjusted
            self.steps[index] = changed if self.steps[index] == planned else dosed(changed, self.difficulty)
            self.pos = replace(self.pos, remaining=None)
        return changed


def dosed(base: Step, difficulty: int) -> Step:
    """The planned dose ``base`` made ``difficulty`` steps harder (negative: easier)."""
    step = base
    for _ in range(abs(difficulty)):
        step = adjust_step(step, "harder" if difficulty > 0 else "easier")
    return step


def _check_choices(area: str, level: str, place: str) -> None:
    try:
        Area(area), Level(level), Place(place)
    except ValueError as error:
        raise StateError(str(error)) from None


# Hard bounds on a workout state from storage or the client, checked before anything walks it. The
# largest real state (a 60-minute plan of 20 steps, a 240-second reply) is well inside every one.
MAX_STEPS = 64
MAX_DEPTH = 6  # the state, its block, the block's windows, a window: 4
MAX_ITEMS = 256  # in any one list or object
MAX_STRING = 128  # characters in any one string or key
MAX_VALUES = 4096  # in the whole state


def check_bounds(
    raw: Any, *, max_depth: int = MAX_DEPTH, max_values: int = MAX_VALUES, max_string: int = MAX_STRING
) -> None:
    """``StateError`` unless ``raw`` is plain JSON data within the hard bounds.

    Walks without recursion and stops at the first violation, so a forged state (a list nested 900
    deep, a million steps) costs at most ``max_values`` steps here and nothing anywhere else.
    """
    if isinstance(raw, dict) and isinstance(raw.get("steps"), list) and len(raw["steps"]) > MAX_STEPS:
        raise StateError(f"more than {MAX_STEPS} steps")
    pending: list[tuple[Any, int]] = [(raw, 1)]
    seen = 0
    while pending:
        value, depth = pending.pop()
        seen += 1
        if seen > max_values:
            raise StateError(f"more than {max_values} values")
        if isinstance(value, str):
            if len(value) > max_string:
                raise StateError(f"a string longer than {max_string} characters")
        elif isinstance(value, (dict, list)):
            if depth > max_depth:
                raise StateError(f"nested deeper than {max_depth}")
            if len(value) > MAX_ITEMS:
                raise StateError(f"more than {MAX_ITEMS} items in one place")
            if isinstance(value, dict):
                if not all(isinstance(key, str) and len(key) <= max_string for key in value):
                    raise StateError("a key that is not a short string")
                pending.extend((item, depth + 1) for item in value.values())
            else:
                pending.extend((item, depth + 1) for item in value)
        elif value is not None and not isinstance(value, (bool, int, float)):
            raise StateError(f"{type(value).__name__} is not JSON data")


MAX_STATE_JSON = 64 * 1024  # characters of a workout state carried as JSON text (a full one is ~10 K)


def state_to_json(state: WorkoutState) -> str:
    """The state as compact JSON text: how the session carries it (one string costs nothing to copy)."""
    return json.dumps(state.to_dict(), separators=(",", ":"))


def state_from_json(text: Any) -> WorkoutState | None:
    """A state carried as JSON text, or None if it is damaged or longer than any real state.

    The length bound bounds all the work: whatever the text holds, reading it is a C-speed parse and
    ``from_dict`` checks each field it reads."""
    if not isinstance(text, str) or len(text) > MAX_STATE_JSON:
        return None
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return load_state(raw, walked=True)


def load_state(raw: Any, *, walked: bool = False) -> WorkoutState | None:
    """A workout state from storage or the client, or None if it is missing, damaged or out of bounds.

    ``walked``: ``check_bounds`` has already been run on it (the skill does, on every session attribute,
    before the SDK copies them), so only the checks that cost nothing are made again."""
    if raw is None:
        return None
    try:
        if walked:
            if isinstance(raw, dict) and isinstance(raw.get("steps"), list) and len(raw["steps"]) > MAX_STEPS:
                raise StateError(f"more than {MAX_STEPS} steps")
        else:
            check_bounds(raw)
        return WorkoutState.from_dict(raw)
    except StateError:
        return None
