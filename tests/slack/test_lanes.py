"""Which Slack requests the web process answers on its event loop (acks that never wait on a
lock or on Slack) and which on its threads; any body shape, however odd, gets an answer."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bot.asgi import on_loop


def command(text: str, name: str = "/align") -> dict[str, Any]:
    return {"command": name, "text": text, "team_id": "T1", "user_id": "U1"}


def test_acks_that_only_store_or_answer_from_a_constant_run_on_the_loop() -> None:
    assert on_loop({"type": "event_callback", "event": {"type": "message", "text": "hi"}})
    assert on_loop(command("Support answers", "/kickoff"))
    assert on_loop(command("help")) and on_loop(command("")) and on_loop(command("HELP me"))
    assert on_loop({"type": "url_verification", "challenge": "x"})
    # A sign-off press is stored and signed after the ack (bot/slack/listeners/kickoff.py).
    for action_id in ("signoff_pm", "signoff_engineer"):
        assert on_loop({"type": "block_actions", "actions": [{"action_id": action_id}]})


def test_anything_that_may_wait_on_the_database_or_slack_runs_on_a_thread() -> None:
    for text in ("metric f csat 4", "token f", "status", "report f", "schedule f weekly"):
        assert not on_loop(command(text))
    assert not on_loop({"type": "event_callback", "event": {"type": "app_home_opened"}})
    assert not on_loop({"type": "block_actions", "actions": [{"action_id": "decision:1"}]})
    assert not on_loop({"type": "view_submission", "view": {}})
    assert not on_loop({"type": "block_actions", "actions": [{"action_id": "kickoff_edit:rate"}]})
    assert not on_loop({"type": "block_actions", "actions": "signoff_pm"})
    assert not on_loop({"type": "block_actions", "actions": [{"action_id": "signoff_pm"}] * 2})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)


@given(
    st.dictionaries(st.sampled_from(["type", "event", "command", "text", "actions"]), json_values)
)
def test_any_body_shape_gets_a_lane(body: dict[str, Any]) -> None:
    assert on_loop(body) in (True, False)
