"""Feature names as teams really choose them, through signed `/kickoff` requests and then the
command line and the upload API that address a feature by its slug (found by the adversarial
pass: a name in Hebrew or Japanese was refused as having "no letter or digit", and a name of
only digits got a slug that `F` reads as another feature's id)."""

from __future__ import annotations

import json
import urllib.parse

from sqlalchemy import select

from bot.store.models import EvalRun, Feature
from tests.support.bot import BotUnderTest
from tests.support.evals import CHANNEL, PM, issue_token, run_cli, upload
from tests.support.paths import EVAL_FIXTURES


def kickoff(bot: BotUnderTest, name: str) -> str:
    reply = bot.driver.command("/kickoff", name, user_id=PM, channel_id=CHANNEL)
    assert reply.status == 200, reply.body
    bot.settle()
    return reply.body


def test_names_in_any_script_start_a_kickoff_and_are_addressable(bot: BotUnderTest) -> None:
    assert kickoff(bot, "תשובות תמיכה") == ""  # no refusal: the kickoff starts
    assert kickoff(bot, "サポート回答") == ""
    with bot.session() as session:
        names = {f.name: f.slug for f in session.scalars(select(Feature))}
    assert names == {"תשובות תמיכה": "תשובות-תמיכה", "サポート回答": "サポート回答"}

    exported = run_cli(bot, "export", "תשובות-תמיכה")
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["feature"]["name"] == "תשובות תמיכה"

    token = issue_token(bot, "サポート回答")
    body = (EVAL_FIXTURES / "real" / "promptfoo.json").read_bytes()
    stored = upload(bot, urllib.parse.quote("サポート回答"), body, token)
    assert stored.status == 201, stored.body
    # The same name in another case or spacing is the same feature, as for Latin names.
    assert "already a kickoff" in json.dumps(kickoff_reply(bot, " サポート回答 "))


def kickoff_reply(bot: BotUnderTest, name: str) -> list[object]:
    before = len(bot.slack.calls)
    kickoff(bot, name)
    return [call.params.get("text") for call in bot.slack.calls[before:]]


def test_a_name_with_no_letter_or_digit_in_any_script_is_still_refused(bot: BotUnderTest) -> None:
    assert "at least one letter or digit" in kickoff(bot, "🚀 — 🚀")
    with bot.session() as session:
        assert session.scalars(select(Feature)).first() is None


def test_a_name_of_only_digits_is_refused_so_it_cannot_stand_for_another_feature(
    bot: BotUnderTest,
) -> None:
    kickoff(bot, "Support answers")  # feature id 1
    kickoff(bot, "Search")  # feature id 2
    refused = kickoff(bot, "2")
    assert "only digits" in refused and "Usage" in refused
    assert kickoff(bot, "2026 roadmap") == ""  # digits with a word are fine
    with bot.session() as session:
        assert [f.name for f in session.scalars(select(Feature).order_by(Feature.id))] == [
            "Support answers",
            "Search",
            "2026 roadmap",
        ]
    # So `--feature 2` can only mean feature id 2, and its run lands there.
    stored = run_cli(
        bot, "ingest", str(EVAL_FIXTURES / "real" / "promptfoo.json"), "--feature", "2"
    )
    assert stored.returncode == 0, stored.stderr
    with bot.session() as session:
        run = session.scalars(select(EvalRun)).one()
        assert session.get(Feature, run.feature_id).name == "Search"  # type: ignore[union-attr]


def test_a_feature_key_too_big_for_an_id_is_an_unknown_feature(bot: BotUnderTest) -> None:
    """Found by the adversarial pass: `/align status 999…9` (24 digits) overflowed the id
    column ("something went wrong on our side"), and "²" passed isdigit() but not int()."""
    kickoff(bot, "Support answers")
    token = issue_token(bot, "support-answers")
    for key in ["999999999999999999999999", "²", "9223372036854775808"]:
        reply = bot.driver.command("/align", f"status {key}", user_id=PM, channel_id=CHANNEL)
        assert "No feature called" in reply.json()["text"], reply.body
        exported = run_cli(bot, "export", key)
        assert exported.returncode == 1 and "unknown feature" in exported.stderr, exported
        body = (EVAL_FIXTURES / "real" / "promptfoo.json").read_bytes()
        refused = upload(bot, urllib.parse.quote(key), body, token)
        assert refused.status == 404, refused.body
