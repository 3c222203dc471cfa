"""What a screen shows: a workout card, and a timeline that keeps it in step with the speech.

The card and the timeline are the datasources of ``apl/workout.json``. When the document
mounts, its own commands (``RunTimeline``, ``Countdown``, ``CountReps``, ``ShowCues``) walk
the timeline, built from the same timed windows and cues as the SSML: they update the
exercise, set, side, phase, cue and next-up texts and tick the countdown on the device,
so it needs no extra requests. Every other reply shows a still card with what was said.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skill.speech import Window

if TYPE_CHECKING:
    from skill.coach import Coach
    from skill.speech import Script
    from skill.workout import WorkoutState

DOCUMENT_PATH = Path(__file__).parent / "apl" / "workout.json"
TOKEN = "strong-back"
CARD_FIELDS = ("exercise", "detail", "clock", "phase", "cue", "next")
UNTIMED = frozenset({"intro", "prompt"})  # windows with no clock to count down on the card
# Cues whose words also belong on the screen while they are said.
SHOWN_CUES = frozenset({"hold.cue", "exercise.cue", "beat.before", "beat.lift", "beat.top", "beat.lower"})


@cache
def _document_text() -> str:
    return DOCUMENT_PATH.read_text(encoding="utf-8")


def document() -> dict[str, Any]:
    """The APL document: read from disk once, a fresh copy for every reply (nothing shared to change)."""
    loaded: dict[str, Any] = json.loads(_document_text())
    return loaded


@dataclass(frozen=True)
class WorkoutCard:
    """A card to render, and the timed steps and cues that animate it (none for a still card)."""

    card: dict[str, Any]
    steps: list[dict[str, Any]] = field(default_factory=list)
    cues: list[dict[str, Any]] = field(default_factory=list)

    @property
    def datasources(self) -> dict[str, Any]:
        return {"card": self.card, "timeline": {"steps": self.steps, "cues": self.cues}}


def _ms(seconds: float) -> int:
    return max(0, round(seconds * 1000))


class ScreenBuilder:
    """Builds screens for one locale from the coach's dialog."""

    def __init__(self, coach: Coach) -> None:
        self.coach = coach

    def _button(self, event: str) -> dict[str, str]:
        return {"event": event, "label": self.coach.text(f"screen.button_{event}")}

    def _detail(self, state: WorkoutState, window: Window) -> str:
        step = state.steps[window.step]
        text = self.coach.text("screen.set", number=str(window.set + 1), sets=str(step.sets))
        if step.sides == 2 and window.kind != "rest":
            side = self.coach.text("screen.side_right" if window.side else "screen.side_left")
            text = self.coach.text("screen.detail_side", set=text, side=side)
        return text

    def _next(self, state: WorkoutState, window: Window) -> str:
        if window.kind == "rest" and window.set + 1 < state.steps[window.step].sets:
            return self.coach.text("screen.next_set", number=str(window.set + 2))
        following = window.step + 1
        if following < len(state.steps):
            return self.coach.text("screen.next", name=state.steps[following].info.name.capitalize())
        return self.coach.text("screen.last")

    def _phase(self, state: WorkoutState, window: Window) -> str:
        step = state.steps[window.step]
        if window.kind == "work":
            return self.coach.text("screen.hold") if step.is_hold else self.coach.text("screen.reps", reps=step.reps)
        return self.coach.text(f"screen.{window.kind}")

    def _texts(self, state: WorkoutState, window: Window) -> dict[str, str]:
        step = state.steps[window.step]
        texts = {
            "exercise": step.info.name.capitalize(),
            "detail": self._detail(state, window),
            "phase": self._phase(state, window),
            "next": self._next(state, window),
        }
        if window.kind in UNTIMED:
            texts["cue"] = step.info.cues[0]
            texts["clock"] = ""
        return texts

    def workout(self, state: WorkoutState, script: Script) -> WorkoutCard:
        """The card for a reply that performs sets, with its timeline."""
        windows = sorted(script.windows, key=lambda w: w.start)
        if not windows:
            return self.still(state, script, paused=False)
        first = self._texts(state, windows[0])
        card: dict[str, Any] = {name: first.get(name, "") for name in CARD_FIELDS}
        card["cue"] = card["cue"] or state.steps[windows[0].step].info.cues[0]
        card["buttons"] = [self._button("pause"), self._button("next")]
        shown = dict(card)
        steps: list[dict[str, Any]] = []
        clock = 0  # milliseconds the device's commands have used so far
        for window in windows:
            texts = {name: text for name, text in self._texts(state, window).items() if shown.get(name) != text}
            shown.update(texts)
            step: dict[str, Any] = {"wait": max(0, _ms(window.start) - clock), **texts}
            clock += step["wait"]
            steps.append(step)
            if window.kind not in UNTIMED:
                first, *more = self._count(state, window)
                step.update(first)
                steps.extend(more)
                clock += sum(_count_ms(s) + int(s.get("wait", 0)) for s in (first, *more)) - int(first.get("wait", 0))
        cues: list[dict[str, Any]] = []
        said = 0
        for cue in script.cues:
            if cue.key in SHOWN_CUES:
                cues.append({"wait": max(0, _ms(cue.at) - said), "text": cue.text})
                said += cues[-1]["wait"]
        return WorkoutCard(card, steps, cues)

    @staticmethod
    def _count(state: WorkoutState, window: Window) -> list[dict[str, Any]]:
        """Timeline steps that take exactly the window's time: a countdown, or the reps counted up."""
        step = state.steps[window.step]
        if window.kind == "work" and not step.is_hold and step.reps:
            return [{"count": "reps", "reps": step.reps, "every": _ms(window.seconds / step.reps)}]
        whole = int(window.seconds)
        fraction = _ms(window.seconds - whole)
        if fraction:  # show the second that has begun, then count down the whole ones
            return [{"clock": str(whole + 1)}, {"wait": fraction, "count": "down", "seconds": whole}]
        return [{"count": "down", "seconds": whole}]

    def still(
        self, state: WorkoutState | None, script: Script, paused: bool = True, buttons: bool = True
    ) -> WorkoutCard:
        """A card that shows what the coach just said: mid-workout with a resume button, else start."""
        caption = script.text()
        if state is None or state.current is None:
            card: dict[str, Any] = {name: "" for name in CARD_FIELDS}
            start = [self._button("start")] if buttons else []
            card.update(exercise=self.coach.text("screen.title"), cue=caption, buttons=start)
            return WorkoutCard(card)
        step = state.current
        pos = state.pos
        detail = self.coach.text("screen.set", number=str(pos.set + 1), sets=str(step.sets))
        card = {
            "exercise": step.info.name.capitalize(),
            "detail": detail,
            "clock": str(round(pos.remaining)) if pos.remaining else "",
            "phase": self.coach.text("screen.paused") if paused else "",
            "cue": caption,
            "next": self._next(state, _window_at(state)),
            "buttons": [self._button("resume"), self._button("next")] if buttons else [],
        }
        return WorkoutCard(card)


def delay_timeline(datasources: dict[str, Any], seconds: float) -> None:
    """Start a screen's timeline later, when something is now said before the reply it follows."""
    timeline = datasources.get("timeline") or {}
    for name in ("steps", "cues"):
        items = timeline.get(name) or []
        if items:
            items[0]["wait"] = int(items[0].get("wait", 0)) + _ms(seconds)


def _count_ms(step: dict[str, Any]) -> int:
    """Milliseconds a timeline step's counting takes on the device (its wait is counted apart)."""
    if step.get("count") == "down":
        return int(step["seconds"]) * 1000
    if step.get("count") == "reps":
        return int(step["reps"]) * int(step["every"])
    return 0


def _window_at(state: WorkoutState) -> Window:
    return Window("intro", 0.0, 0.0, state.pos.step, state.pos.set, state.pos.side)
