"""Shared test setup: a private SQLite file for the skill, fixtures for the DynamoDB API."""

from __future__ import annotations

import importlib.util
import os
import tempfile
from pathlib import Path

# The skill object is built once per process; give this test run its own storage before
# anything imports it, and make sure no AWS setting of the machine leaks in.
_DATA = Path(tempfile.mkdtemp(prefix="strong-back-tests-"))
os.environ["STRONG_BACK_DB"] = str(_DATA / "strong-back.db")
for _name in ("WORKOUT_TABLE", "DYNAMODB_ENDPOINT_URL", "SKILL_ID", "AWS_LAMBDA_FUNCTION_NAME"):
    os.environ.pop(_name, None)

pytest_plugins = ["tests.support.moto_server"] if importlib.util.find_spec("tests.support.moto_server") else []
