"""One request's worth of context for the handlers: who, when, what state, and how to reply."""

from __future__ import annotations

import logging
from copy import deepcopy
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from skill.coach import Coach
from skill.progress import UserData, streak
from skill.routine import Position
from skill.screen import TOKEN, ScreenBuilder, WorkoutCard, document
from skill.speech import Script, escape
from skill.workout import device_tag

if TYPE_CHECKING:
    from ask_sdk_core.handler_input import HandlerInput
    from ask_sdk_model import Response

    from skill.speech import Window
    from skill.workout import WorkoutState

log = logging.getLogger(__name__)
TURN = "strong_back_turn"


class Turn:
    """Wraps a HandlerInput with the person's data, the request time and the coach."""

    def __init__(self, handler_input: HandlerInput, user: UserData) -> None:
        self.handler_input = handler_input
        request = handler_input.request_envelope.request
        self.locale = str(getattr(request, "locale", None) or "en-US")
        self.coach = Coach(self.locale)
        stamp = getattr(request, "timestamp", None)
        self.now = stamp if isinstance(stamp, datetime) else datetime.now(UTC)
        if self.now.tzinfo is None:
            self.now = self.now.replace(tzinfo=UTC)
        self.user = user
        system = handler_input.request_envelope.context.system if handler_input.request_envelope.context else None
        device = system.device if system is not None else None
        self.device = device_tag(device.device_id if device is not None else None)
        self.offer: str | None = None  # what a following yes or no answers
        self.once_saved: str | None = None  # a dialog key said at the end of the reply once its save succeeded
        self.screen: WorkoutCard | None = None  # what a screen device shows with this reply
        self._reopened_in: Window | None = None  # the window of a last reply this request cut short
        self._reopen_cut_finish()

    @classmethod
    def of(cls, handler_input: HandlerInput) -> Turn:
        turn = handler_input.attributes_manager.request_attributes.get(TURN)
        if not isinstance(turn, Turn):  # interceptors did not run (e.g. a request they could not read)
            turn = cls(handler_input, UserData())
            handler_input.attributes_manager.request_attributes[TURN] = turn
        return turn

    # ----- state --------------------------------------------------------------------------
    @property
    def workout(self) -> WorkoutState | None:
        workout = self.user.workout
        return workout if workout is not None and workout.status != "finished" else None

    def settle(self) -> Window | None:
        """How far the last reply got: the window this request cut it short in, if it did."""
        if self._reopened_in is not None:  # already settled when the finished workout was reopened
            cut, self._reopened_in = self._reopened_in, None
            return cut
        workout = self.workout
        return workout.settle(self.now) if workout else None

    # ----- replies ------------------------------------------------------------------------
    def script(self, *parts: tuple[str, dict[str, object]] | str) -> Script:
        """A reply from dialog keys (optionally with data)."""
        script = Script()
        for part in parts:
            key, data = (part, {}) if isinstance(part, str) else part
            self.coach.say(script, key, **data)
        return script

    def ask(self, script: Script, reprompt_key: str = "block.reprompt", **data: object) -> Response:
        """Reply and keep the session open, with a reprompt."""
        builder = self.handler_input.response_builder
        reprompt = self.coach.sentence(reprompt_key, **data)
        self._show(script, ending=False)
        return builder.speak(script.to_ssml()).ask(f"<speak>{escape(reprompt)}</speak>").response

    def tell(self, script: Script) -> Response:
        """Reply and end the session."""
        self._show(script, ending=True)
        return self.handler_input.response_builder.speak(script.to_ssml()).set_should_end_session(True).response

    # ----- screens ----------------------------------------------------------------------
    @property
    def has_screen(self) -> bool:
        """Whether the device can show APL documents (Echo Show and others)."""
        context = self.handler_input.request_envelope.context
        device = context.system.device if context is not None and context.system is not None else None
        interfaces = device.supported_interfaces if device is not None else None
        return interfaces is not None and interfaces.alexa_presentation_apl is not None

    def _show(self, script: Script, ending: bool) -> None:
        """On a screen device, render this reply's card (with the timeline that animates it)."""
        if not self.has_screen:
            return
        from ask_sdk_model.interfaces.alexa.presentation.apl import RenderDocumentDirective

        workout = self.workout
        screen = self.screen or ScreenBuilder(self.coach).still(
            workout, script, paused=workout is not None and workout.status == "paused", buttons=not ending
        )
        builder = self.handler_input.response_builder
        builder.add_directive(RenderDocumentDirective(token=TOKEN, document=document(), datasources=screen.datasources))

    def perform(self, opening: Script | None = None, brief: bool = False) -> Response:
        """Perform the next block of sets from the workout's position (finishing if it is the last).

        ``brief`` skips the set-up talk of the first exercise (the person cut it short to start)."""
        workout = self.workout
        if workout is None:
            return self.ask(self.script("workout.none"), "menu.reprompt")
        script = opening or Script()
        workout.resume()
        block, end = self.coach.block(workout, brief=brief)
        start = script.duration
        script.extend(block)
        windows = [w for w in script.windows if w.start >= start]
        if self.has_screen:
            self.screen = ScreenBuilder(self.coach).workout(workout, script)
        if end.step >= len(workout.steps):
            return self._finish(script, workout, windows)
        workout.begin_block(windows, end, script.duration, self.now, self.device)
        return self.ask(script)

    def _finish(self, script: Script, workout: WorkoutState, windows: list[Window]) -> Response:
        """The reply that performs the last sets and says goodbye: the workout is recorded as done.

        The workout itself is kept, finished, with this reply as its block: a request that cuts the
        reply short (a pause during the last plank) reopens it (``_reopen_cut_finish``)."""
        done = deepcopy(workout)
        done.seconds += script.duration
        done.pos = Position(len(done.steps))
        done.results = [result or "done" for result in done.results]
        record = done.finish(self.now)
        self.user.record(record)
        days = streak(self.user.history, self.now.date())
        script.extend(self.coach.finish(record.completed, record.skipped, record.seconds, days))
        workout.begin_block(windows, Position(len(workout.steps)), script.duration, self.now, self.device)
        workout.status = "finished"
        return self.tell(script)

    def _reopen_cut_finish(self) -> None:
        """A workout whose last reply this request cuts short is not over: reopen it and take back
        its history record. One whose last reply played out is over and is let go."""
        workout = self.user.workout
        if workout is None or workout.status != "finished":
            return
        if workout.block is not None and workout.block.device not in (None, self.device):
            return  # another device is still playing that goodbye; this request is not about it
        cut = workout.settle(self.now)
        if cut is None or workout.finished:
            self.user.workout = None
            return
        workout.status = "paused"
        self.user.history = [record for record in self.user.history if record.id != workout.id]
        self._reopened_in = cut

