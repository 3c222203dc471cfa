"""Voice settings for the local coach: locales, their default espeak-ng voices, speaking rate."""

from __future__ import annotations

from dataclasses import dataclass

from skill.errors import StrongBackError

# espeak-ng's words per minute at which it speaks about as fast as the skill's speech
# estimate assumes (skill.speech.estimate_seconds), so phrases fit the gaps the skill left
# for them; measured by scripts/calibrate_speech.py.
DEFAULT_RATE_WPM = 170
MIN_RATE_WPM = 80
MAX_RATE_WPM = 400

# The contract's locales and the espeak-ng voice each one speaks with by default.
LOCALE_VOICES = {
    "en-US": "gmw/en-us",
    "en-GB": "gmw/en",
    "en-CA": "gmw/en-us",
    "en-AU": "gmw/en",
    "en-IN": "gmw/en",
}
SUPPORTED_LOCALES = tuple(LOCALE_VOICES)


class VoiceError(StrongBackError, RuntimeError):
    """Speech can't be made: the message says why and how to fix it."""


class UnknownVoiceError(VoiceError):
    """The voice asked for (--voice) is not one the speech engine has."""


@dataclass(frozen=True)
class VoiceSettings:
    """Which voice speaks, how fast; ``voice`` None means the locale's default."""

    locale: str = "en-US"
    voice: str | None = None
    rate_wpm: int = DEFAULT_RATE_WPM

    @property
    def voice_id(self) -> str:
        return self.voice or LOCALE_VOICES.get(self.locale, LOCALE_VOICES["en-US"])


def check_locale(locale: str) -> str:
    """The locale as the contract spells it; ``ValueError`` naming the choices otherwise."""
    for known in SUPPORTED_LOCALES:
        if known.lower() == locale.strip().replace("_", "-").lower():
            return known
    raise ValueError(f"unknown locale {locale!r}: choose one of {', '.join(SUPPORTED_LOCALES)}")


def check_rate(rate: int | None) -> int:
    """A speaking rate within what espeak-ng speaks intelligibly; ``ValueError`` otherwise."""
    if rate is None:
        return DEFAULT_RATE_WPM
    if not MIN_RATE_WPM <= rate <= MAX_RATE_WPM:
        raise ValueError(f"--rate must be between {MIN_RATE_WPM} and {MAX_RATE_WPM} words per minute, not {rate}")
    return rate
