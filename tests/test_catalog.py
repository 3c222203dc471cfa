"""The catalog against the facts of "Strong Back, Strong Life", and its validation of bad data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from skill.catalog import CATALOG, CATALOG_PATH, Area, Beat, CatalogError, Level, Mode, Place, load_catalog

LEVELS = [Level.BEGINNER, Level.INTERMEDIATE, Level.ADVANCED]

# What the seed post says, exercise by exercise (its words, checked against the catalog's).
SEED_FACTS = {
    "glute_bridge": {"region": Area.LOWER_BACK, "muscles": {"glutes", "lower back"}},
    "plank": {"region": Area.LOWER_BACK, "muscles": {"core"}, "mode": Mode.HOLD},
    "side_plank": {"region": Area.LOWER_BACK, "muscles": {"obliques", "core"}, "mode": Mode.HOLD, "sides": 2},
    "reverse_plank": {"region": Area.LOWER_BACK, "muscles": {"glutes"}, "mode": Mode.HOLD},
    "superman": {"region": Area.LOWER_BACK, "muscles": {"back chain"}},
    "deadlift": {"region": Area.LOWER_BACK, "muscles": {"glutes", "hamstrings", "lower back", "mid back"}},
    "pull_up": {"region": Area.UPPER_BACK, "muscles": {"lats"}},
    "lat_pulldown": {"region": Area.UPPER_BACK, "muscles": {"lats"}, "places": {Place.GYM}},
    "bent_over_row": {"region": Area.UPPER_BACK, "muscles": {"upper back"}},
    "seated_row": {"region": Area.UPPER_BACK, "muscles": {"upper back"}, "places": {Place.GYM}},
}
HOME_EQUIPMENT = re.compile(r"^(|a pull up bar|a pair of dumbbells|dumbbells)$")


def test_every_contract_exercise_is_in_the_catalog() -> None:
    assert set(CATALOG) == set(SEED_FACTS)


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
        ('id = "seated_row"', 'id = "rowing"', "exercise ids must be exactly"),
        ("sides = 2", "sides = 3", "sides must be 1 or 2"),
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
