"""manifest.yml, bot/ids.py and the listeners the app registers name the same Slack surface.

Enums and manifest must agree exactly. What the app registers must be declared; what is declared
must be registered, except the names in NOT_YET_REGISTERED (features still being built).
(Over 300 lines: a reader for the manifest's YAML subset, then each pair of names compared.)
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.listener_matcher.builtins import BuiltinListenerMatcher
from slack_sdk import WebClient

from bot.app import create_app
from bot.config import Settings
from bot.deps import Deps
from bot.ids import Command, Event, Shortcut
from bot.slack.listeners import ALIGN_VERBS
from bot.store.db import make_engine, make_session_factory, upgrade
from tests.support.paths import ROOT

MANIFEST = ROOT / "manifest.yml"
PLACEHOLDER = "https://example.com/"

# (kind, name) pairs the manifest declares but no listener handles yet. Empty it as features land:
# a name listed here that the app does register makes the test fail, so it cannot go stale.
NOT_YET_REGISTERED: frozenset[tuple[str, str]] = frozenset(
    {
        ("event", "app_uninstalled"),
        ("event", "tokens_revoked"),
    }
)

# Bolt's builtin matchers are closures named after the decorator that made them
# ("command.<locals>.func"); these are the ones the manifest is about.
KIND_OF_MATCHER = {
    "command": "command",
    "event": "event",
    "message_event": "event",
    "shortcut": "shortcut",
    "global_shortcut": "shortcut",
    "message_shortcut": "shortcut",
}
# Interactivity callbacks (buttons, modals, menus) are not declared in a manifest.
NOT_IN_MANIFEST = {
    "action",
    "block_action",
    "attachment_action",
    "dialog_submission",
    "dialog_cancellation",
    "dialog_suggestion",
    "block_suggestion",
    "options",
    "view",
    "view_submission",
    "view_closed",
}


# ---------------------------------------------------------------- a reader for manifest.yml
# PyYAML is not a dependency, and the manifest sticks to a small subset of YAML: nested
# mappings, lists of scalars or of one-level mappings, plain or double-quoted scalars.


@dataclass
class _Line:
    number: int
    indent: int
    text: str


def read_simple_yaml(source: str) -> Any:
    lines = []
    for number, raw in enumerate(source.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if "\t" in raw[: len(raw) - len(raw.lstrip())]:
            raise ValueError(f"line {number}: indent with spaces, not tabs")
        lines.append(_Line(number, len(raw) - len(raw.lstrip(" ")), stripped))
    if not lines:
        return None
    value, end = _block(lines, 0, lines[0].indent)
    if end != len(lines):
        raise ValueError(f"line {lines[end].number}: unexpected indentation")
    return value


def _block(lines: list[_Line], start: int, indent: int) -> tuple[Any, int]:
    if lines[start].text.startswith("- "):
        return _sequence(lines, start, indent)
    return _mapping(lines, start, indent)


def _mapping(lines: list[_Line], index: int, indent: int) -> tuple[dict[str, Any], int]:
    result: dict[str, Any] = {}
    while index < len(lines) and lines[index].indent == indent:
        line = lines[index]
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+):(?:\s+(.*))?", line.text)
        if match is None:
            raise ValueError(f"line {line.number}: expected `key: value`, got {line.text!r}")
        key, rest = match.group(1), match.group(2)
        if key in result:
            raise ValueError(f"line {line.number}: duplicate key {key!r}")
        index += 1
        if rest:
            result[key] = _scalar(rest, line.number)
        elif index < len(lines) and lines[index].indent > indent:
            result[key], index = _block(lines, index, lines[index].indent)
        else:
            result[key] = None
    if index < len(lines) and lines[index].indent > indent:
        raise ValueError(f"line {lines[index].number}: unexpected indentation")
    return result, index


def _sequence(lines: list[_Line], index: int, indent: int) -> tuple[list[Any], int]:
    result: list[Any] = []
    while (
        index < len(lines) and lines[index].indent == indent and lines[index].text.startswith("- ")
    ):
        line = lines[index]
        item = line.text[2:].strip()
        if re.match(r"[A-Za-z0-9_.\-]+:(\s|$)", item):
            # "- key: value" opens a mapping whose other keys sit under `key`.
            lines[index] = _Line(line.number, indent + 2, item)
            mapping, index = _mapping(lines, index, indent + 2)
            result.append(mapping)
        else:
            result.append(_scalar(item, line.number))
            index += 1
    return result, index


def _scalar(text: str, number: int) -> Any:
    if text.startswith('"'):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise ValueError(f"line {number}: bad double-quoted string {text!r}") from None
    if " #" in text or text.startswith(("'", "[", "{", "&", "*", "|", ">")):
        raise ValueError(f"line {number}: outside the YAML subset this reader knows: {text!r}")
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"-?[0-9]+", text):
        return int(text)
    return text


def test_the_reader_handles_the_subset_and_refuses_the_rest() -> None:
    source = (
        "# comment\n"
        "top:\n"
        "  name: Plain words\n"
        '  quoted: "a: b # not a comment"\n'
        "  flag: false\n"
        "  count: 3\n"
        "  items:\n"
        "    - one:two\n"
        "    - key: value\n"
        "      other: true\n"
        "  empty:\n"
    )
    assert read_simple_yaml(source) == {
        "top": {
            "name": "Plain words",
            "quoted": "a: b # not a comment",
            "flag": False,
            "count": 3,
            "items": ["one:two", {"key": "value", "other": True}],
            "empty": None,
        }
    }
    for bad in ("a: [1, 2]\n", "a: b # trailing comment\n", "a:\n  b: 1\n c: 2\n", "a: 1\na: 2\n"):
        with pytest.raises(ValueError):
            read_simple_yaml(bad)


# ---------------------------------------------------------------- what the manifest declares


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    data = read_simple_yaml(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def declared_commands(manifest: dict[str, Any]) -> set[str]:
    return {entry["command"] for entry in manifest["features"]["slash_commands"]}


def declared_event_types(manifest: dict[str, Any]) -> set[str]:
    # Subscriptions name where a message comes from ("message.channels"); the event is "message".
    return {
        name.split(".")[0] for name in manifest["settings"]["event_subscriptions"]["bot_events"]
    }


def declared_shortcuts(manifest: dict[str, Any]) -> dict[str, str]:
    """callback_id -> the payload type Slack sends for it."""
    payload_type = {"message": "message_action", "global": "shortcut"}
    return {
        entry["callback_id"]: payload_type[entry["type"]]
        for entry in manifest["features"]["shortcuts"]
    }


def declared_align_verbs(manifest: dict[str, Any]) -> set[str]:
    (align,) = [c for c in manifest["features"]["slash_commands"] if c["command"] == "/align"]
    return {verb.strip() for verb in align["usage_hint"].split("|")}


def declared(manifest: dict[str, Any]) -> set[tuple[str, str]]:
    return (
        {("command", name) for name in declared_commands(manifest)}
        | {("event", name) for name in declared_event_types(manifest)}
        | {("shortcut", name) for name in declared_shortcuts(manifest)}
        | {("align verb", verb) for verb in declared_align_verbs(manifest)}
    )


def test_commands_are_the_enum(manifest: dict[str, Any]) -> None:
    assert declared_commands(manifest) == {member.value for member in Command}


def test_events_are_the_enum(manifest: dict[str, Any]) -> None:
    assert declared_event_types(manifest) == {member.value for member in Event}


def test_shortcuts_are_the_enum(manifest: dict[str, Any]) -> None:
    assert set(declared_shortcuts(manifest)) == {member.value for member in Shortcut}


def test_settings_that_matter(manifest: dict[str, Any]) -> None:
    features, settings = manifest["features"], manifest["settings"]
    assert manifest["display_information"]["name"] == "Groundline"
    assert features["bot_user"]["display_name"] == "Groundline"
    assert features["app_home"]["home_tab_enabled"] is True
    for command in features["slash_commands"]:
        # Escaped, so "@maria" arrives as <@U…|maria> and the bot knows who is meant.
        assert command["should_escape"] is True, command["command"]
        assert command["url"] == f"{PLACEHOLDER}slack/events"
    assert settings["interactivity"] == {
        "is_enabled": True,
        "request_url": f"{PLACEHOLDER}slack/events",
    }
    assert settings["event_subscriptions"]["request_url"] == f"{PLACEHOLDER}slack/events"
    assert {"message.channels", "message.groups"} <= set(
        settings["event_subscriptions"]["bot_events"]
    )
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    # Without chat:write.public, posting where the bot is not a member fails clearly.
    assert "chat:write.public" not in scopes
    assert {"commands", "chat:write", "channels:history", "groups:history"} <= scopes
    assert manifest["oauth_config"]["redirect_urls"] == [f"{PLACEHOLDER}slack/oauth_redirect"]
    assert settings["socket_mode_enabled"] is False
    assert settings["org_deploy_enabled"] is False
    assert settings["token_rotation_enabled"] is False


# ---------------------------------------------------------------- what the app registers


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    database_url = f"sqlite:///{tmp_path_factory.mktemp('manifest')}/groundline.db"
    settings = Settings(
        _env_file=None,
        SLACK_BOT_TOKEN="xoxb-manifest-test",
        SLACK_SIGNING_SECRET="manifest-test-secret",
        SLACK_API_URL="http://127.0.0.1:9/",  # never called: nothing is dispatched
        DATABASE_URL=database_url,
    )
    engine = make_engine(database_url)
    upgrade(engine)
    deps = Deps(settings=settings, session_factory=make_session_factory(engine))
    client = WebClient(token="xoxb-manifest-test", base_url=settings.SLACK_API_URL)
    yield create_app(deps, client=client)
    engine.dispose()


def _request(kind: str, name: str, payload_type: str = "message_action") -> BoltRequest:
    """The smallest request Slack would send for this command, event or shortcut."""
    if kind == "command":
        form = {"command": name, "text": "", "team_id": "T1", "user_id": "U1", "channel_id": "C1"}
        return BoltRequest(
            body=urlencode(form),
            headers={"content-type": ["application/x-www-form-urlencoded"]},
        )
    if kind == "event":
        envelope = {
            "type": "event_callback",
            "team_id": "T1",
            "event_id": "Ev1",
            "event": {"type": name, "user": "U1", "channel": "C1", "ts": "1.000001", "text": ""},
        }
        return BoltRequest(
            body=json.dumps(envelope), headers={"content-type": ["application/json"]}
        )
    payload = {
        "type": payload_type,
        "callback_id": name,
        "trigger_id": "1",
        "team": {"id": "T1"},
        "user": {"id": "U1"},
        "channel": {"id": "C1"},
        "message": {"type": "message", "user": "U2", "ts": "1.000001", "text": "make it good"},
    }
    return BoltRequest(
        body=urlencode({"payload": json.dumps(payload)}),
        headers={"content-type": ["application/x-www-form-urlencoded"]},
    )


def _builtin_matcher(listener: Any) -> tuple[str, BuiltinListenerMatcher]:
    for matcher in listener.matchers:
        if isinstance(matcher, BuiltinListenerMatcher):
            return matcher.func.__qualname__.split(".")[0], matcher
    raise AssertionError(f"listener {listener!r} has no builtin matcher")


def _candidates(manifest: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """Every (name, payload type) worth trying per kind: enum members and manifest entries."""
    shortcuts = declared_shortcuts(manifest)
    for member in Shortcut:
        shortcuts.setdefault(member.value, "message_action")
    return {
        "command": [(n, "") for n in declared_commands(manifest) | {c.value for c in Command}],
        "event": [(n, "") for n in declared_event_types(manifest) | {e.value for e in Event}],
        "shortcut": sorted(shortcuts.items()),
    }


def registered(app: App, manifest: dict[str, Any]) -> set[tuple[str, str]]:
    """(kind, name) for every command, event and shortcut some listener handles, plus the
    /align verbs. A listener that matches none of the known names fails the test: it handles
    something neither the manifest nor bot/ids.py declares."""
    candidates = _candidates(manifest)
    found: set[tuple[str, str]] = set()
    for listener in app._listeners:
        factory, matcher = _builtin_matcher(listener)
        if factory in NOT_IN_MANIFEST:
            continue
        assert factory in KIND_OF_MATCHER, f"unknown Bolt matcher {factory!r}: update this test"
        kind = KIND_OF_MATCHER[factory]
        matched = {
            (kind, name)
            for name, payload_type in candidates[kind]
            if matcher.matches(_request(kind, name, payload_type), BoltResponse(status=200))
        }
        closure = [cell.cell_contents for cell in matcher.func.__closure__ or ()]
        assert matched, f"a {kind} listener handles something undeclared: {closure!r}"
        found |= matched
    return found | {("align verb", verb) for verb in ALIGN_VERBS}


def test_probing_tells_registered_from_unregistered(manifest: dict[str, Any]) -> None:
    probe = App(
        client=WebClient(token="xoxb-probe", base_url="http://127.0.0.1:9/"),
        signing_secret="probe",
        token_verification_enabled=False,
    )
    probe.command("/kickoff")(lambda ack: ack())
    probe.event("app_home_opened")(lambda ack: ack())
    probe.shortcut("reframe_message")(lambda ack: ack())
    probe.action("some_button")(lambda ack: ack())
    found = registered(probe, manifest) - {("align verb", verb) for verb in ALIGN_VERBS}
    assert found == {
        ("command", "/kickoff"),
        ("event", "app_home_opened"),
        ("shortcut", "reframe_message"),
    }
    probe.command("/undeclared")(lambda ack: ack())
    with pytest.raises(AssertionError, match="undeclared"):
        registered(probe, manifest)


def test_everything_the_app_registers_is_declared(app: App, manifest: dict[str, Any]) -> None:
    undeclared = registered(app, manifest) - declared(manifest)
    assert not undeclared, f"registered but not in manifest.yml: {sorted(undeclared)}"


def test_everything_declared_is_registered_or_listed_as_pending(
    app: App, manifest: dict[str, Any]
) -> None:
    missing = declared(manifest) - registered(app, manifest) - NOT_YET_REGISTERED
    assert not missing, f"declared but not handled by the app: {sorted(missing)}"


def test_pending_list_holds_only_declared_names_not_yet_registered(
    app: App, manifest: dict[str, Any]
) -> None:
    stray = NOT_YET_REGISTERED - declared(manifest)
    assert not stray, f"not in manifest.yml: {sorted(stray)}"
    landed = NOT_YET_REGISTERED & registered(app, manifest)
    assert not landed, f"registered now, so remove from NOT_YET_REGISTERED: {sorted(landed)}"
