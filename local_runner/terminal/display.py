"""What the person sees: the coach's words as they are said, and where the workout stands.

``LiveScreen`` (a terminal) keeps the words scrolling above a two-line footer that is redrawn
in place: the exercise, set and side with a countdown bar, and the prompt with what the person
is typing. Only what changed is redrawn, and only when it changed, so nothing flickers; every
footer line is cut to the terminal's width, so a narrow terminal stays tidy. ``PlainScreen``
(a pipe or a file) prints plain lines: each phrase, and a marker line when a hold, a set of
reps or a rest begins.
"""

from __future__ import annotations

import shutil
import sys
import textwrap
import threading
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from local_runner.coaching import messages

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from skill.speech import Window

BAR_FULL = "█"
BAR_EMPTY = "░"


@dataclass(frozen=True)
class StepLabel:
    """What the screen needs to know about one step of the workout."""

    name: str
    sets: int
    sides: int
    hold_seconds: int | None
    reps: int | None


def step_labels(attributes: dict[str, Any]) -> list[StepLabel]:
    """The steps of the workout carried in the session attributes (empty when there is none)."""
    from skill.workout import state_from_json

    state = state_from_json(attributes.get("workout"))
    if state is None:
        return []
    return [StepLabel(s.info.name, s.sets, s.sides, s.hold_seconds, s.reps) for s in state.steps]


def clock_text(seconds: float) -> str:
    whole = max(0, int(seconds + 0.999))
    return f"{whole // 60}:{whole % 60:02d}"


def window_title(window: Window, steps: Sequence[StepLabel]) -> str:
    """``Side plank · set 2 of 3 · side 2 of 2 · hold`` for a window of a reply."""
    step = steps[window.step] if 0 <= window.step < len(steps) else None
    if window.kind == "rest":
        return "Rest"
    if step is None:
        return window.kind.capitalize()
    parts = [step.name[:1].upper() + step.name[1:]]
    if window.kind == "intro" and window.set == 0 and window.side == 0:
        parts.append(f"exercise {window.step + 1} of {len(steps)}")
    else:
        parts.append(f"set {window.set + 1} of {step.sets}")
    if step.sides == 2 and window.kind != "intro":
        parts.append(f"side {window.side + 1} of 2")
    if window.kind == "work":
        parts.append("hold" if step.hold_seconds is not None else f"{step.reps} reps")
    elif window.kind == "switch":
        parts.append("switch sides")
    elif window.kind == "lead":
        parts.append("get ready")
    return " · ".join(parts)


def length_text(seconds: float) -> str:
    """``20 s`` or ``1 min 30 s``: how long a timed part lasts, to the nearest second."""
    whole = max(0, round(seconds))
    minutes, rest = divmod(whole, 60)
    if not minutes:
        return f"{rest} s"
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


def bar(fraction: float, width: int) -> str:
    """A countdown bar ``width`` cells wide, full at the start, empty at the end."""
    width = max(0, width)
    full = round(width * min(1.0, max(0.0, 1.0 - fraction)))
    return BAR_FULL * full + BAR_EMPTY * (width - full)


def status_line(window: Window | None, steps: Sequence[StepLabel], elapsed: float, width: int) -> str:
    """One footer line: title, a bar and the time left of a timed window, cut to ``width``."""
    if window is None:
        return ""
    title = window_title(window, steps)
    if window.kind in ("intro", "prompt"):
        return title[:width]
    left = clock_text(window.end - elapsed)
    room = width - len(title) - len(left) - 4
    if room >= 8:
        fraction = (elapsed - window.start) / window.seconds if window.seconds > 0 else 1.0
        return f"{title}  {bar(fraction, min(room, 40))} {left}"[:width]
    short = f"{title}  {left}"
    return short if len(short) <= width else f"{left} {title}"[:width]


class PlainScreen:
    """Plain lines for a pipe or a file: what is said, and a marker where a timed part begins."""

    live = False

    def __init__(self, out: IO[str] | None = None, err: IO[str] | None = None, prompts: bool = False) -> None:
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.prompts = prompts
        self.steps: list[StepLabel] = []

    def _print(self, line: str) -> None:
        self.out.write(line + "\n")
        self.out.flush()

    def use_steps(self, steps: list[StepLabel]) -> None:
        self.steps = steps

    def reply_started(self, windows: Sequence[Window]) -> None:
        return None

    def said(self, text: str, at: float) -> None:
        self._print(text)

    def window_started(self, window: Window, at: float) -> None:
        if window.kind in ("work", "rest", "switch"):
            self._print(f"[{window_title(window, self.steps)}: {length_text(window.seconds)}]")

    def window_ended(self, window: Window, at: float) -> None:
        return None

    def tick(self, at: float) -> None:
        return None

    def reply_ended(self, at: float, interrupted: bool) -> None:
        return None

    def heard(self, text: str, note: str = "") -> None:
        self._print(f"{messages.PROMPT}{text}{'  ' + note if note else ''}")

    def notice(self, text: str) -> None:
        self.err.write(f"strong-back: {text}\n")
        self.err.flush()

    def info(self, text: str) -> None:
        self._print(text)

    def waiting(self) -> None:
        if self.prompts:
            self.out.write(messages.PROMPT)
            self.out.flush()

    def typing(self, text: str) -> None:
        return None

    def close(self) -> None:
        return None


class LiveScreen:
    """A terminal: scrolling words above a footer redrawn in place (status line and prompt)."""

    live = True

    def __init__(self, out: IO[str] | None = None, columns: Callable[[], int] | None = None) -> None:
        self.out = out or sys.stdout
        self.columns = columns or (lambda: shutil.get_terminal_size((80, 24)).columns)
        self.steps: list[StepLabel] = []
        self.windows: list[Window] = []
        self.window: Window | None = None
        self.elapsed = 0.0
        self.typed = ""
        self.echo_typing = False  # True while the person's keystrokes are drawn by this screen
        self._footer: list[str] = []
        self._lock = threading.RLock()

    # ----- drawing --------------------------------------------------------------------------
    def _width(self) -> int:
        return max(20, self.columns()) - 1

    def _wanted_footer(self) -> list[str]:
        width = self._width()
        status = status_line(self.window, self.steps, self.elapsed, width)
        if not self.echo_typing:
            return [status] if status else []
        typed = self.typed[-(width - len(messages.PROMPT)) :] if self.typed else ""
        prompt = f"{messages.PROMPT}{typed}"[:width]
        return [status, prompt] if status else [prompt]

    def _clear_footer(self) -> str:
        if not self._footer:
            return ""
        up = f"\x1b[{len(self._footer) - 1}A" if len(self._footer) > 1 else ""
        return f"\r{up}\x1b[J"

    def _redraw(self, force: bool = False) -> None:
        footer = self._wanted_footer()
        if footer == self._footer and not force:
            return
        self.out.write(self._clear_footer() + "\n".join(footer))
        self._footer = footer
        self.out.flush()

    def _log(self, text: str) -> None:
        width = self._width()
        lines = textwrap.wrap(text, width=width, subsequent_indent="  ") or [""]
        self.out.write(self._clear_footer() + "\n".join(lines) + "\n")
        self._footer = []
        self._redraw(force=True)

    # ----- the player's screen ----------------------------------------------------------------
    def use_steps(self, steps: list[StepLabel]) -> None:
        self.steps = steps

    def reply_started(self, windows: Sequence[Window]) -> None:
        with self._lock:
            self.windows = list(windows)
            self.window = None
            self.elapsed = 0.0
            self._redraw()

    def said(self, text: str, at: float) -> None:
        with self._lock:
            self._log(text)

    def window_started(self, window: Window, at: float) -> None:
        with self._lock:
            self.window = window
            self.elapsed = at
            self._redraw()

    def window_ended(self, window: Window, at: float) -> None:
        with self._lock:
            if self.window == window:
                self.window = None
            self._redraw()

    def tick(self, at: float) -> None:
        with self._lock:
            self.elapsed = at
            self._redraw()

    def reply_ended(self, at: float, interrupted: bool) -> None:
        with self._lock:
            self.window = None
            self._redraw()

    # ----- the rest of the conversation ------------------------------------------------------
    def heard(self, text: str, note: str = "") -> None:
        with self._lock:
            self.typed = ""
            self._log(f"{messages.PROMPT}{text}{'  ' + note if note else ''}")

    def notice(self, text: str) -> None:
        with self._lock:
            self._log(f"strong-back: {text}")

    def info(self, text: str) -> None:
        with self._lock:
            self._log(text)

    def waiting(self) -> None:
        with self._lock:
            self._redraw()

    def typing(self, text: str) -> None:
        with self._lock:
            self.typed = text
            self._redraw()

    def close(self) -> None:
        with self._lock:
            if self._footer:
                self.out.write(self._clear_footer())
                self._footer = []
                self.out.flush()
