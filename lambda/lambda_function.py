"""AWS Lambda entry point: the one skill object, built once per container, invoked per request.

Environment (set by template.yaml): ``WORKOUT_TABLE`` (required on Lambda), ``SKILL_ID``
(enforced when set), ``LOG_LEVEL``. Missing setup stops the container at start-up with one
line that says what to set.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TYPE_CHECKING, Any

from skill.alexa.builder import get_skill
from skill.alexa.invoke import NotAnAlexaRequest, invoke
from skill.alexa.persistence import ConfigurationError, require_table_on_lambda

if TYPE_CHECKING:
    from ask_sdk_core.skill import CustomSkill

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_level = os.environ.get("LOG_LEVEL", "INFO").upper()
logging.getLogger().setLevel(_level if _level in LOG_LEVELS else "INFO")
log = logging.getLogger("strong_back")


def _start() -> CustomSkill:
    """The skill for this container; a configuration problem is reported as its message alone."""
    try:
        require_table_on_lambda()
        return get_skill()
    except ConfigurationError as error:
        sys.tracebacklimit = 0  # the message says what to fix; a stack trace would only bury it
        raise ConfigurationError(str(error)) from None


SKILL = _start()


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Answer one Alexa request envelope with a response envelope."""
    try:
        return invoke(SKILL, event, context)
    except NotAnAlexaRequest as error:
        log.warning("refused an event that is not an Alexa request: %s", error)
        raise
