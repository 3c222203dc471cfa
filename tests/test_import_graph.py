"""The design, checked on the source: imports flow one way, and the layers stay apart.

Every import statement of the project's packages is read from the source (module level, inside
functions, and under ``TYPE_CHECKING`` alike): a cycle anywhere fails, and so does the core
reaching up into the Alexa SDK, a front end, or boto3.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("skill", "web", "local_runner", "interaction_models")
# The plain-Python core, in the order its imports may flow (each may import only earlier ones).
CORE_ORDER = (
    "skill.errors",
    "skill.config",
    "skill.numbers",
    "skill.catalog",
    "skill.routine",
    "skill.speech",
    "skill.dialog",
    "skill.workout",
    "skill.progress",
    "skill.coach",
    "skill.planning",
    "skill.screen",
)
NOT_IN_CORE = ("ask_sdk_core", "ask_sdk_model", "ask_sdk_runtime", "boto3", "botocore", "flask", "web", "local_runner")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            modules[module_name(path)] = path
    return modules


def imported(path: Path, name: str) -> set[str]:
    """Every module ``path`` imports, written out in full (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def graph() -> dict[str, set[str]]:
    """Project module -> the project modules it imports."""
    modules = project_modules()
    edges: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = {target for target in imported(path, name) if target in modules and target != name}
        edges[name] = targets
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_import_graph_has_no_cycles() -> None:
    # A package's __init__ importing its own submodules is not a cycle of design; leave those edges out.
    edges = {
        name: {t for t in targets if not (name.startswith(f"{t}.") and (ROOT / t.replace(".", "/")).is_dir())}
        for name, targets in graph().items()
    }
    assert cycles(edges) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("module", CORE_ORDER)
def test_the_core_imports_flow_one_way(module: str) -> None:
    allowed = set(CORE_ORDER[: CORE_ORDER.index(module)])
    core_imports = {target for target in graph()[module] if target in CORE_ORDER}
    assert core_imports <= allowed, f"{module} imports {sorted(core_imports - allowed)}, which come after it"


@pytest.mark.parametrize("module", [*CORE_ORDER, "skill.storage", "skill.storage.base", "skill.storage.sqlite"])
def test_the_core_imports_no_sdk_no_front_end_and_no_boto3(module: str) -> None:
    path = project_modules()[module]
    reached = {target for target in imported(path, module) if target.split(".")[0] in NOT_IN_CORE}
    assert reached == set()


def test_skill_imports_none_of_the_front_ends() -> None:
    for name, targets in graph().items():
        if name.split(".")[0] == "skill":
            assert not {t for t in targets if t.split(".")[0] in ("web", "local_runner")}, name
