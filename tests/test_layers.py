"""The house rules of docs/architecture.md, read from the imports themselves: a change that
breaks a layer fails here, with the file and the import named."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parent.parent / "bot"


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def files(package: str) -> list[Path]:
    return sorted((BOT / package).rglob("*.py"))


def offending(package: str, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path.relative_to(BOT.parent)} imports {name}"
        for path in files(package)
        for name in sorted(imports_of(path))
        if name.startswith(forbidden)
    ]


SLACK = ("slack_bolt", "slack_sdk", "bot.slack")
OUTSIDE_DOMAIN = (
    *SLACK,
    *("sqlalchemy", "bot.store", "bot.services", "bot.jobs", "bot.ingest", "bot.clock"),
    *("bot.deps", "bot.config", "bot.llm", "openai", "httpx", "requests", "urllib"),
)


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("domain", OUTSIDE_DOMAIN),
        ("services", (*SLACK, "bot.jobs")),
        ("ingest", (*SLACK, "sqlalchemy", "bot.store", "bot.services", "bot.jobs")),
        ("store", (*SLACK[:1], "bot.slack", "bot.services", "bot.jobs")),
    ],
)
def test_each_layer_imports_only_what_it_may(package: str, forbidden: tuple[str, ...]) -> None:
    assert offending(package, forbidden) == []


def test_no_listener_module_imports_another() -> None:
    listeners = {path.stem for path in files("slack/listeners") if path.stem != "__init__"}
    crossing = [
        f"{path.name} imports {name}"
        for path in files("slack/listeners")
        if path.stem != "__init__"
        for name in imports_of(path)
        if name.startswith("bot.slack.listeners")
        and name.rsplit(".", 1)[-1] in listeners | {"listeners"}
    ]
    assert crossing == []
