"""The exercise catalog: typed, frozen, validated when loaded from ``data/catalog.toml``."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from skill.errors import StrongBackError

if TYPE_CHECKING:
    from collections.abc import Mapping

CATALOG_PATH = Path(__file__).parent / "data" / "catalog.toml"
# The exercises of "Strong Back, Strong Life" (the seed post).
SEED_IDS = frozenset(
    {
        "glute_bridge", "plank", "side_plank", "reverse_plank", "superman", "deadlift",
        "pull_up", "lat_pulldown", "bent_over_row", "seated_row",
    }
)  # fmt: skip
# Every id the contract names: the seed's, and the warm-up and cool-down moves (not from the seed).
CONTRACT_IDS = SEED_IDS | {"cat_cow", "bird_dog", "hip_hinge", "childs_pose", "knee_to_chest"}
# What an exercise that is not from the seed post must say in its ``source`` field.
NOT_IN_THE_BLOG = "not in the blog"
_SPOKEN = re.compile(r"^[A-Za-z][A-Za-z ,.'?!:;-]*$")


class CatalogError(StrongBackError, ValueError):
    """The catalog data is wrong; the message names the exercise and the field."""


class Area(StrEnum):
    LOWER_BACK = "lower_back"
    UPPER_BACK = "upper_back"
    FULL_BACK = "full_back"


class Level(StrEnum):
    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"


class Place(StrEnum):
    HOME = "home"
    GYM = "gym"
    BODYWEIGHT = "bodyweight"  # no equipment at all: the floor, a mat, a door frame


class Phase(StrEnum):
    """Where in a session an exercise belongs."""

    WARMUP = "warmup"
    MAIN = "main"
    COOLDOWN = "cooldown"


class Pattern(StrEnum):
    """Movement patterns the planner orders and chooses by."""

    HINGE = "hinge"  # the loaded hinge: done early, while fresh, and only after a warm-up
    VERTICAL_PULL = "vertical_pull"  # one of these a session, alternating between sessions


class BodyPart(StrEnum):
    """Where it hurts (the BODY_PART slot's ids): what an exercise loads, for leaving it out."""

    BACK = "back"
    NECK = "neck"
    SHOULDER = "shoulder"
    ELBOW = "elbow"
    WRIST = "wrist"
    HIP = "hip"
    KNEE = "knee"


class Beat(StrEnum):
    """The phases of a rep that a short cue can belong to (said in that phase)."""

    BEFORE = "before"  # just before the rep starts
    LIFT = "lift"
    TOP = "top"
    LOWER = "lower"


class Mode(StrEnum):
    HOLD = "hold"
    REPS = "reps"


def _spoken(owner: str, name: str, text: str) -> None:
    if not isinstance(text, str) or not _SPOKEN.match(text):
        raise CatalogError(f"{owner}: {name} must be plain spoken text, got {text!r}")


@dataclass(frozen=True)
class Tempo:
    """Seconds for each phase of one rep: lift, hold at the top, lower."""

    lift: float
    hold: float
    lower: float

    def __post_init__(self) -> None:
        if min(self.lift, self.hold, self.lower) < 0 or self.lift + self.lower <= 0 or self.seconds > 20:
            raise ValueError(f"implausible tempo {self.lift}-{self.hold}-{self.lower}")

    @property
    def seconds(self) -> float:
        return self.lift + self.hold + self.lower

    def __str__(self) -> str:
        return "-".join(f"{v:g}" for v in (self.lift, self.hold, self.lower))

    @classmethod
    @cache
    def parse(cls, text: str) -> Tempo:
        parts = str(text).split("-")
        if len(parts) != 3:
            raise ValueError(f"tempo must look like 2-1-2, not {text!r}")
        try:
            lift, hold, lower = (float(p) for p in parts)
        except ValueError:
            raise ValueError(f"tempo must look like 2-1-2, not {text!r}") from None
        return cls(lift, hold, lower)


@dataclass(frozen=True)
class Dose:
    """How much of an exercise at one level: sets, and a hold or reps at a tempo, then rest."""

    sets: int
    rest_seconds: int
    hold_seconds: int | None = None
    reps: int | None = None
    tempo: Tempo | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.sets <= 5:
            raise ValueError(f"sets must be 1 to 5, not {self.sets}")
        if not 10 <= self.rest_seconds <= 120:
            raise ValueError(f"rest must be 10 to 120 seconds, not {self.rest_seconds}")
        if self.hold_seconds is not None and (not 10 <= self.hold_seconds <= 90 or self.hold_seconds % 5):
            raise ValueError(f"hold must be a multiple of 5 from 10 to 90 seconds, not {self.hold_seconds}")
        if self.reps is not None and not 3 <= self.reps <= 20:
            raise ValueError(f"reps must be 3 to 20, not {self.reps}")


# The most sets of one exercise in one session, whatever the minutes: more is not better.
SESSION_SETS: Mapping[Level, int] = MappingProxyType({Level.BEGINNER: 3, Level.INTERMEDIATE: 4, Level.ADVANCED: 5})


@dataclass(frozen=True)
class Variation:
    """An easier or harder form of an exercise. With ``reps`` and ``tempo`` it is a form a plan can
    use in place of the exercise (the same reps at every level), e.g. the negative pull up."""

    name: str
    how: str
    reps: int | None = None
    tempo: Tempo | None = None
    # A plannable form moves differently: what the coach says for it, in place of the exercise's own.
    setup: str | None = None
    needs: str | None = None  # equipment this form needs beyond the exercise's ("a box or step")
    cues: tuple[str, ...] = ()
    beats: Mapping[Beat, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def plannable(self) -> bool:
        return self.tempo is not None


@dataclass(frozen=True)
class Exercise:
    """One exercise and everything the coach says and plans about it."""

    id: str
    name: str
    synonyms: tuple[str, ...]
    region: Area
    benefit: str
    muscles: tuple[str, ...]
    places: frozenset[Place]
    equipment: Mapping[Place, str]
    mode: Mode
    sides: int
    doses: Mapping[Level, Dose]
    setup: str
    cues: tuple[str, ...]
    hold_cues: tuple[str, ...]  # holds: said in the quiet of a hold
    beats: Mapping[Beat, tuple[str, ...]]  # reps: said in the phase of a rep they describe
    mistake: str
    safety: str | None
    easier: Variation
    harder: Variation
    grips: tuple[str, ...] = field(default=())
    loads: frozenset[BodyPart] = field(default=frozenset())  # what it loads: left out for a person in pain there
    phase: Phase = Phase.MAIN
    pattern: Pattern | None = None
    source: str | None = None  # None: from the seed post; otherwise NOT_IN_THE_BLOG
    prepares: tuple[str, ...] = field(default=())  # a warm-up planned only before one of these
    moves: tuple[str, str] | None = None  # how the tempo names a rep's two movements, if not up and down
    also_needs: tuple[str, ...] = ()  # equipment the form a step uses needs (``in_form``)

    def __post_init__(self) -> None:
        where = f"exercise {self.id!r}"
        if self.region not in (Area.LOWER_BACK, Area.UPPER_BACK):
            raise CatalogError(f"{where}: region must be lower_back or upper_back")
        self._check_origin_and_use(where)
        if self.sides not in (1, 2):
            raise CatalogError(f"{where}: sides must be 1 or 2")
        if not self.places or set(self.equipment) != set(self.places):
            raise CatalogError(f"{where}: equipment must be given for exactly its places")
        if set(self.doses) != set(Level):
            raise CatalogError(f"{where}: doses needs beginner, intermediate and advanced")
        self._check_doses(where)
        if len(self.cues) < 3:
            raise CatalogError(f"{where}: cues needs at least three form cues")
        if self.mode is Mode.HOLD and (len(self.hold_cues) < 2 or self.beats):
            raise CatalogError(f"{where}: a hold needs at least two hold_cues, and no beats")
        if self.mode is Mode.REPS and (self.hold_cues or not {Beat.LIFT, Beat.TOP, Beat.LOWER} <= set(self.beats)):
            raise CatalogError(f"{where}: reps need beats for lift, top and lower (and no hold_cues)")
        for name in ("name", "benefit", "setup", "mistake"):
            _spoken(where, name, getattr(self, name))
        for text in (*self.cues, *self.work_cues, *self.synonyms, *self.grips):
            _spoken(where, "cues, hold_cues, beats, synonyms and grips", text)
        for variation in (self.easier, self.harder):
            _spoken(where, "easier and harder", variation.name)
            _spoken(where, "easier and harder", variation.how)
            self._check_form_words(f"{where} ({variation.name})", variation)
        if self.safety is not None:
            _spoken(where, "safety", self.safety)
        if self.moves is not None:
            if len(self.moves) != 2 or self.mode is not Mode.REPS:
                raise CatalogError(f"{where}: moves names the two movements of a rep: [first, second]")
            for text in self.moves:
                _spoken(where, "moves", text)

    def _check_form_words(self, where: str, variation: Variation) -> None:
        """A form's own set-up, equipment, cues and beats: only for a form a plan uses, complete where given."""
        own = (
            variation.setup is not None or variation.needs is not None or bool(variation.cues) or bool(variation.beats)
        )
        if own and not variation.plannable:
            raise CatalogError(f"{where}: only a form with reps and tempo has its own setup, cues and beats")
        if variation.cues and len(variation.cues) < 3:
            raise CatalogError(f"{where}: cues needs at least three form cues")
        if variation.beats and not {Beat.LIFT, Beat.TOP, Beat.LOWER} <= set(variation.beats):
            raise CatalogError(f"{where}: beats need lift, top and lower")
        said = [text for text in (variation.setup, variation.needs) if text is not None]
        for text in (*said, *variation.cues, *(c for cues in variation.beats.values() for c in cues)):
            _spoken(where, "setup, cues and beats", text)

    def in_form(self, name: str | None) -> Exercise:
        """The exercise as the coach teaches it in one of its forms (``Step.variation``): a form with its
        own set-up, cues and beats says those; everything else is the exercise's."""
        if name is None:
            return self
        form = next((v for v in (self.easier, self.harder) if v.name == name), None)
        if form is None or (form.setup is None and form.needs is None and not form.cues and not form.beats):
            return self
        return replace(
            self,
            setup=form.setup or self.setup,
            cues=form.cues or self.cues,
            beats=form.beats or self.beats,
            also_needs=(form.needs,) if form.needs else (),
        )

    @property
    def work_cues(self) -> tuple[str, ...]:
        """Every short cue said during the work, holds and reps alike."""
        return self.hold_cues + tuple(cue for cues in self.beats.values() for cue in cues)

    def _check_origin_and_use(self, where: str) -> None:
        """Only the seed's exercises claim the blog; no equipment where there is none; warm-ups prepare."""
        from_seed = self.id in SEED_IDS
        if (self.source is None) != from_seed or self.source not in (None, NOT_IN_THE_BLOG):
            expected = "no source (it is from the blog)" if from_seed else f"source = {NOT_IN_THE_BLOG!r}"
            raise CatalogError(f"{where}: must have {expected}")
        if self.equipment.get(Place.BODYWEIGHT):
            raise CatalogError(f"{where}: bodyweight exercises need no equipment")
        if self.prepares and self.phase is not Phase.WARMUP:
            raise CatalogError(f"{where}: only a warm-up prepares for other exercises")

    def _check_doses(self, where: str) -> None:
        """Doses fit the mode and a session's sets; a form with a dose has both reps and tempo."""
        for level, dose in self.doses.items():
            holds = dose.hold_seconds is not None and dose.reps is None and dose.tempo is None
            reps = dose.reps is not None and dose.tempo is not None and dose.hold_seconds is None
            if (self.mode is Mode.HOLD and not holds) or (self.mode is Mode.REPS and not reps):
                raise CatalogError(f"{where}: doses.{level} does not fit mode {self.mode}")
            if dose.sets > SESSION_SETS[level]:
                raise CatalogError(f"{where}: doses.{level} has more than {SESSION_SETS[level]} sets")
        for variation in (self.easier, self.harder):
            if (variation.reps is None) != (variation.tempo is None) or (variation.tempo and self.mode is Mode.HOLD):
                raise CatalogError(f"{where}: {variation.name} needs both reps and tempo, and only for reps")

    def dose(self, level: Level) -> Dose:
        return self.doses[Level(level)]

    def available_at(self, place: Place) -> bool:
        return Place(place) in self.places


def _required(raw: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in raw:
        raise CatalogError(f"{where}: missing field {key!r}")
    return raw[key]


def _exercise(raw: Mapping[str, Any]) -> Exercise:
    where = f"exercise {raw.get('id', '?')!r}"
    try:
        places = frozenset(Place(p) for p in _required(raw, "places", where))
        doses = {}
        for level, dose in _required(raw, "doses", where).items():
            tempo = Tempo.parse(dose["tempo"]) if "tempo" in dose else None
            doses[Level(level)] = Dose(
                sets=dose["sets"],
                rest_seconds=dose["rest_seconds"],
                hold_seconds=dose.get("hold_seconds"),
                reps=dose.get("reps"),
                tempo=tempo,
            )
        return Exercise(
            id=_required(raw, "id", where),
            name=_required(raw, "name", where),
            synonyms=tuple(raw.get("synonyms", ())),
            region=Area(_required(raw, "region", where)),
            benefit=_required(raw, "benefit", where),
            muscles=tuple(_required(raw, "muscles", where)),
            places=places,
            equipment=MappingProxyType({Place(k): v for k, v in _required(raw, "equipment", where).items()}),
            mode=Mode(_required(raw, "mode", where)),
            sides=_required(raw, "sides", where),
            doses=MappingProxyType(doses),
            setup=_required(raw, "setup", where),
            cues=tuple(_required(raw, "cues", where)),
            hold_cues=tuple(raw.get("hold_cues", ())),
            beats=MappingProxyType({Beat(phase): tuple(cues) for phase, cues in raw.get("beats", {}).items()}),
            mistake=_required(raw, "mistake", where),
            safety=raw.get("safety"),
            easier=_variation(_required(raw, "easier", where)),
            harder=_variation(_required(raw, "harder", where)),
            grips=tuple(raw.get("grips", ())),
            loads=frozenset(BodyPart(part) for part in raw.get("loads", ())),
            phase=Phase(raw.get("phase", Phase.MAIN)),
            pattern=Pattern(raw["pattern"]) if "pattern" in raw else None,
            source=raw.get("source"),
            prepares=tuple(raw.get("prepares", ())),
            moves=tuple(raw["moves"]) if "moves" in raw else None,
        )
    except CatalogError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise CatalogError(f"{where}: {error}") from None


def _variation(raw: Mapping[str, Any]) -> Variation:
    tempo = Tempo.parse(raw["tempo"]) if "tempo" in raw else None
    if raw.get("reps") is not None:
        Dose(sets=1, rest_seconds=10, reps=raw["reps"], tempo=tempo)  # the same bounds as a dose
    return Variation(
        name=raw["name"],
        how=raw["how"],
        reps=raw.get("reps"),
        tempo=tempo,
        setup=raw.get("setup"),
        needs=raw.get("needs"),
        cues=tuple(raw.get("cues", ())),
        beats=MappingProxyType({Beat(phase): tuple(cues) for phase, cues in raw.get("beats", {}).items()}),
    )


def load_catalog(path: Path | None = None) -> dict[str, Exercise]:
    """Read and validate the catalog; ``CatalogError`` says what is wrong and where."""
    source = path or CATALOG_PATH
    try:
        with source.open("rb") as handle:
            raw = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise CatalogError(f"cannot read {source}: {error}") from None
    exercises = [_exercise(item) for item in raw.get("exercise", [])]
    catalog = {exercise.id: exercise for exercise in exercises}
    if len(catalog) != len(exercises):
        raise CatalogError("exercise ids must be unique")
    if not set(catalog) >= CONTRACT_IDS:
        raise CatalogError(f"exercise ids must include {sorted(CONTRACT_IDS - set(catalog))}")
    for exercise in exercises:
        if not set(exercise.prepares) <= set(catalog):
            raise CatalogError(f"exercise {exercise.id!r}: prepares names an unknown exercise")
    words: dict[str, str] = {}
    for exercise in exercises:
        for phrase in (exercise.name, *exercise.synonyms):
            owner = words.setdefault(phrase.lower(), exercise.id)
            if owner != exercise.id:
                raise CatalogError(f"exercise {exercise.id!r}: synonym {phrase!r} also names {owner!r}")
    return catalog


CATALOG: Mapping[str, Exercise] = MappingProxyType(load_catalog())


def exercises_for(area: Area | str, place: Place | str, phase: Phase = Phase.MAIN) -> list[Exercise]:
    """The exercises of one phase of a routine that can be done at the place, in catalog order: for the
    main work, those of the area; warm-up and cool-down moves suit every area."""
    area, place = Area(area), Place(place)
    regions = (Area.LOWER_BACK, Area.UPPER_BACK) if area is Area.FULL_BACK or phase is not Phase.MAIN else (area,)
    return [e for e in CATALOG.values() if e.phase is phase and e.region in regions and e.available_at(place)]
