"""Builders for the payloads Slack sends to apps, in the shapes of the recorded fixtures."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bot.localslack.calls import RecordedCall

Payload = dict[str, Any]
VERIFICATION_TOKEN = "localslack-verification-token"  # legacy field; Bolt ignores it


@dataclass(frozen=True)
class Team:
    id: str
    app_id: str


def user_block(user_id: str, team: Team, name: str | None = None) -> Payload:
    username = name or user_id.lower()
    return {"id": user_id, "username": username, "name": username, "team_id": team.id}


def team_block(team: Team) -> Payload:
    return {"id": team.id, "domain": team.id.lower()}


def trigger_id() -> str:
    return f"{uuid.uuid4().int % 10**13}.{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex[:32]}"


def event_callback(team: Team, event: Payload, event_id: str, event_time: int) -> Payload:
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team.id,
        "api_app_id": team.app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team.id,
                "user_id": "U0BOT",
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{uuid.uuid4().hex}",
    }


def as_message(message: Payload | RecordedCall) -> Payload:
    """A message as stored by the stand-in, from a dict or a chat.postMessage/update call."""
    if isinstance(message, RecordedCall):
        found = dict(message.response.get("message") or {})
        if not found and message.method == "chat.postEphemeral":
            found = dict(message.params) | {"ts": message.response.get("message_ts")}
            found["is_ephemeral"] = True
        found.setdefault("channel", message.response.get("channel") or message.params["channel"])
        found.setdefault("ts", message.response.get("ts"))
        return found
    return dict(message)


def interactive_elements(blocks: list[Payload]) -> Iterator[tuple[str, Payload]]:
    """(block_id, element) for every element a person can click or pick in `blocks`."""
    for block in blocks:
        block_id = str(block.get("block_id", ""))
        if block.get("type") == "actions":
            for element in block.get("elements", []):
                yield block_id, element
        accessory = block.get("accessory")
        if isinstance(accessory, dict) and "action_id" in accessory:
            yield block_id, accessory


def label_of(element: Payload) -> str:
    text = element.get("text")
    return str(text.get("text", "")) if isinstance(text, dict) else ""


def buttons(message: Payload | RecordedCall) -> list[tuple[str, str, str | None]]:
    """(label, action_id, value) for each button in the message."""
    blocks = as_message(message).get("blocks") or []
    return [
        (label_of(element), str(element.get("action_id", "")), element.get("value"))
        for _, element in interactive_elements(blocks)
        if element.get("type") == "button"
    ]


def find_button(message: Payload, label: str | None, action_id: str | None) -> tuple[str, Payload]:
    if label is None and action_id is None:
        raise ValueError("press() needs a label or an action_id")
    for block_id, element in interactive_elements(message.get("blocks") or []):
        if element.get("type") != "button":
            continue
        if label is not None and label_of(element).strip().lower() == label.strip().lower():
            return block_id, element
        if action_id is not None and element.get("action_id") == action_id:
            return block_id, element
    available = [f"{lbl!r} ({aid})" for lbl, aid, _ in buttons(message)]
    wanted = repr(label) if label is not None else f"action_id {action_id!r}"
    raise LookupError(
        f"no button {wanted} in message {message.get('ts')}; "
        f"buttons there: {', '.join(available) or 'none'}"
    )


def view_state(view: Payload, values: dict[str, Any]) -> dict[str, dict[str, Payload]]:
    """Turn {block_id or action_id: value} into Slack's view.state.values shape.

    A dict value under a block_id is taken as {action_id: value}; plain values are shaped
    by the element type found in the view (text, selects, date pickers, checkboxes)."""
    elements: dict[str, tuple[str, Payload]] = {}
    for block in view.get("blocks") or []:
        element = block.get("element")
        if block.get("type") == "input" and isinstance(element, dict):
            block_id = str(block.get("block_id", ""))
            elements[block_id] = (block_id, element)
            elements[str(element.get("action_id", ""))] = (block_id, element)
    state: dict[str, dict[str, Payload]] = {}
    for key, value in values.items():
        if isinstance(value, dict) and key not in elements:
            state[key] = {
                aid: v if isinstance(v, dict) else {"value": v} for aid, v in value.items()
            }
            continue
        if key not in elements:
            known = ", ".join(sorted(elements)) or "none"
            raise LookupError(f"no input {key!r} in the view; inputs there: {known}")
        block_id, element = elements[key]
        state.setdefault(block_id, {})[str(element.get("action_id", ""))] = element_value(
            element, value
        )
    return state


def element_value(element: Payload, value: Any) -> Payload:
    kind = str(element.get("type", "plain_text_input"))
    if isinstance(value, dict):
        return {"type": kind, **value}
    options = {str(o.get("value")): o for o in element.get("options") or []}
    if kind in ("static_select", "radio_buttons"):
        return {"type": kind, "selected_option": options.get(str(value), option(str(value)))}
    if kind in ("multi_static_select", "checkboxes"):
        chosen = value if isinstance(value, list) else [value]
        return {
            "type": kind,
            "selected_options": [options.get(str(v), option(str(v))) for v in chosen],
        }
    if kind == "datepicker":
        return {"type": kind, "selected_date": value}
    if kind in ("users_select", "conversations_select", "channels_select"):
        field = {"users_select": "selected_user", "channels_select": "selected_channel"}
        return {"type": kind, field.get(kind, "selected_conversation"): value}
    return {"type": kind, "value": None if value is None else str(value)}


def option(value: str) -> Payload:
    return {"text": {"type": "plain_text", "text": value, "emoji": True}, "value": value}
