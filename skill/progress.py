"""A person's saved data: the workout in progress, finished workouts, streaks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from skill.workout import HistoryRecord, WorkoutState, load_state

DATA_VERSION = 1
HISTORY_LIMIT = 400


@dataclass
class UserData:
    """Everything stored for one user, as one JSON-safe dict (``to_attributes``)."""

    workout: WorkoutState | None = None
    history: list[HistoryRecord] = field(default_factory=list)
    first_seen: str | None = None
    recovered: bool = False  # something stored was damaged and has been dropped

    @property
    def first_time(self) -> bool:
        return self.first_seen is None and not self.history

    @classmethod
    def from_attributes(cls, raw: Any) -> UserData:
        """Load stored attributes; damaged parts are dropped and ``recovered`` is set."""
        if not raw:
            return cls()
        if not isinstance(raw, dict) or raw.get("v") != DATA_VERSION:
            return cls(recovered=True)
        data = cls(first_seen=raw.get("first_seen") if isinstance(raw.get("first_seen"), str) else None)
        if raw.get("workout") is not None:
            data.workout = load_state(raw["workout"])
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
        return data

    def to_attributes(self) -> dict[str, Any]:
        return {
            "v": DATA_VERSION,
            "workout": self.workout.to_dict() if self.workout else None,
            "history": [record.to_dict() for record in self.history[-HISTORY_LIMIT:]],
            "first_seen": self.first_seen,
        }

    def record(self, entry: HistoryRecord) -> None:
        self.history.append(entry)
        del self.history[:-HISTORY_LIMIT]


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
