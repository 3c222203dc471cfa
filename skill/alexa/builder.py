"""The one skill object: built once, wrapped by Lambda, the web service and the local coach."""

from __future__ import annotations

import logging
from functools import cache
from typing import TYPE_CHECKING, Any

from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import CustomSkillBuilder
from ask_sdk_model import Intent, IntentRequest

from skill.alexa import feedback_handlers as feedback
from skill.alexa import info_handlers as info
from skill.alexa import pain_handlers as pain
from skill.alexa import session_handlers as session
from skill.alexa import workout_handlers as workout
from skill.alexa.interceptors import LoadUserDataInterceptor, SaveUserDataInterceptor, SettleInterceptor
from skill.alexa.persistence import adapter_from_settings
from skill.config import Settings
from skill.playback import Playback
from skill.workout import MAX_DEPTH, MAX_STATE_JSON, StateError, check_bounds

if TYPE_CHECKING:
    from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
    from ask_sdk_model import RequestEnvelope, ResponseEnvelope

log = logging.getLogger(__name__)
MAX_ATTRIBUTE_STRING = 32 * 1024  # characters in any one string of the session attributes

# One explicit registration list, catch-alls last.
REQUEST_HANDLERS = (
    session.LaunchRequestHandler,
    workout.StartWorkoutIntentHandler,
    workout.NextIntentHandler,
    workout.SkipExerciseIntentHandler,
    workout.PreviousIntentHandler,
    workout.RepeatIntentHandler,
    workout.StartOverIntentHandler,
    workout.PauseIntentHandler,
    workout.ResumeIntentHandler,
    workout.AdjustDifficultyIntentHandler,
    pain.ReportPainIntentHandler,
    feedback.RateWorkoutIntentHandler,
    info.DescribeExerciseIntentHandler,
    info.WorkoutStatusIntentHandler,
    info.ProgressIntentHandler,
    info.HelpIntentHandler,
    session.YesIntentHandler,
    session.NoIntentHandler,
    session.StopIntentHandler,
    session.NoWorkoutHandler,
    session.SessionEndedRequestHandler,
    session.FallbackIntentHandler,
    session.OtherRequestHandler,
)


class BoundedSkill(CustomSkill):
    """ask-sdk's skill, dropping session attributes beyond hard bounds before the SDK copies them.

    ask-sdk deep-copies the session attributes (recursively) before any interceptor runs, so a
    forged attribute nested a few hundred deep would fail the request with ``RecursionError``.
    Such an attribute is dropped here, with a warning, as a damaged workout state is.
    """

    def invoke(self, request_envelope: RequestEnvelope, context: Any) -> ResponseEnvelope:
        request = request_envelope.request
        if isinstance(request, IntentRequest) and (request.intent is None or not request.intent.name):
            log.warning("an intent request with no intent name: taken as not understood")
            request.intent = Intent(name="AMAZON.FallbackIntent")  # handlers may read intent.name
        session = request_envelope.session
        attributes = getattr(session, "attributes", None)
        if session is not None and isinstance(attributes, dict):
            kept = {name: value for name, value in attributes.items() if _within_bounds(name, value)}
            if len(kept) != len(attributes):
                log.warning("ignored session attributes beyond hard bounds")
                session.attributes = kept
        return super().invoke(request_envelope=request_envelope, context=context)


def _within_bounds(name: str, value: Any) -> bool:
    """The workout attribute within the workout's hard bounds; any other within loose ones (the last
    reply's SSML, up to 8,000 characters, is carried too)."""
    try:
        if name == "workout" and isinstance(value, str):
            return len(value) <= MAX_STATE_JSON  # JSON text: read at C speed, every field checked
        if name == "workout":
            check_bounds(value)
        else:
            check_bounds(value, max_depth=MAX_DEPTH + 2, max_string=MAX_ATTRIBUTE_STRING)
    except StateError:
        return False
    return True


def build_skill(
    adapter: AbstractPersistenceAdapter, skill_id: str | None = None, playback: Playback = Playback.ALEXA
) -> CustomSkill:
    """A new skill object over the given storage (``skill_id`` enforced when given), for a front end
    that plays replies as ``playback`` says (Alexa, or the laptop coach that chains them itself)."""
    builder = CustomSkillBuilder(persistence_adapter=adapter)
    builder.skill_id = skill_id or None  # type: ignore[assignment]  # the SDK annotates it as always None
    for handler in REQUEST_HANDLERS:
        builder.add_request_handler(handler())
    builder.add_exception_handler(session.CatchAllExceptionHandler())
    builder.add_global_request_interceptor(LoadUserDataInterceptor(playback))
    builder.add_global_request_interceptor(SettleInterceptor())
    builder.add_global_response_interceptor(SaveUserDataInterceptor())
    return BoundedSkill(skill_configuration=builder.skill_configuration)


@cache
def get_skill(playback: Playback = Playback.ALEXA) -> CustomSkill:
    """The skill for this process, storage chosen from the environment; built once."""
    settings = Settings.from_env()
    return build_skill(adapter_from_settings(settings), settings.skill_id, playback)
