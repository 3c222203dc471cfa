"""Parse benchmark: how long the offline parser takes per utterance, after start-up.

    python benchmarks/bench_parse.py [--rounds N] [--locale en-US]

The utterances are the test phrasings (tests/data/*.toml: commands, questions, one-shots with
slots, typos, wake words, out-of-domain requests, the fresh DEV and TEST sets) plus one filled-in
sample of every intent.
The baseline, timed in the same run on the same utterances, is ``json.dumps`` of the parse
result plus one compiled-regex search over the text: the least any parse-and-print must cost.
Target: median and p99 at most 5 ms per utterance. Start-up (loading the model) is printed too.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from interaction_models import load_model  # noqa: E402
from local_runner.understanding.parser import Understander  # noqa: E402

TARGET_MS = 5.0
DATA_FILES = (
    "utterances.toml", "utterances_heldout.toml", "utterances_fresh_dev.toml", "utterances_fresh_test.toml",
)  # fmt: skip
STARTUP = (
    "import time; t = time.perf_counter(); from local_runner.understanding.parser import understander; "
    "understander({locale!r}); print(time.perf_counter() - t)"
)


def utterances(locale: str) -> list[str]:
    texts = []
    for name in DATA_FILES:
        with (ROOT / "tests" / "data" / name).open("rb") as handle:
            texts += [case["text"] for case in tomllib.load(handle)["case"]]
    model = load_model(locale)
    first = {t["name"]: t["values"][0]["name"]["value"] for t in model["types"]}
    first["AMAZON.DURATION"] = "twenty minutes"
    for intent in model["intents"]:
        if intent["samples"]:
            values = {s["name"]: first[s["type"]] for s in intent.get("slots", [])}
            sample = intent["samples"][len(intent["samples"]) // 2]
            for name, words in values.items():
                sample = sample.replace("{" + name + "}", words)
            texts.append(sample)
    return texts


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=20, help="times through the utterance set")
    parser.add_argument("--locale", default="en-US")
    args = parser.parse_args()

    started = time.perf_counter()
    nlu = Understander(args.locale)
    load_ms = (time.perf_counter() - started) * 1000
    cold = [
        float(subprocess.run([sys.executable, "-c", STARTUP.format(locale=args.locale)], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout) * 1000
        for _ in range(3)
    ]  # fmt: skip
    texts = utterances(args.locale)
    pattern = re.compile(r"\b(start|skip|next|pause|resume)\b")
    for text in texts:  # warm up: first-time repairs are cached, as in a session
        nlu.understand(text)

    parse_ms: list[float] = []
    base_ms: list[float] = []
    clock = time.perf_counter
    for _ in range(args.rounds):
        nlu.forget()  # each round parses afresh: a session rarely hears the same words twice
        for text in texts:
            t0 = clock()
            result = nlu.understand(text).to_contract()
            t1 = clock()
            json.dumps(result)
            pattern.search(text.lower())
            t2 = clock()
            parse_ms.append((t1 - t0) * 1000)
            base_ms.append((t2 - t1) * 1000)

    median, p99 = statistics.median(parse_ms), percentile(parse_ms, 0.99)
    base = statistics.median(base_ms)
    ok = median <= TARGET_MS and p99 <= TARGET_MS
    print(f"parse benchmark ({args.locale}): {len(texts)} utterances x {args.rounds} rounds")
    print(f"  start-up: model load {load_ms:.0f} ms in this process; import + load in a fresh process "
          f"{statistics.median(cold):.0f} ms (median of 3)")  # fmt: skip
    print(f"  parse latency: median {median:.3f} ms, p99 {p99:.3f} ms, max {max(parse_ms):.3f} ms "
          f"(target <= {TARGET_MS:.0f} ms)  {'OK' if ok else 'MISSED'}")  # fmt: skip
    print(f"  baseline (json.dumps of the result + one regex search): median {base * 1000:.1f} us")
    print(f"  ratio parse / baseline: {median / base:.0f}x")
    for name, label in (
        ("utterances_heldout.toml", "held-out phrasings"),
        ("utterances_fresh_dev.toml", "fresh DEV phrasings"),
        ("utterances_fresh_test.toml", "fresh TEST phrasings"),
    ):
        with (ROOT / "tests" / "data" / name).open("rb") as handle:
            cases = [c for c in tomllib.load(handle)["case"] if not c.get("ambiguous")]
        right = sum(nlu.understand(c["text"]).to_contract() == {"intent": c["intent"], "slots": c.get("slots", {})}
                    for c in cases)  # fmt: skip
        print(f"  {label} understood (intent, slot ids): {right}/{len(cases)} = {right / len(cases):.1%}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
