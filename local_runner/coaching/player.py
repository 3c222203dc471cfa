"""Performs one reply of the skill: its phrases and timed windows, on the coach's clock.

The reply's SSML has been read back into phrases at fixed times (``skill.speech.Timeline``)
and the session attributes say which timed windows (holds, reps, rests) it holds. The player
waits for each moment in turn on one monotonic clock, measured from the reply's start, and
hands phrases to the speech output and the screen, neither of which may block it. A line the
person types ends the reply at once, as Alexa stops talking when interrupted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Sequence

    from local_runner.coaching.clock import Typed, Waiter
    from skill.speech import Timeline, Window

# Moments closer together than this are handled together.
SAME_MOMENT = 0.0005


class SpeechOut(Protocol):
    """Where phrases are spoken; every call returns at once."""

    def prepare(self, texts: Sequence[str]) -> None: ...

    def say(self, text: str) -> None: ...

    def stop(self) -> None: ...


class Silent:
    """Speech output for --text, or when no audio can play."""

    def prepare(self, texts: Sequence[str]) -> None:
        return None

    def say(self, text: str) -> None:
        return None

    def stop(self) -> None:
        return None


class ReplyView(Protocol):
    """What the person sees while a reply plays."""

    def reply_started(self, windows: Sequence[Window]) -> None: ...

    def said(self, text: str, at: float) -> None: ...

    def window_started(self, window: Window, at: float) -> None: ...

    def window_ended(self, window: Window, at: float) -> None: ...

    def tick(self, at: float) -> None: ...

    def reply_ended(self, at: float, interrupted: bool) -> None: ...


@dataclass(frozen=True)
class Outcome:
    """How a reply went: played to the end, or cut short ``at`` seconds in by a typed line."""

    at: float
    typed: Typed | None = None

    @property
    def interrupted(self) -> bool:
        return self.typed is not None


@dataclass(frozen=True)
class _Event:
    at: float
    order: int  # ends before starts before phrases at the same moment
    kind: str
    text: str = ""
    window: Window | None = None


def schedule(timeline: Timeline, windows: Sequence[Window]) -> list[_Event]:
    """Every moment of a reply in order: window ends and starts, then phrases."""
    events = [_Event(s.at, 2, "say", text=s.text) for s in timeline.segments]
    for window in windows:
        events.append(_Event(window.start, 1, "start", window=window))
        events.append(_Event(window.end, 0, "end", window=window))
    events.sort(key=lambda e: (round(e.at, 4), e.order))
    return events


class Player:
    """Plays replies: phrases to ``speech`` and ``screen`` at their moments; ticks for a live screen."""

    def __init__(self, speech: SpeechOut, screen: ReplyView, tick_seconds: float | None = None) -> None:
        self.speech = speech
        self.screen = screen
        self.tick_seconds = tick_seconds  # coach seconds between screen updates; None: no ticks

    def perform(self, timeline: Timeline, windows: Sequence[Window], start: float, waiter: Waiter) -> Outcome:
        """Play ``timeline`` from ``start`` (coach seconds on ``waiter``'s clock) until it ends or is cut."""
        events = schedule(timeline, windows)
        self.speech.prepare([s.text for s in timeline.segments])
        self.screen.reply_started(windows)
        index = 0
        end = max([timeline.duration, *(e.at for e in events)])
        while True:
            elapsed = waiter.now() - start
            due = events[index].at if index < len(events) else end
            if self.tick_seconds is not None:
                due = min(due, elapsed + self.tick_seconds)
            typed = waiter.wait_until(start + due)
            elapsed = waiter.now() - start
            if typed is not None:
                self.speech.stop()
                self.screen.reply_ended(elapsed, interrupted=True)
                return Outcome(elapsed, typed)
            while index < len(events) and events[index].at <= elapsed + SAME_MOMENT:
                self._fire(events[index], elapsed)
                index += 1
            if self.tick_seconds is not None:
                self.screen.tick(elapsed)
            if index >= len(events) and elapsed >= end - SAME_MOMENT:
                self.screen.reply_ended(elapsed, interrupted=False)
                return Outcome(elapsed)

    def _fire(self, event: _Event, elapsed: float) -> None:
        if event.kind == "say":
            self.speech.say(event.text)
            self.screen.said(event.text, elapsed)
        elif event.kind == "start" and event.window is not None:
            self.screen.window_started(event.window, elapsed)
        elif event.window is not None:
            self.screen.window_ended(event.window, elapsed)
