"""One request's context for the handlers, and how they reply.

The interceptors (``skill.alexa.interceptors``) build a ``Turn`` before any handler runs: who
is asking, when, on which device and front end, the person's data, where this session stands,
and how far the last reply got (``cut``, settled once per request). Handlers read it, move the
workout through its transitions, and answer with ``ask``, ``tell`` or ``perform``.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from skill.coach import Coach
from skill.playback import Playback
from skill.progress import UserData, streak
from skill.routine import Position
from skill.screen import TOKEN, ScreenBuilder, WorkoutCard, document
from skill.speech import Script, escape
from skill.workout import Entry, device_tag

if TYPE_CHECKING:
    from ask_sdk_core.handler_input import HandlerInput
    from ask_sdk_model import Response

    from skill.speech import Window
    from skill.workout import WorkoutState

TURN = "strong_back_turn"
MENU = "menu"  # the session's stage: at the menu (a saved workout is only offered, not running)
WORKOUT = "workout"  # in a workout
SAID_KEYS = ("ssml", "reprompt", "text")
# What a yes or no can answer: a workout to start or resume, or leaving out what hurts (and where).
OFFERS = frozenset(
    {
        "start",
        "resume",
        "rate",
        "pain",
        *(f"pain:{part}" for part in ("back", "neck", "shoulder", "elbow", "wrist", "hip", "knee")),
        *(f"level_up:{level}" for level in ("intermediate", "advanced")),
    }
)
MAX_SAID_CHARS = 8000  # Alexa's own limit for speech: anything longer did not come from this skill


@dataclass
class SessionState:
    """What this Alexa session remembers between requests (carried in session attributes)."""

    offer: str | None = None  # what the next yes or no answers ("start", "resume", ...): set by this reply
    offered: str | None = None  # what the last reply offered, which this request may answer
    stage: str | None = None  # MENU or WORKOUT; None: a session that went straight to a request
    said: dict[str, str] | None = None  # the last answer that was not a block of sets, to say again
    rated: dict[str, Any] | None = None  # the workout just finished, to rate: its id and exercises

    def to_attributes(self) -> dict[str, Any]:
        return {"offer": self.offer, "stage": self.stage, "said": self.said, "rated": self.rated}

    @classmethod
    def from_attributes(cls, raw: dict[str, Any]) -> SessionState:
        offer, stage, said = raw.get("offer"), raw.get("stage"), raw.get("said")
        kept = None
        if isinstance(said, dict) and all(isinstance(said.get(k), str) for k in SAID_KEYS):
            kept = {k: said[k][:MAX_SAID_CHARS] for k in SAID_KEYS}
        rated = raw.get("rated")
        exercises = rated.get("exercises") if isinstance(rated, dict) else None
        rated_ok = isinstance(rated, dict) and isinstance(rated.get("id"), str) and len(rated["id"]) <= 40
        rated_ok = rated_ok and isinstance(exercises, list) and len(exercises) <= 64
        rated_ok = rated_ok and all(isinstance(e, str) and len(e) <= 40 for e in exercises or [])
        return cls(
            offered=offer if isinstance(offer, str) and offer in OFFERS else None,
            stage=stage if stage in (MENU, WORKOUT) else None,
            said=kept,
            rated={"id": rated["id"], "exercises": list(exercises or [])}
            if rated_ok and isinstance(rated, dict)
            else None,
        )


@dataclass
class Turn:
    """The request's context (who, when, what state, how far the last reply got) and the reply."""

    handler_input: HandlerInput
    user: UserData
    playback: Playback = Playback.ALEXA
    session: SessionState = field(default_factory=SessionState)
    cut: Window | None = None  # the window of the last reply that this request cut short
    once_saved: str | None = None  # a dialog key said at the end of the reply once its save succeeded
    screen: WorkoutCard | None = None  # what a screen device shows with this reply
    locale: str = field(init=False)
    coach: Coach = field(init=False)
    now: datetime = field(init=False)
    device: str | None = field(init=False)

    def __post_init__(self) -> None:
        request = self.handler_input.request_envelope.request
        self.locale = str(getattr(request, "locale", None) or "en-US")
        self.coach = Coach(self.locale, self.playback)
        stamp = getattr(request, "timestamp", None)
        now = stamp if isinstance(stamp, datetime) else datetime.now(UTC)
        self.now = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
        context = self.handler_input.request_envelope.context
        device = context.system.device if context is not None and context.system is not None else None
        self.device = device_tag(device.device_id if device is not None else None)

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
        """The person's unfinished workout, running or waiting (None when there is none)."""
        workout = self.user.workout
        return workout if workout is not None and workout.status != "finished" else None

    @property
    def in_workout(self) -> bool:
        """Whether this session is in the workout (not at the menu, where a saved one is only offered)."""
        return self.workout is not None and self.session.stage != MENU

    @property
    def new_session(self) -> bool:
        session = self.handler_input.request_envelope.session
        return session is None or bool(session.new)

    # ----- replies ------------------------------------------------------------------------
    def script(self, *parts: tuple[str, dict[str, object]] | str) -> Script:
        """A reply from dialog keys (optionally with data)."""
        script = Script()
        for part in parts:
            key, data = (part, {}) if isinstance(part, str) else part
            self.coach.say(script, key, **data)
        return script

    def ask(self, script: Script, reprompt_key: str = "block.reprompt", **data: object) -> Response:
        """Answer and keep the session open, with a reprompt; "say that again" repeats this answer."""
        reprompt = f"<speak>{escape(self.coach.sentence(reprompt_key, **data))}</speak>"
        ssml = script.to_ssml()
        self.session.said = {"ssml": ssml, "reprompt": reprompt, "text": script.text()}
        return self._reply(ssml, reprompt, script)

    def again(self, said: dict[str, str]) -> Response:
        """The last answer, word for word (and what it offered, offered again)."""
        self.session.said = said
        self.session.offer = self.session.offered
        shown = Script()
        shown.say(said["text"], "repeat.said")
        return self._reply(said["ssml"], said["reprompt"], shown)

    def tell(self, script: Script) -> Response:
        """Reply and end the session."""
        self._show(script, ending=True)
        return self.handler_input.response_builder.speak(script.to_ssml()).set_should_end_session(True).response

    def _reply(self, ssml: str, reprompt: str, script: Script) -> Response:
        self._show(script, ending=False)
        return self.handler_input.response_builder.speak(ssml).ask(reprompt).response

    def perform(self, opening: Script | None = None, entry: Entry = Entry.TALK) -> Response:
        """Perform the next block of sets from where the workout stands (finishing if it is the last).

        ``entry`` says how the first set is entered: its talk, briefly, straight to the count, or to work."""
        workout = self.workout
        if workout is None:
            self.session.offer = "start"
            return self.ask(self.script("workout.none"), "menu.reprompt")
        self.session.stage = WORKOUT
        self.session.rated = None  # a workout under way: the one before it is no longer the one to rate
        script = opening or Script()
        workout.resume()
        block, end = self.coach.block(workout, entry)
        start = script.duration
        script.extend(block)
        windows = [w for w in script.windows if w.start >= start - 1e-9]
        if windows and windows[0].start > 0:  # what is said before the first set belongs to its first window
            first = windows[0]
            windows[0] = type(first)(first.kind, 0.0, first.end, first.step, first.set, first.side)
        if self.has_screen:
            self.screen = ScreenBuilder(self.coach).workout(workout, script)
        if end.step >= len(workout.steps):
            return self._finish(script, workout, windows)
        workout.begin_block(windows, end, script.duration, self.now, self.device, block.ahead)
        self.session.said = None  # "say that again" now means this block's set again
        self._show(script, ending=False)
        reprompt = f"<speak>{escape(self.coach.sentence('block.reprompt'))}</speak>"
        return self.handler_input.response_builder.speak(script.to_ssml()).ask(reprompt).response

    def _finish(self, script: Script, workout: WorkoutState, windows: list[Window]) -> Response:
        """The reply that performs the last sets and says goodbye: the workout is recorded as done.

        The workout itself is kept, finished, with this reply as its block: a request that cuts the
        reply short (a pause during the last plank) reopens it (see ``skill.alexa.interceptors``)."""
        done = deepcopy(workout)
        done.seconds += script.duration
        done.pos = Position(len(done.steps))
        done.results = [result or "done" for result in done.results]
        record = done.finish(self.now)
        self.user.record(record)
        days = streak(self.user.history, self.now.date())
        ask = record.completed > 0  # how did it feel? (the answer shapes the next plan)
        left_out = len(done.left_out)
        script.extend(
            self.coach.finish(record.completed, record.skipped - left_out, record.seconds, days, ask, left_out)
        )
        workout.begin_block(windows, Position(len(workout.steps)), script.duration, self.now, self.device)
        workout.status = "finished"
        if not workout.steps:  # everything was left out: there is no last reply to come back to
            self.user.workout = None
        if not ask or self.playback is Playback.RECORDING:
            return self.tell(script)
        exercises = [step.exercise for step, result in zip(workout.steps, workout.results, strict=True)]
        self.session.offer = "rate"
        self.session.rated = {
            "id": record.id or "",
            "exercises": [e for e, r in zip(exercises, done.results, strict=True) if r != "skipped"],
        }
        self._show(script, ending=False)
        reprompt = f"<speak>{escape(self.coach.sentence('finish.rate_reprompt'))}</speak>"
        return self.handler_input.response_builder.speak(script.to_ssml()).ask(reprompt).response

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
        # Imported here: the APL model classes are paid for only by screen devices (cold start).
        from ask_sdk_model.interfaces.alexa.presentation.apl import RenderDocumentDirective

        workout = self.workout
        screen = self.screen or ScreenBuilder(self.coach).still(
            workout, script, paused=workout is not None and workout.status == "paused", buttons=not ending
        )
        builder = self.handler_input.response_builder
        builder.add_directive(RenderDocumentDirective(token=TOKEN, document=document(), datasources=screen.datasources))
