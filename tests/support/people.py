"""Simulated people doing whole workouts, for the concurrency tests and the load benchmark.

A ``Person`` drives the ``tests.support.alexa.Alexa`` double (one device: its own session and clock)
through a routine of their own: open the skill, start the workout, step through it to the end
(``next`` after listening to a reply, ``skip`` now and then), later ask for their progress.
Every reply is checked against what this person did: the workout in the reply is theirs, the
finish counts their exercises and skips, the progress counts their workouts. ``expected()`` is
what their stored document must then hold.

The transport is the double's ``handler``: the real ``lambda_handler`` in this process, or
``SignedHttp``, which posts each envelope to a served endpoint with a real signature made with
the test PKI (tests/support/web_pki.py). Over HTTP every request must be stamped within 150 seconds of
the server's clock, so a ``ClockWindow`` keeps the person's clock near real time: where listening
to a whole reply would take the clock too far ahead, the person says ``next`` as its first set
ends, or ``skip``, always leaving room to hear out a reply that finishes the workout.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from skill.numbers import spoken
from skill.workout import REPLY_LAG_SECONDS
from tests.support.alexa import Alexa, Heard, readable

ROUTINES = [
    (area, level, place)
    for area in ("lower_back", "upper_back", "full_back")
    for level in ("beginner", "intermediate", "advanced")
    for place in ("home", "gym")
]


LONGEST_REPLY_SECONDS = 245.0  # Alexa plays at most 240 s of audio in one reply; and a moment to answer
MAX_WAIT_SECONDS = 10.0  # the longest a person over HTTP waits for the real clock


class Mismatch(AssertionError):
    """A reply that is not what this person should have heard (someone else's, or wrong)."""


@dataclass(frozen=True)
class Routine:
    area: str
    level: str
    place: str
    duration: str  # AMAZON.DURATION, e.g. PT5M

    @classmethod
    def number(cls, n: int, durations: tuple[str, ...] = ("PT5M", "PT10M")) -> Routine:
        """The n-th of the 18 areas, levels and places, with one of ``durations``."""
        area, level, place = ROUTINES[n % len(ROUTINES)]
        return cls(area, level, place, durations[n // len(ROUTINES) % len(durations)])

    @property
    def minutes(self) -> int:
        return int(self.duration.removeprefix("PT").removesuffix("M"))


@dataclass
class ClockWindow:
    """Keeps request timestamps within ``limit`` seconds of real time (Alexa's rule allows 150)."""

    limit: float = 145.0

    def now(self) -> datetime:
        return datetime.now(UTC)

    def lowest(self) -> datetime:
        return self.now() - timedelta(seconds=self.limit)

    def fits(self, moment: datetime) -> bool:
        return moment <= self.now() + timedelta(seconds=self.limit)


@dataclass
class Latency:
    """Seconds per request and what went wrong, by kind; shared by a transport's threads."""

    seconds: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float) -> None:
        with self.lock:
            self.seconds.append(seconds)

    def error(self, kind: str) -> None:
        with self.lock:
            self.errors[kind] = self.errors.get(kind, 0) + 1


class TransportError(Exception):
    """The request did not get a 200 with a JSON body; ``kind`` says how (for counting)."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind


class SignedHttp:
    """A handler for the Alexa double that posts envelopes, signed as Alexa signs them, to ``url``."""

    def __init__(self, url: str, latency: Latency | None = None, timeout: float = 10.0) -> None:
        from tests.support.web_pki import signed

        self.url = url
        self.sign = signed
        self.latency = latency or Latency()
        self.timeout = timeout
        self.session = requests.Session()  # one keep-alive connection per device, as a client would

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        sent = self.sign(json.dumps(event).encode())
        started = time.perf_counter()
        try:
            response = self.session.post(self.url, data=sent.body, headers=sent.headers, timeout=self.timeout)
        except requests.Timeout as error:
            raise TransportError("timeout", str(error)) from None
        except requests.ConnectionError as error:
            raise TransportError("connection", str(error)) from None
        self.latency.add(time.perf_counter() - started)
        if response.status_code != 200:
            reason = response.json().get("reason") if "json" in response.headers.get("Content-Type", "") else None
            kind = f"http-{response.status_code}" + (f" {reason}" if isinstance(reason, str) else "")
            raise TransportError(kind, response.text[:200])
        try:
            body: dict[str, Any] = response.json()
        except ValueError:
            raise TransportError("not-json", response.text[:200]) from None
        return body


@dataclass
class Done:
    """One finished workout as this person knows it."""

    id: str
    routine: Routine
    steps: int
    skipped: int


class Person:
    """One device of one person: an Alexa double, a routine, and what they have done so far."""

    def __init__(
        self,
        alexa: Alexa,
        routine: Routine,
        *,
        window: ClockWindow | None = None,
        skip_every: int = 0,
        ask_every: int = 0,
        earlier: list[Done] | None = None,
    ) -> None:
        self.alexa = alexa
        self.routine = routine
        self.window = window
        self.skip_every = skip_every  # 0: only skip when the clock window says so
        self.ask_every = ask_every  # now and then "how many are left?" instead of moving on (0: never)
        self.done: list[Done] = earlier if earlier is not None else []  # shared by a person's devices
        self.requests = 0
        self.workout: dict[str, Any] | None = None  # the workout in progress, as its replies carry it
        self.skips = 0
        self.finished = False
        self._reply_started = alexa.now

    @property
    def user(self) -> str:
        return self.alexa.user

    # ----- what the person does ------------------------------------------------------------
    def open(self) -> Heard:
        return self._send(self.alexa.open)

    def start(self) -> Heard:
        """Start this person's routine; the reply must be that workout's first block."""
        r = self.routine
        heard = self._say("StartWorkoutIntent", area=r.area, level=r.level, place=r.place, duration=r.duration)
        workout = heard.attributes.get("workout") or {}
        if heard.ends_session or (workout.get("area"), workout.get("level"), workout.get("place")) != (
            r.area,
            r.level,
            r.place,
        ):
            raise Mismatch(f"{self.user}: started {r} but the reply carries {_brief(workout)}")
        if workout.get("minutes") != r.minutes:
            raise Mismatch(f"{self.user}: asked for {r.minutes} minutes, got {workout.get('minutes')}")
        self.workout, self.skips, self.finished = workout, 0, False
        return heard

    def step(self) -> Heard:
        """One step on through the workout, checked: "how many are left?" now and then, otherwise
        ``next`` after listening to the last reply, ``next`` in the middle of its first set (that set
        counts as done), or ``skip``, whichever the clock window leaves room for."""
        assert self.workout is not None and not self.finished
        if self.ask_every and self.requests % self.ask_every == 0:
            heard = self._say("WorkoutStatusIntent")
            if "after this one" not in heard:
                raise Mismatch(f"{self.user}: asked how many are left and heard {heard.text!r}")
            self._check_mine(heard)
            return heard
        cut = self._end_of_first_set()
        if self.skip_every and self.requests % self.skip_every == 0:
            heard = self._skip()
        elif self._room(self._listened_until()):
            heard = self._send(lambda: self.alexa.say("AMAZON.NextIntent"))
        elif cut is not None and self._room(self._reply_started + timedelta(seconds=cut + REPLY_LAG_SECONDS)):
            heard = self._send(lambda: self.alexa.interrupt(cut, "AMAZON.NextIntent"))
        else:
            heard = self._skip()
        if heard.finished:
            self._check_finish(heard)
        else:
            self._check_mine(heard)
        return heard

    def whole_workout(self, limit: int = 80) -> None:
        self.start()
        for _ in range(limit):
            self.step()
            if self.finished:
                return
        raise Mismatch(f"{self.user}: the workout did not finish in {limit} steps")

    def rest(self, hours: float = 3) -> None:
        """Time passes before the next workout (over HTTP the clock must stay near real time: none does)."""
        if self.window is None:
            self.alexa.wait(hours=hours)

    def progress(self) -> Heard:
        """Ask how they are doing (in a new session); the count must be this person's."""
        self.alexa.session = None
        heard = self._say("ProgressIntent")
        count = sum(1 for done in self.done if done.skipped < done.steps)  # all skipped: not counted as done
        words = "one workout" if count == 1 else f"{spoken(count)} workouts"
        if count and f"finished {words}" not in heard:
            finished = [done.id for done in self.done]
            raise Mismatch(f"{self.user}: has finished {count} workouts of {finished} but heard {heard.text!r}")
        if not count and "haven't finished a workout" not in heard:
            raise Mismatch(f"{self.user}: has finished none but heard {heard.text!r}")
        return heard

    def expected(self) -> dict[str, Done]:
        return {done.id: done for done in self.done}

    # ----- checks and plumbing ----------------------------------------------------------------
    def _check_mine(self, heard: Heard) -> None:
        assert self.workout is not None
        workout = heard.attributes.get("workout") or {}
        if workout.get("id") != self.workout["id"] or workout.get("steps") != self.workout["steps"]:
            raise Mismatch(f"{self.user}: in workout {self.workout['id']} but the reply carries {_brief(workout)}")

    def _check_finish(self, heard: Heard) -> None:
        assert self.workout is not None
        total = len(self.workout["steps"])
        skipped = min(self.skips, total)
        if total == skipped:  # nothing done: the coach says it won't count it
            summary = "every exercise was skipped"
        else:
            summary = f"completed {spoken(total - skipped)} of {spoken(total)} exercise{'s' if total != 1 else ''}"
        if summary not in heard:
            raise Mismatch(f"{self.user}: expected {summary!r} at the finish, heard {heard.text!r}")
        self.done.append(Done(self.workout["id"], self.routine, total, skipped))
        self.finished, self.workout = True, None

    def _listened_until(self) -> datetime:
        """When the person speaks again after listening to the whole last reply (as the Alexa double counts it)."""
        playing = self.alexa.last.duration if self.alexa.last else 0.0
        return self._reply_started + timedelta(seconds=playing + REPLY_LAG_SECONDS + 1)

    def _room(self, moment: datetime) -> bool:
        """Whether a request at ``moment`` leaves room in the window to listen to a whole reply after it.

        Any reply may be the one that finishes the workout, and the next request must come after
        that reply has played: a request during it would cut the finish short and reopen the workout.
        """
        return self.window is None or self.window.fits(moment + timedelta(seconds=LONGEST_REPLY_SECONDS))

    def _end_of_first_set(self) -> float | None:
        """Seconds into the last reply at which its first set is all but done, if it has one."""
        carried = readable(self.alexa.attributes)  # as sent back to the skill, the workout as JSON text
        block = (carried.get("workout") or {}).get("block") or {}
        work = [window for window in block.get("windows", []) if window[0] == "work"]
        return float(work[0][1] + work[0][2] - 1.0) if work else None

    def _skip(self) -> Heard:
        heard = self._interrupt("SkipExerciseIntent")
        self.skips += 1
        return heard

    def _say(self, intent: str, **slots: str) -> Heard:
        """Say something after the last reply; mid-workout, over it where the window leaves no room to listen.

        Once a workout has finished, its last reply is always heard out (waiting for the real clock if
        need be): speaking during it would reopen the workout."""
        if self.window is not None and self.alexa.last is not None and self.workout is None:
            wait = (self._listened_until() - self.window.now()).total_seconds() - self.window.limit
            if wait > MAX_WAIT_SECONDS:  # a harness limit, not the skill's: say so rather than wait minutes
                raise RuntimeError(
                    f"{self.user}: hearing out the last reply needs {wait:.0f} s more than Alexa's timestamp window "
                    "allows; over HTTP a person does one workout (two finishes do not fit in 290 s)"
                )
            if wait > 0:
                time.sleep(wait)
        if self.alexa.last is None or self.workout is None or self._room(self._listened_until()):
            return self._send(lambda: self.alexa.say(intent, **slots))
        return self._interrupt(intent, **slots)

    def _interrupt(self, intent: str, **slots: str) -> Heard:
        """Say something as the last reply starts (at the very moment it started, if the window is short of room)."""
        room = self._room(self._reply_started + timedelta(seconds=REPLY_LAG_SECONDS))
        return self._send(lambda: self.alexa.interrupt(0.0 if room else -REPLY_LAG_SECONDS, intent, **slots))

    def _send(self, action: Any) -> Heard:
        if self.window is not None:
            lowest = self.window.lowest()
            if self.alexa.now < lowest:
                self.alexa.now = lowest  # the person waited
        heard: Heard = action()
        self._reply_started = self.alexa.now
        self.requests += 1
        if "couldn't save your progress" in heard:
            raise Mismatch(f"{self.user}: storage failed: {heard.text[:200]!r}")
        return heard


def _brief(workout: dict[str, Any]) -> str:
    keys = ("id", "area", "level", "place", "minutes")
    return "{" + ", ".join(f"{k}={workout.get(k)!r}" for k in keys) + "}" if workout else "no workout"


def check_stored(
    user: str, document: dict[str, Any] | None, expected: dict[str, Done], *, in_progress: bool = False
) -> None:
    """The stored document holds exactly this person's finished workouts (and, unless ``in_progress``
    says one may have been left running, no workout in progress)."""
    from skill.progress import UserData

    if document is None and in_progress and not expected:
        return  # stopped before anything was saved
    if document is None:
        raise Mismatch(f"{user}: nothing stored")
    data = UserData.from_attributes(document)
    if data.recovered:
        raise Mismatch(f"{user}: the stored document is damaged: {document!r}")
    found = {record.id: record for record in data.history}
    if set(found) != set(expected) or len(data.history) != len(expected):
        raise Mismatch(f"{user}: stored workouts {sorted(map(str, found))}, expected {sorted(expected)}")
    for workout_id, done in expected.items():
        record = found[workout_id]
        r = done.routine
        if (record.area, record.level, record.place, record.minutes) != (r.area, r.level, r.place, r.minutes):
            raise Mismatch(f"{user}: record {workout_id} is {record}, not {r}")
        if (record.completed, record.skipped) != (done.steps - done.skipped, done.skipped):
            raise Mismatch(f"{user}: record {workout_id} counts {record.completed}/{record.skipped}, not {done}")
    kept_finished = data.workout is not None and data.workout.status == "finished" and data.workout.id in expected
    if data.workout is not None and not in_progress and not kept_finished:
        raise Mismatch(f"{user}: a workout is still in progress: {data.workout.id} ({data.workout.status})")
    if data.first_seen is None and (expected or data.workout is not None):
        raise Mismatch(f"{user}: first_seen is missing")
