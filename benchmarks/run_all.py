"""Run every benchmark script (benchmarks/bench_*.py) in turn and print their figures.

Each script measures its own baseline in the same run and prints ratios with their targets.
Usage: python benchmarks/run_all.py [NAME ...]   (e.g. parse, local_coach; default: all)
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if argv:
        wanted = {name.removeprefix("bench_").removesuffix(".py") for name in argv}
        unknown = wanted - {s.stem.removeprefix("bench_") for s in scripts}
        if unknown:
            known = ", ".join(s.stem.removeprefix("bench_") for s in scripts)
            print(f"run_all: no benchmark named {', '.join(sorted(unknown))} (known: {known})", file=sys.stderr)
            return 2
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in wanted]
    failed = []
    for script in scripts:
        print(f"== {script.stem} ==", flush=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, str(script)], check=False)
        print(f"   ({time.perf_counter() - started:.0f} s)\n", flush=True)
        if result.returncode:
            failed.append(script.stem)
    if failed:
        print(f"run_all: {', '.join(failed)} did not finish cleanly", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
