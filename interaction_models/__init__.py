"""What people can say to Strong Back: the Alexa interaction models, one JSON per locale.

The JSON files are generated from ``source.toml`` by ``python -m interaction_models.generate``;
the offline parser (``local_runner.understanding.parser``) reads the very same files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from skill.errors import StrongBackError

MODEL_DIR = Path(__file__).resolve().parent
SOURCE_PATH = MODEL_DIR / "source.toml"
MANIFEST_PATH = MODEL_DIR / "skill.json"
LOCALES = ("en-US", "en-GB", "en-CA", "en-AU", "en-IN")


class ModelError(StrongBackError, ValueError):
    """An interaction model is missing or unreadable; the message says which and why."""


def model_path(locale: str) -> Path:
    """Where the model for ``locale`` lives (``ModelError`` for a locale we don't ship)."""
    if locale not in LOCALES:
        raise ModelError(f"unknown locale {locale!r}; choose one of {', '.join(LOCALES)}")
    return MODEL_DIR / f"{locale}.json"


def load_model(locale: str) -> dict[str, Any]:
    """The ``languageModel`` object of a locale's interaction model."""
    path = model_path(locale)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        model = data["interactionModel"]["languageModel"]
    except FileNotFoundError:
        raise ModelError(f"missing interaction model {path}; run: python -m interaction_models.generate") from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ModelError(f"cannot read interaction model {path}: {error}") from None
    if not isinstance(model, dict) or not isinstance(model.get("intents"), list):
        raise ModelError(f"interaction model {path} has no intents")
    return model
