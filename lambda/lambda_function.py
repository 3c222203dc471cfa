"""AWS Lambda entry point: the one skill object, built once per container, invoked per request."""

from __future__ import annotations

import logging
from typing import Any

from skill.alexa.builder import get_skill
from skill.alexa.invoke import NotAnAlexaRequest, invoke
from skill.alexa.persistence import require_table_on_lambda

logging.getLogger().setLevel(logging.INFO)
log = logging.getLogger("strong_back")

require_table_on_lambda()
SKILL = get_skill()


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Answer one Alexa request envelope with a response envelope."""
    try:
        return invoke(SKILL, event, context)
    except NotAnAlexaRequest as error:
        log.warning("refused an event that is not an Alexa request: %s", error)
        raise
