"""Clients that hold connections open on purpose, for the endpoint's tests and ``bench_load --attack``.

- idle: connects and sends nothing;
- drip: sends a POST's headers (``Content-Length: 400``) and then its body one byte at a time;
- slowloris: sends a request line and then one more header line at a time, never ending the headers.

Each runs on its own thread against 127.0.0.1 only, and stops at ``until`` (a ``time.monotonic()``
deadline) or when the server answers or closes the connection: ``outcomes`` then says how, and
after how many seconds. With ``again=True`` a client whose connection ended opens a new one, so the
attack keeps its strength for as long as it lasts.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field

KINDS = ("idle", "drip", "slowloris")


@dataclass(frozen=True)
class Outcome:
    """How one attacking connection ended: ``answer`` is the start of the reply, b"" if the server just closed."""

    kind: str
    seconds: float
    answer: bytes

    @property
    def status(self) -> int | None:
        parts = self.answer.split(b"\r\n", 1)[0].split(b" ", 2)
        return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


@dataclass
class SlowClients:
    """``counts`` connections of each kind to ``127.0.0.1:port``, sending a byte or a line every ``interval`` s."""

    port: int
    counts: dict[str, int]
    until: float
    interval: float = 0.9
    again: bool = False
    outcomes: list[Outcome] = field(default_factory=list)
    failed_to_connect: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def __post_init__(self) -> None:
        unknown = set(self.counts) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown kinds of slow client: {sorted(unknown)}")

    def start(self) -> SlowClients:
        for kind, count in self.counts.items():
            for _ in range(count):
                thread = threading.Thread(target=self._run, args=(kind,), daemon=True)
                thread.start()
                self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(self.interval + 5)

    def __enter__(self) -> SlowClients:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def ended(self, kind: str) -> list[Outcome]:
        with self._lock:
            return [outcome for outcome in self.outcomes if outcome.kind == kind]

    def _running(self) -> bool:
        return not self._stop.is_set() and time.monotonic() < self.until

    def _run(self, kind: str) -> None:
        while self._running():
            try:
                connection = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            except OSError:
                with self._lock:
                    self.failed_to_connect += 1
                self._stop.wait(self.interval)
                continue
            with connection:
                outcome = self._hold(kind, connection)
            if outcome is not None:
                with self._lock:
                    self.outcomes.append(outcome)
            if not self.again:
                return

    def _hold(self, kind: str, connection: socket.socket) -> Outcome | None:
        """Keep the connection busy until the server answers or closes it (an Outcome) or time is up (None)."""
        started = time.monotonic()
        connection.settimeout(self.interval)
        sent = 0
        try:
            if kind == "drip":
                connection.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 400\r\n\r\n")
            elif kind == "slowloris":
                connection.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            while self._running():
                if kind == "drip" and sent < 399:
                    connection.sendall(b" ")
                elif kind == "slowloris":
                    connection.sendall(b"X-Slow-%d: y\r\n" % sent)
                sent += 1
                try:
                    answer = connection.recv(4096)
                except TimeoutError:
                    continue
                seconds = time.monotonic() - started
                return Outcome(kind, seconds, answer + _rest(connection) if answer else b"")
        except OSError:  # reset by the server
            return Outcome(kind, time.monotonic() - started, b"")
        return None


def _rest(connection: socket.socket, limit: int = 16384) -> bytes:
    """What else the server sends before it closes the connection (the reply's body), briefly."""
    rest = b""
    try:
        while len(rest) < limit and (chunk := connection.recv(4096)):
            rest += chunk
    except OSError:
        pass
    return rest
