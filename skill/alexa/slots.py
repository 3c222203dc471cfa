"""Reading slots the way Alexa resolves them (entity resolution ids)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ask_sdk_model.slu.entityresolution.status_code import StatusCode

if TYPE_CHECKING:
    from ask_sdk_core.handler_input import HandlerInput


MAX_HEARD = 60  # longest slot text the coach repeats back


@dataclass(frozen=True)
class SlotValue:
    """What was heard for a slot and, when it resolved, its id."""

    heard: str
    id: str | None


def slot(handler_input: HandlerInput, name: str) -> SlotValue | None:
    """The slot's value; None when the slot is absent or empty."""
    request = handler_input.request_envelope.request
    intent = getattr(request, "intent", None)
    found = (getattr(intent, "slots", None) or {}).get(name) if intent else None
    if found is None or not (found.value or "").strip():
        return None
    resolution_id = None
    authorities = getattr(found.resolutions, "resolutions_per_authority", None) or []
    for authority in authorities:
        status = getattr(getattr(authority, "status", None), "code", None)
        if status == StatusCode.ER_SUCCESS_MATCH and authority.values:
            resolution_id = authority.values[0].value.id
            break
    heard = " ".join(str(found.value).split())[:MAX_HEARD]
    return SlotValue(heard, resolution_id)


_DURATION = re.compile(
    r"^P(?:(?P<days>\d+(?:\.\d+)?)D)?(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?"
    r"(?:(?P<minutes>\d+(?:\.\d+)?)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


def duration_seconds(value: str) -> float | None:
    """Seconds in an AMAZON.DURATION value like ``PT10M``; None if it isn't one."""
    match = _DURATION.match(value.strip().upper())
    if not match or value.strip().upper() in {"P", "PT"}:
        return None
    parts = {name: float(number) for name, number in match.groupdict().items() if number}
    if not parts:
        return None
    return (
        parts.get("days", 0) * 86400
        + parts.get("hours", 0) * 3600
        + parts.get("minutes", 0) * 60
        + parts.get("seconds", 0)
    )
