"""Handlers for opening, answering yes or no, stopping, not understanding, and errors."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ask_sdk_core.dispatch_components import AbstractExceptionHandler, AbstractRequestHandler
from ask_sdk_core.utils import is_intent_name, is_request_type

from skill.alexa.feedback_handlers import LEVEL_UP_OFFER, answer_level_up
from skill.alexa.pain_handlers import PAIN_OFFER, leave_out, wait_after_pain
from skill.alexa.touch import said_or_pressed
from skill.alexa.turn import MENU, Turn
from skill.alexa.workout_handlers import start_workout
from skill.coach import Coach
from skill.numbers import spoken
from skill.workout import state_from_json

if TYPE_CHECKING:
    from ask_sdk_core.handler_input import HandlerInput
    from ask_sdk_model import Response

    from skill.speech import Script
    from skill.workout import WorkoutState

log = logging.getLogger(__name__)


class LaunchRequestHandler(AbstractRequestHandler):
    """ "Alexa, open strong back": welcome, or welcome back with an offer to resume."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("LaunchRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        workout = turn.workout
        turn.session.stage = MENU
        if turn.user.first_time:
            turn.session.offer = "start"
            turn.user.first_seen = turn.now.date().isoformat()  # the safety note is heard here, once
            return turn.ask(turn.script("launch.first", "workout.safety", "launch.first_prompt"), "menu.reprompt")
        if workout is not None and workout.current is not None:
            turn.session.offer = "resume"
            return turn.ask(in_progress(turn, workout), "launch.resume_reprompt")
        turn.session.offer = "start"
        script = turn.script("launch.returning")
        if turn.user.recovered:
            turn.coach.say(script, "storage.recovered")
        return turn.ask(script, "menu.reprompt")


def in_progress(turn: Turn, workout: WorkoutState) -> Script:
    """ "You're part way through your lower back workout: one of six exercises done, one skipped." """
    done, skipped = workout.count("done"), workout.count("skipped")
    key = "launch.in_progress_skipped" if skipped else "launch.in_progress"
    data: dict[str, object] = {
        "area": turn.coach.area_name(workout.area),
        "done": spoken(done),
        "exercises": turn.coach.exercises(len(workout.steps)),
        "skipped": spoken(skipped),
    }
    return turn.script((key, data))


class YesIntentHandler(AbstractRequestHandler):
    """ "Yes" to whatever was offered: resume, or start a workout."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.YesIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        workout = turn.workout
        if (turn.session.offered or "").startswith(PAIN_OFFER) and workout is not None and turn.in_workout:
            return leave_out(turn)
        if (turn.session.offered or "").startswith(LEVEL_UP_OFFER):
            return answer_level_up(turn, accepted=True)
        if turn.session.offered == "resume" and workout is not None:
            workout.resume()
            return turn.perform(turn.script("resume.welcome_back"))
        if workout is not None and turn.in_workout:
            return turn.perform(entry=workout.resume())
        return start_workout(turn, handler_input)


class NoIntentHandler(AbstractRequestHandler):
    """ "No": decline the offer; say what else can be done."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.NoIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        workout = turn.workout
        if (turn.session.offered or "").startswith(PAIN_OFFER) and workout is not None and turn.in_workout:
            return wait_after_pain(turn)
        if (turn.session.offered or "").startswith(LEVEL_UP_OFFER):
            return answer_level_up(turn, accepted=False)
        if turn.session.offered == "resume":
            turn.session.offer = "start"
            turn.session.stage = MENU
            return turn.ask(turn.script("no.resume_declined"), "menu.reprompt")
        if workout is not None and turn.in_workout:
            workout.pause()
            return turn.ask(turn.script("no.in_workout"), "pause.reprompt")
        return turn.tell(turn.script("stop.goodbye"))


class StopIntentHandler(AbstractRequestHandler):
    """Stop, cancel or go home: end with a short goodbye; progress is kept for later."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return any(
            is_intent_name(name)(handler_input)
            for name in ("AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.NavigateHomeIntent")
        )

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        workout = turn.workout
        if workout is not None and workout.current is not None and turn.in_workout:
            workout.pause()
            turn.once_saved = "stop.saved"  # said only if the save after this reply goes through
            return turn.tell(turn.script("stop.stopping"))
        return turn.tell(turn.script("stop.goodbye"))


class NoWorkoutHandler(AbstractRequestHandler):
    """Workout commands with no workout running: say so, and offer the saved one or a new one."""

    INTENTS = (
        "AMAZON.NextIntent",
        "AMAZON.PauseIntent",
        "AMAZON.PreviousIntent",
        "AMAZON.StartOverIntent",
        "SkipExerciseIntent",
        "AdjustDifficultyIntent",
    )

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return any(said_or_pressed(name)(handler_input) for name in self.INTENTS)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        workout = turn.workout
        if workout is not None and workout.current is not None:
            turn.session.offer = "resume"
            script = turn.script(("workout.waiting", {"area": turn.coach.area_name(workout.area)}))
            return turn.ask(script, "launch.resume_reprompt")
        turn.session.offer = "start"
        return turn.ask(turn.script("workout.none"), "menu.reprompt")


class FallbackIntentHandler(AbstractRequestHandler):
    """Anything not understood (and intents this skill does not know): help that fits the moment."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("IntentRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        workout = turn.workout
        if workout is not None and turn.new_session:  # a saved workout, not one running in this session
            turn.session.offer = "resume"
            return turn.ask(turn.script("fallback.saved"), "launch.resume_reprompt")
        if workout is not None and turn.in_workout:
            workout.pause()
            return turn.ask(turn.script("fallback.workout"), "pause.reprompt")
        turn.session.offer = "start"
        return turn.ask(turn.script("fallback.menu"), "menu.reprompt")


class SessionEndedRequestHandler(AbstractRequestHandler):
    """The session closed (timeout, error, or the person left): keep progress, say nothing."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("SessionEndedRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        request = handler_input.request_envelope.request
        error = getattr(request, "error", None)
        if error is not None:
            log.warning(
                "session ended with error %s: %s", getattr(error, "object_type", ""), getattr(error, "message", "")
            )
        return handler_input.response_builder.response


class OtherRequestHandler(AbstractRequestHandler):
    """Requests of kinds this skill does not use (e.g. from an interface it did not ask for)."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return True

    def handle(self, handler_input: HandlerInput) -> Response:
        return handler_input.response_builder.response


class CatchAllExceptionHandler(AbstractExceptionHandler):
    """Anything that went wrong still gets a spoken answer; the details go to the log."""

    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        return True

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        log.exception("request failed: %s", type(exception).__name__)
        in_session = handler_input.request_envelope.session is not None
        attributes = handler_input.attributes_manager.session_attributes if in_session else None
        if attributes and "workout" in attributes and state_from_json(attributes["workout"]) is None:
            del attributes["workout"]  # not carried on unreadable: the next request reads the stored one
        coach = Coach(str(getattr(handler_input.request_envelope.request, "locale", None) or "en-US"))
        speech = coach.sentence("error.general")
        reprompt = coach.sentence("menu.reprompt")
        return handler_input.response_builder.speak(speech).ask(reprompt).response
