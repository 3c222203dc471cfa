"""Conversations with the skill through the real lambda_handler, read as what people hear."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from skill.catalog import CATALOG
from skill.numbers import spoken
from skill.speech import Window
from tests.support.alexa import Alexa, Heard, Unresolved, windows


def finish_workout(alexa: Alexa, limit: int = 60):  # type: ignore[no-untyped-def]
    heard = alexa.last
    for _ in range(limit):
        assert heard is not None
        if heard.finished:
            return heard
        heard = alexa.say("AMAZON.NextIntent")
    raise AssertionError("the workout never finished")


def test_first_visit_welcomes_with_a_safety_note_and_waits_for_an_answer() -> None:
    alexa = Alexa()
    heard = alexa.open()
    assert "welcome to strong back" in heard
    assert "stop if anything hurts" in heard
    assert not heard.ends_session and heard.reprompt


def test_one_shot_upper_back_workout_of_ten_minutes() -> None:
    alexa = Alexa()
    heard = alexa.say("StartWorkoutIntent", area="upper_back", duration="PT10M")
    assert "ten minute upper back workout" in heard
    assert "exercise one of" in heard
    assert any(w.kind == "work" for w in windows(heard))
    assert not heard.ends_session


@pytest.mark.parametrize("area", ["lower_back", "upper_back", "full_back"])
@pytest.mark.parametrize("place", ["home", "gym"])
def test_whole_workout_to_the_finish(area: str, place: str) -> None:
    alexa = Alexa()
    alexa.say("StartWorkoutIntent", area=area, place=place, level="intermediate")
    end = finish_workout(alexa)
    assert "workout done" in end or "your workout" in end
    names = {e.name for e in CATALOG.values()}
    last = CATALOG[end.attributes["workout"]["steps"][-1]["exercise"]].name if end.attributes else None
    after_last = end.text.lower()[end.text.lower().rindex(last) :] if last else end.text.lower()
    assert not any(f"next up, {n}" in after_last for n in names)
    progress = alexa.say("ProgressIntent")
    assert "finished one workout" in progress


def test_pause_mid_hold_and_resume_with_the_time_that_was_left() -> None:
    alexa = Alexa()
    first = alexa.say("StartWorkoutIntent", area="lower_back", level="intermediate")
    hold = next(w for w in windows(first) if (w.kind == "work" and w.step > 0) or w.kind == "work")
    plan_step = first.attributes["workout"]["steps"][hold.step]
    name = CATALOG[plan_step["exercise"]].name
    into = hold.seconds / 2 if plan_step["hold_seconds"] else 0.5
    paused = alexa.interrupt(hold.start + into, "AMAZON.PauseIntent")
    assert "paused" in paused and name in paused.text.lower()
    assert not paused.ends_session
    resumed = alexa.say("AMAZON.ResumeIntent")
    first_work = windows(resumed)[1] if windows(resumed)[0].kind == "intro" else windows(resumed)[0]
    assert first_work.step == hold.step and first_work.set == hold.set
    if plan_step["hold_seconds"]:
        assert first_work.seconds == pytest.approx(hold.seconds - into, abs=0.2)
        assert "to go" in resumed or "left" in resumed


def test_skip_is_recorded_in_the_summary() -> None:
    alexa = Alexa()
    alexa.say("StartWorkoutIntent", area="lower_back", duration="PT5M")
    skipped = alexa.interrupt(3, "SkipExerciseIntent")
    assert "skip" in skipped
    end = finish_workout(alexa)
    match = re.search(r"completed (\w+) of (\w+) exercises", end.text.lower())
    assert match and match.group(1) != match.group(2)


def test_describe_an_exercise_by_name_the_current_one_and_an_unknown_one() -> None:
    alexa = Alexa()
    side = alexa.say("DescribeExerciseIntent", exercise="side_plank")
    assert "side plank" in side and len(side.text.split()) > 30
    unknown = alexa.say("DescribeExerciseIntent", exercise=Unresolved("pilates"))
    named = [e.name for e in CATALOG.values() if e.name in unknown.text.lower()]
    assert "pilates" in unknown and 1 <= len(named) <= 3, named  # a few it can explain, not the catalog read out
    assert len(unknown.text.split()) < 45
    first = alexa.say("StartWorkoutIntent", area="upper_back", place="gym")
    current = CATALOG[first.attributes["workout"]["steps"][0]["exercise"]]
    how = alexa.interrupt(5, "DescribeExerciseIntent")
    assert current.name in how.text.lower() and "resume" in how


def test_easier_and_harder_change_the_dose_from_here_on() -> None:
    alexa = Alexa()
    first = alexa.say("StartWorkoutIntent", area="lower_back", level="intermediate")
    before = first.attributes["workout"]["steps"]
    easier = alexa.interrupt(2, "AdjustDifficultyIntent", direction="easier")
    assert "easier" in easier
    after = easier.attributes["workout"]["steps"]
    assert any(
        (a["hold_seconds"] or a["reps"]) < (b["hold_seconds"] or b["reps"]) for a, b in zip(after, before, strict=True)
    )
    which = alexa.say("AdjustDifficultyIntent")
    assert "easier version" in which and "longer rest" in which


def test_status_says_what_is_left() -> None:
    alexa = Alexa()
    alexa.say("StartWorkoutIntent", area="full_back", place="gym")
    status = alexa.interrupt(4, "WorkoutStatusIntent")
    assert "set one of" in status and "to go" in status and "next up" in status
    assert "resume" in status


def _minutes_to_go(status: Heard) -> int:
    """The minutes a status answer says are left ("about twelve minutes" -> 12, "under a minute" -> 0)."""
    said = status.text.lower()
    if "under a minute" in said:
        return 0
    if "about a minute to go" in said:
        return 1
    by_word = {spoken(n): n for n in range(2, 121)}
    found = re.search(r"about ([a-z ]+?) minutes to go", said)
    assert found and found.group(1) in by_word, said
    return by_word[found.group(1)]


def test_time_to_go_is_what_is_left_from_this_set_on() -> None:
    """Asked in the second set of an exercise, less is left than in its first; and what is said is
    what is then heard, within a minute."""
    alexa = Alexa()
    heard = alexa.say("StartWorkoutIntent", area="lower_back", level="intermediate", place="gym", duration="PT20M")
    steps = heard.attributes["workout"]["steps"]

    def work(heard: Heard, set_: int) -> list[Window]:  # a set of the first exercise of two sets or more
        return [w for w in windows(heard) if w.kind == "work" and w.set == set_ and steps[w.step]["sets"] > 1]

    while not work(heard, 0):
        heard = alexa.say("AMAZON.NextIntent")
    first_set = work(heard, 0)[0]
    in_first = _minutes_to_go(alexa.interrupt(first_set.start + 2, "WorkoutStatusIntent"))
    heard = alexa.say("AMAZON.ResumeIntent")
    while not [w for w in work(heard, 1) if w.step == first_set.step]:
        heard = alexa.say("AMAZON.NextIntent")
    second_set = next(w for w in work(heard, 1) if w.step == first_set.step)
    in_second = _minutes_to_go(alexa.interrupt(second_set.start + 2, "WorkoutStatusIntent"))
    assert in_second < in_first
    heard = alexa.say("AMAZON.ResumeIntent")
    played = heard.duration
    while not heard.ends_session and heard.attributes["workout"]["status"] != "finished":
        heard = alexa.say("AMAZON.NextIntent")
        played += heard.duration
    assert abs(played / 60 - in_second) <= 1.0, (played, in_second)


def test_stop_saves_and_next_day_resume_my_workout_carries_on() -> None:
    alexa = Alexa()
    first = alexa.say("StartWorkoutIntent", area="lower_back", level="intermediate")
    alexa.say("AMAZON.NextIntent")
    bye = alexa.say("AMAZON.StopIntent")
    assert bye.ends_session and "progress is saved" in bye
    alexa.wait(hours=20)
    back = alexa.say("AMAZON.ResumeIntent")
    assert "welcome back" in back
    assert (windows(back)[0].step, windows(back)[0].set) > (0, 0)
    assert back.attributes["workout"]["steps"] == first.attributes["workout"]["steps"]


def test_opening_with_a_workout_in_progress_offers_to_resume() -> None:
    alexa = Alexa()
    alexa.say("StartWorkoutIntent", area="upper_back", place="gym")
    alexa.say("AMAZON.StopIntent")
    alexa.wait(hours=2)
    hello = alexa.open()
    assert "resume" in hello and "upper back" in hello
    yes = alexa.say("AMAZON.YesIntent")
    assert any(w.kind == "work" for w in windows(yes))


def test_streak_over_consecutive_days() -> None:
    alexa = Alexa()
    for _ in range(3):
        alexa.say("StartWorkoutIntent", area="lower_back", duration="PT5M")
        finish_workout(alexa)
        alexa.wait(days=1)
    progress = alexa.say("ProgressIntent")
    assert "three workouts" in progress and "three day streak" in progress


def test_returning_users_do_not_hear_the_safety_note_again() -> None:
    alexa = Alexa()
    alexa.say("StartWorkoutIntent", area="lower_back", duration="PT5M")
    finish_workout(alexa)
    alexa.wait(days=1)
    again = alexa.say("StartWorkoutIntent")
    assert "stop if anything hurts" not in again
    assert "lower back" in again  # remembers the last choice


def test_commands_with_no_workout_running_offer_one() -> None:
    alexa = Alexa()
    for intent in ("AMAZON.NextIntent", "AMAZON.PauseIntent", "SkipExerciseIntent", "WorkoutStatusIntent"):
        heard = alexa.say(intent)
        assert "start" in heard and not heard.ends_session


def test_not_understood_gets_help_that_fits() -> None:
    alexa = Alexa()
    assert "start a workout" in alexa.say("AMAZON.FallbackIntent")
    alexa.say("StartWorkoutIntent")
    during = alexa.interrupt(3, "AMAZON.FallbackIntent")
    assert "paused" in during and "resume" in during
    assert "next" in alexa.say("AMAZON.HelpIntent")


def test_durations_out_of_range_are_clamped_and_said() -> None:
    alexa = Alexa()
    long = alexa.say("StartWorkoutIntent", area="full_back", level="advanced", place="gym", duration="PT3H")
    assert "at most an hour" in long
    short = alexa.say("StartWorkoutIntent", duration="PT1M")
    assert "at least five minutes" in short
    odd = alexa.say("StartWorkoutIntent", duration="later")
    assert "didn't catch how long" in odd


def test_unknown_area_asks_which() -> None:
    heard = Alexa().say("StartWorkoutIntent", area=Unresolved("neck"))
    assert "neck" in heard and "lower back, upper back, or full back" in heard


@pytest.mark.parametrize("locale", ["en-US", "en-GB", "en-CA", "en-AU", "en-IN"])
def test_every_locale_coaches(locale: str) -> None:
    heard = Alexa(locale=locale).say("StartWorkoutIntent", area="full_back")
    assert "full back" in heard and not heard.ends_session


def test_previous_repeat_and_start_over() -> None:
    alexa = Alexa()
    alexa.say("StartWorkoutIntent", area="lower_back", level="advanced")
    second = alexa.say("AMAZON.NextIntent")
    again = alexa.interrupt(1, "AMAZON.RepeatIntent")
    assert windows(again)[0].step == windows(second)[0].step
    back = alexa.say("AMAZON.PreviousIntent")
    assert "going back" in back
    over = alexa.say("AMAZON.StartOverIntent")
    assert "starting over" in over and windows(over)[0].step == 0


def test_session_end_keeps_progress() -> None:
    alexa = Alexa()
    alexa.say("StartWorkoutIntent", area="upper_back", place="home")
    alexa.leave()
    alexa.wait(minutes=30)
    assert "resume" in alexa.open()


def test_skill_id_is_enforced_when_set() -> None:
    import tempfile
    from pathlib import Path

    from ask_sdk_core.exceptions import AskSdkException

    from skill.alexa.builder import build_skill
    from skill.alexa.invoke import invoke
    from skill.alexa.persistence import sqlite_adapter
    from tests.support.events import launch_event

    skill = build_skill(sqlite_adapter(Path(tempfile.mkdtemp()) / "db.sqlite"), "amzn1.ask.skill.the-real-one")
    event = launch_event("u")
    with pytest.raises(AskSdkException):
        invoke(skill, event)


def test_next_goes_to_the_next_set_never_past_it() -> None:
    """ "Say next when you're ready for set two" means next is set two, not the next exercise."""
    alexa = Alexa()
    heard = alexa.say("StartWorkoutIntent", area="lower_back", level="advanced", place="gym")
    while "set two" not in heard.text.lower()[-80:]:  # past the warm-up, to a reply that stops mid-exercise
        heard = alexa.say("AMAZON.NextIntent")
    then = alexa.say("AMAZON.NextIntent")
    assert then.text.lower().startswith("set two")
    last_work = [w for w in windows(heard) if w.kind == "work"][-1]
    assert windows(then)[0].step == last_work.step and windows(then)[0].set == 1


def test_next_during_the_introduction_starts_the_set_straight_away() -> None:
    alexa = Alexa()
    first = alexa.say("StartWorkoutIntent", area="upper_back", level="beginner", place="gym")
    work = next(w for w in windows(first) if w.kind == "work")
    assert work.start > 12
    quick = alexa.interrupt(3, "AMAZON.NextIntent")
    again = next(w for w in windows(quick) if w.kind == "work")
    assert (again.step, again.set) == (work.step, work.set)
    assert again.start < work.start - 5  # the set-up talk is left out


def test_next_mid_hold_ends_that_hold_and_moves_on() -> None:
    alexa = Alexa()
    heard = alexa.say("StartWorkoutIntent", area="lower_back", level="intermediate", place="home")
    steps = heard.attributes["workout"]["steps"]
    holds = [w for w in windows(heard) if w.kind == "work" and steps[w.step]["hold_seconds"]]
    while not holds:
        heard = alexa.say("AMAZON.NextIntent")
        holds = [w for w in windows(heard) if w.kind == "work" and steps[w.step]["hold_seconds"]]
    hold = holds[0]
    moved = alexa.interrupt(hold.start + 5, "AMAZON.NextIntent")
    first = next(w for w in windows(moved) if w.kind == "work")
    step = steps[hold.step]
    if hold.side + 1 < step["sides"]:
        assert (first.step, first.set, first.side) == (hold.step, hold.set, hold.side + 1)
    elif hold.set + 1 < step["sets"]:
        assert (first.step, first.set) == (hold.step, hold.set + 1)
    else:
        assert first.step == hold.step + 1
    assert first.seconds == step["hold_seconds"] or first.step != hold.step  # a full hold, not what was left


def test_pause_during_the_last_reply_reopens_the_finished_workout() -> None:
    """The last reply performs the last sets and says goodbye; a pause in its last hold still works."""
    alexa = Alexa()
    heard = alexa.say("StartWorkoutIntent", area="lower_back", level="beginner", duration="PT5M")
    while not heard.finished:
        heard = alexa.say("AMAZON.NextIntent")
    assert "exercises in" in heard  # the summary: the workout is done
    from skill.speech import timeline_from_ssml

    segments = timeline_from_ssml(heard.ssml).segments
    go = next(s for s in segments if s.text in {"Go.", "Hold.", "And hold."})
    paused = alexa.interrupt(go.at + 4, "AMAZON.PauseIntent")
    assert "paused" in paused and "left on your" in paused and not paused.ends_session
    assert "no workout" not in paused
    assert "finished one workout" not in alexa.say("ProgressIntent")  # not done until it is
    resumed = alexa.say("AMAZON.ResumeIntent")
    while not resumed.finished:
        resumed = alexa.say("AMAZON.NextIntent")
    alexa.wait(minutes=5)
    assert "finished one workout" in alexa.say("ProgressIntent")


def test_after_the_last_reply_has_played_the_workout_is_over() -> None:
    alexa = Alexa()
    heard = alexa.say("StartWorkoutIntent", area="upper_back", level="beginner", duration="PT5M")
    while not heard.finished:
        heard = alexa.say("AMAZON.NextIntent")
    alexa.wait(minutes=10)
    assert "no workout" in alexa.say("AMAZON.PauseIntent") or "start" in alexa.last
    assert "finished one workout" in alexa.say("ProgressIntent")


def test_another_device_asking_during_the_goodbye_does_not_reopen_the_workout() -> None:
    kitchen = Alexa(device="amzn1.ask.device.kitchen")
    heard = kitchen.say("StartWorkoutIntent", area="lower_back", level="beginner", duration="PT5M")
    while not heard.finished:
        heard = kitchen.say("AMAZON.NextIntent")
    bedroom = Alexa(user=kitchen.user, device="amzn1.ask.device.bedroom", start=kitchen.now + timedelta(seconds=5))
    assert "finished one workout" in bedroom.say("ProgressIntent")
    last_set = [w for w in windows(heard) if w.kind == "work"][-1]
    paused = kitchen.interrupt(last_set.start + 2, "AMAZON.PauseIntent")  # the kitchen still can
    assert "paused" in paused and "no workout" not in paused


def test_a_workout_with_everything_skipped_is_not_counted() -> None:
    alexa = Alexa()
    heard = alexa.say("StartWorkoutIntent", area="upper_back", level="beginner", place="home", duration="PT5M")
    for _ in range(10):  # skip each exercise as its reply begins (the last reply's finish too)
        heard = alexa.interrupt(1, "SkipExerciseIntent")
        if heard.finished and "workout done" not in heard:
            break
    assert "skipped" in heard and "workout done" not in heard
    alexa.wait(minutes=10)
    assert "haven't finished a workout" in alexa.say("ProgressIntent")


def test_counts_of_one_are_said_in_the_singular() -> None:
    alexa = Alexa()
    heard = alexa.say("StartWorkoutIntent", area="upper_back", level="beginner", place="home", duration="PT5M")
    assert len(heard.attributes["workout"]["steps"]) == 2
    while not any(w.step == 1 for w in windows(heard)):  # do the first exercise
        heard = alexa.say("AMAZON.NextIntent")
    second = min(w.start for w in windows(heard) if w.step == 1)
    heard = alexa.interrupt(second + 1, "SkipExerciseIntent")  # and skip the second, the last
    assert "one of two exercises" in heard
    alexa.wait(minutes=10)
    progress = alexa.say("ProgressIntent").text.lower()
    assert "one exercise." in progress and "one exercises" not in progress


def test_a_first_timer_hears_the_safety_note_once() -> None:
    alexa = Alexa()
    assert "stop if anything hurts" in alexa.open()
    started = alexa.say("AMAZON.YesIntent")
    assert "exercise one of" in started and "stop if anything hurts" not in started


def test_resume_after_a_pause_skips_the_set_up_talk_and_the_next_day_repeats_it() -> None:
    alexa = Alexa()
    first = alexa.say("StartWorkoutIntent", area="lower_back", level="beginner", place="home")
    work = next(w for w in windows(first) if w.kind == "work")
    setup = CATALOG[first.attributes["workout"]["steps"][work.step]["exercise"]].setup
    assert setup in first.text
    alexa.interrupt(work.start + 3, "AMAZON.PauseIntent")
    again = alexa.say("AMAZON.ResumeIntent")
    assert setup not in again.text
    assert next(w for w in windows(again) if w.kind == "work").start < work.start - 5
    alexa.say("AMAZON.StopIntent")
    alexa.wait(days=1)
    tomorrow = alexa.say("AMAZON.ResumeIntent")
    where = tomorrow.attributes["workout"]["steps"][windows(tomorrow)[0].step]["exercise"]
    assert "welcome back" in tomorrow and CATALOG[where].setup in tomorrow.text
