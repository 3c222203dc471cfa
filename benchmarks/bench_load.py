"""Load: many simulated people doing whole workouts at once through ``strong-back serve``.

Starts moto's DynamoDB server (its own process, on loopback), a local server for the test
signing chain, and ``strong-back serve`` (one process, 8 worker threads, storage in DynamoDB,
request verification on with the test PKI). Then ``--users`` people at once, each a
thread with their own keep-alive connection, do whole workouts (open, start, next or skip, "how
many are left?", progress; then the next person on that thread) with correctly signed requests,
checking that every reply is theirs; after the run each person's stored document must hold
exactly their finished workouts.

The baseline runs in the same run, served the same way: the smallest ask-sdk skill that reads
and writes its user's DynamoDB item on every request (ask-sdk's own DynamoDbAdapter), behind the
same endpoint and verification, on the same server with the same threads, driven by the same
number of people sending signed requests. ``GET /health`` shows the floor (HTTP server, Flask).
The load generator shares the machine's CPUs with the servers, alike for every phase.

``--attack`` adds a phase where the same people work out while 200 idle connections, 50 clients
dripping a body a byte every 0.9 s and 50 sending headers a line every 0.9 s
(tests/support/slow_clients.py, loopback only, for that phase only) hold the server's connections,
each reconnecting when the server closes it. Target: the people's p99 under 1 s and none of their requests failing.

Prints requests per second, p50 and p99 latency and errors by kind for each phase, and the skill
against the baseline. Exit status 1 when any request failed or was not what its person expected.
Usage: python benchmarks/bench_load.py [--users N] [--duration S] [--warmup S] [--routines R] [--attack]
(defaults: 20 people, 15 s measured per phase after 8 s of warm-up, 6 routines; about 70 s, 95 s with --attack)
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from collections.abc import Callable

    from flask import Flask

    from tests.support.moto_server import WorkoutTable
    from tests.support.people import Latency
    from tests.support.slow_clients import SlowClients

REPLY_BOUND_SECONDS = 6.0  # Alexa waits about 8 s
ATTACK = {"idle": 200, "drip": 50, "slowloris": 50}
ATTACK_P99_TARGET_MS = 1000.0
WORKOUTS_PER_PERSON = 1  # over HTTP one workout per person: a second finish would not fit in Alexa's 150 s window
START_WITHIN = 30.0


# ----- the baseline app (served in its own process by ``serve_baseline``) -------------------------------
def baseline_app() -> Flask:
    """The smallest ask-sdk skill with storage, behind the same endpoint."""
    import boto3
    from ask_sdk_core.skill_builder import CustomSkillBuilder
    from ask_sdk_dynamodb.adapter import DynamoDbAdapter

    from web import requestlog
    from web.app import build_app
    from web.settings import WebSettings

    requestlog.configure()
    resource = boto3.session.Session().resource("dynamodb", endpoint_url=os.environ["DYNAMODB_ENDPOINT_URL"])
    builder = CustomSkillBuilder(
        persistence_adapter=DynamoDbAdapter(os.environ["WORKOUT_TABLE"], dynamodb_resource=resource)
    )

    @builder.request_handler(can_handle_func=lambda handler_input: True)
    def answer(handler_input: Any) -> Any:
        manager = handler_input.attributes_manager
        stored = manager.persistent_attributes
        manager.persistent_attributes = {"requests": int(stored.get("requests", 0)) + 1}
        manager.save_persistent_attributes()
        return handler_input.response_builder.speak("<speak>Okay.</speak>").ask("<speak>Next?</speak>").response

    return build_app(WebSettings.from_env(), skill=builder.create())


# ----- servers ----------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def strong_back_command() -> list[str]:
    script = Path(sys.executable).parent / "strong-back"
    return [str(script)] if script.exists() else [sys.executable, "-m", "local_runner"]


def serve_baseline(port: int) -> None:
    """The baseline app on the server ``strong-back serve`` uses, with the same settings, until killed."""
    from web.server import make_server

    make_server(baseline_app(), "127.0.0.1", port).run()


def baseline_command(port: int) -> list[str]:
    return [sys.executable, "-c", f"from benchmarks.bench_load import serve_baseline; serve_baseline({port})"]


@dataclass
class Served:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def serve(command: list[str], env: dict[str, str], port: int, log: Path) -> Served:
    import requests

    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, env=env, stdout=sink, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + START_WITHIN
    while True:
        if process.poll() is not None:
            raise SystemExit(f"bench_load: the server stopped at start-up:\n{log.read_text(errors='replace')}")
        try:
            requests.get(f"{url}health", timeout=1)
            return Served(url, process, log)
        except requests.RequestException:  # not listening yet, or its workers still starting
            if time.monotonic() > deadline:
                stop(Served(url, process, log))
                raise SystemExit(f"bench_load: the server did not start:\n{log.read_text(errors='replace')}") from None
            time.sleep(0.1)


def stop(served: Served) -> None:
    if served.process.poll() is None:
        os.killpg(served.process.pid, signal.SIGTERM)
        try:
            served.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(served.process.pid, signal.SIGKILL)
            served.process.wait()


# ----- load ---------------------------------------------------------------------------------------------
@dataclass
class Phase:
    """What one phase measured: latencies of the measured window, errors by kind, requests, seconds."""

    name: str
    latency: Latency
    seconds: float
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds used in the measured window, by process
    workouts: int = 0
    people: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return len(self.latency.seconds)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latency.seconds)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000

    def cpu_per_request(self, name: str) -> float:
        """Milliseconds of CPU per request that ``name`` (server, moto, load) used."""
        return 1000 * self.cpu.get(name, 0.0) / self.requests if self.requests else float("nan")

    @property
    def errors(self) -> int:
        return sum(self.latency.errors.values())


def error_kind(error: Exception) -> str:
    from tests.support.people import Mismatch, TransportError

    if isinstance(error, TransportError):
        return error.kind
    if isinstance(error, Mismatch):
        return "wrong-reply"
    if isinstance(error, AssertionError):
        return "invalid-response"
    return type(error).__name__


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and all its descendants still running; 0 where /proc is missing."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
        used[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / ticks
    family, grew = {pid}, True
    while grew:
        more = {child for child, parent in parents.items() if parent in family} - family
        family |= more
        grew = bool(more)
    return sum(used.get(member, 0.0) for member in family)


@dataclass
class CpuProbe:
    """CPU seconds of the server, moto and this load generator, between ``start()`` and ``stop()``."""

    server: int
    moto: int
    used: dict[str, float] = field(default_factory=dict)

    def sample(self) -> dict[str, float]:
        return {"server": cpu_seconds(self.server), "moto": cpu_seconds(self.moto), "load": time.process_time()}

    def start(self) -> None:
        self.used = self.sample()

    def stop(self) -> None:
        self.used = {name: value - self.used.get(name, 0.0) for name, value in self.sample().items()}


def run_people(
    users: int,
    warmup: float,
    duration: float,
    act: Callable[[int, Latency, Callable[[], bool]], None],
    name: str,
    probe: CpuProbe,
) -> Phase:
    """``users`` threads each running ``act(number, latency, measuring)`` until the time is up.

    ``measuring()`` is called before each request: True inside the measured window, False during
    the warm-up, and it raises ``TimeUp`` at the end. A request counts if it started in the window.
    """
    from tests.support.people import Latency

    latency = Latency()
    start = time.monotonic()
    measure_from, end = start + warmup, start + warmup + duration

    def measuring() -> bool:
        now = time.monotonic()
        if now >= end:
            raise TimeUp
        return now >= measure_from

    threads = [threading.Thread(target=act, args=(n, latency, measuring), daemon=True) for n in range(users)]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, measure_from - time.monotonic()))
    probe.start()
    time.sleep(max(0.0, end - time.monotonic()))
    probe.stop()
    for thread in threads:
        thread.join(2 * REPLY_BOUND_SECONDS + 10)
    return Phase(name, latency, duration, cpu=dict(probe.used))


class TimeUp(Exception):
    """The phase is over."""


class Measured:
    """A transport wrapper: a request counts when it started inside the measured window."""

    def __init__(
        self, inner: Callable[[dict[str, Any], Any], dict[str, Any]], latency: Latency, measuring: Callable[[], bool]
    ) -> None:
        self.inner = inner
        self.latency = latency
        self.measuring = measuring

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        counted = self.measuring()
        started = time.perf_counter()
        try:
            return self.inner(event, context)
        finally:
            if counted:
                self.latency.add(time.perf_counter() - started)


def skill_people(
    url: str, routines: int, results: list[tuple[str, dict[str, Any]]]
) -> Callable[[int, Latency, Callable[[], bool]], None]:
    """Each thread: a person opens the skill, does a whole workout and asks for their progress; then
    the next person (a new user id) on the same thread, until the time is up.

    People use ``routines`` different routines: a server plans each routine once per process (then
    it is cached), and a short run should measure the steady state, not the first plans. Each
    person's user id and finished workouts go to ``results``, to check their documents after the run.
    """
    from tests.support.alexa import Alexa
    from tests.support.people import ClockWindow, Done, Person, Routine, SignedHttp

    def act(number: int, latency: Latency, measuring: Callable[[], bool]) -> None:
        routine = Routine.number((number % routines) * 7, ("PT10M", "PT15M"))
        while True:
            done: list[Done] = []
            window = ClockWindow()
            alexa = Alexa(user=f"amzn1.ask.account.load-{uuid.uuid4()}", start=window.lowest())
            alexa.handler = Measured(SignedHttp(url, timeout=REPLY_BOUND_SECONDS + 4), latency, measuring)
            who = Person(alexa, routine, window=window, ask_every=4, earlier=done)
            try:
                who.open()
                for _ in range(WORKOUTS_PER_PERSON):
                    who.whole_workout()
                who.progress()
            except TimeUp:
                return
            except Exception as error:  # counted by kind; the next person goes on
                latency.error(error_kind(error))
            finally:
                results.append((who.user, who.expected()))

    return act


def check_documents(table: WorkoutTable, results: list[tuple[str, dict[str, Any]]], phase: Phase) -> None:
    """Every person's stored document holds exactly their finished workouts: nothing lost, nothing foreign."""
    from tests.support.people import check_stored

    for user, expected in results:
        try:
            check_stored(user, table.document(user), expected, in_progress=True)
        except AssertionError as error:
            phase.latency.error("stored-document")
            phase.notes.append(str(error)[:300])
    phase.workouts = sum(len(expected) for _, expected in results)
    phase.people = len(results)


def baseline_people(url: str) -> Callable[[int, Latency, Callable[[], bool]], None]:
    """Each person: signed requests in a session (next, next, ...), a new session every ten."""
    from local_runner import envelopes
    from tests.support.alexa import check_response
    from tests.support.people import SignedHttp

    def act(number: int, latency: Latency, measuring: Callable[[], bool]) -> None:
        transport = Measured(SignedHttp(url, timeout=REPLY_BOUND_SECONDS + 4), latency, measuring)
        user = f"amzn1.ask.account.base-{uuid.uuid4()}"
        attributes: dict[str, Any] = {}
        session = envelopes.new_session_id()
        count = 0
        while True:
            new = count % 10 == 0
            if new:
                session, attributes = envelopes.new_session_id(), {}
            event = envelopes.envelope(
                envelopes.intent_request("AMAZON.NextIntent"),
                user_id=user,
                session_id=session,
                new=new,
                attributes=attributes,
                locale="en-US",
                moment=datetime.now(UTC),
            )
            try:
                heard = check_response(transport(event, None))
                attributes = heard.attributes
            except TimeUp:
                return
            except Exception as error:
                latency.error(error_kind(error))
            count += 1

    return act


def health_people(url: str) -> Callable[[int, Latency, Callable[[], bool]], None]:
    import requests

    def act(number: int, latency: Latency, measuring: Callable[[], bool]) -> None:
        session = requests.Session()
        while True:
            try:
                counted = measuring()
            except TimeUp:
                return
            started = time.perf_counter()
            try:
                response = session.get(f"{url}health", timeout=REPLY_BOUND_SECONDS)
                if response.status_code != 200:
                    latency.error(f"http-{response.status_code}")
            except requests.RequestException as error:
                latency.error(type(error).__name__)
            if counted:
                latency.add(time.perf_counter() - started)

    return act


def attack_summary(attack: SlowClients) -> str:
    """What the attackers got: how many of their connections the server ended, how, and how fast."""
    parts = []
    for kind in ("drip", "slowloris", "idle"):
        ended = attack.ended(kind)
        if ended:
            statuses = sorted({str(outcome.status or "closed") for outcome in ended})
            slowest = max(outcome.seconds for outcome in ended)
            parts.append(f"{kind}: {len(ended)} ended ({'/'.join(statuses)}) within {slowest:.1f} s")
        else:
            parts.append(f"{kind}: none ended")
    refused = f"; {attack.failed_to_connect} connects refused" if attack.failed_to_connect else ""
    held = ", ".join(f"{count} {kind}" for kind, count in ATTACK.items())
    return f"attack ({held}, reconnecting): " + "; ".join(parts) + refused


# ----- the run --------------------------------------------------------------------------------------------
@dataclass
class Setup:
    table: WorkoutTable
    env: dict[str, str]
    tmp: Path
    moto_pid: int


def environment(table: WorkoutTable, cert_origin: str) -> dict[str, str]:
    from tests.support.web_pki import SKILL_ID, root_file

    env = {k: v for k, v in os.environ.items() if k not in ("STRONG_BACK_DB", "AWS_PROFILE")}
    env.update(table.env)
    env.update(
        STRONG_BACK_TRUST_ROOTS=str(root_file()),
        STRONG_BACK_TEST_CERT_ORIGIN=cert_origin,
        SKILL_ID=SKILL_ID,
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    return env


def measured(
    setup: Setup, command: list[str], port: int, name: str, phases: list[Callable[[Served, CpuProbe], Phase]]
) -> list[Phase]:
    """Start the server, run the phases against it, stop it."""
    served = serve(command, setup.env, port, setup.tmp / f"{name}.log")
    probe = CpuProbe(served.process.pid, setup.moto_pid)
    try:
        return [run(served, probe) for run in phases]
    finally:
        stop(served)


def report(phases: list[Phase], args: argparse.Namespace) -> int:
    from web.server import THREADS

    cpus = os.cpu_count() or 0
    print(
        f"load: {args.users} people at once, one server process with {THREADS} worker threads, {args.duration:.0f} s "
        f"measured per phase after {args.warmup:.0f} s warm-up; moto's DynamoDB on loopback; {cpus} CPUs "
        "shared by servers, moto and the load generator"
    )
    print(f"{'':24}{'requests':>9}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}   CPU ms/request: server  moto  load   errors")
    for phase in phases:
        errors = ", ".join(f"{kind} {count}" for kind, count in sorted(phase.latency.errors.items())) or "none"
        cpu = "".join(f"{phase.cpu_per_request(name):>6.1f}" for name in ("server", "moto", "load"))
        print(
            f"{phase.name:24}{phase.requests:>9}{phase.rate:>8.1f}{phase.percentile(0.5):>8.1f}"
            f"{phase.percentile(0.99):>8.1f}{'':18}{cpu}   {errors}"
        )
    by_name = {phase.name: phase for phase in phases}
    ours, base = by_name.get("strong back"), by_name.get("baseline ask-sdk skill")
    if ours and base and base.rate and ours.rate:
        print(
            f"strong back / baseline: throughput {ours.rate / base.rate:.2f}x, "
            f"p50 {ours.percentile(0.5) / base.percentile(0.5):.2f}x, "
            f"p99 {ours.percentile(0.99) / base.percentile(0.99):.2f}x, "
            f"server CPU per request {ours.cpu_per_request('server') / base.cpu_per_request('server'):.2f}x"
        )
    attacked = by_name.get("strong back, attacked")
    if attacked:
        p99 = attacked.percentile(0.99)
        met = p99 < ATTACK_P99_TARGET_MS and not attacked.errors
        print(
            f"under attack: p99 {p99:.0f} ms (target < {ATTACK_P99_TARGET_MS:.0f} ms), "
            f"{attacked.errors} failed requests (target 0): {'met' if met else 'NOT MET'}; "
            f"{attacked.people} people finished {attacked.workouts} workouts"
        )
        for note in attacked.notes[:5]:
            print(f"  {note}")
    if ours:
        print(
            f"{ours.people} people finished {ours.workouts} whole workouts (warm-up included); every reply was "
            "checked as the person's own, and every stored document after the run"
        )
        for note in ours.notes[:5]:
            print(f"  {note}")
    slow = [
        phase.name for phase in phases if phase.latency.seconds and max(phase.latency.seconds) > REPLY_BOUND_SECONDS
    ]
    failed = [phase.name for phase in phases if phase.errors] + slow
    if slow:
        print(f"bench_load: replies slower than {REPLY_BOUND_SECONDS:.0f} s in: {', '.join(slow)}", file=sys.stderr)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=20, help="people at once (default 20)")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds measured per phase (default 15)")
    parser.add_argument("--warmup", type=float, default=8.0, help="seconds of load before measuring (default 8)")
    parser.add_argument("--routines", type=int, default=6, help="different routines the people use (default 6)")
    parser.add_argument(
        "--attack", action="store_true", help="also measure the people while slow and idle clients attack"
    )
    args = parser.parse_args(argv)
    for name in ("users", "routines"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.duration <= 0 or args.warmup < 0:
        parser.error("--duration must be positive and --warmup not negative")
    missing = [name for name in ("moto", "requests") if importlib.util.find_spec(name) is None]
    if missing:
        print(
            f"bench_load: {', '.join(missing)} not installed; install the dev extras: pip install -e '.[dev]'",
            file=sys.stderr,
        )
        return 2

    from tests.support.moto_server import DUMMY_AWS, MotoProcess, make_table
    from tests.support.slow_clients import SlowClients
    from tests.support.web_pki import CertServer, pki, serve_bytes

    os.environ.update(DUMMY_AWS)
    storage = MotoProcess()
    try:
        with CertServer({"/echo.api/good.pem": serve_bytes(pki().chain())}) as certs:
            table = make_table(storage)
            env = environment(table, certs.origin)
            setup = Setup(table, env, Path(tempfile.mkdtemp(prefix="bench-load-")), storage.process.pid)
            results: list[tuple[str, dict[str, Any]]] = []

            def load(
                name: str, act: Callable[[int, Latency, Callable[[], bool]], None], warmup: float, probe: CpuProbe
            ) -> Phase:
                return run_people(args.users, warmup, args.duration, act, name, probe)

            def health(served: Served, probe: CpuProbe) -> Phase:
                return load("health (GET /health)", health_people(served.url), 1.0, probe)

            def ours(served: Served, probe: CpuProbe) -> Phase:
                phase = load("strong back", skill_people(served.url, args.routines, results), args.warmup, probe)
                check_documents(table, results, phase)
                return phase

            def attacked(served: Served, probe: CpuProbe) -> Phase:
                port = int(served.url.rstrip("/").rsplit(":", 1)[1])
                until = time.monotonic() + args.warmup + args.duration
                mine: list[tuple[str, dict[str, Any]]] = []
                with SlowClients(port, ATTACK, until=until, again=True) as attack:
                    phase = load(
                        "strong back, attacked", skill_people(served.url, args.routines, mine), args.warmup, probe
                    )
                check_documents(table, mine, phase)
                phase.notes.append(attack_summary(attack))
                return phase

            def baseline(served: Served, probe: CpuProbe) -> Phase:
                return load("baseline ask-sdk skill", baseline_people(served.url), args.warmup, probe)

            port = free_port()
            serve_ours = [*strong_back_command(), "serve", "--host", "127.0.0.1", "--port", str(port)]
            phases = measured(
                setup, serve_ours, port, "strong-back", [health, ours, *([attacked] if args.attack else [])]
            )
            port = free_port()
            phases += measured(setup, baseline_command(port), port, "baseline", [baseline])
    finally:
        storage.stop()
    return report(phases, args)


if __name__ == "__main__":
    raise SystemExit(main())
