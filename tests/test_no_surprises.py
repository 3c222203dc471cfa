"""The moments that surprised people who tried the skill, each as a conversation: what they say,
and what they must hear. (Through the real lambda_handler; phrases as Alexa resolves them.)"""

from __future__ import annotations

from skill.numbers import spoken
from tests.support.alexa import Alexa, Heard, windows


def doses(heard: Heard) -> list[tuple[int | None, int | None, int]]:
    return [(s["hold_seconds"], s["reps"], s["rest_seconds"]) for s in heard.attributes["workout"]["steps"]]


def test_say_that_again_after_the_welcome_says_the_welcome_again() -> None:
    alexa = Alexa()
    hello = alexa.open()
    again = alexa.say("AMAZON.RepeatIntent")
    assert again.text == hello.text and not again.ends_session
    assert "no workout running" not in again.text.lower()


def test_say_that_again_after_a_status_answer_repeats_the_answer_not_the_set() -> None:
    alexa = Alexa()
    alexa.say("StartWorkoutIntent", area="lower_back")
    status = alexa.interrupt(4, "WorkoutStatusIntent")
    again = alexa.say("AMAZON.RepeatIntent")
    assert again.text == status.text
    assert "once more" not in again.text.lower() and not windows(again)


def test_declining_to_resume_leads_to_the_menu_and_start_starts() -> None:
    alexa = Alexa()
    alexa.say("StartWorkoutIntent", area="upper_back")
    alexa.say("AMAZON.StopIntent")
    alexa.wait(hours=3)
    alexa.open()
    declined = alexa.say("AMAZON.NoIntent")
    assert "say start" in declined.text.lower()
    help_ = alexa.say("AMAZON.HelpIntent")
    assert "say resume when you're ready" not in help_.text.lower() and "start a workout" in help_.text.lower()
    sorry = alexa.say("AMAZON.FallbackIntent")
    assert "resume" not in sorry.text.lower() and "start a workout" in sorry.text.lower()
    started = alexa.say("StartWorkoutIntent")  # "start", as the coach suggested
    assert any(w.kind == "work" for w in windows(started)) and "exercise one" in started.text.lower()


def test_a_relaunch_counts_done_and_skipped_exercises_apart() -> None:
    alexa = Alexa()
    first = alexa.say("StartWorkoutIntent", area="lower_back", level="beginner")
    steps = first.attributes["workout"]["steps"]
    heard = first
    while heard.attributes["workout"]["pos"][0] < 1:  # finish the first exercise
        heard = alexa.say("AMAZON.NextIntent")
    skipped = alexa.interrupt(2, "SkipExerciseIntent")  # skip the one after
    bye = alexa.say("AMAZON.StopIntent")
    results = bye.attributes["workout"]["results"]
    done = results.count("done")
    assert results.count("skipped") == 1 and "skip" in skipped.text.lower()
    alexa.wait(hours=1)
    hello = alexa.open()
    assert f"{spoken(done)} of {spoken(len(steps))} exercises done, one skipped" in hello.text.lower()


def test_harder_then_too_hard_gives_back_exactly_the_doses_and_the_reverse() -> None:
    alexa = Alexa()
    start = alexa.say("StartWorkoutIntent", area="lower_back", level="intermediate")
    planned = doses(start)
    harder = alexa.interrupt(2, "AdjustDifficultyIntent", direction="harder")
    assert doses(harder) != planned
    back = alexa.interrupt(2, "AdjustDifficultyIntent", direction="easier")  # "this is too hard"
    assert doses(back) == planned
    easier = alexa.interrupt(2, "AdjustDifficultyIntent", direction="easier")
    assert doses(easier) != planned
    again = alexa.interrupt(2, "AdjustDifficultyIntent", direction="harder")
    assert doses(again) == planned


def test_while_paused_lets_go_carries_on_with_the_paused_set() -> None:
    alexa = Alexa()
    start = alexa.say("StartWorkoutIntent", area="lower_back", level="intermediate")
    work = next(w for w in windows(start) if w.kind == "work")
    alexa.interrupt(work.start + 3, "AMAZON.PauseIntent")
    go = alexa.say("AMAZON.ResumeIntent")  # "let's go", "go", "ready" are resume samples
    first = next(w for w in windows(go) if w.kind == "work")
    assert (first.step, first.set, first.side) == (work.step, work.set, work.side)
    assert "skip" not in go.text.lower()


def test_im_tired_offers_an_easier_version_or_a_longer_rest_and_does_not_end() -> None:
    alexa = Alexa()
    start = alexa.say("StartWorkoutIntent", area="lower_back")
    work = next(w for w in windows(start) if w.kind == "work")
    tired = alexa.interrupt(work.start + 3, "AdjustDifficultyIntent")  # "I'm tired"
    assert not tired.ends_session and not windows(tired)
    assert "easier" in tired.text.lower() and "longer rest" in tired.text.lower()
    rest = alexa.say("AMAZON.PauseIntent")  # "a longer rest"
    assert not rest.ends_session and "resume" in rest.text.lower()
    on = alexa.say("AMAZON.ResumeIntent")
    assert any(w.kind == "work" for w in windows(on))


def test_an_adjustment_with_no_direction_mid_set_settles_the_interrupted_set() -> None:
    alexa = Alexa()
    start = alexa.say("StartWorkoutIntent", area="lower_back", level="intermediate")
    work = next(w for w in windows(start) if w.kind == "work")
    alexa.interrupt(work.start + 2, "AdjustDifficultyIntent")
    alexa.wait(minutes=5)  # a long think before answering
    easier = alexa.say("AdjustDifficultyIntent", direction="easier")
    first = next(w for w in windows(easier) if w.kind == "work")
    assert (first.step, first.set) == (work.step, work.set), "the interrupted set was not counted as played"


def test_what_do_i_do_next_and_whats_coming_up_say_whats_next() -> None:
    from local_runner.understanding.parser import understander

    for said in ("what do I do next", "what's coming up"):
        assert understander().understand(said).intent == "WorkoutStatusIntent", said
    alexa = Alexa()
    alexa.say("StartWorkoutIntent", area="full_back", place="gym")
    status = alexa.interrupt(4, "WorkoutStatusIntent")
    assert "next up" in status.text.lower()


def test_back_workout_please_starts_one_and_places_with_the_resolve() -> None:
    from local_runner.understanding.parser import understander

    assert understander().understand("back workout please").intent == "StartWorkoutIntent"
    gym = understander("en-US").understand("start an upper back workout at the fitness center")
    assert gym.to_contract()["slots"].get("place") == "gym"
    centre = understander("en-GB").understand("start an upper back workout at the leisure centre")
    assert centre.to_contract()["slots"].get("place") == "gym"


def test_go_back_says_where_it_goes_and_how_am_i_doing_knows_a_first_workout_is_underway() -> None:
    alexa = Alexa()
    start = alexa.say("StartWorkoutIntent", area="lower_back", duration="PT10M")
    first = next(w for w in windows(start) if w.kind == "work")
    back = alexa.interrupt(first.start + 2, "AMAZON.PreviousIntent")
    assert "first exercise" in back and "from the top" in back  # not a bare "going back" to the same place
    status = alexa.interrupt(1, "ProgressIntent")
    assert "first workout" in status and "waiting" not in status.text.lower()
