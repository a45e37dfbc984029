"""Slack's text as Slack sends it, read at the boundary (bot/slack/text.py), and the stand-in's
composer that produces it (bot/localslack/composer.py): the two meet in the middle."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.said import Markup
from bot.localslack import composer
from bot.localslack.workspace import Workspace
from bot.slack.text import bot_user_of, decode, read


def workspace() -> Workspace:
    space = Workspace("T0LOCAL", "Local")
    space.users["U0ENG"] = {"id": "U0ENG", "name": "raj"}
    space.users["U0PM"] = {"id": "U0PM", "name": "ana"}
    from bot.localslack.workspace import Channel

    space.channels["C0LEGAL"] = Channel("C0LEGAL", "legal")
    return space


def typed(text: str, *, command: bool = False) -> str:
    return composer.wire_text(composer.pieces(text, workspace()), command=command)


def test_typed_characters_arrive_as_entities_and_read_back() -> None:
    wire = typed("NPS >= 40; tickets & escalations < 200")
    assert wire == "NPS &gt;= 40; tickets &amp; escalations &lt; 200"
    assert read(wire).text == "NPS >= 40; tickets & escalations < 200"
    assert read(wire).spans == ()


def test_mentions_channels_pings_and_links() -> None:
    wire = typed("@raj see #legal and https://wiki.acme.dev/x?a=1&b=2 @here")
    assert wire == (
        "<@U0ENG> see <#C0LEGAL|legal> and <https://wiki.acme.dev/x?a=1&amp;b=2> <!here>"
    )
    said = read(wire)
    assert said.text == "@U0ENG see #legal and https://wiki.acme.dev/x?a=1&b=2 @here"
    assert [span.kind for span in said.spans] == [
        Markup.USER,
        Markup.CHANNEL,
        Markup.LINK,
        Markup.BROADCAST,
    ]
    assert said.mentions == ("U0ENG",)
    assert "1" not in said.without_markup() and "2" not in said.without_markup()


def test_slash_command_mentions_carry_the_name() -> None:
    wire = typed("Support answers @ana @raj", command=True)
    assert wire == "Support answers <@U0PM|ana> <@U0ENG|raj>"
    said = read(wire)
    assert said.text == "Support answers @ana @raj"
    assert said.mentions == ("U0PM", "U0ENG")
    assert " ".join(said.text_without(Markup.USER).split()) == "Support answers"


def test_an_unknown_name_stays_text_and_picked_markup_passes() -> None:
    assert typed("@nobody said so") == "@nobody said so"
    assert typed("ping <@U0ENG> and <!channel>") == "ping <@U0ENG> and <!channel>"
    assert typed("<b>bold</b>") == "&lt;b&gt;bold&lt;/b&gt;"


def test_a_typed_out_mention_is_text_not_markup() -> None:
    said = read("&lt;@U0EVIL&gt; 1 s")
    assert said.text == "<@U0EVIL> 1 s" and said.spans == () and said.mentions == ()


def test_links_with_labels_usergroups_and_dates() -> None:
    said = read(
        "<https://x.dev/2024|the 2024 doc> <!subteam^S0ON|@oncall> "
        "<!date^1392734382^{date}|Feb 18, 2014> <mailto:a@b.c|mail>"
    )
    assert said.text == "the 2024 doc @oncall Feb 18, 2014 mail"
    assert [s.kind for s in said.spans] == [Markup.LINK, Markup.USERGROUP, Markup.LINK]
    assert "2024" not in said.without_markup()


def test_entities_decode_once() -> None:
    assert decode("&amp;lt; &amp;amp; &lt;&gt;") == "&lt; &amp; <>"


def test_bot_user_from_authorizations() -> None:
    body = {"authorizations": [{"user_id": "U0BOT", "is_bot": True}]}
    assert bot_user_of(body) == "U0BOT"
    assert bot_user_of({}) is None


def test_rich_text_keeps_raw_characters_and_elements() -> None:
    pieces = composer.pieces("@raj 5% & <2s", workspace())
    (block,) = composer.rich_text(pieces, "b1")
    elements = block["elements"][0]["elements"]
    assert elements == [
        {"type": "user", "user_id": "U0ENG"},
        {"type": "text", "text": " 5% & <2s"},
    ]


@given(st.text(alphabet=st.characters(blacklist_characters="@#<"), max_size=200))
def test_plain_typed_text_survives_the_round_trip(text: str) -> None:
    said = read(typed(text))
    if "http" not in text:
        assert said.text == text


@given(st.text(max_size=300))
def test_reading_any_wire_text_never_raises(text: str) -> None:
    said = read(text)
    for span in said.spans:
        assert 0 <= span.start <= span.end <= len(said.text)
