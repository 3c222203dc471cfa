"""Compile to bytecode what a cold start of the built artifact imports (run by the Makefile).

Lambda's code directory is read-only, so Python cannot write the bytecode it compiles: without it in
the artifact, every cold start compiles every module it imports from source. Compiling the whole
artifact would double its size (ask_sdk_model alone is 681 modules; a request needs about 240), so
this runs the built function once, in a throwaway process, on a launch, the start of a workout and
a "next", and compiles the library modules that imported from the artifact, each to a .pyc in place
of its source (Python imports such a file as the module; a traceback through it shows no source
line), and the project's own code (``lambda_function.py``, ``skill/``) beside its source.
Usage: python compile_cold_path.py ARTIFACTS_DIR
"""

from __future__ import annotations

import json
import os
import py_compile
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable


def _conversation(handler: Callable[[dict[str, Any], object], dict[str, Any]]) -> None:
    """A launch, the start of a workout and a "next", as Alexa sends them (the local coach's envelopes)."""
    from local_runner import envelopes  # stdlib only; from the checkout, after the artifact on sys.path

    moment = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)
    attributes: dict[str, Any] = {}
    for number, request in enumerate(
        (
            envelopes.launch_request(),
            envelopes.intent_request("StartWorkoutIntent"),
            envelopes.intent_request("AMAZON.NextIntent"),
        )
    ):
        event = envelopes.envelope(
            request,
            user_id="amzn1.ask.account.build",
            session_id="amzn1.echo-api.session.build",
            new=number == 0,
            attributes=attributes,
            locale="en-US",
            moment=moment,
        )
        attributes = handler(event, None).get("sessionAttributes") or {}


def main(artifacts: Path) -> int:
    os.environ.pop("WORKOUT_TABLE", None)
    os.environ["STRONG_BACK_DB"] = str(Path(tempfile.mkdtemp()) / "build.db")
    sys.path[:0] = [str(artifacts), str(Path(__file__).resolve().parent.parent)]
    import lambda_function  # imported from the artifact, as Lambda does

    _conversation(lambda_function.lambda_handler)
    root = artifacts.resolve()
    imported = {
        Path(module.__file__).resolve()
        for module in list(sys.modules.values())
        if getattr(module, "__file__", None) and str(module.__file__).endswith(".py")
    }
    project = [root / "lambda_function.py", *(root / "skill").rglob("*.py")]
    ours = [path for path in imported if root in path.parents and path not in project]
    for path in ours:  # the libraries: bytecode in place of the source, so the artifact does not grow
        py_compile.compile(str(path), cfile=str(path.with_suffix(".pyc")), doraise=True)
        path.unlink()
    for path in project:  # the project: source kept beside its bytecode, for readable tracebacks
        py_compile.compile(str(path), doraise=True)
    print(json.dumps({"compiled": len(ours), "of": sum(1 for _ in root.rglob("*.py"))}))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2 or not Path(sys.argv[1]).is_dir():
        print("usage: python compile_cold_path.py ARTIFACTS_DIR", file=sys.stderr)
        raise SystemExit(2)
    raise SystemExit(main(Path(sys.argv[1])))
