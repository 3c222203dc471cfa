"""Handlers that answer questions: how to do an exercise, where the workout stands, progress, help."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.utils import is_intent_name

from skill.alexa.slots import slot
from skill.alexa.turn import Turn
from skill.catalog import CATALOG, Exercise
from skill.coach import seconds_left
from skill.numbers import minutes_phrase, spoken
from skill.progress import summarize

if TYPE_CHECKING:
    from ask_sdk_core.handler_input import HandlerInput
    from ask_sdk_model import Response

    from skill.speech import Script


def _carry_on(turn: Turn, script: Script) -> Response:
    """Close an answer: mid-workout, offer to resume (the workout waits where it was); otherwise the menu."""
    workout = turn.workout
    if workout is not None and turn.in_workout:
        workout.pause()
        turn.coach.say(script, "info.resume_prompt")
        return turn.ask(script, "pause.reprompt")
    if workout is not None and workout.current is not None:
        turn.session.offer = "resume"
        turn.coach.say(script, "info.resume_or_start_prompt")
        return turn.ask(script, "launch.resume_reprompt")
    turn.session.offer = "start"
    turn.coach.say(script, "info.menu_prompt")
    return turn.ask(script, "menu.reprompt")


class DescribeExerciseIntentHandler(AbstractRequestHandler):
    """ "How do I do a plank?" / "how do I do this?"."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("DescribeExerciseIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        value = slot(handler_input, "exercise")
        exercise: Exercise | None = None
        if value is not None:
            if value.id is None or value.id not in CATALOG:
                script = turn.script(("describe.unknown", {"heard": value.heard, "names": _some_names(turn)}))
                return _carry_on(turn, script)
            exercise = CATALOG[value.id]
        elif turn.workout is not None and turn.workout.current is not None:
            exercise = turn.workout.current.info
        if exercise is None:
            return turn.ask(turn.script("describe.which"), "describe.which")
        return _carry_on(turn, describe(turn, exercise))


SUGGESTED = 3  # exercises named after "I don't coach that": a few, not the whole catalog, by voice


def _some_names(turn: Turn) -> str:
    """ "the plank, the deadlift or the wide pull up": this workout's exercises, or the main ones."""
    workout = turn.workout
    ids = [step.exercise for step in workout.steps if step.phase == "main"] if workout is not None else []
    ids = list(dict.fromkeys(ids)) or [e.id for e in CATALOG.values() if e.phase.value == "main"]
    return turn.coach.listed([f"the {CATALOG[i].name}" for i in ids[:SUGGESTED]], either=True)


def describe(turn: Turn, exercise: Exercise) -> Script:
    """Everything about one exercise, spoken: what it does, set-up, cues, mistake, safety, variations."""
    script = turn.script(
        ("describe.name", {"name": exercise.name, "benefit": exercise.benefit}),
        ("exercise.setup", {"setup": exercise.setup}),
    )
    for cue in exercise.cues:
        turn.coach.say(script, "exercise.cue", cue=cue)
    turn.coach.say(script, "describe.mistake", mistake=exercise.mistake)
    if exercise.safety:
        turn.coach.say(script, "exercise.safety", safety=exercise.safety)
    if exercise.grips:
        turn.coach.say(script, "describe.grips", grips=", ".join(exercise.grips[:-1]) + " and " + exercise.grips[-1])
    turn.coach.say(script, "describe.variations", easier=exercise.easier.name, harder=exercise.harder.name)
    return script


class WorkoutStatusIntentHandler(AbstractRequestHandler):
    """ "What's next?", "how many are left?", "how long to go?"."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("WorkoutStatusIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        workout = turn.workout
        if workout is None or workout.current is None:
            turn.session.offer = "start"
            return turn.ask(turn.script("status.none"), "menu.reprompt")
        step = workout.current
        left = len(workout.steps) - workout.pos.step - 1
        seconds = seconds_left(workout, turn.coach)
        script = turn.script(
            (
                "status.current",
                {"name": step.info.name, "number": spoken(workout.pos.set + 1), "sets": spoken(step.sets)},
            ),
            (
                "status.left" if left != 1 else "status.left_one",
                {"count": spoken(left), "time": minutes_phrase(seconds)},
            ),
        )
        if left:
            turn.coach.say(script, "status.next", name=workout.steps[workout.pos.step + 1].info.name)
        return _carry_on(turn, script)


class ProgressIntentHandler(AbstractRequestHandler):
    """ "How am I doing?": workouts done, streak, last workout."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("ProgressIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        progress = summarize(turn.user.history, turn.now.date())
        if progress.last is None:
            underway = turn.workout is not None and turn.in_workout
            return _carry_on(turn, turn.script("progress.first_underway" if underway else "progress.none"))
        last = progress.last
        when = {0: "progress.today", 1: "progress.yesterday"}.get(progress.days_since_last or 0, "progress.days_ago")
        script = turn.script(
            (
                "progress.count" if progress.workouts != 1 else "progress.count_one",
                {"count": spoken(min(progress.workouts, 9999))},
            ),
            (
                when,
                {
                    "days": spoken(min(progress.days_since_last or 0, 9999)),
                    "area": turn.coach.area_name(last.area),
                    "exercises": turn.coach.exercises(last.completed),
                },
            ),
        )
        if progress.streak >= 2:
            turn.coach.say(script, "progress.streak", days=spoken(min(progress.streak, 9999)))
        elif progress.streak == 0:
            turn.coach.say(script, "progress.no_streak")
        return _carry_on(turn, script)


class HelpIntentHandler(AbstractRequestHandler):
    """Help that fits the moment: during a workout, or at the menu."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.HelpIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        if turn.in_workout:
            return _carry_on(turn, turn.script("help.workout"))
        turn.session.offer = "start"
        return turn.ask(turn.script("help.menu"), "menu.reprompt")
