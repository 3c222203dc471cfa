"""What every request needs, once, around whichever handler answers it.

Before the handler (request interceptors, in this order):

1. ``LoadUserDataInterceptor``: the person's stored data, and what this session carries (the
   workout in progress, the stage, the last answer). When storage fails the workout goes on from
   the session attributes and the person is told, honestly and once per session, that their
   progress could not be saved; the next request that can read storage saves it.
2. ``SettleInterceptor``: how far the last reply got, from this request's timestamp, for every
   request type (intents, screen touches, session ends): the workout moves to where the person
   is, and ``Turn.cut`` says which window of the reply the request cut short. A workout whose
   goodbye is cut short is reopened. No handler settles, so none can forget to.

After the handler (``SaveUserDataInterceptor``): the session carries the workout, and storage
gets everything after every step. A request that could not read storage saves nothing: the
document it would write lacks the stored history, and writing it would replace newer data with
less. The save is conditional on the revision the request read (``StoredDocument``): if another
device of the same person saved in between, the store merges the two (``skill.progress.merge``)
instead of dropping the other's change. A request that changed nothing writes nothing, so a
question like "how am I doing" on one device never races a workout running on another.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ask_sdk_core.dispatch_components import AbstractRequestInterceptor, AbstractResponseInterceptor
from ask_sdk_model.ui import SsmlOutputSpeech

from skill.alexa.turn import TURN, SessionState, Turn
from skill.playback import Playback
from skill.progress import UserData
from skill.screen import delay_timeline
from skill.speech import escape, estimate_seconds
from skill.storage.base import StoredDocument
from skill.workout import format_timestamp, load_state, parse_timestamp, state_from_json, state_to_json

if TYPE_CHECKING:
    from ask_sdk_core.handler_input import HandlerInput
    from ask_sdk_model import Response

log = logging.getLogger(__name__)
WORKOUT = "workout"
UNSAVED = "unsaved"  # session attribute: the person has been told that saving failed
SAVED = "saved"  # session attribute: after this request, storage holds all of this person's progress
STORAGE = "strong_back_storage"


@dataclass
class StorageStatus:
    """What happened to storage in this request."""

    loaded: bool = True  # the stored document was read (or there was none)
    told: bool = False  # earlier in this session the person heard that saving failed
    notice: tuple[str, dict[str, object]] | None = None  # something about storage to say first
    stored: dict[str, Any] | None = None  # the document as read, when it was read
    revision: int | None = None  # the revision it was read at; None: the adapter keeps no revisions


class LoadUserDataInterceptor(AbstractRequestInterceptor):
    """Stored data first; within a session the workout carried in session attributes wins."""

    def __init__(self, playback: Playback = Playback.ALEXA) -> None:
        self.playback = playback

    def process(self, handler_input: HandlerInput) -> None:
        manager = handler_input.attributes_manager
        session = handler_input.request_envelope.session
        carried = manager.session_attributes or {} if session is not None and not session.new else {}
        status = StorageStatus(told=carried.get(UNSAVED) is True)
        try:
            stored = manager.persistent_attributes
            user = UserData.from_attributes(stored, workout=carried.get(WORKOUT) is None)
            status.stored = dict(stored)
            status.revision = stored.revision if isinstance(stored, StoredDocument) else None
            if isinstance(stored, StoredDocument) and stored.notice is not None:
                status.notice = ("storage.moved_aside", {"path": str(stored.notice.path)})
        except Exception as error:  # storage down: keep coaching from the session
            log.warning("could not load saved progress: %s", error)
            user, status.loaded = UserData(), False
        if carried.get(WORKOUT) is not None:
            text = carried[WORKOUT]
            # JSON text; a session begun before the workout was carried as text has it as an object,
            # walked by BoundedSkill with the workout's bounds.
            workout = state_from_json(text) if isinstance(text, str) else load_state(text, walked=True)
            if workout is not None:
                user.workout = workout
            else:
                log.warning("ignored damaged workout state from the session")
                if status.stored is not None:  # carry on from what storage holds
                    user.workout = load_state(status.stored.get(WORKOUT), walked=True)
        turn = Turn(handler_input, user, self.playback, SessionState.from_attributes(carried))
        manager.request_attributes[TURN] = turn
        manager.request_attributes[STORAGE] = status


class SettleInterceptor(AbstractRequestInterceptor):
    """How far the last reply got, settled once for every request before any handler runs."""

    def process(self, handler_input: HandlerInput) -> None:
        turn = Turn.of(handler_input)
        workout = turn.user.workout
        if workout is None:
            return
        if workout.status != "finished":
            turn.cut = workout.settle(turn.now)
            return
        # A finished workout is kept with its goodbye as its block: cutting that reply short reopens it.
        if workout.block is not None and workout.block.device not in (None, turn.device):
            return  # another device is still playing that goodbye; this request is not about it
        cut = workout.settle(turn.now)
        if cut is None or workout.finished:
            turn.user.workout = None
            return
        workout.status = "paused"
        turn.user.history = [record for record in turn.user.history if record.id != workout.id]
        turn.cut = cut


class SaveUserDataInterceptor(AbstractResponseInterceptor):
    """Carry the workout in the session and save everything to storage after every step."""

    def process(self, handler_input: HandlerInput, response: Response | None) -> None:
        manager = handler_input.attributes_manager
        turn = manager.request_attributes.get(TURN)
        if not isinstance(turn, Turn):
            return
        status = manager.request_attributes.get(STORAGE)
        status = status if isinstance(status, StorageStatus) else StorageStatus()
        if status.notice is not None:
            say_first(response, turn, *status.notice)
        saved = status.loaded and self._save(handler_input, turn, status)
        if saved and turn.once_saved is not None:
            say_last(response, turn, turn.once_saved)
        ending = response is None or response.should_end_session is not False
        if not saved and (ending or not status.told):
            key = "storage.unsaved_end" if ending else "storage.unsaved"
            status.told = say_first(response, turn, key, {}) or status.told
        workout = turn.user.workout
        manager.session_attributes = {
            WORKOUT: state_to_json(workout) if workout is not None else None,
            **turn.session.to_attributes(),
            UNSAVED: status.told and not saved,
            SAVED: saved,
        }

    @staticmethod
    def _save(handler_input: HandlerInput, turn: Turn, status: StorageStatus) -> bool:
        manager = handler_input.attributes_manager
        document = turn.user.to_attributes()
        if document == status.stored:
            return True  # nothing changed: nothing to write
        try:
            revised = document if status.revision is None else StoredDocument(document, status.revision)
            manager.persistent_attributes = revised
            manager.save_persistent_attributes()
        except Exception as error:  # the workout goes on; the next request saves again
            log.warning("could not save progress: %s", error)
            return False
        return True


def say_last(response: Response | None, turn: Turn, key: str) -> None:
    """Add a sentence at the end of the reply's speech (nothing timed comes after the end)."""
    speech = response.output_speech if response is not None else None
    if isinstance(speech, SsmlOutputSpeech) and speech.ssml and speech.ssml.endswith("</speak>"):
        text = escape(turn.coach.sentence(key))
        speech.ssml = f"{speech.ssml[: -len('</speak>')]}<s>{text}</s></speak>"


def say_first(response: Response | None, turn: Turn, key: str, data: dict[str, object]) -> bool:
    """Put a sentence before the reply's speech; False when the reply has no speech to add to.

    The workout's timed windows count from the start of the reply, so the block in progress and
    a screen's timeline are moved later by the time the sentence takes to say.
    """
    speech = response.output_speech if response is not None else None
    if not isinstance(speech, SsmlOutputSpeech) or not speech.ssml or not speech.ssml.startswith("<speak>"):
        return False
    ssml: str = speech.ssml
    text = turn.coach.sentence(key, **data)
    speech.ssml = f"<speak><s>{escape(text)}</s>{ssml[len('<speak>') :]}"
    seconds = estimate_seconds(text)
    workout = turn.user.workout
    if workout is not None and workout.block is not None:
        later = parse_timestamp(workout.block.ts) + timedelta(seconds=seconds)
        workout.block = replace(workout.block, ts=format_timestamp(later))
    for directive in (response.directives if response is not None else None) or []:
        datasources = getattr(directive, "datasources", None)
        if isinstance(datasources, dict):
            delay_timeline(datasources, seconds)
    return True
