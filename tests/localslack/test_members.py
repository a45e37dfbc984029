"""conversations.info and conversations.members in the stand-in, through the real slack_sdk
client, answering as Slack documents: paged with a cursor, private channels invisible to a bot
that is not in them, and people who act in an undeclared (open) channel counted as in it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.localslack import LocalSlack


@pytest.fixture
def slack() -> Iterator[LocalSlack]:
    with LocalSlack(bot_token="xoxb-local", team_id="T0LOCAL") as stand_in:
        yield stand_in


@pytest.fixture
def client(slack: LocalSlack) -> WebClient:
    return WebClient(token="xoxb-local", base_url=slack.api_url, timeout=5)


def all_members(client: WebClient, channel: str, limit: int) -> tuple[list[str], int]:
    members: list[str] = []
    cursor, pages = "", 0
    while True:
        page = client.conversations_members(channel=channel, limit=limit, cursor=cursor or None)
        members += page["members"]
        pages += 1
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            return members, pages


def test_members_come_in_pages_until_the_cursor_is_empty(
    slack: LocalSlack, client: WebClient
) -> None:
    people = [f"U0P{i:03d}" for i in range(7)]
    slack.add_channel("C0BIG", "big", members=people)
    members, pages = all_members(client, "C0BIG", limit=3)
    assert members == [*people, "U0BOT"] and pages == 3
    first = client.conversations_members(channel="C0BIG")  # default limit 100: one page
    assert first["response_metadata"]["next_cursor"] == "" and len(first["members"]) == 8
    slack.workspace.members_page_cap = 2  # Slack may return fewer than the limit
    assert all_members(client, "C0BIG", limit=999) == ([*people, "U0BOT"], 4)
    assert slack.spec_violations == []


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ({"limit": 1000}, "invalid_limit"),
        ({"limit": 0}, "invalid_limit"),
        ({"cursor": "x"}, "invalid_cursor"),
    ],
)
def test_bad_limits_and_cursors_are_refused(
    slack: LocalSlack, client: WebClient, args: dict[str, object], error: str
) -> None:
    slack.add_channel("C0BIG", "big", members=["U0A"])
    with pytest.raises(SlackApiError) as refused:
        client.conversations_members(channel="C0BIG", **args)
    assert refused.value.response["error"] == error


def test_a_private_channel_is_invisible_to_a_bot_outside_it(
    slack: LocalSlack, client: WebClient
) -> None:
    slack.add_channel("C0SECRET", "secret", private=True, members=["U0A"])
    info = client.conversations_info(channel="C0SECRET")["channel"]
    assert info["is_private"] is True and info["id"].startswith("C")  # new private channels: C…
    assert client.conversations_members(channel="C0SECRET")["members"] == ["U0A", "U0BOT"]
    slack.bot_not_in("C0SECRET")
    for call in (client.conversations_info, client.conversations_members):
        with pytest.raises(SlackApiError) as hidden:
            call(channel="C0SECRET")
        assert hidden.value.response["error"] == "channel_not_found"
    slack.bot_not_in("C0PUBLIC")  # a public channel still answers, with is_member false
    assert client.conversations_info(channel="C0PUBLIC")["channel"]["is_member"] is False
    assert client.conversations_members(channel="C0PUBLIC")["members"] == []


def test_acting_in_an_open_channel_joins_it_and_ephemerals_need_a_member(
    slack: LocalSlack, client: WebClient
) -> None:
    slack.workspace.took_part("C0OPEN", "U0A")  # what the driver does before each delivery
    assert client.conversations_members(channel="C0OPEN")["members"] == ["U0A", "U0BOT"]
    slack.add_channel("C0SHUT", "shut", members=["U0A"])
    slack.workspace.took_part("C0SHUT", "U0B")  # a declared channel: acting does not join
    assert client.conversations_members(channel="C0SHUT")["members"] == ["U0A", "U0BOT"]
    with pytest.raises(SlackApiError) as refused:
        client.chat_postEphemeral(channel="C0SHUT", user="U0B", text="hi")
    assert refused.value.response["error"] == "user_not_in_channel"
    assert client.chat_postEphemeral(channel="C0SHUT", user="U0A", text="hi")["ok"] is True
    slack.leave("C0SHUT", "U0A")
    assert client.conversations_members(channel="C0SHUT")["members"] == ["U0BOT"]
