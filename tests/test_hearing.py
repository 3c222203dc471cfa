"""Knowing when not to act on speech: the language model of the commands, the judge of the two
readings of an utterance, the noise floor, and the question before a command that ends a session."""

from __future__ import annotations

import math
import random
from collections import defaultdict
from typing import Any

import pytest

from interaction_models import load_model
from local_runner.listening.endpointing import LoudnessGate, NoiseFloor, Utterance, frame_db
from local_runner.listening.grammar import command_grammar
from local_runner.listening.hearing import Judge, Verdict, agreement
from local_runner.listening.language_model import LanguageModel, command_language_model, command_sentences
from local_runner.listening.listener import SpokenCommands
from local_runner.listening.recognizer import FREE, GRAMMAR, Hypotheses
from local_runner.understanding.parser import understander


# ----- the language model ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def language_model() -> LanguageModel:
    return command_language_model("en-US")


def arpa_tables(arpa: str) -> tuple[dict[tuple[str, ...], float], dict[tuple[str, ...], float]]:
    """The ARPA text's log10 probabilities and backoff weights, by n-gram."""
    probability: dict[tuple[str, ...], float] = {}
    backoff: dict[tuple[str, ...], float] = {}
    for line in arpa.splitlines():
        fields = line.split("\t")
        if len(fields) < 2:
            continue
        ngram = tuple(fields[1].split())
        probability[ngram] = float(fields[0])
        if len(fields) == 3:
            backoff[ngram] = float(fields[2])
    return probability, backoff


def conditional(
    probability: dict[tuple[str, ...], float],
    backoff: dict[tuple[str, ...], float],
    history: tuple[str, ...],
    word: str,
) -> float:
    """P(word | history) as an ARPA reader computes it (backing off to shorter histories)."""
    weight = 0.0
    while (*history, word) not in probability:
        weight += backoff.get(history, 0.0)
        history = history[1:]
    return 10 ** (weight + probability[(*history, word)])


def test_the_language_model_gives_every_context_a_whole_distribution(language_model: LanguageModel) -> None:
    probability, backoff = arpa_tables(language_model.arpa)
    vocabulary = sorted(language_model.words | {"</s>"})
    histories = [history for history in backoff if len(history) <= 2]
    for history in [*random.Random(15).sample(histories, 12), ("<s>",), ("a", "ten")]:
        total = sum(conditional(probability, backoff, history, word) for word in vocabulary)
        assert math.isclose(total, 1.0, abs_tol=1e-3), (history, total)


def test_the_language_model_holds_every_word_of_the_grammar_and_loads_in_pocketsphinx(
    language_model: LanguageModel, tmp_path: object
) -> None:
    import pocketsphinx as ps

    assert command_grammar("en-US").words <= language_model.words
    assert {"weather", "water", "phone"} <= language_model.words, "general English words around the commands"
    path = f"{tmp_path}/commands.arpa"
    with open(path, "w", encoding="utf-8") as out:
        out.write(language_model.arpa)
    loaded = ps.NGramModel(ps.Config(), ps.LogMath(), path)
    likely = loaded.prob(["minutes", "ten", "a"])  # "a ten minutes": the newest word first
    unlikely = loaded.prob(["weather", "ten", "a"])
    assert likely > unlikely


def test_a_paraphrase_the_models_do_not_list_is_still_likely_word_by_word(language_model: LanguageModel) -> None:
    """ "can we do an easy lower back routine" is no sample, but each of its words follows the
    ones before more readily than general English words do."""
    probability, backoff = arpa_tables(language_model.arpa)
    said = ("<s>", "can", "we", "do", "an", "easy", "lower", "back", "routine", "</s>")
    odd = ("<s>", "can", "we", "do", "an", "easy", "weather", "back", "routine", "</s>")

    def log_likelihood(words: tuple[str, ...]) -> float:
        return sum(
            math.log10(conditional(probability, backoff, words[max(0, i - 2) : i], words[i]))
            for i in range(1, len(words))
        )

    assert log_likelihood(said) > log_likelihood(odd) + 2


def test_an_intents_share_of_the_language_model_grows_with_the_square_root_of_its_samples() -> None:
    """Stop has about seven times as many samples as cancel: it weighs about 2.6 times as much,
    not seven times (it would crowd the short commands out) and not the same."""
    weights: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = {}
    model = load_model("en-US")
    sentences = command_sentences(model)
    for intent in model["intents"]:
        samples = {tuple(sample.lower().split()) for sample in intent.get("samples", []) if "{" not in sample}
        weights[intent["name"]] = sum(weight for sentence, weight in sentences if sentence in samples)
        counts[intent["name"]] = len(intent.get("samples", []))
    stop, cancel = "AMAZON.StopIntent", "AMAZON.CancelIntent"
    assert counts[stop] > 3 * counts[cancel]
    assert weights[stop] / weights[cancel] == pytest.approx(math.sqrt(counts[stop] / counts[cancel]), rel=0.2)


# ----- the judge --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def judge() -> Judge:
    return Judge(understander("en-US"))


def test_agreement_is_the_share_of_the_grammar_readings_meaningful_words_heard_freely_in_order() -> None:
    assert agreement(
        "start a ten repeat upper back workout", "start a ten minutes upper back workout"
    ) == pytest.approx(5 / 6)
    assert agreement("back upper", "upper back") == 0.5
    assert agreement("", "stop") == 0.0
    assert agreement("do not like", "too light") == 0.0
    assert agreement("what's the weather like today", "what's the next exercise") == 0.0  # "the" is no evidence


def test_both_readings_meaning_one_command_is_acted_on(judge: Judge) -> None:
    heard = judge.judge(Hypotheses("pause the workout", "pause the workout"))
    assert heard.verdict is Verdict.ACT and heard.intent == "AMAZON.PauseIntent"


def test_a_paraphrase_only_the_free_reading_has_is_acted_on(judge: Judge) -> None:
    heard = judge.judge(Hypotheses("can we do an easy lower back routine", "can we do it easier"))
    assert heard.verdict is Verdict.ACT
    assert understander("en-US").understand(heard.words).to_contract() == {
        "intent": "StartWorkoutIntent",
        "slots": {"level": "beginner", "area": "lower_back"},
    }


def test_a_stop_the_free_reading_does_not_bear_out_is_asked_about(judge: Judge) -> None:
    heard = judge.judge(Hypotheses("i've got twenty minutes", "i've got to leave"))
    assert heard.verdict is not Verdict.ACT or heard.intent != "AMAZON.StopIntent"
    doubtful_stop = judge.judge(Hypotheses("so", "stop"))
    assert doubtful_stop.verdict in (Verdict.CONFIRM, Verdict.SORRY, Verdict.NOTHING)


def test_speech_that_is_no_command_is_answered_with_sorry(judge: Judge) -> None:
    heard = judge.judge(Hypotheses("what's the weather like today", "what's the next exercise"))
    assert heard.verdict is Verdict.SORRY


# What pocketsphinx heard in two tune-set clips (flite's awb voice; festival's kal): the free
# reading lost the last word, the grammar's kept it, and most of the free search's n-best list too.
PULL_UP = Hypotheses(
    "tell me how to do the lat",
    "tell me how to do a pullup",
    (
        "tell me how to do a pullup",
        "tell me how to do the lat",
        "tell me how to do level off",
        "tell me how to do a pull up",
        "tell me how to do a pull off",
    ),
)
HARDER = Hypotheses(
    "can you make it a bit",
    "can you make it harder",
    ("can you make it harder", "can you make it a harder", "can you make it spot bigger", "can you make it how again"),
)


@pytest.mark.parametrize(
    ("heard", "meant"),
    [
        (PULL_UP, {"intent": "DescribeExerciseIntent", "slots": {"exercise": "pull_up"}}),
        (HARDER, {"intent": "AdjustDifficultyIntent", "slots": {"direction": "harder"}}),
    ],
)
def test_the_command_most_readings_mean_is_acted_on(judge: Judge, heard: Hypotheses, meant: dict[str, Any]) -> None:
    verdict = judge.judge(heard)
    assert verdict.verdict is Verdict.ACT
    assert understander("en-US").understand(verdict.words).to_contract() == meant
    # the free reading alone would have been taken: it is the n-best list that outvotes it
    alone = judge.judge(Hypotheses(heard.free, heard.grammar))
    assert understander("en-US").understand(alone.words).to_contract() != meant


def test_a_free_reading_its_own_n_best_list_does_not_bear_out_is_checked_against_the_grammar(judge: Judge) -> None:
    searches = Searches(PULL_UP)
    heard = judge.listen(searches, Utterance(0, 1, b""))  # type: ignore[arg-type]
    assert searches.decoded == [FREE, GRAMMAR]
    assert understander("en-US").understand(heard.words).to_contract()["slots"] == {"exercise": "pull_up"}


def test_a_stop_most_readings_mean_is_still_asked_about(judge: Judge) -> None:
    readings = ("stop the workout", "stop the work out", "what's the workout")
    heard = judge.judge(Hypotheses("what's the workout", "stop the workout", readings))
    assert heard.verdict is Verdict.CONFIRM and heard.intent == "AMAZON.StopIntent"


def test_a_stop_both_readings_agree_on_is_asked_about_when_the_n_best_list_leads_with_another_command(
    judge: Judge,
) -> None:
    # flite's awb voice saying "start the workout" (tune set, clean): both searches heard a stop,
    # but the best sentence of the free search's n-best list was what was said
    said = ("start the workout", "stop the workout", "start a the workout", "start workout", "start a workout")
    doubted = judge.judge(Hypotheses("stop the workout", "stop the workout", said))
    assert doubted.verdict is Verdict.CONFIRM and doubted.intent == "AMAZON.StopIntent"
    meant = ("stop the workout", "start the workout", "stop the work on", "stop the workout it")
    assert judge.judge(Hypotheses("stop the workout", "stop the workout", meant)).verdict is Verdict.ACT
    # without a lattice to read there is no doubt to find: both readings agreeing is enough
    assert judge.judge(Hypotheses("stop the workout", "stop the workout")).verdict is Verdict.ACT


def test_sound_barely_above_the_room_is_nothing(judge: Judge) -> None:
    assert judge.judge(Hypotheses("stop", "stop"), above_floor_db=2.0).verdict is Verdict.NOTHING
    assert judge.judge(Hypotheses("", "")).verdict is Verdict.NOTHING


class Searches:
    """A recogniser stand-in that says what each search hears and counts the decodes asked for."""

    def __init__(self, heard: Hypotheses) -> None:
        self.heard = heard
        self.decoded: list[str] = []

    def transcribe(self, pcm: bytes, search: str) -> str:
        self.decoded.append(search)
        return self.heard.free if search == FREE else self.heard.grammar

    def alternatives(self) -> tuple[str, ...]:
        return self.heard.alternatives


@pytest.mark.parametrize(
    ("free", "grammar", "decodes"),
    [
        ("can we do an easy lower back routine", "can we do it easier", [FREE]),  # sure, ends nothing
        ("pause the workout please", "pause the workout", [FREE]),
        ("stop the workout now", "stop the workout", [FREE, GRAMMAR]),  # a stop is always heard both ways
        ("pause", "pause", [FREE, GRAMMAR]),  # one word: the grammar is the steadier reading
        ("what's the weather like today", "what's the next exercise", [FREE, GRAMMAR]),
    ],
)
def test_listening_decodes_the_grammar_only_when_it_can_change_the_verdict(
    judge: Judge, free: str, grammar: str, decodes: list[str]
) -> None:
    searches = Searches(Hypotheses(free, grammar))
    heard = judge.listen(searches, Utterance(0, 1, b""))  # type: ignore[arg-type]
    assert searches.decoded == decodes
    both = judge.judge(Hypotheses(free, grammar))
    parse = understander("en-US").understand
    assert heard.verdict is both.verdict
    assert parse(heard.words).to_contract() == parse(both.words).to_contract()


def test_the_room_alone_is_not_decoded(judge: Judge) -> None:
    searches = Searches(Hypotheses("up", "up"))
    assert judge.listen(searches, Utterance(0, 1, b"", above_floor_db=3.0)).verdict is Verdict.NOTHING  # type: ignore[arg-type]
    assert searches.decoded == []


# ----- the noise floor ------------------------------------------------------------------------
def test_the_noise_floor_follows_the_room_not_its_loud_moments() -> None:
    floor = NoiseFloor(frames=50, known_after=10)
    assert floor.db is None  # not heard the room yet
    rng = random.Random(1)
    for _ in range(50):
        floor.add(40 + rng.uniform(-1, 1))
    for _ in range(10):
        floor.add(70)  # a door slams: a few loud frames don't lift the floor
    assert floor.db is not None and 39 <= floor.db <= 41
    quiet = bytes(960)
    assert frame_db(quiet) == pytest.approx(30.0)  # digital silence sits at the lowest floor


def test_the_detector_hears_only_what_stands_out_from_the_room() -> None:
    gate = LoudnessGate(frames=100, known_after=10)
    rng = random.Random(2)
    room = [60 + rng.uniform(-3, 3) for _ in range(100)]  # music: loud, and never quiet
    assert all(gate.passes(level) for level in room[:9])  # the room is not known yet: all pass
    assert not any(gate.passes(level) for level in room[9:])  # then its own ups and downs do not
    assert gate.passes(72)  # a voice over it does (about 15 dB above the room)
    assert not gate.passes(64)


# ----- asking before a stop heard with doubt ------------------------------------------------
class Readings:
    """A recogniser stand-in that hears what it is told to (the judge and the question are real)."""

    def __init__(self, readings: list[Hypotheses]) -> None:
        self.readings = readings
        self.heard = Hypotheses("", "")

    def transcribe(self, pcm: bytes, search: str) -> str:
        if search == FREE:  # each utterance is heard freely first
            self.heard = self.readings.pop(0)
        return self.heard.free if search == FREE else self.heard.grammar

    def alternatives(self) -> tuple[str, ...]:
        return self.heard.alternatives


def spoken_turns(readings: list[Hypotheses], gap: float = 2.0) -> tuple[list[str | None], list[str]]:
    said: list[str] = []
    commands = SpokenCommands(Readings(readings), understander("en-US"), lambda words: None, said.append)  # type: ignore[arg-type]
    sent = [commands.hear(Utterance(i * gap, i * gap + 1, b"")) for i in range(len(readings))]
    assert commands.finish() == []  # what was held (the doubted stop) went with the next utterance, 1 s later
    assert all(len(words) <= 1 for words in sent)
    return [words[0] if words else None for words in sent], said


def test_a_doubtful_stop_is_asked_about_and_sent_only_on_yes() -> None:
    doubtful = Hypotheses("stop it now please", "go back")
    sent, said = spoken_turns([doubtful, Hypotheses("yes", "yes")])
    assert said == ["Stop the workout?"]
    assert sent[0] is None and sent[1] is not None
    assert understander("en-US").understand(sent[1]).intent == "AMAZON.StopIntent"

    sent, said = spoken_turns([doubtful, Hypotheses("no", "no")])
    assert sent == [None, None]
    assert said == ["Stop the workout?", "Okay, carrying on."]


def test_a_yes_long_after_the_question_is_only_a_yes() -> None:
    sent, said = spoken_turns([Hypotheses("stop it now please", "go back"), Hypotheses("yes", "yes")], gap=30)
    assert said == ["Stop the workout?"]
    assert sent[1] is not None and understander("en-US").understand(sent[1]).intent == "AMAZON.YesIntent"


def test_unclear_speech_gets_sorry_and_nothing_is_sent() -> None:
    sent, said = spoken_turns([Hypotheses("did you feed the cat", "did you eat")])
    assert sent == [None]
    assert said == ["Sorry?"]
