""" "That was too easy", "about right", "too hard": how it felt, and what the coach does with it.

At the end of a workout the coach asks; the answer is kept with the workout's record and moves
the doses of the exercises it had (one step harder after "too easy", one easier after "too hard"),
so that the person's next plan starts from there. After three sessions at one level that felt too
easy, it offers the next level. Said during a workout, the same words ask for easier or harder
from here on (and are remembered for that exercise).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.utils import is_intent_name

from skill.alexa.slots import slot
from skill.alexa.turn import Turn
from skill.catalog import CATALOG, Level
from skill.progress import Preference
from skill.workout import RATINGS, format_timestamp

if TYPE_CHECKING:
    from ask_sdk_core.handler_input import HandlerInput
    from ask_sdk_model import Response

    from skill.speech import Script

RATE_OFFER = "rate"
LEVEL_UP_OFFER = "level_up"
TOO_EASY_TO_MOVE_UP = 3  # sessions at one level that felt too easy before the next level is offered
CHANGE = {"too_easy": 1, "about_right": 0, "too_hard": -1}


def too_easy_at(turn: Turn, level: str) -> int:
    """Sessions at ``level`` rated too easy since the person last changed level."""
    since = turn.user.level.at[:10] if turn.user.level is not None else ""
    return sum(1 for r in turn.user.history if r.level == level and r.rating == "too_easy" and r.date >= since)


def next_level(level: str) -> str | None:
    order = [member.value for member in Level]
    index = order.index(level) if level in order else len(order)
    return order[index + 1] if index + 1 < len(order) else None


class RateWorkoutIntentHandler(AbstractRequestHandler):
    """How it felt: a rating after a workout; easier or harder during one."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("RateWorkoutIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        value = slot(handler_input, "rating")
        rating = value.id if value is not None and value.id in RATINGS else None
        workout = turn.workout
        if workout is not None and turn.in_workout and workout.current is not None:
            return during_workout(turn, rating)
        if rating is None:
            turn.session.offer = RATE_OFFER
            return turn.ask(turn.script("rate.which"), "rate.which")
        return rate_last_workout(turn, rating)


def during_workout(turn: Turn, rating: str | None) -> Response:
    """ "This is too hard" mid-set: easier from here on (and remembered); "about right": carry on."""
    workout = turn.workout
    assert workout is not None and workout.current is not None
    if rating is None or rating == "about_right":
        opening = turn.script("rate.keep_going")
        return turn.perform(opening, workout.resume())
    direction = "easier" if rating == "too_hard" else "harder"
    return adjust(turn, direction)


def adjust(turn: Turn, direction: str) -> Response:
    """Easier or harder from here on, remembered for the exercise the person is on."""
    workout = turn.workout
    assert workout is not None
    step = workout.current
    if not workout.adjust(direction):
        opening = turn.script(f"adjust.limit_{direction}")
    else:
        opening = turn.script(f"adjust.{direction}")
        if step is not None:
            turn.user.learn(step.exercise, 1 if direction == "harder" else -1, format_timestamp(turn.now))
            variation = step.info.easier if direction == "easier" else step.info.harder
            turn.coach.say(opening, f"adjust.variation_{direction}", name=variation.name, how=variation.how)
    return turn.perform(opening, workout.resume())


def rate_last_workout(turn: Turn, rating: str) -> Response:
    """Keep the rating with the workout just done, move its exercises' doses, maybe offer a level up."""
    rated = turn.session.rated
    record = next((r for r in reversed(turn.user.history) if rated and r.id == rated.get("id")), None)
    if record is None and turn.user.history and turn.user.history[-1].date == turn.now.date().isoformat():
        record = turn.user.history[-1]  # said after the session of today's workout ended
    if record is None:
        turn.session.offer = "start"
        script = turn.script("rate.nothing_to_rate")
        turn.coach.say(script, "info.menu_prompt")
        return turn.ask(script, "menu.reprompt")
    turn.user.history = [r if r is not record else replace(r, rating=rating) for r in turn.user.history]
    exercises = [e for e in (rated or {}).get("exercises", []) if e in CATALOG]
    for exercise in exercises:
        if CHANGE[rating]:
            turn.user.learn(exercise, CHANGE[rating], format_timestamp(turn.now))
    turn.session.offer = None
    turn.session.rated = None
    script = turn.script(f"rate.thanks_{rating}")
    up = next_level(record.level) if rating == "too_easy" else None
    if up is not None and too_easy_at(turn, record.level) >= TOO_EASY_TO_MOVE_UP:
        turn.session.offer = f"{LEVEL_UP_OFFER}:{up}"
        level, higher = turn.coach.text(f"level.{record.level}"), turn.coach.text(f"level.{up}")
        turn.coach.say(script, "rate.offer_level", level=level, up=higher)
        return turn.ask(script, "rate.offer_level_reprompt")
    turn.coach.say(script, "finish.goodbye")
    return turn.tell(script)


def answer_level_up(turn: Turn, accepted: bool) -> Response:
    """Yes or no to moving up a level next time."""
    up = (turn.session.offered or "").partition(":")[2]
    turn.session.offer = None
    if accepted and up in {member.value for member in Level}:
        turn.user.level = Preference(up, format_timestamp(turn.now))
        script: Script = turn.script(("rate.level_up", {"level": turn.coach.text(f"level.{up}")}))
    else:
        script = turn.script("rate.level_stay")
    turn.coach.say(script, "finish.goodbye")
    return turn.tell(script)
