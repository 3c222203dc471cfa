"""Progress between sessions: the coach asks how a workout felt, remembers easier and harder per
exercise, starts the next plan from there, and offers the next level after three sessions that felt
too easy. Plus the side plank's change-over surviving a pause. What a person hears, and what is kept."""

from __future__ import annotations

from datetime import date

from skill.progress import Preference, UserData, merge
from skill.workout import HistoryRecord
from tests.support.alexa import Alexa, Heard, walk_to_work_of, windows


def doses(heard: Heard) -> dict[str, tuple[int | None, int | None]]:
    return {s["exercise"]: (s["hold_seconds"], s["reps"]) for s in heard.attributes["workout"]["steps"]}


def finish(alexa: Alexa, heard: Heard) -> Heard:
    for _ in range(60):
        if heard.finished:
            return heard
        heard = alexa.say("AMAZON.NextIntent")
    raise AssertionError("the workout never finished")


def work_of(heard: Heard) -> int:
    return sum(hold or reps or 0 for hold, reps in doses(heard).values())


def test_the_coach_asks_how_it_felt_and_too_easy_starts_next_time_a_step_harder() -> None:
    alexa = Alexa()
    first = alexa.say("StartWorkoutIntent", area="lower_back", level="beginner", place="home")
    end = finish(alexa, first)
    assert "how did that feel" in end.text.lower() and not end.ends_session
    thanks = alexa.say("RateWorkoutIntent", rating="too_easy")
    assert thanks.ends_session and "a step harder" in thanks.text.lower()
    stored = alexa.stored()
    assert stored is not None and stored["history"][-1]["rating"] == "too_easy"
    alexa.wait(days=1)
    second = alexa.say("StartWorkoutIntent", area="lower_back", level="beginner", place="home")
    assert "how your last workouts felt" in second.text.lower()
    before, after = doses(first), doses(second)
    assert all(a[0] or a[1] for a in after.values())
    assert all((after[e][0] or after[e][1] or 0) >= (before[e][0] or before[e][1] or 0) for e in before)
    assert work_of(second) > work_of(first)


def test_too_hard_starts_next_time_a_step_easier() -> None:
    alexa = Alexa()
    first = alexa.say("StartWorkoutIntent", area="upper_back", level="intermediate", place="gym")
    finish(alexa, first)
    alexa.say("RateWorkoutIntent", rating="too_hard")
    alexa.wait(days=1)
    second = alexa.say("StartWorkoutIntent", area="upper_back", level="intermediate", place="gym")
    assert work_of(second) < work_of(first)


def test_about_right_keeps_the_doses() -> None:
    alexa = Alexa()
    first = alexa.say("StartWorkoutIntent", area="lower_back", level="beginner")
    finish(alexa, first)
    alexa.say("RateWorkoutIntent", rating="about_right")
    alexa.wait(days=1)
    second = alexa.say("StartWorkoutIntent", area="lower_back", level="beginner")
    assert doses(second) == doses(first) and "how your last workouts felt" not in second.text.lower()


def test_harder_asked_for_mid_workout_is_remembered_for_that_exercise() -> None:
    alexa = Alexa()
    first = alexa.say("StartWorkoutIntent", area="lower_back", level="beginner", place="home")
    work = next(w for w in windows(first) if w.kind == "work")
    exercise = first.attributes["workout"]["steps"][work.step]["exercise"]
    alexa.interrupt(work.start + 2, "AdjustDifficultyIntent", direction="harder")
    alexa.say("AMAZON.StopIntent")
    alexa.wait(days=1)
    second = alexa.say("StartWorkoutIntent", area="lower_back", level="beginner", place="home", duration="PT20M")
    third_plan = doses(second)
    again = Alexa()  # someone else, the same plan, for comparison
    fresh = again.say("StartWorkoutIntent", area="lower_back", level="beginner", place="home", duration="PT20M")
    assert (third_plan[exercise][0] or third_plan[exercise][1]) > (
        doses(fresh)[exercise][0] or doses(fresh)[exercise][1]
    )
    others = [e for e in third_plan if e != exercise]
    assert all(third_plan[e] == doses(fresh)[e] for e in others)


def test_too_hard_said_mid_set_makes_it_easier_from_here_on() -> None:
    alexa = Alexa()
    first = alexa.say("StartWorkoutIntent", area="lower_back", level="intermediate")
    work = next(w for w in windows(first) if w.kind == "work")
    easier = alexa.interrupt(work.start + 2, "RateWorkoutIntent", rating="too_hard")  # "this is too hard"
    assert "easier" in easier.text.lower() and not easier.ends_session
    assert work_of(easier) < work_of(first)


def test_three_sessions_too_easy_at_a_level_bring_the_offer_of_the_next() -> None:
    alexa = Alexa()
    for session in range(3):
        heard = finish(alexa, alexa.say("StartWorkoutIntent", area="lower_back", level="beginner", duration="PT5M"))
        answer = alexa.say("RateWorkoutIntent", rating="too_easy")
        if session < 2:
            assert "intermediate" not in answer.text.lower() and answer.ends_session
        alexa.wait(days=1)
    assert heard is not None
    assert "move you up to intermediate" in answer.text.lower() and not answer.ends_session
    yes = alexa.say("AMAZON.YesIntent")
    assert "intermediate" in yes.text.lower() and yes.ends_session
    alexa.wait(days=1)
    usual = alexa.say("StartWorkoutIntent", area="lower_back")
    assert "intermediate" in usual.text.lower()


def test_learned_doses_and_level_merge_the_later_one_and_ratings_are_kept() -> None:
    early, late = "2026-11-20T07:00:00.000Z", "2026-11-21T07:00:00.000Z"
    record = HistoryRecord(date(2026, 11, 20).isoformat(), "lower_back", "beginner", "home", 10, 6, 0, 600, "w1")
    stored = UserData(history=[record], offsets={"plank": Preference(1, early)}, level=Preference("intermediate", late))
    rated = HistoryRecord(**{**record.__dict__, "rating": "too_easy"})
    mine = UserData(history=[rated], offsets={"plank": Preference(2, late), "superman": Preference(-1, early)})
    merged = merge(stored, mine)
    assert merged.offsets["plank"].value == 2 and merged.offsets["superman"].value == -1
    assert merged.level is not None and merged.level.value == "intermediate"
    assert [r.rating for r in merged.history] == ["too_easy"]
    back = UserData.from_attributes(merged.to_attributes())
    assert back.offsets == merged.offsets and back.level == merged.level


def test_a_side_plank_paused_with_two_seconds_left_switches_with_its_change_over() -> None:
    alexa = Alexa()
    start = alexa.say("StartWorkoutIntent", area="lower_back", level="beginner", place="home")
    _, first_side = walk_to_work_of(alexa, "side_plank", start)
    alexa.interrupt(first_side.end - 2, "AMAZON.PauseIntent")
    resumed = alexa.say("AMAZON.ResumeIntent")
    found = windows(resumed)
    assert found[0].kind == "lead" and found[0].side == 1 and found[0].seconds >= 3.5
    lead_words = " ".join(s for s in resumed.text.split(".")[:4]).lower()
    assert "switch" in lead_words or "other side" in lead_words
    assert "three. two. one." in resumed.text.lower()  # the change-over's count-in before the hold
    work = next(w for w in found if w.kind == "work")
    assert work.side == 1 and work.start >= found[0].end - 0.01


def test_a_side_plank_paused_mid_side_finishes_that_side_then_changes_over() -> None:
    alexa = Alexa()
    start = alexa.say("StartWorkoutIntent", area="lower_back", level="beginner", place="home")
    _, first_side = walk_to_work_of(alexa, "side_plank", start)
    alexa.interrupt(first_side.start + 5, "AMAZON.PauseIntent")
    resumed = alexa.say("AMAZON.ResumeIntent")
    kinds = [(w.kind, w.side) for w in windows(resumed)]
    assert kinds[:4] == [("lead", 0), ("work", 0), ("switch", 1), ("work", 1)]
    assert windows(resumed)[1].seconds == first_side.seconds - 5
