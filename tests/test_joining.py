"""A command said with a pause in it is heard as one command (``local_runner.listening.joining``):
from a recording, from a microphone as the sound comes, and never at the cost of a short command."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

import pytest

from local_runner.coaching.clock import Inbox
from local_runner.listening.audio_in import read_wav
from local_runner.listening.endpointing import BYTES_PER_SECOND, Utterance
from local_runner.listening.hearing import Judge
from local_runner.listening.joining import DETECTION_LAG, JOIN_GAP, LONGEST_WAIT, Decision, Joiner
from local_runner.listening.listener import MicrophoneListener, SpokenCommands, commands_in_file
from local_runner.listening.recognizer import Hypotheses, Recognizer
from local_runner.understanding.parser import understander
from tests.support import spoken
from tests.test_audio_setup import need_espeak
from tests.test_hearing import Readings

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

ESPEAK = spoken.SPEAKERS[0]


def said_with_pauses(parts: list[str], pause: float, folder: Path) -> Path:
    """``parts`` said one after another with ``pause`` seconds of silence between them."""
    return spoken.conversation(parts, ESPEAK, folder, gap_seconds=pause)


def meant(nlu: object, lines: list[str]) -> list[tuple[str, dict[str, object]]]:
    found = []
    for line in lines:
        contract = nlu.understand(line).to_contract()  # type: ignore[attr-defined]
        found.append((contract["intent"], dict(contract["slots"])))
    return found


def from_file(wav: Path, recognizer: Recognizer, nlu: object) -> list[str]:
    return commands_in_file(wav, recognizer, SpokenCommands(recognizer, nlu, lambda words: None))


@pytest.mark.slow
@pytest.mark.parametrize("pause", [0.3, 0.6])
def test_a_workout_asked_for_with_a_pause_in_it_is_one_workout(
    recognizer: Recognizer, nlu: object, tmp_path: Path, pause: float
) -> None:
    need_espeak()
    wav = said_with_pauses(["start a ten minute", "lower back workout"], pause, tmp_path)
    segments = list(recognizer.segments([read_wav(wav)]))
    assert len(segments) == 2  # the detector hears two utterances: the pause splits them
    heard = meant(nlu, from_file(wav, recognizer, nlu))
    assert heard == [("StartWorkoutIntent", {"duration": "PT10M", "area": "lower_back"})]


@pytest.mark.slow
def test_short_commands_are_not_held_or_joined(recognizer: Recognizer, nlu: object, tmp_path: Path) -> None:
    need_espeak()
    wav = said_with_pauses(["pause", "next"], 0.4, tmp_path)
    heard = meant(nlu, from_file(wav, recognizer, nlu))
    assert [intent for intent, _ in heard] == ["AMAZON.PauseIntent", "AMAZON.NextIntent"]


@pytest.mark.slow
def test_two_commands_said_well_apart_stay_two(recognizer: Recognizer, nlu: object, tmp_path: Path) -> None:
    need_espeak()
    wav = said_with_pauses(["start a ten minute workout", "lower back workout"], 2.0, tmp_path)
    heard = meant(nlu, from_file(wav, recognizer, nlu))
    assert [slots for _, slots in heard] == [{"duration": "PT10M"}, {"area": "lower_back"}]


class PacedMicrophone:
    """Recorded sound at a microphone's pace, then silence until the inbox gets a line (or ``most``
    seconds): how far into the stream the first command arrived tells when it was let go."""

    def __init__(self, pcm: bytes, inbox: Inbox, most: float = 6.0, chunk: int = 1600) -> None:
        self.pcm = pcm
        self.inbox = inbox
        self.most = most
        self.chunk = chunk
        self.closed = threading.Event()
        self.arrived_at: float | None = None  # stream seconds

    def chunks(self) -> Iterator[bytes]:
        sent = 0
        silence = bytes(self.chunk)
        while sent < len(self.pcm) + self.most * BYTES_PER_SECOND and not self.closed.is_set():
            if sent >= len(self.pcm) and self.inbox.peek() is not None:
                self.arrived_at = sent / BYTES_PER_SECOND
                return
            time.sleep(0.005)
            yield self.pcm[sent : sent + self.chunk] if sent < len(self.pcm) else silence
            sent += self.chunk

    def close(self) -> None:
        self.closed.set()


def listen_live(pcm: bytes, recognizer: Recognizer, nlu: object) -> tuple[list[str], float | None]:
    inbox = Inbox()
    microphone = PacedMicrophone(pcm, inbox)
    commands = SpokenCommands(recognizer, nlu, lambda words: None)
    listener = MicrophoneListener(microphone, recognizer, commands, inbox, lambda: False)  # type: ignore[arg-type]
    listener.start()
    listener._thread.join(timeout=120)
    assert not listener._thread.is_alive(), "the listener did not finish"
    lines = []
    while (typed := inbox.take(timeout=0)) is not None:
        lines.append(str(typed.text))
    return lines, microphone.arrived_at


@pytest.mark.slow
def test_at_the_microphone_a_paused_request_is_one_workout_and_comes_soon_after(
    recognizer: Recognizer, nlu: object, tmp_path: Path
) -> None:
    need_espeak()
    wav = said_with_pauses(["start a ten minute", "lower back workout"], 0.5, tmp_path)
    pcm = read_wav(wav)
    lines, arrived_at = listen_live(pcm, recognizer, nlu)
    assert meant(nlu, lines) == [("StartWorkoutIntent", {"duration": "PT10M", "area": "lower_back"})]
    # let go while the microphone still streams silence, not only when the sound ends
    last_speech = list(recognizer.segments([pcm]))[-1].end
    assert arrived_at is not None
    assert arrived_at <= last_speech + JOIN_GAP + DETECTION_LAG + 1.0


# ----- the holding itself, with readings given (the judge and the parser are real) ------------------
def joiner(readings: list[str]) -> Joiner:
    heard = [Hypotheses(words, words, (words,)) for words in readings]
    return Joiner(Judge(understander("en-US")), Readings(heard))  # type: ignore[arg-type]


def test_what_may_go_on_is_held_until_the_gap_has_passed() -> None:
    hold = joiner(["start a ten minute workout"])
    assert hold.add(Utterance(1.0, 2.0, b"x")) == []  # a workout with room for its area: held
    assert hold.due(2.0 + JOIN_GAP) == []  # speech that began in the gap may not be detected yet
    let_go = hold.due(2.0 + JOIN_GAP + DETECTION_LAG)
    assert [decision.heard.words for decision in let_go] == ["start a ten minute workout"]
    assert hold.finish() == []


def test_speech_begun_in_the_gap_keeps_it_held_until_that_speech_ends() -> None:
    hold = joiner(["start a ten minute workout", "start a ten minute workout for my lower back", "for my lower back"])
    assert hold.add(Utterance(1.0, 2.0, b"x")) == []
    hold.speech_began(2.5)
    assert hold.due(2.5 + LONGEST_WAIT - 0.5) == []  # while the rest of the sentence is said
    joined = hold.add(Utterance(2.5, 4.0, b"y")) + hold.finish()  # held again: still room for more
    assert [decision.heard.words for decision in joined] == ["start a ten minute workout for my lower back"]
    assert (joined[0].utterance.start, joined[0].utterance.end, joined[0].utterance.pcm) == (1.0, 4.0, b"xy")


def test_what_is_held_is_let_go_when_the_speech_that_began_came_to_nothing() -> None:
    hold = joiner(["start a ten minute workout"])
    assert hold.add(Utterance(1.0, 2.0, b"x")) == []
    hold.speech_began(2.4)  # a knock the detector took for speech a moment ...
    assert hold.due(5.0) == []
    hold.speech_began(None)  # ... that stood out from nothing: no utterance
    assert [decision.heard.words for decision in hold.due(5.0)] == ["start a ten minute workout"]


def test_a_command_of_one_word_and_pain_are_never_held() -> None:
    for words in ("pause", "next", "stop", "yes", "my knee hurts"):
        decided = joiner([words]).add(Utterance(1.0, 2.0, b"x"))
        assert [decision.heard.words for decision in decided] == [words], words


def test_an_end_said_in_more_than_a_word_waits_for_the_rest() -> None:
    hold = joiner(["i'm done", "i'm done with this exercise", "with this exercise"])
    assert hold.add(Utterance(1.0, 2.0, b"x")) == []  # "i'm done" alone would end the workout
    decided = hold.add(Utterance(2.5, 3.5, b"y")) + hold.finish()
    assert [understander("en-US").understand(d.heard.words).intent for d in decided] == ["AMAZON.NextIntent"]


def intents(decided: list[Decision]) -> list[str]:
    return [understander("en-US").understand(decision.heard.words).intent for decision in decided]


def test_a_command_of_its_own_said_just_after_is_not_swallowed() -> None:
    for first, then, meant in [
        ("start a ten minute workout", "stop the workout", ["StartWorkoutIntent", "AMAZON.StopIntent"]),
        ("skip this exercise", "pause", ["SkipExerciseIntent", "AMAZON.PauseIntent"]),
        ("start a lower back workout", "my knee hurts", ["StartWorkoutIntent", "ReportPainIntent"]),
    ]:
        hold = joiner([first, f"{first} {then}", then])
        assert hold.add(Utterance(1.0, 2.0, b"x")) == []
        decided = hold.add(Utterance(2.5, 3.5, b"y")) + hold.finish()
        assert intents(decided) == meant, (first, then)


def test_pain_said_in_two_breaths_is_one_report() -> None:
    hold = joiner(["ow", "ow my knee", "my knee"])
    assert intents(hold.add(Utterance(1.0, 1.4, b"x"))) == ["ReportPainIntent"]  # at once
    assert hold.add(Utterance(1.9, 2.6, b"y")) + hold.finish() == []  # the rest of it, not a second report

    hold = joiner(["my knee hurts", "my knee hurts stop", "stop"])
    assert intents(hold.add(Utterance(1.0, 2.0, b"x"))) == ["ReportPainIntent"]
    assert intents(hold.add(Utterance(2.5, 3.0, b"y")) + hold.finish()) == ["AMAZON.StopIntent"]


def test_speech_after_the_gap_or_too_long_does_not_keep_it_held() -> None:
    hold = joiner(["start a ten minute workout"])
    hold.add(Utterance(1.0, 2.0, b"x"))
    hold.speech_began(2.0 + JOIN_GAP + 0.2)  # another command, said after the gap
    assert len(hold.due(2.0 + JOIN_GAP + DETECTION_LAG)) == 1

    hold = joiner(["start a ten minute workout"])
    hold.add(Utterance(1.0, 2.0, b"x"))
    hold.speech_began(2.5)  # talk that goes on and on (the radio)
    assert hold.due(2.5 + LONGEST_WAIT - 0.1) == []
    assert len(hold.due(2.5 + LONGEST_WAIT)) == 1


def test_the_rest_of_a_command_already_acted_on_is_not_a_second_command() -> None:
    hold = joiner(["my knee is", "my knee is hurting on this one", "hurting on this one"])
    first = hold.add(Utterance(1.0, 1.6, b"x"))
    assert [d.heard.words for d in first] == ["my knee is"]  # pain: acted on at once
    assert hold.add(Utterance(2.1, 3.0, b"y")) == []  # the rest of it: not a second report
    assert hold.finish() == []


def test_a_request_in_several_words_waits_for_the_rest() -> None:
    hold = joiner(["take a break", "take a break for a minute", "for a minute"])
    assert hold.add(Utterance(1.0, 2.0, b"x")) == []
    decided = hold.add(Utterance(2.6, 3.5, b"y")) + hold.finish()
    # one pause, not a pause and then "for a minute" heard alone: a one minute workout
    assert [understander("en-US").understand(d.heard.words).intent for d in decided] == ["AMAZON.PauseIntent"]


def test_what_follows_a_command_of_one_word_is_another_command() -> None:
    hold = joiner(["pause", "next"])
    assert [d.heard.words for d in hold.add(Utterance(1.0, 1.5, b"x"))] == ["pause"]
    assert [d.heard.words for d in hold.add(Utterance(2.0, 2.5, b"y"))] == ["next"]  # not joined
