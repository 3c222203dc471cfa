"""Skill benchmarks: cold start against the smallest ask-sdk skill, warm latency, artifact size.

Prints figures with their targets; run with ``make bench`` or ``python benchmarks/bench_skill.py``.
Cold start is import plus the first LaunchRequest with the DynamoDB API on loopback (moto's
server), measured in fresh processes, alternating ours and the baseline so that machine noise
hits both alike. Both run from bytecode, as on Lambda: the artifact ships ours compiled
(lambda/Makefile), and pip compiled the baseline's libraries when it installed them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support import events  # noqa: E402

COLD_OURS = """
import time, json, sys
t0 = time.perf_counter()
sys.path.insert(0, {lambda_dir!r}); sys.path.insert(0, {root!r})
import lambda_function
out = lambda_function.lambda_handler(json.loads({event!r}), None)
assert out["response"]["outputSpeech"]
print(time.perf_counter() - t0)
"""

COLD_BASELINE = """
import time, json, sys
t0 = time.perf_counter()
import os, boto3
from ask_sdk_core.skill_builder import CustomSkillBuilder
from ask_sdk_core.utils import is_request_type
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope
from ask_sdk_dynamodb.adapter import DynamoDbAdapter
resource = boto3.resource("dynamodb", endpoint_url=os.environ["DYNAMODB_ENDPOINT_URL"])
adapter = DynamoDbAdapter(os.environ["WORKOUT_TABLE"], partition_key_name="id", dynamodb_resource=resource)
sb = CustomSkillBuilder(persistence_adapter=adapter)
@sb.request_handler(can_handle_func=is_request_type("LaunchRequest"))
def launch(handler_input):
    handler_input.attributes_manager.persistent_attributes
    return handler_input.response_builder.speak("Hello").ask("Hello?").response
skill = sb.create()
serializer = DefaultSerializer()
envelope = serializer.deserialize({event!r}, RequestEnvelope)
out = serializer.serialize(skill.invoke(envelope, None))
assert out["response"]["outputSpeech"]
print(time.perf_counter() - t0)
"""


def launch_event(user: str = "amzn1.ask.account.bench") -> dict:
    return events.launch_event(user)


def start_moto() -> tuple[object, str]:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request in the figures
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return server, f"http://{host}:{port}"


def cold_start(rounds: int) -> tuple[list[float], list[float]]:
    import compileall

    import boto3

    # As in the Lambda artifact (lambda/Makefile) and as pip leaves the baseline's libraries: compiled.
    compileall.compile_dir(ROOT / "skill", quiet=1)
    compileall.compile_file(ROOT / "lambda" / "lambda_function.py", quiet=1)

    server, endpoint = start_moto()
    env = dict(
        os.environ,
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
        WORKOUT_TABLE="StrongBackBench",
        DYNAMODB_ENDPOINT_URL=endpoint,
    )
    boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    ).create_table(
        TableName="StrongBackBench",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
    )
    event = json.dumps(launch_event())
    ours_code = COLD_OURS.format(lambda_dir=str(ROOT / "lambda"), root=str(ROOT), event=event)
    base_code = COLD_BASELINE.format(event=event)
    ours: list[float] = []
    base: list[float] = []
    try:
        for _ in range(rounds):
            for code, into in ((ours_code, ours), (base_code, base)):
                out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
                into.append(float(out.stdout.strip().splitlines()[-1]))
    finally:
        server.stop()  # type: ignore[attr-defined]
    return ours, base


def warm_latency(requests: int) -> list[float]:
    os.environ.pop("WORKOUT_TABLE", None)
    os.environ["STRONG_BACK_DB"] = str(Path(tempfile.mkdtemp()) / "bench.db")
    sys.path.insert(0, str(ROOT / "lambda"))
    import lambda_function

    sys.path.insert(0, str(ROOT))
    from tests.support.alexa import Alexa

    alexa = Alexa()
    alexa.handler = lambda_function.lambda_handler
    timings: list[float] = []
    original = alexa.handler

    def timed(event: dict, context: object) -> dict:
        t0 = time.perf_counter()
        out = original(event, context)
        timings.append(time.perf_counter() - t0)
        return out

    alexa.handler = timed
    script = [
        "StartWorkoutIntent",
        "AMAZON.NextIntent",
        "WorkoutStatusIntent",
        "AMAZON.ResumeIntent",
        "AMAZON.PauseIntent",
        "AMAZON.ResumeIntent",
        "AMAZON.NextIntent",
        "ProgressIntent",
    ]
    alexa.open()
    while len(timings) < requests:
        for intent in script:
            heard = (
                alexa.say(intent)
                if intent != "StartWorkoutIntent"
                else alexa.say(intent, area="full_back", duration="PT20M")
            )
            if heard.finished:
                alexa.open()
    timings.sort()
    return timings


def warm_baseline(requests: int) -> list[float]:
    """The same measure for the smallest ask-sdk skill in this process: one handler, no storage."""
    from ask_sdk_core.skill_builder import CustomSkillBuilder

    from skill.alexa.invoke import invoke

    builder = CustomSkillBuilder()

    @builder.request_handler(can_handle_func=lambda handler_input: True)
    def answer(handler_input):
        return handler_input.response_builder.speak("Hello").ask("Hello?").response

    skill = builder.create()
    event = launch_event()
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        invoke(skill, json.loads(json.dumps(event)))
        timings.append(time.perf_counter() - started)
    timings.sort()
    return timings


def artifact_size() -> int | None:
    build = ROOT / ".aws-sam" / "build"
    folders = [p for p in build.glob("*") if (p / "lambda_function.py").exists()] if build.exists() else []
    if not folders:
        return None
    import zipfile

    target = Path(tempfile.mkdtemp()) / "artifact.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in folders[0].rglob("*"):
            if file.is_file():
                archive.write(file, file.relative_to(folders[0]))
    return target.stat().st_size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7, help="cold starts of each kind")
    parser.add_argument("--requests", type=int, default=2000, help="warm requests")
    args = parser.parse_args()
    ours, base = cold_start(args.rounds)
    ratio = statistics.median(ours) / statistics.median(base)
    print(f"cold start (import + first LaunchRequest, DynamoDB API on loopback), median of {args.rounds}:")
    print(
        f"  strong back {statistics.median(ours) * 1000:7.1f} ms   "
        f"smallest ask-sdk skill {statistics.median(base) * 1000:7.1f} ms"
    )
    cold = statistics.median(ours)
    print(
        f"  ratio {ratio:.2f}x the smallest skill (target <= 1.2x) {'OK' if ratio <= 1.2 else 'OVER'}; "
        f"a cold first reply within 1 s of Alexa's 8 s {'OK' if cold <= 1.0 else 'OVER'}"
    )
    timings = warm_latency(args.requests)
    p50 = timings[len(timings) // 2] * 1000
    p99 = timings[int(len(timings) * 0.99)] * 1000
    print(f"warm lambda_handler latency with SQLite, {len(timings)} requests of a workout mix:")
    print(
        f"  p50 {p50:.2f} ms (target <= 1 ms) {'OK' if p50 <= 1 else 'OVER'}   "
        f"p99 {p99:.2f} ms (target <= 10 ms) {'OK' if p99 <= 10 else 'OVER'}"
    )
    baseline = warm_baseline(len(timings))
    base_p50 = baseline[len(baseline) // 2] * 1000
    print(
        f"  baseline: the smallest ask-sdk skill (one handler, no storage) p50 {base_p50:.2f} ms; "
        f"strong back does a workout's planning, speech and a saved write in {p50 / base_p50:.1f}x that"
    )
    size = artifact_size()
    if size is None:
        print("artifact size: run `sam build` first (make sam && .sam-venv/bin/sam build)")
    else:
        print(f"zipped Lambda artifact: {size / 1e6:.2f} MB (target <= 2 MB) {'OK' if size <= 2e6 else 'OVER'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
