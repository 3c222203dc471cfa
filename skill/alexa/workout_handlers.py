"""Handlers that run the workout: start, next, skip, previous, repeat, start over, pause, resume, adjust.

Each translates a request into the workout's transitions and performs or answers; how far the
last reply got has already been settled (``Turn.cut``, ``WorkoutState.held``) by the interceptors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.utils import is_intent_name

from skill.alexa.feedback_handlers import adjust
from skill.alexa.slots import duration_seconds, slot
from skill.alexa.touch import said_or_pressed
from skill.alexa.turn import MENU, Turn
from skill.catalog import Area, Level, Place
from skill.numbers import seconds_phrase, spoken
from skill.planning import MAX_MINUTES, MIN_MINUTES, plan_routine, previous_vertical_pull
from skill.routine import Position
from skill.speech import ssml_problems
from skill.workout import Entry, WorkoutState

if TYPE_CHECKING:
    from ask_sdk_core.handler_input import HandlerInput
    from ask_sdk_model import Response

    from skill.speech import Script


def in_workout(handler_input: HandlerInput) -> bool:
    return Turn.of(handler_input).in_workout


class StartWorkoutIntentHandler(AbstractRequestHandler):
    """ "Start a ten minute upper back workout": plan it and begin."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return said_or_pressed("StartWorkoutIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        return start_workout(Turn.of(handler_input), handler_input)


def _choice(
    handler_input: HandlerInput, name: str, kind: type[Area] | type[Level] | type[Place], fallback: str
) -> tuple[str, str | None]:
    """The resolved id for a slot, or the fallback and what was heard when it didn't resolve."""
    value = slot(handler_input, name)
    if value is None:
        return fallback, None
    if value.id in {member.value for member in kind}:
        return value.id, None
    return fallback, value.heard


def _minutes(handler_input: HandlerInput) -> tuple[int | None, str | None]:
    """Minutes asked for, clamped to what the coach runs, and a note when it was changed."""
    value = slot(handler_input, "duration")
    if value is None:
        return None, None
    seconds = duration_seconds(value.heard)
    if seconds is None or seconds <= 0:
        return None, "duration.unclear"
    minutes = round(seconds / 60)
    if minutes < MIN_MINUTES:
        return MIN_MINUTES, "duration.too_short"
    if minutes > MAX_MINUTES:
        return MAX_MINUTES, "duration.too_long"
    return minutes, None


def start_workout(turn: Turn, handler_input: HandlerInput) -> Response:
    """Plan a workout from the request's slots (defaults: what the person did last) and begin."""
    last = turn.user.history[-1] if turn.user.history else None
    usual_level = str(turn.user.level.value) if turn.user.level else last.level if last else Level.BEGINNER.value
    area, bad_area = _choice(handler_input, "area", Area, last.area if last else Area.LOWER_BACK.value)
    level, bad_level = _choice(handler_input, "level", Level, usual_level)
    place, bad_place = _choice(handler_input, "place", Place, last.place if last else Place.HOME.value)
    minutes, minutes_note = _minutes(handler_input)
    if bad_area and bad_level is None:
        return turn.ask(turn.script(("start.unknown_area", {"heard": bad_area})), "start.reprompt")
    script = turn.script()
    if turn.workout is not None:
        turn.coach.say(script, "workout.replaced")
    plan = plan_routine(area, level, place, minutes, previous_vertical_pull(turn.user.history))
    longer_than_needed = minutes_note == "duration.too_long" and plan.capped is not None
    if minutes_note and not longer_than_needed:  # one note about the length, not two that disagree
        turn.coach.say(script, minutes_note, minutes=spoken(minutes or MIN_MINUTES))
    for heard, key in ((bad_level, "start.unknown_level"), (bad_place, "start.unknown_place")):
        if heard:
            turn.coach.say(script, key, heard=heard)
    turn.coach.plan_note(script, plan, beyond_an_hour=longer_than_needed)
    first_time = turn.user.first_time
    workout = WorkoutState.start(plan, turn.now)
    learned = {step.exercise: turn.user.offset(step.exercise) for step in workout.steps}
    if workout.start_from(learned):
        turn.coach.say(script, "start.learned")
    turn.user.workout = workout
    if turn.user.first_seen is None:
        turn.user.first_seen = turn.now.date().isoformat()
    script.extend(turn.coach.workout_intro(workout, first_time))
    return turn.perform(script)


class NextIntentHandler(AbstractRequestHandler):
    """ "Next": always forward. It skips the talk it cut, ends the set it cut, or starts what comes next."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return said_or_pressed("AMAZON.NextIntent")(handler_input) and in_workout(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        workout = turn.workout
        assert workout is not None
        return turn.perform(entry=workout.next())


class SkipExerciseIntentHandler(AbstractRequestHandler):
    """ "Skip this one": record the exercise as skipped and move on."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("SkipExerciseIntent")(handler_input) and in_workout(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        workout = turn.workout
        assert workout is not None
        skipped = workout.current
        workout.skip()
        opening = turn.script(("skip.done", {"name": skipped.info.name if skipped else ""}))
        return turn.perform(opening)


class PreviousIntentHandler(AbstractRequestHandler):
    """ "Go back": the previous exercise (or the start of this one)."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.PreviousIntent")(handler_input) and in_workout(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        workout = turn.workout
        assert workout is not None
        before = workout.pos
        workout.previous()
        name = workout.steps[workout.pos.step].info.name
        if workout.pos.step < before.step:
            key = "previous.done"
        elif before == Position(workout.pos.step):  # already at the start of the first exercise
            key = "previous.first"
        else:
            key = "previous.restart"
        return turn.perform(turn.script((key, {"name": name})))


class RepeatIntentHandler(AbstractRequestHandler):
    """ "Say that again": the last answer word for word; in a workout's sets, the set from its start."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.RepeatIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        said = turn.session.said
        if said is not None and not ssml_problems(said["ssml"]) and not ssml_problems(said["reprompt"]):
            return turn.again(said)
        workout = turn.workout
        if workout is not None and turn.in_workout:
            workout.repeat()
            return turn.perform(turn.script("repeat.done"))
        turn.session.offer = "start"
        return turn.ask(turn.script("repeat.nothing"), "menu.reprompt")


class StartOverIntentHandler(AbstractRequestHandler):
    """ "Start over": the same workout from the first exercise."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.StartOverIntent")(handler_input) and in_workout(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        workout = turn.workout
        assert workout is not None
        workout.start_over()
        opening = turn.script("start_over.done")
        opening.extend(turn.coach.workout_intro(workout, first_time=False))
        return turn.perform(opening)


class PauseIntentHandler(AbstractRequestHandler):
    """ "Pause": freeze the workout where the person is, with what is left of a hold."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return said_or_pressed("AMAZON.PauseIntent")(handler_input) and in_workout(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        workout = turn.workout
        assert workout is not None
        workout.pause()
        return turn.ask(paused_script(turn, workout), "pause.reprompt")


def paused_script(turn: Turn, workout: WorkoutState) -> Script:
    step = workout.current
    if step is None:
        return turn.script("pause.done")
    if workout.pos.remaining:
        return turn.script(
            ("pause.mid_hold", {"name": step.info.name, "seconds": seconds_phrase(workout.pos.remaining)})
        )
    return turn.script(("pause.at", {"name": step.info.name}))


class ResumeIntentHandler(AbstractRequestHandler):
    """ "Resume my workout": carry on from saved progress, in this session or a new one."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return said_or_pressed("AMAZON.ResumeIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        workout = turn.workout
        if workout is None:
            if turn.session.offered == "start":  # "ready", "let's go" when a workout was offered: start it
                return start_workout(turn, handler_input)
            turn.session.offer = "start"
            return turn.ask(turn.script("resume.nothing"), "menu.reprompt")
        entry = workout.resume()
        if turn.new_session or turn.session.stage == MENU:  # back after a while: a word of welcome first
            return turn.perform(turn.script("resume.welcome_back"), Entry.TALK)
        return turn.perform(entry=entry)  # paused a moment ago: straight back to work


class AdjustDifficultyIntentHandler(AbstractRequestHandler):
    """ "Make it easier" / "make it harder": change the dose from here on. With no direction ("I'm
    tired", "change the difficulty") the set stops and the coach offers an easier version or a rest."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AdjustDifficultyIntent")(handler_input) and in_workout(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        workout = turn.workout
        assert workout is not None
        value = slot(handler_input, "direction")
        if value is None or value.id not in ("easier", "harder"):
            workout.pause()
            return turn.ask(turn.script("adjust.which"), "adjust.which_reprompt")
        changed = change_form(turn, value.id)  # "I can't do a pull up": its easier form, or back
        return changed if changed is not None else adjust(turn, value.id)


def change_form(turn: Turn, direction: str) -> Response | None:
    """The exercise the person is on in its easier form ("I can't do a pull up"), or back from it
    (harder), when the catalog has such a form: the set starts again. None when it has none."""
    workout = turn.workout
    step = workout.current if workout is not None else None
    changed = workout.change_form(direction) if workout is not None else None
    if workout is None or step is None or changed is None:
        return None
    key = "adjust.to_variation" if changed.variation else "adjust.from_variation"
    opening = turn.script((key, {"name": changed.variation or step.info.name}))
    fresh = workout.pos.set == 0 and workout.pos.side == 0
    if changed.variation and not fresh:  # a first set's brief talk says how; a later set's does not
        turn.coach.say(opening, "adjust.how", how=step.info.easier.how)
    return turn.perform(opening, Entry.BRIEF if fresh else Entry.LEAD)
