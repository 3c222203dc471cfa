"""Every sentence the coach says, looked up by a dotted key in keyed locale data.

The phrases live in ``skill/locale/<lang>/dialog.toml``; a key may have several variants.
``en-US`` falls back to ``en``. Handler and coach code never hold spoken sentences.

The locale comes from the request, so it is only ever looked up, never used as a path: a
locale the skill does not support (``SUPPORTED_LOCALES``, the locales of
``interaction_models/source.toml``; a test keeps the two the same) gets the ``en`` phrases.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from skill.errors import StrongBackError

LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT_LANGUAGE = "en"
SUPPORTED_LOCALES = ("en-US", "en-GB", "en-CA", "en-AU", "en-IN")


class DialogError(StrongBackError, LookupError):
    """A dialog key or a placeholder is missing."""


@dataclass(frozen=True)
class Phrase:
    """One thing the coach says, with the key it came from (tests can assert on either)."""

    key: str
    text: str


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, tuple[str, ...]]:
    flat: dict[str, tuple[str, ...]] = {}
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict):
            flat.update(_flatten(value, key + "."))
        elif isinstance(value, str):
            flat[key] = (value,)
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            flat[key] = tuple(value)
        else:
            raise DialogError(f"dialog key {key!r} must be a string or a list of strings")
    return flat


@cache
def _load_language(language: str) -> dict[str, tuple[str, ...]]:
    path = LOCALE_DIR / language / "dialog.toml"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        return _flatten(tomllib.load(handle))


def supported_locale(locale: object) -> str:
    """``locale`` if the skill supports it, else ``en`` (the fallback every locale has)."""
    return locale if isinstance(locale, str) and locale in SUPPORTED_LOCALES else DEFAULT_LANGUAGE


class Dialog:
    """Phrases for one locale, e.g. ``Dialog("en-GB")`` (falls back to ``en``; unsupported locales get ``en``).

    ``playback`` names a table whose keys override the others for that front end (``laptop``:
    ``[laptop.stop] saved = ...`` replaces ``stop.saved`` on the laptop)."""

    def __init__(self, locale: str = "en-US", playback: str = "alexa") -> None:
        self.locale = supported_locale(locale)
        self.playback = playback
        language = self.locale.split("-")[0]
        merged = dict(_load_language(DEFAULT_LANGUAGE))
        merged.update(_load_language(language))
        merged.update(_load_language(self.locale.replace("-", "_")))
        prefix = f"{playback}."
        merged.update({key[len(prefix) :]: text for key, text in merged.items() if key.startswith(prefix)})
        self._phrases = merged

    def keys(self) -> set[str]:
        return set(self._phrases)

    def variants(self, key: str) -> tuple[str, ...]:
        try:
            return self._phrases[key]
        except KeyError:
            raise DialogError(f"no dialog for key {key!r} in {self.locale}") from None

    def phrase(self, key: str, seed: int = 0, /, **data: object) -> Phrase:
        """The phrase for ``key``; ``seed`` picks a variant deterministically."""
        options = self.variants(key)
        template = options[seed % len(options)]
        try:
            return Phrase(key, template.format(**data))
        except (KeyError, IndexError) as error:
            raise DialogError(f"dialog {key!r} needs {error}") from None

    def text(self, key: str, seed: int = 0, /, **data: object) -> str:
        return self.phrase(key, seed, **data).text


def dialog_for(locale: str, playback: str = "alexa") -> Dialog:
    """A cached ``Dialog`` for a locale and playback (one per supported locale, whatever the request says)."""
    return _dialog(supported_locale(locale), playback)


@cache
def _dialog(locale: str, playback: str) -> Dialog:
    return Dialog(locale, playback)
