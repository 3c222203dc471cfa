"""Write the five interaction models from ``source.toml`` (and the exercise catalog).

python -m interaction_models.generate           # write interaction_models/<locale>.json
python -m interaction_models.generate --check   # exit 1 if a JSON file is out of date
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
from typing import TYPE_CHECKING, Any

from interaction_models import LOCALES, SOURCE_PATH, model_path
from interaction_models.expand import TemplateError, expand
from skill.errors import StrongBackError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

SAMPLE_TEXT = re.compile(r"^[a-z.' ]*(\{[A-Za-z_]+\}[a-z.' ]*)*$")
SLOT_REF = re.compile(r"\{([A-Za-z_]+)\}")
MAX_SAMPLE_CHARS = 200  # Alexa rejects longer sample utterances
MAX_VALUE_CHARS = 140  # and longer slot values or synonyms


class SourceError(StrongBackError, ValueError):
    """The phrasing source is wrong; the message says where."""


def read_source(path: Path = SOURCE_PATH) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise SourceError(f"cannot read {path}: {error}") from None


def catalog_values() -> dict[str, list[str]]:
    """EXERCISE values from the catalog: id -> [name, *synonyms]."""
    from skill.catalog import CATALOG

    return {exercise.id: [exercise.name, *exercise.synonyms] for exercise in CATALOG.values()}


def _types(source: Mapping[str, Any], locale: str) -> list[dict[str, Any]]:
    extra = source.get("locale", {}).get(locale, {}).get("synonyms", {})
    types = []
    for type_name, table in source["types"].items():
        values = catalog_values() if table.get("from_catalog") else {k: list(v) for k, v in table.items()}
        for value_id, words in extra.get(type_name, {}).items():
            if value_id not in values:
                raise SourceError(f"{locale}: synonyms for unknown {type_name} id {value_id!r}")
            values[value_id] = [*values[value_id], *words]
        entries = []
        seen: dict[str, str] = {}
        for value_id, (name, *synonyms) in values.items():
            for word in (name, *synonyms):
                key = " ".join(word.lower().split())
                if not SAMPLE_TEXT.match(key) or "{" in key or len(key) > MAX_VALUE_CHARS:
                    raise SourceError(f"{type_name}: value {word!r} is not plain spoken text")
                if seen.setdefault(key, value_id) != value_id:
                    raise SourceError(f"{type_name}: {word!r} names both {seen[key]!r} and {value_id!r}")
            entries.append({"id": value_id, "name": {"value": name, "synonyms": synonyms}})
        types.append({"name": type_name, "values": entries})
    return types


def _intents(source: Mapping[str, Any], locale: str) -> list[dict[str, Any]]:
    rules = {**source.get("rules", {}), **source.get("locale", {}).get(locale, {}).get("rules", {})}
    owner: dict[str, str] = {}
    intents = []
    for name, table in source["intents"].items():
        slots = dict(table.get("slots", {}))
        samples: dict[str, None] = {}
        for template in table.get("samples", []):
            try:
                expanded = expand(template, rules)
            except TemplateError as error:
                raise SourceError(f"{name}: {error}") from None
            for sample in expanded:
                _check_sample(name, sample, slots)
                key = sample.lower()
                if owner.setdefault(key, name) != name:
                    raise SourceError(f"{locale}: {sample!r} is a sample of both {owner[key]} and {name}")
                samples.setdefault(sample, None)
        intent: dict[str, Any] = {"name": name, "samples": list(samples)}
        if slots:
            intent["slots"] = [{"name": slot, "type": kind, "samples": []} for slot, kind in slots.items()]
        intents.append(intent)
    return intents


def _check_sample(intent: str, sample: str, slots: Mapping[str, str]) -> None:
    if not SAMPLE_TEXT.match(sample) or len(sample) > MAX_SAMPLE_CHARS:
        raise SourceError(f"{intent}: sample {sample!r} must be lowercase words, periods and apostrophes")
    used = SLOT_REF.findall(sample)
    for slot in used:
        if slot not in slots:
            raise SourceError(f"{intent}: sample {sample!r} uses {{{slot}}}, which the intent does not define")
    if len(used) != len(set(used)):
        raise SourceError(f"{intent}: sample {sample!r} uses a slot twice")


def build_model(source: Mapping[str, Any], locale: str) -> dict[str, Any]:
    """The complete interaction model for one locale, in the ASK schema."""
    language_model: dict[str, Any] = {
        "invocationName": source["invocation"],
        "modelConfiguration": {"fallbackIntentSensitivity": {"level": source.get("fallback_sensitivity", "LOW")}},
        "intents": _intents(source, locale),
        "types": _types(source, locale),
    }
    return {"interactionModel": {"languageModel": language_model}}


def render(model: Mapping[str, Any]) -> str:
    return json.dumps(model, indent=2, ensure_ascii=False) + "\n"


def generated() -> dict[str, str]:
    """Locale -> the JSON text its model file must hold."""
    source = read_source()
    if sorted(source.get("locales", [])) != sorted(LOCALES):
        raise SourceError(f"source.toml must list the locales {', '.join(LOCALES)}")
    return {locale: render(build_model(source, locale)) for locale in LOCALES}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m interaction_models.generate", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only check that the JSON files are up to date")
    args = parser.parse_args(argv)
    try:
        texts = generated()
    except SourceError as error:
        print(f"interaction models: {error}", file=sys.stderr)
        return 2
    stale = []
    for locale, text in texts.items():
        path = model_path(locale)
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        if args.check:
            stale.append(path.name)
        else:
            path.write_text(text, encoding="utf-8")
            model = json.loads(text)["interactionModel"]["languageModel"]
            counts = ", ".join(f"{i['name'].removeprefix('AMAZON.')} {len(i['samples'])}" for i in model["intents"])
            print(f"wrote {path.name}: {counts}")
    if stale:
        print(f"out of date: {', '.join(stale)}; run python -m interaction_models.generate", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
