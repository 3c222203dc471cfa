"""How a front end plays the coach's replies, and so what the coach may say.

- ``ALEXA``: a reply plays at most 240 seconds; the coach ends each block by asking the person to
  say next, and may name the skill ("ask strong back to ...").
- ``LAPTOP``: the local coach chains replies on its own, so a block ends after its last rest with
  no prompt, and nothing Alexa-only is said.
- ``RECORDING``: an exported workout nobody answers: no prompts at all, and the recording keeps
  the plan's time.

What differs is data: ``skill/locale/<lang>/dialog.toml`` may override any key for a playback in a
table of that name (``[laptop.stop] saved = ...``).
"""

from __future__ import annotations

from enum import StrEnum


class Playback(StrEnum):
    ALEXA = "alexa"
    LAPTOP = "laptop"
    RECORDING = "recording"

    @property
    def waits_for_next(self) -> bool:
        """Whether a block ends by asking the person to say next (Alexa's reply limit)."""
        return self is Playback.ALEXA
