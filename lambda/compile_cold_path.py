"""Compile to bytecode what a cold start of the built artifact imports (run by the Makefile).

Lambda's code directory is read-only, so Python cannot write the bytecode it compiles: without it in
the artifact, every cold start compiles every module it imports from source. Compiling the whole
artifact would double its size (ask_sdk_model alone is 681 modules; a request needs about 240), so
this runs the built function once, in a throwaway process, on a launch request and the start of a
workout, and compiles exactly the modules that imported from the artifact, and all of ``skill/``.
Usage: python compile_cold_path.py ARTIFACTS_DIR
"""

from __future__ import annotations

import json
import os
import py_compile
import sys
import tempfile
from pathlib import Path


def _request(kind: str, new: bool, attributes: dict[str, object], intent: dict[str, object] | None = None) -> dict:
    request: dict[str, object] = {
        "type": kind,
        "requestId": "amzn1.echo-api.request.build",
        "timestamp": "2026-01-05T07:00:00Z",
        "locale": "en-US",
    }
    if intent is not None:
        request["intent"] = intent
    system = {
        "application": {"applicationId": "amzn1.ask.skill.build"},
        "user": {"userId": "amzn1.ask.account.build"},
        "device": {"deviceId": "amzn1.ask.device.build", "supportedInterfaces": {}},
        "apiEndpoint": "https://api.amazonalexa.com",
    }
    return {
        "version": "1.0",
        "session": {
            "new": new,
            "sessionId": "amzn1.echo-api.session.build",
            "application": {"applicationId": "amzn1.ask.skill.build"},
            "user": {"userId": "amzn1.ask.account.build"},
            "attributes": attributes,
        },
        "context": {"System": system},
        "request": request,
    }


def main(artifacts: Path) -> int:
    os.environ.pop("WORKOUT_TABLE", None)
    os.environ["STRONG_BACK_DB"] = str(Path(tempfile.mkdtemp()) / "build.db")
    sys.path.insert(0, str(artifacts))
    import lambda_function  # imported from the artifact, as Lambda does

    reply = lambda_function.lambda_handler(_request("LaunchRequest", True, {}), None)
    start = {"name": "StartWorkoutIntent", "confirmationStatus": "NONE", "slots": {}}
    reply = lambda_function.lambda_handler(
        _request("IntentRequest", False, reply.get("sessionAttributes") or {}, start), None
    )
    following = {"name": "AMAZON.NextIntent", "confirmationStatus": "NONE", "slots": {}}
    lambda_function.lambda_handler(
        _request("IntentRequest", False, reply.get("sessionAttributes") or {}, following), None
    )
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
