"""The coach's clock and the waits the player makes on it.

Everything the player schedules is a moment on one monotonic clock, in *coach seconds*
(real seconds times ``--speed``), measured from a fixed origin: a phrase due 30 s into a reply
is waited for until ``start + 30``, never by adding up sleeps, so nothing the speech engine or
the terminal does can make a hold drift. A wait ends early when the person types a line.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable

# Below this much real time left, the last stretch of a wait is spun rather than slept, so a
# moment is met to well under a millisecond whatever the scheduler's sleep granularity.
SPIN_SECONDS = 0.0015


class VirtualClock:
    """Monotonic time that runs ``speed`` times faster than real time (for --speed and tests)."""

    def __init__(self, speed: float = 1.0, monotonic: Callable[[], float] = time.monotonic) -> None:
        if not speed > 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._monotonic = monotonic
        self._origin = monotonic()
        self._start = datetime.now(UTC)

    def seconds(self) -> float:
        """Coach seconds since this clock started."""
        return (self._monotonic() - self._origin) * self.speed

    def now(self) -> datetime:
        """The wall-clock moment for the coach's time (what a request is stamped with)."""
        return self.moment(self.seconds())

    def moment(self, seconds: float) -> datetime:
        """The wall-clock moment of a coach second of this clock."""
        return self._start + timedelta(seconds=seconds)

    def real_seconds(self, coach_seconds: float) -> float:
        return coach_seconds / self.speed


@dataclass(frozen=True)
class Typed:
    """A line the person typed; ``text`` None means their input ended (Ctrl-D, end of a pipe).

    ``typing``: not a line yet, only its first key. Like "Alexa" said over a reply, it stops the
    reply at once; the line itself follows when Enter is pressed."""

    text: str | None
    typing: bool = False


class Inbox:
    """Lines typed by the person, in order, handed from the reading thread to the coach."""

    def __init__(self) -> None:
        self._lines: deque[Typed] = deque()
        self._ready = threading.Condition()

    def put(self, text: str | None) -> None:
        with self._ready:
            self._lines.append(Typed(text))
            self._ready.notify_all()

    def began_typing(self) -> None:
        """The first key of a line: whatever is playing stops now."""
        with self._ready:
            self._lines.append(Typed("", typing=True))
            self._ready.notify_all()

    def peek(self) -> Typed | None:
        with self._ready:
            return self._lines[0] if self._lines else None

    def take(self, timeout: float | None = None) -> Typed | None:
        """The next line, waiting up to ``timeout`` real seconds (None: for ever)."""
        with self._ready:
            if not self._lines:
                self._ready.wait(timeout)
            return self._lines.popleft() if self._lines else None

    def wait_for_line(self, timeout: float) -> bool:
        """Wait up to ``timeout`` real seconds for a line to be there; True if one is."""
        with self._ready:
            if not self._lines:
                self._ready.wait(timeout)
            return bool(self._lines)


class Waiter(Protocol):
    """What the player waits on: the coach's time, and lines that cut a wait short."""

    def now(self) -> float: ...

    def wait_until(self, moment: float) -> Typed | None:
        """Return at ``moment`` (coach seconds) with None, or earlier with what the person typed."""
        ...


def _sleep_until(clock: VirtualClock, moment: float, nap: Callable[[float], bool]) -> bool:
    """Wait for ``moment``, napping with ``nap(real_seconds)`` (True: woken for a reason)."""
    while True:
        left = clock.real_seconds(moment - clock.seconds())
        if left <= 0:
            return False
        if left > SPIN_SECONDS and nap(left - SPIN_SECONDS):
            return True
        # within SPIN_SECONDS of the moment: spin without sleeping


class TypedWaiter:
    """Interactive: any line the person types interrupts the wait."""

    def __init__(self, clock: VirtualClock, inbox: Inbox) -> None:
        self.clock = clock
        self.inbox = inbox

    def now(self) -> float:
        return self.clock.seconds()

    def wait_until(self, moment: float) -> Typed | None:
        if _sleep_until(self.clock, moment, self.inbox.wait_for_line) or self.inbox.peek() is not None:
            return self.inbox.take(0)
        return None


class ScriptedWaiter:
    """Piped input: only a line written ``@N command`` interrupts, N coach seconds into the reply.

    Other lines wait for the reply to finish. The next line is looked at afresh whenever a new
    one arrives, so a slow pipe is read in time.
    """

    def __init__(self, clock: VirtualClock, inbox: Inbox, reply_start: float) -> None:
        self.clock = clock
        self.inbox = inbox
        self.reply_start = reply_start

    def now(self) -> float:
        return self.clock.seconds()

    def _cut(self) -> tuple[float, str] | None:
        head = self.inbox.peek()
        cut = scripted_cut(head.text) if head is not None and head.text is not None else None
        return (self.reply_start + cut[0], cut[1]) if cut else None

    def _nap(self, seconds: float) -> bool:
        if self.inbox.peek() is None:
            return self.inbox.wait_for_line(seconds)
        time.sleep(seconds)
        return False

    def wait_until(self, moment: float) -> Typed | None:
        while True:
            cut = self._cut()
            due = cut is not None and cut[0] <= moment
            if _sleep_until(self.clock, cut[0] if cut and due else moment, self._nap):
                continue  # a line arrived: it may be an @N line
            if cut and due:
                self.inbox.take(0)
                return Typed(cut[1])
            return None


_SCRIPTED = re.compile(r"^@\s*(\d+(?:\.\d+)?)\s*s?\s+(\S.*)$")


def scripted_cut(text: str) -> tuple[float, str] | None:
    """``(12.0, "pause")`` for a piped line ``@12 pause``; None for an ordinary line."""
    match = _SCRIPTED.match(text.strip())
    return (float(match.group(1)), match.group(2).strip()) if match else None
