"""Every environment variable Strong Back reads, with its default: listed once, read here only.

``Settings.from_env()`` reads them; modules take a ``Settings`` (or the one value they need)
instead of looking at ``os.environ`` themselves, so tests pass their own environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

# ----- storage ------------------------------------------------------------------------------
WORKOUT_TABLE = "WORKOUT_TABLE"  # DynamoDB table name; unset means SQLite
DYNAMODB_ENDPOINT_URL = "DYNAMODB_ENDPOINT_URL"  # a local DynamoDB-compatible endpoint
STRONG_BACK_DB = "STRONG_BACK_DB"  # the SQLite file
XDG_DATA_HOME = "XDG_DATA_HOME"  # where the SQLite file goes by default
# ----- the skill and AWS Lambda -------------------------------------------------------------
SKILL_ID = "SKILL_ID"  # enforced when set
LOG_LEVEL = "LOG_LEVEL"
AWS_LAMBDA_FUNCTION_NAME = "AWS_LAMBDA_FUNCTION_NAME"  # set by Lambda itself
# ----- the self-hosted endpoint -------------------------------------------------------------
TRUST_ROOTS = "STRONG_BACK_TRUST_ROOTS"  # a PEM bundle of trusted roots (default: the system's)
TEST_CERT_ORIGIN = "STRONG_BACK_TEST_CERT_ORIGIN"  # FOR TESTS ONLY: where signing chains are fetched
# ----- the laptop coach ---------------------------------------------------------------------
AUDIO_DEVICE = "STRONG_BACK_AUDIO_DEVICE"  # ALSA playback device, e.g. plughw:1
MIC = "STRONG_BACK_MIC"  # ALSA capture device for --listen
TERM = "TERM"  # the terminal type; "dumb" means no live countdown

DEFAULT_LOG_LEVEL = "INFO"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _text(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


@dataclass(frozen=True)
class Settings:
    """What the environment configures; ``Settings.from_env()`` for this process."""

    workout_table: str | None = None
    dynamodb_endpoint_url: str | None = None
    db_path: Path = Path("strong-back.db")
    skill_id: str | None = None
    log_level: str = DEFAULT_LOG_LEVEL
    on_lambda: bool = False
    trust_roots: str | None = None
    test_cert_origin: str | None = None
    audio_device: str | None = None
    mic: str | None = None
    term: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        level = (env.get(LOG_LEVEL) or DEFAULT_LOG_LEVEL).strip().upper()
        return cls(
            workout_table=_text(env, WORKOUT_TABLE),
            dynamodb_endpoint_url=_text(env, DYNAMODB_ENDPOINT_URL),
            db_path=default_db_path(env),
            skill_id=_text(env, SKILL_ID),
            log_level=level if level in LOG_LEVELS else DEFAULT_LOG_LEVEL,
            on_lambda=bool(_text(env, AWS_LAMBDA_FUNCTION_NAME)),
            trust_roots=_text(env, TRUST_ROOTS),
            test_cert_origin=_text(env, TEST_CERT_ORIGIN),
            audio_device=_text(env, AUDIO_DEVICE),
            mic=_text(env, MIC),
            term=_text(env, TERM),
        )


def default_db_path(environ: Mapping[str, str] | None = None) -> Path:
    """``STRONG_BACK_DB``, else ``$XDG_DATA_HOME/strong-back/strong-back.db`` (``~/.local/share`` by default)."""
    env = os.environ if environ is None else environ
    if _text(env, STRONG_BACK_DB):
        return Path(env[STRONG_BACK_DB].strip()).expanduser()
    base = Path(_text(env, XDG_DATA_HOME) or Path.home() / ".local" / "share")
    return base / "strong-back" / "strong-back.db"
