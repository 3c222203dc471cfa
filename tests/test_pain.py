"""Pain, handled safely: the set stops at once, the person hears when to stop for the day and see a
professional, and chooses whether to leave out what loads that part. Outside a workout, and for a
condition, the coach prescribes nothing. Assertions are on what a person hears."""

from __future__ import annotations

import re

from skill.catalog import CATALOG
from tests.support.alexa import Alexa, Heard, walk_to_work_of, windows

ADVICE = ("sharp or shooting", "numbness", "spreads down a leg", "doctor or physical therapist")


def exercises(heard: Heard) -> list[str]:
    return [step["exercise"] for step in heard.attributes["workout"]["steps"]]


def test_back_pain_mid_plank_stops_the_set_advises_and_leaves_out_what_loads_the_back() -> None:
    alexa = Alexa()
    start = alexa.say("StartWorkoutIntent", area="lower_back", level="intermediate", place="gym", duration="PT30M")
    _, hold = walk_to_work_of(alexa, "plank", start)
    hurt = alexa.interrupt(hold.start + hold.seconds / 2, "ReportPainIntent", body_part="back")
    # The set stops at once: nothing more is performed, the coach waits for an answer.
    assert not windows(hurt) and not hurt.ends_session
    assert hurt.attributes["workout"]["status"] == "paused"
    for words in ADVICE:
        assert words in hurt.text
    assert "leave out the exercises that load your back" in hurt
    assert not any(name in hurt.text.lower() for name in ("skipping", "exercise three", "next up"))
    # The deadlift came first, while fresh: what is left to leave out is what comes after the plank.
    loaders = [e for e in exercises(hurt)[hurt.attributes["workout"]["pos"][0] :] if "back" in CATALOG[e].loads]
    assert loaders, "the plan has back-loading exercises to leave out"

    left = alexa.say("AMAZON.YesIntent")
    assert re.search(r"(left out|taken) the plank", left.text.lower()), left.text
    remaining = exercises(left)[hurt.attributes["workout"]["pos"][0] :]
    assert "plank" not in remaining
    assert not [e for e in remaining if "back" in CATALOG[e].loads]
    for name in {CATALOG[e].name for e in loaders}:
        assert name in left.text.lower()
    assert any(w.kind == "work" for w in windows(left)), "the rest of the workout goes on"


def test_ouch_mid_set_offers_to_leave_out_this_exercise_and_no_waits_for_the_person() -> None:
    alexa = Alexa()
    start = alexa.say("StartWorkoutIntent", area="upper_back", level="beginner", place="gym")
    work = next(w for w in windows(start) if w.kind == "work")
    name = CATALOG[exercises(start)[work.step]].name
    hurt = alexa.interrupt(work.start + 2, "ReportPainIntent")
    assert not windows(hurt) and all(words in hurt.text for words in ADVICE)
    assert f"leave out the {name}" in hurt.text.lower()
    wait = alexa.say("AMAZON.NoIntent")
    assert not windows(wait) and "resume" in wait and not wait.ends_session
    assert wait.attributes["workout"]["status"] == "paused"
    back = alexa.say("AMAZON.ResumeIntent")
    first = next(w for w in windows(back) if w.kind == "work")
    assert (first.step, first.set) == (work.step, work.set), "the same set, from its start"


def test_stop_after_pain_ends_the_workout_with_progress_saved() -> None:
    alexa = Alexa()
    start = alexa.say("StartWorkoutIntent", area="lower_back")
    work = next(w for w in windows(start) if w.kind == "work")
    alexa.interrupt(work.start + 1, "ReportPainIntent", body_part="hip")
    bye = alexa.say("AMAZON.StopIntent")
    assert bye.ends_session and "progress is saved" in bye


def test_at_the_menu_pain_gets_no_exercise_advice_only_a_professional_first() -> None:
    alexa = Alexa()
    alexa.open()
    heard = alexa.say("ReportPainIntent", body_part="back")
    assert "doctor or physical therapist" in heard and not heard.ends_session
    said = heard.text.lower()
    assert not any(exercise.name in said for exercise in CATALOG.values())
    assert "workout" not in heard.reprompt.lower() if heard.reprompt else True
    assert not any(word in said for word in ("try ", "start a", "minute", "stretch"))


def test_a_condition_named_mid_workout_stops_the_set_like_pain() -> None:
    alexa = Alexa()
    start = alexa.say("StartWorkoutIntent", area="lower_back")
    work = next(w for w in windows(start) if w.kind == "work")
    heard = alexa.interrupt(work.start + 1, "ReportPainIntent")  # "I have a herniated disc"
    assert not windows(heard) and all(words in heard.text for words in ADVICE)


def test_every_report_is_kept_in_the_persons_progress() -> None:
    alexa = Alexa()
    start = alexa.say("StartWorkoutIntent", area="lower_back")
    work = next(w for w in windows(start) if w.kind == "work")
    alexa.interrupt(work.start + 1, "ReportPainIntent", body_part="knee")
    alexa.say("AMAZON.StopIntent")
    document = alexa.stored()
    assert document is not None and [report["part"] for report in document["pains"]] == ["knee"]


def test_when_everything_left_is_left_out_the_workout_ends_kindly() -> None:
    alexa = Alexa()
    # Five minutes: no warm-up or cool-down, only pulling and rowing, all of it loading the shoulder.
    start = alexa.say("StartWorkoutIntent", area="upper_back", place="gym", level="beginner", duration="PT5M")
    work = next(w for w in windows(start) if w.kind == "work")
    alexa.interrupt(work.start + 1, "ReportPainIntent", body_part="shoulder")
    done = alexa.say("AMAZON.YesIntent")
    assert done.ends_session
    assert "see you" in done.text.lower() or "next time" in done.text.lower()


STOP_TODAY = ("don't train any more today", "doctor or physical therapist", "bladder")
URGENT = ("stop now", "sit or lie down", "emergency services")


def test_pain_down_a_leg_mid_set_ends_the_days_training_with_no_offer_to_carry_on() -> None:
    alexa = Alexa()
    start = alexa.say("StartWorkoutIntent", area="lower_back", level="intermediate", place="gym", duration="PT20M")
    work = next(w for w in windows(start) if w.kind == "work")
    told = alexa.interrupt(work.start + 3, "ReportPainIntent", symptom="spreading")
    assert told.ends_session and not windows(told)
    text = told.text.lower()
    assert all(words in text for words in STOP_TODAY), told.text
    assert "leave out" not in text and "say resume" not in text and "emergency" not in text
    # The workout is kept where it stopped, for when the person has been checked; the report is kept.
    document = alexa.stored()
    assert document is not None and document["workout"]["status"] == "paused"
    assert [report.get("symptom") for report in document["pains"]] == ["spreading"]


def test_chest_pain_or_feeling_faint_is_urgent_in_a_workout_and_at_the_menu() -> None:
    for symptom in ("chest", "faint"):
        alexa = Alexa()
        start = alexa.say("StartWorkoutIntent", area="upper_back")
        work = next(w for w in windows(start) if w.kind == "work")
        told = alexa.interrupt(work.start + 1, "ReportPainIntent", symptom=symptom)
        assert told.ends_session and all(words in told.text.lower() for words in URGENT), told.text
        assert "leave out" not in told.text.lower()
        menu = Alexa()
        menu.open()
        told = menu.say("ReportPainIntent", symptom=symptom)
        assert told.ends_session and all(words in told.text.lower() for words in URGENT), told.text
        assert "kept your workout" not in told.text.lower()  # there was none running


def test_the_summary_after_leaving_out_counts_what_the_person_heard_and_says_what_was_left_out() -> None:
    alexa = Alexa()
    start = alexa.say("StartWorkoutIntent", area="lower_back", level="intermediate", place="gym", duration="PT20M")
    work = next(w for w in windows(start) if w.kind == "work")
    alexa.interrupt(work.start + 2, "ReportPainIntent", body_part="back")
    heard = [alexa.say("AMAZON.YesIntent")]
    while not heard[-1].finished:
        assert len(heard) < 80, "the workout never finished"
        heard.append(alexa.say("AMAZON.NextIntent"))
    said = " ".join(reply.text for reply in heard).lower()
    totals = set(re.findall(r"exercise \w+ of (\w+)", said))
    assert len(totals) == 1, totals  # every announcement after leaving out agrees
    summary = re.search(r"you completed (\w+) of (\w+) exercises", said)
    assert summary and summary.group(2) == totals.pop(), said[-300:]
    assert "left out" in said[said.index("you completed") :]
