"""The wake word and the ways Alexa lets people name a skill around a request.

"alexa, ask strong back to start a workout", "tell strong back I'm done", "open strong back"
(a LaunchRequest), "open strong back and start a workout", "start a workout using strong back".
These are Alexa's own launch phrases, the same for every skill; the invocation name comes
from the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from local_runner.understanding.text import drop_fillers

if TYPE_CHECKING:
    from local_runner.understanding.text import Token

WAKE_WORDS = frozenset({"alexa", "echo", "computer", "amazon", "ziggy"})
LAUNCH_PREFIXES = frozenset(
    {("open",), ("launch",), ("start",), ("begin",), ("load",), ("run",), ("play",), ("use",), ("ask",),
     ("tell",), ("talk", "to"), ("speak", "to"), ("open", "up"), ("start", "up"), ("go", "to"), ()}
)  # fmt: skip
CONNECTORS = frozenset({"to", "for", "about", "if", "whether", "that", "and", "what"})
KEEP_CONNECTOR = frozenset({"what"})  # "ask strong back what's next": the word belongs to the request
TRAILING = frozenset({"using", "with", "on", "from", "in", "via", "at"})


def _find(tokens: list[Token], name: tuple[str, ...]) -> int | None:
    words = [t.word for t in tokens]
    for i in range(len(words) - len(name) + 1):
        if tuple(words[i : i + len(name)]) == name:
            return i
    return None


def strip_invocation(tokens: list[Token], name: tuple[str, ...]) -> tuple[bool, list[Token]]:
    """(whether this only opens the skill, the request's own words)."""
    for i, token in enumerate(tokens[:3]):
        if token.word in WAKE_WORDS:
            tokens = tokens[i + 1 :]
            break
    at = _find(tokens, name) if name else None
    if at is None:
        return False, tokens
    before, after = tokens[:at], tokens[at + len(name) :]
    prefix = tuple(t.word for t in drop_fillers(before))
    if prefix in LAUNCH_PREFIXES or (prefix and prefix[-1] in ("ask", "tell")):
        if after and after[0].word in CONNECTORS:
            after = after if after[0].word in KEEP_CONNECTOR else after[1:]
        return not drop_fillers(after), after
    if not drop_fillers(after) and prefix and prefix[-1] in TRAILING:
        return False, before[:-1]
    return False, tokens
