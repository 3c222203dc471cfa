"""Expand compact phrasings into sample utterances.

Syntax (as in hassil and home-assistant/intents): ``(a|b)`` one of the alternatives,
``[a|b]`` one of them or nothing, ``<rule>`` the rule's own template, ``{slot}`` kept as is.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from skill.errors import StrongBackError

if TYPE_CHECKING:
    from collections.abc import Mapping

MAX_EXPANSIONS = 5000  # per template: a bigger product is a mistake in the source


class TemplateError(StrongBackError, ValueError):
    """A template is malformed; the message quotes it."""


@dataclass(frozen=True)
class _Parser:
    text: str
    rules: Mapping[str, str]
    depth: int = 0

    def fail(self, message: str) -> TemplateError:
        return TemplateError(f"{message} in template {self.text!r}")


def expand(template: str, rules: Mapping[str, str] | None = None) -> list[str]:
    """Every sentence the template stands for, whitespace-normalised, in order, without repeats."""
    parser = _Parser(template, rules or {})
    options, end = _sequence(parser, 0, closers="")
    if end != len(template):
        raise parser.fail(f"unexpected {template[end]!r}")
    seen: dict[str, None] = {}
    for option in options:
        sentence = " ".join(option.split())
        if sentence:
            seen.setdefault(sentence, None)
    return list(seen)


def _sequence(parser: _Parser, pos: int, closers: str) -> tuple[list[str], int]:
    """Parse items until one of ``closers`` (or the end); returns the product of the items."""
    parts: list[list[str]] = []
    text = parser.text
    while pos < len(text) and text[pos] not in closers:
        char = text[pos]
        if char in "([":
            options, pos = _group(parser, pos + 1, ")" if char == "(" else "]")
            if char == "[":
                options = [*options, ""]
            parts.append(options)
        elif char == "<":
            end = text.find(">", pos)
            if end < 0:
                raise parser.fail("unclosed <rule>")
            parts.append(_rule(parser, text[pos + 1 : end]))
            pos = end + 1
        elif char in ")]>|":
            raise parser.fail(f"unexpected {char!r}")
        else:
            start = pos
            while pos < len(text) and text[pos] not in "([<)]>|":
                pos += 1
            parts.append([text[start:pos]])
    size = 1
    for part in parts:
        size *= len(part)
    if size > MAX_EXPANSIONS:
        raise parser.fail(f"{size} expansions (more than {MAX_EXPANSIONS})")
    return ["".join(combination) for combination in itertools.product(*parts)], pos


def _group(parser: _Parser, pos: int, closer: str) -> tuple[list[str], int]:
    """Alternatives separated by ``|`` up to ``closer``."""
    options: list[str] = []
    while True:
        alternative, pos = _sequence(parser, pos, closers="|" + closer)
        options.extend(alternative)
        if pos >= len(parser.text):
            raise parser.fail(f"missing {closer!r}")
        if parser.text[pos] == closer:
            return options, pos + 1
        pos += 1  # past "|"


def _rule(parser: _Parser, name: str) -> list[str]:
    if name not in parser.rules:
        raise parser.fail(f"unknown rule <{name}>")
    if parser.depth > 20:
        raise parser.fail(f"rule <{name}> refers to itself")
    inner = _Parser(parser.rules[name], parser.rules, parser.depth + 1)
    options, end = _sequence(inner, 0, closers="")
    if end != len(inner.text):
        raise inner.fail(f"unexpected {inner.text[end]!r}")
    return [f" {option} " for option in options]
