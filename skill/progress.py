"""A person's saved data: the workout in progress, finished workouts, streaks; and how two
versions of it written at the same time (two devices of one person) are merged."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from skill.catalog import CATALOG, BodyPart, Level
from skill.workout import HistoryRecord, WorkoutState, load_state, parse_timestamp

DATA_VERSION = 1
HISTORY_LIMIT = 400
PAIN_LIMIT = 100


URGENT_SYMPTOMS = frozenset({"chest", "faint"})  # chest pain, breathlessness, feeling faint or sick
SYMPTOMS = URGENT_SYMPTOMS | {"spreading", "numbness", "pop"}  # the SYMPTOM slot's ids


@dataclass(frozen=True)
class PainReport:
    """The person said something hurt: when, and where (None: they didn't say)."""

    at: str  # the request's timestamp, ISO-8601
    part: str | None
    symptom: str | None = None  # a sign to stop for the day (the SYMPTOM slot's id), if one was said

    def to_dict(self) -> dict[str, Any]:
        data = {"at": self.at, "part": self.part}
        return data | {"symptom": self.symptom} if self.symptom else data

    @classmethod
    def from_dict(cls, raw: Any) -> PainReport:
        at, part, symptom = raw["at"], raw.get("part"), raw.get("symptom")
        if not isinstance(at, str) or len(at) > 40 or (part is not None and part not in {p.value for p in BodyPart}):
            raise ValueError("damaged pain report")
        if symptom is not None and symptom not in SYMPTOMS:
            raise ValueError("damaged pain report")
        parse_timestamp(at)
        return cls(at, part, symptom)


MAX_OFFSET = 3  # doses move at most this many steps easier or harder from what a plan sets


@dataclass(frozen=True)
class Preference:
    """Something the coach learned about the person (a dose offset, a level), and when: the later wins."""

    value: int | str
    at: str

    def to_list(self) -> list[Any]:
        return [self.value, self.at]

    @classmethod
    def from_list(cls, raw: Any) -> Preference:
        value, at = raw
        if not isinstance(value, (int, str)) or isinstance(value, bool) or not isinstance(at, str) or len(at) > 40:
            raise ValueError("damaged preference")
        parse_timestamp(at)
        return cls(value, at)


def _later(a: Preference | None, b: Preference | None) -> Preference | None:
    if a is None or b is None:
        return a or b
    return b if b.at > a.at else a


@dataclass
class UserData:
    """Everything stored for one user, as one JSON-safe dict (``to_attributes``)."""

    workout: WorkoutState | None = None
    history: list[HistoryRecord] = field(default_factory=list)
    first_seen: str | None = None
    pains: list[PainReport] = field(default_factory=list)
    # What the coach learned between sessions: per exercise, how many steps easier (negative) or harder
    # its doses start; and the level the person moved up to.
    offsets: dict[str, Preference] = field(default_factory=dict)
    level: Preference | None = None
    recovered: bool = False  # something stored was damaged and has been dropped

    @property
    def first_time(self) -> bool:
        return self.first_seen is None and not self.history

    @classmethod
    def from_attributes(cls, raw: Any, *, workout: bool = True) -> UserData:
        """Load stored attributes; damaged parts are dropped and ``recovered`` is set. ``workout=False``
        leaves the stored workout unread (the session carries a newer one)."""
        if not raw:
            return cls()
        if not isinstance(raw, dict) or raw.get("v") != DATA_VERSION:
            return cls(recovered=True)
        data = cls(first_seen=raw.get("first_seen") if isinstance(raw.get("first_seen"), str) else None)
        if workout and raw.get("workout") is not None:
            data.workout = load_state(raw["workout"], walked=True)  # our own storage: checked when it came in
            data.recovered = data.workout is None
        history = raw.get("history")
        if isinstance(history, list):
            for item in history[-HISTORY_LIMIT:]:
                try:
                    data.history.append(HistoryRecord.from_dict(item))
                except (KeyError, TypeError, ValueError, AttributeError, OverflowError):
                    data.recovered = True
        elif history is not None:
            data.recovered = True
        for item in (raw.get("pains") or [])[-PAIN_LIMIT:] if isinstance(raw.get("pains"), list) else []:
            try:
                data.pains.append(PainReport.from_dict(item))
            except (KeyError, TypeError, ValueError, AttributeError):
                data.recovered = True
        data._load_preferences(raw.get("learned"))
        return data

    def _load_preferences(self, raw: Any) -> None:
        if raw is None:
            return
        try:
            offsets = raw.get("offsets") or {}
            for exercise, item in list(offsets.items())[: len(CATALOG) * 2]:
                offset = Preference.from_list(item)
                if exercise in CATALOG and isinstance(offset.value, int) and abs(offset.value) <= MAX_OFFSET:
                    self.offsets[exercise] = offset
            if raw.get("level") is not None:
                level = Preference.from_list(raw["level"])
                self.level = level if level.value in {member.value for member in Level} else None
        except (KeyError, TypeError, ValueError, AttributeError):
            self.recovered = True

    def to_attributes(self) -> dict[str, Any]:
        """What is stored. A workout the history already records is stored only as the finished workout
        itself (see ``keeps``): a device still running one that another device finished does not
        bring it back into storage, though it may go on with it in its own session."""
        workout = self.workout if self.workout is not None and self.keeps(self.workout) else None
        document: dict[str, Any] = {
            "v": DATA_VERSION,
            "workout": workout.to_dict() if workout else None,
            "history": [record.to_dict() for record in self.history[-HISTORY_LIMIT:]],
            "first_seen": self.first_seen,
        }
        if self.pains:
            document["pains"] = [report.to_dict() for report in self.pains[-PAIN_LIMIT:]]
        if self.offsets or self.level is not None:
            learned: dict[str, Any] = {"offsets": {name: pref.to_list() for name, pref in sorted(self.offsets.items())}}
            if self.level is not None:
                learned["level"] = self.level.to_list()
            document["learned"] = learned
        return document

    def learn(self, exercise: str, change: int, at: str) -> None:
        """Doses of ``exercise`` start ``change`` steps harder (or easier) next time, within the limits."""
        current = self.offsets[exercise].value if exercise in self.offsets else 0
        value = max(-MAX_OFFSET, min(MAX_OFFSET, int(current) + change))
        self.offsets[exercise] = Preference(value, at)

    def offset(self, exercise: str) -> int:
        pref = self.offsets.get(exercise)
        return int(pref.value) if pref is not None else 0

    def record(self, entry: HistoryRecord) -> None:
        """Add a finished workout; one already recorded (finished on two devices) keeps the fuller record."""
        key = record_identity(entry)
        for index, record in enumerate(self.history):
            if record_identity(record) == key:
                self.history[index] = _fuller(record, entry)
                return
        self.history.append(entry)
        del self.history[:-HISTORY_LIMIT]

    def finished(self, workout: WorkoutState) -> bool:
        """Whether the history already holds this workout's record (it was finished, here or elsewhere)."""
        return any(record.id == workout.id for record in self.history if record.id is not None)

    def keeps(self, workout: WorkoutState) -> bool:
        """Whether ``workout`` belongs in this data: not yet recorded, or recorded and kept as finished
        (the coach keeps a finished workout with its last reply, so that cutting that reply short reopens it)."""
        return workout.status == "finished" or not self.finished(workout)


def record_identity(record: HistoryRecord) -> tuple[Any, ...]:
    """What makes two records the same workout: its id; for records from before ids, their whole content."""
    if record.id is not None:
        return ("id", record.id)
    return ("content", *sorted(record.to_dict().items()))


def _fuller(a: HistoryRecord, b: HistoryRecord) -> HistoryRecord:
    """Of two records of one workout, the one with more exercises done, then more time (``a`` on a tie),
    keeping how it felt if either side heard it."""
    kept = b if (b.completed, b.seconds) > (a.completed, a.seconds) else a
    rating = kept.rating or a.rating or b.rating
    return kept if rating == kept.rating else replace(kept, rating=rating)


def merge(stored: UserData, mine: UserData) -> UserData:
    """What to save when ``stored`` was written by someone else after this request read it.

    ``mine`` is what this request would have written. The rules, each simple on its own:

    - **history**: every record of either side, once. Records of the same workout (same id; same
      content for records from before ids) count once, the fuller one kept. Ordered by date (records
      of one day: the stored ones first, as they were saved first) and capped at ``HISTORY_LIMIT``,
      the oldest dropped.
    - **workout in progress**: this request's, if it has one (the device acting now keeps the
      workout it is running), otherwise the stored one. Either way a workout whose record is in
      the merged history is over and is not brought back: a device still showing a workout that the
      other device has finished does not resurrect it (only the finished workout itself, which the
      coach keeps so that cutting its last reply short can reopen it, stays as it is).
    - **first_seen**: the earlier of the two.
    - **pains** (what the person said hurt, and when): every report of either side, once.
    - **learned** doses and level: per exercise (and for the level), the one learned later.
    - a record's **rating** is kept if either side heard it.

    Merging is idempotent (merging a side with itself gives it back) and never loses a record. So a
    record that this request took back (a finished workout reopened) comes back if the other side
    still has it: in a race, finishing wins over reopening.
    """
    chosen: dict[tuple[Any, ...], HistoryRecord] = {}
    for record in [*stored.history, *mine.history]:
        key = record_identity(record)
        chosen[key] = _fuller(chosen[key], record) if key in chosen else record
    history = sorted(chosen.values(), key=lambda record: record.date)[-HISTORY_LIMIT:]
    merged = UserData(history=history)
    workout = mine.workout if mine.workout is not None else stored.workout
    merged.workout = workout if workout is not None and merged.keeps(workout) else None
    seen = [day for day in (stored.first_seen, mine.first_seen) if day is not None]
    merged.first_seen = min(seen) if seen else None
    merged.pains = sorted(set(stored.pains) | set(mine.pains), key=lambda report: report.at)[-PAIN_LIMIT:]
    for exercise in {*stored.offsets, *mine.offsets}:
        later = _later(stored.offsets.get(exercise), mine.offsets.get(exercise))
        if later is not None:
            merged.offsets[exercise] = later
    merged.level = _later(stored.level, mine.level)
    return merged


def merge_attributes(stored: dict[str, Any], mine: dict[str, Any]) -> dict[str, Any]:
    """``merge`` on stored documents (``UserData.to_attributes`` form): the storage adapters' resolver."""
    return merge(UserData.from_attributes(stored), UserData.from_attributes(mine)).to_attributes()


def streak(history: list[HistoryRecord], today: date) -> int:
    """Days in a row with a workout, ending today (or yesterday, if today is still open)."""
    days = {date.fromisoformat(record.date) for record in history if record.completed}
    day = today if today in days else today - timedelta(days=1)
    count = 0
    while day in days:
        count += 1
        day -= timedelta(days=1)
    return count


@dataclass(frozen=True)
class Progress:
    workouts: int
    streak: int
    last: HistoryRecord | None
    days_since_last: int | None


def summarize(history: list[HistoryRecord], today: date) -> Progress:
    done = [record for record in history if record.completed]
    last = done[-1] if done else None
    since = max(0, (today - date.fromisoformat(last.date)).days) if last else None
    return Progress(len(done), streak(history, today), last, since)
