""" "This hurts my back", "ouch", "I have a herniated disc": handled safely, never moved past.

Mid-workout the set stops at once (the interceptors have already settled where the person is),
the coach says when to stop for the day and see a professional, and offers to leave out what
loads that part (the current exercise always goes with it), to carry on, or to end. Outside a
workout, or for a condition, it gives no exercise advice at all: it says to check with a doctor
or physical therapist first, and leaves the choice of a workout to the person. With a sign that
it is more than a sore muscle (a ``symptom``: pain down a leg, numbness, a pop; or, urgent,
chest pain, breathlessness, feeling faint) there is no offer: training ends for the day, the
workout is kept, and the coach says who to see and when to get help at once. No diagnosis, no
medical claims. Every report is kept in the person's progress.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.utils import is_intent_name

from skill.alexa.slots import slot
from skill.alexa.turn import Turn
from skill.catalog import BodyPart
from skill.progress import SYMPTOMS, URGENT_SYMPTOMS, PainReport
from skill.workout import format_timestamp

if TYPE_CHECKING:
    from ask_sdk_core.handler_input import HandlerInput
    from ask_sdk_model import Response

PAIN_OFFER = "pain"  # the session's offer after a pain report: yes leaves out, no waits
PARTS = {part.value for part in BodyPart}


def offered_part(turn: Turn) -> BodyPart | None:
    """The body part of the pain offer this session is answering (None: no part was named)."""
    offer = turn.session.offered or ""
    part = offer.partition(":")[2]
    return BodyPart(part) if part in PARTS else None


class ReportPainIntentHandler(AbstractRequestHandler):
    """Pain: stop, say when to stop for the day, offer to leave out what loads it."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("ReportPainIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        value = slot(handler_input, "body_part")
        part = BodyPart(value.id) if value is not None and value.id in PARTS else None
        sign = slot(handler_input, "symptom")
        symptom = sign.id if sign is not None and sign.id in SYMPTOMS else None
        turn.user.pains.append(PainReport(format_timestamp(turn.now), part.value if part else None, symptom))
        if symptom is not None:
            return stop_for_today(turn, urgent=symptom in URGENT_SYMPTOMS)
        workout = turn.workout
        if workout is None or not turn.in_workout or workout.current is None:
            turn.session.offer = None
            return turn.ask(turn.script("pain.not_training"), "pain.not_training_reprompt")
        workout.pause()
        turn.session.offer = f"{PAIN_OFFER}:{part.value}" if part else PAIN_OFFER
        script = turn.script("pain.stop", "pain.advice")
        if part is not None:
            turn.coach.say(script, "pain.offer_part", part=turn.coach.text(f"body_part.{part.value}"))
        else:
            turn.coach.say(script, "pain.offer", name=workout.current.info.name)
        return turn.ask(script, "pain.reprompt")


def stop_for_today(turn: Turn, urgent: bool) -> Response:
    """A sign to stop for the day: no offer to carry on; the workout is kept, the session ends."""
    turn.session.offer = None
    workout = turn.workout
    running = workout is not None and turn.in_workout and workout.current is not None
    if running and workout is not None:
        workout.pause()
    script = turn.script("pain.urgent") if urgent else turn.script("pain.stop_today", "pain.see_someone")
    turn.coach.say(script, "pain.kept" if running else "pain.take_care")
    return turn.tell(script)


def leave_out(turn: Turn) -> Response:
    """Yes to the pain offer: today's plan goes on without what loads that part."""
    workout = turn.workout
    assert workout is not None
    part = offered_part(turn)
    turn.session.offer = None
    gone = workout.leave_out(part)
    listed = turn.coach.listed([f"the {step.info.name}" for step in gone])
    opening = turn.script(("pain.left_out", {"names": listed}))
    return turn.perform(opening)


def wait_after_pain(turn: Turn) -> Response:
    """No to the pain offer: nothing is changed, and nothing goes on until the person says so."""
    turn.session.offer = None
    return turn.ask(turn.script("pain.carry_on"), "pause.reprompt")
