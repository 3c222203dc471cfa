"""What a person hears about the program itself, through the real lambda_handler: the equipment it
needs, a session shorter than asked and why, the warm-up and cool-down, the negative pull up, and
pull-ups and lat pulldowns taking turns from one session to the next."""

from __future__ import annotations

import re

from local_runner.understanding.parser import understander
from skill.catalog import CATALOG
from skill.speech import Window
from tests.support.alexa import Alexa, Heard

PULL_UP = CATALOG["pull_up"]
NEGATIVE = PULL_UP.easier.name


def replies_until_done(alexa: Alexa, first: Heard, limit: int = 80) -> list[Heard]:
    """Every reply of the workout, saying next after each until the coach says goodbye."""
    heard = [first]
    while not heard[-1].finished:
        assert len(heard) < limit, "the workout never finished"
        heard.append(alexa.say("AMAZON.NextIntent"))
    return heard


def said(replies: list[Heard]) -> str:
    return " ".join(reply.text for reply in replies).lower()


def say(alexa: Alexa, words: str) -> Heard:
    """Say it as a person would: understood offline from the interaction models, then sent to the skill."""
    understood = understander(alexa.locale).understand(words)
    slots = {name: match.id for name, match in understood.slots.items() if match.id}
    return alexa.say(understood.intent, **slots)


def test_the_coach_says_what_equipment_is_needed_before_the_first_exercise() -> None:
    alexa = Alexa()
    heard = alexa.say("StartWorkoutIntent", area="upper_back", level="intermediate", place="home", duration="PT20M")
    text = heard.text.lower()
    need = text.index("you'll need")
    assert need < text.index("exercise one")
    line = text[need : text.index(".", need)]
    assert "pull up bar" in line and "dumbbells" in line and " and " in line
    assert "barbell" not in line and "machine" not in line


def test_a_gym_session_names_only_the_machines_it_uses() -> None:
    alexa = Alexa()
    heard = alexa.say("StartWorkoutIntent", area="lower_back", level="advanced", place="gym", duration="PT20M")
    line = re.search(r"you'll need ([^.]*)\.", heard.text.lower())
    assert line is not None and "barbell" in line.group(1)
    assert "pull up bar" not in line.group(1) and "cable" not in line.group(1)


def test_a_session_with_no_equipment_needs_nothing_and_uses_nothing() -> None:
    alexa = Alexa()
    first = say(alexa, "I don't have any equipment")
    assert "no equipment" in first
    assert "you'll need" not in first
    steps = first.attributes["workout"]["steps"]
    assert all(CATALOG[s["exercise"]].equipment.get("bodyweight") == "" for s in steps)
    upper = Alexa()
    hotel = say(upper, "start an upper back workout in my hotel room")
    names = {
        CATALOG[s["exercise"]].id for s in hotel.attributes["workout"]["steps"] if s.get("phase", "main") == "main"
    }
    assert names and all(CATALOG[n].region.value == "upper_back" for n in names)
    assert "you'll need" not in hotel


def test_an_hour_for_a_beginners_upper_back_is_planned_as_what_it_needs_and_said_plainly() -> None:
    alexa = Alexa()
    heard = alexa.say("StartWorkoutIntent", area="upper_back", level="beginner", place="home", duration="PT60M")
    text = heard.text.lower()
    match = re.search(r"an hour is more than a beginner's upper back needs[^.]*here are ([a-z ]+) minutes", text)
    assert match, text[:400]
    planned = match.group(1)
    assert f"your {planned} minute upper back workout" in text
    assert heard.attributes["workout"]["minutes"] < 60
    # An hour that an advanced full back session can fill is not cut short.
    full = Alexa().say("StartWorkoutIntent", area="full_back", level="advanced", place="gym", duration="PT60M")
    assert "more than" not in full and "sixty minute" in full


def test_two_hours_for_a_session_that_needs_less_than_one_says_one_length_not_two() -> None:
    heard = Alexa().say("StartWorkoutIntent", area="upper_back", level="beginner", place="home", duration="PT2H")
    text = heard.text.lower()
    match = re.search(r"more than a beginner's upper back needs[^.]*here are ([a-z ]+) minutes", text)
    assert match, text[:400]
    assert "sixty" not in text and "an hour" not in text, text[:400]  # not "made it sixty", then fewer
    assert f"your {match.group(1)} minute upper back workout" in text
    # Two hours that a session could fill are made the most there is, an hour, and said so.
    full = Alexa().say("StartWorkoutIntent", area="full_back", level="advanced", place="gym", duration="PT2H")
    assert "at most an hour" in full and "your sixty minute full back workout" in full


def test_the_coach_announces_the_warm_up_the_main_work_and_the_cool_down_in_order() -> None:
    alexa = Alexa()
    first = alexa.say("StartWorkoutIntent", area="lower_back", level="beginner", place="home", duration="PT10M")
    text = said(replies_until_done(alexa, first))
    warm, main, cool = (
        text.index(line) for line in ("first, a short warm-up", "now the main work", "to finish, a cool-down")
    )
    assert warm < text.index("exercise one of") < main < cool < text.index("workout done")
    assert all(text.count(line) == 1 for line in ("short warm-up", "main work", "cool-down"))
    # The warm-up moves are named and set up; the main work starts with the hinge, while fresh.
    assert text.index("cat cow") < main < text.index("deadlift", main)
    short = Alexa()
    five = short.say("StartWorkoutIntent", area="lower_back", level="beginner", place="home", duration="PT5M")
    text = said(replies_until_done(short, five))
    assert "warm-up" not in text and "cool-down" not in text and "deadlift" not in text


def _to_the_pull_up(alexa: Alexa, heard: Heard) -> Heard:
    for _ in range(20):
        if PULL_UP.name in heard.text.lower():
            return heard
        heard = alexa.say("AMAZON.NextIntent")
    raise AssertionError("never reached the pull up")


def test_a_beginner_at_home_pulls_with_the_negative_pull_up() -> None:
    alexa = Alexa()
    first = alexa.say("StartWorkoutIntent", area="upper_back", level="beginner", place="home", duration="PT20M")
    heard = _to_the_pull_up(alexa, first).text.lower()
    assert f"we'll do the {NEGATIVE}" in heard
    assert PULL_UP.easier.how.lower() in heard
    assert "up for one, hold for one, down for five" in heard  # a quick way up, a slow way down


def test_i_cant_do_a_pull_up_swaps_the_pull_up_for_the_negative() -> None:
    alexa = Alexa()
    first = alexa.say("StartWorkoutIntent", area="upper_back", level="intermediate", place="home", duration="PT20M")
    reached = _to_the_pull_up(alexa, first)
    assert NEGATIVE not in reached.text.lower()
    steps = reached.attributes["workout"]["steps"]
    index = next(i for i, s in enumerate(steps) if s["exercise"] == "pull_up")
    windows = [Window.from_list(w) for w in reached.attributes["workout"]["block"]["windows"]]
    work = next(w for w in windows if w.kind == "work" and w.step == index)
    understood = understander("en-US").understand("I can't do a pull up")
    slots = {name: match.id for name, match in understood.slots.items() if match.id}
    swapped = alexa.interrupt(work.start + 2, understood.intent, **slots)
    text = swapped.text.lower()
    assert f"let's make it the {NEGATIVE} instead" in text
    between = text.split(f"let's make it the {NEGATIVE} instead", 1)[1].split(f"we'll do the {NEGATIVE}", 1)[0]
    assert PULL_UP.name not in between, between  # the form it is now is named, not the one it was
    assert "up for one, hold for one, down for five" in text
    assert "shorter work" not in text  # the form changed, not the dose of everything after
    pull = next(s for s in swapped.attributes["workout"]["steps"] if s["exercise"] == "pull_up")
    assert pull.get("variation") == NEGATIVE
    rows = [s for s in swapped.attributes["workout"]["steps"] if s["exercise"] == "bent_over_row"]
    assert rows == [s for s in first.attributes["workout"]["steps"] if s["exercise"] == "bent_over_row"]
    back = alexa.interrupt(2, "AdjustDifficultyIntent", direction="harder")
    assert f"back to the full {PULL_UP.name}" in back
    again = next(s for s in back.attributes["workout"]["steps"] if s["exercise"] == "pull_up")
    assert again.get("variation") is None


def test_pull_ups_and_lat_pulldowns_take_turns_between_sessions() -> None:
    alexa = Alexa()
    heard_pulls = []
    for _ in range(3):
        first = alexa.say("StartWorkoutIntent", area="upper_back", level="intermediate", place="gym", duration="PT10M")
        text = said(replies_until_done(alexa, first))
        pulls = [name for name in ("wide pull up", "lat pulldown") if name in text]
        assert len(pulls) == 1, pulls  # one or the other in a session, never both
        heard_pulls.append(pulls[0])
        alexa.wait(days=1)
    assert heard_pulls[0] != heard_pulls[1] and heard_pulls[1] != heard_pulls[2]
