"""Merging two versions of a person's data saved at the same time (skill.progress.merge), on its own.

Two devices of one person each read the stored document, change it, and save; the second save
finds the first one's and merges. These tests pin the rules down without any storage.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from skill.catalog import Area, Level, Place
from skill.planning import plan_routine
from skill.progress import HISTORY_LIMIT, UserData, merge, merge_attributes, record_identity, summarize
from skill.workout import HistoryRecord, WorkoutState, load_state

MONDAY = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


def started(moment: datetime = MONDAY, area: Area = Area.LOWER_BACK) -> WorkoutState:
    return WorkoutState.start(plan_routine(area, Level.BEGINNER, Place.HOME, 10), moment)


def finished(workout: WorkoutState, moment: datetime, completed: int | None = None) -> HistoryRecord:
    """The workout run to its end at ``moment`` (``completed`` exercises done, the rest skipped)."""
    done = len(workout.steps) if completed is None else completed
    workout.results = ["done"] * done + ["skipped"] * (len(workout.steps) - done)
    workout.seconds = 60.0 * done
    return workout.finish(moment)


def legacy(day: str, completed: int = 4) -> HistoryRecord:
    """A record as stored before records had ids."""
    return HistoryRecord.from_dict(
        {
            "date": day,
            "area": "lower_back",
            "level": "beginner",
            "place": "home",
            "minutes": 10,
            "completed": completed,
            "skipped": 0,
            "seconds": 600,
        }
    )


def ids(data: UserData) -> list[str | None]:
    return [record.id for record in data.history]


# ----- history ----------------------------------------------------------------------------------
def test_both_devices_finishing_a_workout_keep_both_records_in_date_order() -> None:
    base = UserData(history=[legacy("2026-11-20")], first_seen="2026-11-20")
    kitchen, bedroom = started(MONDAY), started(MONDAY + timedelta(seconds=1), Area.UPPER_BACK)
    stored = UserData(
        history=[*base.history, finished(kitchen, MONDAY + timedelta(days=1))], first_seen=base.first_seen
    )
    mine = UserData(history=[*base.history, finished(bedroom, MONDAY)], first_seen=base.first_seen)
    merged = merge(stored, mine)
    assert [r.date for r in merged.history] == ["2026-11-20", "2026-11-23", "2026-11-24"]
    assert ids(merged) == [None, bedroom.id, kitchen.id]
    assert merged.workout is None and merged.first_seen == "2026-11-20"


def test_the_same_workout_finished_on_two_devices_counts_once_the_fuller_record_kept() -> None:
    workout = started()
    copy = load_state(json.loads(json.dumps(workout.to_dict())))  # the other device resumed it
    assert copy is not None and copy.id == workout.id
    short, full = finished(workout, MONDAY, completed=2), finished(copy, MONDAY, completed=5)
    for stored, mine in ((short, full), (full, short)):
        merged = merge(UserData(history=[stored]), UserData(history=[mine]))
        assert merged.history == [full]
    tie = finished(load_state(workout.to_dict()) or workout, MONDAY, completed=2)
    assert merge(UserData(history=[short]), UserData(history=[tie])).history[0] is short, "a tie keeps the stored one"


def test_records_from_before_ids_are_told_apart_by_their_content() -> None:
    same = legacy("2026-11-20")
    other_that_day = legacy("2026-11-20", completed=3)
    merged = merge(UserData(history=[same, other_that_day]), UserData(history=[legacy("2026-11-20")]))
    assert merged.history == [same, other_that_day]
    assert record_identity(same) != record_identity(other_that_day)


def test_the_merged_history_is_capped_oldest_dropped() -> None:
    first_day = date(2025, 1, 1)
    days = [(first_day + timedelta(days=n)).isoformat() for n in range(HISTORY_LIMIT + 10)]
    stored = UserData(history=[legacy(day) for day in days[:-1]])
    mine = UserData(history=[legacy(day) for day in days[-(HISTORY_LIMIT - 1) :]])
    merged = merge(stored, mine)
    assert len(merged.history) == HISTORY_LIMIT
    assert merged.history[-1].date == days[-1] and merged.history[0].date == days[-HISTORY_LIMIT]


# ----- the workout in progress -------------------------------------------------------------------
def test_the_device_acting_now_keeps_its_workout() -> None:
    theirs, ours = started(area=Area.UPPER_BACK), started(area=Area.FULL_BACK)
    assert merge(UserData(workout=theirs), UserData(workout=ours)).workout is ours


def test_a_request_without_a_workout_keeps_the_stored_one() -> None:
    theirs = started()
    assert merge(UserData(workout=theirs), UserData()).workout is theirs


def test_a_workout_finished_on_the_other_device_is_not_resurrected() -> None:
    workout = started()
    still_running_here = load_state(workout.to_dict())
    assert still_running_here is not None
    record = finished(workout, MONDAY + timedelta(minutes=12))
    stored = UserData(history=[record])  # the kitchen finished it: no workout, one record
    mine = UserData(workout=still_running_here)  # the bedroom stepped on in the same moment
    merged = merge(stored, mine)
    assert merged.workout is None and merged.history == [record]


def test_finishing_here_drops_the_other_device_s_copy_but_keeps_its_new_workout() -> None:
    workout = started()
    other_copy = load_state(workout.to_dict())
    assert other_copy is not None
    record = finished(workout, MONDAY + timedelta(minutes=12))
    assert merge(UserData(workout=other_copy), UserData(history=[record])).workout is None
    new_one = started(MONDAY + timedelta(minutes=13), Area.UPPER_BACK)
    assert merge(UserData(workout=new_one), UserData(history=[record])).workout is new_one


def test_the_finished_workout_the_coach_keeps_with_its_record_stays() -> None:
    workout = started()
    record = workout.finish(MONDAY + timedelta(minutes=12))  # status finished, kept for a cut-short last reply
    mine = UserData(workout=workout, history=[record])
    assert merge(UserData(first_seen="2026-11-20"), mine).workout is workout
    assert mine.to_attributes()["workout"]["status"] == "finished"


def test_storage_never_gets_back_a_running_workout_that_is_already_recorded() -> None:
    """Without any race: a device whose session still runs a workout that the other device has
    finished goes on with it, but what it stores has no workout in progress."""
    workout = started()
    running_here = load_state(workout.to_dict())
    assert running_here is not None
    data = UserData(workout=running_here, history=[finished(workout, MONDAY)])
    assert data.to_attributes()["workout"] is None
    data.history = []  # the coach took the record back (the finish was cut short): the workout is live again
    assert data.to_attributes()["workout"]["id"] == workout.id


def test_recording_a_workout_twice_keeps_one_record_the_fuller() -> None:
    workout = started()
    copy = load_state(workout.to_dict())
    assert copy is not None
    data = UserData()
    data.record(finished(workout, MONDAY, completed=2))
    data.record(legacy("2026-11-20"))
    data.record(finished(copy, MONDAY, completed=4))
    assert [(r.id, r.completed) for r in data.history] == [(workout.id, 4), (None, 4)]


def test_first_seen_is_the_earlier_one() -> None:
    assert merge(UserData(first_seen="2026-11-21"), UserData(first_seen="2026-11-20")).first_seen == "2026-11-20"
    assert merge(UserData(first_seen="2026-11-20"), UserData(first_seen="2026-11-21")).first_seen == "2026-11-20"
    assert merge(UserData(), UserData(first_seen="2026-11-21")).first_seen == "2026-11-21"
    assert merge(UserData(), UserData()).first_seen is None


# ----- documents, ids and old data -----------------------------------------------------------------
def test_merge_attributes_works_on_stored_documents_and_ignores_a_damaged_one() -> None:
    workout = started()
    record = finished(started(MONDAY - timedelta(days=1)), MONDAY - timedelta(days=1))
    mine = UserData(workout=workout, history=[record], first_seen="2026-11-22").to_attributes()
    assert merge_attributes({"v": 99, "history": "garbage"}, mine) == mine
    stored = UserData(history=[legacy("2026-11-20")], first_seen="2026-11-20").to_attributes()
    merged = UserData.from_attributes(json.loads(json.dumps(merge_attributes(stored, mine))))
    assert [r.date for r in merged.history] == ["2026-11-20", "2026-11-22"] and merged.first_seen == "2026-11-20"
    assert merged.workout is not None and merged.workout.id == workout.id and not merged.recovered


def test_records_and_workouts_from_before_ids_still_load() -> None:
    old_record = {
        "date": "2026-11-20",
        "area": "lower_back",
        "level": "beginner",
        "place": "home",
        "minutes": None,
        "completed": 3,
        "skipped": 1,
        "seconds": 420,
    }
    assert HistoryRecord.from_dict(old_record).to_dict() == old_record, "stored as it was, no id added"
    state = started().to_dict()
    del state["id"]
    old_state = load_state(state)
    assert old_state is not None and old_state.id == state["started"], "known by its start time"
    record = finished(old_state, MONDAY)
    assert record.id == state["started"]


def test_new_workouts_get_distinct_ids_and_records_carry_them() -> None:
    a, b = started(MONDAY), started(MONDAY)  # the same second on two devices
    assert a.id != b.id
    assert finished(a, MONDAY).id == a.id
    for bad in ("", "x" * 41, "<script>", 7):
        state = a.to_dict()
        state["id"] = bad
        assert load_state(state) is None, f"workout id {bad!r} should be refused"


# ----- properties --------------------------------------------------------------------------------
records = st.builds(
    lambda day, workout, completed: HistoryRecord(
        date=(date(2026, 1, 1) + timedelta(days=day)).isoformat(),
        area="lower_back",
        level="beginner",
        place="home",
        minutes=10,
        completed=completed,
        skipped=0,
        seconds=60 * completed,
        id=None if workout is None else f"w{workout}",
    ),
    st.integers(0, 30),
    st.one_of(st.none(), st.integers(0, 20)),
    st.integers(0, 6),
)
histories = st.lists(records, max_size=25).map(lambda rs: sorted(rs, key=lambda r: r.date))


@settings(max_examples=200, deadline=None)
@given(histories, histories)
def test_merging_never_loses_a_workout_and_never_duplicates_one(
    stored: list[HistoryRecord], mine: list[HistoryRecord]
) -> None:
    merged = merge(UserData(history=stored), UserData(history=mine)).history
    identities = [record_identity(r) for r in merged]
    assert len(identities) == len(set(identities)), "no workout twice"
    assert set(identities) == {record_identity(r) for r in [*stored, *mine]}, "every workout kept"
    assert [r.date for r in merged] == sorted(r.date for r in merged)
    again = merge(UserData(history=merged), UserData(history=merged)).history
    assert again == merged, "merging is idempotent"
    other_way = merge(UserData(history=mine), UserData(history=stored)).history
    assert sorted(map(record_identity, other_way)) == sorted(identities), "the same workouts either way"
    done = summarize(merged, date(2026, 2, 1)).workouts
    assert done == sum(1 for r in merged if r.completed), "progress counts each workout once"
