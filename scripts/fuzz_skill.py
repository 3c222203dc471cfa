"""The long fuzzing run: N generated Alexa envelopes through lambda_handler (default 100,000).

Every reply must load as an ask-sdk-model ResponseEnvelope and respect Alexa's limits; no
request may reach the catch-all error handler. Prints a summary; exit 1 on any failure.
Usage: python scripts/fuzz_skill.py [--count N] [--seed S]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["STRONG_BACK_DB"] = str(Path(tempfile.mkdtemp()) / "fuzz.db")
os.environ.pop("WORKOUT_TABLE", None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    from hypothesis import HealthCheck, given, seed, settings

    from tests.support.alexa import check_response, lambda_handler
    from tests.support.fuzz_envelopes import alexa_envelopes
    from tests.test_fuzz import FAILURES, REAL

    logging.getLogger("skill").setLevel(logging.ERROR)
    handler = lambda_handler()
    stats = {"envelopes": 0, "failures": 0}
    started = time.perf_counter()

    @seed(args.seed)
    @settings(max_examples=args.count, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(alexa_envelopes(REAL))
    def run(envelope: dict) -> None:
        stats["envelopes"] += 1
        FAILURES.messages.clear()
        try:
            check_response(handler(json.loads(json.dumps(envelope)), None))
            assert FAILURES.messages == [], FAILURES.messages
        except Exception as error:
            stats["failures"] += 1
            if stats["failures"] <= 5:
                print(f"FAILED: {error!r}\n{json.dumps(envelope)[:600]}", file=sys.stderr)
        if stats["envelopes"] % 10_000 == 0:
            print(f"  {stats['envelopes']:,} envelopes, {stats['failures']} failures", file=sys.stderr)

    run()
    seconds = time.perf_counter() - started
    print(f"{stats['envelopes']:,} envelopes in {seconds:.0f} s ({stats['envelopes'] / seconds:,.0f}/s): "
          f"{stats['failures']} failures")  # fmt: skip
    return 1 if stats["failures"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
