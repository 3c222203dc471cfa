"""The interaction models and the skill manifest, checked the way the developer console would,
plus the contract (intents, slots, ids), the catalog, the five locales and the handlers."""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
from enum import Enum
from typing import Any

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_smapi_model.v1.skill.interaction_model.interaction_model_data import InteractionModelData
from ask_smapi_model.v1.skill.manifest.skill_manifest_envelope import SkillManifestEnvelope

from interaction_models import LOCALES, MANIFEST_PATH, ModelError, docs, load_model, model_path
from interaction_models.expand import TemplateError, expand
from interaction_models.generate import SourceError, build_model, generated, read_source
from interaction_models.package import PackageError, build, endpoint
from skill.alexa import session_handlers
from skill.catalog import CATALOG, NOT_IN_THE_BLOG
from tests.support.alexa import ROOT, Alexa

# ---- the contract (design.md), written out here so that a model drifting from it fails ----
CUSTOM_INTENTS = {
    "StartWorkoutIntent": {"area": "BACK_AREA", "level": "LEVEL", "place": "PLACE", "duration": "AMAZON.DURATION"},
    "SkipExerciseIntent": {},
    "DescribeExerciseIntent": {"exercise": "EXERCISE"},
    "WorkoutStatusIntent": {},
    "ProgressIntent": {},
    "AdjustDifficultyIntent": {"direction": "DIRECTION"},
    "ReportPainIntent": {"body_part": "BODY_PART", "symptom": "SYMPTOM"},  # symptom: ours, optional, added
    "RateWorkoutIntent": {"rating": "RATING"},
}
BUILT_IN_INTENTS = {
    f"AMAZON.{name}Intent"
    for name in (
        "Next", "Pause", "Resume", "Repeat", "StartOver", "Previous", "Yes", "No", "Help", "Stop", "Cancel",
        "Fallback", "NavigateHome",
    )
}  # fmt: skip
SLOT_IDS = {
    "BACK_AREA": {"lower_back", "upper_back", "full_back"},
    "LEVEL": {"beginner", "intermediate", "advanced"},
    "PLACE": {"home", "gym", "bodyweight"},
    "EXERCISE": {
        "glute_bridge", "plank", "side_plank", "reverse_plank", "superman", "deadlift", "pull_up",
        "lat_pulldown", "bent_over_row", "seated_row", "cat_cow", "bird_dog", "hip_hinge", "childs_pose",
        "knee_to_chest",
    },  # "more ids may be added here with the catalog" (design.md): checked below
    "DIRECTION": {"easier", "harder"},
    "BODY_PART": {"back", "neck", "shoulder", "elbow", "wrist", "hip", "knee"},
    "RATING": {"too_easy", "about_right", "too_hard"},
    "SYMPTOM": {"spreading", "numbness", "pop", "faint", "chest"},  # not in design.md: signs to stop for the day
}  # fmt: skip

# ---- Alexa's own rules for a custom model ---------------------------------------------------
SAMPLE = re.compile(r"^[A-Za-z.']+( ([A-Za-z.']+|\{[A-Za-z_]+\}))*$|^\{[A-Za-z_]+\}( [A-Za-z.' {}_]+)?$")
SAMPLE_CHARS = re.compile(r"^[A-Za-z.' ]*$")
NAME = re.compile(r"^[A-Za-z][A-Za-z_]*$")
MAX_SAMPLE_CHARS = 200
MAX_VALUE_CHARS = 140
MAX_MODEL_BYTES = 1_500_000
MAX_TYPE_VALUES = 50_000  # values and synonyms of one custom slot type
MIN_CUSTOM_SAMPLES = 20
MAX_SAMPLES_PER_INTENT = 6000  # ours: more would be a sign of runaway expansion (the models are ~0.4 MB of 1.5)


def models() -> dict[str, dict[str, Any]]:
    return {locale: load_model(locale) for locale in LOCALES}


def intents(model: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {intent["name"]: intent for intent in model["intents"]}


def types(model: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {kind["name"]: kind for kind in model.get("types", [])}


def normalised(text: str) -> str:
    return " ".join(text.lower().split())


# ---- structure, as the console's JSON editor and SMAPI read it -----------------------------
def schema_problems(payload: Any, kind: Any, path: str = "$") -> list[str]:
    """Every field the ask-smapi-model class for ``kind`` does not know, or of the wrong type."""
    if isinstance(kind, str):
        if kind.startswith("list["):
            if not isinstance(payload, list):
                return [f"{path}: expected a list"]
            return [p for i, item in enumerate(payload) for p in schema_problems(item, kind[5:-1], f"{path}[{i}]")]
        if kind.startswith("dict("):
            if not isinstance(payload, dict):
                return [f"{path}: expected an object"]
            inner = kind[kind.index(",") + 1 : -1].strip()
            return [p for key, item in payload.items() for p in schema_problems(item, inner, f"{path}.{key}")]
        primitive: dict[str, type | tuple[type, ...]] = {
            "str": str, "bool": bool, "int": int, "float": (int, float), "object": object,
        }  # fmt: skip
        if kind in primitive:
            ok = isinstance(payload, primitive[kind]) and not (kind == "int" and isinstance(payload, bool))
            return [] if ok else [f"{path}: expected {kind}, got {payload!r}"]
        module, _, name = kind.rpartition(".")
        kind = getattr(importlib.import_module(module), name)
    if issubclass(kind, Enum):
        return [] if payload in {member.value for member in kind} else [f"{path}: {payload!r} is not a {kind.__name__}"]
    if not isinstance(payload, dict):
        return [f"{path}: expected an object"]
    if getattr(kind, "json_discriminator_key", None) in payload:  # a base class: check the concrete one
        concrete = kind.discriminator_value_class_map.get(payload[kind.json_discriminator_key])
        if concrete is None:
            return [f"{path}: {payload[kind.json_discriminator_key]!r} is not a kind of {kind.__name__}"]
        module, _, name = concrete.rpartition(".")
        kind = getattr(importlib.import_module(module), name)
    known = {json_key: attr for attr, json_key in kind.attribute_map.items()}
    problems = []
    for key, value in payload.items():
        if key not in known:
            problems.append(f"{path}.{key}: not a field of {kind.__name__}")
        else:
            problems.extend(schema_problems(value, kind.deserialized_types[known[key]], f"{path}.{key}"))
    return problems


@pytest.mark.parametrize("locale", LOCALES)
def test_model_loads_with_ask_smapi_model_and_has_no_unknown_fields(locale: str) -> None:
    text = model_path(locale).read_text(encoding="utf-8")
    data = DefaultSerializer().deserialize(text, InteractionModelData)
    language_model = data.interaction_model.language_model
    assert language_model.invocation_name == "strong back"
    assert {intent.name for intent in language_model.intents} == set(CUSTOM_INTENTS) | BUILT_IN_INTENTS
    assert language_model.model_configuration.fallback_intent_sensitivity.level.value in {"LOW", "MEDIUM", "HIGH"}
    assert schema_problems(json.loads(text), InteractionModelData) == []
    assert len(text.encode()) < MAX_MODEL_BYTES


def test_schema_check_catches_unknown_and_mistyped_fields() -> None:
    model = json.loads(model_path("en-US").read_text(encoding="utf-8"))
    model["interactionModel"]["languageModel"]["intents"][0]["sampels"] = []
    model["interactionModel"]["languageModel"]["invocationName"] = 7
    problems = schema_problems(model, InteractionModelData)
    assert any("sampels" in p for p in problems) and any("invocationName" in p for p in problems)


def test_models_are_up_to_date_with_their_source() -> None:
    for locale, text in generated().items():
        assert model_path(locale).read_text(encoding="utf-8") == text, (
            f"{locale}.json is stale: run python -m interaction_models.generate"
        )


def test_generate_check_passes_in_a_subprocess() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "interaction_models.generate", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


# ---- the contract ---------------------------------------------------------------------------
@pytest.mark.parametrize("locale", LOCALES)
def test_intents_and_slots_are_the_contracts(locale: str) -> None:
    found = intents(load_model(locale))
    assert set(found) == set(CUSTOM_INTENTS) | BUILT_IN_INTENTS
    for name, slots in CUSTOM_INTENTS.items():
        assert {s["name"]: s["type"] for s in found[name].get("slots", [])} == slots, name
    for name in BUILT_IN_INTENTS:
        assert not found[name].get("slots"), f"{name} is a built-in: no slots of ours"


@pytest.mark.parametrize("locale", LOCALES)
def test_slot_value_ids_are_exactly_the_contracts(locale: str) -> None:
    found = types(load_model(locale))
    assert set(found) == set(SLOT_IDS)
    for name, ids in SLOT_IDS.items():
        values = {v["id"] for v in found[name]["values"]}
        if name == "EXERCISE":
            assert ids <= values and values == set(CATALOG)
            assert all(CATALOG[extra].source == NOT_IN_THE_BLOG for extra in values - ids)
        else:
            assert values == ids, name


@pytest.mark.parametrize("locale", LOCALES)
def test_exercise_names_and_synonyms_come_from_the_catalog(locale: str) -> None:
    exercise = types(load_model(locale))["EXERCISE"]
    from_model = {v["id"]: [v["name"]["value"], *v["name"]["synonyms"]] for v in exercise["values"]}
    assert from_model == {e.id: [e.name, *e.synonyms] for e in CATALOG.values()}


@pytest.mark.parametrize("locale", LOCALES)
def test_resume_my_workout_resumes(locale: str) -> None:
    samples = {normalised(s) for s in intents(load_model(locale))["AMAZON.ResumeIntent"]["samples"]}
    assert "resume my workout" in samples


# ---- samples ----------------------------------------------------------------------------
@pytest.mark.parametrize("locale", LOCALES)
def test_no_sample_belongs_to_two_intents(locale: str) -> None:
    owner: dict[str, str] = {}
    for intent in load_model(locale)["intents"]:
        for sample in intent["samples"]:
            key = normalised(sample)
            assert owner.setdefault(key, intent["name"]) == intent["name"], (
                f"{sample!r} is in {owner[key]} and {intent['name']}"
            )


@pytest.mark.parametrize("locale", LOCALES)
def test_samples_are_plain_words_with_defined_slots(locale: str) -> None:
    for intent in load_model(locale)["intents"]:
        defined = {slot["name"] for slot in intent.get("slots", [])}
        used: set[str] = set()
        seen: set[str] = set()
        for sample in intent["samples"]:
            assert sample == sample.strip() and "  " not in sample, repr(sample)
            assert len(sample) <= MAX_SAMPLE_CHARS, sample
            slots = re.findall(r"\{([^}]*)\}", sample)
            assert SAMPLE_CHARS.match(re.sub(r"\{[^}]*\}", "", sample)), f"{intent['name']}: {sample!r}"
            assert set(slots) <= defined, f"{intent['name']}: {sample!r} uses an undefined slot"
            assert len(slots) == len(set(slots)), f"{sample!r} repeats a slot"
            assert not re.search(r"\d", sample), f"{sample!r}: numbers must be spelled out"
            assert normalised(sample) not in seen, f"{sample!r} twice in {intent['name']}"
            seen.add(normalised(sample))
            used.update(slots)
        assert used == defined, f"{intent['name']}: slots never used in a sample: {defined - used}"


@pytest.mark.parametrize("locale", LOCALES)
def test_sample_counts(locale: str) -> None:
    found = intents(load_model(locale))
    for name in CUSTOM_INTENTS:
        samples = found[name]["samples"]
        assert MIN_CUSTOM_SAMPLES <= len(samples) <= MAX_SAMPLES_PER_INTENT, f"{name}: {len(samples)} samples"
        slots = [s["name"] for s in found[name].get("slots", [])]
        if slots:
            with_slots = [s for s in samples if "{" in s]
            assert len(with_slots) >= 10 and len(samples) - len(with_slots) >= 3, f"{name}: with and without slots"
    for name in BUILT_IN_INTENTS - {"AMAZON.FallbackIntent", "AMAZON.NavigateHomeIntent"}:
        assert found[name]["samples"], f"{name} has no samples for the offline parser"


@pytest.mark.parametrize("locale", LOCALES)
def test_names_and_slot_values_follow_alexas_rules(locale: str) -> None:
    model = load_model(locale)
    invocation = model["invocationName"]
    assert re.fullmatch(r"[a-z]+( [a-z]+)+", invocation) and len(invocation) <= 50
    assert not set(invocation.split()) & {"alexa", "amazon", "echo", "computer", "skill", "app", "open", "ask"}
    for intent in model["intents"]:
        assert intent["name"].startswith("AMAZON.") or NAME.match(intent["name"])
        for slot in intent.get("slots", []):
            assert NAME.match(slot["name"])
            assert slot["type"].startswith("AMAZON.") or slot["type"] in types(model)
    used_types = {s["type"] for i in model["intents"] for s in i.get("slots", [])}
    for name, kind in types(model).items():
        assert re.fullmatch(r"[A-Z][A-Z_]*", name) and name in used_types
        owner: dict[str, str] = {}
        ids = [v["id"] for v in kind["values"]]
        assert len(ids) == len(set(ids)), f"{name}: repeated ids"
        assert sum(1 + len(v["name"]["synonyms"]) for v in kind["values"]) <= MAX_TYPE_VALUES
        for value in kind["values"]:
            for word in (value["name"]["value"], *value["name"]["synonyms"]):
                assert SAMPLE_CHARS.match(word) and 0 < len(word) <= MAX_VALUE_CHARS, f"{name}: {word!r}"
                key = normalised(word)
                assert owner.setdefault(key, value["id"]) == value["id"], f"{name}: {word!r} names two ids"


def test_all_locales_agree_on_intents_slots_and_ids() -> None:
    found = models()
    reference = found["en-US"]

    def shape(model: dict[str, Any]) -> Any:
        return (
            model["invocationName"],
            [(i["name"], [(s["name"], s["type"]) for s in i.get("slots", [])]) for i in model["intents"]],
            [(t["name"], [v["id"] for v in t["values"]]) for t in model["types"]],
        )

    for locale, model in found.items():
        assert shape(model) == shape(reference), locale


def test_locales_differ_where_people_speak_differently() -> None:
    found = models()
    us = {normalised(s) for s in intents(found["en-US"])["StartWorkoutIntent"]["samples"]}
    gb = {normalised(s) for s in intents(found["en-GB"])["StartWorkoutIntent"]["samples"]}
    assert any("programme" in s for s in gb) and not any("programme" in s for s in us)


# ---- every intent reaches a real handler --------------------------------------------------
def _slot_values(model: dict[str, Any], intent: dict[str, Any]) -> dict[str, str]:
    values = {}
    for slot in intent.get("slots", []):
        if slot["type"] == "AMAZON.DURATION":
            values[slot["name"]] = "PT10M"
        else:
            values[slot["name"]] = types(model)[slot["type"]]["values"][0]["id"]
    return values


@pytest.mark.parametrize("mid_workout", [False, True], ids=["at the menu", "mid workout"])
def test_every_intent_has_a_handler_other_than_fallback(mid_workout: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    model = load_model("en-US")
    fell_back: list[str] = []
    original = session_handlers.FallbackIntentHandler.handle

    def spy(self: Any, handler_input: Any) -> Any:
        fell_back.append(handler_input.request_envelope.request.intent.name)
        return original(self, handler_input)

    monkeypatch.setattr(session_handlers.FallbackIntentHandler, "handle", spy)
    for intent in model["intents"]:
        alexa = Alexa()
        if mid_workout:
            alexa.say("StartWorkoutIntent", area="lower_back")
        heard = alexa.say(intent["name"], **_slot_values(model, intent))
        assert heard.text, f"{intent['name']} got no answer"
    assert fell_back == ["AMAZON.FallbackIntent"]


# ---- the skill manifest ---------------------------------------------------------------------
def _sample_pattern(model: dict[str, Any], intent: dict[str, Any]) -> re.Pattern[str]:
    slot_types = {s["name"]: s["type"] for s in intent.get("slots", [])}
    alternatives = []
    for sample in intent["samples"]:
        parts = []
        for piece in re.split(r"(\{[A-Za-z_]+\})", normalised(sample)):
            if piece.startswith("{"):
                kind = slot_types[piece[1:-1]]
                if kind == "AMAZON.DURATION":
                    parts.append(r"[a-z ]+? (?:minutes?|hours?|seconds?)")
                else:
                    words = [
                        w for v in types(model)[kind]["values"] for w in (v["name"]["value"], *v["name"]["synonyms"])
                    ]
                    parts.append("(?:" + "|".join(re.escape(normalised(w)) for w in words) + ")")
            else:
                parts.append(re.escape(piece))
        alternatives.append("".join(parts))
    return re.compile("^(?:" + "|".join(alternatives) + ")$")


def test_manifest_loads_with_ask_smapi_model_and_has_no_unknown_fields() -> None:
    text = MANIFEST_PATH.read_text(encoding="utf-8")
    envelope = DefaultSerializer().deserialize(text, SkillManifestEnvelope)
    assert envelope.manifest.manifest_version.value == "1.0"
    data = json.loads(text)
    assert schema_problems(data, SkillManifestEnvelope) == []
    manifest = data["manifest"]
    assert set(manifest["publishingInformation"]["locales"]) == set(LOCALES)
    assert "endpoint" not in manifest["apis"]["custom"], "the endpoint is set when packaging, never committed"
    privacy = manifest["privacyAndCompliance"]
    for field in ("allowsPurchases", "usesPersonalInfo", "isChildDirected", "isExportCompliant", "containsAds"):
        assert isinstance(privacy[field], bool), field


@pytest.mark.parametrize("locale", LOCALES)
def test_example_phrases_are_real_samples(locale: str) -> None:
    info = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))["manifest"]["publishingInformation"]["locales"][locale]
    assert info["name"] and info["summary"] and info["description"]
    phrases = info["examplePhrases"]
    assert 1 <= len(phrases) <= 3
    assert phrases[0] == "Alexa, open strong back"
    model = load_model(locale)
    patterns = [_sample_pattern(model, i) for i in model["intents"] if i["samples"]]
    for phrase in phrases[1:]:
        match = re.fullmatch(r"Alexa, (?:ask|tell) strong back (?:to )?(.+?)\.?", phrase)
        assert match, phrase
        request = normalised(match.group(1))
        assert any(p.match(request) for p in patterns), f"{phrase!r} is not a sample of any intent"


# ---- the package for the ASK CLI ------------------------------------------------------------
def test_package_holds_the_manifest_and_every_model(tmp_path: Any) -> None:
    arn = "arn:aws:lambda:eu-west-1:123456789012:function:strong-back-StrongBackFunction-abc"
    package = build(tmp_path / "build", arn)
    assert package == tmp_path / "build" / "skill-package"
    manifest = json.loads((package / "skill.json").read_text())
    assert manifest["manifest"]["apis"]["custom"]["endpoint"] == {"uri": arn}
    for locale in LOCALES:
        copied = package / "interactionModels" / "custom" / f"{locale}.json"
        assert copied.read_text() == model_path(locale).read_text()
    resources = json.loads((tmp_path / "build" / "ask-resources.json").read_text())
    assert resources["profiles"]["default"]["skillMetadata"]["src"] == "./skill-package"


def test_package_command_refuses_a_bad_endpoint(tmp_path: Any) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "interaction_models.package", str(tmp_path), "--endpoint", "http://plain.example"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr and "https" in done.stderr
    assert endpoint("https://coach.example.org/", "Wildcard") == {
        "uri": "https://coach.example.org/",
        "sslCertificateType": "Wildcard",
    }
    with pytest.raises(PackageError):
        endpoint("arn:aws:s3:::bucket")


# ---- the generator and its template syntax --------------------------------------------------
def test_expand_alternatives_optional_words_and_rules() -> None:
    rules = {"what": "(workout|routine)"}
    assert expand("(start|begin) [a] <what>", rules) == [
        "start a workout", "start a routine", "start workout", "start routine",
        "begin a workout", "begin a routine", "begin workout", "begin routine",
    ]  # fmt: skip
    assert expand("how [do|should] i do {exercise}") == [
        "how do i do {exercise}",
        "how should i do {exercise}",
        "how i do {exercise}",
    ]


@pytest.mark.parametrize(
    "template", ["(a|b", "a]", "<missing>", "[a|(b]", "<loop>", "go <there>", "()", "(a|b|c|d|e|f|g|h|i|j) " * 4]
)
def test_expand_refuses_broken_templates(template: str) -> None:
    with pytest.raises(TemplateError):
        expand(template, {"loop": "<loop>", "there": "[over] <back>", "back": "(here|<there>)"})


def _source(**intents: list[str]) -> dict[str, Any]:
    source = read_source()
    source["intents"] = {name: {"samples": samples} for name, samples in intents.items()}
    return source


def test_generator_refuses_a_sample_in_two_intents() -> None:
    with pytest.raises(SourceError, match="both"):
        build_model(_source(AIntent=["go now"], BIntent=["[please] go now"]), "en-US")


def test_generator_refuses_undefined_slots_and_digits() -> None:
    with pytest.raises(SourceError, match="does not define"):
        build_model(_source(AIntent=["start {area}"]), "en-US")
    with pytest.raises(SourceError, match="lowercase words"):
        build_model(_source(AIntent=["start a 10 minute workout"]), "en-US")


def test_missing_model_and_unknown_locale_are_clear_errors(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    with pytest.raises(ModelError, match="unknown locale"):
        load_model("fr-FR")
    monkeypatch.setattr("interaction_models.MODEL_DIR", tmp_path)
    with pytest.raises(ModelError, match="missing interaction model"):
        load_model("en-US")


# ---- the README's tables of what you can say ----------------------------------------------------
def test_readme_tables_of_what_you_can_say_are_up_to_date() -> None:
    readme = docs.README_PATH.read_text(encoding="utf-8")
    section = docs.render({locale: load_model(locale) for locale in LOCALES})
    assert docs.updated(readme, section) == readme, "README.md's tables are stale: run make models"


def test_readme_tables_show_every_intent_with_samples_and_every_slot() -> None:
    section = docs.render({locale: load_model(locale) for locale in LOCALES})
    assert len(section.splitlines()) < 75, "keep the README's tables compact"
    for intent in load_model("en-US")["intents"]:
        label = intent["name"].removeprefix("AMAZON.").removesuffix("Intent")
        assert (f"| {label} |" in section) == bool(intent["samples"]), label
        for slot in intent.get("slots", []):
            assert f"`{{{slot['name']}}}`" in section, slot["name"]
    examples = re.findall(r"`([^`]+)`", section.split("**What you can name**")[0].split("last table.")[1])
    samples = {normalised(s) for i in load_model("en-US")["intents"] for s in i["samples"]}
    assert examples and all(example in samples for example in examples)


def test_readme_docs_need_their_markers_and_say_so(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# no markers here\n", encoding="utf-8")
    monkeypatch.setattr(docs, "README_PATH", readme)
    assert docs.main(["--check"]) == 2
    readme.write_text(f"# Title\n{docs.START}\nold\n{docs.END}\nrest\n", encoding="utf-8")
    assert docs.main(["--check"]) == 1
    assert docs.main([]) == 0 and docs.main(["--check"]) == 0
    assert readme.read_text(encoding="utf-8").endswith("\nrest\n")
