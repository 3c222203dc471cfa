"""Shared test setup: a private SQLite file for the skill, fixtures for the DynamoDB API, and the
recogniser and parser the listening tests share."""

from __future__ import annotations

import importlib.util
import os
import signal
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from local_runner.listening.recognizer import Recognizer

# The skill object is built once per process; give this test run its own storage before
# anything imports it, and make sure no AWS setting of the machine leaks in.
_DATA = Path(tempfile.mkdtemp(prefix="strong-back-tests-"))
os.environ["STRONG_BACK_DB"] = str(_DATA / "strong-back.db")
for _name in ("WORKOUT_TABLE", "DYNAMODB_ENDPOINT_URL", "SKILL_ID", "AWS_LAMBDA_FUNCTION_NAME"):
    os.environ.pop(_name, None)

# Tests press Ctrl-C on the coach and the server (SIGINT to a child process). A run started in the
# background of a shell without job control (`make test &`, `nohup`) inherits SIGINT ignored, and an
# ignored signal stays ignored in every child: those tests would hang. A handled one is reset to the
# default in each child, so handle it here.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

pytest_plugins = ["tests.support.moto_server"] if importlib.util.find_spec("tests.support.moto_server") else []


@pytest.fixture(scope="module")
def recognizer() -> Recognizer:
    """The offline recogniser for en-US (built once per test module: about a second)."""
    from local_runner.listening.recognizer import Recognizer

    return Recognizer("en-US")


@pytest.fixture(scope="module")
def nlu() -> object:
    """The offline parser for en-US."""
    from local_runner.understanding.parser import understander

    return understander("en-US")
