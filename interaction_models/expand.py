"""Expand compact phrasings into sample utterances, with hassil's template parser and sampler.

The syntax is hassil's (as in home-assistant/intents): ``(a|b)`` one of the alternatives,
``[a|b]`` one of them or nothing, ``<rule>`` the rule's own template, ``{slot}`` kept as is.
hassil parses and samples; this module only parses each template once (the five locales share
them), refuses unknown or self-referring rules and oversized templates, and reports hassil's
errors as ``TemplateError``.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from hassil import Group, RuleReference, Sentence, parse_sentence, sample_expression
from hassil.errors import HassilError
from hassil.parser import ParseError

from skill.errors import StrongBackError

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from hassil import Expression

MAX_EXPANSIONS = 5000  # per template: a bigger product is a mistake in the source


class TemplateError(StrongBackError, ValueError):
    """A template is malformed; the message quotes it."""


def expand(template: str, rules: Mapping[str, str] | None = None) -> list[str]:
    """Every sentence the template stands for, whitespace-normalised, in order, without repeats."""
    rules = rules or {}
    sentence = _parsed(template)
    parsed = {name: _parsed(body) for name, body in rules.items()}
    _check_rules(template, sentence.expression, parsed, ())
    seen: dict[str, None] = {}
    sampled = sample_expression(sentence.expression, expansion_rules=parsed, expand_lists=False)
    for count, text in enumerate(sampled, start=1):
        if count > MAX_EXPANSIONS:
            raise TemplateError(f"more than {MAX_EXPANSIONS} expansions in template {template!r}")
        sample = " ".join(text.split())
        if sample:
            seen.setdefault(sample, None)
    return list(seen)


@cache
def _parsed(template: str) -> Sentence:
    try:
        return parse_sentence(template)
    except (ParseError, HassilError, AssertionError) as error:  # hassil asserts on empty groups
        raise TemplateError(f"cannot parse template {template!r}: {error or 'empty group'}") from None


def _check_rules(template: str, expression: Expression, rules: Mapping[str, Sentence], using: tuple[str, ...]) -> None:
    """Every ``<rule>`` the expression uses exists and does not (through others) refer to itself."""
    for name in _rule_names(expression):
        if name not in rules:
            raise TemplateError(f"unknown rule <{name}> in template {template!r}")
        if name in using:
            raise TemplateError(f"rule <{name}> refers to itself in template {template!r}")
        _check_rules(template, rules[name].expression, rules, (*using, name))


def _rule_names(expression: Expression) -> Iterator[str]:
    if isinstance(expression, RuleReference):
        yield expression.rule_name
    elif isinstance(expression, Group):
        for item in expression.items:
            yield from _rule_names(item)
