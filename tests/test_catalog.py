"""The catalog against the facts of "Strong Back, Strong Life", and its validation of bad data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from skill.catalog import (
    CATALOG,
    CATALOG_PATH,
    NOT_IN_THE_BLOG,
    SESSION_SETS,
    Area,
    Beat,
    CatalogError,
    Level,
    Mode,
    Phase,
    Place,
    load_catalog,
)

LEVELS = [Level.BEGINNER, Level.INTERMEDIATE, Level.ADVANCED]
FLOOR = {Place.HOME, Place.GYM, Place.BODYWEIGHT}

# What the seed post says, exercise by exercise (its words, checked against the catalog's).
# Home means the floor, dumbbells and a pull-up bar; the floor moves also need no equipment at all.
SEED_FACTS = {
    "glute_bridge": {"region": Area.LOWER_BACK, "muscles": {"glutes", "lower back"}, "places": FLOOR},
    "plank": {"region": Area.LOWER_BACK, "muscles": {"core"}, "mode": Mode.HOLD, "places": FLOOR},
    "side_plank": {
        "region": Area.LOWER_BACK,
        "muscles": {"obliques", "core"},
        "mode": Mode.HOLD,
        "sides": 2,
        "places": FLOOR,
    },
    "reverse_plank": {"region": Area.LOWER_BACK, "muscles": {"glutes"}, "mode": Mode.HOLD, "places": FLOOR},
    "superman": {"region": Area.LOWER_BACK, "muscles": {"back chain"}, "places": FLOOR},
    "deadlift": {"region": Area.LOWER_BACK, "muscles": {"glutes", "hamstrings", "lower back", "mid back"}},
    "pull_up": {"region": Area.UPPER_BACK, "muscles": {"lats"}},
    "lat_pulldown": {"region": Area.UPPER_BACK, "muscles": {"lats"}, "places": {Place.GYM}},
    "bent_over_row": {"region": Area.UPPER_BACK, "muscles": {"upper back"}},
    "seated_row": {"region": Area.UPPER_BACK, "muscles": {"upper back"}, "places": {Place.GYM}},
}
HOME_EQUIPMENT = re.compile(r"^(|a pull up bar|a pair of dumbbells|dumbbells)$")


WARMUP = {"cat_cow", "bird_dog", "hip_hinge"}
COOLDOWN = {"childs_pose", "knee_to_chest"}
NOT_FROM_THE_SEED = sorted(set(CATALOG) - set(SEED_FACTS))


def test_every_contract_exercise_is_in_the_catalog() -> None:
    assert set(SEED_FACTS) | WARMUP | COOLDOWN <= set(CATALOG)


def test_only_the_seeds_exercises_claim_the_blog_as_their_source() -> None:
    for exercise in CATALOG.values():
        assert (exercise.source is None) == (exercise.id in SEED_FACTS), exercise.id
        assert exercise.source in (None, NOT_IN_THE_BLOG)
    assert {e.id for e in CATALOG.values() if e.phase is Phase.WARMUP} == WARMUP
    assert {e.id for e in CATALOG.values() if e.phase is Phase.COOLDOWN} == COOLDOWN


def test_every_area_can_be_trained_with_no_equipment() -> None:
    for region in (Area.LOWER_BACK, Area.UPPER_BACK):
        main = [e for e in CATALOG.values() if e.region is region and e.phase is Phase.MAIN]
        assert sum(Place.BODYWEIGHT in e.places for e in main) >= 2, region
    for exercise in CATALOG.values():
        if Place.BODYWEIGHT in exercise.places:
            assert exercise.equipment[Place.BODYWEIGHT] == "", exercise.id
    assert all(Place.BODYWEIGHT in CATALOG[i].places for i in WARMUP | COOLDOWN)


@pytest.mark.parametrize("exercise_id", NOT_FROM_THE_SEED)
def test_exercises_not_from_the_seed_can_be_coached_too(exercise_id: str) -> None:
    exercise = CATALOG[exercise_id]
    assert len(exercise.cues) >= 3 and len(set(exercise.cues)) == len(exercise.cues)
    if exercise.mode is Mode.HOLD:
        assert len(exercise.hold_cues) >= 2 and any("breath" in cue.lower() for cue in exercise.hold_cues)
    else:
        assert {Beat.LIFT, Beat.TOP, Beat.LOWER} <= set(exercise.beats)
        assert "breathe" in (exercise.beats[Beat.LIFT][0] + " ".join(exercise.beats.get(Beat.BEFORE, ()))).lower()
    assert exercise.setup and exercise.mistake and exercise.benefit and exercise.muscles
    assert exercise.name.lower() not in {s.lower() for s in exercise.synonyms}
    assert exercise.easier.name != exercise.harder.name
    work = [exercise.dose(level).sets for level in LEVELS]
    assert work == sorted(work)


def test_doses_stay_within_a_sessions_sets() -> None:
    for exercise in CATALOG.values():
        for level in LEVELS:
            assert exercise.dose(level).sets <= SESSION_SETS[level], (exercise.id, level)
    assert [SESSION_SETS[level] for level in LEVELS] == [3, 4, 5]


def test_the_negative_pull_up_is_a_form_a_plan_can_use() -> None:
    easier = CATALOG["pull_up"].easier
    assert easier.plannable and easier.reps and easier.tempo
    assert easier.tempo.lower >= 3 * easier.tempo.lift  # a negative: a quick way up, a slow way down


@pytest.mark.parametrize("exercise_id", sorted(SEED_FACTS))
def test_catalog_agrees_with_the_seed(exercise_id: str) -> None:
    exercise = CATALOG[exercise_id]
    facts = SEED_FACTS[exercise_id]
    assert exercise.region is facts["region"]
    assert facts["muscles"] <= set(exercise.muscles)
    if "mode" in facts:
        assert exercise.mode is facts["mode"]
    assert exercise.sides == facts.get("sides", 1)
    assert set(exercise.places) == facts.get("places", {Place.HOME, Place.GYM})


@pytest.mark.parametrize("exercise_id", sorted(SEED_FACTS))
def test_every_exercise_can_be_coached(exercise_id: str) -> None:
    exercise = CATALOG[exercise_id]
    assert len(exercise.cues) >= 3 and len(set(exercise.cues)) == len(exercise.cues)
    if exercise.mode is Mode.HOLD:
        assert len(exercise.hold_cues) >= 2 and any("breath" in cue.lower() for cue in exercise.hold_cues)
    else:  # a cue for each phase of a rep, and the first lift cue (which starts the set) carries the breathing
        assert {Beat.LIFT, Beat.TOP, Beat.LOWER} <= set(exercise.beats)
        assert "breathe" in (exercise.beats[Beat.LIFT][0] + " ".join(exercise.beats.get(Beat.BEFORE, ()))).lower()
    assert exercise.setup and exercise.mistake and exercise.benefit
    assert exercise.easier.name != exercise.harder.name
    assert exercise.name.lower() not in {s.lower() for s in exercise.synonyms}


@pytest.mark.parametrize("exercise_id", sorted(SEED_FACTS))
def test_doses_grow_with_the_level(exercise_id: str) -> None:
    exercise = CATALOG[exercise_id]
    work = []
    for level in LEVELS:
        dose = exercise.dose(level)
        per_set = dose.hold_seconds if exercise.mode is Mode.HOLD else (dose.reps or 0) * dose.tempo.seconds  # type: ignore[union-attr]
        work.append(dose.sets * per_set)
    assert work == sorted(work) and work[0] < work[-1]


def test_home_exercises_need_only_the_floor_dumbbells_or_a_pull_up_bar() -> None:
    for exercise in CATALOG.values():
        if Place.HOME in exercise.places:
            assert HOME_EQUIPMENT.match(exercise.equipment[Place.HOME]), exercise.id


def test_the_seed_specifics() -> None:
    rows = CATALOG["bent_over_row"]
    assert [g.lower() for g in rows.grips] == ["overhand", "underhand", "neutral"]
    assert "start light" in (CATALOG["deadlift"].safety or "").lower()
    assert "shoulder blades together" in " ".join(CATALOG["seated_row"].cues).lower()
    assert "cable" in CATALOG["seated_row"].equipment[Place.GYM]
    superman = CATALOG["superman"]
    assert all(superman.dose(level).tempo.hold >= 2 for level in LEVELS)  # type: ignore[union-attr]
    assert "pull up bar" in CATALOG["pull_up"].equipment[Place.HOME]


def _broken(tmp_path: Path, change: str, replacement: str) -> Path:
    text = CATALOG_PATH.read_text(encoding="utf-8")
    assert change in text
    path = tmp_path / "catalog.toml"
    path.write_text(text.replace(change, replacement, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "replacement", "message"),
    [
        (
            'mistake = "The usual mistake is letting the hips sag',
            'oops = "The usual mistake is letting the hips sag',
            "missing field 'mistake'",
        ),
        ('id = "cat_cow"', 'id = "cat_stretch"', "exercise ids must include ['cat_cow']"),
        ('id = "seated_row"', 'id = "rowing"', "must have source = 'not in the blog'"),
        ('id = "plank"\n', 'id = "plank"\nsource = "not in the blog"\n', "must have no source"),
        ('id = "cat_cow"\nsource = "not in the blog"', 'id = "cat_cow"\nsource = "the blog"', "must have source"),
        (
            'equipment = { home = "", gym = "", bodyweight = "" }',
            'equipment = { home = "", gym = "", bodyweight = "a mat" }',
            "need no equipment",
        ),
        ("beginner = { sets = 3, reps = 8,", "beginner = { sets = 4, reps = 8,", "more than 3 sets"),
        ('prepares = ["deadlift", "bent_over_row"]', 'prepares = ["deadlifts"]', "prepares names an unknown"),
        ('reps = 3\ntempo = "1-1-5"', "reps = 3", "needs both reps and tempo"),
        ('cues = [\n    "Step or jump up', 'cues = [\n    "Step or <jump> up', "plain spoken text"),
        (
            'harder = { name = "pull up with a pause",',
            'harder = { setup = "Stand tall.", name = "pull up with a pause",',
            "only a form with reps and tempo has its own",
        ),
        ('beats = { lift = ["Step up to the top."', 'beats = { up = ["Step up to the top."', "'up'"),
        ("sides = 2", "sides = 3", "sides must be 1 or 2"),
        ('moves = ["down", "up"]', 'moves = ["down"]', "moves names the two movements"),
        ("beginner = { sets = 2, hold_seconds = 20", "beginner = { sets = 9, hold_seconds = 20", "sets must be 1 to 5"),
        ('tempo = "2-1-2", rest_seconds = 45 }', 'tempo = "fast", rest_seconds = 45 }', "tempo must look like"),
        ('places = ["gym"]', 'places = ["park"]', "'park'"),
        ('synonyms = ["planks"', 'synonyms = ["bridge"', "also names"),
        ('cues = [\n    "Make a straight line', 'cues = [\n    "Make a <straight> line', "plain spoken text"),
    ],
)
def test_bad_catalog_data_is_refused_with_a_clear_message(
    tmp_path: Path, change: str, replacement: str, message: str
) -> None:
    with pytest.raises(CatalogError, match=re.escape(message)):
        load_catalog(_broken(tmp_path, change, replacement))


def test_an_unreadable_catalog_says_where(tmp_path: Path) -> None:
    path = tmp_path / "catalog.toml"
    path.write_text("[[exercise]\nid = ", encoding="utf-8")
    with pytest.raises(CatalogError, match="cannot read"):
        load_catalog(path)
    with pytest.raises(CatalogError, match="cannot read"):
        load_catalog(tmp_path / "missing.toml")
