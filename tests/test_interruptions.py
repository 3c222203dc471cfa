"""Every window of a reply x every command, as docs/architecture.md's table says.

The table is read from the document: each cell starts with a word in backticks that names what
happens, and each such word has a check below, made on what the person hears next and where the
workout stands. A cell the document adds or changes is checked as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from skill.catalog import CATALOG
from skill.coach import Coach
from skill.numbers import spoken
from skill.speech import Window
from tests.support.alexa import Alexa, Heard, windows

if TYPE_CHECKING:
    from collections.abc import Callable

DOC = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"
COLUMNS = {"talk": "intro", "count": "lead", "work": "work", "switch": "switch", "rest": "rest", "prompt": "prompt"}
COMMANDS: dict[str, tuple[str, dict[str, str]]] = {
    "next": ("AMAZON.NextIntent", {}),
    "pause": ("AMAZON.PauseIntent", {}),
    "resume": ("AMAZON.ResumeIntent", {}),
    "skip": ("SkipExerciseIntent", {}),
    "previous": ("AMAZON.PreviousIntent", {}),
    "repeat": ("AMAZON.RepeatIntent", {}),
    "start over": ("AMAZON.StartOverIntent", {}),
    "status": ("WorkoutStatusIntent", {}),
    "describe": ("DescribeExerciseIntent", {}),
    "easier or harder": ("AdjustDifficultyIntent", {"direction": "easier"}),
    "help": ("AMAZON.HelpIntent", {}),
    "stop": ("AMAZON.StopIntent", {}),
    "not understood": ("AMAZON.FallbackIntent", {}),
    "pain": ("ReportPainIntent", {"body_part": "back"}),
}


def table() -> list[tuple[str, str, str]]:
    """(command, window column, outcome word) for every cell of the document's table."""
    text = DOC.read_text(encoding="utf-8")
    body = text.split("<!-- interruption table -->", 1)[1].split("<!-- end of interruption table -->", 1)[0]
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in body.strip().splitlines()]
    header, cells = rows[0], rows[2:]
    found = []
    for row in cells:
        for column, cell in zip(header[1:], row[1:], strict=True):
            word = re.match(r"`([a-z-]+)`", cell)
            assert word, f"cell {row[0]} x {column} has no outcome word: {cell!r}"
            found.append((row[0], column, word.group(1)))
    return found


def unit(window: Window) -> tuple[int, int, int]:
    return (window.step, window.set, window.side)


@dataclass
class Moment:
    """A reply cut short inside one of its windows, and what was heard next."""

    before: Heard
    cut: Window
    at: float
    after: Heard

    @property
    def steps(self) -> list[dict[str, Any]]:
        return list(self.before.attributes["workout"]["steps"])

    def following(self, of: tuple[int, int, int]) -> tuple[int, int, int]:
        """The side or set that comes after ``of``."""
        step, set_, side = of
        if side + 1 < self.steps[step]["sides"]:
            return (step, set_, side + 1)
        if set_ + 1 < self.steps[step]["sets"]:
            return (step, set_ + 1, 0)
        return (step + 1, 0, 0)

    def waiting_at(self) -> tuple[int, int, int]:
        """Where the workout stands once the cut is settled (rest and prompt: what comes next)."""
        if self.cut.kind == "rest":
            step = self.steps[self.cut.step]
            return (
                (self.cut.step, self.cut.set + 1, 0) if self.cut.set + 1 < step["sets"] else (self.cut.step + 1, 0, 0)
            )
        if self.cut.kind == "prompt":
            end = self.before.attributes["workout"]["block"]["end"]
            return (end[0], end[1], end[2])
        return unit(self.cut)

    def first(self) -> Window:
        found = windows(self.after)
        assert found, f"nothing performed after {self.cut.kind}: {self.after.text[:200]}"
        return found[0]

    def setup(self, step: int) -> str:
        return CATALOG[self.steps[step]["exercise"]].setup


def waits(moment: Moment) -> None:
    assert not windows(moment.after) and not moment.after.ends_session
    assert moment.after.attributes["workout"]["status"] == "paused"


def said_briefly(m: Moment) -> None:
    """An introduction cut short comes back brief: not its exercise's number and phase again, nor its set-up."""
    assert m.setup(m.cut.step) not in m.after.text
    number = f"exercise {spoken(m.cut.step + 1)} of"
    assert number not in m.after.text.lower(), f"{number!r} said again: {m.after.text[:300]}"
    coach = Coach()
    for phase in ("warmup", "main", "cooldown"):
        assert coach.text(f"phase.{phase}") not in m.after.text


def check_count(m: Moment) -> None:
    first = m.first()
    assert first.kind == "lead" and unit(first) == unit(m.cut)
    assert m.setup(m.cut.step) not in m.after.text


def check_next_unit(m: Moment) -> None:
    first = m.first()
    assert first.kind in ("intro", "lead") and unit(first) == m.following(unit(m.cut))


def check_other_side(m: Moment) -> None:
    first = m.first()
    assert first.kind == "work" and unit(first) == unit(m.cut)


def check_next_set(m: Moment) -> None:
    assert unit(m.first()) == m.waiting_at()


def check_paused(m: Moment) -> None:
    waits(m)
    assert "paused" in m.after
    if m.cut.kind == "work" and m.steps[m.cut.step]["hold_seconds"] and m.cut.end - m.at >= 3:
        assert "left on your" in m.after


def check_carry_on(m: Moment) -> None:
    first = m.first()
    assert unit(first) == m.waiting_at()
    if m.cut.kind == "intro":
        assert first.kind == "intro"
        said_briefly(m)
    else:
        assert first.kind == "lead"
    if m.cut.kind == "work" and m.steps[m.cut.step]["hold_seconds"]:
        work = next(w for w in windows(m.after) if w.kind == "work")
        assert work.seconds == pytest.approx(m.cut.end - m.at, abs=0.2)


def check_skip(m: Moment) -> None:
    skipped = m.waiting_at()[0]
    assert "skip" in m.after.text.lower()
    assert m.after.attributes["workout"]["results"][skipped] == "skipped"
    assert m.first().step == skipped + 1


def check_back(m: Moment) -> None:
    first = m.first()
    assert re.search(r"going back to the|back to the start of the|first exercise", m.after.text.lower())
    assert first.set == 0 and first.side == 0 and first.step <= m.waiting_at()[0]


def check_again(m: Moment) -> None:
    first = m.first()
    assert "once more" in m.after.text.lower()
    assert unit(first) == m.waiting_at() or unit(first)[:2] == m.waiting_at()[:2]


def check_from_top(m: Moment) -> None:
    assert "starting over" in m.after.text.lower() and unit(m.first()) == (0, 0, 0)


def check_answer(m: Moment) -> None:
    waits(m)
    assert "resume" in m.after.text.lower()


def check_easier(m: Moment) -> None:
    assert "easier" in m.after.text.lower()
    before = m.steps[m.waiting_at()[0]]
    now = m.after.attributes["workout"]["steps"][m.waiting_at()[0]]
    assert (now["hold_seconds"] or now["reps"]) < (before["hold_seconds"] or before["reps"])
    assert unit(m.first()) == m.waiting_at()
    if m.cut.kind == "intro":
        said_briefly(m)


def check_stop(m: Moment) -> None:
    assert m.after.ends_session and "progress is saved" in m.after.text.lower()


def check_sorry(m: Moment) -> None:
    waits(m)
    assert "didn't catch" in m.after.text.lower()


def check_pain(m: Moment) -> None:
    waits(m)
    assert "doctor or physical therapist" in m.after.text and "leave out" in m.after.text


CHECKS: dict[str, Callable[[Moment], None]] = {
    "count": check_count,
    "next-unit": check_next_unit,
    "other-side": check_other_side,
    "next-set": check_next_set,
    "paused": check_paused,
    "carry-on": check_carry_on,
    "skip": check_skip,
    "back": check_back,
    "again": check_again,
    "from-top": check_from_top,
    "answer": check_answer,
    "easier": check_easier,
    "stop": check_stop,
    "sorry": check_sorry,
    "pain": check_pain,
}


def reply_with(kind: str) -> tuple[Alexa, Heard, Window]:
    """A workout walked on (each reply played out) until a reply holds a window of ``kind``, not its last."""
    alexa = Alexa()
    heard = alexa.say("StartWorkoutIntent", area="lower_back", level="beginner", place="home", duration="PT20M")
    for _ in range(40):
        found = [w for w in windows(heard) if w.kind == kind and w.seconds >= 1.0]
        # A later exercise than the first, so that "previous" and "skip" have somewhere to go.
        found = [w for w in found if w.step > 0] or found
        if found:
            return alexa, heard, found[0]
        heard = alexa.say("AMAZON.NextIntent")
    raise AssertionError(f"no reply had a {kind} window")


CELLS = table()


def test_the_table_covers_every_command_and_window() -> None:
    assert {command for command, _, _ in CELLS} == set(COMMANDS)
    assert {column for _, column, _ in CELLS} == set(COLUMNS)
    assert len(CELLS) == len(COMMANDS) * len(COLUMNS)
    assert {word for _, _, word in CELLS} <= set(CHECKS)


@pytest.mark.parametrize(("command", "column", "word"), CELLS, ids=[f"{c}-{w}" for c, w, _ in CELLS])
def test_each_command_in_each_window_does_what_the_table_says(command: str, column: str, word: str) -> None:
    alexa, before, cut = reply_with(COLUMNS[column])
    at = cut.start + min(cut.seconds / 2, 4.0)
    intent, slots = COMMANDS[command]
    after = alexa.interrupt(at, intent, **slots)
    CHECKS[word](Moment(before, cut, at, after))
