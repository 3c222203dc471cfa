"""Accuracy of the offline parser on utterance files: per intent and overall, and the misses.

    python scripts/evaluate_parser.py tests/data/utterances_fresh_dev.toml [more.toml ...]
        [--locale en-US] [--no-failures]

Each file holds ``[[case]]`` tables with ``text``, ``intent`` and optional ``slots`` (slot name
to resolved id). A case is right when the intent and every resolved slot id are right.
Cases marked ``ambiguous = true`` are not scored. ``--no-failures`` prints only the figures
(use it on a held-out set you must not tune on).
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from local_runner.understanding.parser import Understander  # noqa: E402


@dataclass(frozen=True)
class Result:
    """One scored case: what was expected and what the parser said."""

    text: str
    want: dict[str, Any]
    got: dict[str, Any]

    @property
    def right(self) -> bool:
        return self.want == self.got


def load_cases(paths: list[Path]) -> list[dict[str, Any]]:
    """The scored cases of every file (ambiguous ones left out)."""
    found = []
    for path in paths:
        with path.open("rb") as handle:
            found += [case for case in tomllib.load(handle)["case"] if not case.get("ambiguous")]
    return found


def evaluate(parser: Understander, cases: list[dict[str, Any]]) -> list[Result]:
    """Parse every case and compare it with what is expected."""
    results = []
    for case in cases:
        want = {"intent": case["intent"], "slots": case.get("slots", {})}
        results.append(Result(case["text"], want, parser.understand(case["text"]).to_contract()))
    return results


def accuracy(results: list[Result]) -> float:
    return sum(r.right for r in results) / len(results) if results else 0.0


def report(results: list[Result], failures: bool = True) -> str:
    """Per-intent and overall accuracy, and (optionally) every miss."""
    total: Counter[str] = Counter(r.want["intent"] for r in results)
    right: Counter[str] = Counter(r.want["intent"] for r in results if r.right)
    intent_only: Counter[str] = Counter(r.want["intent"] for r in results if r.want["intent"] == r.got["intent"])
    lines = [f"{'intent':<32} {'right':>9} {'share':>7} {'intent ok':>10}"]
    for intent in sorted(total):
        lines.append(
            f"{intent:<32} {right[intent]:>4}/{total[intent]:<4} {right[intent] / total[intent]:>7.1%} "
            f"{intent_only[intent] / total[intent]:>10.1%}"
        )
    n = len(results)
    ok = sum(right.values())
    lines.append(f"{'overall':<32} {ok:>4}/{n:<4} {accuracy(results):>7.1%} {sum(intent_only.values()) / n:>10.1%}")
    if failures:
        misses = [r for r in results if not r.right]
        lines.append(f"\n{len(misses)} misses (expected -> got):")
        for r in sorted(misses, key=lambda r: (r.want["intent"], r.text)):
            lines.append(f"  {r.text!r}: {_short(r.want)} -> {_short(r.got)}")
    return "\n".join(lines)


def _short(result: dict[str, Any]) -> str:
    slots = ",".join(f"{k}={v}" for k, v in sorted(result["slots"].items()))
    return result["intent"].removeprefix("AMAZON.") + (f"({slots})" if slots else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="+", type=Path, help="utterance TOML files ([[case]] text, intent, slots)")
    parser.add_argument("--locale", default="en-US")
    parser.add_argument("--no-failures", action="store_true", help="print only the figures, not the misses")
    args = parser.parse_args(argv)
    try:
        cases = load_cases(args.files)
    except (OSError, tomllib.TOMLDecodeError, KeyError) as error:
        print(f"evaluate_parser: cannot read cases: {error}", file=sys.stderr)
        return 2
    results = evaluate(Understander(args.locale), cases)
    print(f"{', '.join(str(p) for p in args.files)} ({args.locale}): {len(results)} scored cases")
    print(report(results, failures=not args.no_failures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
