"""Touch on a screen device: APL buttons send UserEvents that the intent handlers also accept."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ask_sdk_core.utils import is_intent_name

if TYPE_CHECKING:
    from collections.abc import Callable

    from ask_sdk_core.handler_input import HandlerInput

USER_EVENT = "Alexa.Presentation.APL.UserEvent"
# The buttons of skill/apl/workout.json (their SendEvent argument) and the intent each stands for.
BUTTONS = {
    "next": "AMAZON.NextIntent",
    "pause": "AMAZON.PauseIntent",
    "resume": "AMAZON.ResumeIntent",
    "start": "StartWorkoutIntent",
}


def pressed(button: str) -> Callable[[HandlerInput], bool]:
    """A predicate: the person touched this button."""

    def check(handler_input: HandlerInput) -> bool:
        request = handler_input.request_envelope.request
        if getattr(request, "object_type", None) != USER_EVENT:
            return False
        arguments = getattr(request, "arguments", None)
        return isinstance(arguments, list) and bool(arguments) and arguments[0] == button

    return check


def said_or_pressed(intent: str) -> Callable[[HandlerInput], bool]:
    """A predicate: the person said the intent, or touched the button that stands for it."""
    buttons = [button for button, name in BUTTONS.items() if name == intent]

    def check(handler_input: HandlerInput) -> bool:
        return is_intent_name(intent)(handler_input) or any(pressed(b)(handler_input) for b in buttons)

    return check
