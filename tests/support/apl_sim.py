"""A small APL command runner for tests: plays a document's onMount on a virtual clock.

It knows the parts of APL the Strong Back document uses: data-binding expressions
(``${a.b[c].length}``, arithmetic, comparisons, ``null``), ``when``, ``delay``, the
Sequential, Parallel, Idle and SetValue commands, and user-defined commands with typed
parameters. Every SetValue is recorded with the time it happens, so a test can ask what a
component showed at any moment. Anything else it meets is an error, so the document
cannot quietly use something this runner (and the test) does not understand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_EXPRESSION = re.compile(r"\$\{([^}]*)\}")
_ALLOWED = re.compile(r"^[\w\s.\[\]'+\-*/<>=!&|()]*$")


class AplError(AssertionError):
    """The document does something the runner does not know, or refers to something missing."""


class _Bound:
    """Data seen through APL's eyes: attribute access, indexing, ``length``, missing means null."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __getattr__(self, name: str) -> Any:
        if name == "length" and isinstance(self.value, list | str):
            return len(self.value)
        if isinstance(self.value, dict):
            return wrap(self.value.get(name))
        return None

    def __getitem__(self, index: Any) -> Any:
        try:
            return wrap(self.value[int(index)])
        except (IndexError, TypeError, ValueError, KeyError):
            return None


def wrap(value: Any) -> Any:
    return _Bound(value) if isinstance(value, dict | list) else value


def unwrap(value: Any) -> Any:
    return value.value if isinstance(value, _Bound) else value


def evaluate(text: Any, context: dict[str, Any]) -> Any:
    """Evaluate a property: a lone ``${...}`` keeps its type, embedded ones become text."""
    if not isinstance(text, str) or "${" not in text:
        return text
    whole = _EXPRESSION.fullmatch(text)
    if whole:
        return unwrap(_eval(whole.group(1), context))
    return _EXPRESSION.sub(lambda m: _text(unwrap(_eval(m.group(1), context))), text)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _eval(expression: str, context: dict[str, Any]) -> Any:
    if not _ALLOWED.match(expression):
        raise AplError(f"expression outside what the runner knows: {expression!r}")
    python = expression.replace("&&", " and ").replace("||", " or ").replace("null", "None")
    python = re.sub(r"!(?!=)", " not ", python)
    names = {name: wrap(value) for name, value in context.items()}
    try:
        return eval(python, {"__builtins__": {}}, names)  # the expression was checked against a tiny grammar above
    except (NameError, TypeError, SyntaxError) as error:
        raise AplError(f"cannot evaluate ${{{expression}}}: {error}") from None


@dataclass
class Run:
    """The outcome of running commands: every SetValue with its time, and the final clock."""

    values: list[tuple[float, str, str, Any]] = field(default_factory=list)  # (ms, component, property, value)
    end: float = 0.0

    def shown(self, component: str, at_ms: float, prop: str = "text") -> Any:
        """What a component's property held at a moment (the last value set at or before it)."""
        found = None
        for time, name, key, value in self.values:
            if name == component and key == prop and time <= at_ms + 1e-6:
                found = value
        return found


class Runner:
    """Runs a document's commands against its datasources on a virtual clock."""

    BUILT_IN = frozenset({"Sequential", "Parallel", "Idle", "SetValue"})

    def __init__(self, document: dict[str, Any], datasources: dict[str, Any]) -> None:
        self.document = document
        self.commands: dict[str, Any] = document.get("commands", {})
        self.context = {name: datasources for name in document["mainTemplate"]["parameters"]}
        self.components = component_ids(document["mainTemplate"])
        self.run = Run()
        self.depth = 0

    def mount(self) -> Run:
        """Inflate the layout (its bound texts are what shows first), then run onMount."""
        for component in _components(self.document["mainTemplate"]):
            if "text" in component:
                self.run.values.append((-1.0, component["id"], "text", evaluate(component["text"], self.context)))
        self.run.end = self._sequence(self.document.get("onMount", []), 0.0, self.context)
        return self.run

    def _sequence(self, commands: list[dict[str, Any]], clock: float, context: dict[str, Any]) -> float:
        for command in commands:
            clock = self._command(command, clock, context)
        return clock

    def _command(self, command: dict[str, Any], clock: float, context: dict[str, Any]) -> float:
        if "when" in command and not evaluate(command["when"], context):
            return clock
        clock += float(evaluate(command.get("delay", 0), context) or 0)
        kind = command["type"]
        if kind == "Sequential":
            return self._sequence(command["commands"], clock, context)
        if kind == "Parallel":
            return max([self._command(c, clock, context) for c in command["commands"]], default=clock)
        if kind == "Idle":
            return clock
        if kind == "SetValue":
            target = command["componentId"]
            if target not in self.components:
                raise AplError(f"SetValue on a component the layout does not have: {target!r}")
            self.run.values.append((clock, target, command["property"], evaluate(command["value"], context)))
            return clock
        if kind in self.commands:
            return self._user_command(kind, command, clock, context)
        raise AplError(f"unknown command type {kind!r}")

    def _user_command(self, kind: str, command: dict[str, Any], clock: float, context: dict[str, Any]) -> float:
        definition = self.commands[kind]
        inner = dict(self.context)
        for parameter in definition.get("parameters", []):
            name = parameter["name"]
            value = evaluate(command[name], context) if name in command else parameter.get("default")
            if parameter.get("type") == "number" and value is not None:
                value = float(value)
            inner[name] = value
        self.depth += 1
        if self.depth > 2000:
            raise AplError("user-defined commands nest too deep")
        try:
            return self._sequence(definition["commands"], clock, inner)
        finally:
            self.depth -= 1


def _components(item: Any) -> list[dict[str, Any]]:
    """Components with a fixed id, in layout order."""
    found: list[dict[str, Any]] = []
    if isinstance(item, dict):
        if isinstance(item.get("id"), str) and "${" not in item["id"]:
            found.append(item)
        for value in item.values():
            found += _components(value)
    elif isinstance(item, list):
        for value in item:
            found += _components(value)
    return found


def component_ids(item: Any) -> set[str]:
    """Every fixed component id in a layout (ids that depend on data are left out)."""
    found: set[str] = set()
    if isinstance(item, dict):
        if isinstance(item.get("id"), str) and "${" not in item["id"]:
            found.add(item["id"])
        for value in item.values():
            found |= component_ids(value)
    elif isinstance(item, list):
        for value in item:
            found |= component_ids(value)
    return found


def payload_references(document: dict[str, Any]) -> set[str]:
    """Every ``payload.x.y`` path the document's layout and commands read from its datasources."""
    text = repr(document)
    return set(re.findall(r"payload((?:\.\w+)+)", text))
