"""AWS Lambda entry point: the one skill object, built once per container, invoked per request.

Environment (set by template.yaml): ``WORKOUT_TABLE`` (required on Lambda), ``SKILL_ID``
(enforced when set), ``LOG_LEVEL``. Missing setup stops the container at start-up with one
line that says what to set.

Logs: template.yaml sets ``LoggingConfig: {LogFormat: JSON}``, so the Lambda runtime writes every
record as one JSON object carrying the request id (``requestId``). What the skill logs holds no
personal data: no user or device ids, nothing the person said.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any, Protocol

from skill.alexa.builder import get_skill
from skill.alexa.invoke import NotAnAlexaRequest, invoke
from skill.config import Settings
from skill.errors import ConfigurationError
from skill.storage import require_table_on_lambda

if TYPE_CHECKING:
    from ask_sdk_core.skill import CustomSkill


class LambdaContext(Protocol):
    """What the Lambda runtime passes as ``context`` (the attributes this function may read)."""

    aws_request_id: str
    function_name: str
    function_version: str
    memory_limit_in_mb: str

    def get_remaining_time_in_millis(self) -> int: ...


SETTINGS = Settings.from_env()
logging.getLogger().setLevel(SETTINGS.log_level)
log = logging.getLogger("strong_back")


def _start() -> CustomSkill:
    """The skill for this container; a configuration problem is reported as its message alone."""
    try:
        require_table_on_lambda(SETTINGS)
        return get_skill()
    except ConfigurationError as error:
        sys.tracebacklimit = 0  # the message says what to fix; a stack trace would only bury it
        raise ConfigurationError(str(error)) from None


SKILL = _start()


def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Answer one Alexa request envelope with a response envelope."""
    try:
        return invoke(SKILL, event, context)
    except NotAnAlexaRequest as error:
        log.warning("refused an event that is not an Alexa request: %s", error)
        raise
