"""Load the person's data before each request and save it after, in session and storage."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ask_sdk_core.dispatch_components import AbstractRequestInterceptor, AbstractResponseInterceptor

from skill.alexa.turn import TURN, Turn
from skill.progress import UserData
from skill.workout import load_state

if TYPE_CHECKING:
    from ask_sdk_core.handler_input import HandlerInput
    from ask_sdk_model import Response

log = logging.getLogger(__name__)
WORKOUT = "workout"
OFFER = "offer"


class LoadUserDataInterceptor(AbstractRequestInterceptor):
    """Stored data first; within a session the workout carried in session attributes wins."""

    def process(self, handler_input: HandlerInput) -> None:
        manager = handler_input.attributes_manager
        storage_ok = True
        try:
            user = UserData.from_attributes(manager.persistent_attributes)
        except Exception as error:  # storage down: keep coaching from the session
            log.warning("could not load saved progress: %s", type(error).__name__)
            user, storage_ok = UserData(), False
        session = handler_input.request_envelope.session
        carried = (manager.session_attributes or {}).get(WORKOUT) if session is not None and not session.new else None
        if carried is not None:
            workout = load_state(carried)
            if workout is not None:
                user.workout = workout
            else:
                log.warning("ignored damaged workout state from the session")
        turn = Turn(handler_input, user)
        turn.storage_ok = storage_ok
        manager.request_attributes[TURN] = turn


class SaveUserDataInterceptor(AbstractResponseInterceptor):
    """Carry the workout in the session and save everything to storage after every step."""

    def process(self, handler_input: HandlerInput, response: Response | None) -> None:
        manager = handler_input.attributes_manager
        turn = manager.request_attributes.get(TURN)
        if not isinstance(turn, Turn):
            return
        workout = turn.user.workout
        manager.session_attributes = {
            WORKOUT: workout.to_dict() if workout is not None else None,
            OFFER: turn.offer,
        }
        try:
            manager.persistent_attributes = turn.user.to_attributes()
            manager.save_persistent_attributes()
        except Exception as error:  # the workout goes on; the next request saves again
            log.warning("could not save progress: %s", type(error).__name__)
